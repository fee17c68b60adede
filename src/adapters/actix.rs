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
use std::time::SystemTime;

use ::actix_web::dev::{
    Payload, Service, ServiceRequest, ServiceResponse, Transform, forward_ready,
};
use ::actix_web::error::{ErrorInternalServerError, InternalError};
use ::actix_web::http::header::{COOKIE, HeaderMap, HeaderValue, SET_COOKIE};
use ::actix_web::{FromRequest, HttpMessage, HttpRequest};
use serde::Serialize;
use serde::de::DeserializeOwned;

pub use crate::adapters::session::Session;
use crate::{Codec, RequestCookies};

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
    codec: Codec<T>,
    clock: fn() -> SystemTime,
}

impl<T> Clone for SessionMiddleware<T> {
    fn clone(&self) -> Self {
        SessionMiddleware {
            codec: self.codec.clone(),
            clock: self.clock,
        }
    }
}

impl<T> core::fmt::Debug for SessionMiddleware<T> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("SessionMiddleware")
            .field("codec", &self.codec)
            .finish_non_exhaustive()
    }
}

impl<T> SessionMiddleware<T> {
    /// Middleware that opens and seals sessions with `codec`, at [`SystemTime::now`].
    ///
    /// # Example
    ///
    /// ```
    /// use sealed_session::{Codec, Keyring, actix::SessionMiddleware};
    /// let middleware = SessionMiddleware::new(Codec::<u64>::builder(Keyring::generate()?).build()?);
    /// # let _ = middleware;
    /// # Ok::<(), sealed_session::Error>(())
    /// ```
    pub fn new(codec: Codec<T>) -> Self {
        SessionMiddleware {
            codec,
            clock: SystemTime::now,
        }
    }

    /// Reads the time from `clock` instead of [`SystemTime::now`] (once per request): for
    /// tests of expiry and rotation.
    ///
    /// # Example
    ///
    /// ```
    /// use std::time::{Duration, SystemTime};
    /// use sealed_session::{Codec, Keyring, actix::SessionMiddleware};
    ///
    /// fn tomorrow() -> SystemTime {
    ///     SystemTime::now() + Duration::from_secs(24 * 3600)
    /// }
    /// let codec = Codec::<u64>::builder(Keyring::generate()?).build()?;
    /// let middleware = SessionMiddleware::new(codec).clock(tomorrow);
    /// # let _ = middleware;
    /// # Ok::<(), sealed_session::Error>(())
    /// ```
    #[must_use]
    pub fn clock(mut self, clock: fn() -> SystemTime) -> Self {
        self.clock = clock;
        self
    }
}

impl<S, B, T> Transform<S, ServiceRequest> for SessionMiddleware<T>
where
    S: Service<ServiceRequest, Response = ServiceResponse<B>, Error = actix_web::Error>,
    S::Future: 'static,
    B: 'static,
    T: Serialize + DeserializeOwned + 'static,
{
    type Response = ServiceResponse<B>;
    type Error = actix_web::Error;
    type Transform = SessionService<S, T>;
    type InitError = ();
    type Future = Ready<Result<Self::Transform, Self::InitError>>;

    fn new_transform(&self, service: S) -> Self::Future {
        ready(Ok(SessionService {
            service,
            codec: self.codec.clone(),
            clock: self.clock,
        }))
    }
}

/// The service [`SessionMiddleware`] wraps around the app: you do not name it, `App::wrap`
/// does.
///
/// # Example
///
/// ```
/// use actix_web::{App, test, web};
/// use sealed_session::{Codec, Keyring, actix::SessionMiddleware};
///
/// actix_web::rt::System::new().block_on(async {
///     let codec = Codec::<u64>::builder(Keyring::generate().unwrap()).build().unwrap();
///     // `service` is built from a `SessionService` wrapping the app's routes.
///     let service = test::init_service(
///         App::new().wrap(SessionMiddleware::new(codec)).route("/", web::get().to(|| async { "hi" })),
///     )
///     .await;
///     let response = test::call_service(&service, test::TestRequest::get().to_request()).await;
///     assert!(response.status().is_success());
/// });
/// ```
pub struct SessionService<S, T> {
    service: S,
    codec: Codec<T>,
    clock: fn() -> SystemTime,
}

impl<S: core::fmt::Debug, T> core::fmt::Debug for SessionService<S, T> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("SessionService")
            .field("service", &self.service)
            .field("codec", &self.codec)
            .finish_non_exhaustive()
    }
}

impl<S, B, T> Service<ServiceRequest> for SessionService<S, T>
where
    S: Service<ServiceRequest, Response = ServiceResponse<B>, Error = actix_web::Error>,
    S::Future: 'static,
    B: 'static,
    T: Serialize + DeserializeOwned + 'static,
{
    type Response = ServiceResponse<B>;
    type Error = actix_web::Error;
    type Future = Pin<Box<dyn Future<Output = Result<Self::Response, actix_web::Error>>>>;

    forward_ready!(service);

    fn call(&self, request: ServiceRequest) -> Self::Future {
        let mut cookies = RequestCookies::new();
        for value in request.headers().get_all(COOKIE) {
            super::add_cookie_header(&mut cookies, value.as_bytes());
        }
        let session = Session::from_cookies(&self.codec, &cookies, (self.clock)());
        request.extensions_mut().insert(session.clone());
        let response = self.service.call(request);
        Box::pin(async move {
            let result = response.await;
            let lines = session.set_cookie_headers();
            match result {
                Ok(mut response) => {
                    append(response.headers_mut(), &lines);
                    Ok(response)
                }
                Err(error) => {
                    // The error keeps flowing as an error, with the session's lines attached to
                    // the response it renders to.
                    let mut rendered = error.error_response();
                    append(rendered.headers_mut(), &lines);
                    Err(InternalError::from_response(error, rendered).into())
                }
            }
        })
    }
}

fn append(headers: &mut HeaderMap, lines: &[String]) {
    for line in lines {
        // Lines from `seal` and `clear` are always valid header values.
        if let Ok(value) = HeaderValue::from_str(line) {
            headers.append(SET_COOKIE, value);
        }
    }
}

/// Extracts the request's [`Session<T>`]. Never fails when a [`SessionMiddleware<T>`] (same
/// `T`) wraps the route; without one, the error is a plain `500 Internal Server Error` that says
/// so (and holds nothing about the request).
///
/// # Example
///
/// ```
/// use sealed_session::actix::Session;
///
/// async fn handler(session: Session<u32>) -> &'static str {
///     if let Some(error) = session.open_error() {
///         eprintln!("session cookie ignored: {error}");
///     }
///     if session.get().is_some() { "welcome back" } else { "hello" }
/// }
/// # let _ = handler;
/// ```
impl<T: 'static> FromRequest for Session<T> {
    type Error = actix_web::Error;
    type Future = Ready<Result<Self, Self::Error>>;

    fn from_request(request: &HttpRequest, _payload: &mut Payload) -> Self::Future {
        ready(
            request
                .extensions()
                .get::<Session<T>>()
                .cloned()
                .ok_or_else(|| {
                    ErrorInternalServerError(
                        "sealed-session: no SessionMiddleware for this session type wraps the route",
                    )
                }),
        )
    }
}
