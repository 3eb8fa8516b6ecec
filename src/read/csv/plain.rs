//! Plain text (no quote, no bare carriage return: see [`crate::read::records::is_plain`]),
//! the text of nearly every export, row by row: the one place that picks each row's path
//! ([`check_plain`]). A steady run ([`super::steady`]) after a row the short path took, the
//! short path ([`super::short`]) for a row of the usual shape, and the full check
//! ([`super::full::check_row`]) for any other row; [`crate::CsvPath`] caps the choice, so
//! tests and benchmarks can compare each path with the full one.

use super::full::{check_row, read_error, Layout, Scratch};
use super::short::ShortPath;
use super::steady::{steady_run, Steady, STEADY_WAIT};
use crate::check::{Checker, CsvPath};
use crate::read::records::{Lines, RecordsError};

/// Checks the rows of plain text (see [`crate::read::records::is_plain`]) starting on line
/// `line`, each by the fastest path the file's layout and `checker.options.csv_path` allow:
/// after a row the short path took, a steady run; a row of the usual shape, the short path
/// ([`ShortPath::row`]); any other row, split by [`Lines`] and checked by [`check_row`] from
/// scratch, which finds and reports exactly what it finds.
pub(super) fn check_plain(text: &[u8], line: u64, layout: &Layout<'_>, checker: &mut Checker<'_>) {
    let limit = checker.options.limits.max_record_bytes;
    let mut lines = Lines::new(text, line, limit);
    let mut scratch = Scratch::new(layout.report);
    let allowed = checker.options.csv_path;
    let mut short = ShortPath::new(layout).filter(|_| allowed >= CsvPath::Short);
    let steady = short
        .as_ref()
        .and_then(|_| Steady::new(layout.report, layout.map))
        .filter(|_| allowed >= CsvPath::Steady);
    // Rows to wait before trying a steady run again, after one that took nothing.
    let mut wait = 0;
    loop {
        if let Some(short) = &mut short {
            let (text, mut pos, mut line) = lines.position();
            let mut previous = Vec::with_capacity(short.slots.len());
            while let Some(next) = short.row(text, (pos, line), layout, &mut scratch, checker) {
                (pos, line) = (next, line + 1);
                let Some(steady) = &steady else { continue };
                if wait > 0 {
                    wait -= 1;
                    continue;
                }
                previous.clear();
                previous.extend(short.slots.iter().map(|slot| slot.previous));
                let taken = steady_run(
                    steady,
                    text,
                    (pos, line),
                    &previous,
                    layout,
                    &mut scratch,
                    checker,
                );
                if taken.rows == 0 {
                    wait = STEADY_WAIT;
                    continue;
                }
                (pos, line) = (taken.end, line + taken.rows);
                // The row after the run reads every cell: the slots hold the run's first row.
                short.valid = false;
            }
            short.valid = false;
            lines.skip_to(pos, line);
        }
        match lines.next_record() {
            Ok(Some((row, raw, line))) => {
                scratch.known.fill(false);
                check_row(&row, layout, line, raw, &mut scratch, checker);
            }
            Ok(None) => return,
            Err(line) => return read_error(checker, RecordsError::TooLong(limit), line),
        }
    }
}
