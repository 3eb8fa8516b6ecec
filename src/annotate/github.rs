//! GitHub Actions workflow commands: one `::error`, `::warning` or `::notice` line per
//! finding, which the runner turns into an annotation on the file and line
//! (`::error file=F,line=L,col=C,endColumn=E,title=CODE::message`). Values are escaped as the
//! runner unescapes them (actions/toolkit `command.ts`): `%`, CR and LF in the message; those
//! and `:` and `,` in properties. A message therefore never spans lines, and no text of a file
//! can start a command of its own.

use std::fmt::Write;

use super::run::{full_message, omitted_note, Run};
use crate::diagnostic::{Finding, Severity};
use crate::discover::STDIN_NAME;

/// The run as workflow commands, one per line.
pub fn render(run: &Run) -> String {
    let mut out = String::new();
    for input in &run.inputs {
        let file = (input.path != STDIN_NAME).then(|| workspace_path(input.path));
        let file = file.as_deref();
        for f in input.findings {
            out.push_str(&command(f, file));
        }
        if let Some(note) = omitted_note(input) {
            let file = file.map_or(String::new(), |f| format!(" file={}", property(f)));
            let _ = writeln!(out, "::notice{file}::{}", data(&note));
        }
    }
    for message in &run.messages {
        let (command, text) = if let Some(rest) = message.strip_prefix("error: ") {
            ("error", rest)
        } else if let Some(rest) = message.strip_prefix("warning: ") {
            ("warning", rest)
        } else {
            ("notice", message.as_str())
        };
        let _ = writeln!(out, "::{command}::{}", data(text));
    }
    out
}

/// A path as the runner matches it against the repository's files: without a leading `./`,
/// and `/`-separated on Windows too.
fn workspace_path(path: &str) -> String {
    let mut path = if cfg!(windows) {
        path.replace('\\', "/")
    } else {
        path.to_string()
    };
    while let Some(rest) = path.strip_prefix("./") {
        path = rest.to_string();
    }
    path
}

/// One finding as a workflow command.
fn command(f: &Finding, file: Option<&str>) -> String {
    let name = match f.severity {
        Severity::Error => "error",
        Severity::Warning => "warning",
        Severity::Info => "notice",
    };
    let mut properties = Vec::new();
    if let Some(file) = file {
        properties.push(format!("file={}", property(file)));
        if f.line > 0 {
            properties.push(format!("line={}", f.line));
            if f.column > 0 {
                properties.push(format!("col={}", f.column));
            }
            if let Some(s) = &f.snippet {
                properties.push(format!("endColumn={}", s.start + s.width.max(1)));
            }
        }
    }
    properties.push(format!("title={}", property(f.code.as_str())));
    format!(
        "::{name} {}::{}\n",
        properties.join(","),
        data(&full_message(f))
    )
}

/// A command's message, escaped (`%`, CR, LF).
pub fn data(text: &str) -> String {
    text.replace('%', "%25")
        .replace('\r', "%0D")
        .replace('\n', "%0A")
}

/// A property's value, escaped (`%`, CR, LF, `:`, `,`).
pub fn property(text: &str) -> String {
    data(text).replace(':', "%3A").replace(',', "%2C")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_as_the_runner_unescapes() {
        assert_eq!(data("50%\r\n::error::x"), "50%25%0D%0A::error::x");
        assert_eq!(property("a:b,c%\n"), "a%3Ab%2Cc%25%0A");
    }
}
