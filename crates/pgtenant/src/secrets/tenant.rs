//! Per-tenant data keys, for crypto-shredding.
//!
//! Each tenant's values are sealed under its own random data key. The data
//! key is stored sealed (wrapped) under the project keyring in a key table
//! (`tenant_id`, `wrapped`, `created_at`, `destroyed_at`). Destroying a
//! tenant's key overwrites its wrapped key, after which that tenant's
//! values cannot be opened by anyone holding the keyring.
//!
//! Threat model: shredding reaches every copy of the database taken
//! *after* the destruction. A backup taken before it still holds the
//! wrapped key; to make shredding reach old backups too, keep the key table
//! in a database that is backed up separately and for a shorter time (the
//! functions take any connection, so it can live elsewhere), or rotate the
//! keyring after destroying keys and retire the old keyring key.
//!
//! Rotating the keyring re-wraps data keys (`rotate_column` on the key
//! table's `wrapped` column); the tenants' values are unaffected.

use super::{seal, Key, Keyring, SecretError};
use crate::config::TableName;
use sqlx::PgConnection;

/// The key id recorded in envelopes sealed under a tenant's data key.
pub const TENANT_KEY_ID: &str = "tenant";

/// What went wrong with a tenant key.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum TenantKeyError {
    #[error(transparent)]
    Secret(#[from] SecretError),
    #[error("reading or writing tenant keys in {table}: {source}")]
    Db {
        table: String,
        #[source]
        source: sqlx::Error,
    },
}

/// The DDL of a key table named `table` (tenant ids stored as text, so one
/// table serves every tenant key type).
pub fn key_table_sql(table: &TableName) -> String {
    format!(
        "CREATE TABLE {t} (
  tenant_id text PRIMARY KEY,
  wrapped text,
  created_at timestamptz NOT NULL DEFAULT now(),
  destroyed_at timestamptz,
  CONSTRAINT tenant_keys_destroyed_has_no_key CHECK ((destroyed_at IS NULL) = (wrapped IS NOT NULL))
);",
        t = table.quoted()
    )
}

/// Tenant data keys in one key table, wrapped under a keyring.
#[derive(Debug, Clone)]
pub struct TenantKeys {
    ring: Keyring,
    table: TableName,
}

impl TenantKeys {
    pub fn new(ring: Keyring, table: TableName) -> TenantKeys {
        TenantKeys { ring, table }
    }

    fn db(&self) -> impl FnOnce(sqlx::Error) -> TenantKeyError + '_ {
        |source| TenantKeyError::Db {
            table: self.table.to_string(),
            source,
        }
    }

    /// The tenant's data key, created on first use. Two concurrent first
    /// uses agree on one key (the insert that loses keeps the winner's).
    /// Needs READ COMMITTED (the default) so the second statement sees a
    /// row a concurrent first use committed.
    pub async fn key(&self, conn: &mut PgConnection, tenant: &str) -> Result<Key, TenantKeyError> {
        let fresh = Key::generate(TENANT_KEY_ID)?;
        let wrapped = self.ring.seal(fresh.to_text().as_bytes());
        sqlx::query(&format!(
            "INSERT INTO {} (tenant_id, wrapped) VALUES ($1, $2) ON CONFLICT (tenant_id) DO NOTHING",
            self.table.quoted()
        ))
        .bind(tenant)
        .bind(&wrapped)
        .execute(&mut *conn)
        .await
        .map_err(self.db())?;
        let stored: Option<String> = sqlx::query_scalar(&format!(
            "SELECT wrapped FROM {} WHERE tenant_id = $1",
            self.table.quoted()
        ))
        .bind(tenant)
        .fetch_one(&mut *conn)
        .await
        .map_err(self.db())?;
        let stored = stored.ok_or_else(|| SecretError::KeyDestroyed(tenant.to_owned()))?;
        let text = self.ring.open(&stored)?;
        let text = std::str::from_utf8(&text)
            .map_err(|_| SecretError::Malformed("a wrapped tenant key that is not text"))?;
        Ok(Key::from_text(TENANT_KEY_ID, text)?)
    }

    /// Seal `plaintext` under the tenant's data key.
    pub async fn seal(
        &self,
        conn: &mut PgConnection,
        tenant: &str,
        plaintext: &[u8],
    ) -> Result<String, TenantKeyError> {
        Ok(seal(&self.key(conn, tenant).await?, plaintext))
    }

    /// Open a value sealed under the tenant's data key.
    pub async fn open(
        &self,
        conn: &mut PgConnection,
        tenant: &str,
        envelope: &str,
    ) -> Result<zeroize::Zeroizing<Vec<u8>>, TenantKeyError> {
        let key = self.key(conn, tenant).await?;
        Ok(Keyring::new(key).open(envelope)?)
    }

    /// Destroy the tenant's data key: its values can never be opened again.
    /// The row stays (with `destroyed_at`), so no new key is made for the
    /// tenant by mistake. Returns false when the key was already destroyed.
    pub async fn destroy(
        &self,
        conn: &mut PgConnection,
        tenant: &str,
    ) -> Result<bool, TenantKeyError> {
        let destroyed = sqlx::query(&format!(
            "INSERT INTO {t} AS k (tenant_id, wrapped, destroyed_at) VALUES ($1, NULL, now())
             ON CONFLICT (tenant_id) DO UPDATE SET wrapped = NULL, destroyed_at = now()
              WHERE k.destroyed_at IS NULL",
            t = self.table.quoted()
        ))
        .bind(tenant)
        .execute(&mut *conn)
        .await
        .map_err(self.db())?
        .rows_affected();
        Ok(destroyed == 1)
    }
}
