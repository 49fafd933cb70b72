//! `pgtenant soft-delete restore|purge`: the rows that `soft_delete` tables
//! keep. Both run as the admin, in one transaction each.
//!
//! - `restore` brings one row of one tenant back: the tenant setting and
//!   `pgtenant.include_deleted` are set for the transaction, so it works
//!   for an owner under forced row-level security as for a superuser.
//! - `purge` removes rows deleted longer ago than `--older-than`, in every
//!   tenant: it needs an admin that bypasses row-level security (the
//!   soft-delete trigger removes rows only for such a role, with
//!   `pgtenant.hard_delete` on). Without `--yes` it prints the counts and
//!   exits 2, changing nothing.

use crate::context::Context;
use crate::db;
use crate::error::{usage, ExitStatus};
use crate::manifest::{Database, Listed};
use crate::output::{Report, Table};
use anyhow::{Context as _, Result};
use pgtenant_schema::ident::{quote_ident, quote_literal};
use pgtenant_schema::model::QualName;
use pgtenant_schema::tenancy::{DELETED_AT, HARD_DELETE_SETTING, INCLUDE_DELETED_SETTING};
use sqlx::{Connection, PgConnection};

#[derive(Debug, Clone, clap::Args)]
pub struct SoftDeleteArgs {
    #[command(subcommand)]
    pub action: Action,
}

#[derive(Debug, Clone, clap::Subcommand)]
pub enum Action {
    /// Bring one soft-deleted row of a tenant back.
    Restore {
        /// The database (needed when several list the table).
        #[arg(long, value_name = "NAME")]
        db: Option<String>,
        /// A table of the database's `soft_delete` list.
        #[arg(long, value_name = "TABLE")]
        table: String,
        #[arg(long, value_name = "ID")]
        tenant: String,
        /// The row's primary key besides the tenant column.
        #[arg(long, value_name = "VALUE")]
        id: String,
    },
    /// Remove rows soft-deleted longer ago than --older-than, in every
    /// tenant.
    Purge {
        #[arg(long, value_name = "NAME")]
        db: Option<String>,
        /// Only this table (default: every `soft_delete` table).
        #[arg(long, value_name = "TABLE")]
        table: Option<String>,
        /// How long a row stays restorable: a whole number and s, min, h,
        /// d or w (30d).
        #[arg(long, value_name = "SPAN")]
        older_than: String,
        /// Remove them; without it, only count (exit 2).
        #[arg(long)]
        yes: bool,
    },
}

pub async fn run(ctx: &Context, args: &SoftDeleteArgs) -> Result<Report> {
    match &args.action {
        Action::Restore {
            db,
            table,
            tenant,
            id,
        } => restore(ctx, db.as_deref(), table, tenant, id).await,
        Action::Purge {
            db,
            table,
            older_than,
            yes,
        } => purge(ctx, db.as_deref(), table.as_deref(), older_than, *yes).await,
    }
}

/// `name` as a manifest table name.
fn parse_table(name: &str) -> Result<QualName> {
    pgtenant_schema::tenancy::TenancyRules::parse_table_name(name)
        .map_err(|e| usage(format!("--table: {e}")))
}

/// The databases `--db` selects that list `table` (or any table) in
/// `soft_delete`; none is an error naming what is listed.
fn databases<'a>(
    all: Vec<&'a Database>,
    table: Option<&QualName>,
) -> Result<Vec<(&'a Database, Vec<&'a Listed>)>> {
    let picked: Vec<(&Database, Vec<&Listed>)> = all
        .iter()
        .map(|d| {
            let tables = d
                .soft_delete
                .iter()
                .filter(|l| table.is_none_or(|t| &l.table == t))
                .collect::<Vec<_>>();
            (*d, tables)
        })
        .filter(|(_, t)| !t.is_empty())
        .collect();
    if picked.is_empty() {
        let listed: Vec<String> = all
            .iter()
            .flat_map(|d| {
                d.soft_delete
                    .iter()
                    .map(move |l| format!("{} in {}", l.table, d.name))
            })
            .collect();
        let what = match table {
            Some(t) => format!("table {t} is not in soft_delete of the selected database(s)"),
            None => "no selected database lists soft_delete tables".to_owned(),
        };
        return Err(usage(if listed.is_empty() {
            format!("{what}; add soft_delete = [\"<table>\"] to the database in the manifest")
        } else {
            format!("{what}; listed: {}", listed.join(", "))
        }));
    }
    Ok(picked)
}

/// The primary key columns of `table` and their types, in key order.
async fn primary_key(conn: &mut PgConnection, table: &QualName) -> Result<Vec<(String, String)>> {
    let cols: Vec<(String, String)> = sqlx::query_as(
        "SELECT a.attname::text, format_type(a.atttypid, a.atttypmod)
           FROM pg_index i
           JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = ANY (i.indkey)
          WHERE i.indrelid = to_regclass($1) AND i.indisprimary
          ORDER BY array_position(i.indkey::int2[], a.attnum)",
    )
    .bind(table.sql())
    .fetch_all(&mut *conn)
    .await?;
    if cols.is_empty() {
        return Err(usage(format!(
            "table {table} has no primary key here; run `pgtenant migrate` first"
        )));
    }
    Ok(cols)
}

async fn restore(
    ctx: &Context,
    db: Option<&str>,
    table: &str,
    tenant: &str,
    id: &str,
) -> Result<Report> {
    let manifest = ctx.manifest()?;
    let table = parse_table(table)?;
    let picked = databases(manifest.select(db)?, Some(&table))?;
    let [(database, _)] = picked.as_slice() else {
        let names: Vec<&str> = picked.iter().map(|(d, _)| d.name.as_str()).collect();
        return Err(usage(format!(
            "table {table} is a soft_delete table of {}; pick one with --db",
            names.join(" and ")
        )));
    };
    let tenancy = database
        .tenancy
        .as_ref()
        .context("a soft_delete database has tenancy")?;
    let admin = ctx.admin_url()?;
    let mut conn = db::connect(&admin.url, Some(&database.name), None).await?;
    let key = primary_key(&mut conn, &table).await?;
    let tenant_type: String = sqlx::query_scalar(
        "SELECT format_type(atttypid, atttypmod) FROM pg_attribute
          WHERE attrelid = to_regclass($1) AND attname = $2 AND NOT attisdropped",
    )
    .bind(table.sql())
    .bind(&tenancy.column)
    .fetch_optional(&mut conn)
    .await?
    .ok_or_else(|| {
        usage(format!(
            "table {table} has no column {} here; run `pgtenant migrate` first",
            tenancy.column
        ))
    })?;
    let rest: Vec<&(String, String)> = key.iter().filter(|(c, _)| *c != tenancy.column).collect();
    let [(id_column, id_type)] = rest.as_slice() else {
        let cols: Vec<&str> = key.iter().map(|(c, _)| c.as_str()).collect();
        return Err(usage(format!(
            "restore --id needs a primary key of one column besides {}; {table} has ({})",
            tenancy.column,
            cols.join(", ")
        )));
    };
    let mut tx = conn.begin().await?;
    sqlx::raw_sql(&format!(
        "SET LOCAL {} = 'on'",
        pgtenant_schema::ident::quote_setting(INCLUDE_DELETED_SETTING)
    ))
    .execute(&mut *tx)
    .await?;
    sqlx::query("SELECT set_config($1, $2, true)")
        .bind(&tenancy.setting)
        .bind(tenant)
        .execute(&mut *tx)
        .await?;
    let sql = format!(
        "UPDATE {t} SET {d} = NULL
          WHERE {tc} = $1::{tenant_type} AND {ic} = $2::{id_type} AND {d} IS NOT NULL
         RETURNING {d}",
        t = table.sql(),
        d = quote_ident(DELETED_AT),
        tc = quote_ident(&tenancy.column),
        ic = quote_ident(id_column),
    );
    let restored = sqlx::query(&sql)
        .bind(tenant)
        .bind(id)
        .execute(&mut *tx)
        .await
        .map_err(|e| match e.as_database_error() {
            Some(d) if d.code().as_deref() == Some("22P02") => usage(format!(
                "--tenant {tenant:?} or --id {id:?} is not a value of its column: {}",
                d.message()
            )),
            _ => anyhow::Error::from(e).context(format!("restoring a row of {table}")),
        })?;
    if restored.rows_affected() == 0 {
        return Err(usage(format!(
            "no soft-deleted row {id_column} = {} of tenant {} in {table} of database {}; \
             it is not deleted, or does not exist",
            quote_literal(id),
            quote_literal(tenant),
            database.name
        )));
    }
    tx.commit().await?;
    let line = format!(
        "restored {table} {id_column} = {} of tenant {} in database {}",
        quote_literal(id),
        quote_literal(tenant),
        database.name
    );
    Ok(Report::ok(
        serde_json::json!({
            "command": "soft-delete restore",
            "database": database.name,
            "table": table.to_string(),
            "tenant": tenant,
            "id": id,
        }),
        line,
    ))
}

async fn purge(
    ctx: &Context,
    db: Option<&str>,
    table: Option<&str>,
    older_than: &str,
    yes: bool,
) -> Result<Report> {
    let seconds = crate::commands::flags::span_seconds(older_than).ok_or_else(|| {
        usage(format!(
            "--older-than {older_than:?} is not a span: a whole number and s, min, h, d or w, e.g. 30d"
        ))
    })?;
    let manifest = ctx.manifest()?;
    let table = table.map(parse_table).transpose()?;
    let picked = databases(manifest.select(db)?, table.as_ref())?;
    let admin = ctx.admin_url()?;
    let mut results = Vec::new();
    let mut grid = Table::new(["database", "table", "rows"]);
    let mut total = 0i64;
    for (database, tables) in &picked {
        let mut conn = db::connect(&admin.url, Some(&database.name), None).await?;
        let (role, bypasses): (String, bool) = sqlx::query_as(
            "SELECT rolname::text, rolsuper OR rolbypassrls FROM pg_roles WHERE rolname = current_user",
        )
        .fetch_one(&mut conn)
        .await?;
        if !bypasses {
            return Err(usage(format!(
                "purge removes every tenant's rows, so it needs an admin that bypasses row level \
                 security (superuser or BYPASSRLS); {role} does not"
            )));
        }
        let mut tx = conn.begin().await?;
        sqlx::raw_sql(&format!(
            "SET LOCAL {} = 'on'",
            pgtenant_schema::ident::quote_setting(HARD_DELETE_SETTING)
        ))
        .execute(&mut *tx)
        .await?;
        for l in tables {
            let cond = format!(
                "{d} < now() - $1 * interval '1 second'",
                d = quote_ident(DELETED_AT)
            );
            let n: i64 = if yes {
                sqlx::query(&format!("DELETE FROM {} WHERE {cond}", l.table.sql()))
                    .bind(seconds as f64)
                    .execute(&mut *tx)
                    .await
                    .with_context(|| format!("purging {} of database {}", l.table, database.name))?
                    .rows_affected() as i64
            } else {
                sqlx::query_scalar(&format!(
                    "SELECT count(*) FROM {} WHERE {cond}",
                    l.table.sql()
                ))
                .bind(seconds as f64)
                .fetch_one(&mut *tx)
                .await
                .with_context(|| format!("counting {} of database {}", l.table, database.name))?
            };
            total += n;
            grid.row([database.name.clone(), l.table.to_string(), n.to_string()]);
            results.push(serde_json::json!({
                "database": database.name,
                "table": l.table.to_string(),
                "rows": n,
            }));
        }
        if yes {
            tx.commit().await?;
        }
    }
    let human = if yes {
        format!(
            "{}\npurged {total} row(s) soft-deleted more than {older_than} ago",
            grid.render(0)
        )
    } else {
        format!(
            "{}\n{total} row(s) soft-deleted more than {older_than} ago would be removed; run again with --yes",
            grid.render(0)
        )
    };
    let report = Report::ok(
        serde_json::json!({
            "command": "soft-delete purge",
            "older_than": older_than,
            "purged": yes,
            "tables": results,
        }),
        human,
    );
    Ok(if yes {
        report
    } else {
        report.with_status(ExitStatus::Usage)
    })
}
