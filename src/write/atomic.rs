//! Output files that appear whole or not at all.
//!
//! Every output is written to a temporary file in the target's own folder (so the final
//! rename stays on one file system and is atomic), synced to disk, and renamed into place
//! only when complete. Many outputs committed together ([`commit_all`]) are synced with one
//! flush of their file system instead of one per file, then renamed, then their folders
//! synced: a run that writes thousands of small files waits for the disk a few times, not
//! thousands of times, and still never renames a file whose data is not on disk. The temporary file is removed when the [`AtomicFile`] is dropped
//! without being committed (an error, an invalid input, a panic), and by the interrupt
//! handler of [`install_interrupt_cleanup`] on Ctrl-C or SIGTERM. Only a hard kill or a power
//! loss can leave one behind; it is then a hidden `.NAME.*.m365report-tmp` file beside the
//! target, never a truncated output under the target's name. The next run that writes the
//! same target removes such leftovers of its own naming pattern once they are clearly stale
//! (see [`remove_stale_temporaries`]).
//!
//! Syncing is what [`Durability::Synced`] (the default) asks for; [`Durability::Unsynced`]
//! keeps everything above but the syncs, for outputs that can be made again (see there).

use std::collections::{BTreeMap, HashMap};
use std::fs::File;
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
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

/// Temporary files alive right now, for the interrupt handler, by registration number: a
/// run with thousands of outputs alive at once removes each in O(log n), where finding a
/// path in a list made committing them quadratic.
static LIVE: Mutex<BTreeMap<u64, PathBuf>> = Mutex::new(BTreeMap::new());
/// The next registration number.
static NEXT_ID: AtomicU64 = AtomicU64::new(0);
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
        for path in live.values() {
            let _ = std::fs::remove_file(path);
        }
        std::process::exit(130);
    })
    .map_err(|e| e.to_string())
}

fn live() -> std::sync::MutexGuard<'static, BTreeMap<u64, PathBuf>> {
    match LIVE.lock() {
        Ok(live) => live,
        Err(poisoned) => poisoned.into_inner(),
    }
}

/// Keeps a temporary path in [`LIVE`] while it exists.
#[derive(Debug)]
struct Registration(u64);

impl Registration {
    /// Makes a temporary file with `create` and registers its path, both under the lock:
    /// an interrupt arriving meanwhile waits for the registration and removes the file, or
    /// came first and no file is made (`None`). Registering after the file was made left a
    /// window where the handler ran between the two and the file stayed behind.
    fn create<T>(
        create: impl FnOnce() -> Result<T, WriteError>,
        path: impl FnOnce(&T) -> &Path,
    ) -> Option<Result<(T, Registration), WriteError>> {
        let mut live = live();
        if CLOSING.load(Ordering::SeqCst) {
            return None;
        }
        let made = match create() {
            Ok(made) => made,
            Err(e) => return Some(Err(e)),
        };
        let id = NEXT_ID.fetch_add(1, Ordering::Relaxed);
        live.insert(id, path(&made).to_path_buf());
        Some(Ok((made, Registration(id))))
    }
}

impl Drop for Registration {
    fn drop(&mut self) {
        live().remove(&self.0);
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
        matches!((file_id(a), file_id(b)), (Some(x), Some(y)) if x == y)
    }
    #[cfg(not(unix))]
    {
        match (a.canonicalize(), b.canonicalize()) {
            (Ok(x), Ok(y)) => x == y,
            _ => false,
        }
    }
}

/// A file's identity (device and inode) where the system has one; `None` elsewhere and for
/// a path that cannot be examined.
pub(crate) fn file_id(path: &Path) -> Option<(u64, u64)> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt;
        std::fs::metadata(path).ok().map(|m| (m.dev(), m.ino()))
    }
    #[cfg(not(unix))]
    {
        let _ = path;
        None
    }
}

/// Whether an output's data is on disk before it is renamed into place.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Durability {
    /// Synced, renamed, then its folder synced: after a power loss at any point the target
    /// is whole, old or new. Costs waiting for the disk: for a 228 MB output on the
    /// benchmark machine about 0.2 s of a 0.5 s conversion.
    #[default]
    Synced,
    /// Renamed without syncing (`--no-sync`), as `cat > file`, `sort -o` or DuckDB's `COPY`
    /// write: still whole or absent for readers and after this process dies, but a power
    /// loss before the kernel writes the data back (within about 30 s) can leave the target
    /// empty or short. For outputs that can be made again from their inputs.
    Unsynced,
}

/// An output file being written under a temporary name in the target's folder.
#[derive(Debug)]
pub struct AtomicFile {
    temp: NamedTempFile,
    target: PathBuf,
    _live: Registration,
    durability: Durability,
    behind: SyncBehind,
    /// The thread writing buffers handed over by [`AtomicFile::write_owned`], while any are.
    writer: Option<Writer>,
    /// A failure of that thread, found when settling it where no error could be returned
    /// ([`AtomicFile::file`]); reported by the next write through [`AtomicFile::settled`]
    /// or by [`AtomicFile::finish`].
    failed: Option<io::Error>,
}

/// A thread appending owned buffers to the file in the order they came, so that the thread
/// joining a large file's pieces does not wait for the kernel's copying (or for pages under
/// write-back) while the pool waits for it. Emptied buffers come back for reuse.
#[derive(Debug)]
struct Writer {
    buffers: std::sync::mpsc::SyncSender<(Vec<u8>, usize)>,
    emptied: std::sync::mpsc::Receiver<Vec<u8>>,
    thread: std::thread::JoinHandle<io::Result<()>>,
}

/// Buffers waiting for the writer thread, at most: enough to ride out a slow write, few
/// enough to bound memory (a JSON piece is about 1.6 MB).
const WRITER_QUEUE: usize = 4;

/// Bytes written to an output between two requests to sync it in the background (see
/// [`AtomicFile::wrote`]).
const SYNC_BEHIND: u64 = 16 << 20;

/// A large output's data synced by another thread while the rest is written.
#[derive(Debug, Default)]
struct SyncBehind {
    /// Bytes written since the last request.
    unsynced: u64,
    /// The thread, once the output grew past [`SYNC_BEHIND`].
    syncer: Option<Syncer>,
}

/// A thread syncing one file's data on request; a request made while it syncs is served by
/// one more sync, however many came in meanwhile.
#[derive(Debug)]
struct Syncer {
    requests: std::sync::mpsc::Sender<()>,
    thread: std::thread::JoinHandle<io::Result<()>>,
}

impl Syncer {
    /// The thread for `file`, or `None` where no thread can be started (the sync before the
    /// rename then does all the work, as it would for a small output).
    fn start(file: File) -> Option<Syncer> {
        let (requests, incoming) = std::sync::mpsc::channel::<()>();
        let thread = std::thread::Builder::new()
            .name("m365report-sync".into())
            .spawn(move || {
                while incoming.recv().is_ok() {
                    while incoming.try_recv().is_ok() {}
                    file.sync_data()?;
                }
                Ok(())
            })
            .ok()?;
        Some(Syncer { requests, thread })
    }

    /// Waits for the syncs asked for; the first failure, if any. A failed write-back is
    /// reported to one sync only (the file descriptor is shared), so it is kept here for
    /// the caller rather than lost to the sync before the rename.
    fn finish(self) -> io::Result<()> {
        drop(self.requests);
        self.thread
            .join()
            .unwrap_or_else(|_| Err(io::Error::other("the background sync panicked")))
    }
}

impl AtomicFile {
    /// Creates the temporary file for `target`, to be synced before it is renamed
    /// ([`Durability::Synced`]). Fails with [`WriteError::Create`] when the folder does
    /// not exist or is not writable.
    pub fn create(target: &Path) -> Result<AtomicFile, WriteError> {
        AtomicFile::create_with(target, Durability::Synced)
    }

    /// Creates the temporary file for `target`, made as durable as `durability` asks.
    pub fn create_with(target: &Path, durability: Durability) -> Result<AtomicFile, WriteError> {
        let dir = folder_of(target);
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
        let made = Registration::create(
            || {
                builder
                    .tempfile_in(dir)
                    .map_err(|source| WriteError::Create {
                        path: target.to_path_buf(),
                        source,
                    })
            },
            |temp| temp.path(),
        );
        let Some(made) = made else {
            return Err(WriteError::Interrupted {
                path: target.to_path_buf(),
            });
        };
        let (temp, live) = made?;
        Ok(AtomicFile {
            temp,
            target: target.to_path_buf(),
            _live: live,
            durability,
            behind: SyncBehind::default(),
            writer: None,
            failed: None,
        })
    }

    /// Appends `bytes[start..]` to the file from another thread, after everything written
    /// so far (see [`Writer`]); the buffer comes back emptied from
    /// [`AtomicFile::take_emptied`]. Writes through [`AtomicFile::file`] or
    /// [`AtomicFile::settled`] wait for those handed over first, so the order is kept.
    /// Falls back to writing here where no thread can be started.
    pub fn write_owned(&mut self, bytes: Vec<u8>, start: usize) -> io::Result<()> {
        if let Some(e) = self.failed.take() {
            return Err(e);
        }
        if self.writer.is_none() {
            self.writer = self.start_writer();
        }
        let Some(writer) = &self.writer else {
            let part = bytes.get(start..).unwrap_or_default();
            self.temp.as_file_mut().write_all(part)?;
            self.wrote(part.len());
            return Ok(());
        };
        if writer.buffers.send((bytes, start)).is_err() {
            // The thread stopped on a failure: settling returns it.
            return self.settle();
        }
        Ok(())
    }

    /// A buffer the writer thread is done with, emptied, if one is back.
    pub fn take_emptied(&mut self) -> Option<Vec<u8>> {
        self.writer.as_ref()?.emptied.try_recv().ok()
    }

    fn start_writer(&mut self) -> Option<Writer> {
        let mut file = self.temp.as_file().try_clone().ok()?;
        // The writer asks for background syncs as the file grows, as `wrote` does here.
        if self.behind.syncer.is_none() && self.durability == Durability::Synced {
            self.behind.syncer = self.temp.as_file().try_clone().ok().and_then(Syncer::start);
        }
        let sync = self.behind.syncer.as_ref().map(|s| s.requests.clone());
        let (buffers, incoming) = std::sync::mpsc::sync_channel::<(Vec<u8>, usize)>(WRITER_QUEUE);
        let (give_back, emptied) = std::sync::mpsc::channel();
        let thread = std::thread::Builder::new()
            .name("m365report-write".into())
            .spawn(move || {
                let mut unsynced = 0;
                for (mut bytes, start) in incoming {
                    let part = bytes.get(start..).unwrap_or_default();
                    file.write_all(part)?;
                    unsynced += part.len() as u64;
                    if unsynced >= SYNC_BEHIND {
                        unsynced = 0;
                        if let Some(sync) = &sync {
                            let _ = sync.send(());
                        }
                    }
                    bytes.clear();
                    let _ = give_back.send(bytes);
                }
                Ok(())
            })
            .ok()?;
        Some(Writer {
            buffers,
            emptied,
            thread,
        })
    }

    /// Waits until every buffer handed to [`AtomicFile::write_owned`] is written; the
    /// writer thread's failure, if any.
    fn settle(&mut self) -> io::Result<()> {
        if let Some(writer) = self.writer.take() {
            drop(writer.buffers);
            writer
                .thread
                .join()
                .unwrap_or_else(|_| Err(io::Error::other("the writer thread panicked")))?;
        }
        match self.failed.take() {
            Some(e) => Err(e),
            None => Ok(()),
        }
    }

    /// The open temporary file, once every buffer handed over is written; the writer
    /// thread's failure instead, if it had one.
    pub fn settled(&mut self) -> io::Result<&mut File> {
        self.settle()?;
        Ok(self.temp.as_file_mut())
    }

    /// Notes that `n` bytes were just written to [`AtomicFile::file`]. Every
    /// [`SYNC_BEHIND`] bytes another thread syncs what was written so far, so that the sync
    /// before the rename has little left to do: writing a large output and making it durable
    /// overlap instead of taking turns (a 228 MB output waited 0.35 s in its final sync on
    /// the benchmark machine, about 0.01 s this way). Small outputs never start the thread.
    pub fn wrote(&mut self, n: usize) {
        let behind = &mut self.behind;
        behind.unsynced += n as u64;
        if behind.unsynced < SYNC_BEHIND || self.durability == Durability::Unsynced {
            return;
        }
        behind.unsynced = 0;
        if behind.syncer.is_none() {
            // Without a second handle, the final sync simply does all the work.
            behind.syncer = self.temp.as_file().try_clone().ok().and_then(Syncer::start);
        }
        if let Some(syncer) = &behind.syncer {
            let _ = syncer.requests.send(());
        }
    }

    /// Writes `bytes`, an output made whole in memory (a chart), to `target` as every other
    /// output is written: into a temporary file beside it, then synced and renamed into
    /// place ([`Finished::commit`]). Without `force` an existing target is left alone and
    /// [`WriteError::Exists`] returned. Returns the target.
    pub fn write_whole(
        target: &Path,
        bytes: &[u8],
        force: bool,
        durability: Durability,
    ) -> Result<PathBuf, WriteError> {
        AtomicFile::write_with(target, force, durability, |out| out.write_all(bytes))
    }

    /// [`AtomicFile::write_whole`] for an output written as it is made, by `write`, rather
    /// than made whole in memory first: a 2,000,000-point trend is 340 MB of CSV, which
    /// a buffer held (and doubled as it grew) before the first byte reached the disk.
    pub fn write_with(
        target: &Path,
        force: bool,
        durability: Durability,
        write: impl FnOnce(&mut dyn Write) -> io::Result<()>,
    ) -> Result<PathBuf, WriteError> {
        let mut file = AtomicFile::create_with(target, durability)?;
        let mut out = io::BufWriter::with_capacity(1 << 16, Counted(&mut file));
        write(&mut out)
            .and_then(|()| out.flush())
            .map_err(|e| WriteError::write(target, e))?;
        drop(out);
        file.finish()?.commit(force)
    }

    /// The final path.
    pub fn target(&self) -> &Path {
        &self.target
    }

    /// The open temporary file, once every buffer handed over is written (a failure of
    /// the writer thread is kept for the next write or [`AtomicFile::finish`]).
    pub fn file(&mut self) -> &mut File {
        if let Err(e) = self.settle() {
            self.failed = Some(e);
        }
        self.temp.as_file_mut()
    }

    /// Closes the file, keeping it under its temporary name until [`Finished::commit`] or
    /// [`commit_all`], which sync it to disk before the rename: many outputs can be finished
    /// and then committed all or none, and synced together. Fails if a background sync of the data written so far failed
    /// (see [`AtomicFile::wrote`]).
    pub fn finish(mut self) -> Result<Finished, WriteError> {
        self.settle()
            .map_err(|e| WriteError::write(&self.target, e))?;
        if let Some(syncer) = self.behind.syncer.take() {
            syncer
                .finish()
                .map_err(|e| WriteError::write(&self.target, e))?;
        }
        Ok(Finished {
            temp: self.temp.into_temp_path(),
            target: self.target,
            _live: self._live,
            durability: self.durability,
        })
    }
}

/// Writes to an [`AtomicFile`], counting the bytes for its syncs behind (see
/// [`AtomicFile::wrote`]).
struct Counted<'a>(&'a mut AtomicFile);

impl Write for Counted<'_> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        if let Some(e) = self.0.failed.take() {
            return Err(e);
        }
        let n = self.0.file().write(buf)?;
        self.0.wrote(n);
        Ok(n)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.0.file().flush()
    }
}

/// The suffix of every temporary output file.
const SUFFIX: &str = ".m365report-tmp";

/// How much older than this run a leftover temporary must be before it is removed: a
/// temporary of another run writing the same target right now is modified as it is written.
pub const STALE_AFTER: Duration = Duration::from_secs(60);

/// When this run first wrote an output.
static RUN_START: OnceLock<SystemTime> = OnceLock::new();

/// Leftover temporaries found in each folder this run looked at, by file name: a folder
/// is read once per run, not once per output written into it (a run writing 60 outputs
/// into each of 200 folders read them 12,000 times). Reading it once is enough: whatever
/// appears later is this run's own or another live run's, never stale.
static LEFTOVERS: Mutex<BTreeMap<PathBuf, Vec<String>>> = Mutex::new(BTreeMap::new());

/// Removes `DIR/.NAME.*.m365report-tmp` files (`prefix` is `.NAME.`) last modified more than
/// [`STALE_AFTER`] before this run started: what a hard kill or a power loss left of an
/// earlier write of the same target. Only regular files of exactly that pattern are touched;
/// failures are ignored (the leftover stays, nothing else is affected).
pub fn remove_stale_temporaries(dir: &Path, prefix: &str) {
    let start = *RUN_START.get_or_init(SystemTime::now);
    let Some(cutoff) = start.checked_sub(STALE_AFTER) else {
        return;
    };
    let mut leftovers = match LEFTOVERS.lock() {
        Ok(leftovers) => leftovers,
        Err(poisoned) => poisoned.into_inner(),
    };
    let names = leftovers
        .entry(dir.to_path_buf())
        .or_insert_with(|| stale_in(dir, cutoff));
    names.retain(|name| {
        let Some(middle) = name
            .strip_prefix(prefix)
            .and_then(|rest| rest.strip_suffix(SUFFIX))
        else {
            return true;
        };
        // tempfile's random part: alphanumeric, never a dot (so `.a.csv.` does not match
        // the temporaries of `a.csv.json`).
        if middle.is_empty() || !middle.chars().all(|c| c.is_ascii_alphanumeric()) {
            return true;
        }
        let _ = std::fs::remove_file(dir.join(name));
        false
    });
}

/// The names of the hidden `*.m365report-tmp` regular files in `dir` last modified before
/// `cutoff`, whichever target they belong to.
fn stale_in(dir: &Path, cutoff: SystemTime) -> Vec<String> {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Vec::new();
    };
    let mut names = Vec::new();
    for entry in entries.flatten() {
        let name = entry.file_name();
        let Some(name) = name.to_str() else { continue };
        if !name.starts_with('.') || !name.ends_with(SUFFIX) {
            continue;
        }
        let Ok(meta) = entry.metadata() else { continue };
        if meta.is_file() && meta.modified().is_ok_and(|m| m < cutoff) {
            names.push(name.to_string());
        }
    }
    names
}

/// A complete output under its temporary name; removed if dropped without [`Self::commit`].
#[derive(Debug)]
pub struct Finished {
    temp: TempPath,
    target: PathBuf,
    _live: Registration,
    durability: Durability,
}

impl Finished {
    /// The final path.
    pub fn target(&self) -> &Path {
        &self.target
    }

    /// Syncs the file to disk, renames it into place and syncs its folder (only the rename
    /// when [`Durability::Unsynced`]). Without `force` an existing target is left alone and
    /// [`WriteError::Exists`] returned (checked by the rename itself, so no race). A failed
    /// sync is [`WriteError::Write`] and leaves the target untouched.
    pub fn commit(self, force: bool) -> Result<PathBuf, WriteError> {
        if self.durability == Durability::Unsynced {
            return self.rename(force);
        }
        sync_file(&self.temp).map_err(|e| WriteError::write(&self.target, e))?;
        let path = self.rename(force)?;
        sync_folder(folder_of(&path));
        Ok(path)
    }

    /// The rename alone: the data must already be on disk.
    fn rename(self, force: bool) -> Result<PathBuf, WriteError> {
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

/// Commits many finished outputs, as [`Finished::commit`] each, in one batch: first every
/// file's data is made durable (on Linux one `syncfs` per file system holding them, which
/// costs about what one `fsync` does; elsewhere an `fsync` per file), then the files are
/// renamed in order, then each folder that received one is synced once. A file is renamed
/// only after its data is on disk, so a crash at any point leaves each target either whole
/// or as it was. Outputs of [`Durability::Unsynced`] are only renamed. Returns one result per
/// output, in order; when syncing fails, none of the durable outputs it covered is renamed
/// (their temporary files are removed).
pub fn commit_all(batch: Vec<Finished>, force: bool) -> Vec<Result<PathBuf, WriteError>> {
    if batch.len() == 1 {
        return batch.into_iter().map(|f| f.commit(force)).collect();
    }
    // The folders in first-use order, and each output's index into them.
    let mut folders: Vec<PathBuf> = Vec::new();
    let mut seen: HashMap<PathBuf, usize> = HashMap::new();
    let mut folder_index = Vec::with_capacity(batch.len());
    for finished in &batch {
        let folder = folder_of(&finished.target);
        let i = match seen.get(folder) {
            Some(&i) => i,
            None => {
                folders.push(folder.to_path_buf());
                seen.insert(folder.to_path_buf(), folders.len() - 1);
                folders.len() - 1
            }
        };
        folder_index.push(i);
    }
    // Outputs that are not to be synced are not waited for (one syncfs covers them anyway
    // when any other output is), and do not make their folder be synced.
    let durable: Vec<bool> = batch
        .iter()
        .map(|f| f.durability == Durability::Synced)
        .collect();
    let synced = if durable.contains(&true) {
        sync_batch(&batch, &folders, &folder_index)
    } else {
        batch.iter().map(|_| Ok(())).collect()
    };
    // Folders that received a durable output, to be synced once each.
    let mut renamed = vec![false; folders.len()];
    let mut results = Vec::with_capacity(batch.len());
    for (((finished, synced), i), durable) in
        batch.into_iter().zip(synced).zip(folder_index).zip(durable)
    {
        let result = match synced {
            Ok(()) => finished.rename(force),
            // An output not asked to be durable does not fail on another's sync.
            Err(_) if !durable => finished.rename(force),
            Err(e) => Err(WriteError::write(&finished.target, e)),
        };
        renamed[i] |= durable && result.is_ok();
        results.push(result);
    }
    for (folder, renamed) in folders.iter().zip(renamed) {
        if renamed {
            sync_folder(folder);
        }
    }
    results
}

/// The folder a target is renamed into (`.` for a bare file name).
fn folder_of(path: &Path) -> &Path {
    match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    }
}

/// Syncs one closed temporary file: reopened for writing, since some systems (Windows)
/// refuse to flush a file opened for reading only.
fn sync_file(temp: &Path) -> io::Result<()> {
    std::fs::OpenOptions::new()
        .write(true)
        .open(temp)?
        .sync_all()
}

/// Makes the data of every file in `batch` durable; one result per file. `folders` are the
/// targets' folders and `folder_index` each file's index into them (a temporary file lives
/// in its target's folder, so the folder tells which file system holds it).
#[cfg(target_os = "linux")]
fn sync_batch(
    batch: &[Finished],
    folders: &[PathBuf],
    folder_index: &[usize],
) -> Vec<io::Result<()>> {
    use std::os::unix::fs::MetadataExt;
    // One syncfs per file system: it writes back every dirty file there (ours among them)
    // and flushes the disk's cache once, and since Linux 5.8 reports write-back errors.
    let mut devices: Vec<(u64, Option<io::Error>)> = Vec::new();
    let per_folder: Vec<Option<io::Error>> = folders
        .iter()
        .map(|folder| {
            let dev = match std::fs::metadata(folder) {
                Ok(meta) => meta.dev(),
                Err(e) => return Some(e),
            };
            if let Some((_, failure)) = devices.iter().find(|(d, _)| *d == dev) {
                return failure.as_ref().map(copy_error);
            }
            let failure = File::open(folder)
                .and_then(|dir| rustix::fs::syncfs(&dir).map_err(io::Error::from))
                .err();
            let copy = failure.as_ref().map(copy_error);
            devices.push((dev, failure));
            copy
        })
        .collect();
    batch
        .iter()
        .zip(folder_index)
        .map(|(_, &i)| {
            per_folder[i]
                .as_ref()
                .map_or(Ok(()), |e| Err(copy_error(e)))
        })
        .collect()
}

/// The same error again (one failed sync is the error of every file it covered).
#[cfg(target_os = "linux")]
fn copy_error(e: &io::Error) -> io::Error {
    match e.raw_os_error() {
        Some(code) => io::Error::from_raw_os_error(code),
        None => io::Error::new(e.kind(), e.to_string()),
    }
}

/// Makes the data of every file in `batch` durable; one result per file. Without `syncfs`
/// each file is synced on its own.
#[cfg(not(target_os = "linux"))]
fn sync_batch(
    batch: &[Finished],
    _folders: &[PathBuf],
    _folder_index: &[usize],
) -> Vec<io::Result<()>> {
    batch.iter().map(|f| sync_file(&f.temp)).collect()
}

/// Syncs a folder so that the renames into it survive a crash. Failures are ignored: some
/// systems cannot sync a folder (Windows cannot open one), and the files in it are already
/// whole either way; only whether the newest renames survive a power loss is at stake.
fn sync_folder(folder: &Path) {
    #[cfg(unix)]
    if let Ok(dir) = File::open(folder) {
        let _ = dir.sync_all();
    }
    #[cfg(not(unix))]
    let _ = folder;
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
    fn a_large_output_is_synced_behind_and_committed_whole() {
        let dir = tempfile::tempdir().unwrap();
        let target = dir.path().join("big.json");
        let mut file = AtomicFile::create(&target).unwrap();
        let chunk = vec![b'x'; 1 << 20];
        let chunks = 2 * (SYNC_BEHIND as usize >> 20) + 3;
        for _ in 0..chunks {
            file.file().write_all(&chunk).unwrap();
            file.wrote(chunk.len());
        }
        assert!(file.behind.syncer.is_some(), "no background sync started");
        file.finish().unwrap().commit(false).unwrap();
        assert_eq!(
            std::fs::metadata(&target).unwrap().len(),
            (chunks << 20) as u64
        );
        assert_eq!(entries(dir.path()), ["big.json"]);
        // A discarded large output leaves nothing, its syncer notwithstanding.
        let mut file = AtomicFile::create(&dir.path().join("gone.json")).unwrap();
        for _ in 0..chunks {
            file.file().write_all(&chunk).unwrap();
            file.wrote(chunk.len());
        }
        drop(file);
        assert_eq!(entries(dir.path()), ["big.json"]);
    }

    #[test]
    fn an_output_written_as_made_is_committed_whole_or_not_at_all() {
        let dir = tempfile::tempdir().unwrap();
        let target = dir.path().join("trend.csv");
        let rows = |out: &mut dyn Write| {
            (0..100_000).try_for_each(|i| writeln!(out, "2026-11-25,{i},{}", i * 2))
        };
        let (synced, force) = (Durability::Synced, false);
        assert_eq!(
            AtomicFile::write_with(&target, force, synced, rows).unwrap(),
            target
        );
        let mut expected = Vec::new();
        rows(&mut expected).unwrap();
        assert_eq!(std::fs::read(&target).unwrap(), expected);
        // An existing output is left alone without --force, and replaced with it.
        let small = |out: &mut dyn Write| out.write_all(b"x\n");
        assert!(matches!(
            AtomicFile::write_with(&target, false, synced, small),
            Err(WriteError::Exists { .. })
        ));
        assert_eq!(std::fs::read(&target).unwrap(), expected);
        AtomicFile::write_with(&target, true, synced, small).unwrap();
        assert_eq!(std::fs::read(&target).unwrap(), b"x\n");
        // A failure while writing leaves neither the output nor a temporary file.
        let failing = |out: &mut dyn Write| {
            out.write_all(&[b'y'; 100_000])?;
            Err(io::Error::other("the trend could not be rendered"))
        };
        let gone = dir.path().join("gone.csv");
        assert!(AtomicFile::write_with(&gone, false, synced, failing).is_err());
        assert_eq!(entries(dir.path()), ["trend.csv"]);
    }

    #[test]
    fn buffers_handed_to_the_writer_thread_keep_their_place_among_other_writes() {
        let dir = tempfile::tempdir().unwrap();
        let target = dir.path().join("mixed.json");
        let mut file = AtomicFile::create(&target).unwrap();
        let mut want = Vec::new();
        for round in 0..40u8 {
            // Direct writes, owned buffers (a part of each) and write-back all interleave.
            file.file().write_all(&[b'a' + round % 26]).unwrap();
            want.push(b'a' + round % 26);
            let chunk = vec![round; 1 << 20];
            file.write_owned(chunk.clone(), usize::from(round % 3))
                .unwrap();
            want.extend_from_slice(&chunk[usize::from(round % 3)..]);
            if let Some(emptied) = file.take_emptied() {
                assert!(emptied.is_empty());
            }
        }
        file.finish().unwrap().commit(false).unwrap();
        assert!(
            std::fs::read(&target).unwrap() == want,
            "bytes out of order"
        );
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
        assert!(!live().values().any(|p| p.starts_with(dir.path())));
    }

    #[test]
    fn write_whole_replaces_only_with_force_and_leaves_no_temporary() {
        let dir = tempfile::tempdir().unwrap();
        let target = dir.path().join("chart.svg");
        assert_eq!(
            AtomicFile::write_whole(&target, b"one", false, Durability::Synced).unwrap(),
            target
        );
        let err = AtomicFile::write_whole(&target, b"two", false, Durability::Synced).unwrap_err();
        assert!(matches!(err, WriteError::Exists { .. }), "{err}");
        assert_eq!(std::fs::read(&target).unwrap(), b"one");
        AtomicFile::write_whole(&target, b"three", true, Durability::Unsynced).unwrap();
        assert_eq!(std::fs::read(&target).unwrap(), b"three");
        assert_eq!(entries(dir.path()), ["chart.svg"]);
    }

    #[test]
    fn a_batch_is_committed_in_order_and_a_refusal_touches_only_its_own_output() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir(dir.path().join("sub")).unwrap();
        let targets = ["a.json", "sub/b.json", "c.json", "sub/d.json"].map(|n| dir.path().join(n));
        std::fs::write(&targets[2], "old").unwrap();
        let batch = targets
            .iter()
            .map(|target| {
                let mut file = AtomicFile::create(target).unwrap();
                file.file()
                    .write_all(target.to_string_lossy().as_bytes())
                    .unwrap();
                file.finish().unwrap()
            })
            .collect();
        let results = commit_all(batch, false);
        assert_eq!(results.len(), 4);
        assert!(matches!(results[2], Err(WriteError::Exists { .. })));
        for i in [0, 1, 3] {
            assert_eq!(results[i].as_ref().unwrap(), &targets[i]);
            let written = std::fs::read_to_string(&targets[i]).unwrap();
            assert_eq!(written, targets[i].to_string_lossy());
        }
        assert_eq!(std::fs::read(&targets[2]).unwrap(), b"old");
        assert_eq!(entries(dir.path()), ["a.json", "c.json", "sub"]);
        assert_eq!(entries(&dir.path().join("sub")), ["b.json", "d.json"]);
        assert!(!live().values().any(|p| p.starts_with(dir.path())));
    }

    #[test]
    fn unsynced_outputs_are_still_whole_or_absent_and_start_no_syncer() {
        let dir = tempfile::tempdir().unwrap();
        let target = dir.path().join("big.json");
        let mut file = AtomicFile::create_with(&target, Durability::Unsynced).unwrap();
        let chunk = vec![b'x'; 1 << 20];
        for _ in 0..(SYNC_BEHIND >> 20) + 1 {
            file.file().write_all(&chunk).unwrap();
            file.wrote(chunk.len());
        }
        file.write_owned(chunk.clone(), 0).unwrap();
        assert!(
            file.behind.syncer.is_none(),
            "no thread syncs an unsynced output"
        );
        // Not there until committed, under its name only once whole.
        assert!(!target.exists());
        let finished = file.finish().unwrap();
        assert!(!target.exists());
        finished.commit(false).unwrap();
        let expected = (SYNC_BEHIND + (2 << 20)) as usize;
        assert_eq!(std::fs::metadata(&target).unwrap().len() as usize, expected);
        assert_eq!(entries(dir.path()), ["big.json"]);

        // A synced output past the threshold does start one.
        let mut file = AtomicFile::create(&dir.path().join("synced.json")).unwrap();
        file.file().write_all(&chunk).unwrap();
        file.wrote(SYNC_BEHIND as usize);
        assert!(file.behind.syncer.is_some());
        file.finish().unwrap().commit(false).unwrap();
    }

    #[test]
    fn a_batch_mixing_synced_and_unsynced_outputs_commits_both() {
        let dir = tempfile::tempdir().unwrap();
        let targets = ["a.json", "b.json", "c.json"].map(|n| dir.path().join(n));
        let batch = |durabilities: [Durability; 3]| {
            targets
                .iter()
                .zip(durabilities)
                .map(|(target, durability)| {
                    let mut file = AtomicFile::create_with(target, durability).unwrap();
                    file.file().write_all(b"data").unwrap();
                    file.finish().unwrap()
                })
                .collect::<Vec<_>>()
        };
        use Durability::{Synced, Unsynced};
        let results = commit_all(batch([Unsynced, Synced, Unsynced]), false);
        assert!(results.iter().all(Result::is_ok), "{results:?}");
        let results = commit_all(batch([Unsynced; 3]), true);
        assert!(results.iter().all(Result::is_ok), "{results:?}");
        for target in &targets {
            assert_eq!(std::fs::read(target).unwrap(), b"data");
        }
        assert_eq!(entries(dir.path()), ["a.json", "b.json", "c.json"]);
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
