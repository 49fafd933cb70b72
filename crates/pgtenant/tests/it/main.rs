//! Integration tests of the pgtenant library against a real PostgreSQL.

mod verify;
