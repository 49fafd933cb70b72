//! The invites module against a real server, as the service role: accept
//! once and only by the invited address, expiry by the database clock,
//! resend and revoke, one winner among concurrent accepts, tenant B unable
//! to see or touch tenant A's invites, pinned error text, and the token
//! never on the wire.

use crate::rbac_support::as_user;
use crate::rbac_support::{has, id, two_tenants, A, B, MEMBER_A, NEWCOMER, OWNER_A, OWNER_B};
use crate::support::{refused, set_tenant, ServiceDb};
use pgtenant::invites::{InviteError, Invites, IssuedInvite, NewInvite};
use pgtenant_testkit::WireTap;
use sqlx::postgres::PgConnectOptions;
use sqlx::{Connection, PgConnection};
use std::str::FromStr;
use std::time::Duration;

async fn world() -> ServiceDb {
    two_tenants(&["invites"]).await
}

fn invites() -> Invites {
    Invites::new("pgtenant")
}

async fn invite(svc: &mut PgConnection, email: &str, role: &str) -> IssuedInvite {
    as_user!(svc, A, OWNER_A, |tx| invites()
        .create(&mut tx, &NewInvite::new(email, role))
        .await
        .unwrap())
}

async fn accept(
    svc: &mut PgConnection,
    token: &str,
    user: u64,
    email: &str,
) -> Result<pgtenant::invites::Accepted, InviteError> {
    invites().accept(svc, token, &id(user), email).await
}

#[tokio::test]
async fn accept_joins_with_the_role_exactly_once_and_only_by_the_invited_address() {
    let r = world().await;
    let mut svc = r.svc_conn().await;
    let inv = invite(&mut svc, "New@Example.com", "member").await;
    let text = inv.token.expose().to_owned();
    assert!(text.starts_with("pgi_"), "{text}");
    let shown = format!("{inv:?}");
    assert!(
        !shown.contains(&text[16..]) && shown.contains("***"),
        "{shown}"
    );

    let wrong = accept(&mut svc, &text, NEWCOMER, "other@example.com").await;
    assert!(matches!(wrong, Err(InviteError::Invalid)), "{wrong:?}");
    assert!(!has(&mut svc, &id(NEWCOMER), &id(A), "content.read").await);

    let ok = accept(&mut svc, &text, NEWCOMER, "new@example.com")
        .await
        .unwrap();
    assert_eq!(
        (ok.tenant.as_str(), ok.role.as_str()),
        (id(A).as_str(), "member")
    );
    assert!(has(&mut svc, &id(NEWCOMER), &id(A), "content.read").await);
    assert!(!has(&mut svc, &id(NEWCOMER), &id(A), "members.invite").await);

    let again = accept(&mut svc, &text, NEWCOMER, "new@example.com").await;
    assert_eq!(again.unwrap_err().to_string(), "invalid or expired invite");
    // A typo never reaches the database; a forged secret with a real
    // lookup id is the same answer.
    let mut typo = text.clone().into_bytes();
    typo[20] = if typo[20] == b'a' { b'b' } else { b'a' };
    let typo = String::from_utf8(typo).unwrap();
    assert!(matches!(
        accept(&mut svc, &typo, NEWCOMER, "new@example.com").await,
        Err(InviteError::Invalid)
    ));
    let pending = as_user!(svc, A, OWNER_A, |tx| invites()
        .pending(&mut tx)
        .await
        .unwrap());
    assert!(pending.is_empty(), "{pending:?}");
}

#[tokio::test]
async fn expiry_is_the_database_clock_and_resend_kills_the_old_token() {
    let r = world().await;
    let mut svc = r.svc_conn().await;
    let mut admin = r.admin().await;
    let inv = as_user!(svc, A, OWNER_A, |tx| invites()
        .create(
            &mut tx,
            &NewInvite::new("late@example.com", "member").ttl(Duration::from_secs(3600))
        )
        .await
        .unwrap());
    let pending = as_user!(svc, A, OWNER_A, |tx| invites()
        .pending(&mut tx)
        .await
        .unwrap());
    assert_eq!(pending.len(), 1);
    assert_eq!(pending[0].email, "late@example.com");
    assert_eq!(pending[0].role_name, "member");
    assert_eq!(pending[0].invited_by, id(OWNER_A));
    let ttl = pending[0].expires_at - pending[0].created_at;
    assert_eq!(ttl.num_seconds(), 3600);

    sqlx::query("UPDATE pgtenant.invites SET expires_at = now() - interval '1 second'")
        .execute(&mut admin)
        .await
        .unwrap();
    let expired = accept(&mut svc, inv.token.expose(), NEWCOMER, "late@example.com").await;
    assert!(matches!(expired, Err(InviteError::Invalid)), "{expired:?}");
    let pending = as_user!(svc, A, OWNER_A, |tx| invites()
        .pending(&mut tx)
        .await
        .unwrap());
    assert!(pending.is_empty(), "an expired invite is not pending");

    let again = as_user!(svc, A, OWNER_A, |tx| invites()
        .resend(&mut tx, inv.invite_id, pgtenant::invites::DEFAULT_TTL)
        .await
        .unwrap());
    assert_ne!(again.token.expose(), inv.token.expose());
    let old = accept(&mut svc, inv.token.expose(), NEWCOMER, "late@example.com").await;
    assert!(matches!(old, Err(InviteError::Invalid)), "{old:?}");
    accept(&mut svc, again.token.expose(), NEWCOMER, "late@example.com")
        .await
        .unwrap();
}

#[tokio::test]
async fn revoked_invites_are_dead_and_errors_are_pinned() {
    let r = world().await;
    let mut svc = r.svc_conn().await;
    let inv = invite(&mut svc, "x@example.com", "member").await;
    as_user!(svc, A, OWNER_A, |tx| invites()
        .revoke(&mut tx, inv.invite_id)
        .await
        .unwrap());
    let dead = accept(&mut svc, inv.token.expose(), NEWCOMER, "x@example.com").await;
    assert!(matches!(dead, Err(InviteError::Invalid)), "{dead:?}");
    let twice = as_user!(svc, A, OWNER_A, |tx| invites()
        .revoke(&mut tx, inv.invite_id)
        .await
        .unwrap_err());
    assert_eq!(
        twice.to_string(),
        format!("no pending invite {} in this tenant", inv.invite_id)
    );

    // A second open invite for the same address.
    invite(&mut svc, "dup@example.com", "member").await;
    let mut tx = svc.begin().await.unwrap();
    set_tenant(&mut tx, &id(A), &id(OWNER_A)).await;
    let dup = invites()
        .create(&mut tx, &NewInvite::new("DUP@example.com", "member"))
        .await
        .unwrap_err();
    assert_eq!(
        dup.to_string(),
        "DUP@example.com already has a pending invite to this tenant; resend it, or revoke it first"
    );
    tx.rollback().await.unwrap();

    // Members, by user id or by an accepted invite.
    let member = as_user!(svc, A, OWNER_A, |tx| invites()
        .create(
            &mut tx,
            &NewInvite::new("m@example.com", "member").existing_user(&id(MEMBER_A))
        )
        .await
        .unwrap_err());
    assert_eq!(
        member.to_string(),
        "m@example.com is already a member of this tenant; change their roles instead of \
         inviting them again"
    );
    let joined = invite(&mut svc, "joined@example.com", "member").await;
    accept(
        &mut svc,
        joined.token.expose(),
        NEWCOMER,
        "joined@example.com",
    )
    .await
    .unwrap();
    let rejoin = as_user!(svc, A, OWNER_A, |tx| invites()
        .create(&mut tx, &NewInvite::new("Joined@Example.com", "member"))
        .await
        .unwrap_err());
    assert!(matches!(rejoin, InviteError::AlreadyMember(_)), "{rejoin}");

    // Nobody hands out more than they hold; unknown roles; no context.
    let escalate = as_user!(svc, A, MEMBER_A, |tx| invites()
        .create(&mut tx, &NewInvite::new("y@example.com", "owner"))
        .await
        .unwrap_err());
    assert_eq!(
        escalate.to_string(),
        "role owner gives permissions the inviter does not hold: admin.tenant.delete, members.invite"
    );
    let unknown = as_user!(svc, A, OWNER_A, |tx| invites()
        .create(&mut tx, &NewInvite::new("y@example.com", "nope"))
        .await
        .unwrap_err());
    assert_eq!(unknown.to_string(), "no role 'nope' in this tenant");
    let none = invites()
        .create(&mut svc, &NewInvite::new("y@example.com", "member"))
        .await
        .unwrap_err();
    assert_eq!(
        none.to_string(),
        "invites need a tenant and a user: call it inside a tenant transaction that names the \
         acting user"
    );
}

#[tokio::test]
async fn concurrent_accepts_have_exactly_one_winner() {
    let r = world().await;
    let mut svc = r.svc_conn().await;
    let inv = invite(&mut svc, "race@example.com", "member").await;
    let mut tasks = Vec::new();
    for n in 0..6 {
        let mut conn = r.svc_conn().await;
        let token = inv.token.clone();
        tasks.push(tokio::spawn(async move {
            invites()
                .accept(&mut conn, token.expose(), &id(100 + n), "race@example.com")
                .await
        }));
    }
    let mut wins = 0;
    for t in tasks {
        match t.await.unwrap() {
            Ok(_) => wins += 1,
            Err(InviteError::Invalid) => {}
            Err(e) => panic!("{e}"),
        }
    }
    assert_eq!(wins, 1);
    let members: i64 =
        sqlx::query_scalar("SELECT count(*) FROM memberships WHERE tenant_id = $1::uuid")
            .bind(id(A))
            .fetch_one(&mut r.admin().await)
            .await
            .unwrap();
    assert_eq!(members, 3, "the two members and one newcomer");
}

#[tokio::test]
async fn tenant_b_cannot_list_resend_revoke_or_write_tenant_a_invites() {
    let r = world().await;
    let mut svc = r.svc_conn().await;
    let inv = invite(&mut svc, "a-only@example.com", "member").await;

    let listed = as_user!(svc, B, OWNER_B, |tx| invites()
        .pending(&mut tx)
        .await
        .unwrap());
    assert!(listed.is_empty(), "{listed:?}");
    let revoke = as_user!(svc, B, OWNER_B, |tx| invites()
        .revoke(&mut tx, inv.invite_id)
        .await
        .unwrap_err());
    assert_eq!(
        revoke.to_string(),
        format!("no pending invite {} in this tenant", inv.invite_id),
        "the same answer as for an invite that does not exist"
    );
    let resend = as_user!(svc, B, OWNER_B, |tx| invites()
        .resend(&mut tx, inv.invite_id, Duration::from_secs(60))
        .await
        .unwrap_err());
    assert!(matches!(resend, InviteError::NotPending(_)), "{resend}");

    // Direct writes, even with the table grants bootstrap's default
    // privileges give.
    r.db.exec(&format!(
        "GRANT INSERT, UPDATE, DELETE ON pgtenant.invites TO {}",
        r.svc.name
    ))
    .await;
    let mut tx = svc.begin().await.unwrap();
    set_tenant(&mut tx, &id(A), &id(OWNER_A)).await;
    let changed = sqlx::query("UPDATE pgtenant.invites SET expires_at = now() + interval '1 year'")
        .execute(&mut *tx)
        .await
        .unwrap()
        .rows_affected();
    assert_eq!(
        changed, 0,
        "no write policy: writes only through the functions"
    );
    tx.rollback().await.unwrap();
    let mut tx = svc.begin().await.unwrap();
    set_tenant(&mut tx, &id(A), &id(OWNER_A)).await;
    let forged = refused(
        &mut tx,
        &format!(
            "INSERT INTO pgtenant.invites (tenant_id, email, role_id, invited_by, lookup_id, token_hash, expires_at)
             SELECT '{}', 'me@example.com', role_id, '{}', 'AAAAAAAAAAAA', sha256('x'), 'infinity'
               FROM pgtenant.roles WHERE name = 'owner'",
            id(A),
            id(OWNER_A)
        ),
    )
    .await;
    assert_eq!(
        forged,
        "new row violates row-level security policy for table \"invites\""
    );
    tx.rollback().await.unwrap();
    let rows: i64 = as_user!(svc, B, OWNER_B, |tx| sqlx::query_scalar(
        "SELECT count(*) FROM pgtenant.invites"
    )
    .fetch_one(&mut *tx)
    .await
    .unwrap());
    assert_eq!(rows, 0);

    // Still A's, untouched.
    accept(&mut svc, inv.token.expose(), NEWCOMER, "a-only@example.com")
        .await
        .unwrap();
}

/// What the library sends: the lookup id and the hash, never the token.
#[tokio::test]
async fn the_token_never_crosses_the_wire() {
    let r = world().await;
    let tap = WireTap::start(&r.db.url).await;
    let opts = PgConnectOptions::from_str(&tap.url(&r.db.url))
        .unwrap()
        .username(&r.svc.name);
    let mut conn = PgConnection::connect_with(&opts).await.unwrap();
    let inv = invite(&mut conn, "wire@example.com", "member").await;
    accept(&mut conn, inv.token.expose(), NEWCOMER, "wire@example.com")
        .await
        .unwrap();
    let secret = &inv.token.expose().as_bytes()[16..40];
    let messages = tap.messages();
    assert!(messages.len() > 5);
    for m in messages {
        assert!(
            !m.body.windows(secret.len()).any(|w| w == secret),
            "the secret was sent in a {:?} message",
            char::from(m.tag)
        );
    }
}

/// In production the module's functions belong to a migration owner that
/// is no superuser, and the membership table is under a forced tenant
/// policy: accepting must still write the membership (in the invite's
/// tenant) and leave the caller's tenant setting as it was.
#[tokio::test]
async fn accept_works_for_a_plain_owner_under_a_forced_membership_policy() {
    use crate::rbac_support::{params, prerequisites};
    use pgtenant::module;
    use pgtenant_testkit::{TestDb, TestRole};

    let owner = TestRole::new("pgt_own", "LOGIN NOSUPERUSER NOBYPASSRLS").await;
    let svc = TestRole::new("pgt_svc", "LOGIN NOSUPERUSER NOBYPASSRLS").await;
    let db = TestDb::new().await;
    let mut sql = format!(
        "ALTER SCHEMA public OWNER TO {o}; GRANT CREATE ON DATABASE \"{d}\" TO {o};
         SET ROLE {o};\n{}",
        prerequisites(&svc.name),
        o = owner.name,
        d = db.name
    );
    for m in ["rbac", "invites"] {
        let script = module::by_name(m)
            .unwrap()
            .render_script(&params(&svc.name));
        sql.push_str(&script.unwrap());
    }
    let token = pgtenant::token::Token::generate("pgi").unwrap();
    sql.push_str(&format!(
        "RESET ROLE;
         INSERT INTO tenants VALUES ('{a}', 'A'), ('{b}', 'B');
         INSERT INTO memberships (tenant_id, user_id) VALUES ('{a}', '{oa}');
         INSERT INTO pgtenant.permissions (name) VALUES ('content.read');
         INSERT INTO pgtenant.roles (name, allow) VALUES ('member', '{{content.read}}');
         INSERT INTO pgtenant.invites (tenant_id, email, role_id, invited_by, lookup_id, token_hash, expires_at)
           SELECT '{a}', 'own@example.com', role_id, '{oa}', '{lookup}', '\\x{hash}', now() + interval '1 hour'
             FROM pgtenant.roles;",
        a = id(A),
        b = id(B),
        oa = id(OWNER_A),
        lookup = token.lookup_id(),
        hash = hex::encode(token.hash()),
    ));
    db.exec(&sql).await;
    let owner_of: String = sqlx::query_scalar(
        "SELECT pg_get_userbyid(proowner)::text FROM pg_proc WHERE proname = 'invite_accept'",
    )
    .fetch_one(&mut db.conn().await)
    .await
    .unwrap();
    assert_eq!(owner_of, owner.name);

    let opts = PgConnectOptions::from_str(&db.url)
        .unwrap()
        .username(&svc.name);
    let mut conn = PgConnection::connect_with(&opts).await.unwrap();
    let mut tx = conn.begin().await.unwrap();
    set_tenant(&mut tx, &id(B), &id(NEWCOMER)).await;
    let ok = invites()
        .accept(&mut tx, token.expose(), &id(NEWCOMER), "own@example.com")
        .await
        .unwrap();
    assert_eq!(ok.tenant, id(A));
    let still: String = sqlx::query_scalar("SELECT current_setting('app.tenant_id')")
        .fetch_one(&mut *tx)
        .await
        .unwrap();
    assert_eq!(still, id(B), "the caller's tenant setting is put back");
    tx.commit().await.unwrap();
    assert!(has(&mut conn, &id(NEWCOMER), &id(A), "content.read").await);
    drop(conn);
    db.drop_now().await;
    drop((svc, owner));
}
