//! The Rust evaluator and the SQL one agree: random worlds (catalog, roles
//! with allow/deny patterns, memberships with a status, grants), each loaded
//! once in a transaction that is rolled back, and every (user, tenant,
//! permission) checked through `has_permission` (the trigger-maintained
//! table), `rbac_decide` (the explain path) and `Rbac::decide`.
//!
//! WORLDS worlds × 8 (user, tenant) pairs × 120 names (all 117 possible
//! names over the alphabet plus 3 invalid ones) = 122,880 cases.

use crate::rbac_support::id;
use crate::support::ServiceDb;
use pgtenant::rbac::{matches_any, Catalog, Decision, Pattern, Rbac, Role};
use proptest::prelude::*;
use proptest::test_runner::{Config, TestRunner};
use sqlx::{Connection, PgConnection};
use std::sync::Arc;

const WORLDS: u32 = 128;
const USERS: u64 = 4;
const TENANTS: u64 = 2;
const SEGMENTS: &[&str] = &["a", "b", "c"];

/// Every permission name of 2 to 4 segments over SEGMENTS.
fn all_names() -> Vec<String> {
    let mut level: Vec<String> = SEGMENTS.iter().map(|s| (*s).to_owned()).collect();
    let mut names = Vec::new();
    for _ in 1..4 {
        level = level
            .iter()
            .flat_map(|p| SEGMENTS.iter().map(move |s| format!("{p}.{s}")))
            .collect();
        names.extend(level.iter().cloned());
    }
    names
}

#[derive(Debug, Clone)]
struct GenRole {
    tenant: Option<u64>,
    allow: Vec<String>,
    deny: Vec<String>,
}

#[derive(Debug, Clone)]
struct World {
    catalog: Vec<String>,
    roles: Vec<GenRole>,
    /// (user, tenant) → None (no membership), Some(active).
    members: Vec<Option<bool>>,
    /// (role index, user, tenant) candidates; invalid ones are skipped.
    grants: Vec<(usize, u64, u64)>,
}

fn pattern() -> impl Strategy<Value = String> {
    let seg = prop::sample::select(SEGMENTS);
    prop_oneof![
        1 => Just("*".to_owned()),
        4 => prop::collection::vec(seg.clone(), 1..=3).prop_map(|v| format!("{}.*", v.join("."))),
        5 => prop::collection::vec(seg, 2..=4).prop_map(|v| v.join(".")),
    ]
}

fn world() -> impl Strategy<Value = World> {
    let names = all_names();
    let catalog = prop::sample::subsequence(names.clone(), 3..40);
    let role = (
        prop::option::weighted(0.6, 1..=TENANTS),
        prop::collection::vec(pattern(), 0..4),
        prop::collection::vec(pattern(), 0..3),
    )
        .prop_map(|(tenant, allow, deny)| GenRole {
            tenant,
            allow,
            deny,
        });
    let pairs = usize::try_from(USERS * TENANTS).unwrap();
    (
        catalog,
        prop::collection::vec(role, 1..8),
        prop::collection::vec(
            prop::option::weighted(0.85, prop::bool::weighted(0.85)),
            pairs,
        ),
        prop::collection::vec((0usize..8, 1..=USERS, 1..=TENANTS), 0..24),
    )
        .prop_map(|(catalog, roles, members, grants)| World {
            catalog,
            roles,
            members,
            grants,
        })
}

impl World {
    fn member(&self, user: u64, tenant: u64) -> Option<bool> {
        self.members[usize::try_from((user - 1) * TENANTS + (tenant - 1)).unwrap()]
    }

    fn rust_catalog(&self) -> Catalog {
        Catalog::from_names(self.catalog.iter().map(String::as_str)).unwrap()
    }

    /// Keep only patterns matching the catalog (the database refuses the
    /// rest) and grants the database accepts.
    fn normalise(mut self) -> World {
        let c = self.rust_catalog();
        let keep = |v: &mut Vec<String>| {
            v.retain(|p| matches_any(&c, &Pattern::parse(p).unwrap()));
        };
        for r in &mut self.roles {
            keep(&mut r.allow);
            keep(&mut r.deny);
        }
        let n = self.roles.len();
        let mut grants = Vec::new();
        for &(r, u, t) in &self.grants {
            let ok = r < n
                && self.member(u, t).is_some()
                && self.roles[r].tenant.is_none_or(|rt| rt == t)
                && !grants.contains(&(r, u, t));
            if ok {
                grants.push((r, u, t));
            }
        }
        self.grants = grants;
        self
    }

    fn sql(&self) -> String {
        let arr = |v: &[String]| format!("'{{{}}}'", v.join(","));
        let mut s = String::new();
        let perms: Vec<String> = self.catalog.iter().map(|p| format!("('{p}')")).collect();
        s += &format!(
            "INSERT INTO pgtenant.permissions (name) VALUES {};\n",
            perms.join(",")
        );
        for (i, r) in self.roles.iter().enumerate() {
            let t = r
                .tenant
                .map_or("NULL".to_owned(), |t| format!("'{}'", id(t)));
            s += &format!(
                "INSERT INTO pgtenant.roles (role_id, tenant_id, name, allow, deny) OVERRIDING SYSTEM VALUE \
                 VALUES ({}, {t}, 'r{i}', {}, {});\n",
                i + 1,
                arr(&r.allow),
                arr(&r.deny)
            );
        }
        for u in 1..=USERS {
            for t in 1..=TENANTS {
                if let Some(active) = self.member(u, t) {
                    let status = if active { "active" } else { "suspended" };
                    s += &format!(
                        "INSERT INTO memberships VALUES ('{}', '{}', '{status}');\n",
                        id(t),
                        id(100 + u)
                    );
                }
            }
        }
        for &(r, u, t) in &self.grants {
            s += &format!(
                "INSERT INTO pgtenant.role_grants (tenant_id, user_id, role_id) VALUES ('{}', '{}', {});\n",
                id(t),
                id(100 + u),
                r + 1
            );
        }
        s
    }

    fn rust(&self, catalog: &Arc<Catalog>, user: u64, tenant: u64) -> Rbac {
        let roles = if self.member(user, tenant) == Some(true) {
            self.grants
                .iter()
                .filter(|&&(_, u, t)| u == user && t == tenant)
                .map(|&(r, _, _)| {
                    let g = &self.roles[r];
                    Role::parse(&format!("r{r}"), &refs(&g.allow), &refs(&g.deny)).unwrap()
                })
                .collect()
        } else {
            Vec::new()
        };
        Rbac::compile(catalog.clone(), roles)
    }
}

fn refs(v: &[String]) -> Vec<&str> {
    v.iter().map(String::as_str).collect()
}

fn expected(world: &World, d: Decision, user: u64, tenant: u64) -> &'static str {
    match d {
        Decision::Unknown => "unknown_permission",
        _ if world.member(user, tenant) != Some(true) => "not_a_member",
        Decision::Denied(_) => "denied",
        Decision::Allowed(_) => "allowed",
        Decision::NotAllowed => "not_allowed",
    }
}

async fn check_world(
    conn: &mut PgConnection,
    world: &World,
    names: &[String],
) -> Result<u64, String> {
    let mut tx = conn.begin().await.unwrap();
    sqlx::raw_sql(&world.sql())
        .execute(&mut *tx)
        .await
        .map_err(|e| format!("loading the world: {e}"))?;
    let catalog = Arc::new(world.rust_catalog());
    let mut cases = 0;
    for user in 1..=USERS {
        for tenant in 1..=TENANTS {
            let (u, t) = (id(100 + user), id(tenant));
            sqlx::query(
                "SELECT set_config('app.tenant_id', $1, true), set_config('app.user_id', $2, true)",
            )
            .bind(&t)
            .bind(&u)
            .execute(&mut *tx)
            .await
            .unwrap();
            let rows: Vec<(String, bool, String)> = sqlx::query_as(
                "SELECT p, pgtenant.has_permission(p), pgtenant.rbac_decide($2, $3, p) \
                 FROM unnest($1::text[]) p",
            )
            .bind(names)
            .bind(&u)
            .bind(&t)
            .fetch_all(&mut *tx)
            .await
            .unwrap();
            let rbac = world.rust(&catalog, user, tenant);
            for (p, has, decided) in rows {
                let d = rbac.decide(&p);
                let want = expected(world, d, user, tenant);
                if has != d.is_allowed() || decided != want {
                    return Err(format!(
                        "user {user} tenant {tenant} {p}: Rust {d:?} ({want}), \
                         has_permission {has}, rbac_decide {decided}"
                    ));
                }
                cases += 1;
            }
        }
    }
    tx.rollback().await.unwrap();
    Ok(cases)
}

#[test]
fn rust_and_sql_evaluators_agree_on_random_worlds() {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let db = rt.block_on(async {
        let r = ServiceDb::rbac().await;
        let tenants: Vec<String> = (1..=TENANTS)
            .map(|t| format!("('{}', 't')", id(t)))
            .collect();
        r.db.exec(&format!(
            "INSERT INTO tenants VALUES {};",
            tenants.join(",")
        ))
        .await;
        r
    });
    let conn = std::cell::RefCell::new(rt.block_on(db.admin()));
    let mut names = all_names();
    names.extend(["a".to_owned(), "A.b".to_owned(), "a.b.c.a.b".to_owned()]);
    assert_eq!(names.len(), 120);
    let mut runner = TestRunner::new(Config {
        cases: WORLDS,
        failure_persistence: None,
        ..Config::default()
    });
    let total = std::cell::Cell::new(0u64);
    runner
        .run(&world(), |w| {
            let w = w.normalise();
            let n = rt
                .block_on(check_world(&mut conn.borrow_mut(), &w, &names))
                .map_err(TestCaseError::fail)?;
            total.set(total.get() + n);
            Ok(())
        })
        .unwrap();
    // Shrinking never runs on success, so every world was checked once.
    assert_eq!(total.get(), u64::from(WORLDS) * USERS * TENANTS * 120);
    assert!(total.get() >= 100_000);
}
