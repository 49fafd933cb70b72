//! The rbac module against a real PostgreSQL: the pinned edge cases, the
//! database's refusals, privileges, and the Rust cache after a revoke.

use crate::rbac_support::{decide, has, id};
use crate::support::{refused, ServiceDb};
use pgtenant::rbac::{
    parse_roles, seed, AccessCache, Catalog, DecidedBy, RbacError, RequirePermission,
};
use pgtenant::{MembershipConfig, TenancyConfig, TenantDb, TenantKeyType};

const CATALOG: &[&str] = &[
    "content.read",
    "content.read.own",
    "content.video.delete",
    "content.video.view",
    "admin.roles.view",
    "admin.roles.assign",
    "admin.tenant.view",
    "admin.tenant.delete",
];

/// Tenants 1 and 2; users 11, 12 (members of 1) and 21 (member of 2);
/// the catalog above; then `sql`.
async fn world(sql: &str) -> ServiceDb {
    let r = ServiceDb::rbac().await;
    let perms: Vec<String> = CATALOG.iter().map(|p| format!("('{p}')")).collect();
    r.db.exec(&format!(
        "INSERT INTO tenants VALUES ('{t1}', 'one'), ('{t2}', 'two');
         INSERT INTO memberships (tenant_id, user_id) VALUES
           ('{t1}', '{u11}'), ('{t1}', '{u12}'), ('{t2}', '{u21}');
         INSERT INTO pgtenant.permissions (name) VALUES {perms};
         {sql}",
        t1 = id(1),
        t2 = id(2),
        u11 = id(11),
        u12 = id(12),
        u21 = id(21),
        perms = perms.join(", ")
    ))
    .await;
    r
}

/// A role (`tenant` None = global) and its grant to `user` in `in_tenant`.
fn role_and_grant(
    name: &str,
    tenant: Option<u64>,
    allow: &str,
    deny: &str,
    user: u64,
    in_tenant: u64,
) -> String {
    let t = tenant.map_or("NULL".to_owned(), |t| format!("'{}'", id(t)));
    format!(
        "INSERT INTO pgtenant.roles (tenant_id, name, allow, deny) VALUES ({t}, '{name}', '{allow}', '{deny}');
         INSERT INTO pgtenant.role_grants (tenant_id, user_id, role_id)
           SELECT '{}', '{}', role_id FROM pgtenant.roles WHERE name = '{name}';\n",
        id(in_tenant),
        id(user)
    )
}

/// has_permission and rbac_decide for user 11 in tenant 1, per permission.
async fn check(r: &ServiceDb, expected: &[(&str, &str)]) {
    let mut svc = r.svc_conn().await;
    let mut admin = r.admin().await;
    for (perm, want) in expected {
        let d = decide(&mut admin, &id(11), &id(1), perm).await;
        assert_eq!(&d, want, "rbac_decide of {perm}");
        let h = has(&mut svc, &id(11), &id(1), perm).await;
        assert_eq!(h, *want == "allowed", "has_permission of {perm}");
    }
}

#[tokio::test]
async fn below_covers_strictly_below_and_a_bare_prefix_is_no_pattern() {
    let r = world(&role_and_grant(
        "reader",
        None,
        "{content.read.*}",
        "{}",
        11,
        1,
    ))
    .await;
    check(
        &r,
        &[
            ("content.read.own", "allowed"),
            ("content.read", "not_allowed"),
            ("content.video.view", "not_allowed"),
        ],
    )
    .await;
    let mut admin = r.admin().await;
    assert_eq!(
        refused(
            &mut admin,
            "INSERT INTO pgtenant.roles (name, allow) VALUES ('bad', '{content}')"
        )
        .await,
        "role bad: 'content' is not a permission pattern"
    );
    assert_eq!(
        refused(
            &mut admin,
            "INSERT INTO pgtenant.roles (name, allow) VALUES ('bad', '{content.*.view}')"
        )
        .await,
        "role bad: 'content.*.view' is not a permission pattern"
    );
}

#[tokio::test]
async fn star_in_deny_denies_everything() {
    let r = world(&role_and_grant("nobody", None, "{*}", "{*}", 11, 1)).await;
    check(
        &r,
        &[
            ("content.read", "denied"),
            ("admin.tenant.delete", "denied"),
        ],
    )
    .await;
}

#[tokio::test]
async fn a_global_deny_beats_a_tenant_allow() {
    let mut sql = role_and_grant("member", None, "{content.*}", "{admin.*}", 11, 1);
    sql += &role_and_grant("tenant_admin", Some(1), "{admin.*}", "{}", 11, 1);
    let r = world(&sql).await;
    check(
        &r,
        &[
            ("admin.roles.assign", "denied"),
            ("admin.tenant.view", "denied"),
            ("content.video.delete", "allowed"),
        ],
    )
    .await;
    let mut admin = r.admin().await;
    let rows: Vec<(String, String, bool, String)> = sqlx::query_as(
        "SELECT effect, role_name, global, pattern FROM pgtenant.rbac_explain($1, $2, 'admin.roles.assign')",
    )
    .bind(id(11))
    .bind(id(1))
    .fetch_all(&mut admin)
    .await
    .unwrap();
    assert_eq!(
        rows,
        [
            ("deny".into(), "member".into(), true, "admin.*".into()),
            (
                "allow".into(),
                "tenant_admin".into(),
                false,
                "admin.*".into()
            )
        ]
    );
}

#[tokio::test]
async fn overlapping_wildcards_and_an_empty_role() {
    let mut sql = role_and_grant(
        "ops",
        None,
        "{admin.*,admin.roles.view,*}",
        "{admin.roles.*}",
        11,
        1,
    );
    sql += &role_and_grant("empty", None, "{}", "{}", 12, 1);
    let r = world(&sql).await;
    check(
        &r,
        &[
            ("admin.roles.view", "denied"),
            ("admin.tenant.view", "allowed"),
            ("content.read", "allowed"),
        ],
    )
    .await;
    let mut admin = r.admin().await;
    assert_eq!(
        decide(&mut admin, &id(12), &id(1), "content.read").await,
        "not_allowed"
    );
    let mut svc = r.svc_conn().await;
    assert!(!has(&mut svc, &id(12), &id(1), "content.read").await);
}

#[tokio::test]
async fn unknown_permissions_and_patterns_matching_nothing() {
    let r = world(&role_and_grant("owner", None, "{*}", "{}", 11, 1)).await;
    check(&r, &[("content.write", "unknown_permission")]).await;
    let mut admin = r.admin().await;
    assert_eq!(
        refused(
            &mut admin,
            "INSERT INTO pgtenant.roles (name, allow) VALUES ('x', '{media.*}')"
        )
        .await,
        "role x: pattern 'media.*' matches no permission in the catalog"
    );
    assert_eq!(
        refused(
            &mut admin,
            "UPDATE pgtenant.roles SET deny = '{content.read.own.*}' WHERE name = 'owner'"
        )
        .await,
        "role owner: pattern 'content.read.own.*' matches no permission in the catalog"
    );
    assert_eq!(
        refused(
            &mut admin,
            "INSERT INTO pgtenant.permissions (name) VALUES ('Content.Read')"
        )
        .await,
        "new row for relation \"permissions\" violates check constraint \"permissions_name_check\""
    );
}

#[tokio::test]
async fn a_tenant_role_granted_in_another_tenant_is_refused_by_the_database() {
    let r = world("INSERT INTO pgtenant.roles (tenant_id, name, allow) VALUES ('00000000-0000-4000-8000-000000000001', 'editor', '{content.*}');").await;
    let mut admin = r.admin().await;
    let msg = refused(
        &mut admin,
        &format!(
            "INSERT INTO pgtenant.role_grants (tenant_id, user_id, role_id)
             SELECT '{}', '{}', role_id FROM pgtenant.roles WHERE name = 'editor'",
            id(2),
            id(21)
        ),
    )
    .await;
    assert!(
        msg.starts_with("role ")
            && msg.ends_with(&format!(
                "belongs to another tenant and cannot be granted in tenant {}",
                id(2)
            )),
        "{msg}"
    );
    // The same grant in its own tenant is fine; moving it is refused too.
    sqlx::raw_sql(&format!(
        "INSERT INTO pgtenant.role_grants (tenant_id, user_id, role_id)
         SELECT '{}', '{}', role_id FROM pgtenant.roles WHERE name = 'editor'",
        id(1),
        id(11)
    ))
    .execute(&mut admin)
    .await
    .unwrap();
    assert_eq!(
        refused(
            &mut admin,
            &format!(
                "UPDATE pgtenant.roles SET tenant_id = '{}' WHERE name = 'editor'",
                id(2)
            )
        )
        .await,
        "role editor cannot move to another tenant"
    );
}

#[tokio::test]
async fn a_suspended_member_has_nothing_until_reactivated() {
    let r = world(&role_and_grant("owner", None, "{*}", "{}", 11, 1)).await;
    check(&r, &[("content.read", "allowed")]).await;
    r.db.exec(&format!(
        "UPDATE memberships SET status = 'suspended' WHERE user_id = '{}'",
        id(11)
    ))
    .await;
    check(&r, &[("content.read", "not_a_member")]).await;
    r.db.exec(&format!(
        "UPDATE memberships SET status = 'active' WHERE user_id = '{}'",
        id(11)
    ))
    .await;
    check(&r, &[("content.read", "allowed")]).await;
    // A non-member: user 21 in tenant 1.
    let mut svc = r.svc_conn().await;
    assert!(!has(&mut svc, &id(21), &id(1), "content.read").await);
}

fn tenant_db_config() -> TenancyConfig {
    TenancyConfig::new(TenantKeyType::Uuid)
        .user_setting("app.user_id")
        .membership(MembershipConfig::new("memberships", "user_id", "tenant_id"))
}

#[tokio::test]
async fn a_revoke_takes_effect_at_once_and_bumps_the_version() {
    let r = world(&role_and_grant(
        "owner",
        None,
        "{*}",
        "{admin.tenant.delete}",
        11,
        1,
    ))
    .await;
    let db = TenantDb::from_pool(r.svc_pool(2).await, tenant_db_config())
        .await
        .unwrap();
    let cache = AccessCache::new();

    let mut tx = db.tenant(id(1)).user(id(11)).begin().await.unwrap();
    let before = tx.access(&cache).await.unwrap();
    assert!(before.allows("content.read"));
    tx.require(&cache, "content.read").await.unwrap();
    match tx.require(&cache, "admin.tenant.delete").await.unwrap_err() {
        RbacError::Forbidden(f) => assert_eq!(
            f.decided_by,
            DecidedBy::Deny {
                role: "owner".into(),
                pattern: "admin.tenant.delete".into()
            }
        ),
        e => panic!("{e}"),
    }
    tx.commit().await.unwrap();

    // The revoke, as the tenant's admin would do it through the service role.
    let mut tx = db.tenant(id(1)).user(id(11)).begin().await.unwrap();
    let deleted = sqlx::query("DELETE FROM pgtenant.role_grants WHERE user_id = $1::uuid")
        .bind(id(11))
        .execute(&mut *tx)
        .await
        .unwrap()
        .rows_affected();
    assert_eq!(deleted, 1);
    tx.commit().await.unwrap();

    let mut tx = db.tenant(id(1)).user(id(11)).begin().await.unwrap();
    let after = tx.access(&cache).await.unwrap();
    assert!(
        after.version > before.version,
        "{} > {}",
        after.version,
        before.version
    );
    assert!(!after.allows("content.read"));
    let err = tx.require(&cache, "content.read").await.unwrap_err();
    assert_eq!(
        err.to_string(),
        "content.read is not allowed: no role held here allows it"
    );
    let sql_says: bool = sqlx::query_scalar("SELECT pgtenant.has_permission('content.read')")
        .fetch_one(&mut *tx)
        .await
        .unwrap();
    assert!(!sql_says);
    tx.rollback().await.unwrap();
}

#[tokio::test]
async fn the_service_role_cannot_write_the_catalog_or_the_derived_tables() {
    let r = world(&role_and_grant("owner", None, "{*}", "{}", 11, 1)).await;
    let mut svc = r.svc_conn().await;
    for sql in [
        "INSERT INTO pgtenant.permissions (name) VALUES ('x.y')",
        "DELETE FROM pgtenant.effective_permissions",
        "UPDATE pgtenant.rbac_version SET version = 0",
        "SELECT pgtenant.rbac_refresh_all()",
    ] {
        let msg = refused(&mut svc, sql).await;
        assert!(msg.starts_with("permission denied for"), "{sql}: {msg}");
    }
    // Without a tenant it sees the global roles only and can change none.
    let n: i64 = sqlx::query_scalar("SELECT count(*) FROM pgtenant.roles")
        .fetch_one(&mut svc)
        .await
        .unwrap();
    assert_eq!(n, 1);
    let changed = sqlx::query("UPDATE pgtenant.roles SET deny = '{*}'")
        .execute(&mut svc)
        .await
        .unwrap()
        .rows_affected();
    assert_eq!(changed, 0, "global roles are read-only to tenants");
    // Nor another user's effective permissions.
    let n: i64 = sqlx::query_scalar("SELECT count(*) FROM pgtenant.effective_permissions")
        .fetch_one(&mut svc)
        .await
        .unwrap();
    assert_eq!(n, 0);
}

#[tokio::test]
async fn has_permission_gates_rows_in_a_policy() {
    let mut sql = role_and_grant("reader", None, "{content.read}", "{}", 11, 1);
    sql += &role_and_grant("none", None, "{}", "{}", 12, 1);
    let r = world(&sql).await;
    r.db.exec(&format!(
        "CREATE TABLE docs (tenant_id uuid NOT NULL, body text);
         ALTER TABLE docs ENABLE ROW LEVEL SECURITY;
         CREATE POLICY docs_read ON docs FOR SELECT
           USING (tenant_id = (SELECT NULLIF(current_setting('app.tenant_id', true), '')::uuid)
                  AND (SELECT pgtenant.has_permission('content.read')));
         GRANT SELECT ON docs TO {};
         INSERT INTO docs VALUES ('{}', 'a'), ('{}', 'b'), ('{}', 'c');",
        r.svc.name,
        id(1),
        id(1),
        id(2)
    ))
    .await;
    let db = TenantDb::from_pool(r.svc_pool(1).await, tenant_db_config())
        .await
        .unwrap();
    for (user, want) in [(11, 2i64), (12, 0)] {
        let mut tx = db.tenant(id(1)).user(id(user)).begin().await.unwrap();
        let n: i64 = sqlx::query_scalar("SELECT count(*) FROM docs")
            .fetch_one(&mut *tx)
            .await
            .unwrap();
        assert_eq!(n, want, "user {user}");
        tx.rollback().await.unwrap();
    }
}

#[tokio::test]
async fn seed_files_load_idempotently_and_agree_with_sql() {
    let r = world("").await;
    let catalog = Catalog::parse(
        "rbac/permissions.txt",
        &CATALOG
            .iter()
            .map(|p| format!("{p}  {p} (desc)\n"))
            .collect::<String>(),
    )
    .unwrap();
    let roles = parse_roles(
        "rbac/roles.txt",
        "owner allow *\nmember allow content.*\nmember deny content.video.delete\n",
        &catalog,
    )
    .unwrap();
    let mut admin = r.admin().await;
    let first = seed(&mut admin, "pgtenant", &catalog, &roles)
        .await
        .unwrap();
    assert_eq!((first.permissions, first.roles), (8, 2));
    let again = seed(&mut admin, "pgtenant", &catalog, &roles)
        .await
        .unwrap();
    assert_eq!((again.permissions, again.roles), (0, 0));
    r.db.exec(&format!(
        "INSERT INTO pgtenant.role_grants (tenant_id, user_id, role_id)
         SELECT '{}', '{}', role_id FROM pgtenant.roles WHERE name = 'member'",
        id(1),
        id(11)
    ))
    .await;
    check(
        &r,
        &[
            ("content.video.view", "allowed"),
            ("content.video.delete", "denied"),
            ("admin.roles.view", "not_allowed"),
        ],
    )
    .await;
}

#[tokio::test]
async fn module_tables_are_introspected_and_the_transform_leaves_self_policed_ones_alone() {
    use pgtenant::schema::model::QualName;
    use pgtenant::schema::tenancy::{transform, TenancyRules as SchemaTenancy};
    let r = world("").await;
    let mut conn = r.admin().await;
    let catalog = pgtenant::schema::introspect(&mut conn).await.unwrap();
    for t in [
        "permissions",
        "roles",
        "role_grants",
        "effective_permissions",
        "rbac_version",
    ] {
        assert!(
            catalog.tables.contains_key(&QualName::new("pgtenant", t)),
            "{t}"
        );
    }
    let mut cfg = SchemaTenancy::new("tenant_id", "app.tenant_id");
    let scoped = |out: &pgtenant::schema::tenancy::TransformOutput| {
        out.tenant_tables
            .iter()
            .filter(|t| t.schema == "pgtenant")
            .map(|t| t.name.clone())
            .collect::<Vec<_>>()
    };
    // Without telling the transform, it would force RLS on the module's
    // tenant tables and hide the global roles.
    assert_eq!(
        scoped(&transform(&catalog, &cfg)),
        ["effective_permissions", "role_grants", "roles"]
    );
    let module = pgtenant::module::by_name("rbac").unwrap();
    cfg.global_tables.extend(
        module
            .self_policed_tables
            .iter()
            .map(|t| QualName::new("pgtenant", *t)),
    );
    let out = transform(&catalog, &cfg);
    assert!(scoped(&out).is_empty());
    assert!(
        out.statements.iter().all(|s| !s.contains("pgtenant.")),
        "{:?}",
        out.statements
    );
}

#[tokio::test]
async fn the_module_schema_diffs_from_nothing_and_converges() {
    use crate::rbac_support::prerequisites;
    let r = ServiceDb::rbac().await;
    let mut want_conn = r.admin().await;
    let want = pgtenant::schema::introspect(&mut want_conn).await.unwrap();
    // A database with the prerequisites and the (journal-owned) schema only.
    let target = pgtenant_testkit::TestDb::new().await;
    target
        .exec(&format!(
            "{}CREATE SCHEMA pgtenant;",
            prerequisites(&r.svc.name)
        ))
        .await;
    let mut conn = target.conn().await;
    let before = pgtenant::schema::introspect(&mut conn).await.unwrap();
    let plan = pgtenant::schema::diff(&before, &want, &[]);
    assert!(!plan.is_empty());
    sqlx::raw_sql(&plan.to_sql())
        .execute(&mut conn)
        .await
        .unwrap_or_else(|e| panic!("{e}\n{}", plan.to_sql()));
    let after = pgtenant::schema::introspect(&mut conn).await.unwrap();
    let rest = pgtenant::schema::diff(&after, &want, &[]);
    assert!(rest.is_empty(), "{}", rest.to_sql());
}
