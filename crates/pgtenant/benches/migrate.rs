//! Migrations runner benchmark (in process): N generated small migrations
//! (CREATE TABLE with 5 columns and an FK, plus an index) applied to an
//! empty database, beside psql running the same files in one transaction
//! (the floor), and a no-op run with all applied. Whole-process figures and
//! sqlx-cli: `benches/migrate-compare.sh` at the repository root.
//!
//!   cargo bench -p pgtenant --bench migrate            # N=1000
//!   PGTENANT_BENCH_N=200 cargo bench -p pgtenant --bench migrate

#![allow(
    clippy::print_stdout,
    reason = "a benchmark: its figures are its output"
)]

use pgtenant::migrate::{self, MigrateOptions, Quiet};
use pgtenant_testkit::TestDb;
use sqlx::postgres::PgConnectOptions;
use std::path::Path;
use std::str::FromStr;
use std::time::{Duration, Instant};

fn generate(dir: &Path, n: usize) -> String {
    std::fs::create_dir_all(dir).expect("mkdir");
    let start = chrono::NaiveDate::from_ymd_opt(2024, 1, 1)
        .and_then(|d| d.and_hms_opt(0, 0, 0))
        .expect("date");
    let mut all = String::new();
    for i in 1..=n {
        let version = (start + chrono::Duration::seconds(i64::try_from(i).expect("small")))
            .format("%Y%m%d%H%M%S");
        let parent = if i > 1 { i - 1 } else { 1 };
        let sql = format!(
            "-- migration {i}\nCREATE TABLE t{i} (\n    id bigint PRIMARY KEY,\n    parent_id bigint REFERENCES t{parent} (id),\n    name text NOT NULL,\n    created_at timestamptz NOT NULL DEFAULT now(),\n    score integer\n);\nCREATE INDEX t{i}_parent_id ON t{i} (parent_id);\n"
        );
        std::fs::write(dir.join(format!("{version}_t{i}.sql")), &sql).expect("write");
        all.push_str(&sql);
    }
    all
}

fn ms(d: Duration) -> String {
    format!("{:.0} ms", d.as_secs_f64() * 1000.0)
}

#[tokio::main]
async fn main() {
    let n: usize = std::env::var("PGTENANT_BENCH_N")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1000);
    let tmp = tempfile::tempdir().expect("temp dir");
    let dir = tmp.path().join("migrations");
    let all = generate(&dir, n);
    let all_path = tmp.path().join("all.sql");
    std::fs::write(&all_path, &all).expect("write all.sql");

    // The floor: psql, all files in one transaction.
    let floor_db = TestDb::with_prefix("pgt_bench_floor").await;
    let t = Instant::now();
    let status = std::process::Command::new("psql")
        .args(["-X", "-q", "-1", "-v", "ON_ERROR_STOP=1", "-f"])
        .arg(&all_path)
        // psql does not know sqlx's URL parameters.
        .arg(floor_db.url.split('?').next().unwrap_or(&floor_db.url))
        .stdout(std::process::Stdio::null())
        .status();
    let floor = t.elapsed();
    let floor = match status {
        Ok(s) if s.success() => Some(floor),
        _ => None,
    };

    let db = TestDb::with_prefix("pgt_bench_migrate").await;
    let opts = PgConnectOptions::from_str(&db.url).expect("url");
    let t = Instant::now();
    let report = migrate::migrate(&opts, &dir, &MigrateOptions::default(), &Quiet)
        .await
        .expect("migrate");
    let apply = t.elapsed();
    assert_eq!(report.applied.len(), n);

    let mut noop = Vec::new();
    for _ in 0..20 {
        let t = Instant::now();
        let r = migrate::migrate(&opts, &dir, &MigrateOptions::default(), &Quiet)
            .await
            .expect("no-op");
        noop.push(t.elapsed());
        assert!(r.applied.is_empty());
    }
    noop.sort();

    println!("migrations: {n}");
    match floor {
        Some(f) => println!(
            "psql, one transaction (floor): {}\npgtenant migrate (library): {}  ({:.2}x the floor)",
            ms(f),
            ms(apply),
            apply.as_secs_f64() / f.as_secs_f64()
        ),
        None => println!(
            "psql not available\npgtenant migrate (library): {}",
            ms(apply)
        ),
    }
    println!(
        "no-op run (library, in process, 20 runs): median {}  min {}",
        ms(noop[noop.len() / 2]),
        ms(noop[0])
    );
}
