//! Graph's JSON form of one record, written by hand: the property names and enum strings are
//! escaped once per report, numbers and dates are formatted without going through
//! `serde_json::Value`, so a record costs one pass over its cells.

use chrono::{Datelike, NaiveDate};

use crate::record::{Cell, DateText, PAIRS};
use crate::schema::{Kind, Report};

/// The pre-escaped pieces of a report's JSON records.
#[derive(Debug, Clone)]
pub(crate) struct JsonRecord {
    /// `"property":` for each column, with a leading `,` from the second on.
    keys: Vec<Vec<u8>>,
    /// Each column's enum values as JSON strings (empty for other kinds).
    enums: Vec<Vec<Vec<u8>>>,
    /// The last date written per column and its quoted text: a file's refresh date is the
    /// same on every record, so most dates are copied rather than formatted.
    last_dates: Vec<LastDate>,
    /// The same keys and enum strings as [`Piece`]s, when every one fits in one and a record
    /// fits in [`RECORD`] bytes (see [`JsonRecord::write_fixed`]).
    fixed: Option<Fixed>,
    /// Where [`JsonRecord::write_fixed`] assembles a record: [`RECORD`] bytes, reused.
    record: Vec<u8>,
}

/// Up to [`PIECE`] bytes of finished JSON, copied whole and then counted by its length: a
/// copy of a constant size is a couple of moves, where `extend_from_slice` of a short
/// slice of unknown length is a call to `memcpy` (a third of the writer's time, measured).
#[derive(Debug, Clone, Copy, Default)]
struct Piece {
    bytes: [u8; PIECE],
    len: usize,
}

const PIECE: usize = 32;

/// The largest record assembled in place: `{`, per column a key and a value of at most one
/// [`Piece`] each, `}`, and a piece's worth of room to copy the last one whole.
const RECORD: usize = 1024;
const MAX_FIXED_COLUMNS: usize = (RECORD - 2 - PIECE) / (2 * PIECE);

impl Piece {
    fn new(text: &[u8]) -> Option<Piece> {
        let mut bytes = [0; PIECE];
        bytes.get_mut(..text.len())?.copy_from_slice(text);
        Some(Piece {
            bytes,
            len: text.len(),
        })
    }

    fn as_bytes(&self) -> &[u8] {
        &self.bytes[..self.len]
    }
}

/// Keys and enum strings as pieces.
#[derive(Debug, Clone)]
struct Fixed {
    keys: Vec<Piece>,
    enums: Vec<Vec<Piece>>,
}

impl JsonRecord {
    pub(crate) fn new(report: &Report) -> JsonRecord {
        let keys: Vec<Vec<u8>> = report
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
        let enums: Vec<Vec<Vec<u8>>> = report
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
        let fixed = (keys.len() <= MAX_FIXED_COLUMNS)
            .then(|| {
                let pieces = |texts: &[Vec<u8>]| -> Option<Vec<Piece>> {
                    texts.iter().map(|t| Piece::new(t)).collect()
                };
                Some(Fixed {
                    keys: pieces(&keys)?,
                    enums: enums.iter().map(|e| pieces(e)).collect::<Option<_>>()?,
                })
            })
            .flatten();
        JsonRecord {
            last_dates: vec![LastDate::default(); keys.len()],
            keys,
            enums,
            fixed,
            record: vec![0; RECORD],
        }
    }

    /// Appends `{"property":value,...}` (no line end) to `out`.
    pub(crate) fn write(&mut self, report: &Report, cells: &[Cell], out: &mut Vec<u8>) {
        if self.write_fixed(cells, out) {
            return;
        }
        out.push(b'{');
        for (i, cell) in cells.iter().enumerate().take(self.keys.len()) {
            out.extend_from_slice(&self.keys[i]);
            self.write_value(report, i, cell, out);
        }
        out.push(b'}');
    }

    /// `"property":` of column `i`, with a leading `,` from the second column on.
    pub(crate) fn key(&self, i: usize) -> &[u8] {
        &self.keys[i]
    }

    /// Appends the JSON value of `cell`, in column `i`, to `out`.
    pub(crate) fn write_value(
        &mut self,
        report: &Report,
        i: usize,
        cell: &Cell,
        out: &mut Vec<u8>,
    ) {
        match cell {
            Cell::Null => out.extend_from_slice(b"null"),
            Cell::Int(n) => out.extend_from_slice(itoa::Buffer::new().format(*n).as_bytes()),
            Cell::Date(d) => {
                let (piece, day) = date_piece(&mut self.last_dates[i], *d);
                out.extend_from_slice(piece.as_bytes());
                if let Some(day) = day {
                    let end = out.len() - 1;
                    out[end - 2..end].copy_from_slice(&PAIRS[day]);
                }
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
            Cell::Bool(b) => out.extend_from_slice(if *b { b"true" } else { b"false" }),
            Cell::List(items) => {
                out.push(b'[');
                for (k, item) in items.iter().enumerate() {
                    if k > 0 {
                        out.push(b',');
                    }
                    push_json_string(out, item);
                }
                out.push(b']');
            }
        }
    }

    /// The same bytes as [`JsonRecord::write`], assembled from whole pieces in a buffer of
    /// fixed size and appended at once. Returns false, having written nothing, for what
    /// does not fit in pieces (a text cell, an enum index outside the list, long names):
    /// the caller then writes the record piece by piece.
    fn write_fixed(&mut self, cells: &[Cell], out: &mut Vec<u8>) -> bool {
        let Some(fixed) = &self.fixed else {
            return false;
        };
        let buf = &mut self.record[..];
        let mut at = 1;
        buf[0] = b'{';
        for (i, cell) in cells.iter().enumerate().take(fixed.keys.len()) {
            let mut put = |piece: &Piece| {
                buf[at..at + PIECE].copy_from_slice(&piece.bytes);
                at += piece.len;
            };
            put(&fixed.keys[i]);
            match cell {
                Cell::Null => put(&NULL),
                Cell::Int(n) => at += put_int(&mut buf[at..], *n),
                Cell::Date(d) => {
                    let (piece, day) = date_piece(&mut self.last_dates[i], *d);
                    put(piece);
                    if let Some(day) = day {
                        buf[at - 3..at - 1].copy_from_slice(&PAIRS[day]);
                    }
                }
                Cell::Enum(v) => match fixed.enums[i].get(usize::from(*v)) {
                    Some(piece) => put(piece),
                    None => return false,
                },
                Cell::Text(_) | Cell::Bool(_) | Cell::List(_) => return false,
            }
        }
        buf[at] = b'}';
        if at < SHORT_RECORD {
            // A copy of a constant size and a truncation rather than a call to `memcpy`.
            let len = out.len() + at + 1;
            out.extend_from_slice(&buf[..SHORT_RECORD]);
            out.truncate(len);
        } else {
            out.extend_from_slice(&buf[..=at]);
        }
        true
    }
}

/// Records up to this long (most are about 110 bytes) are appended by a copy of this size.
const SHORT_RECORD: usize = 128;

/// Writes `n` in decimal at the start of `buf` (at least 20 bytes); its length. Two digits a
/// step straight into the record, where formatting elsewhere and copying cost twice that.
fn put_int(buf: &mut [u8], n: i64) -> usize {
    let Ok(mut m) = u32::try_from(n) else {
        let mut digits = itoa::Buffer::new();
        let digits = digits.format(n).as_bytes();
        // At most 20 bytes: a short loop, no call.
        for (slot, &b) in buf.iter_mut().zip(digits) {
            *slot = b;
        }
        return digits.len();
    };
    let len = match m {
        0..=9 => 1,
        10..=99 => 2,
        100..=999 => 3,
        1_000..=9_999 => 4,
        10_000..=99_999 => 5,
        100_000..=999_999 => 6,
        1_000_000..=9_999_999 => 7,
        10_000_000..=99_999_999 => 8,
        100_000_000..=999_999_999 => 9,
        _ => 10,
    };
    let mut end = len;
    while m >= 100 {
        buf[end - 2..end].copy_from_slice(&PAIRS[(m % 100) as usize]);
        end -= 2;
        m /= 100;
    }
    if m >= 10 {
        buf[end - 2..end].copy_from_slice(&PAIRS[m as usize]);
    } else {
        buf[end - 1] = b'0' + m as u8;
    }
    len
}

/// A column's last date written and its quoted text.
#[derive(Debug, Clone, Copy, Default)]
struct LastDate {
    date: Option<NaiveDate>,
    /// The day of the month of `date`.
    day: u32,
    /// The text of the date last formatted: `date`'s but for the day's digits, which
    /// [`date_piece`] gives apart.
    piece: Piece,
}

/// `null` as a piece.
const NULL: Piece = {
    let mut bytes = [0; PIECE];
    bytes[0] = b'n';
    bytes[1] = b'u';
    bytes[2] = b'l';
    bytes[3] = b'l';
    Piece { bytes, len: 4 }
};

/// The quoted text of `date`, from the column's cache of its last date, and the day of the
/// month to write over the text's day digits (bytes 9 and 10 of `"YYYY-MM-DD"`), if any.
///
/// Consecutive records' dates are mostly the same or a day apart (a download holds one row
/// per day, in order): a date in the same month as the last one only changes the day's two
/// digits. Days 1 to 28 are in every month, so a step that lands in them from a day of the
/// same year, by as many days as the ordinals differ, stays in the month. The digits are
/// written after the cached text is copied, not into it: a copy that reads bytes just
/// written waits for the write (a store-forwarding stall, an eighth of the writer's time).
fn date_piece(cache: &mut LastDate, date: NaiveDate) -> (&Piece, Option<usize>) {
    match cache.date {
        Some(last) if last == date => {}
        Some(last) => {
            let day = i64::from(cache.day) + i64::from(date.ordinal()) - i64::from(last.ordinal());
            match u32::try_from(day) {
                Ok(d @ 1..=28) if last.year() == date.year() && cache.piece.len == 12 => {
                    cache.date = Some(date);
                    cache.day = d;
                }
                _ => cache.format(date),
            }
        }
        None => cache.format(date),
    }
    let day = (cache.piece.len == 12).then_some(cache.day as usize);
    (&cache.piece, day)
}

impl LastDate {
    /// Formats `date` into the cache.
    fn format(&mut self, date: NaiveDate) {
        let text = DateText::new(date);
        let text = text.as_bytes();
        // The widest date is 13 bytes, 15 with its quotes: always a piece.
        self.piece.bytes[0] = b'"';
        self.piece.bytes[1..=text.len()].copy_from_slice(text);
        self.piece.bytes[text.len() + 1] = b'"';
        self.piece.len = text.len() + 2;
        self.date = Some(date);
        self.day = date.day();
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

    /// The assembled-in-place path writes what the piece-by-piece path writes, and gives
    /// way to it for what it cannot hold.
    #[test]
    fn fixed_and_piecewise_records_are_the_same_bytes() {
        let registry = Registry::builtin().unwrap();
        let report = registry.find("GroupCounts").unwrap();
        let mut fast = JsonRecord::new(report);
        assert!(fast.fixed.is_some());
        let mut slow = JsonRecord::new(report);
        slow.fixed = None;
        let day = |y, m, d| Cell::Date(NaiveDate::from_ymd_opt(y, m, d).unwrap());
        let records = [
            vec![
                day(2026, 11, 25),
                Cell::Int(i64::MIN),
                Cell::Int(i64::MAX),
                day(9999, 12, 31),
                Cell::Enum(3),
            ],
            vec![
                day(2026, 11, 25),
                Cell::Null,
                Cell::Int(0),
                day(10000, 1, 1),
                Cell::Enum(0),
            ],
            vec![
                day(-5, 1, 1),
                Cell::Int(7),
                Cell::Null,
                day(-5, 1, 1),
                Cell::Enum(99),
            ],
            vec![
                Cell::Text(Box::new("a\"b".into())),
                Cell::Int(1),
                Cell::Int(2),
                day(2026, 1, 1),
                Cell::Null,
            ],
            vec![day(2026, 11, 25), Cell::Int(1)],
        ];
        for cells in &records {
            let (mut a, mut b) = (Vec::new(), Vec::new());
            fast.write(report, cells, &mut a);
            slow.write(report, cells, &mut b);
            assert_eq!(String::from_utf8(a).unwrap(), String::from_utf8(b).unwrap());
        }
    }

    proptest! {
        #[test]
        fn put_int_writes_what_display_writes(
            n in prop_oneof![any::<i64>(), 0i64..100_000, 4_000_000_000i64..5_000_000_000],
        ) {
            let mut buf = [b'x'; 24];
            let len = put_int(&mut buf, n);
            let want = n.to_string();
            prop_assert_eq!(&buf[..len], want.as_bytes());
            prop_assert!(buf[len..].iter().all(|&b| b == b'x'));
        }

        #[test]
        fn date_pieces_are_the_dates_text(
            start in -400_000i32..4_000_000,
            steps in prop::collection::vec(prop_oneof![Just(-1i32), Just(1), Just(0), -800i32..800], 1..80),
        ) {
            // One column's dates in turn, from day `start` (of the common era) on.
            let mut cache = LastDate::default();
            let mut day = start;
            for step in steps {
                day += step;
                let Some(date) = NaiveDate::from_num_days_from_ce_opt(day) else { continue };
                let want = format!("\"{}\"", date.format("%Y-%m-%d"));
                let (piece, day) = date_piece(&mut cache, date);
                let mut text = piece.as_bytes().to_vec();
                if let Some(day) = day {
                    text[9..11].copy_from_slice(&PAIRS[day]);
                }
                prop_assert_eq!(text, want.as_bytes());
            }
        }

        #[test]
        fn json_string_equals_serde(s in any::<String>()) {
            let mut out = Vec::new();
            push_json_string(&mut out, &s);
            prop_assert_eq!(out, serde_json::to_vec(&s).unwrap());
        }
    }
}
