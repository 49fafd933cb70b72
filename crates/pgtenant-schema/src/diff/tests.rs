//! Unit tests on hand-built catalogs (built with `test_catalog`). The convergence cases against a real
//! server live in `tests/it/acceptance`.

use super::diff;
use crate::model::*;
use crate::plan::HazardKind;
use crate::test_catalog::{self as tc, table};

fn col(name: &str, ty: &str) -> Column {
    tc::col(name, ty, false)
}

fn cat(tables: Vec<Table>) -> Catalog {
    let mut c = Catalog::default();
    for t in tables {
        c.tables.insert(t.name.clone(), t);
    }
    c
}

fn fk(name: &str, cols: &str, target: &str) -> Constraint {
    let mut c = tc::fk(name, &[cols], target, &["id"]);
    c.definition = format!("FOREIGN KEY ({cols}) REFERENCES public.{target}(id)");
    c
}

fn pk(name: &str) -> Constraint {
    let mut c = tc::constraint(name, ConstraintKind::PrimaryKey, &["id"]);
    c.definition = "PRIMARY KEY (id)".into();
    c
}

#[test]
fn identical_catalogs_give_an_empty_plan() {
    let c = cat(vec![table("users", vec![col("id", "integer")])]);
    assert!(diff(&c, &c, &[]).is_empty());
}

#[test]
fn dropping_a_column_is_a_deletes_data_hazard() {
    let a = cat(vec![table(
        "users",
        vec![col("id", "integer"), col("email", "text")],
    )]);
    let b = cat(vec![table("users", vec![col("id", "integer")])]);
    let p = diff(&a, &b, &[]);
    assert_eq!(
        p.to_sql(),
        "-- hazard: DELETES_DATA: dropping column public.users.email\n\
         ALTER TABLE public.users DROP COLUMN email;\n"
    );
}

#[test]
fn type_change_is_an_alter_with_using_never_drop_and_add() {
    let a = cat(vec![table("t", vec![col("n", "integer")])]);
    let b = cat(vec![table("t", vec![col("n", "bigint")])]);
    let p = diff(&a, &b, &[]);
    assert_eq!(p.steps.len(), 1);
    assert_eq!(
        p.steps[0].sql,
        "ALTER TABLE public.t ALTER COLUMN n TYPE bigint USING n::bigint"
    );
    assert!(p.hazards().any(|h| h.kind == HazardKind::RewritesTable));
}

#[test]
fn fk_cycle_tables_are_created_before_their_foreign_keys() {
    let mut a = table("a", vec![col("id", "integer"), col("b_id", "integer")]);
    a.constraints.insert("a_pkey".into(), pk("a_pkey"));
    a.constraints
        .insert("a_b_fk".into(), fk("a_b_fk", "b_id", "b"));
    let mut b = table("b", vec![col("id", "integer"), col("a_id", "integer")]);
    b.constraints.insert("b_pkey".into(), pk("b_pkey"));
    b.constraints
        .insert("b_a_fk".into(), fk("b_a_fk", "a_id", "a"));
    let to = cat(vec![a, b]);
    let p = diff(&Catalog::default(), &to, &[]);
    let sqls: Vec<&str> = p.steps.iter().map(|s| s.sql.as_str()).collect();
    let pos = |needle: &str| sqls.iter().position(|s| s.contains(needle)).unwrap();
    assert!(pos("CREATE TABLE public.b") < pos("ADD CONSTRAINT a_b_fk"));
    assert!(pos("ADD CONSTRAINT b_pkey") < pos("ADD CONSTRAINT a_b_fk"));
    // and back: foreign keys go before the tables
    let back = diff(&to, &Catalog::default(), &[]);
    let sqls: Vec<&str> = back.steps.iter().map(|s| s.sql.as_str()).collect();
    assert_eq!(
        sqls,
        vec![
            "ALTER TABLE public.a DROP CONSTRAINT a_b_fk",
            "ALTER TABLE public.b DROP CONSTRAINT b_a_fk",
            "DROP TABLE public.a",
            "DROP TABLE public.b",
        ]
    );
}

#[test]
fn rename_hint_turns_drop_and_add_into_rename() {
    let a = cat(vec![table(
        "t",
        vec![col("id", "integer"), col("mail", "text")],
    )]);
    let b = cat(vec![table(
        "t",
        vec![col("id", "integer"), col("email", "text")],
    )]);
    let hints = [RenameHint::Column {
        table: QualName::new("public", "t"),
        from: "mail".into(),
        to: "email".into(),
    }];
    let p = diff(&a, &b, &hints);
    assert_eq!(
        p.to_sql(),
        "ALTER TABLE public.t RENAME COLUMN mail TO email;\n"
    );
}

#[test]
fn enum_value_between_existing_values_is_added_in_place() {
    let mut a = Catalog::default();
    let n = QualName::new("public", "status");
    a.enums.insert(
        n.clone(),
        EnumType {
            name: n.clone(),
            values: vec!["a".into(), "c".into()],
            comment: None,
        },
    );
    let mut b = a.clone();
    b.enums.get_mut(&n).unwrap().values = vec!["a".into(), "b".into(), "c".into()];
    let p = diff(&a, &b, &[]);
    assert_eq!(p.steps.len(), 1);
    assert_eq!(
        p.steps[0].sql,
        "ALTER TYPE public.status ADD VALUE 'b' AFTER 'a'"
    );
    // removing it again is a rebuild with a hazard
    let back = diff(&b, &a, &[]);
    assert!(back.hazards().any(|h| h.kind == HazardKind::DeletesData));
}

#[test]
fn force_rls_toggle_is_not_missed() {
    let a = cat(vec![table("t", vec![col("id", "integer")])]);
    let mut b = a.clone();
    b.tables.values_mut().next().unwrap().rls_forced = true;
    let p = diff(&a, &b, &[]);
    assert_eq!(
        p.steps[0].sql,
        "ALTER TABLE public.t FORCE ROW LEVEL SECURITY"
    );
    assert_eq!(p.steps[0].hazards[0].kind, HazardKind::AuthzChange);
}

#[test]
fn quoted_mixed_case_identifiers() {
    let a = cat(vec![table("TeamMember", vec![col("id", "text")])]);
    let b = cat(vec![table(
        "TeamMember",
        vec![col("id", "text"), col("teamId", "text")],
    )]);
    let p = diff(&a, &b, &[]);
    assert_eq!(
        p.steps[0].sql,
        "ALTER TABLE public.\"TeamMember\" ADD COLUMN \"teamId\" text"
    );
}
