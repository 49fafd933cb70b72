//! `--lang ts`: one TypeScript module for node-postgres (`pg` 8) and zod 3
//! (TypeScript target ES2020 or later).
//!
//! - per enum: a string-literal union (`export type Mood = "happy" | …`)
//!   and its schema (`export const moodSchema = z.enum([...])`);
//! - per table (see [`super::tables`], named by [`super::type_name`]): the
//!   select shape (`export interface OrderItems`, a nullable column as
//!   `T | null`), the insert shape (`OrderItemsInsert`: a column with a
//!   default, an identity `BY DEFAULT` or serial column, and a nullable
//!   column are optional; a generated column and an identity `ALWAYS`
//!   column, which an insert cannot set, are absent), and a zod schema for
//!   each (`orderItemsSchema`, `orderItemsInsertSchema`). Properties are
//!   the column names as node-postgres keys them (quoted when not an
//!   identifier).
//! - the zod schemas carry what the database enforces where zod can say
//!   the same: NOT NULL, enums, the range of int2/int4, `varchar(n)` /
//!   `char(n)` lengths, and the CHECK constraints [`super::checks`]
//!   recognises (lengths, regexes, comparisons, `IN` lists) on the table
//!   and on the domain that is a column's type. A NOT VALID
//!   check is only in the insert schema (old rows may break it). A check
//!   that cannot be expressed is left out with a comment naming it: the
//!   schema may accept what the database refuses, never the reverse.
//!   Lengths count characters (code points) as PostgreSQL does, not UTF-16
//!   units.
//! - for a database with tenancy on, `withTenant(pool, {tenantId, userId},
//!   fn)`: the same transaction as the Rust library's `TenantDb::begin`
//!   (`crates/pgtenant/src/tenant.rs`), opened with one simple-query
//!   message `SET LOCAL <setting> = '<id>'; [SET LOCAL <user setting> =
//!   '<user>';] BEGIN`. The setting names are the manifest's `[tenancy]`
//!   `setting` and `user_setting`, quoted here with
//!   [`quote_setting`](pgtenant_schema::ident::quote_setting) and baked
//!   in; the ids are checked against the key types (the root table's
//!   primary key; the membership table's user column) with the library's
//!   rules and quoted as literals like
//!   [`quote_literal`](pgtenant_schema::ident::quote_literal) does, before
//!   any SQL is sent. `fn` returning commits, throwing rolls back; the
//!   connection always goes back to the pool, and one whose rollback failed
//!   is destroyed instead. `withTenantPostgres(sql, ctx, fn)` does the same
//!   for postgres.js on a reserved connection (typed structurally: the
//!   module imports nothing from `postgres`).
//!
//! Type mapping (what node-postgres returns with its default parsers):
//! uuid, text, varchar, char, name, citext → `string`; int2/int4 →
//! `number`; int8 → `string`; float4/float8 → `number`; numeric →
//! `string` (a `numeric[]` → `number[]`: node-postgres parses it with
//! `parseFloat`, noted); bool → `boolean`; timestamptz, timestamp, date →
//! `Date`; time → `string`; interval → `unknown` (a postgres-interval
//! object, noted); json/jsonb → `JsonValue`; bytea → `Buffer`; arrays →
//! `T[]`, except arrays of enums and domains, which node-postgres returns
//! as their text (`"{a,b}"`): `string`, noted; enums → the generated union;
//! domains → their base type; anything else → `unknown`, noted.

use super::checks::{self, Literal, Op, Rule};
use super::{display_name, resolve, tables, type_name, Resolved, Scalar, Source};
use crate::manifest::Database;
use anyhow::Result;
use pgtenant::TenantKeyType;
use pgtenant_schema::ident::quote_setting;
use pgtenant_schema::model::{Catalog, Column, ConstraintKind, IdentityKind, Table};
use std::fmt::Write as _;

/// What `withTenant` bakes in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TsTenancy {
    pub setting: String,
    pub user_setting: Option<String>,
    /// The root table (as the manifest names it) and its key column.
    pub root_table: String,
    pub root_key: String,
    pub tenant_key: TenantKeyType,
    pub user_key: TenantKeyType,
}

/// The tenancy of `db` as `withTenant` needs it, the key types read from
/// `catalog`; `None` with tenancy off.
pub fn tenancy_of(db: &Database, catalog: &Catalog) -> Result<Option<TsTenancy>> {
    let Some(t) = &db.tenancy else {
        return Ok(None);
    };
    let (root_key, tenant_key, user_key) = crate::modules::key_types(db, t, catalog)?;
    Ok(Some(TsTenancy {
        setting: t.setting.clone(),
        user_setting: t.user_setting.clone(),
        root_table: t.root_table.clone(),
        root_key,
        tenant_key,
        user_key,
    }))
}

/// The TypeScript module for `catalog`.
pub fn generate(
    catalog: &Catalog,
    database: &str,
    source: Source,
    tenancy: Option<&TsTenancy>,
) -> String {
    let mut body = String::new();
    let mut uses = Uses::default();
    for (name, e) in &catalog.enums {
        match &e.comment {
            Some(c) => jsdoc(&mut body, "", c),
            None => {
                let _ = writeln!(body, "/** The PostgreSQL enum `{}`. */", display_name(name));
            }
        }
        let ty = type_name(name);
        let labels: Vec<String> = e.values.iter().map(|v| js_string(v)).collect();
        if labels.is_empty() {
            let _ = writeln!(body, "export type {ty} = never;");
            let _ = writeln!(body, "export const {}Schema = z.never();\n", camel(&ty));
        } else {
            let _ = writeln!(body, "export type {ty} = {};", labels.join(" | "));
            let _ = writeln!(
                body,
                "export const {}Schema = z.enum([{}]);\n",
                camel(&ty),
                labels.join(", ")
            );
        }
    }
    for (name, table) in tables(catalog) {
        write_table(&mut body, &mut uses, catalog, name, table);
    }

    let mut out = String::new();
    let what = if tenancy.is_some() {
        "TypeScript types, zod schemas and a tenant helper"
    } else {
        "TypeScript types and zod schemas"
    };
    let _ = writeln!(
        out,
        "// {what} for database `{database}`, from {}.\n\
         // Generated by `pgtenant codegen --db {database} --lang ts{}`; do not edit: run it again\n\
         // after changing the schema. Needs zod 3, pg 8 and TypeScript's target ES2020 or later.\n",
        source.origin(),
        source.flag()
    );
    out.push_str("import { z } from \"zod\";\n");
    if tenancy.is_some() {
        out.push_str("import type { Pool, PoolClient } from \"pg\";\n");
    }
    out.push('\n');
    if uses.chars {
        out.push_str(CHARS_HELPER);
    }
    if uses.json {
        out.push_str(JSON_HELPER);
    }
    out.push_str(&body);
    match tenancy {
        Some(t) => write_tenancy(&mut out, t),
        None => out.push_str("// Tenancy is off for this database: no withTenant helper.\n"),
    }
    while out.ends_with("\n\n") {
        out.pop();
    }
    out
}

/// Helpers the body used, emitted before it.
#[derive(Debug, Default)]
struct Uses {
    chars: bool,
    json: bool,
}

const CHARS_HELPER: &str = "\
/** The length of `s` in characters (code points), as PostgreSQL counts it. */
const chars = (s: string): number => Array.from(s).length;

";

const JSON_HELPER: &str = "\
/** A json or jsonb value as node-postgres parses it. */
export type JsonValue = string | number | boolean | null | JsonValue[] | { [key: string]: JsonValue };
export const jsonValueSchema: z.ZodType<JsonValue> = z.lazy(() =>
  z.union([z.string(), z.number(), z.boolean(), z.null(), z.array(jsonValueSchema), z.record(jsonValueSchema)]),
);

";

/// One column's TypeScript type and zod schema (without nullability).
struct Field<'c> {
    column: &'c Column,
    /// What a check's rules may apply to.
    kind: Kind,
    /// The domain that is the column's type (not an array of it).
    domain: Option<pgtenant_schema::model::QualName>,
    ts: String,
    /// The zod schema up to its string/number methods.
    zod: String,
    /// Refinements from the type (varchar length), for both schemas.
    refines: Vec<String>,
    /// Refinements from validated checks (select and insert) and from NOT
    /// VALID checks (insert only).
    checked: Vec<String>,
    insert_only: Vec<String>,
    /// Methods from NOT VALID checks (insert only).
    insert_methods: Vec<String>,
    /// Comments above the field: type notes, checks left out.
    notes: Vec<String>,
}

fn write_table(
    out: &mut String,
    uses: &mut Uses,
    catalog: &Catalog,
    name: &pgtenant_schema::model::QualName,
    table: &Table,
) {
    let ty = type_name(name);
    let shown = display_name(name);
    let mut fields: Vec<Field> = table
        .columns
        .iter()
        .map(|c| field(uses, catalog, c))
        .collect();
    for f in &mut fields {
        apply_domain_checks(uses, catalog, f);
    }
    let mut table_notes = Vec::new();
    for c in table.constraints.values() {
        if c.kind != ConstraintKind::Check || c.inherited {
            continue;
        }
        apply_check(uses, &mut fields, &mut table_notes, c);
    }

    match &table.comment {
        Some(c) => jsdoc(out, "", c),
        None => {
            let _ = writeln!(out, "/** A row of `{shown}`. */");
        }
    }
    let _ = writeln!(out, "export interface {ty} {{");
    for f in &fields {
        if let Some(c) = &f.column.comment {
            jsdoc(out, "  ", c);
        }
        let null = if f.column.not_null { "" } else { " | null" };
        let _ = writeln!(out, "  {}: {}{null};", prop(&f.column.name), f.ts);
    }
    let _ = writeln!(out, "}}\n");

    let _ = writeln!(
        out,
        "/** The columns of an insert into `{shown}` (optional: those with a default or nullable). */"
    );
    let _ = writeln!(out, "export interface {ty}Insert {{");
    for f in fields.iter().filter(|f| insertable(f.column)) {
        let opt = if optional_on_insert(f.column) {
            "?"
        } else {
            ""
        };
        let null = if f.column.not_null { "" } else { " | null" };
        let _ = writeln!(out, "  {}{opt}: {}{null};", prop(&f.column.name), f.ts);
    }
    let _ = writeln!(out, "}}\n");

    for insert in [false, true] {
        for n in &table_notes {
            let _ = writeln!(out, "// {n}");
        }
        let suffix = if insert { "Insert" } else { "" };
        let _ = writeln!(
            out,
            "export const {}{suffix}Schema = z.object({{",
            camel(&ty)
        );
        for f in &fields {
            if insert && !insertable(f.column) {
                continue;
            }
            for n in &f.notes {
                let _ = writeln!(out, "  // {n}");
            }
            let mut z = f.zod.clone();
            let (methods, refines) = if insert {
                (&f.insert_methods[..], &f.insert_only[..])
            } else {
                (&[][..], &[][..])
            };
            for r in methods
                .iter()
                .chain(&f.refines)
                .chain(&f.checked)
                .chain(refines)
            {
                z.push_str(r);
            }
            if !f.column.not_null {
                z.push_str(".nullable()");
            }
            if insert && optional_on_insert(f.column) {
                z.push_str(".optional()");
            }
            let _ = writeln!(out, "  {}: {z},", prop(&f.column.name));
        }
        let _ = writeln!(out, "}});\n");
    }
}

/// Whether an insert may name the column: not generated, not identity
/// ALWAYS.
fn insertable(c: &Column) -> bool {
    c.generated.is_none()
        && !c
            .identity
            .as_ref()
            .is_some_and(|i| i.kind == IdentityKind::Always)
}

fn optional_on_insert(c: &Column) -> bool {
    c.default.is_some() || c.identity.is_some() || !c.not_null
}

fn field<'c>(uses: &mut Uses, catalog: &Catalog, column: &'c Column) -> Field<'c> {
    let r = resolve(catalog, &column.data_type);
    let (ts, zod, note) = mapping(&r, &column.data_type);
    if r.scalar == Scalar::Json && !r.opaque_array {
        uses.json = true;
    }
    let mut refines = Vec::new();
    if r.dims == 0 && r.scalar == Scalar::Text {
        if let Some(n) = r.max_chars {
            uses.chars = true;
            refines.push(format!(
                ".refine((s) => chars(s) <= {n}, {{ message: \"at most {n} characters\" }})"
            ));
        }
    }
    Field {
        column,
        kind: Kind::of(&r),
        domain: r.domain.clone().filter(|_| r.dims == 0),
        ts,
        zod,
        refines,
        checked: Vec::new(),
        insert_only: Vec::new(),
        insert_methods: Vec::new(),
        notes: note.into_iter().collect(),
    }
}

/// (TypeScript type, zod schema, note) of a resolved type.
fn mapping(r: &Resolved, pg: &str) -> (String, String, Option<String>) {
    if r.opaque_array {
        return (
            "string".to_owned(),
            "z.string()".to_owned(),
            Some(format!(
                "{pg}: node-postgres returns this array as its text (\"{{a,b}}\"); select it as \
                 `::text[]` for a string[]"
            )),
        );
    }
    let (mut ts, mut zod, mut note) = match &r.scalar {
        Scalar::Uuid => ("string".to_owned(), "z.string().uuid()".to_owned(), None),
        Scalar::Text => ("string".to_owned(), "z.string()".to_owned(), None),
        Scalar::Int2 => (
            "number".to_owned(),
            "z.number().int().gte(-32768).lte(32767)".to_owned(),
            None,
        ),
        Scalar::Int4 => (
            "number".to_owned(),
            "z.number().int().gte(-2147483648).lte(2147483647)".to_owned(),
            None,
        ),
        Scalar::Int8 => (
            "string".to_owned(),
            format!("z.string().regex({INT_RE})"),
            None,
        ),
        Scalar::Float4 | Scalar::Float8 => ("number".to_owned(), "z.number()".to_owned(), None),
        Scalar::Bool => ("boolean".to_owned(), "z.boolean()".to_owned(), None),
        Scalar::Numeric if r.dims > 0 => (
            "number".to_owned(),
            "z.number()".to_owned(),
            Some(format!(
                "{pg}: node-postgres parses numeric arrays with parseFloat (precision can be \
                 lost); select it as `::text[]` for exact values"
            )),
        ),
        Scalar::Numeric => ("string".to_owned(), "z.string()".to_owned(), None),
        Scalar::Timestamptz | Scalar::Timestamp | Scalar::Date => {
            ("Date".to_owned(), "z.date()".to_owned(), None)
        }
        Scalar::Time => ("string".to_owned(), "z.string()".to_owned(), None),
        Scalar::Interval => (
            "unknown".to_owned(),
            "z.unknown()".to_owned(),
            Some("interval: node-postgres returns a postgres-interval object".to_owned()),
        ),
        Scalar::Json => ("JsonValue".to_owned(), "jsonValueSchema".to_owned(), None),
        Scalar::Bytea => ("Buffer".to_owned(), "z.instanceof(Buffer)".to_owned(), None),
        Scalar::Enum(q) => {
            let ty = type_name(q);
            let zod = format!("{}Schema", camel(&ty));
            (ty, zod, None)
        }
        Scalar::Unmapped(t) => (
            "unknown".to_owned(),
            "z.unknown()".to_owned(),
            Some(format!(
                "PostgreSQL type `{t}` has no mapping: typed unknown"
            )),
        ),
    };
    for _ in 0..r.dims {
        ts = format!("{ts}[]");
        zod = format!("z.array({zod})");
    }
    if let Some(n) = &mut note {
        *n = n.replace('\n', " ");
    }
    (ts, zod, note)
}

/// An integer's text form, as node-postgres returns int8.
const INT_RE: &str = "/^[+-]?[0-9]+$/u";

/// Add check `c` to the field it constrains, or a note that it is left out.
fn apply_check(
    uses: &mut Uses,
    fields: &mut [Field],
    table_notes: &mut Vec<String>,
    c: &pgtenant_schema::model::Constraint,
) {
    let left_out = format!(
        "check {} is not expressed here: {}",
        c.name,
        c.definition.replace('\n', " ")
    );
    let target = |col: &str| fields.iter().position(|f| f.column.name == col);
    let recognised = checks::recognise(&c.definition);
    let placed = recognised.as_ref().and_then(|rec| {
        let i = target(&rec.column)?;
        let kind = fields[i].kind;
        let zod: Option<Vec<Refinement>> = rec
            .rules
            .iter()
            .map(|rule| refinement(kind, rule, &c.name))
            .collect();
        zod.map(|z| (i, z))
    });
    match placed {
        Some((i, refinements)) => place(uses, &mut fields[i], refinements, c.validated),
        None => match c.columns.as_slice() {
            [one] if target(one).is_some() => {
                if let Some(i) = target(one) {
                    fields[i].notes.push(left_out);
                }
            }
            _ => table_notes.push(left_out),
        },
    }
}

/// Add `refinements` of a check to `f`: zod methods before every
/// refinement (zod has string and number methods only before a refine);
/// a NOT VALID check's only to the insert schema.
fn place(uses: &mut Uses, f: &mut Field, refinements: Vec<Refinement>, validated: bool) {
    for r in refinements {
        let text = match r {
            Refinement::Method(m) => m,
            Refinement::Refine(body, message) => {
                format!(".refine({body}, {{ message: {} }})", js_string(&message))
            }
        };
        if text.contains("chars(") {
            uses.chars = true;
        }
        match (text.starts_with(".refine"), validated) {
            (false, true) => f.zod.push_str(&text),
            (false, false) => f.insert_methods.push(text),
            (true, true) => f.checked.push(text),
            (true, false) => f.insert_only.push(text),
        }
    }
}

/// The CHECKs of the domain a column's type is (checked on `VALUE`).
fn apply_domain_checks(uses: &mut Uses, catalog: &Catalog, f: &mut Field) {
    let Some(domain) = f.domain.clone() else {
        return;
    };
    let Some(d) = catalog.domains.get(&domain) else {
        return;
    };
    for (name, def) in &d.checks {
        let refinements = checks::recognise(def)
            .filter(|rec| rec.column == "VALUE")
            .and_then(|rec| {
                rec.rules
                    .iter()
                    .map(|rule| refinement(f.kind, rule, name))
                    .collect::<Option<Vec<_>>>()
            });
        match refinements {
            Some(r) => place(uses, f, r, !def.trim_end().ends_with("NOT VALID")),
            None => f.notes.push(format!(
                "check {name} of domain {} is not expressed here: {}",
                display_name(&domain),
                def.replace('\n', " ")
            )),
        }
    }
}

impl Kind {
    fn of(r: &Resolved) -> Kind {
        if r.dims > 0 || r.opaque_array {
            return Kind::Other;
        }
        match r.scalar {
            Scalar::Text if !r.padded => Kind::Text,
            Scalar::Int2 | Scalar::Int4 => Kind::Int,
            Scalar::Float8 => Kind::Float,
            Scalar::Int8 => Kind::Int8,
            _ => Kind::Other,
        }
    }
}

/// What a check's rules may apply to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    /// A text column that is not blank-padded: `string`.
    Text,
    /// int2/int4: `number`, integral.
    Int,
    /// float8: `number`.
    Float,
    /// int8: a `string` of digits.
    Int8,
    Other,
}

enum Refinement {
    /// A zod method (`.gte(0)`, `.regex(...)`).
    Method(String),
    /// A refine: the predicate and its message.
    Refine(String, String),
}

fn refinement(kind: Kind, rule: &Rule, name: &str) -> Option<Refinement> {
    let message = format!("check {name}");
    match (kind, rule) {
        (Kind::Text, Rule::Regex(re)) => Some(Refinement::Method(format!(
            ".regex({re}, {{ message: {} }})",
            js_string(&message)
        ))),
        (Kind::Text, Rule::Chars(op, n)) => Some(Refinement::Refine(
            format!("(s) => chars(s) {} {n}", op.js()),
            message,
        )),
        (Kind::Text, Rule::OneOf(values)) => {
            let strings = values
                .iter()
                .map(|v| match v {
                    Literal::Str(s) => Some(js_string(s)),
                    Literal::Num(_) => None,
                })
                .collect::<Option<Vec<_>>>()?;
            Some(Refinement::Refine(
                format!("(s) => [{}].includes(s)", strings.join(", ")),
                message,
            ))
        }
        (Kind::Int | Kind::Float, Rule::Compare(op, n)) => {
            let method = match op {
                Op::Gt => "gt",
                Op::Ge => "gte",
                Op::Lt => "lt",
                Op::Le => "lte",
            };
            Some(Refinement::Method(format!(
                ".{method}({}, {{ message: {} }})",
                js_number(n),
                js_string(&message)
            )))
        }
        (Kind::Int | Kind::Float, Rule::OneOf(values)) => {
            let numbers = values
                .iter()
                .map(|v| match v {
                    Literal::Num(n) => Some(js_number(n)),
                    Literal::Str(_) => None,
                })
                .collect::<Option<Vec<_>>>()?;
            Some(Refinement::Refine(
                format!("(n) => [{}].includes(n)", numbers.join(", ")),
                message,
            ))
        }
        (Kind::Int8, Rule::Compare(op, n)) if !n.contains('.') => Some(Refinement::Refine(
            format!(
                "(s) => {INT_RE}.test(s) && BigInt(s) {} {}n",
                op.js(),
                js_number(n)
            ),
            message,
        )),
        _ => None,
    }
}

/// A decimal number as a JavaScript literal (no leading zeros, which
/// would be octal).
fn js_number(n: &str) -> String {
    let (sign, digits) = match n.strip_prefix('-') {
        Some(d) => ("-", d),
        None => ("", n),
    };
    let (int, frac) = match digits.split_once('.') {
        Some((i, f)) => (i, Some(f)),
        None => (digits, None),
    };
    let int = int.trim_start_matches('0');
    let int = if int.is_empty() { "0" } else { int };
    match frac {
        Some(f) => format!("{sign}{int}.{f}"),
        None => format!("{sign}{int}"),
    }
}

fn write_tenancy(out: &mut String, t: &TsTenancy) {
    let tenant_prefix = format!("SET LOCAL {} = ", quote_setting(&t.setting));
    let user_prefix = t
        .user_setting
        .as_ref()
        .map(|u| format!("; SET LOCAL {} = ", quote_setting(u)));
    let _ = writeln!(
        out,
        "// ---------------------------------------------------------------- tenant context\n"
    );
    let _ = writeln!(
        out,
        "/** The setting the policies read (pgtenant.toml `[tenancy] setting`). */\n\
         export const TENANT_SETTING = {};",
        js_string(&t.setting)
    );
    let _ = writeln!(
        out,
        "/** The setting naming the acting user (`[tenancy] user_setting`), if any. */\n\
         export const USER_SETTING: string | null = {};\n",
        t.user_setting
            .as_deref()
            .map_or_else(|| "null".to_owned(), js_string)
    );
    let _ = writeln!(
        out,
        "/** Tenant ids: the primary key `{}` of `{}`. */\nconst TENANT_KEY: KeyType = {};",
        t.root_key.replace("*/", "*\\/"),
        t.root_table.replace("*/", "*\\/"),
        key_type(t.tenant_key)
    );
    let _ = writeln!(
        out,
        "/** User ids. */\nconst USER_KEY: KeyType = {};",
        key_type(t.user_key)
    );
    let _ = writeln!(
        out,
        "const TENANT_PREFIX = {};\nconst USER_PREFIX: string | null = {};\n",
        js_string(&tenant_prefix),
        user_prefix
            .as_deref()
            .map_or_else(|| "null".to_owned(), js_string)
    );
    out.push_str(TENANT_RUNTIME);
}

fn key_type(k: TenantKeyType) -> String {
    let sql = js_string(&k.sql_type());
    match k {
        TenantKeyType::Uuid => format!("{{ kind: \"uuid\", sql: {sql} }}"),
        TenantKeyType::Text => format!("{{ kind: \"text\", sql: {sql} }}"),
        TenantKeyType::Varchar(n) => format!("{{ kind: \"varchar\", max: {n}, sql: {sql} }}"),
        TenantKeyType::BigInt => format!("{{ kind: \"int\", bits: 64, sql: {sql} }}"),
        TenantKeyType::Int => format!("{{ kind: \"int\", bits: 32, sql: {sql} }}"),
        TenantKeyType::SmallInt => format!("{{ kind: \"int\", bits: 16, sql: {sql} }}"),
    }
}

/// The fixed part of the tenant section: id checks (the rules of
/// `TenantKeyType::canonical`), literal quoting (the rule of
/// `quote_literal`), the begin batch and `withTenant`.
const TENANT_RUNTIME: &str = r#"/** Who a transaction acts for. */
export interface TenantContext {
  tenantId: string | number | bigint;
  /** Sets the user setting; only when the database has one. */
  userId?: string | number | bigint;
}

/** A tenant or user id that does not fit its key type; nothing was sent. */
export class TenantContextError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "TenantContextError";
  }
}

type KeyType =
  | { kind: "uuid"; sql: string }
  | { kind: "text"; sql: string }
  | { kind: "varchar"; max: number; sql: string }
  | { kind: "int"; bits: 16 | 32 | 64; sql: string };

const UUID_HYPHENATED = /^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$/;
const UUID_SIMPLE = /^[0-9a-fA-F]{32}$/;

/** `raw` in the form PostgreSQL prints it, or why it does not fit `key`. */
function canonical(raw: string, key: KeyType): { id: string } | { problem: string } {
  if (raw.length === 0) return { problem: "the id is empty" };
  if (raw.includes("\u0000")) return { problem: "the id contains a NUL character" };
  switch (key.kind) {
    case "uuid": {
      let s = raw;
      if (s.length === 45 && s.startsWith("urn:uuid:")) s = s.slice(9);
      else if (s.length === 38 && s.startsWith("{") && s.endsWith("}")) s = s.slice(1, -1);
      if (raw.length === 32 && UUID_SIMPLE.test(s)) {
        s = `${s.slice(0, 8)}-${s.slice(8, 12)}-${s.slice(12, 16)}-${s.slice(16, 20)}-${s.slice(20)}`;
      } else if (!UUID_HYPHENATED.test(s)) {
        return { problem: "not a UUID" };
      }
      return { id: s.toLowerCase() };
    }
    case "text":
      return { id: raw };
    case "varchar": {
      const len = Array.from(raw).length;
      return len > key.max ? { problem: `${len} characters, at most ${key.max} allowed` } : { id: raw };
    }
    case "int": {
      const problem = { problem: `not a ${key.bits}-bit integer` };
      if (!/^[+-]?[0-9]+$/.test(raw)) return problem;
      const v = BigInt(raw);
      const max = (BigInt(1) << BigInt(key.bits - 1)) - BigInt(1);
      return v < -max - BigInt(1) || v > max ? problem : { id: v.toString() };
    }
  }
}

/** A SQL string literal: `'...'` with `'` doubled; with a backslash, `E'...'` with `\` doubled too. */
export function quoteLiteral(value: string): string {
  return value.includes("\\")
    ? `E'${value.replace(/\\/g, "\\\\").replace(/'/g, "''")}'`
    : `'${value.replace(/'/g, "''")}'`;
}

/**
 * The one simple-query message that opens the transaction with `ctx` set:
 * `SET LOCAL <setting> = '<id>'; [SET LOCAL <user setting> = '<user>';] BEGIN`.
 * The settings come first: if one fails, no transaction is left open.
 * Throws TenantContextError for an id that does not fit its key type.
 */
export function beginSql(ctx: TenantContext): string {
  const tenant = String(ctx.tenantId);
  if (tenant.length === 0) {
    throw new TenantContextError("the tenant id is empty; pass the id of the tenant the request acts for");
  }
  const t = canonical(tenant, TENANT_KEY);
  if ("problem" in t) {
    throw new TenantContextError(
      `invalid tenant id ${JSON.stringify(tenant)}: expected ${TENANT_KEY.sql} (${t.problem}); ` +
        "pass the tenant's primary key as stored in the root table",
    );
  }
  let sql = TENANT_PREFIX + quoteLiteral(t.id);
  if (ctx.userId !== undefined) {
    if (USER_PREFIX === null) {
      throw new TenantContextError(
        "a user id was given but the database has no user setting; set [tenancy] user_setting " +
          "in pgtenant.toml and generate again, or leave the user out",
      );
    }
    const user = String(ctx.userId);
    const u = canonical(user, USER_KEY);
    if ("problem" in u) {
      throw new TenantContextError(
        `invalid user id ${JSON.stringify(user)}: expected ${USER_KEY.sql} (${u.problem}); ` +
          "pass the user's primary key as stored in the membership table",
      );
    }
    sql += USER_PREFIX + quoteLiteral(u.id);
  }
  return sql + "; BEGIN";
}

/**
 * Run `fn` in a transaction of `pool`'s connection with the tenant (and
 * user) settings of `ctx` in force: commit when it resolves, roll back
 * when it throws (the error is thrown on). The settings are
 * transaction-local, so the connection goes back to the pool without them.
 */
export async function withTenant<T>(
  pool: Pool,
  ctx: TenantContext,
  fn: (client: PoolClient) => Promise<T>,
): Promise<T> {
  const sql = beginSql(ctx);
  const client = await pool.connect();
  try {
    await client.query(sql);
  } catch (error) {
    client.release(error instanceof Error ? error : true);
    throw error;
  }
  let value: T;
  try {
    value = await fn(client);
    await client.query("COMMIT");
  } catch (error) {
    try {
      await client.query("ROLLBACK");
      client.release();
    } catch (rollbackError) {
      // Never hand back a connection whose transaction may still be open.
      client.release(rollbackError instanceof Error ? rollbackError : true);
    }
    throw error;
  }
  client.release();
  return value;
}

/** What withTenantPostgres uses of a postgres.js reserved connection (`await sql.reserve()`). */
export interface PostgresReserved {
  unsafe(query: string): { simple(): PromiseLike<unknown> };
  release(): void;
}

/**
 * withTenant for postgres.js (`postgres` 3.4 or later): the same single
 * message on a reserved connection (`.simple()`: the simple-query
 * protocol), `fn` given that connection, then COMMIT, or ROLLBACK when
 * `fn` throws. The connection is released on every path.
 */
export async function withTenantPostgres<R extends PostgresReserved, T>(
  sql: { reserve(): Promise<R> },
  ctx: TenantContext,
  fn: (sql: R) => Promise<T>,
): Promise<T> {
  const begin = beginSql(ctx);
  const reserved = await sql.reserve();
  let value: T;
  try {
    await reserved.unsafe(begin).simple();
    try {
      value = await fn(reserved);
      await reserved.unsafe("COMMIT").simple();
    } catch (error) {
      // A rollback that fails means a broken connection, which postgres.js
      // closes; the error that matters is fn's.
      await Promise.resolve(reserved.unsafe("ROLLBACK").simple()).catch(() => undefined);
      throw error;
    }
  } finally {
    reserved.release();
  }
  return value;
}
"#;

/// `OrderItems` → `orderItems`.
fn camel(ty: &str) -> String {
    let mut cs = ty.chars();
    match cs.next() {
        Some(f) => f.to_ascii_lowercase().to_string() + cs.as_str(),
        None => String::new(),
    }
}

/// A property name: bare when it is an identifier, else a string.
fn prop(name: &str) -> String {
    let ident = name
        .chars()
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_' || c == '$')
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '$');
    if ident {
        name.to_owned()
    } else {
        js_string(name)
    }
}

/// A JavaScript string literal (JSON's rules are valid JavaScript).
fn js_string(s: &str) -> String {
    serde_json::to_string(s).unwrap_or_else(|_| "\"\"".to_owned())
}

fn jsdoc(out: &mut String, indent: &str, text: &str) {
    let lines: Vec<String> = text
        .lines()
        .map(|l| l.trim_end().replace("*/", "*\\/"))
        .collect();
    match lines.as_slice() {
        [one] => {
            let _ = writeln!(out, "{indent}/** {one} */");
        }
        _ => {
            let _ = writeln!(out, "{indent}/**");
            for l in &lines {
                if l.is_empty() {
                    let _ = writeln!(out, "{indent} *");
                } else {
                    let _ = writeln!(out, "{indent} * {l}");
                }
            }
            let _ = writeln!(out, "{indent} */");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_and_literals() {
        assert_eq!(camel("OrderItems"), "orderItems");
        assert_eq!(prop("tenant_id"), "tenant_id");
        assert_eq!(prop("Weird Name"), "\"Weird Name\"");
        assert_eq!(prop("2fa"), "\"2fa\"");
        assert_eq!(js_number("007"), "7");
        assert_eq!(js_number("-00.50"), "-0.50");
        assert_eq!(js_number("0"), "0");
    }
}
