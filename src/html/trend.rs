//! A [`Trend`]'s sections of a page: per report and metric its chart (the SVG of
//! [`chart`], inline) and per series its summary and a table of its points that sorts on a
//! click; then conflicts, gaps and skipped reports.
//!
//! Every table cell carries its value in `data-v`, written as the CSV writes it (the
//! shortest text that reads back as the same number), so sorting is by number, not by the
//! text shown (`41.21%`, `35.00 MB`), and a test reads the same numbers `--format json`
//! gives.

use std::fmt::Write as _;

use chrono::NaiveDate;

use super::escape;
use crate::record::DateText;
use crate::trend::render::{change_text, push_ratio, value_text};
use crate::trend::{chart, Series, Trend};

/// The header's facts about the trend: dates covered, series, points, conflicts, gaps.
pub fn facts(out: &mut String, trend: &Trend) {
    let first = trend
        .series
        .iter()
        .filter_map(|s| s.summary.first_date)
        .min();
    let last = trend
        .series
        .iter()
        .filter_map(|s| s.summary.last_date)
        .max();
    let covered = match (first, last) {
        (Some(f), Some(l)) => format!("{f} to {l} ({} days)", (l - f).num_days() + 1),
        _ => "none".to_string(),
    };
    let points: usize = trend.series.iter().map(|s| s.points.len()).sum();
    let o = &trend.options;
    let _ = writeln!(
        out,
        "<dt>Dates covered</dt><dd>{covered}</dd>\n\
         <dt>Series</dt><dd>{} series, {points} points (one per {}); rolling mean over {} {}s</dd>\n\
         <dt>Conflicts</dt><dd>{}</dd>\n<dt>Gaps</dt><dd>{}</dd>",
        trend.series.len(),
        o.by.as_str(),
        o.window,
        o.by.as_str(),
        trend.conflicts.len(),
        gaps(trend).len(),
    );
}

/// The table of contents: validation (with `validation`), each report and metric, then
/// conflicts, gaps and skipped reports.
pub fn contents(out: &mut String, trend: &Trend, validation: bool) {
    out.push_str("<nav class=\"toc\" aria-label=\"Contents\">\n<strong>Contents</strong>\n<ul>\n");
    if validation {
        out.push_str("<li><a href=\"#validation\">Validation</a></li>\n");
    }
    // One line per report, its metrics as links: a whole download set has 90 reports and
    // several hundred metrics.
    let mut reports: Vec<(&str, Vec<String>)> = Vec::new();
    for (k, group) in chart::groups(trend).iter().enumerate() {
        let head = group[0];
        let mut link = format!("<a href=\"#m{k}\">{}</a>", escape(&head.metric.name));
        if group.len() > 1 {
            let _ = write!(
                link,
                " <span class=\"muted\">({} series)</span>",
                group.len()
            );
        }
        match reports.iter_mut().find(|(r, _)| *r == head.report) {
            Some((_, links)) => links.push(link),
            None => reports.push((&head.report, vec![link])),
        }
    }
    for (report, links) in reports {
        let _ = writeln!(out, "<li>{}: {}</li>", escape(report), links.join(", "));
    }
    out.push_str(
        "<li><a href=\"#conflicts\">Conflicts</a></li>\n<li><a href=\"#gaps\">Gaps</a></li>\n\
         <li><a href=\"#skipped\">Skipped reports</a></li>\n</ul>\n</nav>\n",
    );
}

/// Every report and metric (chart, then each series), then conflicts, gaps and skipped
/// reports.
pub fn sections(out: &mut String, trend: &Trend) {
    if trend.series.is_empty() {
        out.push_str("<h2>Series</h2>\n<p>No series to trend.</p>\n");
    }
    for (k, group) in chart::groups(trend).iter().enumerate() {
        metric_section(out, trend, k, group);
    }
    conflicts(out, trend);
    gaps_section(out, trend);
    skipped(out, trend);
}

fn metric_section(out: &mut String, trend: &Trend, k: usize, group: &[&Series]) {
    let head = group[0];
    let _ = writeln!(
        out,
        "<section class=\"metric\" id=\"m{k}\" data-report=\"{}\" data-metric=\"{}\">\n\
         <h2>{}: {} <small class=\"muted\">[{}]</small></h2>",
        escape(&head.report),
        escape(&head.metric.name),
        escape(&head.report),
        escape(&head.metric.name),
        head.metric.unit.name(),
    );
    let only = Trend {
        options: trend.options.clone(),
        series: group.iter().map(|s| (*s).clone()).collect(),
        skipped: Vec::new(),
        conflicts: Vec::new(),
    };
    let svg = chart::svg_titled(&only, &head.report);
    // Inline SVG needs neither the XML declaration nor the namespace (HTML gives it).
    let svg = svg
        .split_once("?>\n")
        .map_or(svg.as_str(), |(_, rest)| rest);
    let svg = svg.replacen(" xmlns=\"http://www.w3.org/2000/svg\"", "", 1);
    let _ = writeln!(
        out,
        "<div class=\"chart\" role=\"img\" aria-label=\"Chart of {}: {}\">\n{svg}</div>",
        escape(&head.report),
        escape(&head.metric.name),
    );
    out.push_str("<div class=\"series-grid\">\n");
    for s in group {
        series_block(out, trend, s);
    }
    out.push_str("</div>\n</section>\n");
}

fn series_block(out: &mut String, trend: &Trend, s: &Series) {
    let unit = s.metric.unit;
    let sum = &s.summary;
    let _ = writeln!(
        out,
        "<div class=\"series\" data-name=\"{}\">\n<h3>{} <small class=\"muted\">({} file{})</small></h3>",
        escape(&s.name),
        escape(&s.name),
        s.files,
        if s.files == 1 { "" } else { "s" }
    );
    let at = |e: Option<crate::trend::Extreme>| {
        e.map_or_else(
            || "-".to_string(),
            |e| {
                format!(
                    "{} <small>{}</small>",
                    escape(&value_text(Some(e.value), unit)),
                    e.date
                )
            },
        )
    };
    let range = match (sum.first_date, sum.last_date) {
        (Some(f), Some(l)) => format!("{f} <small>to</small> {l}"),
        _ => "no data in range".to_string(),
    };
    let missing = match sum.days_missing() {
        0 => "none".to_string(),
        n => format!("{n} day{}", if n == 1 { "" } else { "s" }),
    };
    let window = trend.options.window;
    let facts = [
        ("dates", range),
        ("days present", sum.days_present.to_string()),
        ("days missing", missing),
        ("latest", escape(&value_text(sum.latest, unit))),
        ("min", at(sum.min)),
        ("max", at(sum.max)),
        (
            "change",
            format!(
                "{} <small>{window}-day windows</small>",
                escape(&change_text(sum.change, unit))
            ),
        ),
        (
            "slope",
            format!(
                "{} <small>per 30 days</small>",
                escape(&change_text(sum.slope_per_30d, unit))
            ),
        ),
    ];
    out.push_str("<dl class=\"summary\">\n");
    for (name, value) in facts {
        let _ = writeln!(out, "<div><dt>{name}</dt><dd>{value}</dd></div>");
    }
    out.push_str("</dl>\n");
    let _ = writeln!(
        out,
        "<div class=\"scroll\">\n<table class=\"points\" data-series=\"{}\" data-report=\"{}\" data-metric=\"{}\">\n\
         <thead><tr><th data-sort scope=\"col\">{}</th><th data-sort scope=\"col\" class=\"num\">numerator</th>\
         <th data-sort scope=\"col\" class=\"num\">denominator</th><th data-sort scope=\"col\" class=\"num\">value</th>\
         <th data-sort scope=\"col\" class=\"num\">rolling mean</th></tr></thead>\n<tbody>",
        escape(&s.name),
        escape(&s.report),
        escape(&s.metric.name),
        trend.options.by.as_str(),
    );
    for p in &s.points {
        out.push_str("<tr>");
        date_cell(out, p.date);
        count_cell(out, p.numerator);
        count_cell(out, p.denominator);
        value_cell(out, p.value, unit);
        value_cell(out, p.rolling_mean, unit);
        out.push_str("</tr>\n");
    }
    out.push_str("</tbody>\n</table>\n</div>\n</div>\n");
}

fn date_cell(out: &mut String, d: NaiveDate) {
    let text = DateText::new(d);
    let _ = write!(out, "<td data-v=\"{0}\">{0}</td>", text.as_str());
}

fn count_cell(out: &mut String, n: Option<i64>) {
    match n {
        Some(n) => {
            let _ = write!(out, "<td class=\"num\" data-v=\"{n}\">{n}</td>");
        }
        None => out.push_str("<td class=\"num\" data-v=\"\">-</td>"),
    }
}

fn value_cell(out: &mut String, v: Option<f64>, unit: crate::schema::metric::Unit) {
    match v {
        Some(v) => {
            let mut exact = Vec::with_capacity(24);
            push_ratio(&mut exact, v);
            let _ = write!(
                out,
                "<td class=\"num\" data-v=\"{}\">{}</td>",
                String::from_utf8_lossy(&exact),
                escape(&value_text(Some(v), unit))
            );
        }
        None => out.push_str("<td class=\"num\" data-v=\"\">-</td>"),
    }
}

fn conflicts(out: &mut String, trend: &Trend) {
    let _ = writeln!(
        out,
        "<section id=\"conflicts\">\n<h2>Conflicts <small class=\"muted\">({})</small></h2>",
        trend.conflicts.len()
    );
    if trend.conflicts.is_empty() {
        out.push_str(
            "<p>None: no two files with the same refresh date disagree.</p>\n</section>\n",
        );
        return;
    }
    out.push_str(
        "<p>Two files with the same refresh date but different values for a day; the first \
         in input order was kept.</p>\n<div class=\"scroll\">\n<table class=\"conflicts\">\n\
         <thead><tr><th data-sort scope=\"col\">series</th><th data-sort scope=\"col\">report</th>\
         <th data-sort scope=\"col\">report date</th><th data-sort scope=\"col\">refresh date</th>\
         <th data-sort scope=\"col\">kept</th><th data-sort scope=\"col\">other</th></tr></thead>\n<tbody>\n",
    );
    for c in &trend.conflicts {
        let refresh = c.refresh.map(|d| d.to_string()).unwrap_or_default();
        let _ = writeln!(
            out,
            "<tr><td>{}</td><td>{}</td><td>{}</td><td>{refresh}</td><td class=\"mono\">{}</td><td class=\"mono\">{}</td></tr>",
            escape(&c.series),
            escape(&c.report),
            c.date,
            escape(&c.kept.name),
            escape(&c.other.name),
        );
    }
    out.push_str("</tbody>\n</table>\n</div>\n</section>\n");
}

/// The missing ranges of every series, once per (series, report, range): a report's
/// metrics share their days.
fn gaps(trend: &Trend) -> Vec<(&str, &str, NaiveDate, NaiveDate, i64)> {
    let mut out: Vec<(&str, &str, NaiveDate, NaiveDate, i64)> = Vec::new();
    for s in &trend.series {
        for r in &s.summary.missing {
            let row = (s.name.as_str(), s.report.as_str(), r.from, r.to, r.days());
            if !out.contains(&row) {
                out.push(row);
            }
        }
    }
    out
}

fn gaps_section(out: &mut String, trend: &Trend) {
    let gaps = gaps(trend);
    let _ = writeln!(
        out,
        "<section id=\"gaps\">\n<h2>Gaps <small class=\"muted\">({})</small></h2>",
        gaps.len()
    );
    if gaps.is_empty() {
        out.push_str(
            "<p>None: every series has a value for every day between its first and last.</p>\n</section>\n",
        );
        return;
    }
    out.push_str(
        "<p>Days between a series' first and last date that no file covers.</p>\n\
         <div class=\"scroll\">\n<table class=\"gaps\">\n<thead><tr><th data-sort scope=\"col\">series</th>\
         <th data-sort scope=\"col\">report</th><th data-sort scope=\"col\">from</th>\
         <th data-sort scope=\"col\">to</th><th data-sort scope=\"col\" class=\"num\">days</th></tr></thead>\n<tbody>\n",
    );
    for (series, report, from, to, days) in gaps {
        let _ = writeln!(
            out,
            "<tr><td>{}</td><td>{}</td><td>{from}</td><td>{to}</td><td class=\"num\">{days}</td></tr>",
            escape(series),
            escape(report),
        );
    }
    out.push_str("</tbody>\n</table>\n</div>\n</section>\n");
}

fn skipped(out: &mut String, trend: &Trend) {
    let _ = writeln!(
        out,
        "<section id=\"skipped\">\n<h2>Skipped reports <small class=\"muted\">({})</small></h2>",
        trend.skipped.len()
    );
    if trend.skipped.is_empty() {
        out.push_str("<p>None.</p>\n</section>\n");
        return;
    }
    out.push_str("<ul class=\"plain\">\n");
    for s in &trend.skipped {
        let _ = writeln!(
            out,
            "<li><code>{}</code> ({} file{}): {}</li>",
            escape(&s.report),
            s.files,
            if s.files == 1 { "" } else { "s" },
            escape(s.reason.sentence()),
        );
    }
    out.push_str("</ul>\n</section>\n");
}
