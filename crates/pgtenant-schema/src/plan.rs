//! The output of the diff: an ordered list of DDL steps, each carrying the
//! hazards a reviewer must accept before it runs.
//!
//! This module is the one renderer of a plan as SQL ([`Plan::to_sql`], and
//! [`Plan::statements_sql`] for a migration file's sections).

use crate::directive::Directive;
use crate::model::ObjectRef;
use serde::{Deserialize, Serialize};
use std::fmt;

/// What can go wrong (or hurt) when a step runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum HazardKind {
    /// Rows or values are lost (dropped table, column, sequence, enum value).
    DeletesData,
    /// The whole table is rewritten (type change, volatile default, ...).
    RewritesTable,
    /// The step holds an `ACCESS EXCLUSIVE` lock for longer than a catalog
    /// update (a scan to validate, a rewrite).
    AccessExclusiveLock,
    /// An index is built on an existing table (blocks writes while it runs).
    IndexBuild,
    /// Who may see or change what changes: grants, policies, RLS flags.
    AuthzChange,
}

impl HazardKind {
    /// The name used in plan comments and JSON, e.g. `DELETES_DATA`.
    pub fn as_str(self) -> &'static str {
        match self {
            HazardKind::DeletesData => "DELETES_DATA",
            HazardKind::RewritesTable => "REWRITES_TABLE",
            HazardKind::AccessExclusiveLock => "ACCESS_EXCLUSIVE_LOCK",
            HazardKind::IndexBuild => "INDEX_BUILD",
            HazardKind::AuthzChange => "AUTHZ_CHANGE",
        }
    }
}

impl fmt::Display for HazardKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One hazard of one step, with a short message naming the object.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct Hazard {
    pub kind: HazardKind,
    pub message: String,
}

impl Hazard {
    pub fn new(kind: HazardKind, message: impl Into<String>) -> Hazard {
        Hazard {
            kind,
            message: message.into(),
        }
    }
}

impl Hazard {
    /// The text of the comment before its statement, `hazard: KIND:
    /// message`, the message on one line (runs of white space made one
    /// space) so the comment cannot spill into SQL.
    pub fn comment(&self) -> String {
        let mut out = format!("hazard: {}:", self.kind);
        for word in self.message.split_whitespace() {
            out.push(' ');
            out.push_str(word);
        }
        out
    }
}

impl fmt::Display for Hazard {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.kind, self.message)
    }
}

/// The note after the commit directive in [`Plan::to_sql`].
const COMMIT_NOTE: &str = "(the statement above must commit before the next ones run)";

/// Whether a step must be committed before the steps after it run.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TxBoundary {
    /// The step can share a transaction with the steps after it.
    #[default]
    None,
    /// Commit after this step: `ALTER TYPE ... ADD VALUE` may run inside a
    /// transaction, but the new value cannot be used until it commits.
    CommitAfter,
}

impl TxBoundary {
    fn is_none(&self) -> bool {
        *self == TxBoundary::None
    }
}

/// One DDL statement.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Step {
    /// One SQL statement, without the trailing semicolon.
    pub sql: String,
    pub hazards: Vec<Hazard>,
    /// The objects the statement creates, changes or drops.
    pub objects: Vec<ObjectRef>,
    #[serde(default, skip_serializing_if = "TxBoundary::is_none")]
    pub tx: TxBoundary,
}

/// The ordered statements that turn one catalog into another.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Plan {
    pub steps: Vec<Step>,
}

impl Plan {
    pub fn is_empty(&self) -> bool {
        self.steps.is_empty()
    }

    /// Every hazard of every step, in plan order.
    pub fn hazards(&self) -> impl Iterator<Item = &Hazard> {
        self.steps.iter().flat_map(|s| s.hazards.iter())
    }

    /// The plan as a SQL script: each statement ends with `;` and a line
    /// break and is preceded by one `-- hazard: KIND: message` comment per
    /// hazard ([`Hazard::comment`]); a step that must commit before the
    /// next ones is followed by the `-- pgtenant:commit` directive, so the
    /// script loads as a migration unchanged. An empty plan renders as an
    /// empty string.
    pub fn to_sql(&self) -> String {
        self.render(true)
    }

    /// [`Plan::to_sql`] without the commit directives: the statements of a
    /// migration file's section, where the file's own
    /// `-- pgtenant:no-transaction` directive stands for the boundaries.
    pub fn statements_sql(&self) -> String {
        self.render(false)
    }

    fn render(&self, commit_directives: bool) -> String {
        let mut out = String::new();
        for step in &self.steps {
            for h in &step.hazards {
                out.push_str("-- ");
                out.push_str(&h.comment());
                out.push('\n');
            }
            out.push_str(step.sql.trim_end());
            out.push_str(";\n");
            if commit_directives && step.tx == TxBoundary::CommitAfter {
                out.push_str(&Directive::Commit.comment_with(COMMIT_NOTE));
                out.push('\n');
            }
        }
        out
    }

    /// The steps split where a commit is required; each group can run in
    /// one transaction.
    pub fn transaction_groups(&self) -> Vec<&[Step]> {
        let mut groups = Vec::new();
        let mut start = 0;
        for (i, s) in self.steps.iter().enumerate() {
            if s.tx == TxBoundary::CommitAfter {
                groups.push(&self.steps[start..=i]);
                start = i + 1;
            }
        }
        if start < self.steps.len() {
            groups.push(&self.steps[start..]);
        }
        groups
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::QualName;

    #[test]
    fn hazards_render_as_comments_before_their_statement() {
        let plan = Plan {
            steps: vec![Step {
                sql: "ALTER TABLE public.users DROP COLUMN email".into(),
                hazards: vec![Hazard::new(
                    HazardKind::DeletesData,
                    "dropping column public.users.email",
                )],
                objects: vec![ObjectRef::Column {
                    table: QualName::new("public", "users"),
                    column: "email".into(),
                }],
                tx: TxBoundary::None,
            }],
        };
        assert_eq!(
            plan.to_sql(),
            "-- hazard: DELETES_DATA: dropping column public.users.email\n\
             ALTER TABLE public.users DROP COLUMN email;\n"
        );
        let json = serde_json::to_value(&plan).unwrap();
        assert_eq!(json["steps"][0]["hazards"][0]["kind"], "DELETES_DATA");
        assert!(json["steps"][0].get("tx").is_none());
    }

    #[test]
    fn commit_directives_follow_their_step_in_to_sql_only() {
        let step = |sql: &str, tx| Step {
            sql: sql.into(),
            hazards: vec![Hazard::new(HazardKind::RewritesTable, "two\n  lines")],
            objects: vec![],
            tx,
        };
        let plan = Plan {
            steps: vec![
                step("ALTER TYPE e ADD VALUE 'b'", TxBoundary::CommitAfter),
                step("SELECT 1", TxBoundary::None),
            ],
        };
        let statements = "-- hazard: REWRITES_TABLE: two lines\n\
                          ALTER TYPE e ADD VALUE 'b';\n\
                          -- hazard: REWRITES_TABLE: two lines\n\
                          SELECT 1;\n";
        assert_eq!(plan.statements_sql(), statements);
        assert_eq!(
            plan.to_sql(),
            statements.replacen(
                "'b';\n",
                &format!("'b';\n{}\n", Directive::Commit.comment_with(COMMIT_NOTE)),
                1
            )
        );
    }

    #[test]
    fn empty_plan_renders_nothing() {
        assert_eq!(Plan::default().to_sql(), "");
        assert_eq!(Plan::default().statements_sql(), "");
        assert!(Plan::default().transaction_groups().is_empty());
    }
}
