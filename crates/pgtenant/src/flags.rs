//! The flags module's Rust side: an in-memory snapshot of every flag's
//! value for one tenant, evaluated without I/O, refreshed when the
//! module's version counter moves or an override expires.
//!
//! The snapshot reads the module's tables and evaluates the rule here (not
//! through the SQL function); an integration test checks this evaluator
//! against `flag_enabled()` over random worlds, expiry included.

use chrono::{DateTime, Utc};
use pgtenant_schema::ident::quote_ident;
use sqlx::PgConnection;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};

/// An unknown flag key: an error, never a silent false.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown feature flag {0:?}; define it in the flags table first (pgtenant flags list shows the defined ones)")]
pub struct UnknownFlag(pub String);

#[derive(sqlx::FromRow)]
struct FlagRow {
    version: i64,
    now: DateTime<Utc>,
    key: Option<String>,
    default_enabled: Option<bool>,
    min_rank: Option<i32>,
    tenant_rank: Option<i32>,
    override_enabled: Option<bool>,
    override_expires: Option<DateTime<Utc>>,
}

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
    /// Load the flags, the plans, the tenant's plan and its overrides
    /// (run it inside a [`TenantTx`](crate::TenantTx): RLS shows only that
    /// tenant's rows) in one query, and evaluate every flag here, at the
    /// database's `now()`.
    pub async fn load(conn: &mut PgConnection, schema: &str) -> Result<FlagSnapshot, sqlx::Error> {
        let s = quote_ident(schema);
        let rows: Vec<FlagRow> = sqlx::query_as(&format!(
            "SELECT (SELECT version FROM {s}.flags_version) AS version, now() AS now,
                    f.key, f.default_enabled, mp.rank AS min_rank,
                    (SELECT p.rank FROM {s}.tenant_plans tp JOIN {s}.plans p ON p.name = tp.plan)
                      AS tenant_rank,
                    o.enabled AS override_enabled, o.expires_at AS override_expires
               FROM (SELECT 1) one
               LEFT JOIN {s}.flags f ON true
               LEFT JOIN {s}.plans mp ON mp.name = f.min_plan
               LEFT JOIN {s}.flag_overrides o ON o.flag_key = f.key"
        ))
        .fetch_all(conn)
        .await?;
        Ok(FlagSnapshot::evaluate(&rows))
    }

    /// Override (unexpired at the database's `now`) > plan minimum > default.
    fn evaluate(rows: &[FlagRow]) -> FlagSnapshot {
        let Some(first) = rows.first() else {
            return FlagSnapshot {
                version: 0,
                values: HashMap::new(),
                valid_until: None,
            };
        };
        let now = first.now;
        let mut values = HashMap::with_capacity(rows.len());
        let mut valid_until: Option<DateTime<Utc>> = None;
        for r in rows {
            let Some(key) = &r.key else { continue };
            let live_override = match (r.override_enabled, r.override_expires) {
                (Some(on), None) => Some(on),
                (Some(on), Some(t)) if t > now => {
                    valid_until = Some(valid_until.map_or(t, |v| v.min(t)));
                    Some(on)
                }
                _ => None,
            };
            let by_plan = r
                .min_rank
                .map(|min| r.tenant_rank.is_some_and(|rank| rank >= min));
            let value = live_override
                .or(by_plan)
                .unwrap_or(r.default_enabled.unwrap_or(false));
            values.insert(key.clone(), value);
        }
        FlagSnapshot {
            version: first.version,
            values,
            valid_until,
        }
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
