//! The `m365report` binary: parse flags, run one subcommand, map the outcome to an exit status.

mod cli;

use std::process::ExitCode;

fn main() -> ExitCode {
    cli::Outcome::Success.exit_code()
}
