//! A detail report's download as one point: the rows of one file (a row per user, site or
//! group) summed into one record of a [`Report::summarised`] report, which the merge then
//! places on the timeline by its refresh date, one series per report period.
//!
//! Only the sums the run's metrics need are kept while the file is read, so a trend of
//! many detail downloads holds one small record per download, not their entities.

use std::sync::Arc;

use chrono::{Duration, NaiveDate};

use crate::merge::Merge;
use crate::record::{Cell, Fork, Record, RecordSink};
use crate::schema::metric::{Metric, Term};
use crate::schema::{Kind, Report, Role};

/// Sums one detail file's rows for its metrics; hands the one record to `merge` when the
/// file proves valid.
pub struct Summing {
    summary: Arc<Report>,
    sums: Sums,
    merge: Merge,
}

/// The running sums of a file, or of one piece of a large file checked on another thread
/// (a [`Fork`]: pieces add up, so a piece's records are summed where they are read and
/// never kept).
#[derive(Debug, Clone)]
struct Sums {
    terms: Arc<[Term]>,
    /// Per term: the sum so far, `None` once a null or an overflow made it unknown. An
    /// `entities` term's sum is `entities`, added when the sums are read.
    sums: Vec<Option<i64>>,
    /// The entities counted (not deleted): every metric of a detail report divides by
    /// them, so they are counted once a row, not once per metric.
    entities: i64,
    refresh: Option<NaiveDate>,
    period: Cell,
    period_column: Option<usize>,
    deleted: Option<usize>,
    /// Each `active(...)` term with a window, as (term, column, first day, last day): the
    /// days its activity counts in (`R - P + 1` to `R`), found at the first row counted. A
    /// file has one refresh date and period (E401 and E402 say so otherwise), so they are
    /// found once rather than per term and row: a detail row is summed for a dozen terms.
    active: Option<Box<[ActiveTerm]>>,
    /// The indices of the `Term::Sum` terms: most detail metrics have none, and a row
    /// should not walk every term to learn it.
    summed: Arc<[usize]>,
}

/// An `active(...)` term of [`Sums`]: its index, its column, and the first and last day its
/// activity counts in.
type ActiveTerm = (usize, usize, NaiveDate, NaiveDate);

impl Sums {
    /// Empty sums of the same terms.
    fn fresh(&self) -> Sums {
        Sums {
            sums: vec![Some(0); self.terms.len()],
            entities: 0,
            refresh: None,
            period: Cell::Null,
            active: None,
            ..self.clone()
        }
    }

    /// The sum of each term.
    fn totals(&self) -> impl Iterator<Item = Option<i64>> + '_ {
        self.terms
            .iter()
            .zip(&self.sums)
            .map(|(term, sum)| match term {
                Term::Entities => sum.and_then(|s| s.checked_add(self.entities)),
                _ => *sum,
            })
    }

    /// Adds a later piece's sums.
    fn add(&mut self, other: &Sums) {
        self.entities += other.entities;
        for (a, b) in self.sums.iter_mut().zip(&other.sums) {
            *a = a.zip(*b).and_then(|(a, b)| a.checked_add(b));
        }
        if self.refresh.is_none() {
            self.refresh = other.refresh;
            self.period = other.period.clone();
        }
    }
}

/// The days of the report period of a row, where the row or the metric says.
fn period_days(record: &Record<'_>, days: Option<u32>) -> Option<i64> {
    record
        .period()
        .and_then(|p| p.trim_start_matches('D').parse::<i64>().ok())
        .or(days.map(i64::from))
}

impl RecordSink for Sums {
    fn record(&mut self, record: &Record<'_>) {
        if self.refresh.is_none() {
            self.refresh = record.refresh_date();
            if let Some(i) = self.period_column {
                self.period = record.cells[i].clone();
            }
        }
        // A deleted entity holds no licence any more: it counts for nothing.
        if let Some(i) = self.deleted {
            if record.cells[i].as_bool() == Some(true) {
                return;
            }
        }
        if self.active.is_none() {
            let mut active = Vec::new();
            for (t, term) in self.terms.iter().enumerate() {
                if let Term::Active { column, days } = term {
                    let first = record
                        .refresh_date()
                        .and_then(|r| Some(r - Duration::days(period_days(record, *days)? - 1)));
                    match first {
                        Some(first) => {
                            active.push((t, *column, first, self.refresh.unwrap_or(first)))
                        }
                        // No refresh date or period to place the activity: unknown.
                        None => self.sums[t] = None,
                    }
                }
            }
            self.active = Some(active.into());
        }
        self.entities += 1;
        for &(t, column, first, last) in self.active.iter().flat_map(|a| a.iter()) {
            if let (Cell::Date(d), Some(sum)) = (&record.cells[column], &mut self.sums[t]) {
                // At most one a row: no overflow.
                *sum += i64::from(*d >= first && *d <= last);
            }
        }
        for &t in self.summed.iter() {
            if let Term::Sum(columns) = &self.terms[t] {
                let add = columns.iter().try_fold(0i64, |acc, &i| {
                    record.cells[i].as_int().and_then(|v| acc.checked_add(v))
                });
                let sum = &mut self.sums[t];
                *sum = sum.zip(add).and_then(|(a, b)| a.checked_add(b));
            }
        }
    }
}

impl Fork for Sums {
    fn as_any(&mut self) -> &mut dyn std::any::Any {
        self
    }
}

impl Summing {
    /// A summing sink for `detail`'s file under `metrics`, feeding `merge` (a collector
    /// made by [`Merge::for_file`] for the file).
    pub fn new(detail: Arc<Report>, metrics: &[Metric], mut merge: Merge) -> Summing {
        let (summary, terms) = detail.summarised(metrics);
        let summary = Arc::new(summary);
        merge.begin(&summary);
        let deleted = detail.columns.iter().position(|c| c.role == Role::Deleted);
        let summed = (terms.iter().enumerate())
            .filter_map(|(t, term)| matches!(term, Term::Sum(_)).then_some(t))
            .collect();
        Summing {
            sums: Sums {
                sums: vec![Some(0); terms.len()],
                entities: 0,
                active: None,
                terms: terms.into(),
                refresh: None,
                period: Cell::Null,
                period_column: detail.period(),
                deleted,
                summed,
            },
            summary,
            merge,
        }
    }

    /// The merge holding the file's one record (if it was valid).
    pub fn into_merge(self) -> Merge {
        self.merge
    }
}

impl RecordSink for Summing {
    fn record(&mut self, record: &Record<'_>) {
        self.sums.record(record);
    }

    fn fork(&mut self) -> Option<Box<dyn Fork>> {
        Some(Box::new(self.sums.fresh()))
    }

    fn join(&mut self, fork: &mut dyn Fork) -> bool {
        match fork.as_any().downcast_mut::<Sums>() {
            Some(piece) => {
                self.sums.add(piece);
                true
            }
            None => false,
        }
    }

    fn finish(&mut self, valid: bool) {
        if valid {
            let sums = &self.sums;
            let mut cells = Vec::with_capacity(self.summary.columns.len());
            for c in &self.summary.columns {
                match c.role {
                    Role::RefreshDate => cells.push(sums.refresh.map_or(Cell::Null, Cell::Date)),
                    Role::Period => cells.push(sums.period.clone()),
                    _ => break,
                }
            }
            cells.extend(sums.totals().map(|s| s.map_or(Cell::Null, Cell::Int)));
            // A file with no rows has no refresh date to place it: nothing to merge.
            if sums.refresh.is_some() && cells.len() == self.summary.columns.len() {
                let record = Record {
                    report: &self.summary,
                    line: 1,
                    cells: &cells,
                };
                self.merge.record(&record);
            }
        }
        self.merge.finish(valid);
    }
}

/// Whether `report`'s files are summed per download for a trend: a detail report that has
/// metrics to follow.
pub fn sums(report: &Report, metrics: &[Metric]) -> bool {
    report.entity().is_some()
        && report.report_date().is_none()
        && !metrics.is_empty()
        && report
            .refresh_date()
            .is_some_and(|i| report.columns[i].kind == Kind::Date)
}
