//! The superadmin path: a separate pool logged in as the NOSUPERUSER
//! BYPASSRLS role created by `pgtenant bootstrap`, for system jobs that must
//! see every tenant (billing exports, support tooling).
//!
//! It cannot be reached by setting a variable: the service role stays
//! subject to row-level security whatever settings a request manages to
//! set. The only way in is an explicit [`SuperadminDb`] built from its own
//! URL, and every transaction names its reason, which is logged through
//! `tracing` (target `pgtenant::superadmin`) and set as the transaction-local
//! setting `pgtenant.superadmin_reason` for audit triggers. The URL and its
//! password are never logged.

use crate::error::{Error, Result};
use crate::setting::quote_setting;
use pgtenant_schema::ident::quote_literal;
use sqlx::postgres::PgPoolOptions;
use sqlx::{PgConnection, PgPool, Postgres, Transaction};
use std::fmt;
use std::ops::{Deref, DerefMut};

/// The transaction-local setting carrying the reason of a superadmin
/// transaction.
pub const REASON_SETTING: &str = "pgtenant.superadmin_reason";

/// A pool logged in as the superadmin (BYPASSRLS) role.
#[derive(Clone)]
pub struct SuperadminDb {
    pool: PgPool,
    role: String,
}

impl fmt::Debug for SuperadminDb {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SuperadminDb")
            .field("role", &self.role)
            .finish_non_exhaustive()
    }
}

impl SuperadminDb {
    /// Connect to `url` with a small pool (2 connections: system jobs only).
    pub async fn connect(url: &str) -> Result<SuperadminDb> {
        let pool = PgPoolOptions::new().max_connections(2).connect(url).await?;
        SuperadminDb::from_pool(pool).await
    }

    /// Wrap an existing pool; refuses a role that row-level security applies
    /// to (it would silently see no tenant rows) and a superuser (a job that
    /// needs to read every tenant does not need to alter the schema, drop
    /// databases or read files on the server).
    pub async fn from_pool(pool: PgPool) -> Result<SuperadminDb> {
        let (role, superuser, bypass): (String, bool, bool) = sqlx::query_as(
            "SELECT rolname::text, rolsuper, rolbypassrls FROM pg_roles WHERE rolname = current_user",
        )
        .fetch_one(&pool)
        .await?;
        if superuser {
            return Err(Error::SuperadminIsSuperuser { role });
        }
        if !bypass {
            return Err(Error::SuperadminLacksBypassRls { role });
        }
        Ok(SuperadminDb { pool, role })
    }

    /// The role this pool logs in as.
    pub fn role(&self) -> &str {
        &self.role
    }

    /// Open a transaction that sees every tenant. `reason` says why, is
    /// logged, and is required.
    pub async fn begin(&self, reason: &str) -> Result<SuperadminTx> {
        let reason = reason.trim();
        if reason.is_empty() || reason.contains('\0') {
            return Err(Error::MissingReason);
        }
        let span = tracing::info_span!(
            target: "pgtenant::superadmin",
            "superadmin",
            reason = %reason,
            role = %self.role
        );
        span.in_scope(
            || tracing::info!(target: "pgtenant::superadmin", "superadmin transaction begins"),
        );
        let sql = format!(
            "SET LOCAL {} = {}; BEGIN",
            quote_setting(REASON_SETTING),
            quote_literal(reason)
        );
        let tx = self.pool.begin_with(sql).await?;
        Ok(SuperadminTx {
            tx,
            reason: reason.to_owned(),
            span,
        })
    }
}

/// A transaction as the superadmin role. Dropped without commit, it rolls
/// back.
pub struct SuperadminTx {
    tx: Transaction<'static, Postgres>,
    reason: String,
    span: tracing::Span,
}

impl fmt::Debug for SuperadminTx {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SuperadminTx")
            .field("reason", &self.reason)
            .finish_non_exhaustive()
    }
}

impl SuperadminTx {
    pub fn reason(&self) -> &str {
        &self.reason
    }

    /// The span (`superadmin`, with the reason) to instrument work with.
    pub fn span(&self) -> &tracing::Span {
        &self.span
    }

    pub async fn commit(self) -> Result<()> {
        self.tx.commit().await?;
        self.span.in_scope(
            || tracing::info!(target: "pgtenant::superadmin", "superadmin transaction committed"),
        );
        Ok(())
    }

    pub async fn rollback(self) -> Result<()> {
        self.tx.rollback().await?;
        self.span.in_scope(
            || tracing::info!(target: "pgtenant::superadmin", "superadmin transaction rolled back"),
        );
        Ok(())
    }

    /// The connection, to pass as a sqlx executor.
    pub fn conn(&mut self) -> &mut PgConnection {
        &mut self.tx
    }
}

impl Deref for SuperadminTx {
    type Target = PgConnection;

    fn deref(&self) -> &Self::Target {
        &self.tx
    }
}

impl DerefMut for SuperadminTx {
    fn deref_mut(&mut self) -> &mut Self::Target {
        &mut self.tx
    }
}
