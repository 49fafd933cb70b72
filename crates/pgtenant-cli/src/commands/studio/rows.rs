//! The data view's SQL, built as a pure function of the table and the
//! page's parameters, and run inside a [`ScopedTx`] (so under the role and
//! tenant in force; nothing here opens a connection).
//!
//! Paging is keyset on the sort key: the sort column (NOT NULL, leading a
//! btree index) then the primary key, `WHERE (k1, k2) > ($1, $2) ORDER BY
//! k1, k2 LIMIT n`, so every page is an index range scan however deep it
//! is. Values are bound as text and cast to their column's type
//! (`CAST($n AS type)`, the type quoted by `ident`); identifiers are quoted
//! by `ident`. Cells are read as text and cut at [`CELL_CHARS`] on the
//! server, except key and foreign-key columns, which links need whole.

use super::catalog::{Column, Table};
use super::server::PageError;
use super::state::ScopedTx;
use pgtenant_schema::ident::{quote_ident, quote_qualified};
use sqlx::postgres::PgRow;
use sqlx::Row;

/// Rows per page.
pub const PAGE_SIZE: usize = 50;
/// Characters of a cell shown before it is cut.
pub const CELL_CHARS: usize = 200;
/// Counts stop here (a count is a scan; this bounds its cost).
pub const COUNT_CAP: i64 = 100_000;

/// The data view's parameters, from the query string.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ViewParams {
    pub sort: Option<String>,
    pub desc: bool,
    /// `f.<column>=<value>` (and the filter form's `fc`/`fv`): equality.
    pub filters: Vec<(String, String)>,
    /// The sort key of the last row of the previous page (`after`, JSON).
    pub after: Option<String>,
}

impl ViewParams {
    pub fn parse(pairs: &[(String, String)]) -> ViewParams {
        let mut p = ViewParams::default();
        let mut form_column = None;
        let mut form_value = None;
        for (name, value) in pairs {
            match name.as_str() {
                "sort" if !value.is_empty() => p.sort = Some(value.clone()),
                "dir" => p.desc = value == "desc",
                "after" if !value.is_empty() => p.after = Some(value.clone()),
                "fc" if !value.is_empty() => form_column = Some(value.clone()),
                "fv" => form_value = Some(value.clone()),
                _ => {
                    if let Some(column) = name.strip_prefix("f.") {
                        p.filters.push((column.to_owned(), value.clone()));
                    }
                }
            }
        }
        if let (Some(c), Some(v)) = (form_column, form_value) {
            p.filters.push((c, v));
        }
        p
    }

    /// The parameters that keep this view (sort, filters) on a link; the
    /// cursor is left to the caller.
    pub fn link_params(&self) -> Vec<(String, String)> {
        let mut out = Vec::new();
        if let Some(sort) = &self.sort {
            out.push(("sort".to_owned(), sort.clone()));
        }
        if self.desc {
            out.push(("dir".to_owned(), "desc".to_owned()));
        }
        for (c, v) in &self.filters {
            out.push((format!("f.{c}"), v.clone()));
        }
        out
    }
}

/// A checked view of one table: sort key, filters, cursor.
#[derive(Debug)]
pub struct View<'t> {
    pub table: &'t Table,
    /// The keyset: the sort column (when given) then the primary key.
    pub keys: Vec<&'t Column>,
    pub desc: bool,
    pub filters: Vec<(&'t Column, String)>,
    after: Option<Vec<String>>,
}

/// A cell as shown.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cell {
    pub text: Option<String>,
    pub truncated: bool,
}

/// One page of rows.
#[derive(Debug)]
pub struct Page {
    pub rows: Vec<Vec<Cell>>,
    /// The cursor of the next page, when there is one.
    pub next: Option<String>,
}

/// Count result, capped at [`COUNT_CAP`].
#[derive(Debug, Clone, Copy)]
pub struct Count {
    pub rows: i64,
    pub capped: bool,
}

impl<'t> View<'t> {
    pub fn new(table: &'t Table, params: &ViewParams) -> Result<View<'t>, PageError> {
        let mut keys = Vec::new();
        if let Some(sort) = &params.sort {
            let sortable = table.sortable();
            let Some(col) = sortable.iter().find(|c| &c.name == sort) else {
                let names: Vec<&str> = sortable.iter().map(|c| c.name.as_str()).collect();
                return Err(PageError::BadRequest(format!(
                    "sort={sort}: {}.{} cannot be sorted by that; sortable columns (NOT NULL, \
                     leading an index): {}",
                    table.schema,
                    table.name,
                    if names.is_empty() {
                        "none".to_owned()
                    } else {
                        names.join(", ")
                    }
                )));
            };
            keys.push(*col);
        }
        for name in &table.primary_key {
            if let Some(col) = table.column(name) {
                if !keys.iter().any(|k| k.name == col.name) {
                    keys.push(col);
                }
            }
        }
        let mut filters = Vec::new();
        for (name, value) in &params.filters {
            let col = table.column(name).ok_or_else(|| {
                PageError::BadRequest(format!(
                    "filter f.{name}: {}.{} has no column {name}",
                    table.schema, table.name
                ))
            })?;
            filters.push((col, value.clone()));
        }
        let after = match &params.after {
            None => None,
            Some(text) => {
                let values: Vec<String> = serde_json::from_str(text)
                    .ok()
                    .filter(|v: &Vec<String>| v.len() == keys.len() && !keys.is_empty())
                    .ok_or_else(|| {
                        PageError::BadRequest(
                            "after: not a page cursor of this view; go back to the first page"
                                .to_owned(),
                        )
                    })?;
                Some(values)
            }
        };
        Ok(View {
            table,
            keys,
            desc: params.desc,
            filters,
            after,
        })
    }

    /// Whether there is a keyset to page on (no primary key: first page only).
    pub fn pages(&self) -> bool {
        !self.keys.is_empty()
    }

    fn whole(&self, col: &Column) -> bool {
        self.keys.iter().any(|k| k.name == col.name)
            || self
                .table
                .foreign_keys
                .iter()
                .any(|fk| fk.columns.contains(&col.name))
    }

    fn source_sql(&self, binds: &mut Vec<String>, with_cursor: bool) -> String {
        let mut sql = format!(
            " FROM {}",
            quote_qualified(&self.table.schema, &self.table.name)
        );
        let mut conditions = Vec::new();
        for (col, value) in &self.filters {
            binds.push(value.clone());
            conditions.push(format!(
                "{} = CAST(${} AS {})",
                quote_ident(&col.name),
                binds.len(),
                col.cast_type
            ));
        }
        if let (true, Some(after)) = (with_cursor, &self.after) {
            let mut left = Vec::new();
            let mut right = Vec::new();
            for (col, value) in self.keys.iter().zip(after) {
                binds.push(value.clone());
                left.push(quote_ident(&col.name));
                right.push(format!("CAST(${} AS {})", binds.len(), col.cast_type));
            }
            conditions.push(format!(
                "({}) {} ({})",
                left.join(", "),
                if self.desc { "<" } else { ">" },
                right.join(", ")
            ));
        }
        if !conditions.is_empty() {
            sql.push_str(" WHERE ");
            sql.push_str(&conditions.join(" AND "));
        }
        sql
    }

    /// `ORDER BY` the keys, qualified by `relation` when given.
    fn order_by(&self, relation: Option<&str>) -> String {
        if self.keys.is_empty() {
            return String::new();
        }
        let dir = if self.desc { " DESC" } else { "" };
        let prefix = relation.map(|r| format!("{}.", quote_ident(r)));
        let keys: Vec<String> = self
            .keys
            .iter()
            .map(|k| {
                format!(
                    "{}{}{dir}",
                    prefix.as_deref().unwrap_or(""),
                    quote_ident(&k.name)
                )
            })
            .collect();
        format!(" ORDER BY {}", keys.join(", "))
    }

    /// One page (one row more than shown, to know whether another follows).
    pub fn page_sql(&self) -> (String, Vec<String>) {
        let cells: Vec<String> = self
            .table
            .columns
            .iter()
            .map(|c| {
                let q = quote_ident(&c.name);
                if self.whole(c) {
                    format!("{q}::text")
                } else {
                    format!("left({q}::text, {})", CELL_CHARS + 1)
                }
            })
            .collect();
        let mut binds = Vec::new();
        let from = self.source_sql(&mut binds, true);
        // The page is picked in a subquery and only its rows are cast and
        // cut: with the casts beside the LIMIT the planner prices them for
        // every row and sorts the whole table instead of reading the index.
        // The outer ORDER BY names `page.`'s columns: a bare name would
        // match the output column of the same name, the `::text` cast, and
        // order the page as text (row 10 before row 9, and the cursor taken
        // from the wrong row).
        let sql = format!(
            "SELECT {} FROM (SELECT *{from}{} LIMIT {}) AS page{}",
            cells.join(", "),
            self.order_by(None),
            PAGE_SIZE + 1,
            self.order_by(Some("page")),
        );
        (sql, binds)
    }

    /// Every row of the view (no cursor), whole values: the export.
    pub fn export_sql(&self) -> (String, Vec<String>) {
        let cells: Vec<String> = self
            .table
            .columns
            .iter()
            .map(|c| format!("{}::text", quote_ident(&c.name)))
            .collect();
        let mut binds = Vec::new();
        let from = self.source_sql(&mut binds, false);
        (
            format!("SELECT {}{from}{}", cells.join(", "), self.order_by(None)),
            binds,
        )
    }

    /// The rows matching the filters, counted up to [`COUNT_CAP`] + 1.
    pub fn count_sql(&self) -> (String, Vec<String>) {
        let mut binds = Vec::new();
        let from = self.source_sql(&mut binds, false);
        (
            format!(
                "SELECT count(*) FROM (SELECT 1{from} LIMIT {}) AS capped",
                COUNT_CAP + 1
            ),
            binds,
        )
    }

    /// Where the key columns sit among the columns.
    fn key_positions(&self) -> Vec<usize> {
        self.keys
            .iter()
            .filter_map(|k| self.table.columns.iter().position(|c| c.name == k.name))
            .collect()
    }
}

/// A failed data query: a value that does not fit its column's type is the
/// user's (class 22, data exception, names the type); a privilege the role
/// in force lacks is the answer itself (the application could not read it
/// either); anything else is internal.
pub fn query_error(e: sqlx::Error) -> PageError {
    if let sqlx::Error::Database(db) = &e {
        if db.code().as_deref() == Some("42501") {
            return PageError::Forbidden(format!(
                "{}: the role in force may not read it, so the application cannot either",
                db.message()
            ));
        }
        if db.code().is_some_and(|c| c.starts_with("22")) {
            return PageError::BadRequest(format!(
                "a filter or cursor value does not fit its column: {}",
                db.message()
            ));
        }
    }
    PageError::from_sqlx(e)
}

/// `sql` with `binds` bound, in order, as text.
pub fn bound<'q>(
    sql: &'q str,
    binds: &'q [String],
) -> sqlx::query::Query<'q, sqlx::Postgres, sqlx::postgres::PgArguments> {
    let mut query = sqlx::query(sql);
    for b in binds {
        query = query.bind(b.as_str());
    }
    query
}

/// Read one page of `view` in `tx`.
pub async fn page(tx: &mut ScopedTx, view: &View<'_>) -> Result<Page, PageError> {
    let (sql, binds) = view.page_sql();
    let rows: Vec<PgRow> = bound(&sql, &binds)
        .fetch_all(tx.conn())
        .await
        .map_err(query_error)?;
    let more = rows.len() > PAGE_SIZE;
    let mut out = Vec::with_capacity(PAGE_SIZE);
    for row in rows.iter().take(PAGE_SIZE) {
        let mut cells = Vec::with_capacity(view.table.columns.len());
        for (i, col) in view.table.columns.iter().enumerate() {
            let text: Option<String> = row.try_get(i).map_err(query_error)?;
            cells.push(cut(text, view.whole(col)));
        }
        out.push(cells);
    }
    let next = match (more, out.last()) {
        (true, Some(last)) if view.pages() => {
            let key: Vec<String> = view
                .key_positions()
                .into_iter()
                .map(|i| last[i].text.clone().unwrap_or_default())
                .collect();
            Some(serde_json::to_string(&key).unwrap_or_default())
        }
        _ => None,
    };
    Ok(Page { rows: out, next })
}

fn cut(text: Option<String>, whole: bool) -> Cell {
    match text {
        Some(t) if !whole && t.chars().count() > CELL_CHARS => Cell {
            text: Some(t.chars().take(CELL_CHARS).collect()),
            truncated: true,
        },
        text => Cell {
            text,
            truncated: false,
        },
    }
}

/// Count the rows of `view` (filters, no cursor) in `tx`.
pub async fn count(tx: &mut ScopedTx, view: &View<'_>) -> Result<Count, PageError> {
    let (sql, binds) = view.count_sql();
    let n: i64 = bound(&sql, &binds)
        .fetch_one(tx.conn())
        .await
        .map_err(query_error)?
        .try_get(0)
        .map_err(query_error)?;
    Ok(Count {
        rows: n.min(COUNT_CAP),
        capped: n > COUNT_CAP,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::commands::studio::catalog::{ForeignKey, Index};
    use pgtenant_schema::QualName;

    fn col(name: &str, ty: &str) -> Column {
        Column {
            name: name.to_owned(),
            type_text: ty.to_owned(),
            cast_type: format!("pg_catalog.{ty}"),
            not_null: true,
            default: None,
            generated: "",
            numeric: false,
        }
    }

    fn projects() -> Table {
        Table {
            schema: "public".into(),
            name: "projects".into(),
            kind: "table",
            columns: vec![
                col("tenant_id", "uuid"),
                col("id", "uuid"),
                col("name", "text"),
                col("created_by", "uuid"),
            ],
            primary_key: vec!["tenant_id".into(), "id".into()],
            indexes: vec![Index {
                name: "projects_name".into(),
                definition: String::new(),
                primary: false,
                unique: false,
                sort_column: Some("name".into()),
            }],
            foreign_keys: vec![ForeignKey {
                name: "fk".into(),
                columns: vec!["tenant_id".into(), "created_by".into()],
                target: QualName::new("public", "memberships"),
                target_columns: vec!["tenant_id".into(), "user_id".into()],
                definition: String::new(),
            }],
            referenced_by: Vec::new(),
            policies: Vec::new(),
            rls: true,
            forced: true,
            tenant_scoped: true,
            estimate: None,
        }
    }

    fn params(pairs: &[(&str, &str)]) -> ViewParams {
        let pairs: Vec<(String, String)> = pairs
            .iter()
            .map(|(a, b)| ((*a).to_owned(), (*b).to_owned()))
            .collect();
        ViewParams::parse(&pairs)
    }

    #[test]
    fn first_page_orders_by_the_primary_key_and_cuts_long_text() {
        let t = projects();
        let v = View::new(&t, &ViewParams::default()).unwrap();
        let (sql, binds) = v.page_sql();
        assert_eq!(
            sql,
            "SELECT tenant_id::text, id::text, left(name::text, 201), created_by::text \
             FROM (SELECT * FROM public.projects ORDER BY tenant_id, id LIMIT 51) AS page \
             ORDER BY page.tenant_id, page.id"
        );
        assert!(binds.is_empty());
    }

    #[test]
    fn a_later_page_is_a_keyset_range_with_filters_bound_and_cast() {
        let t = projects();
        let p = params(&[
            ("sort", "name"),
            ("dir", "desc"),
            ("f.created_by", "u1"),
            ("after", r#"["b","t1","p1"]"#),
        ]);
        let v = View::new(&t, &p).unwrap();
        let (sql, binds) = v.page_sql();
        assert_eq!(
            sql,
            "SELECT tenant_id::text, id::text, name::text, created_by::text FROM (SELECT * \
             FROM public.projects WHERE created_by = CAST($1 AS pg_catalog.uuid) AND \
             (name, tenant_id, id) < (CAST($2 AS pg_catalog.text), CAST($3 AS pg_catalog.uuid), \
             CAST($4 AS pg_catalog.uuid)) ORDER BY name DESC, tenant_id DESC, id DESC LIMIT 51) \
             AS page ORDER BY page.name DESC, page.tenant_id DESC, page.id DESC"
        );
        assert_eq!(binds, ["u1", "b", "t1", "p1"]);
        let (count, binds) = v.count_sql();
        assert_eq!(
            count,
            "SELECT count(*) FROM (SELECT 1 FROM public.projects WHERE created_by = \
             CAST($1 AS pg_catalog.uuid) LIMIT 100001) AS capped"
        );
        assert_eq!(binds, ["u1"]);
    }

    #[test]
    fn bad_parameters_name_what_to_change() {
        let t = projects();
        let err = |p: ViewParams| View::new(&t, &p).unwrap_err().to_string();
        assert_eq!(
            err(params(&[("sort", "created_by")])),
            "sort=created_by: public.projects cannot be sorted by that; sortable columns \
             (NOT NULL, leading an index): name"
        );
        assert_eq!(
            err(params(&[("f.nope", "1")])),
            "filter f.nope: public.projects has no column nope"
        );
        assert_eq!(
            err(params(&[("after", "[\"only one\"]")])),
            "after: not a page cursor of this view; go back to the first page"
        );
    }

    #[test]
    fn the_filter_form_and_links_round_trip() {
        let p = params(&[("fc", "name"), ("fv", "x"), ("tenant", "t")]);
        assert_eq!(p.filters, [("name".to_owned(), "x".to_owned())]);
        assert_eq!(p.link_params(), [("f.name".to_owned(), "x".to_owned())]);
    }

    #[test]
    fn cells_are_cut_by_characters_not_bytes() {
        let long = "é".repeat(CELL_CHARS + 1);
        let c = cut(Some(long), false);
        assert!(c.truncated);
        assert_eq!(c.text.unwrap().chars().count(), CELL_CHARS);
        assert!(!cut(Some("é".repeat(CELL_CHARS + 1)), true).truncated);
        assert_eq!(cut(None, false).text, None);
    }
}
