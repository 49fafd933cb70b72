use crate::support::{pgtenant, Project};
use pgtenant_testkit::TestDb;
use std::path::Path;

/// The committed quickstart types: compiled here, so the generated code
/// is known to build against sqlx, uuid and chrono.
#[allow(dead_code)] // only some types and fields are read below
mod quickstart {
    include!("../../../../examples/quickstart/generated/models.rs");
}

fn quickstart_dir() -> &'static Path {
    Path::new(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../examples/quickstart"
    ))
}

#[tokio::test]
async fn quickstart_codegen_matches_the_committed_file() {
    let dir = quickstart_dir();
    let project = dir.to_str().unwrap();
    let run = pgtenant(
        dir,
        &["--project", project, "codegen", "--db", "quickstart"],
        &[],
    )
    .await;
    assert_eq!(run.code, 0, "{run:?}");
    let committed = std::fs::read_to_string(dir.join("generated/models.rs")).unwrap();
    assert_eq!(
        run.stdout, committed,
        "examples/quickstart/generated/models.rs is stale: run `pgtenant --project \
         examples/quickstart codegen --db quickstart --out examples/quickstart/generated/models.rs`"
    );
    assert!(committed.contains(
        "#[derive(Debug, Clone, sqlx::FromRow)]\npub struct Projects {\n    pub tenant_id: uuid::Uuid,\n"
    ));
    assert!(committed.contains("    pub created_by: Option<uuid::Uuid>,\n"));
}

#[tokio::test]
async fn the_generated_quickstart_types_decode_rows() {
    let db = TestDb::new().await;
    let dir = quickstart_dir();
    let mut files: Vec<_> = std::fs::read_dir(dir.join("schema/quickstart"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    files.sort();
    files.push(dir.join("seeds/quickstart/demo/01_demo_tenants.sql"));
    for f in files {
        db.exec(&std::fs::read_to_string(f).unwrap()).await;
    }
    let pool = db.pool().await;
    let projects: Vec<quickstart::Projects> =
        sqlx::query_as("SELECT * FROM projects ORDER BY name")
            .fetch_all(&pool)
            .await
            .unwrap();
    let names: Vec<&str> = projects.iter().map(|p| p.name.as_str()).collect();
    assert_eq!(names, ["Doomsday device", "Giant magnet", "Rocket skates"]);
    assert!(projects.iter().all(|p| p.created_by.is_some()));
    let users: Vec<quickstart::Users> = sqlx::query_as("SELECT * FROM users ORDER BY email")
        .fetch_all(&pool)
        .await
        .unwrap();
    assert_eq!(users[0].email, "alice@acme.example");
    pool.close().await;
}

const RICH_SCHEMA: &str = r#"
CREATE SCHEMA billing;
CREATE TYPE mood AS ENUM ('happy', 'in_progress', 'v2');
COMMENT ON TYPE mood IS 'How it feels.';
CREATE TYPE billing."Status" AS ENUM ('Open', 'closed-now');
CREATE DOMAIN email AS varchar(320) CHECK (VALUE LIKE '%@%');
CREATE TABLE things (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    "type"      text NOT NULL,
    "createdAt" timestamp NOT NULL,
    "Weird Name" int2,
    price       numeric(10,2),
    tags        text[] NOT NULL DEFAULT '{}',
    moods       mood[],
    mood        mood NOT NULL,
    contact     email,
    data        jsonb,
    blob        bytea,
    born        date,
    ratio       double precision,
    addr        inet,
    flag        boolean NOT NULL DEFAULT false
);
COMMENT ON TABLE things IS 'Things people own.';
COMMENT ON COLUMN things.price IS 'In euros.';
CREATE TABLE billing.invoices (
    id     uuid PRIMARY KEY,
    status billing."Status" NOT NULL,
    at     timestamptz
);
CREATE TABLE events (id int NOT NULL, at date NOT NULL) PARTITION BY RANGE (at);
CREATE TABLE events_2026 PARTITION OF events FOR VALUES FROM ('2026-01-01') TO ('2027-01-01');
"#;

const RICH_EXPECTED: &str = r#"/// The PostgreSQL enum `billing.Status`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, sqlx::Type)]
#[sqlx(type_name = "billing.\"Status\"")]
pub enum BillingStatus {
    #[sqlx(rename = "Open")]
    Open,
    #[sqlx(rename = "closed-now")]
    ClosedNow,
}

/// How it feels.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, sqlx::Type)]
#[sqlx(type_name = "mood", rename_all = "snake_case")]
pub enum Mood {
    Happy,
    InProgress,
    V2,
}

/// A row of `billing.invoices`.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct BillingInvoices {
    pub id: uuid::Uuid,
    pub status: BillingStatus,
    pub at: Option<chrono::DateTime<chrono::Utc>>,
}

/// A row of `events`.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Events {
    pub id: i32,
    pub at: chrono::NaiveDate,
}

/// Things people own.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Things {
    pub id: i64,
    pub r#type: String,
    #[sqlx(rename = "createdAt")]
    pub created_at: chrono::NaiveDateTime,
    #[sqlx(rename = "Weird Name")]
    pub weird_name: Option<i16>,
    /// In euros.
    // numeric: select it as `::text` (or pass --numeric decimal)
    pub price: Option<String>,
    pub tags: Vec<String>,
    pub moods: Option<Vec<Mood>>,
    pub mood: Mood,
    pub contact: Option<String>,
    pub data: Option<serde_json::Value>,
    pub blob: Option<Vec<u8>>,
    pub born: Option<chrono::NaiveDate>,
    pub ratio: Option<f64>,
    // PostgreSQL type `inet` has no mapping: decode it as text (`::text`) or change this type
    pub addr: Option<String>,
    pub flag: bool,
}
"#;

#[tokio::test]
async fn codegen_maps_types_names_and_enums_from_the_folder_and_the_live_database() {
    let p = Project::new();
    p.write_manifest(
        &p.manifest_text()
            .replace("tenancy = true", "tenancy = false"),
    );
    let schema = p.dir.path().join("schema").join(&p.db);
    std::fs::create_dir_all(&schema).unwrap();
    std::fs::write(schema.join("01_rich.sql"), RICH_SCHEMA).unwrap();

    let out = p.dir.path().join("src/models.rs");
    let run = p
        .run(&["codegen", "--db", &p.db, "--out", out.to_str().unwrap()])
        .await;
    assert_eq!(run.code, 0, "{run:?}");
    assert_eq!(
        run.stdout,
        format!("codegen: wrote {} (3 structs, 2 enums)\n", out.display())
    );
    let header = format!(
        "// Rust types for the tables and enums of database `{db}`, from its schema folder.\n\
         // Generated by `pgtenant codegen --db {db}`; do not edit: run it again\n\
         // after changing the schema.\n\n",
        db = p.db
    );
    assert_eq!(
        std::fs::read_to_string(&out).unwrap(),
        format!("{header}{RICH_EXPECTED}")
    );

    // The live database gives the same types.
    assert_eq!(p.run(&["bootstrap"]).await.code, 0);
    let mut admin = p.admin_conn().await;
    sqlx::raw_sql(RICH_SCHEMA)
        .execute(&mut admin)
        .await
        .unwrap();
    let run = p.run(&["codegen", "--db", &p.db, "--live"]).await;
    assert_eq!(run.code, 0, "{run:?}");
    let header = header
        .replace("from its schema folder", "from the live database")
        .replace(
            &format!("--db {}`", p.db),
            &format!("--db {} --live`", p.db),
        );
    assert_eq!(run.stdout, format!("{header}{RICH_EXPECTED}"));
    // Each type_name is what sqlx resolves with `::regtype`.
    for line in RICH_EXPECTED.lines() {
        if let Some(rest) = line.strip_prefix("#[sqlx(type_name = ") {
            let quoted = rest
                .split(", rename_all")
                .next()
                .unwrap()
                .trim_end_matches(")]");
            let text: String = serde_json::from_str(quoted).unwrap();
            let resolved: String = sqlx::query_scalar("SELECT $1::regtype::text")
                .bind(&text)
                .fetch_one(&mut admin)
                .await
                .unwrap();
            assert_eq!(resolved, text);
        }
    }

    let run = p.run(&["codegen", "--db", "nope"]).await;
    assert_eq!(run.code, 2, "{run:?}");
    assert_eq!(
        run.stderr,
        format!(
            "error: {}: no database named `nope`; the manifest has: {}\n",
            p.manifest_path().display(),
            p.db
        )
    );
}
