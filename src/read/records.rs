//! CSV records straight from `csv_core`, with their source bytes at hand.
//!
//! The `csv` crate's `Reader` builds its parser tables for every file (a fifth of the time on a
//! folder of 12,000 small downloads) and hides the text a record came from. Driving `csv_core`
//! directly lets each thread build its parser once and reuse it for every file, and keeps each record's raw bytes in
//! our own buffer for diagnostics, with a limit on how long one record may grow.

use std::cell::RefCell;
use std::io::{self, Read};

use csv_core::ReadRecordResult;

/// Why reading stopped early.
#[derive(Debug, thiserror::Error)]
pub(crate) enum RecordsError {
    /// One record is longer than the limit (a runaway quote, or not a report at all).
    #[error("a record is longer than {0} bytes")]
    TooLong(usize),
    /// The input could not be read.
    #[error(transparent)]
    Io(#[from] io::Error),
}

/// Bytes before the current record that are kept before the buffer is compacted.
const SLACK: usize = 64 * 1024;

/// One CSV record's fields, borrowed from the reader.
///
/// Field `i` ends at `ends[i]` in `fields`; the next starts `gap` bytes later: 0 where the
/// parser wrote unquoted fields back to back, 1 where `fields` is the record's own text and
/// a comma sits between fields.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Row<'a> {
    fields: &'a [u8],
    ends: &'a [usize],
    gap: usize,
}

impl<'a> Row<'a> {
    /// Number of fields.
    pub(crate) fn len(&self) -> usize {
        self.ends.len()
    }

    /// Field `i`, unquoted.
    pub(crate) fn get(&self, i: usize) -> Option<&'a [u8]> {
        let (start, end) = self.span(i)?;
        self.fields.get(start..end)
    }

    /// Where field `i` starts and ends in the record's text, when the fields are that text
    /// (as [`Lines`] gives them).
    pub(crate) fn span(&self, i: usize) -> Option<(usize, usize)> {
        let end = *self.ends.get(i)?;
        let start = if i == 0 {
            0
        } else {
            self.ends[i - 1] + self.gap
        };
        Some((start, end))
    }

    /// All fields' bytes, concatenated.
    pub(crate) fn as_slice(&self) -> &'a [u8] {
        &self.fields[..self.ends.last().copied().unwrap_or(0)]
    }

    /// The fields in order.
    pub(crate) fn iter(&self) -> impl Iterator<Item = &'a [u8]> + '_ {
        (0..self.len()).filter_map(|i| self.get(i))
    }
}

/// What one thread's readers reuse from file to file: a built parser and the buffers.
struct Spare {
    core: csv_core::Reader,
    buf: Vec<u8>,
    fields: Vec<u8>,
    ends: Vec<usize>,
}

thread_local! {
    /// Returned here when a file is done: building the parser's tables and zeroing a fresh
    /// 64 KiB buffer per file cost more than reading a typical download.
    static SPARE: RefCell<Option<Spare>> = const { RefCell::new(None) };
}

/// The read buffer's size.
const BUFFER: usize = 64 * 1024;

/// Reads CSV records one at a time.
pub(crate) struct Records<R> {
    src: R,
    core: csv_core::Reader,
    buf: Vec<u8>,
    filled: usize,
    pos: usize,
    start: usize,
    eof: bool,
    fields: Vec<u8>,
    ends: Vec<usize>,
    count: usize,
    raw_start: usize,
    record_line: u64,
    /// The line count when the record being read started.
    line_before: u64,
    /// Lines before the first byte of `src` (the parser counts from 1).
    line_offset: u64,
    limit: usize,
    /// `src` goes on a file read before: nothing it starts with is a byte-order mark, which
    /// `csv_core` drops at the start of its input (a `cat` of two downloads has one in the
    /// middle, and its cell is reported as it is).
    within: bool,
}

impl<R: Read> Records<R> {
    /// A reader of comma-separated records from `src`; records over `limit` bytes are refused.
    pub(crate) fn new(src: R, limit: usize) -> Records<R> {
        Records::starting_at(src, limit, 1)
    }

    /// A reader of records from `src`, whose first byte is on line `line` of its file (after
    /// line 1, a byte-order mark there is text, not skipped).
    pub(crate) fn starting_at(src: R, limit: usize, line: u64) -> Records<R> {
        // `csv_core::Reader`'s `Clone` does not copy its DFA, so parsers are reused, not cloned.
        let spare = SPARE
            .with(|p| p.borrow_mut().take())
            .unwrap_or_else(|| Spare {
                core: csv_core::ReaderBuilder::new().build(),
                buf: vec![0; BUFFER],
                fields: vec![0; 1024],
                ends: vec![0; 16],
            });
        Records {
            src,
            core: spare.core,
            buf: spare.buf,
            filled: 0,
            pos: 0,
            start: 0,
            eof: false,
            fields: spare.fields,
            ends: spare.ends,
            count: 0,
            raw_start: 0,
            record_line: line,
            line_before: 0,
            line_offset: line - 1,
            limit,
            within: line > 1,
        }
    }

    /// Reads the next record; `false` at the end of the input.
    pub(crate) fn advance(&mut self) -> Result<bool, RecordsError> {
        if self.pos > SLACK {
            self.buf.copy_within(self.pos..self.filled, 0);
            self.filled -= self.pos;
            self.pos = 0;
        }
        self.start = self.pos;
        let line_before = self.core.line() + self.line_offset;
        self.line_before = line_before;
        let (mut out, mut nends) = (0, 0);
        loop {
            if self.pos == self.filled && !self.eof {
                self.fill()?;
            }
            let mut input = &self.buf[self.pos..self.filled];
            if self.within {
                // One byte first: `csv_core` strips a BOM only when it sees all three at once.
                input = &input[..input.len().min(1)];
                self.within = input.is_empty() && !self.eof;
            }
            let at_end = input.is_empty();
            let (result, nin, nout, nend) =
                self.core
                    .read_record(input, &mut self.fields[out..], &mut self.ends[nends..]);
            self.pos += nin;
            out += nout;
            nends += nend;
            match result {
                ReadRecordResult::InputEmpty if at_end && self.eof => return Ok(false),
                ReadRecordResult::InputEmpty => {}
                ReadRecordResult::OutputFull => {
                    // The unquoted fields are never longer than the record's text, so fields
                    // filling `limit` bytes mean a record over the limit.
                    if self.fields.len() >= self.limit {
                        return Err(RecordsError::TooLong(self.limit));
                    }
                    let grow = self.fields.len();
                    self.fields
                        .resize((grow * 2).min(self.limit.max(grow + 1)), 0);
                }
                ReadRecordResult::OutputEndsFull => {
                    let grow = self.ends.len();
                    self.ends.resize(grow * 2, 0);
                }
                ReadRecordResult::Record => {
                    self.count = nends;
                    // A CRLF record ends at its `\r`; the `\n` is read as the start of the
                    // next one, so line ends before the first character are skipped here.
                    let mut first = self.start;
                    let mut line = line_before;
                    while first < self.pos && matches!(self.buf[first], b'\n' | b'\r') {
                        line += u64::from(self.buf[first] == b'\n');
                        first += 1;
                    }
                    // The read-ahead may hold a whole record longer than the limit.
                    let text = self.buf[first..self.pos]
                        .iter()
                        .rev()
                        .skip_while(|b| matches!(b, b'\n' | b'\r'))
                        .count();
                    if text > self.limit {
                        return Err(RecordsError::TooLong(self.limit));
                    }
                    self.raw_start = first;
                    self.record_line = line;
                    return Ok(true);
                }
                ReadRecordResult::End => return Ok(false),
            }
        }
    }

    fn fill(&mut self) -> Result<(), RecordsError> {
        if self.filled - self.start > self.limit {
            return Err(RecordsError::TooLong(self.limit));
        }
        if self.filled == self.buf.len() {
            let grow = self.buf.len();
            self.buf.resize(grow * 2, 0);
        }
        loop {
            match self.src.read(&mut self.buf[self.filled..]) {
                Ok(0) => {
                    self.eof = true;
                    return Ok(());
                }
                Ok(n) => {
                    self.filled += n;
                    return Ok(());
                }
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(e.into()),
            }
        }
    }

    /// The current record's fields.
    pub(crate) fn row(&self) -> Row<'_> {
        Row {
            fields: &self.fields,
            ends: &self.ends[..self.count],
            gap: 0,
        }
    }

    /// The line the record being read (or that failed to read) starts on.
    pub(crate) fn pending_line(&self) -> u64 {
        let mut line = self.line_before;
        for &b in self.buf[self.start..self.filled].iter() {
            match b {
                b'\n' => line += 1,
                b'\r' => {}
                _ => break,
            }
        }
        line
    }

    /// Hands over what was read ahead but not parsed, with the line its first byte is on and
    /// whether the source is exhausted; the caller reads the rest from [`Records::source`].
    /// Call only between records.
    pub(crate) fn take_rest(&mut self) -> (Vec<u8>, u64, bool) {
        let rest = self.buf[self.pos..self.filled].to_vec();
        self.pos = self.filled;
        (rest, self.core.line() + self.line_offset, self.eof)
    }

    /// The underlying reader.
    pub(crate) fn source(&mut self) -> &mut R {
        &mut self.src
    }

    /// The current record's source bytes (from its first character to its terminator) and
    /// the line it starts on.
    pub(crate) fn raw(&self) -> (&[u8], u64) {
        (&self.buf[self.raw_start..self.pos], self.record_line)
    }
}

/// Records of text known to hold no quote and no carriage return but before a line feed:
/// there every line feed ends a record and every comma ends a field, so records are split
/// with `memchr` instead of a parser's state machine. Blank lines are skipped, as `csv_core`
/// does.
pub(crate) struct Lines<'a> {
    text: &'a [u8],
    pos: usize,
    line: u64,
    ends: Vec<usize>,
    limit: usize,
}

impl<'a> Lines<'a> {
    /// The records of `text`, whose first byte is on line `line`.
    pub(crate) fn new(text: &'a [u8], line: u64, limit: usize) -> Lines<'a> {
        Lines {
            text,
            pos: 0,
            line,
            ends: Vec::with_capacity(16),
            limit,
        }
    }

    /// The text being read, where the next record starts in it and that record's line: for
    /// a caller that reads records of the usual shape itself, then moves on with
    /// [`Lines::skip_to`].
    pub(crate) fn position(&self) -> (&'a [u8], usize, u64) {
        (self.text, self.pos, self.line)
    }

    /// Goes on from `pos`, the start of line `line`, as found after [`Lines::position`].
    pub(crate) fn skip_to(&mut self, pos: usize, line: u64) {
        self.pos = pos;
        self.line = line;
    }

    /// The next record, its source bytes (terminator included) and its line; `Err` with the
    /// line of a record longer than the limit.
    pub(crate) fn next_record(&mut self) -> Result<Option<Line<'_, 'a>>, u64> {
        loop {
            let text = self.text;
            if self.pos >= text.len() {
                return Ok(None);
            }
            let start = self.pos;
            self.ends.clear();
            let end = split_line(text, start, &mut self.ends);
            let next = (end + 1).min(text.len());
            let line = self.line;
            self.line += u64::from(next > end);
            self.pos = next;
            let body = match text[start..end].split_last() {
                Some((b'\r', body)) => body,
                _ => &text[start..end],
            };
            if body.is_empty() {
                continue;
            }
            if body.len() > self.limit {
                return Err(line);
            }
            self.ends.push(body.len());
            let row = Row {
                fields: body,
                ends: &self.ends,
                gap: 1,
            };
            return Ok(Some((row, &text[start..next], line)));
        }
    }
}

/// Finds the end of the line starting at `start` (its line feed, or the end of `text`),
/// pushing where each comma before it is, relative to `start`, to `ends`.
///
/// Eight bytes at a time: fields are a few bytes long, so a search per field costs more
/// than the field, and a byte loop mispredicts at every comma. Each word yields the bytes
/// equal to a comma or a line feed as bits, taken lowest first.
fn split_line(text: &[u8], start: usize, ends: &mut Vec<usize>) -> usize {
    let mut at = start;
    while let Some(chunk) = text.get(at..at + 8) {
        let word = u64::from_le_bytes(chunk.try_into().unwrap_or([0; 8]));
        let line_ends = bytes_equal(word, b'\n');
        let mut commas = bytes_equal(word, b',');
        if line_ends != 0 {
            // Only the commas before the line feed.
            commas &= line_ends - 1;
        }
        while commas != 0 {
            ends.push(at + (commas.trailing_zeros() / 8) as usize - start);
            commas &= commas - 1;
        }
        if line_ends != 0 {
            return at + (line_ends.trailing_zeros() / 8) as usize;
        }
        at += 8;
    }
    while at < text.len() {
        match text[at] {
            b',' => ends.push(at - start),
            b'\n' => break,
            _ => {}
        }
        at += 1;
    }
    at
}

/// The commas and line feeds of a text, in order, found a block of bytes at a time: for a
/// reader that checks fields as it finds them (see `read::csv::ShortPath`), where splitting
/// a line first and checking its fields after would read each byte twice.
pub(crate) struct Stops<'a> {
    text: &'a [u8],
    /// Where the current block starts.
    base: usize,
    /// The stops of the current block not handed out yet, one bit per byte.
    mask: u64,
}

impl<'a> Stops<'a> {
    /// The stops of `text` from `pos` on.
    pub(crate) fn at(text: &'a [u8], pos: usize) -> Stops<'a> {
        Stops {
            text,
            base: pos,
            mask: stops_in_block(text, pos),
        }
    }

    /// Where the next comma or line feed is; `None` past the last one.
    #[inline]
    pub(crate) fn next(&mut self) -> Option<usize> {
        while self.mask == 0 {
            self.base += STOP_BLOCK;
            if self.base >= self.text.len() {
                return None;
            }
            self.mask = stops_in_block(self.text, self.base);
        }
        let at = self.base + self.mask.trailing_zeros() as usize;
        self.mask &= self.mask - 1;
        Some(at)
    }
}

/// Bytes per block of [`Stops`]: a whole row of a usual report fits in one, so a reader that
/// starts a cursor per row (see `read::csv::ShortPath`) rarely needs a second block, and the
/// test for one is predictable.
#[cfg(all(target_arch = "x86_64", target_feature = "sse2"))]
const STOP_BLOCK: usize = 64;
#[cfg(not(all(target_arch = "x86_64", target_feature = "sse2")))]
const STOP_BLOCK: usize = 8;

/// The commas and line feeds among the 64 bytes from `at`, one bit per byte, lowest first
/// (none past the end of `text`). SSE2 is part of every x86-64 processor: one comparison per
/// byte value for 16 bytes.
#[cfg(all(target_arch = "x86_64", target_feature = "sse2"))]
fn stops_in_block(text: &[u8], at: usize) -> u64 {
    use std::arch::x86_64::{
        __m128i, _mm_cmpeq_epi8, _mm_loadu_si128, _mm_movemask_epi8, _mm_or_si128, _mm_set1_epi8,
    };
    let mut padded = [0u8; STOP_BLOCK];
    let block = match text.get(at..at + STOP_BLOCK) {
        Some(block) => block,
        None => {
            let rest = text.get(at..).unwrap_or_default();
            padded[..rest.len()].copy_from_slice(rest);
            &padded[..]
        }
    };
    let mut stops = 0;
    for (k, chunk) in block.chunks_exact(16).enumerate() {
        // SAFETY: SSE2 is enabled for this build (the cfg above), which is what these
        // intrinsics need; the load reads the 16 bytes of `chunk`, and may read them unaligned.
        let found = unsafe {
            let v = _mm_loadu_si128(chunk.as_ptr().cast::<__m128i>());
            _mm_movemask_epi8(_mm_or_si128(
                _mm_cmpeq_epi8(v, _mm_set1_epi8(b',' as i8)),
                _mm_cmpeq_epi8(v, _mm_set1_epi8(b'\n' as i8)),
            ))
        };
        stops |= u64::from(found as u16) << (16 * k);
    }
    stops
}

/// The commas and line feeds among the 8 bytes from `at`, one bit per byte, lowest first.
#[cfg(any(test, not(all(target_arch = "x86_64", target_feature = "sse2"))))]
fn stops_in_word(text: &[u8], at: usize) -> u64 {
    let mut bytes = [0; 8];
    let rest = text.get(at..).unwrap_or_default();
    let n = rest.len().min(8);
    bytes[..n].copy_from_slice(&rest[..n]);
    let word = u64::from_le_bytes(bytes);
    let high = bytes_equal(word, b',') | bytes_equal(word, b'\n');
    // Byte k's bit (bit 8k after the shift) times 2^(56 - 7k) lands on bit 56 + k, and no
    // other product reaches the top byte or collides.
    ((high >> 7).wrapping_mul(0x0102_0408_1020_4080)) >> 56
}
#[cfg(not(all(target_arch = "x86_64", target_feature = "sse2")))]
use stops_in_word as stops_in_block;

/// The high bit of every byte of `word` that equals `byte`, and no other bit.
fn bytes_equal(word: u64, byte: u8) -> u64 {
    const LOW7: u64 = 0x7f7f_7f7f_7f7f_7f7f;
    let x = word ^ (u64::from(byte) * 0x0101_0101_0101_0101);
    // A byte of `x` is zero exactly where `word` holds `byte`: adding 0x7f to its low seven
    // bits sets its high bit unless all were zero, and `| x` catches a high bit of its own.
    !(((x & LOW7) + LOW7) | x | LOW7)
}

/// A record read by [`Lines`]: its fields, its source bytes and its line.
pub(crate) type Line<'r, 'a> = (Row<'r>, &'a [u8], u64);

/// The number of line feeds in `text` if it can be read with [`Lines`] (see [`is_plain`]).
///
/// One pass over the text, sixteen bytes at a time, rather than a search per carriage return
/// and another per line feed: a CRLF file has two of each per row, and the thread cutting a
/// large file into pieces does this for all of it while the others check.
#[cfg(all(target_arch = "x86_64", target_feature = "sse2"))]
pub(crate) fn plain_lines(text: &[u8]) -> Option<u64> {
    if std::arch::is_x86_feature_detected!("avx2") {
        // SAFETY: the processor has AVX2, checked just above.
        return unsafe { plain_lines_avx2(text) };
    }
    plain_lines_sse2(text)
}

/// [`plain_lines`] 32 bytes at a time, on processors with AVX2 (most x86-64 since 2013):
/// half the instructions of the SSE2 pass, on the thread that cuts a large file into pieces
/// while the others check them.
///
/// # Safety
/// The processor must support AVX2.
#[cfg(all(target_arch = "x86_64", target_feature = "sse2"))]
#[target_feature(enable = "avx2")]
unsafe fn plain_lines_avx2(text: &[u8]) -> Option<u64> {
    use std::arch::x86_64::{
        __m256i, _mm256_andnot_si256, _mm256_cmpeq_epi8, _mm256_extract_epi64, _mm256_loadu_si256,
        _mm256_movemask_epi8, _mm256_or_si256, _mm256_sad_epu8, _mm256_set1_epi8,
        _mm256_setzero_si256, _mm256_sub_epi8,
    };
    // As in the SSE2 pass: blocks of 32 bytes, each with the byte after it at hand; the
    // bytes after the last whole block are looked at one by one.
    let blocks = text.len().saturating_sub(1) / 32;
    let (mut lines, mut bad) = (0u64, false);
    // SAFETY: AVX2 is available (this function's contract); every load reads 32 bytes of
    // `text` (block `i` and the 32 bytes one further, which end at most at its last byte),
    // and may read them unaligned.
    unsafe {
        let (quote, cr, lf) = (
            _mm256_set1_epi8(b'"' as i8),
            _mm256_set1_epi8(b'\r' as i8),
            _mm256_set1_epi8(b'\n' as i8),
        );
        let mut refused = _mm256_setzero_si256();
        for group in (0..blocks).step_by(255) {
            let mut counts = _mm256_setzero_si256();
            for i in group..blocks.min(group + 255) {
                let at = text.as_ptr().add(32 * i);
                let here = _mm256_loadu_si256(at.cast::<__m256i>());
                let next = _mm256_loadu_si256(at.add(1).cast::<__m256i>());
                let crs = _mm256_cmpeq_epi8(here, cr);
                refused = _mm256_or_si256(refused, _mm256_cmpeq_epi8(here, quote));
                refused = _mm256_or_si256(
                    refused,
                    _mm256_andnot_si256(_mm256_cmpeq_epi8(next, lf), crs),
                );
                counts = _mm256_sub_epi8(counts, _mm256_cmpeq_epi8(here, lf));
            }
            let sums = _mm256_sad_epu8(counts, _mm256_setzero_si256());
            lines += (_mm256_extract_epi64::<0>(sums)
                + _mm256_extract_epi64::<1>(sums)
                + _mm256_extract_epi64::<2>(sums)
                + _mm256_extract_epi64::<3>(sums)) as u64;
        }
        bad |= _mm256_movemask_epi8(refused) != 0;
    }
    let tail = &text[32 * blocks..];
    bad |= !is_plain(tail);
    lines += tail.iter().filter(|&&b| b == b'\n').count() as u64;
    (!bad).then_some(lines)
}

/// [`plain_lines`] on any x86-64 processor (SSE2 is part of the baseline).
#[cfg(all(target_arch = "x86_64", target_feature = "sse2"))]
fn plain_lines_sse2(text: &[u8]) -> Option<u64> {
    use std::arch::x86_64::{
        __m128i, _mm_andnot_si128, _mm_cmpeq_epi8, _mm_loadu_si128, _mm_movemask_epi8,
        _mm_or_si128, _mm_sad_epu8, _mm_set1_epi8, _mm_setzero_si128, _mm_storeu_si128,
        _mm_sub_epi8,
    };
    // Blocks of 16 bytes, each with the byte after it at hand (a carriage return there needs
    // a line feed next); the few bytes after the last whole block are looked at one by one.
    let blocks = text.len().saturating_sub(1) / 16;
    let (mut lines, mut bad) = (0u64, false);
    // SAFETY: SSE2 is enabled for this build (the cfg above), which is what these
    // intrinsics need; every load reads 16 bytes of `text` (block `i` and the 16 bytes one
    // further, which end at most at its last byte), and may read them unaligned; the store
    // writes the 16 bytes of `sums`.
    unsafe {
        let (quote, cr, lf) = (
            _mm_set1_epi8(b'"' as i8),
            _mm_set1_epi8(b'\r' as i8),
            _mm_set1_epi8(b'\n' as i8),
        );
        let mut refused = _mm_setzero_si128();
        // Line feeds are counted per byte lane (a comparison is -1 where one is), up to 255
        // blocks at a time, then summed.
        for group in (0..blocks).step_by(255) {
            let mut counts = _mm_setzero_si128();
            for i in group..blocks.min(group + 255) {
                let at = text.as_ptr().add(16 * i);
                let here = _mm_loadu_si128(at.cast::<__m128i>());
                let next = _mm_loadu_si128(at.add(1).cast::<__m128i>());
                let crs = _mm_cmpeq_epi8(here, cr);
                refused = _mm_or_si128(refused, _mm_cmpeq_epi8(here, quote));
                refused = _mm_or_si128(refused, _mm_andnot_si128(_mm_cmpeq_epi8(next, lf), crs));
                counts = _mm_sub_epi8(counts, _mm_cmpeq_epi8(here, lf));
            }
            let mut sums = [0u64; 2];
            _mm_storeu_si128(
                sums.as_mut_ptr().cast::<__m128i>(),
                _mm_sad_epu8(counts, _mm_setzero_si128()),
            );
            lines += sums[0] + sums[1];
        }
        bad |= _mm_movemask_epi8(refused) != 0;
    }
    let tail = &text[16 * blocks..];
    bad |= !is_plain(tail);
    lines += tail.iter().filter(|&&b| b == b'\n').count() as u64;
    (!bad).then_some(lines)
}

/// The number of line feeds in `text` if it can be read with [`Lines`] (see [`is_plain`]).
#[cfg(not(all(target_arch = "x86_64", target_feature = "sse2")))]
pub(crate) fn plain_lines(text: &[u8]) -> Option<u64> {
    is_plain(text).then(|| memchr::memchr_iter(b'\n', text).count() as u64)
}

/// Whether `text` can be read with [`Lines`]: no quote anywhere, and a carriage return only
/// right before a line feed.
pub(crate) fn is_plain(text: &[u8]) -> bool {
    memchr::memchr2_iter(b'"', b'\r', text)
        .all(|i| text[i] == b'\r' && text.get(i + 1) == Some(&b'\n'))
}

impl<R> Drop for Records<R> {
    fn drop(&mut self) {
        let mut core = std::mem::take(&mut self.core);
        core.reset();
        // A buffer grown for one huge record is not kept for the next file.
        let mut buf = std::mem::take(&mut self.buf);
        if buf.len() > BUFFER {
            buf = vec![0; BUFFER];
        }
        let mut fields = std::mem::take(&mut self.fields);
        if fields.len() > BUFFER {
            fields = vec![0; 1024];
        }
        let spare = Spare {
            core,
            buf,
            fields,
            ends: std::mem::take(&mut self.ends),
        };
        SPARE.with(|p| *p.borrow_mut() = Some(spare));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    proptest::proptest! {
        #[test]
        fn plain_lines_is_is_plain_and_a_count(
            text in proptest::collection::vec(proptest::sample::select(b"ab,\r\n\"\x80".to_vec()), 0..300),
            skip in 0usize..17,
        ) {
            let text = &text[skip.min(text.len())..];
            let want = is_plain(text).then(|| text.iter().filter(|&&b| b == b'\n').count() as u64);
            proptest::prop_assert_eq!(plain_lines(text), want);
            #[cfg(all(target_arch = "x86_64", target_feature = "sse2"))]
            proptest::prop_assert_eq!(plain_lines_sse2(text), want);
        }
    }

    #[test]
    fn plain_lines_counts_past_255_blocks() {
        // Lane counters are summed every 255 blocks: a text of more lines than that per lane.
        let text = "2026-11-27,1,1,2026-11-26,7\r\n".repeat(700);
        assert_eq!(plain_lines(text.as_bytes()), Some(700));
        #[cfg(all(target_arch = "x86_64", target_feature = "sse2"))]
        assert_eq!(plain_lines_sse2(text.as_bytes()), Some(700));
        let mut bad = text.clone().into_bytes();
        bad[19_000] = b'\r';
        assert_eq!(plain_lines(&bad), None);
        bad[19_000] = b'"';
        assert_eq!(plain_lines(&bad), None);
    }

    #[test]
    fn stops_are_the_commas_and_line_feeds() {
        let mut text: Vec<u8> = (0..=255u8).chain(*b",,\n,a\n\n,").collect();
        text.extend(
            (0..300u32).map(|i| [b',', b'\n', b'x', 0x80, b'\r'][(i * i % 7 % 5) as usize]),
        );
        for start in 0..40 {
            let want: Vec<usize> = (start..text.len())
                .filter(|&i| matches!(text[i], b',' | b'\n'))
                .collect();
            let mut stops = Stops::at(&text, start);
            let got: Vec<usize> = std::iter::from_fn(|| stops.next()).collect();
            assert_eq!(got, want, "from {start}");
            for at in start..text.len() {
                let word = super::stops_in_word(&text, at);
                let naive = (0..8)
                    .filter(|&k| matches!(text.get(at + k), Some(b',' | b'\n')))
                    .fold(0u64, |m, k| m | 1 << k);
                assert_eq!(word, naive, "word at {at}");
            }
        }
    }

    #[test]
    fn bytes_equal_marks_exactly_the_bytes_equal() {
        for target in [b',', b'\n', 0, 0x7f, 0x80, 0xff] {
            for other in 0..=255u8 {
                for at in 0..8 {
                    let mut bytes = [other; 8];
                    bytes[at] = target;
                    let want = bytes
                        .iter()
                        .enumerate()
                        .filter(|(_, &b)| b == target)
                        .fold(0u64, |m, (i, _)| m | 0x80 << (8 * i));
                    assert_eq!(bytes_equal(u64::from_le_bytes(bytes), target), want);
                }
            }
        }
    }

    fn read_all(
        text: &[u8],
        limit: usize,
    ) -> Result<Vec<(Vec<String>, u64, String)>, RecordsError> {
        let mut records = Records::new(text, limit);
        let mut out = Vec::new();
        while records.advance()? {
            let fields = records
                .row()
                .iter()
                .map(|f| String::from_utf8_lossy(f).into_owned())
                .collect();
            let (raw, line) = records.raw();
            out.push((fields, line, String::from_utf8_lossy(raw).into_owned()));
        }
        Ok(out)
    }

    #[test]
    fn fields_lines_and_raw_text() {
        let rows = read_all(b"a,b\r\n\"x,\"\"y\",2\r\n3,\"multi\nline\"\n4,5", 1 << 20).unwrap();
        let fields: Vec<&Vec<String>> = rows.iter().map(|r| &r.0).collect();
        assert_eq!(
            fields,
            [
                &vec!["a", "b"],
                &vec!["x,\"y", "2"],
                &vec!["3", "multi\nline"],
                &vec!["4", "5"]
            ]
        );
        let lines: Vec<u64> = rows.iter().map(|r| r.1).collect();
        assert_eq!(lines, [1, 2, 3, 5]);
        assert!(rows[1].2.starts_with("\"x,\"\"y\",2"), "{:?}", rows[1].2);
    }

    #[test]
    fn a_bom_is_skipped_at_the_start_of_a_file_only() {
        let fields = |mut records: Records<&[u8]>| {
            assert!(records.advance().unwrap());
            String::from_utf8_lossy(records.row().get(0).unwrap()).into_owned()
        };
        let text = "\u{feff}a,b\n".as_bytes();
        assert_eq!(fields(Records::new(text, 100)), "a");
        assert_eq!(fields(Records::starting_at(text, 100, 7)), "\u{feff}a");
    }

    #[test]
    fn long_records_are_refused() {
        let long = format!("a,{}\n", "x".repeat(300_000));
        assert!(matches!(
            read_all(long.as_bytes(), 100_000),
            Err(RecordsError::TooLong(_))
        ));
        assert!(read_all(long.as_bytes(), 1 << 20).is_ok());
    }

    #[test]
    fn the_limit_is_the_limit_not_twice_it() {
        // Once read ahead whole, and once grown past the limit by doubling: both refused.
        for len in [150_000, 1_500_000] {
            let text = format!("a,b\n1,2\n\n3,{}\n", "x".repeat(len));
            let mut records = Records::new(text.as_bytes(), 100_000.min(len - 1));
            assert!(records.advance().unwrap());
            assert!(records.advance().unwrap());
            assert!(matches!(records.advance(), Err(RecordsError::TooLong(_))));
            assert_eq!(records.pending_line(), 4, "{len}");
        }
        let exact = format!("{}\r\n", "x".repeat(1000));
        assert!(read_all(exact.as_bytes(), 1000).is_ok());
        assert!(read_all(exact.as_bytes(), 999).is_err());
    }

    #[test]
    fn records_span_buffer_refills() {
        let mut text = String::from("h1,h2\n");
        for i in 0..20_000 {
            text.push_str(&format!("{i},{}\r\n", i * 2));
        }
        let rows = read_all(text.as_bytes(), 1 << 20).unwrap();
        assert_eq!(rows.len(), 20_001);
        assert_eq!(rows[20_000].0, ["19999", "39998"]);
        assert_eq!(rows[20_000].1, 20_001);
    }

    proptest::proptest! {
        /// On plain text, splitting lines gives the parser's records, lines and limits.
        #[test]
        fn lines_read_plain_text_as_the_parser_does(
            parts in proptest::collection::vec(proptest::prop_oneof![
                proptest::strategy::Just("a"), proptest::strategy::Just("12"),
                proptest::strategy::Just(","), proptest::strategy::Just("\n"),
                proptest::strategy::Just("\r\n"), proptest::strategy::Just(" "),
                proptest::strategy::Just("é"),
            ], 0..40),
            limit in 1usize..12,
        ) {
            let text: String = parts.concat();
            proptest::prop_assume!(is_plain(text.as_bytes()));
            let parsed = read_all(text.as_bytes(), limit);
            let mut lines = Lines::new(text.as_bytes(), 1, limit);
            let mut split = Vec::new();
            let outcome = loop {
                match lines.next_record() {
                    Ok(Some((row, _, line))) => split.push((
                        row.iter().map(|f| String::from_utf8_lossy(f).into_owned()).collect::<Vec<_>>(),
                        line,
                    )),
                    Ok(None) => break None,
                    Err(line) => break Some(line),
                }
            };
            match parsed {
                // The parser also counts blank lines before a record towards the limit; a
                // record just under it may pass here and not there, never the reverse.
                Ok(records) => {
                    proptest::prop_assert_eq!(outcome, None);
                    let records: Vec<_> = records.into_iter().map(|(f, l, _)| (f, l)).collect();
                    proptest::prop_assert_eq!(split, records);
                }
                Err(RecordsError::TooLong(_)) => {}
                Err(e) => proptest::prop_assert!(false, "{e}"),
            }
        }
    }
}
