//! The SVG line chart of a [`Trend`].
//!
//! Written by hand rather than with a plotting crate: the chart is a few lines, axes and
//! labels, so a small writer gives full control of the markup (one `<path>` per line, with
//! classes a test can count), needs no fonts at build time and adds nothing to the build.
//!
//! Each series is a `<g class="series" data-name="...">` holding exactly two paths: the daily
//! (or bucket) ratio, thin, `class="ratio"`, and the rolling mean, bold, `class="rolling"`.
//! A null ratio or a missing day starts a new subpath, so gaps show as gaps; NaN is never
//! written. Colours repeat after ten series; the legend lists the first twelve and says how
//! many more there are.

use std::fmt::Write as _;

use chrono::{Datelike, Duration, NaiveDate};

use super::{By, Point, Trend};
use crate::record::DateText;

const WIDTH: f64 = 960.0;
const HEIGHT: f64 = 540.0;
const LEFT: f64 = 72.0;
const RIGHT: f64 = WIDTH - 210.0;
const TOP: f64 = 64.0;
const BOTTOM: f64 = HEIGHT - 56.0;
const LEGEND_ENTRIES: usize = 12;

/// Tableau 10: distinct for the usual handful of tenants and readable on white.
const PALETTE: [&str; 10] = [
    "#4e79a7", "#f28e2b", "#e15759", "#76b7b2", "#59a14f", "#edc948", "#b07aa1", "#ff9da7",
    "#9c755f", "#bab0ac",
];

/// The chart as an SVG document.
pub fn svg(trend: &Trend) -> String {
    let by = trend.options.by;
    let mut out = String::with_capacity(16 * 1024);
    let _ = writeln!(
        out,
        r##"<?xml version="1.0" encoding="UTF-8"?>
<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{HEIGHT}" viewBox="0 0 {WIDTH} {HEIGHT}" font-family="sans-serif" font-size="12">
<rect width="100%" height="100%" fill="white"/>"##
    );
    let reports: std::collections::BTreeSet<&str> = trend
        .series
        .iter()
        .map(|s| {
            s.report
                .strip_prefix("office365GroupsActivity")
                .unwrap_or(&s.report)
        })
        .collect();
    let what = reports.into_iter().collect::<Vec<_>>().join(", ");
    let title = if what.is_empty() {
        "Active ratio".to_string()
    } else {
        format!("Active ratio: {what}")
    };
    let unit = match by {
        By::Day => "day",
        By::Week => "week",
        By::Month => "month",
    };
    let _ = writeln!(
        out,
        r##"<text class="title" x="{}" y="26" text-anchor="middle" font-size="18" font-weight="bold">{}</text>
<text x="{}" y="46" text-anchor="middle" fill="#555">thin: ratio per {unit}; bold: rolling mean over {} {unit}s</text>"##,
        (LEFT + RIGHT) / 2.0,
        escape(&title),
        (LEFT + RIGHT) / 2.0,
        trend.options.window,
    );

    let all = || trend.series.iter().flat_map(|s| s.points.iter());
    let dates = all().map(|p| p.date);
    let (Some(first), Some(last)) = (dates.clone().min(), dates.max()) else {
        let _ = writeln!(
            out,
            r##"<text x="{}" y="{}" text-anchor="middle" fill="#555">no data</text>
</svg>"##,
            (LEFT + RIGHT) / 2.0,
            (TOP + BOTTOM) / 2.0
        );
        return out;
    };
    // One day of padding keeps a single date from dividing by zero.
    let (x_lo, x_hi) = if first == last {
        (first - Duration::days(1), last + Duration::days(1))
    } else {
        (first, last)
    };
    let values = all().flat_map(|p| [p.ratio, p.rolling_mean]).flatten();
    let (lo, hi) = values.fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), v| {
        (lo.min(v), hi.max(v))
    });
    let (lo, hi) = if lo.is_finite() { (lo, hi) } else { (0.0, 1.0) };
    let (y_lo, y_hi, y_step) = nice_range(lo, hi);

    let span = (x_hi - x_lo).num_days() as f64;
    let x = |d: NaiveDate| LEFT + (d - x_lo).num_days() as f64 / span * (RIGHT - LEFT);
    let y = |r: f64| BOTTOM - (r - y_lo) / (y_hi - y_lo) * (BOTTOM - TOP);

    // Grid and y axis labels.
    out.push_str("<g class=\"y-axis\" stroke=\"#ddd\">\n");
    let decimals = if y_step < 0.01 { 1 } else { 0 };
    let mut k = 0;
    loop {
        let v = y_lo + f64::from(k) * y_step;
        if v > y_hi + y_step / 2.0 {
            break;
        }
        let yy = y(v);
        let _ = writeln!(
            out,
            r##"<line x1="{LEFT}" y1="{yy:.1}" x2="{RIGHT}" y2="{yy:.1}"/><text x="{}" y="{:.1}" text-anchor="end" stroke="none" fill="#333">{:.*}%</text>"##,
            LEFT - 6.0,
            yy + 4.0,
            decimals,
            v * 100.0
        );
        k += 1;
    }
    out.push_str("</g>\n");
    // X axis ticks.
    out.push_str("<g class=\"x-axis\" stroke=\"#ddd\">\n");
    for (tick, label) in x_ticks(x_lo, x_hi) {
        let xx = x(tick);
        let _ = writeln!(
            out,
            r##"<line x1="{xx:.1}" y1="{TOP}" x2="{xx:.1}" y2="{BOTTOM}"/><text x="{xx:.1}" y="{}" text-anchor="middle" stroke="none" fill="#333">{label}</text>"##,
            BOTTOM + 18.0
        );
    }
    out.push_str("</g>\n");
    let _ = writeln!(
        out,
        r##"<rect x="{LEFT}" y="{TOP}" width="{}" height="{}" fill="none" stroke="#888"/>
<text x="{}" y="{}" text-anchor="middle" fill="#333">report date</text>
<text x="16" y="{}" text-anchor="middle" fill="#333" transform="rotate(-90 16 {})">active ratio</text>"##,
        RIGHT - LEFT,
        BOTTOM - TOP,
        (LEFT + RIGHT) / 2.0,
        HEIGHT - 14.0,
        (TOP + BOTTOM) / 2.0,
        (TOP + BOTTOM) / 2.0,
    );

    // Lines, then the legend on top. With many series the daily lines fade further, so
    // the rolling means stay readable.
    let faint = if trend.series.len() > PALETTE.len() {
        0.25
    } else {
        0.6
    };
    for (i, s) in trend.series.iter().enumerate() {
        let colour = PALETTE[i % PALETTE.len()];
        let _ = writeln!(
            out,
            r##"<g class="series" data-name="{}" fill="none" stroke="{colour}" stroke-linejoin="round" stroke-linecap="round">
<path class="ratio" stroke-width="1.2" stroke-opacity="{faint}" d="{}"/>
<path class="rolling" stroke-width="2.8" d="{}"/>
</g>"##,
            escape(&s.name),
            path(&s.points, by, |p| p.ratio, &x, &y),
            path(&s.points, by, |p| p.rolling_mean, &x, &y),
        );
    }
    out.push_str("<g class=\"legend\">\n");
    for (i, s) in trend.series.iter().take(LEGEND_ENTRIES).enumerate() {
        let colour = PALETTE[i % PALETTE.len()];
        let yy = TOP + 8.0 + 20.0 * i as f64;
        let _ = writeln!(
            out,
            r##"<line x1="{}" y1="{yy}" x2="{}" y2="{yy}" stroke="{colour}" stroke-width="2.8"/><text x="{}" y="{}" fill="#333">{}</text>"##,
            RIGHT + 14.0,
            RIGHT + 38.0,
            RIGHT + 44.0,
            yy + 4.0,
            escape(&ellipsis(&s.name, 24)),
        );
    }
    if trend.series.len() > LEGEND_ENTRIES {
        let _ = writeln!(
            out,
            r##"<text x="{}" y="{}" fill="#555">and {} more</text>"##,
            RIGHT + 14.0,
            TOP + 12.0 + 20.0 * LEGEND_ENTRIES as f64,
            trend.series.len() - LEGEND_ENTRIES
        );
    }
    out.push_str("</g>\n</svg>\n");
    out
}

/// Path data for one line; a null value or a skipped position ends the subpath.
fn path(
    points: &[Point],
    by: By,
    value: impl Fn(&Point) -> Option<f64>,
    x: &impl Fn(NaiveDate) -> f64,
    y: &impl Fn(f64) -> f64,
) -> String {
    let mut d = String::new();
    let mut previous: Option<i64> = None;
    for p in points {
        let ordinal = by.ordinal(p.date);
        match value(p).filter(|v| v.is_finite()) {
            None => previous = None,
            Some(v) => {
                let joined = previous.is_some_and(|o| ordinal - o == 1);
                let command = if joined { 'L' } else { 'M' };
                if !d.is_empty() {
                    d.push(' ');
                }
                let _ = write!(d, "{command}{:.1},{:.1}", x(p.date), y(v));
                previous = Some(ordinal);
            }
        }
    }
    d
}

/// A y range covering `lo..=hi` on a round step, with at most about eight steps.
fn nice_range(lo: f64, hi: f64) -> (f64, f64, f64) {
    const STEPS: [f64; 10] = [0.001, 0.002, 0.005, 0.01, 0.02, 0.025, 0.05, 0.1, 0.2, 0.25];
    for step in STEPS {
        let a = (lo / step).floor() * step;
        let mut b = (hi / step).ceil() * step;
        if b <= a {
            b = a + step;
        }
        if (b - a) / step <= 8.0 + 1e-9 {
            return (a, b, step);
        }
    }
    (0.0, 1.0, 0.25)
}

/// Date ticks: every day, 2 days, week or 2 weeks (Mondays), then month starts.
fn x_ticks(lo: NaiveDate, hi: NaiveDate) -> Vec<(NaiveDate, String)> {
    let days = (hi - lo).num_days();
    let label = |d: NaiveDate| DateText::new(d).as_str().to_string();
    for step in [1, 2, 7, 14] {
        if days / step <= 8 {
            let mut d = if step >= 7 { By::Week.start(lo) } else { lo };
            if d < lo {
                d += Duration::days(7);
            }
            let mut ticks = Vec::new();
            while d <= hi {
                ticks.push((d, label(d)));
                d += Duration::days(step);
            }
            return ticks;
        }
    }
    let months =
        i64::from(hi.year() - lo.year()) * 12 + i64::from(hi.month0()) - i64::from(lo.month0());
    let step = [1, 2, 3, 6, 12, 24, 60]
        .into_iter()
        .find(|s| months / s <= 8)
        .unwrap_or(120);
    let mut ticks = Vec::new();
    let mut m = i64::from(lo.year()) * 12 + i64::from(lo.month0()) + 1;
    m = (m + step - 1) / step * step;
    loop {
        let (year, month0) = (m.div_euclid(12), m.rem_euclid(12));
        let Some(d) = i32::try_from(year)
            .ok()
            .and_then(|y| NaiveDate::from_ymd_opt(y, month0 as u32 + 1, 1))
        else {
            break;
        };
        if d > hi {
            break;
        }
        ticks.push((d, d.format("%Y-%m").to_string()));
        m += step;
    }
    ticks
}

fn ellipsis(s: &str, max: usize) -> String {
    if s.chars().count() <= max {
        s.to_string()
    } else {
        let mut t: String = s.chars().take(max - 1).collect();
        t.push('…');
        t
    }
}

/// Escapes text for XML content and attribute values.
fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            // Control characters are not allowed in XML 1.0.
            c if c.is_control() => out.push(' '),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::merge::tests::{file, group_counts, row};
    use crate::merge::Merge;
    use crate::trend::TrendOptions;

    #[test]
    fn one_ratio_and_one_rolling_path_per_series_with_gaps_as_new_subpaths() {
        let gc = group_counts();
        let mut m = Merge::new();
        for (i, name) in ["a<&>", "b"].iter().enumerate() {
            let rows = [
                row(&gc, 9, 0, Some(10), Some(1), "7"),
                row(&gc, 9, 1, Some(0), Some(0), "7"),
                row(&gc, 9, 2, Some(10), Some(3), "7"),
                row(&gc, 9, 3, Some(10), Some(4), "7"),
            ];
            m.absorb(file(&gc, name, i, &rows, true));
        }
        let t = crate::trend::Trend::compute(m.into_merged(), TrendOptions::default());
        let svg = svg(&t);
        assert_eq!(svg.matches("class=\"ratio\"").count(), 2);
        assert_eq!(svg.matches("class=\"rolling\"").count(), 2);
        assert!(svg.contains("data-name=\"a&lt;&amp;&gt;\""));
        assert!(!svg.contains("NaN"));
        let ratio_d = svg.lines().find(|l| l.contains("class=\"ratio\"")).unwrap();
        // Day 1 has a zero total: the line breaks, so two subpaths.
        assert_eq!(ratio_d.matches('M').count(), 2, "{ratio_d}");
    }

    #[test]
    fn ticks_stay_few_over_long_spans() {
        let lo = NaiveDate::from_ymd_opt(2025, 1, 15).unwrap();
        for days in [0, 3, 20, 60, 200, 800, 4000] {
            let ticks = x_ticks(lo, lo + Duration::days(days));
            assert!(ticks.len() <= 9, "{days}: {}", ticks.len());
            assert!(days < 20 || ticks.len() >= 2, "{days}");
        }
        let (a, b, step) = nice_range(0.351, 0.449);
        assert!(a <= 0.351 && b >= 0.449 && (b - a) / step <= 8.0);
    }
}
