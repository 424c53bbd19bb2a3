//! A buffered file writer that hands each finished chunk to the kernel's writeback while
//! writing goes on, so that the fsync of an atomic publish ([`super::Transaction::commit`])
//! waits for the last chunk or two instead of the whole file:
//!
//! ```text
//! after every CHUNK bytes (offset o):  start writeback of [o - CHUNK, o)            (no wait)
//!                                      wait for writeback of [0, o - (LAG+1) CHUNK) (bounds dirty pages)
//! ```
//!
//! On Linux by `sync_file_range(2)` (`SYNC_FILE_RANGE_WRITE`, then `WAIT_BEFORE | WRITE |
//! WAIT_AFTER` on the older range); the waits happen on the writing thread (a stream's writer
//! thread, not the computation). Elsewhere it is a plain `BufWriter`. Durability is still the
//! publisher's fsync: `sync_file_range` makes no promise about metadata or the disk's cache.
//! Errors of the writeback calls are ignored (the final fsync reports any real failure).

use std::fs::File;
use std::io::{BufWriter, Write};

/// Bytes per writeback chunk.
pub const CHUNK: u64 = 64 << 20;
/// Chunks that may be under writeback, not waited for, besides the newest: the writer waits
/// only when the disk is that far behind (256 MB), so a computation that outruns the disk for
/// a while is not slowed, and the dirty data per file stays bounded.
const LAG: u64 = 4;

/// A `BufWriter<File>` that starts writeback of each finished [`CHUNK`] (module docs).
///
/// ```
/// use std::io::Write;
/// let tmp = tempfile::NamedTempFile::new()?;
/// let mut w = ntk::io::atomic::WritebackFile::new(tmp.reopen()?);
/// w.write_all(&[1u8; 1000])?;
/// w.flush()?;
/// assert_eq!(std::fs::metadata(tmp.path())?.len(), 1000);
/// # Ok::<(), std::io::Error>(())
/// ```
#[derive(Debug)]
pub struct WritebackFile {
    inner: BufWriter<File>,
    /// Bytes written through this writer.
    written: u64,
    /// End of the range last handed to writeback.
    started: u64,
    /// Bytes per chunk ([`CHUNK`]).
    chunk: u64,
}

impl WritebackFile {
    /// Wrap `file` (positioned at its start) with a 1 MiB buffer.
    pub fn new(file: File) -> Self {
        Self::with_chunk(file, CHUNK)
    }

    fn with_chunk(file: File, chunk: u64) -> Self {
        WritebackFile {
            inner: BufWriter::with_capacity(1 << 20, file),
            written: 0,
            started: 0,
            chunk,
        }
    }

    /// Flush the buffer and start writeback of everything not yet started; wait for what lies
    /// more than `LAG` chunks before that.
    fn kick(&mut self) -> std::io::Result<()> {
        self.inner.flush()?;
        let (from, to) = (self.started, self.written);
        start_writeback(self.inner.get_ref(), from, to - from);
        if from >= LAG * self.chunk {
            wait_writeback(self.inner.get_ref(), from - LAG * self.chunk);
        }
        self.started = to;
        Ok(())
    }
}

impl Write for WritebackFile {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let n = self.inner.write(buf)?;
        self.written += n as u64;
        if self.written - self.started >= self.chunk {
            self.kick()?;
        }
        Ok(n)
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.inner.flush()
    }
}

#[cfg(target_os = "linux")]
fn start_writeback(f: &File, offset: u64, len: u64) {
    use std::os::fd::AsRawFd;
    // SAFETY: a plain syscall on an open descriptor; no memory is passed.
    unsafe {
        libc::sync_file_range(
            f.as_raw_fd(),
            offset as libc::off64_t,
            len as libc::off64_t,
            libc::SYNC_FILE_RANGE_WRITE,
        );
    }
}

#[cfg(target_os = "linux")]
fn wait_writeback(f: &File, len: u64) {
    use std::os::fd::AsRawFd;
    // SAFETY: as above.
    unsafe {
        libc::sync_file_range(
            f.as_raw_fd(),
            0,
            len as libc::off64_t,
            libc::SYNC_FILE_RANGE_WAIT_BEFORE
                | libc::SYNC_FILE_RANGE_WRITE
                | libc::SYNC_FILE_RANGE_WAIT_AFTER,
        );
    }
}

#[cfg(not(target_os = "linux"))]
fn start_writeback(_: &File, _: u64, _: u64) {}

#[cfg(not(target_os = "linux"))]
fn wait_writeback(_: &File, _: u64) {}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Read;

    #[test]
    fn bytes_arrive_in_order_across_chunks() {
        let tmp = tempfile::NamedTempFile::new().unwrap();
        let chunk = 3 << 20;
        let mut w = WritebackFile::with_chunk(tmp.reopen().unwrap(), chunk);
        // 6.5 chunks in pieces of ~0.95 MB: the later kicks wait on the ranges LAG chunks back
        let total = (13 * chunk / 2) as usize;
        let piece: Vec<u8> = (0..999_983u32).map(|i| (i % 251) as u8).collect();
        let mut n = 0;
        while n < total {
            let k = piece.len().min(total - n);
            w.write_all(&piece[..k]).unwrap();
            n += k;
        }
        w.flush().unwrap();
        // a kick after every 4 pieces (the first piece past a chunk); the rest only flushed
        assert_eq!(w.started, 20 * piece.len() as u64);
        assert_eq!(w.written, total as u64);
        let mut back = Vec::new();
        tmp.reopen().unwrap().read_to_end(&mut back).unwrap();
        assert_eq!(back.len(), total);
        for (i, chunk) in back.chunks(piece.len()).enumerate() {
            assert_eq!(chunk, &piece[..chunk.len()], "piece {i}");
        }
    }
}
