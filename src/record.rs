//! Records: one row of a report, its values typed by the schema, with where it came from.

use chrono::NaiveDate;

use crate::schema::{Kind, Report};

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
    /// Free text.
    Text(String),
}

impl Cell {
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

    /// Writes the value as it appears in a CSV cell (empty for null) into `out`.
    pub fn write_text(&self, kind: &Kind, out: &mut String) {
        use std::fmt::Write;
        match (self, kind) {
            (Cell::Null, _) => {}
            (Cell::Int(n), _) => {
                let _ = write!(out, "{n}");
            }
            (Cell::Date(d), _) => {
                let _ = write!(out, "{}", d.format("%Y-%m-%d"));
            }
            (Cell::Enum(i), Kind::Enum(values)) => {
                if let Some(v) = values.get(usize::from(*i)) {
                    out.push_str(v);
                }
            }
            (Cell::Enum(i), _) => {
                let _ = write!(out, "{i}");
            }
            (Cell::Text(t), _) => out.push_str(t),
        }
    }

    /// The value in Graph's JSON form: integers, `YYYY-MM-DD` strings, enum strings, null.
    pub fn to_json(&self, kind: &Kind) -> serde_json::Value {
        use serde_json::Value;
        match self {
            Cell::Null => Value::Null,
            Cell::Int(n) => Value::from(*n),
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
