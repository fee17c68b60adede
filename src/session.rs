//! What `open` and `seal` hand back: the session's metadata, its id, and the cookies to send.

use core::fmt;
use std::time::SystemTime;

use subtle::ConstantTimeEq;

use crate::envelope::{Inner, Mode, SESSION_ID_LEN};
use crate::expiry::Lifetime;
use crate::keyring::KeyId;
use crate::time::from_unix;

/// The random 128-bit id of a session, drawn at its first seal and carried unchanged across
/// re-seals. Use it as the key of an app-side deny list to revoke sessions (see README).
///
/// # Example
///
/// ```
/// use sealed_session::SessionId;
///
/// let id = SessionId::from_bytes([0xab; 16]);
/// assert_eq!(id.to_string(), "abababababababababababababababab");
/// ```
#[derive(Clone, Copy, Eq)]
pub struct SessionId([u8; SESSION_ID_LEN]);

impl SessionId {
    /// An id from its 16 bytes.
    ///
    /// # Example
    ///
    /// ```
    /// let id = sealed_session::SessionId::from_bytes([1; 16]);
    /// assert_eq!(id.as_bytes(), &[1; 16]);
    /// ```
    pub const fn from_bytes(bytes: [u8; SESSION_ID_LEN]) -> Self {
        SessionId(bytes)
    }

    /// The 16 bytes.
    ///
    /// # Example
    ///
    /// ```
    /// let id = sealed_session::SessionId::from_bytes([1; 16]);
    /// assert_eq!(id.as_bytes().len(), 16);
    /// ```
    pub const fn as_bytes(&self) -> &[u8; SESSION_ID_LEN] {
        &self.0
    }
}

/// Constant-time, so a deny-list lookup by comparison leaks nothing about stored ids.
impl PartialEq for SessionId {
    fn eq(&self, other: &Self) -> bool {
        self.0.ct_eq(&other.0).into()
    }
}

impl core::hash::Hash for SessionId {
    fn hash<H: core::hash::Hasher>(&self, state: &mut H) {
        self.0.hash(state);
    }
}

impl fmt::Display for SessionId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.iter().try_for_each(|b| write!(f, "{b:02x}"))
    }
}

impl fmt::Debug for SessionId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "SessionId({self})")
    }
}

/// Why `open` suggests sealing the session again even though it did not change.
///
/// # Example
///
/// ```
/// use sealed_session::ResealReason;
/// assert_eq!(ResealReason::NonPrimaryKey.to_string(), "sealed under a key that is no longer primary");
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ResealReason {
    /// Sealed under a key other than the current primary: re-sealing moves it to the new key,
    /// so the old key can be retired (key rotation).
    NonPrimaryKey,
    /// Half of the idle window has passed since the last seal: re-sealing slides the idle
    /// deadline forward.
    IdleRefresh,
    /// Sealed in an older format version than the codec writes (format 1): the re-seal
    /// writes format 2.
    OldFormat,
    /// Written in an older schema version of the session type than the codec now writes
    /// ([`CodecBuilder::open_older_schema`](crate::CodecBuilder::open_older_schema)): the
    /// re-seal writes the current one.
    OldSchema,
}

impl fmt::Display for ResealReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            ResealReason::NonPrimaryKey => "sealed under a key that is no longer primary",
            ResealReason::IdleRefresh => "half of the idle window has passed",
            ResealReason::OldFormat => "sealed in an older format version",
            ResealReason::OldSchema => "written in an older schema version of the session type",
        })
    }
}

/// Facts about a sealed session: who it is, when it was issued and sealed, when it expires, how
/// it was sealed, and whether it should be re-sealed.
///
/// # Example
///
/// ```
/// use std::time::SystemTime;
/// use sealed_session::{Codec, Keyring, RequestCookies};
///
/// let codec = Codec::<u32>::builder(Keyring::generate()?).build()?;
/// let now = SystemTime::now();
/// let sealed = codec.seal(&7, None, &RequestCookies::new(), now)?;
/// let meta = sealed.metadata();
/// assert_eq!(meta.issued_at(), meta.sealed_at());
/// assert!(meta.expires_at().is_some());
/// assert!(!meta.reseal_due());
/// # Ok::<(), sealed_session::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Metadata {
    pub(crate) inner: Inner,
    /// The lifetime in force: the value's, capped by the opening codec's policy.
    pub(crate) lifetime: Lifetime,
    pub(crate) expires_at: Option<u64>,
    pub(crate) past_deadline: bool,
    pub(crate) key_id: KeyId,
    pub(crate) mode: Mode,
    pub(crate) format_version: u8,
    pub(crate) reseal: Option<ResealReason>,
}

impl Metadata {
    /// The session's id.
    ///
    /// # Example
    ///
    /// ```
    /// # use std::time::SystemTime;
    /// # use sealed_session::{Codec, Keyring, RequestCookies};
    /// # let codec = Codec::<u32>::builder(Keyring::generate()?).build()?;
    /// let sealed = codec.seal(&7, None, &RequestCookies::new(), SystemTime::now())?;
    /// println!("session {}", sealed.metadata().session_id());
    /// # Ok::<(), sealed_session::Error>(())
    /// ```
    pub fn session_id(&self) -> SessionId {
        SessionId(self.inner.session_id)
    }

    /// When the session was first sealed (whole seconds); kept across re-seals.
    ///
    /// # Example
    ///
    /// ```
    /// # use std::time::{Duration, SystemTime};
    /// # use sealed_session::{Codec, Keyring, RequestCookies};
    /// # let codec = Codec::<u32>::builder(Keyring::generate()?).build()?;
    /// let t = SystemTime::UNIX_EPOCH + Duration::from_secs(1_800_000_000);
    /// let sealed = codec.seal(&7, None, &RequestCookies::new(), t)?;
    /// assert_eq!(sealed.metadata().issued_at(), t);
    /// # Ok::<(), sealed_session::Error>(())
    /// ```
    pub fn issued_at(&self) -> SystemTime {
        from_unix(self.inner.issued_at)
    }

    /// When the session was last sealed (whole seconds).
    ///
    /// # Example
    ///
    /// ```
    /// # use std::time::{Duration, SystemTime};
    /// # use sealed_session::{Codec, Keyring, RequestCookies};
    /// # let codec = Codec::<u32>::builder(Keyring::generate()?).build()?;
    /// let t = SystemTime::UNIX_EPOCH + Duration::from_secs(1_800_000_000);
    /// let first = codec.seal(&7, None, &RequestCookies::new(), t)?;
    /// let later = t + Duration::from_secs(60);
    /// let again = codec.seal(&8, Some(first.metadata()), &RequestCookies::new(), later)?;
    /// assert_eq!(again.metadata().issued_at(), t);
    /// assert_eq!(again.metadata().sealed_at(), later);
    /// # Ok::<(), sealed_session::Error>(())
    /// ```
    pub fn sealed_at(&self) -> SystemTime {
        from_unix(self.inner.sealed_at)
    }

    /// When the session expires: its deadline under the lifetime in force (the value's own,
    /// capped by the opening codec's policy; `None`: no limit at all). `open` still accepts it
    /// for the clock-skew allowance after this moment, read-only ([`Metadata::past_deadline`]).
    ///
    /// # Example
    ///
    /// ```
    /// # use std::time::{Duration, SystemTime};
    /// # use sealed_session::{Codec, Keyring, RequestCookies};
    /// # let codec = Codec::<u32>::builder(Keyring::generate()?).build()?;
    /// let t = SystemTime::UNIX_EPOCH + Duration::from_secs(1_800_000_000);
    /// let sealed = codec.seal(&7, None, &RequestCookies::new(), t)?;
    /// // The default policy: 2 hours idle, 24 hours absolute.
    /// assert_eq!(sealed.metadata().expires_at(), Some(t + Duration::from_secs(7200)));
    /// # Ok::<(), sealed_session::Error>(())
    /// ```
    pub fn expires_at(&self) -> Option<SystemTime> {
        self.expires_at.map(from_unix)
    }

    /// The id of the key that sealed the value.
    ///
    /// # Example
    ///
    /// ```
    /// # use std::time::SystemTime;
    /// # use sealed_session::{Codec, Keyring, RequestCookies};
    /// let ring = Keyring::generate()?;
    /// let id = ring.keys().next().unwrap().id();
    /// let codec = Codec::<u32>::builder(ring).build()?;
    /// let sealed = codec.seal(&7, None, &RequestCookies::new(), SystemTime::now())?;
    /// assert_eq!(sealed.metadata().key_id(), id);
    /// # Ok::<(), sealed_session::Error>(())
    /// ```
    pub fn key_id(&self) -> KeyId {
        self.key_id
    }

    /// The mode the value was sealed in.
    ///
    /// # Example
    ///
    /// ```
    /// # use std::time::SystemTime;
    /// # use sealed_session::{Codec, Keyring, Mode, RequestCookies};
    /// # let codec = Codec::<u32>::builder(Keyring::generate()?).build()?;
    /// let sealed = codec.seal(&7, None, &RequestCookies::new(), SystemTime::now())?;
    /// assert_eq!(sealed.metadata().mode(), Mode::Encrypted);
    /// # Ok::<(), sealed_session::Error>(())
    /// ```
    pub fn mode(&self) -> Mode {
        self.mode
    }

    /// The envelope's format version (1 or 2; this release seals 2).
    ///
    /// # Example
    ///
    /// ```
    /// # use std::time::SystemTime;
    /// # use sealed_session::{Codec, Keyring, RequestCookies};
    /// # let codec = Codec::<u32>::builder(Keyring::generate()?).build()?;
    /// let sealed = codec.seal(&7, None, &RequestCookies::new(), SystemTime::now())?;
    /// assert_eq!(sealed.metadata().format_version(), 2);
    /// # Ok::<(), sealed_session::Error>(())
    /// ```
    pub fn format_version(&self) -> u8 {
        self.format_version
    }

    /// Why the session should be re-sealed now, if it should (set by `open`; always `None` on
    /// what `seal` returns).
    ///
    /// # Example
    ///
    /// ```
    /// # use std::time::SystemTime;
    /// # use sealed_session::{Codec, Keyring, RequestCookies};
    /// # let codec = Codec::<u32>::builder(Keyring::generate()?).build()?;
    /// let sealed = codec.seal(&7, None, &RequestCookies::new(), SystemTime::now())?;
    /// assert_eq!(sealed.metadata().reseal_reason(), None);
    /// # Ok::<(), sealed_session::Error>(())
    /// ```
    pub fn reseal_reason(&self) -> Option<ResealReason> {
        self.reseal
    }

    /// The lifetime in force: the one the value carries (fixed at its first seal), capped by
    /// the opening codec's [`Expiry`](crate::Expiry). A format-1 value carries none and gets the
    /// codec's.
    ///
    /// # Example
    ///
    /// ```
    /// # use std::time::SystemTime;
    /// # use sealed_session::{Codec, Keyring, Lifetime, RequestCookies};
    /// # let codec = Codec::<u32>::builder(Keyring::generate()?).build()?;
    /// let lifetime = Lifetime::browser_session();
    /// let sealed = codec.seal_new(&7, &lifetime, &RequestCookies::new(), SystemTime::now())?;
    /// assert!(!sealed.metadata().lifetime().is_persistent());
    /// # Ok::<(), sealed_session::Error>(())
    /// ```
    pub fn lifetime(&self) -> Lifetime {
        self.lifetime
    }

    /// The schema version of the session type the value was written in.
    ///
    /// # Example
    ///
    /// ```
    /// # use std::time::SystemTime;
    /// # use sealed_session::{Codec, Keyring, RequestCookies};
    /// let codec = Codec::<u32>::builder(Keyring::generate()?).schema_version(4).build()?;
    /// let sealed = codec.seal(&7, None, &RequestCookies::new(), SystemTime::now())?;
    /// assert_eq!(sealed.metadata().schema_version(), 4);
    /// # Ok::<(), sealed_session::Error>(())
    /// ```
    pub fn schema_version(&self) -> u32 {
        self.inner.schema
    }

    /// Whether the deadline has passed on the opening node's clock: the value opened only
    /// through the clock-skew allowance (a node whose clock runs behind may still be serving
    /// it) and cannot be sealed again ([`Codec::seal`](crate::Codec::seal) fails with
    /// [`Error::Expired`](crate::Error::Expired)). Treat it as ended: the adapters serve such a
    /// request as one without a session.
    ///
    /// # Example
    ///
    /// ```
    /// # use std::time::{Duration, SystemTime};
    /// # use sealed_session::{Codec, Expiry, Keyring, RequestCookies};
    /// let policy = Expiry::default().idle(Some(Duration::from_secs(600)));
    /// let codec = Codec::<u32>::builder(Keyring::generate()?).expiry(policy).build()?;
    /// let now = SystemTime::now();
    /// let sealed = codec.seal(&7, None, &RequestCookies::new(), now)?;
    /// let cookie = sealed.headers()[0].split(';').next().unwrap();
    /// let request = RequestCookies::from_header(cookie);
    /// let late = now + Duration::from_secs(630); // inside the 60 s skew allowance
    /// let opened = codec.open(&request, late)?.unwrap();
    /// assert!(opened.metadata.past_deadline());
    /// assert!(codec.seal(&8, Some(&opened.metadata), &request, late).is_err());
    /// # Ok::<(), sealed_session::Error>(())
    /// ```
    pub fn past_deadline(&self) -> bool {
        self.past_deadline
    }

    /// Whether [`reseal_reason`](Self::reseal_reason) is set.
    ///
    /// # Example
    ///
    /// ```
    /// # use std::time::SystemTime;
    /// # use sealed_session::{Codec, Keyring, RequestCookies};
    /// # let codec = Codec::<u32>::builder(Keyring::generate()?).build()?;
    /// let sealed = codec.seal(&7, None, &RequestCookies::new(), SystemTime::now())?;
    /// assert!(!sealed.metadata().reseal_due());
    /// # Ok::<(), sealed_session::Error>(())
    /// ```
    pub fn reseal_due(&self) -> bool {
        self.reseal.is_some()
    }
}

/// A session `open` found in a request, with its metadata.
///
/// # Example
///
/// ```
/// use std::time::SystemTime;
/// use sealed_session::{Codec, Keyring, RequestCookies};
///
/// let codec = Codec::<String>::builder(Keyring::generate()?).purpose("api").build()?;
/// let now = SystemTime::now();
/// let token = codec.seal_token(&"alice".to_owned(), None, now)?;
/// let opened = codec.open_token(&token, now)?;
/// assert_eq!(opened.session, "alice");
/// # Ok::<(), sealed_session::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Opened<T> {
    /// The session value.
    pub session: T,
    /// Its metadata.
    pub metadata: Metadata,
}

/// The `Set-Cookie` header values `seal` produced, with facts about them.
///
/// Send every line in [`headers`](Self::headers) as its own `Set-Cookie` header (they include
/// `Max-Age=0` deletions of chunks the client holds but no longer needs).
///
/// # Example
///
/// ```
/// use std::time::SystemTime;
/// use sealed_session::{Codec, Keyring, RequestCookies};
///
/// let codec = Codec::<Vec<u8>>::builder(Keyring::generate()?).build()?;
/// let sealed = codec.seal(&vec![0; 10], None, &RequestCookies::new(), SystemTime::now())?;
/// assert_eq!(sealed.chunk_count(), 1);
/// for line in sealed.headers() {
///     assert!(line.len() <= 4000);
/// }
/// # Ok::<(), sealed_session::Error>(())
/// ```
#[derive(Clone, PartialEq, Eq)]
pub struct SealedCookies {
    pub(crate) headers: Vec<String>,
    pub(crate) chunk_count: usize,
    pub(crate) deleted: usize,
    pub(crate) cookie_header_bytes: usize,
    pub(crate) metadata: Metadata,
}

impl SealedCookies {
    /// The `Set-Cookie` header values, chunks first (in order), then deletions.
    ///
    /// # Example
    ///
    /// ```
    /// # use std::time::SystemTime;
    /// # use sealed_session::{Codec, Keyring, RequestCookies};
    /// # let codec = Codec::<u8>::builder(Keyring::generate()?).build()?;
    /// let sealed = codec.seal(&1, None, &RequestCookies::new(), SystemTime::now())?;
    /// assert!(sealed.headers()[0].starts_with("__Host-session="));
    /// # Ok::<(), sealed_session::Error>(())
    /// ```
    pub fn headers(&self) -> &[String] {
        &self.headers
    }

    /// The header values, by value.
    ///
    /// # Example
    ///
    /// ```
    /// # use std::time::SystemTime;
    /// # use sealed_session::{Codec, Keyring, RequestCookies};
    /// # let codec = Codec::<u8>::builder(Keyring::generate()?).build()?;
    /// let lines: Vec<String> = codec.seal(&1, None, &RequestCookies::new(), SystemTime::now())?.into_headers();
    /// assert_eq!(lines.len(), 1);
    /// # Ok::<(), sealed_session::Error>(())
    /// ```
    pub fn into_headers(self) -> Vec<String> {
        self.headers
    }

    /// How many cookies carry the session (1 when unchunked).
    ///
    /// # Example
    ///
    /// ```
    /// # use std::time::SystemTime;
    /// # use sealed_session::{Codec, Keyring, RequestCookies};
    /// # let codec = Codec::<u8>::builder(Keyring::generate()?).build()?;
    /// assert_eq!(codec.seal(&1, None, &RequestCookies::new(), SystemTime::now())?.chunk_count(), 1);
    /// # Ok::<(), sealed_session::Error>(())
    /// ```
    pub fn chunk_count(&self) -> usize {
        self.chunk_count
    }

    /// How many of the lines are deletions of stale chunks.
    ///
    /// # Example
    ///
    /// ```
    /// # use std::time::SystemTime;
    /// # use sealed_session::{Codec, Keyring, RequestCookies};
    /// # let codec = Codec::<u8>::builder(Keyring::generate()?).build()?;
    /// let request = RequestCookies::from_header("__Host-session.1=stale");
    /// assert_eq!(codec.seal(&1, None, &request, SystemTime::now())?.deleted_count(), 1);
    /// # Ok::<(), sealed_session::Error>(())
    /// ```
    pub fn deleted_count(&self) -> usize {
        self.deleted
    }

    /// Bytes the session's cookies will take in the browser's `Cookie` header (`name=value`
    /// pairs and `"; "` separators); this is what the total budget limits.
    ///
    /// # Example
    ///
    /// ```
    /// # use std::time::SystemTime;
    /// # use sealed_session::{Codec, Keyring, RequestCookies};
    /// # let codec = Codec::<u8>::builder(Keyring::generate()?).build()?;
    /// let sealed = codec.seal(&1, None, &RequestCookies::new(), SystemTime::now())?;
    /// assert!(sealed.cookie_header_bytes() < 200);
    /// # Ok::<(), sealed_session::Error>(())
    /// ```
    pub fn cookie_header_bytes(&self) -> usize {
        self.cookie_header_bytes
    }

    /// The sealed session's metadata.
    ///
    /// # Example
    ///
    /// ```
    /// # use std::time::SystemTime;
    /// # use sealed_session::{Codec, Keyring, RequestCookies};
    /// # let codec = Codec::<u8>::builder(Keyring::generate()?).build()?;
    /// let sealed = codec.seal(&1, None, &RequestCookies::new(), SystemTime::now())?;
    /// assert_eq!(sealed.metadata().format_version(), 2);
    /// # Ok::<(), sealed_session::Error>(())
    /// ```
    pub fn metadata(&self) -> &Metadata {
        &self.metadata
    }
}

/// Cookie names and lengths only: the values are live credentials (they open the session on
/// any node), so they stay out of logs.
impl fmt::Debug for SealedCookies {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let lines: Vec<(&str, usize)> = self
            .headers
            .iter()
            .map(|l| (l.split('=').next().unwrap_or_default(), l.len()))
            .collect();
        f.debug_struct("SealedCookies")
            .field("lines", &lines)
            .field("chunk_count", &self.chunk_count)
            .field("deleted", &self.deleted)
            .field("cookie_header_bytes", &self.cookie_header_bytes)
            .field("metadata", &self.metadata)
            .finish()
    }
}

impl IntoIterator for SealedCookies {
    type Item = String;
    type IntoIter = std::vec::IntoIter<String>;

    fn into_iter(self) -> Self::IntoIter {
        self.headers.into_iter()
    }
}
