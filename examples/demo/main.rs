//! The sealed-session demo: an axum app whose whole session lives in sealed cookies.
//!
//! ```sh
//! cargo run --example demo --features axum,metrics,reload   # http://127.0.0.1:8080 (and /metrics)
//! cargo run --example demo --features axum,metrics,reload -- --port 9000
//! ```
//!
//! The page shows the session (visit count, a signed-in name, a cart, the node that last
//! changed it), what this response sent (each `Set-Cookie` line's size, the chunk count, the key
//! id, the schema version, whether it re-sealed and why), the cookie budget each chunk uses (a
//! bar), and buttons that grow the cart past one cookie and shrink it back. One binary runs as
//! any of three releases of the session type, for rolling-deploy tests (below).
//!
//! Files: `main.rs` (routes, start-up), `config.rs` (the environment), `session_type.rs` (the
//! session type's two layouts and the releases), `changes.rs` (changes and their failures),
//! `report.rs` (what a response did), `api.rs` (JSON), `page.rs` and `forms.rs` (HTML),
//! `security.rs` (the headers every response carries), `metrics.rs` (`GET /metrics`, with the
//! `metrics` feature: the layer's signals in Prometheus' text format).
//!
//! # Configuration (environment)
//!
//! | variable | meaning | default |
//! |---|---|---|
//! | `SEALED_SESSION_KEYRING` | keyring text (`sealed-session keygen`) | a fresh development keyring, with a warning |
//! | `SEALED_SESSION_KEYRING_FILE` | a file holding the keyring text (instead of `SEALED_SESSION_KEYRING`), reloaded without a restart when it changes (checked every 500 ms: a rename over it, a Kubernetes Secret's `..data` swap, an in-place write) and on `SIGHUP`; a file that does not parse or would drop the key that seals is refused and logged, the keyring in use kept | — |
//! | `PORT` (or `--port N`) | TCP port (0: any free port, printed at start-up) | `8080` |
//! | `BIND` | address to bind | `127.0.0.1` |
//! | `NODE_NAME` | shown on the page and in the JSON (`node`), and recorded in the session as `last_writer` | `demo` |
//! | `SEALED_SESSION_INSECURE=1` | cookie `session` without `Secure` (plain HTTP behind a proxy) | `__Host-session`, `Secure` |
//! | `SEALED_SESSION_MAX_COOKIE_BYTES` | limit per `Set-Cookie` line | 4000 |
//! | `SEALED_SESSION_MAX_TOTAL_BYTES` | limit on the session's cookies in total | 6144 |
//! | `DEMO_RELEASE` | `a`, `b` or `c`: the release of the session type (below) | `c` |
//! | `DEMO_SCHEMA_SWITCH_AT` | Unix seconds: when release `b` starts sealing schema 1 (required for `b`, ignored with a warning by `a` and `c`) | — |
//!
//! Browsers treat `http://localhost` and `http://127.0.0.1` as secure, so the default `__Host-`
//! cookie works there without TLS. Several nodes given the same keyring serve one another's
//! sessions: no affinity needed. The start-up line names the node, the release and its schema
//! versions, the address (`on http://127.0.0.1:PORT/`), the cookie and the key ids.
//!
//! # Releases: changing the session type across a rolling deploy
//!
//! The session was `{visits, name, cart}` (schema 0); it gains `last_writer`, the `NODE_NAME`
//! of the node that last changed it (schema 1). postcard writes fields by position, so neither
//! layout reads the other's bytes; the releases follow the README's recipe ("Changing the
//! session type across a rolling deploy"):
//!
//! | `DEMO_RELEASE` | session type | seals | opens |
//! |---|---|---|---|
//! | `a` | schema 0 (the demo's layout so far: old cookies open) | 0 | 0 only |
//! | `b` | schema 1 | 0 until `DEMO_SCHEMA_SWITCH_AT`, then 1 | 0 (upgraded, `last_writer` none) and 1 |
//! | `c` (default) | schema 1 | 1 | 0 (upgraded) and 1 |
//!
//! So `a` and `b` nodes serve one cluster until the switch (both read everything written);
//! at the switch every `b` node writes schema 1 at once and re-seals schema-0 sessions on their
//! next request (`reseal_reason`: an older schema version), as `c` does. Before the switch
//! `last_writer` is not stored (schema 0 has no room for it) and reads as `null`. An `a` node
//! given a schema-1 session leaves it alone and answers 503 (below).
//!
//! # Cluster life: 503 and `Retry-After`
//!
//! Cookies that do not open are deleted only when no node ever will open them
//! (`Error::cookies_are_dead`: tampered, expired, retired key, broken chunks): the request is
//! then served as a new visitor and `open_error` says why. Cookies another node may read (a
//! key this node lacks, another release's schema, a clock ahead, a duplicate chunk, a larger
//! budget) are left alone, and the request gets **503 with `Retry-After: 1`**, so that the
//! load balancer (nginx: `proxy_next_upstream ... http_503`, plus `non_idempotent` for the
//! POSTs) or the client tries again on another node: every endpoint that would write (`set`,
//! `update` and `sign_in` fail with `Error::OverwriteRefused`), the HTML page and its forms (a
//! 503 page, not a redirect) and `GET /api/session` too (it cannot report a session it cannot
//! read). Only sign-out deletes such cookies: it is an explicit request. A session over the
//! cookie budget is 413 (JSON) or a note on the page (forms); any other failure is 500.
//!
//! # Sign-in and lifetimes
//!
//! Sign-in replaces the session in one step (`Session::sign_in`: a fresh session id, visits and
//! cart kept) with a lifetime of its own: `remember=1` gives `Lifetime::persistent()` (cookies
//! with `Max-Age`, kept across browser restarts), anything else `Lifetime::browser_session()`
//! (no `Max-Age`: the browser drops them when it closes). Both take the codec's limits, the
//! default `Expiry` (24 h absolute, 2 h idle), which the server enforces either way. The demo
//! keeps that default, which the cluster and browser tests run with; a real remember-me would
//! raise the codec's `Expiry` (the longest any session gets) and give the browser-session
//! lifetime shorter limits (`Lifetime::browser_session().idle(..)`). A session that was never
//! signed in gets the codec's lifetime (persistent).
//!
//! # Sign out everywhere (revocation)
//!
//! A sealed session opens on any node until it expires, so the demo's layer consults a
//! [`ValidAfter`](sealed_session::ValidAfter) rule keyed on the signed-in name
//! (`SessionLayer::revocation`); the same `Arc` reaches the handlers (an `Extension`).
//! `POST /sign-out-everywhere` (a button on the page) and `POST /api/sign-out-everywhere` refuse
//! every session of that name issued until now (whole seconds, rounded up: one signed in
//! during the same second is refused too), in this browser and every other, and sign this
//! one out. A refused session is served as a new visitor, its cookies deleted, and the page
//! says so. Entries live as long as the longest session (the codec's absolute lifetime, 24 h),
//! at most 10 000 names. **Each node holds its own in-memory copy**: a revocation on one node
//! is not known to the others nor survives a restart. A multi-node app records revocations in
//! its database and replays them into every node's copy (the check on the request path stays
//! in memory); the demo builds no cross-node sync.
//!
//! # Flash messages, visits, CSRF tokens, security headers
//!
//! * The forms answer `303 See Other` to `/` with a flash message (`Session::flash`, a cookie
//!   of its own, `<cookie>-flash`), which the page shows once (`take_flashes`): confirmations in
//!   green, refusals (over the budget, a bad name) as notes. The JSON's `set_cookie_bytes`
//!   lists the flash cookie's lines after the session's (the page deletes the one it shows).
//! * A page view counts a visit only when it is the first (no session yet), when the session
//!   was last written 30 minutes ago or more (`Metadata::sealed_at`), or when the response
//!   re-seals anyway (a due re-seal): a reload or the redirect after a form sends no
//!   `Set-Cookie` for the session, and the session type (schemas 0 and 1) is unchanged.
//!   `POST /api/incr` counts on every call.
//! * Cross-site protection is the layer's default (forged posts get 403 before a handler runs).
//!   The HTML forms also carry the session's CSRF token (`Session::csrf_token`, hidden field
//!   `csrf_token`), checked with `verify_csrf` on every form post whatever its headers (403 and
//!   nothing changed when it does not match: a page older than the session, or a forged post
//!   from a browser that sends neither `Sec-Fetch-Site` nor `Origin`). The first page view
//!   creates the session so the token has an id to bind to. `/api/*` takes no token: its
//!   clients are scripts with a cookie jar (`.ci/run`'s curl, `scripts/e2e/*.py`) that read no
//!   page and send neither header, and browsers' cross-site posts to it are refused by the
//!   layer; a real API would authenticate its callers otherwise, or require the token in an
//!   `X-CSRF-Token` header.
//! * Every response carries `Content-Security-Policy: default-src 'self'; style-src
//!   'unsafe-inline'; frame-ancestors 'none'; form-action 'self'; base-uri 'none'` (the page
//!   has no script; its styles are inline, the budget bars' widths too),
//!   `X-Content-Type-Options: nosniff`, `Referrer-Policy: same-origin` and
//!   `X-Frame-Options: DENY`.
//!
//! # JSON API (for scripted clients with a cookie jar, e.g. `curl -c jar -b jar`)
//!
//! Every endpoint answers `application/json` with the same object, describing the session after
//! this response:
//!
//! ```json
//! {"node":"demo","release":"c","visits":3,"name":"alice","cart_len":300,"last_writer":"demo",
//!  "session_id":"9f0c...","key_id":"1a2b3c4d","schema":1,"persistent":true,"chunks":2,
//!  "resealed":true,"reseal_reason":null,"set_cookie_bytes":[3990,1012],"deleted":0,
//!  "open_error":null,"revoked":false}
//! ```
//!
//! * `GET  /api/session`: reads only; the response re-seals only when the session is due
//!   (key rotation, idle refresh, an older schema), which `resealed` and `reseal_reason` then
//!   report;
//! * `POST /api/incr`: `visits + 1`;
//! * `POST /api/cart/add?n=K`: appends items `len .. len+K` (1 <= K <= 10000; item `i` is
//!   `sku 100000+i`, a product name chosen by `i`, quantity `1 + i % 3`, so results are
//!   deterministic); `413` with `needed` and `budget` and the session unchanged when it would
//!   not fit the cookie budget;
//! * `POST /api/cart/clear`: empties the cart;
//! * `POST /api/sign-in?name=X[&remember=1]`: signs in as `X` (1 to 64 characters) under a
//!   fresh session id, keeping visits and cart; `remember` is `1`/`0` (also `true`, `on`,
//!   `yes` / `false`, `off`, `no`), absent is `0`;
//! * `POST /api/sign-out`: deletes every cookie of the session;
//! * `POST /api/sign-out-everywhere`: refuses every session of the signed-in name issued until
//!   now, on this node, and signs this one out; `400` when not signed in.
//!
//! `release` is this node's `DEMO_RELEASE`; `schema` the schema version of the session once
//! the response is applied (the one written, or the request's; `null`: none); `last_writer`
//! the node that last changed it, as stored (`null` in schema 0); `persistent` whether its
//! cookies carry `Max-Age`; `chunks` the number of cookies that carry it (0: none);
//! `key_id` the key that sealed it; `set_cookie_bytes` the size of each `Set-Cookie` line sent
//! (the session's, deletions last, then the flash cookie's); `deleted` how many of the
//! session's are deletions; `open_error` why the request's session cookies did not open here;
//! `revoked` whether they held a session signed out everywhere (served as none, its cookies
//! deleted). When they are left alone for another node,
//! `chunks` and `key_id` describe the cookies the browser keeps (the key id as their header
//! says, unauthenticated) and the rest describes no session.
//!
//! Errors: `400 {"error":..}` for a bad parameter; otherwise the same object plus `error`
//! (the session unchanged): 503 with `Retry-After: 1` for cookies another node may read,
//! 413 (plus `needed`, `budget`) over the budget, 500 for anything else.
//!
//! The demo stops cleanly on Ctrl-C or SIGTERM.

mod api;
mod changes;
mod config;
mod forms;
#[cfg(feature = "metrics")]
mod metrics;
mod page;
mod report;
mod security;
mod session_type;

use std::net::SocketAddr;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use axum::extract::State;
use axum::routing::{get, post};
use axum::{Extension, Router, middleware};
use tokio::net::TcpListener;

use sealed_session::axum::SessionLayer;
use sealed_session::reload::KeyringFile;
use sealed_session::{Codec, ValidAfter};

use config::{Codecs, configure};
use session_type::{DemoState, Release};

/// What every handler may read: this node's configuration.
pub struct App {
    pub node: String,
    pub release: Release,
    pub cookie_name: String,
    pub max_cookie_bytes: usize,
    pub max_total_bytes: usize,
    pub key_note: String,
}

pub type Shared = State<Arc<App>>;

/// "Sign out everywhere": this node's in-memory rule, shared by the layer and the handlers.
pub type Everywhere<T> = Extension<Arc<ValidAfter<T>>>;

/// At most this many names signed out everywhere at once (each kept for one session lifetime).
const EVERYWHERE_CAPACITY: usize = 10_000;

fn router<T: DemoState>(codec: Codec<T>, app: App) -> Router {
    // A cutoff must outlive every session it refuses: the longest absolute lifetime.
    let max_lifetime = codec.expiry().absolute_lifetime().unwrap_or(Duration::MAX);
    let everywhere = Arc::new(ValidAfter::new(
        |s: &T| s.name().map(str::to_owned),
        max_lifetime,
        EVERYWHERE_CAPACITY,
    ));
    Router::new()
        .route("/", get(page::page::<T>))
        .route("/sign-in", post(forms::sign_in_form::<T>))
        .route("/sign-out", post(forms::sign_out_form::<T>))
        .route("/sign-out-everywhere", post(forms::everywhere_form::<T>))
        .route("/cart/add", post(forms::add_form::<T>))
        .route("/cart/clear", post(forms::clear_form::<T>))
        .route("/api/session", get(api::api_session::<T>))
        .route("/api/incr", post(api::api_incr::<T>))
        .route("/api/cart/add", post(api::api_add::<T>))
        .route("/api/cart/clear", post(api::api_clear::<T>))
        .route("/api/sign-in", post(api::api_sign_in::<T>))
        .route("/api/sign-out", post(api::api_sign_out::<T>))
        .route(
            "/api/sign-out-everywhere",
            post(api::api_sign_out_everywhere::<T>),
        )
        .layer(SessionLayer::new(codec).revocation(everywhere.clone()))
        .layer(Extension(everywhere))
        // Outermost: the layer's own 403s (cross-site refusals) carry the headers too.
        .layer(middleware::map_response(security::headers))
        .with_state(Arc::new(app))
}

/// The routes outside the session layer: `/metrics` when built with the `metrics` feature.
fn outside_the_session() -> Router {
    #[cfg(feature = "metrics")]
    if let Some(routes) = metrics::routes() {
        return routes;
    }
    Router::new()
}

#[tokio::main]
async fn main() -> ExitCode {
    let config = match configure() {
        Ok(config) => config,
        Err(message) => {
            eprintln!("demo: {message}");
            return ExitCode::from(2);
        }
    };
    let listener = match TcpListener::bind(config.addr).await {
        Ok(listener) => listener,
        Err(e) => {
            eprintln!("demo: cannot listen on {}: {e}", config.addr);
            return ExitCode::from(1);
        }
    };
    // The reload feature logs through `tracing`: reloads and refusals go to standard error.
    tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_target(false)
        .init();
    let file = config.keyring_file;
    match config.codec {
        Codecs::Old(codec) => serve(listener, config.addr, codec, config.app, file).await,
        Codecs::New(codec) => serve(listener, config.addr, codec, config.app, file).await,
    }
}

async fn serve<T: DemoState>(
    listener: TcpListener,
    configured: SocketAddr,
    codec: Codec<T>,
    app: App,
    keyring_file: Option<std::path::PathBuf>,
) -> ExitCode {
    let addr = listener.local_addr().unwrap_or(configured);
    // Every clone of the codec (the layer's, the handlers') follows the file.
    let watch = keyring_file.map(|path| KeyringFile::new(&codec, path).spawn(config::KEYRING_POLL));
    let keys: Vec<String> = codec.keyring().keys().map(|k| k.id().to_string()).collect();
    println!(
        "sealed-session demo (node {}, {}) on http://{addr}/ : cookie {}, keys [{}], {}",
        app.node,
        app.release.describe(),
        app.cookie_name,
        keys.join(", "),
        app.key_note
    );
    let served = axum::serve(listener, router(codec, app).merge(outside_the_session()))
        .with_graceful_shutdown(shutdown())
        .await;
    if let Some(watch) = watch {
        watch.abort();
    }
    match served {
        Ok(()) => {
            println!("demo: stopped");
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("demo: server error: {e}");
            ExitCode::from(1)
        }
    }
}

/// Resolves on Ctrl-C or SIGTERM.
async fn shutdown() {
    let ctrl_c = async {
        if tokio::signal::ctrl_c().await.is_err() {
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = term => {},
    }
    println!("demo: shutting down");
}
