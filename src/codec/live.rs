//! The keyring a running codec seals and opens with, replaceable without a restart.
//!
//! Secrets arrive as files that are replaced in place (a Kubernetes Secret, Vault Agent,
//! systemd credentials), so a codec's keyring must change while requests are served. Seals and
//! opens read the keyring on every call, so the read takes no lock: the keyring sits in an
//! [`arc_swap::ArcSwap`], whose `load` is a thread-local debt slot and an atomic read, with no
//! write to a shared cache line in the common case (a `RwLock` would make every seal and open
//! write the lock's reader count, one cache line shared by every core). A replacement builds
//! the new keyring aside and swaps one pointer; a seal or open that loaded the old keyring
//! finishes with it, and the old keyring is dropped (its keys wiped) when the last one ends.
//! Replacements are rare and serialized by a mutex that the hot path never touches.
//!
//! A replacement is checked first: it must keep every key that seals now, here or on a node
//! whose clock is up to the clock-skew allowance ahead or behind, with the same secret and not
//! retired, and it must leave a key that seals now; no key may change its secret under the same
//! id. What the rules protect is spelled out on [`LiveKeyring::replace`].

use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime};

use arc_swap::{ArcSwap, Guard};
use subtle::ConstantTimeEq;

use crate::error::Error;
use crate::keyring::Keyring;
use crate::time::to_unix;

/// A keyring that codecs share and that can be replaced while they run.
///
/// Every [`Codec`](crate::Codec) holds one: [`Codec::builder`](crate::Codec::builder) takes a
/// [`Keyring`] (a live keyring of its own) or a `LiveKeyring` (shared: one replacement reaches
/// every codec built from it, such as a session codec and a token codec of one app). Clones of
/// a `LiveKeyring` and of a codec share the same keyring. Seals and opens load it without a
/// lock; [`replace`](Self::replace) swaps it atomically after checking that the new keyring
/// keeps the keys that seal now.
///
/// # Example
///
/// ```
/// use std::time::{Duration, SystemTime};
/// use sealed_session::{Codec, Key, KeyId, Keyring, LiveKeyring};
///
/// let now = SystemTime::UNIX_EPOCH + Duration::from_secs(1_800_000_000);
/// let old = Key::new(KeyId::new(1), [1; 32]);
/// let live = LiveKeyring::new(Keyring::new([old.clone()])?);
/// let sessions = Codec::<u32>::builder(live.clone()).build()?;
/// let tokens = Codec::<u32>::builder(live.clone()).purpose("api").build()?;
///
/// // Roll out key 2, sealing from an hour on: both codecs see it at once.
/// let new = Key::new(KeyId::new(2), [2; 32]).with_not_before(now + Duration::from_secs(3600));
/// live.replace(Keyring::new([old, new])?, now, Duration::from_secs(60))?;
/// assert_eq!(sessions.keyring().keys().count(), 2);
/// assert_eq!(tokens.keyring().keys().count(), 2);
/// # Ok::<(), sealed_session::Error>(())
/// ```
#[derive(Clone)]
pub struct LiveKeyring {
    inner: Arc<Inner>,
}

struct Inner {
    current: ArcSwap<Keyring>,
    /// Serializes replacements, so each one is checked against the keyring it replaces.
    replacing: Mutex<()>,
}

impl LiveKeyring {
    /// A live keyring holding `keyring`.
    ///
    /// # Example
    ///
    /// ```
    /// use sealed_session::{Keyring, LiveKeyring};
    /// let live = LiveKeyring::new(Keyring::generate()?);
    /// assert_eq!(live.load().keys().count(), 1);
    /// # Ok::<(), sealed_session::Error>(())
    /// ```
    pub fn new(keyring: Keyring) -> Self {
        LiveKeyring {
            inner: Arc::new(Inner {
                current: ArcSwap::from_pointee(keyring),
                replacing: Mutex::new(()),
            }),
        }
    }

    /// The keyring now. A later replacement does not change the returned one: keep it for
    /// one operation, not for good.
    ///
    /// # Example
    ///
    /// ```
    /// use sealed_session::{Keyring, LiveKeyring};
    /// let ring = Keyring::generate()?;
    /// let live = LiveKeyring::new(ring.clone());
    /// assert_eq!(*live.load(), ring);
    /// # Ok::<(), sealed_session::Error>(())
    /// ```
    pub fn load(&self) -> Arc<Keyring> {
        self.inner.current.load_full()
    }

    /// The hot path's read: no reference count touched in the common case.
    pub(crate) fn guard(&self) -> Guard<Arc<Keyring>> {
        self.inner.current.load()
    }

    /// Replaces the keyring with `keyring`, atomically, if the change is safe at `now` for a
    /// cluster whose clocks differ by up to `skew` (a codec's [`Expiry::skew`]); otherwise
    /// returns the reason and keeps the keyring it has. Seals and opens already running finish
    /// with the old keyring; the next ones use the new one, in every codec sharing it.
    ///
    /// Refused (the errors name key ids only, never a secret):
    ///
    /// * [`Error::SealingKeyDropped`]: the new keyring drops, or retires by `now`, a key that
    ///   seals at `now - skew`, `now` or `now + skew`. Values sealed under it (here, or on a
    ///   node whose clock runs behind or ahead) would stop opening and be deleted as retired or
    ///   left unreadable. This covers a scheduled switch: before a key's `not_before` the old
    ///   key still seals and must stay; from `not_before - skew` on, the new key may already
    ///   seal on a node with a fast clock, so it must stay too; the old key can go once
    ///   `not_before + skew` has passed (retiring it later than that, as the rotation recipe
    ///   does, is always accepted).
    /// * [`Error::KeySecretChanged`]: a key id both keyrings hold has another secret in the
    ///   new one. Values under it would fail authentication, which every node treats as
    ///   tampering (deleted: a sign-out). A new key needs a new id.
    /// * [`Error::NoSealingKey`]: no key of the new keyring seals at `now`.
    ///
    /// Accepted, among others: a straggler's late update whose scheduled key is already past
    /// its `not_before` (the new key seals at once, as it does on the other nodes), and the
    /// same keyring again (a no-op).
    ///
    /// [`Expiry::skew`]: crate::Expiry::skew
    ///
    /// # Example
    ///
    /// ```
    /// use std::time::{Duration, SystemTime};
    /// use sealed_session::{Error, Key, KeyId, Keyring, LiveKeyring};
    ///
    /// let now = SystemTime::UNIX_EPOCH + Duration::from_secs(1_800_000_000);
    /// let skew = Duration::from_secs(60);
    /// let live = LiveKeyring::new(Keyring::new([Key::new(KeyId::new(1), [1; 32])])?);
    ///
    /// // Dropping the key that seals now is refused, and the keyring stays.
    /// let other = Keyring::new([Key::new(KeyId::new(2), [2; 32])])?;
    /// assert_eq!(
    ///     live.replace(other, now, skew),
    ///     Err(Error::SealingKeyDropped { key_id: KeyId::new(1) })
    /// );
    /// assert_eq!(live.load().keys().next().map(|k| k.id()), Some(KeyId::new(1)));
    /// # Ok::<(), sealed_session::Error>(())
    /// ```
    pub fn replace(&self, keyring: Keyring, now: SystemTime, skew: Duration) -> Result<(), Error> {
        // A poisoned lock only means another replacement panicked before swapping: the keyring
        // it guards is still whole, so carry on.
        let _writer = self
            .inner
            .replacing
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        let current = self.inner.current.load_full();
        check_replacement(&current, &keyring, to_unix(now), skew.as_secs())?;
        self.inner.current.store(Arc::new(keyring));
        Ok(())
    }
}

impl From<Keyring> for LiveKeyring {
    fn from(keyring: Keyring) -> Self {
        LiveKeyring::new(keyring)
    }
}

impl core::fmt::Debug for LiveKeyring {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        core::fmt::Debug::fmt(&**self.inner.current.load(), f)
    }
}

/// A fixed message whose CSRF-subkey tag stands for a key's secret: equal tags, equal secrets
/// (HMAC under keys derived from the secret), compared in constant time, with no copy of the
/// secret made for the comparison.
const PROBE: &[u8] = b"sealed-session keyring replacement: same secret?";

fn check_replacement(old: &Keyring, new: &Keyring, now: u64, skew: u64) -> Result<(), Error> {
    // Same id, other secret: checked for every key both hold, whatever its state.
    for key in old.keys() {
        let id = key.id();
        if !new.holds(id) {
            continue;
        }
        if let (Some(a), Some(b)) = (old.opener(id, 0), new.opener(id, 0)) {
            let same: bool = a.csrf_tag(PROBE)[..].ct_eq(&b.csrf_tag(PROBE)[..]).into();
            if !same {
                return Err(Error::KeySecretChanged { key_id: id });
            }
        }
    }
    for at in [now.saturating_sub(skew), now, now.saturating_add(skew)] {
        let Some((key, _)) = old.primary_entry(at) else {
            continue;
        };
        if new.opener(key.id(), now).is_none() {
            return Err(Error::SealingKeyDropped { key_id: key.id() });
        }
    }
    if new.primary_entry(now).is_none() {
        return Err(Error::NoSealingKey);
    }
    Ok(())
}
