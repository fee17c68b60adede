//! Writes the seed corpus of every fuzz target from real sealed values.
//!
//! ```text
//! cd fuzz && cargo run --release --example make_seeds [-- OUT_DIR]
//! ```
//!
//! `OUT_DIR` defaults to `fuzz/corpus`; each target's seeds go to `OUT_DIR/<target>/`, replacing
//! the files this program wrote before (other files are left alone). The output is deterministic
//! (fixed keys, times and randomness), so re-running it changes nothing unless the crate's wire
//! format changed.

use std::collections::BTreeMap;
use std::fs;
use std::path::PathBuf;
use std::time::{Duration, SystemTime};

use sealed_session::{Codec, Key, KeyId, Keyring, Mode, RequestCookies};
use sealed_session_fuzz::{
    KEYRING, KEYRING_TEXT, RoundtripInput, decode_roundtrip, encode_chunks, encode_roundtrip, now,
    target_codec,
};

/// Seeds by target, then by file name.
type Corpus = BTreeMap<&'static str, BTreeMap<String, Vec<u8>>>;

fn add(
    corpus: &mut Corpus,
    target: &'static str,
    name: impl Into<String>,
    data: impl Into<Vec<u8>>,
) {
    let previous = corpus
        .entry(target)
        .or_default()
        .insert(name.into(), data.into());
    assert!(previous.is_none(), "two seeds share one name");
}

/// A postcard encoding of a `Vec<String>` (the targets' typed session) of about `size` bytes.
fn typed_payload(size: usize, tag: u8) -> Vec<u8> {
    let mut items = Vec::new();
    let mut left = size.max(8);
    let mut i = 0usize;
    while left > 4 {
        let len = (left - 3).min(100 + (i * 37) % 60);
        let item: String = (0..len)
            .map(|j| char::from(b'a' + ((j + i + usize::from(tag)) % 26) as u8))
            .collect();
        left = left.saturating_sub(len + if len < 128 { 1 } else { 2 });
        items.push(item);
        i += 1;
    }
    let mut out = Vec::new();
    varint(items.len(), &mut out);
    for item in &items {
        varint(item.len(), &mut out);
        out.extend_from_slice(item.as_bytes());
    }
    out
}

fn varint(mut n: usize, out: &mut Vec<u8>) {
    while n >= 0x80 {
        out.push((n as u8) | 0x80);
        n >>= 7;
    }
    out.push(n as u8);
}

fn single_key_ring(id: u32, byte: u8) -> Keyring {
    Keyring::new([Key::new(KeyId::new(id), [byte; 32])]).expect("one key")
}

/// Seals `payload` and returns the `name=value` pairs of the cookies, in chunk order.
fn seal_pairs(codec: &Codec<()>, payload: &[u8], at: SystemTime) -> Vec<String> {
    let sealed = codec
        .seal_bytes(payload, None, &RequestCookies::new(), at)
        .expect("seed payloads fit the budget");
    sealed.headers()[..sealed.chunk_count()]
        .iter()
        .map(|l| l.split(';').next().unwrap().to_owned())
        .collect()
}

fn value_of(pair: &str) -> &str {
    pair.split_once('=').unwrap().1
}

/// The smallest typed payload that seals into `chunks` cookies under the targets' codec.
fn payload_for_chunks(chunks: usize, tag: u8) -> Vec<u8> {
    let codec = target_codec::<()>(Mode::Encrypted, KEYRING.clone(), 0);
    (1..40)
        .map(|k| typed_payload(k * 100, tag))
        .find(|p| {
            let sealed = codec
                .seal_bytes(p, None, &RequestCookies::new(), now())
                .unwrap();
            sealed.chunk_count() == chunks
        })
        .expect("a payload size for every chunk count")
}

fn cookie_seeds(corpus: &mut Corpus) {
    let mut seed = 100;
    for (mode, m) in [(Mode::Encrypted, "enc"), (Mode::Signed, "sig")] {
        for chunks in 1..=4 {
            seed += 1;
            let codec = target_codec::<()>(mode, KEYRING.clone(), seed);
            let pairs = seal_pairs(&codec, &payload_for_chunks(chunks, seed as u8), now());
            assert_eq!(pairs.len(), chunks);
            let header = pairs.join("; ");
            add(
                corpus,
                "open_cookie_header",
                format!("{m}-{chunks}chunk"),
                header.clone(),
            );
            let mut reversed = pairs.clone();
            reversed.reverse();
            let mixed = format!("theme=dark; {}; lang=\"en\"", reversed.join(";"));
            add(
                corpus,
                "open_cookie_header",
                format!("{m}-{chunks}chunk-reordered"),
                mixed,
            );
            if chunks > 1 {
                // Split across two header lines, as HTTP/2 may send them.
                let (a, b) = pairs.split_at(1);
                let split = format!("{}\n{}", a.join("; "), b.join("; "));
                add(
                    corpus,
                    "open_cookie_header",
                    format!("{m}-{chunks}chunk-2headers"),
                    split,
                );
            }
            let records: Vec<(u8, &str)> = pairs
                .iter()
                .enumerate()
                .map(|(i, p)| (i as u8, value_of(p)))
                .collect();
            add(
                corpus,
                "join_chunks",
                format!("{m}-{chunks}chunk"),
                encode_chunks(records.clone()),
            );
            if chunks >= 2 {
                let mut rev = records.clone();
                rev.reverse();
                add(
                    corpus,
                    "join_chunks",
                    format!("{m}-{chunks}chunk-reversed"),
                    encode_chunks(rev),
                );
                let mut dup = records.clone();
                dup.push(records[1]);
                add(
                    corpus,
                    "join_chunks",
                    format!("{m}-{chunks}chunk-duplicate"),
                    encode_chunks(dup),
                );
                let mut extra = records.clone();
                extra.push((chunks as u8, records[1].1));
                add(
                    corpus,
                    "join_chunks",
                    format!("{m}-{chunks}chunk-extra"),
                    encode_chunks(extra),
                );
                let missing: Vec<_> = records.iter().copied().filter(|r| r.0 != 1).collect();
                add(
                    corpus,
                    "join_chunks",
                    format!("{m}-{chunks}chunk-missing"),
                    encode_chunks(missing),
                );
                // Chunks of two seals of the same session size: mixed generations.
                let other = seal_pairs(&codec, &payload_for_chunks(chunks, seed as u8), now());
                let mut mixed = records.clone();
                mixed[1].1 = value_of(&other[1]);
                add(
                    corpus,
                    "join_chunks",
                    format!("{m}-{chunks}chunk-mixed"),
                    encode_chunks(mixed),
                );
            }
        }
        // Out-of-range chunk names beside a whole value.
        let codec = target_codec::<()>(mode, KEYRING.clone(), 150);
        let pairs = seal_pairs(&codec, b"\x01\x05alice", now());
        let v = value_of(&pairs[0]);
        add(
            corpus,
            "join_chunks",
            format!("{m}-1chunk-index16"),
            encode_chunks([(0, v), (16, v)]),
        );
    }

    // Values that open to each error: other keys, times, names and purposes.
    let enc = |ring: Keyring| target_codec::<()>(Mode::Encrypted, ring, 200);
    let payload = typed_payload(40, 1);
    let minute = Duration::from_secs(60);
    let cases: Vec<(&str, Vec<String>)> = vec![
        (
            "old-key",
            seal_pairs(&enc(single_key_ring(0xa, 1)), &payload, now()),
        ),
        (
            "staged-key",
            seal_pairs(&enc(single_key_ring(0xc, 3)), &payload, now()),
        ),
        (
            "retired-key",
            seal_pairs(&enc(single_key_ring(0xd, 4)), &payload, now()),
        ),
        (
            "unknown-key",
            seal_pairs(&enc(single_key_ring(0xe, 5)), &payload, now()),
        ),
        (
            "expired",
            seal_pairs(
                &enc(KEYRING.clone()),
                &payload,
                now() - 3 * 24 * 60 * minute,
            ),
        ),
        (
            "future",
            seal_pairs(&enc(KEYRING.clone()), &payload, now() + 60 * minute),
        ),
        (
            "idle-refresh",
            seal_pairs(&enc(KEYRING.clone()), &payload, now() - 90 * minute),
        ),
        (
            "empty-payload",
            seal_pairs(&enc(KEYRING.clone()), b"", now()),
        ),
        ("other-purpose", {
            let c = Codec::<()>::builder(KEYRING.clone())
                .purpose("billing")
                .max_cookie_bytes(sealed_session_fuzz::COOKIE_TARGET_MAX_COOKIE_BYTES)
                .build()
                .unwrap();
            seal_pairs(&c, &payload, now())
        }),
    ];
    for (name, pairs) in &cases {
        add(
            corpus,
            "open_cookie_header",
            format!("enc-{name}"),
            pairs.join("; "),
        );
        add(
            corpus,
            "open_token",
            format!("enc-{name}"),
            value_of(&pairs[0]).to_owned(),
        );
    }
    add(
        corpus,
        "open_cookie_header",
        "no-session",
        "theme=dark; lang=en",
    );
    add(
        corpus,
        "open_cookie_header",
        "odd-syntax",
        " ;;\t__Host-session = \"AQ\" ;__Host-session.01=x; =y; z",
    );
}

fn token_seeds(corpus: &mut Corpus) {
    for (mode, m) in [(Mode::Encrypted, "enc"), (Mode::Signed, "sig")] {
        for (i, size) in [0usize, 30, 500, 3000].into_iter().enumerate() {
            let codec = target_codec::<()>(mode, KEYRING.clone(), 300 + i as u64);
            let token = codec
                .seal_token_bytes(&typed_payload(size, i as u8), None, now())
                .unwrap();
            add(corpus, "open_token", format!("{m}-{size}"), token);
        }
    }
    // Over the 8192-character budget.
    add(corpus, "open_token", "too-long", "A".repeat(8200));
    add(corpus, "open_token", "not-base64", "AQID*+/=");
}

fn keyring_seeds(corpus: &mut Corpus) {
    add(corpus, "keyring_text", "fixed", KEYRING_TEXT);
    add(
        corpus,
        "keyring_text",
        "fixed-newline",
        format!("{KEYRING_TEXT}\r\n"),
    );
    for (i, entry) in KEYRING_TEXT.split(',').skip(1).enumerate() {
        add(
            corpus,
            "keyring_text",
            format!("single-{i}"),
            format!("ssk1,{entry}"),
        );
    }
    let full: Vec<String> = (0..16u8)
        .map(|i| {
            let ring = Keyring::new([Key::new(KeyId::new(u32::from(i) + 1), [i; 32])
                .with_not_before(
                    SystemTime::UNIX_EPOCH + Duration::from_secs(1_000_000 * u64::from(i) + 1),
                )])
            .unwrap();
            ring.to_text()[5..].to_owned()
        })
        .collect();
    add(
        corpus,
        "keyring_text",
        "sixteen-keys",
        format!("ssk1,{}", full.join(",")),
    );
    add(
        corpus,
        "keyring_text",
        "seventeen-keys",
        format!("ssk1,{},{}", full.join(","), full[0]),
    );
    let s = "AQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQE";
    let invalid = [
        ("empty", String::new()),
        ("header-only", "ssk1".to_owned()),
        ("upper-hex-id", format!("ssk1,0000000A.{s}")),
        ("short-secret", format!("ssk1,0000000a.{}", &s[1..])),
        (
            "noncanonical-secret",
            format!("ssk1,0000000a.{}F", &s[..42]),
        ),
        ("leading-zero-date", format!("ssk1,0000000a.{s}.nb01")),
        ("dates-reversed", format!("ssk1,0000000a.{s}.na2.nb1")),
        (
            "date-past-9999",
            format!("ssk1,0000000a.{s}.nb253402300800"),
        ),
        (
            "max-date",
            format!("ssk1,0000000a.{s}.nb253402300798.na253402300799"),
        ),
        (
            "duplicate-id",
            format!("ssk1,0000000a.{s},0000000a.{s}.nb5"),
        ),
        ("same-not-before", format!("ssk1,0000000a.{s},0000000b.{s}")),
        ("nb-after-na", format!("ssk1,0000000a.{s}.nb5.na5")),
        ("trailing-comma", format!("ssk1,0000000a.{s},")),
        ("not-yet-sealing", format!("ssk1,0000000a.{s}.nb1900000000")),
        ("all-retired", format!("ssk1,0000000a.{s}.na1")),
    ];
    for (name, text) in invalid {
        add(corpus, "keyring_text", name, text);
    }
}

fn roundtrip_seeds(corpus: &mut Corpus) {
    let base = RoundtripInput {
        signed: false,
        name: 0,
        max_cookie_bytes: 3000, // 4000 after mapping
        max_total_bytes: 6044,  // 6144
        stale_chunks: 0,
        reorder: 0,
        purpose: "session".to_owned(),
        payload: Vec::new(),
    };
    let cases = [
        ("empty", RoundtripInput { ..base.clone() }),
        (
            "small-signed",
            RoundtripInput {
                signed: true,
                payload: b"hello".to_vec(),
                ..base.clone()
            },
        ),
        (
            "1k-name-s",
            RoundtripInput {
                name: 3,
                payload: typed_payload(1000, 1),
                ..base.clone()
            },
        ),
        (
            "3k-2chunks-stale",
            RoundtripInput {
                stale_chunks: 5,
                reorder: 0x81,
                payload: typed_payload(3000, 2),
                ..base.clone()
            },
        ),
        (
            "4k-small-cookies",
            RoundtripInput {
                name: 5,
                max_cookie_bytes: 0,
                max_total_bytes: 20000,
                reorder: 0x42,
                payload: typed_payload(4000, 3),
                ..base.clone()
            },
        ),
        (
            "too-large",
            RoundtripInput {
                signed: true,
                name: 1,
                purpose: String::new(),
                payload: vec![7; 6000],
                ..base.clone()
            },
        ),
        (
            "12k-max-limits",
            RoundtripInput {
                max_cookie_bytes: 3096,
                max_total_bytes: 65436,
                stale_chunks: 15,
                purpose: "shop/cart\u{e9}".to_owned(),
                payload: typed_payload(12000, 4),
                ..base.clone()
            },
        ),
        (
            "tiny-budget",
            RoundtripInput {
                max_total_bytes: 0,
                payload: vec![1; 10],
                ..base.clone()
            },
        ),
        (
            "long-purpose",
            RoundtripInput {
                purpose: "p".repeat(255),
                payload: vec![2; 50],
                ..base.clone()
            },
        ),
        (
            "purpose-too-long",
            RoundtripInput {
                purpose: "p".repeat(256),
                ..base.clone()
            },
        ),
    ];
    for (name, input) in cases {
        let data = encode_roundtrip(&input);
        assert_eq!(decode_roundtrip(&data).as_ref(), Some(&input), "{name}");
        add(corpus, "roundtrip", name, data);
    }
}

/// How the encrypted and signed target codecs open a seed, to check that seeds reach as deep
/// as intended.
fn outcome(target: &str, data: &[u8]) -> String {
    let text = String::from_utf8_lossy(data);
    [Mode::Encrypted, Mode::Signed]
        .into_iter()
        .map(|mode| {
            let codec = target_codec::<()>(mode, KEYRING.clone(), 0);
            let result = if target == "open_token" {
                codec
                    .open_token_bytes(&text, now())
                    .map(|o| Some(o.metadata))
            } else {
                let request: RequestCookies<'_> = text.split('\n').collect();
                codec
                    .open_bytes(&request, now())
                    .map(|o| o.map(|o| o.metadata))
            };
            match result {
                Ok(Some(meta)) => format!("{mode:?}: opened (reseal {:?})", meta.reseal_reason()),
                Ok(None) => format!("{mode:?}: none"),
                Err(e) => format!("{mode:?}: {e}"),
            }
        })
        .collect::<Vec<_>>()
        .join(" / ")
}

fn main() {
    let out: PathBuf = std::env::args_os()
        .nth(1)
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("corpus"));
    let mut corpus = Corpus::new();
    cookie_seeds(&mut corpus);
    token_seeds(&mut corpus);
    keyring_seeds(&mut corpus);
    roundtrip_seeds(&mut corpus);
    let mut total = 0;
    for (target, seeds) in &corpus {
        let dir = out.join(target);
        fs::create_dir_all(&dir).expect("create the corpus directory");
        for (name, data) in seeds {
            fs::write(dir.join(name), data).expect("write a seed");
            total += data.len();
        }
        println!("{target}: {} seeds", seeds.len());
        if *target == "open_cookie_header" || *target == "open_token" {
            for (name, data) in seeds {
                println!("  {name}: {}", outcome(target, data));
            }
        }
    }
    println!("{total} bytes in {}", out.display());
}
