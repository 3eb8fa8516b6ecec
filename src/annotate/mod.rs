//! Diagnostics in the forms CI systems show: SARIF 2.1.0 (GitHub code scanning, Azure
//! DevOps), GitHub Actions workflow commands (annotations on a pull request's files) and
//! JUnit XML (test results in Azure DevOps and GitLab).
//!
//! Every form is rendered from the same [`Run`]: the inputs of one command, each with its
//! path, its verdict and its findings, plus the command's other messages. Nothing here knows
//! how the findings were made or which command made them; the caller decides which inputs
//! failed (`validate --deny-warnings` fails files with warnings only) and where the text
//! goes.

pub mod github;
pub mod junit;
pub mod run;
pub mod sarif;

use std::path::Path;

pub use run::{artifact_uri, unreadable_finding, Input, Run, Verdict};

/// A form of CI diagnostics.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Form {
    /// SARIF 2.1.0, one JSON document.
    Sarif,
    /// GitHub Actions workflow commands, one line per finding.
    Github,
    /// JUnit XML, one document.
    Junit,
}

impl Run<'_> {
    /// The run in `form`. `cwd` is the working directory: SARIF locations are relative to it.
    pub fn render(&self, form: Form, cwd: &Path) -> String {
        match form {
            Form::Sarif => sarif::render(self, cwd),
            Form::Github => github::render(self),
            Form::Junit => junit::render(self),
        }
    }
}
