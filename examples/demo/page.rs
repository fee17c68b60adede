//! The HTML page: the session, what this response sent, its cookie budget, and the forms
//! (`forms.rs`).

use std::time::{Duration, SystemTime};

use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{Html, IntoResponse, Response};

use sealed_session::axum::Session;
use sealed_session::{Error, Metadata};

use crate::changes::{RETRY_AFTER_SECS, change, not_saved_message, status_of};
use crate::report::{Report, due, is_deletion, open_error_note, report};
use crate::session_type::DemoState;
use crate::{App, Shared};

/// A flash message with this prefix is a refusal (a note); any other is a confirmation.
pub const WARN: &str = "warn:";

/// What the page says above the session: refusals and errors (`warn`, class `note`) and
/// confirmations (`info`, class `flash`).
#[derive(Default)]
pub struct Notes {
    pub warn: Vec<String>,
    pub info: Vec<String>,
}

impl Notes {
    pub fn warn(text: String) -> Self {
        Notes {
            warn: vec![text],
            info: Vec::new(),
        }
    }

    /// Sorts the flash messages the previous response left by their tone.
    fn from_flashes(flashes: Vec<String>) -> Self {
        let mut notes = Notes::default();
        for message in flashes {
            match message.strip_prefix(WARN) {
                Some(text) => notes.warn.push(text.to_owned()),
                None => notes.info.push(message),
            }
        }
        notes
    }
}

/// A page view must follow the session's last write by this much to count as a visit.
const VISIT_GAP: Duration = Duration::from_secs(30 * 60);

/// Whether this page view counts a visit (and so writes the session).
///
/// Counting every view would re-seal the session, a `Set-Cookie` of up to the whole budget,
/// on every GET, reloads and the redirects after forms included. Remembering when the last
/// visit was counted would take a new field, so a new schema (the releases read schemas 0 and
/// 1 only, and their layouts must not change). The cookie already records its last write
/// (`Metadata::sealed_at`, authenticated), so a view counts when:
///
/// * there is no session yet: the first view creates it (the forms' CSRF token is bound to a
///   session id, so the page needs one anyway);
/// * the session was last written `VISIT_GAP` ago or more (a visitor coming back);
/// * the response re-seals anyway (`reseal_due`: a key rotation, half the idle window spent):
///   the count then costs nothing.
///
/// Any other view writes nothing. `POST /api/incr` counts on every call (the scripted clients
/// rely on it).
fn counts_a_visit(metadata: Option<&Metadata>, now: SystemTime) -> bool {
    match metadata {
        None => true,
        Some(m) => {
            m.reseal_due()
                || now
                    .duration_since(m.sealed_at())
                    .is_ok_and(|since| since >= VISIT_GAP)
        }
    }
}

/// The page. 503 (with `Retry-After`) when the request's session cookies are left alone for a
/// node that can read them: the first view's count is refused here.
pub async fn page<T: DemoState>(
    State(app): Shared,
    headers: HeaderMap,
    session: Session<T>,
) -> Response {
    let due = due(&session);
    let mut notes = Notes::from_flashes(session.take_flashes());
    if session.was_revoked() {
        notes.warn.push(
            "this browser's session was signed out everywhere (revoked on this node): its \
             cookies are deleted and you are served as a new visitor"
                .to_owned(),
        );
    }
    let mut status = StatusCode::OK;
    if counts_a_visit(session.metadata().as_ref(), SystemTime::now()) {
        match change(&session, &app.node, |s| *s.visits_mut() += 1) {
            Ok(()) => {}
            // Over the budget: the page still shows, with a note.
            Err(e @ Error::TooLarge { .. }) => notes.warn.push(not_saved_message(&e)),
            // The open error's own note says why (below).
            Err(e @ Error::OverwriteRefused { .. }) => status = status_of(&e),
            Err(e) => {
                notes.warn.push(not_saved_message(&e));
                status = status_of(&e);
            }
        }
    }
    page_response(status, &app, &session, &headers, due, notes)
}

/// The page with `status`: 503 adds `Retry-After`, so a load balancer or the browser tries
/// again (on another node).
pub fn page_response<T: DemoState>(
    status: StatusCode,
    app: &App,
    session: &Session<T>,
    headers: &HeaderMap,
    due: Option<String>,
    mut notes: Notes,
) -> Response {
    let r = report(session, headers, app, due);
    if let Some(e) = &r.open_error {
        notes.warn.push(open_error_note(e));
    }
    let token = session.csrf_token().unwrap_or_default();
    let empty = T::default();
    // Rendered in place (`with`): the cart is not cloned.
    let html = Html(session.with(|value| render(app, &r, &notes, value.unwrap_or(&empty), &token)));
    if status == StatusCode::SERVICE_UNAVAILABLE {
        let retry = [(header::RETRY_AFTER, RETRY_AFTER_SECS)];
        return (status, retry, html).into_response();
    }
    (status, html).into_response()
}

/// A bar of `used` out of `limit`: its width is an inline style, which the page's CSP allows
/// (`style-src 'unsafe-inline'`); no script.
fn bar(used: usize, limit: usize) -> String {
    let percent = (used * 100).checked_div(limit).unwrap_or(100).min(100);
    let class = if percent >= 90 { " class=full" } else { "" };
    format!("<span class=bar><span{class} style=\"width:{percent}%\"></span></span> {percent}%")
}

/// The cookie budget: each chunk's `name=value` against the per-line limit (which also covers
/// the line's attributes), and the session's share of the `Cookie` header against the total.
fn budget(app: &App, r: &Report) -> String {
    if r.chunk_bytes.is_empty() {
        return "<p>No session cookie.</p>".to_owned();
    }
    let rows: Vec<String> = r
        .chunk_bytes
        .iter()
        .map(|(name, bytes)| {
            format!(
                "<tr><td><code>{}</code></td><td>{}</td><td>{bytes} of {} bytes</td></tr>",
                esc(name),
                bar(*bytes, app.max_cookie_bytes),
                app.max_cookie_bytes
            )
        })
        .collect();
    format!(
        "<table id=budget>{}<tr><td>in total</td><td>{}</td><td>{} of {} bytes</td></tr></table>\
         <p class=muted>Per chunk: its <code>name=value</code> against the limit per \
         <code>Set-Cookie</code> line (the line's attributes take the rest). In total: the \
         session's share of the <code>Cookie</code> header.</p>",
        rows.join(""),
        bar(r.header_bytes, app.max_total_bytes),
        r.header_bytes,
        app.max_total_bytes
    )
}

fn render<T: DemoState>(app: &App, r: &Report, notes: &Notes, value: &T, token: &str) -> String {
    let csrf = format!(
        "<input type=hidden name=csrf_token value=\"{}\">",
        esc(token)
    );
    let who = match &r.name {
        Some(name) => format!(
            "<p>Signed in as <b id=name>{name}</b> ({how}).</p>\
             <form method=post action=/sign-out>{csrf}<button>Sign out</button></form>\
             <form method=post action=/sign-out-everywhere>{csrf}<button>Sign out everywhere</button></form>\
             <p class=muted>Sign out everywhere refuses every session of {name} issued until now, \
             in every browser and every copy of the cookie, on this node: each node keeps its own \
             list in memory (a real cluster records revocations in its database and replays them \
             into every node).</p>",
            name = esc(name),
            how = match r.persistent {
                Some(true) => "remembered: the cookies carry Max-Age and outlive the browser",
                _ => "for this browser session: the cookies carry no Max-Age",
            }
        ),
        None => format!(
            "<form method=post action=/sign-in>{csrf}\
             <input name=name placeholder='your name' maxlength=64 required> \
             <label><input type=checkbox name=remember value=1> remember me</label> \
             <button>Sign in</button></form>"
        ),
    };
    let last_writer = match (&r.last_writer, r.schema) {
        (Some(node), _) => esc(node),
        (None, Some(0)) => "- (schema 0 has no room for it)".to_owned(),
        (None, _) => "-".to_owned(),
    };
    let total_qty: u64 = value.cart().iter().map(|i| u64::from(i.qty)).sum();
    let last: Vec<String> = value
        .cart()
        .iter()
        .rev()
        .take(5)
        .map(|i| format!("<li>#{} {} &times; {}</li>", i.sku, esc(&i.name), i.qty))
        .collect();
    let line_row = |line: &String, what: &str| {
        let name = line.split('=').next().unwrap_or_default();
        format!(
            "<tr><td><code>{}</code></td><td>{what}</td><td>{} bytes</td></tr>",
            esc(name),
            line.len()
        )
    };
    let lines: Vec<String> = r
        .lines
        .iter()
        .map(|line| {
            line_row(
                line,
                if is_deletion(line) {
                    "deletion"
                } else {
                    "chunk"
                },
            )
        })
        .chain(r.flash_lines.iter().map(|line| {
            line_row(
                line,
                if is_deletion(line) {
                    "flash read: deleted"
                } else {
                    "flash message"
                },
            )
        }))
        .collect();
    let response_facts = if r.resealed {
        let why = match &r.reseal_reason {
            Some(reason) => format!("yes: the request's session was due ({})", esc(reason)),
            None => "yes: the session changed".to_owned(),
        };
        format!("<p>Re-sealed by this response: <b>{why}</b></p>")
    } else if r.lines.is_empty() {
        "<p>Re-sealed by this response: no (nothing sent for the session)</p>".to_owned()
    } else {
        "<p>Re-sealed by this response: no (deletions only)</p>".to_owned()
    };
    let notes: String = notes
        .warn
        .iter()
        .map(|n| format!("<p class=note>{}</p>", esc(n)))
        .chain(
            notes
                .info
                .iter()
                .map(|n| format!("<p class=flash>{}</p>", esc(n))),
        )
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
.note,.flash{{padding:.5rem .8rem;border-radius:4px}} .note{{background:#fff3cd}} .flash{{background:#d1e7dd}}
code{{font-size:.9em}} .muted{{color:#666}}
.bar{{display:inline-block;vertical-align:middle;width:14rem;height:.8rem;background:#e9ecef;border-radius:3px;overflow:hidden}}
.bar span{{display:block;height:100%;background:#3c8d5f}} .bar span.full{{background:#c0603a}}
</style></head><body>
<h1>sealed-session demo <span class=muted>· node {node} · release <span id=release>{release}</span></span></h1>
{notes}
<p>Everything below lives in your cookies, sealed with XAES-256-GCM: no server keeps anything.</p>
<h2>You</h2>
<p>Visits: <b id=visits>{visits}</b> · last changed by node: <b id=last-writer>{last_writer}</b></p>
<p class=muted>A page view counts a visit when it is your first, or comes {gap} minutes or more after the session was last written: a reload sends no cookie.</p>
{who}
<h2>Cart</h2>
<p><b id=cart-len>{cart_len}</b> lines, {total_qty} items.</p>
<ul>{last}</ul>
<form method=post action="/cart/add?n=1">{csrf}<button>Add an item</button></form>
<form method=post action="/cart/add?n=300">{csrf}<button>Add 300 items</button></form>
<form method=post action="/cart/clear">{csrf}<button>Clear the cart</button></form>
<h2>Cookie budget</h2>
{budget}
<h2>This response</h2>
{response_facts}
<p>Chunks: <b id=chunks>{chunks}</b> · key id: <code id=key-id>{key_id}</code> · schema: <b id=schema>{schema}</b> · session id: <code>{session_id}</code></p>
<table>{lines}</table>
<p class=muted>Cookie <code>{cookie}</code>; at most {max_cookie} bytes per <code>Set-Cookie</code> line and {max_total} bytes in total; {key_note}; {release_note}.
Key rotation re-seals on the next request by itself. A tampered or expired cookie is treated as no session and deleted;
one this node cannot read but another may (a key it lacks, another release's schema) is left alone and answered with 503.
JSON: <a href=/api/session>/api/session</a>.</p>
</body></html>
"#,
        node = esc(&app.node),
        release = app.release.name(),
        visits = r.visits,
        gap = VISIT_GAP.as_secs() / 60,
        cart_len = r.cart_len,
        last = last.join(""),
        budget = budget(app, r),
        chunks = r.chunks,
        key_id = r.key_id.as_deref().unwrap_or("-"),
        schema = r.schema.map_or_else(|| "-".to_owned(), |v| v.to_string()),
        session_id = r.session_id.as_deref().unwrap_or("-"),
        lines = lines.join(""),
        cookie = esc(&app.cookie_name),
        max_cookie = app.max_cookie_bytes,
        max_total = app.max_total_bytes,
        key_note = esc(&app.key_note),
        release_note = esc(&app.release.describe()),
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
