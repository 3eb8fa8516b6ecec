//! Reading the per-user reports for `inactive`: every file checked in parallel as by
//! `validate`, and of each valid file of a report taking part, one compact [`Row`] per user
//! with only what the join needs (dates by service, licence bits, names, products). Invalid
//! files keep their reports for the diagnostics and give nothing.

use std::sync::Arc;

use chrono::NaiveDate;
use rayon::prelude::*;

use super::catalogue::{Catalogue, Plan};
use crate::archive::query::Selection;
use crate::archive::{Archive, ArchiveError};
use crate::check::{CheckOptions, FileReport};
use crate::discover::Source;
use crate::record::{Cell, Fork, Record, RecordSink};
use crate::rules::file::is_concealed;
use crate::schema::{Registry, Report};
use crate::validate::check_source;

/// One user's row of one file, reduced to what the join reads.
///
/// Two allocations a row, not six: the names share one text and the dates one slice. A
/// tenant's reports are hundreds of thousands of rows, and allocating and freeing their
/// parts was a fifth of `inactive`'s work (BENCHMARKS.md, "inactive").
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Row {
    /// The user principal name as written, its lower-cased form where that differs, the
    /// user id and the display name, one after another (see `ends`).
    names: Box<str>,
    /// Where the name, the lower-cased name and the id end in `names`; the display name
    /// runs to its end. An empty part is one the row lacks.
    ends: [u32; 3],
    /// Whether the report marks the user deleted.
    pub deleted: bool,
    /// Services whose licence the row says the user holds (one bit per service).
    pub licensed: u64,
    /// The newest last-activity date per service, then the licence assign dates per
    /// service (see `activities`).
    dates: Box<[(u8, NaiveDate)]>,
    /// How many of `dates` are last activities.
    activities: u8,
    /// The products assigned, shared by the rows of a file that have the same.
    pub products: Arc<[String]>,
    /// The line the row came from, for conflicts.
    pub line: u64,
}

/// What a [`Row`] is made of.
#[derive(Debug, Clone, Default)]
pub struct RowParts<'a> {
    /// The user principal name as written.
    pub upn: &'a str,
    /// The user id, where the report has one.
    pub id: Option<&'a str>,
    /// The display name, where the report has one.
    pub name: Option<&'a str>,
    /// Whether the report marks the user deleted.
    pub deleted: bool,
    /// Services whose licence the row says the user holds (one bit per service).
    pub licensed: u64,
    /// The newest last-activity date per service the row gives.
    pub activity: &'a [(u8, NaiveDate)],
    /// Licence assign dates per service.
    pub assigned: &'a [(u8, NaiveDate)],
    /// The products assigned.
    pub products: Option<Arc<[String]>>,
    /// The line the row came from.
    pub line: u64,
}

impl Row {
    /// The row of `parts`; `None` where a name is too long to place (4 GiB).
    pub fn new(parts: RowParts<'_>) -> Option<Row> {
        let lower = Row::lower_of(parts.upn);
        let (id, name) = (parts.id.unwrap_or(""), parts.name.unwrap_or(""));
        let mut names = String::with_capacity(
            parts.upn.len() + lower.as_ref().map_or(0, String::len) + id.len() + name.len(),
        );
        let mut ends = [0u32; 3];
        for (end, part) in ends
            .iter_mut()
            .zip([parts.upn, lower.as_deref().unwrap_or(""), id])
        {
            names.push_str(part);
            *end = u32::try_from(names.len()).ok()?;
        }
        names.push_str(name);
        u32::try_from(names.len()).ok()?;
        let mut dates = Vec::with_capacity(parts.activity.len() + parts.assigned.len());
        dates.extend_from_slice(parts.activity);
        dates.extend_from_slice(parts.assigned);
        Some(Row {
            names: names.into_boxed_str(),
            ends,
            deleted: parts.deleted,
            licensed: parts.licensed,
            dates: dates.into_boxed_slice(),
            activities: u8::try_from(parts.activity.len()).ok()?,
            products: parts.products.unwrap_or_else(no_products),
            line: parts.line,
        })
    }

    fn part(&self, i: usize) -> &str {
        let start = if i == 0 { 0 } else { self.ends[i - 1] as usize };
        let end = self.ends.get(i).map_or(self.names.len(), |&e| e as usize);
        &self.names[start..end]
    }

    /// Whether `other` says what this row says, wherever each came from (lines aside).
    pub fn says_what(&self, other: &Row) -> bool {
        // Every field named, so that a new one is compared or left out on purpose.
        let Row {
            names,
            ends,
            deleted,
            licensed,
            dates,
            activities,
            products,
            line: _,
        } = self;
        *names == other.names
            && *ends == other.ends
            && *deleted == other.deleted
            && *licensed == other.licensed
            && *dates == other.dates
            && *activities == other.activities
            && *products == other.products
    }

    /// The user principal name as written.
    pub fn upn(&self) -> &str {
        self.part(0)
    }

    /// The join key: the user principal name in lower case.
    pub fn key(&self) -> &str {
        match self.part(1) {
            "" => self.upn(),
            lower => lower,
        }
    }

    /// The user id, where the report has one.
    pub fn id(&self) -> Option<&str> {
        Some(self.part(2)).filter(|id| !id.is_empty())
    }

    /// The display name, where the report has one.
    pub fn name(&self) -> Option<&str> {
        Some(self.part(3)).filter(|name| !name.is_empty())
    }

    /// The newest last-activity date per service the row gives.
    pub fn activity(&self) -> &[(u8, NaiveDate)] {
        &self.dates[..usize::from(self.activities)]
    }

    /// Licence assign dates per service.
    pub fn assigned(&self) -> &[(u8, NaiveDate)] {
        &self.dates[usize::from(self.activities)..]
    }

    /// The lower-cased form of `upn` where it differs (most names are lower case already:
    /// no allocation for them).
    pub fn lower_of(upn: &str) -> Option<String> {
        (!upn.is_ascii() || upn.bytes().any(|b| b.is_ascii_uppercase())).then(|| upn.to_lowercase())
    }
}

/// The products of a row that gives none: one shared empty list, not one per row.
fn no_products() -> Arc<[String]> {
    static EMPTY: std::sync::LazyLock<Arc<[String]>> = std::sync::LazyLock::new(|| Arc::from([]));
    Arc::clone(&EMPTY)
}

/// One valid file of a report taking part: its rows and what it is a snapshot of.
#[derive(Debug, Clone)]
pub struct Snapshot {
    /// Index of the report's plan in the [`Catalogue`].
    pub plan: usize,
    /// The folder the file counts for under `--group-by dir`, else `.`.
    pub group: String,
    /// The newest refresh date of the file's rows.
    pub refresh: Option<NaiveDate>,
    /// The report period in days.
    pub period: Option<u32>,
    /// The file's position among the inputs.
    pub index: usize,
    /// The file's name as given.
    pub file: String,
    /// Whether its user names are concealed (32 hex digits).
    pub concealed: bool,
    /// One row per user, in file order.
    pub rows: Vec<Row>,
}

/// What checking every file gave.
#[derive(Debug, Default)]
pub struct Gathered {
    /// The valid files of reports taking part.
    pub snapshots: Vec<Snapshot>,
    /// Reports of the invalid files, in input order.
    pub invalid: Vec<FileReport>,
    /// Valid files of other reports (not joined), as (file, report name).
    pub other: Vec<(String, String)>,
    /// Files checked.
    pub files: usize,
    /// Whether some file could not be read.
    pub io_error: bool,
}

/// Checks every source in parallel and keeps the rows of the valid files of reports in
/// `catalogue`. With `by_folder`, each file's rows count for its folder (see
/// [`Snapshot::group`]).
pub fn gather(
    sources: &[Source],
    registry: &Registry,
    options: &CheckOptions,
    catalogue: &Catalogue,
    by_folder: bool,
) -> Gathered {
    let options = &options.spread_over(sources);
    // One lock taken once a file: a file's check is thousands of times longer than a push.
    let kept = std::sync::Mutex::new((Gathered::default(), Newest::default()));
    sources.par_iter().for_each(|source| {
        let mut sink = FileSink {
            catalogue,
            plan: None,
            report: None,
            snapshot: Snapshot {
                plan: 0,
                group: if by_folder {
                    source.folder()
                } else {
                    ".".into()
                },
                refresh: None,
                period: None,
                index: source.index,
                file: source.name.clone(),
                concealed: false,
                rows: Vec::new(),
            },
            products: Default::default(),
        };
        let report = check_source(source, registry, options, &mut sink);
        let mut kept = kept
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let (g, newest) = &mut *kept;
        g.files += 1;
        g.io_error |= report.io_error;
        if !report.is_valid() {
            g.invalid.push(report);
        } else if sink.plan.is_some() {
            newest.push(&mut g.snapshots, sink.snapshot);
        } else if let Some(r) = sink.report {
            g.other.push((report.name.clone(), r.name.clone()));
        }
    });
    let (mut gathered, _) = kept
        .into_inner()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    gathered.invalid.sort_by_key(|r| r.index);
    gathered.snapshots.sort_by_key(|s| s.index);
    gathered.other.sort();
    gathered
}

/// The snapshots of the detail downloads `archive` holds, as [`gather`] makes them of
/// files: one per stored download of a report taking part, its file named by the path it
/// was added from. With `by_folder`, a download counts for the series it was added under
/// (its folder, when added with `--group-by dir`).
pub fn from_archive(
    archive: &Archive,
    registry: &Registry,
    catalogue: &Catalogue,
    by_folder: bool,
) -> Result<Vec<Snapshot>, ArchiveError> {
    let mut snapshots: Vec<Snapshot> = Vec::new();
    let mut newest = Newest::default();
    // The download being read: kept (or its rows dropped) once the next one starts.
    let mut current: Option<Snapshot> = None;
    let mut products = Products::default();
    archive.each_detail_row(
        registry,
        &Selection::default(),
        |download, record, first| {
            let Some(plan) = catalogue.plan_of(&download.report.name) else {
                return;
            };
            if first {
                if let Some(done) = current.take() {
                    newest.push(&mut snapshots, done);
                }
                current = Some(Snapshot {
                    plan,
                    group: if by_folder {
                        download.series.clone()
                    } else {
                        ".".into()
                    },
                    refresh: None,
                    period: None,
                    index: usize::try_from(download.file_id).unwrap_or(usize::MAX),
                    file: download.path.clone(),
                    concealed: false,
                    rows: Vec::new(),
                });
            }
            if let Some(snapshot) = &mut current {
                take(&catalogue.plans[plan], record, snapshot, &mut products);
            }
        },
    )?;
    if let Some(done) = current {
        newest.push(&mut snapshots, done);
    }
    snapshots.sort_by_key(|s| s.index);
    Ok(snapshots)
}

/// Of each report and folder, the snapshots of the newest refresh date so far (see
/// [`Newest::push`]).
#[derive(Debug, Default)]
pub(super) struct Newest {
    /// (folder, plan) -> the newest refresh date and the indexes of its snapshots.
    held: std::collections::HashMap<(String, usize), (Option<NaiveDate>, Vec<usize>)>,
}

impl Newest {
    /// Adds `snapshot` to `snapshots`, keeping rows only where the join can use them: of
    /// each report and folder only the newest refresh date's files are joined
    /// ([`super::join::choose`]), so an older one keeps its name, refresh date and period
    /// (the history it covers, which the warnings read) and drops its rows as soon as a
    /// newer one is seen. Memory then follows the users of the newest downloads, not every
    /// download read (BENCHMARKS.md, "inactive").
    pub(super) fn push(&mut self, snapshots: &mut Vec<Snapshot>, mut snapshot: Snapshot) {
        let at = snapshots.len();
        let key = (snapshot.group.clone(), snapshot.plan);
        let (newest, of_newest) = self
            .held
            .entry(key)
            .or_insert((snapshot.refresh, Vec::new()));
        if snapshot.refresh < *newest {
            snapshot.rows = Vec::new();
        } else {
            if snapshot.refresh > *newest {
                for i in of_newest.drain(..) {
                    snapshots[i].rows = Vec::new();
                }
                *newest = snapshot.refresh;
            }
            of_newest.push(at);
        }
        snapshots.push(snapshot);
    }
}

/// The sink of one file: once the report is known, its plan; then one [`Row`] a record.
struct FileSink<'a> {
    catalogue: &'a Catalogue,
    plan: Option<usize>,
    report: Option<Arc<Report>>,
    snapshot: Snapshot,
    /// The distinct product lists of the file.
    products: Products,
}

impl RecordSink for FileSink<'_> {
    fn begin(&mut self, report: &Arc<Report>) {
        self.report = Some(Arc::clone(report));
        self.plan = self.catalogue.plan_of(&report.name);
        self.snapshot.plan = self.plan.unwrap_or_default();
    }

    fn record(&mut self, record: &Record<'_>) {
        if let Some(plan) = self.plan.map(|p| &self.catalogue.plans[p]) {
            take(plan, record, &mut self.snapshot, &mut self.products);
        }
    }

    fn finish(&mut self, valid: bool) {
        if !valid {
            // Nothing of an invalid file is used: free its rows now.
            self.snapshot.rows = Vec::new();
        }
    }

    fn fork(&mut self) -> Option<Box<dyn Fork>> {
        let plan = self.catalogue.plans.get(self.plan?)?.clone();
        Some(Box::new(PieceSink {
            plan,
            part: self.snapshot.clone_empty(),
            products: Default::default(),
        }))
    }

    fn join(&mut self, fork: &mut dyn Fork) -> bool {
        let Some(piece) = fork.as_any().downcast_mut::<PieceSink>() else {
            return false;
        };
        let part = &mut piece.part;
        self.snapshot.refresh = self.snapshot.refresh.max(part.refresh);
        self.snapshot.period = self.snapshot.period.or(part.period);
        self.snapshot.concealed |= part.concealed;
        self.snapshot.rows.append(&mut part.rows);
        true
    }
}

/// The rows of a later piece of a large file, made on another thread (see
/// [`RecordSink::fork`]): building them there spares copying every cell of the piece.
struct PieceSink {
    plan: Plan,
    part: Snapshot,
    products: Products,
}

impl RecordSink for PieceSink {
    fn record(&mut self, record: &Record<'_>) {
        take(&self.plan, record, &mut self.part, &mut self.products);
    }
}

impl Fork for PieceSink {
    fn as_any(&mut self) -> &mut dyn std::any::Any {
        self
    }
}

impl Snapshot {
    /// The same snapshot without rows.
    fn clone_empty(&self) -> Snapshot {
        Snapshot {
            plan: self.plan,
            group: self.group.clone(),
            refresh: self.refresh,
            period: self.period,
            index: self.index,
            file: self.file.clone(),
            concealed: self.concealed,
            rows: Vec::new(),
        }
    }
}

/// The distinct product lists of a file (or piece): a tenant has few, each user one.
type Products = std::collections::HashSet<Arc<[String]>, foldhash::fast::RandomState>;

/// Adds `record` to `into`: its refresh date, period, and row.
fn take(plan: &Plan, record: &Record<'_>, into: &mut Snapshot, products: &mut Products) {
    let refresh = record.refresh_date();
    if refresh > into.refresh {
        into.refresh = refresh;
    }
    if into.period.is_none() {
        into.period = record.period().and_then(|p| p.parse().ok());
    }
    if let Some(row) = row_of(plan, record, products) {
        into.concealed |= is_concealed(row.upn());
        into.rows.push(row);
    }
}

/// The row of `record` as `plan` reads it, its products shared with earlier rows through
/// `products`; `None` for a row without a user name.
pub fn row_of(plan: &Plan, record: &Record<'_>, products: &mut Products) -> Option<Row> {
    let cells = record.cells;
    let text = |i: Option<usize>| -> Option<&str> {
        i.and_then(|i| cells[i].as_text()).filter(|t| !t.is_empty())
    };
    let upn = text(Some(plan.entity))?;
    // The dates are gathered on the stack (a report has a dozen date columns at most):
    // the row's one allocation for them is made by `Row::new`, to their size.
    const ON_STACK: usize = 32;
    let columns = plan.activity.len() + plan.assigned.len();
    let (mut stack, mut heap) = ([(0u8, NaiveDate::MIN); ON_STACK], Vec::new());
    let dates: &mut [(u8, NaiveDate)] = if columns <= ON_STACK {
        &mut stack[..columns]
    } else {
        heap.resize(columns, (0u8, NaiveDate::MIN));
        &mut heap
    };
    let mut n = 0;
    let mut dated = |cols: &[(usize, usize)]| -> usize {
        let from = n;
        for &(c, s) in cols {
            let Some(date) = cells[c].as_date() else {
                continue;
            };
            let s = s as u8;
            match dates[from..n].iter_mut().find(|(t, _)| *t == s) {
                Some((_, d)) => *d = (*d).max(date),
                None => {
                    dates[n] = (s, date);
                    n += 1;
                }
            }
        }
        n - from
    };
    let activities = dated(&plan.activity);
    let assigned = dated(&plan.assigned);
    let mut licensed = plan.licensed_rows.map_or(0, |s| 1u64 << s);
    for &(c, s) in &plan.licence {
        if cells[c].as_bool() == Some(true) {
            licensed |= 1 << s;
        }
    }
    let products = match plan.products.map(|i| &cells[i]) {
        Some(Cell::List(items)) => Some(match products.get(items.as_slice()) {
            Some(shared) => Arc::clone(shared),
            None => {
                let shared: Arc<[String]> = items.as_slice().into();
                products.insert(Arc::clone(&shared));
                shared
            }
        }),
        _ => None,
    };
    // A tenant concealing names writes every user id as zeros: no key to join on.
    let id = text(plan.id).filter(|id| id.bytes().any(|b| b != b'0' && b != b'-'));
    let (activity, assigned) = dates[..activities + assigned].split_at(activities);
    Row::new(RowParts {
        upn,
        id,
        name: text(plan.name),
        deleted: plan
            .deleted
            .is_some_and(|i| cells[i].as_bool() == Some(true)),
        licensed,
        activity,
        assigned,
        products,
        line: record.line,
    })
}
