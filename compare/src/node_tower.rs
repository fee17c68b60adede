//! The tower-sessions variants: the session id in a cookie (`id`), the session in a store:
//! this node's memory (sticky), one Redis (session server), or a local Redis replica read
//! and the primary written (replication).

use std::fmt;
use std::time::Duration;

use async_trait::async_trait;
use axum::Router;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use tower_sessions::session::{Id, Record};
use tower_sessions::{Session, SessionManagerLayer, SessionStore, session_store};
use tower_sessions_redis_store::RedisStore;
use tower_sessions_redis_store::fred::prelude::{
    ClientLike, Config, ConnectionConfig, PerformanceConfig, Pool, ReconnectPolicy,
};

use crate::node::{AppSession, Login, Served, incr_body, read_body};

/// tower-sessions keeps the session under one key of its map.
const KEY: &str = "s";

/// The session routes under tower-sessions' layer with `store`, tower-sessions' defaults
/// otherwise (cookie `id`, Secure, HttpOnly, SameSite=Strict, no Max-Age; two weeks in the store).
pub fn router<S>(store: S, served: Served) -> Router
where
    S: SessionStore + Clone,
{
    Router::new()
        .route("/read", get(read))
        .route("/incr", post(incr))
        .route("/login", post(login))
        .with_state(served)
        .layer(SessionManagerLayer::new(store))
}

fn store_error(e: impl fmt::Display) -> Response {
    (StatusCode::INTERNAL_SERVER_ERROR, e.to_string()).into_response()
}

async fn read(State(served): State<Served>, session: Session) -> Response {
    served.one();
    match session.get::<AppSession>(KEY).await {
        Ok(s) => read_body(s.as_ref()).into_response(),
        Err(e) => store_error(e),
    }
}

async fn incr(State(served): State<Served>, session: Session) -> Response {
    served.one();
    let mut value = match session.get::<AppSession>(KEY).await {
        Ok(Some(v)) => v,
        Ok(None) => return incr_body(None).into_response(),
        Err(e) => return store_error(e),
    };
    value.counter += 1;
    match session.insert(KEY, &value).await {
        Ok(()) => incr_body(Some(value.counter)).into_response(),
        Err(e) => store_error(e),
    }
}

async fn login(
    State(served): State<Served>,
    Query(login): Query<Login>,
    session: Session,
) -> Response {
    served.one();
    let value = match login.session() {
        Ok(v) => v,
        Err(r) => return *r,
    };
    let items = value.list.len();
    // A fresh id on sign-in (session fixation), as tower-sessions documents.
    if let Err(e) = session.cycle_id().await {
        return store_error(e);
    }
    match session.insert(KEY, &value).await {
        Ok(()) => format!("ok {items}").into_response(),
        Err(e) => store_error(e),
    }
}

/// A Redis store on `url` (4 connections), reconnecting every 100 ms and failing a command
/// after 1 s: a dead Redis is a quick 500, never a request held until nginx gives up.
pub async fn redis_store(url: &str) -> Result<RedisStore<Pool>, String> {
    let config = Config::from_url(url).map_err(|e| e.to_string())?;
    let performance = PerformanceConfig {
        default_command_timeout: Duration::from_secs(1),
        ..PerformanceConfig::default()
    };
    let connection = ConnectionConfig {
        connection_timeout: Duration::from_millis(500),
        internal_command_timeout: Duration::from_millis(500),
        max_command_attempts: 1,
        ..ConnectionConfig::default()
    };
    let policy = ReconnectPolicy::new_constant(0, 100);
    let pool = Pool::new(config, Some(performance), Some(connection), Some(policy), 4)
        .map_err(|e| e.to_string())?;
    pool.init().await.map_err(|e| format!("redis {url}: {e}"))?;
    Ok(RedisStore::new(pool))
}

/// Reads on this node's replica, writes (create, save, delete) on the primary: the usual
/// read-replica set-up, the replication done by Redis itself.
#[derive(Clone, Debug)]
pub struct SplitStore {
    pub read: RedisStore<Pool>,
    pub write: RedisStore<Pool>,
}

#[async_trait]
impl SessionStore for SplitStore {
    async fn create(&self, record: &mut Record) -> session_store::Result<()> {
        self.write.create(record).await
    }

    async fn save(&self, record: &Record) -> session_store::Result<()> {
        self.write.save(record).await
    }

    async fn load(&self, id: &Id) -> session_store::Result<Option<Record>> {
        self.read.load(id).await
    }

    async fn delete(&self, id: &Id) -> session_store::Result<()> {
        self.write.delete(id).await
    }
}
