//! The decision table, validation and the CSRF token.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use super::csrf::{TOKEN_CHARS, csrf_message, encode_token};
use super::*;
use crate::adapters::session::Session;
use crate::keyring::KeyId;
use crate::time::to_unix;
use crate::{Codec, Key, Keyring, RequestCookies};

fn req<'a>(
    method: &'a str,
    sec_fetch_site: Option<&'a str>,
    origin: Option<&'a str>,
) -> CrossSiteRequest<'a> {
    CrossSiteRequest {
        method,
        path: "/sign-in",
        sec_fetch_site: sec_fetch_site.map(str::as_bytes),
        origin: origin.map(str::as_bytes),
        host: Some(b"app.example:8080"),
    }
}

use CrossSiteRefusal::{CrossOrigin, OriginMismatch};

/// The module documentation's table, row by row: (method, Sec-Fetch-Site, Origin), `-`
/// for an absent header; the request's host is `app.example:8080`.
#[test]
fn decision_table() {
    let allowed = [
        // Safe methods pass whatever the headers.
        ("GET", "cross-site", "https://evil.example"),
        ("HEAD", "cross-site", "https://evil.example"),
        ("OPTIONS", "same-site", "null"),
        // Sec-Fetch-Site decides when present.
        ("POST", "same-origin", "-"),
        ("POST", "same-origin", "https://evil.example"),
        ("POST", "none", "-"),
        // Without it, Origin against the host.
        ("POST", "-", "http://app.example:8080"),
        ("POST", "-", "https://APP.example:8080"),
        // Neither header: not a browser.
        ("POST", "-", "-"),
        ("PATCH", "-", "-"),
    ];
    let refused_by_fetch_metadata = [
        // Methods are case-sensitive: `get` is not GET.
        ("get", "cross-site", "-"),
        ("TRACE", "cross-site", "-"),
        ("DELETE", "same-site", "http://app.example:8080"),
        ("PUT", "cross-site", "http://app.example:8080"),
        ("POST", "cross-site", "-"),
        ("POST", "Same-Origin", "-"),
        ("POST", "", "-"),
        ("POST", "bogus", "-"),
    ];
    let refused_by_origin = [
        ("POST", "-", "http://app.example"),
        ("POST", "-", "http://app.example:8081"),
        ("POST", "-", "http://evil.example"),
        ("POST", "-", "null"),
        ("POST", "-", ""),
        ("POST", "-", "http://app.example:8080/"),
        ("POST", "-", "http://u@app.example:8080"),
        ("POST", "-", "app.example:8080"),
        ("POST", "-", "://app.example:8080"),
    ];
    let cs = CrossSite::default();
    let header = |v: &'static str| (v != "-").then_some(v);
    let check = |(method, site, origin)| cs.check(&req(method, header(site), header(origin)));
    for row in allowed {
        assert_eq!(check(row), Ok(()), "{row:?}");
    }
    for row in refused_by_fetch_metadata {
        assert_eq!(check(row), Err(CrossOrigin), "{row:?}");
    }
    for row in refused_by_origin {
        assert_eq!(check(row), Err(OriginMismatch), "{row:?}");
    }
}

#[test]
fn no_host_never_matches_an_origin() {
    let request = CrossSiteRequest {
        host: None,
        ..req("POST", None, Some("http://app.example:8080"))
    };
    assert_eq!(CrossSite::default().check(&request), Err(OriginMismatch));
}

#[test]
fn header_bytes_that_are_not_utf8_are_refused_not_a_panic() {
    let cs = CrossSite::default()
        .trust_origin("https://a.example")
        .unwrap();
    let request = CrossSiteRequest {
        method: "POST",
        path: "/\u{e9}",
        sec_fetch_site: None,
        origin: Some(b"http://\xff\xfe"),
        host: Some(b"\xff\xfe"),
    };
    assert_eq!(cs.check(&request), Err(OriginMismatch));
    let request = CrossSiteRequest {
        sec_fetch_site: Some(b"\xffsame-origin"),
        ..request
    };
    assert_eq!(cs.check(&request), Err(CrossOrigin));
}

#[test]
fn trusted_origins_pass_either_refusal() {
    let cs = CrossSite::default()
        .trust_origin("https://Partner.example")
        .unwrap()
        .trust_origin("http://[::1]:3000")
        .unwrap();
    for site in [Some("cross-site"), Some("same-site"), None] {
        assert_eq!(
            cs.check(&req("POST", site, Some("https://partner.example"))),
            Ok(())
        );
        assert_eq!(
            cs.check(&req("POST", site, Some("http://[::1]:3000"))),
            Ok(())
        );
        let other = cs.check(&req("POST", site, Some("https://partner.example.evil")));
        assert!(other.is_err(), "{site:?}");
        // Exact: another port or scheme is another origin.
        assert!(
            cs.check(&req("POST", site, Some("https://partner.example:444")))
                .is_err()
        );
        assert!(
            cs.check(&req("POST", site, Some("http://partner.example")))
                .is_err()
        );
    }
    // Trust needs an Origin.
    assert_eq!(
        cs.check(&req("POST", Some("cross-site"), None)),
        Err(CrossOrigin)
    );
}

#[test]
fn invalid_trusted_origins_are_configuration_errors() {
    for bad in [
        "",
        "null",
        "app.example",
        "https://",
        "https:///",
        "https://app.example/",
        "https://app.example/path",
        "https://app.example?q",
        "https://app.example#f",
        "https://user@app.example",
        "https://app.example:",
        "https://app.example:99999",
        "https://app.example:8x",
        "https://:443",
        "1https://app.example",
        "https://app example",
        "https://[::1",
        "https://::1]",
        "*",
    ] {
        assert!(
            matches!(
                CrossSite::default().trust_origin(bad),
                Err(Error::InvalidConfig { .. })
            ),
            "{bad:?}"
        );
    }
    for good in [
        "https://app.example",
        "http://127.0.0.1:8080",
        "http://[::1]",
        "http://[::1]:65535",
        "chrome-extension://abcdef",
    ] {
        assert!(CrossSite::default().trust_origin(good).is_ok(), "{good:?}");
    }
}

#[test]
fn exemptions_match_exactly_or_under_a_prefix() {
    let cs = CrossSite::default()
        .exempt("/webhooks/")
        .unwrap()
        .exempt("/callback")
        .unwrap();
    let at = |path| CrossSiteRequest {
        path,
        ..req("POST", Some("cross-site"), Some("https://evil.example"))
    };
    for ok in [
        "/webhooks/",
        "/webhooks/stripe",
        "/webhooks/a/b",
        "/callback",
    ] {
        assert_eq!(cs.check(&at(ok)), Ok(()), "{ok}");
    }
    for refused in [
        "/webhooks",
        "/webhooksx/",
        "/callback/",
        "/callbackx",
        "/Callback",
        "/webhooks/../sign-in",
        "/webhooks/./x",
        "/webhooks/..",
        "/webhooks/%2e%2e/sign-in",
        "/webhooks/%2E./sign-in",
        "/webhooks/x%2Fy",
        "/webhooks/x%5cy",
        "/webhooks/x\\..\\y",
        "",
    ] {
        assert_eq!(cs.check(&at(refused)), Err(CrossOrigin), "{refused}");
    }
    // An exemption also covers the Origin-mismatch refusal.
    let old = CrossSiteRequest {
        path: "/callback",
        ..req("POST", None, Some("https://evil.example"))
    };
    assert_eq!(cs.check(&old), Ok(()));
}

#[test]
fn invalid_exempt_paths_are_configuration_errors() {
    for bad in [
        "",
        "webhooks/",
        "/a b",
        "/a?b",
        "/a#b",
        "/a/../b",
        "/a/./",
        "/..",
        "/a%2e%2e",
        "/a%2fb",
        "/a\\b",
        "/\u{e9}",
    ] {
        assert!(
            matches!(
                CrossSite::default().exempt(bad),
                Err(Error::InvalidConfig { .. })
            ),
            "{bad:?}"
        );
    }
    assert!(CrossSite::default().exempt("/").is_ok());
    assert!(CrossSite::default().exempt("/caf%C3%A9").is_ok());
}

#[test]
fn disabled_allows_everything_and_duplicates_are_kept_once() {
    let off = CrossSite::disabled();
    assert_eq!(
        off.check(&req("POST", Some("cross-site"), Some("null"))),
        Ok(())
    );
    let cs = CrossSite::default()
        .trust_origin("https://a.example")
        .unwrap()
        .trust_origin("HTTPS://A.EXAMPLE")
        .unwrap()
        .exempt("/x")
        .unwrap()
        .exempt("/x")
        .unwrap();
    assert_eq!(cs.trusted_origins().count(), 1);
    assert_eq!(cs.exemptions().count(), 1);
}

#[test]
fn request_host_prefers_the_uri_authority() {
    assert_eq!(request_host(Some("a:1"), Some(b"b")), Some(&b"a:1"[..]));
    assert_eq!(request_host(None, Some(b"b")), Some(&b"b"[..]));
    assert_eq!(request_host(Some(""), Some(b"b")), Some(&b"b"[..]));
    assert_eq!(request_host(None, None), None);
}

fn t0() -> SystemTime {
    UNIX_EPOCH + Duration::from_secs(1_800_000_000)
}

fn session_of(codec: &Codec<u32>, cookie: &str, now: SystemTime) -> Session<u32> {
    Session::from_cookies(codec, &RequestCookies::from_header(cookie), now)
}

fn cookie_of(session: &Session<u32>) -> String {
    session
        .set_cookie_headers()
        .iter()
        .map(|l| l.split(';').next().unwrap().to_owned())
        .collect::<Vec<_>>()
        .join("; ")
}

#[test]
fn csrf_token_is_stable_for_a_session_and_bound_to_its_id() {
    let keyring = Keyring::new([Key::new(KeyId::new(1), [1; 32])]).unwrap();
    let codec = Codec::<u32>::builder(keyring).build().unwrap();
    let first = session_of(&codec, "", t0());
    assert_eq!(first.csrf_token(), None);
    assert!(!first.verify_csrf(&"A".repeat(TOKEN_CHARS)));
    first.set(1).unwrap();
    let token = first.csrf_token().unwrap();
    assert_eq!(token.len(), TOKEN_CHARS);
    // The next request of the same session: the same token, and it verifies.
    let next = session_of(&codec, &cookie_of(&first), t0() + Duration::from_secs(5));
    assert_eq!(next.csrf_token().as_deref(), Some(token.as_str()));
    assert!(next.verify_csrf(&token));
    // Any change to the token fails.
    let mut bytes = Vec::new();
    crate::base64url::decode_to(&token, &mut bytes).unwrap();
    for i in 0..bytes.len() {
        let mut bad = bytes.clone();
        bad[i] ^= 1;
        let mut text = String::new();
        crate::base64url::encode_to(&bad, &mut text);
        assert!(!next.verify_csrf(&text), "byte {i}");
    }
    for junk in [
        "",
        "x",
        &token[1..],
        &format!("{token}A"),
        &"\u{e9}".repeat(24),
    ] {
        assert!(!next.verify_csrf(junk), "{junk:?}");
    }
    // Sign-in is a new session id: the pre-login token no longer verifies.
    next.sign_in(2, &crate::Lifetime::browser_session())
        .unwrap();
    assert!(!next.verify_csrf(&token));
    assert_ne!(next.csrf_token().unwrap(), token);
    next.clear();
    assert_eq!(next.csrf_token(), None);
    assert!(!next.verify_csrf(&token));
}

#[test]
fn csrf_token_is_bound_to_the_cookie_name_and_never_in_debug() {
    let keyring = Keyring::new([Key::new(KeyId::new(1), [1; 32])]).unwrap();
    let a = Codec::<u32>::builder(keyring.clone()).build().unwrap();
    let b = Codec::<u32>::builder(keyring)
        .cookie_name("__Host-other")
        .build()
        .unwrap();
    let s = session_of(&a, "", t0());
    s.set(1).unwrap();
    let token = s.csrf_token().unwrap();
    let meta = s.metadata().unwrap();
    let message = csrf_message(b.cookie_name(), meta.session_id().as_bytes());
    let mut bytes = Vec::new();
    crate::base64url::decode_to(&token, &mut bytes).unwrap();
    assert!(
        !b.keyring()
            .csrf_verify(KeyId::new(1), &message, &bytes[4..], to_unix(t0()))
    );
    assert!(!format!("{s:?}").contains(&token));
    assert!(!format!("{a:?}").contains(&token));
}

#[test]
fn csrf_token_outlives_a_rotation_while_its_key_is_held() {
    let rotation = t0() + Duration::from_secs(3600);
    let old = Key::new(KeyId::new(1), [1; 32]);
    let new = Key::new(KeyId::new(2), [2; 32]).with_not_before(rotation);
    let codec = Codec::<u32>::builder(Keyring::new([old.clone(), new.clone()]).unwrap())
        .build()
        .unwrap();
    let s = session_of(&codec, "", t0());
    s.set(1).unwrap();
    let before = s.csrf_token().unwrap();
    // After the rotation the session is re-sealed under key 2; the old token still holds.
    let later = rotation + Duration::from_secs(60);
    let after_rotation = session_of(&codec, &cookie_of(&s), later);
    assert!(after_rotation.verify_csrf(&before));
    let after = after_rotation.csrf_token().unwrap();
    assert_ne!(after, before, "signed by the new primary");
    assert!(after_rotation.verify_csrf(&after));
    // Once key 1 is retired (past not_after), its tokens are refused.
    let retired = Codec::<u32>::builder(Keyring::new([old.with_not_after(later), new]).unwrap())
        .build()
        .unwrap();
    let s2 = session_of(&retired, &cookie_of(&after_rotation), later);
    assert_eq!(
        s2.metadata().map(|m| m.session_id()),
        s.metadata().map(|m| m.session_id())
    );
    assert!(!s2.verify_csrf(&before));
    assert!(s2.verify_csrf(&after));
}

/// FORMAT.md 2.5, computed independently (Python's `hmac` and `hashlib`: HKDF-Expand of
/// one block, then HMAC-SHA256 of the message).
#[test]
fn csrf_token_known_answer() {
    let keyring = Keyring::new([Key::new(KeyId::new(1), [1; 32])]).unwrap();
    let message = csrf_message("__Host-session", &[0x11; 16]);
    let (id, tag) = keyring.csrf_sign(&message, to_unix(t0())).unwrap();
    assert_eq!(
        encode_token(id, &tag),
        "AAAAAfPTqGf4xijcSc607vFSx4yKotedK4VfXwQSFqK3FuDE"
    );
}

#[test]
fn csrf_subkey_is_not_the_signing_key() {
    // A signed-mode codec's MAC key and the CSRF key differ: a CSRF tag is not a valid
    // signature of the same bytes.
    let keyring = Keyring::new([Key::new(KeyId::new(1), [1; 32])]).unwrap();
    let (_, cipher) = keyring.primary_entry(to_unix(t0())).unwrap();
    let tag = cipher.csrf_tag(b"data");
    assert!(cipher.verify(&[], b"data", &tag).is_err());
    assert!(cipher.csrf_verify(b"data", &tag));
}
