//! `archive export`: the held records of one series of one report, read back as a merge and
//! written in the normal form by the writers of `convert`. It owns the choice of that one
//! series (a Graph-form file has no series column, so one file holds one series of one
//! report and the export stays a valid input for validate, trend and archive add) and the
//! refusal of a selection holding several; it knows nothing of flags or printing.

use std::path::Path;

use super::query::Selection;
use super::{Access, Archive, ArchiveError};
use crate::convert::series_output;
use crate::schema::Registry;
use crate::trend::short_name;
use crate::write::{Destination, WriteError, WriteOptions};

/// What to export and where.
#[derive(Debug, Clone)]
pub struct Export {
    /// The report (any name the registry knows), the series and the dates to take.
    pub selection: Selection,
    /// Format, byte-order mark and durability of the output.
    pub options: WriteOptions,
    /// Standard output or a file (checked beforehand with [`check_output`](super::check_output)).
    pub destination: Destination,
    /// Replace an existing output file.
    pub force: bool,
}

/// What was exported.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Exported {
    /// Nothing held matches the selection; no output was written.
    Nothing,
    /// One series written.
    Series {
        /// The report's type name.
        report: String,
        /// The series.
        series: String,
        /// Records written.
        records: usize,
    },
}

/// Why nothing was exported.
#[derive(Debug, thiserror::Error)]
pub enum ExportError {
    /// The selection names a report the registry does not know.
    #[error("no report named `{0}`; `m365report schemas` lists them")]
    UnknownReport(String),
    /// The archive could not be read.
    #[error(transparent)]
    Archive(#[from] ArchiveError),
    /// The selection holds several series: the `--report`/`--series` pairs of each.
    #[error("the selection holds {} series; export one at a time: {}", .0.len(), .0.join(", "))]
    SeveralSeries(Vec<String>),
    /// The output could not be written.
    #[error(transparent)]
    Write(#[from] WriteError),
}

/// Reads the series of `db` that `export.selection` picks and writes it, newest report date
/// first, as `convert --merge` does. Fails on a report the registry does not know, an
/// archive that cannot be read, a selection of several series or a failed write.
pub fn export(db: &Path, registry: &Registry, export: &Export) -> Result<Exported, ExportError> {
    let mut selection = export.selection.clone();
    if let Some(name) = &selection.report {
        let report = registry
            .find(name)
            .ok_or_else(|| ExportError::UnknownReport(name.clone()))?;
        selection.report = Some(report.name.clone());
    }
    let merged = Archive::open(db, Access::Read)?.merged(registry, &selection)?;
    let series = match merged.series.as_slice() {
        [] => return Ok(Exported::Nothing),
        [one] => one,
        many => {
            let names = many
                .iter()
                .map(|s| format!("--report {} --series {}", short_name(&s.report), s.name))
                .collect();
            return Err(ExportError::SeveralSeries(names));
        }
    };
    if let Some(output) = series_output(&[series], export.options, export.destination.clone())? {
        output.commit(export.force)?;
    }
    Ok(Exported::Series {
        report: series.report.name.clone(),
        series: series.name.clone(),
        records: series.records.len(),
    })
}
