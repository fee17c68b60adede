//! Changes shared by the HTML forms and the JSON API, and what a failed change answers.

use std::time::{Duration, SystemTime};

use axum::http::StatusCode;
use sealed_session::axum::Session;
use sealed_session::{Error, Lifetime, ValidAfter};

use crate::session_type::{DemoState, item};

/// Changes the session and records this node as its last writer.
pub fn change<T: DemoState>(
    session: &Session<T>,
    node: &str,
    f: impl FnOnce(&mut T),
) -> Result<(), Error> {
    session.update(|s| {
        f(s);
        s.set_last_writer(node);
    })
}

pub fn add_items<T: DemoState>(session: &Session<T>, node: &str, n: usize) -> Result<(), Error> {
    change(session, node, |s| {
        let cart = s.cart_mut();
        let start = cart.len();
        cart.extend((start..start + n).map(item));
    })
}

pub fn valid_name(name: &str) -> Option<String> {
    let name = name.trim();
    let ok = (1..=64).contains(&name.chars().count()) && !name.chars().any(char::is_control);
    ok.then(|| name.to_owned())
}

/// `remember`: absent, empty, `0`, `false` or `off` is no; `1`, `true`, `on` or `yes` is yes.
pub fn parse_remember(value: Option<&str>) -> Result<bool, &'static str> {
    match value.map(str::trim) {
        None | Some("" | "0" | "false" | "off" | "no") => Ok(false),
        Some("1" | "true" | "on" | "yes") => Ok(true),
        Some(_) => Err("remember must be 1 or 0"),
    }
}

/// The lifetime of a signed-in session. Remember me: a persistent cookie (`Max-Age`), which
/// survives a browser restart; otherwise a browser-session cookie (no `Max-Age`). Both get the
/// codec's limits (the default `Expiry`: 24 h absolute, 2 h idle), which the server enforces
/// either way.
pub fn lifetime(remember: bool) -> Lifetime {
    if remember {
        Lifetime::persistent()
    } else {
        Lifetime::browser_session()
    }
}

/// Signs in under a fresh session id, in one step (`Session::sign_in`), keeping visits and
/// cart. Atomic: on an error the request's session stays exactly as it was.
pub fn sign_in<T: DemoState>(
    session: &Session<T>,
    node: &str,
    name: String,
    remember: bool,
) -> Result<(), Error> {
    let mut value = session.get().unwrap_or_default();
    value.set_name(Some(name));
    value.set_last_writer(node);
    session.sign_in(value, &lifetime(remember))
}

/// Sign out everywhere: refuses, on this node, every session of the signed-in name issued
/// until now, then signs this one out. `Ok(name)`; `Err(None)` when not signed in.
///
/// `ValidAfter` refuses sessions issued before its cutoff, in whole seconds: the cutoff is the
/// next second, so a session issued earlier in this second (this one, or another browser's
/// sign-in a moment ago) is refused too, and so is a sign-in within the rest of this second.
pub fn sign_out_everywhere<T: DemoState>(
    session: &Session<T>,
    everywhere: &ValidAfter<T>,
) -> Result<String, Option<Error>> {
    let name = session.with(|s| s.and_then(|s| s.name().map(str::to_owned)));
    let Some(name) = name else {
        return Err(None);
    };
    let cutoff = SystemTime::now() + Duration::from_secs(1);
    everywhere.revoke_all(&name, cutoff).map_err(Some)?;
    session.clear();
    Ok(name)
}

/// The error of session cookies this node cannot read but another may (left alone): a
/// request that needs the session answers 503 then.
pub fn unreadable_here<T>(session: &Session<T>) -> Option<Error> {
    session.open_error().filter(|e| !e.cookies_are_dead())
}

/// The status a failed change answers: 503 (with `Retry-After`) when the write was refused
/// over cookies another node may read, so the load balancer or the client tries again
/// elsewhere; 413 when the session would not fit the cookie budget; 500 for anything else.
pub fn status_of(e: &Error) -> StatusCode {
    match e {
        Error::OverwriteRefused { .. } => StatusCode::SERVICE_UNAVAILABLE,
        Error::TooLarge { .. } => StatusCode::PAYLOAD_TOO_LARGE,
        _ => StatusCode::INTERNAL_SERVER_ERROR,
    }
}

/// `Retry-After` on a 503: try again in a second (on another node, behind a load balancer).
pub const RETRY_AFTER_SECS: &str = "1";

pub fn not_saved_message(e: &Error) -> String {
    match e {
        Error::TooLarge { needed, budget } => format!(
            "the session would need {needed} bytes of cookies, over the budget of {budget}: not saved"
        ),
        Error::OverwriteRefused { cause } => format!(
            "not saved: this node cannot read the session your cookies hold ({cause}), and \
             will not overwrite it; try again (another node may read it)"
        ),
        other => format!("not saved: {other}"),
    }
}
