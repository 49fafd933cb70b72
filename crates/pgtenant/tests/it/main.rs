//! Integration tests of the application library against a real PostgreSQL.

mod child;
mod explain;
mod faults;
mod isolation;
mod membership;
mod mig_support;
mod migrate;
mod secrets;
mod seed;
mod superadmin;
mod support;
mod validation;
mod verify;
