//! pgtenant for applications: tenant-scoped transactions on sqlx, the
//! migrations and seeds runner, and the common SaaS building blocks.

pub use pgtenant_schema as schema;

pub mod verify;
