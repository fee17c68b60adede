//! The HTML page: the session, what this response sent, and the forms (`forms.rs`).

use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{Html, IntoResponse, Response};
use serde::Deserialize;

use sealed_session::Error;
use sealed_session::axum::Session;

use crate::changes::{RETRY_AFTER_SECS, change, not_saved_message, status_of};
use crate::report::{Report, due, open_error_note, report};
use crate::session_type::DemoState;
use crate::{App, Shared};

#[derive(Deserialize)]
pub struct PageQuery {
    note: Option<String>,
}

/// The page; every view counts a visit. 503 (with `Retry-After`) when the request's session
/// cookies are left alone for a node that can read them: the count is refused here.
pub async fn page<T: DemoState>(
    State(app): Shared,
    headers: HeaderMap,
    Query(q): Query<PageQuery>,
    session: Session<T>,
) -> Response {
    let due = due(&session);
    let counted = change(&session, &app.node, |s| *s.visits_mut() += 1);
    let mut notes: Vec<String> = q.note.into_iter().collect();
    let status = match counted {
        Ok(()) => StatusCode::OK,
        // Over the budget: the page still shows, with a note.
        Err(e @ Error::TooLarge { .. }) => {
            notes.push(not_saved_message(&e));
            StatusCode::OK
        }
        // The open error's own note says why (below).
        Err(e @ Error::OverwriteRefused { .. }) => status_of(&e),
        Err(e) => {
            notes.push(not_saved_message(&e));
            status_of(&e)
        }
    };
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
    mut notes: Vec<String>,
) -> Response {
    let r = report(session, headers, app, due);
    if let Some(e) = &r.open_error {
        notes.push(open_error_note(e));
    }
    let html = Html(render(app, &r, &notes, &session.get().unwrap_or_default()));
    if status == StatusCode::SERVICE_UNAVAILABLE {
        let retry = [(header::RETRY_AFTER, RETRY_AFTER_SECS)];
        return (status, retry, html).into_response();
    }
    (status, html).into_response()
}

fn render<T: DemoState>(app: &App, r: &Report, notes: &[String], value: &T) -> String {
    let who = match &r.name {
        Some(name) => format!(
            "<p>Signed in as <b id=name>{}</b> ({}).</p>\
             <form method=post action=/sign-out><button>Sign out</button></form>",
            esc(name),
            match r.persistent {
                Some(true) => "remembered: the cookies carry Max-Age and outlive the browser",
                _ => "for this browser session: the cookies carry no Max-Age",
            }
        ),
        None => "<form method=post action=/sign-in>\
                 <input name=name placeholder='your name' maxlength=64 required> \
                 <label><input type=checkbox name=remember value=1> remember me</label> \
                 <button>Sign in</button></form>"
            .to_owned(),
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
<h1>sealed-session demo <span class=muted>· node {node} · release <span id=release>{release}</span></span></h1>
{notes}
<p>Everything below lives in your cookies, sealed with XAES-256-GCM: no server keeps anything.</p>
<h2>You</h2>
<p>Visits: <b id=visits>{visits}</b> · last changed by node: <b id=last-writer>{last_writer}</b></p>
{who}
<h2>Cart</h2>
<p><b id=cart-len>{cart_len}</b> lines, {total_qty} items.</p>
<ul>{last}</ul>
<form method=post action="/cart/add?n=1"><button>Add an item</button></form>
<form method=post action="/cart/add?n=300"><button>Add 300 items</button></form>
<form method=post action="/cart/clear"><button>Clear the cart</button></form>
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
        cart_len = r.cart_len,
        last = last.join(""),
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
