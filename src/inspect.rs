//! What anyone can read from a sealed value without a key: format, mode, key id and sizes.
//! For operators' tools (which key sealed this cookie? how large is it?), never for decisions:
//! nothing here is authenticated.

use crate::base64url;
use crate::chunk::Slots;
use crate::codec::MAX_TOTAL_BYTES;
use crate::cookie::RequestCookies;
use crate::envelope::{self, Mode};
use crate::error::Error;
use crate::keyring::KeyId;

/// The unauthenticated facts of a sealed value.
///
/// # Example
///
/// ```
/// use std::time::SystemTime;
/// use sealed_session::{Codec, Inspection, Keyring, Mode};
///
/// let codec = Codec::<u8>::builder(Keyring::generate()?).purpose("api").build()?;
/// let token = codec.seal_token(&1, None, SystemTime::now())?;
/// let facts = Inspection::of_token(&token)?;
/// assert_eq!(facts.mode(), Mode::Encrypted);
/// assert_eq!(facts.key_id(), codec.keyring().keys().next().unwrap().id());
/// # Ok::<(), sealed_session::Error>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Inspection {
    version: u8,
    mode: Mode,
    key_id: KeyId,
    chunk_count: usize,
    envelope_len: usize,
    text_len: usize,
}

impl Inspection {
    /// Inspects the cookies named `cookie_name` (and its chunks) in a request; `Ok(None)` when
    /// there are none. Chunks are joined and checked as `open` would (without keys); input over
    /// [`MAX_TOTAL_BYTES`] is refused before decoding.
    ///
    /// # Example
    ///
    /// ```
    /// use std::time::SystemTime;
    /// use sealed_session::{Codec, Inspection, Keyring, RequestCookies};
    ///
    /// let codec = Codec::<Vec<u8>>::builder(Keyring::generate()?).build()?;
    /// let sealed = codec.seal(&vec![7; 3500], None, &RequestCookies::new(), SystemTime::now())?;
    /// let header: Vec<&str> = sealed.headers().iter().map(|l| l.split(';').next().unwrap()).collect();
    /// let header = header.join("; ");
    /// let facts = Inspection::of_cookies(&RequestCookies::from_header(&header), "__Host-session")?.unwrap();
    /// assert_eq!(facts.chunk_count(), 2);
    /// assert_eq!(facts.cookie_bytes(), sealed.cookie_header_bytes());
    /// # Ok::<(), sealed_session::Error>(())
    /// ```
    pub fn of_cookies(
        request: &RequestCookies<'_>,
        cookie_name: &str,
    ) -> Result<Option<Inspection>, Error> {
        let slots = Slots::collect(request, cookie_name);
        if slots.is_empty() {
            return Ok(None);
        }
        let text_len = slots.header_bytes();
        if text_len > MAX_TOTAL_BYTES {
            return Err(Error::TooLarge {
                needed: text_len,
                budget: MAX_TOTAL_BYTES,
            });
        }
        if !slots.has_head() {
            return Ok(None);
        }
        let mut envelope = Vec::with_capacity(base64url::max_decoded_len(text_len));
        let chunk_count = slots.join(&mut envelope)?;
        let header = envelope::read_header(&envelope)?;
        Ok(Some(Inspection {
            version: header.version,
            mode: header.mode,
            key_id: header.key_id,
            chunk_count,
            envelope_len: envelope.len(),
            text_len,
        }))
    }

    /// Inspects a token (or one unchunked cookie value). Input over [`MAX_TOTAL_BYTES`] is
    /// refused before decoding.
    ///
    /// # Example
    ///
    /// ```
    /// use sealed_session::Inspection;
    /// assert!(Inspection::of_token("not a sealed value").is_err());
    /// ```
    pub fn of_token(token: &str) -> Result<Inspection, Error> {
        if token.len() > MAX_TOTAL_BYTES {
            return Err(Error::TooLarge {
                needed: token.len(),
                budget: MAX_TOTAL_BYTES,
            });
        }
        let mut envelope = Vec::with_capacity(base64url::max_decoded_len(token.len()));
        base64url::decode_to(token, &mut envelope)?;
        let header = envelope::read_header(&envelope)?;
        Ok(Inspection {
            version: header.version,
            mode: header.mode,
            key_id: header.key_id,
            chunk_count: 1,
            envelope_len: envelope.len(),
            text_len: token.len(),
        })
    }

    /// The format version (1 or 2; this release seals 2).
    ///
    /// # Example
    ///
    /// ```
    /// # use std::time::SystemTime;
    /// # use sealed_session::{Codec, Inspection, Keyring};
    /// # let codec = Codec::<u8>::builder(Keyring::generate()?).purpose("api").build()?;
    /// let token = codec.seal_token(&1, None, SystemTime::now())?;
    /// assert_eq!(Inspection::of_token(&token)?.format_version(), 2);
    /// # Ok::<(), sealed_session::Error>(())
    /// ```
    pub fn format_version(&self) -> u8 {
        self.version
    }

    /// Encrypted or signed.
    ///
    /// # Example
    ///
    /// ```
    /// # use std::time::SystemTime;
    /// # use sealed_session::{Codec, Inspection, Keyring, Mode};
    /// let codec = Codec::<u8>::builder(Keyring::generate()?).mode(Mode::Signed).purpose("api").build()?;
    /// let token = codec.seal_token(&1, None, SystemTime::now())?;
    /// assert_eq!(Inspection::of_token(&token)?.mode(), Mode::Signed);
    /// # Ok::<(), sealed_session::Error>(())
    /// ```
    pub fn mode(&self) -> Mode {
        self.mode
    }

    /// The id of the key the value claims to be sealed under.
    ///
    /// # Example
    ///
    /// ```
    /// # use std::time::SystemTime;
    /// # use sealed_session::{Codec, Inspection, Keyring};
    /// # let codec = Codec::<u8>::builder(Keyring::generate()?).purpose("api").build()?;
    /// let token = codec.seal_token(&1, None, SystemTime::now())?;
    /// println!("sealed by key {}", Inspection::of_token(&token)?.key_id());
    /// # Ok::<(), sealed_session::Error>(())
    /// ```
    pub fn key_id(&self) -> KeyId {
        self.key_id
    }

    /// How many cookies carry it (1 for a token or an unchunked cookie).
    ///
    /// # Example
    ///
    /// ```
    /// # use std::time::SystemTime;
    /// # use sealed_session::{Codec, Inspection, Keyring};
    /// # let codec = Codec::<u8>::builder(Keyring::generate()?).purpose("api").build()?;
    /// let token = codec.seal_token(&1, None, SystemTime::now())?;
    /// assert_eq!(Inspection::of_token(&token)?.chunk_count(), 1);
    /// # Ok::<(), sealed_session::Error>(())
    /// ```
    pub fn chunk_count(&self) -> usize {
        self.chunk_count
    }

    /// Length of the binary envelope.
    ///
    /// # Example
    ///
    /// ```
    /// # use std::time::SystemTime;
    /// # use sealed_session::{Codec, Inspection, Keyring};
    /// # let codec = Codec::<u8>::builder(Keyring::generate()?).purpose("api").build()?;
    /// let token = codec.seal_token(&1, None, SystemTime::now())?;
    /// assert!(Inspection::of_token(&token)?.envelope_len() < token.len());
    /// # Ok::<(), sealed_session::Error>(())
    /// ```
    pub fn envelope_len(&self) -> usize {
        self.envelope_len
    }

    /// Bytes on the wire: the token's length, or the cookies' share of the `Cookie` header.
    ///
    /// # Example
    ///
    /// ```
    /// # use std::time::SystemTime;
    /// # use sealed_session::{Codec, Inspection, Keyring};
    /// # let codec = Codec::<u8>::builder(Keyring::generate()?).purpose("api").build()?;
    /// let token = codec.seal_token(&1, None, SystemTime::now())?;
    /// assert_eq!(Inspection::of_token(&token)?.cookie_bytes(), token.len());
    /// # Ok::<(), sealed_session::Error>(())
    /// ```
    pub fn cookie_bytes(&self) -> usize {
        self.text_len
    }
}
