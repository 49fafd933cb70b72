//! Tenant-scoped transactions against plain sqlx.
//!
//! `cargo bench -p pgtenant --bench tenant`
//!
//! Builds a scratch database with 1,000,000 rows over 1,000 tenants and a
//! primary key on (tenant_id, id), then times, alternating transaction by
//! transaction:
//! - library: `db.tenant(t).begin()` as the NOBYPASSRLS service role, the
//!   policy filtering on the tenant, `SELECT … WHERE id = $1`, commit;
//! - baseline: plain sqlx as the table owner (RLS does not apply to it),
//!   `pool.begin()`, `SELECT … WHERE tenant_id = $1 AND id = $2`, commit.
//!
//! Both use identical pool options (one connection each). Iterations per
//! case: `PGTENANT_BENCH_ITERS` (default 10,000). The database and roles are
//! dropped at the end.

#![allow(
    clippy::print_stdout,
    clippy::print_stderr,
    reason = "a benchmark: its figures are its output"
)]

use pgtenant::{TenancyConfig, TenantDb, TenantKeyType};
use pgtenant_testkit::{TestDb, TestRole};
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::PgPool;
use std::str::FromStr;
use std::time::{Duration, Instant};
use uuid::Uuid;

const ROWS: i64 = 1_000_000;
const TENANTS: i64 = 1_000;
const WARM_UP: usize = 500;

/// A small deterministic generator (xorshift64*): no extra dependency.
struct Rng(u64);

impl Rng {
    fn below(&mut self, n: i64) -> i64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        let v = self.0.wrapping_mul(0x2545_F491_4F6C_DD1D) >> 1;
        i64::try_from(v).unwrap_or(0) % n
    }

    /// A random tenant index and `count` ids of rows of that tenant.
    fn pick(&mut self, count: usize) -> (usize, Vec<i64>) {
        let k = self.below(TENANTS);
        let ids = (0..count)
            .map(|_| {
                let id = k + TENANTS * self.below(ROWS / TENANTS);
                if id == 0 {
                    ROWS
                } else {
                    id
                }
            })
            .collect();
        (usize::try_from(k).unwrap_or(0), ids)
    }
}

struct Setup {
    lib: TenantDb,
    base: PgPool,
    tenants: Vec<Uuid>,
}

async fn setup(db: &TestDb, owner: &TestRole, svc: &TestRole) -> Setup {
    let started = Instant::now();
    let (o, s) = (&owner.name, &svc.name);
    db.exec(&format!(
        "CREATE TABLE items (tenant_id uuid NOT NULL, id bigint NOT NULL, payload text NOT NULL);
         INSERT INTO items
           SELECT md5('t' || (g % {TENANTS}))::uuid, g, 'payload ' || g
           FROM generate_series(1, {ROWS}) g;
         ALTER TABLE items ADD PRIMARY KEY (tenant_id, id);
         ALTER TABLE items OWNER TO {o};
         ALTER TABLE items ENABLE ROW LEVEL SECURITY;
         CREATE POLICY tenant_isolation ON items FOR ALL
           USING (tenant_id = (SELECT NULLIF(current_setting('app.tenant_id', true), '')::uuid))
           WITH CHECK (tenant_id = (SELECT NULLIF(current_setting('app.tenant_id', true), '')::uuid));
         GRANT USAGE ON SCHEMA public TO {s};
         GRANT SELECT, INSERT, UPDATE, DELETE ON items TO {s};"
    ))
    .await;
    // VACUUM cannot share the multi-statement (implicit transaction) batch.
    db.exec("VACUUM ANALYZE items").await;
    eprintln!(
        "data: {ROWS} rows over {TENANTS} tenants in {:.1?}",
        started.elapsed()
    );

    let options = || PgPoolOptions::new().max_connections(1).min_connections(1);
    let url = PgConnectOptions::from_str(&db.url).unwrap();
    let lib_pool = options()
        .connect_with(url.clone().username(s))
        .await
        .unwrap();
    let lib = TenantDb::from_pool(lib_pool, TenancyConfig::new(TenantKeyType::Uuid))
        .await
        .unwrap();
    let base = options().connect_with(url.username(o)).await.unwrap();
    let tenants: Vec<Uuid> = sqlx::query_scalar(
        "SELECT md5('t' || k)::uuid FROM generate_series(0, $1 - 1) k ORDER BY k",
    )
    .bind(TENANTS)
    .fetch_all(&base)
    .await
    .unwrap();
    Setup { lib, base, tenants }
}

async fn library(s: &Setup, tenant: Uuid, ids: &[i64]) {
    let mut tx = s.lib.tenant(tenant).begin().await.unwrap();
    for id in ids {
        let payload: String = sqlx::query_scalar("SELECT payload FROM items WHERE id = $1")
            .bind(id)
            .fetch_one(&mut *tx)
            .await
            .unwrap();
        debug_assert_eq!(payload, format!("payload {id}"));
    }
    tx.commit().await.unwrap();
}

async fn baseline(s: &Setup, tenant: Uuid, ids: &[i64]) {
    let mut tx = s.base.begin().await.unwrap();
    for id in ids {
        let payload: String =
            sqlx::query_scalar("SELECT payload FROM items WHERE tenant_id = $1 AND id = $2")
                .bind(tenant)
                .bind(id)
                .fetch_one(&mut *tx)
                .await
                .unwrap();
        debug_assert_eq!(payload, format!("payload {id}"));
    }
    tx.commit().await.unwrap();
}

#[derive(Clone, Copy, PartialEq)]
enum Path {
    Library,
    Baseline,
}

/// Time `iters` transactions of `queries` point queries on each path. The
/// paths alternate transaction by transaction (and which goes first
/// alternates too), so load from elsewhere on the machine hits both alike.
async fn compare(
    s: &Setup,
    queries: usize,
    iters: usize,
    rng: &mut Rng,
) -> (Vec<Duration>, Vec<Duration>) {
    let (mut lib, mut base) = (Vec::with_capacity(iters), Vec::with_capacity(iters));
    // Warm-up: caches, prepared statements.
    for _ in 0..WARM_UP {
        let (k, ids) = rng.pick(queries);
        library(s, s.tenants[k], &ids).await;
        baseline(s, s.tenants[k], &ids).await;
    }
    let mut order = [Path::Library, Path::Baseline];
    for _ in 0..iters {
        let (k, ids) = rng.pick(queries);
        for path in order {
            let started = Instant::now();
            match path {
                Path::Library => library(s, s.tenants[k], &ids).await,
                Path::Baseline => baseline(s, s.tenants[k], &ids).await,
            }
            let took = started.elapsed();
            match path {
                Path::Library => lib.push(took),
                Path::Baseline => base.push(took),
            }
        }
        order.reverse();
    }
    (lib, base)
}

/// The value at `per_mille`/1000 of the sorted samples (nearest rank).
fn percentile(sorted: &[Duration], per_mille: usize) -> Duration {
    sorted[((sorted.len() - 1) * per_mille + 500) / 1000]
}

fn micros(d: Duration) -> f64 {
    d.as_secs_f64() * 1e6
}

fn report(name: &str, target: f64, mut lib: Vec<Duration>, mut base: Vec<Duration>) {
    // Samples are paired (same ids, back to back): the median of the
    // per-pair ratios is the least noisy figure on a busy machine.
    let mut pairs: Vec<f64> = lib
        .iter()
        .zip(&base)
        .map(|(l, b)| micros(*l) / micros(*b))
        .collect();
    pairs.sort_by(f64::total_cmp);
    let paired = pairs[(pairs.len() - 1) / 2];
    lib.sort();
    base.sort();
    let (lm, bm) = (percentile(&lib, 500), percentile(&base, 500));
    let (l99, b99) = (percentile(&lib, 990), percentile(&base, 990));
    // The fastest decile is what the paths cost when the machine is quiet.
    let (l10, b10) = (percentile(&lib, 100), percentile(&base, 100));
    println!(
        "| {name} | {} | {:.0} | {:.0} | {:.0} | {:.0} | {:.2}x | {paired:.2}x | {:.2}x | {:.2}x | ≤ {target:.2}x |",
        lib.len(),
        micros(lm),
        micros(l99),
        micros(bm),
        micros(b99),
        micros(lm) / micros(bm),
        micros(l99) / micros(b99),
        micros(l10) / micros(b10),
    );
}

fn main() {
    let iters: usize = std::env::var("PGTENANT_BENCH_ITERS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(10_000);
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        let owner = TestRole::new("pgt_bench_owner", "LOGIN NOSUPERUSER").await;
        let svc = TestRole::new("pgt_bench_svc", "LOGIN NOSUPERUSER NOBYPASSRLS").await;
        let db = TestDb::with_prefix("pgt_bench").await;
        let s = setup(&db, &owner, &svc).await;
        let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
        println!(
            "| case | iterations | library median µs | library p99 µs | baseline median µs | baseline p99 µs | ratio of medians | median of paired ratios | p99 ratio | p10 ratio | target |"
        );
        println!("|---|---|---|---|---|---|---|---|---|---|---|");
        let (lib, base) = compare(&s, 1, iters, &mut rng).await;
        report("(a) 1 point query / tx", 1.5, lib, base);
        let (lib, base) = compare(&s, 10, iters, &mut rng).await;
        report("(b) 10 point queries / tx", 1.10, lib, base);
        s.lib.pool().close().await;
        s.base.close().await;
        db.drop_now().await;
        drop((owner, svc));
    });
}
