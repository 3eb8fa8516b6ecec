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
use crate::record::DateText;
use crate::schema::metric::Unit;
use crate::write::{write_table, Compression};

/// The CSV header, fixed by the README: one tidy row per series, metric and date.
pub const CSV_HEADER: &str = "series,report,metric,date,numerator,denominator,value,rolling_mean";

/// Writes one row per point, sorted by series, metric, then date, nulls as empty cells.
///
/// Fails only when `out` does; a closed pipe surfaces as [`io::ErrorKind::BrokenPipe`].
pub fn write_csv(trend: &Trend, out: &mut dyn Write) -> io::Result<()> {
    writeln!(out, "{CSV_HEADER}")?;
    // Rows are built as bytes and handed over in blocks: a 2-million-point series is one
    // pass of appends, no `fmt` machinery and one write per block rather than per row.
    let mut block: Vec<u8> = Vec::with_capacity(BLOCK + 256);
    for series in &trend.series {
        let prefix = format!(
            "{},{},{},",
            csv_field(&series.name),
            csv_field(&series.report),
            csv_field(&series.metric.name)
        );
        for p in &series.points {
            block.extend_from_slice(prefix.as_bytes());
            block.extend_from_slice(DateText::new(p.date).as_bytes());
            for n in [p.numerator, p.denominator] {
                block.push(b',');
                if let Some(n) = n {
                    block.extend_from_slice(itoa::Buffer::new().format(n).as_bytes());
                }
            }
            for r in [p.value, p.rolling_mean] {
                block.push(b',');
                if let Some(r) = r {
                    push_ratio(&mut block, r);
                }
            }
            block.push(b'\n');
            if block.len() >= BLOCK {
                out.write_all(&block)?;
                block.clear();
            }
        }
    }
    out.write_all(&block)?;
    out.flush()
}

/// How many bytes of CSV rows are collected before they are written.
const BLOCK: usize = 64 << 10;

/// Appends `value` as Rust's `Display` for `f64` writes it: the shortest digits that read
/// back as the same value, never an exponent. `ryu` finds the same digits much faster, with
/// three differences handled here: it writes `1.0` for `1` (trimmed), an exponent below
/// 1e-5 and from 1e16 on (left to `Display`), and when two shortest texts are equally near
/// the value it picks the even last digit where `Display` rounds up (`65537 / 131072` is
/// `0.5000076293945313` for `Display`, `...312` for ryu). Such a tie needs a value whose
/// exact decimal expansion is at most 18 digits long, which from 1e-5 up makes it a multiple
/// of 2^-23; those values (and only few ratios are) go to `Display` too.
pub fn push_ratio(out: &mut Vec<u8>, value: f64) {
    // Scaling by a power of two is exact, so `fract` tells exactly whether the value is a
    // multiple of 2^-24.
    if value.is_finite() && (value * 16_777_216.0).fract() != 0.0 {
        let mut buffer = ryu::Buffer::new();
        let text = buffer.format_finite(value);
        if !text.contains('e') {
            let text = text.strip_suffix(".0").unwrap_or(text);
            out.extend_from_slice(text.as_bytes());
            return;
        }
    }
    let _ = write!(out, "{value}");
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
        "metrics": o.metrics,
        "dimension": o.dimension,
        "series": trend.series.iter().map(series_json).collect::<Vec<_>>(),
        "skipped": trend.skipped.iter().map(|s| json!({
            "report": s.report,
            "files": s.files,
            "reason": s.reason.sentence(),
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

/// The rows of [`write_csv`] as the bytes of one Parquet file, typed: `series`, `report`,
/// `metric` UTF8, `date` DATE32, `numerator` and `denominator` INT64, `value` and
/// `rolling_mean` DOUBLE, nulls as nulls. Fails only if the encoder does.
pub fn parquet(trend: &Trend, compression: Compression) -> io::Result<Vec<u8>> {
    use arrow_array::builder::{Date32Builder, Float64Builder, Int64Builder, StringBuilder};
    use arrow_array::ArrayRef;
    use arrow_schema::{DataType, Field, Schema};
    use chrono::Datelike;
    use std::sync::Arc;

    let mut text = [
        StringBuilder::new(),
        StringBuilder::new(),
        StringBuilder::new(),
    ];
    let mut dates = Date32Builder::new();
    let mut counts = [Int64Builder::new(), Int64Builder::new()];
    let mut ratios = [Float64Builder::new(), Float64Builder::new()];
    // Days from 0001-01-01 to 1970-01-01, where DATE32 counts from.
    const EPOCH: i32 = 719_163;
    for series in &trend.series {
        for p in &series.points {
            text[0].append_value(&series.name);
            text[1].append_value(&series.report);
            text[2].append_value(&series.metric.name);
            dates.append_value(p.date.num_days_from_ce() - EPOCH);
            counts[0].append_option(p.numerator);
            counts[1].append_option(p.denominator);
            ratios[0].append_option(p.value);
            ratios[1].append_option(p.rolling_mean);
        }
    }
    let names: Vec<&str> = CSV_HEADER.split(',').collect();
    let types = [
        (DataType::Utf8, false),
        (DataType::Utf8, false),
        (DataType::Utf8, false),
        (DataType::Date32, false),
        (DataType::Int64, true),
        (DataType::Int64, true),
        (DataType::Float64, true),
        (DataType::Float64, true),
    ];
    let schema = Arc::new(Schema::new(
        names
            .iter()
            .zip(types)
            .map(|(name, (kind, nullable))| Field::new(*name, kind, nullable))
            .collect::<Vec<_>>(),
    ));
    let [series, report, metric] = &mut text;
    let [numerator, denominator] = &mut counts;
    let [value, rolling] = &mut ratios;
    let columns: Vec<ArrayRef> = vec![
        Arc::new(series.finish()),
        Arc::new(report.finish()),
        Arc::new(metric.finish()),
        Arc::new(dates.finish()),
        Arc::new(numerator.finish()),
        Arc::new(denominator.finish()),
        Arc::new(value.finish()),
        Arc::new(rolling.finish()),
    ];
    write_table(schema, columns, compression)
}

/// Writes [`to_json`] pretty-printed, with a final line break.
pub fn write_json(trend: &Trend, out: &mut dyn Write) -> io::Result<()> {
    serde_json::to_writer_pretty(&mut *out, &to_json(trend))?;
    out.write_all(b"\n")?;
    out.flush()
}

fn date(d: chrono::NaiveDate) -> String {
    DateText::new(d).as_str().to_string()
}

fn series_json(s: &Series) -> Value {
    let points: Vec<Value> = s.points.iter().map(point_json).collect();
    json!({
        "name": s.name,
        "report": s.report,
        "metric": {
            "name": s.metric.name,
            "numerator": s.metric.numerator,
            "denominator": s.metric.denominator,
            "unit": s.metric.unit.name(),
        },
        "files": s.files,
        "summary": summary_json(&s.summary),
        "points": points,
    })
}

fn point_json(p: &Point) -> Value {
    json!({
        "date": date(p.date),
        "numerator": p.numerator,
        "denominator": p.denominator,
        "value": p.value,
        "rolling_mean": p.rolling_mean,
    })
}

fn summary_json(s: &Summary) -> Value {
    let extreme = |e: &Option<Extreme>| {
        e.map(|e| json!({"value": e.value, "date": date(e.date)}))
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
    m.insert("latest".into(), json!(s.latest));
    m.insert("min".into(), extreme(&s.min));
    m.insert("max".into(), extreme(&s.max));
    m.insert("change".into(), json!(s.change));
    m.insert("slope_per_30d".into(), json!(s.slope_per_30d));
    Value::Object(m)
}

/// The sparkline's width in characters: fits 80 columns with its indent.
const SPARK_WIDTH: usize = 72;
const BARS: [char; 8] = ['▁', '▂', '▃', '▄', '▅', '▆', '▇', '█'];

/// The human table, grouped by series, then metric: per metric a summary, a sparkline of
/// its values over the last `SPARK_WIDTH` positions (a space for a missing or null one),
/// then the last points.
pub fn table(trend: &Trend) -> String {
    let mut out = String::new();
    let by = trend.options.by;
    let mut previous: Option<(&str, &str)> = None;
    for s in &trend.series {
        if previous != Some((&s.name, &s.report)) {
            if previous.is_some() {
                out.push('\n');
            }
            let _ = writeln!(out, "{}  ({}, {} files)", s.name, s.report, s.files);
            previous = Some((&s.name, &s.report));
        }
        series_table(&mut out, s, by, trend.options.window);
    }
    if trend.series.is_empty() {
        out.push_str("no series to trend\n");
    }
    for sk in &trend.skipped {
        let _ = writeln!(
            out,
            "skipped {} ({} files): {}",
            sk.report,
            sk.files,
            sk.reason.text()
        );
    }
    out
}

/// A value in its unit: a percentage, a count (two decimals only when not whole), or
/// bytes in the largest unit that keeps it at least 1 (KB = 1000 bytes, as Graph's
/// admin center counts).
pub fn value_text(v: Option<f64>, unit: Unit) -> String {
    let Some(v) = v else {
        return "-".into();
    };
    match unit {
        Unit::Percent => format!("{:.2}%", v * 100.0),
        Unit::Count if v.fract() == 0.0 && v.abs() < 1e15 => format!("{v:.0}"),
        Unit::Count => format!("{v:.2}"),
        Unit::Bytes => {
            let mut scaled = v;
            let mut name = "B";
            for next in ["KB", "MB", "GB", "TB", "PB"] {
                if scaled.abs() < 1000.0 {
                    break;
                }
                scaled /= 1000.0;
                name = next;
            }
            if name == "B" {
                format!("{scaled:.0} B")
            } else {
                format!("{scaled:.2} {name}")
            }
        }
    }
}

/// A change in the unit's terms: percentage points for a ratio, signed counts or bytes.
pub fn change_text(v: Option<f64>, unit: Unit) -> String {
    match (v, unit) {
        (None, _) => "-".into(),
        (Some(v), Unit::Percent) => format!("{v:+.2} pp"),
        (Some(v), unit) => {
            let text = value_text(Some(v.abs()), unit);
            format!("{}{text}", if v < 0.0 { "-" } else { "+" })
        }
    }
}

fn series_table(out: &mut String, s: &Series, by: By, window: u32) {
    let sum = &s.summary;
    let unit = s.metric.unit;
    let _ = writeln!(out, "  {}  [{}]", s.metric.name, unit.name());
    let (Some(first), Some(last)) = (sum.first_date, sum.last_date) else {
        out.push_str("    no data in range\n");
        return;
    };
    let missing = match sum.days_missing() {
        0 => "none missing".to_string(),
        n => format!("{n} missing: {}", ranges(&sum.missing)),
    };
    let _ = writeln!(
        out,
        "    {first} .. {last}  {} days, {missing}",
        sum.days_present
    );
    let at = |e: Option<Extreme>| {
        e.map_or_else(
            || "-".into(),
            |e| format!("{} ({})", value_text(Some(e.value), unit), e.date),
        )
    };
    let _ = writeln!(
        out,
        "    latest {}  min {}  max {}",
        value_text(sum.latest, unit),
        at(sum.min),
        at(sum.max)
    );
    let _ = writeln!(
        out,
        "    change {} ({window}-day windows)  slope {} per 30 days",
        change_text(sum.change, unit),
        change_text(sum.slope_per_30d, unit)
    );
    let _ = writeln!(out, "    {}", sparkline(&s.points, by, SPARK_WIDTH));
    let shown = match by {
        By::Day => 14,
        By::Week => 8,
        By::Month => 6,
    };
    let _ = writeln!(
        out,
        "    {:<10}  {:>12}  {:>12}  {:>10}  {:>10}",
        by.as_str(),
        "numerator",
        "denominator",
        "value",
        "rolling"
    );
    let count = |n: Option<i64>| n.map_or_else(|| "-".into(), |n| n.to_string());
    for p in &s.points[s.points.len().saturating_sub(shown)..] {
        let _ = writeln!(
            out,
            "    {}  {:>12}  {:>12}  {:>10}  {:>10}",
            p.date,
            count(p.numerator),
            count(p.denominator),
            value_text(p.value, unit),
            value_text(p.rolling_mean, unit)
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
                *slot = p.value;
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
    use proptest::prelude::*;

    fn ratio_text(value: f64) -> String {
        let mut out = Vec::new();
        push_ratio(&mut out, value);
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn ratio_text_is_display_at_the_edges() {
        for value in [
            0.0,
            -0.0,
            1.0,
            0.5,
            0.1,
            1e-5,
            9.99e-6,
            1e-7,
            1e15,
            1e16,
            123456.0,
            f64::MIN_POSITIVE,
            f64::MAX,
            2.0 / 3.0,
            1.0 / 7.0,
            // Ties between two shortest texts: Display rounds up, ryu to even.
            65537.0 / 131072.0,
            7179133913673698.0 / 8.0,
        ] {
            assert_eq!(ratio_text(value), value.to_string(), "{value:e}");
        }
        assert!(!ratio_text(1e-7).contains('e'));
        // Every count ratio with a power-of-two total up to 2^24, where ties live.
        for k in 1..=24 {
            let total = 1i64 << k;
            for active in (1..total).step_by((total as usize / 4096).max(1)) {
                let value = active as f64 / total as f64;
                assert_eq!(ratio_text(value), value.to_string(), "{active}/{total}");
            }
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(20_000))]
        /// Any ratio of two counts, and any finite f64 at all.
        #[test]
        fn ratio_text_is_display(
            active in 0i64..=i64::MAX,
            total in 1i64..=i64::MAX,
            bits in any::<u64>(),
        ) {
            let ratio = active as f64 / total as f64;
            prop_assert_eq!(ratio_text(ratio), ratio.to_string());
            let any = f64::from_bits(bits);
            if any.is_finite() {
                prop_assert_eq!(ratio_text(any), any.to_string());
            }
        }
    }

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
            "series,report,metric,date,numerator,denominator,value,rolling_mean\n\
             \"ten,ant\",office365GroupsActivityGroupCounts,Active / Total,2026-01-01,1,3,0.3333333333333333,0.3333333333333333\n\
             \"ten,ant\",office365GroupsActivityGroupCounts,Active / Total,2026-01-02,0,0,,0.3333333333333333\n\
             \"ten,ant\",office365GroupsActivityGroupCounts,Active / Total,2026-01-03,,4,,\n\
             \"ten,ant\",office365GroupsActivityGroupCounts,Active / Total,2026-01-05,2,8,0.25,0.25\n"
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
        assert_eq!(s["points"][1]["value"], Value::Null);
        assert_eq!(s["points"][2]["numerator"], Value::Null);
        assert_eq!(
            s["metric"],
            json!({"name": "Active / Total", "numerator": "Active", "denominator": "Total", "unit": "percent"})
        );
        assert_eq!(
            s["summary"]["missing"],
            json!([{"from": "2026-01-04", "to": "2026-01-04"}])
        );
        assert_eq!(
            s["summary"]["min"],
            json!({"value": 0.25, "date": "2026-01-05"})
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
