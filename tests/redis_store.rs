//! `RedisStore` on a real `redis-server` (tests/redis_server): the four calls, time to live,
//! two nodes sharing sessions too large for cookies through the axum layer, and Redis killed
//! and restarted under a running node. Needs `redis-server` on PATH (.ci/run installs it).
#![cfg(all(feature = "redis-store", feature = "axum"))]

mod redis_server;

use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::Router;
use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use axum::routing::{get, post};
use tower::ServiceExt;

use redis_server::Redis;
use sealed_session::axum::{Session, SessionLayer};
use sealed_session::testing::CookieJar;
use sealed_session::{
    Codec, Key, KeyId, Keyring, RedisStore, SessionStore, StoreKey, StoreOptions,
};

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
}

fn store(redis: &Redis) -> RedisStore {
    RedisStore::new(&redis.url())
        .unwrap()
        .prefix("test:store:")
        .timeout(Duration::from_millis(300))
}

#[test]
fn the_four_calls_and_time_to_live() {
    let redis = Redis::start();
    let store = store(&redis);
    let key = StoreKey::from_bytes([7; 16]);
    runtime().block_on(async {
        assert_eq!(store.load(&key).await, Ok(None));
        store
            .save(&key, "entry-text", Duration::from_secs(60))
            .await
            .unwrap();
        assert_eq!(
            store.load(&key).await.unwrap().as_deref(),
            Some("entry-text")
        );
        // The key Redis holds is the prefix and the key's hex.
        let ttl = redis.raw(&format!("PTTL test:store:{key}\r\n")).unwrap();
        let ms: i64 = ttl.trim_start_matches(':').trim().parse().unwrap();
        assert!((59_000..=60_000).contains(&ms), "{ttl}");
        // expire only shortens.
        store.expire(&key, Duration::from_secs(600)).await.unwrap();
        let ttl = redis.raw(&format!("PTTL test:store:{key}\r\n")).unwrap();
        assert!(ttl.trim_start_matches(':').trim().parse::<i64>().unwrap() <= 60_000);
        store
            .expire(&key, Duration::from_millis(150))
            .await
            .unwrap();
        tokio::time::sleep(Duration::from_millis(400)).await;
        assert_eq!(store.load(&key).await, Ok(None), "expired");
        // remove, and removing or expiring what is missing is no error.
        store
            .save(&key, "again", Duration::from_secs(60))
            .await
            .unwrap();
        store.remove(&key).await.unwrap();
        assert_eq!(store.load(&key).await, Ok(None));
        store.remove(&key).await.unwrap();
        store.expire(&key, Duration::from_secs(1)).await.unwrap();
    });
}

type Cart = Vec<u64>;

async fn add(session: Session<Cart>) -> (StatusCode, String) {
    match session.update(|cart| {
        cart.extend((0..200u64).map(|i| u64::MAX - i)); // 10-byte varints
        cart.len()
    }) {
        Ok(n) => (StatusCode::OK, n.to_string()),
        Err(e) => (StatusCode::SERVICE_UNAVAILABLE, e.kind().to_owned()),
    }
}

async fn count(session: Session<Cart>) -> String {
    session
        .with(|cart| cart.map(Vec::len))
        .map_or_else(|| "none".to_owned(), |n| n.to_string())
}

/// One node: its own `RedisStore` (its own connection) on the shared Redis.
fn node(redis: &Redis) -> Router {
    let keyring = Keyring::new([Key::new(KeyId::new(1), [9; 32])]).unwrap();
    let codec = Codec::<Cart>::builder(keyring).build().unwrap();
    let layer = SessionLayer::new(codec)
        .store(Arc::new(store(redis)), StoreOptions::default())
        .unwrap();
    Router::new()
        .route("/add", post(add))
        .route("/count", get(count))
        .layer(layer)
}

async fn send(app: &Router, jar: &mut CookieJar, method: &str, path: &str) -> (u16, String) {
    let now = std::time::SystemTime::now();
    let mut request = Request::builder().method(method).uri(path);
    let cookie = jar.header(now);
    if !cookie.is_empty() {
        request = request.header(header::COOKIE, cookie);
    }
    let response = app
        .clone()
        .oneshot(request.body(Body::empty()).unwrap())
        .await
        .unwrap();
    let status = response.status().as_u16();
    let lines: Vec<String> = response
        .headers()
        .get_all(header::SET_COOKIE)
        .iter()
        .map(|v| v.to_str().unwrap().to_owned())
        .collect();
    jar.apply(lines, now);
    let body = axum::body::to_bytes(response.into_body(), 1 << 20)
        .await
        .unwrap();
    (status, String::from_utf8(body.to_vec()).unwrap())
}

#[test]
fn two_nodes_share_a_session_too_large_for_cookies() {
    let redis = Redis::start();
    let (node1, node2) = (node(&redis), node(&redis));
    let mut jar = CookieJar::new();
    runtime().block_on(async {
        // 2,000 bytes a step: by the fifth the cart is past the default cookie budget.
        for step in 1..=5usize {
            let app = if step % 2 == 0 { &node2 } else { &node1 };
            assert_eq!(
                send(app, &mut jar, "POST", "/add").await,
                (200, (200 * step).to_string())
            );
        }
        let now = std::time::SystemTime::now();
        assert!(
            jar.get("__Host-session-store", now).is_some(),
            "spilled: {}",
            jar.header(now)
        );
        assert!(jar.get("__Host-session", now).is_none());
        assert!(
            jar.header(now).len() < 300,
            "the cookie is a reference: {}",
            jar.header(now)
        );
        assert_eq!(
            send(&node2, &mut jar, "GET", "/count").await,
            (200, "1000".to_owned())
        );
        assert_eq!(
            send(&node1, &mut jar, "GET", "/count").await,
            (200, "1000".to_owned())
        );
    });
}

#[test]
fn redis_killed_and_restarted_under_a_running_node() {
    let redis = Redis::start();
    let app = node(&redis);
    let mut jar = CookieJar::new();
    let rt = runtime();
    rt.block_on(async {
        for _ in 0..5 {
            send(&app, &mut jar, "POST", "/add").await;
        }
        assert_eq!(send(&app, &mut jar, "GET", "/count").await.1, "1000");
    });
    let before = jar.header(std::time::SystemTime::now());
    let port = redis.kill();
    rt.block_on(async {
        // Reads: no session, cookies left alone, within the timeout.
        let started = Instant::now();
        assert_eq!(
            send(&app, &mut jar, "GET", "/count").await,
            (200, "none".to_owned())
        );
        assert!(
            started.elapsed() < Duration::from_secs(2),
            "{:?}",
            started.elapsed()
        );
        // Writes: refused, nothing written.
        assert_eq!(
            send(&app, &mut jar, "POST", "/add").await,
            (503, "overwrite_refused".to_owned())
        );
    });
    assert_eq!(
        jar.header(std::time::SystemTime::now()),
        before,
        "the cookies are untouched"
    );
    // Redis comes back empty (no persistence): the entry is gone, a clean "no session" (the
    // reference stays: the next write replaces it); the node reconnects by itself.
    let redis = Redis::start_on(port);
    rt.block_on(async {
        assert_eq!(
            send(&app, &mut jar, "GET", "/count").await,
            (200, "none".to_owned())
        );
        assert_eq!(
            send(&app, &mut jar, "POST", "/add").await,
            (200, "200".to_owned())
        );
    });
    drop(redis);
}
