//! The audit module's Rust side: record events, and verify the hash chains
//! independently of the SQL that wrote them.
//!
//! The SQL (`modules/audit/`) chains each tenant's rows: a row's hash is
//! `sha256(prev_hash ‖ payload)`, where the payload encodes every field.
//! [`verify`] reads the rows as plain text, rebuilds each payload with
//! [`payload`] (a second implementation of the encoding, written here, not
//! read from the database), and names the first row of each chain that
//! does not fit: edited (its hash is wrong), removed (a gap in `seq`, or
//! the head is ahead of the last row), or moved (its `prev_hash` is not the
//! hash of the row before it).

use pgtenant_schema::ident::quote_ident;
use sha2::{Digest, Sha256};
use sqlx::PgConnection;
use std::net::IpAddr;

/// The hash the first row of a chain links to.
pub const GENESIS: [u8; 32] = [0; 32];

/// An event to record.
#[derive(Debug, Clone, PartialEq)]
pub struct AuditEvent {
    /// `domain.resource.action`, e.g. `project.member.remove`.
    pub action: String,
    pub resource_type: Option<String>,
    pub resource_id: Option<String>,
    pub metadata: serde_json::Value,
    pub ip: Option<IpAddr>,
}

impl AuditEvent {
    pub fn new(action: &str) -> AuditEvent {
        AuditEvent {
            action: action.to_owned(),
            resource_type: None,
            resource_id: None,
            metadata: serde_json::Value::Object(serde_json::Map::new()),
            ip: None,
        }
    }

    /// The resource acted on.
    pub fn resource(mut self, kind: &str, id: impl ToString) -> Self {
        self.resource_type = Some(kind.to_owned());
        self.resource_id = Some(id.to_string());
        self
    }

    pub fn metadata(mut self, metadata: serde_json::Value) -> Self {
        self.metadata = metadata;
        self
    }

    pub fn ip(mut self, ip: IpAddr) -> Self {
        self.ip = Some(ip);
        self
    }
}

/// Record `event` for the tenant and user of the transaction's settings
/// (inside a [`TenantTx`](crate::TenantTx): `audit::record(&mut *tx, …)`).
/// Returns the event's position in its tenant's chain.
pub async fn record(
    conn: &mut PgConnection,
    schema: &str,
    event: &AuditEvent,
) -> Result<i64, sqlx::Error> {
    sqlx::query_scalar(&format!(
        "SELECT {}.audit($1, $2, $3, $4, $5::text::inet)",
        quote_ident(schema)
    ))
    .bind(&event.action)
    .bind(&event.resource_type)
    .bind(&event.resource_id)
    .bind(&event.metadata)
    .bind(event.ip.map(|ip| ip.to_string()))
    .fetch_one(conn)
    .await
}

/// One row as text, the way the chain trigger encodes it.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct ChainRow {
    pub audit_id: i64,
    /// The tenant as text; `None` for the system chain.
    pub tenant: Option<String>,
    pub seq: i64,
    pub actor: Option<String>,
    pub action: String,
    pub resource_type: Option<String>,
    pub resource_id: Option<String>,
    pub metadata: String,
    pub ip: Option<String>,
    /// UTC, `YYYY-MM-DDTHH:MM:SS.ffffffZ`.
    pub created_at: String,
    pub prev_hash: Vec<u8>,
    pub hash: Vec<u8>,
}

fn field(out: &mut Vec<u8>, value: Option<&str>) {
    match value {
        None => out.push(b'N'),
        Some(v) => {
            out.extend_from_slice(format!("S{}:", v.len()).as_bytes());
            out.extend_from_slice(v.as_bytes());
        }
    }
}

/// The bytes a row's hash covers (after `prev_hash`).
pub fn payload(row: &ChainRow) -> Vec<u8> {
    let mut out = Vec::with_capacity(128 + row.metadata.len());
    field(&mut out, row.tenant.as_deref());
    field(&mut out, Some(&row.seq.to_string()));
    field(&mut out, row.actor.as_deref());
    field(&mut out, Some(&row.action));
    field(&mut out, row.resource_type.as_deref());
    field(&mut out, row.resource_id.as_deref());
    field(&mut out, Some(&row.metadata));
    field(&mut out, row.ip.as_deref());
    field(&mut out, Some(&row.created_at));
    out
}

/// `sha256(prev_hash ‖ payload(row))`.
pub fn row_hash(row: &ChainRow) -> [u8; 32] {
    let mut h = Sha256::new();
    h.update(&row.prev_hash);
    h.update(payload(row));
    h.finalize().into()
}

/// What is wrong with a row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Breach {
    /// The row's content does not match its hash: edited.
    Edited,
    /// Rows before this one are missing (`expected` is the seq that should
    /// have come next).
    Missing { expected: i64 },
    /// Its `prev_hash` is not the previous row's hash: moved or replaced.
    Relinked,
    /// The chain's head records a later row than the last one present: the
    /// newest rows were removed.
    TailRemoved { head_seq: i64 },
    /// The head's hash is not the last row's.
    HeadMismatch,
}

impl std::fmt::Display for Breach {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Breach::Edited => write!(f, "its content does not match its hash (edited)"),
            Breach::Missing { expected } => {
                write!(f, "rows are missing before it (expected seq {expected})")
            }
            Breach::Relinked => write!(
                f,
                "its prev_hash is not the hash of the row before it (moved or replaced)"
            ),
            Breach::TailRemoved { head_seq } => {
                write!(
                    f,
                    "the chain head records seq {head_seq}: newer rows were removed"
                )
            }
            Breach::HeadMismatch => write!(f, "the chain head's hash is not this row's"),
        }
    }
}

/// The first broken row of a chain.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Broken {
    /// The row (`None` when the breach is past the last row).
    pub audit_id: Option<i64>,
    pub seq: i64,
    pub breach: Breach,
}

/// One tenant's chain.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChainReport {
    /// The tenant as text; `None` for the system chain.
    pub tenant: Option<String>,
    pub rows: u64,
    /// The newest row's seq and hash (what to keep elsewhere as an anchor).
    pub last_seq: i64,
    pub last_hash: [u8; 32],
    pub broken: Option<Broken>,
}

/// Check one chain: `rows` in seq order, and the head `(seq, hash)` the
/// database recorded. Pure: no I/O.
pub fn check_chain(
    tenant: Option<String>,
    rows: &[ChainRow],
    head: Option<(i64, Vec<u8>)>,
) -> ChainReport {
    let mut prev = GENESIS;
    let mut expected_seq = 1;
    let mut broken = None;
    for row in rows {
        let breach = if row.seq != expected_seq {
            Some(Breach::Missing {
                expected: expected_seq,
            })
        } else if row.prev_hash != prev {
            Some(Breach::Relinked)
        } else if row.hash != row_hash(row) {
            Some(Breach::Edited)
        } else {
            None
        };
        if let Some(breach) = breach {
            broken = Some(Broken {
                audit_id: Some(row.audit_id),
                seq: row.seq,
                breach,
            });
            break;
        }
        prev = row.hash.as_slice().try_into().unwrap_or(GENESIS);
        expected_seq += 1;
    }
    let last_seq = expected_seq - 1;
    if broken.is_none() {
        broken = match head {
            Some((head_seq, _)) if head_seq > last_seq => Some(Broken {
                audit_id: None,
                seq: last_seq + 1,
                breach: Breach::TailRemoved { head_seq },
            }),
            Some((head_seq, hash)) if head_seq == last_seq && last_seq > 0 && hash != prev => {
                Some(Broken {
                    audit_id: rows.last().map(|r| r.audit_id),
                    seq: last_seq,
                    breach: Breach::HeadMismatch,
                })
            }
            _ => None,
        };
    }
    ChainReport {
        tenant,
        rows: rows.len() as u64,
        last_seq,
        last_hash: prev,
        broken,
    }
}

/// Verify every chain (or one tenant's) in the audit table of `schema`.
/// Run it as the admin (the service role sees only its own tenant).
pub async fn verify(
    conn: &mut PgConnection,
    schema: &str,
    tenant_column: &str,
    tenant: Option<&str>,
) -> Result<Vec<ChainReport>, sqlx::Error> {
    let s = quote_ident(schema);
    let t = quote_ident(tenant_column);
    let rows: Vec<ChainRow> = sqlx::query_as(&format!(
        "SELECT audit_id, {t}::text AS tenant, seq, actor, action, resource_type, resource_id,
                metadata::text AS metadata, ip::text AS ip,
                to_char(created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"') AS created_at,
                prev_hash, hash
           FROM {s}.audit_log
          WHERE $1::text IS NULL OR {t}::text = $1
          ORDER BY {t}::text NULLS FIRST, seq"
    ))
    .bind(tenant)
    .fetch_all(&mut *conn)
    .await?;
    let heads: Vec<(String, i64, Vec<u8>)> = sqlx::query_as(&format!(
        "SELECT chain, seq, hash FROM {s}.audit_heads WHERE $1::text IS NULL OR chain = $1 ORDER BY chain"
    ))
    .bind(tenant)
    .fetch_all(&mut *conn)
    .await?;

    let mut reports = Vec::new();
    let mut start = 0;
    while start < rows.len() {
        let key = rows[start].tenant.clone();
        let end = rows[start..]
            .iter()
            .position(|r| r.tenant != key)
            .map_or(rows.len(), |n| start + n);
        let chain = key.clone().unwrap_or_default();
        let head = heads
            .iter()
            .find(|(c, _, _)| *c == chain)
            .map(|(_, seq, hash)| (*seq, hash.clone()));
        reports.push(check_chain(key, &rows[start..end], head));
        start = end;
    }
    // A chain whose rows are all gone still has its head.
    for (chain, seq, hash) in heads {
        let tenant = (!chain.is_empty()).then_some(chain);
        if seq > 0 && !reports.iter().any(|r| r.tenant == tenant) {
            reports.push(check_chain(tenant, &[], Some((seq, hash))));
        }
    }
    Ok(reports)
}
