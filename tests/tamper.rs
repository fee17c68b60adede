//! The tamper suite, in the style of RustCrypto's `aes-gcm` tests: for every test vector of
//! `tests/data/vectors.json` (FORMAT.md section 10), every way a client can alter what it sends
//! back must be rejected, with the documented error where one is documented:
//!
//! * every single-bit flip of the decoded bytes of every cookie value or token (re-encoded), and
//!   of the whole envelope (re-framed into consistent chunks, so the AEAD or MAC itself decides);
//! * every single-character change of the text (values and chunk names);
//! * truncation at every length (decoded bytes, text, the whole `Cookie` header);
//! * for chunked vectors: each chunk removed, duplicated, swapped between names, replaced by the
//!   chunk of another session or of another generation of the same session, forged to carry the
//!   right generation, or extra (leftovers: ignored, the session opens); every reordering of the
//!   cookies opens correctly;
//! * the value moved to another cookie name, purpose, mode or keyring;
//! * expired and not-yet-valid, at their exact boundaries.
//!
//! Nothing may panic. The suite counts its cases, prints the count and asserts a floor computed
//! from the vectors' sizes.

mod common;

use std::collections::BTreeMap;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use serde_json::Value;

use common::{CountingRandom, Replay, b64_decode, b64_encode};
use sealed_session::{
    ChunkError, Codec, Error, Expiry, Key, KeyId, Keyring, Mode, RandomSource, RequestCookies,
};

const PATH: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data/vectors.json");
const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
/// Characters outside base64url that a client could still put in a cookie value or token.
const FOREIGN: [char; 10] = ['=', '+', '/', '.', ' ', '%', '"', ';', ',', 'é'];
/// Chunk frame header: 0x1c, index, count, generation (4).
const FRAME_HEADER_LEN: usize = 7;

// ---------------------------------------------------------------------------------------------
// Vectors and codecs, rebuilt from the vector's inputs as tests/vectors.rs does.

fn at(secs: u64) -> SystemTime {
    UNIX_EPOCH + Duration::from_secs(secs)
}

fn secs(v: &Value) -> Option<Duration> {
    v.as_u64().map(Duration::from_secs)
}

/// Everything a codec is built from, so one field at a time can be changed.
#[derive(Clone)]
struct Config {
    keyring: Keyring,
    cookie_name: String,
    purpose: String,
    mode: Mode,
    expiry: Expiry,
    max_cookie_bytes: usize,
    max_total_bytes: usize,
    schema: u32,
}

impl Config {
    fn of(v: &Value) -> Self {
        let e = &v["expiry"];
        Config {
            keyring: Keyring::from_text(v["keyring"].as_str().unwrap()).unwrap(),
            cookie_name: v["cookie_name"].as_str().unwrap().to_owned(),
            purpose: v["purpose"].as_str().unwrap().to_owned(),
            mode: match v["mode"].as_str().unwrap() {
                "encrypted" => Mode::Encrypted,
                "signed" => Mode::Signed,
                other => panic!("unknown mode {other}"),
            },
            expiry: Expiry::default()
                .absolute(secs(&e["absolute"]))
                .idle(secs(&e["idle"]))
                .persistent(e["persistent"].as_bool().unwrap())
                .clock_skew(secs(&e["skew"]).unwrap()),
            max_cookie_bytes: v["max_cookie_bytes"].as_u64().unwrap() as usize,
            max_total_bytes: v["max_total_bytes"].as_u64().unwrap() as usize,
            schema: v["schema"].as_u64().unwrap() as u32,
        }
    }

    fn codec(&self, random: Arc<dyn RandomSource>) -> Codec<()> {
        Codec::builder(self.keyring.clone())
            .cookie_name(&self.cookie_name)
            .purpose(&self.purpose)
            .mode(self.mode)
            .expiry(self.expiry)
            .max_cookie_bytes(self.max_cookie_bytes)
            .max_total_bytes(self.max_total_bytes)
            .random_source(random)
            .schema_version(self.schema)
            .build()
            .unwrap()
    }
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Kind {
    Cookie,
    Token,
}

/// One vector, re-sealed from its inputs (and checked against its outputs).
struct Vector {
    name: String,
    kind: Kind,
    config: Config,
    codec: Codec<()>,
    now: u64,
    payload: Vec<u8>,
    envelope: Vec<u8>,
    /// Cookie vectors: the `(name, value)` pairs the browser sends back, in chunk order.
    pairs: Vec<(String, String)>,
    /// Token vectors: the token.
    token: String,
    /// issued_at and sealed_at of the sealed value.
    issued_at: u64,
    sealed_at: u64,
}

impl Vector {
    fn load(v: &Value) -> Self {
        let config = Config::of(v);
        let now = v["now"].as_u64().unwrap();
        let payload = hex::decode(v["payload"].as_str().unwrap()).unwrap();
        let random = hex::decode(v["random"].as_str().unwrap()).unwrap();
        let codec = config.codec(Replay::new(random));
        let previous = v["previous"].as_object().map(|p| {
            let mut random = hex::decode(p["session_id"].as_str().unwrap()).unwrap();
            random.extend([0u8; 24]);
            let issued = p["issued_at"].as_u64().unwrap();
            config
                .codec(Replay::new(random))
                .seal_bytes(b"", None, &RequestCookies::new(), at(issued))
                .unwrap()
                .metadata()
                .clone()
        });
        let kind = match v["kind"].as_str().unwrap() {
            "cookie" => Kind::Cookie,
            "token" => Kind::Token,
            other => panic!("unknown kind {other}"),
        };
        let (pairs, token, metadata) = match kind {
            Kind::Cookie => {
                let sealed = codec
                    .seal_bytes(&payload, previous.as_ref(), &RequestCookies::new(), at(now))
                    .unwrap();
                assert_eq!(
                    Value::from(sealed.headers().to_vec()),
                    v["set_cookie"],
                    "{}",
                    v["name"]
                );
                (
                    pairs_of(sealed.headers()),
                    String::new(),
                    sealed.metadata().clone(),
                )
            }
            Kind::Token => {
                let token = codec
                    .seal_token_bytes(&payload, previous.as_ref(), at(now))
                    .unwrap();
                assert_eq!(Value::from(token.clone()), v["token"], "{}", v["name"]);
                let metadata = codec.open_token_bytes(&token, at(now)).unwrap().metadata;
                (Vec::new(), token, metadata)
            }
        };
        let envelope = hex::decode(v["envelope"].as_str().unwrap()).unwrap();
        let unix = |t: SystemTime| t.duration_since(UNIX_EPOCH).unwrap().as_secs();
        Vector {
            name: v["name"].as_str().unwrap().to_owned(),
            kind,
            codec: config.codec(Arc::new(CountingRandom::new(1))),
            config,
            now,
            payload,
            envelope,
            pairs,
            token,
            issued_at: unix(metadata.issued_at()),
            sealed_at: unix(metadata.sealed_at()),
        }
    }

    fn chunked(&self) -> bool {
        self.pairs.len() > 1
    }

    /// The sealing key's id (from the envelope header).
    fn key_id(&self) -> u32 {
        u32::from_be_bytes(self.envelope[1..5].try_into().unwrap())
    }

    fn mode(&self) -> Mode {
        self.config.mode
    }

    /// Opens what the client sends back: cookie pairs for cookie vectors, the only value as a
    /// token for token vectors.
    fn open_as_sent(&self, codec: &Codec<()>, sent: &Sent, now: u64) -> Outcome {
        match sent {
            Sent::Pairs(pairs) => open_pairs(codec, pairs, now),
            Sent::Token(token) => codec
                .open_token_bytes(token, at(now))
                .map(|o| Some(o.session)),
        }
    }

    /// The texts a client can alter: each cookie value in chunk order, or the token.
    fn values(&self) -> Vec<String> {
        match self.kind {
            Kind::Cookie => self.pairs.iter().map(|(_, v)| v.clone()).collect(),
            Kind::Token => vec![self.token.clone()],
        }
    }

    /// What is sent when value `i` is replaced by `value`.
    fn with_value(&self, i: usize, value: String) -> Sent {
        match self.kind {
            Kind::Cookie => {
                let mut pairs = self.pairs.clone();
                pairs[i].1 = value;
                Sent::Pairs(pairs)
            }
            Kind::Token => Sent::Token(value),
        }
    }

    /// What is sent when the envelope is replaced by `envelope` (framed like the original).
    fn with_envelope(&self, envelope: &[u8]) -> Option<Sent> {
        match self.kind {
            Kind::Token => Some(Sent::Token(b64_encode(envelope))),
            Kind::Cookie if !self.chunked() => Some(Sent::Pairs(vec![(
                self.pairs[0].0.clone(),
                b64_encode(envelope),
            )])),
            Kind::Cookie => {
                let values = frame(envelope, self.pairs.len())?;
                let pairs = self
                    .pairs
                    .iter()
                    .zip(values)
                    .map(|((n, _), v)| (n.clone(), v))
                    .collect();
                Some(Sent::Pairs(pairs))
            }
        }
    }
}

enum Sent {
    Pairs(Vec<(String, String)>),
    Token(String),
}

type Outcome = Result<Option<Vec<u8>>, Error>;

/// `(name, value)` cookie pairs, in the order the browser sends them.
type Pairs = Vec<(String, String)>;

fn pairs_of(lines: &[String]) -> Vec<(String, String)> {
    lines
        .iter()
        .map(|l| {
            let pair = l.split(';').next().unwrap();
            let (n, v) = pair.split_once('=').unwrap();
            (n.to_owned(), v.to_owned())
        })
        .collect()
}

fn header_of(pairs: &[(String, String)]) -> String {
    let mut h = String::new();
    for (i, (n, v)) in pairs.iter().enumerate() {
        if i > 0 {
            h.push_str("; ");
        }
        h.push_str(n);
        h.push('=');
        h.push_str(v);
    }
    h
}

fn open_pairs(codec: &Codec<()>, pairs: &[(String, String)], now: u64) -> Outcome {
    let header = header_of(pairs);
    open_header(codec, &header, now)
}

fn open_header(codec: &Codec<()>, header: &str, now: u64) -> Outcome {
    codec
        .open_bytes(&RequestCookies::from_header(header), at(now))
        .map(|o| o.map(|o| o.session))
}

/// Frames `envelope` into at most `n` chunk values as FORMAT.md 5.1 steps 4-5 do, with the
/// generation taken from the envelope's last 4 bytes. `None` when that is not possible.
fn frame(envelope: &[u8], n: usize) -> Option<Vec<String>> {
    if envelope.len() < 4.max(n) {
        return None;
    }
    let piece = envelope.len().div_ceil(n);
    let count = envelope.len().div_ceil(piece);
    if count < 2 {
        return None;
    }
    let generation = &envelope[envelope.len() - 4..];
    Some(
        envelope
            .chunks(piece)
            .enumerate()
            .map(|(i, p)| {
                let mut f = vec![0x1c, i as u8, count as u8];
                f.extend_from_slice(generation);
                f.extend_from_slice(p);
                b64_encode(&f)
            })
            .collect(),
    )
}

fn min_envelope_len(mode: Mode) -> usize {
    match mode {
        Mode::Encrypted => 65,
        _ => 57,
    }
}

// ---------------------------------------------------------------------------------------------
// Expectations and bookkeeping.

#[derive(Debug, Clone)]
enum Want {
    /// Exactly this error.
    Err(Error),
    /// Any rejection of tampered input: authentication, malformed, unknown key, or a chunk error
    /// (never success, never a post-authentication error such as expired or serialization).
    Rejected,
    /// Rejected as above, or no session at all (the session's cookie names were altered away).
    NotAccepted,
    /// No session at all: `Ok(None)`.
    NoSession,
    /// Opens to exactly these bytes.
    Opens(Vec<u8>),
}

fn tamper_rejection(e: &Error) -> bool {
    matches!(
        e,
        Error::Authentication
            | Error::Malformed { .. }
            | Error::UnknownKey { .. }
            | Error::Chunks(_)
    )
}

#[derive(Default)]
struct Suite {
    total: usize,
    by_group: BTreeMap<&'static str, usize>,
    failures: Vec<String>,
}

impl Suite {
    fn check(
        &mut self,
        group: &'static str,
        describe: impl FnOnce() -> String,
        want: Want,
        run: impl FnOnce() -> Outcome,
    ) {
        self.total += 1;
        *self.by_group.entry(group).or_default() += 1;
        let got = match catch_unwind(AssertUnwindSafe(run)) {
            Ok(got) => got,
            Err(_) => {
                self.failures
                    .push(format!("[{group}] {}: PANICKED", describe()));
                return;
            }
        };
        let ok = match (&want, &got) {
            (Want::Err(w), Err(e)) => w == e,
            (Want::Rejected, Err(e)) => tamper_rejection(e),
            (Want::NotAccepted, Ok(None)) => true,
            (Want::NotAccepted, Err(e)) => tamper_rejection(e),
            (Want::NoSession, Ok(None)) => true,
            (Want::Opens(p), Ok(Some(s))) => p == s,
            _ => false,
        };
        if !ok {
            self.failures.push(format!(
                "[{group}] {}: want {want:?}, got {:?}",
                describe(),
                got.as_ref().map(|o| o.as_ref().map(Vec::len))
            ));
        }
    }
}

/// The precise error for a proper prefix (at least one byte) of the authentic envelope:
/// too short for the mode -> malformed, else the tag is wrong -> authentication.
fn want_for_prefix(v: &Vector, prefix: &[u8]) -> Want {
    if prefix.len() < min_envelope_len(v.mode()) {
        Want::Err(malformed_short())
    } else {
        Want::Err(Error::Authentication)
    }
}

/// The precise error for an envelope that differs from the authentic one in place (same
/// length), following FORMAT.md 3.1: format byte -> malformed, key id -> unknown key (or
/// authentication if the ring holds the altered id), anything else -> authentication.
fn want_same_len(v: &Vector, altered: &[u8]) -> Want {
    let original = &v.envelope;
    if altered[0] != original[0] {
        return match altered[0] {
            0x11 | 0x12 | 0x1c => Want::Rejected,
            _ => Want::Err(Error::Malformed {
                reason: "unknown format byte",
            }),
        };
    }
    if altered[1..5] != original[1..5] {
        let id = KeyId::new(u32::from_be_bytes(altered[1..5].try_into().unwrap()));
        return if v.config.keyring.keys().any(|k| k.id() == id) {
            Want::Err(Error::Authentication)
        } else {
            Want::Err(Error::UnknownKey { key_id: id })
        };
    }
    Want::Err(Error::Authentication)
}

fn malformed_short() -> Error {
    Error::Malformed {
        reason: "shorter than the smallest envelope",
    }
}

// ---------------------------------------------------------------------------------------------
// The cases.

/// Every single-bit flip of every value's decoded bytes, re-encoded.
fn bit_flips(s: &mut Suite, v: &Vector) {
    for (i, value) in v.values().iter().enumerate() {
        let bytes = b64_decode(value);
        for bit in 0..bytes.len() * 8 {
            let mut b = bytes.clone();
            b[bit / 8] ^= 1 << (bit % 8);
            let want = if v.chunked() {
                Want::Rejected
            } else {
                want_same_len(v, &b)
            };
            let sent = v.with_value(i, b64_encode(&b));
            s.check(
                "bit flip of a value's bytes",
                || format!("{}: value {i} bit {bit}", v.name),
                want,
                || v.open_as_sent(&v.codec, &sent, v.now),
            );
        }
    }
}

/// Chunked vectors: every single-bit flip of the whole envelope, re-framed into consistent
/// chunks, so no frame check catches it and the AEAD or MAC must.
fn envelope_bit_flips(s: &mut Suite, v: &Vector) {
    if !v.chunked() {
        return;
    }
    for bit in 0..v.envelope.len() * 8 {
        let mut e = v.envelope.clone();
        e[bit / 8] ^= 1 << (bit % 8);
        let sent = v.with_envelope(&e).unwrap();
        s.check(
            "bit flip of the envelope, re-framed",
            || format!("{}: envelope bit {bit}", v.name),
            want_same_len(v, &e),
            || v.open_as_sent(&v.codec, &sent, v.now),
        );
    }
}

/// Every single-character change of every value: two other base64url characters (one of them
/// flipping the sextet's top bit) and every character of `FOREIGN`.
fn char_changes(s: &mut Suite, v: &Vector) {
    for (i, value) in v.values().iter().enumerate() {
        let chars: Vec<char> = value.chars().collect();
        for (pos, &c) in chars.iter().enumerate() {
            let idx = ALPHABET.iter().position(|&a| char::from(a) == c).unwrap();
            let mut replacements = vec![
                char::from(ALPHABET[(idx + 1) % 64]),
                char::from(ALPHABET[idx ^ 32]),
            ];
            replacements.extend(FOREIGN);
            for r in replacements {
                let mut changed = chars.clone();
                changed[pos] = r;
                let sent = v.with_value(i, changed.into_iter().collect());
                s.check(
                    "single-character change of a value",
                    || format!("{}: value {i} char {pos} {c:?} -> {r:?}", v.name),
                    Want::Rejected,
                    || v.open_as_sent(&v.codec, &sent, v.now),
                );
            }
        }
    }
    // Cookie names: each character replaced (the cookie moves to another slot or away).
    for (i, (name, _)) in v.pairs.iter().enumerate() {
        for pos in 0..name.len() {
            for r in ['x', '.', '1', '0'] {
                let mut changed: Vec<char> = name.chars().collect();
                if changed[pos] == r {
                    continue;
                }
                changed[pos] = r;
                let mut pairs = v.pairs.clone();
                pairs[i].0 = changed.into_iter().collect();
                s.check(
                    "single-character change of a cookie name",
                    || format!("{}: name {i} char {pos} -> {r:?}", v.name),
                    Want::NotAccepted,
                    || open_pairs(&v.codec, &pairs, v.now),
                );
            }
        }
    }
}

/// Truncation at every length: of each value's decoded bytes, of each value's text, of the
/// envelope (re-framed for chunked vectors), and of the whole `Cookie` header.
fn truncations(s: &mut Suite, v: &Vector) {
    for (i, value) in v.values().iter().enumerate() {
        let bytes = b64_decode(value);
        for len in 0..bytes.len() {
            let want = if v.chunked() {
                Want::Rejected
            } else if len == 0 {
                Want::Err(Error::Malformed {
                    reason: "empty value",
                })
            } else {
                want_for_prefix(v, &bytes[..len])
            };
            let sent = v.with_value(i, b64_encode(&bytes[..len]));
            s.check(
                "truncation of a value's bytes",
                || format!("{}: value {i} to {len} bytes", v.name),
                want,
                || v.open_as_sent(&v.codec, &sent, v.now),
            );
        }
        for len in 0..value.len() {
            let sent = v.with_value(i, value[..len].to_owned());
            s.check(
                "truncation of a value's text",
                || format!("{}: value {i} to {len} characters", v.name),
                Want::Rejected,
                || v.open_as_sent(&v.codec, &sent, v.now),
            );
        }
    }
    if v.chunked() {
        for len in 0..v.envelope.len() {
            let Some(sent) = v.with_envelope(&v.envelope[..len]) else {
                continue;
            };
            let want = if len < min_envelope_len(v.mode()) {
                Want::Err(malformed_short())
            } else {
                Want::Err(Error::Authentication)
            };
            s.check(
                "truncation of the envelope, re-framed",
                || format!("{}: envelope to {len} bytes", v.name),
                want,
                || v.open_as_sent(&v.codec, &sent, v.now),
            );
        }
    }
    if v.kind == Kind::Cookie {
        let header = header_of(&v.pairs);
        for len in 0..header.len() {
            // Up to the first name (without its '='), the request holds no session cookie.
            let want = if len <= v.pairs[0].0.len() {
                Want::NoSession
            } else {
                Want::Rejected
            };
            s.check(
                "truncation of the Cookie header",
                || format!("{}: header to {len} characters", v.name),
                want,
                || open_header(&v.codec, &header[..len], v.now),
            );
        }
    }
}

/// Another session sealed by the same codec (new id, fresh nonce), and a newer generation of the
/// vector's own session (re-sealed one second later), as cookie pairs.
fn other_seals(v: &Vector) -> (Pairs, Pairs) {
    let codec = v.config.codec(Arc::new(CountingRandom::new(0x5eed)));
    let other = codec
        .seal_bytes(&v.payload, None, &RequestCookies::new(), at(v.now))
        .unwrap();
    let opened = codec
        .open_bytes(
            &RequestCookies::from_header(&header_of(&v.pairs)),
            at(v.now),
        )
        .unwrap()
        .unwrap();
    let newer = codec
        .seal_bytes(
            &v.payload,
            Some(&opened.metadata),
            &RequestCookies::new(),
            at(v.now + 1),
        )
        .unwrap();
    assert_eq!(newer.metadata().session_id(), opened.metadata.session_id());
    (pairs_of(other.headers()), pairs_of(newer.headers()))
}

/// Chunk-level attacks on chunked cookie vectors, and their unchunked counterparts.
fn chunk_attacks(s: &mut Suite, v: &Vector) {
    if v.kind != Kind::Cookie {
        return;
    }
    let n = v.pairs.len();
    let chunk = |e: ChunkError| Want::Err(Error::Chunks(e));
    let (other, newer) = other_seals(v);
    assert_eq!(
        other.len(),
        n,
        "{}: other session has another layout",
        v.name
    );
    assert_eq!(
        newer.len(),
        n,
        "{}: newer generation has another layout",
        v.name
    );
    assert_ne!(other, v.pairs);
    assert_ne!(newer, v.pairs);

    // The authentic value opens, under both the newer generation and the other session too.
    for (label, pairs, now) in [
        ("vector", &v.pairs, v.now),
        ("other session", &other, v.now),
        ("newer generation", &newer, v.now + 1),
    ] {
        s.check(
            "authentic values open",
            || format!("{}: {label}", v.name),
            Want::Opens(v.payload.clone()),
            || open_pairs(&v.codec, pairs, now),
        );
    }

    // Duplicated: the same name twice, at the end and at the front, same or another value. Two
    // heads are ambiguous, and so are two cookies matching the head; a chunk of another seal
    // beside the matching one (a planted cookie, a leftover) is ignored (FORMAT.md 5.3).
    for (i, ((name, value), (_, other_value))) in v.pairs.iter().zip(&other).enumerate() {
        for (dup_value, same) in [(value, true), (other_value, false)] {
            let mut end = v.pairs.clone();
            end.push((name.clone(), dup_value.clone()));
            let mut front = v.pairs.clone();
            front.insert(0, (name.clone(), dup_value.clone()));
            let want = if i == 0 || same {
                chunk(ChunkError::Duplicate { index: i })
            } else {
                Want::Opens(v.payload.clone())
            };
            for pairs in [end, front] {
                s.check(
                    "chunk duplicated",
                    || format!("{}: chunk {i}", v.name),
                    want.clone(),
                    || open_pairs(&v.codec, &pairs, v.now),
                );
            }
        }
    }

    // Extra: a chunk name beyond the announced count (or any chunk beside a whole value) is a
    // leftover of a concurrent response: ignored (FORMAT.md 5.3), the session opens.
    for extra in [n, n + 1, 15] {
        let mut pairs = v.pairs.clone();
        pairs.push((
            format!("{}.{extra}", v.config.cookie_name),
            v.pairs[n - 1].1.clone(),
        ));
        s.check(
            "extra chunk",
            || format!("{}: extra chunk {extra}", v.name),
            Want::Opens(v.payload.clone()),
            || open_pairs(&v.codec, &pairs, v.now),
        );
    }

    if n == 1 {
        return;
    }

    // Removed: each chunk, and every non-empty proper subset's complement (bounded by 2^16).
    for mask in 1u32..(1 << n) - 1 {
        let kept: Vec<_> = (0..n)
            .filter(|i| mask & (1 << i) != 0)
            .map(|i| v.pairs[i].clone())
            .collect();
        let first_missing = (0..n).find(|i| mask & (1 << i) == 0).unwrap();
        // Without the head, the other chunks are leftovers: no session.
        let want = if first_missing == 0 {
            Want::NoSession
        } else {
            chunk(ChunkError::Missing {
                index: first_missing,
            })
        };
        s.check(
            "chunks removed",
            || format!("{}: kept mask {mask:b}", v.name),
            want,
            || open_pairs(&v.codec, &kept, v.now),
        );
    }

    // Swapped between names: every pair of chunks exchange values.
    for i in 0..n {
        for j in i + 1..n {
            let mut pairs = v.pairs.clone();
            let (a, b) = (pairs[i].1.clone(), pairs[j].1.clone());
            pairs[i].1 = b;
            pairs[j].1 = a;
            s.check(
                "chunks swapped between names",
                || format!("{}: {i} <-> {j}", v.name),
                chunk(ChunkError::MixedGeneration),
                || open_pairs(&v.codec, &pairs, v.now),
            );
        }
    }

    // Replaced by the same chunk of another session, or of another generation of this session
    // (older into newer and newer into older), opened at a time both are valid.
    for i in 0..n {
        for (label, donor, into) in [
            ("another session", &other, &v.pairs),
            ("older generation into newer", &v.pairs, &newer),
            ("newer generation into older", &newer, &v.pairs),
        ] {
            let mut pairs = into.clone();
            pairs[i] = donor[i].clone();
            s.check(
                "chunk replaced",
                || format!("{}: chunk {i} from {label}", v.name),
                chunk(ChunkError::MixedGeneration),
                || open_pairs(&v.codec, &pairs, v.now + 1),
            );
        }
    }

    // Forged to match: another session's chunk i with its frame rewritten to carry this value's
    // index, count and generation passes every frame check; the AEAD or MAC must still refuse.
    let generation = b64_decode(&v.pairs[0].1)[3..FRAME_HEADER_LEN].to_vec();
    for i in 0..n {
        let mut frame = b64_decode(&other[i].1);
        frame[3..FRAME_HEADER_LEN].copy_from_slice(&generation);
        let mut pairs = v.pairs.clone();
        pairs[i].1 = b64_encode(&frame);
        // The last chunk carries the tag, whose last 4 bytes must equal the generation.
        let want = if i == n - 1 {
            chunk(ChunkError::MixedGeneration)
        } else {
            Want::Err(Error::Authentication)
        };
        s.check(
            "chunk forged to carry the right generation",
            || format!("{}: chunk {i}", v.name),
            want,
            || open_pairs(&v.codec, &pairs, v.now),
        );
    }

    // A chunk frame claiming another count.
    for count in [0u8, 1, 2, 3, 5, 16, 17, 255] {
        if usize::from(count) == n {
            continue;
        }
        let mut frame = b64_decode(&v.pairs[0].1);
        frame[2] = count;
        let mut pairs = v.pairs.clone();
        pairs[0].1 = b64_encode(&frame);
        let count = usize::from(count);
        let want = if !(2..=16).contains(&count) {
            chunk(ChunkError::TooMany { count, max: 16 })
        } else {
            // Chunk 1 is present and announces the original count: no cookie of its name
            // matches the altered head.
            chunk(ChunkError::MixedGeneration)
        };
        s.check(
            "chunk count altered",
            || format!("{}: count {count}", v.name),
            want,
            || open_pairs(&v.codec, &pairs, v.now),
        );
    }

    // Reordered: every permutation opens, alone, among other cookies, and split across headers.
    for perm in permutations(n) {
        let pairs: Vec<_> = perm.iter().map(|&i| v.pairs[i].clone()).collect();
        s.check(
            "cookies reordered (opens)",
            || format!("{}: order {perm:?}", v.name),
            Want::Opens(v.payload.clone()),
            || open_pairs(&v.codec, &pairs, v.now),
        );
        let mut noisy = Vec::new();
        for (k, p) in pairs.iter().enumerate() {
            noisy.push((format!("other{k}"), "x".to_owned()));
            noisy.push(p.clone());
        }
        s.check(
            "cookies reordered among others (opens)",
            || format!("{}: order {perm:?}", v.name),
            Want::Opens(v.payload.clone()),
            || open_pairs(&v.codec, &noisy, v.now),
        );
        let headers: Vec<String> = pairs.iter().map(|(n, v)| format!("{n}={v}")).collect();
        s.check(
            "cookies reordered, one Cookie header each (opens)",
            || format!("{}: order {perm:?}", v.name),
            Want::Opens(v.payload.clone()),
            || {
                let request: RequestCookies = headers.iter().map(String::as_str).collect();
                v.codec
                    .open_bytes(&request, at(v.now))
                    .map(|o| o.map(|o| o.session))
            },
        );
    }
}

fn permutations(n: usize) -> Vec<Vec<usize>> {
    if n == 0 {
        return vec![Vec::new()];
    }
    let mut out = Vec::new();
    for p in permutations(n - 1) {
        for pos in 0..=p.len() {
            let mut q = p.clone();
            q.insert(pos, n - 1);
            out.push(q);
        }
    }
    out
}

/// The same keyring with every secret replaced (same ids and dates).
fn same_ids_other_secrets(ring: &Keyring) -> Keyring {
    Keyring::new(ring.keys().map(|k| {
        let with_secret = |fill: u8| {
            let mut key = Key::new(k.id(), [fill; 32]);
            if let Some(t) = k.not_before() {
                key = key.with_not_before(t);
            }
            if let Some(t) = k.not_after() {
                key = key.with_not_after(t);
            }
            key
        };
        // `Key`'s equality compares the secret (and id and dates): pick a filler that differs.
        let key = with_secret(0x5a);
        if &key == k { with_secret(0xa5) } else { key }
    }))
    .unwrap()
}

/// The value moved to another cookie name, purpose, mode or keyring.
fn moved(s: &mut Suite, v: &Vector) {
    let renamed = |name: &str| -> Sent {
        match v.kind {
            Kind::Token => Sent::Token(v.token.clone()),
            Kind::Cookie => Sent::Pairs(
                v.pairs
                    .iter()
                    .enumerate()
                    .map(|(i, (_, val))| {
                        let n = if i == 0 {
                            name.to_owned()
                        } else {
                            format!("{name}.{i}")
                        };
                        (n, val.clone())
                    })
                    .collect(),
            ),
        }
    };
    let other_mode = if v.mode() == Mode::Encrypted {
        Mode::Signed
    } else {
        Mode::Encrypted
    };
    let key_id = KeyId::new(v.key_id());
    let random: Arc<dyn RandomSource> = Arc::new(CountingRandom::new(9));
    let mut cases: Vec<(String, Config, Want)> = Vec::new();
    for name in [
        format!("{}x", v.config.cookie_name),
        format!(
            "__Secure-{}",
            v.config.cookie_name.trim_start_matches("__Host-")
        ),
        "session".to_owned(),
        v.config.cookie_name.to_uppercase(),
    ] {
        if name == v.config.cookie_name {
            continue;
        }
        let mut c = v.config.clone();
        c.cookie_name = name.clone();
        cases.push((
            format!("cookie name {name}"),
            c,
            Want::Err(Error::Authentication),
        ));
    }
    for purpose in [
        format!("{}x", v.config.purpose),
        String::new(),
        "another-app".to_owned(),
        v.config.purpose.to_uppercase(),
    ] {
        if purpose == v.config.purpose {
            continue;
        }
        let mut c = v.config.clone();
        c.purpose = purpose.clone();
        cases.push((
            format!("purpose {purpose:?}"),
            c,
            Want::Err(Error::Authentication),
        ));
    }
    let mut c = v.config.clone();
    c.mode = other_mode;
    cases.push(("other mode".into(), c, Want::Err(Error::Authentication)));
    let mut c = v.config.clone();
    c.keyring = same_ids_other_secrets(&v.config.keyring);
    cases.push((
        "keyring with the same ids, other secrets".into(),
        c,
        Want::Err(Error::Authentication),
    ));
    let mut c = v.config.clone();
    c.keyring = Keyring::new([Key::new(KeyId::new(v.key_id() ^ 0x8000_0000), [0x11; 32])]).unwrap();
    cases.push((
        "keyring without the key id".into(),
        c,
        Want::Err(Error::UnknownKey { key_id }),
    ));
    let mut c = v.config.clone();
    c.keyring = Keyring::new([
        Key::new(key_id, [0x22; 32]).with_not_after(at(v.now + 1_000_000)),
        Key::new(KeyId::new(v.key_id() ^ 1), [0x33; 32]).with_not_before(at(1)),
    ])
    .unwrap();
    cases.push((
        "another app's keyring sharing the key id".into(),
        c,
        Want::Err(Error::Authentication),
    ));
    for (label, config, want) in cases {
        let codec = config.codec(random.clone());
        let sent = renamed(&config.cookie_name);
        s.check(
            "value moved to another name, purpose, mode or keyring",
            || format!("{}: {label}", v.name),
            want,
            || v.open_as_sent(&codec, &sent, v.now),
        );
    }
    // The key retired (past its not_after) at the time of opening: retired key.
    let mut c = v.config.clone();
    c.keyring = Keyring::new(v.config.keyring.keys().map(|k| {
        if k.id() == key_id {
            k.clone().with_not_after(at(v.now))
        } else {
            k.clone()
        }
    }))
    .unwrap();
    let codec = c.codec(random.clone());
    let sent = renamed(&c.cookie_name);
    s.check(
        "value moved to another name, purpose, mode or keyring",
        || format!("{}: its key retired", v.name),
        Want::Err(Error::RetiredKey { key_id }),
        || v.open_as_sent(&codec, &sent, v.now),
    );
}

/// Expiry at its exact boundaries, under the vector's policy and under each deadline alone.
fn times(s: &mut Suite, v: &Vector) {
    let sent = match v.kind {
        Kind::Cookie => Sent::Pairs(v.pairs.clone()),
        Kind::Token => Sent::Token(v.token.clone()),
    };
    let skew = v.config.expiry.skew().as_secs();
    let absolute = v.config.expiry.absolute_lifetime().map(|d| d.as_secs());
    let idle = v.config.expiry.idle_timeout().map(|d| d.as_secs());
    // The value carries the vector's lifetime (format 2): an opener's policy caps it, never
    // extends it, and a limit the opener does not set still applies.
    let scaled = |f: fn(u64) -> u64| {
        v.config
            .expiry
            .absolute(absolute.map(|a| Duration::from_secs(f(a))))
            .idle(idle.map(|i| Duration::from_secs(f(i))))
    };
    let mut policies = vec![
        ("vector's policy", v.config.expiry),
        ("a longer policy cannot extend it", scaled(|x| x * 2)),
        ("a shorter policy caps it", scaled(|x| x.div_ceil(2))),
    ];
    if absolute.is_some() && idle.is_some() {
        policies.push(("absolute only", v.config.expiry.idle(None)));
        policies.push(("idle only", v.config.expiry.absolute(None)));
    }
    let shorter = |own: Option<u64>, cap: Option<Duration>| match (own, cap.map(|d| d.as_secs())) {
        (Some(a), Some(b)) => Some(a.min(b)),
        (a, b) => a.or(b),
    };
    for (label, policy) in policies {
        let mut c = v.config.clone();
        c.expiry = policy;
        let codec = c.codec(Arc::new(CountingRandom::new(3)));
        let deadlines = [
            shorter(absolute, policy.absolute_lifetime()).map(|a| v.issued_at + a),
            shorter(idle, policy.idle_timeout()).map(|i| v.sealed_at + i),
        ];
        if let Some(expires_at) = deadlines.into_iter().flatten().min() {
            s.check(
                "expired",
                || format!("{}: {label}, at the deadline plus skew", v.name),
                Want::Err(Error::Expired { at: at(expires_at) }),
                || v.open_as_sent(&codec, &sent, expires_at + skew),
            );
            s.check(
                "expired",
                || format!("{}: {label}, a year later", v.name),
                Want::Err(Error::Expired { at: at(expires_at) }),
                || v.open_as_sent(&codec, &sent, expires_at + skew + 366 * 86400),
            );
            s.check(
                "still valid one second before expiry",
                || format!("{}: {label}", v.name),
                Want::Opens(v.payload.clone()),
                || v.open_as_sent(&codec, &sent, expires_at + skew - 1),
            );
        } else {
            // No deadline: valid until the key retires.
            let key_end = v
                .config
                .keyring
                .keys()
                .find(|k| k.id() == KeyId::new(v.key_id()))
                .and_then(|k| k.not_after())
                .map(|t| t.duration_since(UNIX_EPOCH).unwrap().as_secs());
            let late = key_end.map_or(v.now + 100 * 366 * 86400, |t| t - 1);
            s.check(
                "never expires without a policy",
                || format!("{}: {label}", v.name),
                Want::Opens(v.payload.clone()),
                || v.open_as_sent(&codec, &sent, late),
            );
            if let Some(end) = key_end {
                s.check(
                    "expired",
                    || format!("{}: {label}, key past not_after", v.name),
                    Want::Err(Error::RetiredKey {
                        key_id: KeyId::new(v.key_id()),
                    }),
                    || v.open_as_sent(&codec, &sent, end),
                );
            }
        }
        let earliest_valid = v.sealed_at - skew;
        s.check(
            "not yet valid",
            || format!("{}: {label}, one second before sealed_at - skew", v.name),
            Want::Err(Error::NotYetValid),
            || v.open_as_sent(&codec, &sent, earliest_valid - 1),
        );
        s.check(
            "not yet valid",
            || format!("{}: {label}, a day early", v.name),
            Want::Err(Error::NotYetValid),
            || v.open_as_sent(&codec, &sent, earliest_valid - 86400),
        );
        s.check(
            "valid from sealed_at - skew",
            || format!("{}: {label}", v.name),
            Want::Opens(v.payload.clone()),
            || v.open_as_sent(&codec, &sent, earliest_valid),
        );
    }
}

#[test]
fn every_tampering_of_every_vector_is_rejected() {
    let doc: Value = serde_json::from_str(&std::fs::read_to_string(PATH).unwrap()).unwrap();
    let vectors: Vec<Vector> = doc["envelopes"]
        .as_array()
        .unwrap()
        .iter()
        .map(Vector::load)
        .collect();
    assert!(vectors.len() >= 11, "only {} vectors", vectors.len());
    assert!(
        vectors
            .iter()
            .any(|v| v.chunked() && v.mode() == Mode::Encrypted)
    );
    assert!(
        vectors
            .iter()
            .any(|v| v.chunked() && v.mode() == Mode::Signed)
    );

    let mut suite = Suite::default();
    // The floor: the per-byte and per-character families alone, from the vectors' sizes.
    let mut floor = 0;
    for v in &vectors {
        for value in v.values() {
            let bytes = b64_decode(&value).len();
            // bit flips + byte truncations + text changes + text truncations
            floor += 8 * bytes + bytes + value.len() * (2 + FOREIGN.len()) + value.len();
        }
        if v.chunked() {
            floor += 8 * v.envelope.len();
        }
    }
    for v in &vectors {
        bit_flips(&mut suite, v);
        envelope_bit_flips(&mut suite, v);
        char_changes(&mut suite, v);
        truncations(&mut suite, v);
        chunk_attacks(&mut suite, v);
        moved(&mut suite, v);
        times(&mut suite, v);
    }

    for (group, n) in &suite.by_group {
        println!("{n:>8}  {group}");
    }
    println!(
        "{:>8}  tamper cases over {} vectors (floor {floor})",
        suite.total,
        vectors.len()
    );
    if !suite.failures.is_empty() {
        for f in suite.failures.iter().take(30) {
            eprintln!("{f}");
        }
        panic!("{} of {} cases failed", suite.failures.len(), suite.total);
    }
    assert!(
        suite.total >= floor,
        "{} cases < floor {floor}",
        suite.total
    );
}

/// FORMAT.md 5.3 step 2: slot `i` is a cookie named `name.i` with `i` a canonical decimal, so
/// `name.+1` is some other cookie and must not count as chunk 1 (nor may the crate's `seal`
/// and `clear`, which only ever delete `name.1`, leave such a cookie to break every later open).
#[test]
fn a_plus_signed_chunk_index_is_another_cookie() {
    let doc: Value = serde_json::from_str(&std::fs::read_to_string(PATH).unwrap()).unwrap();
    let vectors: Vec<Vector> = doc["envelopes"]
        .as_array()
        .unwrap()
        .iter()
        .map(Vector::load)
        .collect();
    let single = vectors
        .iter()
        .find(|v| v.kind == Kind::Cookie && !v.chunked())
        .unwrap();
    let mut pairs = single.pairs.clone();
    pairs.push((format!("{}.+1", single.config.cookie_name), "AAAA".into()));
    assert_eq!(
        open_pairs(&single.codec, &pairs, single.now),
        Ok(Some(single.payload.clone())),
        "an unrelated cookie `name.+1` beside a whole value"
    );
    let chunked = vectors.iter().find(|v| v.chunked()).unwrap();
    let mut pairs = chunked.pairs.clone();
    pairs[1].0 = format!("{}.+1", chunked.config.cookie_name);
    assert_eq!(
        open_pairs(&chunked.codec, &pairs, chunked.now),
        Err(Error::Chunks(ChunkError::Missing { index: 1 })),
        "chunk 1 sent as `name.+1`"
    );
}
