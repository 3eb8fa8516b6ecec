//! Which reports `inactive` joins and what it takes from each, read off the schemas' roles:
//! a report takes part when it is a detail report with a column naming a service (a licence,
//! an assign date or a last activity) or says its rows hold a licence (`licensedRows`). The
//! services are the names those columns carry; no report, column or service is named here.

use std::collections::HashMap;
use std::sync::Arc;

use crate::schema::{Registry, Report, Role, Shape};

/// At most this many services: a user's licences are one bit each.
pub const MAX_SERVICES: usize = 64;

/// What `inactive` takes from one report: column indexes by role, services by index into
/// [`Catalogue::services`].
#[derive(Debug, Clone)]
pub struct Plan {
    /// The report.
    pub report: Arc<Report>,
    /// The entity column (the user principal name).
    pub entity: usize,
    /// The id beside it (`User Id`), where the report has one.
    pub id: Option<usize>,
    /// The display name, where the report has one.
    pub name: Option<usize>,
    /// Whether the user is deleted.
    pub deleted: Option<usize>,
    /// The products assigned.
    pub products: Option<usize>,
    /// Last-activity columns and their service.
    pub activity: Vec<(usize, usize)>,
    /// Licence flags and their service.
    pub licence: Vec<(usize, usize)>,
    /// Licence assign dates and their service.
    pub assigned: Vec<(usize, usize)>,
    /// The service every row's user is licensed for (Copilot's report lists licensed users).
    pub licensed_rows: Option<usize>,
}

impl Plan {
    /// Whether the report says who holds a licence (flags, or rows of licensed users).
    pub fn gives_licences(&self) -> bool {
        !self.licence.is_empty() || self.licensed_rows.is_some()
    }

    /// The services the report gives anything about, in index order, each once.
    pub fn services(&self) -> Vec<usize> {
        let mut all: Vec<usize> = self
            .activity
            .iter()
            .chain(&self.licence)
            .chain(&self.assigned)
            .map(|&(_, s)| s)
            .chain(self.licensed_rows)
            .collect();
        all.sort_unstable();
        all.dedup();
        all
    }
}

/// The reports `inactive` joins and the services they name.
#[derive(Debug, Clone, Default)]
pub struct Catalogue {
    /// Service names, sorted.
    pub services: Vec<String>,
    /// One plan per report taking part, in registry order.
    pub plans: Vec<Plan>,
    by_report: HashMap<String, usize>,
}

impl Catalogue {
    /// The catalogue of `registry`'s reports (built-in and `--schema` ones alike).
    pub fn new(registry: &Registry) -> Catalogue {
        let taking_part = |r: &Report| {
            r.shape() == Shape::Detail
                && (r.licensed_rows.is_some()
                    || r.columns.iter().any(|c| {
                        c.service.is_some()
                            && matches!(
                                c.role,
                                Role::Licence | Role::LicenceAssignDate | Role::LastActivity
                            )
                    }))
        };
        let reports: Vec<&Arc<Report>> = registry
            .reports()
            .iter()
            .filter(|r| taking_part(r))
            .collect();
        let mut services: Vec<String> = reports
            .iter()
            .flat_map(|r| {
                r.columns
                    .iter()
                    .filter_map(|c| c.service.clone())
                    .chain(r.licensed_rows.clone())
            })
            .collect();
        services.sort();
        services.dedup();
        services.truncate(MAX_SERVICES);
        let mut catalogue = Catalogue {
            services,
            ..Catalogue::default()
        };
        for report in reports {
            if let Some(plan) = catalogue.plan(report) {
                catalogue
                    .by_report
                    .insert(report.name.clone(), catalogue.plans.len());
                catalogue.plans.push(plan);
            }
        }
        catalogue
    }

    /// The index of the service named `name` (any case).
    pub fn service(&self, name: &str) -> Option<usize> {
        self.services
            .iter()
            .position(|s| s.eq_ignore_ascii_case(name))
    }

    /// The plan of the report named `name`, if it takes part.
    pub fn plan_of(&self, name: &str) -> Option<usize> {
        self.by_report.get(name).copied()
    }

    fn plan(&self, report: &Arc<Report>) -> Option<Plan> {
        let entity = report.entity()?;
        let one = |role: Role| report.columns.iter().position(|c| c.role == role);
        let by_service = |role: Role| -> Vec<(usize, usize)> {
            report
                .columns
                .iter()
                .enumerate()
                .filter(|(_, c)| c.role == role)
                .filter_map(|(i, c)| Some((i, self.service(c.service.as_deref()?)?)))
                .collect()
        };
        Some(Plan {
            report: Arc::clone(report),
            entity,
            id: one(Role::EntityId),
            name: one(Role::DisplayName),
            deleted: one(Role::Deleted),
            products: one(Role::Products),
            activity: by_service(Role::LastActivity),
            licence: by_service(Role::Licence),
            assigned: by_service(Role::LicenceAssignDate),
            licensed_rows: report
                .licensed_rows
                .as_deref()
                .and_then(|s| self.service(s)),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builtin_catalogue_has_the_eight_services_and_the_per_user_reports() {
        let registry = Registry::builtin().unwrap();
        let c = Catalogue::new(&registry);
        assert_eq!(
            c.services,
            [
                "Copilot",
                "Exchange",
                "Microsoft 365 Apps",
                "OneDrive",
                "SharePoint",
                "Skype for Business",
                "Teams",
                "Yammer"
            ]
        );
        let mut names: Vec<&str> = c.plans.iter().map(|p| p.report.name.as_str()).collect();
        names.sort();
        assert_eq!(
            names,
            [
                "emailActivityUserDetail",
                "m365AppUserDetail",
                "microsoft365CopilotUsageUserDetail",
                "office365ActiveUserDetail",
                "oneDriveActivityUserDetail",
                "sharePointActivityUserDetail",
                "skypeForBusinessActivityUserDetail",
                // Its `Is Licensed` tells Teams licences too.
                "teamsDeviceUsageUserDetail",
                "teamsUserActivityUserDetail",
                "yammerActivityUserDetail"
            ]
        );
        let copilot = &c.plans[c.plan_of("microsoft365CopilotUsageUserDetail").unwrap()];
        assert_eq!(copilot.licensed_rows, c.service("copilot"));
        let tenant = &c.plans[c.plan_of("office365ActiveUserDetail").unwrap()];
        assert_eq!((tenant.licence.len(), tenant.assigned.len()), (6, 6));
    }
}
