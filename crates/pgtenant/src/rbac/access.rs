//! Per-(user, tenant) access loaded from the database and cached by the
//! version counter the module's triggers bump on every change, so a
//! decision is never used after the change that revokes it has committed.
//!
//! Each [`AccessCache::access`] call reads `rbac_state()` (one short
//! query); only when the version moved does it reload (the user's held
//! roles, and the catalog when `catalog_version` moved). A reload reads the
//! roles and the version in one statement, so the cached value carries the
//! version it was read at.

use super::catalog::Catalog;
use super::compiled::Rbac;
use super::error::RbacError;
use super::roles::Role;
use crate::module::DEFAULT_SCHEMA;
use crate::TenantTx;
use pgtenant_schema::ident::{quote_ident, MAX_IDENT_LEN};
use sqlx::{PgConnection, Row};
use std::collections::HashMap;
use std::future::Future;
use std::sync::{Arc, Mutex};

/// What one user may do in one tenant, at one version.
#[derive(Debug, Clone)]
pub struct Access {
    pub user_id: String,
    pub tenant_id: String,
    /// The `rbac_version.version` this was read at.
    pub version: i64,
    pub rbac: Rbac,
}

impl Access {
    /// Whether `permission` is allowed (allocation-free).
    pub fn allows(&self, permission: &str) -> bool {
        self.rbac.allows(permission)
    }
}

/// `Ok` when `access` allows `permission`, otherwise the refusal.
pub fn require(access: &Access, permission: &str) -> Result<(), super::Forbidden> {
    access.rbac.require(permission)
}

#[derive(Debug, Default)]
struct State {
    version: i64,
    catalog_version: i64,
    catalog: Option<Arc<Catalog>>,
    entries: HashMap<(String, String), Arc<Access>>,
}

/// A process-wide cache of [`Access`] values. Share one per database.
#[derive(Debug)]
pub struct AccessCache {
    schema: String,
    state: Mutex<State>,
}

impl AccessCache {
    /// A cache for the module installed in schema `pgtenant`.
    pub fn new() -> AccessCache {
        AccessCache {
            schema: quote_ident(DEFAULT_SCHEMA),
            state: Mutex::default(),
        }
    }

    /// A cache for the module installed in another schema.
    pub fn with_schema(schema: &str) -> Result<AccessCache, RbacError> {
        if schema.is_empty() || schema.len() > MAX_IDENT_LEN || schema.contains('\0') {
            return Err(RbacError::InvalidSchema(schema.to_owned()));
        }
        Ok(AccessCache {
            schema: quote_ident(schema),
            state: Mutex::default(),
        })
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        // A panic while holding the lock leaves plain data; keep going.
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// The access of `user_id` in `tenant_id`, current as of this call.
    pub async fn access(
        &self,
        conn: &mut PgConnection,
        user_id: &str,
        tenant_id: &str,
    ) -> Result<Arc<Access>, RbacError> {
        let row = sqlx::query(&format!(
            "SELECT version, catalog_version FROM {}.rbac_state()",
            self.schema
        ))
        .fetch_one(&mut *conn)
        .await?;
        let (version, catalog_version): (i64, i64) = (row.try_get(0)?, row.try_get(1)?);
        let key = (user_id.to_owned(), tenant_id.to_owned());
        let catalog = {
            let mut s = self.lock();
            if s.catalog_version != catalog_version {
                s.catalog = None;
            }
            if s.version != version || s.catalog.is_none() {
                s.entries.clear();
            }
            if let Some(hit) = s.entries.get(&key).filter(|a| a.version == version) {
                return Ok(hit.clone());
            }
            s.catalog.clone()
        };
        let catalog = match catalog {
            Some(c) => c,
            None => {
                let (c, cv) = self.load_catalog(conn).await?;
                let c = Arc::new(c);
                let mut s = self.lock();
                s.catalog = Some(c.clone());
                s.catalog_version = cv;
                c
            }
        };
        let (roles, version) = self.load_roles(conn, user_id, tenant_id).await?;
        let access = Arc::new(Access {
            user_id: key.0.clone(),
            tenant_id: key.1.clone(),
            version,
            rbac: Rbac::compile(catalog, roles),
        });
        let mut s = self.lock();
        if version >= s.version {
            if version > s.version {
                s.entries.clear();
                s.version = version;
            }
            s.entries.insert(key, access.clone());
        }
        Ok(access)
    }

    async fn load_catalog(&self, conn: &mut PgConnection) -> Result<(Catalog, i64), RbacError> {
        let rows = sqlx::query(&format!(
            "SELECT s.catalog_version, p.name, p.description \
             FROM {0}.rbac_state() s LEFT JOIN {0}.permissions p ON true ORDER BY p.name",
            self.schema
        ))
        .fetch_all(&mut *conn)
        .await?;
        let mut catalog = Catalog::new();
        let mut cv = 0;
        for r in rows {
            cv = r.try_get(0)?;
            if let Some(name) = r.try_get::<Option<String>, _>(1)? {
                let description: String = r.try_get(2)?;
                catalog
                    .insert(&name, &description)
                    .map_err(|problem| RbacError::BadRole {
                        role: "(catalog)".to_owned(),
                        problem,
                    })?;
            }
        }
        Ok((catalog, cv))
    }

    async fn load_roles(
        &self,
        conn: &mut PgConnection,
        user_id: &str,
        tenant_id: &str,
    ) -> Result<(Vec<Role>, i64), RbacError> {
        let rows = sqlx::query(&format!(
            "SELECT s.version, h.name, h.allow, h.deny FROM {0}.rbac_state() s \
             LEFT JOIN LATERAL {0}.rbac_user_roles($1, $2) h ON true ORDER BY h.name",
            self.schema
        ))
        .bind(user_id)
        .bind(tenant_id)
        .fetch_all(&mut *conn)
        .await?;
        let mut roles = Vec::new();
        let mut version = 0;
        for r in rows {
            version = r.try_get(0)?;
            let Some(name) = r.try_get::<Option<String>, _>(1)? else {
                continue;
            };
            let allow: Vec<String> = r.try_get(2)?;
            let deny: Vec<String> = r.try_get(3)?;
            let role = Role::parse(&name, &refs(&allow), &refs(&deny)).map_err(|problem| {
                RbacError::BadRole {
                    role: name,
                    problem,
                }
            })?;
            roles.push(role);
        }
        Ok((roles, version))
    }
}

fn refs(v: &[String]) -> Vec<&str> {
    v.iter().map(String::as_str).collect()
}

impl Default for AccessCache {
    fn default() -> Self {
        AccessCache::new()
    }
}

/// Permission checks on a [`TenantTx`]: its user in its tenant, through an
/// [`AccessCache`], on the transaction's own connection.
pub trait RequirePermission {
    /// `Ok` when the transaction's user may do `permission` in its tenant.
    fn require<'a>(
        &'a mut self,
        cache: &'a AccessCache,
        permission: &'a str,
    ) -> impl Future<Output = Result<(), RbacError>> + Send + 'a;

    /// The transaction user's [`Access`] in its tenant.
    fn access<'a>(
        &'a mut self,
        cache: &'a AccessCache,
    ) -> impl Future<Output = Result<Arc<Access>, RbacError>> + Send + 'a;
}

impl RequirePermission for TenantTx {
    async fn require<'a>(
        &'a mut self,
        cache: &'a AccessCache,
        permission: &'a str,
    ) -> Result<(), RbacError> {
        let access = RequirePermission::access(self, cache).await?;
        Ok(require(&access, permission)?)
    }

    async fn access<'a>(&'a mut self, cache: &'a AccessCache) -> Result<Arc<Access>, RbacError> {
        let user = self.user_id().ok_or(RbacError::NoUser)?.to_owned();
        let tenant = self.tenant_id().to_owned();
        cache.access(self.conn(), &user, &tenant).await
    }
}
