//! Which key seals, opens or neither at a given moment (the rule is in the module
//! documentation of `keyring`).

use core::fmt;
use std::time::SystemTime;

use super::{Key, KeyId, Keyring};
use crate::crypto::KeyCipher;
use crate::time::to_unix;

/// Where a key stands at a given moment, as [`Keyring::state`] reports it.
///
/// # Example
///
/// ```
/// use std::time::SystemTime;
/// use sealed_session::{Key, KeyId, KeyState, Keyring};
///
/// let ring = Keyring::new([Key::new(KeyId::new(1), [1; 32])])?;
/// assert_eq!(ring.state(KeyId::new(1), SystemTime::now()), Some(KeyState::Primary));
/// # Ok::<(), sealed_session::Error>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum KeyState {
    /// Seals new values now (and opens).
    Primary,
    /// Scheduled: its `not_before` is ahead. Opens already, seals from then on.
    Pending,
    /// Active but superseded by a later primary: opens, and values under it are re-sealed.
    Previous,
    /// Past its `not_after`: neither seals nor opens.
    Retired,
}

impl fmt::Display for KeyState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            KeyState::Primary => "primary",
            KeyState::Pending => "pending",
            KeyState::Previous => "previous",
            KeyState::Retired => "retired",
        })
    }
}

impl Key {
    pub(super) fn opens_at(&self, now: u64) -> bool {
        self.not_after.is_none_or(|na| now < na)
    }

    pub(super) fn seals_at(&self, now: u64) -> bool {
        self.opens_at(now) && self.not_before.is_none_or(|nb| nb <= now)
    }

    pub(super) fn state_at(&self, now: u64, primary: Option<KeyId>) -> KeyState {
        if !self.opens_at(now) {
            KeyState::Retired
        } else if primary == Some(self.id) {
            KeyState::Primary
        } else if self.not_before.is_some_and(|nb| nb > now) {
            KeyState::Pending
        } else {
            KeyState::Previous
        }
    }
}

impl Keyring {
    /// The key that seals at `now`, if any (see the module documentation for the rule).
    ///
    /// # Example
    ///
    /// ```
    /// use std::time::SystemTime;
    /// let ring = sealed_session::Keyring::generate()?;
    /// assert!(ring.primary(SystemTime::now()).is_some());
    /// # Ok::<(), sealed_session::Error>(())
    /// ```
    pub fn primary(&self, now: SystemTime) -> Option<&Key> {
        self.primary_entry(to_unix(now)).map(|(key, _)| key)
    }

    /// The state of key `id` at `now`, or `None` if the ring does not hold it.
    ///
    /// # Example
    ///
    /// ```
    /// use std::time::SystemTime;
    /// use sealed_session::{KeyId, Keyring};
    /// let ring = Keyring::generate()?;
    /// assert_eq!(ring.state(KeyId::new(0xffff_ffff) , SystemTime::now()).is_some(),
    ///            ring.keys().any(|k| k.id() == KeyId::new(0xffff_ffff)));
    /// # Ok::<(), sealed_session::Error>(())
    /// ```
    pub fn state(&self, id: KeyId, now: SystemTime) -> Option<KeyState> {
        let now = to_unix(now);
        let primary = self.primary_entry(now).map(|(key, _)| key.id);
        self.entries
            .iter()
            .find(|e| e.key.id == id)
            .map(|e| e.key.state_at(now, primary))
    }

    pub(crate) fn primary_entry(&self, now: u64) -> Option<(&Key, &KeyCipher)> {
        self.entries
            .iter()
            .filter(|e| e.key.seals_at(now))
            .max_by_key(|e| e.key.not_before)
            .map(|e| (&e.key, &*e.cipher))
    }

    /// Whether a value sealed under `id` should move to the primary: `id` is an older key than
    /// the primary (an earlier `not_before`). A key newer than this node's primary (scheduled,
    /// but already sealing on a node whose clock runs ahead) is not superseded: re-sealing under
    /// the older primary would move the session backwards.
    pub(crate) fn superseded(&self, id: KeyId, now: u64) -> bool {
        let Some((primary, _)) = self.primary_entry(now) else {
            return false;
        };
        self.entries
            .iter()
            .find(|e| e.key.id == id)
            .is_some_and(|e| e.key.id != primary.id && e.key.not_before < primary.not_before)
    }
}
