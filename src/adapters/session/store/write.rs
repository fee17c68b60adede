//! Writing a stored session: spilling a change that does not fit the cookie budget, leaving
//! the store when a change fits again, sign-out, and the store calls a response makes.

use std::sync::Arc;
use std::time::{Duration, SystemTime};

use serde::Serialize;

use super::StoreKey;
use super::open::{StoreCodecs, entry_digest};
use crate::adapters::session::{LayerPolicy, Session, State, Write, response};
use crate::{Error, Lifetime, Metadata, RequestCookies, SealedCookies};

/// A request's part in the store (layers with a store only).
pub(crate) struct Stored<T> {
    pub(in crate::adapters::session) codecs: Arc<StoreCodecs<T>>,
    /// The request's reference, opened, until the layer loads its entry: key, digest,
    /// metadata.
    pub(in crate::adapters::session) to_load: Option<(StoreKey, [u8; 16], Metadata)>,
    /// The entry the request's reference names (whether or not it loaded): a change retires
    /// it, a sign-out removes it.
    pub(in crate::adapters::session) source: Option<StoreKey>,
    /// The request's reference cookie did not open here but may elsewhere (or conflicts with
    /// the session's cookies): no write of this request deletes it.
    pub(in crate::adapters::session) keep_reference: bool,
    /// A due re-seal's entry could not be saved: nothing is written for the session, and no
    /// further re-seal is tried in this request.
    pub(in crate::adapters::session) reseal_refused: bool,
    /// Deletions of the form the session left (its cookies after a spill, the reference after
    /// a change that fits the cookies again, or the loser of a conflict).
    pub(in crate::adapters::session) lines: Vec<String>,
    pub(in crate::adapters::session) ops: PendingStoreOps,
}

/// The store calls a response makes once the handler is done.
#[derive(Default)]
pub(crate) struct PendingStoreOps {
    /// A new entry (key, sealed text, time to live), saved before the response goes out.
    save: Option<(StoreKey, String, Duration)>,
    /// An entry a change replaced: it expires after the grace period.
    pub(in crate::adapters::session) retire: Option<StoreKey>,
    /// An entry signed out: removed now.
    remove: Option<StoreKey>,
    /// `save` comes from a due re-seal, not from the handler: if it fails, the response goes
    /// out without the session's cookies instead of as a 503.
    pub(in crate::adapters::session) resealing: bool,
}

impl<T> Stored<T> {
    pub(super) fn new(codecs: Arc<StoreCodecs<T>>) -> Self {
        Stored {
            codecs,
            to_load: None,
            source: None,
            keep_reference: false,
            reseal_refused: false,
            lines: Vec::new(),
            ops: PendingStoreOps::default(),
        }
    }

    /// The deletion of the reference cookie, sent with every write that leaves the store
    /// whether or not the request carried one: concurrent responses (one spilled, one not)
    /// then leave the browser with one form of the session, the last applied, as with cookies.
    fn reference_deletion(&self) -> Vec<String> {
        match self.keep_reference {
            true => Vec::new(),
            false => self.codecs.reference_deletion(),
        }
    }

    /// A change that fits the cookies: the reference goes, the entry expires after the grace.
    fn left_store(&mut self) {
        self.ops.save = None;
        self.lines = self.reference_deletion();
        self.ops.retire = self.source.or(self.ops.retire);
    }

    /// A revoked session: the reference goes and the entry expires after the grace period (the
    /// hook refuses the session everywhere anyway, so a store that fails this is no error).
    pub(in crate::adapters::session) fn revoked(&mut self) {
        self.cleared();
        self.ops.retire = self.ops.remove.take();
    }

    /// Sign-out: the reference goes (even one this node cannot read: the user asked) and the
    /// entry is removed now.
    pub(in crate::adapters::session) fn cleared(&mut self) {
        self.ops.save = None;
        self.keep_reference = false;
        self.lines = self.reference_deletion();
        self.ops.remove = self.source.take();
    }
}

/// Counts a store call (feature `metrics`).
fn report(call: &'static str, ok: bool) {
    #[cfg(feature = "metrics")]
    crate::adapters::metrics::store_call(call, if ok { "ok" } else { "error" });
    #[cfg(not(feature = "metrics"))]
    let _ = (call, ok);
}

/// An entry's time to live: until its session's deadline plus the clock-skew allowance (a
/// node whose clock is behind still opens the reference), or `ttl_without_deadline`.
fn time_to_live<T>(codecs: &StoreCodecs<T>, metadata: &Metadata, now: SystemTime) -> Duration {
    match metadata.expires_at() {
        Some(at) => at.duration_since(now).unwrap_or_default() + codecs.entry.expiry().skew(),
        None => codecs.options.ttl_without_deadline,
    }
}

impl<T: Serialize> State<T> {
    /// Seals `value` as the session: in cookies when it fits, otherwise, with a store, as a
    /// new entry and a reference cookie. `fresh`: a new session of that lifetime (sign-in)
    /// instead of continuing the current one.
    pub(in crate::adapters::session) fn seal_session(
        &mut self,
        value: &T,
        fresh: Option<&Lifetime>,
    ) -> Result<SealedCookies, Error> {
        let held = self.held_cookies();
        let request = RequestCookies::from_header(&held);
        let previous = match fresh {
            Some(_) => None,
            None => self.metadata.as_ref(),
        };
        let inline = match fresh {
            Some(lifetime) => self.codec.seal_new(value, lifetime, &request, self.now),
            None => self.codec.seal(value, previous, &request, self.now),
        };
        let Some(stored) = self.stored.as_mut() else {
            return inline;
        };
        match inline {
            Ok(sealed) => {
                stored.left_store();
                Ok(sealed)
            }
            Err(Error::TooLarge { .. }) => {
                let codecs = Arc::clone(&stored.codecs);
                let (entry, metadata) =
                    codecs.entry.seal_entry(value, previous, fresh, self.now)?;
                let key = StoreKey::random()?;
                let reference = (*key.as_bytes(), entry_digest(&entry));
                let sealed = codecs.reference.seal(
                    &reference,
                    Some(&metadata),
                    &RequestCookies::new(),
                    self.now,
                )?;
                let ttl = time_to_live(&codecs, sealed.metadata(), self.now);
                stored.ops.save = Some((key, entry, ttl));
                stored.ops.retire = stored.source.or(stored.ops.retire);
                // The session's cookies go, held or not (see `reference_deletion`).
                stored.lines = self.codec.clear(&request);
                Ok(sealed)
            }
            Err(e) => Err(e),
        }
    }
}

impl<T: Serialize> Session<T> {
    /// Makes the store calls the response needs, before its headers are taken: saves a spilled
    /// change's entry (an error then means the response must not carry the session's cookies:
    /// answer 503), expires the entry a change replaced and removes a signed-out one (failures
    /// of these two are ignored: the entry then lives to its own time to live). Nothing
    /// happens when the response sends no session cookies (a handler that never took the
    /// session, a 5xx).
    pub(crate) async fn save_stored(&self, status: u16, policy: &LayerPolicy) -> Result<(), Error> {
        let taken = {
            let mut state = self.lock();
            if !response::writes_go_out(state.used, status, policy) {
                return Ok(());
            }
            response::flush(&mut state);
            state
                .stored
                .as_mut()
                .map(|stored| (Arc::clone(&stored.codecs), core::mem::take(&mut stored.ops)))
        };
        let Some((codecs, ops)) = taken else {
            return Ok(());
        };
        if let Some((key, entry, ttl)) = &ops.save {
            let saved = codecs.store.save(key, entry, *ttl).await;
            report("save", saved.is_ok());
            if let Err(e) = saved {
                if !ops.resealing {
                    return Err(e.into());
                }
                // A re-seal nobody asked for: the request's cookies stay valid, so the
                // response goes out as the handler made it, without them.
                let mut state = self.lock();
                state.write = Write::Nothing;
                if let Some(stored) = state.stored.as_mut() {
                    stored.lines.clear();
                    stored.reseal_refused = true;
                }
                return Ok(());
            }
        }
        if let Some(key) = &ops.remove {
            // A sign-out the store did not carry out would leave the session in it: 503, so
            // the user can try again, rather than a sign-out that is not one.
            let removed = codecs.store.remove(key).await;
            report("remove", removed.is_ok());
            removed?;
        }
        if let Some(key) = &ops.retire {
            let expired = codecs.store.expire(key, codecs.options.grace).await;
            report("expire", expired.is_ok());
        }
        Ok(())
    }
}
