//! Over real login connections of the service role: a fresh connection
//! carries no tenant, and after a committed transaction the same pooled
//! connection carries none either.

use super::report::{codes, Check};
use super::{qerr, VerifyError, VerifyTarget};
use pgtenant_schema::ident::quote_literal;
use pgtenant_schema::model::Catalog;
use pgtenant_schema::tenancy::{ScopedTable, TenancyRules};
use sqlx::postgres::PgPoolOptions;
use sqlx::ConnectOptions;

pub(super) async fn login_checks(
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
        .map_err(connect_err(&svc))?;
    let mut out = Vec::new();
    let setting_sql = "SELECT current_setting($1, true), pg_backend_pid()";

    // A fresh login: no tenant, every readable tenant table empty.
    let mut conn = pool.acquire().await.map_err(connect_err(&svc))?;
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
            // A table in a schema the role cannot use has no regclass for it:
            // not readable (and reported as unproven by the probes).
            sqlx::query_scalar(
                "SELECT coalesce(has_schema_privilege($2, 'USAGE') \
                 AND has_any_column_privilege(to_regclass($1), 'SELECT'), false)",
            )
                .bind(s.name.sql())
                .bind(&s.name.schema)
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
    let mut conn = pool.acquire().await.map_err(connect_err(&svc))?;
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

/// The error of a failed service-role connection or checkout.
fn connect_err(svc: &str) -> impl FnOnce(sqlx::Error) -> VerifyError + '_ {
    move |source| VerifyError::ServiceConnect {
        role: svc.to_owned(),
        source,
    }
}
