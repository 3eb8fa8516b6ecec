//! The validation section of `m365report report`'s page: a row per file (report, verdict,
//! counts of findings), then every finding kept with its `file:line:col`, code and message,
//! as `validate` prints them.

use std::fmt::Write as _;

use super::escape;
use crate::diagnostic::Severity;
use crate::overview::Overview;

/// The validation section: the files' table, the findings' table, unreadable paths.
pub fn section(out: &mut String, overview: &Overview) {
    let _ = writeln!(
        out,
        "<section id=\"validation\">\n<h2>Validation</h2>\n<p>{}</p>",
        escape(&overview.files_line())
    );
    files_table(out, overview);
    findings_table(out, overview);
    if !overview.unreadable.is_empty() {
        out.push_str("<h3>Paths not read</h3>\n<ul class=\"plain\">\n");
        for e in &overview.unreadable {
            let _ = writeln!(
                out,
                "<li><code>{}</code>: {}</li>",
                escape(&e.path),
                escape(&e.message)
            );
        }
        out.push_str("</ul>\n");
    }
    out.push_str("</section>\n");
}

fn files_table(out: &mut String, overview: &Overview) {
    out.push_str(
        "<div class=\"scroll\">\n<table class=\"files\">\n<thead><tr>\
         <th data-sort scope=\"col\">file</th><th data-sort scope=\"col\">report</th>\
         <th data-sort scope=\"col\">verdict</th><th data-sort scope=\"col\" class=\"num\">rows</th>\
         <th data-sort scope=\"col\" class=\"num\">errors</th><th data-sort scope=\"col\" class=\"num\">warnings</th>\
         <th data-sort scope=\"col\" class=\"num\">notes</th></tr></thead>\n<tbody>\n",
    );
    for f in &overview.files {
        let notes = f
            .findings
            .iter()
            .filter(|x| x.severity == Severity::Info)
            .count();
        let (class, verdict) = if f.is_valid() {
            ("verdict-valid", "valid")
        } else {
            ("verdict-invalid", "invalid")
        };
        let report = f.report.as_ref().map_or("-", |r| r.name.as_str());
        let _ = writeln!(
            out,
            "<tr><td class=\"mono path\">{}</td><td>{}</td><td class=\"{class}\">{verdict}</td>\
             <td class=\"num\">{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td><td class=\"num\">{notes}</td></tr>",
            escape(&f.name),
            escape(report),
            f.rows,
            f.errors,
            f.warnings,
        );
    }
    out.push_str("</tbody>\n</table>\n</div>\n");
}

fn findings_table(out: &mut String, overview: &Overview) {
    let total: usize = overview.files.iter().map(|f| f.findings.len()).sum();
    let omitted: u64 = overview.files.iter().map(|f| f.omitted).sum();
    let _ = write!(out, "<h3>Findings <small class=\"muted\">({total}");
    if omitted > 0 {
        let _ = write!(out, ", and {omitted} more not kept (raise --max-errors)");
    }
    out.push_str(")</small></h3>\n");
    if total == 0 {
        out.push_str("<p>None.</p>\n");
        return;
    }
    out.push_str(
        "<div class=\"scroll\">\n<table class=\"findings\">\n<thead><tr>\
         <th data-sort scope=\"col\">location</th><th data-sort scope=\"col\">severity</th>\
         <th data-sort scope=\"col\">code</th><th data-sort scope=\"col\">message</th></tr></thead>\n<tbody>\n",
    );
    for (index, f) in overview.files.iter().enumerate() {
        for (k, x) in f.findings.iter().enumerate() {
            let location = if x.line == 0 {
                f.name.clone()
            } else {
                format!("{}:{}:{}", f.name, x.line, x.column)
            };
            let mut message = escape(&x.message);
            if let Some(found) = &x.found {
                let _ = write!(message, "<br><small>found {}</small>", escape(found));
            }
            if let Some(expected) = &x.expected {
                let _ = write!(message, "<br><small>expected {}</small>", escape(expected));
            }
            if let Some(hint) = &x.hint {
                let _ = write!(message, "<br><small>hint: {}</small>", escape(hint));
            }
            let label = x.severity.label();
            // Sorting by location keeps a file's findings in their order.
            let _ = writeln!(
                out,
                "<tr><td class=\"mono path\" data-v=\"{index:06}-{k:06}\">{}</td><td class=\"sev-{label}\">{label}</td>\
                 <td><code>{}</code></td><td class=\"wrap\">{message}</td></tr>",
                escape(&location),
                x.code,
            );
        }
    }
    out.push_str("</tbody>\n</table>\n</div>\n");
}
