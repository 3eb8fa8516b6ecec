//! m365report: validate, convert, trend and archive Microsoft 365 usage reports exported from
//! Microsoft Graph.
//!
//! The library follows the data's path: [`discover`] finds input files, [`read`] turns bytes
//! into typed [`record::Record`]s with source positions while [`rules`] checks them against
//! the report's [`schema`], producing [`diagnostic::Finding`]s; [`write`](mod@write) and [`trend`] consume
//! the records that passed; [`overview`] puts a folder's validation and trend together and
//! [`html`] writes them as one self-contained page.

pub mod annotate;
pub mod archive;
pub mod check;
pub mod convert;
pub mod diagnostic;
pub mod discover;
pub mod html;
pub mod inactive;
pub mod merge;
pub mod overview;
pub mod read;
pub mod record;
pub mod render;
pub mod rules;
pub mod schema;
pub mod trend;
pub mod validate;
pub mod write;

pub use diagnostic::{Code, Finding, Severity};
pub use read::{CsvPath, InputFormat, Limits};
pub use record::{Cell, Record, RecordSink, TextRun};
pub use schema::{Registry, Report};
pub use validate::{check_source, CheckOptions, FileReport};
