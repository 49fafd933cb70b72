//! The invites module's Rust side: invite someone into a tenant with an
//! rbac role, accept, resend, revoke, list. Every call is one statement on
//! the module's SQL functions (`modules/invites/`), which hold the rules;
//! this side mints the token ([`crate::token`]) and sends the database only
//! its lookup id and hash.
//!
//! `create`, `resend`, `revoke` and `pending` run in a tenant transaction
//! that names the acting user (`db.enter(user, tenant)`); `accept` needs
//! none (the user joins a tenant they are not in yet).

use crate::token::{self, Token};
use chrono::{DateTime, Utc};
use pgtenant_schema::ident::quote_ident;
use sqlx::PgConnection;
use std::time::Duration;

/// The prefix of invite tokens.
pub const PREFIX: &str = "pgi";

/// How long an invite lasts unless the call says otherwise.
pub const DEFAULT_TTL: Duration = Duration::from_secs(7 * 24 * 3600);

/// What can go wrong. No variant carries a token.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum InviteError {
    /// The one answer for an unknown, used, revoked, expired, mistyped or
    /// someone else's invite: nothing tells them apart.
    #[error("invalid or expired invite")]
    Invalid,
    /// Resend or revoke of an invite that is not pending in this tenant.
    #[error("no pending invite {0} in this tenant")]
    NotPending(i64),
    /// The invitee is already a member of the tenant.
    #[error(
        "{0} is already a member of this tenant; change their roles instead of inviting them again"
    )]
    AlreadyMember(String),
    /// An open invite for the address exists.
    #[error("{0} already has a pending invite to this tenant; resend it, or revoke it first")]
    AlreadyInvited(String),
    /// The inviter is not an active member, or the role gives more than
    /// the inviter holds (the message names the permissions).
    #[error("{0}")]
    NotAllowed(String),
    /// The transaction carries no tenant or no user.
    #[error("invites need a tenant and a user: call it inside a tenant transaction that names the acting user")]
    NoContext,
    /// A bad argument (role, address, duration), as the database put it.
    #[error("{0}")]
    BadArgument(String),
    #[error(transparent)]
    Database(sqlx::Error),
}

impl InviteError {
    fn from_db(e: sqlx::Error, email: &str, invite_id: i64) -> InviteError {
        match token::module_error(&e) {
            Some((code, message)) => match code.as_str() {
                "PT001" => InviteError::Invalid,
                "PT002" => InviteError::NotPending(invite_id),
                "PT003" => InviteError::AlreadyMember(email.to_owned()),
                "PT004" => InviteError::AlreadyInvited(email.to_owned()),
                "PT005" => InviteError::NotAllowed(message),
                "PT006" => InviteError::NoContext,
                _ => InviteError::BadArgument(message),
            },
            None => InviteError::Database(e),
        }
    }
}

/// An invite to send.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewInvite {
    pub email: String,
    /// A role name: the tenant's own role of that name, else the global one.
    pub role: String,
    pub ttl: Duration,
    /// The invitee's user id when the application already knows it: then a
    /// current member is refused even if they joined without an invite.
    pub user: Option<String>,
}

impl NewInvite {
    pub fn new(email: &str, role: &str) -> NewInvite {
        NewInvite {
            email: email.to_owned(),
            role: role.to_owned(),
            ttl: DEFAULT_TTL,
            user: None,
        }
    }

    pub fn ttl(mut self, ttl: Duration) -> Self {
        self.ttl = ttl;
        self
    }

    pub fn existing_user(mut self, user: &str) -> Self {
        self.user = Some(user.to_owned());
        self
    }
}

/// A created or resent invite and its token: show the token to the
/// inviter (or mail it) once; it cannot be read back.
#[derive(Debug, Clone)]
pub struct IssuedInvite {
    pub invite_id: i64,
    pub expires_at: DateTime<Utc>,
    pub token: Token,
}

/// An accepted invite: the user is now a member of `tenant` with `role`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Accepted {
    pub invite_id: i64,
    pub tenant: String,
    pub role: String,
}

/// A pending invite as listed to the tenant.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct PendingInvite {
    pub invite_id: i64,
    pub email: String,
    pub role_name: String,
    pub invited_by: String,
    pub created_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
}

/// The invites module in schema `schema`.
#[derive(Debug, Clone)]
pub struct Invites {
    schema: String,
}

impl Invites {
    pub fn new(schema: &str) -> Invites {
        Invites {
            schema: quote_ident(schema),
        }
    }

    fn mint() -> Token {
        // The prefix is a valid constant: generation cannot fail.
        Token::generate(PREFIX).unwrap_or_else(|_| unreachable!("PREFIX is valid"))
    }

    /// Invite into the transaction's tenant, by its user.
    pub async fn create(
        &self,
        conn: &mut PgConnection,
        invite: &NewInvite,
    ) -> Result<IssuedInvite, InviteError> {
        let token = Self::mint();
        let (invite_id, expires_at): (i64, DateTime<Utc>) = sqlx::query_as(&format!(
            "SELECT invite_id, expires_at
               FROM {}.invite_create($1, $2, $3, $4, $5 * interval '1 second', $6)",
            self.schema
        ))
        .bind(&invite.email)
        .bind(&invite.role)
        .bind(token.lookup_id())
        .bind(&token.hash()[..])
        .bind(token::seconds(invite.ttl))
        .bind(&invite.user)
        .fetch_one(conn)
        .await
        .map_err(|e| InviteError::from_db(e, &invite.email, 0))?;
        Ok(IssuedInvite {
            invite_id,
            expires_at,
            token,
        })
    }

    /// Accept `token` as `user`, whose verified address is `email`: the
    /// user becomes a member of the invite's tenant with its role. Exactly
    /// one of several concurrent calls succeeds.
    pub async fn accept(
        &self,
        conn: &mut PgConnection,
        token: &str,
        user: &str,
        email: &str,
    ) -> Result<Accepted, InviteError> {
        let token = Token::parse(token).map_err(|_| InviteError::Invalid)?;
        if token.prefix() != PREFIX {
            return Err(InviteError::Invalid);
        }
        let (invite_id, tenant, role): (i64, String, String) = sqlx::query_as(&format!(
            "SELECT invite_id, tenant::text, role_name FROM {}.invite_accept($1, $2, $3, $4)",
            self.schema
        ))
        .bind(token.lookup_id())
        .bind(&token.hash()[..])
        .bind(user)
        .bind(email)
        .fetch_one(conn)
        .await
        .map_err(|e| InviteError::from_db(e, email, 0))?;
        Ok(Accepted {
            invite_id,
            tenant,
            role,
        })
    }

    /// A new token for a pending invite of the transaction's tenant; the
    /// old token stops working and the expiry restarts at `ttl`.
    pub async fn resend(
        &self,
        conn: &mut PgConnection,
        invite_id: i64,
        ttl: Duration,
    ) -> Result<IssuedInvite, InviteError> {
        let token = Self::mint();
        let expires_at: DateTime<Utc> = sqlx::query_scalar(&format!(
            "SELECT {}.invite_resend($1, $2, $3, $4 * interval '1 second')",
            self.schema
        ))
        .bind(invite_id)
        .bind(token.lookup_id())
        .bind(&token.hash()[..])
        .bind(token::seconds(ttl))
        .fetch_one(conn)
        .await
        .map_err(|e| InviteError::from_db(e, "", invite_id))?;
        Ok(IssuedInvite {
            invite_id,
            expires_at,
            token,
        })
    }

    /// Revoke a pending invite of the transaction's tenant.
    pub async fn revoke(&self, conn: &mut PgConnection, invite_id: i64) -> Result<(), InviteError> {
        sqlx::query(&format!("SELECT {}.invite_revoke($1)", self.schema))
            .bind(invite_id)
            .execute(conn)
            .await
            .map_err(|e| InviteError::from_db(e, "", invite_id))?;
        Ok(())
    }

    /// The transaction's tenant's pending, unexpired invites, oldest first.
    pub async fn pending(
        &self,
        conn: &mut PgConnection,
    ) -> Result<Vec<PendingInvite>, InviteError> {
        sqlx::query_as(&format!(
            "SELECT invite_id, email, role_name, invited_by::text AS invited_by, created_at, expires_at
               FROM {}.invites_pending()",
            self.schema
        ))
        .fetch_all(conn)
        .await
        .map_err(|e| InviteError::from_db(e, "", 0))
    }
}
