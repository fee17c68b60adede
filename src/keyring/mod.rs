//! Keys, key ids and the keyring a node holds.
//!
//! Which key seals is a pure function of the keyring and `now`: the *primary* is the key with
//! the latest `not_before` that has passed (a key without `not_before` counts as active since the
//! beginning of time) and whose `not_after` has not. Because it depends only on the set of keys
//! and the clock, never on the order the keys are listed in, every node holding the same keyring
//! switches to a new key at the same moment, and a switch can be scheduled in advance. Two keys
//! with the same `not_before` would make the choice ambiguous, so a keyring refuses them.
//!
//! Every key in the ring opens values (including keys whose `not_before` is still ahead: a node
//! with a faster clock may already seal with them); a key past its `not_after` opens nothing.
//!
//! Files: `key_id.rs` (ids), `key.rs` (a key and its boxed secret), `entries.rs` (the ring's
//! entries and how they are built), `schedule.rs` (which key seals or opens when), `lookup.rs`
//! (a cipher by id, CSRF tags), `text.rs` (the one-line text form).

mod entries;
mod key;
mod key_id;
mod lookup;
mod schedule;
mod text;

pub use entries::Keyring;
pub use key::Key;
pub use key_id::KeyId;
pub use schedule::KeyState;
pub use text::MAX_KEYRING_TEXT_LEN;

/// Length in bytes of every key secret.
pub const KEY_LEN: usize = 32;

/// The most keys one keyring holds. Opening scans the ids, so this also bounds that work.
pub const MAX_KEYS: usize = 16;

/// Minimum length of a master secret passed to [`Key::derive`].
pub const MIN_MASTER_LEN: usize = 32;
