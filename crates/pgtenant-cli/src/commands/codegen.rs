//! `pgtenant codegen --db NAME [--out FILE] [--live]`: Rust types for the
//! tables and enums of a database, for `sqlx::query_as`.
//!
//! The catalog comes from the schema folder loaded into a shadow database
//! (the desired state), or with `--live` from the live database. Output is
//! deterministic (catalog order: schema, then name; columns in table
//! order) and starts with a header comment; no timestamp.
//!
//! - one `#[derive(Debug, Clone, sqlx::FromRow)] pub struct` per table
//!   (partitions are skipped: their parent has the same columns), named in
//!   PascalCase (`public.order_items` → `OrderItems`; other schemas are
//!   prefixed: `billing.invoices` → `BillingInvoices`);
//! - fields in snake_case; a column name that is not already a valid
//!   snake_case identifier gets a converted name and
//!   `#[sqlx(rename = "...")]`; keywords are raw (`r#type`);
//! - one `sqlx::Type` Rust enum per PostgreSQL enum, with
//!   `rename_all = "snake_case"` when every label is snake_case, else a
//!   `rename` per variant.
//!
//! Type mapping ([`rust_type`]): uuid → `uuid::Uuid`; text, varchar, char,
//! name, citext → `String`; int2/int4/int8 → `i16`/`i32`/`i64`; float4/8 →
//! `f32`/`f64`; bool → `bool`; numeric → `String` by default (decode it with
//! a `::text` cast) or, with `--numeric decimal|bigdecimal`,
//! `rust_decimal::Decimal` / `bigdecimal::BigDecimal` (the matching sqlx
//! feature is needed); timestamptz → `chrono::DateTime<chrono::Utc>`;
//! timestamp → `chrono::NaiveDateTime`; date → `chrono::NaiveDate`; time →
//! `chrono::NaiveTime`; interval → `sqlx::postgres::types::PgInterval`;
//! json/jsonb → `serde_json::Value`; bytea → `Vec<u8>`; arrays →
//! `Vec<T>`; enums → the generated enum; domains → their base type; a
//! nullable column → `Option<T>`; anything else → `String` with a comment
//! naming the PostgreSQL type.

use crate::catalogs;
use crate::context::Context;
use crate::output::Report;
use anyhow::{Context as _, Result};
use pgtenant_schema::ident::quote_ident;
use pgtenant_schema::model::{Catalog, QualName};
use std::collections::BTreeSet;
use std::fmt::Write as _;
use std::path::PathBuf;

#[derive(Debug, Clone, clap::Args)]
pub struct CodegenArgs {
    /// The database (a `[[database]]` name of the manifest).
    #[arg(long, value_name = "NAME")]
    pub db: String,

    /// Write the code to this file (default: stdout).
    #[arg(long, value_name = "FILE")]
    pub out: Option<PathBuf>,

    /// Read the live database instead of the schema folder.
    #[arg(long)]
    pub live: bool,

    /// The Rust type of numeric columns.
    #[arg(long, value_enum, default_value_t = NumericAs::String)]
    pub numeric: NumericAs,
}

/// The Rust type of `numeric` columns.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum NumericAs {
    /// `String` (select the column with a `::text` cast).
    String,
    /// `rust_decimal::Decimal` (sqlx feature `rust_decimal`).
    Decimal,
    /// `bigdecimal::BigDecimal` (sqlx feature `bigdecimal`).
    Bigdecimal,
}

/// Where the catalog came from (named in the header).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Source {
    SchemaFolder,
    Live,
}

pub async fn run(ctx: &Context, args: &CodegenArgs) -> Result<Report> {
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
    let code = generate(&catalog, &database.name, source, args.numeric);
    let structs = code.matches("\npub struct ").count();
    let enums = code.matches("\npub enum ").count();
    match &args.out {
        Some(path) => {
            if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
                std::fs::create_dir_all(parent)
                    .with_context(|| format!("creating folder {}", parent.display()))?;
            }
            std::fs::write(path, &code)
                .with_context(|| format!("--out {}: cannot write the file", path.display()))?;
            Ok(Report::ok(
                serde_json::json!({
                    "command": "codegen", "database": database.name,
                    "out": path.display().to_string(), "structs": structs, "enums": enums,
                }),
                format!(
                    "codegen: wrote {} ({structs} struct{}, {enums} enum{})",
                    path.display(),
                    plural(structs),
                    plural(enums)
                ),
            ))
        }
        None => Ok(Report::ok(
            serde_json::json!({
                "command": "codegen", "database": database.name,
                "structs": structs, "enums": enums, "code": code,
            }),
            code,
        )),
    }
}

fn plural(n: usize) -> &'static str {
    if n == 1 {
        ""
    } else {
        "s"
    }
}

/// The Rust source for `catalog`.
pub fn generate(catalog: &Catalog, database: &str, source: Source, numeric: NumericAs) -> String {
    let mut out = String::new();
    let from = match source {
        Source::SchemaFolder => "its schema folder",
        Source::Live => "the live database",
    };
    let flag = match source {
        Source::SchemaFolder => "",
        Source::Live => " --live",
    };
    let _ = writeln!(
        out,
        "// Rust types for the tables and enums of database `{database}`, from {from}.\n\
         // Generated by `pgtenant codegen --db {database}{flag}`; do not edit: run it again\n\
         // after changing the schema.\n"
    );
    for (name, e) in &catalog.enums {
        write_enum(&mut out, name, &e.values, e.comment.as_deref());
    }
    for (name, table) in &catalog.tables {
        if table.partition_of.is_some() {
            continue;
        }
        if let Some(c) = &table.comment {
            write_doc(&mut out, "", c);
        } else {
            let _ = writeln!(out, "/// A row of `{}`.", display_name(name));
        }
        let _ = writeln!(out, "#[derive(Debug, Clone, sqlx::FromRow)]");
        let _ = writeln!(out, "pub struct {} {{", type_name(name));
        let mut used = BTreeSet::new();
        for column in &table.columns {
            let (field, renamed) = field_name(&column.name, &mut used);
            if let Some(c) = &column.comment {
                write_doc(&mut out, "    ", c);
            }
            let (ty, note) = rust_type(catalog, &column.data_type, numeric);
            if let Some(note) = note {
                let _ = writeln!(out, "    // {note}");
            }
            if renamed {
                let _ = writeln!(out, "    #[sqlx(rename = {:?})]", column.name);
            }
            let ty = if column.not_null {
                ty
            } else {
                format!("Option<{ty}>")
            };
            let _ = writeln!(out, "    pub {field}: {ty},");
        }
        let _ = writeln!(out, "}}\n");
    }
    while out.ends_with("\n\n") {
        out.pop();
    }
    out
}

fn display_name(name: &QualName) -> String {
    if name.schema == "public" {
        name.name.clone()
    } else {
        format!("{}.{}", name.schema, name.name)
    }
}

fn write_doc(out: &mut String, indent: &str, text: &str) {
    for line in text.lines() {
        let line = line.trim_end();
        if line.is_empty() {
            let _ = writeln!(out, "{indent}///");
        } else {
            let _ = writeln!(out, "{indent}/// {line}");
        }
    }
}

fn write_enum(out: &mut String, name: &QualName, values: &[String], comment: Option<&str>) {
    match comment {
        Some(c) => write_doc(out, "", c),
        None => {
            let _ = writeln!(out, "/// The PostgreSQL enum `{}`.", display_name(name));
        }
    }
    let all_snake = values.iter().all(|v| is_snake_label(v));
    // sqlx resolves the name with `::regtype`: it must be SQL text.
    let sql_name = if name.schema == "public" {
        quote_ident(&name.name)
    } else {
        name.sql()
    };
    let _ = writeln!(
        out,
        "#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, sqlx::Type)]"
    );
    if all_snake {
        let _ = writeln!(
            out,
            "#[sqlx(type_name = {sql_name:?}, rename_all = \"snake_case\")]"
        );
    } else {
        let _ = writeln!(out, "#[sqlx(type_name = {sql_name:?})]");
    }
    let _ = writeln!(out, "pub enum {} {{", type_name(name));
    let mut used = BTreeSet::new();
    for value in values {
        let mut variant = pascal_case(value);
        if variant.is_empty() || variant.starts_with(|c: char| c.is_ascii_digit()) {
            variant.insert(0, 'V');
        }
        let base = variant.clone();
        let mut n = 2;
        while !used.insert(variant.clone()) {
            variant = format!("{base}{n}");
            n += 1;
        }
        if !all_snake {
            let _ = writeln!(out, "    #[sqlx(rename = {value:?})]");
        }
        let _ = writeln!(out, "    {variant},");
    }
    let _ = writeln!(out, "}}\n");
}

/// A label sqlx's `rename_all = "snake_case"` gives back from its
/// PascalCase variant: lower-case words of letters and digits, each
/// starting with a letter, joined by single `_`.
fn is_snake_label(v: &str) -> bool {
    !v.is_empty()
        && v.split('_').all(|w| {
            w.starts_with(|c: char| c.is_ascii_lowercase())
                && w.chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit())
        })
}

/// `order_items` → `OrderItems`; other schemas are prefixed.
fn type_name(name: &QualName) -> String {
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
fn pascal_case(s: &str) -> String {
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

fn words(s: &str) -> Vec<String> {
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

const KEYWORDS: &[&str] = &[
    "as", "async", "await", "break", "const", "continue", "dyn", "else", "enum", "extern", "false",
    "fn", "for", "if", "impl", "in", "let", "loop", "match", "mod", "move", "mut", "pub", "ref",
    "return", "static", "struct", "trait", "true", "type", "unsafe", "use", "where", "while",
    "abstract", "become", "box", "do", "final", "gen", "macro", "override", "priv", "try",
    "typeof", "unsized", "virtual", "yield",
];

/// Keywords that cannot be raw identifiers.
const NOT_RAW: &[&str] = &["self", "super", "crate", "Self", "_"];

/// The field for column `column`: (Rust name, whether `#[sqlx(rename)]`
/// is needed). Unique within `used`.
fn field_name(column: &str, used: &mut BTreeSet<String>) -> (String, bool) {
    let valid = column.starts_with(|c: char| c.is_ascii_lowercase() || c == '_')
        && column
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
        && !NOT_RAW.contains(&column);
    let (mut name, mut renamed) = if valid {
        (column.to_owned(), false)
    } else {
        let mut snake = words(column)
            .iter()
            .map(|w| w.to_ascii_lowercase())
            .collect::<Vec<_>>()
            .join("_");
        if snake.is_empty() || snake.starts_with(|c: char| c.is_ascii_digit()) {
            snake.insert(0, '_');
        }
        if NOT_RAW.contains(&snake.as_str()) {
            snake.push('_');
        }
        (snake, true)
    };
    let base = name.clone();
    let mut n = 2;
    while !used.insert(name.clone()) {
        name = format!("{base}_{n}");
        renamed = true;
        n += 1;
    }
    if KEYWORDS.contains(&name.as_str()) {
        name = format!("r#{name}");
    }
    (name, renamed)
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

/// The Rust type of a column of PostgreSQL type `pg` (`format_type` text),
/// and a note when it is a fallback.
pub fn rust_type(catalog: &Catalog, pg: &str, numeric: NumericAs) -> (String, Option<String>) {
    rust_type_depth(catalog, pg, numeric, 0)
}

fn rust_type_depth(
    catalog: &Catalog,
    pg: &str,
    numeric: NumericAs,
    depth: usize,
) -> (String, Option<String>) {
    let pg = pg.trim();
    if let Some(elem) = pg.strip_suffix("[]") {
        let (inner, note) = rust_type_depth(catalog, elem, numeric, depth);
        return (format!("Vec<{inner}>"), note);
    }
    // Drop a type modifier: `character varying(20)`, `numeric(10,2)`,
    // `timestamp(3) with time zone`.
    let base: String = match (pg.find('('), pg.find(')')) {
        (Some(open), Some(close)) if close > open && !pg.starts_with('"') => {
            format!("{}{}", &pg[..open], &pg[close + 1..])
        }
        _ => pg.to_owned(),
    };
    let mapped = match base.as_str() {
        "uuid" => Some("uuid::Uuid".to_owned()),
        "text" | "character varying" | "character" | "\"char\"" | "name" | "bpchar" => {
            Some("String".to_owned())
        }
        "smallint" => Some("i16".to_owned()),
        "integer" => Some("i32".to_owned()),
        "bigint" => Some("i64".to_owned()),
        "real" => Some("f32".to_owned()),
        "double precision" => Some("f64".to_owned()),
        "boolean" => Some("bool".to_owned()),
        "numeric" => Some(
            match numeric {
                NumericAs::String => "String",
                NumericAs::Decimal => "rust_decimal::Decimal",
                NumericAs::Bigdecimal => "bigdecimal::BigDecimal",
            }
            .to_owned(),
        ),
        "timestamp with time zone" => Some("chrono::DateTime<chrono::Utc>".to_owned()),
        "timestamp without time zone" => Some("chrono::NaiveDateTime".to_owned()),
        "date" => Some("chrono::NaiveDate".to_owned()),
        "time without time zone" => Some("chrono::NaiveTime".to_owned()),
        "interval" => Some("sqlx::postgres::types::PgInterval".to_owned()),
        "json" | "jsonb" => Some("serde_json::Value".to_owned()),
        "bytea" => Some("Vec<u8>".to_owned()),
        _ => None,
    };
    if let Some(t) = mapped {
        let note = (base == "numeric" && numeric == NumericAs::String)
            .then(|| "numeric: select it as `::text` (or pass --numeric decimal)".to_owned());
        return (t, note);
    }
    let parts = type_parts(&base);
    if let [schema, name] = parts.as_slice() {
        let q = QualName::new(schema.clone(), name.clone());
        if catalog.enums.contains_key(&q) {
            return (type_name(&q), None);
        }
        if let Some(d) = catalog.domains.get(&q) {
            if depth < 8 {
                return rust_type_depth(catalog, &d.base_type, numeric, depth + 1);
            }
        }
        if name == "citext" {
            return ("String".to_owned(), None);
        }
    }
    (
        "String".to_owned(),
        Some(format!(
            "PostgreSQL type `{pg}` has no mapping: decode it as text (`::text`) or change this type"
        )),
    )
}

#[cfg(test)]
mod tests {
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
        let mut used = BTreeSet::new();
        assert_eq!(
            field_name("tenant_id", &mut used),
            ("tenant_id".into(), false)
        );
        assert_eq!(field_name("type", &mut used), ("r#type".into(), false));
        assert_eq!(
            field_name("createdAt", &mut used),
            ("created_at".into(), true)
        );
        assert_eq!(
            field_name("Created At", &mut used),
            ("created_at_2".into(), true)
        );
        assert_eq!(field_name("2fa", &mut used), ("_2fa".into(), true));
        assert_eq!(field_name("self", &mut used), ("self_".into(), true));
        assert!(is_snake_label("in_progress"));
        assert!(is_snake_label("v2"));
        assert!(!is_snake_label("In Progress"));
        assert!(!is_snake_label("a__b"));
        assert!(!is_snake_label("2x"));
    }

    #[test]
    fn types() {
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
        let t = |pg: &str| rust_type(&c, pg, NumericAs::String).0;
        assert_eq!(t("uuid"), "uuid::Uuid");
        assert_eq!(t("character varying(20)"), "String");
        assert_eq!(t("integer[]"), "Vec<i32>");
        assert_eq!(
            t("timestamp(3) with time zone"),
            "chrono::DateTime<chrono::Utc>"
        );
        assert_eq!(t("timestamp without time zone"), "chrono::NaiveDateTime");
        assert_eq!(t("jsonb"), "serde_json::Value");
        assert_eq!(t("bytea"), "Vec<u8>");
        assert_eq!(t("public.mood"), "Mood");
        assert_eq!(t("public.mood[]"), "Vec<Mood>");
        assert_eq!(t("app.\"Email\""), "String");
        assert_eq!(t("numeric(10,2)"), "String");
        assert_eq!(
            rust_type(&c, "numeric", NumericAs::Decimal).0,
            "rust_decimal::Decimal"
        );
        let (ty, note) = rust_type(&c, "inet", NumericAs::String);
        assert_eq!(ty, "String");
        assert_eq!(
            note.unwrap(),
            "PostgreSQL type `inet` has no mapping: decode it as text (`::text`) or change this type"
        );
    }
}
