//! Manifest text → [`Manifest`]: `${VAR}` expansion, validation, and
//! errors naming `file:line` and the key.

use super::raw::{
    RawDatabase, RawManifest, RawMembership, RawRbac, RawRole, RawSecrets, RawTenancy,
    RawTenancySetting, S,
};
use super::{
    Database, DeclaredGrant, KeySource, Listed, Manifest, ManifestError, Membership,
    MembershipStatus, Project, RbacFiles, Role, Secret, SecretKeys, Seeds, Tenancy, Timeouts,
};
use pgtenant::seed::placeholder::{self, Segment, SyntaxError};
use pgtenant_schema::ident::{validate_plain_ident, validate_setting};
use pgtenant_schema::privileges::{Privileges, TablePrivilege};
use pgtenant_schema::tenancy::TenancyRules;
use std::collections::BTreeMap;
use std::fmt;
use std::ops::Range;
use std::path::{Path, PathBuf};
use toml::Spanned;

/// Databases pgtenant never creates nor drops.
const SYSTEM_DATABASES: &[&str] = &["postgres", "template0", "template1"];

/// Why a `${...}` reference could not be expanded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ExpandError {
    /// `${NAME}` with NAME unset and no default.
    Undefined(String),
    /// `${` without its `}`.
    Unclosed,
    /// `${...}` whose name is not `[A-Za-z_][A-Za-z0-9_]*`.
    BadName(String),
    /// `${NAME:=...}`: seed files only.
    Generate(String),
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
            ExpandError::Generate(v) => write!(
                f,
                "`${{{v}:=...}}` generates a secret in seed files only; the manifest needs a value \
                 that stays the same: write ${{{v}}} or ${{{v}:-default}}"
            ),
        }
    }
}

/// Expand `${VAR}` and `${VAR:-default}` in `input` (the grammar of
/// [`placeholder::scan`]): the values as plain text. An empty or unset VAR
/// takes the default (as in the shell); `$` alone stays `$`.
pub fn expand(input: &str, lookup: &dyn Fn(&str) -> Option<String>) -> Result<String, ExpandError> {
    let mut out = String::with_capacity(input.len());
    for segment in placeholder::scan(input) {
        match segment {
            Segment::Text(text) => out.push_str(text),
            Segment::Var { var, .. } if var.generate => {
                return Err(ExpandError::Generate(var.name.to_owned()))
            }
            Segment::Var { var, .. } => match var.value(lookup) {
                Some(value) => out.push_str(&value),
                None => return Err(ExpandError::Undefined(var.name.to_owned())),
            },
            Segment::Error { error, .. } => {
                return Err(match error {
                    SyntaxError::Unclosed => ExpandError::Unclosed,
                    SyntaxError::BadName(inner) => ExpandError::BadName(inner),
                    SyntaxError::BadGenerator(inner) => ExpandError::BadName(format!(":={inner}")),
                })
            }
        }
    }
    Ok(out)
}

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
                        pgtenant_schema::shadow::mask_url(&url)
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
        if let Some(list) = &raw.writable_global_tables {
            t.writable_global_tables = list
                .iter()
                .map(|s| self.listed(s, &format!("{key}.writable_global_tables")))
                .collect::<Result<_, _>>()?;
        }
        if let Some(m) = &raw.membership {
            t.membership = Some(self.membership(m, key)?);
        }
        Ok(t)
    }

    /// A table name (`table` or `schema.table`) with its line.
    fn listed(&self, s: &S, key: &str) -> Result<Listed, ManifestError> {
        let v = self.nonempty(s, key)?;
        let table = TenancyRules::parse_table_name(&v)
            .map_err(|e| self.err(Some(s.span()), &format!("{key}: {e}")))?;
        Ok(Listed {
            table,
            line: self.line(&s.span()),
        })
    }

    /// `[database.grants]`: `table = ["SELECT", "INSERT"]`, each privilege
    /// one a login role may hold, the list not empty.
    fn grants(
        &self,
        raw: Option<&BTreeMap<String, Spanned<Vec<S>>>>,
        db: &str,
    ) -> Result<Vec<DeclaredGrant>, ManifestError> {
        let mut out = Vec::new();
        for (name, list) in raw.into_iter().flatten() {
            let key = format!("database `{db}`: grants.{name}");
            let span = list.span();
            let table = TenancyRules::parse_table_name(name)
                .map_err(|e| self.err(Some(span.clone()), &format!("{key}: {e}")))?;
            if list.get_ref().is_empty() {
                return Err(self.err(
                    Some(span),
                    &format!(
                        "{key} is empty; list the privileges the service role needs (e.g.                          [\"SELECT\"]), or remove the entry"
                    ),
                ));
            }
            let mut privileges = Privileges::new();
            for p in list.get_ref() {
                let v = self.nonempty(p, &key)?;
                let parsed = TablePrivilege::parse(&v)
                    .map_err(|e| self.err(Some(p.span()), &format!("{key}: {e}")))?;
                privileges.insert(parsed);
            }
            out.push(DeclaredGrant {
                table: Listed {
                    table,
                    line: self.line(&span),
                },
                privileges,
            });
        }
        Ok(out)
    }

    fn membership(&self, m: &RawMembership, key: &str) -> Result<Membership, ManifestError> {
        let key = format!("{key}.membership");
        let status = match (&m.status_column, &m.active_values) {
            (None, None) => None,
            (Some(c), values) => {
                let column = self.ident(c, &format!("{key}.status_column"), "column")?;
                let active_values = match values {
                    None => vec!["active".to_owned()],
                    Some(v) if v.is_empty() => {
                        return Err(self.err(
                            Some(c.span()),
                            &format!(
                                "{key}.active_values is empty; list the status values of active members, e.g. [\"active\"]"
                            ),
                        ))
                    }
                    Some(v) => v
                        .iter()
                        .map(|s| self.nonempty(s, &format!("{key}.active_values")))
                        .collect::<Result<_, _>>()?,
                };
                Some(MembershipStatus {
                    column,
                    active_values,
                })
            }
            (None, Some(v)) => {
                return Err(self.err(
                    v.first().map(Spanned::span),
                    &format!(
                        "{key}.active_values needs status_column, the column that holds the status"
                    ),
                ))
            }
        };
        Ok(Membership {
            table: self.nonempty(&m.table, &format!("{key}.table"))?,
            user_column: self.nonempty(&m.user_column, &format!("{key}.user_column"))?,
            tenant_column: self.nonempty(&m.tenant_column, &format!("{key}.tenant_column"))?,
            status,
        })
    }

    /// `modules = [...]`: each a known module, none twice.
    fn modules(
        &self,
        raw: Option<&Spanned<Vec<S>>>,
        db: &str,
    ) -> Result<Vec<String>, ManifestError> {
        let mut out: Vec<String> = Vec::new();
        for s in raw.map(|l| l.get_ref().as_slice()).unwrap_or_default() {
            let name = self.nonempty(s, "modules")?;
            if let Err(e) = pgtenant::module::by_name(&name) {
                return Err(self.err(Some(s.span()), &format!("database `{db}`: modules: {e}")));
            }
            if out.contains(&name) {
                return Err(self.err(
                    Some(s.span()),
                    &format!("database `{db}`: module {name:?} is listed twice"),
                ));
            }
            out.push(name);
        }
        Ok(out)
    }

    /// `soft_delete = [...]`: table names, each once, tenancy on.
    fn soft_delete(
        &self,
        raw: Option<&Spanned<Vec<S>>>,
        db: &str,
        tenancy: bool,
    ) -> Result<Vec<Listed>, ManifestError> {
        let Some(list) = raw else {
            return Ok(Vec::new());
        };
        if !tenancy && !list.get_ref().is_empty() {
            return Err(self.err(
                Some(list.span()),
                &format!("database `{db}`: soft_delete hides rows under the tenant policy; it needs tenancy = true"),
            ));
        }
        let mut out: Vec<Listed> = Vec::new();
        for s in list.get_ref() {
            let v = self.nonempty(s, "soft_delete")?;
            let table = TenancyRules::parse_table_name(&v).map_err(|e| {
                self.err(
                    Some(s.span()),
                    &format!("database `{db}`: soft_delete: {e}"),
                )
            })?;
            if out.iter().any(|l| l.table == table) {
                return Err(self.err(
                    Some(s.span()),
                    &format!("database `{db}`: soft_delete lists {table} twice"),
                ));
            }
            out.push(Listed {
                table,
                line: self.line(&s.span()),
            });
        }
        Ok(out)
    }

    /// In a database with tenancy off, only modules that do without it,
    /// and those name their users through `user_table`.
    fn modules_without_tenancy(
        &self,
        raw: Option<&Spanned<Vec<S>>>,
        names: &[String],
        db: &str,
        has_user_table: bool,
    ) -> Result<(), ManifestError> {
        let spans = raw.map(|l| l.get_ref().as_slice()).unwrap_or_default();
        for (s, name) in spans.iter().zip(names) {
            let Ok(m) = pgtenant::module::by_name(name) else {
                continue;
            };
            if m.needs_tenancy {
                return Err(self.err(
                    Some(s.span()),
                    &format!(
                        "database `{db}`: module {} needs tenancy (its rows belong to tenants); set tenancy = true for this database, or remove \"{}\" from its modules",
                        m.name, m.name
                    ),
                ));
            }
            if !has_user_table {
                return Err(self.err(
                    Some(s.span()),
                    &format!(
                        "database `{db}`: module {} in a database with tenancy off needs user_table = \"<table>\", the table whose one-column primary key is the user id",
                        m.name
                    ),
                ));
            }
        }
        Ok(())
    }

    fn rbac_files(&self, raw: Option<&RawRbac>, dir: &Path) -> Result<RbacFiles, ManifestError> {
        Ok(RbacFiles {
            permissions: self.path(
                raw.and_then(|r| r.permissions.as_ref()),
                "rbac.permissions",
                "rbac/permissions.txt".to_owned(),
                dir,
            )?,
            roles: self.path(
                raw.and_then(|r| r.roles.as_ref()),
                "rbac.roles",
                "rbac/roles.txt".to_owned(),
                dir,
            )?,
        })
    }

    /// An environment variable's name: `[A-Za-z_][A-Za-z0-9_]*`.
    fn env_name(&self, s: &S, key: &str) -> Result<String, ManifestError> {
        let v = self.nonempty(s, key)?;
        let ok = v
            .bytes()
            .enumerate()
            .all(|(i, b)| b == b'_' || b.is_ascii_alphabetic() || (i > 0 && b.is_ascii_digit()));
        if ok {
            Ok(v)
        } else {
            Err(self.err(
                Some(s.span()),
                &format!(
                    "{key} = {v:?} is not an environment variable name; write the variable's \
                     name (letters, digits and _), such as \"APP_SECRET_KEY\", not its value"
                ),
            ))
        }
    }

    /// `[database.secrets]`: at least one key, valid ids (the library's
    /// rule), none twice, variable names.
    fn secrets(
        &self,
        raw: Option<Spanned<RawSecrets>>,
        db: &str,
    ) -> Result<Option<SecretKeys>, ManifestError> {
        let Some(raw) = raw else { return Ok(None) };
        let span = raw.span();
        let raw = raw.into_inner();
        let list = raw.keys.unwrap_or_default();
        if list.is_empty() {
            return Err(self.err(
                Some(span),
                &format!(
                    "[database.secrets] of database `{db}` lists no keys; add \
                     keys = [{{ id = \"k1\", env = \"APP_SECRET_KEY\" }}] (newest first)"
                ),
            ));
        }
        let mut keys: Vec<KeySource> = Vec::new();
        for k in list {
            let k_span = k.span();
            let k = k.into_inner();
            let missing = |field: &str| {
                self.err(
                    Some(k_span.clone()),
                    &format!("a key of [database.secrets] of database `{db}` has no `{field}`"),
                )
            };
            let id_s = k.id.as_ref().ok_or_else(|| missing("id"))?;
            let id = self.string(id_s, "secrets.keys.id")?;
            if let Err(e) = pgtenant::secrets::validate_key_id(&id) {
                return Err(self.err(Some(id_s.span()), &format!("secrets.keys.id: {e}")));
            }
            if keys.iter().any(|o| o.id == id) {
                return Err(self.err(
                    Some(id_s.span()),
                    &format!("secrets.keys.id {id:?} is listed twice; every key needs its own id"),
                ));
            }
            let env_s = k.env.as_ref().ok_or_else(|| missing("env"))?;
            let env = self.env_name(env_s, "secrets.keys.env")?;
            keys.push(KeySource { id, env });
        }
        let legacy_env = raw
            .legacy_env
            .as_ref()
            .map(|s| self.env_name(s, "secrets.legacy_env"))
            .transpose()?;
        Ok(Some(SecretKeys { keys, legacy_env }))
    }

    /// A custom setting name, by the one rule of
    /// [`pgtenant_schema::ident::validate_setting`].
    fn setting(&self, s: &S, key: &str) -> Result<String, ManifestError> {
        let v = self.string(s, key)?;
        match validate_setting(&v) {
            Ok(()) => Ok(v),
            Err(_) => Err(self.err(
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

    /// A PostgreSQL duration: `0`, or a whole number with a unit.
    fn duration(&self, s: &S, key: &str) -> Result<String, ManifestError> {
        let v = self.string(s, key)?;
        let digits = v.bytes().take_while(u8::is_ascii_digit).count();
        let unit = &v[digits..];
        let ok = v == "0" || (digits > 0 && matches!(unit, "us" | "ms" | "s" | "min" | "h" | "d"));
        if !ok {
            return Err(self.err(
                Some(s.span()),
                &format!(
                    "{key} = {v:?} is not a PostgreSQL duration; write a whole number with a unit \
                     (us, ms, s, min, h, d) such as \"500ms\", \"30s\" or \"5min\", or \"0\" for no limit"
                ),
            ));
        }
        Ok(v)
    }

    fn timeouts(
        &self,
        raw: &RawRole,
        key: &str,
        defaults: Timeouts,
    ) -> Result<Timeouts, ManifestError> {
        let mut t = defaults;
        for (value, slot, name) in [
            (
                &raw.statement_timeout,
                &mut t.statement_timeout,
                "statement_timeout",
            ),
            (&raw.lock_timeout, &mut t.lock_timeout, "lock_timeout"),
            (
                &raw.idle_in_transaction_session_timeout,
                &mut t.idle_in_transaction_session_timeout,
                "idle_in_transaction_session_timeout",
            ),
        ] {
            if let Some(s) = value {
                *slot = Some(self.duration(s, &format!("{key}.{name}"))?);
            }
        }
        Ok(t)
    }

    fn role(
        &self,
        raw: Spanned<RawRole>,
        key: &str,
        db: &str,
        defaults: Timeouts,
    ) -> Result<Role, ManifestError> {
        let span = raw.span();
        let raw = raw.into_inner();
        let name_s = raw.name.as_ref().ok_or_else(|| {
            self.err(
                Some(span.clone()),
                &format!("{key} of database `{db}` has no `name`"),
            )
        })?;
        let name = self.ident(name_s, &format!("{key}.name"), "role")?;
        if name.starts_with("pg_") || matches!(name.as_str(), "public" | "none" | "postgres") {
            return Err(self.err(
                Some(name_s.span()),
                &format!("{key}.name = {name:?} is reserved by PostgreSQL; pick another role name"),
            ));
        }
        let pw_s = raw.password.as_ref().ok_or_else(|| {
            self.err(
                Some(span.clone()),
                &format!(
                    "{key} of database `{db}` has no `password`; add password = \"${{SOME_VAR}}\""
                ),
            )
        })?;
        let password = self.string(pw_s, &format!("{key}.password"))?;
        if password.is_empty() {
            return Err(self.err(
                Some(pw_s.span()),
                &format!(
                    "{key}.password of database `{db}` is empty; a login role needs a password"
                ),
            ));
        }
        let timeouts = self.timeouts(&raw, key, defaults)?;
        Ok(Role {
            name,
            password: Secret(password),
            timeouts,
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
        let service_role =
            self.role(service, "service_role", &name, Timeouts::service_defaults())?;
        let superadmin_role = raw
            .superadmin_role
            .map(|r| self.role(r, "superadmin_role", &name, Timeouts::default()))
            .transpose()?;
        if let Some(sa) = &superadmin_role {
            if sa.name == service_role.name {
                return Err(self.err(
                    Some(span),
                    &format!("database `{name}`: superadmin_role and service_role are both `{}`; they must differ", sa.name),
                ));
            }
        }
        let modules = self.modules(raw.modules.as_ref(), &name)?;
        let user_table = raw
            .user_table
            .as_ref()
            .map(|s| self.nonempty(s, "user_table"))
            .transpose()?;
        let soft_delete = self.soft_delete(raw.soft_delete.as_ref(), &name, tenancy.is_some())?;
        if tenancy.is_none() {
            self.modules_without_tenancy(
                raw.modules.as_ref(),
                &modules,
                &name,
                user_table.is_some(),
            )?;
        }
        let module_schema = match &raw.module_schema {
            Some(s) => self.ident(s, "module_schema", "schema")?,
            None => pgtenant::module::DEFAULT_SCHEMA.to_owned(),
        };
        let rbac = self.rbac_files(raw.rbac.as_ref(), dir)?;
        let grants = self.grants(raw.grants.as_ref(), &name)?;
        let secrets = self.secrets(raw.secrets, &name)?;
        Ok(Database {
            name,
            schema_dir,
            migrations_dir,
            seeds,
            tenancy,
            service_role,
            superadmin_role,
            modules,
            module_schema,
            user_table,
            soft_delete,
            tenancy_defaults: defaults.clone(),
            rbac,
            grants,
            secrets,
        })
    }
}
