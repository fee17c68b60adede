//! Resource bounds: hostile requests are rejected without work or memory proportional to what
//! the client sent, and the memory `open` allocates is bounded by the codec's total budget.
//!
//! A counting global allocator tracks the bytes currently allocated and their peak. Every case
//! runs inside `measure`, which reports the peak of (allocated now - allocated at the start), and
//! asserts it stays below the bound derived from the code:
//!
//! * `open` computes the request's session bytes from the cookies it borrows (no allocation per
//!   cookie: `RequestCookies` and the chunk slots live on the stack), refuses anything over
//!   `max_total_bytes` (M) before decoding, then allocates ONE buffer of
//!   `max_decoded_len(M) <= 3M/4` bytes that every chunk decodes into and that is decrypted or
//!   verified in place (AAD on the stack). Every rejection before deserialization (too large,
//!   malformed, chunk errors, unknown key, authentication, expiry) therefore allocates at most
//!   `3M/4` bytes.
//! * When the value is authentic, deserializing a `Vec<u8>` (or `String`) grows one vector to at
//!   most the payload length (< 3M/4). postcard reports no size hint for a claimed length larger
//!   than the bytes left, so a length prefix of 2^32 preallocates nothing; the vector doubles as
//!   it reads. Counting each `realloc` as its new block allocated before the old one is freed,
//!   the growth peaks below `3 * 3M/4`. Total: `3M/4 + 9M/4 = 3M`.
//!
//! The hostile-header cases assert the tighter `3M/4 + SLACK`; the rest assert
//! BOUND = 3 * M + SLACK, SLACK = 1 KiB for constant-size incidentals. (With the default
//! M = 6144 that is 19 456 bytes.) SECURITY.md states this bound. For other session types the
//! post-authentication part is whatever `T`'s `Deserialize` allocates for at most 3M/4 bytes of
//! authenticated input: the last case measures `Vec<Vec<u8>>`, where each 1-byte empty inner
//! vector costs `size_of::<Vec<u8>>()` = 24 bytes.
//!
//! One `#[test]` runs every case in sequence, so no other test's allocations mix into the
//! measurements.

mod common;

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use sealed_session::{
    ChunkError, Codec, Error, MAX_CHUNKS, MAX_COOKIE_BYTES, MAX_TOTAL_BYTES, RequestCookies,
};

use common::{CountingRandom, b64_encode, ring};

// ---------------------------------------------------------------------------------------------
// The counting allocator.

struct Counting;

static CURRENT: AtomicUsize = AtomicUsize::new(0);
static PEAK: AtomicUsize = AtomicUsize::new(0);

fn grew(bytes: usize) {
    let now = CURRENT.fetch_add(bytes, Ordering::SeqCst) + bytes;
    PEAK.fetch_max(now, Ordering::SeqCst);
}

fn shrank(bytes: usize) {
    CURRENT.fetch_sub(bytes, Ordering::SeqCst);
}

// SAFETY: every method forwards to `System` with the caller's arguments unchanged and only adds
// bookkeeping on atomics, so `System`'s guarantees carry over.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        // SAFETY: forwarded as is (see the impl).
        let p = unsafe { System.alloc(layout) };
        if !p.is_null() {
            grew(layout.size());
        }
        p
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        // SAFETY: forwarded as is (see the impl).
        let p = unsafe { System.alloc_zeroed(layout) };
        if !p.is_null() {
            grew(layout.size());
        }
        p
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: forwarded as is (see the impl).
        unsafe { System.dealloc(ptr, layout) };
        shrank(layout.size());
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        // SAFETY: forwarded as is (see the impl).
        let p = unsafe { System.realloc(ptr, layout, new_size) };
        if !p.is_null() {
            // Conservative: as if the new block were allocated before the old one is freed.
            grew(new_size);
            shrank(layout.size());
        }
        p
    }
}

#[global_allocator]
static ALLOCATOR: Counting = Counting;

/// Runs `f` and returns its result, the peak of bytes allocated beyond those allocated at the
/// start, and the elapsed time.
fn measure<R>(f: impl FnOnce() -> R) -> (R, usize, Duration) {
    let base = CURRENT.load(Ordering::SeqCst);
    PEAK.store(base, Ordering::SeqCst);
    let start = Instant::now();
    let r = f();
    let elapsed = start.elapsed();
    let peak = PEAK.load(Ordering::SeqCst).saturating_sub(base);
    (r, peak, elapsed)
}

// ---------------------------------------------------------------------------------------------
// Codecs and inputs.

const SLACK: usize = 1024;
const MIB: usize = 1 << 20;
const NAME: &str = "__Host-session";

/// The peak-allocation bound for a codec with total budget `m` (see the module documentation).
fn bound(m: usize) -> usize {
    3 * m + SLACK
}

fn now() -> SystemTime {
    UNIX_EPOCH + Duration::from_secs(common::T0)
}

fn codec<T>(max_total: usize) -> Codec<T> {
    Codec::builder(ring())
        // Tokens need a named purpose.
        .purpose("resource-bounds")
        .max_cookie_bytes(MAX_COOKIE_BYTES)
        .max_total_bytes(max_total)
        .random_source(std::sync::Arc::new(CountingRandom::new(7)))
        .build()
        .unwrap()
}

/// A valid session's `Cookie` header pairs (chunked when `len` needs it).
fn valid_pairs(codec: &Codec<Vec<u8>>, len: usize) -> String {
    let sealed = codec
        .seal(&vec![0x42; len], None, &RequestCookies::new(), now())
        .unwrap();
    common::cookie_header(&sealed)
}

/// `count` unrelated cookies `cNNNN=vvvv`.
fn unrelated(count: usize) -> String {
    (0..count)
        .map(|i| format!("c{i}=v{i}"))
        .collect::<Vec<_>>()
        .join("; ")
}

/// Unrelated cookies filling at least `bytes` bytes.
fn filler(bytes: usize) -> String {
    let mut h = String::with_capacity(bytes + 64);
    let mut i = 0;
    while h.len() < bytes {
        if i > 0 {
            h.push_str("; ");
        }
        h.push_str(&format!("pad{i}={}", "z".repeat(100)));
        i += 1;
    }
    h
}

fn varint(mut v: u64) -> Vec<u8> {
    let mut out = Vec::new();
    while v >= 0x80 {
        out.push((v as u8) | 0x80);
        v >>= 7;
    }
    out.push(v as u8);
    out
}

/// The largest raw payload `codec` can seal into cookies.
fn largest_payload(codec: &Codec<()>) -> usize {
    let fits = |len: usize| {
        codec
            .seal_bytes(&vec![0; len], None, &RequestCookies::new(), now())
            .is_ok()
    };
    let (mut lo, mut hi) = (0, MAX_TOTAL_BYTES);
    while lo + 1 < hi {
        let mid = (lo + hi) / 2;
        if fits(mid) { lo = mid } else { hi = mid }
    }
    lo
}

/// A chunk frame: 0x1c, index, count, generation, piece.
fn frame(index: u8, count: u8, piece: &[u8]) -> String {
    let mut f = vec![0x1c, index, count, 0xde, 0xad, 0xbe, 0xef];
    f.extend_from_slice(piece);
    b64_encode(&f)
}

// ---------------------------------------------------------------------------------------------
// The cases.

struct Report {
    rows: Vec<String>,
    failures: Vec<String>,
}

impl Report {
    fn case<R: std::fmt::Debug>(
        &mut self,
        label: &str,
        limit: usize,
        check: impl FnOnce(&R) -> bool,
        f: impl FnOnce() -> R,
    ) {
        let (r, peak, elapsed) = measure(f);
        let shown = format!("{r:?}");
        let shown: String = shown.chars().take(90).collect();
        self.rows.push(format!(
            "{peak:>8} B peak (bound {limit:>6})  {:>9.3} ms  {label}: {shown}",
            elapsed.as_secs_f64() * 1e3
        ));
        if !check(&r) {
            self.failures
                .push(format!("{label}: unexpected result {shown}"));
        }
        if peak > limit {
            self.failures
                .push(format!("{label}: peak {peak} bytes > bound {limit}"));
        }
    }
}

type Opened<T> = Result<Option<sealed_session::Opened<T>>, Error>;

fn open<T: serde::de::DeserializeOwned>(c: &Codec<T>, header: &str) -> Opened<T> {
    c.open(&RequestCookies::from_header(header), now())
}

fn is_too_large<T>(r: &Opened<T>) -> bool {
    matches!(r, Err(Error::TooLarge { .. }))
}

fn is_chunk(e: ChunkError) -> impl Fn(&Opened<Vec<u8>>) -> bool {
    move |r| matches!(r, Err(Error::Chunks(got)) if *got == e)
}

fn opens<T: PartialEq>(want: T) -> impl Fn(&Opened<T>) -> bool {
    move |r| matches!(r, Ok(Some(o)) if o.session == want)
}

fn hostile_headers(report: &mut Report, m: usize) {
    let c = codec::<Vec<u8>>(m);
    // Nothing here reaches deserialization of more than 100 bytes: the decode buffer's bound.
    let limit = m * 3 / 4 + SLACK;
    let tag = |s: &str| format!("[M={m}] {s}");

    // 1 MiB Cookie header: one giant session cookie, or a giant header with and without a
    // session among the other cookies.
    let giant = format!("{NAME}={}", "A".repeat(MIB));
    report.case(&tag("1 MiB session cookie"), limit, is_too_large, || {
        open(&c, &giant)
    });
    let giant_chunks = (0..MAX_CHUNKS)
        .map(|i| {
            let name = if i == 0 {
                NAME.to_owned()
            } else {
                format!("{NAME}.{i}")
            };
            format!("{name}={}", "A".repeat(MIB / MAX_CHUNKS))
        })
        .collect::<Vec<_>>()
        .join("; ");
    report.case(&tag("1 MiB over 16 chunks"), limit, is_too_large, || {
        open(&c, &giant_chunks)
    });
    let junk = filler(MIB);
    report.case(
        &tag("1 MiB of other cookies, no session"),
        limit,
        |r| matches!(r, Ok(None)),
        || open(&c, &junk),
    );
    let session = valid_pairs(&c, 100);
    let with_session = format!("{junk}; {session}");
    report.case(
        &tag("1 MiB of other cookies, then a session"),
        limit,
        opens(vec![0x42; 100]),
        || open(&c, &with_session),
    );
    let giant_token = "A".repeat(MIB);
    report.case(
        &tag("1 MiB token"),
        limit,
        |r: &Result<sealed_session::Opened<Vec<u8>>, Error>| {
            matches!(r, Err(Error::TooLarge { .. }))
        },
        || c.open_token(&giant_token, now()),
    );

    // 10,000 cookies.
    let many = unrelated(10_000);
    report.case(
        &tag("10,000 other cookies"),
        limit,
        |r| matches!(r, Ok(None)),
        || open(&c, &many),
    );
    let many_then_session = format!("{many}; {session}");
    report.case(
        &tag("10,000 other cookies, then a session"),
        limit,
        opens(vec![0x42; 100]),
        || open(&c, &many_then_session),
    );

    // 10,000 chunk-like names.
    let same = |name: &str| {
        (0..10_000)
            .map(|i| format!("{name}=v{i}"))
            .collect::<Vec<_>>()
            .join("; ")
    };
    // Every cookie of the session's names counts toward the budget, duplicates and ignored
    // leftovers included, so these are too large before any decoding.
    let dup0 = same(NAME);
    report.case(&tag("10,000 x __Host-session"), limit, is_too_large, || {
        open(&c, &dup0)
    });
    let dup1 = format!("{session}; {}", same(&format!("{NAME}.1")));
    report.case(
        &tag("a session, then 10,000 x __Host-session.1"),
        limit,
        is_too_large,
        || open(&c, &dup1),
    );
    // Within the budget: two heads are ambiguous; chunk cookies beside a whole value are
    // leftovers, ignored; more than four cookies of one chunk name are ambiguous.
    let two_heads = format!("{session}; {session}");
    report.case(
        &tag("two session heads"),
        limit,
        is_chunk(ChunkError::Duplicate { index: 0 }),
        || open(&c, &two_heads),
    );
    let leftovers = format!(
        "{session}; {}",
        (0..100)
            .map(|i| format!("{NAME}.1=v{i}"))
            .collect::<Vec<_>>()
            .join("; ")
    );
    assert!(leftovers.len() <= m);
    report.case(
        &tag("a session, then 100 x __Host-session.1 (ignored)"),
        limit,
        opens(vec![0x42; 100]),
        || open(&c, &leftovers),
    );
    let chunked = valid_pairs(&c, 3_500);
    assert!(chunked.contains(&format!("{NAME}.1=")), "chunked");
    let planted = format!(
        "{chunked}; {}",
        (0..4)
            .map(|i| format!("{NAME}.1=v{i}"))
            .collect::<Vec<_>>()
            .join("; ")
    );
    assert!(planted.len() <= m);
    report.case(
        &tag("a chunked session, then 4 planted __Host-session.1"),
        limit,
        is_chunk(ChunkError::Duplicate { index: 1 }),
        || open(&c, &planted),
    );
    // Only the names up to .15 are chunk names: fifteen small cookies with no head, no session.
    let numbered = (1..=10_000)
        .map(|i| format!("{NAME}.{i}=AAAA"))
        .collect::<Vec<_>>()
        .join("; ");
    report.case(
        &tag("__Host-session.1 .. __Host-session.10000"),
        limit,
        |r| matches!(r, Ok(None)),
        || open(&c, &numbered),
    );
    let variants = (0..10_000)
        .map(|i| {
            let suffix = match i % 8 {
                0 => format!(".0{i}"),
                1 => format!(".{i}x"),
                2 => format!("..{}", i % 16),
                // (".+3" would be taken for chunk 3: see the ignored BUG test in tests/tamper.rs.)
                3 => format!(".{}", 100 + i),
                4 => format!(".{}", 16 + i),
                5 => format!("{}", i % 16),
                6 => format!(".-{}", i % 16),
                _ => format!(".{}.{}", i % 16, i % 7),
            };
            format!("{NAME}{suffix}=AAAA")
        })
        .collect::<Vec<_>>()
        .join("; ");
    report.case(
        &tag("10,000 near-chunk names (ignored)"),
        limit,
        |r| matches!(r, Ok(None)),
        || open(&c, &variants),
    );
    let variants_then_session = format!("{variants}; {session}");
    report.case(
        &tag("10,000 near-chunk names, then a session"),
        limit,
        opens(vec![0x42; 100]),
        || open(&c, &variants_then_session),
    );

    // Huge claimed chunk counts.
    for count in [17u8, 200, 255] {
        let h = format!("{NAME}={}", frame(0, count, &[0; 32]));
        report.case(
            &tag(&format!("chunk frame claiming {count} chunks")),
            limit,
            is_chunk(ChunkError::TooMany {
                count: usize::from(count),
                max: MAX_CHUNKS,
            }),
            || open(&c, &h),
        );
    }
    let h = format!("{NAME}={}", frame(0, 16, &[0; 32]));
    report.case(
        &tag("chunk frame claiming 16 chunks, one present"),
        limit,
        is_chunk(ChunkError::Missing { index: 1 }),
        || open(&c, &h),
    );
    // All 16 chunks present and consistent, as large as the budget allows: joined, then refused
    // by the AEAD.
    let piece = (m / MAX_CHUNKS).saturating_sub(NAME.len() + 6) * 3 / 4 - 7;
    let mut full = (0..MAX_CHUNKS)
        .map(|i| {
            let name = if i == 0 {
                NAME.to_owned()
            } else {
                format!("{NAME}.{i}")
            };
            let mut bytes = vec![0x11; piece];
            if i == 0 {
                bytes[1..5].copy_from_slice(&1u32.to_be_bytes());
            }
            if i == MAX_CHUNKS - 1 {
                let n = bytes.len();
                bytes[n - 4..].copy_from_slice(&[0xde, 0xad, 0xbe, 0xef]);
            }
            format!("{name}={}", frame(i as u8, MAX_CHUNKS as u8, &bytes))
        })
        .collect::<Vec<_>>()
        .join("; ");
    assert!(full.len() <= m, "{} > {m}", full.len());
    report.case(
        &tag("16 consistent chunks filling the budget (forged)"),
        limit,
        |r| matches!(r, Err(Error::Authentication)),
        || open(&c, &full),
    );
    full.push_str("; other=1");
    report.case(
        &tag("16 forged chunks among other cookies"),
        limit,
        |r| matches!(r, Err(Error::Authentication)),
        || open(&c, &full),
    );
}

/// A validly sealed value whose payload is a postcard length prefix claiming far more bytes
/// than follow: only a key holder can make one, and it must still fail without a large
/// allocation.
fn lying_length_prefixes(report: &mut Report, m: usize) {
    let limit = bound(m);
    let raw = codec::<()>(m);
    let as_bytes = codec::<Vec<u8>>(m);
    let as_string = codec::<String>(m);
    let tag = |s: &str| format!("[M={m}] {s}");
    // The largest payload this codec seals (the budget or the 16-chunk cap binds), less the
    // longest length prefix.
    let room = largest_payload(&raw) - 10;
    for (claim, name) in [
        (1u64 << 32, "2^32"),
        (1 << 40, "2^40"),
        (u64::MAX, "2^64-1"),
    ] {
        for follow in [0usize, 100, room] {
            let mut payload = varint(claim);
            payload.extend(std::iter::repeat_n(b'a', follow));
            let sealed = raw
                .seal_bytes(&payload, None, &RequestCookies::new(), now())
                .unwrap();
            let header = common::cookie_header(&sealed);
            let serialization = |r: &Opened<Vec<u8>>| matches!(r, Err(Error::Serialization { .. }));
            report.case(
                &tag(&format!(
                    "Vec<u8> claiming {name} bytes, {follow} follow ({} cookies)",
                    sealed.chunk_count()
                )),
                limit,
                serialization,
                || open(&as_bytes, &header),
            );
            report.case(
                &tag(&format!("String claiming {name} bytes, {follow} follow")),
                limit,
                |r: &Opened<String>| matches!(r, Err(Error::Serialization { .. })),
                || open(&as_string, &header),
            );
            // A token is never chunked: one that does not fit the budget is skipped; any other
            // failure to seal one is a failure of this test (it once hid a missing purpose).
            let token = match raw.seal_token_bytes(&payload, None, now()) {
                Ok(token) => Some(token),
                Err(Error::TooLarge { .. }) => None,
                Err(e) => panic!("sealing a token: {e}"),
            };
            if let Some(token) = token {
                report.case(
                    &tag(&format!(
                        "token: Vec<u8> claiming {name} bytes, {follow} follow"
                    )),
                    limit,
                    |r: &Result<sealed_session::Opened<Vec<u8>>, Error>| {
                        matches!(r, Err(Error::Serialization { .. }))
                    },
                    || as_bytes.open_token(&token, now()),
                );
            }
        }
    }
    // A full-size authentic value past its deadline: refused after authentication, before
    // deserialization, so within the decode buffer's bound.
    let big = raw
        .seal_bytes(&vec![7; room], None, &RequestCookies::new(), now())
        .unwrap();
    let header = common::cookie_header(&big);
    let much_later = now() + Duration::from_secs(400 * 86400);
    report.case(
        &tag(&format!("expired value of {room} bytes")),
        m * 3 / 4 + SLACK,
        |r: &Opened<Vec<u8>>| matches!(r, Err(Error::Expired { .. })),
        || as_bytes.open(&RequestCookies::from_header(&header), much_later),
    );

    // The honest counterpart: a Vec<u8> as large as the budget allows opens within the bound.
    let big = vec![0x5a; room];
    let sealed = as_bytes
        .seal(&big, None, &RequestCookies::new(), now())
        .unwrap();
    let header = common::cookie_header(&sealed);
    report.case(
        &tag(&format!(
            "authentic Vec<u8> of {room} bytes ({} cookies) opens",
            sealed.chunk_count()
        )),
        limit,
        opens(big.clone()),
        || open(&as_bytes, &header),
    );

    // Other session types allocate what their Deserialize allocates for at most 3M/4 bytes of
    // authenticated input: a Vec<Vec<u8>> of empty vectors costs 24 bytes per payload byte.
    let nested = codec::<Vec<Vec<u8>>>(m);
    let mut payload = varint(1 << 32);
    payload.extend(std::iter::repeat_n(0u8, room));
    let sealed = raw
        .seal_bytes(&payload, None, &RequestCookies::new(), now())
        .unwrap();
    let header = common::cookie_header(&sealed);
    let per_byte = size_of::<Vec<u8>>();
    let nested_limit = m * 3 / 4 + 3 * per_byte * room + SLACK;
    report.case(
        &tag(&format!(
            "Vec<Vec<u8>> claiming 2^32 items, {room} empty ones follow"
        )),
        nested_limit,
        |r: &Opened<Vec<Vec<u8>>>| matches!(r, Err(Error::Serialization { .. })),
        || open(&nested, &header),
    );
}

#[test]
fn hostile_input_is_rejected_within_the_allocation_bound() {
    // Warm up one-time state (the SIMD base64 engine, CPU feature detection) outside the
    // measurements.
    let warm = codec::<Vec<u8>>(MAX_TOTAL_BYTES);
    let header = valid_pairs(&warm, 10);
    assert!(open(&warm, &header).unwrap().is_some());

    let mut report = Report {
        rows: Vec::new(),
        failures: Vec::new(),
    };
    for m in [sealed_session::DEFAULT_MAX_TOTAL_BYTES, MAX_TOTAL_BYTES] {
        hostile_headers(&mut report, m);
        lying_length_prefixes(&mut report, m);
    }
    for row in &report.rows {
        println!("{row}");
    }
    println!(
        "{} cases; bound = 3 * max_total_bytes + {SLACK}",
        report.rows.len()
    );
    assert!(report.failures.is_empty(), "{:#?}", report.failures);
}
