//! The handlers: read what a page needs (the schema as the admin, rows under
//! the page's scope), then hand it to `views`.

use super::catalog;
use super::export;
use super::rows::{self, View, ViewParams};
use super::server::PageError;
use super::state::{self, App, DbEntry, Scope};
use super::views::{self, Chrome, DbStatus, Migrations, RowsPage};
use axum::extract::{Path, Query, State};
use axum::response::Response;
use maud::Markup;

type Pairs = Query<Vec<(String, String)>>;

fn scope_of(pairs: &[(String, String)]) -> Scope {
    let get = |key: &str| {
        pairs
            .iter()
            .find(|(name, _)| name == key)
            .map(|(_, v)| v.as_str())
    };
    Scope::from_params(get("tenant"), get("user"))
}

pub async fn project(State(app): State<App>) -> Result<Markup, PageError> {
    // The databases' journals at once.
    let databases = futures::future::join_all(app.databases().iter().map(|entry| async move {
        DbStatus {
            name: entry.db.name.clone(),
            tenancy: entry.db.tenancy.as_ref().map(|t| t.column.clone()),
            service_role: entry.db.service_role.name.clone(),
            migrations: migrations(entry).await,
        }
    }))
    .await;
    Ok(views::project_page(&app, &databases))
}

/// Applied / pending / problem counts from the journal and the files: the
/// reconciliation and the reading `pgtenant status` uses.
async fn migrations(entry: &DbEntry) -> Migrations {
    match pgtenant::migrate::status(&entry.admin_options, &entry.db.migrations_dir).await {
        Ok(status) => {
            let counts = crate::commands::status::counts(&status);
            Migrations {
                applied: counts.applied,
                pending: counts.pending,
                problems: counts.problems,
                unreadable: false,
            }
        }
        Err(e) => {
            tracing::warn!("studio: migrations of database {}: {e:#}", entry.db.name);
            Migrations {
                unreadable: true,
                ..Migrations::default()
            }
        }
    }
}

async fn chrome<'a>(
    app: &'a App,
    entry: &'a DbEntry,
    scope: Scope,
    path: String,
    keep: Vec<(String, String)>,
) -> Result<Chrome<'a>, PageError> {
    let (relations, tenants) = tokio::try_join!(
        catalog::relations(&entry.admin, &entry.db, None),
        catalog::tenants(&entry.admin, &entry.db),
    )?;
    Ok(Chrome {
        app,
        entry,
        scope,
        relations,
        tenants,
        path,
        keep,
        in_force: None,
    })
}

pub async fn database(
    State(app): State<App>,
    Path(db): Path<String>,
    Query(pairs): Pairs,
) -> Result<Markup, PageError> {
    let entry = app.database(&db)?;
    let scope = scope_of(&pairs);
    let catalog = catalog::database(&entry.admin, &entry.db).await?;
    let chrome = chrome(&app, entry, scope, views::db_path(&db), Vec::new()).await?;
    Ok(views::database_page(&chrome, &catalog))
}

pub async fn table(
    State(app): State<App>,
    Path((db, schema, name)): Path<(String, String, String)>,
    Query(pairs): Pairs,
) -> Result<Markup, PageError> {
    let entry = app.database(&db)?;
    let scope = scope_of(&pairs);
    let table = catalog::table(&entry.admin, &entry.db, &schema, &name).await?;
    let path = views::table_path(&db, &schema, &name, "");
    let chrome = chrome(&app, entry, scope, path, Vec::new()).await?;
    Ok(views::table_page(&chrome, &table))
}

pub async fn rows(
    State(app): State<App>,
    Path((db, schema, name)): Path<(String, String, String)>,
    Query(pairs): Pairs,
) -> Result<Markup, PageError> {
    let entry = app.database(&db)?;
    let scope = scope_of(&pairs);
    let params = ViewParams::parse(&pairs);
    let table = catalog::table(&entry.admin, &entry.db, &schema, &name).await?;
    let view = View::new(&table, &params)?;
    let path = views::table_path(&db, &schema, &name, "/rows");
    // Three independent reads at once (the two capped counts dominate a
    // page's time): everything the page shows of the rows comes from one
    // transaction under the page's scope; the one figure read as the admin
    // in a tenant view, labelled so, is how many rows the table holds in
    // all; the chrome is schema, read as the admin.
    let scoped = async {
        let mut tx = entry.begin(&scope).await?;
        let in_force = state::in_force(entry, &mut tx).await?;
        let page = rows::page(&mut tx, &view).await?;
        let count = rows::count(&mut tx, &view).await?;
        tx.finish().await;
        Ok::<_, PageError>((in_force, page, count))
    };
    let total = async {
        if scope.tenant().is_none() || !table.tenant_scoped {
            return Ok(None);
        }
        let all = View::new(&table, &ViewParams::default())?;
        let mut admin = entry.begin(&Scope::Admin).await?;
        let total = rows::count(&mut admin, &all).await?;
        admin.finish().await;
        Ok(Some(total))
    };
    let chrome = chrome(&app, entry, scope.clone(), path, params.link_params());
    let ((in_force, page, count), total, mut chrome) = tokio::try_join!(scoped, total, chrome)?;
    chrome.in_force = Some(in_force);
    Ok(views::rows_page(
        &chrome,
        &RowsPage {
            view: &view,
            params: &params,
            page: &page,
            count,
            total,
        },
    ))
}

pub async fn export(
    State(app): State<App>,
    Path((db, schema, name)): Path<(String, String, String)>,
    Query(pairs): Pairs,
) -> Result<Response, PageError> {
    let entry = app.database(&db)?;
    let scope = scope_of(&pairs);
    let params = ViewParams::parse(&pairs);
    let table = catalog::table(&entry.admin, &entry.db, &schema, &name).await?;
    View::new(&table, &params)?;
    let tx = entry.begin(&scope).await?;
    Ok(export::csv(tx, table, params))
}
