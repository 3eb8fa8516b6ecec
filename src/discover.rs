//! Finding the input files: named files, folders walked recursively, and `-` for standard input.

use std::path::{Path, PathBuf};

/// Where one input's bytes come from.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Input {
    /// A file on disk.
    Path(PathBuf),
    /// Standard input (`-`).
    Stdin,
}

/// One input file, with what is needed to name it and to group it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Source {
    /// Where to read from.
    pub input: Input,
    /// How to show it to the user (the path as given or as found while walking; `<stdin>`).
    pub name: String,
    /// Position in input order, starting at 0: decides ties deterministically.
    pub index: usize,
    /// The folder holding the file, relative to the command-line path it was found under
    /// (`tenant-0001`, or `.` for a file directly under it or named on its own).
    pub group: String,
    /// The path relative to the command-line folder it was found under (the file name for a
    /// file named on its own); used to mirror inputs into an output folder.
    pub relative: PathBuf,
}

impl Source {
    /// The folder the file counts for under `--group-by dir`: its folder relative to the
    /// PATH given, or, for a file directly in that PATH or named on its own, the folder as
    /// given on the command line, so `trend tenants/* --group-by dir` still gives one series
    /// per tenant.
    pub fn folder(&self) -> String {
        if self.group != "." {
            return self.group.clone();
        }
        match &self.input {
            Input::Path(path) => path
                .parent()
                .filter(|p| !p.as_os_str().is_empty())
                .map_or_else(|| ".".to_string(), |p| p.display().to_string()),
            Input::Stdin => ".".to_string(),
        }
    }

    /// The file name, for report-kind hints.
    pub fn file_name(&self) -> Option<&str> {
        match &self.input {
            Input::Path(p) => p.file_name().and_then(|n| n.to_str()),
            Input::Stdin => None,
        }
    }
}

/// The files on disk among `sources` (standard input has none), in order: what an output
/// must never be written over.
pub fn input_paths(sources: &[Source]) -> Vec<PathBuf> {
    sources
        .iter()
        .filter_map(|s| match &s.input {
            Input::Path(p) => Some(p.clone()),
            Input::Stdin => None,
        })
        .collect()
}

/// The name standard input (`-`) is shown by.
pub const STDIN_NAME: &str = "<stdin>";

/// A path that could not be walked or read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DiscoverError {
    /// The path as shown to the user.
    pub path: String,
    /// What went wrong.
    pub message: String,
}

/// The extensions picked up when walking a folder (files named explicitly are always taken).
pub const EXTENSIONS: &[&str] = &["csv", "json", "ndjson", "jsonl"];

/// Expands the command-line paths into input files, in a stable order: each argument in turn,
/// a folder's files sorted by path. Symbolic-link loops, unreadable folders and special files
/// in walked folders become errors for their path; the rest is still returned.
pub fn discover(paths: &[PathBuf]) -> (Vec<Source>, Vec<DiscoverError>) {
    let mut sources = Vec::new();
    let mut errors = Vec::new();
    for path in paths {
        if path.as_os_str() == "-" {
            let index = sources.len();
            sources.push(Source {
                input: Input::Stdin,
                name: STDIN_NAME.into(),
                index,
                group: ".".into(),
                relative: PathBuf::from("stdin"),
            });
            continue;
        }
        match std::fs::metadata(path) {
            Err(e) => errors.push(DiscoverError {
                path: path.display().to_string(),
                message: io_message(&e),
            }),
            Ok(meta) if meta.is_dir() => walk(path, &mut sources, &mut errors),
            Ok(_) => {
                let index = sources.len();
                sources.push(Source {
                    input: Input::Path(path.clone()),
                    name: path.display().to_string(),
                    index,
                    group: ".".into(),
                    relative: PathBuf::from(path.file_name().unwrap_or(path.as_os_str())),
                });
            }
        }
    }
    (sources, errors)
}

fn walk(root: &Path, sources: &mut Vec<Source>, errors: &mut Vec<DiscoverError>) {
    let walker = walkdir::WalkDir::new(root)
        .follow_links(true)
        .sort_by_file_name();
    for entry in walker {
        let entry = match entry {
            Ok(entry) => entry,
            Err(e) => {
                let path = e.path().unwrap_or(root).display().to_string();
                let message = if e.loop_ancestor().is_some() {
                    "symbolic-link loop; not followed".to_string()
                } else if let Some(io) = e.io_error() {
                    io_message(io)
                } else {
                    e.to_string()
                };
                errors.push(DiscoverError { path, message });
                continue;
            }
        };
        let path = entry.path();
        let wanted = path
            .extension()
            .and_then(|x| x.to_str())
            .is_some_and(|x| EXTENSIONS.iter().any(|e| x.eq_ignore_ascii_case(e)));
        if entry.file_type().is_dir() || !wanted {
            continue;
        }
        if !entry.file_type().is_file() {
            errors.push(DiscoverError {
                path: path.display().to_string(),
                message: "not a regular file (a FIFO, socket or device); skipped".into(),
            });
            continue;
        }
        let relative = path.strip_prefix(root).unwrap_or(path).to_path_buf();
        let group = relative
            .parent()
            .filter(|p| !p.as_os_str().is_empty())
            .map(|p| p.to_string_lossy().replace('\\', "/"))
            .unwrap_or_else(|| ".".into());
        let index = sources.len();
        sources.push(Source {
            input: Input::Path(path.to_path_buf()),
            name: path.display().to_string(),
            index,
            group,
            relative,
        });
    }
}

/// An I/O error in words a user acts on.
pub fn io_message(e: &std::io::Error) -> String {
    use std::io::ErrorKind;
    match e.kind() {
        ErrorKind::NotFound => "no such file or folder".into(),
        ErrorKind::PermissionDenied => "permission denied".into(),
        _ => e.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn walks_folders_sorted_and_groups_by_folder() {
        let dir = tempfile::tempdir().unwrap();
        for p in ["b/2.csv", "b/1.json", "a/x.csv", "top.csv", "a/ignore.txt"] {
            let p = dir.path().join(p);
            std::fs::create_dir_all(p.parent().unwrap()).unwrap();
            std::fs::write(p, "x").unwrap();
        }
        let (sources, errors) = discover(&[dir.path().to_path_buf()]);
        assert!(errors.is_empty());
        let seen: Vec<(String, String)> = sources
            .iter()
            .map(|s| (s.relative.display().to_string(), s.group.clone()))
            .collect();
        assert_eq!(
            seen,
            [
                ("a/x.csv", "a"),
                ("b/1.json", "b"),
                ("b/2.csv", "b"),
                ("top.csv", ".")
            ]
            .map(|(a, b)| (a.to_string(), b.to_string()))
        );
        assert_eq!(
            sources.iter().map(|s| s.index).collect::<Vec<_>>(),
            [0, 1, 2, 3]
        );
    }

    #[test]
    fn missing_path_is_an_error_not_a_panic() {
        let (sources, errors) = discover(&[PathBuf::from("/no/such/thing.csv")]);
        assert!(sources.is_empty());
        assert_eq!(errors[0].message, "no such file or folder");
    }
}
