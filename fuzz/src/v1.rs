//! The `v1_upgrade` target: the format v1 values release 0.1.0 sealed
//! (`tests/data/v1_fixtures.json`, read at build time, never copied) under the fixtures' own
//! keys, opened by a v2 codec with an arbitrary policy at an arbitrary time, re-sealed as v2
//! and opened again; and the same values with arbitrary bytes changed.
//!
//! What it checks, beyond "never panics":
//! * a changed value either fails or opens to exactly the fixture's payload and session id
//!   (authenticity of v1 under a v2 opener);
//! * the unchanged value opens as the model of FORMAT.md 7 says with the opener's policy as its
//!   lifetime (v1 carries none), format version 1, and re-seal reason `NonPrimaryKey` or
//!   `OldFormat` (the first that applies, 3.1 step 7); a v1 value opens both as a cookie and
//!   as a token (its AAD has no usage byte);
//! * the re-seal is version 2, keeps the session id, `issued_at` and payload, carries the
//!   policy's lifetime, opens with no re-seal due, and no longer opens in the other usage.

use std::sync::{Arc, LazyLock};

use arbitrary::Arbitrary;
use sealed_session::{Codec, Error, Keyring, Metadata, Mode, RequestCookies, ResealReason};

use crate::CountingRandom;
use crate::lifetimes::LifetimeIn;
use crate::model::{MAX_UNIX, Model, Outcome, Policy, at, open_outcome, times, unix};

/// One fixture of `tests/data/v1_fixtures.json`, raw-bytes ones only.
#[derive(Debug, Clone)]
pub struct Fixture {
    /// Its description.
    pub name: String,
    /// The keyring it was sealed under.
    pub keyring: Keyring,
    /// Signed or encrypted.
    pub mode: Mode,
    /// The codec's cookie name.
    pub cookie_name: String,
    /// The codec's purpose.
    pub purpose: String,
    /// Per-cookie limit.
    pub max_cookie_bytes: usize,
    /// Total budget.
    pub max_total_bytes: usize,
    /// `issued_at`, `sealed_at` (Unix seconds).
    pub issued_at: u64,
    /// When it was sealed.
    pub sealed_at: u64,
    /// The session id, lowercase hex.
    pub session_id: String,
    /// The payload.
    pub payload: Vec<u8>,
    /// The `Cookie` header, or `None` for a token.
    pub cookie_header: Option<String>,
    /// The token, for a token fixture.
    pub token: Option<String>,
}

const FIXTURES_JSON: &str = include_str!("../../tests/data/v1_fixtures.json");

/// The fixtures, parsed once (the typed one is left out: its payload is postcard of a type
/// this crate does not define, and the raw-bytes path opens it the same way).
pub static FIXTURES: LazyLock<Vec<Fixture>> = LazyLock::new(|| {
    let doc: serde_json::Value = serde_json::from_str(FIXTURES_JSON).expect("fixtures parse");
    let s = |f: &serde_json::Value, k: &str| f[k].as_str().map(str::to_owned);
    let n = |f: &serde_json::Value, k: &str| f[k].as_u64().expect("a number");
    doc["fixtures"]
        .as_array()
        .expect("a list")
        .iter()
        .filter(|f| f.get("typed").is_none())
        .map(|f| Fixture {
            name: s(f, "name").expect("name"),
            keyring: Keyring::from_text(&s(f, "keyring").expect("keyring")).expect("parses"),
            mode: match f["mode"].as_str() {
                Some("signed") => Mode::Signed,
                _ => Mode::Encrypted,
            },
            cookie_name: s(f, "cookie_name").expect("cookie_name"),
            purpose: s(f, "purpose").expect("purpose"),
            max_cookie_bytes: n(f, "max_cookie_bytes") as usize,
            max_total_bytes: n(f, "max_total_bytes") as usize,
            issued_at: n(f, "issued_at"),
            sealed_at: n(f, "sealed_at"),
            session_id: s(f, "session_id").expect("session_id"),
            payload: hex(&s(f, "payload_hex").expect("payload_hex")),
            cookie_header: s(f, "cookie_header"),
            token: s(f, "token"),
        })
        .collect()
});

fn hex(text: &str) -> Vec<u8> {
    (0..text.len() / 2)
        .map(|i| u8::from_str_radix(&text[2 * i..2 * i + 2], 16).expect("hex"))
        .collect()
}

impl Fixture {
    /// A codec of the fixture's name, purpose, mode, keys and sizes, with `policy`.
    pub fn codec(&self, policy: &Policy) -> Result<Codec<()>, Error> {
        Codec::<()>::builder(self.keyring.clone())
            .mode(self.mode)
            .cookie_name(&self.cookie_name)
            .purpose(&self.purpose)
            .max_cookie_bytes(self.max_cookie_bytes)
            .max_total_bytes(self.max_total_bytes)
            .expiry(policy.expiry())
            .random_source(Arc::new(CountingRandom::new(13)))
            .build()
    }

    /// The sealed text: the cookie header or the token.
    pub fn text(&self) -> &str {
        self.cookie_header
            .as_deref()
            .or(self.token.as_deref())
            .unwrap_or_default()
    }
}

/// The `v1_upgrade` target's input.
#[derive(Arbitrary, Debug, Clone)]
pub struct V1Input {
    /// Which fixture (modulo their number).
    pub fixture: u8,
    /// The opener's policy.
    pub lifetime: LifetimeIn,
    /// Its skew, raw.
    pub skew: u16,
    /// Opening time relative to the fixture's `sealed_at`.
    pub open_offset: i32,
    /// Re-seal time after the opening.
    pub reseal_after: u32,
    /// Byte changes (position modulo the text's length, XOR value) made to the text.
    pub changes: Vec<(u16, u8)>,
}

fn open_text(
    codec: &Codec<()>,
    token: bool,
    text: &str,
    now: u64,
) -> Result<Option<sealed_session::Opened<Vec<u8>>>, Error> {
    if token {
        codec.open_token_bytes(text, at(now)).map(Some)
    } else {
        codec.open_bytes(&RequestCookies::from_header(text), at(now))
    }
}

/// The `v1_upgrade` oracle (see the module documentation).
pub fn v1_upgrade(input: &V1Input) {
    let f = &FIXTURES[usize::from(input.fixture) % FIXTURES.len()];
    let policy = Policy {
        lifetime: input.lifetime.model(),
        skew: u64::from(input.skew),
    };
    let codec = match f.codec(&policy) {
        Ok(c) if policy.valid() => c,
        Err(Error::InvalidConfig { .. }) if !policy.valid() => return,
        other => panic!("policy {policy:?} built {:?}", other.err()),
    };
    let is_token = f.token.is_some();
    let to = f
        .sealed_at
        .saturating_add_signed(i64::from(input.open_offset))
        .min(MAX_UNIX);

    if !input.changes.is_empty() {
        let mut bytes = f.text().as_bytes().to_vec();
        for &(pos, xor) in &input.changes {
            let i = usize::from(pos) % bytes.len();
            bytes[i] ^= xor;
        }
        let text = String::from_utf8_lossy(&bytes);
        for token in [false, true] {
            if let Ok(Some(o)) = open_text(&codec, token, &text, to) {
                assert_eq!(
                    o.session, f.payload,
                    "{}: a changed value opened to other bytes",
                    f.name
                );
                assert_eq!(o.metadata.session_id().to_string(), f.session_id);
            }
        }
        return;
    }

    let in_force = policy.lifetime;
    let got = open_text(&codec, is_token, f.text(), to)
        .map(|o| o.expect("the fixture's cookies are present"));
    let opened = match (
        open_outcome(&in_force, f.issued_at, f.sealed_at, to, policy.skew),
        got,
    ) {
        (Outcome::NotYetValid, Err(Error::NotYetValid)) => return,
        (Outcome::Expired(e), Err(Error::Expired { at: got })) => {
            assert_eq!(unix(got), e);
            return;
        }
        (
            Outcome::Opens {
                expires_at,
                past_deadline,
            },
            Ok(o),
        ) => {
            let m = &o.metadata;
            assert_eq!(m.format_version(), 1, "{}", f.name);
            assert_eq!(m.session_id().to_string(), f.session_id);
            assert_eq!(o.session, f.payload);
            assert_eq!(
                Model::of(&m.lifetime()),
                in_force,
                "a v1 value has the policy's lifetime"
            );
            assert_eq!(times(m), (f.issued_at, f.sealed_at, expires_at));
            assert_eq!(m.past_deadline(), past_deadline);
            assert_eq!(m.schema_version(), 0, "v1 reads as schema 0");
            let reason = (!past_deadline).then(|| key_reason(f, m, to));
            assert_eq!(
                m.reseal_reason(),
                reason,
                "{}: re-seal reason at {to}",
                f.name
            );
            o
        }
        (expected, got) => panic!(
            "{} at {to} under {policy:?}: expected {expected:?}, got {:?}",
            f.name,
            got.map(|o| times(&o.metadata))
        ),
    };

    // No usage byte in v1: a one-cookie value opens as a token, a token as a cookie.
    let other = match (&f.cookie_header, &f.token) {
        (Some(h), _) if !h.contains(';') => h.split_once('=').map(|(_, v)| (true, v.to_owned())),
        (None, Some(t)) => Some((false, format!("{}={t}", f.cookie_name))),
        _ => None,
    };
    if let Some((token, text)) = &other {
        let o = open_text(&codec, *token, text, to)
            .unwrap_or_else(|e| panic!("{}: v1 in the other usage: {e:?}", f.name))
            .expect("present");
        assert_eq!(o.session, f.payload);
        assert_eq!(o.metadata.session_id(), opened.metadata.session_id());
    }

    // Re-seal as v2.
    let tr = to
        .saturating_add(u64::from(input.reseal_after))
        .min(MAX_UNIX);
    let prev = &opened.metadata;
    let new_sealed_at = tr.max(f.issued_at);
    let new_expires = in_force.expires_at(f.issued_at, new_sealed_at);
    let refused = match open_outcome(&in_force, f.issued_at, f.sealed_at, tr, policy.skew) {
        Outcome::NotYetValid => Some(false),
        Outcome::Expired(_) => Some(true),
        Outcome::Opens { expires_at, .. } => (expires_at.is_some_and(|e| tr >= e)
            || new_expires.is_some_and(|e| e <= tr))
        .then_some(true),
    };
    let request = RequestCookies::from_header(f.cookie_header.as_deref().unwrap_or_default());
    let resealed = if is_token {
        codec
            .seal_token_bytes(&f.payload, Some(prev), at(tr))
            .map(|t| (None, t))
    } else {
        codec
            .seal_bytes(&f.payload, Some(prev), &request, at(tr))
            .map(|s| {
                (
                    Some(s.chunk_count()),
                    crate::model::cookie_header(s.headers()),
                )
            })
    };
    let (chunks, text) = match (refused, resealed) {
        (Some(false), Err(Error::NotYetValid)) | (Some(true), Err(Error::Expired { .. })) => return,
        (None, Err(Error::TooLarge { .. })) => return,
        (None, Ok(pair)) => pair,
        (expected, got) => panic!(
            "{}: re-seal at {tr}: expected refusal {expected:?}, got {:?}",
            f.name,
            got.err()
        ),
    };
    let o = open_text(&codec, is_token, &text, tr)
        .unwrap_or_else(|e| panic!("{}: the v2 re-seal does not open: {e:?}", f.name))
        .expect("present");
    let m = &o.metadata;
    assert_eq!(m.format_version(), 2, "re-sealed as v2");
    assert_eq!(m.session_id(), prev.session_id());
    assert_eq!(o.session, f.payload);
    assert_eq!(
        Model::of(&m.lifetime()),
        in_force,
        "the v2 value carries the lifetime in force"
    );
    assert_eq!(times(m), (f.issued_at, new_sealed_at, new_expires));
    assert_eq!(m.reseal_reason(), None, "a fresh v2 re-seal is due again");
    // The usage byte now binds it.
    let other = match chunks {
        Some(1) => text.split_once('=').map(|(_, v)| (true, v.to_owned())),
        Some(_) => None,
        None => Some((false, format!("{}={text}", f.cookie_name))),
    };
    if let Some((token, other)) = other {
        let got = open_text(&codec, token, &other, tr);
        assert!(
            matches!(got, Err(Error::Authentication | Error::TooLarge { .. })),
            "{}: a v2 value opened in the other usage",
            f.name
        );
    }
}

/// The re-seal reason of an authentic v1 value not past its deadline: `NonPrimaryKey` when its
/// key is older than the primary at `now` (an absent `not_before` being the oldest), else
/// `OldFormat`.
fn key_reason(f: &Fixture, m: &Metadata, now: u64) -> ResealReason {
    let nb = |id| {
        f.keyring
            .keys()
            .find(|k| k.id() == id)
            .map(|k| k.not_before().map_or(0, unix))
    };
    let primary = f
        .keyring
        .primary(at(now))
        .map(|k| k.not_before().map_or(0, unix));
    match (nb(m.key_id()), primary) {
        (Some(key), Some(primary)) if key < primary => ResealReason::NonPrimaryKey,
        _ => ResealReason::OldFormat,
    }
}

/// Decodes fuzz bytes as `libfuzzer-sys` does for the `v1_upgrade` target.
pub fn decode(data: &[u8]) -> Option<V1Input> {
    V1Input::arbitrary_take_rest(arbitrary::Unstructured::new(data)).ok()
}
