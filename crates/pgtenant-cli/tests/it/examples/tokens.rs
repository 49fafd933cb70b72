//! The examples' token flows on the building-block modules, through the
//! library as the service role, on each example loaded from its migrations:
//! the CRM's sessions (`sessions`), Carcosa's API keys (`api_keys`),
//! Hoolsy's workstation invitations (`invites`) and its refresh tokens
//! (`sessions` in the users database, which has tenancy off).

use super::{PolicyFixture, DEMO_TENANT, USER_U, USER_V};
use pgtenant::api_keys::{ApiKeyError, ApiKeys, NewApiKey};
use pgtenant::invites::{InviteError, Invites, NewInvite};
use pgtenant::module::DEFAULT_SCHEMA;
use pgtenant::sessions::{SessionError, SessionPolicy, Sessions};

const CRM_WORKSPACE: &str = "DemoWorkspace01";
const CRM_OTHER_WORKSPACE: &str = "OtherWorkspace02";
const CRM_OWNER: &str = "00000000-0000-4000-8000-0000000c0001";
const CRM_MEMBER: &str = "00000000-0000-4000-8000-0000000c0002";
const CRM_OTHER_OWNER: &str = "00000000-0000-4000-8000-0000000c0003";

/// How many of the CRM's sessions are revoked, and why (admin's view).
async fn crm_revoked(t: &mut PolicyFixture) -> Vec<(i64, String)> {
    sqlx::query_as(
        "SELECT session_id, revoked_reason FROM pgtenant.sessions
          WHERE revoked_at IS NOT NULL ORDER BY session_id",
    )
    .fetch_all(&mut t.conn)
    .await
    .unwrap()
}

/// The seed's flow: a member of a workspace signs in (a session in that
/// workspace), refreshes (each refresh rotates the token), a rotated token
/// presented again revokes the whole family; idle and absolute expiry are
/// the database's; another workspace can neither see nor revoke the
/// sessions.
#[tokio::test]
async fn core_sessions_rotate_detect_reuse_expire_and_stay_in_their_workspace() {
    let mut t = PolicyFixture::new("core", "core_crm").await;
    t.admin(&format!(
        "INSERT INTO users (id, email, password_hash, name)
           VALUES ('{CRM_OTHER_OWNER}', 'other@core.test', '!disabled', 'Other Owner');
         INSERT INTO workspaces (id, name, created_by)
           VALUES ('{CRM_OTHER_WORKSPACE}', 'Other', '{CRM_OTHER_OWNER}');
         INSERT INTO workspace_members (workspace_id, user_id, role)
           VALUES ('{CRM_OTHER_WORKSPACE}', '{CRM_OTHER_OWNER}', 'owner');"
    ))
    .await;
    let s = Sessions::new(DEFAULT_SCHEMA, SessionPolicy::default());

    // Sign-in and refresh run before any workspace or user is known.
    t.enter(&[]).await;
    let t1 = s
        .create(&mut t.conn, CRM_MEMBER, Some(CRM_WORKSPACE), "crm-web/1")
        .await
        .unwrap();
    assert!(t1.refresh_token.expose().starts_with("pgr_"));
    // Not in a workspace the user is no member of.
    let err = s
        .create(
            &mut t.conn,
            CRM_MEMBER,
            Some(CRM_OTHER_WORKSPACE),
            "crm-web/1",
        )
        .await
        .unwrap_err();
    assert!(matches!(err, SessionError::NotMember(_)), "{err:?}");
    let t2 = s
        .refresh(&mut t.conn, t1.refresh_token.expose())
        .await
        .unwrap();
    assert_eq!(
        (t2.session_id, t2.user_id.as_str(), t2.tenant.as_deref()),
        (t1.session_id, CRM_MEMBER, Some(CRM_WORKSPACE))
    );
    assert_ne!(t2.refresh_token.expose(), t1.refresh_token.expose());
    let t3 = s
        .refresh(&mut t.conn, t2.refresh_token.expose())
        .await
        .unwrap();
    // The first token again, two rotations on: theft. The family dies.
    let err = s
        .refresh(&mut t.conn, t1.refresh_token.expose())
        .await
        .unwrap_err();
    assert_eq!(err.to_string(), "invalid or expired session; log in again");
    assert!(matches!(
        s.refresh(&mut t.conn, t3.refresh_token.expose()).await,
        Err(SessionError::Invalid)
    ));
    t.leave().await;
    assert_eq!(
        crm_revoked(&mut t).await,
        [(t1.session_id, "reused".into())]
    );

    // Idle and absolute expiry, by the database's clock.
    t.enter(&[]).await;
    let idle = s
        .create(&mut t.conn, CRM_MEMBER, Some(CRM_WORKSPACE), "crm-web/1")
        .await
        .unwrap();
    let old = s
        .create(&mut t.conn, CRM_MEMBER, Some(CRM_WORKSPACE), "crm-web/1")
        .await
        .unwrap();
    let live = s
        .create(&mut t.conn, CRM_MEMBER, Some(CRM_WORKSPACE), "crm-mobile/2")
        .await
        .unwrap();
    t.leave().await;
    t.admin(&format!(
        "UPDATE pgtenant.sessions SET last_used_at = now() - interval '8 days'
          WHERE session_id = {};
         UPDATE pgtenant.sessions SET expires_at = now() - interval '1 second'
          WHERE session_id = {};",
        idle.session_id, old.session_id
    ))
    .await;
    t.enter(&[]).await;
    for gone in [&idle, &old] {
        assert!(matches!(
            s.refresh(&mut t.conn, gone.refresh_token.expose()).await,
            Err(SessionError::Invalid)
        ));
    }
    // The member's session list: only the live one.
    t.enter(&[("app.user_id", CRM_MEMBER)]).await;
    let listed: Vec<(i64, String)> = s
        .list(&mut t.conn)
        .await
        .unwrap()
        .into_iter()
        .map(|i| (i.session_id, i.user_agent))
        .collect();
    assert_eq!(listed, [(live.session_id, "crm-mobile/2".to_owned())]);

    // The other workspace's owner sees none of them and revokes none.
    let other = [
        ("app.workspace_id", CRM_OTHER_WORKSPACE),
        ("app.user_id", CRM_OTHER_OWNER),
    ];
    t.enter(&other).await;
    assert!(s.list(&mut t.conn).await.unwrap().is_empty());
    let seen: i64 = sqlx::query_scalar("SELECT count(*) FROM pgtenant.sessions")
        .fetch_one(&mut t.conn)
        .await
        .unwrap();
    assert_eq!(seen, 0);
    let tokens = sqlx::query("SELECT 1 FROM pgtenant.refresh_tokens")
        .execute(&mut t.conn)
        .await
        .unwrap_err();
    assert!(tokens.to_string().contains("permission denied"), "{tokens}");
    let err = s.revoke(&mut t.conn, live.session_id).await.unwrap_err();
    assert_eq!(
        err.to_string(),
        format!("no active session {} here", live.session_id)
    );
    assert_eq!(s.revoke_user(&mut t.conn, CRM_MEMBER).await.unwrap(), 0);
    assert_eq!(s.revoke_tenant(&mut t.conn).await.unwrap(), 0);
    t.enter(&[]).await;
    let live2 = s
        .refresh(&mut t.conn, live.refresh_token.expose())
        .await
        .unwrap();

    // The member's own workspace's owner can sign the member out (the
    // count includes the two expired, never revoked, sessions).
    let own = [
        ("app.workspace_id", CRM_WORKSPACE),
        ("app.user_id", CRM_OWNER),
    ];
    t.enter(&own).await;
    assert_eq!(s.revoke_user(&mut t.conn, CRM_MEMBER).await.unwrap(), 3);
    t.enter(&[]).await;
    assert!(matches!(
        s.refresh(&mut t.conn, live2.refresh_token.expose()).await,
        Err(SessionError::Invalid)
    ));
    t.leave().await;
    t.finish().await;
}

const ACME: &str = "demo_org_acme";
const GLOBEX: &str = "demo_org_globex";
const ALICE: &str = "demo_user_alice";
const BOB: &str = "demo_user_bob";
const GINA: &str = "demo_user_gina";

/// Carcosa's keys: scopes are catalog permissions (the seed's 17 types)
/// the creator holds through their organization role; a key verifies
/// with its organization, creator and scopes; revoke kills it; another
/// organization can neither list nor revoke it.
#[tokio::test]
async fn carcosa_api_keys_hold_at_most_their_creators_permissions_and_stay_in_their_organization() {
    let mut t = PolicyFixture::new("carcosa", "carcosa").await;
    let keys = ApiKeys::new(DEFAULT_SCHEMA, "ck").unwrap();
    let acme_bob = [("app.organization_id", ACME), ("app.user_id", BOB)];

    // Bob is a MEMBER of Acme: files.read and uploads.create are his.
    t.enter(&acme_bob).await;
    let upload = keys
        .create(
            &mut t.conn,
            &NewApiKey::new("web uploads", &["files.read", "uploads.create"]),
        )
        .await
        .unwrap();
    assert!(upload.key.expose().starts_with("ck_"));
    // Deleting files is not: neither is a key that would.
    let err = keys
        .create(
            &mut t.conn,
            &NewApiKey::new("cleanup", &["files.read", "files.delete"]),
        )
        .await
        .unwrap_err();
    assert!(matches!(err, ApiKeyError::NotAllowed(_)), "{err:?}");
    assert_eq!(
        err.to_string(),
        "an API key cannot hold what its creator does not: files.delete"
    );
    // Alice, the OWNER, may grant buckets.admin; a permission outside the
    // catalog no one may.
    t.enter(&[("app.organization_id", ACME), ("app.user_id", ALICE)])
        .await;
    let admin = keys
        .create(&mut t.conn, &NewApiKey::new("ops", &["buckets.admin"]))
        .await
        .unwrap();
    let err = keys
        .create(&mut t.conn, &NewApiKey::new("odd", &["FILES_READ"]))
        .await
        .unwrap_err();
    assert!(matches!(err, ApiKeyError::BadArgument(_)), "{err:?}");

    // A request presents the key: no organization is known yet.
    t.enter(&[]).await;
    let v = keys.verify(&mut t.conn, upload.key.expose()).await.unwrap();
    assert_eq!(
        (v.key_id, v.tenant.as_str(), v.created_by.as_str()),
        (upload.key_id, ACME, BOB)
    );
    assert_eq!(v.scopes, ["files.read", "uploads.create"]);
    assert!(v.has_scope("uploads.create") && !v.has_scope("files.write"));

    // Globex's owner sees no Acme key and revokes none.
    t.enter(&[("app.organization_id", GLOBEX), ("app.user_id", GINA)])
        .await;
    assert!(keys.list(&mut t.conn).await.unwrap().is_empty());
    let seen: i64 = sqlx::query_scalar("SELECT count(*) FROM pgtenant.api_keys")
        .fetch_one(&mut t.conn)
        .await
        .unwrap();
    assert_eq!(seen, 0);
    let err = keys.revoke(&mut t.conn, upload.key_id).await.unwrap_err();
    assert_eq!(
        err.to_string(),
        format!("no active API key {} in this tenant", upload.key_id)
    );
    t.enter(&[]).await;
    keys.verify(&mut t.conn, upload.key.expose()).await.unwrap();

    // Acme lists both keys and revokes one: it no longer verifies.
    t.enter(&acme_bob).await;
    let mut listed: Vec<String> = keys
        .list(&mut t.conn)
        .await
        .unwrap()
        .into_iter()
        .map(|k| k.name)
        .collect();
    listed.sort();
    assert_eq!(listed, ["ops", "web uploads"]);
    keys.revoke(&mut t.conn, upload.key_id).await.unwrap();
    t.enter(&[]).await;
    let err = keys
        .verify(&mut t.conn, upload.key.expose())
        .await
        .unwrap_err();
    assert_eq!(err.to_string(), "invalid or expired API key");
    keys.verify(&mut t.conn, admin.key.expose()).await.unwrap();
    t.leave().await;
    t.finish().await;
}

const HOOLSY_LATE: &str = "00000000-0000-4000-8000-00000000f003";

/// A user's roles in the Demo Workspace, and their membership status
/// (admin's view).
async fn hoolsy_member(t: &mut PolicyFixture, user: &str) -> (Vec<String>, Option<String>) {
    let roles = sqlx::query_scalar(&format!(
        "SELECT r.name FROM pgtenant.role_grants g JOIN pgtenant.roles r USING (role_id)
          WHERE g.tenant_id = '{DEMO_TENANT}' AND g.user_id = '{user}' ORDER BY r.name"
    ))
    .fetch_all(&mut t.conn)
    .await
    .unwrap();
    let status = sqlx::query_scalar(&format!(
        "SELECT status FROM ws_memberships WHERE tenant_id = '{DEMO_TENANT}' AND user_id = '{user}'"
    ))
    .fetch_optional(&mut t.conn)
    .await
    .unwrap();
    (roles, status)
}

/// An admin of a workstation tenant invites someone as `member`: the first
/// accept makes them an active member holding the role, a second accept
/// of the same token fails, and so does an expired invite.
#[tokio::test]
async fn hoolsy_invites_accept_once_with_the_role_and_never_after_expiry() {
    let mut t = PolicyFixture::new("hoolsy", "hoolsy_workstation").await;
    t.admin(&format!(
        "INSERT INTO ws_memberships (tenant_id, user_id) VALUES ('{DEMO_TENANT}', '{USER_U}');
         INSERT INTO pgtenant.role_grants (tenant_id, user_id, role_id)
         SELECT '{DEMO_TENANT}', '{USER_U}', role_id FROM pgtenant.roles
          WHERE tenant_id IS NULL AND name = 'admin';"
    ))
    .await;
    let invites = Invites::new(DEFAULT_SCHEMA);
    t.enter(&[("app.tenant_id", DEMO_TENANT), ("app.user_id", USER_U)])
        .await;
    let new = invites
        .create(&mut t.conn, &NewInvite::new("new@hoolsy.test", "member"))
        .await
        .unwrap();
    assert!(new.token.expose().starts_with("pgi_"));
    let late = invites
        .create(&mut t.conn, &NewInvite::new("late@hoolsy.test", "member"))
        .await
        .unwrap();
    // The admin cannot hand out more than it holds.
    let err = invites
        .create(&mut t.conn, &NewInvite::new("boss@hoolsy.test", "owner"))
        .await
        .unwrap_err();
    assert!(matches!(err, InviteError::NotAllowed(_)), "{err:?}");

    // The invitee, signed in to the users database, accepts: no tenant is
    // known until the invite names it.
    t.enter(&[]).await;
    let accepted = invites
        .accept(&mut t.conn, new.token.expose(), USER_V, "new@hoolsy.test")
        .await
        .unwrap();
    assert_eq!(
        (
            accepted.invite_id,
            accepted.tenant.as_str(),
            accepted.role.as_str()
        ),
        (new.invite_id, DEMO_TENANT, "member")
    );
    let again = invites
        .accept(&mut t.conn, new.token.expose(), USER_V, "new@hoolsy.test")
        .await
        .unwrap_err();
    assert_eq!(again.to_string(), "invalid or expired invite");
    t.leave().await;
    assert_eq!(
        hoolsy_member(&mut t, USER_V).await,
        (vec!["member".to_owned()], Some("active".to_owned()))
    );
    assert!(t.allowed(DEMO_TENANT, USER_V, "content.nodes.view").await);
    assert!(
        !t.allowed(DEMO_TENANT, USER_V, "content.projects.delete")
            .await
    );

    // Expiry is the database's: an invite past it is refused like any other.
    t.admin(&format!(
        "UPDATE pgtenant.invites SET expires_at = now() - interval '1 second'
          WHERE invite_id = {}",
        late.invite_id
    ))
    .await;
    t.enter(&[]).await;
    let err = invites
        .accept(
            &mut t.conn,
            late.token.expose(),
            HOOLSY_LATE,
            "late@hoolsy.test",
        )
        .await
        .unwrap_err();
    assert!(matches!(err, InviteError::Invalid), "{err:?}");
    t.leave().await;
    assert_eq!(hoolsy_member(&mut t, HOOLSY_LATE).await, (vec![], None));
    t.finish().await;
}

/// The live and the revoked sessions of the users database, and its token
/// rows (admin's view).
async fn hoolsy_sessions(t: &mut PolicyFixture) -> (i64, i64, i64) {
    sqlx::query_as(
        "SELECT count(*) FILTER (WHERE revoked_at IS NULL),
                count(*) FILTER (WHERE revoked_at IS NOT NULL),
                (SELECT count(*) FROM pgtenant.refresh_tokens)
           FROM pgtenant.sessions",
    )
    .fetch_one(&mut t.conn)
    .await
    .unwrap()
}

/// Hoolsy's JWT refresh tokens, on the sessions module in `hoolsy_users`
/// (tenancy off, users in the same database): each refresh rotates; the
/// token just replaced still refreshes within the grace window (two tabs)
/// without revoking anything; an older one revokes the family; a user sees
/// and revokes only their own sessions; deleting a user ends them all.
#[tokio::test]
async fn hoolsy_refresh_tokens_rotate_detect_reuse_and_end_with_their_user() {
    let mut t = PolicyFixture::new("hoolsy", "hoolsy_users").await;
    t.admin(&format!(
        "INSERT INTO users (user_id, email, password_hash)
           VALUES ('{USER_U}', 'u@hoolsy.test', '!disabled'),
                  ('{USER_V}', 'v@hoolsy.test', '!disabled');"
    ))
    .await;
    let s = Sessions::new(DEFAULT_SCHEMA, SessionPolicy::default());

    // Login and refresh run before any user is known.
    t.enter(&[]).await;
    let t1 = s
        .create(&mut t.conn, USER_U, None, "hoolsy-web/1")
        .await
        .unwrap();
    let t2 = s
        .refresh(&mut t.conn, t1.refresh_token.expose())
        .await
        .unwrap();
    assert_eq!(
        (t2.session_id, t2.user_id.as_str(), t2.tenant.as_deref()),
        (t1.session_id, USER_U, None)
    );
    // A second tab presents t1 at the same moment: within the grace window
    // it gets a token too, and the session stays.
    let tab = s
        .refresh(&mut t.conn, t1.refresh_token.expose())
        .await
        .unwrap();
    assert_eq!(tab.session_id, t1.session_id);
    let t3 = s
        .refresh(&mut t.conn, t2.refresh_token.expose())
        .await
        .unwrap();
    t.leave().await;
    assert_eq!(hoolsy_sessions(&mut t).await.1, 0, "nothing revoked yet");

    // t1 is now two generations old: theft, whatever the window.
    t.enter(&[]).await;
    assert!(matches!(
        s.refresh(&mut t.conn, t1.refresh_token.expose()).await,
        Err(SessionError::Invalid)
    ));
    assert!(matches!(
        s.refresh(&mut t.conn, t3.refresh_token.expose()).await,
        Err(SessionError::Invalid)
    ));
    t.leave().await;
    assert_eq!(hoolsy_sessions(&mut t).await.1, 1, "the family is revoked");

    // Another user sees none of U's sessions and revokes none.
    t.enter(&[]).await;
    let u = s
        .create(&mut t.conn, USER_U, None, "hoolsy-mobile/2")
        .await
        .unwrap();
    let v = s
        .create(&mut t.conn, USER_V, None, "hoolsy-web/1")
        .await
        .unwrap();
    t.enter(&[("app.user_id", USER_V)]).await;
    let listed: Vec<i64> = s
        .list(&mut t.conn)
        .await
        .unwrap()
        .into_iter()
        .map(|i| i.session_id)
        .collect();
    assert_eq!(listed, [v.session_id]);
    let err = s.revoke(&mut t.conn, u.session_id).await.unwrap_err();
    assert_eq!(
        err.to_string(),
        format!("no active session {} here", u.session_id)
    );
    assert_eq!(s.revoke_user(&mut t.conn, USER_U).await.unwrap(), 0);
    // With tenancy off there is no tenant to sign out.
    let err = s.revoke_tenant(&mut t.conn).await.unwrap_err();
    assert_eq!(
        err.to_string(),
        "revoking a tenant's sessions needs the tenant in the settings"
    );
    t.enter(&[]).await;
    s.refresh(&mut t.conn, u.refresh_token.expose())
        .await
        .unwrap();

    // The sessions reference the users table: a deleted user's end.
    t.leave().await;
    t.admin(&format!("DELETE FROM users WHERE user_id = '{USER_U}'"))
        .await;
    let left: Vec<String> = sqlx::query_scalar("SELECT user_id::text FROM pgtenant.sessions")
        .fetch_all(&mut t.conn)
        .await
        .unwrap();
    assert_eq!(left, [USER_V]);
    assert_eq!(hoolsy_sessions(&mut t).await, (1, 0, 1));
    t.finish().await;
}
