//! What `archive add` does before it writes: every input hashed first (a file whose SHA-256
//! the archive already holds is skipped without being parsed, so re-adding a folder daily is
//! cheap), the rest checked in parallel into one order-independent [`Merge`] as a trend's
//! files are, each valid file described by the [`FileEntry`] the archive records. Writing
//! the result is [`Archive::ingest`](super::Archive::ingest), in one transaction.

use std::collections::HashSet;
use std::path::Path;
use std::sync::Arc;

use chrono::NaiveDate;
use rayon::prelude::*;

use super::ingest::{EntityRows, FileEntry, Ingested};
use super::{archive_file_test, sha256_file, values_json, Archive, ArchiveError};
use crate::check::{CheckOptions, FileReport};
use crate::discover::{io_message, Input, Source};
use crate::merge::Merge;
use crate::record::{Record, RecordSink};
use crate::schema::{Registry, Report};
use crate::trend::gather::SeriesBy;
use crate::trend::short_name;
use crate::validate::check_source;

/// What checking the inputs of `archive add` gathered.
#[derive(Default)]
pub struct Checked {
    /// The valid files' records.
    pub merge: Merge,
    /// The valid files, in input order.
    pub files: Vec<FileEntry>,
    /// The rows of the valid detail files (a row per entity), in input order.
    pub entities: Vec<EntityRows>,
    /// The reports of the invalid files, in input order.
    pub invalid: Vec<FileReport>,
    /// Inputs that could not be hashed (or standard input): name and why.
    pub unreadable: Vec<(String, String)>,
    /// Inputs skipped because the archive holds their bytes already.
    pub skipped: usize,
    /// Inputs checked.
    pub checked: usize,
}

/// Hashes every source and checks those whose hash is not in `known`, in parallel; `done`
/// is called once per source.
pub fn check_new(
    sources: &[Source],
    known: &HashSet<String>,
    registry: &Registry,
    options: &CheckOptions,
    series_by: SeriesBy,
    done: &(dyn Fn() + Sync),
) -> Checked {
    let options = &options.spread_over(sources);
    let mut checked = sources
        .par_iter()
        .fold(Checked::default, |pass, source| {
            let pass = pass.hash_and_check(source, known, registry, options, series_by);
            done();
            pass
        })
        .reduce(Checked::default, Checked::join);
    checked.invalid.sort_by_key(|r| r.index);
    checked.files.sort_by_key(|f| f.index);
    checked.entities.sort_by_key(|f| f.index);
    checked
}

/// Removes from `sources` the archive at `db` and the files SQLite keeps beside it: under a
/// folder being added, with a report's extension (`--db downloads/archive.json`), it is not
/// an export, and reading it would report a binary file and make the run fail.
pub fn drop_archive_files(sources: &mut Vec<Source>, db: &Path) {
    let is_archive = archive_file_test(db);
    sources.retain(|s| match &s.input {
        Input::Path(p) => !is_archive(p),
        Input::Stdin => true,
    });
}

/// The sink for one file: a per-file [`Merge`] like a trend's, plus the newest refresh date;
/// for a detail report, its rows by entity.
struct FileSink<'a> {
    source: &'a Source,
    series_by: SeriesBy,
    merge: Option<Merge>,
    series: String,
    refresh: Option<NaiveDate>,
    /// A detail report's rows: (entity, JSON), or `None` for other reports.
    entities: Option<(Arc<Report>, EntityList)>,
}

/// A detail file's rows as the archive stores them: (entity, the row in JSON).
type EntityList = Vec<(String, String)>;

impl RecordSink for FileSink<'_> {
    fn begin(&mut self, report: &Arc<Report>) {
        self.series = match self.series_by {
            SeriesBy::Folder => self.source.folder(),
            SeriesBy::Report => short_name(report).to_string(),
        };
        let mut merge = Merge::for_file(&self.series, self.source.index, &self.source.name);
        merge.begin(report);
        self.merge = Some(merge);
        if report.entity().is_some() && report.report_date().is_none() {
            self.entities = Some((report.clone(), Vec::new()));
        }
    }

    fn record(&mut self, record: &Record<'_>) {
        self.refresh = self.refresh.max(record.refresh_date());
        if let Some((report, rows)) = &mut self.entities {
            if let Some(i) = report.entity() {
                let mut entity = String::new();
                record.cells[i].write_text(&report.columns[i].kind, &mut entity);
                rows.push((entity, values_json(report, record.cells)));
            }
        }
        if let Some(merge) = &mut self.merge {
            merge.record(record);
        }
    }

    fn finish(&mut self, valid: bool) {
        if let Some(merge) = &mut self.merge {
            merge.finish(valid);
        }
    }
}

impl Checked {
    /// Whether some input was invalid or could not be read: `--strict` stores nothing then.
    pub fn any_refused(&self) -> bool {
        !self.invalid.is_empty() || !self.unreadable.is_empty()
    }

    /// Stores the valid files' records in one transaction; with `strict`, nothing (`None`)
    /// when [`any_refused`](Checked::any_refused). Fails as [`Archive::ingest`] does.
    pub fn store(
        self,
        archive: &mut Archive,
        strict: bool,
    ) -> Result<Option<Ingested>, ArchiveError> {
        if strict && self.any_refused() {
            return Ok(None);
        }
        let merged = self.merge.into_merged();
        archive
            .ingest(&self.files, &merged, &self.entities)
            .map(Some)
    }

    /// Hashes one input and, unless the archive already holds it, checks it into `self`.
    fn hash_and_check(
        mut self,
        source: &Source,
        known: &HashSet<String>,
        registry: &Registry,
        options: &CheckOptions,
        series_by: SeriesBy,
    ) -> Checked {
        let Input::Path(path) = &source.input else {
            options.dequeue();
            self.unreadable.push((
                source.name.clone(),
                "standard input cannot be archived (it has no file to name); save it first".into(),
            ));
            return self;
        };
        let sha256 = match sha256_file(path) {
            Ok(h) => h,
            Err(e) => {
                options.dequeue();
                self.unreadable.push((source.name.clone(), io_message(&e)));
                return self;
            }
        };
        if known.contains(&sha256) {
            options.dequeue();
            self.skipped += 1;
            return self;
        }
        let mut sink = FileSink {
            source,
            series_by,
            merge: None,
            series: String::new(),
            refresh: None,
            entities: None,
        };
        let report = check_source(source, registry, options, &mut sink);
        self.checked += 1;
        if let Some(merge) = sink.merge {
            self.merge.absorb(merge);
        }
        if let (Some((_, rows)), Some(refresh), true) =
            (sink.entities.take(), sink.refresh, report.is_valid())
        {
            self.entities.push(EntityRows {
                index: source.index,
                report: report
                    .report
                    .as_ref()
                    .map_or(String::new(), |r| r.name.clone()),
                series: sink.series.clone(),
                refresh,
                rows,
            });
        }
        match (&report.report, report.is_valid()) {
            (Some(kind), true) => self.files.push(FileEntry {
                index: source.index,
                path: source.name.clone(),
                sha256,
                report: kind.name.clone(),
                series: sink.series,
                refresh: sink.refresh,
                rows: report.rows,
            }),
            _ => self.invalid.push(report),
        }
        self
    }

    fn join(mut self, other: Checked) -> Checked {
        self.merge = self.merge.merge(other.merge);
        self.files.extend(other.files);
        self.entities.extend(other.entities);
        self.invalid.extend(other.invalid);
        self.unreadable.extend(other.unreadable);
        self.skipped += other.skipped;
        self.checked += other.checked;
        self
    }
}
