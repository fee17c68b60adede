//! Seal and open timings, side by side with the `cookie` crate's jars and the raw AES-256-GCM
//! floors, in one criterion run. `scripts/bench-summary.py` turns the results into the ratio
//! table of BENCHMARKS.md; run everything with `scripts/bench.sh`.

mod common;

use std::hint::black_box;

use base64::Engine;
use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use rand::Rng;

use common::*;
use sealed_session::{Codec, Keyring, Mode, RequestCookies};

fn b64() -> &'static base64::engine::Simd {
    static ENGINE: std::sync::OnceLock<base64::engine::Simd> = std::sync::OnceLock::new();
    ENGINE.get_or_init(|| base64::engine::Simd::url_safe(base64::engine::general_purpose::NO_PAD))
}

/// Ours: seal, open, and the round trip of one value.
fn ours<T: serde::Serialize + serde::de::DeserializeOwned>(
    c: &mut Criterion,
    group: &str,
    label: &str,
    codec: Codec<T>,
    value: &T,
) {
    let lines = codec
        .seal(value, None, &empty_request(), now())
        .unwrap()
        .into_headers();
    let header = cookie_header(&lines);
    let mut g = c.benchmark_group(group);
    g.bench_function(BenchmarkId::new("seal", label), |b| {
        b.iter(|| {
            codec
                .seal(black_box(value), None, &empty_request(), now())
                .unwrap()
        })
    });
    g.bench_function(BenchmarkId::new("open", label), |b| {
        b.iter(|| {
            codec
                .open(&RequestCookies::from_header(black_box(&header)), now())
                .unwrap()
                .unwrap()
        })
    });
    g.bench_function(BenchmarkId::new("roundtrip", label), |b| {
        b.iter(|| {
            let lines = codec
                .seal(black_box(value), None, &empty_request(), now())
                .unwrap();
            let header = cookie_header(lines.headers());
            codec
                .open(&RequestCookies::from_header(&header), now())
                .unwrap()
                .unwrap()
        })
    });
    g.finish();
}

/// The `cookie` crate: serde_json, then a PrivateJar or SignedJar, as its users do.
fn cookie_jar(c: &mut Criterion, group: &str, private: bool) {
    let label = if private {
        "cookie-private"
    } else {
        "cookie-signed"
    };
    let key = cookie_key();
    let session = reference_session();
    let seal = |s: &ReferenceSession| -> String {
        let json = serde_json::to_string(s).unwrap();
        let mut jar = cookie::CookieJar::new();
        if private {
            jar.private_mut(&key)
                .add(cookie::Cookie::new("session", json));
        } else {
            jar.signed_mut(&key)
                .add(cookie::Cookie::new("session", json));
        }
        jar.get("session").unwrap().value().to_owned()
    };
    let open = |value: &str| -> ReferenceSession {
        let mut jar = cookie::CookieJar::new();
        jar.add_original(cookie::Cookie::new("session", value.to_owned()));
        let plain = if private {
            jar.private(&key).get("session")
        } else {
            jar.signed(&key).get("session")
        };
        serde_json::from_str(plain.unwrap().value()).unwrap()
    };
    let sealed = seal(&session);
    let mut g = c.benchmark_group(group);
    g.bench_function(BenchmarkId::new("seal", label), |b| {
        b.iter(|| seal(black_box(&session)))
    });
    g.bench_function(BenchmarkId::new("open", label), |b| {
        b.iter(|| open(black_box(&sealed)))
    });
    g.bench_function(BenchmarkId::new("roundtrip", label), |b| {
        b.iter(|| open(&seal(black_box(&session))))
    });
    g.finish();
}

fn reference(c: &mut Criterion) {
    let session = reference_session();
    ours(
        c,
        "reference",
        "ours-encrypted",
        codec(Mode::Encrypted),
        &session,
    );
    ours(c, "reference", "ours-signed", codec(Mode::Signed), &session);
    // Bench-only: the same with the kernel's vDSO getrandom instead of the system call, what
    // `OsRandom` costs where the C library uses the vDSO (glibc 2.41+). Not a product option.
    if vdso_available() {
        let vdso = codec_vdso(Mode::Encrypted);
        ours(c, "reference", "ours-encrypted-vdso", vdso, &session);
    }
    cookie_jar(c, "reference", true);
    cookie_jar(c, "reference", false);
}

/// Raw AES-256-GCM with a cached key, a 96-bit nonce from a user-space CSPRNG, and base64url:
/// the cost of the cryptography and encoding alone.
fn floors(c: &mut Criterion) {
    use ring::aead::{AES_256_GCM, Aad, LessSafeKey, NONCE_LEN, Nonce, UnboundKey};
    let ring_key = LessSafeKey::new(UnboundKey::new(&AES_256_GCM, &[0x42; 32]).unwrap());
    let rc_key = {
        use aes_gcm::KeyInit;
        aes_gcm::Aes256Gcm::new(&[0x42; 32].into())
    };

    for &len in &SIZES {
        let data = payload(len);
        let mut g = c.benchmark_group("payload");
        g.throughput(Throughput::Bytes(len as u64));

        let ring_seal = |data: &[u8]| -> String {
            let mut nonce = [0u8; NONCE_LEN];
            rand::rng().fill_bytes(&mut nonce);
            let mut buf = Vec::with_capacity(NONCE_LEN + data.len() + 16);
            buf.extend_from_slice(&nonce);
            buf.extend_from_slice(data);
            let tag = ring_key
                .seal_in_place_separate_tag(
                    Nonce::assume_unique_for_key(nonce),
                    Aad::empty(),
                    &mut buf[NONCE_LEN..],
                )
                .unwrap();
            buf.extend_from_slice(tag.as_ref());
            b64().encode(&buf)
        };
        let ring_sealed = ring_seal(&data);
        g.bench_function(BenchmarkId::new("seal/floor-ring", len), |b| {
            b.iter(|| ring_seal(black_box(&data)))
        });
        g.bench_function(BenchmarkId::new("open/floor-ring", len), |b| {
            b.iter(|| {
                let mut buf = b64().decode(black_box(&ring_sealed)).unwrap();
                let (nonce, rest) = buf.split_at_mut(NONCE_LEN);
                let nonce = Nonce::try_assume_unique_for_key(nonce).unwrap();
                let plain = ring_key.open_in_place(nonce, Aad::empty(), rest).unwrap();
                plain.len()
            })
        });

        let rc_seal = |data: &[u8]| -> String {
            use aes_gcm::aead::AeadInOut;
            let mut nonce = [0u8; 12];
            rand::rng().fill_bytes(&mut nonce);
            let mut buf = Vec::with_capacity(12 + data.len() + 16);
            buf.extend_from_slice(&nonce);
            buf.extend_from_slice(data);
            let tag = rc_key
                .encrypt_inout_detached((&nonce).into(), b"", (&mut buf[12..]).into())
                .unwrap();
            buf.extend_from_slice(&tag);
            b64().encode(&buf)
        };
        let rc_sealed = rc_seal(&data);
        g.bench_function(BenchmarkId::new("seal/floor-rustcrypto", len), |b| {
            b.iter(|| rc_seal(black_box(&data)))
        });
        g.bench_function(BenchmarkId::new("open/floor-rustcrypto", len), |b| {
            use aes_gcm::aead::AeadInOut;
            b.iter(|| {
                let mut buf = b64().decode(black_box(&rc_sealed)).unwrap();
                let (nonce, rest) = buf.split_at_mut(12);
                let (body, tag) = rest.split_at_mut(rest.len() - 16);
                let tag: &[u8; 16] = (&*tag).try_into().unwrap();
                let nonce: &[u8; 12] = (&*nonce).try_into().unwrap();
                rc_key
                    .decrypt_inout_detached(nonce.into(), b"", body.into(), tag.into())
                    .unwrap();
                body.len()
            })
        });

        let codecs: [(&str, Codec<()>); 3] = [
            ("ours-encrypted", codec(Mode::Encrypted)),
            ("ours-signed", codec(Mode::Signed)),
            ("ours-encrypted-vdso", codec_vdso(Mode::Encrypted)),
        ];
        for (label, codec) in codecs {
            let lines = codec
                .seal_bytes(&data, None, &empty_request(), now())
                .unwrap();
            let header = cookie_header(lines.headers());
            g.bench_function(BenchmarkId::new(format!("seal/{label}"), len), |b| {
                b.iter(|| {
                    codec
                        .seal_bytes(black_box(&data), None, &empty_request(), now())
                        .unwrap()
                })
            });
            g.bench_function(BenchmarkId::new(format!("open/{label}"), len), |b| {
                b.iter(|| {
                    codec
                        .open_bytes(&RequestCookies::from_header(black_box(&header)), now())
                        .unwrap()
                        .unwrap()
                })
            });
        }

        // The `cookie` crate on the same bytes as an ASCII string (no JSON): its crypto path alone.
        let key = cookie_key();
        let text: String = data.iter().map(|b| char::from(b'a' + b % 26)).collect();
        let jar_seal = |text: &str| -> String {
            let mut jar = cookie::CookieJar::new();
            jar.private_mut(&key)
                .add(cookie::Cookie::new("session", text.to_owned()));
            jar.get("session").unwrap().value().to_owned()
        };
        let jar_sealed = jar_seal(&text);
        g.bench_function(BenchmarkId::new("seal/cookie-private", len), |b| {
            b.iter(|| jar_seal(black_box(&text)))
        });
        g.bench_function(BenchmarkId::new("open/cookie-private", len), |b| {
            b.iter(|| {
                let mut jar = cookie::CookieJar::new();
                jar.add_original(cookie::Cookie::new(
                    "session",
                    black_box(&jar_sealed).clone(),
                ));
                jar.private(&key).get("session").unwrap().value().len()
            })
        });
        g.finish();
    }
}

/// The per-message key derivation XAES-256-GCM adds to AES-256-GCM: two AES blocks under the
/// cached key and one AES-256-GCM key setup (key schedule and GHASH key).
fn derivation_floor(c: &mut Criterion) {
    use aes::cipher::{BlockCipherEncrypt, KeyInit};
    let aes = aes::Aes256::new(&[0x42; 32].into());
    let mut g = c.benchmark_group("derivation");
    g.bench_function("xaes-key-derivation", |b| {
        b.iter(|| {
            let mut k = [[0u8; 16]; 2];
            k[0][1] = 1;
            k[1][1] = 2;
            for block in &mut k {
                aes.encrypt_block(block.into());
            }
            let mut key = [0u8; 32];
            key[..16].copy_from_slice(&k[0]);
            key[16..].copy_from_slice(&k[1]);
            black_box(<aes_gcm::Aes256Gcm as aes_gcm::KeyInit>::new(&key.into()))
        })
    });
    g.bench_function("getrandom-40-bytes", |b| {
        b.iter(|| {
            let mut buf = [0u8; 40];
            sealed_session::RandomSource::fill(&sealed_session::OsRandom, &mut buf).unwrap();
            buf
        })
    });
    g.finish();
}

criterion_group! {
    name = benches;
    config = Criterion::default()
        .warm_up_time(std::time::Duration::from_millis(300))
        .measurement_time(std::time::Duration::from_secs(1))
        .sample_size(30);
    targets = reference, floors, derivation_floor, keyring_load
}
criterion_main!(benches);

/// What a replaceable keyring adds to every seal and open, bounded from above: `Codec::keyring`
/// loads the keyring and clones its `Arc` (an atomic increment and decrement), while seals and
/// opens load it through arc-swap's guard, which skips the reference count (BENCHMARKS.md,
/// "Keyring reload").
fn keyring_load(c: &mut Criterion) {
    let codec = Codec::<u32>::builder(Keyring::generate().unwrap())
        .build()
        .unwrap();
    let mut g = c.benchmark_group("keyring");
    g.bench_function("load-snapshot", |b| b.iter(|| black_box(&codec).keyring()));
    g.finish();
}
