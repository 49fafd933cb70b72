//! `pgtenant secrets rotate`: a column re-encrypted under the newest key of
//! `[database.secrets]` in batches, resumable, a second run a no-op, a
//! tampered value named by its primary key and never shown.

use crate::support::{pgtenant, Project, Run};
use pgtenant::secrets::{envelope_key_id, seal, Key, Keyring};

fn key(id: &str, byte: u8) -> Key {
    Key::from_bytes(id, [byte; 32]).unwrap()
}

/// A project whose database names keys k2 (newest, from `.env`) and k1
/// (from the real environment, see [`rotate`]).
async fn keyed() -> Project {
    let p = Project::new();
    p.write_manifest(&format!(
        "{}\n[database.secrets]\nkeys = [{{ id = \"k2\", env = \"IT_KEY_V2\" }}, {{ id = \"k1\", env = \"IT_KEY_V1\" }}]\n",
        p.manifest_text()
    ));
    std::fs::write(
        p.dir.path().join(".env"),
        format!("IT_KEY_V2={}\n", key("k2", 2).to_text().as_str()),
    )
    .unwrap();
    p.must(&["bootstrap"]).await;
    p
}

/// `secrets rotate` with k1 in the environment.
async fn rotate(p: &Project, table: &str, batch: &str) -> Run {
    let dir = p.dir.path().to_str().unwrap();
    let k1 = key("k1", 1).to_text();
    pgtenant(
        p.dir.path(),
        &[
            "--project",
            dir,
            "secrets",
            "rotate",
            "--db",
            &p.db,
            "--table",
            table,
            "--column",
            "secret",
            "--batch",
            batch,
        ],
        &[("IT_KEY_V1", k1.as_str())],
    )
    .await
}

/// `table` with `rows` values sealed under `sealed_by(id)` and one NULL.
async fn fill(p: &Project, table: &str, rows: i32, sealed_by: impl Fn(i32) -> Key) {
    let mut admin = p.admin_conn().await;
    sqlx::raw_sql(&format!(
        "CREATE TABLE {table} (id bigint PRIMARY KEY, secret text);
         INSERT INTO {table} VALUES (0, NULL);"
    ))
    .execute(&mut admin)
    .await
    .unwrap();
    for i in 1..=rows {
        sqlx::query(&format!("INSERT INTO {table} VALUES ($1, $2)"))
            .bind(i64::from(i))
            .bind(seal(&sealed_by(i), format!("secret {i}").as_bytes()))
            .execute(&mut admin)
            .await
            .unwrap();
    }
}

#[tokio::test]
async fn secrets_rotate_reencrypts_in_batches_resumes_and_then_has_nothing_to_do() {
    let p = keyed().await;
    // Rows 1-5 already under k2: where an interrupted run had stopped.
    fill(&p, "buckets", 25, |i| {
        if i <= 5 {
            key("k2", 2)
        } else {
            key("k1", 1)
        }
    })
    .await;
    let run = rotate(&p, "buckets", "8").await;
    assert_eq!(run.code, 0, "{run:?}");
    assert_eq!(
        run.stdout,
        format!(
            "{}: public.buckets.secret: 20 values re-encrypted under key k2 in 3 batches\n",
            p.db
        )
    );
    let mut admin = p.admin_conn().await;
    let rows: Vec<(i64, Option<String>)> =
        sqlx::query_as("SELECT id, secret FROM buckets ORDER BY id")
            .fetch_all(&mut admin)
            .await
            .unwrap();
    assert_eq!(rows[0], (0, None));
    let only_k2 = Keyring::new(key("k2", 2));
    for (id, secret) in &rows[1..] {
        let secret = secret.as_deref().unwrap();
        assert_eq!(envelope_key_id(secret).unwrap(), "k2");
        assert_eq!(
            only_k2.open(secret).unwrap().as_slice(),
            format!("secret {id}").as_bytes()
        );
    }

    let again = rotate(&p, "buckets", "8").await;
    assert_eq!(again.code, 0, "{again:?}");
    assert_eq!(
        again.stdout,
        format!(
            "{}: public.buckets.secret: every value is already under key k2; nothing to do\n",
            p.db
        )
    );
    let unchanged: Vec<(i64, Option<String>)> =
        sqlx::query_as("SELECT id, secret FROM buckets ORDER BY id")
            .fetch_all(&mut admin)
            .await
            .unwrap();
    assert_eq!(unchanged, rows);
}

#[tokio::test]
async fn secrets_rotate_names_a_tampered_row_by_its_key_and_never_shows_secrets() {
    let p = keyed().await;
    fill(&p, "tokens", 6, |_| key("k1", 1)).await;
    let mut admin = p.admin_conn().await;
    // Row 4's ciphertext changed by one character.
    let original: String = sqlx::query_scalar("SELECT secret FROM tokens WHERE id = 4")
        .fetch_one(&mut admin)
        .await
        .unwrap();
    // A character well inside the base64 body (every bit of it is data).
    let at = original.len() - 5;
    let swap = if &original[at..=at] == "A" { "B" } else { "A" };
    let tampered = format!("{}{swap}{}", &original[..at], &original[at + 1..]);
    sqlx::query("UPDATE tokens SET secret = $1 WHERE id = 4")
        .bind(&tampered)
        .execute(&mut admin)
        .await
        .unwrap();

    let run = rotate(&p, "tokens", "2").await;
    assert_eq!(run.code, 1, "{run:?}");
    assert_eq!(
        run.stderr,
        "error: row 4 of public.tokens: the value does not authenticate under key \"k1\": it was \
         tampered with, truncated, or sealed under another key with that id\n\
         the rows before it are under key k2; restore that row's value (or add the key it names \
         to [database.secrets]) and run the rotation again: it continues where it stopped\n"
    );
    for secret in [
        key("k1", 1).to_text().as_str(),
        key("k2", 2).to_text().as_str(),
        "secret 4",
        &tampered,
    ] {
        run.assert_never_shows(secret);
    }
    let under_k2: i64 =
        sqlx::query_scalar("SELECT count(*) FROM tokens WHERE secret LIKE 'pgts1:%:k2:%'")
            .fetch_one(&mut admin)
            .await
            .unwrap();
    assert_eq!(under_k2, 2, "the batch before the bad row landed");
}

#[tokio::test]
async fn secrets_rotate_refuses_missing_keys_sections_and_columns() {
    let p = keyed().await;
    fill(&p, "buckets", 1, |_| key("k1", 1)).await;
    let dir = p.dir.path().to_str().unwrap();
    let base = [
        "--project",
        dir,
        "secrets",
        "rotate",
        "--db",
        &p.db,
        "--table",
        "buckets",
        "--column",
    ];
    let no_env = pgtenant(p.dir.path(), &[&base[..], &["secret"]].concat(), &[]).await;
    assert_eq!(no_env.code, 2, "{no_env:?}");
    assert_eq!(
        no_env.stderr,
        "error: [database.secrets] key \"k1\" (from IT_KEY_V1): environment variable IT_KEY_V1 \
         is not set; it must hold the key (base64: + 32 bytes)\n"
    );
    let bad_column = rotate(&p, "nope", "10").await;
    assert_eq!(bad_column.code, 2, "{bad_column:?}");
    assert_eq!(
        bad_column.stderr,
        "error: cannot rotate public.nope.secret: no such table or column\n"
    );

    let plain = Project::new();
    let run = plain
        .run(&[
            "secrets", "rotate", "--db", &plain.db, "--table", "t", "--column", "c",
        ])
        .await;
    assert_eq!(run.code, 2, "{run:?}");
    assert!(
        run.stderr.starts_with(&format!(
            "error: database {} has no [database.secrets]; add one naming the keys, newest first",
            plain.db
        )),
        "{}",
        run.stderr
    );
}
