//! `m365report convert`: each direction and flag, safety of outputs, round trips.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use m365report::discover::{Input, Source};
use m365report::validate::{check_source, CheckOptions};
use m365report::write::{Compression, Destination, Durability, Format, RecordWriter, WriteOptions};
use m365report::Registry;
use predicates::prelude::*;
use proptest::prelude::*;

use super::{fixture, m365report, tree};

const CSV: &str = "valid/GroupCounts_D7_lf_no_bom.csv";
const HEADER: &str = "Report Refresh Date,Total,Active,Report Date,Report Period\n";
const CONTEXT: &str = "https://graph.microsoft.com/beta/$metadata#Collection(microsoft.graph.office365GroupsActivityGroupCounts)";

fn stdout_of(args: &[&str]) -> String {
    let out = m365report().arg("convert").args(args).assert().success();
    String::from_utf8(out.get_output().stdout.clone()).unwrap()
}

fn fx(name: &str) -> String {
    fixture(name).display().to_string()
}

#[test]
fn csv_to_json_on_stdout_is_the_graph_envelope_newest_first() {
    let out = stdout_of(&[&fx(CSV)]);
    let first = format!(
        "{{\n  \"@odata.context\": \"{CONTEXT}\",\n  \"value\": [\n    {{\"reportRefreshDate\":\"2026-11-25\",\"total\":5347,\"active\":2169,\"reportDate\":\"2026-11-25\",\"reportPeriod\":\"7\"}},\n"
    );
    assert!(out.starts_with(&first), "{out}");
    assert!(out.ends_with("}\n  ]\n}\n"), "{out}");
    let json: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(json["value"].as_array().unwrap().len(), 7);
}

#[test]
fn json_with_datetime_dates_to_csv_gives_plain_dates() {
    let out = stdout_of(&[&fx("valid/GroupCounts_D7_datetime_dates.json")]);
    assert!(out.starts_with(HEADER), "{out}");
    assert!(
        out.contains("\n2021-10-25,3490,1428,2021-10-25,7\n"),
        "{out}"
    );
    assert!(!out.contains("T00"), "{out}");
    assert_eq!(out.lines().count(), 8);
}

#[test]
fn to_ndjson_writes_record_lines_only() {
    let out = stdout_of(&["--to", "ndjson", &fx(CSV)]);
    assert_eq!(out.lines().count(), 7);
    assert!(out.lines().all(|l| l.starts_with("{\"reportRefreshDate\"")));
}

#[test]
fn oldest_first_rows_come_out_newest_first() {
    let out = stdout_of(&["--to", "csv", &fx("W403_rows_oldest_first.csv")]);
    let canonical = stdout_of(&["--to", "csv", &fx(CSV)]);
    assert_eq!(out, canonical);
}

#[test]
fn csv_to_csv_is_canonical_lf_no_bom_minimal_quotes() {
    let out = stdout_of(&["--to", "csv", &fx("valid/GroupCounts_D7_quoted_fields.csv")]);
    assert!(out.starts_with(HEADER), "{out:?}");
    assert!(!out.contains('\r') && !out.contains('"'), "{out:?}");
    let with_bom = stdout_of(&["--to", "csv", "--bom", &fx(CSV)]);
    assert_eq!(
        with_bom,
        format!("\u{feff}{}", stdout_of(&["--to", "csv", &fx(CSV)]))
    );
}

#[test]
fn output_file_takes_its_format_from_the_extension() {
    let dir = tempfile::tempdir().unwrap();
    let target = dir.path().join("out.ndjson");
    m365report()
        .args(["convert", &fx(CSV), "-o"])
        .arg(&target)
        .assert()
        .success()
        .stdout("")
        .stderr(predicate::str::contains("converted 1 file (7 records)"));
    let text = fs::read_to_string(&target).unwrap();
    assert_eq!(text.lines().count(), 7);
    assert_eq!(tree(dir.path()), ["out.ndjson"]);
}

#[test]
fn out_dir_mirrors_folders_and_changes_extensions() {
    let input = tempfile::tempdir().unwrap();
    fs::create_dir_all(input.path().join("a")).unwrap();
    fs::create_dir_all(input.path().join("b")).unwrap();
    fs::copy(fixture(CSV), input.path().join("a/GroupCounts.csv")).unwrap();
    fs::copy(
        fixture("valid/GroupCounts_D7_datetime_dates.json"),
        input.path().join("b/GroupCounts.json"),
    )
    .unwrap();
    let out = tempfile::tempdir().unwrap();
    m365report()
        .args(["convert", "--out-dir"])
        .arg(out.path())
        .arg(input.path())
        .assert()
        .success()
        .stderr(predicate::str::contains("converted 2 files (14 records)"));
    assert_eq!(
        tree(out.path()),
        ["a", "a/GroupCounts.json", "b", "b/GroupCounts.csv"]
    );
}

#[test]
fn several_inputs_without_out_dir_or_merge_is_a_usage_error() {
    m365report()
        .args(["convert", &fx(CSV), &fx("valid/GroupCounts_D30.csv")])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("--out-dir"));
}

#[test]
fn existing_output_is_kept_without_force_and_replaced_with_it() {
    let dir = tempfile::tempdir().unwrap();
    let target = dir.path().join("out.json");
    fs::write(&target, "keep me").unwrap();
    m365report()
        .args(["convert", &fx(CSV), "-o"])
        .arg(&target)
        .assert()
        .code(2)
        .stderr(predicate::str::contains("already exists"));
    assert_eq!(fs::read_to_string(&target).unwrap(), "keep me");
    m365report()
        .args(["convert", "--force", &fx(CSV), "-o"])
        .arg(&target)
        .assert()
        .success();
    assert!(fs::read_to_string(&target).unwrap().starts_with("{\n"));
    assert_eq!(tree(dir.path()), ["out.json"]);
}

#[test]
fn no_sync_writes_the_same_outputs_with_the_same_safety() {
    let dir = tempfile::tempdir().unwrap();
    let (synced, unsynced) = (
        dir.path().join("synced.json"),
        dir.path().join("unsynced.json"),
    );
    for (target, extra) in [(&synced, None), (&unsynced, Some("--no-sync"))] {
        m365report()
            .args(["convert", &fx(CSV), "-o"])
            .arg(target)
            .args(extra)
            .assert()
            .success();
    }
    assert_eq!(fs::read(&synced).unwrap(), fs::read(&unsynced).unwrap());
    // An existing output is still refused without --force, replaced with it.
    fs::write(&unsynced, "keep me").unwrap();
    m365report()
        .args(["convert", "--no-sync", &fx(CSV), "-o"])
        .arg(&unsynced)
        .assert()
        .code(2)
        .stderr(predicate::str::contains("already exists"));
    assert_eq!(fs::read_to_string(&unsynced).unwrap(), "keep me");
    m365report()
        .args(["convert", "--no-sync", "--force", &fx(CSV), "-o"])
        .arg(&unsynced)
        .assert()
        .success();
    assert_eq!(fs::read(&synced).unwrap(), fs::read(&unsynced).unwrap());
    // Several outputs (committed as one batch), and an invalid input writes nothing.
    let out = dir.path().join("out");
    m365report()
        .args(["convert", "--no-sync", "--out-dir"])
        .arg(&out)
        .args([fx(CSV), fx("valid/GroupCounts_D30.csv")])
        .assert()
        .success()
        .stderr(predicate::str::contains("converted 2 files"));
    assert_eq!(
        tree(&out),
        ["GroupCounts_D30.json", "GroupCounts_D7_lf_no_bom.json"]
    );
    m365report()
        .args([
            "convert",
            "--no-sync",
            &fx("E302_active_greater_than_total.csv"),
            "-o",
        ])
        .arg(dir.path().join("bad.json"))
        .assert()
        .code(1);
    assert_eq!(
        tree(dir.path()),
        [
            "out",
            "out/GroupCounts_D30.json",
            "out/GroupCounts_D7_lf_no_bom.json",
            "synced.json",
            "unsynced.json"
        ]
    );
}

#[test]
fn output_that_is_an_input_is_refused_even_with_force() {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("GroupCounts.csv");
    fs::copy(fixture(CSV), &input).unwrap();
    let before = fs::read(&input).unwrap();
    // The same file under another spelling, and through a hard link.
    let link = dir.path().join("link.csv");
    fs::hard_link(&input, &link).unwrap();
    for target in [dir.path().join("./GroupCounts.csv"), link] {
        m365report()
            .args(["convert", "--force", "--to", "csv"])
            .arg(&input)
            .arg("-o")
            .arg(&target)
            .assert()
            .code(2)
            .stderr(predicate::str::contains("is one of the inputs"));
    }
    assert_eq!(fs::read(&input).unwrap(), before);
    assert_eq!(tree(dir.path()), ["GroupCounts.csv", "link.csv"]);
}

#[test]
fn invalid_input_is_not_converted_and_exits_1() {
    let dir = tempfile::tempdir().unwrap();
    let target = dir.path().join("out.json");
    m365report()
        .args(["convert", &fx("E302_active_greater_than_total.csv"), "-o"])
        .arg(&target)
        .assert()
        .code(1)
        .stderr(
            predicate::str::contains("error[E302]")
                .and(predicate::str::contains("nothing written")),
        );
    assert!(tree(dir.path()).is_empty());
    // Standard output gets nothing either, not even the records before the bad one.
    m365report()
        .args(["convert", &fx("E302_active_greater_than_total.csv")])
        .assert()
        .code(1)
        .stdout("");
}

#[test]
fn one_invalid_input_stops_all_outputs_unless_skip_invalid() {
    let input = tempfile::tempdir().unwrap();
    fs::copy(fixture(CSV), input.path().join("good.csv")).unwrap();
    fs::copy(
        fixture("E302_active_greater_than_total.csv"),
        input.path().join("bad.csv"),
    )
    .unwrap();
    let out = tempfile::tempdir().unwrap();
    m365report()
        .args(["convert", "--out-dir"])
        .arg(out.path())
        .arg(input.path())
        .assert()
        .code(1)
        .stderr(predicate::str::contains("--skip-invalid"));
    assert!(tree(out.path()).is_empty(), "{:?}", tree(out.path()));
    // Nor an empty folder tree for a run that wrote nothing.
    fs::create_dir(input.path().join("sub")).unwrap();
    fs::copy(fixture(CSV), input.path().join("sub/good.csv")).unwrap();
    let fresh = out.path().join("new");
    m365report()
        .args(["convert", "--out-dir"])
        .arg(&fresh)
        .arg(input.path())
        .assert()
        .code(1);
    assert!(!fresh.exists());
    fs::remove_dir_all(input.path().join("sub")).unwrap();
    m365report()
        .args(["convert", "--skip-invalid", "--out-dir"])
        .arg(out.path())
        .arg(input.path())
        .assert()
        .code(1)
        .stderr(
            predicate::str::contains("skipped 1 invalid").and(predicate::str::contains("bad.csv")),
        );
    assert_eq!(tree(out.path()), ["good.json"]);
}

/// Whether the current user can create files in `dir` (root ignores permission bits).
fn writable(dir: &Path) -> bool {
    let probe = dir.join(".probe");
    let ok = fs::write(&probe, "").is_ok();
    let _ = fs::remove_file(&probe);
    ok
}

#[test]
fn read_only_folder_is_exit_2_and_leaves_no_file() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let locked = dir.path().join("locked");
    fs::create_dir(&locked).unwrap();
    fs::set_permissions(&locked, fs::Permissions::from_mode(0o555)).unwrap();
    // As root the permission bits do not stop writes: use sysfs, read-only for everyone.
    let folder = if writable(&locked) {
        PathBuf::from("/sys")
    } else {
        locked.clone()
    };
    let target = folder.join("m365report-out.json");
    m365report()
        .args(["convert", &fx(CSV), "-o"])
        .arg(&target)
        .assert()
        .code(2)
        .stderr(predicate::str::contains("cannot create a file"));
    assert!(!target.exists());
    fs::set_permissions(&locked, fs::Permissions::from_mode(0o755)).unwrap();
    assert!(tree(&locked).is_empty());
}

#[test]
fn full_disk_on_stdout_is_exit_2() {
    let full = fs::OpenOptions::new()
        .write(true)
        .open("/dev/full")
        .unwrap();
    let out = Command::new(assert_cmd::cargo::cargo_bin("m365report"))
        .args(["convert", &fx(CSV)])
        .stdout(Stdio::from(full))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("No space left on device"), "{stderr}");
}

#[test]
fn device_as_output_file_is_refused() {
    m365report()
        .args(["convert", "--force", &fx(CSV), "-o", "/dev/full"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("not a regular file"));
}

#[test]
fn interrupted_run_leaves_neither_output_nor_temporary_file() {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("in");
    fs::create_dir(&input).unwrap();
    let mut csv = String::from(HEADER);
    let end = chrono::NaiveDate::from_ymd_opt(9999, 12, 31).unwrap();
    for i in 0..400_000 {
        let d = end - chrono::Duration::days(i);
        csv.push_str(&format!("9999-12-31,{},{},{d},180\n", 1000 + i, i % 1000));
    }
    for name in ["GroupCounts_1.csv", "GroupCounts_2.csv"] {
        fs::write(input.join(name), &csv).unwrap();
    }
    let out = dir.path().join("out");
    let mut child = Command::new(assert_cmd::cargo::cargo_bin("m365report"))
        .args(["convert", "--out-dir"])
        .arg(&out)
        .arg(&input)
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    // The signal goes once a temporary output exists: the run is writing (a fixed delay
    // raced the run on a fast machine, landing after the outputs were complete).
    let writing = || {
        fs::read_dir(&out).is_ok_and(|entries| {
            entries
                .flatten()
                .any(|e| e.file_name().to_string_lossy().ends_with(".m365report-tmp"))
        })
    };
    let started = std::time::Instant::now();
    while !writing() && started.elapsed() < std::time::Duration::from_secs(10) {
        if child.try_wait().unwrap().is_some() {
            break;
        }
        std::thread::sleep(std::time::Duration::from_micros(200));
    }
    let killed = Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .unwrap();
    let status = child.wait().unwrap();
    let left = if out.exists() { tree(&out) } else { Vec::new() };
    let complete = ["GroupCounts_1.json", "GroupCounts_2.json"];
    if killed.success() && status.code() == Some(130) && left.is_empty() {
        // Interrupted while writing: the cleanup handler removed every temporary file.
        return;
    }
    // Otherwise the run beat the signal (finished, or committed its outputs just before
    // it): both outputs are then whole and nothing temporary is left.
    assert_eq!(left, complete, "status {status:?}");
    for name in complete {
        let text = fs::read_to_string(out.join(name)).unwrap();
        let json: serde_json::Value = serde_json::from_str(&text).unwrap();
        assert_eq!(json["value"].as_array().unwrap().len(), 400_000);
    }
}

#[test]
fn standard_input_is_converted_to_standard_output() {
    m365report()
        .args(["convert", "--to", "ndjson", "-"])
        .pipe_stdin(fixture(CSV))
        .unwrap()
        .assert()
        .success()
        .stdout(predicate::str::starts_with(
            "{\"reportRefreshDate\":\"2026-11-25\"",
        ));
}

// ---- round trips through the library, on generated exports ----

/// Converts `path` to `format` with the check driver feeding a writer; panics if invalid.
fn convert(path: &Path, format: Format, out: &Path) -> Vec<u8> {
    let registry = Registry::builtin().unwrap();
    let source = Source {
        input: Input::Path(path.to_path_buf()),
        name: path.display().to_string(),
        index: 0,
        group: ".".into(),
        relative: PathBuf::from(path.file_name().unwrap()),
    };
    let _ = fs::remove_file(out);
    let mut writer = RecordWriter::new(
        WriteOptions {
            format,
            bom: false,
            durability: Durability::default(),
            compression: Compression::default(),
        },
        Destination::File(out.to_path_buf()),
    );
    let report = check_source(&source, &registry, &CheckOptions::default(), &mut writer);
    assert!(report.is_valid(), "{:?}", report.findings);
    writer
        .take_output(report.report.as_ref())
        .unwrap()
        .unwrap()
        .commit(false)
        .unwrap();
    fs::read(out).unwrap()
}

#[test]
fn fixtures_round_trip_to_their_canonical_forms() {
    let dir = tempfile::tempdir().unwrap();
    let p = |name: &str| dir.path().join(format!("GroupCounts_{name}"));
    for name in fs::read_dir(fixture("valid")).unwrap() {
        let input = name.unwrap().path();
        let canonical_csv = convert(&input, Format::Csv, &p("c.csv"));
        let canonical_json = convert(&input, Format::Json, &p("c.json"));
        // CSV -> JSON -> CSV and JSON -> CSV -> JSON, and NDJSON in between.
        assert_eq!(
            convert(&p("c.csv"), Format::Json, &p("j.json")),
            canonical_json,
            "{input:?}"
        );
        assert_eq!(
            convert(&p("c.json"), Format::Csv, &p("k.csv")),
            canonical_csv,
            "{input:?}"
        );
        let nd = convert(&p("c.json"), Format::Ndjson, &p("n.ndjson"));
        assert_eq!(
            convert(&p("n.ndjson"), Format::Json, &p("m.json")),
            canonical_json
        );
        assert!(!nd.is_empty());
        // The canonical forms are fixed points.
        assert_eq!(
            convert(&p("j.json"), Format::Json, &p("jj.json")),
            canonical_json
        );
        assert_eq!(
            convert(&p("k.csv"), Format::Csv, &p("kk.csv")),
            canonical_csv
        );
    }
}

/// A valid GroupCounts export: one refresh date, distinct report dates not after it.
fn arb_export() -> impl Strategy<Value = String> {
    (
        0i64..3000,
        prop::sample::select(vec!["7", "30", "90", "180"]),
        // At least one row: an empty NDJSON file is an empty file (E001), and a JSON file
        // with no records does not say its kind; both are covered by their own tests.
        prop::collection::btree_set(0i64..200, 1..40),
        any::<u64>(),
        any::<bool>(),
    )
        .prop_map(|(start, period, back, seed, bom)| {
            let refresh = chrono::NaiveDate::from_ymd_opt(2021, 1, 1).unwrap()
                + chrono::Duration::days(start);
            let mut rows: Vec<String> = back
                .iter()
                .enumerate()
                .map(|(i, &b)| {
                    let x = seed.wrapping_mul(i as u64 + 1).rotate_left(i as u32);
                    let total = x % 100_000;
                    let active = if x % 7 == 0 {
                        String::new()
                    } else {
                        (total / 3).to_string()
                    };
                    let date = refresh - chrono::Duration::days(b);
                    format!("{refresh},{total},{active},{date},{period}")
                })
                .collect();
            // Sometimes shuffled out of Graph's order, to exercise the sort.
            if seed % 3 == 0 {
                rows.reverse();
            }
            let mut text = String::from(if bom { "\u{feff}" } else { "" });
            text.push_str(HEADER.trim_end());
            for row in rows {
                text.push_str("\r\n");
                text.push_str(&row);
            }
            text.push_str("\r\n");
            text
        })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]

    #[test]
    fn generated_exports_round_trip_exactly(export in arb_export()) {
        let dir = tempfile::tempdir().unwrap();
        let p = |name: &str| dir.path().join(format!("GroupCounts_{name}"));
        fs::write(p("in.csv"), &export).unwrap();
        let canonical_csv = convert(&p("in.csv"), Format::Csv, &p("c.csv"));
        let json = convert(&p("in.csv"), Format::Json, &p("a.json"));
        prop_assert_eq!(&convert(&p("a.json"), Format::Csv, &p("b.csv")), &canonical_csv);
        prop_assert_eq!(&convert(&p("b.csv"), Format::Json, &p("d.json")), &json);
        let nd = convert(&p("d.json"), Format::Ndjson, &p("e.ndjson"));
        prop_assert_eq!(&convert(&p("e.ndjson"), Format::Csv, &p("f.csv")), &canonical_csv);
        prop_assert!(nd.iter().filter(|&&b| b == b'\n').count() + 1 == canonical_csv.iter().filter(|&&b| b == b'\n').count());
    }
}

// ---- --merge ----

/// Writes `rows` (without header) as a GroupCounts CSV named `name` in `dir`.
fn export(dir: &Path, name: &str, rows: &[&str]) -> PathBuf {
    let path = dir.join(name);
    let mut text = String::from(HEADER);
    for row in rows {
        text.push_str(row);
        text.push('\n');
    }
    fs::write(&path, text).unwrap();
    path
}

#[test]
fn merge_keeps_the_newest_refresh_per_date_newest_first() {
    let dir = tempfile::tempdir().unwrap();
    let old = export(
        dir.path(),
        "GroupCounts_a.csv",
        &[
            "2026-11-25,100,10,2026-11-25,7",
            "2026-11-25,99,9,2026-11-24,7",
        ],
    );
    let new = export(
        dir.path(),
        "GroupCounts_b.csv",
        &[
            "2026-11-26,101,11,2026-11-26,7",
            "2026-11-26,100,12,2026-11-25,7",
        ],
    );
    let out = m365report()
        .args(["convert", "--merge", "--to", "csv"])
        .arg(&old)
        .arg(&new)
        .assert()
        .success()
        .stderr(predicate::str::contains("merged 2 files into 3 records"));
    assert_eq!(
        String::from_utf8(out.get_output().stdout.clone()).unwrap(),
        format!("{HEADER}2026-11-26,101,11,2026-11-26,7\n2026-11-26,100,12,2026-11-25,7\n2026-11-25,99,9,2026-11-24,7\n")
    );
}

#[test]
fn merge_warns_when_files_of_one_refresh_disagree_and_keeps_the_first() {
    let dir = tempfile::tempdir().unwrap();
    let a = export(
        dir.path(),
        "GroupCounts_a.csv",
        &["2026-11-25,100,10,2026-11-25,7"],
    );
    let b = export(
        dir.path(),
        "GroupCounts_b.csv",
        &["2026-11-25,100,55,2026-11-25,7"],
    );
    let out = m365report()
        .args(["convert", "--merge", "--to", "csv"])
        .arg(&b)
        .arg(&a)
        .assert()
        .success()
        .stderr(
            predicate::str::contains("GroupCounts_b.csv and")
                .and(predicate::str::contains(
                    "GroupCounts_a.csv, both refreshed 2026-11-25",
                ))
                .and(predicate::str::contains("disagree about 2026-11-25")),
        );
    let text = String::from_utf8(out.get_output().stdout.clone()).unwrap();
    assert!(text.contains("2026-11-25,100,55,2026-11-25,7"), "{text}");
}

#[test]
fn merge_refuses_different_reports_in_one_output_and_says_which() {
    let dir = tempfile::tempdir().unwrap();
    let groups = export(
        dir.path(),
        "GroupCounts_a.csv",
        &["2026-11-25,100,10,2026-11-25,7"],
    );
    let files = export(
        dir.path(),
        "FileCounts_a.csv",
        &["2026-11-25,100,10,2026-11-25,7"],
    );
    m365report()
        .args(["convert", "--merge"])
        .arg(&groups)
        .arg(&files)
        .assert()
        .code(2)
        .stdout("")
        .stderr(
            predicate::str::contains("office365GroupsActivityGroupCounts: ")
                .and(predicate::str::contains(
                    "office365GroupsActivityFileCounts: ",
                ))
                .and(predicate::str::contains("FileCounts_a.csv")),
        );
    // With --out-dir: one file per report.
    let out = dir.path().join("out");
    m365report()
        .args(["convert", "--merge", "--out-dir"])
        .arg(&out)
        .arg(&groups)
        .arg(&files)
        .assert()
        .success();
    assert_eq!(
        tree(&out),
        [
            "office365GroupsActivityFileCounts.json",
            "office365GroupsActivityGroupCounts.json"
        ]
    );
}

#[test]
fn merge_with_an_invalid_input_writes_nothing_unless_skip_invalid() {
    let dir = tempfile::tempdir().unwrap();
    let good = export(
        dir.path(),
        "GroupCounts_a.csv",
        &["2026-11-25,100,10,2026-11-25,7"],
    );
    let target = dir.path().join("merged.json");
    m365report()
        .args(["convert", "--merge", "-o"])
        .arg(&target)
        .arg(&good)
        .arg(fixture("E302_active_greater_than_total.csv"))
        .assert()
        .code(1);
    assert!(!target.exists());
    m365report()
        .args(["convert", "--merge", "--skip-invalid", "-o"])
        .arg(&target)
        .arg(&good)
        .arg(fixture("E302_active_greater_than_total.csv"))
        .assert()
        .code(1)
        .stderr(predicate::str::contains("skipped 1 invalid"));
    assert!(target.exists());
}
