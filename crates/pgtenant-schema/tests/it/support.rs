//! The one place the tests call introspection and loading, so an API change
//! touches one function.

use pgtenant_schema::{Catalog, Plan, RenameHint};
use pgtenant_testkit::TestDb;

/// Run a SQL script (many statements) on `db`.
pub async fn load(db: &TestDb, sql: &str) -> Result<(), String> {
    let mut conn = db.conn().await;
    sqlx::raw_sql(sql)
        .execute(&mut conn)
        .await
        .map(|_| ())
        .map_err(|e| e.to_string())
}

/// The first column (of type text) of the first row `statement` returns on
/// `db` (a query, or DML with `RETURNING`); `None` for no row or `NULL`.
pub async fn query_text(db: &TestDb, statement: &str) -> Result<Option<String>, String> {
    use sqlx::Row;
    let mut conn = db.conn().await;
    let row = sqlx::query(statement)
        .fetch_optional(&mut conn)
        .await
        .map_err(|e| e.to_string())?;
    match row {
        None => Ok(None),
        Some(r) => r.try_get::<Option<String>, _>(0).map_err(|e| e.to_string()),
    }
}

/// Introspect `db`.
pub async fn catalog(db: &TestDb) -> Result<Catalog, String> {
    let mut conn = db.conn().await;
    pgtenant_schema::introspect(&mut conn)
        .await
        .map_err(|e| format!("introspection failed: {e}"))
}

/// The rename hints of `sql` (the text a desired side was loaded from).
pub fn rename_hints(sql: &str) -> Result<Vec<RenameHint>, String> {
    pgtenant_schema::renames::parse_rename_hints("case.sql", sql)
        .map_err(|e| format!("rename hints: {e}"))
}

/// Apply a plan, one transaction per group of steps.
pub async fn apply(db: &TestDb, plan: &Plan) -> Result<(), String> {
    let mut conn = db.conn().await;
    for group in plan.transaction_groups() {
        sqlx::raw_sql("BEGIN")
            .execute(&mut conn)
            .await
            .map_err(|e| e.to_string())?;
        for step in group {
            if let Err(e) = sqlx::raw_sql(&step.sql).execute(&mut conn).await {
                let _ = sqlx::raw_sql("ROLLBACK").execute(&mut conn).await;
                return Err(format!("{e}\nin: {}", step.sql));
            }
        }
        sqlx::raw_sql("COMMIT")
            .execute(&mut conn)
            .await
            .map_err(|e| e.to_string())?;
    }
    Ok(())
}

/// The lines of the two catalogs' JSON that differ, for failure messages.
pub fn catalog_difference(got: &Catalog, want: &Catalog) -> String {
    let a = serde_json::to_string_pretty(got).unwrap_or_default();
    let b = serde_json::to_string_pretty(want).unwrap_or_default();
    let al: Vec<&str> = a.lines().collect();
    let bl: Vec<&str> = b.lines().collect();
    // Skip the common prefix and suffix; show what is left of each.
    let pre = al.iter().zip(&bl).take_while(|(x, y)| x == y).count();
    let suf = al[pre..]
        .iter()
        .rev()
        .zip(bl[pre..].iter().rev())
        .take_while(|(x, y)| x == y)
        .count();
    let ctx = pre.saturating_sub(6);
    let mut out = String::new();
    for l in &al[ctx..pre] {
        out.push_str(&format!("  {l}\n"));
    }
    for l in al[pre..al.len() - suf].iter().take(40) {
        out.push_str(&format!("- {l}\n"));
    }
    for l in bl[pre..bl.len() - suf].iter().take(40) {
        out.push_str(&format!("+ {l}\n"));
    }
    out
}
