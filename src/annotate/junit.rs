//! JUnit XML, the test-result form Azure DevOps and GitLab show: one `testsuite` per run,
//! one `testcase` per input; an invalid input has a `failure` listing its findings, an
//! unreadable one an `error`, one not checked is `skipped`; the findings of an input that
//! passed (warnings, notes) are its `system-out`, the command's other messages the suite's
//! `system-err`. Written by hand: every value goes through [`escape`], which also drops the
//! characters XML 1.0 cannot hold at all (a NUL from a binary file's found value).

use std::fmt::Write;

use super::run::{full_message, omitted_note, Input, Run, Verdict};
use crate::diagnostic::Severity;

/// The run as one JUnit XML document, ending with a line end.
pub fn render(run: &Run) -> String {
    let count = |wanted: fn(&Verdict) -> bool| {
        run.inputs
            .iter()
            .filter(|input| wanted(&input.verdict))
            .count()
    };
    let tests = run.inputs.len();
    let failures = count(|v| *v == Verdict::Failed);
    let errors = count(|v| *v == Verdict::Unreadable);
    let skipped = count(|v| matches!(v, Verdict::Skipped(_)));
    let totals = format!(
        "tests=\"{tests}\" failures=\"{failures}\" errors=\"{errors}\" skipped=\"{skipped}\""
    );
    let suite = format!("m365report {}", run.command);
    let mut out = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    let _ = writeln!(out, "<testsuites name=\"m365report\" {totals}>");
    let _ = writeln!(out, "  <testsuite name=\"{}\" {totals}>", escape(&suite));
    let classname = format!("m365report.{}", run.command.replace(' ', "."));
    for input in &run.inputs {
        testcase(&mut out, input, &classname);
    }
    if !run.messages.is_empty() {
        let _ = writeln!(
            out,
            "    <system-err>{}</system-err>",
            escape_text(&run.messages.join("\n"))
        );
    }
    out.push_str("  </testsuite>\n</testsuites>\n");
    out
}

/// One input as a test case.
fn testcase(out: &mut String, input: &Input, classname: &str) {
    let _ = write!(
        out,
        "    <testcase name=\"{}\" classname=\"{}\"",
        escape(input.path),
        escape(classname)
    );
    let body = findings_text(input);
    let element = match input.verdict {
        Verdict::Passed if body.is_empty() => {
            out.push_str("/>\n");
            return;
        }
        Verdict::Passed => "system-out",
        Verdict::Failed => "failure",
        Verdict::Unreadable => "error",
        Verdict::Skipped(reason) => {
            let _ = writeln!(
                out,
                ">\n      <skipped message=\"{}\"/>\n    </testcase>",
                escape(reason)
            );
            return;
        }
    };
    out.push_str(">\n");
    if element == "system-out" {
        let _ = writeln!(out, "      <system-out>{}</system-out>", escape_text(&body));
    } else {
        let (kind, message) = headline(input);
        let _ = writeln!(
            out,
            "      <{element} message=\"{}\" type=\"{}\">{}</{element}>",
            escape(&message),
            escape(kind),
            escape_text(&body)
        );
    }
    out.push_str("    </testcase>\n");
}

/// The failure's type (the first error's code) and message (that error, and how many more).
fn headline(input: &Input) -> (&'static str, String) {
    let first = input
        .findings
        .iter()
        .find(|f| f.severity == Severity::Error)
        .or(input.findings.first());
    match first {
        Some(f) => {
            let others = input.findings.len() as u64 + input.omitted - 1;
            let more = if others > 0 {
                format!(" (and {others} more)")
            } else {
                String::new()
            };
            (f.code.as_str(), format!("{}: {}{more}", f.code, f.message))
        }
        None => ("invalid", "invalid input".into()),
    }
}

/// Every finding of an input, one per line, as `path:line:column: error[CODE]: message`.
fn findings_text(input: &Input) -> String {
    let mut text = String::new();
    for f in input.findings {
        let place = if f.line == 0 {
            input.path.to_string()
        } else {
            format!("{}:{}:{}", input.path, f.line, f.column)
        };
        let _ = writeln!(
            text,
            "{place}: {}[{}]: {}",
            f.severity.label(),
            f.code,
            full_message(f)
        );
    }
    if let Some(note) = omitted_note(input) {
        let _ = writeln!(text, "note: {note}");
    }
    text
}

/// `text` as XML character data or an attribute value: markup characters and quotes as
/// references; line ends and tabs as references too, so attribute values keep them; the
/// characters XML 1.0 forbids (C0 controls other than tab and line ends, U+FFFE, U+FFFF) as
/// U+FFFD.
pub fn escape(text: &str) -> String {
    escape_with(text, true)
}

/// `text` as XML character data: as [`escape`], but line ends, tabs and quotes kept as they
/// are so that the findings read one per line, as printed.
pub fn escape_text(text: &str) -> String {
    escape_with(text, false)
}

fn escape_with(text: &str, attribute: bool) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '\n' | '\t' | '"' | '\'' if !attribute => out.push(c),
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            '\n' => out.push_str("&#10;"),
            '\r' => out.push_str("&#13;"),
            '\t' => out.push_str("&#9;"),
            '\u{0}'..='\u{1f}' | '\u{fffe}' | '\u{ffff}' => out.push('\u{fffd}'),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_markup_quotes_line_ends_and_forbidden_characters() {
        assert_eq!(
            escape("<a href=\"x\">&'\n\u{0}\u{ffff}"),
            "&lt;a href=&quot;x&quot;&gt;&amp;&apos;&#10;\u{fffd}\u{fffd}"
        );
    }
}
