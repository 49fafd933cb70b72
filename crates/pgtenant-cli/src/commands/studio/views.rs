//! The HTML, with maud: templates are Rust expressions checked at compile
//! time, and every value spliced into them is HTML-escaped (nothing here
//! uses `PreEscaped`). Links are built by [`href`], which percent-encodes
//! path segments and query values.

use super::catalog::{DatabaseCatalog, Relation, Table};
use super::rows::{Count, Page, View, ViewParams, CELL_CHARS};
use super::state::{App, DbEntry, InForce, Scope};
use axum::http::StatusCode;
use maud::{html, Markup, DOCTYPE};

/// Cells longer than this (bytes) may wrap; shorter ones stay on one line.
const WRAP_AT: usize = 48;

/// `/db/<db>` with the name percent-encoded.
pub fn db_path(db: &str) -> String {
    segments(&["db", db])
}

/// `/db/<db>/t/<schema>/<table><suffix>`.
pub fn table_path(db: &str, schema: &str, table: &str, suffix: &str) -> String {
    format!("{}{suffix}", segments(&["db", db, "t", schema, table]))
}

/// One path segment, percent-encoded.
pub fn path_segment(segment: &str) -> String {
    segments(&[segment]).trim_start_matches('/').to_owned()
}

fn segments(parts: &[&str]) -> String {
    let mut url = url::Url::parse("http://studio/").expect("a constant URL parses");
    if let Ok(mut path) = url.path_segments_mut() {
        path.clear().extend(parts);
    }
    url.path().to_owned()
}

/// `path?k=v&…`, values encoded.
pub fn href<K: AsRef<str>, V: AsRef<str>>(path: &str, params: &[(K, V)]) -> String {
    if params.is_empty() {
        return path.to_owned();
    }
    let mut query = url::form_urlencoded::Serializer::new(String::new());
    for (k, v) in params {
        query.append_pair(k.as_ref(), v.as_ref());
    }
    format!("{path}?{}", query.finish())
}

/// The frame around a database's pages: sidebar, picker, banner.
pub struct Chrome<'a> {
    pub app: &'a App,
    pub entry: &'a DbEntry,
    pub scope: Scope,
    pub relations: Vec<Relation>,
    /// (id, label) for the tenant picker.
    pub tenants: Vec<(String, String)>,
    /// This page's path (the picker submits to it).
    pub path: String,
    /// Parameters the picker keeps (sort, filters).
    pub keep: Vec<(String, String)>,
    /// What the server reported inside the page's transaction.
    pub in_force: Option<InForce>,
}

impl Chrome<'_> {
    /// A link inside this database keeping the scope.
    fn link(&self, path: &str) -> String {
        href(path, &self.scope.params())
    }

    fn tenant_label(&self, id: &str) -> String {
        match self.tenants.iter().find(|(t, _)| t == id) {
            Some((_, label)) if !label.is_empty() => format!("{label} ({id})"),
            _ => id.to_owned(),
        }
    }
}

pub fn document(title: &str, sidebar: Markup, main: Markup) -> Markup {
    html! {
        (DOCTYPE)
        html lang="en" {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                title { (title) " · pgtenant studio" }
                link rel="stylesheet" href="/assets/studio.css";
                script src="/assets/studio.js" defer {}
            }
            body {
                aside.sidebar { (sidebar) }
                main.content { (main) }
            }
        }
    }
}

pub fn brand(app: &App) -> Markup {
    html! {
        a.brand href="/" { "pgtenant " span { "studio" } }
        div.project { "project " strong { (app.project()) } }
    }
}

fn sidebar(c: &Chrome<'_>) -> Markup {
    let current = &c.entry.db.name;
    let mut schemas: Vec<&str> = c.relations.iter().map(|r| r.schema.as_str()).collect();
    schemas.dedup();
    html! {
        (brand(c.app))
        nav {
            h3 { "Databases" }
            ul {
                @for e in c.app.databases() {
                    li.active[&e.db.name == current] {
                        a href=(db_path(&e.db.name)) { (e.db.name) }
                    }
                }
            }
            @for schema in schemas {
                h3 { "Schema " (schema) }
                ul.tables {
                    @for r in c.relations.iter().filter(|r| r.schema == schema) {
                        li.active[c.path.starts_with(&table_path(current, &r.schema, &r.name, ""))] {
                            a href=(c.link(&table_path(current, &r.schema, &r.name, "/rows"))) {
                                (r.name)
                            }
                            @if r.tenant_scoped { span.dot.tenant title="tenant-scoped" {} }
                            @else if r.kind != "table" { span.kind { (r.kind) } }
                        }
                    }
                }
            }
        }
        footer.readonly { "Read-only: no write path in this version." }
    }
}

fn picker(c: &Chrome<'_>) -> Markup {
    let Some(tenancy) = &c.entry.db.tenancy else {
        return html! { span.muted { "tenancy off: admin view only" } };
    };
    let current = c.scope.tenant().unwrap_or_default();
    let listed = c.tenants.iter().any(|(id, _)| id == current);
    html! {
        form.picker method="get" action=(c.path) {
            @for (k, v) in &c.keep { input type="hidden" name=(k) value=(v); }
            label for="tenant" { "View as" }
            select #tenant name="tenant" data-autosubmit {
                option value="" selected[current.is_empty()] { "admin: every row" }
                @if !current.is_empty() && !listed {
                    option value=(current) selected { "tenant " (current) }
                }
                @for (id, label) in &c.tenants {
                    option value=(id) selected[id == current] {
                        "tenant " @if label.is_empty() { (id) } @else { (label) }
                    }
                }
            }
            @if tenancy.user_setting.is_some() {
                input.user type="text" name="user" placeholder="user id (optional)"
                    value=(c.scope.user().unwrap_or_default());
            }
            button type="submit" { "Apply" }
        }
    }
}

fn banner(c: &Chrome<'_>) -> Markup {
    let Some(f) = &c.in_force else {
        return html! {};
    };
    html! {
        @match &f.tenant {
            Some(tenant) => div.scope.tenant #in-force {
                strong { "Tenant view" }
                " · role " code { (f.role) }
                " · tenant " code { (c.tenant_label(tenant)) }
                @if let Some(user) = &f.user { " · user " code { (user) } }
                span.note { "Row-level security applies: exactly what the application sees." }
            },
            None => div.scope.admin #in-force {
                strong { "Admin view" }
                " · role " code { (f.role) }
                span.note {
                    @if f.bypasses_rls { "Row-level security does not apply to this role: every row." }
                    @else { "No tenant set." }
                }
            },
        }
    }
}

fn topbar(c: &Chrome<'_>, crumbs: Markup) -> Markup {
    html! {
        header.topbar {
            nav.crumbs { (crumbs) }
            (picker(c))
        }
        (banner(c))
    }
}

fn yes(flag: bool) -> Markup {
    html! { @if flag { span.yes { "yes" } } @else { span.no { "no" } } }
}

fn estimate(n: Option<i64>) -> String {
    n.map_or_else(|| "–".to_owned(), |n| format!("≈ {}", thousands(n)))
}

/// 1234567 → 1,234,567.
pub fn thousands(n: i64) -> String {
    let digits = n.unsigned_abs().to_string();
    let mut out = String::new();
    for (i, ch) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(ch);
    }
    if n < 0 {
        format!("-{out}")
    } else {
        out
    }
}

fn count_text(c: Count) -> String {
    if c.capped {
        format!("{}+", thousands(c.rows))
    } else {
        thousands(c.rows)
    }
}

/// A database on the project page.
pub struct DbStatus {
    pub name: String,
    /// The tenant column, when tenancy is on.
    pub tenancy: Option<String>,
    pub service_role: String,
    pub migrations: Migrations,
}

#[derive(Debug, Default)]
pub struct Migrations {
    pub applied: usize,
    pub pending: usize,
    pub problems: usize,
    pub unreadable: bool,
}

pub fn project_page(app: &App, databases: &[DbStatus]) -> Markup {
    let main = html! {
        header.topbar { nav.crumbs { span { "Project " (app.project()) } } }
        h1 { "Databases" }
        table.grid {
            thead { tr { th { "database" } th { "tenancy" } th { "service role" }
                th.num { "applied" } th.num { "pending" } th { "state" } th { "drift" } } }
            tbody {
                @for d in databases {
                    tr {
                        td { a href=(db_path(&d.name)) { (d.name) } }
                        td { @match &d.tenancy {
                            Some(col) => { span.badge.on { "on" } " by " code { (col) } },
                            None => span.badge { "off" },
                        } }
                        td { code { (d.service_role) } }
                        @if d.migrations.unreadable {
                            td.num { "–" } td.num { "–" }
                            td { span.bad { "journal not readable" } " (does the database exist? "
                                code { "pgtenant up" } ")" }
                        } @else {
                            td.num { (d.migrations.applied) }
                            td.num { (d.migrations.pending) }
                            td { @if d.migrations.problems > 0 {
                                span.bad { (d.migrations.problems) " problem(s): run " code { "pgtenant status" } }
                            } @else if d.migrations.pending > 0 {
                                span.warn { "pending: run " code { "pgtenant migrate" } }
                            } @else { span.good { "up to date" } } }
                        }
                        td { a.drift href=(format!("{}/drift", db_path(&d.name))) { "check drift" } }
                    }
                }
            }
        }
        p.muted { "Drift (the live database against its applied migrations) and the schema changes "
            code { "generate" } " would write need shadow databases, so they are computed only on "
            "request: " strong { "check drift" } " in a database's row. "
            code { "verify" } " results are not shown here: run " code { "pgtenant verify" } "." }
    };
    let sidebar = html! {
        (brand(app))
        nav { h3 { "Databases" } ul { @for d in databases {
            li { a href=(db_path(&d.name)) { (d.name) } } } } }
        footer.readonly { "Read-only: no write path in this version." }
    };
    document(app.project(), sidebar, main)
}

pub fn database_page(c: &Chrome<'_>, cat: &DatabaseCatalog) -> Markup {
    let db = &c.entry.db;
    let crumbs = html! { a href="/" { (c.app.project()) } span.sep { "/" } span { (db.name) } };
    let main = html! {
        (topbar(c, crumbs))
        h1 { "Database " (db.name) }
        p.meta {
            @match &db.tenancy {
                Some(t) => { "Tenancy on: column " code { (t.column) } ", setting " code { (t.setting) }
                    ", root table " code { (t.root_table) } "." },
                None => "Tenancy off.",
            }
            " Schemas: "
            @for s in &cat.schemas { span.chip { (s) } }
        }
        h2 { "Tables and views" }
        (relations_table(c, &cat.relations))
        h2 { "Policies" }
        @if cat.policies.is_empty() { p.muted { "No row-level security policies." } }
        @for p in &cat.policies {
            div.policy {
                div.policy-head { code { (p.schema) "." (p.table) } " · " strong { (p.name) }
                    span.badge { (p.command) } }
                pre { (p.sql()) }
            }
        }
        (roles_section(cat))
        h2 { "Functions" }
        @if cat.functions.is_empty() { p.muted { "No functions." } } @else {
            table.grid { thead { tr { th { "function" } th { "returns" } th { "security" } } }
                tbody { @for f in &cat.functions { tr {
                    td { code { (f.schema) "." (f.name) "(" (f.arguments) ")" } }
                    td { code { (f.result) } }
                    td { @if f.security_definer { span.warn { "definer" } } @else { "invoker" } }
                } } } }
        }
    };
    document(&db.name, sidebar(c), main)
}

fn relations_table(c: &Chrome<'_>, relations: &[Relation]) -> Markup {
    let db = &c.entry.db.name;
    html! {
        table.grid {
            thead { tr { th { "table" } th { "kind" } th.num { "rows (estimate)" } th { "RLS" }
                th { "forced" } th.num { "policies" } th { "tenant-scoped" } } }
            tbody {
                @for r in relations {
                    tr {
                        td { a href=(c.link(&table_path(db, &r.schema, &r.name, "/rows"))) {
                            (r.schema) "." (r.name) } }
                        td { (r.kind) }
                        td.num { (estimate(r.estimate)) }
                        td { (yes(r.rls)) }
                        td { (yes(r.forced)) }
                        td.num { (r.policies) }
                        td { @if r.tenant_scoped {
                            @if r.rls && r.forced { span.good { "isolated" } }
                            @else { span.bad { "NOT isolated" } }
                        } @else { span.muted { "global" } } }
                    }
                }
            }
        }
    }
}

fn roles_section(cat: &DatabaseCatalog) -> Markup {
    html! {
        h2 { "Roles" }
        table.grid {
            thead { tr { th { "role" } th { "is" } th { "login" } th { "superuser" } th { "bypasses RLS" } } }
            tbody { @for r in &cat.roles { tr {
                td { code { (r.name) } }
                td { (r.part) }
                @match &r.attributes {
                    Some(a) => { td { (yes(a.login)) } td { (yes(a.superuser)) } td { (yes(a.bypass_rls)) } },
                    None => td colspan="3" { span.bad { "does not exist: run " code { "pgtenant bootstrap" } } },
                }
            } } }
        }
        h2 { "Grants" }
        @if cat.grants.is_empty() { p.muted { "No table grants to these roles." } } @else {
            table.grid { thead { tr { th { "grantee" } th { "table" } th { "privileges" } } }
                tbody { @for g in &cat.grants { tr {
                    td { code { (g.grantee) } } td { (g.schema) "." (g.table) } td { (g.privileges) }
                } } } }
        }
    }
}

pub fn table_page(c: &Chrome<'_>, t: &Table) -> Markup {
    let db = &c.entry.db.name;
    let crumbs = html! { a href="/" { (c.app.project()) } span.sep { "/" }
    a href=(c.link(&db_path(db))) { (db) } span.sep { "/" } span { (t.schema) "." (t.name) } };
    let main = html! {
        (topbar(c, crumbs))
        (table_heading(c, t, Tab::Structure))
        p.meta { "Rows (planner estimate): " (estimate(t.estimate)) }
        h2 { "Columns" }
        table.grid {
            thead { tr { th { "column" } th { "type" } th { "null" } th { "default" } th { "notes" } } }
            tbody { @for col in &t.columns { tr {
                td { code { (col.name) } }
                td { code { (col.type_text) } }
                td { @if col.not_null { span.muted { "not null" } } @else { "nullable" } }
                td { @if let Some(d) = &col.default { code { (d) } } }
                td { @if t.primary_key.contains(&col.name) { span.badge.on { "primary key" } " " }
                    (col.generated) }
            } } }
        }
        h2 { "Indexes" }
        @if t.indexes.is_empty() { p.muted { "No indexes." } }
        @if !t.indexes.is_empty() {
            table.grid { thead { tr { th { "index" } th { "kind" } th { "definition" } } }
                tbody { @for i in &t.indexes { tr {
                    td { code { (i.name) } }
                    td { @if i.primary { "primary key" } @else if i.unique { "unique" } @else { "index" } }
                    td { code { (i.definition) } }
                } } } }
        }
        h2 { "Foreign keys" }
        @if t.foreign_keys.is_empty() { p.muted { "None." } }
        @for fk in &t.foreign_keys {
            div.fk title=(fk.definition) { code { (fk.columns.join(", ")) } " → "
                a href=(c.link(&table_path(db, &fk.target.schema, &fk.target.name, ""))) {
                    (fk.target.schema) "." (fk.target.name) }
                " (" code { (fk.target_columns.join(", ")) } ")"
                span.muted { " " (fk.name) } }
        }
        @if !t.referenced_by.is_empty() {
            h2 { "Referenced by" }
            @for fk in &t.referenced_by {
                div.fk { a href=(c.link(&table_path(db, &fk.target.schema, &fk.target.name, ""))) {
                    (fk.target.schema) "." (fk.target.name) }
                " (" code { (fk.columns.join(", ")) } ") → " code { (fk.target_columns.join(", ")) } }
            }
        }
        h2 { "Policies" }
        @if t.policies.is_empty() { p.muted { "No policies." } }
        @for p in &t.policies { div.policy { div.policy-head { strong { (p.name) }
            span.badge { (p.command) } } pre { (p.sql()) } } }
    };
    document(&format!("{}.{}", t.schema, t.name), sidebar(c), main)
}

#[derive(PartialEq, Eq, Clone, Copy)]
enum Tab {
    Rows,
    Structure,
}

fn table_heading(c: &Chrome<'_>, t: &Table, tab: Tab) -> Markup {
    let db = &c.entry.db.name;
    html! {
        div.heading {
            h1 { (t.schema) "." (t.name) }
            span.badge { (t.kind) }
            @if t.tenant_scoped { span.badge.tenant { "tenant-scoped" } }
            @if t.rls { span.badge.on { "RLS" @if t.forced { " forced" } } }
            nav.tabs {
                a.active[tab == Tab::Rows] href=(c.link(&table_path(db, &t.schema, &t.name, "/rows"))) { "Rows" }
                a.active[tab == Tab::Structure] href=(c.link(&table_path(db, &t.schema, &t.name, ""))) { "Structure" }
            }
        }
    }
}

/// What the data page shows.
pub struct RowsPage<'a> {
    pub view: &'a View<'a>,
    pub params: &'a ViewParams,
    pub page: &'a Page,
    /// Rows visible under the scope (with the filters).
    pub count: Count,
    /// Rows in the table, counted as the admin (tenant views of tenant tables).
    pub total: Option<Count>,
}

pub fn rows_page(c: &Chrome<'_>, r: &RowsPage<'_>) -> Markup {
    let t = r.view.table;
    let db = &c.entry.db.name;
    let crumbs = html! { a href="/" { (c.app.project()) } span.sep { "/" }
    a href=(c.link(&db_path(db))) { (db) } span.sep { "/" } span { (t.schema) "." (t.name) } };
    let mut keep = c
        .scope
        .params()
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v))
        .collect::<Vec<_>>();
    keep.extend(r.params.link_params());
    let rows_path = table_path(db, &t.schema, &t.name, "/rows");
    let csv_path = table_path(db, &t.schema, &t.name, "/rows.csv");
    let filtered = !r.params.filters.is_empty();
    let main = html! {
        (topbar(c, crumbs))
        (table_heading(c, t, Tab::Rows))
        div.counts {
            span #visible-count { strong { (count_text(r.count)) } @if filtered { " matching" } @else { " rows" }
                @if c.scope.tenant().is_some() { " visible to this tenant" } }
            @if let Some(total) = r.total {
                span.sep { "·" }
                span #total-count { strong { (count_text(total)) } " in the table (counted as the admin)" }
            }
            a.button #export href=(href(&csv_path, &keep)) { "Export CSV" }
        }
        (toolbar(c, r, &rows_path))
        (grid(c, r))
        nav.pager {
            @if r.params.after.is_some() { a.button href=(href(&rows_path, &keep)) { "« First page" } }
            @if let Some(next) = &r.page.next {
                a.button #next-page href=(href(&rows_path, &with(&keep, [("after".to_owned(), next.clone())]))) {
                    "Next page »" }
            }
            @if !r.view.pages() { span.muted { "No primary key: the first page only." } }
        }
    };
    document(&format!("{}.{}", t.schema, t.name), sidebar(c), main)
}

fn toolbar(c: &Chrome<'_>, r: &RowsPage<'_>, rows_path: &str) -> Markup {
    let t = r.view.table;
    let sortable = t.sortable();
    html! {
        form.toolbar method="get" action=(rows_path) {
            @for (k, v) in c.scope.params() { input type="hidden" name=(k) value=(v); }
            @for (col, v) in &r.params.filters { input type="hidden" name=(format!("f.{col}")) value=(v); }
            label { "Sort "
                select name="sort" {
                    option value="" { "primary key" }
                    @for col in &sortable {
                        option value=(col.name) selected[r.params.sort.as_deref() == Some(col.name.as_str())] { (col.name) }
                    }
                }
            }
            select name="dir" {
                option value="asc" { "ascending" }
                option value="desc" selected[r.params.desc] { "descending" }
            }
            span.sep { "|" }
            label { "Filter "
                select name="fc" { @for col in &t.columns { option value=(col.name) { (col.name) } } }
            }
            " = "
            input type="text" name="fv" placeholder="value";
            button type="submit" { "Apply" }
        }
        @if !r.params.filters.is_empty() {
            div.filters {
                @for (i, (col, v)) in r.params.filters.iter().enumerate() {
                    @let others = without_filter(c, r.params, i);
                    span.chip { code { (col) } " = " code { (v) } " " a href=(href(rows_path, &others)) title="remove" { "×" } }
                }
            }
        }
    }
}

/// The scope's parameters as owned pairs.
fn scope_pairs(c: &Chrome<'_>) -> Vec<(String, String)> {
    c.scope
        .params()
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v))
        .collect()
}

/// `base` followed by `more`.
fn with(
    base: &[(String, String)],
    more: impl IntoIterator<Item = (String, String)>,
) -> Vec<(String, String)> {
    base.iter().cloned().chain(more).collect()
}

fn without_filter(c: &Chrome<'_>, params: &ViewParams, index: usize) -> Vec<(String, String)> {
    let mut p = params.clone();
    p.filters.remove(index);
    p.after = None;
    let mut out: Vec<(String, String)> = c
        .scope
        .params()
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v))
        .collect();
    out.extend(p.link_params());
    out
}

/// The rows, with each foreign key's value linked to the referenced rows
/// (on its last column), in the same scope.
fn grid(c: &Chrome<'_>, r: &RowsPage<'_>) -> Markup {
    let t = r.view.table;
    let db = &c.entry.db.name;
    let position = |name: &str| t.columns.iter().position(|col| col.name == name);
    html! {
        div.scroll {
            table.data #rows {
                thead { tr { @for col in &t.columns {
                    th.num[col.numeric] { (col.name) span.type { (col.type_text) } }
                } } }
                tbody {
                    @if r.page.rows.is_empty() {
                        tr { td.empty colspan=(t.columns.len()) { "No rows." } }
                    }
                    @for row in &r.page.rows {
                        tr {
                            @for (i, col) in t.columns.iter().enumerate() {
                                @let cell = &row[i];
                                @let fk = t.foreign_keys.iter().find(|fk| fk.columns.last() == Some(&col.name));
                                td.num[col.numeric].wrap[cell.text.as_ref().is_some_and(|t| t.len() > WRAP_AT)] {
                                    @match (&cell.text, fk) {
                                        (None, _) => span.null { "NULL" },
                                        (Some(text), Some(fk)) => {
                                            @let values: Option<Vec<String>> = fk.columns.iter()
                                                .map(|n| position(n).and_then(|p| row[p].text.clone())).collect();
                                            @if let Some(values) = values {
                                                @let filters = fk.target_columns.iter().zip(values).map(|(n, v)| (format!("f.{n}"), v));
                                                @let p = with(&scope_pairs(c), filters);
                                                a.fk href=(href(&table_path(db, &fk.target.schema, &fk.target.name, "/rows"), &p)) { (text) }
                                            } @else { (text) }
                                        },
                                        (Some(text), None) => {
                                            (text)
                                            @if cell.truncated { span.more title=(format!("cut at {CELL_CHARS} characters")) { "…" } }
                                        },
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
    }
}

pub fn error_page(status: StatusCode, message: &str) -> Markup {
    let main = html! {
        div.error {
            h1 { (status.as_u16()) " " (status.canonical_reason().unwrap_or("error")) }
            p #error-message { (message) }
            p { a href="/" { "Back to the project" } }
        }
    };
    let sidebar = html! { a.brand href="/" { "pgtenant " span { "studio" } } };
    document("error", sidebar, main)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn links_encode_names_and_values() {
        assert_eq!(
            table_path("app", "my schema", "a/b", "/rows"),
            "/db/app/t/my%20schema/a%2Fb/rows"
        );
        assert_eq!(
            href("/x", &[("f.name", "a&b=c"), ("tenant", "é")]),
            "/x?f.name=a%26b%3Dc&tenant=%C3%A9"
        );
        assert_eq!(path_segment("db one"), "db%20one");
    }

    #[test]
    fn thousands_are_grouped() {
        assert_eq!(thousands(0), "0");
        assert_eq!(thousands(999), "999");
        assert_eq!(thousands(1000), "1,000");
        assert_eq!(thousands(1_234_567), "1,234,567");
        assert_eq!(thousands(-1000), "-1,000");
    }

    #[test]
    fn markup_escapes_values() {
        let page = error_page(StatusCode::NOT_FOUND, "<script>alert(1)</script>");
        let text = page.into_string();
        assert!(!text.contains("<script>alert"), "{text}");
        assert!(text.contains("&lt;script&gt;"), "{text}");
    }
}
