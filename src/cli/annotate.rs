//! `--diagnostics FORM[=FILE]` of `convert`, `trend` and `archive add`: their diagnostics as
//! SARIF, GitHub workflow commands or JUnit XML (rendered by [`m365report::annotate`]), on
//! standard error or into FILE.
//!
//! On standard error, a SARIF or JUnit document must stand alone to be read: while the run
//! goes on, what the command would have printed there (summary, refusals, errors) is held and
//! put into the document (SARIF tool notifications, JUnit `system-err`). Workflow commands
//! are lines among others, so nothing is held for them; nor for a FILE.

use std::path::{Path, PathBuf};

use clap::Args;
use m365report::annotate::{unreadable_finding, Form, Input, Run, Verdict};
use m365report::discover::{DiscoverError, Source};
use m365report::validate::FileReport;
use m365report::write::{check_target, AtomicFile, Durability};
use m365report::Finding;

use super::validate::report_discover_errors;
use super::{hold_stderr, print_stderr, release_stderr, Outcome};
use m365report::discover::input_paths;

/// `--diagnostics FORM[=FILE]`.
#[derive(Debug, Args, Clone)]
pub struct DiagnosticsArg {
    /// Print diagnostics as SARIF 2.1.0 (`sarif`), GitHub Actions workflow commands
    /// (`github`) or JUnit XML (`junit`) instead of text, on standard error, or into FILE
    /// with `FORM=FILE` (written whole, replacing an older one; never an input).
    #[arg(long, value_name = "FORM[=FILE]", value_parser = TargetParser)]
    pub diagnostics: Option<Target>,
}

/// Where diagnostics go and in what form.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Target {
    /// The form.
    pub form: Form,
    /// The file, or standard error.
    pub file: Option<PathBuf>,
}

/// `--diagnostics`'s parser: [`parse_target`], with the forms listed for help and shell
/// completion.
#[derive(Debug, Clone, Copy)]
pub struct TargetParser;

impl clap::builder::TypedValueParser for TargetParser {
    type Value = Target;

    fn parse_ref(
        &self,
        cmd: &clap::Command,
        arg: Option<&clap::Arg>,
        value: &std::ffi::OsStr,
    ) -> Result<Target, clap::Error> {
        let invalid = |message: String| {
            let name = arg.map_or("--diagnostics".into(), |a| a.to_string());
            clap::Error::raw(
                clap::error::ErrorKind::InvalidValue,
                format!("invalid value for {name}: {message}\n"),
            )
            .with_cmd(cmd)
        };
        let text = value.to_str().ok_or_else(|| invalid("not UTF-8".into()))?;
        parse_target(text).map_err(invalid)
    }

    fn possible_values(
        &self,
    ) -> Option<Box<dyn Iterator<Item = clap::builder::PossibleValue> + '_>> {
        Some(Box::new(
            ["sarif", "github", "junit"]
                .into_iter()
                .map(clap::builder::PossibleValue::new),
        ))
    }
}

/// Parses `sarif`, `github`, `junit`, each optionally `=FILE`.
pub fn parse_target(value: &str) -> Result<Target, String> {
    let (name, file) = match value.split_once('=') {
        Some((name, file)) if !file.is_empty() => (name, Some(PathBuf::from(file))),
        Some(_) => return Err("FILE after `=` is empty".into()),
        None => (value, None),
    };
    Ok(Target {
        form: parse_form(name)?,
        file,
    })
}

/// `sarif`, `github` or `junit`.
pub fn parse_form(name: &str) -> Result<Form, String> {
    match name {
        "sarif" => Ok(Form::Sarif),
        "github" => Ok(Form::Github),
        "junit" => Ok(Form::Junit),
        other => Err(format!(
            "`{other}` is not a diagnostics form: sarif, github or junit"
        )),
    }
}

/// Runs `command` (`run`) with `--diagnostics` honoured: without it, `run` is given `None`
/// and prints as usual; with it, `run` is given a [`Seen`] to fill, and what it saw is
/// written as the document once it is done. Standard error is held meanwhile where the
/// document owns it.
pub fn annotated(
    arg: &DiagnosticsArg,
    command: &'static str,
    run: impl FnOnce(Option<&mut Seen>) -> Outcome,
) -> Outcome {
    let Some(target) = arg.diagnostics.clone() else {
        return run(None);
    };
    let held = target.file.is_none() && target.form != Form::Github;
    if held {
        hold_stderr();
    }
    let mut seen = Seen {
        file: target.file.clone(),
        ..Seen::default()
    };
    let outcome = run(Some(&mut seen));
    let messages = if held { release_stderr() } else { Vec::new() };
    if seen.refuse_file {
        // The FILE is an input: the refusal is said, nothing is written over it.
        for message in &messages {
            print_stderr(&format!("{message}\n"));
        }
        return outcome;
    }
    let run = Run {
        command,
        inputs: seen.inputs(),
        messages,
        successful: outcome != Outcome::Failure,
    };
    let cwd = std::env::current_dir().unwrap_or_default();
    let text = run.render(target.form, &cwd);
    match &target.file {
        None => {
            print_stderr(&text);
            outcome
        }
        Some(file) => write_file(file, &text, outcome),
    }
}

/// What a command saw of its inputs, for the document: filled by the command as it goes.
#[derive(Default)]
pub struct Seen {
    file: Option<PathBuf>,
    refuse_file: bool,
    sources: Vec<Source>,
    walk_errors: Vec<(String, Finding)>,
    refused: Vec<FileReport>,
    unreadable: Vec<(String, Finding)>,
    passed: Option<Vec<usize>>,
    skipped: &'static str,
}

impl Seen {
    /// Records the inputs, in input order; refuses a `--diagnostics` FILE that is one of
    /// them (the caller stops with the message).
    pub fn sources(&mut self, sources: &[Source]) -> Result<(), String> {
        self.sources = sources.to_vec();
        if let Some(file) = &self.file {
            if let Err(e) = check_target(file, &input_paths(sources), true) {
                self.refuse_file = true;
                return Err(format!("--diagnostics {e}"));
            }
        }
        Ok(())
    }

    /// Records the paths that could not be walked (each an `E007` on its path).
    pub fn walk_errors(&mut self, errors: &[DiscoverError]) {
        self.walk_errors
            .extend(errors.iter().map(|e| unreadable(&e.path, &e.message)));
    }

    /// Records a refused input's report (invalid, or unreadable once opened).
    pub fn refused(&mut self, report: &FileReport) {
        self.refused.push(report.clone());
    }

    /// Records an input that could not be read before being checked.
    pub fn unreadable(&mut self, name: &str, message: &str) {
        self.unreadable.push(unreadable(name, message));
    }

    /// Says which inputs (by position) were checked and passed; the others, neither refused
    /// nor unreadable, were skipped for `reason`. Without it every other input passed.
    pub fn passed(&mut self, positions: Vec<usize>, reason: &'static str) {
        self.passed = Some(positions);
        self.skipped = reason;
    }

    /// The inputs as the document shows them: the paths that could not be walked, then the
    /// sources.
    fn inputs(&self) -> Vec<Input<'_>> {
        let mut all: Vec<Input> = self
            .walk_errors
            .iter()
            .map(|(path, finding)| Input::unreadable(path, finding))
            .collect();
        all.extend(inputs(
            &self.sources,
            &self.refused,
            &self.unreadable,
            self.passed.as_deref(),
            self.skipped,
        ));
        all
    }
}

/// The paths that could not be walked: recorded in `seen` for `--diagnostics`, else printed.
pub fn report_walk_errors(errors: &[DiscoverError], seen: Option<&mut Seen>) {
    match seen {
        Some(seen) => seen.walk_errors(errors),
        None => report_discover_errors(errors),
    }
}

/// Writes the document into `file`, whole; a failure is reported and makes the outcome 2.
fn write_file(file: &Path, text: &str, outcome: Outcome) -> Outcome {
    match AtomicFile::write_whole(file, text.as_bytes(), true, Durability::Unsynced) {
        Ok(_) => outcome,
        Err(e) => {
            print_stderr(&format!("error: --diagnostics {e}\n"));
            Outcome::Failure
        }
    }
}

/// An input that could not be read before being checked, named as its source is, with its
/// `E007` finding.
pub fn unreadable(name: &str, message: &str) -> (String, Finding) {
    (name.to_string(), unreadable_finding(message))
}

/// The inputs of a run: every source in input order, with the report of each refused one
/// (`refused`, matched by input position); `unreadable` those that could not be read before
/// being checked (see [`unreadable`]); sources in none of these and not among the positions
/// `passed` (`None`: all) were skipped for the reason `skipped`.
pub fn inputs<'a>(
    sources: &'a [Source],
    refused: &'a [FileReport],
    unreadable: &'a [(String, Finding)],
    passed: Option<&[usize]>,
    skipped: &'static str,
) -> Vec<Input<'a>> {
    sources
        .iter()
        .map(|source| {
            if let Some(r) = refused.iter().find(|r| r.index == source.index) {
                return Input {
                    path: &source.name,
                    verdict: if r.io_error {
                        Verdict::Unreadable
                    } else {
                        Verdict::Failed
                    },
                    findings: &r.findings,
                    omitted: r.omitted,
                };
            }
            if let Some((_, finding)) = unreadable.iter().find(|(n, _)| *n == source.name) {
                return Input::unreadable(&source.name, finding);
            }
            let verdict = if passed.is_none_or(|p| p.contains(&source.index)) {
                Verdict::Passed
            } else {
                Verdict::Skipped(skipped)
            };
            Input::bare(&source.name, verdict)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn targets_are_a_form_and_maybe_a_file() {
        assert_eq!(
            parse_target("sarif").unwrap(),
            Target {
                form: Form::Sarif,
                file: None
            }
        );
        assert_eq!(
            parse_target("junit=out/report.xml").unwrap(),
            Target {
                form: Form::Junit,
                file: Some(PathBuf::from("out/report.xml"))
            }
        );
        assert!(parse_target("github=").is_err());
        assert!(parse_target("json").is_err());
    }
}
