//! The full path: a row of any shape (quoted fields, embedded line ends, a wrong field
//! count, text that is not UTF-8), read by the RFC 4180 parser ([`Records`], `csv_core`) or
//! split by [`crate::read::records::Lines`], then checked cell by cell from scratch
//! ([`check_row`]). Every file can be read this way alone ([`crate::CsvPath::Full`]); the
//! faster paths ([`super::short`], [`super::steady`]) take the rows of the usual shape, hand
//! every other row here, and are proved to find what this path finds.

use std::io::Read;

use crate::check::{Checker, Location};
use crate::diagnostic::{Code, Finding};
use crate::read::locate::{csv_fields, locate};
use crate::read::records::{Records, RecordsError, Row};
use crate::record::Cell;
use crate::rules::field::check_text_cell;
use crate::schema::Report;

/// Where the schema's columns are in this file's rows.
pub(super) struct Layout<'a> {
    pub(super) report: &'a Report,
    /// For each header cell, the schema column it holds.
    pub(super) map: &'a [Option<usize>],
    /// For each schema column, the header cell holding it.
    pub(super) cell_of: &'a [Option<usize>],
}

/// Per-row buffers of one file: the cells in schema order, whether each passed its field
/// rule, and, where `known`, the text each was read from (at most 16 bytes).
pub(super) struct Scratch {
    pub(super) cells: Vec<Cell>,
    pub(super) ok: Vec<bool>,
    pub(super) text: Vec<([u8; 16], usize)>,
    pub(super) known: Vec<bool>,
}

impl Scratch {
    pub(super) fn new(report: &Report) -> Scratch {
        let n = report.columns.len();
        Scratch {
            cells: vec![Cell::Null; n],
            ok: vec![false; n],
            text: vec![([0; 16], 0); n],
            known: vec![false; n],
        }
    }
}

/// Whether `raw` is the text kept in `kept`. A byte loop: a call to `memcmp` for a few bytes
/// cost more than the comparison.
fn same_text(kept: &([u8; 16], usize), raw: &[u8]) -> bool {
    kept.0
        .get(..kept.1)
        .is_some_and(|kept| same_bytes(kept, raw))
}

/// Checks the rows `records` has left, each through the parser and [`check_row`]: the rest
/// of a file once its text is not plain (quotes, bare carriage returns), or all of it when
/// the fast paths are not allowed.
pub(super) fn check_records<R: Read>(
    records: &mut Records<R>,
    layout: &Layout<'_>,
    checker: &mut Checker<'_>,
) {
    let mut scratch = Scratch::new(layout.report);
    loop {
        match records.advance() {
            Ok(true) => {}
            Ok(false) => return,
            Err(e) => {
                let line = records.pending_line();
                return read_error(checker, e, line);
            }
        }
        let (raw, line) = records.raw();
        check_row(&records.row(), layout, line, raw, &mut scratch, checker);
    }
}

/// Where schema column `col` of a row is (the row itself for `None` or a column the file
/// lacks): what findings of the record and file rules point at.
pub(super) fn locate_column(
    raw: &[u8],
    line: u64,
    cell_of: &[Option<usize>],
    col: Option<usize>,
) -> Location {
    locate_cell(raw, line, col.and_then(|j| cell_of[j]))
}

/// Where header cell `cell` of a row is (the row itself for `None` or a cell the row lacks).
fn locate_cell(raw: &[u8], line: u64, cell: Option<usize>) -> Location {
    match cell.and_then(|i| csv_fields(raw, b',').get(i).copied()) {
        Some((s, e)) => locate(raw, line, s, e - s),
        None => locate(raw, line, 0, 1),
    }
}

/// Checks one row of any shape from scratch: its field count, its text's UTF-8, every cell
/// against its field rule (reporting each refused cell where it is), then the record and
/// file rules through the checker. The reference every faster path is compared with.
pub(super) fn check_row(
    record: &Row<'_>,
    layout: &Layout<'_>,
    line: u64,
    raw: &[u8],
    scratch: &mut Scratch,
    checker: &mut Checker<'_>,
) {
    let Scratch {
        cells,
        ok,
        text,
        known,
        ..
    } = scratch;
    let Layout {
        report,
        map,
        cell_of,
    } = *layout;
    let at = |offset: usize, width: usize| locate(raw, line, offset, width);
    if record.len() != map.len() {
        let (found, want) = (record.len(), map.len());
        checker.push_with(Code::FieldCount.severity(), || {
            let loc = at(
                0,
                raw.iter()
                    .position(|&b| b == b'\n' || b == b'\r')
                    .unwrap_or(raw.len()),
            );
            let hint = if found > want && record.iter().any(|f| f.iter().all(u8::is_ascii_digit)) {
                "a value holding a comma (a thousands separator?) must be quoted, e.g. \"5,344\""
            } else {
                "every row has one field per header column"
            };
            Finding::new(
                Code::FieldCount,
                loc.line,
                loc.column,
                format!(
                    "the row has {found} field{} but the header has {want}",
                    if found == 1 { "" } else { "s" }
                ),
            )
            .found(format!("{found} fields"))
            .expected(format!("{want} fields"))
            .hint(hint)
            .snippet(loc.snippet)
        });
        checker.skipped_row();
        return;
    }
    let fields = record.as_slice();
    if !fields.is_ascii() && std::str::from_utf8(fields).is_err() {
        let bad = match std::str::from_utf8(raw) {
            Err(e) => e.valid_up_to(),
            Ok(_) => 0,
        };
        checker.push_with(Code::InvalidUtf8.severity(), || {
            let loc = at(bad, 1);
            let byte = raw.get(bad).copied().unwrap_or(0);
            Finding::new(Code::InvalidUtf8, loc.line, loc.column, format!("invalid UTF-8 byte 0x{byte:02X}"))
                .found(format!("byte 0x{byte:02X}"))
                .expected("UTF-8 text")
                .hint(if byte >= 0x80 {
                    "the file looks Latin-1 / Windows-1252 encoded (a spreadsheet re-save?); save it as CSV UTF-8"
                } else {
                    "the file is damaged"
                })
                .snippet(loc.snippet)
        });
        checker.skipped_row();
        return;
    }
    for (j, column) in report.columns.iter().enumerate() {
        let Some(i) = cell_of[j] else {
            // An optional column the file lacks holds no value; a required one is an E101.
            cells[j].set(Cell::Null);
            ok[j] = column.optional;
            known[j] = false;
            continue;
        };
        let raw_field = record.get(i).unwrap_or_default();
        if raw_field.is_empty() && column.accepts_empty() {
            // A column some exports lack may be empty where present: no value.
            cells[j].set(Cell::Null);
            ok[j] = true;
            known[j] = false;
            continue;
        }
        // A file repeats its refresh date and period on every row: a cell whose text is the
        // previous row's is the previous row's value.
        if known[j] && same_text(&text[j], raw_field) {
            continue;
        }
        match check_text_cell(&column.kind, raw_field) {
            Ok(cell) => {
                cells[j].set(cell);
                ok[j] = true;
                known[j] = raw_field.len() <= 16;
                if known[j] {
                    text[j].0[..raw_field.len()].copy_from_slice(raw_field);
                    text[j].1 = raw_field.len();
                }
            }
            Err(p) => {
                cells[j].set(Cell::Null);
                ok[j] = false;
                known[j] = false;
                checker.push_with(p.code.severity(), || {
                    let loc = locate_cell(raw, line, Some(i));
                    let found = String::from_utf8_lossy(raw_field);
                    let f = Finding::new(
                        p.code,
                        loc.line,
                        loc.column,
                        format!("`{}` {}", column.csv, p.message),
                    )
                    .field(column.csv.clone())
                    .found(if found.is_empty() {
                        "an empty cell".into()
                    } else {
                        found.into_owned()
                    })
                    .expected(p.expected)
                    .snippet(loc.snippet);
                    match p.hint {
                        Some(h) => f.hint(h),
                        None => f,
                    }
                });
            }
        }
    }
    checker.row(line, cells, ok, &|col| {
        locate_column(raw, line, cell_of, col)
    });
}

/// Reports why reading stopped early, and stops checking.
pub(super) fn read_error(checker: &mut Checker<'_>, e: RecordsError, line: u64) {
    checker.stopped = true;
    match e {
        RecordsError::TooLong(limit) => checker.push_finding(
            Finding::new(
                Code::LimitExceeded,
                line.max(1),
                1,
                format!("a row starting on this line is longer than {limit} bytes"),
            )
            .hint("this is not a usage report, or a quote is never closed; raise the limit with --max-record-bytes if the file is genuine"),
        ),
        RecordsError::Io(io) => checker.io_failure(&io),
    }
}

/// Whether two cells' texts are equal, compared in place: cells are a few bytes long, where
/// a call to `memcmp` costs more than the comparison. Texts of 4 to 16 bytes (dates,
/// `True`, `False`) are compared as two overlapping words, shorter ones (counts, periods)
/// byte by byte, longer ones (names, which share long prefixes) by `memcmp`.
#[inline]
pub(super) fn same_bytes(a: &[u8], b: &[u8]) -> bool {
    let n = a.len();
    if n != b.len() {
        return false;
    }
    match n {
        8..=16 => {
            let word = |s: &[u8], at: usize| {
                u64::from_le_bytes(s[at..at + 8].try_into().unwrap_or([0; 8]))
            };
            word(a, 0) == word(b, 0) && word(a, n - 8) == word(b, n - 8)
        }
        4..=7 => {
            let word = |s: &[u8], at: usize| {
                u32::from_le_bytes(s[at..at + 4].try_into().unwrap_or([0; 4]))
            };
            word(a, 0) == word(b, 0) && word(a, n - 4) == word(b, n - 4)
        }
        0..=3 => a.iter().zip(b).all(|(x, y)| x == y),
        _ => a == b,
    }
}
