//! Writing an [`Inactive`] result: a table for people (within 100 columns), CSV of the
//! inactive licences, or one JSON document with everything.

use std::fmt::Write as _;
use std::io::{self, Write};

use super::{Inactive, Summary, Unused};
use crate::record::DateText;

/// The CSV header; `folder` first when `by_folder`.
const CSV_COLUMNS: &str =
    "user_principal_name,display_name,service,licence_assigned,last_activity,days_since,products";

/// Writes the inactive licences as CSV, one row each, longest unused first.
pub fn write_csv(result: &Inactive, by_folder: bool, out: &mut dyn Write) -> io::Result<()> {
    let mut line = String::with_capacity(256);
    if by_folder {
        line.push_str("folder,");
    }
    line.push_str(CSV_COLUMNS);
    line.push('\n');
    out.write_all(line.as_bytes())?;
    for u in &result.inactive {
        line.clear();
        if by_folder {
            field(&mut line, &u.group);
            line.push(',');
        }
        field(&mut line, &u.user_principal_name);
        line.push(',');
        field(&mut line, u.display_name.as_deref().unwrap_or(""));
        line.push(',');
        field(&mut line, &u.service);
        line.push(',');
        if let Some(d) = u.licence_assigned {
            line.push_str(DateText::new(d).as_str());
        }
        line.push(',');
        if let Some(d) = u.last_activity {
            line.push_str(DateText::new(d).as_str());
        }
        line.push(',');
        if let Some(d) = u.days_since {
            line.push_str(itoa::Buffer::new().format(d));
        }
        line.push(',');
        products_field(&mut line, &u.products);
        line.push('\n');
        out.write_all(line.as_bytes())?;
    }
    out.flush()
}

/// A CSV field, quoted where it must be.
fn field(line: &mut String, text: &str) {
    if needs_quotes(text) {
        line.push('"');
        line.push_str(&text.replace('"', "\"\""));
        line.push('"');
    } else {
        line.push_str(text);
    }
}

fn needs_quotes(text: &str) -> bool {
    text.bytes()
        .any(|b| matches!(b, b',' | b'"' | b'\n' | b'\r'))
}

/// The products joined by `+`, as the reports write them, one CSV field.
fn products_field(line: &mut String, products: &[String]) {
    if products.iter().any(|p| needs_quotes(p)) {
        return field(line, &products.join("+"));
    }
    for (i, product) in products.iter().enumerate() {
        if i > 0 {
            line.push('+');
        }
        line.push_str(product);
    }
}

/// Writes the whole result as one JSON document.
pub fn write_json(result: &Inactive, out: &mut dyn Write) -> io::Result<()> {
    serde_json::to_writer_pretty(&mut *out, result)?;
    out.write_all(b"\n")?;
    out.flush()
}

/// The table: the window, the summaries per service and product, then the inactive
/// licences; one block per folder.
pub fn table(result: &Inactive) -> String {
    let mut t = String::new();
    let Some(as_of) = result.as_of else {
        t.push_str("no per-user report to join\n");
        return t;
    };
    let _ = writeln!(
        t,
        "as of {as_of}, {} days: {} users, {} inactive licences{}",
        result.days,
        result.users,
        result.inactive.len(),
        if result.deleted > 0 {
            format!(", {} deleted users left out", result.deleted)
        } else {
            String::new()
        }
    );
    let mut groups: Vec<&str> = result.services.iter().map(|s| s.group.as_str()).collect();
    groups.dedup();
    for group in groups {
        if group != "." {
            let _ = writeln!(t, "\n== {group}");
        }
        summaries(
            &mut t,
            "service",
            result.services.iter().filter(|s| s.group == group),
        );
        summaries(
            &mut t,
            "product (its users' licences)",
            result.products.iter().filter(|s| s.group == group),
        );
        unused(
            &mut t,
            result.inactive.iter().filter(|u| *u.group == *group),
        );
    }
    t
}

fn summaries<'a>(t: &mut String, what: &str, rows: impl Iterator<Item = &'a Summary>) {
    let _ = writeln!(
        t,
        "\n{:<44} {:>9} {:>9} {:>9} {:>9} {:>10}",
        what, "licensed", "active", "inactive", "new", "inactive %"
    );
    for s in rows {
        let _ = writeln!(
            t,
            "{:<44} {:>9} {:>9} {:>9} {:>9} {:>9.1}%",
            cut(&s.name, 44),
            s.licensed,
            s.active,
            s.inactive,
            s.new,
            s.share_inactive * 100.0
        );
    }
}

fn unused<'a>(t: &mut String, rows: impl Iterator<Item = &'a Unused>) {
    let _ = writeln!(
        t,
        "\n{:<29} {:<18} {:<18} {:<10} {:<10} {:>6}",
        "user", "name", "service", "assigned", "last", "days"
    );
    for u in rows {
        let date = |d: Option<chrono::NaiveDate>, none: &str| {
            d.map_or_else(|| none.to_string(), |d| d.to_string())
        };
        let _ = writeln!(
            t,
            "{:<29} {:<18} {:<18} {:<10} {:<10} {:>6}",
            cut(&u.user_principal_name, 29),
            cut(u.display_name.as_deref().unwrap_or(""), 18),
            cut(&u.service, 18),
            date(u.licence_assigned, "unknown"),
            date(u.last_activity, "never"),
            u.days_since
                .map_or_else(|| "-".to_string(), |d| d.to_string())
        );
    }
}

/// `text` within `width` characters, its end replaced by `…` when cut.
fn cut(text: &str, width: usize) -> String {
    if text.chars().count() <= width {
        return text.to_string();
    }
    let mut s: String = text.chars().take(width - 1).collect();
    s.push('…');
    s
}
