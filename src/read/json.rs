//! JSON exports: Graph's envelope, a bare array of records, or NDJSON; records keyed by JSON
//! property names (Graph) or by CSV column names with string cells (PowerShell, CLI for
//! Microsoft 365).
//!
//! A small pull lexer is used instead of serde_json because every finding must point at the
//! line and column of the value it is about, records must stream one at a time whatever the
//! file's size, and nesting and string sizes must be bounded for hostile input.

use std::io::Read;

use std::sync::Arc;

use super::json_flat::{self, valid_number, Property, Scalar};
use super::locate::{chars, locate};
use crate::check::{Checker, InputFormat, Location};
use crate::diagnostic::{Code, Finding};
use crate::record::Cell;
use crate::rules::field::{
    check_json_bool, check_json_list, check_json_number, check_json_string, check_text_cell,
    wrong_type,
};
use crate::schema::{loose_eq, DetectionSource, Kind, Report};

/// Text kept before a record's start, for the snippet of its line.
const KEEP_BEFORE_RECORD: u64 = 1024;

/// A position in the input.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
struct Pos {
    byte: u64,
    line: u64,
    column: u64,
}

#[derive(Debug, Clone, PartialEq)]
enum Tok {
    ObjectStart,
    ObjectEnd,
    ArrayStart,
    ArrayEnd,
    Colon,
    Comma,
    Str(String),
    Num(String),
    Bool(bool),
    Null,
    Eof,
}

impl Tok {
    fn describe(&self) -> String {
        match self {
            Tok::ObjectStart => "`{`".into(),
            Tok::ObjectEnd => "`}`".into(),
            Tok::ArrayStart => "`[`".into(),
            Tok::ArrayEnd => "`]`".into(),
            Tok::Colon => "`:`".into(),
            Tok::Comma => "`,`".into(),
            Tok::Str(_) => "a string".into(),
            Tok::Num(n) => format!("the number {n}"),
            Tok::Bool(b) => format!("`{b}`"),
            Tok::Null => "`null`".into(),
            Tok::Eof => "the end of the file".into(),
        }
    }
}

/// A JSON syntax or limit error: stops the file.
#[derive(Debug)]
struct Stop {
    code: Code,
    pos: Pos,
    message: String,
    hint: Option<String>,
}

type Result<T> = std::result::Result<T, Stop>;

/// Pull lexer keeping line and column, and the bytes of the current record for snippets.
struct Lexer<R> {
    src: R,
    buf: Vec<u8>,
    at: usize,
    base: u64,
    keep: u64,
    eof: bool,
    pos: Pos,
    /// Byte offset where the line of `pos` starts: lets `keep_from` find a record's line
    /// start without scanning back, which was quadratic on one-line (compact) JSON files.
    line_start: u64,
    limit: usize,
    io_error: Option<std::io::Error>,
}

impl<R: Read> Lexer<R> {
    fn new(src: R, limit: usize) -> Lexer<R> {
        Lexer {
            src,
            buf: Vec::with_capacity(64 * 1024),
            at: 0,
            base: 0,
            keep: 0,
            eof: false,
            pos: Pos {
                byte: 0,
                line: 1,
                column: 1,
            },
            line_start: 0,
            limit,
            io_error: None,
        }
    }

    /// Lets the lexer forget text before the line holding `pos` (a record start).
    fn keep_from(&mut self, pos: Pos) {
        let line_start = if pos.line == self.pos.line {
            self.line_start
        } else {
            pos.byte - self.column_bytes(pos)
        };
        // Compact JSON (what Graph sends) is one long line: keep the line for snippets only
        // when it starts near the record, so the record limit counts the record, not the file.
        self.keep = line_start.max(pos.byte.saturating_sub(KEEP_BEFORE_RECORD));
    }

    /// Bytes between the start of `pos`'s line and `pos`, if held.
    fn column_bytes(&self, pos: Pos) -> u64 {
        let Some(end) = pos.byte.checked_sub(self.base) else {
            return 0;
        };
        let end = (end as usize).min(self.buf.len());
        let start = self.buf[..end]
            .iter()
            .rposition(|&b| b == b'\n')
            .map_or(0, |p| p + 1);
        (end - start) as u64
    }

    fn refill(&mut self) -> bool {
        if self.eof {
            return false;
        }
        let drop = (self.keep.saturating_sub(self.base) as usize).min(self.at);
        if drop > 64 * 1024 {
            self.buf.drain(..drop);
            self.at -= drop;
            self.base += drop as u64;
        }
        if self.buf.len() - (self.keep.saturating_sub(self.base) as usize).min(self.buf.len())
            > self.limit
        {
            return false;
        }
        let old = self.buf.len();
        self.buf.resize(old + 64 * 1024, 0);
        loop {
            match self.src.read(&mut self.buf[old..]) {
                Ok(0) => {
                    self.buf.truncate(old);
                    self.eof = true;
                    return false;
                }
                Ok(n) => {
                    self.buf.truncate(old + n);
                    return true;
                }
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
                Err(e) => {
                    self.buf.truncate(old);
                    self.io_error = Some(e);
                    self.eof = true;
                    return false;
                }
            }
        }
    }

    fn too_long(&self) -> Stop {
        Stop {
            code: Code::LimitExceeded,
            pos: self.pos,
            message: format!("a record or value is longer than {} bytes", self.limit),
            hint: Some("this is not a usage report, or a string is never closed".into()),
        }
    }

    fn peek(&mut self) -> Option<u8> {
        if self.at >= self.buf.len() && !self.refill() {
            return None;
        }
        self.buf.get(self.at).copied()
    }

    fn bump(&mut self) -> Option<u8> {
        let b = self.peek()?;
        self.at += 1;
        self.pos.byte += 1;
        if b == b'\n' {
            self.pos.line += 1;
            self.pos.column = 1;
            self.line_start = self.pos.byte;
        } else if b & 0xC0 != 0x80 {
            self.pos.column += 1;
        }
        Some(b)
    }

    fn eof_or_limit(&self, what: &str) -> Stop {
        if !self.eof {
            return self.too_long();
        }
        Stop {
            code: Code::JsonSyntax,
            pos: self.pos,
            message: format!("the file ends in the middle of {what}"),
            hint: Some("the download was probably cut short; download it again".into()),
        }
    }

    fn syntax(&self, pos: Pos, message: impl Into<String>) -> Stop {
        Stop {
            code: Code::JsonSyntax,
            pos,
            message: message.into(),
            hint: None,
        }
    }

    fn skip_space(&mut self) {
        // As `bump` does, without a refill check per byte: a few spaces per record.
        loop {
            while let Some(&b) = self.buf.get(self.at) {
                match b {
                    b'\n' => {
                        self.pos.line += 1;
                        self.pos.column = 1;
                        self.line_start = self.pos.byte + 1;
                    }
                    b' ' | b'\t' | b'\r' => self.pos.column += 1,
                    _ => return,
                }
                self.at += 1;
                self.pos.byte += 1;
            }
            if !self.refill() {
                return;
            }
        }
    }

    /// After white space, the held byte `punct` if it comes next, read; its position.
    /// `None` (white space read, nothing else) when it is not there or not held yet.
    fn held(&mut self, punct: u8) -> Option<Pos> {
        if long_path_only() {
            return None;
        }
        self.skip_space();
        if self.buf.get(self.at) != Some(&punct) {
            return None;
        }
        let pos = self.pos;
        self.at += 1;
        self.pos.byte += 1;
        self.pos.column += 1;
        Some(pos)
    }

    /// Moves past the next `n` bytes, all held, as `n` calls of `bump` would.
    fn skip_held(&mut self, n: usize) {
        let to = self.at + n;
        let between = &self.buf[self.at..to];
        self.pos.byte += n as u64;
        match memchr::memrchr(b'\n', between) {
            Some(nl) => {
                self.pos.line += memchr::memchr_iter(b'\n', between).count() as u64;
                self.pos.column = 1 + chars(&between[nl + 1..]) as u64;
                self.line_start = self.base + (self.at + nl + 1) as u64;
            }
            None => self.pos.column += chars(between) as u64,
        }
        self.at = to;
    }

    /// The position of the held byte at buffer index `to`, counted from the held `from`.
    fn pos_of(&self, from: Pos, to: usize) -> Pos {
        let start = (from.byte - self.base) as usize;
        let between = &self.buf[start..to];
        let byte = from.byte + between.len() as u64;
        match memchr::memrchr(b'\n', between) {
            Some(nl) => Pos {
                byte,
                line: from.line + memchr::memchr_iter(b'\n', between).count() as u64,
                column: 1 + chars(&between[nl + 1..]) as u64,
            },
            None => Pos {
                byte,
                line: from.line,
                column: from.column + chars(between) as u64,
            },
        }
    }

    fn next(&mut self) -> Result<(Tok, Pos)> {
        self.skip_space();
        let start = self.pos;
        let Some(b) = self.peek() else {
            if !self.eof {
                return Err(self.too_long());
            }
            return Ok((Tok::Eof, start));
        };
        let simple = match b {
            b'{' => Some(Tok::ObjectStart),
            b'}' => Some(Tok::ObjectEnd),
            b'[' => Some(Tok::ArrayStart),
            b']' => Some(Tok::ArrayEnd),
            b':' => Some(Tok::Colon),
            b',' => Some(Tok::Comma),
            _ => None,
        };
        if let Some(tok) = simple {
            self.bump();
            return Ok((tok, start));
        }
        match b {
            b'"' => self.string(start).map(|s| (Tok::Str(s), start)),
            b'-' | b'0'..=b'9' => self.number(start).map(|n| (Tok::Num(n), start)),
            b't' => self.word(start, "true", Tok::Bool(true)),
            b'f' => self.word(start, "false", Tok::Bool(false)),
            b'n' => self.word(start, "null", Tok::Null),
            _ => {
                let found = self.found_char();
                Err(self.syntax(start, format!("expected a JSON value, found {found}")))
            }
        }
    }

    fn found_char(&mut self) -> String {
        let at = self.at;
        let end = (at + 4).min(self.buf.len());
        match String::from_utf8_lossy(&self.buf[at..end]).chars().next() {
            Some(c) if c.is_control() => format!("the control character U+{:04X}", c as u32),
            Some(c) => format!("`{c}`"),
            None => "the end of the file".into(),
        }
    }

    fn word(&mut self, start: Pos, word: &str, tok: Tok) -> Result<(Tok, Pos)> {
        for expected in word.bytes() {
            if self.peek() != Some(expected) {
                let found = self.found_char();
                return Err(self.syntax(self.pos, format!("expected `{word}`, found {found}")));
            }
            self.bump();
        }
        Ok((tok, start))
    }

    fn number(&mut self, start: Pos) -> Result<String> {
        let mut text = String::new();
        while let Some(b) = self.peek() {
            if b.is_ascii_digit() || matches!(b, b'-' | b'+' | b'.' | b'e' | b'E') {
                text.push(b as char);
                self.bump();
                if text.len() > 64 {
                    return Err(self.syntax(start, "a number longer than 64 characters"));
                }
            } else {
                break;
            }
        }
        if !valid_number(text.as_bytes()) {
            return Err(self.syntax(start, format!("`{text}` is not a valid JSON number")));
        }
        Ok(text)
    }

    fn string(&mut self, start: Pos) -> Result<String> {
        self.bump();
        let mut bytes = Vec::new();
        loop {
            let here = self.pos;
            let Some(b) = self.bump() else {
                return Err(self.eof_or_limit("a string"));
            };
            if bytes.len() > self.limit {
                return Err(self.too_long());
            }
            match b {
                b'"' => break,
                b'\\' => {
                    let Some(e) = self.bump() else {
                        return Err(self.eof_or_limit("a string"));
                    };
                    let c = match e {
                        b'"' => '"',
                        b'\\' => '\\',
                        b'/' => '/',
                        b'b' => '\u{8}',
                        b'f' => '\u{c}',
                        b'n' => '\n',
                        b'r' => '\r',
                        b't' => '\t',
                        b'u' => self.unicode_escape(here)?,
                        _ => {
                            return Err(self.syntax(
                                here,
                                format!("invalid escape `\\{}` in a string", e as char),
                            ))
                        }
                    };
                    let mut tmp = [0u8; 4];
                    bytes.extend_from_slice(c.encode_utf8(&mut tmp).as_bytes());
                }
                0x00..=0x1F => {
                    return Err(self.syntax(here, "a control character (such as a line break) inside a string must be escaped")
                        .with_hint("a string is probably not closed: look for a missing `\"`"));
                }
                _ => bytes.push(b),
            }
        }
        String::from_utf8(bytes).map_err(|e| {
            let offset = e.utf8_error().valid_up_to();
            Stop {
                code: Code::InvalidUtf8,
                pos: Pos {
                    byte: start.byte + 1 + offset as u64,
                    line: start.line,
                    column: start.column + 1 + chars(&e.as_bytes()[..offset]) as u64,
                },
                message: "invalid UTF-8 inside a string".into(),
                hint: Some(
                    "the file looks Latin-1 / Windows-1252 encoded; save it as UTF-8".into(),
                ),
            }
        })
    }

    fn hex4(&mut self, at: Pos) -> Result<u32> {
        let mut n = 0;
        for _ in 0..4 {
            let d = self.bump().and_then(|b| (b as char).to_digit(16));
            n = n * 16
                + d.ok_or_else(|| self.syntax(at, "`\\u` must be followed by four hex digits"))?;
        }
        Ok(n)
    }

    fn unicode_escape(&mut self, at: Pos) -> Result<char> {
        let hi = self.hex4(at)?;
        let code = if (0xD800..0xDC00).contains(&hi) {
            if self.bump() != Some(b'\\') || self.bump() != Some(b'u') {
                return Err(self.syntax(at, "a lone UTF-16 surrogate in a `\\u` escape"));
            }
            let lo = self.hex4(at)?;
            if !(0xDC00..0xE000).contains(&lo) {
                return Err(self.syntax(at, "a lone UTF-16 surrogate in a `\\u` escape"));
            }
            0x10000 + ((hi - 0xD800) << 10) + (lo - 0xDC00)
        } else {
            hi
        };
        char::from_u32(code)
            .ok_or_else(|| self.syntax(at, "a lone UTF-16 surrogate in a `\\u` escape"))
    }

    /// The source line at `pos`, for a snippet, if it is still held.
    fn location(&self, pos: Pos, width: usize) -> Location {
        let Some(offset) = pos.byte.checked_sub(self.base) else {
            return Location {
                line: pos.line,
                column: pos.column,
                snippet: None,
            };
        };
        let offset = (offset as usize).min(self.buf.len());
        let newline = self.buf[..offset].iter().rposition(|&b| b == b'\n');
        if newline.is_none() && self.base > 0 {
            // The line began before the text still held: no snippet rather than a wrong one.
            return Location {
                line: pos.line,
                column: pos.column,
                snippet: None,
            };
        }
        let start = newline.map_or(0, |p| p + 1);
        let mut loc = locate(&self.buf[start..], pos.line, offset - start, width);
        loc.column = pos.column;
        if let Some(s) = &mut loc.snippet {
            s.start = pos.column as usize;
        }
        loc
    }

    fn span_width(&self, pos: Pos) -> usize {
        (self.pos.byte.saturating_sub(pos.byte) as usize).max(1)
    }
}

impl Stop {
    fn with_hint(mut self, hint: &str) -> Stop {
        self.hint = Some(hint.into());
        self
    }
}

/// A detected report's columns as the short path finds them by property name.
struct FlatColumns {
    report: Arc<Report>,
    /// Each name a record may give a column (its property, or its CSV header in CSV-shaped
    /// JSON), with the column and whether the name is the CSV header.
    names: Vec<(String, usize, bool)>,
}

impl FlatColumns {
    /// `None` when the short path cannot match as the long path does: a name shared by two
    /// columns (the long path gives it to the first one free), or more columns than it tracks.
    fn new(report: &Arc<Report>) -> Option<FlatColumns> {
        if report.columns.len() > 64 {
            return None;
        }
        let mut names = Vec::new();
        for (j, c) in report.columns.iter().enumerate() {
            names.push((c.property.clone(), j, false));
            if c.csv != c.property {
                names.push((c.csv.clone(), j, true));
            }
        }
        let shared = names
            .iter()
            .any(|(n, j, _)| names.iter().any(|(m, k, _)| m == n && k != j));
        (!shared).then(|| FlatColumns {
            report: report.clone(),
            names,
        })
    }

    /// The column named `key` and whether `key` is its CSV header; the `i`th property is
    /// tried first, as Graph writes them in the schema's order.
    fn column(&self, key: &[u8], i: usize) -> Option<(usize, bool)> {
        if self
            .report
            .columns
            .get(i)
            .is_some_and(|c| c.property.as_bytes() == key)
        {
            return Some((i, false));
        }
        self.names
            .iter()
            .find(|(n, _, _)| n.as_bytes() == key)
            .map(|&(_, j, csv)| (j, csv))
    }
}

/// Whether records and the punctuation between them skip the short path: only a test asks,
/// to compare the two paths.
#[cfg(not(test))]
fn long_path_only() -> bool {
    false
}
#[cfg(test)]
use tests::long_path_only;

/// A JSON value inside a record, with where it starts and how wide it is.
#[derive(Debug, Clone)]
enum Value {
    Str(String),
    Num(String),
    Bool(bool),
    Null,
    Object,
    /// An array of anything but only strings or only objects.
    Array,
    /// An array of strings: a list column (`assignedProducts`).
    Strings(Vec<String>),
    /// An array of objects: the rows of Graph's nested shape (`details`, `adoptionByDate`),
    /// each with where its `{` is.
    Rows(Vec<(Pos, Vec<Member>)>),
}

#[derive(Debug, Clone)]
struct Member {
    key: String,
    key_pos: Pos,
    value: Value,
    pos: Pos,
    width: usize,
}

struct Reader<'c, 'a, R> {
    lex: Lexer<R>,
    checker: &'c mut Checker<'a>,
    members: Vec<Member>,
    /// The report's columns for the short path, once the report is known.
    flat: Option<FlatColumns>,
    /// The properties of the record on the short path.
    props: Vec<Property>,
    /// For each column, its property in `props`.
    which: Vec<usize>,
    cells: Vec<Cell>,
    ok: Vec<bool>,
    context: Option<String>,
}

/// Reads a JSON input (BOM already skipped) and checks it.
pub(crate) fn check(reader: Box<dyn Read + '_>, checker: &mut Checker<'_>) {
    let ndjson = checker.report.input_format == Some(InputFormat::Ndjson);
    let limit = checker.options.limits.max_record_bytes;
    let mut r = Reader {
        lex: Lexer::new(reader, limit),
        checker,
        members: Vec::new(),
        flat: None,
        props: Vec::new(),
        which: Vec::new(),
        cells: Vec::new(),
        ok: Vec::new(),
        context: None,
    };
    let outcome = r.document(ndjson);
    if let Some(e) = r.lex.io_error.take() {
        r.checker.io_failure(&e);
        return;
    }
    let unknown = r
        .checker
        .report
        .findings
        .iter()
        .any(|f| f.code == Code::UnknownReport);
    if r.checker.kind().is_none() && !unknown {
        // No record to read property names from (`"value": []`), or a file that cannot be
        // read whole: `--report`, the context or the file name may still tell the kind, so
        // an empty report is still a report and a broken one says which download it is.
        let forced = r.checker.options.report.clone();
        let detection = r.checker.registry.detect(
            forced.as_ref(),
            r.context.as_deref(),
            r.checker.file_name,
            &[],
            true,
        );
        if let Some(d) = detection {
            r.checker.begin(&d.report, d.source, &[]);
        }
    }
    if let Err(stop) = outcome {
        r.checker.stopped = true;
        let loc = r.lex.location(stop.pos, 1);
        let mut f =
            Finding::new(stop.code, loc.line, loc.column, stop.message).snippet(loc.snippet);
        f.hint = stop.hint;
        r.checker.push_finding(f);
    }
}

impl<R: Read> Reader<'_, '_, R> {
    fn document(&mut self, ndjson: bool) -> Result<()> {
        let (tok, pos) = self.lex.next()?;
        match tok {
            Tok::ArrayStart if !ndjson => {
                self.records(1)?;
                self.end()
            }
            Tok::ObjectStart => {
                let (first, first_pos) = self.lex.next()?;
                let envelope = matches!(&first, Tok::Str(k) if k == "value" || k.starts_with('@'));
                if envelope && !ndjson {
                    self.envelope(pos, first, first_pos)?;
                    return self.end();
                }
                // NDJSON, or a single record: every top-level object is a record.
                self.record(pos, Some((first, first_pos)), 1)?;
                loop {
                    let (tok, pos) = self.lex.next()?;
                    match tok {
                        Tok::Eof => return Ok(()),
                        Tok::ObjectStart => self.record(pos, None, 1)?,
                        other => {
                            return Err(self.lex.syntax(
                                pos,
                                format!(
                                    "expected another record `{{` on a new line, found {}",
                                    other.describe()
                                ),
                            ));
                        }
                    }
                }
            }
            Tok::Eof => Err(self.lex.syntax(pos, "the file holds no JSON value")),
            other => Err(self.lex.syntax(
                pos,
                format!(
                    "expected a JSON object or array at the start of the file, found {}",
                    other.describe()
                ),
            )),
        }
    }

    fn end(&mut self) -> Result<()> {
        let (tok, pos) = self.lex.next()?;
        match tok {
            Tok::Eof => Ok(()),
            other => Err(self
                .lex
                .syntax(pos, format!("unexpected {} after the end of the JSON document", other.describe()))
                .with_hint("two documents were probably concatenated; use NDJSON (one record per line) or separate files")),
        }
    }

    fn envelope(&mut self, open: Pos, mut tok: Tok, mut pos: Pos) -> Result<()> {
        let mut saw_value = false;
        loop {
            let key = match tok {
                Tok::Str(k) => k,
                Tok::ObjectEnd => break,
                other => {
                    return Err(self.lex.syntax(
                        pos,
                        format!("expected a property name, found {}", other.describe()),
                    ))
                }
            };
            self.expect_colon()?;
            let (value, vpos) = self.lex.next()?;
            match key.as_str() {
                "value" => {
                    saw_value = true;
                    if value == Tok::ArrayStart {
                        self.records(2)?;
                    } else {
                        let found = self.skip_from(value.clone(), vpos, 1)?;
                        let loc = self.lex.location(vpos, 1);
                        self.checker.push_finding(
                            Finding::new(
                                Code::NoValueArray,
                                loc.line,
                                loc.column,
                                "`value` is not an array of records",
                            )
                            .field("value")
                            .found(found)
                            .expected("an array of records")
                            .snippet(loc.snippet),
                        );
                        self.checker.stopped = true;
                    }
                }
                "@odata.context" => {
                    if let Tok::Str(s) = &value {
                        self.context = Some(s.clone());
                    }
                    self.skip_from(value, vpos, 1)?;
                }
                "@odata.nextLink" => {
                    let loc = self.lex.location(pos, key.len() + 2);
                    self.checker.push_finding(
                        Finding::new(Code::NextLink, loc.line, loc.column, "this file is one page of several (`@odata.nextLink`)")
                            .field("@odata.nextLink")
                            .hint("fetch the next pages and check them too; this file alone is incomplete")
                            .snippet(loc.snippet),
                    );
                    self.skip_from(value, vpos, 1)?;
                }
                k if k.starts_with('@') => {
                    self.skip_from(value, vpos, 1)?;
                }
                _ => {
                    let loc = self.lex.location(pos, key.len() + 2);
                    self.checker.push_finding(
                        Finding::new(Code::UnknownProperty, loc.line, loc.column, format!("unknown envelope property `{key}`"))
                            .field(key.clone())
                            .hint("Graph's envelope holds `@odata.context`, `value` and paging links only")
                            .snippet(loc.snippet),
                    );
                    self.skip_from(value, vpos, 1)?;
                }
            }
            match self.after_property("the envelope")? {
                Some(next) => (tok, pos) = next,
                None => break,
            }
        }
        if !saw_value {
            let loc = self.lex.location(open, 1);
            self.checker.push_finding(
                Finding::new(
                    Code::NoValueArray,
                    loc.line,
                    loc.column,
                    "the JSON object has no `value` array",
                )
                .expected("{\"@odata.context\": ..., \"value\": [records]}")
                .hint("Graph's JSON reports wrap the records in `value`")
                .snippet(loc.snippet),
            );
            self.checker.stopped = true;
        }
        Ok(())
    }

    /// After a property's value: `,` and the next property name's token, or `None` at `}`.
    /// `within` names the object for an early end of file.
    fn after_property(&mut self, within: &str) -> Result<Option<(Tok, Pos)>> {
        let (sep, sep_pos) = self.lex.next()?;
        match sep {
            Tok::Comma => {
                let (tok, pos) = self.lex.next()?;
                if tok == Tok::ObjectEnd {
                    return Err(self
                        .lex
                        .syntax(pos, "a trailing comma before `}`")
                        .with_hint("remove the comma after the last property"));
                }
                Ok(Some((tok, pos)))
            }
            Tok::ObjectEnd => Ok(None),
            Tok::Eof => Err(self.lex.eof_or_limit(within)),
            other => Err(self.lex.syntax(
                sep_pos,
                format!(
                    "expected `,` or `}}` after a property, found {}",
                    other.describe()
                ),
            )),
        }
    }

    fn expect_colon(&mut self) -> Result<()> {
        let (tok, pos) = self.lex.next()?;
        if tok != Tok::Colon {
            return Err(self.lex.syntax(
                pos,
                format!(
                    "expected `:` after a property name, found {}",
                    tok.describe()
                ),
            ));
        }
        Ok(())
    }

    /// The records of an array at nesting `depth` (1 for a bare array) whose `[` was just read.
    fn records(&mut self, depth: usize) -> Result<()> {
        let (mut tok, mut pos) = self.lex.next()?;
        if tok == Tok::ArrayEnd {
            return Ok(());
        }
        loop {
            if tok == Tok::ObjectStart {
                self.record(pos, None, depth + 1)?;
            } else {
                let found = self.skip_from(tok, pos, depth)?;
                self.not_an_object(pos, &found);
            }
            // `,` and `{` between records are most often held: read without a token.
            let (sep, sep_pos) = match self.lex.held(b',') {
                Some(p) => (Tok::Comma, p),
                None => self.lex.next()?,
            };
            match sep {
                Tok::Comma => {
                    (tok, pos) = match self.lex.held(b'{') {
                        Some(p) => (Tok::ObjectStart, p),
                        None => self.lex.next()?,
                    };
                    if tok == Tok::ArrayEnd {
                        return Err(self
                            .lex
                            .syntax(pos, "a trailing comma before `]`")
                            .with_hint("remove the comma after the last record"));
                    }
                }
                Tok::ArrayEnd => return Ok(()),
                Tok::Eof => return Err(self.lex.eof_or_limit("the record array")),
                other => {
                    return Err(self.lex.syntax(
                        sep_pos,
                        format!(
                            "expected `,` or `]` after a record, found {}",
                            other.describe()
                        ),
                    ));
                }
            }
        }
    }

    fn not_an_object(&mut self, pos: Pos, found: &str) {
        let loc = self.lex.location(pos, 1);
        self.checker.skipped_row();
        self.checker.push_finding(
            Finding::new(
                Code::NotAnObject,
                loc.line,
                loc.column,
                "a record is not a JSON object",
            )
            .found(found)
            .expected("an object of the report's properties")
            .snippet(loc.snippet),
        );
    }

    /// Skips a value whose first token is `tok`, returning what it was (for messages).
    fn skip_from(&mut self, tok: Tok, pos: Pos, depth: usize) -> Result<String> {
        match tok {
            Tok::ObjectStart | Tok::ArrayStart => {
                let what = if tok == Tok::ObjectStart {
                    "an object"
                } else {
                    "an array"
                };
                self.skip_nested(pos, depth + 1)?;
                Ok(what.into())
            }
            Tok::Str(s) => Ok(format!("the string \"{s}\"")),
            Tok::Num(n) => Ok(format!("the number {n}")),
            Tok::Bool(b) => Ok(format!("`{b}`")),
            Tok::Null => Ok("`null`".into()),
            Tok::Eof => Err(self.lex.eof_or_limit("a value")),
            other => Err(self
                .lex
                .syntax(pos, format!("expected a value, found {}", other.describe()))),
        }
    }

    /// Skips the rest of an object or array whose opening bracket was read, checking syntax.
    fn skip_nested(&mut self, pos: Pos, depth: usize) -> Result<()> {
        if depth > self.checker.options.limits.max_depth {
            return Err(Stop {
                code: Code::LimitExceeded,
                pos,
                message: format!(
                    "JSON nested deeper than {} levels",
                    self.checker.options.limits.max_depth
                ),
                hint: Some("usage reports are flat records; this is not one".into()),
            });
        }
        let mut expect_value = true;
        loop {
            let (tok, p) = self.lex.next()?;
            match tok {
                Tok::ObjectEnd | Tok::ArrayEnd => return Ok(()),
                Tok::ObjectStart | Tok::ArrayStart => self.skip_nested(p, depth + 1)?,
                Tok::Eof => return Err(self.lex.eof_or_limit("an object or array")),
                Tok::Comma | Tok::Colon if expect_value => {
                    return Err(self.lex.syntax(p, format!("unexpected {}", tok.describe())));
                }
                _ => {}
            }
            expect_value = matches!(tok, Tok::Comma | Tok::Colon);
        }
    }

    /// One record whose `{` is at `open`; `first` is its first token when already read.
    fn record(&mut self, open: Pos, first: Option<(Tok, Pos)>, depth: usize) -> Result<()> {
        self.lex.keep_from(open);
        if first.is_none() && self.flat_record(open) {
            return Ok(());
        }
        let first = match first {
            Some(t) => t,
            None => self.lex.next()?,
        };
        let mut members = std::mem::take(&mut self.members);
        members.clear();
        let read = self.object_members(first, depth, true, &mut members);
        self.members = members;
        read?;
        self.check_nested(open);
        Ok(())
    }

    /// Reads the members of an object whose `{` was read, `first` being the token after it,
    /// up to its `}`, into `out`. With `rows`, an array of objects in it is read as rows
    /// (a record's nested shape); inside those, arrays are lists or skipped.
    fn object_members(
        &mut self,
        first: (Tok, Pos),
        depth: usize,
        rows: bool,
        out: &mut Vec<Member>,
    ) -> Result<()> {
        let (mut tok, mut pos) = first;
        if tok == Tok::ObjectEnd {
            return Ok(());
        }
        loop {
            let key = match tok {
                Tok::Str(k) => k,
                Tok::Eof => return Err(self.lex.eof_or_limit("a record")),
                other => {
                    return Err(self.lex.syntax(
                        pos,
                        format!("expected a property name, found {}", other.describe()),
                    ))
                }
            };
            let key_pos = pos;
            self.expect_colon()?;
            let (value_tok, vpos) = self.lex.next()?;
            let value = match value_tok {
                Tok::Str(s) => Value::Str(s),
                Tok::Num(n) => Value::Num(n),
                Tok::Bool(b) => Value::Bool(b),
                Tok::Null => Value::Null,
                Tok::ObjectStart => {
                    self.skip_nested(vpos, depth + 1)?;
                    Value::Object
                }
                Tok::ArrayStart => self.array(vpos, depth + 1, rows)?,
                Tok::Eof => return Err(self.lex.eof_or_limit("a record")),
                other => {
                    return Err(self.lex.syntax(
                        vpos,
                        format!("expected a value, found {}", other.describe()),
                    ))
                }
            };
            let width = self.lex.span_width(vpos);
            out.push(Member {
                key,
                key_pos,
                value,
                pos: vpos,
                width,
            });
            match self.after_property("a record")? {
                Some(next) => (tok, pos) = next,
                None => return Ok(()),
            }
        }
    }

    /// An array inside a record, whose `[` at `open` was read: strings (a list column),
    /// objects (the rows of Graph's nested shape, read one level deep), or anything else,
    /// checked for syntax and skipped.
    fn array(&mut self, open: Pos, depth: usize, rows_allowed: bool) -> Result<Value> {
        if depth > self.checker.options.limits.max_depth {
            self.skip_nested(open, depth)?;
        }
        let mut strings = Vec::new();
        let mut rows = Vec::new();
        let mut other = false;
        let (mut tok, mut pos) = self.lex.next()?;
        if tok == Tok::ArrayEnd {
            return Ok(Value::Strings(strings));
        }
        loop {
            match tok {
                Tok::Str(s) => strings.push(s),
                Tok::ObjectStart if rows_allowed => {
                    let first = self.lex.next()?;
                    let mut members = Vec::new();
                    self.object_members(first, depth + 1, false, &mut members)?;
                    rows.push((pos, members));
                }
                Tok::ObjectStart | Tok::ArrayStart => {
                    self.skip_nested(pos, depth + 1)?;
                    other = true;
                }
                Tok::Num(_) | Tok::Bool(_) | Tok::Null => other = true,
                Tok::Eof => return Err(self.lex.eof_or_limit("an array")),
                found => {
                    return Err(self
                        .lex
                        .syntax(pos, format!("expected a value, found {}", found.describe())))
                }
            }
            let (next, next_pos) = self.lex.next()?;
            match next {
                Tok::Comma => (tok, pos) = self.lex.next()?,
                Tok::ArrayEnd => break,
                Tok::Eof => return Err(self.lex.eof_or_limit("an array")),
                found => {
                    return Err(self.lex.syntax(
                        next_pos,
                        format!("expected `,` or `]`, found {}", found.describe()),
                    ))
                }
            }
        }
        Ok(match (other, strings.is_empty(), rows.is_empty()) {
            (false, false, true) => Value::Strings(strings),
            (false, true, false) => Value::Rows(rows),
            _ => Value::Array,
        })
    }

    /// Checks the record just read: as it is, or, in Graph's nested shape (an array of
    /// objects inside it), one row per inner object, each with the outer object's values.
    fn check_nested(&mut self, open: Pos) {
        let Some(i) = self
            .members
            .iter()
            .position(|m| matches!(m.value, Value::Rows(_)))
        else {
            return self.check_record(open);
        };
        let nested = self.members.remove(i);
        let Value::Rows(rows) = nested.value else {
            return;
        };
        if self.members.is_empty() && self.checker.kind().is_none() {
            // Graph's nested rows come with the outer object's dates; an object holding
            // nothing but an array of objects is another tool's wrapper (Elastic's
            // `{"events": [...]}`), not a report.
            let loc = self.lex.location(nested.key_pos, nested.key.len() + 2);
            self.checker.push_finding(
                Finding::new(
                    Code::NoValueArray,
                    loc.line,
                    loc.column,
                    format!("`{}` holds objects, but the document has no `value` array of records", nested.key),
                )
                .found(format!("`{}`", nested.key))
                .expected("Graph's `{\"value\": [records]}`, an array of records, or NDJSON")
                .hint("this is another tool's wrapper around the report; export the report itself from Graph or the admin center")
                .snippet(loc.snippet),
            );
            self.checker.stopped = true;
            return;
        }
        let outer = std::mem::take(&mut self.members);
        for (row_open, inner) in rows {
            self.members.clear();
            self.members.extend(outer.iter().cloned());
            self.members.extend(inner);
            self.check_record(row_open);
        }
    }

    fn detect(&mut self) -> Option<std::sync::Arc<Report>> {
        if let Some(report) = self.checker.kind() {
            return Some(report);
        }
        let names: Vec<&str> = self.members.iter().map(|m| m.key.as_str()).collect();
        let forced = self.checker.options.report.clone();
        let detection = self.checker.registry.detect(
            forced.as_ref(),
            self.context.as_deref(),
            self.checker.file_name,
            &names,
            true,
        );
        match detection {
            Some(d) => {
                // Property names are distinct across reports that share a CSV header only when
                // the JSON type differs; the context or file name decided otherwise.
                let alternatives = if d.source == DetectionSource::Header {
                    d.alternatives.clone()
                } else {
                    Vec::new()
                };
                self.checker.begin(&d.report, d.source, &alternatives);
                // Graph's context names the endpoint; else the properties tell.
                let endpoint = self.context.as_deref().and_then(|c| {
                    ["beta", "v1.0"]
                        .into_iter()
                        .find(|v| c.contains(&format!("graph.microsoft.com/{v}/")))
                });
                let present = (0..d.report.columns.len())
                    .filter(|&j| names.iter().any(|n| d.report.columns[j].is_named(n, true)));
                self.checker.report.version = endpoint
                    .or_else(|| d.report.version_of(present))
                    .map(str::to_string);
                self.flat = FlatColumns::new(&d.report);
                let n = d.report.columns.len();
                self.cells = vec![Cell::Null; n];
                self.ok = vec![false; n];
                Some(d.report)
            }
            None => {
                self.checker.push_finding(
                    self.checker
                        .registry
                        .unknown_report(&names, true)
                        .found(names.join(", ")),
                );
                self.checker.stopped = true;
                None
            }
        }
    }

    /// The short path: checks the record whose `{` is at `open` if it is held whole, is plain
    /// (see [`json_flat`]) and has each column once with a good value, reading past it;
    /// `false`, having read nothing, for the token reader to read it and say what is wrong.
    fn flat_record(&mut self, open: Pos) -> bool {
        let Some(flat) = &self.flat else {
            return false;
        };
        if long_path_only() {
            return false;
        }
        let from = self.lex.at;
        let text = &self.lex.buf[from..];
        let columns = &flat.report.columns;
        let Some(end) = json_flat::scan(text, self.lex.limit, columns.len(), &mut self.props)
        else {
            return false;
        };
        if self.props.len() > columns.len() {
            return false;
        }
        // Outside strings the scan takes ASCII only: this checks every string at once.
        let Ok(record) = std::str::from_utf8(&text[..end]) else {
            return false;
        };
        self.which.resize(columns.len(), 0);
        // Each name belongs to one column only, so distinct columns for as many properties
        // as columns are what the long path would match.
        let mut seen = 0u64;
        for (i, p) in self.props.iter().enumerate() {
            let Some((j, csv_shaped)) = flat.column(&text[p.key.clone()], i) else {
                return false;
            };
            if seen & (1 << j) != 0 {
                return false;
            }
            seen |= 1 << j;
            let kind = &columns[j].kind;
            let raw = &record[p.value.clone()];
            let result = match p.scalar {
                Scalar::Str if csv_shaped => {
                    check_text_cell(kind, &raw.as_bytes()[1..raw.len() - 1])
                }
                Scalar::Str => check_json_string(kind, &raw[1..raw.len() - 1]),
                Scalar::Num => check_json_number(kind, raw),
                Scalar::Null if columns[j].accepts_empty() => Ok(Cell::Null),
                Scalar::Null => return false,
                Scalar::Bool(b) => check_json_bool(kind, b),
            };
            let Ok(cell) = result else {
                return false;
            };
            self.cells[j].set(cell);
            self.ok[j] = true;
            self.which[j] = i;
        }
        // Columns some exports lack may be missing from the record: no value, as on the
        // token reader's path; a required one missing is for that path to report.
        for (j, column) in columns.iter().enumerate() {
            if seen & (1 << j) == 0 {
                if !column.optional {
                    return false;
                }
                self.cells[j].set(Cell::Null);
                self.ok[j] = true;
                self.which[j] = usize::MAX;
            }
        }
        self.lex.skip_held(end);
        let lex = &self.lex;
        let (props, which) = (&self.props, &self.which);
        self.checker
            .row(open.line, &self.cells, &self.ok, &|col| match col
                .and_then(|j| props.get(which[j]))
            {
                Some(p) => lex.location(lex.pos_of(open, from + p.value.start), p.value.len()),
                None => lex.location(open, 1),
            });
        true
    }

    fn check_record(&mut self, open: Pos) {
        if self.checker.stopped && self.checker.kind().is_none() {
            return;
        }
        let Some(report) = self.detect() else { return };
        let lex = &self.lex;
        let checker = &mut *self.checker;
        let members = &self.members;
        let mut used = vec![false; members.len()];
        // Tools converting CSV (the CLI for Microsoft 365, PowerShell) key records by CSV
        // names and write every value as the CSV cell's text; a record with one CSV name
        // that is not also a property (`Report Refresh Date`) is such a record throughout,
        // also where a column's CSV name and property are the same (`iPhone`).
        let csv_record = members.iter().any(|m| {
            report
                .columns
                .iter()
                .any(|c| m.key != c.property && c.is_spelled(&m.key))
        });
        for (j, column) in report.columns.iter().enumerate() {
            self.ok[j] = false;
            self.cells[j].set(Cell::Null);
            let found = members
                .iter()
                .enumerate()
                .filter(|(i, m)| {
                    !used[*i] && (m.key == column.property || column.is_spelled(&m.key))
                })
                .map(|(i, _)| i)
                .next()
                .or_else(|| {
                    // Doc examples write some properties in PascalCase
                    // (`SiteSensitivityLabelId`).
                    (0..members.len()).find(|&i| {
                        !used[i] && members[i].key.eq_ignore_ascii_case(&column.property)
                    })
                });
            let Some(i) = found else {
                if column.optional {
                    // A column real exports may lack holds no value.
                    self.ok[j] = true;
                    continue;
                }
                checker.push_with(Code::MissingProperty.severity(), || {
                    let loc = lex.location(open, 1);
                    Finding::new(
                        Code::MissingProperty,
                        loc.line,
                        loc.column,
                        format!("the record has no `{}`", column.property),
                    )
                    .field(column.property.clone())
                    .expected(crate::rules::field::expected(&column.kind))
                    .hint(
                        if matches!(column.kind, Kind::Integer { nullable: true, .. }) {
                            "write `null` for no value rather than leaving the property out"
                        } else {
                            "every record has every documented property"
                        },
                    )
                    .snippet(loc.snippet)
                });
                continue;
            };
            used[i] = true;
            let m = &members[i];
            let csv_shaped = csv_record;
            let result = match (&m.value, csv_shaped) {
                (Value::Str(s), true) if s.is_empty() && column.accepts_empty() => Ok(Cell::Null),
                (Value::Str(s), true) => check_text_cell(&column.kind, s.as_bytes()),
                (Value::Str(s), false) => check_json_string(&column.kind, s),
                (Value::Num(n), _) => check_json_number(&column.kind, n),
                (Value::Null, _) if column.accepts_empty() => Ok(Cell::Null),
                (Value::Null, _) => Err(wrong_type(&column.kind, "null")),
                (Value::Bool(b), _) => check_json_bool(&column.kind, *b),
                (Value::Strings(items), _) => check_json_list(&column.kind, items.clone()),
                (Value::Object, _) => Err(wrong_type(&column.kind, "an object")),
                (Value::Array | Value::Rows(_), _) => Err(wrong_type(&column.kind, "an array")),
            };
            match result {
                Ok(cell) => {
                    self.cells[j].set(cell);
                    self.ok[j] = true;
                }
                Err(p) => {
                    checker.push_with(p.code.severity(), || {
                        let loc = lex.location(m.pos, m.width);
                        let found = match &m.value {
                            Value::Str(s) if s.is_empty() => "an empty string".to_string(),
                            Value::Str(s) => format!("\"{s}\""),
                            Value::Num(n) => n.clone(),
                            Value::Null => "null".into(),
                            Value::Bool(b) => format!("`{b}`"),
                            Value::Object => "an object".into(),
                            Value::Array | Value::Strings(_) | Value::Rows(_) => "an array".into(),
                        };
                        let mut f = Finding::new(
                            p.code,
                            loc.line,
                            loc.column,
                            format!("`{}` {}", m.key, p.message),
                        )
                        .field(m.key.clone())
                        .found(found)
                        .expected(p.expected)
                        .snippet(loc.snippet);
                        f.hint = p.hint;
                        f
                    });
                }
            }
        }
        for (i, m) in members.iter().enumerate() {
            if used[i] {
                continue;
            }
            let duplicate = report.columns.iter().any(|c| {
                c.property == m.key
                    || c.is_spelled(&m.key)
                    || m.key.eq_ignore_ascii_case(&c.property)
            });
            let code = if duplicate {
                Code::DuplicateColumn
            } else {
                Code::UnknownProperty
            };
            checker.push_with(code.severity(), || {
                let loc = lex.location(m.key_pos, m.key.len() + 2);
                let close = report
                    .columns
                    .iter()
                    .find(|c| loose_eq(&m.key, &c.property) || loose_eq(&m.key, &c.csv))
                    .map(|c| format!("did you mean `{}`?", c.property));
                let f = Finding::new(
                    code,
                    loc.line,
                    loc.column,
                    if duplicate {
                        format!("property `{}` appears twice in the record", m.key)
                    } else {
                        format!("`{}` is not a property of {}", m.key, report.name)
                    },
                )
                .field(m.key.clone())
                .snippet(loc.snippet);
                match close {
                    Some(h) => f.hint(h),
                    None if duplicate => f.hint("the first one was checked"),
                    None => f.hint("it is ignored; conversion drops it"),
                }
            });
        }
        let positions: Vec<(Pos, usize)> = report
            .columns
            .iter()
            .map(|c| {
                members
                    .iter()
                    .find(|m| {
                        m.key == c.property
                            || c.is_spelled(&m.key)
                            || m.key.eq_ignore_ascii_case(&c.property)
                    })
                    .map_or((open, 1), |m| (m.pos, m.width))
            })
            .collect();
        let (cells, ok) = (&self.cells, &self.ok);
        checker.row(open.line, cells, ok, &|col| match col {
            Some(j) => lex.location(positions[j].0, positions[j].1),
            None => lex.location(open, 1),
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::discover::{Input, Source};
    use crate::record::{Record, RecordSink};
    use crate::schema::Role;
    use proptest::strategy::Strategy;

    thread_local! {
        /// Records of this thread skip the short path (see [`long_path_only`]).
        static LONG_PATH_ONLY: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
    }

    /// Whether records must go through the token reader: what the short path is compared with.
    pub(super) fn long_path_only() -> bool {
        LONG_PATH_ONLY.with(std::cell::Cell::get)
    }

    /// The good records, with their lines.
    #[derive(Default)]
    struct Kept(Vec<(u64, Vec<Cell>)>);

    impl RecordSink for Kept {
        fn record(&mut self, record: &Record<'_>) {
            self.0.push((record.line, record.cells.to_vec()));
        }
    }

    /// Hands out at most `chunk` bytes a read, so records straddle the reader's refills.
    struct Chunked<'t> {
        text: &'t [u8],
        chunk: usize,
    }

    impl Read for Chunked<'_> {
        fn read(&mut self, out: &mut [u8]) -> std::io::Result<usize> {
            let n = self.chunk.min(out.len()).min(self.text.len());
            out[..n].copy_from_slice(&self.text[..n]);
            self.text = &self.text[n..];
            Ok(n)
        }
    }

    /// Findings, counts and good records of checking `text` (report detected), read `chunk`
    /// bytes at a time, with or without the short path.
    fn outcome(text: &[u8], chunk: usize, long: bool) -> (String, Vec<(u64, Vec<Cell>)>) {
        outcome_named("GroupCounts.json", text, chunk, long)
    }

    /// [`outcome`] for a file named `name` (which tells the report).
    fn outcome_named(
        name: &str,
        text: &[u8],
        chunk: usize,
        long: bool,
    ) -> (String, Vec<(u64, Vec<Cell>)>) {
        let registry = crate::Registry::builtin().unwrap();
        let options = crate::CheckOptions {
            limits: crate::Limits {
                max_record_bytes: 4096,
                ..crate::Limits::default()
            },
            max_findings: usize::MAX,
            ..crate::CheckOptions::default()
        };
        let source = Source {
            input: Input::Stdin,
            name: name.into(),
            index: 0,
            group: ".".into(),
            relative: name.into(),
        };
        let mut kept = Kept::default();
        LONG_PATH_ONLY.with(|c| c.set(long));
        let report = crate::validate::check_reader(
            Chunked { text, chunk },
            &source,
            &registry,
            &options,
            &mut kept,
        );
        LONG_PATH_ONLY.with(|c| c.set(false));
        let summary = format!(
            "{:?} {:?} rows {} errors {} warnings {} omitted {}",
            report.input_format,
            report.findings,
            report.rows,
            report.errors,
            report.warnings,
            report.omitted
        );
        (summary, kept.0)
    }

    /// A value for the `column`th GroupCounts column: mostly good (dates also as midnight
    /// date-times), sometimes one of the wrong type, refused, escaped or not ASCII.
    fn value(column: usize, pick: u8, day: i64, csv_shaped: bool) -> String {
        let date = |d: i64| {
            (chrono::NaiveDate::from_ymd_opt(2026, 11, 25).unwrap() - chrono::Duration::days(d))
                .format("%Y-%m-%d")
                .to_string()
        };
        let odd = [
            "null",
            "true",
            "\"\"",
            "\"x\"",
            "1.5",
            "-1",
            "1e3",
            "-0",
            "[]",
            "{\"a\": [1, {}]}",
            "\"2026-11-2\\u0035\"",
            "\"\\u0037\"",
            "\"é\"",
            "\"Caf¤\"",
            "\"\\n\"",
            "99999999999999999999",
            "\"2026-02-30\"",
            "\"2026-11-25T00:00:00.000Z\"",
            "\"2026-11-25T01:00:00Z\"",
            "\"D7\"",
            "\"12\"",
            "7",
        ];
        let good = match (column, pick % 4) {
            (0, 0) => "2026-11-25T00:00:00Z".to_string(),
            (0, _) => "2026-11-25".to_string(),
            // Total above active: record rules find only what an odd value causes.
            (1, p) => (500 + u64::from(pick) * 37 % 500 + u64::from(p)).to_string(),
            (2, p) => (u64::from(pick) * 37 % 500 + u64::from(p)).to_string(),
            (3, 0) => format!("{}T00:00:00Z", date(day)),
            (3, _) => date(day),
            (_, p) => ["7", "30", "7", "180"][usize::from(p)].to_string(),
        };
        match pick % 16 {
            15 => odd[usize::from(pick / 16) % odd.len()].to_string(),
            _ if csv_shaped || !matches!(column, 1 | 2) => format!("\"{good}\""),
            _ => good,
        }
    }

    /// A generated document: records of GroupCounts with random defects, laid out as Graph's
    /// envelope, a bare array or NDJSON (`layout % 3`), with `space` choosing the white space
    /// between tokens or, from `layout` 3 on, one record a line as Graph writes them. `¤`
    /// stands for a Latin-1 `é`, invalid UTF-8.
    fn document(records: &[(Vec<u8>, i64, u8)], layout: u8, space: &[u8]) -> Vec<u8> {
        let per_line = layout >= 3;
        let registry = crate::Registry::builtin().unwrap();
        let report = registry.find("GroupCounts").unwrap().clone();
        let spaces = ["", " ", "\n", "\r\n  ", "\t", "  "];
        let mut k = 0;
        let mut ws = || {
            k += 1;
            spaces[usize::from(space[k % space.len()]) % spaces.len()]
        };
        let mut out = String::new();
        match layout % 3 {
            0 => out.push_str(&format!(
                "{{{}\"@odata.context\":{}\"{}\",{}\"value\":{}[",
                ws(),
                ws(),
                report.odata_context(),
                ws(),
                ws()
            )),
            1 => out.push('['),
            _ => {}
        }
        let mut day = 0;
        for (r, (picks, step, shape)) in records.iter().enumerate() {
            day += step;
            let csv_shaped = *shape == 5;
            let mut props: Vec<(String, String)> = report
                .columns
                .iter()
                .enumerate()
                .map(|(j, c)| {
                    let name = if csv_shaped { &c.csv } else { &c.property };
                    let pick = picks.get(j).copied().unwrap_or(0);
                    (format!("\"{name}\""), value(j, pick, day, csv_shaped))
                })
                .collect();
            let at = usize::from(picks.last().copied().unwrap_or(0)) % props.len();
            match shape {
                0 => {
                    props.remove(at);
                }
                1 => props.insert(at, ("\"x\"".into(), "1".into())),
                2 => props.insert(at, props[at].clone()),
                3 => props.swap(at, (at + 2) % 5),
                4 => {
                    props[at].0 = format!(
                        "\"\\u00{:x}{}",
                        props[at].0.as_bytes()[1],
                        &props[at].0[2..]
                    )
                }
                6 => props[at].0 = format!("\"{}\"", props[at].0.to_uppercase().trim_matches('"')),
                7 => props.clear(),
                _ => {}
            }
            if r > 0 && layout % 3 != 2 {
                out.push_str(if per_line { "" } else { ws() });
                out.push(',');
            }
            out.push_str(if per_line { "\n    " } else { ws() });
            if *shape == 8 {
                out.push('5');
                continue;
            }
            out.push('{');
            for (i, (key, value)) in props.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                let mut ws = || if per_line { "" } else { ws() };
                out.push_str(ws());
                out.push_str(key);
                out.push_str(ws());
                out.push(':');
                out.push_str(ws());
                out.push_str(value);
                out.push_str(ws());
            }
            out.push('}');
            if layout % 3 == 2 {
                out.push('\n');
            }
        }
        match layout % 3 {
            0 => out.push_str(&format!("{}]{}}}", ws(), ws())),
            1 => out.push(']'),
            _ => {}
        }
        out.replace('¤', "\u{1}")
            .into_bytes()
            .into_iter()
            .map(|b| if b == 1 { 0xE9 } else { b })
            .collect()
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(512))]

        /// On a detail report, booleans, nulls and properties a record lacks (optional or
        /// not) take the short path or the token reader with the same findings and records.
        #[test]
        fn short_path_is_the_token_reader_on_detail_reports(
            records in proptest::collection::vec(
                proptest::collection::vec((0u8..8, proptest::num::u8::ANY), 14),
                0..12,
            ),
        ) {
            let registry = crate::Registry::builtin().unwrap();
            let report = registry.find("getTeamsDeviceUsageUserDetail").unwrap();
            let mut text = String::from("{\"value\":[");
            for (n, picks) in records.iter().enumerate() {
                let mut fields = Vec::new();
                for (j, column) in report.columns.iter().enumerate() {
                    let (choice, pick) = picks[j % picks.len()];
                    let value = match (choice, &column.kind) {
                        (0, _) => continue,
                        (1, _) => "null".to_string(),
                        (2, _) => "\"\"".to_string(),
                        (_, Kind::Boolean) if pick % 5 == 0 => "\"Yes\"".into(),
                        (_, Kind::Boolean) => (pick % 2 == 0).to_string(),
                        (_, Kind::Date | Kind::OptionalDate) => "\"2026-11-25\"".into(),
                        (_, Kind::Enum(_)) => ["\"7\"", "7", "\"D7\""][usize::from(pick) % 3].into(),
                        (_, Kind::Guid) => format!("\"{pick:08x}-0000-4000-8000-00000000000{}\"", pick % 10),
                        (_, Kind::Text) if column.role == Role::Entity => format!("\"u{n}@x.com\""),
                        (_, Kind::Text) => format!("\"t{pick}\""),
                        _ => pick.to_string(),
                    };
                    fields.push(format!("\"{}\":{value}", column.property));
                }
                if n > 0 {
                    text.push(',');
                }
                text.push('{');
                text.push_str(&fields.join(","));
                text.push('}');
            }
            text.push_str("]}");
            let name = "getTeamsDeviceUsageUserDetail.json";
            let short = outcome_named(name, text.as_bytes(), 1 << 16, false);
            let long = outcome_named(name, text.as_bytes(), 1 << 16, true);
            proptest::prop_assert_eq!(&short.0, &long.0, "{}", text);
            proptest::prop_assert!(short.1 == long.1, "records differ\n{}", text);
        }

        /// The short path for plain records finds, counts and hands on exactly what the token
        /// reader does, on documents good and bad: wrong types, nulls, missing, extra,
        /// repeated and escaped properties, CSV-shaped records, nesting, escapes, non-ASCII
        /// text, date-times, any white space, any layout, cut short anywhere, read in chunks
        /// of any size.
        #[test]
        fn short_path_is_the_token_reader(
            records in proptest::collection::vec(
                (proptest::collection::vec(proptest::num::u8::ANY, 5), 0i64..3, 0u8..24),
                0..30,
            ),
            layout in 0u8..6,
            space in proptest::collection::vec(proptest::num::u8::ANY, 1..8),
            cut in proptest::option::weighted(0.2, proptest::num::usize::ANY),
            chunk in proptest::prop_oneof![1usize..64, 64usize..1 << 16],
            pad in proptest::prop_oneof![proptest::strategy::Just(0usize), 5000usize..8192],
        ) {
            // Sniffing hands the first 8 KiB over at once: leading lines put the records
            // after it, where they come `chunk` bytes at a time.
            let mut text = "\n".repeat(pad).into_bytes();
            text.extend_from_slice(&document(&records, layout, &space));
            if let Some(cut) = cut {
                text.truncate(cut % (text.len() + 1));
            }
            let short = outcome(&text, chunk, false);
            let long = outcome(&text, chunk, true);
            let shown = String::from_utf8_lossy(&text);
            proptest::prop_assert_eq!(&short.0, &long.0, "{}", shown);
            proptest::prop_assert!(short.1 == long.1, "records differ\n{}", shown);
        }
    }

    #[test]
    fn short_path_keeps_the_snippets_lost_where_the_reader_forgets_text() {
        // A refill in the middle of a record forgets the text before its line: its findings
        // come without snippets, whichever path reads the records around it.
        let records: Vec<(Vec<u8>, i64, u8)> = (0..3000u32)
            .map(|i| {
                let odd = if i % 3 == 0 { 255 } else { 6 };
                (vec![(i % 15) as u8, 3, 4, 5, odd], 1, 30)
            })
            .collect();
        let text = document(&records, 3, &[0]);
        let short = outcome(&text, 1000, false);
        assert_ne!(short.0.matches("snippet: None").count(), 0);
        assert_eq!(short, outcome(&text, 1000, true));
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(12))]

        /// The same on documents of a few hundred kilobytes with a defect here and there,
        /// where the reader forgets the text before a record (and with it some snippets) as
        /// it reads on.
        #[test]
        fn short_path_is_the_token_reader_in_long_documents(
            records in proptest::collection::vec(
                (
                    proptest::collection::vec(proptest::prop_oneof![
                        60 => 0u8..15,
                        1 => (0u8..16).prop_map(|odd| odd * 16 + 15),
                    ], 5),
                    proptest::prop_oneof![400 => proptest::strategy::Just(1i64), 1 => 0i64..3],
                    proptest::prop_oneof![60 => proptest::strategy::Just(30u8), 1 => 0u8..24],
                ),
                2000..3000,
            ),
            layout in 0u8..6,
            space in proptest::collection::vec(proptest::num::u8::ANY, 1..8),
            chunk in proptest::prop_oneof![1usize..4096, 4096usize..1 << 17],
        ) {
            let text = document(&records, layout, &space);
            let short = outcome(&text, chunk, false);
            let long = outcome(&text, chunk, true);
            proptest::prop_assert_eq!(&short.0, &long.0);
            proptest::prop_assert!(short.1 == long.1, "records differ");
        }
    }

    fn tokens(text: &str) -> Vec<Tok> {
        let mut lex = Lexer::new(text.as_bytes(), 1 << 20);
        let mut out = Vec::new();
        loop {
            let (t, _) = lex.next().unwrap();
            if t == Tok::Eof {
                return out;
            }
            out.push(t);
        }
    }

    #[test]
    fn lexes_json() {
        assert_eq!(
            tokens(r#"{"a\u00e9\n": [1, -2.5e3, null, true]}"#),
            [
                Tok::ObjectStart,
                Tok::Str("aé\n".into()),
                Tok::Colon,
                Tok::ArrayStart,
                Tok::Num("1".into()),
                Tok::Comma,
                Tok::Num("-2.5e3".into()),
                Tok::Comma,
                Tok::Null,
                Tok::Comma,
                Tok::Bool(true),
                Tok::ArrayEnd,
                Tok::ObjectEnd
            ]
        );
    }

    #[test]
    fn compact_json_longer_than_the_record_limit_is_fine() {
        use crate::discover::{Input, Source};
        let mut text = String::from(
            r#"{"@odata.context":"https://graph.microsoft.com/beta/$metadata#Collection(microsoft.graph.office365GroupsActivityGroupCounts)","value":["#,
        );
        let mut day = chrono::NaiveDate::from_ymd_opt(2026, 11, 25).unwrap();
        for i in 0..5000 {
            if i > 0 {
                text.push(',');
            }
            text.push_str(&format!(
                r#"{{"reportRefreshDate":"2026-11-25","total":10,"active":5,"reportDate":"{day}","reportPeriod":"180"}}"#
            ));
            day = day.pred_opt().unwrap();
        }
        text.push_str("]}");
        let registry = crate::Registry::builtin().unwrap();
        let options = crate::CheckOptions {
            limits: crate::Limits {
                max_record_bytes: 16 * 1024,
                ..crate::Limits::default()
            },
            ..crate::CheckOptions::default()
        };
        let source = Source {
            input: Input::Stdin,
            name: "x.json".into(),
            index: 0,
            group: ".".into(),
            relative: "x.json".into(),
        };
        let report = crate::validate::check_reader(
            text.as_bytes(),
            &source,
            &registry,
            &options,
            &mut crate::record::Discard,
        );
        assert!(text.len() > 400_000);
        assert_eq!(report.errors, 0, "{:?}", report.findings);
        assert_eq!(report.rows, 5000);
    }

    #[test]
    fn numbers_follow_the_grammar() {
        for ok in ["0", "-0", "12", "1.5", "1e9", "1E-2", "-0.0e+1"] {
            assert!(valid_number(ok.as_bytes()), "{ok}");
        }
        for bad in ["01", "+1", "1.", ".5", "1e", "--1", "1-"] {
            assert!(!valid_number(bad.as_bytes()), "{bad}");
        }
    }

    #[test]
    fn positions_count_characters() {
        let mut lex = Lexer::new("{\n  \"é\": 5}".as_bytes(), 1 << 20);
        let mut last = Pos::default();
        for _ in 0..4 {
            last = lex.next().unwrap().1;
        }
        assert_eq!((last.line, last.column), (2, 8));
    }
}
