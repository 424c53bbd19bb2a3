//! Atomic output files. Every output is staged as a temporary file in its target's directory
//! (`.{name}.tmp-XXXXXX`, created by `tempfile`), written, flushed and fsynced, then renamed
//! over the target. A [`Transaction`] stages several outputs and publishes them together:
//! the renames happen back to back only after every output has been written and synced, and
//! any failure before (or a dropped transaction) removes every temporary file and publishes
//! nothing.
//!
//! Every temporary file is registered in a process-wide list while it exists.
//! [`cleanup_on_signal`] starts a thread that, on SIGINT or SIGTERM, removes every registered
//! temporary file and exits with status 130 (SIGINT) or 143 (SIGTERM). Creating, publishing
//! and removing temporary files hold the list's lock, so a signal never interleaves with a
//! commit: after a signal either all of a transaction's outputs are in place or none is, and
//! no temporary file is left behind.
//!
//! [`check_writable`] lets a command fail fast, before a long computation, when its output
//! could not be written anyway (missing directory, no permission).

mod fsinfo;
mod signal;
#[cfg(test)]
mod tests;
mod writeback;

pub use fsinfo::{device_of, free_disk_bytes};
pub use signal::{cleanup_on_signal, remove_temporaries};
pub use writeback::{CHUNK as WRITEBACK_CHUNK, WritebackFile};

use crate::{Error, Result};
use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};
use std::sync::{Mutex, MutexGuard};

/// The temporary files that exist now (process-wide), for removal on a signal.
static TEMPS: Mutex<Vec<PathBuf>> = Mutex::new(Vec::new());

/// The registry, even if a thread panicked while holding it (the list stays valid).
fn temps() -> MutexGuard<'static, Vec<PathBuf>> {
    TEMPS.lock().unwrap_or_else(|e| e.into_inner())
}

/// The directory a file path lives in (`.` for a bare file name).
fn parent_dir(path: &Path) -> PathBuf {
    match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    }
}

/// An [`Error::Io`] carrying our own message.
fn io_err(path: &Path, kind: std::io::ErrorKind, msg: String, usage: bool) -> Error {
    Error::Io {
        path: path.to_path_buf(),
        source: std::io::Error::new(kind, msg),
        usage,
    }
}

/// The final component of `path`, or an error if it has none (`/`, `..`, `dir/`).
fn file_name(path: &Path) -> Result<String> {
    match path.file_name() {
        Some(n) => Ok(n.to_string_lossy().into_owned()),
        None => Err(io_err(
            path,
            std::io::ErrorKind::InvalidInput,
            "cannot write output: the path does not name a file; give a file name such as out.npy"
                .to_string(),
            true,
        )),
    }
}

/// Create a new temporary file next to `path` (named `.{name}.tmp-XXXXXXXX{suffix}`) and
/// register it (under the registry's lock, so that a signal handler either sees it or it
/// does not exist yet).
fn create_temp(path: &Path, suffix: &str) -> Result<tempfile::NamedTempFile> {
    let name = file_name(path)?;
    let dir = parent_dir(path);
    let mut reg = temps();
    let prefix = format!(".{name}.tmp-");
    let mut builder = tempfile::Builder::new();
    builder.prefix(&prefix).suffix(suffix).rand_bytes(8);
    // an output gets the permissions of any new file (0666 less the umask), not tempfile's
    // private 0600
    #[cfg(unix)]
    builder.permissions(std::os::unix::fs::PermissionsExt::from_mode(0o666));
    let tmp = builder
        .tempfile_in(&dir)
        .map_err(|e| describe_dir_error(path, &dir, e))?;
    reg.push(tmp.path().to_path_buf());
    Ok(tmp)
}

/// Remove `tmp` from the registry (the caller holds the lock).
/// Register temporary files this process did not create through this module (an MPI run's
/// shared output, created by rank 0 and written by every rank), so that a signal to any
/// rank removes them; [`unregister_temporaries`] takes them off again once they are published
/// or removed.
pub(crate) fn register_temporaries(paths: &[PathBuf]) {
    let mut reg = temps();
    for p in paths {
        if !reg.contains(p) {
            reg.push(p.clone());
        }
    }
}

/// Take `paths` off the registry (see [`register_temporaries`]).
pub(crate) fn unregister_temporaries(paths: &[PathBuf]) {
    let mut reg = temps();
    for p in paths {
        unregister(&mut reg, p);
    }
}

fn unregister(reg: &mut Vec<PathBuf>, tmp: &Path) {
    if let Some(k) = reg.iter().position(|p| p == tmp) {
        reg.swap_remove(k);
    }
}

/// The target is an existing directory.
fn is_dir_error(path: &Path) -> Error {
    io_err(
        path,
        std::io::ErrorKind::IsADirectory,
        "cannot write output: this is a directory; give a file name inside it, e.g. dir/out.npy"
            .to_string(),
        true,
    )
}

/// Turn a failure to create a file in `dir` into a usage error naming the cause and the fix.
fn describe_dir_error(path: &Path, dir: &Path, e: std::io::Error) -> Error {
    let d = dir.display();
    if !dir.exists() {
        return io_err(
            path,
            std::io::ErrorKind::NotFound,
            format!(
                "cannot write output: directory {d} does not exist; create it first (mkdir -p {d}) or choose another output path"
            ),
            true,
        );
    }
    if !dir.is_dir() {
        return io_err(
            path,
            std::io::ErrorKind::NotADirectory,
            format!("cannot write output: {d} is not a directory; choose another output path"),
            true,
        );
    }
    io_err(
        path,
        e.kind(),
        format!(
            "cannot write output: cannot create files in directory {d} ({e}); choose a writable location"
        ),
        true,
    )
}

/// Fail fast if `path` could not be written: call it BEFORE a long computation.
///
/// Checks that `path` is not a directory, that its parent directory exists, and that a file can
/// be created there (a temporary file is created and removed again). An existing file at `path`
/// is left untouched.
///
/// # Errors
/// [`Error::Io`] with `usage: true`, e.g.
/// `/nonexistent/k.npy: cannot write output: directory /nonexistent does not exist; create it first ...`.
///
/// ```
/// use ntk::io::check_writable;
/// assert!(check_writable(&std::env::temp_dir().join("k.npy")).is_ok());
/// let err = check_writable(std::path::Path::new("/nonexistent-ntk-dir/k.npy")).unwrap_err();
/// assert!(err.is_usage());
/// assert!(err.to_string().contains("does not exist"));
/// ```
pub fn check_writable(path: &Path) -> Result<()> {
    if path.is_dir() {
        return Err(is_dir_error(path));
    }
    let tmp = create_temp(path, "")?;
    let mut reg = temps();
    unregister(&mut reg, tmp.path());
    // Best effort: the check itself succeeded even if the probe cannot be removed.
    let _ = tmp.close();
    Ok(())
}

/// Write `path` atomically: `f` writes the contents into a buffered temporary file in the same
/// directory, which is flushed, fsynced and renamed over `path`.
///
/// On any error (from `f`, flushing, syncing or renaming) the temporary file is removed and
/// `path` is left as it was (absent, or its old contents). If `path` is a symbolic link, the
/// link itself is replaced.
///
/// # Errors
/// [`Error::Io`]: `usage: true` if the file cannot be created (see [`check_writable`]),
/// `usage: false` if writing fails midway (disk full, or `f` returned an error).
///
/// ```
/// use std::io::Write;
/// let path = std::env::temp_dir().join(format!("ntk-doc-atomic-{}.txt", std::process::id()));
/// ntk::io::write_atomic(&path, |w| w.write_all(b"hello\n"))?;
/// assert_eq!(std::fs::read_to_string(&path).unwrap(), "hello\n");
/// // A failing writer leaves the old contents in place.
/// let failed = ntk::io::write_atomic(&path, |w| {
///     w.write_all(b"partial")?;
///     Err(std::io::Error::other("interrupted"))
/// });
/// assert!(failed.is_err());
/// assert_eq!(std::fs::read_to_string(&path).unwrap(), "hello\n");
/// std::fs::remove_file(&path).unwrap();
/// # Ok::<(), ntk::Error>(())
/// ```
pub fn write_atomic(
    path: &Path,
    f: impl FnOnce(&mut dyn Write) -> std::io::Result<()>,
) -> Result<()> {
    let mut t = Transaction::new();
    t.write(path, f)?;
    t.commit()
}

/// Make the rename durable (best effort; not supported everywhere).
fn sync_dir(dir: &Path) {
    #[cfg(unix)]
    if let Ok(d) = File::open(dir) {
        let _ = d.sync_all();
    }
    #[cfg(not(unix))]
    let _ = dir;
}

/// Write `value` as pretty-printed JSON (with a trailing newline), atomically.
///
/// # Errors
/// As [`write_atomic`]; a value that cannot be serialized is an [`Error::Io`] with
/// `usage: false`.
///
/// ```
/// let path = std::env::temp_dir().join(format!("ntk-doc-json-{}.json", std::process::id()));
/// ntk::io::write_json_atomic(&path, &serde_json::json!({"n": 3}))?;
/// assert_eq!(std::fs::read_to_string(&path).unwrap(), "{\n  \"n\": 3\n}\n");
/// std::fs::remove_file(&path).unwrap();
/// # Ok::<(), ntk::Error>(())
/// ```
pub fn write_json_atomic(path: &Path, value: &impl serde::Serialize) -> Result<()> {
    write_atomic(path, |w| {
        serde_json::to_writer_pretty(&mut *w, value).map_err(std::io::Error::from)?;
        w.write_all(b"\n")
    })
}

/// One staged output: the temporary file and where it goes.
struct Staged {
    target: PathBuf,
    temp: Option<tempfile::NamedTempFile>,
}

impl Drop for Staged {
    fn drop(&mut self) {
        if let Some(tmp) = self.temp.take() {
            let mut reg = temps();
            unregister(&mut reg, tmp.path());
            // removes the file (best effort) while the lock is held
            let _ = tmp.close();
        }
    }
}

/// Several output files published together or not at all.
///
/// [`Transaction::stage`] / [`Transaction::write`] create one temporary file per output in
/// the output's directory; [`Transaction::commit`] fsyncs them all, then renames them over
/// their targets back to back. Dropping the transaction without committing (an error, a
/// panic) removes every temporary file and leaves every target as it was. If a rename fails
/// midway (the directory was changed under us), the outputs already renamed are removed
/// again, so that no partial set is left.
///
/// ```
/// use std::io::Write;
/// let dir = std::env::temp_dir().join(format!("ntk-doc-tx-{}", std::process::id()));
/// std::fs::create_dir_all(&dir).unwrap();
/// let (a, b) = (dir.join("a.txt"), dir.join("b.txt"));
/// // a failure before the commit publishes nothing
/// {
///     let mut t = ntk::io::Transaction::new();
///     t.write(&a, |w| w.write_all(b"A"))?;
///     assert!(t.write(&b, |_| Err(std::io::Error::other("disk full"))).is_err());
/// } // dropped: temporary files removed
/// assert!(!a.exists() && std::fs::read_dir(&dir).unwrap().count() == 0);
/// // both or none
/// let mut t = ntk::io::Transaction::new();
/// t.write(&a, |w| w.write_all(b"A"))?;
/// let mut f = t.stage(&b)?; // a raw file handle, e.g. for a writer thread
/// f.write_all(b"B").unwrap();
/// t.commit()?;
/// assert_eq!(std::fs::read_to_string(&b).unwrap(), "B");
/// std::fs::remove_dir_all(&dir).unwrap();
/// # Ok::<(), ntk::Error>(())
/// ```
#[derive(Default)]
pub struct Transaction {
    staged: Vec<Staged>,
}

impl Transaction {
    /// An empty transaction.
    ///
    /// ```
    /// assert!(ntk::io::Transaction::new().targets().is_empty());
    /// ```
    pub fn new() -> Self {
        Transaction { staged: Vec::new() }
    }

    /// The targets staged so far, in order.
    ///
    /// ```
    /// let mut t = ntk::io::Transaction::new();
    /// let p = std::env::temp_dir().join(format!("ntk-doc-txt-{}.npy", std::process::id()));
    /// t.stage(&p)?;
    /// assert_eq!(t.targets(), vec![p.as_path()]);
    /// # Ok::<(), ntk::Error>(())
    /// ```
    pub fn targets(&self) -> Vec<&Path> {
        self.staged.iter().map(|s| s.target.as_path()).collect()
    }

    /// Stage `target`: create its temporary file and return a handle to write it through
    /// (unbuffered; wrap it in a `BufWriter`, and flush before [`Transaction::commit`]). The
    /// handle may be moved to another thread.
    ///
    /// # Errors
    /// [`Error::Io`] with `usage: true` if `target` is a directory, was already staged in
    /// this transaction, or its directory does not exist or is not writable.
    ///
    /// ```
    /// let mut t = ntk::io::Transaction::new();
    /// assert!(t.stage(std::path::Path::new("/nonexistent-ntk-dir/k.npy")).unwrap_err().is_usage());
    /// ```
    pub fn stage(&mut self, target: &Path) -> Result<File> {
        let tmp = self.stage_temp(target, "")?;
        tmp.as_file().try_clone().map_err(|e| Error::Io {
            path: target.to_path_buf(),
            source: e,
            usage: false,
        })
    }

    /// Stage `target` for a writer that takes a path (an image encoder that picks the format
    /// by extension): returns the path of its temporary file, which ends in the target's
    /// extension. Write the file there (truncating it in place, not replacing it) before
    /// [`Transaction::commit`].
    ///
    /// # Errors
    /// As [`Transaction::stage`].
    ///
    /// ```
    /// let dir = tempfile::tempdir()?;
    /// let target = dir.path().join("plot.png");
    /// let mut t = ntk::io::Transaction::new();
    /// let tmp = t.stage_path(&target)?;
    /// assert!(tmp.to_string_lossy().ends_with(".png") && tmp != target);
    /// std::fs::write(&tmp, b"png bytes")?;
    /// t.commit()?;
    /// assert_eq!(std::fs::read(&target)?, b"png bytes");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn stage_path(&mut self, target: &Path) -> Result<PathBuf> {
        let suffix = target
            .extension()
            .map(|e| format!(".{}", e.to_string_lossy()))
            .unwrap_or_default();
        Ok(self.stage_temp(target, &suffix)?.path().to_path_buf())
    }

    /// Create, register and keep the temporary file of `target`.
    fn stage_temp(&mut self, target: &Path, suffix: &str) -> Result<&tempfile::NamedTempFile> {
        if target.is_dir() {
            return Err(is_dir_error(target));
        }
        let key = std::path::absolute(target).unwrap_or_else(|_| target.to_path_buf());
        let same =
            |s: &Staged| std::path::absolute(&s.target).unwrap_or_else(|_| s.target.clone()) == key;
        if self.staged.iter().any(same) {
            return Err(io_err(
                target,
                std::io::ErrorKind::AlreadyExists,
                "cannot write output: the same file is given for two outputs; give each output its own path"
                    .to_string(),
                true,
            ));
        }
        let tmp = create_temp(target, suffix)?;
        self.staged.push(Staged {
            target: target.to_path_buf(),
            temp: Some(tmp),
        });
        let last = self.staged.last().and_then(|s| s.temp.as_ref());
        last.ok_or_else(|| {
            io_err(
                target,
                std::io::ErrorKind::Other,
                "internal: staged file missing".into(),
                false,
            )
        })
    }

    /// Stage `target` and write its contents with `f` (through a 64 KiB buffer, flushed).
    ///
    /// # Errors
    /// As [`Transaction::stage`]; [`Error::Io`] with `usage: false` if `f` or the flush fails
    /// (the transaction keeps its other outputs; dropping it removes them all).
    ///
    /// ```
    /// use std::io::Write;
    /// let p = std::env::temp_dir().join(format!("ntk-doc-txw-{}.txt", std::process::id()));
    /// let mut t = ntk::io::Transaction::new();
    /// t.write(&p, |w| w.write_all(b"x"))?;
    /// t.commit()?;
    /// assert_eq!(std::fs::read(&p).unwrap(), b"x");
    /// std::fs::remove_file(&p).unwrap();
    /// # Ok::<(), ntk::Error>(())
    /// ```
    pub fn write(
        &mut self,
        target: &Path,
        f: impl FnOnce(&mut dyn Write) -> std::io::Result<()>,
    ) -> Result<()> {
        let file = self.stage(target)?;
        let mut w = BufWriter::with_capacity(1 << 16, file);
        let res = f(&mut w).and_then(|()| w.flush());
        res.map_err(|source| Error::Io {
            path: target.to_path_buf(),
            source,
            usage: false,
        })
    }

    /// Stage `target` with `value` as pretty-printed JSON and a trailing newline.
    ///
    /// # Errors
    /// As [`Transaction::write`].
    ///
    /// ```
    /// let p = std::env::temp_dir().join(format!("ntk-doc-txj-{}.json", std::process::id()));
    /// let mut t = ntk::io::Transaction::new();
    /// t.write_json(&p, &serde_json::json!([1]))?;
    /// t.commit()?;
    /// assert_eq!(std::fs::read_to_string(&p).unwrap(), "[\n  1\n]\n");
    /// std::fs::remove_file(&p).unwrap();
    /// # Ok::<(), ntk::Error>(())
    /// ```
    pub fn write_json(&mut self, target: &Path, value: &impl serde::Serialize) -> Result<()> {
        self.write(target, |w| {
            serde_json::to_writer_pretty(&mut *w, value).map_err(std::io::Error::from)?;
            w.write_all(b"\n")
        })
    }

    /// Publish every staged output: fsync each temporary file, then rename all of them over
    /// their targets (holding the temporary-file registry's lock, so a signal cannot
    /// interrupt the renames), then fsync the directories.
    ///
    /// # Errors
    /// [`Error::Io`] (`usage: false`) if a sync or rename fails; then no output of this
    /// transaction is left in place (already renamed ones are removed) and no temporary file
    /// remains.
    ///
    /// ```
    /// let t = ntk::io::Transaction::new();
    /// t.commit()?; // nothing staged: nothing to do
    /// # Ok::<(), ntk::Error>(())
    /// ```
    pub fn commit(mut self) -> Result<()> {
        for s in &self.staged {
            if let Some(tmp) = &s.temp {
                tmp.as_file().sync_all().map_err(|source| Error::Io {
                    path: s.target.clone(),
                    source,
                    usage: false,
                })?;
            }
        }
        let mut staged = std::mem::take(&mut self.staged).into_iter();
        let mut reg = temps();
        let mut published: Vec<PathBuf> = Vec::new();
        let mut failure = None;
        for mut s in staged.by_ref() {
            let Some(tmp) = s.temp.take() else { continue };
            let tmp_path = tmp.path().to_path_buf();
            let res = tmp.persist(&s.target);
            unregister(&mut reg, &tmp_path);
            match res {
                Ok(_) => published.push(s.target.clone()),
                Err(e) => {
                    let _ = e.file.close();
                    failure = Some(Error::Io {
                        path: s.target.clone(),
                        source: e.error,
                        usage: false,
                    });
                    break;
                }
            }
        }
        if let Some(err) = failure {
            // withdraw the outputs renamed before the failure; the remaining temporaries
            // are removed by their drop, which takes the registry's lock: release it first
            for p in &published {
                let _ = std::fs::remove_file(p);
            }
            drop(reg);
            drop(staged);
            return Err(err);
        }
        drop(reg);
        let mut dirs: Vec<PathBuf> = published.iter().map(|p| parent_dir(p)).collect();
        dirs.dedup();
        for d in dirs {
            sync_dir(&d);
        }
        Ok(())
    }
}
