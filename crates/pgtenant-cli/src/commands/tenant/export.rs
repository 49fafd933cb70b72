//! `tenant export`: one REPEATABLE READ, READ ONLY transaction (one
//! snapshot for every table); each table's rows go from
//! `COPY (SELECT …) TO STDOUT` straight into the archive, chunk by chunk.

use super::archive::{self, ArchivedTable, Manifest, TableName};
use super::{refuse_unclassified, rows_text, Target};
use crate::context::Context;
use crate::output::{Report, Table};
use anyhow::{Context as _, Result};
use futures::StreamExt;
use std::path::Path;

pub async fn run(
    ctx: &Context,
    target: &mut Target<'_>,
    tenant: &str,
    out: &Path,
    force: bool,
) -> Result<Report> {
    let id = target.tenant_id("--tenant", tenant)?;
    let plan = target.plan(&id)?;
    refuse_unclassified(target, &id, &plan, "written")?;
    let mut writer = archive::Writer::create(out, force)?;
    let dbname = target.db.name.clone();
    sqlx::raw_sql(&format!(
        "BEGIN ISOLATION LEVEL REPEATABLE READ, READ ONLY; {}",
        archive::SESSION_SETTINGS
    ))
    .execute(&mut target.conn)
    .await
    .context("starting the export transaction")?;
    if !target.exists(&plan, &id).await? {
        return Err(anyhow::anyhow!(
            "tenant {id} does not exist in {} of database {dbname}; check the id; nothing was written",
            plan.root
        ));
    }
    let server_version: String = sqlx::query_scalar("SELECT current_setting('server_version')")
        .fetch_one(&mut target.conn)
        .await?;
    let mut tables = Vec::new();
    for (i, t) in plan.tables.iter().enumerate() {
        let file = archive::file_name(i, &t.name.schema, &t.name.name);
        ctx.detail(format_args!("{}: {}", t.name, file));
        let mut entry = writer.begin(&file)?;
        let mut rows: u64 = 0;
        {
            let sql = format!("COPY ({}) TO STDOUT", t.select_sql());
            let mut stream = target
                .conn
                .copy_out_raw(&sql)
                .await
                .with_context(|| format!("reading {} of tenant {id}", t.name))?;
            while let Some(chunk) = stream.next().await {
                let chunk = chunk.with_context(|| format!("reading {} of tenant {id}", t.name))?;
                // COPY text ends every row with a newline and escapes the
                // newlines inside values.
                rows += chunk.iter().filter(|b| **b == b'\n').count() as u64;
                writer.write(&mut entry, &chunk)?;
            }
        }
        let sha256 = writer.end(entry)?;
        tables.push(ArchivedTable {
            schema: t.name.schema.clone(),
            name: t.name.name.clone(),
            kind: t.kind,
            key_column: t.key_column.clone(),
            columns: t.columns.clone(),
            rows,
            file,
            sha256,
        });
    }
    sqlx::raw_sql("COMMIT")
        .execute(&mut target.conn)
        .await
        .context("ending the export transaction")?;
    let manifest = Manifest {
        format: archive::FORMAT.to_owned(),
        format_version: archive::FORMAT_VERSION,
        pgtenant_version: env!("CARGO_PKG_VERSION").to_owned(),
        database: dbname.clone(),
        tenant: id.clone(),
        tenant_column: target.rules.column.clone(),
        root_table: TableName {
            schema: plan.root.schema.clone(),
            name: plan.root.name.clone(),
        },
        root_key: plan.root_key.clone(),
        server_version,
        tables,
    };
    writer.finish(&manifest, force)?;
    Ok(report(&manifest, out, &plan.kept))
}

fn report(m: &Manifest, out: &Path, kept: &[(pgtenant_schema::QualName, &'static str)]) -> Report {
    let total: u64 = m.tables.iter().map(|t| t.rows).sum();
    let mut table = Table::new(["table", "kind", "rows"]);
    for t in &m.tables {
        table.row([
            format!("{}.{}", t.schema, t.name),
            t.kind.as_str().to_owned(),
            t.rows.to_string(),
        ]);
    }
    let mut human = format!(
        "tenant export: database {}, tenant {}: {} in {} tables written to {}\n{}",
        m.database,
        m.tenant,
        rows_text(total),
        m.tables.len(),
        out.display(),
        table.render(2)
    );
    for (name, why) in kept {
        human.push_str(&format!("  not exported: {name} ({why})\n"));
    }
    Report::ok(
        serde_json::json!({
            "command": "tenant export",
            "database": m.database,
            "tenant": m.tenant,
            "file": out.display().to_string(),
            "rows": total,
            "tables": m.tables.iter().map(|t| serde_json::json!({
                "schema": t.schema, "name": t.name, "kind": t.kind, "rows": t.rows, "file": t.file,
            })).collect::<Vec<_>>(),
            "not_exported": kept.iter().map(|(n, why)| serde_json::json!({
                "schema": n.schema, "name": n.name, "why": why,
            })).collect::<Vec<_>>(),
        }),
        human,
    )
}
