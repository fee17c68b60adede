//! The keyring's one-line text form, for an environment variable or a secrets manager:
//!
//! ```text
//! ssk1,<id>.<secret>[.nb<unix>][.na<unix>],<id>.<secret>...
//! ```
//!
//! `<id>` is 8 lowercase hex digits, `<secret>` the 32-byte key in base64url without padding
//! (43 characters), `nb`/`na` the optional `not_before`/`not_after` in decimal Unix seconds.
//! Every character is in `[0-9A-Za-z_.,-]`, so the line needs no quoting in a shell, a `.env`
//! file, YAML or JSON. FORMAT.md gives the grammar; this parser accepts exactly that grammar.

use core::fmt::Write as _;

use zeroize::Zeroizing;

use super::key::Secret;
use super::{KEY_LEN, Key, KeyId, MAX_KEYS};
use crate::base64url;
use crate::error::Error;
use crate::time::MAX_UNIX;

const HEADER: &str = "ssk1";
const SECRET_CHARS: usize = 43;

/// The longest keyring text there is, in bytes: the header and [`MAX_KEYS`] entries, each
/// with both dates at their longest (12 digits), 1332 bytes. [`Keyring::from_text`] refuses
/// anything longer (after trimming surrounding whitespace), and [`Keyring::to_text`] returns a
/// buffer of exactly this capacity, so an input read with this bound (plus room for the
/// surrounding whitespace to be forgiven) is never cut short.
///
/// [`Keyring::from_text`]: crate::Keyring::from_text
/// [`Keyring::to_text`]: crate::Keyring::to_text
///
/// # Example
///
/// ```
/// use std::time::{Duration, UNIX_EPOCH};
/// use sealed_session::{Key, KeyId, Keyring, MAX_KEYRING_TEXT_LEN, MAX_KEYS};
///
/// let keys = (0..MAX_KEYS as u32).map(|i| {
///     Key::new(KeyId::new(i), [7; 32])
///         .with_not_before(UNIX_EPOCH + Duration::from_secs(100_000_000_000 + u64::from(i)))
///         .with_not_after(UNIX_EPOCH + Duration::from_secs(200_000_000_000))
/// });
/// let text = Keyring::new(keys)?.to_text();
/// assert_eq!(text.len(), MAX_KEYRING_TEXT_LEN);
/// assert_eq!(MAX_KEYRING_TEXT_LEN, 1332);
/// # Ok::<(), sealed_session::Error>(())
/// ```
pub const MAX_KEYRING_TEXT_LEN: usize =
    HEADER.len() + MAX_KEYS * (1 + 8 + 1 + SECRET_CHARS + 2 * 15);
const MAX_TEXT_LEN: usize = MAX_KEYRING_TEXT_LEN;

fn err(entry: usize, reason: &'static str) -> Error {
    Error::InvalidKeyring { entry, reason }
}

pub(super) fn parse_key_id(s: &str) -> Option<u32> {
    let lower_hex = |b: &u8| b.is_ascii_digit() || (b'a'..=b'f').contains(b);
    if s.len() != 8 || !s.bytes().all(|b| lower_hex(&b)) {
        return None;
    }
    u32::from_str_radix(s, 16).ok()
}

/// Canonical decimal (no sign, no leading zero) up to `MAX_UNIX`.
fn parse_unix(s: &str) -> Option<u64> {
    if s.is_empty() || s.len() > 12 || !s.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    if s.len() > 1 && s.starts_with('0') {
        return None;
    }
    s.parse::<u64>().ok().filter(|&t| t <= MAX_UNIX)
}

pub(super) fn parse(text: &str) -> Result<Vec<Key>, Error> {
    // Environment variables and files often end in a newline; nothing else is forgiven.
    let text = text.trim_matches(|c| c == '\n' || c == '\r' || c == ' ' || c == '\t');
    if text.len() > MAX_TEXT_LEN {
        return Err(err(0, "text is longer than 16 keys can be"));
    }
    let mut parts = text.split(',');
    if parts.next() != Some(HEADER) {
        return Err(err(0, "text does not start with \"ssk1,\""));
    }
    // Sized once (keys hold their secrets boxed, so growing would move only pointers anyway).
    let mut keys = Vec::with_capacity(parts.clone().count().min(MAX_KEYS));
    for (i, entry) in parts.enumerate() {
        let n = i + 1;
        if n > MAX_KEYS {
            return Err(err(n, "a keyring holds at most 16 keys"));
        }
        keys.push(parse_entry(entry, n)?);
    }
    if keys.is_empty() {
        return Err(err(0, "a keyring needs at least one key"));
    }
    Ok(keys)
}

fn parse_entry(entry: &str, n: usize) -> Result<Key, Error> {
    let mut fields = entry.split('.');
    let id = fields
        .next()
        .and_then(parse_key_id)
        .ok_or(err(n, "key id is not 8 lowercase hex digits"))?;
    let secret_text = fields.next().unwrap_or("");
    if secret_text.len() != SECRET_CHARS {
        return Err(err(n, "secret is not 43 base64url characters"));
    }
    // Decoded into a wiped buffer of the decoded length (43 characters are 32 bytes: no
    // growth), then copied into the key's own block; no copy on the stack.
    let mut bytes = Zeroizing::new(Vec::with_capacity(KEY_LEN));
    base64url::decode_to(secret_text, &mut bytes)
        .map_err(|_| err(n, "secret is not canonical base64url"))?;
    let mut secret = Secret::zeroed();
    secret.bytes_mut().copy_from_slice(&bytes);
    let mut key = Key::with_secret(KeyId(id), secret);

    for field in fields {
        let (name, value) = field.split_at_checked(2).unwrap_or((field, ""));
        let t = parse_unix(value).ok_or(err(n, "a date is not canonical decimal Unix seconds"))?;
        match name {
            "nb" if key.not_before.is_none() && key.not_after.is_none() => key.not_before = Some(t),
            "na" if key.not_after.is_none() => key.not_after = Some(t),
            "nb" | "na" => return Err(err(n, "dates must appear once each, nb before na")),
            _ => return Err(err(n, "unknown field (expected nb or na)")),
        }
    }
    Ok(key)
}

pub(super) fn render<'a>(keys: impl Iterator<Item = &'a Key>) -> Zeroizing<String> {
    let mut out = Zeroizing::new(String::with_capacity(MAX_TEXT_LEN));
    out.push_str(HEADER);
    // At most MAX_TEXT_LEN bytes (a keyring holds at most MAX_KEYS keys, dates at most 12
    // digits), so the buffer never grows and never leaves a copy behind.
    for key in keys {
        let _ = write!(out, ",{}.", key.id);
        base64url::encode_to(&key.secret.bytes()[..], &mut out);
        if let Some(nb) = key.not_before {
            let _ = write!(out, ".nb{nb}");
        }
        if let Some(na) = key.not_after {
            let _ = write!(out, ".na{na}");
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    const SECRET: &str = "AQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQE";

    #[test]
    fn parses_dates_and_renders_back() {
        let text = format!("ssk1,0000000a.{SECRET}.nb1800000000.na1900000000,0000000b.{SECRET}");
        let keys = parse(&text).unwrap();
        assert_eq!(keys[0].not_before, Some(1_800_000_000));
        assert_eq!(keys[0].not_after, Some(1_900_000_000));
        assert_eq!(keys[1].not_before, None);
        assert_eq!(&*render(keys.iter()), &text);
    }

    #[test]
    fn forgives_only_surrounding_newlines_and_spaces() {
        assert!(parse(&format!("ssk1,0000000a.{SECRET}\n")).is_ok());
        assert!(parse(&format!("ssk1, 0000000a.{SECRET}")).is_err());
    }

    #[test]
    fn rejects_each_rule_with_its_entry_number() {
        let cases: &[(&str, usize)] = &[
            ("", 0),
            ("ssk2,0000000a.x", 0),
            ("ssk1", 0),
            (
                "ssk1,0000000A.AQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQE",
                1,
            ),
            (
                "ssk1,000000a.AQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQE",
                1,
            ),
            (
                "ssk1,0000000a.AQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQ",
                1,
            ),
            (
                "ssk1,0000000a.AQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQF",
                1,
            ),
            (
                "ssk1,0000000a.AQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQE.nb01",
                1,
            ),
            (
                "ssk1,0000000a.AQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQE.nb",
                1,
            ),
            (
                "ssk1,0000000a.AQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQE.nb1.nb2",
                1,
            ),
            (
                "ssk1,0000000a.AQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQE.na2.nb1",
                1,
            ),
            (
                "ssk1,0000000a.AQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQE.xx1",
                1,
            ),
            (
                "ssk1,0000000a.AQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQE.nb253402300800",
                1,
            ),
            (
                "ssk1,0000000a.AQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQE,",
                2,
            ),
        ];
        for (text, entry) in cases {
            match parse(text) {
                Err(Error::InvalidKeyring { entry: e, .. }) => assert_eq!(e, *entry, "{text}"),
                other => panic!("{text}: {other:?}"),
            }
        }
    }

    #[test]
    fn errors_never_echo_the_secret() {
        let text = format!("ssk1,0000000a.{SECRET}.bogus");
        let e = parse(&text).unwrap_err();
        assert!(!e.to_string().contains(SECRET));
        assert!(!format!("{e:?}").contains(SECRET));
    }

    #[test]
    fn rejects_more_than_max_keys_and_overlong_text() {
        let entry = format!(",0000000a.{SECRET}");
        let text = format!("ssk1{}", entry.repeat(MAX_KEYS + 1));
        assert!(matches!(parse(&text), Err(Error::InvalidKeyring { .. })));
        assert!(parse(&"x".repeat(1 << 20)).is_err());
    }
}
