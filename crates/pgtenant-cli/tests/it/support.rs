//! A throwaway pgtenant project: unique database and role names, a manifest
//! in a temporary folder, and a guard that drops what the project created.

use pgtenant_testkit::{admin_url, drop_database, drop_role, unique_name, url_for_db};
use sqlx::postgres::PgConnectOptions;
use sqlx::{ConnectOptions, Connection, PgConnection};
use std::path::{Path, PathBuf};
use std::str::FromStr;

pub const SVC_PASSWORD: &str = "svc-S3cret-'quote";
pub const ADMIN_PASSWORD: &str = "sa-S3cret-x";

/// The result of one run of the binary.
#[derive(Debug)]
pub struct Run {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl Run {
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.stdout).unwrap_or_else(|e| {
            panic!(
                "stdout is not JSON ({e}): {}\nstderr: {}",
                self.stdout, self.stderr
            )
        })
    }

    /// Neither stream contains `secret`.
    pub fn assert_never_shows(&self, secret: &str) {
        assert!(
            !self.stdout.contains(secret),
            "stdout shows a password: {}",
            self.stdout
        );
        assert!(
            !self.stderr.contains(secret),
            "stderr shows a password: {}",
            self.stderr
        );
    }
}

/// Run `pgtenant` in `dir` with `args`, without DATABASE_URL.
pub async fn pgtenant(dir: &Path, args: &[&str], env: &[(&str, &str)]) -> Run {
    let mut cmd = tokio::process::Command::new(env!("CARGO_BIN_EXE_pgtenant"));
    cmd.current_dir(dir)
        .args(args)
        .env_remove("DATABASE_URL")
        .env_remove("PGTENANT_PROJECT");
    for (k, v) in env {
        cmd.env(k, v);
    }
    let out = cmd.output().await.expect("run pgtenant");
    Run {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

/// A project with one database, its service role and a superadmin role.
pub struct Project {
    pub dir: tempfile::TempDir,
    pub db: String,
    pub svc: String,
    pub superadmin: String,
}

impl Project {
    pub fn new() -> Project {
        let p = Project {
            dir: tempfile::tempdir().expect("temp dir"),
            db: unique_name("pgt_cli_db"),
            svc: unique_name("pgt_cli_svc"),
            superadmin: unique_name("pgt_cli_sa"),
        };
        p.write_manifest(&p.manifest_text());
        p
    }

    pub fn manifest_text(&self) -> String {
        format!(
            r#"[project]
name = "it"

[connection]
admin_url = "{admin}"

[[database]]
name = "{db}"
tenancy = true
service_role = {{ name = "{svc}", password = "${{IT_SVC_PASSWORD:-{svc_pw}}}" }}
superadmin_role = {{ name = "{sa}", password = "{sa_pw}" }}
"#,
            admin = admin_url(),
            db = self.db,
            svc = self.svc,
            svc_pw = SVC_PASSWORD,
            sa = self.superadmin,
            sa_pw = ADMIN_PASSWORD,
        )
    }

    pub fn write_manifest(&self, text: &str) {
        std::fs::write(self.manifest_path(), text).expect("write manifest");
    }

    pub fn manifest_path(&self) -> PathBuf {
        self.dir.path().join("pgtenant.toml")
    }

    /// Run `pgtenant --project <dir> args...`.
    pub async fn run(&self, args: &[&str]) -> Run {
        let project = self
            .dir
            .path()
            .to_str()
            .expect("utf-8 temp path")
            .to_owned();
        let mut all = vec!["--project", project.as_str()];
        all.extend_from_slice(args);
        pgtenant(self.dir.path(), &all, &[]).await
    }

    /// An admin connection to the project's database.
    pub async fn admin_conn(&self) -> PgConnection {
        PgConnection::connect(&url_for_db(&admin_url(), &self.db))
            .await
            .expect("connect as admin")
    }

    /// A connection to the project's database as `user`.
    pub async fn conn_as(&self, user: &str, password: &str) -> Result<PgConnection, sqlx::Error> {
        let opts = PgConnectOptions::from_str(&admin_url())
            .expect("admin url")
            .database(&self.db)
            .username(user)
            .password(password)
            .disable_statement_logging();
        PgConnection::connect_with(&opts).await
    }
}

impl Drop for Project {
    fn drop(&mut self) {
        let db = self.db.clone();
        let roles = [self.svc.clone(), self.superadmin.clone()];
        let _ = std::thread::spawn(move || {
            if let Ok(rt) = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
            {
                rt.block_on(async {
                    drop_database(&db).await;
                    for r in &roles {
                        drop_role(r).await;
                    }
                });
            }
        })
        .join();
    }
}

/// Everything bootstrap could change, as one JSON text: the roles' rows
/// (password hashes included), the database ACL, the roles' settings, and in
/// the database the default ACLs and the ACLs of schemas, relations and
/// routines.
pub async fn snapshot(p: &Project) -> String {
    let mut conn = p.admin_conn().await;
    sqlx::query_scalar::<_, String>(
        "SELECT json_build_object(
           'roles', (SELECT json_agg(json_build_object('name', rolname, 'super', rolsuper,
                       'inherit', rolinherit, 'createrole', rolcreaterole, 'createdb', rolcreatedb,
                       'login', rolcanlogin, 'replication', rolreplication, 'bypassrls', rolbypassrls,
                       'password', rolpassword) ORDER BY rolname)
                     FROM pg_authid WHERE rolname = ANY($1)),
           'members', (SELECT count(*) FROM pg_auth_members m JOIN pg_roles r ON r.oid = m.member
                       WHERE r.rolname = ANY($1)),
           'database', (SELECT json_build_object('owner', datdba, 'acl', datacl::text)
                        FROM pg_database WHERE datname = current_database()),
           'role_settings', (SELECT json_agg(setconfig::text ORDER BY setrole)
                             FROM pg_db_role_setting s JOIN pg_roles r ON r.oid = s.setrole
                             WHERE r.rolname = ANY($1)),
           'default_acl', (SELECT json_agg(defaclacl::text ORDER BY defaclobjtype) FROM pg_default_acl),
           'schemas', (SELECT json_agg(nspname || ':' || coalesce(nspacl::text, '') ORDER BY nspname)
                       FROM pg_namespace),
           'relations', (SELECT json_agg(relname || ':' || coalesce(relacl::text, '') ORDER BY relname)
                         FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
                         WHERE n.nspname NOT IN ('pg_catalog', 'information_schema', 'pg_toast')),
           'routines', (SELECT json_agg(proname || ':' || coalesce(proacl::text, '') ORDER BY proname)
                        FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
                        WHERE n.nspname NOT IN ('pg_catalog', 'information_schema'))
         )::text",
    )
    .bind(vec![p.svc.clone(), p.superadmin.clone()])
    .fetch_one(&mut conn)
    .await
    .expect("snapshot")
}
