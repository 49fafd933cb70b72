//! The flags module's Rust side: an in-memory snapshot of every flag's
//! value for one tenant, evaluated without I/O, refreshed when the
//! module's version counter moves or an override expires.
//!
//! The values come from the module's own SQL (`flag_values()`), so Rust
//! and SQL evaluate alike by construction at load time; the property test
//! in the integration tests checks the two against each other over random
//! worlds, including expiry.

use chrono::{DateTime, Utc};
use pgtenant_schema::ident::quote_ident;
use sqlx::PgConnection;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};

/// An unknown flag key: an error, never a silent false.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown feature flag {0:?}; define it in the flags table first (pgtenant flags list shows the defined ones)")]
pub struct UnknownFlag(pub String);

/// Every flag's value for one tenant at one version.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FlagSnapshot {
    version: i64,
    values: HashMap<String, bool>,
    /// The earliest expiry of an override in force: the snapshot is stale
    /// from then on.
    valid_until: Option<DateTime<Utc>>,
}

impl FlagSnapshot {
    /// Load the values for the tenant of the transaction's setting (run it
    /// inside a [`TenantTx`](crate::TenantTx)): one query.
    pub async fn load(conn: &mut PgConnection, schema: &str) -> Result<FlagSnapshot, sqlx::Error> {
        let s = quote_ident(schema);
        let rows: Vec<(i64, Option<String>, Option<bool>, Option<DateTime<Utc>>)> =
            sqlx::query_as(&format!(
                "SELECT (SELECT version FROM {s}.flags_version), v.key, v.enabled,
                        (SELECT min(o.expires_at) FROM {s}.flag_overrides o
                          WHERE o.expires_at > now())
                   FROM (SELECT 1) one LEFT JOIN {s}.flag_values() v ON true"
            ))
            .fetch_all(conn)
            .await?;
        let version = rows.first().map_or(0, |r| r.0);
        let valid_until = rows.first().and_then(|r| r.3);
        let values = rows
            .into_iter()
            .filter_map(|(_, key, enabled, _)| Some((key?, enabled.unwrap_or(false))))
            .collect();
        Ok(FlagSnapshot {
            version,
            values,
            valid_until,
        })
    }

    /// The flag's value. No I/O, no allocation.
    pub fn enabled(&self, key: &str) -> Result<bool, UnknownFlag> {
        self.values
            .get(key)
            .copied()
            .ok_or_else(|| UnknownFlag(key.to_owned()))
    }

    /// The module version this snapshot was read at.
    pub fn version(&self) -> i64 {
        self.version
    }

    /// Every flag and its value, sorted by key.
    pub fn values(&self) -> Vec<(&str, bool)> {
        let mut v: Vec<_> = self.values.iter().map(|(k, e)| (k.as_str(), *e)).collect();
        v.sort_unstable();
        v
    }

    fn fresh_at(&self, version: i64, now: DateTime<Utc>) -> bool {
        self.version == version && self.valid_until.is_none_or(|t| now < t)
    }
}

/// Snapshots per tenant, reused while the version is unchanged.
#[derive(Debug, Default)]
pub struct FlagCache {
    schema: String,
    snapshots: Mutex<HashMap<String, Arc<FlagSnapshot>>>,
}

impl FlagCache {
    pub fn new(schema: &str) -> FlagCache {
        FlagCache {
            schema: schema.to_owned(),
            snapshots: Mutex::default(),
        }
    }

    /// The tenant's snapshot: one query for the version (and the database's
    /// clock), a full load only when something changed.
    pub async fn get(
        &self,
        conn: &mut PgConnection,
        tenant: &str,
    ) -> Result<Arc<FlagSnapshot>, sqlx::Error> {
        let (version, now): (i64, DateTime<Utc>) = sqlx::query_as(&format!(
            "SELECT version, now() FROM {}.flags_version",
            quote_ident(&self.schema)
        ))
        .fetch_one(&mut *conn)
        .await?;
        let cached = self.lock().get(tenant).cloned();
        if let Some(s) = cached.filter(|s| s.fresh_at(version, now)) {
            return Ok(s);
        }
        let snapshot = Arc::new(FlagSnapshot::load(conn, &self.schema).await?);
        self.lock().insert(tenant.to_owned(), snapshot.clone());
        Ok(snapshot)
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, Arc<FlagSnapshot>>> {
        // A panic while holding the lock leaves a map that is still valid.
        self.snapshots.lock().unwrap_or_else(|e| e.into_inner())
    }
}
