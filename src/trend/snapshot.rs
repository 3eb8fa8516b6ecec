//! A detail report's download as one point: the rows of one file (a row per user, site or
//! group) summed into one record of a [`Report::summarised`] report, which the merge then
//! places on the timeline by its refresh date, one series per report period.
//!
//! Only the sums the run's metrics need are kept while the file is read, so a trend of
//! many detail downloads holds one small record per download, not their entities.

use std::sync::Arc;

use chrono::{Duration, NaiveDate};

use crate::merge::Merge;
use crate::record::{Cell, Record, RecordSink};
use crate::schema::metric::{Metric, Term};
use crate::schema::{Kind, Report, Role};

/// Sums one detail file's rows for its metrics; hands the one record to `merge` when the
/// file proves valid.
pub struct Summing {
    detail: Arc<Report>,
    summary: Arc<Report>,
    terms: Vec<Term>,
    /// Per term: the sum so far, `None` once a null or an overflow made it unknown.
    sums: Vec<Option<i64>>,
    refresh: Option<NaiveDate>,
    period: Cell,
    deleted: Option<usize>,
    merge: Merge,
}

impl Summing {
    /// A summing sink for `detail`'s file under `metrics`, feeding `merge` (a collector
    /// made by [`Merge::for_file`] for the file).
    pub fn new(detail: Arc<Report>, metrics: &[Metric], mut merge: Merge) -> Summing {
        let (summary, terms) = detail.summarised(metrics);
        let summary = Arc::new(summary);
        merge.begin(&summary);
        let deleted = detail.columns.iter().position(|c| c.role == Role::Deleted);
        Summing {
            sums: vec![Some(0); terms.len()],
            terms,
            summary,
            refresh: None,
            period: Cell::Null,
            deleted,
            detail,
            merge,
        }
    }

    /// The merge holding the file's one record (if it was valid).
    pub fn into_merge(self) -> Merge {
        self.merge
    }

    /// The days of the report period of a row, where the row or the metric says.
    fn period_days(&self, record: &Record<'_>, days: Option<u32>) -> Option<i64> {
        record
            .period()
            .and_then(|p| p.trim_start_matches('D').parse::<i64>().ok())
            .or(days.map(i64::from))
    }
}

impl RecordSink for Summing {
    fn record(&mut self, record: &Record<'_>) {
        if self.refresh.is_none() {
            self.refresh = record.refresh_date();
            if let Some(i) = self.detail.period() {
                self.period = record.cells[i].clone();
            }
        }
        // A deleted entity holds no licence any more: it counts for nothing.
        if let Some(i) = self.deleted {
            if record.cells[i].as_bool() == Some(true) {
                return;
            }
        }
        for k in 0..self.terms.len() {
            let add = match &self.terms[k] {
                Term::Entities => Some(1),
                Term::Active { column, days } => {
                    let window = self.period_days(record, *days);
                    let active = match (
                        record.cells[*column].as_date(),
                        record.refresh_date(),
                        window,
                    ) {
                        (Some(last), Some(refresh), Some(p)) => {
                            last <= refresh && last > refresh - Duration::days(p)
                        }
                        (None, Some(_), Some(_)) => false,
                        _ => {
                            self.sums[k] = None;
                            continue;
                        }
                    };
                    Some(i64::from(active))
                }
                Term::Sum(columns) => columns.iter().try_fold(0i64, |acc, &i| {
                    record.cells[i].as_int().and_then(|v| acc.checked_add(v))
                }),
            };
            self.sums[k] = self.sums[k].zip(add).and_then(|(a, b)| a.checked_add(b));
        }
    }

    fn finish(&mut self, valid: bool) {
        if valid {
            let mut cells = Vec::with_capacity(self.summary.columns.len());
            for c in &self.summary.columns {
                match c.role {
                    Role::RefreshDate => cells.push(self.refresh.map_or(Cell::Null, Cell::Date)),
                    Role::Period => cells.push(self.period.clone()),
                    _ => break,
                }
            }
            cells.extend(self.sums.iter().map(|s| s.map_or(Cell::Null, Cell::Int)));
            // A file with no rows has no refresh date to place it: nothing to merge.
            if self.refresh.is_some() && cells.len() == self.summary.columns.len() {
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
