//! The canonical CSV form: the documented header in documented order, LF line ends, RFC 4180
//! quoting only where a value needs it (the csv crate's `QuoteStyle::Necessary`).

use crate::record::Cell;
use crate::schema::{Kind, Report};

use super::json::push_date;

/// Formats header and records of one report into reused buffers.
pub(crate) struct CsvRecord {
    /// The csv crate's writer into a growing buffer; the csv writer has no `get_mut`, so
    /// the bytes already handed out are skipped (`taken`) and the writer is rebuilt once
    /// the buffer reaches [`RESET`], which keeps memory flat without an allocation per row.
    writer: csv::Writer<Vec<u8>>,
    taken: usize,
    fields: csv::ByteRecord,
    cell: Vec<u8>,
}

impl CsvRecord {
    pub(crate) fn new() -> CsvRecord {
        CsvRecord {
            writer: new_writer(),
            taken: 0,
            fields: csv::ByteRecord::new(),
            cell: Vec::with_capacity(32),
        }
    }

    /// Appends the header line to `out`.
    pub(crate) fn write_header(
        &mut self,
        report: &Report,
        out: &mut Vec<u8>,
    ) -> std::io::Result<()> {
        self.fields.clear();
        for column in &report.columns {
            self.fields.push_field(column.csv.as_bytes());
        }
        self.emit(out)
    }

    /// Appends one record line to `out`.
    pub(crate) fn write(
        &mut self,
        report: &Report,
        cells: &[Cell],
        out: &mut Vec<u8>,
    ) -> std::io::Result<()> {
        self.fields.clear();
        for (cell, column) in cells.iter().zip(&report.columns) {
            self.cell.clear();
            push_text(&mut self.cell, cell, &column.kind);
            self.fields.push_field(&self.cell);
        }
        self.emit(out)
    }

    fn emit(&mut self, out: &mut Vec<u8>) -> std::io::Result<()> {
        self.writer.write_byte_record(&self.fields)?;
        self.writer.flush()?;
        let all = self.writer.get_ref();
        out.extend_from_slice(&all[self.taken..]);
        self.taken = all.len();
        if self.taken >= RESET {
            self.writer = new_writer();
            self.taken = 0;
        }
        Ok(())
    }
}

/// Buffer size at which the csv writer is replaced by a fresh one.
const RESET: usize = 64 << 10;

fn new_writer() -> csv::Writer<Vec<u8>> {
    csv::WriterBuilder::new()
        .quote_style(csv::QuoteStyle::Necessary)
        .terminator(csv::Terminator::Any(b'\n'))
        .buffer_capacity(4096)
        .from_writer(Vec::with_capacity(RESET + 4096))
}

/// Appends a cell's CSV text (empty for null), the same text `Cell::write_text` gives.
pub(crate) fn push_text(out: &mut Vec<u8>, cell: &Cell, kind: &Kind) {
    match (cell, kind) {
        (Cell::Null, _) => {}
        (Cell::Int(n), _) => out.extend_from_slice(itoa::Buffer::new().format(*n).as_bytes()),
        (Cell::Date(d), _) => push_date(out, *d),
        (Cell::Text(t), _) => out.extend_from_slice(t.as_bytes()),
        (Cell::Enum(i), Kind::Enum(values)) if usize::from(*i) < values.len() => {
            out.extend_from_slice(values[usize::from(*i)].as_bytes())
        }
        (Cell::Enum(_), _) => {
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
        let mut out = Vec::new();
        push_text(&mut out, &Cell::Text("a,\"b\"".into()), &Kind::Text);
        let mut w = CsvRecord::new();
        w.fields.clear();
        w.fields.push_field(&out);
        w.fields.push_field(b"plain");
        let mut line = Vec::new();
        w.emit(&mut line).unwrap();
        assert_eq!(line, b"\"a,\"\"b\"\"\",plain\n");
    }
}
