//! `open`: a sealed cookie or token opened with the keyring.

use std::fmt::Write as _;
use std::time::{Duration, SystemTime};

use sealed_session::{
    Codec, DEFAULT_PURPOSE, Error, Expiry, Keyring, MAX_TOTAL_BYTES, Metadata, Mode, RequestCookies,
};

use crate::args::{Failure, Outcome, Parsed, Spec, input, usage};
use crate::input::{load_keyring, read_value};
use crate::inspect::{cookie_name, is_cookie_header, mode_name, no_such_cookie};
use crate::keyring::state_name;
use crate::output::{describe_time, now_unix, print, rfc3339, system_time, unix};

/// What `open` accepts.
pub const SPEC: Spec = Spec {
    command: "open",
    positionals: &["VALUE?"],
    options: &[
        "--keyring-file",
        "--cookie-name",
        "--purpose",
        "--mode",
        "--at",
        "--idle",
        "--absolute",
    ],
    switches: &[],
};

/// `open`: metadata and the payload in hex, or why the value does not open.
pub fn open(parsed: &Parsed) -> Outcome {
    if parsed.option("--keyring-file") == Some("-")
        && matches!(parsed.positional(0), None | Some("-"))
    {
        return Err(usage(
            "the keyring and the value cannot both come from standard input (give the keyring \
             with --keyring-file PATH or SEALED_SESSION_KEYRING)",
        ));
    }
    let mode = match parsed.option("--mode") {
        None | Some("encrypted") => Mode::Encrypted,
        Some("signed") => Mode::Signed,
        Some(_) => return Err(usage("--mode is not 'encrypted' or 'signed'")),
    };
    let defaults = Expiry::default();
    let expiry = Expiry::default()
        .idle(parsed.duration("--idle", defaults.idle_timeout())?)
        .absolute(parsed.duration("--absolute", defaults.absolute_lifetime())?);
    let now = now_unix();
    let at = system_time(parsed.time("--at", now, now)?);
    let ring = load_keyring(parsed)?;
    let value = read_value(parsed)?;
    let codec = Codec::<()>::builder(ring)
        .cookie_name(cookie_name(parsed))
        .purpose(parsed.option("--purpose").unwrap_or(DEFAULT_PURPOSE))
        .mode(mode)
        .expiry(expiry)
        .max_total_bytes(MAX_TOTAL_BYTES)
        .build()
        .map_err(|e| usage(e.to_string()))?;
    let failed = |e| open_failure(e, &codec.keyring());
    let opened = if is_cookie_header(&value) {
        codec
            .open_bytes(&RequestCookies::from_header(&value), at)
            .map_err(failed)?
            .ok_or_else(|| no_such_cookie(parsed, &value))?
    } else {
        codec.open_token_bytes(&value, at).map_err(failed)?
    };
    let mut out = describe_metadata(&opened.metadata, &codec.keyring(), at);
    let _ = writeln!(out, "payload bytes:  {}", opened.session.len());
    let _ = writeln!(out, "payload hex:    {}", hex(&opened.session));
    print(&out)
}

/// The message for a value that does not open, with a hint at the likely cause.
fn open_failure(error: Error, ring: &Keyring) -> Failure {
    let hint = match &error {
        Error::Authentication => " (a different keyring, cookie name, purpose or mode, a \
             tampered value, or a cookie value given without its 'name=': format-2 cookies do \
             not open as tokens)"
            .to_owned(),
        Error::UnknownKey { key_id } => format!(
            " (key {key_id} is not in this keyring: use one that holds it, such as the \
             keyring of the node that sealed it; 'keyring list' shows the ids)"
        ),
        Error::RetiredKey { key_id } => {
            let since = ring
                .keys()
                .find(|k| k.id() == *key_id)
                .and_then(|k| k.not_after())
                .map_or_else(String::new, |na| format!(" at {}", rfc3339(unix(na))));
            format!(
                " (key {key_id} retired{since}, past its not_after: nothing sealed under it \
                 opens again with this keyring; 'keyring list' shows it as retired)"
            )
        }
        _ => String::new(),
    };
    input(format!("cannot open: {error}{hint}"))
}

fn describe_metadata(meta: &Metadata, ring: &Keyring, at: SystemTime) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "session id:     {}", meta.session_id());
    let _ = writeln!(
        out,
        "issued at:      {}",
        describe_time(unix(meta.issued_at()))
    );
    let _ = writeln!(
        out,
        "sealed at:      {}",
        describe_time(unix(meta.sealed_at()))
    );
    let _ = writeln!(
        out,
        "expires at:     {}",
        meta.expires_at()
            .map_or_else(|| "never".to_owned(), |t| describe_time(unix(t)))
    );
    let _ = writeln!(
        out,
        "key id:         {} ({})",
        meta.key_id(),
        state_name(ring.state(meta.key_id(), at))
    );
    let lifetime = meta.lifetime();
    let limit =
        |d: Option<Duration>| d.map_or_else(|| "none".to_owned(), |d| format!("{}s", d.as_secs()));
    let _ = writeln!(
        out,
        "lifetime:       absolute {}, idle {}, {}",
        limit(lifetime.absolute_lifetime()),
        limit(lifetime.idle_timeout()),
        if lifetime.is_persistent() {
            "persistent"
        } else {
            "browser session"
        }
    );
    if meta.past_deadline() {
        let _ = writeln!(
            out,
            "past deadline:  yes (opens only within the clock-skew allowance; cannot be re-sealed)"
        );
    }
    let _ = writeln!(out, "mode:           {}", mode_name(meta.mode()));
    let _ = writeln!(out, "format version: {}", meta.format_version());
    let _ = writeln!(out, "schema version: {}", meta.schema_version());
    let _ = writeln!(
        out,
        "re-seal due:    {}",
        meta.reseal_reason()
            .map_or_else(|| "no".to_owned(), |r| format!("yes: {r}"))
    );
    out
}

fn hex(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        let _ = write!(out, "{b:02x}");
    }
    out
}
