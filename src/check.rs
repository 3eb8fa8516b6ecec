//! The state of one file being checked: its findings, the file rules' state, and the sink
//! its good records go to. The readers in [`crate::read`] drive a [`Checker`] row by row;
//! [`crate::validate`] makes one per input and hands it to the reader the input needs. It
//! knows nothing of CSV or JSON syntax: positions come to it as [`Location`]s.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use chrono::NaiveDate;
use serde::Serialize;

use crate::diagnostic::{Code, Finding, Severity, Snippet};
use crate::discover::{io_message, Input, Source};
use crate::record::{Cell, Fork, Record, RecordBuffer, RecordSink, TextRun};
use crate::rules::file::{FileProblem, FileRules};
use crate::rules::record::{check_record, RecordProblem};
use crate::schema::{DetectionSource, Registry, Report};

/// The format an input is read as.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum InputFormat {
    /// Comma-separated values, as Graph downloads them.
    Csv,
    /// One JSON document: Graph's envelope, or a bare array of records.
    Json,
    /// One JSON record per line.
    Ndjson,
}

/// The fastest path the CSV reader may read a row by (see `read::csv`). Each path gives the
/// same findings and records as [`CsvPath::Full`] on every input; only speed differs. The
/// order is from slowest to fastest, each path allowing those before it: the reader takes
/// the fastest one allowed that fits the row. Tests and benchmarks cap it to compare the
/// paths; everyone else keeps the default.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord)]
pub enum CsvPath {
    /// Every row through the RFC 4180 parser (`csv_core`) on the reading thread, each checked
    /// from scratch: the reference.
    Full,
    /// Plain text (no quote, no bare carriage return) cut into pieces at line ends, checked
    /// in parallel, its rows split at commas and line feeds and checked from scratch.
    Lines,
    /// As `Lines`, and a row of the usual shape read and checked in one pass.
    Short,
    /// As `Short`, and a row repeating the one before with new counts and the day before
    /// taken in a run, without cells or rule calls.
    #[default]
    Steady,
}

/// Resource limits that keep hostile input from exhausting memory.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Largest CSV record or JSON record, in bytes.
    pub max_record_bytes: usize,
    /// Deepest JSON nesting.
    pub max_depth: usize,
    /// Most CSV columns.
    pub max_columns: usize,
}

impl Default for Limits {
    fn default() -> Limits {
        Limits {
            max_record_bytes: 1 << 20,
            max_depth: 64,
            max_columns: 1000,
        }
    }
}

/// How to check inputs.
#[derive(Debug, Clone)]
pub struct CheckOptions {
    /// Check every input as this report (`--report`), instead of detecting it.
    pub report: Option<Arc<Report>>,
    /// Read every input as this format (`--input-format`), instead of sniffing it.
    pub input_format: Option<InputFormat>,
    /// Keep at most this many findings per file (`--max-errors`); the rest are counted.
    pub max_findings: usize,
    /// Resource limits for hostile input.
    pub limits: Limits,
    /// The rows of a CSV input after its header are cut, at line ends, into pieces of about
    /// this many bytes, checked in parallel a few per thread at a time (so memory stays
    /// bounded) and joined in order. Findings do not depend on it; only speed does.
    pub piece_bytes: usize,
    /// The files of the run not started yet, when the run counts them
    /// ([`CheckOptions::spread_over`]). While some are, a CSV input's pieces are checked one
    /// after another on its own thread by its one checker: the other files keep the other
    /// threads busy, and joining pieces (their entity sets, their sums) is work a file
    /// checked in turn does not need. Once none is left (the last files of a run, or a run of one
    /// large file) the rest of its pieces are checked in parallel and joined. `None`: every
    /// input of more than one piece is checked in parallel. Findings do not depend on it;
    /// only speed does.
    pub pending: Option<Arc<Pending>>,
    /// The fastest path CSV rows may take (the default: any). Findings do not depend on it;
    /// tests and benchmarks lower it to compare the paths.
    pub csv_path: CsvPath,
}

impl Default for CheckOptions {
    fn default() -> CheckOptions {
        CheckOptions {
            report: None,
            input_format: None,
            max_findings: 100,
            limits: Limits::default(),
            piece_bytes: 512 << 10,
            pending: None,
            csv_path: CsvPath::default(),
        }
    }
}

impl CheckOptions {
    /// These options for a run over `sources`, counting the files not started yet (see
    /// [`CheckOptions::pending`]) unless a caller counts them already.
    pub fn spread_over(&self, sources: &[Source]) -> CheckOptions {
        let mut options = self.clone();
        if options.pending.is_none() {
            options.pending = Some(Arc::new(Pending::new(sources.len())));
        }
        options
    }

    /// Notes that a source of the run waits no more (see [`CheckOptions::pending`]): it is
    /// being checked, or will not be (already archived, unreadable).
    pub fn dequeue(&self) {
        if let Some(pending) = &self.pending {
            pending.start();
        }
    }
}

/// How many files of a run are not started yet; see [`CheckOptions::pending`].
#[derive(Debug, Default)]
pub struct Pending(AtomicUsize);

impl Pending {
    /// `files` not started yet.
    pub fn new(files: usize) -> Pending {
        Pending(AtomicUsize::new(files))
    }

    /// Notes a file started.
    pub fn start(&self) {
        // Never below zero: a caller may check more sources than it counted.
        let _ = (self.0).fetch_update(Ordering::Relaxed, Ordering::Relaxed, |n| n.checked_sub(1));
    }

    /// Whether some file is not started yet.
    pub fn any(&self) -> bool {
        self.0.load(Ordering::Relaxed) > 0
    }
}

/// The result of checking one input.
#[derive(Debug, Clone, Serialize)]
pub struct FileReport {
    /// The input as shown to the user.
    pub name: String,
    /// Position in input order.
    #[serde(skip)]
    pub index: usize,
    /// The report kind, when it could be told.
    #[serde(rename = "report", serialize_with = "report_name")]
    pub report: Option<Arc<Report>>,
    /// The Graph function of the report, when it could be told.
    pub function: Option<String>,
    /// The API version the file comes from (`v1.0`, `beta`), told by its `@odata.context`
    /// or by the columns it has, when the report could be told.
    pub version: Option<String>,
    /// What decided the report kind.
    pub detected_by: Option<DetectionSource>,
    /// The format the input was read as.
    pub input_format: Option<InputFormat>,
    /// Data rows (CSV) or records (JSON) read.
    pub rows: u64,
    /// Findings kept (at most `max_findings`).
    pub findings: Vec<Finding>,
    /// Errors found, including those not kept.
    pub errors: u64,
    /// Warnings found, including those not kept.
    pub warnings: u64,
    /// Findings not kept because of `max_findings`.
    pub omitted: u64,
    /// Whether the input could not be read at all (exit status 2).
    pub io_error: bool,
}

fn report_name<S: serde::Serializer>(r: &Option<Arc<Report>>, s: S) -> Result<S::Ok, S::Error> {
    match r {
        Some(r) => s.serialize_str(&r.name),
        None => s.serialize_none(),
    }
}

impl FileReport {
    /// Whether the file has no errors (warnings allowed).
    pub fn is_valid(&self) -> bool {
        self.errors == 0
    }

    /// An empty report for `source`, before anything is read.
    pub(crate) fn new(source: &Source) -> FileReport {
        FileReport::named(source.name.clone(), source.index)
    }

    fn named(name: String, index: usize) -> FileReport {
        FileReport {
            name,
            index,
            report: None,
            function: None,
            version: None,
            detected_by: None,
            input_format: None,
            rows: 0,
            findings: Vec::new(),
            errors: 0,
            warnings: 0,
            omitted: 0,
            io_error: false,
        }
    }
}

/// Where a finding points: line, column and the source line.
#[derive(Debug, Clone, Default)]
pub struct Location {
    /// 1-based line (0: the whole input).
    pub line: u64,
    /// 1-based character column.
    pub column: u64,
    /// The source line with the span to mark.
    pub snippet: Option<Snippet>,
}

/// The state of one file being checked; the readers drive it.
pub(crate) struct Checker<'a> {
    pub(crate) registry: &'a Registry,
    pub(crate) options: &'a CheckOptions,
    pub(crate) file_name: Option<&'a str>,
    pub(crate) report: FileReport,
    rules: FileRules,
    sink: &'a mut dyn RecordSink,
    /// The sink wants records (see [`RecordSink::wants_records`]): a call per row is saved
    /// where it does not.
    records: bool,
    /// Header or envelope errors: rows are still checked, but none goes to the sink.
    pub(crate) header_errors: bool,
    /// Where the first gap between consecutive rows was seen, located while the row was at hand.
    gap: Option<Location>,
    /// Reading stopped early (syntax error, limit, I/O): whole-file rules would mislead.
    pub(crate) stopped: bool,
    /// The file being checked, if it is one (not standard input, not a piece).
    path: Option<&'a std::path::Path>,
}

impl<'a> Checker<'a> {
    /// A checker for the whole of `source`, its good records going to `sink`.
    pub(crate) fn new(
        registry: &'a Registry,
        options: &'a CheckOptions,
        source: &'a Source,
        sink: &'a mut dyn RecordSink,
    ) -> Checker<'a> {
        let mut checker = Checker::starting(
            registry,
            options,
            source.file_name(),
            FileReport::new(source),
            sink,
        );
        if let Input::Path(path) = &source.input {
            checker.path = Some(path);
        }
        checker
    }

    /// The size of the file being checked, asked only of a file read in more than one
    /// piece: a stat per file would cost a run of 12,000 small files 6%.
    pub(crate) fn size(&self) -> Option<u64> {
        let meta = std::fs::metadata(self.path?).ok()?;
        meta.is_file().then_some(meta.len())
    }

    /// Whether the input's next pieces are checked on this thread rather than across
    /// threads (see [`CheckOptions::pending`]).
    pub(crate) fn in_turn(&self) -> bool {
        (self.options.pending.as_ref()).is_some_and(|p| p.any())
    }

    /// A checker with fresh file rules and no finding yet, for `report`.
    fn starting<'c>(
        registry: &'c Registry,
        options: &'c CheckOptions,
        file_name: Option<&'c str>,
        report: FileReport,
        sink: &'c mut dyn RecordSink,
    ) -> Checker<'c> {
        Checker {
            registry,
            options,
            file_name,
            report,
            rules: FileRules::default(),
            records: sink.wants_records(),
            sink,
            header_errors: false,
            gap: None,
            stopped: false,
            path: None,
        }
    }

    /// Sets the report kind once detected, telling the sink.
    pub(crate) fn begin(
        &mut self,
        report: &Arc<Report>,
        by: DetectionSource,
        alternatives: &[String],
    ) {
        self.report.report = Some(report.clone());
        self.report.detected_by = Some(by);
        self.report.function = Some(report.function.clone());
        if !alternatives.is_empty() {
            self.push_finding(
                Finding::new(
                    Code::ReportAssumed,
                    1,
                    1,
                    format!("read as {}; the header fits {} too", report.name, alternatives.join(", ")),
                )
                .hint(format!(
                    "name the report with `--report`, or keep the report's name in the file name (e.g. `{}`)",
                    alternatives.first().map(|a| self.registry.find(a).map_or(a.as_str(), |r| r.function.as_str())).unwrap_or("")
                )),
            );
        }
        self.sink.begin(report);
    }

    /// The report kind, once known.
    pub(crate) fn kind(&self) -> Option<Arc<Report>> {
        self.report.report.clone()
    }

    /// Whether more findings would be kept; readers use it to skip costly locating.
    pub(crate) fn wants_more(&self) -> bool {
        self.report.findings.len() < self.options.max_findings
    }

    /// Records a finding, keeping it if under the limit.
    pub(crate) fn push_finding(&mut self, finding: Finding) {
        match finding.severity {
            Severity::Error => self.report.errors += 1,
            Severity::Warning => self.report.warnings += 1,
            Severity::Info => {}
        }
        if self.wants_more() {
            self.report.findings.push(finding);
        } else {
            self.report.omitted += 1;
        }
    }

    /// Records a finding built lazily: locating and formatting are skipped past the limit.
    pub(crate) fn push_with(&mut self, severity: Severity, build: impl FnOnce() -> Finding) {
        if self.wants_more() {
            let finding = build();
            self.push_finding(finding);
        } else {
            match severity {
                Severity::Error => self.report.errors += 1,
                Severity::Warning => self.report.warnings += 1,
                Severity::Info => {}
            }
            self.report.omitted += 1;
        }
    }

    /// A row so broken that no field could be read (wrong field count, invalid UTF-8, not an
    /// object): it counts, but file rules about days cannot judge the file.
    pub(crate) fn skipped_row(&mut self) {
        self.report.rows += 1;
        self.rules.skip();
    }

    /// A read error in the middle of the input.
    pub(crate) fn io_failure(&mut self, e: &std::io::Error) {
        self.report.io_error = true;
        self.stopped = true;
        self.push_finding(Finding::new(
            Code::Io,
            0,
            0,
            format!("reading failed: {}", io_message(e)),
        ));
    }

    /// One row whose fields were converted into `cells` (in schema order). `fields_ok` is false
    /// when a field rule failed: the record and file rules then see only the good cells, and
    /// the row never reaches the sink. `locate` gives the position of a column, or of the row
    /// when `None`.
    pub(crate) fn row(
        &mut self,
        line: u64,
        cells: &[Cell],
        fields_ok: &[bool],
        locate: &dyn Fn(Option<usize>) -> Location,
    ) {
        let all_ok = fields_ok.iter().all(|&ok| ok);
        self.with_report(line, cells, (fields_ok, all_ok), locate);
    }

    /// [`Checker::row`] for a row whose every field passed its rule.
    pub(crate) fn good_row(
        &mut self,
        line: u64,
        cells: &[Cell],
        locate: &dyn Fn(Option<usize>) -> Location,
    ) {
        self.with_report(line, cells, (&[], true), locate);
    }

    /// How many rows of a steady run (see `read::steady`) [`Checker::steady_rows`] would take
    /// whole, at most `most`: as many as there are days not seen yet right before the last
    /// row's.
    pub(crate) fn steady_room(&self, most: u64) -> u64 {
        self.rules.steady_room(most)
    }

    /// Whether the sink wants each good record (see [`RecordSink::wants_records`]).
    pub(crate) fn wants_records(&self) -> bool {
        self.records
    }

    /// Hands a row of a steady run to the sink, before [`Checker::steady_rows`] takes the
    /// run in: the row passed every rule, so it goes where [`Checker::good_row`] would send it.
    pub(crate) fn steady_record(&mut self, line: u64, cells: &[Cell]) {
        if self.header_errors || !self.records {
            return;
        }
        if let Some(report) = self.report.report.take() {
            self.sink.record(&Record {
                report: &report,
                line,
                cells,
            });
            self.report.report = Some(report);
        }
    }

    /// Offers the sink the rows of a steady run to come as text (see [`TextRun`]): `base`
    /// holds the cells of the row before, on line `line`; `varying` the columns whose texts
    /// each row gives; `first_day` the first row's report date. Whether the sink took the
    /// offer: if it did, each row goes through [`Checker::run_record`], else through
    /// [`Checker::steady_record`].
    pub(crate) fn text_run(
        &mut self,
        (base, line): (&[Cell], u64),
        varying: &[usize],
        first_day: NaiveDate,
    ) -> bool {
        if self.header_errors || !self.records {
            return false;
        }
        let Some(report) = self.report.report.as_deref() else {
            return false;
        };
        self.sink.text_run(&TextRun {
            base: Record {
                report,
                line,
                cells: base,
            },
            varying,
            first_day,
        })
    }

    /// Hands a row of the steady run the sink took as text ([`Checker::text_run`]) to it:
    /// the texts of the run's varying columns.
    pub(crate) fn run_record(&mut self, texts: &[&[u8]]) {
        self.sink.run_record(texts);
    }

    /// Takes in up to `rows` rows of a steady run (see `read::steady`) that follow the last
    /// row seen, which passed every rule: every field passed, the record rules held, the
    /// report dates go down a day a row. Returns how many it took, all but those from the
    /// first day seen before in the file on (the caller checks those row by row, to report
    /// the repeat where it is); none when the sink wants each record.
    pub(crate) fn steady_rows(&mut self, rows: u64) -> u64 {
        let taken = self.rules.steady(rows);
        self.report.rows += taken;
        taken
    }

    /// [`Checker::row_of`] with the file's report at hand.
    fn with_report(
        &mut self,
        line: u64,
        cells: &[Cell],
        fields: (&[bool], bool),
        locate: &dyn Fn(Option<usize>) -> Location,
    ) {
        // Taken and put back rather than cloned: pieces of one file are checked on several
        // threads, and a reference count bumped on every row would bounce between cores.
        let Some(report) = self.report.report.take() else {
            return;
        };
        self.row_of(&report, line, cells, fields, locate);
        self.report.report = Some(report);
    }

    fn row_of(
        &mut self,
        report: &Arc<Report>,
        line: u64,
        cells: &[Cell],
        (fields_ok, all_ok): (&[bool], bool),
        locate: &dyn Fn(Option<usize>) -> Location,
    ) {
        self.report.rows += 1;
        let mut record_ok = true;
        if all_ok {
            check_record(report, cells, |p| {
                record_ok = false;
                self.record_problem(report, p, locate);
            });
            // Native rules cover what the built-in schemas say (a property test proves it);
            // a user's schema may say more (patterns, bounds on other keywords), so its
            // records also go through the compiled JSON Schema.
            if record_ok && report.user_supplied {
                record_ok = self.schema_rules(report, line, cells, locate);
            }
        }
        // File rules need the period, refresh and report dates: only rows where those parsed.
        let key_columns_ok = all_ok
            || [report.period(), report.refresh_date(), report.report_date()]
                .into_iter()
                .flatten()
                .all(|i| fields_ok[i]);
        if key_columns_ok {
            let mut file_problems = Vec::new();
            self.rules
                .observe(report, line, cells, |p| file_problems.push(p));
            if self.gap.is_none() && self.rules.first_gap_line() == Some(line) {
                self.gap = Some(locate(report.report_date()));
            }
            if !file_problems.is_empty() {
                self.file_problems(report, file_problems, locate);
            }
        } else {
            self.rules.skip();
        }
        if all_ok && record_ok && !self.header_errors && self.records {
            self.sink.record(&Record {
                report,
                line,
                cells,
            });
        }
    }

    /// Reports a broken record rule.
    #[cold]
    #[inline(never)]
    fn record_problem(
        &mut self,
        report: &Report,
        p: RecordProblem,
        locate: &dyn Fn(Option<usize>) -> Location,
    ) {
        self.push_with(p.code.severity(), || {
            let loc = locate(Some(p.column));
            Finding::new(p.code, loc.line, loc.column, p.message)
                .field(report.columns[p.column].csv.clone())
                .found(p.found)
                .expected(p.expected)
                .snippet(loc.snippet)
                .hint(p.hint.unwrap_or_default())
        });
    }

    /// Checks a record against a user's compiled schema; whether it passed.
    #[inline(never)]
    fn schema_rules(
        &mut self,
        report: &Report,
        line: u64,
        cells: &[Cell],
        locate: &dyn Fn(Option<usize>) -> Location,
    ) -> bool {
        let record = Record {
            report,
            line,
            cells,
        };
        let value = serde_json::Value::Object(record.to_json());
        let mut schema_ok = true;
        for error in report.validator().iter_errors(&value) {
            schema_ok = false;
            let path = error.instance_path().to_string();
            let column = report
                .columns
                .iter()
                .position(|c| path.trim_start_matches('/') == c.property);
            self.push_with(Code::SchemaConstraint.severity(), || {
                let loc = locate(column);
                let mut f = Finding::new(
                    Code::SchemaConstraint,
                    loc.line,
                    loc.column,
                    format!("{error}"),
                )
                .snippet(loc.snippet)
                .hint(format!("required by the schema of {}", report.name));
                if let Some(c) = column {
                    f = f
                        .field(report.columns[c].csv.clone())
                        .found(error.instance().to_string());
                }
                f
            });
        }
        schema_ok
    }

    /// Reports broken file rules seen at a row.
    #[cold]
    #[inline(never)]
    fn file_problems(
        &mut self,
        report: &Report,
        problems: Vec<FileProblem>,
        locate: &dyn Fn(Option<usize>) -> Location,
    ) {
        for p in problems {
            self.push_with(p.code.severity(), || {
                let loc = locate(p.column);
                let mut f =
                    Finding::new(p.code, loc.line, loc.column, p.message).snippet(loc.snippet);
                if let Some(c) = p.column {
                    f = f.field(report.columns[c].csv.clone());
                }
                match p.hint {
                    Some(h) => f.hint(h),
                    None => f,
                }
            });
        }
    }

    /// A checker for a later piece of this file, to run on another thread: same report,
    /// options and name, fresh findings and file rules, its good records going to `sink`
    /// (see [`Checker::piece_records`]).
    pub(crate) fn piece<'p>(
        registry: &'p Registry,
        options: &'p CheckOptions,
        file_name: Option<&'p str>,
        report: &Arc<Report>,
        sink: &'p mut dyn RecordSink,
    ) -> Checker<'p> {
        let mut checked = FileReport::named(String::new(), 0);
        checked.report = Some(report.clone());
        Checker::starting(registry, options, file_name, checked, sink)
    }

    /// Tells the file rules that about `bytes` more bytes of rows like those checked so
    /// far (`seen` bytes of them) are to come.
    pub(crate) fn expect_bytes(&mut self, seen: usize, bytes: u64) {
        let rows = self.report.rows as u128 * u128::from(bytes) / seen.max(1) as u128;
        // Bounded: a size that lies (a file growing) costs memory, never more than this.
        self.rules.expect_rows(rows.min(1 << 22) as usize);
    }

    /// What a piece's checker found, to hand to [`Checker::absorb`].
    pub(crate) fn into_piece(self) -> Piece {
        Piece {
            clean: !self.stopped && self.report.findings.is_empty() && self.report.omitted == 0,
            rows: self.report.rows,
            rules: self.rules,
            gap: self.gap,
        }
    }

    /// Where a later piece of this file, checked on another thread, puts its good records:
    /// a fork of the sink that does its work there, or else a buffer (kept only if the sink
    /// wants records). Made here, on the file's own thread, before the piece is checked.
    pub(crate) fn piece_records(&mut self) -> PieceRecords {
        match self.sink.fork() {
            Some(fork) => PieceRecords::Forked(fork),
            None => PieceRecords::Kept(RecordBuffer::new(self.sink.wants_records())),
        }
    }

    /// Takes in a piece checked on its own, with its good records, when that is exactly what
    /// checking its rows here would have done: the piece found nothing, nothing is found
    /// at the seam, and the sink takes its records as they are. `false` (nothing changed)
    /// otherwise: the caller checks the piece's rows here instead, so findings and records
    /// are the same whichever way a file is read.
    pub(crate) fn absorb(&mut self, piece: &Piece, records: &mut PieceRecords) -> bool {
        if !piece.clean || !self.rules.joins(&piece.rules) {
            return false;
        }
        if let (false, Some(report)) = (self.header_errors, &self.report.report) {
            match records {
                PieceRecords::Forked(fork) => {
                    if !self.sink.join(fork.as_mut()) {
                        return false;
                    }
                }
                PieceRecords::Kept(buffer) => {
                    for (line, cells) in buffer.records() {
                        self.sink.record(&Record {
                            report,
                            line,
                            cells,
                        });
                    }
                }
            }
        }
        self.rules.append_joined(&piece.rules);
        self.report.rows += piece.rows;
        if self.gap.is_none() {
            self.gap.clone_from(&piece.gap);
        }
        true
    }

    /// Applies the whole-file rules (unless reading stopped early), tells the sink whether
    /// the file was valid, and gives the report.
    pub(crate) fn finish(mut self) -> FileReport {
        if let Some(report) = self.kind() {
            if !self.stopped {
                let mut problems = Vec::new();
                self.rules.finish(&report, |p| problems.push(p));
                for p in problems {
                    let field = p.column.map(|c| report.columns[c].csv.clone());
                    let at = match &self.gap {
                        Some(gap) if p.code == Code::DateGap && gap.line == p.line => gap.clone(),
                        _ => Location {
                            line: p.line.max(1),
                            column: 1,
                            snippet: None,
                        },
                    };
                    let mut f =
                        Finding::new(p.code, at.line, at.column, p.message).snippet(at.snippet);
                    f.field = field;
                    f.hint = p.hint;
                    self.push_finding(f);
                }
            }
        }
        // Empty hints from builders are noise.
        for f in &mut self.report.findings {
            if f.hint.as_deref() == Some("") {
                f.hint = None;
            }
        }
        let valid = self.report.is_valid();
        self.sink.finish(valid);
        self.report
    }
}

/// What checking one piece of a file on its own found; see [`Checker::absorb`].
pub(crate) struct Piece {
    clean: bool,
    rows: u64,
    rules: FileRules,
    gap: Option<Location>,
}

/// Where a piece checked on another thread puts its good records; see
/// [`Checker::piece_records`].
pub(crate) enum PieceRecords {
    /// Kept as cells, handed to the file's sink when the piece is absorbed.
    Kept(RecordBuffer),
    /// Handled by a fork of the file's sink, joined to it when the piece is absorbed.
    Forked(Box<dyn Fork>),
}

impl PieceRecords {
    /// The sink the piece's checker feeds.
    pub(crate) fn sink(&mut self) -> &mut dyn RecordSink {
        match self {
            PieceRecords::Kept(buffer) => buffer,
            PieceRecords::Forked(fork) => fork.as_mut(),
        }
    }
}
