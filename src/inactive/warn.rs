//! What the files cannot tell `inactive`, each said with the download that would fix it:
//! reports refreshed more than a week apart, a report missing for a service someone holds,
//! a report period shorter than the window with no older download to cover it, and names
//! concealed in some reports but not in others.

use chrono::NaiveDate;

use super::catalogue::{Catalogue, Plan};
use super::join::{Chosen, User};

/// Reports refreshed further apart than this describe different weeks.
const REFRESH_SPREAD_DAYS: i64 = 7;

/// How a global admin shows real names, as `validate`'s I002 says it.
pub const CONCEALED_HINT: &str = "a global admin shows real names in the Microsoft 365 admin center: Settings > Org settings > Services > Reports, clear \"Display concealed user, group, and site names in all reports\"";

/// The warnings over a window of `days` days from `start`, and the note on concealed names
/// if any report conceals them.
pub fn warnings(
    chosen: &[Chosen],
    users: &[User],
    catalogue: &Catalogue,
    (days, start): (u32, NaiveDate),
) -> (Vec<String>, Option<String>) {
    let mut out = Vec::new();
    let mut groups: Vec<&str> = chosen.iter().map(|c| c.group.as_str()).collect();
    groups.dedup();
    let mut concealed = false;
    for group in groups {
        let here: Vec<&Chosen> = chosen.iter().filter(|c| c.group == group).collect();
        let prefix = if group == "." {
            String::new()
        } else {
            format!("{group}: ")
        };
        let held = users
            .iter()
            .filter(|u| *u.group == *group && !u.deleted)
            .fold(0u64, |m, u| m | u.licensed);
        spread(&here, catalogue, &prefix, &mut out);
        missing(&here, held, catalogue, &prefix, &mut out);
        periods(&here, catalogue, (days, start), &prefix, &mut out);
        concealed |= mixed_names(&here, catalogue, &prefix, &mut out);
    }
    let note = concealed.then(|| {
        format!("user names are concealed (32 hex digits); joins within one download set still work; {CONCEALED_HINT}")
    });
    (out, note)
}

fn function(catalogue: &Catalogue, c: &Chosen) -> String {
    catalogue.plans[c.plan].report.function.clone()
}

/// Reports refreshed more than a week before the newest one.
fn spread(here: &[&Chosen], catalogue: &Catalogue, prefix: &str, out: &mut Vec<String>) {
    let Some(newest) = here.iter().filter_map(|c| c.refresh).max() else {
        return;
    };
    let Some(by) = here.iter().find(|c| c.refresh == Some(newest)) else {
        return;
    };
    for c in here {
        let Some(refresh) = c.refresh else { continue };
        let apart = (newest - refresh).num_days();
        if apart > REFRESH_SPREAD_DAYS {
            out.push(format!(
                "{prefix}{} is refreshed {refresh}, {apart} days before {} ({newest}): its users' activity since is not known; download {} again",
                function(catalogue, c),
                function(catalogue, by),
                function(catalogue, c)
            ));
        }
    }
}

/// Reports of the catalogue not read: one giving licences where no report read gives those
/// services' licences, one giving activity where someone holds a licence of its services.
fn missing(
    here: &[&Chosen],
    held: u64,
    catalogue: &Catalogue,
    prefix: &str,
    out: &mut Vec<String>,
) {
    let covered = here.iter().fold(0u64, |m, c| {
        licence_services(&catalogue.plans[c.plan])
            .into_iter()
            .fold(m, |m, s| m | 1 << s)
    });
    for (p, plan) in catalogue.plans.iter().enumerate() {
        if plan.report.user_supplied || here.iter().any(|c| c.plan == p) {
            continue;
        }
        let names = |services: &[usize]| -> String {
            let names: Vec<&str> = services
                .iter()
                .map(|&s| catalogue.services[s].as_str())
                .collect();
            names.join(", ")
        };
        if plan.gives_licences() {
            // Only for services no report read tells the licences of.
            let uncovered: Vec<usize> = licence_services(plan)
                .into_iter()
                .filter(|&s| covered & (1 << s) == 0)
                .collect();
            if !uncovered.is_empty() {
                out.push(format!(
                    "{prefix}no {} among the files: who holds a {} licence is not known; download it",
                    plan.report.function,
                    names(&uncovered)
                ));
            }
            continue;
        }
        let services: Vec<usize> = plan
            .services()
            .into_iter()
            .filter(|&s| held & (1 << s) != 0)
            .collect();
        if !services.is_empty() {
            out.push(format!(
                "{prefix}no {} among the files: {} activity comes from the other reports only; download it",
                plan.report.function,
                names(&services)
            ));
        }
    }
}

/// The services a report tells the licences of, each once.
fn licence_services(plan: &Plan) -> Vec<usize> {
    let mut all: Vec<usize> = plan
        .licence
        .iter()
        .map(|&(_, s)| s)
        .chain(plan.licensed_rows)
        .collect();
    all.sort_unstable();
    all.dedup();
    all
}

/// Snapshots whose period ends before the window starts, with no older download reaching
/// back: the smallest period that covers the window, or the longest there is.
fn periods(
    here: &[&Chosen],
    catalogue: &Catalogue,
    (days, start): (u32, NaiveDate),
    prefix: &str,
    out: &mut Vec<String>,
) {
    for c in here {
        let (Some(period), Some(from)) = (c.period, c.covered_from) else {
            continue;
        };
        if period >= days || from <= start {
            continue;
        }
        let report = &catalogue.plans[c.plan].report;
        let mut offered: Vec<u32> = report
            .period_values()
            .iter()
            .filter_map(|v| v.parse().ok())
            .collect();
        offered.sort_unstable();
        let fix = match offered.iter().find(|&&d| d >= days) {
            Some(d) => format!("download it with period D{d}"),
            None => format!(
                "the longest period is D{}: keep older downloads beside it",
                offered.last().copied().unwrap_or(period)
            ),
        };
        out.push(format!(
            "{prefix}{} covers {period} days (from {from}), fewer than --days {} (from {start}): activity before {from} is not seen; {fix}",
            report.function, days
        ));
    }
}

/// Warns when some reports conceal names and others do not; whether any conceals them.
fn mixed_names(
    here: &[&Chosen],
    catalogue: &Catalogue,
    prefix: &str,
    out: &mut Vec<String>,
) -> bool {
    let (hidden, clear): (Vec<&&Chosen>, Vec<&&Chosen>) = here.iter().partition(|c| c.concealed);
    if !hidden.is_empty() && !clear.is_empty() {
        let list = |cs: &[&&Chosen]| -> String {
            let mut names: Vec<String> = cs.iter().map(|c| function(catalogue, c)).collect();
            names.sort();
            names.join(", ")
        };
        out.push(format!(
            "{prefix}names are concealed in {} but not in {}: their users are not joined and count apart; download every report with the same setting",
            list(&hidden),
            list(&clear)
        ));
    }
    !hidden.is_empty()
}
