//! `trend --metric` and the schemas' default metrics: golden numbers checked by hand for each
//! kind (a ratio of a sum, a snapshot per period, a detail report's active share and sum, a
//! count's growth per 30 days, one series per dimension value), and every bad `--metric`.

use serde_json::Value;

use crate::{fixture, m365report};

/// `trend FILES --format json` with `args`, the files those of `tests/fixtures/metrics`
/// whose name holds `names`: (document, standard error, exit status).
fn trend(names: &str, args: &[&str]) -> (Value, String, i32) {
    let mut files: Vec<_> = std::fs::read_dir(fixture("metrics"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.to_string_lossy().contains(names))
        .collect();
    files.sort();
    let out = m365report()
        .arg("trend")
        .args(files)
        .args(args)
        .args(["--format", "json"])
        .output()
        .unwrap();
    (
        serde_json::from_slice(&out.stdout).unwrap_or(Value::Null),
        String::from_utf8_lossy(&out.stderr).into_owned(),
        out.status.code().unwrap_or(-1),
    )
}

/// (series, metric, date, numerator, denominator, value) of every point.
fn points(doc: &Value) -> Vec<(String, String, String, Value, Value, Value)> {
    let mut out = Vec::new();
    for s in doc["series"].as_array().unwrap() {
        for p in s["points"].as_array().unwrap() {
            out.push((
                s["name"].as_str().unwrap().to_string(),
                s["metric"]["name"].as_str().unwrap().to_string(),
                p["date"].as_str().unwrap().to_string(),
                p["numerator"].clone(),
                p["denominator"].clone(),
                p["value"].clone(),
            ));
        }
    }
    out
}

/// Teams Active / (Teams Active + Teams Inactive) of three downloads: 30/(30+70) and
/// 60/(60+40) for D7, 45/(45+55) for D30 of the same refresh day: two series, no conflict.
#[test]
fn a_ratio_of_a_sum_over_snapshots_is_one_series_per_period() {
    let (doc, err, code) = trend(
        "ServicesUserCounts",
        &[
            "--report",
            "ServicesUserCounts",
            "--metric",
            "teams active / (Teams Active + teamsInactive)",
        ],
    );
    assert_eq!(code, 0, "{err}");
    let metric = "Teams Active / (Teams Active + Teams Inactive)";
    let d30 = "office365ServicesUserCounts/Report Period=30";
    let d7 = "office365ServicesUserCounts/Report Period=7";
    let p = |s: &str, d: &str, n: i64, t: i64, v: f64| {
        (
            s.to_string(),
            metric.to_string(),
            d.to_string(),
            Value::from(n),
            Value::from(t),
            Value::from(v),
        )
    };
    assert_eq!(
        points(&doc),
        [
            p(d30, "2026-11-20", 45, 100, 0.45),
            p(d7, "2026-11-20", 30, 100, 0.3),
            p(d7, "2026-11-27", 60, 100, 0.6),
        ]
    );
    assert_eq!(doc["series"][0]["metric"]["unit"], "percent");
    assert_eq!(doc["conflicts"], serde_json::json!([]));
    // 30 pp over the 7 days between the D7 points: a slope of 30/7*30 pp per 30 days.
    let slope = doc["series"][1]["summary"]["slope_per_30d"]
        .as_f64()
        .unwrap();
    assert!((slope - 30.0 / 7.0 * 30.0).abs() < 1e-9, "{slope}");
}

/// Of the five users refreshed 2026-11-30 with period 7 (days 24..=30): a (30th) and b (24th)
/// are active, c (23rd) is not, d never was, e is deleted and counts for nothing: 2 of 4.
/// Meeting Count sums the users not deleted: 3 + 4 + 5 + 0.
#[test]
fn a_detail_report_gives_the_share_of_active_entities_and_sums() {
    let (doc, err, code) = trend(
        "TeamsUser",
        &[
            "--report",
            "teamsUserActivityUserDetail",
            "--metric",
            "active(Last Activity Date) / entities",
            "--metric",
            "Meeting Count",
        ],
    );
    assert_eq!(code, 0, "{err}");
    let s = "teamsUserActivityUserDetail/Report Period=7".to_string();
    assert_eq!(
        points(&doc),
        [
            (
                s.clone(),
                "active(Last Activity Date) / entities".into(),
                "2026-11-30".into(),
                Value::from(2),
                Value::from(4),
                Value::from(0.5)
            ),
            (
                s,
                "Meeting Count".into(),
                "2026-11-30".into(),
                Value::from(12),
                Value::Null,
                Value::from(12.0)
            ),
        ]
    );
    // Without --metric, the schema's default is the same active share.
    let (doc, _, _) = trend("TeamsUser", &[]);
    assert_eq!(
        doc["series"][0]["metric"]["name"],
        "active(Last Activity Date) / entities"
    );
}

/// Mailbox storage grows by 1,000,000 bytes a day: 30,000,000 bytes per 30 days, and the
/// weekly bucket is the mean per day of its days (Mon 23rd's week holds the 24th..29th).
#[test]
fn a_count_grows_per_30_days_in_its_unit_and_buckets_to_a_mean_per_day() {
    let (doc, err, code) = trend("Storage", &[]);
    assert_eq!(code, 0, "{err}");
    let s = &doc["series"][0];
    assert_eq!(s["metric"]["name"], "Mailbox Storage Used (Byte)");
    assert_eq!(s["metric"]["unit"], "bytes");
    let slope = s["summary"]["slope_per_30d"].as_f64().unwrap();
    assert!((slope - 30_000_000.0).abs() < 1e-3, "{slope}");
    assert_eq!(s["summary"]["latest"], 35_000_000.0);
    let (doc, _, _) = trend("Storage", &["--by", "week"]);
    let p = &doc["series"][0]["points"][0];
    assert_eq!(p["date"], "2026-11-23");
    // 29M + 30M + ... + 34M over 6 days.
    assert_eq!(p["numerator"], 189_000_000);
    assert_eq!(p["denominator"], 6);
    assert_eq!(p["value"], 31_500_000.0);
}

#[test]
fn a_table_shows_each_metric_in_its_unit() {
    let out = m365report()
        .arg("trend")
        .arg(fixture(
            "metrics/getOffice365GroupsActivityStorage_D7_2026-11-30.csv",
        ))
        .args(["--format", "table"])
        .output()
        .unwrap();
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(
        text.contains("  Mailbox Storage Used (Byte)  [bytes]"),
        "{text}"
    );
    assert!(text.contains("latest 35.00 MB"), "{text}");
    assert!(text.contains("slope +30.00 MB per 30 days"), "{text}");
}

#[test]
fn dimension_keeps_one_value_of_a_dimension_report() {
    let out = m365report()
        .args([
            "trend",
            "samples/download/getSharePointSiteUsageSiteCounts_D7.csv",
        ])
        .args(["--format", "json", "--dimension", "team"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    let doc: Value = serde_json::from_slice(&out.stdout).unwrap();
    let names: Vec<&str> = doc["series"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["sharePointSiteUsageSiteCounts/Site Type=Team"]);
}

/// Every bad --metric is a usage error (status 2) that names the expression and the
/// columns a metric of the report may use; with --report, before any file is read (the
/// path given does not exist).
#[test]
fn bad_metrics_are_usage_errors_naming_the_columns() {
    let run = |args: &[&str]| {
        let out = m365report().arg("trend").args(args).output().unwrap();
        assert!(out.stdout.is_empty());
        (
            out.status.code(),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    };
    let cases: [(&[&str], &str); 5] = [
        (
            &["missing/", "--report", "ServicesUserCounts", "--metric", "Teams Activ"],
            "error: --metric `Teams Activ`: `Teams Activ` is not a column of office365ServicesUserCounts; its columns for metrics are Exchange Active, Exchange Inactive",
        ),
        (
            &["missing/", "--report", "GroupCounts", "--metric", "Active / Report Date"],
            "`Report Date` is a date column of office365GroupsActivityGroupCounts, not a count",
        ),
        (
            &["missing/", "--report", "GroupCounts", "--metric", "active(Report Date) / entities"],
            "takes a last-activity date of a detail report",
        ),
        (
            &["missing/", "--report", "GroupCounts", "--metric", "Active /"],
            "has an empty term",
        ),
        (
            &["missing/", "--metric", "Nothing Like This"],
            "error: --metric `Nothing Like This` fits no report: `Nothing Like This` is not a column of any report",
        ),
    ];
    for (args, want) in cases {
        let (code, err) = run(args);
        assert_eq!(code, Some(2), "{args:?}: {err}");
        assert!(err.contains(want), "{args:?}: {err}");
        assert!(
            !err.contains("no such file"),
            "read before the check: {err}"
        );
    }
    // A metric of some report, but of none read: a usage error once the files are read.
    let (code, err) = run(&[
        fixture("metrics/getOffice365GroupsActivityStorage_D7_2026-11-30.csv")
            .to_str()
            .unwrap(),
        "--metric",
        "Teams Active",
    ]);
    assert_eq!(code, Some(2), "{err}");
    assert!(
        err.contains("--metric `Teams Active` fits none of the reports read; their columns are office365GroupsActivityStorage: Mailbox Storage Used (Byte), Site Storage Used (Byte)"),
        "{err}"
    );
}

/// The README's table of reports lists each report's default metrics as `trend` names them
/// (`samples/readme_table.py` writes it from the schemas; `schemas --format json` from Rust).
#[test]
fn readme_lists_every_reports_default_metrics_as_trend_names_them() {
    let out = m365report()
        .args(["schemas", "--format", "json"])
        .output()
        .unwrap();
    let doc: Value = serde_json::from_slice(&out.stdout).unwrap();
    let readme = std::fs::read_to_string(crate::root().join("README.md")).unwrap();
    let reports = doc.as_array().unwrap();
    assert_eq!(reports.len(), 91);
    for r in reports {
        let row = readme
            .lines()
            .find(|l| l.starts_with(&format!("| `{}` |", r["function"].as_str().unwrap())))
            .unwrap_or_else(|| panic!("no README row for {}", r["function"]));
        let cell = row
            .trim_end_matches(" |")
            .rsplit(" | ")
            .next()
            .unwrap()
            .trim_matches('|')
            .trim();
        let want: Vec<String> = r["metrics"]
            .as_array()
            .unwrap()
            .iter()
            .map(|m| format!("`{}`", m.as_str().unwrap()))
            .collect();
        assert_eq!(
            cell,
            want.join("; "),
            "{row}\n(rerun samples/readme_table.py)"
        );
    }
}

/// A detail download large enough to be checked in pieces on several threads: each piece is
/// summed where it is read and the sums add up to the whole (users 0, 3, 6... active).
#[test]
fn a_large_detail_download_sums_the_same_in_pieces() {
    let template = std::fs::read_to_string(fixture(
        "metrics/getTeamsUserActivityUserDetail_D7_2026-11-30.csv",
    ))
    .unwrap();
    let mut lines = template.lines();
    let header = lines.next().unwrap();
    let row: Vec<&str> = lines.next().unwrap().split(',').collect();
    let cols: Vec<&str> = header.trim_start_matches('\u{feff}').split(',').collect();
    let at = |name: &str| cols.iter().position(|c| *c == name).unwrap();
    let (id, upn, last) = (
        at("User Id"),
        at("User Principal Name"),
        at("Last Activity Date"),
    );
    let mut text = format!("{header}\r\n");
    let n = 20_000;
    for i in 0..n {
        let mut r: Vec<String> = row.iter().map(|c| c.to_string()).collect();
        r[id] = format!("00000000-0000-0000-0000-{i:012}");
        r[upn] = format!("user{i}@contoso.com");
        r[last] = if i % 3 == 0 {
            "2026-11-28"
        } else {
            "2026-11-01"
        }
        .into();
        text.push_str(&r.join(","));
        text.push_str("\r\n");
    }
    assert!(
        text.len() > 2 << 20,
        "{} bytes: too small to be cut",
        text.len()
    );
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("getTeamsUserActivityUserDetail_D7.csv");
    std::fs::write(&path, text).unwrap();
    let out = m365report()
        .arg("trend")
        .arg(&path)
        .args(["--format", "json"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    let doc: Value = serde_json::from_slice(&out.stdout).unwrap();
    let p = &doc["series"][0]["points"][0];
    assert_eq!(p["numerator"], (n + 2) / 3);
    assert_eq!(p["denominator"], n);
}
