//! Revocations shared by every node through Redis (feature `redis-revocation`): the
//! handle and its settings here, the sync task in `sync`. The design is in
//! [`RedisRevocation`]'s documentation.

use core::fmt;
use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError, RwLock};
use std::time::{Duration, SystemTime};

use crate::{Error, Metadata, Revocation, SessionId};

mod sync;

/// Where a revocation stands once [`RedisRevocation::revoke`] returns: enforced on this node
/// either way.
///
/// # Example
///
/// ```
/// use sealed_session::Propagation;
/// assert_ne!(Propagation::Shared, Propagation::Queued);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Propagation {
    /// Written to Redis and published: every node enforces it within the stated bound.
    Shared,
    /// Redis was unreachable: enforced on this node, queued, and written when Redis returns.
    Queued,
}

/// Why [`RedisRevocationBuilder::start`] failed. Never holds the URL (it may hold a password).
///
/// # Example
///
/// ```
/// use sealed_session::{RedisRevocation, StartError};
/// // Outside a tokio runtime there is nowhere to run the sync task.
/// let err = RedisRevocation::builder("redis://127.0.0.1:6379/").start().unwrap_err();
/// assert_eq!(err, StartError::NoRuntime);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StartError {
    /// The URL is not a valid `redis://` URL.
    InvalidUrl,
    /// Not called from within a tokio runtime.
    NoRuntime,
}

impl fmt::Display for StartError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            StartError::InvalidUrl => "the Redis URL is not valid",
            StartError::NoRuntime => "RedisRevocation must be started within a tokio runtime",
        })
    }
}

impl std::error::Error for StartError {}

/// How the local copy stands against Redis, from [`RedisRevocation::status`].
///
/// # Example
///
/// ```
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() {
/// let node = sealed_session::RedisRevocation::builder("redis://127.0.0.1:1/").start().unwrap();
/// let status = node.status();
/// assert_eq!(status.entries, 0);
/// assert!(status.last_sync.is_none() || status.failures == 0);
/// # }
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SyncStatus {
    /// When the copy was last read whole from Redis (`None`: never).
    pub last_sync: Option<SystemTime>,
    /// Failed connections, reads and writes since start.
    pub failures: u64,
    /// Revocations held in the local copy.
    pub entries: usize,
    /// Revocations made on this node and not yet written to Redis.
    pub pending: usize,
    /// Revocations from Redis not held because the copy was full, since start.
    pub dropped: u64,
}

/// Settings for a [`RedisRevocation`], from [`RedisRevocation::builder`].
///
/// # Example
///
/// ```
/// use std::time::Duration;
/// let builder = sealed_session::RedisRevocation::builder("redis://127.0.0.1:6379/")
///     .key("myapp:revoked")
///     .capacity(100_000)
///     .resync_interval(Duration::from_secs(5))
///     .timeout(Duration::from_secs(1))
///     .max_backoff(Duration::from_secs(5));
/// assert!(format!("{builder:?}").contains("myapp:revoked"));
/// ```
#[derive(Clone)]
pub struct RedisRevocationBuilder {
    url: String,
    config: Config,
}

#[derive(Debug, Clone)]
pub(crate) struct Config {
    pub(crate) key: String,
    pub(crate) capacity: usize,
    pub(crate) resync_interval: Duration,
    pub(crate) timeout: Duration,
    pub(crate) max_backoff: Duration,
}

/// The URL stays out of Debug: it may carry a password.
impl fmt::Debug for RedisRevocationBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RedisRevocationBuilder")
            .field("config", &self.config)
            .finish_non_exhaustive()
    }
}

impl RedisRevocationBuilder {
    /// The Redis key of the sorted set, also the pub/sub channel (default
    /// `sealed-session:revoked`). Every node of one app uses the same key.
    ///
    /// # Example
    ///
    /// ```
    /// let b = sealed_session::RedisRevocation::builder("redis://127.0.0.1/").key("shop:revoked");
    /// # let _ = b;
    /// ```
    pub fn key(mut self, key: impl Into<String>) -> Self {
        self.config.key = key.into();
        self
    }

    /// The most revocations the local copy holds (default 100,000; about 60 bytes each).
    ///
    /// # Example
    ///
    /// ```
    /// let b = sealed_session::RedisRevocation::builder("redis://127.0.0.1/").capacity(1000);
    /// # let _ = b;
    /// ```
    pub fn capacity(mut self, capacity: usize) -> Self {
        self.config.capacity = capacity;
        self
    }

    /// How often the whole set is read back (default 5 s): the bound on how late a revocation
    /// whose pub/sub message was missed reaches this node. At least 10 ms.
    ///
    /// # Example
    ///
    /// ```
    /// # use std::time::Duration;
    /// let b = sealed_session::RedisRevocation::builder("redis://127.0.0.1/")
    ///     .resync_interval(Duration::from_secs(2));
    /// # let _ = b;
    /// ```
    pub fn resync_interval(mut self, interval: Duration) -> Self {
        self.config.resync_interval = interval.max(Duration::from_millis(10));
        self
    }

    /// How long one connection attempt or command may take before it counts as a failure
    /// (default 1 s). At least 10 ms.
    ///
    /// # Example
    ///
    /// ```
    /// # use std::time::Duration;
    /// let b = sealed_session::RedisRevocation::builder("redis://127.0.0.1/")
    ///     .timeout(Duration::from_millis(500));
    /// # let _ = b;
    /// ```
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.config.timeout = timeout.max(Duration::from_millis(10));
        self
    }

    /// The longest wait between reconnection attempts (default 5 s); waits start at 50 ms and
    /// double up to it.
    ///
    /// # Example
    ///
    /// ```
    /// # use std::time::Duration;
    /// let b = sealed_session::RedisRevocation::builder("redis://127.0.0.1/")
    ///     .max_backoff(Duration::from_secs(2));
    /// # let _ = b;
    /// ```
    pub fn max_backoff(mut self, max_backoff: Duration) -> Self {
        self.config.max_backoff = max_backoff.max(sync::MIN_BACKOFF);
        self
    }

    /// Starts the background sync task on the current tokio runtime and returns at once: the
    /// copy starts empty and fills at the first sync (Redis need not be up yet).
    ///
    /// # Example
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() {
    /// use std::sync::Arc;
    /// let node = Arc::new(sealed_session::RedisRevocation::builder("redis://127.0.0.1:6379/").start().unwrap());
    /// # let _ = node;
    /// # }
    /// ```
    pub fn start(self) -> Result<RedisRevocation, StartError> {
        let client = redis::Client::open(self.url.as_str()).map_err(|_| StartError::InvalidUrl)?;
        let runtime = tokio::runtime::Handle::try_current().map_err(|_| StartError::NoRuntime)?;
        let shared = Arc::new(Shared::new(self.config.capacity));
        let task = runtime.spawn(sync::run(
            shared.clone(),
            client.clone(),
            self.config.clone(),
        ));
        Ok(RedisRevocation {
            shared,
            config: self.config,
            task,
        })
    }
}

/// A [`Revocation`] hook shared by every node through Redis (feature `redis-revocation`).
///
/// [`RedisRevocation`] is a [`Revocation`] hook whose [`is_revoked`](Revocation::is_revoked)
/// reads an in-memory copy only (one read lock, no network hop per request). A background
/// tokio task keeps the copy in sync with one Redis sorted set (member: the session id in hex;
/// score: the Unix second of that session's deadline) in two ways:
///
/// - **push**: every revocation is also `PUBLISH`ed, and every node's task is subscribed, so a
///   revocation usually reaches every node in about a millisecond on one network;
/// - **catch-up**: every `resync_interval` (default 5 s) the task prunes the set by score
///   (entries whose session is past its deadline leave) and reads it whole (at most `capacity`
///   entries). A missed message (a node reconnecting, a dropped subscriber) is made good by the
///   next resync, so while Redis is reachable **a revocation made on one node is enforced by
///   every node within `resync_interval` plus one round trip** (tests/redis_revocation.rs
///   measures both paths).
///
/// When Redis is unreachable, every node keeps serving with the copy it has: nothing is ever
/// removed from a copy except by its session's deadline. The task says so (a `tracing` warning
/// with counts and error kinds only, and, with the `metrics` feature, the gauge
/// [`REVOCATION_SYNC_AGE`](crate::metrics::REVOCATION_SYNC_AGE) and the counter
/// [`REVOCATION_SYNC_FAILURES`](crate::metrics::REVOCATION_SYNC_FAILURES)), retries with a
/// bounded backoff, and catches up when Redis returns. A revocation made while Redis is down is
/// enforced at once on the node that made it, queued, and written when Redis returns; the other
/// nodes enforce it from then on (within the bound above). On reconnecting after a failure a
/// node writes its whole copy back, so a Redis that restarted empty is refilled by the nodes.
///
/// Bounded: the copy holds at most `capacity` revocations. A new revocation on a full copy is
/// refused with [`Error::RevocationListFull`] (nothing is evicted early: that would bring a
/// revoked session back); entries from Redis beyond `capacity` (a node configured with a larger
/// capacity) are not held, and counted in [`SyncStatus::dropped`] and a warning. Give every node
/// the same capacity. Revocations cannot be undone before their deadline.
///
/// Give the same instance (in an `Arc`) to the layer and to the handlers that revoke. Dropping
/// it stops its sync task.
///
/// # Example
///
/// ```
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
/// use std::sync::Arc;
/// use std::time::SystemTime;
/// use sealed_session::{Codec, Keyring, RedisRevocation, RequestCookies, Revocation};
///
/// let codec = Codec::<u32>::builder(Keyring::generate()?).build()?;
/// let sealed = codec.seal(&7, None, &RequestCookies::new(), SystemTime::now())?;
/// let revocations = Arc::new(RedisRevocation::builder("redis://127.0.0.1:1/").start()?);
/// // Enforced on this node at once; shared when Redis is reachable (here it is not).
/// revocations.revoke(sealed.metadata()).await?;
/// assert!(revocations.is_revoked(sealed.metadata(), &7));
/// # Ok(())
/// # }
/// ```
pub struct RedisRevocation {
    shared: Arc<Shared>,
    config: Config,
    task: tokio::task::JoinHandle<()>,
}

impl fmt::Debug for RedisRevocation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RedisRevocation")
            .field("config", &self.config)
            .field("status", &self.status())
            .finish_non_exhaustive()
    }
}

impl Drop for RedisRevocation {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl RedisRevocation {
    /// Settings for a backend on the Redis at `url` (`redis://[:password@]host:port/db`).
    ///
    /// # Example
    ///
    /// ```
    /// let builder = sealed_session::RedisRevocation::builder("redis://127.0.0.1:6379/0");
    /// # let _ = builder;
    /// ```
    pub fn builder(url: impl Into<String>) -> RedisRevocationBuilder {
        RedisRevocationBuilder {
            url: url.into(),
            config: Config {
                key: "sealed-session:revoked".to_owned(),
                capacity: 100_000,
                resync_interval: Duration::from_secs(5),
                timeout: Duration::from_secs(1),
                max_backoff: Duration::from_secs(5),
            },
        }
    }

    /// Revokes the session `metadata` describes, until no copy of it can open any more (as
    /// [`RevocationList::revoke`](crate::RevocationList::revoke) decides it): enforced on this node at
    /// once, then written to Redis and published (waiting at most the builder's `timeout`).
    /// Fails with [`Error::RevocationListFull`] when the copy holds `capacity` live entries.
    ///
    /// # Example
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// # use std::time::SystemTime;
    /// # use sealed_session::{Codec, Keyring, Propagation, RedisRevocation, RequestCookies};
    /// # let codec = Codec::<u32>::builder(Keyring::generate()?).build()?;
    /// # let sealed = codec.seal(&7, None, &RequestCookies::new(), SystemTime::now())?;
    /// let node = RedisRevocation::builder("redis://127.0.0.1:1/").start()?;
    /// // No Redis on port 1: the revocation waits in the queue.
    /// assert_eq!(node.revoke(sealed.metadata()).await?, Propagation::Queued);
    /// # Ok(())
    /// # }
    /// ```
    pub async fn revoke(&self, metadata: &Metadata) -> Result<Propagation, Error> {
        // Kept until no copy of the session opens (see `RevocationList::revoke`).
        let until = super::revocation::retention(metadata, SystemTime::now());
        self.revoke_id(metadata.session_id(), until).await
    }

    /// Revokes session `id` until `deadline` (`None`: the session has no deadline, so the
    /// entry stays until `capacity` forces a choice; prefer sessions with an absolute
    /// lifetime). Same as [`revoke`](Self::revoke) otherwise.
    ///
    /// # Example
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// use std::time::{Duration, SystemTime};
    /// use sealed_session::{RedisRevocation, SessionId};
    /// let node = RedisRevocation::builder("redis://127.0.0.1:1/").start()?;
    /// let id = SessionId::from_bytes([7; 16]);
    /// node.revoke_id(id, Some(SystemTime::now() + Duration::from_secs(3600))).await?;
    /// assert!(node.contains(id));
    /// # Ok(())
    /// # }
    /// ```
    pub async fn revoke_id(
        &self,
        id: SessionId,
        deadline: Option<SystemTime>,
    ) -> Result<Propagation, Error> {
        let until = deadline.map_or(u64::MAX, unix);
        self.shared.insert(id, until, SystemTime::now())?;
        if sync::write_now(&self.shared, &self.config, id, until).await {
            return Ok(Propagation::Shared);
        }
        self.shared.queue(id, until);
        Ok(Propagation::Queued)
    }

    /// Whether the local copy holds session `id` (what [`is_revoked`](Revocation::is_revoked)
    /// answers, without a session at hand).
    ///
    /// # Example
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() {
    /// let node = sealed_session::RedisRevocation::builder("redis://127.0.0.1:1/").start().unwrap();
    /// assert!(!node.contains(sealed_session::SessionId::from_bytes([1; 16])));
    /// # }
    /// ```
    pub fn contains(&self, id: SessionId) -> bool {
        read(&self.shared.entries).contains_key(&id)
    }

    /// How the local copy stands: last sync, failures, entries, queued writes.
    ///
    /// # Example
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() {
    /// let node = sealed_session::RedisRevocation::builder("redis://127.0.0.1:1/").start().unwrap();
    /// assert_eq!(node.status().pending, 0);
    /// # }
    /// ```
    pub fn status(&self) -> SyncStatus {
        self.shared.status()
    }
}

impl<T> Revocation<T> for RedisRevocation {
    fn is_revoked(&self, metadata: &Metadata, _session: &T) -> bool {
        self.contains(metadata.session_id())
    }
}

/// What the handle and the sync task share.
pub(crate) struct Shared {
    capacity: usize,
    /// Session id -> Unix second of its deadline (`u64::MAX`: none).
    pub(crate) entries: RwLock<HashMap<SessionId, u64>>,
    /// Revocations made here and not yet in Redis; a subset of `entries`, so bounded by it.
    pub(crate) pending: Mutex<HashMap<SessionId, u64>>,
    pub(crate) conn: Mutex<Option<redis::aio::MultiplexedConnection>>,
    pub(crate) wake: tokio::sync::Notify,
    pub(crate) sync: Mutex<SyncState>,
}

#[derive(Default)]
pub(crate) struct SyncState {
    pub(crate) last_sync: Option<SystemTime>,
    pub(crate) failures: u64,
    pub(crate) dropped: u64,
}

impl Shared {
    fn new(capacity: usize) -> Self {
        Shared {
            capacity,
            entries: RwLock::new(HashMap::new()),
            pending: Mutex::new(HashMap::new()),
            conn: Mutex::new(None),
            wake: tokio::sync::Notify::new(),
            sync: Mutex::new(SyncState::default()),
        }
    }

    /// Adds one revocation (the later deadline wins), pruning expired entries when full.
    pub(crate) fn insert(&self, id: SessionId, until: u64, now: SystemTime) -> Result<(), Error> {
        let mut entries = self.entries.write().unwrap_or_else(PoisonError::into_inner);
        if let Some(known) = entries.get_mut(&id) {
            *known = (*known).max(until);
            return Ok(());
        }
        if entries.len() >= self.capacity {
            let now = unix(now);
            entries.retain(|_, until| *until > now);
            if entries.len() >= self.capacity {
                return Err(Error::RevocationListFull {
                    capacity: self.capacity,
                });
            }
        }
        entries.insert(id, until);
        Ok(())
    }

    fn queue(&self, id: SessionId, until: u64) {
        lock(&self.pending).insert(id, until);
        self.wake.notify_one();
    }

    pub(crate) fn status(&self) -> SyncStatus {
        let sync = lock(&self.sync);
        SyncStatus {
            last_sync: sync.last_sync,
            failures: sync.failures,
            entries: read(&self.entries).len(),
            pending: lock(&self.pending).len(),
            dropped: sync.dropped,
        }
    }
}

pub(crate) fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

pub(crate) fn read<T>(m: &RwLock<T>) -> std::sync::RwLockReadGuard<'_, T> {
    m.read().unwrap_or_else(PoisonError::into_inner)
}

pub(crate) fn unix(t: SystemTime) -> u64 {
    t.duration_since(SystemTime::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}
