//! Output files that appear whole or not at all.
//!
//! Every output is written to a temporary file in the target's own folder (so the final
//! rename stays on one file system and is atomic), synced to disk, and renamed into place
//! only when complete. The temporary file is removed when the [`AtomicFile`] is dropped
//! without being committed (an error, an invalid input, a panic), and by the interrupt
//! handler of [`install_interrupt_cleanup`] on Ctrl-C or SIGTERM. Only a hard kill or a power
//! loss can leave one behind; it is then a hidden `.NAME.*.m365report-tmp` file beside the
//! target, never a truncated output under the target's name. The next run that writes the
//! same target removes such leftovers of its own naming pattern once they are clearly stale
//! (see [`remove_stale_temporaries`]).

use std::fs::File;
use std::io;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Mutex, OnceLock};
use std::time::{Duration, SystemTime};

use tempfile::{NamedTempFile, TempPath};

use crate::discover::io_message;

/// Why an output could not be written. Each names the path concerned.
#[derive(Debug, thiserror::Error)]
pub enum WriteError {
    /// The target exists and replacing it was not asked for.
    #[error("{}: already exists; not replaced without --force", .path.display())]
    Exists {
        /// The target.
        path: PathBuf,
    },
    /// The target is one of the inputs (also under another name or through a link).
    #[error("{}: is one of the inputs; an input is never overwritten", .path.display())]
    IsInput {
        /// The target.
        path: PathBuf,
    },
    /// The target exists and is a device, FIFO or folder, which a rename would replace.
    #[error("{}: not a regular file; write to standard output instead", .path.display())]
    NotAFile {
        /// The target.
        path: PathBuf,
    },
    /// The temporary file could not be created in the target's folder.
    #[error("{}: cannot create a file in this folder: {}", .path.display(), io_message(.source))]
    Create {
        /// The target.
        path: PathBuf,
        /// The underlying error.
        source: io::Error,
    },
    /// Writing or syncing failed (disk full, quota, I/O error).
    #[error("{}: cannot write: {}", .path.display(), io_message(.source))]
    Write {
        /// The target.
        path: PathBuf,
        /// The underlying error.
        source: io::Error,
    },
    /// The finished file could not be renamed into place.
    #[error("{}: cannot put the finished file in place: {}", .path.display(), io_message(.source))]
    Persist {
        /// The target.
        path: PathBuf,
        /// The underlying error.
        source: io::Error,
    },
    /// Writing to standard output failed.
    #[error("standard output: cannot write: {}", io_message(.0))]
    Stdout(io::Error),
    /// The run is being interrupted; no new output is started.
    #[error("{}: interrupted", .path.display())]
    Interrupted {
        /// The target.
        path: PathBuf,
    },
}

impl WriteError {
    /// Whether standard output was closed by the reader (`| head -1`): not a failure.
    pub fn is_closed_pipe(&self) -> bool {
        matches!(self, WriteError::Stdout(e) if e.kind() == io::ErrorKind::BrokenPipe)
    }

    /// A write error for `path` from an I/O error.
    pub(crate) fn write(path: &Path, source: io::Error) -> WriteError {
        WriteError::Write {
            path: path.to_path_buf(),
            source,
        }
    }
}

/// Temporary files alive right now, for the interrupt handler.
static LIVE: Mutex<Vec<PathBuf>> = Mutex::new(Vec::new());
/// Set once an interrupt arrived: no new temporary file may start.
static CLOSING: AtomicBool = AtomicBool::new(false);

/// Installs a Ctrl-C / SIGTERM handler that removes every live temporary output file and
/// exits with status 130. Call once, before any [`AtomicFile`] is created; a second call (or
/// a handler installed by someone else) is reported as an error and changes nothing.
pub fn install_interrupt_cleanup() -> Result<(), String> {
    ctrlc::set_handler(|| {
        CLOSING.store(true, Ordering::SeqCst);
        // The handler runs on its own thread, so taking the lock is safe; a worker holding
        // it only ever pushes or removes one path.
        let live = match LIVE.lock() {
            Ok(live) => live,
            Err(poisoned) => poisoned.into_inner(),
        };
        for path in live.iter() {
            let _ = std::fs::remove_file(path);
        }
        std::process::exit(130);
    })
    .map_err(|e| e.to_string())
}

fn live() -> std::sync::MutexGuard<'static, Vec<PathBuf>> {
    match LIVE.lock() {
        Ok(live) => live,
        Err(poisoned) => poisoned.into_inner(),
    }
}

/// Keeps a temporary path in [`LIVE`] while it exists.
#[derive(Debug)]
struct Registration(PathBuf);

impl Registration {
    fn new(path: &Path) -> Option<Registration> {
        let mut live = live();
        // Checked under the lock, so the handler either sees this path or we see CLOSING.
        if CLOSING.load(Ordering::SeqCst) {
            return None;
        }
        live.push(path.to_path_buf());
        Some(Registration(path.to_path_buf()))
    }
}

impl Drop for Registration {
    fn drop(&mut self) {
        let mut live = live();
        if let Some(i) = live.iter().position(|p| *p == self.0) {
            live.swap_remove(i);
        }
    }
}

/// Checks that `target` may be written: it is not one of `inputs`, not a device or folder,
/// and does not exist unless `force`. Called before any work so that refusals come first;
/// the final rename checks existence again (another process may create the file meanwhile).
pub fn check_target(target: &Path, inputs: &[PathBuf], force: bool) -> Result<(), WriteError> {
    let meta = match std::fs::metadata(target) {
        Ok(meta) => meta,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(()),
        Err(source) => {
            return Err(WriteError::Create {
                path: target.to_path_buf(),
                source,
            })
        }
    };
    if inputs.iter().any(|input| same_file(input, target)) {
        return Err(WriteError::IsInput {
            path: target.to_path_buf(),
        });
    }
    if !meta.is_file() {
        return Err(WriteError::NotAFile {
            path: target.to_path_buf(),
        });
    }
    if !force {
        return Err(WriteError::Exists {
            path: target.to_path_buf(),
        });
    }
    Ok(())
}

/// Whether two paths name the same file (same device and inode on Unix; same canonical path
/// elsewhere). Paths that cannot be examined are not the same.
pub fn same_file(a: &Path, b: &Path) -> bool {
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt;
        match (std::fs::metadata(a), std::fs::metadata(b)) {
            (Ok(x), Ok(y)) => x.dev() == y.dev() && x.ino() == y.ino(),
            _ => false,
        }
    }
    #[cfg(not(unix))]
    {
        match (a.canonicalize(), b.canonicalize()) {
            (Ok(x), Ok(y)) => x == y,
            _ => false,
        }
    }
}

/// An output file being written under a temporary name in the target's folder.
#[derive(Debug)]
pub struct AtomicFile {
    temp: NamedTempFile,
    target: PathBuf,
    _live: Registration,
}

impl AtomicFile {
    /// Creates the temporary file for `target`. Fails with [`WriteError::Create`] when the
    /// folder does not exist or is not writable.
    pub fn create(target: &Path) -> Result<AtomicFile, WriteError> {
        let dir = match target.parent() {
            Some(p) if !p.as_os_str().is_empty() => p,
            _ => Path::new("."),
        };
        let name = target
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let prefix = format!(".{name}.");
        remove_stale_temporaries(dir, &prefix);
        let mut builder = tempfile::Builder::new();
        builder.prefix(&prefix).suffix(SUFFIX);
        // Temporary files are private (0600) by default; the output should get the mode any
        // new file gets (0666 less the umask, which the kernel applies to this mode).
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            builder.permissions(std::fs::Permissions::from_mode(0o666));
        }
        let temp = builder
            .tempfile_in(dir)
            .map_err(|source| WriteError::Create {
                path: target.to_path_buf(),
                source,
            })?;
        let Some(live) = Registration::new(temp.path()) else {
            return Err(WriteError::Interrupted {
                path: target.to_path_buf(),
            });
        };
        Ok(AtomicFile {
            temp,
            target: target.to_path_buf(),
            _live: live,
        })
    }

    /// The final path.
    pub fn target(&self) -> &Path {
        &self.target
    }

    /// The open temporary file.
    pub fn file(&mut self) -> &mut File {
        self.temp.as_file_mut()
    }

    /// Syncs the data to disk and closes the file, keeping it under its temporary name until
    /// [`Finished::commit`]: many outputs can be finished and then committed all or none.
    pub fn finish(self) -> Result<Finished, WriteError> {
        self.temp
            .as_file()
            .sync_all()
            .map_err(|e| WriteError::write(&self.target, e))?;
        Ok(Finished {
            temp: self.temp.into_temp_path(),
            target: self.target,
            _live: self._live,
        })
    }
}

/// The suffix of every temporary output file.
const SUFFIX: &str = ".m365report-tmp";

/// How much older than this run a leftover temporary must be before it is removed: a
/// temporary of another run writing the same target right now is modified as it is written.
pub const STALE_AFTER: Duration = Duration::from_secs(60);

/// When this run first wrote an output.
static RUN_START: OnceLock<SystemTime> = OnceLock::new();

/// Removes `DIR/.NAME.*.m365report-tmp` files (`prefix` is `.NAME.`) last modified more than
/// [`STALE_AFTER`] before this run started: what a hard kill or a power loss left of an
/// earlier write of the same target. Only regular files of exactly that pattern are touched;
/// failures are ignored (the leftover stays, nothing else is affected).
pub fn remove_stale_temporaries(dir: &Path, prefix: &str) {
    let start = *RUN_START.get_or_init(SystemTime::now);
    let Some(cutoff) = start.checked_sub(STALE_AFTER) else {
        return;
    };
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let name = entry.file_name();
        let Some(name) = name.to_str() else { continue };
        let Some(middle) = name
            .strip_prefix(prefix)
            .and_then(|rest| rest.strip_suffix(SUFFIX))
        else {
            continue;
        };
        // tempfile's random part: alphanumeric, never a dot (so `.a.csv.` does not match
        // the temporaries of `a.csv.json`).
        if middle.is_empty() || !middle.chars().all(|c| c.is_ascii_alphanumeric()) {
            continue;
        }
        let Ok(meta) = entry.metadata() else { continue };
        if !meta.is_file() {
            continue;
        }
        if meta.modified().is_ok_and(|m| m < cutoff) {
            let _ = std::fs::remove_file(entry.path());
        }
    }
}

/// A complete output under its temporary name; removed if dropped without [`Self::commit`].
#[derive(Debug)]
pub struct Finished {
    temp: TempPath,
    target: PathBuf,
    _live: Registration,
}

impl Finished {
    /// The final path.
    pub fn target(&self) -> &Path {
        &self.target
    }

    /// Renames the file into place. Without `force` an existing target is left alone and
    /// [`WriteError::Exists`] returned (checked by the rename itself, so no race).
    pub fn commit(self, force: bool) -> Result<PathBuf, WriteError> {
        let result = if force {
            self.temp.persist(&self.target)
        } else {
            self.temp.persist_noclobber(&self.target)
        };
        match result {
            Ok(()) => Ok(self.target),
            Err(e) if e.error.kind() == io::ErrorKind::AlreadyExists => {
                Err(WriteError::Exists { path: self.target })
            }
            Err(e) => Err(WriteError::Persist {
                path: self.target,
                source: e.error,
            }),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    fn entries(dir: &Path) -> Vec<String> {
        let mut names: Vec<String> = std::fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        names.sort();
        names
    }

    #[test]
    fn dropped_file_leaves_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let target = dir.path().join("out.json");
        let mut file = AtomicFile::create(&target).unwrap();
        file.file().write_all(b"partial").unwrap();
        drop(file);
        assert!(entries(dir.path()).is_empty());
        let finished = AtomicFile::create(&target).unwrap().finish().unwrap();
        drop(finished);
        assert!(entries(dir.path()).is_empty());
    }

    #[test]
    fn commit_puts_the_file_in_place_and_refuses_to_clobber() {
        let dir = tempfile::tempdir().unwrap();
        let target = dir.path().join("out.json");
        let mut file = AtomicFile::create(&target).unwrap();
        file.file().write_all(b"first").unwrap();
        file.finish().unwrap().commit(false).unwrap();
        let mut file = AtomicFile::create(&target).unwrap();
        file.file().write_all(b"second").unwrap();
        let err = file.finish().unwrap().commit(false).unwrap_err();
        assert!(matches!(err, WriteError::Exists { .. }), "{err}");
        assert_eq!(std::fs::read(&target).unwrap(), b"first");
        assert_eq!(entries(dir.path()), ["out.json"]);
        let mut file = AtomicFile::create(&target).unwrap();
        file.file().write_all(b"third").unwrap();
        file.finish().unwrap().commit(true).unwrap();
        assert_eq!(std::fs::read(&target).unwrap(), b"third");
        assert!(live().is_empty() || !live().iter().any(|p| p.starts_with(dir.path())));
    }

    #[test]
    fn target_checks() {
        let dir = tempfile::tempdir().unwrap();
        let input = dir.path().join("in.csv");
        std::fs::write(&input, "x").unwrap();
        let other = dir.path().join("sub/../in.csv");
        std::fs::create_dir(dir.path().join("sub")).unwrap();
        let inputs = [input.clone()];
        assert!(matches!(
            check_target(&other, &inputs, true),
            Err(WriteError::IsInput { .. })
        ));
        let existing = dir.path().join("old.json");
        std::fs::write(&existing, "x").unwrap();
        assert!(matches!(
            check_target(&existing, &inputs, false),
            Err(WriteError::Exists { .. })
        ));
        assert!(check_target(&existing, &inputs, true).is_ok());
        assert!(check_target(&dir.path().join("new.json"), &inputs, false).is_ok());
        assert!(matches!(
            check_target(Path::new("/dev/null"), &inputs, true),
            Err(WriteError::NotAFile { .. })
        ));
    }

    #[cfg(unix)]
    #[test]
    fn output_gets_the_mode_of_a_new_file() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let plain = dir.path().join("plain");
        std::fs::write(&plain, "x").unwrap();
        let target = dir.path().join("out.json");
        AtomicFile::create(&target)
            .unwrap()
            .finish()
            .unwrap()
            .commit(false)
            .unwrap();
        let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode(&target), mode(&plain));
    }

    #[test]
    fn stale_temporaries_of_the_same_target_are_removed() {
        let dir = tempfile::tempdir().unwrap();
        let old = SystemTime::now() - STALE_AFTER * 3;
        let make = |name: &str, modified: SystemTime| {
            let path = dir.path().join(name);
            let file = File::create(&path).unwrap();
            file.set_modified(modified).unwrap();
        };
        make(".out.json.AbC123.m365report-tmp", old); // stale leftover: removed
        make(".out.json.XyZ789.m365report-tmp", SystemTime::now()); // live: kept
        make(".out.json.x.json.Q1.m365report-tmp", old); // another target's: kept
        make(".other.json.AbC123.m365report-tmp", old); // another target's: kept
        make("out.json.AbC123.m365report-tmp", old); // not hidden, not ours: kept
        let target = dir.path().join("out.json");
        let mut file = AtomicFile::create(&target).unwrap();
        file.file().write_all(b"new").unwrap();
        file.finish().unwrap().commit(true).unwrap();
        assert_eq!(
            entries(dir.path()),
            [
                ".other.json.AbC123.m365report-tmp",
                ".out.json.XyZ789.m365report-tmp",
                ".out.json.x.json.Q1.m365report-tmp",
                "out.json",
                "out.json.AbC123.m365report-tmp",
            ]
        );
    }

    #[test]
    fn missing_folder_is_a_create_error() {
        let err = AtomicFile::create(Path::new("/no/such/folder/out.json")).unwrap_err();
        assert!(matches!(err, WriteError::Create { .. }), "{err}");
        assert!(err.to_string().contains("no such file or folder"), "{err}");
    }
}
