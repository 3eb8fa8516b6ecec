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
    /// `true` or `false`.
    Bool(bool),
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
/// Bytes outside strings are ASCII; those inside are the caller's to check for UTF-8.
/// A record of more than `most` properties is given up as soon as that is known.
pub(crate) fn scan(
    text: &[u8],
    limit: usize,
    most: usize,
    out: &mut Vec<Property>,
) -> Option<usize> {
    out.clear();
    let mut i = skip_space(text, 0);
    // `{}` is a record with every property missing: rare, and the token reader's to report.
    if *text.get(i)? != b'"' {
        return None;
    }
    loop {
        if out.len() == most {
            return None;
        }
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
            b't' if text.get(i..i + 4)? == b"true" => (i..i + 4, Scalar::Bool(true)),
            b'f' if text.get(i..i + 5)? == b"false" => (i..i + 5, Scalar::Bool(false)),
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
/// character, at most `limit` bytes. Its UTF-8 is the caller's to check.
// Inlined into the scan: names and values are a few bytes, a call costs as much as they do.
#[inline(always)]
fn string(text: &[u8], start: usize, limit: usize) -> Option<Range<usize>> {
    let end = special(text, start + 1)?;
    (text[end] == b'"' && end - start - 1 <= limit).then_some(start..end + 1)
}

/// The offset of the first `"`, `\` or control character from `at` on.
fn special(text: &[u8], mut at: usize) -> Option<usize> {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const HIGHS: u64 = 0x8080_8080_8080_8080;
    // Eight bytes at a time: a byte `b` is flagged by `(b - n) & !b & 0x80` when below `n`
    // (by `b ^ c` being below 1 when equal to `c`). Borrows run towards later bytes only, so
    // the first byte flagged is the first one that is special.
    while let Some(word) = text.get(at..at + 8) {
        let mut bytes = [0; 8];
        bytes.copy_from_slice(word);
        let x = u64::from_le_bytes(bytes);
        let quote = x ^ (ONES * u64::from(b'"'));
        let backslash = x ^ (ONES * u64::from(b'\\'));
        let flagged = (quote.wrapping_sub(ONES) & !quote
            | backslash.wrapping_sub(ONES) & !backslash
            | x.wrapping_sub(ONES * 0x20) & !x)
            & HIGHS;
        if flagged != 0 {
            return Some(at + flagged.trailing_zeros() as usize / 8);
        }
        at += 8;
    }
    text.get(at..)?
        .iter()
        .position(|&b| b == b'"' || b == b'\\' || b < 0x20)
        .map(|p| at + p)
}

/// The number starting at `start`, if the grammar takes it and its end is held.
fn number(text: &[u8], start: usize) -> Option<Range<usize>> {
    let len = text[start..]
        .iter()
        .take(MAX_NUMBER + 1)
        .position(|b| !(b.is_ascii_digit() || matches!(b, b'-' | b'+' | b'.' | b'e' | b'E')))?;
    valid_number(&text[start..start + len]).then_some(start..start + len)
}

/// Whether `s` is a number as the JSON grammar writes it.
pub(super) fn valid_number(b: &[u8]) -> bool {
    let mut i = 0;
    if b.get(i) == Some(&b'-') {
        i += 1;
    }
    match b.get(i) {
        Some(b'0') => i += 1,
        Some(b'1'..=b'9') => {
            while b.get(i).is_some_and(u8::is_ascii_digit) {
                i += 1;
            }
        }
        _ => return false,
    }
    if b.get(i) == Some(&b'.') {
        i += 1;
        let s = i;
        while b.get(i).is_some_and(u8::is_ascii_digit) {
            i += 1;
        }
        if i == s {
            return false;
        }
    }
    if matches!(b.get(i), Some(b'e' | b'E')) {
        i += 1;
        if matches!(b.get(i), Some(b'+' | b'-')) {
            i += 1;
        }
        let s = i;
        while b.get(i).is_some_and(u8::is_ascii_digit) {
            i += 1;
        }
        if i == s {
            return false;
        }
    }
    i == b.len()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Where the record ends, and its names, values and kinds.
    type Split = (usize, Vec<(String, String, Scalar)>);

    fn split(text: &str) -> Option<Split> {
        let mut out = Vec::new();
        let end = scan(text.as_bytes(), 1 << 20, 8, &mut out)?;
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
            r#""a":tru}"#,
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
        assert_eq!(scan(b"\"a\":\"abc\"}", 2, 8, &mut out), None);
        assert_eq!(scan(b"\"a\":1,\"b\":2}", 100, 1, &mut out), None);
        assert!(scan(b"\"a\":1,\"b\":2}", 100, 2, &mut out).is_some());
        assert!(scan("\"a\":\"é\"}".as_bytes(), 100, 8, &mut out).is_some());
        assert!(scan(b"\"a\":true,\"b\":false}", 100, 2, &mut out).is_some());
        assert_eq!(out[1].scalar, Scalar::Bool(false));
    }

    proptest::proptest! {
        /// Eight bytes at a time, the same as one by one, wherever the special byte is.
        #[test]
        fn special_is_the_first_quote_backslash_or_control(
            text in proptest::collection::vec(
                proptest::prop_oneof![
                    8 => 0x20u8..0x7F,
                    1 => proptest::sample::select(vec![b'"', b'\\', 0, 0x1F, 0x20, 0x21, 0x5B, 0x5D, 0x7F, 0x80, 0xA2, 0xDC, 0xFF]),
                ],
                0..40,
            ),
            at in 0usize..40,
        ) {
            let at = at.min(text.len());
            let naive = text[at..]
                .iter()
                .position(|&b| b == b'"' || b == b'\\' || b < 0x20)
                .map(|p| at + p);
            proptest::prop_assert_eq!(special(&text, at), naive);
        }
    }
}
