//! A reader that remembers the bytes of the record being parsed.
//!
//! The csv crate hands out fields, not the text they came from; a diagnostic needs the source
//! line and the exact column. `Window` keeps the bytes from the current record's start, and
//! refuses to buffer a record longer than the limit, so a gigabyte-long line is an error, not
//! an out-of-memory abort.

use std::io::{self, Read};

/// The error a [`Window`] returns when one record outgrows the limit.
#[derive(Debug, thiserror::Error)]
#[error("a record is longer than {limit} bytes")]
pub(crate) struct RecordTooLong {
    pub(crate) limit: usize,
}

/// Keeps the bytes read since the current record began.
pub(crate) struct Window<R> {
    inner: R,
    buf: Vec<u8>,
    /// Offset in the stream of `buf[0]`.
    base: u64,
    /// Offset where the record being parsed starts.
    record: u64,
    limit: usize,
}

/// How much already-passed text is kept before the buffer is compacted.
const SLACK: usize = 256 * 1024;

impl<R: Read> Window<R> {
    pub(crate) fn new(inner: R, limit: usize) -> Window<R> {
        Window {
            inner,
            buf: Vec::with_capacity(64 * 1024),
            base: 0,
            record: 0,
            limit,
        }
    }

    /// Marks where the next record starts; earlier bytes may be forgotten.
    pub(crate) fn mark(&mut self, offset: u64) {
        self.record = offset;
        let passed = offset.saturating_sub(self.base) as usize;
        if passed > SLACK {
            self.buf.drain(..passed.min(self.buf.len()));
            self.base += passed as u64;
        }
    }

    /// The bytes from `offset` to what has been read so far, if still held.
    pub(crate) fn from(&self, offset: u64) -> Option<&[u8]> {
        let start = usize::try_from(offset.checked_sub(self.base)?).ok()?;
        self.buf.get(start..)
    }
}

impl<R: Read> Read for Window<R> {
    fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
        let pending = (self.base + self.buf.len() as u64).saturating_sub(self.record) as usize;
        if pending > self.limit {
            return Err(io::Error::other(RecordTooLong { limit: self.limit }));
        }
        let n = self.inner.read(out)?;
        self.buf.extend_from_slice(&out[..n]);
        Ok(n)
    }
}
