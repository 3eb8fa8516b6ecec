//! Unit tests of the statuses and the join, and a property test of the whole computation
//! against a brute-force join written independently.

use std::collections::{BTreeMap, BTreeSet};

use chrono::NaiveDate;
use proptest::prelude::*;

use super::gather::{Newest, Row, RowParts, Snapshot};
use super::*;
use crate::schema::Registry;

fn day(n: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 1, 1).unwrap() + chrono::Days::new(u64::from(n))
}

fn catalogue() -> Catalogue {
    Catalogue::new(&Registry::builtin().unwrap())
}

fn row(upn: &str, licensed: u64, activity: &[(u8, NaiveDate)]) -> Row {
    Row::new(RowParts {
        upn,
        licensed,
        activity,
        line: 2,
        ..RowParts::default()
    })
    .unwrap()
}

fn snapshot(plan: usize, index: usize, refresh: NaiveDate, rows: Vec<Row>) -> Snapshot {
    Snapshot {
        plan,
        group: ".".into(),
        refresh: Some(refresh),
        period: Some(180),
        index,
        file: format!("f{index}.csv"),
        concealed: false,
        rows,
    }
}

#[test]
fn the_window_holds_its_first_day_and_a_licence_younger_than_it_is_new() {
    let as_of = day(100);
    assert_eq!(status(Some(day(11)), None, as_of, 90), Status::Active);
    assert_eq!(status(Some(day(10)), None, as_of, 90), Status::Inactive);
    assert_eq!(status(Some(day(120)), None, as_of, 90), Status::Active);
    assert_eq!(status(None, Some(day(11)), as_of, 90), Status::New);
    assert_eq!(status(None, Some(day(10)), as_of, 90), Status::Inactive);
    assert_eq!(status(None, None, as_of, 90), Status::Inactive);
}

#[test]
fn upn_case_differences_join_and_ids_decide_where_both_sides_have_them() {
    let c = catalogue();
    let tenant = c.plan_of("office365ActiveUserDetail").unwrap();
    let teams = c.plan_of("teamsUserActivityUserDetail").unwrap();
    let t = c.service("Teams").unwrap() as u8;
    let with_id = |upn: &str, licensed: u64, activity: &[(u8, NaiveDate)], id: &str| {
        Row::new(RowParts {
            upn,
            id: Some(id),
            licensed,
            activity,
            line: 2,
            ..RowParts::default()
        })
        .unwrap()
    };
    let renamed = with_id(
        "new.name@x.com",
        0,
        &[(t, day(5))],
        "11111111-1111-1111-1111-111111111111",
    );
    let other = with_id(
        "Ann@X.com",
        0,
        &[(t, day(6))],
        "22222222-2222-2222-2222-222222222222",
    );
    let ann = with_id(
        "ann@x.com",
        1 << t,
        &[],
        "33333333-3333-3333-3333-333333333333",
    );
    let snaps = vec![
        snapshot(tenant, 0, day(10), vec![ann, row("BOB@x.com", 1 << t, &[])]),
        snapshot(
            teams,
            1,
            day(10),
            vec![row("bob@X.COM", 0, &[(t, day(7))]), other],
        ),
        snapshot(teams, 2, day(10), vec![renamed]),
    ];
    let (chosen, conflicts) = join::choose(snaps, &c);
    assert!(conflicts.is_empty());
    let users = join::join(&chosen, &c);
    let names: Vec<&str> = users.iter().map(|u| &*u.upn).collect();
    // Bob joins in any case; Ann's two rows carry different ids: two people.
    assert_eq!(
        names,
        ["ann@x.com", "BOB@x.com", "Ann@X.com", "new.name@x.com"]
    );
    assert_eq!(users[1].last[usize::from(t)], Some(day(7)));
    assert_eq!(users[0].last[usize::from(t)], None);
}

#[test]
fn the_newest_snapshot_wins_and_same_day_files_that_disagree_are_a_conflict() {
    let c = catalogue();
    let teams = c.plan_of("teamsUserActivityUserDetail").unwrap();
    let t = c.service("Teams").unwrap() as u8;
    let snaps = vec![
        snapshot(teams, 3, day(20), vec![row("a@x.com", 0, &[(t, day(19))])]),
        snapshot(teams, 0, day(10), vec![row("a@x.com", 0, &[(t, day(9))])]),
        snapshot(teams, 1, day(20), vec![row("a@x.com", 0, &[(t, day(18))])]),
        snapshot(teams, 2, day(20), vec![row("b@x.com", 0, &[(t, day(18))])]),
    ];
    let (chosen, conflicts) = join::choose(snaps, &c);
    assert_eq!(chosen.len(), 1);
    assert_eq!(chosen[0].files, ["f1.csv", "f2.csv", "f3.csv"]);
    assert_eq!(chosen[0].rows.len(), 2);
    assert_eq!(chosen[0].rows[0].activity()[0].1, day(18));
    assert_eq!(conflicts.len(), 1);
    assert_eq!(conflicts[0].kept.0, "f1.csv");
    assert_eq!(conflicts[0].other.0, "f3.csv");
}

/// One file of the generated sets: its plan, refresh day and rows (upn index, case, licence
/// bits, activity and assign days by service, deleted).
type FileSpec = (
    usize,
    u32,
    Vec<(usize, bool, u64, Vec<Option<u32>>, Vec<Option<u32>>, bool)>,
);

fn files() -> impl Strategy<Value = Vec<FileSpec>> {
    let row = (
        0usize..8,
        any::<bool>(),
        any::<u64>(),
        prop::collection::vec(prop::option::of(0u32..200), 8),
        prop::collection::vec(prop::option::of(0u32..200), 8),
        prop::bool::weighted(0.1),
    );
    prop::collection::vec(
        (0usize..4, 150u32..200, prop::collection::vec(row, 0..8)),
        1..8,
    )
}

/// Builds snapshots from the specs: each file takes a user once (a valid file has no
/// duplicate users), and gives only what its report's plan has columns for.
fn build(c: &Catalogue, specs: &[FileSpec]) -> Vec<Snapshot> {
    let plans = [
        c.plan_of("office365ActiveUserDetail").unwrap(),
        c.plan_of("teamsUserActivityUserDetail").unwrap(),
        c.plan_of("microsoft365CopilotUsageUserDetail").unwrap(),
        c.plan_of("emailActivityUserDetail").unwrap(),
    ];
    specs
        .iter()
        .enumerate()
        .map(|(index, (p, refresh, rows))| {
            let plan = &c.plans[plans[*p]];
            let mut seen = BTreeSet::new();
            let mut out = Vec::new();
            for (u, upper, bits, last, assigned, deleted) in rows {
                if !seen.insert(*u) {
                    continue;
                }
                let upn = format!("user{u}@x.com");
                let upn = if *upper { upn.to_uppercase() } else { upn };
                let licence_bits = plan.licence.iter().fold(0u64, |m, &(_, s)| m | 1 << s);
                let dated =
                    |days: &[Option<u32>], cols: &[(usize, usize)]| -> Box<[(u8, NaiveDate)]> {
                        let mut services: Vec<usize> = cols.iter().map(|&(_, s)| s).collect();
                        services.dedup();
                        services
                            .into_iter()
                            .filter_map(|s| Some((s as u8, day(days[s]?).min(day(*refresh)))))
                            .collect()
                    };
                out.push(
                    Row::new(RowParts {
                        upn: &upn,
                        deleted: *deleted && plan.deleted.is_some(),
                        licensed: (bits & licence_bits) | plan.licensed_rows.map_or(0, |s| 1 << s),
                        activity: &dated(last, &plan.activity),
                        assigned: &dated(assigned, &plan.assigned),
                        line: 2,
                        ..RowParts::default()
                    })
                    .unwrap(),
                );
            }
            let mut s = snapshot(plans[*p], index, day(*refresh), out);
            s.file = format!("f{index}.csv");
            s
        })
        .collect()
}

/// The brute-force answer: (user, service) -> status, by scanning every row for each user.
fn brute(c: &Catalogue, snaps: &[Snapshot], days: u32) -> BTreeMap<(String, String), Status> {
    let mut out = BTreeMap::new();
    let Some(as_of) = snaps.iter().filter_map(|s| s.refresh).max() else {
        return out;
    };
    let newest = |plan: usize| {
        snaps
            .iter()
            .filter(|s| s.plan == plan)
            .filter_map(|s| s.refresh)
            .max()
    };
    let keys: BTreeSet<String> = snaps
        .iter()
        .flat_map(|s| s.rows.iter().map(|r| r.upn().to_lowercase()))
        .collect();
    for key in keys {
        // Of each report, the first file (in input order) of the newest refresh that lists
        // the user.
        let mut rows: Vec<&Row> = Vec::new();
        for (p, _) in c.plans.iter().enumerate() {
            let mut files: Vec<&Snapshot> = snaps
                .iter()
                .filter(|s| s.plan == p && s.refresh == newest(p))
                .collect();
            files.sort_by_key(|s| s.index);
            if let Some(r) = files
                .iter()
                .find_map(|s| s.rows.iter().find(|r| r.upn().to_lowercase() == key))
            {
                rows.push(r);
            }
        }
        if rows.is_empty() || rows.iter().any(|r| r.deleted) {
            continue;
        }
        for (s, name) in c.services.iter().enumerate() {
            if !rows.iter().any(|r| r.licensed & (1 << s) != 0) {
                continue;
            }
            let date_of = |pick: fn(&Row) -> &[(u8, NaiveDate)]| {
                rows.iter()
                    .flat_map(|r| pick(r).iter())
                    .filter(|(t, _)| usize::from(*t) == s)
                    .map(|&(_, d)| d)
                    .max()
            };
            let last = date_of(|r| r.activity());
            let assigned = date_of(|r| r.assigned());
            let start = as_of - chrono::Days::new(u64::from(days) - 1);
            let st = if last.is_some_and(|d| d >= start) {
                Status::Active
            } else if assigned.is_some_and(|a| a + chrono::Days::new(u64::from(days)) > as_of) {
                Status::New
            } else {
                Status::Inactive
            };
            out.insert((key.clone(), name.clone()), st);
        }
    }
    out
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(128))]
    /// The inactive rows and the per-service counts are those of a brute-force join.
    #[test]
    fn compute_agrees_with_a_brute_force_join(specs in files(), days in 1u32..120) {
        let c = catalogue();
        let snaps = build(&c, &specs);
        let expected = brute(&c, &snaps, days);
        let options = Options { days, ..Options::default() };
        let result = compute(snaps, &c, &options).unwrap();
        let got: BTreeSet<(String, String)> = result
            .inactive
            .iter()
            .map(|u| (u.user_principal_name.to_lowercase(), u.service.to_string()))
            .collect();
        let want: BTreeSet<(String, String)> = expected
            .iter()
            .filter(|(_, &st)| st == Status::Inactive)
            .map(|(k, _)| k.clone())
            .collect();
        prop_assert_eq!(got, want);
        for summary in &result.services {
            let of = |st: Status| expected
                .iter()
                .filter(|((_, s), &x)| *s == summary.name && x == st)
                .count() as u64;
            prop_assert_eq!(
                (summary.active, summary.new, summary.inactive),
                (of(Status::Active), of(Status::New), of(Status::Inactive)),
                "service {}", summary.name
            );
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(128))]
    /// Dropping the rows of older snapshots as files arrive, in any order, keeps only the
    /// newest refresh date's rows of each report and changes nothing in the result.
    #[test]
    fn only_the_newest_snapshots_keep_rows_and_the_result_is_the_same(
        specs in files(),
        days in 1u32..120,
        order in any::<u64>(),
    ) {
        let c = catalogue();
        let snaps = build(&c, &specs);
        let mut arriving = snaps.clone();
        arriving.sort_by_key(|s| (s.index as u64 ^ order).wrapping_mul(0x9E37_79B9_7F4A_7C15));
        let (mut kept, mut newest) = (Vec::new(), Newest::default());
        for s in arriving {
            newest.push(&mut kept, s);
        }
        kept.sort_by_key(|s| s.index);
        for s in &kept {
            let max = snaps.iter().filter(|o| o.plan == s.plan).map(|o| o.refresh).max().flatten();
            let original = &snaps.iter().find(|o| o.index == s.index).unwrap().rows;
            if s.refresh == max {
                prop_assert_eq!(&s.rows, original);
            } else {
                prop_assert!(s.rows.is_empty(), "an older snapshot kept its rows");
            }
        }
        let options = Options { days, ..Options::default() };
        let whole = serde_json::to_value(compute(snaps, &c, &options).unwrap()).unwrap();
        let pruned = serde_json::to_value(compute(kept, &c, &options).unwrap()).unwrap();
        prop_assert_eq!(whole, pruned);
    }
}

#[test]
fn a_row_gives_back_each_part_it_was_made_of() {
    let (a, b) = (day(3), day(4));
    let row = Row::new(RowParts {
        upn: "Ann.Lee@X.com",
        id: Some("33333333-3333-3333-3333-333333333333"),
        name: Some("Ann Lee"),
        activity: &[(1, a)],
        assigned: &[(1, b), (2, a)],
        line: 7,
        ..RowParts::default()
    })
    .unwrap();
    assert_eq!(row.upn(), "Ann.Lee@X.com");
    assert_eq!(row.key(), "ann.lee@x.com");
    assert_eq!(row.id(), Some("33333333-3333-3333-3333-333333333333"));
    assert_eq!(row.name(), Some("Ann Lee"));
    assert_eq!(row.activity(), &[(1, a)]);
    assert_eq!(row.assigned(), &[(1, b), (2, a)]);
    assert!(row.products.is_empty());
    let bare = Row::new(RowParts {
        upn: "bob@x.com",
        ..RowParts::default()
    })
    .unwrap();
    assert_eq!(
        (bare.key(), bare.id(), bare.name()),
        ("bob@x.com", None, None)
    );
    assert!(bare.activity().is_empty() && bare.assigned().is_empty());
    let moved = Row::new(RowParts {
        upn: "bob@x.com",
        line: 9,
        ..RowParts::default()
    })
    .unwrap();
    assert!(bare.says_what(&moved) && bare != moved);
}
