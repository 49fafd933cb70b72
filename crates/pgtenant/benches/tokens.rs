//! Token costs.
//!
//! `cargo bench -p pgtenant --bench tokens`
//!
//! In process (criterion):
//! - `api_key_verify_cpu`: everything Rust does to verify an API key apart
//!   from the round trip: parse, checksum, prefix check, SHA-256
//!   ([`ApiKeys::prepare`]) and the constant-time compare of the stored hash
//!   the query returns;
//! - `token_generate`: minting a token (OsRng, base62, CRC32).
//!
//! In the server (wall clock on 127.0.0.1, round trip included, as the
//! service role; median of `PGTENANT_BENCH_ITERS` calls, default 200):
//! `ApiKeys::verify` (one indexed statement; `last_used_at` already fresh,
//! so no write) and `Sessions::refresh` (a rotation: lock, retire, insert).
//! Needs the test server (see pgtenant-testkit).

#![allow(
    clippy::print_stdout,
    reason = "a benchmark: its figures are its output"
)]

use criterion::{black_box, Criterion};
use pgtenant::api_keys::{ApiKeys, NewApiKey};
use pgtenant::module;
use pgtenant::sessions::{SessionPolicy, Sessions};
use pgtenant::token::Token;
use pgtenant::{MembershipConfig, TenantKeyType};
use pgtenant_testkit::{TestDb, TestRole};
use sqlx::postgres::PgConnectOptions;
use sqlx::{Connection, PgConnection};
use std::str::FromStr;
use std::time::{Duration, Instant};

fn in_process(c: &mut Criterion) {
    let keys = ApiKeys::new("pgtenant", "crc").unwrap();
    let token = Token::generate("crc").unwrap();
    let text = token.expose().to_owned();
    let stored = token.hash().to_vec();
    c.bench_function("api_key_verify_cpu", |b| {
        b.iter(|| {
            let p = keys.prepare(black_box(&text)).unwrap();
            black_box(p.matches(black_box(&stored)))
        });
    });
    c.bench_function("token_generate", |b| {
        b.iter(|| black_box(Token::generate("crc").unwrap()));
    });
}

fn median(v: &mut [f64]) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

async fn in_server() {
    let iters: usize = std::env::var("PGTENANT_BENCH_ITERS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(200);
    let svc = TestRole::new("pgt_bench_svc", "LOGIN NOSUPERUSER NOBYPASSRLS").await;
    let db = TestDb::with_prefix("pgt_bench").await;
    let tenant = "00000000-0000-4000-8000-000000000001";
    let user = "00000000-0000-4000-8000-000000000011";
    let params = module::ModuleParams::new(TenantKeyType::Uuid, TenantKeyType::Uuid)
        .user_setting("app.user_id")
        .root_table("tenants", "id")
        .membership(MembershipConfig::new("memberships", "user_id", "tenant_id"))
        .service_role(&svc.name);
    let mut module_sql = String::new();
    for m in ["rbac", "api_keys", "sessions"] {
        module_sql.push_str(&module::by_name(m).unwrap().render_script(&params).unwrap());
    }
    db.exec(&format!(
        "CREATE TABLE tenants (id uuid PRIMARY KEY);
         CREATE TABLE memberships (tenant_id uuid REFERENCES tenants, user_id uuid,
                                   PRIMARY KEY (tenant_id, user_id));
         {module_sql}
         INSERT INTO tenants VALUES ('{tenant}');
         INSERT INTO memberships VALUES ('{tenant}', '{user}');
         INSERT INTO pgtenant.permissions (name) VALUES ('content.read'), ('content.write');
         INSERT INTO pgtenant.roles (name, allow) VALUES ('owner', '{{*}}');
         INSERT INTO pgtenant.role_grants (tenant_id, user_id, role_id)
           SELECT '{tenant}', '{user}', role_id FROM pgtenant.roles;"
    ))
    .await;
    let opts = PgConnectOptions::from_str(&db.url)
        .unwrap()
        .username(&svc.name);
    let mut conn = PgConnection::connect_with(&opts).await.unwrap();
    let keys = ApiKeys::new("pgtenant", "crc").unwrap();
    let mut tx = conn.begin().await.unwrap();
    sqlx::query(
        "SELECT set_config('app.tenant_id', $1, true), set_config('app.user_id', $2, true)",
    )
    .bind(tenant)
    .bind(user)
    .execute(&mut *tx)
    .await
    .unwrap();
    // A thousand other keys in the index, so the lookup is not of a tiny table.
    for i in 0..1000 {
        keys.create(
            &mut tx,
            &NewApiKey::new(&format!("k{i}"), &["content.read"]),
        )
        .await
        .unwrap();
    }
    let key = keys
        .create(
            &mut tx,
            &NewApiKey::new("bench", &["content.read", "content.write"]),
        )
        .await
        .unwrap();
    tx.commit().await.unwrap();
    db.exec("VACUUM ANALYZE pgtenant.api_keys").await;

    let text = key.key.expose().to_owned();
    let mut verify = Vec::with_capacity(iters);
    for _ in 0..iters + 10 {
        let t = Instant::now();
        keys.verify(&mut conn, &text).await.unwrap();
        verify.push(t.elapsed().as_secs_f64() * 1e3);
    }
    let sessions = Sessions::new("pgtenant", SessionPolicy::default());
    let mut current = sessions
        .create(&mut conn, user, Some(tenant), "bench")
        .await
        .unwrap();
    let mut refresh = Vec::with_capacity(iters);
    for _ in 0..iters + 10 {
        let t = Instant::now();
        current = sessions
            .refresh(&mut conn, current.refresh_token.expose())
            .await
            .unwrap();
        refresh.push(t.elapsed().as_secs_f64() * 1e3);
    }
    let (v, r) = (median(&mut verify[10..]), median(&mut refresh[10..]));
    println!(
        "in the server, round trip included, median of {iters}: ApiKeys::verify {v:.3} ms, \
         Sessions::refresh {r:.3} ms"
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
