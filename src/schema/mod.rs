//! The report registry: every report the tool knows is a JSON Schema file.
//!
//! A schema under `schemas/` describes one Graph report record (draft 2020-12) and carries an
//! `x-m365report` annotation with what JSON Schema cannot say: the Graph function, the CSV
//! columns in documented order with the JSON property each maps to, the role of each column
//! and which pair of counts makes the active ratio. Everything the rules check (column names,
//! types, bounds, allowed periods) is read from here, so adding a report is adding a file.

mod detect;
pub mod metric;
pub use metric::{Metric, MetricError, Term, Unit};

pub use detect::{Detection, DetectionSource, Fit};

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
    /// A value that splits a counts report's rows within one report date (`Site Type`):
    /// one row per (report date, dimension values).
    Dimension,
    /// What a detail report's row is about (`User Principal Name`, `Site Id`): one row per
    /// entity.
    Entity,
    /// The last day the entity was active (`Last Activity Date`), per service where named.
    LastActivity,
    /// Whether the entity holds a licence (`Has Exchange License`, `Is Licensed`).
    Licence,
    /// The day a licence was assigned (`Exchange License Assign Date`).
    LicenceAssignDate,
    /// Whether the entity is deleted (`Is Deleted`).
    Deleted,
    /// The day the entity was deleted (`Deleted Date`).
    DeletedDate,
    /// The products assigned to a user (`Assigned Products`).
    Products,
    /// The entity's name for people (`Display Name`).
    DisplayName,
    /// An id of the entity beside the entity column (`User Id` beside `User Principal
    /// Name`): a join key that survives renames, where a report has it.
    EntityId,
    /// Any other value (counts, sizes, names).
    Value,
}

impl Role {
    /// The role as schemas write it (`refreshDate`).
    pub fn name(self) -> &'static str {
        match self {
            Role::RefreshDate => "refreshDate",
            Role::ReportDate => "reportDate",
            Role::Period => "period",
            Role::Dimension => "dimension",
            Role::Entity => "entity",
            Role::LastActivity => "lastActivity",
            Role::Licence => "licence",
            Role::LicenceAssignDate => "licenceAssignDate",
            Role::Deleted => "deleted",
            Role::DeletedDate => "deletedDate",
            Role::Products => "products",
            Role::DisplayName => "displayName",
            Role::EntityId => "entityId",
            Role::Value => "value",
        }
    }

    /// Whether header detection counts a column of this role among a report's values: names
    /// and ids are values to it, as they were before they had roles of their own.
    pub fn is_value(self) -> bool {
        matches!(self, Role::Value | Role::DisplayName | Role::EntityId)
    }

    fn parse(name: Option<&str>) -> Option<Role> {
        Some(match name {
            Some("refreshDate") => Role::RefreshDate,
            Some("reportDate") => Role::ReportDate,
            Some("period") => Role::Period,
            Some("dimension") => Role::Dimension,
            Some("entity") => Role::Entity,
            Some("lastActivity") => Role::LastActivity,
            Some("licence") | Some("license") => Role::Licence,
            Some("licenceAssignDate") | Some("licenseAssignDate") => Role::LicenceAssignDate,
            Some("deleted") => Role::Deleted,
            Some("deletedDate") => Role::DeletedDate,
            Some("products") => Role::Products,
            Some("displayName") => Role::DisplayName,
            Some("entityId") => Role::EntityId,
            Some("count") | Some("value") | None => Role::Value,
            Some(_) => return None,
        })
    }
}

/// The type of a column's values, derived from its JSON Schema property.
#[derive(Debug, Clone, PartialEq)]
pub enum Kind {
    /// A calendar date; JSON may also write it as a midnight date-time.
    Date,
    /// A date, or empty / `null` where there is none (never active, not deleted).
    OptionalDate,
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
    /// Any string; empty or `null` for none.
    Text,
    /// True or false: `True`/`False` or `Yes`/`No` in CSV, `true`/`false` in JSON.
    Boolean,
    /// A GUID, 8-4-4-4-12 hex digits.
    Guid,
    /// An ISO 8601 duration such as `PT1H2M3S`.
    Duration,
    /// A list of strings: `+`-separated in CSV, an array in JSON.
    List,
}

impl Kind {
    /// The kind's name as `schemas --format json` lists it.
    pub fn name(&self) -> &'static str {
        match self {
            Kind::Date => "date",
            Kind::OptionalDate => "optionalDate",
            Kind::Integer { .. } => "count",
            Kind::Enum(_) => "enum",
            Kind::Text => "text",
            Kind::Boolean => "boolean",
            Kind::Guid => "guid",
            Kind::Duration => "duration",
            Kind::List => "list",
        }
    }

    /// Whether an empty CSV cell or JSON `null` is a value of this kind (no value).
    pub fn nullable(&self) -> bool {
        match self {
            Kind::Date | Kind::Enum(_) => false,
            Kind::Integer { nullable, .. } => *nullable,
            _ => true,
        }
    }
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
    /// The service a licence or activity column is about (`Exchange`), where the schema
    /// names one.
    pub service: Option<String>,
    /// Whether real exports may lack the column (added later, or only some tenants have it):
    /// a file without it is valid and its cells are null.
    pub optional: bool,
    /// Other CSV spellings real exports or the docs use for the column (`Used  Chrome OS`).
    pub aliases: Vec<String>,
    /// The API versions (or `observed`, `v2`) that document the column, where not every
    /// version of the report does.
    pub versions: Vec<String>,
    /// What a count column counts in: things, or bytes (`"unit": "bytes"`).
    pub unit: Unit,
}

impl Column {
    /// Whether one of `names` is this column: its CSV header or an alias (or, for JSON, its
    /// property too), exactly or ignoring case and spaces.
    fn named_in(&self, names: &[&str], json: bool) -> bool {
        names.iter().any(|n| self.is_named(n, json))
    }

    /// Whether `name` is this column's CSV header or one of its aliases (or, for JSON, its
    /// property), exactly or ignoring case and spaces.
    pub fn is_named(&self, name: &str, json: bool) -> bool {
        loose_eq(name, &self.csv)
            || (json && loose_eq(name, &self.property))
            || self.aliases.iter().any(|a| loose_eq(name, a))
    }

    /// Whether an empty cell or `null` is no value here: the kind allows none, or the
    /// column is one exports may lack (then where present it may be empty too), except the
    /// dates every row is about.
    pub fn accepts_empty(&self) -> bool {
        self.kind.nullable()
            || (self.optional && !matches!(self.role, Role::RefreshDate | Role::ReportDate))
    }

    /// Whether `name` is exactly this column's CSV header or one of its aliases.
    pub fn is_spelled(&self, name: &str) -> bool {
        name == self.csv || self.aliases.iter().any(|a| a == name)
    }
}

/// What one row of a report stands for, from the roles of its columns.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Shape {
    /// A day (and dimension value): the report has a `Report Date` column.
    Counts,
    /// An entity (user, site, group, team): the report has an entity column.
    Detail,
    /// The whole download: neither (`getOffice365ServicesUserCounts`).
    Snapshot,
}

impl Shape {
    /// The shape as listings write it.
    pub fn name(self) -> &'static str {
        match self {
            Shape::Counts => "counts",
            Shape::Detail => "detail",
            Shape::Snapshot => "snapshot",
        }
    }
}

/// A report as `schemas --format json` lists it: everything a tool needs to read its files.
#[derive(Debug, Clone, serde::Serialize)]
pub struct ReportInfo {
    /// The report's name (the function without `get`).
    pub name: String,
    /// The Graph function.
    pub function: String,
    /// The qualified OData type of its JSON records.
    pub odata_type: String,
    /// The workload (`Teams`).
    pub workload: String,
    /// The API versions that document it.
    pub versions: Vec<String>,
    /// What a row stands for.
    pub shape: Shape,
    /// The inner array of Graph's nested JSON shape, where it has one.
    pub nested: Option<String>,
    /// The columns in documented order.
    pub columns: Vec<ColumnInfo>,
    /// The default ratio (numerator and denominator JSON properties), where there is one.
    pub ratio: Option<(String, String)>,
    /// The metrics `trend` follows by default, by name.
    pub metrics: Vec<String>,
    /// Whether `--schema` added it.
    pub user_supplied: bool,
    /// The service whose licence every row's user holds, where the report lists only
    /// licensed users (Copilot).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub licensed_rows: Option<String>,
}

/// One column as `schemas --format json` lists it.
#[derive(Debug, Clone, serde::Serialize)]
pub struct ColumnInfo {
    /// The CSV header name.
    pub csv: String,
    /// The JSON property.
    pub property: String,
    /// The kind of its values (`count`, `date`, `boolean`...).
    pub kind: &'static str,
    /// Its role (`reportDate`, `entity`, `value`...).
    pub role: &'static str,
    /// The service a licence or activity column is about.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub service: Option<String>,
    /// Whether a file may lack it.
    pub optional: bool,
    /// Other CSV spellings.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub aliases: Vec<String>,
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
    /// The report's name: the Graph function without `get`, first letter lower-cased, e.g.
    /// `office365GroupsActivityGroupCounts` (for Graph's typed reports also the JSON type).
    pub name: String,
    /// The Graph function, e.g. `getOffice365GroupsActivityGroupCounts`.
    pub function: String,
    /// The qualified OData type, e.g. `microsoft.graph.office365GroupsActivityGroupCounts`.
    pub odata_type: String,
    /// One-line description from the schema.
    pub description: String,
    /// The workload the report belongs to (`Teams`, `SharePoint`), for listings.
    pub workload: String,
    /// The API versions that document the report (`v1.0`, `beta`).
    pub versions: Vec<String>,
    /// The function's parameters (`period`, `date`): a `date` overload gives period `1`.
    pub parameters: Vec<String>,
    /// The inner array of Graph's nested JSON shape (`details`, `adoptionByDate`): each of
    /// its items, with the properties of the object holding it, is one row.
    pub nested: Option<String>,
    /// Columns in documented order.
    pub columns: Vec<Column>,
    /// The active-ratio pair, where the report has one.
    pub ratio: Option<Ratio>,
    /// The metrics `trend` follows when none is asked for (`x-m365report.metrics`).
    pub metrics: Vec<Metric>,
    /// Substrings of a file name that identify this report.
    pub file_name_hints: Vec<String>,
    /// Chosen when a CSV header fits several reports and nothing else decides.
    pub default_for_header: bool,
    /// Whether the schema was supplied by the user (`--schema`) rather than built in.
    pub user_supplied: bool,
    /// Whether this is no schema's report but a detail report summarised by `trend`: one
    /// row per download of sums over its entities (see [`Report::summarised`]).
    pub summary: bool,
    /// The service whose licence every row's user holds, where the report lists only
    /// licensed users (`x-m365report.licensedRows`: Copilot's report).
    pub licensed_rows: Option<String>,
    /// The schema document as written.
    pub source: String,
    /// The compiled JSON Schema of one record (see [`Report::validator`]).
    validator: std::sync::OnceLock<jsonschema::Validator>,
    refresh_date: Option<usize>,
    report_date: Option<usize>,
    period: Option<usize>,
    entity: Option<usize>,
    dimensions: Vec<usize>,
    last_activities: Vec<usize>,
    required: usize,
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
        // The function names the report: several functions share a JSON type
        // (`siteActivitySummary`), never a function.
        let report_name = match function.strip_prefix("get") {
            Some(rest) if !rest.is_empty() => {
                let mut chars = rest.chars();
                chars
                    .next()
                    .map(|c| c.to_ascii_lowercase().to_string() + chars.as_str())
                    .unwrap_or_default()
            }
            _ => odata_type
                .rsplit('.')
                .next()
                .unwrap_or(&odata_type)
                .to_string(),
        };
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
            let role_name = col.get("role").and_then(Value::as_str);
            let Some(role) = Role::parse(role_name) else {
                return Err(invalid(format!(
                    "column `{csv}` has unknown role `{}`",
                    role_name.unwrap_or_default()
                )));
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
                service: col
                    .get("service")
                    .and_then(Value::as_str)
                    .map(str::to_string),
                optional: col.get("optional").and_then(Value::as_bool) == Some(true),
                aliases: strings(col.get("aliases")),
                versions: strings(col.get("versions")),
                unit: match col.get("unit").and_then(Value::as_str) {
                    Some("bytes") => Unit::Bytes,
                    _ => Unit::Count,
                },
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
        let entity = role_index(Role::Entity)?;
        let with_role = |role: Role| -> Vec<usize> {
            (0..columns.len())
                .filter(|&i| columns[i].role == role)
                .collect()
        };
        let dimensions = with_role(Role::Dimension);
        let last_activities = with_role(Role::LastActivity);
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
        let file_name_hints = strings(ann.get("fileNameHints"));
        let columns_required = columns.iter().filter(|c| !c.optional).count();
        let mut report = Report {
            name: report_name,
            function,
            odata_type,
            description: doc
                .get("description")
                .and_then(Value::as_str)
                .unwrap_or("")
                .to_string(),
            workload: ann
                .get("workload")
                .and_then(Value::as_str)
                .unwrap_or("Other")
                .to_string(),
            versions: strings(ann.get("versions")),
            parameters: strings(ann.get("parameters")),
            nested: ann
                .get("nested")
                .and_then(Value::as_str)
                .map(str::to_string),
            columns,
            ratio,
            file_name_hints,
            default_for_header: ann
                .get("defaultForHeader")
                .and_then(Value::as_bool)
                .unwrap_or(false),
            user_supplied,
            licensed_rows: ann
                .get("licensedRows")
                .and_then(Value::as_str)
                .map(str::to_string),
            source: source.to_string(),
            validator,
            refresh_date,
            report_date,
            period,
            entity,
            dimensions,
            last_activities,
            required: columns_required,
            metrics: Vec::new(),
            summary: false,
        };
        report.metrics = Metric::from_schema(ann.get("metrics"), &report).map_err(invalid)?;
        Ok(report)
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

    /// Index of the column naming a detail report's entity (`User Principal Name`), if the
    /// report has one: a file holds one row per entity.
    pub fn entity(&self) -> Option<usize> {
        self.entity
    }

    /// Indexes of the last-activity columns (a detail report's `Exchange Last Activity
    /// Date`...), kept so that a row's check does not walk every column to find them.
    pub fn last_activities(&self) -> &[usize] {
        &self.last_activities
    }

    /// Indexes of the dimension columns (`Site Type`): a counts report with dimensions holds
    /// one row per report date and dimension value.
    pub fn dimensions(&self) -> &[usize] {
        &self.dimensions
    }

    /// The `@odata.context` Graph's beta endpoint writes for this report.
    pub fn odata_context(&self) -> String {
        format!(
            "https://graph.microsoft.com/beta/$metadata#Collection({})",
            self.odata_type
        )
    }

    /// How many of this report's columns appear in `names` (exactly, or ignoring case and
    /// spaces): a rough fit used to pick a report for a header with mistakes in it.
    pub fn fit(&self, names: &[&str], json: bool) -> usize {
        self.columns
            .iter()
            .filter(|c| c.named_in(names, json))
            .count()
    }

    /// What one row of the report stands for.
    pub fn shape(&self) -> Shape {
        match (self.report_date, self.entity) {
            (Some(_), _) => Shape::Counts,
            (None, Some(_)) => Shape::Detail,
            (None, None) => Shape::Snapshot,
        }
    }

    /// The report as `schemas --format json` lists it.
    pub fn info(&self) -> ReportInfo {
        ReportInfo {
            name: self.name.clone(),
            function: self.function.clone(),
            odata_type: self.odata_type.clone(),
            workload: self.workload.clone(),
            versions: self.versions.clone(),
            shape: self.shape(),
            nested: self.nested.clone(),
            columns: self
                .columns
                .iter()
                .map(|c| ColumnInfo {
                    csv: c.csv.clone(),
                    property: c.property.clone(),
                    kind: c.kind.name(),
                    role: c.role.name(),
                    service: c.service.clone(),
                    optional: c.optional,
                    aliases: c.aliases.clone(),
                })
                .collect(),
            ratio: self.ratio.map(|r| {
                (
                    self.columns[r.numerator].property.clone(),
                    self.columns[r.denominator].property.clone(),
                )
            }),
            metrics: self.metrics.iter().map(|m| m.name.clone()).collect(),
            user_supplied: self.user_supplied,
            licensed_rows: self.licensed_rows.clone(),
        }
    }

    /// The API version a file of this report comes from, told by the columns it has
    /// (`present`): a column only the beta API documents makes it `beta`; otherwise `v1.0`
    /// where that version documents the report, else the report's one version.
    pub fn version_of(&self, present: impl IntoIterator<Item = usize>) -> Option<&str> {
        let beta_only = |c: &Column| {
            c.versions.iter().any(|v| v == "beta")
                && !c.versions.iter().any(|v| v == "v1.0" || v == "observed")
        };
        if present
            .into_iter()
            .any(|j| self.columns.get(j).is_some_and(beta_only))
        {
            return Some("beta");
        }
        self.versions
            .iter()
            .find(|v| *v == "v1.0")
            .or(self.versions.first())
            .map(String::as_str)
    }

    /// How many columns a file must have (those not optional).
    pub fn required_columns(&self) -> usize {
        self.required
    }

    /// The report of one row per download that stands for this detail report in a trend of
    /// `metrics`: its refresh date, its period (where it has one), then one count column per
    /// distinct term of the metrics, named by the term's text; the metrics are bound to those
    /// columns. Also returns the terms, in that column order, for whoever sums the rows.
    pub fn summarised(&self, metrics: &[Metric]) -> (Report, Vec<Term>) {
        let mut columns = Vec::new();
        let refresh_date = self.refresh_date.map(|i| {
            columns.push(self.columns[i].clone());
            columns.len() - 1
        });
        let period = self.period.map(|i| {
            columns.push(self.columns[i].clone());
            columns.len() - 1
        });
        let mut terms: Vec<Term> = Vec::new();
        let mut index_of = |term: &Term, columns: &mut Vec<Column>| -> usize {
            if let Some(k) = terms.iter().position(|t| t == term) {
                return refresh_date.iter().chain(&period).count() + k;
            }
            let text = term.text(self);
            let bytes = matches!(term, Term::Sum(c)
                if c.iter().all(|&i| self.columns[i].unit == Unit::Bytes));
            columns.push(Column {
                csv: text.clone(),
                property: text,
                kind: Kind::Integer {
                    min: i64::MIN,
                    max: i64::MAX,
                    nullable: true,
                },
                role: Role::Value,
                service: None,
                optional: false,
                aliases: Vec::new(),
                versions: Vec::new(),
                unit: if bytes { Unit::Bytes } else { Unit::Count },
            });
            terms.push(term.clone());
            columns.len() - 1
        };
        let mut bound = Vec::with_capacity(metrics.len());
        for m in metrics {
            let n = index_of(&m.numerator, &mut columns);
            let d = m.denominator.as_ref().map(|d| index_of(d, &mut columns));
            bound.push(Metric {
                name: m.name.clone(),
                numerator: Term::Sum(vec![n]),
                denominator: d.map(|d| Term::Sum(vec![d])),
                unit: m.unit,
            });
        }
        let required = columns.len();
        let report = Report {
            name: self.name.clone(),
            function: self.function.clone(),
            odata_type: self.odata_type.clone(),
            description: self.description.clone(),
            workload: self.workload.clone(),
            versions: self.versions.clone(),
            parameters: self.parameters.clone(),
            nested: None,
            columns,
            ratio: None,
            metrics: bound,
            file_name_hints: self.file_name_hints.clone(),
            default_for_header: false,
            user_supplied: self.user_supplied,
            summary: true,
            licensed_rows: None,
            source: String::new(),
            validator: std::sync::OnceLock::new(),
            refresh_date,
            report_date: None,
            period,
            entity: None,
            dimensions: Vec::new(),
            last_activities: Vec::new(),
            required,
        };
        (report, terms)
    }

    /// The period values (e.g. `7`, `30`) as the schema lists them.
    pub fn period_values(&self) -> &[String] {
        match self.period.map(|i| &self.columns[i].kind) {
            Some(Kind::Enum(values)) => values,
            _ => &[],
        }
    }
}

/// Lower-cased, white space removed: the key of [`Registry`]'s name index, so that a
/// header is matched against every report in one lookup per name.
pub(crate) fn name_key(name: &str) -> String {
    name.chars()
        .filter(|c| !c.is_whitespace())
        .flat_map(char::to_lowercase)
        .collect()
}

/// The strings of a JSON array (none where `value` is not one).
fn strings(value: Option<&Value>) -> Vec<String> {
    value
        .and_then(Value::as_array)
        .map(|a| {
            a.iter()
                .filter_map(Value::as_str)
                .map(str::to_string)
                .collect()
        })
        .unwrap_or_default()
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
    kind_at(doc, prop, 0)
}

fn kind_at(doc: &Value, prop: &Value, depth: usize) -> Result<Kind, String> {
    if depth > 8 {
        return Err("`anyOf` nested too deep".into());
    }
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
    if types.contains(&"boolean") {
        return Ok(Kind::Boolean);
    }
    if types.contains(&"array") {
        return Ok(Kind::List);
    }
    let format = prop.get("format").and_then(Value::as_str);
    let is_date = |v: &Value| v.get("format").and_then(Value::as_str) == Some("date");
    let alternatives = prop.get("anyOf").and_then(Value::as_array);
    let any_date = alternatives.is_some_and(|alts| alts.iter().any(is_date));
    if types.contains(&"string") && (format == Some("date") || any_date) {
        return Ok(Kind::Date);
    }
    if types.is_empty() {
        // `anyOf: [date, null]`: a date that may be missing.
        if let Some(alts) = alternatives {
            // No value: null, or (an optional date) null or the empty string.
            let null = |v: &Value| match v.get("type") {
                Some(Value::String(t)) => t == "null",
                Some(Value::Array(ts)) => {
                    ts.iter().any(|t| t == "null")
                        && v.get("maxLength").and_then(Value::as_u64) == Some(0)
                }
                _ => false,
            };
            let kinds: Vec<Option<Kind>> = alts
                .iter()
                .map(|a| (!null(a)).then(|| kind_at(doc, a, depth + 1)).transpose())
                .collect::<Result<_, _>>()?;
            if kinds.len() == 2 && kinds.contains(&None) {
                // A column a file may lack (an optional period) may also be null.
                return Ok(match kinds.into_iter().flatten().next() {
                    Some(Kind::Date) | None => Kind::OptionalDate,
                    Some(kind) => kind,
                });
            }
        }
    }
    if types.contains(&"string") {
        // `x-kind` names what JSON Schema has no format for: Graph's durations follow .NET,
        // not RFC 3339 (see the `duration` definition in the schemas).
        let named = prop.get("x-kind").and_then(Value::as_str);
        return Ok(match (format, named) {
            (Some("uuid"), _) => Kind::Guid,
            (Some("duration"), _) | (_, Some("duration")) => Kind::Duration,
            _ => Kind::Text,
        });
    }
    Err("must be a date, an integer, a boolean, a list, a string or a string enum".into())
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
    /// Every CSV name and alias of every column (see [`detect::name_key`]): (report, column).
    csv_names: HashMap<String, Vec<(usize, usize)>>,
    /// Every JSON property of every column, the same way.
    json_names: HashMap<String, Vec<(usize, usize)>>,
    /// Per report, the bits of its required columns and of its value columns (the first
    /// 128 columns; a header is told apart by those).
    masks: Vec<(u128, u128)>,
    /// Every report name and file-name hint, lower-cased, as a ready searcher, with its
    /// report: a file name is searched for each of them.
    file_names: Vec<(memchr::memmem::Finder<'static>, usize)>,
    /// Tells registries apart for the per-thread memo of [`Registry::fits`]: a new id for
    /// every registry and every change to one.
    id: u64,
}

/// The next [`Registry`] id.
fn next_registry_id() -> u64 {
    static NEXT: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
    NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed)
}

include!(concat!(env!("OUT_DIR"), "/builtin_schemas.rs"));

impl Registry {
    /// The built-in reports, compiled from the schemas embedded at build time.
    ///
    /// Fails only if a shipped schema is broken, which the test suite rules out.
    pub fn builtin() -> Result<Registry, SchemaError> {
        // Parsed once a process: 91 schemas take a few milliseconds, and tests and library
        // users may ask many times. A clone shares the reports.
        static BUILTIN: std::sync::OnceLock<Registry> = std::sync::OnceLock::new();
        if let Some(registry) = BUILTIN.get() {
            return Ok(registry.clone());
        }
        let registry = Registry::parse_builtin()?;
        Ok(BUILTIN.get_or_init(|| registry).clone())
    }

    fn parse_builtin() -> Result<Registry, SchemaError> {
        let mut registry = Registry {
            reports: Vec::new(),
            by_name: HashMap::new(),
            csv_names: HashMap::new(),
            json_names: HashMap::new(),
            masks: Vec::new(),
            file_names: Vec::new(),
            id: next_registry_id(),
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
        let r = self.reports.len();
        self.id = next_registry_id();
        self.by_name.insert(report.name.clone(), r);
        let bits = |keep: &dyn Fn(&Column) -> bool| {
            report
                .columns
                .iter()
                .take(128)
                .enumerate()
                .filter(|(_, c)| keep(c))
                .fold(0u128, |m, (i, _)| m | 1 << i)
        };
        self.masks
            .push((bits(&|c| !c.optional), bits(&|c| c.role.is_value())));
        for hint in std::iter::once(&report.name).chain(&report.file_name_hints) {
            if !hint.is_empty() {
                let needle = hint.to_ascii_lowercase();
                self.file_names.push((
                    memchr::memmem::Finder::new(needle.as_bytes()).into_owned(),
                    r,
                ));
            }
        }
        for (c, column) in report.columns.iter().enumerate() {
            let mut csv: Vec<String> = std::iter::once(&column.csv)
                .chain(&column.aliases)
                .map(|n| name_key(n))
                .collect();
            csv.sort();
            csv.dedup();
            for key in csv {
                self.csv_names.entry(key).or_default().push((r, c));
            }
            self.json_names
                .entry(name_key(&column.property))
                .or_default()
                .push((r, c));
        }
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
        let name = name.trim();
        let exact = self
            .reports
            .iter()
            .find(|r| r.name.eq_ignore_ascii_case(name) || r.function.eq_ignore_ascii_case(name))
            .or_else(|| {
                self.reports
                    .iter()
                    .find(|r| r.odata_type.eq_ignore_ascii_case(name))
            });
        if exact.is_some() {
            return exact;
        }
        // A short name a schema declares (`GroupCounts`) wins over a name that merely ends
        // with it (`yammerGroupsActivityGroupCounts`); otherwise the ending must be unique.
        fn unique<'r>(mut found: impl Iterator<Item = &'r Arc<Report>>) -> Option<&'r Arc<Report>> {
            let first = found.next();
            found.next().is_none().then_some(first).flatten()
        }
        let lower = name.to_ascii_lowercase();
        let hinted = self.reports.iter().filter(|r| {
            r.file_name_hints
                .iter()
                .any(|h| h.eq_ignore_ascii_case(name))
        });
        unique(hinted).or_else(|| {
            unique(
                self.reports
                    .iter()
                    .filter(|r| r.name.to_ascii_lowercase().ends_with(&lower)),
            )
        })
    }

    /// The report whose OData type appears in an `@odata.context` URL (the first, where
    /// several share the type).
    pub fn by_context(&self, context: &str) -> Option<&Arc<Report>> {
        self.by_context_all(context)
            .first()
            .map(|&r| &self.reports[r])
    }

    /// Every report whose OData type (or name) appears in an `@odata.context` URL, by index.
    fn by_context_all(&self, context: &str) -> Vec<usize> {
        let inner = context
            .rsplit_once("Collection(")
            .map(|(_, rest)| rest.trim_end_matches(')'))
            .unwrap_or_else(|| context.rsplit('#').next().unwrap_or(context));
        let inner = inner.split(['/', '(']).next().unwrap_or(inner);
        let named: Vec<usize> = (0..self.reports.len())
            .filter(|&r| self.reports[r].name.eq_ignore_ascii_case(inner))
            .collect();
        if !named.is_empty() {
            return named;
        }
        (0..self.reports.len())
            .filter(|&r| self.reports[r].odata_type.eq_ignore_ascii_case(inner))
            .collect()
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
        // Every usage-report function Graph publishes (reportRoot and copilotReportRoot).
        assert_eq!(registry.reports().len(), 91);
        let mut functions = std::collections::HashSet::new();
        for report in registry.reports() {
            // Compiled on first use: this is the use that proves `validator` cannot fail.
            let _ = report.validator();
            assert!(report.refresh_date().is_some(), "{}", report.name);
            assert!(
                functions.insert(report.function.clone()),
                "{}",
                report.function
            );
            assert!(!report.workload.is_empty() && report.workload != "Other");
            if report.function.ends_with("Detail") {
                assert!(report.entity().is_some(), "{} has no entity", report.name);
            }
        }
        let group_counts = registry.find("GroupCounts").unwrap();
        assert_eq!(group_counts.period_values(), ["7", "30", "90", "180"]);
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
    fn a_column_only_beta_documents_makes_a_file_beta() {
        let registry = Registry::builtin().unwrap();
        let report = registry.find("getOffice365GroupsActivityCounts").unwrap();
        let documented: Vec<usize> = (0..report.columns.len())
            .filter(|&j| report.columns[j].versions.is_empty())
            .collect();
        assert_eq!(report.version_of(documented.iter().copied()), Some("v1.0"));
        let teams = report
            .columns
            .iter()
            .position(|c| c.versions == ["beta"])
            .expect("a beta-only column");
        assert_eq!(
            report.version_of(documented.into_iter().chain([teams])),
            Some("beta")
        );
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
