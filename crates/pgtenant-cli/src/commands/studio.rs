//! `pgtenant studio [--db NAME] [--port N] [--open]`: a local, read-only web
//! UI over the project's databases, as the admin or *as a tenant*.
//!
//! One concern per file under `studio/`:
//! - `guard.rs`: the per-run token (query parameter once, then an HttpOnly
//!   SameSite=Strict cookie), the Host and Origin checks, security headers;
//! - `state.rs`: the databases, their admin pools and service-role
//!   [`pgtenant::TenantDb`]s, and [`state::Scope`], the role and tenant a
//!   view runs under (every data query goes through `Scope::begin`);
//! - `catalog.rs`: what a page shows about the schema (read as the admin);
//! - `drift.rs`: the drift page, computed on shadow databases only when
//!   asked for;
//! - `rows.rs`: the data view's SQL (keyset pages, sort, filters), pure, and
//!   its execution under the scope; `export.rs`: the streamed CSV export;
//! - `server.rs`: the router and the error page; `pages.rs`: the handlers;
//!   `views.rs`: the HTML (maud); `assets/`: the CSS and JS, embedded.
//!
//! Read-only by construction: the router has GET routes only, and every
//! transaction is opened `READ ONLY`.

mod catalog;
mod drift;
mod export;
mod guard;
mod pages;
mod rows;
mod server;
mod state;
mod views;

use crate::context::Context;
use crate::output::Report;
use anyhow::{Context as _, Result};

#[derive(Debug, Clone, Default, clap::Args)]
#[command(
    after_help = "The studio is read-only: it serves no way to insert, edit or delete \
rows. A --write mode (changes as the role in force, one transaction each) is a later slice."
)]
pub struct StudioArgs {
    /// Open this database of the manifest first (default: the project page).
    #[arg(long, value_name = "NAME")]
    pub db: Option<String>,
    /// Listen on this port of 127.0.0.1 (default: a free port the system picks).
    #[arg(long, value_name = "N")]
    pub port: Option<u16>,
    /// Open the URL in the system's browser (xdg-open, or open on macOS).
    #[arg(long)]
    pub open: bool,
}

pub async fn run(ctx: &Context, args: &StudioArgs) -> Result<Report> {
    let manifest = ctx.manifest()?;
    let admin = ctx.admin_url()?;
    if let Some(name) = &args.db {
        manifest.select(Some(name)).context("--db")?;
    }
    let app = state::App::new(manifest, &admin.url)?;
    let port = args.port.unwrap_or(0);
    let listener = tokio::net::TcpListener::bind(("127.0.0.1", port))
        .await
        .map_err(|e| {
            anyhow::anyhow!(
                "--port {port}: cannot listen on 127.0.0.1:{port}: {e}; pick another port, or \
                 omit --port for a free one"
            )
        })?;
    let bound = listener.local_addr()?.port();
    let guard = guard::Guard::new(bound);
    let path = match &args.db {
        Some(db) => format!("/db/{}", views::path_segment(db)),
        None => "/".to_owned(),
    };
    let url = guard.url_with_token(&path);
    crate::output::studio_url(ctx, &url);
    if args.open {
        open_browser(ctx, &url);
    }
    tokio::spawn({
        let app = app.clone();
        async move { app.warm().await }
    });
    let router = server::router(app, guard);
    axum::serve(listener, router)
        .with_graceful_shutdown(async {
            let _ = tokio::signal::ctrl_c().await;
        })
        .await
        .context("serving the studio")?;
    // With --json the URL line was the run's one document: nothing more.
    Ok(Report::ok(serde_json::Value::Null, "studio stopped"))
}

/// Hand the URL to the system's opener; a failure is a progress line, not
/// an error (the URL is printed anyway).
fn open_browser(ctx: &Context, url: &str) {
    let opener = if cfg!(target_os = "macos") {
        "open"
    } else {
        "xdg-open"
    };
    let spawned = std::process::Command::new(opener)
        .arg(url)
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn();
    if spawned.is_err() {
        ctx.progress(format_args!(
            "--open: cannot run {opener}; open the URL above in a browser"
        ));
    }
}
