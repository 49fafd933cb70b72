//! The pgtenant schema engine.
//!
//! - [`model`]: the [`Catalog`] value: a database schema as data.
//! - [`ident`]: the one quoting helper for identifiers and literals.
//!
//! Introspection (live database → `Catalog`), the pure diff
//! (`Catalog × Catalog → Plan`) and shadow-database loading live here too.

pub mod ident;
pub mod model;
pub mod sqltext;

pub use model::*;
