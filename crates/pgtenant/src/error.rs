//! The library's error type. Every message says what to do next.

/// What can go wrong when opening tenant-scoped or superadmin transactions.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// A tenant id was empty. Nothing was sent to the database.
    #[error("the tenant id is empty; pass the id of the tenant the request acts for")]
    EmptyTenantId,

    /// A tenant id does not fit the tenant key type. Nothing was sent to the
    /// database.
    #[error(
        "invalid tenant id {id:?}: expected {key_type} ({problem}); \
         pass the tenant's primary key as stored in the root table"
    )]
    InvalidTenantId {
        id: String,
        key_type: String,
        problem: String,
    },

    /// A user id was empty or does not fit the user key type.
    #[error(
        "invalid user id {id:?}: expected {key_type} ({problem}); \
         pass the user's primary key as stored in the membership table"
    )]
    InvalidUserId {
        id: String,
        key_type: String,
        problem: String,
    },

    /// A user id was given but no user setting is configured.
    #[error(
        "a user id was given but no user setting is configured; \
         set TenancyConfig::user_setting (e.g. \"app.user_id\") or leave the user out"
    )]
    NoUserSetting,

    /// The user is not a member of the tenant (membership-checked entry).
    #[error(
        "user {user_id} is not a member of tenant {tenant_id}; \
         refuse the request, or add the membership in {table} first"
    )]
    NotAMember {
        user_id: String,
        tenant_id: String,
        table: String,
    },

    /// `enter` was called without a membership table in the configuration.
    #[error(
        "membership-checked entry needs a membership table; \
         set TenancyConfig::membership (table, user column, tenant column)"
    )]
    NoMembershipConfig,

    /// A configuration value (setting name, table or column name) is unusable.
    #[error("invalid tenancy configuration: {field} {value:?} {problem}")]
    InvalidConfig {
        field: &'static str,
        value: String,
        problem: String,
    },

    /// The root table to read the key type from does not exist or has no
    /// single-column primary key.
    #[error(
        "cannot read the tenant key type from {table}: {problem}; \
         check TenancyConfig's root table or set the key type explicitly"
    )]
    RootTable { table: String, problem: String },

    /// The primary key of the root table has a type the library does not
    /// support as a tenant key.
    #[error(
        "the primary key of {table} has type {found}, which is not supported as a tenant key; \
         use uuid, text, varchar(n), bigint, integer or smallint"
    )]
    UnsupportedKeyType { table: String, found: String },

    /// The pool given to [`TenantDb`](crate::TenantDb) logs in as a role that
    /// row-level security does not apply to.
    #[error(
        "the service role {role} {attribute}, so row-level security does not apply to it; \
         connect with the NOSUPERUSER NOBYPASSRLS service role created by `pgtenant bootstrap`"
    )]
    ServiceRoleBypassesRls {
        role: String,
        attribute: &'static str,
    },

    /// The pool given to [`TenantDb`](crate::TenantDb) logs in as a role that
    /// is a member of other roles (directly or not, predefined roles
    /// included): it holds their privileges or can `SET ROLE` to them.
    #[error(
        "the service role {role} is a member of {}, so it can act with their privileges \
         (SET ROLE, inherited grants); revoke the membership (REVOKE ... FROM {role}) or \
         connect with the service role created by `pgtenant bootstrap`, a member of no role",
        member_of.join(", ")
    )]
    ServiceRoleIsMember {
        role: String,
        member_of: Vec<String>,
    },

    /// The superadmin pool logs in as a role that is subject to row-level
    /// security, so it would see nothing.
    #[error(
        "the superadmin role {role} has no BYPASSRLS, so it would see no tenant rows; \
         connect with the superadmin role created by `pgtenant bootstrap`"
    )]
    SuperadminLacksBypassRls { role: String },

    /// The superadmin pool logs in as a superuser: far more power than
    /// reading every tenant needs.
    #[error(
        "the superadmin role {role} is a superuser; \
         connect with the NOSUPERUSER BYPASSRLS superadmin role created by `pgtenant bootstrap`"
    )]
    SuperadminIsSuperuser { role: String },

    /// `superadmin()` was called but no superadmin connection is configured.
    #[error(
        "no superadmin connection is configured; \
         attach one with TenantDb::with_superadmin(SuperadminDb::connect(url).await?)"
    )]
    NoSuperadmin,

    /// A superadmin transaction was requested without a reason.
    #[error(
        "a superadmin transaction needs a reason for the log; \
         pass what the job is doing, e.g. begin(\"nightly billing export\")"
    )]
    MissingReason,

    /// The database uses the audit module but the superadmin role may not
    /// append to its log, so its transactions could not be recorded.
    #[error(
        "the database has the audit log {table}, but the superadmin role {role} lacks {missing}, \
         so its transactions cannot be recorded; {fix}"
    )]
    SuperadminCannotAudit {
        role: String,
        table: String,
        missing: String,
        fix: String,
    },

    /// An error from the database or the driver.
    #[error(transparent)]
    Database(#[from] sqlx::Error),
}

/// `Result` with this crate's [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;
