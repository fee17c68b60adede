//! What the store cases share: a codec whose budget a grown counter exceeds, a store the cases
//! can break, and a browser in front of one app with a store.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use sealed_session::testing::CookieJar;
use sealed_session::{
    Clock, Codec, Expiry, Key, KeyId, Keyring, ManualClock, MemoryStore, RequestCookies,
    SessionStore, StoreError, StoreFuture, StoreKey,
};

use super::{Counter, Frontend, Reply, t0};

pub const REFERENCE: &str = "__Host-session-store";
pub const SESSION: &str = "__Host-session";

/// A codec whose total budget holds a counter below 128 but not one of a million.
pub fn small_budget_codec() -> Codec<Counter> {
    let keyring = || Keyring::new([Key::new(KeyId::new(1), [1; 32])]).unwrap();
    let expiry = Expiry::default().idle(Some(Duration::from_secs(3600)));
    let wide = Codec::<Counter>::builder(keyring())
        .expiry(expiry)
        .build()
        .unwrap();
    let bytes = |n: Counter| {
        wide.seal(&n, None, &RequestCookies::new(), t0())
            .unwrap()
            .cookie_header_bytes()
    };
    let (small, large) = (bytes(100), bytes(1_100_000));
    assert!(small < large, "{small} {large}");
    Codec::builder(keyring())
        .expiry(expiry)
        .max_total_bytes(small)
        .build()
        .unwrap()
}

/// A store the cases can break: loads or saves fail while told to, and entries can be listed
/// and swapped.
#[derive(Default)]
pub struct FaultyStore {
    pub entries: Mutex<HashMap<StoreKey, String>>,
    pub fail_loads: AtomicBool,
    pub fail_saves: AtomicBool,
    pub fail_removes: AtomicBool,
}

impl FaultyStore {
    fn fail(flag: &AtomicBool) -> Result<(), StoreError> {
        match flag.load(Ordering::SeqCst) {
            true => Err(StoreError::new("connection refused (test)")),
            false => Ok(()),
        }
    }
}

impl SessionStore for FaultyStore {
    fn load<'a>(&'a self, key: &'a StoreKey) -> StoreFuture<'a, Option<String>> {
        let result =
            Self::fail(&self.fail_loads).map(|()| self.entries.lock().unwrap().get(key).cloned());
        Box::pin(async move { result })
    }
    fn save<'a>(
        &'a self,
        key: &'a StoreKey,
        entry: &'a str,
        _ttl: Duration,
    ) -> StoreFuture<'a, ()> {
        let result = Self::fail(&self.fail_saves).map(|()| {
            self.entries.lock().unwrap().insert(*key, entry.to_owned());
        });
        Box::pin(async move { result })
    }
    fn expire<'a>(&'a self, _key: &'a StoreKey, _ttl: Duration) -> StoreFuture<'a, ()> {
        Box::pin(async { Ok(()) })
    }
    fn remove<'a>(&'a self, key: &'a StoreKey) -> StoreFuture<'a, ()> {
        let result = Self::fail(&self.fail_removes).map(|()| {
            self.entries.lock().unwrap().remove(key);
        });
        Box::pin(async move { result })
    }
}

/// A browser in front of one app with a store.
pub struct StoredBrowser<F> {
    pub app: F,
    pub jar: CookieJar,
    pub clock: ManualClock,
}

impl<F: Frontend> StoredBrowser<F> {
    pub fn with(store: Arc<dyn SessionStore>, clock: ManualClock) -> Self {
        StoredBrowser {
            app: F::storing(small_budget_codec(), clock.clone(), store, None),
            jar: CookieJar::new(),
            clock,
        }
    }

    pub fn send(&mut self, method: &str, path: &str) -> Reply {
        let now = self.clock.now();
        let reply = self.app.send(method, path, &self.jar.header(now));
        self.jar.apply(reply.set_cookies(), now);
        reply
    }

    pub fn holds(&self, name: &str) -> bool {
        self.jar.get(name, self.clock.now()).is_some()
    }
}

pub fn memory(clock: &ManualClock) -> Arc<MemoryStore> {
    Arc::new(MemoryStore::new(1000).clock(clock.clone()))
}
