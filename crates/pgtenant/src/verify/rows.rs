//! Probe rows: one row of each probe tenant in every tenant table, copied
//! from an existing row or synthesised, with foreign keys pointing at the
//! same tenant's probe rows (parents first).

use super::report::Probe;
use super::sql::{self, db_message, Attempt};
use super::values::{has_default, synth_value};
use super::{qerr, VerifyError};
use pgtenant_schema::model::{Catalog, Constraint, ConstraintKind, IdentityKind, QualName, Table};
use pgtenant_schema::tenancy::{ScopeKind, ScopedTable};
use sqlx::postgres::PgRow;
use sqlx::{PgConnection, Row};
use std::collections::{BTreeMap, BTreeSet};

/// One of the two probe tenants.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum ProbeTenant {
    /// The tenant the checks act as.
    A,
    /// The other tenant, whose rows A must not reach.
    B,
}

impl ProbeTenant {
    pub(super) const BOTH: [ProbeTenant; 2] = [ProbeTenant::A, ProbeTenant::B];
}

/// The ids of the probe tenants, as text of the key type.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct TenantIds {
    pub a: String,
    pub b: String,
}

impl TenantIds {
    pub(super) fn of(&self, tenant: ProbeTenant) -> &str {
        match tenant {
            ProbeTenant::A => &self.a,
            ProbeTenant::B => &self.b,
        }
    }
}

/// Column values as text, by column name.
pub(super) type Values = BTreeMap<String, Option<String>>;

/// One explicit value of a row to insert.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct ColumnValue {
    pub column: String,
    /// The column's type, the cast of the bound text.
    pub ty: String,
    pub value: Option<String>,
}

impl ColumnValue {
    fn new(column: &pgtenant_schema::model::Column, value: Option<String>) -> ColumnValue {
        ColumnValue {
            column: column.name.clone(),
            ty: column.data_type.clone(),
            value,
        }
    }
}

/// What a copied row does with the columns of unique keys.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum KeyValues {
    /// Keep the original's values.
    Copy,
    /// Synthesise fresh ones where possible.
    Fresh,
}

/// One inserted probe row: where it is, and every column as text.
#[derive(Debug, Clone)]
pub(super) struct ProbeRow {
    pub tableoid: String,
    pub ctid: String,
    pub values: Values,
}

/// The probe rows of one table.
#[derive(Debug, Clone)]
pub(super) struct Probes {
    pub a: ProbeRow,
    pub b: ProbeRow,
    /// Explicit column values of another row of B, for the INSERT check:
    /// freshly synthesised where possible (so unique keys do not collide
    /// with B's probe row and hide the policy's answer), else B's own.
    pub b_values: Vec<ColumnValue>,
}

impl Probes {
    fn row(&self, tenant: ProbeTenant) -> &ProbeRow {
        match tenant {
            ProbeTenant::A => &self.a,
            ProbeTenant::B => &self.b,
        }
    }
}

/// Probe rows made, or why not.
pub(super) enum Probed {
    Made(Probes, Probe),
    Impossible(String),
}

/// Something a probe row needs, or why it cannot be made.
enum Feasible<T> {
    Made(T),
    Impossible(String),
}

/// Parent rows available for foreign keys: probe rows of scoped tables per
/// tenant, and one existing row of other tables.
#[derive(Default)]
pub(super) struct Parents {
    /// Every scoped table: one without probes cannot serve as a parent.
    pub scoped: BTreeSet<QualName>,
    pub probes: BTreeMap<QualName, Probes>,
    existing: BTreeMap<QualName, Option<Values>>,
}

impl Parents {
    pub(super) fn new(scoped: &[ScopedTable]) -> Parents {
        Parents {
            scoped: scoped.iter().map(|s| s.name.clone()).collect(),
            ..Parents::default()
        }
    }
}

/// Foreign keys of `t` that a probe row must satisfy: every column NOT NULL.
pub(super) fn required_fks(t: &Table) -> Vec<&Constraint> {
    t.constraints
        .values()
        .filter(|c| {
            c.references.is_some()
                && c.columns
                    .iter()
                    .all(|col| t.column(col).is_some_and(|x| x.not_null))
        })
        .collect()
}

fn read_probe_row(t: &Table, row: &PgRow) -> ProbeRow {
    let mut values = BTreeMap::new();
    for (i, c) in t.columns.iter().enumerate() {
        values.insert(
            c.name.clone(),
            row.try_get::<Option<String>, _>(i + 2).ok().flatten(),
        );
    }
    ProbeRow {
        ctid: row.try_get::<String, _>(0).unwrap_or_default(),
        tableoid: row.try_get::<String, _>(1).unwrap_or_default(),
        values,
    }
}

/// Insert one row of explicit values in a savepoint; returns the row.
pub(super) async fn insert_row(
    conn: &mut PgConnection,
    t: &Table,
    values: &[ColumnValue],
) -> Result<Attempt<ProbeRow>, VerifyError> {
    let sql = sql::insert(t, values);
    sql::savepoint(conn).await?;
    let mut q = sqlx::query(&sql);
    for v in values {
        q = q.bind(v.value.clone());
    }
    let r = Attempt::from_result(
        q.fetch_one(&mut *conn)
            .await
            .map(|row| read_probe_row(t, &row)),
    );
    sql::end_savepoint_for(conn, &r).await?;
    Ok(r)
}

async fn existing_row(conn: &mut PgConnection, t: &Table) -> Result<Option<Values>, VerifyError> {
    let row = sqlx::query(&sql::select_one(t))
        .fetch_optional(&mut *conn)
        .await
        .map_err(qerr(format!("reading a row of {}", t.name)))?;
    Ok(row.map(|r| read_probe_row(t, &r).values))
}

/// A row synthesised in a table that is not tenant-scoped (a global
/// parent such as `users` with no rows yet), inside the probe transaction.
/// Its own required foreign keys must point at existing rows.
async fn synth_global_row(
    conn: &mut PgConnection,
    catalog: &Catalog,
    t: &Table,
) -> Result<Option<Values>, VerifyError> {
    let mut fixed: Values = BTreeMap::new();
    for fk in required_fks(t) {
        let Some(target) = &fk.references else {
            continue;
        };
        let parent = match catalog.tables.get(&target.table) {
            Some(pt) if pt.name != t.name => existing_row(conn, pt).await?,
            _ => None,
        };
        let Some(parent) = parent else {
            return Ok(None);
        };
        for (col, pcol) in fk.columns.iter().zip(&target.columns) {
            fixed.insert(col.clone(), parent.get(pcol).cloned().flatten());
        }
    }
    let mut values = Vec::new();
    for c in &t.columns {
        if c.generated.is_some() || c.identity.is_some() {
            continue;
        }
        if let Some(v) = fixed.get(&c.name) {
            values.push(ColumnValue::new(c, v.clone()));
        } else if c.not_null && !has_default(c) {
            match synth_value(catalog, &c.data_type) {
                Some(v) => values.push(ColumnValue::new(c, Some(v))),
                None => return Ok(None),
            }
        }
    }
    Ok(insert_row(conn, t, &values).await?.done().map(|r| r.values))
}

/// A row of a table that is not tenant-scoped to point a foreign key at:
/// an existing one, else one synthesised (looked up once per table).
async fn global_parent(
    conn: &mut PgConnection,
    catalog: &Catalog,
    parents: &mut Parents,
    table: &QualName,
) -> Result<Option<Values>, VerifyError> {
    if !parents.existing.contains_key(table) {
        let row = match catalog.tables.get(table) {
            Some(pt) => match existing_row(conn, pt).await? {
                Some(r) => Some(r),
                None => synth_global_row(conn, catalog, pt).await?,
            },
            None => None,
        };
        parents.existing.insert(table.clone(), row);
    }
    Ok(parents.existing.get(table).cloned().flatten())
}

/// The values that the tenant key and the required foreign keys fix in a
/// probe row of `t` for `tenant`, or why they cannot be fixed.
async fn fixed_values(
    conn: &mut PgConnection,
    catalog: &Catalog,
    s: &ScopedTable,
    t: &Table,
    (tenant, id): (ProbeTenant, &str),
    parents: &mut Parents,
) -> Result<Feasible<Values>, VerifyError> {
    let mut fixed: Values = BTreeMap::new();
    fixed.insert(s.key_column.clone(), Some(id.to_owned()));
    for fk in required_fks(t) {
        let Some(target) = &fk.references else {
            continue;
        };
        if target.table == t.name {
            if fk.columns.iter().all(|c| fixed.contains_key(c)) {
                continue;
            }
            return Ok(Feasible::Impossible(format!(
                "foreign key {} needs an existing row of the table itself",
                fk.name
            )));
        }
        let parent = if let Some(p) = parents.probes.get(&target.table) {
            p.row(tenant).values.clone()
        } else if parents.scoped.contains(&target.table) {
            return Ok(Feasible::Impossible(format!(
                "foreign key {} references {}, which could not be probed",
                fk.name, target.table
            )));
        } else {
            match global_parent(conn, catalog, parents, &target.table).await? {
                Some(r) => r,
                None => {
                    return Ok(Feasible::Impossible(format!(
                        "foreign key {} references {}, which has no row to point at",
                        fk.name, target.table
                    )))
                }
            }
        };
        for (col, pcol) in fk.columns.iter().zip(&target.columns) {
            if col == &s.key_column {
                continue;
            }
            fixed.insert(col.clone(), parent.get(pcol).cloned().flatten());
        }
    }
    Ok(Feasible::Made(fixed))
}

/// Columns of primary keys, unique constraints and unique indexes.
fn unique_columns(t: &Table) -> BTreeSet<&str> {
    t.constraints
        .values()
        .filter(|k| matches!(k.kind, ConstraintKind::PrimaryKey | ConstraintKind::Unique))
        .flat_map(|k| k.columns.iter().map(String::as_str))
        .chain(
            t.indexes
                .values()
                .filter(|i| i.unique)
                .flat_map(|i| i.columns.iter().flatten().map(String::as_str)),
        )
        .collect()
}

/// The explicit values of a probe row of `t` for `tenant` with id `id`.
async fn build_row(
    conn: &mut PgConnection,
    catalog: &Catalog,
    s: &ScopedTable,
    t: &Table,
    tenant: (ProbeTenant, &str),
    source: Option<(&Values, KeyValues)>,
    parents: &mut Parents,
) -> Result<Feasible<Vec<ColumnValue>>, VerifyError> {
    let fixed = match fixed_values(conn, catalog, s, t, tenant, parents).await? {
        Feasible::Made(f) => f,
        Feasible::Impossible(reason) => return Ok(Feasible::Impossible(reason)),
    };
    let unique_cols = unique_columns(t);
    let mut out = Vec::new();
    for c in &t.columns {
        if c.generated.is_some()
            || c.identity
                .as_ref()
                .is_some_and(|i| i.kind == IdentityKind::Always)
        {
            continue;
        }
        if let Some(v) = fixed.get(&c.name) {
            out.push(ColumnValue::new(c, v.clone()));
            continue;
        }
        if has_default(c) {
            continue;
        }
        match source {
            // A key column of a copied row gets a fresh value where one can
            // be made, so the copy does not collide with its original.
            Some((_, KeyValues::Fresh))
                if unique_cols.contains(c.name.as_str())
                    && synth_value(catalog, &c.data_type).is_some() =>
            {
                out.push(ColumnValue::new(c, synth_value(catalog, &c.data_type)))
            }
            Some((src, _)) => out.push(ColumnValue::new(c, src.get(&c.name).cloned().flatten())),
            None if !c.not_null => {}
            None => match synth_value(catalog, &c.data_type) {
                Some(v) => out.push(ColumnValue::new(c, Some(v))),
                None => {
                    return Ok(Feasible::Impossible(format!(
                        "cannot synthesise a value of type {} for column {}",
                        c.data_type, c.name
                    )))
                }
            },
        }
    }
    Ok(Feasible::Made(out))
}

/// Make probe rows for A and B in `t`: copy an existing row, else
/// synthesise one.
pub(super) async fn make_probes(
    conn: &mut PgConnection,
    catalog: &Catalog,
    s: &ScopedTable,
    t: &Table,
    ids: &TenantIds,
    parents: &mut Parents,
) -> Result<Probed, VerifyError> {
    let existing = existing_row(conn, t).await?;
    let mut errors = Vec::new();
    // Copy as is; copy with fresh key values (unique keys without the
    // tenant column collide with the original); synthesise.
    let mut attempts: Vec<(Probe, Option<(&Values, KeyValues)>)> = Vec::new();
    if let Some(e) = &existing {
        attempts.push((Probe::Copied, Some((e, KeyValues::Copy))));
        attempts.push((Probe::Copied, Some((e, KeyValues::Fresh))));
    }
    attempts.push((Probe::Synthesised, None));
    'attempt: for (kind, source) in attempts {
        let mut rows = Vec::new();
        let mut b_values = Vec::new();
        for tenant in ProbeTenant::BOTH {
            let id = ids.of(tenant);
            let values = match build_row(conn, catalog, s, t, (tenant, id), source, parents).await?
            {
                Feasible::Made(v) => v,
                Feasible::Impossible(reason) => {
                    errors.push(reason);
                    continue 'attempt;
                }
            };
            match insert_row(conn, t, &values).await? {
                Attempt::Done(r) => rows.push(r),
                Attempt::Refused(e) => {
                    let how = if kind == Probe::Copied {
                        "a copied row"
                    } else {
                        "a synthesised row"
                    };
                    errors.push(format!("inserting {how} failed: {}", db_message(&e)));
                    continue 'attempt;
                }
            }
            if tenant == ProbeTenant::B {
                b_values = values;
            }
        }
        let b = rows.pop().expect("two rows");
        let a = rows.pop().expect("two rows");
        let b_id = (ProbeTenant::B, ids.of(ProbeTenant::B));
        if let Feasible::Made(fresh) = build_row(conn, catalog, s, t, b_id, None, parents).await? {
            b_values = fresh;
        }
        return Ok(Probed::Made(Probes { a, b, b_values }, kind));
    }
    errors.dedup();
    Ok(Probed::Impossible(errors.join("; ")))
}

/// Scoped tables in an order where parents come first (root, then tenant
/// tables by their required foreign keys). Tables in a cycle come last.
pub(super) fn probe_order<'a>(
    catalog: &Catalog,
    scoped: &'a [ScopedTable],
) -> Vec<&'a ScopedTable> {
    let names: BTreeSet<&QualName> = scoped.iter().map(|s| &s.name).collect();
    let mut done: BTreeSet<QualName> = BTreeSet::new();
    let mut out = Vec::new();
    let mut remaining: Vec<&ScopedTable> = scoped.iter().collect();
    remaining.sort_by_key(|s| s.kind != ScopeKind::Root);
    while !remaining.is_empty() {
        let before = remaining.len();
        remaining.retain(|s| {
            let ready = catalog.tables.get(&s.name).is_none_or(|t| {
                required_fks(t).iter().all(|fk| {
                    let p = &fk.references.as_ref().expect("fk").table;
                    p == &s.name || !names.contains(p) || done.contains(p)
                })
            });
            if ready {
                done.insert(s.name.clone());
                out.push(*s);
            }
            !ready
        });
        if remaining.len() == before {
            out.append(&mut remaining);
        }
    }
    out
}
