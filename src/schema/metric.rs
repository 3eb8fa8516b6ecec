//! Metrics: the figures `trend` follows in a report, a count, a sum of counts or a ratio of
//! two such terms, and for detail reports the entities active in the period.
//!
//! A metric is declared in a schema (`x-m365report.metrics`, the report's defaults) or
//! written by a user (`--metric "Teams Active / (Teams Active + Teams Inactive)"`); both
//! become a [`Metric`] bound to one report's columns. The expression is read against the
//! report's column names, not split by a grammar alone, because names hold the operators'
//! characters (`Prohibit Send/Receive Quota (Byte)`, `Storage Used (Byte)`).

use serde_json::Value;

use super::{Column, Kind, Report, Role};

/// What a metric's values are measured in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Unit {
    /// A ratio, shown as a percentage; changes are in percentage points.
    Percent,
    /// A number of things (users, files, messages).
    Count,
    /// A number of bytes, shown as KB, MB, GB or TB.
    Bytes,
}

impl Unit {
    /// The unit as outputs name it.
    pub fn name(self) -> &'static str {
        match self {
            Unit::Percent => "percent",
            Unit::Count => "count",
            Unit::Bytes => "bytes",
        }
    }
}

/// One side of a metric.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Term {
    /// The sum of these count columns (one column: the column itself); null when any is.
    Sum(Vec<usize>),
    /// Detail reports: the entities not deleted whose date in `column` falls in the report
    /// period ending on the refresh date (the days `R - P + 1 ..= R`); `days` stands for
    /// the period where the report has no period column.
    Active {
        /// The last-activity column.
        column: usize,
        /// The period in days where the export has none.
        days: Option<u32>,
    },
    /// Detail reports: the entities not deleted.
    Entities,
}

impl Term {
    /// The term as its expression is written: column names joined by ` + `,
    /// `active(COLUMN)`, `entities`.
    pub fn text(&self, report: &Report) -> String {
        match self {
            Term::Sum(columns) => columns
                .iter()
                .map(|&i| report.columns[i].csv.as_str())
                .collect::<Vec<_>>()
                .join(" + "),
            Term::Active { column, .. } => format!("active({})", report.columns[*column].csv),
            Term::Entities => "entities".to_string(),
        }
    }

    /// Whether the term counts entities, which only a detail report's rows can.
    pub fn counts_entities(&self) -> bool {
        !matches!(self, Term::Sum(_))
    }
}

/// A figure followed over time: `numerator`, or `numerator / denominator`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Metric {
    /// The metric's name: its expression in the report's CSV names, written one way
    /// whatever the user typed (`Teams Active / (Teams Active + Teams Inactive)`).
    pub name: String,
    /// What is counted.
    pub numerator: Term,
    /// What it is divided by, for a ratio.
    pub denominator: Option<Term>,
    /// What the values are measured in.
    pub unit: Unit,
}

impl Metric {
    /// A metric of `report` from its terms: named and given its unit.
    pub fn new(report: &Report, numerator: Term, denominator: Option<Term>) -> Metric {
        let mut name = numerator.text(report);
        if let Some(den) = &denominator {
            let text = den.text(report);
            if matches!(den, Term::Sum(c) if c.len() > 1) {
                name = format!("{name} / ({text})");
            } else {
                name = format!("{name} / {text}");
            }
        }
        let bytes = match &numerator {
            Term::Sum(columns) => columns
                .iter()
                .all(|&i| report.columns[i].unit == Unit::Bytes),
            _ => false,
        };
        let unit = match (&denominator, bytes) {
            (Some(_), _) => Unit::Percent,
            (None, true) => Unit::Bytes,
            (None, false) => Unit::Count,
        };
        Metric {
            name,
            numerator,
            denominator,
            unit,
        }
    }

    /// The numerator's and denominator's texts, for outputs.
    pub fn terms(&self, report: &Report) -> (String, Option<String>) {
        (
            self.numerator.text(report),
            self.denominator.as_ref().map(|d| d.text(report)),
        )
    }

    /// Whether a term counts entities (a detail report's metric).
    pub fn counts_entities(&self) -> bool {
        self.numerator.counts_entities()
            || self.denominator.as_ref().is_some_and(Term::counts_entities)
    }
}

/// Why an expression is not a metric of a report.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MetricError {
    /// The expression is empty, or a term of it is.
    #[error("`{0}` has an empty term")]
    Empty(String),
    /// A name is not a column of the report.
    #[error("`{name}` is not a column of {report}")]
    UnknownColumn {
        /// The name as written.
        name: String,
        /// The report.
        report: String,
    },
    /// A column is not a count.
    #[error("`{name}` is a {kind} column of {report}, not a count")]
    WrongKind {
        /// The column's CSV name.
        name: String,
        /// Its kind.
        kind: &'static str,
        /// The report.
        report: String,
    },
    /// `active(...)` of a column that holds no last-activity date, or `entities`, where
    /// the report has no entity per row.
    #[error("{0}")]
    NotDetail(String),
}

impl Metric {
    /// Reads `expr` as a metric of `report`: a column (its CSV name, an alias or its JSON
    /// property, in any case), a sum of columns (`A + B`), or a ratio of two such terms
    /// (`A / (A + B)`); in detail reports also `active(LAST ACTIVITY COLUMN)` and
    /// `entities`. Every column must be a count.
    pub fn parse(expr: &str, report: &Report) -> Result<Metric, MetricError> {
        let expr = expr.trim();
        // The whole text first (a name may hold `/`), then each `/` outside parentheses
        // as the division, leftmost first; the first reading that binds wins, else the
        // error of the most likely one: the division written with spaces around it.
        let whole = sum(expr, report);
        if let Ok(numerator) = whole {
            return Ok(Metric::new(report, numerator, None));
        }
        let splits = top_level(expr, '/');
        let mut best: Option<MetricError> = None;
        for &at in &splits {
            let (left, right) = (&expr[..at], &expr[at + 1..]);
            match (sum(left, report), sum(right, report)) {
                (Ok(n), Ok(d)) => return Ok(Metric::new(report, n, Some(d))),
                (Err(e), _) | (_, Err(e)) => {
                    let spaced = left.ends_with(' ') && right.starts_with(' ');
                    if best.is_none() || spaced {
                        best = Some(e);
                    }
                }
            }
        }
        // `whole` is an error here: a whole expression that binds returned above.
        match (best, whole) {
            (Some(e), _) | (None, Err(e)) => Err(e),
            (None, Ok(numerator)) => Ok(Metric::new(report, numerator, None)),
        }
    }

    /// The metrics a schema declares (`x-m365report.metrics`): objects with `numerator`
    /// and `denominator` lists of count properties, or `activeIn` naming a last-activity
    /// property (over the entities, `days` standing for a missing period column).
    pub fn from_schema(value: Option<&Value>, report: &Report) -> Result<Vec<Metric>, String> {
        let Some(list) = value else {
            return Ok(Vec::new());
        };
        let list = list
            .as_array()
            .ok_or("`x-m365report.metrics` must be an array")?;
        let count = |property: &Value| -> Result<usize, String> {
            let p = property.as_str().unwrap_or_default();
            report
                .columns
                .iter()
                .position(|c| c.property == p && matches!(c.kind, Kind::Integer { .. }))
                .ok_or_else(|| format!("metric term `{p}` is not a count column's property"))
        };
        let sum_of = |v: &Value| -> Result<Term, String> {
            let items = v.as_array().ok_or("a metric's terms must be an array")?;
            if items.is_empty() {
                return Err("a metric has an empty term".into());
            }
            Ok(Term::Sum(
                items.iter().map(count).collect::<Result<_, _>>()?,
            ))
        };
        let mut out = Vec::with_capacity(list.len());
        for m in list {
            if let Some(active) = m.get("activeIn") {
                let p = active.as_str().unwrap_or_default();
                let column = report
                    .columns
                    .iter()
                    .position(|c| c.property == p && is_activity(c))
                    .filter(|_| report.entity().is_some())
                    .ok_or_else(|| {
                        format!("`activeIn` `{p}` is not a last-activity date of a detail report")
                    })?;
                let days = m
                    .get("days")
                    .and_then(Value::as_u64)
                    .and_then(|d| u32::try_from(d).ok());
                out.push(Metric::new(
                    report,
                    Term::Active { column, days },
                    Some(Term::Entities),
                ));
                continue;
            }
            let numerator = sum_of(m.get("numerator").unwrap_or(&Value::Null))?;
            let denominator = m.get("denominator").map(sum_of).transpose()?;
            out.push(Metric::new(report, numerator, denominator));
        }
        Ok(out)
    }
}

/// Whether a column holds a date an entity was last active (`active(...)` takes it).
fn is_activity(c: &Column) -> bool {
    c.role == Role::LastActivity && matches!(c.kind, Kind::Date | Kind::OptionalDate)
}

/// Byte offsets of `op` outside parentheses.
fn top_level(text: &str, op: char) -> Vec<usize> {
    let mut depth = 0i32;
    let mut out = Vec::new();
    for (i, c) in text.char_indices() {
        match c {
            '(' => depth += 1,
            ')' => depth -= 1,
            c if c == op && depth == 0 => out.push(i),
            _ => {}
        }
    }
    out
}

/// Whether `text` is wholly wrapped in one pair of parentheses.
fn wrapped(text: &str) -> bool {
    if !(text.starts_with('(') && text.ends_with(')')) {
        return false;
    }
    let mut depth = 0i32;
    for (i, c) in text.char_indices() {
        match c {
            '(' => depth += 1,
            ')' => {
                depth -= 1;
                if depth == 0 && i + 1 < text.len() {
                    return false;
                }
            }
            _ => {}
        }
    }
    true
}

/// One side of a metric: names joined by `+`, perhaps in parentheses.
fn sum(text: &str, report: &Report) -> Result<Term, MetricError> {
    let text = text.trim();
    if text.is_empty() {
        return Err(MetricError::Empty(text.to_string()));
    }
    // A name itself may end in parentheses (`Storage Used (Byte)`): it wins over them.
    if let Ok(term) = single(text, report) {
        return Ok(term);
    }
    if wrapped(text) {
        return sum(&text[1..text.len() - 1], report);
    }
    let mut starts = vec![0];
    starts.extend(top_level(text, '+').into_iter().map(|i| i + 1));
    if starts.len() == 1 {
        return single(text, report);
    }
    let mut columns = Vec::new();
    for (k, &start) in starts.iter().enumerate() {
        let end = starts.get(k + 1).map_or(text.len(), |&next| next - 1);
        match single(text[start..end].trim(), report)? {
            Term::Sum(c) => columns.extend(c),
            _ => {
                return Err(MetricError::NotDetail(
                    "`active(...)` and `entities` stand alone on their side of a metric".into(),
                ))
            }
        }
    }
    Ok(Term::Sum(columns))
}

/// One name: a count column, `active(COLUMN)` or `entities`.
fn single(name: &str, report: &Report) -> Result<Term, MetricError> {
    let name = name.trim();
    if name.is_empty() {
        return Err(MetricError::Empty(name.to_string()));
    }
    let detail = report.entity().is_some();
    if name.eq_ignore_ascii_case("entities") {
        return if detail {
            Ok(Term::Entities)
        } else {
            Err(MetricError::NotDetail(format!(
                "`entities` counts the rows of a detail report; {} has a row per {}",
                report.name,
                if report.report_date().is_some() {
                    "day"
                } else {
                    "download"
                }
            )))
        };
    }
    let lower = name.to_ascii_lowercase();
    if let Some(inner) = lower
        .strip_prefix("active(")
        .and_then(|_| name.get(7..name.len().saturating_sub(1)))
        .filter(|_| name.ends_with(')'))
    {
        let Some(column) = report.columns.iter().position(|c| c.is_named(inner, true)) else {
            return Err(MetricError::UnknownColumn {
                name: inner.trim().to_string(),
                report: report.name.clone(),
            });
        };
        if !detail || !is_activity(&report.columns[column]) {
            return Err(MetricError::NotDetail(format!(
                "`active(...)` takes a last-activity date of a detail report; `{}` of {} is not one",
                report.columns[column].csv, report.name
            )));
        }
        // Where the export has no period, the schema's own metric of the column says how
        // many days count as the period.
        let days = report.metrics.iter().find_map(|m| match m.numerator {
            Term::Active { column: c, days } if c == column => days,
            _ => None,
        });
        return Ok(Term::Active { column, days });
    }
    let Some(i) = report.columns.iter().position(|c| c.is_named(name, true)) else {
        return Err(MetricError::UnknownColumn {
            name: name.to_string(),
            report: report.name.clone(),
        });
    };
    let c = &report.columns[i];
    if !matches!(c.kind, Kind::Integer { .. }) {
        return Err(MetricError::WrongKind {
            name: c.csv.clone(),
            kind: c.kind.name(),
            report: report.name.clone(),
        });
    }
    Ok(Term::Sum(vec![i]))
}

/// The columns a metric may name in `report`, for a usage error: the counts, and in a
/// detail report its last-activity dates inside `active(...)` and `entities`.
pub fn metric_columns(report: &Report) -> Vec<String> {
    let mut out: Vec<String> = report
        .columns
        .iter()
        .filter(|c| matches!(c.kind, Kind::Integer { .. }) && c.role == Role::Value)
        .map(|c| c.csv.clone())
        .collect();
    if report.entity().is_some() {
        out.extend(
            report
                .columns
                .iter()
                .filter(|c| is_activity(c))
                .map(|c| format!("active({})", c.csv)),
        );
        out.push("entities".into());
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Registry;

    fn report(name: &str) -> std::sync::Arc<Report> {
        Registry::builtin().unwrap().find(name).unwrap().clone()
    }

    #[test]
    fn a_column_a_sum_and_a_ratio_in_any_case_and_spacing() {
        let r = report("office365ServicesUserCounts");
        let m = Metric::parse("teams active / (Teams Active+teamsInactive)", &r).unwrap();
        assert_eq!(m.name, "Teams Active / (Teams Active + Teams Inactive)");
        assert_eq!(m.unit, Unit::Percent);
        let m = Metric::parse("Exchange Active + Exchange Inactive", &r).unwrap();
        assert_eq!(m.unit, Unit::Count);
        assert!(matches!(m.numerator, Term::Sum(ref c) if c.len() == 2));
    }

    #[test]
    fn names_holding_slashes_and_parentheses_are_names() {
        let r = report("mailboxUsageDetail");
        let m = Metric::parse("Prohibit Send/Receive Quota (Byte)", &r).unwrap();
        assert_eq!(m.denominator, None);
        assert_eq!(m.unit, Unit::Bytes);
        let m = Metric::parse(
            "(Storage Used (Byte)) / Prohibit Send/Receive Quota (Byte)",
            &r,
        )
        .unwrap();
        assert_eq!(
            m.name,
            "Storage Used (Byte) / Prohibit Send/Receive Quota (Byte)"
        );
    }

    #[test]
    fn wrong_names_kinds_and_detail_terms_are_refused() {
        let r = report("office365ServicesUserCounts");
        assert!(matches!(
            Metric::parse("Teams Activ", &r),
            Err(MetricError::UnknownColumn { .. })
        ));
        assert!(matches!(
            Metric::parse("Teams Active / Report Refresh Date", &r),
            Err(MetricError::WrongKind { .. })
        ));
        assert!(matches!(
            Metric::parse("entities", &r),
            Err(MetricError::NotDetail(_))
        ));
        assert!(matches!(
            Metric::parse("Teams Active / ", &r),
            Err(MetricError::Empty(_))
        ));
        let d = report("teamsUserActivityUserDetail");
        let m = Metric::parse("active(Last Activity Date) / entities", &d).unwrap();
        assert_eq!(m.name, "active(Last Activity Date) / entities");
        assert!(Metric::parse("active(Report Refresh Date)", &d).is_err());
    }

    #[test]
    fn every_schema_declares_metrics_that_bind_and_read_back() {
        let reg = Registry::builtin().unwrap();
        for r in reg.reports() {
            for m in &r.metrics {
                let again = Metric::parse(&m.name, r).unwrap();
                assert_eq!(again.numerator, m.numerator, "{}: {}", r.name, m.name);
            }
        }
        let r = report("office365ActiveUserDetail");
        assert_eq!(r.metrics.len(), 6);
        assert!(matches!(
            r.metrics[0].numerator,
            Term::Active { days: Some(30), .. }
        ));
    }
}
