//! The report registry: every report the tool knows is a JSON Schema file.
//!
//! A schema under `schemas/` describes one Graph report record (draft 2020-12) and carries an
//! `x-m365report` annotation with what JSON Schema cannot say: the Graph function, the CSV
//! columns in documented order with the JSON property each maps to, the role of each column
//! and which pair of counts makes the active ratio. Everything the rules check (column names,
//! types, bounds, allowed periods) is read from here, so adding a report is adding a file.

mod detect;

pub use detect::{Detection, DetectionSource};

use std::collections::HashMap;
use std::path::Path;
use std::sync::Arc;

use serde_json::Value;

/// Errors raised while loading or compiling a report schema.
#[derive(Debug, thiserror::Error)]
pub enum SchemaError {
    /// The schema file could not be read.
    #[error("cannot read schema {path}: {source}")]
    Io {
        /// The file named by the user.
        path: String,
        /// The underlying error.
        source: std::io::Error,
    },
    /// The schema is not JSON.
    #[error("schema {name} is not valid JSON: {source}")]
    Json {
        /// The schema's file name.
        name: String,
        /// The parser's error.
        source: serde_json::Error,
    },
    /// The schema is JSON but not a usable report schema.
    #[error("schema {name}: {message}")]
    Invalid {
        /// The schema's file name.
        name: String,
        /// What is wrong.
        message: String,
    },
    /// Two schemas describe the same report type.
    #[error("schema {name} describes report {report}, which is already registered")]
    Duplicate {
        /// The schema's file name.
        name: String,
        /// The report type name.
        report: String,
    },
}

/// What a column means to the tool beyond its type.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    /// The date the report's content was refreshed (`Report Refresh Date`).
    RefreshDate,
    /// The day the values are for (`Report Date`).
    ReportDate,
    /// The number of days the report covers (`Report Period`).
    Period,
    /// Any other value (counts, sizes).
    Value,
}

/// The type of a column's values, derived from its JSON Schema property.
#[derive(Debug, Clone, PartialEq)]
pub enum Kind {
    /// A calendar date; JSON may also write it as a midnight date-time.
    Date,
    /// A whole number within `min..=max`; `nullable` when an empty cell or `null` is allowed.
    Integer {
        /// Smallest allowed value (the schema's `minimum`).
        min: i64,
        /// Largest allowed value (the schema's `maximum`).
        max: i64,
        /// Whether `null` is among the schema's types.
        nullable: bool,
    },
    /// A string out of a fixed list (the schema's `enum`).
    Enum(Vec<String>),
    /// Any string.
    Text,
}

/// One column of a report: its CSV header, its JSON property, its type and role.
#[derive(Debug, Clone)]
pub struct Column {
    /// The CSV header cell, as documented.
    pub csv: String,
    /// The JSON property name.
    pub property: String,
    /// The value type.
    pub kind: Kind,
    /// What the column means.
    pub role: Role,
}

impl Column {
    /// Whether one of `names` is this column: its CSV header (or, for JSON, its property or
    /// its CSV header), exactly or ignoring case and spaces.
    fn named_in(&self, names: &[&str], json: bool) -> bool {
        let want = if json {
            self.property.as_str()
        } else {
            self.csv.as_str()
        };
        names
            .iter()
            .any(|n| *n == want || loose_eq(n, want) || (json && loose_eq(n, &self.csv)))
    }
}

/// The pair of counts whose quotient is the active ratio, as column indexes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Ratio {
    /// Index of the numerator column (`Active`).
    pub numerator: usize,
    /// Index of the denominator column (`Total`).
    pub denominator: usize,
}

/// One report kind, compiled from its schema.
pub struct Report {
    /// The Graph JSON type name without namespace, e.g. `office365GroupsActivityGroupCounts`.
    pub name: String,
    /// The Graph function, e.g. `getOffice365GroupsActivityGroupCounts`.
    pub function: String,
    /// The qualified OData type, e.g. `microsoft.graph.office365GroupsActivityGroupCounts`.
    pub odata_type: String,
    /// One-line description from the schema.
    pub description: String,
    /// Columns in documented order.
    pub columns: Vec<Column>,
    /// The active-ratio pair, where the report has one.
    pub ratio: Option<Ratio>,
    /// Substrings of a file name that identify this report.
    pub file_name_hints: Vec<String>,
    /// Chosen when a CSV header fits several reports and nothing else decides.
    pub default_for_header: bool,
    /// Whether the schema was supplied by the user (`--schema`) rather than built in.
    pub user_supplied: bool,
    /// The schema document as written.
    pub source: String,
    /// The compiled JSON Schema of one record (see [`Report::validator`]).
    validator: std::sync::OnceLock<jsonschema::Validator>,
    refresh_date: Option<usize>,
    report_date: Option<usize>,
    period: Option<usize>,
}

impl std::fmt::Debug for Report {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Report")
            .field("name", &self.name)
            .field("columns", &self.columns)
            .finish_non_exhaustive()
    }
}

/// Compiles a report's JSON Schema document, formats checked.
fn compile(doc: &Value) -> Result<jsonschema::Validator, jsonschema::ValidationError<'static>> {
    jsonschema::options()
        .should_validate_formats(true)
        .build(doc)
}

impl Report {
    /// Compiles a report from its schema document. `name` is used in error messages only.
    pub fn from_schema(
        name: &str,
        source: &str,
        user_supplied: bool,
    ) -> Result<Report, SchemaError> {
        let doc: Value = serde_json::from_str(source).map_err(|source| SchemaError::Json {
            name: name.to_string(),
            source,
        })?;
        let invalid = |message: String| SchemaError::Invalid {
            name: name.to_string(),
            message,
        };
        // A user's schema is compiled now, so that a broken one is refused before any file is
        // read; a built-in one (compiled by a unit test) when a caller first asks for it:
        // compiling the four took two thirds of the start-up of every run (6 of 9 ms).
        let validator = std::sync::OnceLock::new();
        if user_supplied {
            let compiled =
                compile(&doc).map_err(|e| invalid(format!("not a valid JSON Schema: {e}")))?;
            let _ = validator.set(compiled);
        }
        let ann = doc
            .get("x-m365report")
            .ok_or_else(|| invalid("has no `x-m365report` annotation".into()))?;
        let text = |key: &str| -> Result<String, SchemaError> {
            ann.get(key)
                .and_then(Value::as_str)
                .map(str::to_string)
                .ok_or_else(|| invalid(format!("`x-m365report.{key}` must be a string")))
        };
        let odata_type = text("type")?;
        let function = text("function")?;
        let report_name = odata_type
            .rsplit('.')
            .next()
            .unwrap_or(&odata_type)
            .to_string();
        let properties = doc
            .get("properties")
            .and_then(Value::as_object)
            .ok_or_else(|| invalid("has no `properties` object".into()))?;
        let cols = ann
            .get("columns")
            .and_then(Value::as_array)
            .ok_or_else(|| invalid("`x-m365report.columns` must be an array".into()))?;
        let mut columns = Vec::with_capacity(cols.len());
        for (i, col) in cols.iter().enumerate() {
            let field = |key: &str| {
                col.get(key)
                    .and_then(Value::as_str)
                    .ok_or_else(|| invalid(format!("column {} has no string `{key}`", i + 1)))
            };
            let csv = field("csv")?.to_string();
            let property = field("property")?.to_string();
            let role = match col.get("role").and_then(Value::as_str) {
                Some("refreshDate") => Role::RefreshDate,
                Some("reportDate") => Role::ReportDate,
                Some("period") => Role::Period,
                Some("count") | Some("value") | None => Role::Value,
                Some(other) => {
                    return Err(invalid(format!(
                        "column `{csv}` has unknown role `{other}`"
                    )))
                }
            };
            let prop = properties.get(&property).ok_or_else(|| {
                invalid(format!(
                    "column `{csv}` maps to `{property}`, which is not in `properties`"
                ))
            })?;
            let kind =
                kind_of(&doc, prop).map_err(|m| invalid(format!("property `{property}`: {m}")))?;
            columns.push(Column {
                csv,
                property,
                kind,
                role,
            });
        }
        if columns.is_empty() {
            return Err(invalid("`x-m365report.columns` is empty".into()));
        }
        let index_of = |property: &str| columns.iter().position(|c| c.property == property);
        let ratio = match ann.get("ratio") {
            None | Some(Value::Null) => None,
            Some(r) => {
                let pick = |key: &str| {
                    r.get(key)
                        .and_then(Value::as_str)
                        .and_then(index_of)
                        .filter(|&i| matches!(columns[i].kind, Kind::Integer { .. }))
                        .ok_or_else(|| {
                            invalid(format!(
                                "`x-m365report.ratio.{key}` must name an integer column's property"
                            ))
                        })
                };
                Some(Ratio {
                    numerator: pick("numerator")?,
                    denominator: pick("denominator")?,
                })
            }
        };
        let role_index = |role: Role| -> Result<Option<usize>, SchemaError> {
            let mut found = columns.iter().enumerate().filter(|(_, c)| c.role == role);
            let first = found.next().map(|(i, _)| i);
            if found.next().is_some() {
                return Err(invalid(format!("more than one column has role {role:?}")));
            }
            Ok(first)
        };
        let refresh_date = role_index(Role::RefreshDate)?;
        let report_date = role_index(Role::ReportDate)?;
        let period = role_index(Role::Period)?;
        for (i, role) in [(refresh_date, "refreshDate"), (report_date, "reportDate")] {
            if let Some(i) = i {
                if columns[i].kind != Kind::Date {
                    return Err(invalid(format!("the {role} column must be a date")));
                }
            }
        }
        if let Some(i) = period {
            if !matches!(columns[i].kind, Kind::Enum(_)) {
                return Err(invalid(
                    "the period column must be an enum of day counts".into(),
                ));
            }
        }
        let file_name_hints = ann
            .get("fileNameHints")
            .and_then(Value::as_array)
            .map(|a| {
                a.iter()
                    .filter_map(Value::as_str)
                    .map(str::to_string)
                    .collect()
            })
            .unwrap_or_default();
        Ok(Report {
            name: report_name,
            function,
            odata_type,
            description: doc
                .get("description")
                .and_then(Value::as_str)
                .unwrap_or("")
                .to_string(),
            columns,
            ratio,
            file_name_hints,
            default_for_header: ann
                .get("defaultForHeader")
                .and_then(Value::as_bool)
                .unwrap_or(false),
            user_supplied,
            source: source.to_string(),
            validator,
            refresh_date,
            report_date,
            period,
        })
    }

    /// The compiled JSON Schema of one record: native rules cover what the built-in schemas
    /// say (a property test proves it), so only a user's schema is checked record by record.
    pub fn validator(&self) -> &jsonschema::Validator {
        self.validator.get_or_init(|| {
            // Only built-in schemas get here (a user's was compiled when loaded), and a unit
            // test compiles every one of them.
            let doc: Value = serde_json::from_str(&self.source).expect("a built-in schema is JSON");
            compile(&doc).expect("a built-in schema compiles")
        })
    }

    /// Index of the `Report Refresh Date` column, if the report has one.
    pub fn refresh_date(&self) -> Option<usize> {
        self.refresh_date
    }

    /// Index of the `Report Date` column, if the report has one.
    pub fn report_date(&self) -> Option<usize> {
        self.report_date
    }

    /// Index of the `Report Period` column, if the report has one.
    pub fn period(&self) -> Option<usize> {
        self.period
    }

    /// The `@odata.context` Graph's beta endpoint writes for this report.
    pub fn odata_context(&self) -> String {
        format!(
            "https://graph.microsoft.com/beta/$metadata#Collection({})",
            self.odata_type
        )
    }

    /// Whether `header` (already trimmed of BOMs) is exactly this report's documented header.
    pub fn header_matches(&self, header: &[&str]) -> bool {
        header.len() == self.columns.len()
            && header.iter().zip(&self.columns).all(|(h, c)| *h == c.csv)
    }

    /// How many of this report's columns appear in `names` (exactly, or ignoring case and
    /// spaces): a rough fit used to pick a report for a header with mistakes in it.
    pub fn fit(&self, names: &[&str], json: bool) -> usize {
        self.columns
            .iter()
            .filter(|c| c.named_in(names, json))
            .count()
    }

    /// How many of this report's value columns (not dates or period) appear in `names`: dates
    /// and period are common to every usage report, so a header must share a value column too.
    pub fn fit_values(&self, names: &[&str], json: bool) -> usize {
        self.columns
            .iter()
            .filter(|c| c.role == Role::Value && c.named_in(names, json))
            .count()
    }

    /// The period values (e.g. `7`, `30`) as the schema lists them.
    pub fn period_values(&self) -> &[String] {
        match self.period.map(|i| &self.columns[i].kind) {
            Some(Kind::Enum(values)) => values,
            _ => &[],
        }
    }
}

/// Compares ignoring ASCII case and all white space.
pub(crate) fn loose_eq(a: &str, b: &str) -> bool {
    // Runs for every header cell of every file: compare lazily, allocate nothing.
    a.bytes()
        .filter(|b| !b.is_ascii_whitespace())
        .map(|b| b.to_ascii_lowercase())
        .eq(b
            .bytes()
            .filter(|b| !b.is_ascii_whitespace())
            .map(|b| b.to_ascii_lowercase()))
}

/// Reads a property's value type from its subschema, following local `$ref`s.
fn kind_of(doc: &Value, prop: &Value) -> Result<Kind, String> {
    let prop = resolve(doc, prop, 0)?;
    if let Some(values) = prop.get("enum").and_then(Value::as_array) {
        let values: Option<Vec<String>> = values
            .iter()
            .map(|v| v.as_str().map(str::to_string))
            .collect();
        return values
            .map(Kind::Enum)
            .ok_or_else(|| "enum values must be strings".to_string());
    }
    let types: Vec<&str> = match prop.get("type") {
        Some(Value::String(t)) => vec![t.as_str()],
        Some(Value::Array(ts)) => ts.iter().filter_map(Value::as_str).collect(),
        _ => Vec::new(),
    };
    if types.contains(&"integer") {
        let bound = |key: &str, default: i64| match prop.get(key) {
            None => Ok(default),
            Some(v) => v
                .as_i64()
                .or_else(|| v.as_u64().map(|_| i64::MAX))
                .ok_or_else(|| format!("`{key}` must be a whole number")),
        };
        return Ok(Kind::Integer {
            min: bound("minimum", i64::MIN)?,
            max: bound("maximum", i64::MAX)?,
            nullable: types.contains(&"null"),
        });
    }
    let is_date = |v: &Value| v.get("format").and_then(Value::as_str) == Some("date");
    let any_date = prop
        .get("anyOf")
        .and_then(Value::as_array)
        .is_some_and(|alts| alts.iter().any(is_date));
    if types.contains(&"string") && (is_date(prop) || any_date) {
        return Ok(Kind::Date);
    }
    if types.contains(&"string") {
        return Ok(Kind::Text);
    }
    Err("must be a date string, an integer or a string enum".into())
}

fn resolve<'a>(doc: &'a Value, prop: &'a Value, depth: usize) -> Result<&'a Value, String> {
    match prop.get("$ref").and_then(Value::as_str) {
        None => Ok(prop),
        Some(_) if depth > 8 => Err("`$ref` chain too long".into()),
        Some(r) => {
            let pointer = r
                .strip_prefix('#')
                .ok_or_else(|| format!("only local `$ref`s are supported, not `{r}`"))?;
            let target = doc
                .pointer(pointer)
                .ok_or_else(|| format!("`$ref` {r} points nowhere"))?;
            resolve(doc, target, depth + 1)
        }
    }
}

/// The reports the tool knows: the built-in schemas plus any the user added.
#[derive(Debug, Clone)]
pub struct Registry {
    reports: Vec<Arc<Report>>,
    by_name: HashMap<String, usize>,
}

include!(concat!(env!("OUT_DIR"), "/builtin_schemas.rs"));

impl Registry {
    /// The built-in reports, compiled from the schemas embedded at build time.
    ///
    /// Fails only if a shipped schema is broken, which the test suite rules out.
    pub fn builtin() -> Result<Registry, SchemaError> {
        let mut registry = Registry {
            reports: Vec::new(),
            by_name: HashMap::new(),
        };
        for (file, source) in BUILTIN_SCHEMAS {
            registry.add(Report::from_schema(file, source, false)?)?;
        }
        Ok(registry)
    }

    /// Adds the report described by the schema file at `path` (`--schema FILE`).
    pub fn add_file(&mut self, path: &Path) -> Result<Arc<Report>, SchemaError> {
        let source = std::fs::read_to_string(path).map_err(|source| SchemaError::Io {
            path: path.display().to_string(),
            source,
        })?;
        let report = Report::from_schema(&path.display().to_string(), &source, true)?;
        self.add(report)
    }

    fn add(&mut self, report: Report) -> Result<Arc<Report>, SchemaError> {
        if self.by_name.contains_key(&report.name) {
            return Err(SchemaError::Duplicate {
                name: report.name.clone(),
                report: report.name.clone(),
            });
        }
        self.by_name.insert(report.name.clone(), self.reports.len());
        let report = Arc::new(report);
        self.reports.push(report.clone());
        Ok(report)
    }

    /// All reports, built-in first, each group in file-name order.
    pub fn reports(&self) -> &[Arc<Report>] {
        &self.reports
    }

    /// Finds a report by its type name, Graph function or qualified type, ignoring case;
    /// `GroupCounts`-style short names work when they are unambiguous.
    pub fn find(&self, name: &str) -> Option<&Arc<Report>> {
        if let Some(&i) = self.by_name.get(name) {
            return Some(&self.reports[i]);
        }
        let exact = self.reports.iter().find(|r| {
            [&r.name, &r.function, &r.odata_type]
                .iter()
                .any(|n| n.eq_ignore_ascii_case(name))
        });
        if exact.is_some() {
            return exact;
        }
        let lower = name.to_ascii_lowercase();
        let mut partial = self.reports.iter().filter(|r| {
            r.name.to_ascii_lowercase().ends_with(&lower)
                || r.file_name_hints
                    .iter()
                    .any(|h| h.eq_ignore_ascii_case(name))
        });
        let first = partial.next();
        if partial.next().is_some() {
            return None;
        }
        first
    }

    /// The report whose OData type appears in an `@odata.context` URL.
    pub fn by_context(&self, context: &str) -> Option<&Arc<Report>> {
        let inner = context
            .rsplit_once("Collection(")
            .map(|(_, rest)| rest.trim_end_matches(')'))
            .unwrap_or_else(|| context.rsplit('#').next().unwrap_or(context));
        self.reports.iter().find(|r| {
            r.odata_type.eq_ignore_ascii_case(inner) || r.name.eq_ignore_ascii_case(inner)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_users_broken_schema_is_refused_when_loaded() {
        let (_, source) = BUILTIN_SCHEMAS
            .iter()
            .find(|(file, _)| file.contains("GroupCounts"))
            .unwrap();
        let broken = source.replacen("\"type\": \"object\"", "\"type\": 12", 1);
        assert_ne!(&broken, source);
        match Report::from_schema("mine.json", &broken, true) {
            Err(SchemaError::Invalid { message, .. }) => {
                assert!(message.contains("not a valid JSON Schema"), "{message}")
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn builtin_schemas_compile() {
        let registry = Registry::builtin().unwrap();
        assert!(registry.reports().len() >= 4);
        for report in registry.reports() {
            // Compiled on first use: this is the use that proves `validator` cannot fail.
            let _ = report.validator();
            assert!(report.report_date().is_some(), "{}", report.name);
            assert_eq!(report.period_values(), ["7", "30", "90", "180"]);
        }
    }

    #[test]
    fn group_counts_has_ratio_and_documented_columns() {
        let registry = Registry::builtin().unwrap();
        let report = registry.find("office365GroupsActivityGroupCounts").unwrap();
        let names: Vec<&str> = report.columns.iter().map(|c| c.csv.as_str()).collect();
        assert_eq!(
            names,
            [
                "Report Refresh Date",
                "Total",
                "Active",
                "Report Date",
                "Report Period"
            ]
        );
        let ratio = report.ratio.unwrap();
        assert_eq!(report.columns[ratio.numerator].property, "active");
        assert_eq!(report.columns[ratio.denominator].property, "total");
        assert!(report.default_for_header);
    }

    #[test]
    fn find_accepts_function_and_short_names() {
        let registry = Registry::builtin().unwrap();
        for name in [
            "getOffice365GroupsActivityFileCounts",
            "FileCounts",
            "filecounts",
            "microsoft.graph.office365GroupsActivityFileCounts",
        ] {
            assert_eq!(
                registry.find(name).unwrap().name,
                "office365GroupsActivityFileCounts",
                "{name}"
            );
        }
        assert!(registry.find("Nothing").is_none());
    }

    #[test]
    fn context_names_the_report() {
        let registry = Registry::builtin().unwrap();
        let ctx = "https://graph.microsoft.com/beta/$metadata#Collection(microsoft.graph.office365GroupsActivityStorage)";
        assert_eq!(
            registry.by_context(ctx).unwrap().name,
            "office365GroupsActivityStorage"
        );
    }

    #[test]
    fn schema_without_annotation_is_refused() {
        let err = Report::from_schema("x.json", r#"{"type":"object","properties":{}}"#, true)
            .unwrap_err();
        assert!(err.to_string().contains("x-m365report"), "{err}");
    }
}
