//! Ids are checked against the key type before anything reaches the
//! database; the service pool must be subject to row-level security.

use crate::support::{grants, policy_sql, ServiceDb, TENANT_A};
use pgtenant::{Error, TenancyConfig, TenantContext, TenantDb, TenantKeyType};
use pgtenant_testkit::{TestDb, TestRole};
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use std::str::FromStr;

#[tokio::test]
async fn invalid_and_empty_tenant_ids_are_refused_with_the_key_type() {
    let fx = ServiceDb::tenancy().await;
    let db = fx.tenant_db(1).await;
    let err = db.tenant("42").begin().await.unwrap_err();
    assert!(matches!(err, Error::InvalidTenantId { .. }), "{err:?}");
    assert_eq!(
        err.to_string(),
        "invalid tenant id \"42\": expected uuid (not a UUID); \
         pass the tenant's primary key as stored in the root table"
    );
    let err = db.tenant("' OR true; --").begin().await.unwrap_err();
    assert!(matches!(err, Error::InvalidTenantId { .. }));
    let err = db.tenant("").begin().await.unwrap_err();
    assert!(matches!(err, Error::EmptyTenantId));
    assert_eq!(
        err.to_string(),
        "the tenant id is empty; pass the id of the tenant the request acts for"
    );
    let err = db.tenant(TENANT_A).user("bob").begin().await.unwrap_err();
    assert_eq!(
        err.to_string(),
        "invalid user id \"bob\": expected uuid (not a UUID); \
         pass the user's primary key as stored in the membership table"
    );
    // Upper-case and braced UUIDs are the same tenant.
    let mut tx = db.tenant(TENANT_A.to_uppercase()).begin().await.unwrap();
    assert_eq!(tx.tenant_id(), TENANT_A);
    let n: i64 = sqlx::query_scalar("SELECT count(*) FROM items")
        .fetch_one(&mut *tx)
        .await
        .unwrap();
    assert_eq!(n, crate::support::ROWS_A);
}

#[tokio::test]
async fn a_user_id_without_a_user_setting_is_refused() {
    let fx = ServiceDb::tenancy().await;
    let db = TenantDb::from_pool(fx.svc_pool(1).await, TenancyConfig::default())
        .await
        .unwrap();
    let err = db
        .begin(&TenantContext::new(TENANT_A).user(TENANT_A))
        .await
        .unwrap_err();
    assert!(matches!(err, Error::NoUserSetting), "{err:?}");
}

#[tokio::test]
async fn a_setting_name_without_prefix_is_refused_before_connecting_further() {
    let fx = ServiceDb::tenancy().await;
    let config = TenancyConfig::default().setting("role");
    let err = TenantDb::from_pool(fx.svc_pool(1).await, config)
        .await
        .unwrap_err();
    assert_eq!(
        err.to_string(),
        "invalid tenancy configuration: setting \"role\" needs a prefix and a name, e.g. \"app.tenant_id\""
    );
}

#[tokio::test]
async fn a_superuser_pool_is_refused_as_service_role() {
    let fx = ServiceDb::tenancy().await;
    let err = TenantDb::from_pool(fx.db.pool().await, TenancyConfig::default())
        .await
        .unwrap_err();
    assert!(
        matches!(err, Error::ServiceRoleBypassesRls { .. }),
        "{err:?}"
    );
    assert!(err.to_string().ends_with(
        "is a superuser, so row-level security does not apply to it; \
         connect with the NOSUPERUSER NOBYPASSRLS service role created by `pgtenant bootstrap`"
    ));
}

/// A service role that belongs to another role (here an application
/// group and the predefined `pg_read_all_data`, which reads every table
/// past the grants) could act with that role's privileges: refused, naming
/// the roles.
#[tokio::test]
async fn a_service_role_that_is_a_member_of_any_role_is_refused() {
    let fx = ServiceDb::tenancy().await;
    let group = TestRole::new("pgt_grp", "NOLOGIN").await;
    let mut admin = fx.admin().await;
    sqlx::raw_sql(&format!(
        "GRANT {g} TO {s}; GRANT pg_read_all_data TO {s};",
        g = group.name,
        s = fx.svc.name
    ))
    .execute(&mut admin)
    .await
    .unwrap();
    let err = TenantDb::from_pool(fx.svc_pool(1).await, TenancyConfig::default())
        .await
        .unwrap_err();
    assert!(matches!(err, Error::ServiceRoleIsMember { .. }), "{err:?}");
    assert_eq!(
        err.to_string(),
        format!(
            "the service role {s} is a member of pg_read_all_data, {g}, so it can act with their \
             privileges (SET ROLE, inherited grants); revoke the membership (REVOKE ... FROM {s}) \
             or connect with the service role created by `pgtenant bootstrap`, a member of no role",
            s = fx.svc.name,
            g = group.name
        )
    );
    // Without the memberships the same pool is accepted.
    sqlx::raw_sql(&format!(
        "REVOKE {g} FROM {s}; REVOKE pg_read_all_data FROM {s};",
        g = group.name,
        s = fx.svc.name
    ))
    .execute(&mut admin)
    .await
    .unwrap();
    TenantDb::from_pool(fx.svc_pool(1).await, TenancyConfig::default())
        .await
        .unwrap();
}

/// A bigint-keyed schema: the key type is read from the root table and
/// ids are checked as 64-bit integers.
#[tokio::test]
async fn bigint_key_type_is_read_from_the_root_table() {
    let svc = TestRole::new("pgt_svc", "LOGIN NOSUPERUSER NOBYPASSRLS").await;
    let db = TestDb::new().await;
    let mut sql = String::from(
        "CREATE TABLE orgs (id bigint PRIMARY KEY);
         CREATE TABLE notes (org_id bigint NOT NULL REFERENCES orgs, body text);
         CREATE INDEX ON notes (org_id);
         INSERT INTO orgs VALUES (1), (9000000000);
         INSERT INTO notes VALUES (1, 'one'), (9000000000, 'big'), (9000000000, 'big2');\n",
    );
    sql.push_str(&policy_sql("notes", "org_id", "bigint"));
    sql.push_str(&grants(&svc.name));
    db.exec(&sql).await;
    let opts = PgConnectOptions::from_str(&db.url)
        .unwrap()
        .username(&svc.name);
    let pool = PgPoolOptions::new()
        .max_connections(1)
        .connect_with(opts)
        .await
        .unwrap();
    let tdb = TenantDb::from_pool(
        pool.clone(),
        TenancyConfig::default().key_from_root_table("orgs"),
    )
    .await
    .unwrap();
    assert_eq!(tdb.key_type(), TenantKeyType::BigInt);
    let mut tx = tdb.tenant(9_000_000_000i64).begin().await.unwrap();
    let bodies: Vec<String> = sqlx::query_scalar("SELECT body FROM notes ORDER BY body")
        .fetch_all(&mut *tx)
        .await
        .unwrap();
    assert_eq!(bodies, vec!["big".to_owned(), "big2".to_owned()]);
    tx.rollback().await.unwrap();
    let err = tdb.tenant("1.5").begin().await.unwrap_err();
    assert_eq!(
        err.to_string(),
        "invalid tenant id \"1.5\": expected bigint (not a 64-bit integer); \
         pass the tenant's primary key as stored in the root table"
    );
    let err = TenantDb::from_pool(
        pool,
        TenancyConfig::default().key_from_root_table("missing"),
    )
    .await
    .unwrap_err();
    assert_eq!(
        err.to_string(),
        "cannot read the tenant key type from public.missing: the table does not exist or the \
         service role cannot see it; check TenancyConfig's root table or set the key type explicitly"
    );
}

/// Text keys reach the setting byte for byte, quotes and backslashes
/// included, and a user setting whose name is a key word still works.
#[tokio::test]
async fn text_ids_with_quotes_and_backslashes_are_set_verbatim() {
    let svc = TestRole::new("pgt_svc", "LOGIN NOSUPERUSER NOBYPASSRLS").await;
    let db = TestDb::new().await;
    let tenant = r"o'brien\co; SET ROLE postgres; --";
    let mut sql = format!(
        "CREATE TABLE docs (tenant_id varchar(40) NOT NULL, body text);
         CREATE INDEX ON docs (tenant_id);
         INSERT INTO docs VALUES ({}, 'mine'), ('other', 'theirs');\n",
        pgtenant::schema::ident::quote_literal(tenant)
    );
    sql.push_str(&policy_sql("docs", "tenant_id", "varchar(40)"));
    sql.push_str(&grants(&svc.name));
    db.exec(&sql).await;
    let opts = PgConnectOptions::from_str(&db.url)
        .unwrap()
        .username(&svc.name);
    let pool = PgPoolOptions::new()
        .max_connections(1)
        .connect_with(opts)
        .await
        .unwrap();
    let config = TenancyConfig::new(TenantKeyType::Varchar(40))
        .user_setting("app.user")
        .user_key_type(TenantKeyType::Text);
    let tdb = TenantDb::from_pool(pool, config).await.unwrap();
    let mut tx = tdb.tenant(tenant).user("bob's").begin().await.unwrap();
    let (setting, user, role): (String, String, String) = sqlx::query_as(
        "SELECT current_setting('app.tenant_id'), current_setting('app.user'), current_user::text",
    )
    .fetch_one(&mut *tx)
    .await
    .unwrap();
    assert_eq!(
        (setting.as_str(), user.as_str(), role.as_str()),
        (tenant, "bob's", svc.name.as_str())
    );
    let bodies: Vec<String> = sqlx::query_scalar("SELECT body FROM docs")
        .fetch_all(&mut *tx)
        .await
        .unwrap();
    assert_eq!(bodies, vec!["mine".to_owned()]);
    tx.commit().await.unwrap();
    let err = tdb.tenant("x".repeat(41)).begin().await.unwrap_err();
    assert!(
        err.to_string()
            .contains("expected varchar(40) (41 characters, at most 40 allowed)"),
        "{err}"
    );
}
