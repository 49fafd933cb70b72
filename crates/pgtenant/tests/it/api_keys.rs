//! The api_keys module against a real server, as the service role: scopes
//! never beyond the creator (at creation and at every verification), typos
//! rejected with no round trip, expiry and revocation, `last_used_at` at
//! most once a minute, rotation with an overlap that never extends an
//! expiry, one winner among concurrent rotations, tenant B unable to see or
//! touch tenant A's keys, and pinned error text.

use crate::rbac_support::{as_user, id, two_tenants, A, B, MEMBER_A, OWNER_A, OWNER_B};
use crate::support::{set_tenant, ServiceDb};
use chrono::{DateTime, Utc};
use pgtenant::api_keys::{ApiKeyError, ApiKeys, IssuedApiKey, NewApiKey};
use pgtenant_testkit::WireTap;
use sqlx::postgres::PgConnectOptions;
use sqlx::{Connection, PgConnection};
use std::str::FromStr;
use std::time::Duration;

fn keys() -> ApiKeys {
    ApiKeys::new("pgtenant", "crc").unwrap()
}

async fn world() -> ServiceDb {
    two_tenants(&["api_keys"]).await
}

async fn create(svc: &mut PgConnection, key: &NewApiKey) -> IssuedApiKey {
    as_user!(svc, A, OWNER_A, |tx| keys()
        .create(&mut tx, key)
        .await
        .unwrap())
}

async fn set(r: &ServiceDb, sql: &str, key_id: i64) {
    sqlx::query(sql)
        .bind(key_id)
        .execute(&mut r.admin().await)
        .await
        .unwrap();
}

#[tokio::test]
async fn a_key_holds_its_scopes_and_never_more_than_its_creator() {
    let r = world().await;
    let mut svc = r.svc_conn().await;
    let k = create(
        &mut svc,
        &NewApiKey::new("ci", &["members.invite", "content.read"]),
    )
    .await;
    let text = k.key.expose().to_owned();
    assert!(
        text.starts_with("crc_") && text.len() == 4 + 36 + 1 + 6,
        "{text}"
    );
    let shown = format!("{k:?}");
    assert!(
        !shown.contains(&text[16..40]) && shown.contains("***"),
        "{shown}"
    );

    let v = keys().verify(&mut svc, &text).await.unwrap();
    assert_eq!((v.key_id, v.tenant.as_str()), (k.key_id, id(A).as_str()));
    assert_eq!(v.created_by, id(OWNER_A));
    assert_eq!(v.scopes, ["content.read", "members.invite"]);
    assert!(v.has_scope("content.read") && !v.has_scope("admin.tenant.delete"));

    let more = as_user!(svc, A, MEMBER_A, |tx| keys()
        .create(
            &mut tx,
            &NewApiKey::new("x", &["content.read", "members.invite"])
        )
        .await
        .unwrap_err());
    assert_eq!(
        more.to_string(),
        "an API key cannot hold what its creator does not: members.invite"
    );
    let unknown = as_user!(svc, A, OWNER_A, |tx| keys()
        .create(&mut tx, &NewApiKey::new("x", &["content.reed"]))
        .await
        .unwrap_err());
    assert_eq!(
        unknown.to_string(),
        "API key scopes not in the permission catalog: 'content.reed'"
    );
    let none = keys()
        .create(&mut svc, &NewApiKey::new("x", &["content.read"]))
        .await
        .unwrap_err();
    assert_eq!(
        none.to_string(),
        "API keys need a tenant and a user: call it inside a tenant transaction that names the \
         acting user"
    );

    // The creator is demoted: the key shrinks with them.
    r.db.exec(&format!(
        "UPDATE pgtenant.role_grants SET role_id = (SELECT role_id FROM pgtenant.roles WHERE name = 'member')
          WHERE user_id = '{}'",
        id(OWNER_A)
    ))
    .await;
    let v = keys().verify(&mut svc, &text).await.unwrap();
    assert_eq!(v.scopes, ["content.read"]);
}

#[tokio::test]
async fn a_typo_is_rejected_without_a_round_trip() {
    let r = world().await;
    let mut svc = r.svc_conn().await;
    let k = create(&mut svc, &NewApiKey::new("ci", &["content.read"])).await;
    let text = k.key.expose().to_owned();
    let tap = WireTap::start(&r.db.url).await;
    let opts = PgConnectOptions::from_str(&tap.url(&r.db.url))
        .unwrap()
        .username(&r.svc.name);
    let mut conn = PgConnection::connect_with(&opts).await.unwrap();
    keys().verify(&mut conn, &text).await.unwrap();
    let secret = &text.as_bytes()[16..40];
    assert!(
        tap.messages()
            .iter()
            .all(|m| !m.body.windows(secret.len()).any(|w| w == secret)),
        "the key itself never crosses the wire"
    );

    tap.clear();
    let mut typo = text.clone().into_bytes();
    typo[30] = if typo[30] == b'x' { b'y' } else { b'x' };
    let typo = String::from_utf8(typo).unwrap();
    for bad in [
        typo.as_str(),
        &text[..text.len() - 2],
        &text.replace("crc_", "pgk_"),
        "",
        "crc_ünïcödé",
    ] {
        let err = keys().verify(&mut conn, bad).await.unwrap_err();
        assert_eq!(err.to_string(), "invalid or expired API key");
    }
    assert!(tap.messages().is_empty(), "{:?}", tap.sql());
    // Another prefix's keys are not ours even when well-formed.
    let other = ApiKeys::new("pgtenant", "pgk").unwrap();
    assert!(matches!(other.prepare(&text), Err(ApiKeyError::Invalid)));
    assert_eq!(
        ApiKeys::new("pgtenant", "Crc").unwrap_err().to_string(),
        "token prefix \"Crc\" must be 2 to 16 characters: a lower-case letter, then lower-case \
         letters or digits"
    );
}

#[tokio::test]
async fn expiry_revocation_and_last_used_once_a_minute() {
    let r = world().await;
    let mut svc = r.svc_conn().await;
    let soon = Utc::now() + chrono::Duration::hours(1);
    let k = create(
        &mut svc,
        &NewApiKey::new("ci", &["content.read"]).expires_at(soon),
    )
    .await;
    let v = keys().verify(&mut svc, k.key.expose()).await.unwrap();
    assert!(v.expires_at.is_some());

    let last_used = |r: &ServiceDb, key_id: i64| {
        let url = r.db.url.clone();
        async move {
            let mut c = PgConnection::connect(&url).await.unwrap();
            sqlx::query_scalar::<_, Option<DateTime<Utc>>>(
                "SELECT last_used_at FROM pgtenant.api_keys WHERE key_id = $1",
            )
            .bind(key_id)
            .fetch_one(&mut c)
            .await
            .unwrap()
        }
    };
    let first = last_used(&r, k.key_id).await.unwrap();
    keys().verify(&mut svc, k.key.expose()).await.unwrap();
    assert_eq!(
        last_used(&r, k.key_id).await,
        Some(first),
        "no write within the minute"
    );
    set(
        &r,
        "UPDATE pgtenant.api_keys SET last_used_at = last_used_at - interval '61 seconds' WHERE key_id = $1",
        k.key_id,
    )
    .await;
    keys().verify(&mut svc, k.key.expose()).await.unwrap();
    assert!(
        last_used(&r, k.key_id).await.unwrap() >= first,
        "touched again after a minute"
    );

    set(
        &r,
        "UPDATE pgtenant.api_keys SET expires_at = now() - interval '1 second' WHERE key_id = $1",
        k.key_id,
    )
    .await;
    assert!(matches!(
        keys().verify(&mut svc, k.key.expose()).await,
        Err(ApiKeyError::Invalid)
    ));

    let k2 = create(&mut svc, &NewApiKey::new("deploy", &["content.read"])).await;
    keys().verify(&mut svc, k2.key.expose()).await.unwrap();
    as_user!(svc, A, OWNER_A, |tx| keys()
        .revoke(&mut tx, k2.key_id)
        .await
        .unwrap());
    assert!(matches!(
        keys().verify(&mut svc, k2.key.expose()).await,
        Err(ApiKeyError::Invalid)
    ));
    let again = as_user!(svc, A, OWNER_A, |tx| keys()
        .revoke(&mut tx, k2.key_id)
        .await
        .unwrap_err());
    assert_eq!(
        again.to_string(),
        format!("no active API key {} in this tenant", k2.key_id)
    );
    let past = as_user!(svc, A, OWNER_A, |tx| keys()
        .create(
            &mut tx,
            &NewApiKey::new("x", &["content.read"])
                .expires_at(Utc::now() - chrono::Duration::hours(1))
        )
        .await
        .unwrap_err());
    assert_eq!(
        past.to_string(),
        "an API key's expiry must be in the future"
    );
}

#[tokio::test]
async fn rotation_overlaps_and_never_extends_an_expiry() {
    let r = world().await;
    let mut svc = r.svc_conn().await;
    let in_ten_days = Utc::now() + chrono::Duration::days(10);
    let k = create(
        &mut svc,
        &NewApiKey::new("ci", &["content.read"]).expires_at(in_ten_days),
    )
    .await;
    let rot = as_user!(svc, A, OWNER_A, |tx| keys()
        .rotate(&mut tx, k.key_id, Duration::from_secs(3600))
        .await
        .unwrap());
    let old_expiry = rot.expires_at.unwrap();
    assert!(
        (old_expiry - in_ten_days).num_seconds().abs() <= 1,
        "same expiry"
    );
    let overlap = rot.old_expires_at - Utc::now();
    assert!((3590..=3600).contains(&overlap.num_seconds()), "{overlap}");
    // Both work during the overlap; the old one cannot be rotated again.
    keys().verify(&mut svc, k.key.expose()).await.unwrap();
    let v = keys().verify(&mut svc, rot.new.key.expose()).await.unwrap();
    assert_eq!(v.scopes, ["content.read"]);
    let twice = as_user!(svc, A, OWNER_A, |tx| keys()
        .rotate(&mut tx, k.key_id, Duration::from_secs(60))
        .await
        .unwrap_err());
    assert!(matches!(twice, ApiKeyError::NotFound(_)), "{twice}");
    set(
        &r,
        "UPDATE pgtenant.api_keys SET expires_at = now() - interval '1 second' WHERE key_id = $1",
        k.key_id,
    )
    .await;
    assert!(keys().verify(&mut svc, k.key.expose()).await.is_err());
    keys().verify(&mut svc, rot.new.key.expose()).await.unwrap();

    // An overlap longer than the remaining life ends at the old expiry.
    let short = Utc::now() + chrono::Duration::minutes(30);
    let s = create(
        &mut svc,
        &NewApiKey::new("short", &["content.read"]).expires_at(short),
    )
    .await;
    let rot = as_user!(svc, A, OWNER_A, |tx| keys()
        .rotate(&mut tx, s.key_id, Duration::from_secs(86_400))
        .await
        .unwrap());
    assert_eq!(rot.old_expires_at, rot.expires_at.unwrap());
    assert!((rot.old_expires_at - short).num_seconds().abs() <= 1);
}

#[tokio::test]
async fn concurrent_rotations_have_exactly_one_winner() {
    let r = world().await;
    let mut svc = r.svc_conn().await;
    let k = create(&mut svc, &NewApiKey::new("ci", &["content.read"])).await;
    let mut tasks = Vec::new();
    for _ in 0..5 {
        let mut conn = r.svc_conn().await;
        tasks.push(tokio::spawn(async move {
            let mut tx = conn.begin().await.unwrap();
            set_tenant(&mut tx, &id(A), &id(OWNER_A)).await;
            let out = keys()
                .rotate(&mut tx, k.key_id, Duration::from_secs(60))
                .await;
            tx.commit().await.unwrap();
            out
        }));
    }
    let mut wins = 0;
    for t in tasks {
        match t.await.unwrap() {
            Ok(_) => wins += 1,
            Err(ApiKeyError::NotFound(_)) => {}
            Err(e) => panic!("{e}"),
        }
    }
    assert_eq!(wins, 1);
    let keys_now: i64 = sqlx::query_scalar("SELECT count(*) FROM pgtenant.api_keys")
        .fetch_one(&mut r.admin().await)
        .await
        .unwrap();
    assert_eq!(keys_now, 2);
}

#[tokio::test]
async fn tenant_b_cannot_list_revoke_rotate_or_write_tenant_a_keys() {
    let r = world().await;
    let mut svc = r.svc_conn().await;
    let k = create(&mut svc, &NewApiKey::new("a-only", &["content.read"])).await;
    let listed = as_user!(svc, B, OWNER_B, |tx| keys().list(&mut tx).await.unwrap());
    assert!(listed.is_empty(), "{listed:?}");
    let listed = as_user!(svc, A, OWNER_A, |tx| keys().list(&mut tx).await.unwrap());
    assert_eq!(listed.len(), 1);
    assert_eq!(
        (listed[0].name.as_str(), listed[0].key_id),
        ("a-only", k.key_id)
    );

    let revoke = as_user!(svc, B, OWNER_B, |tx| keys()
        .revoke(&mut tx, k.key_id)
        .await
        .unwrap_err());
    assert_eq!(
        revoke.to_string(),
        format!("no active API key {} in this tenant", k.key_id),
        "the same answer as for a key that does not exist"
    );
    let rotate = as_user!(svc, B, OWNER_B, |tx| keys()
        .rotate(&mut tx, k.key_id, Duration::from_secs(60))
        .await
        .unwrap_err());
    assert!(matches!(rotate, ApiKeyError::NotFound(_)), "{rotate}");

    r.db.exec(&format!(
        "GRANT INSERT, UPDATE, DELETE ON pgtenant.api_keys TO {}",
        r.svc.name
    ))
    .await;
    let mut tx = svc.begin().await.unwrap();
    set_tenant(&mut tx, &id(A), &id(OWNER_A)).await;
    let changed = sqlx::query(
        "UPDATE pgtenant.api_keys SET scopes = '{admin.tenant.delete}', expires_at = NULL",
    )
    .execute(&mut *tx)
    .await
    .unwrap()
    .rows_affected();
    assert_eq!(
        changed, 0,
        "no write policy: writes only through the functions"
    );
    tx.rollback().await.unwrap();

    // Still A's key, live, naming tenant A.
    let v = keys().verify(&mut svc, k.key.expose()).await.unwrap();
    assert_eq!(v.tenant, id(A));
}

/// Revoking or rotating a key takes its creator or a user who holds all of
/// its scopes (who could have made it): a member cannot kill or take over
/// an owner's wider key; the owner can revoke the member's.
#[tokio::test]
async fn only_the_creator_or_a_holder_of_every_scope_revokes_or_rotates_a_key() {
    let r = world().await;
    let mut svc = r.svc_conn().await;
    let wide = create(
        &mut svc,
        &NewApiKey::new("ci", &["members.invite", "content.read"]),
    )
    .await;
    let lacking = format!(
        "only its creator or a user holding all its scopes may {{}} API key {}; you lack: members.invite",
        wide.key_id
    );
    let revoke = as_user!(svc, A, MEMBER_A, |tx| keys()
        .revoke(&mut tx, wide.key_id)
        .await
        .unwrap_err());
    assert!(matches!(revoke, ApiKeyError::NotAllowed(_)), "{revoke:?}");
    assert_eq!(revoke.to_string(), lacking.replace("{}", "revoke"));
    let rotate = as_user!(svc, A, MEMBER_A, |tx| keys()
        .rotate(&mut tx, wide.key_id, Duration::from_secs(60))
        .await
        .unwrap_err());
    assert_eq!(rotate.to_string(), lacking.replace("{}", "rotate"));
    keys().verify(&mut svc, wide.key.expose()).await.unwrap();

    let own = as_user!(svc, A, MEMBER_A, |tx| keys()
        .create(&mut tx, &NewApiKey::new("mine", &["content.read"]))
        .await
        .unwrap());
    let theirs = as_user!(svc, A, MEMBER_A, |tx| keys()
        .create(&mut tx, &NewApiKey::new("theirs", &["content.read"]))
        .await
        .unwrap());
    as_user!(svc, A, MEMBER_A, |tx| keys()
        .revoke(&mut tx, own.key_id)
        .await
        .unwrap());
    as_user!(svc, A, OWNER_A, |tx| keys()
        .revoke(&mut tx, theirs.key_id)
        .await
        .unwrap());
    for k in [&own, &theirs] {
        assert!(matches!(
            keys().verify(&mut svc, k.key.expose()).await,
            Err(ApiKeyError::Invalid)
        ));
    }
}
