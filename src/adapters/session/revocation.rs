//! Revocation: sessions refused before their deadline ("sign out everywhere", a stolen laptop).
//!
//! A sealed session is a bearer value that opens on any node until it expires, so revoking one
//! early takes state. The layers consult a [`Revocation`] hook after every open (the core does no
//! I/O: the hook is the app's), and treat a revoked session as none, deleting its cookies. Two
//! rules come built in, each bounded in memory: [`RevocationList`] (these session ids, each until
//! its own deadline) and [`ValidAfter`] (every session of a subject issued before a time).

use std::collections::HashMap;
use std::sync::{PoisonError, RwLock};
use std::time::{Duration, SystemTime};

use crate::{Error, Metadata, SessionId};

/// Decides, after a session opened, whether it was revoked. Implement it over your own store
/// (a database table, a cache), or use [`RevocationList`] and [`ValidAfter`].
///
/// Called on every request that carries a session, so it must be fast and must not block on
/// the network: keep a local copy and refresh it in the background.
///
/// # Example
///
/// ```
/// use sealed_session::{Metadata, Revocation};
///
/// /// Users banned by the app: their sessions stop opening at once.
/// struct Banned(Vec<u64>);
///
/// impl Revocation<u64> for Banned {
///     fn is_revoked(&self, _metadata: &Metadata, user_id: &u64) -> bool {
///         self.0.contains(user_id)
///     }
/// }
/// ```
pub trait Revocation<T>: Send + Sync {
    /// Whether the session (its metadata and value, both authenticated) is revoked.
    fn is_revoked(&self, metadata: &Metadata, session: &T) -> bool;
}

/// A bounded in-memory list of revoked session ids. Each entry is kept only until no copy of
/// that session can open any more (its deadline, or the idle timeout after the revocation when
/// another copy may have been refreshed, never past the absolute deadline) and pruned
/// automatically, so the list holds at most the revocations of one session lifetime. Shared between layers and
/// handlers through an `Arc`; reads take a read lock.
///
/// # Example
///
/// ```
/// use std::sync::Arc;
/// use std::time::SystemTime;
/// use sealed_session::{Codec, Keyring, RequestCookies, Revocation, RevocationList};
///
/// let codec = Codec::<u32>::builder(Keyring::generate()?).build()?;
/// let now = SystemTime::now();
/// let sealed = codec.seal(&7, None, &RequestCookies::new(), now)?;
/// let list = Arc::new(RevocationList::new(10_000));
/// list.revoke(sealed.metadata(), now)?;
/// assert!(list.is_revoked(sealed.metadata(), &7));
/// # Ok::<(), sealed_session::Error>(())
/// ```
#[derive(Debug)]
pub struct RevocationList {
    capacity: usize,
    /// Session id -> Unix second after which the entry can go (`u64::MAX`: the session has no
    /// deadline, so the entry stays until the list is pruned by `forget`).
    entries: RwLock<HashMap<SessionId, u64>>,
}

impl RevocationList {
    /// A list holding at most `capacity` revocations at once.
    ///
    /// # Example
    ///
    /// ```
    /// let list = sealed_session::RevocationList::new(1000);
    /// assert_eq!(list.len(), 0);
    /// ```
    pub fn new(capacity: usize) -> Self {
        RevocationList {
            capacity,
            entries: RwLock::new(HashMap::new()),
        }
    }

    /// Revokes the session `metadata` describes, until no copy of it can open any more (its
    /// deadline, or later when an idle refresh may have given another copy a later one: at most
    /// `now` plus the idle timeout, capped by the absolute deadline). Expired entries are pruned
    /// first; fails with [`Error::RevocationListFull`] when the list still holds `capacity`
    /// live revocations (nothing is evicted early: that would bring a revoked session back).
    ///
    /// # Example
    ///
    /// ```
    /// # use std::time::SystemTime;
    /// # use sealed_session::{Codec, Error, Keyring, RequestCookies, RevocationList};
    /// # let codec = Codec::<u32>::builder(Keyring::generate()?).build()?;
    /// let now = SystemTime::now();
    /// let list = RevocationList::new(1);
    /// let a = codec.seal(&1, None, &RequestCookies::new(), now)?;
    /// let b = codec.seal(&2, None, &RequestCookies::new(), now)?;
    /// list.revoke(a.metadata(), now)?;
    /// assert_eq!(list.revoke(b.metadata(), now), Err(Error::RevocationListFull { capacity: 1 }));
    /// # Ok::<(), sealed_session::Error>(())
    /// ```
    pub fn revoke(&self, metadata: &Metadata, now: SystemTime) -> Result<(), Error> {
        let until = retention(metadata, now).map_or(u64::MAX, unix);
        let mut entries = self.entries.write().unwrap_or_else(PoisonError::into_inner);
        if !entries.contains_key(&metadata.session_id()) && entries.len() >= self.capacity {
            prune(&mut entries, now);
            if entries.len() >= self.capacity {
                return Err(Error::RevocationListFull {
                    capacity: self.capacity,
                });
            }
        }
        entries.insert(metadata.session_id(), until);
        Ok(())
    }

    /// Drops the entries whose sessions have expired by `now`.
    ///
    /// # Example
    ///
    /// ```
    /// # use std::time::{Duration, SystemTime};
    /// # use sealed_session::{Codec, Keyring, RequestCookies, RevocationList};
    /// # let codec = Codec::<u32>::builder(Keyring::generate()?).build()?;
    /// let now = SystemTime::now();
    /// let list = RevocationList::new(10);
    /// list.revoke(codec.seal(&1, None, &RequestCookies::new(), now)?.metadata(), now)?;
    /// list.prune(now + Duration::from_secs(3 * 86400));
    /// assert_eq!(list.len(), 0);
    /// # Ok::<(), sealed_session::Error>(())
    /// ```
    pub fn prune(&self, now: SystemTime) {
        prune(
            &mut self.entries.write().unwrap_or_else(PoisonError::into_inner),
            now,
        );
    }

    /// How many revocations the list holds.
    ///
    /// # Example
    ///
    /// ```
    /// assert_eq!(sealed_session::RevocationList::new(5).len(), 0);
    /// ```
    pub fn len(&self) -> usize {
        self.entries
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .len()
    }

    /// Whether the list holds no revocation.
    ///
    /// # Example
    ///
    /// ```
    /// assert!(sealed_session::RevocationList::new(5).is_empty());
    /// ```
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

fn prune(entries: &mut HashMap<SessionId, u64>, now: SystemTime) {
    let now = unix(now);
    entries.retain(|_, until| *until > now);
}

impl<T> Revocation<T> for RevocationList {
    fn is_revoked(&self, metadata: &Metadata, _session: &T) -> bool {
        self.entries
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .contains_key(&metadata.session_id())
    }
}

type SubjectOf<T> = Box<dyn Fn(&T) -> Option<String> + Send + Sync>;

/// "Sign out of all devices": every session of a subject (a user id, an account) issued before
/// a time is refused. `subject` reads the subject from the session value; anonymous sessions
/// (`None`) are never refused. Each entry is kept for `max_lifetime` (the longest absolute
/// lifetime any session may have), after which every session it refuses has expired anyway,
/// so the map holds at most the subjects signed out within one lifetime, bounded by
/// `capacity`.
///
/// # Example
///
/// ```
/// use std::time::{Duration, SystemTime};
/// use sealed_session::{Codec, Keyring, RequestCookies, Revocation, ValidAfter};
///
/// let codec = Codec::<String>::builder(Keyring::generate()?).build()?;
/// let now = SystemTime::now();
/// let laptop = codec.seal(&"alice".to_owned(), None, &RequestCookies::new(), now)?;
/// let rule = ValidAfter::new(|user: &String| Some(user.clone()), Duration::from_secs(86400), 10_000);
/// rule.revoke_all("alice", now + Duration::from_secs(1))?;
/// assert!(rule.is_revoked(laptop.metadata(), &"alice".to_owned()));
/// let phone = codec.seal(&"alice".to_owned(), None, &RequestCookies::new(), now + Duration::from_secs(2))?;
/// assert!(!rule.is_revoked(phone.metadata(), &"alice".to_owned()));
/// # Ok::<(), sealed_session::Error>(())
/// ```
pub struct ValidAfter<T> {
    subject: SubjectOf<T>,
    max_lifetime: Duration,
    capacity: usize,
    /// Subject -> (sessions issued before this Unix second are refused).
    cutoffs: RwLock<HashMap<String, u64>>,
}

impl<T> core::fmt::Debug for ValidAfter<T> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("ValidAfter")
            .field("max_lifetime", &self.max_lifetime)
            .field("capacity", &self.capacity)
            .field("subjects", &self.len())
            .finish_non_exhaustive()
    }
}

impl<T> ValidAfter<T> {
    /// A rule reading each session's subject with `subject`, keeping each sign-out for
    /// `max_lifetime`, and holding at most `capacity` subjects.
    ///
    /// # Example
    ///
    /// ```
    /// use std::time::Duration;
    /// let rule = sealed_session::ValidAfter::new(|id: &u64| Some(id.to_string()), Duration::from_secs(86400), 1000);
    /// assert_eq!(rule.len(), 0);
    /// ```
    pub fn new(
        subject: impl Fn(&T) -> Option<String> + Send + Sync + 'static,
        max_lifetime: Duration,
        capacity: usize,
    ) -> Self {
        ValidAfter {
            subject: Box::new(subject),
            max_lifetime,
            capacity,
            cutoffs: RwLock::new(HashMap::new()),
        }
    }

    /// Refuses every session of `subject` issued before `at` (usually now), or in the same
    /// whole second: session times are whole seconds, so a session issued in that second may
    /// predate the call and is refused too (a sign-in in that second is refused with it). Entries older than
    /// `max_lifetime` are pruned first; fails with [`Error::RevocationListFull`] when
    /// `capacity` subjects are still held.
    ///
    /// # Example
    ///
    /// ```
    /// use std::time::{Duration, SystemTime};
    /// let rule = sealed_session::ValidAfter::new(|id: &u64| Some(id.to_string()), Duration::from_secs(60), 1);
    /// rule.revoke_all("42", SystemTime::now())?;
    /// assert_eq!(rule.len(), 1);
    /// # Ok::<(), sealed_session::Error>(())
    /// ```
    pub fn revoke_all(&self, subject: &str, at: SystemTime) -> Result<(), Error> {
        let mut cutoffs = self.cutoffs.write().unwrap_or_else(PoisonError::into_inner);
        if !cutoffs.contains_key(subject) && cutoffs.len() >= self.capacity {
            let oldest_kept = unix(at).saturating_sub(self.max_lifetime.as_secs());
            cutoffs.retain(|_, cutoff| *cutoff > oldest_kept);
            if cutoffs.len() >= self.capacity {
                return Err(Error::RevocationListFull {
                    capacity: self.capacity,
                });
            }
        }
        let cutoff = cutoffs.entry(subject.to_owned()).or_insert(0);
        *cutoff = (*cutoff).max(unix(at));
        Ok(())
    }

    /// How many subjects the rule holds.
    ///
    /// # Example
    ///
    /// ```
    /// use std::time::Duration;
    /// let rule = sealed_session::ValidAfter::new(|_: &u8| None, Duration::from_secs(1), 1);
    /// assert_eq!(rule.len(), 0);
    /// ```
    pub fn len(&self) -> usize {
        self.cutoffs
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .len()
    }

    /// Whether the rule holds no subject.
    ///
    /// # Example
    ///
    /// ```
    /// use std::time::Duration;
    /// assert!(sealed_session::ValidAfter::new(|_: &u8| None, Duration::from_secs(1), 1).is_empty());
    /// ```
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

impl<T: 'static> Revocation<T> for ValidAfter<T> {
    fn is_revoked(&self, metadata: &Metadata, session: &T) -> bool {
        let Some(subject) = (self.subject)(session) else {
            return false;
        };
        let cutoffs = self.cutoffs.read().unwrap_or_else(PoisonError::into_inner);
        cutoffs
            .get(&subject)
            // Whole seconds: a session issued in the very second of the sign-out is refused
            // too (it may predate it), so `revoke_all(subject, now)` covers the caller's own.
            .is_some_and(|&cutoff| unix(metadata.issued_at()) <= cutoff)
    }
}

/// Until when a revocation of the session `metadata` describes, made at `now`, must be kept:
/// until no copy of that session can open any more (`None`: never). Another copy (another tab,
/// a response applied out of order, a stolen cookie) may have been re-sealed for an idle
/// refresh before `now`, with a later deadline than this one's; but every copy sealed before
/// `now` ends by `now` plus the idle timeout, none is refreshed after `now` (it is refused),
/// and none outlives the absolute deadline.
pub(crate) fn retention(metadata: &Metadata, now: SystemTime) -> Option<SystemTime> {
    let own = metadata.expires_at()?;
    let lifetime = metadata.lifetime();
    let Some(idle) = lifetime.idle_timeout() else {
        // Without idle refreshes every copy carries the same deadline.
        return Some(own);
    };
    let refreshed = now.checked_add(idle)?;
    let latest = match lifetime.absolute_lifetime() {
        Some(absolute) => refreshed.min(metadata.issued_at().checked_add(absolute)?),
        None => refreshed,
    };
    Some(own.max(latest))
}

fn unix(t: SystemTime) -> u64 {
    t.duration_since(SystemTime::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}
