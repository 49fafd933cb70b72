//! pgtenant for applications: tenant-scoped transactions on sqlx, the
//! migrations and seeds runner, and the common SaaS building blocks.
//!
//! The schema's tables carry row-level security policies that read a
//! transaction-local setting:
//!
//! ```sql
//! CREATE POLICY tenant_isolation ON projects FOR ALL
//!   USING (tenant_id = (SELECT NULLIF(current_setting('app.tenant_id', true), '')::uuid))
//!   WITH CHECK (tenant_id = (SELECT NULLIF(current_setting('app.tenant_id', true), '')::uuid));
//! ```
//!
//! The application connects as the service role (never superuser, owner or
//! BYPASSRLS) and runs its queries inside a [`TenantTx`], which sets the
//! tenant (and user) with `SET LOCAL` (the same as `set_config(…, true)`)
//! in the same round trip as `BEGIN`. No context means no rows, never all rows; the setting ends with
//! the transaction, so a pooled connection never carries it to the next
//! request.
//!
//! ```no_run
//! use pgtenant::{MembershipConfig, TenancyConfig, TenantContext, TenantDb, TenantKeyType};
//!
//! # async fn demo() -> Result<(), pgtenant::Error> {
//! let config = TenancyConfig::new(TenantKeyType::Uuid)
//!     .user_setting("app.user_id")
//!     .membership(MembershipConfig::new("memberships", "user_id", "tenant_id"));
//! let db = TenantDb::connect("postgres://svc_app:secret@localhost/app", config).await?;
//!
//! let tenant = "6f9619ff-8b86-d011-b42d-00c04fc964ff";
//! let user = "0b5e7c1a-3f5e-4a4e-9d8e-1c2b3a4d5e6f";
//!
//! // A transaction scoped to one tenant, acting as one user.
//! let mut tx = db.tenant(tenant).user(user).begin().await?;
//! let names: Vec<String> = sqlx::query_scalar("SELECT name FROM projects ORDER BY name")
//!     .fetch_all(&mut *tx)
//!     .await?;
//! tx.commit().await?;
//!
//! // Membership-checked entry: a non-member gets Error::NotAMember.
//! let tx = db.enter(user, tenant).await?;
//! tx.rollback().await?;
//!
//! // Commit on Ok, roll back on Err or panic.
//! let ctx = TenantContext::new(tenant).user(user);
//! db.with_tenant(&ctx, |tx| {
//!     Box::pin(async move {
//!         sqlx::query("INSERT INTO projects (tenant_id, name) VALUES ($1::uuid, $2)")
//!             .bind(tx.tenant_id().to_owned())
//!             .bind("launch")
//!             .execute(&mut **tx)
//!             .await?;
//!         Ok::<_, pgtenant::Error>(())
//!     })
//! })
//! .await?;
//!
//! // System jobs: an explicit superadmin handle, a reason on every use.
//! let db = db.with_superadmin(
//!     pgtenant::SuperadminDb::connect("postgres://app_admin:secret@localhost/app").await?,
//! );
//! let mut tx = db.superadmin()?.begin("nightly billing export").await?;
//! let all: i64 = sqlx::query_scalar("SELECT count(*) FROM projects").fetch_one(&mut *tx).await?;
//! tx.commit().await?;
//! # let _ = (names, all);
//! # Ok(()) }
//! ```

pub mod api_keys;
pub mod audit;
pub mod config;
pub mod error;
pub mod flags;
pub mod ids;
pub mod invites;
pub mod secrets;
pub mod sessions;
pub mod superadmin;
pub mod tenant;
pub mod token;

pub use config::{KeySource, MembershipConfig, TableName, TenancyConfig, TenantKeyType};
pub use error::{Error, Result};
pub use pgtenant_schema as schema;
pub use superadmin::{SuperadminDb, SuperadminTx};
pub use tenant::{TenantContext, TenantDb, TenantScope, TenantTx};

pub mod migrate;
pub mod module;
pub mod rbac;
pub mod roles;
pub mod seed;

pub mod verify;
