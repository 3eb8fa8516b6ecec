//! Active-ratio trends: merged daily records become points with a ratio and a rolling mean,
//! optionally bucketed by week or month, and a summary per series.
//!
//! Definitions (the README repeats them):
//! - `active_ratio = active / total`, null when either count is null or `total` is 0.
//! - `rolling_mean` at a point is the mean of the non-null ratios of the points whose position
//!   lies in the last `window` positions, the point's own included: calendar days by default,
//!   weeks with [`By::Week`], months with [`By::Month`]. Missing positions simply do not count.
//! - `--since`/`--until` cut the daily records before anything is computed, so the first
//!   rolling means of a cut run look back over fewer days, and the summary covers the cut only.
//! - The summary is always computed from daily points, whatever the bucketing.
//! - A *full window* is `window` consecutive calendar days that all have a non-null ratio.
//!   `change_pp` is the mean ratio of the last full window minus that of the first, in
//!   percentage points; null unless there are at least two full windows (they may overlap).
//! - `slope_pp_per_30d` is the least-squares slope of the non-null daily ratios over the day
//!   number, times 30 days, in percentage points; null with fewer than two ratios.
//! - A bucket's total and active are the sums over its days that have both counts, so its
//!   ratio is `sum(active) / sum(total)`; null when no day has both (or a sum overflows).

pub mod chart;
pub mod gather;
pub mod render;
pub mod snapshot;

use std::collections::BTreeMap;

use chrono::{Datelike, NaiveDate};

use crate::merge::{Conflict, Merged, MergedSeries};
use crate::record::Cell;
use crate::schema::metric::{metric_columns, Metric, MetricError, Term, Unit};
use crate::schema::Report;

/// How points are bucketed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum By {
    /// One point per report date.
    #[default]
    Day,
    /// One point per ISO week (Monday to Sunday), dated by its Monday.
    Week,
    /// One point per calendar month, dated by its first day.
    Month,
}

impl By {
    /// The first day of the bucket holding `date`.
    pub fn start(self, date: NaiveDate) -> NaiveDate {
        match self {
            By::Day => date,
            By::Week => {
                date - chrono::Duration::days(i64::from(date.weekday().num_days_from_monday()))
            }
            By::Month => date.with_day(1).unwrap_or(date),
        }
    }

    /// The bucket's position on a line of consecutive buckets: consecutive buckets differ
    /// by exactly one, so gaps and windows are arithmetic.
    pub fn ordinal(self, date: NaiveDate) -> i64 {
        match self {
            By::Day => i64::from(date.num_days_from_ce()),
            By::Week => i64::from(self.start(date).num_days_from_ce()).div_euclid(7),
            By::Month => i64::from(date.year()) * 12 + i64::from(date.month0()),
        }
    }

    /// The word used in output (`day`, `week`, `month`).
    pub fn as_str(self) -> &'static str {
        match self {
            By::Day => "day",
            By::Week => "week",
            By::Month => "month",
        }
    }
}

/// What to compute, resolved from the command line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TrendOptions {
    /// Rolling-mean window in points (days, weeks or months); at least 1.
    pub window: u32,
    /// Bucketing of the points.
    pub by: By,
    /// First report date kept, inclusive.
    pub since: Option<NaiveDate>,
    /// Last report date kept, inclusive.
    pub until: Option<NaiveDate>,
    /// `--metric` expressions; none: each report's own metrics (its schema's).
    pub metrics: Vec<String>,
    /// `--dimension`: of a report with a dimension, the series of this value only.
    pub dimension: Option<String>,
}

impl Default for TrendOptions {
    fn default() -> TrendOptions {
        TrendOptions {
            window: 7,
            by: By::Day,
            since: None,
            until: None,
            metrics: Vec::new(),
            dimension: None,
        }
    }
}

impl TrendOptions {
    /// The metrics followed in `report`: those of `--metric` that fit it, or its schema's.
    /// A report summarised from a detail report (see [`snapshot`]) carries the run's own.
    pub fn metrics_of(&self, report: &Report) -> Vec<Metric> {
        if self.metrics.is_empty() || report.summary {
            return report.metrics.clone();
        }
        self.metrics
            .iter()
            .filter_map(|m| Metric::parse(m, report).ok())
            .collect()
    }
}

/// One point of a series: a day, or a bucket dated by its first day.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Point {
    /// The report date (the bucket's first day when bucketed).
    pub date: NaiveDate,
    /// The numerator's value (a plain count's value), if known.
    pub numerator: Option<i64>,
    /// The denominator's value, if the metric is a ratio and it is known; in a bucket of a
    /// plain count, the number of days that had a value.
    pub denominator: Option<i64>,
    /// The metric: `numerator / denominator` for a ratio (null for a zero denominator), the
    /// count itself, or a bucket's mean count per day.
    pub value: Option<f64>,
    /// The mean of the non-null values over the window ending here.
    pub rolling_mean: Option<f64>,
}

/// Consecutive calendar days, both ends included.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DateRange {
    /// The first day.
    pub from: NaiveDate,
    /// The last day.
    pub to: NaiveDate,
}

impl DateRange {
    /// The number of days in the range.
    pub fn days(&self) -> i64 {
        (self.to - self.from).num_days() + 1
    }
}

/// A value and the day it was seen.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Extreme {
    /// The metric's value (a ratio from 0 to 1, or a count).
    pub value: f64,
    /// The report date.
    pub date: NaiveDate,
}

/// The figures of one series, from its daily points.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Summary {
    /// The first report date present.
    pub first_date: Option<NaiveDate>,
    /// The last report date present.
    pub last_date: Option<NaiveDate>,
    /// The number of report dates present (with or without counts).
    pub days_present: usize,
    /// Calendar days between the first and last date that no file covered.
    pub missing: Vec<DateRange>,
    /// The newest non-null daily value.
    pub latest: Option<f64>,
    /// The lowest daily value (the earliest day on ties).
    pub min: Option<Extreme>,
    /// The highest daily value (the earliest day on ties).
    pub max: Option<Extreme>,
    /// Last full window's mean minus the first's: percentage points for a ratio, the
    /// metric's unit for a count.
    pub change: Option<f64>,
    /// Least-squares slope of the daily values per 30 days, in the same unit as `change`.
    pub slope_per_30d: Option<f64>,
}

impl Summary {
    /// The number of missing calendar days.
    pub fn days_missing(&self) -> i64 {
        self.missing.iter().map(DateRange::days).sum()
    }
}

/// What a series follows, as outputs describe it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MetricInfo {
    /// The metric's name, its expression (`Active / Total`).
    pub name: String,
    /// The numerator's expression.
    pub numerator: String,
    /// The denominator's expression, for a ratio.
    pub denominator: Option<String>,
    /// What the values are measured in.
    pub unit: Unit,
}

/// One trended series: one metric of one report kind, for one group of files.
#[derive(Debug, Clone)]
pub struct Series {
    /// The series name: the folder (`tenant-0001`), or the report's short name when not
    /// grouping; suffixed with `:<report>` when a folder holds several trended reports, and
    /// with `/Column=value` per dimension value (and the period of a snapshot report).
    pub name: String,
    /// The report's type name.
    pub report: String,
    /// The metric followed.
    pub metric: MetricInfo,
    /// The number of valid files that fed the series.
    pub files: u64,
    /// Figures over the daily points.
    pub summary: Summary,
    /// The points, oldest first (daily, or one per bucket).
    pub points: Vec<Point>,
}

/// A report kind that was read but not trended, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Skipped {
    /// The report's type name.
    pub report: String,
    /// How many valid files of it were read.
    pub files: u64,
    /// Why it was not trended.
    pub reason: SkipReason,
}

/// Why a report kind was not trended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum SkipReason {
    /// Its schema declares no metric.
    NoMetric,
    /// None of the `--metric` expressions names its columns.
    NoMetricFits,
}

impl SkipReason {
    /// The reason in a few words, for the summary line.
    pub fn text(self) -> &'static str {
        match self {
            SkipReason::NoMetric => "no metric in its schema",
            SkipReason::NoMetricFits => "no --metric fits it",
        }
    }

    /// The reason in a sentence, for the table and JSON outputs.
    pub fn sentence(self) -> &'static str {
        match self {
            SkipReason::NoMetric => "the report's schema declares no metric",
            SkipReason::NoMetricFits => "none of the --metric expressions names its columns",
        }
    }
}

/// The result of a trend run.
#[derive(Debug, Clone)]
pub struct Trend {
    /// The options used.
    pub options: TrendOptions,
    /// Trended series, sorted by name, report, then the report's order of metrics.
    pub series: Vec<Series>,
    /// Reports without a metric, sorted by name.
    pub skipped: Vec<Skipped>,
    /// Files that disagreed with the same refresh date (the series named as in `series`).
    pub conflicts: Vec<Conflict>,
}

/// The short name of a report for series names: its first file-name hint (`GroupCounts`).
pub fn short_name(report: &Report) -> &str {
    report
        .file_name_hints
        .first()
        .map(String::as_str)
        .unwrap_or(&report.name)
}

/// `numerator / denominator` as a fraction; `None` for a null term or a zero denominator,
/// never NaN.
pub fn ratio(denominator: Option<i64>, numerator: Option<i64>) -> Option<f64> {
    match (denominator, numerator) {
        (Some(t), Some(a)) if t != 0 => Some(a as f64 / t as f64),
        _ => None,
    }
}

/// The value of a sum of columns in one row: null when any term is (sums skip nothing),
/// or when it overflows.
fn sum_of(columns: &[usize], cells: &[Cell]) -> Option<i64> {
    columns.iter().try_fold(0i64, |acc, &i| {
        cells
            .get(i)
            .and_then(Cell::as_int)
            .and_then(|v| acc.checked_add(v))
    })
}

/// A term's value in one row of a counts or snapshot report; entity terms have none here
/// (a detail report's are summed per download, see [`snapshot`]).
fn term_value(term: &Term, cells: &[Cell]) -> Option<i64> {
    match term {
        Term::Sum(columns) => sum_of(columns, cells),
        Term::Active { .. } | Term::Entities => None,
    }
}

/// The daily point of `metric` for one row.
pub fn point_of(metric: &Metric, date: NaiveDate, cells: &[Cell]) -> Point {
    let numerator = term_value(&metric.numerator, cells);
    let (denominator, value) = match &metric.denominator {
        Some(d) => {
            let denominator = term_value(d, cells);
            (denominator, ratio(denominator, numerator))
        }
        None => (None, numerator.map(|n| n as f64)),
    };
    Point {
        date,
        numerator,
        denominator,
        value,
        rolling_mean: None,
    }
}

/// Whether series `s` is kept by `--dimension`: reports without a dimension always are.
fn dimension_kept(s: &MergedSeries, wanted: Option<&str>) -> bool {
    let (Some(wanted), false) = (wanted, s.report.dimensions().is_empty()) else {
        return true;
    };
    let Some((_, cells)) = s.rows().next() else {
        return false;
    };
    s.report.dimensions().iter().any(|&d| {
        let mut text = String::new();
        cells[d].write_text(&s.report.columns[d].kind, &mut text);
        text.eq_ignore_ascii_case(wanted)
    })
}

impl Trend {
    /// Computes points and summaries for every metric of every series (see
    /// [`TrendOptions::metrics_of`]); reports with none are listed in [`Trend::skipped`].
    pub fn compute(merged: Merged, options: TrendOptions) -> Trend {
        let window = i64::from(options.window.max(1));
        let metrics: Vec<Vec<Metric>> = merged
            .series
            .iter()
            .map(|s| options.metrics_of(&s.report))
            .collect();
        // A folder holding several trended reports gets one series per report; the names
        // must then differ.
        let mut reports_per_name: BTreeMap<&str, usize> = BTreeMap::new();
        for (s, m) in merged.series.iter().zip(&metrics) {
            if !m.is_empty() {
                *reports_per_name.entry(&s.name).or_default() += 1;
            }
        }
        let display = |s: &MergedSeries| -> String {
            if reports_per_name.get(s.name.as_str()).copied().unwrap_or(0) > 1 {
                format!("{}:{}", s.name, short_name(&s.report))
            } else {
                s.name.clone()
            }
        };
        let mut skipped: BTreeMap<(String, SkipReason), u64> = BTreeMap::new();
        let mut series = Vec::new();
        let mut renamed: BTreeMap<(String, String), String> = BTreeMap::new();
        let wanted = options.dimension.as_deref();
        for (s, chosen) in merged.series.iter().zip(&metrics) {
            if chosen.is_empty() {
                let reason = if options.metrics.is_empty() || s.report.summary {
                    SkipReason::NoMetric
                } else {
                    SkipReason::NoMetricFits
                };
                *skipped.entry((s.report.name.clone(), reason)).or_default() += s.files;
                continue;
            }
            if !dimension_kept(s, wanted) {
                continue;
            }
            let name = display(s);
            renamed.insert((s.name.clone(), s.report.name.clone()), name.clone());
            for (order, metric) in chosen.iter().enumerate() {
                let daily: Vec<Point> = s
                    .rows()
                    .filter(|(r, _)| options.since.is_none_or(|d| r.date >= d))
                    .filter(|(r, _)| options.until.is_none_or(|d| r.date <= d))
                    .map(|(r, cells)| point_of(metric, r.date, cells))
                    .collect();
                let scale = if metric.unit == Unit::Percent {
                    100.0
                } else {
                    1.0
                };
                let summary = summarize(&daily, window, scale);
                let mut points = match options.by {
                    By::Day => daily,
                    by => bucket(&daily, by, metric.denominator.is_some()),
                };
                rolling(&mut points, options.by, window);
                let (numerator, denominator) = metric.terms(&s.report);
                series.push((
                    order,
                    Series {
                        name: name.clone(),
                        report: s.report.name.clone(),
                        metric: MetricInfo {
                            name: metric.name.clone(),
                            numerator,
                            denominator,
                            unit: metric.unit,
                        },
                        files: s.files,
                        summary,
                        points,
                    },
                ));
            }
        }
        series.sort_by(|(oa, a), (ob, b)| (&a.name, &a.report, oa).cmp(&(&b.name, &b.report, ob)));
        let series: Vec<Series> = series.into_iter().map(|(_, s)| s).collect();
        // A conflict on a day the cut removed says nothing about the points shown.
        let conflicts = merged
            .conflicts
            .into_iter()
            .filter(|c| options.since.is_none_or(|d| c.date >= d))
            .filter(|c| options.until.is_none_or(|d| c.date <= d))
            .filter_map(|mut c| {
                c.series = renamed.get(&(c.series.clone(), c.report.clone()))?.clone();
                Some(c)
            })
            .collect();
        Trend {
            options,
            series,
            skipped: skipped
                .into_iter()
                .map(|((report, reason), files)| Skipped {
                    report,
                    files,
                    reason,
                })
                .collect(),
            conflicts,
        }
    }
}

/// Checks `--metric` expressions before any file is read: with `report` (`--report`), each
/// must be a metric of it; without, each must be a metric of some report the registry
/// knows. The error names the expression, what is wrong and the columns it may use.
pub fn check_metrics(
    exprs: &[String],
    report: Option<&Report>,
    registry: &crate::Registry,
) -> Result<(), String> {
    for expr in exprs {
        if let Some(report) = report {
            Metric::parse(expr, report).map_err(|e| unfit(expr, &e, report))?;
            continue;
        }
        let mut nearest: Option<(MetricError, &Report)> = None;
        let mut fits = false;
        for r in registry.reports() {
            match Metric::parse(expr, r) {
                Ok(_) => {
                    fits = true;
                    break;
                }
                Err(e) => {
                    // A wrong kind or a detail-only term found the names: the nearest miss.
                    let unknown = |e: &MetricError| matches!(e, MetricError::UnknownColumn { .. });
                    if nearest
                        .as_ref()
                        .is_none_or(|(n, _)| unknown(n) && !unknown(&e))
                    {
                        nearest = Some((e, r));
                    }
                }
            }
        }
        if fits {
            continue;
        }
        if let Some((e, r)) = nearest {
            if matches!(e, MetricError::UnknownColumn { .. }) {
                return Err(format!(
                    "--metric `{expr}` fits no report: {}; `m365report schemas --format json` lists every report's columns",
                    e.to_string().replace(&format!(" of {}", r.name), " of any report")
                ));
            }
            return Err(unfit(expr, &e, r));
        }
    }
    Ok(())
}

/// After the files are read: the `--metric` expressions that fit none of `reports` (the
/// reports of the run, detail reports under their own name), as a usage error naming them
/// and the columns of the run's reports.
pub fn check_metrics_used(
    exprs: &[String],
    reports: &[&Report],
    registry: &crate::Registry,
) -> Result<(), String> {
    let originals: Vec<&Report> = reports
        .iter()
        .filter_map(|r| {
            if r.summary {
                registry.find(&r.name).map(|a| &**a)
            } else {
                Some(*r)
            }
        })
        .collect();
    for expr in exprs {
        if originals.iter().any(|r| Metric::parse(expr, r).is_ok()) {
            continue;
        }
        let names: Vec<String> = originals
            .iter()
            .take(3)
            .map(|r| format!("{}: {}", r.name, metric_columns(r).join(", ")))
            .collect();
        return Err(format!(
            "--metric `{expr}` fits none of the reports read{}",
            if names.is_empty() {
                String::new()
            } else {
                format!("; their columns are {}", names.join("; "))
            }
        ));
    }
    Ok(())
}

/// The usage error of an expression that is no metric of `report`.
fn unfit(expr: &str, error: &MetricError, report: &Report) -> String {
    format!(
        "--metric `{expr}`: {error}; its columns for metrics are {}",
        metric_columns(report).join(", ")
    )
}

/// Sets each point's rolling mean: the mean of the non-null ratios whose ordinal lies in
/// `[ordinal - (window - 1), ordinal]`. Each mean is summed afresh over its window rather
/// than slid, so no rounding error builds up along a long series.
fn rolling(points: &mut [Point], by: By, window: i64) {
    let ordinals: Vec<i64> = points.iter().map(|p| by.ordinal(p.date)).collect();
    let mut start = 0;
    for i in 0..points.len() {
        while ordinals[i] - ordinals[start] >= window {
            start += 1;
        }
        let (sum, n) = points[start..=i]
            .iter()
            .filter_map(|p| p.value)
            .fold((0.0, 0u32), |(s, n), r| (s + r, n + 1));
        points[i].rolling_mean = (n > 0).then(|| sum / f64::from(n));
    }
}

/// Groups daily points into buckets. A ratio's numerators and denominators are summed
/// over the days having both, so a bucket's value is `sum(numerator) / sum(denominator)`; a
/// plain count's bucket is its mean per day: the sum over the days having a value, divided
/// by their number (the bucket's denominator).
fn bucket(daily: &[Point], by: By, is_ratio: bool) -> Vec<Point> {
    let mut out: Vec<Point> = Vec::new();
    let mut sums: Option<(i64, i64)> = None;
    let mut overflow = false;
    let close = |out: &mut Vec<Point>, sums: Option<(i64, i64)>, overflow: bool| {
        if let Some(last) = out.last_mut() {
            let sums = sums.filter(|_| !overflow);
            last.numerator = sums.map(|s| s.0);
            last.denominator = sums.map(|s| s.1);
            last.value = ratio(last.denominator, last.numerator);
        }
    };
    for p in daily {
        let start = by.start(p.date);
        if out.last().is_none_or(|b| b.date != start) {
            close(&mut out, sums, overflow);
            out.push(Point {
                date: start,
                numerator: None,
                denominator: None,
                value: None,
                rolling_mean: None,
            });
            sums = None;
            overflow = false;
        }
        let day = if is_ratio {
            p.numerator.zip(p.denominator)
        } else {
            p.numerator.map(|n| (n, 1))
        };
        if let Some((n, d)) = day {
            let (sn, sd) = sums.unwrap_or((0, 0));
            match (sn.checked_add(n), sd.checked_add(d)) {
                (Some(sn), Some(sd)) => sums = Some((sn, sd)),
                _ => overflow = true,
            }
        }
    }
    close(&mut out, sums, overflow);
    out
}

/// The summary of daily points (sorted by date, one per date); `scale` turns a change of
/// value into the summary's unit (100: a ratio's percentage points).
fn summarize(daily: &[Point], window: i64, scale: f64) -> Summary {
    let mut s = Summary {
        first_date: daily.first().map(|p| p.date),
        last_date: daily.last().map(|p| p.date),
        days_present: daily.len(),
        ..Summary::default()
    };
    // Each date becomes a day number once, here: the gaps, the change and the slope all
    // step by days, and computed apart they converted a 2M-point series 16M times.
    let mut ratios: Vec<(i64, f64)> = Vec::with_capacity(daily.len());
    let mut previous: Option<(NaiveDate, i64)> = None;
    for p in daily {
        let day = i64::from(p.date.num_days_from_ce());
        if let Some((before, before_day)) = previous {
            if day - before_day > 1 {
                s.missing.push(DateRange {
                    from: before + chrono::Duration::days(1),
                    to: p.date - chrono::Duration::days(1),
                });
            }
        }
        previous = Some((p.date, day));
        if let Some(value) = p.value {
            if s.min.is_none_or(|m| value < m.value) {
                s.min = Some(Extreme {
                    value,
                    date: p.date,
                });
            }
            if s.max.is_none_or(|m| value > m.value) {
                s.max = Some(Extreme {
                    value,
                    date: p.date,
                });
            }
            ratios.push((day, value));
        }
    }
    s.latest = ratios.last().map(|&(_, r)| r);
    s.change = change(&ratios, window).map(|c| c * scale);
    s.slope_per_30d = slope_per_30d(&ratios).map(|c| c * scale);
    s
}

/// Last full window's mean minus the first's, in the values' unit (see the module docs).
/// `ratios` are (day number, value), ascending.
fn change(ratios: &[(i64, f64)], window: i64) -> Option<f64> {
    let window_len = usize::try_from(window).ok()?;
    // The indexes of the last ratio of the first and of the last full window: a full window
    // is `window` consecutive calendar days, all with a ratio.
    let (mut first, mut last) = (None, None);
    let mut run = 0i64;
    for (i, &(day, _)) in ratios.iter().enumerate() {
        let consecutive = i > 0 && ratios[i - 1].0 + 1 == day;
        run = if consecutive { run + 1 } else { 1 };
        if run >= window {
            first.get_or_insert(i);
            last = Some(i);
        }
    }
    let (first, last) = (first?, last?);
    if first == last {
        return None;
    }
    let mean = |end: usize| {
        let w = &ratios[end + 1 - window_len..=end];
        w.iter().map(|&(_, r)| r).sum::<f64>() / w.len() as f64
    };
    Some(mean(last) - mean(first))
}

/// Least-squares slope of value over day number, per 30 days.
/// `ratios` are (day number, value), ascending.
fn slope_per_30d(ratios: &[(i64, f64)]) -> Option<f64> {
    if ratios.len() < 2 {
        return None;
    }
    let origin = ratios[0].0;
    let n = ratios.len() as f64;
    let xs = ratios.iter().map(|&(d, _)| (d - origin) as f64);
    let x_mean = xs.clone().sum::<f64>() / n;
    let y_mean = ratios.iter().map(|&(_, r)| r).sum::<f64>() / n;
    let (mut sxy, mut sxx) = (0.0, 0.0);
    for (x, &(_, y)) in xs.zip(ratios) {
        sxy += (x - x_mean) * (y - y_mean);
        sxx += (x - x_mean) * (x - x_mean);
    }
    (sxx > 0.0).then(|| sxy / sxx * 30.0)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::merge::tests::{day, file, group_counts, row};
    use crate::merge::Merge;
    use crate::record::RecordSink;

    fn trend_of(rows: &[(i64, Option<i64>, Option<i64>)], options: TrendOptions) -> Trend {
        let gc = group_counts();
        let cells: Vec<_> = rows
            .iter()
            .map(|&(d, t, a)| row(&gc, 100, d, t, a, "180"))
            .collect();
        Trend::compute(file(&gc, "t", 0, &cells, true).into_merged(), options)
    }

    fn close(a: Option<f64>, b: f64) -> bool {
        a.is_some_and(|a| (a - b).abs() < 1e-12)
    }

    #[test]
    fn ratio_is_null_for_zero_total_or_null_count_never_nan() {
        assert_eq!(ratio(Some(0), Some(0)), None);
        assert_eq!(ratio(None, Some(1)), None);
        assert_eq!(ratio(Some(4), None), None);
        assert_eq!(ratio(Some(4), Some(1)), Some(0.25));
    }

    /// Hand-checked: days 0..=3 with ratios 0.1, null (zero total), 0.3, 0.5, then day 5
    /// (day 4 missing) with 0.2. Window 3 -> rolling means:
    /// d0 0.1; d1 0.1; d2 (0.1+0.3)/2 = 0.2; d3 (0.3+0.5)/2 = 0.4; d5 covers d3..d5: (0.5+0.2)/2.
    #[test]
    fn rolling_mean_uses_calendar_days_and_skips_nulls() {
        let t = trend_of(
            &[
                (0, Some(10), Some(1)),
                (1, Some(0), Some(0)),
                (2, Some(10), Some(3)),
                (3, Some(10), Some(5)),
                (5, Some(10), Some(2)),
            ],
            TrendOptions {
                window: 3,
                ..TrendOptions::default()
            },
        );
        let p = &t.series[0].points;
        let means: Vec<_> = p.iter().map(|p| p.rolling_mean).collect();
        assert!(close(means[0], 0.1) && close(means[1], 0.1) && close(means[2], 0.2));
        assert!(close(means[3], 0.4) && close(means[4], 0.35), "{means:?}");
        assert_eq!(p[1].value, None);
        let s = &t.series[0].summary;
        assert_eq!(
            s.missing,
            [DateRange {
                from: day(4),
                to: day(4)
            }]
        );
        assert_eq!(s.days_present, 5);
        assert_eq!(s.latest, Some(0.2));
        assert_eq!(
            s.min,
            Some(Extreme {
                value: 0.1,
                date: day(0)
            })
        );
        assert_eq!(
            s.max,
            Some(Extreme {
                value: 0.5,
                date: day(3)
            })
        );
        // Only d2..d3 is a run of consecutive ratios, shorter than 3: no full window.
        assert_eq!(s.change, None);
    }

    /// Hand-checked: ratios 0.40, 0.42, 0.44, 0.46 on days 0..=3, window 2.
    /// Full windows end on d1, d2, d3: first mean 0.41, last 0.45 -> +4 pp.
    /// Slope 0.02 per day -> 0.02 * 30 * 100 = 60 pp per 30 days.
    #[test]
    fn change_and_slope_hand_checked() {
        let t = trend_of(
            &[
                (0, Some(100), Some(40)),
                (1, Some(100), Some(42)),
                (2, Some(100), Some(44)),
                (3, Some(100), Some(46)),
            ],
            TrendOptions {
                window: 2,
                ..TrendOptions::default()
            },
        );
        let s = &t.series[0].summary;
        assert!(close(s.change, 4.0), "{:?}", s.change);
        assert!(
            s.slope_per_30d.is_some_and(|v| (v - 60.0).abs() < 1e-9),
            "{:?}",
            s.slope_per_30d
        );
    }

    #[test]
    fn since_and_until_drop_the_conflicts_of_the_days_they_cut() {
        let gc = group_counts();
        let rows = |active| -> Vec<_> {
            (3..=5)
                .map(|d| row(&gc, 6, d, Some(10), Some(active), "7"))
                .collect()
        };
        // Same refresh date, different values on days 3, 4 and 5: three conflicts.
        let merged = file(&gc, "t", 0, &rows(3), true)
            .merge(file(&gc, "t", 1, &rows(4), true))
            .into_merged();
        assert_eq!(merged.conflicts.len(), 3);
        let t = Trend::compute(
            merged,
            TrendOptions {
                since: Some(day(4)),
                until: Some(day(4)),
                ..TrendOptions::default()
            },
        );
        let dates: Vec<_> = t.conflicts.iter().map(|c| c.date).collect();
        assert_eq!(dates, [day(4)]);
        assert_eq!(t.series[0].points.len(), 1);
    }

    #[test]
    fn one_full_window_gives_no_change_and_one_ratio_no_slope() {
        let t = trend_of(
            &[(0, Some(100), Some(40)), (1, Some(100), Some(42))],
            TrendOptions {
                window: 2,
                ..TrendOptions::default()
            },
        );
        assert_eq!(t.series[0].summary.change, None);
        let t = trend_of(&[(0, Some(100), Some(40))], TrendOptions::default());
        assert_eq!(t.series[0].summary.slope_per_30d, None);
    }

    /// 2026-01-01 is a Thursday: days 0..=3 are Thu..Sun of the week of Mon 2025-12-29,
    /// days 4..=5 the next week. Week 1 sums the days with both counts: d0 (10,1), d1 (10,3),
    /// d3 (20,2); d2 has a null active. 6/40 = 0.15. Week 2: (10,5) + (0,0) = 5/10.
    #[test]
    fn weekly_buckets_sum_days_with_both_counts() {
        let t = trend_of(
            &[
                (0, Some(10), Some(1)),
                (1, Some(10), Some(3)),
                (2, Some(10), None),
                (3, Some(20), Some(2)),
                (4, Some(10), Some(5)),
                (5, Some(0), Some(0)),
            ],
            TrendOptions {
                window: 2,
                by: By::Week,
                ..TrendOptions::default()
            },
        );
        let p = &t.series[0].points;
        assert_eq!(p.len(), 2);
        assert_eq!(p[0].date, NaiveDate::from_ymd_opt(2025, 12, 29).unwrap());
        assert_eq!((p[0].denominator, p[0].numerator), (Some(40), Some(6)));
        assert!(close(p[0].value, 0.15));
        assert_eq!(p[1].date, day(4));
        assert!(close(p[1].value, 0.5));
        assert!(close(p[1].rolling_mean, 0.325));
        // The summary stays daily.
        assert_eq!(t.series[0].summary.days_present, 6);
    }

    #[test]
    fn monthly_buckets_and_since_until_cut_inclusively() {
        let t = trend_of(
            &[
                (29, Some(10), Some(1)),
                (30, Some(10), Some(2)),
                (31, Some(10), Some(3)),
                (32, Some(10), Some(4)),
            ],
            TrendOptions {
                by: By::Month,
                since: Some(day(30)),
                until: Some(day(31)),
                ..TrendOptions::default()
            },
        );
        let p = &t.series[0].points;
        assert_eq!(p.len(), 2);
        assert_eq!(p[0].date, NaiveDate::from_ymd_opt(2026, 1, 1).unwrap());
        assert_eq!((p[0].denominator, p[0].numerator), (Some(10), Some(2)));
        assert_eq!(p[1].date, NaiveDate::from_ymd_opt(2026, 2, 1).unwrap());
        assert_eq!((p[1].denominator, p[1].numerator), (Some(10), Some(3)));
        assert_eq!(t.series[0].summary.first_date, Some(day(30)));
    }

    #[test]
    fn all_null_series_has_empty_figures_not_a_panic() {
        let t = trend_of(
            &[(0, None, None), (1, Some(0), Some(0))],
            TrendOptions::default(),
        );
        let s = &t.series[0];
        assert!(s
            .points
            .iter()
            .all(|p| p.value.is_none() && p.rolling_mean.is_none()));
        assert_eq!(s.summary.min, None);
        assert_eq!(s.summary.slope_per_30d, None);
    }

    #[test]
    fn reports_without_ratio_are_skipped_and_folders_with_two_kinds_are_named_apart() {
        let reg = crate::Registry::builtin().unwrap();
        let gc = group_counts();
        let fc = reg.find("FileCounts").unwrap().clone();
        let storage = reg.find("browserUserDetail").unwrap().clone();
        let mut m = Merge::new();
        m.absorb(file(
            &gc,
            "a",
            0,
            &[row(&gc, 1, 1, Some(2), Some(1), "7")],
            true,
        ));
        m.absorb(file(
            &fc,
            "a",
            1,
            &[row(&fc, 1, 1, Some(2), Some(1), "7")],
            true,
        ));
        m.absorb(file(
            &gc,
            "b",
            2,
            &[row(&gc, 1, 1, Some(2), Some(1), "7")],
            true,
        ));
        let mut s = Merge::for_file("a", 3, "s.csv");
        s.begin(&storage);
        s.finish(true);
        m.absorb(s);
        let t = Trend::compute(m.into_merged(), TrendOptions::default());
        let names: Vec<_> = t.series.iter().map(|s| s.name.as_str()).collect();
        assert_eq!(names, ["a:FileCounts", "a:GroupCounts", "b"]);
        assert_eq!(
            t.skipped,
            [Skipped {
                report: "browserUserDetail".into(),
                files: 1,
                reason: SkipReason::NoMetric,
            }]
        );
    }

    /// A generated download: refresh day, period, and how many identical copies were saved.
    #[derive(Debug, Clone)]
    struct Download {
        refresh: i64,
        period: i64,
        copies: usize,
    }

    use proptest::prelude::*;

    /// Checks each text as the CLI checks a file (named `{prefix}_{index}.csv`) into a
    /// per-file merge, then folds the merges in `chunk`-sized groups, last group first: the
    /// result must not depend on the grouping.
    fn merged_texts(texts: &[String], prefix: &str, chunk: usize) -> crate::merge::Merged {
        let registry = crate::Registry::builtin().unwrap();
        let collectors: Vec<Merge> = texts
            .iter()
            .enumerate()
            .map(|(index, text)| {
                let name = format!("{prefix}_{index}.csv");
                let source = crate::discover::Source {
                    input: crate::discover::Input::Path(name.clone().into()),
                    name: name.clone(),
                    index,
                    group: ".".into(),
                    relative: name.clone().into(),
                };
                let mut merge = Merge::for_file("t", index, &name);
                let checked = crate::validate::check_reader(
                    text.as_bytes(),
                    &source,
                    &registry,
                    &Default::default(),
                    &mut merge,
                );
                assert!(checked.is_valid(), "{:?}", checked.findings);
                merge
            })
            .collect();
        collectors
            .chunks(chunk)
            .rev()
            .map(|c| c.iter().cloned().fold(Merge::new(), Merge::merge))
            .fold(Merge::new(), Merge::merge)
            .into_merged()
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(24))]

        /// Snapshot downloads (a row per download, `getOffice365ServicesUserCounts`) of any
        /// refresh days, periods and copies, checked as the CLI checks them and merged in any
        /// grouping: one series per period, one point per refresh day holding that download's
        /// counts, and the same download saved twice is no conflict.
        #[test]
        fn snapshot_points_are_one_per_period_and_refresh_day(
            downloads in proptest::collection::vec(
                (0i64..30, proptest::sample::select(vec![7i64, 30]), 1usize..3),
                1..10,
            ),
            chunk in 1usize..4,
        ) {
            let registry = crate::Registry::builtin().unwrap();
            let report = registry.find("office365ServicesUserCounts").unwrap();
            let header: Vec<&str> = report.columns.iter().map(|c| c.csv.as_str()).collect();
            let active = |r: i64, p: i64| (r * 7 + p) % 50;
            let mut texts = Vec::new();
            for &(refresh, period, copies) in &downloads {
                let cells: Vec<String> = report.columns.iter().map(|c| match c.role {
                    crate::schema::Role::RefreshDate => day(refresh).to_string(),
                    crate::schema::Role::Period => period.to_string(),
                    _ if c.csv.ends_with("Inactive") => "50".to_string(),
                    _ => active(refresh, period).to_string(),
                }).collect();
                let text = format!("{}\r\n{}\r\n", header.join(","), cells.join(","));
                for _ in 0..copies {
                    texts.push(text.clone());
                }
            }
            let merged = merged_texts(&texts, "getOffice365ServicesUserCounts", chunk);
            prop_assert!(merged.conflicts.is_empty());
            let options = TrendOptions {
                metrics: vec!["Teams Active / (Teams Active + Teams Inactive)".into()],
                ..TrendOptions::default()
            };
            let t = Trend::compute(merged, options);
            for period in [7i64, 30] {
                let name = format!("t/Report Period={period}");
                let want: Vec<_> = (0..30)
                    .filter(|&r| downloads.iter().any(|d| d.0 == r && d.1 == period))
                    .map(|r| (day(r), Some(active(r, period)), Some(active(r, period) + 50)))
                    .collect();
                let got: Vec<_> = t.series.iter().filter(|s| s.name == name)
                    .flat_map(|s| s.points.iter().map(|p| (p.date, p.numerator, p.denominator)))
                    .collect();
                prop_assert_eq!(got, want);
            }
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(24))]

        /// The whole path, as the CLI runs it: CSV text written like Graph's downloads (BOM,
        /// newest first), checked by the validate driver into per-file merges folded in any
        /// grouping, then trended. For any overlap pattern the daily points equal the
        /// generator's own daily series: the newest download's counts for every covered day
        /// (older downloads carry stale values), empty counts staying null.
        #[test]
        fn trended_points_equal_the_generators_daily_series(
            downloads in proptest::collection::vec(
                (0i64..40, proptest::sample::select(vec![7i64, 30]), 1usize..3)
                    .prop_map(|(refresh, period, copies)| Download { refresh, period, copies }),
                1..12,
            ),
            chunk in 1usize..5,
        ) {
            let truth = |d: i64| -> (i64, Option<i64>) {
                let total = 500 + d.rem_euclid(17);
                let active = (d.rem_euclid(13) != 4).then(|| (d * 31).rem_euclid(total));
                (total, active)
            };
            let newest = |d: i64| downloads.iter()
                .filter(|w| w.refresh >= d && w.refresh - w.period < d)
                .map(|w| w.refresh).max();
            let mut texts = Vec::new();
            for w in &downloads {
                let mut text = String::from("\u{feff}Report Refresh Date,Total,Active,Report Date,Report Period\r\n");
                for d in (w.refresh - w.period + 1..=w.refresh).rev() {
                    let (total, active) = truth(d);
                    let active = if newest(d) == Some(w.refresh) {
                        active
                    } else {
                        Some(active.unwrap_or(0).wrapping_add(1 + w.refresh).rem_euclid(total))
                    };
                    let active = active.map(|a| a.to_string()).unwrap_or_default();
                    text.push_str(&format!("{},{total},{active},{},{}\r\n", day(w.refresh), day(d), w.period));
                }
                for _ in 0..w.copies {
                    texts.push(text.clone());
                }
            }
            let merged = merged_texts(&texts, "GroupCounts", chunk);
            prop_assert!(merged.conflicts.is_empty());
            let t = Trend::compute(merged, TrendOptions::default());
            let got: Vec<_> = t.series[0].points.iter().map(|p| (p.date, p.denominator, p.numerator)).collect();
            let want: Vec<_> = (-40..40).filter(|&d| newest(d).is_some())
                .map(|d| { let (total, active) = truth(d); (day(d), Some(total), active) })
                .collect();
            prop_assert_eq!(got, want);
        }
    }
}
