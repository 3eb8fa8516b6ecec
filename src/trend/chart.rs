//! The SVG chart of a [`Trend`]: one panel per report and metric.
//!
//! Written by hand rather than with a plotting crate: the chart is lines, axes and labels,
//! so a small writer gives full control of the markup (one `<path>` per line, with classes
//! a test can count), needs no fonts at build time and adds nothing to the build.
//!
//! Each panel (`<g class="panel" data-report=".." data-metric="..">`) has its own y axis in
//! the metric's unit (percent, count, bytes as KB..TB) and at most [`PER_PANEL`] series,
//! each in a colour of its own with its full name in the legend; a metric followed by more
//! series is drawn as several panels ("1 of 3"), every series drawn, none dropped. All
//! panels share one dated x axis. Each series is a `<g class="series" data-name="...">`
//! holding exactly two paths: the daily (or bucket) value, thin, `class="value"`, and the
//! rolling mean, bold, `class="rolling"`. A null value or a missing day starts a new
//! subpath, so gaps show as gaps; NaN is never written.

use std::fmt::Write as _;

use chrono::{Datelike, Duration, NaiveDate};

use super::render::value_text;
use super::{By, Point, Series, Trend};
use crate::record::DateText;
use crate::schema::metric::Unit;

const PLOT_WIDTH: f64 = 720.0;
const PANEL_HEIGHT: f64 = 300.0;
const LEFT: f64 = 84.0;
const TOP: f64 = 56.0;
const PANEL_TOP: f64 = 40.0;
const PANEL_BOTTOM: f64 = 44.0;
/// Series in one panel: more than eight colours stop being told apart.
pub const PER_PANEL: usize = 8;

/// Tableau 10 without its grey: eight colours distinct on white and on each other.
const PALETTE: [&str; PER_PANEL] = [
    "#4e79a7", "#f28e2b", "#e15759", "#76b7b2", "#59a14f", "#edc948", "#b07aa1", "#9c755f",
];

/// The series of the trend grouped by (report, metric), in the order they first appear:
/// what a panel of the chart (or a section of the HTML page) shows.
pub fn groups(trend: &Trend) -> Vec<Vec<&Series>> {
    let mut groups: Vec<((&str, &str), Vec<&Series>)> = Vec::new();
    for s in &trend.series {
        let key = (s.report.as_str(), s.metric.name.as_str());
        match groups.iter_mut().find(|(k, _)| *k == key) {
            Some((_, list)) => list.push(s),
            None => groups.push((key, vec![s])),
        }
    }
    groups.into_iter().map(|(_, list)| list).collect()
}

/// The panels: [`groups`] cut into groups of at most [`PER_PANEL`]; each with its number
/// and the count of its group's panels.
fn panels(trend: &Trend) -> Vec<(Vec<&Series>, usize, usize)> {
    let mut out = Vec::new();
    for list in groups(trend) {
        let n = list.len().div_ceil(PER_PANEL);
        for (i, chunk) in list.chunks(PER_PANEL).enumerate() {
            out.push((chunk.to_vec(), i + 1, n));
        }
    }
    out
}

/// The chart as an SVG document.
pub fn svg(trend: &Trend) -> String {
    svg_titled(trend, "Trend")
}

/// [`svg`] under another title (the HTML page draws a chart per report and metric).
pub fn svg_titled(trend: &Trend, title: &str) -> String {
    let by = trend.options.by;
    let panels = panels(trend);
    let longest = trend
        .series
        .iter()
        .map(|s| s.name.chars().count())
        .max()
        .unwrap_or(0);
    // The legend holds full names: the picture widens for long ones rather than cut them.
    let legend = (7.0 * longest as f64 + 60.0).max(200.0);
    let right = LEFT + PLOT_WIDTH;
    let width = right + legend;
    let height = TOP + PANEL_HEIGHT * panels.len().max(1) as f64 + 24.0;
    let mut out = String::with_capacity(16 * 1024);
    let _ = writeln!(
        out,
        r##"<?xml version="1.0" encoding="UTF-8"?>
<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" viewBox="0 0 {width} {height}" font-family="sans-serif" font-size="12">
<rect width="100%" height="100%" fill="white"/>"##
    );
    let unit = by.as_str();
    let _ = writeln!(
        out,
        r##"<text class="title" x="{}" y="24" text-anchor="middle" font-size="18" font-weight="bold">{}</text>
<text x="{}" y="44" text-anchor="middle" fill="#555">thin: value per {unit}; bold: rolling mean over {} {unit}s</text>"##,
        (LEFT + right) / 2.0,
        escape(title),
        (LEFT + right) / 2.0,
        trend.options.window,
    );
    let dates = trend
        .series
        .iter()
        .flat_map(|s| s.points.iter().map(|p| p.date));
    let (Some(first), Some(last)) = (dates.clone().min(), dates.max()) else {
        let _ = writeln!(
            out,
            r##"<text x="{}" y="{}" text-anchor="middle" fill="#555">no data</text>
</svg>"##,
            (LEFT + right) / 2.0,
            TOP + PANEL_HEIGHT / 2.0
        );
        return out;
    };
    // One day of padding keeps a single date from dividing by zero.
    let (x_lo, x_hi) = if first == last {
        (first - Duration::days(1), last + Duration::days(1))
    } else {
        (first, last)
    };
    let span = (x_hi - x_lo).num_days() as f64;
    let x = |d: NaiveDate| LEFT + (d - x_lo).num_days() as f64 / span * (right - LEFT);
    for (k, (series, part, parts)) in panels.iter().enumerate() {
        let top = TOP + PANEL_HEIGHT * k as f64 + PANEL_TOP;
        let bottom = TOP + PANEL_HEIGHT * (k + 1) as f64 - PANEL_BOTTOM;
        panel(
            &mut out,
            series,
            (*part, *parts),
            (top, bottom, right),
            (by, &x, (x_lo, x_hi)),
        );
    }
    out.push_str("</svg>\n");
    out
}

/// One panel: its title, y axis in its unit, the shared x axis, lines and legend.
fn panel(
    out: &mut String,
    series: &[&Series],
    (part, parts): (usize, usize),
    (top, bottom, right): (f64, f64, f64),
    (by, x, (x_lo, x_hi)): (By, &dyn Fn(NaiveDate) -> f64, (NaiveDate, NaiveDate)),
) {
    let Some(head) = series.first() else {
        return;
    };
    let unit = head.metric.unit;
    let mut title = format!("{}: {}", head.report, head.metric.name);
    if parts > 1 {
        let _ = write!(title, " ({part} of {parts})");
    }
    let _ = writeln!(
        out,
        r##"<g class="panel" data-report="{}" data-metric="{}" data-unit="{}">
<text class="panel-title" x="{LEFT}" y="{}" font-size="14" font-weight="bold">{}</text>"##,
        escape(&head.report),
        escape(&head.metric.name),
        unit.name(),
        top - 10.0,
        escape(&title),
    );
    let values = series
        .iter()
        .flat_map(|s| s.points.iter())
        .flat_map(|p| [p.value, p.rolling_mean])
        .flatten()
        .filter(|v| v.is_finite());
    let (lo, hi) = values.fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), v| {
        (lo.min(v), hi.max(v))
    });
    let (lo, hi) = if lo.is_finite() { (lo, hi) } else { (0.0, 1.0) };
    // One value (a snapshot series of one download): a band around it, so the axis has
    // labels that differ and the point sits in the middle.
    let (lo, hi) = if hi - lo <= hi.abs().max(lo.abs()) * 1e-9 {
        let pad = match (lo == 0.0, unit) {
            (true, Unit::Percent) => 0.01,
            (true, _) => 1.0,
            (false, _) => lo.abs() * 0.05,
        };
        (lo - pad, hi + pad)
    } else {
        (lo, hi)
    };
    let (y_lo, y_hi, y_step) = nice_range(lo, hi);
    let y = |r: f64| bottom - (r - y_lo) / (y_hi - y_lo) * (bottom - top);
    out.push_str("<g class=\"y-axis\" stroke=\"#ddd\">\n");
    let mut k = 0;
    loop {
        let v = y_lo + f64::from(k) * y_step;
        if v > y_hi + y_step / 2.0 {
            break;
        }
        let yy = y(v);
        let _ = writeln!(
            out,
            r##"<line x1="{LEFT}" y1="{yy:.1}" x2="{right}" y2="{yy:.1}"/><text x="{}" y="{:.1}" text-anchor="end" stroke="none" fill="#333">{}</text>"##,
            LEFT - 6.0,
            yy + 4.0,
            axis_label(v, y_step, unit)
        );
        k += 1;
    }
    out.push_str("</g>\n<g class=\"x-axis\" stroke=\"#ddd\">\n");
    for (tick, label) in x_ticks(x_lo, x_hi) {
        let xx = x(tick);
        let _ = writeln!(
            out,
            r##"<line x1="{xx:.1}" y1="{top}" x2="{xx:.1}" y2="{bottom}"/><text x="{xx:.1}" y="{}" text-anchor="middle" stroke="none" fill="#333">{label}</text>"##,
            bottom + 16.0
        );
    }
    let _ = writeln!(
        out,
        r##"</g>
<rect x="{LEFT}" y="{top}" width="{}" height="{}" fill="none" stroke="#888"/>"##,
        right - LEFT,
        bottom - top,
    );
    for (i, s) in series.iter().enumerate() {
        let colour = PALETTE[i % PALETTE.len()];
        let _ = writeln!(
            out,
            r##"<g class="series" data-name="{}" fill="none" stroke="{colour}" stroke-linejoin="round" stroke-linecap="round">
<path class="value" stroke-width="1.2" stroke-opacity="0.6" d="{}"/>
<path class="rolling" stroke-width="2.8" d="{}"/>
{}</g>"##,
            escape(&s.name),
            path(&s.points, by, |p| p.value, x, &y),
            path(&s.points, by, |p| p.rolling_mean, x, &y),
            lone_points(&s.points, by)
                .iter()
                .map(|&(d, v)| format!(
                    "<circle class=\"point\" cx=\"{:.1}\" cy=\"{:.1}\" r=\"3.5\" fill=\"{colour}\" stroke=\"none\"/>\n",
                    x(d),
                    y(v)
                ))
                .collect::<String>(),
        );
        let yy = top + 8.0 + 18.0 * i as f64;
        let _ = writeln!(
            out,
            r##"<g class="legend"><line x1="{}" y1="{yy}" x2="{}" y2="{yy}" stroke="{colour}" stroke-width="2.8"/><text x="{}" y="{}" fill="#333">{}</text></g>"##,
            right + 14.0,
            right + 38.0,
            right + 44.0,
            yy + 4.0,
            escape(&s.name),
        );
    }
    out.push_str("</g>\n");
}

/// A y-axis label in the panel's unit, with as many decimals as the step needs.
fn axis_label(v: f64, step: f64, unit: Unit) -> String {
    match unit {
        Unit::Percent => {
            let decimals = if step * 100.0 >= 1.0 { 0 } else { 1 };
            format!("{:.*}%", decimals, v * 100.0)
        }
        Unit::Bytes => value_text(Some(v), unit),
        Unit::Count => {
            let a = v.abs();
            if a >= 1e6 {
                format!("{:.1}M", v / 1e6)
            } else if a >= 1e4 {
                format!("{:.0}k", v / 1e3)
            } else if step < 1.0 {
                format!("{v:.1}")
            } else {
                format!("{v:.0}")
            }
        }
    }
}

/// Path data for one line; a null value or a skipped position ends the subpath.
fn path(
    points: &[Point],
    by: By,
    value: impl Fn(&Point) -> Option<f64>,
    x: &dyn Fn(NaiveDate) -> f64,
    y: &dyn Fn(f64) -> f64,
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

/// The points with a value but no neighbour on either side: a line cannot show them, so
/// they are drawn as dots (a snapshot series of one download, a day between two gaps).
fn lone_points(points: &[Point], by: By) -> Vec<(NaiveDate, f64)> {
    let with: Vec<(i64, NaiveDate, f64)> = points
        .iter()
        .filter_map(|p| {
            let v = p.value.filter(|v| v.is_finite())?;
            Some((by.ordinal(p.date), p.date, v))
        })
        .collect();
    (0..with.len())
        .filter(|&i| {
            let before = i > 0 && with[i - 1].0 + 1 == with[i].0;
            let after = i + 1 < with.len() && with[i].0 + 1 == with[i + 1].0;
            !before && !after
        })
        .map(|i| (with[i].1, with[i].2))
        .collect()
}

/// A y range covering `lo..=hi` on a round step (1, 2, 2.5 or 5 times a power of ten),
/// with at most about eight steps.
fn nice_range(lo: f64, hi: f64) -> (f64, f64, f64) {
    let raw = ((hi - lo) / 8.0)
        .max(hi.abs().max(lo.abs()) * 1e-6)
        .max(1e-9);
    let power = 10f64.powf(raw.log10().floor());
    for m in [1.0, 2.0, 2.5, 5.0, 10.0] {
        let step = m * power;
        let a = (lo / step).floor() * step;
        let mut b = (hi / step).ceil() * step;
        if b <= a {
            b = a + step;
        }
        if (b - a) / step <= 8.0 + 1e-9 {
            return (a, b, step);
        }
    }
    let step = 10.0 * power;
    (
        (lo / step).floor() * step,
        (hi / step).ceil() * step + step,
        step,
    )
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
    fn one_value_and_one_rolling_path_per_series_with_gaps_as_new_subpaths() {
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
        assert_eq!(svg.matches("class=\"value\"").count(), 2);
        assert_eq!(svg.matches("class=\"rolling\"").count(), 2);
        assert!(svg.contains("data-name=\"a&lt;&amp;&gt;\""));
        assert!(!svg.contains("NaN"));
        let ratio_d = svg.lines().find(|l| l.contains("class=\"value\"")).unwrap();
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
