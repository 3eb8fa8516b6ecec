//! Converting exports to the normal form: each input checked with the rules of `validate`
//! while its records stream into the output planned for it ([`crate::write::plan`]), or, when
//! merging, the valid records of every input of one report merged into one output per report.
//!
//! It owns what becomes of each input (an output waiting to be committed, or why there is
//! none) and how merged records are grouped; it knows nothing of flags or printing: the
//! caller gets each input's fate in input order and decides what to say.

use std::collections::HashMap;
use std::path::PathBuf;

use chrono::NaiveDate;
use rayon::prelude::*;

use crate::check::{CheckOptions, FileReport};
use crate::discover::Source;
use crate::merge::{Conflict, Merge, Merged, MergedSeries};
use crate::schema::Registry;
use crate::validate::{check_all, check_source};
use crate::write::{
    Compression, Destination, Durability, Format, Output, Plan, RecordWriter, WriteError,
    WriteOptions,
};

/// What became of one input of a conversion.
#[derive(Debug)]
pub enum Converted {
    /// Valid: its output is complete, waiting to be committed.
    Ready(Ready),
    /// Invalid or unreadable: no output.
    Invalid(FileReport),
    /// Valid, but with no records and no report kind told (a JSON file with no records
    /// names its report only in `@odata.context`, which is not read without a record):
    /// nothing to write.
    Kindless(FileReport),
    /// The output could not be finished.
    Failed(WriteError),
}

/// A complete output and what it holds.
#[derive(Debug)]
pub struct Ready {
    /// The input (or the report, when merging) it comes from.
    pub name: String,
    /// Records written.
    pub records: u64,
    /// The output, not yet visible.
    pub output: Output,
}

/// Checks every planned input in parallel, its good records streaming into a writer for its
/// plan; what became of each, in input order.
pub fn convert_each(
    planned: &[(Source, Plan)],
    registry: &Registry,
    options: &CheckOptions,
    bom: bool,
    durability: Durability,
    compression: Compression,
) -> Vec<Converted> {
    let sources: Vec<Source> = planned.iter().map(|(s, _)| s.clone()).collect();
    let plans: HashMap<usize, &Plan> = planned.iter().map(|(s, p)| (s.index, p)).collect();
    let results = check_all(&sources, registry, options, |source| {
        let (format, destination) = plans
            .get(&source.index)
            // Every source has its plan: `sources` is made from `planned`.
            .map_or((Format::Json, Destination::Stdout), |plan| {
                (plan.format, plan.destination.clone())
            });
        RecordWriter::new(
            WriteOptions {
                format,
                bom,
                durability,
                compression,
            },
            destination,
        )
    });
    results
        .into_iter()
        .map(|(report, mut writer)| {
            let output = writer.take_output(report.report.as_ref());
            if !report.is_valid() {
                return Converted::Invalid(report);
            }
            match output {
                Ok(Some(output)) => Converted::Ready(Ready {
                    name: report.name.clone(),
                    records: report.rows,
                    output,
                }),
                Ok(None) => Converted::Kindless(report),
                Err(e) => Converted::Failed(e),
            }
        })
        .collect()
}

/// Checks every input in parallel into one merge: one series per report kind, each file's
/// records kept only if the file is valid. The merged records and every file's report, in
/// input order.
pub fn check_merged(
    sources: &[Source],
    registry: &Registry,
    options: &CheckOptions,
) -> (Merged, Vec<FileReport>) {
    check_merged_by(sources, registry, options, |_| String::new())
}

/// [`check_merged`] with the series of each input named by `series`: records of different
/// series are merged apart (a [`Partitioning`] by folder).
pub fn check_merged_by(
    sources: &[Source],
    registry: &Registry,
    options: &CheckOptions,
    series: impl Fn(&Source) -> String + Sync,
) -> (Merged, Vec<FileReport>) {
    let options = &options.spread_over(sources);
    // Each file's records are merged in as soon as it is checked (a file collector adds
    // nothing unless its file proved valid), so memory follows the distinct dates, not every
    // row of every file.
    let (merge, reports) = sources
        .par_iter()
        .fold(
            || (Merge::default(), Vec::new()),
            |(mut merge, mut reports), source| {
                let mut collector = Merge::for_file(&series(source), source.index, &source.name);
                let report = check_source(source, registry, options, &mut collector);
                merge.absorb(collector);
                reports.push(report);
                (merge, reports)
            },
        )
        .reduce(
            || (Merge::default(), Vec::new()),
            |(a, mut first), (b, second)| {
                // Folds cover consecutive inputs and are reduced in order: input order.
                first.extend(second);
                (a.merge(b), first)
            },
        );
    (merge.into_merged(), reports)
}

/// The valid files by report kind (`(unknown)` for a file whose kind was not told), kinds
/// and files in input order.
pub fn files_by_report(reports: &[FileReport]) -> Vec<(String, Vec<String>)> {
    let mut kinds: Vec<(String, Vec<String>)> = Vec::new();
    for report in reports.iter().filter(|r| r.is_valid()) {
        let kind = report
            .report
            .as_ref()
            .map_or("(unknown)", |r| r.name.as_str());
        match kinds.iter_mut().find(|(k, _)| k == kind) {
            Some((_, files)) => files.push(report.name.clone()),
            None => kinds.push((kind.to_string(), vec![report.name.clone()])),
        }
    }
    kinds
}

/// Valid inputs of several reports, asked to be merged into one output (`-o FILE` or
/// standard output): the reports and their files, as [`files_by_report`] gives them.
#[derive(Debug, thiserror::Error)]
#[error(
    "cannot merge different reports into one output; use --out-dir for one file per report:{}",
    .0.iter().map(|(kind, files)| format!("\n  {kind}: {}", files.join(", "))).collect::<String>()
)]
pub struct DifferentReports(pub Vec<(String, Vec<String>)>);

/// Refuses to merge the valid files of several reports (`kinds`, from [`files_by_report`])
/// into one output: a merged output holds one report, as a download does.
pub fn one_report(kinds: &[(String, Vec<String>)]) -> Result<(), DifferentReports> {
    if kinds.len() > 1 {
        return Err(DifferentReports(kinds.to_vec()));
    }
    Ok(())
}

/// Conflicts grouped by the pair of files (and refresh date) that disagree, with the dates
/// they disagree about, sorted: overlapping D30 files can disagree on every shared day, and
/// one warning per pair says it better than one per date.
pub fn conflicts_by_pair(conflicts: &[Conflict]) -> Vec<(&Conflict, Vec<NaiveDate>)> {
    let mut pairs: Vec<(&Conflict, Vec<NaiveDate>)> = Vec::new();
    for c in conflicts {
        let same = |p: &&mut (&Conflict, Vec<NaiveDate>)| {
            p.0.kept == c.kept && p.0.other == c.other && p.0.refresh == c.refresh
        };
        match pairs.iter_mut().find(same) {
            Some((_, dates)) => dates.push(c.date),
            None => pairs.push((c, vec![c.date])),
        }
    }
    for (_, dates) in &mut pairs {
        dates.sort();
    }
    pairs
}

/// Writes merged series of one report, newest report date first (within a date, series in
/// order), into a complete output for `destination` (`None`: no series, or no report to
/// write). A report with a dimension is merged into one series per value
/// (`SERIES/Site Type=Team`); its output holds them all again, as a download does.
pub fn series_output(
    series: &[&MergedSeries],
    options: WriteOptions,
    destination: Destination,
) -> Result<Option<Output>, WriteError> {
    let Some(first) = series.first() else {
        return Ok(None);
    };
    let mut writer = RecordWriter::new(options, destination);
    writer.write_series(series);
    writer.take_output(Some(&first.report))
}

/// The merged series by report, reports and series in the merge's order: what one output
/// of `convert --merge` holds.
pub fn series_by_report(merged: &Merged) -> Vec<Vec<&MergedSeries>> {
    let mut groups: Vec<Vec<&MergedSeries>> = Vec::new();
    for series in &merged.series {
        match groups
            .iter_mut()
            .find(|g| g[0].report.name == series.report.name)
        {
            Some(group) => group.push(series),
            None => groups.push(vec![series]),
        }
    }
    groups
}

/// `convert --partition`: merged records written as Hive-style folders that DuckDB, Spark and
/// Fabric read as one table, `report=<report>/part-0.<ext>` or, by series too,
/// `report=<report>/series=<folder>/part-0.<ext>`. A series is the folder holding the
/// inputs, as `--group-by dir` names it ([`Source::folder`]); the records of one report
/// and series are merged as `convert --merge` merges them. A detail report's rows (a user,
/// site, group or team each) are merged by nobody: each of its downloads is converted into
/// a part of its own, `part-0`, `part-1`, ... in input order ([`Partitioning::detail_parts`]).
#[derive(Debug, Clone)]
pub struct Partitioning {
    by_series: bool,
    /// The folders of the inputs, in input order: the series of [`Partitioning::series_of`]
    /// is a position in this list.
    folders: Vec<String>,
    positions: HashMap<String, usize>,
}

impl Partitioning {
    /// Partitions by report, and by series too if `by_series`, for the records of `sources`.
    pub fn new(sources: &[Source], by_series: bool) -> Partitioning {
        let mut folders = Vec::new();
        let mut positions = HashMap::new();
        if by_series {
            for source in sources {
                let folder = source.folder();
                if !positions.contains_key(&folder) {
                    positions.insert(folder.clone(), folders.len());
                    folders.push(folder);
                }
            }
        }
        Partitioning {
            by_series,
            folders,
            positions,
        }
    }

    /// The series to merge `source`'s records into (for [`check_merged_by`]): its folder's
    /// position, a name holding no `/`, since a merge appends a dimension's value after one
    /// (`0/Site Type=Team`) and the partition is what comes before it.
    pub fn series_of(&self, source: &Source) -> String {
        match self.positions.get(&source.folder()) {
            Some(at) if self.by_series => at.to_string(),
            _ => String::new(),
        }
    }

    /// The merged series grouped into partitions, each with its file's path relative to
    /// the output folder; partitions in the merge's order (reports, then folders, by name).
    pub fn partitions<'a>(
        &self,
        merged: &'a Merged,
        format: Format,
    ) -> Vec<(PathBuf, Vec<&'a MergedSeries>)> {
        let mut parts: Vec<(PathBuf, Vec<&'a MergedSeries>)> = Vec::new();
        for series in &merged.series {
            if series.report.entity().is_some() {
                continue; // see `detail_parts`
            }
            let key = series.name.split('/').next().unwrap_or_default();
            let folder = key
                .parse::<usize>()
                .ok()
                .and_then(|at| self.folders.get(at))
                .map_or(key, String::as_str);
            let mut path = self.folder_of(&series.report.name, folder);
            path.push(format!("part-0.{}", format.extension()));
            match parts.iter_mut().find(|(p, _)| *p == path) {
                Some((_, group)) => group.push(series),
                None => parts.push((path, vec![series])),
            }
        }
        parts
    }
}

impl Partitioning {
    /// The partition's folder of `report` and `folder`, relative to the output folder.
    fn folder_of(&self, report: &str, folder: &str) -> PathBuf {
        let mut path = PathBuf::from(format!("report={}", hive_escape(report)));
        if self.by_series {
            path.push(format!("series={}", hive_escape(folder)));
        }
        path
    }

    /// The valid inputs of detail reports among `sources` (checked into `reports`, both in
    /// input order), each with its own part's path relative to the output folder:
    /// `report=R[/series=S]/part-K.<ext>`, K counting the partition's downloads from 0.
    pub fn detail_parts(
        &self,
        sources: &[Source],
        reports: &[FileReport],
        format: Format,
    ) -> Vec<(Source, PathBuf)> {
        let mut counts: HashMap<PathBuf, usize> = HashMap::new();
        let mut parts = Vec::new();
        for report in reports.iter().filter(|r| r.is_valid()) {
            let (Some(kind), Some(source)) = (
                report.report.as_ref().filter(|k| k.entity().is_some()),
                sources.iter().find(|s| s.index == report.index),
            ) else {
                continue;
            };
            let mut path = self.folder_of(&kind.name, &source.folder());
            let count = counts.entry(path.clone()).or_default();
            path.push(format!("part-{count}.{}", format.extension()));
            *count += 1;
            parts.push((source.clone(), path));
        }
        parts
    }
}

/// A value as one level of a Hive-style path (`key=value`): what Hive escapes (`/`, `=`,
/// `%`, `:`, quotes, wildcards, brackets, control characters, and so on) as `%XX`, upper-case hex,
/// as Hive, Spark and DuckDB read it back; an empty value is Hive's
/// `__HIVE_DEFAULT_PARTITION__`.
pub fn hive_escape(value: &str) -> String {
    if value.is_empty() {
        return "__HIVE_DEFAULT_PARTITION__".to_string();
    }
    let mut out = String::with_capacity(value.len());
    for c in value.chars() {
        let escaped = matches!(
            c,
            '"' | '#'
                | '%'
                | '\''
                | '*'
                | '/'
                | ':'
                | '='
                | '?'
                | '\\'
                | '\u{7f}'
                | '{'
                | '}'
                | '['
                | ']'
                | '^'
        ) || c < ' ';
        if escaped {
            out.push_str(&format!("%{:02X}", c as u32));
        } else {
            out.push(c);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hive_escape_keeps_plain_names_and_escapes_path_characters() {
        assert_eq!(hive_escape("tenant-0001"), "tenant-0001");
        assert_eq!(hive_escape("tenants/a b"), "tenants%2Fa b");
        assert_eq!(hive_escape("x=1%"), "x%3D1%25");
        assert_eq!(hive_escape("C:\\t\n"), "C%3A%5Ct%0A");
        assert_eq!(hive_escape(""), "__HIVE_DEFAULT_PARTITION__");
        assert_eq!(hive_escape("."), ".");
    }
}
