//! Secrets never leak through formatting, and the types that hold them are wiped on drop.
//!
//! For keys with distinctive byte patterns (and their HKDF subkeys, and a master secret), the
//! `Debug` and `Display` output of keys, keyrings, codecs, every error a bad input or bad
//! configuration produces, metadata, opened sessions, sealed cookies and inspections must not
//! contain the bytes in any of these forms: hex (lower and upper case), base64 and base64url
//! (with and without padding, at each of the three byte alignments a key can have inside a
//! longer encoded string), Rust's decimal `Debug` of a byte slice, `\x` escapes, and the raw
//! bytes as text. Every form is also searched for 8-to-12-byte windows of the secret, so a
//! partial leak is caught too. A positive control checks that the detector finds the secret
//! where it is supposed to be (the keyring's text form).
//!
//! Zeroization cannot be observed from safe code (reading freed memory is undefined behaviour),
//! so it is checked statically: the types the crate keeps secrets in implement
//! `zeroize::ZeroizeOnDrop`.

mod common;

use std::collections::HashMap;
use std::marker::PhantomData;
use std::sync::Arc;
use std::time::Duration;

use base64::Engine;
use base64::engine::general_purpose::{STANDARD, STANDARD_NO_PAD, URL_SAFE, URL_SAFE_NO_PAD};
use hkdf::Hkdf;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use zeroize::{ZeroizeOnDrop, Zeroizing};

use common::{CountingRandom, FailingRandom, at, before, now};
use sealed_session::{
    Codec, CookieAttributes, Error, Expiry, Inspection, KEY_LEN, Key, KeyId, Keyring, Mode,
    RequestCookies,
};

// ---------------------------------------------------------------------------------------------
// The detector.

/// Every text form of `secret` (and of its windows) that must never appear in output.
fn forbidden_forms(secret: &[u8]) -> Vec<String> {
    let mut forms = Vec::new();
    let mut slices: Vec<&[u8]> = vec![secret];
    for w in [8usize, 12] {
        if secret.len() > w {
            slices.extend(secret.windows(w));
        }
    }
    for s in slices {
        let hex = hex::encode(s);
        forms.push(hex.to_uppercase());
        forms.push(hex);
        let dec = format!("{s:?}");
        forms.push(dec[1..dec.len() - 1].to_owned());
        let esc: String = s.iter().map(|b| format!("\\x{b:02x}")).collect();
        forms.push(esc.to_uppercase().replace("\\X", "\\x"));
        forms.push(esc);
        if s.iter().all(|b| b.is_ascii_graphic()) {
            forms.push(String::from_utf8(s.to_vec()).unwrap());
        }
        forms.extend(base64_cores(s));
    }
    forms
}

/// The characters of a base64 encoding that depend only on `s`, whatever precedes or follows
/// it: for each of the 3 alignments of `s` in a longer byte string, encode it after 0, 1 or 2
/// other bytes and keep the characters that contain no bit of those bytes or of what follows.
/// In the standard and URL-safe alphabets; padding only ever follows, so it is covered.
fn base64_cores(s: &[u8]) -> Vec<String> {
    let mut cores = Vec::new();
    for shift in 0..3usize {
        let mut buf = vec![0u8; shift];
        buf.extend_from_slice(s);
        let first = (8 * shift).div_ceil(6);
        let last = (8 * (shift + s.len())) / 6; // characters wholly inside the string
        for engine in [&STANDARD, &URL_SAFE] {
            let enc = engine.encode(&buf);
            cores.push(enc[first..last].to_owned());
        }
    }
    cores
}

/// A secret to look for, with a label for messages.
struct Secret {
    label: String,
    forms: Vec<String>,
}

impl Secret {
    fn new(label: impl Into<String>, bytes: &[u8]) -> Self {
        Secret {
            label: label.into(),
            forms: forbidden_forms(bytes),
        }
    }

    /// The first forbidden form `text` contains.
    fn found_in<'a>(&'a self, text: &str) -> Option<&'a str> {
        self.forms
            .iter()
            .find(|f| text.contains(f.as_str()))
            .map(String::as_str)
    }
}

/// Collects formatted outputs and checks them against every secret.
#[derive(Default)]
struct Outputs {
    texts: Vec<(String, String)>,
}

impl Outputs {
    fn debug(&mut self, what: impl Into<String>, value: &dyn std::fmt::Debug) {
        let what = what.into();
        self.texts
            .push((format!("{what} {{:?}}"), format!("{value:?}")));
        self.texts
            .push((format!("{what} {{:#?}}"), format!("{value:#?}")));
    }

    fn display(&mut self, what: impl Into<String>, value: &dyn std::fmt::Display) {
        self.texts
            .push((format!("{} {{}}", what.into()), format!("{value}")));
    }

    fn error(&mut self, what: impl Into<String>, error: &Error) {
        let what = what.into();
        self.debug(format!("error from {what}"), error);
        self.display(format!("error from {what}"), error);
    }

    /// Asserts no output contains any secret's forbidden form; returns the number of
    /// (output, form) pairs checked.
    fn assert_clean(&self, secrets: &[Secret]) -> usize {
        let (leaks, forms) = self.leaks(secrets);
        assert!(leaks.is_empty(), "{}", leaks.join("\n"));
        self.texts.len() * forms
    }

    /// Every occurrence of a forbidden form in an output, and the number of forms. Forms are
    /// indexed by their first `KEY` bytes so each text is scanned once, whatever their number.
    fn leaks(&self, secrets: &[Secret]) -> (Vec<String>, usize) {
        const KEY: usize = 8;
        let mut index: HashMap<&[u8], Vec<(&str, &str)>> = HashMap::new();
        let mut forms = 0;
        for s in secrets {
            for f in &s.forms {
                assert!(f.len() >= KEY, "form {f:?} shorter than {KEY}");
                index
                    .entry(&f.as_bytes()[..KEY])
                    .or_default()
                    .push((s.label.as_str(), f.as_str()));
                forms += 1;
            }
        }
        let mut leaks = Vec::new();
        for (what, text) in &self.texts {
            let bytes = text.as_bytes();
            for start in 0..bytes.len().saturating_sub(KEY - 1) {
                let Some(candidates) = index.get(&bytes[start..start + KEY]) else {
                    continue;
                };
                for (label, form) in candidates {
                    if bytes[start..].starts_with(form.as_bytes()) {
                        leaks.push(format!("{what} contains {label} as {form:?}: {text}"));
                    }
                }
            }
        }
        (leaks, forms)
    }
}

// ---------------------------------------------------------------------------------------------
// Keys with distinctive patterns.

fn patterned_secrets() -> Vec<(&'static str, [u8; KEY_LEN])> {
    let (_, distinct) = common::distinct_key(1);
    let deadbeef: [u8; KEY_LEN] = std::array::from_fn(|i| [0xde, 0xad, 0xbe, 0xef][i % 4]);
    // Printable ASCII: a leak through a lossy UTF-8 rendering would show as text.
    let ascii: [u8; KEY_LEN] = std::array::from_fn(|i| b'A' + i as u8);
    let hashed: [u8; KEY_LEN] = Sha256::digest(b"sealed-session tests/secrets.rs").into();
    let ramp: [u8; KEY_LEN] = std::array::from_fn(|i| (i as u8).wrapping_mul(8).wrapping_add(3));
    vec![
        ("distinct", distinct),
        ("deadbeef", deadbeef),
        ("ascii", ascii),
        ("sha256", hashed),
        ("ramp", ramp),
    ]
}

/// The two subkeys of FORMAT.md 2.3.
fn subkeys(secret: &[u8; KEY_LEN]) -> [[u8; 32]; 2] {
    let hkdf = Hkdf::<Sha256>::from_prk(secret).unwrap();
    let mut enc = [0u8; 32];
    let mut mac = [0u8; 32];
    hkdf.expand(b"sealed-session/v1/xaes-256-gcm", &mut enc)
        .unwrap();
    hkdf.expand(b"sealed-session/v1/hmac-sha256", &mut mac)
        .unwrap();
    [enc, mac]
}

/// A key's secret, read back from the keyring text form (the one place it is meant to be).
fn secret_from_text(ring: &Keyring, id: KeyId) -> [u8; KEY_LEN] {
    let text = ring.to_text();
    let entry = text
        .split(',')
        .find(|e| e.starts_with(&id.to_string()))
        .unwrap();
    URL_SAFE_NO_PAD
        .decode(entry.split('.').nth(1).unwrap())
        .unwrap()
        .try_into()
        .unwrap()
}

#[derive(Serialize, Deserialize, Debug, PartialEq, Clone)]
struct Session {
    user: String,
    roles: Vec<String>,
    blob: Vec<u8>,
}

fn session(blob: usize) -> Session {
    Session {
        user: "alice".into(),
        roles: vec!["admin".into()],
        blob: vec![0x42; blob],
    }
}

/// The purpose of the codecs here (tokens need a named one).
const PURPOSE: &str = "secrets-test";

fn codec(ring: &Keyring, mode: Mode) -> Codec<Session> {
    Codec::builder(ring.clone())
        .mode(mode)
        .purpose(PURPOSE)
        .max_cookie_bytes(1000)
        .random_source(Arc::new(CountingRandom::new(11)))
        .build()
        .unwrap()
}

fn header(sealed: &sealed_session::SealedCookies) -> String {
    common::cookie_header(sealed)
}

/// Everything a key's life produces that can be formatted, for one keyring.
fn exercise(out: &mut Outputs, ring: &Keyring, label: &str) {
    out.debug(format!("{label} keyring"), ring);
    for key in ring.keys() {
        out.debug(format!("{label} key"), key);
        out.display(format!("{label} key id"), &key.id());
        out.debug(format!("{label} key id"), &key.id());
    }
    for mode in [Mode::Encrypted, Mode::Signed] {
        let label = format!("{label} {mode:?}");
        let c = codec(ring, mode);
        out.debug(format!("{label} codec"), &c);

        // Seal and open, unchunked and chunked, and a token.
        for blob in [10, 900] {
            let sealed = c
                .seal(&session(blob), None, &RequestCookies::new(), now())
                .unwrap();
            out.debug(format!("{label} sealed cookies"), &sealed);
            out.debug(format!("{label} metadata"), sealed.metadata());
            let h = header(&sealed);
            let opened = c
                .open(&RequestCookies::from_header(&h), now())
                .unwrap()
                .unwrap();
            out.debug(format!("{label} opened"), &opened);
            out.display(format!("{label} session id"), &opened.metadata.session_id());
            let inspection =
                Inspection::of_cookies(&RequestCookies::from_header(&h), c.cookie_name())
                    .unwrap()
                    .unwrap();
            out.debug(format!("{label} inspection"), &inspection);
            if let Some(reason) = opened.metadata.reseal_reason() {
                out.display(format!("{label} reseal reason"), &reason);
            }

            // Errors from bad input, each variant a client can cause.
            let chunked = sealed.chunk_count() > 1;
            let pairs = common::pairs(&sealed);
            let open = |h: &str| c.open(&RequestCookies::from_header(h), now());
            let mut tampered = pairs.clone();
            let last = tampered.len() - 1;
            let flip = tampered[last].pop().unwrap();
            tampered[last].push(if flip == 'A' { 'Q' } else { 'A' });
            let errors: Vec<(&str, Result<_, Error>)> = vec![
                ("tampered value", open(&tampered.join("; "))),
                ("bad base64", open("__Host-session=!!!!")),
                (
                    "expired",
                    c.open(&RequestCookies::from_header(&h), at(400 * 86400)),
                ),
                (
                    "not yet valid",
                    c.open(&RequestCookies::from_header(&h), before(86400)),
                ),
                ("duplicate", open(&format!("{h}; {}", pairs[0]))),
                (
                    "too large",
                    open(&format!("__Host-session={}", "A".repeat(7000))),
                ),
                (
                    "too many chunks",
                    open(&format!(
                        "__Host-session={}",
                        common::b64_encode(&[0x1c, 0, 200, 0, 0, 0, 0, 0])
                    )),
                ),
            ];
            let mut errors: Vec<(String, Error)> = errors
                .into_iter()
                .map(|(w, r)| (w.to_owned(), r.expect_err(w)))
                .collect();
            // A leftover chunk beside the session is ignored: it opens.
            let with_leftover = c
                .open(
                    &RequestCookies::from_header(&format!("{h}; __Host-session.9=AAAA")),
                    now(),
                )
                .unwrap()
                .unwrap();
            out.debug(format!("{label} opened beside a leftover"), &with_leftover);
            if chunked {
                // Chunk 1's value under chunk 0's name and the other way round.
                let mut swapped: Vec<(String, String)> = pairs
                    .iter()
                    .map(|p| {
                        let (n, v) = p.split_once('=').unwrap();
                        (n.to_owned(), v.to_owned())
                    })
                    .collect();
                let v0 = swapped[0].1.clone();
                swapped[0].1 = std::mem::replace(&mut swapped[1].1, v0);
                let swapped: Vec<String> =
                    swapped.iter().map(|(n, v)| format!("{n}={v}")).collect();
                for (w, r) in [
                    ("missing chunk", open(&pairs[..1].join("; "))),
                    ("mixed generation", open(&swapped.join("; "))),
                ] {
                    errors.push((w.to_owned(), r.expect_err(w)));
                }
            }
            for (what, e) in &errors {
                out.error(format!("{label} {what}"), e);
            }
            // The token path.
            let token = c.seal_token(&session(blob), None, now());
            match token {
                Ok(t) => {
                    let opened = c.open_token(&t, now()).unwrap();
                    out.debug(format!("{label} opened token"), &opened);
                    let mut forged = t.clone();
                    forged.insert(5, 'A');
                    out.error(
                        format!("{label} forged token"),
                        &c.open_token(&forged, now()).unwrap_err(),
                    );
                }
                Err(e) => out.error(format!("{label} token too large"), &e),
            }
            // The same value opened by a codec for another application: authentication.
            let other_app = Codec::<Session>::builder(ring.clone())
                .mode(mode)
                .purpose("another-app")
                .build()
                .unwrap();
            out.error(
                format!("{label} another purpose"),
                &other_app
                    .open(&RequestCookies::from_header(&h), now())
                    .unwrap_err(),
            );
        }

        // A value of another type: authentic but not a Session.
        let raw = Codec::<()>::builder(ring.clone())
            .mode(mode)
            .purpose(PURPOSE)
            .build()
            .unwrap();
        let sealed = raw
            .seal_bytes(&[0xff, 0xff], None, &RequestCookies::new(), now())
            .unwrap();
        out.error(
            format!("{label} serialization"),
            &c.open(&RequestCookies::from_header(&header(&sealed)), now())
                .unwrap_err(),
        );
        // Sealing errors: too large, randomness.
        out.error(
            format!("{label} seal too large"),
            &c.seal(&session(20_000), None, &RequestCookies::new(), now())
                .unwrap_err(),
        );
        let failing = Codec::<Session>::builder(ring.clone())
            .mode(mode)
            .random_source(Arc::new(FailingRandom))
            .build()
            .unwrap();
        out.error(
            format!("{label} randomness"),
            &failing
                .seal(&session(1), None, &RequestCookies::new(), now())
                .unwrap_err(),
        );
    }
}

/// Keyring texts that carry a secret but are invalid: the error must not echo them.
fn keyring_text_errors(out: &mut Outputs, secret: &[u8; KEY_LEN], label: &str) {
    let b64 = URL_SAFE_NO_PAD.encode(secret);
    let std_b64 = STANDARD_NO_PAD.encode(secret);
    let mut texts = vec![
        format!("ssk1,00000001.{b64}.nbX"),
        format!("ssk1,00000001.{b64}.na1.nb2"),
        format!("ssk1,0000001.{b64}"),
        format!("ssk1,00000001.{}", &b64[..42]),
        format!("ssk1,00000001.{b64}A"),
        format!("SSK1,00000001.{b64}"),
        format!("ssk1,00000001.{b64},00000001.{b64}"),
        b64.clone(),
        format!("ssk1,00000001.{b64} trailing"),
        format!("ssk1,00000001.{}", hex::encode(secret)),
    ];
    if std_b64 != b64 {
        texts.push(format!("ssk1,00000001.{std_b64}"));
    }
    for (i, t) in texts.iter().enumerate() {
        let e = Keyring::from_text(t).expect_err(t);
        out.error(format!("{label} keyring text #{i}"), &e);
        let e = t.parse::<Keyring>().expect_err(t);
        out.error(format!("{label} keyring FromStr #{i}"), &e);
    }
}

// ---------------------------------------------------------------------------------------------
// Tests.

#[test]
fn the_detector_finds_secrets_where_they_are() {
    for (label, secret) in patterned_secrets() {
        let s = Secret::new(label, &secret);
        let ring = Keyring::new([Key::new(KeyId::new(1), secret)]).unwrap();
        assert!(s.found_in(&ring.to_text()).is_some(), "{label}: text form");
        for prefix in 0..3 {
            let mut bytes = vec![0x99u8; prefix];
            bytes.extend_from_slice(&secret);
            bytes.push(0x77);
            for enc in [
                STANDARD.encode(&bytes),
                STANDARD_NO_PAD.encode(&bytes),
                URL_SAFE.encode(&bytes),
                URL_SAFE_NO_PAD.encode(&bytes),
                hex::encode(&bytes),
                hex::encode_upper(&bytes),
                format!("{bytes:?}"),
                format!("{:?}", bytes::Bytes(&bytes)),
            ] {
                assert!(
                    s.found_in(&enc).is_some(),
                    "{label}: prefix {prefix}: {enc}"
                );
            }
        }
        // A partial leak: 9 bytes of the middle of the secret.
        assert!(s.found_in(&hex::encode(&secret[10..19])).is_some());
        assert!(
            s.found_in(&URL_SAFE_NO_PAD.encode(&secret[5..19]))
                .is_some()
        );
    }
}

/// Formats bytes with `\x` escapes, as `b"..."` literals and some byte-string types print.
mod bytes {
    pub struct Bytes<'a>(pub &'a [u8]);

    impl std::fmt::Debug for Bytes<'_> {
        fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            f.write_str("b\"")?;
            for b in self.0 {
                write!(f, "\\x{b:02x}")?;
            }
            f.write_str("\"")
        }
    }
}

#[test]
fn formatting_never_reveals_key_material() {
    let mut secrets = Vec::new();
    let mut out = Outputs::default();
    let mut all_keys = Vec::new();

    for (i, (label, secret)) in patterned_secrets().into_iter().enumerate() {
        secrets.push(Secret::new(format!("{label} secret"), &secret));
        for (j, sub) in subkeys(&secret).iter().enumerate() {
            secrets.push(Secret::new(format!("{label} subkey {j}"), sub));
        }
        let id = KeyId::new(0x1000 + i as u32);
        let ring = Keyring::new([Key::new(id, secret)]).unwrap();
        exercise(&mut out, &ring, label);
        keyring_text_errors(&mut out, &secret, label);
        all_keys.push(
            Key::new(id, secret)
                .with_not_before(before(1000 * (i as u64 + 1)))
                .with_not_after(at(1_000_000)),
        );
    }

    // A generated key and a derived key (whose master secret must not leak either).
    let generated = Key::generate().unwrap();
    let generated_ring = Keyring::new([generated.clone()]).unwrap();
    let secret = secret_from_text(&generated_ring, generated.id());
    secrets.push(Secret::new("generated secret", &secret));
    exercise(&mut out, &generated_ring, "generated");

    let master: Vec<u8> = (0u8..48)
        .map(|i| i.wrapping_mul(29).wrapping_add(7))
        .collect();
    secrets.push(Secret::new("master secret", &master));
    let derived = Key::derive(&master, "sessions-2026-11").unwrap();
    let derived_ring = Keyring::new([derived.clone()]).unwrap();
    let secret = secret_from_text(&derived_ring, derived.id());
    secrets.push(Secret::new("derived secret", &secret));
    exercise(&mut out, &derived_ring, "derived");
    out.error(
        "short master secret",
        &Key::derive(&master[..31], "x").unwrap_err(),
    );

    // Every key in one ring: rotation states, non-primary keys.
    all_keys.push(generated.with_not_before(at(3600)));
    let big = Keyring::new(all_keys.clone()).unwrap();
    exercise(&mut out, &big, "all keys");
    for key in big.keys() {
        if let Some(state) = big.state(key.id(), now()) {
            out.display("key state", &state);
            out.debug("key state", &state);
        }
    }

    // Configuration errors that hold keys nearby.
    out.error(
        "duplicate key ids",
        &Keyring::new([all_keys[0].clone(), all_keys[0].clone()]).unwrap_err(),
    );
    out.error(
        "no sealing key",
        &Codec::<Session>::builder(
            Keyring::new([all_keys[1].clone().with_not_before(at(3600))]).unwrap(),
        )
        .build()
        .unwrap()
        .seal(&session(1), None, &RequestCookies::new(), now())
        .unwrap_err(),
    );
    out.error(
        "bad attributes",
        &Codec::<Session>::builder(big.clone())
            .attributes(CookieAttributes::default().secure(false))
            .build()
            .unwrap_err(),
    );
    out.error(
        "bad expiry",
        &Codec::<Session>::builder(big.clone())
            .expiry(Expiry::default().clock_skew(Duration::from_secs(100_000)))
            .build()
            .unwrap_err(),
    );
    out.error("bad key id", &"xyz".parse::<KeyId>().unwrap_err());
    let other = Keyring::new([Key::new(KeyId::new(0xbad), [0x01; KEY_LEN])]).unwrap();
    let token = codec(&other, Mode::Encrypted)
        .seal_token(&session(1), None, now())
        .unwrap();
    out.error(
        "unknown key",
        &codec(&big, Mode::Encrypted)
            .open_token(&token, now())
            .unwrap_err(),
    );

    // The same key, held but retired; a release that reads another schema version; and the
    // adapters' refusal to write over what they cannot read.
    let live = Keyring::new([all_keys[0].clone()]).unwrap();
    let live_token = codec(&live, Mode::Encrypted)
        .seal_token(&session(1), None, now())
        .unwrap();
    let retired = Keyring::new([all_keys[0].clone().with_not_after(before(1))]).unwrap();
    let retired_error = codec(&retired, Mode::Encrypted)
        .open_token(&live_token, now())
        .unwrap_err();
    out.error("retired key", &retired_error);
    let newer = Codec::<Session>::builder(live.clone())
        .purpose(PURPOSE)
        .schema_version(7)
        .build()
        .unwrap();
    out.error(
        "unknown schema",
        &newer.open_token(&live_token, now()).unwrap_err(),
    );
    out.error(
        "overwrite refused",
        &Error::OverwriteRefused {
            cause: Box::new(retired_error),
        },
    );

    // Every Error variant appeared (the enum is non_exhaustive; these are the ones today, less
    // ChunkError::Extra, which format-2 openers no longer produce).
    let seen: Vec<&String> = out.texts.iter().map(|(_, t)| t).collect();
    for variant in [
        "Authentication",
        "Malformed",
        "UnknownKey",
        "RetiredKey",
        "Expired",
        "NotYetValid",
        "Chunks(Missing",
        "Chunks(Duplicate",
        "Chunks(MixedGeneration",
        "Chunks(TooMany",
        "TooLarge",
        "NoSealingKey",
        "Serialization",
        "UnknownSchema",
        "OverwriteRefused",
        "InvalidKeyring",
        "InvalidConfig",
        "Randomness",
    ] {
        assert!(
            seen.iter().any(|t| t.starts_with(variant)),
            "no output of Error::{variant}"
        );
    }

    let checks = out.assert_clean(&secrets);
    let forms: usize = secrets.iter().map(|s| s.forms.len()).sum();
    println!(
        "{} outputs x {} secrets ({forms} forbidden forms in all): {checks} (output, form) \
         pairs checked, no leak",
        out.texts.len(),
        secrets.len()
    );
    assert!(out.texts.len() > 500, "only {} outputs", out.texts.len());
}

// ---------------------------------------------------------------------------------------------
// Zeroize on drop.

fn zeroizes_on_drop<T: ZeroizeOnDrop>() {}

/// The types the crate holds secrets in wipe them on drop: `Key`'s secret is a boxed array
/// wiped by its `Drop` (src/keyring/key.rs, `Secret`; that no freed block holds it is
/// `tests/freed_memory`); each keyring entry's ciphers are RustCrypto's `Xaes256Gcm` and
/// `Hmac<Sha256>` built with their `zeroize` features (src/crypto.rs, `KeyCipher`;
/// Cargo.toml); the keyring's text form is returned as a `Zeroizing<String>`.
///
/// `Hmac<Sha256>` (hmac 0.13) does not declare `ZeroizeOnDrop` itself: its state is two keyed
/// SHA-256 cores (the inner and outer pads absorbed), and those do wipe themselves on drop with
/// sha2's `zeroize` feature, which is what is asserted for it.
#[test]
fn secret_holders_zeroize_on_drop() {
    use sha2::digest::block_api::CoreProxy;
    zeroizes_on_drop::<Zeroizing<[u8; KEY_LEN]>>();
    zeroizes_on_drop::<xaes_256_gcm::Xaes256Gcm>();
    zeroizes_on_drop::<<Sha256 as CoreProxy>::Core>();
    zeroizes_on_drop::<Zeroizing<String>>();
    let text: Zeroizing<String> = Keyring::generate().unwrap().to_text();
    assert!(text.starts_with("ssk1,"));
}

/// Whether `T: ZeroizeOnDrop`, decided at compile time without requiring it (autoref
/// specialization: the inherent-looking `Yes` method wins when its bound holds).
struct Probe<T>(PhantomData<T>);

trait Yes {
    fn zeroize_on_drop(&self) -> bool {
        true
    }
}
impl<T: ZeroizeOnDrop> Yes for Probe<T> {}

trait No {
    fn zeroize_on_drop(&self) -> bool {
        false
    }
}
impl<T> No for &Probe<T> {}

macro_rules! declares_zeroize_on_drop {
    ($t:ty) => {
        (&Probe::<$t>(PhantomData)).zeroize_on_drop()
    };
}

#[test]
fn the_probe_tells_zeroize_on_drop_types_apart() {
    assert!(declares_zeroize_on_drop!(Zeroizing<[u8; 32]>));
    assert!(!declares_zeroize_on_drop!([u8; 32]));
}

/// `Key` and `Keyring` wipe their secrets on drop (through the fields above) and declare it with
/// the `zeroize::ZeroizeOnDrop` marker, so users can require it in bounds.
#[test]
fn key_and_keyring_declare_zeroize_on_drop() {
    assert!(declares_zeroize_on_drop!(Key), "Key");
    assert!(declares_zeroize_on_drop!(Keyring), "Keyring");
}
