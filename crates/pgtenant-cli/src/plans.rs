//! Plans as the CLI shows and runs them: the SQL script of a plan, and the
//! gate that refuses data loss nobody approved (`generate`, `push`).

use crate::error::usage;
use anyhow::Result;
use pgtenant::migrate::file::{self, WrittenStatement};
use pgtenant_schema::{HazardKind, Plan};

/// Whether data-deleting steps are accepted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DataLoss {
    Refuse,
    Allow,
}

impl DataLoss {
    pub fn from_flag(allow: bool) -> DataLoss {
        if allow {
            DataLoss::Allow
        } else {
            DataLoss::Refuse
        }
    }
}

/// Refuse a plan with `DELETES_DATA` unless allowed; the error names every
/// object that loses data and the flag.
pub fn check_data_loss(plan: &Plan, allow: DataLoss, what: &str, action: &str) -> Result<()> {
    if allow == DataLoss::Allow {
        return Ok(());
    }
    let lost: Vec<&str> = plan
        .hazards()
        .filter(|h| h.kind == HazardKind::DeletesData)
        .map(|h| h.message.as_str())
        .collect();
    if lost.is_empty() {
        return Ok(());
    }
    Err(usage(format!(
        "{what} deletes data:\n  - {}\nreview it, then pass --allow-data-loss to {action}",
        lost.join("\n  - "),
    )))
}

/// The plan's statements as the library's migration writer takes them:
/// hazards as comments before their statement.
pub fn written(plan: &Plan) -> Vec<WrittenStatement> {
    plan.steps
        .iter()
        .map(|step| WrittenStatement {
            comments: step
                .hazards
                .iter()
                .map(|h| format!("hazard: {}: {}", h.kind, one_line(&h.message)))
                .collect(),
            sql: step.sql.clone(),
        })
        .collect()
}

/// The plan's statements as a script the migrate runner accepts: hazards as
/// comments before their statement, one statement per `;`.
pub fn plan_sql(plan: &Plan) -> String {
    file::script(&written(plan))
}

/// `s` on one line, runs of white space made one space.
pub fn one_line(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;
    use pgtenant_schema::{Hazard, Step, TxBoundary};

    fn step(sql: &str, hazards: Vec<Hazard>, tx: TxBoundary) -> Step {
        Step {
            sql: sql.into(),
            hazards,
            objects: vec![],
            tx,
        }
    }

    #[test]
    fn data_loss_is_refused_naming_objects_and_flag() {
        let plan = Plan {
            steps: vec![step(
                "DROP TABLE public.t",
                vec![Hazard::new(
                    HazardKind::DeletesData,
                    "dropping table public.t",
                )],
                TxBoundary::None,
            )],
        };
        let err =
            check_data_loss(&plan, DataLoss::Refuse, "the migration", "write it").unwrap_err();
        assert_eq!(
            err.to_string(),
            "the migration deletes data:\n  - dropping table public.t\nreview it, then pass --allow-data-loss to write it"
        );
        assert_eq!(crate::error::status_of(&err).code(), 2);
        assert!(check_data_loss(&plan, DataLoss::Allow, "the migration", "write it").is_ok());
    }
}
