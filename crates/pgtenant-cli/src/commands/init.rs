//! `pgtenant init [DIR] [--name NAME]`: scaffold a new project in DIR
//! (default: the current folder): `pgtenant.toml` with one database and
//! tenancy on, `schema/<name>/` (users, tenants, memberships and one
//! tenant-scoped table), `migrations/<name>/`, `seeds/<name>/{setup,demo}`,
//! `.env.example`, and a `.env` line in `.gitignore`.
//!
//! It never overwrites: an existing `pgtenant.toml` (or any file it would
//! write) refuses the whole run with exit 2 and nothing written. The
//! project name defaults to the folder's name and must be a plain
//! identifier (it names the database and the roles).

use crate::context::Context;
use crate::error::usage;
use crate::manifest;
use crate::output::Report;
use anyhow::{Context as _, Result};
use pgtenant_schema::ident::validate_plain_ident;
use std::path::{Path, PathBuf};

#[derive(Debug, Clone, Default, clap::Args)]
pub struct InitArgs {
    /// Folder of the new project (created if missing). Default: the current folder.
    #[arg(value_name = "DIR")]
    pub dir: Option<PathBuf>,

    /// Project and database name (a plain identifier: lowercase letters,
    /// digits, `_`). Default: the folder's name.
    #[arg(long, value_name = "NAME")]
    pub name: Option<String>,
}

pub async fn run(ctx: &Context, args: &InitArgs) -> Result<Report> {
    let dir = match &args.dir {
        Some(d) => d.clone(),
        None => std::env::current_dir().context("reading the current folder")?,
    };
    let name = project_name(&dir, args.name.as_deref())?;
    let written = write_project(ctx, &dir, &name)?;
    let human = format!(
        "init: project {name} in {}\n{}\nnext, in that folder: `cp .env.example .env` (set the \
         passwords), `pgtenant generate --db {name} --name init` (the first migration), then \
         `pgtenant up`",
        dir.display(),
        written
            .iter()
            .map(|w| format!("  {w}"))
            .collect::<Vec<_>>()
            .join("\n")
    );
    Ok(Report::ok(
        serde_json::json!({
            "command": "init",
            "name": name,
            "dir": dir.display().to_string(),
            "files": written,
        }),
        human,
    ))
}

/// Write the scaffold of project `name` into `dir`; the files written,
/// relative to `dir`. Refuses (exit 2, nothing written) when a file exists.
fn write_project(ctx: &Context, dir: &Path, name: &str) -> Result<Vec<String>> {
    let manifest_path = dir.join(manifest::FILE_NAME);
    if manifest_path.exists() {
        return Err(usage(format!(
            "{} already exists; init never overwrites a project (edit it, or pass another folder)",
            manifest_path.display()
        )));
    }
    let files = scaffold(name);
    if let Some((rel, _)) = files.iter().find(|(rel, _)| dir.join(rel).exists()) {
        return Err(usage(format!(
            "{} already exists; init never overwrites a file (move it away, or pass another folder)",
            dir.join(rel).display()
        )));
    }
    let mut written = Vec::new();
    for (rel, text) in &files {
        let path = dir.join(rel);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent)
                .with_context(|| format!("creating folder {}", parent.display()))?;
        }
        std::fs::write(&path, text).with_context(|| format!("writing {}", path.display()))?;
        ctx.detail(format_args!("wrote {rel}"));
        written.push(rel.clone());
    }
    if ensure_gitignore(&dir.join(".gitignore"))? {
        written.push(".gitignore".to_owned());
    }
    Ok(written)
}

/// The project name: `--name`, else the folder's name; a plain identifier.
fn project_name(dir: &Path, flag: Option<&str>) -> Result<String> {
    let (name, source) = match flag {
        Some(n) => (n.to_owned(), "--name"),
        None => {
            let base = std::path::absolute(dir)
                .ok()
                .and_then(|p| p.file_name().map(|f| f.to_string_lossy().into_owned()))
                .unwrap_or_default();
            (base, "the folder name")
        }
    };
    validate_plain_ident(&name).map_err(|e| {
        usage(format!(
            "{source} `{name}` is not a valid project name ({e}); pass --name with lowercase \
             letters, digits and `_`, starting with a letter or `_`"
        ))
    })?;
    // The role names derive from it and must be identifiers too.
    for role in [format!("svc_{name}"), format!("{name}_admin")] {
        validate_plain_ident(&role).map_err(|e| {
            usage(format!(
                "{source} `{name}` gives the role name `{role}` ({e}); pass a shorter --name"
            ))
        })?;
    }
    Ok(name)
}

/// Append `.env` to `.gitignore` unless a line already ignores it; true
/// when the file changed.
fn ensure_gitignore(path: &Path) -> Result<bool> {
    let existing = match std::fs::read_to_string(path) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => String::new(),
        Err(e) => return Err(e).with_context(|| format!("reading {}", path.display())),
    };
    if existing
        .lines()
        .any(|l| matches!(l.trim(), ".env" | "/.env"))
    {
        return Ok(false);
    }
    let mut text = existing;
    if !text.is_empty() && !text.ends_with('\n') {
        text.push('\n');
    }
    text.push_str("# local secrets (see .env.example)\n.env\n");
    std::fs::write(path, text).with_context(|| format!("writing {}", path.display()))?;
    Ok(true)
}

/// The files of a new project, relative paths and contents.
fn scaffold(name: &str) -> Vec<(String, String)> {
    let upper = name.to_ascii_uppercase();
    let manifest = format!(
        r#"# The {name} project. `pgtenant up` creates the database and roles, applies
# the migrations and seeds; `pgtenant generate` writes a migration after you
# change schema/{name}/. Variables come from the environment or .env.

[project]
name = "{name}"

[connection]
admin_url = "${{DATABASE_URL:-postgres://postgres@127.0.0.1:5432/postgres}}"

[tenancy]
column = "tenant_id"
setting = "app.tenant_id"
user_setting = "app.user_id"
root_table = "tenants"
global_tables = []
membership = {{ table = "memberships", user_column = "user_id", tenant_column = "tenant_id" }}

[[database]]
name = "{name}"
schema = "schema/{name}"
migrations = "migrations/{name}"
seeds = {{ setup = "seeds/{name}/setup", demo = "seeds/{name}/demo" }}
tenancy = true
service_role = {{ name = "svc_{name}", password = "${{SVC_{upper}_PASSWORD:-{name}-dev-password}}" }}
superadmin_role = {{ name = "{name}_admin", password = "${{{upper}_ADMIN_PASSWORD:-{name}-admin-dev}}" }}
"#
    );
    let env_example = format!(
        "# Copy to .env (never committed) and set real values outside development.\n\
         DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres\n\
         SVC_{upper}_PASSWORD=change-me\n\
         {upper}_ADMIN_PASSWORD=change-me-too\n"
    );
    vec![
        (manifest::FILE_NAME.to_owned(), manifest),
        (".env.example".to_owned(), env_example),
        (format!("schema/{name}/01_users.sql"), USERS_SQL.to_owned()),
        (
            format!("schema/{name}/02_tenants.sql"),
            TENANTS_SQL.to_owned(),
        ),
        (
            format!("schema/{name}/03_memberships.sql"),
            MEMBERSHIPS_SQL.to_owned(),
        ),
        (
            format!("schema/{name}/04_projects.sql"),
            PROJECTS_SQL.to_owned(),
        ),
        (format!("migrations/{name}/.gitkeep"), String::new()),
        (
            format!("seeds/{name}/setup/01_setup.sql"),
            SETUP_SEED_SQL.to_owned(),
        ),
        (
            format!("seeds/{name}/demo/01_demo.sql"),
            DEMO_SEED_SQL.to_owned(),
        ),
    ]
}

const USERS_SQL: &str = "\
-- People who can sign in. Global: a user may belong to many tenants.
CREATE TABLE users (
    id         uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    email      text NOT NULL UNIQUE CHECK (email = lower(email)),
    name       text NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now()
);
";

const TENANTS_SQL: &str = "\
-- The tenant root: its primary key is the tenant id every tenant table carries.
CREATE TABLE tenants (
    id         uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    slug       text NOT NULL UNIQUE CHECK (slug ~ '^[a-z0-9][a-z0-9-]*$'),
    name       text NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now()
);
";

const MEMBERSHIPS_SQL: &str = "\
-- Which user belongs to which tenant, and as what. Tenant-scoped.
CREATE TABLE memberships (
    tenant_id  uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    user_id    uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    role       text NOT NULL DEFAULT 'member' CHECK (role IN ('owner', 'admin', 'member')),
    created_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, user_id)
);

CREATE INDEX memberships_user_id_idx ON memberships (user_id);
";

const PROJECTS_SQL: &str = "\
-- A tenant-scoped table: tenant_id first in every key and index, so a row
-- can never point into another tenant. Rename or replace it with your own.
CREATE TABLE projects (
    tenant_id  uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    id         uuid NOT NULL DEFAULT gen_random_uuid(),
    name       text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
    created_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, id),
    UNIQUE (tenant_id, name)
);
";

const SETUP_SEED_SQL: &str = "\
-- Setup seeds: data every environment needs (production included). They run
-- on every `pgtenant up` / `pgtenant seed setup`, so make them idempotent:
--
--   INSERT INTO users (id, email, name)
--   VALUES ('00000000-0000-4000-8000-000000000001', 'system@example.invalid', 'System')
--   ON CONFLICT (id) DO NOTHING;
SELECT 1;
";

const DEMO_SEED_SQL: &str = "\
-- Demo seeds: sample data for development only (`pgtenant seed demo`).
-- Idempotent too, for example:
--
--   INSERT INTO tenants (id, slug, name)
--   VALUES ('10000000-0000-4000-8000-000000000001', 'acme', 'Acme Corp')
--   ON CONFLICT (id) DO NOTHING;
SELECT 1;
";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_plain_identifiers() {
        assert_eq!(project_name(Path::new("x"), Some("shop")).unwrap(), "shop");
        let err = project_name(Path::new("x"), Some("My-App")).unwrap_err();
        assert!(
            format!("{err}").starts_with("--name `My-App` is not a valid project name"),
            "{err}"
        );
        let long = "a".repeat(60);
        let err = project_name(Path::new("x"), Some(&long)).unwrap_err();
        assert!(format!("{err}").contains("gives the role name"), "{err}");
    }

    #[test]
    fn the_scaffold_loads_with_the_manifest_loader() {
        let dir = tempfile::tempdir().unwrap();
        let ctx = Context::new(crate::context::GlobalArgs {
            project: None,
            admin_url: None,
            json: false,
            quiet: true,
            verbose: 0,
        });
        write_project(&ctx, dir.path(), "shop").unwrap();
        let m = manifest::load(&dir.path().join(manifest::FILE_NAME)).unwrap();
        assert_eq!(m.project.name, "shop");
        assert_eq!(m.databases.len(), 1);
        let db = &m.databases[0];
        assert_eq!(db.name, "shop");
        assert_eq!(db.service_role.name, "svc_shop");
        assert_eq!(db.superadmin_role.as_ref().unwrap().name, "shop_admin");
        let tenancy = db.tenancy.as_ref().expect("tenancy on");
        assert_eq!(tenancy.root_table, "tenants");
        assert_eq!(tenancy.membership.as_ref().unwrap().table, "memberships");
        assert!(db.schema_dir.join("04_projects.sql").is_file());
        assert!(db.migrations_dir.is_dir());
        assert!(db.seeds.setup.join("01_setup.sql").is_file());
        assert!(db.seeds.demo.join("01_demo.sql").is_file());
        assert!(dir.path().join(".env.example").is_file());
        assert!(
            pgtenant_schema::shadow::read_sql_files(&db.schema_dir)
                .unwrap()
                .len()
                == 4
        );
    }

    #[test]
    fn gitignore_gets_one_env_line() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(".gitignore");
        std::fs::write(&path, "target").unwrap();
        assert!(ensure_gitignore(&path).unwrap());
        assert!(!ensure_gitignore(&path).unwrap());
        assert_eq!(
            std::fs::read_to_string(&path).unwrap(),
            "target\n# local secrets (see .env.example)\n.env\n"
        );
    }
}
