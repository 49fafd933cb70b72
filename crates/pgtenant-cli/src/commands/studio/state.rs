//! The studio's databases and the one way a view reads data: [`Scope`].
//!
//! A view is either the admin's (the manifest's admin connection) or a
//! tenant's. A tenant view runs every query on the database's service role,
//! through [`pgtenant::TenantDb`]: the same pool type, the same refusal of a
//! superuser or BYPASSRLS role, the same `SET LOCAL …; BEGIN` the
//! application uses. Both kinds of transaction are made `READ ONLY` before
//! anything runs in them, and [`in_force`] asks the server (not the page)
//! which role and tenant are in force.

use super::server::PageError;
use crate::db::{self, Login};
use crate::manifest::{Database, Manifest};
use anyhow::Result;
use pgtenant::{TenancyConfig, TenantDb, TenantTx};
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::{PgConnection, PgPool, Postgres, Transaction};
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::OnceCell;

/// Connections per pool: a local tool with one user.
const POOL_SIZE: u32 = 4;

/// Everything the handlers share.
#[derive(Clone)]
pub struct App(Arc<Inner>);

struct Inner {
    project: String,
    /// For the shadow databases of the drift page (never shown).
    admin_url: String,
    databases: Vec<DbEntry>,
}

/// One database of the manifest and its two ways in.
pub struct DbEntry {
    pub db: Database,
    pub admin: PgPool,
    /// The admin's options for this database (the migration journal).
    pub admin_options: PgConnectOptions,
    service_options: PgConnectOptions,
    service: OnceCell<TenantDb>,
}

impl App {
    /// Pools are lazy: nothing connects until a page needs it, so a database
    /// that does not exist yet shows as such instead of stopping the studio.
    pub fn new(manifest: &Manifest, admin_url: &str) -> Result<App> {
        let mut databases = Vec::new();
        for db in &manifest.databases {
            let admin_options = db::options(admin_url, Some(&db.name), None)?;
            let admin = PgPoolOptions::new()
                .max_connections(POOL_SIZE)
                .acquire_timeout(Duration::from_secs(10))
                .connect_lazy_with(admin_options.clone());
            let login = Login {
                user: &db.service_role.name,
                password: db.service_role.password.expose(),
            };
            let service_options = db::options(admin_url, Some(&db.name), Some(login))?;
            databases.push(DbEntry {
                db: db.clone(),
                admin,
                admin_options,
                service_options,
                service: OnceCell::new(),
            });
        }
        Ok(App(Arc::new(Inner {
            project: manifest.project.name.clone(),
            admin_url: admin_url.to_owned(),
            databases,
        })))
    }

    /// Open one connection of every pool, all databases at once, so the
    /// first page does not pay for connecting. Failures are left to the
    /// page that needs the pool: it says what is wrong.
    pub async fn warm(&self) {
        futures::future::join_all(self.databases().iter().map(|entry| async move {
            drop(entry.admin.acquire().await);
            if entry.db.tenancy.is_some() {
                drop(entry.service().await);
            }
        }))
        .await;
    }

    pub fn admin_url(&self) -> &str {
        &self.0.admin_url
    }

    pub fn project(&self) -> &str {
        &self.0.project
    }

    pub fn databases(&self) -> &[DbEntry] {
        &self.0.databases
    }

    pub fn database(&self, name: &str) -> Result<&DbEntry, PageError> {
        self.0
            .databases
            .iter()
            .find(|d| d.db.name == name)
            .ok_or_else(|| PageError::NotFound(format!("the manifest has no database {name}")))
    }
}

/// Whose eyes a view uses.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Scope {
    /// The admin connection: every row.
    Admin,
    /// The service role with the tenant (and optionally the user) set.
    Tenant {
        tenant: String,
        user: Option<String>,
    },
}

impl Scope {
    /// From the `tenant` and `user` query parameters (empty = absent).
    pub fn from_params(tenant: Option<&str>, user: Option<&str>) -> Scope {
        fn present(v: Option<&str>) -> Option<&str> {
            v.map(str::trim).filter(|v| !v.is_empty())
        }
        match present(tenant) {
            None => Scope::Admin,
            Some(tenant) => Scope::Tenant {
                tenant: tenant.to_owned(),
                user: present(user).map(str::to_owned),
            },
        }
    }

    pub fn tenant(&self) -> Option<&str> {
        match self {
            Scope::Admin => None,
            Scope::Tenant { tenant, .. } => Some(tenant),
        }
    }

    pub fn user(&self) -> Option<&str> {
        match self {
            Scope::Tenant { user: Some(u), .. } => Some(u),
            _ => None,
        }
    }

    /// The query parameters that keep this scope on a link.
    pub fn params(&self) -> Vec<(&'static str, String)> {
        let mut out = Vec::new();
        if let Scope::Tenant { tenant, user } = self {
            out.push(("tenant", tenant.clone()));
            if let Some(user) = user {
                out.push(("user", user.clone()));
            }
        }
        out
    }
}

/// A read-only transaction under a scope.
pub enum ScopedTx {
    Admin(Transaction<'static, Postgres>),
    Tenant(TenantTx),
}

impl ScopedTx {
    pub fn conn(&mut self) -> &mut PgConnection {
        match self {
            ScopedTx::Admin(tx) => tx,
            ScopedTx::Tenant(tx) => tx,
        }
    }

    /// End the transaction (it only read: roll back).
    pub async fn finish(self) {
        match self {
            ScopedTx::Admin(tx) => {
                let _ = tx.rollback().await;
            }
            ScopedTx::Tenant(tx) => {
                let _ = tx.rollback().await;
            }
        }
    }
}

/// What the server says is in force inside a transaction.
#[derive(Debug, Clone)]
pub struct InForce {
    pub role: String,
    /// Superuser or BYPASSRLS: row-level security does not apply.
    pub bypasses_rls: bool,
    pub tenant: Option<String>,
    pub user: Option<String>,
}

impl DbEntry {
    /// Open a read-only transaction as `scope` says.
    pub async fn begin(&self, scope: &Scope) -> Result<ScopedTx, PageError> {
        let mut tx = match scope {
            Scope::Admin => ScopedTx::Admin(
                self.admin
                    .begin_with("BEGIN READ ONLY")
                    .await
                    .map_err(PageError::from_sqlx)?,
            ),
            Scope::Tenant { tenant, user } => {
                let service = self.service().await?;
                let mut ctx = pgtenant::TenantContext::new(tenant);
                if let Some(user) = user {
                    ctx = ctx.user(user);
                }
                let tx = service.begin(&ctx).await.map_err(|e| match e {
                    pgtenant::Error::InvalidTenantId { .. }
                    | pgtenant::Error::InvalidUserId { .. }
                    | pgtenant::Error::EmptyTenantId
                    | pgtenant::Error::NoUserSetting => {
                        PageError::BadRequest(format!("tenant view: {e}"))
                    }
                    other => PageError::Internal(other.into()),
                })?;
                ScopedTx::Tenant(tx)
            }
        };
        sqlx::query("SET TRANSACTION READ ONLY")
            .execute(tx.conn())
            .await
            .map_err(|e| PageError::Internal(e.into()))?;
        Ok(tx)
    }

    /// The service role's [`TenantDb`], connected on first use (and again
    /// after a failure).
    async fn service(&self) -> Result<&TenantDb, PageError> {
        let Some(tenancy) = &self.db.tenancy else {
            return Err(PageError::BadRequest(format!(
                "database {} has tenancy off: there is no tenant view; remove ?tenant= from \
                 the address",
                self.db.name
            )));
        };
        self.service
            .get_or_try_init(|| async {
                let mut config = TenancyConfig::default()
                    .setting(&tenancy.setting)
                    .key_from_root_table(tenancy.root_table.as_str());
                if let Some(user) = &tenancy.user_setting {
                    config = config.user_setting(user);
                }
                let pool = PgPoolOptions::new()
                    .max_connections(POOL_SIZE)
                    .acquire_timeout(Duration::from_secs(10));
                TenantDb::connect_with(pool, self.service_options.clone(), config)
                    .await
                    .map_err(|e| {
                        PageError::Unavailable(format!(
                            "the service role {} cannot open a tenant view of database {}: {e}",
                            self.db.service_role.name, self.db.name
                        ))
                    })
            })
            .await
    }

    /// The tenant and user settings of this database, if tenancy is on.
    pub fn settings(&self) -> (Option<&str>, Option<&str>) {
        match &self.db.tenancy {
            Some(t) => (Some(t.setting.as_str()), t.user_setting.as_deref()),
            None => (None, None),
        }
    }
}

/// Ask the server which role and settings are in force in `tx`.
pub async fn in_force(entry: &DbEntry, tx: &mut ScopedTx) -> Result<InForce, PageError> {
    let (setting, user_setting) = entry.settings();
    let row: (String, bool, Option<String>, Option<String>) = sqlx::query_as(
        "SELECT current_user::text, r.rolsuper OR r.rolbypassrls,
                CASE WHEN $1::text IS NULL THEN NULL ELSE NULLIF(current_setting($1, true), '') END,
                CASE WHEN $2::text IS NULL THEN NULL ELSE NULLIF(current_setting($2, true), '') END
         FROM pg_roles r WHERE r.rolname = current_user",
    )
    .bind(setting)
    .bind(user_setting)
    .fetch_one(tx.conn())
    .await
    .map_err(|e| PageError::Internal(e.into()))?;
    Ok(InForce {
        role: row.0,
        bypasses_rls: row.1,
        tenant: row.2,
        user: row.3,
    })
}
