//! The whole `pgtenant diff --from DIR --to DIR` on the 500-table schema and
//! a copy with 10% of the tables changed, against psql loading the two files
//! statement by statement (issue 3, Performance (c); target ≤ 0.5× psql).
//!
//! Run: `cargo bench -p pgtenant-cli --bench diff_command`
//! (needs `psql` on PATH and the server of `PGTENANT_TEST_ADMIN_URL`).

#![allow(
    clippy::print_stdout,
    reason = "a benchmark: its figures are its output"
)]

use pgtenant_schema::testgen;
use pgtenant_testkit::{admin_url, TestDb};
use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

const RUNS: usize = 5;

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v[v.len() / 2]
}

fn psql_load(url: &str, file: &Path) -> Duration {
    let start = Instant::now();
    let out = Command::new("psql")
        .args(["-X", "-q", "-v", "ON_ERROR_STOP=1", "-d", url, "-f"])
        .arg(file)
        .output()
        .expect("run psql");
    assert!(
        out.status.success(),
        "psql failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    start.elapsed()
}

fn main() {
    let rt = tokio::runtime::Runtime::new().expect("runtime");
    let dir = tempfile::tempdir().expect("tempdir");
    let (from, to) = (dir.path().join("from"), dir.path().join("to"));
    std::fs::create_dir_all(&from).unwrap();
    std::fs::create_dir_all(&to).unwrap();
    std::fs::write(from.join("schema.sql"), testgen::schema(500)).unwrap();
    std::fs::write(to.join("schema.sql"), testgen::changed_schema(500, 10)).unwrap();
    let admin = admin_url();

    let mut psql = Vec::new();
    for _ in 0..RUNS {
        let (a, b) = rt.block_on(async { (TestDb::new().await, TestDb::new().await) });
        let t =
            psql_load(&a.url, &from.join("schema.sql")) + psql_load(&b.url, &to.join("schema.sql"));
        psql.push(t);
        rt.block_on(async {
            a.drop_now().await;
            b.drop_now().await;
        });
    }

    let mut ours = Vec::new();
    let mut steps = 0;
    for _ in 0..RUNS {
        let start = Instant::now();
        let out = Command::new(env!("CARGO_BIN_EXE_pgtenant"))
            .args(["diff", "--from"])
            .arg(&from)
            .arg("--to")
            .arg(&to)
            .args(["--admin-url", &admin, "--json"])
            .env_remove("DATABASE_URL")
            .output()
            .expect("run pgtenant");
        ours.push(start.elapsed());
        assert!(
            out.status.success(),
            "pgtenant diff failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let doc: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
        steps = doc["steps"].as_array().map(Vec::len).unwrap_or(0);
    }
    let (p, o) = (median(psql), median(ours));
    println!(
        "psql loading both files (statement by statement): median {:?} of {RUNS}",
        p
    );
    println!(
        "pgtenant diff --from DIR --to DIR ({steps} steps):     median {:?} of {RUNS}",
        o
    );
    println!("ratio: {:.2}x of psql", o.as_secs_f64() / p.as_secs_f64());
}
