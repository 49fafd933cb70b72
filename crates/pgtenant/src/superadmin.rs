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
//!
//! In a database with the audit module, every transaction also begins by
//! appending one system event (`superadmin.transaction.begin`, actor the
//! role, metadata `{"reason": …}`) to the hash-chained log, inside the
//! transaction: committed with the work it explains, gone with it on
//! rollback. A pool whose role may not append there is refused.

use crate::error::{Error, Result};
use pgtenant_schema::ident::{quote_ident, quote_literal, quote_setting};
use sqlx::postgres::PgPoolOptions;
use sqlx::{PgConnection, PgPool, Postgres, Transaction};
use std::fmt;
use std::ops::{Deref, DerefMut};

/// The transaction-local setting carrying the reason of a superadmin
/// transaction.
pub const REASON_SETTING: &str = "pgtenant.superadmin_reason";

/// The action of the audit event every superadmin transaction begins with.
pub const AUDIT_ACTION: &str = "superadmin.transaction.begin";

/// A pool logged in as the superadmin (BYPASSRLS) role.
#[derive(Clone)]
pub struct SuperadminDb {
    pool: PgPool,
    role: String,
    /// The INSERT of the begin event, when the database has the audit log.
    audit_insert: Option<String>,
}

impl fmt::Debug for SuperadminDb {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SuperadminDb")
            .field("role", &self.role)
            .field("audited", &self.audit_insert.is_some())
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
        SuperadminDb {
            pool,
            role,
            audit_insert: None,
        }
        .audit_schema(crate::module::DEFAULT_SCHEMA)
        .await
    }

    /// Look for the audit module's log in `schema` (the default,
    /// `pgtenant`, is looked at by [`from_pool`](Self::from_pool)): when it
    /// is there, every transaction begins with its audit event; when the
    /// role may not append to it, an error.
    pub async fn audit_schema(mut self, schema: &str) -> Result<SuperadminDb> {
        let table = format!("{}.audit_log", quote_ident(schema));
        let found: Option<(bool, bool)> = sqlx::query_as(
            "SELECT has_schema_privilege(n.oid, 'USAGE'), has_table_privilege(c.oid, 'INSERT') \
               FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace \
              WHERE n.nspname = $1 AND c.relname = 'audit_log' AND c.relkind IN ('r', 'p')",
        )
        .bind(schema)
        .fetch_optional(&self.pool)
        .await?;
        let cannot = |missing: String, fix: String| Error::SuperadminCannotAudit {
            role: self.role.clone(),
            table: format!("{schema}.audit_log"),
            missing,
            fix,
        };
        self.audit_insert = match found {
            None => None,
            Some((false, _)) => {
                return Err(cannot(
                    format!("USAGE on schema {schema}"),
                    format!(
                        "grant it as the admin: GRANT USAGE ON SCHEMA {} TO {}",
                        quote_ident(schema),
                        quote_ident(&self.role)
                    ),
                ))
            }
            Some((true, false)) => {
                return Err(cannot(
                    format!("INSERT on {schema}.audit_log"),
                    "give the database a superadmin_role in the manifest, then run `pgtenant \
                     generate` and `pgtenant migrate` (the audit module grants that role SELECT \
                     and INSERT on its log)"
                        .to_owned(),
                ))
            }
            Some((true, true)) => Some(format!(
                "INSERT INTO {table} (actor, action, metadata) \
                 VALUES (current_user, {}, jsonb_build_object('reason', $1::text))",
                quote_literal(AUDIT_ACTION)
            )),
        };
        Ok(self)
    }

    /// Whether transactions are recorded in the audit log.
    pub fn audited(&self) -> bool {
        self.audit_insert.is_some()
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
        let mut tx = self.pool.begin_with(sql).await?;
        if let Some(insert) = &self.audit_insert {
            // No tenant setting is in force: the event joins the system chain.
            sqlx::query(insert).bind(reason).execute(&mut *tx).await?;
        }
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
