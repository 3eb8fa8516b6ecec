//! CSV exports: the header against the schema's columns, then every row's fields.
//!
//! The driver ([`check`]) reads the header ([`header`]), then cuts the rows' text into pieces
//! at line ends while it is plain, checks the pieces in parallel ([`plain::check_plain`] picks
//! each row's path: a steady run, the short path, or the full check) and joins them in order;
//! text that is not plain (quotes, bare carriage returns) goes, from there on, through the
//! RFC 4180 parser ([`full`]). [`crate::CsvPath::Full`] sends every row there: the paths give
//! the same findings and records on every input (`tests/cli/properties.rs`,
//! `csv_paths_find_what_the_full_parser_finds`); only speed differs (BENCHMARKS.md).

mod full;
mod header;
mod plain;
mod short;
mod steady;

use std::io::Read;

use self::full::{check_records, read_error, Layout};
use self::header::check_header;
use self::plain::check_plain;
use crate::check::{Checker, CsvPath, Piece, PieceRecords};
use crate::read::records::{plain_lines, Records};
use crate::schema::Report;

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
    if checker.options.csv_path == CsvPath::Full {
        return check_records(&mut records, &layout, checker);
    }
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
                let first = vec![(text, line), (second, second_line)];
                match check_in_turn(first, &mut feed, &layout, &report, checker) {
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
            check_records(&mut tail, &layout, checker);
        }
    }
}

/// A piece checked on its own: its text and first line, what checking it found, and its
/// good records.
type Checked = (Vec<u8>, u64, Piece, PieceRecords);

/// The next piece: the first of `first` (read already), else the input's next.
fn next_of<R: Read>(
    first: &mut std::vec::IntoIter<(Vec<u8>, u64)>,
    feed: &mut Feed<'_, R>,
) -> Next {
    match first.next() {
        Some((text, line)) => Next::Piece(text, line),
        None => feed.next(),
    }
}

/// Checks the pieces of an input one after another on this thread, by `checker` itself,
/// while other files of the run are waiting (see [`crate::CheckOptions::pending`]); the
/// rest in parallel ([`check_pieces`]) once none is. A piece checked here is checked as
/// [`join_piece`] checks a piece again, so findings and records are the same. Each piece's
/// text is read into the one before's. What ended the input, or `None` when checking
/// stopped.
fn check_in_turn<R: Read>(
    first: Vec<(Vec<u8>, u64)>,
    feed: &mut Feed<'_, R>,
    layout: &Layout<'_>,
    report: &std::sync::Arc<Report>,
    checker: &mut Checker<'_>,
) -> Option<Next> {
    let first_line = first[0].1;
    let mut first = first.into_iter();
    loop {
        let (mut text, line) = match next_of(&mut first, feed) {
            Next::Piece(text, line) => (text, line),
            other => return Some(other),
        };
        if !checker.in_turn() {
            let rest = std::iter::once((text, line)).chain(first).collect();
            return check_pieces(rest, feed, layout, report, checker);
        }
        check_plain(&text, line, layout, checker);
        if checker.stopped {
            return None;
        }
        if line == first_line {
            if let Some(size) = checker.size() {
                let rest = size.saturating_sub(text.len() as u64);
                checker.expect_bytes(text.len(), rest);
            }
        }
        if feed.spare.is_empty() {
            text.clear();
            feed.spare.push(text);
        }
    }
}

/// Checks the pieces of a large input on the pool while this thread reads the next ones and
/// joins those checked, in order (see [`join_piece`]). A piece goes to the pool as soon as
/// it is read, and is joined as soon as it and those before it are checked: no core waits
/// for a whole batch, and the pool always has the next piece at hand while this thread
/// reads. What ended the input, or `None` when checking stopped.
fn check_pieces<R: Read>(
    first: Vec<(Vec<u8>, u64)>,
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
                let (text, line) = match next_of(&mut first, feed) {
                    Next::Piece(text, line) => (text, line),
                    other => {
                        after = Some(other);
                        break;
                    }
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

/// What [`Feed::next`] found.
enum Next {
    /// Whole plain lines (see [`crate::read::records::is_plain`]) and the line the first starts on.
    Piece(Vec<u8>, u64),
    /// Text [`crate::read::records::Lines`] cannot read (quotes, bare carriage returns, a very long line): the
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

#[cfg(test)]
mod tests {
    use super::full::same_bytes;
    use super::header::distance;
    use crate::discover::{Input, Source};
    use crate::record::{Record, RecordSink};
    use crate::schema::{Kind, Role};
    use crate::validate::CheckOptions;
    use crate::CsvPath;
    use crate::Registry;

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

    /// How an input is cut: bytes per piece, and whether its pieces are checked one after
    /// another by one checker while other files wait (see `CheckOptions::pending`): `None`,
    /// never (every piece on its own, then joined); `Some(n)`, until `n` bytes of the input
    /// are read, when the last waiting file starts and the rest are checked in parallel.
    type Cut = (usize, Option<usize>);

    /// The whole input as one piece.
    const ONE_PIECE: Cut = (usize::MAX, None);

    /// One piece, or pieces of up to 400 bytes joined, checked in turn, or checked in turn
    /// and then joined.
    fn cuts() -> impl proptest::strategy::Strategy<Value = Cut> {
        use proptest::strategy::Strategy;
        proptest::prop_oneof![
            proptest::strategy::Just(ONE_PIECE),
            (1usize..400, proptest::option::of(0usize..4000)),
        ]
        .boxed()
    }

    /// `text` read a little at a time, starting the run's last waiting file once `at`
    /// bytes have been read.
    struct Starting<'t> {
        text: &'t [u8],
        read: usize,
        at: usize,
        pending: std::sync::Arc<crate::check::Pending>,
    }

    impl std::io::Read for Starting<'_> {
        fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
            if self.read >= self.at {
                self.pending.start();
            }
            let n = buf.len().min(97).min(self.text.len() - self.read);
            buf[..n].copy_from_slice(&self.text[self.read..][..n]);
            self.read += n;
            Ok(n)
        }
    }

    /// Findings, counts and records of checking `text` as a GroupCounts CSV in one piece (on
    /// this thread), with or without the short path.
    fn outcome(text: &[u8], long: bool) -> (String, Vec<(u64, Vec<crate::Cell>)>) {
        outcome_with(text, long, true, ONE_PIECE)
    }

    /// Checks `text` as a GroupCounts CSV into `sink`, cut into pieces of `piece_bytes`,
    /// with the short path (and steady runs) or without (`long`).
    fn check_group_counts(
        text: &[u8],
        long: bool,
        cut: Cut,
        sink: &mut dyn RecordSink,
    ) -> crate::FileReport {
        check_as("GroupCounts", text, long, cut, sink)
    }

    /// [`check_group_counts`] for any report.
    fn check_as(
        report: &str,
        text: &[u8],
        long: bool,
        (piece_bytes, in_turn): Cut,
        sink: &mut dyn RecordSink,
    ) -> crate::FileReport {
        let registry = Registry::builtin().unwrap();
        let pending = std::sync::Arc::new(crate::check::Pending::new(1));
        let options = CheckOptions {
            report: registry.find(report).cloned(),
            piece_bytes,
            pending: in_turn.map(|_| pending.clone()),
            // The reference: every row through the parser and `check_row`.
            csv_path: if long { CsvPath::Full } else { CsvPath::Steady },
            ..CheckOptions::default()
        };
        let source = Source {
            input: Input::Stdin,
            name: "t.csv".into(),
            index: 0,
            group: ".".into(),
            relative: "t.csv".into(),
        };
        let reader = Starting {
            text,
            read: 0,
            at: in_turn.unwrap_or(0),
            pending,
        };
        crate::validate::check_reader(reader, &source, &registry, &options, sink)
    }

    /// [`outcome`], with or without records, cut as `cut` says.
    fn outcome_with(
        text: &[u8],
        long: bool,
        records: bool,
        cut: Cut,
    ) -> (String, Vec<(u64, Vec<crate::Cell>)>) {
        let mut kept = Kept(Vec::new(), records);
        let report = check_group_counts(text, long, cut, &mut kept);
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
                let r = check_as(&report.name, text.as_bytes(), long, ONE_PIECE, &mut kept);
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
            cut in cuts(),
        ) {
            // Mostly good cells: a steady run ends at the first odd one.
            let pick = |p: u8| if p % 16 == 15 && p > 128 { 0 } else { p };
            let refresh = early_refresh.then_some("2026-11-01");
            let text = generated_csv(&rows, "\r\n", pick, refresh, |shape| shape < 30);
            for records in [false, true] {
                let steady = outcome_with(text.as_bytes(), false, records, cut);
                let long = outcome_with(text.as_bytes(), true, records, ONE_PIECE);
                proptest::prop_assert_eq!(&steady.0, &long.0, "{}", text);
                proptest::prop_assert!(steady.1 == long.1, "records differ\n{}", text);
            }
        }
    }

    /// What converting `text` to `format` writes (`None` for an invalid file), with the
    /// short path and steady runs or without, cut as `cut` says.
    fn converted(
        text: &[u8],
        long: bool,
        format: crate::write::Format,
        cut: Cut,
    ) -> Option<Vec<u8>> {
        use std::io::{Read, Seek};
        let mut writer = crate::write::RecordWriter::new(
            crate::write::WriteOptions {
                format,
                bom: false,
                durability: crate::write::Durability::Unsynced,
                compression: crate::write::Compression::default(),
            },
            crate::write::Destination::Stdout,
        );
        let report = check_group_counts(text, long, cut, &mut writer);
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
            cut in cuts(),
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
                let runs = converted(text.as_bytes(), false, format, cut);
                let cells = converted(text.as_bytes(), true, format, ONE_PIECE);
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
