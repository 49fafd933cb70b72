//! `verify`: prove tenant isolation on a live database.
//!
//! Two parts:
//!
//! - **Static**: the lints of [`pgtenant_schema::lint`] on the introspected
//!   catalog (RLS enabled and forced, policies for every command, keys,
//!   views, functions, the service role's privileges and ownership), plus
//!   the service role's attributes (never superuser, never BYPASSRLS).
//! - **Behavioural**: on one admin connection, inside a transaction that
//!   always rolls back, two probe tenants A and B are created through the
//!   root table and a row for each is copied or synthesised in every tenant
//!   table (parents first). Then, as the service role (`SET LOCAL ROLE`):
//!   with no tenant set and with an empty setting every tenant table reads
//!   empty; as A, B's rows are invisible to SELECT and untouched by UPDATE
//!   and DELETE, an INSERT with B's id and an UPDATE moving A's row to B are
//!   rejected. Finally, over a real login connection of the service role:
//!   a fresh connection carries no tenant, and after a committed transaction
//!   the same pooled connection carries none either.
//!
//! Nothing is ever committed to the target database.

mod checks;
mod grants;
mod login;
mod probes;
mod report;
mod rows;
mod sql;
mod values;

pub use report::{codes, Check, Detail, Failure, Outcome, Probe, Report, TableReport};

use pgtenant_schema::finding::{Finding, FindingCode};
use pgtenant_schema::lint::{lint, RoleFacts};
use pgtenant_schema::model::Catalog;
use pgtenant_schema::model::ObjectRef;
use pgtenant_schema::tenancy::{scoped_tables, TenancyRules};
use probes::ProbeRun;
use sqlx::postgres::PgConnectOptions;
use sqlx::{ConnectOptions, Connection, PgConnection};

/// Where and as whom to verify.
#[derive(Debug, Clone)]
pub struct VerifyTarget {
    /// The database to verify, as an admin role (superuser or BYPASSRLS).
    pub admin: PgConnectOptions,
    /// The same database as the service role, with its password.
    pub service: PgConnectOptions,
    /// The service role's name.
    pub service_role: String,
}

/// Why verification could not run at all (as opposed to failing a check).
#[derive(Debug, thiserror::Error)]
pub enum VerifyError {
    #[error("cannot connect as the admin role; check the admin URL and that the database exists")]
    AdminConnect(#[source] sqlx::Error),
    #[error("cannot log in as service role {role}; check its password in the manifest and that bootstrap has created it")]
    ServiceConnect {
        role: String,
        #[source]
        source: sqlx::Error,
    },
    #[error("service role {0} does not exist; run `pgtenant bootstrap` first")]
    NoServiceRole(String),
    #[error("{what} failed")]
    Query {
        what: String,
        #[source]
        source: sqlx::Error,
    },
}

fn qerr(what: impl Into<String>) -> impl FnOnce(sqlx::Error) -> VerifyError {
    let what = what.into();
    move |source| VerifyError::Query { what, source }
}

pub use crate::roles::RoleInfo;

/// Read the attributes and memberships of `role` (one query).
pub async fn role_info(conn: &mut PgConnection, role: &str) -> Result<RoleInfo, VerifyError> {
    crate::roles::role_info(&mut *conn, Some(role))
        .await
        .map_err(qerr(format!("reading role {role}")))?
        .ok_or_else(|| VerifyError::NoServiceRole(role.to_owned()))
}

/// A `table-unproven` warning for every table that could not be probed
/// and every check that could not be run although the service role could
/// act: isolation there is not proven, whatever the other checks say.
fn unproven_findings(tables: &[TableReport]) -> Vec<Finding> {
    let mut out = Vec::new();
    for t in tables {
        let mut why: Vec<String> = Vec::new();
        if let Probe::NotProbed { reason } = &t.probe {
            why.push(format!("could not probe: {reason}"));
        }
        for c in &t.checks {
            if let Outcome::Unproven { reason } = &c.outcome {
                why.push(format!("{}: {reason}", c.code));
            }
        }
        if why.is_empty() {
            continue;
        }
        out.push(
            Finding::warning(
                FindingCode::TableUnproven,
                ObjectRef::Table {
                    name: t.table.clone(),
                },
                format!("isolation of {} is not proven: {}", t.table, why.join("; ")),
            )
            .suggest(
                "give verify a row to copy (seed one), grant the service role what its checks \
                 need, or pass --allow-unproven to accept it",
            ),
        );
    }
    out
}

/// Verify one database. `catalog` is its introspected schema.
pub async fn verify(
    target: &VerifyTarget,
    catalog: &Catalog,
    cfg: &TenancyRules,
) -> Result<Report, VerifyError> {
    let admin_opts = target.admin.clone().disable_statement_logging();
    let mut admin = PgConnection::connect_with(&admin_opts)
        .await
        .map_err(VerifyError::AdminConnect)?;
    let database: String = sqlx::query_scalar("SELECT current_database()::text")
        .fetch_one(&mut admin)
        .await
        .map_err(qerr("reading the database name"))?;
    let svc = target.service_role.as_str();
    let info = role_info(&mut admin, svc).await?;
    let facts = RoleFacts {
        service_role: Some(svc.to_owned()),
        member_of: info.member_of.clone(),
    };
    let mut findings = lint(catalog, cfg, &facts);
    findings.extend(grants::grant_findings(&mut admin, catalog, cfg, svc).await?);
    findings.sort_by(|a, b| (&a.object, a.code).cmp(&(&b.object, b.code)));
    let mut session = vec![checks::service_role_attributes(
        svc,
        info.superuser,
        info.bypass_rls,
    )];

    let (scoped, _) = scoped_tables(catalog, cfg);
    let run = ProbeRun {
        catalog,
        cfg,
        scoped: &scoped,
        svc,
    };
    let tables = probes::probe_tables(&mut admin, &run).await?;
    let _ = admin.close().await;

    session.extend(login::login_checks(target, catalog, cfg, &scoped).await?);
    findings.extend(unproven_findings(&tables));
    Ok(Report {
        database,
        service_role: svc.to_owned(),
        findings,
        session,
        tables,
    })
}
