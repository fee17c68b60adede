//! Issue item 6: `seal_token` / `open_token`, one unchunked string with the protections of a
//! cookie.

mod common;

use std::time::Duration;

use common::{at, b64_decode, b64_encode, b64_len, cookie_header, key, now, pairs, ring, value_of};
use sealed_session::{
    Codec, CodecBuilder, DEFAULT_PURPOSE, Error, Expiry, KeyId, Keyring, Lifetime, MAX_TOTAL_BYTES,
    Mode, RequestCookies,
};
use serde::{Deserialize, Serialize};

#[derive(Serialize, Deserialize, Debug, Clone, PartialEq)]
struct Session {
    user: String,
    roles: Vec<String>,
    visits: u64,
}

fn session() -> Session {
    Session {
        user: "visible-user-name".into(),
        roles: vec!["admin".into(), "ops".into()],
        visits: 3,
    }
}

/// The purpose every token codec here names (tokens need a named purpose).
const PURPOSE: &str = "tokens-test";

fn builder() -> CodecBuilder<Session> {
    Codec::builder(ring()).purpose(PURPOSE)
}

fn token(c: &Codec<Session>) -> String {
    c.seal_token(&session(), None, now()).unwrap()
}

#[test]
fn base64_test_helpers_agree_with_rfc4648() {
    assert_eq!(b64_encode(b""), "");
    assert_eq!(b64_encode(b"f"), "Zg");
    assert_eq!(b64_encode(b"fo"), "Zm8");
    assert_eq!(b64_encode(b"foo"), "Zm9v");
    assert_eq!(b64_encode(b"\xfb\xff"), "-_8");
    for n in 0..10 {
        let bytes: Vec<u8> = (0..n).map(|i| (i * 37 + 5) as u8).collect();
        assert_eq!(b64_encode(&bytes).len(), b64_len(n));
        assert_eq!(b64_decode(&b64_encode(&bytes)), bytes);
    }
}

#[test]
fn token_round_trips_with_its_metadata() {
    for mode in [Mode::Encrypted, Mode::Signed] {
        let c = builder().mode(mode).build().unwrap();
        let t = token(&c);
        assert!(
            t.bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_'),
            "URL-safe"
        );
        let opened = c.open_token(&t, at(5)).unwrap();
        assert_eq!(opened.session, session());
        assert_eq!(opened.metadata.issued_at(), now());
        assert_eq!(opened.metadata.key_id(), KeyId::new(1));
        assert_eq!(opened.metadata.mode(), mode);
        assert_eq!(opened.metadata.reseal_reason(), None);

        // Re-sealing a token keeps the session id and issue time.
        let again = c
            .seal_token(&session(), Some(&opened.metadata), at(60))
            .unwrap();
        let reopened = c.open_token(&again, at(60)).unwrap();
        assert_eq!(reopened.metadata.session_id(), opened.metadata.session_id());
        assert_eq!(reopened.metadata.issued_at(), now());
        assert_eq!(reopened.metadata.sealed_at(), at(60));
    }
    // Raw bytes, including empty.
    let raw = Codec::<()>::builder(ring())
        .purpose(PURPOSE)
        .build()
        .unwrap();
    for data in [&b""[..], b"\x00\xff raw", &[0xab; 3000]] {
        let t = raw.seal_token_bytes(data, None, now()).unwrap();
        assert_eq!(raw.open_token_bytes(&t, now()).unwrap().session, data);
    }
}

#[test]
fn encrypted_tokens_hide_the_session_and_never_repeat() {
    let c = builder().build().unwrap();
    let (a, b) = (token(&c), token(&c));
    assert_ne!(a, b, "fresh nonce and session id per seal");
    let bytes = b64_decode(&a);
    assert!(!bytes.windows(17).any(|w| w == b"visible-user-name"));
}

#[test]
fn signed_tokens_show_the_session_but_cannot_be_altered() {
    let c = builder().mode(Mode::Signed).build().unwrap();
    let t = token(&c);
    let mut bytes = b64_decode(&t);
    let pos = bytes
        .windows(17)
        .position(|w| w == b"visible-user-name")
        .expect("signed payload is readable");
    bytes[pos] = b'V';
    let forged = b64_encode(&bytes);
    assert_eq!(
        c.open_token(&forged, now()).unwrap_err(),
        Error::Authentication
    );
}

#[test]
fn every_single_character_change_is_rejected() {
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    for mode in [Mode::Encrypted, Mode::Signed] {
        let c = builder().mode(mode).build().unwrap();
        let t = token(&c);
        let bytes = t.as_bytes();
        for i in 0..bytes.len() {
            let mut changed = bytes.to_vec();
            let j = ALPHABET.iter().position(|&a| a == bytes[i]).unwrap();
            changed[i] = ALPHABET[(j + 1) % 64];
            let changed = String::from_utf8(changed).unwrap();
            let result = c.open_token(&changed, now());
            match (i, result) {
                (_, Ok(_)) => panic!("{mode:?}: change at {i} accepted"),
                // Characters 8.. cover bytes after the format byte and key id.
                (8.., Err(e)) if i + 1 < bytes.len() => {
                    assert_eq!(e, Error::Authentication, "{mode:?}: change at {i}");
                }
                (_, Err(_)) => {}
            }
        }
        // Truncated or extended.
        for bad in [&t[..t.len() - 1], &t[..t.len() - 4], &t[..10], ""] {
            assert!(c.open_token(bad, now()).is_err(), "{bad}");
        }
        assert!(c.open_token(&format!("{t}AAAA"), now()).is_err());
    }
}

#[test]
fn token_is_bound_to_purpose_name_mode_and_keyring() {
    let c = builder().build().unwrap();
    let t = token(&c);
    let others = [
        builder().purpose("other-app").build().unwrap(),
        builder().cookie_name("__Host-other").build().unwrap(),
        builder().mode(Mode::Signed).build().unwrap(),
        Codec::builder(Keyring::new([key(1, 0x99)]).unwrap())
            .purpose(PURPOSE)
            .build()
            .unwrap(),
    ];
    for other in &others {
        assert_eq!(
            other.open_token(&t, now()).unwrap_err(),
            Error::Authentication,
            "{other:?}"
        );
    }
    let other_ids = Codec::<Session>::builder(Keyring::new([key(2, 0x11)]).unwrap())
        .purpose(PURPOSE)
        .build()
        .unwrap();
    assert_eq!(
        other_ids.open_token(&t, now()).unwrap_err(),
        Error::UnknownKey {
            key_id: KeyId::new(1)
        }
    );
    // A signed token is not accepted by an encrypting codec either.
    let signed = builder().mode(Mode::Signed).build().unwrap();
    assert_eq!(
        c.open_token(&token(&signed), now()).unwrap_err(),
        Error::Authentication
    );
}

#[test]
fn token_obeys_the_expiry_policy() {
    let policy = Expiry::default()
        .absolute(None)
        .idle(Some(Duration::from_secs(100)))
        .clock_skew(Duration::from_secs(10));
    let c = builder().expiry(policy).build().unwrap();
    let t = token(&c);
    assert!(c.open_token(&t, at(109)).is_ok());
    assert_eq!(
        c.open_token(&t, at(110)).unwrap_err(),
        Error::Expired { at: at(100) }
    );
    let ahead = c.seal_token(&session(), None, at(11)).unwrap();
    assert_eq!(c.open_token(&ahead, now()).unwrap_err(), Error::NotYetValid);
}

#[test]
fn token_over_the_budget_is_too_large_before_decoding() {
    let budget = 500;
    let c = builder().max_total_bytes(budget).build().unwrap();
    // Not even base64url: the length alone decides.
    let junk = "*".repeat(budget + 1);
    assert_eq!(
        c.open_token(&junk, now()).unwrap_err(),
        Error::TooLarge {
            needed: budget + 1,
            budget
        }
    );
    assert_eq!(
        c.open_token(&"*".repeat(1 << 20), now()).unwrap_err(),
        Error::TooLarge {
            needed: 1 << 20,
            budget
        }
    );
    // Within the budget the same junk is decoded and found malformed.
    assert!(matches!(
        c.open_token(&"*".repeat(budget), now()),
        Err(Error::Malformed { .. })
    ));
}

#[test]
fn sealing_a_token_over_the_budget_is_too_large_with_exact_sizes() {
    let raw = |budget| {
        Codec::<()>::builder(ring())
            .purpose(PURPOSE)
            .max_total_bytes(budget)
            .build()
            .unwrap()
    };
    for n in [0, 1, 2, 100, 4_000] {
        let len = raw(MAX_TOTAL_BYTES)
            .seal_token_bytes(&vec![7; n], None, now())
            .unwrap()
            .len();
        if len < 64 {
            continue;
        }
        let exact = raw(len);
        let t = exact.seal_token_bytes(&vec![7; n], None, now()).unwrap();
        assert_eq!(t.len(), len);
        assert_eq!(
            exact.open_token_bytes(&t, now()).unwrap().session,
            vec![7; n]
        );
        assert_eq!(
            raw(len - 1)
                .seal_token_bytes(&vec![7; n], None, now())
                .unwrap_err(),
            Error::TooLarge {
                needed: len,
                budget: len - 1
            },
            "n={n}"
        );
    }
    // A token is never chunked: a 7000-byte session does not fit the default 6144.
    let c = builder().build().unwrap();
    let big = Session {
        user: "u".repeat(7_000),
        ..session()
    };
    assert!(matches!(
        c.seal_token(&big, None, now()),
        Err(Error::TooLarge { budget: 6144, .. })
    ));
}

#[test]
fn a_cookie_value_never_opens_as_a_token_nor_a_token_as_a_cookie() {
    // Format 2 binds the usage in the AAD: the same codec, key, name and purpose, but a cookie
    // value is not a token and a token is not a cookie value. (Format-1 values bind no usage:
    // tests/v1_upgrade.rs.)
    for mode in [Mode::Encrypted, Mode::Signed] {
        let c = builder().mode(mode).build().unwrap();
        let sealed = c
            .seal(&session(), None, &RequestCookies::new(), now())
            .unwrap();
        assert_eq!(sealed.chunk_count(), 1);
        assert_eq!(sealed.metadata().format_version(), 2);
        let value = value_of(&cookie_header(&sealed)).to_owned();
        // The cookie itself opens as a cookie...
        let header = format!("{}={value}", c.cookie_name());
        let opened = c
            .open(&RequestCookies::from_header(&header), now())
            .unwrap()
            .unwrap();
        assert_eq!(opened.session, session());
        // ...but its value does not open as a token.
        assert_eq!(
            c.open_token(&value, now()).unwrap_err(),
            Error::Authentication,
            "{mode:?}: cookie value opened as a token"
        );

        // A token opens as a token...
        let t = token(&c);
        assert_eq!(c.open_token(&t, now()).unwrap().session, session());
        // ...but not as the cookie value.
        let header = format!("{}={t}", c.cookie_name());
        assert_eq!(
            c.open(&RequestCookies::from_header(&header), now())
                .unwrap_err(),
            Error::Authentication,
            "{mode:?}: token opened as a cookie"
        );
        let raw = Codec::<()>::builder(ring())
            .purpose(PURPOSE)
            .mode(mode)
            .build()
            .unwrap();
        let t = raw.seal_token_bytes(b"raw", None, now()).unwrap();
        let header = format!("{}={t}", raw.cookie_name());
        assert_eq!(
            raw.open_bytes(&RequestCookies::from_header(&header), now())
                .unwrap_err(),
            Error::Authentication
        );
        let sealed = raw
            .seal_bytes(b"raw", None, &RequestCookies::new(), now())
            .unwrap();
        assert_eq!(
            raw.open_token_bytes(value_of(&cookie_header(&sealed)), now())
                .unwrap_err(),
            Error::Authentication
        );
    }

    // A chunk of a chunked cookie is not a token.
    let c = builder().build().unwrap();
    let big = Session {
        user: "u".repeat(4_000),
        ..session()
    };
    let chunked = c.seal(&big, None, &RequestCookies::new(), now()).unwrap();
    assert!(chunked.chunk_count() > 1);
    let first = pairs(&chunked)[0].clone();
    assert!(matches!(
        c.open_token(value_of(&first), now()),
        Err(Error::Malformed { .. })
    ));
}

#[test]
fn tokens_need_a_codec_that_names_its_purpose() {
    let unnamed = Codec::<Session>::builder(ring()).build().unwrap();
    let raw_unnamed = Codec::<()>::builder(ring()).build().unwrap();
    let refused = |e: Error| matches!(e, Error::InvalidConfig { .. });
    // Every token entry point refuses, sealing and opening, before looking at the input.
    assert!(refused(
        unnamed.seal_token(&session(), None, now()).unwrap_err()
    ));
    assert!(refused(
        unnamed
            .seal_token_new(&session(), &Lifetime::persistent(), now())
            .unwrap_err()
    ));
    assert!(refused(
        raw_unnamed.seal_token_bytes(b"x", None, now()).unwrap_err()
    ));
    // A token of the default purpose, sealed by a codec that names it explicitly.
    let named_default = builder().purpose(DEFAULT_PURPOSE).build().unwrap();
    let t = token(&named_default);
    assert_eq!(
        named_default.open_token(&t, now()).unwrap().session,
        session()
    );
    assert!(refused(unnamed.open_token(&t, now()).unwrap_err()));
    assert!(refused(
        raw_unnamed.open_token_bytes(&t, now()).unwrap_err()
    ));
    // Cookies need no named purpose.
    let sealed = unnamed
        .seal(&session(), None, &RequestCookies::new(), now())
        .unwrap();
    let request = cookie_header(&sealed);
    let opened = unnamed
        .open(&RequestCookies::from_header(&request), now())
        .unwrap()
        .unwrap();
    assert_eq!(opened.session, session());
}
