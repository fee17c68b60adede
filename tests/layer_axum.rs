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

use sealed_session::{
    Codec, CrossSite, LayerPolicy, Lifetime, ManualClock, Revocation, SessionStore, StoreOptions,
};

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

async fn sign_in(session: Session<Counter>) -> &'static str {
    session.sign_in(100, &Lifetime::browser_session()).unwrap();
    "signed in"
}

async fn csrf(session: Session<Counter>) -> String {
    session.csrf_token().unwrap_or_else(|| "none".to_owned())
}

async fn form(session: Session<Counter>, headers: header::HeaderMap) -> (StatusCode, String) {
    let token = headers.get("x-csrf-token").and_then(|v| v.to_str().ok());
    if !token.is_some_and(|t| session.verify_csrf(t)) {
        return (StatusCode::FORBIDDEN, "bad csrf token".to_owned());
    }
    let n = session.update(|n| {
        *n += 1;
        *n
    });
    (StatusCode::OK, n.unwrap().to_string())
}

/// `change` applied with `update`: 200 and the new value, or 503 and the error's kind.
fn changed(session: &Session<Counter>, change: impl FnOnce(&mut Counter)) -> (StatusCode, String) {
    match session.update(|n| {
        change(n);
        *n
    }) {
        Ok(n) => (StatusCode::OK, n.to_string()),
        Err(e) => (StatusCode::SERVICE_UNAVAILABLE, e.kind().to_owned()),
    }
}

async fn grow(session: Session<Counter>) -> (StatusCode, String) {
    changed(&session, |n| *n += 1_000_000)
}

async fn shrink(session: Session<Counter>) -> (StatusCode, String) {
    changed(&session, |n| *n %= 1_000_000)
}

async fn webhook() -> &'static str {
    "pong"
}

fn routes() -> Router {
    Router::new()
        .route("/sign-in", post(sign_in))
        .route("/csrf", get(csrf))
        .route("/form", post(form))
        .route("/webhooks/ping", post(webhook))
        .route("/flash", post(flash))
        .route("/flashes", get(flashes))
        .route("/read", get(read))
        .route("/incr", post(incr))
        .route("/static", get(stat))
        .route("/incr-then-500", post(incr_then_500))
        .route("/public", get(public))
        .route("/sign-out", post(sign_out))
        .route("/grow", post(grow))
        .route("/shrink", post(shrink))
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

    fn storing(
        codec: Codec<Counter>,
        clock: ManualClock,
        store: Arc<dyn SessionStore>,
        revocation: Option<Arc<dyn Revocation<Counter>>>,
    ) -> Self {
        let mut layer = SessionLayer::new(codec)
            .clock(clock)
            .store(store, StoreOptions::default())
            .unwrap();
        if let Some(revocation) = revocation {
            layer = layer.revocation(revocation);
        }
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

    fn guarded(codec: Codec<Counter>, clock: ManualClock, cross_site: CrossSite) -> Self {
        let layer = SessionLayer::new(codec).clock(clock).cross_site(cross_site);
        Axum {
            router: routes().layer(layer),
            runtime: tokio::runtime::Builder::new_current_thread()
                .build()
                .unwrap(),
        }
    }

    fn send_with(&self, method: &str, path: &str, cookie: &str, headers: &[(&str, &str)]) -> Reply {
        let mut request = Request::builder().method(method).uri(path);
        if !cookie.is_empty() {
            request = request.header(header::COOKIE, cookie);
        }
        for (name, value) in headers {
            request = request.header(*name, *value);
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
