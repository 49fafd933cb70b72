//! Integration tests of the schema engine, on a real PostgreSQL.

mod acceptance;
mod corpus;
mod prop;
mod support;
