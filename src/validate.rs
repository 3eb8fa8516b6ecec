//! Checking one input: sniff it, read it as CSV or JSON, apply every rule, collect findings,
//! and hand the good records to a [`RecordSink`]. The per-file state the readers drive lives
//! in [`crate::check`]; this module only picks the reader.

use std::io::Read;

use rayon::prelude::*;

use crate::diagnostic::{Code, Finding};
use crate::discover::{io_message, Input, Source};
use crate::read::{self, InputFormat, Sniffed};
use crate::record::RecordSink;
use crate::schema::Registry;

use crate::check::Checker;
pub use crate::check::{CheckOptions, FileReport, Location, Pending};

/// Checks one input and feeds its good records to `sink`. Never panics on any input; an
/// unreadable input gives a report with `io_error` set and an `E007` finding.
pub fn check_source(
    source: &Source,
    registry: &Registry,
    options: &CheckOptions,
    sink: &mut dyn RecordSink,
) -> FileReport {
    options.dequeue();
    let reader: Box<dyn Read> = match &source.input {
        Input::Stdin => Box::new(std::io::stdin().lock()),
        Input::Path(path) => match std::fs::File::open(path) {
            Ok(file) => Box::new(file),
            Err(e) => {
                let mut report = FileReport::new(source);
                report.io_error = true;
                report.errors = 1;
                report.findings.push(
                    Finding::new(
                        Code::Io,
                        0,
                        0,
                        format!("cannot open the file: {}", io_message(&e)),
                    )
                    .hint("check the path and the file's permissions"),
                );
                sink.finish(false);
                return report;
            }
        },
    };
    check_reader(reader, source, registry, options, sink)
}

/// Checks bytes from any reader, named and grouped as `source` says.
pub fn check_reader(
    reader: impl Read,
    source: &Source,
    registry: &Registry,
    options: &CheckOptions,
    sink: &mut dyn RecordSink,
) -> FileReport {
    let mut checker = Checker::new(registry, options, source, sink);
    match read::sniff(reader, options.input_format) {
        Err(e) => checker.io_failure(&e),
        Ok(Sniffed::Rejected(finding)) => checker.push_finding(finding),
        Ok(Sniffed::Csv(reader)) => {
            checker.report.input_format = Some(InputFormat::Csv);
            read::csv::check(reader, &mut checker);
        }
        Ok(Sniffed::Json(reader, format)) => {
            checker.report.input_format = Some(format);
            read::json::check(reader, &mut checker);
        }
    }
    checker.finish()
}

/// Checks `sources` in parallel, each with its own sink made by `sink`; the reports and
/// sinks in input order.
pub fn check_all<S: RecordSink + Send>(
    sources: &[Source],
    registry: &Registry,
    options: &CheckOptions,
    sink: impl Fn(&Source) -> S + Sync,
) -> Vec<(FileReport, S)> {
    let options = &options.spread_over(sources);
    sources
        .par_iter()
        .map(|source| {
            let mut s = sink(source);
            let report = check_source(source, registry, options, &mut s);
            (report, s)
        })
        .collect()
}
