//! Convergence cases in the style of pg-schema-diff: each case is the old
//! SQL, the new SQL and the hazards the plan must carry. For every case the
//! runner loads both into scratch databases, introspects them, diffs
//! old → new, checks the hazards (and plan snippets), applies the plan to the
//! old database, introspects it again and requires the result to equal the
//! new catalog and a second diff to be empty. Unless the case opts out, the
//! reverse direction (new → old, applied to the new database) must converge
//! too.
//!
//! Adding a case is adding a `Case { .. }` to the file of its object kind.
//! `{role}` in the SQL is replaced by a role created for the case.

mod columns;
mod constraints;
mod functions;
mod indexes;
mod misc;
mod policies;
mod tables;
mod types;
mod views;

use crate::support;
use futures::StreamExt;
use pgtenant_schema::{diff, Catalog, HazardKind, Plan, RenameHint};
use pgtenant_testkit::{TestDb, TestRole};

/// Whether the case is also checked from new back to old.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reverse {
    Check,
    /// The way back cannot converge (documented in the case).
    #[allow(dead_code)]
    Skip,
}

#[derive(Debug, Clone, Copy)]
pub struct Case {
    pub name: &'static str,
    pub old: &'static str,
    pub new: &'static str,
    /// Hazard kinds of the forward plan (order and repetition ignored).
    pub hazards: &'static [HazardKind],
    /// Snippets the forward plan's SQL must contain.
    pub contains: &'static [&'static str],
    pub reverse: Reverse,
}

impl Case {
    pub const DEFAULT: Case = Case {
        name: "",
        old: "",
        new: "",
        hazards: &[],
        contains: &[],
        reverse: Reverse::Check,
    };
}

/// How many cases of one file run at once.
const CONCURRENCY: usize = 4;

/// Run every case; panic with all failures at once.
pub async fn run(cases: &[Case]) {
    let failures: Vec<String> = futures::stream::iter(cases.iter().copied())
        .map(|c| async move {
            run_case(c)
                .await
                .err()
                .map(|e| format!("case {:?}: {e}", c.name))
        })
        .buffer_unordered(CONCURRENCY)
        .filter_map(|r| async move { r })
        .collect()
        .await;
    assert!(
        failures.is_empty(),
        "{} of {} cases failed:\n\n{}",
        failures.len(),
        cases.len(),
        failures.join("\n\n--------\n\n")
    );
}

async fn run_case(case: Case) -> Result<(), String> {
    let plan = check_convergence(case.old, case.new, case.reverse).await?;
    let mut got: Vec<HazardKind> = plan.hazards().map(|h| h.kind).collect();
    got.sort();
    got.dedup();
    let mut want = case.hazards.to_vec();
    want.sort();
    want.dedup();
    if got != want {
        return Err(format!(
            "hazards: expected {want:?}, got {got:?}\nplan:\n{}",
            plan.to_sql()
        ));
    }
    let text = plan.to_sql();
    for snippet in case.contains {
        if !text.contains(snippet) {
            return Err(format!("plan does not contain {snippet:?}\nplan:\n{text}"));
        }
    }
    Ok(())
}

/// Load `old` and `new` into two scratch databases, diff them, apply the
/// plan to the old one and require convergence (and the way back unless
/// `reverse` says to skip it). Returns the forward plan.
pub async fn check_convergence(
    old_sql: &str,
    new_sql: &str,
    reverse: Reverse,
) -> Result<Plan, String> {
    let role = if old_sql.contains("{role}") || new_sql.contains("{role}") {
        Some(TestRole::new("pgt_acc", "NOLOGIN").await)
    } else {
        None
    };
    let subst = |sql: &str| match &role {
        Some(r) => sql.replace("{role}", &r.name),
        None => sql.to_owned(),
    };
    let (old_sql, new_sql) = (subst(old_sql), subst(new_sql));
    let old_db = TestDb::with_prefix("pgt_acc").await;
    let new_db = TestDb::with_prefix("pgt_acc").await;
    support::load(&old_db, &old_sql)
        .await
        .map_err(|e| format!("loading old: {e}"))?;
    support::load(&new_db, &new_sql)
        .await
        .map_err(|e| format!("loading new: {e}"))?;
    let old = support::catalog(&old_db).await?;
    let new = support::catalog(&new_db).await?;
    let hints = support::rename_hints(&new_sql)?;

    let plan = diff(&old, &new, &hints);
    converge(&old_db, &plan, &new, &hints, "forward").await?;
    if reverse == Reverse::Check {
        // The old side as desired state: no rename hints apply backwards.
        let back = diff(&new, &old, &[]);
        converge(&new_db, &back, &old, &[], "reverse").await?;
    }
    old_db.drop_now().await;
    new_db.drop_now().await;
    Ok(plan)
}

/// Apply `plan` to `db`, then require its catalog to equal `want` and a
/// second diff (with the same rename hints) to be empty.
async fn converge(
    db: &TestDb,
    plan: &Plan,
    want: &Catalog,
    hints: &[RenameHint],
    dir: &str,
) -> Result<(), String> {
    support::apply(db, plan).await.map_err(|e| {
        format!(
            "{dir}: applying the plan failed: {e}\nplan:\n{}",
            plan.to_sql()
        )
    })?;
    let got = support::catalog(db).await?;
    let again = diff(&got, want, hints);
    if got.normalized() != want.normalized() || !again.is_empty() {
        return Err(format!(
            "{dir}: the plan does not converge\nplan:\n{}\nsecond plan:\n{}\ncatalog difference (- got, + want):\n{}",
            plan.to_sql(),
            again.to_sql(),
            support::catalog_difference(&got.normalized(), &want.normalized())
        ));
    }
    Ok(())
}
