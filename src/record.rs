//! Records: one row of a report, its values typed by the schema, with where it came from.

use chrono::{Datelike, NaiveDate};

use crate::schema::{Kind, Report};

/// A date's `YYYY-MM-DD` text, exactly what chrono's `format("%Y-%m-%d")` writes (years
/// outside 0 to 9999 signed and at least four digits wide: `+10000-01-01`, `-0001-12-31`),
/// built without chrono's format machinery, which parses the format string on every call:
/// every date m365report writes goes through here, millions per run on big files.
#[derive(Debug, Clone, Copy)]
pub struct DateText {
    /// The text, left-aligned; the widest date chrono has is `+262143-12-31`, 13 bytes.
    bytes: [u8; 16],
    len: u8,
}

impl DateText {
    /// The text of `date`.
    pub fn new(date: NaiveDate) -> DateText {
        let mut bytes = [0u8; 16];
        let year = date.year();
        let (month, day) = (date.month() as usize, date.day() as usize);
        if let Ok(y @ 0..=9999) = usize::try_from(year) {
            // The common case, without loops: four year digits, then month and day.
            bytes[..10].copy_from_slice(&[
                PAIRS[y / 100][0],
                PAIRS[y / 100][1],
                PAIRS[y % 100][0],
                PAIRS[y % 100][1],
                b'-',
                PAIRS[month][0],
                PAIRS[month][1],
                b'-',
                PAIRS[day][0],
                PAIRS[day][1],
            ]);
            return DateText { bytes, len: 10 };
        }
        let mut at = 0;
        if !(0..=9999).contains(&year) {
            bytes[0] = if year < 0 { b'-' } else { b'+' };
            at = 1;
        }
        let mut digits = [0u8; 10];
        let mut n = year.unsigned_abs();
        let mut count = 0;
        while n > 0 || count < 4 {
            digits[count] = b'0' + (n % 10) as u8;
            n /= 10;
            count += 1;
        }
        for &d in digits[..count].iter().rev() {
            bytes[at] = d;
            at += 1;
        }
        bytes[at..at + 6].copy_from_slice(&[
            b'-',
            PAIRS[month][0],
            PAIRS[month][1],
            b'-',
            PAIRS[day][0],
            PAIRS[day][1],
        ]);
        DateText {
            bytes,
            len: (at + 6) as u8,
        }
    }

    /// The text as bytes.
    pub fn as_bytes(&self) -> &[u8] {
        &self.bytes[..usize::from(self.len)]
    }

    /// The text.
    pub fn as_str(&self) -> &str {
        // Only ASCII digits, signs and dashes are ever written.
        std::str::from_utf8(self.as_bytes()).unwrap_or_default()
    }
}

/// `00` to `99` as two ASCII digits each.
pub(crate) const PAIRS: [[u8; 2]; 100] = {
    let mut pairs = [[0u8; 2]; 100];
    let mut i = 0;
    while i < 100 {
        pairs[i] = [b'0' + (i / 10) as u8, b'0' + (i % 10) as u8];
        i += 1;
    }
    pairs
};

impl std::fmt::Display for DateText {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One typed value.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum Cell {
    /// No value: an empty CSV count cell or JSON `null`.
    #[default]
    Null,
    /// A whole number.
    Int(i64),
    /// A calendar date.
    Date(NaiveDate),
    /// One of the column's enum values, by index into the schema's list.
    Enum(u16),
    /// Free text. Boxed, so that the pointer is thin and a cell is 16 bytes, not 32:
    /// millions of cells are held by merges, buffered pieces and sorting writers, and
    /// checking stores one per field; text columns are rare (only a user's schema has them).
    #[allow(clippy::box_collection)]
    Text(Box<String>),
    /// True or false.
    Bool(bool),
    /// A list of strings (`Assigned Products`), boxed for the same reason as text.
    #[allow(clippy::box_collection)]
    List(Box<Vec<String>>),
}

impl Cell {
    /// Writes `value` over this cell. Where the old value owns no memory (a date, a flag, a
    /// count, a null: most cells of every row), it is forgotten rather than dropped:
    /// dropping a cell is a call that jumps on its variant, and a detail row's optional
    /// dates alternate between null and a date as no branch predictor can follow (3% of
    /// the calls, 16% of a detail trend's time); forgetting a value that owns nothing
    /// leaks nothing.
    #[inline(always)]
    pub fn set(&mut self, value: Cell) {
        match self {
            Cell::Text(_) | Cell::List(_) => *self = value,
            Cell::Null | Cell::Int(_) | Cell::Date(_) | Cell::Enum(_) | Cell::Bool(_) => {
                std::mem::forget(std::mem::replace(self, value))
            }
        }
    }

    /// The number, if this is one.
    pub fn as_int(&self) -> Option<i64> {
        match self {
            Cell::Int(n) => Some(*n),
            _ => None,
        }
    }

    /// The date, if this is one.
    pub fn as_date(&self) -> Option<NaiveDate> {
        match self {
            Cell::Date(d) => Some(*d),
            _ => None,
        }
    }

    /// The boolean, if this is one.
    pub fn as_bool(&self) -> Option<bool> {
        match self {
            Cell::Bool(b) => Some(*b),
            _ => None,
        }
    }

    /// The text, if this is text (names, GUIDs, durations).
    pub fn as_text(&self) -> Option<&str> {
        match self {
            Cell::Text(t) => Some(t),
            _ => None,
        }
    }

    /// Writes the value as it appears in a CSV cell (empty for null) into `out`: booleans as
    /// Graph's CSV writes them (`True`/`False`), lists joined with `+`.
    pub fn write_text(&self, kind: &Kind, out: &mut String) {
        use std::fmt::Write;
        match (self, kind) {
            (Cell::Null, _) => {}
            (Cell::Int(n), _) => out.push_str(itoa::Buffer::new().format(*n)),
            (Cell::Date(d), _) => out.push_str(DateText::new(*d).as_str()),
            (Cell::Enum(i), Kind::Enum(values)) => {
                if let Some(v) = values.get(usize::from(*i)) {
                    out.push_str(v);
                }
            }
            (Cell::Enum(i), _) => {
                let _ = write!(out, "{i}");
            }
            (Cell::Text(t), _) => out.push_str(t),
            (Cell::Bool(b), _) => out.push_str(if *b { "True" } else { "False" }),
            (Cell::List(items), _) => {
                for (i, item) in items.iter().enumerate() {
                    if i > 0 {
                        out.push('+');
                    }
                    out.push_str(item);
                }
            }
        }
    }

    /// The value in Graph's JSON form: integers, `YYYY-MM-DD` strings, enum strings,
    /// booleans, arrays of strings, null.
    pub fn to_json(&self, kind: &Kind) -> serde_json::Value {
        use serde_json::Value;
        match self {
            Cell::Null => Value::Null,
            Cell::Int(n) => Value::from(*n),
            Cell::Bool(b) => Value::Bool(*b),
            Cell::List(items) => Value::Array(items.iter().cloned().map(Value::String).collect()),
            Cell::Date(_) | Cell::Enum(_) | Cell::Text(_) => {
                let mut s = String::new();
                self.write_text(kind, &mut s);
                Value::String(s)
            }
        }
    }
}

/// A record that passed every field and record rule, handed to a [`RecordSink`].
#[derive(Debug, Clone, Copy)]
pub struct Record<'a> {
    /// The report the record belongs to.
    pub report: &'a Report,
    /// 1-based line where the record starts in its file.
    pub line: u64,
    /// Values in the schema's documented column order.
    pub cells: &'a [Cell],
}

impl Record<'_> {
    /// The `Report Date`, if the report has one and it is set.
    pub fn report_date(&self) -> Option<NaiveDate> {
        self.report
            .report_date()
            .and_then(|i| self.cells[i].as_date())
    }

    /// The `Report Refresh Date`, if the report has one and it is set.
    pub fn refresh_date(&self) -> Option<NaiveDate> {
        self.report
            .refresh_date()
            .and_then(|i| self.cells[i].as_date())
    }

    /// The report period as its schema string (`"7"`), if set.
    pub fn period(&self) -> Option<&str> {
        let i = self.report.period()?;
        match (&self.cells[i], &self.report.columns[i].kind) {
            (Cell::Enum(v), Kind::Enum(values)) => values.get(usize::from(*v)).map(String::as_str),
            _ => None,
        }
    }

    /// The record in Graph's JSON form, properties in schema order.
    pub fn to_json(&self) -> serde_json::Map<String, serde_json::Value> {
        self.report
            .columns
            .iter()
            .zip(self.cells)
            .map(|(c, v)| (c.property.clone(), v.to_json(&c.kind)))
            .collect()
    }
}

/// Receives the records of a file while it is being checked.
///
/// Records arrive in file order, only those that passed the field and record rules. Whether
/// the file as a whole is valid is known only when [`RecordSink::finish`] is called, so a sink
/// that must not act on invalid files buffers or writes to a temporary place until then.
pub trait RecordSink {
    /// Called once the report kind is known, before any record.
    fn begin(&mut self, _report: &std::sync::Arc<Report>) {}
    /// Called for each good record.
    fn record(&mut self, record: &Record<'_>);
    /// Called at the end with whether the file had errors.
    fn finish(&mut self, _valid: bool) {}
    /// Whether records matter to this sink at all; a checker splitting a large file into
    /// pieces keeps each piece's records for [`RecordSink::record`] only if they do.
    fn wants_records(&self) -> bool {
        true
    }
    /// For a later piece of the same file checked on another thread: a sink that does
    /// there what this one does with records (a writer renders them), for
    /// [`RecordSink::join`] to take in, in file order. `None` (the default): the piece's
    /// records are kept as cells and handed to [`RecordSink::record`] here, one by one.
    fn fork(&mut self) -> Option<Box<dyn Fork>> {
        None
    }
    /// Takes in the work of a fork made by [`RecordSink::fork`] whose piece follows the
    /// records seen so far, as if its records had come through [`RecordSink::record`] here.
    /// `false`, having changed nothing, when that cannot be done (the records are not in
    /// the order this sink streams, say): the checker then reads the piece's rows again here.
    fn join(&mut self, _fork: &mut dyn Fork) -> bool {
        false
    }
    /// A run of records given as text is about to come (see [`TextRun`]): `true` if this
    /// sink takes them through [`RecordSink::run_record`]; `false` (the default), having
    /// changed nothing, and they come through [`RecordSink::record`] as cells.
    ///
    /// For a writer, whose output of such a record is a few constant texts around the
    /// varying ones: copying those costs about a third of building the record's cells and
    /// rendering them.
    fn text_run(&mut self, _run: &TextRun<'_>) -> bool {
        false
    }
    /// The next record of the text run this sink took last: the texts of the run's
    /// varying columns, in [`TextRun::varying`]'s order, each in canonical form (see
    /// [`TextRun`]).
    fn run_record(&mut self, _texts: &[&[u8]]) {}
}

/// Records that repeat one record but for a few columns, each given as its text: the rows of
/// a download after the first mostly repeat the row before but for their counts and a report
/// date one day older (see `read::steady`).
///
/// Record `k` of the run (from 0) is `base` with, in each column of `varying`, the value
/// whose canonical text record `k` gives; its report date is `first_day` less `k` days. A
/// canonical text is what the writers write for the value in CSV: a count's decimal digits
/// with no leading zero, empty for null; a date's `YYYY-MM-DD` (years 0 to 9999 only).
#[derive(Debug, Clone, Copy)]
pub struct TextRun<'a> {
    /// The record the run's records repeat; its cells in `varying` columns do not count.
    pub base: Record<'a>,
    /// The columns each record gives as text, in schema order: counts and the report date.
    pub varying: &'a [usize],
    /// The report date of the run's first record.
    pub first_day: NaiveDate,
}

/// A [`RecordSink`] working on another thread for the sink it was forked from; see
/// [`RecordSink::fork`].
pub trait Fork: RecordSink + Send {
    /// The fork itself, for the sink that made it to recognise its own kind in
    /// [`RecordSink::join`].
    fn as_any(&mut self) -> &mut dyn std::any::Any;
}

/// Records kept in file order, to hand on later: the sink of a piece of a large file checked
/// on another thread. Cells are stored flat, a record's worth after another.
#[derive(Debug, Default)]
pub(crate) struct RecordBuffer {
    keep: bool,
    width: usize,
    lines: Vec<u64>,
    cells: Vec<Cell>,
}

impl RecordBuffer {
    /// A buffer that keeps records only if `keep`.
    pub(crate) fn new(keep: bool) -> RecordBuffer {
        RecordBuffer {
            keep,
            ..RecordBuffer::default()
        }
    }

    /// The records kept: line and cells.
    pub(crate) fn records(&self) -> impl Iterator<Item = (u64, &[Cell])> {
        self.lines
            .iter()
            .copied()
            .zip(self.cells.chunks(self.width.max(1)))
    }
}

impl RecordSink for RecordBuffer {
    fn record(&mut self, record: &Record<'_>) {
        if self.keep {
            self.width = record.cells.len();
            self.lines.push(record.line);
            self.cells.extend_from_slice(record.cells);
        }
    }
    fn wants_records(&self) -> bool {
        self.keep
    }
}

/// A sink that ignores everything, for plain validation.
#[derive(Debug, Default, Clone, Copy)]
pub struct Discard;

impl RecordSink for Discard {
    fn record(&mut self, _record: &Record<'_>) {}
    fn wants_records(&self) -> bool {
        false
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn a_cell_is_two_words() {
        // What the boxed text buys (see `Cell::Text`); an unboxed `String` makes it 32.
        assert_eq!(std::mem::size_of::<Cell>(), 16);
        assert_eq!(std::mem::size_of::<Option<Cell>>(), 16);
    }

    #[test]
    fn date_text_at_the_edges_of_four_digit_years() {
        for (y, m, d, text) in [
            (0, 1, 1, "0000-01-01"),
            (999, 12, 31, "0999-12-31"),
            (9999, 12, 31, "9999-12-31"),
            (10000, 1, 1, "+10000-01-01"),
            (-1, 12, 31, "-0001-12-31"),
        ] {
            let date = NaiveDate::from_ymd_opt(y, m, d).unwrap();
            assert_eq!(DateText::new(date).as_str(), text);
            assert_eq!(
                DateText::new(date).to_string(),
                date.format("%Y-%m-%d").to_string()
            );
        }
        for date in [NaiveDate::MIN, NaiveDate::MAX] {
            assert_eq!(
                DateText::new(date).as_str(),
                date.format("%Y-%m-%d").to_string()
            );
        }
    }

    proptest! {
        /// Every date chrono can hold, four-digit years (0 to 9999) most often.
        #[test]
        fn date_text_equals_chrono(
            days in prop_oneof![
                4 => 0i32..3_652_425,
                1 => NaiveDate::MIN.num_days_from_ce()..=NaiveDate::MAX.num_days_from_ce(),
            ]
        ) {
            let date = NaiveDate::from_num_days_from_ce_opt(days).unwrap();
            prop_assert_eq!(DateText::new(date).to_string(), date.format("%Y-%m-%d").to_string());
        }
    }
}
