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
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Row {
    /// The user principal name as written.
    pub upn: Box<str>,
    /// The name lower-cased, where that differs from it (see [`Row::key`]).
    pub lower: Option<Box<str>>,
    /// The user id, where the report has one.
    pub id: Option<Box<str>>,
    /// The display name, where the report has one.
    pub name: Option<Box<str>>,
    /// Whether the report marks the user deleted.
    pub deleted: bool,
    /// Services whose licence the row says the user holds (one bit per service).
    pub licensed: u64,
    /// The newest last-activity date per service the row gives.
    pub activity: Box<[(u8, NaiveDate)]>,
    /// Licence assign dates per service.
    pub assigned: Box<[(u8, NaiveDate)]>,
    /// The products assigned, shared by the rows of a file that have the same.
    pub products: Arc<[String]>,
    /// The line the row came from, for conflicts.
    pub line: u64,
}

impl Row {
    /// The join key: the user principal name in lower case.
    pub fn key(&self) -> &str {
        self.lower.as_deref().unwrap_or(&self.upn)
    }

    /// The lower-cased form of `upn` where it differs (most names are lower case already:
    /// no allocation for them).
    pub fn lower_of(upn: &str) -> Option<Box<str>> {
        (!upn.is_ascii() || upn.bytes().any(|b| b.is_ascii_uppercase()))
            .then(|| upn.to_lowercase().into())
    }
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
    let mut gathered = sources
        .par_iter()
        .map(|source| {
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
            (report, sink)
        })
        .fold(Gathered::default, |mut g, (report, sink)| {
            g.files += 1;
            g.io_error |= report.io_error;
            if !report.is_valid() {
                g.invalid.push(report);
            } else if sink.plan.is_some() {
                g.snapshots.push(sink.snapshot);
            } else if let Some(r) = sink.report {
                g.other.push((report.name.clone(), r.name.clone()));
            }
            g
        })
        .reduce(Gathered::default, |mut a, b| {
            a.snapshots.extend(b.snapshots);
            a.invalid.extend(b.invalid);
            a.other.extend(b.other);
            a.files += b.files;
            a.io_error |= b.io_error;
            a
        });
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
    let mut products = Products::default();
    archive.each_detail_row(
        registry,
        &Selection::default(),
        |download, record, first| {
            let Some(plan) = catalogue.plan_of(&download.report.name) else {
                return;
            };
            if first {
                snapshots.push(Snapshot {
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
            if let Some(snapshot) = snapshots.last_mut() {
                take(&catalogue.plans[plan], record, snapshot, &mut products);
            }
        },
    )?;
    snapshots.sort_by_key(|s| s.index);
    Ok(snapshots)
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
        into.concealed |= is_concealed(&row.upn);
        into.rows.push(row);
    }
}

/// The row of `record` as `plan` reads it, its products shared with earlier rows through
/// `products`; `None` for a row without a user name.
pub fn row_of(plan: &Plan, record: &Record<'_>, products: &mut Products) -> Option<Row> {
    let cells = record.cells;
    let text = |i: Option<usize>| -> Option<Box<str>> {
        i.and_then(|i| cells[i].as_text())
            .filter(|t| !t.is_empty())
            .map(Box::from)
    };
    let upn = text(Some(plan.entity))?;
    let dated = |cols: &[(usize, usize)]| -> Box<[(u8, NaiveDate)]> {
        let mut out: Vec<(u8, NaiveDate)> = Vec::with_capacity(cols.len());
        for &(c, s) in cols {
            let Some(date) = cells[c].as_date() else {
                continue;
            };
            let s = s as u8;
            match out.iter_mut().find(|(t, _)| *t == s) {
                Some((_, d)) => *d = (*d).max(date),
                None => out.push((s, date)),
            }
        }
        out.into_boxed_slice()
    };
    let mut licensed = plan.licensed_rows.map_or(0, |s| 1u64 << s);
    for &(c, s) in &plan.licence {
        if cells[c].as_bool() == Some(true) {
            licensed |= 1 << s;
        }
    }
    let products = match plan.products.map(|i| &cells[i]) {
        Some(Cell::List(items)) => match products.get(items.as_slice()) {
            Some(shared) => Arc::clone(shared),
            None => {
                let shared: Arc<[String]> = items.as_slice().into();
                products.insert(Arc::clone(&shared));
                shared
            }
        },
        _ => Arc::from([]),
    };
    // A tenant concealing names writes every user id as zeros: no key to join on.
    let id = text(plan.id).filter(|id| id.bytes().any(|b| b != b'0' && b != b'-'));
    Some(Row {
        lower: Row::lower_of(&upn),
        upn,
        id,
        name: text(plan.name),
        deleted: plan
            .deleted
            .is_some_and(|i| cells[i].as_bool() == Some(true)),
        licensed,
        activity: dated(&plan.activity),
        assigned: dated(&plan.assigned),
        products,
        line: record.line,
    })
}
