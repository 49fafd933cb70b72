//! `tenant import`: check the archive against the live tables (before
//! anything is written), then one transaction: each table's COPY file
//! streams into a temporary table, and one `INSERT … SELECT` moves the rows
//! into the real table, with the tenant id rewritten under `--remap-to`
//! and `ON CONFLICT DO NOTHING` for global rows (shared ones already there
//! are kept). Any error, a bad checksum or row count included, rolls the
//! whole import back.

use super::archive::{self, ArchivedTable, Hashing, Manifest};
use super::plan::{column_list, ColumnDef, Kind};
use super::{rows_text, Target};
use crate::context::Context;
use crate::error::usage;
use crate::output::{Report, Table};
use anyhow::{Context as _, Result};
use pgtenant_schema::ident::{quote_ident, quote_literal, quote_qualified};
use pgtenant_schema::model::QualName;
use std::io::Read;
use std::path::Path;

const TEMP_TABLE: &str = "pg_temp.pgtenant_tenant_import";

/// What happened to one table.
struct Loaded {
    table: QualName,
    kind: Kind,
    rows: u64,
    inserted: u64,
}

/// The first difference between the archived columns and the live ones.
fn column_mismatch(
    path: &Path,
    t: &ArchivedTable,
    live: &[ColumnDef],
    db: &str,
) -> Option<anyhow::Error> {
    let name = format!("{}.{}", t.schema, t.name);
    let what = |detail: String| {
        usage(format!(
            "--in {}: table {name}: {detail}; the archive does not fit the schema of database {db} \
             (migrate it to the schema the archive was exported from); nothing was imported",
            path.display()
        ))
    };
    for c in &t.columns {
        match live.iter().find(|l| l.name == c.name) {
            None => {
                return Some(what(format!(
                    "column {} ({}) is in the archive but not in the database",
                    c.name, c.data_type
                )))
            }
            Some(l) if l.data_type != c.data_type => {
                return Some(what(format!(
                    "column {} is {} in the archive but {} in the database",
                    c.name, c.data_type, l.data_type
                )))
            }
            Some(_) => {}
        }
    }
    live.iter()
        .find(|l| !t.columns.iter().any(|c| c.name == l.name))
        .map(|l| {
            what(format!(
                "column {} ({}) is in the database but not in the archive",
                l.name, l.data_type
            ))
        })
}

pub async fn run(
    ctx: &Context,
    target: &mut Target<'_>,
    path: &Path,
    m: &Manifest,
    remap_to: Option<&str>,
) -> Result<Report> {
    let dbname = target.db.name.clone();
    // The archived id must be a valid key here too; the new one as well.
    let archived = target.tenant_id("the archive's tenant", &m.tenant)?;
    let id = match remap_to {
        Some(raw) => target.tenant_id("--remap-to", raw)?,
        None => archived.clone(),
    };
    let plan = target.plan(&id)?;
    let root = QualName::new(m.root_table.schema.as_str(), m.root_table.name.as_str());
    if root != plan.root || m.root_key != plan.root_key {
        return Err(usage(format!(
            "--in {}: the archive's root table is {root} ({}), database {dbname} uses {} ({}); \
             nothing was imported",
            path.display(),
            m.root_key,
            plan.root,
            plan.root_key
        )));
    }
    // Every table and column checked before anything is written.
    let mut live_tables = Vec::new();
    for t in &m.tables {
        let name = QualName::new(t.schema.as_str(), t.name.as_str());
        let Some(live) = target.catalog.tables.get(&name) else {
            return Err(usage(format!(
                "--in {}: table {name} is in the archive but not in database {dbname}; migrate it \
                 to the schema the archive was exported from; nothing was imported",
                path.display()
            )));
        };
        let columns: Vec<ColumnDef> = live
            .columns
            .iter()
            .filter(|c| c.generated.is_none())
            .map(|c| ColumnDef {
                name: c.name.clone(),
                data_type: c.data_type.clone(),
            })
            .collect();
        if let Some(e) = column_mismatch(path, t, &columns, &dbname) {
            return Err(e);
        }
        if let Some(k) = &t.key_column {
            if !t.columns.iter().any(|c| &c.name == k) {
                return Err(archive_error(path, format!("table {name}: no column {k}")));
            }
        }
        let always = live.columns.iter().any(|c| {
            c.identity
                .as_ref()
                .is_some_and(|i| i.kind == pgtenant_schema::model::IdentityKind::Always)
        });
        live_tables.push((name, always));
    }
    sqlx::raw_sql(&format!("BEGIN; {}", archive::SESSION_SETTINGS))
        .execute(&mut target.conn)
        .await
        .context("starting the import transaction")?;
    if target.exists(&plan, &id).await? {
        let advice = match remap_to {
            None => "import it under another id with --remap-to NEW_ID, or delete the existing \
                     tenant first (`pgtenant tenant delete`)"
                .to_owned(),
            Some(_) => "choose another --remap-to id".to_owned(),
        };
        return Err(anyhow::anyhow!(
            "tenant {id} already exists in {} of database {dbname}; {advice}; nothing was imported",
            plan.root
        ));
    }
    let mut reader = archive::Reader::open(path)?;
    let mut loaded: Vec<Loaded> = Vec::new();
    let mut next = 0usize;
    let entries = reader.entries()?;
    for entry in entries {
        let entry = entry.map_err(|e| archive_error(path, e))?;
        let entry_path = entry
            .path()
            .map_err(|e| archive_error(path, e))?
            .to_string_lossy()
            .into_owned();
        if entry_path == archive::MANIFEST_FILE {
            continue;
        }
        let Some(t) = m.tables.get(next) else {
            return Err(archive_error(
                path,
                format!("entry {entry_path} is not in manifest.json"),
            ));
        };
        if t.file != entry_path {
            return Err(archive_error(
                path,
                format!("entry {entry_path} where manifest.json expects {}", t.file),
            ));
        }
        let (name, always) = &live_tables[next];
        next += 1;
        ctx.detail(format_args!("{name}: {}", rows_text(t.rows)));
        let rows = load(target, path, t, name, entry).await?;
        let inserted = insert(target, t, name, *always, remap_to.map(|_| id.as_str())).await?;
        bump_sequences(target, name).await?;
        loaded.push(Loaded {
            table: name.clone(),
            kind: t.kind,
            rows,
            inserted,
        });
    }
    if let Some(t) = m.tables.get(next) {
        return Err(archive_error(
            path,
            format!(
                "entry {} of table {}.{} is missing (the file may be truncated)",
                t.file, t.schema, t.name
            ),
        ));
    }
    // A tenant row that did not arrive is a damaged archive, not a success.
    if !target.exists(&plan, &id).await? {
        return Err(archive_error(
            path,
            format!("it holds no row of tenant {archived} in {}", plan.root),
        ));
    }
    sqlx::raw_sql("COMMIT")
        .execute(&mut target.conn)
        .await
        .context("committing the import")?;
    Ok(report(&dbname, m, &id, remap_to.is_some(), &loaded))
}

fn archive_error(path: &Path, why: impl std::fmt::Display) -> anyhow::Error {
    anyhow::anyhow!(
        "archive {}: {why}; it is damaged or not a pgtenant tenant archive: export the tenant again \
         (`pgtenant tenant export`); nothing was imported",
        path.display()
    )
}

/// Stream one entry into the temporary table; returns its row count,
/// checked against manifest.json with the checksum.
async fn load(
    target: &mut Target<'_>,
    path: &Path,
    t: &ArchivedTable,
    name: &QualName,
    entry: tar::Entry<'_, std::fs::File>,
) -> Result<u64> {
    let create = format!(
        "DROP TABLE IF EXISTS {TEMP_TABLE}; CREATE TEMP TABLE pgtenant_tenant_import ON COMMIT DROP \
         AS SELECT {} FROM {} WITH NO DATA",
        column_list(&t.columns),
        quote_qualified(&name.schema, &name.name)
    );
    sqlx::raw_sql(&create)
        .execute(&mut target.conn)
        .await
        .with_context(|| format!("preparing the load of {name}"))?;
    let mut source = Hashing::new(entry);
    let mut copy = target
        .conn
        .copy_in_raw(&format!(
            "COPY {TEMP_TABLE} ({}) FROM STDIN",
            column_list(&t.columns)
        ))
        .await
        .with_context(|| format!("loading {name}"))?;
    let mut buf = vec![0u8; 256 * 1024];
    loop {
        let n = match source.read(&mut buf) {
            Ok(n) => n,
            Err(e) => {
                let _ = copy.abort("the archive could not be read").await;
                return Err(archive_error(path, format!("{}: {e}", t.file)));
            }
        };
        if n == 0 {
            break;
        }
        copy.send(&buf[..n])
            .await
            .with_context(|| format!("loading {name}"))?;
    }
    let rows = copy.finish().await.map_err(|e| {
        archive_error(
            path,
            format!("{} does not load into {name}: {}", t.file, db_message(&e)),
        )
    })?;
    if source.hex() != t.sha256 {
        return Err(archive_error(
            path,
            format!("{} does not match its checksum in manifest.json", t.file),
        ));
    }
    if rows != t.rows {
        return Err(archive_error(
            path,
            format!(
                "{} holds {} but manifest.json says {}",
                t.file,
                rows_text(rows),
                t.rows
            ),
        ));
    }
    Ok(rows)
}

/// `INSERT … SELECT` from the temporary table; returns the rows inserted.
async fn insert(
    target: &mut Target<'_>,
    t: &ArchivedTable,
    name: &QualName,
    identity_always: bool,
    remap: Option<&str>,
) -> Result<u64> {
    let select: Vec<String> = t
        .columns
        .iter()
        .map(|c| match (remap, &t.key_column) {
            (Some(new), Some(k)) if *k == c.name => {
                format!("CAST({} AS {})", quote_literal(new), c.data_type)
            }
            _ => quote_ident(&c.name),
        })
        .collect();
    let sql = format!(
        "INSERT INTO {} ({}) {}SELECT {} FROM {TEMP_TABLE}{}",
        quote_qualified(&name.schema, &name.name),
        column_list(&t.columns),
        if identity_always {
            "OVERRIDING SYSTEM VALUE "
        } else {
            ""
        },
        select.join(", "),
        if t.kind == Kind::Global {
            " ON CONFLICT DO NOTHING"
        } else {
            ""
        }
    );
    let done = sqlx::raw_sql(&sql)
        .execute(&mut target.conn)
        .await
        .map_err(|e| {
            anyhow::anyhow!(
                "inserting the rows of {name}: {}; nothing was imported{}",
                db_message(&e),
                if t.kind == Kind::Tenant {
                    " (--remap-to rewrites only the tenant id; other unique keys of the archive \
                     must be free in the database)"
                } else {
                    ""
                }
            )
        })?;
    Ok(done.rows_affected())
}

/// Move the sequences of `name`'s identity and serial columns past the
/// keys just loaded, so the application's next INSERT does not collide
/// with an imported row (a sequence never moves back).
async fn bump_sequences(target: &mut Target<'_>, name: &QualName) -> Result<()> {
    let Some(table) = target.catalog.tables.get(name) else {
        return Ok(());
    };
    let columns: Vec<String> = table
        .columns
        .iter()
        .filter(|c| {
            c.identity.is_some()
                || c.default
                    .as_deref()
                    .is_some_and(|d| d.starts_with("nextval("))
        })
        .map(|c| c.name.clone())
        .collect();
    let quoted = quote_qualified(&name.schema, &name.name);
    for column in columns {
        let sql = format!(
            "SELECT setval(q.s, q.m) FROM (SELECT pg_get_serial_sequence($1, $2) AS s, \
             (SELECT max({}) FROM {quoted}) AS m) q \
             WHERE q.s IS NOT NULL AND q.m IS NOT NULL \
               AND q.m > coalesce(pg_sequence_last_value(q.s::regclass), 0)",
            quote_ident(&column)
        );
        sqlx::query(&sql)
            .bind(&quoted)
            .bind(&column)
            .execute(&mut target.conn)
            .await
            .with_context(|| {
                format!("moving the sequence of {name}.{column} past the imported keys")
            })?;
    }
    Ok(())
}

/// The server's message (and detail) of a database error.
fn db_message(e: &sqlx::Error) -> String {
    match e {
        sqlx::Error::Database(d) => {
            let pg = d.try_downcast_ref::<sqlx::postgres::PgDatabaseError>();
            match pg.and_then(|p| p.detail()) {
                Some(detail) => format!("{} ({detail})", d.message()),
                None => d.message().to_owned(),
            }
        }
        other => other.to_string(),
    }
}

fn report(db: &str, m: &Manifest, id: &str, remapped: bool, loaded: &[Loaded]) -> Report {
    let mut table = Table::new(["table", "kind", "rows", "inserted"]);
    for l in loaded {
        table.row([
            l.table.to_string(),
            l.kind.as_str().to_owned(),
            l.rows.to_string(),
            l.inserted.to_string(),
        ]);
    }
    let inserted: u64 = loaded.iter().map(|l| l.inserted).sum();
    let skipped: u64 = loaded
        .iter()
        .filter(|l| l.kind == Kind::Global)
        .map(|l| l.rows - l.inserted.min(l.rows))
        .sum();
    let under = if remapped {
        format!(" as tenant {id}")
    } else {
        String::new()
    };
    let human = format!(
        "tenant import: database {db}, tenant {}{under}: {} inserted ({} global rows already \
         there kept)\n{}",
        m.tenant,
        rows_text(inserted),
        skipped,
        table.render(2)
    );
    Report::ok(
        serde_json::json!({
            "command": "tenant import",
            "database": db,
            "archived_tenant": m.tenant,
            "tenant": id,
            "inserted": inserted,
            "global_rows_kept": skipped,
            "tables": loaded.iter().map(|l| serde_json::json!({
                "schema": l.table.schema, "name": l.table.name, "kind": l.kind,
                "rows": l.rows, "inserted": l.inserted,
            })).collect::<Vec<_>>(),
        }),
        human,
    )
}
