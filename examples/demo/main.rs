//! The sealed-session demo: an axum app whose whole session lives in sealed cookies.
//!
//! ```sh
//! cargo run --example demo --features axum            # http://127.0.0.1:8080
//! cargo run --example demo --features axum -- --port 9000
//! ```
//!
//! The page shows the session (visit count, a signed-in name, a cart), what this response sent
//! (each `Set-Cookie` line's size, the chunk count, the key id, whether it re-sealed and why),
//! and buttons that grow the cart past one cookie and shrink it back.
//!
//! # Configuration (environment)
//!
//! | variable | meaning | default |
//! |---|---|---|
//! | `SEALED_SESSION_KEYRING` | keyring text (`sealed-session keygen`) | a fresh development keyring, with a warning |
//! | `PORT` (or `--port N`) | TCP port | `8080` |
//! | `BIND` | address to bind | `127.0.0.1` |
//! | `NODE_NAME` | shown on the page and in `/api/session` | `demo` |
//! | `SEALED_SESSION_INSECURE=1` | cookie `session` without `Secure` (plain HTTP behind a proxy) | `__Host-session`, `Secure` |
//! | `SEALED_SESSION_MAX_COOKIE_BYTES` | limit per `Set-Cookie` line | 4000 |
//! | `SEALED_SESSION_MAX_TOTAL_BYTES` | limit on the session's cookies in total | 6144 |
//!
//! Browsers treat `http://localhost` and `http://127.0.0.1` as secure, so the default `__Host-`
//! cookie works there without TLS. Several nodes given the same keyring serve one another's
//! sessions: no affinity needed.
//!
//! # JSON API (for scripted clients with a cookie jar, e.g. `curl -c jar -b jar`)
//!
//! Every endpoint answers `application/json` with the same object, describing the session after
//! this response:
//!
//! ```json
//! {"node":"demo","visits":3,"name":"alice","cart_len":300,"session_id":"9f0c...",
//!  "key_id":"1a2b3c4d","chunks":2,"resealed":true,"reseal_reason":null,
//!  "set_cookie_bytes":[3990,1012],"deleted":0,"open_error":null}
//! ```
//!
//! * `GET  /api/session`: reads only; the response re-seals only when the session is due
//!   (key rotation, idle refresh), which `resealed` and `reseal_reason` then report;
//! * `POST /api/incr`: `visits + 1`;
//! * `POST /api/cart/add?n=K`: appends items `len .. len+K` (1 <= K <= 10000; item `i` is
//!   `sku 100000+i`, a product name chosen by `i`, quantity `1 + i % 3`, so results are
//!   deterministic); `413` with `{"error":..,"needed":..,"budget":..}` and the session unchanged
//!   when it would not fit the cookie budget;
//! * `POST /api/cart/clear`: empties the cart;
//! * `POST /api/sign-in?name=X`: signs in as `X` (1 to 64 characters) under a fresh session id,
//!   keeping visits and cart;
//! * `POST /api/sign-out`: deletes every cookie of the session.
//!
//! `chunks` is the number of cookies that carry the session once the response is applied (0:
//! none), `key_id` the key that sealed it, `set_cookie_bytes` the size of each `Set-Cookie`
//! line sent (deletions included, last), `open_error` why the request's session cookies did not
//! open (they are then deleted and the request is served as a new visitor).
//!
//! The demo stops cleanly on Ctrl-C or SIGTERM.

mod api;
mod changes;
mod page;
mod report;
mod session_type;

use std::net::{IpAddr, SocketAddr};
use std::process::ExitCode;
use std::sync::Arc;

use axum::Router;
use axum::extract::State;
use axum::routing::{get, post};

use sealed_session::axum::SessionLayer;
use sealed_session::{Codec, CookieAttributes, Keyring};

use session_type::DemoSession;

/// What every handler may read: this node's configuration.
pub struct App {
    pub node: String,
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
    codec: Codec<DemoSession>,
    app: App,
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

    let insecure = env("SEALED_SESSION_INSECURE").is_some_and(|v| v != "0");
    let number = |name: &str| -> Result<Option<usize>, String> {
        env(name)
            .map(|v| {
                v.trim()
                    .parse()
                    .map_err(|_| format!("{name} must be a number of bytes"))
            })
            .transpose()
    };
    let mut builder = Codec::<DemoSession>::builder(keyring).purpose("sealed-session demo");
    if insecure {
        builder = builder
            .cookie_name("session")
            .attributes(CookieAttributes::default().secure(false));
    }
    if let Some(n) = number("SEALED_SESSION_MAX_COOKIE_BYTES")? {
        builder = builder.max_cookie_bytes(n);
    }
    if let Some(n) = number("SEALED_SESSION_MAX_TOTAL_BYTES")? {
        builder = builder.max_total_bytes(n);
    }
    let codec = builder.build().map_err(|e| e.to_string())?;
    let app = App {
        node: env("NODE_NAME").unwrap_or_else(|| "demo".to_owned()),
        cookie_name: codec.cookie_name().to_owned(),
        max_cookie_bytes: codec.max_cookie_bytes(),
        max_total_bytes: codec.max_total_bytes(),
        key_note,
    };
    Ok(Config {
        addr: SocketAddr::new(ip, port),
        codec,
        app,
    })
}

fn router(codec: Codec<DemoSession>, app: App) -> Router {
    Router::new()
        .route("/", get(page::page))
        .route("/sign-in", post(page::sign_in_form))
        .route("/sign-out", post(page::sign_out_form))
        .route("/cart/add", post(page::add_form))
        .route("/cart/clear", post(page::clear_form))
        .route("/api/session", get(api::api_session))
        .route("/api/incr", post(api::api_incr))
        .route("/api/cart/add", post(api::api_add))
        .route("/api/cart/clear", post(api::api_clear))
        .route("/api/sign-in", post(api::api_sign_in))
        .route("/api/sign-out", post(api::api_sign_out))
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
    let listener = match tokio::net::TcpListener::bind(config.addr).await {
        Ok(listener) => listener,
        Err(e) => {
            eprintln!("demo: cannot listen on {}: {e}", config.addr);
            return ExitCode::from(1);
        }
    };
    let addr = listener.local_addr().unwrap_or(config.addr);
    let keys: Vec<String> = config
        .codec
        .keyring()
        .keys()
        .map(|k| k.id().to_string())
        .collect();
    println!(
        "sealed-session demo (node {}) on http://{addr}/ : cookie {}, keys [{}], {}",
        config.app.node,
        config.app.cookie_name,
        keys.join(", "),
        config.app.key_note
    );
    let app = router(config.codec, config.app);
    let served = axum::serve(listener, app)
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
