//! `pgtenant new`: an empty, correctly named migration for hand-written SQL.

use crate::support::Project;

/// The files of the project's migrations folder.
fn migration_names(p: &Project) -> Vec<String> {
    let dir = p.dir.path().join("migrations").join(&p.db);
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .map(|d| {
            d.flatten()
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .collect()
        })
        .unwrap_or_default();
    names.sort();
    names
}

#[tokio::test]
async fn migrate_new_writes_an_empty_named_file_that_migrate_runs_once_filled() {
    let p = Project::new();
    // One database: --db may be left out.
    let run = p.run(&["new", "--name", "backfill_plans"]).await;
    assert_eq!(run.code, 0, "{}\n{}", run.stdout, run.stderr);
    let names = migration_names(&p);
    let [name] = names.as_slice() else {
        panic!("expected one file, got {names:?}");
    };
    let (version, rest) = name.split_at(14);
    assert!(version.bytes().all(|b| b.is_ascii_digit()), "{name}");
    assert_eq!(rest, "_backfill_plans.sql");
    assert_eq!(run.stdout.trim(), format!("migrations/{}/{name}", p.db));
    let path = p.dir.path().join("migrations").join(&p.db).join(name);
    let text = std::fs::read_to_string(&path).expect("read");
    assert!(
        text.starts_with(&format!(
            "-- Migration backfill_plans of database {}.\n-- Written by hand (`pgtenant new`)",
            p.db
        )),
        "{text}"
    );

    // A second one in the same second gets the next version, as generate's.
    let run = p
        .run(&["--json", "new", "--db", &p.db, "--name", "backfill_plans"])
        .await;
    assert_eq!(run.code, 0, "{}\n{}", run.stdout, run.stderr);
    assert_eq!(migration_names(&p).len(), 2);
    std::fs::remove_file(run.json()["path"].as_str().expect("path")).expect("rm");

    std::fs::write(
        &path,
        format!("{text}create table plans (id int primary key);\n"),
    )
    .expect("write");
    let run = p.run(&["bootstrap"]).await;
    assert_eq!(run.code, 0, "{}\n{}", run.stdout, run.stderr);
    let run = p.run(&["migrate"]).await;
    assert_eq!(run.code, 0, "{}\n{}", run.stdout, run.stderr);
    assert!(
        run.stdout
            .contains(&format!("{}: applied 1 migration (1 on disk)", p.db)),
        "{}",
        run.stdout
    );
}

#[tokio::test]
async fn migrate_new_refuses_a_bad_slug_or_a_missing_db_and_writes_nothing() {
    let p = Project::new();
    let run = p.run(&["--json", "new", "--name", "Add Plans"]).await;
    assert_eq!(run.code, 2, "{}\n{}", run.stdout, run.stderr);
    assert_eq!(
        run.json()["error"],
        "--name \"Add Plans\": it contains 'A'; use lower-case letters, digits, `_` and `-`, e.g. --name add_invoices"
    );
    p.write_manifest(&format!(
        "{}\n[[database]]\nname = \"{db}_other\"\nservice_role = {{ name = \"{db}_other_svc\", password = \"x\" }}\n",
        p.manifest_text(),
        db = p.db
    ));
    let run = p.run(&["--json", "new", "--name", "add_plans"]).await;
    assert_eq!(run.code, 2, "{}\n{}", run.stdout, run.stderr);
    assert_eq!(
        run.json()["error"],
        "the manifest has 2 databases; pass --db NAME to choose the one the migration is for"
    );
    assert!(migration_names(&p).is_empty());
}
