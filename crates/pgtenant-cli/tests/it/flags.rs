//! `pgtenant flags list|set|unset` on a database with the flags module:
//! definitions, a tenant's values and why, overrides written in one
//! transaction that bumps the version counter, and clear refusals of an
//! unknown key, tenant or expiry that change nothing.

use crate::modules::TENANT;
use crate::support::Project;
use sqlx::PgConnection;

const TENANT_B: &str = "00000000-0000-4000-8000-00000000000b";
const NOBODY: &str = "00000000-0000-4000-8000-0000000000ff";

async fn flagged() -> (Project, PgConnection) {
    let p = Project::with_modules("\"flags\"");
    p.must(&["bootstrap"]).await;
    p.must(&["generate", "--db", &p.db, "--name", "init"]).await;
    p.must(&["migrate"]).await;
    p.must(&["seed", "setup"]).await;
    let mut admin = p.admin_conn().await;
    sqlx::raw_sql(&format!(
        "INSERT INTO tenants VALUES ('{TENANT}', 'A'), ('{TENANT_B}', 'B');
         INSERT INTO pgtenant.plans VALUES ('free', 0), ('starter', 1), ('pro', 2);
         INSERT INTO pgtenant.flags VALUES
           ('billing.v2', 'New billing', false, 'pro'),
           ('beta.search', 'Search beta', true, NULL),
           ('reports.export', 'CSV export', false, 'starter');
         INSERT INTO pgtenant.tenant_plans VALUES ('{TENANT}', 'pro');"
    ))
    .execute(&mut admin)
    .await
    .unwrap();
    (p, admin)
}

/// The version counter and the overrides, to show nothing changed.
async fn state(admin: &mut PgConnection) -> (i64, String) {
    sqlx::query_as(
        "SELECT (SELECT version FROM pgtenant.flags_version),
                (SELECT coalesce(string_agg(tenant_id::text || ' ' || flag_key || ' ' || enabled, ', '
                                            ORDER BY tenant_id, flag_key), '')
                   FROM pgtenant.flag_overrides)",
    )
    .fetch_one(admin)
    .await
    .unwrap()
}

#[tokio::test]
async fn flags_list_shows_definitions_and_a_tenants_values_with_why() {
    let (p, _admin) = flagged().await;
    let all = p.must(&["flags", "list"]).await;
    assert_eq!(
        all.stdout,
        format!(
            "{}: 3 flags\n  \
             key             default  min plan  description\n  \
             beta.search     on       -         Search beta\n  \
             billing.v2      off      pro       New billing\n  \
             reports.export  off      starter   CSV export\n",
            p.db
        )
    );
    let a = p.must(&["flags", "list", "--tenant", TENANT]).await;
    assert_eq!(
        a.stdout,
        format!(
            "{}: 3 flags for tenant {TENANT} (plan pro)\n  \
             key             value  why                         default  min plan  description\n  \
             beta.search     on     default                     on       -         Search beta\n  \
             billing.v2      on     plan pro (minimum pro)      off      pro       New billing\n  \
             reports.export  on     plan pro (minimum starter)  off      starter   CSV export\n",
            p.db
        )
    );
    let b = p
        .must(&["--json", "flags", "list", "--tenant", TENANT_B])
        .await
        .json();
    assert_eq!(b["flags"][1]["key"], "billing.v2");
    assert_eq!(b["flags"][1]["value"], false);
    assert_eq!(b["flags"][1]["why"], "plan: none (minimum pro)");
}

#[tokio::test]
async fn flags_set_and_unset_override_one_tenant_and_bump_the_version() {
    let (p, mut admin) = flagged().await;
    let (v0, _) = state(&mut admin).await;
    let set = p
        .must(&[
            "flags",
            "set",
            "--tenant",
            TENANT_B,
            "reports.export",
            "on",
            "--expires",
            "2999-01-01T00:00:00Z",
        ])
        .await;
    let (v1, overrides) = state(&mut admin).await;
    assert!(v1 > v0, "the version counter moved: {v0} -> {v1}");
    assert_eq!(overrides, format!("{TENANT_B} reports.export true"));
    assert_eq!(
        set.stdout,
        format!(
            "flag reports.export for tenant {TENANT_B}: on until 2999-01-01T00:00:00Z (override); flags version {v1}\n"
        )
    );
    // What the module's own function says for B, and why.
    let b = p.must(&["flags", "list", "--tenant", TENANT_B]).await;
    assert!(
        b.stdout.contains(
            "reports.export  on     override until 2999-01-01T00:00:00Z  off      starter   CSV export"
        ),
        "{}",
        b.stdout
    );
    // A duration from now; replacing the override.
    p.must(&[
        "flags",
        "set",
        "--tenant",
        TENANT_B,
        "reports.export",
        "off",
        "--expires",
        "7d",
    ])
    .await;
    let enabled: bool = sqlx::query_scalar(
        "SELECT enabled AND expires_at BETWEEN now() + interval '6 days' AND now() + interval '8 days'
           FROM pgtenant.flag_overrides",
    )
    .fetch_one(&mut admin)
    .await
    .unwrap();
    assert!(!enabled, "off, expiring in about a week");

    let unset = p
        .must(&["flags", "unset", "--tenant", TENANT_B, "reports.export"])
        .await;
    let (v2, overrides) = state(&mut admin).await;
    assert_eq!(overrides, "");
    assert_eq!(
        unset.stdout,
        format!(
            "flag reports.export for tenant {TENANT_B}: override removed; flags version {v2}\n"
        )
    );
    let again = p
        .must(&["flags", "unset", "--tenant", TENANT_B, "reports.export"])
        .await;
    assert_eq!(
        again.stdout,
        format!("tenant {TENANT_B} has no override of flag reports.export; nothing changed\n")
    );
}

#[tokio::test]
async fn flags_refuse_unknown_keys_tenants_and_expiries_changing_nothing() {
    let (p, mut admin) = flagged().await;
    let before = state(&mut admin).await;
    let cases: [(&[&str], String); 6] = [
        (
            &["flags", "set", "--tenant", TENANT, "billing.v3", "on"],
            format!(
                "unknown feature flag \"billing.v3\" in database {}; define it in pgtenant.flags \
                 first (`pgtenant flags list` shows the defined ones)",
                p.db
            ),
        ),
        (
            &["flags", "unset", "--tenant", TENANT, "billing.v3"],
            format!(
                "unknown feature flag \"billing.v3\" in database {}; define it in pgtenant.flags \
                 first (`pgtenant flags list` shows the defined ones)",
                p.db
            ),
        ),
        (
            &["flags", "set", "--tenant", NOBODY, "billing.v2", "on"],
            format!(
                "tenant {NOBODY} does not exist in public.tenants; check the id, or create the tenant first"
            ),
        ),
        (
            &["flags", "list", "--tenant", "acme"],
            "--tenant \"acme\": not a UUID".to_owned(),
        ),
        (
            &["flags", "set", "--tenant", TENANT, "billing.v2", "on", "--expires", "soon"],
            "--expires \"soon\" is neither an RFC 3339 time (2026-12-31T00:00:00Z) nor a duration \
             (a whole number and s, min, h, d or w, e.g. 7d)"
                .to_owned(),
        ),
        (
            &[
                "flags",
                "set",
                "--tenant",
                TENANT,
                "billing.v2",
                "on",
                "--expires",
                "2001-01-01T00:00:00Z",
            ],
            "--expires \"2001-01-01T00:00:00Z\" is not in the future (now is ".to_owned(),
        ),
    ];
    for (args, message) in cases {
        let run = p.run(args).await;
        assert_eq!(run.code, 2, "{args:?}: {run:?}");
        assert!(
            run.stderr.starts_with(&format!("error: {message}")),
            "{args:?}: {}",
            run.stderr
        );
    }
    assert_eq!(state(&mut admin).await, before, "nothing changed");

    let plain = Project::new();
    let run = plain.run(&["flags", "list"]).await;
    assert_eq!(run.code, 2, "{run:?}");
    assert_eq!(
        run.stderr,
        "error: no selected database uses the flags module; add modules = [\"flags\"] to its [[database]]\n"
    );
}
