//! The two pages: `trend --html`'s and `m365report report`'s, assembled from the sections
//! of `trend.rs` and `validation.rs` in the shell of [`document`].

use std::fmt::Write as _;

use super::{document, escape, trend, validation, Inputs};
use crate::overview::Overview;

/// The page of `trend --html`: the trend of `inputs`.
pub fn trend_page(t: &crate::trend::Trend, inputs: &Inputs) -> String {
    let mut body = String::with_capacity(64 * 1024);
    body.push_str("<header>\n<h1>Trend</h1>\n");
    inputs_facts(&mut body, inputs, t);
    body.push_str("</header>\n");
    trend::contents(&mut body, t, false);
    trend::sections(&mut body, t);
    document(&format!("Trend: {}", inputs.paths.join(", ")), &body)
}

/// The page of `m365report report`: every file's validation, then the trend of the valid
/// ones.
pub fn overview_page(overview: &Overview, inputs: &Inputs) -> String {
    let mut body = String::with_capacity(64 * 1024);
    body.push_str("<header>\n<h1>Usage reports</h1>\n");
    inputs_facts(&mut body, inputs, &overview.trend);
    body.push_str("</header>\n");
    trend::contents(&mut body, &overview.trend, true);
    validation::section(&mut body, overview);
    trend::sections(&mut body, &overview.trend);
    document(
        &format!("Usage reports: {}", inputs.paths.join(", ")),
        &body,
    )
}

/// The header's facts: inputs, files, dates covered, series, conflicts.
fn inputs_facts(out: &mut String, inputs: &Inputs, t: &crate::trend::Trend) {
    out.push_str("<dl class=\"facts\">\n<dt>Inputs</dt><dd><ul class=\"inputs\">");
    for p in &inputs.paths {
        let _ = write!(out, "<li><code>{}</code></li>", escape(p));
    }
    let _ = writeln!(
        out,
        "</ul></dd>\n<dt>Files</dt><dd>{}</dd>",
        escape(&inputs.files)
    );
    trend::facts(out, t);
    out.push_str("</dl>\n");
}
