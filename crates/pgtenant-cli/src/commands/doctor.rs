//! `pgtenant doctor`: for every database, is everything in place?
//!
//! Checks: the admin connection; the database exists; each login role
//! connects with its manifest password and has the right attributes (a
//! service role is never superuser, never BYPASSRLS, never owns anything,
//! cannot create temporary tables); tables with row counts and RLS state;
//! with tenancy on, every table carrying the tenant column (except global
//! tables) has RLS enabled and forced. With modules: their tables are
//! listed (marked `module`), each self-policed one has RLS enabled and a
//! policy, and the service role holds exactly the privileges the modules'
//! grant files give it. Any failed check makes the exit code 1.

use crate::context::Context;
use crate::db::{self, Login};
use crate::manifest::{Database, RoleKind};
use crate::output::{Report, Table};
use anyhow::{Context as _, Result};
use pgtenant_schema::ident::quote_qualified;
use serde::Serialize;
use sqlx::{Connection, PgConnection, Row};

#[derive(Debug, Clone, Default, clap::Args)]
pub struct DoctorArgs {
    /// Only this database of the manifest.
    #[arg(long, value_name = "NAME")]
    pub db: Option<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Check {
    pub check: String,
    pub ok: bool,
    pub detail: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct TableInfo {
    pub schema: String,
    pub name: String,
    pub rows: i64,
    pub rls_enabled: bool,
    pub rls_forced: bool,
    pub policies: i64,
    /// Carries the tenant column and is not a global table (tenancy on).
    pub tenant_scoped: bool,
    /// A table of the database's modules (in the modules' schema).
    pub module: bool,
}

#[derive(Debug, Clone, Serialize)]
pub struct DatabaseReport {
    pub name: String,
    pub tenancy: bool,
    pub checks: Vec<Check>,
    pub tables: Vec<TableInfo>,
}

impl DatabaseReport {
    fn check(&mut self, check: impl Into<String>, ok: bool, detail: impl Into<String>) {
        self.checks.push(Check {
            check: check.into(),
            ok,
            detail: detail.into(),
        });
    }
}

pub async fn run(ctx: &Context, args: &DoctorArgs) -> Result<Report> {
    let manifest = ctx.manifest()?;
    let admin = ctx.admin_url()?;
    let databases = manifest.select(args.db.as_deref())?;
    let mut conn = db::connect(&admin.url, None, None).await?;
    let version: String = sqlx::query_scalar("SHOW server_version")
        .fetch_one(&mut conn)
        .await?;
    let mut reports = Vec::new();
    for database in databases {
        ctx.detail(format_args!("database {}", database.name));
        reports.push(examine(&mut conn, &admin.url, database).await?);
    }
    let _ = conn.close().await;

    let failed: usize = reports
        .iter()
        .map(|r| r.checks.iter().filter(|c| !c.ok).count())
        .sum();
    let mut human = format!("PostgreSQL {version} at {}\n", admin.masked());
    for r in &reports {
        human.push_str(&format!(
            "\ndatabase {} (tenancy {})\n",
            r.name,
            if r.tenancy { "on" } else { "off" }
        ));
        for c in &r.checks {
            let mark = if c.ok { "ok  " } else { "FAIL" };
            human.push_str(&format!("  {mark}  {}: {}\n", c.check, c.detail));
        }
        if !r.tables.is_empty() {
            let mut t = Table::new(["table", "rows", "rls", "policies", "tenant"]);
            for ti in &r.tables {
                let rls = match (ti.rls_enabled, ti.rls_forced) {
                    (true, true) => "forced",
                    (true, false) => "enabled",
                    _ => "off",
                };
                t.row([
                    format!("{}.{}", ti.schema, ti.name),
                    ti.rows.to_string(),
                    rls.to_owned(),
                    ti.policies.to_string(),
                    if ti.module {
                        "module"
                    } else if ti.tenant_scoped {
                        "yes"
                    } else {
                        "no"
                    }
                    .to_owned(),
                ]);
            }
            human.push('\n');
            human.push_str(&t.render(2));
        }
    }
    human.push_str(&if failed == 0 {
        "\ndoctor: all checks passed".to_owned()
    } else {
        format!(
            "\ndoctor: {failed} check{} failed",
            if failed == 1 { "" } else { "s" }
        )
    });
    let report = Report::ok(
        serde_json::json!({
            "command": "doctor",
            "server": { "url": admin.masked(), "url_source": admin.source, "version": version },
            "failed_checks": failed,
            "databases": reports,
        }),
        human,
    );
    Ok(if failed == 0 {
        report
    } else {
        report.with_status(crate::error::ExitStatus::Failed)
    })
}

async fn examine(
    conn: &mut PgConnection,
    admin_url: &str,
    database: &Database,
) -> Result<DatabaseReport> {
    let mut report = DatabaseReport {
        name: database.name.clone(),
        tenancy: database.tenancy.is_some(),
        checks: Vec::new(),
        tables: Vec::new(),
    };
    let owner: Option<String> = sqlx::query_scalar(
        "SELECT pg_get_userbyid(datdba)::text FROM pg_database WHERE datname = $1",
    )
    .bind(&database.name)
    .fetch_optional(&mut *conn)
    .await?;
    let Some(owner) = owner else {
        report.check(
            "database exists",
            false,
            "missing; run `pgtenant bootstrap`",
        );
        return Ok(report);
    };
    let mut dbconn = match db::connect(admin_url, Some(&database.name), None).await {
        Ok(c) => {
            report.check(
                "admin connection",
                true,
                format!("database owned by {owner}"),
            );
            c
        }
        Err(e) => {
            report.check("admin connection", false, format!("{e:#}"));
            return Ok(report);
        }
    };
    for (kind, role) in database.roles() {
        let label = match kind {
            RoleKind::Service => format!("service role {}", role.name),
            RoleKind::Superadmin => format!("superadmin role {}", role.name),
        };
        let login = Login {
            user: &role.name,
            password: role.password.expose(),
        };
        match db::connect(admin_url, Some(&database.name), Some(login)).await {
            Ok(mut c) => {
                let _ = sqlx::query("SELECT 1").execute(&mut c).await;
                let _ = c.close().await;
                let problems = role_problems(&mut dbconn, kind, &role.name, &database.name).await?;
                if problems.is_empty() {
                    let attrs = match kind {
                        RoleKind::Service => "connects; not superuser, NOBYPASSRLS, owns nothing",
                        RoleKind::Superadmin => "connects; BYPASSRLS, not superuser, owns nothing",
                    };
                    report.check(label, true, attrs);
                } else {
                    report.check(label, false, problems.join("; "));
                }
            }
            Err(e) => report.check(label, false, format!("{e:#}")),
        }
    }
    report.tables = tables(&mut dbconn, database).await?;
    if database.tenancy.is_some() {
        let unprotected: Vec<String> = report
            .tables
            .iter()
            .filter(|t| t.tenant_scoped && !(t.rls_enabled && t.rls_forced && t.policies > 0))
            .map(|t| format!("{}.{}", t.schema, t.name))
            .collect();
        let scoped = report.tables.iter().filter(|t| t.tenant_scoped).count();
        if unprotected.is_empty() {
            report.check(
                "tenant isolation",
                true,
                format!("{scoped} tenant table(s) with forced RLS and a policy"),
            );
        } else {
            report.check(
                "tenant isolation",
                false,
                format!(
                    "without forced RLS or a policy: {}; apply the tenancy migration (`pgtenant up`)",
                    unprotected.join(", ")
                ),
            );
        }
    }
    if !database.modules.is_empty() {
        module_checks(&mut dbconn, database, &mut report).await?;
    }
    let _ = dbconn.close().await;
    Ok(report)
}

/// The modules' tables and the service role's privileges on them
/// ([`crate::modules::problems`]), one check.
async fn module_checks(
    conn: &mut PgConnection,
    database: &Database,
    report: &mut DatabaseReport,
) -> Result<()> {
    let names: Vec<&str> = crate::modules::of(database)?
        .iter()
        .map(|m| m.name)
        .collect();
    let label = format!("modules {}", names.join(", "));
    let problems = crate::modules::problems(conn, database).await?;
    if problems.is_empty() {
        let tables = report.tables.iter().filter(|t| t.module).count();
        report.check(
            label,
            true,
            format!(
                "{tables} table(s) in schema {}, each tenant one under its own policies; the service role holds exactly the modules' privileges",
                database.module_schema
            ),
        );
    } else {
        report.check(label, false, problems.join("; "));
    }
    Ok(())
}

/// What is wrong with a login role (empty: nothing).
async fn role_problems(
    conn: &mut PgConnection,
    kind: RoleKind,
    role: &str,
    database: &str,
) -> Result<Vec<String>> {
    let row = sqlx::query(
        "SELECT r.rolsuper, r.rolbypassrls, r.rolcreaterole, r.rolcreatedb,
           (SELECT count(*) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
             WHERE c.relowner = r.oid AND n.nspname NOT LIKE 'pg\\_%' AND n.nspname <> 'information_schema') AS owned_relations,
           (SELECT count(*) FROM pg_namespace n WHERE n.nspowner = r.oid) AS owned_schemas,
           (SELECT count(*) FROM pg_database d WHERE d.datdba = r.oid AND d.datname = $2) AS owned_databases,
           has_database_privilege(r.oid, $2, 'TEMPORARY') AS can_temp
         FROM pg_roles r WHERE r.rolname = $1",
    )
    .bind(role)
    .bind(database)
    .fetch_optional(&mut *conn)
    .await
    .context("reading pg_roles")?;
    let Some(row) = row else {
        return Ok(vec![
            "role does not exist; run `pgtenant bootstrap`".to_owned()
        ]);
    };
    let mut problems = Vec::new();
    if row.get::<bool, _>("rolsuper") {
        problems.push("is SUPERUSER".to_owned());
    }
    let bypass: bool = row.get("rolbypassrls");
    match kind {
        RoleKind::Service if bypass => problems.push("has BYPASSRLS".to_owned()),
        RoleKind::Superadmin if !bypass => problems.push("lacks BYPASSRLS".to_owned()),
        _ => {}
    }
    if row.get::<bool, _>("rolcreaterole") {
        problems.push("has CREATEROLE".to_owned());
    }
    if row.get::<bool, _>("rolcreatedb") {
        problems.push("has CREATEDB".to_owned());
    }
    for (col, what) in [
        ("owned_relations", "tables/sequences/views"),
        ("owned_schemas", "schemas"),
        ("owned_databases", "the database"),
    ] {
        let n: i64 = row.get(col);
        if n > 0 {
            problems.push(format!("owns {what} ({n})"));
        }
    }
    if row.get::<bool, _>("can_temp") {
        problems.push(
            "can create temporary tables in the database (TEMPORARY, often through PUBLIC); \
             run `pgtenant bootstrap` to revoke it"
                .to_owned(),
        );
    }
    // The library's query: the same memberships TenantDb::from_pool refuses.
    let member_of = pgtenant::roles::role_info(&mut *conn, Some(role))
        .await
        .context("reading role memberships")?
        .map(|info| info.member_of)
        .unwrap_or_default();
    if !member_of.is_empty() {
        problems.push(format!("is a member of {}", member_of.join(", ")));
    }
    Ok(problems)
}

async fn tables(conn: &mut PgConnection, database: &Database) -> Result<Vec<TableInfo>> {
    let column = database
        .tenancy
        .as_ref()
        .map(|t| t.column.clone())
        .unwrap_or_default();
    // The modules' schema is listed when the database has modules (without
    // the journal's own tables, which share the default one).
    let module_schema = (!database.modules.is_empty()).then_some(database.module_schema.as_str());
    let rows = sqlx::query(
        "SELECT n.nspname::text AS schema, c.relname::text AS name, c.relrowsecurity, c.relforcerowsecurity,
           (SELECT count(*) FROM pg_policy p WHERE p.polrelid = c.oid) AS policies,
           EXISTS (SELECT 1 FROM pg_attribute a WHERE a.attrelid = c.oid AND a.attname = $1
                   AND a.attnum > 0 AND NOT a.attisdropped) AS has_column,
           n.nspname = $2 AS module
         FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
         WHERE c.relkind IN ('r', 'p') AND NOT c.relispartition
           AND n.nspname NOT LIKE 'pg\\_%' AND n.nspname <> 'information_schema'
           AND (n.nspname <> 'pgtenant'
                OR ($2 = 'pgtenant' AND c.relname NOT IN ('migrations', 'seeds', 'migrate_lock')))
         ORDER BY 1, 2",
    )
    .bind(&column)
    .bind(module_schema)
    .fetch_all(&mut *conn)
    .await
    .context("listing tables")?;
    let mut out = Vec::new();
    for row in rows {
        let schema: String = row.get("schema");
        let name: String = row.get("name");
        let rows: i64 = sqlx::query_scalar(&format!(
            "SELECT count(*) FROM {}",
            quote_qualified(&schema, &name)
        ))
        .fetch_one(&mut *conn)
        .await
        .with_context(|| format!("counting rows of {schema}.{name}"))?;
        let module: bool = row.get::<Option<bool>, _>("module").unwrap_or(false);
        let tenant_scoped = match &database.tenancy {
            Some(_) if module => false,
            Some(t) => {
                let qualified = format!("{schema}.{name}");
                row.get::<bool, _>("has_column")
                    && !t
                        .global_tables
                        .iter()
                        .any(|g| *g == name || *g == qualified)
            }
            None => false,
        };
        out.push(TableInfo {
            schema,
            name,
            rows,
            rls_enabled: row.get("relrowsecurity"),
            rls_forced: row.get("relforcerowsecurity"),
            policies: row.get("policies"),
            tenant_scoped,
            module,
        });
    }
    Ok(out)
}
