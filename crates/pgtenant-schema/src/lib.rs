//! The pgtenant schema engine.
//!
//! - [`model`]: the [`Catalog`] value: a database schema as data.
//! - [`ident`]: the one quoting helper for identifiers and literals.
//! - [`diff`](mod@diff): the pure diff, `Catalog × Catalog → Plan`.
//! - [`plan`]: the [`Plan`] of steps with hazards, and its SQL rendering.
//!
//! Introspection (live database → `Catalog`) and shadow-database loading
//! live here too.

pub mod diff;
pub mod ident;
pub mod model;
pub mod plan;
pub mod sqltext;

pub use diff::diff;
pub use model::*;
pub use plan::{Hazard, HazardKind, Plan, Step, TxBoundary};
