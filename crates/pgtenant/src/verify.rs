//! `verify`: prove tenant isolation on a live database.
//!
//! Two parts:
//!
//! - **Static**: the lints of [`pgtenant_schema::lint`] on the introspected
//!   catalog (RLS enabled and forced, policies for every command, keys,
//!   views, functions, the service role's privileges and ownership), plus
//!   the service role's attributes (never superuser, never BYPASSRLS).
//! - **Behavioural**: on one admin connection, inside a transaction that
//!   always rolls back, two probe tenants A and B are created through the
//!   root table and a row for each is copied or synthesised in every tenant
//!   table (parents first). Then, as the service role (`SET LOCAL ROLE`):
//!   with no tenant set and with an empty setting every tenant table reads
//!   empty; as A, B's rows are invisible to SELECT and untouched by UPDATE
//!   and DELETE, an INSERT with B's id and an UPDATE moving A's row to B are
//!   rejected. Finally, over a real login connection of the service role:
//!   a fresh connection carries no tenant, and after a committed transaction
//!   the same pooled connection carries none either.
//!
//! Nothing is ever committed to the target database.

use pgtenant_schema::finding::{Finding, Severity};
use pgtenant_schema::ident::{quote_ident, quote_literal};
use pgtenant_schema::lint::{lint, RoleFacts};
use pgtenant_schema::model::{Catalog, Column, ConstraintKind, QualName, Table};
use pgtenant_schema::tenancy::{scoped_tables, ScopeKind, ScopedTable, TenancyRules};
use serde::{Deserialize, Serialize};
use sqlx::postgres::{PgConnectOptions, PgPoolOptions, PgRow};
use sqlx::{ConnectOptions, Connection, PgConnection, Row};
use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;

/// Where and as whom to verify.
#[derive(Debug, Clone)]
pub struct VerifyTarget {
    /// The database to verify, as an admin role (superuser or BYPASSRLS).
    pub admin: PgConnectOptions,
    /// The same database as the service role, with its password.
    pub service: PgConnectOptions,
    /// The service role's name.
    pub service_role: String,
}

/// Why verification could not run at all (as opposed to failing a check).
#[derive(Debug, thiserror::Error)]
pub enum VerifyError {
    #[error("cannot connect as the admin role; check the admin URL and that the database exists")]
    AdminConnect(#[source] sqlx::Error),
    #[error("cannot log in as service role {role}; check its password in the manifest and that bootstrap has created it")]
    ServiceConnect {
        role: String,
        #[source]
        source: sqlx::Error,
    },
    #[error("service role {0} does not exist; run `pgtenant bootstrap` first")]
    NoServiceRole(String),
    #[error("{what} failed")]
    Query {
        what: String,
        #[source]
        source: sqlx::Error,
    },
}

fn qerr(what: impl Into<String>) -> impl FnOnce(sqlx::Error) -> VerifyError {
    let what = what.into();
    move |source| VerifyError::Query { what, source }
}

/// The outcome of one check.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "status", rename_all = "snake_case")]
pub enum Outcome {
    Proven,
    Failed { detail: String },
    Skipped { reason: String },
}

/// One behavioural check, by stable code (e.g. `select-hides-other-tenant`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Check {
    pub code: String,
    #[serde(flatten)]
    pub outcome: Outcome,
}

impl Check {
    fn proven(code: &str) -> Check {
        Check {
            code: code.to_owned(),
            outcome: Outcome::Proven,
        }
    }
    fn failed(code: &str, detail: impl Into<String>) -> Check {
        Check {
            code: code.to_owned(),
            outcome: Outcome::Failed {
                detail: detail.into(),
            },
        }
    }
    fn skipped(code: &str, reason: impl Into<String>) -> Check {
        Check {
            code: code.to_owned(),
            outcome: Outcome::Skipped {
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

    /// Every failed check as `(table or "session", code, detail)`.
    pub fn failures(&self) -> Vec<(String, String, String)> {
        let mut out = Vec::new();
        for c in &self.session {
            if let Outcome::Failed { detail } = &c.outcome {
                out.push(("session".to_owned(), c.code.clone(), detail.clone()));
            }
        }
        for t in &self.tables {
            for c in &t.checks {
                if let Outcome::Failed { detail } = &c.outcome {
                    out.push((t.table.to_string(), c.code.clone(), detail.clone()));
                }
            }
        }
        out
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
        let _ = writeln!(
            s,
            "{}: {errors} error finding(s), {failed} failed check(s)",
            if self.passed() {
                "isolation verified"
            } else {
                "isolation NOT verified"
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

/// Facts about a role from `pg_roles`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RoleInfo {
    pub superuser: bool,
    pub bypass_rls: bool,
    /// Roles it is a member of, directly or indirectly, itself excluded.
    pub member_of: Vec<String>,
}

/// Read the attributes and memberships of `role` (one query).
pub async fn role_info(conn: &mut PgConnection, role: &str) -> Result<RoleInfo, VerifyError> {
    let row = sqlx::query(
        "SELECT r.rolsuper, r.rolbypassrls, \
                ARRAY(SELECT m.rolname::text FROM pg_roles m \
                      WHERE m.oid <> r.oid AND pg_has_role(r.oid, m.oid, 'MEMBER') \
                      ORDER BY 1) AS member_of \
         FROM pg_roles r WHERE r.rolname = $1",
    )
    .bind(role)
    .fetch_optional(&mut *conn)
    .await
    .map_err(qerr(format!("reading role {role}")))?
    .ok_or_else(|| VerifyError::NoServiceRole(role.to_owned()))?;
    Ok(RoleInfo {
        superuser: row.get(0),
        bypass_rls: row.get(1),
        member_of: row.get(2),
    })
}

/// Verify one database. `catalog` is its introspected schema.
pub async fn verify(
    target: &VerifyTarget,
    catalog: &Catalog,
    cfg: &TenancyRules,
) -> Result<Report, VerifyError> {
    let admin_opts = target.admin.clone().disable_statement_logging();
    let mut admin = PgConnection::connect_with(&admin_opts)
        .await
        .map_err(VerifyError::AdminConnect)?;
    let database: String = sqlx::query_scalar("SELECT current_database()::text")
        .fetch_one(&mut admin)
        .await
        .map_err(qerr("reading the database name"))?;
    let svc = target.service_role.as_str();
    let info = role_info(&mut admin, svc).await?;
    let facts = RoleFacts {
        service_role: Some(svc.to_owned()),
        member_of: info.member_of.clone(),
    };
    let findings = lint(catalog, cfg, &facts);

    let mut session = Vec::new();
    if info.superuser || info.bypass_rls {
        session.push(Check::failed(
            codes::SERVICE_ROLE_ATTRIBUTES,
            format!(
                "service role {svc} is {}; row level security never applies to it (ALTER ROLE {} NOSUPERUSER NOBYPASSRLS)",
                if info.superuser { "a superuser" } else { "BYPASSRLS" },
                quote_ident(svc)
            ),
        ));
    } else {
        session.push(Check::proven(codes::SERVICE_ROLE_ATTRIBUTES));
    }

    let (scoped, _) = scoped_tables(catalog, cfg);
    let tables = probe_tables(&mut admin, catalog, cfg, &scoped, svc).await?;
    let _ = admin.close().await;

    session.extend(login_checks(target, catalog, cfg, &scoped).await?);
    Ok(Report {
        database,
        service_role: svc.to_owned(),
        findings,
        session,
        tables,
    })
}

// ---------------------------------------------------------------------------
// Probe rows

/// What a copied row does with the columns of unique keys.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum KeyValues {
    /// Keep the original's values.
    Copy,
    /// Synthesise fresh ones where possible.
    Fresh,
}

/// Column values as text, by column name.
type Values = BTreeMap<String, Option<String>>;

/// One inserted probe row: where it is, and every column as text.
#[derive(Debug, Clone)]
struct ProbeRow {
    tableoid: String,
    ctid: String,
    values: BTreeMap<String, Option<String>>,
}

#[derive(Debug, Clone)]
struct Probes {
    a: ProbeRow,
    b: ProbeRow,
    /// Explicit column values of another row of B, for the INSERT check:
    /// freshly synthesised where possible (so unique keys do not collide
    /// with B's probe row and hide the policy's answer), else B's own.
    b_values: Vec<(String, String, Option<String>)>,
}

const TENANT_A: usize = 0;
const TENANT_B: usize = 1;

fn rand_hex() -> String {
    uuid::Uuid::new_v4().simple().to_string()[..10].to_owned()
}

fn rand_int(max: u32) -> String {
    let v = uuid::Uuid::new_v4().as_u128();
    let m = u128::from(max.max(2) - 1);
    (v % m + 1).to_string()
}

/// A text value of type `ty` for a probe row, or `None` when pgtenant does
/// not know how to make one.
fn synth_value(catalog: &Catalog, ty: &str) -> Option<String> {
    // `timestamp(3) without time zone` -> `timestamp without time zone`.
    let stripped = pgtenant_schema::tenancy::policy_cast_type(ty);
    let base = stripped.as_str();
    if ty.ends_with("[]") {
        return Some("{}".to_owned());
    }
    let v = match base {
        "text" | "character varying" | "character" | "bpchar" | "citext" | "name" => {
            format!("p{}", rand_hex())
        }
        "uuid" => uuid::Uuid::new_v4().to_string(),
        "smallint" => rand_int(30_000),
        "integer" | "bigint" => rand_int(1_000_000_000),
        // Small enough for any numeric(p,s) with p - s >= 3.
        "numeric" | "real" | "double precision" => rand_int(999),
        "boolean" => "false".to_owned(),
        "date"
        | "timestamp without time zone"
        | "timestamp with time zone"
        | "time without time zone"
        | "time with time zone" => "now".to_owned(),
        "json" | "jsonb" => "{}".to_owned(),
        "bytea" => "\\x00".to_owned(),
        "inet" | "cidr" => "127.0.0.1".to_owned(),
        "interval" => "1 day".to_owned(),
        _ => {
            let name = match base.split_once('.') {
                Some((s, n)) => QualName::new(s.trim_matches('"'), n.trim_matches('"')),
                None => QualName::new("public", base.trim_matches('"')),
            };
            if let Some(e) = catalog.enums.get(&name) {
                return e.values.first().cloned();
            }
            if let Some(d) = catalog.domains.get(&name) {
                return synth_value(catalog, &d.base_type);
            }
            return None;
        }
    };
    Some(v)
}

fn has_default(c: &Column) -> bool {
    c.default.is_some() || c.identity.is_some()
}

/// Foreign keys of `t` that a probe row must satisfy: every column NOT NULL.
fn required_fks(t: &Table) -> Vec<&pgtenant_schema::model::Constraint> {
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

/// How to end a savepoint.
#[derive(Clone, Copy, PartialEq, Eq)]
enum SavepointEnd {
    Release,
    RollBack,
}

async fn savepoint(conn: &mut PgConnection) -> Result<(), VerifyError> {
    sqlx::raw_sql("SAVEPOINT pgtenant_probe")
        .execute(&mut *conn)
        .await
        .map_err(qerr("creating a savepoint"))?;
    Ok(())
}

async fn end_savepoint(conn: &mut PgConnection, end: SavepointEnd) -> Result<(), VerifyError> {
    let sql = match end {
        SavepointEnd::Release => "RELEASE SAVEPOINT pgtenant_probe",
        SavepointEnd::RollBack => "ROLLBACK TO SAVEPOINT pgtenant_probe",
    };
    sqlx::raw_sql(sql)
        .execute(&mut *conn)
        .await
        .map_err(qerr("ending a savepoint"))?;
    Ok(())
}

/// Keep what succeeded, undo what failed.
fn end_for<T>(r: &Result<T, sqlx::Error>) -> SavepointEnd {
    if r.is_ok() {
        SavepointEnd::Release
    } else {
        SavepointEnd::RollBack
    }
}

fn returning_list(t: &Table) -> String {
    let mut cols = vec!["ctid::text".to_owned(), "tableoid::oid::text".to_owned()];
    cols.extend(
        t.columns
            .iter()
            .map(|c| format!("{}::text", quote_ident(&c.name))),
    );
    cols.join(", ")
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

/// Insert one row of explicit `(column, type, value)`s; returns the row.
async fn insert_row(
    conn: &mut PgConnection,
    t: &Table,
    values: &[(String, String, Option<String>)],
) -> Result<Result<ProbeRow, sqlx::Error>, VerifyError> {
    let sql = if values.is_empty() {
        format!(
            "INSERT INTO {} DEFAULT VALUES RETURNING {}",
            t.name.sql(),
            returning_list(t)
        )
    } else {
        let cols: Vec<String> = values.iter().map(|(c, _, _)| quote_ident(c)).collect();
        let params: Vec<String> = values
            .iter()
            .enumerate()
            .map(|(i, (_, ty, _))| format!("${}::{ty}", i + 1))
            .collect();
        format!(
            "INSERT INTO {} ({}) VALUES ({}) RETURNING {}",
            t.name.sql(),
            cols.join(", "),
            params.join(", "),
            returning_list(t)
        )
    };
    savepoint(conn).await?;
    let mut q = sqlx::query(&sql);
    for (_, _, v) in values {
        q = q.bind(v.clone());
    }
    let r = q
        .fetch_one(&mut *conn)
        .await
        .map(|row| read_probe_row(t, &row));
    end_savepoint(conn, end_for(&r)).await?;
    Ok(r)
}

/// Parent rows available for foreign keys: probe rows of scoped tables per
/// tenant, and one existing row of other tables.
#[derive(Default)]
struct Parents {
    /// Every scoped table: one without probes cannot serve as a parent.
    scoped: BTreeSet<QualName>,
    probes: BTreeMap<QualName, Probes>,
    existing: BTreeMap<QualName, Option<BTreeMap<String, Option<String>>>>,
}

async fn existing_row(
    conn: &mut PgConnection,
    t: &Table,
) -> Result<Option<BTreeMap<String, Option<String>>>, VerifyError> {
    let cols: Vec<String> = t
        .columns
        .iter()
        .map(|c| format!("{}::text", quote_ident(&c.name)))
        .collect();
    let sql = format!(
        "SELECT ctid::text, tableoid::oid::text, {} FROM {} LIMIT 1",
        cols.join(", "),
        t.name.sql()
    );
    let row = sqlx::query(&sql)
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
            values.push((c.name.clone(), c.data_type.clone(), v.clone()));
        } else if c.not_null && !has_default(c) {
            match synth_value(catalog, &c.data_type) {
                Some(v) => values.push((c.name.clone(), c.data_type.clone(), Some(v))),
                None => return Ok(None),
            }
        }
    }
    Ok(insert_row(conn, t, &values).await?.ok().map(|r| r.values))
}

/// The explicit values of a probe row of `t` for tenant `tenant` (0 = A,
/// 1 = B) with id `id`.
async fn build_row(
    conn: &mut PgConnection,
    catalog: &Catalog,
    s: &ScopedTable,
    t: &Table,
    (tenant, id): (usize, &str),
    source: Option<(&Values, KeyValues)>,
    parents: &mut Parents,
) -> Result<Result<Vec<(String, String, Option<String>)>, String>, VerifyError> {
    let mut fixed: BTreeMap<String, Option<String>> = BTreeMap::new();
    fixed.insert(s.key_column.clone(), Some(id.to_owned()));
    for fk in required_fks(t) {
        let Some(target) = &fk.references else {
            continue;
        };
        if target.table == t.name {
            if fk.columns.iter().all(|c| fixed.contains_key(c)) {
                continue;
            }
            return Ok(Err(format!(
                "foreign key {} needs an existing row of the table itself",
                fk.name
            )));
        }
        let parent: BTreeMap<String, Option<String>> =
            if let Some(p) = parents.probes.get(&target.table) {
                if tenant == TENANT_A {
                    p.a.values.clone()
                } else {
                    p.b.values.clone()
                }
            } else if parents.scoped.contains(&target.table) {
                return Ok(Err(format!(
                    "foreign key {} references {}, which could not be probed",
                    fk.name, target.table
                )));
            } else {
                if !parents.existing.contains_key(&target.table) {
                    let row = match catalog.tables.get(&target.table) {
                        Some(pt) => match existing_row(conn, pt).await? {
                            Some(r) => Some(r),
                            None => synth_global_row(conn, catalog, pt).await?,
                        },
                        None => None,
                    };
                    parents.existing.insert(target.table.clone(), row);
                }
                match parents.existing.get(&target.table).cloned().flatten() {
                    Some(r) => r,
                    None => {
                        return Ok(Err(format!(
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
    // Columns of primary keys, unique constraints and unique indexes.
    let unique_cols: BTreeSet<&str> = t
        .constraints
        .values()
        .filter(|k| matches!(k.kind, ConstraintKind::PrimaryKey | ConstraintKind::Unique))
        .flat_map(|k| k.columns.iter().map(String::as_str))
        .chain(
            t.indexes
                .values()
                .filter(|i| i.unique)
                .flat_map(|i| i.columns.iter().flatten().map(String::as_str)),
        )
        .collect();
    let mut out = Vec::new();
    for c in &t.columns {
        if c.generated.is_some()
            || c.identity
                .as_ref()
                .is_some_and(|i| i.kind == pgtenant_schema::model::IdentityKind::Always)
        {
            continue;
        }
        if let Some(v) = fixed.get(&c.name) {
            out.push((c.name.clone(), c.data_type.clone(), v.clone()));
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
                out.push((
                    c.name.clone(),
                    c.data_type.clone(),
                    synth_value(catalog, &c.data_type),
                ))
            }
            Some((src, _)) => out.push((
                c.name.clone(),
                c.data_type.clone(),
                src.get(&c.name).cloned().flatten(),
            )),
            None if !c.not_null => {}
            None => match synth_value(catalog, &c.data_type) {
                Some(v) => out.push((c.name.clone(), c.data_type.clone(), Some(v))),
                None => {
                    return Ok(Err(format!(
                        "cannot synthesise a value of type {} for column {}",
                        c.data_type, c.name
                    )))
                }
            },
        }
    }
    Ok(Ok(out))
}

/// Make probe rows for A and B in `t`: copy an existing row, else
/// synthesise one.
async fn make_probes(
    conn: &mut PgConnection,
    catalog: &Catalog,
    s: &ScopedTable,
    t: &Table,
    ids: &[String; 2],
    parents: &mut Parents,
) -> Result<Result<(Probes, Probe), String>, VerifyError> {
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
        for (tenant, id) in ids.iter().enumerate() {
            let values = match build_row(conn, catalog, s, t, (tenant, id), source, parents).await?
            {
                Ok(v) => v,
                Err(reason) => {
                    errors.push(reason);
                    continue 'attempt;
                }
            };
            match insert_row(conn, t, &values).await? {
                Ok(r) => rows.push(r),
                Err(e) => {
                    let how = if kind == Probe::Copied {
                        "a copied row"
                    } else {
                        "a synthesised row"
                    };
                    errors.push(format!("inserting {how} failed: {}", db_message(&e)));
                    continue 'attempt;
                }
            }
            if tenant == TENANT_B {
                b_values = values;
            }
        }
        let b = rows.pop().expect("two rows");
        let a = rows.pop().expect("two rows");
        let fresh = build_row(
            conn,
            catalog,
            s,
            t,
            (TENANT_B, &ids[TENANT_B]),
            None,
            parents,
        )
        .await?;
        if let Ok(fresh) = fresh {
            b_values = fresh;
        }
        return Ok(Ok((Probes { a, b, b_values }, kind)));
    }
    errors.dedup();
    Ok(Err(errors.join("; ")))
}

fn db_message(e: &sqlx::Error) -> String {
    match e {
        sqlx::Error::Database(d) => d.message().to_owned(),
        other => other.to_string(),
    }
}

fn is_rls_violation(e: &sqlx::Error) -> bool {
    match e {
        sqlx::Error::Database(d) => {
            d.code().as_deref() == Some("42501") && d.message().contains("row-level security")
        }
        _ => false,
    }
}

/// Scoped tables in an order where parents come first (root, then tenant
/// tables by their required foreign keys). Tables in a cycle come last.
fn probe_order<'a>(catalog: &Catalog, scoped: &'a [ScopedTable]) -> Vec<&'a ScopedTable> {
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

#[derive(Default, Clone, Copy)]
struct Privs {
    select: bool,
    insert: bool,
    update: bool,
    delete: bool,
}

async fn privileges(
    conn: &mut PgConnection,
    role: &str,
    t: &QualName,
) -> Result<Privs, VerifyError> {
    let row = sqlx::query(
        "SELECT has_table_privilege($1, to_regclass($2), 'SELECT'), \
                has_table_privilege($1, to_regclass($2), 'INSERT'), \
                has_table_privilege($1, to_regclass($2), 'UPDATE'), \
                has_table_privilege($1, to_regclass($2), 'DELETE')",
    )
    .bind(role)
    .bind(t.sql())
    .fetch_one(&mut *conn)
    .await
    .map_err(qerr(format!("reading the privileges of {role} on {t}")))?;
    Ok(Privs {
        select: row.get(0),
        insert: row.get(1),
        update: row.get(2),
        delete: row.get(3),
    })
}

async fn count_rows(
    conn: &mut PgConnection,
    t: &QualName,
    row: Option<&ProbeRow>,
) -> Result<i64, sqlx::Error> {
    match row {
        None => {
            sqlx::query_scalar(&format!("SELECT count(*) FROM {}", t.sql()))
                .fetch_one(&mut *conn)
                .await
        }
        Some(r) => {
            sqlx::query_scalar(&format!(
                "SELECT count(*) FROM {} WHERE tableoid = $1::oid AND ctid = $2::tid",
                t.sql()
            ))
            .bind(&r.tableoid)
            .bind(&r.ctid)
            .fetch_one(&mut *conn)
            .await
        }
    }
}

/// Count in a savepoint, so a failing read does not abort the transaction.
async fn count_in_savepoint(
    conn: &mut PgConnection,
    t: &QualName,
    row: Option<&ProbeRow>,
) -> Result<Result<i64, sqlx::Error>, VerifyError> {
    savepoint(conn).await?;
    let r = count_rows(conn, t, row).await;
    end_savepoint(conn, end_for(&r)).await?;
    Ok(r)
}

async fn set_tenant(
    conn: &mut PgConnection,
    setting: &str,
    value: &str,
) -> Result<(), VerifyError> {
    sqlx::query("SELECT set_config($1, $2, true)")
        .bind(setting)
        .bind(value)
        .execute(&mut *conn)
        .await
        .map_err(qerr("setting the tenant"))?;
    Ok(())
}

/// The behavioural probes on the admin connection, in one transaction that
/// is rolled back.
async fn probe_tables(
    admin: &mut PgConnection,
    catalog: &Catalog,
    cfg: &TenancyRules,
    scoped: &[ScopedTable],
    svc: &str,
) -> Result<Vec<TableReport>, VerifyError> {
    let mut reports: Vec<TableReport> = scoped
        .iter()
        .map(|s| TableReport {
            table: s.name.clone(),
            kind: s.kind,
            probe: Probe::NotProbed {
                reason: String::new(),
            },
            checks: Vec::new(),
        })
        .collect();
    let set_all_unprobed = |reports: &mut Vec<TableReport>, reason: &str| {
        for r in reports.iter_mut() {
            r.probe = Probe::NotProbed {
                reason: reason.to_owned(),
            };
        }
    };
    let (superuser, bypass, can_set_role): (bool, bool, bool) = sqlx::query_as(
        "SELECT rolsuper, rolsuper OR rolbypassrls, pg_has_role(current_user, $1, 'MEMBER') \
         FROM pg_roles WHERE rolname = current_user",
    )
    .bind(svc)
    .fetch_one(&mut *admin)
    .await
    .map_err(qerr("reading the admin role"))?;
    if !can_set_role {
        set_all_unprobed(
            &mut reports,
            &format!("the admin role cannot SET ROLE {svc}; run verify as a superuser"),
        );
        return Ok(reports);
    }
    if !bypass {
        set_all_unprobed(
            &mut reports,
            "the admin role is neither superuser nor BYPASSRLS, so it cannot create probe rows",
        );
        return Ok(reports);
    }
    if scoped.is_empty() {
        return Ok(reports);
    }
    // lc_messages (superuser only) keeps the RLS error text matchable.
    let begin = if superuser {
        "BEGIN; SET LOCAL lc_messages = 'C'; SET LOCAL statement_timeout = '60s'; \
         SET LOCAL lock_timeout = '5s'"
    } else {
        "BEGIN; SET LOCAL statement_timeout = '60s'; SET LOCAL lock_timeout = '5s'"
    };
    sqlx::raw_sql(begin)
        .execute(&mut *admin)
        .await
        .map_err(qerr("starting the probe transaction"))?;
    let r = probe_in_tx(admin, catalog, cfg, scoped, svc, &mut reports).await;
    let rb = sqlx::raw_sql("ROLLBACK").execute(&mut *admin).await;
    r?;
    rb.map_err(qerr("rolling back the probe transaction"))?;
    Ok(reports)
}

async fn probe_in_tx(
    admin: &mut PgConnection,
    catalog: &Catalog,
    cfg: &TenancyRules,
    scoped: &[ScopedTable],
    svc: &str,
    reports: &mut [TableReport],
) -> Result<(), VerifyError> {
    let index: BTreeMap<QualName, usize> = reports
        .iter()
        .enumerate()
        .map(|(i, r)| (r.table.clone(), i))
        .collect();
    let mut parents = Parents {
        scoped: scoped.iter().map(|s| s.name.clone()).collect(),
        ..Parents::default()
    };

    // The probe tenants: ids of the key type, through the root table.
    let key_type = scoped
        .iter()
        .find(|s| s.kind == ScopeKind::Root)
        .or_else(|| scoped.first())
        .map(|s| s.key_type.clone())
        .unwrap_or_default();
    let mut ids: [String; 2] = match (
        synth_value(catalog, &key_type),
        synth_value(catalog, &key_type),
    ) {
        (Some(a), Some(b)) if a != b => [a, b],
        _ => {
            for r in reports.iter_mut() {
                r.probe = Probe::NotProbed {
                    reason: format!("cannot make probe tenant ids of type {key_type}"),
                };
            }
            return Ok(());
        }
    };
    let mut privs: BTreeMap<QualName, Privs> = BTreeMap::new();
    for s in scoped {
        privs.insert(s.name.clone(), privileges(admin, svc, &s.name).await?);
    }

    for s in probe_order(catalog, scoped) {
        let i = index[&s.name];
        let Some(t) = catalog.tables.get(&s.name) else {
            continue;
        };
        if s.kind == ScopeKind::Root {
            match make_probes(admin, catalog, s, t, &ids, &mut parents).await? {
                Ok((p, _)) => {
                    // The key as stored (a cast may have normalised it).
                    let a = p.a.values.get(&s.key_column).cloned().flatten();
                    let b = p.b.values.get(&s.key_column).cloned().flatten();
                    match (a, b) {
                        (Some(a), Some(b)) if a != b => ids = [a, b],
                        _ => {
                            for r in reports.iter_mut() {
                                r.probe = Probe::NotProbed {
                                    reason: "the probe tenants did not get distinct ids".into(),
                                };
                            }
                            return Ok(());
                        }
                    }
                    parents.probes.insert(s.name.clone(), p);
                    reports[i].probe = Probe::ProbeTenants;
                }
                Err(reason) => {
                    for r in reports.iter_mut() {
                        r.probe = Probe::NotProbed {
                            reason: format!(
                                "could not create probe tenants in {}: {reason}",
                                s.name
                            ),
                        };
                    }
                    return Ok(());
                }
            }
            continue;
        }
        match make_probes(admin, catalog, s, t, &ids, &mut parents).await? {
            Ok((p, kind)) => {
                parents.probes.insert(s.name.clone(), p);
                reports[i].probe = kind;
            }
            Err(reason) => reports[i].probe = Probe::NotProbed { reason },
        }
    }

    // As the service role from here on.
    sqlx::raw_sql(&format!("SET LOCAL ROLE {}", quote_ident(svc)))
        .execute(&mut *admin)
        .await
        .map_err(qerr(format!("switching to role {svc}")))?;

    // 1. No tenant set at all (this connection never set the setting).
    let preset: Option<String> = sqlx::query_scalar("SELECT current_setting($1, true)")
        .bind(&cfg.setting)
        .fetch_one(&mut *admin)
        .await
        .map_err(qerr("reading the tenant setting"))?;
    for s in scoped {
        let i = index[&s.name];
        let p = privs[&s.name];
        let check = if !p.select {
            Check::skipped(
                codes::READS_EMPTY_UNSET,
                format!("service role {svc} has no SELECT"),
            )
        } else if preset.as_deref().is_some_and(|v| !v.is_empty()) {
            Check::failed(
                codes::READS_EMPTY_UNSET,
                format!(
                    "{} is already set to {} when no tenant was set (ALTER DATABASE/ROLE ... SET?)",
                    cfg.setting,
                    quote_literal(preset.as_deref().unwrap_or_default())
                ),
            )
        } else {
            empty_check(
                admin,
                codes::READS_EMPTY_UNSET,
                &s.name,
                "with no tenant set",
            )
            .await?
        };
        reports[i].checks.push(check);
    }
    // 2. An empty setting.
    set_tenant(admin, &cfg.setting, "").await?;
    for s in scoped {
        let i = index[&s.name];
        let check = if !privs[&s.name].select {
            Check::skipped(
                codes::READS_EMPTY_EMPTY,
                format!("service role {svc} has no SELECT"),
            )
        } else {
            empty_check(
                admin,
                codes::READS_EMPTY_EMPTY,
                &s.name,
                "with an empty tenant setting",
            )
            .await?
        };
        reports[i].checks.push(check);
    }

    // 3. As tenant A.
    set_tenant(admin, &cfg.setting, &ids[TENANT_A]).await?;
    for s in scoped {
        let i = index[&s.name];
        let Some(p) = parents.probes.get(&s.name).cloned() else {
            continue;
        };
        let Some(t) = catalog.tables.get(&s.name) else {
            continue;
        };
        let checks = tenant_a_checks(admin, s, t, &p, privs[&s.name], &ids, svc).await?;
        reports[i].checks.extend(checks);
    }
    Ok(())
}

async fn empty_check(
    conn: &mut PgConnection,
    code: &str,
    t: &QualName,
    when: &str,
) -> Result<Check, VerifyError> {
    let n = count_in_savepoint(conn, t, None).await?;
    Ok(match n {
        Ok(0) => Check::proven(code),
        Ok(n) => Check::failed(code, format!("the service role reads {n} row(s) {when}")),
        Err(e) => Check::failed(
            code,
            format!("reading the table failed: {}", db_message(&e)),
        ),
    })
}

async fn tenant_a_checks(
    conn: &mut PgConnection,
    s: &ScopedTable,
    t: &Table,
    p: &Probes,
    privs: Privs,
    ids: &[String; 2],
    svc: &str,
) -> Result<Vec<Check>, VerifyError> {
    let mut out = Vec::new();
    let name = t.name.sql();
    let no = |what: &str| format!("service role {svc} has no {what} on {}", t.name);

    // SELECT
    if privs.select {
        let own = count_in_savepoint(conn, &t.name, Some(&p.a)).await?;
        out.push(match own {
            Ok(1) => Check::proven(codes::SELECT_OWN),
            Ok(_) => Check::failed(codes::SELECT_OWN, "as tenant A, A's own probe row is not visible; the policy hides a tenant's own rows"),
            Err(e) => Check::failed(codes::SELECT_OWN, db_message(&e)),
        });
        let other = count_in_savepoint(conn, &t.name, Some(&p.b)).await?;
        out.push(match other {
            Ok(0) => Check::proven(codes::SELECT_HIDES),
            Ok(_) => Check::failed(
                codes::SELECT_HIDES,
                "as tenant A, SELECT returns tenant B's row",
            ),
            Err(e) => Check::failed(codes::SELECT_HIDES, db_message(&e)),
        });
    } else {
        out.push(Check::skipped(codes::SELECT_HIDES, no("SELECT")));
    }

    // UPDATE / DELETE of B's row.
    let key = quote_ident(&s.key_column);
    let updatable = |c: &&Column| {
        c.generated.is_none()
            && !c
                .identity
                .as_ref()
                .is_some_and(|i| i.kind == pgtenant_schema::model::IdentityKind::Always)
    };
    // A column an UPDATE may assign to itself (the key unless it is
    // GENERATED ALWAYS).
    let touch = t
        .column(&s.key_column)
        .filter(updatable)
        .or_else(|| t.columns.iter().find(updatable))
        .map(|c| quote_ident(&c.name));
    let key_updatable = t.column(&s.key_column).as_ref().is_some_and(updatable);
    for (code, allowed, sql, what) in [
        (
            codes::UPDATE_SKIPS,
            privs.update && privs.select && touch.is_some(),
            format!(
                "UPDATE {name} SET {0} = {0} WHERE tableoid = $1::oid AND ctid = $2::tid",
                touch.clone().unwrap_or_default()
            ),
            "UPDATE",
        ),
        (
            codes::DELETE_SKIPS,
            privs.delete && privs.select,
            format!("DELETE FROM {name} WHERE tableoid = $1::oid AND ctid = $2::tid"),
            "DELETE",
        ),
    ] {
        if !allowed {
            let reason = if touch.is_none() {
                format!("no column of {} can be updated", t.name)
            } else {
                no(&format!("{what} (with SELECT)"))
            };
            out.push(Check::skipped(code, reason));
            continue;
        }
        savepoint(conn).await?;
        let r = sqlx::query(&sql)
            .bind(&p.b.tableoid)
            .bind(&p.b.ctid)
            .execute(&mut *conn)
            .await;
        // Always undone, whatever it did.
        end_savepoint(conn, SavepointEnd::RollBack).await?;
        out.push(match r {
            Ok(res) if res.rows_affected() == 0 => Check::proven(code),
            Ok(_) => Check::failed(code, format!("as tenant A, {what} reached tenant B's row")),
            Err(e) => Check::failed(code, format!("{what} failed: {}", db_message(&e))),
        });
    }

    // INSERT with B's id.
    if privs.insert {
        savepoint(conn).await?;
        let r = insert_row(conn, t, &p.b_values).await?;
        end_savepoint(conn, SavepointEnd::RollBack).await?;
        out.push(match r {
            Err(e) if is_rls_violation(&e) => Check::proven(codes::INSERT_REJECTED),
            Err(e) => Check::skipped(
                codes::INSERT_REJECTED,
                format!(
                    "the insert failed for another reason first: {}",
                    db_message(&e)
                ),
            ),
            Ok(_) => Check::failed(
                codes::INSERT_REJECTED,
                "as tenant A, inserting a row of tenant B succeeded",
            ),
        });
    } else {
        out.push(Check::skipped(codes::INSERT_REJECTED, no("INSERT")));
    }

    // UPDATE moving A's row to B.
    if !key_updatable {
        out.push(Check::skipped(
            codes::MOVE_REJECTED,
            format!(
                "{} is GENERATED ALWAYS and cannot be updated at all",
                s.key_column
            ),
        ));
    } else if privs.update && privs.select {
        let ty = pgtenant_schema::tenancy::policy_cast_type(&s.key_type);
        let sql = format!(
            "UPDATE {name} SET {key} = $3::{ty} WHERE tableoid = $1::oid AND ctid = $2::tid"
        );
        savepoint(conn).await?;
        let r = sqlx::query(&sql)
            .bind(&p.a.tableoid)
            .bind(&p.a.ctid)
            .bind(&ids[TENANT_B])
            .execute(&mut *conn)
            .await;
        end_savepoint(conn, SavepointEnd::RollBack).await?;
        out.push(match r {
            Err(e) if is_rls_violation(&e) => Check::proven(codes::MOVE_REJECTED),
            Err(e) => Check::skipped(
                codes::MOVE_REJECTED,
                format!(
                    "the update failed for another reason first: {}",
                    db_message(&e)
                ),
            ),
            Ok(res) if res.rows_affected() == 0 => {
                Check::skipped(codes::MOVE_REJECTED, "A's own probe row was not updatable")
            }
            Ok(_) => Check::failed(
                codes::MOVE_REJECTED,
                "as tenant A, moving a row to tenant B succeeded",
            ),
        });
    } else {
        out.push(Check::skipped(
            codes::MOVE_REJECTED,
            no("UPDATE (with SELECT)"),
        ));
    }
    Ok(out)
}

// ---------------------------------------------------------------------------
// Real login connections of the service role.

async fn login_checks(
    target: &VerifyTarget,
    catalog: &Catalog,
    cfg: &TenancyRules,
    scoped: &[ScopedTable],
) -> Result<Vec<Check>, VerifyError> {
    let svc = target.service_role.clone();
    let pool = PgPoolOptions::new()
        .max_connections(1)
        .min_connections(0)
        .connect_with(target.service.clone().disable_statement_logging())
        .await
        .map_err(|source| VerifyError::ServiceConnect {
            role: svc.clone(),
            source,
        })?;
    let mut out = Vec::new();
    let setting_sql = "SELECT current_setting($1, true), pg_backend_pid()";

    // A fresh login: no tenant, every readable tenant table empty.
    let mut conn = pool
        .acquire()
        .await
        .map_err(|source| VerifyError::ServiceConnect {
            role: svc.clone(),
            source,
        })?;
    let (v, pid): (Option<String>, i32) = sqlx::query_as(setting_sql)
        .bind(&cfg.setting)
        .fetch_one(&mut *conn)
        .await
        .map_err(qerr("reading the tenant setting as the service role"))?;
    let mut problems = Vec::new();
    if let Some(v) = v.as_deref().filter(|v| !v.is_empty()) {
        problems.push(format!(
            "a new connection of {svc} starts with {} = {} (remove ALTER ROLE/DATABASE ... SET)",
            cfg.setting,
            quote_literal(v)
        ));
    }
    for s in scoped {
        if !catalog.tables.contains_key(&s.name) {
            continue;
        }
        let readable: bool =
            sqlx::query_scalar("SELECT has_table_privilege(to_regclass($1), 'SELECT')")
                .bind(s.name.sql())
                .fetch_one(&mut *conn)
                .await
                .map_err(qerr("reading privileges as the service role"))?;
        if readable {
            let n: i64 = sqlx::query_scalar(&format!("SELECT count(*) FROM {}", s.name.sql()))
                .fetch_one(&mut *conn)
                .await
                .map_err(qerr(format!("reading {} as the service role", s.name)))?;
            if n > 0 {
                problems.push(format!("{} reads {n} row(s) with no tenant set", s.name));
            }
        }
    }
    out.push(if problems.is_empty() {
        Check::proven(codes::LOGIN_WITHOUT_TENANT)
    } else {
        Check::failed(codes::LOGIN_WITHOUT_TENANT, problems.join("; "))
    });
    drop(conn);

    // Commit a transaction that set a tenant; the pooled connection comes
    // back clean.
    let mut tx = pool
        .begin()
        .await
        .map_err(qerr("beginning a transaction as the service role"))?;
    sqlx::query("SELECT set_config($1, $2, true)")
        .bind(&cfg.setting)
        .bind("pgtenant-verify-probe")
        .execute(&mut *tx)
        .await
        .map_err(qerr("setting the tenant as the service role"))?;
    tx.commit()
        .await
        .map_err(qerr("committing as the service role"))?;
    let mut conn = pool
        .acquire()
        .await
        .map_err(|source| VerifyError::ServiceConnect {
            role: svc.clone(),
            source,
        })?;
    let (after, pid2): (Option<String>, i32) = sqlx::query_as(setting_sql)
        .bind(&cfg.setting)
        .fetch_one(&mut *conn)
        .await
        .map_err(qerr("reading the tenant setting as the service role"))?;
    out.push(if pid2 != pid {
        Check::skipped(
            codes::NO_TENANT_AFTER_COMMIT,
            "the pool did not hand back the same connection",
        )
    } else if after.as_deref().is_some_and(|v| !v.is_empty()) {
        Check::failed(
            codes::NO_TENANT_AFTER_COMMIT,
            format!("after COMMIT the connection still has {} set", cfg.setting),
        )
    } else {
        Check::proven(codes::NO_TENANT_AFTER_COMMIT)
    });
    drop(conn);
    pool.close().await;
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn synthesised_values_by_type() {
        let c = Catalog::default();
        assert!(uuid::Uuid::parse_str(&synth_value(&c, "uuid").unwrap()).is_ok());
        assert!(synth_value(&c, "character varying(20)")
            .unwrap()
            .starts_with('p'));
        let n: i64 = synth_value(&c, "bigint").unwrap().parse().unwrap();
        assert!(n >= 1);
        let n: i64 = synth_value(&c, "smallint").unwrap().parse().unwrap();
        assert!((1..30_000).contains(&n));
        assert_eq!(synth_value(&c, "text[]").as_deref(), Some("{}"));
        assert_eq!(
            synth_value(&c, "timestamp(3) without time zone").as_deref(),
            Some("now")
        );
        assert_eq!(synth_value(&c, "public.unknown_type"), None);
    }
}
