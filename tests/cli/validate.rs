//! `validate` on every fixture, sample and flag.

use std::path::Path;

use predicates::prelude::*;

use crate::{fixture, m365report, root, validate_json};

/// Every invalid fixture gives its code at the documented line and column.
#[test]
fn every_fixture_reports_its_code_at_its_position() {
    let table = std::fs::read_to_string(fixture("EXPECTED.tsv")).unwrap();
    let mut checked = 0;
    for line in table.lines().skip(1) {
        let cols: Vec<&str> = line.split('\t').collect();
        let (file, code, want_line, want_col) = (cols[0], cols[1], cols[2], cols[3]);
        let doc = validate_json(&fixture(file));
        let findings = doc["files"][0]["findings"].as_array().unwrap();
        let hit = findings
            .iter()
            .find(|f| f["code"] == code)
            .unwrap_or_else(|| panic!("{file}: no {code} in {findings:#?}"));
        assert_eq!(
            (hit["line"].to_string(), hit["column"].to_string()),
            (want_line.to_string(), want_col.to_string()),
            "{file}: {code} at the wrong place"
        );
        let errors = doc["summary"]["errors"].as_u64().unwrap();
        let status = m365report()
            .arg("validate")
            .arg(fixture(file))
            .output()
            .unwrap()
            .status;
        let want = if errors > 0 { 1 } else { 0 };
        assert_eq!(status.code(), Some(want), "{file}: exit status");
        checked += 1;
    }
    assert!(checked >= 35, "only {checked} fixtures");
}

/// Single-defect fixtures fail with nothing but their own code (and the I001 note).
#[test]
fn fixtures_have_one_kind_of_error() {
    for name in [
        "E201_impossible_date_feb_30.csv",
        "E302_active_greater_than_total.csv",
        "E402_duplicate_report_date.csv",
        "E205_total_as_string.json",
    ] {
        let doc = validate_json(&fixture(name));
        let codes: Vec<&str> = doc["files"][0]["findings"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| f["code"].as_str().unwrap())
            .filter(|c| *c != "I001")
            .collect();
        assert!(
            codes.iter().all(|c| name.starts_with(c)),
            "{name}: {codes:?}"
        );
    }
}

#[test]
fn samples_and_valid_fixtures_pass_cleanly() {
    for dir in [root().join("samples"), fixture("valid")] {
        let doc = validate_json(&dir);
        assert!(
            doc["summary"]["files"].as_u64().unwrap() >= 8,
            "{}",
            dir.display()
        );
        assert_eq!(doc["summary"]["invalid"], 0, "{doc:#}");
        assert_eq!(doc["summary"]["warnings"], 0, "{doc:#}");
        m365report().arg("validate").arg(&dir).assert().success();
    }
}

#[test]
fn report_kind_comes_from_name_then_context_then_header() {
    let doc = validate_json(&root().join("samples"));
    let kind = |suffix: &str| {
        doc["files"]
            .as_array()
            .unwrap()
            .iter()
            .find(|f| f["name"].as_str().unwrap().ends_with(suffix))
            .map(|f| {
                (
                    f["report"].as_str().unwrap().to_string(),
                    f["detected_by"].as_str().unwrap().to_string(),
                )
            })
            .unwrap()
    };
    assert_eq!(
        kind("getOffice365GroupsActivityFileCounts_D7.csv"),
        (
            "office365GroupsActivityFileCounts".into(),
            "file-name".into()
        )
    );
    assert_eq!(
        kind("getOffice365GroupsActivityStorage_D7.json").0,
        "office365GroupsActivityStorage"
    );
    let header_only = validate_json(&fixture("E202_count_decimal.csv"));
    assert_eq!(header_only["files"][0]["detected_by"], "header");
    assert_eq!(
        header_only["files"][0]["report"],
        "office365GroupsActivityGroupCounts"
    );
}

#[test]
fn human_output_underlines_the_field() {
    let out = m365report()
        .args([
            "validate",
            "tests/fixtures/E202_count_with_thousands_separator.csv",
            "--max-errors",
            "1",
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let text = String::from_utf8(out.stderr).unwrap();
    insta::assert_snapshot!(text);
}

#[test]
fn json_syntax_error_human_output() {
    let out = m365report()
        .args(["validate", "tests/fixtures/E501_truncated_download.json"])
        .output()
        .unwrap();
    insta::assert_snapshot!(String::from_utf8(out.stderr).unwrap());
}

#[test]
fn header_findings_human_output() {
    let out = m365report()
        .args([
            "validate",
            "tests/fixtures/E102_misspelled_column_report_dat.csv",
        ])
        .output()
        .unwrap();
    insta::assert_snapshot!(String::from_utf8(out.stderr).unwrap());
}

#[test]
fn missing_file_is_exit_2_and_others_still_checked() {
    let out = m365report()
        .args([
            "validate",
            "no/such/file.csv",
            "samples/getOffice365GroupsActivityGroupCounts_D7.csv",
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8(out.stderr).unwrap();
    assert!(
        err.contains("no/such/file.csv: no such file or folder"),
        "{err}"
    );
    assert!(err.contains("1 file: 1 valid"), "{err}");
}

#[test]
fn deny_warnings_turns_warnings_into_failure() {
    let f = "tests/fixtures/W403_rows_oldest_first.csv";
    m365report().args(["validate", f]).assert().code(0);
    m365report()
        .args(["validate", "--deny-warnings", f])
        .assert()
        .code(1);
}

#[test]
fn stdin_is_read_with_dash() {
    let csv =
        std::fs::read(root().join("samples/getOffice365GroupsActivityGroupCounts_D7.csv")).unwrap();
    m365report()
        .args(["validate", "-"])
        .write_stdin(csv)
        .assert()
        .success();
    m365report()
        .args(["validate", "-"])
        .write_stdin("Report Refresh Date,Total,Active,Report Date,Report Period\n2026-11-25,1,2,2026-11-25,7\n")
        .assert()
        .code(1)
        .stderr(predicates::str::contains("<stdin>:2:14"));
}

#[test]
fn quiet_prints_only_the_summary() {
    let out = m365report()
        .args([
            "validate",
            "--quiet",
            "tests/fixtures/E302_active_greater_than_total.csv",
        ])
        .output()
        .unwrap();
    assert_eq!(
        String::from_utf8(out.stderr).unwrap(),
        "1 file: 0 valid, 1 invalid; 1 error, 0 warnings\n"
    );
}

#[test]
fn max_errors_caps_findings_and_says_how_many_more() {
    let doc = crate::m365report()
        .args([
            "validate",
            "--format",
            "json",
            "--max-errors",
            "2",
            "tests/fixtures/E202_count_with_thousands_separator.csv",
        ])
        .output()
        .unwrap();
    let doc: serde_json::Value = serde_json::from_slice(&doc.stdout).unwrap();
    let file = &doc["files"][0];
    assert_eq!(file["findings"].as_array().unwrap().len(), 2);
    assert_eq!(file["errors"], 7);
    assert!(file["omitted"].as_u64().unwrap() >= 5);
}

#[test]
fn user_schema_adds_a_report() {
    let dir = tempfile::tempdir().unwrap();
    let schema = root().join("schemas/groups/office365GroupsActivityStorage.json");
    let text = std::fs::read_to_string(schema)
        .unwrap()
        .replace("getOffice365GroupsActivityStorage", "getMyStorageCopy")
        .replace("office365GroupsActivityStorage", "myStorageCopy")
        .replace("\"Storage\"", "\"MyCopy\"");
    let path = dir.path().join("mine.json");
    std::fs::write(&path, text).unwrap();
    let data = dir.path().join("MyCopy.csv");
    std::fs::copy(
        root().join("samples/getOffice365GroupsActivityStorage_D7.csv"),
        &data,
    )
    .unwrap();
    let out = m365report()
        .arg("validate")
        .arg("--schema")
        .arg(&path)
        .args(["--format", "json"])
        .arg(&data)
        .output()
        .unwrap();
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(doc["files"][0]["report"], "myStorageCopy", "{doc:#}");
    m365report()
        .args(["schemas"])
        .arg("--schema")
        .arg(&path)
        .assert()
        .success()
        .stdout(predicates::str::contains("myStorageCopy (--schema)"));
}

#[test]
fn schemas_lists_and_prints() {
    m365report().arg("schemas").assert().success().stdout(
        predicates::str::contains("office365GroupsActivityGroupCounts")
            .and(predicates::str::contains("active ratio: Active / Total")),
    );
    let out = m365report()
        .args(["schemas", "FileCounts"])
        .output()
        .unwrap();
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(doc["title"], "office365GroupsActivityFileCounts");
    m365report().args(["schemas", "Nope"]).assert().code(2);
}

#[test]
fn unreadable_directory_entries_do_not_stop_the_run() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::copy(
        root().join("samples/getOffice365GroupsActivityGroupCounts_D7.csv"),
        dir.path().join("a.csv"),
    )
    .unwrap();
    #[cfg(unix)]
    std::os::unix::fs::symlink(dir.path(), dir.path().join("loop")).unwrap();
    let out = m365report()
        .arg("validate")
        .arg(dir.path())
        .output()
        .unwrap();
    let err = String::from_utf8(out.stderr).unwrap();
    assert!(err.contains("1 file: 1 valid"), "{err}");
    let _ = Path::new("");
}

#[test]
fn readme_documents_every_code() {
    let readme = std::fs::read_to_string(root().join("README.md")).unwrap();
    for code in m365report::Code::ALL {
        assert!(
            readme.contains(&format!("| {code} |")),
            "README lacks {code}"
        );
    }
}

#[test]
fn user_schema_constraints_beyond_native_rules_are_e599() {
    let dir = tempfile::tempdir().unwrap();
    let mut schema: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(root().join("schemas/groups/office365GroupsActivityStorage.json"))
            .unwrap(),
    )
    .unwrap();
    schema["x-m365report"]["type"] = "microsoft.graph.smallStorage".into();
    schema["x-m365report"]["function"] = "getSmallStorage".into();
    schema["x-m365report"]["fileNameHints"] = serde_json::json!(["SmallStorage"]);
    schema["properties"]["siteStorageUsedInBytes"] =
        serde_json::json!({"type": ["integer", "null"], "minimum": 0, "multipleOf": 1024});
    let path = dir.path().join("small.json");
    std::fs::write(&path, schema.to_string()).unwrap();
    let data = dir.path().join("SmallStorage.csv");
    std::fs::copy(
        root().join("samples/getOffice365GroupsActivityStorage_D7.csv"),
        &data,
    )
    .unwrap();
    let out = m365report()
        .arg("--schema")
        .arg(&path)
        .args(["validate", "--format", "json"])
        .arg(&data)
        .output()
        .unwrap();
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let first = &doc["files"][0]["findings"][0];
    assert_eq!(first["code"], "E599", "{doc:#}");
    assert_eq!(first["field"], "Site Storage Used (Byte)");
    assert_eq!(out.status.code(), Some(1));
}
