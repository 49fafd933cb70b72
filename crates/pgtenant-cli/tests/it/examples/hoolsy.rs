//! Hoolsy's workstation flows on the example brought up by the CLI
//! (`up --demo`: migrations, seeds, grants), through the library as the
//! service role: the content tree (create, move, order, no cycles, no
//! parent of another tenant or of the wrong kind, all refused by the
//! database), media assets with metadata and variants, the marketplace
//! placeholder, and the demo invite's `DEMO_INVITE_*` overrides.

use super::{renamed_example, RenamedProject};
use pgtenant::{MembershipConfig, TenancyConfig, TenantDb, TenantKeyType};
use sqlx::{Connection, PgConnection};
use std::time::Duration;

const DEMO: &str = "00000000-0000-4000-8000-00000000d001";
const OTHER: &str = "00000000-0000-4000-8000-00000000d002";
const SERIES: &str = "00000000-0000-4000-8000-00000000c001";
const SEASON_1: &str = "00000000-0000-4000-8000-00000000c002";
const PILOT: &str = "00000000-0000-4000-8000-00000000c003";
const EPISODE_2: &str = "00000000-0000-4000-8000-00000000c004";
const SEASON_2: &str = "00000000-0000-4000-8000-00000000c005";
const TRAILER: &str = "00000000-0000-4000-8000-00000000c006";
const EPISODE_3: &str = "00000000-0000-4000-8000-00000000c007";
const OTHER_PROJECT: &str = "00000000-0000-4000-8000-00000000e001";
const PILOT_ASSET: &str = "00000000-0000-4000-8000-00000000a001";

fn cli(dir: &std::path::Path, args: &[&str], env: &[(&str, &str)]) -> std::process::Output {
    let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_pgtenant"));
    cmd.arg("--project")
        .arg(dir)
        .arg("--admin-url")
        .arg(pgtenant_testkit::admin_url())
        .args(args)
        .env_remove("DATABASE_URL")
        .env_remove("DEMO_INVITE_EMAIL")
        .env_remove("DEMO_INVITE_TOKEN")
        .env_remove("DEMO_INVITE_PLATFORM_ID")
        .env("SEED_DEMO_OK", "true");
    for (k, v) in env {
        cmd.env(k, v);
    }
    cmd.output().unwrap()
}

/// The example under unique names, brought up with its demo data, `env`
/// set for the CLI.
fn up(env: &[(&str, &str)]) -> (RenamedProject, std::process::Output) {
    let project = renamed_example("hoolsy").unwrap();
    let out = cli(project.dir.path(), &["up", "--demo"], env);
    assert!(
        out.status.success(),
        "up --demo: {}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    (project, out)
}

fn admin_url(project: &RenamedProject, db: &str) -> String {
    pgtenant_testkit::url_for_db(&pgtenant_testkit::admin_url(), &project.names[db])
}

async fn admin(project: &RenamedProject, db: &str) -> PgConnection {
    PgConnection::connect(&admin_url(project, db))
        .await
        .unwrap()
}

/// The workstation database as its service role (the manifest's dev
/// password), with the example's tenancy settings.
async fn workstation(project: &RenamedProject) -> TenantDb {
    let dir = project.dir.path();
    let manifest: toml::Table =
        toml::from_str(&std::fs::read_to_string(dir.join("pgtenant.toml")).unwrap()).unwrap();
    let svc = manifest["database"][1]["service_role"]["name"]
        .as_str()
        .unwrap();
    let mut url = url::Url::parse(&admin_url(project, "hoolsy_workstation")).unwrap();
    url.set_username(svc).unwrap();
    url.set_password(Some("hoolsy-workstation-dev-password"))
        .unwrap();
    let config = TenancyConfig::new(TenantKeyType::Uuid)
        .setting("app.tenant_id")
        .user_setting("app.user_id")
        .membership(MembershipConfig::new(
            "ws_memberships",
            "user_id",
            "tenant_id",
        ));
    TenantDb::connect(url.as_str(), config).await.unwrap()
}

/// Run `sql` in a transaction of `tenant`: rows affected, or the
/// database's message.
async fn exec(db: &TenantDb, tenant: &str, sql: &str) -> Result<u64, String> {
    let mut tx = db.tenant(tenant).begin().await.unwrap();
    match sqlx::raw_sql(sql).execute(&mut *tx).await {
        Ok(done) => {
            tx.commit().await.unwrap();
            Ok(done.rows_affected())
        }
        Err(e) => Err(message(&e)),
    }
}

fn message(e: &sqlx::Error) -> String {
    e.as_database_error()
        .map(|d| d.message().to_owned())
        .unwrap_or_else(|| e.to_string())
}

/// Text rows of `sql` in `tenant`.
async fn rows(db: &TenantDb, tenant: &str, sql: &str) -> Vec<String> {
    let mut tx = db.tenant(tenant).begin().await.unwrap();
    let out: Vec<String> = sqlx::query_scalar(sql).fetch_all(&mut *tx).await.unwrap();
    tx.commit().await.unwrap();
    out
}

/// The tenant's tree as paths, depth first, siblings by position.
async fn tree(db: &TenantDb, tenant: &str) -> Vec<String> {
    rows(
        db,
        tenant,
        "WITH RECURSIVE t (node_id, path, sort) AS (
           SELECT node_id, title, ARRAY[position]
             FROM ws_content WHERE parent_id IS NULL
           UNION ALL
           SELECT c.node_id, t.path || '/' || c.title, t.sort || c.position
             FROM ws_content c JOIN t ON c.parent_id = t.node_id
         )
         SELECT path FROM t ORDER BY sort, path",
    )
    .await
}

fn insert(id: &str, parent: Option<&str>, kind: &str, title: &str, position: i32) -> String {
    let parent = parent.map_or("NULL".to_owned(), |p| format!("'{p}'"));
    format!(
        "INSERT INTO ws_content (node_id, tenant_id, parent_id, node_type, title, position)
         VALUES ('{id}', current_setting('app.tenant_id')::uuid, {parent}, '{kind}', '{title}', {position})"
    )
}

fn move_under(node: &str, parent: &str) -> String {
    format!("UPDATE ws_content SET parent_id = '{parent}' WHERE node_id = '{node}'")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hoolsy_content_tree_moves_orders_and_refuses_cycles_and_other_tenants() {
    let (project, _) = up(&[]);
    let db = workstation(&project).await;
    assert_eq!(
        tree(&db, DEMO).await,
        [
            "Demo Series",
            "Demo Series/Season 1",
            "Demo Series/Season 1/Pilot",
            "Demo Series/Season 1/Episode 2",
        ]
    );

    // Create: a second season with a trailer, a third episode.
    for sql in [
        insert(SEASON_2, Some(SERIES), "group", "Season 2", 1),
        insert(TRAILER, Some(SEASON_2), "content", "Trailer", 0),
        insert(EPISODE_3, Some(SEASON_1), "content", "Episode 3", 2),
    ] {
        assert_eq!(exec(&db, DEMO, &sql).await, Ok(1), "{sql}");
    }
    // Siblings by position: Episode 3 moved first.
    let set_first = format!("UPDATE ws_content SET position = -1 WHERE node_id = '{EPISODE_3}'");
    assert_eq!(exec(&db, DEMO, &set_first).await, Ok(1));
    let children = format!(
        "SELECT title FROM ws_content WHERE parent_id = '{SEASON_1}' ORDER BY position, title"
    );
    assert_eq!(
        rows(&db, DEMO, &children).await,
        ["Episode 3", "Pilot", "Episode 2"]
    );
    // The index serves that ordering per parent.
    let mut tx = db.tenant(DEMO).begin().await.unwrap();
    sqlx::raw_sql("SET LOCAL enable_seqscan = off")
        .execute(&mut *tx)
        .await
        .unwrap();
    let plan: Vec<String> = sqlx::query_scalar(&format!(
        "EXPLAIN SELECT title FROM ws_content WHERE tenant_id = '{DEMO}' AND parent_id = '{SEASON_1}' ORDER BY position"
    ))
    .fetch_all(&mut *tx)
    .await
    .unwrap();
    tx.commit().await.unwrap();
    let plan = plan.join("\n");
    assert!(
        plan.contains("ws_content_tenant_parent_position_idx") && !plan.contains("Sort"),
        "{plan}"
    );

    // Move a subtree: Season 1 (with its episodes) under Season 2, after
    // the trailer.
    let move_season = format!(
        "UPDATE ws_content SET parent_id = '{SEASON_2}', position = 1 WHERE node_id = '{SEASON_1}'"
    );
    assert_eq!(exec(&db, DEMO, &move_season).await, Ok(1));
    assert_eq!(
        tree(&db, DEMO).await,
        [
            "Demo Series",
            "Demo Series/Season 2",
            "Demo Series/Season 2/Trailer",
            "Demo Series/Season 2/Season 1",
            "Demo Series/Season 2/Season 1/Episode 3",
            "Demo Series/Season 2/Season 1/Pilot",
            "Demo Series/Season 2/Season 1/Episode 2",
        ]
    );

    // Cycles are refused: under a descendant, under itself.
    assert_eq!(
        exec(&db, DEMO, &move_under(SEASON_2, SEASON_1)).await,
        Err(format!(
            "cannot move content node {SEASON_2} under {SEASON_1}: it is one of its own descendants"
        ))
    );
    assert_eq!(
        exec(&db, DEMO, &move_under(SEASON_2, SEASON_2)).await,
        Err(format!("content node {SEASON_2} cannot be its own parent"))
    );
    // Only projects and groups hold nodes.
    assert_eq!(
        exec(&db, DEMO, &move_under(EPISODE_2, PILOT)).await,
        Err(format!(
            "parent node {PILOT} is a content: only a project or a group holds nodes"
        ))
    );
    let to_content =
        format!("UPDATE ws_content SET node_type = 'content' WHERE node_id = '{SEASON_2}'");
    assert_eq!(
        exec(&db, DEMO, &to_content).await,
        Err(format!(
            "content node {SEASON_2} has children: only a project or a group holds nodes"
        ))
    );
    let leaf_to_group =
        format!("UPDATE ws_content SET node_type = 'group' WHERE node_id = '{TRAILER}'");
    assert_eq!(exec(&db, DEMO, &leaf_to_group).await, Ok(1));

    // Another tenant's node is invisible and no parent here.
    let mut conn = admin(&project, "hoolsy_workstation").await;
    sqlx::raw_sql(&format!(
        "INSERT INTO tenants (tenant_id, name, slug) VALUES ('{OTHER}', 'Other', 'other');
         INSERT INTO ws_content (node_id, tenant_id, node_type, title)
           VALUES ('{OTHER_PROJECT}', '{OTHER}', 'project', 'Their Show')"
    ))
    .execute(&mut conn)
    .await
    .unwrap();
    conn.close().await.unwrap();
    assert_eq!(tree(&db, OTHER).await, ["Their Show"]);
    let theirs = format!("SELECT title FROM ws_content WHERE node_id = '{OTHER_PROJECT}'");
    assert_eq!(rows(&db, DEMO, &theirs).await, Vec::<String>::new());
    let refused = format!("parent node {OTHER_PROJECT} does not exist in this tenant");
    assert_eq!(
        exec(&db, DEMO, &move_under(SEASON_2, OTHER_PROJECT)).await,
        Err(refused.clone())
    );
    let sneak = insert(
        "00000000-0000-4000-8000-00000000c0ff",
        Some(OTHER_PROJECT),
        "group",
        "Sneaky",
        0,
    );
    assert_eq!(exec(&db, DEMO, &sneak).await, Err(refused));
    assert_eq!(tree(&db, OTHER).await, ["Their Show"]);

    // Two concurrent moves that are each fine alone (Trailer under Season
    // 1, Season 1 under Trailer): the second waits for the first and then
    // finds the cycle.
    let move_season = move_under(SEASON_1, SERIES);
    assert_eq!(exec(&db, DEMO, &move_season).await, Ok(1));
    let second = {
        let mut first = db.tenant(DEMO).begin().await.unwrap();
        sqlx::raw_sql(&move_under(TRAILER, SEASON_1))
            .execute(&mut *first)
            .await
            .unwrap();
        let second_sql = move_under(SEASON_1, TRAILER);
        let second = exec(&db, DEMO, &second_sql);
        tokio::pin!(second);
        let early = tokio::time::timeout(Duration::from_millis(300), &mut second).await;
        assert!(early.is_err(), "the second move waits for the first");
        first.commit().await.unwrap();
        second.await
    };
    assert_eq!(
        second,
        Err(format!(
            "cannot move content node {SEASON_1} under {TRAILER}: it is one of its own descendants"
        ))
    );
    drop(db);
    let verify = cli(project.dir.path(), &["verify"], &[]);
    assert!(
        verify.status.success(),
        "{}",
        String::from_utf8_lossy(&verify.stdout)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hoolsy_media_assets_keep_metadata_and_variants_per_tenant() {
    let (project, _) = up(&[]);
    let db = workstation(&project).await;
    let asset = "00000000-0000-4000-8000-00000000a002";
    let insert_asset = format!(
        "INSERT INTO ws_media_assets (media_asset_id, node_id, tenant_id, filename, mime_type,
           size_bytes, storage_provider, storage_path, status, width, height, image_format,
           color_space, dpi, exif, has_video, has_audio)
         VALUES ('{asset}', '{EPISODE_2}', current_setting('app.tenant_id')::uuid, 'poster.png',
           'image/png', 5000000000, 'azure', 'posters/ep2.png', 'ready', 2000, 3000, 'png',
           'sRGB', 300, '{{\"Make\": \"Hoolsy\"}}', false, false);
         INSERT INTO ws_media_variants (media_asset_id, tenant_id, variant_kind, mime_type, width, height, status)
         VALUES ('{asset}', current_setting('app.tenant_id')::uuid, 'thumbnail', 'image/jpeg', 200, 300, 'ready'),
                ('{asset}', current_setting('app.tenant_id')::uuid, 'proxy_720p', 'image/webp', 480, 720, 'processing')"
    );
    assert_eq!(exec(&db, DEMO, &insert_asset).await, Ok(3));
    let read = "SELECT a.filename || ' ' || a.size_bytes || ' ' || coalesce(a.width || 'x' || a.height, '-')
                  || ' ' || coalesce(a.exif ->> 'Make', a.video_codec, '-') || ': '
                  || coalesce(string_agg(v.variant_kind || '=' || v.status, ',' ORDER BY v.variant_kind), '')
                  FROM ws_media_assets a LEFT JOIN ws_media_variants v USING (tenant_id, media_asset_id)
                 GROUP BY a.media_asset_id ORDER BY a.filename";
    assert_eq!(
        rows(&db, DEMO, read).await,
        [
            "pilot.mp4 3221225472 1920x1080 h264: thumbnail=ready",
            "poster.png 5000000000 2000x3000 Hoolsy: proxy_720p=processing,thumbnail=ready",
        ]
    );
    // One variant of a kind per asset.
    let again = format!(
        "INSERT INTO ws_media_variants (media_asset_id, tenant_id, variant_kind, mime_type)
         VALUES ('{asset}', current_setting('app.tenant_id')::uuid, 'thumbnail', 'image/png')"
    );
    assert_eq!(
        exec(&db, DEMO, &again).await,
        Err(
            "duplicate key value violates unique constraint \"ws_media_variants_asset_kind_key\""
                .to_owned()
        )
    );

    // Another tenant sees none of it and cannot hang a variant on it.
    let mut conn = admin(&project, "hoolsy_workstation").await;
    sqlx::raw_sql(&format!(
        "INSERT INTO tenants (tenant_id, name, slug) VALUES ('{OTHER}', 'Other', 'other')"
    ))
    .execute(&mut conn)
    .await
    .unwrap();
    conn.close().await.unwrap();
    assert_eq!(rows(&db, OTHER, read).await, Vec::<String>::new());
    assert_eq!(
        rows(&db, OTHER, "SELECT variant_kind FROM ws_media_variants").await,
        Vec::<String>::new()
    );
    let foreign = format!(
        "INSERT INTO ws_media_variants (media_asset_id, tenant_id, variant_kind, mime_type)
         VALUES ('{PILOT_ASSET}', current_setting('app.tenant_id')::uuid, 'hls', 'application/x-mpegURL')"
    );
    assert_eq!(
        exec(&db, OTHER, &foreign).await,
        Err("insert or update on table \"ws_media_variants\" violates foreign key constraint \"ws_media_variants_asset_fkey\"".to_owned())
    );
    // Deleting the node removes its assets and their variants.
    let delete = format!("DELETE FROM ws_content WHERE node_id = '{EPISODE_2}'");
    assert_eq!(exec(&db, DEMO, &delete).await, Ok(1));
    assert_eq!(
        rows(&db, DEMO, "SELECT variant_kind FROM ws_media_variants").await,
        ["thumbnail"]
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hoolsy_marketplace_is_a_migrated_empty_placeholder() {
    let (project, _) = up(&[]);
    let mut conn = admin(&project, "hoolsy_marketplace").await;
    let tables: Vec<String> = sqlx::query_scalar(
        "SELECT schemaname || '.' || tablename FROM pg_tables
          WHERE schemaname NOT IN ('pg_catalog', 'information_schema', 'pgtenant')
          ORDER BY 1",
    )
    .fetch_all(&mut conn)
    .await
    .unwrap();
    assert_eq!(tables, Vec::<String>::new());
    conn.close().await.unwrap();
    let check = cli(project.dir.path(), &["check"], &[]);
    let text = String::from_utf8_lossy(&check.stdout);
    assert!(check.status.success(), "{text}");
    assert!(
        text.contains(&format!(
            "{}: ok\n  migrations: 0 applied, 0 pending",
            project.names["hoolsy_marketplace"]
        )),
        "{text}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hoolsy_demo_invite_honours_every_override() {
    let token = "hoolsy-demo-invite-token-given-by-the-test";
    let (project, out) = up(&[
        ("DEMO_INVITE_EMAIL", "Guest@Example.COM"),
        ("DEMO_INVITE_TOKEN", token),
        ("DEMO_INVITE_PLATFORM_ID", "2"),
    ]);
    let printed = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        !printed.contains(token),
        "the given token is printed: {printed}"
    );
    assert!(!printed.contains("DEMO_INVITE_TOKEN="), "{printed}");

    let mut conn = admin(&project, "hoolsy_users").await;
    let invites: Vec<(String, i16, bool, bool, bool)> = sqlx::query_as(
        "SELECT email, platform_id,
                token_hash = sha256(convert_to($1, 'UTF8')),
                expires_at BETWEEN now()::timestamp + interval '7 days' - interval '5 minutes'
                               AND now()::timestamp + interval '7 days',
                used_at IS NULL
           FROM invites",
    )
    .bind(token)
    .fetch_all(&mut conn)
    .await
    .unwrap();
    assert_eq!(
        invites,
        [("guest@example.com".to_owned(), 2, true, true, true)]
    );
    // The token itself is nowhere in the invite.
    let stored: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM invites i WHERE strpos(row_to_json(i)::text, $1) > 0",
    )
    .bind(token)
    .fetch_one(&mut conn)
    .await
    .unwrap();
    assert_eq!(stored, 0);
    conn.close().await.unwrap();

    // A second `seed demo` with the same overrides makes no second invite.
    let again = cli(
        project.dir.path(),
        &["seed", "demo"],
        &[
            ("DEMO_INVITE_EMAIL", "Guest@Example.COM"),
            ("DEMO_INVITE_TOKEN", token),
            ("DEMO_INVITE_PLATFORM_ID", "2"),
        ],
    );
    assert!(
        again.status.success(),
        "{}",
        String::from_utf8_lossy(&again.stderr)
    );
    let mut conn = admin(&project, "hoolsy_users").await;
    let count: i64 = sqlx::query_scalar("SELECT count(*) FROM invites")
        .fetch_one(&mut conn)
        .await
        .unwrap();
    assert_eq!(count, 1);
    conn.close().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hoolsy_demo_invite_without_overrides_uses_the_defaults_and_prints_its_token_once() {
    let (project, out) = up(&[]);
    let printed = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    let token = printed
        .split("DEMO_INVITE_TOKEN=")
        .nth(1)
        .and_then(|rest| rest.split_whitespace().next())
        .unwrap_or_else(|| panic!("no generated token printed: {printed}"))
        .to_owned();
    assert_eq!(
        printed.matches("DEMO_INVITE_TOKEN=").count(),
        1,
        "{printed}"
    );
    assert!(token.len() >= 32, "{token}");

    let mut conn = admin(&project, "hoolsy_users").await;
    let invites: Vec<(String, i16, bool)> = sqlx::query_as(
        "SELECT email, platform_id, token_hash = sha256(convert_to($1, 'UTF8')) FROM invites",
    )
    .bind(&token)
    .fetch_all(&mut conn)
    .await
    .unwrap();
    assert_eq!(invites, [("demo@hoolsy.test".to_owned(), 1, true)]);
    conn.close().await.unwrap();

    // A second `seed demo` finds the file applied: no new token, no new invite.
    let again = cli(project.dir.path(), &["seed", "demo"], &[]);
    let printed = format!(
        "{}{}",
        String::from_utf8_lossy(&again.stdout),
        String::from_utf8_lossy(&again.stderr)
    );
    assert!(again.status.success(), "{printed}");
    assert!(!printed.contains("DEMO_INVITE_TOKEN="), "{printed}");
    let mut conn = admin(&project, "hoolsy_users").await;
    let count: i64 = sqlx::query_scalar("SELECT count(*) FROM invites")
        .fetch_one(&mut conn)
        .await
        .unwrap();
    assert_eq!(count, 1);
    conn.close().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hoolsy_demo_invite_refuses_a_bad_override_and_stores_nothing_of_it() {
    let project = renamed_example("hoolsy").unwrap();
    let dir = project.dir.path();
    // Brought up with the default invite; a re-seed with other overrides
    // runs the invite file again (its text changed).
    let out = cli(dir, &["up", "--demo"], &[]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let token = "a-token-for-an-invite-that-fails";
    for (env, expected) in [
        (
            [
                ("DEMO_INVITE_EMAIL", "no-at-sign"),
                ("DEMO_INVITE_PLATFORM_ID", "1"),
            ],
            "hoolsy_users/demo/10_demo_invite.sql:9: new row for relation \"invites\" \
             violates check constraint \"invites_email_format\"\n",
        ),
        (
            [
                ("DEMO_INVITE_EMAIL", "a@b.test"),
                ("DEMO_INVITE_PLATFORM_ID", "9"),
            ],
            "hoolsy_users/demo/10_demo_invite.sql:9: insert or update on table \"invites\" \
             violates foreign key constraint \"invites_platform_id_fkey\"\n  \
             detail: Key (platform_id)=(9) is not present in table \"platforms\".\n",
        ),
    ] {
        let mut env = env.to_vec();
        env.push(("DEMO_INVITE_TOKEN", token));
        let out = cli(dir, &["seed", "demo"], &env);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(!out.status.success());
        assert!(!stderr.contains(token), "{stderr}");
        assert!(stderr.contains(expected), "{stderr}");
        assert!(
            stderr.ends_with(
                "This seed file was rolled back (earlier files stay applied); fix it and seed again.\n"
            ),
            "{stderr}"
        );
    }
    let mut conn = admin(&project, "hoolsy_users").await;
    let emails: Vec<String> = sqlx::query_scalar("SELECT email FROM invites")
        .fetch_all(&mut conn)
        .await
        .unwrap();
    assert_eq!(emails, ["demo@hoolsy.test"]);
    conn.close().await.unwrap();
}
