//! No key copy outlives its owner: after each operation below, no block the Rust allocator got
//! back holds key bytes, subkeys, AES round keys, HMAC pad states or keyring text.
//!
//! A scanning `#[global_allocator]` (`freed_memory/scanner.rs`) logs every block freed or
//! reallocated while a case runs; afterwards the log is searched for the needles of every key
//! the case could have touched (`freed_memory/needles.rs`: computed here from the secrets,
//! independently of the library). The first tests prove the needles match the real layouts
//! of the cipher states and that the scanner catches a copy left behind; the rest are the
//! cases: the library's here, the CLI's in `freed_memory/cli_cases.rs`. SECURITY.md ("Secrets
//! in memory") says what this cannot see.
//!
//! A new case is one function: `#[test] fn name() { check(|learn| { ... }) }`. Build, use and
//! drop everything inside the closure; hand keyring texts of randomly generated keys to
//! `learn.text` (or files holding them to `learn.file`) so that their needles are searched
//! for too. The deterministic test keys (`key(i)`, `keys(n)`, `ring(n)`) are always searched
//! for. Run it with each backend: `cargo test --test freed_memory` (AWS-LC) and
//! `cargo test --no-default-features --test freed_memory` (RustCrypto).

mod cli_cases;
mod needles;
mod scanner;

#[allow(dead_code, clippy::all)]
#[path = "../../src/bin/sealed-session/args.rs"]
mod args;
#[allow(dead_code, clippy::all)]
#[path = "../../src/bin/sealed-session/input.rs"]
mod input;
#[allow(dead_code, clippy::all)]
#[path = "../../src/bin/sealed-session/keygen.rs"]
mod keygen;
#[allow(dead_code, clippy::all)]
#[path = "../../src/bin/sealed-session/keyring.rs"]
mod keyring;
#[allow(dead_code, clippy::all)]
#[path = "../../src/bin/sealed-session/output.rs"]
mod output;

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use zeroize::{Zeroize, Zeroizing};

use sealed_session::{Codec, Key, Keyring, Mode, RequestCookies};

use needles::{aes256_schedule, hmac_pad_states, key, keys, ring};
use scanner::{Scanning, check, scan};

#[global_allocator]
static ALLOCATOR: Scanning = Scanning;

fn now() -> SystemTime {
    UNIX_EPOCH + Duration::from_secs(1_800_000_000)
}

// ---------------------------------------------------------------------------------------------
// The scanner can fail.

/// FIPS-197 appendix A.3: the last word of the AES-256 expansion of its key.
#[test]
fn the_aes_schedule_needle_is_fips_197() {
    let key =
        hex::decode("603deb1015ca71be2b73aef0857d77811f352c073b6108d72d9810a30914dff4").unwrap();
    let schedule = aes256_schedule(&key.try_into().unwrap());
    assert_eq!(hex::encode(&schedule[236..]), "706c631e");
}

/// The bytes of a live value (to compare the needles with the real layouts).
fn bytes_of<T>(value: &T) -> &[u8] {
    // SAFETY: reading the initialized bytes of a live value; padding is not read as meaningful
    // (the search just will not match there).
    unsafe { std::slice::from_raw_parts((value as *const T).cast::<u8>(), size_of::<T>()) }
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(16).any(|w| w == &needle[..16])
}

/// The needles are what the cipher states hold: the HMAC pad states are inside a live
/// `Hmac<Sha256>`, the AES round keys inside a live `Xaes256Gcm` (and, with `aws-lc`, inside a
/// live AWS-LC AES key), so a freed copy of either would be found.
#[test]
fn the_needles_match_the_real_layouts() {
    use hmac::KeyInit as _;
    let k = [0x42u8; 32];
    let mac = hmac::Hmac::<sha2::Sha256>::new_from_slice(&k).unwrap();
    let pads = hmac_pad_states(&k);
    assert!(contains(bytes_of(&mac), &pads[..16]), "ipad state");
    assert!(contains(bytes_of(&mac), &pads[32..48]), "opad state");

    let xaes = <xaes_256_gcm::Xaes256Gcm as xaes_256_gcm::aead::KeyInit>::new(&k.into());
    let schedule = aes256_schedule(&k);
    for round in [2, 7, 14] {
        let rk = &schedule[16 * round..16 * round + 16];
        assert!(
            contains(bytes_of(&xaes), rk),
            "RustCrypto round key {round}"
        );
    }
    #[cfg(feature = "aws-lc")]
    {
        use aws_lc_rs::cipher::{AES_256, EncryptingKey, UnboundCipherKey};
        let aes = EncryptingKey::ecb(UnboundCipherKey::new(&AES_256, &k).unwrap()).unwrap();
        let swapped: Vec<u8> = schedule
            .chunks(4)
            .flat_map(|w| [w[3], w[2], w[1], w[0]])
            .collect();
        for round in [2, 7, 14] {
            let (rk, sw) = (&schedule[16 * round..][..16], &swapped[16 * round..][..16]);
            assert!(
                contains(bytes_of(&aes), rk) || contains(bytes_of(&aes), sw),
                "AWS-LC round key {round}"
            );
        }
    }
}

/// Copies left behind are found: a plain `Vec` copy of a keyring text, and a vector of secrets
/// that reallocates as it grows (the old blocks are freed unwiped), though the last block is
/// wiped.
#[test]
fn the_scanner_catches_copies_left_in_freed_blocks() {
    let hits = scan(|_| {
        let ring = ring(1);
        let text = ring.to_text();
        let copy: Vec<u8> = text.as_bytes().to_vec();
        drop(copy);
    });
    assert!(
        hits.iter()
            .any(|h| h.needle == "test key 0: secret, base64url"),
        "{hits:?}"
    );

    let hits = scan(|_| {
        // Test key 0's secret, decoded from its text form into a vector that grows: each
        // reallocation leaves the old block behind (the vector itself is wiped at the end).
        let text = ring(1).to_text();
        let bytes = Zeroizing::new(URL_SAFE_NO_PAD.decode(&text[14..57]).unwrap());
        let mut secrets: Vec<[u8; 32]> = Vec::new();
        for _ in 0..5 {
            secrets.push(bytes[..].try_into().unwrap());
        }
        secrets.iter_mut().for_each(Zeroize::zeroize);
    });
    assert!(
        hits.iter().any(|h| h.needle == "test key 0: secret"),
        "{hits:?}"
    );
}

// ---------------------------------------------------------------------------------------------
// The library.

#[test]
fn from_text() {
    for n in [1, 4, 5, 8, 16] {
        let text = ring(n).to_text();
        check(|_| {
            let parsed = Keyring::from_text(&text).unwrap();
            assert_eq!(parsed.keys().count(), n as usize);
        });
    }
}

#[test]
fn from_text_refused_after_valid_entries() {
    let mut text = Zeroizing::new(String::with_capacity(2048));
    text.push_str(&ring(6).to_text());
    text.push_str(",bogus");
    check(|_| assert!(Keyring::from_text(&text).is_err()));
}

#[test]
fn new_with_1_to_8_keys() {
    for n in 1..=8 {
        check(|_| drop(Keyring::new(keys(n)).unwrap()));
        // An iterator with no size hint, so the ring cannot size its entries from it.
        check(|_| {
            let mut all = keys(n).into_iter();
            let ring = Keyring::new(std::iter::from_fn(move || all.next())).unwrap();
            assert_eq!(ring.keys().count(), n as usize);
        });
    }
    // An array, moved in by value.
    check(|_| {
        let array: [Key; 5] = keys(5).try_into().ok().unwrap();
        drop(Keyring::new(array).unwrap());
    });
}

#[test]
fn new_with_16_keys_and_refused_rings() {
    check(|_| drop(Keyring::new(keys(16)).unwrap()));
    check(|_| assert!(Keyring::new(keys(17)).is_err()));
    check(|_| assert!(Keyring::new([key(1), key(1)]).is_err()));
    check(|_| assert!(Keyring::new(keys(6).into_iter().chain([key(3)])).is_err()));
}

#[test]
fn clone_compare_and_render() {
    check(|_| {
        let ring = ring(8);
        let copy = ring.clone();
        assert_eq!(ring, copy);
        drop(ring);
        assert_eq!(copy.to_text().len(), 4 + 8 * 66);
        let key = copy.keys().next().unwrap().clone();
        assert_eq!(&key, copy.keys().next().unwrap());
    });
}

#[test]
fn generate_and_derive() {
    check(|learn| {
        let ring = Keyring::generate().unwrap();
        learn.text(ring.to_text());
        let key = Key::generate().unwrap();
        let derived = Key::derive(&[7u8; 32], "freed-memory")
            .unwrap()
            .with_not_before(now());
        let ring = Keyring::new([key, derived]).unwrap();
        learn.text(ring.to_text());
    });
}

/// Rotation as an application (or the CLI) does it: a new keyring from the old one's keys
/// with one added, one changed (promoted, retired) or one removed.
#[test]
fn rotate_add_retire_remove() {
    check(|_| {
        let old = ring(5);
        let mut grown: Vec<Key> = old.keys().cloned().collect();
        grown.push(key(10).with_not_before(now()));
        let added = Keyring::new(grown).unwrap();
        let promoted = Keyring::new(added.keys().map(|k| {
            if k.id() == key(2).id() {
                k.clone().with_not_before(now() + Duration::from_secs(9))
            } else {
                k.clone()
            }
        }))
        .unwrap();
        let retired = Keyring::new(promoted.keys().map(|k| {
            if k.id() == key(0).id() {
                k.clone().with_not_after(now())
            } else {
                k.clone()
            }
        }))
        .unwrap();
        let removed =
            Keyring::new(retired.keys().filter(|k| k.id() != key(1).id()).cloned()).unwrap();
        assert_eq!(removed.keys().count(), 5);
    });
}

fn seal_and_open(mode: Mode) {
    check(|_| {
        let codec = Codec::<Vec<u8>>::builder(ring(3))
            .mode(mode)
            .build()
            .unwrap();
        let sealed = codec
            .seal(&vec![1, 2, 3], None, &RequestCookies::new(), now())
            .unwrap();
        let header: Vec<&str> = sealed.headers()[..sealed.chunk_count()]
            .iter()
            .map(|l| l.split(';').next().unwrap())
            .collect();
        let header = header.join("; ");
        let opened = codec
            .open(&RequestCookies::from(header.as_str()), now())
            .unwrap();
        assert_eq!(opened.unwrap().session, vec![1, 2, 3]);
        let tokens = Codec::<Vec<u8>>::builder(ring(2))
            .mode(mode)
            .purpose("api")
            .build()
            .unwrap();
        let token = tokens.seal_token(&vec![4], None, now()).unwrap();
        assert_eq!(tokens.open_token(&token, now()).unwrap().session, vec![4]);
        let mut forged = token.clone();
        forged.replace_range(forged.len() - 2.., "AA");
        assert!(tokens.open_token(&forged, now()).is_err());
    });
}

/// With `cargo test` the encrypted mode runs on AWS-LC; with `--no-default-features`, on
/// RustCrypto's `xaes-256-gcm`. Signed mode is RustCrypto's `hmac` in both.
#[test]
fn seal_and_open_encrypted() {
    seal_and_open(Mode::Encrypted);
}

#[test]
fn seal_and_open_signed() {
    seal_and_open(Mode::Signed);
}

#[test]
fn codec_build_and_drop() {
    check(|_| {
        let codec = Codec::<u8>::builder(ring(4)).build().unwrap();
        let clone = codec.clone();
        drop(codec);
        drop(clone);
    });
}

#[cfg(any(feature = "axum", feature = "actix"))]
#[test]
fn csrf_sign_and_verify() {
    use sealed_session::Session;
    check(|_| {
        let codec = Codec::<u8>::builder(ring(2)).build().unwrap();
        let session = Session::from_cookies(&codec, &RequestCookies::new(), now());
        session.set(1).unwrap();
        let token = session.csrf_token().unwrap();
        assert!(session.verify_csrf(&token));
    });
}
