//! `m365report inactive PATH...`: who holds a licence and has not used it, from the per-user
//! detail reports; a table, CSV or JSON, with diagnostics and warnings on standard error.

use std::fmt::Write as _;
use std::io::{self, IsTerminal, Write};
use std::path::PathBuf;

use chrono::NaiveDate;
use clap::{Args, ValueEnum};
use m365report::archive::{check_output, Access, Archive};
use m365report::discover::{discover, input_paths};
use m365report::inactive::gather::{from_archive as from_archive_snapshots, gather, Gathered};
use m365report::inactive::{compute, render, Catalogue, Inactive, Options};
use m365report::render::render_file;
use m365report::write::{check_target, AtomicFile};

use super::validate::{report_discover_errors, InputArgs};
use super::{clean_up_on_interrupt, durability, fail, print_stderr, Context, GroupBy, Outcome};

/// Arguments of `inactive`.
#[derive(Debug, Args)]
pub struct InactiveArgs {
    /// Files or folders of per-user detail reports (folders: *.csv, *.json, *.ndjson,
    /// recursively).
    #[arg(required_unless_present = "db", value_name = "PATH")]
    pub paths: Vec<PathBuf>,
    /// Read the per-user reports from this archive (see `archive add`) instead of files.
    #[arg(long, value_name = "FILE", conflicts_with = "paths")]
    pub db: Option<PathBuf>,
    #[command(flatten)]
    pub input: InputArgs,
    /// A licence is inactive with no activity in the N days ending on --as-of.
    #[arg(long, default_value_t = 90, value_name = "N",
          value_parser = clap::value_parser!(u32).range(1..=3660))]
    pub days: u32,
    /// The last day of the window (YYYY-MM-DD) [default: the newest refresh date seen].
    #[arg(long, value_name = "DATE", value_parser = parse_date)]
    pub as_of: Option<NaiveDate>,
    /// Only users holding this product (as `Assigned Products` writes it, any case).
    #[arg(long, value_name = "NAME")]
    pub product: Option<String>,
    /// Only this service (`Teams`, `Exchange`, `Copilot`...; any case).
    #[arg(long, value_name = "NAME")]
    pub service: Option<String>,
    /// One tenant (`none`), or one per folder holding the files (`dir`).
    #[arg(long, value_enum, default_value_t = GroupBy::None)]
    pub group_by: GroupBy,
    /// Output format [default: table on a terminal, csv otherwise].
    #[arg(long, value_enum)]
    pub format: Option<InactiveFormat>,
    /// Write the output to FILE (atomically) instead of standard output.
    #[arg(long, short = 'o', value_name = "FILE")]
    pub output: Option<PathBuf>,
    /// Replace an existing -o file.
    #[arg(long)]
    pub force: bool,
    /// Do not wait for the output to reach the disk before renaming it into place.
    #[arg(long)]
    pub no_sync: bool,
}

/// `--format` of inactive.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum InactiveFormat {
    /// Summaries per service and product, then the inactive licences, for people.
    Table,
    /// One row per inactive licence.
    Csv,
    /// One JSON document: summaries, inactive licences, reports joined, warnings.
    Json,
}

fn parse_date(s: &str) -> Result<NaiveDate, String> {
    NaiveDate::parse_from_str(s, "%Y-%m-%d").map_err(|_| format!("`{s}` is not a YYYY-MM-DD date"))
}

/// Conflicts named one by one; the rest are counted.
const CONFLICTS_SHOWN: usize = 20;

/// Runs `inactive`.
pub fn run(args: &InactiveArgs, ctx: &Context) -> Outcome {
    let check = match args.input.options(ctx) {
        Ok(o) => o,
        Err(message) => return fail(message),
    };
    let catalogue = Catalogue::new(&ctx.registry);
    let options = Options {
        days: args.days,
        as_of: args.as_of,
        product: args.product.clone(),
        service: args.service.clone(),
    };
    if let Err(e) = options.check(&catalogue) {
        return fail(e);
    }
    if let Some(db) = &args.db {
        return from_archive(db, args, ctx, &catalogue, &options);
    }
    let (sources, discover_errors) = discover(&args.paths);
    report_discover_errors(&discover_errors);
    if sources.is_empty() {
        return fail("no report files found (looked for *.csv, *.json, *.ndjson)");
    }
    if let Some(out) = &args.output {
        if let Err(e) = check_target(out, &input_paths(&sources), args.force) {
            return fail(format!("-o {e}"));
        }
        clean_up_on_interrupt();
    }
    let by_folder = args.group_by == GroupBy::Dir;
    let mut pass = gather(&sources, &ctx.registry, &check, &catalogue, by_folder);
    let outcome = if !discover_errors.is_empty() || pass.io_error {
        Outcome::Failure
    } else if !pass.invalid.is_empty() {
        Outcome::Invalid
    } else {
        Outcome::Success
    };
    let mut text = diagnostics(&pass, ctx);
    let snapshots = std::mem::take(&mut pass.snapshots);
    let result = match compute(snapshots, &catalogue, &options) {
        Ok(r) => r,
        Err(e) => return fail(e),
    };
    if !ctx.quiet {
        notes(&result, &mut text);
    }
    summary(&pass, &result, &mut text);
    output(&result, args, text, outcome)
}

/// `inactive --db`: the archive's detail downloads, joined as files are.
fn from_archive(
    db: &std::path::Path,
    args: &InactiveArgs,
    ctx: &Context,
    catalogue: &Catalogue,
    options: &Options,
) -> Outcome {
    if let Some(out) = &args.output {
        if let Err(e) = check_output(out, db, args.force) {
            return fail(format!("-o {e}"));
        }
        clean_up_on_interrupt();
    }
    let archive = match Archive::open(db, Access::Read) {
        Ok(a) => a,
        Err(e) => return fail(e),
    };
    let by_folder = args.group_by == GroupBy::Dir;
    let snapshots = match from_archive_snapshots(&archive, &ctx.registry, catalogue, by_folder) {
        Ok(s) => s,
        Err(e) => return fail(e),
    };
    let pass = Gathered {
        files: snapshots.len(),
        ..Gathered::default()
    };
    let result = match compute(snapshots, catalogue, options) {
        Ok(r) => r,
        Err(e) => return fail(e),
    };
    let mut text = String::new();
    if !ctx.quiet {
        notes(&result, &mut text);
    }
    summary(&pass, &result, &mut text);
    output(&result, args, text, Outcome::Success)
}

/// The invalid files' diagnostics and a note on files of reports not joined.
fn diagnostics(pass: &Gathered, ctx: &Context) -> String {
    let mut text = String::new();
    if ctx.quiet {
        return text;
    }
    for r in &pass.invalid {
        text.push_str(&render_file(r, ctx.color));
    }
    if !pass.other.is_empty() {
        let mut reports: Vec<&str> = pass.other.iter().map(|(_, r)| r.as_str()).collect();
        reports.sort_unstable();
        reports.dedup();
        // A whole download set holds dozens of other reports: a few names, then a count.
        let shown = reports.len().min(3);
        let more = if reports.len() > shown {
            format!(" and {} more", reports.len() - shown)
        } else {
            String::new()
        };
        let _ = writeln!(
            text,
            "note: {} valid file{} of reports inactive does not join left aside ({}{more})",
            pass.other.len(),
            if pass.other.len() == 1 { "" } else { "s" },
            reports[..shown].join(", ")
        );
    }
    text
}

/// The concealed-names note, the warnings and the first conflicts.
fn notes(result: &Inactive, text: &mut String) {
    if let Some(note) = &result.concealed {
        let _ = writeln!(text, "note: {note}");
    }
    for w in &result.warnings {
        let _ = writeln!(text, "warning: {w}");
    }
    for c in result.conflicts.iter().take(CONFLICTS_SHOWN) {
        let refresh = c.refresh.map(|d| d.to_string()).unwrap_or_default();
        let _ = writeln!(
            text,
            "warning: conflict in {} for {}: {} (line {}) and {} (line {}) are both refreshed {refresh} but disagree; kept {}",
            c.report, c.user, c.kept.0, c.kept.1, c.other.0, c.other.1, c.kept.0
        );
    }
    if result.conflicts.len() > CONFLICTS_SHOWN {
        let _ = writeln!(
            text,
            "warning: and {} more conflicts (see --format json)",
            result.conflicts.len() - CONFLICTS_SHOWN
        );
    }
}

/// The summary line.
fn summary(pass: &Gathered, result: &Inactive, text: &mut String) {
    let invalid = pass.invalid.len();
    let _ = writeln!(
        text,
        "{} files: {} valid, {invalid} invalid{}; {} reports joined; {} users, {} inactive licences{}; {} conflict{}",
        pass.files,
        pass.files - invalid,
        if invalid > 0 { " (invalid files excluded)" } else { "" },
        result.reports.len(),
        result.users,
        result.inactive.len(),
        if result.deleted > 0 {
            format!(", {} deleted users left out", result.deleted)
        } else {
            String::new()
        },
        result.conflicts.len(),
        if result.conflicts.len() == 1 { "" } else { "s" },
    );
}

/// Writes the result to -o or standard output, then standard error's text.
fn output(result: &Inactive, args: &InactiveArgs, text: String, outcome: Outcome) -> Outcome {
    let format = args.format.unwrap_or(if io::stdout().is_terminal() {
        InactiveFormat::Table
    } else {
        InactiveFormat::Csv
    });
    let by_folder = args.group_by == GroupBy::Dir;
    // Written as made, into -o or standard output: never held whole in memory.
    let write_output = |out: &mut dyn Write| match format {
        InactiveFormat::Csv => render::write_csv(result, by_folder, out),
        InactiveFormat::Json => render::write_json(result, out),
        InactiveFormat::Table => out.write_all(render::table(result).as_bytes()),
    };
    let written = match &args.output {
        Some(path) => {
            AtomicFile::write_with(path, args.force, durability(args.no_sync), write_output)
                .map(drop)
                .map_err(|e| format!("-o {e}"))
        }
        // write_stdout has said what went wrong.
        None => super::write_stdout(write_output)
            .then_some(())
            .ok_or_else(String::new),
    };
    print_stderr(&text);
    match written {
        Ok(()) => outcome,
        Err(message) if message.is_empty() => Outcome::Failure,
        Err(message) => fail(message),
    }
}
