//! Facts about the file system an output goes to: free space (`statvfs`) and device id, so
//! that a command can refuse an output that cannot fit before computing it.

use std::path::Path;

/// Free space (bytes available to unprivileged users) of the file system holding `dir`, if
/// known (Unix `statvfs`; `None` elsewhere or on failure).
///
/// ```
/// let free = ntk::io::atomic::free_disk_bytes(&std::env::temp_dir());
/// assert!(free.is_none_or(|b| b > 0));
/// ```
pub fn free_disk_bytes(dir: &Path) -> Option<u64> {
    #[cfg(unix)]
    {
        use std::os::unix::ffi::OsStrExt;
        let c = std::ffi::CString::new(dir.as_os_str().as_bytes()).ok()?;
        let mut st = std::mem::MaybeUninit::<libc::statvfs>::uninit();
        // SAFETY: `c` is a valid NUL-terminated path and `st` a writable statvfs buffer;
        // the struct is read only if the call succeeds (returns 0).
        let rc = unsafe { libc::statvfs(c.as_ptr(), st.as_mut_ptr()) };
        if rc != 0 {
            return None;
        }
        // SAFETY: statvfs returned 0, so it filled `st`.
        let st = unsafe { st.assume_init() };
        #[allow(clippy::unnecessary_cast)]
        Some((st.f_bavail as u64).saturating_mul(st.f_frsize as u64))
    }
    #[cfg(not(unix))]
    {
        let _ = dir;
        None
    }
}

/// The device id of the file system holding `path` (Unix), to tell whether two outputs share
/// a file system; `None` if unknown.
///
/// ```
/// let d = std::env::temp_dir();
/// assert_eq!(ntk::io::atomic::device_of(&d), ntk::io::atomic::device_of(&d));
/// ```
pub fn device_of(path: &Path) -> Option<u64> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt;
        std::fs::metadata(path).ok().map(|m| m.dev())
    }
    #[cfg(not(unix))]
    {
        let _ = path;
        None
    }
}
