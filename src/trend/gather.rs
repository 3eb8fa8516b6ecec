//! Gathering the records of many exports for a trend: every file checked in parallel, its
//! records collected into a per-file [`Merge`] that keeps them only if the file proves
//! valid, under the series its [`SeriesBy`] names; the invalid files' reports and the counts
//! kept for the summary. It owns the series a file's records join; it knows nothing of flags
//! or printing.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use rayon::prelude::*;

use super::snapshot::{self, Summing};
use super::{short_name, TrendOptions};
use crate::check::{CheckOptions, FileReport};
use crate::diagnostic::Code;
use crate::discover::Source;
use crate::merge::Merge;
use crate::record::{Fork, Record, RecordSink};
use crate::schema::{Registry, Report};
use crate::validate::check_source;

/// Which series a file's records join.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SeriesBy {
    /// One series per report kind, named by the report's short name.
    Report,
    /// One series per folder holding the files (and report kind).
    Folder,
}

/// How a trend's files are gathered.
#[derive(Debug, Clone, Copy)]
pub struct Gathering {
    /// Which series a file's records join.
    pub series_by: SeriesBy,
    /// `--strict`: the files not yet started when one proves invalid are not read.
    pub stop_at_invalid: bool,
    /// Keep the valid files' reports too (their warnings and notes), as `report` shows
    /// them, rather than reading every file a second time to validate it.
    pub keep_valid: bool,
}

/// What checking every file gathered: the merge, the invalid files' reports (for their
/// diagnostics, in input order) and counts. Valid files leave only their records and a
/// count, unless [`Gathering::keep_valid`] asks for their reports.
#[derive(Default)]
pub struct Gathered {
    /// The valid files' records.
    pub merge: Merge,
    /// The reports of the invalid files, in input order.
    pub invalid: Vec<FileReport>,
    /// With [`Gathering::keep_valid`], the reports of the valid files, in input order.
    pub valid: Vec<FileReport>,
    /// Files checked.
    pub files: usize,
    /// Warnings in all files.
    pub warnings: u64,
    /// Whether some file could not be read.
    pub io_error: bool,
    /// Files whose report kind was assumed (I001).
    pub assumed: usize,
    /// The first of those, in input order.
    pub first_assumed: Option<FileReport>,
    /// Files not checked because `stop_at_invalid` found an invalid one first.
    pub not_checked: usize,
}

/// Checks every source in parallel, folding each file's records into a per-thread merge;
/// `done` is called once per file checked. With `stop_at_invalid` (`--strict`), the files
/// not yet started when one proves invalid are not read: the run is pointless.
pub fn gather(
    sources: &[Source],
    registry: &Registry,
    (options, trend): (&CheckOptions, &TrendOptions),
    how: Gathering,
    done: &(dyn Fn() + Sync),
) -> Gathered {
    let Gathering {
        series_by,
        stop_at_invalid,
        keep_valid,
    } = how;
    let options = &options.spread_over(sources);
    let stop = AtomicBool::new(false);
    let mut gathered = sources
        .par_iter()
        .fold(Gathered::default, |mut pass, source| {
            if stop_at_invalid && stop.load(Ordering::Relaxed) {
                options.dequeue();
                pass.not_checked += 1;
                return pass;
            }
            let mut sink = FileSink {
                source,
                series_by,
                trend,
                merge: None,
                summing: None,
            };
            let report = check_source(source, registry, options, &mut sink);
            if !report.is_valid() {
                stop.store(true, Ordering::Relaxed);
            }
            done();
            pass.add(report, sink, keep_valid)
        })
        .reduce(Gathered::default, Gathered::join);
    gathered.invalid.sort_by_key(|r| r.index);
    gathered.valid.sort_by_key(|r| r.index);
    gathered
}

/// The sink for one file: picks the series once the report kind is known, then collects
/// the file's records into a per-file [`Merge`] that keeps them only if the file is valid.
struct FileSink<'a> {
    source: &'a Source,
    series_by: SeriesBy,
    trend: &'a TrendOptions,
    merge: Option<Merge>,
    /// For a detail report: its rows summed into one record for `merge`.
    summing: Option<Summing>,
}

impl RecordSink for FileSink<'_> {
    fn begin(&mut self, report: &Arc<Report>) {
        let series = match self.series_by {
            SeriesBy::Folder => self.source.folder(),
            SeriesBy::Report => short_name(report).to_string(),
        };
        let mut merge = Merge::for_file(&series, self.source.index, &self.source.name);
        let metrics = self.trend.metrics_of(report);
        if snapshot::sums(report, &metrics) {
            self.summing = Some(Summing::new(report.clone(), &metrics, merge));
            return;
        }
        merge.begin(report);
        self.merge = Some(merge);
    }

    fn record(&mut self, record: &Record<'_>) {
        if let Some(summing) = &mut self.summing {
            summing.record(record);
        } else if let Some(merge) = &mut self.merge {
            merge.record(record);
        }
    }

    fn fork(&mut self) -> Option<Box<dyn Fork>> {
        self.summing.as_mut()?.fork()
    }

    fn join(&mut self, fork: &mut dyn Fork) -> bool {
        self.summing.as_mut().is_some_and(|s| s.join(fork))
    }

    fn finish(&mut self, valid: bool) {
        if let Some(mut summing) = self.summing.take() {
            summing.finish(valid);
            self.merge = Some(summing.into_merge());
        } else if let Some(merge) = &mut self.merge {
            merge.finish(valid);
        }
    }
}

impl Gathered {
    /// When some file's report kind was assumed (I001): which files (the first one's name,
    /// or `N files`) and the first one's message, for one note instead of one per file.
    pub fn assumed_note(&self) -> Option<(String, &str)> {
        let first = self.first_assumed.as_ref()?;
        let finding = first
            .findings
            .iter()
            .find(|f| f.code == Code::ReportAssumed)?;
        let which = if self.assumed == 1 {
            first.name.clone()
        } else {
            format!("{} files", self.assumed)
        };
        Some((which, &finding.message))
    }

    fn add(mut self, report: FileReport, sink: FileSink<'_>, keep_valid: bool) -> Gathered {
        self.files += 1;
        self.warnings += report.warnings;
        self.io_error |= report.io_error;
        if let Some(merge) = sink.merge {
            self.merge.absorb(merge);
        }
        if report
            .findings
            .iter()
            .any(|f| f.code == Code::ReportAssumed)
        {
            self.assumed += 1;
            if self
                .first_assumed
                .as_ref()
                .is_none_or(|f| report.index < f.index)
            {
                self.first_assumed = Some(report.clone());
            }
        }
        if !report.is_valid() {
            self.invalid.push(report);
        } else if keep_valid {
            self.valid.push(report);
        }
        self
    }

    fn join(mut self, other: Gathered) -> Gathered {
        self.merge = self.merge.merge(other.merge);
        self.invalid.extend(other.invalid);
        self.valid.extend(other.valid);
        self.files += other.files;
        self.warnings += other.warnings;
        self.io_error |= other.io_error;
        self.assumed += other.assumed;
        if let Some(o) = other.first_assumed {
            if self
                .first_assumed
                .as_ref()
                .is_none_or(|f| o.index < f.index)
            {
                self.first_assumed = Some(o);
            }
        }
        self.not_checked += other.not_checked;
        self
    }
}
