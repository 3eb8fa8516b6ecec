//! `m365report schemas [NAME]`: what reports the tool knows.

use std::fmt::Write;

use clap::Args;

use super::{print_stdout, Context, Outcome};

/// Arguments of `schemas`.
#[derive(Debug, Args)]
pub struct SchemasArgs {
    /// Print this report's JSON Schema (type name, Graph function or short name like `FileCounts`).
    pub name: Option<String>,
}

/// Lists the reports, or prints one schema.
pub fn run(args: &SchemasArgs, ctx: &Context) -> Outcome {
    match &args.name {
        Some(name) => match ctx.registry.find(name) {
            Some(report) => {
                let mut text = report.source.clone();
                if !text.ends_with('\n') {
                    text.push('\n');
                }
                print_stdout(&text);
                Outcome::Success
            }
            None => {
                eprintln!("error: no report named `{name}`; `m365report schemas` lists them");
                Outcome::Failure
            }
        },
        None => {
            let mut out = String::new();
            for report in ctx.registry.reports() {
                let columns: Vec<&str> = report.columns.iter().map(|c| c.csv.as_str()).collect();
                let ratio = report.ratio.map_or(String::new(), |r| {
                    format!(
                        "\n    active ratio: {} / {}",
                        report.columns[r.numerator].csv, report.columns[r.denominator].csv
                    )
                });
                let origin = if report.user_supplied {
                    " (--schema)"
                } else {
                    ""
                };
                let _ = writeln!(
                    out,
                    "{}{origin}\n    function: {}\n    columns:  {}{ratio}",
                    report.name,
                    report.function,
                    columns.join(", ")
                );
            }
            print_stdout(&out);
            Outcome::Success
        }
    }
}
