//! The records of a text run (see [`crate::TextRun`]) written from a template: the run's
//! records differ only in the texts of a few columns (counts and the report date), so
//! their output is the same constant texts around those, rendered once per run.
//!
//! Why: handing a row over as cells and rendering them cost about 650 instructions (the
//! cells built, a record and a sort key per row, each number formatted, each date looked
//! up); copying the constant texts and the row's own in place costs about 230
//! (BENCHMARKS.md, session 7). Converting a large download is mostly this.

use std::mem::MaybeUninit;

use crate::record::{Cell, TextRun};

/// How one varying column's text is written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Slot {
    /// As it is; an empty text (a null) as `null`.
    Bare {
        /// What an empty text is written as.
        null: &'static [u8],
    },
    /// Between quotes (a JSON string); an empty text as `null`.
    Quoted,
}

/// Bytes of constant text copied at once: a copy of a constant size is a few moves, where
/// copying a short slice of any length is a call to `memcpy` or a loop.
const PART: usize = 64;

/// A varying text of at most this many bytes is copied in place, as at most two word
/// copies: counts have at most 18 digits in a run and dates 10 characters.
const TEXT: usize = 32;

/// Up to [`PART`] bytes of constant text (padded), then maybe a varying text's place.
#[derive(Debug, Clone)]
struct Part {
    bytes: [u8; PART],
    len: usize,
    slot: Option<Slot>,
}

/// Builds a [`Template`] from its parts in output order.
pub(super) struct Builder {
    /// Each constant text and the slot after it (none after the last).
    segments: Vec<(Vec<u8>, Option<Slot>)>,
    current: Vec<u8>,
}

impl Builder {
    /// Appends constant text.
    pub(super) fn text(&mut self, text: &[u8]) {
        self.current.extend_from_slice(text);
    }

    /// Appends the next varying column's place.
    pub(super) fn slot(&mut self, slot: Slot) {
        let segment = std::mem::take(&mut self.current);
        self.segments.push((segment, Some(slot)));
    }

    /// The template, for the run `made_for`.
    pub(super) fn finish(mut self, made_for: &TextRun<'_>) -> Template {
        self.segments
            .push((std::mem::take(&mut self.current), None));
        // A segment longer than a part is cut into parts, the slot after the last.
        let mut parts = Vec::new();
        for (segment, slot) in &self.segments {
            let pieces = segment.chunks(PART).count().max(1);
            for (k, piece) in segment
                .chunks(PART)
                .chain([&[][..]])
                .take(pieces)
                .enumerate()
            {
                let mut bytes = [0; PART];
                bytes[..piece.len()].copy_from_slice(piece);
                parts.push(Part {
                    bytes,
                    len: piece.len(),
                    slot: if k + 1 == pieces { *slot } else { None },
                });
            }
        }
        let slots = parts.iter().filter(|p| p.slot.is_some()).count();
        // Every part copied whole, and per slot the widest text and its quotes.
        let longest = parts.len() * PART + slots * (TEXT + 2);
        let (varying, base) = made_for_key(made_for);
        Template {
            parts,
            varying,
            base,
            longest,
        }
    }
}

/// What a template depends on: the run's varying columns and its base's other cells.
fn made_for_key(run: &TextRun<'_>) -> (Vec<usize>, Vec<Cell>) {
    let base = run
        .base
        .cells
        .iter()
        .enumerate()
        .map(|(i, cell)| {
            if run.varying.contains(&i) {
                Cell::Null
            } else {
                cell.clone()
            }
        })
        .collect();
    (run.varying.to_vec(), base)
}

/// The output of a text run's records: constant texts around the varying ones.
#[derive(Debug, Clone)]
pub(super) struct Template {
    /// The constant texts in parts of at most [`PART`] bytes, each with the slot after it.
    parts: Vec<Part>,
    /// The run it was made for (see [`Template::is_for`]).
    varying: Vec<usize>,
    base: Vec<Cell>,
    /// The most bytes writing a record in parts touches: every part copied whole, and per
    /// slot the widest text in place and its quotes.
    longest: usize,
}

impl Template {
    /// A builder of a template.
    pub(super) fn builder() -> Builder {
        Builder {
            segments: Vec::new(),
            current: Vec::new(),
        }
    }

    /// Whether this template writes the records of `run`: the same varying columns, and
    /// the same base cells outside them. Runs of one file mostly are.
    pub(super) fn is_for(&self, run: &TextRun<'_>) -> bool {
        self.varying == run.varying
            && self.base.len() == run.base.cells.len()
            && self
                .base
                .iter()
                .zip(run.base.cells)
                .enumerate()
                .all(|(i, (a, b))| a == b || self.varying.contains(&i))
    }

    /// Appends the record whose varying texts are `texts` (one per slot) to `out`.
    #[inline]
    pub(super) fn put(&self, texts: &[&[u8]], out: &mut Vec<u8>) {
        if self.assemble(texts, out) {
            return;
        }
        let mut texts = texts.iter();
        for part in &self.parts {
            out.extend_from_slice(&part.bytes[..part.len]);
            let Some(slot) = &part.slot else { continue };
            match (slot, texts.next().copied().unwrap_or_default()) {
                (Slot::Bare { null }, []) => out.extend_from_slice(null),
                (Slot::Quoted, []) => out.extend_from_slice(b"null"),
                (Slot::Bare { .. }, text) => out.extend_from_slice(text),
                (Slot::Quoted, text) => {
                    out.push(b'"');
                    out.extend_from_slice(text);
                    out.push(b'"');
                }
            }
        }
    }

    /// Writes the record straight into `out`'s spare room, each part copied whole (its
    /// padding overwritten by what follows, or left past the end); `false`, having written
    /// nothing, when a text is longer than [`TEXT`] bytes.
    #[inline(always)]
    fn assemble(&self, texts: &[&[u8]], out: &mut Vec<u8>) -> bool {
        out.reserve(self.longest);
        let room = &mut out.spare_capacity_mut()[..self.longest];
        let mut texts = texts.iter();
        let mut at = 0;
        for part in &self.parts {
            write_array(&mut room[at..], part.bytes);
            at += part.len;
            if let Some(slot) = part.slot {
                let text = texts.next().copied().unwrap_or_default();
                if text.len() > TEXT {
                    return false;
                }
                at = put_slot(room, at, slot, text);
            }
        }
        let len = out.len() + at;
        // SAFETY: the `at` bytes after the old length were all written above: each part's
        // text and each slot's, one after another from the old length on.
        unsafe { out.set_len(len) };
        true
    }
}

/// Copies `src` to the front of `dst`, as moves of its constant size.
#[inline(always)]
fn write_array<const N: usize>(dst: &mut [MaybeUninit<u8>], src: [u8; N]) {
    dst[..N].copy_from_slice(&src.map(MaybeUninit::new));
}

/// The first `N` bytes of `text` (at least `N` long).
#[inline(always)]
fn head<const N: usize>(text: &[u8]) -> [u8; N] {
    text[..N].try_into().unwrap_or([0; N])
}

/// The last `N` bytes of `text` (at least `N` long).
#[inline(always)]
fn tail<const N: usize>(text: &[u8]) -> [u8; N] {
    text[text.len() - N..].try_into().unwrap_or([0; N])
}

/// Writes one slot's text (at most [`TEXT`] bytes) into `buf` at `at`; where it ends.
#[inline(always)]
fn put_slot(buf: &mut [MaybeUninit<u8>], at: usize, slot: Slot, text: &[u8]) -> usize {
    match (slot, text) {
        (Slot::Bare { null }, []) => put_short(buf, at, null),
        (Slot::Quoted, []) => put_short(buf, at, b"null"),
        (Slot::Bare { .. }, text) => put_short(buf, at, text),
        (Slot::Quoted, text) => {
            buf[at].write(b'"');
            let end = put_short(buf, at + 1, text);
            buf[end].write(b'"');
            end + 1
        }
    }
}

/// Copies a short `text` into `buf` at `at` as at most two overlapping word copies, without
/// a call; where it ends.
#[inline(always)]
fn put_short(buf: &mut [MaybeUninit<u8>], at: usize, text: &[u8]) -> usize {
    let n = text.len();
    let dst = &mut buf[at..at + n];
    match n {
        16.. => {
            for (d, &t) in dst.iter_mut().zip(text) {
                d.write(t);
            }
        }
        8..=15 => {
            write_array(dst, head::<8>(text));
            write_array(&mut dst[n - 8..], tail::<8>(text));
        }
        4..=7 => {
            write_array(dst, head::<4>(text));
            write_array(&mut dst[n - 4..], tail::<4>(text));
        }
        _ => {
            for (d, &t) in dst.iter_mut().zip(text) {
                d.write(t);
            }
        }
    }
    at + n
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        /// In place or piece by piece (a text over `TEXT` bytes), a template writes its
        /// segments and texts in turn.
        #[test]
        fn a_template_writes_segments_and_texts_in_turn(
            parts in prop::collection::vec(("[a-z,{}\":]{0,70}", any::<bool>()), 1..6),
            last in "[a-z}]{0,40}",
            texts in prop::collection::vec("[0-9]{0,40}", 6),
        ) {
            let mut builder = Template::builder();
            let mut want = Vec::new();
            for ((segment, quoted), text) in parts.iter().zip(&texts) {
                builder.text(segment.as_bytes());
                let slot = if *quoted { Slot::Quoted } else { Slot::Bare { null: b"null" } };
                builder.slot(slot);
                want.extend_from_slice(segment.as_bytes());
                match (quoted, text.is_empty()) {
                    (_, true) => want.extend_from_slice(b"null"),
                    (true, false) => want.extend_from_slice(format!("\"{text}\"").as_bytes()),
                    (false, false) => want.extend_from_slice(text.as_bytes()),
                }
            }
            builder.text(last.as_bytes());
            want.extend_from_slice(last.as_bytes());
            let cells = [Cell::Null];
            let run = TextRun {
                base: crate::Record { report: &test_report(), line: 1, cells: &cells },
                varying: &[],
                first_day: chrono::NaiveDate::MIN,
            };
            // Texts of more than `TEXT` bytes take the piece by piece path.
            let template = builder.finish(&run);
            let texts: Vec<&[u8]> = texts.iter().map(|t| t.as_bytes()).collect();
            let mut out = b"before".to_vec();
            template.put(&texts[..parts.len()], &mut out);
            prop_assert_eq!(&out[..6], b"before");
            prop_assert_eq!(String::from_utf8_lossy(&out[6..]), String::from_utf8_lossy(&want));
        }
    }

    fn test_report() -> std::sync::Arc<crate::schema::Report> {
        let registry = crate::schema::Registry::builtin().unwrap();
        registry.find("GroupCounts").unwrap().clone()
    }
}
