//! The session layer's behaviour, written once and run through both frameworks: each
//! framework's test file (`layer_axum.rs`, `layer_actix.rs`) implements [`Frontend`] with the
//! same routes and calls [`all_cases!`], so axum and actix-web are held to the same cases.
#![allow(dead_code)]

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use sealed_session::testing::CookieJar;
use std::sync::Arc;

use sealed_session::{
    Codec, CrossSite, Expiry, Key, KeyId, Keyring, LayerPolicy, ManualClock, RequestCookies,
    Revocation, RevocationList, ValidAfter,
};

pub mod cross_site;
pub use cross_site::*;
pub mod store;
pub use store::*;
pub mod store_kit;
pub use store_kit::*;
pub mod store_sequences;
pub use store_sequences::*;
#[cfg(feature = "metrics")]
pub mod metrics;
#[cfg(feature = "metrics")]
pub use self::metrics::*;

/// The session every case uses: a counter.
pub type Counter = u32;

/// A response as the cases see it.
#[derive(Debug, Clone)]
pub struct Reply {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: String,
}

impl Reply {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    pub fn set_cookies(&self) -> Vec<&str> {
        self.headers
            .iter()
            .filter(|(n, _)| n.eq_ignore_ascii_case("set-cookie"))
            .map(|(_, v)| v.as_str())
            .collect()
    }
}

/// One framework's app with the routes below, behind its session layer.
///
/// * `GET /read`: body = the counter or `none` (takes the session, reads it);
/// * `POST /incr`: counter + 1 (`update`), body = the new value;
/// * `GET /static`: never takes the session;
/// * `POST /incr-then-500`: counter + 1, then answers 500;
/// * `GET /public`: counter + 1, and the handler sets `Cache-Control: public, max-age=600`;
/// * `POST /sign-out`: `clear`;
/// * `POST /flash`: `flash("saved")`, then a 303 to `/flashes`;
/// * `GET /flashes`: body = the messages `take_flashes` returns, joined by `|`;
/// * `POST /sign-in`, `GET /csrf`, `POST /form`, `POST /webhooks/ping`: see `cross_site.rs`.
pub trait Frontend {
    /// An app whose layer uses `codec`, `clock` and `policy`.
    fn new(codec: Codec<Counter>, clock: ManualClock, policy: LayerPolicy) -> Self;
    /// An app whose layer consults `revocation` after every open.
    fn revoking(
        codec: Codec<Counter>,
        clock: ManualClock,
        revocation: Arc<dyn Revocation<Counter>>,
    ) -> Self;
    /// An app wrapped in two layers of the same session type.
    fn doubled(codec: Codec<Counter>, clock: ManualClock) -> Self;
    /// An app whose layer keeps sessions too large for cookies in `store` (and consults
    /// `revocation`, if given). Its routes add `POST /grow` (counter + 1,000,000) and
    /// `POST /shrink` (counter modulo 1,000,000), which answer 503 with the error's kind when
    /// the change is refused.
    fn storing(
        codec: Codec<Counter>,
        clock: ManualClock,
        store: Arc<dyn sealed_session::SessionStore>,
        revocation: Option<Arc<dyn Revocation<Counter>>>,
    ) -> Self;
    /// An app whose layer runs the cross-site check `cross_site`.
    fn guarded(codec: Codec<Counter>, clock: ManualClock, cross_site: CrossSite) -> Self;
    /// Sends one request with `cookie` as its `Cookie` header (none when empty) and `headers`.
    fn send_with(&self, method: &str, path: &str, cookie: &str, headers: &[(&str, &str)]) -> Reply;
    /// Sends one request with `cookie` as its `Cookie` header (none when empty).
    fn send(&self, method: &str, path: &str, cookie: &str) -> Reply {
        self.send_with(method, path, cookie, &[])
    }
}

pub fn t0() -> SystemTime {
    UNIX_EPOCH + Duration::from_secs(1_800_000_000)
}

pub fn codec() -> Codec<Counter> {
    let keyring = Keyring::new([Key::new(KeyId::new(1), [1; 32])]).unwrap();
    Codec::builder(keyring)
        .expiry(Expiry::default().idle(Some(Duration::from_secs(3600))))
        .build()
        .unwrap()
}

/// A browser: a jar, a clock, and an app.
pub struct Browser<F> {
    pub app: F,
    pub jar: CookieJar,
    pub clock: ManualClock,
}

impl<F: Frontend> Browser<F> {
    pub fn new(policy: LayerPolicy) -> Self {
        let clock = ManualClock::new(t0());
        Browser {
            app: F::new(codec(), clock.clone(), policy),
            jar: CookieJar::new(),
            clock,
        }
    }

    pub fn send(&mut self, method: &str, path: &str) -> Reply {
        let now = sealed_session::Clock::now(&self.clock);
        let reply = self.app.send(method, path, &self.jar.header(now));
        self.jar.apply(reply.set_cookies(), now);
        reply
    }
}

pub fn a_route_that_never_takes_the_session_writes_nothing<F: Frontend>() {
    let mut b = Browser::<F>::new(LayerPolicy::default());
    assert_eq!(b.send("POST", "/incr").body, "1");
    // Past half the idle window: a re-seal is due, yet a static asset must not write.
    b.clock.advance(Duration::from_secs(40 * 60));
    let asset = b.send("GET", "/static");
    assert!(asset.set_cookies().is_empty(), "{:?}", asset.headers);
    assert_eq!(asset.header("vary"), None);
    // A route that reads it performs the due re-seal.
    let read = b.send("GET", "/read");
    assert_eq!(read.body, "1");
    assert_eq!(read.set_cookies().len(), 1);
}

pub fn eager_reseal_reaches_routes_that_never_take_the_session<F: Frontend>() {
    let mut policy = LayerPolicy::default();
    policy.eager_reseal = true;
    let mut b = Browser::<F>::new(policy);
    b.send("POST", "/incr");
    b.clock.advance(Duration::from_secs(40 * 60));
    assert_eq!(b.send("GET", "/static").set_cookies().len(), 1);
}

pub fn a_response_that_sets_a_cookie_is_never_publicly_cacheable<F: Frontend>() {
    let mut b = Browser::<F>::new(LayerPolicy::default());
    let reply = b.send("GET", "/public");
    assert_eq!(reply.set_cookies().len(), 1);
    assert_eq!(reply.header("cache-control"), Some("private, max-age=600"));
    assert_eq!(reply.header("vary"), Some("Cookie"));
    // A plain write: private even though the handler said nothing.
    let incr = b.send("POST", "/incr");
    assert_eq!(incr.header("cache-control"), Some("private"));
}

pub fn a_read_varies_on_cookie_and_leaves_cache_control_alone<F: Frontend>() {
    let mut b = Browser::<F>::new(LayerPolicy::default());
    b.send("POST", "/incr");
    let read = b.send("GET", "/read");
    assert!(read.set_cookies().is_empty());
    assert_eq!(read.header("vary"), Some("Cookie"));
    assert_eq!(read.header("cache-control"), None);
}

pub fn writes_are_discarded_on_server_errors_unless_kept<F: Frontend>() {
    let mut b = Browser::<F>::new(LayerPolicy::default());
    b.send("POST", "/incr");
    let failed = b.send("POST", "/incr-then-500");
    assert_eq!(failed.status, 500);
    assert!(failed.set_cookies().is_empty());
    assert_eq!(b.send("GET", "/read").body, "1");

    let mut policy = LayerPolicy::default();
    policy.keep_writes_on_server_error = true;
    let mut b = Browser::<F>::new(policy);
    b.send("POST", "/incr");
    b.send("POST", "/incr-then-500");
    assert_eq!(b.send("GET", "/read").body, "2");
}

pub fn two_layers_of_one_type_are_refused_not_shadowed<F: Frontend>() {
    let app = F::doubled(codec(), ManualClock::new(t0()));
    let reply = app.send("POST", "/incr", "");
    assert_eq!(reply.status, 500);
    assert!(reply.body.contains("same session type"), "{}", reply.body);
    assert!(reply.set_cookies().is_empty());
}

pub fn sign_out_deletes_and_the_next_read_has_no_session<F: Frontend>() {
    let mut b = Browser::<F>::new(LayerPolicy::default());
    b.send("POST", "/incr");
    let out = b.send("POST", "/sign-out");
    assert!(out.set_cookies().iter().all(|l| l.contains("Max-Age=0")));
    assert!(b.jar.is_empty(t0()));
    assert_eq!(b.send("GET", "/read").body, "none");
}

impl<F: Frontend> Browser<F> {
    fn revoking(clock: &ManualClock, revocation: Arc<dyn Revocation<Counter>>) -> Self {
        Browser {
            app: F::revoking(codec(), clock.clone(), revocation),
            jar: CookieJar::new(),
            clock: clock.clone(),
        }
    }

    /// The metadata of the session this browser holds, as a handler would see it.
    fn metadata(&self) -> sealed_session::Metadata {
        let now = sealed_session::Clock::now(&self.clock);
        let header = self.jar.header(now);
        codec()
            .open(&RequestCookies::from_header(&header), now)
            .unwrap()
            .unwrap()
            .metadata
    }
}

pub fn a_revoked_session_is_no_session_and_its_cookies_are_deleted<F: Frontend>() {
    let clock = ManualClock::new(t0());
    let list = Arc::new(RevocationList::new(100));
    let mut laptop = Browser::<F>::revoking(&clock, list.clone());
    let mut phone = Browser::<F>::revoking(&clock, list.clone());
    laptop.send("POST", "/incr");
    phone.send("POST", "/incr");
    list.revoke(&laptop.metadata(), t0()).unwrap();
    let read = laptop.send("GET", "/read");
    assert_eq!(read.body, "none");
    assert!(!read.set_cookies().is_empty());
    assert!(read.set_cookies().iter().all(|l| l.contains("Max-Age=0")));
    assert!(laptop.jar.is_empty(t0()));
    // Only that session: the phone's still opens.
    assert_eq!(phone.send("GET", "/read").body, "1");
    // A new session after the revocation is a new id, not revoked.
    assert_eq!(laptop.send("POST", "/incr").body, "1");
    assert_eq!(laptop.send("GET", "/read").body, "1");
}

/// A "valid after" rule under which every counter session belongs to one user, alice.
pub fn alice_everywhere() -> Arc<ValidAfter<Counter>> {
    Arc::new(ValidAfter::new(
        |_: &Counter| Some("alice".to_owned()),
        Duration::from_secs(86400),
        100,
    ))
}

pub fn signing_out_everywhere_refuses_every_earlier_session_of_the_subject<F: Frontend>() {
    let clock = ManualClock::new(t0());
    // Every counter session belongs to one user here.
    let rule = alice_everywhere();
    let mut laptop = Browser::<F>::revoking(&clock, rule.clone());
    let mut phone = Browser::<F>::revoking(&clock, rule.clone());
    laptop.send("POST", "/incr");
    phone.send("POST", "/incr");
    clock.advance(Duration::from_secs(5));
    rule.revoke_all("alice", sealed_session::Clock::now(&clock))
        .unwrap();
    assert_eq!(laptop.send("GET", "/read").body, "none");
    assert_eq!(phone.send("GET", "/read").body, "none");
    // Signing in again afterwards works.
    clock.advance(Duration::from_secs(1));
    assert_eq!(phone.send("POST", "/incr").body, "1");
    assert_eq!(phone.send("GET", "/read").body, "1");
}

pub fn a_flash_message_is_read_once_on_the_next_request<F: Frontend>() {
    let mut b = Browser::<F>::new(LayerPolicy::default());
    let set = b.send("POST", "/flash");
    assert_eq!(set.status, 303);
    assert_eq!(set.set_cookies().len(), 1, "only the flash cookie");
    assert!(set.set_cookies()[0].starts_with("__Host-session-flash="));
    assert!(
        !set.set_cookies()[0].contains("Max-Age"),
        "a browser-session cookie"
    );
    let shown = b.send("GET", "/flashes");
    assert_eq!(shown.body, "saved");
    assert!(shown.set_cookies().iter().all(|l| l.contains("Max-Age=0")));
    assert_eq!(b.send("GET", "/flashes").body, "", "read twice");
    // Two flashes before a read arrive together.
    b.send("POST", "/flash");
    b.send("POST", "/flash");
    assert_eq!(b.send("GET", "/flashes").body, "saved|saved");
}

pub fn reading_flashes_never_creates_a_session<F: Frontend>() {
    let mut b = Browser::<F>::new(LayerPolicy::default());
    let read = b.send("GET", "/flashes");
    assert_eq!(read.body, "");
    assert!(read.set_cookies().is_empty(), "{:?}", read.headers);
    assert!(b.jar.is_empty(t0()));
    // And the session itself is untouched by flashes.
    b.send("POST", "/incr");
    b.send("POST", "/flash");
    assert_eq!(b.send("GET", "/flashes").body, "saved");
    assert_eq!(b.send("GET", "/read").body, "1");
}

/// One `#[test]` per case for the frontend `$f`.
#[macro_export]
macro_rules! all_cases {
    ($f:ty) => {
        $crate::all_cases!(@each $f;
            a_route_that_never_takes_the_session_writes_nothing,
            eager_reseal_reaches_routes_that_never_take_the_session,
            a_response_that_sets_a_cookie_is_never_publicly_cacheable,
            a_read_varies_on_cookie_and_leaves_cache_control_alone,
            writes_are_discarded_on_server_errors_unless_kept,
            two_layers_of_one_type_are_refused_not_shadowed,
            sign_out_deletes_and_the_next_read_has_no_session,
            a_revoked_session_is_no_session_and_its_cookies_are_deleted,
            signing_out_everywhere_refuses_every_earlier_session_of_the_subject,
            a_flash_message_is_read_once_on_the_next_request,
            reading_flashes_never_creates_a_session,
            a_cross_site_post_is_refused_before_the_handler_and_the_session_is_untouched,
            same_origin_and_user_initiated_posts_pass,
            without_fetch_metadata_an_origin_that_is_not_the_host_is_refused,
            a_request_with_neither_header_passes,
            safe_methods_always_pass,
            a_trusted_origin_passes,
            an_exempt_route_passes_and_only_it,
            disabled_protection_lets_a_cross_site_post_through,
            a_csrf_token_round_trips_and_another_sessions_token_is_refused,
            a_csrf_token_survives_a_key_rotation,
            a_session_that_fits_stays_in_cookies_and_never_touches_the_store,
            a_session_too_large_for_cookies_spills_and_reads_back,
            every_node_reads_a_stored_session,
            a_missing_entry_is_a_clean_no_session,
            an_expired_session_ends_cleanly_and_its_entry_with_it,
            an_unreachable_store_loses_nothing,
            shrinking_back_into_cookies_leaves_the_store,
            sign_out_removes_the_entry_at_once,
            a_swapped_or_altered_entry_opens_as_no_session,
            a_revoked_stored_session_is_no_session,
            a_layer_with_a_store_still_revokes_sessions_in_cookies,
            sign_out_removes_the_entry_even_when_it_did_not_load,
            a_sign_out_the_store_cannot_carry_out_is_a_503_and_changes_nothing,
            a_due_reseal_the_store_refuses_still_serves_the_read,
            two_sessions_at_once_are_refused_and_nothing_is_deleted,
            a_server_error_saves_nothing,
            concurrent_changes_of_a_stored_session_each_leave_a_whole_session,
            random_changes_read_back_as_the_last_response_applied,
        );
        #[cfg(feature = "metrics")]
        $crate::all_cases!(@each $f;
            the_layer_reports_opens_writes_rotation_and_refusals,
            the_layer_reports_its_store_calls,
        );
    };
    (@each $f:ty; $($case:ident),* $(,)?) => {
        $(
            #[test]
            fn $case() {
                layer_cases::$case::<$f>();
            }
        )*
    };
}
