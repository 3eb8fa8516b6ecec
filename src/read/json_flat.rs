//! A flat JSON record split in place: the short path of the JSON reader.
//!
//! Graph's records are flat objects of short strings, numbers and nulls, without escapes.
//! Such a record, held whole in the reader's buffer, is cut into properties by byte offsets
//! in one pass, with no token, no copy and no line bookkeeping. Anything else (an escape, a
//! nested value, a boolean, a syntax error, a record running past the bytes held) gives up,
//! and the reader reads the record token by token instead: findings have one source only.

use std::ops::Range;

/// The kind of a property's value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Scalar {
    /// A string: the value's range includes the quotes.
    Str,
    /// A number the JSON grammar accepts.
    Num,
    /// `null`.
    Null,
}

/// One property of a record, as offsets into the text scanned.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Property {
    /// The name, without its quotes.
    pub(crate) key: Range<usize>,
    /// The value as written (a string with its quotes).
    pub(crate) value: Range<usize>,
    /// What the value is.
    pub(crate) scalar: Scalar,
}

/// Longest number the token reader takes: its limit, so a longer one is its to refuse.
const MAX_NUMBER: usize = 64;

/// Splits the record whose `{` precedes `text` into `out`, returning the offset just past
/// its `}`; `None` when the record is not plain (see the module) or not all in `text`.
/// Strings longer than `limit` bytes are left to the token reader, which refuses them.
pub(crate) fn scan(text: &[u8], limit: usize, out: &mut Vec<Property>) -> Option<usize> {
    out.clear();
    let mut i = skip_space(text, 0);
    // `{}` is a record with every property missing: rare, and the token reader's to report.
    if *text.get(i)? != b'"' {
        return None;
    }
    loop {
        let key = string(text, i, limit)?;
        i = skip_space(text, key.end);
        if *text.get(i)? != b':' {
            return None;
        }
        i = skip_space(text, i + 1);
        let (value, scalar) = match *text.get(i)? {
            b'"' => (string(text, i, limit)?, Scalar::Str),
            b'-' | b'0'..=b'9' => (number(text, i)?, Scalar::Num),
            b'n' if text.get(i..i + 4)? == b"null" => (i..i + 4, Scalar::Null),
            _ => return None,
        };
        i = skip_space(text, value.end);
        out.push(Property {
            key: key.start + 1..key.end - 1,
            value,
            scalar,
        });
        match *text.get(i)? {
            b',' => i = skip_space(text, i + 1),
            b'}' => return Some(i + 1),
            _ => return None,
        }
        if *text.get(i)? != b'"' {
            return None;
        }
    }
}

fn skip_space(text: &[u8], mut i: usize) -> usize {
    while text
        .get(i)
        .is_some_and(|b| matches!(b, b' ' | b'\t' | b'\n' | b'\r'))
    {
        i += 1;
    }
    i
}

/// The string whose `"` is at `start`, quotes included, if it is plain: no escape, no control
/// character, valid UTF-8, at most `limit` bytes.
fn string(text: &[u8], start: usize, limit: usize) -> Option<Range<usize>> {
    let body = start + 1;
    let mut end = body;
    // Bytes are or-ed together so that one test at the end tells whether any is not ASCII.
    let mut any = 0u8;
    loop {
        let b = *text.get(end)?;
        if b == b'"' {
            break;
        }
        if b == b'\\' || b < 0x20 {
            return None;
        }
        any |= b;
        end += 1;
    }
    let inner = &text[body..end];
    if inner.len() > limit || (!any.is_ascii() && std::str::from_utf8(inner).is_err()) {
        return None;
    }
    Some(start..end + 1)
}

/// The number starting at `start`, if the grammar takes it and its end is held.
fn number(text: &[u8], start: usize) -> Option<Range<usize>> {
    let len = text[start..]
        .iter()
        .take(MAX_NUMBER + 1)
        .position(|b| !(b.is_ascii_digit() || matches!(b, b'-' | b'+' | b'.' | b'e' | b'E')))?;
    let raw = std::str::from_utf8(&text[start..start + len]).ok()?;
    super::json::valid_number(raw).then_some(start..start + len)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Where the record ends, and its names, values and kinds.
    type Split = (usize, Vec<(String, String, Scalar)>);

    fn split(text: &str) -> Option<Split> {
        let mut out = Vec::new();
        let end = scan(text.as_bytes(), 1 << 20, &mut out)?;
        let texts = out
            .iter()
            .map(|p| {
                (
                    text[p.key.clone()].to_string(),
                    text[p.value.clone()].to_string(),
                    p.scalar,
                )
            })
            .collect();
        Some((end, texts))
    }

    #[test]
    fn splits_a_graph_record() {
        let text = r#""reportDate":"2026-11-25", "total" : 12,"active":null}, {"#;
        let (end, props) = split(text).unwrap();
        assert_eq!(&text[end..], ", {");
        assert_eq!(
            props,
            [
                ("reportDate".into(), "\"2026-11-25\"".into(), Scalar::Str),
                ("total".into(), "12".into(), Scalar::Num),
                ("active".into(), "null".into(), Scalar::Null),
            ]
        );
    }

    #[test]
    fn gives_up_on_anything_unusual() {
        for text in [
            r#"}"#,
            r#""a":"x\"y"}"#,
            r#""a":[1]}"#,
            r#""a":{}}"#,
            r#""a":true}"#,
            r#""a":01}"#,
            r#""a":1,}"#,
            r#""a":1"#,
            r#""a":12"#,
            r#""a":nul"#,
            "\"a\":\"x\ny\"}",
            r#""a" 1}"#,
            r#""a":1 "b":2}"#,
        ] {
            assert_eq!(split(text), None, "{text}");
        }
        let long = format!("\"a\":1{}}}", "0".repeat(MAX_NUMBER));
        assert_eq!(split(&long), None);
        let mut out = Vec::new();
        assert_eq!(scan(b"\"a\":\"\xE9\"}", 100, &mut out), None);
        assert_eq!(scan(b"\"a\":\"abc\"}", 2, &mut out), None);
        assert!(scan("\"a\":\"é\"}".as_bytes(), 100, &mut out).is_some());
    }
}
