//! The sessions module against a real server, as the service role:
//! rotation, reuse detection with and without the grace window, absolute
//! and idle expiry by the database clock, concurrent refreshes, revoking
//! one / a user's / a tenant's sessions without reaching another tenant's,
//! and pinned error text.

use crate::support::{refused, set_tenant, ServiceDb, TENANT_A, TENANT_B};
use pgtenant::sessions::{IssuedSession, SessionError, SessionPolicy, Sessions};
use sqlx::{Connection, PgConnection};
use std::time::Duration;

const U1: &str = "00000000-0000-4000-8000-0000000000a1";
const U2: &str = "00000000-0000-4000-8000-0000000000a2";

fn sessions(grace_secs: u64) -> Sessions {
    Sessions::new(
        "pgtenant",
        SessionPolicy {
            grace: Duration::from_secs(grace_secs),
            ..SessionPolicy::default()
        },
    )
}

async fn open(
    svc: &mut PgConnection,
    s: &Sessions,
    user: &str,
    tenant: Option<&str>,
) -> IssuedSession {
    s.create(svc, user, tenant, "test-agent/1").await.unwrap()
}

async fn refresh(
    svc: &mut PgConnection,
    s: &Sessions,
    t: &IssuedSession,
) -> Result<IssuedSession, SessionError> {
    s.refresh(svc, t.refresh_token.expose()).await
}

async fn revoked_reason(m: &ServiceDb, session_id: i64) -> Option<String> {
    sqlx::query_scalar("SELECT revoked_reason FROM pgtenant.sessions WHERE session_id = $1")
        .bind(session_id)
        .fetch_one(&mut m.admin().await)
        .await
        .unwrap()
}

#[tokio::test]
async fn each_refresh_rotates_and_a_rotated_token_revokes_the_family() {
    let m = ServiceDb::with_modules(&["sessions"]).await;
    let mut svc = m.svc_conn().await;
    let s = sessions(0);
    let t1 = open(&mut svc, &s, U1, Some(TENANT_A)).await;
    assert!(t1.refresh_token.expose().starts_with("pgr_"));
    let shown = format!("{t1:?}");
    assert!(
        !shown.contains(&t1.refresh_token.expose()[16..]) && shown.contains("***"),
        "{shown}"
    );

    let t2 = refresh(&mut svc, &s, &t1).await.unwrap();
    assert_eq!((t2.session_id, t2.user_id.as_str()), (t1.session_id, U1));
    assert_eq!(t2.tenant.as_deref(), Some(TENANT_A));
    assert_eq!(
        t2.expires_at, t1.expires_at,
        "a refresh never extends the absolute expiry"
    );
    let t3 = refresh(&mut svc, &s, &t2).await.unwrap();
    assert_eq!(revoked_reason(&m, t1.session_id).await, None);

    // t2 again: theft. The whole family dies, t3 included.
    let reused = refresh(&mut svc, &s, &t2).await.unwrap_err();
    assert_eq!(
        reused.to_string(),
        "invalid or expired session; log in again"
    );
    assert_eq!(
        revoked_reason(&m, t1.session_id).await.as_deref(),
        Some("reused")
    );
    assert!(matches!(
        refresh(&mut svc, &s, &t3).await,
        Err(SessionError::Invalid)
    ));

    // A guessed secret with a real lookup id is invalid and revokes nothing.
    let other = open(&mut svc, &s, U1, None).await;
    let text = other.refresh_token.expose();
    let forged = pgtenant::token::Token::generate("pgr").unwrap();
    let forged = format!(
        "pgr_{}{}",
        other.refresh_token.lookup_id(),
        &forged.expose()[16..40]
    );
    let forged = fix_checksum(&forged);
    assert!(matches!(
        s.refresh(&mut svc, &forged).await,
        Err(SessionError::Invalid)
    ));
    assert!(matches!(
        s.refresh(&mut svc, &text[..text.len() - 1]).await,
        Err(SessionError::Invalid)
    ));
    assert_eq!(revoked_reason(&m, other.session_id).await, None);
    refresh(&mut svc, &s, &other).await.unwrap();
}

/// `pgr_<body>` with its checksum, built the way the token module does.
fn fix_checksum(signed: &str) -> String {
    const BASE62: &[u8] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
    let mut n = crc32fast::hash(signed.as_bytes());
    let mut sum = [b'0'; 6];
    for slot in sum.iter_mut().rev() {
        *slot = BASE62[usize::try_from(n % 62).unwrap()];
        n /= 62;
    }
    let t = format!("{signed}_{}", String::from_utf8(sum.to_vec()).unwrap());
    assert!(pgtenant::token::Token::parse(&t).is_ok());
    t
}

#[tokio::test]
async fn the_previous_token_refreshes_within_the_grace_window_only() {
    let m = ServiceDb::with_modules(&["sessions"]).await;
    let mut svc = m.svc_conn().await;
    let s = sessions(10);
    let t1 = open(&mut svc, &s, U1, None).await;
    let t2 = refresh(&mut svc, &s, &t1).await.unwrap();
    // Tab two presents t1 too: a sibling of t2, nothing revoked.
    let t2b = refresh(&mut svc, &s, &t1).await.unwrap();
    let t3 = refresh(&mut svc, &s, &t2).await.unwrap();
    // t2b is now of the previous generation, rotated just now: still fine.
    let t3b = refresh(&mut svc, &s, &t2b).await.unwrap();
    assert_eq!(revoked_reason(&m, t1.session_id).await, None);
    // t1 is two generations back: reuse.
    assert!(matches!(
        refresh(&mut svc, &s, &t1).await,
        Err(SessionError::Invalid)
    ));
    assert_eq!(
        revoked_reason(&m, t1.session_id).await.as_deref(),
        Some("reused")
    );
    assert!(matches!(
        refresh(&mut svc, &s, &t3).await,
        Err(SessionError::Invalid)
    ));
    assert!(matches!(
        refresh(&mut svc, &s, &t3b).await,
        Err(SessionError::Invalid)
    ));

    // Past the window the previous token is reuse too.
    let u1 = open(&mut svc, &s, U1, None).await;
    let u2 = refresh(&mut svc, &s, &u1).await.unwrap();
    sqlx::query("UPDATE pgtenant.refresh_tokens SET rotated_at = rotated_at - interval '11 seconds' WHERE session_id = $1")
        .bind(u1.session_id)
        .execute(&mut m.admin().await)
        .await
        .unwrap();
    assert!(matches!(
        refresh(&mut svc, &s, &u1).await,
        Err(SessionError::Invalid)
    ));
    assert_eq!(
        revoked_reason(&m, u1.session_id).await.as_deref(),
        Some("reused")
    );
    assert!(matches!(
        refresh(&mut svc, &s, &u2).await,
        Err(SessionError::Invalid)
    ));
}

#[tokio::test]
async fn absolute_and_idle_expiry_are_the_database_clock() {
    let m = ServiceDb::with_modules(&["sessions"]).await;
    let mut svc = m.svc_conn().await;
    let mut admin = m.admin().await;
    let s = sessions(0);
    let old = open(&mut svc, &s, U1, None).await;
    let idle = open(&mut svc, &s, U1, None).await;
    let live = open(&mut svc, &s, U1, None).await;
    sqlx::query("UPDATE pgtenant.sessions SET expires_at = now() - interval '1 second' WHERE session_id = $1")
        .bind(old.session_id)
        .execute(&mut admin)
        .await
        .unwrap();
    sqlx::query("UPDATE pgtenant.sessions SET last_used_at = now() - idle_timeout - interval '1 second' WHERE session_id = $1")
        .bind(idle.session_id)
        .execute(&mut admin)
        .await
        .unwrap();
    assert!(matches!(
        refresh(&mut svc, &s, &old).await,
        Err(SessionError::Invalid)
    ));
    assert!(matches!(
        refresh(&mut svc, &s, &idle).await,
        Err(SessionError::Invalid)
    ));
    assert_eq!(
        revoked_reason(&m, old.session_id).await,
        None,
        "expired, not revoked"
    );
    let mut tx = svc.begin().await.unwrap();
    set_tenant(&mut tx, "", U1).await;
    let listed = s.list(&mut tx).await.unwrap();
    tx.rollback().await.unwrap();
    let ids: Vec<i64> = listed.iter().map(|l| l.session_id).collect();
    assert_eq!(ids, [live.session_id]);
    assert_eq!(listed[0].user_agent, "test-agent/1");

    let bad = Sessions::new(
        "pgtenant",
        SessionPolicy {
            grace: Duration::from_secs(600),
            ..SessionPolicy::default()
        },
    )
    .create(&mut svc, U1, None, "")
    .await
    .unwrap_err();
    assert_eq!(
        bad.to_string(),
        "session lifetimes must be positive and the grace window 0 to 5 minutes"
    );
}

async fn race(m: &ServiceDb, s: &Sessions, t: &IssuedSession, n: usize) -> usize {
    let mut tasks = Vec::new();
    for _ in 0..n {
        let mut conn = m.svc_conn().await;
        let s = s.clone();
        let token = t.refresh_token.clone();
        tasks.push(tokio::spawn(async move {
            s.refresh(&mut conn, token.expose()).await
        }));
    }
    let mut ok = 0;
    for task in tasks {
        match task.await.unwrap() {
            Ok(_) => ok += 1,
            Err(SessionError::Invalid) => {}
            Err(e) => panic!("{e}"),
        }
    }
    ok
}

#[tokio::test]
async fn concurrent_refreshes_rotate_exactly_once() {
    let m = ServiceDb::with_modules(&["sessions"]).await;
    let mut svc = m.svc_conn().await;
    // No grace: one winner; the others are reuse, so the family is revoked.
    let strict = sessions(0);
    let t = open(&mut svc, &strict, U1, None).await;
    assert_eq!(race(&m, &strict, &t, 6).await, 1);
    assert_eq!(
        revoked_reason(&m, t.session_id).await.as_deref(),
        Some("reused")
    );

    // With grace: one rotation, the racers get siblings, nobody is logged out.
    let kind = sessions(10);
    let t = open(&mut svc, &kind, U1, None).await;
    assert_eq!(race(&m, &kind, &t, 6).await, 6);
    let (generation, tokens): (i32, i64) = sqlx::query_as(
        "SELECT s.generation, (SELECT count(*) FROM pgtenant.refresh_tokens r WHERE r.session_id = s.session_id)
           FROM pgtenant.sessions s WHERE s.session_id = $1 AND s.revoked_at IS NULL",
    )
    .bind(t.session_id)
    .fetch_one(&mut m.admin().await)
    .await
    .unwrap();
    assert_eq!((generation, tokens), (2, 7));
}

#[tokio::test]
async fn revoking_reaches_only_the_users_own_or_the_tenants_sessions() {
    let m = ServiceDb::with_modules(&["sessions"]).await;
    let mut svc = m.svc_conn().await;
    let s = sessions(0);
    let a1 = open(&mut svc, &s, U1, Some(TENANT_A)).await;
    let b1 = open(&mut svc, &s, U1, Some(TENANT_B)).await;
    let g1 = open(&mut svc, &s, U1, None).await;
    let a2 = open(&mut svc, &s, U2, Some(TENANT_A)).await;

    // U2 sees only their own; the tokens table not at all.
    let mut tx = svc.begin().await.unwrap();
    set_tenant(&mut tx, TENANT_A, U2).await;
    let listed = s.list(&mut tx).await.unwrap();
    assert_eq!(
        listed.iter().map(|l| l.session_id).collect::<Vec<_>>(),
        [a2.session_id]
    );
    tx.rollback().await.unwrap();
    // The module grants SELECT on sessions and nothing on the tokens: every
    // change goes through its functions.
    for (statement, table) in [
        (
            "SELECT count(*) FROM pgtenant.refresh_tokens",
            "refresh_tokens",
        ),
        (
            "UPDATE pgtenant.sessions SET revoked_at = NULL, expires_at = 'infinity'",
            "sessions",
        ),
    ] {
        let mut tx = svc.begin().await.unwrap();
        set_tenant(&mut tx, TENANT_A, U2).await;
        assert_eq!(
            refused(&mut tx, statement).await,
            format!("permission denied for table {table}")
        );
        tx.rollback().await.unwrap();
    }

    // An admin of tenant B (U2 acting in B) cannot revoke U1's session in A.
    let mut tx = svc.begin().await.unwrap();
    set_tenant(&mut tx, TENANT_B, U2).await;
    let err = s.revoke(&mut tx, a1.session_id).await.unwrap_err();
    assert_eq!(
        err.to_string(),
        format!("no active session {} here", a1.session_id)
    );
    tx.rollback().await.unwrap();

    // U2 acting in A revokes U1's sessions: only the one opened in A.
    let mut tx = svc.begin().await.unwrap();
    set_tenant(&mut tx, TENANT_A, U2).await;
    assert_eq!(s.revoke_user(&mut tx, U1).await.unwrap(), 1);
    tx.commit().await.unwrap();
    assert!(matches!(
        refresh(&mut svc, &s, &a1).await,
        Err(SessionError::Invalid)
    ));
    assert_eq!(revoked_reason(&m, b1.session_id).await, None);

    // Tenant B's sessions, then U1 logging out everywhere.
    let mut tx = svc.begin().await.unwrap();
    set_tenant(&mut tx, TENANT_B, U2).await;
    assert_eq!(s.revoke_tenant(&mut tx).await.unwrap(), 1);
    tx.commit().await.unwrap();
    assert_eq!(
        revoked_reason(&m, b1.session_id).await.as_deref(),
        Some("revoked")
    );
    let mut tx = svc.begin().await.unwrap();
    set_tenant(&mut tx, "", U1).await;
    s.revoke(&mut tx, g1.session_id).await.unwrap();
    assert_eq!(s.revoke_user(&mut tx, U1).await.unwrap(), 0);
    tx.commit().await.unwrap();
    assert!(matches!(
        refresh(&mut svc, &s, &g1).await,
        Err(SessionError::Invalid)
    ));
    refresh(&mut svc, &s, &a2).await.unwrap();
    let none = s.revoke_tenant(&mut svc).await.unwrap_err();
    assert_eq!(
        none.to_string(),
        "revoking a tenant's sessions needs the tenant in the settings"
    );
}

/// With a membership table (under a forced tenant policy, with a status),
/// a session opens in a tenant only for its active members; without a
/// tenant, for anyone the caller authenticated.
#[tokio::test]
async fn a_session_opens_in_a_tenant_only_for_its_active_members() {
    use crate::support::policy_sql;
    use pgtenant::module::{self, MembershipStatus, ModuleParams};
    use pgtenant::{MembershipConfig, TenantKeyType};
    let m = crate::support::ServiceDb::create(|svc| {
        let params = ModuleParams::new(TenantKeyType::Uuid, TenantKeyType::Uuid)
            .user_setting("app.user_id")
            .root_table("tenants", "id")
            .membership(MembershipConfig::new("memberships", "user_id", "tenant_id"))
            .membership_status(MembershipStatus::new("status", &["active"]))
            .service_role(svc);
        let mut sql = format!(
            "CREATE TABLE tenants (id uuid PRIMARY KEY, name text NOT NULL);
             INSERT INTO tenants VALUES ('{TENANT_A}', 'A'), ('{TENANT_B}', 'B');
             CREATE TABLE memberships (user_id uuid NOT NULL, tenant_id uuid NOT NULL REFERENCES tenants,
                                       status text NOT NULL, PRIMARY KEY (tenant_id, user_id));
             INSERT INTO memberships VALUES ('{U1}', '{TENANT_A}', 'active'), ('{U2}', '{TENANT_A}', 'suspended');\n"
        );
        sql.push_str(&policy_sql("memberships", "tenant_id", "uuid"));
        sql.push_str(&module::by_name("sessions").unwrap().render_script(&params).unwrap());
        sql.push_str(&format!("GRANT USAGE ON SCHEMA pgtenant TO {svc};\n"));
        sql
    })
    .await;
    let mut svc = m.svc_conn().await;
    let s = sessions(10);
    open(&mut svc, &s, U1, Some(TENANT_A)).await;
    open(&mut svc, &s, U2, None).await;
    for (user, tenant) in [(U1, TENANT_B), (U2, TENANT_A)] {
        let err = s
            .create(&mut svc, user, Some(tenant), "test-agent/1")
            .await
            .unwrap_err();
        assert!(matches!(err, SessionError::NotMember(_)), "{err:?}");
        assert_eq!(
            err.to_string(),
            "a session opens only in a tenant the user is an active member of"
        );
    }
    // The check read the memberships in their tenant and put the caller's
    // (empty) setting back.
    let setting: Option<String> =
        sqlx::query_scalar("SELECT NULLIF(current_setting('app.tenant_id', true), '')")
            .fetch_one(&mut svc)
            .await
            .unwrap();
    assert_eq!(setting, None);
    let sessions: i64 = sqlx::query_scalar("SELECT count(*) FROM pgtenant.sessions")
        .fetch_one(&mut m.admin().await)
        .await
        .unwrap();
    assert_eq!(sessions, 2);
}
