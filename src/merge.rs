//! Merging overlapping exports into one record per series, report and report date.
//!
//! A snapshot report (a row per download, no report date) is dated by its refresh date and
//! its period joins the series name, as a dimension value does (`SERIES/Report Period=7`):
//! downloads of several periods on one day hold different counts and never conflict.
//!
//! Users download the same report every day, so one report date appears in many files. The
//! rule is the one Graph's own data suggests: the record with the newest refresh date wins.
//! Two files with the same refresh date but different values are a [`Conflict`]; the one
//! first in input order (smallest [`Source::index`](crate::discover::Source::index)) is kept.
//!
//! The merge works on whole records so that `trend`, `convert --merge` and the archive share
//! it. It is order-independent: a [`Merge`] per file, combined with [`Merge::absorb`] in any
//! order and grouping (rayon's `fold` and `reduce`), gives the same [`Merged`] result. That
//! holds because each key keeps only its newest refresh date's distinct value-sets, each with
//! the smallest file index that had it, and that state combines like a maximum and a minimum.
//! Memory is bounded by the number of distinct keys (times the rare conflicting value-sets;
//! up to twice that between two compactions, see `Days`), not by the number of files or
//! rows read.

use std::collections::btree_map::Entry;
use std::collections::BTreeMap;
use std::sync::Arc;

use chrono::NaiveDate;

use crate::record::{Cell, Fork, Record, RecordSink};
use crate::schema::{Report, Role};

/// The file a record came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Origin {
    /// Position in input order ([`Source::index`](crate::discover::Source::index)).
    pub index: usize,
    /// The file's name as shown to the user.
    pub name: Arc<str>,
}

/// One candidate record for a key: a distinct value-set (a row of its [`Days::rows`]) and
/// the first file that had it.
#[derive(Debug, Clone)]
struct Candidate {
    row: usize,
    origin: Origin,
}

/// Everything kept for one key: the newest refresh date seen and its distinct value-sets.
#[derive(Debug, Clone)]
struct Slot {
    refresh: Option<NaiveDate>,
    /// The first distinct value-set, held inline: a key costs no allocation of its own.
    first: Candidate,
    /// More only when files with the same refresh date disagree (empty: no allocation).
    others: Vec<Candidate>,
}

impl Slot {
    /// The value-set of the first file in input order, and the others (conflicts) in input
    /// order.
    fn resolve(self) -> (Candidate, Vec<Candidate>) {
        if self.others.is_empty() {
            return (self.first, self.others);
        }
        let mut candidates = Vec::with_capacity(1 + self.others.len());
        candidates.push(self.first);
        candidates.extend(self.others);
        candidates.sort_by_key(|c| c.origin.index);
        let winner = candidates.remove(0);
        (winner, candidates)
    }
}

/// Records of one report, `width` cells each, one after another in one vector: millions
/// of keys cost no allocation each, and freeing them is one free, not one per record.
#[derive(Debug, Clone, Default)]
struct Rows {
    width: usize,
    cells: Vec<Cell>,
}

impl Rows {
    fn get(&self, row: usize) -> &[Cell] {
        &self.cells[row * self.width..(row + 1) * self.width]
    }

    fn push(&mut self, cells: &[Cell]) -> usize {
        self.cells.extend_from_slice(cells);
        (self.cells.len() / self.width.max(1)).saturating_sub(1)
    }

    fn len(&self) -> usize {
        self.cells.len() / self.width.max(1)
    }

    /// Moves a row's cells out (leaving nulls): each row is handed out once.
    fn take(&mut self, row: usize) -> impl Iterator<Item = Cell> + '_ {
        self.cells[row * self.width..(row + 1) * self.width]
            .iter_mut()
            .map(std::mem::take)
    }
}

/// Whether two records of `report` carry the same values. The period column is left out: a
/// D7 and a D30 download refreshed the same day report the same counts for a shared date.
/// The archive compares a stored record with a new one by the same rule.
pub(crate) fn same_values(report: &Report, a: &[Cell], b: &[Cell]) -> bool {
    a.len() == b.len()
        && a.iter()
            .zip(b)
            .zip(&report.columns)
            .all(|((x, y), col)| col.role == Role::Period || x == y)
}

/// The days of one series of one report.
///
/// Slots are a vector sorted by date, not a map: records are appended as they come and
/// merged in by [`Days::compact`] once the appended part is as long as the sorted part (so
/// memory stays within twice the distinct keys), or at the end. A single big file, already
/// in date order, thus costs one pass and no tree; and its rows are used where they lie.
#[derive(Debug, Clone)]
struct Days {
    report: Arc<Report>,
    /// `(report date, slot)`: sorted, one slot per date, up to `sorted`; appended after.
    slots: Vec<(NaiveDate, Slot)>,
    sorted: usize,
    /// The candidates' values; rows no candidate points at any more are dropped by
    /// [`Days::compact`] once they are the majority.
    rows: Rows,
    files: u64,
}

/// Below this many slots, appending goes on without compacting (tests compact early, so
/// that the order-independence properties cover compaction in the middle of a merge).
const COMPACT_MIN: usize = if cfg!(test) { 4 } else { 256 };

impl Days {
    fn new(report: Arc<Report>) -> Days {
        Days {
            rows: Rows {
                width: report.columns.len(),
                cells: Vec::new(),
            },
            report,
            slots: Vec::new(),
            sorted: 0,
            files: 0,
        }
    }

    /// Appends a slot holding `cells` from `origin`.
    fn add(
        &mut self,
        date: NaiveDate,
        refresh: Option<NaiveDate>,
        cells: &[Cell],
        origin: &Origin,
    ) {
        let row = self.rows.push(cells);
        self.slots.push((
            date,
            Slot {
                refresh,
                first: Candidate {
                    row,
                    origin: origin.clone(),
                },
                others: Vec::new(),
            },
        ));
    }

    /// Compacts when the appended slots are as many as the sorted ones.
    fn maybe_compact(&mut self) {
        if self.slots.len() - self.sorted > self.sorted.max(COMPACT_MIN) {
            self.compact();
        }
    }

    /// Sorts the slots by date and merges those of one date into one: the newest refresh
    /// date wins; at the same refresh date each distinct value-set is kept with the smallest
    /// file index that had it. Then drops the rows no candidate needs, if they are most.
    fn compact(&mut self) {
        if self.sorted == self.slots.len() {
            return;
        }
        // Stable, and linear on input already in order or in reverse order (Graph's files
        // are newest first).
        self.slots.sort_by_key(|(date, _)| *date);
        // In place: `dedup_by` hands each slot with its predecessor's date to `combine` and
        // drops it.
        let (report, rows) = (&self.report, &self.rows);
        self.slots.dedup_by(|(date, slot), (kept_date, kept)| {
            *date == *kept_date && {
                combine(report, rows, kept, slot);
                true
            }
        });
        self.sorted = self.slots.len();
        let used: usize = self.slots.iter().map(|(_, s)| 1 + s.others.len()).sum();
        if used * 2 < self.rows.len() {
            let mut rows = Rows {
                width: self.rows.width,
                cells: Vec::with_capacity(used * self.rows.width),
            };
            for (_, slot) in &mut self.slots {
                for c in std::iter::once(&mut slot.first).chain(slot.others.iter_mut()) {
                    rows.cells.extend(self.rows.take(c.row));
                    c.row = rows.len() - 1;
                }
            }
            self.rows = rows;
        }
    }

    fn absorb(&mut self, mut other: Days) {
        self.files += other.files;
        if self.slots.is_empty() {
            other.files = self.files;
            *self = other;
            return;
        }
        for (date, mut slot) in other.slots {
            for c in std::iter::once(&mut slot.first).chain(slot.others.iter_mut()) {
                self.rows.cells.extend(other.rows.take(c.row));
                c.row = self.rows.len() - 1;
            }
            self.slots.push((date, slot));
        }
        self.maybe_compact();
    }

    /// The winners' values in date order, and the rows for the conflicts: the rows as they
    /// lie when they already are in date order (or its reverse, as Graph writes), without
    /// copying.
    fn into_values(mut self) -> (Vec<(NaiveDate, Slot)>, Rows, Vec<Cell>) {
        self.compact();
        let n = self.slots.len();
        let plain = self.slots.iter().all(|(_, s)| s.others.is_empty()) && self.rows.len() == n;
        if plain
            && self
                .slots
                .iter()
                .enumerate()
                .all(|(i, (_, s))| s.first.row == i)
        {
            let values = std::mem::take(&mut self.rows.cells);
            return (self.slots, self.rows, values);
        }
        if plain
            && self
                .slots
                .iter()
                .enumerate()
                .all(|(i, (_, s))| s.first.row == n - 1 - i)
        {
            let mut values = std::mem::take(&mut self.rows.cells);
            values.reverse();
            for row in values.chunks_mut(self.rows.width.max(1)) {
                row.reverse();
            }
            return (self.slots, self.rows, values);
        }
        let mut values = Vec::with_capacity(n * self.rows.width);
        for (_, slot) in &mut self.slots {
            // The winner is the candidate of the smallest file index (see `Slot::resolve`).
            let winner = std::iter::once(&slot.first)
                .chain(&slot.others)
                .min_by_key(|c| c.origin.index)
                .map_or(slot.first.row, |c| c.row);
            values.extend(self.rows.take(winner));
        }
        (self.slots, self.rows, values)
    }
}

/// Merges `other` into `base`, two slots of one date whose rows are both in `rows`, leaving
/// `other` to be dropped: as if each of `other`'s candidates were offered in turn (the
/// first of a newer download replaces everything, the others, distinct from it, join it).
fn combine(report: &Report, rows: &Rows, base: &mut Slot, other: &mut Slot) {
    if other.refresh < base.refresh {
        return;
    }
    if other.refresh > base.refresh {
        std::mem::swap(base, other);
        return;
    }
    let first = other.first.clone();
    for cand in std::iter::once(first).chain(std::mem::take(&mut other.others)) {
        match std::iter::once(&mut base.first)
            .chain(base.others.iter_mut())
            .find(|c| same_values(report, rows.get(c.row), rows.get(cand.row)))
        {
            Some(c) => {
                if cand.origin.index < c.origin.index {
                    *c = cand;
                }
            }
            None => base.others.push(cand),
        }
    }
}

/// Whether a collected file may be merged.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum FileState {
    /// Records are still arriving; validity is unknown.
    Open,
    /// The checker finished it as valid.
    Valid,
    /// The checker found errors: its records are dropped.
    Invalid,
}

/// While a [`Merge`] collects one file: its records, flat, until the file proves valid.
/// Buffering plain rows (not a map) keeps the per-record cost to a copy; allocation happens
/// only when a row is kept by [`Merge::absorb`].
#[derive(Debug, Clone)]
struct FileCollector {
    series: String,
    origin: Origin,
    report: Option<Arc<Report>>,
    /// (report date, refresh date) per row.
    dates: Vec<(NaiveDate, Option<NaiveDate>)>,
    /// Row after row, `report.columns.len()` cells each.
    cells: Vec<Cell>,
    state: FileState,
}

/// Whether a report's rows are placed on a timeline by their refresh date: a snapshot
/// report (a row per download, no report date and no entity) is; a detail report's rows
/// are entities, merged by nobody (`trend` sums them per download first).
fn dated_by_refresh(report: &Report) -> bool {
    report.report_date().is_none() && report.entity().is_none()
}

/// The columns whose values split a file's rows into series: the dimensions, and for a
/// snapshot report its period (a D7 and a D30 download of one day hold different counts).
fn series_columns(report: &Report) -> Vec<usize> {
    let mut columns = report.dimensions().to_vec();
    if dated_by_refresh(report) {
        columns.extend(report.period());
    }
    columns
}

/// The rows a [`FileCollector`] would take from a record: its report date and refresh
/// date, and its cells appended to `cells`; `None` for a record it does not take (not of
/// the report's width, or without a report date).
fn collected(
    report: &Report,
    record: &Record<'_>,
    cells: &mut Vec<Cell>,
) -> Option<(NaiveDate, Option<NaiveDate>)> {
    // Rows are stored flat, so each must have exactly the report's width; a record without
    // a report date cannot be placed on a timeline.
    if record.cells.len() != report.columns.len() {
        return None;
    }
    let date = record.report_date().or_else(|| {
        dated_by_refresh(report)
            .then(|| record.refresh_date())
            .flatten()
    })?;
    cells.extend_from_slice(record.cells);
    Some((date, record.refresh_date()))
}

/// The rows of a later piece of a large file, collected on the thread checking it (see
/// [`RecordSink::fork`]) and appended whole when the piece is joined: the joining thread
/// moves two vectors instead of taking the piece's records one by one.
struct CollectedPiece {
    report: Arc<Report>,
    dates: Vec<(NaiveDate, Option<NaiveDate>)>,
    cells: Vec<Cell>,
}

impl RecordSink for CollectedPiece {
    fn record(&mut self, record: &Record<'_>) {
        if let Some(dates) = collected(&self.report, record, &mut self.cells) {
            self.dates.push(dates);
        }
    }
}

impl Fork for CollectedPiece {
    fn as_any(&mut self) -> &mut dyn std::any::Any {
        self
    }
}

/// A partial or complete merge of records keyed by (series, report, report date).
///
/// Create one per file with [`Merge::for_file`] and hand it to the checker as its
/// [`RecordSink`]; records are kept only if [`RecordSink::finish`] reports the file valid.
/// Combine merges with [`Merge::absorb`] in any order, then call [`Merge::into_merged`].
#[derive(Debug, Clone, Default)]
pub struct Merge {
    /// series -> report name -> days.
    series: BTreeMap<String, BTreeMap<String, Days>>,
    file: Option<FileCollector>,
    files: u64,
    records: u64,
}

impl Merge {
    /// An empty merge, the identity of [`Merge::absorb`].
    pub fn new() -> Merge {
        Merge::default()
    }

    /// A collector for the records of one file, belonging to `series`.
    pub fn for_file(series: &str, index: usize, name: &str) -> Merge {
        Merge {
            file: Some(FileCollector {
                series: series.to_string(),
                origin: Origin {
                    index,
                    name: Arc::from(name),
                },
                report: None,
                dates: Vec::new(),
                cells: Vec::new(),
                state: FileState::Open,
            }),
            ..Merge::default()
        }
    }

    /// Adds everything `other` holds. A file collector whose file has not finished as valid
    /// adds nothing.
    pub fn absorb(&mut self, other: Merge) {
        self.files += other.files;
        self.records += other.records;
        for (name, reports) in other.series {
            let mine = self.series.entry(name).or_default();
            for (report, days) in reports {
                match mine.entry(report) {
                    Entry::Vacant(v) => {
                        v.insert(days);
                    }
                    Entry::Occupied(mut o) => o.get_mut().absorb(days),
                }
            }
        }
        if let Some(file) = other.file {
            self.absorb_file(file);
        }
    }

    /// Offers a finished, valid file's rows, copying only those that are kept.
    fn absorb_file(&mut self, file: FileCollector) {
        let (FileState::Valid, Some(report)) = (file.state, file.report.clone()) else {
            return;
        };
        self.files += 1;
        self.records += file.dates.len() as u64;
        let split = series_columns(&report);
        if split.is_empty() {
            self.absorb_rows(file, report);
            return;
        }
        // A report with a row per dimension value a day (`Site Type`) is one series per
        // value, `SERIES/Site Type=Team`: merging on the date alone would make the values
        // of one day conflict and keep one of them.
        let width = report.columns.len();
        let mut parts: BTreeMap<String, FileCollector> = BTreeMap::new();
        for (&(date, refresh), cells) in file.dates.iter().zip(file.cells.chunks(width.max(1))) {
            let mut name = file.series.clone();
            for (k, &d) in split.iter().enumerate() {
                name.push(if k == 0 { '/' } else { ',' });
                name.push_str(&report.columns[d].csv);
                name.push('=');
                cells[d].write_text(&report.columns[d].kind, &mut name);
            }
            let part = parts.entry(name.clone()).or_insert_with(|| FileCollector {
                series: name,
                origin: file.origin.clone(),
                report: file.report.clone(),
                dates: Vec::new(),
                cells: Vec::new(),
                state: FileState::Valid,
            });
            part.dates.push((date, refresh));
            part.cells.extend_from_slice(cells);
        }
        for part in parts.into_values() {
            self.absorb_rows(part, report.clone());
        }
    }

    /// Merges the rows of one valid file (or of one dimension value of it) into its series.
    fn absorb_rows(&mut self, file: FileCollector, report: Arc<Report>) {
        // Lookups by &str: no key is allocated unless the series or report is new.
        if !self.series.contains_key(&file.series) {
            self.series.insert(file.series.clone(), BTreeMap::new());
        }
        let Some(reports) = self.series.get_mut(&file.series) else {
            return;
        };
        if !reports.contains_key(&report.name) {
            reports.insert(report.name.clone(), Days::new(report.clone()));
        }
        let Some(days) = reports.get_mut(&report.name) else {
            return;
        };
        days.files += 1;
        let width = report.columns.len();
        if width == 0 {
            return;
        }
        if days.slots.is_empty() {
            // The first file of its series: its rows become the series' rows as they are,
            // so a big single file is not copied at all.
            days.rows.cells = file.cells;
            days.slots = file
                .dates
                .iter()
                .enumerate()
                .map(|(row, &(date, refresh))| {
                    let first = Candidate {
                        row,
                        origin: file.origin.clone(),
                    };
                    let others = Vec::new();
                    (
                        date,
                        Slot {
                            refresh,
                            first,
                            others,
                        },
                    )
                })
                .collect();
            days.sorted = 0;
        } else {
            for (&(date, refresh), cells) in file.dates.iter().zip(file.cells.chunks(width)) {
                days.add(date, refresh, cells, &file.origin);
            }
        }
        days.maybe_compact();
    }

    /// [`Merge::absorb`] by value, for rayon's `reduce`.
    pub fn merge(mut self, other: Merge) -> Merge {
        // Absorbing the smaller into the larger moves fewer entries; the result is the same.
        if self.len() < other.len() {
            let mut other = other;
            other.absorb(self);
            return other;
        }
        self.absorb(other);
        self
    }

    fn days(&self) -> impl Iterator<Item = &Days> {
        self.series.values().flat_map(BTreeMap::values)
    }

    /// The number of records held: the distinct (series, report, report date) keys, plus
    /// records merged in since the last compaction that may share a key with another (a
    /// file collector counts its rows). Zero only when nothing is held.
    pub fn len(&self) -> usize {
        self.days().map(|d| d.slots.len()).sum::<usize>()
            + self.file.as_ref().map_or(0, |f| f.dates.len())
    }

    /// Whether no record has been kept.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The number of valid files absorbed.
    pub fn files(&self) -> u64 {
        self.files
    }

    /// The number of records read from valid files (before merging).
    pub fn records(&self) -> u64 {
        self.records
    }

    /// Resolves every key to its winner and lists the conflicts, sorted by series, report
    /// and report date.
    pub fn into_merged(mut self) -> Merged {
        if let Some(file) = self.file.take() {
            self.absorb_file(file);
        }
        let mut series = Vec::with_capacity(self.series.len());
        let mut conflicts = Vec::new();
        for (name, reports) in self.series {
            for (_, days) in reports {
                let report = days.report.clone();
                let files = days.files;
                let (slots, mut rows, values) = days.into_values();
                let mut records = Vec::with_capacity(slots.len());
                for (date, slot) in slots {
                    let refresh = slot.refresh;
                    let (winner, rest) = slot.resolve();
                    for other in rest {
                        conflicts.push(Conflict {
                            series: name.clone(),
                            report: report.name.clone(),
                            date,
                            refresh,
                            kept: winner.origin.clone(),
                            other: other.origin,
                            other_cells: rows.take(other.row).collect(),
                        });
                    }
                    records.push(MergedRecord {
                        date,
                        refresh,
                        source: winner.origin,
                    });
                }
                series.push(MergedSeries {
                    name: name.clone(),
                    report,
                    files,
                    records,
                    values,
                });
            }
        }
        Merged { series, conflicts }
    }
}

impl RecordSink for Merge {
    fn begin(&mut self, report: &Arc<Report>) {
        if let Some(file) = &mut self.file {
            file.report = Some(report.clone());
        }
    }

    fn record(&mut self, record: &Record<'_>) {
        // Only an open file collector takes records, and only after `begin` named the
        // report.
        let Some(file) = &mut self.file else { return };
        let Some(report) = &file.report else { return };
        if file.state != FileState::Open {
            return;
        }
        if let Some(dates) = collected(report, record, &mut file.cells) {
            file.dates.push(dates);
        }
    }

    fn fork(&mut self) -> Option<Box<dyn Fork>> {
        let file = self.file.as_ref()?;
        if file.state != FileState::Open {
            return None;
        }
        Some(Box::new(CollectedPiece {
            report: file.report.clone()?,
            dates: Vec::new(),
            cells: Vec::new(),
        }))
    }

    fn join(&mut self, fork: &mut dyn Fork) -> bool {
        let Some(piece) = fork.as_any().downcast_mut::<CollectedPiece>() else {
            return false;
        };
        let Some(file) = &mut self.file else {
            return false;
        };
        let same_report = file
            .report
            .as_ref()
            .is_some_and(|r| Arc::ptr_eq(r, &piece.report));
        if file.state != FileState::Open || !same_report {
            return false;
        }
        file.dates.append(&mut piece.dates);
        file.cells.append(&mut piece.cells);
        true
    }

    fn finish(&mut self, valid: bool) {
        let Some(file) = &mut self.file else { return };
        if file.state != FileState::Open {
            return;
        }
        if valid {
            file.state = FileState::Valid;
        } else {
            file.state = FileState::Invalid;
            // Nothing of an invalid file is kept; free its rows now.
            file.dates = Vec::new();
            file.cells = Vec::new();
        }
    }
}

/// The winning record of one key.
#[derive(Debug, Clone, PartialEq)]
pub struct MergedRecord {
    /// The report date.
    pub date: NaiveDate,
    /// The newest refresh date among the files that had this date.
    pub refresh: Option<NaiveDate>,
    /// The file the kept record came from.
    pub source: Origin,
}

/// All merged records of one series of one report, oldest date first.
#[derive(Debug, Clone)]
pub struct MergedSeries {
    /// The series name (a folder, or the report's name when not grouping).
    pub name: String,
    /// The report the records belong to.
    pub report: Arc<Report>,
    /// The number of valid files that contributed records (kept or not).
    pub files: u64,
    /// One record per report date, ascending; record `i`'s values are [`Self::cells`]`(i)`.
    pub records: Vec<MergedRecord>,
    /// The records' values, one after another, `report.columns.len()` per record: one
    /// vector for the whole series instead of one per record (see [`Self::cells`]).
    pub values: Vec<Cell>,
}

impl MergedSeries {
    /// An empty series of `report`.
    pub fn new(name: String, report: Arc<Report>, files: u64) -> MergedSeries {
        MergedSeries {
            name,
            report,
            files,
            records: Vec::new(),
            values: Vec::new(),
        }
    }

    /// The values of record `i` in the schema's column order; empty if there is no such
    /// record.
    pub fn cells(&self, i: usize) -> &[Cell] {
        let width = self.report.columns.len();
        self.values
            .get(i * width..(i + 1) * width)
            .unwrap_or_default()
    }

    /// Every record with its values, oldest first.
    pub fn rows(&self) -> impl DoubleEndedIterator<Item = (&MergedRecord, &[Cell])> {
        self.records
            .iter()
            .enumerate()
            .map(|(i, record)| (record, self.cells(i)))
    }

    /// Appends a record and its values, which must be in the schema's column order: missing
    /// ones are null, extra ones are dropped, so every record keeps its place.
    pub fn push(&mut self, record: MergedRecord, cells: &[Cell]) {
        let width = self.report.columns.len();
        self.values.extend(cells.iter().take(width).cloned());
        self.values.extend(std::iter::repeat_n(
            Cell::Null,
            width.saturating_sub(cells.len()),
        ));
        self.records.push(record);
    }
}

/// Two files with the same refresh date that disagree about a report date.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Conflict {
    /// The series.
    pub series: String,
    /// The report's name.
    pub report: String,
    /// The report date they disagree about.
    pub date: NaiveDate,
    /// The refresh date both files have.
    pub refresh: Option<NaiveDate>,
    /// The file whose record was kept (first in input order).
    pub kept: Origin,
    /// The file whose record was dropped.
    pub other: Origin,
    /// The dropped record's values in schema order (the archive keeps them for review).
    pub other_cells: Vec<Cell>,
}

/// The result of a merge: series sorted by (name, report name), and the conflicts found.
#[derive(Debug, Clone)]
pub struct Merged {
    /// Every series, sorted by name, then report name.
    pub series: Vec<MergedSeries>,
    /// Conflicts, sorted by series, report, date and the dropped file's input position.
    pub conflicts: Vec<Conflict>,
}

impl Merged {
    /// Every kept record with its series and values, sorted by (series, report, report
    /// date).
    pub fn records(&self) -> impl Iterator<Item = (&MergedSeries, &MergedRecord, &[Cell])> {
        self.series
            .iter()
            .flat_map(|s| s.rows().map(move |(r, cells)| (s, r, cells)))
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::schema::{Kind, Registry};
    use proptest::prelude::*;

    pub(crate) fn group_counts() -> Arc<Report> {
        Registry::builtin()
            .unwrap()
            .find("GroupCounts")
            .unwrap()
            .clone()
    }

    pub(crate) fn day(n: i64) -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 1, 1).unwrap() + chrono::Duration::days(n)
    }

    /// A GroupCounts row in column order, built from the schema's roles and ratio.
    pub(crate) fn row(
        report: &Report,
        refresh: i64,
        date: i64,
        total: Option<i64>,
        active: Option<i64>,
        period: &str,
    ) -> Vec<Cell> {
        let ratio = report.ratio.unwrap();
        let mut cells = vec![Cell::Null; report.columns.len()];
        cells[report.refresh_date().unwrap()] = Cell::Date(day(refresh));
        cells[report.report_date().unwrap()] = Cell::Date(day(date));
        let p = report.period().unwrap();
        let Kind::Enum(values) = &report.columns[p].kind else {
            unreachable!()
        };
        cells[p] = Cell::Enum(values.iter().position(|v| v == period).unwrap() as u16);
        cells[ratio.denominator] = total.map_or(Cell::Null, Cell::Int);
        cells[ratio.numerator] = active.map_or(Cell::Null, Cell::Int);
        cells
    }

    /// Feeds one file's rows through a per-file collector the way the checker does.
    pub(crate) fn file(
        report: &Arc<Report>,
        series: &str,
        index: usize,
        rows: &[Vec<Cell>],
        valid: bool,
    ) -> Merge {
        let mut m = Merge::for_file(series, index, &format!("f{index}.csv"));
        m.begin(report);
        for (i, cells) in rows.iter().enumerate() {
            m.record(&Record {
                report,
                line: i as u64 + 2,
                cells,
            });
        }
        m.finish(valid);
        m
    }

    /// (series, date, total, active, kept file index) per merged record.
    type Row = (String, NaiveDate, Option<i64>, Option<i64>, usize);

    fn values(m: &Merged) -> Vec<Row> {
        m.records()
            .map(|(s, r, cells)| {
                let ratio = s.report.ratio.unwrap();
                (
                    s.name.clone(),
                    r.date,
                    cells[ratio.denominator].as_int(),
                    cells[ratio.numerator].as_int(),
                    r.source.index,
                )
            })
            .collect()
    }

    /// Feeds `rows` to `sink` as records of `report`.
    fn feed(sink: &mut dyn RecordSink, report: &Arc<Report>, rows: &[Vec<Cell>]) {
        for (i, cells) in rows.iter().enumerate() {
            sink.record(&Record {
                report,
                line: i as u64 + 2,
                cells,
            });
        }
    }

    #[test]
    fn pieces_collected_on_forks_merge_as_records_taken_one_by_one() {
        let gc = group_counts();
        let rows: Vec<Vec<Cell>> = (0..30)
            .rev()
            .map(|d| row(&gc, 40, d, Some(100 + d), Some(d), "30"))
            .collect();
        let one_by_one = file(&gc, "t", 0, &rows, true).into_merged();

        let mut m = Merge::for_file("t", 0, "f0.csv");
        m.begin(&gc);
        feed(&mut m, &gc, &rows[..10]);
        let mut forks: Vec<Box<dyn Fork>> = (0..2).map(|_| m.fork().unwrap()).collect();
        feed(forks[0].as_mut(), &gc, &rows[10..20]);
        // A row without a report date is left out on a fork as it is here.
        let mut dateless = rows[20].clone();
        dateless[gc.report_date().unwrap()] = Cell::Null;
        feed(forks[1].as_mut(), &gc, &[dateless]);
        feed(forks[1].as_mut(), &gc, &rows[20..]);
        for fork in &mut forks {
            assert!(m.join(fork.as_mut()));
        }
        m.finish(true);
        assert_eq!(m.records(), 0, "counted when absorbed");
        let merged = m.into_merged();
        assert_eq!(values(&merged), values(&one_by_one));
        assert_eq!(values(&merged).len(), 30);

        // A finished file takes no more pieces; a merge without a file makes no forks.
        let mut done = file(&gc, "t", 0, &rows[..1], true);
        assert!(done.fork().is_none());
        let mut fork = forks.pop().unwrap();
        assert!(!done.join(fork.as_mut()));
        assert!(Merge::new().fork().is_none());
    }

    #[test]
    fn newest_refresh_wins_whatever_the_order() {
        let gc = group_counts();
        let old = file(&gc, "t", 0, &[row(&gc, 5, 4, Some(10), Some(3), "7")], true);
        let new = file(&gc, "t", 1, &[row(&gc, 6, 4, Some(10), Some(4), "7")], true);
        for (a, b) in [(old.clone(), new.clone()), (new, old)] {
            let mut m = Merge::new();
            m.absorb(a);
            m.absorb(b);
            let merged = m.into_merged();
            assert_eq!(
                values(&merged),
                [("t".into(), day(4), Some(10), Some(4), 1)]
            );
            assert!(merged.conflicts.is_empty());
        }
    }

    #[test]
    fn same_refresh_different_values_is_a_conflict_first_file_kept() {
        let gc = group_counts();
        let a = file(&gc, "t", 3, &[row(&gc, 6, 4, Some(10), Some(3), "7")], true);
        let b = file(
            &gc,
            "t",
            7,
            &[row(&gc, 6, 4, Some(10), Some(4), "30")],
            true,
        );
        let merged = b.merge(a).into_merged();
        assert_eq!(
            values(&merged),
            [("t".into(), day(4), Some(10), Some(3), 3)]
        );
        assert_eq!(merged.conflicts.len(), 1);
        let c = &merged.conflicts[0];
        assert_eq!((c.kept.index, c.other.index, c.date), (3, 7, day(4)));
        assert_eq!(&*c.other.name, "f7.csv");
    }

    #[test]
    fn same_values_in_d7_and_d30_is_no_conflict_and_first_file_kept() {
        let gc = group_counts();
        let a = file(
            &gc,
            "t",
            2,
            &[row(&gc, 6, 4, Some(10), Some(3), "30")],
            true,
        );
        let b = file(&gc, "t", 1, &[row(&gc, 6, 4, Some(10), Some(3), "7")], true);
        let merged = a.merge(b).into_merged();
        assert!(merged.conflicts.is_empty());
        assert_eq!(merged.series[0].records[0].source.index, 1);
    }

    #[test]
    fn invalid_file_contributes_nothing() {
        let gc = group_counts();
        let bad = file(
            &gc,
            "t",
            0,
            &[row(&gc, 9, 4, Some(10), Some(9), "7")],
            false,
        );
        let good = file(&gc, "t", 1, &[row(&gc, 6, 4, Some(10), Some(3), "7")], true);
        let mut m = Merge::new();
        m.absorb(bad);
        m.absorb(good);
        assert_eq!(m.files(), 1);
        let merged = m.into_merged();
        assert_eq!(
            values(&merged),
            [("t".into(), day(4), Some(10), Some(3), 1)]
        );
    }

    /// A single file's rows are used where they lie when in date order or its reverse, and
    /// copied otherwise: the result is the same.
    #[test]
    fn one_file_in_any_row_order_gives_the_same_records() {
        let gc = group_counts();
        let ascending: Vec<_> = (0..40)
            .map(|d| row(&gc, 50, d, Some(100 + d), Some(d), "7"))
            .collect();
        let descending: Vec<_> = ascending.iter().rev().cloned().collect();
        let mut shuffled = ascending.clone();
        shuffled.swap(3, 17);
        shuffled.swap(0, 39);
        let expected = values(&file(&gc, "t", 0, &ascending, true).into_merged());
        assert_eq!(expected.len(), 40);
        assert_eq!(expected[5].1, day(5));
        for rows in [&descending, &shuffled] {
            let merged = file(&gc, "t", 0, rows, true).into_merged();
            assert_eq!(values(&merged), expected);
            assert_eq!(merged.series[0].cells(7), &ascending[7][..]);
        }
    }

    #[test]
    fn unfinished_file_contributes_nothing() {
        let gc = group_counts();
        let mut m = Merge::for_file("t", 0, "x.csv");
        m.begin(&gc);
        let cells = row(&gc, 6, 4, Some(10), Some(3), "7");
        m.record(&Record {
            report: &gc,
            line: 2,
            cells: &cells,
        });
        let mut all = Merge::new();
        all.absorb(m);
        assert!(all.is_empty());
    }

    #[test]
    fn null_counts_stay_null_and_series_never_mix() {
        let gc = group_counts();
        let a = file(&gc, "b", 0, &[row(&gc, 6, 4, Some(10), None, "7")], true);
        let b = file(&gc, "a", 1, &[row(&gc, 6, 4, Some(10), Some(1), "7")], true);
        let merged = a.merge(b).into_merged();
        assert_eq!(
            values(&merged),
            [
                ("a".into(), day(4), Some(10), Some(1), 1),
                ("b".into(), day(4), Some(10), None, 0)
            ]
        );
    }

    /// A download: refresh day, period in days, and whether it is an early, stale version
    /// (its values differ from the truth; a later download with a newer refresh revises them).
    #[derive(Debug, Clone)]
    struct Download {
        refresh: i64,
        period: i64,
        copies: usize,
    }

    fn downloads() -> impl Strategy<Value = Vec<Download>> {
        prop::collection::vec(
            (
                0i64..60,
                prop::sample::select(vec![7i64, 30, 90]),
                1usize..3,
            )
                .prop_map(|(refresh, period, copies)| Download {
                    refresh,
                    period,
                    copies,
                }),
            1..25,
        )
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(64))]

        /// Whatever the overlap pattern, file order and fold grouping, the merge yields the
        /// generator's daily truth: for each date, the values of the newest download that has
        /// it. Older downloads carry stale values (a revision), so picking them shows.
        #[test]
        fn merged_series_equals_the_generators_daily_truth(
            downloads in downloads(),
            seed in any::<u64>(),
            chunk in 1usize..6,
        ) {
            let gc = group_counts();
            // truth[d] = (total, active); every 11th day has a null Active.
            let truth = |d: i64| -> (Option<i64>, Option<i64>) {
                let total = 1000 + d * 3;
                let active = if d % 11 == 5 { None } else { Some((d * 37 + 11) % total) };
                (Some(total), active)
            };
            let newest = |d: i64| downloads.iter().filter(|w| w.refresh >= d && w.refresh - w.period < d)
                .map(|w| w.refresh).max();
            // One file per copy of each download; a stale download reports Active + 1 + refresh
            // for dates it is not the newest for. Same refresh date => identical values.
            let mut files: Vec<Vec<Vec<Cell>>> = Vec::new();
            for w in &downloads {
                let rows: Vec<Vec<Cell>> = (0..w.period).map(|k| w.refresh - k).map(|d| {
                    let (total, active) = truth(d);
                    let stale = newest(d) != Some(w.refresh);
                    let active = if stale { active.map(|a| (a + 1 + w.refresh) % 1000) } else { active };
                    row(&gc, w.refresh, d, total, active, &w.period.to_string())
                }).collect();
                for _ in 0..w.copies {
                    files.push(rows.clone());
                }
            }
            // Shuffle input order deterministically from the seed.
            let mut order: Vec<usize> = (0..files.len()).collect();
            let mut s = seed | 1;
            for i in (1..order.len()).rev() {
                s ^= s << 13; s ^= s >> 7; s ^= s << 17;
                order.swap(i, (s % (i as u64 + 1)) as usize);
            }
            let collectors: Vec<Merge> = order.iter().enumerate()
                .map(|(index, &f)| file(&gc, "t", index, &files[f], true)).collect();
            // Fold in chunks (like rayon's per-thread folds), then reduce in reverse.
            let partials: Vec<Merge> = collectors.chunks(chunk).map(|c| {
                c.iter().cloned().fold(Merge::new(), Merge::merge)
            }).collect();
            let merged = partials.into_iter().rev().fold(Merge::new(), Merge::merge).into_merged();

            prop_assert!(merged.conflicts.is_empty());
            let mut expected = Vec::new();
            for d in -100..60 {
                if newest(d).is_some() {
                    let (total, active) = truth(d);
                    expected.push((day(d), total, active));
                }
            }
            let got: Vec<_> = values(&merged).into_iter().map(|(_, d, t, a, _)| (d, t, a)).collect();
            prop_assert_eq!(got, expected);
            // The kept file is the first in input order among the newest downloads.
            let (rd, rf) = (gc.report_date().unwrap(), gc.refresh_date().unwrap());
            for (_, r, _) in merged.records() {
                let first = order.iter().enumerate()
                    .filter(|(_, &f)| files[f].iter().any(|c| c[rd] == Cell::Date(r.date) && c[rf].as_date() == r.refresh))
                    .map(|(i, _)| i).min();
                prop_assert_eq!(Some(r.source.index), first);
            }
        }

        /// Conflicting files give the same result and the same conflicts in any grouping.
        #[test]
        fn conflicts_are_order_independent(values in prop::collection::vec(0i64..3, 2..8), chunk in 1usize..4) {
            let gc = group_counts();
            let collectors: Vec<Merge> = values.iter().enumerate()
                .map(|(i, &a)| file(&gc, "t", i, &[row(&gc, 6, 4, Some(10), Some(a), "7")], true))
                .collect();
            let forward = collectors.iter().cloned().fold(Merge::new(), Merge::merge).into_merged();
            let grouped = collectors.chunks(chunk).rev()
                .map(|c| c.iter().rev().cloned().fold(Merge::new(), Merge::merge))
                .fold(Merge::new(), Merge::merge).into_merged();
            prop_assert_eq!(values_of(&forward), values_of(&grouped));
            prop_assert_eq!(&forward.conflicts, &grouped.conflicts);
            let distinct = values.iter().collect::<std::collections::BTreeSet<_>>().len();
            prop_assert_eq!(forward.conflicts.len(), distinct - 1);
            prop_assert_eq!(forward.series[0].records[0].source.index, 0);
        }
    }

    fn values_of(m: &Merged) -> Vec<Row> {
        values(m)
    }
}
