//! Human-readable diagnostics, in the style of rustc and ruff: the code and message, the
//! location, the source line with the culprit underlined, then what was found, what was
//! expected and a hint.
//!
//! Hand-written rather than through annotate-snippets or miette: every finding has one span on
//! one line, and this keeps the output byte-stable for snapshot tests across crate upgrades.

use std::fmt::Write;

use anstyle::{AnsiColor, Style};

use crate::check::FileReport;
use crate::diagnostic::{Code, Finding, Severity};

struct Palette {
    on: bool,
}

impl Palette {
    fn paint(&self, style: Style, text: &str) -> String {
        if self.on {
            format!("{style}{text}{style:#}")
        } else {
            text.to_string()
        }
    }

    fn severity(&self, severity: Severity) -> Style {
        let color = match severity {
            Severity::Error => AnsiColor::Red,
            Severity::Warning => AnsiColor::Yellow,
            Severity::Info => AnsiColor::Cyan,
        };
        Style::new().fg_color(Some(color.into())).bold()
    }

    fn gutter(&self) -> Style {
        Style::new().fg_color(Some(AnsiColor::Blue.into())).bold()
    }
}

/// Renders one finding of file `name`.
pub fn render_finding(name: &str, f: &Finding, color: bool) -> String {
    let p = Palette { on: color };
    let sev = p.severity(f.severity);
    let mut out = String::new();
    let head = format!("{}[{}]", f.severity.label(), f.code);
    let _ = writeln!(
        out,
        "{}{} {}",
        p.paint(sev, &head),
        p.paint(Style::new().bold(), ":"),
        p.paint(Style::new().bold(), &f.message)
    );
    let place = if f.line == 0 {
        name.to_string()
    } else {
        format!("{name}:{}:{}", f.line, f.column)
    };
    let number = if f.line == 0 {
        String::new()
    } else {
        f.line.to_string()
    };
    let pad = " ".repeat(number.len().max(1));
    let _ = writeln!(out, "{pad}{} {place}", p.paint(p.gutter(), "-->"));
    let bar = p.paint(p.gutter(), "|");
    let mut label = Vec::new();
    if let Some(found) = &f.found {
        label.push(format!("found {found}"));
    }
    if let Some(expected) = &f.expected {
        label.push(format!("expected {expected}"));
    }
    let label = label.join("; ");
    match &f.snippet {
        Some(s) => {
            let _ = writeln!(out, "{pad} {bar}");
            let _ = writeln!(
                out,
                "{} {bar} {}",
                p.paint(p.gutter(), &number),
                s.text.replace('\t', " ")
            );
            let marks = format!(
                "{}{}",
                " ".repeat(s.start.saturating_sub(1)),
                "^".repeat(s.width.max(1))
            );
            let underline = if label.is_empty() {
                marks
            } else {
                format!("{marks} {label}")
            };
            let _ = writeln!(out, "{pad} {bar} {}", p.paint(sev, &underline));
            let _ = writeln!(out, "{pad} {bar}");
        }
        None if !label.is_empty() => {
            let _ = writeln!(out, "{pad} {} {label}", p.paint(p.gutter(), "="));
        }
        None => {}
    }
    if let Some(hint) = &f.hint {
        let _ = writeln!(out, "{pad} {} {hint}", p.paint(p.gutter(), "= hint:"));
    }
    out
}

/// Renders every finding of a file that is worth showing a person (the I001 note is left to
/// the run's summary, where it is said once for all files).
pub fn render_file(report: &FileReport, color: bool) -> String {
    let mut out = String::new();
    for f in report
        .findings
        .iter()
        .filter(|f| f.code != Code::ReportAssumed)
    {
        out.push_str(&render_finding(&report.name, f, color));
        out.push('\n');
    }
    if report.omitted > 0 {
        let _ = writeln!(
            out,
            "{}: and {} more finding{} in {} (raise --max-errors to see them)\n",
            Palette { on: color }.paint(Style::new().bold(), "note"),
            report.omitted,
            if report.omitted == 1 { "" } else { "s" },
            report.name
        );
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::diagnostic::Snippet;

    #[test]
    fn underlines_the_span() {
        let f = Finding::new(Code::InvalidInteger, 3, 12, "`Total` is not a valid count")
            .found("5,344")
            .expected("a whole number")
            .hint("remove the thousands separators: `5344`")
            .snippet(Some(Snippet {
                text: "2026-11-25,\"5,344\",1,2026-11-25,7".into(),
                start: 12,
                width: 7,
            }));
        let text = render_finding("a.csv", &f, false);
        assert_eq!(
            text,
            "error[E202]: `Total` is not a valid count\n --> a.csv:3:12\n  |\n3 | 2026-11-25,\"5,344\",1,2026-11-25,7\n  |            ^^^^^^^ found 5,344; expected a whole number\n  |\n  = hint: remove the thousands separators: `5344`\n"
        );
    }
}
