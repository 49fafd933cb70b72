//! The audit log's insert cost: an event through `pgtenant::audit::record`
//! (the module's `audit()` function, whose trigger locks the tenant's chain
//! head, hashes the row and moves the head) against a plain INSERT of the
//! same row shape into a table with the same defaults, index and RLS
//! policy, no chain.
//!
//! `cargo bench -p pgtenant --bench audit`
//!
//! As the service role over 127.0.0.1, one connection, one tenant, every
//! insert its own transaction (one event per request):
//! - `commit`: as in production, each commit waits for its WAL flush (on a
//!   shared machine the flush dominates and varies run to run);
//! - `async_commit`: `synchronous_commit = off` on the bench connection, so
//!   the figure is the statements' own cost (CPU, WAL records, locks).
//!
//! `direct` is an INSERT into the audit log itself (the trigger runs, no
//! function call), to separate the chain's cost from the call's. Needs the
//! test server (see pgtenant-testkit).

use criterion::{criterion_group, criterion_main, Criterion};
use pgtenant::audit::{self, AuditEvent};
use pgtenant::module::{self, ModuleParams};
use pgtenant::TenantKeyType;
use pgtenant_testkit::{TestDb, TestRole};
use sqlx::postgres::PgConnectOptions;
use sqlx::{Connection, PgConnection};
use std::str::FromStr;
use std::time::{Duration, Instant};

const TENANT: &str = "00000000-0000-4000-8000-000000000001";
const USER: &str = "00000000-0000-4000-8000-000000000011";

/// The audit module and `plain_log`, its row shape without the chain.
fn schema(svc: &str) -> String {
    let params = ModuleParams::new(TenantKeyType::Uuid, TenantKeyType::Uuid)
        .user_setting("app.user_id")
        .root_table("tenants", "id")
        .service_role(svc);
    let audit_sql = module::by_name("audit")
        .unwrap()
        .render_script(&params)
        .unwrap();
    format!(
        "CREATE TABLE tenants (id uuid PRIMARY KEY);
         INSERT INTO tenants VALUES ('{TENANT}');
         {audit_sql}
         CREATE TABLE plain_log (
           audit_id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
           tenant_id uuid DEFAULT NULLIF(current_setting('app.tenant_id', true), '')::uuid,
           actor text DEFAULT NULLIF(current_setting('app.user_id', true), ''),
           action text NOT NULL,
           resource_type text,
           resource_id text,
           metadata jsonb NOT NULL DEFAULT '{{}}',
           ip inet,
           created_at timestamptz NOT NULL DEFAULT clock_timestamp());
         CREATE INDEX plain_log_tenant_created_idx ON plain_log (tenant_id, created_at);
         ALTER TABLE plain_log ENABLE ROW LEVEL SECURITY;
         ALTER TABLE plain_log FORCE ROW LEVEL SECURITY;
         CREATE POLICY plain_log_append ON plain_log FOR INSERT
           WITH CHECK (tenant_id = (SELECT NULLIF(current_setting('app.tenant_id', true), '')::uuid));
         CREATE POLICY plain_log_read ON plain_log FOR SELECT
           USING (tenant_id = (SELECT NULLIF(current_setting('app.tenant_id', true), '')::uuid));
         GRANT USAGE ON SCHEMA public TO {svc};
         GRANT SELECT, INSERT ON plain_log TO {svc};"
    )
}

fn event() -> AuditEvent {
    AuditEvent::new("project.member.add")
        .resource("project", 42)
        .metadata(serde_json::json!({"role": "editor", "by": "invite"}))
        .ip("10.1.2.3".parse().unwrap())
}

const PLAIN: &str = "INSERT INTO plain_log (action, resource_type, resource_id, metadata, ip) \
                     VALUES ($1, $2, $3, $4, $5::text::inet)";
const DIRECT: &str =
    "INSERT INTO pgtenant.audit_log (action, resource_type, resource_id, metadata, ip) \
                      VALUES ($1, $2, $3, $4, $5::text::inet)";

#[derive(Clone, Copy)]
enum Kind {
    Plain,
    Audit,
    Direct,
}

async fn insert(conn: &mut PgConnection, kind: Kind, e: &AuditEvent) {
    let sql = match kind {
        Kind::Audit => {
            audit::record(conn, "pgtenant", e).await.unwrap();
            return;
        }
        Kind::Plain => PLAIN,
        Kind::Direct => DIRECT,
    };
    sqlx::query(sql)
        .bind(&e.action)
        .bind(&e.resource_type)
        .bind(&e.resource_id)
        .bind(&e.metadata)
        .bind(e.ip.map(|ip| ip.to_string()))
        .execute(conn)
        .await
        .unwrap();
}

async fn run(conn: &mut PgConnection, kind: Kind, synchronous: bool, iters: u64) -> Duration {
    let e = event();
    sqlx::query("SELECT set_config('synchronous_commit', $1, false)")
        .bind(if synchronous { "on" } else { "off" })
        .execute(&mut *conn)
        .await
        .unwrap();
    let start = Instant::now();
    for _ in 0..iters {
        insert(conn, kind, &e).await;
    }
    start.elapsed()
}

fn bench(c: &mut Criterion) {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let (svc, db, mut conn) = rt.block_on(async {
        let svc = TestRole::new("pgt_bench_svc", "LOGIN NOSUPERUSER NOBYPASSRLS").await;
        let db = TestDb::with_prefix("pgt_bench").await;
        db.exec(&schema(&svc.name)).await;
        let opts = PgConnectOptions::from_str(&db.url)
            .unwrap()
            .username(&svc.name);
        let mut conn = PgConnection::connect_with(&opts).await.unwrap();
        // The bench's one connection keeps the tenant for its whole life.
        sqlx::query(
            "SELECT set_config('app.tenant_id', $1, false), set_config('app.user_id', $2, false)",
        )
        .bind(TENANT)
        .bind(USER)
        .execute(&mut conn)
        .await
        .unwrap();
        (svc, db, conn)
    });
    let mut group = c.benchmark_group("audit_insert");
    group.sample_size(30);
    group.measurement_time(Duration::from_secs(8));
    for (mode, synchronous) in [("commit", true), ("async_commit", false)] {
        for (name, kind) in [
            ("plain", Kind::Plain),
            ("audit", Kind::Audit),
            ("direct", Kind::Direct),
        ] {
            group.bench_function(format!("{mode}/{name}"), |b| {
                b.iter_custom(|iters| rt.block_on(run(&mut conn, kind, synchronous, iters)));
            });
        }
    }
    group.finish();
    rt.block_on(async move {
        conn.close().await.unwrap();
        drop(db);
        drop(svc);
    });
}

criterion_group!(benches, bench);
criterion_main!(benches);
