//! Reading the archive back: what it holds per series ([`Archive::status`]) and its records
//! as a [`Merged`] ([`Archive::merged`]), the form `trend` and export consume, so a trend from
//! the archive is computed by the same code as a trend from the files.

use std::collections::BTreeMap;
use std::sync::Arc;

use chrono::NaiveDate;
use rusqlite::params;

use super::{cells_from_json, Archive, ArchiveError};
use crate::merge::{Conflict, Merge, Merged, MergedRecord, MergedSeries, Origin};
use crate::record::{Record, RecordSink};
use crate::schema::{Registry, Report};
use crate::trend::snapshot::{self, Summing};
use crate::trend::{DateRange, TrendOptions};

/// Which records to read; `None` takes all.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Selection {
    /// Only this report (its type name).
    pub report: Option<String>,
    /// Only this series.
    pub series: Option<String>,
    /// First report date, inclusive.
    pub since: Option<NaiveDate>,
    /// Last report date, inclusive.
    pub until: Option<NaiveDate>,
}

/// What the archive holds for one series of one report.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SeriesStatus {
    /// The report's type name.
    pub report: String,
    /// The series.
    pub series: String,
    /// The first report date held.
    pub first_date: Option<NaiveDate>,
    /// The last report date held.
    pub last_date: Option<NaiveDate>,
    /// Report dates held.
    pub days: u64,
    /// Calendar days between the first and last that are not held.
    pub missing: Vec<DateRange>,
    /// The newest refresh date of any record held.
    pub newest_refresh: Option<NaiveDate>,
    /// Files ingested into the series.
    pub files: u64,
    /// Conflicts recorded for the series.
    pub conflicts: u64,
}

/// A report with a dimension, or a snapshot report, files its downloads under the base
/// series (`S`) and holds its days under one series per value or period (`S/Site
/// Type=Team`): the base row, with no day of its own, gives its file count to each of
/// those and is left out, so every row says what it holds. `rows` are sorted by report and
/// series, so a base series comes right before its own.
fn fold_base_series(rows: Vec<SeriesStatus>) -> Vec<SeriesStatus> {
    let under = |row: &SeriesStatus, base: &SeriesStatus| {
        row.report == base.report
            && (row.series.strip_prefix(base.series.as_str())).is_some_and(|r| r.starts_with('/'))
    };
    let mut out: Vec<SeriesStatus> = Vec::with_capacity(rows.len());
    // A row with no day, kept back until it is known whether series of its own follow.
    let mut base: Option<(SeriesStatus, bool)> = None;
    for mut row in rows {
        if let Some((b, folded)) = &mut base {
            if under(&row, b) {
                if row.files == 0 {
                    row.files = b.files;
                }
                *folded = true;
                out.push(row);
                continue;
            }
        }
        if let Some((b, false)) = base.take() {
            out.push(b);
        }
        if row.days == 0 && row.conflicts == 0 {
            base = Some((row, false));
        } else {
            out.push(row);
        }
    }
    if let Some((b, false)) = base {
        out.push(b);
    }
    out
}

fn parse_day(text: Option<String>) -> Option<NaiveDate> {
    text.and_then(|t| NaiveDate::parse_from_str(&t, "%Y-%m-%d").ok())
}

impl Archive {
    /// Per (report, series): the dates held (a detail report's: the refresh dates of its
    /// downloads), the gaps, the newest refresh and the file count; sorted by report, then
    /// series.
    pub fn status(&self) -> Result<Vec<SeriesStatus>, ArchiveError> {
        let e = |source| self.error(source);
        let mut out: BTreeMap<(String, String), SeriesStatus> = BTreeMap::new();
        let mut stmt = self
            .conn
            .prepare(
                // A detail report's dates are the refresh dates of its downloads held.
                "SELECT report, series, report_date, refresh_date FROM records
                 UNION ALL
                 SELECT DISTINCT report, series, refresh_date, refresh_date FROM entities
                 ORDER BY 1, 2, 3",
            )
            .map_err(e)?;
        let mut rows = stmt.query([]).map_err(e)?;
        while let Some(row) = rows.next().map_err(e)? {
            let report: String = row.get(0).map_err(e)?;
            let series: String = row.get(1).map_err(e)?;
            let Some(day) = parse_day(row.get(2).map_err(e)?) else {
                continue;
            };
            let refresh = parse_day(row.get(3).map_err(e)?);
            let s = out
                .entry((report.clone(), series.clone()))
                .or_insert_with(|| empty(report, series));
            if let Some(last) = s.last_date {
                if (day - last).num_days() > 1 {
                    s.missing.push(DateRange {
                        from: last + chrono::Duration::days(1),
                        to: day - chrono::Duration::days(1),
                    });
                }
            }
            s.first_date = s.first_date.or(Some(day));
            s.last_date = Some(day);
            s.days += 1;
            s.newest_refresh = s.newest_refresh.max(refresh);
        }
        for (table, set) in [
            (
                "SELECT report, series, COUNT(*) FROM files GROUP BY report, series",
                0,
            ),
            (
                "SELECT report, series, COUNT(*) FROM conflicts GROUP BY report, series",
                1,
            ),
        ] {
            let mut stmt = self.conn.prepare(table).map_err(e)?;
            let mut rows = stmt.query([]).map_err(e)?;
            while let Some(row) = rows.next().map_err(e)? {
                let report: String = row.get(0).map_err(e)?;
                let series: String = row.get(1).map_err(e)?;
                let n: i64 = row.get(2).map_err(e)?;
                let s = out
                    .entry((report.clone(), series.clone()))
                    .or_insert_with(|| empty(report, series));
                let n = u64::try_from(n).unwrap_or(0);
                if set == 0 {
                    s.files = n;
                } else {
                    s.conflicts = n;
                }
            }
        }
        Ok(fold_base_series(out.into_values().collect()))
    }

    /// The type names of the reports the archive holds records of, sorted.
    pub fn reports(&self) -> Result<Vec<String>, ArchiveError> {
        let e = |source| self.error(source);
        let mut stmt = self
            .conn
            .prepare("SELECT DISTINCT report FROM records ORDER BY report")
            .map_err(e)?;
        let reports = stmt
            .query_map([], |row| row.get(0))
            .map_err(e)?
            .collect::<Result<Vec<String>, _>>()
            .map_err(e)?;
        Ok(reports)
    }

    /// The selected records as a [`Merged`]: series sorted by (name, report), one record per
    /// report date, file origins named by their stored paths (their index is the file id), and
    /// the recorded conflicts. Reports must be known to `registry` to type the values.
    pub fn merged(
        &self,
        registry: &Registry,
        selection: &Selection,
    ) -> Result<Merged, ArchiveError> {
        let e = |source| self.error(source);
        let mut paths: BTreeMap<i64, Arc<str>> = BTreeMap::new();
        let mut files: BTreeMap<(String, String), u64> = BTreeMap::new();
        {
            let mut stmt = self
                .conn
                .prepare("SELECT id, path, report, series FROM files")
                .map_err(e)?;
            let mut rows = stmt.query([]).map_err(e)?;
            while let Some(row) = rows.next().map_err(e)? {
                let id: i64 = row.get(0).map_err(e)?;
                let path: String = row.get(1).map_err(e)?;
                paths.insert(id, Arc::from(path));
                *files
                    .entry((row.get(3).map_err(e)?, row.get(2).map_err(e)?))
                    .or_default() += 1;
            }
        }
        let origin = |id: i64| Origin {
            index: usize::try_from(id).unwrap_or(usize::MAX),
            name: paths.get(&id).cloned().unwrap_or_else(|| Arc::from("")),
        };
        let report_of = |name: &str| -> Result<Arc<Report>, ArchiveError> {
            registry
                .find(name)
                .cloned()
                .ok_or_else(|| ArchiveError::UnknownReport(name.to_string()))
        };
        let since = selection.since.map(|d| d.to_string());
        let until = selection.until.map(|d| d.to_string());
        let filter = "(?1 IS NULL OR report = ?1) AND (?2 IS NULL OR series = ?2)
                      AND (?3 IS NULL OR report_date >= ?3) AND (?4 IS NULL OR report_date <= ?4)";
        let mut series: Vec<MergedSeries> = Vec::new();
        {
            let mut stmt = self
                .conn
                .prepare(&format!(
                    "SELECT series, report, report_date, refresh_date, file_id, values_json
                     FROM records WHERE {filter} ORDER BY series, report, report_date"
                ))
                .map_err(e)?;
            let mut rows = stmt
                .query(params![selection.report, selection.series, since, until])
                .map_err(e)?;
            while let Some(row) = rows.next().map_err(e)? {
                let name: String = row.get(0).map_err(e)?;
                let report: String = row.get(1).map_err(e)?;
                let day: String = row.get(2).map_err(e)?;
                let bad = |why: String| ArchiveError::BadRecord {
                    report: report.clone(),
                    date: day.clone(),
                    why,
                };
                let Some(date) = parse_day(Some(day.clone())) else {
                    return Err(bad("the report date is not YYYY-MM-DD".into()));
                };
                let refresh = parse_day(row.get(3).map_err(e)?);
                let file_id: i64 = row.get(4).map_err(e)?;
                let json: String = row.get(5).map_err(e)?;
                let same = series
                    .last()
                    .is_some_and(|s| s.name == name && s.report.name == report);
                if !same {
                    let files = files
                        .get(&(name.clone(), report.clone()))
                        .copied()
                        .unwrap_or(0);
                    series.push(MergedSeries::new(name.clone(), report_of(&report)?, files));
                }
                let Some(s) = series.last_mut() else { continue };
                let cells = cells_from_json(&s.report, &json).map_err(bad)?;
                s.push(
                    MergedRecord {
                        date,
                        refresh,
                        source: origin(file_id),
                    },
                    &cells,
                );
            }
        }
        let mut conflicts = Vec::new();
        {
            let mut stmt = self
                .conn
                .prepare(&format!(
                    "SELECT series, report, report_date, refresh_date, kept_file_id,
                       other_file_id, other_values
                     FROM conflicts WHERE {filter}
                     ORDER BY series, report, report_date, other_file_id, id"
                ))
                .map_err(e)?;
            let mut rows = stmt
                .query(params![selection.report, selection.series, since, until])
                .map_err(e)?;
            while let Some(row) = rows.next().map_err(e)? {
                let report: String = row.get(1).map_err(e)?;
                let day: Option<String> = row.get(2).map_err(e)?;
                let Some(date) = parse_day(day) else { continue };
                let json: String = row.get(6).map_err(e)?;
                let other_cells = report_of(&report)
                    .ok()
                    .and_then(|r| cells_from_json(&r, &json).ok())
                    .unwrap_or_default();
                conflicts.push(Conflict {
                    series: row.get(0).map_err(e)?,
                    report,
                    date,
                    refresh: parse_day(row.get(3).map_err(e)?),
                    kept: origin(row.get(4).map_err(e)?),
                    other: origin(row.get(5).map_err(e)?),
                    other_cells,
                });
            }
        }
        Ok(Merged { series, conflicts })
    }
}

/// One download of a detail report held in the archive, as [`Archive::each_detail_row`]
/// hands its rows over.
#[derive(Debug, Clone)]
pub struct StoredDownload {
    /// The report.
    pub report: Arc<Report>,
    /// The series its file was added under.
    pub series: String,
    /// Its refresh date, `YYYY-MM-DD`.
    pub refresh: String,
    /// The id of the file stored for it (`files.id`).
    pub file_id: i64,
    /// That file's path as it was added.
    pub path: String,
}

impl Archive {
    /// Calls `each` with every stored detail row of the selection, typed by its report, in
    /// order of report, series, refresh date and entity: the rows of one download come
    /// together, the first of each with `first` set. `since`/`until` cut refresh dates.
    pub fn each_detail_row(
        &self,
        registry: &Registry,
        selection: &Selection,
        mut each: impl FnMut(&StoredDownload, &Record<'_>, bool),
    ) -> Result<(), ArchiveError> {
        let e = |source| self.error(source);
        let since = selection.since.map(|d| d.to_string());
        let until = selection.until.map(|d| d.to_string());
        let mut stmt = self
            .conn
            .prepare(
                "SELECT e.report, e.series, e.refresh_date, e.file_id, f.path, e.values_json
                 FROM entities e JOIN files f ON f.id = e.file_id
                 WHERE (?1 IS NULL OR e.report = ?1) AND (?2 IS NULL OR e.series = ?2)
                   AND (?3 IS NULL OR e.refresh_date >= ?3) AND (?4 IS NULL OR e.refresh_date <= ?4)
                 ORDER BY e.report, e.series, e.refresh_date, e.entity",
            )
            .map_err(e)?;
        let mut rows = stmt
            .query(params![selection.report, selection.series, since, until])
            .map_err(e)?;
        let mut current: Option<StoredDownload> = None;
        while let Some(row) = rows.next().map_err(e)? {
            let (report, series, refresh): (String, String, String) = (
                row.get(0).map_err(e)?,
                row.get(1).map_err(e)?,
                row.get(2).map_err(e)?,
            );
            let same = current.as_ref().is_some_and(|c| {
                c.report.name == report && c.series == series && c.refresh == refresh
            });
            if !same {
                current = Some(StoredDownload {
                    report: registry
                        .find(&report)
                        .cloned()
                        .ok_or_else(|| ArchiveError::UnknownReport(report.clone()))?,
                    series,
                    refresh,
                    file_id: row.get(3).map_err(e)?,
                    path: row.get(4).map_err(e)?,
                });
            }
            let Some(download) = current.as_ref() else {
                continue;
            };
            let json: String = row.get(5).map_err(e)?;
            let cells = cells_from_json(&download.report, &json).map_err(|why| {
                ArchiveError::BadRecord {
                    report: download.report.name.clone(),
                    date: download.refresh.clone(),
                    why,
                }
            })?;
            each(
                download,
                &Record {
                    report: &download.report,
                    line: 0,
                    cells: &cells,
                },
                !same,
            );
        }
        Ok(())
    }

    /// The selected detail reports' downloads, each summed as `trend` sums a detail file
    /// (see [`Summing`]) under `options`' metrics: one record per download, merged by refresh
    /// date with its period in the series. `since`/`until` cut refresh dates.
    pub fn detail_merged(
        &self,
        registry: &Registry,
        selection: &Selection,
        options: &TrendOptions,
    ) -> Result<Merged, ArchiveError> {
        let mut total = Merge::new();
        // The sink of the download being summed; `None` for a report without metrics.
        let mut current: Option<Summing> = None;
        let finish = |total: &mut Merge, summing: Option<Summing>| {
            if let Some(mut summing) = summing {
                summing.finish(true);
                total.absorb(summing.into_merge());
            }
        };
        self.each_detail_row(registry, selection, |download, record, first| {
            if first {
                finish(&mut total, current.take());
                let metrics = options.metrics_of(&download.report);
                current = snapshot::sums(&download.report, &metrics).then(|| {
                    let merge = Merge::for_file(
                        &download.series,
                        usize::try_from(download.file_id).unwrap_or(usize::MAX),
                        &download.path,
                    );
                    Summing::new(download.report.clone(), &metrics, merge)
                });
            }
            if let Some(summing) = current.as_mut() {
                summing.record(record);
            }
        })?;
        finish(&mut total, current.take());
        Ok(total.into_merged())
    }
}

fn empty(report: String, series: String) -> SeriesStatus {
    SeriesStatus {
        report,
        series,
        first_date: None,
        last_date: None,
        days: 0,
        missing: Vec::new(),
        newest_refresh: None,
        files: 0,
        conflicts: 0,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(report: &str, series: &str, days: u64, files: u64, conflicts: u64) -> SeriesStatus {
        SeriesStatus {
            days,
            files,
            conflicts,
            ..empty(report.into(), series.into())
        }
    }

    #[test]
    fn a_base_series_without_days_gives_its_files_to_its_own_series_and_goes() {
        let rows = vec![
            row("a", "a", 0, 3, 0),
            row("a", "a/Site Type=Team", 7, 0, 0),
            row("a", "a/Site Type=Other", 7, 0, 0),
            row("b", "b", 0, 2, 0),
            row("b", "bb", 5, 1, 0),
            row("c", "c", 0, 4, 1),
            row("c", "c/Report Period=7", 1, 0, 0),
            row("d", "d", 0, 1, 0),
        ];
        let folded = fold_base_series(rows);
        let got: Vec<(&str, u64, u64)> = (folded.iter())
            .map(|s| (s.series.as_str(), s.days, s.files))
            .collect();
        assert_eq!(
            got,
            [
                ("a/Site Type=Team", 7, 3),
                ("a/Site Type=Other", 7, 3),
                // Not a series of b's own: b stays, with nothing to give.
                ("b", 0, 2),
                ("bb", 5, 1),
                // Conflicts recorded on the base series: it stays.
                ("c", 0, 4),
                ("c/Report Period=7", 1, 0),
                ("d", 0, 1),
            ]
        );
    }
}
