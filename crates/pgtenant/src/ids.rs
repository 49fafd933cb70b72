//! URL-friendly random ids: `[A-Za-z0-9]{len}` with `len` in 10..=20, drawn
//! from a CSPRNG with a uniform distribution over the 62 characters.
//!
//! Uniformity comes from rejection sampling (rand's `Alphanumeric`
//! distribution draws 6 random bits and rejects the values 62 and 63), so
//! there is no modulo bias. A 10-character id carries 59.5 bits, a
//! 20-character one 119 bits.
//!
//! The database side is the same rule: [`SQL_CHECK`] is the CHECK a column
//! of such ids carries, and the `ids` module's SQL defines a domain and a
//! generator (`short_id(len)`) for column defaults.

use rand::distributions::{Alphanumeric, DistString};

/// The shortest id accepted.
pub const MIN_LEN: usize = 10;
/// The longest id accepted.
pub const MAX_LEN: usize = 20;

/// The CHECK expression over `VALUE` (a domain) that matches [`validate`].
pub const SQL_CHECK: &str = "VALUE ~ '^[A-Za-z0-9]{10,20}$'";

/// The database side, in schema `schema`: a domain `short_id` with the
/// CHECK of [`validate`], and `short_id(len integer)`, a generator for
/// column defaults (`DEFAULT app.short_id(12)`). The generator draws from
/// `gen_random_uuid()` (PostgreSQL's strong random source; only the 14
/// bytes of each uuid that carry no version or variant bits are used) and
/// keeps a byte only below 248 = 4 × 62, so `byte % 62` is uniform.
pub fn sql(schema: &str) -> String {
    let s = pgtenant_schema::ident::quote_ident(schema);
    format!(
        r#"CREATE DOMAIN {s}.short_id AS text CHECK ({SQL_CHECK});

CREATE FUNCTION {s}.short_id(len integer) RETURNS {s}.short_id
LANGUAGE plpgsql VOLATILE PARALLEL SAFE
SET search_path = pg_catalog
AS $$
DECLARE
  alphabet constant text := 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
  out text := '';
  bytes bytea;
  b integer;
  i integer;
BEGIN
  IF len IS NULL OR len < {MIN_LEN} OR len > {MAX_LEN} THEN
    RAISE EXCEPTION 'an id length must be between {MIN_LEN} and {MAX_LEN}, not %', len
      USING ERRCODE = 'invalid_parameter_value';
  END IF;
  WHILE length(out) < len LOOP
    bytes := uuid_send(gen_random_uuid());
    FOREACH i IN ARRAY ARRAY[0, 1, 2, 3, 4, 5, 7, 9, 10, 11, 12, 13, 14, 15] LOOP
      b := get_byte(bytes, i);
      IF b < 248 AND length(out) < len THEN
        out := out || substr(alphabet, b % 62 + 1, 1);
      END IF;
    END LOOP;
  END LOOP;
  RETURN out;
END
$$;
"#
    )
}

/// Why an id or a length was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum IdError {
    /// A requested length outside 10..=20.
    #[error("an id length must be between {MIN_LEN} and {MAX_LEN}, not {0}")]
    Length(usize),
    /// An id of the wrong length.
    #[error("an id has {MIN_LEN} to {MAX_LEN} characters; this one has {0}")]
    WrongLength(usize),
    /// An id with a character outside `[A-Za-z0-9]` (at that character index).
    #[error("an id holds only A-Z, a-z and 0-9; character {0} is not one of them")]
    BadCharacter(usize),
}

/// A new random id of `len` characters (10..=20).
pub fn generate(len: usize) -> Result<String, IdError> {
    if !(MIN_LEN..=MAX_LEN).contains(&len) {
        return Err(IdError::Length(len));
    }
    // ThreadRng is a CSPRNG (ChaCha12) seeded and periodically reseeded
    // from the operating system.
    Ok(Alphanumeric.sample_string(&mut rand::thread_rng(), len))
}

/// Check that `id` is 10..=20 characters of `[A-Za-z0-9]`.
pub fn validate(id: &str) -> Result<(), IdError> {
    if let Some(i) = id.chars().position(|c| !c.is_ascii_alphanumeric()) {
        return Err(IdError::BadCharacter(i));
    }
    if !(MIN_LEN..=MAX_LEN).contains(&id.len()) {
        return Err(IdError::WrongLength(id.len()));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lengths_outside_the_range_are_refused() {
        assert_eq!(generate(9), Err(IdError::Length(9)));
        assert_eq!(generate(21), Err(IdError::Length(21)));
        for len in MIN_LEN..=MAX_LEN {
            let id = generate(len).unwrap();
            assert_eq!(id.len(), len);
            validate(&id).unwrap();
        }
    }

    #[test]
    fn validation_names_the_problem() {
        assert_eq!(validate("abc"), Err(IdError::WrongLength(3)));
        assert_eq!(validate("abcdefghij-"), Err(IdError::BadCharacter(10)));
        assert_eq!(validate("abcdéfghijk"), Err(IdError::BadCharacter(4)));
        assert_eq!(validate(&"a".repeat(21)), Err(IdError::WrongLength(21)));
        assert_eq!(
            IdError::WrongLength(3).to_string(),
            "an id has 10 to 20 characters; this one has 3"
        );
        validate("AbCdEf0123").unwrap();
    }

    /// Chi-squared test of the character distribution: 62 categories,
    /// 61 degrees of freedom; the 99.99th percentile is about 117.
    /// A modulo-biased generator over bytes (256 % 62 = 8 favoured
    /// characters) scores far above that with this many samples.
    #[test]
    fn characters_are_uniform() {
        let alphabet: Vec<char> = ('A'..='Z').chain('a'..='z').chain('0'..='9').collect();
        let mut counts = [0u64; 62];
        let ids = 20_000;
        for _ in 0..ids {
            for c in generate(20).unwrap().chars() {
                counts[alphabet.iter().position(|&a| a == c).unwrap()] += 1;
            }
        }
        let chi2 = chi_squared(&counts);
        assert!(
            chi2 < 117.0,
            "chi-squared {chi2:.1} over 61 degrees of freedom"
        );

        // The test can fail: the same statistic over a byte % 62 generator.
        let mut biased = [0u64; 62];
        let mut x: u32 = 12345;
        for _ in 0..ids * 20 {
            x = x.wrapping_mul(1_103_515_245).wrapping_add(12345);
            biased[usize::from(x.to_be_bytes()[1]) % 62] += 1;
        }
        assert!(chi_squared(&biased) > 117.0);
    }

    fn chi_squared(counts: &[u64; 62]) -> f64 {
        let total: u64 = counts.iter().sum();
        let expected = total as f64 / 62.0;
        counts
            .iter()
            .map(|&n| (n as f64 - expected).powi(2) / expected)
            .sum()
    }
}
