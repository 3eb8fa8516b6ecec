//! Steady runs: after its first row, a download mostly repeats the row before with new counts
//! and a report date one day older (Graph writes the newest day first, one row a day).
//! [`Steady::run`] checks such rows in one tight loop over the text, without building cells
//! or calling the rules row by row, and the checker takes the run in whole
//! ([`crate::check::Checker::steady_rows`]). The first row that is anything else ends the
//! run, and the usual paths read it and report what they find.
//!
//! Why: the row-by-row path costs about 1,000 instructions a row, most of them in the
//! generality every row pays for (cells, rule calls, the file rules' state), where a steady
//! row needs a few comparisons and two counts read.

use chrono::Datelike;

use super::full::{same_bytes, Layout, Scratch};
use crate::check::Checker;
use crate::record::Cell;
use crate::rules::field::parse_iso_date;
use crate::schema::{Kind, Report};

/// What a run checks in one header cell.
#[derive(Debug, Clone, Copy)]
enum Check {
    /// The cell repeats the previous row's text: the refresh date, the period and any column
    /// that is neither a count nor the report date. A changed text ends the run.
    Same,
    /// A count: digits within the column's bounds, or empty where the column allows it;
    /// `ratio`: the ratio's numerator (`Some(true)`) or denominator (`Some(false)`);
    /// `slot`: where its text goes among the varying texts ([`Steady::varying`]).
    Count {
        min: i64,
        max: i64,
        nullable: bool,
        ratio: Option<bool>,
        slot: usize,
    },
    /// The report date: the day before the previous row's, as `YYYY-MM-DD`; `slot` as for
    /// a count.
    Day { slot: usize },
}

/// The checks of a steady run for one file's layout.
#[derive(Debug)]
pub(super) struct Steady {
    /// One per header cell, in file order.
    checks: Vec<Check>,
    /// The header cell of the report date.
    day: usize,
    /// The schema columns whose text changes from row to row (counts and the report date),
    /// in schema order: a writer's [`crate::TextRun::varying`].
    varying: Vec<usize>,
}

/// The rows a run checked.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Run {
    /// How many rows.
    pub(super) rows: u64,
    /// Where the row after them starts.
    pub(super) end: usize,
}

impl Steady {
    /// The run checks for a file whose header cell `i` holds schema column `map[i]`; `None`
    /// when the file cannot have steady runs: a column the header lacks (or a cell no column
    /// has), no report date, dimensions or entities, or a user's schema (whose JSON Schema may say more than the
    /// native rules do, so its records are checked one by one).
    pub(super) fn new(report: &Report, map: &[Option<usize>]) -> Option<Steady> {
        // A run is a row per day; reports with a row per dimension value or per entity
        // repeat days (or have none), and their file rules look at more than the day.
        if report.user_supplied
            || map.len() != report.columns.len()
            || !report.dimensions().is_empty()
            || report.entity().is_some()
        {
            return None;
        }
        let day_column = report.report_date()?;
        let role = |column| match report.ratio {
            Some(r) if r.numerator == column => Some(true),
            Some(r) if r.denominator == column => Some(false),
            _ => None,
        };
        let varies = |column: usize| {
            column == day_column || matches!(report.columns[column].kind, Kind::Integer { .. })
        };
        let varying: Vec<usize> = (0..report.columns.len()).filter(|&c| varies(c)).collect();
        let slot = |column| varying.iter().position(|&c| c == column).unwrap_or(0);
        let checks = map
            .iter()
            .map(|column| {
                let column = (*column)?;
                Some(match report.columns[column].kind {
                    _ if column == day_column => Check::Day { slot: slot(column) },
                    Kind::Integer { min, max, nullable } => Check::Count {
                        min,
                        max,
                        nullable,
                        ratio: role(column),
                        slot: slot(column),
                    },
                    _ => Check::Same,
                })
            })
            .collect::<Option<Vec<_>>>()?;
        Some(Steady {
            checks,
            day: map.iter().position(|&m| m == Some(day_column))?,
            varying,
        })
    }

    /// The schema columns whose text changes from row to row in a run (counts and the report
    /// date), in schema order: the order of the texts [`Steady::run`] hands on.
    pub(super) fn varying(&self) -> &[usize] {
        &self.varying
    }

    /// Checks at most `most` rows from `pos` on while they are steady. `previous` holds the
    /// texts of the row before (one per header cell, the last without its carriage return),
    /// which passed every field and record rule. A row is steady when it has a field per
    /// header cell, ends with a line feed (CRLF or LF), is at most `limit` bytes long, and
    /// every cell passes its [`Check`]; its count columns then pass their field rules and
    /// the ratio rule, and its report date, a day older than the one before, is not after
    /// the refresh date if the previous row's was not. With `TEXTS`, a count written with a
    /// leading zero (`007`) also ends a run, so that every text a run hands on is canonical
    /// (see [`crate::TextRun`]): the usual path reads such rows.
    ///
    /// The row is read from left to right in one pass, each cell against what it must be:
    /// a repeated text is compared in place, a count read up to the first byte that is not
    /// a digit, which must then be the separator. No separator search is needed, and a
    /// cell that is anything else fails where it starts to differ.
    ///
    /// `each` gets every steady row's counts and texts, in order, once the row passed: per
    /// header cell, `Some` count (`None` for an empty cell) in count columns, `None`
    /// elsewhere; with `TEXTS`, the texts of the [`Steady::varying`] columns, in that order
    /// (empty without: a run that only checks, or hands on cells, does not pay for them).
    pub(super) fn run<'t, const TEXTS: bool>(
        &self,
        text: &'t [u8],
        mut pos: usize,
        previous: &[&[u8]],
        most: u64,
        limit: usize,
        mut each: impl FnMut(&[Option<Option<i64>>], &[&'t [u8]]),
    ) -> Run {
        let mut rows = 0;
        let Some(before) = previous.get(self.day).and_then(|t| parse_iso_date(t)) else {
            return Run { rows, end: pos };
        };
        // The report date as its `YYYY-MM-` word and day of the month: the next row's date
        // in the same month is that word and two digits, checked without a calendar.
        let mut month = word(previous[self.day]);
        let mut day_of_month = before.day();
        let last = self.checks.len() - 1;
        // Each row's counts, for `each`: a value or null per count cell, `None` elsewhere.
        let mut counts = vec![None; self.checks.len()];
        let mut texts: Vec<&[u8]> = vec![&[]; if TEXTS { self.varying.len() } else { 0 }];
        // Each repeated text as a masked 16-byte word, compared at once where it fits.
        let words: Vec<Option<(u128, u128)>> = previous.iter().map(|t| masked(t)).collect();
        'rows: while rows < most {
            let mut at = pos;
            let (mut num, mut den) = (None, None);
            for (i, check) in self.checks.iter().enumerate() {
                match *check {
                    Check::Same => {
                        let same = previous[i];
                        let equal = match (words[i], text.get(at..at + 16)) {
                            (Some((word, mask)), Some(bytes)) => {
                                let bytes =
                                    u128::from_le_bytes(bytes.try_into().unwrap_or_default());
                                (bytes ^ word) & mask == 0
                            }
                            _ => text
                                .get(at..at + same.len())
                                .is_some_and(|cell| same_bytes(same, cell)),
                        };
                        if !equal {
                            break 'rows;
                        }
                        at += same.len();
                    }
                    Check::Count {
                        min,
                        max,
                        nullable,
                        ratio,
                        slot,
                    } => {
                        let (value, digits) = read_count(text, at);
                        let value = match digits {
                            0 if nullable => None,
                            1..=18 if (min..=max).contains(&value) => Some(value),
                            _ => break 'rows,
                        };
                        if TEXTS {
                            if digits > 1 && text[at] == b'0' {
                                break 'rows;
                            }
                            texts[slot] = &text[at..at + digits];
                        }
                        at += digits;
                        counts[i] = Some(value);
                        match ratio {
                            Some(true) => num = value,
                            Some(false) => den = value,
                            None => {}
                        }
                    }
                    Check::Day { slot } => {
                        let Some(cell) = text.get(at..at + 10) else {
                            break 'rows;
                        };
                        let next = day_of_month.wrapping_sub(1);
                        if next >= 1 && word(cell) == month && digits(cell) == two_digits(next) {
                            day_of_month = next;
                        } else {
                            // Another month: a calendar step, once a month.
                            let expected = before.checked_sub_days(chrono::Days::new(rows + 1));
                            match parse_iso_date(cell) {
                                Some(d) if Some(d) == expected => {
                                    (month, day_of_month) = (word(cell), d.day());
                                }
                                _ => break 'rows,
                            }
                        }
                        if TEXTS {
                            texts[slot] = cell;
                        }
                        at += 10;
                    }
                }
                if i < last {
                    if text.get(at) != Some(&b',') {
                        break 'rows;
                    }
                    at += 1;
                } else {
                    if at - pos > limit {
                        break 'rows;
                    }
                    match text.get(at..at + 2) {
                        Some([b'\n', _]) => at += 1,
                        Some(b"\r\n") => at += 2,
                        _ if text.get(at..) == Some(b"\n") => at += 1,
                        _ => break 'rows,
                    }
                }
            }
            if let (Some(n), Some(d)) = (num, den) {
                if n > d {
                    break;
                }
            }
            each(&counts, &texts);
            rows += 1;
            pos = at;
        }
        Run { rows, end: pos }
    }
}

/// Rows read one by one after a steady run took none, before trying another: a file that is
/// not newest first, one day a row, pays for one failed try every few rows only.
pub(super) const STEADY_WAIT: u32 = 8;

/// Rows of a steady run at most: bounds the look for days seen before (a word per 64 days);
/// the next run goes on where a long one stopped.
const STEADY_MOST: u64 = 4096;

/// Checks the steady run (see [`Steady`]) after a row the short path just read and the
/// checker took, and has the checker take it in: the rows taken.
pub(super) fn steady_run(
    steady: &Steady,
    text: &[u8],
    (pos, line): (usize, u64),
    previous: &[&[u8]],
    layout: &Layout<'_>,
    scratch: &mut Scratch,
    checker: &mut Checker<'_>,
) -> Run {
    let none = Run { rows: 0, end: pos };
    // A run's dates are older than the row before: they are not after its refresh date
    // unless that row's was, which the usual path reports row by row.
    let report = layout.report;
    let date = |column: Option<usize>| column.and_then(|c| scratch.cells[c].as_date());
    let (Some(day_column), Some(mut day)) = (report.report_date(), date(report.report_date()))
    else {
        return none;
    };
    if report
        .refresh_date()
        .is_some_and(|_| Some(day) > date(report.refresh_date()))
    {
        return none;
    }
    // At most as many rows as the checker can take whole, so no row is read twice: a run
    // stops before a day seen before, which the usual path reports.
    let room = checker.steady_room(STEADY_MOST);
    if room == 0 {
        return none;
    }
    let limit = checker.options.limits.max_record_bytes;
    let first_day = day.pred_opt();
    let run = if !checker.wants_records() {
        steady.run::<false>(text, pos, previous, room, limit, |_, _| {})
    } else if first_day
        .is_some_and(|first| checker.text_run((&scratch.cells, line - 1), steady.varying(), first))
    {
        // The sink takes each row as the texts of its counts and date.
        steady.run::<true>(text, pos, previous, room, limit, |_, texts| {
            checker.run_record(texts);
        })
    } else {
        // Each row's record: the previous row's cells with the run's counts and date.
        let mut line = line;
        steady.run::<false>(text, pos, previous, room, limit, |counts, _| {
            day = day.pred_opt().unwrap_or(day);
            for (&count, &column) in counts.iter().zip(layout.map) {
                if let (Some(count), Some(column)) = (count, column) {
                    scratch.cells[column].set(count.map_or(Cell::Null, Cell::Int));
                }
            }
            scratch.cells[day_column].set(Cell::Date(day));
            checker.steady_record(line, &scratch.cells);
            line += 1;
        })
    };
    let taken = checker.steady_rows(run.rows);
    debug_assert_eq!(taken, run.rows, "a run within the room is taken whole");
    run
}

/// The count written at `at`: its value and how many digits it has (up to 19; a value of
/// more than 18 digits is not read).
///
/// Counts of up to 7 digits (nearly all) are read eight bytes at once: the digits found by
/// one test per byte lane, their value by three multiplications (each combining neighbouring
/// lanes), instead of a test and a multiplication per digit.
#[inline(always)]
fn read_count(text: &[u8], at: usize) -> (i64, usize) {
    const LANES: u64 = 0x0101_0101_0101_0101;
    if let Some(bytes) = text.get(at..at + 8) {
        let w = u64::from_le_bytes(bytes.try_into().unwrap_or_default());
        let low = w & (0x7f * LANES);
        // A lane's high bit: its byte is 0x80 or more, above `9`, or below `0`.
        let not_digit =
            (w | low.wrapping_add(0x46 * LANES) | !low.wrapping_add(0x50 * LANES)) & (0x80 * LANES);
        let digits = (not_digit.trailing_zeros() / 8) as usize;
        if digits == 0 {
            return (0, 0);
        }
        if digits < 8 {
            // The digits moved to the top lanes, as if led by zeros, then combined pairwise.
            let mut v = (w & (0x0f * LANES)) << (8 * (8 - digits));
            v = (v.wrapping_mul(10) + (v >> 8)) & 0x00ff_00ff_00ff_00ff;
            v = (v.wrapping_mul(100) + (v >> 16)) & 0x0000_ffff_0000_ffff;
            v = v.wrapping_mul(10_000) + (v >> 32);
            return ((v & 0xffff_ffff) as i64, digits);
        }
    }
    let (mut value, mut digits) = (0i64, 0);
    while let Some(&b) = text.get(at + digits) {
        let digit = b.wrapping_sub(b'0');
        if digit > 9 || digits > 18 {
            break;
        }
        value = value.wrapping_mul(10).wrapping_add(i64::from(digit));
        digits += 1;
    }
    (value, digits)
}

/// `text` (at most 16 bytes) as the low bytes of a word, and the mask of those bytes.
fn masked(text: &[u8]) -> Option<(u128, u128)> {
    let mut bytes = [0; 16];
    bytes.get_mut(..text.len())?.copy_from_slice(text);
    let mask = u128::MAX
        .checked_shr(8 * (16 - text.len() as u32))
        .unwrap_or(0);
    Some((u128::from_le_bytes(bytes), mask))
}

/// The first 8 bytes of a date, `YYYY-MM-`, as a word.
fn word(date: &[u8]) -> u64 {
    date.get(..8)
        .and_then(|b| b.try_into().ok())
        .map_or(u64::MAX, u64::from_le_bytes)
}

/// The last two bytes of a date, the day of the month's digits, as a number.
fn digits(date: &[u8]) -> u16 {
    u16::from_le_bytes([date[8], date[9]])
}

/// What [`digits`] gives for day `n` of a month (`n` below 32).
fn two_digits(n: u32) -> u16 {
    const DAYS: [u16; 32] = {
        let mut days = [0; 32];
        let mut n = 0;
        while n < 32 {
            days[n] = u16::from_le_bytes([b'0' + (n / 10) as u8, b'0' + (n % 10) as u8]);
            n += 1;
        }
        days
    };
    DAYS[n as usize % 32]
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::schema::Registry;

    /// The rows of a steady run over `rows` (after a header-less first row, the one before).
    fn steady_rows(rows: &str, limit: usize) -> u64 {
        let registry = Registry::builtin().unwrap();
        let report = registry.find("GroupCounts").unwrap();
        let map: Vec<Option<usize>> = (0..5).map(Some).collect();
        let steady = Steady::new(report, &map).unwrap();
        let (first, rest) = rows.split_once('\n').unwrap();
        let previous: Vec<&[u8]> = first
            .trim_end_matches('\r')
            .split(',')
            .map(str::as_bytes)
            .collect();
        let run = steady.run::<true>(rest.as_bytes(), 0, &previous, u64::MAX, limit, |_, _| {});
        assert_eq!(
            run.end,
            rest.split_inclusive('\n')
                .take(run.rows as usize)
                .map(str::len)
                .sum::<usize>()
        );
        run.rows
    }

    proptest::proptest! {
        /// A count read eight bytes at once is the count read digit by digit, whatever
        /// follows it.
        #[test]
        fn counts_are_read_as_digit_by_digit(
            digits in "[0-9]{0,21}",
            after in proptest::collection::vec(proptest::num::u8::ANY, 0..9),
        ) {
            let mut text = digits.clone().into_bytes();
            text.extend(&after);
            let n = text.iter().take_while(|b| b.is_ascii_digit()).take(19).count();
            let value = text[..n].iter().fold(0i64, |v, &b| v.wrapping_mul(10).wrapping_add(i64::from(b - b'0')));
            let (got, len) = read_count(&text, 0);
            proptest::prop_assert_eq!(len, n);
            if n <= 18 {
                proptest::prop_assert_eq!(got, value);
            }
        }
    }

    #[test]
    fn a_run_crosses_months_years_and_leap_days() {
        let rows = "2025-01-02,9,1,2024-03-02,180\n\
                    2025-01-02,9,1,2024-03-01,180\n\
                    2025-01-02,9,1,2024-02-29,180\n\
                    2025-01-02,9,1,2024-02-28,180\n";
        assert_eq!(steady_rows(rows, 100), 3);
        let rows = "2025-01-02,9,1,2024-01-01,180\r\n2025-01-02,9,1,2023-12-31,180\r\n";
        assert_eq!(steady_rows(rows, 100), 1);
    }

    #[test]
    fn a_run_ends_at_the_first_row_of_another_kind() {
        let base = "2025-01-02,9,1,2024-03-03,180\n2025-01-02,9,1,2024-03-02,180\n";
        for (next, why) in [
            ("2025-01-02,9,1,2024-03-00,180", "day zero"),
            ("2025-01-02,9,1,2024-02-29,180", "a gap"),
            ("2025-01-02,9,1,2024-03-02,180", "a repeated day"),
            ("2025-01-02,9,1,2024-03-04,180", "a newer day"),
            ("2025-01-02,9,10,2024-03-01,180", "active above total"),
            ("2025-01-02,9,1,2024-03-01,30", "another period"),
            ("2025-01-03,9,1,2024-03-01,180", "another refresh date"),
            ("2025-01-02,9,x,2024-03-01,180", "a count that is not one"),
            ("2025-01-02,-9,1,2024-03-01,180", "a negative count"),
            ("2025-01-02,09,1,2024-03-01,180", "a leading zero"),
            ("2025-01-02,9,1,2024-03-01", "a field short"),
            ("2025-01-02,9,1,2024-03-01,180,", "a field over"),
            ("2025-01-02,9,1,2024-3-01,180", "a short date"),
            (
                "2025-01-02,9,1,2024-03-01,180\r\r",
                "a bare carriage return",
            ),
        ] {
            assert_eq!(steady_rows(&format!("{base}{next}\n"), 100), 1, "{why}");
        }
        let good = format!("{base}2025-01-02,,1,2024-03-01,180\n");
        assert_eq!(steady_rows(&good, 100), 2, "an empty count is null");
        let good = format!("{base}2025-01-02,0,0,2024-03-01,180\n");
        assert_eq!(steady_rows(&good, 100), 2, "a zero is a count");
        assert_eq!(steady_rows(base, 28), 0, "a row over the limit");
        assert_eq!(steady_rows(base, 29), 1, "a row at the limit");
    }
}
