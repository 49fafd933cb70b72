//! Encrypted columns: libsodium-compatible secretbox (XSalsa20-Poly1305)
//! under keys from the environment, in a self-describing envelope, with
//! several keys at once for rotation and per-tenant data keys for
//! crypto-shredding.
//!
//! The primitive is RustCrypto's `crypto_secretbox`, which implements
//! NaCl/libsodium's `crypto_secretbox` byte for byte: [`seal_raw`] equals
//! libsodium's `crypto_secretbox_easy` (16-byte MAC, then the ciphertext)
//! and is tested against libsodium's own vector. Nothing here implements a
//! cipher by hand.
//!
//! An envelope is text, so it fits a `text` column and survives JSON:
//!
//! ```text
//! pgts1:xsalsa20poly1305:<key id>:<base64url(nonce ‖ mac ‖ ciphertext)>
//! ```
//!
//! It names the key that sealed it, so a [`Keyring`] holding the new key and
//! the old ones opens every value during a rotation, and
//! [`rotate::rotate_column`] rewrites the values sealed under an older key.
//!
//! Keys are written as `base64:` followed by the standard base64 of 32 bytes
//! (Carcosa's `CREDENTIALS_ENCRYPTION_KEY` format). A key never appears in
//! `Debug` output or in an error message, and key bytes are zeroed when the
//! key is dropped.

pub mod rotate;
pub mod tenant;

use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use base64::Engine as _;
use crypto_secretbox::aead::{Aead, AeadCore, KeyInit};
use crypto_secretbox::{Nonce, XSalsa20Poly1305};
use std::fmt;
use zeroize::Zeroizing;

/// Key length in bytes.
pub const KEY_LEN: usize = 32;
/// Nonce length in bytes.
pub const NONCE_LEN: usize = 24;
/// Authentication tag length in bytes.
pub const MAC_LEN: usize = 16;

/// The envelope's format tag.
pub const ENVELOPE_TAG: &str = "pgts1";
/// The only algorithm of format `pgts1`.
pub const ALGORITHM: &str = "xsalsa20poly1305";

/// What went wrong sealing or opening a value, or reading a key. No variant
/// carries key material or plaintext.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum SecretError {
    /// A key's text is not `base64:` + base64 of 32 bytes.
    #[error("key {id:?} is not usable: {problem}; write it as base64: followed by 32 random bytes in base64 (e.g. `openssl rand -base64 32`)")]
    BadKey { id: String, problem: &'static str },
    /// A key id with characters outside `[a-z0-9_-]` or of a bad length.
    #[error("key id {0:?} must be 1 to 32 characters of a-z, 0-9, _ and -")]
    BadKeyId(String),
    /// Two keys with one id in a keyring.
    #[error("key id {0:?} is given twice; every key of a keyring needs its own id")]
    DuplicateKeyId(String),
    /// An environment variable that should hold a key is not set.
    #[error("environment variable {0} is not set; it must hold the key (base64: + 32 bytes)")]
    MissingKeyVar(String),
    /// The value is not an envelope (or is truncated).
    #[error(
        "not a pgtenant envelope ({0}); the value was not sealed by pgtenant or was truncated"
    )]
    Malformed(&'static str),
    /// The envelope names an algorithm this version does not know.
    #[error("envelope algorithm {0:?} is not supported (this version knows xsalsa20poly1305)")]
    UnknownAlgorithm(String),
    /// The envelope was sealed under a key the keyring does not hold.
    #[error("the value was sealed under key {0:?}, which the keyring does not hold; add that key (as an older key) to open it")]
    UnknownKey(String),
    /// Authentication failed: wrong key, or the ciphertext was changed.
    #[error("the value does not authenticate under key {0:?}: it was tampered with, truncated, or sealed under another key with that id")]
    Tampered(String),
    /// The tenant's data key was destroyed (crypto-shredded).
    #[error(
        "the data key of tenant {0:?} was destroyed; its encrypted values can no longer be read"
    )]
    KeyDestroyed(String),
}

/// A 32-byte secretbox key with an id. Zeroed on drop; `Debug` shows only
/// the id.
#[derive(Clone)]
pub struct Key {
    id: String,
    bytes: Zeroizing<[u8; KEY_LEN]>,
}

impl fmt::Debug for Key {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Key")
            .field("id", &self.id)
            .finish_non_exhaustive()
    }
}

/// The one rule for key ids: 1 to 32 characters of `a-z`, `0-9`, `_`, `-`
/// (the manifest checks `[database.secrets]` with it).
pub fn validate_key_id(id: &str) -> Result<(), SecretError> {
    check_key_id(id)
}

fn check_key_id(id: &str) -> Result<(), SecretError> {
    let ok = (1..=32).contains(&id.len())
        && id
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_' || b == b'-');
    if ok {
        Ok(())
    } else {
        Err(SecretError::BadKeyId(id.to_owned()))
    }
}

impl Key {
    /// A key from its text form, `base64:` + the standard base64 of 32
    /// bytes (surrounding whitespace is ignored).
    pub fn from_text(id: &str, text: &str) -> Result<Key, SecretError> {
        check_key_id(id)?;
        let bad = |problem| SecretError::BadKey {
            id: id.to_owned(),
            problem,
        };
        let b64 = text
            .trim()
            .strip_prefix("base64:")
            .ok_or_else(|| bad("it does not start with base64:"))?;
        let decoded = Zeroizing::new(
            STANDARD
                .decode(b64)
                .map_err(|_| bad("the text after base64: is not valid base64"))?,
        );
        let bytes: [u8; KEY_LEN] = decoded
            .as_slice()
            .try_into()
            .map_err(|_| bad("it does not decode to exactly 32 bytes"))?;
        Key::from_bytes(id, bytes)
    }

    /// A key from raw bytes.
    pub fn from_bytes(id: &str, bytes: [u8; KEY_LEN]) -> Result<Key, SecretError> {
        check_key_id(id)?;
        Ok(Key {
            id: id.to_owned(),
            bytes: Zeroizing::new(bytes),
        })
    }

    /// A key read from environment variable `var`.
    pub fn from_env(id: &str, var: &str) -> Result<Key, SecretError> {
        let text = Zeroizing::new(
            std::env::var(var).map_err(|_| SecretError::MissingKeyVar(var.to_owned()))?,
        );
        Key::from_text(id, &text)
    }

    /// A new random key from the operating system's CSPRNG.
    pub fn generate(id: &str) -> Result<Key, SecretError> {
        let key = XSalsa20Poly1305::generate_key(&mut crypto_secretbox::aead::OsRng);
        let mut bytes = [0u8; KEY_LEN];
        bytes.copy_from_slice(&key);
        Key::from_bytes(id, bytes)
    }

    /// The key's id, as recorded in envelopes.
    pub fn id(&self) -> &str {
        &self.id
    }

    /// The key's text form (`base64:…`), to store it somewhere safe.
    pub fn to_text(&self) -> Zeroizing<String> {
        Zeroizing::new(format!("base64:{}", STANDARD.encode(*self.bytes)))
    }

    fn cipher(&self) -> XSalsa20Poly1305 {
        XSalsa20Poly1305::new(self.bytes.as_slice().into())
    }
}

/// libsodium's `crypto_secretbox_easy`: the 16-byte MAC followed by the
/// ciphertext of `plaintext` under `key` and `nonce`.
pub fn seal_raw(key: &[u8; KEY_LEN], nonce: &[u8; NONCE_LEN], plaintext: &[u8]) -> Vec<u8> {
    XSalsa20Poly1305::new(key.into())
        .encrypt(Nonce::from_slice(nonce), plaintext)
        .expect("XSalsa20-Poly1305 encryption has no failure case for in-memory buffers")
}

/// libsodium's `crypto_secretbox_open_easy`; `None` when the value does not
/// authenticate.
pub fn open_raw(
    key: &[u8; KEY_LEN],
    nonce: &[u8; NONCE_LEN],
    sealed: &[u8],
) -> Option<Zeroizing<Vec<u8>>> {
    XSalsa20Poly1305::new(key.into())
        .decrypt(Nonce::from_slice(nonce), sealed)
        .ok()
        .map(Zeroizing::new)
}

/// Open a libsodium "combined" value (`nonce ‖ mac ‖ ciphertext`, as
/// libsodium-wrappers' `crypto_secretbox_easy` users usually store it),
/// for importing values sealed outside pgtenant.
pub fn open_combined(key: &Key, combined: &[u8]) -> Result<Zeroizing<Vec<u8>>, SecretError> {
    if combined.len() < NONCE_LEN + MAC_LEN {
        return Err(SecretError::Malformed("shorter than a nonce and a MAC"));
    }
    let (nonce, sealed) = combined.split_at(NONCE_LEN);
    key.cipher()
        .decrypt(Nonce::from_slice(nonce), sealed)
        .map(Zeroizing::new)
        .map_err(|_| SecretError::Tampered(key.id.clone()))
}

/// The parts of an envelope.
struct Envelope<'a> {
    key_id: &'a str,
    combined: Vec<u8>,
}

fn parse_envelope(text: &str) -> Result<Envelope<'_>, SecretError> {
    let mut parts = text.splitn(4, ':');
    let (Some(tag), Some(alg), Some(key_id), Some(body)) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(SecretError::Malformed("expected four ':'-separated parts"));
    };
    if tag != ENVELOPE_TAG {
        return Err(SecretError::Malformed("it does not start with pgts1:"));
    }
    if alg != ALGORITHM {
        return Err(SecretError::UnknownAlgorithm(alg.to_owned()));
    }
    check_key_id(key_id).map_err(|_| SecretError::Malformed("the key id is not valid"))?;
    let combined = URL_SAFE_NO_PAD
        .decode(body)
        .map_err(|_| SecretError::Malformed("the body is not base64url"))?;
    if combined.len() < NONCE_LEN + MAC_LEN {
        return Err(SecretError::Malformed(
            "the body is shorter than a nonce and a MAC",
        ));
    }
    Ok(Envelope { key_id, combined })
}

/// The id of the key an envelope was sealed under.
pub fn envelope_key_id(envelope: &str) -> Result<&str, SecretError> {
    parse_envelope(envelope).map(|e| e.key_id)
}

/// Seal `plaintext` under `key` with a fresh random nonce, as an envelope.
pub fn seal(key: &Key, plaintext: &[u8]) -> String {
    let nonce = XSalsa20Poly1305::generate_nonce(&mut crypto_secretbox::aead::OsRng);
    let sealed = key
        .cipher()
        .encrypt(&nonce, plaintext)
        .expect("XSalsa20-Poly1305 encryption has no failure case for in-memory buffers");
    let mut combined = Vec::with_capacity(NONCE_LEN + sealed.len());
    combined.extend_from_slice(&nonce);
    combined.extend_from_slice(&sealed);
    format!(
        "{ENVELOPE_TAG}:{ALGORITHM}:{}:{}",
        key.id,
        URL_SAFE_NO_PAD.encode(combined)
    )
}

/// Keys in force: the newest seals, every one opens what it sealed.
#[derive(Debug, Clone)]
pub struct Keyring {
    keys: Vec<Key>,
}

impl Keyring {
    /// A keyring whose newest (sealing) key is `newest`.
    pub fn new(newest: Key) -> Keyring {
        Keyring { keys: vec![newest] }
    }

    /// Add an older key, still accepted for opening.
    pub fn with_older(mut self, key: Key) -> Result<Keyring, SecretError> {
        if self.keys.iter().any(|k| k.id == key.id) {
            return Err(SecretError::DuplicateKeyId(key.id));
        }
        self.keys.push(key);
        Ok(self)
    }

    /// A keyring from environment variables, newest first, each `(id, VAR)`.
    pub fn from_env(keys: &[(&str, &str)]) -> Result<Keyring, SecretError> {
        let mut iter = keys.iter();
        let Some((id, var)) = iter.next() else {
            return Err(SecretError::MissingKeyVar("(no key configured)".to_owned()));
        };
        let mut ring = Keyring::new(Key::from_env(id, var)?);
        for (id, var) in iter {
            ring = ring.with_older(Key::from_env(id, var)?)?;
        }
        Ok(ring)
    }

    /// The sealing key.
    pub fn newest(&self) -> &Key {
        &self.keys[0]
    }

    /// The key with this id.
    pub fn get(&self, id: &str) -> Option<&Key> {
        self.keys.iter().find(|k| k.id == id)
    }

    /// Seal under the newest key.
    pub fn seal(&self, plaintext: &[u8]) -> String {
        seal(self.newest(), plaintext)
    }

    /// Open an envelope sealed under any key of the ring.
    pub fn open(&self, envelope: &str) -> Result<Zeroizing<Vec<u8>>, SecretError> {
        let env = parse_envelope(envelope)?;
        let key = self
            .get(env.key_id)
            .ok_or_else(|| SecretError::UnknownKey(env.key_id.to_owned()))?;
        open_combined(key, &env.combined)
    }

    /// Whether `envelope` was sealed under an older key than the newest.
    pub fn needs_rotation(&self, envelope: &str) -> Result<bool, SecretError> {
        Ok(envelope_key_id(envelope)? != self.newest().id)
    }

    /// Open under whichever key sealed it and seal again under the newest.
    pub fn reseal(&self, envelope: &str) -> Result<String, SecretError> {
        let plain = self.open(envelope)?;
        Ok(self.seal(&plain))
    }
}

#[cfg(test)]
mod tests;
