//! Integration tests of the `pgtenant` binary against a real PostgreSQL.

mod audit;
mod backup;
mod bootstrap;
mod codegen;
mod diff;
mod distribute;
mod doctor;
mod examples;
mod flags;
mod grants;
mod import;
mod import_record;
mod import_tools;
mod init;
mod inspect;
mod manifest;
mod migrate;
mod migrate_baseline;
mod migrate_new;
mod modules;
mod nuke;
mod secrets;
mod studio;
mod support;
mod verify;
mod workflow;
