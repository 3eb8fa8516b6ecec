//! `m365report convert INPUT...`: normalise exports to Graph's JSON, NDJSON or canonical CSV.
//!
//! Every input is checked with the same rules as `validate` while its records stream into
//! a temporary output; an output appears only for a valid input, and only once all inputs
//! are done: without `--skip-invalid`, one invalid input means no output at all (a folder
//! is converted whole or not), with it the valid ones are written and the others listed.
//! Standard output is buffered (in memory up to 8 MiB, then an unnamed temporary file) so an
//! invalid input never prints part of a conversion. The planning and the conversion are the
//! library's ([`m365report::write::plan`], [`m365report::convert`]); this module prints.

use std::io::IsTerminal;
use std::path::PathBuf;

use clap::Args;
use m365report::convert::{self, Converted, Partitioning, Ready};
use m365report::discover::{discover, Input, Source};
use m365report::merge::{Merged, MergedSeries};
use m365report::render::render_file;
use m365report::validate::FileReport;
use m365report::write::{
    format_of, Compression, Destination, Format, Output, Plan, Planner, Targets, WriteOptions,
};
use m365report::CheckOptions;

use super::annotate::{annotated, report_walk_errors, DiagnosticsArg, Seen};
use super::validate::InputArgs;
use super::{
    clean_up_on_interrupt, durability, fail, parquet_compression, print_stderr, Context, Outcome,
};

/// Arguments of `convert`.
#[derive(Debug, Args)]
pub struct ConvertArgs {
    /// Files or folders to convert (folders: *.csv, *.json, *.ndjson, recursively); `-` is stdin.
    #[arg(required = true, value_name = "INPUT")]
    pub inputs: Vec<PathBuf>,
    #[command(flatten)]
    pub input: InputArgs,
    /// Output format [default: from -o's extension, else json for CSV input and csv for
    /// JSON input].
    #[arg(long, value_enum, value_name = "FORMAT")]
    pub to: Option<Format>,
    /// Write the output to FILE (`-`: standard output, the default for one input).
    #[arg(
        short = 'o',
        long = "output",
        value_name = "FILE",
        conflicts_with = "out_dir"
    )]
    pub output: Option<PathBuf>,
    /// Write one output per input under DIR, mirroring the inputs' folders, extension changed
    /// (with --merge: one output per report kind, named after the report).
    #[arg(long, value_name = "DIR")]
    pub out_dir: Option<PathBuf>,
    /// Merge all inputs of one report kind into one output: one record per report date, the
    /// newest refresh date winning.
    #[arg(long)]
    pub merge: bool,
    /// Write Hive-style folders under --out-dir, `report=R/part-0.EXT` or with `series`
    /// `report=R/series=FOLDER/part-0.EXT`, each holding the merged records of one report
    /// (and folder, as --group-by dir names it): `report` or `report,series`.
    #[arg(
        long,
        value_enum,
        value_delimiter = ',',
        value_name = "KEYS",
        requires = "out_dir"
    )]
    pub partition: Vec<PartitionKey>,
    /// Convert the valid inputs even if some are invalid (those are listed, exit status 1).
    #[arg(long)]
    pub skip_invalid: bool,
    /// Replace existing output files (never an input).
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
    /// Compression of Parquet output (--to parquet): snappy (the default) or zstd.
    #[arg(long, value_enum, value_name = "CODEC")]
    pub compression: Option<Compression>,
    #[command(flatten)]
    pub diagnostics: DiagnosticsArg,
}

/// A level of `--partition`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum PartitionKey {
    /// A folder per report.
    Report,
    /// A folder per series (the folder holding the inputs) within the report's.
    Series,
}

impl ConvertArgs {
    /// Where outputs go, for the library's planner.
    fn targets(&self) -> Targets {
        Targets {
            to: self.to,
            output: self.output.clone(),
            out_dir: self.out_dir.clone(),
            force: self.force,
        }
    }
}

/// Refuses Parquet for standard output on a terminal: its bytes are binary and would only
/// garble the screen. Into a pipe or a redirected file it is allowed (`> x.parquet`, `| aws
/// s3 cp - ...`): Parquet is written front to back, so it needs no seekable output.
pub(super) fn binary_on_terminal(format: Format) -> Result<(), String> {
    if format == Format::Parquet && std::io::stdout().is_terminal() {
        return Err(
            "--to parquet writes binary data: give -o FILE (or --out-dir DIR), or redirect standard output"
                .to_string(),
        );
    }
    Ok(())
}

/// Runs `convert`; see the module documentation for what is written when.
pub fn run(args: &ConvertArgs, ctx: &Context) -> Outcome {
    annotated(&args.diagnostics, "convert", |seen| {
        convert_inputs(args, ctx, seen)
    })
}

/// `convert`, its refused inputs shown as text or recorded in `seen` for `--diagnostics`.
fn convert_inputs(args: &ConvertArgs, ctx: &Context, mut seen: Option<&mut Seen>) -> Outcome {
    let options = match args.input.options(ctx) {
        Ok(options) => options,
        Err(message) => return fail(message),
    };
    let to = (args.to).or_else(|| args.output.as_deref().and_then(format_of));
    if let Err(message) = parquet_compression(args.compression, to == Some(Format::Parquet), "--to")
    {
        return fail(message);
    }
    clean_up_on_interrupt();
    let (sources, discover_errors) = discover(&args.inputs);
    report_walk_errors(&discover_errors, seen.as_deref_mut());
    let outcome = if discover_errors.is_empty() {
        Outcome::Success
    } else {
        Outcome::Failure
    };
    if sources.is_empty() {
        print_stderr("error: no input files\n");
        return Outcome::Failure;
    }
    if let Some(Err(message)) = seen.as_deref_mut().map(|s| s.sources(&sources)) {
        return fail(message);
    }
    let to_stdout =
        args.out_dir.is_none() && args.output.as_ref().is_none_or(|o| o.as_os_str() == "-");
    if to_stdout {
        if let Err(message) = binary_on_terminal(args.to.unwrap_or(Format::Json)) {
            return fail(message);
        }
    }
    let partitioning = match args.partition.as_slice() {
        [] => None,
        [PartitionKey::Report] => Some(Partitioning::new(&sources, false)),
        [PartitionKey::Report, PartitionKey::Series] => Some(Partitioning::new(&sources, true)),
        _ => return fail("--partition takes `report` or `report,series`"),
    };
    if partitioning.is_some() && sources.iter().any(|s| s.input == Input::Stdin) {
        // A detail report's input is read twice (checked with the rest, then converted).
        return fail("--partition takes files and folders, not standard input");
    }
    if args.merge || partitioning.is_some() {
        let run = (&options, &sources[..], partitioning.as_ref());
        return run_merge(args, ctx, run, seen).max(outcome);
    }
    if args.out_dir.is_none() && sources.len() > 1 {
        return fail(format!(
            "{} inputs: give --out-dir DIR for one output each, or --merge for one output",
            sources.len()
        ));
    }
    run_each(args, ctx, (&options, &sources), outcome, seen)
}

/// One output per input: every output planned first (refusals come before any work), then
/// the inputs converted, then the outputs committed.
fn run_each(
    args: &ConvertArgs,
    ctx: &Context,
    (options, sources): (&CheckOptions, &[Source]),
    mut outcome: Outcome,
    mut seen: Option<&mut Seen>,
) -> Outcome {
    let mut planner = Planner::new(args.targets(), sources);
    let mut planned = Vec::new();
    for source in sources {
        match planner.plan(source) {
            Ok(plan) => planned.push((source.clone(), plan)),
            Err(e) => {
                print_stderr(&format!("error: {e}\n"));
                outcome = Outcome::Failure;
            }
        }
    }
    let converted = convert_planned(&planned, args, ctx, options);
    let mut outputs = Vec::new();
    let mut invalid: Vec<String> = Vec::new();
    for result in converted {
        match result {
            Converted::Ready(ready) => outputs.push(ready),
            Converted::Invalid(report) => {
                outcome = outcome.max(refuse(&report, ctx, &mut invalid, seen.as_deref_mut()));
            }
            Converted::Kindless(report) => {
                if let Some(seen) = seen.as_deref_mut() {
                    seen.refused(&report);
                }
                print_stderr(&format!(
                    "error: {}: no records, and the report kind could not be told; nothing written (name it with --report)\n",
                    report.name
                ));
                invalid.push(report.name.clone());
                outcome = outcome.max(Outcome::Invalid);
            }
            Converted::Failed(e) => {
                print_stderr(&format!("error: {}\n", e));
                outcome = Outcome::Failure;
            }
        }
    }
    let outcome = commit_all(args, outputs, &invalid, outcome);
    planner.remove_empty();
    outcome
}

/// Makes the finished outputs visible, or none of them when an input was invalid and
/// `--skip-invalid` was not given; prints the summary.
fn commit_all(
    args: &ConvertArgs,
    outputs: Vec<Ready>,
    invalid: &[String],
    mut outcome: Outcome,
) -> Outcome {
    if !invalid.is_empty() && !args.skip_invalid {
        let n = outputs.len();
        drop(outputs); // removes the temporary files
        let message = if n == 0 {
            format!("nothing written: invalid input {}\n", invalid.join(", "))
        } else {
            format!(
                "nothing written: {} of {} inputs invalid ({}); fix them, or pass --skip-invalid to convert the {n} valid\n",
                invalid.len(),
                invalid.len() + n,
                invalid.join(", "),
            )
        };
        print_stderr(&message);
        return outcome.max(Outcome::Invalid);
    }
    let (files, rows) = commit_each(outputs, args.force, &mut outcome);
    let mut line = format!(
        "converted {files} file{} ({rows} record{})",
        if files == 1 { "" } else { "s" },
        if rows == 1 { "" } else { "s" }
    );
    if !invalid.is_empty() {
        line.push_str(&format!(
            "; skipped {} invalid: {}",
            invalid.len(),
            invalid.join(", ")
        ));
    }
    print_stderr(&format!("{line}\n"));
    outcome
}

/// `--merge`: every input checked, then the valid records of each report kind merged into
/// one output (stdout, `-o FILE`, or `DIR/<report>.<ext>` under `--out-dir`), newest report
/// date first.
fn run_merge(
    args: &ConvertArgs,
    ctx: &Context,
    (options, sources, partitioning): (&CheckOptions, &[Source], Option<&Partitioning>),
    mut seen: Option<&mut Seen>,
) -> Outcome {
    let mut planner = Planner::new(args.targets(), sources);
    let single = match planner.single() {
        Ok(single) => single,
        Err(e) => return fail(e),
    };
    let (merged, reports) = match partitioning {
        Some(p) => convert::check_merged_by(sources, &ctx.registry, options, |s| p.series_of(s)),
        None => convert::check_merged(sources, &ctx.registry, options),
    };
    let mut outcome = Outcome::Success;
    let mut invalid = Vec::new();
    for report in reports.iter().filter(|r| !r.is_valid()) {
        outcome = outcome.max(refuse(report, ctx, &mut invalid, seen.as_deref_mut()));
    }
    let kinds = convert::files_by_report(&reports);
    if !invalid.is_empty() && !args.skip_invalid {
        print_stderr(&format!(
            "nothing written: invalid input {}; fix it, or pass --skip-invalid to merge the rest\n",
            invalid.join(", ")
        ));
        return outcome;
    }
    if single.is_some() {
        if let Err(e) = convert::one_report(&kinds) {
            return fail(e);
        }
    }
    conflict_warnings(&merged);
    let write = WriteOptions {
        format: planner.format(&sources[0]),
        bom: args.bom,
        durability: durability(args.no_sync),
        compression: args.compression.unwrap_or_default(),
    };
    let outputs = match partitioning {
        Some(p) => {
            let mut outputs = partition_outputs(&merged, p, &mut planner, write, &mut outcome);
            let parts = p.detail_parts(sources, &reports, write.format);
            outputs.extend(detail_outputs(
                args,
                ctx,
                options,
                parts,
                &mut planner,
                &mut outcome,
            ));
            outputs
        }
        None => merged_outputs(&merged, &planner, single.as_ref(), write, &mut outcome),
    };
    let files: usize = kinds.iter().map(|(_, f)| f.len()).sum();
    let (_, records) = commit_each(outputs, args.force, &mut outcome);
    print_stderr(&merge_summary(
        files,
        records,
        merged.conflicts.len(),
        &invalid,
    ));
    outcome
}

/// One warning per pair of files that disagree, with the dates they disagree about.
fn conflict_warnings(merged: &Merged) {
    for (c, dates) in convert::conflicts_by_pair(&merged.conflicts) {
        let refresh = c
            .refresh
            .map_or_else(String::new, |d| format!(", both refreshed {d},"));
        let which = match dates.as_slice() {
            [one] => one.to_string(),
            [first, .., last] => format!("{} dates from {first} to {last}", dates.len()),
            [] => String::new(),
        };
        print_stderr(&format!(
            "warning: {} and {}{refresh} disagree about {which}; kept the values of {}\n",
            c.kept.name, c.other.name, c.kept.name
        ));
    }
}

/// The merged records of each report written into a complete output: `single` for all, or
/// one file per report under `--out-dir`; failures are printed and make `outcome` 2.
fn merged_outputs(
    merged: &Merged,
    planner: &Planner,
    single: Option<&Destination>,
    write: WriteOptions,
    outcome: &mut Outcome,
) -> Vec<Ready> {
    let mut outputs = Vec::new();
    for series in convert::series_by_report(merged) {
        let report = &series[0].report;
        let destination = match single {
            Some(d) => Ok(d.clone()),
            None => planner.report_target(&report.name, write.format),
        };
        let destination = destination.map_err(|e| e.to_string());
        let ready = series_ready(report.name.clone(), &series, write, destination);
        keep_ready(ready, &mut outputs, outcome);
    }
    outputs
}

/// `series` written as one output into `destination` (where planning it did not fail):
/// `None` when there is nothing to write.
fn series_ready(
    name: String,
    series: &[&MergedSeries],
    write: WriteOptions,
    destination: Result<Destination, String>,
) -> Result<Option<Ready>, String> {
    let output = destination
        .and_then(|d| convert::series_output(series, write, d).map_err(|e| e.to_string()))?;
    Ok(output.map(|output| Ready {
        name,
        records: series.iter().map(|s| s.records.len() as u64).sum(),
        output,
    }))
}

/// Keeps an output that is ready; prints a failure, which makes `outcome` 2.
fn keep_ready(
    ready: Result<Option<Ready>, String>,
    outputs: &mut Vec<Ready>,
    outcome: &mut Outcome,
) {
    match ready {
        Ok(Some(ready)) => outputs.push(ready),
        Ok(None) => {}
        Err(e) => {
            print_stderr(&format!("error: {e}\n"));
            *outcome = Outcome::Failure;
        }
    }
}

/// The merged records of each partition written into a complete output under `--out-dir`;
/// failures are printed and make `outcome` 2.
fn partition_outputs(
    merged: &Merged,
    partitioning: &Partitioning,
    planner: &mut Planner,
    write: WriteOptions,
    outcome: &mut Outcome,
) -> Vec<Ready> {
    let mut outputs = Vec::new();
    for (path, series) in partitioning.partitions(merged, write.format) {
        let destination = (planner.partition_target(&path))
            .map(|d| d.unwrap_or(Destination::Stdout))
            .map_err(|e| e.to_string());
        let ready = series_ready(path.display().to_string(), &series, write, destination);
        keep_ready(ready, &mut outputs, outcome);
    }
    outputs
}

/// Each planned input converted as the flags say (`--bom`, `--no-sync`, `--compression`).
fn convert_planned(
    planned: &[(Source, Plan)],
    args: &ConvertArgs,
    ctx: &Context,
    options: &CheckOptions,
) -> Vec<Converted> {
    convert::convert_each(
        planned,
        &ctx.registry,
        options,
        args.bom,
        durability(args.no_sync),
        args.compression.unwrap_or_default(),
    )
}

/// The valid inputs of detail reports converted again, each into its own part under
/// `--out-dir` (their rows are merged by nobody); failures are printed and make `outcome` 2.
fn detail_outputs(
    args: &ConvertArgs,
    ctx: &Context,
    options: &CheckOptions,
    parts: Vec<(Source, PathBuf)>,
    planner: &mut Planner,
    outcome: &mut Outcome,
) -> Vec<Ready> {
    let mut planned = Vec::new();
    for (source, path) in parts {
        match planner.partition_target(&path) {
            Ok(Some(destination)) => {
                let format = planner.format(&source);
                planned.push((
                    source,
                    Plan {
                        format,
                        destination,
                    },
                ));
            }
            Ok(None) => {}
            Err(e) => {
                print_stderr(&format!("error: {e}\n"));
                *outcome = Outcome::Failure;
            }
        }
    }
    let converted = convert_planned(&planned, args, ctx, options);
    let mut outputs = Vec::new();
    for result in converted {
        match result {
            Converted::Ready(ready) => outputs.push(ready),
            // Checked valid a moment ago: only a file changed since lands here.
            Converted::Invalid(report) | Converted::Kindless(report) => {
                print_stderr(&format!(
                    "error: {}: changed while being converted; nothing written for it\n",
                    report.name
                ));
                *outcome = Outcome::Failure;
            }
            Converted::Failed(e) => {
                print_stderr(&format!("error: {e}\n"));
                *outcome = Outcome::Failure;
            }
        }
    }
    outputs
}

/// The last line of `convert --merge`.
fn merge_summary(files: usize, records: u64, conflicts: usize, invalid: &[String]) -> String {
    let mut line = format!(
        "merged {files} file{} into {records} record{}",
        if files == 1 { "" } else { "s" },
        if records == 1 { "" } else { "s" }
    );
    if conflicts > 0 {
        line.push_str(&format!("; {conflicts} conflicting dates"));
    }
    if !invalid.is_empty() {
        line.push_str(&format!(
            "; skipped {} invalid: {}",
            invalid.len(),
            invalid.join(", ")
        ));
    }
    line + "\n"
}

/// Shows an invalid input's diagnostics (or records them for `--diagnostics`) and lists it;
/// the outcome it implies (2 for an input that could not be read, 1 for invalid data).
fn refuse(
    report: &FileReport,
    ctx: &Context,
    invalid: &mut Vec<String>,
    seen: Option<&mut Seen>,
) -> Outcome {
    match seen {
        Some(seen) => seen.refused(report),
        None if !ctx.quiet => print_stderr(&render_file(report, ctx.color)),
        None => {}
    }
    invalid.push(report.name.clone());
    if report.io_error {
        Outcome::Failure
    } else {
        Outcome::Invalid
    }
}

/// Puts every finished output in place (synced as one batch, see `Output::commit_all`); a
/// failure is reported and makes the outcome 2.
/// Returns the files and records committed.
fn commit_each(outputs: Vec<Ready>, force: bool, outcome: &mut Outcome) -> (usize, u64) {
    let (mut files, mut rows) = (0, 0);
    let (described, outputs): (Vec<(String, u64)>, Vec<Output>) = outputs
        .into_iter()
        .map(|r| ((r.name, r.records), r.output))
        .unzip();
    let committed = Output::commit_all(outputs, force);
    for ((name, count), result) in described.into_iter().zip(committed) {
        match result {
            Ok(_) => {
                files += 1;
                rows += count;
            }
            Err(e) => {
                super::exit_if_closed_pipe(&e);
                print_stderr(&format!("error: {name}: {e}\n"));
                *outcome = Outcome::Failure;
            }
        }
    }
    (files, rows)
}
