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

use std::net::{IpAddr, SocketAddr};
use std::process::ExitCode;
use std::sync::Arc;

use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Form, Json, Router};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use sealed_session::axum::{Session, SessionLayer};
use sealed_session::{
    Codec, CookieAttributes, Error, Inspection, Keyring, SealedCookies, http::request_cookies,
};

/// Everything the app remembers about a visitor, sealed into the cookies.
#[derive(Serialize, Deserialize, Clone, Default, Debug)]
struct DemoSession {
    visits: u64,
    name: Option<String>,
    cart: Vec<Item>,
}

#[derive(Serialize, Deserialize, Clone, Debug)]
struct Item {
    sku: u32,
    name: String,
    qty: u16,
}

const PRODUCTS: [&str; 8] = [
    "green tea",
    "coffee",
    "mug",
    "kettle",
    "honey",
    "biscuits",
    "teapot",
    "filter",
];

/// Item `i` of any cart: deterministic, so scripted clients can predict sizes.
fn item(i: usize) -> Item {
    Item {
        sku: 100_000u32.saturating_add(u32::try_from(i).unwrap_or(u32::MAX)),
        name: PRODUCTS[i % PRODUCTS.len()].to_owned(),
        qty: 1 + (i % 3) as u16,
    }
}

struct App {
    node: String,
    cookie_name: String,
    max_cookie_bytes: usize,
    max_total_bytes: usize,
    key_note: String,
}

type Shared = State<Arc<App>>;

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
        .route("/", get(page))
        .route("/sign-in", post(sign_in_form))
        .route("/sign-out", post(sign_out_form))
        .route("/cart/add", post(add_form))
        .route("/cart/clear", post(clear_form))
        .route("/api/session", get(api_session))
        .route("/api/incr", post(api_incr))
        .route("/api/cart/add", post(api_add))
        .route("/api/cart/clear", post(api_clear))
        .route("/api/sign-in", post(api_sign_in))
        .route("/api/sign-out", post(api_sign_out))
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

// ---------------------------------------------------------------------------------------------
// What a response did, for the page and the JSON API.

/// Facts about the session once this response is applied.
struct Report {
    visits: u64,
    name: Option<String>,
    cart_len: usize,
    session_id: Option<String>,
    key_id: Option<String>,
    chunks: usize,
    resealed: bool,
    reseal_reason: Option<String>,
    lines: Vec<String>,
    deleted: usize,
    open_error: Option<String>,
}

/// Builds the report. Call after the handler's changes: it performs a due re-seal, exactly as
/// the layer would after the handler.
fn report(
    session: &Session<DemoSession>,
    request: &HeaderMap,
    app: &App,
    due: Option<String>,
) -> Report {
    let value = session.get();
    let sealed: Option<SealedCookies> = session.sealed();
    let lines = session.set_cookie_headers();
    let (chunks, key_id, deleted) = match &sealed {
        Some(s) => (
            s.chunk_count(),
            Some(s.metadata().key_id().to_string()),
            s.deleted_count(),
        ),
        None if value.is_some() => {
            // Unchanged: the cookies the request carried stay as they are.
            let cookies = request_cookies(request);
            let facts = Inspection::of_cookies(&cookies, &app.cookie_name)
                .ok()
                .flatten();
            (
                facts.map_or(0, |f| f.chunk_count()),
                session.metadata().map(|m| m.key_id().to_string()),
                0,
            )
        }
        None => (0, None, lines.len()),
    };
    let value = value.unwrap_or_default();
    Report {
        visits: value.visits,
        name: value.name,
        cart_len: value.cart.len(),
        session_id: session.metadata().map(|m| m.session_id().to_string()),
        key_id,
        chunks,
        resealed: sealed.is_some(),
        reseal_reason: due,
        lines,
        deleted,
        open_error: session.open_error().map(|e| e.to_string()),
    }
}

/// Why the request's session is due for a re-seal, read before the handler changes anything.
fn due(session: &Session<DemoSession>) -> Option<String> {
    session
        .metadata()
        .and_then(|m| m.reseal_reason())
        .map(|r| r.to_string())
}

fn json_of(report: &Report, app: &App) -> Value {
    json!({
        "node": app.node,
        "visits": report.visits,
        "name": report.name,
        "cart_len": report.cart_len,
        "session_id": report.session_id,
        "key_id": report.key_id,
        "chunks": report.chunks,
        "resealed": report.resealed,
        "reseal_reason": report.reseal_reason,
        "set_cookie_bytes": report.lines.iter().map(String::len).collect::<Vec<_>>(),
        "deleted": report.deleted,
        "open_error": report.open_error,
    })
}

// ---------------------------------------------------------------------------------------------
// Changes shared by the HTML forms and the JSON API.

fn add_items(session: &Session<DemoSession>, n: usize) -> Result<(), Error> {
    session.update(|s| {
        let start = s.cart.len();
        s.cart.extend((start..start + n).map(item));
    })
}

fn valid_name(name: &str) -> Option<String> {
    let name = name.trim();
    let ok = (1..=64).contains(&name.chars().count()) && !name.chars().any(char::is_control);
    ok.then(|| name.to_owned())
}

/// Signs in under a fresh session id (clear, then set), keeping visits and cart.
fn sign_in(session: &Session<DemoSession>, name: String) -> Result<(), Error> {
    let mut value = session.get().unwrap_or_default();
    value.name = Some(name);
    session.clear();
    session.set(value)
}

fn too_large_message(e: &Error) -> String {
    match e {
        Error::TooLarge { needed, budget } => format!(
            "the session would need {needed} bytes of cookies, over the budget of {budget}: not saved"
        ),
        other => format!("not saved: {other}"),
    }
}

// ---------------------------------------------------------------------------------------------
// JSON API.

#[derive(Deserialize)]
struct AddQuery {
    n: Option<usize>,
}

#[derive(Deserialize)]
struct NameQuery {
    name: Option<String>,
}

fn api_reply(
    session: &Session<DemoSession>,
    headers: &HeaderMap,
    app: &App,
    due: Option<String>,
) -> Response {
    Json(json_of(&report(session, headers, app, due), app)).into_response()
}

async fn api_session(
    State(app): Shared,
    headers: HeaderMap,
    session: Session<DemoSession>,
) -> Response {
    let due = due(&session);
    api_reply(&session, &headers, &app, due)
}

async fn api_incr(
    State(app): Shared,
    headers: HeaderMap,
    session: Session<DemoSession>,
) -> Response {
    let due = due(&session);
    if let Err(e) = session.update(|s| s.visits += 1) {
        return api_error(StatusCode::INTERNAL_SERVER_ERROR, &e);
    }
    api_reply(&session, &headers, &app, due)
}

async fn api_add(
    State(app): Shared,
    headers: HeaderMap,
    Query(q): Query<AddQuery>,
    session: Session<DemoSession>,
) -> Response {
    let due = due(&session);
    let n = q.n.unwrap_or(1);
    if !(1..=10_000).contains(&n) {
        let body = json!({"error": "n must be between 1 and 10000"});
        return (StatusCode::BAD_REQUEST, Json(body)).into_response();
    }
    match add_items(&session, n) {
        Ok(()) => api_reply(&session, &headers, &app, due),
        Err(e @ Error::TooLarge { .. }) => api_error(StatusCode::PAYLOAD_TOO_LARGE, &e),
        Err(e) => api_error(StatusCode::INTERNAL_SERVER_ERROR, &e),
    }
}

fn api_error(status: StatusCode, e: &Error) -> Response {
    let body = match e {
        Error::TooLarge { needed, budget } => {
            json!({"error": e.to_string(), "needed": needed, "budget": budget})
        }
        _ => json!({"error": e.to_string()}),
    };
    (status, Json(body)).into_response()
}

async fn api_clear(
    State(app): Shared,
    headers: HeaderMap,
    session: Session<DemoSession>,
) -> Response {
    let due = due(&session);
    if let Err(e) = session.update(|s| s.cart.clear()) {
        return api_error(StatusCode::INTERNAL_SERVER_ERROR, &e);
    }
    api_reply(&session, &headers, &app, due)
}

async fn api_sign_in(
    State(app): Shared,
    headers: HeaderMap,
    Query(q): Query<NameQuery>,
    session: Session<DemoSession>,
) -> Response {
    let Some(name) = q.name.as_deref().and_then(valid_name) else {
        let body = json!({"error": "name must be 1 to 64 characters"});
        return (StatusCode::BAD_REQUEST, Json(body)).into_response();
    };
    if let Err(e) = sign_in(&session, name) {
        return api_error(StatusCode::INTERNAL_SERVER_ERROR, &e);
    }
    api_reply(&session, &headers, &app, None)
}

async fn api_sign_out(
    State(app): Shared,
    headers: HeaderMap,
    session: Session<DemoSession>,
) -> Response {
    session.clear();
    api_reply(&session, &headers, &app, None)
}

// ---------------------------------------------------------------------------------------------
// The HTML page and its forms (each form posts, then redirects back to the page).

#[derive(Deserialize)]
struct PageQuery {
    note: Option<String>,
}

#[derive(Deserialize)]
struct SignInForm {
    name: String,
}

fn back(note: Option<&str>) -> Redirect {
    match note {
        Some(note) => Redirect::to(&format!("/?note={}", url_encode(note))),
        None => Redirect::to("/"),
    }
}

async fn sign_in_form(session: Session<DemoSession>, Form(form): Form<SignInForm>) -> Redirect {
    match valid_name(&form.name) {
        Some(name) => match sign_in(&session, name) {
            Ok(()) => back(None),
            Err(e) => back(Some(&too_large_message(&e))),
        },
        None => back(Some("a name is 1 to 64 characters")),
    }
}

async fn sign_out_form(session: Session<DemoSession>) -> Redirect {
    session.clear();
    back(Some("signed out: every session cookie was deleted"))
}

async fn add_form(session: Session<DemoSession>, Query(q): Query<AddQuery>) -> Redirect {
    let n = q.n.unwrap_or(1).clamp(1, 10_000);
    match add_items(&session, n) {
        Ok(()) => back(None),
        Err(e) => back(Some(&too_large_message(&e))),
    }
}

async fn clear_form(session: Session<DemoSession>) -> Redirect {
    match session.update(|s| s.cart.clear()) {
        Ok(()) => back(None),
        Err(e) => back(Some(&too_large_message(&e))),
    }
}

async fn page(
    State(app): Shared,
    headers: HeaderMap,
    Query(q): Query<PageQuery>,
    session: Session<DemoSession>,
) -> Html<String> {
    let due = due(&session);
    let counted = session.update(|s| s.visits += 1);
    let r = report(&session, &headers, &app, due);
    let mut notes = Vec::new();
    if let Some(note) = q.note.as_deref() {
        notes.push(note.to_owned());
    }
    if let Some(e) = &r.open_error {
        notes.push(format!(
            "the request's session cookies did not open ({e}): served as a new visitor, and they are deleted"
        ));
    }
    if let Err(e) = counted {
        notes.push(too_large_message(&e));
    }
    Html(render(&app, &r, &notes, &session.get().unwrap_or_default()))
}

fn render(app: &App, r: &Report, notes: &[String], value: &DemoSession) -> String {
    let who = match &r.name {
        Some(name) => format!(
            "<p>Signed in as <b>{}</b>.</p>\
             <form method=post action=/sign-out><button>Sign out</button></form>",
            esc(name)
        ),
        None => "<form method=post action=/sign-in>\
                 <input name=name placeholder='your name' maxlength=64 required> \
                 <button>Sign in</button></form>"
            .to_owned(),
    };
    let total_qty: u64 = value.cart.iter().map(|i| u64::from(i.qty)).sum();
    let last: Vec<String> = value
        .cart
        .iter()
        .rev()
        .take(5)
        .map(|i| format!("<li>#{} {} &times; {}</li>", i.sku, esc(&i.name), i.qty))
        .collect();
    let lines: Vec<String> = r
        .lines
        .iter()
        .map(|line| {
            let name = line.split('=').next().unwrap_or_default();
            let kind = if line.contains("Max-Age=0") {
                "deletion"
            } else {
                "chunk"
            };
            format!(
                "<tr><td><code>{}</code></td><td>{kind}</td><td>{} bytes</td></tr>",
                esc(name),
                line.len()
            )
        })
        .collect();
    let response_facts = if r.resealed {
        let why = match &r.reseal_reason {
            Some(reason) => format!("yes: the request's session was due ({})", esc(reason)),
            None => "yes: the session changed".to_owned(),
        };
        format!("<p>Re-sealed by this response: <b>{why}</b></p>")
    } else if r.lines.is_empty() {
        "<p>Re-sealed by this response: no (nothing sent)</p>".to_owned()
    } else {
        "<p>Re-sealed by this response: no (deletions only)</p>".to_owned()
    };
    let notes: String = notes
        .iter()
        .map(|n| format!("<p class=note>{}</p>", esc(n)))
        .collect();
    format!(
        r#"<!doctype html>
<html lang=en><head><meta charset=utf-8><title>sealed-session demo</title>
<meta name=viewport content="width=device-width, initial-scale=1">
<style>
body{{font:16px/1.45 system-ui,sans-serif;max-width:46rem;margin:2rem auto;padding:0 1rem;color:#222}}
h1{{font-size:1.4rem}} h2{{font-size:1.1rem;margin-top:1.6rem}}
form{{display:inline-block;margin:.2rem .4rem .2rem 0}} button{{padding:.3rem .8rem}}
table{{border-collapse:collapse}} td{{padding:.15rem .8rem .15rem 0}}
.note{{background:#fff3cd;padding:.5rem .8rem;border-radius:4px}} code{{font-size:.9em}}
.muted{{color:#666}}
</style></head><body>
<h1>sealed-session demo <span class=muted>· node {node}</span></h1>
{notes}
<p>Everything below lives in your cookies, sealed with XAES-256-GCM: no server keeps anything.</p>
<h2>You</h2>
<p>Visits: <b id=visits>{visits}</b></p>
{who}
<h2>Cart</h2>
<p><b id=cart-len>{cart_len}</b> lines, {total_qty} items.</p>
<ul>{last}</ul>
<form method=post action="/cart/add?n=1"><button>Add an item</button></form>
<form method=post action="/cart/add?n=300"><button>Add 300 items</button></form>
<form method=post action="/cart/clear"><button>Clear the cart</button></form>
<h2>This response</h2>
{response_facts}
<p>Chunks: <b id=chunks>{chunks}</b> · key id: <code id=key-id>{key_id}</code> · session id: <code>{session_id}</code></p>
<table>{lines}</table>
<p class=muted>Cookie <code>{cookie}</code>; at most {max_cookie} bytes per <code>Set-Cookie</code> line and {max_total} bytes in total; {key_note}.
Key rotation re-seals on the next request by itself; a tampered or expired cookie is treated as no session and deleted.
JSON: <a href=/api/session>/api/session</a>.</p>
</body></html>
"#,
        node = esc(&app.node),
        visits = r.visits,
        cart_len = r.cart_len,
        last = last.join(""),
        chunks = r.chunks,
        key_id = r.key_id.as_deref().unwrap_or("-"),
        session_id = r.session_id.as_deref().unwrap_or("-"),
        lines = lines.join(""),
        cookie = esc(&app.cookie_name),
        max_cookie = app.max_cookie_bytes,
        max_total = app.max_total_bytes,
        key_note = esc(&app.key_note),
    )
}

/// Escapes text for HTML element content and attribute values.
fn esc(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// Percent-encodes a query value.
fn url_encode(text: &str) -> String {
    let mut out = String::with_capacity(text.len() * 3);
    for b in text.bytes() {
        if b.is_ascii_alphanumeric() || b"-_.~".contains(&b) {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}
