//! Cross-site request protection and the session-bound CSRF token, through both frameworks.
//!
//! The routes (in both frontends): `POST /sign-in` (`sign_in(100)`), `GET /csrf` (the token or
//! `none`), `POST /form` (`X-CSRF-Token` verified, then counter + 1; `403 bad csrf token`
//! otherwise) and `POST /webhooks/ping` (`pong`, never takes the session).

use std::time::Duration;

use sealed_session::testing::CookieJar;
use sealed_session::{Clock, Codec, CrossSite, Key, KeyId, Keyring, ManualClock};

use super::{Browser, Counter, Frontend, Reply, codec, t0};

const EVIL: &str = "https://evil.example";
const HOST: &str = "app.example";
const SELF_ORIGIN: &str = "http://app.example";

impl<F: Frontend> Browser<F> {
    /// A browser of an app whose layer runs `cross_site`.
    pub fn guarded(cross_site: CrossSite) -> Self {
        Self::guarded_with(codec(), cross_site)
    }

    /// The same, with the app's codec.
    pub fn guarded_with(codec: Codec<Counter>, cross_site: CrossSite) -> Self {
        let clock = ManualClock::new(t0());
        Browser {
            app: F::guarded(codec, clock.clone(), cross_site),
            jar: CookieJar::new(),
            clock,
        }
    }

    /// Sends a request with extra headers (and the jar's cookies).
    pub fn send_with(&mut self, method: &str, path: &str, headers: &[(&str, &str)]) -> Reply {
        let now = self.clock.now();
        let reply = self
            .app
            .send_with(method, path, &self.jar.header(now), headers);
        self.jar.apply(reply.set_cookies(), now);
        reply
    }

    /// What the browser would send as `Cookie` now.
    fn cookie(&self) -> String {
        self.jar.header(self.clock.now())
    }
}

/// A form post from another site, as a current browser sends it.
fn cross_site() -> [(&'static str, &'static str); 3] {
    [
        ("sec-fetch-site", "cross-site"),
        ("origin", EVIL),
        ("host", HOST),
    ]
}

fn assert_refused(reply: &Reply) {
    assert_eq!(reply.status, 403, "{reply:?}");
    assert!(
        reply
            .body
            .starts_with("Forbidden: cross-origin request refused"),
        "{}",
        reply.body
    );
    assert_eq!(
        reply.header("content-type"),
        Some("text/plain; charset=utf-8")
    );
    assert!(reply.set_cookies().is_empty(), "{:?}", reply.headers);
    assert_eq!(reply.header("vary"), None, "no session processing");
}

pub fn a_cross_site_post_is_refused_before_the_handler_and_the_session_is_untouched<F: Frontend>() {
    let mut victim = Browser::<F>::new(Default::default());
    assert_eq!(victim.send("POST", "/incr").body, "1");
    let cookie = victim.cookie();
    // The handlers would answer with a number or "signed in", and write a cookie.
    for path in ["/incr", "/sign-in", "/sign-out", "/form"] {
        let reply = victim.send_with("POST", path, &cross_site());
        assert_refused(&reply);
        assert_eq!(
            victim.cookie(),
            cookie,
            "{path}: the victim's cookie is unchanged"
        );
    }
    // Also same-site (another port, another subdomain) and a method other than POST.
    let same_site = [
        ("sec-fetch-site", "same-site"),
        ("origin", "http://app.example:8080"),
    ];
    assert_refused(&victim.send_with("POST", "/incr", &same_site));
    assert_refused(&victim.send_with("DELETE", "/incr", &cross_site()));
    assert_eq!(victim.send("GET", "/read").body, "1");
    assert_eq!(victim.cookie(), cookie);
}

pub fn same_origin_and_user_initiated_posts_pass<F: Frontend>() {
    let mut b = Browser::<F>::new(Default::default());
    let form = [
        ("sec-fetch-site", "same-origin"),
        ("origin", SELF_ORIGIN),
        ("host", HOST),
    ];
    assert_eq!(b.send_with("POST", "/incr", &form).body, "1");
    // `none`: typed, bookmarked, or a browser's own UI.
    assert_eq!(
        b.send_with("POST", "/incr", &[("sec-fetch-site", "none")])
            .body,
        "2"
    );
    let signed_in = b.send_with("POST", "/sign-in", &form);
    assert_eq!(
        (signed_in.status, signed_in.body.as_str()),
        (200, "signed in")
    );
    assert_eq!(signed_in.set_cookies().len(), 1);
    assert_eq!(b.send("GET", "/read").body, "100");
}

pub fn without_fetch_metadata_an_origin_that_is_not_the_host_is_refused<F: Frontend>() {
    let mut b = Browser::<F>::new(Default::default());
    b.send("POST", "/incr");
    let cookie = b.cookie();
    for origin in [
        EVIL,
        "null",
        "http://app.example:8080",
        "https://app.example.evil",
    ] {
        let reply = b.send_with("POST", "/incr", &[("origin", origin), ("host", HOST)]);
        assert_refused(&reply);
        assert!(
            reply.body.contains("Origin does not match Host"),
            "{}",
            reply.body
        );
    }
    // No Host to compare with: refused too.
    assert_refused(&b.send_with("POST", "/incr", &[("origin", SELF_ORIGIN)]));
    assert_eq!(b.cookie(), cookie);
    // The page's own origin (case aside) passes.
    let own = [("origin", "http://APP.example"), ("host", HOST)];
    assert_eq!(b.send_with("POST", "/incr", &own).body, "2");
}

pub fn a_request_with_neither_header_passes<F: Frontend>() {
    let mut b = Browser::<F>::new(Default::default());
    assert_eq!(b.send_with("POST", "/incr", &[("host", HOST)]).body, "1");
    assert_eq!(b.send("POST", "/incr").body, "2");
}

pub fn safe_methods_always_pass<F: Frontend>() {
    let mut b = Browser::<F>::new(Default::default());
    b.send("POST", "/incr");
    let read = b.send_with("GET", "/read", &cross_site());
    assert_eq!((read.status, read.body.as_str()), (200, "1"));
    for method in ["HEAD", "OPTIONS"] {
        let reply = b.send_with(method, "/read", &cross_site());
        assert_ne!(reply.status, 403, "{method}: {reply:?}");
    }
}

pub fn a_trusted_origin_passes<F: Frontend>() {
    let trusted = CrossSite::default()
        .trust_origin("https://partner.example")
        .unwrap();
    let mut b = Browser::<F>::guarded(trusted);
    let partner = [
        ("sec-fetch-site", "cross-site"),
        ("origin", "https://partner.example"),
        ("host", HOST),
    ];
    assert_eq!(b.send_with("POST", "/incr", &partner).body, "1");
    // Without Sec-Fetch-Site, too.
    assert_eq!(b.send_with("POST", "/incr", &partner[1..]).body, "2");
    // Only that origin.
    assert_refused(&b.send_with("POST", "/incr", &cross_site()));
    let other_port = [
        ("sec-fetch-site", "cross-site"),
        ("origin", "https://partner.example:8443"),
    ];
    assert_refused(&b.send_with("POST", "/incr", &other_port));
    assert_eq!(b.send("GET", "/read").body, "2");
}

pub fn an_exempt_route_passes_and_only_it<F: Frontend>() {
    let exempt = CrossSite::default().exempt("/webhooks/").unwrap();
    let mut b = Browser::<F>::guarded(exempt);
    let hook = b.send_with("POST", "/webhooks/ping", &cross_site());
    assert_eq!((hook.status, hook.body.as_str()), (200, "pong"));
    assert!(hook.set_cookies().is_empty());
    assert_refused(&b.send_with("POST", "/incr", &cross_site()));
}

pub fn disabled_protection_lets_a_cross_site_post_through<F: Frontend>() {
    let mut b = Browser::<F>::guarded(CrossSite::disabled());
    b.send("POST", "/incr");
    let forged = b.send_with("POST", "/sign-in", &cross_site());
    assert_eq!((forged.status, forged.body.as_str()), (200, "signed in"));
    assert_eq!(b.send("GET", "/read").body, "100");
}

pub fn a_csrf_token_round_trips_and_another_sessions_token_is_refused<F: Frontend>() {
    let mut alice = Browser::<F>::new(Default::default());
    assert_eq!(
        alice.send("GET", "/csrf").body,
        "none",
        "no session, no token"
    );
    alice.send("POST", "/incr");
    let token = alice.send("GET", "/csrf").body;
    assert_eq!(token.len(), 48);
    assert_eq!(
        alice.send("GET", "/csrf").body,
        token,
        "stable for the session"
    );

    let posted = alice.send_with("POST", "/form", &[("x-csrf-token", &token)]);
    assert_eq!((posted.status, posted.body.as_str()), (200, "2"));
    let missing = alice.send("POST", "/form");
    assert_eq!(
        (missing.status, missing.body.as_str()),
        (403, "bad csrf token")
    );

    let mut mallory = Browser::<F>::new(Default::default());
    mallory.send("POST", "/incr");
    let mallorys = mallory.send("GET", "/csrf").body;
    assert_ne!(mallorys, token);
    let forged = alice.send_with("POST", "/form", &[("x-csrf-token", &mallorys)]);
    assert_eq!(
        (forged.status, forged.body.as_str()),
        (403, "bad csrf token")
    );
    assert!(forged.set_cookies().is_empty());
    let mut tampered = token.clone().into_bytes();
    tampered[47] = if tampered[47] == b'A' { b'B' } else { b'A' };
    let tampered = String::from_utf8(tampered).unwrap();
    let bad = alice.send_with("POST", "/form", &[("x-csrf-token", &tampered)]);
    assert_eq!(bad.status, 403);
    assert_eq!(alice.send("GET", "/read").body, "2");

    // Signing in starts a new session id: the token of before no longer holds.
    alice.send("POST", "/sign-in");
    let stale = alice.send_with("POST", "/form", &[("x-csrf-token", &token)]);
    assert_eq!(stale.status, 403);
    let fresh = alice.send("GET", "/csrf").body;
    assert_ne!(fresh, token);
    let posted = alice.send_with("POST", "/form", &[("x-csrf-token", &fresh)]);
    assert_eq!((posted.status, posted.body.as_str()), (200, "101"));
}

pub fn a_csrf_token_survives_a_key_rotation<F: Frontend>() {
    let rotation = t0() + Duration::from_secs(600);
    let keyring = Keyring::new([
        Key::new(KeyId::new(1), [1; 32]),
        Key::new(KeyId::new(2), [2; 32]).with_not_before(rotation),
    ])
    .unwrap();
    let codec = Codec::builder(keyring).build().unwrap();
    let mut b = Browser::<F>::guarded_with(codec, CrossSite::default());
    b.send("POST", "/incr");
    let before = b.send("GET", "/csrf").body;
    b.clock.advance(Duration::from_secs(900));
    // The first request after the rotation re-seals the session under key 2.
    assert_eq!(b.send("GET", "/read").set_cookies().len(), 1);
    let posted = b.send_with("POST", "/form", &[("x-csrf-token", &before)]);
    assert_eq!((posted.status, posted.body.as_str()), (200, "2"));
    let after = b.send("GET", "/csrf").body;
    assert_ne!(after, before, "new tokens come from the new primary");
    let posted = b.send_with("POST", "/form", &[("x-csrf-token", &after)]);
    assert_eq!(posted.body, "3");
}
