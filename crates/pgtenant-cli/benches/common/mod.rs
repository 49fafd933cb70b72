//! What the CLI's benchmarks share: a copy of examples/quickstart under
//! unique database and role names.

use pgtenant_testkit::{admin_url, unique_name};
use std::path::Path;

pub fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for e in std::fs::read_dir(from).unwrap() {
        let e = e.unwrap();
        let target = to.join(e.file_name());
        if e.file_type().unwrap().is_dir() {
            copy_dir(&e.path(), &target);
        } else {
            std::fs::copy(e.path(), target).unwrap();
        }
    }
}

/// examples/quickstart copied into `dir` with a manifest naming a unique
/// database and roles and the test server; returns the database name.
/// Nothing is created on the server yet.
pub fn quickstart_project(dir: &Path) -> String {
    let example = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples/quickstart");
    copy_dir(&example, dir);
    let db = unique_name("pgt_bench_db");
    let manifest = std::fs::read_to_string(example.join("pgtenant.toml"))
        .unwrap()
        .replace(
            "name = \"quickstart\"\nschema",
            &format!("name = \"{db}\"\nschema"),
        )
        .replace("svc_quickstart", &unique_name("pgt_bench_svc"))
        .replace("quickstart_admin", &unique_name("pgt_bench_sa"))
        .replace(
            "${DATABASE_URL:-postgres://postgres@127.0.0.1:5432/postgres}",
            &admin_url(),
        );
    std::fs::write(dir.join("pgtenant.toml"), manifest).unwrap();
    db
}
