//! SCRAM-SHA-256 password verifiers, computed here so that `CREATE ROLE ...
//! PASSWORD` never carries the plain password to the server (where
//! `log_statement` could record it). PostgreSQL stores a verifier given in
//! this form as is (RFC 5802, RFC 7677; PostgreSQL's `scram_build_secret`).

use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine as _;
use hmac::{Hmac, Mac};
use sha2::{Digest, Sha256};

/// PostgreSQL's default iteration count.
pub const ITERATIONS: u32 = 4096;

type HmacSha256 = Hmac<Sha256>;

fn hmac(key: &[u8], data: &[u8]) -> [u8; 32] {
    // HMAC accepts keys of any length: new_from_slice cannot fail here.
    let mut mac = HmacSha256::new_from_slice(key).unwrap_or_else(|_| unreachable!());
    mac.update(data);
    mac.finalize().into_bytes().into()
}

/// `Hi(password, salt, i)` of RFC 5802 (PBKDF2-HMAC-SHA-256, one block).
fn salted_password(password: &[u8], salt: &[u8], iterations: u32) -> [u8; 32] {
    let mut block = salt.to_vec();
    block.extend_from_slice(&1u32.to_be_bytes());
    let mut u = hmac(password, &block);
    let mut out = u;
    for _ in 1..iterations {
        u = hmac(password, &u);
        for (o, x) in out.iter_mut().zip(u.iter()) {
            *o ^= x;
        }
    }
    out
}

/// The verifier for `password` with the given salt and iteration count.
pub fn verifier_with(password: &str, salt: &[u8], iterations: u32) -> String {
    let salted = salted_password(password.as_bytes(), salt, iterations);
    let client_key = hmac(&salted, b"Client Key");
    let stored_key = Sha256::digest(client_key);
    let server_key = hmac(&salted, b"Server Key");
    format!(
        "SCRAM-SHA-256${iterations}:{}${}:{}",
        B64.encode(salt),
        B64.encode(stored_key),
        B64.encode(server_key)
    )
}

/// A verifier with a fresh random salt, or `None` when the password is not
/// printable ASCII: PostgreSQL normalises other passwords with SASLprep,
/// which this module does not implement, so those are sent as they are.
pub fn verifier(password: &str) -> Option<String> {
    if password.is_empty() || !password.bytes().all(|b| (0x20..0x7f).contains(&b)) {
        return None;
    }
    let salt = uuid::Uuid::new_v4();
    Some(verifier_with(password, salt.as_bytes(), ITERATIONS))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn non_ascii_passwords_are_not_prehashed() {
        assert_eq!(verifier("pässword"), None);
        assert_eq!(verifier(""), None);
        assert!(verifier("plain-ascii 'pw'")
            .unwrap()
            .starts_with("SCRAM-SHA-256$4096:"));
    }

    /// The server's own verifier for the same password and salt is ours.
    #[tokio::test]
    async fn matches_what_postgresql_computes() {
        let role = pgtenant_testkit::TestRole::new("pgt_scram", "NOLOGIN").await;
        let mut conn = pgtenant_testkit::admin_conn().await;
        let password = "pencil-'x'-42";
        sqlx::raw_sql(&format!(
            "SET password_encryption = 'scram-sha-256'; ALTER ROLE {} PASSWORD {}",
            role.name,
            pgtenant_schema::ident::quote_literal(password)
        ))
        .execute(&mut conn)
        .await
        .unwrap();
        let stored: String =
            sqlx::query_scalar("SELECT rolpassword FROM pg_authid WHERE rolname = $1")
                .bind(&role.name)
                .fetch_one(&mut conn)
                .await
                .unwrap();
        // SCRAM-SHA-256$<iterations>:<salt>$<stored key>:<server key>
        let rest = stored.strip_prefix("SCRAM-SHA-256$").unwrap();
        let (iter, rest) = rest.split_once(':').unwrap();
        let salt = B64.decode(rest.split_once('$').unwrap().0).unwrap();
        assert_eq!(
            verifier_with(password, &salt, iter.parse().unwrap()),
            stored
        );
    }
}
