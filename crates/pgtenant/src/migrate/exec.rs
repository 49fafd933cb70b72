//! Running statements: one simple-query batch per transactional migration
//! (its statements, its journal row and the COMMIT in a single round trip),
//! statement by statement for no-transaction files, and turning a failure
//! into `file:line: message`.

use super::file::MigrationFile;
use super::{MigrateError, StatementError};
use futures::TryStreamExt;
use pgtenant_schema::ident::quote_qualified;
use pgtenant_schema::sqltext::Statement;
use sqlx::postgres::PgDatabaseError;
use sqlx::{Either, PgConnection};
use std::time::Duration;

/// A batch of statements sent at once, remembering where each user
/// statement sits so an error can be traced back to its line.
pub(crate) struct Batch<'a> {
    pub sql: String,
    /// Statements before the user's (BEGIN, SET LOCAL ...): their count.
    prefix: usize,
    transaction: bool,
    /// (byte range in `sql`, the statement).
    spans: Vec<(usize, usize, &'a Statement)>,
}

impl<'a> Batch<'a> {
    pub fn new(lock_timeout: Option<Duration>, transaction: bool) -> Self {
        let mut sql = String::new();
        let mut prefix = 0;
        if transaction {
            sql.push_str("BEGIN;\n");
            prefix += 1;
        }
        if let Some(t) = lock_timeout {
            let kw = if transaction { "SET LOCAL" } else { "SET" };
            sql.push_str(&format!("{kw} lock_timeout = '{}ms';\n", t.as_millis()));
            prefix += 1;
        }
        Batch {
            sql,
            prefix,
            transaction,
            spans: Vec::new(),
        }
    }

    pub fn statement(&mut self, s: &'a Statement) {
        let start = self.sql.len();
        self.sql.push_str(&s.sql);
        let end = self.sql.len();
        self.sql.push_str(";\n");
        self.spans.push((start, end, s));
    }

    pub fn raw(&mut self, sql: &str) {
        self.sql.push_str(sql);
        self.sql.push_str(";\n");
    }

    /// Send it; on failure, the failing user statement (if it was one) and
    /// its line, and the connection is out of any transaction.
    pub async fn run(&self, conn: &mut PgConnection) -> Result<(), BatchFailure<'a>> {
        let mut done = 0usize;
        let result: Result<(), sqlx::Error> = async {
            let mut stream = sqlx::raw_sql(&self.sql).fetch_many(&mut *conn);
            while let Some(item) = stream.try_next().await? {
                if let Either::Left(_) = item {
                    done += 1;
                }
            }
            Ok(())
        }
        .await;
        let Err(error) = result else { return Ok(()) };
        // Leave the aborted transaction; harmless when there is none.
        if self.transaction {
            let _ = sqlx::raw_sql("ROLLBACK").execute(&mut *conn).await;
        }
        let (statement, line) = self.locate(&error, done);
        Err(BatchFailure {
            error,
            statement,
            line,
        })
    }

    /// Which user statement failed: by the error's position when PostgreSQL
    /// gives one (exact line), else by how many statements completed.
    fn locate(&self, error: &sqlx::Error, done: usize) -> (Option<&'a Statement>, Option<usize>) {
        if let Some(pos) = error
            .as_database_error()
            .and_then(|e| e.try_downcast_ref::<PgDatabaseError>())
            .and_then(|e| match e.position() {
                Some(sqlx::postgres::PgErrorPosition::Original(p)) => Some(p),
                _ => None,
            })
        {
            // PostgreSQL counts characters from 1 in the whole batch.
            let byte = self
                .sql
                .char_indices()
                .nth(pos.saturating_sub(1))
                .map_or(self.sql.len(), |(b, _)| b);
            if let Some(&(start, end, s)) = self
                .spans
                .iter()
                .find(|(st, en, _)| byte >= *st && byte <= *en)
            {
                let extra = self.sql[start..byte.min(end)].matches('\n').count();
                return (Some(s), Some(s.line + extra));
            }
        }
        let idx = done.checked_sub(self.prefix);
        match idx.and_then(|i| self.spans.get(i)) {
            Some(&(_, _, s)) => (Some(s), Some(s.line)),
            None => (None, None),
        }
    }
}

pub(crate) struct BatchFailure<'a> {
    pub error: sqlx::Error,
    pub statement: Option<&'a Statement>,
    pub line: Option<usize>,
}

impl BatchFailure<'_> {
    pub fn is_lock_timeout(&self) -> bool {
        sqlstate(&self.error).as_deref() == Some("55P03")
    }

    pub fn into_error(self, f: &MigrationFile, what_next: String) -> MigrateError {
        statement_error(
            &f.display(),
            self.line.or(self.statement.map(|s| s.line)),
            self.error,
            what_next,
        )
    }
}

pub(crate) fn sqlstate(e: &sqlx::Error) -> Option<String> {
    e.as_database_error()
        .and_then(|d| d.code())
        .map(|c| c.into_owned())
}

pub(crate) fn statement_error(
    file: &str,
    line: Option<usize>,
    error: sqlx::Error,
    what_next: String,
) -> MigrateError {
    let (message, detail, hint, code) = match error
        .as_database_error()
        .and_then(|e| e.try_downcast_ref::<PgDatabaseError>())
    {
        Some(e) => (
            e.message().to_owned(),
            e.detail().map(str::to_owned),
            e.hint().map(str::to_owned),
            Some(e.code().to_owned()),
        ),
        None => (error.to_string(), None, None, None),
    };
    let hint = match (hint, code.as_deref()) {
        (None, Some("25001")) => Some(
            "mark the file `-- pgtenant:no-transaction` to run it outside a transaction".to_owned(),
        ),
        (h, _) => h,
    };
    MigrateError::Statement(Box::new(StatementError {
        file: file.to_owned(),
        line,
        message,
        detail,
        hint,
        code,
        what_next,
    }))
}

/// A `CREATE [UNIQUE] INDEX CONCURRENTLY [IF NOT EXISTS] name ON [ONLY] table`:
/// the index name (unquoted) and the table as written.
pub(crate) fn concurrent_index(sql: &str) -> Option<(String, String)> {
    let canon = pgtenant_schema::sqltext::lex::canonical(sql);
    let mut words = tokens(&canon).into_iter();
    let mut next = || words.next();
    let lower = |w: Option<String>| w.map(|w| w.to_ascii_lowercase());
    if lower(next()).as_deref() != Some("create") {
        return None;
    }
    let mut w = lower(next());
    if w.as_deref() == Some("unique") {
        w = lower(next());
    }
    if w.as_deref() != Some("index") || lower(next()).as_deref() != Some("concurrently") {
        return None;
    }
    let mut name = next()?;
    if name.eq_ignore_ascii_case("if") {
        next();
        next();
        name = next()?;
    }
    if name.eq_ignore_ascii_case("on") {
        return None; // no name given: PostgreSQL picks one, nothing to check
    }
    if lower(next()).as_deref() != Some("on") {
        return None;
    }
    let mut table = next()?;
    if table.eq_ignore_ascii_case("only") {
        table = next()?;
    }
    Some((unquote(&name), table))
}

/// Words of canonical SQL: quoted identifiers kept whole (with a following
/// `.part`), split at spaces and `(`.
fn tokens(s: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut cur = String::new();
    let mut in_quote = false;
    for ch in s.chars() {
        if in_quote {
            cur.push(ch);
            if ch == '"' {
                in_quote = false;
            }
            continue;
        }
        match ch {
            '"' => {
                in_quote = true;
                cur.push(ch);
            }
            ' ' | '(' => {
                if !cur.is_empty() {
                    out.push(std::mem::take(&mut cur));
                }
                if ch == '(' {
                    out.push("(".into());
                }
            }
            _ => cur.push(ch),
        }
    }
    if !cur.is_empty() {
        out.push(cur);
    }
    out
}

fn unquote(name: &str) -> String {
    match name.strip_prefix('"').and_then(|n| n.strip_suffix('"')) {
        Some(inner) => inner.replace("\"\"", "\""),
        None => name.to_ascii_lowercase(),
    }
}

/// What to do with a concurrent index build that may have run before.
pub(crate) enum IndexState {
    Absent,
    /// Built and valid: the statement finished before its step was journaled.
    Valid,
    /// A failed or interrupted build left it INVALID; dropped now.
    DroppedInvalid(String),
}

/// Before re-running a `CREATE INDEX CONCURRENTLY`: drop an INVALID index
/// of that name left by an interrupted build, or report a valid one.
pub(crate) async fn prepare_concurrent_index(
    conn: &mut PgConnection,
    index: &str,
    table: &str,
) -> Result<IndexState, sqlx::Error> {
    let row: Option<(bool, String, String)> = sqlx::query_as(
        "SELECT i.indisvalid, n.nspname::text, c.relname::text \
         FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid JOIN pg_namespace n ON n.oid = c.relnamespace \
         WHERE c.relname = $1 AND c.relnamespace = (SELECT relnamespace FROM pg_class WHERE oid = to_regclass($2))",
    )
    .bind(index)
    .bind(table)
    .fetch_optional(&mut *conn)
    .await?;
    match row {
        None => Ok(IndexState::Absent),
        Some((true, _, _)) => Ok(IndexState::Valid),
        Some((false, schema, name)) => {
            let q = quote_qualified(&schema, &name);
            sqlx::raw_sql(&format!("DROP INDEX CONCURRENTLY IF EXISTS {q}"))
                .execute(&mut *conn)
                .await?;
            Ok(IndexState::DroppedInvalid(q))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn recognises_concurrent_index_builds() {
        assert_eq!(
            concurrent_index("create index concurrently i_a on t (a)"),
            Some(("i_a".into(), "t".into()))
        );
        assert_eq!(
            concurrent_index(
                "CREATE UNIQUE INDEX CONCURRENTLY IF NOT EXISTS \"Idx\" ON ONLY app.\"T\"(a)"
            ),
            Some(("Idx".into(), "app.\"T\"".into()))
        );
        assert_eq!(concurrent_index("create index concurrently on t (a)"), None);
        assert_eq!(concurrent_index("create index i on t (a)"), None);
    }
}
