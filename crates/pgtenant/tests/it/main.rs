//! Integration tests of the application library against a real PostgreSQL.

mod api_keys;
mod audit;
mod child;
mod explain;
mod faults;
mod flags;
mod invites;
mod isolation;
mod membership;
mod mig_support;
mod migrate;
mod module_db;
mod rbac;
mod rbac_prop;
mod rbac_support;
mod secrets;
mod seed;
mod sessions;
mod superadmin;
mod support;
mod validation;
mod verify;
mod wire;
