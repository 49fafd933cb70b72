//! Opaque tokens: the one owner of how invite tokens, refresh tokens and
//! API keys are generated, checked offline, hashed and compared.
//!
//! The format is the one GitHub uses for its tokens:
//!
//! ```text
//! <prefix>_<lookup id (12)><secret (24)>_<checksum (6)>
//! pgk_3fZq0aLk9XbW7c2vQ1nRt8Yh4sMd6pEu5jGo_2bX9aQ
//! ```
//!
//! - the **prefix** (`[a-z][a-z0-9]{1,15}`) names the kind of token, so a
//!   secret scanner can match it;
//! - the **body** is 36 base62 characters from the operating system's
//!   CSPRNG (rand's `OsRng`, rejection-sampled: no modulo bias). Its first
//!   12 characters are the **lookup id**, stored in clear with a unique
//!   index; the other 24 (142 bits) are the secret;
//! - the **checksum** is CRC32 of `<prefix>_<body>` in base62, 6
//!   characters, so a
//!   typo or a truncated token is rejected by [`Token::parse`] without a
//!   database round trip.
//!
//! The database stores the lookup id and [`Token::hash`], SHA-256 of the
//! whole token text, never the token. SHA-256 without a salt or stretching
//! is enough because the token carries 142 random bits: nobody can search
//! that space, so there is nothing for a slow hash to slow down.
//!
//! Another language mints and checks the same tokens with: 36 characters
//! drawn uniformly from `[0-9A-Za-z]` by a CSPRNG; the checksum is CRC32
//! (IEEE, as zlib) of the UTF-8 bytes of `<prefix>_<body>`, written in base62
//! over the alphabet `0-9A-Z a-z` (in that order), most significant digit
//! first, left-padded with `0` to 6 characters; the lookup id is the body's
//! first 12 characters; the hash is SHA-256 of the whole token's UTF-8
//! bytes. The test vector is in this file's tests.
//!
//! The library sends the database only the lookup id and the hash, never
//! the token, so a token cannot reach a server log (`log_statement`) or an
//! error. [`Token`] has no `Display`, and its `Debug` shows `***` in place
//! of the secret.

use rand::distributions::{Alphanumeric, DistString};
use sha2::{Digest, Sha256};
use std::fmt;
use subtle::ConstantTimeEq;
use zeroize::Zeroizing;

/// Characters of the lookup id.
pub const LOOKUP_LEN: usize = 12;
/// Characters of the secret part.
pub const SECRET_LEN: usize = 24;
/// Characters of the random body (lookup id and secret).
pub const BODY_LEN: usize = LOOKUP_LEN + SECRET_LEN;
/// Characters of the checksum.
pub const CHECKSUM_LEN: usize = 6;
/// Bytes of [`Token::hash`].
pub const HASH_LEN: usize = 32;

const BASE62: &[u8; 62] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

/// A token that is not one: wrong shape or wrong checksum. Carries nothing
/// of the text it was given.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("malformed token: not <prefix>_<36 characters>_<checksum>, or the checksum does not match (a typo or a truncated token)")]
pub struct Malformed;

/// An invalid prefix given to [`Token::generate`] (a programming error).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("token prefix {0:?} must be 2 to 16 characters: a lower-case letter, then lower-case letters or digits")]
pub struct BadPrefix(pub String);

/// Whether `prefix` can start a token.
pub fn valid_prefix(prefix: &str) -> bool {
    let b = prefix.as_bytes();
    (2..=16).contains(&b.len())
        && b[0].is_ascii_lowercase()
        && b.iter()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit())
}

/// A token and the secret it carries. Shown once: [`Token::expose`] is the
/// only way to its text. Zeroed on drop.
#[derive(Clone)]
pub struct Token {
    text: Zeroizing<String>,
    /// Byte offset of the body (after `prefix_`).
    body: usize,
}

impl fmt::Debug for Token {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Token")
            .field("prefix", &self.prefix())
            .field("lookup_id", &self.lookup_id())
            .field("secret", &format_args!("***"))
            .finish()
    }
}

/// Characters of [`random_secret`]: 43 from 62 carry 256 bits.
pub const SECRET_TEXT_LEN: usize = 43;

/// A secret with no token format: 43 characters drawn uniformly from
/// `[0-9A-Za-z]` by the operating system's CSPRNG (256 bits), for values a
/// seed generates (`${NAME:=generate}`).
pub fn random_secret() -> String {
    Alphanumeric.sample_string(&mut rand::rngs::OsRng, SECRET_TEXT_LEN)
}

impl Token {
    /// A new random token with `prefix`.
    pub fn generate(prefix: &str) -> Result<Token, BadPrefix> {
        if !valid_prefix(prefix) {
            return Err(BadPrefix(prefix.to_owned()));
        }
        let body = Zeroizing::new(Alphanumeric.sample_string(&mut rand::rngs::OsRng, BODY_LEN));
        let mut text = Zeroizing::new(String::with_capacity(prefix.len() + BODY_LEN + 8));
        text.push_str(prefix);
        text.push('_');
        text.push_str(&body);
        let sum = checksum(text.as_bytes());
        text.push('_');
        text.push_str(&sum);
        Ok(Token {
            text,
            body: prefix.len() + 1,
        })
    }

    /// Check a presented token's shape and checksum, offline. Never
    /// panics, whatever the input.
    pub fn parse(text: &str) -> Result<Token, Malformed> {
        let b = text.as_bytes();
        let total = b.len();
        let min = 2 + 1 + BODY_LEN + 1 + CHECKSUM_LEN;
        if total < min || total > min + 14 {
            return Err(Malformed);
        }
        let sum_at = total - CHECKSUM_LEN;
        let body_at = sum_at - 1 - BODY_LEN;
        if b[sum_at - 1] != b'_' || b[body_at - 1] != b'_' {
            return Err(Malformed);
        }
        let prefix = &text[..body_at - 1];
        let body = &b[body_at..sum_at - 1];
        if !valid_prefix(prefix) || !body.iter().all(u8::is_ascii_alphanumeric) {
            return Err(Malformed);
        }
        let expected = checksum(&b[..sum_at - 1]);
        if !bool::from(expected.as_bytes().ct_eq(&b[sum_at..])) {
            return Err(Malformed);
        }
        Ok(Token {
            text: Zeroizing::new(text.to_owned()),
            body: body_at,
        })
    }

    /// The token's text: show it to its owner once, never log it.
    pub fn expose(&self) -> &str {
        &self.text
    }

    /// The kind of token, e.g. `pgk`.
    pub fn prefix(&self) -> &str {
        &self.text[..self.body - 1]
    }

    /// The non-secret lookup id (the body's first 12 characters).
    pub fn lookup_id(&self) -> &str {
        &self.text[self.body..self.body + LOOKUP_LEN]
    }

    /// SHA-256 of the token text: what the database stores.
    pub fn hash(&self) -> [u8; HASH_LEN] {
        hash(self.text.as_bytes())
    }
}

/// SHA-256 of `bytes`.
pub fn hash(bytes: &[u8]) -> [u8; HASH_LEN] {
    Sha256::digest(bytes).into()
}

/// Compare two byte strings in time that depends only on their lengths.
pub fn ct_eq(a: &[u8], b: &[u8]) -> bool {
    bool::from(a.ct_eq(b))
}

/// The SQLSTATE and message of a database error raised by a module
/// function (`PT…`), for mapping onto a module's error type.
pub(crate) fn module_error(e: &sqlx::Error) -> Option<(String, String)> {
    match e {
        sqlx::Error::Database(d) => {
            let code = d.code()?;
            code.starts_with("PT")
                .then(|| (code.into_owned(), d.message().to_owned()))
        }
        _ => None,
    }
}

/// About 68 years: more than any expiry, less than overflows an interval.
const MAX_SECONDS: i64 = 2_147_483_647;

/// A duration as whole seconds for an `interval` argument
/// (`$n * interval '1 second'`), saturating far beyond any expiry.
pub(crate) fn seconds(d: std::time::Duration) -> i64 {
    i64::try_from(d.as_secs()).map_or(MAX_SECONDS, |s| s.min(MAX_SECONDS))
}

/// CRC32 of `signed` (`prefix_body`), base62, left-padded with `0` to 6 characters
/// (62^6 > 2^32, so every value fits).
fn checksum(signed: &[u8]) -> String {
    let mut n = crc32fast::hash(signed);
    let mut out = [b'0'; CHECKSUM_LEN];
    for slot in out.iter_mut().rev() {
        *slot = BASE62[usize::try_from(n % 62).unwrap_or(0)];
        n /= 62;
    }
    out.iter().map(|&c| char::from(c)).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_generated_token_parses_and_keeps_its_parts() {
        let t = Token::generate("pgk").unwrap();
        let text = t.expose();
        assert_eq!(text.len(), 3 + 1 + BODY_LEN + 1 + CHECKSUM_LEN);
        let p = Token::parse(text).unwrap();
        assert_eq!(p.prefix(), "pgk");
        assert_eq!(p.lookup_id(), &text[4..16]);
        assert_eq!(p.hash(), t.hash());
        assert_eq!(t.hash(), hash(text.as_bytes()));
        assert_ne!(Token::generate("pgk").unwrap().expose(), text);
    }

    #[test]
    fn every_single_character_typo_and_every_truncation_is_rejected_offline() {
        let t = Token::generate("crc").unwrap();
        let text = t.expose().to_owned();
        for i in 0..text.len() {
            for c in ['0', 'a', 'Z', '_', 'é'] {
                let mut typo: Vec<char> = text.chars().collect();
                if typo[i] == c {
                    continue;
                }
                typo[i] = c;
                let typo: String = typo.into_iter().collect();
                assert_eq!(Token::parse(&typo).unwrap_err(), Malformed, "{i} {c}");
            }
            assert!(Token::parse(&text[..i]).is_err(), "truncated at {i}");
        }
        for junk in [
            "",
            "_",
            "__",
            "a_b_c",
            "pgk__",
            &"x".repeat(10_000),
            "ÿ_ÿ_ÿ",
        ] {
            assert!(Token::parse(junk).is_err(), "{junk:?}");
        }
    }

    #[test]
    fn debug_hides_the_secret() {
        let t = Token::generate("pgr").unwrap();
        let shown = format!("{t:?} {t:#?}");
        assert!(!shown.contains(&t.expose()[16..]), "{shown}");
        assert!(
            shown.contains("***") && shown.contains(t.lookup_id()),
            "{shown}"
        );
        assert_eq!(
            Malformed.to_string(),
            "malformed token: not <prefix>_<36 characters>_<checksum>, or the checksum does not \
             match (a typo or a truncated token)"
        );
    }

    /// A fixed token for other implementations to check against (the same
    /// figures come from Python's zlib.crc32 and hashlib.sha256).
    #[test]
    fn test_vector() {
        let signed = "pgk_0123456789abcdefghijABCDEFGHIJklmnop";
        let token = format!("{signed}_{}", checksum(signed.as_bytes()));
        let t = Token::parse(&token).unwrap();
        assert_eq!(token, VECTOR_TOKEN);
        assert_eq!(t.lookup_id(), "0123456789ab");
        assert_eq!(hex::encode(t.hash()), VECTOR_HASH);
    }

    const VECTOR_TOKEN: &str = "pgk_0123456789abcdefghijABCDEFGHIJklmnop_3CkxFw";
    const VECTOR_HASH: &str = "594a35771dcc2ba521206f37636900ca2ffab0d044ef2f92242d8a93b51cd58e";

    #[test]
    fn prefixes_are_checked() {
        for bad in ["", "a", "Pgk", "pg_k", "1ab", "abcdefghijklmnopq"] {
            assert_eq!(Token::generate(bad).unwrap_err(), BadPrefix(bad.to_owned()));
        }
        assert!(Token::generate("ab").is_ok());
    }

    #[test]
    fn checksum_is_base62_of_crc32_padded() {
        assert_eq!(checksum(b""), "000000");
        // The CRC32 check value: crc32("123456789") = 0xCBF43926.
        let mut n = 0xCBF4_3926_u32;
        let mut want = Vec::new();
        for _ in 0..6 {
            want.push(BASE62[usize::try_from(n % 62).unwrap()]);
            n /= 62;
        }
        want.reverse();
        assert_eq!(checksum(b"123456789").as_bytes(), &want[..]);
        assert!(ct_eq(b"abc", b"abc") && !ct_eq(b"abc", b"abd") && !ct_eq(b"abc", b"ab"));
    }
}
