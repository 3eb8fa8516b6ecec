//! Field rules: one cell's bytes -> a typed [`Cell`], or why not.
//!
//! These run once per cell of every row, so they work on bytes and allocate nothing on the
//! good path. `parse_iso_date` and `parse_count` are proved equal to chrono and std by
//! property tests below.

use chrono::{Datelike, NaiveDate};

use crate::diagnostic::Code;
use crate::record::Cell;
use crate::schema::Kind;

/// Why a cell was refused: the code, a message and what was expected, plus a hint.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldProblem {
    /// The finding code.
    pub code: Code,
    /// What is wrong, without the column name.
    pub message: &'static str,
    /// What a valid value looks like.
    pub expected: String,
    /// What to do, where something helps.
    pub hint: Option<String>,
}

/// Parses exactly `YYYY-MM-DD` (four-digit year) into a real calendar date.
pub fn parse_iso_date(b: &[u8]) -> Option<NaiveDate> {
    let b: &[u8; 10] = b.try_into().ok()?;
    // Every digit is read and checked at once: one test for the lot rather than one
    // branch per byte (millions of dates per large file).
    let d = |i: usize| u32::from(b[i].wrapping_sub(b'0'));
    let not_digits = [0, 1, 2, 3, 5, 6, 8, 9]
        .iter()
        .fold(false, |bad, &i| bad | (d(i) > 9));
    if not_digits || b[4] != b'-' || b[7] != b'-' {
        return None;
    }
    let year = d(0) * 1000 + d(1) * 100 + d(2) * 10 + d(3);
    NaiveDate::from_ymd_opt(
        i32::try_from(year).ok()?,
        d(5) * 10 + d(6),
        d(8) * 10 + d(9),
    )
}

/// Parses a date as Graph JSON writes it: `YYYY-MM-DD`, or a midnight UTC date-time
/// `YYYY-MM-DDT00:00:00Z` (optionally with zero fractional seconds or a `+00:00` offset).
pub fn parse_json_date(b: &[u8]) -> Option<NaiveDate> {
    if b.len() == 10 {
        return parse_iso_date(b);
    }
    let date = parse_iso_date(b.get(..10)?)?;
    let rest = b.get(10..)?;
    let rest = rest.strip_prefix(b"T00:00:00")?;
    let rest = match rest.strip_prefix(b".") {
        Some(frac) => {
            let zeros = frac.iter().take_while(|&&c| c == b'0').count();
            if zeros == 0 {
                return None;
            }
            &frac[zeros..]
        }
        None => rest,
    };
    matches!(rest, b"Z" | b"+00:00" | b"-00:00").then_some(date)
}

/// Parses a whole number written as plain ASCII digits with an optional leading `-`,
/// refusing overflow. Signs, separators and decimals are left to the caller's diagnosis.
pub fn parse_count(b: &[u8]) -> Option<i64> {
    // Up to 18 digits cannot overflow: the common case needs no checked arithmetic, and
    // one pass both reads the digits and notes a byte that is not one.
    if (1..=18).contains(&b.len()) {
        let (n, not_digits) = b.iter().fold((0i64, false), |(n, bad), &c| {
            let digit = c.wrapping_sub(b'0');
            (
                n.wrapping_mul(10).wrapping_add(i64::from(digit)),
                bad | (digit > 9),
            )
        });
        if !not_digits {
            return Some(n);
        }
    }
    let (negative, digits) = match b.split_first() {
        Some((b'-', rest)) => (true, rest),
        _ => (false, b),
    };
    if digits.is_empty() {
        return None;
    }
    let mut n: i64 = 0;
    for &c in digits {
        if !c.is_ascii_digit() {
            return None;
        }
        n = n.checked_mul(10)?;
        n = if negative {
            n.checked_sub(i64::from(c - b'0'))?
        } else {
            n.checked_add(i64::from(c - b'0'))?
        };
    }
    Some(n)
}

/// Reads the cells of one column on the good path: the value [`check_text_cell`] gives, or
/// `None` where it finds a problem (the caller then asks it why).
///
/// A column's dates fall in a few months (a download's last activities in the last few,
/// licence assign dates in a few dozen), so each month met is kept by its `YYYY-MM-` text
/// with the dates of its days as they are read: a date read before costs a look-up, not a
/// calendar computation (chrono's was 6% of checking a detail row).
#[derive(Debug, Clone, Default)]
pub struct CellReader {
    /// Months read, by the hash of their `YYYY-MM-` word. Boxed, and made at the first
    /// date: readers sit side by side, one per column, and are walked on every row.
    months: Option<Box<[Month; MONTHS]>>,
}

/// One month of a [`CellReader`]: its `YYYY-MM-` bytes as a word (0, which no such text
/// makes, for none), its first day, and the dates of the days read so far, by day.
#[derive(Debug, Clone, Copy)]
struct Month {
    word: u64,
    first: NaiveDate,
    days: [Option<NaiveDate>; 32],
}

const NO_MONTH: Month = Month {
    word: 0,
    first: NaiveDate::MIN,
    days: [None; 32],
};

/// How many months [`CellReader`] keeps (a power of two: the slot is the word's hash).
const MONTHS: usize = 32;

impl CellReader {
    /// The value of `raw` in a column of `kind`, if it passes the column's field rule.
    #[inline(always)]
    pub fn read(&mut self, kind: &Kind, raw: &[u8]) -> Option<Cell> {
        match kind {
            Kind::Date => self.date(raw).map(Cell::Date),
            Kind::Integer { min, max, nullable } => {
                if raw.is_empty() {
                    return nullable.then_some(Cell::Null);
                }
                parse_count(raw)
                    .filter(|n| (*min..=*max).contains(n))
                    .map(Cell::Int)
            }
            Kind::Enum(values) => enum_index(values, raw),
            _ => text_cell(kind, raw),
        }
    }

    /// [`CellReader::read`] into `cell`, which holds the column's value of the row before:
    /// a text (a name, a GUID, a duration) is copied into the text already there, so a
    /// file's rows allocate once per text column, not once per cell. False, with `cell`
    /// unchanged or emptied, where the field rule refuses `raw`.
    #[inline(always)]
    pub fn read_into(&mut self, kind: &Kind, raw: &[u8], cell: &mut Cell) -> bool {
        match kind {
            // A detail report's row holds a dozen of these: last activities, licence assign
            // dates (each column keeps its own month), flags and products.
            // Written over the row before's value without a drop to call (see `Cell::set`).
            Kind::OptionalDate if raw.is_empty() => {
                cell.set(Cell::Null);
                return true;
            }
            Kind::OptionalDate => {
                if let Some(date) = self.date(raw) {
                    cell.set(Cell::Date(date));
                    return true;
                }
            }
            Kind::Boolean => {
                if let Some(value) = parse_bool(raw) {
                    cell.set(Cell::Bool(value));
                    return true;
                }
            }
            Kind::List => {
                if let (Cell::List(items), false, Ok(raw)) =
                    (&mut *cell, raw.is_empty(), text_of(raw))
                {
                    refill_list(items, raw);
                    return true;
                }
            }
            _ => {}
        }
        if let (Kind::Text | Kind::Guid | Kind::Duration, Cell::Text(text)) = (kind, &mut *cell) {
            let fits = !raw.is_empty()
                && match kind {
                    Kind::Guid => is_guid(raw),
                    Kind::Duration => is_duration(raw),
                    _ => true,
                };
            if let (true, Ok(raw)) = (fits, text_of(raw)) {
                text.clear();
                text.push_str(raw);
                return true;
            }
        }
        match self.read(kind, raw) {
            Some(value) => {
                cell.set(value);
                true
            }
            None => false,
        }
    }

    /// [`parse_iso_date`], remembering the month and the day.
    #[inline(always)]
    fn date(&mut self, raw: &[u8]) -> Option<NaiveDate> {
        let b: &[u8; 10] = raw.try_into().ok()?;
        let (head, day) = b.split_at(8);
        let word = u64::from_le_bytes(head.try_into().ok()?);
        let (tens, ones) = (day[0].wrapping_sub(b'0'), day[1].wrapping_sub(b'0'));
        // Day 40 and after is in no month; the month's dates say which days before are.
        if tens > 3 || ones > 9 {
            return None;
        }
        let day = usize::from(tens * 10 + ones);
        let slot = (word.wrapping_mul(0x9E37_79B9_7F4A_7C15) >> 59) as usize % MONTHS;
        let months = self
            .months
            .get_or_insert_with(|| Box::new([NO_MONTH; MONTHS]));
        let month = &mut months[slot];
        if month.word == word {
            if let Some(date) = month.days.get(day).copied().flatten() {
                return Some(date);
            }
            let date = month.first.with_day(u32::try_from(day).ok()?)?;
            month.days[day] = Some(date);
            return Some(date);
        }
        let date = parse_iso_date(raw)?;
        *month = Month {
            word,
            first: date.with_day(1)?,
            days: [None; 32],
        };
        month.days[day] = Some(date);
        Some(date)
    }
}

/// `raw` as text, if it is UTF-8. ASCII, nearly every cell, is told a word at a time, where
/// `from_utf8` goes byte by byte through a short text: a detail row's names and products
/// were 3% of checking it (BENCHMARKS.md, "Sessions 10 and 11").
#[inline]
fn text_of(raw: &[u8]) -> Result<&str, std::str::Utf8Error> {
    if raw.is_ascii() {
        // SAFETY: ASCII bytes are valid UTF-8.
        return Ok(unsafe { std::str::from_utf8_unchecked(raw) });
    }
    std::str::from_utf8(raw)
}

/// Puts the `+`-separated items of `raw` into `items` as [`check_text_cell`] splits them,
/// reusing the strings already there: a products list of every row, without an
/// allocation per item.
#[inline(never)]
fn refill_list(items: &mut Vec<String>, raw: &str) {
    let mut n = 0;
    for item in raw.split('+') {
        match items.get_mut(n) {
            Some(held) => {
                held.clear();
                held.push_str(item);
            }
            None => items.push(item.to_owned()),
        }
        n += 1;
    }
    items.truncate(n);
}

/// A text cell's value (or a boolean's, a GUID's...): kept out of [`CellReader::read`],
/// which the short path inlines for the usual kinds.
#[inline(never)]
fn text_cell(kind: &Kind, raw: &[u8]) -> Option<Cell> {
    check_text_cell(kind, raw).ok()
}

/// Checks one CSV cell (or a string cell of CSV-shaped JSON) against a column's kind.
pub fn check_text_cell(kind: &Kind, raw: &[u8]) -> Result<Cell, FieldProblem> {
    if raw.is_empty() {
        return match kind {
            _ if kind.nullable() => Ok(Cell::Null),
            _ => Err(FieldProblem {
                code: Code::EmptyRequired,
                message: "is empty",
                expected: expected(kind),
                hint: None,
            }),
        };
    }
    match kind {
        Kind::Date | Kind::OptionalDate => parse_iso_date(raw)
            .map(Cell::Date)
            .ok_or_else(|| date_problem(raw, false)),
        Kind::Integer { min, max, .. } => check_integer(raw, *min, *max),
        Kind::Enum(values) => enum_index(values, raw).ok_or_else(|| enum_problem(values, raw)),
        Kind::Text => Ok(text(raw)),
        Kind::Boolean => parse_bool(raw)
            .map(Cell::Bool)
            .ok_or_else(|| bool_problem(raw)),
        Kind::Guid if is_guid(raw) => Ok(text(raw)),
        Kind::Guid => Err(guid_problem(raw)),
        Kind::Duration if is_duration(raw) => Ok(text(raw)),
        Kind::Duration => Err(duration_problem(raw)),
        Kind::List => Ok(Cell::List(Box::new(
            utf8(raw).split('+').map(str::to_string).collect(),
        ))),
    }
}

fn text(raw: &[u8]) -> Cell {
    Cell::Text(Box::new(utf8(raw)))
}

/// The cell's text: rows reach the field rules checked as UTF-8, so the lossy conversion
/// (which scans in chunks) is only for what slipped through.
fn utf8(raw: &[u8]) -> String {
    match text_of(raw) {
        Ok(text) => text.to_owned(),
        Err(_) => String::from_utf8_lossy(raw).into_owned(),
    }
}

/// Reads a boolean as exports write it: `True`/`False` (Graph's CSV), `Yes`/`No` (some
/// reports' `Used ...` and `Has Other Action` columns), in any case.
#[inline]
pub fn parse_bool(raw: &[u8]) -> Option<bool> {
    // The length picks the one word to compare, as a whole: a detail row holds a dozen
    // flags. Setting bit 5 of each byte lower-cases a letter, and every letter of these
    // words has it set, so only their upper- and lower-case forms compare equal.
    const LOWER: u32 = 0x2020_2020;
    let word = |b: &[u8]| u32::from_le_bytes([b[0], b[1], b[2], b[3]]) | LOWER;
    match raw.len() {
        4 if word(raw) == u32::from_le_bytes(*b"true") => Some(true),
        5 if word(raw) == u32::from_le_bytes(*b"fals") && raw[4] | 0x20 == b'e' => Some(false),
        3 if raw.eq_ignore_ascii_case(b"yes") => Some(true),
        2 if raw.eq_ignore_ascii_case(b"no") => Some(false),
        _ => None,
    }
}

/// Whether `raw` is a GUID: 8-4-4-4-12 hex digits, either case.
pub fn is_guid(raw: &[u8]) -> bool {
    raw.len() == 36
        && raw.iter().enumerate().all(|(i, &c)| match i {
            8 | 13 | 18 | 23 => c == b'-',
            _ => c.is_ascii_hexdigit(),
        })
}

/// Whether `raw` is an ISO 8601 duration as Graph writes them (`Edm.Duration`): `P`, then
/// days, then `T` and hours, minutes and (possibly fractional) seconds, each part optional
/// but at least one present, e.g. `PT0S`, `PT1H2M3S`, `P1DT2H`, `P2W`.
pub fn is_duration(raw: &[u8]) -> bool {
    let Some(rest) = raw.strip_prefix(b"P") else {
        return false;
    };
    let (date, time) = match rest.iter().position(|&c| c == b'T') {
        Some(t) => (&rest[..t], Some(&rest[t + 1..])),
        None => (rest, None),
    };
    /// Reads `<number><unit>` parts in the order of `units`; false on anything else.
    fn parts(mut text: &[u8], units: &[u8], fraction_last: bool) -> Option<usize> {
        let mut count = 0;
        let mut next_unit = 0;
        while !text.is_empty() {
            let digits = text.iter().take_while(|c| c.is_ascii_digit()).count();
            let mut len = digits;
            if fraction_last && text.get(len) == Some(&b'.') {
                let frac = text[len + 1..]
                    .iter()
                    .take_while(|c| c.is_ascii_digit())
                    .count();
                if frac == 0 {
                    return None;
                }
                len += 1 + frac;
            }
            let unit = *text.get(len)?;
            if digits == 0 {
                return None;
            }
            let at = units[next_unit..].iter().position(|&u| u == unit)? + next_unit;
            if len != digits && at != units.len() - 1 {
                return None;
            }
            next_unit = at + 1;
            count += 1;
            text = &text[len + 1..];
        }
        Some(count)
    }
    let Some(date_parts) = parts(date, b"YMWD", false) else {
        return false;
    };
    match time {
        None => date_parts > 0,
        Some(time) => parts(time, b"HMS", true).is_some_and(|n| n > 0),
    }
}

#[cold]
#[inline(never)]
fn bool_problem(raw: &[u8]) -> FieldProblem {
    let text = String::from_utf8_lossy(raw);
    let hint = if parse_bool(text.trim().as_bytes()).is_some() {
        Some("remove the spaces around the value".to_string())
    } else if matches!(text.trim(), "0" | "1") {
        Some("write `True` or `False`, not a number".to_string())
    } else {
        None
    };
    FieldProblem {
        code: Code::InvalidBoolean,
        message: "is not a boolean",
        expected: expected(&Kind::Boolean),
        hint,
    }
}

#[cold]
#[inline(never)]
fn guid_problem(raw: &[u8]) -> FieldProblem {
    let text = String::from_utf8_lossy(raw);
    let bare = text.trim().trim_start_matches('{').trim_end_matches('}');
    let hint = if is_guid(bare.as_bytes()) {
        Some(format!("write the GUID without braces or spaces: `{bare}`"))
    } else if text.len() == 32 && text.bytes().all(|c| c.is_ascii_hexdigit()) {
        Some(
            "32 hex digits without dashes: a concealed name, not a GUID; the column holds an id"
                .into(),
        )
    } else {
        None
    };
    FieldProblem {
        code: Code::InvalidGuid,
        message: "is not a GUID",
        expected: expected(&Kind::Guid),
        hint,
    }
}

#[cold]
#[inline(never)]
fn duration_problem(raw: &[u8]) -> FieldProblem {
    let text = String::from_utf8_lossy(raw);
    let clock: Vec<&str> = text.split(':').collect();
    let hint = if clock.len() == 3 && clock.iter().all(|p| p.parse::<f64>().is_ok()) {
        Some(format!(
            "a clock time; Graph writes durations in ISO 8601, e.g. `PT{}H{}M{}S`",
            clock[0].trim_start_matches('0').parse::<u64>().unwrap_or(0),
            clock[1].trim_start_matches('0').parse::<u64>().unwrap_or(0),
            clock[2]
        ))
    } else if text.bytes().all(|c| c.is_ascii_digit()) {
        Some(format!("a bare number; write seconds as `PT{text}S`"))
    } else {
        None
    };
    FieldProblem {
        code: Code::InvalidDuration,
        message: "is not an ISO 8601 duration",
        expected: expected(&Kind::Duration),
        hint,
    }
}

/// Checks a JSON string value (Graph's JSON form). Booleans and lists also come as the
/// strings CSV has (`"True"`, `"A+B"`), which tools converting CSV write; an empty string is
/// no value where the kind may have none (Forms and Copilot examples write `""`).
pub fn check_json_string(kind: &Kind, s: &str) -> Result<Cell, FieldProblem> {
    match kind {
        Kind::Date => parse_json_date(s.as_bytes())
            .map(Cell::Date)
            .ok_or_else(|| date_problem(s.as_bytes(), true)),
        Kind::OptionalDate if s.is_empty() => Ok(Cell::Null),
        Kind::OptionalDate => parse_json_date(s.as_bytes())
            .map(Cell::Date)
            .ok_or_else(|| date_problem(s.as_bytes(), true)),
        Kind::Enum(values) => {
            enum_index(values, s.as_bytes()).ok_or_else(|| enum_problem(values, s.as_bytes()))
        }
        Kind::Text => Ok(Cell::Text(Box::new(s.to_string()))),
        Kind::Integer { .. } => Err(wrong_type(kind, "a string")),
        // Unlike a CSV cell, a JSON string can be null instead of empty: an empty GUID or
        // duration is none of either, as the schemas' `format` and `pattern` say.
        Kind::Guid if s.is_empty() => Err(guid_problem(b"")),
        Kind::Duration if s.is_empty() => Err(duration_problem(b"")),
        Kind::Boolean | Kind::Guid | Kind::Duration | Kind::List => {
            check_text_cell(kind, s.as_bytes())
        }
    }
}

/// Checks a JSON `true` or `false`.
pub fn check_json_bool(kind: &Kind, value: bool) -> Result<Cell, FieldProblem> {
    match kind {
        Kind::Boolean => Ok(Cell::Bool(value)),
        _ => Err(wrong_type(kind, "a boolean")),
    }
}

/// Checks a JSON array of strings (already read) for a list column.
pub fn check_json_list(kind: &Kind, items: Vec<String>) -> Result<Cell, FieldProblem> {
    match kind {
        Kind::List => Ok(Cell::List(Box::new(items))),
        _ => Err(wrong_type(kind, "an array")),
    }
}

/// Checks a JSON number for an integer column. `raw` is the number as written.
pub fn check_json_number(kind: &Kind, raw: &str) -> Result<Cell, FieldProblem> {
    match kind {
        Kind::Integer { min, max, .. } => {
            check_integer(raw.as_bytes(), *min, *max).map_err(|mut p| {
                // A JSON number is always a number: the problem is its value, which E202 covers,
                // but a text hint about quoting would be wrong here.
                if raw.contains(['.', 'e', 'E']) {
                    p.hint = Some("counts are whole numbers; Graph never writes decimals".into());
                }
                p
            })
        }
        // Graph's nested JSON shapes write the period as a number (`"reportPeriod": 7`).
        Kind::Enum(values) if raw.bytes().all(|c| c.is_ascii_digit()) => {
            enum_index(values, raw.as_bytes()).ok_or_else(|| enum_problem(values, raw.as_bytes()))
        }
        _ => Err(wrong_type(kind, "a number")),
    }
}

/// The problem for a JSON value of the wrong type (`found` is "a string", "null", ...).
pub fn wrong_type(kind: &Kind, found: &str) -> FieldProblem {
    let hint = match (kind, found) {
        (Kind::Integer { .. }, "a string") => {
            Some("Graph writes counts as JSON numbers, without quotes".to_string())
        }
        (Kind::Enum(_), "a number") => {
            Some("Graph writes the report period as a string, e.g. \"7\"".to_string())
        }
        (_, "null") => Some("only counts, optional dates and text may be null".to_string()),
        _ => None,
    };
    FieldProblem {
        code: Code::WrongType,
        message: "has the wrong type",
        expected: expected(kind),
        hint,
    }
}

/// Describes what a valid value of `kind` looks like.
pub fn expected(kind: &Kind) -> String {
    match kind {
        Kind::Date => "a date YYYY-MM-DD".into(),
        Kind::Integer { min, max, nullable } => {
            let range = match (*min, *max) {
                (0, i64::MAX) => "a whole number >= 0 within Int64".to_string(),
                (i64::MIN, i64::MAX) => "a whole number within Int64".to_string(),
                (lo, hi) => format!("a whole number from {lo} to {hi}"),
            };
            if *nullable {
                format!("{range}, or empty for no value")
            } else {
                range
            }
        }
        Kind::Enum(values) => format!("one of {}", values.join(", ")),
        Kind::Text => "text".into(),
        Kind::OptionalDate => "a date YYYY-MM-DD, or empty for none".into(),
        Kind::Boolean => "True or False (or Yes or No)".into(),
        Kind::Guid => "a GUID such as 00000000-0000-0000-0000-000000000000".into(),
        Kind::Duration => "an ISO 8601 duration such as PT1H2M3S".into(),
        Kind::List => "text, several values separated by +".into(),
    }
}

fn enum_index(values: &[String], raw: &[u8]) -> Option<Cell> {
    values
        .iter()
        .position(|v| v.as_bytes() == raw)
        .and_then(|i| u16::try_from(i).ok())
        .map(Cell::Enum)
}

#[cold]
#[inline(never)]
fn enum_problem(values: &[String], raw: &[u8]) -> FieldProblem {
    let text = String::from_utf8_lossy(raw);
    let trimmed = text.trim().trim_start_matches(['D', 'd', 'P', 'p']);
    let hint = values
        .iter()
        .find(|v| v.as_str() == trimmed)
        .map(|v| format!("write `{v}`: Graph's period parameter is `D{v}`, but the report column holds the number of days only"));
    FieldProblem {
        code: Code::NotAllowed,
        message: "is not an allowed value",
        expected: format!("one of {}", values.join(", ")),
        hint,
    }
}

fn check_integer(raw: &[u8], min: i64, max: i64) -> Result<Cell, FieldProblem> {
    match parse_count(raw) {
        Some(n) if (min..=max).contains(&n) => Ok(Cell::Int(n)),
        parsed => Err(integer_problem(raw, parsed, min, max)),
    }
}

/// Why a count cell was refused; out of the way of the good path, which runs per cell.
#[cold]
#[inline(never)]
fn integer_problem(raw: &[u8], parsed: Option<i64>, min: i64, max: i64) -> FieldProblem {
    let hint = match parsed {
        Some(n) if n < 0 && min >= 0 => Some("counts cannot be negative".into()),
        Some(_) => None,
        None => integer_hint(raw),
    };
    FieldProblem {
        code: Code::InvalidInteger,
        message: "is not a valid count",
        expected: expected(&Kind::Integer {
            min,
            max,
            nullable: false,
        }),
        hint,
    }
}

fn integer_hint(raw: &[u8]) -> Option<String> {
    let digits_only = |s: &[u8]| !s.is_empty() && s.iter().all(u8::is_ascii_digit);
    let text = String::from_utf8_lossy(raw);
    if text.trim() != text {
        return Some("remove the spaces around the number".into());
    }
    if raw.iter().all(|c| c.is_ascii_digit() || *c == b'-') && raw.len() > 18 {
        return Some("the value does not fit in a signed 64-bit integer".into());
    }
    if let Some((whole, frac)) = text.split_once('.') {
        if digits_only(whole.as_bytes()) && frac.bytes().all(|c| c == b'0') && !frac.is_empty() {
            return Some(format!("write `{whole}`: counts have no decimals"));
        }
        if digits_only(whole.as_bytes()) && digits_only(frac.as_bytes()) && frac.len() != 3 {
            return Some("counts are whole numbers; a spreadsheet may have averaged or reformatted this cell".into());
        }
    }
    let separators = [',', '.', ' ', '\u{a0}', '\'', '\u{202f}'];
    if text.contains(separators) {
        let stripped: String = text.chars().filter(|c| !separators.contains(c)).collect();
        if digits_only(stripped.as_bytes()) {
            return Some(format!("remove the thousands separators: `{stripped}`"));
        }
    }
    if text.contains(['e', 'E']) && text.parse::<f64>().is_ok() {
        return Some("a spreadsheet wrote this count in scientific notation; format the column as a whole number".into());
    }
    None
}

#[cold]
#[inline(never)]
fn date_problem(raw: &[u8], json: bool) -> FieldProblem {
    let text = String::from_utf8_lossy(raw);
    let hint = date_hint(&text, json);
    FieldProblem {
        code: Code::InvalidDate,
        message: "is not a valid date",
        expected: if json {
            "a date YYYY-MM-DD or a midnight date-time YYYY-MM-DDT00:00:00Z".into()
        } else {
            "a date YYYY-MM-DD".into()
        },
        hint,
    }
}

fn date_hint(text: &str, json: bool) -> Option<String> {
    let bytes = text.as_bytes();
    if bytes.len() == 10
        && bytes[4] == b'-'
        && bytes[7] == b'-'
        && text.bytes().filter(u8::is_ascii_digit).count() == 8
    {
        return Some("no such day in the calendar".into());
    }
    if text.trim() != text {
        return Some("remove the spaces around the date".into());
    }
    if bytes.len() > 10
        && parse_iso_date(&bytes[..10]).is_some()
        && matches!(bytes[10], b'T' | b' ')
    {
        return Some(if json {
            "only midnight UTC date-times name a day; this one has a time of day".into()
        } else {
            format!("write the date only: `{}`", &text[..10])
        });
    }
    let parts: Vec<&str> = text.split(['/', '.', '-']).collect();
    if parts.len() == 3
        && parts
            .iter()
            .all(|p| !p.is_empty() && p.bytes().all(|c| c.is_ascii_digit()))
    {
        return Some("dates must be ISO 8601 (YYYY-MM-DD); a spreadsheet probably rewrote this one in a local format".into());
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    const COUNT: Kind = Kind::Integer {
        min: 0,
        max: i64::MAX,
        nullable: true,
    };

    #[test]
    fn booleans_in_any_case_and_nothing_one_byte_away() {
        let reference = |raw: &[u8]| match () {
            _ if raw.eq_ignore_ascii_case(b"true") || raw.eq_ignore_ascii_case(b"yes") => {
                Some(true)
            }
            _ if raw.eq_ignore_ascii_case(b"false") || raw.eq_ignore_ascii_case(b"no") => {
                Some(false)
            }
            _ => None,
        };
        for word in [
            "true", "false", "yes", "no", "True", "FALSE", "fAlSe", "Yes",
        ] {
            let raw = word.as_bytes();
            assert_eq!(parse_bool(raw), reference(raw), "{word}");
            assert!(parse_bool(raw).is_some());
            // Every byte in every place: only a letter's other case still reads.
            for at in 0..raw.len() {
                for b in 0..=255u8 {
                    let mut changed = raw.to_vec();
                    changed[at] = b;
                    assert_eq!(parse_bool(&changed), reference(&changed), "{changed:?}");
                }
            }
        }
        assert_eq!(parse_bool(b"tru"), None);
        assert_eq!(parse_bool(b""), None);
    }

    #[test]
    fn dates() {
        assert_eq!(
            parse_iso_date(b"2026-11-25"),
            NaiveDate::from_ymd_opt(2026, 11, 25)
        );
        assert_eq!(
            parse_iso_date(b"2024-02-29"),
            NaiveDate::from_ymd_opt(2024, 2, 29)
        );
        for bad in [
            "2023-02-29",
            "2026-13-01",
            "2026-00-10",
            "2026-1-01",
            "26-11-25",
            "2026/11/25",
            "2026-11-2x",
            "",
        ] {
            assert_eq!(parse_iso_date(bad.as_bytes()), None, "{bad}");
        }
    }

    #[test]
    fn json_dates_accept_midnight_date_times_only() {
        let d = NaiveDate::from_ymd_opt(2021, 10, 25);
        for ok in [
            "2021-10-25",
            "2021-10-25T00:00:00Z",
            "2021-10-25T00:00:00.000Z",
            "2021-10-25T00:00:00+00:00",
        ] {
            assert_eq!(parse_json_date(ok.as_bytes()), d, "{ok}");
        }
        for bad in [
            "2021-10-25T13:00:00Z",
            "2021-10-25T00:00:00",
            "2021-10-25T00:00:00.Z",
            "2021-10-25T00:00:00+01:00",
        ] {
            assert_eq!(parse_json_date(bad.as_bytes()), None, "{bad}");
        }
    }

    #[test]
    fn empty_count_is_null_but_empty_date_is_an_error() {
        assert_eq!(check_text_cell(&COUNT, b""), Ok(Cell::Null));
        assert_eq!(
            check_text_cell(&Kind::Date, b"").unwrap_err().code,
            Code::EmptyRequired
        );
    }

    #[test]
    fn count_problems_have_hints() {
        let hint = |s: &str| check_text_cell(&COUNT, s.as_bytes()).unwrap_err().hint;
        assert_eq!(
            hint("5,344").unwrap(),
            "remove the thousands separators: `5344`"
        );
        assert_eq!(hint("12.0").unwrap(), "write `12`: counts have no decimals");
        assert_eq!(hint("-3").unwrap(), "counts cannot be negative");
        assert!(hint("99999999999999999999").unwrap().contains("64-bit"));
        assert!(hint("1.2E+05").unwrap().contains("scientific"));
        assert_eq!(
            check_text_cell(&COUNT, b"+5").unwrap_err().code,
            Code::InvalidInteger
        );
    }

    #[test]
    fn period_hint_for_d_prefix() {
        let kind = Kind::Enum(vec!["7".into(), "30".into()]);
        let p = check_text_cell(&kind, b"D7").unwrap_err();
        assert_eq!(p.code, Code::NotAllowed);
        assert!(p.hint.unwrap().contains("write `7`"));
        assert_eq!(check_text_cell(&kind, b"30"), Ok(Cell::Enum(1)));
    }

    #[test]
    fn a_day_past_the_month_is_not_the_next_month() {
        let mut reader = CellReader::default();
        for (text, valid) in [
            ("2026-11-30", true),
            ("2026-11-31", false),
            ("2026-02-28", true),
            ("2026-02-29", false),
            ("2024-02-28", true),
            ("2024-02-29", true),
            ("2024-02-30", false),
        ] {
            assert_eq!(
                reader.read(&Kind::Date, text.as_bytes()).is_some(),
                valid,
                "{text}"
            );
        }
    }

    proptest! {
        #[test]
        fn iso_date_agrees_with_chrono(s in "[0-9]{4}-[0-9]{2}-[0-9]{2}|.{0,12}") {
            let chrono = NaiveDate::parse_from_str(&s, "%Y-%m-%d").ok().filter(|_| s.len() == 10);
            prop_assert_eq!(parse_iso_date(s.as_bytes()), chrono);
        }

        #[test]
        fn count_agrees_with_std(s in "-?[0-9]{1,20}|[-+0-9., ]{0,6}") {
            let std = s.parse::<i64>().ok().filter(|_| !s.starts_with('+'));
            prop_assert_eq!(parse_count(s.as_bytes()), std);
        }

        #[test]
        fn cell_reader_is_check_text_cell(
            cells in prop::collection::vec(
                "(20[0-9]{2}|19[0-9]{2})-(0[0-9]|1[0-3])-([0-3][0-9]|4x)|-?[0-9]{1,20}|[-+0-9., ]{0,6}|7|30|D7|",
                1..12,
            ),
            kind in 0usize..5,
        ) {
            // One reader for a column's cells, in order: what it remembers from one cell
            // must not change its verdict on the next.
            let kind = [
                Kind::Date,
                COUNT,
                Kind::Integer { min: 5, max: 2000, nullable: false },
                Kind::Enum(vec!["7".into(), "30".into()]),
                Kind::Text,
            ][kind].clone();
            let mut reader = CellReader::default();
            for cell in &cells {
                prop_assert_eq!(
                    reader.read(&kind, cell.as_bytes()),
                    check_text_cell(&kind, cell.as_bytes()).ok(),
                    "{:?}", cell
                );
            }
        }

        #[test]
        fn cell_reader_follows_walks_of_days(
            start in 700_000i32..740_000,
            steps in prop::collection::vec(prop_oneof![Just(-1i32), Just(1), Just(0), -40i32..40], 1..60),
        ) {
            // Consecutive rows' dates a day apart (either way), the same, or further.
            let mut reader = CellReader::default();
            let mut day = start;
            for step in steps {
                day += step;
                let date = NaiveDate::from_num_days_from_ce_opt(day).unwrap();
                let text = date.format("%Y-%m-%d").to_string();
                prop_assert_eq!(reader.read(&Kind::Date, text.as_bytes()), Some(Cell::Date(date)));
            }
        }

        #[test]
        fn every_i64_round_trips(n in any::<i64>()) {
            prop_assert_eq!(parse_count(n.to_string().as_bytes()), Some(n));
        }
    }
}
