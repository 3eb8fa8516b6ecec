//! The whole catalogue of Graph usage reports: real-shaped files of reports beyond the
//! groups family, each read as real exports are (column order, nested JSON, booleans,
//! lists, durations), told apart among 91 reports, and converted in both directions.

use crate::{fixture, m365report, validate_json};

fn catalogue(name: &str) -> std::path::PathBuf {
    fixture(&format!("catalogue/{name}"))
}

fn codes(file: &serde_json::Value) -> Vec<&str> {
    file["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["code"].as_str().unwrap())
        .collect()
}

#[test]
fn teams_user_detail_in_real_export_order_is_valid_and_clean() {
    let doc = validate_json(&catalogue("getTeamsUserActivityUserDetail_D7.csv"));
    let file = &doc["files"][0];
    assert_eq!(file["report"], "teamsUserActivityUserDetail");
    assert_eq!(file["function"], "getTeamsUserActivityUserDetail");
    assert_eq!(file["version"], "v1.0");
    assert_eq!(file["detected_by"], "file-name");
    assert_eq!(file["valid"], true);
    assert_eq!(codes(file), Vec::<&str>::new(), "{file:#}");
    assert_eq!(file["rows"], 3);
}

#[test]
fn columns_in_another_order_are_read_by_name_with_w103() {
    let dir = tempfile::tempdir().unwrap();
    let text = std::fs::read_to_string(catalogue("getTeamsUserActivityUserDetail_D7.csv")).unwrap();
    // Swap `Report Refresh Date` and `User Id` in every line (the header and the values).
    let swapped: String = text
        .trim_start_matches('\u{feff}')
        .split_inclusive('\n')
        .map(|line| {
            let mut fields: Vec<String> = line.split(',').map(str::to_string).collect();
            fields.swap(0, 1);
            fields.join(",")
        })
        .collect();
    let path = dir.path().join("getTeamsUserActivityUserDetail_D7.csv");
    std::fs::write(&path, swapped).unwrap();
    let doc = validate_json(&path);
    let file = &doc["files"][0];
    assert_eq!(file["valid"], true, "{file:#}");
    assert_eq!(codes(file), ["W103"]);
}

#[test]
fn nested_graph_json_is_read_as_the_rows_it_holds() {
    let doc = validate_json(&catalogue("copilot_trend_beta.json"));
    let file = &doc["files"][0];
    assert_eq!(file["function"], "getMicrosoft365CopilotUserCountTrend");
    assert_eq!(file["version"], "beta");
    assert_eq!(file["rows"], 3);
    assert_eq!(file["valid"], true, "{file:#}");
    let out = m365report()
        .args(["convert", "--to", "ndjson"])
        .arg(catalogue("copilot_trend_beta.json"))
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let rows: Vec<serde_json::Value> = String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(rows.len(), 3);
    // Each inner object carries the outer object's refresh date and period.
    assert_eq!(rows[2]["reportRefreshDate"], "2026-11-28");
    assert_eq!(rows[2]["reportPeriod"], "7");
    assert_eq!(rows[2]["reportDate"], "2026-11-26");
    assert_eq!(rows[2]["anyAppActiveUsers"], 78);
}

#[test]
fn the_function_in_the_file_name_tells_reports_with_one_header_apart() {
    let doc = validate_json(&catalogue(
        "getSharePointSiteUsageFileCounts(period='D7').csv",
    ));
    let file = &doc["files"][0];
    assert_eq!(file["report"], "sharePointSiteUsageFileCounts");
    assert_eq!(file["detected_by"], "file-name");
    // Two site types a day, seven days: no duplicate, no row-count warning.
    assert_eq!(codes(file), Vec::<&str>::new(), "{file:#}");

    let doc = validate_json(&catalogue("site_file_counts_export.csv"));
    let file = &doc["files"][0];
    let note = file["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["code"] == "I001")
        .expect("an I001 naming the candidates");
    let message = note["message"].as_str().unwrap();
    for candidate in ["sharePointSiteUsageFileCounts", "oneDriveUsageFileCounts"] {
        assert!(message.contains(candidate), "{message}");
    }
}

#[test]
fn report_option_takes_name_or_function_in_any_case() {
    for name in [
        "SharePointSiteUsageFileCounts",
        "getsharepointsiteusagefilecounts",
        "sharePointSiteUsageFileCounts",
    ] {
        let out = m365report()
            .args(["validate", "--format", "json", "--report", name])
            .arg(catalogue("site_file_counts_export.csv"))
            .output()
            .unwrap();
        let doc: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        assert_eq!(
            doc["files"][0]["report"], "sharePointSiteUsageFileCounts",
            "{name}"
        );
        assert_eq!(doc["files"][0]["detected_by"], "option");
    }
}

#[test]
fn a_dimension_value_twice_on_one_date_is_e402() {
    let dir = tempfile::tempdir().unwrap();
    let text = std::fs::read_to_string(catalogue("site_file_counts_export.csv")).unwrap();
    let mut lines: Vec<&str> = text.split_inclusive('\n').collect();
    lines.insert(3, lines[2]);
    let path = dir.path().join("getSharePointSiteUsageFileCounts.csv");
    std::fs::write(&path, lines.concat()).unwrap();
    let doc = validate_json(&path);
    let e402 = doc["files"][0]["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["code"] == "E402")
        .expect("E402");
    assert_eq!(e402["line"], 4);
    assert!(
        e402["message"]
            .as_str()
            .unwrap()
            .contains("`Site Type` Team"),
        "{e402}"
    );
}

#[test]
fn graph_json_booleans_and_lists_convert_to_csv_and_back_exactly() {
    let dir = tempfile::tempdir().unwrap();
    let csv = dir.path().join("getOffice365ActiveUserDetail.csv");
    m365report()
        .args(["convert", "--to", "csv", "-o"])
        .arg(&csv)
        .arg(catalogue("active_user_detail_beta.json"))
        .assert()
        .success();
    let text = std::fs::read_to_string(&csv).unwrap();
    let mut lines = text.lines();
    assert!(lines
        .next()
        .unwrap()
        .starts_with("Report Refresh Date,User Principal Name,Display Name,Is Deleted"));
    let first = lines.next().unwrap();
    assert!(
        first.contains(",False,,True,True,True,False,False,True,2026-11-27,"),
        "{first}"
    );
    assert!(first.ends_with(",MICROSOFT 365 E5+POWER BI PRO"), "{first}");
    let json_of = |path: &std::path::Path| {
        let out = m365report()
            .args(["convert", "--to", "ndjson"])
            .arg(path)
            .output()
            .unwrap();
        assert!(out.status.success());
        String::from_utf8(out.stdout).unwrap()
    };
    let from_json = json_of(&catalogue("active_user_detail_beta.json"));
    assert!(
        from_json.contains(r#""hasExchangeLicense":true"#),
        "{from_json}"
    );
    assert!(from_json.contains(r#""assignedProducts":["MICROSOFT 365 E5","POWER BI PRO"]"#));
    assert_eq!(json_of(&csv), from_json);
}

#[test]
fn a_header_of_no_report_names_the_three_nearest() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("export.csv");
    std::fs::write(
        &path,
        "Report Refresh Date,User Principal Name,Favourite Colour,Shoe Size,Report Period\n",
    )
    .unwrap();
    let doc = validate_json(&path);
    let e006 = &doc["files"][0]["findings"][0];
    assert_eq!(e006["code"], "E006");
    let expected = e006["expected"].as_str().unwrap();
    assert!(expected.starts_with("the nearest reports: "), "{expected}");
    assert_eq!(
        expected.matches(" (lacks").count() + expected.matches(" (has no").count(),
        3,
        "{expected}"
    );
    assert!(
        expected.contains("has no `Favourite Colour`, `Shoe Size`"),
        "{expected}"
    );
}

#[test]
fn schemas_lists_every_report_by_workload_and_as_json() {
    let out = m365report()
        .args(["schemas", "--format", "json"])
        .output()
        .unwrap();
    let list: Vec<serde_json::Value> = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(list.len(), 91);
    let detail = list
        .iter()
        .find(|r| r["function"] == "getOffice365ActiveUserDetail")
        .unwrap();
    assert_eq!(detail["workload"], "Microsoft 365");
    assert_eq!(detail["shape"], "detail");
    let products = detail["columns"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["csv"] == "Assigned Products")
        .unwrap();
    assert_eq!(products["property"], "assignedProducts");
    assert_eq!(products["kind"], "list");
    let text = m365report().arg("schemas").output().unwrap().stdout;
    let text = String::from_utf8(text).unwrap();
    for workload in [
        "Teams (17)",
        "SharePoint (9)",
        "Copilot (3)",
        "Skype for Business (15)",
    ] {
        assert!(text.contains(workload), "{workload}");
    }
}

#[test]
fn a_dimension_is_one_series_per_value_in_merges_and_trends() {
    let dir = tempfile::tempdir().unwrap();
    let file = catalogue("getSharePointSiteUsageFileCounts(period='D7').csv");
    // The same download twice (overlapping exports): every site type of every day is kept,
    // none conflicts with another.
    let out = dir.path().join("merged.csv");
    let run = m365report()
        .args(["convert", "--merge", "--to", "csv", "-o"])
        .arg(&out)
        .arg(&file)
        .arg(&file)
        .output()
        .unwrap();
    assert!(
        run.status.success(),
        "{}",
        String::from_utf8_lossy(&run.stderr)
    );
    let text = std::fs::read_to_string(&out).unwrap();
    let rows: Vec<&str> = text.lines().skip(1).collect();
    assert_eq!(rows.len(), 14, "{text}");
    assert_eq!(rows.iter().filter(|r| r.contains(",Team,")).count(), 7);
    assert!(!String::from_utf8_lossy(&run.stderr).contains("conflict"));

    let run = m365report()
        .args(["trend", "--format", "json"])
        .arg(&file)
        .output()
        .unwrap();
    let doc: serde_json::Value = serde_json::from_slice(&run.stdout).unwrap();
    assert_eq!(
        crate::series_names(&doc),
        [
            "sharePointSiteUsageFileCounts/Site Type=All",
            "sharePointSiteUsageFileCounts/Site Type=Team"
        ]
    );
}
