//! Which report a file holds: `--report`, else `@odata.context`, else the file name, else the
//! header (or the first JSON record's properties).

use std::sync::Arc;

use std::collections::HashMap;

use super::{name_key, Registry, Report};
use crate::diagnostic::{Code, Finding};

/// Where the report kind of a file came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum DetectionSource {
    /// The user named it (`--report`).
    Option,
    /// The JSON `@odata.context`.
    Context,
    /// A hint in the file name (`...FileCounts...`).
    FileName,
    /// The CSV header or the JSON property names.
    Header,
}

/// The report chosen for a file and why.
#[derive(Debug, Clone)]
pub struct Detection {
    /// The report.
    pub report: Arc<Report>,
    /// What decided it.
    pub source: DetectionSource,
    /// Other reports that fit the header just as well (GroupCounts and FileCounts share one).
    pub alternatives: Vec<String>,
}

/// How well a list of header names fits one report.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Fit {
    /// Distinct columns of the report the names hold.
    pub matched: usize,
    /// Of those, value columns (not dates or period): every usage report has the dates.
    pub values: usize,
    /// Required columns of the report the names lack.
    pub missing: usize,
    /// Names that are no column of the report.
    pub unknown: usize,
}

impl Fit {
    /// Higher is better: columns found, less what is missing and what is extra.
    pub fn score(&self) -> i64 {
        self.matched as i64 - self.missing as i64 - self.unknown as i64
    }

    /// Every name is a column and no required column is missing.
    pub fn exact(&self) -> bool {
        self.missing == 0 && self.unknown == 0
    }
}

impl Registry {
    /// How `names` fit each report that shares at least one name with them, by index into
    /// [`Registry::reports`], in that order. `json` also matches JSON property names.
    ///
    /// Runs once per file, and a folder's files mostly share a few headers: the answers are
    /// kept per thread, so a folder of 12,000 downloads computes each header's once a
    /// thread. Otherwise one lookup per name and a few bit operations per report.
    pub fn fits(&self, names: &[&str], json: bool) -> Vec<(usize, Fit)> {
        // Keyed by the registry, JSON or not, and the names joined by a separator no
        // header holds; bounded, since a hostile folder may hold many headers.
        type Memo = HashMap<(u64, bool, String), Vec<(usize, Fit)>>;
        thread_local! {
            static SEEN: std::cell::RefCell<Memo> = std::cell::RefCell::new(HashMap::new());
        }
        let key = (self.id, json, names.join("\u{1f}"));
        if let Some(fits) = SEEN.with(|seen| seen.borrow().get(&key).cloned()) {
            return fits;
        }
        let fits = self.fits_uncached(names, json);
        SEEN.with(|seen| {
            let mut seen = seen.borrow_mut();
            if seen.len() >= 512 {
                seen.clear();
            }
            seen.insert(key, fits.clone());
        });
        fits
    }

    fn fits_uncached(&self, names: &[&str], json: bool) -> Vec<(usize, Fit)> {
        let n = self.reports.len();
        // Per report: the columns named (a bit each), and how many names hit it.
        let mut seen = vec![0u128; n];
        let mut named = vec![0usize; n];
        let mut counted = vec![usize::MAX; n];
        for (k, name) in names.iter().enumerate() {
            let key = name_key(name);
            let found = [
                self.csv_names.get(&key),
                json.then(|| self.json_names.get(&key)).flatten(),
            ];
            for &(r, c) in found.into_iter().flatten().flatten() {
                if c < 128 {
                    seen[r] |= 1 << c;
                }
                if counted[r] != k {
                    counted[r] = k;
                    named[r] += 1;
                }
            }
        }
        (0..n)
            .filter(|&r| seen[r] != 0)
            .map(|r| {
                let (required, values) = self.masks[r];
                let fit = Fit {
                    matched: seen[r].count_ones() as usize,
                    values: (seen[r] & values).count_ones() as usize,
                    missing: self.reports[r].required_columns()
                        - (seen[r] & required).count_ones() as usize,
                    unknown: names.len() - named[r],
                };
                (r, fit)
            })
            .collect()
    }

    /// Picks the report for a file. `names` are the CSV header cells, or the first JSON
    /// record's property names when `json` is true. Returns `None` when nothing fits well enough
    /// to check the file against.
    pub fn detect(
        &self,
        forced: Option<&Arc<Report>>,
        context: Option<&str>,
        file_name: Option<&str>,
        names: &[&str],
        json: bool,
    ) -> Option<Detection> {
        let chosen = |report: &Arc<Report>, source| Detection {
            report: report.clone(),
            source,
            alternatives: Vec::new(),
        };
        if let Some(report) = forced {
            return Some(chosen(report, DetectionSource::Option));
        }
        let fits = self.fits(names, json);
        let best = fits.iter().map(|(_, f)| f.score()).max();
        let any_exact = fits.iter().any(|(_, f)| f.exact());
        // A report is a candidate when it fits as well as any, or exactly, and shares a
        // value column with the names: dates and period are common to every usage report.
        // `fits` is in report order: one lookup a report, not a scan (this runs per file).
        let candidate = |r: usize| {
            names.is_empty()
                || fits.binary_search_by_key(&r, |(i, _)| *i).is_ok_and(|k| {
                    let f = &fits[k].1;
                    f.values > 0
                        && 2 * f.matched >= self.reports[r].required_columns()
                        && (f.exact() || (!any_exact && Some(f.score()) == best))
                })
        };
        if let Some(context) = context {
            // Reports can share a JSON type (`siteActivitySummary`): the file name decides
            // between them, then the names, else the first.
            let typed: Vec<usize> = self.by_context_all(context);
            let named = file_name.and_then(|f| {
                self.by_file_name(f, &|r| {
                    typed.contains(&r) && (names.is_empty() || candidate(r))
                })
            });
            if let Some(r) = named {
                return Some(chosen(&self.reports[r], DetectionSource::FileName));
            }
            if let Some(&r) = typed.iter().find(|&&r| candidate(r)).or(typed.first()) {
                return Some(chosen(&self.reports[r], DetectionSource::Context));
            }
        }
        // A file name decides only between reports that fit the header as well as any does:
        // `Storage.csv` holding a GroupCounts header is a GroupCounts file.
        if let Some(name) = file_name {
            if let Some(r) = self.by_file_name(name, &candidate) {
                return Some(chosen(&self.reports[r], DetectionSource::FileName));
            }
        }
        if names.is_empty() {
            return None;
        }
        let pool: Vec<usize> = fits
            .iter()
            .map(|(r, _)| *r)
            .filter(|&r| candidate(r))
            .collect();
        // A schema may say it is the one to assume; else a report of the stable API (v1.0)
        // over a beta-only twin (`...TotalUserCounts`), else the first.
        let pick = pool
            .iter()
            .copied()
            .find(|&r| self.reports[r].default_for_header)
            .or_else(|| {
                pool.iter()
                    .copied()
                    .find(|&r| self.reports[r].versions.iter().any(|v| v == "v1.0"))
            })
            .or(pool.first().copied())?;
        Some(Detection {
            report: self.reports[pick].clone(),
            source: DetectionSource::Header,
            alternatives: pool
                .iter()
                .filter(|&&r| r != pick)
                .map(|&r| self.reports[r].name.clone())
                .collect(),
        })
    }

    /// The report a file name names, among those `fits` allows: the longest report name
    /// (the function without `get`) or file-name hint found in it, ignoring case, wins, so
    /// `SharePointSiteUsageFileCounts.csv` is not `...FileCounts` of another workload.
    fn by_file_name(&self, file_name: &str, fits: &dyn Fn(usize) -> bool) -> Option<usize> {
        let lower = file_name.to_ascii_lowercase();
        self.file_names
            .iter()
            .filter(|(h, r)| h.find(lower.as_bytes()).is_some() && fits(*r))
            .max_by_key(|(h, _)| h.needle().len())
            .map(|&(_, r)| r)
    }

    /// The E006 finding for names that fit no report: the three nearest reports and what
    /// each lacks or does not know, so that a user sees which report the file nearly is.
    pub fn unknown_report(&self, names: &[&str], json: bool) -> Finding {
        let what = if json { "the records" } else { "the header" };
        let nearest = self.nearest(names, json, 3);
        let mut expected = Vec::new();
        for (report, _) in &nearest {
            let missing: Vec<&str> = report
                .columns
                .iter()
                .filter(|c| !c.optional && !names.iter().any(|n| c.is_named(n, json)))
                .map(|c| c.csv.as_str())
                .collect();
            let unknown: Vec<&str> = names
                .iter()
                .copied()
                .filter(|n| !report.columns.iter().any(|c| c.is_named(n, json)))
                .collect();
            let list = |names: &[&str]| {
                let shown: Vec<String> = names.iter().take(4).map(|n| format!("`{n}`")).collect();
                let more = names.len().saturating_sub(4);
                if more > 0 {
                    format!("{} and {more} more", shown.join(", "))
                } else {
                    shown.join(", ")
                }
            };
            let mut parts = Vec::new();
            if !missing.is_empty() {
                parts.push(format!("lacks {}", list(&missing)));
            }
            if !unknown.is_empty() {
                parts.push(format!("has no {}", list(&unknown)));
            }
            expected.push(format!("{} ({})", report.function, parts.join("; ")));
        }
        let mut finding = Finding::new(
            Code::UnknownReport,
            1,
            1,
            format!("{what} fit no known report"),
        )
        .hint("list the known reports with `m365report schemas`; name one with `--report`, or add your own with `--schema FILE`");
        if !expected.is_empty() {
            finding = finding.expected(format!("the nearest reports: {}", expected.join("; ")));
        }
        finding
    }

    /// The reports nearest to `names`, best first, at most `n`, with how each fits: for the
    /// E006 that names what differs.
    pub fn nearest(&self, names: &[&str], json: bool, n: usize) -> Vec<(Arc<Report>, Fit)> {
        let mut fits = self.fits(names, json);
        fits.sort_by_key(|(r, f)| (std::cmp::Reverse(f.score()), *r));
        fits.into_iter()
            .take(n)
            .map(|(r, f)| (self.reports[r].clone(), f))
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const HEADER: [&str; 5] = [
        "Report Refresh Date",
        "Total",
        "Active",
        "Report Date",
        "Report Period",
    ];

    #[test]
    fn shared_header_defaults_to_group_counts_and_names_the_alternative() {
        let registry = Registry::builtin().unwrap();
        let d = registry
            .detect(None, None, Some("export.csv"), &HEADER, false)
            .unwrap();
        assert_eq!(d.report.name, "office365GroupsActivityGroupCounts");
        assert_eq!(d.source, DetectionSource::Header);
        assert!(d
            .alternatives
            .contains(&"office365GroupsActivityFileCounts".to_string()));
        assert!(d
            .alternatives
            .contains(&"yammerGroupsActivityGroupCounts".to_string()));
    }

    #[test]
    fn file_name_decides_between_reports_with_one_header() {
        let registry = Registry::builtin().unwrap();
        let d = registry
            .detect(
                None,
                None,
                Some("getOffice365GroupsActivityFileCounts_D7.csv"),
                &HEADER,
                false,
            )
            .unwrap();
        assert_eq!(d.report.name, "office365GroupsActivityFileCounts");
        assert_eq!(d.source, DetectionSource::FileName);
    }

    #[test]
    fn file_name_that_contradicts_the_header_is_ignored() {
        let registry = Registry::builtin().unwrap();
        let d = registry
            .detect(None, None, Some("Storage.csv"), &HEADER, false)
            .unwrap();
        assert_eq!(d.report.name, "office365GroupsActivityGroupCounts");
    }

    #[test]
    fn unrelated_header_fits_nothing() {
        let registry = Registry::builtin().unwrap();
        let header = ["User Principal Name", "Display Name", "Is Deleted"];
        assert!(registry.detect(None, None, None, &header, false).is_none());
    }

    #[test]
    fn misspelled_header_still_finds_its_report() {
        let registry = Registry::builtin().unwrap();
        let header = [
            "Report Refresh Date",
            "Exchange Emails Received",
            "Yammer Messages Posted",
            "Yammer Messages Red",
            "Yammer Messages Liked",
            "Report Date",
            "Report Period",
        ];
        let d = registry.detect(None, None, None, &header, false).unwrap();
        assert_eq!(d.report.name, "office365GroupsActivityCounts");
    }
}
