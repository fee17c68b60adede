//! The per-request session handle that the axum and actix-web adapters share.
//!
//! The layer (axum) or middleware (actix-web) opens the request's cookies once, puts a
//! [`Session`] in the request's extensions, lets the handler read and change it, and after the
//! handler asks it for the `Set-Cookie` lines to send ([`Session::set_cookie_headers`]).

use core::fmt;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::SystemTime;

use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::{Codec, Error, Metadata, RequestCookies, SealedCookies};

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
///   previous value stays in place; [`clear`](Self::clear) signs out.
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
    /// The request's cookies that may belong to the session (its name and chunk names), as one
    /// `Cookie` header, kept so every seal can delete chunks the browser no longer needs.
    request_cookies: String,
    value: Option<T>,
    metadata: Option<Metadata>,
    open_error: Option<Error>,
    write: Write,
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

impl<T> State<T> {
    /// Refuses a write over session cookies this node could not read but another node (or a
    /// later request, or another release) may: replacing them could destroy a live session.
    /// After an explicit [`Session::clear`] the write starts a new session.
    fn check_overwrite(&self) -> Result<(), Error> {
        match &self.open_error {
            Some(cause)
                if !cause.cookies_are_dead() && !matches!(self.write, Write::Cleared(_)) =>
            {
                Err(Error::OverwriteRefused {
                    cause: Box::new(cause.clone()),
                })
            }
            _ => Ok(()),
        }
    }
}

impl<T> Session<T> {
    fn lock(&self) -> MutexGuard<'_, State<T>> {
        // A handler that panicked mid-update leaves a consistent state (every change is one
        // assignment), so a poisoned lock is simply taken over.
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
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
        let name = codec.cookie_name();
        let request_cookies = request
            .iter()
            .filter(|(n, _)| {
                n.strip_prefix(name)
                    .is_some_and(|rest| rest.is_empty() || rest.starts_with('.'))
            })
            .map(|(n, v)| format!("{n}={v}"))
            .collect::<Vec<_>>()
            .join("; ");
        let (value, metadata, open_error) = match codec.open(request, now) {
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
                request_cookies,
                value,
                metadata,
                open_error,
                write: Write::Nothing,
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
        self.lock().value.clone()
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
        self.lock().metadata.clone()
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
        self.lock().open_error.clone()
    }

    /// Signs out: the response deletes every cookie of the session, and the session is `None`
    /// from now on. A later [`set`](Self::set) in the same request starts a new session (a
    /// fresh session id): call `clear` then `set` on sign-in, so an id seen before
    /// authentication is never the authenticated one.
    ///
    /// # Example
    ///
    /// ```
    /// # use std::time::SystemTime;
    /// # use sealed_session::{Codec, Keyring, RequestCookies, Session};
    /// # let codec = Codec::<u8>::builder(Keyring::generate()?).build()?;
    /// let request = RequestCookies::from_header("__Host-session=x; __Host-session.1=y");
    /// let session = Session::from_cookies(&codec, &request, SystemTime::now());
    /// session.clear();
    /// assert_eq!(session.get(), None);
    /// assert_eq!(session.set_cookie_headers().len(), 2);
    /// # Ok::<(), sealed_session::Error>(())
    /// ```
    pub fn clear(&self) {
        let mut state = self.lock();
        let lines = state
            .codec
            .clear(&RequestCookies::from_header(&state.request_cookies));
        state.value = None;
        state.metadata = None;
        state.write = Write::Cleared(lines);
    }
}

impl<T: Serialize> Session<T> {
    /// Signs in: replaces the session, in one step, with a **new** one (a fresh session id,
    /// issued now) holding `value`, with its own `lifetime` (persistent "remember me" or
    /// browser-session, capped by the codec's [`Expiry`](crate::Expiry)). The id seen before
    /// authentication is never the authenticated one, so a copy of the pre-login cookie does
    /// not carry the signed-in state.
    ///
    /// Atomic: on any error nothing changes, the request's session stays exactly as it was and
    /// the response carries no deletion. Fails with [`Error::TooLarge`] when `value` does not
    /// fit, with [`Error::OverwriteRefused`] over cookies this node cannot read (see the table
    /// on [`Session`]), and with [`Error::InvalidConfig`] for a lifetime out of range.
    ///
    /// # Example
    ///
    /// ```
    /// use std::time::SystemTime;
    /// use sealed_session::{Codec, Keyring, Lifetime, RequestCookies, Session};
    ///
    /// let codec = Codec::<String>::builder(Keyring::generate()?).build()?;
    /// let now = SystemTime::now();
    /// let visitor = Session::from_cookies(&codec, &RequestCookies::new(), now);
    /// visitor.set("anonymous cart".to_owned())?;
    /// let before = visitor.metadata().unwrap().session_id();
    /// visitor.sign_in("alice".to_owned(), &Lifetime::browser_session())?;
    /// assert_ne!(visitor.metadata().unwrap().session_id(), before);
    /// assert!(!visitor.set_cookie_headers()[0].contains("Max-Age"));
    /// # Ok::<(), sealed_session::Error>(())
    /// ```
    pub fn sign_in(&self, value: T, lifetime: &crate::Lifetime) -> Result<(), Error> {
        let mut state = self.lock();
        state.check_overwrite()?;
        let sealed = state.codec.seal_new(
            &value,
            lifetime,
            &RequestCookies::from_header(&state.request_cookies),
            state.now,
        )?;
        state.metadata = Some(sealed.metadata().clone());
        state.value = Some(value);
        state.write = Write::Sealed(sealed);
        Ok(())
    }

    /// Replaces the session with `value` and seals it now, so the response sends it.
    ///
    /// Keeps the session id, absolute deadline and lifetime of the request's session (a new
    /// session gets a fresh id and the codec's lifetime). Fails, changing nothing, with
    /// [`Error::TooLarge`] when the value does not fit the codec's cookie budget, with
    /// [`Error::OverwriteRefused`] when the request carries session cookies this node cannot
    /// read but another may (see the table on [`Session`]), or with the error `seal` gives.
    ///
    /// # Example
    ///
    /// ```
    /// # use std::time::SystemTime;
    /// # use sealed_session::{Codec, Error, Keyring, RequestCookies, Session};
    /// let codec = Codec::<Vec<u8>>::builder(Keyring::generate()?).build()?;
    /// let session = Session::from_cookies(&codec, &RequestCookies::new(), SystemTime::now());
    /// session.set(vec![1, 2, 3])?;
    /// let too_big = session.set(vec![7; 100_000]);
    /// assert!(matches!(too_big, Err(Error::TooLarge { .. })));
    /// assert_eq!(session.get(), Some(vec![1, 2, 3]));
    /// # Ok::<(), sealed_session::Error>(())
    /// ```
    pub fn set(&self, value: T) -> Result<(), Error> {
        let mut state = self.lock();
        state.check_overwrite()?;
        let sealed = state.codec.seal(
            &value,
            state.metadata.as_ref(),
            &RequestCookies::from_header(&state.request_cookies),
            state.now,
        )?;
        state.metadata = Some(sealed.metadata().clone());
        state.value = Some(value);
        state.write = Write::Sealed(sealed);
        Ok(())
    }

    /// Changes the session in place (starting from `T::default()` when there is none) and seals
    /// it, like [`set`](Self::set); returns what `change` returns. On an error nothing changes.
    ///
    /// # Example
    ///
    /// ```
    /// # use std::time::SystemTime;
    /// # use sealed_session::{Codec, Keyring, RequestCookies, Session};
    /// # let codec = Codec::<u32>::builder(Keyring::generate()?).build()?;
    /// let session = Session::from_cookies(&codec, &RequestCookies::new(), SystemTime::now());
    /// let visits = session.update(|n| {
    ///     *n += 1;
    ///     *n
    /// })?;
    /// assert_eq!(visits, 1);
    /// # Ok::<(), sealed_session::Error>(())
    /// ```
    pub fn update<R>(&self, change: impl FnOnce(&mut T) -> R) -> Result<R, Error>
    where
        T: Clone + Default,
    {
        self.lock().check_overwrite()?;
        // The lock is not held while user code runs.
        let mut value = self.get().unwrap_or_default();
        let result = change(&mut value);
        self.set(value)?;
        Ok(result)
    }

    /// The sealed cookies this response will carry, if it carries a session: after a change,
    /// or when the request's session is due for a re-seal (which this performs now). `None`
    /// when nothing is sealed: no change, no session, or after [`clear`](Self::clear).
    ///
    /// # Example
    ///
    /// ```
    /// # use std::time::SystemTime;
    /// # use sealed_session::{Codec, Keyring, RequestCookies, Session};
    /// # let codec = Codec::<u32>::builder(Keyring::generate()?).build()?;
    /// let session = Session::from_cookies(&codec, &RequestCookies::new(), SystemTime::now());
    /// assert!(session.sealed().is_none());
    /// session.set(5)?;
    /// let sealed = session.sealed().unwrap();
    /// println!("{} chunk(s), key {}", sealed.chunk_count(), sealed.metadata().key_id());
    /// # Ok::<(), sealed_session::Error>(())
    /// ```
    pub fn sealed(&self) -> Option<SealedCookies> {
        let mut state = self.lock();
        flush(&mut state);
        match &state.write {
            Write::Sealed(sealed) => Some(sealed.clone()),
            Write::Nothing | Write::Cleared(_) => None,
        }
    }

    /// The `Set-Cookie` header values the response must carry (often none). Adapters call this
    /// after the handler; it performs a due re-seal or the deletion of cookies that did not open.
    ///
    /// A due re-seal that fails (which takes a changed codec configuration, such as a smaller
    /// budget) writes nothing: the request's cookies stay valid until they expire.
    ///
    /// # Example
    ///
    /// ```
    /// # use std::time::SystemTime;
    /// # use sealed_session::{Codec, Keyring, RequestCookies, Session};
    /// # let codec = Codec::<u32>::builder(Keyring::generate()?).build()?;
    /// let session = Session::from_cookies(&codec, &RequestCookies::new(), SystemTime::now());
    /// assert!(session.set_cookie_headers().is_empty());
    /// session.set(5)?;
    /// for line in session.set_cookie_headers() {
    ///     println!("Set-Cookie: {line}");
    /// }
    /// # Ok::<(), sealed_session::Error>(())
    /// ```
    pub fn set_cookie_headers(&self) -> Vec<String> {
        let mut state = self.lock();
        flush(&mut state);
        match &state.write {
            Write::Nothing => Vec::new(),
            Write::Sealed(sealed) => sealed.headers().to_vec(),
            Write::Cleared(lines) => lines.clone(),
        }
    }
}

/// Decides what an unchanged session writes: a re-seal when one is due, deletions when the
/// request's cookies did not open. Idempotent.
fn flush<T: Serialize>(state: &mut State<T>) {
    if !matches!(state.write, Write::Nothing) {
        return;
    }
    let request = RequestCookies::from_header(&state.request_cookies);
    if let (Some(value), Some(metadata)) = (&state.value, &state.metadata) {
        if metadata.reseal_due()
            && let Ok(sealed) = state.codec.seal(value, Some(metadata), &request, state.now)
        {
            state.metadata = Some(sealed.metadata().clone());
            state.write = Write::Sealed(sealed);
        }
    } else if state
        .open_error
        .as_ref()
        .is_some_and(Error::cookies_are_dead)
    {
        state.write = Write::Cleared(state.codec.clear(&request));
    }
}
