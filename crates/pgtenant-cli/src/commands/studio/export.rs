//! The current view as CSV, streamed: one transaction under the view's
//! scope (the same role and tenant as the page), rows read from the server
//! as they come, written by the `csv` crate into chunks of about
//! [`CHUNK_BYTES`] that go through a channel of [`CHUNKS_IN_FLIGHT`] to the
//! response body. A slow client slows the query down instead of filling
//! memory; a client that goes away ends the transaction.

use super::catalog::Table;
use super::rows::{self, View, ViewParams};
use super::server::PageError;
use super::state::ScopedTx;
use axum::body::{Body, Bytes};
use axum::http::{header, HeaderValue};
use axum::response::{IntoResponse, Response};
use futures::TryStreamExt;
use tokio::sync::mpsc;

const CHUNK_BYTES: usize = 64 * 1024;
const CHUNKS_IN_FLIGHT: usize = 4;

type Chunk = Result<Bytes, std::io::Error>;

/// Answer with the CSV of `table` under `params`, read in `tx` (already
/// opened under the view's scope; the view was checked by the caller).
pub fn csv(tx: ScopedTx, table: Table, params: ViewParams) -> Response {
    let filename: String = format!("{}.{}.csv", table.schema, table.name)
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_') {
                c
            } else {
                '_'
            }
        })
        .collect();
    let (sender, receiver) = mpsc::channel::<Chunk>(CHUNKS_IN_FLIGHT);
    tokio::spawn(async move {
        if let Err(e) = write_rows(tx, &table, &params, &sender).await {
            tracing::warn!(
                "studio: export of {}.{} stopped: {e:#}",
                table.schema,
                table.name
            );
            let _ = sender
                .send(Err(std::io::Error::other("the export stopped")))
                .await;
        }
    });
    let body = Body::from_stream(futures::stream::unfold(receiver, |mut rx| async move {
        rx.recv().await.map(|chunk| (chunk, rx))
    }));
    let mut response = body.into_response();
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/csv; charset=utf-8"),
    );
    if let Ok(value) = HeaderValue::from_str(&format!("attachment; filename=\"{filename}\"")) {
        headers.insert(header::CONTENT_DISPOSITION, value);
    }
    response
}

async fn write_rows(
    mut tx: ScopedTx,
    table: &Table,
    params: &ViewParams,
    sender: &mpsc::Sender<Chunk>,
) -> anyhow::Result<()> {
    let view = View::new(table, params).map_err(PageError::into_anyhow)?;
    let fresh = || csv::Writer::from_writer(Vec::with_capacity(CHUNK_BYTES + 4096));
    let mut writer = fresh();
    writer.write_record(table.columns.iter().map(|c| c.name.as_str()))?;
    let (sql, binds) = view.export_sql();
    {
        let mut stream = rows::bound(&sql, &binds).fetch(tx.conn());
        while let Some(row) = stream.try_next().await? {
            for i in 0..table.columns.len() {
                let value: Option<String> = sqlx::Row::try_get(&row, i)?;
                writer.write_field(value.as_deref().unwrap_or(""))?;
            }
            writer.write_record(None::<&[u8]>)?;
            // Moves csv's own buffer into the Vec (no system call).
            writer.flush()?;
            if writer.get_ref().len() >= CHUNK_BYTES {
                let full = std::mem::replace(&mut writer, fresh());
                let chunk = full.into_inner().map_err(|e| anyhow::anyhow!("{e}"))?;
                if sender.send(Ok(Bytes::from(chunk))).await.is_err() {
                    // The client went away: stop reading.
                    return Ok(());
                }
            }
        }
    }
    let rest = writer.into_inner().map_err(|e| anyhow::anyhow!("{e}"))?;
    if !rest.is_empty() {
        let _ = sender.send(Ok(Bytes::from(rest))).await;
    }
    tx.finish().await;
    Ok(())
}
