//! `m365report archive add|status|export`: keep usage history beyond Graph's 180 days in an
//! embedded SQLite database (see [`m365report::archive`] for the rules and the schema).
//!
//! `add` hashes every input first (a file whose SHA-256 is already archived is skipped
//! without being parsed, so re-adding a folder daily is cheap), checks the rest in parallel
//! into one order-independent merge as `trend` does ([`m365report::archive::add`]), then
//! writes from this thread in one transaction.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use chrono::NaiveDate;
use clap::{Args, Subcommand, ValueEnum};
use m365report::archive::add::{check_new, drop_archive_files, Checked};
use m365report::archive::export::{self, Export, ExportError, Exported};
use m365report::archive::ingest::StoredConflict;
use m365report::archive::query::{Selection, SeriesStatus};
use m365report::archive::{check_output, Access, Archive};
use m365report::discover::discover;
use m365report::render::render_file;
use m365report::write::{Compression, Destination, Format, WriteOptions};
use m365report::Code;

use super::annotate::{annotated, report_walk_errors, DiagnosticsArg, Seen};
use super::validate::InputArgs;
use super::{
    clean_up_on_interrupt, durability, fail, parquet_compression, print_stderr, Context, GroupBy,
    Outcome, Progress,
};

/// The database used when neither `--db` nor `M365REPORT_DB` names one.
const DEFAULT_DB: &str = "m365report.sqlite";
/// Conflicts named one by one on standard error; the rest are counted.
const CONFLICTS_SHOWN: usize = 20;

/// Arguments of `archive`.
#[derive(Debug, Args)]
pub struct ArchiveArgs {
    #[command(subcommand)]
    pub command: ArchiveCommand,
}

/// The archive's subcommands.
#[derive(Debug, Subcommand)]
pub enum ArchiveCommand {
    /// Validate exports and store their records (files already stored are skipped).
    Add(AddArgs),
    /// Per report and series: dates held, gaps, newest refresh, files ingested.
    Status(StatusArgs),
    /// Write the held records of one report and series as JSON, NDJSON or CSV.
    Export(ExportArgs),
}

/// `--db`, shared by the subcommands.
#[derive(Debug, Args, Clone)]
pub struct DbArg {
    /// The archive database [default: $M365REPORT_DB, else m365report.sqlite].
    #[arg(long, value_name = "FILE")]
    pub db: Option<PathBuf>,
}

impl DbArg {
    /// `--db`, else `M365REPORT_DB`, else the default in the current folder.
    pub fn path(&self) -> PathBuf {
        self.db
            .clone()
            .or_else(|| std::env::var_os("M365REPORT_DB").map(PathBuf::from))
            .unwrap_or_else(|| PathBuf::from(DEFAULT_DB))
    }
}

/// Arguments of `archive add`.
#[derive(Debug, Args)]
pub struct AddArgs {
    /// Files or folders of exports (folders: *.csv, *.json, *.ndjson, recursively).
    #[arg(required = true, value_name = "PATH")]
    pub paths: Vec<PathBuf>,
    #[command(flatten)]
    pub db: DbArg,
    #[command(flatten)]
    pub input: InputArgs,
    /// One series per report kind (`none`), or per folder holding the files (`dir`).
    #[arg(long, value_enum, default_value_t = GroupBy::None)]
    pub group_by: GroupBy,
    /// Store nothing if any input is invalid.
    #[arg(long)]
    pub strict: bool,
    #[command(flatten)]
    pub diagnostics: DiagnosticsArg,
}

/// Arguments of `archive status`.
#[derive(Debug, Args)]
pub struct StatusArgs {
    #[command(flatten)]
    pub db: DbArg,
    /// Output format.
    #[arg(long, value_enum, default_value_t = StatusFormat::Table)]
    pub format: StatusFormat,
}

/// `--format` of status.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum StatusFormat {
    /// One line per series, for people.
    Table,
    /// One JSON document.
    Json,
}

/// Arguments of `archive export`.
#[derive(Debug, Args)]
pub struct ExportArgs {
    #[command(flatten)]
    pub db: DbArg,
    /// The report to export (needed when the archive holds several).
    #[arg(long, value_name = "NAME")]
    pub report: Option<String>,
    /// The series to export (needed when the report has several).
    #[arg(long, value_name = "NAME")]
    pub series: Option<String>,
    /// First report date (YYYY-MM-DD, inclusive).
    #[arg(long, value_name = "DATE", value_parser = parse_date)]
    pub since: Option<NaiveDate>,
    /// Last report date (YYYY-MM-DD, inclusive).
    #[arg(long, value_name = "DATE", value_parser = parse_date)]
    pub until: Option<NaiveDate>,
    /// Output format: the normal form of `convert`.
    #[arg(long, value_enum, default_value_t = Format::Json)]
    pub to: Format,
    /// Compression of Parquet output (--to parquet): snappy (the default) or zstd.
    #[arg(long, value_enum, value_name = "CODEC")]
    pub compression: Option<Compression>,
    /// Write here (atomically) instead of standard output (`-`: standard output).
    #[arg(long, short = 'o', value_name = "FILE")]
    pub output: Option<PathBuf>,
    /// Replace an existing output file.
    #[arg(long)]
    pub force: bool,
    /// Do not wait for outputs to reach the disk before renaming them into place: faster
    /// for large outputs, still never a partial file, but a power loss soon after can
    /// leave an output empty (README, convert).
    #[arg(long)]
    pub no_sync: bool,
    /// Start CSV output with a UTF-8 byte-order mark (for spreadsheets).
    #[arg(long)]
    pub bom: bool,
}

fn parse_date(s: &str) -> Result<NaiveDate, String> {
    NaiveDate::parse_from_str(s, "%Y-%m-%d").map_err(|_| format!("`{s}` is not a YYYY-MM-DD date"))
}

/// Runs `archive`.
pub fn run(args: &ArchiveArgs, ctx: &Context) -> Outcome {
    match &args.command {
        ArchiveCommand::Add(a) => add(a, ctx),
        ArchiveCommand::Status(a) => status(a),
        ArchiveCommand::Export(a) => export(a, ctx),
    }
}

/// `archive add`: the inputs not yet archived checked, then stored in one transaction.
fn add(args: &AddArgs, ctx: &Context) -> Outcome {
    annotated(&args.diagnostics, "archive add", |seen| {
        add_inputs(args, ctx, seen)
    })
}

/// `archive add`, its refused inputs shown as text or recorded in `seen` for `--diagnostics`.
fn add_inputs(args: &AddArgs, ctx: &Context, mut seen: Option<&mut Seen>) -> Outcome {
    let check = match args.input.options(ctx) {
        Ok(o) => o,
        Err(message) => return fail(message),
    };
    let db = args.db.path();
    // Opened before reading anything: a database that is not ours stops the run early.
    let mut archive = match Archive::open(&db, Access::Write) {
        Ok(a) => a,
        Err(e) => return fail(e),
    };
    let known = match archive.known_hashes() {
        Ok(k) => k,
        Err(e) => return fail(e),
    };
    let (mut sources, discover_errors) = discover(&args.paths);
    report_walk_errors(&discover_errors, seen.as_deref_mut());
    drop_archive_files(&mut sources, &db);
    if sources.is_empty() {
        return fail("no report files found (looked for *.csv, *.json, *.ndjson)");
    }
    if let Some(Err(message)) = seen.as_deref_mut().map(|s| s.sources(&sources)) {
        return fail(message);
    }
    let progress = Progress::files(ctx, sources.len());
    let series_by = args.group_by.series_by();
    let pass = check_new(&sources, &known, &ctx.registry, &check, series_by, &|| {
        progress.inc()
    });
    drop(progress);

    let mut text = String::new();
    if let Some(seen) = seen {
        record(seen, &pass);
    } else {
        if !ctx.quiet {
            for r in &pass.invalid {
                text.push_str(&render_file(r, ctx.color));
            }
        }
        for (name, message) in &pass.unreadable {
            let _ = writeln!(text, "error[{}]: {name}: {message}", Code::Io);
        }
    }
    let io_error = !discover_errors.is_empty()
        || !pass.unreadable.is_empty()
        || pass.invalid.iter().any(|r| r.io_error);
    let outcome = if io_error {
        Outcome::Failure
    } else if !pass.invalid.is_empty() {
        Outcome::Invalid
    } else {
        Outcome::Success
    };
    store(
        &mut archive,
        pass,
        sources.len(),
        (&db, text, outcome),
        args,
        ctx,
    )
}

/// Records for `--diagnostics` what `add` checked: the invalid and unreadable inputs, and
/// those skipped as already archived.
fn record(seen: &mut Seen, pass: &Checked) {
    pass.invalid.iter().for_each(|r| seen.refused(r));
    for (name, message) in &pass.unreadable {
        seen.unreadable(name, message);
    }
    let valid = pass.files.iter().map(|f| f.index).collect();
    seen.passed(valid, "already archived");
}

/// Stores what `add` checked (nothing under `--strict` if an input was invalid) and prints
/// the diagnostics gathered in `text`, the conflicts and the summary.
fn store(
    archive: &mut Archive,
    pass: Checked,
    inputs: usize,
    (db, mut text, outcome): (&Path, String, Outcome),
    args: &AddArgs,
    ctx: &Context,
) -> Outcome {
    let files_line = format!(
        "{} files: {} valid, {} invalid, {} already archived",
        inputs,
        pass.files.len(),
        pass.invalid.len() + pass.unreadable.len(),
        pass.skipped
    );
    let ingested = match pass.store(archive, args.strict) {
        Ok(Some(i)) => i,
        Ok(None) => {
            let _ = writeln!(
                text,
                "{files_line}\nerror: --strict: invalid input; nothing stored in {}",
                db.display()
            );
            print_stderr(&text);
            return outcome;
        }
        Err(e) => {
            print_stderr(&text);
            return fail(e);
        }
    };
    if !ctx.quiet {
        conflict_warnings(&ingested.conflicts, &mut text);
    }
    let _ =
        writeln!(
        text,
        "{files_line}; stored {} files in {}: {} new days, {} updated, {} unchanged{}; {} conflict{}",
        ingested.files_added,
        db.display(),
        ingested.inserted,
        ingested.updated,
        ingested.unchanged,
        if ingested.entities > 0 {
            format!(", {} detail rows", ingested.entities)
        } else {
            String::new()
        },
        ingested.conflicts.len(),
        if ingested.conflicts.len() == 1 { "" } else { "s" }
    );
    print_stderr(&text);
    outcome
}

/// The first conflicts an `add` recorded, one line each, and a count of the rest.
fn conflict_warnings(conflicts: &[StoredConflict], text: &mut String) {
    for c in conflicts.iter().take(CONFLICTS_SHOWN) {
        let refresh = c.refresh.map(|d| d.to_string()).unwrap_or_default();
        let _ = writeln!(
            text,
            "warning: conflict in {} on {}: {} and {} are both refreshed {refresh} but disagree; kept {}",
            c.series, c.date, c.kept, c.other, c.kept
        );
    }
    if conflicts.len() > CONFLICTS_SHOWN {
        let _ = writeln!(
            text,
            "warning: and {} more conflicts (see the conflicts table)",
            conflicts.len() - CONFLICTS_SHOWN
        );
    }
}

fn status(args: &StatusArgs) -> Outcome {
    let db = args.db.path();
    let rows = match Archive::open(&db, Access::Read).and_then(|a| a.status()) {
        Ok(r) => r,
        Err(e) => return fail(e),
    };
    let text = match args.format {
        StatusFormat::Json => status_json(&db, &rows),
        StatusFormat::Table => status_table(&rows),
    };
    super::print_stdout(&text);
    Outcome::Success
}

/// A report date as JSON or table text.
fn day(d: Option<NaiveDate>) -> Option<String> {
    d.map(|d| d.to_string())
}

/// `archive status --format json`.
fn status_json(db: &Path, rows: &[SeriesStatus]) -> String {
    let doc: Vec<serde_json::Value> = rows
        .iter()
        .map(|s| {
            serde_json::json!({
                "report": s.report,
                "series": s.series,
                "first_date": day(s.first_date),
                "last_date": day(s.last_date),
                "days": s.days,
                "missing": s.missing.iter().map(|m| serde_json::json!({
                    "from": m.from.to_string(), "to": m.to.to_string(), "days": m.days()
                })).collect::<Vec<_>>(),
                "newest_refresh": day(s.newest_refresh),
                "files": s.files,
                "conflicts": s.conflicts,
            })
        })
        .collect();
    let doc = serde_json::json!({ "database": db.display().to_string(), "series": doc });
    serde_json::to_string_pretty(&doc).unwrap_or_default() + "\n"
}

/// `archive status --format table`: the report and series columns as wide as their
/// longest name, so long dimension series keep the columns after them aligned.
fn status_table(rows: &[SeriesStatus]) -> String {
    let width = |name: &str, of: &dyn Fn(&SeriesStatus) -> usize| {
        rows.iter().map(of).max().unwrap_or(0).max(name.len())
    };
    let r = width("report", &|s| s.report.chars().count());
    let w = width("series", &|s| s.series.chars().count());
    let mut t = String::new();
    let _ = writeln!(
        t,
        "{:<r$} {:<w$} {:<10} {:<10} {:>5} {:>7} {:<10} {:>6} {:>9}",
        "report", "series", "first", "last", "days", "missing", "refreshed", "files", "conflicts"
    );
    for s in rows {
        let missing: i64 = s.missing.iter().map(|m| m.days()).sum();
        let _ = writeln!(
            t,
            "{:<r$} {:<w$} {:<10} {:<10} {:>5} {:>7} {:<10} {:>6} {:>9}",
            s.report,
            s.series,
            day(s.first_date).unwrap_or_default(),
            day(s.last_date).unwrap_or_default(),
            s.days,
            missing,
            day(s.newest_refresh).unwrap_or_default(),
            s.files,
            s.conflicts
        );
        for m in &s.missing {
            let _ = writeln!(t, "    missing {} .. {} ({} days)", m.from, m.to, m.days());
        }
    }
    t
}

/// `archive export`: the selection checked, then one series written (see
/// [`m365report::archive::export`]).
fn export(args: &ExportArgs, ctx: &Context) -> Outcome {
    if let (Some(since), Some(until)) = (args.since, args.until) {
        if since > until {
            return fail(format!("--since {since} is after --until {until}"));
        }
    }
    if let Err(message) = parquet_compression(args.compression, args.to == Format::Parquet, "--to")
    {
        return fail(message);
    }
    let db = args.db.path();
    // `-o -` is standard output, as for `convert`.
    let output = args.output.as_ref().filter(|o| o.as_os_str() != "-");
    if output.is_none() {
        if let Err(message) = super::convert::binary_on_terminal(args.to) {
            return fail(message);
        }
    }
    if let Some(output) = output {
        if let Err(e) = check_output(output, &db, args.force) {
            return fail(format!("-o {e}"));
        }
        clean_up_on_interrupt();
    }
    let request = Export {
        selection: Selection {
            report: args.report.clone(),
            series: args.series.clone(),
            since: args.since,
            until: args.until,
        },
        options: WriteOptions {
            format: args.to,
            bom: args.bom,
            durability: durability(args.no_sync),
            compression: args.compression.unwrap_or_default(),
        },
        destination: output.map_or(Destination::Stdout, |path| Destination::File(path.clone())),
        force: args.force,
    };
    match export::export(&db, &ctx.registry, &request) {
        Ok(Exported::Nothing) => print_stderr("0 records exported (nothing held matches)\n"),
        Ok(Exported::Series {
            report,
            series,
            records,
        }) => print_stderr(&format!(
            "{records} records of {report} {series} exported\n"
        )),
        Err(ExportError::Write(e)) => {
            super::exit_if_closed_pipe(&e);
            return fail(e);
        }
        Err(e) => return fail(e),
    }
    Outcome::Success
}
