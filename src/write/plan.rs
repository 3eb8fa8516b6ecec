//! Output planning: where each output goes and in what format, decided for every input before
//! any is read. A target that is an input, an existing file (without `force`), outside
//! `--out-dir`, or claimed by two inputs is refused here, so a refusal never comes after work.
//! The folders created for outputs are remembered, to remove those left empty.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use super::{check_target, mirror, Destination, Format, PathError, WriteError};
use crate::discover::{input_paths, io_message, Input, Source};

/// Where the caller asked outputs to go (`--to`, `-o`, `--out-dir`, `--force`).
#[derive(Debug, Clone, Default)]
pub struct Targets {
    /// The output format, if named; else from `-o`'s extension, else from the input.
    pub to: Option<Format>,
    /// One output file (`-`: standard output).
    pub output: Option<PathBuf>,
    /// One output per input (or per report when merging) under this folder.
    pub out_dir: Option<PathBuf>,
    /// Replace existing files (never an input).
    pub force: bool,
}

/// Where one output goes.
#[derive(Debug, Clone)]
pub struct Plan {
    /// The format it is written in.
    pub format: Format,
    /// Standard output or a file.
    pub destination: Destination,
}

/// Why an output was refused before any work.
#[derive(Debug, thiserror::Error)]
pub enum PlanError {
    /// The input's path cannot be mirrored under `--out-dir`.
    #[error(transparent)]
    Path(#[from] PathError),
    /// The target is an input, or exists and `force` is off.
    #[error(transparent)]
    Target(#[from] WriteError),
    /// Two inputs would be written to one file.
    #[error("{}: would be written from both {first} and {second}; convert them separately", .target.display())]
    Taken {
        /// The file both would go to.
        target: PathBuf,
        /// The input that claimed it first.
        first: String,
        /// The input that claimed it too.
        second: String,
    },
    /// A folder for the output could not be created.
    #[error("{}: cannot create the folder: {message}", .dir.display())]
    Folder {
        /// The folder.
        dir: PathBuf,
        /// Why it could not be created.
        message: String,
    },
}

/// Plans outputs for a set of inputs, one at a time, remembering the targets taken and the
/// folders created.
pub struct Planner {
    targets: Targets,
    inputs: Vec<PathBuf>,
    taken: HashMap<PathBuf, String>,
    created: Vec<PathBuf>,
}

impl Planner {
    /// A planner for outputs of `sources` (which no output may overwrite).
    pub fn new(targets: Targets, sources: &[Source]) -> Planner {
        Planner {
            targets,
            inputs: input_paths(sources),
            taken: HashMap::new(),
            created: Vec::new(),
        }
    }

    /// The format of the outputs: `--to`, else `-o`'s extension, else the default for
    /// `source` (JSON for CSV input and standard input, CSV for JSON input).
    pub fn format(&self, source: &Source) -> Format {
        let input_default = match &source.input {
            Input::Path(path) => Format::default_for(path),
            Input::Stdin => Format::Json,
        };
        self.targets
            .to
            .or_else(|| self.targets.output.as_deref().and_then(format_of))
            .unwrap_or(input_default)
    }

    /// Decides format and destination for `source`'s own output, refusing unsafe targets and
    /// creating the target's folder.
    pub fn plan(&mut self, source: &Source) -> Result<Plan, PlanError> {
        let format = self.format(source);
        let target = match (&self.targets.out_dir, &self.targets.output) {
            (Some(dir), _) => mirror(dir, &source.relative, format)?,
            (None, Some(file)) if file.as_os_str() != "-" => file.clone(),
            (None, _) => {
                return Ok(Plan {
                    format,
                    destination: Destination::Stdout,
                })
            }
        };
        check_target(&target, &self.inputs, self.targets.force)?;
        if let Some(first) = self.taken.insert(target.clone(), source.name.clone()) {
            return Err(PlanError::Taken {
                target,
                first,
                second: source.name.clone(),
            });
        }
        if let Some(parent) = target.parent().filter(|p| !p.as_os_str().is_empty()) {
            self.create_dirs(parent)?;
        }
        Ok(Plan {
            format,
            destination: Destination::File(target),
        })
    }

    /// The one destination of every merged output (`-o FILE` or standard output), or `None`
    /// under `--out-dir` (one file per report, see [`Planner::report_target`]).
    pub fn single(&self) -> Result<Option<Destination>, PlanError> {
        Ok(match (&self.targets.out_dir, &self.targets.output) {
            (Some(_), _) => None,
            (None, Some(file)) if file.as_os_str() != "-" => {
                check_target(file, &self.inputs, self.targets.force)?;
                Some(Destination::File(file.clone()))
            }
            (None, _) => Some(Destination::Stdout),
        })
    }

    /// Under `--out-dir DIR`, the file for the merged records of report `name` in `format`:
    /// `DIR/<name>.<ext>`, refused like any output, its folder created.
    pub fn report_target(&self, name: &str, format: Format) -> Result<Destination, PlanError> {
        let Some(dir) = &self.targets.out_dir else {
            return Ok(Destination::Stdout);
        };
        let target = dir.join(format!("{name}.{}", format.extension()));
        check_target(&target, &self.inputs, self.targets.force)?;
        std::fs::create_dir_all(dir).map_err(|e| PlanError::Folder {
            dir: dir.clone(),
            message: e.to_string(),
        })?;
        Ok(Destination::File(target))
    }

    /// Under `--out-dir DIR`, the file at `relative` inside it (a partition,
    /// `report=R/series=S/part-0.parquet`), refused like any output, its folders created.
    /// `None` without `--out-dir`.
    pub fn partition_target(&mut self, relative: &Path) -> Result<Option<Destination>, PlanError> {
        let Some(dir) = &self.targets.out_dir else {
            return Ok(None);
        };
        let target = dir.join(relative);
        check_target(&target, &self.inputs, self.targets.force)?;
        if let Some(parent) = target.parent() {
            self.create_dirs(parent)?;
        }
        Ok(Some(Destination::File(target)))
    }

    /// Creates `dir` and its missing parents, noting the ones created.
    fn create_dirs(&mut self, dir: &Path) -> Result<(), PlanError> {
        let missing: Vec<PathBuf> = dir
            .ancestors()
            .take_while(|d| !d.as_os_str().is_empty() && !d.exists())
            .map(Path::to_path_buf)
            .collect();
        std::fs::create_dir_all(dir).map_err(|e| PlanError::Folder {
            dir: dir.to_path_buf(),
            message: io_message(&e),
        })?;
        self.created.extend(missing);
        Ok(())
    }

    /// Removes the folders this planner created that stayed empty (their inputs were
    /// invalid, or nothing was written), deepest first, so a failed run leaves no empty tree.
    pub fn remove_empty(self) {
        let mut created = self.created;
        created.sort_by_key(|d| std::cmp::Reverse(d.components().count()));
        created.dedup();
        for dir in created {
            // Fails, as wanted, for a folder that holds an output.
            let _ = std::fs::remove_dir(&dir);
        }
    }
}

/// The format named by an output file's extension, if it names one.
pub fn format_of(path: &Path) -> Option<Format> {
    let ext = path.extension()?.to_str()?.to_ascii_lowercase();
    match ext.as_str() {
        "json" => Some(Format::Json),
        "ndjson" | "jsonl" => Some(Format::Ndjson),
        "csv" => Some(Format::Csv),
        "parquet" => Some(Format::Parquet),
        _ => None,
    }
}
