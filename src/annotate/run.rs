//! What a run is made of, for every form: the inputs with their verdicts and findings, the
//! command's other messages, and the pieces of text the forms share.

use std::path::{Component, Path};

use crate::diagnostic::{Code, Finding};
use crate::discover::STDIN_NAME;

/// What became of one input.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    /// Checked and accepted (warnings and notes allowed).
    Passed,
    /// Checked and refused: invalid data, or warnings where they fail the run.
    Failed,
    /// Could not be read (not found, permission denied): the run's exit status is 2.
    Unreadable,
    /// Not checked, for the reason given (a file `archive add` already holds).
    Skipped(&'static str),
}

/// One input of a run, as CI is told of it.
#[derive(Debug, Clone, Copy)]
pub struct Input<'a> {
    /// The path as the command shows it (`<stdin>` for standard input).
    pub path: &'a str,
    /// What became of it.
    pub verdict: Verdict,
    /// Its findings, at most `--max-errors` of them.
    pub findings: &'a [Finding],
    /// How many findings were left out of `findings`.
    pub omitted: u64,
}

impl<'a> Input<'a> {
    /// An input that could not be read, with the one finding that says why (`E007`).
    pub fn unreadable(path: &'a str, finding: &'a Finding) -> Input<'a> {
        Input {
            path,
            verdict: Verdict::Unreadable,
            findings: std::slice::from_ref(finding),
            omitted: 0,
        }
    }

    /// An input with no findings.
    pub fn bare(path: &'a str, verdict: Verdict) -> Input<'a> {
        Input {
            path,
            verdict,
            findings: &[],
            omitted: 0,
        }
    }
}

/// One command's run: the inputs in input order and what else it had to say.
#[derive(Debug, Clone)]
pub struct Run<'a> {
    /// The subcommand (`validate`, `convert`, `trend`, `archive add`), naming the JUnit suite.
    pub command: &'a str,
    /// The inputs, in input order.
    pub inputs: Vec<Input<'a>>,
    /// The command's messages that belong to no finding (a summary line, an output that
    /// could not be written), in the order they were said.
    pub messages: Vec<String>,
    /// Whether the run did its work; false when its exit status is 2 (usage or I/O error).
    pub successful: bool,
}

/// The finding of an input that could not be read or walked (`E007`, no line), saying why.
pub fn unreadable_finding(message: &str) -> Finding {
    Finding::new(Code::Io, 0, 0, message)
}

/// The URI of `path` for a SARIF artifact: relative to `cwd` (`/` separated, percent-encoded)
/// where the file is in or under it, else an absolute `file://` URI; `None` for standard
/// input, which has no location.
pub fn artifact_uri(path: &str, cwd: &Path) -> Option<String> {
    if path == STDIN_NAME {
        return None;
    }
    let p = Path::new(path);
    let relative = if p.is_absolute() {
        match p.strip_prefix(cwd) {
            Ok(rest) => rest.to_path_buf(),
            Err(_) => return Some(format!("file://{}", encode_path(p))),
        }
    } else {
        p.to_path_buf()
    };
    Some(encode_path(&relative))
}

/// The path's components joined by `/`, each percent-encoded (RFC 3986: all but unreserved
/// characters and sub-delimiters safe in a path); `.` components are dropped.
fn encode_path(path: &Path) -> String {
    let mut out = String::new();
    for component in path.components() {
        let part = match component {
            Component::RootDir => {
                out.push('/');
                continue;
            }
            Component::CurDir => continue,
            Component::ParentDir => "..".into(),
            Component::Normal(s) => s.to_string_lossy(),
            Component::Prefix(p) => p.as_os_str().to_string_lossy(),
        };
        if !out.is_empty() && !out.ends_with('/') {
            out.push('/');
        }
        for byte in part.bytes() {
            if byte.is_ascii_alphanumeric() || b"-._~!$&'()*+,;=@".contains(&byte) {
                out.push(byte as char);
            } else {
                out.push_str(&format!("%{byte:02X}"));
            }
        }
    }
    out
}

/// A finding's message with what was found, what was expected and the hint, on one line:
/// the text an annotation or a SARIF result carries.
pub fn full_message(f: &Finding) -> String {
    let mut text = f.message.clone();
    let mut said = Vec::new();
    if let Some(found) = &f.found {
        said.push(format!("found {found}"));
    }
    if let Some(expected) = &f.expected {
        said.push(format!("expected {expected}"));
    }
    if !said.is_empty() {
        text.push_str(&format!(" ({})", said.join("; ")));
    }
    if let Some(hint) = &f.hint {
        text.push_str(&format!("; hint: {hint}"));
    }
    text
}

/// The note for findings left out by `--max-errors`.
pub fn omitted_note(input: &Input) -> Option<String> {
    (input.omitted > 0).then(|| {
        format!(
            "and {} more finding{} in {} (raise --max-errors to see them)",
            input.omitted,
            if input.omitted == 1 { "" } else { "s" },
            input.path
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uris_are_relative_to_the_working_directory_and_encoded() {
        let cwd = Path::new("/work/repo");
        assert_eq!(
            artifact_uri("./downloads/a b%.csv", cwd).unwrap(),
            "downloads/a%20b%25.csv"
        );
        assert_eq!(artifact_uri("/work/repo/x/y.csv", cwd).unwrap(), "x/y.csv");
        assert_eq!(
            artifact_uri("/elsewhere/é.csv", cwd).unwrap(),
            "file:///elsewhere/%C3%A9.csv"
        );
        assert_eq!(artifact_uri("../up.csv", cwd).unwrap(), "../up.csv");
        assert_eq!(artifact_uri(STDIN_NAME, cwd), None);
    }
}
