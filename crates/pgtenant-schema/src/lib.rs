//! The pgtenant schema engine.
//!
//! - [`model`]: the [`Catalog`] value: a database schema as data.
//! - [`ident`]: the one quoting helper for identifiers and literals.
//! - [`tenancy`]: tenant-scoped tables and the RLS transform.
//! - [`lint`]: isolation lints over a catalog, reported as [`finding::Finding`]s.
//!
//! Introspection (live database → `Catalog`), the pure diff
//! (`Catalog × Catalog → Plan`) and shadow-database loading live here too.

pub mod finding;
pub mod ident;
pub mod lint;
pub mod model;
pub mod sqltext;
pub mod tenancy;

#[cfg(test)]
mod test_catalog;

pub use model::*;
