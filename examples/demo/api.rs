//! The JSON API.

use axum::Json;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use serde_json::json;

use sealed_session::Error;
use sealed_session::axum::Session;

use crate::App;
use crate::Shared;
use crate::changes::{add_items, sign_in, valid_name};
use crate::report::{due, json_of, report};
use crate::session_type::DemoSession;

#[derive(Deserialize)]
pub struct AddQuery {
    pub n: Option<usize>,
}

#[derive(Deserialize)]
pub struct NameQuery {
    pub name: Option<String>,
}

fn api_reply(
    session: &Session<DemoSession>,
    headers: &HeaderMap,
    app: &App,
    due: Option<String>,
) -> Response {
    Json(json_of(&report(session, headers, app, due), app)).into_response()
}

pub async fn api_session(
    State(app): Shared,
    headers: HeaderMap,
    session: Session<DemoSession>,
) -> Response {
    let due = due(&session);
    api_reply(&session, &headers, &app, due)
}

pub async fn api_incr(
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

pub async fn api_add(
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

pub async fn api_clear(
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

pub async fn api_sign_in(
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

pub async fn api_sign_out(
    State(app): Shared,
    headers: HeaderMap,
    session: Session<DemoSession>,
) -> Response {
    session.clear();
    api_reply(&session, &headers, &app, None)
}
