//! The archive: usage history kept beyond Graph's 180 days in an embedded SQLite database.
//!
//! Graph keeps 180 days at most, so users who want a year have to keep the downloads. The
//! archive stores every valid record once per (report, series, report date), with the same
//! rule as [`merge`](crate::merge): the newest refresh date wins; the same refresh date with
//! different values is a conflict, the first record (in input order within a run, the
//! earlier-ingested across runs) is kept and the other is written to `conflicts`.
//!
//! # The database (schema version 2)
//! - `files(id, path, sha256 UNIQUE, report, series, refresh_date, rows, ingested_at)`: one
//!   row per ingested file; a file whose SHA-256 is already there is skipped.
//! - `records(report, series, report_date, refresh_date, file_id, values_json)`, primary key
//!   `(report, series, report_date)`: the kept record in Graph's JSON form (properties in
//!   schema order), so `json_extract(values_json, '$.active')` works in any SQLite client.
//! - `conflicts(id, report, series, report_date, refresh_date, kept_file_id, other_file_id,
//!   other_values)`: records dropped because another file with the same refresh date said
//!   otherwise.
//! - `entities(report, series, refresh_date, entity, file_id, values_json)`, primary key
//!   `(report, series, refresh_date, entity)` (version 2): a detail report's rows, one per
//!   user, site or team of a download; the first file stored for a download wins.
//! - one view per report kind ingested, named after the report (`office365GroupsActivity
//!   GroupCounts`), with `series`, `file_id` and one typed column per schema property.
//!
//! Dates are `YYYY-MM-DD` text, `ingested_at` is RFC 3339 UTC. `PRAGMA application_id` marks
//! the file as ours and `PRAGMA user_version` is the schema version; [`MIGRATIONS`] lists the
//! SQL that takes a database from each version to the next. A file that is not ours, or is
//! from a newer version of the tool, is refused before anything is written to it.
//!
//! # Durability and concurrency
//! One `archive add` is one `BEGIN IMMEDIATE` transaction: a killed run leaves all of it or
//! none of it. The journal is in WAL mode with a 30-second busy timeout, so two runs at the
//! same time queue for the write lock instead of failing, also while they create the
//! database: the switch to WAL mode, which SQLite does not let wait on the busy timeout, is
//! retried, and an existing file is inspected in one read transaction.

pub mod add;
pub mod export;
pub mod ingest;
pub mod query;

use std::io::Read;
use std::path::{Path, PathBuf};
use std::time::Duration;

use chrono::NaiveDate;
use rusqlite::{Connection, OpenFlags};
use serde_json::{Map, Value};

use crate::record::Cell;
use crate::schema::{Kind, Report};

/// `PRAGMA application_id` of our databases: "M365" in ASCII.
pub const APPLICATION_ID: i32 = 0x4D33_3635;

/// The schema version this build writes.
pub const SCHEMA_VERSION: i32 = MIGRATIONS.len() as i32;

/// SQL steps: `MIGRATIONS[n]` takes a database from version `n` to `n + 1`.
pub const MIGRATIONS: &[&str] = &[
    // Version 1.
    "CREATE TABLE files(
        id INTEGER PRIMARY KEY,
        path TEXT NOT NULL,
        sha256 TEXT NOT NULL UNIQUE,
        report TEXT NOT NULL,
        series TEXT NOT NULL,
        refresh_date TEXT,
        rows INTEGER NOT NULL,
        ingested_at TEXT NOT NULL
    );
    CREATE TABLE records(
        report TEXT NOT NULL,
        series TEXT NOT NULL,
        report_date TEXT NOT NULL,
        refresh_date TEXT,
        file_id INTEGER NOT NULL REFERENCES files(id),
        values_json TEXT NOT NULL,
        PRIMARY KEY(report, series, report_date)
    ) WITHOUT ROWID;
    CREATE TABLE conflicts(
        id INTEGER PRIMARY KEY,
        report TEXT NOT NULL,
        series TEXT NOT NULL,
        report_date TEXT NOT NULL,
        refresh_date TEXT,
        kept_file_id INTEGER NOT NULL REFERENCES files(id),
        other_file_id INTEGER NOT NULL REFERENCES files(id),
        other_values TEXT NOT NULL
    );
    CREATE INDEX files_series ON files(report, series);",
    // Version 2: detail reports' rows, one per entity of a download.
    "CREATE TABLE entities(
        report TEXT NOT NULL,
        series TEXT NOT NULL,
        refresh_date TEXT NOT NULL,
        entity TEXT NOT NULL,
        file_id INTEGER NOT NULL REFERENCES files(id),
        values_json TEXT NOT NULL,
        PRIMARY KEY(report, series, refresh_date, entity)
    ) WITHOUT ROWID;",
];

/// The tables a database of ours has; anything else in a database without our
/// application id means it belongs to someone else.
const TABLES: &[&str] = &["files", "records", "conflicts", "entities"];

/// How long a run waits for another run's write lock before giving up.
const BUSY_TIMEOUT: Duration = Duration::from_secs(30);

/// The pause between two attempts to switch a database to WAL mode (see [`enable_wal`]):
/// the other run's switch takes a few milliseconds.
const WAL_RETRY: Duration = Duration::from_millis(10);

/// Errors of the archive.
#[derive(Debug, thiserror::Error)]
pub enum ArchiveError {
    /// The database file does not exist and the command only reads.
    #[error("{path}: no archive there; `m365report archive add --db {path} PATH...` creates one")]
    Missing {
        /// The database path.
        path: String,
    },
    /// The file is a SQLite database of another application, or not one at all.
    #[error("{path}: not an m365report archive ({why}); left untouched")]
    NotOurs {
        /// The database path.
        path: String,
        /// What gave it away.
        why: String,
    },
    /// The database was written by a newer version of m365report.
    #[error("{path}: archive schema version {found} is newer than this m365report understands ({SCHEMA_VERSION}); upgrade m365report; left untouched")]
    TooNew {
        /// The database path.
        path: String,
        /// The database's `user_version`.
        found: i32,
    },
    /// A stored record names a report this run does not know (a `--schema` left out).
    #[error("the archive holds report {0}, which is not known; pass its schema with --schema")]
    UnknownReport(String),
    /// A stored value does not fit its report's schema (edited by hand?).
    #[error("the archive's record for {report} {date} is not readable: {why}")]
    BadRecord {
        /// The report.
        report: String,
        /// The report date.
        date: String,
        /// What is wrong.
        why: String,
    },
    /// SQLite failed.
    #[error("{path}: {source}")]
    Sqlite {
        /// The database path.
        path: String,
        /// SQLite's error.
        source: rusqlite::Error,
    },
}

/// Whether a command may create and write the archive.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    /// Read only; a missing database is an error.
    Read,
    /// Create if missing, migrate if older, write.
    Write,
}

/// An open archive database.
pub struct Archive {
    conn: Connection,
    path: PathBuf,
}

impl std::fmt::Debug for Archive {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Archive").field("path", &self.path).finish()
    }
}

impl Archive {
    /// Opens the archive at `path`. Before anything is written, the file is opened read-only
    /// and checked: a SQLite file of another application, a non-SQLite file, or a newer schema
    /// version is refused. With [`Access::Write`] a missing or empty database is created and
    /// an older one migrated, inside one transaction.
    pub fn open(path: &Path, access: Access) -> Result<Archive, ArchiveError> {
        let shown = path.display().to_string();
        let sql = |source| ArchiveError::Sqlite {
            path: shown.clone(),
            source,
        };
        let exists = path.exists();
        if exists {
            inspect(path, &shown)?;
        } else if access == Access::Read {
            return Err(ArchiveError::Missing { path: shown });
        }
        let flags = match access {
            // Read-write where the file allows it (SQLite falls back to read-only where it
            // does not), and `query_only` below: a read-only connection to a WAL database
            // leaves its `-wal` and `-shm` files behind when it closes, where the last
            // read-write connection checkpoints and removes them, so `archive status` or
            // `trend --db` would leave two new files beside the archive.
            Access::Read => OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX,
            Access::Write => {
                OpenFlags::SQLITE_OPEN_READ_WRITE
                    | OpenFlags::SQLITE_OPEN_CREATE
                    | OpenFlags::SQLITE_OPEN_NO_MUTEX
            }
        };
        let mut conn = Connection::open_with_flags(path, flags).map_err(sql)?;
        conn.busy_timeout(BUSY_TIMEOUT).map_err(sql)?;
        if access == Access::Write {
            enable_wal(&conn).map_err(sql)?;
            conn.pragma_update(None, "synchronous", "NORMAL")
                .map_err(sql)?;
            migrate(&mut conn, &shown)?;
        } else {
            conn.pragma_update(None, "query_only", true).map_err(sql)?;
            if user_version(&conn).map_err(sql)? == 0 {
                return Err(ArchiveError::Missing { path: shown });
            }
        }
        Ok(Archive {
            conn,
            path: path.to_path_buf(),
        })
    }

    /// The database path.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The connection, for queries of the caller's own.
    pub fn connection(&self) -> &Connection {
        &self.conn
    }

    pub(crate) fn error(&self, source: rusqlite::Error) -> ArchiveError {
        ArchiveError::Sqlite {
            path: self.path.display().to_string(),
            source,
        }
    }
}

/// Puts the database in WAL mode, waiting up to [`BUSY_TIMEOUT`] for other runs to let go.
///
/// WAL lets readers go on during an ingest and makes commits cheap; it is a property of the
/// file, so on a database already in WAL mode this only reads the header. The busy timeout
/// does not cover the switch itself: SQLite reads the header and then upgrades that read to
/// a write, and a connection that already holds a read lock is answered `SQLITE_BUSY` at once
/// instead of waiting (waiting could deadlock against a writer waiting for that read lock to
/// go). Two first runs creating the same database both switch, so one of them failed with
/// `database is locked`; here it retries, its read lock released, until the timeout.
fn enable_wal(conn: &Connection) -> rusqlite::Result<()> {
    let deadline = std::time::Instant::now() + BUSY_TIMEOUT;
    loop {
        match conn.pragma_update(None, "journal_mode", "WAL") {
            Err(e)
                if e.sqlite_error_code() == Some(rusqlite::ErrorCode::DatabaseBusy)
                    && std::time::Instant::now() < deadline =>
            {
                std::thread::sleep(WAL_RETRY);
            }
            other => return other,
        }
    }
}

fn user_version(conn: &Connection) -> rusqlite::Result<i32> {
    conn.query_row("PRAGMA user_version", [], |r| r.get(0))
}

/// Checks an existing file through a read-only connection, so a foreign file is never
/// written to (not even a WAL switch).
fn inspect(path: &Path, shown: &str) -> Result<(), ArchiveError> {
    let not_ours = |why: &str| ArchiveError::NotOurs {
        path: shown.to_string(),
        why: why.to_string(),
    };
    // An empty file is what a crashed first run or `touch` leaves: SQLite treats it as an
    // empty database, and so do we.
    if std::fs::metadata(path).map(|m| m.len()).unwrap_or(1) == 0 {
        return Ok(());
    }
    // Only "not a database" means not ours; anything else (a lock held too long, permission
    // denied) is reported as what it is.
    let failed = |source: rusqlite::Error| match source.sqlite_error_code() {
        Some(rusqlite::ErrorCode::NotADatabase) => not_ours("not a SQLite database"),
        _ => ArchiveError::Sqlite {
            path: shown.to_string(),
            source,
        },
    };
    let mut conn = Connection::open_with_flags(
        path,
        OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )
    .map_err(failed)?;
    let _ = conn.busy_timeout(BUSY_TIMEOUT);
    // One read transaction, so that every answer comes from the same state of the file: read
    // one by one, a first run committing our schema in between made the ids say "not ours
    // yet" and the tables "ours", and a second run refused the archive as someone else's.
    let tx = conn.transaction().map_err(failed)?;
    let app: i32 = tx
        .query_row("PRAGMA application_id", [], |r| r.get(0))
        .map_err(failed)?;
    let version = user_version(&tx).map_err(failed)?;
    let names = tx
        .prepare("SELECT name FROM sqlite_master WHERE name NOT LIKE 'sqlite_%'")
        .and_then(|mut stmt| {
            stmt.query_map([], |r| r.get::<_, String>(0))
                .and_then(|rows| rows.collect::<Result<Vec<_>, _>>())
        })
        .map_err(failed)?;
    if app == APPLICATION_ID {
        if version > SCHEMA_VERSION {
            return Err(ArchiveError::TooNew {
                path: shown.to_string(),
                found: version,
            });
        }
        return Ok(());
    }
    if app != 0 {
        return Err(not_ours(&format!("application id {app:#x}")));
    }
    if let Some(name) = names.iter().find(|n| !TABLES.contains(&n.as_str())) {
        return Err(not_ours(&format!("it has a table or index `{name}`")));
    }
    if !names.is_empty() || version != 0 {
        return Err(not_ours("no m365report application id"));
    }
    Ok(())
}

/// Brings the schema to [`SCHEMA_VERSION`]. The version is read again under the write lock:
/// another run may have created the tables since this one looked.
fn migrate(conn: &mut Connection, shown: &str) -> Result<(), ArchiveError> {
    let sql = |source| ArchiveError::Sqlite {
        path: shown.to_string(),
        source,
    };
    let tx = conn
        .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)
        .map_err(sql)?;
    let app: i32 = tx
        .query_row("PRAGMA application_id", [], |r| r.get(0))
        .map_err(sql)?;
    let version = user_version(&tx).map_err(sql)?;
    if version > SCHEMA_VERSION {
        return Err(ArchiveError::TooNew {
            path: shown.to_string(),
            found: version,
        });
    }
    if app != APPLICATION_ID && (app != 0 || version != 0) {
        return Err(ArchiveError::NotOurs {
            path: shown.to_string(),
            why: format!("application id {app:#x}"),
        });
    }
    let from = usize::try_from(version).unwrap_or(0);
    for step in &MIGRATIONS[from..] {
        tx.execute_batch(step).map_err(sql)?;
    }
    if version < SCHEMA_VERSION || app != APPLICATION_ID {
        tx.pragma_update(None, "application_id", APPLICATION_ID)
            .map_err(sql)?;
        tx.pragma_update(None, "user_version", SCHEMA_VERSION)
            .map_err(sql)?;
    }
    tx.commit().map_err(sql)
}

/// The files SQLite keeps beside a database, by the suffix added to its path: the
/// write-ahead log, its shared-memory index and the rollback journal.
const COMPANIONS: &[&str] = &["-wal", "-shm", "-journal"];

/// Whether writing a file at `target` would write over the archive at `db`: the database
/// itself under any name (another spelling, a symbolic or a hard link) or one of the files
/// SQLite keeps beside it (`-wal`, `-shm`, `-journal`), which need not exist yet (one
/// written there would be taken for the log of the next run). Outputs are renamed into
/// place, so without this check `archive export -o m365report.sqlite --force` replaced the
/// archive with the export.
pub fn is_archive_file(db: &Path, target: &Path) -> bool {
    if crate::write::same_file(db, target) {
        return true;
    }
    let target = resolved(target);
    // SQLite names its files after the database's real path where it follows a link.
    let mut bases = vec![resolved(db)];
    bases.extend(db.canonicalize());
    bases.iter().any(|base| {
        COMPANIONS.iter().any(|suffix| {
            let mut name = base.clone().into_os_string();
            name.push(suffix);
            let companion = PathBuf::from(name);
            companion == target || crate::write::same_file(&companion, &target)
        })
    })
}

/// Why an output file was refused before any work.
#[derive(Debug, thiserror::Error)]
pub enum TargetError {
    /// The target is the archive, or a file SQLite keeps beside it.
    #[error("{}: is the archive {} or a file SQLite keeps beside it; the archive is never written over", .target.display(), .db.display())]
    Archive {
        /// The output file asked for.
        target: PathBuf,
        /// The archive.
        db: PathBuf,
    },
    /// The target exists (without `force`), or is not a file.
    #[error(transparent)]
    Target(#[from] crate::write::WriteError),
}

/// Refuses, before any work, an output file that would write over the archive `db` (under
/// any name, or SQLite's `-wal`/`-shm`/`-journal` beside it; `force` or not, see
/// [`is_archive_file`]) or, without `force`, an existing file, as `convert` refuses its
/// outputs. The rename checks for an existing file again when the output is done.
pub fn check_output(target: &Path, db: &Path, force: bool) -> Result<(), TargetError> {
    if is_archive_file(db, target) {
        return Err(TargetError::Archive {
            target: target.to_path_buf(),
            db: db.to_path_buf(),
        });
    }
    crate::write::check_target(target, &[], force)?;
    Ok(())
}

/// [`is_archive_file`] for many paths (the inputs of `archive add`), at one `stat` a path:
/// a path is the database if it is the same file (any name or link), and one of its
/// companions only if it is named like one, which alone gets the full check.
pub fn archive_file_test(db: &Path) -> impl Fn(&Path) -> bool + '_ {
    let names: Vec<std::ffi::OsString> = db
        .file_name()
        .map(|name| {
            std::iter::once(name.to_os_string())
                .chain(COMPANIONS.iter().map(|suffix| {
                    let mut companion = name.to_os_string();
                    companion.push(suffix);
                    companion
                }))
                .collect()
        })
        .unwrap_or_default();
    let id = crate::write::file_id(db);
    move |path: &Path| {
        if path
            .file_name()
            .is_some_and(|n| names.iter().any(|c| c == n))
        {
            return is_archive_file(db, path);
        }
        id.is_some() && crate::write::file_id(path) == id
    }
}

/// `path` with its folder made absolute and free of links and `..`, so that two spellings
/// of a file that need not exist compare equal; as given when the folder cannot be resolved.
fn resolved(path: &Path) -> PathBuf {
    let folder = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    };
    match (path.file_name(), folder.canonicalize()) {
        (Some(name), Ok(folder)) => folder.join(name),
        _ => path.to_path_buf(),
    }
}

/// The SHA-256 of a file's bytes as lowercase hex, read in 64 KiB blocks.
pub fn sha256_file(path: &Path) -> std::io::Result<String> {
    use sha2::Digest;
    let mut file = std::fs::File::open(path)?;
    let mut hasher = sha2::Sha256::new();
    let mut buf = vec![0u8; 64 * 1024];
    loop {
        let n = file.read(&mut buf)?;
        if n == 0 {
            break;
        }
        hasher.update(&buf[..n]);
    }
    let digest = hasher.finalize();
    let mut hex = String::with_capacity(64);
    for b in digest {
        use std::fmt::Write;
        let _ = write!(hex, "{b:02x}");
    }
    Ok(hex)
}

/// A record's values as the JSON object stored in `records.values_json`.
pub fn values_json(report: &Report, cells: &[Cell]) -> String {
    let map: Map<String, Value> = report
        .columns
        .iter()
        .zip(cells)
        .map(|(c, v)| (c.property.clone(), v.to_json(&c.kind)))
        .collect();
    Value::Object(map).to_string()
}

/// The cells of a stored record, in schema order. Fails when the JSON does not fit the
/// schema (a hand-edited database, or a schema changed since ingest).
pub fn cells_from_json(report: &Report, json: &str) -> Result<Vec<Cell>, String> {
    let map: Map<String, Value> = serde_json::from_str(json).map_err(|e| e.to_string())?;
    report
        .columns
        .iter()
        .map(|col| {
            let v = map.get(&col.property).unwrap_or(&Value::Null);
            match (v, &col.kind) {
                (Value::Null, _) => Ok(Cell::Null),
                (Value::Number(n), Kind::Integer { .. }) => n
                    .as_i64()
                    .map(Cell::Int)
                    .ok_or_else(|| format!("{}: {n} is not an integer", col.property)),
                (Value::String(s), Kind::Date) => NaiveDate::parse_from_str(s, "%Y-%m-%d")
                    .map(Cell::Date)
                    .map_err(|_| format!("{}: `{s}` is not a date", col.property)),
                (Value::String(s), Kind::Enum(values)) => values
                    .iter()
                    .position(|x| x == s)
                    .and_then(|i| u16::try_from(i).ok())
                    .map(Cell::Enum)
                    .ok_or_else(|| format!("{}: `{s}` is not an allowed value", col.property)),
                (Value::String(s), Kind::OptionalDate) => NaiveDate::parse_from_str(s, "%Y-%m-%d")
                    .map(Cell::Date)
                    .map_err(|_| format!("{}: `{s}` is not a date", col.property)),
                (Value::String(s), Kind::Text | Kind::Guid | Kind::Duration) => {
                    Ok(Cell::Text(Box::new(s.clone())))
                }
                (Value::Bool(b), Kind::Boolean) => Ok(Cell::Bool(*b)),
                (Value::Array(items), Kind::List) => items
                    .iter()
                    .map(|v| v.as_str().map(str::to_string))
                    .collect::<Option<Vec<_>>>()
                    .map(|items| Cell::List(Box::new(items)))
                    .ok_or_else(|| format!("{}: a list holds a non-string", col.property)),
                (other, _) => Err(format!("{}: unexpected {other}", col.property)),
            }
        })
        .collect()
}

/// Quotes an SQL identifier.
fn ident(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}

/// Quotes an SQL string literal.
fn literal(text: &str) -> String {
    format!("'{}'", text.replace('\'', "''"))
}

/// `CREATE VIEW` for a report: its records with one typed column per schema property, for
/// clients (Power BI, spreadsheets) that do not speak `json_extract`.
pub fn view_sql(report: &Report) -> String {
    // A detail report's rows are in `entities` (schema version 2); a view made by version 1
    // over `records` is replaced.
    let detail = report.entity().is_some() && report.report_date().is_none();
    let (table, mut sql) = if detail {
        (
            "entities",
            format!(
                "DROP VIEW IF EXISTS {name}; CREATE VIEW {name} AS SELECT series, file_id",
                name = ident(&report.name)
            ),
        )
    } else {
        (
            "records",
            format!(
                "CREATE VIEW IF NOT EXISTS {} AS SELECT series, file_id",
                ident(&report.name)
            ),
        )
    };
    for col in &report.columns {
        let path = literal(&format!("$.\"{}\"", col.property.replace('"', "\\\"")));
        let expr = format!("json_extract(values_json, {path})");
        let expr = match col.kind {
            Kind::Integer { .. } => format!("CAST({expr} AS INTEGER)"),
            _ => expr,
        };
        sql.push_str(&format!(", {expr} AS {}", ident(&col.property)));
    }
    sql.push_str(&format!(
        " FROM {table} WHERE report = {}",
        literal(&report.name)
    ));
    sql
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::merge::tests::{group_counts, row};

    #[test]
    fn the_archive_test_for_many_paths_finds_what_is_archive_file_finds() {
        let dir = tempfile::tempdir().unwrap();
        let db = dir.path().join("archive.json");
        drop(Archive::open(&db, Access::Write).unwrap());
        let other = dir.path().join("export.csv");
        std::fs::write(&other, "x").unwrap();
        let linked = dir.path().join("linked.csv");
        std::fs::hard_link(&db, &linked).unwrap();
        let paths = [
            db.clone(),
            dir.path().join(".").join("archive.json"),
            dir.path().join("archive.json-wal"),
            dir.path().join("archive.json-journal"),
            linked,
            other,
            dir.path().join("archive.json.bak"),
        ];
        let is_archive = archive_file_test(&db);
        for path in &paths {
            assert_eq!(
                is_archive(path),
                is_archive_file(&db, path),
                "{}",
                path.display()
            );
        }
        let found: Vec<bool> = paths.iter().map(|p| is_archive(p)).collect();
        assert_eq!(found, [true, true, true, true, true, false, false]);
    }

    #[test]
    fn creates_then_reopens_and_migrations_match_the_version() {
        let dir = tempfile::tempdir().unwrap();
        let db = dir.path().join("a.sqlite");
        assert!(matches!(
            Archive::open(&db, Access::Read),
            Err(ArchiveError::Missing { .. })
        ));
        let a = Archive::open(&db, Access::Write).unwrap();
        let (app, v): (i32, i32) = a
            .connection()
            .query_row(
                "SELECT (SELECT application_id FROM pragma_application_id), (SELECT user_version FROM pragma_user_version)",
                [],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .unwrap();
        assert_eq!((app, v), (APPLICATION_ID, SCHEMA_VERSION));
        drop(a);
        Archive::open(&db, Access::Read).unwrap();
        Archive::open(&db, Access::Write).unwrap();
    }

    #[test]
    fn runs_creating_the_same_database_at_once_all_open_it() {
        // The switch to WAL mode used to answer `database is locked` to all but one of the
        // runs that raced to create a database, and a run that came a little later could
        // find the schema half-committed; staggered starts and several rounds make both
        // likely.
        let dir = tempfile::tempdir().unwrap();
        for round in 0..20 {
            let db = dir.path().join(format!("{round}.sqlite"));
            let start = std::sync::Barrier::new(6);
            std::thread::scope(|s| {
                let runs: Vec<_> = (0..6u64)
                    .map(|i| {
                        let (db, start) = (&db, &start);
                        s.spawn(move || {
                            start.wait();
                            std::thread::sleep(Duration::from_micros(700 * i));
                            Archive::open(db, Access::Write).map(drop)
                        })
                    })
                    .collect();
                for run in runs {
                    if let Err(e) = run.join().unwrap() {
                        panic!("round {round}: {e}");
                    }
                }
            });
        }
    }

    #[test]
    fn foreign_and_newer_databases_are_refused_untouched() {
        let dir = tempfile::tempdir().unwrap();
        let other = dir.path().join("other.sqlite");
        let conn = Connection::open(&other).unwrap();
        conn.execute_batch("CREATE TABLE customers(id INTEGER)")
            .unwrap();
        drop(conn);
        let before = std::fs::read(&other).unwrap();
        let err = Archive::open(&other, Access::Write).unwrap_err();
        assert!(
            err.to_string().contains("not an m365report archive"),
            "{err}"
        );
        assert_eq!(std::fs::read(&other).unwrap(), before);

        let text = dir.path().join("notes.sqlite");
        std::fs::write(&text, "hello, this is not a database at all........").unwrap();
        assert!(matches!(
            Archive::open(&text, Access::Write),
            Err(ArchiveError::NotOurs { .. })
        ));

        let newer = dir.path().join("newer.sqlite");
        drop(Archive::open(&newer, Access::Write).unwrap());
        let conn = Connection::open(&newer).unwrap();
        conn.pragma_update(None, "user_version", SCHEMA_VERSION + 1)
            .unwrap();
        drop(conn);
        assert!(matches!(
            Archive::open(&newer, Access::Write),
            Err(ArchiveError::TooNew { .. })
        ));
    }

    #[test]
    fn values_round_trip_through_json() {
        let gc = group_counts();
        let cells = row(&gc, 5, 3, Some(10), None, "7");
        let json = values_json(&gc, &cells);
        assert_eq!(cells_from_json(&gc, &json).unwrap(), cells);
        assert!(cells_from_json(&gc, "{\"total\": \"x\"}").is_err());
    }

    #[test]
    fn the_view_gives_typed_columns() {
        let gc = group_counts();
        let conn = Connection::open_in_memory().unwrap();
        conn.execute_batch(MIGRATIONS[0]).unwrap();
        conn.execute_batch(&view_sql(&gc)).unwrap();
        conn.execute(
            "INSERT INTO files VALUES (1, 'f', 'h', ?1, 's', NULL, 1, 'now')",
            [&gc.name],
        )
        .unwrap();
        let cells = row(&gc, 5, 3, Some(10), Some(4), "7");
        conn.execute(
            "INSERT INTO records VALUES (?1, 's', '2026-01-04', '2026-01-06', 1, ?2)",
            [&gc.name, &values_json(&gc, &cells)],
        )
        .unwrap();
        let active: i64 = conn
            .query_row(
                &format!("SELECT active FROM {}", ident(&gc.name)),
                [],
                |r| r.get(0),
            )
            .unwrap();
        assert_eq!(active, 4);
    }
}
