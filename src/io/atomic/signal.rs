//! Removal of the registered temporary files on SIGINT/SIGTERM: a `signal-hook` iterator
//! thread (a plain thread, not an async-signal handler, so it may take the registry's lock)
//! removes every file in the registry and exits with status `128 + signal`; holding the lock
//! until exit means no temporary file is created or published after the cleanup.

use super::temps;
use crate::{Error, Result};
use std::path::PathBuf;
use std::sync::OnceLock;

/// Remove every registered temporary file now (e.g. from a custom signal handler) and return
/// how many were removed. The files stay registered as removed; their transactions fail at
/// commit.
///
/// ```
/// assert_eq!(ntk::io::atomic::remove_temporaries(), 0);
/// ```
pub fn remove_temporaries() -> usize {
    let mut reg = temps();
    let n = reg
        .iter()
        .filter(|p| std::fs::remove_file(p).is_ok())
        .count();
    reg.clear();
    n
}

/// Install (once per process; later calls do nothing) a SIGINT/SIGTERM handler that removes
/// every registered temporary file and exits with status `128 + signal` (130 for SIGINT, 143
/// for SIGTERM). Call it at the start of a command that writes outputs; library code never
/// installs it on its own. Does nothing on non-Unix platforms.
///
/// # Errors
/// [`Error::Io`] (`usage: false`) if the handler cannot be installed.
///
/// ```
/// ntk::io::cleanup_on_signal()?;
/// ntk::io::cleanup_on_signal()?; // idempotent
/// # Ok::<(), ntk::Error>(())
/// ```
pub fn cleanup_on_signal() -> Result<()> {
    static INSTALLED: OnceLock<std::result::Result<(), String>> = OnceLock::new();
    INSTALLED
        .get_or_init(install_handler)
        .clone()
        .map_err(|msg| Error::Io {
            path: PathBuf::from("<signal handler>"),
            source: std::io::Error::other(msg),
            usage: false,
        })
}

#[cfg(unix)]
fn install_handler() -> std::result::Result<(), String> {
    use signal_hook::consts::{SIGINT, SIGTERM};
    let mut signals = signal_hook::iterator::Signals::new([SIGINT, SIGTERM])
        .map_err(|e| format!("cannot install the SIGINT/SIGTERM handler: {e}"))?;
    std::thread::Builder::new()
        .name("ntk-signals".to_string())
        .spawn(move || {
            if let Some(sig) = signals.forever().next() {
                // hold the lock until exit: no temporary file is created or published after
                // the cleanup
                let reg = temps();
                for p in reg.iter() {
                    let _ = std::fs::remove_file(p);
                }
                std::process::exit(128 + sig);
            }
        })
        .map(|_| ())
        .map_err(|e| format!("cannot start the signal thread: {e}"))
}

#[cfg(not(unix))]
fn install_handler() -> std::result::Result<(), String> {
    Ok(())
}
