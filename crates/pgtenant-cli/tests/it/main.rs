//! Integration tests of the `pgtenant` binary against a real PostgreSQL.

mod bootstrap;
mod doctor;
mod examples;
mod manifest;
mod migrate;
mod nuke;
mod support;
mod workflow;
