//! SARIF 2.1.0: what GitHub code scanning and Azure DevOps ingest. One run; the tool with
//! every rule (code, name, short description, the meaning and the long explanation as help);
//! one result per finding with its level, message and location (a URI relative to the working
//! directory, line, column, the marked text and its line); the findings left out by
//! `--max-errors` and the command's other messages as tool notifications.

use std::path::Path;

use serde_json::{json, Map, Value};

use super::run::{artifact_uri, full_message, omitted_note, Input, Run};
use crate::diagnostic::{Code, Finding, Severity};

/// The published schema the document names (OASIS SARIF 2.1.0, errata 01).
pub const SCHEMA_URI: &str =
    "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json";

/// The run as one SARIF log, pretty-printed, ending with a line end.
pub fn render(run: &Run, cwd: &Path) -> String {
    let results: Vec<Value> = run
        .inputs
        .iter()
        .flat_map(|input| {
            let uri = artifact_uri(input.path, cwd);
            input
                .findings
                .iter()
                .map(move |f| result(f, uri.as_deref()))
        })
        .collect();
    let mut notifications: Vec<Value> = run
        .inputs
        .iter()
        .filter_map(|i: &Input| omitted_note(i))
        .map(|text| json!({ "level": "note", "message": { "text": text } }))
        .collect();
    notifications.extend(
        run.messages
            .iter()
            .map(|text| json!({ "level": level_of_message(text), "message": { "text": text } })),
    );
    let doc = json!({
        "$schema": SCHEMA_URI,
        "version": "2.1.0",
        "runs": [{
            "tool": { "driver": {
                "name": "m365report",
                "semanticVersion": env!("CARGO_PKG_VERSION"),
                "rules": Code::ALL.iter().map(|c| rule(*c)).collect::<Vec<_>>(),
            }},
            "invocations": [{
                "executionSuccessful": run.successful,
                "toolExecutionNotifications": notifications,
            }],
            "columnKind": "unicodeCodePoints",
            "results": results,
        }],
    });
    let mut text = serde_json::to_string_pretty(&doc).unwrap_or_default();
    text.push('\n');
    text
}

/// A code as a SARIF reporting descriptor.
fn rule(code: Code) -> Value {
    json!({
        "id": code.as_str(),
        "name": code.name(),
        "shortDescription": { "text": code.title() },
        "fullDescription": { "text": code.meaning() },
        "help": { "text": code.explanation(), "markdown": code.explanation() },
        "defaultConfiguration": { "level": level(code.severity()) },
    })
}

/// A finding as a SARIF result.
fn result(f: &Finding, uri: Option<&str>) -> Value {
    let mut result = Map::new();
    result.insert("ruleId".into(), f.code.as_str().into());
    if let Some(index) = Code::ALL.iter().position(|c| *c == f.code) {
        result.insert("ruleIndex".into(), index.into());
    }
    result.insert("level".into(), level(f.severity).into());
    result.insert("message".into(), json!({ "text": full_message(f) }));
    if let Some(uri) = uri {
        let mut physical = Map::new();
        physical.insert("artifactLocation".into(), json!({ "uri": uri }));
        if f.line > 0 {
            physical.insert("region".into(), region(f));
            if let Some(s) = &f.snippet {
                physical.insert(
                    "contextRegion".into(),
                    json!({ "startLine": f.line, "snippet": { "text": s.text } }),
                );
            }
        }
        result.insert(
            "locations".into(),
            json!([{ "physicalLocation": Value::Object(physical) }]),
        );
    }
    Value::Object(result)
}

/// Where a finding is: its line, its column, and the marked characters where the source
/// line is known.
fn region(f: &Finding) -> Value {
    let mut region = Map::new();
    region.insert("startLine".into(), f.line.into());
    if f.column > 0 {
        region.insert("startColumn".into(), f.column.into());
    }
    if let Some(s) = &f.snippet {
        let marked: String = s
            .text
            .chars()
            .skip(s.start.saturating_sub(1))
            .take(s.width.max(1))
            .collect();
        if !marked.is_empty() {
            region.insert("startColumn".into(), s.start.max(1).into());
            region.insert(
                "endColumn".into(),
                (s.start.max(1) + marked.chars().count()).into(),
            );
            region.insert("snippet".into(), json!({ "text": marked }));
        }
    }
    Value::Object(region)
}

/// SARIF's level for a severity.
fn level(severity: Severity) -> &'static str {
    match severity {
        Severity::Error => "error",
        Severity::Warning => "warning",
        Severity::Info => "note",
    }
}

/// A command's message is an error or a warning when it says so, else a note.
fn level_of_message(text: &str) -> &'static str {
    if text.starts_with("error") {
        "error"
    } else if text.starts_with("warning") {
        "warning"
    } else {
        "note"
    }
}
