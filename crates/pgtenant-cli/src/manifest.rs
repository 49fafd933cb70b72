//! `pgtenant.toml`: the project manifest.
//!
//! Parsing happens in two steps. [`parse`] deserializes the TOML into raw
//! structs that keep the position of every string (`Spanned`) and reject
//! unknown keys; then each string is expanded (`${VAR}`, `${VAR:-default}`)
//! and checked, and every error names the file, the line and the key. The
//! result, [`Manifest`], holds plain, validated values with defaults
//! applied and paths resolved against the project folder. Only the CLI
//! reads the manifest.
//!
//! [`load`] adds the file system: it reads the file and the `.env` beside
//! it; variables of the real environment win over `.env`.

use pgtenant_schema::ident::validate_plain_ident;
use serde::de::{self, Deserializer, MapAccess, Visitor};
use serde::Deserialize;
use std::collections::BTreeMap;
use std::fmt;
use std::ops::Range;
use std::path::{Path, PathBuf};
use toml::Spanned;

/// The manifest's file name.
pub const FILE_NAME: &str = "pgtenant.toml";

/// Databases pgtenant never creates nor drops.
const SYSTEM_DATABASES: &[&str] = &["postgres", "template0", "template1"];

// ---------------------------------------------------------------- model

/// A loaded, validated manifest.
#[derive(Debug, Clone, PartialEq)]
pub struct Manifest {
    /// The manifest file.
    pub path: PathBuf,
    /// The project folder; every path below is joined onto it.
    pub dir: PathBuf,
    pub project: Project,
    /// `connection.admin_url`, expanded (None when absent).
    pub admin_url: Option<String>,
    /// The `[tenancy]` defaults, with pgtenant's defaults applied.
    pub tenancy: Tenancy,
    pub databases: Vec<Database>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Project {
    pub name: String,
}

/// How tenancy works in a database.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Tenancy {
    /// The tenant key column (`tenant_id`).
    pub column: String,
    /// The setting the policies read (`app.tenant_id`).
    pub setting: String,
    /// The setting holding the current user (`app.user_id`), if any.
    pub user_setting: Option<String>,
    /// The table whose primary key is the tenant id (`tenants`).
    pub root_table: String,
    /// Tables that carry the column but are not tenant-scoped.
    pub global_tables: Vec<String>,
    /// Which table says which user belongs to which tenant.
    pub membership: Option<Membership>,
}

impl Default for Tenancy {
    fn default() -> Self {
        Tenancy {
            column: "tenant_id".to_owned(),
            setting: "app.tenant_id".to_owned(),
            user_setting: None,
            root_table: "tenants".to_owned(),
            global_tables: Vec::new(),
            membership: None,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Membership {
    pub table: String,
    pub user_column: String,
    pub tenant_column: String,
}

/// One `[[database]]`.
#[derive(Debug, Clone, PartialEq)]
pub struct Database {
    /// A plain identifier (validated).
    pub name: String,
    /// Folder of `*.sql`: the desired state (default `schema/<name>`).
    pub schema_dir: PathBuf,
    /// Folder of migrations (default `migrations/<name>`).
    pub migrations_dir: PathBuf,
    pub seeds: Seeds,
    /// `None`: tenancy off. `Some`: the effective settings ([tenancy]
    /// defaults with this database's overrides applied).
    pub tenancy: Option<Tenancy>,
    /// The application's least-privilege login role.
    pub service_role: Role,
    /// The optional BYPASSRLS login role for system jobs.
    pub superadmin_role: Option<Role>,
}

impl Database {
    /// The roles of this database: the service role, then the superadmin.
    pub fn roles(&self) -> impl Iterator<Item = (RoleKind, &Role)> {
        std::iter::once((RoleKind::Service, &self.service_role)).chain(
            self.superadmin_role
                .iter()
                .map(|r| (RoleKind::Superadmin, r)),
        )
    }
}

/// The seeds folders (defaults `seeds/<name>/setup` and `seeds/<name>/demo`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Seeds {
    pub setup: PathBuf,
    pub demo: PathBuf,
}

/// A login role pgtenant manages.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Role {
    /// A plain identifier (validated).
    pub name: String,
    pub password: Secret,
}

/// Which of a database's roles.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum RoleKind {
    /// NOSUPERUSER NOBYPASSRLS, DML only.
    Service,
    /// NOSUPERUSER BYPASSRLS, DML only.
    Superadmin,
}

/// A password: never printed (its `Debug` shows `***`, it has no `Display`).
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    #[allow(dead_code)] // API for commands that build roles themselves
    pub fn new(value: impl Into<String>) -> Secret {
        Secret(value.into())
    }

    /// The value, for a connection or a `PASSWORD` literal. Never print it.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(***)")
    }
}

impl Manifest {
    pub fn database(&self, name: &str) -> Option<&Database> {
        self.databases.iter().find(|d| d.name == name)
    }

    /// The databases a `--db` flag selects: all of them without one.
    pub fn select(&self, name: Option<&str>) -> Result<Vec<&Database>, ManifestError> {
        match name {
            None => Ok(self.databases.iter().collect()),
            Some(n) => match self.database(n) {
                Some(db) => Ok(vec![db]),
                None => Err(ManifestError {
                    file: self.path.clone(),
                    line: None,
                    message: format!(
                        "no database named `{n}`; the manifest has: {}",
                        self.databases
                            .iter()
                            .map(|d| d.name.as_str())
                            .collect::<Vec<_>>()
                            .join(", ")
                    ),
                }),
            },
        }
    }
}

// ---------------------------------------------------------------- errors

/// A manifest problem: exit code 2. Displays as `file:line: message`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ManifestError {
    pub file: PathBuf,
    pub line: Option<usize>,
    pub message: String,
}

impl fmt::Display for ManifestError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.line {
            Some(line) => write!(f, "{}:{line}: {}", self.file.display(), self.message),
            None => write!(f, "{}: {}", self.file.display(), self.message),
        }
    }
}

impl std::error::Error for ManifestError {}

// ---------------------------------------------------------------- loading

/// The nearest `pgtenant.toml` in `start` or a folder above it.
pub fn find_upward(start: &Path) -> Option<PathBuf> {
    start
        .ancestors()
        .map(|d| d.join(FILE_NAME))
        .find(|p| p.is_file())
}

/// Read and parse the manifest at `path`, with the `.env` beside it.
pub fn load(path: &Path) -> Result<Manifest, ManifestError> {
    let text = std::fs::read_to_string(path).map_err(|e| ManifestError {
        file: path.to_owned(),
        line: None,
        message: format!("cannot read the manifest: {e}"),
    })?;
    let dir = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_owned(),
        _ => PathBuf::from("."),
    };
    let dotenv = read_dotenv(&dir.join(".env"))?;
    let lookup = |name: &str| {
        std::env::var(name)
            .ok()
            .or_else(|| dotenv.get(name).cloned())
    };
    parse(&text, path, &dir, &lookup)
}

/// The variables of a `.env` file (empty when there is none).
pub fn read_dotenv(path: &Path) -> Result<BTreeMap<String, String>, ManifestError> {
    if !path.is_file() {
        return Ok(BTreeMap::new());
    }
    let iter = dotenvy::from_path_iter(path).map_err(|e| ManifestError {
        file: path.to_owned(),
        line: None,
        message: format!("cannot read: {e}"),
    })?;
    let mut vars = BTreeMap::new();
    for item in iter {
        let (k, v) = item.map_err(|e| ManifestError {
            file: path.to_owned(),
            line: None,
            message: format!("{e}; expected NAME=value lines"),
        })?;
        vars.insert(k, v);
    }
    Ok(vars)
}

// ---------------------------------------------------------------- expansion

/// Why a `${...}` reference could not be expanded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ExpandError {
    /// `${NAME}` with NAME unset and no default.
    Undefined(String),
    /// `${` without its `}`.
    Unclosed,
    /// `${...}` whose name is not `[A-Za-z_][A-Za-z0-9_]*`.
    BadName(String),
}

impl fmt::Display for ExpandError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ExpandError::Undefined(v) => write!(
                f,
                "${{{v}}} is not set and has no default; set {v} in the environment or in .env \
                 beside the manifest, or write ${{{v}:-default}}"
            ),
            ExpandError::Unclosed => write!(f, "`${{` without a closing `}}`"),
            ExpandError::BadName(n) => write!(
                f,
                "`${{{n}}}` is not a variable reference; write ${{NAME}} or ${{NAME:-default}} \
                 with NAME made of letters, digits and _"
            ),
        }
    }
}

/// Expand `${VAR}` and `${VAR:-default}` in `input`. An empty or unset
/// VAR takes the default (as in the shell); `$` alone stays `$`.
pub fn expand(input: &str, lookup: &dyn Fn(&str) -> Option<String>) -> Result<String, ExpandError> {
    let mut out = String::with_capacity(input.len());
    let mut rest = input;
    while let Some(start) = rest.find("${") {
        out.push_str(&rest[..start]);
        let after = &rest[start + 2..];
        let end = after.find('}').ok_or(ExpandError::Unclosed)?;
        let inner = &after[..end];
        let (name, default) = match inner.split_once(":-") {
            Some((n, d)) => (n, Some(d)),
            None => (inner, None),
        };
        let valid = name
            .chars()
            .next()
            .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
            && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
        if !valid {
            return Err(ExpandError::BadName(inner.to_owned()));
        }
        let value = match (lookup(name), default) {
            (Some(v), Some(d)) if v.is_empty() => d.to_owned(),
            (Some(v), _) => v,
            (None, Some(d)) => d.to_owned(),
            (None, None) => return Err(ExpandError::Undefined(name.to_owned())),
        };
        out.push_str(&value);
        rest = &after[end + 1..];
    }
    out.push_str(rest);
    Ok(out)
}

// ---------------------------------------------------------------- raw TOML

type S = Spanned<String>;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawManifest {
    project: Option<Spanned<RawProject>>,
    connection: Option<RawConnection>,
    tenancy: Option<RawTenancy>,
    #[serde(default)]
    database: Vec<Spanned<RawDatabase>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawProject {
    name: Option<S>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawConnection {
    admin_url: Option<S>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawTenancy {
    column: Option<S>,
    setting: Option<S>,
    user_setting: Option<S>,
    root_table: Option<S>,
    global_tables: Option<Vec<S>>,
    membership: Option<RawMembership>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawMembership {
    table: S,
    user_column: S,
    tenant_column: S,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawDatabase {
    name: Option<S>,
    schema: Option<S>,
    migrations: Option<S>,
    seeds: Option<RawSeeds>,
    tenancy: Option<Spanned<RawTenancySetting>>,
    service_role: Option<Spanned<RawRole>>,
    superadmin_role: Option<Spanned<RawRole>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawSeeds {
    setup: Option<S>,
    demo: Option<S>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawRole {
    name: Option<S>,
    password: Option<S>,
}

/// `tenancy = true | false | { column = ..., ... }`.
#[derive(Debug)]
enum RawTenancySetting {
    Flag(bool),
    Overrides(Box<RawTenancy>),
}

impl<'de> Deserialize<'de> for RawTenancySetting {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = RawTenancySetting;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("true, false, or a table of [tenancy] keys to override")
            }
            fn visit_bool<E: de::Error>(self, v: bool) -> Result<Self::Value, E> {
                Ok(RawTenancySetting::Flag(v))
            }
            fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Self::Value, A::Error> {
                RawTenancy::deserialize(de::value::MapAccessDeserializer::new(map))
                    .map(|t| RawTenancySetting::Overrides(Box::new(t)))
            }
        }
        d.deserialize_any(V)
    }
}

// ---------------------------------------------------------------- parsing

/// Parse manifest text. `file` names the file in errors, `dir` is the
/// project folder paths are resolved against, `lookup` reads variables.
pub fn parse(
    text: &str,
    file: &Path,
    dir: &Path,
    lookup: &dyn Fn(&str) -> Option<String>,
) -> Result<Manifest, ManifestError> {
    let p = Parser { text, file, lookup };
    let raw: RawManifest = toml::from_str(text).map_err(|e| p.toml_error(&e))?;

    let project = raw.project.ok_or_else(|| {
        p.err(
            None,
            "missing [project] table; add [project] with name = \"...\"",
        )
    })?;
    let project_span = project.span();
    let name = project.into_inner().name.ok_or_else(|| {
        p.err(
            Some(project_span.clone()),
            "[project] has no `name`; add name = \"...\"",
        )
    })?;
    let project_name = p.string(&name, "project.name")?;
    if project_name.trim().is_empty() {
        return Err(p.err(Some(name.span()), "project.name is empty"));
    }

    let admin_url = match raw.connection.and_then(|c| c.admin_url) {
        None => None,
        Some(s) => {
            let url = p.string(&s, "connection.admin_url")?;
            crate::pgurl::validate(&url).map_err(|why| {
                p.err(
                    Some(s.span()),
                    &format!(
                        "connection.admin_url {} is not a valid URL ({why}); expected \
                         postgres://user[:password]@host[:port]/database",
                        crate::pgurl::mask(&url)
                    ),
                )
            })?;
            Some(url)
        }
    };

    let tenancy = p.tenancy(
        Tenancy::default(),
        raw.tenancy.unwrap_or_default(),
        "tenancy",
    )?;

    if raw.database.is_empty() {
        return Err(p.err(
            None,
            "no [[database]]; add one with name = \"...\" and service_role = { name = \"...\", password = \"...\" }",
        ));
    }
    let mut databases: Vec<Database> = Vec::new();
    let mut db_lines: BTreeMap<String, usize> = BTreeMap::new();
    let mut role_owners: BTreeMap<String, String> = BTreeMap::new();
    for (index, spanned) in raw.database.into_iter().enumerate() {
        let span = spanned.span();
        let db = p.database(spanned.into_inner(), span.clone(), index, dir, &tenancy)?;
        if let Some(first) = db_lines.get(&db.name) {
            return Err(p.err(
                Some(span),
                &format!(
                    "database `{}` is declared twice (first on line {first}); each [[database]] needs its own name",
                    db.name
                ),
            ));
        }
        db_lines.insert(db.name.clone(), p.line(&span));
        for (_, role) in db.roles() {
            if let Some(other) = role_owners.get(&role.name) {
                return Err(p.err(
                    Some(span.clone()),
                    &format!(
                        "role `{}` of database `{}` is already used by database `{other}`; \
                         every database needs its own service and superadmin roles",
                        role.name, db.name
                    ),
                ));
            }
            role_owners.insert(role.name.clone(), db.name.clone());
        }
        databases.push(db);
    }

    Ok(Manifest {
        path: file.to_owned(),
        dir: dir.to_owned(),
        project: Project { name: project_name },
        admin_url,
        tenancy,
        databases,
    })
}

struct Parser<'a> {
    text: &'a str,
    file: &'a Path,
    lookup: &'a dyn Fn(&str) -> Option<String>,
}

impl Parser<'_> {
    fn line(&self, span: &Range<usize>) -> usize {
        let end = span.start.min(self.text.len());
        self.text[..end].matches('\n').count() + 1
    }

    fn err(&self, span: Option<Range<usize>>, message: &str) -> ManifestError {
        ManifestError {
            file: self.file.to_owned(),
            line: span.map(|s| self.line(&s)),
            message: message.to_owned(),
        }
    }

    fn toml_error(&self, e: &toml::de::Error) -> ManifestError {
        let message = e.message().trim().replace("unknown field", "unknown key");
        let message = message.replace("missing field", "missing key");
        let message = if message.starts_with("unknown key") {
            format!("{message}; remove it or fix its spelling")
        } else {
            message
        };
        ManifestError {
            file: self.file.to_owned(),
            line: e.span().map(|s| self.line(&s)),
            message,
        }
    }

    /// Expand one string value; errors name the key.
    fn string(&self, s: &S, key: &str) -> Result<String, ManifestError> {
        expand(s.get_ref(), self.lookup)
            .map_err(|e| self.err(Some(s.span()), &format!("{key}: {e}")))
    }

    fn nonempty(&self, s: &S, key: &str) -> Result<String, ManifestError> {
        let v = self.string(s, key)?;
        if v.trim().is_empty() {
            return Err(self.err(Some(s.span()), &format!("{key} is empty")));
        }
        Ok(v)
    }

    /// Apply the fields of `raw` over `base`.
    fn tenancy(&self, base: Tenancy, raw: RawTenancy, key: &str) -> Result<Tenancy, ManifestError> {
        let mut t = base;
        if let Some(s) = &raw.column {
            t.column = self.nonempty(s, &format!("{key}.column"))?;
        }
        if let Some(s) = &raw.setting {
            t.setting = self.setting(s, &format!("{key}.setting"))?;
        }
        if let Some(s) = &raw.user_setting {
            t.user_setting = Some(self.setting(s, &format!("{key}.user_setting"))?);
        }
        if let Some(s) = &raw.root_table {
            t.root_table = self.nonempty(s, &format!("{key}.root_table"))?;
        }
        if let Some(list) = &raw.global_tables {
            t.global_tables = list
                .iter()
                .map(|s| self.nonempty(s, &format!("{key}.global_tables")))
                .collect::<Result<_, _>>()?;
        }
        if let Some(m) = &raw.membership {
            t.membership = Some(Membership {
                table: self.nonempty(&m.table, &format!("{key}.membership.table"))?,
                user_column: self
                    .nonempty(&m.user_column, &format!("{key}.membership.user_column"))?,
                tenant_column: self
                    .nonempty(&m.tenant_column, &format!("{key}.membership.tenant_column"))?,
            });
        }
        Ok(t)
    }

    /// A custom setting name: `prefix.name`, lower-case letters, digits, _.
    fn setting(&self, s: &S, key: &str) -> Result<String, ManifestError> {
        let v = self.string(s, key)?;
        let ok_part = |p: &str| {
            !p.is_empty()
                && p.chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
        };
        match v.split_once('.') {
            Some((a, b)) if ok_part(a) && ok_part(b) => Ok(v),
            _ => Err(self.err(
                Some(s.span()),
                &format!(
                    "{key} = {v:?} is not a custom setting name; expected prefix.name such as \"app.tenant_id\""
                ),
            )),
        }
    }

    fn ident(&self, s: &S, key: &str, what: &str) -> Result<String, ManifestError> {
        let v = self.string(s, key)?;
        validate_plain_ident(&v).map_err(|e| {
            self.err(
                Some(s.span()),
                &format!("{key} = {v:?} is not a valid {what} name: {e}"),
            )
        })?;
        Ok(v)
    }

    fn role(&self, raw: Spanned<RawRole>, key: &str, db: &str) -> Result<Role, ManifestError> {
        let span = raw.span();
        let raw = raw.into_inner();
        let name_s = raw.name.ok_or_else(|| {
            self.err(
                Some(span.clone()),
                &format!("{key} of database `{db}` has no `name`"),
            )
        })?;
        let name = self.ident(&name_s, &format!("{key}.name"), "role")?;
        if name.starts_with("pg_") || matches!(name.as_str(), "public" | "none" | "postgres") {
            return Err(self.err(
                Some(name_s.span()),
                &format!("{key}.name = {name:?} is reserved by PostgreSQL; pick another role name"),
            ));
        }
        let pw_s = raw.password.ok_or_else(|| {
            self.err(
                Some(span.clone()),
                &format!(
                    "{key} of database `{db}` has no `password`; add password = \"${{SOME_VAR}}\""
                ),
            )
        })?;
        let password = self.string(&pw_s, &format!("{key}.password"))?;
        if password.is_empty() {
            return Err(self.err(
                Some(pw_s.span()),
                &format!(
                    "{key}.password of database `{db}` is empty; a login role needs a password"
                ),
            ));
        }
        Ok(Role {
            name,
            password: Secret(password),
        })
    }

    fn path(
        &self,
        s: Option<&S>,
        key: &str,
        default: String,
        dir: &Path,
    ) -> Result<PathBuf, ManifestError> {
        let rel = match s {
            Some(s) => self.nonempty(s, key)?,
            None => default,
        };
        Ok(dir.join(rel))
    }

    fn database(
        &self,
        raw: RawDatabase,
        span: Range<usize>,
        index: usize,
        dir: &Path,
        defaults: &Tenancy,
    ) -> Result<Database, ManifestError> {
        let name_s = raw.name.ok_or_else(|| {
            self.err(
                Some(span.clone()),
                &format!(
                    "[[database]] number {} has no `name`; add name = \"...\"",
                    index + 1
                ),
            )
        })?;
        let name = self.ident(&name_s, "database.name", "database")?;
        if SYSTEM_DATABASES.contains(&name.as_str()) {
            return Err(self.err(
                Some(name_s.span()),
                &format!("database.name = {name:?} is a system database; pgtenant manages only its own databases"),
            ));
        }
        let schema_dir = self.path(raw.schema.as_ref(), "schema", format!("schema/{name}"), dir)?;
        let migrations_dir = self.path(
            raw.migrations.as_ref(),
            "migrations",
            format!("migrations/{name}"),
            dir,
        )?;
        let seeds = Seeds {
            setup: self.path(
                raw.seeds.as_ref().and_then(|s| s.setup.as_ref()),
                "seeds.setup",
                format!("seeds/{name}/setup"),
                dir,
            )?,
            demo: self.path(
                raw.seeds.as_ref().and_then(|s| s.demo.as_ref()),
                "seeds.demo",
                format!("seeds/{name}/demo"),
                dir,
            )?,
        };
        let tenancy = match raw.tenancy.map(Spanned::into_inner) {
            None | Some(RawTenancySetting::Flag(false)) => None,
            Some(RawTenancySetting::Flag(true)) => Some(defaults.clone()),
            Some(RawTenancySetting::Overrides(o)) => {
                Some(self.tenancy(defaults.clone(), *o, "tenancy")?)
            }
        };
        let service = raw.service_role.ok_or_else(|| {
            self.err(
                Some(span.clone()),
                &format!(
                    "database `{name}` has no service_role; add service_role = {{ name = \"svc_{name}\", password = \"${{SVC_{}_PASSWORD}}\" }}",
                    name.to_ascii_uppercase()
                ),
            )
        })?;
        let service_role = self.role(service, "service_role", &name)?;
        let superadmin_role = raw
            .superadmin_role
            .map(|r| self.role(r, "superadmin_role", &name))
            .transpose()?;
        if let Some(sa) = &superadmin_role {
            if sa.name == service_role.name {
                return Err(self.err(
                    Some(span),
                    &format!("database `{name}`: superadmin_role and service_role are both `{}`; they must differ", sa.name),
                ));
            }
        }
        Ok(Database {
            name,
            schema_dir,
            migrations_dir,
            seeds,
            tenancy,
            service_role,
            superadmin_role,
        })
    }
}

#[cfg(test)]
mod tests;
