//! Synthesised values for probe rows: a text value of a column's type that
//! PostgreSQL casts back (random where uniqueness matters).

use pgtenant_schema::model::{Catalog, Column, QualName};

fn rand_hex() -> String {
    uuid::Uuid::new_v4().simple().to_string()[..10].to_owned()
}

fn rand_int(max: u32) -> String {
    let v = uuid::Uuid::new_v4().as_u128();
    let m = u128::from(max.max(2) - 1);
    (v % m + 1).to_string()
}

/// A text value of type `ty` for a probe row, or `None` when pgtenant does
/// not know how to make one.
pub(super) fn synth_value(catalog: &Catalog, ty: &str) -> Option<String> {
    // `timestamp(3) without time zone` -> `timestamp without time zone`.
    let stripped = pgtenant_schema::tenancy::policy_cast_type(ty);
    let base = stripped.as_str();
    if ty.ends_with("[]") {
        return Some("{}".to_owned());
    }
    let v = match base {
        "text" | "character varying" | "character" | "bpchar" | "citext" | "name" => {
            format!("p{}", rand_hex())
        }
        "uuid" => uuid::Uuid::new_v4().to_string(),
        "smallint" => rand_int(30_000),
        "integer" | "bigint" => rand_int(1_000_000_000),
        // Small enough for any numeric(p,s) with p - s >= 3.
        "numeric" | "real" | "double precision" => rand_int(999),
        "boolean" => "false".to_owned(),
        "date"
        | "timestamp without time zone"
        | "timestamp with time zone"
        | "time without time zone"
        | "time with time zone" => "now".to_owned(),
        "json" | "jsonb" => "{}".to_owned(),
        "bytea" => "\\x00".to_owned(),
        "inet" | "cidr" => "127.0.0.1".to_owned(),
        "interval" => "1 day".to_owned(),
        _ => {
            let name = match base.split_once('.') {
                Some((s, n)) => QualName::new(s.trim_matches('"'), n.trim_matches('"')),
                None => QualName::new("public", base.trim_matches('"')),
            };
            if let Some(e) = catalog.enums.get(&name) {
                return e.values.first().cloned();
            }
            if let Some(d) = catalog.domains.get(&name) {
                return synth_value(catalog, &d.base_type);
            }
            return None;
        }
    };
    Some(v)
}

pub(super) fn has_default(c: &Column) -> bool {
    c.default.is_some() || c.identity.is_some()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn synthesised_values_by_type() {
        let c = Catalog::default();
        assert!(uuid::Uuid::parse_str(&synth_value(&c, "uuid").unwrap()).is_ok());
        assert!(synth_value(&c, "character varying(20)")
            .unwrap()
            .starts_with('p'));
        let n: i64 = synth_value(&c, "bigint").unwrap().parse().unwrap();
        assert!(n >= 1);
        let n: i64 = synth_value(&c, "smallint").unwrap().parse().unwrap();
        assert!((1..30_000).contains(&n));
        assert_eq!(synth_value(&c, "text[]").as_deref(), Some("{}"));
        assert_eq!(
            synth_value(&c, "timestamp(3) without time zone").as_deref(),
            Some("now")
        );
        assert_eq!(synth_value(&c, "public.unknown_type"), None);
    }
}
