//! The framework-independent `Session<T>` handle: which open failures delete the cookies.
#![cfg(any(feature = "axum", feature = "actix"))]

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use sealed_session::{Codec, Error, Key, KeyId, Keyring, RequestCookies, Session};

fn at(secs: u64) -> SystemTime {
    UNIX_EPOCH + Duration::from_secs(1_800_000_000 + secs)
}

fn cookie_of(codec: &Codec<u32>, now: SystemTime) -> String {
    let sealed = codec.seal(&7, None, &RequestCookies::new(), now).unwrap();
    sealed.headers()[0].split(';').next().unwrap().to_owned()
}

#[test]
fn a_key_this_node_does_not_hold_yet_leaves_the_cookies_alone() {
    // Node A already has the new key; node B (this one) does not yet.
    let a = Codec::<u32>::builder(Keyring::new([Key::new(KeyId::new(2), [2; 32])]).unwrap())
        .build()
        .unwrap();
    let b = Codec::<u32>::builder(Keyring::new([Key::new(KeyId::new(1), [1; 32])]).unwrap())
        .build()
        .unwrap();
    let cookie = cookie_of(&a, at(0));
    let session = Session::from_cookies(&b, &RequestCookies::from_header(&cookie), at(0));
    assert_eq!(session.get(), None);
    assert!(matches!(
        session.open_error(),
        Some(Error::UnknownKey { .. })
    ));
    assert!(
        session.set_cookie_headers().is_empty(),
        "deleted a cookie another node opens"
    );
}

#[test]
fn a_value_dated_ahead_of_this_clock_leaves_the_cookies_alone() {
    let codec = Codec::<u32>::builder(Keyring::new([Key::new(KeyId::new(1), [1; 32])]).unwrap())
        .build()
        .unwrap();
    let cookie = cookie_of(&codec, at(3600));
    let session = Session::from_cookies(&codec, &RequestCookies::from_header(&cookie), at(0));
    assert_eq!(session.open_error(), Some(Error::NotYetValid));
    assert!(session.set_cookie_headers().is_empty());
}

#[test]
fn a_forged_or_expired_cookie_is_deleted() {
    let codec = Codec::<u32>::builder(Keyring::new([Key::new(KeyId::new(1), [1; 32])]).unwrap())
        .build()
        .unwrap();
    let cookie = cookie_of(&codec, at(0));
    let expired = Session::from_cookies(&codec, &RequestCookies::from_header(&cookie), at(999_999));
    assert!(matches!(expired.open_error(), Some(Error::Expired { .. })));
    assert!(expired.set_cookie_headers()[0].contains("Max-Age=0"));

    // Flip one bit of a byte in the middle of the envelope (past the 5-byte header and the
    // 24-byte nonce: the ciphertext) and re-encode. The result is always valid base64url with a
    // wrong tag; editing a character of the text instead can leave non-zero unused bits in the
    // last one, which is malformed rather than forged.
    let (name, value) = cookie.split_once('=').unwrap();
    let mut envelope = URL_SAFE_NO_PAD.decode(value).unwrap();
    let mid = envelope.len() / 2;
    assert!(mid >= 5 + 24, "past the header and nonce");
    envelope[mid] ^= 0x01;
    let forged = format!("{name}={}", URL_SAFE_NO_PAD.encode(&envelope));
    let session = Session::from_cookies(&codec, &RequestCookies::from_header(&forged), at(0));
    assert_eq!(session.open_error(), Some(Error::Authentication));
    assert!(session.set_cookie_headers()[0].contains("Max-Age=0"));
}

#[test]
fn a_cookie_under_a_retired_key_is_deleted() {
    let retired = Key::new(KeyId::new(1), [1; 32]).with_not_after(at(100));
    let current = Key::new(KeyId::new(2), [2; 32]).with_not_before(at(50));
    let codec = Codec::<u32>::builder(Keyring::new([retired, current]).unwrap())
        .build()
        .unwrap();
    let cookie = cookie_of(&codec, at(0));
    let session = Session::from_cookies(&codec, &RequestCookies::from_header(&cookie), at(200));
    assert_eq!(
        session.open_error(),
        Some(Error::RetiredKey {
            key_id: KeyId::new(1)
        })
    );
    assert!(session.set_cookie_headers()[0].contains("Max-Age=0"));
}
