//! Role-based access control over one permission catalog, evaluated in
//! Rust in nanoseconds and, by the `rbac` module's SQL, inside PostgreSQL
//! (`pgtenant.has_permission`). Both follow the same rules (see
//! `crates/pgtenant/modules/rbac/README.md`), and a property test keeps
//! them in agreement.
//!
//! ```
//! use pgtenant::rbac::{Catalog, Rbac, Role};
//! use std::sync::Arc;
//!
//! let catalog = Catalog::parse("rbac/permissions.txt", "
//!     content.nodes.view    View nodes
//!     content.nodes.delete  Delete nodes
//!     admin.tenant.delete   Delete the tenant
//! ").unwrap();
//! let editor = Role::parse("editor", &["content.*"], &["content.nodes.delete"]).unwrap();
//! let rbac = Rbac::compile(Arc::new(catalog), vec![editor]);
//! assert!(rbac.allows("content.nodes.view"));
//! assert!(!rbac.allows("content.nodes.delete"));
//! assert_eq!(
//!     rbac.require("content.nodes.delete").unwrap_err().to_string(),
//!     "content.nodes.delete is denied by role editor (deny pattern content.nodes.delete)"
//! );
//! ```

mod access;
mod catalog;
mod compiled;
mod error;
mod name;
mod roles;
mod seed;

pub use access::{require, Access, AccessCache, RequirePermission};
pub use catalog::{Catalog, Permission};
pub use compiled::{Decision, Explanation, Match, Rbac, Source};
pub use error::{DecidedBy, FileError, Forbidden, RbacError};
pub use name::{validate_permission, Pattern, MAX_SEGMENTS, MIN_SEGMENTS};
pub use roles::{matches_any, parse_roles, Effect, Role};
pub use seed::{seed, SeedReport};
