//! `m365report trend`: the two-tenant sample against its merged truth, every format and flag,
//! nulls, zero totals, conflicts, gaps, invalid files and the chart.

use std::path::Path;

use serde_json::Value;

use crate::{fixture, m365report, series_names};

const HEADER: &str = "\u{feff}Report Refresh Date,Total,Active,Report Date,Report Period\n";

/// Writes a GroupCounts CSV: rows of (refresh, total, active, report date), newest first.
fn write_export(path: &Path, period: &str, rows: &[(&str, &str, &str, &str)]) {
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).unwrap();
    }
    let mut text = HEADER.to_string();
    for (refresh, total, active, date) in rows {
        text.push_str(&format!("{refresh},{total},{active},{date},{period}\n"));
    }
    std::fs::write(path, text).unwrap();
}

/// A D7 export refreshed on `refresh` (2026-11-DD) with Active = `base + day`.
fn d7(dir: &Path, name: &str, refresh_day: u32, base: u32) {
    let rows: Vec<(String, String, String, String)> = (0..7)
        .map(|k| {
            let d = refresh_day - k;
            (
                format!("2026-11-{refresh_day:02}"),
                "100".to_string(),
                (base + d).to_string(),
                format!("2026-11-{d:02}"),
            )
        })
        .collect();
    let rows: Vec<(&str, &str, &str, &str)> = rows
        .iter()
        .map(|(a, b, c, d)| (a.as_str(), b.as_str(), c.as_str(), d.as_str()))
        .collect();
    write_export(&dir.join(name), "7", &rows);
}

fn run_json(args: &[&str]) -> (Value, String, i32) {
    let out = m365report()
        .arg("trend")
        .args(args)
        .args(["--format", "json"])
        .output()
        .unwrap();
    let doc = serde_json::from_slice(&out.stdout).unwrap_or(Value::Null);
    (
        doc,
        String::from_utf8_lossy(&out.stderr).into_owned(),
        out.status.code().unwrap_or(-1),
    )
}

fn close(v: &Value, want: f64) -> bool {
    v.as_f64().is_some_and(|x| (x - want).abs() < 1e-12)
}

#[test]
fn csv_of_the_two_tenants_equals_the_merged_truth() {
    let out = m365report()
        .args([
            "trend",
            "samples/tenants",
            "--group-by",
            "dir",
            "--format",
            "csv",
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    let text = String::from_utf8(out.stdout).unwrap();
    let truth = std::fs::read_to_string(fixture("trend/expected_daily.csv")).unwrap();
    let mut lines = text.lines();
    assert_eq!(
        lines.next(),
        Some("series,report,metric,date,numerator,denominator,value,rolling_mean")
    );
    // The truth's columns: series,report_date,total,active.
    let ours: Vec<String> = lines
        .clone()
        .map(|l| {
            let f: Vec<&str> = l.split(',').collect();
            assert_eq!(
                f[1..3],
                ["office365GroupsActivityGroupCounts", "Active / Total"]
            );
            [f[0], f[3], f[5], f[4]].join(",")
        })
        .collect();
    let want: Vec<&str> = truth.lines().skip(1).collect();
    assert_eq!(ours, want);
    // Ratios read back exactly as active / total; the empty Active cell gives empty ratio.
    for line in lines {
        let f: Vec<&str> = line.split(',').collect();
        match (f[5].parse::<f64>(), f[4].parse::<f64>()) {
            (Ok(t), Ok(a)) => assert_eq!(f[6].parse::<f64>().unwrap(), a / t, "{line}"),
            _ => assert_eq!(f[6], "", "{line}"),
        }
    }
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("42 files: 42 valid, 0 invalid; 2 series, 88 points"),
        "{stderr}"
    );
}

/// Numbers checked by hand from tests/fixtures/trend/expected_daily.csv (an independent
/// Python calculation of the same definitions).
#[test]
fn json_summary_of_the_sample_is_hand_checked() {
    let (doc, _, code) = run_json(&["samples/tenants", "--group-by", "dir"]);
    assert_eq!(code, 0);
    let series = doc["series"].as_array().unwrap();
    assert_eq!(series.len(), 2);
    let c = &series[0];
    assert_eq!(c["name"], "contoso");
    assert_eq!(c["report"], "office365GroupsActivityGroupCounts");
    let s = &c["summary"];
    assert_eq!(s["first_date"], "2026-10-06");
    assert_eq!(s["last_date"], "2026-11-18");
    assert_eq!(s["days_present"], 44);
    assert_eq!(s["missing"], serde_json::json!([]));
    assert_eq!(c["metric"]["unit"], "percent");
    assert!(close(&s["latest"], 2195.0 / 5326.0));
    assert_eq!(s["min"]["date"], "2026-11-01");
    assert!(close(&s["min"]["value"], 1859.0 / 5305.0));
    assert_eq!(s["max"]["date"], "2026-10-19");
    assert!(close(&s["change"], 0.16381314735540164));
    assert!(close(&s["slope_per_30d"], 0.02985300468385034));
    // The late revision of 2026-11-08: the newest refresh's Active (1920) wins.
    let p = c["points"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["date"] == "2026-11-08")
        .unwrap();
    assert_eq!(p["numerator"], 1920);
    // fabrikam's 2026-10-08 has no Active: null count, null ratio, and the rolling mean of
    // 2026-10-12 averages the six other days.
    let f = &series[1];
    let points = f["points"].as_array().unwrap();
    let p = points.iter().find(|p| p["date"] == "2026-10-08").unwrap();
    assert_eq!((&p["numerator"], &p["value"]), (&Value::Null, &Value::Null));
    let p = points.iter().find(|p| p["date"] == "2026-10-12").unwrap();
    assert!(close(&p["rolling_mean"], 0.6275417785901557));
    assert!(close(&f["summary"]["change"], -0.2217590658366242));
    assert_eq!(doc["skipped"], serde_json::json!([]));
    assert_eq!(doc["conflicts"], serde_json::json!([]));
}

#[test]
fn table_is_readable_at_80_columns() {
    let out = m365report()
        .args([
            "trend",
            "samples/tenants",
            "--group-by",
            "dir",
            "--format",
            "table",
        ])
        .output()
        .unwrap();
    let text = String::from_utf8(out.stdout).unwrap();
    for line in text.lines() {
        assert!(line.chars().count() <= 80, "{line}");
    }
    assert!(
        text.contains("contoso  (office365GroupsActivityGroupCounts, 21 files)"),
        "{text}"
    );
    assert!(text.contains("  Active / Total  [percent]"), "{text}");
    assert!(text.contains("2026-10-06 .. 2026-11-18  44 days, none missing"));
    assert!(text.contains('█') && text.contains('▁'), "{text}");
    assert!(
        text.contains("    2026-11-18          2195          5326      41.21%"),
        "{text}"
    );
}

#[test]
fn without_group_by_one_series_per_report_and_others_skipped() {
    let (doc, stderr, code) = run_json(&[
        "samples/tenants/contoso",
        "samples/getOffice365GroupsActivityStorage_D7.csv",
        "samples/getOffice365GroupsActivityFileCounts_D7.csv",
        "samples/download/getBrowserUserDetail_D7.csv",
    ]);
    assert_eq!(code, 0, "{stderr}");
    // Storage follows its two byte counts, one series each.
    assert_eq!(
        series_names(&doc),
        ["FileCounts", "GroupCounts", "Storage", "Storage"]
    );
    assert_eq!(doc["series"][2]["metric"]["unit"], "bytes");
    assert_eq!(doc["skipped"][0]["report"], "browserUserDetail");
    assert_eq!(doc["skipped"][0]["files"], 1);
    assert!(
        stderr.contains("skipped browserUserDetail (1 file, no metric in its schema)"),
        "{stderr}"
    );
}

#[test]
fn by_week_and_month_sum_counts_and_date_buckets_by_first_day() {
    let out = m365report()
        .args([
            "trend",
            "samples/tenants/contoso",
            "--by",
            "week",
            "--format",
            "csv",
        ])
        .args(["--since", "2026-11-02", "--until", "2026-11-08"])
        .output()
        .unwrap();
    let text = String::from_utf8(out.stdout).unwrap();
    let rows: Vec<&str> = text.lines().skip(1).collect();
    // Mon 2026-11-02 .. Sun 2026-11-08, summed from the merged truth by hand.
    let truth = std::fs::read_to_string(fixture("trend/expected_daily.csv")).unwrap();
    let (mut t, mut a) = (0i64, 0i64);
    for l in truth.lines().filter(|l| l.starts_with("contoso,2026-11-0")) {
        let f: Vec<&str> = l.split(',').collect();
        if ("2026-11-02"..="2026-11-08").contains(&f[1]) {
            t += f[2].parse::<i64>().unwrap();
            a += f[3].parse::<i64>().unwrap();
        }
    }
    assert_eq!(rows.len(), 1, "{text}");
    assert!(
        rows[0].starts_with(&format!(
            "GroupCounts,office365GroupsActivityGroupCounts,Active / Total,2026-11-02,{a},{t},"
        )),
        "{}",
        rows[0]
    );
    let out = m365report()
        .args([
            "trend",
            "samples/tenants/contoso",
            "--by",
            "month",
            "--format",
            "csv",
        ])
        .output()
        .unwrap();
    let text = String::from_utf8(out.stdout).unwrap();
    let dates: Vec<&str> = text
        .lines()
        .skip(1)
        .map(|l| l.split(',').nth(3).unwrap())
        .collect();
    assert_eq!(dates, ["2026-10-01", "2026-11-01"]);
}

#[test]
fn window_flag_changes_the_rolling_mean() {
    let (doc, _, _) = run_json(&["samples/tenants/contoso", "--window", "1"]);
    for p in doc["series"][0]["points"].as_array().unwrap() {
        assert_eq!(p["rolling_mean"], p["value"]);
    }
    let out = m365report()
        .args(["trend", "samples/tenants", "--window", "0"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn nulls_zero_totals_and_gaps() {
    let dir = tempfile::tempdir().unwrap();
    write_export(
        &dir.path().join("GroupCounts_D7_2026-11-07.csv"),
        "7",
        &[
            ("2026-11-07", "10", "4", "2026-11-07"),
            ("2026-11-07", "0", "0", "2026-11-06"),
            ("2026-11-07", "10", "", "2026-11-05"),
            ("2026-11-07", "", "3", "2026-11-04"),
            ("2026-11-07", "10", "2", "2026-11-01"),
        ],
    );
    let out = m365report()
        .arg("trend")
        .arg(dir.path())
        .args(["--format", "csv"])
        .output()
        .unwrap();
    let text = String::from_utf8(out.stdout).unwrap();
    assert_eq!(
        text,
        "series,report,metric,date,numerator,denominator,value,rolling_mean\n\
         GroupCounts,office365GroupsActivityGroupCounts,Active / Total,2026-11-01,2,10,0.2,0.2\n\
         GroupCounts,office365GroupsActivityGroupCounts,Active / Total,2026-11-04,3,,,0.2\n\
         GroupCounts,office365GroupsActivityGroupCounts,Active / Total,2026-11-05,,10,,0.2\n\
         GroupCounts,office365GroupsActivityGroupCounts,Active / Total,2026-11-06,0,0,,0.2\n\
         GroupCounts,office365GroupsActivityGroupCounts,Active / Total,2026-11-07,4,10,0.4,0.30000000000000004\n"
    );
    let (doc, _, _) = run_json(&[dir.path().to_str().unwrap()]);
    assert_eq!(
        doc["series"][0]["summary"]["missing"],
        serde_json::json!([{"from": "2026-11-02", "to": "2026-11-03"}])
    );
}

#[test]
fn same_refresh_different_values_is_a_conflict_naming_both_files() {
    let dir = tempfile::tempdir().unwrap();
    d7(dir.path(), "a/GroupCounts_D7_2026-11-10.csv", 10, 20);
    d7(dir.path(), "b/GroupCounts_D7_2026-11-10.csv", 10, 30);
    let (doc, stderr, code) = run_json(&[dir.path().to_str().unwrap()]);
    assert_eq!(code, 0, "{stderr}");
    let conflicts = doc["conflicts"].as_array().unwrap();
    assert_eq!(conflicts.len(), 7);
    let kept = conflicts[0]["kept"].as_str().unwrap();
    let other = conflicts[0]["other"].as_str().unwrap();
    assert!(kept.ends_with("a/GroupCounts_D7_2026-11-10.csv"), "{kept}");
    assert!(
        other.ends_with("b/GroupCounts_D7_2026-11-10.csv"),
        "{other}"
    );
    assert!(
        stderr.contains("warning: conflict in GroupCounts on 2026-11-04"),
        "{stderr}"
    );
    assert!(stderr.contains(kept) && stderr.contains(other));
    // First in input order kept: a's Active = 20 + day.
    assert_eq!(doc["series"][0]["points"][0]["numerator"], 24);
}

#[test]
fn newer_refresh_wins_over_overlapping_download() {
    let dir = tempfile::tempdir().unwrap();
    d7(dir.path(), "GroupCounts_D7_2026-11-10.csv", 10, 20);
    d7(dir.path(), "GroupCounts_D7_2026-11-11.csv", 11, 50);
    let (doc, _, _) = run_json(&[dir.path().to_str().unwrap()]);
    let points = doc["series"][0]["points"].as_array().unwrap();
    assert_eq!(points.len(), 8);
    assert_eq!(points[0]["numerator"], 24); // only the older file has 2026-11-04
    assert_eq!(points[1]["numerator"], 55); // the newer file wins from 2026-11-05 on
    assert!(doc["conflicts"].as_array().unwrap().is_empty());
}

#[test]
fn invalid_file_is_excluded_shown_and_exits_1_strict_stops_before_output() {
    let dir = tempfile::tempdir().unwrap();
    d7(dir.path(), "GroupCounts_D7_2026-11-10.csv", 10, 20);
    std::fs::copy(
        fixture("E302_active_greater_than_total.csv"),
        dir.path().join("GroupCounts_D7_bad.csv"),
    )
    .unwrap();
    let out = m365report()
        .arg("trend")
        .arg(dir.path())
        .args(["--format", "csv"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("E302"), "{stderr}");
    assert!(stderr.contains("2 files: 1 valid, 1 invalid"), "{stderr}");
    let text = String::from_utf8(out.stdout).unwrap();
    assert_eq!(text.lines().count(), 8, "{text}");
    assert!(
        !text.contains("2026-11-2"),
        "the invalid file's rows are excluded"
    );

    let out = m365report()
        .arg("trend")
        .arg(dir.path())
        .args(["--format", "csv", "--strict"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(out.stdout.is_empty());
    assert!(String::from_utf8_lossy(&out.stderr).contains("--strict"));
}

#[test]
fn chart_is_xml_with_one_ratio_and_one_rolling_path_per_series() {
    let dir = tempfile::tempdir().unwrap();
    let chart = dir.path().join("chart.svg");
    let out = m365report()
        .args([
            "trend",
            "samples/tenants",
            "--group-by",
            "dir",
            "--format",
            "csv",
        ])
        .arg("--chart")
        .arg(&chart)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    let svg = std::fs::read_to_string(&chart).unwrap();
    let doc = roxmltree::Document::parse(&svg).unwrap();
    let groups: Vec<_> = doc
        .descendants()
        .filter(|n| n.attribute("class") == Some("series"))
        .collect();
    assert_eq!(groups.len(), 2);
    for g in groups {
        let classes: Vec<_> = g
            .children()
            .filter(|n| n.has_tag_name("path"))
            .map(|n| n.attribute("class").unwrap_or(""))
            .collect();
        assert_eq!(classes, ["value", "rolling"]);
    }
    assert!(!svg.contains("NaN"));
    assert!(svg.contains(">2026-11-02<"), "a dated x axis tick");
    assert!(svg.contains(">40%<"), "a percentage y axis tick");
    assert!(
        svg.contains(">contoso<") && svg.contains(">fabrikam<"),
        "a legend"
    );
    // Nothing but the chart is left in the folder (the temporary file was renamed).
    assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1);
}

#[test]
fn chart_never_overwrites_an_input_file_even_with_force() {
    let dir = tempfile::tempdir().unwrap();
    d7(dir.path(), "GroupCounts_D7_2026-11-10.csv", 10, 20);
    let input = dir.path().join("GroupCounts_D7_2026-11-10.csv");
    let before = std::fs::read(&input).unwrap();
    for force in [&[][..], &["--force"][..]] {
        let out = m365report()
            .arg("trend")
            .arg(dir.path())
            .arg("--chart")
            .arg(&input)
            .args(force)
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(2), "{force:?}");
        assert!(out.stdout.is_empty());
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains("is one of the inputs"), "{err}");
        assert_eq!(std::fs::read(&input).unwrap(), before);
    }
}

#[test]
fn chart_replaces_an_existing_file_only_with_force_as_convert_does() {
    let dir = tempfile::tempdir().unwrap();
    let chart = dir.path().join("chart.svg");
    std::fs::write(&chart, "<svg>old</svg>").unwrap();
    let run = |extra: &[&str]| {
        m365report()
            .args(["trend", "samples/tenants", "--format", "csv", "--chart"])
            .arg(&chart)
            .args(extra)
            .output()
            .unwrap()
    };
    // Refused before any work: no output, no trend, the old chart untouched.
    let out = run(&[]);
    assert_eq!(out.status.code(), Some(2));
    assert!(out.stdout.is_empty());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("chart.svg: already exists; not replaced without --force"),
        "{err}"
    );
    assert_eq!(std::fs::read_to_string(&chart).unwrap(), "<svg>old</svg>");
    let out = run(&["--force"]);
    assert_eq!(out.status.code(), Some(0));
    assert!(std::fs::read_to_string(&chart)
        .unwrap()
        .contains("class=\"rolling\""));
    assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1);
}

#[test]
fn chart_into_a_missing_folder_is_status_2_after_the_output() {
    let dir = tempfile::tempdir().unwrap();
    let chart = dir.path().join("no/such/folder/chart.svg");
    let out = m365report()
        .args(["trend", "samples/tenants", "--format", "csv", "--chart"])
        .arg(&chart)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(!out.stdout.is_empty());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("cannot create a file in this folder"), "{err}");
}

#[test]
fn bad_dates_are_usage_errors() {
    for args in [
        &["--since", "2026-02-30"][..],
        &["--since", "2026-11-10", "--until", "2026-11-01"][..],
    ] {
        let out = m365report()
            .args(["trend", "samples/tenants"])
            .args(args)
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(2), "{args:?}");
    }
    let out = m365report()
        .args(["trend", "no/such/folder"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn group_by_dir_on_folders_named_one_by_one_keeps_them_apart() {
    let (doc, stderr, code) = run_json(&[
        "samples/tenants/contoso",
        "samples/tenants/fabrikam/",
        "--group-by",
        "dir",
    ]);
    assert_eq!(code, 0, "{stderr}");
    assert_eq!(
        series_names(&doc),
        ["samples/tenants/contoso", "samples/tenants/fabrikam"]
    );
    assert_eq!(doc["conflicts"], serde_json::json!([]));
}
