//! A CSV file's header: which report it is (detected, or forced with `--report`), and which
//! schema column each header cell holds, with a finding for every mismatch (a misspelt,
//! unknown, doubled, missing or moved column, a wrong delimiter, a mojibake BOM).

use crate::check::{Checker, Location};
use crate::diagnostic::{Code, Finding};
use crate::read::locate::{csv_fields, locate};
use crate::read::records::Row;
use crate::schema::{loose_eq, Report};

/// The UTF-8 byte-order mark as it reads after a Latin-1 round trip.
const MOJIBAKE_BOM: &str = "\u{EF}\u{BB}\u{BF}";

/// Checks the header; returns, for each header cell, the schema column it holds. `None` when
/// the file cannot be checked further (wrong delimiter, unknown report).
pub(super) fn check_header(
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
pub(super) fn distance(a: &str, b: &str) -> usize {
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
