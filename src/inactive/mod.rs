//! `inactive`: who holds a licence and has not used it. The per-user detail reports are read
//! ([`gather`]), the newest snapshot of each joined into one record per user ([`join`]), and
//! each licence held sorted into active, new (assigned fewer than `days` days ago) or
//! inactive; with a summary per service and per product and warnings for what the files
//! cannot tell ([`warn`]). Which reports, columns and services take part comes from the
//! schemas' roles ([`catalogue`]); [`render`] writes the table, CSV and JSON.

pub mod catalogue;
pub mod gather;
pub mod join;
pub mod render;
pub mod warn;

use std::collections::BTreeMap;
use std::sync::Arc;

use chrono::{Days, NaiveDate};

pub use catalogue::Catalogue;
pub use join::Conflict;

use gather::Snapshot;
use join::User;

/// What `inactive` is asked.
#[derive(Debug, Clone)]
pub struct Options {
    /// The window, in days, ending on `as_of` (`--days`, at least 1).
    pub days: u32,
    /// The last day of the window (`--as-of`); the newest refresh date seen if `None`.
    pub as_of: Option<NaiveDate>,
    /// Keep only users holding this product (`--product`, any case).
    pub product: Option<String>,
    /// Keep only this service (`--service`, any case).
    pub service: Option<String>,
}

impl Default for Options {
    fn default() -> Options {
        Options {
            days: 90,
            as_of: None,
            product: None,
            service: None,
        }
    }
}

impl Options {
    /// Refuses, before any file is read, a window of no days or a service no report names.
    pub fn check(&self, catalogue: &Catalogue) -> Result<Option<usize>, InactiveError> {
        if self.days == 0 {
            return Err(InactiveError::NoDays);
        }
        match &self.service {
            None => Ok(None),
            Some(name) => {
                catalogue
                    .service(name)
                    .map(Some)
                    .ok_or_else(|| InactiveError::UnknownService {
                        name: name.clone(),
                        known: catalogue.services.clone(),
                    })
            }
        }
    }
}

/// What stops `inactive` before any work.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum InactiveError {
    /// `--service` names no service of the reports.
    #[error("no service named `{name}`; the reports know {}", known.join(", "))]
    UnknownService {
        /// The name given.
        name: String,
        /// The services known.
        known: Vec<String>,
    },
    /// `--days` is 0.
    #[error("--days must be at least 1")]
    NoDays,
}

/// What became of one licence held.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    /// Used within the window.
    Active,
    /// Not used within the window, but assigned fewer than `days` days before `as_of`.
    New,
    /// Not used within the window.
    Inactive,
}

/// Whether a licence with this last activity and assign date is active, new or inactive on
/// `as_of` over `days` days. Activity after `as_of` counts as active: the reports keep only
/// the last day, so whether there was any in the window cannot be told, and calling a user
/// of the licence unused would be wrong.
pub fn status(
    last: Option<NaiveDate>,
    assigned: Option<NaiveDate>,
    as_of: NaiveDate,
    days: u32,
) -> Status {
    let start = window_start(as_of, days);
    if last.is_some_and(|d| d >= start) {
        Status::Active
    } else if assigned.is_some_and(|a| (as_of - a).num_days() < i64::from(days)) {
        Status::New
    } else {
        Status::Inactive
    }
}

/// The first day of the window of `days` days ending on `as_of`.
pub fn window_start(as_of: NaiveDate, days: u32) -> NaiveDate {
    as_of
        .checked_sub_days(Days::new(u64::from(days.saturating_sub(1))))
        .unwrap_or(NaiveDate::MIN)
}

/// One inactive licence: a row of the output.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Unused {
    /// The folder (`--group-by dir`), else `.`.
    #[serde(serialize_with = "text")]
    pub group: Arc<str>,
    /// The user principal name.
    #[serde(serialize_with = "text")]
    pub user_principal_name: Arc<str>,
    /// The display name, where a report gives one.
    #[serde(serialize_with = "opt_text")]
    pub display_name: Option<Arc<str>>,
    /// The service.
    #[serde(serialize_with = "text")]
    pub service: Arc<str>,
    /// The day the licence was assigned, where known.
    #[serde(serialize_with = "crate::inactive::opt_date")]
    pub licence_assigned: Option<NaiveDate>,
    /// The last activity, `None` for never.
    #[serde(serialize_with = "crate::inactive::opt_date")]
    pub last_activity: Option<NaiveDate>,
    /// Days from the last activity (or, never used, from the assignment) to `as_of`;
    /// `None` when neither date is known.
    pub days_since: Option<i64>,
    /// The products assigned (shared with the user's other rows).
    #[serde(serialize_with = "strings")]
    pub products: Arc<[String]>,
}

/// Counts of licences for one service or product (and folder).
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize)]
pub struct Summary {
    /// The folder.
    pub group: String,
    /// The service or product.
    pub name: String,
    /// Licences held.
    pub licensed: u64,
    /// Of those, used within the window.
    pub active: u64,
    /// Not used within the window.
    pub inactive: u64,
    /// Not used, but assigned fewer than `days` days ago.
    pub new: u64,
    /// `inactive / licensed`, 0 when nothing is licensed.
    pub share_inactive: f64,
}

impl Summary {
    fn count(&mut self, status: Status) {
        self.licensed += 1;
        match status {
            Status::Active => self.active += 1,
            Status::New => self.new += 1,
            Status::Inactive => self.inactive += 1,
        }
        self.share_inactive = self.inactive as f64 / self.licensed as f64;
    }
}

/// The result of `inactive`.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Inactive {
    /// The last day of the window; `None` when no report was read.
    #[serde(serialize_with = "crate::inactive::opt_date")]
    pub as_of: Option<NaiveDate>,
    /// The window in days.
    pub days: u32,
    /// Users joined (not deleted, after `--product`).
    pub users: u64,
    /// Users left out because a report marks them deleted.
    pub deleted: u64,
    /// The inactive licences, longest unused first.
    pub inactive: Vec<Unused>,
    /// Per folder and service.
    pub services: Vec<Summary>,
    /// Per folder and product.
    pub products: Vec<Summary>,
    /// The reports joined, per folder: (folder, function, refresh date, files).
    pub reports: Vec<Used>,
    /// Files of one report and refresh date that disagree about a user.
    pub conflicts: Vec<Conflict>,
    /// What the files cannot tell, and which download would fix it.
    pub warnings: Vec<String>,
    /// Set when user names are concealed: how an admin shows them.
    pub concealed: Option<String>,
}

/// A report joined.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Used {
    /// The folder.
    pub group: String,
    /// The Graph function.
    pub report: String,
    /// Its refresh date.
    #[serde(serialize_with = "crate::inactive::opt_date")]
    pub refresh: Option<NaiveDate>,
    /// The report period in days.
    pub period: Option<u32>,
    /// The files merged.
    pub files: Vec<String>,
}

/// Computes the inactive licences of the valid files' snapshots.
pub fn compute(
    snapshots: Vec<Snapshot>,
    catalogue: &Catalogue,
    options: &Options,
) -> Result<Inactive, InactiveError> {
    let only_service = options.check(catalogue)?;
    let (chosen, conflicts) = join::choose(snapshots, catalogue);
    let users = join::join(&chosen, catalogue);
    let as_of = options
        .as_of
        .or_else(|| chosen.iter().filter_map(|c| c.refresh).max());
    let mut result = Inactive {
        as_of,
        days: options.days,
        users: 0,
        deleted: 0,
        inactive: Vec::new(),
        services: Vec::new(),
        products: Vec::new(),
        reports: chosen
            .iter()
            .map(|c| Used {
                group: c.group.clone(),
                report: catalogue.plans[c.plan].report.function.clone(),
                refresh: c.refresh,
                period: c.period,
                files: c.files.clone(),
            })
            .collect(),
        conflicts,
        warnings: Vec::new(),
        concealed: None,
    };
    let Some(as_of) = as_of else {
        return Ok(result);
    };
    (result.warnings, result.concealed) = warn::warnings(
        &chosen,
        &users,
        catalogue,
        (options.days, window_start(as_of, options.days)),
    );
    // Freeing every row of every report (millions of small allocations) is work nobody
    // waits for: done on the pool while the licences are sorted out.
    rayon::spawn(move || drop(chosen));
    classify(
        users,
        catalogue,
        options,
        (as_of, only_service),
        &mut result,
    );
    Ok(result)
}

/// Sorts every licence of `users` into its status, filling the rows and summaries.
fn classify(
    users: Vec<User>,
    catalogue: &Catalogue,
    options: &Options,
    (as_of, only_service): (NaiveDate, Option<usize>),
    result: &mut Inactive,
) {
    // Keyed by borrowed names: a key cloned per user and licence was most of this loop.
    let mut services: BTreeMap<(&str, usize), Summary> = BTreeMap::new();
    let mut products: BTreeMap<(&str, &str), Summary> = BTreeMap::new();
    let names: Vec<Arc<str>> = catalogue
        .services
        .iter()
        .map(|n| Arc::from(n.as_str()))
        .collect();
    // Each user's place in (folder, lower-cased name) order, found once: the licences are
    // then sorted on numbers, not names (comparing names lower-cased byte by byte, the
    // sort was a third of the run on a 100,000-user tenant).
    let rank = name_order(&users);
    // The sort key of each inactive licence, beside it.
    let mut keyed: Vec<(SortKey, Unused)> = Vec::new();
    for (at, user) in users.iter().enumerate() {
        if user.deleted {
            result.deleted += 1;
            continue;
        }
        if let Some(p) = &options.product {
            if !user.products.iter().any(|q| q.eq_ignore_ascii_case(p)) {
                continue;
            }
        }
        result.users += 1;
        for (s, name) in catalogue.services.iter().enumerate() {
            if only_service.is_some_and(|o| o != s) {
                continue;
            }
            let summary = services.entry((&user.group, s)).or_insert_with(|| Summary {
                group: user.group.to_string(),
                name: name.clone(),
                ..Summary::default()
            });
            if user.licensed & (1 << s) == 0 {
                continue;
            }
            let (last, assigned) = (user.last[s], user.assigned[s]);
            let st = status(last, assigned, as_of, options.days);
            summary.count(st);
            for p in user.products.iter() {
                products
                    .entry((&user.group, p))
                    .or_insert_with(|| Summary {
                        group: user.group.to_string(),
                        name: p.clone(),
                        ..Summary::default()
                    })
                    .count(st);
            }
            if st == Status::Inactive {
                let days_since = last.or(assigned).map(|d| (as_of - d).num_days());
                // Longest unused first; unknown (never used, no assign date) before any
                // number; then by folder and name, then service (their names' order).
                let key = (
                    std::cmp::Reverse(days_since.unwrap_or(i64::MAX)),
                    rank[at],
                    s,
                );
                keyed.push((
                    key,
                    Unused {
                        group: Arc::clone(&user.group),
                        user_principal_name: Arc::clone(&user.upn),
                        display_name: user.name.clone(),
                        service: Arc::clone(&names[s]),
                        licence_assigned: assigned,
                        last_activity: last,
                        days_since,
                        products: Arc::clone(&user.products),
                    },
                ));
            }
        }
    }
    use rayon::slice::ParallelSliceMut;
    keyed.par_sort_unstable_by_key(|(key, _)| *key);
    result.inactive = keyed.into_iter().map(|(_, unused)| unused).collect();
    result.services = services.into_values().collect();
    result.products = products.into_values().collect();
}

/// Where an inactive licence goes in the output: days unused (most first), the user's
/// place in [`name_order`], the service.
type SortKey = (std::cmp::Reverse<i64>, u32, usize);

/// The place of each user in the order of their folder, then their name in lower case.
fn name_order(users: &[User]) -> Vec<u32> {
    use rayon::slice::ParallelSliceMut;
    let lower: Vec<String> = users.iter().map(|u| u.upn.to_ascii_lowercase()).collect();
    let mut order: Vec<usize> = (0..users.len()).collect();
    order.par_sort_unstable_by(|&a, &b| {
        (users[a].group.cmp(&users[b].group)).then_with(|| lower[a].cmp(&lower[b]))
    });
    let mut rank = vec![0u32; users.len()];
    for (place, &user) in order.iter().enumerate() {
        rank[user] = u32::try_from(place).unwrap_or(u32::MAX);
    }
    rank
}

/// Serialises shared strings as an array (serde's `rc` feature is off).
fn strings<S: serde::Serializer>(
    items: &std::sync::Arc<[String]>,
    s: S,
) -> Result<S::Ok, S::Error> {
    s.collect_seq(items.iter())
}

/// Serialises shared text as a string.
fn text<S: serde::Serializer>(t: &Arc<str>, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(t)
}

/// Serialises optional shared text as a string or null.
fn opt_text<S: serde::Serializer>(t: &Option<Arc<str>>, s: S) -> Result<S::Ok, S::Error> {
    match t {
        Some(t) => s.serialize_str(t),
        None => s.serialize_none(),
    }
}

/// Serialises an optional date as `YYYY-MM-DD` or `null` (chrono is built without serde).
pub(crate) fn opt_date<S: serde::Serializer>(
    date: &Option<NaiveDate>,
    s: S,
) -> Result<S::Ok, S::Error> {
    match date {
        Some(d) => s.serialize_str(crate::record::DateText::new(*d).as_str()),
        None => s.serialize_none(),
    }
}

#[cfg(test)]
mod tests;
