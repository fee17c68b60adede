//! The per-request session handle that the axum and actix-web adapters share.
//!
//! The layer (axum) or middleware (actix-web) opens the request's cookies once, puts a
//! [`Session`] in the request's extensions, lets the handler read and change it, and after the
//! handler asks it for the `Set-Cookie` lines to send ([`Session::set_cookie_headers`]).

use core::fmt;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::SystemTime;

use serde::de::DeserializeOwned;

use crate::chunk::{ChunkSet, Slots};
use crate::{Codec, Error, Metadata, RequestCookies, SealedCookies};

pub(crate) mod cross_site;
mod flash;
#[cfg(feature = "redis-revocation")]
mod redis_revocation;
mod response;
mod revocation;
mod store;
mod write;

pub(crate) use flash::{FlashState, Flashes, flash_codec};

#[cfg(feature = "redis-revocation")]
pub use redis_revocation::{
    Propagation, RedisRevocation, RedisRevocationBuilder, StartError, SyncStatus,
};
pub use response::{LayerPolicy, ResponseHeaders};
pub use revocation::{Revocation, RevocationList, ValidAfter};
#[cfg(feature = "redis-store")]
pub use store::RedisStore;
pub use store::{
    MAX_STORED_ENTRY_BYTES, MemoryStore, SessionStore, StoreError, StoreFuture, StoreKey,
    StoreOptions,
};
pub(crate) use store::{STORE_FAILURE_BODY, STORE_FAILURE_RETRY_AFTER, StoreCodecs};

/// One request's session: what its cookies opened to, and what the response will send back.
///
/// Handlers get it from the framework's extractor (modules `axum` and `actix`, behind the
/// features of those names); it is a cheap handle (one `Arc`), and every clone sees the same
/// state.
///
/// * **Reading**: [`get`](Self::get) is the session the request carried, or `None` when it
///   carried none, carried cookies that did not open, or carried a session past its deadline
///   on this node's clock (it opened only through the clock-skew allowance,
///   [`Metadata::past_deadline`]: it has ended, and a write starts a new session). The error
///   of cookies that did not open is kept for logging ([`open_error`](Self::open_error), whose
///   text holds no secret).
/// * **Never destroying what this node cannot read**: cookies that did not open are deleted by
///   the response only when every node would agree they never open
///   ([`Error::cookies_are_dead`]). Otherwise they are left alone, and a write over them
///   ([`set`](Self::set), [`update`](Self::update), [`sign_in`](Self::sign_in)) is refused with
///   [`Error::OverwriteRefused`]: answer it with 503 and `Retry-After`, so the load balancer
///   or the client retries on a node that can read the session. [`clear`](Self::clear)
///   (sign-out, an explicit request) always deletes.
///
///   | open error | cookies | a write | why |
///   |---|---|---|---|
///   | [`Error::Authentication`], [`Error::Malformed`] | deleted | new session | tampered or corrupt: no node opens it |
///   | [`Error::Expired`] | deleted | new session | expired on every node (the skew allowance has passed) |
///   | [`Error::RetiredKey`] | deleted | new session | the keyring retired the key: it never opens again |
///   | [`Error::Chunks`]: missing, mixed generation, too many | deleted | new session | broken chunks, whatever the node |
///   | [`Error::Chunks`]: duplicate | left alone | refused | ambiguous, maybe planted (cookie tossing); deleting cannot reach a planted cookie |
///   | [`Error::UnknownKey`] | left alone | refused | another node holds the key (a roll-out, a straggler with a stale keyring) |
///   | [`Error::NotYetValid`] | left alone | refused | sealed by a node whose clock runs ahead; opens here shortly |
///   | [`Error::UnknownSchema`], [`Error::Serialization`] | left alone | refused | another release reads this session type |
///   | [`Error::TooLarge`] | left alone | refused | another node's budget may differ; planted cookies may be what is large |
///   | past its deadline (opens) | left alone | new session | it has ended here; the browser's `Max-Age` drops it |
///
/// * **Changing**: [`set`](Self::set) and [`update`](Self::update) seal at once, so a session
///   too large for the cookie budget is an error the handler sees ([`Error::TooLarge`]) and the
///   previous value stays in place, unless the layer has a server-side store
///   ([`SessionStore`]), which then takes it and the cookie carries a sealed reference;
///   [`clear`](Self::clear) signs out.
/// * **Writing back** happens only when needed: after a change, after `clear`, when the
///   request's session is due for a re-seal (sealed under a key that is no longer primary, or half
///   of its idle window spent), or to delete cookies that did not open. An unchanged, fresh
///   session sends no `Set-Cookie` at all. Re-seals keep the session id and absolute deadline,
///   and every write deletes chunks the browser holds but no longer needs.
///
/// All sealing uses the time the request was opened at, so one request sees one clock reading.
///
/// # Example
///
/// ```
/// use std::time::SystemTime;
/// use sealed_session::{Codec, Keyring, RequestCookies, Session};
///
/// let codec = Codec::<u32>::builder(Keyring::generate()?).build()?;
/// let now = SystemTime::now();
///
/// // What an adapter does around a handler, without any framework:
/// let session = Session::from_cookies(&codec, &RequestCookies::new(), now);
/// assert_eq!(session.get(), None);
/// session.set(1)?;
/// let lines = session.set_cookie_headers();
/// assert_eq!(lines.len(), 1);
///
/// // The next request carries the cookie; reading alone writes nothing back.
/// let cookie = lines[0].split(';').next().unwrap();
/// let next = Session::from_cookies(&codec, &RequestCookies::from_header(cookie), now);
/// assert_eq!(next.get(), Some(1));
/// assert!(next.set_cookie_headers().is_empty());
/// # Ok::<(), sealed_session::Error>(())
/// ```
pub struct Session<T> {
    state: Arc<Mutex<State<T>>>,
}

struct State<T> {
    codec: Codec<T>,
    now: SystemTime,
    /// The session's chunk names the request carried (names only), so every seal can delete
    /// chunks the browser no longer needs.
    held: ChunkSet,
    value: Option<T>,
    metadata: Option<Metadata>,
    open_error: Option<Error>,
    write: Write,
    /// Whether the handler took the session (extracted it, or called any method): a layer
    /// writes nothing for a request whose handler never did, unless eager re-seals are on.
    used: bool,
    /// Bumped by every `clear`, so an `update` that began before one fails instead of
    /// bringing the session back under a fresh id.
    clears: u64,
    /// A second layer of the same session type found this one already in place.
    shadowed: bool,
    /// The request's session was authentic but revoked: served as none, its cookies deleted.
    revoked: bool,
    /// The request's flash cookie (layers only).
    flash: Option<FlashState>,
    /// The request's part in the server-side store (layers with a store only).
    stored: Option<store::Stored<T>>,
}

enum Write {
    /// Nothing decided yet: the value is unchanged (or absent).
    Nothing,
    /// The session was sealed (changed, or re-sealed because it was due).
    Sealed(SealedCookies),
    /// Deletion lines: sign-out, or cookies that did not open.
    Cleared(Vec<String>),
}

impl<T> Clone for Session<T> {
    fn clone(&self) -> Self {
        Session {
            state: Arc::clone(&self.state),
        }
    }
}

/// Shows whether a session is present and what will be written, never the session itself.
impl<T> fmt::Debug for Session<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let state = self.lock();
        let write = match &state.write {
            Write::Nothing => "nothing",
            Write::Sealed(_) => "sealed",
            Write::Cleared(_) => "cleared",
        };
        f.debug_struct("Session")
            .field("present", &state.value.is_some())
            .field("metadata", &state.metadata)
            .field("open_error", &state.open_error)
            .field("write", &write)
            .finish()
    }
}

impl<T> Session<T> {
    fn lock(&self) -> MutexGuard<'_, State<T>> {
        // A handler that panicked mid-update leaves a consistent state (every change is one
        // assignment), so a poisoned lock is simply taken over.
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// The state, marking the session as used by the handler (see [`State::used`]).
    fn touch(&self) -> MutexGuard<'_, State<T>> {
        let mut state = self.lock();
        state.used = true;
        state
    }

    /// What a layer builds for each request: like [`from_cookies`](Self::from_cookies), but not
    /// yet used, so a handler that never takes it gets no `Set-Cookie` (lazy writes).
    pub(crate) fn for_layer(
        codec: &Codec<T>,
        request: &RequestCookies<'_>,
        now: SystemTime,
        flash: Option<&Codec<Flashes>>,
        store: Option<&Arc<StoreCodecs<T>>>,
    ) -> Self
    where
        T: DeserializeOwned,
    {
        // One scan of the header finds the session's chunks and notices a flash cookie.
        let mut flash_seen = false;
        let slots = codec.collect(request, |name, _| {
            flash_seen |= flash.is_some_and(|f| is_named(name, f.cookie_name()));
        });
        let session = Self::opened(codec, &slots, now);
        {
            let mut state = session.lock();
            state.used = false;
            state.flash = flash.map(|codec| FlashState::open(codec, request, now, flash_seen));
            if let Some(codecs) = store {
                state.open_reference(codecs, request);
            }
        }
        session
    }

    /// Consults the layer's revocation hook: a revoked session becomes no session, and the
    /// response deletes its cookies.
    pub(crate) fn apply_revocation(&self, revocation: &dyn Revocation<T>)
    where
        T: 'static,
    {
        let mut state = self.lock();
        let revoked = match (&state.value, &state.metadata) {
            (Some(value), Some(metadata)) => revocation.is_revoked(metadata, value),
            _ => false,
        };
        if revoked {
            let lines = state
                .codec
                .clear(&RequestCookies::from_header(&state.held_cookies()));
            state.value = None;
            state.metadata = None;
            state.write = Write::Cleared(lines);
            state.revoked = true;
            if let Some(stored) = state.stored.as_mut() {
                stored.revoked();
            }
            #[cfg(feature = "metrics")]
            crate::adapters::metrics::revoked();
        }
    }

    /// Whether the request carried a session that the layer's revocation hook refused: it is
    /// served as none and its cookies are deleted.
    ///
    /// # Example
    ///
    /// ```
    /// # use std::time::SystemTime;
    /// # use sealed_session::{Codec, Keyring, RequestCookies, Session};
    /// # let codec = Codec::<u8>::builder(Keyring::generate()?).build()?;
    /// let session = Session::from_cookies(&codec, &RequestCookies::new(), SystemTime::now());
    /// assert!(!session.was_revoked());
    /// # Ok::<(), sealed_session::Error>(())
    /// ```
    pub fn was_revoked(&self) -> bool {
        self.touch().revoked
    }

    /// Marks the session as taken by the handler: the extractors call this.
    pub(crate) fn mark_used(&self) {
        self.lock().used = true;
    }

    /// Records that a second layer of the same session type wraps the route.
    pub(crate) fn mark_shadowed(&self) {
        self.lock().shadowed = true;
    }

    /// Whether a second layer of the same session type wraps the route: the extractors then
    /// refuse, rather than let one layer's session hide the other's.
    pub(crate) fn is_shadowed(&self) -> bool {
        self.lock().shadowed
    }

    /// Reads the session without cloning it: `f` gets the current value (`None` when there is
    /// none) and its result is returned. The session is locked while `f` runs, so `f` must not
    /// call back into this session.
    ///
    /// # Example
    ///
    /// ```
    /// # use std::time::SystemTime;
    /// # use sealed_session::{Codec, Keyring, RequestCookies, Session};
    /// # let codec = Codec::<Vec<u32>>::builder(Keyring::generate()?).build()?;
    /// let session = Session::from_cookies(&codec, &RequestCookies::new(), SystemTime::now());
    /// session.set(vec![1, 2, 3])?;
    /// let items = session.with(|cart| cart.map_or(0, Vec::len));
    /// assert_eq!(items, 3);
    /// # Ok::<(), sealed_session::Error>(())
    /// ```
    pub fn with<R>(&self, f: impl FnOnce(Option<&T>) -> R) -> R {
        let state = self.touch();
        f(state.value.as_ref())
    }

    /// Opens the session the request's cookies carry, at `now`. Adapters call this once per
    /// request; it never fails: cookies that do not open become "no session" and their error
    /// is kept ([`open_error`](Self::open_error)).
    ///
    /// # Example
    ///
    /// ```
    /// use std::time::SystemTime;
    /// use sealed_session::{Codec, Keyring, RequestCookies, Session};
    ///
    /// let codec = Codec::<u32>::builder(Keyring::generate()?).build()?;
    /// let forged = RequestCookies::from_header("__Host-session=AAAA; theme=dark");
    /// let session = Session::from_cookies(&codec, &forged, SystemTime::now());
    /// assert_eq!(session.get(), None);
    /// assert!(session.open_error().is_some());
    /// // The response deletes the cookie that did not open.
    /// assert!(session.set_cookie_headers()[0].contains("Max-Age=0"));
    /// # Ok::<(), sealed_session::Error>(())
    /// ```
    pub fn from_cookies(codec: &Codec<T>, request: &RequestCookies<'_>, now: SystemTime) -> Self
    where
        T: DeserializeOwned,
    {
        Self::opened(codec, &codec.collect(request, |_, _| {}), now)
    }

    /// A session of the chunk cookies `slots` holds, opened at `now`.
    fn opened(codec: &Codec<T>, slots: &Slots<'_>, now: SystemTime) -> Self
    where
        T: DeserializeOwned,
    {
        let result = codec.open_collected(slots, now);
        #[cfg(feature = "metrics")]
        crate::adapters::metrics::opened(&result);
        let (value, metadata, open_error) = match result {
            // Opened only through the skew allowance: ended here, and not re-sealable.
            Ok(Some(opened)) if opened.metadata.past_deadline() => (None, None, None),
            Ok(Some(opened)) => (Some(opened.session), Some(opened.metadata), None),
            Ok(None) => (None, None, None),
            Err(e) => (None, None, Some(e)),
        };
        Session {
            state: Arc::new(Mutex::new(State {
                codec: codec.clone(),
                now,
                held: slots.held(),
                value,
                metadata,
                open_error,
                write: Write::Nothing,
                used: true,
                clears: 0,
                shadowed: false,
                revoked: false,
                flash: None,
                stored: None,
            })),
        }
    }

    /// The session as it stands: what the request carried, or what the handler set since.
    /// `None` when there is none (or after [`clear`](Self::clear)).
    ///
    /// # Example
    ///
    /// ```
    /// # use std::time::SystemTime;
    /// # use sealed_session::{Codec, Keyring, RequestCookies, Session};
    /// # let codec = Codec::<String>::builder(Keyring::generate()?).build()?;
    /// let session = Session::from_cookies(&codec, &RequestCookies::new(), SystemTime::now());
    /// session.set("alice".to_owned())?;
    /// assert_eq!(session.get().as_deref(), Some("alice"));
    /// # Ok::<(), sealed_session::Error>(())
    /// ```
    pub fn get(&self) -> Option<T>
    where
        T: Clone,
    {
        self.touch().value.clone()
    }

    /// The session's metadata: from the request's cookies, or from the latest
    /// [`set`](Self::set). Its [`reseal_reason`](Metadata::reseal_reason) tells whether the
    /// request's session is due for a re-seal (which the response then does by itself).
    ///
    /// # Example
    ///
    /// ```
    /// # use std::time::SystemTime;
    /// # use sealed_session::{Codec, Keyring, RequestCookies, Session};
    /// # let codec = Codec::<u8>::builder(Keyring::generate()?).build()?;
    /// let session = Session::from_cookies(&codec, &RequestCookies::new(), SystemTime::now());
    /// assert!(session.metadata().is_none());
    /// session.set(1)?;
    /// println!("session id {}", session.metadata().unwrap().session_id());
    /// # Ok::<(), sealed_session::Error>(())
    /// ```
    pub fn metadata(&self) -> Option<Metadata> {
        self.touch().metadata.clone()
    }

    /// Why the request's session cookies did not open, if they did not: for logging. The
    /// [`Error`]'s text names the kind of failure and never any secret.
    ///
    /// # Example
    ///
    /// ```
    /// # use std::time::SystemTime;
    /// # use sealed_session::{Codec, Error, Keyring, RequestCookies, Session};
    /// # let codec = Codec::<u8>::builder(Keyring::generate()?).build()?;
    /// let request = RequestCookies::from_header("__Host-session=not-base64!");
    /// let session = Session::from_cookies(&codec, &request, SystemTime::now());
    /// if let Some(error) = session.open_error() {
    ///     eprintln!("ignored a session cookie: {error}");
    /// }
    /// assert!(matches!(session.open_error(), Some(Error::Malformed { .. })));
    /// # Ok::<(), sealed_session::Error>(())
    /// ```
    pub fn open_error(&self) -> Option<Error> {
        self.touch().open_error.clone()
    }
}

impl<T> State<T> {
    /// The session's chunk names the request carried, as the `Cookie` header the codec's
    /// `seal` and `clear` read them from.
    fn held_cookies(&self) -> String {
        self.held.cookie_header(self.codec.cookie_name())
    }
}

/// Whether `name` is `base` or one of its chunk names (`base.<anything>`).
fn is_named(name: &str, base: &str) -> bool {
    name.strip_prefix(base)
        .is_some_and(|rest| rest.is_empty() || rest.starts_with('.'))
}
