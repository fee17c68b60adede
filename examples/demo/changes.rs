//! Changes shared by the HTML forms and the JSON API.

use sealed_session::Error;
use sealed_session::axum::Session;

use crate::session_type::{DemoSession, item};

pub fn add_items(session: &Session<DemoSession>, n: usize) -> Result<(), Error> {
    session.update(|s| {
        let start = s.cart.len();
        s.cart.extend((start..start + n).map(item));
    })
}

pub fn valid_name(name: &str) -> Option<String> {
    let name = name.trim();
    let ok = (1..=64).contains(&name.chars().count()) && !name.chars().any(char::is_control);
    ok.then(|| name.to_owned())
}

/// Signs in under a fresh session id (clear, then set), keeping visits and cart.
pub fn sign_in(session: &Session<DemoSession>, name: String) -> Result<(), Error> {
    let mut value = session.get().unwrap_or_default();
    value.name = Some(name);
    session.clear();
    session.set(value)
}

pub fn too_large_message(e: &Error) -> String {
    match e {
        Error::TooLarge { needed, budget } => format!(
            "the session would need {needed} bytes of cookies, over the budget of {budget}: not saved"
        ),
        other => format!("not saved: {other}"),
    }
}
