//! The drift page of one database, computed only when asked for (a link on
//! the project page): the live database against what its applied
//! migrations produce, and the schema folder against what all migrations
//! produce (the SQL `generate` would write, with its hazards). Both need
//! shadow databases, so no other page computes them. The code is
//! `pgtenant status`'s (`crate::drift`); the shadows are dropped after use.

use super::server::PageError;
use super::state::App;
use super::views::{brand, db_path, document};
use crate::drift::Drift;
use axum::extract::{Path, State};
use maud::{html, Markup};
use pgtenant_schema::Plan;
use std::time::Instant;

pub async fn page(State(app): State<App>, Path(db): Path<String>) -> Result<Markup, PageError> {
    let entry = app.database(&db)?;
    let started = Instant::now();
    let status = pgtenant::migrate::status(&entry.admin_options, &entry.db.migrations_dir)
        .await
        .map_err(|e| {
            tracing::warn!("studio: journal of database {db}: {e:#}");
            PageError::Unavailable(format!(
                "the journal of database {db} cannot be read; `pgtenant status --db {db}` \
                 shows why (does the database exist? `pgtenant up` creates it)"
            ))
        })?;
    // The shadow loaders' futures are not `Send`, which a handler's must
    // be: run them on a blocking thread of the same runtime.
    let handle = tokio::runtime::Handle::current();
    let (url, database) = (app.admin_url().to_owned(), entry.db.clone());
    let drift = tokio::task::spawn_blocking(move || {
        handle.block_on(crate::drift::drift_of(&url, &database, &status))
    })
    .await
    .map_err(|e| PageError::Internal(e.into()))?
    .map_err(|e| {
        tracing::warn!("studio: drift of database {db}: {e:#}");
        PageError::Unavailable(format!(
            "the drift of database {db} cannot be computed; `pgtenant check --db {db}` \
                 shows why"
        ))
    })?;
    let took = started.elapsed().as_millis();
    Ok(view(&app, &db, &drift, took))
}

fn plan_block(plan: &Plan) -> Markup {
    html! { pre.def { (plan.to_sql()) } }
}

fn view(app: &App, db: &str, drift: &Drift, took_ms: u128) -> Markup {
    let crumbs = html! {
        a href="/" { (app.project()) } span.sep { "/" }
        a href=(db_path(db)) { (db) } span.sep { "/" } span { "drift" }
    };
    let main = html! {
        header.topbar { nav.crumbs { (crumbs) } }
        h1 { "Drift of " (db) }
        section #live {
            h2 { "Live database vs its applied migrations" }
            @match &drift.live {
                None => p { span.warn { "the database does not exist" } " (not compared)" },
                Some(p) if p.is_empty() => p { span.good { "matches the applied migrations" } },
                Some(p) => {
                    p { span.bad { "drifted" } " (" (p.steps.len()) " difference(s)): these statements \
                        would make the migrations' result match the live database" }
                    (plan_block(p))
                }
            }
        }
        section #schema {
            h2 { "Schema folder vs all migrations" }
            @match &drift.schema {
                None => p.muted { "no schema folder: migrations are written by hand (not compared)" },
                Some(p) if p.is_empty() => p { span.good { "every change is in a migration" } },
                Some(p) => {
                    p { span.warn { (p.steps.len()) " change(s) not in a migration yet" }
                        ": the SQL " code { "pgtenant generate --db " (db) " --name <name>" }
                        " would write (hazards as " code { "-- hazard:" } " comments)" }
                    (plan_block(p))
                }
            }
        }
        p.muted { "Computed on shadow databases in " (took_ms) " ms, as "
            code { "pgtenant status" } " does; reload the page to compute it again." }
    };
    let sidebar = html! {
        (brand(app))
        nav { h3 { "Databases" } ul { @for d in app.databases() {
            li { a href=(db_path(&d.db.name)) { (d.db.name) } } } } }
        footer.readonly { "Read-only: no write path in this version." }
    };
    document(&format!("drift of {db}"), sidebar, main)
}
