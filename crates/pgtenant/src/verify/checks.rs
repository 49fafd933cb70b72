//! The behavioural checks, run as the service role inside the probe
//! transaction: no tenant and an empty tenant read nothing; as tenant A,
//! B's rows are invisible, untouched and cannot be written.

use super::probes::ProbeRun;
use super::report::{codes, Check};
use super::rows::{insert_row, ProbeRow, ProbeTenant, Probes, TenantIds};
use super::sql::{self, db_message, is_rls_violation, set_tenant, Attempt, SavepointEnd};
use super::{qerr, VerifyError};
use pgtenant_schema::ident::{quote_ident, quote_literal};
use pgtenant_schema::model::{Column, IdentityKind, QualName, Table};
use pgtenant_schema::tenancy::ScopedTable;
use sqlx::{PgConnection, Row};
use std::collections::BTreeMap;

/// The service role's privileges on one table.
/// SELECT, INSERT and UPDATE count when held on any column (a column
/// grant is a route too); nothing counts without USAGE on the schema.
#[derive(Default, Clone, Copy)]
pub(super) struct Privs {
    pub(super) schema_usable: bool,
    select: bool,
    insert: bool,
    update: bool,
    delete: bool,
}

pub(super) async fn privileges(
    conn: &mut PgConnection,
    role: &str,
    t: &QualName,
) -> Result<Privs, VerifyError> {
    let row = sqlx::query(
        "SELECT coalesce(has_schema_privilege($1, $3, 'USAGE'), false), \
                coalesce(has_any_column_privilege($1, to_regclass($2), 'SELECT'), false), \
                coalesce(has_any_column_privilege($1, to_regclass($2), 'INSERT'), false), \
                coalesce(has_any_column_privilege($1, to_regclass($2), 'UPDATE'), false), \
                coalesce(has_table_privilege($1, to_regclass($2), 'DELETE'), false)",
    )
    .bind(role)
    .bind(t.sql())
    .bind(&t.schema)
    .fetch_one(&mut *conn)
    .await
    .map_err(qerr(format!("reading the privileges of {role} on {t}")))?;
    let usable: bool = row.get(0);
    Ok(Privs {
        schema_usable: usable,
        select: usable && row.get::<bool, _>(1),
        insert: usable && row.get::<bool, _>(2),
        update: usable && row.get::<bool, _>(3),
        delete: usable && row.get::<bool, _>(4),
    })
}

/// The service role's attributes: never superuser, never BYPASSRLS.
pub(super) fn service_role_attributes(svc: &str, superuser: bool, bypass_rls: bool) -> Check {
    if superuser || bypass_rls {
        Check::failed(
            codes::SERVICE_ROLE_ATTRIBUTES,
            format!(
                "service role {svc} is {}; row level security never applies to it (ALTER ROLE {} NOSUPERUSER NOBYPASSRLS)",
                if superuser { "a superuser" } else { "BYPASSRLS" },
                quote_ident(svc)
            ),
        )
    } else {
        Check::proven(codes::SERVICE_ROLE_ATTRIBUTES)
    }
}

/// Count the rows of `t` visible (only `row` when given) in a savepoint, so
/// a failing read does not abort the transaction.
async fn count_in_savepoint(
    conn: &mut PgConnection,
    t: &QualName,
    row: Option<&ProbeRow>,
) -> Result<Attempt<i64>, VerifyError> {
    sql::savepoint(conn).await?;
    let text = sql::count(t, row.is_some());
    let mut q = sqlx::query_scalar(&text);
    if let Some(r) = row {
        q = q.bind(&r.tableoid).bind(&r.ctid);
    }
    let r = Attempt::from_result(q.fetch_one(&mut *conn).await);
    sql::end_savepoint_for(conn, &r).await?;
    Ok(r)
}

async fn empty_check(
    conn: &mut PgConnection,
    code: &str,
    t: &QualName,
    when: &str,
) -> Result<Check, VerifyError> {
    Ok(match count_in_savepoint(conn, t, None).await? {
        Attempt::Done(0) => Check::proven(code),
        Attempt::Done(n) => {
            Check::failed(code, format!("the service role reads {n} row(s) {when}"))
        }
        Attempt::Refused(e) => Check::failed(
            code,
            format!("reading the table failed: {}", db_message(&e)),
        ),
    })
}

/// Every check of every table, by table, in the order they ran.
pub(super) async fn run_checks(
    admin: &mut PgConnection,
    run: &ProbeRun<'_>,
    privs: &BTreeMap<QualName, Privs>,
    ids: &TenantIds,
    probes: &BTreeMap<QualName, Probes>,
) -> Result<BTreeMap<QualName, Vec<Check>>, VerifyError> {
    let (cfg, svc) = (run.cfg, run.svc);
    let mut out: BTreeMap<QualName, Vec<Check>> = BTreeMap::new();
    let no_select = || format!("service role {svc} has no SELECT");

    // 1. No tenant set at all (this connection never set the setting).
    let preset: Option<String> = sqlx::query_scalar("SELECT current_setting($1, true)")
        .bind(&cfg.setting)
        .fetch_one(&mut *admin)
        .await
        .map_err(qerr("reading the tenant setting"))?;
    for s in run.scoped {
        let code = codes::READS_EMPTY_UNSET;
        let check = if !privs[&s.name].select {
            Check::skipped(code, no_select())
        } else if let Some(v) = preset.as_deref().filter(|v| !v.is_empty()) {
            Check::failed(
                code,
                format!(
                    "{} is already set to {} when no tenant was set (ALTER DATABASE/ROLE ... SET?)",
                    cfg.setting,
                    quote_literal(v)
                ),
            )
        } else {
            empty_check(admin, code, &s.name, "with no tenant set").await?
        };
        out.entry(s.name.clone()).or_default().push(check);
    }
    // 2. An empty setting.
    set_tenant(admin, &cfg.setting, "").await?;
    for s in run.scoped {
        let code = codes::READS_EMPTY_EMPTY;
        let check = if !privs[&s.name].select {
            Check::skipped(code, no_select())
        } else {
            empty_check(admin, code, &s.name, "with an empty tenant setting").await?
        };
        out.entry(s.name.clone()).or_default().push(check);
    }
    // 3. As tenant A.
    set_tenant(admin, &cfg.setting, ids.of(ProbeTenant::A)).await?;
    for s in run.scoped {
        let (Some(p), Some(t)) = (probes.get(&s.name), run.catalog.tables.get(&s.name)) else {
            continue;
        };
        let on = TableProbe {
            s,
            t,
            p,
            privs: privs[&s.name],
            svc,
        };
        let checks = tenant_a_checks(admin, &on, ids).await?;
        out.entry(s.name.clone()).or_default().extend(checks);
    }
    Ok(out)
}

/// One probed table, as tenant A sees it.
struct TableProbe<'a> {
    s: &'a ScopedTable,
    t: &'a Table,
    p: &'a Probes,
    privs: Privs,
    svc: &'a str,
}

impl TableProbe<'_> {
    fn no(&self, what: &str) -> String {
        format!("service role {} has no {what} on {}", self.svc, self.t.name)
    }
}

/// A column an UPDATE may assign to.
fn updatable(c: &&Column) -> bool {
    c.generated.is_none()
        && !c
            .identity
            .as_ref()
            .is_some_and(|i| i.kind == IdentityKind::Always)
}

async fn tenant_a_checks(
    conn: &mut PgConnection,
    on: &TableProbe<'_>,
    ids: &TenantIds,
) -> Result<Vec<Check>, VerifyError> {
    let mut out = select_checks(conn, on).await?;
    out.extend(reach_checks(conn, on).await?);
    out.push(insert_check(conn, on).await?);
    out.push(move_check(conn, on, ids).await?);
    Ok(out)
}

/// SELECT shows A's own row and hides B's.
async fn select_checks(
    conn: &mut PgConnection,
    on: &TableProbe<'_>,
) -> Result<Vec<Check>, VerifyError> {
    if !on.privs.select {
        return Ok(vec![Check::skipped(codes::SELECT_HIDES, on.no("SELECT"))]);
    }
    let name = &on.t.name;
    let own = match count_in_savepoint(conn, name, Some(&on.p.a)).await? {
        Attempt::Done(1) => Check::proven(codes::SELECT_OWN),
        Attempt::Done(_) => Check::failed(
            codes::SELECT_OWN,
            "as tenant A, A's own probe row is not visible; the policy hides a tenant's own rows",
        ),
        Attempt::Refused(e) => Check::failed(codes::SELECT_OWN, db_message(&e)),
    };
    let other = match count_in_savepoint(conn, name, Some(&on.p.b)).await? {
        Attempt::Done(0) => Check::proven(codes::SELECT_HIDES),
        Attempt::Done(_) => Check::failed(
            codes::SELECT_HIDES,
            "as tenant A, SELECT returns tenant B's row",
        ),
        Attempt::Refused(e) => Check::failed(codes::SELECT_HIDES, db_message(&e)),
    };
    Ok(vec![own, other])
}

/// Run `sql` on the row at `$1`/`$2` (then `extra`) in a savepoint that is
/// always rolled back, whatever it did.
async fn undone(
    conn: &mut PgConnection,
    sql: &str,
    row: &ProbeRow,
    extra: Option<&str>,
) -> Result<Attempt<u64>, VerifyError> {
    sql::savepoint(conn).await?;
    let mut q = sqlx::query(sql).bind(&row.tableoid).bind(&row.ctid);
    if let Some(x) = extra {
        q = q.bind(x);
    }
    let r = q.execute(&mut *conn).await.map(|r| r.rows_affected());
    sql::end_savepoint(conn, SavepointEnd::RollBack).await?;
    Ok(Attempt::from_result(r))
}

/// UPDATE and DELETE of B's row reach nothing.
async fn reach_checks(
    conn: &mut PgConnection,
    on: &TableProbe<'_>,
) -> Result<Vec<Check>, VerifyError> {
    let (s, t, privs) = (on.s, on.t, on.privs);
    // A column an UPDATE may assign to itself (the key unless it is
    // GENERATED ALWAYS).
    let touch = t
        .column(&s.key_column)
        .filter(updatable)
        .or_else(|| t.columns.iter().find(updatable))
        .map(|c| quote_ident(&c.name));
    let mut out = Vec::new();
    for (code, allowed, sql, what) in [
        (
            codes::UPDATE_SKIPS,
            privs.update && privs.select && touch.is_some(),
            sql::update_in_place(&t.name, touch.as_deref().unwrap_or_default()),
            "UPDATE",
        ),
        (
            codes::DELETE_SKIPS,
            privs.delete && privs.select,
            sql::delete(&t.name),
            "DELETE",
        ),
    ] {
        if !allowed {
            let can = if what == "UPDATE" {
                privs.update
            } else {
                privs.delete
            };
            out.push(if touch.is_none() && what == "UPDATE" {
                Check::skipped(code, format!("no column of {} can be updated", t.name))
            } else if can {
                // It can write but not read: the probe cannot aim at B's row.
                Check::unproven(code, on.no("SELECT, so its probe cannot reach B's row"))
            } else {
                Check::skipped(code, on.no(what))
            });
            continue;
        }
        out.push(match undone(conn, &sql, &on.p.b, None).await? {
            Attempt::Done(0) => Check::proven(code),
            Attempt::Done(_) => {
                Check::failed(code, format!("as tenant A, {what} reached tenant B's row"))
            }
            Attempt::Refused(e) => {
                Check::failed(code, format!("{what} failed: {}", db_message(&e)))
            }
        });
    }
    Ok(out)
}

/// An INSERT with B's id is rejected.
async fn insert_check(conn: &mut PgConnection, on: &TableProbe<'_>) -> Result<Check, VerifyError> {
    let code = codes::INSERT_REJECTED;
    if !on.privs.insert {
        return Ok(Check::skipped(code, on.no("INSERT")));
    }
    sql::savepoint(conn).await?;
    let r = insert_row(conn, on.t, &on.p.b_values).await?;
    sql::end_savepoint(conn, SavepointEnd::RollBack).await?;
    Ok(match r {
        Attempt::Refused(e) if is_rls_violation(&e) => Check::proven(code),
        Attempt::Refused(e) => Check::unproven(
            code,
            format!(
                "the insert failed for another reason first: {}",
                db_message(&e)
            ),
        ),
        Attempt::Done(_) => {
            Check::failed(code, "as tenant A, inserting a row of tenant B succeeded")
        }
    })
}

/// An UPDATE moving A's row to B is rejected.
async fn move_check(
    conn: &mut PgConnection,
    on: &TableProbe<'_>,
    ids: &TenantIds,
) -> Result<Check, VerifyError> {
    let (s, t) = (on.s, on.t);
    let code = codes::MOVE_REJECTED;
    let key_updatable = t.column(&s.key_column).as_ref().is_some_and(updatable);
    if !key_updatable {
        return Ok(Check::skipped(
            code,
            format!(
                "{} is GENERATED ALWAYS and cannot be updated at all",
                s.key_column
            ),
        ));
    }
    if !on.privs.update {
        return Ok(Check::skipped(code, on.no("UPDATE")));
    }
    if !on.privs.select {
        return Ok(Check::unproven(
            code,
            on.no("SELECT, so its probe cannot reach A's row"),
        ));
    }
    let ty = pgtenant_schema::tenancy::policy_cast_type(&s.key_type);
    let sql = sql::move_to_tenant(&t.name, &s.key_column, &ty);
    let b = Some(ids.of(ProbeTenant::B));
    Ok(match undone(conn, &sql, &on.p.a, b).await? {
        Attempt::Refused(e) if is_rls_violation(&e) => Check::proven(code),
        Attempt::Refused(e) => {
            // The control: the same UPDATE keeping A's tenant. When it is
            // refused the same way, the table refuses this update whatever
            // the tenant (an append-only trigger, say): nothing can move.
            let a = Some(ids.of(ProbeTenant::A));
            let control = undone(conn, &sql, &on.p.a, a).await?;
            match control {
                Attempt::Refused(c) if db_message(&c) == db_message(&e) => Check::skipped(
                    code,
                    format!(
                        "the table refuses this update whatever the tenant: {}",
                        db_message(&e)
                    ),
                ),
                _ => Check::unproven(
                    code,
                    format!(
                        "the update failed for another reason first: {}",
                        db_message(&e)
                    ),
                ),
            }
        }
        Attempt::Done(0) => Check::unproven(code, "A's own probe row was not updatable"),
        Attempt::Done(_) => Check::failed(code, "as tenant A, moving a row to tenant B succeeded"),
    })
}
