//! `inspect`: what a sealed cookie or token shows without keys; and what `inspect` and `open`
//! share about values.

use sealed_session::{DEFAULT_COOKIE_NAME, Inspection, Mode, RequestCookies};

use crate::args::{Failure, Outcome, Parsed, Spec, input};
use crate::input::read_value;
use crate::output::print;

/// What `inspect` accepts.
pub const SPEC: Spec = Spec {
    command: "inspect",
    positionals: &["VALUE?"],
    options: &["--cookie-name"],
    switches: &[],
};

/// The session cookie's name: `--cookie-name`, or the default.
pub fn cookie_name(parsed: &Parsed) -> &str {
    parsed
        .option("--cookie-name")
        .unwrap_or(DEFAULT_COOKIE_NAME)
}

/// Whether `value` is a Cookie header rather than a token.
pub fn is_cookie_header(value: &str) -> bool {
    // Tokens are base64url: they never hold '='.
    value.contains('=')
}

/// Whether a cookie name found in the value may appear in a message: short and plain, which
/// a keyring text or a 43-character secret is not.
fn shown_name(name: &str) -> bool {
    (1..=40).contains(&name.len())
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"-_.".contains(&b))
}

/// The error for a Cookie header without the session cookie. The `--cookie-name` value is
/// not repeated (it was typed, and may be something pasted in the wrong place); the names in
/// the header are, when they are plain and short.
pub fn no_such_cookie(parsed: &Parsed, header: &str) -> Failure {
    let wanted = if parsed.option("--cookie-name").is_some() {
        "no cookie with the --cookie-name name".to_owned()
    } else {
        format!("no cookie named {DEFAULT_COOKIE_NAME}")
    };
    let cookies = RequestCookies::from_header(header);
    let (shown, hidden): (Vec<&str>, Vec<&str>) =
        cookies.iter().map(|(n, _)| n).partition(|n| shown_name(n));
    let mut present = if shown.is_empty() {
        "none".to_owned()
    } else {
        shown.join(", ")
    };
    if !hidden.is_empty() {
        present.push_str(&format!(", and {} not shown", hidden.len()));
    }
    input(format!(
        "{wanted} (cookies present: {present}); use --cookie-name"
    ))
}

/// A mode as `inspect` and `open` print it.
pub fn mode_name(mode: Mode) -> &'static str {
    match mode {
        Mode::Encrypted => "encrypted (XAES-256-GCM)",
        Mode::Signed => "signed (HMAC-SHA256)",
        _ => "other",
    }
}

/// `inspect`: format version, mode, key id, chunks and sizes, without keys.
pub fn inspect(parsed: &Parsed) -> Outcome {
    let value = read_value(parsed)?;
    let facts = if is_cookie_header(&value) {
        Inspection::of_cookies(&RequestCookies::from_header(&value), cookie_name(parsed))
            .map_err(|e| input(format!("not a sealed session: {e}")))?
            .ok_or_else(|| no_such_cookie(parsed, &value))?
    } else {
        Inspection::of_token(&value).map_err(|e| input(format!("not a sealed session: {e}")))?
    };
    print(&format!(
        "format version: {}\nmode:           {}\nkey id:         {}\nchunks:         {}\nenvelope bytes: {}\ncookie bytes:   {}\n(nothing here is authenticated: use 'open' with the keyring to check it)\n",
        facts.format_version(),
        mode_name(facts.mode()),
        facts.key_id(),
        facts.chunk_count(),
        facts.envelope_len(),
        facts.cookie_bytes(),
    ))
}
