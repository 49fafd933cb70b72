//! Which tables hold one tenant's rows, which global rows they reference,
//! and in which order to read, load and delete them (pure: a live
//! [`Catalog`] and the tenancy rules in, a [`TenantPlan`] out).
//!
//! - the root table: the row whose primary key is the tenant id;
//! - a tenant table: every other table carrying the tenant column and not
//!   listed in `[tenancy].global_tables` (the scoped ones, and the module
//!   tables that police themselves, which hold the tenant's rows too),
//!   except the audit module's log, which is append-only and outlives the
//!   tenant on purpose;
//! - a global table: one without the tenant column; only the rows that the
//!   tenant's rows reference through foreign keys (transitively) belong to
//!   an export;
//! - unclassified: a table without the tenant column that references a
//!   tenant table; its rows may belong to the tenant, but no column says
//!   which, so `delete` (and `export`) refuse while one exists.
//!
//! Not covered yet (untested): module tables whose rows a trigger derives
//! from other rows (the rbac module's `effective_permissions`, kept from
//! role grants) are exported and imported like any tenant table, so an
//! import may meet the trigger's own copy on a duplicate key and roll back.
//! Of the modules, only audit is tested with these commands.

use pgtenant_schema::ident::{quote_ident, quote_literal, quote_qualified};
use pgtenant_schema::model::{Catalog, ConstraintKind, QualName, Table};
use pgtenant_schema::tenancy::TenancyRules;
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet};

/// The part a table plays in one tenant's data.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    /// The root table or a table carrying the tenant column.
    Tenant,
    /// Rows the tenant's rows reference; shared with other tenants.
    Global,
}

impl Kind {
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Tenant => "tenant",
            Kind::Global => "global",
        }
    }
}

/// A column as archived: its name and `format_type`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ColumnDef {
    pub name: String,
    #[serde(rename = "type")]
    pub data_type: String,
}

/// One table of the plan.
#[derive(Debug, Clone)]
pub struct TablePlan {
    pub name: QualName,
    pub kind: Kind,
    /// The column holding the tenant id (the root's primary key, or the
    /// tenant column); `None` for a global table.
    pub key_column: Option<String>,
    /// The columns a row is copied with: every column but generated ones.
    pub columns: Vec<ColumnDef>,
    /// Foreign keys of this table with `ON DELETE CASCADE` to another
    /// tenant table of the plan: a refused direct DELETE can be left to it.
    pub cascades_from_tenant: bool,
    /// The SQL condition selecting the tenant's rows (the id inlined as a
    /// quoted literal).
    pub filter: String,
}

impl TablePlan {
    /// `SELECT <columns> FROM <table> WHERE <filter>`.
    pub fn select_sql(&self) -> String {
        format!(
            "SELECT {} FROM {} WHERE {}",
            column_list(&self.columns),
            quote_qualified(&self.name.schema, &self.name.name),
            self.filter
        )
    }

    pub fn quoted(&self) -> String {
        quote_qualified(&self.name.schema, &self.name.name)
    }
}

/// A table that may hold the tenant's rows without a tenant column.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Unclassified {
    pub table: QualName,
    pub references: QualName,
    pub constraint: String,
}

/// The plan for one tenant: tables in load order (parents first).
#[derive(Debug, Clone)]
pub struct TenantPlan {
    pub root: QualName,
    pub root_key: String,
    pub root_key_type: String,
    pub tables: Vec<TablePlan>,
    pub unclassified: Vec<Unclassified>,
    /// Tables deliberately left out (the audit log), with why.
    pub kept: Vec<(QualName, &'static str)>,
}

/// Why no plan can be made.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PlanError {
    #[error(
        "the tenancy root table {0} does not exist in the database; run `pgtenant migrate`, or set \
         [tenancy].root_table to the table whose primary key is the tenant id"
    )]
    RootMissing(QualName),
    #[error(
        "the tenancy root table {0} has no single-column primary key to hold the tenant id; give it \
         one, e.g. `id uuid PRIMARY KEY`"
    )]
    RootNoKey(QualName),
}

/// `"a", "b"`.
pub fn column_list(columns: &[ColumnDef]) -> String {
    columns
        .iter()
        .map(|c| quote_ident(&c.name))
        .collect::<Vec<_>>()
        .join(", ")
}

fn primary_key(t: &Table) -> Option<&str> {
    t.constraints
        .values()
        .find(|c| c.kind == ConstraintKind::PrimaryKey)
        .and_then(|c| match c.columns.as_slice() {
            [one] => Some(one.as_str()),
            _ => None,
        })
}

/// A foreign key as the plan uses it.
struct Fk<'a> {
    child: &'a QualName,
    columns: &'a [String],
    parent: &'a QualName,
    parent_columns: &'a [String],
    cascade: bool,
    name: &'a str,
}

fn foreign_keys(catalog: &Catalog) -> Vec<Fk<'_>> {
    let mut out = Vec::new();
    for (name, t) in &catalog.tables {
        for c in t.constraints.values() {
            if c.kind != ConstraintKind::ForeignKey || c.inherited {
                continue;
            }
            let Some(target) = &c.references else {
                continue;
            };
            out.push(Fk {
                child: name,
                columns: &c.columns,
                parent: &target.table,
                parent_columns: &target.columns,
                cascade: c.definition.contains("ON DELETE CASCADE"),
                name: &c.name,
            });
        }
    }
    out
}

fn columns_of(t: &Table) -> Vec<ColumnDef> {
    t.columns
        .iter()
        .filter(|c| c.generated.is_none())
        .map(|c| ColumnDef {
            name: c.name.clone(),
            data_type: c.data_type.clone(),
        })
        .collect()
}

fn tuple(columns: &[String]) -> String {
    let list = columns
        .iter()
        .map(|c| quote_ident(c))
        .collect::<Vec<_>>()
        .join(", ");
    format!("({list})")
}

/// The plan for tenant `id` (already validated against the key type).
/// `audit_log` is the audit module's log when the database uses it.
pub fn build(
    catalog: &Catalog,
    rules: &TenancyRules,
    audit_log: Option<&QualName>,
    id: &str,
) -> Result<TenantPlan, PlanError> {
    let root = rules
        .root_table
        .clone()
        .unwrap_or_else(|| QualName::new("public", "tenants"));
    let root_table = catalog
        .tables
        .get(&root)
        .ok_or_else(|| PlanError::RootMissing(root.clone()))?;
    let root_key = primary_key(root_table)
        .ok_or_else(|| PlanError::RootNoKey(root.clone()))?
        .to_owned();
    let root_key_type = root_table
        .column(&root_key)
        .map(|c| c.data_type.clone())
        .unwrap_or_default();
    let literal = quote_literal(id);
    let mut kept = Vec::new();
    // Tenant tables: the root and every table with the tenant column.
    let mut tenant: BTreeMap<&QualName, String> = BTreeMap::new();
    tenant.insert(&root, root_key.clone());
    for (name, t) in &catalog.tables {
        if name == &root
            || t.partition_of.is_some()
            || t.column(&rules.column).is_none()
            || rules.global_tables.contains(name)
        {
            continue;
        }
        if Some(name) == audit_log {
            kept.push((
                name.clone(),
                "the audit log is append-only and outlives the tenant",
            ));
            continue;
        }
        tenant.insert(name, rules.column.clone());
    }
    let fks = foreign_keys(catalog);
    // Global tables reached from the tenant tables, breadth first; each
    // one's filter reads only tables reached before it (no cycles).
    let mut filters: BTreeMap<&QualName, String> = tenant
        .iter()
        .map(|(t, col)| (*t, format!("{} = {literal}", quote_ident(col))))
        .collect();
    let mut frontier: BTreeSet<&QualName> = tenant.keys().copied().collect();
    while !frontier.is_empty() {
        let mut next: BTreeMap<&QualName, Vec<String>> = BTreeMap::new();
        for fk in &fks {
            let parent = catalog.tables.get(fk.parent);
            let reached = filters.contains_key(fk.parent) || parent.is_none();
            if reached || !frontier.contains(fk.child) {
                continue;
            }
            if parent.is_some_and(|p| p.partition_of.is_some()) {
                continue;
            }
            let child_filter = &filters[fk.child];
            next.entry(fk.parent).or_default().push(format!(
                "{} IN (SELECT {} FROM {} WHERE {child_filter})",
                tuple(fk.parent_columns),
                fk.columns
                    .iter()
                    .map(|c| quote_ident(c))
                    .collect::<Vec<_>>()
                    .join(", "),
                quote_qualified(&fk.child.schema, &fk.child.name),
            ));
        }
        frontier = next.keys().copied().collect();
        for (g, conditions) in next {
            filters.insert(g, conditions.join(" OR "));
        }
    }
    // Unclassified: no tenant column, not reached as a parent, referencing
    // a tenant table.
    let mut unclassified = Vec::new();
    for fk in &fks {
        if tenant.contains_key(fk.parent) && !tenant.contains_key(fk.child) {
            let child = &catalog.tables[fk.child];
            if child.column(&rules.column).is_none() && Some(fk.child) != audit_log {
                unclassified.push(Unclassified {
                    table: fk.child.clone(),
                    references: fk.parent.clone(),
                    constraint: fk.name.to_owned(),
                });
            }
        }
    }
    unclassified.sort_by(|a, b| (&a.table, &a.constraint).cmp(&(&b.table, &b.constraint)));
    // Load order: parents first (Kahn's algorithm, ties by name; a cycle
    // is broken at its smallest name).
    let members: BTreeSet<&QualName> = filters.keys().copied().collect();
    let mut parents: BTreeMap<&QualName, BTreeSet<&QualName>> =
        members.iter().map(|m| (*m, BTreeSet::new())).collect();
    for fk in &fks {
        if fk.child != fk.parent && members.contains(fk.child) && members.contains(fk.parent) {
            if let Some(set) = parents.get_mut(fk.child) {
                set.insert(fk.parent);
            }
        }
    }
    let mut order: Vec<&QualName> = Vec::new();
    let mut left: BTreeSet<&QualName> = members.clone();
    while !left.is_empty() {
        let ready = left
            .iter()
            .copied()
            .find(|t| parents[t].iter().all(|p| !left.contains(p)));
        let pick = ready.unwrap_or_else(|| *left.iter().next().unwrap_or(&&root));
        left.remove(pick);
        order.push(pick);
    }
    let tables = order
        .into_iter()
        .map(|name| {
            let t = &catalog.tables[name];
            let columns = columns_of(t);
            let key_column = tenant.get(name).cloned();
            let cascades_from_tenant = fks.iter().any(|fk| {
                fk.child == name
                    && fk.cascade
                    && fk.parent != name
                    && tenant.contains_key(fk.parent)
            });
            TablePlan {
                name: name.clone(),
                kind: if key_column.is_some() {
                    Kind::Tenant
                } else {
                    Kind::Global
                },
                key_column,
                columns,
                cascades_from_tenant,
                filter: filters[name].clone(),
            }
        })
        .collect();
    Ok(TenantPlan {
        root,
        root_key,
        root_key_type,
        tables,
        unclassified,
        kept,
    })
}
