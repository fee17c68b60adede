//! Sealing: drawing the id and nonce, fixing the lifetime, laying out chunks, rendering lines.

use serde::Serialize;

use super::schema::{Encoded, serialize};
use super::{Codec, Start};
use crate::base64url;
use crate::chunk::{self, Slots};
use crate::cookie::{LifetimeAttrs, RequestCookies};
use crate::crypto::{KeyCipher, NONCE_LEN};
use crate::envelope::{self, CURRENT_VERSION, Inner, Mode, SESSION_ID_LEN, Usage};
use crate::error::Error;
use crate::expiry;
use crate::keyring::Keyring;
use crate::session::{Metadata, SealedCookies};
use crate::time::from_unix;

/// An envelope whose plaintext is written but not yet sealed.
pub(super) struct Pending<'a> {
    buf: Vec<u8>,
    cipher: &'a KeyCipher,
    metadata: Metadata,
}

impl Pending<'_> {
    /// The metadata the finished seal will carry.
    #[cfg(any(feature = "axum", feature = "actix"))]
    pub(super) fn metadata(&self) -> &Metadata {
        &self.metadata
    }
}

impl<T> Codec<T> {
    /// Draws the session id (for a new session) and nonce, fixes the lifetime, and writes the
    /// plaintext's metadata; the caller appends `data_len` bytes of data. `keyring` is the one
    /// the caller loaded for this seal: a replacement meanwhile does not split a seal between
    /// two keyrings.
    pub(super) fn begin<'a>(
        &self,
        keyring: &'a Keyring,
        start: Start<'_>,
        now: u64,
        schema: u32,
        data_len: usize,
    ) -> Result<Pending<'a>, Error> {
        let s = &*self.shared;
        let (key, cipher) = keyring.primary_entry(now).ok_or(Error::NoSealingKey)?;
        let (session_id, issued_at, lifetime) = match start {
            Start::Continue(meta) => {
                // A session past its idle or absolute deadline on this clock is over: re-sealing
                // it would hand it a fresh idle window.
                let lifetime = s.expiry.effective(meta.inner.lifetime);
                s.expiry.check_reseal(
                    &lifetime,
                    meta.inner.issued_at,
                    meta.inner.sealed_at,
                    now,
                )?;
                (Some(meta.inner.session_id), meta.inner.issued_at, lifetime)
            }
            Start::New(requested) => (None, now, s.expiry.new_session(&requested)?),
        };
        let sealed_at = now.max(issued_at);
        let expires_at = expiry::expires_at(&lifetime, issued_at, sealed_at);
        // A seal must not produce a cookie that is already due (it would go out as a deletion).
        if let Some(at) = expires_at
            && at <= now
        {
            return Err(Error::Expired { at: from_unix(at) });
        }
        // One draw for the session id (new sessions) and the nonce (encrypted mode): one system
        // call per seal at most.
        let mut random = [0u8; SESSION_ID_LEN + NONCE_LEN];
        let id_len = if session_id.is_some() {
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
        let session_id = session_id.unwrap_or_else(|| {
            let mut id = [0u8; SESSION_ID_LEN];
            id.copy_from_slice(&random[..SESSION_ID_LEN]);
            id
        });
        let mut nonce = [0u8; NONCE_LEN];
        nonce.copy_from_slice(&random[id_len..id_len + NONCE_LEN]);
        let inner = Inner {
            session_id,
            issued_at,
            sealed_at,
            lifetime: Some(lifetime),
            schema,
        };
        let buf = envelope::begin(s.mode, key.id(), &nonce, &inner, data_len);
        Ok(Pending {
            buf,
            cipher,
            metadata: Metadata {
                inner,
                lifetime,
                expires_at,
                past_deadline: false,
                key_id: key.id(),
                mode: s.mode,
                format_version: CURRENT_VERSION,
                reseal: None,
            },
        })
    }

    /// Begins a seal of raw bytes, under the codec's current schema version.
    pub(super) fn begin_bytes<'a>(
        &self,
        keyring: &'a Keyring,
        start: Start<'_>,
        now: u64,
        data: &[u8],
    ) -> Result<Pending<'a>, Error> {
        let mut pending = self.begin(keyring, start, now, self.schemas.current, data.len())?;
        pending.buf.extend_from_slice(data);
        Ok(pending)
    }

    /// Begins a seal of a session value, in the schema version that seals at `now`.
    pub(super) fn begin_value<'a>(
        &self,
        keyring: &'a Keyring,
        start: Start<'_>,
        now: u64,
        value: &T,
    ) -> Result<Pending<'a>, Error>
    where
        T: Serialize,
    {
        match self.schemas.write(value, now)? {
            (schema, Encoded::Current(len)) => {
                let mut pending = self.begin(keyring, start, now, schema, len)?;
                serialize(value, &mut pending.buf)?;
                Ok(pending)
            }
            // An older schema's bytes, serialized up front (during a scheduled switch only).
            (schema, Encoded::Bytes(bytes)) => {
                let mut pending = self.begin(keyring, start, now, schema, bytes.len())?;
                pending.buf.extend_from_slice(&bytes);
                Ok(pending)
            }
        }
    }

    /// Lays the value out in cookies, checks the budget, seals, and renders the lines.
    pub(super) fn finish_cookies(
        &self,
        pending: Pending<'_>,
        request: &RequestCookies<'_>,
        now: u64,
    ) -> Result<SealedCookies, Error> {
        let s = &*self.shared;
        let envelope_len = envelope::finished_len(s.mode, &pending.buf);
        // A browser-session cookie carries no Max-Age; the server still enforces `expires_at`.
        let max_age = match pending.metadata.lifetime.is_persistent() {
            true => pending.metadata.expires_at.map(|at| at.saturating_sub(now)),
            false => None,
        };
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
        let envelope = envelope::finish(
            s.mode,
            pending.buf,
            pending.cipher,
            &s.binding,
            Usage::Cookie,
        )?;
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

    pub(super) fn finish_token(&self, pending: Pending<'_>) -> Result<String, Error> {
        let s = &*self.shared;
        let needed = base64url::encoded_len(envelope::finished_len(s.mode, &pending.buf));
        if needed > s.max_total_bytes {
            return Err(Error::TooLarge {
                needed,
                budget: s.max_total_bytes,
            });
        }
        let envelope = envelope::finish(
            s.mode,
            pending.buf,
            pending.cipher,
            &s.binding,
            Usage::Token,
        )?;
        let mut token = String::with_capacity(needed);
        base64url::encode_to(&envelope, &mut token);
        Ok(token)
    }

    /// One `Set-Cookie` line, allocated once at its exact length: `write_value` appends the
    /// `value_len` bytes of the value.
    pub(super) fn line(
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
}
