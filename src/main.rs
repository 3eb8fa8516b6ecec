//! The `m365report` binary: parse flags, run one subcommand, map the outcome to an exit status.

mod cli;

use std::io::IsTerminal;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

use cli::{Context, Outcome};

/// Validate, convert, trend and archive Microsoft 365 usage reports exported from Microsoft Graph.
#[derive(Debug, Parser)]
#[command(name = "m365report", version, about, max_term_width = 100)]
struct Cli {
    #[command(flatten)]
    global: cli::GlobalArgs,
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Check exported report files against the documented schema.
    Validate(cli::validate::ValidateArgs),
    /// List the known reports, or print one report's schema.
    Schemas(cli::schemas::SchemasArgs),
    /// Normalise exports to Graph's JSON, NDJSON or canonical CSV.
    Convert(cli::convert::ConvertArgs),
    /// Merge overlapping exports and show the active ratio over time.
    Trend(cli::trend::TrendArgs),
    /// List the licences nobody uses, from the per-user detail reports.
    Inactive(cli::inactive::InactiveArgs),
    /// Keep usage history beyond Graph's 180 days in an embedded SQLite database.
    Archive(cli::archive::ArchiveArgs),
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let ctx = match Context::new(&cli.global, std::io::stderr().is_terminal()) {
        Ok(ctx) => ctx,
        Err(message) => {
            eprintln!("error: {message}");
            return Outcome::Failure.exit_code();
        }
    };
    let outcome = match &cli.command {
        Command::Validate(args) => cli::validate::run(args, &ctx),
        Command::Schemas(args) => cli::schemas::run(args, &ctx),
        Command::Convert(args) => cli::convert::run(args, &ctx),
        Command::Trend(args) => cli::trend::run(args, &ctx),
        Command::Inactive(args) => cli::inactive::run(args, &ctx),
        Command::Archive(args) => cli::archive::run(args, &ctx),
    };
    outcome.exit_code()
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn cli_is_well_formed() {
        Cli::command().debug_assert();
    }
}
