//! What a response did, for the page and the JSON API.

use axum::http::HeaderMap;
use serde_json::{Value, json};

use sealed_session::axum::Session;
use sealed_session::{Inspection, SealedCookies, http::request_cookies};

use crate::App;
use crate::session_type::DemoSession;

/// Facts about the session once this response is applied.
pub struct Report {
    pub visits: u64,
    pub name: Option<String>,
    pub cart_len: usize,
    pub session_id: Option<String>,
    pub key_id: Option<String>,
    pub chunks: usize,
    pub resealed: bool,
    pub reseal_reason: Option<String>,
    pub lines: Vec<String>,
    pub deleted: usize,
    pub open_error: Option<String>,
}

/// Builds the report. Call after the handler's changes: it performs a due re-seal, exactly as
/// the layer would after the handler.
pub fn report(
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
pub fn due(session: &Session<DemoSession>) -> Option<String> {
    session
        .metadata()
        .and_then(|m| m.reseal_reason())
        .map(|r| r.to_string())
}

pub fn json_of(report: &Report, app: &App) -> Value {
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
