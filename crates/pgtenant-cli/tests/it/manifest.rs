//! Bad manifests through the binary: each gives its pinned message and exit 2.

use crate::support::{pgtenant, Project};

const GOOD: &str = r#"[project]
name = "m"

[[database]]
name = "m_app"
service_role = { name = "svc_m_app", password = "pw" }
"#;

async fn check(manifest: &str, expected: &str) {
    let p = Project::new();
    p.write_manifest(manifest);
    let run = p.run(&["bootstrap"]).await;
    let path = p.manifest_path();
    assert_eq!(run.code, 2, "{run:?}");
    assert_eq!(run.stdout, "");
    assert_eq!(
        run.stderr,
        format!("error: {}:{expected}\n", path.display())
    );
    // --json reports the same error as a document on stdout.
    let json = p.run(&["--json", "bootstrap"]).await.json();
    assert_eq!(json["exit_code"], 2);
    assert_eq!(json["error"], format!("{}:{expected}", path.display()));
}

#[tokio::test]
async fn unknown_key() {
    check(
        &GOOD.replace("name = \"m_app\"", "name = \"m_app\"\nservice-role = 1"),
        "6: unknown key `service-role`, expected one of `name`, `schema`, `migrations`, `seeds`, \
         `tenancy`, `service_role`, `superadmin_role`, `modules`, `module_schema`, `user_table`, `soft_delete`, `rbac`, `grants`, `secrets`; remove \
         it or fix its spelling",
    )
    .await;
}

#[tokio::test]
async fn missing_database_name() {
    check(
        &GOOD.replace("name = \"m_app\"\n", ""),
        "4: [[database]] number 1 has no `name`; add name = \"...\"",
    )
    .await;
}

#[tokio::test]
async fn duplicate_database() {
    let text = format!(
        "{GOOD}\n[[database]]\nname = \"m_app\"\nservice_role = {{ name = \"svc_other\", password = \"x\" }}\n"
    );
    check(
        &text,
        "8: database `m_app` is declared twice (first on line 4); each [[database]] needs its own name",
    )
    .await;
}

#[tokio::test]
async fn undefined_variable_without_default() {
    check(
        &GOOD.replace("\"pw\"", "\"${PGT_IT_SURELY_UNSET_VAR}\""),
        "6: service_role.password: ${PGT_IT_SURELY_UNSET_VAR} is not set and has no default; set \
         PGT_IT_SURELY_UNSET_VAR in the environment or in .env beside the manifest, or write \
         ${PGT_IT_SURELY_UNSET_VAR:-default}",
    )
    .await;
}

#[tokio::test]
async fn bad_url() {
    check(
        &format!("{GOOD}\n[connection]\nadmin_url = \"postgres//me:topsecret@host/db\"\n"),
        "9: connection.admin_url postgres//me:topsecret@host/db is not a valid URL (relative URL \
         without a base); expected postgres://user[:password]@host[:port]/database",
    )
    .await;
}

#[tokio::test]
async fn invalid_role_and_database_names() {
    check(
        &GOOD.replace("svc_m_app", "svc m"),
        "6: service_role.name = \"svc m\" is not a valid role name: the name contains ' '; use \
         lower-case letters, digits and _ only",
    )
    .await;
    check(
        &GOOD.replace("name = \"m_app\"", "name = \"select\""),
        "5: database.name = \"select\" is not a valid database name: the name is a reserved SQL key word",
    )
    .await;
}

#[tokio::test]
async fn dotenv_is_read_and_the_environment_wins() {
    let p = Project::new();
    p.write_manifest(&format!(
        "{GOOD}\n[connection]\nadmin_url = \"${{PGT_IT_URL}}\"\n"
    ));
    std::fs::write(
        p.dir.path().join(".env"),
        "PGT_IT_URL=mysql://from-dotenv/x\n",
    )
    .unwrap();
    let dir = p.dir.path().to_str().unwrap();
    let run = pgtenant(p.dir.path(), &["--project", dir, "bootstrap"], &[]).await;
    assert_eq!(run.code, 2);
    assert!(
        run.stderr
            .contains("connection.admin_url mysql://from-dotenv/x is not a valid URL"),
        "{}",
        run.stderr
    );
    let run = pgtenant(
        p.dir.path(),
        &["--project", dir, "bootstrap"],
        &[("PGT_IT_URL", "mysql://from-env/x")],
    )
    .await;
    assert!(
        run.stderr
            .contains("connection.admin_url mysql://from-env/x is not a valid URL"),
        "{}",
        run.stderr
    );
}

#[tokio::test]
async fn project_is_found_upward_and_usage_errors_exit_2() {
    let p = Project::new();
    p.write_manifest(&GOOD.replace("\"pw\"", "\"${PGT_IT_UNSET_2}\""));
    let sub = p.dir.path().join("a/b");
    std::fs::create_dir_all(&sub).unwrap();
    // Found from a sub folder (the error proves which file was read).
    let run = pgtenant(&sub, &["bootstrap"], &[]).await;
    assert_eq!(run.code, 2);
    assert!(
        run.stderr.contains(&format!(
            "{}:6: service_role.password",
            p.manifest_path().display()
        )),
        "{}",
        run.stderr
    );
    // A bad flag is a usage error too.
    let run = pgtenant(&sub, &["bootstrap", "--no-such-flag"], &[]).await;
    assert_eq!(run.code, 2);
    assert!(
        run.stderr
            .starts_with("error: unexpected argument '--no-such-flag' found"),
        "{}",
        run.stderr
    );
    let empty = tempfile::tempdir().unwrap();
    let run = pgtenant(empty.path(), &["--project", ".", "doctor"], &[]).await;
    assert_eq!(run.code, 2);
    assert_eq!(
        run.stderr,
        "error: --project .: no pgtenant.toml there; pass the folder of a pgtenant project\n"
    );
}

#[tokio::test]
async fn bad_admin_url_flag_is_a_usage_error_and_masked() {
    let p = Project::new();
    let run = p
        .run(&["--admin-url", "mysql://root:hunter2@db/x", "doctor"])
        .await;
    assert_eq!(run.code, 2, "{run:?}");
    assert_eq!(
        run.stderr,
        "error: --admin-url mysql://root:***@db/x: the scheme is `mysql`, not postgres; expected \
         postgres://user[:password]@host[:port]/database\n"
    );
}
