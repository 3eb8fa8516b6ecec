//! The short path: a row of the usual shape (a field per header cell, ASCII, every cell
//! passing its field rule, a line feed at its end) read and checked in one pass, its fields
//! found while they are checked rather than split first ([`ShortPath::row`]). A row of any
//! other shape is left, unreported, to the full path ([`super::full::check_row`]).
//!
//! Why: most rows of most files are of the usual shape, and a row read once rather than
//! split, then checked, costs a quarter to a third less CPU (BENCHMARKS.md, "CSV read
//! paths").

use super::full::{locate_column, same_bytes, Layout, Scratch};
use crate::check::Checker;
use crate::read::records::Stops;
use crate::record::Cell;
use crate::rules::field::CellReader;
use crate::schema::Kind;

/// The short path's state for one header cell.
pub(super) struct Slot<'t, 'k> {
    /// The schema column the cell holds, and its kind.
    column: usize,
    kind: &'k Kind,
    reader: CellReader,
    /// The cell's text in the row before (see [`ShortPath::valid`]).
    pub(super) previous: &'t [u8],
    /// Whether a cell is compared with the one before at all (see [`ShortPath::TRIAL`]).
    compare: bool,
    /// Cells found the same as the one before, in the first rows.
    repeats: u32,
}

/// Rows of the usual shape, checked without splitting them first ([`ShortPath::row`]).
pub(super) struct ShortPath<'t, 'k> {
    /// One per header cell; the last cell is the one a line feed ends.
    pub(super) slots: Vec<Slot<'t, 'k>>,
    /// The row before took the short path: the slots' texts and the scratch values are its
    /// own, so a cell with the same text keeps its value.
    pub(super) valid: bool,
    /// Rows read, up to [`ShortPath::TRIAL`].
    rows: u32,
}

impl<'t, 'k> ShortPath<'t, 'k> {
    /// The short path for a file's layout, if it can take it: every header cell holds a
    /// column and every column the file lacks is optional (its cells stay null, as
    /// [`super::full::check_row`] leaves them).
    pub(super) fn new(layout: &Layout<'k>) -> Option<ShortPath<'t, 'k>> {
        let lacks_required = layout
            .cell_of
            .iter()
            .zip(&layout.report.columns)
            .any(|(cell, column)| cell.is_none() && !column.optional);
        if lacks_required {
            return None;
        }
        let slots = layout
            .map
            .iter()
            .map(|column| {
                column.map(|column| Slot {
                    column,
                    kind: &layout.report.columns[column].kind,
                    reader: CellReader::default(),
                    previous: &[],
                    compare: true,
                    repeats: 0,
                })
            })
            .collect::<Option<Vec<_>>>()?;
        (!slots.is_empty()).then_some(ShortPath {
            slots,
            valid: false,
            rows: 0,
        })
    }

    /// Rows after which a column whose cells seldom repeat the row before's (a detail
    /// report's flags and dates, one user to the next) stops being compared: the
    /// comparison's outcome is a branch the processor cannot predict, which costs more
    /// than reading the cell again. Columns that repeat (the refresh date, the period, a
    /// counts report's dimension) keep their value.
    const TRIAL: u32 = 64;

    /// Reads and checks the row of plain text (see [`crate::read::records::is_plain`]) starting
    /// at `pos`, on line `line`, when it has the usual shape: as many fields as the header,
    /// ASCII only, every cell passing its field rule, a line feed at its end, no longer
    /// than the record limit. Returns where the next row starts; `None` when the row is of
    /// another shape, having reported nothing: the caller reads it with
    /// [`crate::read::records::Lines`] and checks it with [`super::full::check_row`].
    ///
    /// Fields are found while they are checked rather than split first: cells are a few
    /// bytes long, and most rows take this path. A cell whose text is the previous row's
    /// (the refresh date and the period repeat on every row of a download) keeps its
    /// value, compared in place rather than copied.
    pub(super) fn row(
        &mut self,
        text: &'t [u8],
        (pos, line): (usize, u64),
        layout: &Layout<'_>,
        scratch: &mut Scratch,
        checker: &mut Checker<'_>,
    ) -> Option<usize> {
        let Some(end) = self.cells(text, pos, &mut Stops::at(text, pos), scratch) else {
            self.valid = false;
            return None;
        };
        let raw = &text[pos..end];
        let body = raw.len() - 1 - usize::from(raw.ends_with(b"\r\n"));
        if body == 0 || body > checker.options.limits.max_record_bytes || !raw.is_ascii() {
            self.valid = false;
            return None;
        }
        self.valid = true;
        if self.rows < Self::TRIAL {
            self.rows += 1;
            if self.rows == Self::TRIAL {
                for slot in &mut self.slots {
                    // Most cells the same as the one before: worth comparing.
                    slot.compare = slot.repeats >= Self::TRIAL * 15 / 16;
                }
            }
        }
        checker.good_row(line, &scratch.cells, &|col| {
            locate_column(raw, line, layout.cell_of, col)
        });
        Some(end)
    }

    /// Reads the row's cells into `scratch`; where the next row starts, if every cell
    /// passed and the row has as many fields as the header.
    fn cells(
        &mut self,
        text: &'t [u8],
        pos: usize,
        stops: &mut Stops<'t>,
        scratch: &mut Scratch,
    ) -> Option<usize> {
        let valid = self.valid;
        let (last, slots) = self.slots.split_last_mut()?;
        let mut start = pos;
        // A comma ends every field but the last.
        for slot in slots {
            let end = stops.next()?;
            if text[end] != b',' {
                return None;
            }
            slot.take(&text[start..end], valid, &mut scratch.cells)?;
            start = end + 1;
        }
        let end = stops.next()?;
        if text[end] != b'\n' {
            return None;
        }
        let cell = match &text[start..end] {
            [cell @ .., b'\r'] => cell,
            cell => cell,
        };
        last.take(cell, valid, &mut scratch.cells)?;
        Some(end + 1)
    }
}

impl<'t> Slot<'t, '_> {
    /// Reads `cell` into `cells` unless it is the previous row's text (when `valid`);
    /// `None` if it fails its field rule.
    #[inline(always)]
    fn take(&mut self, cell: &'t [u8], valid: bool, cells: &mut [Cell]) -> Option<()> {
        if valid && self.compare && same_bytes(self.previous, cell) {
            self.repeats = self.repeats.wrapping_add(1);
            return Some(());
        }
        if !self
            .reader
            .read_into(self.kind, cell, &mut cells[self.column])
        {
            return None;
        }
        self.previous = cell;
        Some(())
    }
}
