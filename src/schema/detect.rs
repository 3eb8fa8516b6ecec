//! Which report a file holds: `--report`, else `@odata.context`, else the file name, else the
//! header (or the first JSON record's properties).

use std::sync::Arc;

use super::{Registry, Report};

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

impl Registry {
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
        if let Some(report) = context.and_then(|c| self.by_context(c)) {
            return Some(chosen(report, DetectionSource::Context));
        }
        // A file name decides only between reports that fit the header as well as any does:
        // `Storage.csv` holding a GroupCounts header is a GroupCounts file.
        let best_fit = self
            .reports()
            .iter()
            .map(|r| r.fit(names, json))
            .max()
            .unwrap_or(0);
        let enough = |r: &Report| {
            names.is_empty()
                || (2 * r.fit(names, json) >= r.columns.len()
                    && r.fit(names, json) == best_fit
                    && r.fit_values(names, json) > 0)
        };
        if let Some(name) = file_name {
            let lower = name.to_ascii_lowercase();
            // The longest hint wins, so `ActivityFileCounts` beats a shorter hint inside it.
            let best = self
                .reports()
                .iter()
                .flat_map(|r| r.file_name_hints.iter().map(move |h| (h, r)))
                .filter(|(h, r)| {
                    !h.is_empty() && lower.contains(&h.to_ascii_lowercase()) && enough(r)
                })
                .max_by_key(|(h, _)| h.len());
            if let Some((_, report)) = best {
                return Some(chosen(report, DetectionSource::FileName));
            }
        }
        if names.is_empty() {
            return None;
        }
        let exact: Vec<&Arc<Report>> = self
            .reports()
            .iter()
            .filter(|r| {
                if json {
                    r.fit(names, true) == r.columns.len()
                } else {
                    r.header_matches(names)
                }
            })
            .collect();
        let pool: Vec<&Arc<Report>> = if exact.is_empty() {
            self.reports()
                .iter()
                .filter(|r| best_fit > 0 && enough(r))
                .collect()
        } else {
            exact
        };
        let pick = pool
            .iter()
            .find(|r| r.default_for_header)
            .or(pool.first())?;
        Some(Detection {
            report: (*pick).clone(),
            source: DetectionSource::Header,
            alternatives: pool
                .iter()
                .filter(|r| r.name != pick.name)
                .map(|r| r.name.clone())
                .collect(),
        })
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
        assert_eq!(d.alternatives, ["office365GroupsActivityFileCounts"]);
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
