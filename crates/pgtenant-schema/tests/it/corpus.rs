//! Real-world schemas from tests/corpus (see its README).

use pgtenant_schema::shadow::load_catalog;
use pgtenant_schema::{FunctionKind, QualName, TableKind};
use pgtenant_testkit::admin_url;
use std::path::Path;

fn corpus(name: &str) -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/corpus")
        .join(name)
}

#[tokio::test]
async fn pagila_loads_as_dumped_and_introspects() {
    let c = load_catalog(&admin_url(), &corpus("pagila"))
        .await
        .unwrap()
        .catalog;
    let partitions = c
        .tables
        .values()
        .filter(|t| t.partition_of.is_some())
        .count();
    let partitioned = c
        .tables
        .values()
        .filter(|t| t.kind == TableKind::Partitioned)
        .count();
    assert_eq!((c.tables.len(), partitions, partitioned), (70, 55, 1));
    assert_eq!(c.views.values().filter(|v| !v.materialized).count(), 7);
    assert_eq!(c.views.values().filter(|v| v.materialized).count(), 1);
    assert_eq!(c.functions.len(), 10);
    assert_eq!(
        c.functions
            .values()
            .filter(|f| f.kind == FunctionKind::Aggregate)
            .count(),
        1
    );
    assert_eq!(
        c.tables.values().map(|t| t.triggers.len()).sum::<usize>(),
        15
    );
    assert_eq!(c.domains.len(), 2);
    assert_eq!(
        c.enums[&QualName::new("public", "mpaa_rating")].values,
        ["G", "PG", "PG-13", "R", "NC-17"]
    );
    assert_eq!(c.sequences.len(), 13);
    assert_eq!(
        c.tables
            .values()
            .flat_map(|t| t.constraints.values())
            .filter(|k| k.references.is_some())
            .count(),
        36
    );
    let payment = &c.tables[&QualName::new("public", "payment")];
    assert_eq!(
        payment.partition_key.as_deref(),
        Some("RANGE (payment_date)")
    );
    assert!(c.domains.contains_key(&QualName::new("public", "bıgınt")));
    assert_eq!(
        c.schemas["public"].comment.as_deref(),
        Some("standard public schema")
    );
}

#[tokio::test]
async fn pagila_loaded_twice_is_equal() {
    let (url, path) = (admin_url(), corpus("pagila"));
    let (a, b) = tokio::join!(load_catalog(&url, &path), load_catalog(&url, &path));
    assert_eq!(a.unwrap(), b.unwrap());
}
