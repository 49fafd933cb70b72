//! `pgtenant codegen --db NAME [--lang rust|ts] [--out FILE] [--live]`:
//! types for the tables and enums of a database, in Rust for
//! `sqlx::query_as` ([`rust`], the default) or in TypeScript for
//! node-postgres with zod schemas and a `withTenant` helper ([`ts`]).
//!
//! The catalog comes from the schema folder loaded into a shadow database
//! (the desired state), or with `--live` from the live database. Output is
//! deterministic (catalog order: schema, then name; columns in table
//! order) and starts with a header comment; no timestamp.
//!
//! This file owns what both languages share: the command, the walk over
//! the catalog ([`tables`]: partitions are skipped, their parent has the
//! same columns), the type names ([`type_name`]: `public.order_items` →
//! `OrderItems`, other schemas prefixed: `billing.invoices` →
//! `BillingInvoices`), and the resolution of a column's PostgreSQL type
//! through arrays, type modifiers and domains ([`resolve`]). Each
//! language's file maps a [`Resolved`] type to its own.

mod checks;
mod rust;
mod ts;

pub use rust::NumericAs;

use crate::catalogs;
use crate::context::Context;
use crate::error::usage;
use crate::output::Report;
use anyhow::{Context as _, Result};
use pgtenant_schema::model::{Catalog, QualName, Table};
use std::path::PathBuf;

#[derive(Debug, Clone, clap::Args)]
pub struct CodegenArgs {
    /// The database (a `[[database]]` name of the manifest).
    #[arg(long, value_name = "NAME")]
    pub db: String,

    /// The language of the generated code.
    #[arg(long, value_enum, default_value_t = Lang::Rust)]
    pub lang: Lang,

    /// Write the code to this file (default: stdout).
    #[arg(long, value_name = "FILE")]
    pub out: Option<PathBuf>,

    /// Read the live database instead of the schema folder.
    #[arg(long)]
    pub live: bool,

    /// The Rust type of numeric columns (--lang rust only) [default: string].
    #[arg(long, value_enum)]
    pub numeric: Option<NumericAs>,
}

/// The language `codegen` writes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Lang {
    /// Rust: sqlx `FromRow` structs and `sqlx::Type` enums.
    Rust,
    /// TypeScript: interfaces, zod schemas and `withTenant` for node-postgres.
    Ts,
}

/// Where the catalog came from (named in the header).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Source {
    SchemaFolder,
    Live,
}

impl Source {
    /// The header's "from …" words.
    fn origin(self) -> &'static str {
        match self {
            Source::SchemaFolder => "its schema folder",
            Source::Live => "the live database",
        }
    }

    /// The flag that reproduces this source, with its leading space.
    fn flag(self) -> &'static str {
        match self {
            Source::SchemaFolder => "",
            Source::Live => " --live",
        }
    }
}

pub async fn run(ctx: &Context, args: &CodegenArgs) -> Result<Report> {
    if args.lang == Lang::Ts && args.numeric.is_some() {
        return Err(usage(
            "--numeric applies to --lang rust only; with --lang ts numeric columns are `string` \
             (node-postgres returns them as text): drop --numeric",
        ));
    }
    let manifest = ctx.manifest()?;
    let database = manifest.select(Some(&args.db))?[0];
    let admin = ctx.admin_url()?;
    let (catalog, source) = if args.live {
        (
            catalogs::live_raw(&admin.url, database).await?,
            Source::Live,
        )
    } else {
        (
            catalogs::desired(&admin.url, database).await?.catalog,
            Source::SchemaFolder,
        )
    };
    let (code, tables, enums) = match args.lang {
        Lang::Rust => {
            let code = rust::generate(
                &catalog,
                &database.name,
                source,
                args.numeric.unwrap_or(NumericAs::String),
            );
            let structs = code.matches("\npub struct ").count();
            let enums = code.matches("\npub enum ").count();
            (code, structs, enums)
        }
        Lang::Ts => {
            let tenancy = ts::tenancy_of(database, &catalog)?;
            let code = ts::generate(&catalog, &database.name, source, tenancy.as_ref());
            let tables = tables(&catalog).count();
            (code, tables, catalog.enums.len())
        }
    };
    let unit = match args.lang {
        Lang::Rust => "struct",
        Lang::Ts => "table",
    };
    match &args.out {
        Some(path) => {
            if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
                std::fs::create_dir_all(parent)
                    .with_context(|| format!("creating folder {}", parent.display()))?;
            }
            std::fs::write(path, &code)
                .with_context(|| format!("--out {}: cannot write the file", path.display()))?;
            let mut json = serde_json::json!({
                "command": "codegen", "database": database.name,
                "out": path.display().to_string(), "enums": enums,
            });
            json[format!("{unit}s")] = tables.into();
            Ok(Report::ok(
                json,
                format!(
                    "codegen: wrote {} ({tables} {unit}{}, {enums} enum{})",
                    path.display(),
                    plural(tables),
                    plural(enums)
                ),
            ))
        }
        None => {
            let mut json = serde_json::json!({
                "command": "codegen", "database": database.name, "enums": enums, "code": code,
            });
            json[format!("{unit}s")] = tables.into();
            Ok(Report::ok(json, code))
        }
    }
}

fn plural(n: usize) -> &'static str {
    if n == 1 {
        ""
    } else {
        "s"
    }
}

/// The tables to generate types for, in catalog order: every table but
/// partitions (their parent has the same columns).
pub fn tables(catalog: &Catalog) -> impl Iterator<Item = (&QualName, &Table)> {
    catalog
        .tables
        .iter()
        .filter(|(_, t)| t.partition_of.is_none())
}

/// `order_items`, or `billing.invoices` outside `public`.
pub fn display_name(name: &QualName) -> String {
    if name.schema == "public" {
        name.name.clone()
    } else {
        format!("{}.{}", name.schema, name.name)
    }
}

/// `order_items` → `OrderItems`; other schemas are prefixed.
pub fn type_name(name: &QualName) -> String {
    let base = if name.schema == "public" {
        pascal_case(&name.name)
    } else {
        format!("{}{}", pascal_case(&name.schema), pascal_case(&name.name))
    };
    if base.is_empty() || base.starts_with(|c: char| c.is_ascii_digit()) {
        format!("T{base}")
    } else {
        base
    }
}

/// Words (split at anything not alphanumeric and at lower→upper case
/// changes), each capitalised, joined.
pub fn pascal_case(s: &str) -> String {
    words(s)
        .iter()
        .map(|w| {
            let mut cs = w.chars();
            match cs.next() {
                Some(f) => f.to_ascii_uppercase().to_string() + &cs.as_str().to_ascii_lowercase(),
                None => String::new(),
            }
        })
        .collect()
}

pub fn words(s: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut cur = String::new();
    let mut prev_lower = false;
    for c in s.chars() {
        if !c.is_ascii_alphanumeric() {
            if !cur.is_empty() {
                out.push(std::mem::take(&mut cur));
            }
            prev_lower = false;
            continue;
        }
        if c.is_ascii_uppercase() && prev_lower && !cur.is_empty() {
            out.push(std::mem::take(&mut cur));
        }
        prev_lower = c.is_ascii_lowercase() || c.is_ascii_digit();
        cur.push(c);
    }
    if !cur.is_empty() {
        out.push(cur);
    }
    out
}

/// A column's PostgreSQL type, resolved through arrays, type modifiers and
/// domains: what each language maps.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Resolved {
    pub scalar: Scalar,
    /// How many `[]` wrap the scalar (PostgreSQL prints one per array
    /// level it knows of; a domain over an array adds its own).
    pub dims: usize,
    /// The outermost domain crossed before the scalar, if any.
    pub domain: Option<QualName>,
    /// An array whose element type a client library cannot know (an enum,
    /// a domain or an unmapped type): drivers return its text form.
    pub opaque_array: bool,
    /// `varchar(n)` / `char(n)`: at most `n` characters.
    pub max_chars: Option<u32>,
    /// `char(n)`: blank-padded (its `length()` ignores trailing spaces).
    pub padded: bool,
}

/// The scalar types both languages know.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Scalar {
    Uuid,
    /// text, varchar, char, name, citext.
    Text,
    Int2,
    Int4,
    Int8,
    Float4,
    Float8,
    Bool,
    Numeric,
    Timestamptz,
    Timestamp,
    Date,
    Time,
    Interval,
    Json,
    Bytea,
    Enum(QualName),
    /// No mapping: the `format_type` text where the resolution stopped.
    Unmapped(String),
}

/// Resolve `pg`, a `format_type` text.
pub fn resolve(catalog: &Catalog, pg: &str) -> Resolved {
    resolve_depth(catalog, pg, 0)
}

fn resolve_depth(catalog: &Catalog, pg: &str, depth: usize) -> Resolved {
    let pg = pg.trim();
    if let Some(elem) = pg.strip_suffix("[]") {
        let mut r = resolve_depth(catalog, elem, depth);
        if r.dims == 0 {
            r.opaque_array =
                r.domain.is_some() || matches!(r.scalar, Scalar::Enum(_) | Scalar::Unmapped(_));
        }
        r.dims += 1;
        return r;
    }
    // Drop a type modifier: `character varying(20)`, `numeric(10,2)`,
    // `timestamp(3) with time zone`.
    let (base, modifier): (String, Option<&str>) = match (pg.find('('), pg.find(')')) {
        (Some(open), Some(close)) if close > open && !pg.starts_with('"') => (
            format!("{}{}", &pg[..open], &pg[close + 1..]),
            Some(&pg[open + 1..close]),
        ),
        _ => (pg.to_owned(), None),
    };
    let plain = |scalar| Resolved {
        scalar,
        dims: 0,
        domain: None,
        opaque_array: false,
        max_chars: None,
        padded: false,
    };
    let scalar = match base.as_str() {
        "uuid" => Some(Scalar::Uuid),
        "text" | "character varying" | "character" | "\"char\"" | "name" | "bpchar" => {
            let mut r = plain(Scalar::Text);
            if base == "character varying" || base == "character" {
                r.max_chars = modifier.and_then(|m| m.trim().parse().ok());
                r.padded = base == "character";
            }
            return r;
        }
        "smallint" => Some(Scalar::Int2),
        "integer" => Some(Scalar::Int4),
        "bigint" => Some(Scalar::Int8),
        "real" => Some(Scalar::Float4),
        "double precision" => Some(Scalar::Float8),
        "boolean" => Some(Scalar::Bool),
        "numeric" => Some(Scalar::Numeric),
        "timestamp with time zone" => Some(Scalar::Timestamptz),
        "timestamp without time zone" => Some(Scalar::Timestamp),
        "date" => Some(Scalar::Date),
        "time without time zone" => Some(Scalar::Time),
        "interval" => Some(Scalar::Interval),
        "json" | "jsonb" => Some(Scalar::Json),
        "bytea" => Some(Scalar::Bytea),
        _ => None,
    };
    if let Some(s) = scalar {
        return plain(s);
    }
    let parts = type_parts(&base);
    if let [schema, name] = parts.as_slice() {
        let q = QualName::new(schema.clone(), name.clone());
        if catalog.enums.contains_key(&q) {
            return plain(Scalar::Enum(q));
        }
        if let Some(d) = catalog.domains.get(&q) {
            if depth < 8 {
                let mut r = resolve_depth(catalog, &d.base_type, depth + 1);
                r.domain = Some(q);
                return r;
            }
        }
        if name == "citext" {
            return plain(Scalar::Text);
        }
    }
    plain(Scalar::Unmapped(pg.to_owned()))
}

/// Split `public."My Type"` into its unquoted parts.
fn type_parts(s: &str) -> Vec<String> {
    let mut parts = Vec::new();
    let mut cur = String::new();
    let mut chars = s.chars().peekable();
    let mut quoted = false;
    while let Some(c) = chars.next() {
        match c {
            '"' if quoted && chars.peek() == Some(&'"') => {
                cur.push('"');
                chars.next();
            }
            '"' => quoted = !quoted,
            '.' if !quoted => parts.push(std::mem::take(&mut cur)),
            _ => cur.push(c),
        }
    }
    parts.push(cur);
    parts
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    #[test]
    fn names() {
        assert_eq!(
            type_name(&QualName::new("public", "order_items")),
            "OrderItems"
        );
        assert_eq!(
            type_name(&QualName::new("billing", "invoices")),
            "BillingInvoices"
        );
        assert_eq!(
            type_name(&QualName::new("public", "2fa codes")),
            "T2faCodes"
        );
    }

    /// A catalog with enum `public.mood` and domain `app."Email"` over
    /// `varchar(320)`, for the generators' type tests.
    pub(crate) fn mood_and_email() -> Catalog {
        let mut c = Catalog::default();
        c.enums.insert(
            QualName::new("public", "mood"),
            pgtenant_schema::model::EnumType {
                name: QualName::new("public", "mood"),
                values: vec!["happy".into()],
                comment: None,
            },
        );
        c.domains.insert(
            QualName::new("app", "Email"),
            pgtenant_schema::model::Domain {
                name: QualName::new("app", "Email"),
                base_type: "character varying(320)".into(),
                collation: None,
                default: None,
                not_null: false,
                checks: Default::default(),
                comment: None,
            },
        );
        c
    }

    #[test]
    fn resolution() {
        let c = mood_and_email();
        let r = resolve(&c, "character varying(20)");
        assert_eq!(
            (r.scalar, r.max_chars, r.padded),
            (Scalar::Text, Some(20), false)
        );
        let r = resolve(&c, "character(3)[]");
        assert_eq!((r.dims, r.max_chars, r.padded), (1, Some(3), true));
        let r = resolve(&c, "app.\"Email\"");
        assert_eq!(r.domain, Some(QualName::new("app", "Email")));
        assert_eq!(r.max_chars, Some(320));
        assert!(!r.opaque_array);
        assert!(resolve(&c, "app.\"Email\"[]").opaque_array);
        assert!(resolve(&c, "public.mood[]").opaque_array);
        assert!(!resolve(&c, "integer[]").opaque_array);
        assert_eq!(
            resolve(&c, "inet").scalar,
            Scalar::Unmapped("inet".to_owned())
        );
    }
}
