//! Concurrent requests of one browser: FORMAT.md 5.3's promise that whatever order the browser
//! applies the responses in, the next request opens one of the values written (the one applied
//! last), never an error.
//!
//! A browser sends several requests with the same cookies (a page and its XHRs, two tabs). Each
//! response re-seals the session at its own size, from 1 to 16 chunks, or signs out; the browser
//! applies the responses' `Set-Cookie` lines one response at a time, in any order. The jar then
//! holds the last response's chunks plus higher-numbered chunks of the others: leftovers that the
//! opener must ignore.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use proptest::prelude::*;
use sealed_session::{Codec, Expiry, Key, KeyId, Keyring, RequestCookies};

fn now() -> SystemTime {
    UNIX_EPOCH + Duration::from_secs(1_800_000_000)
}

/// A browser's cookie jar for one site and path: a `Set-Cookie` replaces the cookie of the same
/// name in place (keeping its position: browsers order by creation time), a new name is
/// appended, and `Max-Age=0` deletes.
#[derive(Clone, Default, Debug)]
struct Jar(Vec<(String, String)>);

impl Jar {
    fn apply(&mut self, line: &str) {
        let mut parts = line.split(';');
        let (name, value) = parts.next().unwrap().split_once('=').unwrap();
        let deleted = parts.any(|a| a.trim() == "Max-Age=0");
        let existing = self.0.iter().position(|(n, _)| n == name);
        match (deleted, existing) {
            (true, Some(i)) => {
                self.0.remove(i);
            }
            (true, None) => {}
            (false, Some(i)) => self.0[i].1 = value.to_owned(),
            (false, None) => self.0.push((name.to_owned(), value.to_owned())),
        }
    }

    fn header(&self) -> String {
        let pairs: Vec<String> = self.0.iter().map(|(n, v)| format!("{n}={v}")).collect();
        pairs.join("; ")
    }
}

fn codec() -> Codec<()> {
    Codec::builder(Keyring::new([Key::new(KeyId::new(1), [7; 32])]).unwrap())
        .cookie_name("__Host-s")
        // Small cookies so sessions of a few KB cross many chunk boundaries.
        .max_cookie_bytes(600)
        .max_total_bytes(16 * 600)
        .expiry(Expiry::default())
        .build()
        .unwrap()
}

/// What one response does to the session.
#[derive(Clone, Debug)]
enum Action {
    /// Re-seal it with a payload of this many bytes (1 to 16 chunks).
    Write(usize),
    /// Sign out.
    Clear,
}

fn action() -> impl Strategy<Value = Action> {
    prop_oneof![
        4 => (0usize..=5750).prop_map(Action::Write),
        1 => Just(Action::Clear),
    ]
}

fn permutations(n: usize) -> Vec<Vec<usize>> {
    if n == 0 {
        return vec![vec![]];
    }
    let mut out = Vec::new();
    for p in permutations(n - 1) {
        for i in 0..=p.len() {
            let mut q = p.clone();
            q.insert(i, n - 1);
            out.push(q);
        }
    }
    out
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(200))]

    #[test]
    fn every_order_of_concurrent_responses_opens_the_last_one_applied(
        initial in 0usize..=5750,
        actions in proptest::collection::vec(action(), 2..=4),
    ) {
        let codec = codec();
        let mut jar = Jar::default();
        let first = codec.seal_bytes(&vec![1; initial], None, &RequestCookies::new(), now()).unwrap();
        for line in first.headers() {
            jar.apply(line);
        }
        let header = jar.header();
        let request = RequestCookies::from_header(&header);
        let opened = codec.open_bytes(&request, now()).unwrap().unwrap();
        // Every request carries the same cookies; each response is computed from them.
        let responses: Vec<(Vec<String>, Option<Vec<u8>>)> = actions
            .iter()
            .enumerate()
            .map(|(i, action)| match action {
                Action::Write(len) => {
                    let payload = vec![i as u8 + 2; *len];
                    let sealed = codec
                        .seal_bytes(&payload, Some(&opened.metadata), &request, now())
                        .unwrap();
                    (sealed.into_headers(), Some(payload))
                }
                Action::Clear => (codec.clear(&request), None),
            })
            .collect();
        for order in permutations(responses.len()) {
            let mut after = jar.clone();
            for &i in &order {
                for line in &responses[i].0 {
                    after.apply(line);
                }
            }
            let last = &responses[*order.last().unwrap()].1;
            let next = after.header();
            let reopened = codec.open_bytes(&RequestCookies::from_header(&next), now());
            match (reopened, last) {
                (Ok(Some(o)), Some(payload)) => prop_assert_eq!(&o.session, payload),
                (Ok(None), None) => {}
                (other, _) => prop_assert!(
                    false,
                    "order {:?}: expected {:?} bytes, got {:?}",
                    order,
                    last.as_ref().map(Vec::len),
                    other.map(|o| o.map(|o| o.session.len()))
                ),
            }
            // The next write deletes every leftover: the jar then holds exactly its chunks.
            let rewritten = codec
                .seal_bytes(b"x", None, &RequestCookies::from_header(&next), now())
                .unwrap();
            for line in rewritten.headers() {
                after.apply(line);
            }
            prop_assert_eq!(after.0.len(), 1, "leftovers survived: {:?}", after.0);
        }
    }
}

#[test]
fn the_strategy_spans_one_to_sixteen_chunks() {
    let codec = codec();
    let count = |len: usize| {
        codec
            .seal_bytes(&vec![0; len], None, &RequestCookies::new(), now())
            .unwrap()
            .chunk_count()
    };
    assert_eq!(count(0), 1);
    assert_eq!(count(5750), 16);
    // One byte more does not fit 16 chunks of 600 bytes: the strategy stays below it.
    assert!(
        codec
            .seal_bytes(&vec![0; 5751], None, &RequestCookies::new(), now())
            .is_err()
    );
}
