//! Record rules: relations between the values of one row.

use crate::diagnostic::Code;
use crate::record::Cell;
use crate::schema::Report;

/// One broken record rule, pointing at a column of the row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecordProblem {
    /// The finding code.
    pub code: Code,
    /// The column the finding points at.
    pub column: usize,
    /// The message.
    pub message: String,
    /// What was found.
    pub found: String,
    /// What was expected.
    pub expected: String,
    /// What to do.
    pub hint: Option<String>,
}

/// Checks the relations the schema implies: the ratio's numerator is at most its denominator
/// (active <= total), and neither the report date nor a last-activity date is after the
/// refresh date. Cells that are null
/// or failed their field rule are skipped.
pub fn check_record(report: &Report, cells: &[Cell], mut emit: impl FnMut(RecordProblem)) {
    if let Some(ratio) = report.ratio {
        if let (Some(num), Some(den)) = (
            cells[ratio.numerator].as_int(),
            cells[ratio.denominator].as_int(),
        ) {
            if num > den {
                let (n, d) = (
                    &report.columns[ratio.numerator].csv,
                    &report.columns[ratio.denominator].csv,
                );
                emit(RecordProblem {
                    code: Code::RatioAboveOne,
                    column: ratio.numerator,
                    message: format!("`{n}` ({num}) is greater than `{d}` ({den})"),
                    found: num.to_string(),
                    expected: format!("at most {den} (`{d}`)"),
                    hint: Some(format!(
                        "`{n}` counts a subset of `{d}`; the columns may be swapped"
                    )),
                });
            }
        }
    }
    if let (Some(r), Some(f)) = (report.report_date(), report.refresh_date()) {
        if let (Some(date), Some(refresh)) = (cells[r].as_date(), cells[f].as_date()) {
            if date > refresh {
                emit(RecordProblem {
                    code: Code::DateAfterRefresh,
                    column: r,
                    message: format!(
                        "`{}` {date} is after `{}` {refresh}",
                        report.columns[r].csv, report.columns[f].csv
                    ),
                    found: date.to_string(),
                    expected: format!("{refresh} or earlier"),
                    hint: Some("a report cannot hold days after its refresh date; the two date columns may be swapped".into()),
                });
            }
        }
    }
    if let Some(f) = report.refresh_date() {
        let Some(refresh) = cells[f].as_date() else {
            return;
        };
        for &j in report.last_activities() {
            let column = &report.columns[j];
            if let Some(date) = cells[j].as_date().filter(|d| *d > refresh) {
                emit(RecordProblem {
                    code: Code::ActivityAfterRefresh,
                    column: j,
                    message: format!(
                        "`{}` {date} is after `{}` {refresh}",
                        column.csv, report.columns[f].csv
                    ),
                    found: date.to_string(),
                    expected: format!("{refresh} or earlier"),
                    hint: Some("the report knows activity up to its refresh date only; the file was edited, or its dates shifted".into()),
                });
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::schema::Registry;
    use chrono::NaiveDate;

    fn row(total: i64, active: i64, refresh: &str, date: &str) -> Vec<Cell> {
        let d = |s: &str| Cell::Date(NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap());
        vec![
            d(refresh),
            Cell::Int(total),
            Cell::Int(active),
            d(date),
            Cell::Enum(0),
        ]
    }

    fn problems(cells: &[Cell]) -> Vec<Code> {
        let registry = Registry::builtin().unwrap();
        let report = registry.find("GroupCounts").unwrap();
        let mut out = Vec::new();
        check_record(report, cells, |p| out.push(p.code));
        out
    }

    #[test]
    fn active_greater_than_total_is_e302() {
        assert_eq!(
            problems(&row(10, 11, "2026-11-25", "2026-11-25")),
            [Code::RatioAboveOne]
        );
        assert!(problems(&row(10, 10, "2026-11-25", "2026-11-25")).is_empty());
    }

    #[test]
    fn report_date_after_refresh_is_e303() {
        assert_eq!(
            problems(&row(10, 1, "2026-11-24", "2026-11-25")),
            [Code::DateAfterRefresh]
        );
    }

    #[test]
    fn null_counts_are_not_compared() {
        let mut cells = row(10, 11, "2026-11-25", "2026-11-25");
        cells[1] = Cell::Null;
        assert!(problems(&cells).is_empty());
    }
}
