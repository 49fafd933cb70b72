//! Encrypted columns and ids against a real server: tenant data keys
//! (shared under a race, destroyed for good), column rotation in batches
//! (resumable, legacy values, concurrent writers), the SQL id generator.

use pgtenant::config::TableName;
use pgtenant::secrets::rotate::{rotate_column, RotateOptions};
use pgtenant::secrets::tenant::{key_table_sql, TenantKeyError, TenantKeys};
use pgtenant::secrets::{envelope_key_id, seal, Key, Keyring, SecretError};
use pgtenant_testkit::TestDb;

fn key(id: &str, byte: u8) -> Key {
    Key::from_bytes(id, [byte; 32]).unwrap()
}

#[tokio::test]
async fn tenant_keys_are_shared_under_a_race_and_destroyed_for_good() {
    let db = TestDb::new().await;
    let table = TableName::parse("tenant_keys");
    db.exec(&key_table_sql(&table)).await;
    let keys = TenantKeys::new(Keyring::new(key("main", 1)), table);

    // Eight first uses at once agree on one key.
    let pool = db.pool().await;
    let mut tasks = Vec::new();
    for _ in 0..8 {
        let (pool, keys) = (pool.clone(), keys.clone());
        tasks.push(tokio::spawn(async move {
            let mut conn = pool.acquire().await.unwrap();
            keys.seal(&mut conn, "tenant-a", b"bucket secret")
                .await
                .unwrap()
        }));
    }
    let mut sealed = Vec::new();
    for t in tasks {
        sealed.push(t.await.unwrap());
    }
    let mut conn = pool.acquire().await.unwrap();
    for s in &sealed {
        assert_eq!(envelope_key_id(s).unwrap(), "tenant");
        let plain = keys.open(&mut conn, "tenant-a", s).await.unwrap();
        assert_eq!(plain.as_slice(), b"bucket secret");
    }
    let rows: i64 = sqlx::query_scalar("SELECT count(*) FROM tenant_keys")
        .fetch_one(&mut *conn)
        .await
        .unwrap();
    assert_eq!(rows, 1);

    // The stored key is wrapped, never plain.
    let wrapped: String = sqlx::query_scalar("SELECT wrapped FROM tenant_keys")
        .fetch_one(&mut *conn)
        .await
        .unwrap();
    assert!(wrapped.starts_with("pgts1:xsalsa20poly1305:main:"));

    // Another tenant's key does not open tenant A's values.
    let wrong = keys
        .open(&mut conn, "tenant-b", &sealed[0])
        .await
        .unwrap_err();
    assert!(
        matches!(wrong, TenantKeyError::Secret(SecretError::Tampered(_))),
        "{wrong:?}"
    );

    // Destroyed: the values are gone for good, and no new key is made.
    assert!(keys.destroy(&mut conn, "tenant-a").await.unwrap());
    assert!(!keys.destroy(&mut conn, "tenant-a").await.unwrap());
    let err = keys
        .open(&mut conn, "tenant-a", &sealed[0])
        .await
        .unwrap_err();
    assert_eq!(
        err.to_string(),
        "the data key of tenant \"tenant-a\" was destroyed; its encrypted values can no longer be read"
    );
    assert!(keys.seal(&mut conn, "tenant-a", b"new").await.is_err());
    drop(conn);
    pool.close().await;
}

async fn bucket_table(db: &TestDb, rows: usize, ring_key: &Key) {
    db.exec(
        "CREATE TABLE buckets (id integer PRIMARY KEY, name text NOT NULL, secret text);
         INSERT INTO buckets (id, name) VALUES (0, 'no secret');",
    )
    .await;
    let pool = db.pool().await;
    for i in 1..=rows {
        sqlx::query("INSERT INTO buckets VALUES ($1, $2, $3)")
            .bind(i32::try_from(i).unwrap())
            .bind(format!("bucket {i}"))
            .bind(seal(ring_key, format!("secret {i}").as_bytes()))
            .execute(&pool)
            .await
            .unwrap();
    }
    pool.close().await;
}

#[tokio::test]
async fn rotation_rewrites_every_value_in_batches_and_resumes() {
    let db = TestDb::new().await;
    bucket_table(&db, 25, &key("k1", 1)).await;
    let pool = db.pool().await;
    let table = TableName::parse("buckets");
    let ring = Keyring::new(key("k2", 2)).with_older(key("k1", 1)).unwrap();
    let opts = RotateOptions {
        batch_size: 10,
        ..RotateOptions::default()
    };

    let report = rotate_column(&pool, &table, "secret", &ring, &opts)
        .await
        .unwrap();
    assert_eq!(
        (report.rotated, report.batches, report.changed_meanwhile),
        (25, 3, 0)
    );

    // Every value is now under k2 and opens to what it was; NULL untouched.
    let rows: Vec<(i32, Option<String>)> =
        sqlx::query_as("SELECT id, secret FROM buckets ORDER BY id")
            .fetch_all(&pool)
            .await
            .unwrap();
    assert_eq!(rows[0], (0, None));
    let only_new = Keyring::new(key("k2", 2));
    for (id, secret) in &rows[1..] {
        let secret = secret.as_deref().unwrap();
        assert_eq!(envelope_key_id(secret).unwrap(), "k2");
        assert_eq!(
            only_new.open(secret).unwrap().as_slice(),
            format!("secret {id}").as_bytes()
        );
    }

    // A second run finds nothing to do: rotation resumes where it stopped.
    let again = rotate_column(&pool, &table, "secret", &ring, &opts)
        .await
        .unwrap();
    assert_eq!((again.rotated, again.batches), (0, 0));
    pool.close().await;
}

#[tokio::test]
async fn rotation_stops_at_a_value_it_cannot_open_and_keeps_what_it_did() {
    let db = TestDb::new().await;
    bucket_table(&db, 5, &key("k1", 1)).await;
    // Row 4 was sealed under a key the ring does not hold.
    db.exec(&format!(
        "UPDATE buckets SET secret = '{}' WHERE id = 4",
        seal(&key("lost", 7), b"x")
    ))
    .await;
    let pool = db.pool().await;
    let table = TableName::parse("buckets");
    let ring = Keyring::new(key("k2", 2)).with_older(key("k1", 1)).unwrap();
    let opts = RotateOptions {
        batch_size: 3,
        ..RotateOptions::default()
    };
    let err = rotate_column(&pool, &table, "secret", &ring, &opts)
        .await
        .unwrap_err();
    assert_eq!(
        err.to_string(),
        "row 4 of public.buckets: the value was sealed under key \"lost\", which the keyring does \
         not hold; add that key (as an older key) to open it"
    );
    // The first batch (rows 1-3) landed; nothing after the error did.
    let under_k2: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM buckets WHERE secret LIKE 'pgts1:xsalsa20poly1305:k2:%'",
    )
    .fetch_one(&pool)
    .await
    .unwrap();
    assert_eq!(under_k2, 3);

    // Legacy values (libsodium combined, base64) are imported with the
    // legacy key.
    let legacy_key = key("legacy", 5);
    let nonce = [9u8; 24];
    let combined = [
        nonce.as_slice(),
        &pgtenant::secrets::seal_raw(&[5u8; 32], &nonce, b"from carcosa"),
    ]
    .concat();
    use base64::Engine as _;
    let legacy_text = base64::engine::general_purpose::STANDARD.encode(combined);
    sqlx::query("UPDATE buckets SET secret = $1 WHERE id = 4")
        .bind(&legacy_text)
        .execute(&pool)
        .await
        .unwrap();
    let no_legacy = rotate_column(&pool, &table, "secret", &ring, &opts)
        .await
        .unwrap_err();
    assert!(
        no_legacy.to_string().contains("no legacy key was given"),
        "{no_legacy}"
    );
    let with_legacy = RotateOptions {
        batch_size: 3,
        legacy_key: Some(legacy_key),
    };
    let report = rotate_column(&pool, &table, "secret", &ring, &with_legacy)
        .await
        .unwrap();
    assert_eq!(report.rotated, 2);
    let v: String = sqlx::query_scalar("SELECT secret FROM buckets WHERE id = 4")
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(ring.open(&v).unwrap().as_slice(), b"from carcosa");
    pool.close().await;
}

#[tokio::test]
async fn rotation_refuses_tables_it_cannot_batch() {
    let db = TestDb::new().await;
    db.exec(
        "CREATE TABLE nokey (secret text);
         CREATE TABLE numeric_secret (id int PRIMARY KEY, secret bytea);",
    )
    .await;
    let pool = db.pool().await;
    let ring = Keyring::new(key("k", 1));
    let run = |t: &'static str, c: &'static str| {
        let (pool, ring) = (pool.clone(), ring.clone());
        async move {
            rotate_column(
                &pool,
                &TableName::parse(t),
                c,
                &ring,
                &RotateOptions::default(),
            )
            .await
            .unwrap_err()
            .to_string()
        }
    };
    assert_eq!(
        run("nokey", "secret").await,
        "cannot rotate public.nokey.secret: the table needs a single-column primary key to be \
         rotated in batches"
    );
    assert_eq!(
        run("numeric_secret", "secret").await,
        "cannot rotate public.numeric_secret.secret: the column has type bytea; envelopes are \
         stored in text columns"
    );
    assert_eq!(
        run("missing", "secret").await,
        "cannot rotate public.missing.secret: no such table or column"
    );
    pool.close().await;
}

#[tokio::test]
async fn sql_ids_match_the_rust_rule() {
    let db = TestDb::new().await;
    db.exec(&format!("CREATE SCHEMA ids; {}", pgtenant::ids::sql("ids")))
        .await;
    db.exec(
        "CREATE TABLE workspaces (id ids.short_id PRIMARY KEY DEFAULT ids.short_id(12), name text)",
    )
    .await;
    let pool = db.pool().await;
    let ids: Vec<String> = sqlx::query_scalar(
        "INSERT INTO workspaces (name) SELECT 'w' || g FROM generate_series(1, 2000) g RETURNING id",
    )
    .fetch_all(&pool)
    .await
    .unwrap();
    for id in &ids {
        assert_eq!(id.len(), 12);
        pgtenant::ids::validate(id).unwrap();
    }
    // Every character of the alphabet shows up in 24,000 draws.
    let distinct: std::collections::BTreeSet<char> = ids.iter().flat_map(|i| i.chars()).collect();
    assert_eq!(distinct.len(), 62);

    // The domain refuses what validate refuses; the generator refuses bad lengths.
    for bad in ["short", "has-a-dash-in", "abcdefghijklmnopqrstu"] {
        let err = sqlx::query("INSERT INTO workspaces (id) VALUES ($1)")
            .bind(bad)
            .execute(&pool)
            .await
            .unwrap_err();
        assert!(
            err.to_string().contains("violates check constraint"),
            "{bad}: {err}"
        );
        assert!(pgtenant::ids::validate(bad).is_err());
    }
    let err = sqlx::query("SELECT ids.short_id(9)")
        .execute(&pool)
        .await
        .unwrap_err();
    assert!(
        err.to_string()
            .contains("an id length must be between 10 and 20, not 9"),
        "{err}"
    );
    // A Rust-generated id fits the domain.
    sqlx::query("INSERT INTO workspaces (id) VALUES ($1)")
        .bind(pgtenant::ids::generate(20).unwrap())
        .execute(&pool)
        .await
        .unwrap();
    pool.close().await;
}
