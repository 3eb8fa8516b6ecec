//! Writing one run's merged records into the archive, in one transaction.
//!
//! The caller checks files in parallel and merges their records with
//! [`Merge`](crate::merge::Merge) (order-independent, memory bounded by distinct days); this
//! module then writes from one thread: the files, the per-report views, each merged record
//! against what the archive already holds, and the conflicts. Within a run the merge decides
//! which record is first (input order); across runs the record already in the archive is
//! first, so re-adding files never changes a kept record on a tie.

use std::collections::{BTreeMap, HashMap, HashSet};

use chrono::NaiveDate;
use rusqlite::{params, OptionalExtension, TransactionBehavior};

use super::{cells_from_json, values_json, view_sql, Archive, ArchiveError};
use crate::merge::{same_values, Merged};
use crate::schema::Report;

/// One valid file to record in `files`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileEntry {
    /// Position in input order ([`Source::index`](crate::discover::Source::index)), the key
    /// the merge's origins use.
    pub index: usize,
    /// The path as shown to the user.
    pub path: String,
    /// SHA-256 of the bytes, lowercase hex.
    pub sha256: String,
    /// The report's type name.
    pub report: String,
    /// The series the file belongs to.
    pub series: String,
    /// The newest refresh date among its records.
    pub refresh: Option<NaiveDate>,
    /// Records read from it.
    pub rows: u64,
}

/// A conflict written to the `conflicts` table, for the warning.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredConflict {
    /// The report's type name.
    pub report: String,
    /// The series.
    pub series: String,
    /// The report date.
    pub date: NaiveDate,
    /// The refresh date both records have.
    pub refresh: Option<NaiveDate>,
    /// The path of the file whose record is kept.
    pub kept: String,
    /// The path of the file whose record was dropped.
    pub other: String,
}

/// What one ingest changed.
/// The rows of one valid detail file (a row per user, site or team), for the `entities`
/// table.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EntityRows {
    /// Position in input order, as [`FileEntry::index`].
    pub index: usize,
    /// The report's type name.
    pub report: String,
    /// The series the file belongs to.
    pub series: String,
    /// The download's refresh date.
    pub refresh: NaiveDate,
    /// (entity, the row in Graph's JSON form) per row.
    pub rows: Vec<(String, String)>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Ingested {
    /// Files newly recorded.
    pub files_added: usize,
    /// Files found already ingested (same SHA-256) while writing: another run got there first.
    pub files_skipped: usize,
    /// Report dates the archive did not hold.
    pub inserted: u64,
    /// Report dates replaced by a newer refresh.
    pub updated: u64,
    /// Report dates where the archive already held this or a newer record.
    pub unchanged: u64,
    /// Conflicts recorded.
    pub conflicts: Vec<StoredConflict>,
    /// Detail rows stored (entities of downloads the archive did not hold).
    pub entities: u64,
}

impl Archive {
    /// The SHA-256 of every file already ingested, to skip them before reading.
    pub fn known_hashes(&self) -> Result<HashSet<String>, ArchiveError> {
        let mut stmt = self
            .conn
            .prepare("SELECT sha256 FROM files")
            .map_err(|e| self.error(e))?;
        let rows = stmt
            .query_map([], |r| r.get::<_, String>(0))
            .and_then(|rows| rows.collect::<Result<HashSet<_>, _>>());
        rows.map_err(|e| self.error(e))
    }

    /// Stores `files` and the records of `merged` (whose origins index into `files`) in one
    /// transaction: all of it is committed, or nothing.
    pub fn ingest(
        &mut self,
        files: &[FileEntry],
        merged: &Merged,
        entities: &[EntityRows],
    ) -> Result<Ingested, ArchiveError> {
        let path = self.path.display().to_string();
        let sql = |source| ArchiveError::Sqlite {
            path: path.clone(),
            source,
        };
        let now = chrono::Utc::now().format("%Y-%m-%dT%H:%M:%SZ").to_string();
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(sql)?;
        let mut out = Ingested::default();
        // File ids and paths by input index. A file another run stored meanwhile keeps its
        // id: same bytes, so the same records.
        let mut ids: HashMap<usize, (i64, String)> = HashMap::with_capacity(files.len());
        {
            let mut insert = tx
                .prepare_cached(
                    "INSERT INTO files(path, sha256, report, series, refresh_date, rows, ingested_at)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7) ON CONFLICT(sha256) DO NOTHING",
                )
                .map_err(sql)?;
            let mut existing = tx
                .prepare_cached("SELECT id, path FROM files WHERE sha256 = ?1")
                .map_err(sql)?;
            for f in files {
                let rows = i64::try_from(f.rows).unwrap_or(i64::MAX);
                let changed = insert
                    .execute(params![
                        f.path,
                        f.sha256,
                        f.report,
                        f.series,
                        f.refresh.map(|d| d.to_string()),
                        rows,
                        now
                    ])
                    .map_err(sql)?;
                if changed == 1 {
                    out.files_added += 1;
                    ids.insert(f.index, (tx.last_insert_rowid(), f.path.clone()));
                } else {
                    out.files_skipped += 1;
                    let found = existing
                        .query_row([&f.sha256], |r| Ok((r.get(0)?, r.get(1)?)))
                        .map_err(sql)?;
                    ids.insert(f.index, found);
                }
            }
        }
        let reports: BTreeMap<&str, &Report> = merged
            .series
            .iter()
            .map(|s| (s.report.name.as_str(), &*s.report))
            .collect();
        for report in reports.values() {
            tx.execute_batch(&view_sql(report)).map_err(sql)?;
        }
        {
            let mut current = tx
                .prepare_cached(
                    "SELECT r.refresh_date, r.values_json, r.file_id, f.path FROM records r
                     JOIN files f ON f.id = r.file_id
                     WHERE r.report = ?1 AND r.series = ?2 AND r.report_date = ?3",
                )
                .map_err(sql)?;
            let mut upsert = tx
                .prepare_cached(
                    "INSERT INTO records(report, series, report_date, refresh_date, file_id, values_json)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6)
                     ON CONFLICT(report, series, report_date) DO UPDATE SET
                       refresh_date = excluded.refresh_date,
                       file_id = excluded.file_id,
                       values_json = excluded.values_json",
                )
                .map_err(sql)?;
            let mut conflict = tx
                .prepare_cached(
                    "INSERT INTO conflicts(report, series, report_date, refresh_date,
                       kept_file_id, other_file_id, other_values)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
                )
                .map_err(sql)?;
            for c in &merged.conflicts {
                let (Some(kept), Some(other)) = (ids.get(&c.kept.index), ids.get(&c.other.index))
                else {
                    continue;
                };
                let Some(report) = reports.get(c.report.as_str()) else {
                    continue;
                };
                conflict
                    .execute(params![
                        c.report,
                        c.series,
                        c.date.to_string(),
                        c.refresh.map(|d| d.to_string()),
                        kept.0,
                        other.0,
                        values_json(report, &c.other_cells)
                    ])
                    .map_err(sql)?;
                out.conflicts.push(StoredConflict {
                    report: c.report.clone(),
                    series: c.series.clone(),
                    date: c.date,
                    refresh: c.refresh,
                    kept: kept.1.clone(),
                    other: other.1.clone(),
                });
            }
            for (series, record, cells) in merged.records() {
                let Some((file_id, file_path)) = ids.get(&record.source.index) else {
                    continue;
                };
                let report = &series.report;
                let date = record.date.to_string();
                let refresh = record.refresh.map(|d| d.to_string());
                let held: Option<(Option<String>, String, i64, String)> = current
                    .query_row(params![report.name, series.name, date], |r| {
                        Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?))
                    })
                    .optional()
                    .map_err(sql)?;
                let json = values_json(report, cells);
                match held {
                    None => out.inserted += 1,
                    Some((held_refresh, _, _, _))
                        if held_refresh.as_deref() > refresh.as_deref() =>
                    {
                        out.unchanged += 1;
                        continue;
                    }
                    Some((held_refresh, _, _, _))
                        if held_refresh.as_deref() < refresh.as_deref() =>
                    {
                        out.updated += 1
                    }
                    Some((_, held_json, held_id, held_path)) => {
                        // Same refresh date: the record already held is first.
                        let same = cells_from_json(report, &held_json)
                            .is_ok_and(|held| same_values(report, &held, cells));
                        out.unchanged += 1;
                        if !same && held_id != *file_id {
                            conflict
                                .execute(params![
                                    report.name,
                                    series.name,
                                    date,
                                    refresh,
                                    held_id,
                                    file_id,
                                    json
                                ])
                                .map_err(sql)?;
                            out.conflicts.push(StoredConflict {
                                report: report.name.clone(),
                                series: series.name.clone(),
                                date: record.date,
                                refresh: record.refresh,
                                kept: held_path,
                                other: file_path.clone(),
                            });
                        }
                        continue;
                    }
                }
                upsert
                    .execute(params![
                        report.name,
                        series.name,
                        date,
                        refresh,
                        file_id,
                        json
                    ])
                    .map_err(sql)?;
            }
        }
        {
            // A download stored once is kept: the same snapshot again adds nothing.
            let mut insert = tx
                .prepare_cached(
                    "INSERT INTO entities(report, series, refresh_date, entity, file_id, values_json)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6)
                     ON CONFLICT(report, series, refresh_date, entity) DO NOTHING",
                )
                .map_err(sql)?;
            for file in entities {
                let Some((id, _)) = ids.get(&file.index) else {
                    continue;
                };
                let refresh = file.refresh.to_string();
                for (entity, json) in &file.rows {
                    out.entities += insert
                        .execute(params![file.report, file.series, refresh, entity, id, json])
                        .map_err(sql)? as u64;
                }
            }
        }
        tx.commit().map_err(sql)?;
        Ok(out)
    }
}
