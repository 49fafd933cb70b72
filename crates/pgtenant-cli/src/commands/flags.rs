//! `pgtenant flags list|set|unset`: the flags module's definitions and a
//! tenant's overrides, read and written as the admin. The effective value
//! comes from the module's own `flag_values()` (what `flag_enabled()` and
//! policies see); writes are one transaction each, and the module's
//! triggers bump `flags_version`, so every `FlagCache` reloads.

use crate::context::Context;
use crate::db;
use crate::error::usage;
use crate::manifest::Database;
use crate::modules;
use crate::output::{Report, Table};
use anyhow::{Context as _, Result};
use chrono::{DateTime, SecondsFormat, Utc};
use pgtenant_schema::ident::{quote_ident, quote_qualified};
use sqlx::{Connection, PgConnection};

#[derive(Debug, Clone, clap::Args)]
pub struct FlagsArgs {
    #[command(subcommand)]
    pub action: Action,
}

#[derive(Debug, Clone, clap::Subcommand)]
pub enum Action {
    /// Definitions, defaults and minimum plans; with --tenant, the value in
    /// force for that tenant and why (override, plan or default).
    List {
        /// The database (needed when several use the flags module).
        #[arg(long, value_name = "NAME")]
        db: Option<String>,
        #[arg(long, value_name = "ID")]
        tenant: Option<String>,
    },
    /// Override a flag for one tenant.
    Set {
        #[arg(long, value_name = "NAME")]
        db: Option<String>,
        #[arg(long, value_name = "ID")]
        tenant: String,
        /// The flag's key, e.g. billing.v2.
        key: String,
        value: OnOff,
        /// When the override ends: an RFC 3339 time (2026-12-31T00:00:00Z)
        /// or a duration from now (90s, 30min, 12h, 7d, 2w).
        #[arg(long, value_name = "WHEN")]
        expires: Option<String>,
    },
    /// Remove a tenant's override of a flag.
    Unset {
        #[arg(long, value_name = "NAME")]
        db: Option<String>,
        #[arg(long, value_name = "ID")]
        tenant: String,
        key: String,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum OnOff {
    On,
    Off,
}

fn on_off(v: bool) -> &'static str {
    if v {
        "on"
    } else {
        "off"
    }
}

fn time_text(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Secs, true)
}

/// `<n><unit>` (s, min, h, d, w) in seconds; `None` for anything else or
/// an overflow.
pub(crate) fn span_seconds(text: &str) -> Option<i64> {
    let digits = text.bytes().take_while(u8::is_ascii_digit).count();
    let n: i64 = text[..digits].parse().ok()?;
    match &text[digits..] {
        "s" => Some(n),
        "min" => n.checked_mul(60),
        "h" => n.checked_mul(3600),
        "d" => n.checked_mul(86_400),
        "w" => n.checked_mul(604_800),
        _ => None,
    }
}

/// `--expires`: an RFC 3339 time, or `<n><unit>` from `now` (s, min, h,
/// d, w).
fn expiry(text: &str, now: DateTime<Utc>) -> Result<DateTime<Utc>> {
    let bad = || {
        usage(format!(
            "--expires {text:?} is neither an RFC 3339 time (2026-12-31T00:00:00Z) nor a \
             duration (a whole number and s, min, h, d or w, e.g. 7d)"
        ))
    };
    let at = if let Ok(t) = DateTime::parse_from_rfc3339(text) {
        t.with_timezone(&Utc)
    } else {
        let seconds = span_seconds(text).ok_or_else(bad)?;
        chrono::TimeDelta::try_seconds(seconds)
            .and_then(|d| now.checked_add_signed(d))
            .ok_or_else(bad)?
    };
    if at <= now {
        return Err(usage(format!(
            "--expires {text:?} is not in the future (now is {}); give a later time, or use \
             `pgtenant flags unset` to remove the override",
            time_text(now)
        )));
    }
    Ok(at)
}

/// The database, an admin connection to it, and the canonical `--tenant`.
struct Target<'a> {
    db: &'a Database,
    conn: PgConnection,
    s: String,
    t: String,
}

async fn open<'a>(ctx: &Context, db: &'a Database) -> Result<Target<'a>> {
    let admin = ctx.admin_url()?;
    let conn = db::connect(&admin.url, Some(&db.name), None).await?;
    Ok(Target {
        db,
        conn,
        s: quote_ident(&db.module_schema),
        t: quote_ident(modules::tenant_column(db)),
    })
}

impl Target<'_> {
    /// `raw` checked against the tenant key type and looked up in the
    /// tenants table the module's overrides reference.
    async fn tenant(&mut self, raw: &str) -> Result<(String, String)> {
        let column = modules::tenant_column(self.db);
        let key = modules::live_key_type(&mut self.conn, self.db, "flag_overrides", column).await?;
        let tenant = key
            .canonical(raw)
            .map_err(|why| usage(format!("--tenant {raw:?}: {why}")))?;
        let (schema, table, key_column): (String, String, String) = sqlx::query_as(
            "SELECT n.nspname::text, c.relname::text, a.attname::text
               FROM pg_constraint k
               JOIN pg_class c ON c.oid = k.confrelid
               JOIN pg_namespace n ON n.oid = c.relnamespace
               JOIN pg_attribute a ON a.attrelid = k.confrelid AND a.attnum = k.confkey[1]
              WHERE k.contype = 'f' AND k.conrelid = to_regclass(format('%I.flag_overrides', $1::text))
                AND k.confrelid <> to_regclass(format('%I.flags', $1::text))",
        )
        .bind(&self.db.module_schema)
        .fetch_one(&mut self.conn)
        .await
        .context("finding the tenants table of the flags module")?;
        let exists: bool = sqlx::query_scalar(&format!(
            "SELECT EXISTS (SELECT 1 FROM {} WHERE {}::text = $1)",
            quote_qualified(&schema, &table),
            quote_ident(&key_column)
        ))
        .bind(&tenant)
        .fetch_one(&mut self.conn)
        .await?;
        if !exists {
            return Err(usage(format!(
                "tenant {tenant} does not exist in {schema}.{table}; check the id, or create the tenant first"
            )));
        }
        Ok((tenant, key.sql_type()))
    }

    /// Refuse a key the flags table does not define.
    async fn known_key(&mut self, key: &str) -> Result<()> {
        let known: bool = sqlx::query_scalar(&format!(
            "SELECT EXISTS (SELECT 1 FROM {}.flags WHERE key = $1)",
            self.s
        ))
        .bind(key)
        .fetch_one(&mut self.conn)
        .await?;
        if known {
            Ok(())
        } else {
            Err(usage(format!(
                "unknown feature flag {key:?} in database {}; define it in {}.flags first \
                 (`pgtenant flags list` shows the defined ones)",
                self.db.name, self.db.module_schema
            )))
        }
    }
}

pub async fn run(ctx: &Context, args: &FlagsArgs) -> Result<Report> {
    let db_flag = match &args.action {
        Action::List { db, .. } | Action::Set { db, .. } | Action::Unset { db, .. } => db,
    };
    let manifest = ctx.manifest()?;
    let database = modules::pick(&manifest.select(db_flag.as_deref())?, "flags")?;
    let mut target = open(ctx, database).await?;
    let report = match &args.action {
        Action::List { tenant, .. } => list(&mut target, tenant.as_deref()).await?,
        Action::Set {
            tenant,
            key,
            value,
            expires,
            ..
        } => set(&mut target, tenant, key, *value, expires.as_deref()).await?,
        Action::Unset { tenant, key, .. } => unset(&mut target, tenant, key).await?,
    };
    let _ = target.conn.close().await;
    Ok(report)
}

#[derive(Debug, sqlx::FromRow)]
struct Row {
    key: String,
    description: String,
    default_enabled: bool,
    min_plan: Option<String>,
    value: Option<bool>,
    override_enabled: Option<bool>,
    override_expires: Option<DateTime<Utc>>,
    tenant_plan: Option<String>,
}

impl Row {
    /// Why the value is what it is: the module's order, override > plan
    /// minimum > default.
    fn why(&self) -> String {
        match (self.override_enabled, self.override_expires, &self.min_plan) {
            (Some(_), None, _) => "override".to_owned(),
            (Some(_), Some(t), _) => format!("override until {}", time_text(t)),
            (None, _, Some(min)) => match &self.tenant_plan {
                Some(plan) => format!("plan {plan} (minimum {min})"),
                None => format!("plan: none (minimum {min})"),
            },
            (None, _, None) => "default".to_owned(),
        }
    }
}

async fn list(target: &mut Target<'_>, tenant: Option<&str>) -> Result<Report> {
    let tenant = match tenant {
        Some(t) => Some(target.tenant(t).await?.0),
        None => None,
    };
    let setting = target
        .db
        .tenancy
        .as_ref()
        .map_or("app.tenant_id", |t| t.setting.as_str());
    let (s, t) = (&target.s, &target.t);
    let mut tx = target.conn.begin().await?;
    sqlx::query("SELECT set_config($1, coalesce($2, ''), true)")
        .bind(setting)
        .bind(&tenant)
        .execute(&mut *tx)
        .await?;
    let rows: Vec<Row> = sqlx::query_as(&format!(
        "SELECT f.key, f.description, f.default_enabled, f.min_plan, v.enabled AS value,
                o.enabled AS override_enabled, o.expires_at AS override_expires,
                tp.plan AS tenant_plan
           FROM {s}.flags f
           LEFT JOIN {s}.flag_values() v ON v.key = f.key
           LEFT JOIN {s}.flag_overrides o ON o.flag_key = f.key AND o.{t}::text = $1
                 AND (o.expires_at IS NULL OR o.expires_at > now())
           LEFT JOIN {s}.tenant_plans tp ON tp.{t}::text = $1
          ORDER BY f.key"
    ))
    .bind(&tenant)
    .fetch_all(&mut *tx)
    .await
    .context("reading the flags")?;
    tx.rollback().await?;
    let name = &target.db.name;
    let count = format!(
        "{} flag{}",
        rows.len(),
        if rows.len() == 1 { "" } else { "s" }
    );
    let mut human = match &tenant {
        None => format!("{name}: {count}"),
        Some(id) => {
            let plan = rows
                .first()
                .and_then(|r| r.tenant_plan.clone())
                .unwrap_or_else(|| "none".to_owned());
            format!("{name}: {count} for tenant {id} (plan {plan})")
        }
    };
    let mut table = match tenant {
        None => Table::new(["key", "default", "min plan", "description"]),
        Some(_) => Table::new(["key", "value", "why", "default", "min plan", "description"]),
    };
    let mut json = Vec::new();
    for r in &rows {
        let min = r.min_plan.clone().unwrap_or_else(|| "-".to_owned());
        let default = on_off(r.default_enabled).to_owned();
        match tenant {
            None => table.row([r.key.clone(), default, min, r.description.clone()]),
            Some(_) => table.row([
                r.key.clone(),
                on_off(r.value.unwrap_or(false)).to_owned(),
                r.why(),
                default,
                min,
                r.description.clone(),
            ]),
        }
        json.push(serde_json::json!({
            "key": r.key, "description": r.description, "default": r.default_enabled,
            "min_plan": r.min_plan,
            "value": tenant.as_ref().and(r.value), "why": tenant.as_ref().map(|_| r.why()),
        }));
    }
    if !table.is_empty() {
        human.push('\n');
        human.push_str(&table.render(2));
    }
    Ok(Report::ok(
        serde_json::json!({ "command": "flags list", "database": name, "tenant": tenant, "flags": json }),
        human,
    ))
}

async fn version(conn: &mut PgConnection, s: &str) -> Result<i64> {
    Ok(
        sqlx::query_scalar(&format!("SELECT version FROM {s}.flags_version"))
            .fetch_one(conn)
            .await?,
    )
}

async fn set(
    target: &mut Target<'_>,
    tenant: &str,
    key: &str,
    value: OnOff,
    expires: Option<&str>,
) -> Result<Report> {
    let on = value == OnOff::On;
    let (tenant, ty) = target.tenant(tenant).await?;
    target.known_key(key).await?;
    let now: DateTime<Utc> = sqlx::query_scalar("SELECT now()")
        .fetch_one(&mut target.conn)
        .await?;
    let expires = expires.map(|e| expiry(e, now)).transpose()?;
    let (s, t) = (&target.s, &target.t);
    let mut tx = target.conn.begin().await?;
    sqlx::query(&format!(
        "INSERT INTO {s}.flag_overrides ({t}, flag_key, enabled, expires_at)
         VALUES ($1::text::{ty}, $2, $3, $4)
         ON CONFLICT ({t}, flag_key) DO UPDATE SET enabled = excluded.enabled, expires_at = excluded.expires_at"
    ))
    .bind(&tenant)
    .bind(key)
    .bind(on)
    .bind(expires)
    .execute(&mut *tx)
    .await
    .with_context(|| format!("overriding flag {key} for tenant {tenant}"))?;
    let version = version(&mut tx, s).await?;
    tx.commit().await?;
    let until = expires.map_or_else(String::new, |e| format!(" until {}", time_text(e)));
    Ok(Report::ok(
        serde_json::json!({
            "command": "flags set", "database": target.db.name, "tenant": tenant, "key": key,
            "enabled": on, "expires_at": expires, "version": version,
        }),
        format!(
            "flag {key} for tenant {tenant}: {}{until} (override); flags version {version}",
            on_off(on)
        ),
    ))
}

async fn unset(target: &mut Target<'_>, tenant: &str, key: &str) -> Result<Report> {
    let (tenant, _) = target.tenant(tenant).await?;
    target.known_key(key).await?;
    let (s, t) = (&target.s, &target.t);
    let mut tx = target.conn.begin().await?;
    let removed = sqlx::query(&format!(
        "DELETE FROM {s}.flag_overrides WHERE {t}::text = $1 AND flag_key = $2"
    ))
    .bind(&tenant)
    .bind(key)
    .execute(&mut *tx)
    .await
    .with_context(|| format!("removing the override of flag {key} for tenant {tenant}"))?
    .rows_affected();
    let version = version(&mut tx, s).await?;
    tx.commit().await?;
    let human = if removed == 0 {
        format!("tenant {tenant} has no override of flag {key}; nothing changed")
    } else {
        format!("flag {key} for tenant {tenant}: override removed; flags version {version}")
    };
    Ok(Report::ok(
        serde_json::json!({
            "command": "flags unset", "database": target.db.name, "tenant": tenant, "key": key,
            "removed": removed > 0, "version": version,
        }),
        human,
    ))
}
