//! `pgtenant tenant export|import|delete`: one tenant's rows out of a
//! database into an archive, back into a database of the same schema, or
//! removed. Tables are classified by the tenancy rules on the live catalog
//! (`tenant/plan.rs`); the archive format lives in `tenant/archive.rs`;
//! each action in its own file. Everything runs as the admin.

mod archive;
mod delete;
mod export;
mod import;
mod plan;

use crate::context::Context;
use crate::db;
use crate::error::usage;
use crate::manifest::Database;
use crate::output::Report;
use anyhow::{Context as _, Result};
use pgtenant::TenantKeyType;
use pgtenant_schema::model::{Catalog, QualName};
use pgtenant_schema::tenancy::TenancyRules;
use sqlx::PgConnection;
use std::path::PathBuf;

#[derive(Debug, Clone, clap::Args)]
pub struct TenantArgs {
    #[command(subcommand)]
    pub action: Action,
}

#[derive(Debug, Clone, clap::Subcommand)]
pub enum Action {
    /// Write every row of one tenant (and the global rows they reference)
    /// into an archive: a tar of COPY files and a manifest.json.
    Export {
        #[arg(long, value_name = "NAME")]
        db: String,
        #[arg(long, value_name = "ID")]
        tenant: String,
        /// The archive to write (refused if it exists, unless --force).
        #[arg(long, value_name = "FILE")]
        out: PathBuf,
        /// Replace an existing FILE.
        #[arg(long)]
        force: bool,
    },
    /// Load an archive into a database of the same schema, in one
    /// transaction (global rows already there are kept).
    Import {
        #[arg(long, value_name = "NAME")]
        db: String,
        #[arg(long = "in", value_name = "FILE")]
        input: PathBuf,
        /// Load the tenant under this id instead of the archived one.
        #[arg(long, value_name = "NEW_ID")]
        remap_to: Option<String>,
    },
    /// Delete every row of one tenant, children first, in one transaction
    /// (without --yes: show what would be deleted and exit 2).
    Delete {
        #[arg(long, value_name = "NAME")]
        db: String,
        #[arg(long, value_name = "ID")]
        tenant: String,
        /// Really delete.
        #[arg(long)]
        yes: bool,
    },
}

pub async fn run(ctx: &Context, args: &TenantArgs) -> Result<Report> {
    match &args.action {
        Action::Export {
            db,
            tenant,
            out,
            force,
        } => {
            let mut target = Target::open(ctx, db).await?;
            export::run(ctx, &mut target, tenant, out, *force).await
        }
        Action::Import {
            db,
            input,
            remap_to,
        } => {
            // Read the archive before connecting: a bad file is named first.
            let manifest = archive::read_manifest(input)?;
            let mut target = Target::open(ctx, db).await?;
            import::run(ctx, &mut target, input, &manifest, remap_to.as_deref()).await
        }
        Action::Delete { db, tenant, yes } => {
            let mut target = Target::open(ctx, db).await?;
            delete::run(ctx, &mut target, tenant, *yes).await
        }
    }
}

/// A database with tenancy, an admin connection to it, and its live
/// catalog.
pub struct Target<'a> {
    pub db: &'a Database,
    pub conn: PgConnection,
    pub catalog: Catalog,
    pub rules: TenancyRules,
    /// The audit module's log, when the database uses the module.
    pub audit_log: Option<QualName>,
}

impl<'a> Target<'a> {
    async fn open(ctx: &'a Context, name: &str) -> Result<Target<'a>> {
        let manifest = ctx.manifest()?;
        let db = manifest.select(Some(name))?[0];
        let tenancy = db.tenancy.as_ref().ok_or_else(|| {
            usage(format!(
                "database {name} has tenancy off; `pgtenant tenant` needs tenancy = true (a \
                 [tenancy] root table and tenant column)"
            ))
        })?;
        let rules = crate::tenancy::rules(&db.name, tenancy)?;
        let admin = ctx.admin_url()?;
        let mut conn = db::connect(&admin.url, Some(&db.name), None).await?;
        let catalog = pgtenant_schema::introspect(&mut conn)
            .await
            .with_context(|| format!("reading the schema of database {name}"))?;
        let audit_log = db
            .uses_module("audit")
            .then(|| QualName::new(db.module_schema.as_str(), "audit_log"))
            .filter(|t| catalog.tables.contains_key(t));
        Ok(Target {
            db,
            conn,
            catalog,
            rules,
            audit_log,
        })
    }

    /// The key type of the root table's primary key.
    fn key_type(&self, plan: &plan::TenantPlan) -> Result<TenantKeyType> {
        TenantKeyType::from_format_type(&plan.root_key_type).ok_or_else(|| {
            anyhow::anyhow!(
                "the tenant key {}.{} is {}; pgtenant tenant handles uuid, text, varchar, bigint, \
                 integer and smallint keys",
                plan.root,
                plan.root_key,
                plan.root_key_type
            )
        })
    }

    /// `raw` (from `flag`) checked against the key type: its canonical text.
    fn tenant_id(&self, flag: &str, raw: &str) -> Result<String> {
        // The key type does not depend on the id: plan with a placeholder.
        let probe = self.plan("")?;
        let key = self.key_type(&probe)?;
        key.canonical(raw)
            .map_err(|why| usage(format!("{flag} {raw:?}: {why} (the tenant key is {key})")))
    }

    fn plan(&self, id: &str) -> Result<plan::TenantPlan> {
        plan::build(&self.catalog, &self.rules, self.audit_log.as_ref(), id)
            .map_err(|e| anyhow::anyhow!("database {}: {e}", self.db.name))
    }

    /// Whether the root table holds tenant `id`.
    async fn exists(&mut self, plan: &plan::TenantPlan, id: &str) -> Result<bool> {
        let sql = format!(
            "SELECT EXISTS (SELECT 1 FROM {} WHERE {} = {})",
            pgtenant_schema::ident::quote_qualified(&plan.root.schema, &plan.root.name),
            pgtenant_schema::ident::quote_ident(&plan.root_key),
            pgtenant_schema::ident::quote_literal(id)
        );
        sqlx::query_scalar(&sql)
            .fetch_one(&mut self.conn)
            .await
            .with_context(|| format!("looking up tenant {id} in {}", plan.root))
    }
}

/// The refusal when a table may hold the tenant's rows without saying so.
fn refuse_unclassified(
    target: &Target<'_>,
    id: &str,
    plan: &plan::TenantPlan,
    what: &str,
) -> Result<()> {
    let Some(u) = plan.unclassified.first() else {
        return Ok(());
    };
    Err(anyhow::anyhow!(
        "database {}: table {} references the tenant table {} (foreign key {}) but has no {} \
         column, so it may hold rows of tenant {id} that cannot be told apart; add the tenant \
         column to it (the tenancy rules then scope it) and run again; nothing was {what}",
        target.db.name,
        u.table,
        u.references,
        u.constraint,
        target.rules.column
    ))
}

fn rows_text(n: u64) -> String {
    format!("{n} row{}", if n == 1 { "" } else { "s" })
}
