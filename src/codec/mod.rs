//! The public facade: seal sessions into `Set-Cookie` lines or tokens, and open them back.

mod builder;

use core::fmt;
use core::ops::Range;
use std::marker::PhantomData;
use std::sync::Arc;
use std::time::SystemTime;

use serde::Serialize;
use serde::de::DeserializeOwned;

pub use builder::{
    CodecBuilder, DEFAULT_COOKIE_NAME, DEFAULT_MAX_COOKIE_BYTES, DEFAULT_MAX_TOTAL_BYTES,
    DEFAULT_PURPOSE, MAX_COOKIE_BYTES, MAX_TOTAL_BYTES,
};

use crate::base64url;
use crate::chunk::{self, Slots};
use crate::cookie::{CookieAttributes, LifetimeAttrs, RequestCookies};
use crate::crypto::{KeyCipher, NONCE_LEN};
use crate::envelope::{self, Binding, CURRENT_VERSION, Inner, Mode, SESSION_ID_LEN};
use crate::error::Error;
use crate::expiry::Expiry;
use crate::keyring::Keyring;
use crate::random::RandomSource;
use crate::session::{Metadata, Opened, ResealReason, SealedCookies};
use crate::time::{from_unix, to_unix};

/// Seals sessions of type `T` into cookies or tokens and opens them back.
///
/// Built once per application from a [`Keyring`] and a configuration ([`Codec::builder`]), then
/// shared: it is cheap to clone (one `Arc`), `Send` and `Sync`, and takes no lock. Every method is
/// a pure function of its inputs, the keyring, `now`, and the randomness source: nothing here
/// does I/O.
///
/// # Example
///
/// ```
/// use std::time::SystemTime;
/// use serde::{Deserialize, Serialize};
/// use sealed_session::{Codec, Keyring, RequestCookies};
///
/// #[derive(Serialize, Deserialize, PartialEq, Debug)]
/// struct Session { user_id: u64, cart: Vec<u32> }
///
/// let codec = Codec::<Session>::builder(Keyring::generate()?).build()?;
/// let now = SystemTime::now();
///
/// // Response: seal and send every line as a Set-Cookie header.
/// let session = Session { user_id: 42, cart: vec![7, 9] };
/// let sealed = codec.seal(&session, None, &RequestCookies::new(), now)?;
///
/// // Next request: the browser sends the cookie back.
/// let cookie_header = sealed.headers()[0].split(';').next().unwrap().to_owned();
/// let opened = codec.open(&RequestCookies::from_header(&cookie_header), now)?.unwrap();
/// assert_eq!(opened.session, session);
/// # Ok::<(), sealed_session::Error>(())
/// ```
pub struct Codec<T> {
    shared: Arc<Shared>,
    _session: PhantomData<fn() -> T>,
}

struct Shared {
    keyring: Keyring,
    cookie_name: String,
    purpose: String,
    mode: Mode,
    attributes: CookieAttributes,
    fixed_attributes: String,
    expiry: Expiry,
    max_cookie_bytes: usize,
    max_total_bytes: usize,
    binding: Binding,
    random: Arc<dyn RandomSource>,
}

/// An authenticated envelope: the buffer (decrypted in place), where the session data lies in
/// it, and the metadata.
struct OpenedEnvelope {
    buf: Vec<u8>,
    data: Range<usize>,
    metadata: Metadata,
}

impl OpenedEnvelope {
    fn into_bytes(mut self) -> Opened<Vec<u8>> {
        self.buf.truncate(self.data.end);
        self.buf.drain(..self.data.start);
        Opened {
            session: self.buf,
            metadata: self.metadata,
        }
    }

    fn deserialize<T: DeserializeOwned>(self) -> Result<Opened<T>, Error> {
        Ok(Opened {
            session: deserialize(&self.buf[self.data])?,
            metadata: self.metadata,
        })
    }
}

/// An envelope whose plaintext is written but not yet sealed.
struct Pending<'a> {
    buf: Vec<u8>,
    cipher: &'a KeyCipher,
    metadata: Metadata,
}

impl<T> Clone for Codec<T> {
    fn clone(&self) -> Self {
        Codec {
            shared: Arc::clone(&self.shared),
            _session: PhantomData,
        }
    }
}

impl<T> fmt::Debug for Codec<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let s = &*self.shared;
        f.debug_struct("Codec")
            .field("cookie_name", &s.cookie_name)
            .field("purpose", &s.purpose)
            .field("mode", &s.mode)
            .field("attributes", &s.attributes)
            .field("expiry", &s.expiry)
            .field("max_cookie_bytes", &s.max_cookie_bytes)
            .field("max_total_bytes", &s.max_total_bytes)
            .field("keyring", &s.keyring)
            .finish_non_exhaustive()
    }
}

impl<T> Codec<T> {
    /// Starts configuring a codec that seals with `keyring`.
    ///
    /// # Example
    ///
    /// ```
    /// use sealed_session::{Codec, Keyring};
    /// let codec = Codec::<String>::builder(Keyring::generate()?).build()?;
    /// # let _ = codec;
    /// # Ok::<(), sealed_session::Error>(())
    /// ```
    pub fn builder(keyring: Keyring) -> CodecBuilder<T> {
        CodecBuilder::new(keyring)
    }

    /// The cookie name (chunks add `.1`, `.2`, ...).
    ///
    /// # Example
    ///
    /// ```
    /// # use sealed_session::{Codec, Keyring};
    /// let codec = Codec::<u8>::builder(Keyring::generate()?).build()?;
    /// assert_eq!(codec.cookie_name(), "__Host-session");
    /// # Ok::<(), sealed_session::Error>(())
    /// ```
    pub fn cookie_name(&self) -> &str {
        &self.shared.cookie_name
    }

    /// The sealing mode.
    ///
    /// # Example
    ///
    /// ```
    /// # use sealed_session::{Codec, Keyring, Mode};
    /// let codec = Codec::<u8>::builder(Keyring::generate()?).build()?;
    /// assert_eq!(codec.mode(), Mode::Encrypted);
    /// # Ok::<(), sealed_session::Error>(())
    /// ```
    pub fn mode(&self) -> Mode {
        self.shared.mode
    }

    /// The expiry policy.
    ///
    /// # Example
    ///
    /// ```
    /// # use sealed_session::{Codec, Expiry, Keyring};
    /// let codec = Codec::<u8>::builder(Keyring::generate()?).build()?;
    /// assert_eq!(codec.expiry(), &Expiry::default());
    /// # Ok::<(), sealed_session::Error>(())
    /// ```
    pub fn expiry(&self) -> &Expiry {
        &self.shared.expiry
    }

    /// The limit on each `Set-Cookie` line.
    ///
    /// # Example
    ///
    /// ```
    /// # use sealed_session::{Codec, Keyring};
    /// let codec = Codec::<u8>::builder(Keyring::generate()?).build()?;
    /// assert_eq!(codec.max_cookie_bytes(), 4000);
    /// # Ok::<(), sealed_session::Error>(())
    /// ```
    pub fn max_cookie_bytes(&self) -> usize {
        self.shared.max_cookie_bytes
    }

    /// The limit on the session's share of the `Cookie` header (and on token length).
    ///
    /// # Example
    ///
    /// ```
    /// # use sealed_session::{Codec, Keyring};
    /// let codec = Codec::<u8>::builder(Keyring::generate()?).build()?;
    /// assert_eq!(codec.max_total_bytes(), 6144);
    /// # Ok::<(), sealed_session::Error>(())
    /// ```
    pub fn max_total_bytes(&self) -> usize {
        self.shared.max_total_bytes
    }

    /// The keyring.
    ///
    /// # Example
    ///
    /// ```
    /// # use sealed_session::{Codec, Keyring};
    /// let codec = Codec::<u8>::builder(Keyring::generate()?).build()?;
    /// assert_eq!(codec.keyring().keys().count(), 1);
    /// # Ok::<(), sealed_session::Error>(())
    /// ```
    pub fn keyring(&self) -> &Keyring {
        &self.shared.keyring
    }

    /// Seals raw bytes (no serialization) into `Set-Cookie` lines; see [`Codec::seal`].
    ///
    /// # Example
    ///
    /// ```
    /// # use std::time::SystemTime;
    /// # use sealed_session::{Codec, Keyring, RequestCookies};
    /// let codec = Codec::<()>::builder(Keyring::generate()?).build()?;
    /// let sealed = codec.seal_bytes(b"raw", None, &RequestCookies::new(), SystemTime::now())?;
    /// assert_eq!(sealed.chunk_count(), 1);
    /// # Ok::<(), sealed_session::Error>(())
    /// ```
    pub fn seal_bytes(
        &self,
        data: &[u8],
        previous: Option<&Metadata>,
        request: &RequestCookies<'_>,
        now: SystemTime,
    ) -> Result<SealedCookies, Error> {
        let now = to_unix(now);
        let pending = self.begin(previous, now, data.len(), |buf| {
            buf.extend_from_slice(data);
            Ok(())
        })?;
        self.finish_cookies(pending, request, now)
    }

    /// Opens raw bytes sealed with [`Codec::seal_bytes`]; see [`Codec::open`].
    ///
    /// # Example
    ///
    /// ```
    /// # use std::time::SystemTime;
    /// # use sealed_session::{Codec, Keyring, RequestCookies};
    /// # let codec = Codec::<()>::builder(Keyring::generate()?).build()?;
    /// let now = SystemTime::now();
    /// let sealed = codec.seal_bytes(b"raw", None, &RequestCookies::new(), now)?;
    /// let header = sealed.headers()[0].split(';').next().unwrap();
    /// let opened = codec.open_bytes(&RequestCookies::from_header(header), now)?.unwrap();
    /// assert_eq!(opened.session, b"raw");
    /// # Ok::<(), sealed_session::Error>(())
    /// ```
    pub fn open_bytes(
        &self,
        request: &RequestCookies<'_>,
        now: SystemTime,
    ) -> Result<Option<Opened<Vec<u8>>>, Error> {
        Ok(self
            .open_cookies(request, to_unix(now))?
            .map(OpenedEnvelope::into_bytes))
    }

    /// Seals raw bytes into one token; see [`Codec::seal_token`].
    ///
    /// # Example
    ///
    /// ```
    /// # use std::time::SystemTime;
    /// # use sealed_session::{Codec, Keyring};
    /// let codec = Codec::<()>::builder(Keyring::generate()?).build()?;
    /// let token = codec.seal_token_bytes(b"raw", None, SystemTime::now())?;
    /// assert!(token.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_'));
    /// # Ok::<(), sealed_session::Error>(())
    /// ```
    pub fn seal_token_bytes(
        &self,
        data: &[u8],
        previous: Option<&Metadata>,
        now: SystemTime,
    ) -> Result<String, Error> {
        let pending = self.begin(previous, to_unix(now), data.len(), |buf| {
            buf.extend_from_slice(data);
            Ok(())
        })?;
        self.finish_token(pending)
    }

    /// Opens a token sealed with [`Codec::seal_token_bytes`]; see [`Codec::open_token`].
    ///
    /// # Example
    ///
    /// ```
    /// # use std::time::SystemTime;
    /// # use sealed_session::{Codec, Keyring};
    /// # let codec = Codec::<()>::builder(Keyring::generate()?).build()?;
    /// let now = SystemTime::now();
    /// let token = codec.seal_token_bytes(b"raw", None, now)?;
    /// assert_eq!(codec.open_token_bytes(&token, now)?.session, b"raw");
    /// # Ok::<(), sealed_session::Error>(())
    /// ```
    pub fn open_token_bytes(&self, token: &str, now: SystemTime) -> Result<Opened<Vec<u8>>, Error> {
        Ok(self.open_token_envelope(token, to_unix(now))?.into_bytes())
    }

    /// `Set-Cookie` lines that delete the session's cookie and every chunk the request carries:
    /// sign-out.
    ///
    /// # Example
    ///
    /// ```
    /// # use sealed_session::{Codec, Keyring, RequestCookies};
    /// let codec = Codec::<u8>::builder(Keyring::generate()?).build()?;
    /// let request = RequestCookies::from_header("__Host-session=x; __Host-session.1=y; other=z");
    /// let lines = codec.clear(&request);
    /// assert_eq!(lines.len(), 2);
    /// assert!(lines.iter().all(|l| l.contains("Max-Age=0")));
    /// # Ok::<(), sealed_session::Error>(())
    /// ```
    pub fn clear(&self, request: &RequestCookies<'_>) -> Vec<String> {
        let s = &*self.shared;
        let slots = Slots::collect(request, &s.cookie_name);
        let deletion = LifetimeAttrs::deletion(&s.attributes);
        core::iter::once(0)
            .chain(slots.present().filter(|&i| i > 0))
            .map(|i| self.line(i, 0, &deletion, |_| {}))
            .collect()
    }

    /// Draws the session id (for a new session) and nonce, and writes the plaintext.
    fn begin(
        &self,
        previous: Option<&Metadata>,
        now: u64,
        data_hint: usize,
        write: impl FnOnce(&mut Vec<u8>) -> Result<(), Error>,
    ) -> Result<Pending<'_>, Error> {
        let s = &*self.shared;
        let (key, cipher) = s.keyring.primary_entry(now).ok_or(Error::NoSealingKey)?;
        // One draw for the session id (new sessions) and the nonce (encrypted mode): one system
        // call per seal at most.
        let mut random = [0u8; SESSION_ID_LEN + NONCE_LEN];
        let id_len = if previous.is_some() {
            0
        } else {
            SESSION_ID_LEN
        };
        let nonce_len = if s.mode == Mode::Encrypted {
            NONCE_LEN
        } else {
            0
        };
        if id_len + nonce_len > 0 {
            s.random.fill(&mut random[..id_len + nonce_len])?;
        }
        let (session_id, issued_at) = match previous {
            Some(meta) => {
                // A session past its idle or absolute deadline is over: re-sealing it would
                // hand it a fresh idle window.
                s.expiry
                    .check(meta.inner.issued_at, meta.inner.sealed_at, now)?;
                (meta.inner.session_id, meta.inner.issued_at)
            }
            None => {
                let mut id = [0u8; SESSION_ID_LEN];
                id.copy_from_slice(&random[..SESSION_ID_LEN]);
                (id, now)
            }
        };
        let sealed_at = now.max(issued_at);
        let expires_at = s.expiry.check(issued_at, sealed_at, now)?;
        // The skew allowance is for opening values sealed elsewhere; a seal must not produce a
        // cookie that is already due (it would go out as a deletion).
        if let Some(at) = expires_at
            && at <= now
        {
            return Err(Error::Expired { at: from_unix(at) });
        }
        let mut nonce = [0u8; NONCE_LEN];
        nonce.copy_from_slice(&random[id_len..id_len + NONCE_LEN]);
        let inner = Inner {
            session_id,
            issued_at,
            sealed_at,
        };
        let mut buf = envelope::begin(s.mode, key.id(), &nonce, &inner, data_hint);
        write(&mut buf)?;
        Ok(Pending {
            buf,
            cipher,
            metadata: Metadata {
                inner,
                expires_at,
                key_id: key.id(),
                mode: s.mode,
                format_version: CURRENT_VERSION,
                reseal: None,
            },
        })
    }

    /// Lays the value out in cookies, checks the budget, seals, and renders the lines.
    fn finish_cookies(
        &self,
        pending: Pending<'_>,
        request: &RequestCookies<'_>,
        now: u64,
    ) -> Result<SealedCookies, Error> {
        let s = &*self.shared;
        let envelope_len = envelope::finished_len(s.mode, &pending.buf);
        let max_age = pending.metadata.expires_at.map(|at| at.saturating_sub(now));
        let lifetime = LifetimeAttrs::new(&s.attributes, now, max_age);
        let attrs_len = lifetime.len() + s.fixed_attributes.len();
        let layout = chunk::plan(envelope_len, &s.cookie_name, attrs_len, s.max_cookie_bytes)
            .map_err(|overflow| Error::TooLarge {
                needed: overflow.needed,
                // The chunk cap can bind before the total budget does.
                budget: overflow.capacity.min(s.max_total_bytes),
            })?;
        if layout.header_bytes > s.max_total_bytes {
            return Err(Error::TooLarge {
                needed: layout.header_bytes,
                budget: s.max_total_bytes,
            });
        }
        let envelope = envelope::finish(s.mode, pending.buf, pending.cipher, &s.binding)?;
        let slots = Slots::collect(request, &s.cookie_name);
        let stale = slots.present().filter(|&i| i >= layout.count);
        let mut headers = Vec::with_capacity(layout.count + stale.clone().count());
        chunk::for_each_value(&envelope, layout, |index, bytes| {
            let value_len = chunk::value_len(envelope.len(), layout, index);
            headers.push(self.line(index, value_len, &lifetime, |line| {
                base64url::encode_to(bytes, line)
            }));
        });
        let deletion = LifetimeAttrs::deletion(&s.attributes);
        headers.extend(stale.map(|index| self.line(index, 0, &deletion, |_| {})));
        Ok(SealedCookies {
            deleted: headers.len() - layout.count,
            headers,
            chunk_count: layout.count,
            cookie_header_bytes: layout.header_bytes,
            metadata: pending.metadata,
        })
    }

    fn finish_token(&self, pending: Pending<'_>) -> Result<String, Error> {
        let s = &*self.shared;
        let needed = base64url::encoded_len(envelope::finished_len(s.mode, &pending.buf));
        if needed > s.max_total_bytes {
            return Err(Error::TooLarge {
                needed,
                budget: s.max_total_bytes,
            });
        }
        let envelope = envelope::finish(s.mode, pending.buf, pending.cipher, &s.binding)?;
        let mut token = String::with_capacity(needed);
        base64url::encode_to(&envelope, &mut token);
        Ok(token)
    }

    /// One `Set-Cookie` line, allocated once at its exact length: `write_value` appends the
    /// `value_len` bytes of the value.
    fn line(
        &self,
        index: usize,
        value_len: usize,
        lifetime: &LifetimeAttrs,
        write_value: impl FnOnce(&mut String),
    ) -> String {
        let s = &*self.shared;
        let len = s.cookie_name.len()
            + chunk::suffix_len(index)
            + 1
            + value_len
            + lifetime.len()
            + s.fixed_attributes.len();
        let mut line = String::with_capacity(len);
        chunk::push_chunk_name(&mut line, &s.cookie_name, index);
        line.push('=');
        write_value(&mut line);
        lifetime.write_to(&mut line);
        line.push_str(&s.fixed_attributes);
        debug_assert_eq!(line.len(), len);
        line
    }

    /// Finds, joins and authenticates the session's cookies: `None` when the request has none.
    fn open_cookies(
        &self,
        request: &RequestCookies<'_>,
        now: u64,
    ) -> Result<Option<OpenedEnvelope>, Error> {
        let s = &*self.shared;
        let slots = Slots::collect(request, &s.cookie_name);
        if slots.is_empty() {
            return Ok(None);
        }
        let needed = slots.header_bytes(&s.cookie_name);
        if needed > s.max_total_bytes {
            return Err(Error::TooLarge {
                needed,
                budget: s.max_total_bytes,
            });
        }
        let mut buf = Vec::with_capacity(base64url::max_decoded_len(needed));
        slots.join(&mut buf)?;
        self.authenticate(buf, now).map(Some)
    }

    fn open_token_envelope(&self, token: &str, now: u64) -> Result<OpenedEnvelope, Error> {
        let s = &*self.shared;
        if token.len() > s.max_total_bytes {
            return Err(Error::TooLarge {
                needed: token.len(),
                budget: s.max_total_bytes,
            });
        }
        let mut buf = Vec::with_capacity(base64url::max_decoded_len(token.len()));
        base64url::decode_to(token, &mut buf)?;
        self.authenticate(buf, now)
    }

    /// Checks the envelope's header, key, tag and times.
    fn authenticate(&self, mut buf: Vec<u8>, now: u64) -> Result<OpenedEnvelope, Error> {
        let s = &*self.shared;
        let header = envelope::read_header(&buf)?;
        if header.mode != s.mode {
            // Sealed in the other mode: as far as this codec knows, not authentic.
            return Err(Error::Authentication);
        }
        let cipher = s
            .keyring
            .opener(header.key_id, now)
            .ok_or(Error::UnknownKey {
                key_id: header.key_id,
            })?;
        let (inner, data) = envelope::open(header, &mut buf, cipher, &s.binding)?;
        let expires_at = s.expiry.check(inner.issued_at, inner.sealed_at, now)?;
        let reseal = if s.keyring.superseded(header.key_id, now) {
            Some(ResealReason::NonPrimaryKey)
        } else if s.expiry.idle_refresh_due(inner.sealed_at, now) {
            Some(ResealReason::IdleRefresh)
        } else {
            None
        };
        let metadata = Metadata {
            inner,
            expires_at,
            key_id: header.key_id,
            mode: header.mode,
            format_version: CURRENT_VERSION,
            reseal,
        };
        Ok(OpenedEnvelope {
            buf,
            data,
            metadata,
        })
    }
}

impl<T: Serialize> Codec<T> {
    /// Seals `session` into the `Set-Cookie` header values to send.
    ///
    /// * `previous`: the metadata `open` returned for this session, so the session keeps its id
    ///   and its absolute deadline; `None` starts a new session (fresh id, issued now).
    /// * `request`: the request's cookies, so chunks the client holds but no longer needs are
    ///   deleted (`Max-Age=0` lines are appended). Pass what the request carried, not an empty
    ///   [`RequestCookies`], whenever it may hold the session's cookies: a chunk left behind makes
    ///   the next `open` fail with [`ChunkError::Extra`](crate::ChunkError::Extra).
    /// * `now`: the current time; it decides the sealing key and the expiry attributes.
    ///
    /// Fails with [`Error::TooLarge`] before anything is encrypted when the session would not
    /// fit the per-cookie limit within [`chunk::MAX_CHUNKS`](crate::MAX_CHUNKS) chunks, or its
    /// cookies would exceed the total budget; with [`Error::Expired`] when `previous` is past
    /// its idle or absolute deadline (as `open` would judge it), or when the absolute deadline
    /// leaves no time for a new cookie; with [`Error::NoSealingKey`] when no key may seal at
    /// `now`.
    ///
    /// # Example
    ///
    /// ```
    /// use std::time::SystemTime;
    /// use sealed_session::{Codec, Keyring, RequestCookies};
    ///
    /// let codec = Codec::<Vec<u64>>::builder(Keyring::generate()?).build()?;
    /// let request = RequestCookies::from_header("__Host-session.1=stale-chunk");
    /// let sealed = codec.seal(&vec![1, 2, 3], None, &request, SystemTime::now())?;
    /// assert_eq!(sealed.headers().len(), 2);
    /// assert!(sealed.headers()[1].starts_with("__Host-session.1=; Max-Age=0"));
    /// # Ok::<(), sealed_session::Error>(())
    /// ```
    pub fn seal(
        &self,
        session: &T,
        previous: Option<&Metadata>,
        request: &RequestCookies<'_>,
        now: SystemTime,
    ) -> Result<SealedCookies, Error> {
        let now = to_unix(now);
        let pending = self.begin(previous, now, serialized_size(session)?, |buf| {
            serialize(session, buf)
        })?;
        self.finish_cookies(pending, request, now)
    }

    /// Seals `session` into one unchunked base64url token for an `Authorization` header or a
    /// URL, with the same protections as a cookie. A token is exactly what an unchunked cookie
    /// value would be, bound to the same cookie name and purpose, so a token and a cookie of one
    /// codec are the same credential: where tokens travel in URLs (logs, `Referer`) and should
    /// not open as cookies, seal them with a codec of another purpose. Fails with
    /// [`Error::TooLarge`] when the token would exceed the total budget.
    ///
    /// # Example
    ///
    /// ```
    /// use std::time::SystemTime;
    /// use sealed_session::{Codec, Keyring};
    ///
    /// let codec = Codec::<u64>::builder(Keyring::generate()?).build()?;
    /// let token = codec.seal_token(&42, None, SystemTime::now())?;
    /// let header = format!("Authorization: Bearer {token}");
    /// # let _ = header;
    /// # Ok::<(), sealed_session::Error>(())
    /// ```
    pub fn seal_token(
        &self,
        session: &T,
        previous: Option<&Metadata>,
        now: SystemTime,
    ) -> Result<String, Error> {
        let pending = self.begin(previous, to_unix(now), serialized_size(session)?, |buf| {
            serialize(session, buf)
        })?;
        self.finish_token(pending)
    }
}

impl<T: DeserializeOwned> Codec<T> {
    /// Opens the session the request's cookies carry.
    ///
    /// Returns `Ok(None)` when the request has none of the session's cookies, and an error when
    /// it has some that do not open: see [`Error`] for which. Size is checked before anything is
    /// decoded. On success, [`Metadata::reseal_reason`] says whether to seal again even if the
    /// session did not change (key rotation, idle refresh).
    ///
    /// # Example
    ///
    /// ```
    /// use std::time::{Duration, SystemTime};
    /// use sealed_session::{Codec, Error, Keyring, RequestCookies};
    ///
    /// let codec = Codec::<u64>::builder(Keyring::generate()?).build()?;
    /// let now = SystemTime::now();
    /// assert!(codec.open(&RequestCookies::from_header("other=1"), now)?.is_none());
    ///
    /// let sealed = codec.seal(&42, None, &RequestCookies::new(), now)?;
    /// let pair = sealed.headers()[0].split(';').next().unwrap();
    /// let request = RequestCookies::from_header(pair);
    /// assert_eq!(codec.open(&request, now)?.unwrap().session, 42);
    ///
    /// let much_later = now + Duration::from_secs(3 * 24 * 3600);
    /// assert!(matches!(codec.open(&request, much_later), Err(Error::Expired { .. })));
    /// # Ok::<(), sealed_session::Error>(())
    /// ```
    pub fn open(
        &self,
        request: &RequestCookies<'_>,
        now: SystemTime,
    ) -> Result<Option<Opened<T>>, Error> {
        self.open_cookies(request, to_unix(now))?
            .map(OpenedEnvelope::deserialize)
            .transpose()
    }

    /// Opens a token sealed with [`Codec::seal_token`] (or an unchunked cookie value). The
    /// length is checked against the total budget before it is decoded.
    ///
    /// # Example
    ///
    /// ```
    /// use std::time::SystemTime;
    /// use sealed_session::{Codec, Error, Keyring};
    ///
    /// let codec = Codec::<u64>::builder(Keyring::generate()?).build()?;
    /// let now = SystemTime::now();
    /// let token = codec.seal_token(&42, None, now)?;
    /// assert_eq!(codec.open_token(&token, now)?.session, 42);
    ///
    /// let mut forged = token.into_bytes();
    /// let last = forged.len() - 1;
    /// forged[last] = if forged[last] == b'A' { b'B' } else { b'A' };
    /// let forged = String::from_utf8(forged).unwrap();
    /// assert!(codec.open_token(&forged, now).is_err());
    /// # Ok::<(), sealed_session::Error>(())
    /// ```
    pub fn open_token(&self, token: &str, now: SystemTime) -> Result<Opened<T>, Error> {
        self.open_token_envelope(token, to_unix(now))?.deserialize()
    }
}

const SERIALIZE_FAILED: Error = Error::Serialization {
    reason: "the session value could not be serialized with postcard",
};

/// The exact length of the session's serialization, so the envelope is allocated once.
fn serialized_size<T: Serialize>(session: &T) -> Result<usize, Error> {
    postcard::experimental::serialized_size(session).map_err(|_| SERIALIZE_FAILED)
}

fn serialize<T: Serialize>(session: &T, buf: &mut Vec<u8>) -> Result<(), Error> {
    let taken = core::mem::take(buf);
    *buf = postcard::to_extend(session, taken).map_err(|_| SERIALIZE_FAILED)?;
    Ok(())
}

fn deserialize<T: DeserializeOwned>(data: &[u8]) -> Result<T, Error> {
    match postcard::take_from_bytes(data) {
        Ok((value, [])) => Ok(value),
        // Authentic bytes that are not exactly one `T`: the session type changed.
        Ok(_) => Err(Error::Serialization {
            reason: "bytes left over after the session value (the session type changed?)",
        }),
        Err(_) => Err(Error::Serialization {
            reason: "the payload does not deserialize as the session type",
        }),
    }
}
