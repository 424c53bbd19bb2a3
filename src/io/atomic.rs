//! Atomic output files: write to a temporary file in the target's directory, flush and fsync
//! it, then rename it over the target. A failed write leaves neither a partial output nor a
//! stray temporary file behind.
//!
//! [`check_writable`] lets a command fail fast, before a long computation, when its output
//! could not be written anyway (missing directory, no permission).

use crate::{Error, Result};
use std::fs::{File, OpenOptions};
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

/// Distinguishes temporary files created by one process.
static COUNTER: AtomicU64 = AtomicU64::new(0);

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

/// A fresh temporary-file path next to `path`: `.{name}.tmp-{pid}-{counter}`.
fn temp_path(path: &Path) -> Result<PathBuf> {
    let name = file_name(path)?;
    let n = COUNTER.fetch_add(1, Ordering::Relaxed);
    Ok(parent_dir(path).join(format!(".{name}.tmp-{}-{n}", std::process::id())))
}

/// Create a new temporary file next to `path` (never overwriting an existing one).
fn create_temp(path: &Path) -> Result<(PathBuf, File)> {
    let dir = parent_dir(path);
    let mut last = None;
    // A leftover file of the same name (a crashed run with a recycled pid) is skipped.
    for _ in 0..16 {
        let tmp = temp_path(path)?;
        match OpenOptions::new().write(true).create_new(true).open(&tmp) {
            Ok(f) => return Ok((tmp, f)),
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => last = Some(e),
            Err(e) => return Err(describe_dir_error(path, &dir, e)),
        }
    }
    let e = last.unwrap_or_else(|| std::io::Error::other("temporary file name collision"));
    Err(describe_dir_error(path, &dir, e))
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
    let (tmp, file) = create_temp(path)?;
    drop(file);
    // Best effort: the check itself succeeded even if the probe cannot be removed.
    let _ = std::fs::remove_file(&tmp);
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
    if path.is_dir() {
        return Err(is_dir_error(path));
    }
    let (tmp, file) = create_temp(path)?;
    let fail = |source: std::io::Error| {
        let _ = std::fs::remove_file(&tmp);
        Error::Io {
            path: path.to_path_buf(),
            source,
            usage: false,
        }
    };
    let mut w = BufWriter::with_capacity(1 << 16, file);
    if let Err(e) = f(&mut w) {
        drop(w);
        return Err(fail(e));
    }
    let file = match w.into_inner() {
        Ok(file) => file,
        Err(e) => {
            let source = std::io::Error::new(e.error().kind(), e.error().to_string());
            drop(e);
            return Err(fail(source));
        }
    };
    if let Err(e) = file.sync_all() {
        drop(file);
        return Err(fail(e));
    }
    drop(file);
    if let Err(e) = std::fs::rename(&tmp, path) {
        return Err(fail(e));
    }
    sync_dir(&parent_dir(path));
    Ok(())
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
