//! `inactive`: the golden tenant under tests/fixtures/inactive/tenant, checked by hand:
//!
//! - ada: Exchange, Teams and Copilot used within 90 days: active everywhere.
//! - ben: Exchange last used 2025-10-01 (181 days), Teams never used since 2024-01-01 (820
//!   days), Copilot listed but never used (no assign date): three inactive licences.
//! - cara: Teams assigned 2026-03-20, never used: new, not inactive.
//! - dan: deleted: left out and counted.
//! - Eve@Contoso.com: the tenant report says Teams 2025-11-01; the Teams report, spelling her
//!   eve@contoso.com, says 2026-03-28: joined, active.
//! - fay: only in the Teams report, licensed, last active 2025-12-01: inactive (120 days).
//! - gus: only in the Teams report, not licensed: nothing.
//! - hal: only in the older Teams snapshot (`older/`, refreshed 2026-03-01): the newer wins,
//!   hal is not there.

use std::fs;
use std::path::Path;

use super::{fixture, m365report};

const GOLDEN_CSV: &str = "\
user_principal_name,display_name,service,licence_assigned,last_activity,days_since,products
ben@contoso.com,Ben Idle,Copilot,,,,MICROSOFT 365 E5+MICROSOFT 365 COPILOT
ben@contoso.com,Ben Idle,Teams,2024-01-01,,820,MICROSOFT 365 E5+MICROSOFT 365 COPILOT
ben@contoso.com,Ben Idle,Exchange,2024-01-01,2025-10-01,181,MICROSOFT 365 E5+MICROSOFT 365 COPILOT
fay@contoso.com,,Teams,,2025-12-01,120,OFFICE 365 E3
";

fn run(args: &[&str]) -> (i32, String, String) {
    let out = m365report()
        .arg("inactive")
        .args(args)
        .output()
        .expect("runs");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8(out.stdout).unwrap(),
        String::from_utf8(out.stderr).unwrap(),
    )
}

fn tenant() -> String {
    fixture("inactive/tenant").display().to_string()
}

#[test]
fn golden_tenant_lists_the_hand_checked_inactive_licences() {
    let (code, stdout, stderr) = run(&[&tenant(), "--format", "csv"]);
    assert_eq!(code, 0, "{stderr}");
    assert_eq!(stdout, GOLDEN_CSV);
    assert!(stderr.contains("4 files: 4 valid, 0 invalid; 3 reports joined; 6 users, 4 inactive licences, 1 deleted users left out; 0 conflicts"), "{stderr}");
    // No Exchange workload report: said, with the download that fixes it.
    assert!(stderr.contains("warning: no getEmailActivityUserDetail among the files: Exchange activity comes from the other reports only; download it"), "{stderr}");
}

#[test]
fn golden_tenant_table_fits_100_columns() {
    let (code, stdout, _) = run(&[&tenant(), "--format", "table"]);
    assert_eq!(code, 0);
    assert!(stdout.lines().all(|l| l.chars().count() <= 100));
    insta::assert_snapshot!(stdout);
}

#[test]
fn golden_tenant_json_has_summaries_per_service_and_product() {
    let (code, stdout, _) = run(&[&tenant(), "--format", "json"]);
    assert_eq!(code, 0);
    let doc: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(doc["as_of"], "2026-03-31");
    assert_eq!(
        (doc["users"].as_u64(), doc["deleted"].as_u64()),
        (Some(6), Some(1))
    );
    let teams = doc["services"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["name"] == "Teams")
        .unwrap();
    assert_eq!(
        (
            &teams["licensed"],
            &teams["active"],
            &teams["inactive"],
            &teams["new"]
        ),
        (&5.into(), &2.into(), &2.into(), &1.into())
    );
    assert_eq!(teams["share_inactive"], 0.4);
    assert_eq!(doc["inactive"][0]["last_activity"], serde_json::Value::Null);
    assert_eq!(doc["inactive"][3]["days_since"], 120);
    assert!(doc["products"]
        .as_array()
        .unwrap()
        .iter()
        .any(|p| p["name"] == "MICROSOFT 365 COPILOT"));
}

#[test]
fn days_as_of_service_and_product_narrow_the_list() {
    // A 30-day window ending 2026-03-31: Ada's Teams (2026-03-15) is still in it; a
    // licence assigned 2024 is long past new.
    let (_, csv, _) = run(&[
        &tenant(),
        "--format",
        "csv",
        "--days",
        "30",
        "--service",
        "teams",
    ]);
    let users: Vec<&str> = csv
        .lines()
        .skip(1)
        .map(|l| &l[..l.find(',').unwrap()])
        .collect();
    assert_eq!(users, ["ben@contoso.com", "fay@contoso.com"]);
    // As of 2025-12-15 over 90 days (from 2025-09-17), Ben's Exchange (2025-10-01) was in use.
    let (_, csv, _) = run(&[
        &tenant(),
        "--format",
        "csv",
        "--as-of",
        "2025-12-15",
        "--service",
        "Exchange",
    ]);
    assert_eq!(csv.lines().count(), 1, "{csv}");
    let (_, csv, _) = run(&[&tenant(), "--format", "csv", "--product", "office 365 e3"]);
    assert_eq!(
        csv.lines().skip(1).collect::<Vec<_>>(),
        ["fay@contoso.com,,Teams,,2025-12-01,120,OFFICE 365 E3"]
    );
}

#[test]
fn an_invalid_file_is_reported_left_out_and_the_rest_computed_with_status_1() {
    let dir = tempfile::tempdir().unwrap();
    copy_tenant(dir.path());
    fs::write(
        dir.path().join("getEmailActivityUserDetail_D90.csv"),
        "Report Refresh Date,User Principal Name,Display Name,Is Deleted,Deleted Date,Last Activity Date,Send Count,Receive Count,Read Count,Assigned Products,Report Period\n\
         2026-03-31,ben@contoso.com,Ben Idle,Maybe,,2026-03-30,1,1,1,OFFICE 365 E3,90\n",
    )
    .unwrap();
    let out = dir.path().join("out.csv");
    let (code, _, stderr) = run(&[dir.path().to_str().unwrap(), "-o", out.to_str().unwrap()]);
    assert_eq!(code, 1, "{stderr}");
    assert!(stderr.contains("E207"), "{stderr}");
    assert!(
        stderr.contains("getEmailActivityUserDetail_D90.csv:2:"),
        "{stderr}"
    );
    assert!(
        stderr.contains("1 invalid (invalid files excluded)"),
        "{stderr}"
    );
    // Ben's Exchange activity in the bad file is not used.
    assert_eq!(fs::read_to_string(&out).unwrap(), GOLDEN_CSV);
}

#[test]
fn two_files_of_one_refresh_date_that_disagree_are_a_conflict_naming_both() {
    let dir = tempfile::tempdir().unwrap();
    copy_tenant(dir.path());
    let teams = dir.path().join("getTeamsUserActivityUserDetail_D90.csv");
    let text = fs::read_to_string(&teams).unwrap();
    fs::write(
        dir.path().join("teams-again.csv"),
        text.replace("2025-12-01", "2026-01-02"),
    )
    .unwrap();
    let (code, csv, stderr) = run(&[dir.path().to_str().unwrap(), "--format", "csv"]);
    assert_eq!(code, 0);
    assert!(
        stderr.contains("warning: conflict in getTeamsUserActivityUserDetail for fay@contoso.com:"),
        "{stderr}"
    );
    assert!(stderr.contains("kept "), "{stderr}");
    assert_eq!(csv, GOLDEN_CSV);
}

#[test]
fn concealed_names_are_said_once_and_a_mix_is_a_warning_naming_the_reports() {
    let dir = tempfile::tempdir().unwrap();
    copy_tenant(dir.path());
    let copilot = dir
        .path()
        .join("getMicrosoft365CopilotUsageUserDetail_D90.csv");
    let text = fs::read_to_string(&copilot).unwrap();
    fs::write(
        &copilot,
        text.replace("ada@contoso.com", "0123456789ABCDEF0123456789ABCDEF")
            .replace("ben@contoso.com", "FEDCBA9876543210FEDCBA9876543210"),
    )
    .unwrap();
    let (code, _, stderr) = run(&[dir.path().to_str().unwrap(), "--format", "csv"]);
    assert_eq!(code, 0);
    assert_eq!(
        stderr.matches("note: user names are concealed").count(),
        1,
        "{stderr}"
    );
    assert!(
        stderr.contains("Display concealed user, group, and site names"),
        "{stderr}"
    );
    assert!(stderr.contains("names are concealed in getMicrosoft365CopilotUsageUserDetail but not in getOffice365ActiveUserDetail, getTeamsUserActivityUserDetail: their users are not joined"), "{stderr}");
}

#[test]
fn group_by_dir_gives_one_block_per_tenant_folder() {
    let dir = tempfile::tempdir().unwrap();
    for t in ["fabrikam", "tailspin"] {
        copy_tenant(&dir.path().join(t));
    }
    let (code, csv, _) = run(&[
        dir.path().to_str().unwrap(),
        "--format",
        "csv",
        "--group-by",
        "dir",
    ]);
    assert_eq!(code, 0);
    assert!(csv.starts_with("folder,user_principal_name,"));
    assert_eq!(
        csv.lines().filter(|l| l.starts_with("fabrikam,")).count(),
        4
    );
    assert_eq!(
        csv.lines().filter(|l| l.starts_with("tailspin,")).count(),
        4
    );
}

/// The golden tenant added to an archive (both its snapshots) gives the same licences from
/// `--db` as from its files; a missing archive is a usage error.
#[test]
fn db_reads_the_archived_detail_reports_as_their_files() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("history.sqlite");
    let out = m365report()
        .args(["archive", "add", "--db"])
        .arg(&db)
        .arg(tenant())
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let (code, stdout, stderr) = run(&["--db", db.to_str().unwrap(), "--format", "csv"]);
    assert_eq!(code, 0, "{stderr}");
    assert_eq!(stdout, GOLDEN_CSV);
    let (code, _, stderr) = run(&["--db", dir.path().join("none.sqlite").to_str().unwrap()]);
    assert_eq!(code, 2);
    assert!(stderr.contains("no archive there"), "{stderr}");
}

#[test]
fn an_unknown_service_is_a_usage_error_listing_the_services() {
    let (code, _, stderr) = run(&[&tenant(), "--service", "Fax"]);
    assert_eq!(code, 2);
    assert!(
        stderr.contains("no service named `Fax`; the reports know Copilot, Exchange,"),
        "{stderr}"
    );
}

#[test]
fn output_is_never_written_over_an_input() {
    let dir = tempfile::tempdir().unwrap();
    copy_tenant(dir.path());
    let input = dir.path().join("getOffice365ActiveUserDetail.csv");
    let before = fs::read(&input).unwrap();
    let (code, _, _) = run(&[
        dir.path().to_str().unwrap(),
        "-o",
        input.to_str().unwrap(),
        "--force",
    ]);
    assert_eq!(code, 2);
    assert_eq!(fs::read(&input).unwrap(), before);
}

/// The golden tenant's newest files (not `older/`) into `to`.
fn copy_tenant(to: &Path) {
    fs::create_dir_all(to).unwrap();
    for entry in fs::read_dir(fixture("inactive/tenant")).unwrap() {
        let path = entry.unwrap().path();
        if path.is_file() {
            fs::copy(&path, to.join(path.file_name().unwrap())).unwrap();
        }
    }
}
