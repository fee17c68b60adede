//! The `session_layer` target: random sequences of requests through the axum `SessionLayer`
//! (the policy the axum and actix adapters share, `src/adapters/session/`), with a model
//! browser jar (`sealed_session::testing::CookieJar`), a `ManualClock` and random handler
//! actions, next to a model of the session the browser should hold.
//!
//! The layer is driven without a network, as `tests/layer_axum.rs` does: a `Router` called
//! through tower's `oneshot` on a current-thread tokio runtime. Concurrent requests are sent
//! with the same jar, handled one after another, and their responses applied in a random
//! order or lost (FORMAT.md 5.3, README "Cluster life": the last response applied wins).
//!
//! The oracle, at every request the handler sees:
//! * the session the handler reads is exactly the model's (value and session id): the layer
//!   never loses an authentic session except by expiry (the model computes the deadline from
//!   the lifetime, FORMAT.md 7), revocation (both hooks), sign-out, or the browser closing on a
//!   browser-session cookie, and never brings back one that ended;
//! * a response deletes the session only for a sign-out or a session that had already ended;
//!   a successful write is always sent (unless the status is 5xx); a cross-site POST is
//!   refused with 403 before the handler runs and writes nothing.
//!
//! Sealing and opening themselves are the library's; the model only tracks which value the
//! browser holds and when it ends.

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, LazyLock, Mutex};
use std::time::Duration;

use arbitrary::Arbitrary;
use axum::Router;
use axum::body::Body;
use axum::http::{Request, StatusCode};
use axum::routing::post;
use sealed_session::axum::{Session, SessionLayer};
use sealed_session::testing::CookieJar;
use sealed_session::{
    Codec, Error, Expiry, Keyring, ManualClock, Metadata, Revocation, RevocationList, SessionId,
    ValidAfter,
};
use serde::{Deserialize, Serialize};
use tower::ServiceExt;

use crate::model::{Model, at, unix};

/// The application's session.
#[derive(Serialize, Deserialize, Debug, Clone, PartialEq, Eq, Default)]
pub struct Account {
    /// Who signed in.
    pub user: Option<u8>,
    /// Bumped by the handlers.
    pub counter: u32,
    /// Bulk, to make 1 to 6 chunks.
    pub blob: Vec<u8>,
}

/// Two keys: the second becomes primary two hours after the start, so sessions are re-sealed
/// for a key rotation (`NonPrimaryKey`) during a run.
const START: u64 = crate::NOW_UNIX;
const KEYRING: &str = "ssk1,\
0000000a.AQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQE,\
0000000b.AgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgI.nb1800007200";

static RUNTIME: LazyLock<tokio::runtime::Runtime> = LazyLock::new(|| {
    tokio::runtime::Builder::new_current_thread()
        .build()
        .expect("a current-thread runtime")
});

/// What a handler can do.
#[derive(Arbitrary, Debug, Clone, Copy)]
pub enum Op {
    /// `get`.
    Read,
    /// `update`: counter + 1 (a new session when there is none).
    Incr,
    /// `modify`: counter + 10, only when there is a session.
    Modify,
    /// `set` with a blob of `n * 8` bytes (`TooLarge` past the budget).
    Set(u16),
    /// `sign_in` as `user` with that lifetime (limits in minutes, capped by the policy).
    SignIn {
        /// The user.
        user: u8,
        /// `Max-Age` or browser-session.
        persistent: bool,
        /// Absolute limit, minutes minus one.
        absolute: Option<u16>,
        /// Idle limit, minutes minus one.
        idle: Option<u16>,
    },
    /// `clear` (sign-out).
    Clear,
    /// `flash` a message.
    Flash,
    /// `take_flashes`.
    TakeFlashes,
    /// Revoke this session (`RevocationList::revoke`).
    Revoke,
    /// Revoke every session of this user issued up to now (`ValidAfter::revoke_all`).
    RevokeAll,
}

/// One request.
#[derive(Arbitrary, Debug, Clone, Copy)]
pub struct Req {
    /// The handler's action.
    pub op: Op,
    /// Sent with `Sec-Fetch-Site: cross-site` (refused when a POST).
    pub cross_site: bool,
    /// The handler answers 500 after acting.
    pub server_error: bool,
    /// Sent as a GET (safe: the cross-site check lets it through).
    pub get: bool,
}

/// One step of a run.
#[derive(Arbitrary, Debug, Clone)]
pub enum Step {
    /// One request, its response applied.
    Request(Req),
    /// Up to four requests sent with the same jar; each response is applied in the order of
    /// its key, or lost when the key is `None`.
    Concurrent(Vec<(Req, Option<u8>)>),
    /// The clock moves on by `n * 13` seconds.
    Advance(u16),
    /// The browser closes: browser-session cookies go.
    CloseBrowser,
}

/// The target's input: the policy's limits, then the steps.
#[derive(Arbitrary, Debug, Clone)]
pub struct LayerInput {
    /// Absolute lifetime, minutes (10 to 4105).
    pub absolute: u16,
    /// Idle timeout, minutes (5 to 1028), or none.
    pub idle: Option<u16>,
    /// The steps (at most 48 are run).
    pub steps: Vec<Step>,
}

/// What the browser should hold.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Live {
    value: Account,
    sid: SessionId,
    issued: u64,
    sealed: u64,
    lifetime: Model,
}

/// What the handler saw and did, recorded for the oracle.
#[derive(Debug, Clone, Default)]
struct Report {
    before: Option<(Account, SessionId)>,
    /// The handler's write: `Some(Ok)` written, `Some(Err)` refused, `None` none tried.
    wrote: Option<Result<(), Error>>,
    after: Option<(Account, SessionId, Metadata)>,
}

struct Hooks {
    list: RevocationList,
    after: ValidAfter<Account>,
}

impl Revocation<Account> for Hooks {
    fn is_revoked(&self, metadata: &Metadata, session: &Account) -> bool {
        Revocation::<Account>::is_revoked(&self.list, metadata, session)
            || self.after.is_revoked(metadata, session)
    }
}

struct Server {
    router: Router,
    clock: ManualClock,
    report: Arc<Mutex<Option<Report>>>,
    policy: Model,
}

fn subject(a: &Account) -> Option<String> {
    a.user.map(|u| u.to_string())
}

fn act(session: &Session<Account>, op: Op, hooks: &Hooks, now: u64, policy: &Model) -> Report {
    let before = session
        .get()
        .zip(session.metadata().map(|m| m.session_id()));
    let wrote = match op {
        Op::Read | Op::Flash | Op::TakeFlashes => {
            match op {
                // Untaken messages wait for the next request, so they pile up until the flash
                // cookie is too large: an error the handler sees, never a panic.
                Op::Flash => {
                    if let Err(e) = session.flash("saved") {
                        assert!(matches!(e, Error::TooLarge { .. }), "flash failed: {e:?}");
                    }
                }
                Op::TakeFlashes => drop(session.take_flashes()),
                _ => {}
            }
            None
        }
        Op::Incr => Some(session.update(|a| a.counter += 1)),
        Op::Modify => session
            .modify(|a| a.counter += 10)
            .map(|_| ())
            .map(Some)
            .transpose(),
        Op::Set(n) => {
            let mut value = session.get().unwrap_or_default();
            value.blob = vec![0x5a; usize::from(n % 800) * 8];
            Some(session.set(value))
        }
        Op::SignIn { user, .. } => Some(session.sign_in(
            Account {
                user: Some(user),
                ..Account::default()
            },
            &sign_in_lifetime(op).unwrap_or(*policy).lifetime(),
        )),
        Op::Clear => {
            session.clear();
            None
        }
        Op::Revoke => {
            if let Some(m) = session.metadata() {
                hooks.list.revoke(&m, at(now)).expect("capacity");
            }
            None
        }
        Op::RevokeAll => {
            if let Some(user) = session.get().as_ref().and_then(subject) {
                hooks.after.revoke_all(&user, at(now)).expect("capacity");
            }
            None
        }
    };
    let wrote = match (op, wrote) {
        (Op::Modify, Some(Ok(()))) if before.is_none() => None,
        (_, w) => w,
    };
    let after = session
        .get()
        .zip(session.metadata())
        .map(|(v, m)| (v, m.session_id(), m));
    Report {
        before,
        wrote,
        after,
    }
}

fn sign_in_lifetime(op: Op) -> Option<Model> {
    match op {
        Op::SignIn {
            persistent,
            absolute,
            idle,
            ..
        } => Some(Model {
            absolute: absolute.map(|m| (u64::from(m) + 1) * 60),
            idle: idle.map(|m| (u64::from(m) + 1) * 60),
            persistent,
        }),
        _ => None,
    }
}

impl Server {
    fn new(input: &LayerInput) -> Self {
        let policy = Model {
            absolute: Some((u64::from(input.absolute % 4096) + 10) * 60),
            idle: input.idle.map(|m| (u64::from(m % 1024) + 5) * 60),
            persistent: true,
        };
        let codec = Codec::<Account>::builder(Keyring::from_text(KEYRING).expect("parses"))
            .max_cookie_bytes(1024)
            .expiry(
                Expiry::default()
                    .absolute(policy.absolute.map(Duration::from_secs))
                    .idle(policy.idle.map(Duration::from_secs)),
            )
            .random_source(Arc::new(crate::CountingRandom::new(17)))
            .build()
            .expect("a valid configuration");
        let clock = ManualClock::new(at(START));
        let hooks = Arc::new(Hooks {
            list: RevocationList::new(1024),
            after: ValidAfter::new(subject, Duration::from_secs(400 * 3600), 1024),
        });
        let report = Arc::new(Mutex::new(None));
        let handler = {
            let (hooks, report, clock) = (hooks.clone(), report.clone(), clock.clone());
            move |session: Session<Account>, request: Request<Body>| {
                let (hooks, report, clock) = (hooks.clone(), report.clone(), clock.clone());
                async move {
                    let op = *request.extensions().get::<Op>().expect("the op");
                    let now = unix(sealed_session::Clock::now(&clock));
                    let r = act(&session, op, &hooks, now, &policy);
                    let status = match &r.wrote {
                        Some(Err(Error::TooLarge { .. })) => StatusCode::PAYLOAD_TOO_LARGE,
                        _ => StatusCode::OK,
                    };
                    *report.lock().expect("not poisoned") = Some(r);
                    status
                }
            }
        };
        let error_handler = {
            let handler = handler.clone();
            move |session: Session<Account>, request: Request<Body>| {
                let handler = handler.clone();
                async move {
                    let _ = handler(session, request).await;
                    StatusCode::INTERNAL_SERVER_ERROR
                }
            }
        };
        let router = Router::new()
            .route("/act", post(handler.clone()).get(handler))
            .route("/fail", post(error_handler.clone()).get(error_handler))
            .layer(
                SessionLayer::new(codec)
                    .clock(clock.clone())
                    .revocation(hooks as Arc<dyn Revocation<Account>>),
            );
        Server {
            router,
            clock,
            report,
            policy,
        }
    }

    fn now(&self) -> u64 {
        unix(sealed_session::Clock::now(&self.clock))
    }

    /// Sends one request with `cookie`; the status, the `Set-Cookie` lines and the report.
    fn send(&self, req: &Req, cookie: &str) -> (u16, Vec<String>, Option<Report>) {
        let mut builder = Request::builder()
            .method(if req.get { "GET" } else { "POST" })
            .uri(if req.server_error { "/fail" } else { "/act" })
            .header("host", "shop.example");
        if !cookie.is_empty() {
            builder = builder.header("cookie", cookie);
        }
        if req.cross_site {
            builder = builder.header("sec-fetch-site", "cross-site");
        }
        let mut request = builder.body(Body::empty()).expect("a valid request");
        request.extensions_mut().insert(req.op);
        *self.report.lock().expect("not poisoned") = None;
        let response = RUNTIME
            .block_on(self.router.clone().oneshot(request))
            .expect("infallible");
        let lines = response
            .headers()
            .get_all("set-cookie")
            .iter()
            .map(|v| v.to_str().expect("ASCII").to_owned())
            .collect();
        let report = self.report.lock().expect("not poisoned").take();
        (response.status().as_u16(), lines, report)
    }
}

/// The model: what the browser holds, and what the server revoked.
struct World {
    live: Option<Live>,
    revoked: HashSet<SessionId>,
    cutoffs: HashMap<u8, u64>,
}

impl World {
    /// The session a request at `now` must carry: the one held, unless it has ended.
    fn alive(&self, now: u64) -> Option<&Live> {
        self.live.as_ref().filter(|l| {
            let ended = l
                .lifetime
                .expires_at(l.issued, l.sealed)
                .is_some_and(|e| e <= now);
            let revoked = self.revoked.contains(&l.sid)
                || l.value
                    .user
                    .and_then(|u| self.cutoffs.get(&u))
                    .is_some_and(|&c| l.issued <= c);
            !ended && !revoked
        })
    }
}

/// A session cookie (`__Host-session` or a chunk) of a `Set-Cookie` line, and whether the line
/// deletes it.
fn session_line(line: &str) -> Option<bool> {
    let name = line.split('=').next().unwrap_or("");
    let base = sealed_session::DEFAULT_COOKIE_NAME;
    let ours = name == base
        || name
            .strip_prefix(base)
            .and_then(|r| r.strip_prefix('.'))
            .is_some_and(|d| !d.is_empty() && d.bytes().all(|b| b.is_ascii_digit()));
    ours.then(|| crate::model::max_age(line) == Some(0))
}

/// One request handled: the checks at the handler, and the session the browser holds if the
/// response is applied (`None` inside: it holds none), or `None` when it keeps what it had.
fn handle(
    server: &Server,
    world: &mut World,
    req: &Req,
    cookie: &str,
) -> (Vec<String>, Option<Option<Live>>) {
    let now = server.now();
    let before = world.alive(now).cloned();
    let (status, lines, report) = server.send(req, cookie);
    if req.cross_site && !req.get {
        assert_eq!(status, 403, "a cross-site POST must be refused");
        assert!(
            report.is_none() && lines.is_empty(),
            "a refused request ran or wrote"
        );
        return (lines, None);
    }
    let report = report.expect("the handler ran");
    let seen = report.before.clone();
    let expected = before.as_ref().map(|l| (l.value.clone(), l.sid));
    assert_eq!(
        seen, expected,
        "at {now}: the handler saw {seen:?}, the browser holds {before:?}"
    );

    match req.op {
        Op::Revoke => {
            if let Some(l) = &before {
                world.revoked.insert(l.sid);
            }
        }
        Op::RevokeAll => {
            if let Some(u) = before.as_ref().and_then(|l| l.value.user) {
                let c = world.cutoffs.entry(u).or_insert(0);
                *c = (*c).max(now);
            }
        }
        _ => {}
    }
    // The handler's write, as the model computes it.
    let written = match (&report.wrote, req.op) {
        (None, Op::Clear) => Some(None),
        (None, _) => None,
        (Some(Err(Error::TooLarge { .. })), Op::Set(n)) if n % 800 >= 100 => None,
        (Some(Err(e)), _) => panic!("the handler's {:?} failed: {e:?}", req.op),
        (Some(Ok(())), op) => {
            let (sid, m) = report
                .after
                .as_ref()
                .map(|(_, s, m)| (*s, m))
                .expect("written");
            let (value, issued, lifetime) = match (op, &before) {
                (Op::SignIn { user, .. }, _) => {
                    assert!(
                        before.as_ref().is_none_or(|l| l.sid != sid),
                        "sign-in kept the id"
                    );
                    let asked = sign_in_lifetime(op).expect("a sign-in");
                    let v = Account {
                        user: Some(user),
                        ..Account::default()
                    };
                    (v, now, asked.capped(&server.policy))
                }
                (_, Some(l)) => {
                    assert_eq!(sid, l.sid, "a write changed the session id");
                    (apply(op, l.value.clone()), l.issued, l.lifetime)
                }
                (_, None) => (apply(op, Account::default()), now, server.policy),
            };
            assert_eq!(
                report.after.as_ref().map(|(v, ..)| v),
                Some(&value),
                "written value"
            );
            assert_eq!(unix(m.issued_at()), issued, "issued_at");
            assert_eq!(Model::of(&m.lifetime()), lifetime, "lifetime");
            Some(Some(Live {
                value,
                sid,
                issued,
                sealed: now,
                lifetime,
            }))
        }
    };

    let seals = lines
        .iter()
        .filter(|l| session_line(l) == Some(false))
        .count();
    let deletes = lines
        .iter()
        .filter(|l| session_line(l) == Some(true))
        .count();
    if status >= 500 {
        assert!(
            seals + deletes == 0,
            "a 5xx response carried session cookies: {lines:?}"
        );
        return (lines, None);
    }
    let outcome = match (written, seals > 0) {
        (Some(Some(live)), true) => Some(Some(live)),
        (Some(Some(_)), false) => panic!("a write was not sent: {lines:?}"),
        (Some(None), true) => panic!("a sign-out sent a session: {lines:?}"),
        (Some(None), false) => Some(None),
        // A re-seal with no write: the same session, sealed now.
        (None, true) => {
            let mut l = before
                .clone()
                .unwrap_or_else(|| panic!("a session appeared: {lines:?}"));
            l.sealed = now;
            Some(Some(l))
        }
        (None, false) if deletes > 0 => {
            // Deleting is only for cookies that hold no live session (ended, revoked, dead).
            assert!(
                before.is_none() || world.alive(now).is_none(),
                "at {now}: a response deleted the live session {before:?}: {lines:?}"
            );
            Some(None)
        }
        (None, false) => None,
    };
    (lines, outcome)
}

fn apply(op: Op, mut v: Account) -> Account {
    match op {
        Op::Incr => v.counter += 1,
        Op::Modify => v.counter += 10,
        Op::Set(n) => v.blob = vec![0x5a; usize::from(n % 800) * 8],
        _ => {}
    }
    v
}

/// The `session_layer` oracle (see the module documentation).
pub fn session_layer(input: &LayerInput) {
    let server = Server::new(input);
    let mut jar = CookieJar::new();
    let mut world = World {
        live: None,
        revoked: HashSet::new(),
        cutoffs: HashMap::new(),
    };
    for step in input.steps.iter().take(48) {
        let now = server.now();
        match step {
            Step::Advance(n) => server
                .clock
                .advance(Duration::from_secs(u64::from(*n) * 13)),
            Step::CloseBrowser => {
                jar.close_browser();
                if world.live.as_ref().is_some_and(|l| !l.lifetime.persistent) {
                    world.live = None;
                }
            }
            Step::Request(req) => {
                let cookie = jar.header(at(now));
                let (lines, outcome) = handle(&server, &mut world, req, &cookie);
                jar.apply(&lines, at(now));
                if let Some(o) = outcome {
                    world.live = o;
                }
            }
            Step::Concurrent(reqs) => {
                let cookie = jar.header(at(now));
                let mut responses: Vec<(u8, Vec<String>, Option<Option<Live>>)> = reqs
                    .iter()
                    .take(4)
                    .filter_map(|(req, order)| {
                        let (lines, outcome) = handle(&server, &mut world, req, &cookie);
                        order.map(|o| (o, lines, outcome))
                    })
                    .collect();
                responses.sort_by_key(|(o, ..)| *o);
                for (_, lines, outcome) in responses {
                    jar.apply(&lines, at(now));
                    if let Some(o) = outcome {
                        world.live = o;
                    }
                }
            }
        }
    }
}

/// Decodes fuzz bytes as `libfuzzer-sys` does for the `session_layer` target.
pub fn decode(data: &[u8]) -> Option<LayerInput> {
    LayerInput::arbitrary_take_rest(arbitrary::Unstructured::new(data)).ok()
}
