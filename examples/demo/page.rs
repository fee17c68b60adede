//! The HTML page and its forms (each form posts, then redirects back to the page).

use axum::Form;
use axum::extract::{Query, State};
use axum::http::HeaderMap;
use axum::response::{Html, Redirect};
use serde::Deserialize;

use sealed_session::axum::Session;

use crate::api::AddQuery;
use crate::changes::{add_items, sign_in, too_large_message, valid_name};
use crate::report::{Report, due, report};
use crate::session_type::DemoSession;
use crate::{App, Shared};

#[derive(Deserialize)]
pub struct PageQuery {
    note: Option<String>,
}

#[derive(Deserialize)]
pub struct SignInForm {
    name: String,
}

fn back(note: Option<&str>) -> Redirect {
    match note {
        Some(note) => Redirect::to(&format!("/?note={}", url_encode(note))),
        None => Redirect::to("/"),
    }
}

pub async fn sign_in_form(session: Session<DemoSession>, Form(form): Form<SignInForm>) -> Redirect {
    match valid_name(&form.name) {
        Some(name) => match sign_in(&session, name) {
            Ok(()) => back(None),
            Err(e) => back(Some(&too_large_message(&e))),
        },
        None => back(Some("a name is 1 to 64 characters")),
    }
}

pub async fn sign_out_form(session: Session<DemoSession>) -> Redirect {
    session.clear();
    back(Some("signed out: every session cookie was deleted"))
}

pub async fn add_form(session: Session<DemoSession>, Query(q): Query<AddQuery>) -> Redirect {
    let n = q.n.unwrap_or(1).clamp(1, 10_000);
    match add_items(&session, n) {
        Ok(()) => back(None),
        Err(e) => back(Some(&too_large_message(&e))),
    }
}

pub async fn clear_form(session: Session<DemoSession>) -> Redirect {
    match session.update(|s| s.cart.clear()) {
        Ok(()) => back(None),
        Err(e) => back(Some(&too_large_message(&e))),
    }
}

pub async fn page(
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
