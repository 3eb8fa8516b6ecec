//! The canonical CSV form: the documented header in documented order, LF line ends, RFC 4180
//! quoting only where a value needs it (the csv crate's `QuoteStyle::Necessary`).
//!
//! Written by hand rather than through `csv::Writer`: dates and counts never need quoting,
//! so a record is a few appends into the caller's line buffer, where the csv writer copied
//! every field into its own buffer and was flushed once per record. The quoting rule is the
//! csv crate's, and a property test holds the two to the same bytes.

use crate::record::{Cell, DateText};
use crate::schema::{Kind, Report};

/// Formats header and records of one report.
#[derive(Clone)]
pub(crate) struct CsvRecord {
    /// One cell's text while it is checked for characters that need quoting.
    cell: Vec<u8>,
}

impl CsvRecord {
    pub(crate) fn new() -> CsvRecord {
        CsvRecord {
            cell: Vec::with_capacity(32),
        }
    }

    /// Appends the header line to `out`.
    pub(crate) fn write_header(
        &mut self,
        report: &Report,
        out: &mut Vec<u8>,
    ) -> std::io::Result<()> {
        let start = out.len();
        for (i, column) in report.columns.iter().enumerate() {
            if i > 0 {
                out.push(b',');
            }
            push_field(out, column.csv.as_bytes());
        }
        end_line(out, start);
        Ok(())
    }

    /// Appends one record line to `out` (cells past the report's columns are left out).
    /// Fails, as the csv crate's writer did, when the record has fewer cells than columns.
    pub(crate) fn write(
        &mut self,
        report: &Report,
        cells: &[Cell],
        out: &mut Vec<u8>,
    ) -> std::io::Result<()> {
        if cells.len() < report.columns.len() {
            return Err(std::io::Error::new(
                std::io::ErrorKind::InvalidData,
                format!(
                    "a record has {} fields, the header {}",
                    cells.len(),
                    report.columns.len()
                ),
            ));
        }
        let start = out.len();
        for (i, (cell, column)) in cells.iter().zip(&report.columns).enumerate() {
            if i > 0 {
                out.push(b',');
            }
            self.write_cell(cell, &column.kind, out);
        }
        end_line(out, start);
        Ok(())
    }

    /// Appends one cell's field (quoted where needed) to `out`.
    pub(crate) fn write_cell(&mut self, cell: &Cell, kind: &Kind, out: &mut Vec<u8>) {
        match cell {
            // Digits, signs and dashes: never quoted.
            Cell::Null => {}
            Cell::Int(n) => out.extend_from_slice(itoa::Buffer::new().format(*n).as_bytes()),
            Cell::Date(d) => out.extend_from_slice(DateText::new(*d).as_bytes()),
            Cell::Text(t) => push_field(out, t.as_bytes()),
            Cell::Enum(_) | Cell::Bool(_) | Cell::List(_) => {
                self.cell.clear();
                push_text(&mut self.cell, cell, kind);
                push_field(out, &self.cell);
            }
        }
    }
}

/// Appends one field, quoted (quotes doubled) when it holds a comma, a quote or a line
/// break: the csv crate's `QuoteStyle::Necessary` with `,`, `"` and an LF terminator.
fn push_field(out: &mut Vec<u8>, field: &[u8]) {
    if !field
        .iter()
        .any(|&b| matches!(b, b',' | b'"' | b'\n' | b'\r'))
    {
        out.extend_from_slice(field);
        return;
    }
    out.push(b'"');
    for &b in field {
        if b == b'"' {
            out.push(b'"');
        }
        out.push(b);
    }
    out.push(b'"');
}

/// Ends the line begun at `start`; a line that would be empty (one empty field) is written
/// `""`, as the csv crate does, so that it still reads back as a record.
fn end_line(out: &mut Vec<u8>, start: usize) {
    if out.len() == start {
        out.extend_from_slice(b"\"\"");
    }
    out.push(b'\n');
}

/// Appends a cell's CSV text (empty for null), the same text `Cell::write_text` gives.
pub(crate) fn push_text(out: &mut Vec<u8>, cell: &Cell, kind: &Kind) {
    match (cell, kind) {
        (Cell::Null, _) => {}
        (Cell::Int(n), _) => out.extend_from_slice(itoa::Buffer::new().format(*n).as_bytes()),
        (Cell::Date(d), _) => out.extend_from_slice(DateText::new(*d).as_bytes()),
        (Cell::Text(t), _) => out.extend_from_slice(t.as_bytes()),
        (Cell::Enum(i), Kind::Enum(values)) if usize::from(*i) < values.len() => {
            out.extend_from_slice(values[usize::from(*i)].as_bytes())
        }
        (Cell::Enum(_) | Cell::Bool(_) | Cell::List(_), _) => {
            let mut s = String::new();
            cell.write_text(kind, &mut s);
            out.extend_from_slice(s.as_bytes());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::schema::Registry;
    use chrono::NaiveDate;

    #[test]
    fn header_and_record_are_canonical() {
        let registry = Registry::builtin().unwrap();
        let report = registry.find("GroupCounts").unwrap();
        let mut w = CsvRecord::new();
        let mut out = Vec::new();
        w.write_header(report, &mut out).unwrap();
        let day = NaiveDate::from_ymd_opt(2023, 5, 31).unwrap();
        let cells = [
            Cell::Date(day),
            Cell::Int(5647),
            Cell::Null,
            Cell::Date(day),
            Cell::Enum(0),
        ];
        w.write(report, &cells, &mut out).unwrap();
        assert_eq!(
            String::from_utf8(out).unwrap(),
            "Report Refresh Date,Total,Active,Report Date,Report Period\n2023-05-31,5647,,2023-05-31,7\n"
        );
    }

    #[test]
    fn text_is_quoted_only_when_needed() {
        let mut line = Vec::new();
        push_field(&mut line, b"a,\"b\"");
        line.push(b',');
        push_field(&mut line, b"plain");
        end_line(&mut line, 0);
        assert_eq!(line, b"\"a,\"\"b\"\"\",plain\n");
    }

    /// The line the csv crate writes for `fields` (QuoteStyle::Necessary, LF).
    fn csv_crate_line(fields: &[Vec<u8>]) -> Vec<u8> {
        let mut writer = csv::WriterBuilder::new()
            .quote_style(csv::QuoteStyle::Necessary)
            .terminator(csv::Terminator::Any(b'\n'))
            .from_writer(Vec::new());
        writer.write_record(fields).unwrap();
        writer.into_inner().unwrap()
    }

    proptest::proptest! {
        #[test]
        fn fields_are_written_as_the_csv_crate_writes_them(
            fields in proptest::collection::vec(
                proptest::collection::vec(
                    proptest::prop_oneof![
                        proptest::prelude::Just(b','),
                        proptest::prelude::Just(b'"'),
                        proptest::prelude::Just(b'\n'),
                        proptest::prelude::Just(b'\r'),
                        proptest::prelude::Just(b' '),
                        proptest::prelude::any::<u8>(),
                        b'a'..=b'z',
                    ],
                    0..6,
                ),
                1..4,
            )
        ) {
            let mut line = Vec::new();
            for (i, field) in fields.iter().enumerate() {
                if i > 0 {
                    line.push(b',');
                }
                push_field(&mut line, field);
            }
            end_line(&mut line, 0);
            proptest::prop_assert_eq!(line, csv_crate_line(&fields));
        }
    }
}
