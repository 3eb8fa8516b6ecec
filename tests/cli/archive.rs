//! `m365report archive`: idempotence, order independence, a year stitched from D180
//! downloads, conflicts, kill -9 during ingest, concurrent adds, export and `trend --db`
//! (with --report and --since/--until on an archive of several report kinds).

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::Duration;

use rusqlite::Connection;

use crate::{m365report, root, series_names};

const HEADER: &str = "\u{feff}Report Refresh Date,Total,Active,Report Date,Report Period\n";

/// One archived row: report, series, report date, refresh date, values, source path.
type Row = (String, String, String, Option<String>, String, String);

/// Every record of the archive with its file's path, sorted.
fn rows(db: &Path) -> Vec<Row> {
    let conn = Connection::open(db).unwrap();
    let mut stmt = conn
        .prepare(
            "SELECT r.report, r.series, r.report_date, r.refresh_date, r.values_json, f.path
             FROM records r JOIN files f ON f.id = r.file_id
             ORDER BY r.report, r.series, r.report_date",
        )
        .unwrap();
    let out = stmt
        .query_map([], |r| {
            Ok((
                r.get(0)?,
                r.get(1)?,
                r.get(2)?,
                r.get(3)?,
                r.get(4)?,
                r.get(5)?,
            ))
        })
        .unwrap()
        .collect::<Result<Vec<Row>, _>>()
        .unwrap();
    out
}

fn count(db: &Path, table: &str) -> i64 {
    let conn = Connection::open(db).unwrap();
    conn.query_row(&format!("SELECT COUNT(*) FROM {table}"), [], |r| r.get(0))
        .unwrap()
}

/// Runs `archive ARGS` from `dir`; returns (exit status, stderr).
fn archive(dir: &Path, args: &[&str]) -> (i32, String) {
    let out = m365report()
        .current_dir(dir)
        .env_remove("M365REPORT_DB")
        .arg("archive")
        .args(args)
        .output()
        .unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// A GroupCounts CSV of `days` rows refreshed on `refresh`, newest first, Active from `f`.
fn export(path: &Path, refresh: chrono::NaiveDate, days: i64, f: impl Fn(i64) -> i64) {
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    let mut text = HEADER.to_string();
    for k in 0..days {
        let d = refresh - chrono::Duration::days(k);
        let n = d.num_days_from_ce_i64();
        text.push_str(&format!("{refresh},1000,{},{d},{days}\n", f(n)));
    }
    std::fs::write(path, text).unwrap();
}

trait DayNumber {
    fn num_days_from_ce_i64(&self) -> i64;
}
impl DayNumber for chrono::NaiveDate {
    fn num_days_from_ce_i64(&self) -> i64 {
        i64::from(chrono::Datelike::num_days_from_ce(self))
    }
}

fn date(s: &str) -> chrono::NaiveDate {
    chrono::NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
}

/// A generated corpus of `tenants` folders and `days` daily downloads each.
fn corpus(dir: &Path, tenants: u32, days: u32) -> PathBuf {
    let out = dir.join("corpus");
    let status = std::process::Command::new("python3")
        .arg(root().join("benches/gen_corpus.py"))
        .args(["tenants"])
        .arg(&out)
        .args([
            "--tenants",
            &tenants.to_string(),
            "--days",
            &days.to_string(),
        ])
        .stdout(Stdio::null())
        .status()
        .unwrap();
    assert!(status.success());
    out
}

#[test]
fn adding_twice_is_adding_once_and_skips_known_files() {
    let dir = tempfile::tempdir().unwrap();
    let tenants = root().join("samples/tenants");
    let t = tenants.to_str().unwrap();
    let (code, err) = archive(dir.path(), &["add", t, "--group-by", "dir"]);
    assert_eq!(code, 0, "{err}");
    let db = dir.path().join("m365report.sqlite");
    let once = rows(&db);
    assert_eq!(once.len(), 88);
    let (code, err) = archive(dir.path(), &["add", t, "--group-by", "dir"]);
    assert_eq!(code, 0, "{err}");
    assert!(err.contains("42 already archived"), "{err}");
    assert_eq!(rows(&db), once);
    assert_eq!(count(&db, "files"), 42);
}

#[test]
fn an_archive_inside_the_folder_added_is_not_read_as_an_export() {
    let dir = tempfile::tempdir().unwrap();
    let downloads = dir.path().join("downloads");
    export(&downloads.join("a.csv"), date("2026-11-20"), 7, |n| {
        n % 1000
    });
    // A report's extension, so that the folder walk finds it (and its journal) next time.
    let db = downloads.join("archive.json");
    for summary in [
        "1 files: 1 valid, 0 invalid",
        "1 files: 0 valid, 0 invalid, 1 already",
    ] {
        let (code, err) = archive(
            dir.path(),
            &["add", "downloads", "--db", "downloads/archive.json"],
        );
        assert_eq!(code, 0, "{err}");
        assert!(err.starts_with(summary), "{err}");
    }
    assert_eq!(count(&db, "files"), 1);
}

#[test]
fn reading_the_archive_leaves_no_files_beside_it() {
    let dir = tempfile::tempdir().unwrap();
    export(&dir.path().join("in/a.csv"), date("2026-11-20"), 7, |n| {
        n % 1000
    });
    std::fs::create_dir(dir.path().join("db")).unwrap();
    let (code, err) = archive(dir.path(), &["add", "in", "--db", "db/a.sqlite"]);
    assert_eq!(code, 0, "{err}");
    let listing = || crate::tree(&dir.path().join("db"));
    assert_eq!(listing(), ["a.sqlite"]);
    let (code, err) = archive(dir.path(), &["status", "--db", "db/a.sqlite"]);
    assert_eq!(code, 0, "{err}");
    let (code, err) = archive(dir.path(), &["export", "--db", "db/a.sqlite"]);
    assert_eq!(code, 0, "{err}");
    m365report()
        .current_dir(dir.path())
        .args(["trend", "--db", "db/a.sqlite"])
        .assert()
        .success();
    // SQLite's -wal and -shm files are removed when the last connection closes.
    assert_eq!(listing(), ["a.sqlite"]);
}

#[test]
fn the_order_of_adds_does_not_change_the_rows() {
    let dir = tempfile::tempdir().unwrap();
    let tenants = root().join("samples/tenants");
    let (d7, d30): (Vec<PathBuf>, Vec<PathBuf>) = std::fs::read_dir(tenants.join("contoso"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .partition(|p| p.to_string_lossy().contains("_D7_"));
    let add = |db: &str, files: &[PathBuf]| {
        let mut cmd = m365report();
        cmd.current_dir(dir.path())
            .args(["archive", "add", "--db", db]);
        // One file per run so every record meets the archive, not the in-run merge.
        for f in files {
            let out = cmd.arg(f).output().unwrap();
            assert_eq!(out.status.code(), Some(0));
        }
    };
    let mut forward: Vec<PathBuf> = d7.iter().chain(&d30).cloned().collect();
    forward.sort();
    let mut backward = forward.clone();
    backward.reverse();
    for (db, files) in [("f.sqlite", &forward), ("b.sqlite", &backward)] {
        for f in files.iter() {
            add(db, std::slice::from_ref(f));
        }
    }
    let strip = |rows: Vec<Row>| -> Vec<(String, String, String, Option<String>, String)> {
        rows.into_iter()
            .map(|(a, b, c, d, e, _)| {
                // The period differs between equally refreshed D7 and D30 files, and which
                // one is kept depends on order, as documented; the counts may not.
                let v: serde_json::Value = serde_json::from_str(&e).unwrap();
                let counts = format!("{}/{}", v["total"], v["active"]);
                (a, b, c, d, counts)
            })
            .collect()
    };
    let f = rows(&dir.path().join("f.sqlite"));
    assert_eq!(f.len(), 44);
    assert_eq!(strip(f), strip(rows(&dir.path().join("b.sqlite"))));
}

#[test]
fn twelve_monthly_d180_downloads_make_a_year_without_gaps() {
    let dir = tempfile::tempdir().unwrap();
    let first = date("2026-06-29");
    for m in 0..12 {
        let refresh = first + chrono::Duration::days(30 * m);
        export(
            &dir.path()
                .join(format!("in/GroupCounts_D180_{refresh}.csv")),
            refresh,
            180,
            |n| n % 500,
        );
    }
    let (code, err) = archive(dir.path(), &["add", "in"]);
    assert_eq!(code, 0, "{err}");
    let out = m365report()
        .current_dir(dir.path())
        .args(["archive", "status", "--format", "json"])
        .output()
        .unwrap();
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let s = &doc["series"][0];
    assert_eq!(s["days"], 180 + 11 * 30);
    assert!(s["days"].as_u64().unwrap() >= 365);
    assert_eq!(s["missing"], serde_json::json!([]));
    assert_eq!(s["first_date"], "2026-01-01");
    assert_eq!(s["files"], 12);
    // Each day comes from the newest download holding it.
    let refreshes: Vec<chrono::NaiveDate> = (0..12)
        .map(|m| first + chrono::Duration::days(30 * m))
        .collect();
    let rows = rows(&dir.path().join("m365report.sqlite"));
    assert_eq!(rows.len(), 510);
    for r in &rows {
        let d = date(&r.2);
        let newest = refreshes
            .iter()
            .filter(|&&f| f >= d && (f - d).num_days() < 180)
            .max()
            .map(|f| f.to_string());
        assert_eq!(r.3, newest, "{}", r.2);
    }
}

/// `a/GroupCounts_D7_a.csv` and `b/GroupCounts_D7_b.csv` under `dir`: both refreshed on
/// 2026-11-10, for the seven days before, disagreeing about every other day.
fn disagreeing_exports(dir: &Path) {
    let refresh = date("2026-11-10");
    export(&dir.join("a/GroupCounts_D7_a.csv"), refresh, 7, |n| n % 50);
    export(&dir.join("b/GroupCounts_D7_b.csv"), refresh, 7, |n| {
        n % 50 + i64::from(n % 2 == 0)
    });
}

#[test]
fn disagreeing_files_with_one_refresh_date_fill_the_conflict_table() {
    let dir = tempfile::tempdir().unwrap();
    disagreeing_exports(dir.path());
    // Within one run: the first in input order is kept.
    let (code, err) = archive(dir.path(), &["add", "a", "b"]);
    assert_eq!(code, 0, "{err}");
    assert!(err.contains("warning: conflict in GroupCounts"), "{err}");
    let db = dir.path().join("m365report.sqlite");
    let n = count(&db, "conflicts");
    assert!((3..=4).contains(&n), "{n}");
    assert!(rows(&db)
        .iter()
        .all(|r| r.5.ends_with("GroupCounts_D7_a.csv")));
    // Across runs: what the archive holds is first.
    let (code, err) = archive(dir.path(), &["add", "--db", "2.sqlite", "b"]);
    assert_eq!(code, 0, "{err}");
    let (code, err) = archive(dir.path(), &["add", "--db", "2.sqlite", "a"]);
    assert_eq!(code, 0, "{err}");
    assert!(err.contains("conflict"), "{err}");
    let db2 = dir.path().join("2.sqlite");
    assert_eq!(count(&db2, "conflicts"), n);
    assert!(rows(&db2)
        .iter()
        .all(|r| r.5.ends_with("GroupCounts_D7_b.csv")));
    let conn = Connection::open(&db2).unwrap();
    let (kept, other): (String, String) = conn
        .query_row(
            "SELECT k.path, o.path FROM conflicts c JOIN files k ON k.id = c.kept_file_id
             JOIN files o ON o.id = c.other_file_id LIMIT 1",
            [],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .unwrap();
    assert!(kept.ends_with("b.csv") && other.ends_with("a.csv"));
}

#[test]
fn invalid_files_are_reported_and_not_stored_and_strict_stores_nothing() {
    let dir = tempfile::tempdir().unwrap();
    export(
        &dir.path().join("in/GroupCounts_D7_ok.csv"),
        date("2026-11-10"),
        7,
        |_| 5,
    );
    std::fs::write(
        dir.path().join("in/GroupCounts_D7_bad.csv"),
        format!("{HEADER}2026-11-10,10,11,2026-11-10,7\n"),
    )
    .unwrap();
    let (code, err) = archive(dir.path(), &["add", "--strict", "in"]);
    assert_eq!(code, 1, "{err}");
    assert!(err.contains("nothing stored"), "{err}");
    let db = dir.path().join("m365report.sqlite");
    assert_eq!(count(&db, "files"), 0);
    let (code, err) = archive(dir.path(), &["add", "in"]);
    assert_eq!(code, 1, "{err}");
    assert!(err.contains("GroupCounts_D7_bad.csv"), "{err}");
    assert_eq!(count(&db, "files"), 1);
    assert_eq!(rows(&db).len(), 7);
}

#[test]
fn a_database_that_is_not_ours_is_refused_and_left_untouched() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("crm.sqlite");
    Connection::open(&db)
        .unwrap()
        .execute_batch("CREATE TABLE customers(id INTEGER)")
        .unwrap();
    let before = std::fs::read(&db).unwrap();
    let samples = root().join("samples/tenants");
    let (code, err) = archive(
        dir.path(),
        &["add", "--db", "crm.sqlite", samples.to_str().unwrap()],
    );
    assert_eq!(code, 2);
    assert!(err.contains("not an m365report archive"), "{err}");
    assert_eq!(std::fs::read(&db).unwrap(), before);
    let (code, err) = archive(dir.path(), &["status", "--db", "nothing.sqlite"]);
    assert_eq!(code, 2);
    assert!(err.contains("no archive there"), "{err}");
    assert!(!dir.path().join("nothing.sqlite").exists());
}

#[test]
fn trend_from_the_archive_equals_trend_on_the_files() {
    let dir = tempfile::tempdir().unwrap();
    let tenants = root().join("samples/tenants");
    let t = tenants.to_str().unwrap();
    let (code, err) = archive(dir.path(), &["add", t, "--group-by", "dir"]);
    assert_eq!(code, 0, "{err}");
    let db = dir.path().join("m365report.sqlite");
    for format in ["csv", "json", "table"] {
        for extra in [&[][..], &["--by", "week", "--window", "2"][..]] {
            let files = m365report()
                .args(["trend", t, "--group-by", "dir", "--format", format])
                .args(extra)
                .output()
                .unwrap();
            let archived = m365report()
                .args(["trend", "--format", format, "--db"])
                .arg(&db)
                .args(extra)
                .output()
                .unwrap();
            assert_eq!(archived.status.code(), Some(0));
            assert!(!files.stdout.is_empty());
            assert_eq!(
                String::from_utf8_lossy(&files.stdout),
                String::from_utf8_lossy(&archived.stdout),
                "{format} {extra:?}"
            );
        }
    }
}

#[test]
fn folders_named_one_by_one_are_the_series_trend_names_too() {
    // `archive add tenants/* --group-by dir`: each tenant folder named on its own is its
    // own series, as `trend` names it, not one series "." for all.
    let dir = tempfile::tempdir().unwrap();
    let tenants = root().join("samples/tenants");
    let mut folders: Vec<String> = std::fs::read_dir(&tenants)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.is_dir())
        .map(|p| p.to_str().unwrap().to_string())
        .collect();
    folders.sort();
    assert!(folders.len() > 1);
    let mut add = vec!["add", "--group-by", "dir"];
    add.extend(folders.iter().map(String::as_str));
    let (code, err) = archive(dir.path(), &add);
    assert_eq!(code, 0, "{err}");
    let db = dir.path().join("m365report.sqlite");
    let files = m365report()
        .args(["trend", "--group-by", "dir", "--format", "csv"])
        .args(&folders)
        .output()
        .unwrap();
    let archived = m365report()
        .args(["trend", "--format", "csv", "--db"])
        .arg(&db)
        .output()
        .unwrap();
    assert_eq!(archived.status.code(), Some(0));
    let text = String::from_utf8_lossy(&files.stdout);
    assert!(text.lines().count() > 10, "{text}");
    assert_eq!(text, String::from_utf8_lossy(&archived.stdout));
}

/// Runs `trend ARGS` from `dir`; returns (exit status, stdout, stderr).
fn trend(dir: &Path, args: &[&str]) -> (i32, String, String) {
    let out = m365report()
        .current_dir(dir)
        .arg("trend")
        .args(args)
        .output()
        .unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// Three report kinds in one archive, `mixed.sqlite` in a new folder: contoso's GroupCounts
/// downloads, the FileCounts sample and the Storage sample (no active ratio), added without
/// --group-by. Returns the folder, the archive's path and the inputs (relative to the crate
/// root) it was made of.
fn mixed_archive() -> (tempfile::TempDir, String, [&'static str; 3]) {
    let dir = tempfile::tempdir().unwrap();
    let db = dir
        .path()
        .join("mixed.sqlite")
        .to_str()
        .unwrap()
        .to_string();
    let inputs = [
        "samples/tenants/contoso",
        "samples/getOffice365GroupsActivityFileCounts_D7.csv",
        "samples/getOffice365GroupsActivityStorage_D7.csv",
    ];
    let (code, err) = archive(&root(), &[&["add", "--db", &db][..], &inputs[..]].concat());
    assert_eq!(code, 0, "{err}");
    (dir, db, inputs)
}

#[test]
fn trend_db_with_report_equals_trend_on_that_reports_files() {
    let (_dir, db, [group_counts, file_counts, _]) = mixed_archive();
    let db = db.as_str();
    for (report, files) in [("GroupCounts", group_counts), ("FileCounts", file_counts)] {
        for extra in [
            &[][..],
            &["--since", "2026-11-01", "--until", "2026-11-10"][..],
            &["--by", "week", "--window", "2"][..],
        ] {
            let (code, from_files, err) = trend(
                &root(),
                &[&[files, "--report", report, "--format", "json"][..], extra].concat(),
            );
            assert_eq!(code, 0, "{err}");
            let (code, from_db, err) = trend(
                &root(),
                &[
                    &["--db", db, "--report", report, "--format", "json"][..],
                    extra,
                ]
                .concat(),
            );
            assert_eq!(code, 0, "{err}");
            assert_eq!(from_files, from_db, "{report} {extra:?}");
            let doc: serde_json::Value = serde_json::from_str(&from_db).unwrap();
            assert_eq!(doc["series"].as_array().unwrap().len(), 1, "{report}");
            assert_eq!(doc["series"][0]["name"], report);
            assert_eq!(doc["skipped"], serde_json::json!([]));
        }
    }
}

#[test]
fn trend_db_of_several_kinds_without_report_trends_each_as_files_do() {
    let (_dir, db, inputs) = mixed_archive();
    let db = db.as_str();
    let (code, from_files, err) = trend(&root(), &[&inputs[..], &["--format", "json"]].concat());
    assert_eq!(code, 0, "{err}");
    let (code, from_db, err) = trend(&root(), &["--db", db, "--format", "json"]);
    assert_eq!(code, 0, "{err}");
    assert_eq!(from_files, from_db);
    let doc: serde_json::Value = serde_json::from_str(&from_db).unwrap();
    // Storage follows its schema's two byte counts, as files do.
    assert_eq!(
        series_names(&doc),
        ["FileCounts", "GroupCounts", "Storage", "Storage"]
    );
    assert_eq!(doc["skipped"], serde_json::json!([]));
    assert!(!err.contains("skipped"), "{err}");
}

#[test]
fn trend_db_of_a_report_without_ratio_follows_its_counts_in_their_unit() {
    let (dir, _, _) = mixed_archive();
    let (code, out, err) = trend(
        dir.path(),
        &[
            "--db",
            "mixed.sqlite",
            "--report",
            "Storage",
            "--format",
            "json",
        ],
    );
    assert_eq!(code, 0, "{err}");
    let doc: serde_json::Value = serde_json::from_str(&out).unwrap();
    let metrics: Vec<_> = doc["series"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| (s["metric"]["name"].clone(), s["metric"]["unit"].clone()))
        .collect();
    assert_eq!(
        metrics,
        [
            (
                serde_json::json!("Mailbox Storage Used (Byte)"),
                serde_json::json!("bytes")
            ),
            (
                serde_json::json!("Site Storage Used (Byte)"),
                serde_json::json!("bytes")
            )
        ]
    );
    assert_eq!(doc["skipped"], serde_json::json!([]));
    assert!(err.contains("1 files archived; 2 series"), "{err}");
}

#[test]
fn trend_db_with_a_report_the_archive_lacks_or_an_unknown_name_is_a_usage_error() {
    let (dir, _, _) = mixed_archive();
    let (code, out, err) = trend(
        dir.path(),
        &[
            "--db",
            "mixed.sqlite",
            "--report",
            "office365GroupsActivityCounts",
        ],
    );
    assert_eq!(code, 2, "{err}");
    assert!(out.is_empty(), "{out}");
    assert!(
        err.contains(
            "mixed.sqlite holds no ActivityCounts records; it holds FileCounts, GroupCounts, Storage"
        ),
        "{err}"
    );
    let (code, out, err) = trend(
        dir.path(),
        &["--db", "mixed.sqlite", "--report", "Nonsense"],
    );
    assert_eq!(code, 2, "{err}");
    assert!(out.is_empty(), "{out}");
    assert!(err.contains("no report named `Nonsense`"), "{err}");
}

#[test]
fn trend_db_never_writes_its_chart_over_the_archive() {
    let (dir, db, _) = mixed_archive();
    let before = std::fs::read(&db).unwrap();
    let wal = Path::new(&db).with_file_name("mixed.sqlite-wal");
    let wal_before = wal.exists();
    for chart in [
        "mixed.sqlite",
        "./mixed.sqlite",
        "mixed.sqlite-wal",
        "mixed.sqlite-shm",
    ] {
        for force in [&[][..], &["--force"][..]] {
            let (code, out, err) = trend(
                dir.path(),
                &[&["--db", "mixed.sqlite", "--chart", chart][..], force].concat(),
            );
            assert_eq!(code, 2, "{chart}: {err}");
            assert!(out.is_empty(), "{out}");
            assert!(err.contains("is the archive"), "{chart}: {err}");
            assert_eq!(std::fs::read(&db).unwrap(), before);
            assert_eq!(wal.exists(), wal_before, "{chart}");
        }
    }
    let (code, _, err) = trend(dir.path(), &["--db", "mixed.sqlite", "--chart", "c.svg"]);
    assert_eq!(code, 0, "{err}");
    assert!(dir.path().join("c.svg").is_file());
}

#[test]
fn trend_db_since_and_until_cut_points_and_conflicts_as_on_files() {
    let dir = tempfile::tempdir().unwrap();
    disagreeing_exports(dir.path());
    let (code, err) = archive(dir.path(), &["add", "a", "b"]);
    assert_eq!(code, 0, "{err}");
    let cut = [
        "--since",
        "2026-11-06",
        "--until",
        "2026-11-08",
        "--format",
        "json",
    ];
    let (code, from_files, err) = trend(dir.path(), &[&["a", "b"][..], &cut].concat());
    assert_eq!(code, 0, "{err}");
    let (code, from_db, err) = trend(
        dir.path(),
        &[&["--db", "m365report.sqlite"][..], &cut].concat(),
    );
    assert_eq!(code, 0, "{err}");
    assert_eq!(from_files, from_db);
    let doc: serde_json::Value = serde_json::from_str(&from_db).unwrap();
    let points = doc["series"][0]["points"].as_array().unwrap();
    assert_eq!(points.len(), 3);
    let conflicts = doc["conflicts"].as_array().unwrap();
    assert!(!conflicts.is_empty());
    for c in conflicts {
        let day = c["report_date"].as_str().unwrap();
        assert!(("2026-11-06"..="2026-11-08").contains(&day), "{c}");
    }
    let (_, all, _) = trend(
        dir.path(),
        &["--db", "m365report.sqlite", "--format", "json"],
    );
    let all: serde_json::Value = serde_json::from_str(&all).unwrap();
    assert!(all["conflicts"].as_array().unwrap().len() > conflicts.len());
}

/// Runs `m365report ARGS` from `dir` under `script`, so that its standard error is a
/// terminal; returns everything it wrote there. `None` where `script` is not installed.
fn on_a_terminal(dir: &Path, args: &[&str]) -> Option<String> {
    let bin = assert_cmd::cargo::cargo_bin("m365report");
    let command = std::iter::once(bin.to_str().unwrap())
        .chain(args.iter().copied())
        .map(|a| format!("'{a}'"))
        .collect::<Vec<_>>()
        .join(" ");
    let out = std::process::Command::new("script")
        .current_dir(dir)
        .env("NO_COLOR", "1")
        .env("TERM", "xterm")
        .env_remove("M365REPORT_DB")
        .args(["-qfec", &command, "/dev/null"])
        .stdin(Stdio::null())
        .output()
        .ok()?;
    assert!(out.status.success(), "{command}: {out:?}");
    Some(String::from_utf8_lossy(&out.stdout).into_owned())
}

#[test]
fn archive_add_draws_the_progress_bar_of_trend_on_a_terminal_over_1000_files() {
    let dir = tempfile::tempdir().unwrap();
    let first = date("2024-01-01");
    std::fs::create_dir(dir.path().join("in")).unwrap();
    for k in 0..1001 {
        let day = first + chrono::Duration::days(k);
        std::fs::write(
            dir.path().join(format!("in/GroupCounts_{day}.csv")),
            format!("{HEADER}{day},1000,{},{day},7\n", k % 500),
        )
        .unwrap();
    }
    let Some(seen) = on_a_terminal(dir.path(), &["archive", "add", "in"]) else {
        eprintln!("skipped: no `script` to give the run a terminal");
        return;
    };
    assert!(seen.contains("/1001 files"), "no bar: {seen}");
    assert!(seen.contains("1001 files: 1001 valid"), "{seen}");
    // The same bar, from the same code, in trend; neither draws one with --quiet.
    let seen = on_a_terminal(dir.path(), &["trend", "in", "--format", "csv"]).unwrap();
    assert!(seen.contains("/1001 files"), "no bar: {seen}");
    std::fs::remove_file(dir.path().join("m365report.sqlite")).unwrap();
    let seen = on_a_terminal(dir.path(), &["archive", "add", "in", "--quiet"]).unwrap();
    assert!(!seen.contains("/1001 files"), "{seen}");
    // Not a terminal: no bar, whatever the number of files.
    std::fs::remove_file(dir.path().join("m365report.sqlite")).unwrap();
    let (code, err) = archive(dir.path(), &["add", "in"]);
    assert_eq!(code, 0, "{err}");
    assert!(!err.contains("/1001 files"), "{err}");
}

#[test]
fn export_is_a_valid_file_that_re_archives_to_the_same_rows() {
    let dir = tempfile::tempdir().unwrap();
    let tenants = root().join("samples/tenants");
    let (code, err) = archive(
        dir.path(),
        &["add", tenants.to_str().unwrap(), "--group-by", "dir"],
    );
    assert_eq!(code, 0, "{err}");
    let (code, err) = archive(dir.path(), &["export"]);
    assert_eq!(code, 2);
    assert!(err.contains("--series contoso"), "{err}");
    let original: Vec<Row> = rows(&dir.path().join("m365report.sqlite"))
        .into_iter()
        .filter(|r| r.1 == "contoso")
        .collect();
    for to in ["csv", "json", "ndjson"] {
        let name = format!("contoso/GroupCounts_export.{to}");
        std::fs::create_dir_all(dir.path().join("contoso")).unwrap();
        let (code, err) = archive(
            dir.path(),
            &["export", "--series", "contoso", "--to", to, "-o", &name],
        );
        assert_eq!(code, 0, "{err}");
        let db = format!("{to}.sqlite");
        let (code, err) = archive(
            dir.path(),
            &["add", "--db", &db, "--group-by", "dir", &name],
        );
        assert_eq!(code, 0, "{to}: {err}");
        let again = rows(&dir.path().join(&db));
        assert_eq!(again.len(), original.len());
        for (a, b) in again.iter().zip(&original) {
            assert_eq!((&a.0, &a.2, &a.3, &a.4), (&b.0, &b.2, &b.3, &b.4), "{to}");
        }
        std::fs::remove_file(dir.path().join(&name)).unwrap();
    }
    // --since/--until cut the dates.
    let out = m365report()
        .current_dir(dir.path())
        .args([
            "archive", "export", "--series", "fabrikam", "--to", "ndjson",
        ])
        .args(["--since", "2026-11-01", "--until", "2026-11-07"])
        .output()
        .unwrap();
    assert_eq!(String::from_utf8_lossy(&out.stdout).lines().count(), 7);
    // `-o -` is standard output, as for convert: the same bytes, no file named `-`.
    let dashed = m365report()
        .current_dir(dir.path())
        .args([
            "archive", "export", "--series", "fabrikam", "--to", "ndjson",
        ])
        .args(["--since", "2026-11-01", "--until", "2026-11-07", "-o", "-"])
        .output()
        .unwrap();
    assert_eq!(dashed.status.code(), Some(0));
    assert_eq!(dashed.stdout, out.stdout);
    assert!(!dir.path().join("-").exists());
}

#[test]
fn export_never_writes_over_the_archive_under_any_name_even_with_force() {
    let dir = tempfile::tempdir().unwrap();
    let contoso = root().join("samples/tenants/contoso");
    let (code, err) = archive(dir.path(), &["add", contoso.to_str().unwrap()]);
    assert_eq!(code, 0, "{err}");
    let db = dir.path().join("m365report.sqlite");
    std::fs::create_dir(dir.path().join("sub")).unwrap();
    std::fs::hard_link(&db, dir.path().join("hard.sqlite")).unwrap();
    std::os::unix::fs::symlink("m365report.sqlite", dir.path().join("soft.sqlite")).unwrap();
    let absolute = db.to_str().unwrap();
    let before = std::fs::read(&db).unwrap();
    let companions = |dir: &Path| {
        ["-wal", "-shm", "-journal"].map(|s| dir.join(format!("m365report.sqlite{s}")).exists())
    };
    let companions_before = companions(dir.path());
    for target in [
        "m365report.sqlite",
        "./m365report.sqlite",
        "sub/../m365report.sqlite",
        absolute,
        "hard.sqlite",
        "soft.sqlite",
        "m365report.sqlite-wal",
        "sub/../m365report.sqlite-shm",
        "m365report.sqlite-journal",
    ] {
        for force in [&[][..], &["--force"][..]] {
            let (code, err) = archive(dir.path(), &[&["export", "-o", target][..], force].concat());
            assert_eq!(code, 2, "{target} {force:?}: {err}");
            assert!(err.contains("is the archive"), "{target}: {err}");
            assert_eq!(std::fs::read(&db).unwrap(), before, "{target}");
            assert_eq!(companions(dir.path()), companions_before, "{target}");
        }
    }
    // The archive named another way by --db is recognised too.
    let (code, err) = archive(
        dir.path(),
        &[
            "export",
            "--db",
            "sub/../hard.sqlite",
            "-o",
            "m365report.sqlite",
            "--force",
        ],
    );
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("is the archive"), "{err}");
    assert_eq!(std::fs::read(&db).unwrap(), before);
    // A file beside the archive is written as usual.
    let (code, err) = archive(dir.path(), &["export", "-o", "contoso.json"]);
    assert_eq!(code, 0, "{err}");
    assert!(dir.path().join("contoso.json").is_file());
}

#[test]
fn export_refuses_an_existing_output_without_force_before_reading_the_archive() {
    let (dir, _, _) = mixed_archive();
    let out = dir.path().join("out.csv");
    std::fs::write(&out, "keep me").unwrap();
    // Three series: reading the archive would stop at "export one at a time".
    let export = [
        "export",
        "--db",
        "mixed.sqlite",
        "--to",
        "csv",
        "-o",
        "out.csv",
    ];
    let (code, err) = archive(dir.path(), &export);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("already exists"), "{err}");
    assert!(!err.contains("series"), "{err}");
    assert_eq!(std::fs::read_to_string(&out).unwrap(), "keep me");
    let forced = [&export[..], &["--force", "--report", "Storage"]].concat();
    let (code, err) = archive(dir.path(), &forced);
    assert_eq!(code, 0, "{err}");
    assert_ne!(std::fs::read_to_string(&out).unwrap(), "keep me");
}

#[test]
fn kill_9_during_ingest_leaves_a_sound_database_and_re_adding_completes_it() {
    let dir = tempfile::tempdir().unwrap();
    let corpus = corpus(dir.path(), 5, 60);
    let c = corpus.to_str().unwrap();
    let (code, err) = archive(dir.path(), &["add", "--db", "clean.sqlite", c]);
    assert_eq!(code, 0, "{err}");
    let clean = rows(&dir.path().join("clean.sqlite"));
    let db = dir.path().join("killed.sqlite");
    let bin = assert_cmd::cargo::cargo_bin("m365report");
    let mut killed_before_commit = 0;
    for delay_ms in [15u64, 60, 120, 250, 400] {
        let mut child = std::process::Command::new(&bin)
            .current_dir(dir.path())
            .args(["archive", "add", "--db", "killed.sqlite", c])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        std::thread::sleep(Duration::from_millis(delay_ms));
        // Child::kill sends SIGKILL on Unix: no destructor, no rollback.
        let _ = child.kill();
        let status = child.wait().unwrap();
        killed_before_commit += usize::from(!status.success());
        if db.exists() && std::fs::metadata(&db).unwrap().len() > 0 {
            let conn = Connection::open(&db).unwrap();
            let ok: String = conn
                .query_row("PRAGMA integrity_check", [], |r| r.get(0))
                .unwrap_or_else(|e| panic!("after {delay_ms} ms: {e}"));
            assert_eq!(ok, "ok", "after {delay_ms} ms");
            // All of a run or none of it: files and records agree.
            let files: i64 = conn
                .query_row("SELECT COUNT(*) FROM files", [], |r| r.get(0))
                .unwrap_or(0);
            let records: i64 = conn
                .query_row("SELECT COUNT(*) FROM records", [], |r| r.get(0))
                .unwrap_or(0);
            assert!(
                (files == 0 && records == 0) || (files == 300 && records as usize == clean.len()),
                "after {delay_ms} ms: {files} files, {records} records"
            );
        }
    }
    assert!(
        killed_before_commit > 0,
        "no run was killed; lower the delays"
    );
    let (code, err) = archive(dir.path(), &["add", "--db", "killed.sqlite", c]);
    assert_eq!(code, 0, "{err}");
    assert_eq!(rows(&db), clean);
}

#[test]
fn two_adds_at_the_same_time_both_succeed_and_lose_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let corpus = corpus(dir.path(), 4, 30);
    let bin = assert_cmd::cargo::cargo_bin("m365report");
    // Two parent folders sharing tenant-0003, so --group-by dir names the same series.
    for (parent, tenants) in [
        ("a", &["tenant-0001", "tenant-0002", "tenant-0003"][..]),
        ("b", &["tenant-0003", "tenant-0004"][..]),
    ] {
        std::fs::create_dir(dir.path().join(parent)).unwrap();
        for t in tenants {
            std::os::unix::fs::symlink(corpus.join(t), dir.path().join(parent).join(t)).unwrap();
        }
    }
    let spawn = |parent: &str| {
        let mut cmd = std::process::Command::new(&bin);
        cmd.current_dir(dir.path()).args([
            "archive",
            "add",
            "--db",
            "both.sqlite",
            "--group-by",
            "dir",
            parent,
        ]);
        cmd.stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap()
    };
    let a = spawn("a");
    let b = spawn("b");
    for child in [a, b] {
        let out = child.wait_with_output().unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    let (code, err) = archive(
        dir.path(),
        &[
            "add",
            "--db",
            "one.sqlite",
            "--group-by",
            "dir",
            corpus.to_str().unwrap(),
        ],
    );
    assert_eq!(code, 0, "{err}");
    let strip = |rows: Vec<Row>| -> Vec<(String, String, String, Option<String>, String)> {
        rows.into_iter()
            .map(|(a, b, c, d, e, _)| (a, b, c, d, e))
            .collect()
    };
    let both = rows(&dir.path().join("both.sqlite"));
    assert_eq!(strip(both), strip(rows(&dir.path().join("one.sqlite"))));
    assert_eq!(count(&dir.path().join("both.sqlite"), "files"), 4 * 30);
}

#[test]
fn export_equals_convert_merge_of_the_same_files() {
    let dir = tempfile::tempdir().unwrap();
    let contoso = root().join("samples/tenants/contoso");
    let c = contoso.to_str().unwrap();
    let (code, err) = archive(dir.path(), &["add", c]);
    assert_eq!(code, 0, "{err}");
    for to in ["json", "ndjson", "csv"] {
        let convert = m365report()
            .args(["convert", "--merge", "--to", to, c])
            .output()
            .unwrap();
        assert_eq!(convert.status.code(), Some(0), "{to}");
        let export = m365report()
            .current_dir(dir.path())
            .args(["archive", "export", "--to", to])
            .output()
            .unwrap();
        assert_eq!(export.status.code(), Some(0), "{to}");
        assert!(!export.stdout.is_empty());
        assert_eq!(
            String::from_utf8_lossy(&export.stdout),
            String::from_utf8_lossy(&convert.stdout),
            "{to}"
        );
    }
}

/// A database of schema version 1 (before detail rows were stored) is migrated in place by
/// the next `add`: its records stay, detail reports' rows are stored from then on, and
/// `trend --db` follows them as it follows their files.
#[test]
fn a_version_1_archive_migrates_in_place_and_then_holds_detail_rows() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("old.sqlite");
    let add = |path: &std::path::Path| {
        m365report()
            .args(["archive", "add", "--db"])
            .arg(&db)
            .arg(path)
            .output()
            .unwrap()
    };
    let out = add(&root().join("samples/tenants/contoso"));
    assert_eq!(out.status.code(), Some(0));
    {
        // What version 1 wrote: no `entities` table, user_version 1.
        let conn = Connection::open(&db).unwrap();
        conn.execute_batch("DROP TABLE entities; PRAGMA user_version = 1;")
            .unwrap();
    }
    let detail =
        root().join("tests/fixtures/metrics/getTeamsUserActivityUserDetail_D7_2026-11-30.csv");
    let out = add(&detail);
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{err}");
    assert!(err.contains(", 5 detail rows;"), "{err}");
    let conn = Connection::open(&db).unwrap();
    let version: i64 = conn
        .query_row("PRAGMA user_version", [], |r| r.get(0))
        .unwrap();
    assert_eq!(version, 2);
    let records: i64 = conn
        .query_row("SELECT count(*) FROM records", [], |r| r.get(0))
        .unwrap();
    assert_eq!(records, 44, "the version 1 records are kept");
    // The report's view reads its rows, one typed column per property.
    let deleted: i64 = conn
        .query_row(
            "SELECT count(*) FROM teamsUserActivityUserDetail WHERE isDeleted = 1",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(deleted, 1);
    let trend = |args: &[&str]| {
        let out = m365report()
            .arg("trend")
            .args(args)
            .args(["--format", "csv"])
            .output()
            .unwrap();
        String::from_utf8(out.stdout).unwrap()
    };
    let from_db = trend(&[
        "--db",
        db.to_str().unwrap(),
        "--report",
        "teamsUserActivityUserDetail",
    ]);
    let from_file = trend(&[detail.to_str().unwrap()]);
    assert_eq!(from_db, from_file);
    assert!(from_db.contains(",2026-11-30,2,4,0.5,0.5"), "{from_db}");
}
