//! The actix-web adapter, driven through `actix_web::test`: write-back only when needed, chunked
//! sessions, shrinking with stale-chunk deletions, key rotation without the handler's help,
//! tampered and expired cookies, sign-out, handler errors, and a missing middleware.
#![cfg(feature = "actix")]

mod browser;

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use actix_web::http::{StatusCode, header};
use actix_web::{App, HttpResponse, test, web};
use serde::{Deserialize, Serialize};

use sealed_session::actix::{Session, SessionMiddleware};
use sealed_session::{Codec, Error, Inspection, Key, KeyId, Keyring, RequestCookies};

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
    Codec::builder(Keyring::new(keys).unwrap()).build().unwrap()
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

async fn add(session: Session<Cart>, q: web::Query<AddQuery>) -> HttpResponse {
    match session.update(|c| c.items.extend(1_000_000..1_000_000 + q.n)) {
        Ok(()) => HttpResponse::Ok().body("added"),
        Err(Error::TooLarge { needed, budget }) => {
            HttpResponse::PayloadTooLarge().body(format!("too large: {needed} > {budget}"))
        }
        Err(e) => HttpResponse::InternalServerError().body(e.to_string()),
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

/// Changes the session, then fails: the change is still sent.
async fn incr_then_fail(session: Session<Cart>) -> Result<&'static str, actix_web::Error> {
    session.update(|c| c.visits += 1).unwrap();
    Err(actix_web::error::ErrorBadRequest("nope"))
}

fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/", web::get().to(show))
        .route("/incr", web::post().to(incr))
        .route("/add", web::post().to(add))
        .route("/keep-three", web::post().to(keep_three))
        .route("/sign-out", web::post().to(sign_out))
        .route("/why", web::get().to(why))
        .route("/incr-then-fail", web::post().to(incr_then_fail));
}

struct Reply {
    status: StatusCode,
    set_cookies: Vec<String>,
    body: String,
}

/// Sends one request through `service` (built by `test::init_service`), applies the
/// `Set-Cookie` lines to the jar, and returns the reply. A macro because the service type
/// cannot be named.
macro_rules! call {
    ($service:expr, $method:expr, $uri:expr, $jar:expr) => {{
        let jar: &mut Jar = $jar;
        let mut request = match $method {
            "POST" => test::TestRequest::post(),
            _ => test::TestRequest::get(),
        }
        .uri($uri);
        let cookie = jar.header();
        if !cookie.is_empty() {
            request = request.insert_header((header::COOKIE, cookie));
        }
        let response = test::call_service($service, request.to_request()).await;
        let status = response.status();
        let set_cookies: Vec<String> = response
            .headers()
            .get_all(header::SET_COOKIE)
            .map(|v| v.to_str().unwrap().to_owned())
            .collect();
        let body = test::read_body(response).await;
        jar.apply(&set_cookies);
        Reply {
            status,
            set_cookies,
            body: String::from_utf8(body.to_vec()).unwrap(),
        }
    }};
}

/// Sends one request through a fresh app wrapped in `middleware`.
async fn send(
    middleware: SessionMiddleware<Cart>,
    method: &str,
    uri: &str,
    jar: &mut Jar,
) -> Reply {
    let service = test::init_service(App::new().wrap(middleware).configure(routes)).await;
    call!(&service, method, uri, jar)
}

fn at_t0(keys: Vec<Key>) -> SessionMiddleware<Cart> {
    SessionMiddleware::new(codec(keys)).clock(t0)
}

fn key_of(jar: &Jar) -> KeyId {
    let header = jar.header();
    Inspection::of_cookies(&RequestCookies::from_header(&header), NAME)
        .unwrap()
        .unwrap()
        .key_id()
}

fn run(test: impl std::future::Future<Output = ()>) {
    actix_web::rt::System::new().block_on(test);
}

#[test]
fn a_change_is_sealed_and_an_unchanged_session_is_not_rewritten() {
    run(async {
        let mut jar = Jar::new();
        let reply = send(at_t0(vec![key_a()]), "GET", "/", &mut jar).await;
        assert_eq!(reply.body, "none");
        assert!(reply.set_cookies.is_empty());

        let reply = send(at_t0(vec![key_a()]), "POST", "/incr", &mut jar).await;
        assert_eq!(reply.body, "visits=1");
        assert_eq!(reply.set_cookies.len(), 1);
        assert!(reply.set_cookies[0].starts_with("__Host-session="));

        let reply = send(at_t0(vec![key_a()]), "GET", "/", &mut jar).await;
        assert_eq!(reply.body, "visits=1 items=0");
        assert!(reply.set_cookies.is_empty());
    });
}

#[test]
fn a_chunked_session_grows_then_shrinks_with_stale_chunk_deletions() {
    run(async {
        let service =
            test::init_service(App::new().wrap(at_t0(vec![key_a()])).configure(routes)).await;
        let mut jar = Jar::new();
        let reply = call!(&service, "POST", "/add?n=1200", &mut jar);
        assert_eq!(reply.status, StatusCode::OK);
        assert_eq!(reply.set_cookies.len(), 2, "{:?}", reply.set_cookies);
        assert_eq!(jar.names(), [NAME, "__Host-session.1"]);
        assert_eq!(
            call!(&service, "GET", "/", &mut jar).body,
            "visits=0 items=1200"
        );

        let reply = call!(&service, "POST", "/keep-three", &mut jar);
        assert_eq!(reply.set_cookies.len(), 2);
        assert!(is_deletion(&reply.set_cookies[1]));
        assert_eq!(name_of(&reply.set_cookies[1]), "__Host-session.1");
        assert_eq!(jar.names(), [NAME]);
        assert_eq!(
            call!(&service, "GET", "/", &mut jar).body,
            "visits=0 items=3"
        );

        let reply = call!(&service, "POST", "/add?n=5000", &mut jar);
        assert_eq!(reply.status, StatusCode::PAYLOAD_TOO_LARGE);
        assert!(reply.set_cookies.is_empty());
    });
}

#[test]
fn rotation_reseals_under_the_new_key_without_the_handler() {
    run(async {
        let mut jar = Jar::new();
        send(at_t0(vec![key_a()]), "POST", "/add?n=1200", &mut jar).await;
        assert_eq!(key_of(&jar), KeyId::new(0xa));

        let rotated = || at_t0(vec![key_a(), key_b_active_since_t0()]);
        let reply = send(rotated(), "GET", "/", &mut jar).await;
        assert_eq!(reply.body, "visits=0 items=1200");
        assert_eq!(reply.set_cookies.len(), 2);
        assert_eq!(key_of(&jar), KeyId::new(0xb));

        assert!(
            send(rotated(), "GET", "/", &mut jar)
                .await
                .set_cookies
                .is_empty()
        );
        let only_b = at_t0(vec![key_b_active_since_t0()]);
        assert_eq!(
            send(only_b, "GET", "/", &mut jar).await.body,
            "visits=0 items=1200"
        );
    });
}

#[test]
fn tampered_and_expired_cookies_are_no_session_and_are_deleted() {
    run(async {
        let mut jar = Jar::new();
        send(at_t0(vec![key_a()]), "POST", "/incr", &mut jar).await;
        let good = jar.get(NAME).unwrap().to_owned();
        let mut bad = good.clone();
        let mid = bad.len() / 2;
        let flipped = if &bad[mid..=mid] == "A" { "B" } else { "A" };
        bad.replace_range(mid..=mid, flipped);

        jar.insert(NAME, &bad);
        let reply = send(at_t0(vec![key_a()]), "GET", "/why", &mut jar).await;
        assert_eq!(reply.status, StatusCode::OK);
        assert_eq!(reply.body, "sealed session failed authentication");
        assert_eq!(reply.set_cookies.len(), 1);
        assert!(is_deletion(&reply.set_cookies[0]));
        assert!(jar.names().is_empty());

        jar.insert(NAME, &good);
        let later = SessionMiddleware::new(codec(vec![key_a()])).clock(t0_plus_3_hours);
        let reply = send(later, "GET", "/", &mut jar).await;
        assert_eq!(reply.body, "none");
        assert!(is_deletion(&reply.set_cookies[0]));
        assert!(jar.names().is_empty());
    });
}

#[test]
fn sign_out_deletes_every_chunk() {
    run(async {
        let mut jar = Jar::new();
        send(at_t0(vec![key_a()]), "POST", "/add?n=1200", &mut jar).await;
        jar.insert("theme", "dark");
        let reply = send(at_t0(vec![key_a()]), "POST", "/sign-out", &mut jar).await;
        assert_eq!(reply.set_cookies.len(), 2);
        assert!(reply.set_cookies.iter().all(|l| is_deletion(l)));
        assert_eq!(jar.names(), ["theme"]);
    });
}

#[test]
fn a_handler_error_still_carries_the_session_change() {
    run(async {
        let mut jar = Jar::new();
        let reply = send(at_t0(vec![key_a()]), "POST", "/incr-then-fail", &mut jar).await;
        assert_eq!(reply.status, StatusCode::BAD_REQUEST);
        assert_eq!(reply.set_cookies.len(), 1);
        let reply = send(at_t0(vec![key_a()]), "GET", "/", &mut jar).await;
        assert_eq!(reply.body, "visits=1 items=0");
    });
}

#[test]
fn without_the_middleware_the_extractor_fails_with_a_plain_500() {
    run(async {
        let service = test::init_service(App::new().configure(routes)).await;
        let mut jar = Jar::new();
        jar.insert(NAME, "whatever");
        let reply = call!(&service, "GET", "/", &mut jar);
        assert_eq!(reply.status, StatusCode::INTERNAL_SERVER_ERROR);
        assert!(reply.body.contains("no SessionMiddleware"));
        assert!(!reply.body.contains("whatever"));
    });
}
