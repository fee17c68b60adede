//! Bounded input: the keyring (file, standard input or environment) and the cookie or token
//! value (argument or standard input).
//!
//! Every read stops one byte past its bound, so `--keyring-file /dev/zero` or an endless pipe
//! fails at once with a message instead of filling memory. Keyring bytes are wiped when
//! dropped. Messages name the source (`--keyring-file`, `SEALED_SESSION_KEYRING`), never a path
//! or any of the text, which may be a secret given in the wrong place.

use std::io::{self, IsTerminal, Read};

use zeroize::Zeroizing;

use sealed_session::{Keyring, MAX_KEYRING_TEXT_LEN, MAX_TOTAL_BYTES};

use crate::args::{Failure, Parsed, input, usage};

/// The environment variable that holds the keyring text.
pub const KEYRING_ENV: &str = "SEALED_SESSION_KEYRING";

/// Most bytes of keyring input read: the longest keyring text ([`MAX_KEYRING_TEXT_LEN`], 1332
/// bytes) and ample room for the surrounding whitespace the parser forgives, in 4 KiB.
pub const MAX_KEYRING_INPUT: usize = 4096;
const _: () = assert!(
    MAX_KEYRING_INPUT >= MAX_KEYRING_TEXT_LEN + 2,
    "room for a CRLF"
);

/// Most bytes of a cookie header or token read: the largest sealed value
/// ([`MAX_TOTAL_BYTES`], 64 KiB) plus 6 KiB of other cookies and header text.
pub const MAX_VALUE_INPUT: usize = MAX_TOTAL_BYTES + 6 * 1024;

/// Reads at most `limit` bytes from `reader`; more than that is an error naming `what`.
fn read_bounded(
    reader: impl Read,
    limit: usize,
    what: &str,
    hint: &str,
) -> Result<Zeroizing<Vec<u8>>, Failure> {
    // Room for one byte more than allowed, so the buffer never moves (no stray copies).
    let mut bytes = Zeroizing::new(Vec::with_capacity(limit + 1));
    reader
        .take(limit as u64 + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| input(format!("cannot read {what}: {e}")))?;
    if bytes.len() > limit {
        return Err(input(format!(
            "{what} holds more than {limit} bytes, the most this reads{hint}"
        )));
    }
    Ok(bytes)
}

/// The hint in the message of a keyring input over the bound.
fn keyring_hint() -> String {
    format!(
        " (a keyring text is at most {MAX_KEYRING_TEXT_LEN} characters: is it the right input?)"
    )
}

/// The keyring from `--keyring-file` (`-`: standard input) or the environment.
pub fn load_keyring(parsed: &Parsed) -> Result<Keyring, Failure> {
    let (bytes, source) = match parsed.option("--keyring-file") {
        Some("-") => {
            let what = "the keyring on standard input";
            (
                read_bounded(io::stdin().lock(), MAX_KEYRING_INPUT, what, &keyring_hint())?,
                what,
            )
        }
        Some(path) => {
            let what = "--keyring-file";
            let file =
                std::fs::File::open(path).map_err(|e| input(format!("cannot read {what}: {e}")))?;
            (
                read_bounded(file, MAX_KEYRING_INPUT, what, &keyring_hint())?,
                what,
            )
        }
        None => match std::env::var_os(KEYRING_ENV) {
            Some(text) => {
                let bytes = Zeroizing::new(text.into_encoded_bytes());
                if bytes.len() > MAX_KEYRING_INPUT {
                    return Err(input(format!(
                        "{KEYRING_ENV} holds more than {MAX_KEYRING_INPUT} bytes, the most \
                         this reads{}",
                        keyring_hint()
                    )));
                }
                (bytes, KEYRING_ENV)
            }
            None => {
                return Err(usage(format!(
                    "no keyring: give --keyring-file PATH or set {KEYRING_ENV}"
                )));
            }
        },
    };
    let text =
        std::str::from_utf8(&bytes).map_err(|_| input(format!("{source} is not UTF-8 text")))?;
    // The library's errors name the entry and the rule, never the text.
    Keyring::from_text(text).map_err(|e| input(format!("{source}: {e}")))
}

/// The value: a Cookie header (a leading `Cookie:` dropped) or a token, from the argument or,
/// when it is absent or `-`, from standard input.
pub fn read_value(parsed: &Parsed) -> Result<Zeroizing<String>, Failure> {
    let text = match parsed.positional(0) {
        None | Some("-") => {
            let what = "the value on standard input";
            let stdin = io::stdin();
            if stdin.is_terminal() {
                eprintln!(
                    "sealed-session: reading the Cookie header or token from standard input \
                     (paste it, then Ctrl-D)"
                );
            }
            let bytes = read_bounded(stdin.lock(), MAX_VALUE_INPUT, what, "")?;
            let text = std::str::from_utf8(&bytes)
                .map_err(|_| input(format!("{what} is not UTF-8 text")))?;
            Zeroizing::new(text.to_owned())
        }
        Some(text) => {
            if text.len() > MAX_VALUE_INPUT {
                return Err(input(format!(
                    "VALUE holds more than {MAX_VALUE_INPUT} bytes, the most this reads"
                )));
            }
            Zeroizing::new(text.to_owned())
        }
    };
    let trimmed = text.trim();
    let trimmed = match trimmed.get(..7) {
        Some(prefix) if prefix.eq_ignore_ascii_case("cookie:") => trimmed[7..].trim(),
        _ => trimmed,
    };
    if trimmed.is_empty() {
        return Err(input("no value given (a Cookie header or a token)"));
    }
    Ok(Zeroizing::new(trimmed.to_owned()))
}
