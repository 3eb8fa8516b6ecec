//! Findings: what is wrong with a file, where, and what to do about it.
//!
//! Every finding has a stable code. Codes are listed once, in [`Code`], and never reused for
//! another meaning. Each code's long explanation is a Markdown file beside this one,
//! `src/diagnostic/<CODE>.md`, embedded at build time (a code without one does not build):
//! its first paragraph is the code's meaning, the rest says why it matters and shows a bad and
//! a good example. The README's table of codes ([`codes_table`]), the SARIF rules' help and
//! `m365report explain` are all made from these files.

use serde::Serialize;

/// How serious a finding is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// Information only (which report was assumed); never fails a file.
    Info,
    /// Suspicious but usable; fails the run only with `--deny-warnings`.
    Warning,
    /// The file is invalid.
    Error,
}

impl Severity {
    /// The word used in human output.
    pub fn label(self) -> &'static str {
        match self {
            Severity::Info => "note",
            Severity::Warning => "warning",
            Severity::Error => "error",
        }
    }
}

macro_rules! codes {
    ($($variant:ident = $code:literal, $sev:ident, $title:literal;)*) => {
        /// A stable diagnostic code. The letter is the severity (E error, W warning, I info).
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum Code {
            $(
                #[doc = $title]
                $variant,
            )*
        }

        impl Code {
            /// Every code, in table order.
            pub const ALL: &'static [Code] = &[$(Code::$variant),*];

            /// The code as printed, e.g. `E202`.
            pub fn as_str(self) -> &'static str {
                match self { $(Code::$variant => $code),* }
            }

            /// The severity this code always has.
            pub fn severity(self) -> Severity {
                match self { $(Code::$variant => Severity::$sev),* }
            }

            /// A short description, one line of plain text (SARIF's short description).
            pub fn title(self) -> &'static str {
                match self { $(Code::$variant => $title),* }
            }

            /// The long explanation, Markdown: the meaning (first paragraph), why it
            /// matters, and a bad and a good example (`m365report explain CODE`).
            pub fn explanation(self) -> &'static str {
                match self {
                    $(Code::$variant => include_str!(concat!("diagnostic/", $code, ".md"))),*
                }
            }

            /// The variant's name, e.g. `InvalidInteger` (SARIF's rule name).
            pub fn name(self) -> &'static str {
                match self { $(Code::$variant => stringify!($variant)),* }
            }
        }
    };
}

codes! {
    EmptyFile = "E001", Error, "the file is empty";
    InvalidUtf8 = "E002", Error, "the file is not valid UTF-8";
    Utf16 = "E003", Error, "the file is UTF-16 text";
    Binary = "E004", Error, "the file holds binary data (NUL bytes)";
    OtherFileType = "E005", Error, "the file is another kind of file (HTML page, ZIP, PDF, ...)";
    UnknownReport = "E006", Error, "the header fits no known report";
    Io = "E007", Error, "the file cannot be read";
    LimitExceeded = "E008", Error, "a line, field, nesting depth or column count exceeds its limit";
    MissingColumn = "E101", Error, "a documented column is missing";
    UnknownColumn = "E102", Error, "a column is not part of the report (often misspelled)";
    DuplicateColumn = "E103", Error, "a column appears twice";
    ColumnOrder = "W103", Warning, "columns are in another order than documented (read by name)";
    StraySpaces = "E105", Error, "a column name has stray spaces";
    WrongDelimiter = "E106", Error, "the file is not comma-delimited";
    MojibakeBom = "W101", Warning, "the header starts with the mojibake `ï»¿` (a byte-order mark decoded as Latin-1)";
    InvalidDate = "E201", Error, "a date is not a real YYYY-MM-DD date";
    InvalidInteger = "E202", Error, "a count is not a whole non-negative number within Int64";
    NotAllowed = "E203", Error, "a value is not one of the allowed values (report period)";
    EmptyRequired = "E204", Error, "a required value is empty";
    WrongType = "E205", Error, "a JSON property has the wrong type";
    MissingProperty = "E206", Error, "a JSON property is missing";
    InvalidBoolean = "E207", Error, "a boolean is not True/False (or Yes/No)";
    InvalidGuid = "E208", Error, "an id is not a GUID";
    InvalidDuration = "E209", Error, "a duration is not ISO 8601 (PT1H2M3S)";
    FieldCount = "E301", Error, "a row has too few or too many fields";
    RatioAboveOne = "E302", Error, "active is greater than total";
    DateAfterRefresh = "E303", Error, "the report date is after the refresh date";
    ActivityAfterRefresh = "E304", Error, "a last-activity date is after the refresh date";
    MixedPeriods = "E401", Error, "the file holds more than one report period";
    DuplicateDate = "E402", Error, "a report date appears twice (for one dimension value)";
    DuplicateEntity = "E403", Error, "an entity (user, site, group) appears twice";
    HeaderOnly = "W401", Warning, "the file has a header but no rows";
    MixedRefreshDates = "W402", Warning, "the file holds more than one refresh date";
    NotNewestFirst = "W403", Warning, "rows are not in newest-first order";
    DateGap = "W404", Warning, "days are missing between the report dates";
    RowCount = "W405", Warning, "the number of days differs from the report period";
    JsonSyntax = "E501", Error, "the file is not well-formed JSON";
    NoValueArray = "E502", Error, "the JSON envelope has no `value` array";
    NotAnObject = "E503", Error, "a JSON record is not an object";
    UnknownProperty = "W501", Warning, "a JSON record has a property the report does not document";
    NextLink = "W502", Warning, "the file is one page of several (`@odata.nextLink`)";
    SchemaConstraint = "E599", Error, "a record breaks a constraint of a user-supplied schema";
    ReportAssumed = "I001", Info, "the header fits several reports; one was assumed";
    ConcealedNames = "I002", Info, "the tenant conceals user, group and site names";
}

impl Code {
    /// The code spelled `code` (any case: `e202`, `E202`), if there is one.
    pub fn parse(code: &str) -> Option<Code> {
        Code::ALL
            .iter()
            .copied()
            .find(|c| c.as_str().eq_ignore_ascii_case(code.trim()))
    }

    /// The meaning in one paragraph of Markdown: the first paragraph of the explanation (the
    /// README's table, SARIF's full description).
    pub fn meaning(self) -> String {
        first_paragraph(self.explanation())
    }
}

/// A code no longer given, kept so that it is never reused and old output can still be
/// looked up.
#[derive(Debug, Clone, Copy)]
pub struct Retired {
    /// The code as it was printed.
    pub code: &'static str,
    /// The code it follows in the README's table.
    pub after: Code,
    /// Its explanation (what it meant and what is given instead).
    pub explanation: &'static str,
}

/// Every retired code.
pub const RETIRED: &[Retired] = &[Retired {
    code: "E104",
    after: Code::DuplicateColumn,
    explanation: include_str!("diagnostic/E104.md"),
}];

/// The explanation of `code`, live or retired (any case), if there is one.
pub fn explanation(code: &str) -> Option<&'static str> {
    Code::parse(code).map(Code::explanation).or_else(|| {
        RETIRED
            .iter()
            .find(|r| r.code.eq_ignore_ascii_case(code.trim()))
            .map(|r| r.explanation)
    })
}

/// The first paragraph of a Markdown text, its lines joined by spaces.
fn first_paragraph(markdown: &str) -> String {
    markdown
        .lines()
        .take_while(|l| !l.trim().is_empty())
        .map(str::trim)
        .collect::<Vec<_>>()
        .join(" ")
}

/// The README's table of codes, in Markdown: one row per code in table order, retired codes
/// after the code they follow, each with the first paragraph of its explanation.
pub fn codes_table() -> String {
    let mut out = String::from("| code | meaning |\n|---|---|\n");
    for code in Code::ALL {
        out.push_str(&format!("| {code} | {} |\n", code.meaning()));
        for r in RETIRED.iter().filter(|r| r.after == *code) {
            out.push_str(&format!(
                "| {} | {} |\n",
                r.code,
                first_paragraph(r.explanation)
            ));
        }
    }
    out
}

impl std::fmt::Display for Code {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl Serialize for Code {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

/// The source line a finding points into, for the rustc-style snippet.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Snippet {
    /// The whole line as text (invalid UTF-8 replaced), without its line end.
    pub text: String,
    /// 1-based character column where the marked span starts.
    pub start: usize,
    /// Length of the marked span in characters (at least 1).
    pub width: usize,
}

/// One thing wrong (or worth knowing) about a file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Finding {
    /// The stable code.
    pub code: Code,
    /// The severity, always `code.severity()`.
    pub severity: Severity,
    /// 1-based line; 0 when the finding is about the whole input and no line applies.
    pub line: u64,
    /// 1-based character column (a BOM is not counted).
    pub column: u64,
    /// The column or property the finding is about.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub field: Option<String>,
    /// One-line message.
    pub message: String,
    /// What was found.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub found: Option<String>,
    /// What was expected.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub expected: Option<String>,
    /// A hint on what to do.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub hint: Option<String>,
    /// The source line, where one is available.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub snippet: Option<Snippet>,
}

impl Finding {
    /// A finding with `code` at `line:column` and a message; the rest is filled by the
    /// builder methods.
    pub fn new(code: Code, line: u64, column: u64, message: impl Into<String>) -> Finding {
        Finding {
            code,
            severity: code.severity(),
            line,
            column,
            field: None,
            message: message.into(),
            found: None,
            expected: None,
            hint: None,
            snippet: None,
        }
    }

    /// Names the column or property.
    pub fn field(mut self, field: impl Into<String>) -> Finding {
        self.field = Some(field.into());
        self
    }

    /// Says what was found (shortened if long).
    pub fn found(mut self, found: impl AsRef<str>) -> Finding {
        self.found = Some(shorten(found.as_ref()));
        self
    }

    /// Says what was expected.
    pub fn expected(mut self, expected: impl Into<String>) -> Finding {
        self.expected = Some(expected.into());
        self
    }

    /// Adds a hint.
    pub fn hint(mut self, hint: impl Into<String>) -> Finding {
        self.hint = Some(hint.into());
        self
    }

    /// Attaches the source line.
    pub fn snippet(mut self, snippet: Option<Snippet>) -> Finding {
        self.snippet = snippet;
        self
    }
}

/// Keeps found values readable: a multi-megabyte cell is cut, with its length said.
fn shorten(s: &str) -> String {
    const MAX: usize = 80;
    if s.chars().count() <= MAX {
        return s.to_string();
    }
    let head: String = s.chars().take(MAX).collect();
    format!("{head}... ({} bytes)", s.len())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_unique_and_lettered_by_severity() {
        let mut seen = std::collections::HashSet::new();
        for code in Code::ALL {
            assert!(seen.insert(code.as_str()), "{code} twice");
            let letter = match code.severity() {
                Severity::Error => 'E',
                Severity::Warning => 'W',
                Severity::Info => 'I',
            };
            assert!(code.as_str().starts_with(letter), "{code}");
        }
    }

    #[test]
    fn long_found_values_are_cut() {
        let f = Finding::new(Code::InvalidInteger, 1, 1, "x").found("9".repeat(500));
        assert!(f.found.unwrap().ends_with("(500 bytes)"));
    }
}
