//! `pgtenant bootstrap`: create each database, its service role (and the
//! optional superadmin role), and the grants; idempotent.
//!
//! Every step first reads the catalog and acts only when something is
//! missing, so a second run changes nothing and reports "nothing to do".
//! Role rules:
//! - a role that does not exist is created with its password;
//! - an existing role keeps its password unless `--reset-passwords`
//!   (PostgreSQL cannot tell whether a stored password matches);
//! - an existing role holding a dangerous attribute (SUPERUSER, CREATEDB,
//!   CREATEROLE, REPLICATION, and BYPASSRLS for a service role) or a
//!   membership in another role is refused, not altered: it may be
//!   somebody's real account. The message gives the ALTER ROLE to run.
//!   Harmless differences (NOLOGIN, INHERIT, a superadmin without
//!   BYPASSRLS) are fixed and reported.
//!
//! Grants, per role, in each database: CONNECT on the database (PUBLIC
//! loses CONNECT and TEMPORARY, the roles CREATE and TEMPORARY); USAGE on
//! every application schema (all but the system schemas and the `pgtenant`
//! journal); on tables, for the service role exactly what
//! `pgtenant_schema::privileges` says (DML on tenant tables, SELECT on
//! global tables and views unless `writable_global_tables` lists them,
//! `[database.grants]` overrides; wider grants revoked), for the superadmin
//! SELECT, INSERT, UPDATE, DELETE; USAGE, SELECT on sequences; EXECUTE on
//! routines; the same as default privileges FOR ROLE <admin> in each of
//! those schemas (new tables: SELECT only for the service role of a tenancy
//! database), so objects the admin creates there later get them. TRUNCATE, REFERENCES and TRIGGER
//! found on tables are revoked. Default privileges are per schema, never
//! global: objects created in the journal's schema or the modules' schema
//! get nothing from them. The modules' objects get what the modules' grant
//! files give the service role (exactly that: what it held there before is
//! revoked first), once the migrations have created them; migrations never
//! carry a role name. A database with modules in the default `pgtenant`
//! schema gets that schema (as migrate would create it) with USAGE for the
//! service role. Run bootstrap again after adding a schema (`pgtenant up`
//! runs it after migrate too; `migrate` applies the modules' grants).
//!
//! Timeouts, per role in its database (`ALTER ROLE … IN DATABASE … SET`):
//! `statement_timeout`, `lock_timeout` and
//! `idle_in_transaction_session_timeout` from the manifest (a service role
//! gets `lock_timeout = 5s` and `idle_in_transaction_session_timeout = 60s`
//! unless the manifest says otherwise); one the manifest leaves unset is
//! reset.

use crate::context::Context;
use crate::db;
use crate::manifest::{Database, Role, RoleKind};
use crate::output::{Report, Table};
use anyhow::{Context as _, Result};
use pgtenant_schema::ident::{quote_ident, quote_literal};
use pgtenant_schema::model::QualName;
use pgtenant_schema::privileges::{
    expected_privileges, privilege_list, Access, Privileges, TablePrivilege,
};
use serde::Serialize;
use sqlx::{Connection, PgConnection, Row};
use std::collections::BTreeMap;

#[derive(Debug, Clone, Default, clap::Args)]
pub struct BootstrapArgs {
    /// Only this database of the manifest.
    #[arg(long, value_name = "NAME")]
    pub db: Option<String>,

    /// Set the passwords of existing roles again from the manifest.
    #[arg(long)]
    pub reset_passwords: bool,

    /// What to do with a table the manifest's grant rules name that the
    /// database does not have (`up` runs bootstrap before migrate with
    /// `Later`, then again after it).
    #[arg(skip)]
    pub unknown_tables: UnknownTables,
}

/// A table named by `writable_global_tables` or `[database.grants]` that is
/// not (yet) in the database.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum UnknownTables {
    /// An error naming the manifest line (unless the database has no
    /// tables yet: nothing is migrated, nothing to grant on).
    #[default]
    Error,
    /// Not checked now: a pending migration may create it.
    Later,
}

/// One change bootstrap made.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Action {
    pub database: String,
    pub action: String,
}

/// Schemas whose objects the roles never get: system and the journal.
pub const CLOSED_SCHEMAS_SQL: &str =
    "nspname NOT LIKE 'pg\\_%' AND nspname NOT IN ('information_schema', 'pgtenant')";

const TABLE_PRIVS: &str = "SELECT, INSERT, UPDATE, DELETE";
const SEQUENCE_PRIVS: &str = "USAGE, SELECT";
const FORBIDDEN_TABLE_PRIVS: &str = "TRUNCATE, REFERENCES, TRIGGER";

pub async fn run(ctx: &Context, args: &BootstrapArgs) -> Result<Report> {
    let manifest = ctx.manifest()?;
    let admin = ctx.admin_url()?;
    let databases = manifest.select(args.db.as_deref())?;
    let actions = bootstrap(ctx, &admin.url, &databases, args).await?;
    let roles: usize = databases.iter().map(|d| d.roles().count()).sum();
    let human = if actions.is_empty() {
        format!(
            "bootstrap: nothing to do ({} database{}, {roles} role{} already in place)",
            databases.len(),
            plural(databases.len()),
            plural(roles)
        )
    } else {
        let mut t = Table::new(["database", "change"]);
        for a in &actions {
            t.row([a.database.as_str(), a.action.as_str()]);
        }
        format!(
            "bootstrap: {} change{}\n{}",
            actions.len(),
            plural(actions.len()),
            t.render(2)
        )
    };
    Ok(Report::ok(
        serde_json::json!({
            "command": "bootstrap",
            "admin_url": admin.masked(),
            "changed": !actions.is_empty(),
            "actions": actions,
        }),
        human,
    ))
}

/// The grants step alone, for one database whose migrations just ran
/// (`pgtenant migrate`): the privileges of its roles on what the migrations
/// created, as bootstrap gives them. Roles are not created here: when one
/// is missing, a warning says to run bootstrap. The lines it reports.
pub async fn grants_after_migrate(
    ctx: &Context,
    admin_url: &str,
    database: &Database,
) -> Result<Vec<String>> {
    let mut conn = db::connect(admin_url, Some(&database.name), None).await?;
    let admin: String = sqlx::query_scalar("SELECT current_user::text")
        .fetch_one(&mut conn)
        .await
        .context("reading the admin role")?;
    for (_, role) in database.roles() {
        let exists: bool =
            sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = $1)")
                .bind(&role.name)
                .fetch_one(&mut conn)
                .await?;
        if !exists {
            let _ = conn.close().await;
            return Ok(vec![format!(
                "{}: warning: role {} does not exist, so it has no privileges on what the migrations created; run `pgtenant bootstrap`",
                database.name, role.name
            )]);
        }
    }
    let run = GrantsRun {
        admin: &admin,
        database,
        manifest: &ctx.manifest()?.path,
        unknown_tables: UnknownTables::default(),
    };
    let mut out = Vec::new();
    ensure_grants(&mut conn, &run, &mut out)
        .await
        .with_context(|| format!("granting privileges in database {}", database.name))?;
    let _ = conn.close().await;
    Ok(out
        .into_iter()
        .map(|l| format!("{}: {l}", database.name))
        .collect())
}

fn plural(n: usize) -> &'static str {
    if n == 1 {
        ""
    } else {
        "s"
    }
}

/// Bring the given databases to the state the manifest describes; returns
/// what changed (empty when nothing did).
pub async fn bootstrap(
    ctx: &Context,
    admin_url: &str,
    databases: &[&Database],
    args: &BootstrapArgs,
) -> Result<Vec<Action>> {
    let mut conn = db::connect(admin_url, None, None).await?;
    let admin: String = sqlx::query_scalar("SELECT current_user::text")
        .fetch_one(&mut conn)
        .await
        .context("reading the admin role")?;
    let mut actions = Vec::new();
    for database in databases {
        ctx.detail(format_args!("database {}", database.name));
        // Two bootstraps of the same database at once would race on
        // "CREATE ROLE" / "CREATE DATABASE": serialise them. A session lock,
        // released below or when the connection closes on an error path.
        sqlx::query("SELECT pg_advisory_lock(hashtext('pgtenant bootstrap ' || $1))")
            .bind(&database.name)
            .execute(&mut conn)
            .await
            .context("taking the bootstrap lock")?;
        let mut out = Vec::new();
        for (kind, role) in database.roles() {
            ensure_role(&mut conn, &admin, kind, role, args, &mut out).await?;
        }
        ensure_database(&mut conn, &admin, database, &mut out).await?;
        for (_, role) in database.roles() {
            ensure_role_timeouts(&mut conn, &database.name, role, &mut out).await?;
        }
        let mut dbconn = db::connect(admin_url, Some(&database.name), None).await?;
        let grants = GrantsRun {
            admin: &admin,
            database,
            manifest: &ctx.manifest()?.path,
            unknown_tables: args.unknown_tables,
        };
        ensure_grants(&mut dbconn, &grants, &mut out)
            .await
            .with_context(|| format!("granting privileges in database {}", database.name))?;
        let _ = dbconn.close().await;
        sqlx::query("SELECT pg_advisory_unlock(hashtext('pgtenant bootstrap ' || $1))")
            .bind(&database.name)
            .execute(&mut conn)
            .await
            .context("releasing the bootstrap lock")?;
        actions.extend(out.into_iter().map(|action| Action {
            database: database.name.clone(),
            action,
        }));
    }
    let _ = conn.close().await;
    Ok(actions)
}

async fn ensure_role(
    conn: &mut PgConnection,
    admin: &str,
    kind: RoleKind,
    role: &Role,
    args: &BootstrapArgs,
    out: &mut Vec<String>,
) -> Result<()> {
    let name = &role.name;
    if name == admin {
        anyhow::bail!(
            "role {name} is the admin role of the connection; give the database its own {} role",
            kind_word(kind)
        );
    }
    let bypass = matches!(kind, RoleKind::Superadmin);
    let row = sqlx::query(
        "SELECT rolsuper, rolinherit, rolcreaterole, rolcreatedb, rolcanlogin, rolreplication, \
         rolbypassrls FROM pg_roles WHERE rolname = $1",
    )
    .bind(name)
    .fetch_optional(&mut *conn)
    .await
    .context("reading pg_roles")?;
    let q = quote_ident(name);
    let Some(row) = row else {
        let attrs = role_attributes(kind);
        let sql = format!(
            "CREATE ROLE {q} WITH {attrs} PASSWORD {}",
            password_literal(role)
        );
        // The statement carries a password verifier: it is never logged or shown.
        sqlx::raw_sql(&sql)
            .execute(&mut *conn)
            .await
            .with_context(|| format!("creating role {name}"))?;
        out.push(format!("create {} role {name} ({attrs})", kind_word(kind)));
        return Ok(());
    };
    let flag = |c: &str| row.get::<bool, _>(c);
    let mut dangerous = Vec::new();
    for (col, attr) in [
        ("rolsuper", "SUPERUSER"),
        ("rolcreatedb", "CREATEDB"),
        ("rolcreaterole", "CREATEROLE"),
        ("rolreplication", "REPLICATION"),
    ] {
        if flag(col) {
            dangerous.push(attr);
        }
    }
    if !bypass && flag("rolbypassrls") {
        dangerous.push("BYPASSRLS");
    }
    if !dangerous.is_empty() {
        let fix: Vec<String> = dangerous.iter().map(|a| format!("NO{a}")).collect();
        anyhow::bail!(
            "role {name} already exists with {}; a {} role must not have {}. pgtenant does not \
             change an existing role's privileges: fix it with `ALTER ROLE {q} {};` (or pick \
             another role name in pgtenant.toml), then run bootstrap again",
            dangerous.join(", "),
            kind_word(kind),
            if dangerous.len() == 1 { "it" } else { "them" },
            fix.join(" ")
        );
    }
    let member_of: Vec<String> = sqlx::query_scalar(
        "SELECT r.rolname::text FROM pg_auth_members m JOIN pg_roles r ON r.oid = m.roleid \
         WHERE m.member = (SELECT oid FROM pg_roles WHERE rolname = $1) ORDER BY 1",
    )
    .bind(name)
    .fetch_all(&mut *conn)
    .await
    .context("reading role memberships")?;
    if !member_of.is_empty() {
        anyhow::bail!(
            "role {name} is a member of {}; a {} role must hold only its own grants. Fix it with \
             `REVOKE {} FROM {q};`, then run bootstrap again",
            member_of.join(", "),
            kind_word(kind),
            member_of
                .iter()
                .map(|r| quote_ident(r))
                .collect::<Vec<_>>()
                .join(", ")
        );
    }
    let mut fixes = Vec::new();
    if !flag("rolcanlogin") {
        fixes.push("LOGIN");
    }
    if flag("rolinherit") {
        fixes.push("NOINHERIT");
    }
    if bypass && !flag("rolbypassrls") {
        fixes.push("BYPASSRLS");
    }
    if !fixes.is_empty() {
        let attrs = fixes.join(" ");
        sqlx::raw_sql(&format!("ALTER ROLE {q} WITH {attrs}"))
            .execute(&mut *conn)
            .await
            .with_context(|| format!("altering role {name}"))?;
        out.push(format!("alter role {name}: {attrs}"));
    }
    // A superuser admin can see whether the role has a password at all; a
    // role without one gets the manifest's (it could not log in otherwise).
    let no_password: bool =
        sqlx::query_scalar("SELECT rolpassword IS NULL FROM pg_authid WHERE rolname = $1")
            .bind(name)
            .fetch_optional(&mut *conn)
            .await
            .ok()
            .flatten()
            .unwrap_or(false);
    if args.reset_passwords || no_password {
        let sql = format!("ALTER ROLE {q} WITH PASSWORD {}", password_literal(role));
        sqlx::raw_sql(&sql)
            .execute(&mut *conn)
            .await
            .with_context(|| format!("setting the password of role {name}"))?;
        out.push(format!("set the password of role {name}"));
    }
    Ok(())
}

/// The PASSWORD literal: a SCRAM-SHA-256 verifier computed here when
/// possible, so the plain password never reaches the server.
fn password_literal(role: &Role) -> String {
    let password = role.password.expose();
    quote_literal(&crate::scram::verifier(password).unwrap_or_else(|| password.to_owned()))
}

fn kind_word(kind: RoleKind) -> &'static str {
    match kind {
        RoleKind::Service => "service",
        RoleKind::Superadmin => "superadmin",
    }
}

/// The attributes a managed role is created with.
pub fn role_attributes(kind: RoleKind) -> &'static str {
    match kind {
        RoleKind::Service => {
            "LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOINHERIT NOREPLICATION NOBYPASSRLS"
        }
        RoleKind::Superadmin => {
            "LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOINHERIT NOREPLICATION BYPASSRLS"
        }
    }
}

async fn ensure_database(
    conn: &mut PgConnection,
    admin: &str,
    database: &Database,
    out: &mut Vec<String>,
) -> Result<()> {
    let name = &database.name;
    let owner: Option<String> = sqlx::query_scalar(
        "SELECT pg_get_userbyid(datdba)::text FROM pg_database WHERE datname = $1",
    )
    .bind(name)
    .fetch_optional(&mut *conn)
    .await
    .context("reading pg_database")?;
    match owner {
        None => {
            sqlx::raw_sql(&format!("CREATE DATABASE {}", quote_ident(name)))
                .execute(&mut *conn)
                .await
                .with_context(|| format!("creating database {name}"))?;
            out.push(format!("create database {name} (owner {admin})"));
        }
        Some(owner) if database.roles().any(|(_, r)| r.name == owner) => {
            anyhow::bail!(
                "database {name} is owned by {owner}, one of its own login roles; roles the \
                 application logs in with must never own anything. Fix it with `ALTER DATABASE \
                 {} OWNER TO {};`, then run bootstrap again",
                quote_ident(name),
                quote_ident(admin)
            );
        }
        Some(_) => {}
    }
    let q = quote_ident(name);
    // PUBLIC keeps neither CONNECT nor TEMPORARY: temp tables and temp
    // triggers would let a session shadow tables and capture the writes of
    // later requests on the same pooled connection.
    let public: Vec<String> = sqlx::query_scalar(
        "SELECT a.privilege_type::text FROM pg_database d, \
         aclexplode(coalesce(d.datacl, acldefault('d', d.datdba))) a \
         WHERE d.datname = $1 AND a.grantee = 0 AND a.privilege_type IN ('CONNECT', 'TEMPORARY') \
         ORDER BY 1",
    )
    .bind(name)
    .fetch_all(&mut *conn)
    .await
    .context("reading the database ACL")?;
    for privilege in &public {
        sqlx::raw_sql(&format!("REVOKE {privilege} ON DATABASE {q} FROM PUBLIC"))
            .execute(&mut *conn)
            .await
            .with_context(|| format!("revoking {privilege} on {name} from PUBLIC"))?;
        out.push(format!("revoke {privilege} on database {name} from PUBLIC"));
    }
    for (_, role) in database.roles() {
        let privs = database_privs(conn, name, &role.name).await?;
        if !privs.iter().any(|p| p == "CONNECT") {
            sqlx::raw_sql(&format!(
                "GRANT CONNECT ON DATABASE {q} TO {}",
                quote_ident(&role.name)
            ))
            .execute(&mut *conn)
            .await
            .with_context(|| format!("granting CONNECT on {name}"))?;
            out.push(format!("grant CONNECT on database {name} to {}", role.name));
        }
        let extra: Vec<&String> = privs.iter().filter(|p| *p != "CONNECT").collect();
        if !extra.is_empty() {
            sqlx::raw_sql(&format!(
                "REVOKE CREATE, TEMPORARY ON DATABASE {q} FROM {}",
                quote_ident(&role.name)
            ))
            .execute(&mut *conn)
            .await
            .with_context(|| format!("revoking CREATE, TEMPORARY on {name}"))?;
            out.push(format!(
                "revoke CREATE, TEMPORARY on database {name} from {}",
                role.name
            ));
        }
    }
    Ok(())
}

/// The role's timeouts in the database, as the manifest gives them
/// (`ALTER ROLE … IN DATABASE … SET`); one the manifest leaves unset is
/// reset. They apply to the role's next logins.
async fn ensure_role_timeouts(
    conn: &mut PgConnection,
    database: &str,
    role: &Role,
    out: &mut Vec<String>,
) -> Result<()> {
    let current: Vec<String> = sqlx::query_scalar(
        "SELECT unnest(s.setconfig) FROM pg_db_role_setting s \
         WHERE s.setdatabase = (SELECT oid FROM pg_database WHERE datname = $1) \
           AND s.setrole = (SELECT oid FROM pg_roles WHERE rolname = $2)",
    )
    .bind(database)
    .bind(&role.name)
    .fetch_all(&mut *conn)
    .await
    .context("reading pg_db_role_setting")?;
    let (r, d) = (quote_ident(&role.name), quote_ident(database));
    for (setting, want) in role.timeouts.settings() {
        let prefix = format!("{setting}=");
        let have = current.iter().find_map(|c| c.strip_prefix(&prefix));
        let (sql, what) = match (want, have) {
            (Some(w), h) if h != Some(w) => (
                format!(
                    "ALTER ROLE {r} IN DATABASE {d} SET {setting} = {}",
                    quote_literal(w)
                ),
                format!(
                    "set {setting} = {w} for role {} in database {database}",
                    role.name
                ),
            ),
            (None, Some(_)) => (
                format!("ALTER ROLE {r} IN DATABASE {d} RESET {setting}"),
                format!(
                    "reset {setting} of role {} in database {database}",
                    role.name
                ),
            ),
            _ => continue,
        };
        change(conn, &sql, what, out).await?;
    }
    Ok(())
}

/// Privileges granted explicitly to `role` on database `name`.
async fn database_privs(conn: &mut PgConnection, name: &str, role: &str) -> Result<Vec<String>> {
    Ok(sqlx::query_scalar(
        "SELECT a.privilege_type::text FROM pg_database d, \
         aclexplode(coalesce(d.datacl, acldefault('d', d.datdba))) a \
         WHERE d.datname = $1 AND a.grantee = (SELECT oid FROM pg_roles WHERE rolname = $2) \
         ORDER BY 1",
    )
    .bind(name)
    .bind(role)
    .fetch_all(&mut *conn)
    .await?)
}

/// Counts of objects in one schema the role lacks privileges on.
const SCHEMA_STATE_SQL: &str = "
WITH r AS (SELECT oid FROM pg_roles WHERE rolname = $2),
n AS (SELECT oid, nspacl, nspowner FROM pg_namespace WHERE nspname = $1)
SELECT
  NOT EXISTS (SELECT 1 FROM n, aclexplode(coalesce(n.nspacl, acldefault('n', n.nspowner))) a, r
              WHERE a.grantee = r.oid AND a.privilege_type = 'USAGE') AS missing_usage,
  EXISTS (SELECT 1 FROM n, aclexplode(coalesce(n.nspacl, acldefault('n', n.nspowner))) a, r
          WHERE a.grantee = r.oid AND a.privilege_type = 'CREATE') AS has_create,
  (SELECT count(*) FROM pg_class c, n WHERE c.relnamespace = n.oid AND c.relkind IN ('r','p','v','m','f')
     AND NOT (ARRAY['SELECT','INSERT','UPDATE','DELETE'] <@ ARRAY(
       SELECT a.privilege_type::text FROM aclexplode(coalesce(c.relacl, acldefault('r', c.relowner))) a, r
       WHERE a.grantee = r.oid))) AS tables_missing,
  (SELECT count(*) FROM pg_class c, n WHERE c.relnamespace = n.oid AND c.relkind IN ('r','p','v','m','f')
     AND ARRAY['TRUNCATE','REFERENCES','TRIGGER'] && ARRAY(
       SELECT a.privilege_type::text FROM aclexplode(coalesce(c.relacl, acldefault('r', c.relowner))) a, r
       WHERE a.grantee = r.oid)) AS tables_extra,
  (SELECT count(*) FROM pg_class c, n WHERE c.relnamespace = n.oid AND c.relkind = 'S'
     AND NOT (ARRAY['USAGE','SELECT'] <@ ARRAY(
       SELECT a.privilege_type::text FROM aclexplode(coalesce(c.relacl, acldefault('s', c.relowner))) a, r
       WHERE a.grantee = r.oid))) AS sequences_missing,
  (SELECT count(*) FROM pg_proc p, n WHERE p.pronamespace = n.oid
     AND NOT EXISTS (
       SELECT 1 FROM aclexplode(coalesce(p.proacl, acldefault('f', p.proowner))) a, r
       WHERE a.grantee = r.oid AND a.privilege_type = 'EXECUTE')) AS routines_missing";

/// Default privileges FOR ROLE admin granted to the role, in one schema
/// (`$4`), or the global ones (`$4` NULL).
const DEFAULT_ACL_SQL: &str = "
SELECT a.privilege_type::text
FROM pg_default_acl d, aclexplode(d.defaclacl) a
WHERE d.defaclrole = (SELECT oid FROM pg_roles WHERE rolname = $1)
  AND d.defaclnamespace = coalesce((SELECT oid FROM pg_namespace WHERE nspname = $4), 0)
  AND d.defaclobjtype = $2::\"char\"
  AND a.grantee = (SELECT oid FROM pg_roles WHERE rolname = $3)";

/// The object kinds default privileges cover: (defaclobjtype, keyword,
/// privileges).
const DEFAULT_KINDS: [(&str, &str, &str); 3] = [
    ("r", "TABLES", TABLE_PRIVS),
    ("S", "SEQUENCES", SEQUENCE_PRIVS),
    ("f", "ROUTINES", "EXECUTE"),
];

/// What [`ensure_grants`] works from.
struct GrantsRun<'a> {
    admin: &'a str,
    database: &'a Database,
    manifest: &'a std::path::Path,
    unknown_tables: UnknownTables,
}

async fn ensure_grants(
    conn: &mut PgConnection,
    run: &GrantsRun<'_>,
    out: &mut Vec<String>,
) -> Result<()> {
    let (admin, database) = (run.admin, run.database);
    // Which tables are tenant-scoped is the schema engine's rule: read the
    // live catalog (before the transaction: introspection takes its own).
    let catalog = pgtenant_schema::introspect(&mut *conn)
        .await
        .context("reading the schema")?;
    let tenancy = database
        .tenancy
        .as_ref()
        .map(|t| crate::tenancy::for_database(database, t))
        .transpose()?;
    let rules = database.grant_rules();
    check_listed_tables(&catalog, run)?;
    let expected = expected_privileges(&catalog, tenancy.as_ref(), &rules);
    let mut tx = conn.begin().await?;
    // The modules' schema is theirs: its objects carry the grants the
    // modules' SQL gives (narrower than DML on everything).
    let module_schema = (!database.modules.is_empty()).then_some(database.module_schema.as_str());
    let schemas: Vec<String> = sqlx::query_scalar(&format!(
        "SELECT nspname::text FROM pg_namespace WHERE {CLOSED_SCHEMAS_SQL} ORDER BY 1"
    ))
    .fetch_all(&mut *tx)
    .await?
    .into_iter()
    .filter(|s: &String| Some(s.as_str()) != module_schema)
    .collect();
    for (kind, role) in database.roles() {
        // The service role's table privileges follow the grant rules, table
        // by table; the superadmin role's are DML on everything.
        let (tables, new_tables) = match kind {
            RoleKind::Service if tenancy.is_some() => (TableGrants::PerTable, "SELECT"),
            RoleKind::Service => (TableGrants::PerTable, TABLE_PRIVS),
            RoleKind::Superadmin => (TableGrants::Bulk, TABLE_PRIVS),
        };
        for schema in &schemas {
            ensure_schema_grants(&mut tx, schema, &role.name, tables, out).await?;
            let defaults = DefaultsRun {
                admin,
                schema: Some(schema),
                role: &role.name,
                tables: new_tables,
            };
            ensure_default_privileges(&mut tx, &defaults, out).await?;
        }
        if tables == TableGrants::PerTable {
            let fallback: Privileges = if tenancy.is_some() {
                [TablePrivilege::Select].into()
            } else {
                TablePrivilege::ALL.into()
            };
            let want = |t: &QualName| {
                expected
                    .get(t)
                    .map_or((fallback.clone(), Access::ReadOnlyGlobal), |e| {
                        (e.privileges.clone(), e.access)
                    })
            };
            ensure_table_grants(&mut tx, &role.name, &schemas, &want, out).await?;
        }
        let defaults = DefaultsRun {
            admin,
            schema: None,
            role: &role.name,
            tables: new_tables,
        };
        ensure_default_privileges(&mut tx, &defaults, out).await?;
    }
    if module_schema == Some(pgtenant::module::DEFAULT_SCHEMA) {
        ensure_journal_schema_usage(&mut tx, &database.service_role.name, out).await?;
    }
    crate::modules::ensure_grants(&mut tx, database, out).await?;
    tx.commit().await?;
    Ok(())
}

/// A table the grant rules name must exist, unless it may come later (a
/// pending migration) or nothing is migrated yet.
fn check_listed_tables(catalog: &pgtenant_schema::Catalog, run: &GrantsRun<'_>) -> Result<()> {
    let database = run.database;
    let closed = database.grant_rules().closed_schemas;
    let migrated = catalog.tables.keys().any(|t| !closed.contains(&t.schema));
    if run.unknown_tables == UnknownTables::Later || !migrated {
        return Ok(());
    }
    for listed in database.listed_tables() {
        let t = &listed.table;
        if !catalog.tables.contains_key(t) && !catalog.views.contains_key(t) {
            return Err(crate::manifest::ManifestError {
                file: run.manifest.to_owned(),
                line: Some(listed.line),
                message: format!(
                    "database `{}`: {t} is not a table of the database; fix the name, or run \
                     `pgtenant migrate` first if a pending migration creates it (`pgtenant up` \
                     does both)",
                    database.name
                ),
            }
            .into());
        }
    }
    Ok(())
}

/// The modules' default schema is the journal's, which migrate creates and
/// introspection leaves out: bootstrap creates it as migrate would and gives
/// the service role USAGE (its objects' grants come from the modules' SQL).
async fn ensure_journal_schema_usage(
    tx: &mut PgConnection,
    role: &str,
    out: &mut Vec<String>,
) -> Result<()> {
    let schema = pgtenant::module::DEFAULT_SCHEMA;
    let has: Option<bool> = sqlx::query_scalar(
        "SELECT has_schema_privilege($1, oid, 'USAGE') FROM pg_namespace WHERE nspname = $2",
    )
    .bind(role)
    .bind(schema)
    .fetch_optional(&mut *tx)
    .await?;
    if has == Some(true) {
        return Ok(());
    }
    let s = quote_ident(schema);
    let what = format!("grant USAGE on schema {schema} (the modules' schema) to {role}");
    let sql = format!(
        "CREATE SCHEMA IF NOT EXISTS {s}; GRANT USAGE ON SCHEMA {s} TO {}",
        quote_ident(role)
    );
    change(tx, &sql, what, out).await
}

/// USAGE on `schema`, no CREATE, DML on its tables, USAGE on its sequences,
/// EXECUTE on its routines; TRUNCATE, REFERENCES and TRIGGER revoked.
async fn ensure_schema_grants(
    tx: &mut PgConnection,
    schema: &str,
    rn: &str,
    tables: TableGrants,
    out: &mut Vec<String>,
) -> Result<()> {
    let r = quote_ident(rn);
    let s = quote_ident(schema);
    let row = sqlx::query(SCHEMA_STATE_SQL)
        .bind(schema)
        .bind(rn)
        .fetch_one(&mut *tx)
        .await?;
    let mut todo: Vec<(String, String)> = Vec::new();
    if row.get::<bool, _>("missing_usage") {
        todo.push((
            format!("GRANT USAGE ON SCHEMA {s} TO {r}"),
            format!("grant USAGE on schema {schema} to {rn}"),
        ));
    }
    if row.get::<bool, _>("has_create") {
        todo.push((
            format!("REVOKE CREATE ON SCHEMA {s} FROM {r}"),
            format!("revoke CREATE on schema {schema} from {rn}"),
        ));
    }
    // (count column, grant or revoke, privileges, ALL <kind>, noun)
    let bulk: [(&str, bool, &str, &str, &str); 4] = [
        ("tables_missing", true, TABLE_PRIVS, "TABLES", "table"),
        (
            "tables_extra",
            false,
            FORBIDDEN_TABLE_PRIVS,
            "TABLES",
            "table",
        ),
        (
            "sequences_missing",
            true,
            SEQUENCE_PRIVS,
            "SEQUENCES",
            "sequence",
        ),
        ("routines_missing", true, "EXECUTE", "ROUTINES", "routine"),
    ];
    for (count, grant, privs, kind, noun) in bulk {
        let n: i64 = row.get(count);
        if n == 0 || (count == "tables_missing" && tables == TableGrants::PerTable) {
            continue;
        }
        let (verb, to) = if grant {
            ("GRANT", "TO")
        } else {
            ("REVOKE", "FROM")
        };
        todo.push((
            format!("{verb} {privs} ON ALL {kind} IN SCHEMA {s} {to} {r}"),
            format!(
                "{} {privs} on {n} {noun}{} in {schema} {} {rn}",
                verb.to_lowercase(),
                plural_i(n),
                to.to_lowercase()
            ),
        ));
    }
    for (sql, what) in todo {
        change(tx, &sql, what, out).await?;
    }
    Ok(())
}

/// How a role's table privileges are kept.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum TableGrants {
    /// DML on every table of the schema (`GRANT … ON ALL TABLES`).
    Bulk,
    /// Table by table, as the grant rules say ([`ensure_table_grants`]).
    PerTable,
}

/// The privileges the service role holds on every relation of the
/// application schemas `$2`: granted on the table, and granted on some
/// column (INSERT/UPDATE/SELECT column grants count as holding it).
const TABLE_ACL_SQL: &str = "
WITH r AS (SELECT oid FROM pg_roles WHERE rolname = $1)
SELECT n.nspname::text, c.relname::text,
  ARRAY(SELECT a.privilege_type::text FROM aclexplode(coalesce(c.relacl, acldefault('r', c.relowner))) a, r
        WHERE a.grantee = r.oid AND a.privilege_type IN ('SELECT','INSERT','UPDATE','DELETE')) AS on_table,
  ARRAY(SELECT DISTINCT a.privilege_type::text FROM pg_attribute at, aclexplode(at.attacl) a, r
        WHERE at.attrelid = c.oid AND at.attacl IS NOT NULL AND a.grantee = r.oid) AS on_columns
FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE c.relkind IN ('r','p','v','m','f') AND n.nspname = ANY($2)
ORDER BY 1, 2";

/// The service role's privileges on each table and view, exactly as the
/// grant rules say: missing ones granted, others revoked (column grants
/// too), so a re-run never widens a narrower declared grant and takes back
/// writes on a global table granted before.
async fn ensure_table_grants(
    tx: &mut PgConnection,
    rn: &str,
    schemas: &[String],
    want: &dyn Fn(&QualName) -> (Privileges, Access),
    out: &mut Vec<String>,
) -> Result<()> {
    let rows: Vec<(String, String, Vec<String>, Vec<String>)> = sqlx::query_as(TABLE_ACL_SQL)
        .bind(rn)
        .bind(schemas)
        .fetch_all(&mut *tx)
        .await
        .context("reading table privileges")?;
    let parse = |v: &[String]| -> Privileges {
        v.iter()
            .filter_map(|p| TablePrivilege::parse(p).ok())
            .collect()
    };
    // (verb, privileges, reason) → tables
    let mut todo: BTreeMap<(&str, String, &str), Vec<QualName>> = BTreeMap::new();
    for (schema, table, on_table, on_columns) in rows {
        let name = QualName::new(schema, table);
        let (desired, access) = want(&name);
        let on_table = parse(&on_table);
        let held: Privileges = on_table.union(&parse(&on_columns)).copied().collect();
        let missing: Privileges = desired.difference(&on_table).copied().collect();
        let extra: Privileges = held.difference(&desired).copied().collect();
        if !missing.is_empty() {
            todo.entry(("GRANT", privilege_list(&missing), ""))
                .or_default()
                .push(name.clone());
        }
        if !extra.is_empty() {
            let why = match access {
                Access::ReadOnlyGlobal => {
                    " (a global table is read-only for the service role unless \
                     writable_global_tables lists it)"
                }
                Access::Declared => " (as [database.grants] declares)",
                _ => "",
            };
            todo.entry(("REVOKE", privilege_list(&extra), why))
                .or_default()
                .push(name);
        }
    }
    let r = quote_ident(rn);
    for ((verb, privs, why), tables) in todo {
        let sql_names: Vec<String> = tables.iter().map(QualName::sql).collect();
        let names: Vec<String> = tables.iter().map(ToString::to_string).collect();
        let (sql, what) = if verb == "GRANT" {
            (
                format!("GRANT {privs} ON TABLE {} TO {r}", sql_names.join(", ")),
                format!("grant {privs} on {} to {rn}", names.join(", ")),
            )
        } else {
            (
                format!("REVOKE {privs} ON TABLE {} FROM {r}", sql_names.join(", ")),
                format!("revoke {privs} on {} from {rn}{why}", names.join(", ")),
            )
        };
        change(tx, &sql, what, out).await?;
    }
    Ok(())
}

/// What [`ensure_default_privileges`] keeps.
struct DefaultsRun<'a> {
    admin: &'a str,
    /// `Some`: the defaults in this application schema; `None`: the global
    /// ones, which an older bootstrap set and this one revokes.
    schema: Option<&'a str>,
    role: &'a str,
    /// The privileges on new tables: `SELECT` for the service role of a
    /// tenancy database (a new global table stays read-only; bootstrap,
    /// run again after migrate, grants DML on new tenant tables).
    tables: &'a str,
}

/// Default privileges FOR ROLE admin: exactly the wanted ones per
/// application schema, so objects created later in the modules' schema or
/// the journal's get nothing from them; global ones (from an older
/// bootstrap) revoked.
async fn ensure_default_privileges(
    tx: &mut PgConnection,
    run: &DefaultsRun<'_>,
    out: &mut Vec<String>,
) -> Result<()> {
    let (admin, rn) = (run.admin, run.role);
    let r = quote_ident(rn);
    let a = quote_ident(admin);
    for (objtype, kind, privs) in DEFAULT_KINDS {
        let privs = if objtype == "r" { run.tables } else { privs };
        let have: Vec<String> = sqlx::query_scalar(DEFAULT_ACL_SQL)
            .bind(admin)
            .bind(objtype)
            .bind(rn)
            .bind(run.schema)
            .fetch_all(&mut *tx)
            .await?;
        let kind_l = kind.to_lowercase();
        let Some(schema) = run.schema else {
            if !have.is_empty() {
                change(
                    tx,
                    &format!("ALTER DEFAULT PRIVILEGES FOR ROLE {a} REVOKE ALL ON {kind} FROM {r}"),
                    format!(
                        "default privileges: revoke {} on new {kind_l} of {admin} in every schema from {rn} (now per schema)",
                        have.join(", ")
                    ),
                    out,
                )
                .await?;
            }
            continue;
        };
        let s = quote_ident(schema);
        let want: Vec<&str> = privs.split(", ").collect();
        let missing: Vec<&str> = want
            .iter()
            .copied()
            .filter(|p| !have.iter().any(|h| h == p))
            .collect();
        let extra: Vec<&str> = have
            .iter()
            .map(String::as_str)
            .filter(|h| !want.contains(h))
            .collect();
        if !extra.is_empty() {
            let extra = extra.join(", ");
            change(
                tx,
                &format!("ALTER DEFAULT PRIVILEGES FOR ROLE {a} IN SCHEMA {s} REVOKE {extra} ON {kind} FROM {r}"),
                format!("default privileges: revoke {extra} on new {kind_l} of {admin} in {schema} from {rn}"),
                out,
            )
            .await?;
        }
        if !missing.is_empty() {
            change(
                tx,
                &format!("ALTER DEFAULT PRIVILEGES FOR ROLE {a} IN SCHEMA {s} GRANT {privs} ON {kind} TO {r}"),
                format!("default privileges: {privs} on new {kind_l} of {admin} in {schema} to {rn}"),
                out,
            )
            .await?;
        }
    }
    Ok(())
}

/// Run one change's SQL and record `what` it did (the error names it).
async fn change(
    conn: &mut PgConnection,
    sql: &str,
    what: String,
    out: &mut Vec<String>,
) -> Result<()> {
    sqlx::raw_sql(sql)
        .execute(&mut *conn)
        .await
        .with_context(|| what.clone())?;
    out.push(what);
    Ok(())
}

fn plural_i(n: i64) -> &'static str {
    if n == 1 {
        ""
    } else {
        "s"
    }
}
