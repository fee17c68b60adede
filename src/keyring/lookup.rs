//! Finding a key's cipher by id, and the CSRF tags under the keys' CSRF subkeys.

use super::{KeyId, Keyring};
use crate::crypto::KeyCipher;

impl Keyring {
    /// The primary key's id and its CSRF tag over `data` at `now` (`None` without a primary).
    /// The tag is keyed with the key's CSRF subkey, never with its sealing subkeys.
    pub(crate) fn csrf_sign(&self, data: &[u8], now: u64) -> Option<(KeyId, [u8; 32])> {
        self.primary_entry(now)
            .map(|(key, cipher)| (key.id, cipher.csrf_tag(data)))
    }

    /// Whether `tag` is key `id`'s CSRF tag over `data`, for a key the ring holds and that is
    /// not past `not_after` at `now` (the keys that open values): a token outlives a rotation
    /// for as long as its key stays in the ring. Compared in constant time.
    pub(crate) fn csrf_verify(&self, id: KeyId, data: &[u8], tag: &[u8], now: u64) -> bool {
        self.opener(id, now)
            .is_some_and(|cipher| cipher.csrf_verify(data, tag))
    }

    /// Whether the keyring holds a key with this id, whatever its state.
    pub(crate) fn holds(&self, id: KeyId) -> bool {
        self.entries.iter().any(|e| e.key.id == id)
    }

    /// The cipher for `id` if the ring holds it and it is not past `not_after`. Ids are public;
    /// the scan compares them in constant time anyway and is bounded by [`MAX_KEYS`](super::MAX_KEYS).
    pub(crate) fn opener(&self, id: KeyId, now: u64) -> Option<&KeyCipher> {
        self.entries
            .iter()
            .find(|e| e.key.id == id && e.key.opens_at(now))
            .map(|e| &*e.cipher)
    }
}
