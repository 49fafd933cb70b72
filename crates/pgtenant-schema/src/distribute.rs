//! Citus readiness: which Citus calls would distribute a tenancy database,
//! and what in its schema stops them (pure: a [`Catalog`] and the
//! [`TenancyRules`] in, a [`DistributionPlan`] out).
//!
//! Every table (partitions follow their parent and are not listed) gets one
//! placement:
//!
//! - the tenancy root: `create_distributed_table(root, key)`, distributed by
//!   its single-column primary key;
//! - a tenant table (it carries the tenant column and is not listed in
//!   `global_tables`): `create_distributed_table(t, column, colocate_with =>
//!   root)`;
//! - a global table (listed in `global_tables`, or without the tenant column):
//!   `create_reference_table(t)`, a copy on every node;
//! - *unclassified*: a table without the tenant column, not listed as
//!   global, with a foreign key into a distributed table. It cannot be a
//!   reference table (Citus refuses foreign keys from reference tables to
//!   distributed ones) nor be colocated (it has no column to distribute by),
//!   so it gets no call and a blocking finding.
//!
//! Calls come in the order Citus needs (a foreign key may only point at a
//! table that is already a Citus table): the setting the tenant context
//! needs, reference tables, the root, then the tenant tables; inside each
//! group referenced tables first (ties by name).
//!
//! The rules checked, each from Citus's own checks at
//! `create_distributed_table` / `create_reference_table` time (its
//! `ErrorIfUnsupportedConstraint`, `ErrorIfUnsupportedForeignConstraintExists`,
//! `ErrorIfUnsupportedPolicy`, colocation and sequence checks). None of this
//! has been run on a Citus cluster; see docs/ARCHITECTURE.md.
//!
//! Blocking ([`Severity::Blocking`], the call would fail):
//! - `unique-without-tenant-column`: a primary key, unique constraint,
//!   unique index or exclusion constraint of a distributed table without its
//!   distribution column (for an exclusion constraint: without `col WITH =`);
//! - `fk-without-tenant-column`: a foreign key between distributed tables
//!   whose columns do not hold the distribution column of both sides at the
//!   same position;
//! - `fk-action-on-tenant-column`: a foreign key whose referencing columns
//!   include the distribution column with `ON DELETE SET NULL | SET DEFAULT`
//!   or `ON UPDATE CASCADE | SET NULL | SET DEFAULT` (Citus looks at the
//!   action only, so PostgreSQL 15's `SET NULL (col)` column list counts too);
//! - `reference-fk-to-distributed`: a foreign key from a global (reference)
//!   table to a distributed table;
//! - `unclassified-table`: see above;
//! - `tenant-column-nullable`: the tenant column of a tenant table accepts
//!   NULL (Citus refuses a row with NULL in the distribution column);
//! - `distribution-type-mismatch`: a tenant column whose type (without
//!   modifiers) differs from the root key's: colocation needs equal types;
//! - `sequence-not-bigint`: an identity column, or a column whose default is
//!   `nextval(…)`, that is not `bigint`, or whose sequence is not `bigint`
//!   (Citus gives each node its own range of a bigint sequence, and refuses
//!   `nextval` on the workers for smaller columns);
//! - `policy-subquery`: a row level security policy whose expression holds a
//!   sub-select (`SELECT` outside quoted text): Citus refuses any sub-query
//!   in a policy of a distributed or reference table;
//! - `policy-function-not-pushable`: a policy calls a function of the schema
//!   that is not `LANGUAGE sql`, is `VOLATILE`, reads a table or view of the
//!   schema, or calls (by name) a function of the schema that is any of
//!   these. pgtenant's own rule, deliberately conservative: the policy runs on
//!   every shard on the workers, where a volatile function runs once per row
//!   and a function that reads a distributed table is a distributed query
//!   inside a shard query, which Citus refuses;
//! - `partitioned-reference-table`: a global table that is partitioned
//!   (Citus distributes partitioned tables by hash only);
//! - `foreign-key-cycle`: tables of one group whose foreign keys form a
//!   cycle, or a foreign key from the root to a tenant table (no order
//!   creates them one by one);
//! - `root-table-missing`, `root-table-no-primary-key`: nothing to colocate
//!   the tenant tables with.
//!
//! Warning: `writable-reference-table`: a global table the service role may
//! write becomes a reference table, where every write is a two-phase commit
//! on every node.

use crate::ident::{quote_ident, quote_literal};
use crate::model::{Catalog, ConstraintKind, ObjectRef, QualName, Table, TableKind};
use crate::tenancy::{policy_cast_type, scoped_tables, ScopeKind, TenancyRules};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

/// The Citus setting that sends `SET LOCAL` of the tenant context to the
/// workers with the transaction.
pub const PROPAGATE_SETTING: &str = "citus.propagate_set_commands";

/// Whether a finding stops the plan.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Severity {
    /// A Citus call of the plan would fail (or the plan cannot be made).
    Blocking,
    /// The plan runs, but something will cost or surprise.
    Warning,
}

impl Severity {
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Blocking => "blocking",
            Severity::Warning => "warning",
        }
    }
}

/// The stable identifier of a kind of distribution finding.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Code {
    RootTableMissing,
    RootTableNoPrimaryKey,
    UnclassifiedTable,
    UniqueWithoutTenantColumn,
    FkWithoutTenantColumn,
    FkActionOnTenantColumn,
    ReferenceFkToDistributed,
    TenantColumnNullable,
    DistributionTypeMismatch,
    SequenceNotBigint,
    PolicySubquery,
    PolicyFunctionNotPushable,
    ForeignKeyCycle,
    PartitionedReferenceTable,
    WritableReferenceTable,
}

impl Code {
    /// The kebab-case identifier, as in JSON.
    pub fn as_str(self) -> &'static str {
        match self {
            Code::RootTableMissing => "root-table-missing",
            Code::RootTableNoPrimaryKey => "root-table-no-primary-key",
            Code::UnclassifiedTable => "unclassified-table",
            Code::UniqueWithoutTenantColumn => "unique-without-tenant-column",
            Code::FkWithoutTenantColumn => "fk-without-tenant-column",
            Code::FkActionOnTenantColumn => "fk-action-on-tenant-column",
            Code::ReferenceFkToDistributed => "reference-fk-to-distributed",
            Code::TenantColumnNullable => "tenant-column-nullable",
            Code::DistributionTypeMismatch => "distribution-type-mismatch",
            Code::SequenceNotBigint => "sequence-not-bigint",
            Code::PolicySubquery => "policy-subquery",
            Code::PolicyFunctionNotPushable => "policy-function-not-pushable",
            Code::ForeignKeyCycle => "foreign-key-cycle",
            Code::PartitionedReferenceTable => "partitioned-reference-table",
            Code::WritableReferenceTable => "writable-reference-table",
        }
    }

    /// The severity every finding of this code has.
    pub fn severity(self) -> Severity {
        match self {
            Code::WritableReferenceTable => Severity::Warning,
            _ => Severity::Blocking,
        }
    }
}

impl fmt::Display for Code {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One thing that stops (or burdens) the distribution.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Finding {
    pub code: Code,
    pub severity: Severity,
    pub object: ObjectRef,
    /// What is wrong, in one sentence.
    pub message: String,
    /// What to do about it.
    pub fix: String,
}

impl Finding {
    fn new(code: Code, object: ObjectRef, message: String, fix: String) -> Finding {
        Finding {
            code,
            severity: code.severity(),
            object,
            message,
            fix,
        }
    }

    pub fn is_blocking(&self) -> bool {
        self.severity == Severity::Blocking
    }
}

impl fmt::Display for Finding {
    /// `blocking[code] object: message` and the fix on a second, indented line.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}[{}] {}: {}\n  fix: {}",
            self.severity.as_str(),
            self.code,
            self.object,
            self.message,
            self.fix
        )
    }
}

/// What a table becomes on Citus.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Placement {
    /// `create_reference_table`: a global table, copied to every node.
    Reference,
    /// `create_distributed_table` by its key: the tenancy root.
    Root,
    /// `create_distributed_table` by the tenant column, colocated with the root.
    Colocated,
    /// No call: see [`Code::UnclassifiedTable`].
    Unclassified,
}

/// What one step of the plan does.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CallKind {
    /// A setting of the database.
    Setting,
    CreateReferenceTable,
    CreateDistributedTable,
}

/// One statement of the plan.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Call {
    pub kind: CallKind,
    pub table: Option<QualName>,
    /// The distribution column (as its name is stored, unquoted).
    pub column: Option<String>,
    pub colocate_with: Option<QualName>,
    /// The statement, ending with `;`.
    pub sql: String,
}

/// What [`plan`] returns.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DistributionPlan {
    /// Every statement, in the order to run them.
    pub calls: Vec<Call>,
    /// Each table (partitions excluded) and what it becomes.
    pub placements: BTreeMap<QualName, Placement>,
    /// Blocking findings first, then warnings; each group by object, code.
    pub findings: Vec<Finding>,
}

impl DistributionPlan {
    /// Whether no blocking finding stops the plan.
    pub fn runnable(&self) -> bool {
        !self.findings.iter().any(Finding::is_blocking)
    }

    pub fn blocking(&self) -> usize {
        self.findings.iter().filter(|f| f.is_blocking()).count()
    }

    pub fn warnings(&self) -> usize {
        self.findings.len() - self.blocking()
    }
}

/// `SELECT create_reference_table('schema.table');`: the name is quoted as an
/// identifier, then as the literal Citus casts to `regclass`.
pub fn reference_table_sql(table: &QualName) -> String {
    format!(
        "SELECT create_reference_table({});",
        quote_literal(&table.sql())
    )
}

/// `SELECT create_distributed_table('schema.table', 'column'[, colocate_with
/// => 'schema.root']);`. Citus looks the column up by its stored name (no
/// case folding, no quote removal), so it is a plain literal of the name;
/// `colocate_with` is parsed as a (quoted) table name.
pub fn distributed_table_sql(
    table: &QualName,
    column: &str,
    colocate_with: Option<&QualName>,
) -> String {
    let colocate = colocate_with
        .map(|r| format!(", colocate_with => {}", quote_literal(&r.sql())))
        .unwrap_or_default();
    format!(
        "SELECT create_distributed_table({}, {}{colocate});",
        quote_literal(&table.sql()),
        quote_literal(column)
    )
}

/// `ALTER DATABASE db SET citus.propagate_set_commands = 'local';`
pub fn propagate_setting_sql(database: &str) -> String {
    format!(
        "ALTER DATABASE {} SET {PROPAGATE_SETTING} = {};",
        quote_ident(database),
        quote_literal("local")
    )
}

/// The distribution plan of `catalog` (the database named `database`) under
/// `rules`.
pub fn plan(catalog: &Catalog, rules: &TenancyRules, database: &str) -> DistributionPlan {
    let mut findings = Vec::new();
    let (scoped, root_findings) = scoped_tables(catalog, rules);
    for f in root_findings {
        let code = if f.code == crate::finding::FindingCode::RootTableMissing {
            Code::RootTableMissing
        } else {
            Code::RootTableNoPrimaryKey
        };
        findings.push(Finding::new(
            code,
            f.object,
            format!(
                "{}; the tenant tables have nothing to be colocated with",
                f.message
            ),
            f.suggestion.unwrap_or_default(),
        ));
    }
    if rules.root_table.is_none() {
        findings.push(Finding::new(
            Code::RootTableMissing,
            ObjectRef::Schema {
                name: "public".into(),
            },
            "no tenancy root table is configured; the tenant tables have nothing to be colocated with".into(),
            "set `root_table` in [tenancy] to the table whose primary key is the tenant id".into(),
        ));
    }
    let (dist, root) = classify(catalog, rules, &scoped, &mut findings);
    table_lints(catalog, rules, &dist, root.as_ref(), &mut findings);
    let calls = calls(
        catalog,
        rules,
        database,
        &dist,
        root.as_ref(),
        &mut findings,
    );
    findings.sort_by(|a, b| {
        (a.severity, &a.object, a.code, &a.message)
            .cmp(&(b.severity, &b.object, b.code, &b.message))
    });
    findings.dedup();
    DistributionPlan {
        calls,
        placements: dist.into_iter().map(|(n, (p, _))| (n, p)).collect(),
        findings,
    }
}

/// The root: its name, key column and key type.
type Root = (QualName, String, String);

/// The placement of every table (partitions excluded), and the root;
/// unclassified tables are reported into `findings`.
fn classify(
    catalog: &Catalog,
    rules: &TenancyRules,
    scoped: &[crate::tenancy::ScopedTable],
    findings: &mut Vec<Finding>,
) -> (Placements, Option<Root>) {
    let mut dist: Placements = BTreeMap::new();
    let mut root: Option<(QualName, String, String)> = None;
    for s in scoped {
        match s.kind {
            ScopeKind::Root => {
                root = Some((s.name.clone(), s.key_column.clone(), s.key_type.clone()));
                dist.insert(
                    s.name.clone(),
                    (
                        Placement::Root,
                        Some((s.key_column.clone(), s.key_type.clone())),
                    ),
                );
            }
            ScopeKind::Tenant => {
                let partition = catalog
                    .tables
                    .get(&s.name)
                    .is_some_and(|t| t.partition_of.is_some());
                if !partition {
                    dist.insert(
                        s.name.clone(),
                        (
                            Placement::Colocated,
                            Some((s.key_column.clone(), s.key_type.clone())),
                        ),
                    );
                }
            }
        }
    }
    let is_distributed = |n: &QualName, dist: &Placements| {
        dist.get(n)
            .is_some_and(|(p, _)| matches!(p, Placement::Root | Placement::Colocated))
    };
    let mut unclassified = Vec::new();
    for (name, t) in &catalog.tables {
        if t.partition_of.is_some() || dist.contains_key(name) {
            continue;
        }
        let listed = rules.global_tables.contains(name);
        let into_distributed = t.constraints.values().find(|c| {
            !c.inherited
                && c.references
                    .as_ref()
                    .is_some_and(|r| is_distributed(&r.table, &dist))
        });
        match into_distributed {
            Some(c) if !listed && t.column(&rules.column).is_none() => {
                let target = c
                    .references
                    .as_ref()
                    .map(|r| r.table.clone())
                    .unwrap_or_default();
                unclassified.push(Finding::new(
                    Code::UnclassifiedTable,
                    ObjectRef::Table { name: name.clone() },
                    format!(
                        "table {name} has no {col} column and is not listed in global_tables, yet \
                         its foreign key {fk} references distributed table {target}: it can be \
                         neither colocated (nothing to distribute it by) nor a reference table (a \
                         reference table cannot reference a distributed one)",
                        col = rules.column,
                        fk = c.name,
                    ),
                    format!(
                        "if its rows belong to a tenant, add the {col} column (NOT NULL) and put it \
                         first in the foreign key to {target}; otherwise drop the foreign key and \
                         list it in [tenancy] global_tables",
                        col = rules.column
                    ),
                ));
                dist.insert(name.clone(), (Placement::Unclassified, None));
            }
            _ => {
                dist.insert(name.clone(), (Placement::Reference, None));
            }
        }
    }
    findings.extend(unclassified);
    (dist, root)
}

/// The lints of each placed table.
fn table_lints(
    catalog: &Catalog,
    rules: &TenancyRules,
    dist: &Placements,
    root: Option<&Root>,
    findings: &mut Vec<Finding>,
) {
    let expected = crate::privileges::expected_privileges(catalog, Some(rules), &rules.grants);
    for (name, (placement, key)) in dist {
        let Some(t) = catalog.tables.get(name) else {
            continue;
        };
        match placement {
            Placement::Unclassified => continue,
            Placement::Reference => {
                reference_fk_lints(t, rules, dist, findings);
                if t.kind == TableKind::Partitioned {
                    findings.push(Finding::new(
                        Code::PartitionedReferenceTable,
                        ObjectRef::Table { name: name.clone() },
                        format!(
                            "global table {name} is partitioned; Citus distributes partitioned \
                             tables only by hash, never as reference tables"
                        ),
                        format!(
                            "if its rows belong to tenants, give it the {} column and it is \
                             distributed with them; otherwise make it a plain table",
                            rules.column
                        ),
                    ));
                }
                if expected
                    .get(name)
                    .is_some_and(crate::privileges::Expected::writable_global)
                {
                    findings.push(Finding::new(
                        Code::WritableReferenceTable,
                        ObjectRef::Table { name: name.clone() },
                        format!(
                            "global table {name} is writable by the service role and becomes a \
                             reference table: every write to it is a two-phase commit on every node"
                        ),
                        "keep it if writes are rare; otherwise make it read-only for the service \
                         role, or give it the tenant column so it is distributed"
                            .into(),
                    ));
                }
            }
            Placement::Root | Placement::Colocated => {
                let Some((col, ty)) = key else { continue };
                if *placement == Placement::Colocated {
                    tenant_column_lints(t, col, ty, root, findings);
                } else {
                    root_fk_lints(t, dist, findings);
                }
                unique_lints(t, col, findings);
                fk_lints(t, col, dist, findings);
            }
        }
        sequence_lints(catalog, t, findings);
        policies::policy_lints(catalog, t, key.as_ref(), &rules.setting, findings);
    }
}

/// The statements, in order; foreign key cycles are reported into `findings`.
fn calls(
    catalog: &Catalog,
    rules: &TenancyRules,
    database: &str,
    dist: &Placements,
    root: Option<&Root>,
    findings: &mut Vec<Finding>,
) -> Vec<Call> {
    let mut calls = vec![Call {
        kind: CallKind::Setting,
        table: None,
        column: None,
        colocate_with: None,
        sql: propagate_setting_sql(database),
    }];
    let group = |p: Placement| -> Vec<QualName> {
        dist.iter()
            .filter(|(_, (q, _))| *q == p)
            .map(|(n, _)| n.clone())
            .collect()
    };
    let references = ordered(catalog, group(Placement::Reference), findings);
    for r in &references {
        calls.push(Call {
            kind: CallKind::CreateReferenceTable,
            table: Some(r.clone()),
            column: None,
            colocate_with: None,
            sql: reference_table_sql(r),
        });
    }
    if let Some((r, key, _)) = root {
        calls.push(Call {
            kind: CallKind::CreateDistributedTable,
            table: Some(r.clone()),
            column: Some(key.clone()),
            colocate_with: None,
            sql: distributed_table_sql(r, key, None),
        });
    }
    let tenants = ordered(catalog, group(Placement::Colocated), findings);
    for t in &tenants {
        let col = rules.column.clone();
        let with = root.map(|(r, _, _)| r);
        calls.push(Call {
            kind: CallKind::CreateDistributedTable,
            table: Some(t.clone()),
            sql: distributed_table_sql(t, &col, with),
            column: Some(col),
            colocate_with: with.cloned(),
        });
    }
    calls
}

fn constraint_ref(t: &Table, name: &str) -> ObjectRef {
    ObjectRef::Constraint {
        table: t.name.clone(),
        name: name.to_owned(),
    }
}

fn tenant_column_lints(
    t: &Table,
    col: &str,
    ty: &str,
    root: Option<&Root>,
    out: &mut Vec<Finding>,
) {
    let name = &t.name;
    if t.column(col).is_some_and(|c| !c.not_null) {
        out.push(Finding::new(
            Code::TenantColumnNullable,
            ObjectRef::Column {
                table: name.clone(),
                column: col.to_owned(),
            },
            format!(
                "tenant column {name}.{col} accepts NULL; Citus refuses a row with NULL in the \
                 distribution column"
            ),
            format!(
                "ALTER TABLE {} ALTER COLUMN {} SET NOT NULL;",
                name.sql(),
                quote_ident(col)
            ),
        ));
    }
    if let Some((root, key, root_ty)) = root {
        if policy_cast_type(ty) != policy_cast_type(root_ty) {
            out.push(Finding::new(
                Code::DistributionTypeMismatch,
                ObjectRef::Column {
                    table: name.clone(),
                    column: col.to_owned(),
                },
                format!(
                    "tenant column {name}.{col} is {ty} but the root key {root}.{key} is \
                     {root_ty}; Citus colocates only tables whose distribution columns have the \
                     same type"
                ),
                format!(
                    "ALTER TABLE {} ALTER COLUMN {} TYPE {};",
                    name.sql(),
                    quote_ident(col),
                    root_ty
                ),
            ));
        }
    }
}

fn unique_lints(t: &Table, col: &str, out: &mut Vec<Finding>) {
    let name = &t.name;
    let fix = format!(
        "include {col} in the key (e.g. PRIMARY KEY / UNIQUE ({}, …)); a value unique across \
         tenants cannot be enforced on a distributed table: keep it in a reference table keyed \
         by it",
        quote_ident(col)
    );
    for c in t.constraints.values().filter(|c| !c.inherited) {
        let (what, ok) = match c.kind {
            ConstraintKind::PrimaryKey => ("primary key", c.columns.iter().any(|x| x == col)),
            ConstraintKind::Unique => ("unique constraint", c.columns.iter().any(|x| x == col)),
            ConstraintKind::Exclusion => (
                "exclusion constraint",
                c.definition
                    .contains(&format!("{} WITH =", quote_ident(col))),
            ),
            _ => continue,
        };
        if !ok {
            out.push(Finding::new(
                Code::UniqueWithoutTenantColumn,
                constraint_ref(t, &c.name),
                format!(
                    "{what} {} of distributed table {name} does not include its distribution \
                     column {col}{}; Citus refuses it",
                    c.name,
                    if c.kind == ConstraintKind::Exclusion {
                        " with the = operator"
                    } else {
                        ""
                    }
                ),
                fix.clone(),
            ));
        }
    }
    for i in t.indexes.values().filter(|i| i.unique && !i.inherited) {
        if !i.columns.iter().any(|x| x.as_deref() == Some(col)) {
            out.push(Finding::new(
                Code::UniqueWithoutTenantColumn,
                ObjectRef::Index {
                    name: QualName::new(name.schema.clone(), i.name.clone()),
                },
                format!(
                    "unique index {} of distributed table {name} does not include its \
                     distribution column {col}; Citus refuses it",
                    i.name
                ),
                fix.clone(),
            ));
        }
    }
}

/// The referential actions Citus refuses when the referencing columns hold
/// the distribution column, as `pg_get_constraintdef` prints them.
const REFUSED_ACTIONS: [&str; 5] = [
    "ON DELETE SET NULL",
    "ON DELETE SET DEFAULT",
    "ON UPDATE CASCADE",
    "ON UPDATE SET NULL",
    "ON UPDATE SET DEFAULT",
];

/// Each table's placement and, for a distributed one, its distribution
/// column and that column's type.
type Placements = BTreeMap<QualName, (Placement, Option<(String, String)>)>;

fn fk_lints(t: &Table, col: &str, dist: &Placements, out: &mut Vec<Finding>) {
    let name = &t.name;
    for c in t.constraints.values().filter(|c| !c.inherited) {
        let Some(target) = &c.references else {
            continue;
        };
        let target_placement = dist.get(&target.table).map(|(p, _)| *p);
        if c.columns.iter().any(|x| x == col) {
            let actions: Vec<&str> = REFUSED_ACTIONS
                .into_iter()
                .filter(|a| c.definition.contains(a))
                .collect();
            if !actions.is_empty() {
                out.push(Finding::new(
                    Code::FkActionOnTenantColumn,
                    constraint_ref(t, &c.name),
                    format!(
                        "foreign key {} of distributed table {name} includes the distribution \
                         column {col} and has {}; Citus refuses these actions on a foreign key \
                         that holds the distribution column",
                        c.name,
                        actions.join(", ")
                    ),
                    format!(
                        "recreate {} with ON UPDATE NO ACTION (or RESTRICT) and ON DELETE \
                         CASCADE, RESTRICT or NO ACTION; clear the other columns in a trigger or \
                         the application if SET NULL was needed",
                        quote_ident(&c.name)
                    ),
                ));
            }
        }
        if !matches!(
            target_placement,
            Some(Placement::Root | Placement::Colocated)
        ) {
            continue;
        }
        let Some((target_col, _)) = dist.get(&target.table).and_then(|(_, c)| c.as_ref()) else {
            continue;
        };
        let same_position = c
            .columns
            .iter()
            .zip(&target.columns)
            .any(|(a, b)| a == col && b == target_col);
        if !same_position {
            out.push(Finding::new(
                Code::FkWithoutTenantColumn,
                constraint_ref(t, &c.name),
                format!(
                    "foreign key {} from {name} to {} does not pair the distribution columns \
                     ({name}.{col} with {}.{target_col}) at the same position; Citus supports \
                     foreign keys between distributed tables only on the distribution column",
                    c.name, target.table, target.table
                ),
                format!(
                    "recreate it as FOREIGN KEY ({}, …) REFERENCES {} ({}, …), with a unique key \
                     on those columns of {}",
                    quote_ident(col),
                    target.table.sql(),
                    quote_ident(target_col),
                    target.table.sql()
                ),
            ));
        }
    }
}

fn reference_fk_lints(t: &Table, rules: &TenancyRules, dist: &Placements, out: &mut Vec<Finding>) {
    for c in t.constraints.values().filter(|c| !c.inherited) {
        let Some(target) = &c.references else {
            continue;
        };
        if !matches!(
            dist.get(&target.table).map(|(p, _)| *p),
            Some(Placement::Root | Placement::Colocated)
        ) {
            continue;
        }
        out.push(Finding::new(
            Code::ReferenceFkToDistributed,
            constraint_ref(t, &c.name),
            format!(
                "foreign key {} from global table {} (a reference table) to distributed table \
                 {}; Citus refuses foreign keys from reference tables to distributed tables",
                c.name, t.name, target.table
            ),
            if rules.grants.closed_schemas.contains(&t.name.schema) {
                format!(
                    "{} is a module's table (schema {}), global because the module polices it \
                     itself; a Citus form of the module, with the table distributed by the \
                     tenant column, is not written yet",
                    t.name, t.name.schema
                )
            } else {
                format!(
                    "drop {}; or, if the rows of {} belong to a tenant, remove it from \
                     global_tables so it is distributed by the tenant column",
                    quote_ident(&c.name),
                    t.name
                )
            },
        ));
    }
}

/// Foreign keys from the root to tenant tables: the root is distributed
/// first, so what it references is not a Citus table yet.
fn root_fk_lints(t: &Table, dist: &Placements, out: &mut Vec<Finding>) {
    for c in t.constraints.values().filter(|c| !c.inherited) {
        let Some(target) = &c.references else {
            continue;
        };
        if dist.get(&target.table).map(|(p, _)| *p) != Some(Placement::Colocated) {
            continue;
        }
        out.push(Finding::new(
            Code::ForeignKeyCycle,
            constraint_ref(t, &c.name),
            format!(
                "the root {} has foreign key {} to tenant table {}, which can only be \
                 distributed after the root (it is colocated with it); Citus needs the \
                 referenced table distributed first",
                t.name, c.name, target.table
            ),
            format!(
                "drop {} before the calls and add it again after them",
                quote_ident(&c.name)
            ),
        ));
    }
}

/// The sequence a `nextval('…'::regclass)` default names.
fn nextval_sequence(default: &str) -> Option<QualName> {
    let rest = default.strip_prefix("nextval('")?;
    let end = rest.find("'::regclass)")?;
    let text = rest[..end].replace("''", "'");
    let (schema, name) = split_qualified(&text)?;
    Some(QualName::new(schema, name))
}

/// `schema.name` as PostgreSQL prints a qualified name (each part quoted
/// when needed) → the two stored names.
fn split_qualified(text: &str) -> Option<(String, String)> {
    let mut parts = Vec::new();
    let mut cur = String::new();
    let mut chars = text.chars().peekable();
    let mut quoted = false;
    while let Some(ch) = chars.next() {
        match ch {
            '"' if quoted && chars.peek() == Some(&'"') => {
                chars.next();
                cur.push('"');
            }
            '"' => quoted = !quoted,
            '.' if !quoted => parts.push(std::mem::take(&mut cur)),
            _ => cur.push(ch),
        }
    }
    parts.push(cur);
    match parts.as_slice() {
        [s, n] => Some((s.clone(), n.clone())),
        _ => None,
    }
}

fn sequence_lints(catalog: &Catalog, t: &Table, out: &mut Vec<Finding>) {
    for c in &t.columns {
        let obj = || ObjectRef::Column {
            table: t.name.clone(),
            column: c.name.clone(),
        };
        let alter = format!(
            "ALTER TABLE {} ALTER COLUMN {} TYPE bigint;",
            t.name.sql(),
            quote_ident(&c.name)
        );
        if c.identity.is_some() && c.data_type != "bigint" {
            out.push(Finding::new(
                Code::SequenceNotBigint,
                obj(),
                format!(
                    "identity column {}.{} is {}; Citus supports identity columns of bigint only \
                     (each node draws from its own range)",
                    t.name, c.name, c.data_type
                ),
                alter,
            ));
            continue;
        }
        let Some(seq) = c.default.as_deref().and_then(nextval_sequence) else {
            continue;
        };
        let seq_type = catalog.sequences.get(&seq).map(|s| s.data_type.as_str());
        if c.data_type != "bigint" {
            out.push(Finding::new(
                Code::SequenceNotBigint,
                obj(),
                format!(
                    "column {}.{} is {} with default nextval of sequence {seq}; Citus refuses \
                     nextval on the workers for a column smaller than bigint (use bigserial)",
                    t.name, c.name, c.data_type
                ),
                format!("{alter} ALTER SEQUENCE {} AS bigint;", seq.sql()),
            ));
        } else if seq_type.is_some_and(|s| s != "bigint") {
            out.push(Finding::new(
                Code::SequenceNotBigint,
                obj(),
                format!(
                    "column {}.{} takes its default from sequence {seq}, which is {}; Citus gives \
                     each node its own range of a bigint sequence",
                    t.name,
                    c.name,
                    seq_type.unwrap_or_default()
                ),
                format!("ALTER SEQUENCE {} AS bigint;", seq.sql()),
            ));
        }
    }
}

/// `names` with referenced tables first (Kahn's algorithm, ties by name).
/// Tables left in a cycle follow in name order, each with a
/// `foreign-key-cycle` finding.
fn ordered(catalog: &Catalog, names: Vec<QualName>, out: &mut Vec<Finding>) -> Vec<QualName> {
    let set: BTreeSet<QualName> = names.into_iter().collect();
    let mut deps: BTreeMap<QualName, BTreeSet<QualName>> = set
        .iter()
        .map(|n| {
            let d = catalog
                .tables
                .get(n)
                .map(|t| {
                    t.constraints
                        .values()
                        .filter(|c| !c.inherited)
                        .filter_map(|c| c.references.as_ref().map(|r| r.table.clone()))
                        .filter(|r| r != n && set.contains(r))
                        .collect()
                })
                .unwrap_or_default();
            (n.clone(), d)
        })
        .collect();
    let mut result = Vec::with_capacity(set.len());
    loop {
        let ready: Vec<QualName> = deps
            .iter()
            .filter(|(_, d)| d.is_empty())
            .map(|(n, _)| n.clone())
            .collect();
        if ready.is_empty() {
            break;
        }
        for n in &ready {
            deps.remove(n);
        }
        for d in deps.values_mut() {
            for n in &ready {
                d.remove(n);
            }
        }
        result.extend(ready);
    }
    for (n, d) in &deps {
        let others: Vec<String> = d.iter().map(ToString::to_string).collect();
        out.push(Finding::new(
            Code::ForeignKeyCycle,
            ObjectRef::Table { name: n.clone() },
            format!(
                "table {n} is in a cycle of foreign keys (it references {}); Citus needs each \
                 referenced table distributed before the table that references it",
                others.join(", ")
            ),
            "drop one foreign key of the cycle before the calls and add it again after them".into(),
        ));
    }
    result.extend(deps.into_keys());
    result
}

mod policies;

#[cfg(test)]
mod tests;
