//! actix-web 4: a [`SessionMiddleware`] that opens the session before the handler and writes
//! it back after, and the [`Session`] extractor handlers use. Enabled by the `actix` feature.
//!
//! The behaviour is the axum adapter's: `Set-Cookie` lines are appended only when the session
//! changed, was cleared, is due for a re-seal (key rotation, idle refresh) or its cookies did not
//! open. Cookies that do not open (tampered, expired, unknown key) are served as no session, the
//! error is available to the handler for logging ([`Session::open_error`]) and never reaches the
//! client, and the response deletes them unless the handler sets a new session. When the handler
//! returns an error, the session's lines are attached to the response the error renders to.
//!
//! # Example
//!
//! ```
//! use actix_web::{App, HttpResponse, web};
//! use serde::{Deserialize, Serialize};
//! use sealed_session::{Codec, Keyring, actix::{Session, SessionMiddleware}};
//!
//! #[derive(Serialize, Deserialize, Clone, Default)]
//! struct Visits { count: u64 }
//!
//! async fn home(session: Session<Visits>) -> HttpResponse {
//!     match session.update(|v| { v.count += 1; v.count }) {
//!         Ok(n) => HttpResponse::Ok().body(format!("visit number {n}")),
//!         Err(e) => HttpResponse::InternalServerError().body(format!("session not saved: {e}")),
//!     }
//! }
//!
//! let codec = Codec::<Visits>::builder(Keyring::generate()?).build()?;
//! // Inside `HttpServer::new(move || ...)`:
//! let app = App::new()
//!     .wrap(SessionMiddleware::new(codec))
//!     .route("/", web::get().to(home));
//! # let _ = app;
//! # Ok::<(), sealed_session::Error>(())
//! ```

use core::future::{Future, Ready, ready};
use core::pin::Pin;
use std::rc::Rc;
use std::sync::Arc;

use ::actix_web::body::EitherBody;
use ::actix_web::dev::{
    Payload, Service, ServiceRequest, ServiceResponse, Transform, forward_ready,
};
use ::actix_web::error::{ErrorInternalServerError, InternalError};
use ::actix_web::http::header::{
    CACHE_CONTROL, CONTENT_TYPE, COOKIE, HOST, HeaderMap, HeaderValue, ORIGIN, RETRY_AFTER,
    SET_COOKIE, VARY,
};
use ::actix_web::{FromRequest, HttpMessage, HttpRequest, HttpResponse};
use serde::Serialize;
use serde::de::DeserializeOwned;

use super::clock::Clock;
use super::layer::LayerConfig;
use super::session::cross_site::{REFUSAL_CONTENT_TYPE, request_host};
use super::session::{STORE_FAILURE_BODY, STORE_FAILURE_RETRY_AFTER};
pub use crate::adapters::session::Session;
use crate::{Codec, CrossSite, CrossSiteRequest, LayerPolicy, RequestCookies, Revocation};

/// Middleware that gives every request a [`Session<T>`] opened with `codec`, and appends the
/// `Set-Cookie` lines it needs to the response.
///
/// # Example
///
/// ```
/// use actix_web::{App, web};
/// use sealed_session::{Codec, Keyring, actix::{Session, SessionMiddleware}};
///
/// async fn whoami(session: Session<String>) -> String {
///     session.get().unwrap_or_else(|| "nobody".into())
/// }
///
/// let keyring = Keyring::generate()?; // in production: Keyring::from_text(&env_var)?
/// let codec = Codec::<String>::builder(keyring).build()?;
/// let app = App::new()
///     .wrap(SessionMiddleware::new(codec))
///     .route("/whoami", web::get().to(whoami));
/// # let _ = app;
/// # Ok::<(), sealed_session::Error>(())
/// ```
pub struct SessionMiddleware<T> {
    config: LayerConfig<T>,
}

impl<T> Clone for SessionMiddleware<T> {
    fn clone(&self) -> Self {
        SessionMiddleware {
            config: self.config.clone(),
        }
    }
}

impl<T> core::fmt::Debug for SessionMiddleware<T> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("SessionMiddleware")
            .field("config", &self.config)
            .finish()
    }
}

impl<T> SessionMiddleware<T> {
    /// A middleware that opens and seals sessions with `codec`, at [`SystemTime::now`](std::time::SystemTime::now),
    /// writing only for requests whose handler takes the session.
    ///
    /// # Example
    ///
    /// ```
    /// use sealed_session::{Codec, Keyring, actix::SessionMiddleware};
    /// let mw = SessionMiddleware::new(Codec::<u64>::builder(Keyring::generate()?).build()?);
    /// # let _ = mw;
    /// # Ok::<(), sealed_session::Error>(())
    /// ```
    pub fn new(codec: Codec<T>) -> Self {
        SessionMiddleware {
            config: LayerConfig::new(codec),
        }
    }

    /// Reads the time from `clock` (once per request): a closure, or a
    /// [`ManualClock`](crate::ManualClock) a test moves.
    ///
    /// # Example
    ///
    /// ```
    /// use std::time::SystemTime;
    /// use sealed_session::{Codec, Keyring, ManualClock, actix::SessionMiddleware};
    /// let clock = ManualClock::new(SystemTime::now());
    /// let codec = Codec::<u64>::builder(Keyring::generate()?).build()?;
    /// let mw = SessionMiddleware::new(codec).clock(clock.clone());
    /// # let _ = mw;
    /// # Ok::<(), sealed_session::Error>(())
    /// ```
    #[must_use]
    pub fn clock(mut self, clock: impl Clock) -> Self {
        self.config.clock = Arc::new(clock);
        self
    }

    /// Sets how sessions are written back ([`LayerPolicy`]).
    ///
    /// # Example
    ///
    /// ```
    /// use sealed_session::{Codec, Keyring, LayerPolicy, actix::SessionMiddleware};
    /// let codec = Codec::<u64>::builder(Keyring::generate()?).build()?;
    /// let mw = SessionMiddleware::new(codec).policy(LayerPolicy::default());
    /// # let _ = mw;
    /// # Ok::<(), sealed_session::Error>(())
    /// ```
    #[must_use]
    pub fn policy(mut self, policy: LayerPolicy) -> Self {
        self.config.policy = policy;
        self
    }

    /// Consults `revocation` after every open: a revoked session is served as none and its
    /// cookies are deleted. Share the hook (an `Arc`) with the handlers that revoke.
    ///
    /// # Example
    ///
    /// ```
    /// use std::sync::Arc;
    /// use sealed_session::{Codec, Keyring, RevocationList, actix::SessionMiddleware};
    /// let revoked = Arc::new(RevocationList::new(100_000));
    /// let codec = Codec::<u64>::builder(Keyring::generate()?).build()?;
    /// let layer = SessionMiddleware::new(codec).revocation(revoked.clone());
    /// # let _ = layer;
    /// # Ok::<(), sealed_session::Error>(())
    /// ```
    #[must_use]
    pub fn revocation(mut self, revocation: Arc<dyn Revocation<T>>) -> Self {
        self.config.revocation = Some(revocation);
        self
    }

    /// Replaces the cross-site check ([`CrossSite`]) run before every request's session is
    /// opened. It is on by default: unsafe requests (`POST`, `PUT`, ...) that a browser says
    /// come from another origin are answered `403 Forbidden` (plain text) before the handler
    /// runs, and nothing is written. Trust your other origins, exempt webhook paths, or turn it
    /// off ([`CrossSite::disabled`]) here.
    ///
    /// # Example
    ///
    /// ```
    /// use sealed_session::{Codec, CrossSite, Keyring, actix::SessionMiddleware};
    /// let codec = Codec::<u64>::builder(Keyring::generate()?).build()?;
    /// let mw = SessionMiddleware::new(codec).cross_site(
    ///     CrossSite::default()
    ///         .trust_origin("https://app.example")?
    ///         .exempt("/webhooks/")?,
    /// );
    /// # let _ = mw;
    /// # Ok::<(), sealed_session::Error>(())
    /// ```
    #[must_use]
    pub fn cross_site(mut self, cross_site: CrossSite) -> Self {
        self.config.cross_site = Arc::new(cross_site);
        self
    }

    /// Keeps the sessions that do not fit the cookie budget in `store` (module documentation
    /// of [`SessionStore`](crate::SessionStore)): the browser then holds a small sealed
    /// reference cookie (`<cookie name>-store`), every node loads the entry from the shared
    /// store before the handler runs, and a missing entry is a clean "no session". Sessions
    /// that fit stay in cookies, with no store round trip. Fails when `options` are out of
    /// bounds or the reference cookie's name (the session's plus `-store`) is not valid.
    ///
    /// # Example
    ///
    /// ```
    /// use std::sync::Arc;
    /// use sealed_session::{Codec, Keyring, MemoryStore, StoreOptions, actix::SessionMiddleware};
    ///
    /// let codec = Codec::<Vec<String>>::builder(Keyring::generate()?).build()?;
    /// let middleware = SessionMiddleware::new(codec).store(Arc::new(MemoryStore::new(10_000)), StoreOptions::default())?;
    /// # let _ = middleware;
    /// # Ok::<(), sealed_session::Error>(())
    /// ```
    pub fn store(
        mut self,
        store: Arc<dyn crate::SessionStore>,
        options: crate::StoreOptions,
    ) -> Result<Self, crate::Error> {
        self.config.set_store(store, options)?;
        Ok(self)
    }
}

impl<S, B, T> Transform<S, ServiceRequest> for SessionMiddleware<T>
where
    S: Service<ServiceRequest, Response = ServiceResponse<B>, Error = actix_web::Error> + 'static,
    S::Future: 'static,
    B: 'static,
    T: Serialize + DeserializeOwned + 'static,
{
    type Response = ServiceResponse<EitherBody<B>>;
    type Error = actix_web::Error;
    type Transform = SessionService<S, T>;
    type InitError = ();
    type Future = Ready<Result<Self::Transform, Self::InitError>>;

    fn new_transform(&self, service: S) -> Self::Future {
        ready(Ok(SessionService {
            service: Rc::new(service),
            config: self.config.clone(),
        }))
    }
}

/// The service [`SessionMiddleware`] wraps around the routes: you do not name it, `wrap` does.
pub struct SessionService<S, T> {
    /// Shared with the futures of requests whose stored session is loaded before the handler.
    service: Rc<S>,
    config: LayerConfig<T>,
}

impl<S: core::fmt::Debug, T> core::fmt::Debug for SessionService<S, T> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("SessionService")
            .field("service", &self.service)
            .field("config", &self.config)
            .finish()
    }
}

impl<S, B, T> Service<ServiceRequest> for SessionService<S, T>
where
    S: Service<ServiceRequest, Response = ServiceResponse<B>, Error = actix_web::Error> + 'static,
    S::Future: 'static,
    B: 'static,
    T: Serialize + DeserializeOwned + 'static,
{
    type Response = ServiceResponse<EitherBody<B>>;
    type Error = actix_web::Error;
    type Future = Pin<Box<dyn Future<Output = Result<Self::Response, actix_web::Error>>>>;

    forward_ready!(service);

    fn call(&self, request: ServiceRequest) -> Self::Future {
        let outer = request.extensions().get::<Session<T>>().cloned();
        if let Some(outer) = outer {
            // A second middleware of the same session type: refuse (the extractor fails)
            // rather than let one session hide the other.
            outer.mark_shadowed();
            let response = self.service.call(request);
            return Box::pin(
                async move { response.await.map(ServiceResponse::map_into_left_body) },
            );
        }
        let value = |name| request.headers().get(name).map(HeaderValue::as_bytes);
        let method = request.method().as_str();
        let checked = match self.config.cross_site.inspects(method) {
            false => Ok(()),
            true => self.config.cross_site.check(&CrossSiteRequest {
                method,
                path: request.path(),
                sec_fetch_site: value("sec-fetch-site"),
                origin: value(ORIGIN.as_str()),
                host: request_host(
                    request.uri().authority().map(|a| a.as_str()),
                    value(HOST.as_str()),
                ),
            }),
        };
        if let Err(refusal) = checked {
            // Before the session is opened: the handler never runs, nothing is written.
            let forbidden = HttpResponse::Forbidden()
                .insert_header((CONTENT_TYPE, REFUSAL_CONTENT_TYPE))
                .body(refusal.message());
            let response = request.into_response(forbidden).map_into_right_body();
            return Box::pin(ready(Ok(response)));
        }
        let mut cookies = RequestCookies::new();
        for value in request.headers().get_all(COOKIE) {
            super::add_cookie_header(&mut cookies, value.as_bytes());
        }
        let session = self.config.open(&cookies);
        request.extensions_mut().insert(session.clone());
        let config = self.config.clone();
        let service = Rc::clone(&self.service);
        Box::pin(async move {
            config.load(&session).await;
            let policy = config.policy;
            match service.call(request).await {
                Ok(mut response) => {
                    let status = response.status().as_u16();
                    if config.store.is_some() && session.save_stored(status, &policy).await.is_err()
                    {
                        let (request, _) = response.into_parts();
                        return Ok(ServiceResponse::new(request, store_unavailable())
                            .map_into_right_body());
                    }
                    apply(response.headers_mut(), &session, status, &policy);
                    Ok(response.map_into_left_body())
                }
                Err(error) => {
                    // The error keeps flowing as an error, with the session's headers
                    // attached to the response it renders to.
                    let mut rendered = error.error_response();
                    let status = rendered.status().as_u16();
                    if config.store.is_some() && session.save_stored(status, &policy).await.is_err()
                    {
                        return Err(InternalError::from_response(error, store_unavailable()).into());
                    }
                    apply(rendered.headers_mut(), &session, status, &policy);
                    Err(InternalError::from_response(error, rendered).into())
                }
            }
        })
    }
}

/// The `503 Service Unavailable` of a change whose store entry could not be saved.
fn store_unavailable() -> HttpResponse {
    HttpResponse::ServiceUnavailable()
        .insert_header((CONTENT_TYPE, REFUSAL_CONTENT_TYPE))
        .insert_header((RETRY_AFTER, STORE_FAILURE_RETRY_AFTER))
        .insert_header((CACHE_CONTROL, "no-store"))
        .body(STORE_FAILURE_BODY)
}

/// Copies what the shared session layer decides ([`Session::response_headers`]) into an
/// actix-web response.
fn apply<T: Serialize>(
    headers: &mut HeaderMap,
    session: &Session<T>,
    status: u16,
    policy: &LayerPolicy,
) {
    let text = |name| {
        headers
            .get(name)
            .and_then(|v: &HeaderValue| v.to_str().ok())
    };
    let add = session.response_headers(status, text(CACHE_CONTROL), text(VARY), policy);
    for line in &add.set_cookie {
        // Lines from `seal` and `clear` are always valid header values.
        if let Ok(value) = HeaderValue::from_str(line) {
            headers.append(SET_COOKIE, value);
        }
    }
    for (name, value) in [(CACHE_CONTROL, add.cache_control), (VARY, add.vary)] {
        if let Some(value) = value.and_then(|v| HeaderValue::from_str(&v).ok()) {
            headers.insert(name, value);
        }
    }
}

impl<T: 'static> FromRequest for Session<T> {
    type Error = actix_web::Error;
    type Future = Ready<Result<Self, Self::Error>>;

    fn from_request(request: &HttpRequest, _payload: &mut Payload) -> Self::Future {
        let Some(session) = request.extensions().get::<Session<T>>().cloned() else {
            return ready(Err(ErrorInternalServerError(
                "sealed-session: no SessionMiddleware for this session type wraps the route",
            )));
        };
        if session.is_shadowed() {
            return ready(Err(ErrorInternalServerError(
                "sealed-session: two SessionMiddlewares of the same session type wrap this route; give each its own type",
            )));
        }
        session.mark_used();
        ready(Ok(session))
    }
}
