//! `pgtenant tenant export` of one tenant out of 1,000 in a 1,000,000-row
//! table, against the floor: psql running the same `COPY (SELECT …) TO
//! STDOUT` into a file. Then `tenant delete --yes` and `tenant import` of
//! the archive, once each.
//!
//! A copy of examples/quickstart under unique names, brought up with its
//! demo data, then 999 more tenants and 1,000,000 `projects` rows: half of
//! them tenant A's (names of ~160 characters), the rest spread over the
//! other tenants. Each command is timed (median and slowest of the runs,
//! after one warm-up) with its peak resident memory (`/usr/bin/time`):
//! memory must stay flat however many rows stream through.
//!
//! Run: `cargo bench -p pgtenant-cli --bench tenant_export`
//! (needs the server of `PGTENANT_TEST_ADMIN_URL`, psql and /usr/bin/time;
//! drops what it created; PGTENANT_BENCH_ROWS changes the row count).

#![allow(
    clippy::print_stdout,
    reason = "a benchmark: its figures are its output"
)]

#[path = "common/mod.rs"]
mod common;

use pgtenant_testkit::{admin_url, url_for_db};
use sqlx::{Connection, PgConnection};
use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

const RUNS: usize = 5;
const TENANT_A: &str = "10000000-0000-4000-8000-000000000001";

/// Run `program args` under /usr/bin/time: elapsed time and peak RSS (KiB).
fn timed(program: &str, args: &[&str]) -> (Duration, u64) {
    let start = Instant::now();
    let out = Command::new("/usr/bin/time")
        .args(["-f", "%M"])
        .arg(program)
        .args(args)
        .env_remove("DATABASE_URL")
        .env_remove("PGTENANT_PROJECT")
        .output()
        .expect("run under /usr/bin/time");
    let took = start.elapsed();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.success(),
        "{program} {args:?}: {}{stderr}",
        String::from_utf8_lossy(&out.stdout)
    );
    let rss = stderr
        .lines()
        .rev()
        .find_map(|l| l.trim().parse().ok())
        .unwrap_or(0);
    (took, rss)
}

fn pgtenant_bin() -> &'static str {
    env!("CARGO_BIN_EXE_pgtenant")
}

/// examples/quickstart under unique names in `dir`; returns the database name.
fn quickstart(dir: &Path) -> String {
    let db = common::quickstart_project(dir);
    let project = dir.to_str().unwrap();
    timed(pgtenant_bin(), &["--project", project, "up", "--demo"]);
    db
}

async fn fill(db: &str, rows: i64) {
    let mut conn = PgConnection::connect(&url_for_db(&admin_url(), db))
        .await
        .expect("connect");
    sqlx::raw_sql(&format!(
        "INSERT INTO tenants (slug, name)
           SELECT 'bench-' || g, 'Bench tenant ' || g FROM generate_series(1, 1000 - (SELECT count(*) FROM tenants)) g;
         CREATE TEMP TABLE others AS
           SELECT id, row_number() OVER (ORDER BY id) AS n FROM tenants WHERE id <> '{TENANT_A}';
         INSERT INTO projects (tenant_id, name)
           SELECT CASE WHEN g % 2 = 0 THEN '{TENANT_A}'::uuid ELSE o.id END,
                  'bench project ' || g || ' ' || repeat('lorem ipsum ', 12)
             FROM generate_series(1, {rows}) AS g
             JOIN others o ON o.n = 1 + (g / 2) % (SELECT count(*) FROM others);"
    ))
    .execute(&mut conn)
    .await
    .expect("fill");
    sqlx::raw_sql("VACUUM ANALYZE projects")
        .execute(&mut conn)
        .await
        .expect("vacuum");
}

/// Drops the project's databases and roles, however the bench ends.
struct Nuke(String);

impl Drop for Nuke {
    fn drop(&mut self) {
        let nuke = Command::new(pgtenant_bin())
            .args(["--project", &self.0, "nuke", "--yes"])
            .env_remove("DATABASE_URL")
            .output();
        if !nuke.is_ok_and(|o| o.status.success()) {
            println!("cleanup: pgtenant nuke failed");
        }
    }
}

fn summary(label: &str, runs: &mut [(Duration, u64)]) {
    runs.sort();
    let median = runs[runs.len() / 2];
    let worst = runs[runs.len() - 1];
    let rss = runs.iter().map(|r| r.1).max().unwrap_or(0);
    println!(
        "{label:<44} median {:>8.3} s  slowest {:>8.3} s  peak RSS {:>7.1} MiB",
        median.0.as_secs_f64(),
        worst.0.as_secs_f64(),
        rss as f64 / 1024.0
    );
}

fn main() {
    let rows: i64 = std::env::var("PGTENANT_BENCH_ROWS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1_000_000);
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let project = dir.path().to_str().unwrap().to_owned();
    let _nuke = Nuke(project.clone());
    let db = quickstart(dir.path());
    runtime.block_on(fill(&db, rows));
    let archive = dir.path().join("a.tar");
    let archive = archive.to_str().unwrap();
    let floor_file = dir.path().join("floor.copy");
    // psql refuses sqlx's own URL parameters.
    let url = url_for_db(&admin_url(), &db);
    let url = url.split('?').next().unwrap_or_default();
    let floor_sql = format!(
        "COPY (SELECT \"tenant_id\", \"id\", \"name\", \"created_by\", \"created_at\" FROM \
         \"public\".\"projects\" WHERE \"tenant_id\" = '{TENANT_A}') TO STDOUT"
    );
    let floor_cmd = format!(
        "psql -X -q -v ON_ERROR_STOP=1 '{url}' -c \"$0\" > '{}'",
        floor_file.display()
    );
    let export = [
        "--project",
        project.as_str(),
        "tenant",
        "export",
        "--db",
        db.as_str(),
        "--tenant",
        TENANT_A,
        "--out",
        archive,
        "--force",
    ];
    let mut floor = Vec::new();
    let mut ours = Vec::new();
    for i in 0..=RUNS {
        let f = timed("sh", &["-c", &floor_cmd, &floor_sql]);
        let o = timed(pgtenant_bin(), &export);
        if i > 0 {
            floor.push(f);
            ours.push(o);
        }
    }
    let size = std::fs::metadata(archive).map(|m| m.len()).unwrap_or(0);
    let floor_size = std::fs::metadata(&floor_file).map(|m| m.len()).unwrap_or(0);
    println!(
        "tenant A: {} rows of {rows} in 1,000 tenants; archive {:.1} MB, plain COPY {:.1} MB",
        rows / 2,
        size as f64 / 1e6,
        floor_size as f64 / 1e6
    );
    summary("floor: psql COPY (SELECT ...) TO STDOUT > file", &mut floor);
    summary("pgtenant tenant export", &mut ours);
    let mut delete = vec![timed(
        pgtenant_bin(),
        &[
            "--project",
            &project,
            "tenant",
            "delete",
            "--db",
            &db,
            "--tenant",
            TENANT_A,
            "--yes",
        ],
    )];
    summary("pgtenant tenant delete --yes (once)", &mut delete);
    let mut import = vec![timed(
        pgtenant_bin(),
        &[
            "--project",
            &project,
            "tenant",
            "import",
            "--db",
            &db,
            "--in",
            archive,
        ],
    )];
    summary("pgtenant tenant import (once)", &mut import);
}
