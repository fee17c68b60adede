//! Shared fixtures and oracles of the `sealed-session` fuzz targets.
//!
//! The targets in `fuzz_targets/` are a few lines each and call into this file, which only uses
//! the crate's public API. `examples/make_seeds.rs` uses the same fixtures to write the seed
//! corpus, so the seeds are real sealed values that these exact codecs open.

pub mod layer;
pub mod lifetimes;
pub mod model;
pub mod v1;

use std::sync::Arc;
use std::sync::LazyLock;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use arbitrary::Arbitrary;
use sealed_session::{Codec, Error, Keyring, Mode, RandomSource, RequestCookies};

/// Unix seconds of the fixed "now" of every target (2027-01-15T08:00:00Z).
pub const NOW_UNIX: u64 = 1_800_000_000;

/// The fixed "now" of every target.
pub fn now() -> SystemTime {
    UNIX_EPOCH + Duration::from_secs(NOW_UNIX)
}

/// The fixed keyring: an old key (opens only), the primary at [`now`], a staged key whose
/// `not_before` is after [`now`] (opens, does not seal yet) and a retired key (past
/// `not_after`: neither seals nor opens).
pub const KEYRING_TEXT: &str = "ssk1,\
0000000a.AQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQE,\
0000000b.AgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgI.nb1700000000,\
0000000c.AwMDAwMDAwMDAwMDAwMDAwMDAwMDAwMDAwMDAwMDAwM.nb1900000000,\
0000000d.BAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQ.nb1600000000.na1750000000";

/// The cookie-opening targets' per-cookie limit: small, so a few KB of session make 2 to 5
/// chunks and the fuzzer works on short inputs.
pub const COOKIE_TARGET_MAX_COOKIE_BYTES: usize = 1024;
/// The cookie-opening targets' total budget.
pub const COOKIE_TARGET_MAX_TOTAL_BYTES: usize = 8192;

/// The fixed keyring, parsed once.
pub static KEYRING: LazyLock<Keyring> =
    LazyLock::new(|| Keyring::from_text(KEYRING_TEXT).expect("the fixed keyring parses"));

/// Deterministic randomness (splitmix64 from a seed), so a crash input reproduces exactly and
/// the seed corpus is the same on every run of `make_seeds`. Never use this outside tests.
#[derive(Debug, Default)]
pub struct CountingRandom(AtomicU64);

impl CountingRandom {
    /// A stream starting at `seed`.
    pub fn new(seed: u64) -> Self {
        CountingRandom(AtomicU64::new(seed))
    }
}

impl RandomSource for CountingRandom {
    fn fill(&self, dest: &mut [u8]) -> Result<(), Error> {
        for chunk in dest.chunks_mut(8) {
            let mut z = self.0.fetch_add(0x9e37_79b9_7f4a_7c15, Ordering::Relaxed);
            z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
            z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
            z ^= z >> 31;
            chunk.copy_from_slice(&z.to_le_bytes()[..chunk.len()]);
        }
        Ok(())
    }
}

/// The codec the cookie and token targets open with: default name, purpose, attributes and
/// expiry; the limits above; `mode`; `keyring`.
pub fn target_codec<T>(mode: Mode, keyring: Keyring, seed: u64) -> Codec<T> {
    Codec::<T>::builder(keyring)
        // Named explicitly (the default's value) so tokens open too.
        .purpose(sealed_session::DEFAULT_PURPOSE)
        .mode(mode)
        .max_cookie_bytes(COOKIE_TARGET_MAX_COOKIE_BYTES)
        .max_total_bytes(COOKIE_TARGET_MAX_TOTAL_BYTES)
        .random_source(Arc::new(CountingRandom::new(seed)))
        .build()
        .expect("the fixed codec configuration is valid")
}

/// The typed session the typed-open paths use (postcard: a length, then length-prefixed strings).
pub type TypedSession = Vec<String>;

struct Codecs {
    encrypted: Codec<()>,
    signed: Codec<()>,
    typed: Codec<TypedSession>,
    typed_signed: Codec<TypedSession>,
}

static CODECS: LazyLock<Codecs> = LazyLock::new(|| Codecs {
    encrypted: target_codec(Mode::Encrypted, KEYRING.clone(), 1),
    signed: target_codec(Mode::Signed, KEYRING.clone(), 2),
    typed: target_codec(Mode::Encrypted, KEYRING.clone(), 3),
    typed_signed: target_codec(Mode::Signed, KEYRING.clone(), 4),
});

/// Opens `request` with every fixed codec and clears it. Any outcome but a panic is fine.
pub fn open_request(request: &RequestCookies<'_>) {
    let c = &*CODECS;
    let _ = c.encrypted.open_bytes(request, now());
    let _ = c.signed.open_bytes(request, now());
    let _ = c.typed.open(request, now());
    let _ = c.typed_signed.open(request, now());
    let _ = c.encrypted.clear(request);
}

/// Chunk indices in `join_chunks` inputs are taken modulo this: 0..=15 are chunk names, 16..=19
/// look like chunk names but are out of range.
pub const JOIN_INDEX_MODULUS: u8 = 20;

/// Decodes a `join_chunks` input: newline-separated records, each one index byte (taken modulo
/// [`JOIN_INDEX_MODULUS`]) followed by the cookie value. Returns the `Cookie` header built with the
/// names `__Host-session` (index 0) and `__Host-session.N`.
pub fn chunk_header(data: &[u8]) -> String {
    let mut header = String::new();
    for record in data.split(|&b| b == b'\n') {
        let Some((&index, value)) = record.split_first() else {
            continue;
        };
        if !header.is_empty() {
            header.push_str("; ");
        }
        header.push_str(sealed_session::DEFAULT_COOKIE_NAME);
        match index % JOIN_INDEX_MODULUS {
            0 => {}
            i => header.push_str(&format!(".{i}")),
        }
        header.push('=');
        header.push_str(&String::from_utf8_lossy(value));
    }
    header
}

/// Encodes `(index, value)` pairs as a `join_chunks` input (the inverse of [`chunk_header`]).
pub fn encode_chunks<'a>(pairs: impl IntoIterator<Item = (u8, &'a str)>) -> Vec<u8> {
    let mut out = Vec::new();
    for (index, value) in pairs {
        if !out.is_empty() {
            out.push(b'\n');
        }
        out.push(index);
        out.extend_from_slice(value.as_bytes());
    }
    out
}

/// Opens `token` with every fixed codec. Any outcome but a panic is fine.
pub fn open_token(token: &str) {
    let c = &*CODECS;
    let _ = c.encrypted.open_token_bytes(token, now());
    let _ = c.signed.open_token_bytes(token, now());
    let _ = c.typed.open_token(token, now());
    let _ = c.typed_signed.open_token(token, now());
}

/// The `keyring_text` target: whatever parses renders to text that parses to an equal keyring
/// and renders identically; a keyring that can seal at a time opens what it sealed then.
pub fn keyring_text(text: &str) {
    let Ok(ring) = Keyring::from_text(text) else {
        return;
    };
    let rendered = ring.to_text();
    let back = Keyring::from_text(&rendered).expect("to_text output must parse");
    assert_eq!(ring, back, "keyring changed through to_text/from_text");
    assert_eq!(*rendered, *back.to_text(), "to_text is not stable");

    // Seal and open at now() and at each key's activation time.
    let mut times = vec![now()];
    times.extend(ring.keys().filter_map(|k| k.not_before()));
    let codec = Codec::<()>::builder(ring)
        .purpose("fuzz")
        .random_source(Arc::new(CountingRandom::new(5)))
        .build()
        .expect("the default configuration is valid");
    for now in times {
        match codec.seal_token_bytes(b"fuzz", None, now) {
            Ok(token) => {
                let opened = codec
                    .open_token_bytes(&token, now)
                    .expect("a fresh token opens");
                assert_eq!(opened.session, b"fuzz");
            }
            Err(Error::NoSealingKey) => {}
            // Times are clamped to 9999-12-31T23:59:59Z, so a key activated at the very end
            // of time leaves no lifetime for a cookie: documented, not a failure.
            Err(Error::Expired { at }) if at <= now => {}
            Err(e) => panic!("sealing failed with {e:?}"),
        }
    }
}

/// Cookie names the round trip chooses from (all valid with the default attributes).
pub const ROUNDTRIP_NAMES: &[&str] = &[
    "__Host-session",
    "__Secure-session",
    "session",
    "s",
    "SID_2",
    "a-rather-long-cookie-name-for-an-application-with-many-sessions-v2",
];

/// The round trip's configuration and payload. The fields map to the codec's settings:
/// `max_cookie_bytes` to 1000..=4096, `max_total_bytes` to 100..=65536, `stale_chunks` to the
/// number (0..=15) of chunk cookies `name.1`, ... the client already holds.
#[derive(Arbitrary, Debug, Clone, PartialEq, Eq)]
pub struct RoundtripInput {
    /// Signed when true, encrypted otherwise.
    pub signed: bool,
    /// Index into [`ROUNDTRIP_NAMES`] (modulo its length).
    pub name: u8,
    /// Raw per-cookie limit.
    pub max_cookie_bytes: u16,
    /// Raw total budget.
    pub max_total_bytes: u16,
    /// Chunk cookies held from an earlier, larger session: `seal` must delete those it no
    /// longer uses.
    pub stale_chunks: u8,
    /// Order of the cookies in the rebuilt `Cookie` header: rotated by the low bits, reversed
    /// when the top bit is set, and an unrelated cookie is mixed in when bit 6 is set.
    pub reorder: u8,
    /// The purpose string (over 255 bytes is a configuration error: skipped).
    pub purpose: String,
    /// The session bytes: all the input left (not `Vec`'s one-flag-per-byte encoding).
    #[arbitrary(with = take_rest)]
    pub payload: Vec<u8>,
}

impl RoundtripInput {
    /// The cookie name.
    pub fn cookie_name(&self) -> &'static str {
        ROUNDTRIP_NAMES[usize::from(self.name) % ROUNDTRIP_NAMES.len()]
    }

    /// The per-cookie limit, 1000..=4096.
    pub fn max_cookie(&self) -> usize {
        1000 + usize::from(self.max_cookie_bytes) % (4096 - 1000 + 1)
    }

    /// The total budget, 100..=65536.
    pub fn max_total(&self) -> usize {
        100 + usize::from(self.max_total_bytes) % (65536 - 100 + 1)
    }

    /// The codec, or `None` when the configuration is invalid (`InvalidConfig`).
    pub fn codec(&self) -> Option<Codec<()>> {
        let mode = if self.signed {
            Mode::Signed
        } else {
            Mode::Encrypted
        };
        let built = Codec::<()>::builder(KEYRING.clone())
            .cookie_name(self.cookie_name())
            .purpose(&self.purpose)
            .mode(mode)
            .max_cookie_bytes(self.max_cookie())
            .max_total_bytes(self.max_total())
            .random_source(Arc::new(CountingRandom::new(7)))
            .build();
        match built {
            Ok(codec) => Some(codec),
            Err(Error::InvalidConfig { .. }) => None,
            Err(e) => panic!("building the codec failed with {e:?}, not InvalidConfig"),
        }
    }
}

/// The `roundtrip` oracle: seal then open gives back exactly the payload, or sealing fails with
/// `TooLarge`; every `Set-Cookie` line fits the per-cookie limit; stale chunks are deleted; the
/// same holds for tokens (re-sealed with the metadata the cookie round trip returned).
pub fn roundtrip(input: &RoundtripInput) {
    let Some(codec) = input.codec() else {
        return;
    };
    let name = input.cookie_name();
    let stale = usize::from(input.stale_chunks % 16);
    let stale_header: Vec<String> = (1..=stale).map(|i| format!("{name}.{i}=old")).collect();
    let stale_header = stale_header.join("; ");
    let request = RequestCookies::from_header(&stale_header);

    let mut previous = None;
    match codec.seal_bytes(&input.payload, None, &request, now()) {
        Err(Error::TooLarge { .. }) => {}
        Err(e) => panic!("seal_bytes failed with {e:?}, not TooLarge"),
        Ok(sealed) => {
            let count = sealed.chunk_count();
            let lines = sealed.headers();
            assert!(
                (1..=sealed_session::MAX_CHUNKS).contains(&count),
                "chunk count {count}"
            );
            for line in lines {
                assert!(
                    line.len() <= input.max_cookie(),
                    "Set-Cookie line of {} bytes over the limit {}",
                    line.len(),
                    input.max_cookie()
                );
            }
            let expected_deleted = (1..=stale).filter(|&i| i >= count).count();
            assert_eq!(
                sealed.deleted_count(),
                expected_deleted,
                "deleted stale chunks"
            );
            assert_eq!(
                lines.len(),
                count + expected_deleted,
                "lines = chunks + deletions"
            );
            for line in &lines[count..] {
                assert!(
                    line.contains("Max-Age=0"),
                    "deletion line without Max-Age=0: {line}"
                );
            }
            let mut pairs: Vec<&str> = lines[..count]
                .iter()
                .map(|l| l.split(';').next().unwrap_or(""))
                .collect();
            let header = pairs.join("; ");
            assert_eq!(
                header.len(),
                sealed.cookie_header_bytes(),
                "cookie_header_bytes"
            );
            assert!(
                header.len() <= input.max_total(),
                "Cookie header over the total budget"
            );

            pairs.rotate_left(usize::from(input.reorder & 0x3f) % count);
            if input.reorder & 0x80 != 0 {
                pairs.reverse();
            }
            if input.reorder & 0x40 != 0 {
                pairs.insert(usize::from(input.reorder) % (count + 1), "theme=dark");
            }
            let header = pairs.join("; ");
            let opened = codec
                .open_bytes(&RequestCookies::from_header(&header), now())
                .unwrap_or_else(|e| panic!("open_bytes failed with {e:?}"))
                .expect("the session's cookies are present");
            assert!(
                opened.session == input.payload,
                "cookie round trip changed the payload"
            );
            assert_eq!(opened.metadata.session_id(), sealed.metadata().session_id());
            assert_eq!(opened.metadata.issued_at(), now());
            previous = Some(opened.metadata);
        }
    }

    match codec.seal_token_bytes(&input.payload, previous.as_ref(), now()) {
        Err(Error::TooLarge { .. }) => {}
        Err(e) => panic!("seal_token_bytes failed with {e:?}, not TooLarge"),
        Ok(token) => {
            assert!(
                token.len() <= input.max_total(),
                "token over the total budget"
            );
            assert!(
                token
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_'),
                "token is not base64url"
            );
            let opened = codec
                .open_token_bytes(&token, now())
                .unwrap_or_else(|e| panic!("open_token_bytes failed with {e:?}"));
            assert!(
                opened.session == input.payload,
                "token round trip changed the payload"
            );
            if let Some(previous) = &previous {
                assert_eq!(opened.metadata.session_id(), previous.session_id());
            }
        }
    }
}

/// Encodes a [`RoundtripInput`] as the bytes `arbitrary` decodes it from (used to write seeds;
/// `make_seeds` checks the decoding). Lengths are taken from the end of the data by `arbitrary`,
/// so the purpose's length goes last; its exact byte(s) are found by trying each value.
pub fn encode_roundtrip(input: &RoundtripInput) -> Vec<u8> {
    let mut head = vec![u8::from(input.signed), input.name];
    head.extend_from_slice(&input.max_cookie_bytes.to_le_bytes());
    head.extend_from_slice(&input.max_total_bytes.to_le_bytes());
    head.push(input.stale_chunks);
    head.push(input.reorder);
    head.extend_from_slice(input.purpose.as_bytes());
    head.extend_from_slice(&input.payload);
    let rest_len = input.purpose.len() + input.payload.len();
    let len_bytes = if rest_len < 256 { 1 } else { 2 };
    for candidate in 0..=u16::MAX {
        if len_bytes == 1 && candidate > 255 {
            break;
        }
        let mut data = head.clone();
        if len_bytes == 1 {
            data.push(candidate as u8);
        } else {
            data.extend_from_slice(&candidate.to_be_bytes());
        }
        if decode_roundtrip(&data).as_ref() == Some(input) {
            return data;
        }
    }
    panic!("no encoding found for {input:?}");
}

fn take_rest(u: &mut arbitrary::Unstructured<'_>) -> arbitrary::Result<Vec<u8>> {
    Ok(u.bytes(u.len())?.to_vec())
}

/// Decodes fuzz bytes as `libfuzzer-sys` does for the `roundtrip` target.
pub fn decode_roundtrip(data: &[u8]) -> Option<RoundtripInput> {
    RoundtripInput::arbitrary_take_rest(arbitrary::Unstructured::new(data)).ok()
}
