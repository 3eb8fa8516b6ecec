//! File rules: what must hold across the rows of one file.
//!
//! State is bounded by the number of distinct report dates (a bit per day), never by the number
//! of rows, so a file of millions of rows is checked in constant memory per day it spans.

use chrono::{Datelike, NaiveDate};

use crate::diagnostic::Code;
use crate::record::Cell;
use crate::rules::keys::KeySet;
use crate::schema::{Kind, Report};

/// One broken file rule.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileProblem {
    /// The finding code.
    pub code: Code,
    /// The line the problem was seen on; 0 for the whole file.
    pub line: u64,
    /// The column the finding points at, when the problem belongs to the current row.
    pub column: Option<usize>,
    /// The message.
    pub message: String,
    /// What to do.
    pub hint: Option<String>,
}

/// A set of days, as bits relative to a base day that moves as needed.
#[derive(Debug, Default)]
struct DaySet {
    base: i64,
    words: Vec<u64>,
}

impl DaySet {
    /// Inserts `day`; false if it was already there.
    fn insert(&mut self, day: i64) -> bool {
        self.reach(day);
        let offset = (day - self.base) as usize;
        let (word, bit) = (offset / 64, offset % 64);
        let fresh = self.words[word] & (1 << bit) == 0;
        self.words[word] |= 1 << bit;
        fresh
    }

    /// Widens the set so that `day` has a word, without adding it.
    #[inline]
    fn reach(&mut self, day: i64) {
        if self.words.is_empty() {
            self.base = day.div_euclid(64) * 64;
        }
        if day < self.base {
            // Newest-first files (the usual order) extend the set downwards a word every 64
            // days; growing by at least the current size keeps that amortised O(1) instead
            // of shifting every word each time (quadratic on a long file).
            let needed = (self.base - day).div_euclid(64) as usize + 1;
            let grow = needed.max(self.words.len());
            self.words.splice(0..0, std::iter::repeat_n(0, grow));
            self.base -= 64 * grow as i64;
        }
        let word = (day - self.base) as usize / 64;
        if word >= self.words.len() {
            self.words.resize(word + 1, 0);
        }
    }

    /// The newest day of `from..=to` in the set.
    fn newest_in(&self, from: i64, to: i64) -> Option<i64> {
        let (low, high) = (
            from.max(self.base),
            to.min(self.base + 64 * self.words.len() as i64 - 1),
        );
        let mut day = high;
        while day >= low {
            let offset = (day - self.base) as usize;
            // The bits of this word from the word's first day up to `day`, newest first.
            let bits = self.words[offset / 64] & (u64::MAX >> (63 - offset % 64));
            if bits != 0 {
                let newest =
                    self.base + 64 * (offset / 64) as i64 + 63 - i64::from(bits.leading_zeros());
                return (newest >= low).then_some(newest);
            }
            day -= (offset % 64) as i64 + 1;
        }
        None
    }

    /// Inserts every day of `from..=to`, none of which is in the set yet.
    fn insert_fresh(&mut self, from: i64, to: i64) {
        self.reach(from);
        self.reach(to);
        let mut day = from;
        while day <= to {
            let offset = (day - self.base) as usize;
            let (word, bit) = (offset / 64, offset % 64);
            let span = (64 - bit).min((to - day + 1) as usize);
            let bits = if span == 64 {
                u64::MAX
            } else {
                ((1u64 << span) - 1) << bit
            };
            self.words[word] |= bits;
            day += span as i64;
        }
    }

    /// The words of the set with the first day each covers (bases are multiples of 64, so
    /// the words of two sets line up).
    fn spans(&self) -> impl Iterator<Item = (i64, u64)> + '_ {
        self.words
            .iter()
            .enumerate()
            .map(|(i, &w)| (self.base + 64 * i as i64, w))
    }

    /// Whether a day is in both sets.
    fn contains(&self, day: i64) -> bool {
        let Ok(offset) = usize::try_from(day - self.base) else {
            return false;
        };
        self.words
            .get(offset / 64)
            .is_some_and(|w| w & (1 << (offset % 64)) != 0)
    }

    fn meets(&self, other: &DaySet) -> bool {
        other.spans().any(|(first, w)| {
            w != 0
                && first >= self.base
                && self
                    .words
                    .get(((first - self.base) / 64) as usize)
                    .is_some_and(|mine| mine & w != 0)
        })
    }

    /// Adds every day of `other`.
    fn union(&mut self, other: &DaySet) {
        let mut used = other.spans().filter(|&(_, w)| w != 0);
        let Some((low, _)) = used.next() else { return };
        let high = used.last().map_or(low, |(first, _)| first);
        self.reach(low);
        self.reach(high);
        for (first, w) in other.spans().filter(|&(_, w)| w != 0) {
            self.words[((first - self.base) / 64) as usize] |= w;
        }
    }

    /// The first day in `from..=to` that is not in the set.
    fn first_missing(&self, from: i64, to: i64) -> Option<i64> {
        (from..=to).find(|&d| {
            let offset = (d - self.base) as usize;
            self.words
                .get(offset / 64)
                .is_none_or(|w| w & (1 << (offset % 64)) == 0)
        })
    }
}

/// Tracks one file's rows for the file rules.
#[derive(Debug, Default)]
pub struct FileRules {
    rows: u64,
    /// Rows whose dates or period could not be read: gaps and counts would mislead.
    unreadable: u64,
    period: Option<(Cell, u64)>,
    mixed_periods: bool,
    refresh: Option<NaiveDate>,
    mixed_refresh: bool,
    previous: Option<NaiveDate>,
    /// The day number of `previous` (see `day_number`), where there is one.
    previous_day: i64,
    /// The report date of the first row that had one.
    first: Option<NaiveDate>,
    out_of_order: bool,
    first_gap: Option<(NaiveDate, NaiveDate, u64)>,
    days: DaySet,
    distinct: u64,
    min: Option<NaiveDate>,
    max: Option<NaiveDate>,
    /// Detail reports: each entity seen (lower-cased), with its line. Counts reports with
    /// dimensions: each (day, dimension values) seen. Bounded by the entities (or days times
    /// values) of the file, as the rule needs.
    keys: KeySet,
    /// The key being built for the row at hand, kept to spare an allocation a row.
    key: String,
    /// The first row and text column holding a concealed name (32 upper-case hex digits).
    concealed: Option<(u64, usize)>,
    /// The columns whose cells are texts, once a row has been seen: the ones a concealed
    /// name can be in, looked at on every row until one is found.
    text_columns: Option<Box<[usize]>>,
}

/// Whether `text` is a name the tenant conceals: Microsoft 365 replaces user, group and
/// site names in reports by 32 upper-case hex digits (an MD5-like hash) unless an admin
/// turns that off.
pub fn is_concealed(text: &str) -> bool {
    text.len() == 32
        && text
            .bytes()
            .all(|b| b.is_ascii_digit() || (b'A'..=b'F').contains(&b))
}

/// Appends the row's dimension values to `key`, each after a separator no value holds.
fn push_dimensions(report: &Report, cells: &[Cell], key: &mut String) {
    for &d in report.dimensions() {
        key.push('\u{1f}');
        cells[d].write_text(&report.columns[d].kind, key);
    }
}

fn day_number(d: NaiveDate) -> i64 {
    i64::from(d.num_days_from_ce())
}

impl FileRules {
    /// Observes one row that passed its field rules (`line` is where it starts).
    pub fn observe(
        &mut self,
        report: &Report,
        line: u64,
        cells: &[Cell],
        mut emit: impl FnMut(FileProblem),
    ) {
        self.rows += 1;
        if let Some(p) = report.period() {
            let cell = &cells[p];
            match &self.period {
                None if *cell != Cell::Null => self.period = Some((cell.clone(), line)),
                // The usual row repeats the first period: one comparison tells.
                Some((first, first_line))
                    if cell != first && !self.mixed_periods && *cell != Cell::Null =>
                {
                    self.mixed_periods = true;
                    let name = &report.columns[p].csv;
                    let text = |c: &Cell| {
                        let mut s = String::new();
                        c.write_text(&report.columns[p].kind, &mut s);
                        s
                    };
                    emit(FileProblem {
                        code: Code::MixedPeriods,
                        line,
                        column: Some(p),
                        message: format!(
                            "`{name}` is {} here but {} on line {first_line}",
                            text(cell),
                            text(first)
                        ),
                        hint: Some(
                            "one download holds one period; files were probably concatenated"
                                .into(),
                        ),
                    });
                }
                _ => {}
            }
        }
        if let Some(refresh) = report.refresh_date().and_then(|f| cells[f].as_date()) {
            match self.refresh {
                None => self.refresh = Some(refresh),
                Some(first) if first != refresh && !self.mixed_refresh => {
                    self.mixed_refresh = true;
                    emit(FileProblem {
                        code: Code::MixedRefreshDates,
                        line,
                        column: report.refresh_date(),
                        message: format!("refresh date {refresh} differs from the file's first, {first}"),
                        hint: Some("a single download has one refresh date; files may have been concatenated".into()),
                    });
                }
                _ => {}
            }
        }
        if let Some(e) = report.entity() {
            self.observe_entity(report, e, line, cells, &mut emit);
        }
        if self.concealed.is_none() {
            let texts = self.text_columns.get_or_insert_with(|| {
                let text = |kind: &Kind| matches!(kind, Kind::Text | Kind::Guid | Kind::Duration);
                (report.columns.iter().enumerate())
                    .filter_map(|(i, c)| text(&c.kind).then_some(i))
                    .collect()
            });
            self.concealed = texts
                .iter()
                .find(|&&i| cells[i].as_text().is_some_and(is_concealed))
                .map(|&column| (line, column));
        }
        let Some(r) = report.report_date() else {
            return;
        };
        let Some(date) = cells[r].as_date() else {
            return;
        };
        let name = &report.columns[r].csv;
        self.first.get_or_insert(date);
        let day = day_number(date);
        if !report.dimensions().is_empty() {
            self.key.clear();
            self.key.push_str(itoa::Buffer::new().format(day));
            push_dimensions(report, cells, &mut self.key);
            if let Some(first) = self.seen_before(line) {
                let values: Vec<String> = report
                    .dimensions()
                    .iter()
                    .map(|&d| {
                        let mut v = String::new();
                        cells[d].write_text(&report.columns[d].kind, &mut v);
                        format!("`{}` {v}", report.columns[d].csv)
                    })
                    .collect();
                emit(FileProblem {
                    code: Code::DuplicateDate,
                    line,
                    column: Some(r),
                    message: format!(
                        "`{name}` {date} with {} already appeared on line {first}",
                        values.join(", ")
                    ),
                    hint: Some("each day appears once per value in a download; merge overlapping files with `convert --merge` instead of concatenating them".into()),
                });
                return;
            }
            if self.days.contains(day) {
                // Another value of the same day: the day's order and gaps were judged on
                // its first row.
                return;
            }
        }
        if !self.days.insert(day) {
            let earlier = match self.previous {
                Some(p) if p == date => "on the previous row".to_string(),
                _ => "earlier in the file".to_string(),
            };
            emit(FileProblem {
                code: Code::DuplicateDate,
                line,
                column: Some(r),
                message: format!("`{name}` {date} already appeared {earlier}"),
                hint: Some("each day appears once in a download; merge overlapping files with `convert --merge` instead of concatenating them".into()),
            });
            self.previous = Some(date);
            self.previous_day = day;
            return;
        }
        self.distinct += 1;
        self.min = Some(self.min.map_or(date, |m| m.min(date)));
        self.max = Some(self.max.map_or(date, |m| m.max(date)));
        if let Some(previous) = self.previous {
            if date > previous && !self.out_of_order {
                self.out_of_order = true;
                emit(FileProblem {
                    code: Code::NotNewestFirst,
                    line,
                    column: Some(r),
                    message: format!("`{name}` {date} comes after the older {previous}"),
                    hint: Some(
                        "Graph writes the newest day first; the file was probably sorted by hand"
                            .into(),
                    ),
                });
            }
            // Neighbouring days (the usual step) are told apart by their day numbers.
            let adjacent = (day - self.previous_day).abs() == 1;
            if !adjacent && self.first_gap.is_none() {
                let (newer, older) = if date < previous {
                    (previous, date)
                } else {
                    (date, previous)
                };
                self.first_gap = Some((older, newer, line));
            }
        }
        self.previous = Some(date);
        self.previous_day = day;
    }

    /// Makes room for about `more` rows to come, each with a key like those seen so far:
    /// a file checked in turn knows its size after its first piece.
    pub fn expect_rows(&mut self, more: usize) {
        if !self.keys.is_empty() {
            self.keys.reserve(more);
        }
    }

    /// Notes the key built in `self.key` as seen on `line`; the line it was first seen
    /// on, if it was seen before.
    fn seen_before(&mut self, line: u64) -> Option<u64> {
        self.keys.seen_before(&self.key, line)
    }

    /// E403: the entity of a detail report's row (with its dimension values, where the
    /// report has some) was seen before in the file.
    fn observe_entity(
        &mut self,
        report: &Report,
        e: usize,
        line: u64,
        cells: &[Cell],
        emit: &mut impl FnMut(FileProblem),
    ) {
        self.key.clear();
        cells[e].write_text(&report.columns[e].kind, &mut self.key);
        if self.key.is_empty() {
            return;
        }
        self.key.make_ascii_lowercase();
        // A detail report with a dimension (activations: a row per user and product) holds
        // one row per entity and value.
        push_dimensions(report, cells, &mut self.key);
        if let Some(first) = self.seen_before(line) {
            let column = &report.columns[e].csv;
            let mut shown = String::new();
            cells[e].write_text(&report.columns[e].kind, &mut shown);
            emit(FileProblem {
                code: Code::DuplicateEntity,
                line,
                column: Some(e),
                message: format!("`{column}` {shown} already appeared on line {first}"),
                hint: Some("a detail report holds one row per entity; files were probably concatenated, or pages of a download joined twice".into()),
            });
        }
    }

    /// Observes up to `rows` rows after the last one observed, whose report dates go down a
    /// day a row from the day before that row's, and which would break no rule but a
    /// repeated day: the other rules cannot break on them (the period and refresh date
    /// repeat the row before, each date is next to the one before). Returns how many it took:
    /// those before the first day already seen, whose row must be observed on its own to
    /// report it; none if the last row observed had no report date.
    pub fn steady(&mut self, rows: u64) -> u64 {
        let taken = self.steady_room(rows);
        let Some(last) = self
            .previous
            .and_then(|p| p.checked_sub_days(chrono::Days::new(taken)))
        else {
            return 0;
        };
        if taken == 0 {
            return 0;
        }
        let newest = self.previous_day - 1;
        self.days.insert_fresh(newest - taken as i64 + 1, newest);
        self.rows += taken;
        self.distinct += taken;
        self.min = Some(self.min.map_or(last, |m| m.min(last)));
        self.previous = Some(last);
        self.previous_day = newest - taken as i64 + 1;
        taken
    }

    /// How many days right before the last row's report date are not seen yet, counting at
    /// most `most`: the longest steady run [`FileRules::steady`] can take whole.
    pub fn steady_room(&self, most: u64) -> u64 {
        if self.previous.is_none() {
            return 0;
        }
        let newest = self.previous_day - 1;
        let oldest = newest - most.min(1 << 40) as i64 + 1;
        match self.days.newest_in(oldest, newest) {
            Some(seen) => (newest - seen) as u64,
            None => most,
        }
    }

    /// Whether [`FileRules::append`] would take `later` in: observing its rows here would
    /// give the state appending gives, and nothing observed here would be reported.
    pub fn joins(&self, later: &FileRules) -> bool {
        let clean = later.unreadable == 0
            && !later.mixed_periods
            && !later.mixed_refresh
            && !later.out_of_order;
        let period = match (&self.period, &later.period) {
            (Some((a, _)), Some((b, _))) => a == b || self.mixed_periods,
            _ => true,
        };
        let refresh = match (self.refresh, later.refresh) {
            (Some(a), Some(b)) => a == b || self.mixed_refresh,
            _ => true,
        };
        // The seam between this state's last date and the next one: an order change, a
        // duplicate or a gap would be reported (or located) at the later row.
        let seam = match (self.previous, later.first) {
            (Some(p), Some(f)) => {
                (f < p || self.out_of_order)
                    && ((p - f).num_days().abs() == 1 || self.first_gap.is_some())
            }
            _ => true,
        };
        let keys = self.keys.disjoint(&later.keys);
        clean && period && refresh && seam && keys && !self.days.meets(&later.days)
    }

    /// Appends the state of the rows that follow, observed on their own (`later` starts
    /// empty at the row after this state's last), when that gives the state observing them
    /// here would have and nothing observed here would have been reported. `false` (nothing
    /// changed) when a problem could begin at the seam or inside `later` (see
    /// [`FileRules::joins`]): the caller then observes those rows here, one by one, so every
    /// finding is found where it would be.
    pub fn append(&mut self, later: &FileRules) -> bool {
        if !self.joins(later) {
            return false;
        }
        self.append_joined(later);
        true
    }

    /// [`FileRules::append`] of a state that [`FileRules::joins`] has said it takes: the
    /// caller asked already, so neither asks again (for a large detail report, that
    /// means looking up every entity of the piece).
    pub fn append_joined(&mut self, later: &FileRules) {
        self.rows += later.rows;
        self.period = self.period.take().or_else(|| later.period.clone());
        self.refresh = self.refresh.or(later.refresh);
        if later.previous.is_some() {
            (self.previous, self.previous_day) = (later.previous, later.previous_day);
        }
        self.first = self.first.or(later.first);
        self.first_gap = self.first_gap.or(later.first_gap);
        self.days.union(&later.days);
        self.keys.extend_disjoint(&later.keys);
        self.concealed = self.concealed.or(later.concealed);
        self.distinct += later.distinct;
        self.min = self.min.into_iter().chain(later.min).min();
        self.max = self.max.into_iter().chain(later.max).max();
    }

    /// Counts a row whose dates or period failed their field rules: it is a row, but the
    /// day it covers is unknown, so gaps and day counts are not judged.
    pub fn skip(&mut self) {
        self.rows += 1;
        self.unreadable += 1;
    }

    /// The line of the row after the first gap between consecutive rows, if any: the caller
    /// locates it while the row is at hand, for the W404 that [`FileRules::finish`] may report.
    pub fn first_gap_line(&self) -> Option<u64> {
        self.first_gap.map(|(_, _, line)| line)
    }

    /// The whole-file rules, once every row has been seen.
    pub fn finish(&mut self, report: &Report, mut emit: impl FnMut(FileProblem)) {
        if let Some((line, column)) = self.concealed {
            emit(FileProblem {
                code: Code::ConcealedNames,
                line,
                column: Some(column),
                message: format!(
                    "the tenant conceals names: `{}` holds 32 hex digits instead of a name",
                    report.columns[column].csv
                ),
                hint: Some("a global admin shows real names in the Microsoft 365 admin center: Settings > Org settings > Services > Reports, clear \"Display concealed user, group, and site names in all reports\"; joins between reports of one download still work".into()),
            });
        }
        if self.rows == 0 {
            emit(FileProblem {
                code: Code::HeaderOnly,
                line: 1,
                column: None,
                message: "the file has no rows".into(),
                hint: Some(
                    "Graph sends a header-only file when it has no data for the tenant yet".into(),
                ),
            });
            return;
        }
        if self.unreadable > 0 {
            return;
        }
        if let (Some(min), Some(max)) = (self.min, self.max) {
            let span = (max - min).num_days() + 1;
            if span > self.distinct as i64 {
                // Sorted files (the usual case) know the exact rows around the first gap; an
                // unsorted file only knows which day is missing.
                let gap = match self.first_gap {
                    Some((older, newer, line)) if !self.out_of_order => Some((older, newer, line)),
                    _ => self
                        .days
                        .first_missing(day_number(min), day_number(max))
                        .and_then(|d| NaiveDate::from_num_days_from_ce_opt(d as i32))
                        .map(|d| (d - chrono::Days::new(1), d + chrono::Days::new(1), 0)),
                };
                if let Some((older, newer, line)) = gap {
                    let missing = (newer - older).num_days() - 1;
                    let from = older + chrono::Days::new(1);
                    let to = newer - chrono::Days::new(1);
                    let range = if from == to {
                        from.to_string()
                    } else {
                        format!("{from} to {to}")
                    };
                    emit(FileProblem {
                        code: Code::DateGap,
                        line,
                        column: report.report_date(),
                        message: format!(
                            "{} missing between {older} and {newer} ({range}); {} of {span} days present in all",
                            if missing == 1 { "1 day is".to_string() } else { format!("{missing} days are") },
                            self.distinct
                        ),
                        hint: Some("rows were probably deleted, or files were combined by hand".into()),
                    });
                }
            }
        }
        let dated = report.report_date().is_some();
        if let (Some((Cell::Enum(i), _)), false, true) = (&self.period, self.mixed_periods, dated) {
            let days: Option<u64> = report
                .period_values()
                .get(usize::from(*i))
                .and_then(|v| v.parse().ok());
            // With dimensions a day has a row per value: the days are what the period counts.
            let rows = if report.dimensions().is_empty() {
                self.rows
            } else {
                self.distinct
            };
            if let Some(days) = days {
                if days != rows {
                    emit(FileProblem {
                        code: Code::RowCount,
                        line: 1,
                        column: None,
                        message: if report.dimensions().is_empty() {
                            format!("the file has {rows} rows but its report period is {days} days")
                        } else {
                            format!("the file has {rows} days but its report period is {days} days")
                        },
                        hint: Some("a complete download holds one row per day of its period; the file may be cut short or edited".into()),
                    });
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::schema::Registry;

    fn run(dates: &[&str]) -> Vec<(Code, u64)> {
        let registry = Registry::builtin().unwrap();
        let report = registry.find("GroupCounts").unwrap();
        let mut rules = FileRules::default();
        let mut out = Vec::new();
        let d = |s: &str| Cell::Date(NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap());
        for (i, date) in dates.iter().enumerate() {
            let cells = [
                d("2026-11-25"),
                Cell::Int(9),
                Cell::Int(1),
                d(date),
                Cell::Enum(0),
            ];
            rules.observe(report, i as u64 + 2, &cells, |p| out.push((p.code, p.line)));
        }
        rules.finish(report, |p| out.push((p.code, p.line)));
        out
    }

    #[test]
    fn a_clean_week_has_no_findings() {
        let week = [
            "2026-11-25",
            "2026-11-24",
            "2026-11-23",
            "2026-11-22",
            "2026-11-21",
            "2026-11-20",
            "2026-11-19",
        ];
        assert!(run(&week).is_empty());
    }

    #[test]
    fn duplicate_gap_order_and_count() {
        let out = run(&["2026-11-25", "2026-11-25", "2026-11-23", "2026-11-24"]);
        assert!(out.contains(&(Code::DuplicateDate, 3)));
        assert!(out.contains(&(Code::NotNewestFirst, 5)));
        assert!(out.contains(&(Code::RowCount, 1)));
        assert!(!out.iter().any(|(c, _)| *c == Code::DateGap), "{out:?}");
    }

    #[test]
    fn gap_points_at_the_row_after_it() {
        let out = run(&["2026-11-25", "2026-11-24", "2026-11-22", "2026-11-21"]);
        assert!(out.contains(&(Code::DateGap, 4)), "{out:?}");
    }

    #[test]
    fn no_rows_is_header_only() {
        assert_eq!(run(&[]), [(Code::HeaderOnly, 1)]);
    }

    #[test]
    fn day_set_grows_both_ways() {
        let mut set = DaySet::default();
        assert!(set.insert(1000));
        assert!(set.insert(10));
        assert!(set.insert(5000));
        assert!(!set.insert(10));
        assert_eq!(set.first_missing(10, 12), Some(11));
    }

    #[test]
    fn day_set_newest_first_keeps_every_day() {
        let mut set = DaySet::default();
        for day in (0..10_000).rev() {
            assert!(set.insert(day));
        }
        assert!(!set.insert(0) && !set.insert(9_999));
        assert_eq!(set.first_missing(0, 9_999), None);
        assert_eq!(set.first_missing(0, 10_000), Some(10_000));
    }

    /// Rows of (report date offset from a base day, period index), observed from line 2.
    fn observe_all(
        rules: &mut FileRules,
        rows: &[(i64, u16)],
        first_line: u64,
        out: &mut Vec<(Code, u64)>,
    ) {
        let registry = Registry::builtin().unwrap();
        let report = registry.find("GroupCounts").unwrap();
        let base = NaiveDate::from_ymd_opt(2026, 6, 1).unwrap();
        for (i, &(offset, period)) in rows.iter().enumerate() {
            let cells = [
                Cell::Date(base),
                Cell::Int(9),
                Cell::Int(1),
                Cell::Date(base - chrono::Days::new(offset as u64)),
                Cell::Enum(period),
            ];
            rules.observe(report, first_line + i as u64, &cells, |p| {
                out.push((p.code, p.line))
            });
        }
    }

    fn finish(rules: &mut FileRules) -> Vec<(Code, u64)> {
        let registry = Registry::builtin().unwrap();
        let report = registry.find("GroupCounts").unwrap();
        let mut out = Vec::new();
        rules.finish(report, |p| out.push((p.code, p.line)));
        out
    }

    #[test]
    fn a_long_clean_file_appends_piece_by_piece() {
        let rows: Vec<(i64, u16)> = (0..1000).map(|d| (d, 3)).collect();
        let mut whole = FileRules::default();
        let mut found = Vec::new();
        for (i, piece) in rows.chunks(64).enumerate() {
            let mut part = FileRules::default();
            observe_all(&mut part, piece, 2 + 64 * i as u64, &mut found);
            assert!(whole.append(&part), "piece {i}");
        }
        assert!(found.is_empty());
        assert_eq!(finish(&mut whole), [(Code::RowCount, 1)]);
    }

    #[test]
    fn day_set_ranges() {
        let mut set = DaySet::default();
        set.insert_fresh(-70, 140);
        assert_eq!(set.first_missing(-70, 140), None);
        assert_eq!(set.first_missing(-71, 140), Some(-71));
        assert_eq!(set.first_missing(141, 141), Some(141));
        assert_eq!(set.newest_in(-200, 500), Some(140));
        assert_eq!(set.newest_in(-200, -71), None);
        assert_eq!(set.newest_in(141, 500), None);
        assert_eq!(set.newest_in(0, 63), Some(63));
        assert_eq!(DaySet::default().newest_in(0, 10), None);
    }

    proptest::proptest! {
        /// `newest_in` is the newest day a scan finds, `insert_fresh` inserts each day.
        #[test]
        fn day_set_ranges_are_day_by_day(
            days in proptest::collection::vec(-300i64..300, 0..40),
            from in -400i64..400,
            len in 0i64..300,
        ) {
            let mut set = DaySet::default();
            for &d in &days {
                set.insert(d);
            }
            let to = from + len;
            let newest = (from..=to).rev().find(|d| days.contains(d));
            proptest::prop_assert_eq!(set.newest_in(from, to), newest);
            if newest.is_none() {
                set.insert_fresh(from, to);
                for d in from - 3..=to + 3 {
                    let inside = (from..=to).contains(&d) || days.contains(&d);
                    proptest::prop_assert_eq!(set.first_missing(d, d).is_none(), inside, "day {}", d);
                }
            }
        }

        /// A steady run taken whole is its rows observed one by one: up to the first day
        /// seen before, with the same findings and gaps afterwards.
        #[test]
        fn a_steady_run_is_its_rows_observed(
            before in proptest::collection::vec(0i64..300, 0..12),
            start in 0i64..300,
            run in 0u64..200,
            after in proptest::collection::vec(0i64..300, 0..6),
        ) {
            let head: Vec<(i64, u16)> = before.iter().chain([&start]).map(|&d| (d, 0)).collect();
            let mut one = FileRules::default();
            let mut expected = Vec::new();
            observe_all(&mut one, &head, 2, &mut expected);
            let mut two = FileRules::default();
            let mut found = Vec::new();
            observe_all(&mut two, &head, 2, &mut found);
            let room = two.steady_room(run);
            let taken = two.steady(run);
            let fresh = (1..=run as i64)
                .take_while(|k| !head.iter().any(|&(d, _)| d == start + k))
                .count() as u64;
            proptest::prop_assert_eq!(taken, fresh);
            proptest::prop_assert_eq!(room, fresh);
            let rows: Vec<(i64, u16)> = (1..=taken as i64).map(|k| (start + k, 0)).collect();
            let line = 2 + head.len() as u64;
            observe_all(&mut one, &rows, line, &mut expected);
            proptest::prop_assert_eq!(&found, &expected);
            let tail: Vec<(i64, u16)> = after.iter().map(|&d| (d, 0)).collect();
            let line = line + taken;
            observe_all(&mut one, &tail, line, &mut expected);
            observe_all(&mut two, &tail, line, &mut found);
            proptest::prop_assert_eq!(&found, &expected);
            proptest::prop_assert_eq!(one.first_gap_line(), two.first_gap_line());
            proptest::prop_assert_eq!(finish(&mut one), finish(&mut two));
        }

        #[test]
        fn appending_a_piece_equals_observing_its_rows_here(
            rows in proptest::collection::vec((0i64..12, proptest::prop_oneof![9 => proptest::strategy::Just(0u16), 1 => 0u16..2]), 0..24),
            split in 0usize..24,
        ) {
            let split = split.min(rows.len());
            let mut whole = FileRules::default();
            let mut expected = Vec::new();
            observe_all(&mut whole, &rows, 2, &mut expected);
            let mut head = FileRules::default();
            let mut found = Vec::new();
            observe_all(&mut head, &rows[..split], 2, &mut found);
            let mut tail = FileRules::default();
            let mut tail_found = Vec::new();
            observe_all(&mut tail, &rows[split..], 2 + split as u64, &mut tail_found);
            if tail_found.is_empty() && head.append(&tail) {
                proptest::prop_assert_eq!(&found, &expected);
                proptest::prop_assert_eq!(head.first_gap_line(), whole.first_gap_line());
                proptest::prop_assert_eq!(finish(&mut head), finish(&mut whole));
            }
        }
    }
}
