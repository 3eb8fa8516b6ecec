//! `m365report report PATH... -o FILE.html`: one self-contained page for a whole download
//! folder: every file's validation, then the trend of everything trendable.

use std::path::PathBuf;

use clap::Args;
use m365report::discover::{discover, input_paths};
use m365report::html::page::overview_page;
use m365report::html::Inputs;
use m365report::overview::Overview;
use m365report::trend::TrendOptions;
use m365report::write::{check_target, AtomicFile};

use super::validate::InputArgs;
use super::{clean_up_on_interrupt, durability, fail, print_stderr, Context, Outcome};

/// Arguments of `report`.
#[derive(Debug, Args)]
pub struct ReportArgs {
    /// Files or folders of exports (folders: *.csv, *.json, *.ndjson, recursively).
    #[arg(required = true, value_name = "PATH")]
    pub paths: Vec<PathBuf>,
    /// The page to write (written atomically; never over an input).
    #[arg(
        short = 'o',
        long = "output",
        required = true,
        value_name = "FILE.html"
    )]
    pub output: PathBuf,
    /// Replace an existing output file.
    #[arg(long)]
    pub force: bool,
    /// Do not wait for the page to reach the disk before renaming it into place (README,
    /// convert).
    #[arg(long)]
    pub no_sync: bool,
    /// Rolling-mean window of the trends, in days.
    #[arg(long, default_value_t = 7, value_name = "N",
          value_parser = clap::value_parser!(u32).range(1..=3660))]
    pub window: u32,
    #[command(flatten)]
    pub input: InputArgs,
}

/// Runs `report`: exit status 0 when every file is valid, 1 when some is not (the page is
/// still written), 2 on a usage or I/O error.
pub fn run(args: &ReportArgs, ctx: &Context) -> Outcome {
    let check = match args.input.options(ctx) {
        Ok(o) => o,
        Err(message) => return fail(message),
    };
    let (sources, unreadable) = discover(&args.paths);
    if sources.is_empty() && unreadable.is_empty() {
        return fail("no report files found (looked for *.csv, *.json, *.ndjson)");
    }
    if let Err(e) = check_target(&args.output, &input_paths(&sources), args.force) {
        return fail(format!("--output {e}"));
    }
    clean_up_on_interrupt();
    let options = TrendOptions {
        window: args.window,
        ..TrendOptions::default()
    };
    let overview = Overview::gather(&sources, unreadable, &ctx.registry, &check, options);
    let inputs = Inputs {
        paths: args.paths.iter().map(|p| p.display().to_string()).collect(),
        files: overview.files_line(),
    };
    let page = overview_page(&overview, &inputs);
    if let Err(e) = AtomicFile::write_whole(
        &args.output,
        page.as_bytes(),
        args.force,
        durability(args.no_sync),
    ) {
        return fail(format!("--output {e}"));
    }
    if !ctx.quiet {
        let t = &overview.trend;
        print_stderr(&format!(
            "{}; {} series, {} conflict{}; wrote {}\n",
            inputs.files,
            t.series.len(),
            t.conflicts.len(),
            if t.conflicts.len() == 1 { "" } else { "s" },
            args.output.display()
        ));
    }
    if overview.io_error() {
        Outcome::Failure
    } else if overview.valid() < overview.files.len() {
        Outcome::Invalid
    } else {
        Outcome::Success
    }
}
