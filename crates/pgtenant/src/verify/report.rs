//! What `verify` found: checks and their outcomes per table and session,
//! and the human-readable rendering.

use pgtenant_schema::finding::{Finding, FindingCode, Severity};
use pgtenant_schema::model::QualName;
use pgtenant_schema::tenancy::ScopeKind;
use serde::{Deserialize, Serialize};
use std::fmt::Write as _;

/// The outcome of one check.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "status", rename_all = "snake_case")]
pub enum Outcome {
    Proven,
    Failed {
        detail: String,
    },
    /// Not applicable: the service role cannot do this at all (e.g. it has
    /// no UPDATE on the table by any route), so there is nothing to prove.
    Skipped {
        reason: String,
    },
    /// Could not be probed although the service role can do it: isolation
    /// is not proven (see [`Report::unproven`]).
    Unproven {
        reason: String,
    },
}

/// One behavioural check, by stable code (e.g. `select-hides-other-tenant`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Check {
    pub code: String,
    #[serde(flatten)]
    pub outcome: Outcome,
}

impl Check {
    pub(super) fn proven(code: &str) -> Check {
        Check {
            code: code.to_owned(),
            outcome: Outcome::Proven,
        }
    }
    pub(super) fn failed(code: &str, detail: impl Into<String>) -> Check {
        Check {
            code: code.to_owned(),
            outcome: Outcome::Failed {
                detail: detail.into(),
            },
        }
    }
    pub(super) fn skipped(code: &str, reason: impl Into<String>) -> Check {
        Check {
            code: code.to_owned(),
            outcome: Outcome::Skipped {
                reason: reason.into(),
            },
        }
    }
    pub(super) fn unproven(code: &str, reason: impl Into<String>) -> Check {
        Check {
            code: code.to_owned(),
            outcome: Outcome::Unproven {
                reason: reason.into(),
            },
        }
    }
    pub fn is_failed(&self) -> bool {
        matches!(self.outcome, Outcome::Failed { .. })
    }
}

/// How the probe rows of a table were made.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Probe {
    /// The root table: the probe tenants themselves.
    ProbeTenants,
    /// Copied from an existing row, with the tenant (and parents) replaced.
    Copied,
    /// Synthesised from column defaults and types.
    Synthesised,
    /// No probe rows: the reason.
    NotProbed { reason: String },
}

/// What was proven about one tenant-scoped table.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TableReport {
    pub table: QualName,
    pub kind: ScopeKind,
    pub probe: Probe,
    pub checks: Vec<Check>,
}

/// One failed check, as [`Report::failures`] lists it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Failure {
    /// The table, or [`Failure::SESSION`] for a check of the service role
    /// and its connections.
    pub table: String,
    /// The check's code (see [`codes`](super::codes)).
    pub check: String,
    pub detail: String,
}

impl Failure {
    /// The `table` of a session check.
    pub const SESSION: &'static str = "session";
}

/// The result of verifying one database.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Report {
    pub database: String,
    pub service_role: String,
    /// Lint findings (static part).
    pub findings: Vec<Finding>,
    /// Checks about the service role and its connections.
    pub session: Vec<Check>,
    /// Per tenant-scoped table.
    pub tables: Vec<TableReport>,
}

impl Report {
    /// Passed: no error findings and no failed check.
    pub fn passed(&self) -> bool {
        !self.findings.iter().any(|f| f.severity == Severity::Error)
            && !self.session.iter().any(Check::is_failed)
            && !self
                .tables
                .iter()
                .flat_map(|t| &t.checks)
                .any(Check::is_failed)
    }

    /// Proven: passed, and no table is unproven.
    pub fn proven(&self) -> bool {
        self.passed() && self.unproven().is_empty()
    }

    /// The `table-unproven` findings: each names a table isolation could
    /// not be proven for, and why.
    pub fn unproven(&self) -> Vec<&Finding> {
        self.findings
            .iter()
            .filter(|f| f.code == FindingCode::TableUnproven)
            .collect()
    }

    /// Every failed check, session checks first.
    pub fn failures(&self) -> Vec<Failure> {
        let session = self
            .session
            .iter()
            .map(|c| (Failure::SESSION.to_owned(), c));
        let tables = self
            .tables
            .iter()
            .flat_map(|t| t.checks.iter().map(|c| (t.table.to_string(), c)));
        session
            .chain(tables)
            .filter_map(|(table, c)| match &c.outcome {
                Outcome::Failed { detail } => Some(Failure {
                    table,
                    check: c.code.clone(),
                    detail: detail.clone(),
                }),
                _ => None,
            })
            .collect()
    }

    /// The human-readable report, every check listed.
    pub fn render(&self) -> String {
        self.render_with(Detail::Every)
    }

    /// The human-readable report: findings always; checks all or only
    /// those not proven.
    pub fn render_with(&self, detail: Detail) -> String {
        let mut s = String::new();
        let _ = writeln!(
            s,
            "database {} (service role {})",
            self.database, self.service_role
        );
        for f in &self.findings {
            let _ = writeln!(s, "  {}", f.to_string().replace('\n', "\n  "));
        }
        let all_proven = |checks: &[Check]| checks.iter().all(|c| c.outcome == Outcome::Proven);
        if detail == Detail::Summary && all_proven(&self.session) {
            let _ = writeln!(s, "  ok      session: {} checks proven", self.session.len());
        } else {
            for c in &self.session {
                if detail == Detail::Every || c.outcome != Outcome::Proven {
                    let _ = writeln!(s, "  {}", check_line(c));
                }
            }
        }
        for t in &self.tables {
            let probe = match &t.probe {
                Probe::ProbeTenants => "probe tenants".to_owned(),
                Probe::Copied => "copied rows".to_owned(),
                Probe::Synthesised => "synthesised rows".to_owned(),
                Probe::NotProbed { reason } => format!("could not probe: {reason}"),
            };
            if detail == Detail::Summary && all_proven(&t.checks) {
                let _ = writeln!(
                    s,
                    "  {} {} ({probe}): all {} checks proven",
                    t.kind,
                    t.table,
                    t.checks.len()
                );
                continue;
            }
            let _ = writeln!(s, "  {} {} ({probe})", t.kind, t.table);
            for c in &t.checks {
                if detail == Detail::Every || c.outcome != Outcome::Proven {
                    let _ = writeln!(s, "    {}", check_line(c));
                }
            }
        }
        let errors = self
            .findings
            .iter()
            .filter(|f| f.severity == Severity::Error)
            .count();
        let failed = self.failures().len();
        let unproven = self.unproven().len();
        let _ = writeln!(
            s,
            "{}: {errors} error finding(s), {failed} failed check(s), {unproven} unproven table(s)",
            if !self.passed() {
                "isolation NOT verified"
            } else if unproven > 0 {
                "isolation NOT proven"
            } else {
                "isolation verified"
            }
        );
        s
    }
}

/// How much of a report [`Report::render_with`] shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Detail {
    /// Findings, and only the checks that were not proven.
    Summary,
    /// Every check.
    Every,
}

fn check_line(c: &Check) -> String {
    match &c.outcome {
        Outcome::Proven => format!("ok      {}", c.code),
        Outcome::Failed { detail } => format!("FAILED  {}: {detail}", c.code),
        Outcome::Skipped { reason } => format!("skipped {}: {reason}", c.code),
        Outcome::Unproven { reason } => format!("UNPROVEN {}: {reason}", c.code),
    }
}

/// Check codes.
pub mod codes {
    pub const SERVICE_ROLE_ATTRIBUTES: &str = "service-role-cannot-bypass-rls";
    pub const LOGIN_WITHOUT_TENANT: &str = "login-carries-no-tenant";
    pub const NO_TENANT_AFTER_COMMIT: &str = "no-tenant-after-commit";
    pub const READS_EMPTY_UNSET: &str = "reads-empty-without-tenant";
    pub const READS_EMPTY_EMPTY: &str = "reads-empty-with-empty-tenant";
    pub const SELECT_OWN: &str = "select-shows-own-row";
    pub const SELECT_HIDES: &str = "select-hides-other-tenant";
    pub const UPDATE_SKIPS: &str = "update-skips-other-tenant";
    pub const DELETE_SKIPS: &str = "delete-skips-other-tenant";
    pub const INSERT_REJECTED: &str = "insert-other-tenant-rejected";
    pub const MOVE_REJECTED: &str = "update-to-other-tenant-rejected";
}
