//! Issue item 7: one error type, hand-written `Display` without secrets, a single
//! authentication variant (no oracle), and distinct operator-facing variants.

mod common;

use std::collections::HashSet;
use std::mem::discriminant;
use std::sync::Arc;
use std::time::{Duration, UNIX_EPOCH};

use common::{
    FailingRandom, at, b64_decode, b64_encode, before, cookie_header, distinct_key, key, now,
    pairs, ring, value_of,
};
use sealed_session::{
    ChunkError, Codec, CodecBuilder, Error, KeyId, Keyring, Mode, RequestCookies,
};

/// The purpose of the codecs here (tokens need a named one).
const PURPOSE: &str = "errors-test";

fn builder() -> CodecBuilder<String> {
    Codec::builder(ring()).purpose(PURPOSE)
}

fn open_header(c: &Codec<String>, header: &str) -> Result<String, Error> {
    c.open(&RequestCookies::from_header(header), now())
        .map(|o| o.expect("session present").session)
}

#[test]
fn every_variant_has_a_hand_written_message() {
    let cases: Vec<(Error, &str)> = vec![
        (
            Error::Authentication,
            "sealed session failed authentication",
        ),
        (
            Error::Malformed {
                reason: "empty value",
            },
            "malformed sealed session: empty value",
        ),
        (
            Error::UnknownKey {
                key_id: KeyId::new(0xab),
            },
            "sealed under key id 000000ab, which this keyring does not hold",
        ),
        (
            Error::RetiredKey {
                key_id: KeyId::new(0xab),
            },
            "sealed under key id 000000ab, which this keyring has retired",
        ),
        (
            Error::Expired { at: now() },
            "session expired at unix time 1800000000",
        ),
        (
            Error::Expired {
                at: UNIX_EPOCH - Duration::from_secs(1),
            },
            "session expired",
        ),
        (
            Error::NotYetValid,
            "session is dated in the future beyond clock skew",
        ),
        (
            Error::Chunks(ChunkError::Missing { index: 2 }),
            "session cookie chunk 2 is missing",
        ),
        (
            Error::Chunks(ChunkError::Duplicate { index: 1 }),
            "session cookie chunk 1 appears more than once",
        ),
        (
            Error::Chunks(ChunkError::Extra { index: 3 }),
            "session cookie chunk 3 is beyond the announced count",
        ),
        (
            Error::Chunks(ChunkError::MixedGeneration),
            "session cookie chunks come from different seals",
        ),
        (
            Error::Chunks(ChunkError::TooMany { count: 17, max: 16 }),
            "17 session cookie chunks exceed the cap of 16",
        ),
        (
            Error::TooLarge {
                needed: 9000,
                budget: 6144,
            },
            "sealed session needs 9000 bytes but the budget is 6144",
        ),
        (
            Error::NoSealingKey,
            "no key in the keyring may seal at this time",
        ),
        (
            Error::Serialization { reason: "r" },
            "session (de)serialization: r",
        ),
        (
            Error::UnknownSchema { version: 3 },
            "session written in schema version 3, which this codec does not read",
        ),
        (
            Error::OverwriteRefused {
                cause: Box::new(Error::UnknownKey {
                    key_id: KeyId::new(0xab),
                }),
            },
            "refusing to overwrite a session this node cannot read \
             (sealed under key id 000000ab, which this keyring does not hold)",
        ),
        (
            Error::InvalidKeyring {
                entry: 2,
                reason: "r",
            },
            "invalid keyring text (entry 2): r",
        ),
        (
            Error::InvalidConfig { reason: "r" },
            "invalid configuration: r",
        ),
        (
            Error::Randomness,
            "the operating system random generator failed",
        ),
    ];
    // Every variant of `Error` (15) and of `ChunkError` (5) appears in the table.
    let kinds: HashSet<_> = cases.iter().map(|(e, _)| discriminant(e)).collect();
    assert_eq!(
        kinds.len(),
        15,
        "a variant of Error is missing from the table"
    );
    let chunk_kinds = cases
        .iter()
        .filter_map(|(e, _)| match e {
            Error::Chunks(c) => Some(discriminant(c)),
            _ => None,
        })
        .collect::<HashSet<_>>();
    assert_eq!(chunk_kinds.len(), 5, "a variant of ChunkError is missing");
    for (err, text) in &cases {
        let shown = err.to_string();
        assert_eq!(&shown, text);
        assert_ne!(shown, format!("{err:?}"), "Display is not Debug");
        assert!(!shown.contains('{') && !shown.contains("::"), "{shown}");
    }
    assert_eq!(
        Error::from(ChunkError::MixedGeneration),
        Error::Chunks(ChunkError::MixedGeneration)
    );
}

#[test]
fn error_is_a_std_error_and_thread_safe() {
    fn assert_traits<E: std::error::Error + Send + Sync + Clone + 'static>() {}
    assert_traits::<Error>();
    let boxed: Box<dyn std::error::Error + Send + Sync> = Box::new(Error::Authentication);
    assert_eq!(boxed.to_string(), "sealed session failed authentication");
}

#[test]
fn errors_from_real_failures_never_contain_secrets_or_values() {
    let (k, secret) = distinct_key(0x42);
    let secret_b64 = b64_encode(&secret);
    let secret_hex = hex::encode(secret);
    let keyring_text = Keyring::new([k.clone()]).unwrap().to_text();
    let codec = Codec::<String>::builder(Keyring::new([k]).unwrap())
        .build()
        .unwrap();
    let plaintext = "top-secret-plaintext";
    let sealed = codec
        .seal(&plaintext.to_owned(), None, &RequestCookies::new(), now())
        .unwrap();
    let header = cookie_header(&sealed);
    let value = value_of(&header).to_owned();

    let mut errors = Vec::new();
    // Keyring texts that hold the secret but break a rule.
    for text in [
        format!("{}.zz1", &*keyring_text),
        format!("{},{}", &*keyring_text, &*keyring_text),
        keyring_text.replace("ssk1", "ssk9"),
        format!("{}x", &*keyring_text),
    ] {
        errors.push(Keyring::from_text(&text).unwrap_err());
    }
    // Opening the value where it does not belong.
    let other_secret = Codec::<String>::builder(Keyring::new([key(0x42, 1)]).unwrap())
        .build()
        .unwrap();
    errors.push(open_header(&other_secret, &header).unwrap_err());
    errors.push(open_header(&codec, &format!("{header}x")).unwrap_err());
    let late = codec.open(&RequestCookies::from_header(&header), at(10 * 24 * 3600));
    errors.push(late.unwrap_err());
    errors.push(
        Codec::<u64>::builder(Keyring::new([distinct_key(0x42).0]).unwrap())
            .build()
            .unwrap()
            .open(&RequestCookies::from_header(&header), now())
            .unwrap_err(),
    );
    let tight = Codec::<String>::builder(ring())
        .max_total_bytes(64)
        .build()
        .unwrap();
    errors.push(
        tight
            .seal(&plaintext.repeat(10), None, &RequestCookies::new(), now())
            .unwrap_err(),
    );

    assert!(errors.len() >= 9);
    for e in &errors {
        for shown in [e.to_string(), format!("{e:?}")] {
            for needle in [
                &secret_b64[..12],
                &secret_hex[..12],
                &value[10..30],
                plaintext,
            ] {
                assert!(!shown.contains(needle), "{needle} in {shown}");
            }
        }
    }
}

/// Every way of presenting a value to the wrong key material or the wrong binding.
fn misplaced_values(mode: Mode) -> Vec<(&'static str, Result<String, Error>)> {
    let c = builder().mode(mode).build().unwrap();
    let sealed = c
        .seal(&"alice".to_owned(), None, &RequestCookies::new(), now())
        .unwrap();
    let header = cookie_header(&sealed);
    let value = value_of(&header).to_owned();
    let token = c.seal_token(&"alice".to_owned(), None, now()).unwrap();
    let bytes = b64_decode(&value);

    let wrong_secret = Codec::<String>::builder(Keyring::new([key(1, 0x12)]).unwrap())
        .mode(mode)
        .purpose(PURPOSE)
        .build()
        .unwrap();
    let other_name = builder()
        .mode(mode)
        .cookie_name("__Host-other")
        .build()
        .unwrap();
    let other_purpose = builder().mode(mode).purpose("billing").build().unwrap();
    let other_mode = builder()
        .mode(if mode == Mode::Signed {
            Mode::Encrypted
        } else {
            Mode::Signed
        })
        .build()
        .unwrap();
    let flip = |i: usize| {
        let mut b = bytes.clone();
        b[i] ^= 0x01;
        format!("{}={}", c.cookie_name(), b64_encode(&b))
    };
    let last = bytes.len() - 1;
    vec![
        (
            "wrong secret, same key id",
            open_header(&wrong_secret, &header),
        ),
        (
            "wrong secret, token",
            wrong_secret.open_token(&token, now()).map(|o| o.session),
        ),
        (
            "moved to another cookie name",
            open_header(&other_name, &format!("__Host-other={value}")),
        ),
        (
            "moved to another purpose",
            open_header(&other_purpose, &header),
        ),
        ("moved to another mode", open_header(&other_mode, &header)),
        (
            "token to another purpose",
            other_purpose.open_token(&token, now()).map(|o| o.session),
        ),
        (
            "header byte 5 (nonce or payload) flipped",
            open_header(&c, &flip(5)),
        ),
        (
            "middle byte flipped",
            open_header(&c, &flip(bytes.len() / 2)),
        ),
        ("tag flipped", open_header(&c, &flip(last))),
    ]
}

#[test]
fn wrong_key_material_and_moved_values_are_all_the_one_authentication_error() {
    for mode in [Mode::Encrypted, Mode::Signed] {
        for (case, result) in misplaced_values(mode) {
            assert_eq!(result, Err(Error::Authentication), "{mode:?}: {case}");
        }
    }
    // Chunked values moved to another cookie name fail the same way.
    let c = builder().max_total_bytes(20_000).build().unwrap();
    let sealed = c
        .seal(&"v".repeat(6_000), None, &RequestCookies::new(), now())
        .unwrap();
    let moved: Vec<String> = pairs(&sealed)
        .iter()
        .map(|p| p.replacen("__Host-session", "__Host-other", 1))
        .collect();
    let other = builder()
        .cookie_name("__Host-other")
        .max_total_bytes(20_000)
        .build()
        .unwrap();
    assert_eq!(
        open_header(&other, &moved.join("; ")),
        Err(Error::Authentication)
    );
}

#[test]
fn operator_facing_failures_are_distinct_variants() {
    let c = builder().build().unwrap();
    let sealed = c
        .seal(&"x".to_owned(), None, &RequestCookies::new(), now())
        .unwrap();
    let header = cookie_header(&sealed);
    let other_key = Codec::<String>::builder(Keyring::new([key(2, 0x11)]).unwrap())
        .purpose(PURPOSE)
        .build()
        .unwrap();
    // The same key, held but retired (past its not_after) on this node.
    let retired =
        Codec::<String>::builder(Keyring::new([key(1, 0x11).with_not_after(before(1))]).unwrap())
            .purpose(PURPOSE)
            .build()
            .unwrap();
    // A release whose session type is at schema 1 and reads no older version.
    let newer_schema = builder().schema_version(1).build().unwrap();
    let tiny = builder().max_total_bytes(64).build().unwrap();
    let failures = [
        open_header(&c, "__Host-session=!!").unwrap_err(),
        open_header(&other_key, &header).unwrap_err(),
        open_header(&retired, &header).unwrap_err(),
        c.open(&RequestCookies::from_header(&header), at(30 * 24 * 3600))
            .unwrap_err(),
        c.open(
            &RequestCookies::from_header(&header),
            now() - Duration::from_secs(3600),
        )
        .unwrap_err(),
        // Two head cookies: ambiguous. (A chunk beside a whole value is a leftover, ignored.)
        open_header(&c, &format!("{header}; {header}")).unwrap_err(),
        open_header(&tiny, &header).unwrap_err(),
        open_header(&newer_schema, &header).unwrap_err(),
    ];
    let kinds = [
        "Malformed",
        "UnknownKey",
        "RetiredKey",
        "Expired",
        "NotYetValid",
        "Chunks",
        "TooLarge",
        "UnknownSchema",
    ];
    for (e, kind) in failures.iter().zip(kinds) {
        assert!(format!("{e:?}").starts_with(kind), "{kind}: {e:?}");
    }
    assert_eq!(
        failures[1],
        Error::UnknownKey {
            key_id: KeyId::new(1)
        }
    );
    assert_eq!(
        failures[2],
        Error::RetiredKey {
            key_id: KeyId::new(1)
        }
    );
    assert_eq!(
        failures[5],
        Error::Chunks(ChunkError::Duplicate { index: 0 })
    );
    assert_eq!(failures[7], Error::UnknownSchema { version: 0 });
    for i in 0..kinds.len() {
        assert_ne!(
            discriminant(&failures[i]),
            discriminant(&Error::Authentication)
        );
        for j in 0..i {
            assert_ne!(discriminant(&failures[i]), discriminant(&failures[j]));
        }
    }
}

#[test]
fn cookies_are_dead_answers_for_every_variant() {
    let id = KeyId::new(7);
    let cases: Vec<(Error, bool)> = vec![
        // Every node agrees these never open: delete.
        (Error::Authentication, true),
        (Error::Malformed { reason: "r" }, true),
        (Error::Expired { at: now() }, true),
        (Error::RetiredKey { key_id: id }, true),
        // A stored session's entry that is gone: no node finds it.
        (Error::StoreEntryMissing, true),
        (Error::Chunks(ChunkError::Missing { index: 1 }), true),
        (Error::Chunks(ChunkError::Extra { index: 2 }), true),
        (Error::Chunks(ChunkError::MixedGeneration), true),
        (
            Error::Chunks(ChunkError::TooMany { count: 17, max: 16 }),
            true,
        ),
        // Another node, a later request or another release may open them, or deleting them
        // cannot reach their cause (a planted duplicate): leave alone.
        (Error::Chunks(ChunkError::Duplicate { index: 0 }), false),
        (Error::Chunks(ChunkError::Duplicate { index: 3 }), false),
        (Error::UnknownKey { key_id: id }, false),
        (Error::NotYetValid, false),
        (
            Error::TooLarge {
                needed: 9000,
                budget: 6144,
            },
            false,
        ),
        (Error::UnknownSchema { version: 2 }, false),
        (Error::Serialization { reason: "r" }, false),
        // A store that did not answer: the entry may be there once it does.
        (
            Error::StoreUnavailable {
                reason: "r".to_owned(),
            },
            false,
        ),
        (
            Error::OverwriteRefused {
                cause: Box::new(Error::UnknownKey { key_id: id }),
            },
            false,
        ),
        // Even when its cause is a dead value, a refusal is not itself an open failure.
        (
            Error::OverwriteRefused {
                cause: Box::new(Error::Authentication),
            },
            false,
        ),
        // Not open failures: nothing to judge, nothing deleted.
        (Error::NoSealingKey, false),
        (
            Error::InvalidKeyring {
                entry: 1,
                reason: "r",
            },
            false,
        ),
        (Error::InvalidConfig { reason: "r" }, false),
        (Error::Randomness, false),
    ];
    for (e, dead) in &cases {
        assert_eq!(e.cookies_are_dead(), *dead, "{e:?}");
    }
    let kinds: HashSet<_> = cases.iter().map(|(e, _)| discriminant(e)).collect();
    assert_eq!(kinds.len(), 17, "a variant of Error is missing");
    let chunk_kinds: HashSet<_> = cases
        .iter()
        .filter_map(|(e, _)| match e {
            Error::Chunks(c) => Some(discriminant(c)),
            _ => None,
        })
        .collect();
    assert_eq!(chunk_kinds.len(), 5, "a variant of ChunkError is missing");

    // And the answers real failures get.
    let c = builder().build().unwrap();
    let sealed = c
        .seal(&"x".to_owned(), None, &RequestCookies::new(), now())
        .unwrap();
    let header = cookie_header(&sealed);
    let late = c
        .open(&RequestCookies::from_header(&header), at(30 * 24 * 3600))
        .unwrap_err();
    assert!(late.cookies_are_dead(), "{late:?}");
    let other_key = Codec::<String>::builder(Keyring::new([key(2, 0x11)]).unwrap())
        .build()
        .unwrap();
    let unknown = open_header(&other_key, &header).unwrap_err();
    assert!(!unknown.cookies_are_dead(), "{unknown:?}");
}

#[test]
fn randomness_failure_is_reported_not_papered_over() {
    let c = builder()
        .random_source(Arc::new(FailingRandom))
        .build()
        .unwrap();
    let r = c.seal(&"x".to_owned(), None, &RequestCookies::new(), now());
    assert_eq!(r.unwrap_err(), Error::Randomness);
    assert_eq!(
        c.seal_token(&"x".to_owned(), None, now()).unwrap_err(),
        Error::Randomness
    );
}

#[test]
fn a_payload_of_another_type_is_a_serialization_error() {
    let raw = Codec::<()>::builder(ring())
        .purpose(PURPOSE)
        .build()
        .unwrap();
    let sealed = raw
        .seal_bytes(b"", None, &RequestCookies::new(), now())
        .unwrap();
    let as_string = builder().build().unwrap();
    assert!(matches!(
        open_header(&as_string, &cookie_header(&sealed)),
        Err(Error::Serialization { .. })
    ));
}

#[test]
fn a_payload_of_a_longer_type_is_a_serialization_error_too() {
    let pair = Codec::<(u32, u32)>::builder(ring()).build().unwrap();
    let sealed = pair
        .seal(&(1, 2), None, &RequestCookies::new(), now())
        .unwrap();
    let single = Codec::<u32>::builder(ring()).build().unwrap();
    let header = cookie_header(&sealed);
    let result = single.open(&RequestCookies::from_header(&header), now());
    assert!(
        matches!(result, Err(Error::Serialization { .. })),
        "{result:?}"
    );
}

#[test]
fn every_error_kind_is_a_distinct_snake_case_name() {
    let errors = [
        Error::Authentication,
        Error::Malformed { reason: "x" },
        Error::UnknownKey {
            key_id: KeyId::new(1),
        },
        Error::RetiredKey {
            key_id: KeyId::new(1),
        },
        Error::Expired { at: UNIX_EPOCH },
        Error::NotYetValid,
        Error::Chunks(ChunkError::Missing { index: 1 }),
        Error::Chunks(ChunkError::Duplicate { index: 1 }),
        Error::Chunks(ChunkError::Extra { index: 1 }),
        Error::Chunks(ChunkError::MixedGeneration),
        Error::Chunks(ChunkError::TooMany { count: 20, max: 16 }),
        Error::TooLarge {
            needed: 2,
            budget: 1,
        },
        Error::NoSealingKey,
        Error::SealingKeyDropped {
            key_id: KeyId::new(1),
        },
        Error::KeySecretChanged {
            key_id: KeyId::new(1),
        },
        Error::Serialization { reason: "x" },
        Error::UnknownSchema { version: 9 },
        Error::OverwriteRefused {
            cause: Box::new(Error::NotYetValid),
        },
        Error::SessionCleared,
        Error::RevocationListFull { capacity: 1 },
        Error::StoreEntryMissing,
        Error::StoreUnavailable {
            reason: "x".to_owned(),
        },
        Error::InvalidKeyring {
            entry: 0,
            reason: "x",
        },
        Error::InvalidConfig { reason: "x" },
        Error::Randomness,
    ];
    let kinds: std::collections::BTreeSet<&str> = errors.iter().map(Error::kind).collect();
    assert_eq!(kinds.len(), errors.len(), "{kinds:?}");
    for kind in kinds {
        assert!(
            kind.bytes().all(|b| b.is_ascii_lowercase() || b == b'_'),
            "{kind}"
        );
    }
}
