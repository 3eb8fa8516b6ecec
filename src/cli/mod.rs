//! The command line: one module per subcommand, each with its clap arguments and a `run`
//! that calls the library and renders the result.

pub mod annotate;
pub mod archive;
pub mod completions;
pub mod convert;
pub mod explain;
pub mod inactive;
pub mod man;
pub mod report;
pub mod schemas;
pub mod trend;
pub mod validate;

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, ValueEnum};
use m365report::trend::gather::SeriesBy;
use m365report::Registry;

/// Flags every subcommand takes.
#[derive(Debug, Args)]
pub struct GlobalArgs {
    /// Worker threads [default: all cores].
    #[arg(long, short = 'j', global = true, value_name = "N")]
    pub jobs: Option<usize>,
    /// Add a report described by a JSON Schema file (repeatable).
    #[arg(long = "schema", global = true, value_name = "FILE")]
    pub schemas: Vec<PathBuf>,
    /// When to use colour on standard error.
    #[arg(long, global = true, value_enum, default_value_t = ColorChoice::Auto)]
    pub color: ColorChoice,
    /// Print only the summary (and set the exit status).
    #[arg(long, short = 'q', global = true)]
    pub quiet: bool,
}

/// `--color`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ColorChoice {
    /// Colour when standard error is a terminal and NO_COLOR is unset.
    Auto,
    /// Always colour.
    Always,
    /// Never colour.
    Never,
}

/// Settings every subcommand shares, resolved once from the global flags.
pub struct Context {
    /// Built-in reports plus those added with `--schema`.
    pub registry: Registry,
    /// Whether to colour standard error.
    pub color: bool,
    /// Whether standard error is a terminal (progress bars).
    pub stderr_terminal: bool,
    /// `--quiet`: print the summary and exit status only.
    pub quiet: bool,
}

impl Context {
    /// Resolves the global flags: loads the registry, sizes the thread pool.
    pub fn new(args: &GlobalArgs, stderr_terminal: bool) -> Result<Context, String> {
        let mut registry = Registry::builtin().map_err(|e| e.to_string())?;
        for path in &args.schemas {
            registry.add_file(path).map_err(|e| e.to_string())?;
        }
        let jobs = match args.jobs {
            Some(0) => return Err("--jobs must be at least 1".into()),
            Some(n) => n,
            None => std::thread::available_parallelism().map_or(1, |n| n.get()),
        };
        rayon::ThreadPoolBuilder::new()
            .num_threads(jobs)
            .build_global()
            .map_err(|e| format!("cannot start {jobs} threads: {e}"))?;
        let color = match args.color {
            ColorChoice::Always => true,
            ColorChoice::Never => false,
            ColorChoice::Auto => {
                stderr_terminal && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
            }
        };
        Ok(Context {
            registry,
            color,
            stderr_terminal,
            quiet: args.quiet,
        })
    }
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

/// `--group-by`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum GroupBy {
    /// One series per report kind.
    None,
    /// One series per folder (its path relative to the PATH given) and report kind.
    Dir,
}

impl GroupBy {
    /// The series files' records join.
    pub fn series_by(self) -> SeriesBy {
        match self {
            GroupBy::None => SeriesBy::Report,
            GroupBy::Dir => SeriesBy::Folder,
        }
    }
}

/// Above this many files a run takes long enough for a progress bar to be worth drawing.
const PROGRESS_MIN_FILES: usize = 1000;

/// A bar counting the files a command has gone through, on standard error. It is drawn only
/// where someone watches a long run: standard error is a terminal, `--quiet` is off and
/// there are more than `PROGRESS_MIN_FILES` (1,000) files; otherwise it does nothing. It is
/// cleared when dropped, so the diagnostics printed after it start on a clean line.
pub struct Progress(Option<indicatif::ProgressBar>);

impl Progress {
    /// A bar over `files` files, or nothing (see [`Progress`]).
    pub fn files(ctx: &Context, files: usize) -> Progress {
        Progress(draws(ctx.stderr_terminal, ctx.quiet, files).then(|| {
            let bar = indicatif::ProgressBar::new(files as u64);
            if let Ok(style) = indicatif::ProgressStyle::with_template(
                "{spinner} {bar:40} {pos}/{len} files {elapsed_precise}",
            ) {
                bar.set_style(style);
            }
            bar
        }))
    }

    /// Counts one file done; callable from any thread.
    pub fn inc(&self) {
        if let Some(bar) = &self.0 {
            bar.inc(1);
        }
    }
}

impl Drop for Progress {
    fn drop(&mut self) {
        if let Some(bar) = &self.0 {
            bar.finish_and_clear();
        }
    }
}

/// Whether a progress bar is drawn: on a terminal, without `--quiet`, for a long run.
fn draws(stderr_terminal: bool, quiet: bool, files: usize) -> bool {
    stderr_terminal && !quiet && files > PROGRESS_MIN_FILES
}

/// How outputs are committed: synced unless `--no-sync`.
pub fn durability(no_sync: bool) -> m365report::write::Durability {
    if no_sync {
        m365report::write::Durability::Unsynced
    } else {
        m365report::write::Durability::Synced
    }
}

/// Makes Ctrl-C and SIGTERM remove the temporary files of outputs being written; call once,
/// before the first output file is created. Without the handler an interrupt would leave
/// them behind; a failure to install it (another handler) is not worth refusing the run for.
pub fn clean_up_on_interrupt() {
    if let Err(e) = m365report::write::install_interrupt_cleanup() {
        print_stderr(&format!(
            "warning: temporary files may survive Ctrl-C: {e}\n"
        ));
    }
}

/// The Parquet compression `--compression` asks for (snappy when not given); a usage
/// error when the output is not Parquet, where the flag would be silently ignored.
pub fn parquet_compression(
    asked: Option<m365report::write::Compression>,
    parquet: bool,
    flag: &str,
) -> Result<m365report::write::Compression, String> {
    match asked {
        Some(_) if !parquet => Err(format!(
            "--compression applies to Parquet output only: add {flag} parquet, or leave it out"
        )),
        asked => Ok(asked.unwrap_or_default()),
    }
}

/// Prints `error: {message}` on standard error; the outcome of a usage or I/O error.
pub fn fail(message: impl std::fmt::Display) -> Outcome {
    print_stderr(&format!("error: {message}\n"));
    Outcome::Failure
}

/// Writes to standard output; a closed pipe (`| head`) ends the process quietly with success,
/// as it does for other Unix tools.
pub fn print_stdout(text: &str) -> bool {
    write_stdout(|out| out.write_all(text.as_bytes()))
}

/// Writes to standard output through a buffer, as `write` makes it (a long output is never
/// held whole in memory); a closed pipe ends the process quietly with success, as in
/// [`print_stdout`]. `false` (said on standard error) when the write failed.
pub fn write_stdout(write: impl FnOnce(&mut dyn Write) -> std::io::Result<()>) -> bool {
    let stdout = std::io::stdout();
    let mut out = std::io::BufWriter::with_capacity(1 << 16, stdout.lock());
    match write(&mut out).and_then(|()| out.flush()) {
        Ok(()) => true,
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => std::process::exit(0),
        Err(e) => {
            print_stderr(&format!("error: cannot write to standard output: {e}\n"));
            false
        }
    }
}

/// What would have gone to standard error while a diagnostics document owns it (see
/// [`hold_stderr`]); `None` when standard error is written to directly.
static HELD: std::sync::Mutex<Option<String>> = std::sync::Mutex::new(None);

/// Writes to standard error, ignoring a closed stream; held instead while a diagnostics
/// document owns standard error.
pub fn print_stderr(text: &str) {
    if let Ok(mut held) = HELD.lock() {
        if let Some(held) = held.as_mut() {
            held.push_str(text);
            return;
        }
    }
    let _ = std::io::stderr().lock().write_all(text.as_bytes());
}

/// From now on, [`print_stderr`] keeps what it is given for the document that will own
/// standard error (`--diagnostics sarif|junit` without a FILE).
pub fn hold_stderr() {
    if let Ok(mut held) = HELD.lock() {
        held.get_or_insert_with(String::new);
    }
}

/// Ends [`hold_stderr`]: the lines held, without empty ones.
pub fn release_stderr() -> Vec<String> {
    let text = HELD.lock().ok().and_then(|mut held| held.take());
    text.unwrap_or_default()
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(str::to_string)
        .collect()
}

/// Ends the process quietly with success when `error` is a closed standard output (`| head`),
/// as [`print_stdout`] does.
pub fn exit_if_closed_pipe(error: &m365report::write::WriteError) {
    if error.is_closed_pipe() {
        std::process::exit(0);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn progress_is_drawn_only_on_a_terminal_without_quiet_above_1000_files() {
        assert!(draws(true, false, 1001));
        assert!(!draws(true, false, 1000));
        assert!(!draws(false, false, 100_000));
        assert!(!draws(true, true, 100_000));
    }
}
