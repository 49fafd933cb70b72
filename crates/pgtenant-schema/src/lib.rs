//! The pgtenant schema engine.
//!
//! - [`model`]: the [`Catalog`] value: a database schema as data.
//! - [`ident`]: the one quoting helper for identifiers and literals.
//! - [`tenancy`]: tenant-scoped tables and the RLS transform.
//! - [`lint`]: isolation lints over a catalog, reported as [`finding::Finding`]s.
//! - [`distribute`]: the Citus distribution plan and what blocks it (pure).
//! - [`sqltext`]: statement boundaries and line numbers in SQL text.
//! - [`introspect`](mod@introspect): a live database → [`Catalog`] (queries in
//!   `queries.sql`).
//! - [`shadow`]: load SQL files into a scratch database and introspect it.
//! - [`directive`]: the `-- pgtenant:` directives, written and read in one place.
//! - [`renames`]: `-- pgtenant:renamed-from` hints in the desired SQL.
//! - [`diff`](mod@diff): the pure diff, `Catalog × Catalog → Plan`.
//! - [`plan`]: the [`Plan`] of steps with hazards, and its SQL rendering.

pub mod diff;
pub mod directive;
pub mod distribute;
pub mod finding;
pub mod ident;
pub mod introspect;
pub mod lint;
pub mod model;
pub mod plan;
pub mod privileges;
pub mod renames;
pub mod shadow;
pub mod sqltext;
pub mod tenancy;
#[doc(hidden)]
pub mod testgen;

pub use diff::diff;
#[cfg(test)]
mod test_catalog;

pub use introspect::{introspect, IntrospectError};
pub use model::*;
pub use plan::{Hazard, HazardKind, Plan, Step, TxBoundary};
