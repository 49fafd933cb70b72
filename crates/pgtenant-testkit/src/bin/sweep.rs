//! After a test run: the databases and roles the tests left on the server
//! (names starting with the testkit's prefixes) are listed, dropped, and
//! make the run fail. `.ci/run` runs it after the test suite:
//! `cargo run -p pgtenant-testkit --bin sweep`.
//!
//! With `--before` it runs ahead of the suite: what an earlier, interrupted
//! run left (a killed test cannot drop its database) is listed and dropped,
//! and the run goes on, so the sweep afterwards counts only this run's.

#![allow(
    clippy::print_stdout,
    clippy::print_stderr,
    reason = "a command-line tool: what it prints is its report"
)]

use pgtenant_testkit::{drop_database, drop_role, leftovers};
use std::process::ExitCode;

#[tokio::main(flavor = "current_thread")]
async fn main() -> ExitCode {
    let before = std::env::args().nth(1).as_deref() == Some("--before");
    let left = leftovers().await;
    if before {
        for (kind, name) in &left {
            eprintln!("sweep: dropping {kind} {name}, left by an earlier run");
        }
        drop_all(&left).await;
        return ExitCode::SUCCESS;
    }
    if left.is_empty() {
        println!("sweep: the tests left no database or role behind");
        return ExitCode::SUCCESS;
    }
    eprintln!(
        "sweep: the tests left {} object(s) behind on the server:",
        left.len()
    );
    for (kind, name) in &left {
        eprintln!("  {kind} {name}");
    }
    drop_all(&left).await;
    let still = leftovers().await;
    if still.is_empty() {
        eprintln!("sweep: dropped them");
    } else {
        eprintln!("sweep: could not drop:");
        for (kind, name) in &still {
            eprintln!("  {kind} {name}");
        }
    }
    ExitCode::FAILURE
}

async fn drop_all(left: &[(String, String)]) {
    // Databases first: a role that owns objects in one cannot be dropped.
    for (_, name) in left.iter().filter(|(kind, _)| kind == "database") {
        drop_database(name).await;
    }
    for (_, name) in left.iter().filter(|(kind, _)| kind == "role") {
        drop_role(name).await;
    }
}
