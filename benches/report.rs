//! The measurements criterion does not take: bytes on the wire, heap allocations per seal and
//! per open (a counting global allocator), and throughput on 2 threads against 1. Prints
//! markdown tables and writes `target/bench-report.json` for `scripts/bench-summary.py`.
//! Run with `cargo bench --bench report`.

mod common;

use std::alloc::{GlobalAlloc, Layout, System};
use std::hint::black_box;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::Instant;

use common::*;
use sealed_session::{Codec, Mode, RequestCookies};

/// Counts allocation calls (`alloc` and `realloc`) made while `COUNTING` is on.
struct Counting;

static ALLOCATIONS: AtomicUsize = AtomicUsize::new(0);
/// Off while threads are timed: a counter shared by both threads would itself stop the scaling.
static COUNTING: AtomicBool = AtomicBool::new(true);

fn count() {
    if COUNTING.load(Ordering::Relaxed) {
        ALLOCATIONS.fetch_add(1, Ordering::Relaxed);
    }
}

unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        count();
        unsafe { System.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        unsafe { System.dealloc(ptr, layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        count();
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

/// Allocation calls made by `f`, the minimum over a few runs (the first may initialize lazies).
fn allocations<R>(mut f: impl FnMut() -> R) -> usize {
    (0..5)
        .map(|_| {
            let before = ALLOCATIONS.load(Ordering::Relaxed);
            black_box(f());
            ALLOCATIONS.load(Ordering::Relaxed) - before
        })
        .min()
        .unwrap()
}

fn value_bytes(lines: &[String]) -> usize {
    lines
        .iter()
        .filter(|l| !l.contains("Max-Age=0"))
        .map(|l| {
            l.split(';')
                .next()
                .unwrap()
                .split_once('=')
                .unwrap()
                .1
                .len()
        })
        .sum()
}

fn cookie_private_value(json: &str) -> String {
    let mut jar = cookie::CookieJar::new();
    jar.private_mut(&cookie_key())
        .add(cookie::Cookie::new("session", json.to_owned()));
    jar.get("session").unwrap().value().to_owned()
}

fn cookie_signed_value(json: &str) -> String {
    let mut jar = cookie::CookieJar::new();
    jar.signed_mut(&cookie_key())
        .add(cookie::Cookie::new("session", json.to_owned()));
    jar.get("session").unwrap().value().to_owned()
}

fn main() {
    // `cargo bench` passes `--bench`; nothing to parse.
    let session = reference_session();
    let json = serde_json::to_string(&session).unwrap();
    let mut report = serde_json::Map::new();

    // Wire size.
    println!("## Bytes on the wire (Set-Cookie values, summed over chunks)\n");
    println!(
        "| payload | ours encrypted | ours signed | cookie private | cookie signed | ours enc / cookie private |"
    );
    println!("|---|---|---|---|---|---|");
    let enc: Codec<ReferenceSession> = codec(Mode::Encrypted);
    let sig: Codec<ReferenceSession> = codec(Mode::Signed);
    let ours_enc = value_bytes(
        enc.seal(&session, None, &empty_request(), now())
            .unwrap()
            .headers(),
    );
    let ours_sig = value_bytes(
        sig.seal(&session, None, &empty_request(), now())
            .unwrap()
            .headers(),
    );
    let jar_enc = cookie_private_value(&json).len();
    let jar_sig = cookie_signed_value(&json).len();
    println!(
        "| reference session ({} B postcard, {} B JSON) | {ours_enc} | {ours_sig} | {jar_enc} | {jar_sig} | {:.0}% |",
        postcard::to_allocvec(&session).unwrap().len(),
        json.len(),
        100.0 * ours_enc as f64 / jar_enc as f64
    );
    report.insert("wire_reference_ours".into(), ours_enc.into());
    report.insert("wire_reference_cookie_private".into(), jar_enc.into());
    let raw_enc: Codec<()> = codec(Mode::Encrypted);
    let raw_sig: Codec<()> = codec(Mode::Signed);
    let mut sizes = Vec::new();
    for &len in &SIZES {
        let data = payload(len);
        let text: String = data.iter().map(|b| char::from(b'a' + b % 26)).collect();
        let e = value_bytes(
            raw_enc
                .seal_bytes(&data, None, &empty_request(), now())
                .unwrap()
                .headers(),
        );
        let s = value_bytes(
            raw_sig
                .seal_bytes(&data, None, &empty_request(), now())
                .unwrap()
                .headers(),
        );
        let p = cookie_private_value(&text).len();
        let g = cookie_signed_value(&text).len();
        println!(
            "| {len} B raw | {e} | {s} | {p} | {g} | {:.0}% |",
            100.0 * e as f64 / p as f64
        );
        sizes.push(serde_json::json!({"len": len, "ours_encrypted": e, "ours_signed": s, "cookie_private": p, "cookie_signed": g}));
    }
    report.insert("wire_sizes".into(), sizes.into());

    // Allocations.
    println!("\n## Heap allocations (alloc + realloc calls), reference session\n");
    let deser_only = {
        let bytes = postcard::to_allocvec(&session).unwrap();
        allocations(|| postcard::from_bytes::<ReferenceSession>(&bytes).unwrap())
    };
    println!("| operation | total | of which `T` itself | ours |");
    println!("|---|---|---|---|");
    for (label, codec) in [("encrypted", &enc), ("signed", &sig)] {
        let lines = codec.seal(&session, None, &empty_request(), now()).unwrap();
        let header = cookie_header(lines.headers());
        let seal = allocations(|| codec.seal(&session, None, &empty_request(), now()).unwrap());
        let open = allocations(|| {
            codec
                .open(&RequestCookies::from_header(&header), now())
                .unwrap()
                .unwrap()
        });
        println!("| seal ({label}) | {seal} | 0 | {seal} |");
        println!(
            "| open ({label}) | {open} | {deser_only} | {} |",
            open - deser_only
        );
        report.insert(format!("allocs_seal_{label}"), seal.into());
        report.insert(format!("allocs_open_{label}"), (open - deser_only).into());
    }

    // Thread scaling.
    println!("\n## Round trips per second, reference session, encrypted\n");
    let iterations = 300_000;
    let run = |threads: usize| -> f64 {
        let start = Instant::now();
        std::thread::scope(|scope| {
            for _ in 0..threads {
                let codec = enc.clone();
                let session = &session;
                scope.spawn(move || {
                    for _ in 0..iterations {
                        let lines = codec.seal(session, None, &empty_request(), now()).unwrap();
                        let header = cookie_header(lines.headers());
                        black_box(
                            codec
                                .open(&RequestCookies::from_header(&header), now())
                                .unwrap(),
                        );
                    }
                });
            }
        });
        (threads * iterations) as f64 / start.elapsed().as_secs_f64()
    };
    COUNTING.store(false, Ordering::Relaxed);
    run(1); // warm up
    let one = run(1);
    let two = run(2);
    // The machine's own ceiling: ring's AES-256-GCM seal and open of 256 bytes, which shares
    // nothing between threads, on 1 and 2 threads.
    let floor = |threads: usize| -> f64 {
        use ring::aead::{AES_256_GCM, Aad, LessSafeKey, Nonce, UnboundKey};
        let start = Instant::now();
        std::thread::scope(|scope| {
            for _ in 0..threads {
                scope.spawn(|| {
                    let key = LessSafeKey::new(UnboundKey::new(&AES_256_GCM, &[7; 32]).unwrap());
                    let mut buf = vec![0u8; 256];
                    for i in 0..iterations * 4 {
                        let mut nonce = [0u8; 12];
                        nonce[..8].copy_from_slice(&(i as u64).to_le_bytes());
                        let tag = key
                            .seal_in_place_separate_tag(
                                Nonce::assume_unique_for_key(nonce),
                                Aad::empty(),
                                &mut buf,
                            )
                            .unwrap();
                        let _sealed = black_box(tag);
                    }
                });
            }
        });
        (threads * iterations * 4) as f64 / start.elapsed().as_secs_f64()
    };
    let floor_one = floor(1);
    let floor_two = floor(2);
    println!("| threads | round trips/s | ring AES-GCM 256 B seals/s |\n|---|---|---|");
    println!("| 1 | {one:.0} | {floor_one:.0} |\n| 2 | {two:.0} | {floor_two:.0} |");
    println!(
        "\nscaling: {:.2}x (the machine itself, on work that shares nothing: {:.2}x)",
        two / one,
        floor_two / floor_one
    );
    report.insert("floor_throughput_1".into(), floor_one.into());
    report.insert("floor_throughput_2".into(), floor_two.into());
    report.insert("throughput_1".into(), one.into());
    report.insert("throughput_2".into(), two.into());

    let dir = std::env::var("CARGO_TARGET_DIR").unwrap_or_else(|_| "target".into());
    let path = std::path::Path::new(&dir).join("bench-report.json");
    std::fs::write(&path, serde_json::to_string_pretty(&report).unwrap()).unwrap();
    println!("\nwrote {}", path.display());
}
