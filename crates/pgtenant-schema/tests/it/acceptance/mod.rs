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
//!
//! Rows: the old and new SQL may insert rows (they are plain scripts), and
//! `rows` / `rows_back` name queries whose single text value must be what
//! the case says once the forward / reverse plan is applied: the data a
//! retype or rebuild must keep.

mod columns;
mod constraints;
mod functions;
mod indexes;
mod misc;
mod policies;
mod rules;
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
    /// `(statement, value)`: after the forward plan, the statement (a query
    /// or DML with `RETURNING`, one text column) gives `value` in its first
    /// row (`NULL` for no row or a null), in order.
    pub rows: &'static [(&'static str, &'static str)],
    /// The same after the reverse plan.
    pub rows_back: &'static [(&'static str, &'static str)],
}

/// What must hold of the data after each direction's plan.
#[derive(Debug, Clone, Copy, Default)]
pub struct RowChecks<'a> {
    pub forward: &'a [(&'a str, &'a str)],
    pub reverse: &'a [(&'a str, &'a str)],
}

impl Case {
    pub const DEFAULT: Case = Case {
        name: "",
        old: "",
        new: "",
        hazards: &[],
        contains: &[],
        reverse: Reverse::Check,
        rows: &[],
        rows_back: &[],
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
    let rows = RowChecks {
        forward: case.rows,
        reverse: case.rows_back,
    };
    let plan = check_convergence_with_rows(case.old, case.new, case.reverse, rows).await?;
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
    check_convergence_with_rows(old_sql, new_sql, reverse, RowChecks::default()).await
}

/// [`check_convergence`], then the `rows` checks of each direction on the
/// database the plan was applied to.
pub async fn check_convergence_with_rows(
    old_sql: &str,
    new_sql: &str,
    reverse: Reverse,
    rows: RowChecks<'_>,
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
    check_rows(&old_db, rows.forward, "forward").await?;
    if reverse == Reverse::Check {
        // The old side as desired state: no rename hints apply backwards.
        let back = diff(&new, &old, &[]);
        converge(&new_db, &back, &old, &[], "reverse").await?;
        check_rows(&new_db, rows.reverse, "reverse").await?;
    }
    old_db.drop_now().await;
    new_db.drop_now().await;
    Ok(plan)
}

/// Each query's first value (as text) is the expected one.
async fn check_rows(db: &TestDb, checks: &[(&str, &str)], dir: &str) -> Result<(), String> {
    for (query, want) in checks {
        let got = support::query_text(db, query)
            .await
            .map_err(|e| format!("{dir}: {query}: {e}"))?;
        let got = got.as_deref().unwrap_or("NULL");
        if got != *want {
            return Err(format!(
                "{dir}: rows after the plan: {query} gave {got:?}, expected {want:?}"
            ));
        }
    }
    Ok(())
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
