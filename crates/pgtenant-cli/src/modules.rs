//! The building-block modules a database lists (`modules = [...]`): their
//! template parameters, taken from the manifest and from the user's own
//! schema (the tenant key's type is the root table's primary key type), the
//! rendered SQL the desired shadow loads after the user's files, and the
//! module tables the tenancy transform leaves alone.

use crate::error::usage;
use crate::manifest::{Database, Tenancy};
use anyhow::Result;
use pgtenant::module::{MembershipStatus, Module, ModuleParams, RenderedFile};
use pgtenant::{MembershipConfig, TableName, TenantKeyType};
use pgtenant_schema::{Catalog, ConstraintKind, QualName};

/// The modules of `db`, each after the modules it requires (names were
/// checked when the manifest was read, requirements here).
pub fn of(db: &Database) -> Result<Vec<&'static Module>> {
    let mut out: Vec<&'static Module> = Vec::new();
    for name in &db.modules {
        let m = pgtenant::module::by_name(name)
            .map_err(|e| usage(format!("database {}: modules: {e}", db.name)))?;
        for req in m.requires {
            if !db.uses_module(req) {
                return Err(usage(format!(
                    "database {}: module {name} needs module {req}; add \"{req}\" to its modules",
                    db.name
                )));
            }
            if !out.iter().any(|o| o.name == *req) {
                out.push(pgtenant::module::by_name(req).map_err(|e| usage(e.to_string()))?);
            }
        }
        if !out.iter().any(|o| o.name == m.name) {
            out.push(m);
        }
    }
    Ok(out)
}

/// The SECURITY DEFINER functions `db`'s modules offer the service role
/// on purpose (their API), in the modules' schema.
pub fn definer_api(db: &Database) -> Result<Vec<QualName>> {
    Ok(of(db)?
        .iter()
        .flat_map(|m| m.service_definer_functions.iter())
        .map(|f| QualName::new(db.module_schema.as_str(), *f))
        .collect())
}

/// The module tables that carry the tenant column but write their own
/// policies: global tables for the tenancy transform and the lints.
pub fn self_policed_tables(db: &Database) -> Result<Vec<QualName>> {
    Ok(of(db)?
        .iter()
        .flat_map(|m| m.self_policed_tables.iter())
        .map(|t| QualName::new(db.module_schema.as_str(), *t))
        .collect())
}

/// The type of `column` of `table` in `catalog` as a key type, or why not.
fn key_type(
    catalog: &Catalog,
    table: &QualName,
    column: &str,
    what: &str,
) -> Result<TenantKeyType> {
    let t = catalog.tables.get(table).ok_or_else(|| {
        usage(format!(
            "{what}: table {table} is not in the schema files; create it there or fix the manifest"
        ))
    })?;
    let c = t
        .column(column)
        .ok_or_else(|| usage(format!("{what}: table {table} has no column {column}")))?;
    TenantKeyType::from_format_type(&c.data_type).ok_or_else(|| {
        usage(format!(
            "{what}: column {table}.{column} is {}; tenant and user keys must be uuid, text, varchar, bigint, integer or smallint",
            c.data_type
        ))
    })
}

/// The single-column primary key of `table`.
fn primary_key(catalog: &Catalog, table: &QualName, what: &str) -> Result<String> {
    let t = catalog.tables.get(table).ok_or_else(|| {
        usage(format!(
            "{what}: table {table} is not in the schema files; create it there or fix the manifest"
        ))
    })?;
    match t
        .constraints
        .values()
        .find(|c| c.kind == ConstraintKind::PrimaryKey)
        .map(|c| c.columns.as_slice())
    {
        Some([one]) => Ok(one.clone()),
        Some(cols) => Err(usage(format!(
            "{what}: the primary key of {table} is ({}); the tenant key must be one column",
            cols.join(", ")
        ))),
        None => Err(usage(format!("{what}: table {table} has no primary key"))),
    }
}

fn qual(name: &str) -> QualName {
    match name.split_once('.') {
        Some((s, n)) => QualName::new(s, n),
        None => QualName::new("public", name),
    }
}

/// `db`'s `user_table`, its key column and the key's type, if it has one.
fn user_table(
    db: &Database,
    catalog: &Catalog,
) -> Result<Option<(TableName, String, TenantKeyType)>> {
    let Some(name) = &db.user_table else {
        return Ok(None);
    };
    let what = format!("database {} user_table", db.name);
    let table = qual(name);
    let key = primary_key(catalog, &table, &what)?;
    let key_type = key_type(catalog, &table, &key, &what)?;
    Ok(Some((TableName::parse(name), key, key_type)))
}

/// The tenant key of `db` (tenancy `t`) in `catalog`: the root table's
/// primary key column and its type, and the type of user ids (the
/// `user_table`'s key, else the membership table's user column, else the
/// tenant key's type); the two user sources must agree.
pub fn key_types(
    db: &Database,
    t: &Tenancy,
    catalog: &Catalog,
) -> Result<(String, TenantKeyType, TenantKeyType)> {
    key_types_with(db, t, catalog, &user_table(db, catalog)?)
}

/// [`key_types`] with `db`'s user table already read.
fn key_types_with(
    db: &Database,
    t: &Tenancy,
    catalog: &Catalog,
    users: &Option<(TableName, String, TenantKeyType)>,
) -> Result<(String, TenantKeyType, TenantKeyType)> {
    let what = format!("database {} [tenancy].root_table", db.name);
    let root = qual(&t.root_table);
    let root_key = primary_key(catalog, &root, &what)?;
    let tenant_key = key_type(catalog, &root, &root_key, &what)?;
    let member_key = match &t.membership {
        Some(m) => Some(key_type(
            catalog,
            &qual(&m.table),
            &m.user_column,
            &format!("database {} [tenancy.membership].user_column", db.name),
        )?),
        None => None,
    };
    let user_key = match (users, member_key) {
        (Some((table, key, a)), Some(b)) if a.sql_type() != b.sql_type() => {
            return Err(usage(format!(
                "database {}: user_table {}.{key} is {} but [tenancy.membership].user_column is {}; they name the same users and must have one type",
                db.name,
                table.quoted(),
                a.sql_type(),
                b.sql_type()
            )))
        }
        (Some((_, _, k)), _) => *k,
        (None, Some(k)) => k,
        (None, None) => tenant_key,
    };
    Ok((root_key, tenant_key, user_key))
}

/// The template parameters of `db`'s modules, read from the manifest and
/// from `catalog` (the user's schema, loaded): the root table's key and its
/// type, the user id type.
pub fn params(db: &Database, catalog: &Catalog) -> Result<ModuleParams> {
    let users = user_table(db, catalog)?;
    let Some(t) = &db.tenancy else {
        return params_without_tenancy(db, users);
    };
    let (root_key, tenant_key, user_key) = key_types_with(db, t, catalog, &users)?;
    let mut p = ModuleParams::new(tenant_key, user_key)
        .schema(&db.module_schema)
        .tenant_column(&t.column)
        .tenant_setting(&t.setting)
        .root_table(TableName::parse(&t.root_table), &root_key)
        .service_role(&db.service_role.name);
    if let Some((table, key, _)) = users {
        p = p.user_table(table, &key);
    }
    if let Some(sa) = &db.superadmin_role {
        p = p.superadmin_role(&sa.name);
    }
    if let Some(u) = &t.user_setting {
        p = p.user_setting(u);
    }
    if let Some(m) = &t.membership {
        p = p.membership(MembershipConfig::new(
            TableName::parse(&m.table),
            &m.user_column,
            &m.tenant_column,
        ));
        if let Some(s) = &m.status {
            let values: Vec<&str> = s.active_values.iter().map(String::as_str).collect();
            p = p.membership_status(MembershipStatus::new(&s.column, &values));
        }
    }
    Ok(p)
}

/// The parameters for a database with tenancy off: only modules that do
/// without tenancy (the manifest checked), the tenant a plain text value
/// without a foreign key, the users from `user_table`, the setting names
/// from the project's `[tenancy]`.
fn params_without_tenancy(
    db: &Database,
    users: Option<(TableName, String, TenantKeyType)>,
) -> Result<ModuleParams> {
    if let Some(m) = of(db)?.iter().find(|m| m.needs_tenancy) {
        return Err(usage(format!(
            "database {}: module {} needs tenancy; set tenancy = true for this database, or remove \"{}\" from its modules",
            db.name, m.name, m.name
        )));
    }
    let Some((table, key, user_key)) = users else {
        return Err(usage(format!(
            "database {}: modules in a database with tenancy off need user_table = \"<table>\", the table whose one-column primary key is the user id",
            db.name
        )));
    };
    let t = &db.tenancy_defaults;
    let mut p = ModuleParams::new(TenantKeyType::Text, user_key)
        .schema(&db.module_schema)
        .tenant_column(&t.column)
        .tenant_setting(&t.setting)
        .user_table(table, &key)
        .service_role(&db.service_role.name);
    if let Some(sa) = &db.superadmin_role {
        p = p.superadmin_role(&sa.name);
    }
    if let Some(u) = &t.user_setting {
        p = p.user_setting(u);
    }
    Ok(p)
}

/// The schema SQL of every module of `db`, files in order, rendered for
/// `catalog` (the user's schema). Empty for a database without modules.
pub fn render(db: &Database, catalog: &Catalog) -> Result<Vec<RenderedFile>> {
    let modules = of(db)?;
    if modules.is_empty() {
        return Ok(Vec::new());
    }
    let p = params(db, catalog)?;
    let mut out = Vec::new();
    for m in modules {
        out.extend(
            m.render(&p)
                .map_err(|e| usage(format!("database {}: module {}: {e}", db.name, m.name)))?,
        );
    }
    Ok(out)
}

/// The setup seeds of every module of `db`, rendered for `catalog`.
pub fn render_setup(db: &Database, catalog: &Catalog) -> Result<Vec<RenderedFile>> {
    let modules = of(db)?;
    let p = params(db, catalog)?;
    let mut out = Vec::new();
    for m in modules {
        out.extend(
            m.render_setup(&p)
                .map_err(|e| usage(format!("database {}: module {}: {e}", db.name, m.name)))?,
        );
    }
    Ok(out)
}

/// What the modules' setup changed in one database, one line each.
pub type SetupLines = Vec<String>;

/// The modules' setup of `db` (part of `seed setup`, before the seed
/// files): the rbac catalog and global roles from their files, then each
/// module's setup seeds; idempotent, one transaction.
pub async fn setup(admin_url: &str, db: &Database) -> Result<SetupLines> {
    use anyhow::Context as _;
    use sqlx::Connection as _;
    if db.modules.is_empty() {
        return Ok(Vec::new());
    }
    let rbac = if db.uses_module("rbac") {
        Some(read_rbac_files(db)?)
    } else {
        None
    };
    let mut conn = crate::db::connect(admin_url, Some(&db.name), None).await?;
    // The setup seeds are rendered for the live schema, read only when a
    // module has some.
    let setup = if of(db)?.iter().any(|m| !m.setup.is_empty()) {
        let catalog = pgtenant_schema::introspect(&mut conn)
            .await
            .with_context(|| format!("introspecting database {}", db.name))?;
        render_setup(db, &catalog)?
    } else {
        Vec::new()
    };
    let mut tx = conn.begin().await?;
    let mut lines = Vec::new();
    if let Some((catalog, roles)) = &rbac {
        let r = pgtenant::rbac::seed(&mut tx, &db.module_schema, catalog, roles)
            .await
            .with_context(|| format!("seeding the rbac catalog of database {}", db.name))?;
        lines.push(format!(
            "{}: rbac: {} permissions and {} global roles in the files; {} permission{} and {} role{} changed",
            db.name,
            catalog.len(),
            roles.len(),
            r.permissions,
            if r.permissions == 1 { "" } else { "s" },
            r.roles,
            if r.roles == 1 { "" } else { "s" },
        ));
    }
    for f in &setup {
        sqlx::raw_sql(&f.sql)
            .execute(&mut *tx)
            .await
            .with_context(|| format!("module setup {} of database {}", f.name, db.name))?;
        lines.push(format!("{}: module setup {}", db.name, f.name));
    }
    tx.commit().await?;
    let _ = conn.close().await;
    Ok(lines)
}

/// The rbac catalog (required) and global roles (optional) of `db`, parsed;
/// errors name the file and line.
pub fn read_rbac_files(
    db: &Database,
) -> Result<(pgtenant::rbac::Catalog, Vec<pgtenant::rbac::Role>)> {
    let path = &db.rbac.permissions;
    let text = std::fs::read_to_string(path).map_err(|e| {
        usage(format!(
            "database {} uses the rbac module but its permission catalog {} cannot be read ({e}); \
             create it with one permission per line (e.g. `content.read`), or set \
             [database.rbac] permissions = \"...\"",
            db.name,
            path.display()
        ))
    })?;
    let catalog = pgtenant::rbac::Catalog::parse(&path.display().to_string(), &text)
        .map_err(|e| usage(e.to_string()))?;
    let roles = match std::fs::read_to_string(&db.rbac.roles) {
        Ok(text) => {
            pgtenant::rbac::parse_roles(&db.rbac.roles.display().to_string(), &text, &catalog)
                .map_err(|e| usage(e.to_string()))?
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Vec::new(),
        Err(e) => {
            return Err(usage(format!(
                "cannot read {}: {e}",
                db.rbac.roles.display()
            )))
        }
    };
    Ok((catalog, roles))
}

/// A role's privileges on the modules' objects, as they stand:
/// one text per (object, privilege), sorted. Compared before and after
/// [`ensure_grants`] applies them, so an unchanged state reports nothing.
const MODULE_PRIVILEGES_SQL: &str = "\
SELECT coalesce(array_agg(x ORDER BY x), '{}')::text[] FROM (
  SELECT c.oid::regclass::text || ':' || a.privilege_type AS x
    FROM pg_class c
    CROSS JOIN LATERAL aclexplode(c.relacl) a
   WHERE c.relnamespace = (SELECT oid FROM pg_namespace WHERE nspname = $1)
     AND a.grantee = (SELECT oid FROM pg_roles WHERE rolname = $2)
  UNION ALL
  SELECT p.oid::regprocedure::text || ':' || a.privilege_type
    FROM pg_proc p
    CROSS JOIN LATERAL aclexplode(p.proacl) a
   WHERE p.pronamespace = (SELECT oid FROM pg_namespace WHERE nspname = $1)
     AND a.grantee = (SELECT oid FROM pg_roles WHERE rolname = $2)
  UNION ALL
  SELECT 'schema:' || a.privilege_type
    FROM pg_namespace n
    CROSS JOIN LATERAL aclexplode(n.nspacl) a
   WHERE n.nspname = $1
     AND a.grantee = (SELECT oid FROM pg_roles WHERE rolname = $2)
) privileges";

/// What [`ensure_grants`] found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ModuleGrants {
    /// No modules, or the privileges were already the modules' own.
    Unchanged,
    /// The privileges were changed to the modules' own.
    Changed,
    /// The modules' objects are not there yet (migrations pending).
    ObjectsMissing,
    /// The service role does not exist yet (bootstrap has not run).
    RoleMissing,
}

/// Give `db`'s service role (and superadmin role) exactly the privileges its modules' grant files
/// name on the objects in the modules' schema, in the caller's transaction:
/// everything it held there is revoked, then the grants run, so a privilege
/// a module no longer gives is gone too. Reports one line when the
/// privileges changed. Before `migrate` has created the modules' objects
/// there is nothing to grant on yet: nothing changes (`up`
/// and `migrate` apply the grants after the migrations).
pub async fn ensure_grants(
    tx: &mut sqlx::PgConnection,
    db: &Database,
    out: &mut Vec<String>,
) -> Result<ModuleGrants> {
    use anyhow::Context as _;
    let modules = of(db)?;
    if modules.is_empty() {
        return Ok(ModuleGrants::Unchanged);
    }
    let schema = db.module_schema.as_str();
    let role = db.service_role.name.as_str();
    let superadmin = db.superadmin_role.as_ref().map(|r| r.name.as_str());
    let roles: Vec<&str> = std::iter::once(role).chain(superadmin).collect();
    for r in &roles {
        let exists: bool =
            sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = $1)")
                .bind(r)
                .fetch_one(&mut *tx)
                .await?;
        if !exists {
            out.push(format!(
                "warning: the modules' privileges wait for role {r}; run `pgtenant bootstrap` to create it and grant them"
            ));
            return Ok(ModuleGrants::RoleMissing);
        }
    }
    let mut files = Vec::new();
    for m in &modules {
        files.extend(
            m.render_grants(schema, role, superadmin)
                .map_err(|e| usage(format!("database {}: module {}: {e}", db.name, m.name)))?,
        );
    }
    let before = privileges_of(tx, schema, &roles).await?;
    sqlx::raw_sql("SAVEPOINT pgtenant_module_grants")
        .execute(&mut *tx)
        .await?;
    let s = pgtenant_schema::ident::quote_ident(schema);
    let mut sql = String::new();
    for r in &roles {
        let r = pgtenant_schema::ident::quote_ident(r);
        sql.push_str(&format!(
            "REVOKE ALL ON ALL TABLES IN SCHEMA {s} FROM {r};\n\
             REVOKE ALL ON ALL SEQUENCES IN SCHEMA {s} FROM {r};\n\
             REVOKE ALL ON ALL ROUTINES IN SCHEMA {s} FROM {r};\n"
        ));
    }
    for f in &files {
        sql.push_str(&f.sql);
        sql.push('\n');
    }
    if let Err(e) = sqlx::raw_sql(&sql).execute(&mut *tx).await {
        // 3F000 no schema yet, 42P01 no table yet, 42883 no function yet:
        // the migrations that create them have not run.
        let pending = e
            .as_database_error()
            .and_then(|d| d.code())
            .is_some_and(|c| matches!(c.as_ref(), "3F000" | "42P01" | "42883"));
        if pending {
            sqlx::raw_sql("ROLLBACK TO SAVEPOINT pgtenant_module_grants")
                .execute(&mut *tx)
                .await?;
            return Ok(ModuleGrants::ObjectsMissing);
        }
        return Err(e).with_context(|| {
            format!(
                "granting the privileges of the modules of database {} to {role}",
                db.name
            )
        });
    }
    sqlx::raw_sql("RELEASE SAVEPOINT pgtenant_module_grants")
        .execute(&mut *tx)
        .await?;
    let after = privileges_of(tx, schema, &roles).await?;
    if before == after {
        return Ok(ModuleGrants::Unchanged);
    }
    let names: Vec<&str> = modules.iter().map(|m| m.name).collect();
    out.push(format!(
        "grant the privileges of module{} {} on schema {schema} to {} ({} privilege{})",
        if names.len() == 1 { "" } else { "s" },
        names.join(", "),
        roles.join(" and "),
        after.len(),
        if after.len() == 1 { "" } else { "s" },
    ));
    Ok(ModuleGrants::Changed)
}

/// [`MODULE_PRIVILEGES_SQL`] for each of `roles`, prefixed with the role.
async fn privileges_of(
    tx: &mut sqlx::PgConnection,
    schema: &str,
    roles: &[&str],
) -> Result<Vec<String>> {
    let mut all = Vec::new();
    for r in roles {
        let held: Vec<String> = sqlx::query_scalar(MODULE_PRIVILEGES_SQL)
            .bind(schema)
            .bind(r)
            .fetch_one(&mut *tx)
            .await?;
        all.extend(held.into_iter().map(|p| format!("{r}:{p}")));
    }
    Ok(all)
}

/// What is wrong with `db`'s modules on the live database (empty: nothing):
/// each self-policed table exists with row level security enabled and a
/// policy, and the service role holds exactly the privileges the modules'
/// grant files give it (found by applying them in a transaction that is
/// rolled back). Doctor and verify report these.
pub async fn problems(conn: &mut sqlx::PgConnection, db: &Database) -> Result<Vec<String>> {
    use sqlx::Connection as _;
    let mut problems = Vec::new();
    for t in self_policed_tables(db)? {
        let state: Option<(bool, i64)> = sqlx::query_as(
            "SELECT c.relrowsecurity, (SELECT count(*) FROM pg_policy p WHERE p.polrelid = c.oid) \
             FROM pg_class c WHERE c.oid = to_regclass($1)",
        )
        .bind(t.sql())
        .fetch_optional(&mut *conn)
        .await?;
        match state {
            None => problems.push(format!("table {t} is missing; run `pgtenant migrate`")),
            Some((rls, policies)) if !rls || policies == 0 => problems.push(format!(
                "table {t} has no row level security or no policy; run `pgtenant generate` and `pgtenant migrate`"
            )),
            Some(_) => {}
        }
    }
    if !problems.is_empty() {
        return Ok(problems);
    }
    let mut tx = conn.begin().await?;
    let found = ensure_grants(&mut tx, db, &mut Vec::new()).await?;
    tx.rollback().await?;
    let role = &db.service_role.name;
    match found {
        ModuleGrants::Unchanged => {}
        ModuleGrants::Changed => problems.push(format!(
            "service role {role} does not hold exactly the modules' privileges; run `pgtenant bootstrap`"
        )),
        ModuleGrants::ObjectsMissing => {
            problems.push("the modules' objects are missing; run `pgtenant migrate`".to_owned());
        }
        ModuleGrants::RoleMissing => problems.push(format!(
            "service role {role} does not exist; run `pgtenant bootstrap`"
        )),
    }
    Ok(problems)
}

/// The one database among `selected` that uses `module` (a command's
/// `--db` picks among several), or a usage error saying what to do.
pub fn pick<'a>(selected: &[&'a Database], module: &str) -> Result<&'a Database> {
    let with: Vec<&Database> = selected
        .iter()
        .copied()
        .filter(|d| d.uses_module(module))
        .collect();
    match with.as_slice() {
        [one] => Ok(one),
        [] => Err(usage(format!(
            "no selected database uses the {module} module; add modules = [\"{module}\"] to its [[database]]"
        ))),
        many => Err(usage(format!(
            "several databases use the {module} module ({}); pick one with --db",
            many.iter()
                .map(|d| d.name.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        ))),
    }
}

/// The tenant column of `db`'s module tables (`[tenancy].column`).
pub fn tenant_column(db: &Database) -> &str {
    db.tenancy
        .as_ref()
        .map_or("tenant_id", |t| t.column.as_str())
}

/// The key type of `column` of the module table `table` in the live
/// database: how a `--tenant` or `--user` value is checked. A missing table
/// means the module's migration has not run.
pub async fn live_key_type(
    conn: &mut sqlx::PgConnection,
    db: &Database,
    table: &str,
    column: &str,
) -> Result<TenantKeyType> {
    let schema = &db.module_schema;
    let t: Option<String> = sqlx::query_scalar(
        "SELECT format_type(a.atttypid, a.atttypmod) FROM pg_attribute a \
         JOIN pg_class c ON c.oid = a.attrelid JOIN pg_namespace n ON n.oid = c.relnamespace \
         WHERE n.nspname = $1 AND c.relname = $2 AND a.attname = $3 AND NOT a.attisdropped",
    )
    .bind(schema)
    .bind(table)
    .bind(column)
    .fetch_optional(&mut *conn)
    .await?;
    let t = t.ok_or_else(|| {
        usage(format!(
            "database {}: table {schema}.{table} (or its column {column}) does not exist; \
             run `pgtenant generate` and `pgtenant migrate` to install the module",
            db.name
        ))
    })?;
    TenantKeyType::from_format_type(&t)
        .ok_or_else(|| anyhow::anyhow!("unexpected key type {t} in {schema}.{table}.{column}"))
}
