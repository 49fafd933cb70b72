//! RBAC costs.
//!
//! `cargo bench -p pgtenant --bench rbac`
//!
//! In process (criterion):
//! - `check`: `Rbac::decide` on roles compiled from 1,000 roles × 50
//!   patterns over a 250-permission catalog (the check does not depend on
//!   the number of roles);
//! - `compile_user`: compiling one user's roles (5 roles × 50 patterns).
//!
//! In the server: a 100,000-row `count(*)` as the service role under the
//! plain tenant policy and under the same policy `AND (SELECT
//! pgtenant.has_permission('content.read'))`, timed by `EXPLAIN (ANALYZE)`
//! execution time, alternating, median of `PGTENANT_BENCH_ITERS` runs each
//! (default 30). Needs the test server (see pgtenant-testkit).

use criterion::{black_box, Criterion};
use pgtenant::module;
use pgtenant::rbac::{Catalog, Rbac, Role};
use pgtenant::{MembershipConfig, TenantKeyType};
use pgtenant_testkit::{TestDb, TestRole};
use sqlx::postgres::PgConnectOptions;
use sqlx::{Connection, PgConnection};
use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;

/// A small deterministic generator (xorshift64*): no extra dependency.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
    fn below(&mut self, n: usize) -> usize {
        usize::try_from(self.next() % u64::try_from(n).unwrap()).unwrap()
    }
}

const DOMAINS: &[&str] = &[
    "content",
    "media",
    "admin",
    "publish",
    "analytics",
    "metadata",
    "billing",
    "search",
    "workflow",
    "support",
];
const RESOURCES: &[&str] = &["projects", "nodes", "assets", "members", "reports"];
const ACTIONS: &[&str] = &["view", "create", "update", "delete", "export"];

fn catalog() -> Catalog {
    let mut c = Catalog::new();
    for d in DOMAINS {
        for r in RESOURCES {
            for a in ACTIONS {
                c.insert(&format!("{d}.{r}.{a}"), "").unwrap();
            }
        }
    }
    c
}

fn random_pattern(rng: &mut Rng) -> String {
    let d = DOMAINS[rng.below(DOMAINS.len())];
    let r = RESOURCES[rng.below(RESOURCES.len())];
    let a = ACTIONS[rng.below(ACTIONS.len())];
    match rng.below(20) {
        0 => "*".to_owned(),
        1..=4 => format!("{d}.*"),
        5..=9 => format!("{d}.{r}.*"),
        _ => format!("{d}.{r}.{a}"),
    }
}

fn refs(v: &[String]) -> Vec<&str> {
    v.iter().map(String::as_str).collect()
}

fn roles(rng: &mut Rng, n: usize, patterns: usize) -> Vec<Role> {
    (0..n)
        .map(|i| {
            let allow: Vec<String> = (0..patterns - patterns / 5)
                .map(|_| random_pattern(rng))
                .collect();
            let deny: Vec<String> = (0..patterns / 5).map(|_| random_pattern(rng)).collect();
            Role::parse(&format!("role{i}"), &refs(&allow), &refs(&deny)).unwrap()
        })
        .collect()
}

fn in_process(c: &mut Criterion) {
    let catalog = Arc::new(catalog());
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    let names: Vec<String> = catalog
        .permissions()
        .iter()
        .map(|p| p.name.clone())
        .collect();
    let big = Rbac::compile(catalog.clone(), roles(&mut rng, 1000, 50));
    let mut i = 0;
    c.bench_function("check (1,000 roles x 50 patterns)", |b| {
        b.iter(|| {
            i = (i + 7) % names.len();
            black_box(big.decide(black_box(&names[i])))
        })
    });
    let user = roles(&mut rng, 5, 50);
    c.bench_function("compile_user (5 roles x 50 patterns)", |b| {
        b.iter(|| black_box(Rbac::compile(catalog.clone(), black_box(user.clone()))))
    });
}

async fn exec_time(conn: &mut PgConnection, table: &str) -> f64 {
    let plan: serde_json::Value = sqlx::query_scalar(&format!(
        "EXPLAIN (ANALYZE, FORMAT JSON) SELECT count(*) FROM {table}"
    ))
    .fetch_one(&mut *conn)
    .await
    .unwrap();
    plan[0]["Execution Time"].as_f64().unwrap()
}

fn median(v: &mut [f64]) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

async fn in_server() {
    let iters: usize = std::env::var("PGTENANT_BENCH_ITERS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(30);
    let svc = TestRole::new("pgt_bench_svc", "LOGIN NOSUPERUSER NOBYPASSRLS").await;
    let db = TestDb::with_prefix("pgt_bench").await;
    let tenant = "00000000-0000-4000-8000-000000000001";
    let user = "00000000-0000-4000-8000-000000000011";
    let params = module::ModuleParams::new(TenantKeyType::Uuid, TenantKeyType::Uuid)
        .user_setting("app.user_id")
        .root_table("tenants", "id")
        .membership(MembershipConfig::new("memberships", "user_id", "tenant_id"))
        .service_role(&svc.name);
    let module_sql = module::by_name("rbac")
        .unwrap()
        .render_script(&params)
        .unwrap();
    let tenant_policy =
        "tenant_id = (SELECT NULLIF(current_setting('app.tenant_id', true), '')::uuid)";
    db.exec(&format!(
        "CREATE TABLE tenants (id uuid PRIMARY KEY);
         CREATE TABLE memberships (tenant_id uuid REFERENCES tenants, user_id uuid,
                                   PRIMARY KEY (tenant_id, user_id));
         {module_sql}
         CREATE TABLE docs_plain (tenant_id uuid NOT NULL, id bigint, body text);
         CREATE TABLE docs_rbac (tenant_id uuid NOT NULL, id bigint, body text);
         ALTER TABLE docs_plain ENABLE ROW LEVEL SECURITY;
         ALTER TABLE docs_rbac ENABLE ROW LEVEL SECURITY;
         CREATE POLICY p ON docs_plain FOR SELECT USING ({tenant_policy});
         CREATE POLICY p ON docs_rbac FOR SELECT
           USING ({tenant_policy} AND (SELECT pgtenant.has_permission('content.read')));
         GRANT USAGE ON SCHEMA public TO {svc};
         GRANT SELECT ON docs_plain, docs_rbac, memberships TO {svc};
         INSERT INTO tenants VALUES ('{tenant}');
         INSERT INTO memberships VALUES ('{tenant}', '{user}');
         INSERT INTO pgtenant.permissions (name) VALUES ('content.read'), ('content.write');
         INSERT INTO pgtenant.roles (name, allow) VALUES ('reader', '{{content.read}}');
         INSERT INTO pgtenant.role_grants (tenant_id, user_id, role_id)
           SELECT '{tenant}', '{user}', role_id FROM pgtenant.roles;
         INSERT INTO docs_plain SELECT '{tenant}', g, 'row ' || g FROM generate_series(1, 100000) g;
         INSERT INTO docs_rbac SELECT * FROM docs_plain;
         VACUUM ANALYZE docs_plain; VACUUM ANALYZE docs_rbac;",
        svc = svc.name
    ))
    .await;
    let opts = PgConnectOptions::from_str(&db.url)
        .unwrap()
        .username(&svc.name);
    let mut conn = PgConnection::connect_with(&opts).await.unwrap();
    sqlx::query(
        "SELECT set_config('app.tenant_id', $1, false), set_config('app.user_id', $2, false)",
    )
    .bind(tenant)
    .bind(user)
    .execute(&mut conn)
    .await
    .unwrap();
    let rows: i64 = sqlx::query_scalar("SELECT count(*) FROM docs_rbac")
        .fetch_one(&mut conn)
        .await
        .unwrap();
    assert_eq!(rows, 100_000, "the permission must let the rows through");
    for _ in 0..3 {
        exec_time(&mut conn, "docs_plain").await;
        exec_time(&mut conn, "docs_rbac").await;
    }
    let (mut plain, mut rbac) = (Vec::new(), Vec::new());
    for _ in 0..iters {
        plain.push(exec_time(&mut conn, "docs_plain").await);
        rbac.push(exec_time(&mut conn, "docs_rbac").await);
    }
    let (p, r) = (median(&mut plain), median(&mut rbac));
    println!(
        "policy scan, 100,000 rows, median of {iters}: tenant policy {p:.3} ms, \
         + has_permission {r:.3} ms, ratio {:.3}",
        r / p
    );
    drop(conn);
    db.drop_now().await;
    drop(svc);
}

fn main() {
    let mut c = Criterion::default()
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(3))
        .configure_from_args();
    in_process(&mut c);
    c.final_summary();
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap()
        .block_on(in_server());
}
