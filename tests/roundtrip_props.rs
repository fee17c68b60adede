//! Issue item 9: property tests. Random sessions, payload sizes and configurations: sealing then
//! opening gives back exactly the input, or `Error::TooLarge` exactly when the value does not
//! fit; every line stays within the per-cookie limit; no input makes `open` panic or accept
//! garbage.

mod common;

use std::time::Duration;

use common::{T0, b64_len, cookie_header, now, pair_of, ring};
use proptest::prelude::*;
use sealed_session::{
    Codec, CookieAttributes, Error, Expiry, MAX_CHUNKS, MAX_COOKIE_BYTES, MAX_TOTAL_BYTES, Mode,
    RequestCookies, SealedCookies,
};
use serde::{Deserialize, Serialize};

/// Bytes of the unsigned LEB128 varint of `v`.
fn varint_len(v: u64) -> usize {
    (v.max(1).ilog2() as usize) / 7 + 1
}

/// Envelope bytes around the payload for a fresh session sealed at `T0` by a codec with the
/// default policy and schema (format 2): format byte, key id, nonce/tag (encrypted) or tag
/// (signed); in the plaintext the session id (16), the issued_at varint (5 bytes for T0), the
/// sealed_at delta varint (1 byte), the flags byte, the absolute and idle lifetime varints the
/// flags announce (3 bytes for 86400 s, 2 for 7200 s), and the schema varint (1 byte for 0).
fn envelope_len(mode: Mode, payload: usize) -> usize {
    let policy = Expiry::default();
    let lifetime = |limit: Option<Duration>| limit.map_or(0, |d| varint_len(d.as_secs()));
    let inner = 16
        + varint_len(T0)
        + varint_len(0)
        + 1
        + lifetime(policy.absolute_lifetime())
        + lifetime(policy.idle_timeout())
        + varint_len(0);
    let around = match mode {
        Mode::Encrypted => 1 + 4 + 24 + 16,
        _ => 1 + 4 + 32,
    };
    around + inner + payload
}

#[test]
fn the_envelope_length_model_matches_the_layout_rules() {
    for (v, n) in [
        (0, 1),
        (127, 1),
        (128, 2),
        (7_200, 2),
        (16_383, 2),
        (16_384, 3),
    ] {
        assert_eq!(varint_len(v), n, "{v}");
    }
    assert_eq!(varint_len(86_400), 3);
    assert_eq!(varint_len(T0), 5);
    // The smallest version-2 envelopes (FORMAT.md section 3) are 65 and 57 bytes: a plaintext
    // of a session id, two one-byte varints, the flags and a one-byte schema. The default
    // policy's two lifetimes and T0's five-byte varint add 4 + 5 - 1 = 9 bytes (payload 0).
    assert_eq!(envelope_len(Mode::Encrypted, 0), 65 + 9);
    assert_eq!(envelope_len(Mode::Signed, 0), 57 + 9);
    // And a real seal agrees.
    for mode in [Mode::Encrypted, Mode::Signed] {
        let codec = Codec::<()>::builder(ring()).mode(mode).build().unwrap();
        for len in [0, 1, 100, 1_000] {
            let token_codec = Codec::<()>::builder(ring())
                .mode(mode)
                .purpose("p")
                .build()
                .unwrap();
            let token = token_codec
                .seal_token_bytes(&vec![1; len], None, now())
                .unwrap();
            assert_eq!(
                token.len(),
                b64_len(envelope_len(mode, len)),
                "{mode:?} {len}"
            );
            let sealed = codec
                .seal_bytes(&vec![1; len], None, &RequestCookies::new(), now())
                .unwrap();
            let header = cookie_header(&sealed);
            let value = header.split_once('=').unwrap().1;
            assert_eq!(
                value.len(),
                b64_len(envelope_len(mode, len)),
                "{mode:?} {len}"
            );
        }
    }
}

/// The most bytes whose base64url fits in `chars` characters.
fn max_decoded(chars: usize) -> usize {
    chars / 4 * 3
        + match chars % 4 {
            2 => 1,
            3 => 2,
            _ => 0,
        }
}

/// Attributes on every line under the default policy at `T0`:
/// `; Max-Age=7200; Expires=<29 chars>` and the fixed attributes.
fn attrs_len() -> usize {
    "; Max-Age=7200".len() + "; Expires=".len() + 29 + CookieAttributes::default().rendered().len()
}

#[derive(Debug, Clone)]
struct Config {
    mode: Mode,
    name: String,
    purpose: String,
    per_cookie: usize,
    budget: usize,
}

impl Config {
    fn codec<T>(&self, budget: usize) -> Codec<T> {
        Codec::builder(ring())
            .mode(self.mode)
            .cookie_name(&self.name)
            .purpose(&self.purpose)
            .max_cookie_bytes(self.per_cookie)
            .max_total_bytes(budget)
            .build()
            .expect("generated configurations are valid")
    }
}

fn config() -> impl Strategy<Value = Config> {
    (
        prop_oneof![Just(Mode::Encrypted), Just(Mode::Signed)],
        prop_oneof![Just(""), Just("__Host-"), Just("__Secure-")],
        "[A-Za-z0-9_-]{1,24}",
        "\\PC{0,40}",
        prop_oneof![
            300usize..=MAX_COOKIE_BYTES,
            Just(MAX_COOKIE_BYTES),
            Just(4000usize)
        ],
        prop_oneof![
            64usize..=MAX_TOTAL_BYTES,
            Just(MAX_TOTAL_BYTES),
            Just(6144usize)
        ],
    )
        .prop_map(|(mode, prefix, name, purpose, per_cookie, budget)| Config {
            mode,
            name: format!("{prefix}{name}"),
            purpose,
            per_cookie,
            budget,
        })
}

/// Deterministic filler from a seed (fast to generate, shrinks by length).
fn payload(len: usize, seed: u64) -> Vec<u8> {
    let mut x = seed | 1;
    (0..len)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            (x >> 24) as u8
        })
        .collect()
}

fn check_lines(sealed: &SealedCookies, cfg: &Config) -> Result<(), TestCaseError> {
    prop_assert!(sealed.chunk_count() >= 1 && sealed.chunk_count() <= MAX_CHUNKS);
    prop_assert_eq!(
        sealed.headers().len(),
        sealed.chunk_count() + sealed.deleted_count()
    );
    for (i, line) in sealed.headers().iter().enumerate() {
        prop_assert!(
            line.len() <= cfg.per_cookie,
            "line {} is {} > {}",
            i,
            line.len(),
            cfg.per_cookie
        );
        let name = pair_of(line).split_once('=').unwrap().0;
        let expected = if i == 0 {
            cfg.name.clone()
        } else {
            format!("{}.{i}", cfg.name)
        };
        prop_assert_eq!(name, expected);
    }
    let header = cookie_header(sealed);
    prop_assert_eq!(sealed.cookie_header_bytes(), header.len());
    prop_assert!(header.len() <= cfg.budget);
    Ok(())
}

fn open_bytes(codec: &Codec<()>, sealed: &SealedCookies) -> Result<Vec<u8>, Error> {
    let header = cookie_header(sealed);
    codec
        .open_bytes(&RequestCookies::from_header(&header), now())
        .map(|o| o.expect("session present").session)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn raw_bytes_round_trip_or_too_large_exactly_when_they_do_not_fit(
        cfg in config(),
        len in prop_oneof![0usize..=40_960, 0usize..=6_000],
        seed in any::<u64>(),
    ) {
        let data = payload(len, seed);
        let codec = cfg.codec::<()>(cfg.budget);
        let e = envelope_len(cfg.mode, len);
        let attrs = attrs_len();
        let single_line = cfg.name.len() + 1 + b64_len(e) + attrs;
        // Per-chunk capacity with the longest ("name.15=") and shortest ("name.1=") names.
        let cap_lo = max_decoded(cfg.per_cookie - cfg.name.len() - 4 - attrs) - 7;
        let cap_hi = max_decoded(cfg.per_cookie - cfg.name.len() - 3 - attrs) - 7;

        match codec.seal_bytes(&data, None, &RequestCookies::new(), now()) {
            Ok(sealed) => {
                check_lines(&sealed, &cfg)?;
                if single_line <= cfg.per_cookie {
                    prop_assert_eq!(sealed.chunk_count(), 1, "fits one cookie");
                    prop_assert_eq!(sealed.headers()[0].len(), single_line);
                } else {
                    prop_assert!(sealed.chunk_count() >= 2);
                    prop_assert!(sealed.chunk_count() <= e.div_ceil(cap_lo).max(2), "no wasted chunks");
                }
                prop_assert_eq!(open_bytes(&codec, &sealed).unwrap(), data.clone());
            }
            Err(Error::TooLarge { needed, budget }) => {
                prop_assert!(needed > budget, "needed {} <= budget {}", needed, budget);
                prop_assert!(budget <= cfg.budget);
                let fits_chunk_cap = single_line <= cfg.per_cookie || e <= MAX_CHUNKS * cap_lo;
                if fits_chunk_cap {
                    // Only the total budget can have stopped it: it is the budget reported, and
                    // what it needs is what a larger budget gets.
                    prop_assert_eq!(budget, cfg.budget);
                    let roomy = cfg.codec::<()>(MAX_TOTAL_BYTES);
                    match roomy.seal_bytes(&data, None, &RequestCookies::new(), now()) {
                        Ok(s) => prop_assert_eq!(s.cookie_header_bytes(), needed),
                        Err(Error::TooLarge { needed: n2, .. }) => prop_assert_eq!(n2, needed),
                        Err(other) => prop_assert!(false, "{}", other),
                    }
                } else {
                    // The 16-chunk cap: no budget helps.
                    let roomy = cfg.codec::<()>(MAX_TOTAL_BYTES);
                    let again = roomy.seal_bytes(&data, None, &RequestCookies::new(), now());
                    prop_assert!(matches!(again, Err(Error::TooLarge { .. })), "{:?}", again.map(|s| s.chunk_count()));
                }
            }
            Err(other) => prop_assert!(false, "unexpected error {}", other),
        }
        // Beyond what 16 chunks can carry, sealing must fail.
        if single_line > cfg.per_cookie && e > MAX_CHUNKS * cap_hi {
            prop_assert!(codec.seal_bytes(&data, None, &RequestCookies::new(), now()).is_err());
        }
    }
}

#[derive(Serialize, Deserialize, Debug, Clone, PartialEq)]
enum Role {
    Guest,
    User { id: u64 },
    Admin(String, Vec<u16>),
}

#[derive(Serialize, Deserialize, Debug, Clone, PartialEq)]
struct Session {
    user: String,
    email: Option<String>,
    roles: Vec<Role>,
    cart: Vec<(u32, i64)>,
    blob: Vec<u8>,
    flag: bool,
    nested: Option<Box<Session>>,
}

fn role() -> impl Strategy<Value = Role> {
    prop_oneof![
        Just(Role::Guest),
        any::<u64>().prop_map(|id| Role::User { id }),
        ("\\PC{0,20}", prop::collection::vec(any::<u16>(), 0..8))
            .prop_map(|(s, v)| Role::Admin(s, v)),
    ]
}

fn leaf_session() -> impl Strategy<Value = Session> {
    (
        "\\PC{0,60}",
        prop::option::of("[a-z]{1,20}@[a-z]{1,10}\\.example"),
        prop::collection::vec(role(), 0..6),
        prop::collection::vec((any::<u32>(), any::<i64>()), 0..50),
        (0usize..=20_000, any::<u64>()).prop_map(|(len, seed)| payload(len, seed)),
        any::<bool>(),
    )
        .prop_map(|(user, email, roles, cart, blob, flag)| Session {
            user,
            email,
            roles,
            cart,
            blob,
            flag,
            nested: None,
        })
}

fn session() -> impl Strategy<Value = Session> {
    (leaf_session(), prop::option::of(leaf_session())).prop_map(|(mut s, inner)| {
        s.nested = inner.map(Box::new);
        s
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn typed_sessions_round_trip_as_cookies_and_tokens(cfg in config(), s in session()) {
        let codec = cfg.codec::<Session>(cfg.budget);
        match codec.seal(&s, None, &RequestCookies::new(), now()) {
            Ok(sealed) => {
                check_lines(&sealed, &cfg)?;
                let header = cookie_header(&sealed);
                let opened = codec.open(&RequestCookies::from_header(&header), now()).unwrap().unwrap();
                prop_assert_eq!(&opened.session, &s);
                prop_assert_eq!(opened.metadata.session_id(), sealed.metadata().session_id());
                prop_assert_eq!(opened.metadata.mode(), cfg.mode);
            }
            Err(Error::TooLarge { needed, budget }) => {
                prop_assert!(needed > budget, "needed {} <= budget {}", needed, budget);
                prop_assert!(budget <= cfg.budget);
                let roomy = cfg.codec::<Session>(MAX_TOTAL_BYTES);
                if let Ok(fits) = roomy.seal(&s, None, &RequestCookies::new(), now()) {
                    prop_assert_eq!(budget, cfg.budget, "only the total budget stopped it");
                    prop_assert_eq!(fits.cookie_header_bytes(), needed);
                }
            }
            Err(other) => prop_assert!(false, "unexpected error {}", other),
        }
        match codec.seal_token(&s, None, now()) {
            Ok(token) => {
                prop_assert!(token.len() <= cfg.budget);
                prop_assert_eq!(codec.open_token(&token, now()).unwrap().session, s);
            }
            Err(Error::TooLarge { needed, budget }) => {
                prop_assert_eq!(budget, cfg.budget);
                prop_assert!(needed > budget);
                if needed <= MAX_TOTAL_BYTES {
                    let roomy = cfg.codec::<Session>(MAX_TOTAL_BYTES);
                    prop_assert_eq!(roomy.seal_token(&s, None, now()).unwrap().len(), needed);
                }
            }
            Err(other) => prop_assert!(false, "unexpected error {}", other),
        }
    }
}

fn fixed_codec() -> Codec<String> {
    Codec::builder(ring()).build().unwrap()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(128))]

    #[test]
    fn arbitrary_cookie_headers_never_open_and_never_panic(
        headers in prop::collection::vec("\\PC{0,300}", 0..4),
        values in prop::collection::vec("[A-Za-z0-9_-]{0,200}", 0..4),
    ) {
        let codec = fixed_codec();
        let mut all: Vec<String> = headers;
        // Also aim at the session's own cookie names, with plausible base64url values.
        for (i, v) in values.iter().enumerate() {
            let name = if i == 0 { codec.cookie_name().to_owned() } else { format!("{}.{i}", codec.cookie_name()) };
            all.push(format!("{name}={v}"));
        }
        let request: RequestCookies = all.iter().map(String::as_str).collect();
        let result = codec.open(&request, now());
        prop_assert!(!matches!(result, Ok(Some(_))), "garbage opened");
        for v in &values {
            prop_assert!(codec.open_token(v, now()).is_err());
        }
        let _ = codec.clear(&request);
    }

    #[test]
    fn any_change_to_a_sealed_value_is_rejected(
        len in 0usize..9_000,
        signed in any::<bool>(),
        pick in any::<prop::sample::Index>(),
        replacement in "[A-Za-z0-9_-]",
    ) {
        let mode = if signed { Mode::Signed } else { Mode::Encrypted };
        let codec: Codec<String> = Codec::builder(ring()).mode(mode).max_total_bytes(MAX_TOTAL_BYTES).build().unwrap();
        let sealed = codec.seal(&"q".repeat(len), None, &RequestCookies::new(), now()).unwrap();
        let header = cookie_header(&sealed);
        // Positions of value characters (not names, '=' or separators).
        let mut positions = Vec::new();
        let mut offset = 0;
        for pair in header.split("; ") {
            let eq = pair.find('=').unwrap();
            positions.extend(offset + eq + 1..offset + pair.len());
            offset += pair.len() + 2;
        }
        let at = positions[pick.index(positions.len())];
        prop_assume!(header.as_bytes()[at] != replacement.as_bytes()[0]);
        let mut changed = header.into_bytes();
        changed[at] = replacement.as_bytes()[0];
        let changed = String::from_utf8(changed).unwrap();
        let result = codec.open(&RequestCookies::from_header(&changed), now());
        prop_assert!(result.is_err(), "changed value accepted: {:?}", result.map(|o| o.map(|o| o.session.len())));
    }
}
