//! One node of the compared app: the same three routes in every variant, with the session
//! kept by this crate's axum layer (cookies) or by tower-sessions (memory, Redis, Redis
//! replica), as [`crate::variants`] says.
//!
//! Routes (bodies are a few bytes and the same in every variant, so the bytes on the wire
//! differ only by what the session costs):
//! - `GET /read`: `s <counter> <list length>`, or `none` without a session;
//! - `POST /incr`: adds one to the counter, `s <counter>`, or `none` (no session is created);
//! - `POST /login?user=U&items=N`: signs in with a fresh session id, holding a counter of 0, a
//!   name and a list of N numbers; `ok <N>`, or 413 when the session does not fit;
//! - `GET /_count`: requests this node served (not a session route).

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use axum::Router;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use serde::{Deserialize, Serialize};

use crate::variants::{NodeKind, Variant};

/// The session content, the same type in every variant.
#[derive(Serialize, Deserialize, Clone, Default, Debug, PartialEq)]
pub struct AppSession {
    pub counter: u64,
    pub name: String,
    pub list: Vec<u32>,
}

impl AppSession {
    /// A signed-in user's session with `items` numbers in its list (two bytes each in
    /// postcard's varints, three in MessagePack: a cart of product ids, say).
    pub fn new(user: u64, items: usize) -> Self {
        AppSession {
            counter: 0,
            name: format!("user-{user}"),
            list: (0..items).map(|i| 1000 + (i % 15_000) as u32).collect(),
        }
    }
}

/// Requests served by this node, for the per-node share of the load.
#[derive(Clone, Default)]
pub struct Served(Arc<AtomicU64>);

impl Served {
    pub fn one(&self) {
        self.0.fetch_add(1, Ordering::Relaxed);
    }
}

/// The largest list a login may ask for: bounds what one request makes a node allocate.
const MAX_ITEMS: usize = 1_000_000;

/// `compare node --variant NAME --port P [--redis-write URL] [--redis-read URL]`
pub fn main(args: &[String]) -> Result<(), String> {
    let mut variant = None;
    let mut port = None;
    let mut redis_write = None;
    let mut redis_read = None;
    let mut it = args.iter();
    while let Some(flag) = it.next() {
        let value = it.next().ok_or_else(|| format!("{flag} needs a value"))?;
        match flag.as_str() {
            "--variant" => variant = Some(Variant::by_name(value)?),
            "--port" => port = Some(value.parse::<u16>().map_err(|e| format!("--port: {e}"))?),
            "--redis-write" => redis_write = Some(value.clone()),
            "--redis-read" => redis_read = Some(value.clone()),
            _ => return Err(format!("unknown flag {flag}")),
        }
    }
    let variant = variant.ok_or("--variant is required")?;
    let port = port.ok_or("--port is required")?;
    // Two workers per node: three nodes, nginx, Redis and the load client share two cores.
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .map_err(|e| e.to_string())?;
    runtime.block_on(async move {
        let served = Served::default();
        let sessions = match variant.node {
            NodeKind::SealedCookies => crate::node_cookies::router(served.clone(), None)?,
            NodeKind::SealedHybrid => {
                let url = redis_write.ok_or("--redis-write is required")?;
                crate::node_cookies::router(served.clone(), Some(&url))?
            }
            NodeKind::TowerMemory => {
                crate::node_tower::router(tower_sessions::MemoryStore::default(), served.clone())
            }
            NodeKind::TowerRedis => {
                let url = redis_write.ok_or("--redis-write is required")?;
                let store = crate::node_tower::redis_store(&url).await?;
                crate::node_tower::router(store, served.clone())
            }
            NodeKind::TowerRedisReplica => {
                let write = redis_write.ok_or("--redis-write is required")?;
                let read = redis_read.ok_or("--redis-read is required")?;
                let store = crate::node_tower::SplitStore {
                    read: crate::node_tower::redis_store(&read).await?,
                    write: crate::node_tower::redis_store(&write).await?,
                };
                crate::node_tower::router(store, served.clone())
            }
        };
        let app = sessions.merge(
            Router::new()
                .route("/_count", get(count))
                .with_state(served),
        );
        let addr = SocketAddr::from(([127, 0, 0, 1], port));
        let listener = tokio::net::TcpListener::bind(addr)
            .await
            .map_err(|e| format!("bind {addr}: {e}"))?;
        eprintln!("node {} listening on http://{addr}/", variant.name);
        axum::serve(listener, app)
            .with_graceful_shutdown(async {
                let _ = tokio::signal::ctrl_c().await;
            })
            .await
            .map_err(|e| e.to_string())
    })
}

async fn count(State(served): State<Served>) -> String {
    served.0.load(Ordering::Relaxed).to_string()
}

/// What a login asks for.
#[derive(Deserialize)]
pub struct Login {
    pub user: u64,
    pub items: usize,
}

impl Login {
    /// The session it signs in with, or a 400 answer past [`MAX_ITEMS`].
    pub fn session(&self) -> Result<AppSession, Box<Response>> {
        if self.items > MAX_ITEMS {
            return Err(Box::new(
                (StatusCode::BAD_REQUEST, "items: too many").into_response(),
            ));
        }
        Ok(AppSession::new(self.user, self.items))
    }
}

/// `GET /read`'s body.
pub fn read_body(session: Option<&AppSession>) -> String {
    match session {
        Some(s) => format!("s {} {}", s.counter, s.list.len()),
        None => "none".to_owned(),
    }
}

/// `POST /incr`'s body.
pub fn incr_body(counter: Option<u64>) -> String {
    match counter {
        Some(n) => format!("s {n}"),
        None => "none".to_owned(),
    }
}
