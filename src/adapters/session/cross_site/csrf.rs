//! The session-bound CSRF token: an HMAC-SHA256 of the cookie name and session id under a
//! per-key CSRF subkey, prefixed with the key id (FORMAT.md 2.5).

use super::super::Session;
use crate::keyring::KeyId;
use crate::time::to_unix;

/// Bytes in a CSRF token before encoding: the key id, then the HMAC-SHA256 tag.
const TOKEN_BYTES: usize = 4 + 32;

/// Characters in a CSRF token (base64url of [`TOKEN_BYTES`], no padding).
pub(super) const TOKEN_CHARS: usize = crate::base64url::encoded_len(TOKEN_BYTES);

/// What a CSRF tag covers: a label, the cookie name, and the session id.
pub(super) fn csrf_message(cookie_name: &str, session_id: &[u8; 16]) -> Vec<u8> {
    let name = cookie_name.as_bytes();
    let mut message = Vec::with_capacity(8 + name.len() + 16);
    message.extend_from_slice(b"csrf");
    message.extend_from_slice(&u32::try_from(name.len()).unwrap_or(u32::MAX).to_be_bytes());
    message.extend_from_slice(name);
    message.extend_from_slice(session_id);
    message
}

/// A token's text: base64url of the key id and the tag (FORMAT.md 2.5).
pub(super) fn encode_token(key_id: KeyId, tag: &[u8; 32]) -> String {
    let mut bytes = [0u8; TOKEN_BYTES];
    bytes[..4].copy_from_slice(&key_id.to_bytes());
    bytes[4..].copy_from_slice(tag);
    let mut token = String::with_capacity(TOKEN_CHARS);
    crate::base64url::encode_to(&bytes, &mut token);
    token
}

/// The session-bound CSRF token.
impl<T> Session<T> {
    /// A token for this session's forms: put it in a hidden field (`<input type=hidden
    /// name=csrf_token value=...>`) or send it in an `X-CSRF-Token` header from scripts, and
    /// check it in the handler with [`verify_csrf`](Self::verify_csrf). Checking it is the
    /// handler's call: the layer's cross-site check ([`CrossSite`](super::CrossSite)) already refuses forged
    /// posts from every browser that sends `Sec-Fetch-Site` or `Origin`; the token covers the
    /// rest.
    ///
    /// `None` without a session (there is no id to bind to): a page whose form needs a token
    /// creates the session first (a [`set`](Self::set) when rendering it). Stateless: the
    /// base64url of the primary key's id and an HMAC-SHA256 of the session id under that key's
    /// CSRF subkey (never its sealing keys), so it is the same on every node and every request
    /// of the session, and it changes when the session id does ([`sign_in`](Self::sign_in),
    /// [`clear`](Self::clear)). It stays valid across a key rotation for as long as its key is
    /// in the keyring and not past `not_after`. Treat it like the session: do not log it or put
    /// it in URLs. No `Debug` output of the crate shows it.
    ///
    /// # Example
    ///
    /// ```
    /// use std::time::SystemTime;
    /// use sealed_session::{Codec, Keyring, RequestCookies, Session};
    ///
    /// let codec = Codec::<String>::builder(Keyring::generate()?).build()?;
    /// let session = Session::from_cookies(&codec, &RequestCookies::new(), SystemTime::now());
    /// assert_eq!(session.csrf_token(), None);
    /// session.set("alice".to_owned())?;
    /// let token = session.csrf_token().expect("a session");
    /// let form = format!("<input type=hidden name=csrf_token value={token}>");
    /// assert!(session.verify_csrf(&token));
    /// # let _ = form;
    /// # Ok::<(), sealed_session::Error>(())
    /// ```
    pub fn csrf_token(&self) -> Option<String> {
        let state = self.touch();
        let session_id = state.metadata.as_ref()?.session_id();
        let message = csrf_message(state.codec.cookie_name(), session_id.as_bytes());
        let (key_id, tag) = state
            .codec
            .keyring()
            .csrf_sign(&message, to_unix(state.now))?;
        Some(encode_token(key_id, &tag))
    }

    /// Whether `token` is this session's CSRF token ([`csrf_token`](Self::csrf_token)),
    /// compared in constant time. `false` without a session, for another session's token, for a
    /// token whose key the keyring no longer holds (or holds past its `not_after`), and for any
    /// malformed input. Call it in the handler of every form post that changes state; answer
    /// `false` with `403 Forbidden`.
    ///
    /// # Example
    ///
    /// ```
    /// use std::time::SystemTime;
    /// use sealed_session::{Codec, Keyring, RequestCookies, Session};
    ///
    /// let codec = Codec::<u32>::builder(Keyring::generate()?).build()?;
    /// let now = SystemTime::now();
    /// let alice = Session::from_cookies(&codec, &RequestCookies::new(), now);
    /// alice.set(1)?;
    /// let mallory = Session::from_cookies(&codec, &RequestCookies::new(), now);
    /// mallory.set(2)?;
    /// let token = mallory.csrf_token().unwrap();
    /// assert!(mallory.verify_csrf(&token));
    /// assert!(!alice.verify_csrf(&token));
    /// assert!(!alice.verify_csrf("not a token"));
    /// # Ok::<(), sealed_session::Error>(())
    /// ```
    pub fn verify_csrf(&self, token: &str) -> bool {
        if token.len() != TOKEN_CHARS {
            return false;
        }
        let state = self.touch();
        let Some(metadata) = state.metadata.as_ref() else {
            return false;
        };
        let mut bytes = Vec::with_capacity(TOKEN_BYTES + 2);
        if crate::base64url::decode_to(token, &mut bytes).is_err() || bytes.len() != TOKEN_BYTES {
            return false;
        }
        let key_id = KeyId::new(u32::from_be_bytes([bytes[0], bytes[1], bytes[2], bytes[3]]));
        let message = csrf_message(state.codec.cookie_name(), metadata.session_id().as_bytes());
        state
            .codec
            .keyring()
            .csrf_verify(key_id, &message, &bytes[4..], to_unix(state.now))
    }
}
