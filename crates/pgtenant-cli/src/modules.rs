//! The building-block modules a database lists (`modules = [...]`): their
//! template parameters, taken from the manifest and from the user's own
//! schema (the tenant key's type is the root table's primary key type), the
//! rendered SQL the desired shadow loads after the user's files, and the
//! module tables the tenancy transform leaves alone.

use crate::error::usage;
use crate::manifest::Database;
use anyhow::Result;
use pgtenant::module::{MembershipStatus, Module, ModuleParams, RenderedFile};
use pgtenant::{MembershipConfig, TableName, TenantKeyType};
use pgtenant_schema::{Catalog, ConstraintKind, QualName};

/// The modules of `db`, in manifest order (names were checked when the
/// manifest was read).
pub fn of(db: &Database) -> Result<Vec<&'static Module>> {
    db.modules
        .iter()
        .map(|name| {
            pgtenant::module::by_name(name)
                .map_err(|e| usage(format!("database {}: modules: {e}", db.name)))
        })
        .collect()
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

/// Whether `name` lives in the schema of `db`'s modules, when it has any:
/// the grants on such objects are the modules' own (not bootstrap's).
pub fn in_module_schema(db: &Database, schema: &str) -> bool {
    !db.modules.is_empty() && schema == db.module_schema
}

/// The type of `column` of `table` in `catalog` as a key type, or why not.
fn key_type(catalog: &Catalog, table: &QualName, column: &str, what: &str) -> Result<TenantKeyType> {
    let t = catalog.tables.get(table).ok_or_else(|| {
        usage(format!(
            "{what}: table {table} is not in the schema files; create it there or fix the manifest"
        ))
    })?;
    let c = t.column(column).ok_or_else(|| {
        usage(format!("{what}: table {table} has no column {column}"))
    })?;
    TenantKeyType::from_format_type(&c.data_type).ok_or_else(|| {
        usage(format!(
            "{what}: column {table}.{column} is {}; modules need uuid, text, varchar, bigint, integer or smallint",
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
            "{what}: the primary key of {table} is ({}); modules need a one-column key",
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

/// The template parameters of `db`'s modules, read from the manifest and
/// from `catalog` (the user's schema, loaded): the root table's key and its
/// type, the membership user column's type.
pub fn params(db: &Database, catalog: &Catalog) -> Result<ModuleParams> {
    let Some(t) = &db.tenancy else {
        return Err(usage(format!(
            "database {}: modules need tenancy; set tenancy = true for this database, or remove modules",
            db.name
        )));
    };
    let what = format!("database {} [tenancy].root_table", db.name);
    let root = qual(&t.root_table);
    let root_key = primary_key(catalog, &root, &what)?;
    let tenant_key = key_type(catalog, &root, &root_key, &what)?;
    let user_key = match &t.membership {
        Some(m) => key_type(
            catalog,
            &qual(&m.table),
            &m.user_column,
            &format!("database {} [tenancy.membership].user_column", db.name),
        )?,
        None => tenant_key.clone(),
    };
    let mut p = ModuleParams::new(tenant_key, user_key)
        .schema(&db.module_schema)
        .tenant_column(&t.column)
        .tenant_setting(&t.setting)
        .root_table(TableName::parse(&t.root_table), &root_key)
        .service_role(&db.service_role.name);
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
    if modules.iter().all(|m| m.setup.is_empty()) {
        return Ok(Vec::new());
    }
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
