//! `m365report schemas [NAME]`: what reports the tool knows.

use std::fmt::Write;

use clap::{Args, ValueEnum};

use super::{print_stdout, Context, Outcome};

/// How `schemas` lists the reports.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ListFormat {
    /// Grouped by workload, one line a report, then its columns.
    Text,
    /// Every report with its columns (CSV name, JSON property, kind, role), as JSON.
    Json,
}

/// Arguments of `schemas`.
#[derive(Debug, Args)]
pub struct SchemasArgs {
    /// Print this report's JSON Schema (report name or Graph function, with or without
    /// `get`, any case, or a short name like `FileCounts`).
    pub name: Option<String>,
    /// How to list the reports.
    #[arg(long, value_enum, default_value = "text")]
    pub format: ListFormat,
}

/// Lists the reports, or prints one schema.
pub fn run(args: &SchemasArgs, ctx: &Context) -> Outcome {
    let Some(name) = &args.name else {
        print_stdout(&match args.format {
            ListFormat::Text => listing(ctx),
            ListFormat::Json => {
                let infos: Vec<_> = ctx.registry.reports().iter().map(|r| r.info()).collect();
                let mut text = serde_json::to_string_pretty(&infos).unwrap_or_default();
                text.push('\n');
                text
            }
        });
        return Outcome::Success;
    };
    let Some(report) = ctx
        .registry
        .find(name)
        .or_else(|| ctx.registry.find(&format!("get{name}")))
    else {
        eprintln!("error: no report named `{name}`; `m365report schemas` lists them");
        return Outcome::Failure;
    };
    let mut text = report.source.clone();
    if !text.ends_with('\n') {
        text.push('\n');
    }
    print_stdout(&text);
    Outcome::Success
}

/// The reports grouped by workload, each with its function, shape, columns and ratio.
fn listing(ctx: &Context) -> String {
    let mut reports: Vec<_> = ctx.registry.reports().iter().collect();
    reports.sort_by(|a, b| (&a.workload, &a.name).cmp(&(&b.workload, &b.name)));
    let mut out = String::new();
    let mut workload = None;
    for report in reports {
        if workload != Some(&report.workload) {
            let count = ctx
                .registry
                .reports()
                .iter()
                .filter(|r| r.workload == report.workload)
                .count();
            let _ = writeln!(out, "{} ({count})", report.workload);
            workload = Some(&report.workload);
        }
        let columns: Vec<&str> = report.columns.iter().map(|c| c.csv.as_str()).collect();
        let ratio = report.ratio.map_or(String::new(), |r| {
            format!(
                "\n      active ratio: {} / {}",
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
            "  {}{origin}\n      function: {} ({}, {})\n      columns:  {}{ratio}",
            report.name,
            report.function,
            report.shape().name(),
            report.versions.join(", "),
            columns.join(", ")
        );
    }
    out
}
