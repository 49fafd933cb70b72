//! `pgtenant.toml`: the project manifest.
//!
//! Parsing happens in two steps. [`raw`] deserializes the TOML into structs
//! that keep the position of every string (`Spanned`) and reject unknown
//! keys; then [`parse`] expands each string (`${VAR}`, `${VAR:-default}`,
//! the grammar of `pgtenant::seed::placeholder`) and checks it, and every
//! error names the file, the line and the key. The result, [`Manifest`],
//! holds plain, validated values with defaults applied and paths resolved
//! against the project folder. Only the CLI reads the manifest.
//!
//! [`load`] adds the file system: it reads the file and the `.env` beside
//! it; variables of the real environment win over `.env`.

mod parse;
mod raw;

use parse::parse;
use std::collections::BTreeMap;
use std::fmt;
use std::path::{Path, PathBuf};

/// The manifest's file name.
pub const FILE_NAME: &str = "pgtenant.toml";

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
    /// Global tables the service role may write (every other global table
    /// is read-only for it).
    pub writable_global_tables: Vec<Listed>,
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
            writable_global_tables: Vec::new(),
            membership: None,
        }
    }
}

/// A table named in the manifest, with the line it is named on (for the
/// error when the database has no such table).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Listed {
    pub table: pgtenant_schema::model::QualName,
    pub line: usize,
}

/// One `[database.grants]` entry: exactly these privileges for the service
/// role on the table.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct DeclaredGrant {
    pub table: Listed,
    pub privileges: pgtenant_schema::privileges::Privileges,
}

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Membership {
    pub table: String,
    pub user_column: String,
    pub tenant_column: String,
    /// Which rows count as active members: `status_column IN
    /// (active_values)`. `None`: every row.
    pub status: Option<MembershipStatus>,
}

/// `status_column` and `active_values` of `[tenancy.membership]`.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct MembershipStatus {
    pub column: String,
    pub active_values: Vec<String>,
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
    /// The building-block modules this database uses, by name, each known
    /// to [`pgtenant::module::by_name`], in manifest order.
    pub modules: Vec<String>,
    /// The schema module objects live in (default `pgtenant`).
    pub module_schema: String,
    /// `user_table`: the table of users in this database, whose one-column
    /// primary key is the user id; module rows naming a user reference it.
    pub user_table: Option<String>,
    /// `soft_delete = [...]`: tenant tables whose deleted rows are hidden
    /// under their policy instead of removed (tenancy on only).
    pub soft_delete: Vec<Listed>,
    /// The project's `[tenancy]` settings: a module serving a database
    /// with tenancy off reads the setting names from them.
    pub tenancy_defaults: Tenancy,
    /// The rbac module's catalog and global roles files.
    pub rbac: RbacFiles,
    /// `[database.grants]`: per-table privileges of the service role,
    /// replacing the defaults (DML on tenant tables, SELECT on global ones).
    pub grants: Vec<DeclaredGrant>,
    /// `[database.secrets]`: the keys of its encrypted columns.
    pub secrets: Option<SecretKeys>,
}

/// `[database.secrets]`: the keys of encrypted columns (`pgtenant::secrets`),
/// newest first. Only the names are in the manifest; each key is read from
/// its environment variable (or `.env`) by the command that needs it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SecretKeys {
    /// Newest (the sealing key) first.
    pub keys: Vec<KeySource>,
    /// The variable holding the key of values written before pgtenant
    /// (libsodium's combined secretbox in base64, as Carcosa stores them).
    pub legacy_env: Option<String>,
}

/// One key: its id (recorded in envelopes) and its environment variable.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeySource {
    pub id: String,
    pub env: String,
}

/// `[database.rbac]`: the permission catalog and the global roles
/// (defaults `rbac/permissions.txt` and `rbac/roles.txt`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RbacFiles {
    pub permissions: PathBuf,
    pub roles: PathBuf,
}

impl Database {
    /// Whether the database lists module `name`.
    pub fn uses_module(&self, name: &str) -> bool {
        self.modules.iter().any(|m| m == name)
    }

    /// The service role's grant rules of this database, as the schema
    /// engine takes them ([`pgtenant_schema::privileges`]).
    pub fn grant_rules(&self) -> pgtenant_schema::privileges::GrantRules {
        pgtenant_schema::privileges::GrantRules {
            writable_global: self
                .tenancy
                .iter()
                .flat_map(|t| &t.writable_global_tables)
                .map(|l| l.table.clone())
                .collect(),
            overrides: self
                .grants
                .iter()
                .map(|g| pgtenant_schema::privileges::TableGrant {
                    table: g.table.table.clone(),
                    privileges: g.privileges.clone(),
                })
                .collect(),
            closed_schemas: if self.modules.is_empty() {
                Vec::new()
            } else {
                vec![self.module_schema.clone()]
            },
        }
    }

    /// The manifest lines naming tables of the grant rules, by table.
    pub fn listed_tables(&self) -> impl Iterator<Item = &Listed> {
        self.tenancy
            .iter()
            .flat_map(|t| &t.writable_global_tables)
            .chain(self.grants.iter().map(|g| &g.table))
    }

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
    /// Set on the role in its database by bootstrap
    /// (`ALTER ROLE … IN DATABASE … SET`).
    pub timeouts: Timeouts,
}

/// The session timeouts of a managed role, each a PostgreSQL duration
/// (`500ms`, `30s`, `5min`, `0`); `None`: not set (bootstrap resets one set
/// earlier). A service role defaults to `lock_timeout = "5s"` and
/// `idle_in_transaction_session_timeout = "60s"`, with no
/// `statement_timeout`; a superadmin role to none.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Timeouts {
    pub statement_timeout: Option<String>,
    pub lock_timeout: Option<String>,
    pub idle_in_transaction_session_timeout: Option<String>,
}

impl Timeouts {
    /// The service role's defaults.
    pub fn service_defaults() -> Timeouts {
        Timeouts {
            statement_timeout: None,
            lock_timeout: Some("5s".to_owned()),
            idle_in_transaction_session_timeout: Some("60s".to_owned()),
        }
    }

    /// (setting name, value) for each of the three settings.
    pub fn settings(&self) -> [(&'static str, Option<&str>); 3] {
        [
            ("statement_timeout", self.statement_timeout.as_deref()),
            ("lock_timeout", self.lock_timeout.as_deref()),
            (
                "idle_in_transaction_session_timeout",
                self.idle_in_transaction_session_timeout.as_deref(),
            ),
        ]
    }
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

#[cfg(test)]
mod tests;
