//! Graph's JSON form of one record, written by hand: the property names and enum strings are
//! escaped once per report, numbers and dates are formatted without going through
//! `serde_json::Value`, so a record costs one pass over its cells.

use chrono::NaiveDate;

use crate::record::{Cell, DateText};
use crate::schema::{Kind, Report};

/// The pre-escaped pieces of a report's JSON records.
#[derive(Debug, Clone)]
pub(crate) struct JsonRecord {
    /// `"property":` for each column, with a leading `,` from the second on.
    keys: Vec<Vec<u8>>,
    /// Each column's enum values as JSON strings (empty for other kinds).
    enums: Vec<Vec<Vec<u8>>>,
    /// The last date written per column and its text: a file's refresh date is the same
    /// on every record, so most dates are copied rather than formatted.
    last_dates: Vec<Option<(NaiveDate, DateText)>>,
}

impl JsonRecord {
    pub(crate) fn new(report: &Report) -> JsonRecord {
        let keys = report
            .columns
            .iter()
            .enumerate()
            .map(|(i, c)| {
                let mut key = Vec::new();
                if i > 0 {
                    key.push(b',');
                }
                push_json_string(&mut key, &c.property);
                key.push(b':');
                key
            })
            .collect();
        let enums = report
            .columns
            .iter()
            .map(|c| match &c.kind {
                Kind::Enum(values) => values
                    .iter()
                    .map(|v| {
                        let mut s = Vec::new();
                        push_json_string(&mut s, v);
                        s
                    })
                    .collect(),
                _ => Vec::new(),
            })
            .collect();
        let last_dates = vec![None; report.columns.len()];
        JsonRecord {
            keys,
            enums,
            last_dates,
        }
    }

    /// Appends `{"property":value,...}` (no line end) to `out`.
    pub(crate) fn write(&mut self, report: &Report, cells: &[Cell], out: &mut Vec<u8>) {
        out.push(b'{');
        for (i, cell) in cells.iter().enumerate().take(self.keys.len()) {
            out.extend_from_slice(&self.keys[i]);
            match cell {
                Cell::Null => out.extend_from_slice(b"null"),
                Cell::Int(n) => out.extend_from_slice(itoa::Buffer::new().format(*n).as_bytes()),
                Cell::Date(d) => {
                    let text = match &mut self.last_dates[i] {
                        Some((last, text)) if last == d => *text,
                        slot => {
                            let text = DateText::new(*d);
                            *slot = Some((*d, text));
                            text
                        }
                    };
                    out.push(b'"');
                    out.extend_from_slice(text.as_bytes());
                    out.push(b'"');
                }
                Cell::Enum(v) => match self.enums[i].get(usize::from(*v)) {
                    Some(s) => out.extend_from_slice(s),
                    // An index outside the list cannot come from the reader; write what
                    // `Cell::to_json` writes rather than invent a value.
                    None => {
                        let mut s = String::new();
                        cell.write_text(&report.columns[i].kind, &mut s);
                        push_json_string(out, &s);
                    }
                },
                Cell::Text(t) => push_json_string(out, t),
            }
        }
        out.push(b'}');
    }
}

/// Appends `s` as a JSON string literal, escaped exactly as serde_json escapes it.
pub(crate) fn push_json_string(out: &mut Vec<u8>, s: &str) {
    // serde_json's escaping is the reference (and writing into a Vec cannot fail).
    let _ = serde_json::to_writer(&mut *out, s);
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::schema::Registry;
    use proptest::prelude::*;

    #[test]
    fn record_is_graph_json_in_schema_order() {
        let registry = Registry::builtin().unwrap();
        let report = registry.find("GroupCounts").unwrap();
        let cells = [
            Cell::Date(NaiveDate::from_ymd_opt(2026, 11, 25).unwrap()),
            Cell::Int(5347),
            Cell::Null,
            Cell::Date(NaiveDate::from_ymd_opt(2026, 11, 24).unwrap()),
            Cell::Enum(0),
        ];
        let mut out = Vec::new();
        JsonRecord::new(report).write(report, &cells, &mut out);
        assert_eq!(
            String::from_utf8(out).unwrap(),
            r#"{"reportRefreshDate":"2026-11-25","total":5347,"active":null,"reportDate":"2026-11-24","reportPeriod":"7"}"#
        );
    }

    proptest! {
        #[test]
        fn json_string_equals_serde(s in any::<String>()) {
            let mut out = Vec::new();
            push_json_string(&mut out, &s);
            prop_assert_eq!(out, serde_json::to_vec(&s).unwrap());
        }
    }
}
