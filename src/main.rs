//! The `m365report` binary: parse flags, run one subcommand, map the outcome to an exit status.

mod cli;

use std::io::IsTerminal;
use std::process::ExitCode;

use clap::{CommandFactory, Parser, Subcommand};

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
    /// Write one self-contained HTML page for a download folder: validation, trends, gaps.
    Report(cli::report::ReportArgs),
    /// Explain a diagnostic code (`E202`) with a bad and a good example.
    Explain(cli::explain::ExplainArgs),
    /// Print the shell completion script for bash, zsh, fish or PowerShell.
    Completions(cli::completions::CompletionsArgs),
    /// Print a command's manual page, or write every page into a folder.
    Man(cli::man::ManArgs),
}

fn main() -> ExitCode {
    keep_freed_memory();
    let cli = Cli::parse();
    // These need no registry, threads or colour: they describe the tool, not data.
    match &cli.command {
        Command::Explain(args) => return cli::explain::run(args).exit_code(),
        Command::Completions(args) => {
            return cli::completions::run(args, Cli::command()).exit_code()
        }
        Command::Man(args) => return cli::man::run(args, Cli::command()).exit_code(),
        _ => {}
    }
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
        Command::Report(args) => cli::report::run(args, &ctx),
        Command::Explain(_) | Command::Completions(_) | Command::Man(_) => Outcome::Success,
    };
    outcome.exit_code()
}

/// Tells glibc's allocator to keep memory a thread frees for the next allocation rather
/// than give it back to the system at once: files are read into buffers of half a
/// megabyte and checked with per-file sets of entities, freed when a file is done and
/// needed again by the next, and memory given back and taken again is paid for in page
/// faults (0.3 s of kernel time a run over 180 detail downloads: BENCHMARKS.md, "Session
/// 10"). Blocks of 4 MB and more still come from and go back to the system, where `realloc`
/// moves them without copying: a 2,000,000-day series grown on the heap instead peaked 80
/// MB higher.
fn keep_freed_memory() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: mallopt only sets allocator parameters; called before any thread starts.
    unsafe {
        libc::mallopt(libc::M_MMAP_THRESHOLD, 4 << 20);
        libc::mallopt(libc::M_TRIM_THRESHOLD, 256 << 20);
        libc::mallopt(libc::M_ARENA_MAX, 8);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cli_is_well_formed() {
        Cli::command().debug_assert();
    }
}
