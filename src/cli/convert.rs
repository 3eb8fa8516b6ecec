//! `m365report convert INPUT...`: normalise exports to Graph's JSON, NDJSON or canonical CSV.
//!
//! Every input is checked with the same rules as `validate` while its records stream into
//! a temporary output; an output appears only for a valid input, and only once all inputs
//! are done: without `--skip-invalid`, one invalid input means no output at all (a folder
//! is converted whole or not), with it the valid ones are written and the others listed.
//! Standard output is buffered (in memory up to 8 MiB, then an unnamed temporary file) so an
//! invalid input never prints part of a conversion.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use clap::Args;
use m365report::discover::{discover, input_paths, Input, Source};
use m365report::render::render_file;
use m365report::validate::check_source;
use m365report::write::{
    check_target, mirror, Destination, Format, Output, RecordWriter, WriteOptions,
};
use rayon::prelude::*;

use super::validate::{check_all, report_discover_errors, InputArgs};
use super::{clean_up_on_interrupt, durability, print_stderr, Context, Outcome};
use m365report::merge::{Conflict, Merge};

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
}

/// Where one input's output goes, decided before any work.
struct Plan {
    format: Format,
    destination: Destination,
}

/// Runs `convert`; see the module documentation for what is written when.
pub fn run(args: &ConvertArgs, ctx: &Context) -> Outcome {
    let options = match args.input.options(ctx) {
        Ok(options) => options,
        Err(message) => return usage(&message),
    };
    clean_up_on_interrupt();
    let (sources, discover_errors) = discover(&args.inputs);
    report_discover_errors(&discover_errors);
    let mut outcome = if discover_errors.is_empty() {
        Outcome::Success
    } else {
        Outcome::Failure
    };
    if sources.is_empty() {
        print_stderr("error: no input files\n");
        return Outcome::Failure;
    }
    if args.merge {
        return run_merge(args, ctx, &options, &sources).max(outcome);
    }
    if args.out_dir.is_none() && sources.len() > 1 {
        return usage(&format!(
            "{} inputs: give --out-dir DIR for one output each, or --merge for one output",
            sources.len()
        ));
    }
    let input_paths = input_paths(&sources);

    // Plan every output first: refusals (existing file, an input, outside --out-dir,
    // two inputs onto one output) come before any work.
    let mut plans: HashMap<usize, Plan> = HashMap::new();
    let mut taken: HashMap<PathBuf, String> = HashMap::new();
    let mut created: Vec<PathBuf> = Vec::new();
    for source in &sources {
        match plan(args, source, &input_paths, &mut taken, &mut created) {
            Ok(plan) => {
                plans.insert(source.index, plan);
            }
            Err(message) => {
                print_stderr(&format!("error: {message}\n"));
                outcome = Outcome::Failure;
            }
        }
    }
    let planned: Vec<Source> = sources
        .iter()
        .filter(|s| plans.contains_key(&s.index))
        .cloned()
        .collect();

    let results = check_all(&planned, ctx, &options, |source| {
        let (format, destination) = match plans.get(&source.index) {
            Some(plan) => (plan.format, plan.destination.clone()),
            None => (Format::Json, Destination::Stdout), // unreachable: filtered above
        };
        RecordWriter::new(
            WriteOptions {
                format,
                bom: args.bom,
                durability: durability(args.no_sync),
            },
            destination,
        )
    });

    let mut outputs: Vec<(String, u64, Output)> = Vec::new();
    let mut invalid: Vec<String> = Vec::new();
    for (report, mut writer) in results {
        let output = writer.take_output(report.report.as_ref());
        if !report.is_valid() {
            outcome = outcome.max(refuse(&report, ctx, &mut invalid));
            continue;
        }
        match output {
            Ok(Some(output)) => outputs.push((report.name.clone(), report.rows, output)),
            Ok(None) => {
                // Valid but kindless: a JSON file with no records names its report only in
                // `@odata.context`, which is not read without a record.
                print_stderr(&format!(
                    "error: {}: no records, and the report kind could not be told; nothing written (name it with --report)\n",
                    report.name
                ));
                invalid.push(report.name.clone());
                outcome = outcome.max(Outcome::Invalid);
            }
            Err(e) => {
                print_stderr(&format!("error: {}\n", e));
                outcome = Outcome::Failure;
            }
        }
    }
    let outcome = commit_all(args, outputs, &invalid, outcome);
    remove_empty(created);
    outcome
}

/// Creates `dir` and its missing parents, noting the ones created in `created`.
fn create_dirs(dir: &Path, created: &mut Vec<PathBuf>) -> Result<(), String> {
    let missing: Vec<PathBuf> = dir
        .ancestors()
        .take_while(|d| !d.as_os_str().is_empty() && !d.exists())
        .map(Path::to_path_buf)
        .collect();
    std::fs::create_dir_all(dir).map_err(|e| {
        format!(
            "{}: cannot create the folder: {}",
            dir.display(),
            m365report::discover::io_message(&e)
        )
    })?;
    created.extend(missing);
    Ok(())
}

/// Removes the folders this run created that stayed empty (their inputs were invalid, or
/// nothing was written), deepest first, so a failed run leaves no empty tree behind.
fn remove_empty(mut created: Vec<PathBuf>) {
    created.sort_by_key(|d| std::cmp::Reverse(d.components().count()));
    created.dedup();
    for dir in created {
        // Fails, as wanted, for a folder that holds an output.
        let _ = std::fs::remove_dir(&dir);
    }
}

/// Decides format and destination for one input, refusing unsafe targets.
fn plan(
    args: &ConvertArgs,
    source: &Source,
    inputs: &[PathBuf],
    taken: &mut HashMap<PathBuf, String>,
    created: &mut Vec<PathBuf>,
) -> Result<Plan, String> {
    let input_default = match &source.input {
        Input::Path(path) => Format::default_for(path),
        Input::Stdin => Format::Json,
    };
    let format = args
        .to
        .or_else(|| args.output.as_deref().and_then(format_of))
        .unwrap_or(input_default);
    let target = match (&args.out_dir, &args.output) {
        (Some(dir), _) => mirror(dir, &source.relative, format).map_err(|e| e.to_string())?,
        (None, Some(file)) if file.as_os_str() != "-" => file.clone(),
        (None, _) => {
            return Ok(Plan {
                format,
                destination: Destination::Stdout,
            })
        }
    };
    check_target(&target, inputs, args.force).map_err(|e| e.to_string())?;
    if let Some(first) = taken.insert(target.clone(), source.name.clone()) {
        return Err(format!(
            "{}: would be written from both {first} and {}; convert them separately",
            target.display(),
            source.name
        ));
    }
    if let Some(parent) = target.parent().filter(|p| !p.as_os_str().is_empty()) {
        create_dirs(parent, created)?;
    }
    Ok(Plan {
        format,
        destination: Destination::File(target),
    })
}

/// The format named by an output file's extension, if it names one.
fn format_of(path: &Path) -> Option<Format> {
    let ext = path.extension()?.to_str()?.to_ascii_lowercase();
    match ext.as_str() {
        "json" => Some(Format::Json),
        "ndjson" | "jsonl" => Some(Format::Ndjson),
        "csv" => Some(Format::Csv),
        _ => None,
    }
}

/// Makes the finished outputs visible, or none of them when an input was invalid and
/// `--skip-invalid` was not given; prints the summary.
fn commit_all(
    args: &ConvertArgs,
    outputs: Vec<(String, u64, Output)>,
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

fn usage(message: &str) -> Outcome {
    print_stderr(&format!("error: {message}\n"));
    Outcome::Failure
}

/// `--merge`: every input checked, then the valid records of each report kind merged into
/// one output (stdout, `-o FILE`, or `DIR/<report>.<ext>` under `--out-dir`), newest report
/// date first.
fn run_merge(
    args: &ConvertArgs,
    ctx: &Context,
    options: &m365report::CheckOptions,
    sources: &[Source],
) -> Outcome {
    let input_paths = input_paths(sources);
    let first_default = match &sources[0].input {
        Input::Path(path) => Format::default_for(path),
        Input::Stdin => Format::Json,
    };
    let format = args
        .to
        .or_else(|| args.output.as_deref().and_then(format_of))
        .unwrap_or(first_default);
    let single = match (&args.out_dir, &args.output) {
        (Some(_), _) => None,
        (None, Some(file)) if file.as_os_str() != "-" => {
            if let Err(e) = check_target(file, &input_paths, args.force) {
                return usage(&e.to_string());
            }
            Some(Destination::File(file.clone()))
        }
        (None, _) => Some(Destination::Stdout),
    };
    // One series for everything: files merge by report kind alone. Each file's records
    // are merged in as soon as it is checked (a file collector adds nothing unless its file
    // proved valid), so memory follows the distinct dates, not every row of every file.
    let (merge, reports) = sources
        .par_iter()
        .fold(
            || (Merge::default(), Vec::new()),
            |(mut merge, mut reports), source| {
                let mut collector = Merge::for_file("", source.index, &source.name);
                let report = check_source(source, &ctx.registry, options, &mut collector);
                merge.absorb(collector);
                reports.push(report);
                (merge, reports)
            },
        )
        .reduce(
            || (Merge::default(), Vec::new()),
            |(a, mut first), (b, second)| {
                // Folds cover consecutive inputs and are reduced in order: input order.
                first.extend(second);
                (a.merge(b), first)
            },
        );
    let mut outcome = Outcome::Success;
    let mut invalid = Vec::new();
    let mut kinds: Vec<(String, Vec<String>)> = Vec::new();
    for report in &reports {
        if !report.is_valid() {
            outcome = outcome.max(refuse(report, ctx, &mut invalid));
            continue;
        }
        let kind = report
            .report
            .as_ref()
            .map_or("(unknown)", |r| r.name.as_str());
        match kinds.iter_mut().find(|(k, _)| k == kind) {
            Some((_, files)) => files.push(report.name.clone()),
            None => kinds.push((kind.to_string(), vec![report.name.clone()])),
        }
    }
    if !invalid.is_empty() && !args.skip_invalid {
        print_stderr(&format!(
            "nothing written: invalid input {}; fix it, or pass --skip-invalid to merge the rest\n",
            invalid.join(", ")
        ));
        return outcome;
    }
    if single.is_some() && kinds.len() > 1 {
        let which: Vec<String> = kinds
            .iter()
            .map(|(kind, files)| format!("  {kind}: {}\n", files.join(", ")))
            .collect();
        print_stderr(&format!(
            "error: cannot merge different reports into one output; use --out-dir for one file per report:\n{}",
            which.concat()
        ));
        return Outcome::Failure;
    }
    let merged = merge.into_merged();
    // One warning per pair of files, not per date: overlapping D30 files can disagree on
    // every shared day.
    let mut pairs: Vec<(&Conflict, Vec<chrono::NaiveDate>)> = Vec::new();
    for c in &merged.conflicts {
        let same = |p: &&mut (&Conflict, Vec<chrono::NaiveDate>)| {
            p.0.kept == c.kept && p.0.other == c.other && p.0.refresh == c.refresh
        };
        match pairs.iter_mut().find(same) {
            Some((_, dates)) => dates.push(c.date),
            None => pairs.push((c, vec![c.date])),
        }
    }
    for (c, mut dates) in pairs {
        dates.sort();
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
    let mut outputs = Vec::new();
    for series in &merged.series {
        let destination = match (&single, &args.out_dir) {
            (Some(d), _) => d.clone(),
            (None, Some(dir)) => {
                let target = dir.join(format!("{}.{}", series.report.name, format.extension()));
                if let Err(e) = check_target(&target, &input_paths, args.force)
                    .map_err(|e| e.to_string())
                    .and_then(|()| {
                        std::fs::create_dir_all(dir).map_err(|e| {
                            format!("{}: cannot create the folder: {e}", dir.display())
                        })
                    })
                {
                    print_stderr(&format!("error: {e}\n"));
                    outcome = Outcome::Failure;
                    continue;
                }
                Destination::File(target)
            }
            (None, None) => Destination::Stdout,
        };
        let mut writer = RecordWriter::new(
            WriteOptions {
                format,
                bom: args.bom,
                durability: durability(args.no_sync),
            },
            destination,
        );
        writer.write_series(series);
        match writer.take_output(Some(&series.report)) {
            Ok(Some(output)) => outputs.push((
                series.report.name.clone(),
                series.records.len() as u64,
                output,
            )),
            Ok(None) => {}
            Err(e) => {
                print_stderr(&format!("error: {e}\n"));
                outcome = Outcome::Failure;
            }
        }
    }
    let files: usize = kinds.iter().map(|(_, f)| f.len()).sum();
    let (_, records) = commit_each(outputs, args.force, &mut outcome);
    let mut line = format!(
        "merged {files} file{} into {records} record{}",
        if files == 1 { "" } else { "s" },
        if records == 1 { "" } else { "s" }
    );
    if !merged.conflicts.is_empty() {
        line.push_str(&format!("; {} conflicting dates", merged.conflicts.len()));
    }
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

/// Shows an invalid input's diagnostics and lists it; the outcome it implies (2 for an input
/// that could not be read, 1 for invalid data).
fn refuse(
    report: &m365report::validate::FileReport,
    ctx: &Context,
    invalid: &mut Vec<String>,
) -> Outcome {
    if !ctx.quiet {
        print_stderr(&render_file(report, ctx.color));
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
fn commit_each(
    outputs: Vec<(String, u64, Output)>,
    force: bool,
    outcome: &mut Outcome,
) -> (usize, u64) {
    let (mut files, mut rows) = (0, 0);
    let (described, outputs): (Vec<(String, u64)>, Vec<Output>) = outputs
        .into_iter()
        .map(|(name, count, output)| ((name, count), output))
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
