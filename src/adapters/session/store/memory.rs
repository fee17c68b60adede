//! A store in the process's memory: for tests and single-node apps.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, SystemTime};

use super::{SessionStore, StoreError, StoreFuture, StoreKey};
use crate::Clock;

/// Entries in a map in this process, each with its deadline, bounded by a capacity: when full,
/// expired entries are dropped and, if none has expired, the save fails (nothing is evicted
/// early: that would end a live session). Not shared between nodes: a cluster needs a shared
/// store (`RedisStore`, feature `redis-store`).
///
/// Deadlines follow a [`Clock`] (the system clock unless [`clock`](Self::clock) says
/// otherwise), so a test moving a [`ManualClock`](crate::ManualClock) expires entries too.
///
/// # Example
///
/// ```
/// use std::sync::Arc;
/// use sealed_session::{Codec, Keyring, MemoryStore, StoreOptions, axum::SessionLayer};
///
/// let store = Arc::new(MemoryStore::new(10_000));
/// let codec = Codec::<Vec<String>>::builder(Keyring::generate()?).build()?;
/// let layer = SessionLayer::new(codec).store(store.clone(), StoreOptions::default())?;
/// # let _ = layer;
/// # Ok::<(), sealed_session::Error>(())
/// ```
pub struct MemoryStore {
    capacity: usize,
    clock: Arc<dyn Clock>,
    entries: Mutex<HashMap<StoreKey, (String, SystemTime)>>,
}

impl core::fmt::Debug for MemoryStore {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("MemoryStore")
            .field("capacity", &self.capacity)
            .field("entries", &self.len())
            .finish_non_exhaustive()
    }
}

impl MemoryStore {
    /// A store of at most `capacity` entries, on the system clock.
    ///
    /// # Example
    ///
    /// ```
    /// let store = sealed_session::MemoryStore::new(100);
    /// assert_eq!(store.len(), 0);
    /// ```
    pub fn new(capacity: usize) -> Self {
        MemoryStore {
            capacity,
            clock: Arc::new(SystemTime::now),
            entries: Mutex::new(HashMap::new()),
        }
    }

    /// Reads deadlines from `clock` instead of the system clock.
    ///
    /// # Example
    ///
    /// ```
    /// use std::time::SystemTime;
    /// use sealed_session::{ManualClock, MemoryStore};
    /// let clock = ManualClock::new(SystemTime::now());
    /// let store = MemoryStore::new(100).clock(clock.clone());
    /// # let _ = store;
    /// ```
    #[must_use]
    pub fn clock(mut self, clock: impl Clock) -> Self {
        self.clock = Arc::new(clock);
        self
    }

    /// How many live entries the store holds (expired ones not counted).
    ///
    /// # Example
    ///
    /// ```
    /// assert_eq!(sealed_session::MemoryStore::new(1).len(), 0);
    /// ```
    pub fn len(&self) -> usize {
        let now = self.clock.now();
        self.map()
            .values()
            .filter(|(_, deadline)| *deadline > now)
            .count()
    }

    /// Whether the store holds no live entry.
    ///
    /// # Example
    ///
    /// ```
    /// assert!(sealed_session::MemoryStore::new(1).is_empty());
    /// ```
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    fn map(&self) -> std::sync::MutexGuard<'_, HashMap<StoreKey, (String, SystemTime)>> {
        // Every change is one map operation: a panic elsewhere leaves the map consistent.
        self.entries.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn deadline(&self, ttl: Duration) -> SystemTime {
        let now = self.clock.now();
        now.checked_add(ttl).unwrap_or(now)
    }
}

impl SessionStore for MemoryStore {
    fn load<'a>(&'a self, key: &'a StoreKey) -> StoreFuture<'a, Option<String>> {
        let now = self.clock.now();
        let mut map = self.map();
        let entry = match map.get(key) {
            Some((entry, deadline)) if *deadline > now => Some(entry.clone()),
            Some(_) => {
                map.remove(key);
                None
            }
            None => None,
        };
        Box::pin(async move { Ok(entry) })
    }

    fn save<'a>(&'a self, key: &'a StoreKey, entry: &'a str, ttl: Duration) -> StoreFuture<'a, ()> {
        let now = self.clock.now();
        let deadline = self.deadline(ttl);
        let mut map = self.map();
        if map.len() >= self.capacity && !map.contains_key(key) {
            map.retain(|_, (_, deadline)| *deadline > now);
        }
        let result = if map.len() >= self.capacity && !map.contains_key(key) {
            Err(StoreError::new(format!(
                "the memory store holds its capacity of {} live entries",
                self.capacity
            )))
        } else {
            map.insert(*key, (entry.to_owned(), deadline));
            Ok(())
        };
        Box::pin(async move { result })
    }

    fn expire<'a>(&'a self, key: &'a StoreKey, ttl: Duration) -> StoreFuture<'a, ()> {
        let deadline = self.deadline(ttl);
        if let Some((_, current)) = self.map().get_mut(key) {
            *current = (*current).min(deadline);
        }
        Box::pin(async { Ok(()) })
    }

    fn remove<'a>(&'a self, key: &'a StoreKey) -> StoreFuture<'a, ()> {
        self.map().remove(key);
        Box::pin(async { Ok(()) })
    }
}
