//! `pgtenant import --from drizzle|prisma`: folders in each tool's own
//! layout, imported, migrated on a real database; the SQL kept byte for
//! byte; every refusal's message, with nothing written.

use crate::support::Project;
use std::path::{Path, PathBuf};

pub(crate) fn write(root: &Path, rel: &str, text: &str) {
    let p = root.join(rel);
    std::fs::create_dir_all(p.parent().expect("parent")).expect("mkdir");
    std::fs::write(p, text).expect("write");
}

pub(crate) fn target(p: &Project) -> PathBuf {
    p.dir.path().join("migrations").join(&p.db)
}

/// Run a refused import; returns its error text, after checking that the
/// exit code is 2 and that nothing was written.
pub(crate) async fn refused(p: &Project, args: &[&str]) -> String {
    let mut all = vec!["--json", "import"];
    all.extend_from_slice(args);
    let run = p.run(&all).await;
    assert_eq!(run.code, 2, "{}\n{}", run.stdout, run.stderr);
    let migrations = p.dir.path().join("migrations");
    let left: Vec<_> = std::fs::read_dir(&migrations)
        .map(|d| d.flatten().map(|e| e.path()).collect())
        .unwrap_or_default();
    // At most the empty target folder, never a leftover temporary one.
    let wrote_nothing = left
        .iter()
        .all(|d| std::fs::read_dir(d).is_ok_and(|mut e| e.next().is_none()));
    assert!(wrote_nothing, "a refused import wrote {left:?}");
    run.json()["error"].as_str().expect("error text").to_owned()
}

pub(crate) const DRIZZLE_0000: &str = r#"CREATE TABLE IF NOT EXISTS "users" (
	"id" serial PRIMARY KEY NOT NULL,
	"email" text NOT NULL,
	"created_at" timestamp DEFAULT now() NOT NULL,
	CONSTRAINT "users_email_unique" UNIQUE("email")
);
--> statement-breakpoint
CREATE TABLE IF NOT EXISTS "posts" (
	"id" serial PRIMARY KEY NOT NULL,
	"author_id" integer NOT NULL,
	"title" text NOT NULL
);
--> statement-breakpoint
DO $$ BEGIN
 ALTER TABLE "posts" ADD CONSTRAINT "posts_author_id_users_id_fk" FOREIGN KEY ("author_id") REFERENCES "public"."users"("id") ON DELETE cascade ON UPDATE no action;
EXCEPTION
 WHEN duplicate_object THEN null;
END $$;
"#;

pub(crate) const DRIZZLE_0001: &str =
    "ALTER TABLE \"posts\" ADD COLUMN \"published\" boolean DEFAULT false NOT NULL;";

pub(crate) const DRIZZLE_0002: &str = "CREATE TABLE IF NOT EXISTS \"comments\" (\r\n\t\"id\" serial PRIMARY KEY NOT NULL,\r\n\t\"post_id\" integer NOT NULL REFERENCES \"posts\"(\"id\"),\r\n\t\"body\" text\r\n);\r\n--> statement-breakpoint\r\nCREATE INDEX IF NOT EXISTS \"comments_post_idx\" ON \"comments\" USING btree (\"post_id\");\r\n";

pub(crate) const DRIZZLE_JOURNAL: &str = r#"{
  "version": "7",
  "dialect": "postgresql",
  "entries": [
    { "idx": 0, "version": "7", "when": 1717000000000, "tag": "0000_wise_scarlet_witch", "breakpoints": true },
    { "idx": 1, "version": "7", "when": 1717000000400, "tag": "0001_published_flag", "breakpoints": true },
    { "idx": 2, "version": "7", "when": 1717003600000, "tag": "0002_comments", "breakpoints": true }
  ]
}
"#;

/// A drizzle-kit `out` folder as `drizzle-kit generate` leaves it.
pub(crate) fn drizzle_folder(root: &Path) -> PathBuf {
    let dir = root.join("drizzle");
    write(&dir, "0000_wise_scarlet_witch.sql", DRIZZLE_0000);
    write(&dir, "0001_published_flag.sql", DRIZZLE_0001);
    write(&dir, "0002_comments.sql", DRIZZLE_0002);
    write(&dir, "meta/_journal.json", DRIZZLE_JOURNAL);
    write(
        &dir,
        "meta/0000_snapshot.json",
        "{\"id\": \"x\", \"dialect\": \"postgresql\"}\n",
    );
    dir
}

pub(crate) const PRISMA_INIT: &str = r#"-- CreateEnum
CREATE TYPE "Role" AS ENUM ('USER', 'ADMIN');

-- CreateTable
CREATE TABLE "User" (
    "id" SERIAL NOT NULL,
    "email" TEXT NOT NULL,
    "role" "Role" NOT NULL DEFAULT 'USER',

    CONSTRAINT "User_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE UNIQUE INDEX "User_email_key" ON "User"("email");
"#;

pub(crate) const PRISMA_POSTS: &str = r#"-- CreateTable
CREATE TABLE "Post" (
    "id" SERIAL NOT NULL,
    "title" TEXT NOT NULL,
    "authorId" INTEGER NOT NULL,

    CONSTRAINT "Post_pkey" PRIMARY KEY ("id")
);

-- AddForeignKey
ALTER TABLE "Post" ADD CONSTRAINT "Post_authorId_fkey" FOREIGN KEY ("authorId") REFERENCES "User"("id") ON DELETE RESTRICT ON UPDATE CASCADE;
"#;

pub(crate) const PRISMA_STATUS: &str = r#"-- CreateEnum
CREATE TYPE "PostStatus" AS ENUM ('DRAFT', 'PUBLISHED');

-- AlterTable
ALTER TABLE "Post" ADD COLUMN     "status" "PostStatus" NOT NULL DEFAULT 'DRAFT';
"#;

/// A `prisma/migrations` folder as `prisma migrate dev` leaves it.
pub(crate) fn prisma_folder(root: &Path) -> PathBuf {
    let dir = root.join("prisma").join("migrations");
    write(&dir, "20240301090000_init/migration.sql", PRISMA_INIT);
    write(&dir, "20240302101500_add_posts/migration.sql", PRISMA_POSTS);
    write(
        &dir,
        "20240310120000_post_status/migration.sql",
        PRISMA_STATUS,
    );
    write(
        &dir,
        "migration_lock.toml",
        "# Please do not edit this file manually\n# It should be added in your version-control system (i.e. Git)\nprovider = \"postgresql\"\n",
    );
    dir
}

pub(crate) fn listing(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .expect("read target")
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

fn assert_same_bytes(dir: &Path, pairs: &[(&str, &str)]) {
    for (name, text) in pairs {
        let got = std::fs::read(dir.join(name)).expect("imported file");
        assert_eq!(
            got,
            text.as_bytes(),
            "{name} is not byte for byte its source"
        );
    }
}

pub(crate) async fn bootstrap_and_migrate(p: &Project) -> String {
    let run = p.run(&["bootstrap"]).await;
    assert_eq!(run.code, 0, "{}\n{}", run.stdout, run.stderr);
    let run = p.run(&["migrate", "--db", &p.db]).await;
    assert_eq!(run.code, 0, "{}\n{}", run.stdout, run.stderr);
    run.stdout
}

pub(crate) async fn columns(p: &Project, table: &str) -> Vec<String> {
    let mut conn = p.admin_conn().await;
    sqlx::query_scalar::<_, String>(
        "SELECT column_name::text || ' ' || udt_name::text FROM information_schema.columns
         WHERE table_schema = 'public' AND table_name = $1 ORDER BY ordinal_position",
    )
    .bind(table)
    .fetch_all(&mut conn)
    .await
    .expect("columns")
}

#[tokio::test]
async fn import_drizzle_keeps_journal_order_and_bytes_then_migrates() {
    let p = Project::new();
    let src = drizzle_folder(p.dir.path());
    let src_arg = src.to_str().expect("utf-8").to_owned();
    let run = p
        .run(&[
            "--json", "import", "--from", "drizzle", &src_arg, "--db", &p.db,
        ])
        .await;
    assert_eq!(run.code, 0, "{}\n{}", run.stdout, run.stderr);
    let doc = run.json();
    assert_eq!(doc["from"], "drizzle");
    assert_eq!(doc["migrations"].as_array().map(Vec::len), Some(3));
    assert_eq!(
        doc["migrations"][2]["source"],
        src.join("0002_comments.sql").display().to_string()
    );

    // `when` in UTC; the second entry, in the same second, one second later.
    let dir = target(&p);
    assert_eq!(
        listing(&dir),
        [
            "20240529162640_wise_scarlet_witch.sql",
            "20240529162641_published_flag.sql",
            "20240529172640_comments.sql"
        ]
    );
    assert_same_bytes(
        &dir,
        &[
            ("20240529162640_wise_scarlet_witch.sql", DRIZZLE_0000),
            ("20240529162641_published_flag.sql", DRIZZLE_0001),
            ("20240529172640_comments.sql", DRIZZLE_0002),
        ],
    );

    let out = bootstrap_and_migrate(&p).await;
    assert!(
        out.contains(&format!("{}: applied 3 migrations", p.db)),
        "{out}"
    );
    assert_eq!(
        columns(&p, "posts").await,
        ["id int4", "author_id int4", "title text", "published bool"]
    );
    assert_eq!(
        columns(&p, "comments").await,
        ["id int4", "post_id int4", "body text"]
    );
    let mut conn = p.admin_conn().await;
    let fks: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM pg_constraint WHERE contype = 'f'
         AND conname IN ('posts_author_id_users_id_fk', 'comments_post_id_fkey')",
    )
    .fetch_one(&mut conn)
    .await
    .expect("fks");
    assert_eq!(fks, 2);
    let idx: i64 =
        sqlx::query_scalar("SELECT count(*) FROM pg_indexes WHERE indexname = 'comments_post_idx'")
            .fetch_one(&mut conn)
            .await
            .expect("index");
    assert_eq!(idx, 1);
    let run = p.run(&["migrate", "--db", &p.db]).await;
    assert_eq!(
        run.stdout.trim(),
        format!("{}: up to date (3 migrations)", p.db)
    );
}

#[tokio::test]
async fn import_drizzle_refusals_name_the_file_and_write_nothing() {
    let p = Project::new();
    let root = p.dir.path();
    let src = drizzle_folder(root);
    let s = src.to_str().expect("utf-8").to_owned();
    let journal = src.join("meta/_journal.json").display().to_string();
    let args = ["--from", "drizzle", s.as_str(), "--db", p.db.as_str()];

    // A file the journal does not list.
    write(&src, "0003_stray.sql", "select 1;\n");
    assert_eq!(
        refused(&p, &args).await,
        format!(
            "{} is not in {journal}: drizzle-kit would not run it; add it to the journal (drizzle-kit generate) or move it away",
            src.join("0003_stray.sql").display()
        )
    );
    std::fs::remove_file(src.join("0003_stray.sql")).expect("rm");

    // A journal entry whose file is gone.
    let moved = root.join("0001.bak");
    std::fs::rename(src.join("0001_published_flag.sql"), &moved).expect("mv");
    assert_eq!(
        refused(&p, &args).await,
        format!(
            "{journal} lists 0001_published_flag (idx 1) but {} does not exist",
            src.join("0001_published_flag.sql").display()
        )
    );
    std::fs::rename(&moved, src.join("0001_published_flag.sql")).expect("mv back");

    // A tag listed twice would be one file imported twice.
    write(
        &src,
        "meta/_journal.json",
        &DRIZZLE_JOURNAL.replace("0001_published_flag\"", "0000_wise_scarlet_witch\""),
    );
    assert_eq!(
        refused(&p, &args).await,
        format!("{journal} lists the tag 0000_wise_scarlet_witch twice")
    );

    // No journal.
    std::fs::remove_file(src.join("meta/_journal.json")).expect("rm");
    assert_eq!(
        refused(&p, &args).await,
        format!(
            "{journal} is missing: a drizzle-kit folder keeps its order there (is {s} the `out` folder of drizzle.config?)"
        )
    );

    // An empty folder.
    let empty = root.join("empty");
    std::fs::create_dir(&empty).expect("mkdir");
    let e = empty.to_str().expect("utf-8");
    assert_eq!(
        refused(&p, &["--from", "drizzle", e, "--db", &p.db]).await,
        format!("{e} is empty: there are no migrations to import")
    );

    // A target folder that already holds files.
    write(&src, "meta/_journal.json", DRIZZLE_JOURNAL);
    let dir = target(&p);
    write(&dir, "20240101000000_mine.sql", "select 1;\n");
    let run = p
        .run(&["--json", "import", "--from", "drizzle", &s, "--db", &p.db])
        .await;
    assert_eq!(run.code, 2, "{}", run.stdout);
    assert_eq!(
        run.json()["error"],
        format!(
            "the migrations folder {} of database {} already holds 1 entry (first: 20240101000000_mine.sql); import writes only into an empty folder: move those files away, or set `migrations` of this [[database]] to a new folder, and import again",
            dir.display(),
            p.db
        )
    );
    assert_eq!(listing(&dir), ["20240101000000_mine.sql"]);

    // An empty target folder is fine.
    std::fs::remove_file(dir.join("20240101000000_mine.sql")).expect("rm");
    let run = p
        .run(&["import", "--from", "drizzle", &s, "--db", &p.db])
        .await;
    assert_eq!(run.code, 0, "{}\n{}", run.stdout, run.stderr);
    assert_eq!(listing(&dir).len(), 3);
}

#[tokio::test]
async fn import_prisma_keeps_folder_order_and_bytes_then_migrates() {
    let p = Project::new();
    let src = prisma_folder(p.dir.path());
    let s = src.to_str().expect("utf-8").to_owned();
    let run = p
        .run(&["import", "--from", "prisma", &s, "--db", &p.db])
        .await;
    assert_eq!(run.code, 0, "{}\n{}", run.stdout, run.stderr);
    let dir = target(&p);
    assert!(
        run.stdout.starts_with(&format!(
            "import: 3 prisma migrations into {}",
            dir.display()
        )),
        "{}",
        run.stdout
    );
    assert_eq!(
        listing(&dir),
        [
            "20240301090000_init.sql",
            "20240302101500_add_posts.sql",
            "20240310120000_post_status.sql"
        ]
    );
    assert_same_bytes(
        &dir,
        &[
            ("20240301090000_init.sql", PRISMA_INIT),
            ("20240302101500_add_posts.sql", PRISMA_POSTS),
            ("20240310120000_post_status.sql", PRISMA_STATUS),
        ],
    );

    let out = bootstrap_and_migrate(&p).await;
    assert!(
        out.contains(&format!("{}: applied 3 migrations", p.db)),
        "{out}"
    );
    assert_eq!(
        columns(&p, "User").await,
        ["id int4", "email text", "role Role"]
    );
    assert_eq!(
        columns(&p, "Post").await,
        [
            "id int4",
            "title text",
            "authorId int4",
            "status PostStatus"
        ]
    );
    let mut conn = p.admin_conn().await;
    let labels: Vec<String> = sqlx::query_scalar(
        "SELECT t.typname::text || '.' || e.enumlabel::text FROM pg_enum e JOIN pg_type t ON t.oid = e.enumtypid
         WHERE t.typname IN ('Role', 'PostStatus') ORDER BY t.typname, e.enumsortorder",
    )
    .fetch_all(&mut conn)
    .await
    .expect("enum labels");
    assert_eq!(
        labels,
        [
            "PostStatus.DRAFT",
            "PostStatus.PUBLISHED",
            "Role.USER",
            "Role.ADMIN"
        ]
    );
}

#[tokio::test]
async fn import_prisma_refusals_name_the_file_and_write_nothing() {
    let p = Project::new();
    let root = p.dir.path();
    let src = prisma_folder(root);
    let s = src.to_str().expect("utf-8").to_owned();
    let args = ["--from", "prisma", s.as_str(), "--db", p.db.as_str()];

    // Two folders with one timestamp.
    write(
        &src,
        "20240302101500_add_tags/migration.sql",
        "CREATE TABLE \"Tag\" (\"id\" SERIAL);\n",
    );
    assert_eq!(
        refused(&p, &args).await,
        format!(
            "{} and {} would both get the version 20240302101500; a version is one migration: give one of them another timestamp",
            src.join("20240302101500_add_posts/migration.sql").display(),
            src.join("20240302101500_add_tags/migration.sql").display()
        )
    );
    std::fs::remove_dir_all(src.join("20240302101500_add_tags")).expect("rm");

    // A folder without its migration.sql.
    std::fs::create_dir(src.join("20240401000000_half_done")).expect("mkdir");
    assert_eq!(
        refused(&p, &args).await,
        format!(
            "{} is missing",
            src.join("20240401000000_half_done/migration.sql").display()
        )
    );
    std::fs::remove_dir(src.join("20240401000000_half_done")).expect("rm");

    // A folder not named as Prisma names them.
    write(&src, "manual_fix/migration.sql", "select 1;\n");
    assert_eq!(
        refused(&p, &args).await,
        format!(
            "{} is not named <yyyymmddHHMMSS>_<name> as Prisma names its migration folders",
            src.join("manual_fix").display()
        )
    );
    std::fs::remove_dir_all(src.join("manual_fix")).expect("rm");

    // SQL pgtenant cannot run as one migration: named, nothing written.
    write(
        &src,
        "20240402000000_tx/migration.sql",
        "BEGIN;\nselect 1;\nCOMMIT;\n",
    );
    assert_eq!(
        refused(&p, &args).await,
        format!(
            "{}:1: BEGIN inside a migration; remove it (pgtenant runs each migration in its own transaction with its journal row), or mark the file `-- pgtenant:no-transaction`",
            src.join("20240402000000_tx/migration.sql").display()
        )
    );
    std::fs::remove_dir_all(src.join("20240402000000_tx")).expect("rm");

    // Only the lock file: no migrations.
    let only_lock = root.join("only_lock");
    write(
        &only_lock,
        "migration_lock.toml",
        "provider = \"postgresql\"\n",
    );
    let o = only_lock.to_str().expect("utf-8");
    assert_eq!(
        refused(&p, &["--from", "prisma", o, "--db", &p.db]).await,
        format!("{o} holds no migration folders: there are no migrations to import")
    );

    // Another provider.
    write(&only_lock, "migration_lock.toml", "provider = \"mysql\"\n");
    assert_eq!(
        refused(&p, &["--from", "prisma", o, "--db", &p.db]).await,
        format!(
            "{} names the provider mysql; pgtenant imports PostgreSQL migrations only",
            only_lock.join("migration_lock.toml").display()
        )
    );

    // An empty folder.
    let empty = root.join("empty");
    std::fs::create_dir(&empty).expect("mkdir");
    let e = empty.to_str().expect("utf-8");
    assert_eq!(
        refused(&p, &["--from", "prisma", e, "--db", &p.db]).await,
        format!("{e} is empty: there are no migrations to import")
    );
}
