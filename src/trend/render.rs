//! Writing a [`Trend`] as CSV, JSON or a table for people.
//!
//! Ratios in CSV and JSON are written in the shortest form that reads back as the same
//! `f64` (Rust's `Display` for `f64`, serde_json's `ryu`): exact, never in exponent form,
//! 15 to 17 significant digits for a typical ratio and fewer only when the value is exactly
//! that short (`0.5`). So every ratio keeps at least 9 significant digits of precision.

use std::fmt::Write as _;
use std::io::{self, Write};

use serde_json::{json, Map, Value};

use super::{By, DateRange, Extreme, Point, Series, Summary, Trend};

/// The CSV header, fixed by the issue and the README.
pub const CSV_HEADER: &str = "series,report_date,total,active,active_ratio,rolling_mean";

/// Writes one row per point, sorted by series then date, nulls as empty cells.
///
/// Fails only when `out` does; a closed pipe surfaces as [`io::ErrorKind::BrokenPipe`].
pub fn write_csv(trend: &Trend, out: &mut dyn Write) -> io::Result<()> {
    writeln!(out, "{CSV_HEADER}")?;
    let mut line = String::with_capacity(96);
    for series in &trend.series {
        let name = csv_field(&series.name);
        for p in &series.points {
            line.clear();
            let _ = write!(line, "{name},{}", p.date.format("%Y-%m-%d"));
            for n in [p.total, p.active] {
                line.push(',');
                if let Some(n) = n {
                    let _ = write!(line, "{n}");
                }
            }
            for r in [p.ratio, p.rolling_mean] {
                line.push(',');
                if let Some(r) = r {
                    let _ = write!(line, "{r}");
                }
            }
            line.push('\n');
            out.write_all(line.as_bytes())?;
        }
    }
    out.flush()
}

/// Quotes a CSV field when it holds a comma, quote or line break (RFC 4180).
fn csv_field(s: &str) -> String {
    if s.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s.to_string()
    }
}

/// The trend as one JSON document: `{"options", "series", "skipped", "conflicts"}`.
pub fn to_json(trend: &Trend) -> Value {
    let o = &trend.options;
    json!({
        "options": {
            "window": o.window,
            "by": o.by.as_str(),
            "since": o.since.map(date),
            "until": o.until.map(date),
        },
        "series": trend.series.iter().map(series_json).collect::<Vec<_>>(),
        "skipped": trend.skipped.iter().map(|s| json!({
            "report": s.report,
            "files": s.files,
            "reason": "the report's schema names no active ratio",
        })).collect::<Vec<_>>(),
        "conflicts": trend.conflicts.iter().map(|c| json!({
            "series": c.series,
            "report": c.report,
            "report_date": date(c.date),
            "refresh_date": c.refresh.map(date),
            "kept": &*c.kept.name,
            "other": &*c.other.name,
        })).collect::<Vec<_>>(),
    })
}

/// Writes [`to_json`] pretty-printed, with a final line break.
pub fn write_json(trend: &Trend, out: &mut dyn Write) -> io::Result<()> {
    serde_json::to_writer_pretty(&mut *out, &to_json(trend))?;
    out.write_all(b"\n")?;
    out.flush()
}

fn date(d: chrono::NaiveDate) -> String {
    d.format("%Y-%m-%d").to_string()
}

fn series_json(s: &Series) -> Value {
    let points: Vec<Value> = s.points.iter().map(point_json).collect();
    json!({
        "name": s.name,
        "report": s.report,
        "files": s.files,
        "summary": summary_json(&s.summary),
        "points": points,
    })
}

fn point_json(p: &Point) -> Value {
    json!({
        "report_date": date(p.date),
        "total": p.total,
        "active": p.active,
        "active_ratio": p.ratio,
        "rolling_mean": p.rolling_mean,
    })
}

fn summary_json(s: &Summary) -> Value {
    let extreme = |e: &Option<Extreme>| {
        e.map(|e| json!({"ratio": e.ratio, "date": date(e.date)}))
            .unwrap_or(Value::Null)
    };
    let mut m = Map::new();
    m.insert("first_date".into(), json!(s.first_date.map(date)));
    m.insert("last_date".into(), json!(s.last_date.map(date)));
    m.insert("days_present".into(), json!(s.days_present));
    m.insert(
        "missing".into(),
        s.missing
            .iter()
            .map(|r| json!({"from": date(r.from), "to": date(r.to)}))
            .collect(),
    );
    m.insert("latest_ratio".into(), json!(s.latest_ratio));
    m.insert("min".into(), extreme(&s.min));
    m.insert("max".into(), extreme(&s.max));
    m.insert("change_pp".into(), json!(s.change_pp));
    m.insert("slope_pp_per_30d".into(), json!(s.slope_pp_per_30d));
    Value::Object(m)
}

/// The sparkline's width in characters: fits 80 columns with its indent.
const SPARK_WIDTH: usize = 72;
const BARS: [char; 8] = ['▁', '▂', '▃', '▄', '▅', '▆', '▇', '█'];

/// The human table: per series a summary, a sparkline of the ratio over the last
/// [`SPARK_WIDTH`] positions (a space for a missing or null one), then the last points.
pub fn table(trend: &Trend) -> String {
    let mut out = String::new();
    let by = trend.options.by;
    for (i, s) in trend.series.iter().enumerate() {
        if i > 0 {
            out.push('\n');
        }
        series_table(&mut out, s, by, trend.options.window);
    }
    if trend.series.is_empty() {
        out.push_str("no series to trend\n");
    }
    for sk in &trend.skipped {
        let _ = writeln!(
            out,
            "skipped {} ({} files): no active ratio in its schema",
            sk.report, sk.files
        );
    }
    out
}

fn pct(r: Option<f64>) -> String {
    r.map_or_else(|| "-".into(), |r| format!("{:.2}%", r * 100.0))
}

fn pp(v: Option<f64>) -> String {
    v.map_or_else(|| "-".into(), |v| format!("{v:+.2} pp"))
}

fn series_table(out: &mut String, s: &Series, by: By, window: u32) {
    let sum = &s.summary;
    let short = s
        .report
        .strip_prefix("office365GroupsActivity")
        .unwrap_or(&s.report);
    let _ = writeln!(out, "{}  ({short}, {} files)", s.name, s.files);
    let (Some(first), Some(last)) = (sum.first_date, sum.last_date) else {
        out.push_str("  no data in range\n");
        return;
    };
    let missing = match sum.days_missing() {
        0 => "none missing".to_string(),
        n => format!("{n} missing: {}", ranges(&sum.missing)),
    };
    let _ = writeln!(
        out,
        "  {first} .. {last}  {} days, {missing}",
        sum.days_present
    );
    let at = |e: Option<Extreme>| {
        e.map_or_else(
            || "-".into(),
            |e| format!("{} ({})", pct(Some(e.ratio)), e.date),
        )
    };
    let _ = writeln!(
        out,
        "  latest {}  min {}  max {}",
        pct(sum.latest_ratio),
        at(sum.min),
        at(sum.max)
    );
    let _ = writeln!(
        out,
        "  change {} ({window}-day windows)  slope {} per 30 days",
        pp(sum.change_pp),
        pp(sum.slope_pp_per_30d)
    );
    let _ = writeln!(out, "  {}", sparkline(&s.points, by, SPARK_WIDTH));
    let shown = match by {
        By::Day => 14,
        By::Week => 8,
        By::Month => 6,
    };
    let _ = writeln!(
        out,
        "  {:<10}  {:>12}  {:>12}  {:>8}  {:>8}",
        by.as_str(),
        "total",
        "active",
        "ratio",
        "rolling"
    );
    let count = |n: Option<i64>| n.map_or_else(|| "-".into(), |n| n.to_string());
    for p in &s.points[s.points.len().saturating_sub(shown)..] {
        let _ = writeln!(
            out,
            "  {}  {:>12}  {:>12}  {:>8}  {:>8}",
            p.date,
            count(p.total),
            count(p.active),
            pct(p.ratio),
            pct(p.rolling_mean)
        );
    }
}

/// Up to three ranges, then how many more.
fn ranges(missing: &[DateRange]) -> String {
    let mut parts: Vec<String> = missing
        .iter()
        .take(3)
        .map(|r| {
            if r.from == r.to {
                r.from.to_string()
            } else {
                format!("{}..{}", r.from, r.to)
            }
        })
        .collect();
    if missing.len() > 3 {
        parts.push(format!("and {} more", missing.len() - 3));
    }
    parts.join(", ")
}

/// The ratio over the last `width` positions (days, weeks or months) ending at the last
/// point, scaled between the lowest and highest ratio shown; a space where there is none.
pub fn sparkline(points: &[Point], by: By, width: usize) -> String {
    let Some(last) = points.last() else {
        return String::new();
    };
    let end = by.ordinal(last.date);
    let first = points.first().map_or(end, |p| by.ordinal(p.date));
    let start = first.max(end - width as i64 + 1);
    let mut slots: Vec<Option<f64>> = vec![None; usize::try_from(end - start + 1).unwrap_or(0)];
    for p in points {
        let o = by.ordinal(p.date);
        if o >= start {
            if let Some(slot) = usize::try_from(o - start)
                .ok()
                .and_then(|i| slots.get_mut(i))
            {
                *slot = p.ratio;
            }
        }
    }
    let (lo, hi) = slots
        .iter()
        .flatten()
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), &r| {
            (lo.min(r), hi.max(r))
        });
    slots
        .iter()
        .map(|r| match r {
            None => ' ',
            Some(_) if hi <= lo => BARS[3],
            Some(r) => {
                let level = ((r - lo) / (hi - lo) * 7.0).round() as usize;
                BARS[level.min(7)]
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::merge::tests::{file, group_counts, row};
    use crate::trend::TrendOptions;

    fn sample() -> Trend {
        let gc = group_counts();
        let rows = [
            row(&gc, 9, 0, Some(3), Some(1), "7"),
            row(&gc, 9, 1, Some(0), Some(0), "7"),
            row(&gc, 9, 2, Some(4), None, "7"),
            row(&gc, 9, 4, Some(8), Some(2), "7"),
        ];
        Trend::compute(
            file(&gc, "ten,ant", 0, &rows, true).into_merged(),
            TrendOptions {
                window: 2,
                ..TrendOptions::default()
            },
        )
    }

    #[test]
    fn csv_has_empty_cells_for_nulls_and_round_trip_ratios() {
        let mut out = Vec::new();
        write_csv(&sample(), &mut out).unwrap();
        let text = String::from_utf8(out).unwrap();
        assert_eq!(
            text,
            "series,report_date,total,active,active_ratio,rolling_mean\n\
             \"ten,ant\",2026-01-01,3,1,0.3333333333333333,0.3333333333333333\n\
             \"ten,ant\",2026-01-02,0,0,,0.3333333333333333\n\
             \"ten,ant\",2026-01-03,4,,,\n\
             \"ten,ant\",2026-01-05,8,2,0.25,0.25\n"
        );
        let ratio: f64 = "0.3333333333333333".parse().unwrap();
        assert_eq!(ratio, 1.0 / 3.0);
    }

    #[test]
    fn json_has_series_summary_points_and_nulls() {
        let v = to_json(&sample());
        let s = &v["series"][0];
        assert_eq!(s["name"], "ten,ant");
        assert_eq!(s["report"], "office365GroupsActivityGroupCounts");
        assert_eq!(s["points"][1]["active_ratio"], Value::Null);
        assert_eq!(s["points"][2]["active"], Value::Null);
        assert_eq!(
            s["summary"]["missing"],
            json!([{"from": "2026-01-04", "to": "2026-01-04"}])
        );
        assert_eq!(
            s["summary"]["min"],
            json!({"ratio": 0.25, "date": "2026-01-05"})
        );
        assert_eq!(v["skipped"], json!([]));
    }

    #[test]
    fn table_fits_80_columns_and_shows_gaps_in_the_sparkline() {
        let t = table(&sample());
        for line in t.lines() {
            assert!(line.chars().count() <= 80, "{line}");
        }
        assert!(t.contains("1 missing: 2026-01-04"), "{t}");
        let spark = sparkline(&sample().series[0].points, By::Day, 72);
        assert_eq!(spark, "█   ▁");
    }
}
