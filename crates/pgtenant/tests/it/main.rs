//! Integration tests of the application library against a real PostgreSQL.

mod explain;
mod isolation;
mod membership;
mod superadmin;
mod support;
mod validation;
mod verify;
