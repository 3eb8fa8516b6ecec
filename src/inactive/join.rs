//! The join: of each report (and folder), the newest snapshot wins, files of one report with
//! the same refresh date merge (the first in input order kept where they disagree, as in
//! `trend`); then the reports' rows become one [`User`] each, matched on the user id where
//! both sides have one, else on the user principal name in any case.

use std::borrow::Cow;
use std::collections::BTreeMap;
use std::sync::Arc;

type HashMap<K, V> = std::collections::HashMap<K, V, foldhash::fast::RandomState>;

use chrono::{Days, NaiveDate};

use super::catalogue::Catalogue;
use super::gather::{Row, Snapshot};

/// The snapshot of one report (in one folder) the join uses.
#[derive(Debug, Clone)]
pub struct Chosen {
    /// The report's plan in the catalogue.
    pub plan: usize,
    /// The folder (`.` unless `--group-by dir`).
    pub group: String,
    /// The newest refresh date, shared by every file merged.
    pub refresh: Option<NaiveDate>,
    /// The period of the newest snapshot, in days.
    pub period: Option<u32>,
    /// The first day any snapshot of the report (newest or older) covers.
    pub covered_from: Option<NaiveDate>,
    /// The files merged, in input order.
    pub files: Vec<String>,
    /// Whether its user names are concealed.
    pub concealed: bool,
    /// One row per user.
    pub rows: Vec<Row>,
}

/// Two files of one report with the same refresh date disagree about a user.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Conflict {
    /// The report's Graph function.
    pub report: String,
    /// The folder.
    pub group: String,
    /// The user, as the kept file writes it.
    pub user: String,
    /// The refresh date both files have.
    #[serde(serialize_with = "crate::inactive::opt_date")]
    pub refresh: Option<NaiveDate>,
    /// The file whose row was kept (first in input order) and the row's line.
    pub kept: (String, u64),
    /// The file whose row was dropped and its line.
    pub other: (String, u64),
}

/// One user of one folder, from every report that lists them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct User {
    /// The folder.
    pub group: Arc<str>,
    /// The user principal name as the first report joined writes it.
    pub upn: Arc<str>,
    /// The display name, from the first report that gives one.
    pub name: Option<Arc<str>>,
    /// The user id, where a report gives one.
    pub id: Option<String>,
    /// Whether some report marks the user deleted.
    pub deleted: bool,
    /// Services whose licence some report says the user holds (one bit each).
    pub licensed: u64,
    /// The newest last activity per service, by service index.
    pub last: Vec<Option<NaiveDate>>,
    /// The newest licence assign date per service.
    pub assigned: Vec<Option<NaiveDate>>,
    /// The products assigned, in order of first mention.
    pub products: Arc<[String]>,
}

/// Of each report and folder, the newest snapshot, its files merged; and the conflicts.
pub fn choose(snapshots: Vec<Snapshot>, catalogue: &Catalogue) -> (Vec<Chosen>, Vec<Conflict>) {
    let mut by_report: BTreeMap<(String, usize), Vec<Snapshot>> = BTreeMap::new();
    for s in snapshots {
        by_report
            .entry((s.group.clone(), s.plan))
            .or_default()
            .push(s);
    }
    let mut conflicts = Vec::new();
    let mut chosen = Vec::new();
    for ((group, plan), mut files) in by_report {
        let newest = files.iter().map(|s| s.refresh).max().flatten();
        let covered_from = files
            .iter()
            .filter_map(|s| {
                let first = u64::from(s.period?.saturating_sub(1));
                s.refresh?.checked_sub_days(Days::new(first))
            })
            .min();
        files.retain(|s| s.refresh == newest);
        files.sort_by_key(|s| s.index);
        let function = &catalogue.plans[plan].report.function;
        let mut merged = Chosen {
            plan,
            group: group.clone(),
            refresh: newest,
            period: files.first().and_then(|s| s.period),
            covered_from,
            files: Vec::new(),
            concealed: false,
            rows: Vec::new(),
        };
        if files.len() == 1 {
            // One file, the common case: nothing to merge.
            if let Some(file) = files.pop() {
                merged.files.push(file.file);
                merged.concealed = file.concealed;
                merged.rows = file.rows;
            }
            chosen.push(merged);
            continue;
        }
        let mut seen: HashMap<Box<str>, usize> = HashMap::default();
        // Which file each merged row came from, for naming a conflict's kept file.
        let mut from: Vec<usize> = Vec::new();
        for file in files {
            merged.files.push(file.file.clone());
            merged.concealed |= file.concealed;
            for row in file.rows {
                let key: Box<str> = row.key().into();
                match seen.get(&key) {
                    None => {
                        seen.insert(key, merged.rows.len());
                        merged.rows.push(row);
                        from.push(merged.files.len() - 1);
                    }
                    Some(&at) => {
                        let kept = &merged.rows[at];
                        if !same(kept, &row) {
                            conflicts.push(Conflict {
                                report: function.clone(),
                                group: group.clone(),
                                user: kept.upn().to_string(),
                                refresh: newest,
                                kept: (merged.files[from[at]].clone(), kept.line),
                                other: (file.file.clone(), row.line),
                            });
                        }
                    }
                }
            }
        }
        chosen.push(merged);
    }
    (chosen, conflicts)
}

/// Whether two rows of one user say the same (their lines aside).
fn same(a: &Row, b: &Row) -> bool {
    a.says_what(b)
}

/// The users of the chosen snapshots, one per person and folder: the reports giving the
/// most licences first (their spelling of a name wins: the tenant-wide report's), then the
/// others in catalogue order.
pub fn join(chosen: &[Chosen], catalogue: &Catalogue) -> Vec<User> {
    let services = catalogue.services.len();
    let mut order: Vec<&Chosen> = chosen.iter().collect();
    order.sort_by_key(|c| {
        let plan = &catalogue.plans[c.plan];
        let licences = plan.licence.len() + usize::from(plan.licensed_rows.is_some());
        (&c.group, std::cmp::Reverse(licences), c.plan)
    });
    let most = chosen.iter().map(|c| c.rows.len()).max().unwrap_or(0);
    let mut users: Vec<User> = Vec::with_capacity(most);
    let mut by_upn: HashMap<(&str, &str), usize> =
        HashMap::with_capacity_and_hasher(most, Default::default());
    let mut by_id: HashMap<(&str, Cow<str>), usize> = HashMap::default();
    for c in order {
        let group: Arc<str> = Arc::from(c.group.as_str());
        for row in &c.rows {
            let upn_key = (c.group.as_str(), row.key());
            let id_key = row.id().map(|id| (c.group.as_str(), lower(id)));
            let found =
                match id_key.as_ref().and_then(|k| by_id.get(k)) {
                    Some(&at) => Some(at),
                    // By name, unless both sides have ids and they differ: a name given to
                    // another person after the first left.
                    None => by_upn.get(&upn_key).copied().filter(|&at| {
                        match (&users[at].id, row.id()) {
                            (Some(a), Some(b)) => a.eq_ignore_ascii_case(b),
                            _ => true,
                        }
                    }),
                };
            let at = found.unwrap_or_else(|| {
                users.push(User {
                    group: Arc::clone(&group),
                    upn: Arc::from(row.upn()),
                    name: None,
                    id: None,
                    deleted: false,
                    licensed: 0,
                    last: vec![None; services],
                    assigned: vec![None; services],
                    products: Arc::from([]),
                });
                users.len() - 1
            });
            by_upn.entry(upn_key).or_insert(at);
            if let Some(k) = id_key {
                by_id.entry(k).or_insert(at);
            }
            absorb(&mut users[at], row);
        }
    }
    users
}

/// Adds what one report says of a user.
fn absorb(user: &mut User, row: &Row) {
    if user.name.is_none() {
        user.name = row.name().map(Arc::from);
    }
    if user.id.is_none() {
        user.id = row.id().map(str::to_string);
    }
    user.deleted |= row.deleted;
    user.licensed |= row.licensed;
    for &(s, date) in row.activity() {
        let slot = &mut user.last[usize::from(s)];
        *slot = (*slot).max(Some(date));
    }
    for &(s, date) in row.assigned() {
        let slot = &mut user.assigned[usize::from(s)];
        *slot = (*slot).max(Some(date));
    }
    if user.products.is_empty() {
        user.products = Arc::clone(&row.products);
    } else if !Arc::ptr_eq(&user.products, &row.products) {
        let new: Vec<&String> = row
            .products
            .iter()
            .filter(|p| !user.products.iter().any(|q| q.eq_ignore_ascii_case(p)))
            .collect();
        if !new.is_empty() {
            let mut all = user.products.to_vec();
            all.extend(new.into_iter().cloned());
            user.products = all.into();
        }
    }
}

/// `text` in lower case, borrowed where it is already.
fn lower(text: &str) -> Cow<'_, str> {
    match Row::lower_of(text) {
        Some(l) => Cow::Owned(l),
        None => Cow::Borrowed(text),
    }
}
