//! The page's forms. Each checks the session's CSRF token, posts, then redirects back to the
//! page (303) with a flash message saying what happened (or why nothing did: over the budget,
//! a bad name); a write refused over cookies another node may read answers the page itself
//! with 503 and `Retry-After` instead, so a load balancer can retry it on another node; any
//! other failure answers the page with 500.
//!
//! The token is checked on every form post, whatever its headers: the layer's cross-site check
//! already refuses forged posts from browsers that send `Sec-Fetch-Site` or `Origin`, and the
//! token covers the older ones. It fails, with 403 and nothing changed, also when the page is
//! older than the session (signed in or out since in another tab, revoked everywhere): reload.

use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::{Extension, Form};
use serde::Deserialize;

use sealed_session::Error;
use sealed_session::axum::Session;

use crate::api::AddQuery;
use crate::changes::{
    add_items, change, not_saved_message, parse_remember, sign_in, sign_out_everywhere, status_of,
    unreadable_here, valid_name,
};
use crate::page::{Notes, WARN, page_response};
use crate::session_type::DemoState;
use crate::{App, Everywhere, Shared};

#[derive(Deserialize)]
pub struct SignInForm {
    name: String,
    remember: Option<String>,
    #[serde(default)]
    csrf_token: String,
}

/// The forms without fields of their own.
#[derive(Deserialize)]
pub struct TokenForm {
    #[serde(default)]
    csrf_token: String,
}

/// `None` lets the form through; otherwise the answer: 503 (`Retry-After`) when the request's session
/// cookies are left alone for a node that can read them (only such a node can check the
/// token), 403 when `token` is not the session's CSRF token.
fn guard<T: DemoState>(
    app: &App,
    session: &Session<T>,
    headers: &HeaderMap,
    token: &str,
) -> Option<Response> {
    if unreadable_here(session).is_some() {
        let unavailable = StatusCode::SERVICE_UNAVAILABLE;
        return Some(page_response(
            unavailable,
            app,
            session,
            headers,
            None,
            Notes::default(),
        ));
    }
    if session.verify_csrf(token) {
        return None;
    }
    let page = "<!doctype html><html lang=en><meta charset=utf-8><title>403 Forbidden</title>\
                <p>Refused: this form's CSRF token is not your session's (the page is older than \
                your session, or another site posted it). Nothing was changed.</p>\
                <p><a href=/>Back to the page</a></p></html>";
    Some((StatusCode::FORBIDDEN, Html(page)).into_response())
}

/// Back to the page, with a flash message for it.
fn back<T>(session: &Session<T>, message: String) -> Response {
    if let Err(e) = session.flash(message) {
        eprintln!("demo: flash message not saved: {e}");
    }
    Redirect::to("/").into_response()
}

/// The answer to a form's change: `done` on success.
fn outcome<T: DemoState>(
    result: Result<(), Error>,
    done: String,
    app: &App,
    session: &Session<T>,
    headers: &HeaderMap,
) -> Response {
    match result {
        Ok(()) => back(session, done),
        Err(e @ Error::TooLarge { .. }) => {
            back(session, format!("{WARN}{}", not_saved_message(&e)))
        }
        Err(e) => page_response(
            status_of(&e),
            app,
            session,
            headers,
            None,
            Notes::warn(not_saved_message(&e)),
        ),
    }
}

pub async fn sign_in_form<T: DemoState>(
    State(app): Shared,
    headers: HeaderMap,
    session: Session<T>,
    Form(form): Form<SignInForm>,
) -> Response {
    if let Some(refused) = guard(&app, &session, &headers, &form.csrf_token) {
        return refused;
    }
    let Some(name) = valid_name(&form.name) else {
        return back(&session, format!("{WARN}a name is 1 to 64 characters"));
    };
    let remember = parse_remember(form.remember.as_deref()).unwrap_or(false);
    let done = format!(
        "signed in as {name} under a fresh session id ({})",
        if remember {
            "remembered"
        } else {
            "for this browser session"
        }
    );
    let result = sign_in(&session, &app.node, name, remember);
    outcome(result, done, &app, &session, &headers)
}

pub async fn sign_out_form<T: DemoState>(
    State(app): Shared,
    headers: HeaderMap,
    session: Session<T>,
    Form(form): Form<TokenForm>,
) -> Response {
    // Cookies this node cannot read are deleted without a token (none can be checked here):
    // signing out is the user's explicit request, and a forged one only signs out a session
    // this node cannot serve anyway.
    if unreadable_here(&session).is_none()
        && let Some(refused) = guard(&app, &session, &headers, &form.csrf_token)
    {
        return refused;
    }
    session.clear();
    back(
        &session,
        "signed out: every session cookie was deleted".to_owned(),
    )
}

pub async fn everywhere_form<T: DemoState>(
    State(app): Shared,
    headers: HeaderMap,
    Extension(everywhere): Everywhere<T>,
    session: Session<T>,
    Form(form): Form<TokenForm>,
) -> Response {
    if let Some(refused) = guard(&app, &session, &headers, &form.csrf_token) {
        return refused;
    }
    match sign_out_everywhere(&session, &everywhere) {
        Ok(name) => back(
            &session,
            format!(
                "signed out everywhere: node {} refuses every session of {name} issued until \
                 now (this node's own list; other nodes keep theirs)",
                app.node
            ),
        ),
        Err(None) => back(
            &session,
            format!("{WARN}not signed in: nothing to sign out"),
        ),
        Err(Some(e)) => page_response(
            status_of(&e),
            &app,
            &session,
            &headers,
            None,
            Notes::warn(format!("not signed out everywhere: {e}")),
        ),
    }
}

pub async fn add_form<T: DemoState>(
    State(app): Shared,
    headers: HeaderMap,
    Query(q): Query<AddQuery>,
    session: Session<T>,
    Form(form): Form<TokenForm>,
) -> Response {
    if let Some(refused) = guard(&app, &session, &headers, &form.csrf_token) {
        return refused;
    }
    let n = q.n.unwrap_or(1).clamp(1, 10_000);
    let result = add_items(&session, &app.node, n);
    let done = match n {
        1 => "added an item to the cart".to_owned(),
        n => format!("added {n} items to the cart"),
    };
    outcome(result, done, &app, &session, &headers)
}

pub async fn clear_form<T: DemoState>(
    State(app): Shared,
    headers: HeaderMap,
    session: Session<T>,
    Form(form): Form<TokenForm>,
) -> Response {
    if let Some(refused) = guard(&app, &session, &headers, &form.csrf_token) {
        return refused;
    }
    let result = change(&session, &app.node, |s| s.cart_mut().clear());
    outcome(
        result,
        "the cart is empty".to_owned(),
        &app,
        &session,
        &headers,
    )
}
