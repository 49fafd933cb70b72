//! Membership-checked entry.

use crate::support::{ServiceDb, TENANT_A, TENANT_B, USER_A, USER_B};
use pgtenant::module::MembershipStatus;
use pgtenant::{Error, MembershipConfig, TenancyConfig, TenantDb, TenantKeyType};

#[tokio::test]
async fn enter_admits_a_member_with_the_user_set() {
    let fx = ServiceDb::tenancy().await;
    let db = fx.tenant_db(1).await;
    let mut tx = db.enter(USER_B, TENANT_B).await.unwrap();
    let (tenant, user): (String, String) =
        sqlx::query_as("SELECT current_setting('app.tenant_id'), current_setting('app.user_id')")
            .fetch_one(&mut *tx)
            .await
            .unwrap();
    assert_eq!((tenant.as_str(), user.as_str()), (TENANT_B, USER_B));
    assert_eq!(tx.user_id(), Some(USER_B));
    tx.commit().await.unwrap();
}

#[tokio::test]
async fn enter_refuses_a_non_member_with_a_typed_error() {
    let fx = ServiceDb::tenancy().await;
    let db = fx.tenant_db(1).await;
    let err = db.enter(USER_A, TENANT_B).await.unwrap_err();
    match &err {
        Error::NotAMember {
            user_id, tenant_id, ..
        } => {
            assert_eq!((user_id.as_str(), tenant_id.as_str()), (USER_A, TENANT_B));
        }
        other => panic!("expected NotAMember, got {other:?}"),
    }
    assert_eq!(
        err.to_string(),
        format!(
            "user {USER_A} is not a member of tenant {TENANT_B}; \
             refuse the request, or add the membership in public.memberships first"
        )
    );
    // The refused transaction did not leave its context on the connection.
    let mut conn = db.pool().acquire().await.unwrap();
    let leftover: Option<String> =
        sqlx::query_scalar("SELECT NULLIF(current_setting('app.tenant_id', true), '')")
            .fetch_one(&mut *conn)
            .await
            .unwrap();
    assert_eq!(leftover, None);
    // An invalid user id never reaches the membership query.
    assert!(matches!(
        db.enter("nobody", TENANT_A).await.unwrap_err(),
        Error::InvalidUserId { .. }
    ));
}

#[tokio::test]
async fn enter_without_a_membership_table_says_how_to_configure_one() {
    let fx = ServiceDb::tenancy().await;
    let db = TenantDb::from_pool(fx.svc_pool(1).await, TenancyConfig::default())
        .await
        .unwrap();
    let err = db.enter(USER_A, TENANT_A).await.unwrap_err();
    assert!(matches!(err, Error::NoMembershipConfig));
}

#[tokio::test]
async fn with_member_runs_for_members_only() {
    let fx = ServiceDb::tenancy().await;
    let db = fx.tenant_db(1).await;
    let seen: i64 = db
        .with_member(USER_A, TENANT_A, |tx| {
            Box::pin(async move {
                let n = sqlx::query_scalar("SELECT count(*) FROM items")
                    .fetch_one(&mut **tx)
                    .await?;
                Ok::<_, Error>(n)
            })
        })
        .await
        .unwrap();
    assert_eq!(seen, crate::support::ROWS_A);
    let ran = std::sync::atomic::AtomicBool::new(false);
    let refused: Result<(), Error> = db
        .with_member(USER_B, TENANT_A, |_tx| {
            ran.store(true, std::sync::atomic::Ordering::SeqCst);
            Box::pin(async { Ok(()) })
        })
        .await;
    assert!(matches!(refused, Err(Error::NotAMember { .. })));
    assert!(
        !ran.load(std::sync::atomic::Ordering::SeqCst),
        "the closure ran for a non-member"
    );
}

#[tokio::test]
async fn enter_refuses_a_suspended_or_invited_member_when_a_status_is_configured() {
    let fx = ServiceDb::tenancy().await;
    let mut admin = fx.admin().await;
    sqlx::raw_sql(&format!(
        "ALTER TABLE memberships ADD COLUMN status text NOT NULL DEFAULT 'active';
         INSERT INTO memberships VALUES ('{USER_B}', '{TENANT_A}', 'suspended');
         INSERT INTO memberships VALUES ('{USER_A}', '{TENANT_B}', 'invited');"
    ))
    .execute(&mut admin)
    .await
    .unwrap();
    let config = TenancyConfig::new(TenantKeyType::Uuid)
        .user_setting("app.user_id")
        .membership(
            MembershipConfig::new("memberships", "user_id", "tenant_id")
                .active_when(MembershipStatus::new("status", &["active"])),
        );
    let db = TenantDb::from_pool(fx.svc_pool(1).await, config)
        .await
        .unwrap();
    // Active members get in.
    db.enter(USER_A, TENANT_A)
        .await
        .unwrap()
        .commit()
        .await
        .unwrap();
    db.enter(USER_B, TENANT_B)
        .await
        .unwrap()
        .commit()
        .await
        .unwrap();
    // A suspended member and an invited one do not.
    for (user, tenant) in [(USER_B, TENANT_A), (USER_A, TENANT_B)] {
        let err = db.enter(user, tenant).await.unwrap_err();
        assert!(matches!(err, Error::NotAMember { .. }), "{err:?}");
        assert_eq!(
            err.to_string(),
            format!(
                "user {user} is not a member of tenant {tenant}; \
                 refuse the request, or add the membership in public.memberships first"
            )
        );
    }
    // Without a status rule every row counts (the rows exist).
    let any = fx.tenant_db(1).await;
    any.enter(USER_B, TENANT_A)
        .await
        .unwrap()
        .commit()
        .await
        .unwrap();
}
