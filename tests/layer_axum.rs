//! The shared session-layer cases (`tests/layer_cases`) through axum.
#![cfg(feature = "axum")]

mod layer_cases;

use axum::Router;
use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use axum::response::IntoResponse;
use axum::routing::{get, post};
use tower::ServiceExt;

use layer_cases::{Counter, Frontend, Reply};
use sealed_session::axum::{Session, SessionLayer};
use std::sync::Arc;

use sealed_session::{Codec, LayerPolicy, ManualClock, Revocation};

async fn read(session: Session<Counter>) -> String {
    session
        .get()
        .map_or_else(|| "none".to_owned(), |n| n.to_string())
}

async fn incr(session: Session<Counter>) -> String {
    session
        .update(|n| {
            *n += 1;
            *n
        })
        .unwrap()
        .to_string()
}

async fn stat() -> &'static str {
    "static"
}

async fn incr_then_500(session: Session<Counter>) -> StatusCode {
    session.update(|n| *n += 1).unwrap();
    StatusCode::INTERNAL_SERVER_ERROR
}

async fn public(session: Session<Counter>) -> impl IntoResponse {
    session.update(|n| *n += 1).unwrap();
    ([(header::CACHE_CONTROL, "public, max-age=600")], "public")
}

async fn sign_out(session: Session<Counter>) -> &'static str {
    session.clear();
    "bye"
}

async fn flash(session: Session<Counter>) -> axum::response::Redirect {
    session.flash("saved").unwrap();
    axum::response::Redirect::to("/flashes")
}

async fn flashes(session: Session<Counter>) -> String {
    session.take_flashes().join("|")
}

fn routes() -> Router {
    Router::new()
        .route("/flash", post(flash))
        .route("/flashes", get(flashes))
        .route("/read", get(read))
        .route("/incr", post(incr))
        .route("/static", get(stat))
        .route("/incr-then-500", post(incr_then_500))
        .route("/public", get(public))
        .route("/sign-out", post(sign_out))
}

struct Axum {
    router: Router,
    runtime: tokio::runtime::Runtime,
}

impl Frontend for Axum {
    fn new(codec: Codec<Counter>, clock: ManualClock, policy: LayerPolicy) -> Self {
        let layer = SessionLayer::new(codec).clock(clock).policy(policy);
        Axum {
            router: routes().layer(layer),
            runtime: tokio::runtime::Builder::new_current_thread()
                .build()
                .unwrap(),
        }
    }

    fn revoking(
        codec: Codec<Counter>,
        clock: ManualClock,
        revocation: Arc<dyn Revocation<Counter>>,
    ) -> Self {
        let layer = SessionLayer::new(codec).clock(clock).revocation(revocation);
        Axum {
            router: routes().layer(layer),
            runtime: tokio::runtime::Builder::new_current_thread()
                .build()
                .unwrap(),
        }
    }

    fn doubled(codec: Codec<Counter>, clock: ManualClock) -> Self {
        let inner = SessionLayer::new(codec.clone()).clock(clock.clone());
        let outer = SessionLayer::new(codec).clock(clock);
        Axum {
            router: routes().layer(inner).layer(outer),
            runtime: tokio::runtime::Builder::new_current_thread()
                .build()
                .unwrap(),
        }
    }

    fn send(&self, method: &str, path: &str, cookie: &str) -> Reply {
        let mut request = Request::builder().method(method).uri(path);
        if !cookie.is_empty() {
            request = request.header(header::COOKIE, cookie);
        }
        let request = request.body(Body::empty()).unwrap();
        self.runtime.block_on(async {
            let response = self.router.clone().oneshot(request).await.unwrap();
            let status = response.status().as_u16();
            let headers = response
                .headers()
                .iter()
                .map(|(n, v)| (n.as_str().to_owned(), v.to_str().unwrap().to_owned()))
                .collect();
            let body = axum::body::to_bytes(response.into_body(), 1 << 20)
                .await
                .unwrap();
            Reply {
                status,
                headers,
                body: String::from_utf8(body.to_vec()).unwrap(),
            }
        })
    }
}

all_cases!(Axum);
