//! Integration tests of the `pgtenant` CLI crate (one test binary).

mod examples;
