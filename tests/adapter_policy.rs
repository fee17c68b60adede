//! The adapters' rule "never destroy what you cannot read", case by case through the
//! framework-independent `Session<T>` handle (the layer that axum and actix-web both use): which
//! open failures delete the request's cookies, which leave them alone and refuse writes over
//! them, and that a session past its deadline is treated as ended without an error.
#![cfg(any(feature = "axum", feature = "actix"))]

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use sealed_session::{
    ChunkError, Codec, Error, Expiry, Key, KeyId, Keyring, RequestCookies, Session,
};

fn at(secs: u64) -> SystemTime {
    UNIX_EPOCH + Duration::from_secs(1_800_000_000 + secs)
}

fn ring(id: u32) -> Keyring {
    Keyring::new([Key::new(KeyId::new(id), [id as u8; 32])]).unwrap()
}

fn codec(keyring: Keyring) -> Codec<u32> {
    Codec::builder(keyring).build().unwrap()
}

fn header_of(lines: &[String]) -> String {
    lines
        .iter()
        .map(|l| l.split(';').next().unwrap())
        .collect::<Vec<_>>()
        .join("; ")
}

fn cookie_of(codec: &Codec<u32>, now: SystemTime) -> String {
    header_of(
        codec
            .seal(&7, None, &RequestCookies::new(), now)
            .unwrap()
            .headers(),
    )
}

/// Opens `header` at `now` and checks the rule for its failure: deleted (and a write starts a
/// new session) or left alone (and a write is refused with `OverwriteRefused`).
fn expect(codec: &Codec<u32>, header: &str, now: SystemTime, deleted: bool) -> Error {
    let session = Session::from_cookies(codec, &RequestCookies::from_header(header), now);
    assert_eq!(session.get(), None);
    let error = session.open_error().expect("the cookies did not open");
    assert_eq!(error.cookies_are_dead(), deleted, "{error:?}");
    let lines = session.set_cookie_headers();
    if deleted {
        assert!(!lines.is_empty() && lines.iter().all(|l| l.contains("Max-Age=0")));
    } else {
        assert!(lines.is_empty(), "left alone, but wrote {lines:?}");
    }
    // A write: a new session over dead cookies; refused over cookies another node may read.
    let write = Session::from_cookies(codec, &RequestCookies::from_header(header), now);
    match write.set(9) {
        Ok(()) => assert!(deleted, "overwrote {error:?}"),
        Err(Error::OverwriteRefused { cause }) => {
            assert!(!deleted, "refused a write over dead cookies");
            assert_eq!(*cause, error);
        }
        Err(other) => panic!("unexpected {other:?}"),
    }
    let update = Session::from_cookies(codec, &RequestCookies::from_header(header), now);
    let mut ran = false;
    let result = update.update(|n| {
        ran = true;
        *n += 1;
    });
    assert_eq!(result.is_ok(), deleted);
    assert_eq!(ran, deleted, "update ran its closure over a refused write");
    if !deleted {
        assert!(update.set_cookie_headers().is_empty());
    }
    error
}

#[test]
fn tampered_malformed_expired_and_retired_are_deleted() {
    let c = codec(ring(1));
    let cookie = cookie_of(&c, at(0));
    let (name, value) = cookie.split_once('=').unwrap();
    // Flip a byte in the middle of the ciphertext: always a wrong tag.
    use base64::Engine;
    let b64 = base64::engine::general_purpose::URL_SAFE_NO_PAD;
    let mut bytes = b64.decode(value).unwrap();
    let mid = bytes.len() / 2;
    bytes[mid] ^= 0x40;
    let forged = format!("{name}={}", b64.encode(&bytes));
    assert_eq!(expect(&c, &forged, at(0), true), Error::Authentication);
    let malformed = expect(&c, "__Host-session=AAAA", at(0), true);
    assert!(matches!(malformed, Error::Malformed { .. }));
    let expired = expect(&c, &cookie, at(999_999), true);
    assert!(matches!(expired, Error::Expired { .. }));

    let retired = Key::new(KeyId::new(1), [1; 32]).with_not_after(at(100));
    let current = Key::new(KeyId::new(2), [2; 32]).with_not_before(at(50));
    let rotated = codec(Keyring::new([retired, current]).unwrap());
    let old = cookie_of(&rotated, at(0));
    let error = expect(&rotated, &old, at(200), true);
    assert_eq!(
        error,
        Error::RetiredKey {
            key_id: KeyId::new(1)
        }
    );
}

#[test]
fn broken_chunks_are_deleted_and_ambiguous_ones_left_alone() {
    let c = Codec::<u32>::builder(ring(1))
        .max_cookie_bytes(200)
        .build()
        .unwrap();
    let big = Codec::<Vec<u8>>::builder(ring(1))
        .max_cookie_bytes(200)
        .build()
        .unwrap();
    let sealed = big
        .seal(&vec![5; 300], None, &RequestCookies::new(), at(0))
        .unwrap();
    assert!(sealed.chunk_count() >= 3);
    let pairs: Vec<String> = sealed.headers()[..sealed.chunk_count()]
        .iter()
        .map(|l| l.split(';').next().unwrap().to_owned())
        .collect();
    let without_1: Vec<&str> = pairs
        .iter()
        .enumerate()
        .filter(|(i, _)| *i != 1)
        .map(|(_, p)| p.as_str())
        .collect();
    let missing = expect(&c, &without_1.join("; "), at(0), true);
    assert_eq!(missing, Error::Chunks(ChunkError::Missing { index: 1 }));

    // Two heads: one may be planted from a sibling subdomain (cookie tossing).
    let other = cookie_of(&c, at(0));
    let two_heads = format!("{other}; {}", cookie_of(&c, at(0)));
    let duplicate = expect(&c, &two_heads, at(0), false);
    assert_eq!(duplicate, Error::Chunks(ChunkError::Duplicate { index: 0 }));
}

#[test]
fn what_another_node_or_release_may_read_is_left_alone() {
    // A key this node does not hold: a roll-out, or this node is a straggler.
    let ahead = codec(ring(2));
    let here = codec(ring(1));
    let cookie = cookie_of(&ahead, at(0));
    let unknown = expect(&here, &cookie, at(0), false);
    assert_eq!(
        unknown,
        Error::UnknownKey {
            key_id: KeyId::new(2)
        }
    );

    // Sealed by a node whose clock runs an hour ahead.
    let future = cookie_of(&here, at(3600));
    assert_eq!(expect(&here, &future, at(0), false), Error::NotYetValid);

    // Written by a release with a newer schema of the session type.
    let newer = Codec::<u32>::builder(ring(1))
        .schema_version(1)
        .build()
        .unwrap();
    let cookie = cookie_of(&newer, at(0));
    let schema = expect(&here, &cookie, at(0), false);
    assert_eq!(schema, Error::UnknownSchema { version: 1 });

    // Authentic bytes that do not deserialize as this node's type.
    let strings = Codec::<String>::builder(ring(1)).build().unwrap();
    let cookie = header_of(
        strings
            .seal(
                &"a long string, not a u32".to_owned(),
                None,
                &RequestCookies::new(),
                at(0),
            )
            .unwrap()
            .headers(),
    );
    let de = expect(&here, &cookie, at(0), false);
    assert!(matches!(de, Error::Serialization { .. }), "{de:?}");

    // Larger than this node's budget.
    let small = Codec::<u32>::builder(ring(1))
        .max_total_bytes(64)
        .build()
        .unwrap();
    let cookie = cookie_of(&here, at(0));
    let large = expect(&small, &cookie, at(0), false);
    assert!(matches!(large, Error::TooLarge { .. }));
}

#[test]
fn sign_out_deletes_even_what_this_node_cannot_read_and_a_new_session_may_follow() {
    let here = codec(ring(1));
    let cookie = cookie_of(&codec(ring(2)), at(0));
    let session = Session::from_cookies(&here, &RequestCookies::from_header(&cookie), at(0));
    session.clear();
    session.set(3).unwrap();
    let lines = session.set_cookie_headers();
    assert_eq!(lines.len(), 1);
    assert!(!lines[0].contains("Max-Age=0"));
}

#[test]
fn a_session_past_its_deadline_is_ended_without_an_error_or_a_deletion() {
    let policy = Expiry::default().idle(Some(Duration::from_secs(600)));
    let c = Codec::<u32>::builder(ring(1))
        .expiry(policy)
        .build()
        .unwrap();
    let sealed = c.seal(&7, None, &RequestCookies::new(), at(0)).unwrap();
    let old_id = sealed.metadata().session_id();
    let cookie = header_of(sealed.headers());
    // Inside the 60 s skew allowance after the idle deadline: it opens, read-only.
    let late = at(630);
    let opened = c
        .open(&RequestCookies::from_header(&cookie), late)
        .unwrap()
        .unwrap();
    assert!(opened.metadata.past_deadline());
    let session = Session::from_cookies(&c, &RequestCookies::from_header(&cookie), late);
    assert_eq!(session.get(), None);
    assert_eq!(session.open_error(), None);
    assert!(session.set_cookie_headers().is_empty());
    // A write starts a new session (a fresh id), no 5xx.
    let write = Session::from_cookies(&c, &RequestCookies::from_header(&cookie), late);
    assert_eq!(write.update(|n| *n + 1).unwrap(), 1);
    assert_ne!(write.metadata().unwrap().session_id(), old_id);
}

#[test]
fn sign_in_is_refused_over_an_unreadable_session_and_atomic_when_too_large() {
    use sealed_session::Lifetime;
    // A straggler without the key that sealed the session refuses the sign-in.
    let here = codec(ring(1));
    let cookie = cookie_of(&codec(ring(2)), at(0));
    let session = Session::from_cookies(&here, &RequestCookies::from_header(&cookie), at(0));
    let refused = session.sign_in(1, &Lifetime::persistent());
    assert!(matches!(refused, Err(Error::OverwriteRefused { .. })));
    assert!(session.set_cookie_headers().is_empty());

    // A sign-in whose value does not fit leaves the previous session exactly as it was.
    let c = Codec::<Vec<u8>>::builder(ring(1)).build().unwrap();
    let sealed = c
        .seal(&vec![1, 2], None, &RequestCookies::new(), at(0))
        .unwrap();
    let cookie = header_of(sealed.headers());
    let session = Session::from_cookies(&c, &RequestCookies::from_header(&cookie), at(0));
    let too_big = session.sign_in(vec![0; 100_000], &Lifetime::persistent());
    assert!(matches!(too_big, Err(Error::TooLarge { .. })));
    assert_eq!(session.get(), Some(vec![1, 2]));
    assert_eq!(
        session.metadata().unwrap().session_id(),
        sealed.metadata().session_id()
    );
    assert!(
        session.set_cookie_headers().is_empty(),
        "deleted or rewrote the session"
    );

    // A pre-login copy of the cookie still opens as the pre-login session, not the signed-in one.
    session.sign_in(vec![9], &Lifetime::persistent()).unwrap();
    let signed_in = header_of(&session.set_cookie_headers());
    let copy = Session::from_cookies(&c, &RequestCookies::from_header(&cookie), at(0));
    assert_eq!(copy.get(), Some(vec![1, 2]));
    let after = Session::from_cookies(&c, &RequestCookies::from_header(&signed_in), at(0));
    assert_eq!(after.get(), Some(vec![9]));
    assert_ne!(
        after.metadata().unwrap().session_id(),
        copy.metadata().unwrap().session_id()
    );
}

#[test]
fn an_update_racing_a_sign_out_fails_instead_of_bringing_the_session_back() {
    let c = codec(ring(1));
    let cookie = cookie_of(&c, at(0));
    let session = Session::from_cookies(&c, &RequestCookies::from_header(&cookie), at(0));
    let other = session.clone();
    let raced = session.update(|n| {
        other.clear(); // another handle signs out while this update runs
        *n += 1;
    });
    assert_eq!(raced, Err(Error::SessionCleared));
    assert_eq!(session.get(), None);
    let lines = session.set_cookie_headers();
    assert!(!lines.is_empty() && lines.iter().all(|l| l.contains("Max-Age=0")));
    // `modify` the same way; and after the sign-out, a fresh update starts a new session.
    let again = Session::from_cookies(&c, &RequestCookies::from_header(&cookie), at(0));
    let clone = again.clone();
    assert_eq!(again.modify(|_| clone.clear()), Err(Error::SessionCleared));
    assert_eq!(again.update(|n| *n), Ok(0));
}
