//! The store on Redis (feature `redis-store`): one command per call, each bounded in time.

use std::sync::{Mutex, PoisonError};
use std::time::Duration;

use redis::aio::MultiplexedConnection;

use super::{SessionStore, StoreError, StoreFuture, StoreKey};

/// Session entries in Redis: `SET key entry PX ttl NX`, `GET`, `PEXPIRE key ms LT` and `DEL`,
/// under `<prefix><key in hex>`. Needs Redis 7.0 or later (`PEXPIRE ... LT`).
///
/// One multiplexed connection serves every request; it is opened at the first call, and
/// again after a call fails, so a Redis that restarts is picked up with no restart of the
/// node. Every call is bounded by [`timeout`](Self::timeout) (default 500 ms): an unreachable
/// Redis makes a request wait that long at most, then the layer serves it as described in
/// [`SessionStore`] (reads left alone, writes answered 503). Plain TCP only: no TLS stack is
/// pulled in; run Redis on a private network or loopback.
///
/// # Example
///
/// ```
/// use std::sync::Arc;
/// use sealed_session::{Codec, Keyring, RedisStore, StoreOptions, axum::SessionLayer};
///
/// let store = RedisStore::new("redis://127.0.0.1:6379/")?.prefix("shop:session:");
/// let codec = Codec::<Vec<String>>::builder(Keyring::generate()?).build()?;
/// let layer = SessionLayer::new(codec).store(Arc::new(store), StoreOptions::default())?;
/// # let _ = layer;
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub struct RedisStore {
    client: redis::Client,
    prefix: String,
    timeout: Duration,
    connection: Mutex<Option<MultiplexedConnection>>,
}

impl core::fmt::Debug for RedisStore {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        // The URL may hold a password: not shown.
        f.debug_struct("RedisStore")
            .field("prefix", &self.prefix)
            .field("timeout", &self.timeout)
            .finish_non_exhaustive()
    }
}

impl RedisStore {
    /// A store on the Redis at `url` (`redis://host:port/db`). Nothing is connected yet; an
    /// invalid URL fails here.
    ///
    /// # Example
    ///
    /// ```
    /// assert!(sealed_session::RedisStore::new("redis://127.0.0.1:6379/").is_ok());
    /// assert!(sealed_session::RedisStore::new("not a url").is_err());
    /// ```
    pub fn new(url: &str) -> Result<Self, StoreError> {
        let client =
            redis::Client::open(url).map_err(|_| StoreError::new("the Redis URL is not valid"))?;
        Ok(RedisStore {
            client,
            prefix: "sealed-session:store:".to_owned(),
            timeout: Duration::from_millis(500),
            connection: Mutex::new(None),
        })
    }

    /// The prefix of every key (default `sealed-session:store:`): give each app its own.
    ///
    /// # Example
    ///
    /// ```
    /// let store = sealed_session::RedisStore::new("redis://127.0.0.1/")?.prefix("app:s:");
    /// # let _ = store;
    /// # Ok::<(), sealed_session::StoreError>(())
    /// ```
    #[must_use]
    pub fn prefix(mut self, prefix: &str) -> Self {
        prefix.clone_into(&mut self.prefix);
        self
    }

    /// The longest a call may take, connecting included (default 500 ms).
    ///
    /// # Example
    ///
    /// ```
    /// use std::time::Duration;
    /// let store = sealed_session::RedisStore::new("redis://127.0.0.1/")?
    ///     .timeout(Duration::from_millis(200));
    /// # let _ = store;
    /// # Ok::<(), sealed_session::StoreError>(())
    /// ```
    #[must_use]
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    fn name(&self, key: &StoreKey) -> String {
        format!("{}{key}", self.prefix)
    }

    /// Runs `command` on the shared connection (opened if there is none), within the timeout;
    /// a failure drops the connection so that the next call opens a fresh one.
    async fn run<V: redis::FromRedisValue>(&self, command: redis::Cmd) -> Result<V, StoreError> {
        let work = async {
            let cached = self
                .connection
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .clone();
            let mut connection = match cached {
                Some(connection) => connection,
                None => {
                    let fresh = self.client.get_multiplexed_async_connection().await?;
                    *self
                        .connection
                        .lock()
                        .unwrap_or_else(PoisonError::into_inner) = Some(fresh.clone());
                    fresh
                }
            };
            command.query_async::<V>(&mut connection).await
        };
        let failure = match tokio::time::timeout(self.timeout, work).await {
            Ok(Ok(value)) => return Ok(value),
            // The kind only: a server's message could echo a command, and with it an entry.
            Ok(Err(e)) => StoreError::new(format!("redis: {:?}", e.kind())),
            Err(_) => StoreError::new(format!("redis: no answer within {:?}", self.timeout)),
        };
        *self
            .connection
            .lock()
            .unwrap_or_else(PoisonError::into_inner) = None;
        Err(failure)
    }
}

/// Milliseconds for Redis: at least 1 (`PX 0` is an error), at most what an `i64` holds.
fn millis(d: Duration) -> u64 {
    u64::try_from(d.as_millis())
        .unwrap_or(i64::MAX as u64)
        .clamp(1, i64::MAX as u64)
}

impl SessionStore for RedisStore {
    fn load<'a>(&'a self, key: &'a StoreKey) -> StoreFuture<'a, Option<String>> {
        let mut command = redis::cmd("GET");
        command.arg(self.name(key));
        Box::pin(self.run(command))
    }

    fn save<'a>(&'a self, key: &'a StoreKey, entry: &'a str, ttl: Duration) -> StoreFuture<'a, ()> {
        let mut command = redis::cmd("SET");
        // NX: entries are never overwritten (a fresh random key each), and Redis enforces it.
        command
            .arg(self.name(key))
            .arg(entry)
            .arg("PX")
            .arg(millis(ttl))
            .arg("NX");
        Box::pin(async move {
            match self.run::<Option<String>>(command).await? {
                Some(_) => Ok(()),
                None => Err(StoreError::new("redis: an entry with this key exists")),
            }
        })
    }

    fn expire<'a>(&'a self, key: &'a StoreKey, ttl: Duration) -> StoreFuture<'a, ()> {
        let mut command = redis::cmd("PEXPIRE");
        command.arg(self.name(key)).arg(millis(ttl)).arg("LT");
        Box::pin(async move { self.run::<i64>(command).await.map(drop) })
    }

    fn remove<'a>(&'a self, key: &'a StoreKey) -> StoreFuture<'a, ()> {
        let mut command = redis::cmd("DEL");
        command.arg(self.name(key));
        Box::pin(async move { self.run::<i64>(command).await.map(drop) })
    }
}
