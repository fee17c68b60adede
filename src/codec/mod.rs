//! The public facade: seal sessions into `Set-Cookie` lines or tokens, and open them back.
//!
//! One file per concern: [`builder`] configures, `cookies` and `tokens` hold the public entry
//! points, `sealing` and `opening` the two directions, `schema` the session type's versions.

mod builder;
mod cookies;
mod live;
mod opening;
mod schema;
mod sealing;
mod tokens;

use core::fmt;
use std::marker::PhantomData;
use std::sync::Arc;

pub use live::LiveKeyring;

pub use builder::{
    CodecBuilder, DEFAULT_COOKIE_NAME, DEFAULT_MAX_COOKIE_BYTES, DEFAULT_MAX_TOTAL_BYTES,
    DEFAULT_PURPOSE, MAX_COOKIE_BYTES, MAX_TOTAL_BYTES,
};

use crate::chunk::Slots;
use crate::cookie::{CookieAttributes, LifetimeAttrs, RequestCookies};
use crate::envelope::{Binding, Mode};
use crate::error::Error;
use crate::expiry::{Expiry, Lifetime};
use crate::keyring::Keyring;
use crate::random::RandomSource;
use crate::session::Metadata;
use schema::Schemas;

/// Seals sessions of type `T` into cookies or tokens and opens them back.
///
/// Built once per application from a [`Keyring`] and a configuration ([`Codec::builder`]), then
/// shared: it is cheap to clone (two `Arc`s), `Send` and `Sync`, and takes no lock. Every method
/// is a pure function of its inputs, the keyring, `now`, and the randomness source: nothing here
/// does I/O. The keyring can be replaced while the codec runs ([`Codec::replace_keyring`]):
/// every clone sees the new one.
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
    schemas: Arc<Schemas<T>>,
    _session: PhantomData<fn() -> T>,
}

struct Shared {
    keyring: LiveKeyring,
    cookie_name: String,
    purpose: String,
    /// Whether the builder was given a purpose: tokens need one (a token codec names its
    /// purpose, so two codecs left on the defaults never open each other's tokens).
    purpose_named: bool,
    mode: Mode,
    attributes: CookieAttributes,
    fixed_attributes: String,
    expiry: Expiry,
    max_cookie_bytes: usize,
    max_total_bytes: usize,
    binding: Binding,
    random: Arc<dyn RandomSource>,
}

/// How a seal starts: from the session a request carried (same id, same issue time, same
/// lifetime) or as a new session with a lifetime of its own.
enum Start<'a> {
    Continue(&'a Metadata),
    New(Lifetime),
}

impl<'a> Start<'a> {
    fn from_previous(previous: Option<&'a Metadata>, expiry: &Expiry) -> Self {
        match previous {
            Some(meta) => Start::Continue(meta),
            None => Start::New(expiry.lifetime()),
        }
    }
}

impl<T> Clone for Codec<T> {
    fn clone(&self) -> Self {
        Codec {
            shared: Arc::clone(&self.shared),
            schemas: Arc::clone(&self.schemas),
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
            .field("schemas", &self.schemas)
            .field("max_cookie_bytes", &s.max_cookie_bytes)
            .field("max_total_bytes", &s.max_total_bytes)
            .field("keyring", &s.keyring)
            .finish_non_exhaustive()
    }
}

impl<T> Codec<T> {
    /// Starts configuring a codec that seals with `keyring`: a [`Keyring`], or a
    /// [`LiveKeyring`] that several codecs share (one replacement reaches them all).
    ///
    /// # Example
    ///
    /// ```
    /// use sealed_session::{Codec, Keyring};
    /// let codec = Codec::<String>::builder(Keyring::generate()?).build()?;
    /// # let _ = codec;
    /// # Ok::<(), sealed_session::Error>(())
    /// ```
    pub fn builder(keyring: impl Into<LiveKeyring>) -> CodecBuilder<T> {
        CodecBuilder::new(keyring.into())
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

    /// The purpose the values are bound to.
    ///
    /// # Example
    ///
    /// ```
    /// # use sealed_session::{Codec, Keyring};
    /// let codec = Codec::<u8>::builder(Keyring::generate()?).purpose("shop").build()?;
    /// assert_eq!(codec.purpose(), "shop");
    /// # Ok::<(), sealed_session::Error>(())
    /// ```
    pub fn purpose(&self) -> &str {
        &self.shared.purpose
    }

    /// The cookie attributes (`Path`, `Domain`, `Secure`, `HttpOnly`, `SameSite`).
    ///
    /// # Example
    ///
    /// ```
    /// # use sealed_session::{Codec, CookieAttributes, Keyring};
    /// let codec = Codec::<u8>::builder(Keyring::generate()?).build()?;
    /// assert_eq!(codec.attributes(), &CookieAttributes::default());
    /// # Ok::<(), sealed_session::Error>(())
    /// ```
    pub fn attributes(&self) -> &CookieAttributes {
        &self.shared.attributes
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

    /// The keyring now. A later [`replace_keyring`](Self::replace_keyring) does not change the
    /// returned one: load it for one operation, not for good.
    ///
    /// # Example
    ///
    /// ```
    /// # use sealed_session::{Codec, Keyring};
    /// let codec = Codec::<u8>::builder(Keyring::generate()?).build()?;
    /// assert_eq!(codec.keyring().keys().count(), 1);
    /// # Ok::<(), sealed_session::Error>(())
    /// ```
    pub fn keyring(&self) -> Arc<Keyring> {
        self.shared.keyring.load()
    }

    /// The live keyring this codec shares with its clones (and with every codec built from the
    /// same [`LiveKeyring`]).
    ///
    /// # Example
    ///
    /// ```
    /// # use sealed_session::{Codec, Keyring};
    /// let codec = Codec::<u8>::builder(Keyring::generate()?).build()?;
    /// let tokens = Codec::<u8>::builder(codec.live_keyring().clone()).purpose("api").build()?;
    /// assert_eq!(tokens.keyring(), codec.keyring());
    /// # Ok::<(), sealed_session::Error>(())
    /// ```
    pub fn live_keyring(&self) -> &LiveKeyring {
        &self.shared.keyring
    }

    /// Replaces the keyring of this codec, its clones and every codec sharing its
    /// [`LiveKeyring`], atomically and without a lock on seals and opens, if the new keyring
    /// keeps the keys that seal at `now` within this codec's clock-skew allowance
    /// ([`Expiry::skew`]); otherwise returns why and keeps the keyring it has. The rules:
    /// [`LiveKeyring::replace`]. This does no I/O: reading a keyring file when it changes is
    /// the `reload` feature's `KeyringFile`.
    ///
    /// # Example
    ///
    /// ```
    /// use std::time::{Duration, SystemTime};
    /// use sealed_session::{Codec, Error, Key, KeyId, Keyring, RequestCookies};
    ///
    /// let now = SystemTime::UNIX_EPOCH + Duration::from_secs(1_800_000_000);
    /// let old = Key::new(KeyId::new(1), [1; 32]);
    /// let codec = Codec::<u32>::builder(Keyring::new([old.clone()])?).build()?;
    /// let handler_copy = codec.clone();
    ///
    /// // Add key 2, sealing from a minute on: every clone sees it.
    /// let switch = now + Duration::from_secs(60);
    /// let new = Key::new(KeyId::new(2), [2; 32]).with_not_before(switch);
    /// codec.replace_keyring(Keyring::new([old, new.clone()])?, now)?;
    /// let sealed = handler_copy.seal(&7, None, &RequestCookies::new(), switch)?;
    /// assert_eq!(sealed.metadata().key_id(), KeyId::new(2));
    ///
    /// // Dropping key 1 while it still seals is refused; the keyring stays.
    /// assert_eq!(
    ///     codec.replace_keyring(Keyring::new([new])?, now),
    ///     Err(Error::SealingKeyDropped { key_id: KeyId::new(1) })
    /// );
    /// assert_eq!(handler_copy.keyring().keys().count(), 2);
    /// # Ok::<(), sealed_session::Error>(())
    /// ```
    pub fn replace_keyring(
        &self,
        keyring: Keyring,
        now: std::time::SystemTime,
    ) -> Result<(), Error> {
        self.shared
            .keyring
            .replace(keyring, now, self.shared.expiry.skew())
    }

    /// The schema version of `T` this codec writes once any scheduled switch has passed
    /// ([`CodecBuilder::schema_version`]).
    ///
    /// # Example
    ///
    /// ```
    /// # use sealed_session::{Codec, Keyring};
    /// let codec = Codec::<u8>::builder(Keyring::generate()?).schema_version(3).build()?;
    /// assert_eq!(codec.schema_version(), 3);
    /// # Ok::<(), sealed_session::Error>(())
    /// ```
    pub fn schema_version(&self) -> u32 {
        self.schemas.current
    }

    /// The schema version a seal at `now` writes: [`schema_version`](Self::schema_version),
    /// or the older one held back until a scheduled switch
    /// ([`CodecBuilder::seal_older_schema_until`]).
    ///
    /// # Example
    ///
    /// ```
    /// use std::time::{Duration, SystemTime};
    /// # use sealed_session::{Codec, Keyring};
    /// let now = SystemTime::now();
    /// let switch = now + Duration::from_secs(60);
    /// let codec = Codec::<u32>::builder(Keyring::generate()?)
    ///     .schema_version(2)
    ///     .open_older_schema(1, |old: u32| old)
    ///     .seal_older_schema_until(1, switch, |new: &u32| *new)
    ///     .build()?;
    /// assert_eq!(codec.sealing_schema_version(now), 1);
    /// assert_eq!(codec.sealing_schema_version(switch), 2);
    /// # Ok::<(), sealed_session::Error>(())
    /// ```
    pub fn sealing_schema_version(&self, now: std::time::SystemTime) -> u32 {
        self.schemas.sealing_version(crate::time::to_unix(now))
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

    /// The codec of a server-side store's entries (adapters with a store only): the session's
    /// keyring, mode, expiry and schema versions, its own purpose (`<purpose>/store`, so an
    /// entry never opens as this codec's token or cookie, nor the other way round), and
    /// `max_bytes` as the bound of a sealed entry. Entries are tokens: one unchunked string.
    #[cfg(any(feature = "axum", feature = "actix"))]
    pub(crate) fn for_store_entries(&self, max_bytes: usize) -> Result<Codec<T>, Error> {
        let s = &*self.shared;
        let purpose = format!("{}/store", s.purpose);
        let binding = crate::envelope::Binding::new(&s.cookie_name, &purpose)?;
        Ok(Codec {
            shared: Arc::new(Shared {
                keyring: s.keyring.clone(),
                cookie_name: s.cookie_name.clone(),
                purpose,
                purpose_named: true,
                mode: s.mode,
                attributes: s.attributes.clone(),
                fixed_attributes: s.fixed_attributes.clone(),
                expiry: s.expiry,
                max_cookie_bytes: s.max_cookie_bytes,
                max_total_bytes: max_bytes,
                binding,
                random: Arc::clone(&s.random),
            }),
            schemas: Arc::clone(&self.schemas),
            _session: PhantomData,
        })
    }
}
