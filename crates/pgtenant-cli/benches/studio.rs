//! `pgtenant studio` on a 1,000,000-row table (issue 14: first data page
//! ≤ 100 ms, any later page as fast; memory flat while exporting).
//!
//! A copy of examples/quickstart under unique names, brought up with its
//! demo data, then 1,000,000 extra `projects` rows (half tenant A, half
//! tenant B, names of ~160 characters), `ANALYZE`d. The real binary serves
//! it; each request is timed on loopback (median and slowest of the runs,
//! after one warm-up), the export once with the server's resident memory
//! before and after.
//!
//! Run: `cargo bench -p pgtenant-cli --bench studio`
//! (needs the server of `PGTENANT_TEST_ADMIN_URL`; drops what it created).

#![allow(
    clippy::print_stdout,
    reason = "a benchmark: its figures are its output"
)]

#[path = "common/mod.rs"]
mod common;

use pgtenant_testkit::{admin_url, url_for_db};
use sqlx::{Connection, PgConnection};
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};
use tokio::io::{AsyncBufReadExt, BufReader};

const ROWS: i64 = 1_000_000;
const RUNS: usize = 15;
const TENANT_A: &str = "10000000-0000-4000-8000-000000000001";

fn pgtenant(dir: &Path, args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_pgtenant"))
        .arg("--project")
        .arg(dir)
        .args(args)
        .env_remove("DATABASE_URL")
        .env_remove("PGTENANT_PROJECT")
        .output()
        .expect("run pgtenant")
}

/// examples/quickstart under unique names in `dir`; returns the database name.
fn quickstart(dir: &Path) -> String {
    let db = common::quickstart_project(dir);
    let up = pgtenant(dir, &["up", "--demo"]);
    assert!(
        up.status.success(),
        "pgtenant up: {}",
        String::from_utf8_lossy(&up.stderr)
    );
    db
}

/// 1,000,000 more projects, half per tenant; returns tenant A's key of its
/// 400,000th row in key order (the cursor of a deep page).
async fn fill(db: &str) -> String {
    let mut conn = PgConnection::connect(&url_for_db(&admin_url(), db))
        .await
        .expect("connect");
    sqlx::query(
        "INSERT INTO projects (tenant_id, name)
         SELECT (ARRAY['10000000-0000-4000-8000-000000000001',
                       '10000000-0000-4000-8000-000000000002'])[1 + g % 2]::uuid,
                'bench project ' || g || ' ' || repeat('lorem ipsum ', 12)
         FROM generate_series(1, $1) AS g",
    )
    .bind(ROWS)
    .execute(&mut conn)
    .await
    .expect("insert rows");
    sqlx::query("VACUUM ANALYZE projects")
        .execute(&mut conn)
        .await
        .expect("analyze");
    sqlx::query_scalar(
        "SELECT id::text FROM projects WHERE tenant_id = $1::uuid ORDER BY tenant_id, id
         OFFSET 400000 LIMIT 1",
    )
    .bind(TENANT_A)
    .fetch_one(&mut conn)
    .await
    .expect("deep cursor")
}

struct Studio {
    child: tokio::process::Child,
    base: String,
    cookie: String,
    client: reqwest::Client,
}

impl Studio {
    async fn start(dir: &Path) -> Studio {
        let mut child = tokio::process::Command::new(env!("CARGO_BIN_EXE_pgtenant"))
            .arg("--project")
            .arg(dir)
            .arg("studio")
            .env_remove("DATABASE_URL")
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .kill_on_drop(true)
            .spawn()
            .expect("start pgtenant studio");
        let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
        let url = loop {
            let line = lines.next_line().await.unwrap().expect("the studio's URL");
            if let Some(url) = line.strip_prefix("pgtenant studio: ") {
                break url.to_owned();
            }
        };
        let rest = url.strip_prefix("http://127.0.0.1:").unwrap();
        let port = rest.split('/').next().unwrap();
        let token = url.split("token=").nth(1).unwrap();
        Studio {
            child,
            base: format!("http://127.0.0.1:{port}"),
            cookie: format!("pgtenant_studio_{port}={token}"),
            client: reqwest::Client::new(),
        }
    }

    async fn get(&self, path: &str) -> (Duration, usize) {
        let start = Instant::now();
        let res = self
            .client
            .get(format!("{}{path}", self.base))
            .header("cookie", &self.cookie)
            .send()
            .await
            .expect("request");
        assert_eq!(res.status().as_u16(), 200, "{path}");
        let body = res.bytes().await.expect("body");
        (start.elapsed(), body.len())
    }

    fn rss_kib(&self) -> u64 {
        let pid = self.child.id().expect("running");
        let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
        status
            .lines()
            .find_map(|l| l.strip_prefix("VmRSS:"))
            .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
            .unwrap_or(0)
    }
}

fn ms(d: Duration) -> String {
    format!("{:.1} ms", d.as_secs_f64() * 1000.0)
}

async fn time(s: &Studio, label: &str, path: &str) {
    s.get(path).await;
    let mut runs = Vec::new();
    for _ in 0..RUNS {
        runs.push(s.get(path).await.0);
    }
    runs.sort();
    println!(
        "| {label} | {} | {} |",
        ms(runs[runs.len() / 2]),
        ms(runs[runs.len() - 1])
    );
}

fn main() {
    let rt = tokio::runtime::Runtime::new().expect("runtime");
    let dir = tempfile::tempdir().expect("tempdir");
    let db = quickstart(dir.path());
    rt.block_on(async {
        let deep = fill(&db).await;
        let s = Studio::start(dir.path()).await;
        let rows = format!("/db/{db}/t/public/projects/rows");
        let cursor = format!("[\"{TENANT_A}\",\"{deep}\"]");
        let after: String = url::form_urlencoded::byte_serialize(cursor.as_bytes()).collect();
        // The very first request, right after the URL is printed: what
        // connecting costs (the studio opens its pools in the background).
        let (cold, _) = s.get(&format!("{rows}?tenant={TENANT_A}")).await;
        println!("{ROWS} extra rows in projects, {RUNS} runs each after one warm-up");
        println!("| request | median | slowest |");
        println!("|---|---|---|");
        println!(
            "| first request after start: rows as tenant A | {} | |",
            ms(cold)
        );
        time(&s, "project page", "/").await;
        time(&s, "database page", &format!("/db/{db}")).await;
        time(
            &s,
            "structure page of projects",
            &format!("/db/{db}/t/public/projects"),
        )
        .await;
        time(&s, "rows, first page, admin", &rows).await;
        time(
            &s,
            "rows, first page, as tenant A",
            &format!("{rows}?tenant={TENANT_A}"),
        )
        .await;
        time(
            &s,
            "rows, page after 400,000 rows, admin",
            &format!("{rows}?after={after}"),
        )
        .await;
        time(
            &s,
            "rows, page after 400,000 rows, as tenant A",
            &format!("{rows}?tenant={TENANT_A}&after={after}"),
        )
        .await;
        let before = s.rss_kib();
        let (took, bytes) = s.get(&format!("{rows}.csv?tenant={TENANT_A}")).await;
        let after_rss = s.rss_kib();
        println!(
            "| CSV export as tenant A: {:.0} MB | {} | RSS {:.1} → {:.1} MiB |",
            bytes as f64 / 1e6,
            ms(took),
            before as f64 / 1024.0,
            after_rss as f64 / 1024.0
        );
        drop(s);
    });
    let nuke = pgtenant(dir.path(), &["nuke", "--yes"]);
    assert!(
        nuke.status.success(),
        "pgtenant nuke: {}",
        String::from_utf8_lossy(&nuke.stderr)
    );
}
