//! FORMAT.md 6.1 from the outside: the entry and the reference a layer with a store writes,
//! opened with codecs built from that text alone (names, purposes, the reference's 32 bytes).
#![cfg(feature = "axum")]

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime};

use axum::Router;
use axum::body::Body;
use axum::http::{Request, header};
use axum::routing::post;
use sha2::{Digest, Sha256};
use tower::ServiceExt;

use sealed_session::axum::{Session, SessionLayer};
use sealed_session::{
    Codec, Key, KeyId, Keyring, RequestCookies, SessionStore, StoreFuture, StoreKey, StoreOptions,
};

/// Keeps what the layer saves, to read it back here.
#[derive(Default)]
struct Recording(Mutex<HashMap<StoreKey, String>>);

impl SessionStore for Recording {
    fn load<'a>(&'a self, key: &'a StoreKey) -> StoreFuture<'a, Option<String>> {
        let entry = self.0.lock().unwrap().get(key).cloned();
        Box::pin(async move { Ok(entry) })
    }
    fn save<'a>(&'a self, key: &'a StoreKey, entry: &'a str, _: Duration) -> StoreFuture<'a, ()> {
        self.0.lock().unwrap().insert(*key, entry.to_owned());
        Box::pin(async { Ok(()) })
    }
    fn expire<'a>(&'a self, _: &'a StoreKey, _: Duration) -> StoreFuture<'a, ()> {
        Box::pin(async { Ok(()) })
    }
    fn remove<'a>(&'a self, _: &'a StoreKey) -> StoreFuture<'a, ()> {
        Box::pin(async { Ok(()) })
    }
}

fn keyring() -> Keyring {
    Keyring::new([Key::new(KeyId::new(3), [3; 32])]).unwrap()
}

async fn fill(session: Session<Vec<u64>>) -> &'static str {
    session
        .set((0..2000u64).map(|i| u64::MAX - i).collect())
        .unwrap();
    "ok"
}

#[test]
fn entry_and_reference_open_as_format_6_1_says() {
    let store = Arc::new(Recording::default());
    let codec = Codec::<Vec<u64>>::builder(keyring()).build().unwrap();
    let layer = SessionLayer::new(codec)
        .store(store.clone(), StoreOptions::default())
        .unwrap();
    let app = Router::new().route("/fill", post(fill)).layer(layer);
    let request = Request::post("/fill").body(Body::empty()).unwrap();
    let response = tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap()
        .block_on(app.oneshot(request))
        .unwrap();
    let reference_line = response
        .headers()
        .get_all(header::SET_COOKIE)
        .iter()
        .map(|v| v.to_str().unwrap().to_owned())
        .find(|l| l.starts_with("__Host-session-store="))
        .expect("a reference cookie");
    let pair = reference_line.split(';').next().unwrap();
    let now = SystemTime::now();

    // The reference: cookie name N + "-store", purpose P + "/store-ref", 32 bytes of data.
    let references = Codec::<Vec<u8>>::builder(keyring())
        .cookie_name("__Host-session-store")
        .purpose("session/store-ref")
        .build()
        .unwrap();
    let raw = references
        .open_bytes(&RequestCookies::from_header(pair), now)
        .unwrap()
        .unwrap();
    assert_eq!(raw.session.len(), 32);
    let (key, digest) = raw.session.split_at(16);

    // The entry: a token of cookie name N and purpose P + "/store", under that key.
    let entries = store.0.lock().unwrap();
    let key = StoreKey::from_bytes(key.try_into().unwrap());
    let entry = entries
        .get(&key)
        .expect("the entry under the reference's key");
    assert_eq!(&Sha256::digest(entry.as_bytes())[..16], digest);
    let tokens = Codec::<Vec<u64>>::builder(keyring())
        .purpose("session/store")
        .max_total_bytes(65536) // the entry's budget is the store's bound, not the cookies'
        .build()
        .unwrap();
    let opened = tokens.open_token(entry, now).unwrap();
    assert_eq!(opened.session.len(), 2000);
    assert_eq!(opened.metadata.session_id(), raw.metadata.session_id());
    assert_eq!(opened.metadata.issued_at(), raw.metadata.issued_at());
}
