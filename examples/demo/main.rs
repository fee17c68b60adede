//! The sealed-session demo: an axum app whose whole session lives in sealed cookies.
//!
//! ```sh
//! cargo run --example demo --features axum            # http://127.0.0.1:8080
//! cargo run --example demo --features axum -- --port 9000
//! ```
//!
//! The page shows the session (visit count, a signed-in name, a cart, the node that last
//! changed it), what this response sent (each `Set-Cookie` line's size, the chunk count, the key
//! id, the schema version, whether it re-sealed and why), and buttons that grow the cart past
//! one cookie and shrink it back. One binary runs as any of three releases of the session type,
//! for rolling-deploy tests (below).
//!
//! Files: `main.rs` (configuration, start-up), `session_type.rs` (the session type's two
//! layouts and the releases), `changes.rs` (changes and their failures), `report.rs` (what a
//! response did), `api.rs` (JSON), `page.rs` and `forms.rs` (HTML).
//!
//! # Configuration (environment)
//!
//! | variable | meaning | default |
//! |---|---|---|
//! | `SEALED_SESSION_KEYRING` | keyring text (`sealed-session keygen`) | a fresh development keyring, with a warning |
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
//! # JSON API (for scripted clients with a cookie jar, e.g. `curl -c jar -b jar`)
//!
//! Every endpoint answers `application/json` with the same object, describing the session after
//! this response:
//!
//! ```json
//! {"node":"demo","release":"c","visits":3,"name":"alice","cart_len":300,"last_writer":"demo",
//!  "session_id":"9f0c...","key_id":"1a2b3c4d","schema":1,"persistent":true,"chunks":2,
//!  "resealed":true,"reseal_reason":null,"set_cookie_bytes":[3990,1012],"deleted":0,
//!  "open_error":null}
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
//! * `POST /api/sign-out`: deletes every cookie of the session.
//!
//! `release` is this node's `DEMO_RELEASE`; `schema` the schema version of the session once
//! the response is applied (the one written, or the request's; `null`: none); `last_writer`
//! the node that last changed it, as stored (`null` in schema 0); `persistent` whether its
//! cookies carry `Max-Age`; `chunks` the number of cookies that carry it (0: none);
//! `key_id` the key that sealed it; `set_cookie_bytes` the size of each `Set-Cookie` line sent
//! (deletions included, last); `deleted` how many of them are deletions; `open_error` why the
//! request's session cookies did not open here. When they are left alone for another node,
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
mod forms;
mod page;
mod report;
mod session_type;

use std::net::{IpAddr, SocketAddr};
use std::process::ExitCode;
use std::sync::Arc;

use axum::Router;
use axum::extract::State;
use axum::routing::{get, post};
use tokio::net::TcpListener;

use sealed_session::axum::SessionLayer;
use sealed_session::{Codec, CodecBuilder, CookieAttributes, Keyring};

use session_type::{DemoSession, DemoState, Release, SessionV0};

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

// ---------------------------------------------------------------------------------------------
// Start-up: configuration from the environment, then serve until Ctrl-C or SIGTERM.

struct Config {
    addr: SocketAddr,
    codec: Codecs,
    app: App,
}

/// The codec of this release: the old session type (release `a`) or the new one.
enum Codecs {
    Old(Codec<SessionV0>),
    New(Codec<DemoSession>),
}

/// The codec settings every release shares (same cookie, purpose and keyring, so that the
/// releases serve one another's sessions).
struct CodecSettings {
    keyring: Keyring,
    insecure: bool,
    max_cookie_bytes: Option<usize>,
    max_total_bytes: Option<usize>,
}

impl CodecSettings {
    fn builder<T>(&self) -> CodecBuilder<T> {
        let mut builder = Codec::<T>::builder(self.keyring.clone()).purpose("sealed-session demo");
        if self.insecure {
            builder = builder
                .cookie_name("session")
                .attributes(CookieAttributes::default().secure(false));
        }
        if let Some(n) = self.max_cookie_bytes {
            builder = builder.max_cookie_bytes(n);
        }
        if let Some(n) = self.max_total_bytes {
            builder = builder.max_total_bytes(n);
        }
        builder
    }
}

fn env(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.trim().is_empty())
}

fn configure() -> Result<Config, String> {
    let mut args = std::env::args().skip(1);
    let mut port = env("PORT");
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--port" => port = Some(args.next().ok_or("--port needs a number")?),
            other => match other.strip_prefix("--port=") {
                Some(p) => port = Some(p.to_owned()),
                None => return Err(format!("unknown argument '{other}' (only --port N)")),
            },
        }
    }
    let port: u16 = port
        .as_deref()
        .unwrap_or("8080")
        .trim()
        .parse()
        .map_err(|_| "the port must be a number from 0 to 65535".to_owned())?;
    let bind = env("BIND").unwrap_or_else(|| "127.0.0.1".to_owned());
    let ip: IpAddr = bind
        .trim()
        .parse()
        .map_err(|_| format!("BIND '{bind}' is not an IP address"))?;
    let (release, warning) = Release::from_env(
        env("DEMO_RELEASE").as_deref(),
        env("DEMO_SCHEMA_SWITCH_AT").as_deref(),
    )?;
    if let Some(warning) = warning {
        eprintln!("demo: {warning}");
    }

    let (keyring, key_note) = match env("SEALED_SESSION_KEYRING") {
        // The error names the entry and the rule broken, never the text.
        Some(text) => (
            Keyring::from_text(&text).map_err(|e| format!("SEALED_SESSION_KEYRING: {e}"))?,
            "keyring from SEALED_SESSION_KEYRING".to_owned(),
        ),
        None => {
            eprintln!(
                "\n!!! WARNING: SEALED_SESSION_KEYRING is not set: using a DEVELOPMENT keyring made up\n\
                 !!! just now. Sessions die with this process and no other node can open them.\n\
                 !!! Production: `sealed-session keygen` once, then give every node that text.\n"
            );
            (
                Keyring::generate().map_err(|e| e.to_string())?,
                "DEVELOPMENT keyring (generated at start-up)".to_owned(),
            )
        }
    };

    let number = |name: &str| -> Result<Option<usize>, String> {
        env(name)
            .map(|v| {
                v.trim()
                    .parse()
                    .map_err(|_| format!("{name} must be a number of bytes"))
            })
            .transpose()
    };
    let settings = CodecSettings {
        keyring,
        insecure: env("SEALED_SESSION_INSECURE").is_some_and(|v| v != "0"),
        max_cookie_bytes: number("SEALED_SESSION_MAX_COOKIE_BYTES")?,
        max_total_bytes: number("SEALED_SESSION_MAX_TOTAL_BYTES")?,
    };
    let built = |e: sealed_session::Error| e.to_string();
    let codec = match release {
        Release::A => Codecs::Old(
            session_type::release_a(settings.builder())
                .build()
                .map_err(built)?,
        ),
        Release::B { .. } | Release::C => Codecs::New(
            session_type::release_b_or_c(settings.builder(), release)
                .build()
                .map_err(built)?,
        ),
    };
    let (cookie_name, max_cookie_bytes, max_total_bytes) = match &codec {
        Codecs::Old(c) => (
            c.cookie_name().to_owned(),
            c.max_cookie_bytes(),
            c.max_total_bytes(),
        ),
        Codecs::New(c) => (
            c.cookie_name().to_owned(),
            c.max_cookie_bytes(),
            c.max_total_bytes(),
        ),
    };
    let app = App {
        node: env("NODE_NAME").unwrap_or_else(|| "demo".to_owned()),
        release,
        cookie_name,
        max_cookie_bytes,
        max_total_bytes,
        key_note,
    };
    Ok(Config {
        addr: SocketAddr::new(ip, port),
        codec,
        app,
    })
}

fn router<T: DemoState>(codec: Codec<T>, app: App) -> Router {
    Router::new()
        .route("/", get(page::page::<T>))
        .route("/sign-in", post(forms::sign_in_form::<T>))
        .route("/sign-out", post(forms::sign_out_form::<T>))
        .route("/cart/add", post(forms::add_form::<T>))
        .route("/cart/clear", post(forms::clear_form::<T>))
        .route("/api/session", get(api::api_session::<T>))
        .route("/api/incr", post(api::api_incr::<T>))
        .route("/api/cart/add", post(api::api_add::<T>))
        .route("/api/cart/clear", post(api::api_clear::<T>))
        .route("/api/sign-in", post(api::api_sign_in::<T>))
        .route("/api/sign-out", post(api::api_sign_out::<T>))
        .layer(SessionLayer::new(codec))
        .with_state(Arc::new(app))
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
    match config.codec {
        Codecs::Old(codec) => serve(listener, config.addr, codec, config.app).await,
        Codecs::New(codec) => serve(listener, config.addr, codec, config.app).await,
    }
}

async fn serve<T: DemoState>(
    listener: TcpListener,
    configured: SocketAddr,
    codec: Codec<T>,
    app: App,
) -> ExitCode {
    let addr = listener.local_addr().unwrap_or(configured);
    let keys: Vec<String> = codec.keyring().keys().map(|k| k.id().to_string()).collect();
    println!(
        "sealed-session demo (node {}, {}) on http://{addr}/ : cookie {}, keys [{}], {}",
        app.node,
        app.release.describe(),
        app.cookie_name,
        keys.join(", "),
        app.key_note
    );
    let served = axum::serve(listener, router(codec, app))
        .with_graceful_shutdown(shutdown())
        .await;
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
