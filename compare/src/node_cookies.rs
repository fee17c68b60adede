//! The "cookies" variant: this crate's axum layer, the whole session sealed in the client's
//! cookies; every node holds the same keyring (SEALED_SESSION_KEYRING) and nothing else. The
//! "hybrid" variant: the same layer with a total budget of one cookie (`HYBRID_BUDGET`) and
//! its `RedisStore`: a session past that budget goes to Redis, the cookie holds a reference.

use axum::Router;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use sealed_session::axum::{Session, SessionLayer};
use std::sync::Arc;

use sealed_session::{Codec, Error, Keyring, Lifetime, RedisStore, StoreOptions};

use crate::node::{AppSession, Login, Served, incr_body, read_body};

/// The hybrid variant's total cookie budget: what one small session needs, so that the
/// large one (about 5.5 KB sealed) goes to the store.
pub const HYBRID_BUDGET: usize = 1024;

/// The session routes under the layer, with the library's defaults (cookie name
/// `__Host-session`, 4000 bytes per cookie, 6144 in all); with `redis`, the hybrid: a budget of
/// [`HYBRID_BUDGET`] and a `RedisStore` on that URL with the store's defaults.
pub fn router(served: Served, redis: Option<&str>) -> Result<Router, String> {
    let text = std::env::var("SEALED_SESSION_KEYRING")
        .map_err(|_| "SEALED_SESSION_KEYRING is not set".to_owned())?;
    let keyring = Keyring::from_text(&text).map_err(|e| e.to_string())?;
    let mut codec = Codec::<AppSession>::builder(keyring);
    if redis.is_some() {
        codec = codec.max_total_bytes(HYBRID_BUDGET);
    }
    let codec = codec.build().map_err(|e| e.to_string())?;
    let mut layer = SessionLayer::new(codec);
    if let Some(url) = redis {
        let store = RedisStore::new(url).map_err(|e| e.to_string())?;
        layer = layer
            .store(Arc::new(store), StoreOptions::default())
            .map_err(|e| e.to_string())?;
    }
    Ok(Router::new()
        .route("/read", get(read))
        .route("/incr", post(incr))
        .route("/login", post(login))
        .with_state(served)
        .layer(layer))
}

async fn read(State(served): State<Served>, session: Session<AppSession>) -> String {
    served.one();
    // `with` reads in place: no copy of a large list.
    session.with(read_body)
}

async fn incr(State(served): State<Served>, session: Session<AppSession>) -> Response {
    served.one();
    match session.modify(|s| {
        s.counter += 1;
        s.counter
    }) {
        Ok(counter) => incr_body(counter).into_response(),
        Err(e) => refused(&e),
    }
}

async fn login(
    State(served): State<Served>,
    Query(login): Query<Login>,
    session: Session<AppSession>,
) -> Response {
    served.one();
    let value = match login.session() {
        Ok(v) => v,
        Err(r) => return *r,
    };
    let items = value.list.len();
    match session.sign_in(value, &Lifetime::browser_session()) {
        Ok(()) => format!("ok {items}").into_response(),
        Err(e) => refused(&e),
    }
}

/// A session over the cookie budget (or the store's entry bound) is the client's 413; a write
/// over cookies this node cannot read, or a store that did not answer, is the README's 503
/// (nginx resends it); anything else a 500.
fn refused(e: &Error) -> Response {
    let status = match e {
        Error::TooLarge { .. } => StatusCode::PAYLOAD_TOO_LARGE,
        Error::OverwriteRefused { .. } | Error::StoreUnavailable { .. } => {
            StatusCode::SERVICE_UNAVAILABLE
        }
        _ => StatusCode::INTERNAL_SERVER_ERROR,
    };
    (status, e.to_string()).into_response()
}
