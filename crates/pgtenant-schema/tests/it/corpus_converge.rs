//! Real-world schemas no one here wrote (`tests/corpus/<name>/*.sql`): each
//! must diff against itself to an empty plan and converge from an empty
//! database and back.

use crate::acceptance::{check_convergence, Reverse};
use crate::support;
use pgtenant_schema::diff;
use pgtenant_testkit::TestDb;
use std::path::PathBuf;

fn corpus() -> Vec<(String, String)> {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/corpus");
    let mut out = Vec::new();
    let Ok(dirs) = std::fs::read_dir(&root) else {
        return out;
    };
    let mut dirs: Vec<PathBuf> = dirs
        .filter_map(|d| d.ok().map(|d| d.path()))
        .filter(|p| p.is_dir())
        .collect();
    dirs.sort();
    for dir in dirs {
        let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
            .map(|rd| rd.filter_map(|e| e.ok().map(|e| e.path())).collect())
            .unwrap_or_default();
        files.retain(|p| p.extension().is_some_and(|e| e == "sql"));
        files.sort();
        let sql: String = files
            .iter()
            .map(|f| std::fs::read_to_string(f).unwrap_or_default())
            .collect::<Vec<_>>()
            .join("\n");
        let name = dir
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        out.push((name, sql));
    }
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn corpus_schemas_diff_to_nothing_against_themselves() {
    let schemas = corpus();
    assert!(!schemas.is_empty(), "tests/corpus holds no schema");
    for (name, sql) in schemas {
        let db = TestDb::with_prefix("pgt_corpus").await;
        support::load(&db, &sql)
            .await
            .unwrap_or_else(|e| panic!("{name}: loading failed: {e}"));
        let cat = support::catalog(&db)
            .await
            .unwrap_or_else(|e| panic!("{name}: {e}"));
        let hints = support::rename_hints(&sql).unwrap_or_else(|e| panic!("{name}: {e}"));
        assert!(!cat.tables.is_empty(), "{name}: no tables introspected");
        let plan = diff(&cat, &cat, &hints);
        assert!(
            plan.is_empty(),
            "{name}: self-diff is not empty:\n{}",
            plan.to_sql()
        );
        db.drop_now().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn corpus_schemas_converge_from_empty_and_back() {
    for (name, sql) in corpus() {
        check_convergence("", &sql, Reverse::Check)
            .await
            .unwrap_or_else(|e| panic!("{name}: {e}"));
    }
}
