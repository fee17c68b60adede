//! What a response did, for the page and the JSON API.

use axum::http::HeaderMap;
use serde_json::{Value, json};

use sealed_session::axum::Session;
use sealed_session::{Error, Inspection, SealedCookies, http::request_cookies};

use crate::App;
use crate::session_type::{DemoState, SCHEMA_V1};

/// Facts about the session once this response is applied.
pub struct Report {
    pub visits: u64,
    pub name: Option<String>,
    pub cart_len: usize,
    pub last_writer: Option<String>,
    pub session_id: Option<String>,
    pub key_id: Option<String>,
    pub schema: Option<u32>,
    pub persistent: Option<bool>,
    pub chunks: usize,
    pub resealed: bool,
    pub reseal_reason: Option<String>,
    pub lines: Vec<String>,
    pub deleted: usize,
    pub open_error: Option<Error>,
}

impl Report {
    /// The request's session cookies did not open on this node, and were left alone because
    /// another node may read them (the response sends nothing): this node cannot serve the
    /// request, so it answers 503.
    pub fn unreadable_here(&self) -> bool {
        self.lines.is_empty()
            && self
                .open_error
                .as_ref()
                .is_some_and(|e| !e.cookies_are_dead())
    }
}

/// Builds the report. Call after the handler's changes: it performs a due re-seal, exactly as
/// the layer would after the handler.
pub fn report<T: DemoState>(
    session: &Session<T>,
    request: &HeaderMap,
    app: &App,
    due: Option<String>,
) -> Report {
    let sealed: Option<SealedCookies> = session.sealed();
    let lines = session.set_cookie_headers();
    let value = session.get();
    let metadata = session.metadata();
    let (chunks, key_id, deleted) = match &sealed {
        Some(s) => (
            s.chunk_count(),
            Some(s.metadata().key_id().to_string()),
            s.deleted_count(),
        ),
        None if lines.is_empty() => {
            // Nothing sent: the cookies the request carried stay as they are (unchanged, or
            // left alone for a node that can read them; their key id is then what their
            // header says, unauthenticated).
            let cookies = request_cookies(request);
            let facts = Inspection::of_cookies(&cookies, &app.cookie_name)
                .ok()
                .flatten();
            let key_id = match &metadata {
                Some(m) => Some(m.key_id().to_string()),
                None => facts.map(|f| f.key_id().to_string()),
            };
            (facts.map_or(0, |f| f.chunk_count()), key_id, 0)
        }
        None => (0, None, lines.len()),
    };
    let schema = metadata.as_ref().map(|m| m.schema_version());
    let value = value.unwrap_or_default();
    Report {
        visits: value.visits(),
        name: value.name().map(str::to_owned),
        cart_len: value.cart().len(),
        // What the cookies hold: a schema-0 value has no room for it (release b drops it
        // until the switch), whatever the value in memory says.
        last_writer: value
            .last_writer()
            .filter(|_| schema.is_some_and(|v| v >= SCHEMA_V1))
            .map(str::to_owned),
        session_id: metadata.as_ref().map(|m| m.session_id().to_string()),
        key_id,
        schema,
        persistent: metadata.as_ref().map(|m| m.lifetime().is_persistent()),
        chunks,
        resealed: sealed.is_some(),
        reseal_reason: due,
        lines,
        deleted,
        open_error: session.open_error(),
    }
}

/// Why the request's session is due for a re-seal, read before the handler changes anything.
pub fn due<T>(session: &Session<T>) -> Option<String> {
    session
        .metadata()
        .and_then(|m| m.reseal_reason())
        .map(|r| r.to_string())
}

pub fn json_of(report: &Report, app: &App) -> Value {
    json!({
        "node": app.node,
        "release": app.release.name(),
        "visits": report.visits,
        "name": report.name,
        "cart_len": report.cart_len,
        "last_writer": report.last_writer,
        "session_id": report.session_id,
        "key_id": report.key_id,
        "schema": report.schema,
        "persistent": report.persistent,
        "chunks": report.chunks,
        "resealed": report.resealed,
        "reseal_reason": report.reseal_reason,
        "set_cookie_bytes": report.lines.iter().map(String::len).collect::<Vec<_>>(),
        "deleted": report.deleted,
        "open_error": report.open_error.as_ref().map(Error::to_string),
    })
}

/// What the page says about the request's session cookies when they did not open.
pub fn open_error_note(e: &Error) -> String {
    if e.cookies_are_dead() {
        format!(
            "the request's session cookies did not open ({e}): no node ever will, so they are \
             deleted and you are served as a new visitor"
        )
    } else {
        format!(
            "the request's session cookies did not open on this node ({e}): another node (another \
             release, a newer keyring, a clock ahead) may read them, so they are left alone and \
             this node answers 503 to try elsewhere"
        )
    }
}
