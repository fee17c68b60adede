//! The signals the layers report (feature `metrics`), recorded with `metrics-util`'s debugging
//! recorder on the test's thread: both frameworks serve requests on the calling thread here.

use std::cell::RefCell;
use std::collections::HashMap;
use std::time::Duration;

use metrics_util::debugging::{DebugValue, DebuggingRecorder, Snapshotter};
use sealed_session::{Codec, CrossSite, Key, KeyId, Keyring, metrics as signals};

use super::{Browser, Frontend, t0};

/// What the recorder saw so far. A snapshot drains the debugging recorder, so every query
/// folds the new snapshot into these totals first.
#[derive(Default)]
struct Seen {
    counters: HashMap<(String, Vec<(String, String)>), u64>,
    histograms: HashMap<String, Vec<f64>>,
}

struct Signals {
    snapshotter: Snapshotter,
    seen: RefCell<Seen>,
}

impl Signals {
    fn refresh(&self) {
        let mut seen = self.seen.borrow_mut();
        for (key, _, _, value) in self.snapshotter.snapshot().into_vec() {
            let key = key.key();
            let mut labels: Vec<(String, String)> = key
                .labels()
                .map(|l| (l.key().to_owned(), l.value().to_owned()))
                .collect();
            labels.sort();
            match value {
                DebugValue::Counter(n) => {
                    *seen
                        .counters
                        .entry((key.name().to_owned(), labels))
                        .or_default() += n
                }
                DebugValue::Histogram(samples) => seen
                    .histograms
                    .entry(key.name().to_owned())
                    .or_default()
                    .extend(samples.into_iter().map(|s| s.into_inner())),
                DebugValue::Gauge(_) => {}
            }
        }
    }

    /// Counter `name` with exactly `labels`, or 0 when never incremented.
    fn counter(&self, name: &str, labels: &[(&str, &str)]) -> u64 {
        self.refresh();
        let mut labels: Vec<(String, String)> = labels
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect();
        labels.sort();
        let key = (name.to_owned(), labels);
        self.seen.borrow().counters.get(&key).copied().unwrap_or(0)
    }

    /// Every sample of histogram `name` (the debugging recorder keeps them all).
    fn histogram(&self, name: &str) -> Vec<f64> {
        self.refresh();
        let seen = self.seen.borrow();
        seen.histograms.get(name).cloned().unwrap_or_default()
    }
}

pub fn the_layer_reports_opens_writes_rotation_and_refusals<F: Frontend>() {
    let recorder = DebuggingRecorder::new();
    let seen = Signals {
        snapshotter: recorder.snapshotter(),
        seen: RefCell::default(),
    };
    let rotation = t0() + Duration::from_secs(600);
    let keyring = Keyring::new([
        Key::new(KeyId::new(1), [1; 32]),
        Key::new(KeyId::new(2), [2; 32]).with_not_before(rotation),
    ])
    .unwrap();
    let codec: Codec<u32> = Codec::builder(keyring).build().unwrap();
    let budget = codec.max_total_bytes() as f64;
    metrics::with_local_recorder(&recorder, || {
        let mut b = Browser::<F>::guarded_with(codec, CrossSite::default());
        // No cookie, then a write.
        assert_eq!(b.send("POST", "/incr").body, "1");
        assert_eq!(seen.counter(signals::OPENS, &[("outcome", "none")]), 1);
        assert_eq!(seen.counter(signals::WRITES, &[("action", "seal")]), 1);
        let bytes = seen.histogram(signals::COOKIE_BYTES);
        let shares = seen.histogram(signals::BUDGET_SHARE);
        assert_eq!(bytes.len(), 1);
        assert!(bytes[0] > 20.0 && bytes[0] < 400.0, "{bytes:?}");
        assert_eq!(shares, [bytes[0] / budget]);

        // A read under key 1 writes nothing.
        assert_eq!(b.send("GET", "/read").body, "1");
        let by_key = |id: &str| seen.counter(signals::OPENED_BY_KEY, &[("key_id", id)]);
        assert_eq!(by_key("00000001"), 1);
        assert_eq!(seen.counter(signals::WRITES, &[("action", "seal")]), 1);

        // After the scheduled switch the layer re-seals under key 2 on its own.
        b.clock.advance(Duration::from_secs(900));
        assert_eq!(b.send("GET", "/read").set_cookies().len(), 1);
        let reseals = |reason: &str| seen.counter(signals::RESEALS, &[("reason", reason)]);
        assert_eq!(reseals("rotation"), 1);
        assert_eq!(seen.counter(signals::WRITES, &[("action", "seal")]), 2);
        b.send("GET", "/read");
        assert_eq!((by_key("00000001"), by_key("00000002")), (2, 1));

        // A forged cookie: an error by kind, and its deletion.
        let forged = b.app.send("GET", "/read", "__Host-session=AAAA");
        assert_eq!(forged.set_cookies().len(), 1);
        let errors =
            |kind: &str| seen.counter(signals::OPENS, &[("outcome", "error"), ("error", kind)]);
        assert_eq!(errors("malformed"), 1);
        assert_eq!(seen.counter(signals::WRITES, &[("action", "clear")]), 1);

        // A cross-site post, refused before the handler.
        let refused = b.send_with("POST", "/incr", &[("sec-fetch-site", "cross-site")]);
        assert_eq!(refused.status, 403);
        let cross = |r: &str| seen.counter(signals::CROSS_SITE_REFUSALS, &[("reason", r)]);
        assert_eq!(cross("cross_origin"), 1);
    });
}

pub fn the_layer_reports_its_store_calls<F: Frontend>() {
    let recorder = DebuggingRecorder::new();
    let seen = Signals {
        snapshotter: recorder.snapshotter(),
        seen: RefCell::default(),
    };
    let clock = sealed_session::ManualClock::new(t0());
    let store = std::sync::Arc::new(super::FaultyStore::default());
    metrics::with_local_recorder(&recorder, || {
        let mut b = super::StoredBrowser::<F>::with(store.clone(), clock);
        let calls = |call: &str, outcome: &str| {
            seen.counter(
                signals::STORE_CALLS,
                &[("call", call), ("outcome", outcome)],
            )
        };
        b.send("POST", "/incr");
        assert_eq!(
            calls("save", "ok") + calls("load", "ok"),
            0,
            "fits: no store call"
        );
        b.send("POST", "/grow");
        assert_eq!(calls("save", "ok"), 1);
        b.send("POST", "/incr");
        assert_eq!(
            (
                calls("load", "ok"),
                calls("save", "ok"),
                calls("expire", "ok")
            ),
            (1, 2, 1)
        );
        store
            .fail_loads
            .store(true, std::sync::atomic::Ordering::SeqCst);
        b.send("GET", "/read");
        assert_eq!(calls("load", "error"), 1);
        store
            .fail_loads
            .store(false, std::sync::atomic::Ordering::SeqCst);
        b.send("POST", "/sign-out");
        assert_eq!(calls("remove", "ok"), 1);
        store.entries.lock().unwrap().clear();
        b.send("POST", "/grow");
        let stale = b.jar.header(sealed_session::Clock::now(&b.clock));
        store.entries.lock().unwrap().clear();
        b.app.send("GET", "/read", &stale);
        assert_eq!(calls("load", "missing"), 1);
    });
}
