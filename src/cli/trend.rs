//! `m365report trend PATH...`: merge overlapping exports and show the active ratio over time,
//! as a table, CSV or JSON, and optionally an SVG chart and an HTML page.

use std::fmt::Write as _;
use std::io::{self, IsTerminal, Write};
use std::path::{Path, PathBuf};

use chrono::NaiveDate;
use clap::{Args, ValueEnum};
use m365report::archive::query::Selection;
use m365report::archive::{check_output, Access, Archive};
use m365report::discover::{discover, input_paths};
use m365report::html;
use m365report::merge::Merged;
use m365report::render::render_file;
use m365report::trend::gather::{gather, Gathered, Gathering};
use m365report::trend::{
    chart, check_metrics, check_metrics_used, render, short_name, By, Trend, TrendOptions,
};
use m365report::write::{check_target, AtomicFile, Compression};
use m365report::{Code, Report};

use super::annotate::{annotated, report_walk_errors, DiagnosticsArg, Seen};
use super::validate::InputArgs;
use super::{
    clean_up_on_interrupt, durability, fail, parquet_compression, print_stderr, Context, GroupBy,
    Outcome, Progress,
};

/// Arguments of `trend`.
#[derive(Debug, Args)]
pub struct TrendArgs {
    /// Files or folders of exports (folders: *.csv, *.json, *.ndjson, recursively).
    #[arg(required_unless_present = "db", value_name = "PATH")]
    pub paths: Vec<PathBuf>,
    /// Read the records from this archive (see `archive add`) instead of files; its series
    /// are the ones chosen when the files were added, and --report keeps one report of those
    /// it holds.
    #[arg(long, value_name = "FILE", conflicts_with_all = ["paths", "group_by", "strict"])]
    pub db: Option<PathBuf>,
    #[command(flatten)]
    pub input: InputArgs,
    /// One series per report kind (`none`), or per folder holding the files (`dir`).
    #[arg(long, value_enum, default_value_t = GroupBy::None)]
    pub group_by: GroupBy,
    /// Rolling-mean window, in days (weeks or months with --by).
    #[arg(long, default_value_t = 7, value_name = "N",
          value_parser = clap::value_parser!(u32).range(1..=3660))]
    pub window: u32,
    /// One point per day, week (dated by its Monday) or month (dated by its first day).
    #[arg(long, value_enum, default_value_t = ByArg::Day)]
    pub by: ByArg,
    /// First report date to keep (YYYY-MM-DD, inclusive).
    #[arg(long, value_name = "DATE", value_parser = parse_date)]
    pub since: Option<NaiveDate>,
    /// Last report date to keep (YYYY-MM-DD, inclusive).
    #[arg(long, value_name = "DATE", value_parser = parse_date)]
    pub until: Option<NaiveDate>,
    /// What to follow (repeatable): a column (CSV name or JSON property, any case), a sum
    /// `A + B`, or a ratio `A / (A + B)`; in detail reports also `active(LAST ACTIVITY
    /// COLUMN)` and `entities`. Applies to every report having the columns it names;
    /// without it, each report follows its schema's metrics (README, trend).
    #[arg(long = "metric", value_name = "EXPR")]
    pub metrics: Vec<String>,
    /// Of a report with a dimension (`Site Type`), keep the series of this value only.
    #[arg(long, value_name = "VALUE")]
    pub dimension: Option<String>,
    /// Output format [default: from -o's extension, else table on a terminal, csv otherwise].
    #[arg(long, value_enum)]
    pub format: Option<TrendFormat>,
    /// Write the output to FILE (atomically) instead of standard output (`-`: standard
    /// output).
    #[arg(short = 'o', long = "output", value_name = "FILE")]
    pub output: Option<PathBuf>,
    /// Compression of Parquet output (--format parquet): snappy (the default) or zstd.
    #[arg(long, value_enum, value_name = "CODEC")]
    pub compression: Option<Compression>,
    /// Also draw an SVG line chart into this file (written atomically).
    #[arg(long, value_name = "FILE.svg")]
    pub chart: Option<PathBuf>,
    /// Also write a self-contained HTML page into this file (charts, sortable tables,
    /// summaries, conflicts, gaps; written atomically, loads nothing from the network).
    #[arg(long, value_name = "FILE.html")]
    pub html: Option<PathBuf>,
    /// Replace an existing --chart, --html or -o file.
    #[arg(long)]
    pub force: bool,
    /// Do not wait for outputs to reach the disk before renaming them into place: faster
    /// for large outputs, still never a partial file, but a power loss soon after can
    /// leave an output empty (README, convert).
    #[arg(long)]
    pub no_sync: bool,
    /// Stop before any output if any file is invalid.
    #[arg(long)]
    pub strict: bool,
    #[command(flatten)]
    pub diagnostics: DiagnosticsArg,
}

/// `--by`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ByArg {
    /// One point per report date.
    Day,
    /// One point per ISO week.
    Week,
    /// One point per calendar month.
    Month,
}

/// `--format` of trend.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum TrendFormat {
    /// A summary, a sparkline and the last points per series, for people.
    Table,
    /// `series,report,metric,date,numerator,denominator,value,rolling_mean`, one row per
    /// point.
    Csv,
    /// One JSON document with series, summaries, points, skipped reports and conflicts.
    Json,
    /// The rows of `csv` as a typed Parquet table (binary: give -o FILE).
    Parquet,
}

fn parse_date(s: &str) -> Result<NaiveDate, String> {
    NaiveDate::parse_from_str(s, "%Y-%m-%d").map_err(|_| format!("`{s}` is not a YYYY-MM-DD date"))
}

/// Conflicts named one by one on standard error; the rest are counted.
const CONFLICTS_SHOWN: usize = 20;

/// Runs `trend`.
pub fn run(args: &TrendArgs, ctx: &Context) -> Outcome {
    annotated(&args.diagnostics, "trend", |seen| trend(args, ctx, seen))
}

/// `trend`, its invalid files shown as text or recorded in `seen` for `--diagnostics`.
fn trend(args: &TrendArgs, ctx: &Context, mut seen: Option<&mut Seen>) -> Outcome {
    let check = match args.input.options(ctx) {
        Ok(o) => o,
        Err(message) => return fail(message),
    };
    if let (Some(since), Some(until)) = (args.since, args.until) {
        if since > until {
            return fail(format!("--since {since} is after --until {until}"));
        }
    }
    let options = TrendOptions {
        window: args.window,
        by: match args.by {
            ByArg::Day => By::Day,
            ByArg::Week => By::Week,
            ByArg::Month => By::Month,
        },
        since: args.since,
        until: args.until,
        metrics: args.metrics.clone(),
        dimension: args.dimension.clone(),
    };
    if let Err(message) = check_metrics(&options.metrics, check.report.as_deref(), &ctx.registry) {
        return fail(message);
    }
    let file = output_file(args);
    let by_extension = file
        .and_then(|f| f.extension())
        .and_then(|x| TrendFormat::from_str(&x.to_string_lossy(), true).ok());
    let format =
        args.format
            .or(by_extension)
            .unwrap_or(if file.is_none() && io::stdout().is_terminal() {
                TrendFormat::Table
            } else {
                TrendFormat::Csv
            });
    let parquet = format == TrendFormat::Parquet;
    if let Err(message) = parquet_compression(args.compression, parquet, "--format") {
        return fail(message);
    }
    if format == TrendFormat::Parquet && file.is_none() && io::stdout().is_terminal() {
        return fail(
            "--format parquet writes binary data: give -o FILE, or redirect standard output",
        );
    }

    if let Some(db) = &args.db {
        if let Err(message) = prepare_chart(args, &[]) {
            return fail(message);
        }
        return from_archive(db, check.report.as_deref(), args, ctx, options, format);
    }
    let (sources, discover_errors) = discover(&args.paths);
    report_walk_errors(&discover_errors, seen.as_deref_mut());
    if sources.is_empty() {
        return fail("no report files found (looked for *.csv, *.json, *.ndjson)");
    }
    if let Some(Err(message)) = seen.as_deref_mut().map(|s| s.sources(&sources)) {
        return fail(message);
    }
    if let Err(message) = prepare_chart(args, &input_paths(&sources)) {
        return fail(message);
    }
    let progress = Progress::files(ctx, sources.len());
    let how = Gathering {
        series_by: args.group_by.series_by(),
        stop_at_invalid: args.strict,
        keep_valid: false,
    };
    let pass = gather(&sources, &ctx.registry, (&check, &options), how, &|| {
        progress.inc()
    });
    drop(progress);
    if let Some(seen) = seen {
        pass.invalid.iter().for_each(|r| seen.refused(r));
    }
    let several_folders = sources
        .iter()
        .any(|s| Some(s.group.as_str()) != sources.first().map(|f| f.group.as_str()));
    let failed = !discover_errors.is_empty();
    match from_files(
        pass,
        (failed, several_folders),
        (options, format),
        args,
        ctx,
    ) {
        Ok((merged, rendering)) => output(merged, rendering, args, ctx),
        Err(outcome) => outcome,
    }
}

/// The diagnostics and summary of the files gathered, and their merged records, or the
/// outcome when `--strict` stops the run before any output.
fn from_files(
    pass: Gathered,
    (discover_failed, several_folders): (bool, bool),
    (options, format): (TrendOptions, TrendFormat),
    args: &TrendArgs,
    ctx: &Context,
) -> Result<(Merged, Rendering), Outcome> {
    let invalid = &pass.invalid;
    let annotating = args.diagnostics.diagnostics.is_some();
    let mut text = diagnostics(&pass, ctx, annotating);
    let outcome = if discover_failed || pass.io_error {
        Outcome::Failure
    } else if !invalid.is_empty() {
        Outcome::Invalid
    } else {
        Outcome::Success
    };
    let mut files_line = format!(
        "{} files: {} valid, {} invalid{}",
        pass.files + pass.not_checked,
        pass.files - invalid.len(),
        invalid.len(),
        if pass.not_checked > 0 {
            format!(", {} not checked", pass.not_checked)
        } else {
            String::new()
        }
    );
    if args.strict && !invalid.is_empty() {
        let _ = writeln!(
            text,
            "{files_line}\nerror: --strict: {} invalid file{}; no output written",
            invalid.len(),
            if invalid.len() == 1 { "" } else { "s" }
        );
        print_stderr(&text);
        return Err(outcome);
    }
    if !invalid.is_empty() {
        files_line.push_str(" (invalid files excluded)");
    }
    let rendering = Rendering {
        options,
        format,
        text,
        files_line,
        outcome,
        several_folders,
        inputs: args.paths.iter().map(|p| p.display().to_string()).collect(),
    };
    Ok((pass.merge.into_merged(), rendering))
}

/// The invalid files' diagnostics (unless `annotating`: `--diagnostics` shows them) and one
/// note for the files whose report was assumed; nothing under `--quiet`.
fn diagnostics(pass: &Gathered, ctx: &Context, annotating: bool) -> String {
    let mut text = String::new();
    if ctx.quiet {
        return text;
    }
    for r in pass.invalid.iter().filter(|_| !annotating) {
        text.push_str(&render_file(r, ctx.color));
    }
    if let Some((which, message)) = pass.assumed_note() {
        let _ = writeln!(
            text,
            "note[{}]: {which}: {message}; pass --report, or keep the report's name in the file name",
            Code::ReportAssumed
        );
    }
    text
}

/// `trend --db`: the archive's records, fed to the same computation and rendering as files.
/// `report` (`--report`) keeps that report's records only; without it every report held is
/// trended, one series per report and series name, as files of several kinds are.
fn from_archive(
    db: &Path,
    report: Option<&Report>,
    args: &TrendArgs,
    ctx: &Context,
    options: TrendOptions,
    format: TrendFormat,
) -> Outcome {
    // The dates are cut by `Trend::compute`, as for files, so that a series held but
    // outside --since/--until is still listed (with no points) exactly as files list it.
    let selection = Selection {
        report: report.map(|r| r.name.clone()),
        ..Selection::default()
    };
    let archive = match Archive::open(db, Access::Read) {
        Ok(a) => a,
        Err(e) => return fail(e.to_string()),
    };
    let mut merged = match archive.merged(&ctx.registry, &selection) {
        Ok(m) => m,
        Err(e) => return fail(e.to_string()),
    };
    match archive.detail_merged(&ctx.registry, &selection, &options) {
        Ok(detail) => {
            merged.series.extend(detail.series);
            merged.conflicts.extend(detail.conflicts);
        }
        Err(e) => return fail(e.to_string()),
    }
    if let (Some(report), true) = (report, merged.series.is_empty()) {
        // Asking for a report the archive never received is a mistake to point out, not
        // an empty trend to print.
        let held = match archive.reports() {
            Ok(held) => held,
            Err(e) => return fail(e.to_string()),
        };
        let held: Vec<String> = held.iter().map(|name| short_name_of(ctx, name)).collect();
        return fail(format!(
            "{} holds no {} records; {}",
            db.display(),
            short_name(report),
            if held.is_empty() {
                "it is empty (see `archive add`)".to_string()
            } else {
                format!("it holds {}", held.join(", "))
            }
        ));
    }
    let files: u64 = merged.series.iter().map(|s| s.files).sum();
    let files_line = format!("{}: {files} files archived", db.display());
    let inputs = vec![format!("--db {}", db.display())];
    output(
        merged,
        Rendering {
            options,
            format,
            text: String::new(),
            files_line,
            outcome: Outcome::Success,
            several_folders: false,
            inputs,
        },
        args,
        ctx,
    )
}

/// What the rendering of a trend needs besides the records.
struct Rendering {
    options: TrendOptions,
    format: TrendFormat,
    /// Standard-error text gathered so far (diagnostics of invalid files).
    text: String,
    /// The first part of the summary line (`N files: ...`).
    files_line: String,
    /// The outcome so far.
    outcome: Outcome,
    /// Whether the inputs came from several folders (a hint when they conflict).
    several_folders: bool,
    /// The paths given (or the archive), for the --html page's header.
    inputs: Vec<String>,
}

/// Computes the trend of `merged` and writes the summary, the chart and the output.
fn output(merged: Merged, r: Rendering, args: &TrendArgs, ctx: &Context) -> Outcome {
    let Rendering {
        options,
        format,
        mut text,
        files_line,
        outcome: data_outcome,
        several_folders,
        inputs,
    } = r;
    let reports: Vec<&Report> = merged.series.iter().map(|s| &*s.report).collect();
    if let Err(message) = check_metrics_used(&options.metrics, &reports, &ctx.registry) {
        print_stderr(&text);
        return fail(message);
    }
    let trend = Trend::compute(merged, options);
    if !ctx.quiet {
        conflict_warnings(
            &trend,
            several_folders && args.group_by == GroupBy::None,
            &mut text,
        );
    }
    summary(&trend, &files_line, ctx, &mut text);

    // The chart first: a reader closing standard output early must not lose it.
    let mut outcome = data_outcome;
    if let Some(path) = &args.chart {
        if let Err(e) = AtomicFile::write_whole(
            path,
            chart::svg(&trend).as_bytes(),
            args.force,
            durability(args.no_sync),
        ) {
            let _ = writeln!(text, "error: --chart {e}");
            outcome = Outcome::Failure;
        }
    }
    if let Some(path) = &args.html {
        let inputs = html::Inputs {
            paths: inputs,
            files: files_line.clone(),
        };
        if let Err(e) = AtomicFile::write_whole(
            path,
            html::page::trend_page(&trend, &inputs).as_bytes(),
            args.force,
            durability(args.no_sync),
        ) {
            let _ = writeln!(text, "error: --html {e}");
            outcome = Outcome::Failure;
        }
    }

    // Written as made, into -o or standard output: a long series' CSV or JSON is never
    // held whole in memory.
    let write_output = |out: &mut dyn Write| match format {
        TrendFormat::Csv => render::write_csv(&trend, out),
        TrendFormat::Json => render::write_json(&trend, out),
        TrendFormat::Table => out.write_all(render::table(&trend).as_bytes()),
        TrendFormat::Parquet => out.write_all(&render::parquet(
            &trend,
            args.compression.unwrap_or_default(),
        )?),
    };
    if let Some(path) = output_file(args) {
        let committed =
            AtomicFile::write_with(path, args.force, durability(args.no_sync), write_output)
                .map_err(|e| e.to_string());
        if let Err(e) = committed {
            let _ = writeln!(text, "error: -o {e}");
            outcome = Outcome::Failure;
        }
        print_stderr(&text);
        return outcome;
    }

    let stdout = io::stdout();
    let mut out = io::BufWriter::with_capacity(64 * 1024, stdout.lock());
    let written = write_output(&mut out).and_then(|()| out.flush());
    drop(out);
    match written {
        // A closed pipe (`| head`) is the reader's choice, not a failure: end quietly, as
        // other commands do, without a summary of output the reader did not want.
        Err(e) if e.kind() == io::ErrorKind::BrokenPipe => std::process::exit(0),
        Err(e) => {
            print_stderr(&text);
            print_stderr(&format!("error: cannot write to standard output: {e}\n"));
            Outcome::Failure
        }
        Ok(()) => {
            // Diagnostics and the summary after the data, so that they end a long table.
            print_stderr(&text);
            outcome
        }
    }
}

/// The first conflicts, one line each, and a count of the rest; `folder_hint` adds a hint
/// to group by folder (the inputs came from several folders into one series).
fn conflict_warnings(trend: &Trend, folder_hint: bool, text: &mut String) {
    for c in trend.conflicts.iter().take(CONFLICTS_SHOWN) {
        let refresh = c.refresh.map(|d| d.to_string()).unwrap_or_default();
        let _ = writeln!(
            text,
            "warning: conflict in {} on {}: {} and {} are both refreshed {refresh} but disagree; kept {}",
            c.series, c.date, c.kept.name, c.other.name, c.kept.name
        );
    }
    if trend.conflicts.len() > CONFLICTS_SHOWN {
        let _ = writeln!(
            text,
            "warning: and {} more conflicts (see --format json)",
            trend.conflicts.len() - CONFLICTS_SHOWN
        );
    }
    // Downloads of several tenants in one series disagree on every shared day.
    if folder_hint && !trend.conflicts.is_empty() {
        text.push_str(
            "hint: the files come from several folders; --group-by dir gives one series per folder\n",
        );
    }
}

/// The summary line: `files_line`, then series, points, skipped reports and conflicts.
fn summary(trend: &Trend, files_line: &str, ctx: &Context, text: &mut String) {
    let points: usize = trend.series.iter().map(|s| s.points.len()).sum();
    let _ = write!(
        text,
        "{files_line}; {} series, {points} points",
        trend.series.len()
    );
    // A whole download set skips most of the catalogue: beyond a few, a count and where
    // to see them.
    if trend.skipped.len() > 3 {
        let files: u64 = trend.skipped.iter().map(|s| s.files).sum();
        let _ = write!(
            text,
            "; skipped {} reports ({files} files) without one active ratio a day (`--format json` lists them)",
            trend.skipped.len()
        );
    } else {
        for s in &trend.skipped {
            let _ = write!(
                text,
                "; skipped {} ({} file{}, {})",
                short_name_of(ctx, &s.report),
                s.files,
                if s.files == 1 { "" } else { "s" },
                s.reason.text()
            );
        }
    }
    let _ = writeln!(
        text,
        "; {} conflict{}",
        trend.conflicts.len(),
        if trend.conflicts.len() == 1 { "" } else { "s" }
    );
}

/// The report's short name for messages (`Storage`), or its type name if unknown.
fn short_name_of(ctx: &Context, report: &str) -> String {
    ctx.registry
        .find(report)
        .map_or_else(|| report.to_string(), |r| short_name(r).to_string())
}

/// The file of `-o`, if one is given (`-o -` is standard output).
fn output_file(args: &TrendArgs) -> Option<&Path> {
    args.output.as_deref().filter(|o| o.as_os_str() != "-")
}

/// Refuses, before any work, a --chart, --html or -o that is one of `inputs` (or the
/// archive of `--db`, under any name, with its `-wal`/`-shm` files) or, without --force, an
/// existing file, as `convert` refuses its outputs, and two of them being one file; then
/// makes Ctrl-C remove an output left half-written. The rename checks for an existing file
/// again when the output is done.
fn prepare_chart(args: &TrendArgs, inputs: &[PathBuf]) -> Result<(), String> {
    let outputs = [
        ("--chart", args.chart.as_deref()),
        ("--html", args.html.as_deref()),
        ("-o", output_file(args)),
    ];
    let outputs: Vec<(&str, &Path)> = outputs
        .into_iter()
        .filter_map(|(flag, path)| Some((flag, path?)))
        .collect();
    if outputs.is_empty() {
        return Ok(());
    }
    for (i, (flag, path)) in outputs.iter().enumerate() {
        for (other, earlier) in &outputs[..i] {
            if path == earlier || m365report::write::same_file(path, earlier) {
                return Err(format!(
                    "{other} and {flag} are both {}; give them different files",
                    path.display()
                ));
            }
        }
    }
    for (flag, path) in outputs {
        if let Some(db) = &args.db {
            check_output(path, db, args.force).map_err(|e| format!("{flag} {e}"))?;
        } else {
            check_target(path, inputs, args.force).map_err(|e| format!("{flag} {e}"))?;
        }
    }
    clean_up_on_interrupt();
    Ok(())
}
