//! The shared session-layer cases (`tests/layer_cases`) through actix-web.
#![cfg(feature = "actix")]

mod layer_cases;

use actix_web::http::header;
use actix_web::{App, HttpRequest, HttpResponse, test, web};

use layer_cases::{Counter, Frontend, Reply};
use sealed_session::actix::{Session, SessionMiddleware};
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

async fn incr_then_500(session: Session<Counter>) -> HttpResponse {
    session.update(|n| *n += 1).unwrap();
    HttpResponse::InternalServerError().finish()
}

async fn public(session: Session<Counter>) -> HttpResponse {
    session.update(|n| *n += 1).unwrap();
    HttpResponse::Ok()
        .insert_header((header::CACHE_CONTROL, "public, max-age=600"))
        .body("public")
}

async fn sign_out(session: Session<Counter>) -> &'static str {
    session.clear();
    "bye"
}

async fn flash(session: Session<Counter>) -> HttpResponse {
    session.flash("saved").unwrap();
    HttpResponse::SeeOther()
        .insert_header((header::LOCATION, "/flashes"))
        .finish()
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

async fn form(session: Session<Counter>, request: HttpRequest) -> HttpResponse {
    let token = request
        .headers()
        .get("x-csrf-token")
        .and_then(|v| v.to_str().ok());
    if !token.is_some_and(|t| session.verify_csrf(t)) {
        return HttpResponse::Forbidden().body("bad csrf token");
    }
    let n = session.update(|n| {
        *n += 1;
        *n
    });
    HttpResponse::Ok().body(n.unwrap().to_string())
}

async fn webhook() -> &'static str {
    "pong"
}

/// `change` applied with `update`: 200 and the new value, or 503 and the error's kind.
fn changed(session: &Session<Counter>, change: impl FnOnce(&mut Counter)) -> HttpResponse {
    match session.update(|n| {
        change(n);
        *n
    }) {
        Ok(n) => HttpResponse::Ok().body(n.to_string()),
        Err(e) => HttpResponse::ServiceUnavailable().body(e.kind()),
    }
}

async fn grow(session: Session<Counter>) -> HttpResponse {
    changed(&session, |n| *n += 1_000_000)
}

async fn shrink(session: Session<Counter>) -> HttpResponse {
    changed(&session, |n| *n %= 1_000_000)
}

fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/sign-in", web::post().to(sign_in))
        .route("/csrf", web::get().to(csrf))
        .route("/form", web::post().to(form))
        .route("/webhooks/ping", web::post().to(webhook))
        .route("/flash", web::post().to(flash))
        .route("/flashes", web::get().to(flashes))
        .route("/read", web::get().to(read))
        .route("/incr", web::post().to(incr))
        .route("/static", web::get().to(stat))
        .route("/incr-then-500", web::post().to(incr_then_500))
        .route("/public", web::get().to(public))
        .route("/sign-out", web::post().to(sign_out))
        .route("/grow", web::post().to(grow))
        .route("/shrink", web::post().to(shrink));
}

enum Layers {
    One(SessionMiddleware<Counter>),
    Two(SessionMiddleware<Counter>, SessionMiddleware<Counter>),
}

struct Actix {
    layers: Layers,
}

impl Frontend for Actix {
    fn new(codec: Codec<Counter>, clock: ManualClock, policy: LayerPolicy) -> Self {
        let mw = SessionMiddleware::new(codec).clock(clock).policy(policy);
        Actix {
            layers: Layers::One(mw),
        }
    }

    fn revoking(
        codec: Codec<Counter>,
        clock: ManualClock,
        revocation: Arc<dyn Revocation<Counter>>,
    ) -> Self {
        let mw = SessionMiddleware::new(codec)
            .clock(clock)
            .revocation(revocation);
        Actix {
            layers: Layers::One(mw),
        }
    }

    fn storing(
        codec: Codec<Counter>,
        clock: ManualClock,
        store: Arc<dyn SessionStore>,
        revocation: Option<Arc<dyn Revocation<Counter>>>,
    ) -> Self {
        let mut mw = SessionMiddleware::new(codec)
            .clock(clock)
            .store(store, StoreOptions::default())
            .unwrap();
        if let Some(revocation) = revocation {
            mw = mw.revocation(revocation);
        }
        Actix {
            layers: Layers::One(mw),
        }
    }

    fn doubled(codec: Codec<Counter>, clock: ManualClock) -> Self {
        let inner = SessionMiddleware::new(codec.clone()).clock(clock.clone());
        let outer = SessionMiddleware::new(codec).clock(clock);
        Actix {
            layers: Layers::Two(inner, outer),
        }
    }

    fn guarded(codec: Codec<Counter>, clock: ManualClock, cross_site: CrossSite) -> Self {
        let mw = SessionMiddleware::new(codec)
            .clock(clock)
            .cross_site(cross_site);
        Actix {
            layers: Layers::One(mw),
        }
    }

    fn send_with(&self, method: &str, path: &str, cookie: &str, headers: &[(&str, &str)]) -> Reply {
        actix_web::rt::System::new().block_on(async {
            let mut request = test::TestRequest::default()
                .method(method.parse().unwrap())
                .uri(path);
            if !cookie.is_empty() {
                request = request.insert_header((header::COOKIE, cookie));
            }
            for (name, value) in headers {
                request = request.append_header((*name, *value));
            }
            let response = match &self.layers {
                Layers::One(mw) => {
                    let app =
                        test::init_service(App::new().wrap(mw.clone()).configure(routes)).await;
                    test::call_service(&app, request.to_request())
                        .await
                        .map_into_boxed_body()
                }
                Layers::Two(inner, outer) => {
                    let app = test::init_service(
                        App::new()
                            .wrap(inner.clone())
                            .wrap(outer.clone())
                            .configure(routes),
                    )
                    .await;
                    test::call_service(&app, request.to_request())
                        .await
                        .map_into_boxed_body()
                }
            };
            let status = response.status().as_u16();
            let headers = response
                .headers()
                .iter()
                .map(|(n, v)| (n.as_str().to_owned(), v.to_str().unwrap().to_owned()))
                .collect();
            let body = test::read_body(response).await;
            Reply {
                status,
                headers,
                body: String::from_utf8(body.to_vec()).unwrap(),
            }
        })
    }
}

all_cases!(Actix);
