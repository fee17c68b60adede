//! axum 0.8: a [`SessionLayer`] that opens the session before the handler and writes it back
//! after, and the [`Session`] extractor handlers use. Enabled by the `axum` feature.
//!
//! ```text
//! request ──▶ SessionLayer: open the Cookie headers ──▶ handler(Session<T>) ──▶ SessionLayer:
//!             append Set-Cookie only if the session changed, was cleared, is due for a re-seal
//!             (key rotation, idle refresh) or its cookies did not open (they are deleted)
//! ```
//!
//! A request whose cookies are tampered with, expired or sealed under an unknown key is served
//! as a request without a session ([`Session::get`] is `None`); the error is available to the
//! handler for logging ([`Session::open_error`]) and never reaches the client; the response
//! deletes those cookies unless the handler sets a new session.
//!
//! # Example
//!
//! ```
//! use axum::{Router, routing::get};
//! use serde::{Deserialize, Serialize};
//! use sealed_session::{Codec, Keyring, axum::{Session, SessionLayer}};
//!
//! #[derive(Serialize, Deserialize, Clone, Default)]
//! struct Visits { count: u64 }
//!
//! async fn home(session: Session<Visits>) -> String {
//!     match session.update(|v| { v.count += 1; v.count }) {
//!         Ok(n) => format!("visit number {n}"),
//!         Err(e) => format!("session not saved: {e}"),
//!     }
//! }
//!
//! let codec = Codec::<Visits>::builder(Keyring::generate()?).build()?;
//! let app: Router = Router::new().route("/", get(home)).layer(SessionLayer::new(codec));
//! # let _ = app;
//! # Ok::<(), sealed_session::Error>(())
//! ```

use core::future::Future;
use core::pin::Pin;
use core::task::{Context, Poll};
use std::sync::Arc;

use ::axum::extract::FromRequestParts;
use ::http::header::{CACHE_CONTROL, CONTENT_TYPE, HOST, ORIGIN, RETRY_AFTER, VARY};
use ::http::request::Parts;
use ::http::{Request, Response, StatusCode};
use serde::Serialize;
use serde::de::DeserializeOwned;
use tower_layer::Layer;
use tower_service::Service;

use super::clock::Clock;
use super::layer::LayerConfig;
use super::session::cross_site::{REFUSAL_CONTENT_TYPE, request_host};
use super::session::{STORE_FAILURE_BODY, STORE_FAILURE_RETRY_AFTER};
pub use crate::adapters::session::Session;
use crate::{Codec, CrossSite, CrossSiteRefusal, CrossSiteRequest, LayerPolicy, Revocation};

/// A tower layer that gives every request a [`Session<T>`] opened with `codec`, and appends
/// the `Set-Cookie` lines it needs to the response.
///
/// # Example
///
/// ```
/// use axum::{Router, routing::get};
/// use sealed_session::{Codec, Keyring, axum::{Session, SessionLayer}};
///
/// async fn whoami(session: Session<String>) -> String {
///     session.get().unwrap_or_else(|| "nobody".into())
/// }
///
/// let keyring = Keyring::generate()?; // in production: Keyring::from_text(&env_var)?
/// let codec = Codec::<String>::builder(keyring).build()?;
/// let app: Router = Router::new()
///     .route("/whoami", get(whoami))
///     .layer(SessionLayer::new(codec));
/// # let _ = app;
/// # Ok::<(), sealed_session::Error>(())
/// ```
pub struct SessionLayer<T> {
    config: LayerConfig<T>,
}

impl<T> Clone for SessionLayer<T> {
    fn clone(&self) -> Self {
        SessionLayer {
            config: self.config.clone(),
        }
    }
}

impl<T> core::fmt::Debug for SessionLayer<T> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("SessionLayer")
            .field("config", &self.config)
            .finish()
    }
}

impl<T> SessionLayer<T> {
    /// A layer that opens and seals sessions with `codec`, at [`SystemTime::now`](std::time::SystemTime::now), writing
    /// only for requests whose handler takes the session.
    ///
    /// # Example
    ///
    /// ```
    /// use sealed_session::{Codec, Keyring, axum::SessionLayer};
    /// let layer = SessionLayer::new(Codec::<u64>::builder(Keyring::generate()?).build()?);
    /// # let _ = layer;
    /// # Ok::<(), sealed_session::Error>(())
    /// ```
    pub fn new(codec: Codec<T>) -> Self {
        SessionLayer {
            config: LayerConfig::new(codec),
        }
    }

    /// Reads the time from `clock` instead of [`SystemTime::now`](std::time::SystemTime::now) (once per request): a
    /// closure, or a [`ManualClock`](crate::ManualClock) a test moves.
    ///
    /// # Example
    ///
    /// ```
    /// use std::time::{Duration, SystemTime};
    /// use sealed_session::{Codec, Keyring, ManualClock, axum::SessionLayer};
    ///
    /// let clock = ManualClock::new(SystemTime::now());
    /// let codec = Codec::<u64>::builder(Keyring::generate()?).build()?;
    /// let layer = SessionLayer::new(codec).clock(clock.clone());
    /// clock.advance(Duration::from_secs(24 * 3600)); // the layer's next request is tomorrow
    /// # let _ = layer;
    /// # Ok::<(), sealed_session::Error>(())
    /// ```
    #[must_use]
    pub fn clock(mut self, clock: impl Clock) -> Self {
        self.config.clock = Arc::new(clock);
        self
    }

    /// Sets how sessions are written back ([`LayerPolicy`]): eager re-seals on every route,
    /// writes kept on 5xx responses.
    ///
    /// # Example
    ///
    /// ```
    /// use sealed_session::{Codec, Keyring, LayerPolicy, axum::SessionLayer};
    /// let mut policy = LayerPolicy::default();
    /// policy.eager_reseal = true;
    /// let codec = Codec::<u64>::builder(Keyring::generate()?).build()?;
    /// let layer = SessionLayer::new(codec).policy(policy);
    /// # let _ = layer;
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
    /// use sealed_session::{Codec, Keyring, RevocationList, axum::SessionLayer};
    /// let revoked = Arc::new(RevocationList::new(100_000));
    /// let codec = Codec::<u64>::builder(Keyring::generate()?).build()?;
    /// let layer = SessionLayer::new(codec).revocation(revoked.clone());
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
    /// use sealed_session::{Codec, CrossSite, Keyring, axum::SessionLayer};
    /// let codec = Codec::<u64>::builder(Keyring::generate()?).build()?;
    /// let layer = SessionLayer::new(codec).cross_site(
    ///     CrossSite::default()
    ///         .trust_origin("https://app.example")?
    ///         .exempt("/webhooks/")?,
    /// );
    /// # let _ = layer;
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
    /// use sealed_session::{Codec, Keyring, MemoryStore, StoreOptions, axum::SessionLayer};
    ///
    /// let codec = Codec::<Vec<String>>::builder(Keyring::generate()?).build()?;
    /// let layer = SessionLayer::new(codec).store(Arc::new(MemoryStore::new(10_000)), StoreOptions::default())?;
    /// # let _ = layer;
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

impl<S, T> Layer<S> for SessionLayer<T> {
    type Service = SessionService<S, T>;

    fn layer(&self, inner: S) -> Self::Service {
        SessionService {
            inner,
            config: Arc::new(self.config.clone()),
        }
    }
}

/// The service [`SessionLayer`] wraps around the routes: you do not name it, `Router::layer`
/// does.
///
/// # Example
///
/// ```
/// use tower_layer::Layer;
/// use sealed_session::{Codec, Keyring, axum::{SessionLayer, SessionService}};
///
/// let layer = SessionLayer::new(Codec::<u64>::builder(Keyring::generate()?).build()?);
/// let service: SessionService<(), u64> = layer.layer(());
/// # let _ = service;
/// # Ok::<(), sealed_session::Error>(())
/// ```
pub struct SessionService<S, T> {
    inner: S,
    /// Shared: axum clones the service for every request, and one `Arc` is cheaper to clone
    /// than the configuration's own.
    config: Arc<LayerConfig<T>>,
}

impl<S: Clone, T> Clone for SessionService<S, T> {
    fn clone(&self) -> Self {
        SessionService {
            inner: self.inner.clone(),
            config: Arc::clone(&self.config),
        }
    }
}

impl<S: core::fmt::Debug, T> core::fmt::Debug for SessionService<S, T> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("SessionService")
            .field("inner", &self.inner)
            .field("config", &self.config)
            .finish()
    }
}

impl<S, T, ReqBody, ResBody> Service<Request<ReqBody>> for SessionService<S, T>
where
    S: Service<Request<ReqBody>, Response = Response<ResBody>> + Clone + Send + 'static,
    S::Future: Send + 'static,
    T: Serialize + DeserializeOwned + Send + 'static,
    ReqBody: Send + 'static,
    ResBody: From<&'static str> + Send,
{
    type Response = Response<ResBody>;
    type Error = S::Error;
    type Future = Pin<Box<dyn Future<Output = Result<Response<ResBody>, S::Error>> + Send>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, mut request: Request<ReqBody>) -> Self::Future {
        if let Some(outer) = request.extensions().get::<Session<T>>().cloned() {
            // Another layer of the same session type wraps this one: the handler could only
            // ever see one of them. Refuse loudly (the extractor fails) instead of shadowing.
            outer.mark_shadowed();
            return Box::pin(self.inner.call(request));
        }
        let headers = request.headers();
        let value = |name| headers.get(name).map(::http::HeaderValue::as_bytes);
        let method = request.method().as_str();
        let checked = match self.config.cross_site.inspects(method) {
            false => Ok(()),
            true => self.config.cross_site.check(&CrossSiteRequest {
                method,
                path: request.uri().path(),
                sec_fetch_site: value("sec-fetch-site"),
                origin: value(ORIGIN.as_str()),
                host: request_host(
                    request
                        .uri()
                        .authority()
                        .map(::http::uri::Authority::as_str),
                    value(HOST.as_str()),
                ),
            }),
        };
        if let Err(refusal) = checked {
            // Before the session is opened: the handler never runs, nothing is written.
            return Box::pin(async move { Ok(forbidden(refusal)) });
        }
        let cookies = super::http::request_cookies(request.headers());
        let session = self.config.open(&cookies);
        request.extensions_mut().insert(session.clone());
        let config = Arc::clone(&self.config);
        if config.store.is_none() {
            let response = self.inner.call(request);
            return Box::pin(async move {
                let response = response.await?;
                Ok(finish(response, &session, &config).await)
            });
        }
        // The stored entry is loaded before the handler runs: the inner service is called from
        // the future, so it moves there (the clone stays, ready for the next request).
        let clone = self.inner.clone();
        let mut inner = core::mem::replace(&mut self.inner, clone);
        Box::pin(async move {
            config.load(&session).await;
            let response = inner.call(request).await?;
            Ok(finish(response, &session, &config).await)
        })
    }
}

/// Adds what the shared session layer decides to the handler's response: the store calls
/// (a failed save turns the response into a 503 with no session cookies), then the headers.
async fn finish<B: From<&'static str>, T: Serialize + 'static>(
    mut response: Response<B>,
    session: &Session<T>,
    config: &LayerConfig<T>,
) -> Response<B> {
    let status = response.status().as_u16();
    if config.store.is_some() && session.save_stored(status, &config.policy).await.is_err() {
        return store_unavailable();
    }
    let headers = response.headers();
    let text = |name| headers.get(name).and_then(|v| v.to_str().ok());
    let add = session.response_headers(status, text(CACHE_CONTROL), text(VARY), &config.policy);
    super::http::apply_response_headers(response.headers_mut(), add);
    response
}

/// The `503 Service Unavailable` of a change whose store entry could not be saved.
fn store_unavailable<B: From<&'static str>>() -> Response<B> {
    let mut response = Response::new(B::from(STORE_FAILURE_BODY));
    *response.status_mut() = StatusCode::SERVICE_UNAVAILABLE;
    let headers = response.headers_mut();
    headers.insert(
        CONTENT_TYPE,
        ::http::HeaderValue::from_static(REFUSAL_CONTENT_TYPE),
    );
    headers.insert(
        RETRY_AFTER,
        ::http::HeaderValue::from_static(STORE_FAILURE_RETRY_AFTER),
    );
    headers.insert(CACHE_CONTROL, ::http::HeaderValue::from_static("no-store"));
    response
}

/// The `403 Forbidden` of a request the cross-site check refused.
fn forbidden<B: From<&'static str>>(refusal: CrossSiteRefusal) -> Response<B> {
    let mut response = Response::new(B::from(refusal.message()));
    *response.status_mut() = StatusCode::FORBIDDEN;
    response.headers_mut().insert(
        CONTENT_TYPE,
        ::http::HeaderValue::from_static(REFUSAL_CONTENT_TYPE),
    );
    response
}

/// Extracts the request's [`Session<T>`]. Never fails when a [`SessionLayer<T>`] (same `T`)
/// wraps the route; without one, the rejection is a plain `500 Internal Server Error` that says
/// so (and holds nothing about the request).
///
/// # Example
///
/// ```
/// use sealed_session::axum::Session;
///
/// async fn handler(session: Session<u32>) -> &'static str {
///     if let Some(error) = session.open_error() {
///         eprintln!("session cookie ignored: {error}");
///     }
///     if session.get().is_some() { "welcome back" } else { "hello" }
/// }
/// # let _ = handler;
/// ```
impl<S, T> FromRequestParts<S> for Session<T>
where
    S: Send + Sync,
    T: Send + 'static,
{
    type Rejection = (StatusCode, &'static str);

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        let session = parts.extensions.get::<Session<T>>().cloned().ok_or((
            StatusCode::INTERNAL_SERVER_ERROR,
            "sealed-session: no SessionLayer for this session type wraps the route",
        ))?;
        if session.is_shadowed() {
            return Err((
                StatusCode::INTERNAL_SERVER_ERROR,
                "sealed-session: two SessionLayers of the same session type wrap this route; give each its own type",
            ));
        }
        session.mark_used();
        Ok(session)
    }
}
