use super::*;

/// libsodium's `test/default/secretbox.c`: `firstkey`, `nonce` and the
/// 131-byte message (after the 32 zero bytes of the NaCl API). The expected
/// output (MAC ‖ ciphertext) is what libsodium 1.0.18's
/// `crypto_secretbox_easy` prints for them, the vector of the NaCl paper.
const FIRSTKEY: &str = "1b27556473e985d462cd51197a9a46c76009549eac6474f206c4ee0844f68389";
const NONCE: &str = "69696ee955b62b73cd62bda875fc73d68219e0036b7a0b37";
const MESSAGE: &str =
    "be075fc53c81f2d5cf141316ebeb0c7b5228c52a4c62cbd44b66849b64244ffce5ecbaaf33bd751a\
1ac728d45e6c61296cdc3c01233561f41db66cce314adb310e3be8250c46f06dceea3a7fa1348057e2f6556ad6b1318a\
024a838f21af1fde048977eb48f59ffd4924ca1c60902e52f0a089bc76897040e082f937763848645e0705";
const SEALED: &str =
    "f3ffc7703f9400e52a7dfb4b3d3305d98e993b9f48681273c29650ba32fc76ce48332ea7164d96a4\
476fb8c531a1186ac0dfc17c98dce87b4da7f011ec48c97271d2c20f9b928fe2270d6fb863d51738b48eeee314a7cc8a\
b932164548e526ae90224368517acfeabd6bb3732bc0e9da99832b61ca01b6de56244a9e88d5f9b37973f622a43d14a6\
599b1f654cb45a74e355a5";

fn hex_array<const N: usize>(s: &str) -> [u8; N] {
    hex::decode(s).unwrap().try_into().unwrap()
}

fn key(id: &str, byte: u8) -> Key {
    Key::from_bytes(id, [byte; KEY_LEN]).unwrap()
}

#[test]
fn seal_raw_matches_libsodium_vector() {
    let k: [u8; 32] = hex_array(FIRSTKEY);
    let n: [u8; 24] = hex_array(NONCE);
    let m = hex::decode(MESSAGE).unwrap();
    assert_eq!(m.len(), 131);
    let sealed = seal_raw(&k, &n, &m);
    assert_eq!(hex::encode(&sealed), SEALED);
    assert_eq!(open_raw(&k, &n, &sealed).unwrap().as_slice(), m.as_slice());

    // libsodium's combined layout (nonce ‖ mac ‖ ciphertext) opens too.
    let combined = [n.as_slice(), sealed.as_slice()].concat();
    let k = Key::from_bytes("carcosa", k).unwrap();
    assert_eq!(
        open_combined(&k, &combined).unwrap().as_slice(),
        m.as_slice()
    );
}

#[test]
fn every_changed_byte_fails_authentication() {
    let k: [u8; 32] = hex_array(FIRSTKEY);
    let n: [u8; 24] = hex_array(NONCE);
    let sealed = hex::decode(SEALED).unwrap();
    for i in 0..sealed.len() {
        let mut bad = sealed.clone();
        bad[i] ^= 0x01;
        assert!(open_raw(&k, &n, &bad).is_none(), "flipped byte {i} opened");
    }
    assert!(open_raw(&k, &n, &sealed[..sealed.len() - 1]).is_none());
}

#[test]
fn envelopes_round_trip_and_name_their_key() {
    let ring = Keyring::new(key("k2", 2)).with_older(key("k1", 1)).unwrap();
    let env = ring.seal(b"s3cr3t access key");
    assert!(env.starts_with("pgts1:xsalsa20poly1305:k2:"), "{env}");
    assert_eq!(ring.open(&env).unwrap().as_slice(), b"s3cr3t access key");
    assert!(!ring.needs_rotation(&env).unwrap());

    // Two seals of one value differ (fresh nonce each time).
    assert_ne!(ring.seal(b"x"), ring.seal(b"x"));

    // Sealed under the old key: still opens, and needs rotation.
    let old = seal(&key("k1", 1), b"older");
    assert!(ring.needs_rotation(&old).unwrap());
    let resealed = ring.reseal(&old).unwrap();
    assert_eq!(envelope_key_id(&resealed).unwrap(), "k2");
    assert_eq!(ring.open(&resealed).unwrap().as_slice(), b"older");
}

#[test]
fn wrong_key_truncation_and_tampering_are_typed_errors() {
    let ring = Keyring::new(key("k1", 1));
    let env = ring.seal(b"value");

    // The same id with other bytes: authentication fails.
    let other = Keyring::new(key("k1", 9));
    assert_eq!(other.open(&env), Err(SecretError::Tampered("k1".into())));

    // A key the ring does not hold.
    let stranger = Keyring::new(key("k3", 3));
    assert_eq!(
        stranger.open(&env),
        Err(SecretError::UnknownKey("k1".into()))
    );

    // Truncated at any point.
    for cut in 1..env.len() {
        let r = ring.open(&env[..cut]);
        assert!(
            matches!(r, Err(SecretError::Malformed(_) | SecretError::Tampered(_))),
            "cut at {cut}: {r:?}"
        );
    }

    // A changed character of the body.
    let mut bytes = env.clone().into_bytes();
    let last = bytes.len() - 3;
    bytes[last] = if bytes[last] == b'A' { b'B' } else { b'A' };
    let tampered = String::from_utf8(bytes).unwrap();
    assert_eq!(
        ring.open(&tampered),
        Err(SecretError::Tampered("k1".into()))
    );

    // The key id in the envelope swapped for another key's: fails too.
    let swapped = env.replacen(":k1:", ":k0:", 1);
    let both = Keyring::new(key("k1", 1)).with_older(key("k0", 0)).unwrap();
    assert_eq!(both.open(&swapped), Err(SecretError::Tampered("k0".into())));

    assert_eq!(
        ring.open("pgts1:aes:k1:AAAA"),
        Err(SecretError::UnknownAlgorithm("aes".into()))
    );
    assert!(matches!(ring.open("hello"), Err(SecretError::Malformed(_))));
}

#[test]
fn keys_parse_from_text_and_never_show() {
    let text = "base64:GydVZHPphdRizVEZeppGx2AJVJ6sZHTyBsTuCET2g4k=";
    let k = Key::from_text("main", text).unwrap();
    assert_eq!(k.bytes.as_slice(), &hex_array::<32>(FIRSTKEY));
    assert_eq!(k.to_text().as_str(), text);
    let shown = format!("{k:?} {:?}", Keyring::new(k.clone()));
    assert!(!shown.contains("GydV") && !shown.contains("27"), "{shown}");

    let err = |t: &str| Key::from_text("main", t).unwrap_err().to_string();
    assert_eq!(
        err("GydVZHPphdRizVEZeppGx2AJVJ6sZHTyBsTuCET2g4k="),
        "key \"main\" is not usable: it does not start with base64:; write it as base64: followed \
         by 32 random bytes in base64 (e.g. `openssl rand -base64 32`)"
    );
    assert!(err("base64:not*base64").contains("is not valid base64"));
    assert!(err("base64:AAAA").contains("does not decode to exactly 32 bytes"));
    // The key text never appears in the error.
    assert!(!err("base64:c2VjcmV0LXRoYXQtaXMtdG9vLXNob3J0").contains("c2Vj"));

    assert_eq!(
        Key::from_text("Main!", text).unwrap_err(),
        SecretError::BadKeyId("Main!".into())
    );
    assert_eq!(
        Keyring::new(key("a", 1))
            .with_older(key("a", 2))
            .unwrap_err(),
        SecretError::DuplicateKeyId("a".into())
    );
    let generated = Key::generate("fresh").unwrap();
    assert_ne!(
        generated.bytes.as_slice(),
        Key::generate("fresh").unwrap().bytes.as_slice()
    );
}
