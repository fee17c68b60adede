//! The axum adapter, driven through tower's `ServiceExt::oneshot`: write-back only when needed,
//! chunked sessions, shrinking with stale-chunk deletions, key rotation without the handler's
//! help, idle refresh, tampered and expired cookies, sign-out, and a missing layer.
#![cfg(feature = "axum")]

mod browser;

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use axum::Router;
use axum::body::Body;
use axum::extract::Query;
use axum::http::{Request, StatusCode, header};
use axum::routing::{get, post};
use serde::{Deserialize, Serialize};
use tower::ServiceExt;

use sealed_session::axum::{Session, SessionLayer};
use sealed_session::{Codec, Error, Expiry, Inspection, Key, KeyId, Keyring, RequestCookies};

use browser::{Jar, is_deletion, name_of};

const NAME: &str = "__Host-session";

#[derive(Serialize, Deserialize, Clone, Default, Debug, PartialEq)]
struct Cart {
    visits: u32,
    items: Vec<u32>,
}

fn t0() -> SystemTime {
    UNIX_EPOCH + Duration::from_secs(1_800_000_000)
}
fn t0_plus_90_minutes() -> SystemTime {
    t0() + Duration::from_secs(90 * 60)
}
fn t0_plus_3_hours() -> SystemTime {
    t0() + Duration::from_secs(3 * 3600)
}

fn key_a() -> Key {
    Key::new(KeyId::new(0xa), [0x11; 32])
}
fn key_b_active_since_t0() -> Key {
    Key::new(KeyId::new(0xb), [0x22; 32]).with_not_before(t0() - Duration::from_secs(1))
}

fn codec(keys: Vec<Key>) -> Codec<Cart> {
    Codec::builder(Keyring::new(keys).unwrap())
        .expiry(
            Expiry::default()
                .idle(Some(Duration::from_secs(2 * 3600)))
                .absolute(Some(Duration::from_secs(24 * 3600))),
        )
        .build()
        .unwrap()
}

async fn show(session: Session<Cart>) -> String {
    match session.get() {
        Some(cart) => format!("visits={} items={}", cart.visits, cart.items.len()),
        None => "none".to_owned(),
    }
}

async fn incr(session: Session<Cart>) -> String {
    let visits = session.update(|c| {
        c.visits += 1;
        c.visits
    });
    format!("visits={}", visits.unwrap())
}

#[derive(Deserialize)]
struct AddQuery {
    n: u32,
}

async fn add(session: Session<Cart>, Query(q): Query<AddQuery>) -> (StatusCode, String) {
    let added = session.update(|c| c.items.extend(1_000_000..1_000_000 + q.n));
    match added {
        Ok(()) => (StatusCode::OK, "added".to_owned()),
        Err(Error::TooLarge { needed, budget }) => (
            StatusCode::PAYLOAD_TOO_LARGE,
            format!("too large: {needed} > {budget}"),
        ),
        Err(e) => (StatusCode::INTERNAL_SERVER_ERROR, e.to_string()),
    }
}

async fn keep_three(session: Session<Cart>) -> &'static str {
    session.update(|c| c.items.truncate(3)).unwrap();
    "shrunk"
}

async fn sign_out(session: Session<Cart>) -> &'static str {
    session.clear();
    "bye"
}

async fn why(session: Session<Cart>) -> String {
    session
        .open_error()
        .map_or_else(|| "ok".to_owned(), |e| e.to_string())
}

fn app_with(layer: SessionLayer<Cart>) -> Router {
    Router::new()
        .route("/", get(show))
        .route("/incr", post(incr))
        .route("/add", post(add))
        .route("/keep-three", post(keep_three))
        .route("/sign-out", post(sign_out))
        .route("/why", get(why))
        .layer(layer)
}

fn app(keys: Vec<Key>) -> Router {
    app_with(SessionLayer::new(codec(keys)).clock(t0))
}

struct Reply {
    status: StatusCode,
    set_cookies: Vec<String>,
    body: String,
}

async fn send(app: &Router, method: &str, uri: &str, jar: &mut Jar) -> Reply {
    let mut request = Request::builder().method(method).uri(uri);
    let cookie = jar.header();
    if !cookie.is_empty() {
        request = request.header(header::COOKIE, cookie);
    }
    let response = app
        .clone()
        .oneshot(request.body(Body::empty()).unwrap())
        .await
        .unwrap();
    let status = response.status();
    let set_cookies: Vec<String> = response
        .headers()
        .get_all(header::SET_COOKIE)
        .iter()
        .map(|v| v.to_str().unwrap().to_owned())
        .collect();
    let body = axum::body::to_bytes(response.into_body(), 1 << 20)
        .await
        .unwrap();
    jar.apply(&set_cookies);
    Reply {
        status,
        set_cookies,
        body: String::from_utf8(body.to_vec()).unwrap(),
    }
}

fn key_of(jar: &Jar) -> KeyId {
    let header = jar.header();
    Inspection::of_cookies(&RequestCookies::from_header(&header), NAME)
        .unwrap()
        .unwrap()
        .key_id()
}

#[tokio::test]
async fn no_cookie_and_no_change_writes_nothing() {
    let app = app(vec![key_a()]);
    let mut jar = Jar::new();
    let reply = send(&app, "GET", "/", &mut jar).await;
    assert_eq!(reply.status, StatusCode::OK);
    assert_eq!(reply.body, "none");
    assert!(reply.set_cookies.is_empty());
}

#[tokio::test]
async fn a_change_is_sealed_and_an_unchanged_session_is_not_rewritten() {
    let app = app(vec![key_a()]);
    let mut jar = Jar::new();
    let reply = send(&app, "POST", "/incr", &mut jar).await;
    assert_eq!(reply.body, "visits=1");
    assert_eq!(reply.set_cookies.len(), 1);
    assert!(reply.set_cookies[0].starts_with("__Host-session="));
    assert!(reply.set_cookies[0].contains("; Secure"));

    let reply = send(&app, "POST", "/incr", &mut jar).await;
    assert_eq!(reply.body, "visits=2");
    assert_eq!(reply.set_cookies.len(), 1);

    let reply = send(&app, "GET", "/", &mut jar).await;
    assert_eq!(reply.body, "visits=2 items=0");
    assert!(reply.set_cookies.is_empty(), "{:?}", reply.set_cookies);
}

#[tokio::test]
async fn a_chunked_session_grows_then_shrinks_with_stale_chunk_deletions() {
    let app = app(vec![key_a()]);
    let mut jar = Jar::new();
    let reply = send(&app, "POST", "/add?n=1200", &mut jar).await;
    assert_eq!(reply.status, StatusCode::OK);
    assert_eq!(reply.set_cookies.len(), 2, "{:?}", reply.set_cookies);
    assert!(reply.set_cookies.iter().all(|l| l.len() <= 4000));
    assert_eq!(jar.names(), [NAME, "__Host-session.1"]);

    let reply = send(&app, "GET", "/", &mut jar).await;
    assert_eq!(reply.body, "visits=0 items=1200");
    assert!(reply.set_cookies.is_empty());

    let reply = send(&app, "POST", "/keep-three", &mut jar).await;
    assert_eq!(reply.set_cookies.len(), 2, "{:?}", reply.set_cookies);
    assert!(!is_deletion(&reply.set_cookies[0]));
    assert!(is_deletion(&reply.set_cookies[1]));
    assert_eq!(name_of(&reply.set_cookies[1]), "__Host-session.1");
    assert_eq!(jar.names(), [NAME]);

    let reply = send(&app, "GET", "/", &mut jar).await;
    assert_eq!(reply.body, "visits=0 items=3");
}

#[tokio::test]
async fn too_large_is_the_handlers_error_and_keeps_the_previous_session() {
    let app = app(vec![key_a()]);
    let mut jar = Jar::new();
    send(&app, "POST", "/add?n=10", &mut jar).await;
    let reply = send(&app, "POST", "/add?n=5000", &mut jar).await;
    assert_eq!(reply.status, StatusCode::PAYLOAD_TOO_LARGE);
    assert!(reply.body.contains("> 6144"), "{}", reply.body);
    assert!(reply.set_cookies.is_empty());
    let reply = send(&app, "GET", "/", &mut jar).await;
    assert_eq!(reply.body, "visits=0 items=10");
}

#[tokio::test]
async fn rotation_reseals_under_the_new_key_without_the_handler() {
    let before = app(vec![key_a()]);
    let mut jar = Jar::new();
    send(&before, "POST", "/add?n=1200", &mut jar).await;
    assert_eq!(key_of(&jar), KeyId::new(0xa));
    let chunks_before = jar.names().len();
    assert_eq!(chunks_before, 2);

    // Every node's keyring gains key b, whose not_before has passed. `show` only reads.
    let after = app(vec![key_a(), key_b_active_since_t0()]);
    let reply = send(&after, "GET", "/", &mut jar).await;
    assert_eq!(reply.body, "visits=0 items=1200");
    assert_eq!(reply.set_cookies.len(), 2, "{:?}", reply.set_cookies);
    assert_eq!(key_of(&jar), KeyId::new(0xb));

    // Re-sealed once: the next read writes nothing, and the old key is no longer needed.
    let reply = send(&after, "GET", "/", &mut jar).await;
    assert!(reply.set_cookies.is_empty());
    let only_b = app(vec![key_b_active_since_t0()]);
    let reply = send(&only_b, "GET", "/", &mut jar).await;
    assert_eq!(reply.body, "visits=0 items=1200");
}

#[tokio::test]
async fn idle_refresh_reseals_an_unchanged_session() {
    let mut jar = Jar::new();
    send(&app(vec![key_a()]), "POST", "/incr", &mut jar).await;
    let first = jar.get(NAME).unwrap().to_owned();

    let later = app_with(SessionLayer::new(codec(vec![key_a()])).clock(t0_plus_90_minutes));
    let reply = send(&later, "GET", "/", &mut jar).await;
    assert_eq!(reply.body, "visits=1 items=0");
    assert_eq!(reply.set_cookies.len(), 1);
    assert_ne!(jar.get(NAME).unwrap(), first);
}

#[tokio::test]
async fn an_expired_session_is_no_session_and_its_cookies_are_deleted() {
    let mut jar = Jar::new();
    send(&app(vec![key_a()]), "POST", "/add?n=1200", &mut jar).await;
    let later = app_with(SessionLayer::new(codec(vec![key_a()])).clock(t0_plus_3_hours));
    let reply = send(&later, "GET", "/why", &mut jar).await;
    assert!(reply.body.starts_with("session expired"), "{}", reply.body);
    assert_eq!(reply.set_cookies.len(), 2);
    assert!(reply.set_cookies.iter().all(|l| is_deletion(l)));
    assert!(jar.names().is_empty());
}

#[tokio::test]
async fn a_tampered_cookie_is_no_session_deleted_and_not_explained_to_the_client() {
    let app = app(vec![key_a()]);
    let mut jar = Jar::new();
    send(&app, "POST", "/incr", &mut jar).await;
    // Flip a character in the middle (the ciphertext), keeping the value valid base64url.
    let mut value = jar.get(NAME).unwrap().to_owned();
    let mid = value.len() / 2;
    let flipped = if &value[mid..=mid] == "A" { "B" } else { "A" };
    value.replace_range(mid..=mid, flipped);
    jar.insert(NAME, &value);
    jar.insert("theme", "dark");

    let reply = send(&app, "GET", "/", &mut jar).await;
    assert_eq!(reply.status, StatusCode::OK);
    assert_eq!(reply.body, "none");
    assert_eq!(reply.set_cookies.len(), 1);
    assert!(is_deletion(&reply.set_cookies[0]));
    assert_eq!(jar.names(), ["theme"]);

    // The handler can log why.
    jar.insert(NAME, &value);
    let reply = send(&app, "GET", "/why", &mut jar).await;
    assert_eq!(reply.body, "sealed session failed authentication");

    // Setting a new session replaces the bad cookie instead of deleting it.
    jar.insert(NAME, &value);
    let reply = send(&app, "POST", "/incr", &mut jar).await;
    assert_eq!(reply.body, "visits=1");
    assert!(!is_deletion(&reply.set_cookies[0]));
}

#[tokio::test]
async fn sign_out_deletes_every_chunk() {
    let app = app(vec![key_a()]);
    let mut jar = Jar::new();
    send(&app, "POST", "/add?n=1200", &mut jar).await;
    jar.insert("theme", "dark");
    let reply = send(&app, "POST", "/sign-out", &mut jar).await;
    assert_eq!(reply.set_cookies.len(), 2);
    assert!(reply.set_cookies.iter().all(|l| is_deletion(l)));
    assert_eq!(jar.names(), ["theme"]);
    assert_eq!(send(&app, "GET", "/", &mut jar).await.body, "none");
}

#[tokio::test]
async fn without_the_layer_the_extractor_rejects_with_a_plain_500() {
    let app: Router = Router::new().route("/", get(show));
    let mut jar = Jar::new();
    jar.insert(NAME, "whatever");
    let reply = send(&app, "GET", "/", &mut jar).await;
    assert_eq!(reply.status, StatusCode::INTERNAL_SERVER_ERROR);
    assert!(reply.body.contains("no SessionLayer"));
    assert!(!reply.body.contains("whatever"));
    assert!(reply.set_cookies.is_empty());
}
