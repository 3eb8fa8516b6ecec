//! A stand-in for the shared `m365report::merge` module (written on branch `trend`), with
//! the same names and the subset of its API that `convert --merge` uses. It keeps every
//! candidate record until [`Merge::into_merged`] instead of the real module's bounded
//! state. Delete this file and import `m365report::merge` once that lands on main.

use std::collections::BTreeMap;
use std::sync::Arc;

use chrono::NaiveDate;
use m365report::record::{Cell, Record, RecordSink};
use m365report::Report;

/// The file a record came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Origin {
    /// Position in input order.
    pub index: usize,
    /// The file's name as shown to the user.
    pub name: Arc<str>,
}

type Candidate = (Option<NaiveDate>, Vec<Cell>, Origin);
/// A report and its candidates per report date.
type Days = (Option<Arc<Report>>, BTreeMap<NaiveDate, Vec<Candidate>>);
/// One file being collected: series, origin, report, records.
type FileRecords = (
    String,
    Origin,
    Option<Arc<Report>>,
    Vec<(NaiveDate, Candidate)>,
);

/// Records of several files keyed by (series, report, report date).
#[derive(Debug, Default)]
pub struct Merge {
    series: BTreeMap<(String, String), Days>,
    file: Option<FileRecords>,
    files: u64,
}

impl Merge {
    /// A collector for one file's records, belonging to `series`.
    pub fn for_file(series: &str, index: usize, name: &str) -> Merge {
        Merge {
            file: Some((
                series.to_string(),
                Origin {
                    index,
                    name: Arc::from(name),
                },
                None,
                Vec::new(),
            )),
            ..Merge::default()
        }
    }

    /// Combines two merges.
    pub fn merge(mut self, other: Merge) -> Merge {
        self.files += other.files;
        for (key, (report, days)) in other.series {
            let entry = self.series.entry(key).or_default();
            if entry.0.is_none() {
                entry.0 = report;
            }
            for (date, mut candidates) in days {
                entry.1.entry(date).or_default().append(&mut candidates);
            }
        }
        self
    }

    /// The winner per key (newest refresh date; first in input order among equals) and the
    /// conflicts.
    pub fn into_merged(self) -> Merged {
        let mut series = Vec::new();
        let mut conflicts = Vec::new();
        for ((name, _), (report, days)) in self.series {
            let Some(report) = report else { continue };
            let mut records = Vec::new();
            for (date, mut candidates) in days {
                let newest = candidates.iter().map(|c| c.0).max().flatten();
                candidates.retain(|c| c.0 == newest);
                candidates.sort_by_key(|c| c.2.index);
                let mut rest = candidates.into_iter();
                let Some(winner) = rest.next() else { continue };
                let mut seen: Vec<Vec<Cell>> = vec![winner.1.clone()];
                for other in rest {
                    if !seen.contains(&other.1) {
                        conflicts.push(Conflict {
                            series: name.clone(),
                            report: report.name.clone(),
                            date,
                            refresh: newest,
                            kept: winner.2.clone(),
                            other: other.2.clone(),
                        });
                        seen.push(other.1);
                    }
                }
                records.push(MergedRecord {
                    date,
                    refresh: newest,
                    cells: winner.1,
                    source: winner.2,
                });
            }
            series.push(MergedSeries {
                name,
                report,
                records,
            });
        }
        Merged { series, conflicts }
    }
}

impl RecordSink for Merge {
    fn begin(&mut self, report: &Arc<Report>) {
        if let Some(file) = &mut self.file {
            file.2 = Some(report.clone());
        }
    }

    fn record(&mut self, record: &Record<'_>) {
        let Some(file) = &mut self.file else { return };
        let Some(date) = record.report_date() else {
            return;
        };
        file.3.push((
            date,
            (record.refresh_date(), record.cells.to_vec(), file.1.clone()),
        ));
    }

    fn finish(&mut self, valid: bool) {
        let Some((series, _, Some(report), records)) = self.file.take() else {
            return;
        };
        if !valid {
            return;
        }
        self.files += 1;
        let entry = self
            .series
            .entry((series, report.name.clone()))
            .or_default();
        entry.0 = Some(report);
        for (date, candidate) in records {
            entry.1.entry(date).or_default().push(candidate);
        }
    }
}

/// The winning record of one key.
#[derive(Debug, Clone)]
pub struct MergedRecord {
    /// The report date.
    #[allow(dead_code)] // part of the shared module's API
    pub date: NaiveDate,
    /// The newest refresh date among the files that had this date.
    #[allow(dead_code)]
    pub refresh: Option<NaiveDate>,
    /// The values in the schema's column order.
    pub cells: Vec<Cell>,
    /// The file the kept record came from.
    #[allow(dead_code)]
    pub source: Origin,
}

/// All merged records of one series of one report, oldest date first.
#[derive(Debug, Clone)]
pub struct MergedSeries {
    /// The series name.
    #[allow(dead_code)]
    pub name: String,
    /// The report.
    pub report: Arc<Report>,
    /// One record per report date, ascending.
    pub records: Vec<MergedRecord>,
}

/// Two files with the same refresh date that disagree about a report date.
#[derive(Debug, Clone)]
pub struct Conflict {
    /// The series.
    #[allow(dead_code)]
    pub series: String,
    /// The report's name.
    #[allow(dead_code)]
    pub report: String,
    /// The report date.
    pub date: NaiveDate,
    /// The refresh date both files have.
    pub refresh: Option<NaiveDate>,
    /// The file whose record was kept.
    pub kept: Origin,
    /// The file whose record was dropped.
    pub other: Origin,
}

/// The merge result.
#[derive(Debug, Clone)]
pub struct Merged {
    /// Every series, sorted by (name, report name).
    pub series: Vec<MergedSeries>,
    /// The conflicts, sorted by series, report and date.
    pub conflicts: Vec<Conflict>,
}
