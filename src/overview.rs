//! A whole download folder at a glance (`m365report report`): every file validated, and
//! everything trendable trended, one series per folder, as `trend PATH --group-by dir`
//! does with each report's default metrics.
//!
//! The files are read once: the trend's [`gather`] checks each file and keeps every
//! file's report (a valid file's warnings and notes included), so the page shows exactly
//! what `validate` and `trend --group-by dir` would.

use crate::check::{CheckOptions, FileReport};
use crate::discover::{DiscoverError, Source};
use crate::schema::Registry;
use crate::trend::gather::{gather, Gathering, SeriesBy};
use crate::trend::{Trend, TrendOptions};

/// What a whole folder holds: each file's validation and the trend of the valid ones.
#[derive(Debug, Clone)]
pub struct Overview {
    /// Every file's report, in input order.
    pub files: Vec<FileReport>,
    /// Paths that could not be walked.
    pub unreadable: Vec<DiscoverError>,
    /// The trend of the valid files, one series per folder.
    pub trend: Trend,
}

impl Overview {
    /// Checks `sources` and trends the valid ones; `unreadable` are the paths discovery
    /// could not walk, kept for the page.
    pub fn gather(
        sources: &[Source],
        unreadable: Vec<DiscoverError>,
        registry: &Registry,
        check: &CheckOptions,
        options: TrendOptions,
    ) -> Overview {
        let how = Gathering {
            series_by: SeriesBy::Folder,
            stop_at_invalid: false,
            keep_valid: true,
        };
        let pass = gather(sources, registry, (check, &options), how, &|| {});
        let mut files = pass.invalid;
        files.extend(pass.valid);
        files.sort_by_key(|r| r.index);
        let trend = Trend::compute(pass.merge.into_merged(), options);
        Overview {
            files,
            unreadable,
            trend,
        }
    }

    /// Files without errors.
    pub fn valid(&self) -> usize {
        self.files.iter().filter(|f| f.is_valid()).count()
    }

    /// Whether some file or path could not be read at all.
    pub fn io_error(&self) -> bool {
        !self.unreadable.is_empty() || self.files.iter().any(|f| f.io_error)
    }

    /// One line on the files: `12 files: 11 valid, 1 invalid; 3 errors, 2 warnings`.
    pub fn files_line(&self) -> String {
        let errors: u64 = self.files.iter().map(|f| f.errors).sum();
        let warnings: u64 = self.files.iter().map(|f| f.warnings).sum();
        let mut line = format!(
            "{} file{}: {} valid, {} invalid; {errors} error{}, {warnings} warning{}",
            self.files.len(),
            plural(self.files.len() as u64),
            self.valid(),
            self.files.len() - self.valid(),
            plural(errors),
            plural(warnings),
        );
        if !self.unreadable.is_empty() {
            line.push_str(&format!(
                "; {} path{} not read",
                self.unreadable.len(),
                plural(self.unreadable.len() as u64)
            ));
        }
        line
    }
}

fn plural(n: u64) -> &'static str {
    if n == 1 {
        ""
    } else {
        "s"
    }
}
