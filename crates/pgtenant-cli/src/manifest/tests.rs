use super::parse::{expand, ExpandError};
use super::*;

fn vars(pairs: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> {
    let map: BTreeMap<String, String> = pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    move |k| map.get(k).cloned()
}

fn parse_with(text: &str, env: &[(&str, &str)]) -> Result<Manifest, ManifestError> {
    parse(
        text,
        Path::new("proj/pgtenant.toml"),
        Path::new("proj"),
        &vars(env),
    )
}

fn err(text: &str) -> String {
    parse_with(text, &[]).unwrap_err().to_string()
}

const MINIMAL: &str = r#"
[project]
name = "demo"

[[database]]
name = "app"
service_role = { name = "svc_app", password = "pw" }
"#;

#[test]
fn expand_plain_default_and_undefined() {
    let env = vars(&[("A", "1"), ("EMPTY", "")]);
    assert_eq!(expand("x${A}y", &env), Ok("x1y".to_owned()));
    assert_eq!(expand("${B:-two}", &env), Ok("two".to_owned()));
    assert_eq!(expand("${A:-two}", &env), Ok("1".to_owned()));
    assert_eq!(expand("${EMPTY:-d}", &env), Ok("d".to_owned()));
    assert_eq!(expand("${EMPTY}", &env), Ok(String::new()));
    assert_eq!(expand("${B:-}", &env), Ok(String::new()));
    assert_eq!(expand("$A and $", &env), Ok("$A and $".to_owned()));
    assert_eq!(expand("${A}${A}", &env), Ok("11".to_owned()));
    assert_eq!(
        expand("postgres://u@h:${PORT:-5432}/db", &env),
        Ok("postgres://u@h:5432/db".to_owned())
    );
    assert_eq!(
        expand("${B}", &env),
        Err(ExpandError::Undefined("B".to_owned()))
    );
    assert_eq!(expand("${A", &env), Err(ExpandError::Unclosed));
    assert_eq!(
        expand("${1A}", &env),
        Err(ExpandError::BadName("1A".to_owned()))
    );
    assert_eq!(
        expand("${}", &env),
        Err(ExpandError::BadName(String::new()))
    );
}

#[test]
fn minimal_manifest_gets_defaults() {
    let m = parse_with(MINIMAL, &[]).unwrap();
    assert_eq!(m.project.name, "demo");
    assert_eq!(m.admin_url, None);
    assert_eq!(m.tenancy, Tenancy::default());
    let db = &m.databases[0];
    assert_eq!(db.name, "app");
    assert_eq!(db.schema_dir, Path::new("proj/schema/app"));
    assert_eq!(db.migrations_dir, Path::new("proj/migrations/app"));
    assert_eq!(db.seeds.setup, Path::new("proj/seeds/app/setup"));
    assert_eq!(db.seeds.demo, Path::new("proj/seeds/app/demo"));
    assert_eq!(db.tenancy, None, "tenancy is off unless asked for");
    assert_eq!(db.service_role.name, "svc_app");
    assert_eq!(db.service_role.password.expose(), "pw");
    assert_eq!(db.superadmin_role, None);
}

#[test]
fn full_manifest_with_variables_and_overrides() {
    let text = r#"
[project]
name = "quickstart"

[connection]
admin_url = "${DATABASE_URL:-postgres://postgres@127.0.0.1:5432/postgres}"

[tenancy]
column = "tenant_id"
setting = "app.tenant_id"
user_setting = "app.user_id"
root_table = "tenants"
global_tables = ["plans"]
membership = { table = "memberships", user_column = "user_id", tenant_column = "tenant_id" }

[[database]]
name = "quickstart"
schema = "db/schema"
migrations = "db/migrations"
seeds = { setup = "db/seeds/setup" }
tenancy = true
service_role = { name = "svc_quickstart", password = "${SVC_PW}" }
superadmin_role = { name = "quickstart_admin", password = "${ADMIN_PW:-admin-dev}" }

[[database]]
name = "billing"
tenancy = { column = "org_id", root_table = "orgs" }
service_role = { name = "svc_billing", password = "b" }

[[database]]
name = "logs"
tenancy = false
service_role = { name = "svc_logs", password = "l" }
"#;
    let m = parse_with(text, &[("SVC_PW", "s3cret")]).unwrap();
    assert_eq!(
        m.admin_url.as_deref(),
        Some("postgres://postgres@127.0.0.1:5432/postgres")
    );
    let q = &m.databases[0];
    assert_eq!(q.schema_dir, Path::new("proj/db/schema"));
    assert_eq!(q.seeds.setup, Path::new("proj/db/seeds/setup"));
    assert_eq!(q.seeds.demo, Path::new("proj/seeds/quickstart/demo"));
    assert_eq!(q.service_role.password.expose(), "s3cret");
    assert_eq!(
        q.superadmin_role.as_ref().unwrap().password.expose(),
        "admin-dev"
    );
    let t = q.tenancy.as_ref().unwrap();
    assert_eq!(t.user_setting.as_deref(), Some("app.user_id"));
    assert_eq!(t.global_tables, vec!["plans".to_owned()]);
    assert_eq!(t.membership.as_ref().unwrap().table, "memberships");
    let b = m.databases[1].tenancy.as_ref().unwrap();
    assert_eq!(b.column, "org_id");
    assert_eq!(b.root_table, "orgs");
    assert_eq!(b.setting, "app.tenant_id", "not overridden: from [tenancy]");
    assert_eq!(b.membership, t.membership);
    assert_eq!(m.databases[2].tenancy, None);
    assert_eq!(m.select(Some("billing")).unwrap()[0].name, "billing");
    assert_eq!(
        m.select(Some("nope")).unwrap_err().to_string(),
        "proj/pgtenant.toml: no database named `nope`; the manifest has: quickstart, billing, logs"
    );
}

#[test]
fn secrets_do_not_debug_print() {
    let m = parse_with(MINIMAL, &[]).unwrap();
    let debug = format!("{m:?}");
    assert!(!debug.contains("\"pw\""), "{debug}");
    assert!(debug.contains("Secret(***)"));
}

#[test]
fn unknown_key_names_file_line_and_key() {
    let text = MINIMAL.replace("name = \"app\"", "name = \"app\"\nschemas = \"x\"");
    assert_eq!(
        err(&text),
        "proj/pgtenant.toml:7: unknown key `schemas`, expected one of `name`, `schema`, \
         `migrations`, `seeds`, `tenancy`, `service_role`, `superadmin_role`, `modules`, \
         `module_schema`, `user_table`, `soft_delete`, `rbac`, `grants`, `secrets`; remove it or fix its spelling"
    );
}

#[test]
fn unknown_top_level_table() {
    let text = format!("{MINIMAL}\n[conection]\nadmin_url = \"x\"\n");
    let e = err(&text);
    assert!(
        e.starts_with("proj/pgtenant.toml:9: unknown key `conection`"),
        "{e}"
    );
}

#[test]
fn unknown_key_inside_inline_tenancy_override() {
    let text = MINIMAL.replace(
        "name = \"app\"",
        "name = \"app\"\ntenancy = { colum = \"x\" }",
    );
    let e = err(&text);
    assert!(
        e.starts_with("proj/pgtenant.toml:7: unknown key `colum`"),
        "{e}"
    );
}

#[test]
fn missing_database_name() {
    let text = MINIMAL.replace("name = \"app\"\n", "");
    assert_eq!(
        err(&text),
        "proj/pgtenant.toml:5: [[database]] number 1 has no `name`; add name = \"...\""
    );
}

#[test]
fn duplicate_database() {
    let text = format!("{MINIMAL}\n[[database]]\nname = \"app\"\nservice_role = {{ name = \"svc_b\", password = \"x\" }}\n");
    assert_eq!(
        err(&text),
        "proj/pgtenant.toml:9: database `app` is declared twice (first on line 5); each [[database]] needs its own name"
    );
}

#[test]
fn shared_role_between_databases() {
    let text = format!("{MINIMAL}\n[[database]]\nname = \"b\"\nservice_role = {{ name = \"svc_app\", password = \"x\" }}\n");
    assert_eq!(
        err(&text),
        "proj/pgtenant.toml:9: role `svc_app` of database `b` is already used by database `app`; \
         every database needs its own service and superadmin roles"
    );
}

#[test]
fn undefined_variable_names_key_and_variable() {
    let text = MINIMAL.replace("password = \"pw\"", "password = \"${SVC_APP_PW}\"");
    assert_eq!(
        err(&text),
        "proj/pgtenant.toml:7: service_role.password: ${SVC_APP_PW} is not set and has no default; \
         set SVC_APP_PW in the environment or in .env beside the manifest, or write ${SVC_APP_PW:-default}"
    );
}

#[test]
fn bad_url_is_masked() {
    let text = format!("{MINIMAL}\n[connection]\nadmin_url = \"mysql://root:hunter2@db/x\"\n");
    assert_eq!(
        err(&text),
        "proj/pgtenant.toml:10: connection.admin_url mysql://root:***@db/x is not a valid URL \
         (the scheme is `mysql`, not postgres); expected postgres://user[:password]@host[:port]/database"
    );
    let text = format!("{MINIMAL}\n[connection]\nadmin_url = \"localhost:5432\"\n");
    assert!(err(&text).starts_with(
        "proj/pgtenant.toml:10: connection.admin_url localhost:5432 is not a valid URL"
    ));
}

#[test]
fn invalid_identifiers() {
    let text = MINIMAL.replace("name = \"app\"", "name = \"My-App\"");
    assert_eq!(
        err(&text),
        "proj/pgtenant.toml:6: database.name = \"My-App\" is not a valid database name: \
         the name must start with a lower-case letter or _"
    );
    let text = MINIMAL.replace("svc_app", "svc;drop");
    assert_eq!(
        err(&text),
        "proj/pgtenant.toml:7: service_role.name = \"svc;drop\" is not a valid role name: \
         the name contains ';'; use lower-case letters, digits and _ only"
    );
    let text = MINIMAL.replace("svc_app", "pg_svc");
    assert_eq!(
        err(&text),
        "proj/pgtenant.toml:7: service_role.name = \"pg_svc\" is reserved by PostgreSQL; pick another role name"
    );
    let text = MINIMAL.replace("name = \"app\"", "name = \"postgres\"");
    assert_eq!(
        err(&text),
        "proj/pgtenant.toml:6: database.name = \"postgres\" is a system database; pgtenant manages only its own databases"
    );
}

#[test]
fn missing_service_role_and_password() {
    let text = MINIMAL.replace(
        "service_role = { name = \"svc_app\", password = \"pw\" }\n",
        "",
    );
    assert_eq!(
        err(&text),
        "proj/pgtenant.toml:5: database `app` has no service_role; add service_role = \
         { name = \"svc_app\", password = \"${SVC_APP_PASSWORD}\" }"
    );
    let text = MINIMAL.replace(", password = \"pw\"", "");
    assert_eq!(
        err(&text),
        "proj/pgtenant.toml:7: service_role of database `app` has no `password`; add password = \"${SOME_VAR}\""
    );
}

#[test]
fn bad_setting_and_tenancy_type() {
    let text = format!("[tenancy]\nsetting = \"tenant\"\n{MINIMAL}");
    assert_eq!(
        err(&text),
        "proj/pgtenant.toml:2: tenancy.setting = \"tenant\" is not a custom setting name; \
         expected prefix.name such as \"app.tenant_id\""
    );
    let text = MINIMAL.replace("name = \"app\"", "name = \"app\"\ntenancy = \"yes\"");
    let e = err(&text);
    assert!(
        e.starts_with(
            "proj/pgtenant.toml:7: invalid type: string \"yes\", expected true, false, or a table"
        ),
        "{e}"
    );
}

#[test]
fn missing_project_and_databases() {
    assert_eq!(
        err("[[database]]\nname = \"a\"\nservice_role = { name = \"s\", password = \"p\" }\n"),
        "proj/pgtenant.toml: missing [project] table; add [project] with name = \"...\""
    );
    assert_eq!(
        err("[project]\nname = \"x\"\n"),
        "proj/pgtenant.toml: no [[database]]; add one with name = \"...\" and service_role = \
         { name = \"...\", password = \"...\" }"
    );
}

#[test]
fn toml_syntax_error_has_a_line() {
    let e = err("[project]\nname = \"x\n");
    assert!(e.starts_with("proj/pgtenant.toml:2: "), "{e}");
}

#[test]
fn manifest_role_timeouts_default_and_override() {
    let m = parse_with(MINIMAL, &[]).unwrap();
    assert_eq!(
        m.databases[0].service_role.timeouts,
        Timeouts::service_defaults()
    );
    assert_eq!(
        m.databases[0].service_role.timeouts.settings(),
        [
            ("statement_timeout", None),
            ("lock_timeout", Some("5s")),
            ("idle_in_transaction_session_timeout", Some("60s")),
        ]
    );
    let text = MINIMAL.replace(
        "password = \"pw\" }",
        "password = \"pw\", statement_timeout = \"${ST:-30s}\", lock_timeout = \"0\", \
         idle_in_transaction_session_timeout = \"5min\" }\n\
         superadmin_role = { name = \"sa_app\", password = \"pw\", statement_timeout = \"1h\" }",
    );
    let m = parse_with(&text, &[]).unwrap();
    let db = &m.databases[0];
    assert_eq!(
        db.service_role.timeouts,
        Timeouts {
            statement_timeout: Some("30s".to_owned()),
            lock_timeout: Some("0".to_owned()),
            idle_in_transaction_session_timeout: Some("5min".to_owned()),
        }
    );
    assert_eq!(
        db.superadmin_role.as_ref().unwrap().timeouts,
        Timeouts {
            statement_timeout: Some("1h".to_owned()),
            ..Timeouts::default()
        },
        "a superadmin role gets no defaults"
    );
}

#[test]
fn manifest_bad_timeout_names_file_line_and_key() {
    for bad in [
        "5 seconds",
        "30",
        "s",
        "1.5s",
        "-1s",
        "5mins",
        "30s; SELECT 1",
    ] {
        let text = MINIMAL.replace(
            "password = \"pw\" }",
            &format!("password = \"pw\", lock_timeout = {bad:?} }}"),
        );
        assert_eq!(
            err(&text),
            format!(
                "proj/pgtenant.toml:7: service_role.lock_timeout = {bad:?} is not a PostgreSQL \
                 duration; write a whole number with a unit (us, ms, s, min, h, d) such as \
                 \"500ms\", \"30s\" or \"5min\", or \"0\" for no limit"
            )
        );
    }
    let text = MINIMAL.replace(
        "password = \"pw\" }",
        "password = \"pw\", idle_in_transaction_session_timeout = \"1 minute\" }",
    );
    assert!(
        err(&text).starts_with(
            "proj/pgtenant.toml:7: service_role.idle_in_transaction_session_timeout = \"1 minute\" \
             is not a PostgreSQL duration;"
        ),
        "{}",
        err(&text)
    );
}

#[test]
fn secrets_name_key_ids_and_variables_newest_first() {
    let text = format!(
        "{MINIMAL}\n[database.secrets]\nkeys = [{{ id = \"k2\", env = \"CREDS_V2\" }}, {{ id = \"k1\", env = \"CREDS_V1\" }}]\nlegacy_env = \"CREDENTIALS_ENCRYPTION_KEY\"\n"
    );
    let m = parse_with(&text, &[]).unwrap();
    let s = m.databases[0].secrets.clone().unwrap();
    assert_eq!(
        s.keys,
        [
            KeySource {
                id: "k2".into(),
                env: "CREDS_V2".into()
            },
            KeySource {
                id: "k1".into(),
                env: "CREDS_V1".into()
            }
        ]
    );
    assert_eq!(s.legacy_env.as_deref(), Some("CREDENTIALS_ENCRYPTION_KEY"));
    assert_eq!(parse_with(MINIMAL, &[]).unwrap().databases[0].secrets, None);
}

#[test]
fn bad_secrets_name_file_line_and_what_to_write() {
    let with = |body: &str| err(&format!("{MINIMAL}\n[database.secrets]\n{body}\n"));
    assert_eq!(
        with("keys = []"),
        "proj/pgtenant.toml:9: [database.secrets] of database `app` lists no keys; add \
         keys = [{ id = \"k1\", env = \"APP_SECRET_KEY\" }] (newest first)"
    );
    assert_eq!(
        with("keys = [{ id = \"K 1\", env = \"A\" }]"),
        "proj/pgtenant.toml:10: secrets.keys.id: key id \"K 1\" must be 1 to 32 characters of \
         a-z, 0-9, _ and -"
    );
    assert_eq!(
        with("keys = [{ id = \"k1\", env = \"A\" },\n  { id = \"k1\", env = \"B\" }]"),
        "proj/pgtenant.toml:11: secrets.keys.id \"k1\" is listed twice; every key needs its own id"
    );
    assert_eq!(
        with("keys = [{ id = \"k1\", env = \"base64:abc=\" }]"),
        "proj/pgtenant.toml:10: secrets.keys.env = \"base64:abc=\" is not an environment variable \
         name; write the variable's name (letters, digits and _), such as \"APP_SECRET_KEY\", \
         not its value"
    );
    assert_eq!(
        with("keys = [{ id = \"k1\" }]"),
        "proj/pgtenant.toml:10: a key of [database.secrets] of database `app` has no `env`"
    );
}

#[test]
fn a_database_with_tenancy_off_takes_only_modules_that_do_without_it() {
    let ok = parse_with(
        &format!("{MINIMAL}modules = [\"sessions\"]\nuser_table = \"users\"\n"),
        &[],
    )
    .unwrap();
    let db = &ok.databases[0];
    assert_eq!(
        (db.tenancy.is_none(), db.user_table.as_deref()),
        (true, Some("users"))
    );
    assert_eq!(
        err(&format!(
            "{MINIMAL}modules = [\"sessions\", \"rbac\"]\nuser_table = \"users\"\n"
        )),
        "proj/pgtenant.toml:8: database `app`: module rbac needs tenancy (its rows belong to \
         tenants); set tenancy = true for this database, or remove \"rbac\" from its modules"
    );
    assert_eq!(
        err(&format!("{MINIMAL}modules = [\"sessions\"]\n")),
        "proj/pgtenant.toml:8: database `app`: module sessions in a database with tenancy off \
         needs user_table = \"<table>\", the table whose one-column primary key is the user id"
    );
}
