//! The page's forms. Each posts, then redirects back to the page (with a note when the
//! session would not fit the budget); a write refused over cookies another node may read
//! answers the page itself with 503 and `Retry-After` instead, so a load balancer can retry it
//! on another node; any other failure answers the page with 500.

use axum::Form;
use axum::extract::{Query, State};
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;

use sealed_session::Error;
use sealed_session::axum::Session;

use crate::api::AddQuery;
use crate::changes::{
    add_items, change, not_saved_message, parse_remember, sign_in, status_of, valid_name,
};
use crate::page::page_response;
use crate::session_type::DemoState;
use crate::{App, Shared};

#[derive(Deserialize)]
pub struct SignInForm {
    name: String,
    remember: Option<String>,
}

fn back(note: Option<&str>) -> Response {
    match note {
        Some(note) => Redirect::to(&format!("/?note={}", url_encode(note))),
        None => Redirect::to("/"),
    }
    .into_response()
}

/// The answer to a form's change.
fn outcome<T: DemoState>(
    result: Result<(), Error>,
    app: &App,
    session: &Session<T>,
    headers: &HeaderMap,
) -> Response {
    match result {
        Ok(()) => back(None),
        Err(e @ Error::TooLarge { .. }) => back(Some(&not_saved_message(&e))),
        Err(e) => page_response(
            status_of(&e),
            app,
            session,
            headers,
            None,
            vec![not_saved_message(&e)],
        ),
    }
}

pub async fn sign_in_form<T: DemoState>(
    State(app): Shared,
    headers: HeaderMap,
    session: Session<T>,
    Form(form): Form<SignInForm>,
) -> Response {
    let Some(name) = valid_name(&form.name) else {
        return back(Some("a name is 1 to 64 characters"));
    };
    let remember = parse_remember(form.remember.as_deref()).unwrap_or(false);
    let result = sign_in(&session, &app.node, name, remember);
    outcome(result, &app, &session, &headers)
}

pub async fn sign_out_form<T: DemoState>(session: Session<T>) -> Response {
    session.clear();
    back(Some("signed out: every session cookie was deleted"))
}

pub async fn add_form<T: DemoState>(
    State(app): Shared,
    headers: HeaderMap,
    Query(q): Query<AddQuery>,
    session: Session<T>,
) -> Response {
    let n = q.n.unwrap_or(1).clamp(1, 10_000);
    let result = add_items(&session, &app.node, n);
    outcome(result, &app, &session, &headers)
}

pub async fn clear_form<T: DemoState>(
    State(app): Shared,
    headers: HeaderMap,
    session: Session<T>,
) -> Response {
    let result = change(&session, &app.node, |s| s.cart_mut().clear());
    outcome(result, &app, &session, &headers)
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
