//! The axum layer on a real request path, against the same router without it, in one criterion
//! run: a request without a session, a one-cookie session read, a write (`update` of the
//! reference session) and a 5-chunk session read. Each request is a browser-like `Request` (a
//! `Cookie` header with the session among unrelated cookies, the usual navigation headers)
//! driven through `Router` with `tower::ServiceExt::oneshot` on a current-thread tokio runtime;
//! building the request is left out of the timing, dropping the response is in it. The
//! baseline is the identical router without `SessionLayer`, its handlers taking no `Session`
//! and returning the constant the session handler returns. A second group times the parts of
//! the layer's work alone (open, bookkeeping, response headers) for the breakdown.
//!
//! Every operation is measured by criterion, then again in interleaved rounds (each round runs
//! every operation briefly, in a rotating order) so that baseline, layer and parts see the same
//! moments of a shared machine whose speed drifts. Prints the per-case table (criterion means,
//! interleaved medians, allocations per request) and the breakdown after the run; run with
//! `cargo bench --bench layer --features axum` (`scripts/bench.sh` runs it too).

mod common;

use std::alloc::{GlobalAlloc, Layout, System};
use std::collections::HashMap;
use std::hint::black_box;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::{Duration, Instant, SystemTime};

use axum::Router;
use axum::body::Body;
use axum::http::header::{CACHE_CONTROL, CONTENT_TYPE, COOKIE, SET_COOKIE, VARY};
use axum::http::{HeaderMap, HeaderValue, Request, StatusCode};
use axum::routing::{get, post};
use criterion::{BenchmarkId, Criterion};
use serde::{Deserialize, Serialize};
use tokio::runtime::Runtime;
use tower::ServiceExt;

use common::*;
use sealed_session::axum::{Session, SessionLayer};
use sealed_session::http::{append_set_cookies, request_cookies};
use sealed_session::{Codec, LayerPolicy, RequestCookies};

/// Counts allocation calls (`alloc` and `realloc`) while `COUNTING` is on: off during the
/// timings, on only for the per-request allocation count after them.
struct Counting;

static ALLOCATIONS: AtomicUsize = AtomicUsize::new(0);
static COUNTING: AtomicBool = AtomicBool::new(false);

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

/// The reference session plus free text: the 5-chunk session (a draft, a long list rendered to
/// text, ...). One `String` so the chunking, not `T`'s deserialization, is what grows.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq)]
struct LargeSession {
    base: ReferenceSession,
    notes: String,
}

/// What the session handlers answer, and the baseline handlers return as constants.
const MEMBER: &str = "member";
const GUEST: &str = "guest";
const ADDED: &str = "added";

async fn account(session: Session<ReferenceSession>) -> &'static str {
    if session.with(|s| s.is_some_and(|s| s.user_id != 0)) {
        MEMBER
    } else {
        GUEST
    }
}

async fn add_to_cart(session: Session<ReferenceSession>) -> &'static str {
    match session.update(|s| s.cart.push((42_000, 1))) {
        Ok(()) => ADDED,
        Err(_) => "not saved",
    }
}

async fn large_account(session: Session<LargeSession>) -> &'static str {
    if session.with(|s| s.is_some_and(|s| s.base.user_id != 0 && !s.notes.is_empty())) {
        MEMBER
    } else {
        GUEST
    }
}

async fn home() -> &'static str {
    "home"
}

/// The application: the same routes with and without the layer. The baseline's handlers take
/// no `Session` and return the constant the session handler returns for the case measured.
fn reference_router(codec: Option<Codec<ReferenceSession>>, guest: bool) -> Router {
    let routes = Router::new().route("/", get(home));
    match codec {
        Some(codec) => routes
            .route("/account", get(account))
            .route("/cart", post(add_to_cart))
            .layer(SessionLayer::new(codec)),
        None if guest => routes
            .route("/account", get(|| async { GUEST }))
            .route("/cart", post(|| async { ADDED })),
        None => routes
            .route("/account", get(|| async { MEMBER }))
            .route("/cart", post(|| async { ADDED })),
    }
}

fn large_router(codec: Option<Codec<LargeSession>>) -> Router {
    let routes = Router::new().route("/", get(home));
    match codec {
        Some(codec) => routes
            .route("/account", get(large_account))
            .layer(SessionLayer::new(codec)),
        None => routes.route("/account", get(|| async { MEMBER })),
    }
}

/// The `Cookie` header a browser sends: the session's pairs among unrelated cookies.
fn browser_cookies(session_pairs: &str) -> String {
    let mut header = "theme=dark; _ga=GA1.1.1234567890.1750000000".to_owned();
    if !session_pairs.is_empty() {
        header.push_str("; ");
        header.push_str(session_pairs);
    }
    header.push_str("; lang=en-US");
    header
}

/// A browser's request: navigation headers, and for a POST the form's Origin and Content-Type.
fn browser_request(method: &str, path: &str, cookie: &HeaderValue) -> Request<Body> {
    let mut request = Request::builder()
        .method(method)
        .uri(path)
        .header("host", "shop.example")
        .header(
            "user-agent",
            "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0",
        )
        .header(
            "accept",
            "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8",
        )
        .header("accept-language", "en-US,en;q=0.5")
        .header("accept-encoding", "gzip, deflate, br, zstd")
        .header("sec-fetch-site", "same-origin")
        .header("sec-fetch-mode", "navigate")
        .header("sec-fetch-dest", "document")
        .header(COOKIE, cookie.clone());
    if method == "POST" {
        request = request
            .header("origin", "https://shop.example")
            .header(CONTENT_TYPE, "application/x-www-form-urlencoded")
            .header("content-length", "0");
    }
    request.body(Body::empty()).unwrap()
}

/// One case: the same request through both routers.
struct Case {
    id: &'static str,
    label: &'static str,
    method: &'static str,
    path: &'static str,
    cookie: HeaderValue,
    baseline: Router,
    layered: Router,
    /// The body both routers must answer, and how many `Set-Cookie` lines the layered one adds.
    body: &'static str,
    set_cookies: usize,
}

impl Case {
    fn request(&self) -> Request<Body> {
        browser_request(self.method, self.path, &self.cookie)
    }

    /// Checks, before timing, that both routers answer what the case claims.
    fn check(&self, rt: &Runtime) {
        for (router, layered) in [(&self.baseline, false), (&self.layered, true)] {
            let response = rt.block_on(router.clone().oneshot(self.request())).unwrap();
            assert_eq!(response.status(), StatusCode::OK, "{}", self.id);
            let headers = response.headers().clone();
            let body = rt
                .block_on(axum::body::to_bytes(response.into_body(), usize::MAX))
                .unwrap();
            assert_eq!(
                body,
                self.body.as_bytes(),
                "{} (layered: {layered})",
                self.id
            );
            let lines = headers.get_all(SET_COOKIE).iter().count();
            if layered {
                assert_eq!(lines, self.set_cookies, "{}", self.id);
                assert_eq!(headers[VARY], "Cookie", "{}", self.id);
            } else {
                assert_eq!(lines, 0, "{}", self.id);
            }
        }
    }
}

/// Drives one request through `router` and drops the response.
fn serve(rt: &Runtime, router: &Router, request: Request<Body>) -> StatusCode {
    let response = rt.block_on(router.clone().oneshot(request)).unwrap();
    response.status()
}

/// The `name=value` pairs a browser sends back for `lines`.
fn pairs(lines: &[String]) -> String {
    cookie_header(lines)
}

/// A 5-chunk session under `codec`: the smallest `notes` (in steps of 100 bytes from `start`)
/// that takes five cookies, checked.
fn five_chunks(codec: &Codec<LargeSession>, start: usize) -> (LargeSession, Vec<String>) {
    let mut len = start;
    loop {
        let session = LargeSession {
            base: reference_session(),
            notes: "lorem ipsum dolor sit amet ".repeat(len / 27 + 1)[..len].to_owned(),
        };
        let sealed = codec
            .seal(&session, None, &RequestCookies::new(), SystemTime::now())
            .unwrap();
        match sealed.chunk_count() {
            n if n < 5 => len += 100,
            5 => return (session, sealed.into_headers()),
            n => panic!("{n} chunks at {len} bytes of notes: start lower"),
        }
    }
}

/// Everything the run measures: the cases, and the inputs of the breakdown.
struct Setup {
    cases: Vec<Case>,
    reference: Codec<ReferenceSession>,
    large: Codec<LargeSession>,
    large_small_chunks: Codec<LargeSession>,
    one_cookie: HeaderMap,
    /// The session's own pair alone, as `seal_open`'s `reference/open` opens it.
    bare_pair: String,
    five_chunks: HeaderMap,
    five_small_chunks: HeaderMap,
    /// Bytes of `notes` in the two 5-chunk sessions.
    notes: (usize, usize),
}

fn headers_of(cookie: &str) -> HeaderMap {
    browser_request("GET", "/account", &HeaderValue::from_str(cookie).unwrap())
        .headers()
        .clone()
}

fn setup() -> Setup {
    let now = SystemTime::now();
    // The layer's defaults, as an application gets them: `__Host-session`, encrypted, 4000
    // bytes per cookie, 6144 in all, the system clock.
    let reference: Codec<ReferenceSession> = Codec::builder(keyring()).build().unwrap();
    let sealed = reference
        .seal(&reference_session(), None, &RequestCookies::new(), now)
        .unwrap();
    assert_eq!(sealed.chunk_count(), 1);
    let one = browser_cookies(&pairs(sealed.headers()));
    let none = browser_cookies("");

    // Five cookies at the default per-cookie limit (4000 bytes), the total budget raised to
    // let them through; and five at 1024 bytes per cookie, to separate per-chunk from per-byte.
    let large: Codec<LargeSession> = Codec::builder(keyring())
        .max_total_bytes(20_480)
        .build()
        .unwrap();
    let (large_session, large_lines) = five_chunks(&large, 11_000);
    let large_small_chunks: Codec<LargeSession> = Codec::builder(keyring())
        .max_cookie_bytes(1024)
        .build()
        .unwrap();
    let (small_session, small_lines) = five_chunks(&large_small_chunks, 2_000);
    let five = browser_cookies(&pairs(&large_lines));
    let five_small = browser_cookies(&pairs(&small_lines));

    let value = |s: &str| HeaderValue::from_str(s).unwrap();
    let cases = vec![
        Case {
            id: "no-cookie",
            label: "(a) no session cookie, handler reads (None)",
            method: "GET",
            path: "/account",
            cookie: value(&none),
            baseline: reference_router(None, true),
            layered: reference_router(Some(reference.clone()), false),
            body: GUEST,
            set_cookies: 0,
        },
        Case {
            id: "read-1-cookie",
            label: "(b) one-cookie session, handler reads (`with`)",
            method: "GET",
            path: "/account",
            cookie: value(&one),
            baseline: reference_router(None, false),
            layered: reference_router(Some(reference.clone()), false),
            body: MEMBER,
            set_cookies: 0,
        },
        Case {
            id: "write-1-cookie",
            label: "(c) one-cookie session, handler writes (`update`, POST)",
            method: "POST",
            path: "/cart",
            cookie: value(&one),
            baseline: reference_router(None, false),
            layered: reference_router(Some(reference.clone()), false),
            body: ADDED,
            set_cookies: 1,
        },
        Case {
            id: "read-5-chunks",
            label: "(d) 5-chunk session (4000 B cookies), handler reads (`with`)",
            method: "GET",
            path: "/account",
            cookie: value(&five),
            baseline: large_router(None),
            layered: large_router(Some(large.clone())),
            body: MEMBER,
            set_cookies: 0,
        },
        Case {
            id: "read-5-small-chunks",
            label: "(d') 5-chunk session (1024 B cookies), handler reads (`with`)",
            method: "GET",
            path: "/account",
            cookie: value(&five_small),
            baseline: large_router(None),
            layered: large_router(Some(large_small_chunks.clone())),
            body: MEMBER,
            set_cookies: 0,
        },
    ];
    Setup {
        cases,
        reference,
        large,
        large_small_chunks,
        one_cookie: headers_of(&one),
        bare_pair: pairs(sealed.headers()),
        five_chunks: headers_of(&five),
        five_small_chunks: headers_of(&five_small),
        notes: (large_session.notes.len(), small_session.notes.len()),
    }
}

fn runtime() -> Runtime {
    tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap()
}

/// Inputs are built in chunks of this many, outside the timing, then used while warm.
const CHUNK: u64 = 32;

/// Runs `op` on `n` fresh inputs and returns the time the `op` calls took (results dropped
/// inside the timing, as a request drops them); building the inputs is not timed.
fn timed<I, R>(n: u64, mut input: impl FnMut() -> I, mut op: impl FnMut(I) -> R) -> Duration {
    let mut total = Duration::ZERO;
    let mut inputs = Vec::with_capacity(CHUNK as usize);
    let mut left = n;
    while left > 0 {
        let k = left.min(CHUNK);
        inputs.extend((0..k).map(|_| input()));
        let start = Instant::now();
        for i in inputs.drain(..) {
            black_box(op(i));
        }
        total += start.elapsed();
        left -= k;
    }
    total
}

/// One measured operation; `run(n)` performs it `n` times and returns how long that took.
/// Criterion drives it through `iter_custom`, the interleaved rounds call it directly.
struct Op<'a> {
    group: &'static str,
    name: &'static str,
    label: Option<&'static str>,
    run: Box<dyn FnMut(u64) -> Duration + 'a>,
}

impl Op<'_> {
    fn key(&self) -> String {
        let mut key = format!("{}/{}", self.group, self.name);
        if let Some(label) = self.label {
            key.push('/');
            key.push_str(label);
        }
        key
    }
}

fn op<'a>(
    group: &'static str,
    name: &'static str,
    label: Option<&'static str>,
    run: impl FnMut(u64) -> Duration + 'a,
) -> Op<'a> {
    Op {
        group,
        name,
        label,
        run: Box::new(run),
    }
}

/// The cases, baseline then layer for each: a fresh browser request through the router.
fn requests<'a>(setup: &'a Setup, rt: &'a Runtime) -> Vec<Op<'a>> {
    let mut ops = Vec::new();
    for case in &setup.cases {
        case.check(rt);
        for (name, router) in [("baseline", &case.baseline), ("with-layer", &case.layered)] {
            ops.push(op("layer", name, Some(case.id), move |n| {
                timed(n, || case.request(), |request| serve(rt, router, request))
            }));
        }
    }
    ops
}

/// The layer's work piece by piece, outside axum: what `SessionService::call` and the
/// extractor do per request (src/adapters/axum.rs, layer.rs, session/).
fn parts(setup: &Setup) -> Vec<Op<'_>> {
    let policy = LayerPolicy::default();
    let now = SystemTime::now();
    let mut ops = vec![
        op("layer-parts", "clock-read", None, |n| {
            timed(n, || (), |()| SystemTime::now())
        }),
        // Calibration against BENCHMARKS.md's `reference/open/ours-encrypted` (the same open
        // of the same session from a header holding only its pair): this machine's speed now.
        op(
            "layer-parts",
            "codec-open-bare",
            Some("1-cookie"),
            move |n| {
                timed(
                    n,
                    || RequestCookies::from_header(&setup.bare_pair),
                    |cookies| setup.reference.open(&cookies, now).unwrap().unwrap(),
                )
            },
        ),
    ];
    let inputs: [(&'static str, &HeaderMap); 3] = [
        ("1-cookie", &setup.one_cookie),
        ("5-chunks", &setup.five_chunks),
        ("5-small-chunks", &setup.five_small_chunks),
    ];
    for (label, headers) in inputs {
        // One full scan of the Cookie header (the layer's lazy parser makes several).
        ops.push(op(
            "layer-parts",
            "scan-cookie-header",
            Some(label),
            move |n| timed(n, || (), |()| request_cookies(headers).iter().count()),
        ));
        macro_rules! open_and_session {
            ($codec:expr) => {{
                let codec = $codec;
                ops.push(op("layer-parts", "codec-open", Some(label), move |n| {
                    timed(
                        n,
                        || (),
                        |()| codec.open(&request_cookies(headers), now).unwrap().unwrap(),
                    )
                }));
                // `Session::for_layer` without its flash check: the one scan of the header,
                // the codec's open of what it found, the `Arc<Mutex<State>>`, the codec clone;
                // dropped at the end, as a request does. (The layer notices a flash cookie in
                // the same scan and opens it only when there is one; there is none here.)
                ops.push(op(
                    "layer-parts",
                    "session-from-cookies",
                    Some(label),
                    move |n| {
                        timed(
                            n,
                            || (),
                            |()| Session::from_cookies(codec, &request_cookies(headers), now),
                        )
                    },
                ));
                let session = Session::from_cookies(codec, &request_cookies(headers), now);
                assert!(session.with(|s| s.is_some()));
                // After a read: `response_headers` (no Set-Cookie, `Vary: Cookie`) and the
                // insertion into the handler's response headers.
                ops.push(op(
                    "layer-parts",
                    "response-headers-read",
                    Some(label),
                    move |n| {
                        timed(n, handler_headers, |mut out| {
                            apply(&mut out, session.response_headers(200, None, None, &policy));
                            out
                        })
                    },
                ));
            }};
        }
        match label {
            "1-cookie" => open_and_session!(&setup.reference),
            "5-chunks" => open_and_session!(&setup.large),
            _ => open_and_session!(&setup.large_small_chunks),
        }
    }
    // The write: `update` (one seal, the request's pairs re-parsed for stale chunks), then
    // `response_headers` (the lines cloned, `Cache-Control: private`, `Vary`) and insertion.
    let codec = &setup.reference;
    let opened = move || Session::from_cookies(codec, &request_cookies(&setup.one_cookie), now);
    ops.push(op(
        "layer-parts",
        "update-write",
        Some("1-cookie"),
        move |n| {
            timed(n, opened, |session| {
                session.update(|s| s.cart.push((42_000, 1))).unwrap();
                session
            })
        },
    ));
    let written = opened();
    written.update(|s| s.cart.push((42_000, 1))).unwrap();
    ops.push(op(
        "layer-parts",
        "response-headers-write",
        Some("1-cookie"),
        move |n| {
            timed(n, handler_headers, |mut out| {
                apply(&mut out, written.response_headers(200, None, None, &policy));
                out
            })
        },
    ));
    ops
}

/// Every operation through criterion, one after the other.
fn criterion_runs(c: &mut Criterion, ops: &mut [Op<'_>]) {
    for op in ops {
        let mut g = c.benchmark_group(op.group);
        let run = &mut op.run;
        let id = match op.label {
            Some(label) => BenchmarkId::new(op.name, label),
            None => BenchmarkId::from_parameter(op.name),
        };
        g.bench_function(id, |b| b.iter_custom(&mut *run));
        g.finish();
    }
}

/// The same operations interleaved: `ROUNDS` rounds, each running every operation for about
/// `BATCH` (in a rotating order), so all of them see the same moments of a shared machine.
/// Returns, per operation, the per-round times in nanoseconds per call.
const ROUNDS: usize = 1000;
const BATCH: Duration = Duration::from_micros(150);

fn interleaved(ops: &mut [Op<'_>]) -> HashMap<String, Vec<f64>> {
    let sizes: Vec<u64> = ops
        .iter_mut()
        .map(|op| {
            (op.run)(64);
            let per = (op.run)(64).as_secs_f64() / 64.0;
            ((BATCH.as_secs_f64() / per) as u64).clamp(1, 1_000_000)
        })
        .collect();
    let mut times: Vec<Vec<f64>> = vec![Vec::with_capacity(ROUNDS); ops.len()];
    for round in 0..ROUNDS {
        for k in 0..ops.len() {
            let i = (k + round) % ops.len();
            let n = sizes[i];
            times[i].push((ops[i].run)(n).as_nanos() as f64 / n as f64);
        }
    }
    ops.iter().map(|op| op.key()).zip(times).collect()
}

fn median(values: &[f64]) -> f64 {
    let mut v = values.to_vec();
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

/// The headers axum's `&'static str` response carries before the layer adds its own.
fn handler_headers() -> HeaderMap {
    let mut headers = HeaderMap::new();
    headers.insert(
        CONTENT_TYPE,
        HeaderValue::from_static("text/plain; charset=utf-8"),
    );
    headers
}

/// What the layer's `apply_response_headers` (src/adapters/http.rs) does, through the public
/// `append_set_cookies`.
fn apply(headers: &mut HeaderMap, add: sealed_session::ResponseHeaders) {
    let _ = append_set_cookies(headers, add.set_cookie);
    for (name, value) in [(CACHE_CONTROL, add.cache_control), (VARY, add.vary)] {
        if let Some(value) = value.and_then(|v| HeaderValue::from_str(&v).ok()) {
            headers.insert(name, value);
        }
    }
}

/// Allocation calls per request, the minimum over a few requests.
fn allocations(rt: &Runtime, router: &Router, case: &Case) -> usize {
    (0..5)
        .map(|_| {
            let request = case.request();
            COUNTING.store(true, Ordering::Relaxed);
            let before = ALLOCATIONS.load(Ordering::Relaxed);
            black_box(serve(rt, router, request));
            let n = ALLOCATIONS.load(Ordering::Relaxed) - before;
            COUNTING.store(false, Ordering::Relaxed);
            n
        })
        .min()
        .unwrap()
}

/// Where criterion writes its estimates (the order criterion itself looks in, without
/// `cargo metadata`).
fn criterion_dir() -> PathBuf {
    if let Some(home) = std::env::var_os("CRITERION_HOME") {
        return home.into();
    }
    let target = std::env::var_os("CARGO_TARGET_DIR").unwrap_or_else(|| "target".into());
    PathBuf::from(target).join("criterion")
}

/// The mean of one benchmark of this run, in nanoseconds (`None` if it did not run now: an
/// estimate older than the run is a previous run's).
fn mean_ns(started: SystemTime, path: &[&str]) -> Option<f64> {
    let mut file = criterion_dir();
    file.extend(path);
    file.extend(["new", "estimates.json"]);
    let modified = std::fs::metadata(&file).ok()?.modified().ok()?;
    if modified < started {
        return None;
    }
    let json: serde_json::Value = serde_json::from_slice(&std::fs::read(&file).ok()?).ok()?;
    json["mean"]["point_estimate"].as_f64()
}

fn us(ns: Option<f64>) -> String {
    ns.map_or("—".into(), |ns| format!("{:.2}", ns / 1000.0))
}

fn tables(
    setup: &Setup,
    rt: &Runtime,
    started: SystemTime,
    rounds: Option<&HashMap<String, Vec<f64>>>,
) {
    let target = |id: &str| match id {
        "read-1-cookie" => Some(2.0),
        "read-5-chunks" => Some(8.0),
        _ => None,
    };
    // Interleaved medians (ns): of one operation, and of the per-round difference of two.
    let med = |key: &str| rounds.and_then(|r| r.get(key)).map(|v| median(v));
    let med_diff = |a: &str, b: &str| {
        let r = rounds?;
        let (a, b) = (r.get(a)?, r.get(b)?);
        let d: Vec<f64> = a.iter().zip(b).map(|(a, b)| a - b).collect();
        Some(median(&d))
    };
    println!("\n## The axum layer per request\n");
    println!(
        "Criterion means, then the medians of {ROUNDS} interleaved rounds (the added time there \
         is the median of each round's difference).\n"
    );
    println!(
        "| case | baseline µs | with layer µs | added µs | ratio | interleaved: baseline / with layer / added µs | allocations (baseline → layer) | target |"
    );
    println!("|---|---|---|---|---|---|---|---|");
    let mut added_interleaved = HashMap::new();
    for case in &setup.cases {
        let base = mean_ns(started, &["layer", "baseline", case.id]);
        let with = mean_ns(started, &["layer", "with-layer", case.id]);
        let added = base.zip(with).map(|(b, w)| w - b);
        let ratio = base
            .zip(with)
            .map_or("—".into(), |(b, w)| format!("{:.2}x", w / b));
        let (kb, kw) = (
            format!("layer/baseline/{}", case.id),
            format!("layer/with-layer/{}", case.id),
        );
        let paired = med_diff(&kw, &kb);
        added_interleaved.insert(case.id, paired);
        let interleaved = format!("{} / {} / {}", us(med(&kb)), us(med(&kw)), us(paired));
        let verdict = |a: Option<f64>, t: f64| match a {
            Some(a) if a / 1000.0 <= t => "met".to_owned(),
            Some(a) => format!("**not met** (+{:.2})", a / 1000.0 - t),
            None => "—".to_owned(),
        };
        let goal = match target(case.id) {
            Some(t) => format!(
                "<= {t} µs: {} / interleaved {}",
                verdict(added, t),
                verdict(paired, t)
            ),
            None => "—".into(),
        };
        println!(
            "| {} | {} | {} | {} | {ratio} | {interleaved} | {} → {} | {goal} |",
            case.label,
            us(base),
            us(with),
            us(added),
            allocations(rt, &case.baseline, case),
            allocations(rt, &case.layered, case),
        );
    }

    println!("\n## What the layer's added time is made of (interleaved medians, µs)\n");
    let part = |name: &str, label: &str| med(&format!("layer-parts/{name}/{label}"));
    let clock = med("layer-parts/clock-read");
    println!(
        "| case | added | clock | Codec::open | Session bookkeeping | response headers | seal (update) | axum/tower plumbing (rest) |"
    );
    println!("|---|---|---|---|---|---|---|---|");
    let rows = [
        ("read-1-cookie", "1-cookie", false),
        ("write-1-cookie", "1-cookie", true),
        ("read-5-chunks", "5-chunks", false),
        ("read-5-small-chunks", "5-small-chunks", false),
    ];
    for (id, label, write) in rows {
        let open = part("codec-open", label);
        let session = part("session-from-cookies", label);
        let bookkeeping = session.zip(open).map(|(s, o)| s - o);
        let (response, seal) = if write {
            (
                part("response-headers-write", label),
                part("update-write", label),
            )
        } else {
            (part("response-headers-read", label), Some(0.0))
        };
        let added = added_interleaved.get(id).copied().flatten();
        let explained = [clock, session, response, seal]
            .into_iter()
            .sum::<Option<f64>>();
        let rest = added.zip(explained).map(|(a, e)| a - e);
        println!(
            "| {id} | {} | {} | {} | {} | {} | {} | {} |",
            us(added),
            us(clock),
            us(open),
            us(bookkeeping),
            us(response),
            if write { us(seal) } else { "—".into() },
            us(rest),
        );
    }
    println!(
        "\nscan of the Cookie header alone (µs): 1 cookie {}, 5 chunks {}, 5 small chunks {}",
        us(part("scan-cookie-header", "1-cookie")),
        us(part("scan-cookie-header", "5-chunks")),
        us(part("scan-cookie-header", "5-small-chunks")),
    );
    println!(
        "calibration, the reference session opened from its pair alone (BENCHMARKS.md's \
         reference/open): criterion {} µs, interleaved {} µs",
        us(mean_ns(
            started,
            &["layer-parts", "codec-open-bare", "1-cookie"]
        )),
        us(part("codec-open-bare", "1-cookie")),
    );
    println!(
        "Cookie header bytes: 1 cookie {}, 5 chunks {}, 5 small chunks {}",
        setup.one_cookie[COOKIE].len(),
        setup.five_chunks[COOKIE].len(),
        setup.five_small_chunks[COOKIE].len(),
    );
    println!(
        "5-chunk sessions: the reference session plus {} (4000 B cookies) and {} (1024 B \
         cookies) bytes of notes",
        setup.notes.0, setup.notes.1,
    );
}

fn main() {
    let started = SystemTime::now();
    // `cargo bench` passes `--bench`; `cargo test --benches` does not (criterion then runs
    // each benchmark once), and `--profile-time` is for profilers: no rounds then.
    let args: Vec<String> = std::env::args().collect();
    let measuring =
        args.iter().any(|a| a == "--bench") && !args.iter().any(|a| a == "--profile-time");
    let mut c = Criterion::default()
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(4))
        .sample_size(60)
        .configure_from_args();
    let rt = runtime();
    let setup = setup();
    let mut ops = requests(&setup, &rt);
    ops.extend(parts(&setup));
    criterion_runs(&mut c, &mut ops);
    c.final_summary();
    let rounds = measuring.then(|| interleaved(&mut ops));
    drop(ops);
    tables(&setup, &rt, started, rounds.as_ref());
}
