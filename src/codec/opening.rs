//! Opening: finding and joining the cookies, authenticating, checking times, deciding re-seals.

use core::ops::Range;

use serde::de::DeserializeOwned;

use super::Codec;
use crate::base64url;
use crate::chunk::Slots;
use crate::cookie::RequestCookies;
use crate::envelope::{self, CURRENT_VERSION, Usage};
use crate::error::Error;
use crate::session::{Metadata, Opened, ResealReason};

/// An authenticated envelope: the buffer (decrypted in place), where the session data lies in
/// it, and the metadata.
pub(super) struct OpenedEnvelope {
    buf: Vec<u8>,
    data: Range<usize>,
    pub(super) metadata: Metadata,
}

impl OpenedEnvelope {
    pub(super) fn into_bytes(mut self) -> Opened<Vec<u8>> {
        self.buf.truncate(self.data.end);
        self.buf.drain(..self.data.start);
        Opened {
            session: self.buf,
            metadata: self.metadata,
        }
    }

    pub(super) fn deserialize<T: DeserializeOwned>(
        self,
        codec: &Codec<T>,
    ) -> Result<Opened<T>, Error> {
        let session = codec
            .schemas
            .read(self.metadata.inner.schema, &self.buf[self.data])?;
        Ok(Opened {
            session,
            metadata: self.metadata,
        })
    }
}

impl<T> Codec<T> {
    /// Finds, joins and authenticates the session's cookies: `None` when the request has none
    /// (or only chunk cookies without their head, which are leftovers).
    pub(super) fn open_cookies(
        &self,
        request: &RequestCookies<'_>,
        now: u64,
    ) -> Result<Option<OpenedEnvelope>, Error> {
        self.open_slots(&Slots::collect(request, &self.shared.cookie_name), now)
    }

    /// [`open_cookies`](Self::open_cookies) over chunk cookies already collected.
    pub(super) fn open_slots(
        &self,
        slots: &Slots<'_>,
        now: u64,
    ) -> Result<Option<OpenedEnvelope>, Error> {
        let s = &*self.shared;
        if slots.is_empty() {
            return Ok(None);
        }
        let needed = slots.header_bytes();
        if needed > s.max_total_bytes {
            return Err(Error::TooLarge {
                needed,
                budget: s.max_total_bytes,
            });
        }
        if !slots.has_head() {
            return Ok(None);
        }
        let mut buf = Vec::with_capacity(base64url::max_decoded_len(needed));
        slots.join(&mut buf)?;
        self.authenticate(buf, now, Usage::Cookie).map(Some)
    }

    pub(super) fn open_token_envelope(
        &self,
        token: &str,
        now: u64,
    ) -> Result<OpenedEnvelope, Error> {
        let s = &*self.shared;
        if token.len() > s.max_total_bytes {
            return Err(Error::TooLarge {
                needed: token.len(),
                budget: s.max_total_bytes,
            });
        }
        let mut buf = Vec::with_capacity(base64url::max_decoded_len(token.len()));
        base64url::decode_to(token, &mut buf)?;
        self.authenticate(buf, now, Usage::Token)
    }

    /// Checks the envelope's header, key, tag and times, and decides whether a re-seal is due.
    fn authenticate(
        &self,
        mut buf: Vec<u8>,
        now: u64,
        usage: Usage,
    ) -> Result<OpenedEnvelope, Error> {
        let s = &*self.shared;
        let header = envelope::read_header(&buf)?;
        if header.mode != s.mode {
            // Sealed in the other mode: as far as this codec knows, not authentic.
            return Err(Error::Authentication);
        }
        let key_id = header.key_id;
        // One keyring for the whole open, whatever a replacement does meanwhile.
        let keyring = s.keyring.guard();
        let cipher = match keyring.opener(key_id, now) {
            Some(cipher) => cipher,
            None if keyring.holds(key_id) => return Err(Error::RetiredKey { key_id }),
            None => return Err(Error::UnknownKey { key_id }),
        };
        let (inner, data) = envelope::open(header, &mut buf, cipher, &s.binding, usage)?;
        let lifetime = s.expiry.effective(inner.lifetime);
        let expires_at = s
            .expiry
            .check_open(&lifetime, inner.issued_at, inner.sealed_at, now)?;
        let past_deadline = expires_at.is_some_and(|at| now >= at);
        let reseal = if past_deadline {
            // It opened through the skew allowance only; it cannot be sealed again.
            None
        } else if keyring.superseded(key_id, now) {
            Some(ResealReason::NonPrimaryKey)
        } else if header.version < CURRENT_VERSION {
            Some(ResealReason::OldFormat)
        } else if inner.schema < self.schemas.sealing_version(now) {
            Some(ResealReason::OldSchema)
        } else if s.expiry.idle_refresh_due(&lifetime, inner.sealed_at, now) {
            Some(ResealReason::IdleRefresh)
        } else {
            None
        };
        let metadata = Metadata {
            inner,
            lifetime,
            expires_at,
            past_deadline,
            key_id,
            mode: header.mode,
            format_version: header.version,
            reseal,
        };
        Ok(OpenedEnvelope {
            buf,
            data,
            metadata,
        })
    }
}
