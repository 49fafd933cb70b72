//! A child process that runs `migrate`, so the fault tests can kill it.
//!
//! The fault tests start this test binary again, running only the ignored
//! `child::child_migrate` entry with the database and folder in the
//! environment. It prints one `EVENT ...` line per progress event and a last
//! `APPLIED [...]` or `ERROR ...` line.

#![allow(
    clippy::print_stdout,
    reason = "the child process reports its outcome to the parent test on stdout"
)]

use pgtenant::migrate::{self, Event, MigrateOptions, Progress};
use std::io::Write;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

struct Print;

impl Progress for Print {
    fn event(&self, e: &Event<'_>) {
        let line = match e {
            Event::LockBusy { pid } => format!("lock busy {pid:?}"),
            Event::Start { file, .. } => format!("start {}", file.version),
            Event::Done { file, .. } => format!("done {}", file.version),
            Event::DroppedInvalidIndex { index, .. } => format!("dropped invalid {index}"),
            other => format!("{other:?}").chars().take(60).collect(),
        };
        let mut out = std::io::stdout().lock();
        let _ = writeln!(out, "EVENT {line}");
        let _ = out.flush();
    }
}

#[tokio::test]
#[ignore = "entry point of the child process started by the fault tests"]
async fn child_migrate() {
    let url = std::env::var("PGT_CHILD_URL").expect("PGT_CHILD_URL");
    let dir = std::env::var("PGT_CHILD_DIR").expect("PGT_CHILD_DIR");
    let opts = MigrateOptions {
        lock_wait: Duration::from_secs(60),
        ..Default::default()
    };
    let result = migrate::migrate(
        &crate::mig_support::connect_options(&url),
        Path::new(&dir),
        &opts,
        &Print,
    )
    .await;
    match result {
        Ok(r) => println!("APPLIED {:?}", r.applied),
        Err(e) => {
            println!("ERROR {e}");
            std::process::exit(1);
        }
    }
}

/// Start a child running migrate on `url` / `dir`.
pub fn spawn(url: &str, dir: &Path) -> Child {
    Command::new(std::env::current_exe().expect("test binary path"))
        .args([
            "child::child_migrate",
            "--exact",
            "--ignored",
            "--nocapture",
            "--test-threads=1",
        ])
        .env("PGT_CHILD_URL", url)
        .env("PGT_CHILD_DIR", dir)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start child process")
}
