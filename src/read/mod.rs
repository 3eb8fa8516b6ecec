//! Bytes to records: sniff what an input is, then read it as CSV or JSON keeping positions.

pub(crate) mod csv;
pub(crate) mod json;
mod json_flat;
pub(crate) mod locate;
pub(crate) mod records;

use std::io::{self, Cursor, Read};

use crate::diagnostic::{Code, Finding};

pub use crate::check::{CsvPath, InputFormat, Limits};

/// What sniffing decided about an input.
pub(crate) enum Sniffed<'r> {
    /// Not a report file at all: the finding says what it probably is.
    Rejected(Finding),
    /// CSV text, with any UTF-8 byte-order mark already skipped.
    Csv(Box<dyn Read + 'r>),
    /// JSON text (the format says whether one document or NDJSON is expected), BOM skipped.
    Json(Box<dyn Read + 'r>, InputFormat),
}

const BOM: &[u8] = b"\xEF\xBB\xBF";
const HEAD: usize = 8 * 1024;

/// Reads the first few kilobytes to tell what the input is, then hands back a reader that
/// replays them. A forced format skips the guess but not the checks for non-text files.
pub(crate) fn sniff<'r>(
    mut reader: impl Read + 'r,
    forced: Option<InputFormat>,
) -> io::Result<Sniffed<'r>> {
    let mut head = Vec::with_capacity(HEAD);
    (&mut reader).take(HEAD as u64).read_to_end(&mut head)?;
    let whole = |head: Vec<u8>, skip: usize| -> Box<dyn Read + 'r> {
        let mut replay = Cursor::new(head);
        replay.set_position(skip as u64);
        Box::new(replay.chain(reader))
    };
    if let Some(f) = reject(&head) {
        return Ok(Sniffed::Rejected(f));
    }
    let skip = if head.starts_with(BOM) { BOM.len() } else { 0 };
    let first = head[skip..]
        .iter()
        .find(|b| !b.is_ascii_whitespace())
        .copied();
    let format = forced.unwrap_or(match first {
        Some(b'{') | Some(b'[') => InputFormat::Json,
        _ => InputFormat::Csv,
    });
    Ok(match format {
        InputFormat::Csv => Sniffed::Csv(whole(head, skip)),
        f => Sniffed::Json(whole(head, skip), f),
    })
}

/// Recognises inputs that are not report text at all, by their first bytes.
fn reject(head: &[u8]) -> Option<Finding> {
    let at_start =
        |code: Code, message: &str, hint: &str| Some(Finding::new(code, 1, 1, message).hint(hint));
    let body = head.strip_prefix(BOM).unwrap_or(head);
    if body.iter().all(u8::is_ascii_whitespace) {
        return at_start(
            Code::EmptyFile,
            if head.is_empty() {
                "the file is empty"
            } else {
                "the file holds only white space"
            },
            "the download probably failed; download the report again",
        );
    }
    if head.starts_with(b"\xFF\xFE") || head.starts_with(b"\xFE\xFF") || looks_like_utf16(head) {
        return at_start(
            Code::Utf16,
            "the file is UTF-16 text, not UTF-8",
            "a spreadsheet saved it as \"Unicode text\"; save as \"CSV UTF-8\" instead, or convert it with `iconv -f UTF-16 -t UTF-8`",
        );
    }
    let magic: &[(&[u8], &str, &str)] = &[
        (
            b"PK\x03\x04",
            "this looks like a ZIP archive (an .xlsx workbook is one), not a report",
            "export the sheet as CSV UTF-8, or unzip the archive first",
        ),
        (
            b"%PDF",
            "this looks like a PDF document, not a report",
            "download the report as CSV from Graph or the admin center",
        ),
        (
            b"\xD0\xCF\x11\xE0",
            "this looks like a legacy Excel workbook (.xls), not a report",
            "export the sheet as CSV UTF-8",
        ),
        (
            b"\x1F\x8B",
            "this looks like a gzip-compressed file",
            "decompress it first (`gunzip`)",
        ),
    ];
    for (bytes, message, hint) in magic {
        if head.starts_with(bytes) {
            return at_start(Code::OtherFileType, message, hint);
        }
    }
    // Both markup checks need `<` as the first character after white space; a report
    // starts with a letter or `{`, so the text is only built when the first byte leaves a
    // doubt (`<`, white space as `str::trim_start` sees it, or not ASCII).
    let markup = match body.first() {
        Some(&b) if b.is_ascii() => b == b'<' || b.is_ascii_whitespace() || b == b'\x0B',
        _ => true,
    };
    let text = if markup {
        String::from_utf8_lossy(&body[..body.len().min(512)])
            .trim_start()
            .to_ascii_lowercase()
    } else {
        String::new()
    };
    if text.starts_with("<!doctype html") || text.starts_with("<html") || text.starts_with("<head")
    {
        return at_start(
            Code::OtherFileType,
            "this looks like an HTML page, not a report",
            "the download probably failed or needed sign-in: the server sent a web page; download the report again",
        );
    }
    if text.starts_with("<?xml") || text.starts_with('<') {
        return at_start(
            Code::OtherFileType,
            "this looks like an XML document, not a report",
            "an error response was probably saved instead of the report; download it again",
        );
    }
    // `contains` is a memchr; the position is only needed for the message.
    if let Some(pos) = head
        .contains(&0)
        .then(|| head.iter().position(|&b| b == 0))
        .flatten()
    {
        let line = 1 + head[..pos].iter().filter(|&&b| b == b'\n').count() as u64;
        return Some(
            Finding::new(Code::Binary, 1, 1, format!("the file holds binary data (a NUL byte at byte {pos}, line {line})"))
                .hint("this is not a text export; the file may be damaged or only partly written (a zero-filled tail is typical of an interrupted copy)"),
        );
    }
    None
}

/// UTF-16 without a byte-order mark: ASCII text with every other byte zero.
fn looks_like_utf16(head: &[u8]) -> bool {
    let sample = &head[..head.len().min(64)];
    if sample.len() < 8 {
        return false;
    }
    let zeros_even = sample.iter().step_by(2).filter(|&&b| b == 0).count();
    let zeros_odd = sample
        .iter()
        .skip(1)
        .step_by(2)
        .filter(|&&b| b == 0)
        .count();
    let half = sample.len() / 2;
    // The other half is text: a run of NUL bytes (a zero-filled file) is binary, not UTF-16.
    let text = |other_zeros: usize| other_zeros * 10 <= half;
    (zeros_even * 10 >= half * 9 && text(zeros_odd))
        || (zeros_odd * 10 >= half * 9 && text(zeros_even))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn code(bytes: &[u8]) -> Option<Code> {
        reject(bytes).map(|f| f.code)
    }

    #[test]
    fn not_a_report() {
        assert_eq!(code(b""), Some(Code::EmptyFile));
        assert_eq!(code(b"\xEF\xBB\xBF\r\n"), Some(Code::EmptyFile));
        assert_eq!(code(b"\xFF\xFER\x00e\x00"), Some(Code::Utf16));
        assert_eq!(
            code(
                "Report Refresh Date"
                    .encode_utf16()
                    .flat_map(|u| u.to_le_bytes())
                    .collect::<Vec<_>>()
                    .as_slice()
            ),
            Some(Code::Utf16)
        );
        assert_eq!(code(b"PK\x03\x04rest"), Some(Code::OtherFileType));
        assert_eq!(code(b"\n <!DOCTYPE html><html>"), Some(Code::OtherFileType));
        assert_eq!(code(b"\x0B<html>"), Some(Code::OtherFileType));
        assert_eq!(code("\u{a0}<?xml".as_bytes()), Some(Code::OtherFileType));
        assert_eq!(code(b"a,b\n\x00\x00"), Some(Code::Binary));
        // A zero-filled file has every other byte zero too, but it is not UTF-16 text.
        assert_eq!(code(&[0; 4096]), Some(Code::Binary));
        assert_eq!(code(b"R\x00e\x00p\x00o\x00r\x00t\x00"), Some(Code::Utf16));
        assert_eq!(code(b"Report Refresh Date,Total\n"), None);
    }
}
