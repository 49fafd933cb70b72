//! Benchmark (a) of the schema engine: introspection of a loaded 500-table
//! schema (≈9 columns, PK, 2 indexes, 1 FK, a check, RLS + one policy each).
//! Also times loading the same file through a shadow database
//! (create, load in one transaction, introspect, drop).
//!
//! Run: `cargo bench -p pgtenant-schema --bench introspect` (needs the test
//! server, `PGTENANT_TEST_ADMIN_URL` or postgres@127.0.0.1:5432).
//! `BENCH_TABLES` and `BENCH_ITERS` override the size and iteration count.

#![allow(
    clippy::print_stdout,
    reason = "a benchmark: its figures are its output"
)]

use pgtenant_schema::shadow::load_catalog;
use pgtenant_schema::{introspect, testgen};
use pgtenant_testkit::{admin_url, TestDb};
use std::time::{Duration, Instant};

fn env_usize(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// CPU time (user + system) of a local process in clock ticks, from
/// /proc/<pid>/stat; `None` where that is not readable (remote server, not
/// Linux).
fn cpu_ticks(pid: &str) -> Option<u64> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // Fields after the command name in parentheses: utime is the 14th and
    // stime the 15th field of the whole line.
    let rest = &stat[stat.rfind(')')? + 2..];
    let fields: Vec<&str> = rest.split_whitespace().collect();
    Some(fields.get(11)?.parse::<u64>().ok()? + fields.get(12)?.parse::<u64>().ok()?)
}

fn report(what: &str, mut times: Vec<Duration>) {
    times.sort();
    let n = times.len();
    let total: Duration = times.iter().sum();
    let mean = total / u32::try_from(n).unwrap_or(u32::MAX);
    println!(
        "{what}: n={n} min={:.1?} median={:.1?} mean={:.1?} max={:.1?}",
        times[0],
        times[n / 2],
        mean,
        times[n - 1]
    );
}

#[tokio::main]
async fn main() {
    let tables = env_usize("BENCH_TABLES", 500);
    let iters = env_usize("BENCH_ITERS", 30);
    let sql = testgen::schema(tables);

    let db = TestDb::with_prefix("pgt_bench").await;
    let started = Instant::now();
    db.exec(&sql).await;
    println!(
        "loaded {tables} tables with one simple-protocol batch in {:.1?}",
        started.elapsed()
    );

    let mut conn = db.conn().await;
    let catalog = introspect(&mut conn).await.expect("introspect");
    assert_eq!(catalog.tables.len(), tables + 1);
    let policies: usize = catalog.tables.values().map(|t| t.policies.len()).sum();
    let indexes: usize = catalog.tables.values().map(|t| t.indexes.len()).sum();
    let constraints: usize = catalog.tables.values().map(|t| t.constraints.len()).sum();
    println!(
        "catalog: {} tables, {indexes} indexes, {constraints} constraints, {policies} policies",
        catalog.tables.len()
    );

    for _ in 0..3 {
        introspect(&mut conn).await.expect("introspect");
    }
    let backend: i32 = sqlx::query_scalar("SELECT pg_backend_pid()")
        .fetch_one(&mut conn)
        .await
        .expect("backend pid");
    let (server0, client0) = (cpu_ticks(&backend.to_string()), cpu_ticks("self"));
    let mut times = Vec::with_capacity(iters);
    for _ in 0..iters {
        let t = Instant::now();
        let c = introspect(&mut conn).await.expect("introspect");
        times.push(t.elapsed());
        assert_eq!(c.tables.len(), tables + 1);
    }
    report(&format!("introspect {tables} tables"), times);
    // CPU time is what the work costs whatever else runs on the machine
    // (clock ticks are 10 ms: the per-iteration figure is an average).
    if let (Some(s0), Some(c0), Some(s1), Some(c1)) = (
        server0,
        client0,
        cpu_ticks(&backend.to_string()),
        cpu_ticks("self"),
    ) {
        let per = |ticks: u64| ticks as f64 * 10.0 / iters as f64;
        println!(
            "CPU per introspection: server backend {:.1} ms, client {:.1} ms (averaged over {iters})",
            per(s1 - s0),
            per(c1 - c0)
        );
    }

    // A fresh connection: the server builds its relation cache as the
    // renderers open tables (what a CLI run pays).
    let mut cold = Vec::new();
    for _ in 0..5 {
        let mut fresh = db.conn().await;
        let t = Instant::now();
        introspect(&mut fresh).await.expect("introspect");
        cold.push(t.elapsed());
    }
    report(
        &format!("introspect {tables} tables on a fresh connection"),
        cold,
    );

    let dir = std::env::temp_dir().join(pgtenant_testkit::unique_name("pgt_bench_sql"));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let file = dir.join("schema.sql");
    std::fs::write(&file, &sql).expect("write schema");
    let url = admin_url();
    let mut shadow_times = Vec::new();
    for _ in 0..3 {
        let t = Instant::now();
        let c = load_catalog(&url, &file)
            .await
            .expect("shadow load")
            .catalog;
        shadow_times.push(t.elapsed());
        assert_eq!(c.tables.len(), tables + 1);
    }
    report(
        &format!("shadow create+load+introspect+drop {tables} tables"),
        shadow_times,
    );
    let _ = std::fs::remove_dir_all(&dir);
    db.drop_now().await;
}
