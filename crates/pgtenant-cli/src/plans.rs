//! The gate that refuses data loss nobody approved (`generate`, `push`).
//! A plan's SQL is [`Plan::to_sql`], the one renderer.

use crate::error::usage;
use anyhow::Result;
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

/// `s` on one line, runs of white space made one space.
pub fn one_line(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;
    use pgtenant_schema::{Hazard, Step, TxBoundary};

    #[test]
    fn data_loss_is_refused_naming_objects_and_flag() {
        let plan = Plan {
            steps: vec![Step {
                sql: "DROP TABLE public.t".into(),
                hazards: vec![Hazard::new(
                    HazardKind::DeletesData,
                    "dropping table public.t",
                )],
                objects: vec![],
                tx: TxBoundary::None,
            }],
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
