//! The sessions module's Rust side: open a session with a refresh token,
//! refresh (rotate) it, revoke, list. The rules (rotation, reuse detection
//! with a grace window, absolute and idle expiry) live in the module's SQL
//! (`modules/sessions/`); this side mints tokens ([`crate::token`]) and
//! sends only their lookup ids and hashes.
//!
//! Call [`Sessions::refresh`] outside a transaction, or commit whatever it
//! returns: a detected reuse revokes the session, and that must stick.

use crate::token::{self, Token};
use chrono::{DateTime, Utc};
use pgtenant_schema::ident::quote_ident;
use sqlx::PgConnection;
use std::time::Duration;

/// The prefix of refresh tokens.
pub const PREFIX: &str = "pgr";

/// What can go wrong. No variant carries a token.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SessionError {
    /// The one answer for an unknown, mistyped, rotated, reused, revoked,
    /// expired or idle refresh token: log in again.
    #[error("invalid or expired session; log in again")]
    Invalid,
    /// Revoking a session that is not active, or not the user's or the
    /// tenant's.
    #[error("no active session {0} here")]
    NotFound(i64),
    /// The call needs a user or a tenant in the settings.
    #[error("{0}")]
    NoContext(String),
    /// A session in a tenant the user is not an active member of.
    #[error("{0}")]
    NotMember(String),
    /// Lifetimes out of range, as the database put it.
    #[error("{0}")]
    BadArgument(String),
    #[error(transparent)]
    Database(sqlx::Error),
}

impl SessionError {
    fn from_db(e: sqlx::Error, session_id: i64) -> SessionError {
        match token::module_error(&e) {
            Some((code, message)) => match code.as_str() {
                "PT002" => SessionError::NotFound(session_id),
                "PT005" => SessionError::NotMember(message),
                "PT006" => SessionError::NoContext(message),
                _ => SessionError::BadArgument(message),
            },
            None => SessionError::Database(e),
        }
    }
}

/// How long sessions last.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SessionPolicy {
    /// From login, whatever the use.
    pub absolute: Duration,
    /// Without a refresh.
    pub idle: Duration,
    /// How long the previous generation's token still refreshes (0: never).
    pub grace: Duration,
}

impl Default for SessionPolicy {
    /// 30 days absolute, 7 days idle, 10 seconds of grace.
    fn default() -> SessionPolicy {
        SessionPolicy {
            absolute: Duration::from_secs(30 * 24 * 3600),
            idle: Duration::from_secs(7 * 24 * 3600),
            grace: Duration::from_secs(10),
        }
    }
}

/// A session just opened or refreshed, and the refresh token to hand to
/// the client (once; it cannot be read back).
#[derive(Debug, Clone)]
pub struct IssuedSession {
    pub session_id: i64,
    pub user_id: String,
    pub tenant: Option<String>,
    /// The absolute expiry.
    pub expires_at: DateTime<Utc>,
    pub refresh_token: Token,
}

/// One of the user's live sessions.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct SessionInfo {
    pub session_id: i64,
    pub tenant: Option<String>,
    pub user_agent: String,
    pub created_at: DateTime<Utc>,
    pub last_used_at: DateTime<Utc>,
    /// When it ends if unused: the earlier of the absolute and idle expiry.
    pub ends_at: DateTime<Utc>,
}

/// The sessions module in schema `schema`.
#[derive(Debug, Clone)]
pub struct Sessions {
    schema: String,
    policy: SessionPolicy,
}

impl Sessions {
    pub fn new(schema: &str, policy: SessionPolicy) -> Sessions {
        Sessions {
            schema: quote_ident(schema),
            policy,
        }
    }

    fn mint() -> Token {
        Token::generate(PREFIX).unwrap_or_else(|_| unreachable!("PREFIX is valid"))
    }

    /// Open a session for `user` (authenticated by the caller), optionally
    /// in `tenant`, of which the user must be an active member when the
    /// manifest names a membership table ([`SessionError::NotMember`]).
    pub async fn create(
        &self,
        conn: &mut PgConnection,
        user: &str,
        tenant: Option<&str>,
        user_agent: &str,
    ) -> Result<IssuedSession, SessionError> {
        let token = Self::mint();
        let (session_id, expires_at): (i64, DateTime<Utc>) = sqlx::query_as(&format!(
            "SELECT session_id, expires_at FROM {}.session_create($1, $2, $3, $4, $5,
               $6 * interval '1 second', $7 * interval '1 second', $8 * interval '1 second')",
            self.schema
        ))
        .bind(user)
        .bind(tenant)
        .bind(token.lookup_id())
        .bind(&token.hash()[..])
        .bind(user_agent)
        .bind(token::seconds(self.policy.absolute))
        .bind(token::seconds(self.policy.idle))
        .bind(token::seconds(self.policy.grace))
        .fetch_one(conn)
        .await
        .map_err(|e| SessionError::from_db(e, 0))?;
        Ok(IssuedSession {
            session_id,
            user_id: user.to_owned(),
            tenant: tenant.map(str::to_owned),
            expires_at,
            refresh_token: token,
        })
    }

    /// Present a refresh token; get the session and its next token. A
    /// retired token revokes the session (see the module docs for the
    /// grace window).
    pub async fn refresh(
        &self,
        conn: &mut PgConnection,
        refresh_token: &str,
    ) -> Result<IssuedSession, SessionError> {
        let presented = Token::parse(refresh_token).map_err(|_| SessionError::Invalid)?;
        if presented.prefix() != PREFIX {
            return Err(SessionError::Invalid);
        }
        let next = Self::mint();
        type Row = (
            String,
            Option<i64>,
            Option<String>,
            Option<String>,
            Option<DateTime<Utc>>,
        );
        let (status, session_id, user_id, tenant, expires_at): Row = sqlx::query_as(&format!(
            "SELECT status, session_id, user_id, tenant, expires_at
               FROM {}.session_refresh($1, $2, $3, $4)",
            self.schema
        ))
        .bind(presented.lookup_id())
        .bind(&presented.hash()[..])
        .bind(next.lookup_id())
        .bind(&next.hash()[..])
        .fetch_one(conn)
        .await
        .map_err(|e| SessionError::from_db(e, 0))?;
        match (status.as_str(), session_id, user_id, expires_at) {
            ("rotated", Some(session_id), Some(user_id), Some(expires_at)) => Ok(IssuedSession {
                session_id,
                user_id,
                tenant,
                expires_at,
                refresh_token: next,
            }),
            ("reused", Some(session_id), _, _) => {
                tracing::warn!(
                    session_id,
                    "a retired refresh token was presented again; the session is revoked"
                );
                Err(SessionError::Invalid)
            }
            _ => Err(SessionError::Invalid),
        }
    }

    /// Revoke one session: the current user's own, or one opened in the
    /// current tenant.
    pub async fn revoke(
        &self,
        conn: &mut PgConnection,
        session_id: i64,
    ) -> Result<(), SessionError> {
        sqlx::query(&format!("SELECT {}.session_revoke($1)", self.schema))
            .bind(session_id)
            .execute(conn)
            .await
            .map_err(|e| SessionError::from_db(e, session_id))?;
        Ok(())
    }

    /// Revoke `user`'s sessions: all of them when `user` is the current
    /// user ("log out everywhere"), else those opened in the current tenant.
    /// Returns how many.
    pub async fn revoke_user(
        &self,
        conn: &mut PgConnection,
        user: &str,
    ) -> Result<u64, SessionError> {
        self.count(
            conn,
            &format!("SELECT {}.session_revoke_user($1)", self.schema),
            Some(user),
        )
        .await
    }

    /// Revoke every session opened in the current tenant. Returns how many.
    pub async fn revoke_tenant(&self, conn: &mut PgConnection) -> Result<u64, SessionError> {
        self.count(
            conn,
            &format!("SELECT {}.session_revoke_tenant()", self.schema),
            None,
        )
        .await
    }

    async fn count(
        &self,
        conn: &mut PgConnection,
        sql: &str,
        arg: Option<&str>,
    ) -> Result<u64, SessionError> {
        let mut q = sqlx::query_scalar::<_, i64>(sql);
        if let Some(a) = arg {
            q = q.bind(a);
        }
        let n = q
            .fetch_one(conn)
            .await
            .map_err(|e| SessionError::from_db(e, 0))?;
        Ok(u64::try_from(n).unwrap_or(0))
    }

    /// The current user's live sessions, most recently used first.
    pub async fn list(&self, conn: &mut PgConnection) -> Result<Vec<SessionInfo>, SessionError> {
        sqlx::query_as(&format!(
            "SELECT session_id, tenant, user_agent, created_at, last_used_at, expires_at AS ends_at
               FROM {}.sessions_list()",
            self.schema
        ))
        .fetch_all(conn)
        .await
        .map_err(|e| SessionError::from_db(e, 0))
    }
}
