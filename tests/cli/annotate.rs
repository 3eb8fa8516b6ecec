//! Diagnostics for CI (`validate --format sarif|github|junit`, `--diagnostics` on convert,
//! trend and archive add), and what is made from the code table: `explain`, the README's
//! table, completions and manual pages. Each form is checked by a consumer: the published
//! SARIF schema, an XML parser, the runner's own unescaping, `bash -n`.

use std::path::Path;
use std::process::Output;

use m365report::diagnostic::{Code, RETIRED};

use crate::{m365report, root};

/// Fixtures with errors, a warning, notes, findings left out by `--max-errors`, a valid file
/// and a path that does not exist.
const SEVERAL: &[&str] = &[
    "tests/fixtures/E202_count_with_thousands_separator.csv",
    "tests/fixtures/E302_active_greater_than_total.csv",
    "tests/fixtures/W404_gap_missing_one_day.csv",
    "tests/fixtures/valid/GroupCounts_D30.csv",
    "tests/fixtures/no_such_file.csv",
];

fn validate(form: &str, extra: &[&str]) -> Output {
    m365report()
        .args(["validate", "--max-errors", "3", "--format", form])
        .args(SEVERAL)
        .args(extra)
        .output()
        .unwrap()
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8(bytes.to_vec()).unwrap()
}

/// The SARIF 2.1.0 schema OASIS publishes (see tests/sarif/README.md), compiled.
fn sarif_schema() -> jsonschema::Validator {
    let schema: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(root().join("tests/sarif/sarif-schema-2.1.0.json")).unwrap(),
    )
    .unwrap();
    jsonschema::options()
        .should_validate_formats(true)
        .build(&schema)
        .unwrap()
}

fn assert_valid_sarif(doc: &serde_json::Value) {
    let errors: Vec<String> = sarif_schema()
        .iter_errors(doc)
        .map(|e| format!("{} at {}", e, e.instance_path()))
        .collect();
    assert!(errors.is_empty(), "not valid SARIF 2.1.0: {errors:#?}");
}

#[test]
fn validate_sarif_is_valid_against_the_published_schema() {
    let out = validate("sarif", &[]);
    // The exit status is validate's: a path that does not exist is 2.
    assert_eq!(out.status.code(), Some(2));
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_valid_sarif(&doc);
    let run = &doc["runs"][0];
    let rules = run["tool"]["driver"]["rules"].as_array().unwrap();
    assert_eq!(rules.len(), Code::ALL.len());
    for (rule, code) in rules.iter().zip(Code::ALL) {
        assert_eq!(rule["id"], code.as_str());
        assert_eq!(rule["help"]["markdown"], code.explanation());
    }
    // Every finding of the JSON output is a result, at the same place.
    let json = crate::validate_json(&root().join(SEVERAL[1]));
    let finding = &json["files"][0]["findings"].as_array().unwrap()[1];
    let result = run["results"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["ruleId"] == "E302")
        .unwrap();
    let location = &result["locations"][0]["physicalLocation"];
    assert_eq!(location["artifactLocation"]["uri"], SEVERAL[1]);
    assert_eq!(location["region"]["startLine"], finding["line"]);
    assert_eq!(location["region"]["startColumn"], finding["column"]);
    assert_eq!(location["region"]["snippet"]["text"], "5351");
    assert_eq!(
        location["contextRegion"]["snippet"]["text"],
        finding["snippet"]["text"]
    );
}

#[test]
fn validate_sarif_snapshot() {
    let out = validate("sarif", &[]);
    let mut doc: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    // The rules are the code table (checked above); the snapshot keeps their ids only.
    let driver = &mut doc["runs"][0]["tool"]["driver"];
    let ids: Vec<serde_json::Value> = driver["rules"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["id"].clone())
        .collect();
    driver["rules"] = ids.into();
    insta::assert_snapshot!(serde_json::to_string_pretty(&doc).unwrap());
}

#[test]
fn validate_github_snapshot() {
    let out = validate("github", &[]);
    assert_eq!(out.status.code(), Some(2));
    insta::assert_snapshot!(text(&out.stdout));
}

#[test]
fn validate_junit_snapshot() {
    let out = validate("junit", &[]);
    insta::assert_snapshot!(text(&out.stdout));
}

#[test]
fn exit_statuses_are_validates_in_every_form() {
    for form in ["human", "json", "sarif", "github", "junit"] {
        let status = |paths: &[&str], extra: &[&str]| {
            m365report()
                .args(["validate", "--format", form])
                .args(paths)
                .args(extra)
                .output()
                .unwrap()
                .status
                .code()
        };
        assert_eq!(status(&[SEVERAL[3]], &[]), Some(0), "{form}");
        assert_eq!(status(&[SEVERAL[0], SEVERAL[3]], &[]), Some(1), "{form}");
        assert_eq!(status(&[SEVERAL[2]], &[]), Some(0), "{form}");
        assert_eq!(
            status(&[SEVERAL[2]], &["--deny-warnings"]),
            Some(1),
            "{form}"
        );
        assert_eq!(status(SEVERAL, &[]), Some(2), "{form}");
    }
}

/// A folder of files whose names and values XML, SARIF and workflow commands must escape.
fn hostile_folder() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let header = "Report Refresh Date,Total,Active,Report Date,Report Period\n";
    std::fs::write(
        dir.path().join("a&b<c>'q\",d:e%25.csv"),
        format!("{header}2026-11-25,\"<5&3>\",1,2026-11-25,7\n2026-11-25,\"50%\r\n::error::x\",1,2026-11-24,7\n2026-11-25,\"\u{1}\",1,2026-11-23,7\n"),
    )
    .unwrap();
    std::fs::copy(
        root().join("tests/fixtures/valid/GroupCounts_D30.csv"),
        dir.path().join("good.csv"),
    )
    .unwrap();
    dir
}

fn validate_in(dir: &Path, form: &str) -> Output {
    m365report()
        .current_dir(dir)
        .args(["validate", "--format", form, "."])
        .output()
        .unwrap()
}

#[test]
fn junit_is_well_formed_xml_with_a_case_per_file_and_a_failure_per_invalid_file() {
    let dir = hostile_folder();
    let out = validate_in(dir.path(), "junit");
    assert_eq!(out.status.code(), Some(1));
    let xml = text(&out.stdout);
    let doc = roxmltree::Document::parse(&xml).unwrap_or_else(|e| panic!("{e}\n{xml}"));
    let suites: Vec<_> = doc
        .descendants()
        .filter(|n| n.has_tag_name("testsuite"))
        .collect();
    assert_eq!(suites.len(), 1);
    let cases: Vec<_> = suites[0]
        .children()
        .filter(|n| n.has_tag_name("testcase"))
        .collect();
    let names: Vec<&str> = cases.iter().map(|c| c.attribute("name").unwrap()).collect();
    assert_eq!(names, ["./a&b<c>'q\",d:e%25.csv", "./good.csv"]);
    let failure = cases[0]
        .children()
        .find(|n| n.has_tag_name("failure"))
        .unwrap();
    assert_eq!(failure.attribute("type"), Some("E202"));
    let body = failure.text().unwrap();
    assert!(body.contains("found <5&3>"), "{body}");
    // A control character XML cannot hold is replaced, not written.
    assert!(body.contains("found \u{fffd}"), "{body}");
    assert!(cases[1].children().all(|n| !n.has_tag_name("failure")));
    assert_eq!(suites[0].attribute("failures"), Some("1"));
    assert_eq!(suites[0].attribute("tests"), Some("2"));
}

/// Unescapes a workflow command's message or property as the runner does
/// (actions/runner `ActionCommand`): `%0D`, `%0A`, then for properties `%3A`, `%2C`, and
/// `%25` last.
fn unescape(text: &str, property: bool) -> String {
    let mut text = text.replace("%0D", "\r").replace("%0A", "\n");
    if property {
        text = text.replace("%3A", ":").replace("%2C", ",");
    }
    text.replace("%25", "%")
}

/// A workflow command line as the runner reads it: name, properties, message.
fn parse_command(line: &str) -> (String, Vec<(String, String)>, String) {
    let rest = line.strip_prefix("::").unwrap();
    let (head, message) = rest.split_once("::").unwrap();
    let (name, properties) = head.split_once(' ').unwrap_or((head, ""));
    let properties = properties
        .split(',')
        .filter(|p| !p.is_empty())
        .map(|p| {
            let (k, v) = p.split_once('=').unwrap();
            (k.to_string(), unescape(v, true))
        })
        .collect();
    (name.to_string(), properties, unescape(message, false))
}

#[test]
fn github_commands_round_trip_through_the_runners_unescaping() {
    let dir = hostile_folder();
    let out = validate_in(dir.path(), "github");
    let stdout = text(&out.stdout);
    let json: serde_json::Value =
        serde_json::from_slice(&validate_in(dir.path(), "json").stdout).unwrap();
    let findings = json["files"][0]["findings"].as_array().unwrap();
    let lines: Vec<&str> = stdout.lines().filter(|l| !l.contains("good.csv")).collect();
    // One line per finding: no value could end a line or start a command of its own.
    assert_eq!(lines.len(), findings.len(), "{stdout}");
    for (line, finding) in lines.iter().zip(findings) {
        let (name, properties, message) = parse_command(line);
        let property = |k: &str| {
            properties
                .iter()
                .find(|(key, _)| key == k)
                .map(|(_, v)| v.as_str())
        };
        let expected_name = match finding["severity"].as_str().unwrap() {
            "error" => "error",
            "warning" => "warning",
            _ => "notice",
        };
        assert_eq!(name, expected_name);
        assert_eq!(property("file"), Some("a&b<c>'q\",d:e%25.csv"));
        assert_eq!(property("title"), finding["code"].as_str());
        assert_eq!(property("line"), Some(finding["line"].to_string().as_str()));
        assert!(message.starts_with(finding["message"].as_str().unwrap()));
        if let Some(found) = finding.get("found") {
            assert!(message.contains(found.as_str().unwrap()), "{message}");
        }
    }
}

#[test]
fn convert_diagnostics_file_is_sarif_and_stderr_stays_text() {
    let dir = tempfile::tempdir().unwrap();
    let sarif = dir.path().join("out.sarif");
    let out = m365report()
        .args(["convert", SEVERAL[0], SEVERAL[3], "--out-dir"])
        .arg(dir.path().join("out"))
        .arg(format!("--diagnostics=sarif={}", sarif.display()))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(text(&out.stderr).contains("nothing written"));
    assert!(!text(&out.stderr).contains("error[E202]"));
    let doc: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&sarif).unwrap()).unwrap();
    assert_valid_sarif(&doc);
    assert!(doc["runs"][0]["results"]
        .as_array()
        .unwrap()
        .iter()
        .any(|r| r["ruleId"] == "E202"));
}

#[test]
fn trend_sarif_on_stderr_is_one_document_holding_the_messages() {
    let out = m365report()
        .args(["trend", "--format", "csv", "--diagnostics", "sarif"])
        .args(&SEVERAL[..4])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(text(&out.stdout).starts_with("series,report,metric,date"));
    let doc: serde_json::Value = serde_json::from_slice(&out.stderr)
        .unwrap_or_else(|e| panic!("{e}: {}", text(&out.stderr)));
    assert_valid_sarif(&doc);
    let notes = doc["runs"][0]["invocations"][0]["toolExecutionNotifications"]
        .as_array()
        .unwrap();
    assert!(notes
        .iter()
        .any(|n| n["message"]["text"].as_str().unwrap().contains("4 files")));
}

#[test]
fn archive_add_junit_skips_what_the_archive_holds() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("a.sqlite");
    let add = || {
        m365report()
            .args(["archive", "add", "--diagnostics", "junit", "--db"])
            .arg(&db)
            .args(&SEVERAL[..4])
            .output()
            .unwrap()
    };
    assert_eq!(add().status.code(), Some(1));
    let out = add();
    assert_eq!(out.status.code(), Some(1));
    let xml = text(&out.stderr);
    let doc = roxmltree::Document::parse(&xml).unwrap_or_else(|e| panic!("{e}\n{xml}"));
    let suite = doc
        .descendants()
        .find(|n| n.has_tag_name("testsuite"))
        .unwrap();
    assert_eq!(suite.attribute("name"), Some("m365report archive add"));
    assert_eq!(suite.attribute("tests"), Some("4"));
    assert_eq!(suite.attribute("failures"), Some("2"));
    assert_eq!(suite.attribute("skipped"), Some("2"));
}

#[test]
fn a_diagnostics_file_that_is_an_input_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("in.csv");
    std::fs::copy(root().join(SEVERAL[3]), &input).unwrap();
    let before = std::fs::read(&input).unwrap();
    let out = m365report()
        .args(["trend", "--format", "csv"])
        .arg(&input)
        .arg(format!("--diagnostics=junit={}", input.display()))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(
        text(&out.stderr).contains("--diagnostics"),
        "{}",
        text(&out.stderr)
    );
    assert_eq!(std::fs::read(&input).unwrap(), before);
}

#[test]
fn readme_codes_table_is_generated_from_the_explanations() {
    let path = root().join("README.md");
    let readme = std::fs::read_to_string(&path).unwrap();
    let (begin, end) = ("<!-- codes:begin -->\n", "<!-- codes:end -->");
    let start = readme.find(begin).expect("README has <!-- codes:begin -->") + begin.len();
    let start = start + readme[start..].find('\n').unwrap() + 1; // the "generated" comment
    let stop = readme.find(end).expect("README has <!-- codes:end -->");
    let table = m365report::diagnostic::codes_table();
    if readme[start..stop] == table {
        return;
    }
    if std::env::var_os("M365REPORT_UPDATE_README").is_some() {
        let updated = format!("{}{table}{}", &readme[..start], &readme[stop..]);
        std::fs::write(&path, updated).unwrap();
        return;
    }
    panic!(
        "README's table of codes is out of date with src/diagnostic/*.md; run \
         `M365REPORT_UPDATE_README=1 cargo test --test cli readme_codes`"
    );
}

/// The fenced blocks under `## Bad` and `## Good`: (language, text).
fn example(explanation: &str, heading: &str) -> (String, String) {
    let section = explanation
        .split(&format!("\n## {heading}\n"))
        .nth(1)
        .unwrap_or_else(|| panic!("no `## {heading}` in\n{explanation}"));
    let fence = section.find("```").expect("a fenced block");
    let rest = &section[fence + 3..];
    let (language, rest) = rest.split_once('\n').unwrap();
    let body = &rest[..rest.find("```").expect("a closed block")];
    (language.to_string(), body.to_string())
}

/// The codes `validate` gives for `body` written as a file with extension `language`.
fn codes_of(language: &str, body: &str) -> Vec<String> {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join(format!("example.{language}"));
    std::fs::write(&file, body).unwrap();
    let doc = crate::validate_json(&file);
    doc["files"][0]["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["code"].as_str().unwrap().to_string())
        .collect()
}

#[test]
fn every_code_is_explained_with_a_bad_and_a_good_example_that_show_it() {
    let mut checked = 0;
    for code in Code::ALL {
        let explanation = code.explanation();
        assert!(!code.meaning().is_empty(), "{code}");
        let bad = example(explanation, "Bad");
        let good = example(explanation, "Good");
        // Examples elided with `...`, or not a file's whole text, are for reading only.
        let whole = |(language, body): &(String, String)| {
            ["csv", "json", "html"].contains(&language.as_str()) && !body.contains("...")
        };
        if whole(&bad) {
            let codes = codes_of(&bad.0, &bad.1);
            assert!(
                codes.contains(&code.to_string()),
                "{code}: bad gives {codes:?}"
            );
            checked += 1;
        }
        if whole(&good) {
            let codes = codes_of(&good.0, &good.1);
            assert!(
                !codes.contains(&code.to_string()),
                "{code}: good gives {codes:?}"
            );
        }
    }
    for r in RETIRED {
        assert!(r.explanation.contains("\n## Bad\n") && r.explanation.contains("\n## Good\n"));
    }
    assert!(checked >= 29, "only {checked} bad examples are whole files");
}

#[test]
fn explain_prints_every_code_and_refuses_unknown_ones() {
    for code in Code::ALL {
        let out = m365report()
            .args(["explain", &code.as_str().to_lowercase()])
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(0));
        assert!(text(&out.stdout).contains(code.explanation()));
    }
    let out = m365report().args(["explain", "E104"]).output().unwrap();
    assert!(text(&out.stdout).starts_with("E104 (retired)"));
    let out = m365report().args(["explain", "E999"]).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    let list = m365report().arg("explain").output().unwrap();
    assert_eq!(
        text(&list.stdout).lines().count(),
        Code::ALL.len() + RETIRED.len()
    );
}

#[test]
fn bash_completion_passes_bash_n_and_every_shell_gets_a_script() {
    for shell in ["bash", "zsh", "fish", "powershell"] {
        let out = m365report().args(["completions", shell]).output().unwrap();
        assert_eq!(out.status.code(), Some(0));
        let script = text(&out.stdout);
        for word in ["validate", "convert", "explain", "diagnostics"] {
            assert!(script.contains(word), "{shell} lacks {word}");
        }
        if shell == "bash" {
            let dir = tempfile::tempdir().unwrap();
            let file = dir.path().join("m365report.bash");
            std::fs::write(&file, &script).unwrap();
            let check = std::process::Command::new("bash")
                .arg("-n")
                .arg(&file)
                .output()
                .unwrap();
            assert!(check.status.success(), "{}", text(&check.stderr));
        }
    }
}

#[test]
fn man_pages_one_per_command() {
    let out = m365report()
        .args(["man", "archive", "add"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    assert!(text(&out.stdout).contains(".TH m365report-archive-add 1"));
    let dir = tempfile::tempdir().unwrap();
    let out = m365report()
        .arg("man")
        .arg("--out-dir")
        .arg(dir.path().join("man1"))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    let pages = crate::tree(&dir.path().join("man1"));
    for page in [
        "m365report.1",
        "m365report-validate.1",
        "m365report-convert.1",
        "m365report-trend.1",
        "m365report-archive-add.1",
        "m365report-explain.1",
    ] {
        assert!(pages.iter().any(|p| p == page), "{page} not in {pages:?}");
    }
    let out = m365report().args(["man", "nope"]).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn paths_that_cannot_be_walked_are_unreadable_inputs_of_the_document() {
    let out = m365report()
        .args(["convert", "--diagnostics", "junit", "--merge"])
        .args([SEVERAL[3], SEVERAL[4]])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let xml = text(&out.stderr);
    let doc = roxmltree::Document::parse(&xml).unwrap_or_else(|e| panic!("{e}\n{xml}"));
    let case = doc
        .descendants()
        .find(|n| n.attribute("name") == Some(SEVERAL[4]))
        .unwrap();
    let error = case.children().find(|n| n.has_tag_name("error")).unwrap();
    assert_eq!(error.attribute("type"), Some("E007"));
}
