//! The command line: one module per subcommand, each with its clap arguments and a `run`
//! that calls the library and renders the result.

use std::process::ExitCode;

use m365report::Registry;

/// Settings every subcommand shares, resolved once from the global flags.
pub struct Context {
    /// Built-in reports plus those added with `--schema`.
    pub registry: Registry,
    /// Worker threads (`--jobs`, default: all cores); the rayon pool is already sized to it.
    pub jobs: usize,
    /// Whether standard error is a terminal that takes colour (and progress bars).
    pub color: bool,
    /// `--quiet`: print the summary and exit status only.
    pub quiet: bool,
}

/// How a command ended, mapped to the documented exit statuses.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Outcome {
    /// Everything valid and done: 0.
    Success,
    /// Some input was invalid (or had warnings under `--deny-warnings`): 1.
    Invalid,
    /// Usage or I/O error (file not found, unreadable, cannot write): 2.
    Failure,
}

impl Outcome {
    /// The process exit status.
    pub fn exit_code(self) -> ExitCode {
        ExitCode::from(match self {
            Outcome::Success => 0,
            Outcome::Invalid => 1,
            Outcome::Failure => 2,
        })
    }
}
