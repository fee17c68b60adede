//! Sessions in cookies: the public entry points.

use std::time::SystemTime;

use serde::Serialize;
use serde::de::DeserializeOwned;

use super::opening::OpenedEnvelope;
use super::{Codec, Start};
use crate::chunk::Slots;
use crate::cookie::RequestCookies;
use crate::error::Error;
use crate::expiry::Lifetime;
use crate::session::{Metadata, Opened, SealedCookies};
use crate::time::to_unix;

impl<T> Codec<T> {
    /// Seals raw bytes (no serialization) into `Set-Cookie` lines; see [`Codec::seal`]. The
    /// value is written under the codec's current [schema version](Codec::schema_version).
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
        let start = Start::from_previous(previous, &self.shared.expiry);
        let keyring = self.shared.keyring.guard();
        let pending = self.begin_bytes(&keyring, start, now, data)?;
        self.finish_cookies(pending, request, now)
    }

    /// Opens raw bytes sealed with [`Codec::seal_bytes`], whatever their schema version
    /// ([`Metadata::schema_version`]); see [`Codec::open`].
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
}

impl<T: Serialize> Codec<T> {
    /// Seals `session` into the `Set-Cookie` header values to send.
    ///
    /// * `previous`: the metadata `open` returned for this session, so the session keeps its id,
    ///   its absolute deadline and its [`Lifetime`]; `None` starts a new session (fresh id,
    ///   issued now, the codec's lifetime: see [`Codec::seal_new`] to choose another).
    /// * `request`: the request's cookies, so chunks the client holds but no longer needs are
    ///   deleted (`Max-Age=0` lines are appended). Pass what the request carried, not an empty
    ///   [`RequestCookies`], whenever it may hold the session's cookies: leftover chunks do not
    ///   break the next `open` (it ignores them) but keep costing bytes on every request.
    /// * `now`: the current time; it decides the sealing key, the schema version and the expiry
    ///   attributes.
    ///
    /// Fails with [`Error::TooLarge`] before anything is encrypted when the session would not
    /// fit the per-cookie limit within [`MAX_CHUNKS`](crate::MAX_CHUNKS) chunks, or its
    /// cookies would exceed the total budget; with [`Error::Expired`] when `previous` is past
    /// its idle or absolute deadline on this clock (no skew allowance: see
    /// [`Metadata::past_deadline`]); with [`Error::NoSealingKey`] when no key may seal at `now`.
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
        let start = Start::from_previous(previous, &self.shared.expiry);
        let keyring = self.shared.keyring.guard();
        let pending = self.begin_value(&keyring, start, now, session)?;
        self.finish_cookies(pending, request, now)
    }

    /// Seals `session` as a **new** session (a fresh id, issued now) with a lifetime of its
    /// own: a persistent "remember me" session or a browser-session one, each with its own
    /// limits. The lifetime is capped by the codec's [`Expiry`](crate::Expiry) and travels in
    /// the value, so every node enforces it, and later re-seals keep it. Use it at sign-in:
    /// the id seen before authentication is never the authenticated one.
    ///
    /// Fails like [`Codec::seal`], and with [`Error::InvalidConfig`] when `lifetime` is out of
    /// range or leaves a browser-session cookie without a server-side deadline.
    ///
    /// # Example
    ///
    /// ```
    /// use std::time::{Duration, SystemTime};
    /// use sealed_session::{Codec, Expiry, Keyring, Lifetime, RequestCookies};
    ///
    /// let month = Duration::from_secs(30 * 86400);
    /// let codec = Codec::<u64>::builder(Keyring::generate()?)
    ///     .expiry(Expiry::default().absolute(Some(month)).idle(Some(month)))
    ///     .build()?;
    /// let now = SystemTime::now();
    /// let remembered = codec.seal_new(&42, &Lifetime::persistent(), &RequestCookies::new(), now)?;
    /// assert!(remembered.headers()[0].contains("Max-Age=2592000"));
    /// let visit = Lifetime::browser_session().idle(Some(Duration::from_secs(1800)));
    /// let sealed = codec.seal_new(&42, &visit, &RequestCookies::new(), now)?;
    /// assert!(!sealed.headers()[0].contains("Max-Age"));
    /// assert_eq!(sealed.metadata().expires_at(), Some(now_secs(now) + Duration::from_secs(1800)));
    /// # fn now_secs(t: SystemTime) -> SystemTime {
    /// #     let s = t.duration_since(SystemTime::UNIX_EPOCH).unwrap().as_secs();
    /// #     SystemTime::UNIX_EPOCH + Duration::from_secs(s)
    /// # }
    /// # Ok::<(), sealed_session::Error>(())
    /// ```
    pub fn seal_new(
        &self,
        session: &T,
        lifetime: &Lifetime,
        request: &RequestCookies<'_>,
        now: SystemTime,
    ) -> Result<SealedCookies, Error> {
        let now = to_unix(now);
        let keyring = self.shared.keyring.guard();
        let pending = self.begin_value(&keyring, Start::New(*lifetime), now, session)?;
        self.finish_cookies(pending, request, now)
    }
}

impl<T: DeserializeOwned> Codec<T> {
    /// Opens the session the request's cookies carry.
    ///
    /// Returns `Ok(None)` when the request has none of the session's cookies (or only chunk
    /// cookies without their head: leftovers), and an error when it has some that do not open:
    /// see [`Error`] for which. Size is checked before anything is decoded. Chunk cookies the
    /// head does not announce, and cookies of a chunk's name from another seal beside the one
    /// that matches, are ignored (FORMAT.md §5.3). On success,
    /// [`Metadata::reseal_reason`] says whether to seal again even if the session did not
    /// change (key rotation, idle refresh, an older format or schema version).
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
            .map(|envelope| envelope.deserialize(self))
            .transpose()
    }

    /// Collects the session's chunk cookies from `request` in one scan, handing every other
    /// cookie to `other`: the adapters' layers find their flash cookie in the same pass. The
    /// returned [`Slots`] open with [`open_collected`](Self::open_collected).
    pub(crate) fn collect<'a>(
        &self,
        request: &RequestCookies<'a>,
        other: impl FnMut(&'a str, &'a str),
    ) -> Slots<'a> {
        Slots::collect_with(request, &self.shared.cookie_name, other)
    }

    /// [`open`](Self::open) over the chunk cookies [`collect`](Self::collect) found.
    pub(crate) fn open_collected(
        &self,
        slots: &Slots<'_>,
        now: SystemTime,
    ) -> Result<Option<Opened<T>>, Error> {
        self.open_slots(slots, to_unix(now))?
            .map(|envelope| envelope.deserialize(self))
            .transpose()
    }
}

/// Tests that kill mutants the rest of the suite lets live (MUTANTS.md): `collect` and
/// `open_collected` serve only the adapters' layers, whose tests are not in the core's
/// selection.
#[cfg(test)]
mod mutant_kills {
    use std::time::{Duration, SystemTime};

    use crate::keyring::{Key, KeyId, Keyring};
    use crate::{Codec, RequestCookies};

    /// Kills `Codec::collect -> Slots<'a>` replaced with `Default::default()` (line 212) and
    /// `Codec::open_collected` replaced with `Ok(None)` (line 221).
    #[test]
    fn collected_cookies_open_and_the_others_are_handed_on() {
        let now = SystemTime::UNIX_EPOCH + Duration::from_secs(1_800_000_000);
        let keyring = Keyring::new([Key::new(KeyId::new(1), [0x11; 32])]).unwrap();
        let codec = Codec::<u32>::builder(keyring).build().unwrap();
        let sealed = codec.seal(&7, None, &RequestCookies::new(), now).unwrap();
        let pair = sealed.headers()[0].split(';').next().unwrap();
        let header = format!("flash=x; {pair}");
        let request = RequestCookies::from_header(&header);
        let mut others = Vec::new();
        let slots = codec.collect(&request, |name, value| others.push((name, value)));
        assert_eq!(others, [("flash", "x")]);
        assert!(slots.has_head());
        let opened = codec
            .open_collected(&slots, now)
            .unwrap()
            .expect("a session");
        assert_eq!(opened.session, 7);
    }
}
