//! Sessions as tokens (an `Authorization` header, a URL): the public entry points.
//!
//! A token is one unchunked base64url string. Its associated data binds the usage (format v2),
//! so a token never opens as a cookie and a cookie value never opens as a token; and a token
//! codec must name its purpose ([`CodecBuilder::purpose`](crate::CodecBuilder::purpose)), so two
//! codecs left on the defaults never open each other's tokens (a session token opened as a
//! password-reset token).

use std::time::SystemTime;

use serde::Serialize;
use serde::de::DeserializeOwned;

use super::{Codec, Start};
use crate::error::{Error, config};
use crate::expiry::Lifetime;
use crate::session::{Metadata, Opened};
use crate::time::to_unix;

impl<T> Codec<T> {
    fn check_token_purpose(&self) -> Result<(), Error> {
        if self.shared.purpose_named {
            Ok(())
        } else {
            Err(config(
                "tokens need a codec whose purpose is named (CodecBuilder::purpose)",
            ))
        }
    }

    /// Seals raw bytes into one token; see [`Codec::seal_token`].
    ///
    /// # Example
    ///
    /// ```
    /// # use std::time::SystemTime;
    /// # use sealed_session::{Codec, Keyring};
    /// let codec = Codec::<()>::builder(Keyring::generate()?).purpose("api").build()?;
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
        self.check_token_purpose()?;
        let start = Start::from_previous(previous, &self.shared.expiry);
        let keyring = self.shared.keyring.guard();
        let pending = self.begin_bytes(&keyring, start, to_unix(now), data)?;
        self.finish_token(pending)
    }

    /// Opens a token sealed with [`Codec::seal_token_bytes`]; see [`Codec::open_token`].
    ///
    /// # Example
    ///
    /// ```
    /// # use std::time::SystemTime;
    /// # use sealed_session::{Codec, Keyring};
    /// # let codec = Codec::<()>::builder(Keyring::generate()?).purpose("api").build()?;
    /// let now = SystemTime::now();
    /// let token = codec.seal_token_bytes(b"raw", None, now)?;
    /// assert_eq!(codec.open_token_bytes(&token, now)?.session, b"raw");
    /// # Ok::<(), sealed_session::Error>(())
    /// ```
    pub fn open_token_bytes(&self, token: &str, now: SystemTime) -> Result<Opened<Vec<u8>>, Error> {
        self.check_token_purpose()?;
        Ok(self.open_token_envelope(token, to_unix(now))?.into_bytes())
    }
}

impl<T: Serialize> Codec<T> {
    /// Seals `session` into one unchunked base64url token for an `Authorization` header or a
    /// URL, with the same protections as a cookie, bound to the token usage: it never opens
    /// as a cookie. The codec must name its purpose. Fails with [`Error::TooLarge`] when the
    /// token would exceed the total budget, and with [`Error::InvalidConfig`] when the codec's
    /// purpose was left to the default.
    ///
    /// # Example
    ///
    /// ```
    /// use std::time::SystemTime;
    /// use sealed_session::{Codec, Keyring};
    ///
    /// let codec = Codec::<u64>::builder(Keyring::generate()?).purpose("api").build()?;
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
        self.check_token_purpose()?;
        let start = Start::from_previous(previous, &self.shared.expiry);
        let keyring = self.shared.keyring.guard();
        let pending = self.begin_value(&keyring, start, to_unix(now), session)?;
        self.finish_token(pending)
    }

    /// Seals `session` as a new token (a fresh id) with a lifetime of its own, capped by the
    /// codec's [`Expiry`](crate::Expiry): a 15-minute password-reset link from a codec whose
    /// policy allows a day. See [`Codec::seal_token`].
    ///
    /// # Example
    ///
    /// ```
    /// use std::time::{Duration, SystemTime};
    /// use sealed_session::{Codec, Error, Keyring, Lifetime};
    ///
    /// let codec = Codec::<u64>::builder(Keyring::generate()?).purpose("password-reset").build()?;
    /// let now = SystemTime::now();
    /// let quarter = Lifetime::persistent().absolute(Some(Duration::from_secs(900)));
    /// let token = codec.seal_token_new(&42, &quarter, now)?;
    /// let later = now + Duration::from_secs(3600);
    /// assert!(matches!(codec.open_token(&token, later), Err(Error::Expired { .. })));
    /// # Ok::<(), sealed_session::Error>(())
    /// ```
    pub fn seal_token_new(
        &self,
        session: &T,
        lifetime: &Lifetime,
        now: SystemTime,
    ) -> Result<String, Error> {
        self.check_token_purpose()?;
        let keyring = self.shared.keyring.guard();
        let pending = self.begin_value(&keyring, Start::New(*lifetime), to_unix(now), session)?;
        self.finish_token(pending)
    }
}

impl<T: Serialize> Codec<T> {
    /// Seals a server-side store's entry (a token of [`for_store_entries`](Self::for_store_entries)'s
    /// codec): continuing `previous`, or a new session of `fresh`'s lifetime. Returns the
    /// metadata too, which the entry's reference cookie is sealed with (same session id, issue
    /// time, lifetime and seal time).
    #[cfg(any(feature = "axum", feature = "actix"))]
    pub(crate) fn seal_entry(
        &self,
        session: &T,
        previous: Option<&Metadata>,
        fresh: Option<&Lifetime>,
        now: SystemTime,
    ) -> Result<(String, Metadata), Error> {
        let start = match (fresh, previous) {
            (Some(lifetime), _) => Start::New(*lifetime),
            (None, previous) => Start::from_previous(previous, &self.shared.expiry),
        };
        let keyring = self.shared.keyring.guard();
        let pending = self.begin_value(&keyring, start, to_unix(now), session)?;
        let metadata = pending.metadata().clone();
        Ok((self.finish_token(pending)?, metadata))
    }
}

impl<T: DeserializeOwned> Codec<T> {
    /// Opens a token sealed with [`Codec::seal_token`]. The length is checked against the
    /// total budget before it is decoded. A cookie value of the same codec does not open here
    /// ([`Error::Authentication`]), except a format-1 value, which binds no usage.
    ///
    /// # Example
    ///
    /// ```
    /// use std::time::SystemTime;
    /// use sealed_session::{Codec, Error, Keyring, RequestCookies};
    ///
    /// let codec = Codec::<u64>::builder(Keyring::generate()?).purpose("api").build()?;
    /// let now = SystemTime::now();
    /// let token = codec.seal_token(&42, None, now)?;
    /// assert_eq!(codec.open_token(&token, now)?.session, 42);
    ///
    /// let sealed = codec.seal(&42, None, &RequestCookies::new(), now)?;
    /// let cookie_value = sealed.headers()[0].split([';', '=']).nth(1).unwrap();
    /// assert_eq!(codec.open_token(cookie_value, now), Err(Error::Authentication));
    /// # Ok::<(), sealed_session::Error>(())
    /// ```
    pub fn open_token(&self, token: &str, now: SystemTime) -> Result<Opened<T>, Error> {
        self.check_token_purpose()?;
        self.open_token_envelope(token, to_unix(now))?
            .deserialize(self)
    }
}
