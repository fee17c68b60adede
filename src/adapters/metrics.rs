//! What the layers report through the [`metrics`](https://docs.rs/metrics) facade (feature
//! `metrics`): how requests' sessions open, what responses write, and how far a key rotation
//! has come. The axum and actix-web layers share these calls (they live in the shared session
//! layer), so both report the same signals under the same names.
//!
//! Why `metrics` and not `tracing`: these are counters and histograms an operator alerts on,
//! which `metrics` records directly (no span or event per request) into whatever exporter the
//! application installs (Prometheus, StatsD, OpenTelemetry); with no recorder installed each
//! call is one atomic load. Labels hold kinds, reasons and key ids only: never a cookie value,
//! a session id or anything from the session.
//!
//! | name | kind | labels | what it counts |
//! |---|---|---|---|
//! | [`OPENS`] | counter | `outcome` (`none`, `opened`, `ended`, `error`), `error` (an [`Error::kind`], for `error`) | requests by what their session cookies opened to (`ended`: authentic, past its deadline) |
//! | [`OPENED_BY_KEY`] | counter | `key_id` | sessions opened, by the key that sealed them: rotation progress |
//! | [`REVOCATIONS`] | counter | | opened sessions the revocation hook refused (served as none) |
//! | [`RESEALS`] | counter | `reason` (`rotation`, `idle_refresh`, `old_format`, `old_schema`) | re-seals the layer made on its own |
//! | [`WRITES`] | counter | `action` (`seal`, `clear`) | responses that set or deleted the session's cookies |
//! | [`COOKIE_BYTES`] | histogram | | bytes the written session takes in the browser's `Cookie` header |
//! | [`BUDGET_SHARE`] | histogram | | the same bytes over the codec's total budget (`0.0` to `1.0`) |
//! | [`OVERWRITES_REFUSED`] | counter | `error` | writes refused over cookies this node cannot read ([`Error::OverwriteRefused`]) |
//! | [`CROSS_SITE_REFUSALS`] | counter | `reason` (`cross_origin`, `origin_mismatch`) | requests refused before their handler ran |
//! | [`REVOCATION_SYNC_AGE`] | gauge | | seconds since the Redis revocation copy was last read whole (feature `redis-revocation`) |
//! | [`REVOCATION_SYNC_FAILURES`] | counter | | failed connections, reads or writes of the Redis revocation sync |
//! | [`REVOCATION_ENTRIES`] | gauge | | revocations in this node's copy |
//! | [`REVOCATIONS_DROPPED`] | counter | | revocations from Redis this node's full copy could not hold |
//!
//! # Example
//!
//! ```
//! use sealed_session::metrics;
//!
//! // Alert when sessions stop opening for a reason other than "no session":
//! let rule = format!(
//!     "sum(rate({}{{outcome=\"error\"}}[5m])) / sum(rate({}[5m])) > 0.01",
//!     metrics::OPENS,
//!     metrics::OPENS
//! );
//! assert!(rule.starts_with("sum(rate(sealed_session_opens_total"));
//! ```
//!
//! [`Error::kind`]: crate::Error::kind
//! [`Error::OverwriteRefused`]: crate::Error::OverwriteRefused

use crate::{CrossSiteRefusal, Error, ResealReason};

/// Counter: requests by what their session cookies opened to (labels `outcome`, `error`).
///
/// # Example
///
/// ```
/// assert_eq!(sealed_session::metrics::OPENS, "sealed_session_opens_total");
/// ```
pub const OPENS: &str = "sealed_session_opens_total";

/// Counter: sessions opened, by the id of the key that sealed them (label `key_id`, eight hex
/// digits as [`KeyId`](crate::KeyId) displays). During a rotation the old key's rate falls as
/// sessions are re-sealed under the new primary; when it is zero the old key can be retired.
///
/// # Example
///
/// ```
/// assert_eq!(sealed_session::metrics::OPENED_BY_KEY, "sealed_session_opened_by_key_total");
/// ```
pub const OPENED_BY_KEY: &str = "sealed_session_opened_by_key_total";

/// Counter: opened sessions the layer's [`Revocation`](crate::Revocation) hook refused: served
/// as no session, their cookies deleted.
///
/// # Example
///
/// ```
/// assert_eq!(sealed_session::metrics::REVOCATIONS, "sealed_session_revocations_total");
/// ```
pub const REVOCATIONS: &str = "sealed_session_revocations_total";

/// Counter: re-seals the layer made without the handler asking (label `reason`).
///
/// # Example
///
/// ```
/// assert_eq!(sealed_session::metrics::RESEALS, "sealed_session_reseals_total");
/// ```
pub const RESEALS: &str = "sealed_session_reseals_total";

/// Counter: responses that wrote the session's cookies (label `action`: `seal` or `clear`).
///
/// # Example
///
/// ```
/// assert_eq!(sealed_session::metrics::WRITES, "sealed_session_writes_total");
/// ```
pub const WRITES: &str = "sealed_session_writes_total";

/// Histogram: bytes a written session takes in the `Cookie` header the browser sends back
/// (every chunk, names and separators included).
///
/// # Example
///
/// ```
/// assert_eq!(sealed_session::metrics::COOKIE_BYTES, "sealed_session_cookie_bytes");
/// ```
pub const COOKIE_BYTES: &str = "sealed_session_cookie_bytes";

/// Histogram: [`COOKIE_BYTES`] over the codec's total budget
/// ([`CodecBuilder::max_total_bytes`](crate::CodecBuilder::max_total_bytes)), from `0.0` to
/// `1.0`. Sessions near `1.0` are about to fail with [`Error::TooLarge`](crate::Error::TooLarge).
///
/// # Example
///
/// ```
/// assert_eq!(sealed_session::metrics::BUDGET_SHARE, "sealed_session_budget_share");
/// ```
pub const BUDGET_SHARE: &str = "sealed_session_budget_share";

/// Counter: writes refused because the request's cookies did not open on this node but may on
/// another (label `error`: the cause's [`Error::kind`](crate::Error::kind)). A steady rate
/// means a node with a stale keyring or an older release.
///
/// # Example
///
/// ```
/// assert_eq!(sealed_session::metrics::OVERWRITES_REFUSED, "sealed_session_overwrites_refused_total");
/// ```
pub const OVERWRITES_REFUSED: &str = "sealed_session_overwrites_refused_total";

/// Counter: requests the cross-site check refused (label `reason`).
///
/// # Example
///
/// ```
/// assert_eq!(sealed_session::metrics::CROSS_SITE_REFUSALS, "sealed_session_cross_site_refusals_total");
/// ```
pub const CROSS_SITE_REFUSALS: &str = "sealed_session_cross_site_refusals_total";

/// Gauge: seconds since this node last read the shared revocation set whole from Redis
/// ([`RedisRevocation`](crate::RedisRevocation), feature `redis-revocation`); refreshed at
/// every resync and every failed attempt. Alert when it exceeds a few resync intervals: the
/// node is serving with an old copy. Not set before the first successful sync.
///
/// # Example
///
/// ```
/// assert_eq!(sealed_session::metrics::REVOCATION_SYNC_AGE, "sealed_session_revocation_sync_age_seconds");
/// ```
pub const REVOCATION_SYNC_AGE: &str = "sealed_session_revocation_sync_age_seconds";

/// Counter: failed connections, reads or writes of the Redis revocation sync (each followed
/// by a bounded backoff and a retry).
///
/// # Example
///
/// ```
/// assert_eq!(sealed_session::metrics::REVOCATION_SYNC_FAILURES, "sealed_session_revocation_sync_failures_total");
/// ```
pub const REVOCATION_SYNC_FAILURES: &str = "sealed_session_revocation_sync_failures_total";

/// Gauge: revocations held in this node's copy of the Redis revocation set.
///
/// # Example
///
/// ```
/// assert_eq!(sealed_session::metrics::REVOCATION_ENTRIES, "sealed_session_revocation_entries");
/// ```
pub const REVOCATION_ENTRIES: &str = "sealed_session_revocation_entries";

/// Counter: revocations read from Redis that this node's full copy could not hold (so are
/// not enforced here). Non-zero means a node's capacity is below the others'.
///
/// # Example
///
/// ```
/// assert_eq!(sealed_session::metrics::REVOCATIONS_DROPPED, "sealed_session_revocations_dropped_total");
/// ```
pub const REVOCATIONS_DROPPED: &str = "sealed_session_revocations_dropped_total";

/// Counter: calls the layer made to its server-side store (labels `call`: `load`, `save`,
/// `expire`, `remove`; `outcome`: `ok`, `missing` (a load that found no entry), `error`).
/// Alert on `outcome="error"`: while the store does not answer, stored sessions are served as
/// none and changes to them are answered 503.
///
/// # Example
///
/// ```
/// assert_eq!(sealed_session::metrics::STORE_CALLS, "sealed_session_store_calls_total");
/// ```
pub const STORE_CALLS: &str = "sealed_session_store_calls_total";

/// A call to the layer's session store and how it ended.
pub(crate) fn store_call(call: &'static str, outcome: &'static str) {
    ::metrics::counter!(STORE_CALLS, "call" => call, "outcome" => outcome).increment(1);
}

#[cfg(feature = "redis-revocation")]
pub(crate) fn revocation_sync_state(age_secs: Option<f64>, entries: usize) {
    if let Some(age) = age_secs {
        ::metrics::gauge!(REVOCATION_SYNC_AGE).set(age);
    }
    ::metrics::gauge!(REVOCATION_ENTRIES).set(entries as f64);
}

#[cfg(feature = "redis-revocation")]
pub(crate) fn revocation_sync_failed() {
    ::metrics::counter!(REVOCATION_SYNC_FAILURES).increment(1);
}

#[cfg(feature = "redis-revocation")]
pub(crate) fn revocations_dropped(n: u64) {
    ::metrics::counter!(REVOCATIONS_DROPPED).increment(n);
}

/// The outcome of opening a request's session cookies.
pub(crate) fn opened<T>(result: &Result<Option<crate::Opened<T>>, Error>) {
    let outcome = match result {
        Ok(None) => "none",
        Ok(Some(opened)) if opened.metadata.past_deadline() => "ended",
        Ok(Some(opened)) => {
            let key_id = opened.metadata.key_id().to_string();
            ::metrics::counter!(OPENED_BY_KEY, "key_id" => key_id).increment(1);
            "opened"
        }
        Err(error) => {
            ::metrics::counter!(OPENS, "outcome" => "error", "error" => error.kind()).increment(1);
            return;
        }
    };
    ::metrics::counter!(OPENS, "outcome" => outcome).increment(1);
}

/// An authentic session the revocation hook refused.
pub(crate) fn revoked() {
    ::metrics::counter!(REVOCATIONS).increment(1);
}

pub(crate) fn resealed(reason: ResealReason) {
    let reason = match reason {
        ResealReason::NonPrimaryKey => "rotation",
        ResealReason::IdleRefresh => "idle_refresh",
        ResealReason::OldFormat => "old_format",
        ResealReason::OldSchema => "old_schema",
    };
    ::metrics::counter!(RESEALS, "reason" => reason).increment(1);
}

/// A response sealed the session: `bytes` in the `Cookie` header, of `budget`.
pub(crate) fn sealed(bytes: usize, budget: usize) {
    ::metrics::counter!(WRITES, "action" => "seal").increment(1);
    ::metrics::histogram!(COOKIE_BYTES).record(bytes as f64);
    if budget > 0 {
        ::metrics::histogram!(BUDGET_SHARE).record(bytes as f64 / budget as f64);
    }
}

pub(crate) fn cleared() {
    ::metrics::counter!(WRITES, "action" => "clear").increment(1);
}

pub(crate) fn overwrite_refused(cause: &Error) {
    ::metrics::counter!(OVERWRITES_REFUSED, "error" => cause.kind()).increment(1);
}

pub(crate) fn cross_site_refused(refusal: CrossSiteRefusal) {
    let reason = match refusal {
        CrossSiteRefusal::CrossOrigin => "cross_origin",
        CrossSiteRefusal::OriginMismatch => "origin_mismatch",
    };
    ::metrics::counter!(CROSS_SITE_REFUSALS, "reason" => reason).increment(1);
}
