//! Real, published exports of other projects against `tests/real/verdicts.tsv`.
//!
//! The exports (CLI for Microsoft 365 docs and tests, Elastic fixtures, the Graph and Copilot
//! docs) are other projects' data: they stay in `../shared/real` (or `$M365REPORT_REAL_DIR`)
//! and are never copied here. A verdict says what a file is, not what the tool prints today:
//! the report it holds, the exit status and the codes its defects must raise.

use std::collections::BTreeSet;
use std::fmt::Write as _;
use std::path::PathBuf;

use crate::{m365report, root};

/// Where the exports are, instead of `../shared/real` next to the crate.
const DIR_VAR: &str = "M365REPORT_REAL_DIR";
/// Set to `1` (as CI does) to fail, not skip, when the exports are absent.
const REQUIRE_VAR: &str = "M365REPORT_REQUIRE_REAL";
/// Files of the folder that are about the exports, not exports.
const NOT_EXPORTS: [&str; 2] = ["INDEX.md", "columns.tsv"];

/// One line of `tests/real/verdicts.tsv`.
struct Verdict {
    file: String,
    /// The Graph function the file holds (`getOneDriveUsageStorage`).
    function: String,
    status: i32,
    /// Codes that must appear; others may.
    codes: Vec<String>,
    why: String,
    /// The header fits several reports and the file name does not say which: the user has
    /// to name the report, so the test does too.
    forced: bool,
}

fn verdicts() -> Vec<Verdict> {
    let path = root().join("tests/real/verdicts.tsv");
    let text = std::fs::read_to_string(&path).expect("tests/real/verdicts.tsv is readable");
    text.lines()
        .skip(1)
        .enumerate()
        .map(|(i, line)| {
            let cols: Vec<&str> = line.split('\t').collect();
            assert_eq!(cols.len(), 6, "verdicts.tsv line {}: {line:?}", i + 2);
            Verdict {
                file: cols[0].to_string(),
                function: cols[1].to_string(),
                status: cols[2].parse().expect("status is a number"),
                codes: cols[3]
                    .split(',')
                    .filter(|c| !c.is_empty())
                    .map(str::to_string)
                    .collect(),
                why: cols[4].to_string(),
                forced: match cols[5] {
                    "" => false,
                    "--report" => true,
                    other => panic!("verdicts.tsv line {}: args {other:?}", i + 2),
                },
            }
        })
        .collect()
}

/// The report name the JSON output gives for a function: `getTeamsTeamCounts` -> `teamsTeamCounts`.
fn report_name(function: &str) -> String {
    let rest = function.strip_prefix("get").unwrap_or(function);
    let mut chars = rest.chars();
    chars
        .next()
        .map(|first| first.to_ascii_lowercase().to_string() + chars.as_str())
        .unwrap_or_default()
}

/// The exports' folder, or `None` (after saying so) when it is absent and not required.
fn real_dir() -> Option<PathBuf> {
    let dir = std::env::var_os(DIR_VAR)
        .map(PathBuf::from)
        .unwrap_or_else(|| root().join("../shared/real"));
    if dir.is_dir() {
        return Some(dir);
    }
    let required = std::env::var(REQUIRE_VAR).is_ok_and(|v| v == "1");
    assert!(
        !required,
        "{REQUIRE_VAR}=1 but the real exports are absent: {} (set {DIR_VAR})",
        dir.display()
    );
    eprintln!(
        "SKIPPED the real exports: {} is absent (set {DIR_VAR} to point at them, \
         {REQUIRE_VAR}=1 to fail instead)",
        dir.display()
    );
    None
}

/// A table of mismatches, one per line: file, what, expected, found.
fn table(rows: &[[String; 4]]) -> String {
    let mut widths = [4, 4, 8, 5];
    for row in rows {
        for (w, cell) in widths.iter_mut().zip(row) {
            *w = (*w).max(cell.chars().count());
        }
    }
    let mut out = String::new();
    let header = ["file", "what", "expected", "found"].map(str::to_string);
    for row in std::iter::once(&header).chain(rows) {
        let [file, what, expected, found] = row;
        let _ = writeln!(
            out,
            "{file:<w0$}  {what:<w1$}  {expected:<w2$}  {found}",
            w0 = widths[0],
            w1 = widths[1],
            w2 = widths[2],
        );
    }
    out
}

/// The verdicts are complete and well-formed even where the exports are absent.
#[test]
fn real_verdicts_are_well_formed() {
    let verdicts = verdicts();
    let mut seen = BTreeSet::new();
    for v in &verdicts {
        assert!(seen.insert(&v.file), "{}: two verdicts", v.file);
        assert!(v.function.starts_with("get"), "{}: {}", v.file, v.function);
        assert!(matches!(v.status, 0 | 1), "{}: status {}", v.file, v.status);
        assert!(!v.why.is_empty(), "{}: no why", v.file);
        for code in &v.codes {
            let ok = code.len() == 4
                && code.starts_with(['E', 'W', 'I'])
                && code[1..].bytes().all(|b| b.is_ascii_digit());
            assert!(ok, "{}: code {code:?}", v.file);
        }
        let errors = v.codes.iter().any(|c| c.starts_with('E'));
        assert_eq!(errors, v.status == 1, "{}: status vs codes", v.file);
    }
    assert!(verdicts.len() >= 295, "only {} verdicts", verdicts.len());
}

/// Every export in the folder has a verdict, and every verdict an export.
#[test]
fn every_real_export_has_a_verdict() {
    let Some(dir) = real_dir() else { return };
    let on_disk: BTreeSet<String> = std::fs::read_dir(&dir)
        .expect("the real exports' folder is readable")
        .map(|e| {
            e.expect("a folder entry")
                .file_name()
                .to_string_lossy()
                .into_owned()
        })
        .filter(|name| !NOT_EXPORTS.contains(&name.as_str()))
        .collect();
    let judged: BTreeSet<String> = verdicts().into_iter().map(|v| v.file).collect();
    let unjudged: Vec<&String> = on_disk.difference(&judged).collect();
    let missing: Vec<&String> = judged.difference(&on_disk).collect();
    assert!(
        unjudged.is_empty() && missing.is_empty(),
        "exports without a verdict: {unjudged:#?}\nverdicts without an export in {}: {missing:#?}",
        dir.display()
    );
}

/// Each export gives its verdict's exit status, report and codes; all mismatches are listed
/// at once.
#[test]
fn real_exports_match_their_verdicts() {
    let Some(dir) = real_dir() else { return };
    let verdicts = verdicts();
    let mut mismatches: Vec<[String; 4]> = Vec::new();
    let mut checked = 0;
    for v in &verdicts {
        let path = dir.join(&v.file);
        if !path.is_file() {
            continue; // every_real_export_has_a_verdict names it
        }
        let mut cmd = m365report();
        cmd.args(["validate", "--format", "json"]);
        if v.forced {
            cmd.args(["--report", &v.function]);
        }
        let out = cmd.arg(&path).output().expect("the binary runs");
        checked += 1;
        let mut mismatch = |what: &str, expected: String, found: String| {
            mismatches.push([v.file.clone(), what.to_string(), expected, found]);
        };
        let doc: serde_json::Value = match serde_json::from_slice(&out.stdout) {
            Ok(doc) => doc,
            Err(e) => {
                mismatch("output", "JSON".into(), format!("not JSON: {e}"));
                continue;
            }
        };
        let file = &doc["files"][0];
        let codes: BTreeSet<&str> = file["findings"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|f| f["code"].as_str())
            .collect();
        let found_codes = codes.iter().copied().collect::<Vec<_>>().join(",");
        let status = out.status.code().unwrap_or(-1);
        if status != v.status {
            mismatch(
                "status",
                format!("{} ({})", v.status, v.why),
                format!("{status} [{found_codes}]"),
            );
        }
        let report = file["report"].as_str().unwrap_or("-");
        let want = report_name(&v.function);
        if report != want {
            mismatch("report", want, format!("{report} [{found_codes}]"));
        }
        let absent: Vec<&str> = v
            .codes
            .iter()
            .map(String::as_str)
            .filter(|c| !codes.contains(c))
            .collect();
        if !absent.is_empty() {
            mismatch(
                "codes",
                format!("{} ({})", absent.join(","), v.why),
                format!("[{found_codes}]"),
            );
        }
    }
    assert!(checked > 0, "no export of {} was checked", dir.display());
    let files: BTreeSet<&String> = mismatches.iter().map(|m| &m[0]).collect();
    assert!(
        mismatches.is_empty(),
        "{} of {checked} real exports disagree with tests/real/verdicts.tsv \
         ({} mismatches; exports in {}):\n{}",
        files.len(),
        mismatches.len(),
        dir.display(),
        table(&mismatches)
    );
}
