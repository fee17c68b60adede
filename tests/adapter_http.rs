//! The `http` adapter: reading every `Cookie` header of an `http::HeaderMap`, appending
//! `Set-Cookie` lines, and the core's chunking, shrinking and rotation through those types.
#![cfg(feature = "http")]

mod browser;

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use http::header::{COOKIE, SET_COOKIE};
use http::{HeaderMap, HeaderValue};
use sealed_session::http::{append_set_cookies, request_cookies};
use sealed_session::{Codec, Key, KeyId, Keyring, RequestCookies, ResealReason};

use browser::{Jar, is_deletion, name_of};

fn t(secs: u64) -> SystemTime {
    UNIX_EPOCH + Duration::from_secs(1_800_000_000 + secs)
}

fn key_a() -> Key {
    Key::new(KeyId::new(0xa), [0x11; 32])
}

fn codec(keys: Vec<Key>) -> Codec<Vec<u8>> {
    Codec::builder(Keyring::new(keys).unwrap()).build().unwrap()
}

/// The `Set-Cookie` values of a header map, in order.
fn set_cookies(headers: &HeaderMap) -> Vec<String> {
    headers
        .get_all(SET_COOKIE)
        .iter()
        .map(|v| v.to_str().unwrap().to_owned())
        .collect()
}

/// A request header map carrying the jar, split over one `Cookie` header per cookie (as an
/// HTTP/2 client may send them).
fn request_from(jar: &Jar) -> HeaderMap {
    let mut headers = HeaderMap::new();
    for pair in jar.header().split("; ").filter(|p| !p.is_empty()) {
        headers.append(COOKIE, pair.parse().unwrap());
    }
    headers
}

#[test]
fn reads_every_cookie_header_in_order() {
    let mut headers = HeaderMap::new();
    headers.append(COOKIE, "a=1; b=2".parse().unwrap());
    headers.append(COOKIE, "c=3".parse().unwrap());
    headers.append(http::header::ACCEPT, "text/html".parse().unwrap());
    let cookies = request_cookies(&headers);
    let pairs: Vec<_> = cookies.iter().collect();
    assert_eq!(pairs, [("a", "1"), ("b", "2"), ("c", "3")]);
    assert_eq!(RequestCookies::from(&headers).get("c"), Some("3"));
    assert_eq!(request_cookies(&HeaderMap::new()).iter().count(), 0);
}

#[test]
fn a_non_utf8_cookie_does_not_hide_its_neighbours() {
    let mut headers = HeaderMap::new();
    let raw = HeaderValue::from_bytes(b"name=Jos\xe9; __Host-session=abc; x=1").unwrap();
    headers.append(COOKIE, raw);
    let cookies = request_cookies(&headers);
    assert_eq!(cookies.get("__Host-session"), Some("abc"));
    assert_eq!(cookies.get("x"), Some("1"));
    assert_eq!(cookies.get("name"), None);
}

#[test]
fn appends_one_header_per_line_and_nothing_when_a_line_is_invalid() {
    let mut headers = HeaderMap::new();
    append_set_cookies(&mut headers, ["a=1; Path=/", "b=2; Path=/"]).unwrap();
    assert_eq!(set_cookies(&headers), ["a=1; Path=/", "b=2; Path=/"]);
    let bad = append_set_cookies(&mut headers, vec!["c=3".to_owned(), "d=\r\n4".to_owned()]);
    assert!(bad.is_err());
    assert_eq!(set_cookies(&headers).len(), 2);
}

#[test]
fn round_trip_through_header_maps() {
    let codec = codec(vec![key_a()]);
    let mut response = HeaderMap::new();
    let sealed = codec
        .seal(
            &b"hello".to_vec(),
            None,
            &request_cookies(&HeaderMap::new()),
            t(0),
        )
        .unwrap();
    append_set_cookies(&mut response, sealed.headers()).unwrap();

    let mut jar = Jar::new();
    jar.insert("theme", "dark");
    jar.apply(set_cookies(&response));
    let opened = codec
        .open(&request_cookies(&request_from(&jar)), t(1))
        .unwrap()
        .unwrap();
    assert_eq!(opened.session, b"hello");
    assert_eq!(opened.metadata.reseal_reason(), None);
}

#[test]
fn chunked_session_grows_then_shrinks_with_stale_chunk_deletions() {
    let codec = codec(vec![key_a()]);
    let mut jar = Jar::new();

    // Grow past one cookie.
    let big = vec![7u8; 3500];
    let sealed = codec
        .seal(&big, None, &request_cookies(&request_from(&jar)), t(0))
        .unwrap();
    assert_eq!(sealed.chunk_count(), 2);
    let mut response = HeaderMap::new();
    append_set_cookies(&mut response, sealed.headers()).unwrap();
    let lines = set_cookies(&response);
    assert_eq!(lines.len(), 2);
    assert!(lines.iter().all(|l| l.len() <= codec.max_cookie_bytes()));
    jar.apply(&lines);
    assert_eq!(jar.names(), ["__Host-session", "__Host-session.1"]);

    // Open it from chunks split across several Cookie headers.
    let request = request_from(&jar);
    assert_eq!(request.get_all(COOKIE).iter().count(), 2);
    let opened = codec
        .open(&request_cookies(&request), t(1))
        .unwrap()
        .unwrap();
    assert_eq!(opened.session, big);

    // Shrink: one cookie, and a deletion line for the chunk the browser no longer needs.
    let small = codec
        .seal(
            &b"small".to_vec(),
            Some(&opened.metadata),
            &request_cookies(&request),
            t(2),
        )
        .unwrap();
    let mut response = HeaderMap::new();
    append_set_cookies(&mut response, small.headers()).unwrap();
    let lines = set_cookies(&response);
    assert_eq!(lines.len(), 2);
    assert!(!is_deletion(&lines[0]));
    assert!(is_deletion(&lines[1]));
    assert_eq!(name_of(&lines[1]), "__Host-session.1");
    jar.apply(&lines);
    assert_eq!(jar.names(), ["__Host-session"]);
    let reopened = codec
        .open(&request_cookies(&request_from(&jar)), t(3))
        .unwrap()
        .unwrap();
    assert_eq!(reopened.session, b"small");
    assert_eq!(reopened.metadata.session_id(), opened.metadata.session_id());
}

#[test]
fn rotation_reseals_under_the_new_key_through_header_maps() {
    let old = codec(vec![key_a()]);
    let sealed = old
        .seal(&b"cart".to_vec(), None, &RequestCookies::new(), t(0))
        .unwrap();
    let mut jar = Jar::new();
    jar.apply(sealed.headers());

    // Every node gains key b, whose not_before has passed.
    let key_b = Key::new(KeyId::new(0xb), [0x22; 32]).with_not_before(t(50));
    let rotated = codec(vec![key_a(), key_b]);
    let request = request_from(&jar);
    let opened = rotated
        .open(&request_cookies(&request), t(60))
        .unwrap()
        .unwrap();
    assert_eq!(opened.metadata.key_id(), KeyId::new(0xa));
    assert_eq!(
        opened.metadata.reseal_reason(),
        Some(ResealReason::NonPrimaryKey)
    );

    let resealed = rotated
        .seal(
            &opened.session,
            Some(&opened.metadata),
            &request_cookies(&request),
            t(60),
        )
        .unwrap();
    let mut response = HeaderMap::new();
    append_set_cookies(&mut response, resealed.headers()).unwrap();
    jar.apply(set_cookies(&response));
    let again = rotated
        .open(&request_cookies(&request_from(&jar)), t(61))
        .unwrap()
        .unwrap();
    assert_eq!(again.metadata.key_id(), KeyId::new(0xb));
    assert_eq!(again.metadata.reseal_reason(), None);
    assert_eq!(again.metadata.session_id(), opened.metadata.session_id());
    assert_eq!(again.session, b"cart");
}

#[test]
fn clear_lines_delete_every_chunk_the_request_holds() {
    let codec = codec(vec![key_a()]);
    let mut jar = Jar::new();
    jar.apply(
        codec
            .seal(&vec![1u8; 3500], None, &RequestCookies::new(), t(0))
            .unwrap()
            .headers(),
    );
    jar.insert("other", "kept");
    let mut response = HeaderMap::new();
    append_set_cookies(
        &mut response,
        codec.clear(&request_cookies(&request_from(&jar))),
    )
    .unwrap();
    jar.apply(set_cookies(&response));
    assert_eq!(jar.names(), ["other"]);
}
