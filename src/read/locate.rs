//! From byte offsets in raw text to what a person sees: line, character column, source line.

use crate::check::Location;
use crate::diagnostic::Snippet;

/// Lines longer than this are not shown in snippets.
const MAX_SNIPPET: usize = 400;

/// Locates `offset` within `raw`, which starts at the beginning of line `first_line`; the span
/// marked is `width` bytes long.
pub(crate) fn locate(raw: &[u8], first_line: u64, offset: usize, width: usize) -> Location {
    let offset = offset.min(raw.len());
    let before = &raw[..offset];
    let newlines = before.iter().filter(|&&b| b == b'\n').count() as u64;
    let line_start = before
        .iter()
        .rposition(|&b| b == b'\n')
        .map_or(0, |p| p + 1);
    let line_end = raw[offset..]
        .iter()
        .position(|&b| b == b'\n')
        .map_or(raw.len(), |p| offset + p);
    let mut text = &raw[line_start..line_end];
    if text.ends_with(b"\r") {
        text = &text[..text.len() - 1];
    }
    let column = chars(&raw[line_start..offset]) as u64 + 1;
    let span_end = (offset + width).min(line_end).max(offset);
    let snippet = (text.len() <= MAX_SNIPPET).then(|| Snippet {
        text: String::from_utf8_lossy(text).into_owned(),
        start: column as usize,
        width: chars(&raw[offset..span_end]).max(1),
    });
    Location {
        line: first_line + newlines,
        column,
        snippet,
    }
}

/// Characters in UTF-8 text (invalid bytes count one each, as a replacement character does).
pub(crate) fn chars(bytes: &[u8]) -> usize {
    // Continuation bytes (`10xxxxxx`) are counted eight at a time: the JSON reader counts
    // the columns of every record it reads.
    const HIGHS: u64 = 0x8080_8080_8080_8080;
    const ONES: u64 = 0x0101_0101_0101_0101;
    let mut words = bytes.chunks_exact(8);
    let mut continuation = 0;
    for word in &mut words {
        let mut b = [0; 8];
        b.copy_from_slice(word);
        let x = u64::from_le_bytes(b);
        // Bit 7 set and bit 6 (shifted up to 7) clear; the flags, one per byte, are summed
        // into the top byte by the multiplication.
        let flags = (x & !(x << 1) & HIGHS) >> 7;
        continuation += (flags.wrapping_mul(ONES) >> 56) as usize;
    }
    continuation += words
        .remainder()
        .iter()
        .filter(|&&b| (b & 0xC0) == 0x80)
        .count();
    bytes.len() - continuation
}

/// Byte ranges of the fields of the CSV record at the start of `raw`, honouring quotes; stops
/// at the record's end.
pub(crate) fn csv_fields(raw: &[u8], delimiter: u8) -> Vec<(usize, usize)> {
    let mut fields = Vec::new();
    let mut start = 0;
    let mut quoted = false;
    let mut i = 0;
    while i < raw.len() {
        let b = raw[i];
        if quoted {
            if b == b'"' {
                if raw.get(i + 1) == Some(&b'"') {
                    i += 1;
                } else {
                    quoted = false;
                }
            }
        } else if b == b'"' {
            quoted = true;
        } else if b == delimiter {
            fields.push((start, i));
            start = i + 1;
        } else if b == b'\n' || b == b'\r' {
            break;
        }
        i += 1;
    }
    let end = if i < raw.len() { i } else { raw.len() };
    fields.push((start, end));
    fields
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fields_honour_quotes() {
        let raw = b"2026-11-25,\"5,344\",\"a\"\"b\",x\r\nnext";
        let f = csv_fields(raw, b',');
        let texts: Vec<&[u8]> = f.iter().map(|&(s, e)| &raw[s..e]).collect();
        assert_eq!(
            texts,
            [&b"2026-11-25"[..], b"\"5,344\"", b"\"a\"\"b\"", b"x"]
        );
    }

    proptest::proptest! {
        /// Eight bytes at a time, the same as byte by byte.
        #[test]
        fn chars_counts_all_but_continuation_bytes(
            bytes in proptest::collection::vec(proptest::num::u8::ANY, 0..40),
        ) {
            let naive = bytes.iter().filter(|&&b| (b & 0xC0) != 0x80).count();
            proptest::prop_assert_eq!(chars(&bytes), naive);
        }
    }

    #[test]
    fn columns_count_characters() {
        let raw = "é,x\n".as_bytes();
        let loc = locate(raw, 7, 3, 1);
        assert_eq!((loc.line, loc.column), (7, 3));
        assert_eq!(loc.snippet.unwrap().text, "é,x");
    }
}
