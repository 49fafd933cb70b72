//! The behavioural probes on the admin connection: one transaction that is
//! always rolled back, the probe tenants and their rows, then the checks as
//! the service role.

use super::checks::{self, Privs};
use super::report::{Probe, TableReport};
use super::rows::{make_probes, probe_order, Parents, Probed, Probes, TenantIds};
use super::values::synth_value;
use super::{qerr, VerifyError};
use pgtenant_schema::ident::quote_ident;
use pgtenant_schema::model::{Catalog, QualName};
use pgtenant_schema::tenancy::{ScopeKind, ScopedTable, TenancyRules};
use sqlx::PgConnection;
use std::collections::BTreeMap;

/// What every probe step needs.
pub(super) struct ProbeRun<'a> {
    pub catalog: &'a Catalog,
    pub cfg: &'a TenancyRules,
    pub scoped: &'a [ScopedTable],
    pub svc: &'a str,
}

fn not_probed(reports: &mut [TableReport], reason: &str) {
    for r in reports.iter_mut() {
        r.probe = Probe::NotProbed {
            reason: reason.to_owned(),
        };
    }
}

/// The behavioural probes on the admin connection, in one transaction that
/// is rolled back.
pub(super) async fn probe_tables(
    admin: &mut PgConnection,
    run: &ProbeRun<'_>,
) -> Result<Vec<TableReport>, VerifyError> {
    let mut reports: Vec<TableReport> = run
        .scoped
        .iter()
        .map(|s| TableReport {
            table: s.name.clone(),
            kind: s.kind,
            probe: Probe::NotProbed {
                reason: String::new(),
            },
            checks: Vec::new(),
        })
        .collect();
    let svc = run.svc;
    let (superuser, bypass, can_set_role): (bool, bool, bool) = sqlx::query_as(
        "SELECT rolsuper, rolsuper OR rolbypassrls, pg_has_role(current_user, $1, 'MEMBER') \
         FROM pg_roles WHERE rolname = current_user",
    )
    .bind(svc)
    .fetch_one(&mut *admin)
    .await
    .map_err(qerr("reading the admin role"))?;
    if !can_set_role {
        not_probed(
            &mut reports,
            &format!("the admin role cannot SET ROLE {svc}; run verify as a superuser"),
        );
        return Ok(reports);
    }
    if !bypass {
        not_probed(
            &mut reports,
            "the admin role is neither superuser nor BYPASSRLS, so it cannot create probe rows",
        );
        return Ok(reports);
    }
    if run.scoped.is_empty() {
        return Ok(reports);
    }
    // lc_messages (superuser only) keeps the RLS error text matchable.
    let begin = if superuser {
        "BEGIN; SET LOCAL lc_messages = 'C'; SET LOCAL statement_timeout = '60s'; \
         SET LOCAL lock_timeout = '5s'"
    } else {
        "BEGIN; SET LOCAL statement_timeout = '60s'; SET LOCAL lock_timeout = '5s'"
    };
    sqlx::raw_sql(begin)
        .execute(&mut *admin)
        .await
        .map_err(qerr("starting the probe transaction"))?;
    let r = probe_in_tx(admin, run, &mut reports).await;
    let rb = sqlx::raw_sql("ROLLBACK").execute(&mut *admin).await;
    r?;
    rb.map_err(qerr("rolling back the probe transaction"))?;
    Ok(reports)
}

/// Inside the probe transaction: rows first, then the checks.
async fn probe_in_tx(
    admin: &mut PgConnection,
    run: &ProbeRun<'_>,
    reports: &mut [TableReport],
) -> Result<(), VerifyError> {
    let index: BTreeMap<QualName, usize> = reports
        .iter()
        .enumerate()
        .map(|(i, r)| (r.table.clone(), i))
        .collect();
    let mut privs: BTreeMap<QualName, Privs> = BTreeMap::new();
    for s in run.scoped {
        privs.insert(
            s.name.clone(),
            checks::privileges(admin, run.svc, &s.name).await?,
        );
    }
    let made = make_all_probes(admin, run, reports, &index).await?;
    // A tenant table in a schema the service role cannot use: reported,
    // not probed (its checks below find every privilege missing).
    for (name, p) in &privs {
        if !p.schema_usable {
            reports[index[name]].probe = Probe::NotProbed {
                reason: format!(
                    "service role {} cannot use schema {} (no USAGE); run `pgtenant bootstrap`, \
                     or GRANT USAGE ON SCHEMA {} TO {}",
                    run.svc,
                    name.schema,
                    quote_ident(&name.schema),
                    quote_ident(run.svc)
                ),
            };
        }
    }
    let Some((ids, probes)) = made else {
        return Ok(());
    };
    let by_table: BTreeMap<QualName, Vec<_>> =
        checks::run_checks(admin, run, &privs, &ids, &probes).await?;
    for (table, checks) in by_table {
        reports[index[&table]].checks.extend(checks);
    }
    Ok(())
}

/// The probe tenants (ids of the key type, through the root table) and the
/// probe rows of every table that can have them; `None` when there can be
/// no probe tenants (every report then says why).
async fn make_all_probes(
    admin: &mut PgConnection,
    run: &ProbeRun<'_>,
    reports: &mut [TableReport],
    index: &BTreeMap<QualName, usize>,
) -> Result<Option<(TenantIds, BTreeMap<QualName, Probes>)>, VerifyError> {
    let (catalog, scoped) = (run.catalog, run.scoped);
    let mut parents = Parents::new(scoped);
    let key_type = scoped
        .iter()
        .find(|s| s.kind == ScopeKind::Root)
        .or_else(|| scoped.first())
        .map(|s| s.key_type.clone())
        .unwrap_or_default();
    let mut ids = match (
        synth_value(catalog, &key_type),
        synth_value(catalog, &key_type),
    ) {
        (Some(a), Some(b)) if a != b => TenantIds { a, b },
        _ => {
            not_probed(
                reports,
                &format!("cannot make probe tenant ids of type {key_type}"),
            );
            return Ok(None);
        }
    };
    for s in probe_order(catalog, scoped) {
        let i = index[&s.name];
        let Some(t) = catalog.tables.get(&s.name) else {
            continue;
        };
        let probed = make_probes(admin, catalog, s, t, &ids, &mut parents).await?;
        match probed {
            Probed::Made(p, _) if s.kind == ScopeKind::Root => {
                // The key as stored (a cast may have normalised it).
                let a = p.a.values.get(&s.key_column).cloned().flatten();
                let b = p.b.values.get(&s.key_column).cloned().flatten();
                match (a, b) {
                    (Some(a), Some(b)) if a != b => ids = TenantIds { a, b },
                    _ => {
                        not_probed(reports, "the probe tenants did not get distinct ids");
                        return Ok(None);
                    }
                }
                parents.probes.insert(s.name.clone(), p);
                reports[i].probe = Probe::ProbeTenants;
            }
            Probed::Impossible(reason) if s.kind == ScopeKind::Root => {
                not_probed(
                    reports,
                    &format!("could not create probe tenants in {}: {reason}", s.name),
                );
                return Ok(None);
            }
            Probed::Made(p, kind) => {
                parents.probes.insert(s.name.clone(), p);
                reports[i].probe = kind;
            }
            Probed::Impossible(reason) => reports[i].probe = Probe::NotProbed { reason },
        }
    }
    // As the service role from here on.
    sqlx::raw_sql(&format!("SET LOCAL ROLE {}", quote_ident(run.svc)))
        .execute(&mut *admin)
        .await
        .map_err(qerr(format!("switching to role {}", run.svc)))?;
    Ok(Some((ids, parents.probes)))
}
