//! Reading a stored session: the reference cookie (opened with the session's cookies, before
//! the handler) and its entry (loaded from the store, one round trip, before the handler).

use std::sync::Arc;
use std::time::SystemTime;

use serde::de::DeserializeOwned;
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

use super::write::Stored;
use super::{SessionStore, StoreKey, StoreOptions};
use crate::adapters::session::{Revocation, Session, State, Write};
use crate::{ChunkError, Codec, Error, Metadata, RequestCookies};

/// What a reference cookie holds: the entry's key and the first 16 bytes of the SHA-256 of the
/// entry's text, which binds the reference to exactly one version of one entry.
pub(crate) type Reference = ([u8; 16], [u8; 16]);

/// The smallest total budget of a reference cookie.
const REFERENCE_MIN_BUDGET: usize = 512;

/// The codecs and the store of a layer with a store, built once per layer.
pub(crate) struct StoreCodecs<T> {
    /// The reference cookie's: `<cookie name>-store`, purpose `<purpose>/store-ref`, and the
    /// session's keyring, mode, attributes, budgets and expiry (a reference lives exactly as
    /// long as its session).
    pub(crate) reference: Codec<Reference>,
    /// The entries': tokens of the session type ([`Codec::for_store_entries`]).
    pub(crate) entry: Codec<T>,
    pub(crate) store: Arc<dyn SessionStore>,
    pub(crate) options: StoreOptions,
}

impl<T> StoreCodecs<T> {
    /// The `Set-Cookie` line that deletes the reference cookie (it is never chunked).
    pub(super) fn reference_deletion(&self) -> Vec<String> {
        self.reference.clear(&RequestCookies::new())
    }

    pub(crate) fn new(
        session: &Codec<T>,
        store: Arc<dyn SessionStore>,
        options: StoreOptions,
    ) -> Result<Self, Error> {
        options.validate()?;
        let reference = Codec::builder(session.live_keyring().clone())
            .cookie_name(&format!("{}-store", session.cookie_name()))
            .purpose(&format!("{}/store-ref", session.purpose()))
            .mode(session.mode())
            .attributes(session.attributes().clone())
            .max_cookie_bytes(session.max_cookie_bytes())
            // A reference is small (about 180 bytes with its attributes) and must fit whatever
            // the session's budget: a budget too small for the session may still be set.
            .max_total_bytes(session.max_total_bytes().max(REFERENCE_MIN_BUDGET))
            .expiry(*session.expiry())
            .build()?;
        Ok(StoreCodecs {
            reference,
            entry: session.for_store_entries(options.max_entry_bytes)?,
            store,
            options,
        })
    }
}

/// The digest a reference holds of its entry.
pub(super) fn entry_digest(entry: &str) -> [u8; 16] {
    let full = Sha256::digest(entry.as_bytes());
    let mut digest = [0u8; 16];
    digest.copy_from_slice(&full[..16]);
    digest
}

impl<T> State<T> {
    /// Opens the request's reference cookie, if any, and decides between it and the session
    /// cookies: the request may carry both after concurrent responses (one spilled, one
    /// stayed in cookies); the later seal wins and the response deletes the other.
    pub(in crate::adapters::session) fn open_reference(
        &mut self,
        codecs: &Arc<StoreCodecs<T>>,
        request: &RequestCookies<'_>,
    ) {
        let mut stored = Stored::new(Arc::clone(codecs));
        let opened = codecs.reference.open(request, self.now);
        let inline_dead = self.open_error.as_ref().is_none_or(Error::cookies_are_dead);
        match opened {
            Ok(None) => {}
            // Ended here (opened through the skew allowance only): as for the session's cookies.
            Ok(Some(reference)) if reference.metadata.past_deadline() => {}
            Ok(Some(reference)) => {
                let key = StoreKey::from_bytes(reference.session.0);
                // Sign-out removes this entry whatever its load gives.
                stored.source = Some(key);
                match &self.metadata {
                    // Two sessions at once: no response of this layer leaves that (every write
                    // deletes the other form), so one was planted. As for duplicate chunk
                    // cookies: no session, nothing deleted, writes refused.
                    Some(inline) if inline.session_id() != reference.metadata.session_id() => {
                        self.value = None;
                        self.metadata = None;
                        self.open_error = Some(Error::Chunks(ChunkError::Duplicate { index: 0 }));
                        stored.keep_reference = true;
                    }
                    Some(inline) if inline.sealed_at() >= reference.metadata.sealed_at() => {
                        stored.lines = codecs.reference_deletion();
                        stored.ops.retire = stored.source.take();
                    }
                    _ if self.value.is_some() || inline_dead => {
                        // The reference is the session: the session's own cookies go.
                        if !self.held.is_empty() {
                            stored.lines = self
                                .codec
                                .clear(&RequestCookies::from_header(&self.held_cookies()));
                        }
                        self.value = None;
                        self.metadata = None;
                        self.open_error = None;
                        stored.to_load = Some((key, reference.session.1, reference.metadata));
                    }
                    // The session's cookies did not open here but may elsewhere: they stand,
                    // and writes over them stay refused.
                    _ => stored.keep_reference = true,
                }
            }
            Err(e) => {
                if e.cookies_are_dead() {
                    stored.lines = codecs.reference_deletion();
                } else {
                    // Another node may read it: no write of this one deletes it.
                    stored.keep_reference = true;
                }
                if self.value.is_none() && inline_dead && self.open_error.is_none() {
                    self.open_error = Some(e);
                }
            }
        }
        self.stored = Some(stored);
    }
}

impl<T: DeserializeOwned + 'static> Session<T> {
    /// Loads the entry of the request's reference cookie (one store round trip), then consults
    /// the revocation hook; the layers await this before the handler runs.
    pub(crate) async fn load_stored(&self, revocation: Option<&dyn Revocation<T>>) {
        let pending = {
            let mut state = self.lock();
            let now = state.now;
            state.stored.as_mut().and_then(|stored| {
                let found = stored.to_load.take()?;
                Some((found, Arc::clone(&stored.codecs), now))
            })
        };
        // A session in cookies (or none) has nothing to load; the hook has its say either way.
        if let Some(((key, digest, metadata), codecs, now)) = pending {
            let loaded = codecs.store.load(&key).await;
            #[cfg(feature = "metrics")]
            crate::adapters::metrics::store_call(
                "load",
                match &loaded {
                    Ok(Some(_)) => "ok",
                    Ok(None) => "missing",
                    Err(_) => "error",
                },
            );
            let outcome = match loaded {
                Err(e) => Err(Error::from(e)),
                Ok(None) => Err(Error::StoreEntryMissing),
                Ok(Some(entry)) => open_entry(&codecs, &entry, &digest, &metadata, now),
            };
            let mut state = self.lock();
            match outcome {
                Ok(value) => {
                    state.value = Some(value);
                    state.metadata = Some(metadata);
                }
                // Gone (expired, signed out, lost): no session. The reference is not deleted:
                // a request that arrives late with an old reference must not delete the newer
                // one the browser may hold by now; a write replaces it anyway.
                Err(Error::StoreEntryMissing) => {
                    state.write = Write::Cleared(Vec::new());
                    state.open_error = Some(Error::StoreEntryMissing);
                }
                Err(e) => {
                    if e.cookies_are_dead() {
                        // Altered or swapped: no node will open it, the reference goes.
                        let mut lines = codecs.reference_deletion();
                        if let Some(stored) = state.stored.as_mut() {
                            lines.append(&mut stored.lines);
                        }
                        state.write = Write::Cleared(lines);
                    }
                    state.open_error = Some(e);
                }
            }
        }
        if let Some(revocation) = revocation {
            self.apply_revocation(revocation);
        }
    }
}

/// Opens an entry against its reference: the digest, the seal, and the session id.
fn open_entry<T: DeserializeOwned>(
    codecs: &StoreCodecs<T>,
    entry: &str,
    digest: &[u8; 16],
    reference: &Metadata,
    now: SystemTime,
) -> Result<T, Error> {
    // Bounded before anything is computed over it (a store could hand back anything).
    let budget = codecs.entry.max_total_bytes();
    if entry.len() > budget {
        return Err(Error::TooLarge {
            needed: entry.len(),
            budget,
        });
    }
    // Another entry, or another version of this one, is as good as forged.
    if !bool::from(entry_digest(entry).ct_eq(digest)) {
        return Err(Error::Authentication);
    }
    let opened = codecs.entry.open_token(entry, now)?;
    if opened.metadata.session_id() != reference.session_id() {
        return Err(Error::Authentication);
    }
    Ok(opened.session)
}
