//! `m365report validate PATH...`: check exports, print findings like a compiler, set the exit
//! status.

use std::fmt::Write;
use std::path::PathBuf;

use clap::{Args, ValueEnum};
use m365report::annotate::{unreadable_finding, Form, Input, Run, Verdict};
use m365report::discover::{discover, DiscoverError};
use m365report::record::Discard;
use m365report::render::render_file;
use m365report::validate::{check_all, CheckOptions, FileReport};
use m365report::{Code, Finding, InputFormat, Limits};
use serde::Serialize;

use super::{print_stderr, print_stdout, Context, Outcome};

/// Arguments of `validate`.
#[derive(Debug, Args)]
pub struct ValidateArgs {
    /// Files or folders to check (folders: *.csv, *.json, *.ndjson, recursively); `-` is stdin.
    #[arg(required = true, value_name = "PATH")]
    pub paths: Vec<PathBuf>,
    #[command(flatten)]
    pub input: InputArgs,
    /// Output format.
    #[arg(long, value_enum, default_value_t = OutputFormat::Human)]
    pub format: OutputFormat,
    /// Fail (exit 1) on warnings too.
    #[arg(long)]
    pub deny_warnings: bool,
}

/// How inputs are read; shared by every command that reads exports.
#[derive(Debug, Args, Clone)]
pub struct InputArgs {
    /// Check every input as this report instead of detecting it (see `m365report schemas`).
    #[arg(long, value_name = "NAME")]
    pub report: Option<String>,
    /// Read inputs as this format instead of telling from their content.
    #[arg(long, value_enum, value_name = "FORMAT")]
    pub input_format: Option<InputFormatArg>,
    /// Show at most N findings per file.
    #[arg(long, default_value_t = 100, value_name = "N")]
    pub max_errors: usize,
    /// Refuse CSV rows and JSON records longer than this many bytes.
    #[arg(long, default_value_t = Limits::default().max_record_bytes, value_name = "BYTES")]
    pub max_record_bytes: usize,
}

impl InputArgs {
    /// The library's options; fails on an unknown `--report`.
    pub fn options(&self, ctx: &Context) -> Result<CheckOptions, String> {
        let report = match &self.report {
            None => None,
            Some(name) => Some(ctx.registry.find(name).cloned().ok_or_else(|| {
                format!("no report named `{name}`; `m365report schemas` lists them")
            })?),
        };
        Ok(CheckOptions {
            report,
            input_format: self.input_format.map(|f| match f {
                InputFormatArg::Csv => InputFormat::Csv,
                InputFormatArg::Json => InputFormat::Json,
                InputFormatArg::Ndjson => InputFormat::Ndjson,
            }),
            max_findings: self.max_errors,
            limits: Limits {
                max_record_bytes: self.max_record_bytes,
                ..Limits::default()
            },
            ..CheckOptions::default()
        })
    }
}

/// `--input-format`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum InputFormatArg {
    /// Comma-separated values.
    Csv,
    /// One JSON document (envelope or array).
    Json,
    /// One JSON record per line.
    Ndjson,
}

/// `--format` of validate.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum OutputFormat {
    /// Compiler-style diagnostics on standard error and a summary.
    Human,
    /// One JSON document on standard output.
    Json,
    /// SARIF 2.1.0 on standard output (GitHub code scanning, Azure DevOps).
    Sarif,
    /// GitHub Actions workflow commands on standard output (annotations on the files).
    Github,
    /// JUnit XML on standard output, a test case per file (Azure DevOps, GitLab).
    Junit,
}

/// Totals over a run.
#[derive(Debug, Default, Serialize)]
pub struct Summary {
    /// Files checked.
    pub files: usize,
    /// Files without errors.
    pub valid: usize,
    /// Files with errors.
    pub invalid: usize,
    /// Errors in all files.
    pub errors: u64,
    /// Warnings in all files.
    pub warnings: u64,
}

impl Summary {
    /// Adds up the reports.
    pub fn of(reports: &[FileReport]) -> Summary {
        let mut s = Summary::default();
        for r in reports {
            s.files += 1;
            if r.is_valid() {
                s.valid += 1;
            } else {
                s.invalid += 1;
            }
            s.errors += r.errors;
            s.warnings += r.warnings;
        }
        s
    }

    /// The one-line summary.
    pub fn line(&self) -> String {
        let plural = |n: u64, word: &str| format!("{n} {word}{}", if n == 1 { "" } else { "s" });
        format!(
            "{}: {} valid, {} invalid; {}, {}",
            plural(self.files as u64, "file"),
            self.valid,
            self.invalid,
            plural(self.errors, "error"),
            plural(self.warnings, "warning")
        )
    }
}

/// Paths that could not be walked, as diagnostics on standard error.
pub fn report_discover_errors(errors: &[DiscoverError]) {
    for e in errors {
        print_stderr(&format!("error[{}]: {}: {}\n", Code::Io, e.path, e.message));
    }
}

/// The I001 note said once for a whole run.
pub fn assumed_note(reports: &[FileReport]) -> Option<String> {
    let assumed: Vec<&FileReport> = reports
        .iter()
        .filter(|r| r.findings.iter().any(|f| f.code == Code::ReportAssumed))
        .collect();
    let first = assumed.first()?;
    let message = &first
        .findings
        .iter()
        .find(|f| f.code == Code::ReportAssumed)?
        .message;
    let which = if assumed.len() == 1 {
        first.name.clone()
    } else {
        format!("{} files", assumed.len())
    };
    let example = first
        .function
        .as_deref()
        .map_or(String::new(), |f| format!(" (e.g. `{f}_D7.csv`)"));
    Some(format!(
        "note[{}]: {which}: {message}; pass --report, or keep the report's function in the file name{example}\n",
        Code::ReportAssumed
    ))
}

#[derive(Serialize)]
struct JsonFile<'a> {
    valid: bool,
    #[serde(flatten)]
    report: &'a FileReport,
}

#[derive(Serialize)]
struct JsonRun<'a> {
    files: Vec<JsonFile<'a>>,
    unreadable: Vec<JsonUnreadable<'a>>,
    summary: &'a Summary,
}

#[derive(Serialize)]
struct JsonUnreadable<'a> {
    path: &'a str,
    message: &'a str,
}

/// Runs `validate`.
pub fn run(args: &ValidateArgs, ctx: &Context) -> Outcome {
    let options = match args.input.options(ctx) {
        Ok(o) => o,
        Err(message) => {
            print_stderr(&format!("error: {message}\n"));
            return Outcome::Failure;
        }
    };
    let (sources, discover_errors) = discover(&args.paths);
    let reports: Vec<FileReport> = check_all(&sources, &ctx.registry, &options, |_| Discard)
        .into_iter()
        .map(|(r, _)| r)
        .collect();
    let summary = Summary::of(&reports);
    let outcome = if !discover_errors.is_empty() || reports.iter().any(|r| r.io_error) {
        Outcome::Failure
    } else if summary.invalid > 0 || (args.deny_warnings && summary.warnings > 0) {
        Outcome::Invalid
    } else if sources.is_empty() {
        print_stderr("error: no report files found (looked for *.csv, *.json, *.ndjson)\n");
        Outcome::Failure
    } else {
        Outcome::Success
    };
    let form = match args.format {
        OutputFormat::Json => {
            print_json(&reports, &discover_errors, &summary);
            return outcome;
        }
        OutputFormat::Human => {
            print_human(&reports, &discover_errors, &summary, ctx);
            return outcome;
        }
        OutputFormat::Sarif => Form::Sarif,
        OutputFormat::Github => Form::Github,
        OutputFormat::Junit => Form::Junit,
    };
    print_annotations(
        form,
        &reports,
        &discover_errors,
        args.deny_warnings,
        outcome,
    );
    outcome
}

/// `validate` for people: the findings like a compiler on standard error, then the summary.
fn print_human(
    reports: &[FileReport],
    discover_errors: &[DiscoverError],
    summary: &Summary,
    ctx: &Context,
) {
    report_discover_errors(discover_errors);
    let mut text = String::new();
    if !ctx.quiet {
        for r in reports {
            text.push_str(&render_file(r, ctx.color));
        }
        if let Some(note) = assumed_note(reports) {
            text.push_str(&note);
        }
    }
    let _ = writeln!(text, "{}", summary.line());
    print_stderr(&text);
}

/// `validate --format sarif|github|junit`: one input per file (with `--deny-warnings`, a file
/// with warnings fails) and one per path that could not be walked, on standard output.
fn print_annotations(
    form: Form,
    reports: &[FileReport],
    discover_errors: &[DiscoverError],
    deny_warnings: bool,
    outcome: Outcome,
) {
    let walk_errors: Vec<Finding> = discover_errors
        .iter()
        .map(|e| unreadable_finding(&e.message))
        .collect();
    let mut inputs: Vec<Input> = discover_errors
        .iter()
        .zip(&walk_errors)
        .map(|(e, finding)| Input::unreadable(&e.path, finding))
        .collect();
    inputs.extend(reports.iter().map(|r| Input {
        path: &r.name,
        verdict: if r.io_error {
            Verdict::Unreadable
        } else if !r.is_valid() || (deny_warnings && r.warnings > 0) {
            Verdict::Failed
        } else {
            Verdict::Passed
        },
        findings: &r.findings,
        omitted: r.omitted,
    }));
    let run = Run {
        command: "validate",
        inputs,
        messages: Vec::new(),
        successful: outcome != Outcome::Failure,
    };
    let cwd = std::env::current_dir().unwrap_or_default();
    print_stdout(&run.render(form, &cwd));
}

/// `validate --format json`: one document on standard output.
fn print_json(reports: &[FileReport], discover_errors: &[DiscoverError], summary: &Summary) {
    let doc = JsonRun {
        files: reports
            .iter()
            .map(|r| JsonFile {
                valid: r.is_valid(),
                report: r,
            })
            .collect(),
        unreadable: discover_errors
            .iter()
            .map(|e| JsonUnreadable {
                path: &e.path,
                message: &e.message,
            })
            .collect(),
        summary,
    };
    match serde_json::to_string_pretty(&doc) {
        Ok(text) => {
            print_stdout(&(text + "\n"));
        }
        Err(e) => print_stderr(&format!("error: {e}\n")),
    }
}
