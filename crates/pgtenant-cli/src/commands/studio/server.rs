//! The router: GET routes only (no write path exists), every one behind the
//! guard, and the one error type handlers return.

use super::guard::{self, Guard};
use super::state::App;
use super::{drift, pages, views};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;

/// Why a page cannot be shown. The first three are the user's to fix and
/// their text is shown; an internal error is logged and the page says only
/// that something failed (a handler never echoes internal errors).
#[derive(Debug, thiserror::Error)]
pub enum PageError {
    #[error("{0}")]
    NotFound(String),
    #[error("{0}")]
    BadRequest(String),
    /// The role in force may not read this (a privilege, not a bug).
    #[error("{0}")]
    Forbidden(String),
    /// A database or role cannot be used (missing, refused).
    #[error("{0}")]
    Unavailable(String),
    #[error("internal error")]
    Internal(anyhow::Error),
}

impl PageError {
    /// A failed catalog or data query: a database that does not exist or a
    /// server that does not answer is the user's to fix; the rest internal.
    pub fn from_sqlx(e: sqlx::Error) -> PageError {
        match &e {
            sqlx::Error::Database(db) if db.code().as_deref() == Some("3D000") => {
                PageError::Unavailable(format!(
                    "{}; `pgtenant up` creates the project's databases",
                    db.message()
                ))
            }
            sqlx::Error::Io(_) | sqlx::Error::PoolTimedOut => PageError::Unavailable(
                "cannot reach PostgreSQL; is it running? the terminal running `pgtenant studio` \
                 shows the detail"
                    .to_owned(),
            ),
            _ => PageError::Internal(e.into()),
        }
    }

    pub fn into_anyhow(self) -> anyhow::Error {
        match self {
            PageError::Internal(e) => e,
            other => anyhow::anyhow!("{other}"),
        }
    }
}

impl IntoResponse for PageError {
    fn into_response(self) -> Response {
        let (status, message) = match self {
            PageError::NotFound(m) => (StatusCode::NOT_FOUND, m),
            PageError::BadRequest(m) => (StatusCode::BAD_REQUEST, m),
            PageError::Forbidden(m) => (StatusCode::FORBIDDEN, m),
            PageError::Unavailable(m) => (StatusCode::SERVICE_UNAVAILABLE, m),
            PageError::Internal(e) => {
                tracing::warn!("studio: {e:#}");
                (
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "something went wrong reading the database; the terminal running \
                     `pgtenant studio` shows the detail"
                        .to_owned(),
                )
            }
        };
        (status, views::error_page(status, &message)).into_response()
    }
}

pub fn router(app: App, guard: Guard) -> Router {
    Router::new()
        .route("/", get(pages::project))
        .route("/db/{db}", get(pages::database))
        .route("/db/{db}/drift", get(drift::page))
        .route("/db/{db}/t/{schema}/{table}", get(pages::table))
        .route("/db/{db}/t/{schema}/{table}/rows", get(pages::rows))
        .route("/db/{db}/t/{schema}/{table}/rows.csv", get(pages::export))
        .route("/assets/studio.css", get(css))
        .route("/assets/studio.js", get(js))
        .fallback(not_found)
        .with_state(app)
        .layer(axum::middleware::from_fn_with_state(guard, guard::check))
}

async fn css() -> impl IntoResponse {
    (
        [(header::CONTENT_TYPE, "text/css; charset=utf-8")],
        include_str!("assets/studio.css"),
    )
}

async fn js() -> impl IntoResponse {
    (
        [(header::CONTENT_TYPE, "text/javascript; charset=utf-8")],
        include_str!("assets/studio.js"),
    )
}

async fn not_found() -> PageError {
    PageError::NotFound("no such page in the studio".to_owned())
}
