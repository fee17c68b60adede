//! The JSON API (see the module documentation in `main.rs`).

use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::{Extension, Json};
use serde::Deserialize;
use serde_json::{Value, json};

use sealed_session::Error;
use sealed_session::axum::Session;

use crate::changes::{
    RETRY_AFTER_SECS, add_items, change, parse_remember, sign_in, sign_out_everywhere, status_of,
    unreadable_here, valid_name,
};
use crate::report::{due, json_of, report};
use crate::session_type::DemoState;
use crate::{App, Everywhere, Shared};

#[derive(Deserialize)]
pub struct AddQuery {
    pub n: Option<usize>,
}

#[derive(Deserialize)]
pub struct NameQuery {
    name: Option<String>,
    remember: Option<String>,
}

/// 200 with the report; 503 (and `Retry-After`) when the request's session cookies are left
/// alone for another node, which is all this node can do with them.
fn api_reply<T: DemoState>(
    session: &Session<T>,
    headers: &HeaderMap,
    app: &App,
    due: Option<String>,
) -> Response {
    let r = report(session, headers, app, due);
    if r.unreadable_here() {
        let cause = r
            .open_error
            .as_ref()
            .map(Error::to_string)
            .unwrap_or_default();
        let message = format!(
            "this node cannot read the request's session ({cause}); it is left alone: try again \
             (another node may read it)"
        );
        return with_error(json_of(&r, app), StatusCode::SERVICE_UNAVAILABLE, message);
    }
    Json(json_of(&r, app)).into_response()
}

/// The answer to a change that failed: the report (the session unchanged) plus `error`, and
/// `needed` and `budget` for [`Error::TooLarge`]; 503 with `Retry-After` for
/// [`Error::OverwriteRefused`], 413 for `TooLarge`, 500 otherwise.
fn api_error<T: DemoState>(
    session: &Session<T>,
    headers: &HeaderMap,
    app: &App,
    due: Option<String>,
    e: &Error,
) -> Response {
    let mut body = json_of(&report(session, headers, app, due), app);
    if let Error::TooLarge { needed, budget } = e {
        body["needed"] = json!(needed);
        body["budget"] = json!(budget);
    }
    with_error(body, status_of(e), e.to_string())
}

fn with_error(mut body: Value, status: StatusCode, message: String) -> Response {
    body["error"] = json!(message);
    if status == StatusCode::SERVICE_UNAVAILABLE {
        let retry = [(header::RETRY_AFTER, RETRY_AFTER_SECS)];
        return (status, retry, Json(body)).into_response();
    }
    (status, Json(body)).into_response()
}

fn bad_request(message: &str) -> Response {
    (StatusCode::BAD_REQUEST, Json(json!({"error": message}))).into_response()
}

pub async fn api_session<T: DemoState>(
    State(app): Shared,
    headers: HeaderMap,
    session: Session<T>,
) -> Response {
    let due = due(&session);
    api_reply(&session, &headers, &app, due)
}

/// Runs a change and answers with the report, or with the error.
fn changed<T: DemoState>(
    session: &Session<T>,
    headers: &HeaderMap,
    app: &App,
    due: Option<String>,
    result: Result<(), Error>,
) -> Response {
    match result {
        Ok(()) => api_reply(session, headers, app, due),
        Err(e) => api_error(session, headers, app, due, &e),
    }
}

pub async fn api_incr<T: DemoState>(
    State(app): Shared,
    headers: HeaderMap,
    session: Session<T>,
) -> Response {
    let due = due(&session);
    let result = change(&session, &app.node, |s| *s.visits_mut() += 1);
    changed(&session, &headers, &app, due, result)
}

pub async fn api_add<T: DemoState>(
    State(app): Shared,
    headers: HeaderMap,
    Query(q): Query<AddQuery>,
    session: Session<T>,
) -> Response {
    let due = due(&session);
    let n = q.n.unwrap_or(1);
    if !(1..=10_000).contains(&n) {
        return bad_request("n must be between 1 and 10000");
    }
    let result = add_items(&session, &app.node, n);
    changed(&session, &headers, &app, due, result)
}

pub async fn api_clear<T: DemoState>(
    State(app): Shared,
    headers: HeaderMap,
    session: Session<T>,
) -> Response {
    let due = due(&session);
    let result = change(&session, &app.node, |s| s.cart_mut().clear());
    changed(&session, &headers, &app, due, result)
}

pub async fn api_sign_in<T: DemoState>(
    State(app): Shared,
    headers: HeaderMap,
    Query(q): Query<NameQuery>,
    session: Session<T>,
) -> Response {
    let Some(name) = q.name.as_deref().and_then(valid_name) else {
        return bad_request("name must be 1 to 64 characters");
    };
    let remember = match parse_remember(q.remember.as_deref()) {
        Ok(remember) => remember,
        Err(message) => return bad_request(message),
    };
    let result = sign_in(&session, &app.node, name, remember);
    changed(&session, &headers, &app, None, result)
}

/// Signs out: deletes every cookie of the session, even ones this node cannot read (an
/// explicit request).
pub async fn api_sign_out<T: DemoState>(
    State(app): Shared,
    headers: HeaderMap,
    session: Session<T>,
) -> Response {
    session.clear();
    api_reply(&session, &headers, &app, None)
}

/// Sign out everywhere: refuses, on this node, every session of the signed-in name issued until
/// now (the module documentation in `main.rs`), and deletes this one's cookies. 400 when not
/// signed in; 503 when the request's session is left alone for a node that can read it.
pub async fn api_sign_out_everywhere<T: DemoState>(
    State(app): Shared,
    headers: HeaderMap,
    Extension(everywhere): Everywhere<T>,
    session: Session<T>,
) -> Response {
    match sign_out_everywhere(&session, &everywhere) {
        Ok(_) => api_reply(&session, &headers, &app, None),
        Err(None) if unreadable_here(&session).is_some() => {
            api_reply(&session, &headers, &app, None)
        }
        Err(None) => bad_request("not signed in: there is no name to sign out everywhere"),
        Err(Some(e)) => api_error(&session, &headers, &app, None, &e),
    }
}
