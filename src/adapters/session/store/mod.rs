//! Sessions larger than cookies: a server-side store for the sessions that do not fit the
//! cookie budget, the way ASP.NET cookie authentication's `SessionStore` works.
//!
//! # Design
//!
//! A layer given a store ([`SessionLayer::store`](crate::axum::SessionLayer::store) in axum,
//! [`SessionMiddleware::store`](crate::actix::SessionMiddleware::store) in actix-web) keeps
//! every session that fits the cookie budget in its cookies, exactly as without a store: no
//! store round trip for those. A change that does not fit is *spilled*: the session is sealed
//! as one token under the codec's keyring (purpose `<purpose>/store`) and saved in the store
//! under a fresh random [`StoreKey`]; the browser gets a small *reference cookie*
//! (`<cookie name>-store`) sealed like any session cookie, holding that key and a digest of
//! the entry. So:
//!
//! * **Every node serves every session**: the store is shared (Redis), the reference opens on
//!   every node that holds the keyring.
//! * **The store learns nothing and can forge nothing**: an entry is sealed with the keyring
//!   (encrypted in the encrypted mode), bound to its reference's session id and digest; a store
//!   that hands back another entry, an older version of this one or altered bytes is refused
//!   like a forged cookie.
//! * **A missing or expired entry is a clean "no session"** ([`Error::StoreEntryMissing`]):
//!   the request is served as one without a session, never a 5xx and never half a session.
//!   The reference is not deleted: a request that reaches the node late with an old reference
//!   must not delete the newer one the browser may hold by then; the next write replaces it.
//! * **Entries are never changed in place**: every change writes a new entry under a new key,
//!   and the entry it replaces expires after a grace period ([`StoreOptions::grace`]), so a
//!   request still in flight with the previous reference reads a whole, older session, as it
//!   would read an older cookie. Sign-out ([`Session::clear`](crate::Session::clear)) removes
//!   the entry the request's reference names at once, loaded or not (and answers 503 if the
//!   store cannot). Other entries of the same session (written by concurrent requests whose
//!   responses the browser discarded, or by whoever holds a stolen copy of the reference)
//!   stay until their own deadline: to refuse every copy, revoke the session id
//!   ([`Revocation`](crate::Revocation)).
//! * **What the store holds**: every change, and every due re-seal (idle refresh, key
//!   rotation), writes a new entry of up to [`StoreOptions::max_entry_bytes`] that lives until
//!   the session's deadline; the one it replaced goes after the grace period; entries of
//!   responses a browser discarded (concurrent requests) live to their deadline. Any visitor
//!   whose session outgrows the cookies costs the store that much: size it (or Redis'
//!   `maxmemory`) for it. Under `maxmemory-policy noeviction` a full Redis answers saves with
//!   errors (changes get 503); under an eviction policy users whose entries are evicted are
//!   signed out (a clean "no session").
//! * **Concurrent responses behave as with cookies**: every write deletes the form the session
//!   does not take (its cookies after a spill, the reference after a change that fits), held
//!   or not, so whatever order a browser applies two responses in, it ends with the session of
//!   the last one (tested on random sequences: `random_changes_read_back_as_the_last_response_applied`).
//! * **An unreachable store loses nothing**: a reference that cannot be looked up is left
//!   alone and writes over it are refused ([`Error::OverwriteRefused`] with
//!   [`Error::StoreUnavailable`]), exactly as for cookies this node cannot read; a change
//!   whose entry cannot be saved is answered `503 Service Unavailable` with `Retry-After`, and
//!   the browser keeps the cookies it had. The handler has run by then: a handler whose side
//!   effects must not be repeated on a retry should not depend on a spilled session write.
//!   A due re-seal (not asked for by the handler) whose entry cannot be saved is simply not
//!   sent: the response goes out as the handler made it.
//! * **Two sessions at once** (a reference and session cookies of another session id, which
//!   no response of a layer leaves behind, so one was planted) are treated as duplicate chunk
//!   cookies are: no session, nothing deleted, writes refused.
//!
//! Every node must run with the store configured: a node without one does not read reference
//! cookies (it serves such a request as one without a session).

use core::fmt;
use core::future::Future;
use core::pin::Pin;
use std::time::Duration;

use crate::Error;

mod memory;
mod open;
#[cfg(feature = "redis-store")]
mod redis;
mod write;

pub use memory::MemoryStore;
pub(crate) use open::StoreCodecs;
#[cfg(feature = "redis-store")]
pub use redis::RedisStore;
pub(crate) use write::Stored;

/// The body of the `503 Service Unavailable` (plain text, with `Retry-After:
/// STORE_FAILURE_RETRY_AFTER`) a layer answers when a change's entry could not be saved, or a
/// sign-out's entry removed: the change was not written and the browser keeps its cookies.
/// It replaces the handler's response after the handler ran.
pub(crate) const STORE_FAILURE_BODY: &str =
    "sealed-session: the session store did not answer; the change was not saved, try again";
/// The `Retry-After` (seconds) of that answer.
pub(crate) const STORE_FAILURE_RETRY_AFTER: &str = "1";

/// The largest sealed entry a store may hold ([`StoreOptions::max_entry_bytes`]): 1 MiB.
pub const MAX_STORED_ENTRY_BYTES: usize = 1 << 20;

/// What a store call returns: a boxed future, so that the layers hold any store as
/// `Arc<dyn SessionStore>`.
pub type StoreFuture<'a, T> = Pin<Box<dyn Future<Output = Result<T, StoreError>> + Send + 'a>>;

/// A server-side store of session entries: four calls, each one round trip to the store.
///
/// Entries are opaque strings (sealed tokens) under random keys; the store never has to
/// interpret them. [`MemoryStore`] keeps them in the process (tests, a single node); the
/// `redis-store` feature gives `RedisStore`. An implementation must make an entry disappear
/// once its time to live has passed (or sooner: a missing entry is a clean "no session").
///
/// # Example
///
/// A store over a `HashMap` (no expiry: for illustration only; see [`MemoryStore`]):
///
/// ```
/// use std::collections::HashMap;
/// use std::sync::Mutex;
/// use std::time::Duration;
/// use sealed_session::{SessionStore, StoreError, StoreFuture, StoreKey};
///
/// #[derive(Default)]
/// struct MapStore(Mutex<HashMap<StoreKey, String>>);
///
/// impl SessionStore for MapStore {
///     fn load<'a>(&'a self, key: &'a StoreKey) -> StoreFuture<'a, Option<String>> {
///         let entry = self.0.lock().unwrap().get(key).cloned();
///         Box::pin(async move { Ok(entry) })
///     }
///     fn save<'a>(&'a self, key: &'a StoreKey, entry: &'a str, _ttl: Duration) -> StoreFuture<'a, ()> {
///         self.0.lock().unwrap().insert(*key, entry.to_owned());
///         Box::pin(async { Ok(()) })
///     }
///     fn expire<'a>(&'a self, _key: &'a StoreKey, _ttl: Duration) -> StoreFuture<'a, ()> {
///         Box::pin(async { Ok(()) })
///     }
///     fn remove<'a>(&'a self, key: &'a StoreKey) -> StoreFuture<'a, ()> {
///         self.0.lock().unwrap().remove(key);
///         Box::pin(async { Ok(()) })
///     }
/// }
/// let _store: std::sync::Arc<dyn SessionStore> = std::sync::Arc::new(MapStore::default());
/// ```
pub trait SessionStore: Send + Sync + 'static {
    /// The entry under `key`, or `None` when there is none (never saved, expired or removed).
    fn load<'a>(&'a self, key: &'a StoreKey) -> StoreFuture<'a, Option<String>>;

    /// Saves `entry` under `key` (a fresh key: entries are never overwritten), to disappear
    /// after `ttl`.
    fn save<'a>(&'a self, key: &'a StoreKey, entry: &'a str, ttl: Duration) -> StoreFuture<'a, ()>;

    /// Makes the entry under `key` disappear within `ttl`, if it would live longer (a replaced
    /// entry's grace period). A missing entry is not an error.
    fn expire<'a>(&'a self, key: &'a StoreKey, ttl: Duration) -> StoreFuture<'a, ()>;

    /// Removes the entry under `key` now (sign-out). A missing entry is not an error.
    fn remove<'a>(&'a self, key: &'a StoreKey) -> StoreFuture<'a, ()>;
}

/// The random key of one store entry: 128 bits from the operating system, drawn for every
/// entry written. Shown as 32 lowercase hex digits (`Display`), which is what stores use in
/// their own key names.
///
/// # Example
///
/// ```
/// use sealed_session::StoreKey;
/// let key = StoreKey::from_bytes([0xab; 16]);
/// assert_eq!(key.to_string(), "ab".repeat(16));
/// assert_eq!(key.as_bytes(), &[0xab; 16]);
/// ```
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct StoreKey([u8; 16]);

impl StoreKey {
    /// The key of these bytes (a store that lists its keys; tests).
    ///
    /// # Example
    ///
    /// ```
    /// let key = sealed_session::StoreKey::from_bytes([1; 16]);
    /// assert_eq!(key.as_bytes()[0], 1);
    /// ```
    pub fn from_bytes(bytes: [u8; 16]) -> Self {
        StoreKey(bytes)
    }

    /// The key's bytes.
    ///
    /// # Example
    ///
    /// ```
    /// let key = sealed_session::StoreKey::from_bytes([2; 16]);
    /// assert_eq!(key.as_bytes(), &[2; 16]);
    /// ```
    pub fn as_bytes(&self) -> &[u8; 16] {
        &self.0
    }

    /// A fresh random key.
    pub(crate) fn random() -> Result<Self, Error> {
        let mut bytes = [0u8; 16];
        crate::RandomSource::fill(&crate::OsRandom, &mut bytes)?;
        Ok(StoreKey(bytes))
    }
}

impl fmt::Display for StoreKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.iter().try_for_each(|b| write!(f, "{b:02x}"))
    }
}

/// Shows the key's hex form: a key is not a secret (it opens nothing without the store, and
/// the store's entries are sealed).
impl fmt::Debug for StoreKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "StoreKey({self})")
    }
}

/// A store call that failed (unreachable, timed out, refused): the reason, as the store
/// describes it. It must never hold an entry or a key's secret; the stores of this crate give
/// their client's error kind only.
///
/// # Example
///
/// ```
/// let e = sealed_session::StoreError::new("connection refused");
/// assert_eq!(e.reason(), "connection refused");
/// assert_eq!(e.to_string(), "session store: connection refused");
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoreError {
    reason: String,
}

impl StoreError {
    /// An error with this reason.
    ///
    /// # Example
    ///
    /// ```
    /// let e = sealed_session::StoreError::new("timed out");
    /// # let _ = e;
    /// ```
    pub fn new(reason: impl Into<String>) -> Self {
        StoreError {
            reason: reason.into(),
        }
    }

    /// Why the call failed.
    ///
    /// # Example
    ///
    /// ```
    /// assert_eq!(sealed_session::StoreError::new("full").reason(), "full");
    /// ```
    pub fn reason(&self) -> &str {
        &self.reason
    }
}

impl fmt::Display for StoreError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "session store: {}", self.reason)
    }
}

impl std::error::Error for StoreError {}

impl From<StoreError> for Error {
    fn from(e: StoreError) -> Self {
        Error::StoreUnavailable { reason: e.reason }
    }
}

/// How a layer uses its store.
///
/// # Example
///
/// ```
/// use std::time::Duration;
/// let mut options = sealed_session::StoreOptions::default();
/// options.max_entry_bytes = 64 * 1024;
/// options.grace = Duration::from_secs(30);
/// assert!(options.validate().is_ok());
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct StoreOptions {
    /// The largest sealed entry (base64url text) a change may save, at most
    /// [`MAX_STORED_ENTRY_BYTES`]; a larger session is refused with [`Error::TooLarge`], as a
    /// session too large for cookies is without a store. Default 256 KiB.
    pub max_entry_bytes: usize,
    /// How long an entry stays after a change replaced it, so that requests in flight with
    /// the previous reference still read a whole session. Default 10 s: long enough for a
    /// browser's concurrent requests, short because every change writes a new entry, so a
    /// store holds up to (changes per second × grace) replaced entries beside the live ones.
    pub grace: Duration,
    /// The time to live of an entry whose session has no deadline (no idle timeout and no
    /// absolute lifetime): the store must drop entries at some point. Default 30 days; the
    /// session then ends as "no session".
    pub ttl_without_deadline: Duration,
}

impl Default for StoreOptions {
    fn default() -> Self {
        StoreOptions {
            max_entry_bytes: 256 * 1024,
            grace: Duration::from_secs(10),
            ttl_without_deadline: Duration::from_secs(30 * 24 * 3600),
        }
    }
}

impl StoreOptions {
    /// Checks the bounds: `max_entry_bytes` between 64 and [`MAX_STORED_ENTRY_BYTES`], `grace`
    /// between 1 s and 1 h, a non-zero `ttl_without_deadline`.
    ///
    /// # Example
    ///
    /// ```
    /// let mut options = sealed_session::StoreOptions::default();
    /// options.max_entry_bytes = 10 << 20;
    /// assert!(options.validate().is_err());
    /// ```
    pub fn validate(&self) -> Result<(), Error> {
        if !(64..=MAX_STORED_ENTRY_BYTES).contains(&self.max_entry_bytes) {
            return Err(crate::error::config(
                "StoreOptions::max_entry_bytes must be between 64 and 1 MiB",
            ));
        }
        if !(Duration::from_secs(1)..=Duration::from_secs(3600)).contains(&self.grace) {
            return Err(crate::error::config(
                "StoreOptions::grace must be between 1 s and 1 h",
            ));
        }
        if self.ttl_without_deadline.is_zero() {
            return Err(crate::error::config(
                "StoreOptions::ttl_without_deadline must not be zero",
            ));
        }
        Ok(())
    }
}
