//! The api_keys module's Rust side: create, verify, rotate, revoke, list a
//! tenant's API keys. The rules (scopes never beyond the creator, expiry,
//! `last_used_at` at most once a minute, rotation overlap) live in the
//! module's SQL (`modules/api_keys/`).
//!
//! Verification is [`ApiKeys::prepare`] (offline: format, checksum, prefix,
//! SHA-256; a typo never reaches the database) and then one indexed query;
//! the stored hash that comes back is compared again here in constant time.
//!
//! ```
//! use pgtenant::api_keys::{ApiKeyError, ApiKeys};
//!
//! let keys = ApiKeys::new("pgtenant", "crc").unwrap();
//! let err = keys.prepare("crc_0123456789abcdefghijklmnopqrstuvwxyz_AAAAAA").unwrap_err();
//! assert_eq!(err.to_string(), "invalid or expired API key");
//! ```

use crate::token::{self, BadPrefix, Token, HASH_LEN};
use chrono::{DateTime, Utc};
use pgtenant_schema::ident::quote_ident;
use sqlx::PgConnection;
use std::time::Duration;

/// The prefix of API keys unless the application picks its own.
pub const DEFAULT_PREFIX: &str = "pgk";

/// What can go wrong. No variant carries a key.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ApiKeyError {
    /// The one answer for a mistyped, unknown, revoked, expired or
    /// someone else's key.
    #[error("invalid or expired API key")]
    Invalid,
    /// Revoke or rotate of a key that is not active in this tenant.
    #[error("no active API key {0} in this tenant")]
    NotFound(i64),
    /// A scope the creator does not hold (the message names it).
    #[error("{0}")]
    NotAllowed(String),
    /// The transaction carries no tenant or no user.
    #[error("API keys need a tenant and a user: call it inside a tenant transaction that names the acting user")]
    NoContext,
    /// A bad argument (scopes, expiry, overlap), as the database put it.
    #[error("{0}")]
    BadArgument(String),
    #[error(transparent)]
    Database(sqlx::Error),
}

impl ApiKeyError {
    fn from_db(e: sqlx::Error, key_id: i64) -> ApiKeyError {
        match token::module_error(&e) {
            Some((code, message)) => match code.as_str() {
                "PT002" => ApiKeyError::NotFound(key_id),
                "PT005" => ApiKeyError::NotAllowed(message),
                "PT006" => ApiKeyError::NoContext,
                _ => ApiKeyError::BadArgument(message),
            },
            None => ApiKeyError::Database(e),
        }
    }
}

/// A key to create.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewApiKey {
    pub name: String,
    /// Permissions of the rbac catalog, each held by the creator.
    pub scopes: Vec<String>,
    pub expires_at: Option<DateTime<Utc>>,
}

impl NewApiKey {
    pub fn new(name: &str, scopes: &[&str]) -> NewApiKey {
        NewApiKey {
            name: name.to_owned(),
            scopes: scopes.iter().map(|s| (*s).to_owned()).collect(),
            expires_at: None,
        }
    }

    pub fn expires_at(mut self, at: DateTime<Utc>) -> Self {
        self.expires_at = Some(at);
        self
    }
}

/// A key just created or rotated: show it to its owner once.
#[derive(Debug, Clone)]
pub struct IssuedApiKey {
    pub key_id: i64,
    pub key: Token,
}

/// A rotation: the new key, and until when the old one still works.
#[derive(Debug, Clone)]
pub struct RotatedApiKey {
    pub new: IssuedApiKey,
    pub expires_at: Option<DateTime<Utc>>,
    pub old_expires_at: DateTime<Utc>,
}

/// A verified key: its tenant, creator and the scopes it holds now (cut to
/// what the creator still holds).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VerifiedKey {
    pub key_id: i64,
    pub tenant: String,
    pub created_by: String,
    pub scopes: Vec<String>,
    pub expires_at: Option<DateTime<Utc>>,
}

impl VerifiedKey {
    pub fn has_scope(&self, permission: &str) -> bool {
        self.scopes.iter().any(|s| s == permission)
    }
}

/// A presented key after the offline checks: what the query needs.
#[derive(Debug, Clone)]
pub struct PreparedKey {
    token: Token,
    hash: [u8; HASH_LEN],
}

impl PreparedKey {
    pub fn lookup_id(&self) -> &str {
        self.token.lookup_id()
    }

    /// Whether `stored` is this key's hash, in constant time.
    pub fn matches(&self, stored: &[u8]) -> bool {
        token::ct_eq(&self.hash, stored)
    }
}

/// A key as the tenant lists it (never the key).
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct ApiKeyInfo {
    pub key_id: i64,
    pub name: String,
    pub created_by: String,
    pub scopes: Vec<String>,
    pub created_at: DateTime<Utc>,
    pub expires_at: Option<DateTime<Utc>>,
    pub last_used_at: Option<DateTime<Utc>>,
    pub revoked_at: Option<DateTime<Utc>>,
    pub replaced_by: Option<i64>,
}

/// The api_keys module in schema `schema`, for keys starting `prefix_`.
#[derive(Debug, Clone)]
pub struct ApiKeys {
    schema: String,
    prefix: String,
}

impl ApiKeys {
    /// `prefix`: 2 to 16 lower-case letters and digits, e.g. `crc` for
    /// `crc_…` keys (register it with secret scanners).
    pub fn new(schema: &str, prefix: &str) -> Result<ApiKeys, BadPrefix> {
        if !token::valid_prefix(prefix) {
            return Err(BadPrefix(prefix.to_owned()));
        }
        Ok(ApiKeys {
            schema: quote_ident(schema),
            prefix: prefix.to_owned(),
        })
    }

    fn mint(&self) -> Token {
        Token::generate(&self.prefix).unwrap_or_else(|_| unreachable!("checked in new"))
    }

    /// Create a key in the transaction's tenant, by its user.
    pub async fn create(
        &self,
        conn: &mut PgConnection,
        key: &NewApiKey,
    ) -> Result<IssuedApiKey, ApiKeyError> {
        let token = self.mint();
        let key_id: i64 = sqlx::query_scalar(&format!(
            "SELECT {}.api_key_create($1, $2, $3, $4, $5)",
            self.schema
        ))
        .bind(&key.name)
        .bind(&key.scopes)
        .bind(token.lookup_id())
        .bind(&token.hash()[..])
        .bind(key.expires_at)
        .fetch_one(conn)
        .await
        .map_err(|e| ApiKeyError::from_db(e, 0))?;
        Ok(IssuedApiKey { key_id, key: token })
    }

    /// The offline half of verification: format, checksum, prefix, hash.
    /// No I/O; a typo or a truncated key stops here.
    pub fn prepare(&self, key: &str) -> Result<PreparedKey, ApiKeyError> {
        let token = Token::parse(key).map_err(|_| ApiKeyError::Invalid)?;
        if token.prefix() != self.prefix {
            return Err(ApiKeyError::Invalid);
        }
        let hash = token.hash();
        Ok(PreparedKey { token, hash })
    }

    /// Verify a presented key: [`prepare`](Self::prepare), then one indexed
    /// query (no tenant needed: the key names it).
    pub async fn verify(
        &self,
        conn: &mut PgConnection,
        key: &str,
    ) -> Result<VerifiedKey, ApiKeyError> {
        let prepared = self.prepare(key)?;
        type Row = (
            i64,
            String,
            String,
            Vec<String>,
            Option<DateTime<Utc>>,
            Vec<u8>,
        );
        let row: Option<Row> = sqlx::query_as(&format!(
            "SELECT key_id, tenant, created_by, scopes, expires_at, token_hash
               FROM {}.api_key_verify($1, $2)",
            self.schema
        ))
        .bind(prepared.lookup_id())
        .bind(&prepared.hash[..])
        .fetch_optional(conn)
        .await
        .map_err(|e| ApiKeyError::from_db(e, 0))?;
        match row {
            Some((key_id, tenant, created_by, scopes, expires_at, stored))
                if prepared.matches(&stored) =>
            {
                Ok(VerifiedKey {
                    key_id,
                    tenant,
                    created_by,
                    scopes,
                    expires_at,
                })
            }
            _ => Err(ApiKeyError::Invalid),
        }
    }

    /// Revoke a key of the transaction's tenant.
    pub async fn revoke(&self, conn: &mut PgConnection, key_id: i64) -> Result<(), ApiKeyError> {
        sqlx::query(&format!("SELECT {}.api_key_revoke($1)", self.schema))
            .bind(key_id)
            .execute(conn)
            .await
            .map_err(|e| ApiKeyError::from_db(e, key_id))?;
        Ok(())
    }

    /// Replace a key of the transaction's tenant by a new one with the same
    /// name, scopes and expiry; the old key works for `overlap` more (never
    /// past its own expiry).
    pub async fn rotate(
        &self,
        conn: &mut PgConnection,
        key_id: i64,
        overlap: Duration,
    ) -> Result<RotatedApiKey, ApiKeyError> {
        let token = self.mint();
        let (new_id, expires_at, old_expires_at): (i64, Option<DateTime<Utc>>, DateTime<Utc>) =
            sqlx::query_as(&format!(
                "SELECT key_id, expires_at, old_expires_at
                   FROM {}.api_key_rotate($1, $2, $3, $4 * interval '1 second')",
                self.schema
            ))
            .bind(key_id)
            .bind(token.lookup_id())
            .bind(&token.hash()[..])
            .bind(token::seconds(overlap))
            .fetch_one(conn)
            .await
            .map_err(|e| ApiKeyError::from_db(e, key_id))?;
        Ok(RotatedApiKey {
            new: IssuedApiKey {
                key_id: new_id,
                key: token,
            },
            expires_at,
            old_expires_at,
        })
    }

    /// The transaction's tenant's keys, newest first.
    pub async fn list(&self, conn: &mut PgConnection) -> Result<Vec<ApiKeyInfo>, ApiKeyError> {
        sqlx::query_as(&format!("SELECT * FROM {}.api_keys_list()", self.schema))
            .fetch_all(conn)
            .await
            .map_err(|e| ApiKeyError::from_db(e, 0))
    }
}
