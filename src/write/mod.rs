//! The normal form of a report: Graph's JSON, NDJSON, or canonical CSV, written safely.
//!
//! A [`RecordWriter`] is a [`RecordSink`]: the checker feeds it the good records of a file
//! and tells it at the end whether the file was valid. Only then does an output exist:
//! records stream into a temporary file (in the target's folder for files, in memory up to
//! [`STDOUT_MEMORY`] and then an unnamed temporary file for standard output), and
//! [`RecordWriter::take_output`] hands back a finished [`Output`] to commit, or nothing for
//! an invalid file. So an invalid input never prints partial output, not even on stdout.
//!
//! # Layouts
//! - JSON: the envelope Graph's `$format=application/json` returns, pretty enough to diff:
//!   one record per line, each record compact (`{"reportRefreshDate":"2026-11-25",...}`),
//!   properties in schema order, counts as integers or `null`, dates as `YYYY-MM-DD`:
//!   ```text
//!   {
//!     "@odata.context": "https://graph.microsoft.com/beta/$metadata#Collection(microsoft.graph.office365GroupsActivityGroupCounts)",
//!     "value": [
//!       {"reportRefreshDate":"2026-11-25","total":5347,"active":2169,"reportDate":"2026-11-25","reportPeriod":"7"},
//!       {"reportRefreshDate":"2026-11-25","total":5346,"active":2206,"reportDate":"2026-11-24","reportPeriod":"7"}
//!     ]
//!   }
//!   ```
//!   An empty report is `"value": []`. Every output ends with a line feed.
//! - NDJSON: the same record lines, nothing else.
//! - CSV: the documented header, LF line ends, quotes only where needed, a BOM on request.
//! - Parquet: typed columns named by the JSON properties, a row group per batch of
//!   records (see [`parquet`](self::parquet)'s module).
//!
//! # Record order and memory
//! Records come out newest report date first, ties in input order (a stable sort), as Graph
//! writes them. Graph's files already are in that order, so the writer streams: memory stays
//! flat however long the file. The first record out of order switches the writer to sorting:
//! the records written so far are read back from the temporary file, and from then on every
//! record is kept in a compact binary form (a tag byte and a variable-length number per
//! cell, 18 bytes for a GroupCounts row) plus 8 bytes of sort key and offset, then
//! stable-sorted and written at the end. The bound for such a file is about 26 bytes per
//! row: 2 million rows take about 52 MB; Graph's own files have at most 180.

mod atomic;
mod csv;
mod json;
mod parquet;
mod paths;
mod plan;
mod template;

pub(crate) use atomic::file_id;
pub use atomic::{
    check_target, commit_all, install_interrupt_cleanup, same_file, AtomicFile, Durability,
    Finished, WriteError,
};
pub use parquet::{arrow_schema, data_type, write_table, Compression, BATCH_ROWS};
pub use paths::{mirror, PathError};
pub use plan::{format_of, Plan, PlanError, Planner, Targets};

use std::io::{self, BufWriter, Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use chrono::{Datelike, NaiveDate};
use tempfile::{SpooledData, SpooledTempFile};

use crate::record::{Cell, Fork, Record, RecordSink, TextRun};
use crate::schema::{Kind, Report};

use self::csv::CsvRecord;
use self::json::{push_json_string, JsonRecord};
use self::parquet::{ParquetPiece, ParquetRecords};
use self::template::{Slot, Template};

/// How much of one standard-output result is kept in memory before it spills to an unnamed
/// temporary file (removed by the OS even after a crash).
pub const STDOUT_MEMORY: usize = 8 << 20;

/// An output format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, clap::ValueEnum)]
pub enum Format {
    /// Graph's JSON envelope: `{"@odata.context": ..., "value": [...]}`.
    Json,
    /// One JSON record per line.
    Ndjson,
    /// Canonical CSV with the documented header.
    Csv,
    /// Parquet: typed columns named by the JSON properties (binary; for data platforms).
    Parquet,
}

impl Format {
    /// The file extension, without the dot.
    pub fn extension(self) -> &'static str {
        match self {
            Format::Json => "json",
            Format::Ndjson => "ndjson",
            Format::Csv => "csv",
            Format::Parquet => "parquet",
        }
    }

    /// The format a file is converted to when none is asked for: JSON for CSV input, CSV
    /// for JSON or NDJSON input (by extension); JSON for anything else, since Graph's own
    /// download is CSV.
    pub fn default_for(input: &Path) -> Format {
        let ext = input
            .extension()
            .and_then(|x| x.to_str())
            .unwrap_or("")
            .to_ascii_lowercase();
        match ext.as_str() {
            "json" | "ndjson" | "jsonl" => Format::Csv,
            _ => Format::Json,
        }
    }
}

/// What a [`RecordWriter`] writes and how.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WriteOptions {
    /// The output format.
    pub format: Format,
    /// Start CSV output with a UTF-8 byte-order mark (for spreadsheets); ignored otherwise.
    pub bom: bool,
    /// Whether a file output is synced to disk before it is renamed into place.
    pub durability: Durability,
    /// The compression of Parquet pages; ignored otherwise.
    pub compression: Compression,
}

/// Where a [`RecordWriter`]'s output goes once finished.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Destination {
    /// A file, written through a temporary file in its folder.
    File(PathBuf),
    /// Standard output, buffered until the input is known to be valid.
    Stdout,
}

/// A complete output, not yet visible: commit it, or drop it to throw it away.
#[derive(Debug)]
pub enum Output {
    /// A file under its temporary name.
    File(Finished),
    /// The bytes for standard output.
    Stdout(SpooledTempFile),
}

impl Output {
    /// Commits many outputs as [`Output::commit`] each, the files in one batch
    /// ([`commit_all`]: synced together, then renamed) and then standard output in order.
    /// Returns one result per output, in order.
    pub fn commit_all(
        outputs: Vec<Output>,
        force: bool,
    ) -> Vec<Result<Option<PathBuf>, WriteError>> {
        let mut files = Vec::new();
        let mut slots = Vec::with_capacity(outputs.len());
        for output in outputs {
            match output {
                Output::File(finished) => {
                    files.push(finished);
                    slots.push(None);
                }
                stdout @ Output::Stdout(_) => slots.push(Some(stdout)),
            }
        }
        let mut committed = commit_all(files, force).into_iter();
        slots
            .into_iter()
            .map(|slot| match slot {
                Some(stdout) => stdout.commit(force),
                // One result per file, in order: `committed` has exactly as many.
                None => committed.next().map_or(Ok(None), |r| r.map(Some)),
            })
            .collect()
    }

    /// Makes the output visible: renames the file into place (replacing an existing one only
    /// with `force`) or copies the bytes to standard output. Returns the file's path. A closed
    /// standard output (`| head`) is [`WriteError::Stdout`] with [`WriteError::is_closed_pipe`]:
    /// the caller ends quietly, without a summary that would suggest everything was written.
    pub fn commit(self, force: bool) -> Result<Option<PathBuf>, WriteError> {
        match self {
            Output::File(finished) => finished.commit(force).map(Some),
            Output::Stdout(spool) => {
                let copy = || -> io::Result<()> {
                    let stdout = io::stdout();
                    let mut lock = stdout.lock();
                    match spool.into_inner() {
                        SpooledData::InMemory(bytes) => lock.write_all(bytes.get_ref())?,
                        SpooledData::OnDisk(mut file) => {
                            // From a plain File, std's io::copy lets the kernel move the
                            // bytes (sendfile/splice) instead of reading them back through
                            // a buffer.
                            lock.flush()?;
                            file.seek(SeekFrom::Start(0))?;
                            io::copy(&mut file, &mut lock)?;
                        }
                    }
                    lock.flush()
                };
                match copy() {
                    Ok(()) => Ok(None),
                    Err(e) => Err(WriteError::Stdout(e)),
                }
            }
        }
    }
}

/// The bytes being written: the target's temporary file or the stdout buffer.
enum Spool {
    File(AtomicFile),
    Memory(SpooledTempFile),
}

impl Spool {
    fn set_len(&mut self, len: u64) -> io::Result<()> {
        match self {
            Spool::File(f) => f.settled()?.set_len(len),
            Spool::Memory(m) => m.set_len(len),
        }
    }
}

impl Write for Spool {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        match self {
            Spool::File(f) => {
                let n = f.settled()?.write(buf)?;
                f.wrote(n);
                Ok(n)
            }
            Spool::Memory(m) => m.write(buf),
        }
    }
    fn write_all(&mut self, buf: &[u8]) -> io::Result<()> {
        match self {
            Spool::File(f) => {
                f.settled()?.write_all(buf)?;
                f.wrote(buf.len());
                Ok(())
            }
            Spool::Memory(m) => m.write_all(buf),
        }
    }
    fn flush(&mut self) -> io::Result<()> {
        match self {
            Spool::File(f) => f.settled()?.flush(),
            Spool::Memory(m) => m.flush(),
        }
    }
}

impl Read for Spool {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        match self {
            Spool::File(f) => f.settled()?.read(buf),
            Spool::Memory(m) => m.read(buf),
        }
    }
}

impl Seek for Spool {
    fn seek(&mut self, pos: SeekFrom) -> io::Result<u64> {
        match self {
            Spool::File(f) => f.settled()?.seek(pos),
            Spool::Memory(m) => m.seek(pos),
        }
    }
}

/// Records kept for sorting once the input turned out not to be newest first.
#[derive(Default)]
struct SortBuffer {
    /// Compact records one after another (see [`encode`]).
    arena: Vec<u8>,
    /// (sort key, offset in `arena`) per record, in input order until sorted: offsets of 4
    /// bytes while the arena is under 4 GiB (about 200 million GroupCounts rows), so a
    /// record costs 8 bytes here, not 16.
    index: Vec<(i32, u32)>,
    /// The same beyond 4 GiB, once the arena grew that far.
    wide: Vec<(i32, u64)>,
}

impl SortBuffer {
    /// Keeps `cells`, whose sort key is `key`.
    fn push(&mut self, key: i32, cells: &[Cell]) {
        let offset = self.arena.len();
        match u32::try_from(offset) {
            Ok(narrow) if self.wide.is_empty() => self.index.push((key, narrow)),
            _ => {
                if self.wide.is_empty() {
                    self.wide = self
                        .index
                        .drain(..)
                        .map(|(key, at)| (key, u64::from(at)))
                        .collect();
                    self.index = Vec::new();
                }
                self.wide.push((key, offset as u64));
            }
        }
        encode(cells, &mut self.arena);
    }

    /// Hands `each` the arena and where each record starts in it, newest key first, ties
    /// in input order; stops at the first error.
    fn sorted(mut self, mut each: impl FnMut(&[u8], usize) -> io::Result<()>) -> io::Result<()> {
        let arena = &self.arena;
        let at = |offset: u64| usize::try_from(offset).unwrap_or(usize::MAX);
        // Stable sorts: equal dates keep input order.
        if self.wide.is_empty() {
            self.index.sort_by_key(|&(key, _)| std::cmp::Reverse(key));
            for &(_, offset) in &self.index {
                each(arena, at(u64::from(offset)))?;
            }
        } else {
            self.wide.sort_by_key(|&(key, _)| std::cmp::Reverse(key));
            for &(_, offset) in &self.wide {
                each(arena, at(offset))?;
            }
        }
        Ok(())
    }
}

/// A file's output while records arrive.
struct Open {
    out: BufWriter<Spool>,
    /// Where the first record starts (after the header).
    body_start: u64,
    /// Records written to `out`.
    written: u64,
    /// Sort key of the last record written; records stream while keys do not increase.
    last_key: i32,
    /// Sort key of the next record of the text run taken last.
    run_key: i32,
    render: Render,
    /// Records rendered but not yet handed to `out`: written in batches of [`BATCH`]
    /// bytes, larger than `out`'s buffer, so they go to the spool without a second copy.
    line: Vec<u8>,
    /// Buffers of joined forks, emptied, for the next forks to render into: a large file
    /// renders hundreds of megabytes, and fresh memory for each piece is paid for in page
    /// faults and zeroed pages.
    spare: Vec<Vec<u8>>,
    sorting: Option<SortBuffer>,
    /// The Parquet encoder, for that format: records go into its column arrays instead of
    /// `line`, and its row groups' bytes into `out`.
    parquet: Option<Box<ParquetRecords>>,
}

/// Emptied buffers of joined forks kept for the next: as many as pieces are in flight.
const SPARE_BUFFERS: usize = 32;

/// Bytes of rendered records collected before they are written.
const BATCH: usize = 128 << 10;

/// `out`'s buffer, for the header and the ending; records bypass it (see [`Open::line`]).
/// Small, since a run converting thousands of files allocates one per output.
const OUT_BUFFER: usize = 16 << 10;

enum State {
    Idle,
    Open(Box<Open>),
    Done(Result<Option<Output>, WriteError>),
}

/// Writes one output in the normal form from the records of one file (or of several, for a
/// merge). Implements [`RecordSink`]; collect the result with [`RecordWriter::take_output`].
pub struct RecordWriter {
    options: WriteOptions,
    destination: Destination,
    state: State,
    /// `finish(true)` came before any `begin`.
    finished_valid_idle: bool,
}

impl RecordWriter {
    /// Writes merged series of one report in Graph's order (newest report date first; within
    /// a date, the series in the order given) and finishes as valid: what `convert --merge`
    /// and `archive export` produce. Nothing is written for no series.
    pub fn write_series(&mut self, series: &[&crate::merge::MergedSeries]) {
        let Some(first) = series.first() else {
            return;
        };
        self.begin(&first.report);
        if let [one] = series {
            // Merged records are oldest first.
            for (_, cells) in one.rows().rev() {
                self.record(&Record {
                    report: &one.report,
                    line: 0,
                    cells,
                });
            }
        } else {
            let mut rows: Vec<(chrono::NaiveDate, usize, &[Cell])> = series
                .iter()
                .enumerate()
                .flat_map(|(k, s)| s.rows().map(move |(r, cells)| (r.date, k, cells)))
                .collect();
            rows.sort_by_key(|&(date, k, _)| (std::cmp::Reverse(date), k));
            for (_, _, cells) in rows {
                self.record(&Record {
                    report: &first.report,
                    line: 0,
                    cells,
                });
            }
        }
        self.finish(true);
    }

    /// A writer that will produce `options.format` at `destination`. Nothing is created
    /// until the report kind is known ([`RecordSink::begin`]).
    pub fn new(options: WriteOptions, destination: Destination) -> RecordWriter {
        RecordWriter {
            options,
            destination,
            state: State::Idle,
            finished_valid_idle: false,
        }
    }

    /// The finished output after `finish(true)`; `Ok(None)` when the input was invalid (or
    /// `finish` was not called), and the first write error if writing failed. Any temporary
    /// file is already gone in the last two cases.
    ///
    /// `kind` is the report the checker settled on (`FileReport::report`): a valid input
    /// that never started the sink (no records, so nothing needed the kind) still gets an
    /// empty output of that report; without a kind there is nothing to write (`Ok(None)`).
    pub fn take_output(
        &mut self,
        kind: Option<&Arc<Report>>,
    ) -> Result<Option<Output>, WriteError> {
        if let (true, Some(kind)) = (self.finished_valid_idle, kind) {
            self.finished_valid_idle = false;
            self.state = State::Idle;
            self.begin(kind);
            self.finish(true);
        }
        match std::mem::replace(&mut self.state, State::Done(Ok(None))) {
            State::Done(result) => result,
            State::Idle | State::Open(_) => Ok(None),
        }
    }

    fn path(&self) -> PathBuf {
        match &self.destination {
            Destination::File(p) => p.clone(),
            Destination::Stdout => PathBuf::from("<stdout>"),
        }
    }

    fn open(&self, report: &Arc<Report>) -> Result<Open, WriteError> {
        let spool = match &self.destination {
            Destination::File(path) => {
                Spool::File(AtomicFile::create_with(path, self.options.durability)?)
            }
            Destination::Stdout => Spool::Memory(SpooledTempFile::new(STDOUT_MEMORY)),
        };
        let mut open = Open {
            out: BufWriter::with_capacity(OUT_BUFFER, spool),
            body_start: 0,
            written: 0,
            last_key: i32::MAX,
            run_key: i32::MAX,
            render: Render {
                format: self.options.format,
                report: report.clone(),
                json: JsonRecord::new(report),
                csv: (self.options.format == Format::Csv).then(CsvRecord::new),
                template: None,
            },
            line: Vec::with_capacity(4096),
            spare: Vec::new(),
            sorting: None,
            parquet: None,
        };
        let mut head = Vec::new();
        match (self.options.format, open.render.csv.as_mut()) {
            (Format::Json, _) => {
                head.extend_from_slice(b"{\n  \"@odata.context\": ");
                push_json_string(&mut head, &report.odata_context());
                head.extend_from_slice(b",\n  \"value\": [");
            }
            (Format::Ndjson, _) => {}
            (Format::Csv, Some(csv)) => {
                if self.options.bom {
                    head.extend_from_slice("\u{feff}".as_bytes());
                }
                csv.write_header(report, &mut head)
                    .map_err(|e| WriteError::write(&self.path(), e))?;
            }
            (Format::Csv, None) => {}
            (Format::Parquet, _) => {
                let encoder = ParquetRecords::new(report, self.options.compression)
                    .map_err(|e| WriteError::write(&self.path(), e))?;
                open.parquet = Some(Box::new(encoder));
            }
        }
        open.out
            .write_all(&head)
            .map_err(|e| WriteError::write(&self.path(), e))?;
        open.body_start = head.len() as u64;
        Ok(open)
    }

    /// [`RecordSink::join`] for a piece gathered for Parquet.
    fn join_parquet(&mut self, piece: &mut Gathered) -> bool {
        let State::Open(open) = &mut self.state else {
            return false;
        };
        let Some(parquet) = open.parquet.as_mut() else {
            return false;
        };
        if piece.spoilt
            || open.sorting.is_some()
            || piece.first_key.is_some_and(|key| key > open.last_key)
        {
            return false;
        }
        if piece.records == 0 {
            return true;
        }
        let result = parquet.join(&mut piece.piece).and_then(|()| {
            let bytes = parquet.take_bytes();
            open.out.write_all(&bytes)
        });
        open.written += piece.records;
        open.last_key = piece.last_key;
        if let Err(e) = result {
            let path = self.path();
            self.fail(WriteError::write(&path, e));
        }
        true
    }

    fn fail(&mut self, error: WriteError) {
        // Dropping the open output removes its temporary file.
        self.state = State::Done(Err(error));
    }
}

/// The sort key of a record: its report date as days, newest largest; records without one
/// sort last.
fn sort_key(report: &Report, cells: &[Cell]) -> i32 {
    report
        .report_date()
        .and_then(|i| cells.get(i))
        .and_then(Cell::as_date)
        .map_or(i32::MIN, |d| d.num_days_from_ce())
}

/// Renders records of one report in one format.
#[derive(Clone)]
struct Render {
    format: Format,
    report: Arc<Report>,
    json: JsonRecord,
    csv: Option<CsvRecord>,
    /// The template of the text run taken last.
    template: Option<Template>,
}

impl Render {
    /// Readies the template for the records of `run`: whether it can write them (only
    /// counts and dates vary, the base has every column).
    fn template_for(&mut self, run: &TextRun<'_>) -> bool {
        if self.template.as_ref().is_some_and(|t| t.is_for(run)) {
            return true;
        }
        self.template = self.make_template(run);
        self.template.is_some()
    }

    fn make_template(&mut self, run: &TextRun<'_>) -> Option<Template> {
        let report = self.report.clone();
        let columns = &report.columns;
        let cells = run.base.cells;
        if cells.len() < columns.len() || run.varying.iter().any(|&i| i >= columns.len()) {
            return None;
        }
        let mut template = Template::builder();
        let mut value = Vec::new();
        match self.format {
            Format::Json | Format::Ndjson => {
                if self.format == Format::Json {
                    template.text(b",\n    ");
                }
                template.text(b"{");
                for (i, column) in columns.iter().enumerate() {
                    template.text(self.json.key(i));
                    if run.varying.contains(&i) {
                        template.slot(match column.kind {
                            Kind::Date => Slot::Quoted,
                            Kind::Integer { .. } => Slot::Bare { null: b"null" },
                            _ => return None,
                        });
                    } else {
                        value.clear();
                        self.json.write_value(&report, i, &cells[i], &mut value);
                        template.text(&value);
                    }
                }
                template.text(if self.format == Format::Json {
                    b"}"
                } else {
                    b"}\n"
                });
            }
            Format::Csv => {
                let csv = self.csv.as_mut()?;
                // A line of one empty field is written `""` (see `csv::end_line`).
                if columns.len() < 2 {
                    return None;
                }
                for (i, column) in columns.iter().enumerate() {
                    if i > 0 {
                        template.text(b",");
                    }
                    if run.varying.contains(&i) {
                        if !matches!(column.kind, Kind::Date | Kind::Integer { .. }) {
                            return None;
                        }
                        template.slot(Slot::Bare { null: b"" });
                    } else {
                        value.clear();
                        csv.write_cell(&cells[i], &column.kind, &mut value);
                        template.text(&value);
                    }
                }
                template.text(b"\n");
            }
            // Parquet takes records as cells: its values are typed, not text.
            Format::Parquet => return None,
        }
        Some(template.finish(run))
    }

    /// Appends the record of the current text run whose varying texts are `texts`, the
    /// `first` of the output or not (see [`Render::put`]).
    fn put_texts(&mut self, first: bool, texts: &[&[u8]], out: &mut Vec<u8>) {
        let Some(template) = self.template.as_mut() else {
            return;
        };
        let start = out.len();
        template.put(texts, out);
        if first && self.format == Format::Json {
            // The template's records follow another: the first of the output has no comma.
            out.remove(start);
        }
    }

    /// Appends `cells` to `out` with the separator the format needs before a record, the
    /// `first` of the output or not.
    fn put(&mut self, first: bool, cells: &[Cell], out: &mut Vec<u8>) -> io::Result<()> {
        match self.format {
            Format::Json => {
                out.extend_from_slice(if first { b"\n    " } else { b",\n    " });
                self.json.write(&self.report, cells, out);
            }
            Format::Ndjson => {
                self.json.write(&self.report, cells, out);
                out.push(b'\n');
            }
            Format::Csv => {
                if let Some(csv) = self.csv.as_mut() {
                    csv.write(&self.report, cells, out)?;
                }
            }
            // Never rendered as text: `Open::put` hands its records to the encoder.
            Format::Parquet => {}
        }
        Ok(())
    }
}

/// A [`RecordWriter`]'s work on another thread ([`RecordSink::fork`]): the records of a
/// later piece of the file, rendered as they will stand in the output, each as a record
/// that is not the first, for [`RecordSink::join`] to write in one go.
struct Rendered {
    render: Render,
    bytes: Vec<u8>,
    records: u64,
    /// Sort keys of the first and the last record rendered.
    first_key: Option<i32>,
    last_key: i32,
    /// Sort key of the next record of the text run taken last.
    run_key: i32,
    /// A record came out of streaming order, or could not be rendered: the writer cannot
    /// take the piece as it is, and rendering stopped.
    spoilt: bool,
}

impl RecordSink for Rendered {
    fn record(&mut self, record: &Record<'_>) {
        if self.spoilt {
            return;
        }
        let key = sort_key(&self.render.report, record.cells);
        if key > self.last_key
            || self
                .render
                .put(false, record.cells, &mut self.bytes)
                .is_err()
        {
            self.spoilt = true;
            self.bytes = Vec::new();
            return;
        }
        self.first_key.get_or_insert(key);
        self.last_key = key;
        self.records += 1;
    }

    fn text_run(&mut self, run: &TextRun<'_>) -> bool {
        let key = run.first_day.num_days_from_ce();
        // Out of order: the record path spoils the piece.
        if self.spoilt || key > self.last_key || !self.render.template_for(run) {
            return false;
        }
        self.run_key = key;
        true
    }

    fn run_record(&mut self, texts: &[&[u8]]) {
        self.render.put_texts(false, texts, &mut self.bytes);
        self.first_key.get_or_insert(self.run_key);
        self.last_key = self.run_key;
        self.run_key = self.run_key.saturating_sub(1);
        self.records += 1;
    }
}

/// A [`RecordWriter`]'s Parquet work on another thread: the records of a later piece of the
/// file gathered into column arrays, for [`RecordSink::join`] to encode.
struct Gathered {
    report: Arc<Report>,
    piece: ParquetPiece,
    records: u64,
    /// Sort keys of the first and the last record gathered.
    first_key: Option<i32>,
    last_key: i32,
    /// A record came out of streaming order, or could not be taken: the writer reads the
    /// piece's records again itself.
    spoilt: bool,
}

impl RecordSink for Gathered {
    fn record(&mut self, record: &Record<'_>) {
        if self.spoilt {
            return;
        }
        let key = sort_key(&self.report, record.cells);
        if key > self.last_key || self.piece.push(record.cells).is_err() {
            self.spoilt = true;
            self.piece = ParquetRecords::fork(&self.report);
            return;
        }
        self.first_key.get_or_insert(key);
        self.last_key = key;
        self.records += 1;
    }
}

impl Fork for Gathered {
    fn as_any(&mut self) -> &mut dyn std::any::Any {
        self
    }
}

impl Fork for Rendered {
    fn as_any(&mut self) -> &mut dyn std::any::Any {
        self
    }
}

impl Open {
    /// Renders `cells` into `line` with the separator the format needs before record number
    /// `written`, handing `line` to `out` once it holds [`BATCH`] bytes.
    fn put(&mut self, cells: &[Cell]) -> io::Result<()> {
        if let Some(parquet) = self.parquet.as_mut() {
            parquet.push(cells)?;
            self.written += 1;
            let bytes = parquet.take_bytes();
            if !bytes.is_empty() {
                self.out.write_all(&bytes)?;
            }
            return Ok(());
        }
        self.render.put(self.written == 0, cells, &mut self.line)?;
        self.written += 1;
        if self.line.len() >= BATCH {
            self.write_line()?;
        }
        Ok(())
    }

    /// Takes the records of `run` as text if they stream (see [`RecordSink::text_run`]).
    fn text_run(&mut self, run: &TextRun<'_>) -> bool {
        let key = run.first_day.num_days_from_ce();
        // Out of order: the record path starts sorting.
        if self.sorting.is_some() || key > self.last_key || !self.render.template_for(run) {
            return false;
        }
        self.run_key = key;
        true
    }

    /// Renders the next record of the text run taken last, as [`Open::put`] does.
    fn run_record(&mut self, texts: &[&[u8]]) -> io::Result<()> {
        self.render
            .put_texts(self.written == 0, texts, &mut self.line);
        self.last_key = self.run_key;
        self.run_key = self.run_key.saturating_sub(1);
        self.written += 1;
        if self.line.len() >= BATCH {
            self.write_line()?;
        }
        Ok(())
    }

    /// Hands the collected records to `out`.
    fn write_line(&mut self) -> io::Result<()> {
        self.out.write_all(&self.line)?;
        self.line.clear();
        Ok(())
    }

    /// Reads back the records written so far into a sort buffer and truncates the output to
    /// its header: called once, on the first record out of order.
    fn start_sorting(&mut self, format: Format) -> io::Result<()> {
        self.write_line()?;
        self.out.flush()?;
        let spool = self.out.get_mut();
        spool.seek(SeekFrom::Start(self.body_start))?;
        let mut body = Vec::new();
        spool.read_to_end(&mut body)?;
        spool.set_len(self.body_start)?;
        spool.seek(SeekFrom::Start(self.body_start))?;
        let mut buffer = SortBuffer::default();
        let mut cells = Vec::with_capacity(self.render.report.columns.len());
        let mut keep = |cells: &[Cell]| buffer.push(sort_key(&self.render.report, cells), cells);
        match format {
            Format::Json | Format::Ndjson => {
                for line in body.split(|&b| b == b'\n') {
                    let line = line.trim_ascii();
                    let line = line.strip_suffix(b",").unwrap_or(line);
                    if line.is_empty() {
                        continue;
                    }
                    decode_json(&self.render.report, line, &mut cells)?;
                    keep(&cells);
                }
            }
            Format::Parquet => {
                // The rows written so far, read back from the file they were written to
                // (Parquet has no header: `body` is all of it but the last row group and
                // the footer, which the encoder still holds).
                if let Some(parquet) = self.parquet.as_mut() {
                    let report = self.render.report.clone();
                    let mut whole = std::mem::take(&mut body);
                    whole.extend_from_slice(&parquet.restart(&report)?);
                    self::parquet::read_records(&report, whole, |cells| {
                        keep(cells);
                        Ok(())
                    })?;
                }
            }
            Format::Csv => {
                let mut reader = ::csv::ReaderBuilder::new()
                    .has_headers(false)
                    .from_reader(&body[..]);
                let mut fields = ::csv::ByteRecord::new();
                while reader.read_byte_record(&mut fields)? {
                    decode_csv(&self.render.report, &fields, &mut cells)?;
                    keep(&cells);
                }
            }
        }
        self.written = 0;
        self.sorting = Some(buffer);
        Ok(())
    }

    /// Writes the sorted records (if sorting) and the format's ending.
    fn complete(&mut self, format: Format) -> io::Result<()> {
        if let Some(buffer) = self.sorting.take() {
            let report = self.render.report.clone();
            let mut cells = Vec::with_capacity(report.columns.len());
            buffer.sorted(|arena, offset| {
                decode(&report, arena, offset, &mut cells)?;
                self.put(&cells)
            })?;
        }
        if let Some(parquet) = self.parquet.take() {
            self.out.write_all(&parquet.finish()?)?;
        }
        self.write_line()?;
        if format == Format::Json {
            let end: &[u8] = if self.written == 0 {
                b"]\n}\n"
            } else {
                b"\n  ]\n}\n"
            };
            self.out.write_all(end)?;
        }
        self.out.flush()
    }
}

impl RecordSink for RecordWriter {
    fn begin(&mut self, report: &Arc<Report>) {
        if !matches!(self.state, State::Idle) {
            return;
        }
        match self.open(report) {
            Ok(open) => self.state = State::Open(Box::new(open)),
            Err(e) => self.fail(e),
        }
    }

    fn record(&mut self, record: &Record<'_>) {
        let format = self.options.format;
        let State::Open(open) = &mut self.state else {
            return;
        };
        let key = sort_key(&open.render.report, record.cells);
        let result = (|| {
            if open.sorting.is_none() && key > open.last_key {
                open.start_sorting(format)?;
            }
            match open.sorting.as_mut() {
                Some(buffer) => {
                    buffer.push(key, record.cells);
                    Ok(())
                }
                None => {
                    open.last_key = key;
                    open.put(record.cells)
                }
            }
        })();
        if let Err(e) = result {
            let path = self.path();
            self.fail(WriteError::write(&path, e));
        }
    }

    fn text_run(&mut self, run: &TextRun<'_>) -> bool {
        match &mut self.state {
            State::Open(open) => open.text_run(run),
            _ => false,
        }
    }

    fn run_record(&mut self, texts: &[&[u8]]) {
        let State::Open(open) = &mut self.state else {
            return;
        };
        if let Err(e) = open.run_record(texts) {
            let path = self.path();
            self.fail(WriteError::write(&path, e));
        }
    }

    fn fork(&mut self) -> Option<Box<dyn Fork>> {
        match &mut self.state {
            // Parquet: the piece's records gathered into arrays there, encoded here.
            State::Open(open) if open.sorting.is_none() && open.parquet.is_some() => {
                Some(Box::new(Gathered {
                    report: open.render.report.clone(),
                    piece: ParquetRecords::fork(&open.render.report),
                    records: 0,
                    first_key: None,
                    last_key: i32::MAX,
                    spoilt: false,
                }))
            }
            State::Open(open) if open.sorting.is_none() => Some(Box::new(Rendered {
                render: open.render.clone(),
                bytes: open.spare.pop().unwrap_or_default(),
                records: 0,
                first_key: None,
                last_key: i32::MAX,
                run_key: i32::MAX,
                spoilt: false,
            })),
            _ => None,
        }
    }

    fn join(&mut self, fork: &mut dyn Fork) -> bool {
        if let Some(piece) = fork.as_any().downcast_mut::<Gathered>() {
            return self.join_parquet(piece);
        }
        let Some(piece) = fork.as_any().downcast_mut::<Rendered>() else {
            return false;
        };
        let State::Open(open) = &mut self.state else {
            return false;
        };
        if piece.spoilt
            || open.sorting.is_some()
            || piece.first_key.is_some_and(|key| key > open.last_key)
            || piece.render.format != self.options.format
        {
            return false;
        }
        if piece.records == 0 {
            return true;
        }
        // Rendered as records after the first: the first of the output has no comma.
        let skip = usize::from(open.written == 0 && self.options.format == Format::Json);
        let bytes = std::mem::take(&mut piece.bytes);
        let result = open.write_line().and_then(|()| {
            // A file's bytes go to its writer thread, after what `out` holds (the header,
            // or records checked here); flushing waits for that thread, so only then.
            if !open.out.buffer().is_empty() {
                open.out.flush()?;
            }
            match open.out.get_mut() {
                Spool::File(file) => {
                    file.write_owned(bytes, skip)?;
                    if let Some(emptied) = file.take_emptied() {
                        open.spare.push(emptied);
                    }
                    Ok(())
                }
                Spool::Memory(memory) => {
                    memory.write_all(&bytes[skip..])?;
                    let mut bytes = bytes;
                    bytes.clear();
                    open.spare.push(bytes);
                    Ok(())
                }
            }
        });
        open.spare.truncate(SPARE_BUFFERS);
        open.written += piece.records;
        open.last_key = piece.last_key;
        if let Err(e) = result {
            let path = self.path();
            self.fail(WriteError::write(&path, e));
        }
        true
    }

    fn finish(&mut self, valid: bool) {
        let format = self.options.format;
        let state = std::mem::replace(&mut self.state, State::Done(Ok(None)));
        let State::Open(mut open) = state else {
            // Idle (no report) or already failed: keep what is there.
            self.finished_valid_idle = valid && matches!(state, State::Idle);
            self.state = match state {
                State::Open(_) | State::Idle => State::Done(Ok(None)),
                done => done,
            };
            return;
        };
        if !valid {
            return; // `open` dropped here: the temporary file goes with it.
        }
        let path = self.path();
        let result = open
            .complete(format)
            .map_err(|e| WriteError::write(&path, e))
            .and_then(|()| match open.out.into_inner() {
                Ok(Spool::File(file)) => file.finish().map(Output::File),
                Ok(Spool::Memory(spool)) => Ok(Output::Stdout(spool)),
                Err(e) => Err(WriteError::write(&path, e.into_error())),
            });
        self.state = State::Done(result.map(Some));
    }
}

/// Appends the compact form of a record: per cell a tag and its value as a variable-length
/// number (LEB128; a count or date of a usage report takes 2-3 bytes, not 8 or 4), a text's
/// length before its bytes. A GroupCounts row takes 18 bytes.
fn encode(cells: &[Cell], out: &mut Vec<u8>) {
    for cell in cells {
        match cell {
            Cell::Null => out.push(0),
            Cell::Int(n) => {
                out.push(1);
                push_varint(out, zigzag(*n));
            }
            Cell::Date(d) => {
                out.push(2);
                push_varint(out, zigzag(i64::from(d.num_days_from_ce())));
            }
            Cell::Enum(v) => {
                out.push(3);
                push_varint(out, u64::from(*v));
            }
            Cell::Text(t) => {
                out.push(4);
                push_varint(out, t.len() as u64);
                out.extend_from_slice(t.as_bytes());
            }
            Cell::Bool(b) => out.push(5 + u8::from(*b)),
            Cell::List(items) => {
                out.push(7);
                push_varint(out, items.len() as u64);
                for item in items.iter() {
                    push_varint(out, item.len() as u64);
                    out.extend_from_slice(item.as_bytes());
                }
            }
        }
    }
}

/// A signed number as an unsigned one, small magnitudes small: 0, -1, 1, -2 -> 0, 1, 2, 3.
fn zigzag(n: i64) -> u64 {
    ((n << 1) ^ (n >> 63)) as u64
}

/// The inverse of [`zigzag`].
fn unzigzag(n: u64) -> i64 {
    ((n >> 1) as i64) ^ -((n & 1) as i64)
}

/// Appends `n` seven bits a byte, lowest first, the high bit set on all but the last.
fn push_varint(out: &mut Vec<u8>, mut n: u64) {
    while n >= 0x80 {
        out.push((n as u8) | 0x80);
        n >>= 7;
    }
    out.push(n as u8);
}

fn corrupt(what: &str) -> io::Error {
    io::Error::new(
        io::ErrorKind::InvalidData,
        format!("the temporary output changed under us ({what})"),
    )
}

/// Reads one record written by [`encode`] at `at` into `cells`.
fn decode(report: &Report, arena: &[u8], mut at: usize, cells: &mut Vec<Cell>) -> io::Result<()> {
    let varint = |at: &mut usize| -> io::Result<u64> {
        let mut n = 0u64;
        for shift in (0..64).step_by(7) {
            let byte = *arena.get(*at).ok_or_else(|| corrupt("sort buffer"))?;
            *at += 1;
            n |= u64::from(byte & 0x7f) << shift;
            if byte < 0x80 {
                return Ok(n);
            }
        }
        Err(corrupt("number"))
    };
    cells.clear();
    for _ in &report.columns {
        let tag = *arena.get(at).ok_or_else(|| corrupt("sort buffer"))?;
        at += 1;
        let cell = match tag {
            0 => Cell::Null,
            1 => Cell::Int(unzigzag(varint(&mut at)?)),
            2 => {
                let days =
                    i32::try_from(unzigzag(varint(&mut at)?)).map_err(|_| corrupt("date"))?;
                Cell::Date(
                    NaiveDate::from_num_days_from_ce_opt(days).ok_or_else(|| corrupt("date"))?,
                )
            }
            3 => Cell::Enum(u16::try_from(varint(&mut at)?).map_err(|_| corrupt("enum"))?),
            4 => Cell::Text(Box::new(read_text(arena, &mut at, varint)?)),
            5 => Cell::Bool(false),
            6 => Cell::Bool(true),
            7 => {
                let count = usize::try_from(varint(&mut at)?).unwrap_or(usize::MAX);
                let mut items = Vec::new();
                for _ in 0..count {
                    items.push(read_text(arena, &mut at, varint)?);
                }
                Cell::List(Box::new(items))
            }
            _ => return Err(corrupt("tag")),
        };
        cells.push(cell);
    }
    Ok(())
}

/// Reads a length-prefixed text written by [`encode`] at `at`.
fn read_text(
    arena: &[u8],
    at: &mut usize,
    varint: impl Fn(&mut usize) -> io::Result<u64>,
) -> io::Result<String> {
    let len = usize::try_from(varint(at)?).unwrap_or(usize::MAX);
    let text = arena
        .get(*at..at.saturating_add(len))
        .ok_or_else(|| corrupt("sort buffer"))?;
    *at += len;
    String::from_utf8(text.to_vec()).map_err(|_| corrupt("text"))
}

/// A cell from its canonical text (our own CSV or JSON string): the inverse of the writers.
fn cell_from_text(text: &str, kind: &Kind) -> io::Result<Cell> {
    Ok(match kind {
        _ if text.is_empty() && *kind != Kind::Text => Cell::Null,
        Kind::Date | Kind::OptionalDate => {
            Cell::Date(NaiveDate::parse_from_str(text, "%Y-%m-%d").map_err(|_| corrupt("date"))?)
        }
        Kind::Integer { .. } => Cell::Int(text.parse().map_err(|_| corrupt("number"))?),
        Kind::Enum(values) => match values.iter().position(|v| v == text) {
            Some(i) => Cell::Enum(u16::try_from(i).map_err(|_| corrupt("enum"))?),
            None => Cell::Enum(text.parse().map_err(|_| corrupt("enum"))?),
        },
        Kind::Text | Kind::Guid | Kind::Duration => Cell::Text(Box::new(text.to_string())),
        Kind::Boolean => Cell::Bool(
            crate::rules::field::parse_bool(text.as_bytes()).ok_or_else(|| corrupt("boolean"))?,
        ),
        Kind::List => Cell::List(Box::new(text.split('+').map(str::to_string).collect())),
    })
}

fn decode_csv(
    report: &Report,
    fields: &::csv::ByteRecord,
    cells: &mut Vec<Cell>,
) -> io::Result<()> {
    cells.clear();
    for (i, column) in report.columns.iter().enumerate() {
        let field = fields.get(i).ok_or_else(|| corrupt("field count"))?;
        let text = std::str::from_utf8(field).map_err(|_| corrupt("UTF-8"))?;
        cells.push(cell_from_text(text, &column.kind)?);
    }
    Ok(())
}

fn decode_json(report: &Report, line: &[u8], cells: &mut Vec<Cell>) -> io::Result<()> {
    let map: serde_json::Map<String, serde_json::Value> =
        serde_json::from_slice(line).map_err(|_| corrupt("JSON"))?;
    cells.clear();
    for column in &report.columns {
        let cell = match map.get(&column.property) {
            None | Some(serde_json::Value::Null) => Cell::Null,
            Some(serde_json::Value::Number(n)) => {
                Cell::Int(n.as_i64().ok_or_else(|| corrupt("number"))?)
            }
            Some(serde_json::Value::String(s)) => cell_from_text(s, &column.kind)?,
            Some(serde_json::Value::Bool(b)) => Cell::Bool(*b),
            Some(serde_json::Value::Array(items)) => Cell::List(Box::new(
                items
                    .iter()
                    .map(|v| v.as_str().map(str::to_string))
                    .collect::<Option<_>>()
                    .ok_or_else(|| corrupt("JSON list"))?,
            )),
            Some(_) => return Err(corrupt("JSON value")),
        };
        cells.push(cell);
    }
    Ok(())
}

#[cfg(test)]
mod tests;
