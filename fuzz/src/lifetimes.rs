//! The `lifetimes` target: format v2's lifetime, schema and usage fields through a seal by one
//! codec, an open and a re-seal by another (a node with a different policy and release), and
//! an open back on the first, against the model of FORMAT.md section 7 in `model.rs`.
//!
//! What it checks, beyond "never panics":
//! * a new session's lifetime is the one asked for, each limit capped by the sealer's policy,
//!   and invalid requests (limits out of range, an unbounded browser session) are refused with
//!   `InvalidConfig` exactly when the model says so; `Max-Age` is `expires_at - now` for a
//!   persistent session and absent for a browser-session one;
//! * opening gives `NotYetValid`, `Expired { at }` or the value with the lifetime in force
//!   (the value's, capped by the opener's policy), its `expires_at`, `past_deadline` and re-seal
//!   reason as the model says: an opener shortens a lifetime, never extends it;
//! * the schema written is the one the sealer writes at that time (`seal_older_schema_until`),
//!   and the opener reads it through the right conversion (`open_older_schema`) or refuses it
//!   with `UnknownSchema`;
//! * a re-seal keeps the session id and `issued_at`, writes the lifetime in force, never moves
//!   the absolute deadline later, and is refused once the deadline has passed; the original
//!   sealer then opens it with that shorter lifetime, not its own longer one;
//! * a cookie value never opens as a token, nor a token as a cookie (the usage byte).

use std::sync::Arc;

use arbitrary::Arbitrary;
use sealed_session::{Codec, Error, Keyring, Metadata, Mode, Opened, RequestCookies, ResealReason};
use serde::{Deserialize, Serialize};

use crate::CountingRandom;
use crate::model::{self, MAX_UNIX, Model, Outcome, Policy, at, open_outcome, times};

/// One key with no activation time: it seals and opens at every time the target uses, so no
/// re-seal is ever due for the key's age and the oracle isolates lifetimes and schemas.
pub const ONE_KEY: &str = "ssk1,0000000a.AQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQE";

/// The session type. `trail` records every schema conversion the value went through (the
/// downgrade of `seal_older_schema_until` pushes `1000 + version`, the upgrade of
/// `open_older_schema` pushes the version read), so the oracle sees which one ran.
#[derive(Serialize, Deserialize, Debug, Clone, PartialEq, Eq, Default)]
pub struct Tagged {
    /// The application's bytes.
    pub data: Vec<u8>,
    /// Conversions applied, in order.
    pub trail: Vec<u32>,
}

/// A lifetime as drawn: raw seconds, so 0 and more than 100 years occur.
#[derive(Arbitrary, Debug, Clone, Copy)]
pub struct LifetimeIn {
    /// Absolute lifetime, seconds.
    pub absolute: Option<u32>,
    /// Idle timeout, seconds.
    pub idle: Option<u32>,
    /// Persistent (`Max-Age`) or browser-session.
    pub persistent: bool,
}

impl LifetimeIn {
    /// The model of this lifetime.
    pub fn model(&self) -> Model {
        Model {
            absolute: self.absolute.map(u64::from),
            idle: self.idle.map(u64::from),
            persistent: self.persistent,
        }
    }
}

/// A codec's schema configuration: `current % 4`, the versions below it that `older` (a bit
/// mask) says it reads, and, when `writer` is set and it reads an older version, that version
/// sealed until `seal time + writer.1` (seconds, signed).
#[derive(Arbitrary, Debug, Clone, Copy)]
pub struct SchemaIn {
    /// Raw current version.
    pub current: u8,
    /// Bit `v` set: reads version `v < current`.
    pub older: u8,
    /// (which older version, switch offset from the seal time).
    pub writer: Option<(u8, i32)>,
}

/// The resolved schema configuration.
#[derive(Debug, Clone)]
struct Schemas {
    current: u32,
    older: Vec<u32>,
    writer: Option<(u32, u64)>,
}

impl SchemaIn {
    fn resolve(&self, seal_at: u64) -> Schemas {
        let current = u32::from(self.current % 4);
        let older: Vec<u32> = (0..current)
            .filter(|v| self.older & (1 << v) != 0)
            .collect();
        let writer = match (self.writer, older.is_empty()) {
            (Some((i, offset)), false) => Some((
                older[usize::from(i) % older.len()],
                seal_at
                    .saturating_add_signed(i64::from(offset))
                    .min(MAX_UNIX),
            )),
            _ => None,
        };
        Schemas {
            current,
            older,
            writer,
        }
    }
}

impl Schemas {
    fn sealing_version(&self, now: u64) -> u32 {
        match self.writer {
            Some((v, until)) if now < until => v,
            _ => self.current,
        }
    }
}

/// One node: its policy and release.
#[derive(Arbitrary, Debug, Clone, Copy)]
pub struct NodeIn {
    /// The policy's lifetime.
    pub lifetime: LifetimeIn,
    /// Raw skew (seconds; over 3600 is a configuration error).
    pub skew: u16,
    /// Its session type's versions.
    pub schema: SchemaIn,
}

/// The `lifetimes` target's input.
#[derive(Arbitrary, Debug, Clone)]
pub struct LifetimesInput {
    /// Signed when true, encrypted otherwise.
    pub signed: bool,
    /// Tokens when true, cookies otherwise.
    pub token: bool,
    /// Seal with the policy's lifetime (`seal`) instead of `requested` (`seal_new`).
    pub policy_lifetime: bool,
    /// The lifetime asked for at sign-in.
    pub requested: LifetimeIn,
    /// The node that seals first.
    pub sealer: NodeIn,
    /// The node that opens and re-seals.
    pub opener: NodeIn,
    /// Seal time: `NOW + seal_offset`, or `MAX_UNIX - seal_offset` when `near_end`.
    pub seal_offset: u32,
    /// Whether the times sit at the end of representable time (clamping).
    pub near_end: bool,
    /// Opening time relative to the seal (negative: the opener's clock runs behind).
    pub open_offset: i32,
    /// Re-seal time after the opening.
    pub reseal_after: u32,
    /// The session bytes.
    pub payload: Vec<u8>,
}

fn build(node: &NodeIn, signed: bool, seal_at: u64) -> Option<(Codec<Tagged>, Schemas, Policy)> {
    let policy = Policy {
        lifetime: node.lifetime.model(),
        skew: u64::from(node.skew),
    };
    let schemas = node.schema.resolve(seal_at);
    let mut builder = Codec::<Tagged>::builder(Keyring::from_text(ONE_KEY).expect("parses"))
        .purpose(sealed_session::DEFAULT_PURPOSE)
        .mode(if signed {
            Mode::Signed
        } else {
            Mode::Encrypted
        })
        .max_cookie_bytes(crate::COOKIE_TARGET_MAX_COOKIE_BYTES)
        .max_total_bytes(crate::COOKIE_TARGET_MAX_TOTAL_BYTES)
        .expiry(policy.expiry())
        .random_source(Arc::new(CountingRandom::new(11)))
        .schema_version(schemas.current);
    for &v in &schemas.older {
        builder = builder.open_older_schema(v, move |mut old: Tagged| {
            old.trail.push(v);
            old
        });
    }
    if let Some((v, until)) = schemas.writer {
        builder = builder.seal_older_schema_until(v, at(until), move |new: &Tagged| {
            let mut old = new.clone();
            old.trail.push(1000 + v);
            old
        });
    }
    match builder.build() {
        Ok(codec) if policy.valid() => {
            assert_eq!(
                codec.sealing_schema_version(at(seal_at)),
                schemas.sealing_version(seal_at)
            );
            Some((codec, schemas, policy))
        }
        Err(Error::InvalidConfig { .. }) if !policy.valid() => None,
        other => panic!(
            "policy {policy:?} valid={} built {:?}",
            policy.valid(),
            other.err()
        ),
    }
}

/// A sealed value: the `Cookie` header or the token, and its metadata.
enum Sealed {
    Cookie(String, usize),
    Token(String),
}

/// The `lifetimes` oracle (see the module documentation).
pub fn lifetimes(input: &LifetimesInput) {
    let ts = if input.near_end {
        MAX_UNIX - u64::from(input.seal_offset)
    } else {
        crate::NOW_UNIX + u64::from(input.seal_offset)
    };
    let Some((sealer, s_schemas, s_policy)) = build(&input.sealer, input.signed, ts) else {
        return;
    };
    let Some((opener, o_schemas, o_policy)) = build(&input.opener, input.signed, ts) else {
        return;
    };
    let value = Tagged {
        data: input.payload.clone(),
        trail: Vec::new(),
    };

    // --- The first seal.
    let requested = if input.policy_lifetime {
        s_policy.lifetime
    } else {
        input.requested.model()
    };
    let carried = requested.capped(&s_policy.lifetime);
    let expected_valid = requested.limits_valid() && !carried.unbounded_browser_session();
    let expires = carried.expires_at(ts, ts);
    let empty = RequestCookies::new();
    let result = match (input.token, input.policy_lifetime) {
        (false, true) => sealer
            .seal(&value, None, &empty, at(ts))
            .map(|s| cookie(s, ts)),
        (false, false) => sealer
            .seal_new(&value, &requested.lifetime(), &empty, at(ts))
            .map(|s| cookie(s, ts)),
        (true, true) => sealer
            .seal_token(&value, None, at(ts))
            .map(|t| token(&sealer, t, ts)),
        (true, false) => sealer
            .seal_token_new(&value, &requested.lifetime(), at(ts))
            .map(|t| token(&sealer, t, ts)),
    };
    let (sealed, meta) = match result {
        Err(Error::InvalidConfig { .. }) if !expected_valid => return,
        Err(Error::TooLarge { .. }) if expected_valid => return,
        Err(Error::Expired { at: e }) if expected_valid && expires.is_some_and(|x| x <= ts) => {
            assert_eq!(model::unix(e), expires.unwrap_or(0));
            return;
        }
        Ok(pair) if expected_valid && !expires.is_some_and(|x| x <= ts) => pair,
        other => panic!(
            "seal of {requested:?} under {s_policy:?}: expected valid={expected_valid} \
             expires={expires:?}, got {:?}",
            other.err()
        ),
    };
    assert_eq!(Model::of(&meta.lifetime()), carried, "sealed lifetime");
    assert_eq!(times(&meta), (ts, ts, expires), "sealed times");
    assert_eq!(meta.format_version(), 2);
    let sv = s_schemas.sealing_version(ts);
    assert_eq!(meta.schema_version(), sv, "sealed schema");
    let sealed_trail: Vec<u32> = if sv == s_schemas.current {
        vec![]
    } else {
        vec![1000 + sv]
    };

    // --- Usage: a cookie never opens as a token, nor a token as a cookie.
    match &sealed {
        Sealed::Cookie(header, 1) => {
            let value = header.split_once('=').map_or("", |(_, v)| v);
            let got = sealer.open_token_bytes(value, at(ts));
            assert!(
                matches!(got, Err(Error::Authentication)),
                "cookie opened as a token: {:?}",
                got.err()
            );
        }
        Sealed::Cookie(..) => {}
        Sealed::Token(t) => {
            let header = format!("{}={t}", sealer.cookie_name());
            let got = sealer.open_bytes(&RequestCookies::from_header(&header), at(ts));
            assert!(
                matches!(got, Err(Error::Authentication | Error::TooLarge { .. })),
                "token opened as a cookie: {:?}",
                got.map(|o| o.is_some())
            );
        }
    }

    // --- Opening on the other node.
    let to = ts
        .saturating_add_signed(i64::from(input.open_offset))
        .min(MAX_UNIX);
    let in_force = carried.capped(&o_policy.lifetime);
    let outcome = open_outcome(&in_force, ts, ts, to, o_policy.skew);
    let readable = sv == o_schemas.current || o_schemas.older.contains(&sv);
    let opened = match &sealed {
        Sealed::Cookie(h, _) => opener
            .open(&RequestCookies::from_header(h), at(to))
            .map(|o| o.expect("the session's cookies are present")),
        Sealed::Token(t) => opener.open_token(t, at(to)),
    };
    let expires_o = match (outcome, opened) {
        (Outcome::NotYetValid, Err(Error::NotYetValid)) => return,
        (Outcome::Expired(e), Err(Error::Expired { at: got })) => {
            assert_eq!(model::unix(got), e, "expired at");
            return;
        }
        (Outcome::Opens { .. }, Err(Error::UnknownSchema { version })) if !readable => {
            assert_eq!(version, sv);
            return;
        }
        (
            Outcome::Opens {
                expires_at,
                past_deadline,
            },
            Ok(opened),
        ) if readable => {
            check_opened(&opened, &meta, in_force, expires_at, past_deadline);
            let mut trail = sealed_trail.clone();
            if sv != o_schemas.current {
                trail.push(sv);
            }
            assert_eq!(
                opened.session,
                Tagged {
                    data: input.payload.clone(),
                    trail
                },
                "opened value"
            );
            let reason = if past_deadline {
                None
            } else if sv < o_schemas.sealing_version(to) {
                Some(ResealReason::OldSchema)
            } else if in_force
                .idle
                .is_some_and(|i| to.saturating_sub(ts) >= i.div_ceil(2))
            {
                Some(ResealReason::IdleRefresh)
            } else {
                None
            };
            assert_eq!(opened.metadata.reseal_reason(), reason, "re-seal reason");
            reseal(
                input, &opener, &o_schemas, &o_policy, &sealer, &s_policy, &sealed, &opened,
                in_force, to,
            );
            expires_at
        }
        (outcome, got) => panic!(
            "open at {to} of a value sealed at {ts} with {carried:?} under {o_policy:?} \
             (schema {sv}, readable {readable}): expected {outcome:?}, got {:?}",
            got.map(|o| (Model::of(&o.metadata.lifetime()), times(&o.metadata)))
                .err()
        ),
    };
    // Never extended: the opener's deadline is no later than the sealer's.
    if let Some(e) = expires {
        assert!(
            expires_o.is_some_and(|o| o <= e),
            "opener extended {e} to {expires_o:?}"
        );
    }
}

/// The cookies of a seal at `now` and their metadata; `Max-Age` is `expires_at - now` (the
/// seal's clock, which may be behind the value's `sealed_at`).
fn cookie(s: sealed_session::SealedCookies, now: u64) -> (Sealed, Metadata) {
    let lines = s.headers();
    let m = s.metadata().clone();
    let expect_age = if m.lifetime().is_persistent() {
        m.expires_at().map(|e| model::unix(e) - now)
    } else {
        None
    };
    for line in &lines[..s.chunk_count()] {
        assert_eq!(model::max_age(line), expect_age, "Max-Age of {line}");
    }
    (
        Sealed::Cookie(model::cookie_header(lines), s.chunk_count()),
        m,
    )
}

/// A token and its metadata, read back by the codec that sealed it at the seal time: raw
/// bytes (no schema step), under that codec's own policy, which caps nothing further.
fn token(codec: &Codec<Tagged>, t: String, now: u64) -> (Sealed, Metadata) {
    let m = codec
        .open_token_bytes(&t, at(now))
        .unwrap_or_else(|e| panic!("a fresh token does not open: {e:?}"))
        .metadata;
    (Sealed::Token(t), m)
}

fn check_opened(
    opened: &Opened<Tagged>,
    sealed: &Metadata,
    in_force: Model,
    expires_at: Option<u64>,
    past_deadline: bool,
) {
    let m = &opened.metadata;
    assert_eq!(m.session_id(), sealed.session_id());
    assert_eq!(Model::of(&m.lifetime()), in_force, "lifetime in force");
    assert!(
        in_force.within(&Model::of(&sealed.lifetime())),
        "opener extended a limit"
    );
    let (issued, sealed_at, _) = times(sealed);
    assert_eq!(times(m), (issued, sealed_at, expires_at), "opened times");
    assert_eq!(m.past_deadline(), past_deadline, "past deadline");
    assert_eq!(m.schema_version(), sealed.schema_version());
}

/// The opener re-seals what it opened (a write, or a due re-seal) at `to + reseal_after`, and
/// the first node opens the result.
#[allow(clippy::too_many_arguments)]
fn reseal(
    input: &LifetimesInput,
    opener: &Codec<Tagged>,
    o_schemas: &Schemas,
    o_policy: &Policy,
    sealer: &Codec<Tagged>,
    s_policy: &Policy,
    sealed: &Sealed,
    opened: &Opened<Tagged>,
    in_force: Model,
    to: u64,
) {
    let tr = to
        .saturating_add(u64::from(input.reseal_after))
        .min(MAX_UNIX);
    let prev = &opened.metadata;
    let (issued, sealed_at, _) = times(prev);
    // FORMAT.md 7, "A re-seal": the opening checks at `tr`, then no allowance, then the new
    // deadline must lie after `tr`.
    let new_sealed_at = tr.max(issued);
    let new_expires = in_force.expires_at(issued, new_sealed_at);
    let refusal = match open_outcome(&in_force, issued, sealed_at, tr, o_policy.skew) {
        Outcome::NotYetValid => Some(Error::NotYetValid),
        Outcome::Expired(e) => Some(Error::Expired { at: at(e) }),
        Outcome::Opens {
            expires_at: Some(e),
            ..
        } if tr >= e => Some(Error::Expired { at: at(e) }),
        Outcome::Opens { .. } => match new_expires {
            Some(e) if e <= tr => Some(Error::Expired { at: at(e) }),
            _ => None,
        },
    };
    let result = match sealed {
        Sealed::Cookie(h, _) => opener
            .seal(
                &opened.session,
                Some(prev),
                &RequestCookies::from_header(h),
                at(tr),
            )
            .map(|s| cookie(s, tr)),
        Sealed::Token(_) => opener
            .seal_token(&opened.session, Some(prev), at(tr))
            .map(|t| token(opener, t, tr)),
    };
    let (resealed, meta) = match (refusal, result) {
        (Some(Error::NotYetValid), Err(Error::NotYetValid)) => return,
        (Some(Error::Expired { .. }), Err(Error::Expired { .. })) => return,
        (None, Err(Error::TooLarge { .. })) => return,
        (None, Ok(pair)) => pair,
        (expected, got) => panic!(
            "re-seal at {tr} of {:?} (in force {in_force:?}): expected {expected:?}, got {:?}",
            times(prev),
            got.map(|(_, m)| times(&m))
        ),
    };
    assert_eq!(
        meta.session_id(),
        prev.session_id(),
        "re-seal changed the session id"
    );
    assert_eq!(
        times(&meta),
        (issued, new_sealed_at, new_expires),
        "re-sealed times"
    );
    assert_eq!(
        Model::of(&meta.lifetime()),
        in_force,
        "re-seal writes the lifetime in force"
    );
    assert_eq!(
        meta.schema_version(),
        o_schemas.sealing_version(tr),
        "re-sealed schema"
    );
    if let Some(old) = Model::of(&prev.lifetime()).absolute_deadline(issued) {
        assert!(
            in_force
                .absolute_deadline(issued)
                .is_some_and(|new| new <= old),
            "re-seal moved the absolute deadline"
        );
    }

    // Back on the first node: the shorter lifetime stays (its own policy would allow more).
    assert_eq!(in_force.capped(&s_policy.lifetime), in_force);
    let opened = match &resealed {
        Sealed::Cookie(h, _) => sealer
            .open_bytes(&RequestCookies::from_header(h), at(tr))
            .map(|o| o.expect("the session's cookies are present")),
        Sealed::Token(t) => sealer.open_token_bytes(t, at(tr)),
    };
    match (
        open_outcome(&in_force, issued, new_sealed_at, tr, s_policy.skew),
        opened,
    ) {
        (Outcome::NotYetValid, Err(Error::NotYetValid)) => {}
        (
            Outcome::Opens {
                expires_at,
                past_deadline,
            },
            Ok(o),
        ) => {
            assert_eq!(
                Model::of(&o.metadata.lifetime()),
                in_force,
                "the first node extended"
            );
            assert_eq!(times(&o.metadata), (issued, new_sealed_at, expires_at));
            assert_eq!(o.metadata.past_deadline(), past_deadline);
        }
        (expected, got) => panic!(
            "first node opening the re-seal at {tr}: expected {expected:?}, got {:?}",
            got.map(|o| times(&o.metadata))
        ),
    }
}

/// Decodes fuzz bytes as `libfuzzer-sys` does for the `lifetimes` target (seeds, debugging).
pub fn decode(data: &[u8]) -> Option<LifetimesInput> {
    LifetimesInput::arbitrary_take_rest(arbitrary::Unstructured::new(data)).ok()
}
