//! Random sequences of changes through a layer with a store, some concurrent: the model is
//! "a read finds the session of the last response applied", as with cookies alone.

use std::time::Duration;

use sealed_session::{Clock, ManualClock};

use super::{Counter, Frontend, REFERENCE, SESSION, StoredBrowser, memory, t0};

/// One step of a random sequence.
#[derive(Debug, Clone, Copy)]
pub enum Step {
    /// One request, its response applied.
    One(Change),
    /// Two requests sent with the same cookies (the first reaches the app first); their
    /// responses applied in either order.
    Concurrent(Change, Change, bool),
    /// The clock moves on (never as far as a due re-seal: the cases' idle timeout is an hour).
    Wait(u64),
}

#[derive(Debug, Clone, Copy)]
pub enum Change {
    Read,
    Incr,
    Grow,
    Shrink,
    SignOut,
}

impl Change {
    fn route(self) -> (&'static str, &'static str) {
        match self {
            Change::Read => ("GET", "/read"),
            Change::Incr => ("POST", "/incr"),
            Change::Grow => ("POST", "/grow"),
            Change::Shrink => ("POST", "/shrink"),
            Change::SignOut => ("POST", "/sign-out"),
        }
    }

    /// The session after this change of `before`; `None` for a read (no write).
    fn apply(self, before: Option<Counter>) -> Option<Option<Counter>> {
        let n = before.unwrap_or(0);
        match self {
            Change::Read => None,
            Change::Incr => Some(Some(n + 1)),
            Change::Grow => Some(Some(n + 1_000_000)),
            Change::Shrink => Some(Some(n % 1_000_000)),
            Change::SignOut => Some(None),
        }
    }
}

fn steps() -> impl proptest::strategy::Strategy<Value = Vec<Step>> {
    use proptest::prelude::*;
    let change = prop_oneof![
        Just(Change::Read),
        Just(Change::Incr),
        Just(Change::Grow),
        Just(Change::Grow),
        Just(Change::Shrink),
        Just(Change::SignOut),
    ];
    let step = prop_oneof![
        4 => change.clone().prop_map(Step::One),
        3 => (change.clone(), change, any::<bool>()).prop_map(|(a, b, o)| Step::Concurrent(a, b, o)),
        1 => (0u64..20).prop_map(Step::Wait),
    ];
    proptest::collection::vec(step, 1..30)
}

/// Random sequences of changes, some concurrent, over sessions that move between cookies and
/// the store: every read finds exactly the session of the last response applied (as with
/// cookies alone), never a mix, never a 5xx. One difference from cookies alone, by design: a
/// sign-out removes a stored session's entry at once, so a request sent beside it that reaches
/// the app after it finds no session.
pub fn random_changes_read_back_as_the_last_response_applied<F: Frontend>() {
    use proptest::test_runner::{Config, TestRunner};
    let mut runner = TestRunner::new(Config {
        cases: 48,
        failure_persistence: None,
        ..Config::default()
    });
    runner
        .run(&steps(), |steps| {
            let clock = ManualClock::new(t0());
            let mut b = StoredBrowser::<F>::with(memory(&clock), clock.clone());
            let mut model: Option<Counter> = None;
            for step in steps {
                let now = clock.now();
                match step {
                    Step::Wait(secs) => clock.advance(Duration::from_secs(secs)),
                    Step::One(change) => {
                        let (method, path) = change.route();
                        let reply = b.send(method, path);
                        assert_eq!(reply.status, 200, "{step:?}: {}", reply.body);
                        if let Some(after) = change.apply(model) {
                            model = after;
                        }
                    }
                    Step::Concurrent(first, second, first_applied_last) => {
                        let header = b.jar.header(now);
                        let stored = b.holds(REFERENCE);
                        let ((m1, p1), (m2, p2)) = (first.route(), second.route());
                        let r1 = b.app.send(m1, p1, &header);
                        let r2 = b.app.send(m2, p2, &header);
                        assert_eq!(
                            (r1.status, r2.status),
                            (200, 200),
                            "{step:?}: {} {}",
                            r1.body,
                            r2.body
                        );
                        let base2 = match (first, stored) {
                            (Change::SignOut, true) => None,
                            _ => model,
                        };
                        let (w1, w2) = (first.apply(model), second.apply(base2));
                        let order = if first_applied_last {
                            [(&r2, w2), (&r1, w1)]
                        } else {
                            [(&r1, w1), (&r2, w2)]
                        };
                        for (reply, wrote) in order {
                            b.jar.apply(reply.set_cookies(), now);
                            if let Some(after) = wrote {
                                model = after;
                            }
                        }
                    }
                }
                let read = b.send("GET", "/read");
                let want = model.map_or_else(|| "none".to_owned(), |n| n.to_string());
                assert_eq!(read.body, want, "after {step:?}");
                assert!(
                    !(b.holds(SESSION) && b.holds(REFERENCE)),
                    "both forms held after {step:?}"
                );
            }
            Ok(())
        })
        .unwrap();
}
