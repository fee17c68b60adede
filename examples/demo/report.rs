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
    /// The session's `Set-Cookie` lines (chunks, then deletions).
    pub lines: Vec<String>,
    /// The flash cookie's `Set-Cookie` lines, sent after the session's.
    pub flash_lines: Vec<String>,
    pub deleted: usize,
    /// Each chunk the browser holds once this response is applied: its name and the bytes of
    /// its `name=value` pair (what comes back in the `Cookie` header).
    pub chunk_bytes: Vec<(String, usize)>,
    /// The session's share of the `Cookie` header (pairs and separators), which the total
    /// budget limits.
    pub header_bytes: usize,
    pub open_error: Option<Error>,
    /// The request carried a session the layer's revocation rule refused (signed out
    /// everywhere): it was served as none and its cookies deleted.
    pub revoked: bool,
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
    let (lines, flash_lines): (Vec<String>, Vec<String>) = session
        .set_cookie_headers()
        .into_iter()
        .partition(|line| is_session_cookie(&app.cookie_name, cookie_name(line)));
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
    let (chunk_bytes, header_bytes) = match &sealed {
        Some(s) => {
            let pairs = s
                .headers()
                .iter()
                .filter(|line| !is_deletion(line))
                .map(|line| {
                    let pair = line.split(';').next().unwrap_or_default();
                    (cookie_name(line).to_owned(), pair.len())
                })
                .collect();
            (pairs, s.cookie_header_bytes())
        }
        // Nothing sent for the session: the browser keeps the cookies it sent.
        None if lines.is_empty() => held_chunks(request, &app.cookie_name),
        None => (Vec::new(), 0),
    };
    let schema = metadata.as_ref().map(|m| m.schema_version());
    // Read in place: a cart of thousands of lines is not cloned for a few numbers.
    let (visits, name, cart_len, last_writer) = session.with(|value| match value {
        Some(v) => (
            v.visits(),
            v.name().map(str::to_owned),
            v.cart().len(),
            v.last_writer().map(str::to_owned),
        ),
        None => (0, None, 0, None),
    });
    Report {
        visits,
        name,
        cart_len,
        // What the cookies hold: a schema-0 value has no room for it (release b drops it
        // until the switch), whatever the value in memory says.
        last_writer: last_writer.filter(|_| schema.is_some_and(|v| v >= SCHEMA_V1)),
        session_id: metadata.as_ref().map(|m| m.session_id().to_string()),
        key_id,
        schema,
        persistent: metadata.as_ref().map(|m| m.lifetime().is_persistent()),
        chunks,
        resealed: sealed.is_some(),
        reseal_reason: due,
        lines,
        flash_lines,
        deleted,
        chunk_bytes,
        header_bytes,
        open_error: session.open_error(),
        revoked: session.was_revoked(),
    }
}

/// The name a `Set-Cookie` line sets.
fn cookie_name(line: &str) -> &str {
    line.split('=').next().unwrap_or_default()
}

/// Whether `name` is the session's cookie or one of its chunks (`name.1`, `name.2`, ...); the
/// flash cookie (`name-flash`) is not.
pub fn is_session_cookie(session_cookie: &str, name: &str) -> bool {
    name.strip_prefix(session_cookie)
        .is_some_and(|rest| rest.is_empty() || rest.starts_with('.'))
}

/// A `Set-Cookie` line that deletes its cookie.
pub fn is_deletion(line: &str) -> bool {
    line.split(';').any(|a| a.trim() == "Max-Age=0")
}

/// The session's chunks as the request carried them, in chunk order, and their share of the
/// `Cookie` header.
fn held_chunks(request: &HeaderMap, session_cookie: &str) -> (Vec<(String, usize)>, usize) {
    let cookies = request_cookies(request);
    let mut chunks: Vec<(usize, String, usize)> = cookies
        .iter()
        .filter(|(n, _)| is_session_cookie(session_cookie, n))
        .map(|(n, v)| {
            let index = n
                .strip_prefix(session_cookie)
                .and_then(|rest| rest.strip_prefix('.'))
                .map_or(0, |i| i.parse().unwrap_or(usize::MAX));
            (index, n.to_owned(), n.len() + 1 + v.len())
        })
        .collect();
    chunks.sort();
    let header_bytes =
        chunks.iter().map(|c| c.2).sum::<usize>() + 2 * chunks.len().saturating_sub(1);
    (
        chunks.into_iter().map(|(_, n, b)| (n, b)).collect(),
        header_bytes,
    )
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
        "set_cookie_bytes": report
            .lines
            .iter()
            .chain(&report.flash_lines)
            .map(String::len)
            .collect::<Vec<_>>(),
        "deleted": report.deleted,
        "open_error": report.open_error.as_ref().map(Error::to_string),
        "revoked": report.revoked,
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
