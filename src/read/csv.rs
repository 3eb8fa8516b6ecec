//! CSV exports: the header against the schema's columns, then every row's fields.

use std::io::Read;

use super::locate::{csv_fields, locate};

use super::records::{plain_lines, Lines, Records, RecordsError, Row, Stops};
use super::steady::{same_bytes, Run, Steady};
use crate::check::{Checker, Location, Piece, PieceRecords};
use crate::diagnostic::{Code, Finding};
use crate::record::Cell;
use crate::rules::field::{check_text_cell, CellReader};
use crate::schema::{loose_eq, Kind, Report};

/// The UTF-8 byte-order mark as it reads after a Latin-1 round trip.
const MOJIBAKE_BOM: &str = "\u{EF}\u{BB}\u{BF}";

/// Pieces read and not joined yet, at most, whatever the number of threads (three a
/// thread keep every core busy): bounds memory on large machines, and as many emptied
/// pieces are kept to read into.
const MAX_OUT: usize = 24;

/// Reads a CSV input (BOM already skipped) and checks it.
pub(crate) fn check(reader: Box<dyn Read + '_>, checker: &mut Checker<'_>) {
    let mut records = Records::new(reader, checker.options.limits.max_record_bytes);
    match records.advance() {
        Ok(true) => {}
        Ok(false) => return,
        Err(e) => return read_error(checker, e, records.pending_line()),
    }
    let Some(map) = check_header(&records.row(), records.raw().0, checker) else {
        checker.stopped = true;
        return;
    };
    let Some(report) = checker.kind() else { return };
    // Which header cell holds each schema column, to point findings at the right place.
    let mut cell_of = vec![None; report.columns.len()];
    for (i, j) in map.iter().enumerate() {
        if let Some(j) = j {
            cell_of[*j] = Some(i);
        }
    }
    let layout = Layout {
        report: &report,
        map: &map,
        cell_of: &cell_of,
    };
    let (rest, line, eof) = records.take_rest();
    let mut feed = Feed {
        src: records.source(),
        carry: rest,
        line,
        eof,
        failed: None,
        cut: 0,
        piece: checker.options.piece_bytes.max(1),
        limit: checker.options.limits.max_record_bytes,
        spare: Vec::new(),
    };
    let after = match feed.next() {
        // A small file, one piece: checked here.
        Next::Piece(text, line) => match feed.next() {
            Next::Piece(second, second_line) => {
                let first = [(text, line), (second, second_line)];
                match check_pieces(first, &mut feed, &layout, &report, checker) {
                    Some(after) => after,
                    None => return,
                }
            }
            after => {
                check_plain(&text, line, &layout, checker);
                if checker.stopped {
                    return;
                }
                after
            }
        },
        after => after,
    };
    match after {
        Next::Piece(..) | Next::End => {}
        Next::Failed(e) => checker.io_failure(&e),
        Next::Tangled => {
            // Quotes or bare carriage returns: the rest goes through the CSV parser.
            let text = std::io::Cursor::new(std::mem::take(&mut feed.carry));
            let mut tail = Records::starting_at(
                text.chain(feed.src),
                checker.options.limits.max_record_bytes,
                feed.line,
            );
            let mut scratch = Scratch::new(&report);
            loop {
                match tail.advance() {
                    Ok(true) => {}
                    Ok(false) => return,
                    Err(e) => {
                        let line = tail.pending_line();
                        return read_error(checker, e, line);
                    }
                }
                let (raw, line) = tail.raw();
                check_row(&tail.row(), &layout, line, raw, &mut scratch, checker);
            }
        }
    }
}

/// A piece checked on its own: its text and first line, what checking it found, and its
/// good records.
type Checked = (Vec<u8>, u64, Piece, PieceRecords);

/// Checks the pieces of a large input on the pool while this thread reads the next ones and
/// joins those checked, in order (see [`join_piece`]). A piece goes to the pool as soon as
/// it is read, and is joined as soon as it and those before it are checked: no core waits
/// for a whole batch, and the pool always has the next piece at hand while this thread
/// reads. What ended the input, or `None` when checking stopped.
fn check_pieces<R: Read>(
    first: [(Vec<u8>, u64); 2],
    feed: &mut Feed<'_, R>,
    layout: &Layout<'_>,
    report: &std::sync::Arc<Report>,
    checker: &mut Checker<'_>,
) -> Option<Next> {
    let (registry, options, file_name) = (checker.registry, checker.options, checker.file_name);
    let most = (3 * rayon::current_num_threads()).clamp(2, MAX_OUT);
    rayon::in_place_scope(|scope| {
        let (done, results) = std::sync::mpsc::channel::<(usize, std::thread::Result<Checked>)>();
        // The pieces read and not joined yet, oldest first, with what checking found once
        // it did; `joined` pieces came before the first.
        let mut waiting: std::collections::VecDeque<Option<Checked>> = Default::default();
        let (mut read, mut joined) = (0usize, 0usize);
        let mut first = first.into_iter();
        let mut after = None;
        loop {
            while after.is_none() && waiting.len() < most {
                let (text, line) = match first.next() {
                    Some(piece) => piece,
                    None => match feed.next() {
                        Next::Piece(text, line) => (text, line),
                        other => {
                            after = Some(other);
                            break;
                        }
                    },
                };
                let mut records = checker.piece_records();
                let done = done.clone();
                let index = read;
                scope.spawn(move |_| {
                    // A panic is sent on rather than lost, so this thread never waits for a
                    // piece that will not come; it is raised again there.
                    let checked = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                        let mut piece =
                            Checker::piece(registry, options, file_name, report, records.sink());
                        check_plain(&text, line, layout, &mut piece);
                        piece.into_piece()
                    }));
                    let _ = done.send((index, checked.map(|piece| (text, line, piece, records))));
                });
                read += 1;
                waiting.push_back(None);
                // Join what is checked already before reading on.
                for (index, checked) in results.try_iter() {
                    waiting[index - joined] =
                        Some(checked.unwrap_or_else(|p| std::panic::resume_unwind(p)));
                }
                if !join_ready(&mut waiting, &mut joined, layout, checker, &mut feed.spare) {
                    return None;
                }
            }
            if waiting.is_empty() {
                return after;
            }
            // Nothing more to read for now: wait for the oldest piece.
            while waiting.front().is_some_and(Option::is_none) {
                let Some((index, checked)) = wait_for_piece(&results) else {
                    unreachable!("this thread holds a sender");
                };
                waiting[index - joined] =
                    Some(checked.unwrap_or_else(|p| std::panic::resume_unwind(p)));
            }
            if !join_ready(&mut waiting, &mut joined, layout, checker, &mut feed.spare) {
                return None;
            }
        }
    })
}

/// The next piece checked, working on the pool's jobs meanwhile; `None` if no sender is
/// left. A plain `recv` would block this worker: when every worker of the pool is a file's
/// reader waiting so (two large files on two cores), the pieces they wait for are never
/// run and the run hangs.
fn wait_for_piece<T>(results: &std::sync::mpsc::Receiver<T>) -> Option<T> {
    loop {
        match results.try_recv() {
            Ok(piece) => return Some(piece),
            Err(std::sync::mpsc::TryRecvError::Disconnected) => return None,
            Err(std::sync::mpsc::TryRecvError::Empty) => {}
        }
        match rayon::yield_now() {
            Some(rayon::Yield::Executed) => {}
            // Outside the pool, or nothing to do: the pieces are on other threads.
            _ => match results.recv_timeout(std::time::Duration::from_micros(200)) {
                Ok(piece) => return Some(piece),
                Err(std::sync::mpsc::RecvTimeoutError::Disconnected) => return None,
                Err(std::sync::mpsc::RecvTimeoutError::Timeout) => {}
            },
        }
    }
}

/// Joins the checked pieces at the front of `waiting`, in order, up to the first not
/// checked yet (see [`join_piece`]). `false` when checking stopped.
fn join_ready(
    waiting: &mut std::collections::VecDeque<Option<Checked>>,
    joined: &mut usize,
    layout: &Layout<'_>,
    checker: &mut Checker<'_>,
    spare: &mut Vec<Vec<u8>>,
) -> bool {
    while let Some(Some(_)) = waiting.front() {
        let Some(Some(checked)) = waiting.pop_front() else {
            break;
        };
        *joined += 1;
        if !join_piece(checked, layout, checker, spare) {
            return false;
        }
    }
    true
}

/// Joins a piece checked on its own to the checker: a piece that found something, or that
/// meets the rows before it in a way the file rules would report, is checked again here for
/// exact findings. `false` when checking stopped. The text goes to `spare`, for a next piece
/// to be read into.
fn join_piece(
    (mut text, line, piece, mut records): Checked,
    layout: &Layout<'_>,
    checker: &mut Checker<'_>,
    spare: &mut Vec<Vec<u8>>,
) -> bool {
    if !checker.absorb(&piece, &mut records) {
        check_plain(&text, line, layout, checker);
    }
    if checker.stopped {
        return false;
    }
    if spare.len() < MAX_OUT {
        text.clear();
        spare.push(text);
    }
    true
}

/// Where the schema's columns are in this file's rows.
struct Layout<'a> {
    report: &'a Report,
    /// For each header cell, the schema column it holds.
    map: &'a [Option<usize>],
    /// For each schema column, the header cell holding it.
    cell_of: &'a [Option<usize>],
}

/// What [`Feed::next`] found.
enum Next {
    /// Whole plain lines (see [`super::records::is_plain`]) and the line the first starts on.
    Piece(Vec<u8>, u64),
    /// Text [`Lines`] cannot read (quotes, bare carriage returns, a very long line): the
    /// rest is `carry` and then the source, for the CSV parser.
    Tangled,
    /// The input failed after the pieces already handed out.
    Failed(std::io::Error),
    /// Nothing is left.
    End,
}

/// Cuts the input into pieces at line ends.
struct Feed<'r, R> {
    src: &'r mut R,
    /// Bytes read but not yet handed out; starts on line `line`.
    carry: Vec<u8>,
    line: u64,
    eof: bool,
    failed: Option<std::io::Error>,
    /// Pieces handed out so far.
    cut: usize,
    /// Bytes per piece.
    piece: usize,
    /// The longest record allowed: a longer line goes to the parser, which reports it.
    limit: usize,
    /// Texts of pieces already joined, emptied, to read the next pieces into rather than
    /// fresh memory (page faults and zeroed pages, 74 MB of them for a 74 MB file).
    spare: Vec<Vec<u8>>,
}

impl<R: Read> Feed<'_, R> {
    fn next(&mut self) -> Next {
        let mut more = self.carry.len() < self.piece;
        loop {
            if more && !self.eof && self.failed.is_none() {
                let want = match self.piece.checked_sub(self.carry.len()) {
                    Some(0) | None => self.piece,
                    Some(n) => n,
                };
                if self.cut > 0 {
                    // A large input: read the piece at once rather than growing into it.
                    self.carry.reserve(want.min(1 << 24));
                }
                match self
                    .src
                    .by_ref()
                    .take(want as u64)
                    .read_to_end(&mut self.carry)
                {
                    Ok(n) => self.eof = n < want,
                    Err(e) => self.failed = Some(e),
                }
            }
            if self.carry.is_empty() {
                return self.failed.take().map_or(Next::End, Next::Failed);
            }
            // The last line end within the piece's size, or else the first after it.
            let within = &self.carry[..self.carry.len().min(self.piece)];
            let line_end = memchr::memrchr(b'\n', within).or_else(|| {
                memchr::memchr(b'\n', &self.carry[within.len()..]).map(|p| p + within.len())
            });
            let cut = if self.eof && self.carry.len() <= self.piece {
                self.carry.len()
            } else if let Some(p) = line_end {
                p + 1
            } else if self.eof {
                self.carry.len()
            } else if let Some(e) = self.failed.take() {
                // An unfinished line after a read error is lost, as it is to the parser.
                return Next::Failed(e);
            } else if self.carry.len() > self.limit {
                return Next::Tangled;
            } else {
                more = true;
                continue;
            };
            let Some(lines) = plain_lines(&self.carry[..cut]) else {
                return Next::Tangled;
            };
            let mut rest = match self.spare.pop() {
                Some(spare) if !self.eof => spare,
                _ => Vec::with_capacity(if self.eof { 0 } else { self.piece.min(1 << 24) }),
            };
            rest.extend_from_slice(&self.carry[cut..]);
            self.carry.truncate(cut);
            let text = std::mem::replace(&mut self.carry, rest);
            let line = self.line;
            self.line += lines;
            self.cut += 1;
            return Next::Piece(text, line);
        }
    }
}

/// Per-row buffers of one file: the cells in schema order, whether each passed its field
/// rule, and, where `known`, the text each was read from (at most 16 bytes).
struct Scratch {
    cells: Vec<Cell>,
    ok: Vec<bool>,
    text: Vec<([u8; 16], usize)>,
    known: Vec<bool>,
}

impl Scratch {
    fn new(report: &Report) -> Scratch {
        let n = report.columns.len();
        Scratch {
            cells: vec![Cell::Null; n],
            ok: vec![false; n],
            text: vec![([0; 16], 0); n],
            known: vec![false; n],
        }
    }
}

/// Whether `raw` is the text kept in `kept`. A byte loop: a call to `memcmp` for a few bytes
/// cost more than the comparison.
fn same_text(kept: &([u8; 16], usize), raw: &[u8]) -> bool {
    kept.0
        .get(..kept.1)
        .is_some_and(|kept| same_bytes(kept, raw))
}

/// Checks the rows of plain text (see [`super::records::is_plain`]) starting on line `line`.
///
/// Rows of the usual shape take a short path ([`ShortPath::row`]); any other row is checked by
/// [`check_row`] from scratch, which finds and reports exactly what it finds.
fn check_plain(text: &[u8], line: u64, layout: &Layout<'_>, checker: &mut Checker<'_>) {
    let limit = checker.options.limits.max_record_bytes;
    let mut lines = Lines::new(text, line, limit);
    let mut scratch = Scratch::new(layout.report);
    let mut short = ShortPath::new(layout);
    let steady = short
        .as_ref()
        .and_then(|_| Steady::new(layout.report, layout.map));
    // Rows to wait before trying a steady run again, after one that took nothing.
    let mut wait = 0;
    loop {
        if let Some(short) = &mut short {
            let (text, mut pos, mut line) = lines.position();
            let mut previous = Vec::with_capacity(short.slots.len());
            while let Some(next) = short.row(text, (pos, line), layout, &mut scratch, checker) {
                (pos, line) = (next, line + 1);
                let Some(steady) = &steady else { continue };
                if wait > 0 {
                    wait -= 1;
                    continue;
                }
                previous.clear();
                previous.extend(short.slots.iter().map(|slot| slot.previous));
                let taken = steady_run(
                    steady,
                    text,
                    (pos, line),
                    &previous,
                    layout,
                    &mut scratch,
                    checker,
                );
                if taken.rows == 0 {
                    wait = STEADY_WAIT;
                    continue;
                }
                (pos, line) = (taken.end, line + taken.rows);
                // The row after the run reads every cell: the slots hold the run's first row.
                short.valid = false;
            }
            short.valid = false;
            lines.skip_to(pos, line);
        }
        match lines.next_record() {
            Ok(Some((row, raw, line))) => {
                scratch.known.fill(false);
                check_row(&row, layout, line, raw, &mut scratch, checker);
            }
            Ok(None) => return,
            Err(line) => return read_error(checker, RecordsError::TooLong(limit), line),
        }
    }
}

/// Rows read one by one after a steady run took none, before trying another: a file that is
/// not newest first, one day a row, pays for one failed try every few rows only.
const STEADY_WAIT: u32 = 8;

/// Rows of a steady run at most: bounds the look for days seen before (a word per 64 days);
/// the next run goes on where a long one stopped.
const STEADY_MOST: u64 = 4096;

/// Checks the steady run (see [`Steady`]) after a row the short path just read and the
/// checker took, and has the checker take it in: the rows taken.
fn steady_run(
    steady: &Steady,
    text: &[u8],
    (pos, line): (usize, u64),
    previous: &[&[u8]],
    layout: &Layout<'_>,
    scratch: &mut Scratch,
    checker: &mut Checker<'_>,
) -> Run {
    let none = Run { rows: 0, end: pos };
    // A run's dates are older than the row before: they are not after its refresh date
    // unless that row's was, which the usual path reports row by row.
    let report = layout.report;
    let date = |column: Option<usize>| column.and_then(|c| scratch.cells[c].as_date());
    let (Some(day_column), Some(mut day)) = (report.report_date(), date(report.report_date()))
    else {
        return none;
    };
    if report
        .refresh_date()
        .is_some_and(|_| Some(day) > date(report.refresh_date()))
    {
        return none;
    }
    // At most as many rows as the checker can take whole, so no row is read twice: a run
    // stops before a day seen before, which the usual path reports.
    let room = checker.steady_room(STEADY_MOST);
    if room == 0 {
        return none;
    }
    let limit = checker.options.limits.max_record_bytes;
    let first_day = day.pred_opt();
    let run = if !checker.wants_records() {
        steady.run::<false>(text, pos, previous, room, limit, |_, _| {})
    } else if first_day
        .is_some_and(|first| checker.text_run((&scratch.cells, line - 1), steady.varying(), first))
    {
        // The sink takes each row as the texts of its counts and date.
        steady.run::<true>(text, pos, previous, room, limit, |_, texts| {
            checker.run_record(texts);
        })
    } else {
        // Each row's record: the previous row's cells with the run's counts and date.
        let mut line = line;
        steady.run::<false>(text, pos, previous, room, limit, |counts, _| {
            day = day.pred_opt().unwrap_or(day);
            for (&count, &column) in counts.iter().zip(layout.map) {
                if let (Some(count), Some(column)) = (count, column) {
                    scratch.cells[column] = count.map_or(Cell::Null, Cell::Int);
                }
            }
            scratch.cells[day_column] = Cell::Date(day);
            checker.steady_record(line, &scratch.cells);
            line += 1;
        })
    };
    let taken = checker.steady_rows(run.rows);
    debug_assert_eq!(taken, run.rows, "a run within the room is taken whole");
    run
}

/// The short path's state for one header cell.
struct Slot<'t, 'k> {
    /// The schema column the cell holds, and its kind.
    column: usize,
    kind: &'k Kind,
    reader: CellReader,
    /// The cell's text in the row before (see [`ShortPath::valid`]).
    previous: &'t [u8],
}

/// Rows of the usual shape, checked without splitting them first ([`ShortPath::row`]).
struct ShortPath<'t, 'k> {
    /// One per header cell; the last cell is the one a line feed ends.
    slots: Vec<Slot<'t, 'k>>,
    /// The row before took the short path: the slots' texts and the scratch values are its
    /// own, so a cell with the same text keeps its value.
    valid: bool,
}

impl<'t, 'k> ShortPath<'t, 'k> {
    /// The short path for a file's layout, if it can take it: every header cell holds a
    /// column and every column the file lacks is optional (its cells stay null, as
    /// [`check_row`] leaves them).
    fn new(layout: &Layout<'k>) -> Option<ShortPath<'t, 'k>> {
        let lacks_required = layout
            .cell_of
            .iter()
            .zip(&layout.report.columns)
            .any(|(cell, column)| cell.is_none() && !column.optional);
        if long_path_only() || lacks_required {
            return None;
        }
        let slots = layout
            .map
            .iter()
            .map(|column| {
                column.map(|column| Slot {
                    column,
                    kind: &layout.report.columns[column].kind,
                    reader: CellReader::default(),
                    previous: &[],
                })
            })
            .collect::<Option<Vec<_>>>()?;
        (!slots.is_empty()).then_some(ShortPath {
            slots,
            valid: false,
        })
    }

    /// Reads and checks the row of plain text (see [`super::records::is_plain`]) starting
    /// at `pos`, on line `line`, when it has the usual shape: as many fields as the header,
    /// ASCII only, every cell passing its field rule, a line feed at its end, no longer
    /// than the record limit. Returns where the next row starts; `None` when the row is of
    /// another shape, having reported nothing: the caller reads it with [`Lines`] and checks
    /// it with [`check_row`].
    ///
    /// Fields are found while they are checked rather than split first: cells are a few
    /// bytes long, and most rows take this path. A cell whose text is the previous row's
    /// (the refresh date and the period repeat on every row of a download) keeps its
    /// value, compared in place rather than copied.
    fn row(
        &mut self,
        text: &'t [u8],
        (pos, line): (usize, u64),
        layout: &Layout<'_>,
        scratch: &mut Scratch,
        checker: &mut Checker<'_>,
    ) -> Option<usize> {
        let Some(end) = self.cells(text, pos, &mut Stops::at(text, pos), scratch) else {
            self.valid = false;
            return None;
        };
        let raw = &text[pos..end];
        let body = raw.len() - 1 - usize::from(raw.ends_with(b"\r\n"));
        if body == 0 || body > checker.options.limits.max_record_bytes || !raw.is_ascii() {
            self.valid = false;
            return None;
        }
        self.valid = true;
        checker.good_row(line, &scratch.cells, &|col| {
            locate_column(raw, line, layout.cell_of, col)
        });
        Some(end)
    }

    /// Reads the row's cells into `scratch`; where the next row starts, if every cell
    /// passed and the row has as many fields as the header.
    fn cells(
        &mut self,
        text: &'t [u8],
        pos: usize,
        stops: &mut Stops<'t>,
        scratch: &mut Scratch,
    ) -> Option<usize> {
        let valid = self.valid;
        let (last, slots) = self.slots.split_last_mut()?;
        let mut start = pos;
        // A comma ends every field but the last.
        for slot in slots {
            let end = stops.next()?;
            if text[end] != b',' {
                return None;
            }
            slot.take(&text[start..end], valid, &mut scratch.cells)?;
            start = end + 1;
        }
        let end = stops.next()?;
        if text[end] != b'\n' {
            return None;
        }
        let cell = match &text[start..end] {
            [cell @ .., b'\r'] => cell,
            cell => cell,
        };
        last.take(cell, valid, &mut scratch.cells)?;
        Some(end + 1)
    }
}

impl<'t> Slot<'t, '_> {
    /// Reads `cell` into `cells` unless it is the previous row's text (when `valid`);
    /// `None` if it fails its field rule.
    #[inline(always)]
    fn take(&mut self, cell: &'t [u8], valid: bool, cells: &mut [Cell]) -> Option<()> {
        if valid && same_bytes(self.previous, cell) {
            return Some(());
        }
        if !self
            .reader
            .read_into(self.kind, cell, &mut cells[self.column])
        {
            return None;
        }
        self.previous = cell;
        Some(())
    }
}

/// Where schema column `col` of a row is (the row itself for `None` or a column the file
/// lacks): what findings of the record and file rules point at.
fn locate_column(raw: &[u8], line: u64, cell_of: &[Option<usize>], col: Option<usize>) -> Location {
    locate_cell(raw, line, col.and_then(|j| cell_of[j]))
}

/// Where header cell `cell` of a row is (the row itself for `None` or a cell the row lacks).
fn locate_cell(raw: &[u8], line: u64, cell: Option<usize>) -> Location {
    match cell.and_then(|i| csv_fields(raw, b',').get(i).copied()) {
        Some((s, e)) => locate(raw, line, s, e - s),
        None => locate(raw, line, 0, 1),
    }
}

fn check_row(
    record: &Row<'_>,
    layout: &Layout<'_>,
    line: u64,
    raw: &[u8],
    scratch: &mut Scratch,
    checker: &mut Checker<'_>,
) {
    let Scratch {
        cells,
        ok,
        text,
        known,
        ..
    } = scratch;
    let Layout {
        report,
        map,
        cell_of,
    } = *layout;
    let at = |offset: usize, width: usize| locate(raw, line, offset, width);
    if record.len() != map.len() {
        let (found, want) = (record.len(), map.len());
        checker.push_with(Code::FieldCount.severity(), || {
            let loc = at(
                0,
                raw.iter()
                    .position(|&b| b == b'\n' || b == b'\r')
                    .unwrap_or(raw.len()),
            );
            let hint = if found > want && record.iter().any(|f| f.iter().all(u8::is_ascii_digit)) {
                "a value holding a comma (a thousands separator?) must be quoted, e.g. \"5,344\""
            } else {
                "every row has one field per header column"
            };
            Finding::new(
                Code::FieldCount,
                loc.line,
                loc.column,
                format!(
                    "the row has {found} field{} but the header has {want}",
                    if found == 1 { "" } else { "s" }
                ),
            )
            .found(format!("{found} fields"))
            .expected(format!("{want} fields"))
            .hint(hint)
            .snippet(loc.snippet)
        });
        checker.skipped_row();
        return;
    }
    let fields = record.as_slice();
    if !fields.is_ascii() && std::str::from_utf8(fields).is_err() {
        let bad = match std::str::from_utf8(raw) {
            Err(e) => e.valid_up_to(),
            Ok(_) => 0,
        };
        checker.push_with(Code::InvalidUtf8.severity(), || {
            let loc = at(bad, 1);
            let byte = raw.get(bad).copied().unwrap_or(0);
            Finding::new(Code::InvalidUtf8, loc.line, loc.column, format!("invalid UTF-8 byte 0x{byte:02X}"))
                .found(format!("byte 0x{byte:02X}"))
                .expected("UTF-8 text")
                .hint(if byte >= 0x80 {
                    "the file looks Latin-1 / Windows-1252 encoded (a spreadsheet re-save?); save it as CSV UTF-8"
                } else {
                    "the file is damaged"
                })
                .snippet(loc.snippet)
        });
        checker.skipped_row();
        return;
    }
    for (j, column) in report.columns.iter().enumerate() {
        let Some(i) = cell_of[j] else {
            // An optional column the file lacks holds no value; a required one is an E101.
            cells[j] = Cell::Null;
            ok[j] = column.optional;
            known[j] = false;
            continue;
        };
        let raw_field = record.get(i).unwrap_or_default();
        if raw_field.is_empty() && column.accepts_empty() {
            // A column some exports lack may be empty where present: no value.
            cells[j] = Cell::Null;
            ok[j] = true;
            known[j] = false;
            continue;
        }
        // A file repeats its refresh date and period on every row: a cell whose text is the
        // previous row's is the previous row's value.
        if known[j] && same_text(&text[j], raw_field) {
            continue;
        }
        match check_text_cell(&column.kind, raw_field) {
            Ok(cell) => {
                cells[j] = cell;
                ok[j] = true;
                known[j] = raw_field.len() <= 16;
                if known[j] {
                    text[j].0[..raw_field.len()].copy_from_slice(raw_field);
                    text[j].1 = raw_field.len();
                }
            }
            Err(p) => {
                cells[j] = Cell::Null;
                ok[j] = false;
                known[j] = false;
                checker.push_with(p.code.severity(), || {
                    let loc = locate_cell(raw, line, Some(i));
                    let found = String::from_utf8_lossy(raw_field);
                    let f = Finding::new(
                        p.code,
                        loc.line,
                        loc.column,
                        format!("`{}` {}", column.csv, p.message),
                    )
                    .field(column.csv.clone())
                    .found(if found.is_empty() {
                        "an empty cell".into()
                    } else {
                        found.into_owned()
                    })
                    .expected(p.expected)
                    .snippet(loc.snippet);
                    match p.hint {
                        Some(h) => f.hint(h),
                        None => f,
                    }
                });
            }
        }
    }
    checker.row(line, cells, ok, &|col| {
        locate_column(raw, line, cell_of, col)
    });
}

/// Checks the header; returns, for each header cell, the schema column it holds. `None` when
/// the file cannot be checked further (wrong delimiter, unknown report).
fn check_header(
    record: &Row<'_>,
    raw: &[u8],
    checker: &mut Checker<'_>,
) -> Option<Vec<Option<usize>>> {
    let spans = csv_fields(raw, b',');
    let at = |i: usize| match spans.get(i) {
        Some(&(s, e)) => locate(raw, 1, s, e - s),
        None => locate(raw, 1, 0, 1),
    };
    if std::str::from_utf8(record.as_slice()).is_err() {
        let bad = std::str::from_utf8(raw)
            .err()
            .map_or(0, |e| e.valid_up_to());
        let loc = locate(raw, 1, bad, 1);
        checker.push_finding(
            Finding::new(
                Code::InvalidUtf8,
                loc.line,
                loc.column,
                "invalid UTF-8 in the header",
            )
            .hint("the file looks Latin-1 / Windows-1252 encoded; save it as CSV UTF-8")
            .snippet(loc.snippet),
        );
    }
    let limit = checker.options.limits.max_columns;
    if record.len() > limit {
        checker.push_finding(
            Finding::new(
                Code::LimitExceeded,
                1,
                1,
                format!(
                    "the header has {} columns; the limit is {limit}",
                    record.len()
                ),
            )
            .hint("this is not a usage report"),
        );
        return None;
    }
    let mut names: Vec<String> = record
        .iter()
        .map(|f| String::from_utf8_lossy(f).into_owned())
        .collect();
    if let Some(first) = names.first_mut() {
        if let Some(rest) = first.strip_prefix(MOJIBAKE_BOM) {
            *first = rest.to_string();
            let loc = at(0);
            checker.push_finding(
                Finding::new(Code::MojibakeBom, 1, 1, "the header starts with `ï»¿`, a byte-order mark decoded as Latin-1")
                    .found("ï»¿")
                    .hint("the file was opened as Latin-1 / Windows-1252 and saved again; it was read without those characters, but re-download or save as UTF-8")
                    .snippet(loc.snippet.map(|mut s| {
                        s.width = 3;
                        s
                    })),
            );
        }
    }
    if names.len() == 1 {
        for (delimiter, word) in [(';', "semicolon"), ('\t', "tab")] {
            if names[0].contains(delimiter) {
                let split: Vec<&str> = names[0].split(delimiter).collect();
                let fits = checker
                    .registry
                    .reports()
                    .iter()
                    .any(|r| 2 * r.fit(&split, false) >= r.required_columns());
                if fits {
                    let loc = at(0);
                    checker.push_finding(
                        Finding::new(Code::WrongDelimiter, 1, 1, format!("this file is {word}-delimited"))
                            .found(format!("`{}` between columns", delimiter.escape_default()))
                            .expected("`,` between columns")
                            .hint("a spreadsheet in a European locale saved it; save as \"CSV UTF-8 (comma delimited)\", or convert it with `mlr --icsv --ifs ';' --ocsv cat`")
                            .snippet(loc.snippet),
                    );
                    return None;
                }
            }
        }
    }
    let refs: Vec<&str> = names.iter().map(String::as_str).collect();
    let forced = checker.options.report.clone();
    let Some(detection) =
        checker
            .registry
            .detect(forced.as_ref(), None, checker.file_name, &refs, false)
    else {
        let loc = at(0);
        checker.push_finding(
            checker
                .registry
                .unknown_report(&refs, false)
                .found(names.join(","))
                .snippet(loc.snippet),
        );
        return None;
    };
    checker.begin(&detection.report, detection.source, &detection.alternatives);
    let map = map_header(&detection.report, &names, &at, checker);
    checker.report.version = detection
        .report
        .version_of(map.iter().flatten().copied())
        .map(str::to_string);
    Some(map)
}

/// Matches header cells to schema columns, reporting every mismatch.
fn map_header(
    report: &Report,
    names: &[String],
    at: &dyn Fn(usize) -> Location,
    checker: &mut Checker<'_>,
) -> Vec<Option<usize>> {
    let columns = &report.columns;
    let mut map: Vec<Option<usize>> = vec![None; names.len()];
    let mut taken = vec![false; columns.len()];
    let mut duplicate = vec![false; names.len()];
    for (i, name) in names.iter().enumerate() {
        if let Some(j) = columns.iter().position(|c| c.is_spelled(name)) {
            if taken[j] {
                duplicate[i] = true;
            } else {
                taken[j] = true;
                map[i] = Some(j);
            }
        }
    }
    let mut header_errors = false;
    for (i, name) in names.iter().enumerate() {
        if map[i].is_some() {
            continue;
        }
        header_errors = true;
        let loc = at(i);
        let base = |code: Code, message: String| {
            Finding::new(code, loc.line, loc.column, message)
                .field(name.clone())
                .snippet(loc.snippet.clone())
        };
        if duplicate[i] {
            checker.push_finding(
                base(
                    Code::DuplicateColumn,
                    format!("column `{name}` appears twice"),
                )
                .found(name)
                .hint("remove the second copy; its values are not checked"),
            );
            continue;
        }
        let free = |j: &usize| !taken[*j];
        if let Some(j) = (0..columns.len())
            .filter(free)
            .find(|&j| columns[j].is_spelled(name.trim()))
        {
            taken[j] = true;
            map[i] = Some(j);
            checker.push_finding(
                base(
                    Code::StraySpaces,
                    format!("column `{}` has stray spaces", columns[j].csv),
                )
                .found(format!("`{name}`"))
                .expected(format!("`{}`", columns[j].csv))
                .hint("remove the spaces around the column name"),
            );
            continue;
        }
        let close = (0..columns.len())
            .filter(free)
            .map(|j| {
                (
                    j,
                    distance(&name.to_lowercase(), &columns[j].csv.to_lowercase()),
                )
            })
            .filter(|&(j, d)| {
                loose_eq(name, &columns[j].csv) || d <= 2.max(columns[j].csv.len() / 5)
            })
            .min_by_key(|&(_, d)| d);
        if name.trim().is_empty() {
            checker.push_finding(
                base(
                    Code::UnknownColumn,
                    "the header has a column without a name".into(),
                )
                .found("an empty column name")
                .hint(if i + 1 == names.len() {
                    "the header line ends with a comma; remove it"
                } else {
                    "remove the empty column; its values are not checked"
                }),
            );
            continue;
        }
        let mut finding = base(
            Code::UnknownColumn,
            format!("`{name}` is not a column of {}", report.name),
        )
        .found(name);
        match close {
            Some((j, _)) => {
                taken[j] = true;
                map[i] = Some(j);
                finding = finding
                    .expected(format!("`{}`", columns[j].csv))
                    .hint(format!("did you mean `{}`?", columns[j].csv));
            }
            None => {
                finding = finding.hint("remove the column; its values are not checked");
            }
        }
        checker.push_finding(finding);
    }
    let documented: Vec<&str> = columns.iter().map(|c| c.csv.as_str()).collect();
    for (j, column) in columns.iter().enumerate() {
        if !taken[j] && !column.optional {
            header_errors = true;
            let loc = at(0);
            checker.push_finding(
                Finding::new(
                    Code::MissingColumn,
                    1,
                    1,
                    format!("column `{}` is missing", column.csv),
                )
                .field(column.csv.clone())
                .expected(documented.join(","))
                .hint("the documented header is shown under expected")
                .snippet(loc.snippet),
            );
        }
    }
    // The first cell that does not hold the column documented for its place is the one moved.
    let mut sorted: Vec<usize> = map.iter().flatten().copied().collect();
    sorted.sort_unstable();
    let mut expected_order = sorted.into_iter();
    for (i, j) in map.iter().enumerate() {
        let Some(j) = *j else { continue };
        if expected_order.next() != Some(j) {
            let loc = at(i);
            checker.push_finding(
                Finding::new(Code::ColumnOrder, loc.line, loc.column, format!("column `{}` is out of documented order", columns[j].csv))
                    .field(columns[j].csv.clone())
                    .found(names.join(","))
                    .expected(documented.join(","))
                    .hint("columns are read by name, so the file is read correctly; tools that read columns by position would misread it")
                    .snippet(loc.snippet),
            );
            break;
        }
    }
    checker.header_errors = header_errors;
    map
}

/// Levenshtein distance, for "did you mean" hints on short names.
fn distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut prev = row[0];
        row[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let cur = row[j + 1];
            row[j + 1] = (prev + usize::from(ca != *cb)).min(row[j] + 1).min(cur + 1);
            prev = cur;
        }
    }
    row[b.len()]
}

fn read_error(checker: &mut Checker<'_>, e: RecordsError, line: u64) {
    checker.stopped = true;
    match e {
        RecordsError::TooLong(limit) => checker.push_finding(
            Finding::new(
                Code::LimitExceeded,
                line.max(1),
                1,
                format!("a row starting on this line is longer than {limit} bytes"),
            )
            .hint("this is not a usage report, or a quote is never closed; raise the limit with --max-record-bytes if the file is genuine"),
        ),
        RecordsError::Io(io) => checker.io_failure(&io),
    }
}

/// Whether plain rows skip the short path: only a test asks, to compare the two paths.
#[cfg(not(test))]
fn long_path_only() -> bool {
    false
}
#[cfg(test)]
use tests::long_path_only;

#[cfg(test)]
mod tests {
    use super::{distance, same_bytes};
    use crate::discover::{Input, Source};
    use crate::record::{Record, RecordSink};
    use crate::schema::{Kind, Role};
    use crate::validate::{check_reader, CheckOptions};
    use crate::Registry;

    thread_local! {
        /// Rows of this thread skip the short path (see [`long_path_only`]).
        static LONG_PATH_ONLY: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
    }

    /// Whether plain rows must go through `check_row`: what the short path is compared with.
    pub(super) fn long_path_only() -> bool {
        LONG_PATH_ONLY.with(std::cell::Cell::get)
    }

    /// The good records, with their lines; `.1`: whether it wants them at all (validation
    /// alone does not, which lets steady runs skip them).
    #[derive(Default)]
    struct Kept(Vec<(u64, Vec<crate::Cell>)>, bool);

    impl RecordSink for Kept {
        fn record(&mut self, record: &Record<'_>) {
            self.0.push((record.line, record.cells.to_vec()));
        }
        fn wants_records(&self) -> bool {
            self.1
        }
    }

    /// Findings, counts and records of checking `text` as a GroupCounts CSV in one piece (on
    /// this thread), with or without the short path.
    fn outcome(text: &[u8], long: bool) -> (String, Vec<(u64, Vec<crate::Cell>)>) {
        outcome_with(text, long, true, usize::MAX)
    }

    /// Checks `text` as a GroupCounts CSV into `sink`, cut into pieces of `piece_bytes`,
    /// with the short path (and steady runs) or without (`long`).
    fn check_group_counts(
        text: &[u8],
        long: bool,
        piece_bytes: usize,
        sink: &mut dyn RecordSink,
    ) -> crate::FileReport {
        check_as("GroupCounts", text, long, piece_bytes, sink)
    }

    /// [`check_group_counts`] for any report.
    fn check_as(
        report: &str,
        text: &[u8],
        long: bool,
        piece_bytes: usize,
        sink: &mut dyn RecordSink,
    ) -> crate::FileReport {
        let registry = Registry::builtin().unwrap();
        let options = CheckOptions {
            report: registry.find(report).cloned(),
            piece_bytes,
            ..CheckOptions::default()
        };
        let source = Source {
            input: Input::Stdin,
            name: "t.csv".into(),
            index: 0,
            group: ".".into(),
            relative: "t.csv".into(),
        };
        LONG_PATH_ONLY.with(|c| c.set(long));
        let report = check_reader(text, &source, &registry, &options, sink);
        LONG_PATH_ONLY.with(|c| c.set(false));
        report
    }

    /// [`outcome`], with or without records, cut into pieces of `piece_bytes`.
    fn outcome_with(
        text: &[u8],
        long: bool,
        records: bool,
        piece_bytes: usize,
    ) -> (String, Vec<(u64, Vec<crate::Cell>)>) {
        let mut kept = Kept(Vec::new(), records);
        let report = check_group_counts(text, long, piece_bytes, &mut kept);
        let summary = format!(
            "{:?} rows {} errors {} warnings {} omitted {}",
            report.findings, report.rows, report.errors, report.warnings, report.omitted
        );
        (summary, kept.0)
    }

    /// A cell of a generated row: mostly good values, sometimes one a rule refuses.
    fn cell(kind: u8, pick: u8, day: i64) -> String {
        let date = |d: i64| {
            (chrono::NaiveDate::from_ymd_opt(2026, 11, 25).unwrap() - chrono::Duration::days(d))
                .format("%Y-%m-%d")
                .to_string()
        };
        let odd = [
            "",
            "x",
            "-1",
            "1.5",
            "1,000",
            " 7",
            "é",
            "99999999999999999999",
            "2026-02-30",
            "D7",
        ];
        match (kind, pick % 16) {
            (_, 15) => odd[usize::from(pick) % odd.len()].to_string(),
            (0, _) => "2026-11-25".into(),
            (1, p) | (2, p) => (u64::from(p) * 37 % 500).to_string(),
            (3, _) => date(day),
            (_, p) => ["7", "30", "7", "7"][usize::from(p) % 4].into(),
        }
    }

    /// A GroupCounts CSV of generated rows, `(picks, step, shape)` each: the cells are
    /// [`cell`]s of `pick(pick)` on the day `step` after the row before's, a `shape` of 0
    /// drops the last field and 1 adds one, `crlf(shape)` ends the row with CRLF; the
    /// header ends with `header_end`, and `refresh` replaces every row's refresh date.
    fn generated_csv(
        rows: &[(Vec<u8>, i64, u8)],
        header_end: &str,
        pick: impl Fn(u8) -> u8,
        refresh: Option<&str>,
        crlf: impl Fn(u8) -> bool,
    ) -> String {
        let mut text =
            format!("Report Refresh Date,Total,Active,Report Date,Report Period{header_end}");
        let mut day = 0;
        for (picks, step, shape) in rows {
            day += step;
            let mut cells: Vec<String> = picks
                .iter()
                .enumerate()
                .map(|(k, &p)| cell(k as u8, pick(p), day))
                .collect();
            if let Some(refresh) = refresh {
                cells[0] = refresh.into();
            }
            match shape {
                0 => {
                    cells.pop();
                }
                1 => cells.push("1".into()),
                _ => {}
            }
            text.push_str(&cells.join(","));
            text.push_str(if crlf(*shape) { "\r\n" } else { "\n" });
        }
        text
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(256))]

        /// The short path for rows of the usual shape finds, counts and hands on exactly
        /// what `check_row` does, row for row, on rows good and bad (refused cells, repeated,
        /// missing and out-of-order days, wrong field counts, non-ASCII text).
        #[test]
        fn short_path_is_check_row(
            rows in proptest::collection::vec(
                (proptest::collection::vec(proptest::num::u8::ANY, 5), 0i64..3, 0u8..20),
                0..40,
            ),
        ) {
            let text = generated_csv(&rows, "\n", |p| p, None, |shape| shape == 2);
            let short = outcome(text.as_bytes(), false);
            let long = outcome(text.as_bytes(), true);
            proptest::prop_assert_eq!(&short.0, &long.0, "{}", text);
            proptest::prop_assert!(short.1 == long.1, "records differ\n{}", text);
        }
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(256))]

        /// Files that lack some optional columns (most real exports of the catalogue) take
        /// the short path too, and it finds what `check_row` finds, with the same records,
        /// on rows good and bad: counts, durations, dates and the period, refused or not.
        #[test]
        fn short_path_is_check_row_without_optional_columns(
            rows in proptest::collection::vec(
                (proptest::collection::vec(proptest::num::u8::ANY, 14), 0i64..3),
                0..30,
            ),
            keep in proptest::num::u16::ANY,
        ) {
            let registry = Registry::builtin().unwrap();
            let report = registry.find("getTeamsUserActivityCounts").unwrap();
            let columns: Vec<usize> = (0..report.columns.len())
                .filter(|&j| !report.columns[j].optional || keep & (1 << j) != 0)
                .collect();
            let header: Vec<&str> = columns.iter().map(|&j| report.columns[j].csv.as_str()).collect();
            let mut text = header.join(",") + "\n";
            let mut day = 0;
            for (picks, step) in &rows {
                day += step;
                let cells: Vec<String> = columns
                    .iter()
                    .enumerate()
                    .map(|(i, &j)| {
                        let pick = picks[i % picks.len()];
                        let column = &report.columns[j];
                        match (&column.kind, column.role) {
                            (_, Role::RefreshDate) => cell(0, pick, 0),
                            (_, Role::ReportDate) => cell(3, pick, day),
                            (_, Role::Period) => cell(4, pick, 0),
                            (Kind::Duration, _) if pick % 16 != 15 => {
                                ["PT0S", "PT1H2M", "PT3.5S", ""][usize::from(pick) % 4].into()
                            }
                            _ => cell(1, pick, 0),
                        }
                    })
                    .collect();
                text.push_str(&cells.join(","));
                text.push('\n');
            }
            let outcome = |long: bool| {
                let mut kept = Kept(Vec::new(), true);
                let r = check_as(&report.name, text.as_bytes(), long, usize::MAX, &mut kept);
                (format!("{:?} rows {} errors {}", r.findings, r.rows, r.errors), kept.0)
            };
            let (short, long) = (outcome(false), outcome(true));
            proptest::prop_assert_eq!(&short.0, &long.0, "{}", text);
            proptest::prop_assert!(short.1 == long.1, "records differ\n{}", text);
        }

        /// Steady runs (see `read::steady`) find and count exactly what `check_row` does, on
        /// files that are mostly newest first a day a row, with refused cells, repeated and
        /// missing days, wrong field counts, a refresh date older than the report dates, in
        /// one piece or in many (rows of pieces joined across threads).
        #[test]
        fn steady_runs_are_check_row(
            rows in proptest::collection::vec(
                (
                    proptest::collection::vec(proptest::num::u8::ANY, 5),
                    proptest::prop_oneof![12 => proptest::strategy::Just(1i64), 1 => 0i64..1, 1 => -3i64..40],
                    0u8..40,
                ),
                0..120,
            ),
            early_refresh in proptest::bool::ANY,
            piece_bytes in proptest::prop_oneof![proptest::strategy::Just(usize::MAX), 1usize..400],
        ) {
            // Mostly good cells: a steady run ends at the first odd one.
            let pick = |p: u8| if p % 16 == 15 && p > 128 { 0 } else { p };
            let refresh = early_refresh.then_some("2026-11-01");
            let text = generated_csv(&rows, "\r\n", pick, refresh, |shape| shape < 30);
            for records in [false, true] {
                let steady = outcome_with(text.as_bytes(), false, records, piece_bytes);
                let long = outcome_with(text.as_bytes(), true, records, usize::MAX);
                proptest::prop_assert_eq!(&steady.0, &long.0, "{}", text);
                proptest::prop_assert!(steady.1 == long.1, "records differ\n{}", text);
            }
        }
    }

    /// What converting `text` to `format` writes (`None` for an invalid file), with the
    /// short path and steady runs or without, cut into pieces of `piece_bytes`.
    fn converted(
        text: &[u8],
        long: bool,
        format: crate::write::Format,
        piece_bytes: usize,
    ) -> Option<Vec<u8>> {
        use std::io::{Read, Seek};
        let mut writer = crate::write::RecordWriter::new(
            crate::write::WriteOptions {
                format,
                bom: false,
                durability: crate::write::Durability::Unsynced,
            },
            crate::write::Destination::Stdout,
        );
        let report = check_group_counts(text, long, piece_bytes, &mut writer);
        let output = writer.take_output(report.report.as_ref()).unwrap();
        let crate::write::Output::Stdout(mut spool) = output? else {
            panic!("a file output for standard output");
        };
        let mut bytes = Vec::new();
        spool.rewind().unwrap();
        spool.read_to_end(&mut bytes).unwrap();
        Some(bytes)
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(128))]

        /// Records handed on as text (steady runs into a writer's template, see
        /// `write::template`) come out as the same bytes as records rendered cell by cell,
        /// in every format, in one piece or in many.
        #[test]
        fn text_runs_write_what_records_write(
            rows in proptest::collection::vec(
                (
                    proptest::collection::vec(proptest::num::u8::ANY, 5),
                    proptest::prop_oneof![40 => proptest::strategy::Just(1i64), 1 => -3i64..40],
                    proptest::prop_oneof![40 => 2u8..40, 1 => 0u8..2],
                ),
                0..120,
            ),
            piece_bytes in proptest::prop_oneof![proptest::strategy::Just(usize::MAX), 1usize..400],
            empty in proptest::bool::ANY,
        ) {
            // Mostly good rows (an odd cell makes the file invalid, and no output); with
            // `empty`, counts of 0 written as empty cells, which are nulls.
            let pick = |p: u8| if p % 16 == 15 && p != 255 { 0 } else { p };
            let mut text = generated_csv(&rows, "\r\n", pick, None, |shape| shape < 30);
            if empty {
                text = text.replace(",0,", ",,");
            }
            for format in [crate::write::Format::Json, crate::write::Format::Ndjson, crate::write::Format::Csv] {
                let runs = converted(text.as_bytes(), false, format, piece_bytes);
                let cells = converted(text.as_bytes(), true, format, usize::MAX);
                proptest::prop_assert!(
                    runs == cells,
                    "{format:?} differs\n{text}\n{}\n{}",
                    String::from_utf8_lossy(runs.as_deref().unwrap_or_default()),
                    String::from_utf8_lossy(cells.as_deref().unwrap_or_default())
                );
            }
        }
    }

    proptest::proptest! {
        /// Equal to slice equality at every length around the word-sized comparison.
        #[test]
        fn same_bytes_is_equality(
            a in proptest::collection::vec(proptest::prop_oneof![3 => proptest::strategy::Just(b'1'), 1 => proptest::num::u8::ANY], 0..20),
            flip in proptest::option::of((0usize..20, proptest::num::u8::ANY)),
            cut in proptest::option::of(0usize..20),
        ) {
            let mut b = a.clone();
            if let Some((at, byte)) = flip {
                if let Some(slot) = b.get_mut(at) {
                    *slot = byte;
                }
            }
            if let Some(cut) = cut {
                b.truncate(cut);
            }
            proptest::prop_assert_eq!(same_bytes(&a, &b), a == b);
        }
    }

    #[test]
    fn edit_distance() {
        assert_eq!(distance("report dat", "report date"), 1);
        assert_eq!(distance("total", "total"), 0);
        assert_eq!(distance("", "abc"), 3);
    }
}
