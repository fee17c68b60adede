//! Issue item 4: `Set-Cookie` rendering (attributes, lifetime), name prefix validation, and
//! parsing of the request's `Cookie` header(s).

mod common;

use std::time::Duration;

use common::{attribute, attributes, cookie_header, now, pair_of, pairs, ring, value_of};
use sealed_session::{
    ChunkError, Codec, CodecBuilder, CookieAttributes, Error, Expiry, RequestCookies, SameSite,
};

fn builder() -> CodecBuilder<String> {
    Codec::builder(ring())
}

fn seal_lines(codec: &Codec<String>, value: &str) -> Vec<String> {
    codec
        .seal(&value.to_owned(), None, &RequestCookies::new(), now())
        .unwrap()
        .into_headers()
}

fn open(codec: &Codec<String>, request: &RequestCookies<'_>) -> Result<Option<String>, Error> {
    codec.open(request, now()).map(|o| o.map(|o| o.session))
}

fn is_config_err<T>(r: Result<T, Error>) -> bool {
    matches!(r, Err(Error::InvalidConfig { .. }))
}

#[test]
fn default_line_has_every_attribute_in_order() {
    let codec = builder().build().unwrap();
    let lines = seal_lines(&codec, "alice");
    assert_eq!(lines.len(), 1);
    let line = &lines[0];
    let value = value_of(pair_of(line));
    assert!(!value.is_empty());
    assert!(
        value
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
    );
    // Default policy: idle 2 h is the earlier deadline; T0 + 7200 s is 10:00:00 that day.
    let expected = format!(
        "__Host-session={value}; Max-Age=7200; Expires=Fri, 15 Jan 2027 10:00:00 GMT; \
         Path=/; Secure; HttpOnly; SameSite=Lax"
    );
    assert_eq!(line, &expected);
    assert!(!line.contains('\r') && !line.contains('\n'));
}

#[test]
fn configured_attributes_are_rendered() {
    let attrs = CookieAttributes::default()
        .path("/app")
        .domain(Some("example.com"))
        .same_site(Some(SameSite::Strict));
    let codec = builder()
        .cookie_name("sid")
        .attributes(attrs)
        .build()
        .unwrap();
    let line = &seal_lines(&codec, "x")[0];
    assert!(line.starts_with("sid="));
    assert_eq!(
        attributes(line)[2..],
        [
            "Path=/app",
            "Domain=example.com",
            "Secure",
            "HttpOnly",
            "SameSite=Strict"
        ]
    );

    let plain = CookieAttributes::default()
        .secure(false)
        .http_only(false)
        .same_site(None);
    let codec = builder()
        .cookie_name("sid")
        .attributes(plain)
        .build()
        .unwrap();
    let line = &seal_lines(&codec, "x")[0];
    let a = attributes(line);
    assert_eq!(a[2..], ["Path=/"]);
    assert!(!line.contains("Secure") && !line.contains("HttpOnly") && !line.contains("SameSite"));
    assert!(attribute(line, "Domain").is_none());

    let none = CookieAttributes::default().same_site(Some(SameSite::None));
    let codec = builder().attributes(none).build().unwrap();
    assert_eq!(
        attribute(&seal_lines(&codec, "x")[0], "SameSite"),
        Some("None")
    );
    let lax = builder().build().unwrap();
    assert_eq!(
        attribute(&seal_lines(&lax, "x")[0], "SameSite"),
        Some("Lax")
    );
}

#[test]
fn lifetime_attributes_follow_the_policy() {
    let absolute_only = Expiry::default()
        .absolute(Some(Duration::from_secs(3600)))
        .idle(None);
    let codec = builder().expiry(absolute_only).build().unwrap();
    let line = &seal_lines(&codec, "x")[0];
    assert_eq!(attribute(line, "Max-Age"), Some("3600"));
    assert_eq!(
        attribute(line, "Expires"),
        Some("Fri, 15 Jan 2027 09:00:00 GMT")
    );

    let idle_only = Expiry::default()
        .absolute(None)
        .idle(Some(Duration::from_secs(100)));
    let codec = builder().expiry(idle_only).build().unwrap();
    let line = &seal_lines(&codec, "x")[0];
    assert_eq!(attribute(line, "Max-Age"), Some("100"));
    assert_eq!(
        attribute(line, "Expires"),
        Some("Fri, 15 Jan 2027 08:01:40 GMT")
    );

    // No limit at all: a browser-session cookie, neither Max-Age nor Expires.
    let unlimited = Expiry::default().absolute(None).idle(None);
    let codec = builder().expiry(unlimited).build().unwrap();
    let line = &seal_lines(&codec, "x")[0];
    assert!(
        attribute(line, "Max-Age").is_none() && attribute(line, "Expires").is_none(),
        "{line}"
    );

    // Expires can be left out; Max-Age stays.
    let codec = builder()
        .attributes(CookieAttributes::default().expires(false))
        .build()
        .unwrap();
    let line = &seal_lines(&codec, "x")[0];
    assert_eq!(attribute(line, "Max-Age"), Some("7200"));
    assert!(attribute(line, "Expires").is_none());
}

#[test]
fn every_chunk_carries_the_same_attributes() {
    let codec = builder().max_total_bytes(20_000).build().unwrap();
    let big = "z".repeat(9_000);
    let sealed = codec
        .seal(&big, None, &RequestCookies::new(), now())
        .unwrap();
    assert!(sealed.chunk_count() >= 3);
    let attrs: Vec<Vec<&str>> = sealed.headers().iter().map(|l| attributes(l)).collect();
    assert!(attrs.windows(2).all(|w| w[0] == w[1]));
    for (i, line) in sealed.headers().iter().enumerate() {
        let name = pair_of(line).split_once('=').unwrap().0;
        let expected = if i == 0 {
            "__Host-session".to_owned()
        } else {
            format!("__Host-session.{i}")
        };
        assert_eq!(name, expected);
    }
}

#[test]
fn host_prefix_needs_secure_root_path_and_no_domain() {
    let with =
        |attrs: CookieAttributes, name: &str| builder().cookie_name(name).attributes(attrs).build();
    let ok = CookieAttributes::default();
    for name in ["__Host-session", "__host-session", "__HOST-s"] {
        assert!(with(ok.clone(), name).is_ok(), "{name}");
        assert!(
            is_config_err(with(ok.clone().secure(false), name)),
            "{name}: not Secure"
        );
        assert!(
            is_config_err(with(ok.clone().path("/app"), name)),
            "{name}: Path"
        );
        assert!(
            is_config_err(with(ok.clone().domain(Some("example.com")), name)),
            "{name}: Domain"
        );
    }
    // Without the prefix, the same attributes are fine.
    assert!(
        with(
            ok.clone()
                .secure(false)
                .path("/app")
                .domain(Some("example.com")),
            "session"
        )
        .is_ok()
    );
}

#[test]
fn secure_prefix_needs_secure_only() {
    let with =
        |attrs: CookieAttributes, name: &str| builder().cookie_name(name).attributes(attrs).build();
    let ok = CookieAttributes::default();
    for name in ["__Secure-session", "__secure-s"] {
        assert!(with(ok.clone(), name).is_ok(), "{name}");
        assert!(
            with(ok.clone().path("/app").domain(Some("example.com")), name).is_ok(),
            "{name}"
        );
        assert!(
            is_config_err(with(ok.clone().secure(false), name)),
            "{name}"
        );
    }
}

#[test]
fn invalid_names_and_attributes_are_refused_at_build() {
    for name in [
        "",
        "a b",
        "a;b",
        "a=b",
        "a,b",
        "a\tb",
        "sessión",
        &"n".repeat(201),
    ] {
        assert!(
            is_config_err(builder().cookie_name(name).build()),
            "{name:?}"
        );
    }
    assert!(
        builder()
            .cookie_name(&"n".repeat(200))
            .attributes(CookieAttributes::default())
            .build()
            .is_ok()
    );
    let plain = || CookieAttributes::default().secure(false);
    let build = |a: CookieAttributes| builder().cookie_name("s").attributes(a).build();
    assert!(is_config_err(build(plain().path("app"))));
    assert!(is_config_err(build(plain().path("/a;b"))));
    assert!(is_config_err(build(plain().path("/a\nb"))));
    assert!(is_config_err(build(plain().domain(Some("exa mple.com")))));
    assert!(is_config_err(build(
        plain().domain(Some("example.com; Secure"))
    )));
    assert!(is_config_err(build(plain().domain(Some("")))));
    assert!(build(plain().domain(Some(".example.com"))).is_ok());
    // SameSite=None without Secure is dropped by browsers: refused.
    assert!(is_config_err(build(
        plain().same_site(Some(SameSite::None))
    )));
    // Purpose longer than 255 bytes.
    assert!(is_config_err(builder().purpose(&"p".repeat(256)).build()));
    assert!(builder().purpose(&"p".repeat(255)).build().is_ok());
}

#[test]
fn request_parsing_tolerates_odd_headers() {
    let codec = builder().build().unwrap();
    let sealed = codec
        .seal(&"bob".to_owned(), None, &RequestCookies::new(), now())
        .unwrap();
    let pair = cookie_header(&sealed);
    let value = value_of(&pair);

    // Duplicates of unrelated cookies, empty pieces, bare words, tabs and spaces.
    let header = format!("a=1; a=2;; flag ;\t{pair} ;a=3; b=\"q\"");
    assert_eq!(
        open(&codec, &RequestCookies::from_header(&header))
            .unwrap()
            .unwrap(),
        "bob"
    );
    // Spaces around the name and the value, and a quoted value.
    for header in [
        format!("  __Host-session = {value}  "),
        format!("__Host-session=\"{value}\""),
        format!("x=y;__Host-session={value}"),
    ] {
        assert_eq!(
            open(&codec, &RequestCookies::from_header(&header))
                .unwrap()
                .unwrap(),
            "bob",
            "{header}"
        );
    }
    // Several Cookie headers (HTTP/2 splits them), the session in the last one.
    let request: RequestCookies = ["a=1", "", "b=2; c", &pair].into_iter().collect();
    assert_eq!(open(&codec, &request).unwrap().unwrap(), "bob");
    // No session at all: Ok(None), whatever else is there.
    for header in [
        "",
        ";;;",
        "a=1; b=2",
        "__Host-session",
        "__Host-sessionx=1",
        "__host-session=1",
    ] {
        assert_eq!(
            open(&codec, &RequestCookies::from_header(header)).unwrap(),
            None,
            "{header:?}"
        );
    }
    assert_eq!(open(&codec, &RequestCookies::new()).unwrap(), None);
    // The session cookie itself twice is ambiguous: rejected.
    let twice = format!("{pair}; {pair}");
    assert_eq!(
        open(&codec, &RequestCookies::from_header(&twice)).unwrap_err(),
        Error::Chunks(ChunkError::Duplicate { index: 0 })
    );
    // An empty session value is malformed, not a panic.
    assert!(matches!(
        open(&codec, &RequestCookies::from_header("__Host-session=")),
        Err(Error::Malformed { .. })
    ));
}

#[test]
fn request_cookies_api_reads_pairs_in_order() {
    let mut cookies = RequestCookies::from_header(" a = 1 ;b=;=x; c=\"q\"; word; a=2");
    cookies.add_header("d=4");
    let got: Vec<(&str, &str)> = cookies.iter().collect();
    assert_eq!(
        got,
        [("a", "1"), ("b", ""), ("c", "q"), ("a", "2"), ("d", "4")]
    );
    assert_eq!(cookies.get("a"), Some("1"));
    assert_eq!(cookies.get("d"), Some("4"));
    assert_eq!(cookies.get("word"), None);
    let from: RequestCookies = "x=1".into();
    assert_eq!(from.get("x"), Some("1"));
}

#[test]
fn clear_deletes_the_cookie_and_every_chunk_present() {
    let codec = builder().build().unwrap();
    let lines = codec.clear(&RequestCookies::new());
    assert_eq!(
        lines,
        [
            "__Host-session=; Max-Age=0; Expires=Thu, 01 Jan 1970 00:00:00 GMT; Path=/; Secure; HttpOnly; SameSite=Lax"
        ]
    );
    let big = codec.seal(&"y".repeat(7_000), None, &RequestCookies::new(), now());
    // The default budget does not hold 7000 bytes; a larger one does.
    assert!(matches!(big, Err(Error::TooLarge { .. })));
    let roomy = builder().max_total_bytes(20_000).build().unwrap();
    let sealed = roomy
        .seal(&"y".repeat(7_000), None, &RequestCookies::new(), now())
        .unwrap();
    let header = format!("other=1; {}", pairs(&sealed).join("; "));
    let lines = roomy.clear(&RequestCookies::from_header(&header));
    assert_eq!(lines.len(), sealed.chunk_count());
    for (i, line) in lines.iter().enumerate() {
        let name = if i == 0 {
            "__Host-session".to_owned()
        } else {
            format!("__Host-session.{i}")
        };
        assert!(line.starts_with(&format!("{name}=; Max-Age=0;")), "{line}");
    }
}

/// The plain-HTTP development switch: in a debug build, the name loses its prefix and the
/// cookies their `Secure`; in a release build the codec refuses to build (run by
/// `cargo test --release`).
#[test]
fn insecure_development_cookies_exist_in_debug_builds_only() {
    let built = sealed_session::Codec::<u8>::builder(sealed_session::Keyring::generate().unwrap())
        .cookie_name("__Secure-app")
        .insecure_development_cookies()
        .build();
    if cfg!(debug_assertions) {
        let codec = built.unwrap();
        assert_eq!(codec.cookie_name(), "app");
        let line = codec
            .seal(
                &1,
                None,
                &sealed_session::RequestCookies::new(),
                std::time::SystemTime::now(),
            )
            .unwrap()
            .headers()[0]
            .clone();
        assert!(
            line.starts_with("app=") && !line.contains("Secure"),
            "{line}"
        );
    } else {
        assert!(matches!(
            built,
            Err(sealed_session::Error::InvalidConfig { .. })
        ));
    }
}

/// RFC 6265bis prefixes: `__Http-` needs Secure and HttpOnly, `__Host-Http-` also Path=/ and no
/// Domain (Chromium drops such cookies silently otherwise); and a name that another codec's
/// chunk names would collide with is refused.
#[test]
fn http_prefixes_and_chunk_like_names_are_validated() {
    use sealed_session::{Codec, CookieAttributes, Error, Keyring};
    let build = |name: &str, attrs: CookieAttributes| {
        Codec::<u8>::builder(Keyring::generate().unwrap())
            .cookie_name(name)
            .attributes(attrs)
            .build()
    };
    let ok = CookieAttributes::default();
    for name in ["__Http-s", "__http-s", "__Host-Http-s", "__HOST-http-s"] {
        assert!(build(name, ok.clone()).is_ok(), "{name}");
        assert!(
            matches!(
                build(name, ok.clone().http_only(false)),
                Err(Error::InvalidConfig { .. })
            ),
            "{name} without HttpOnly"
        );
        assert!(
            build(name, ok.clone().secure(false)).is_err(),
            "{name} without Secure"
        );
    }
    assert!(build("__Host-Http-s", ok.clone().path("/app")).is_err());
    assert!(build("__Http-s", ok.clone().path("/app")).is_ok());
    for name in ["cart.1", "cart.15", "a.0"] {
        assert!(build(name, ok.clone()).is_err(), "{name}");
    }
    for name in ["cart.v1", "cart.", "v1.2x"] {
        assert!(build(name, ok.clone()).is_ok(), "{name}");
    }
}
