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

/// Tests that kill mutants the rest of the suite lets live (MUTANTS.md): the CSRF tags serve
/// only the adapters' layers, whose tests are not in the core's selection.
#[cfg(test)]
mod mutant_kills {
    use crate::keyring::{Key, KeyId, Keyring};

    /// Kills `Keyring::csrf_sign` replaced with `None` (line 10), `Keyring::csrf_verify`
    /// replaced with `true` (line 18), and in src/crypto.rs `KeyCipher::csrf_tag` replaced
    /// with `[0; MAC_TAG_LEN]` and `[1; MAC_TAG_LEN]` (line 124) and `KeyCipher::csrf_verify`
    /// replaced with `true` and `false` (line 129).
    #[test]
    fn csrf_tags_are_the_primary_keys_and_verify_only_for_their_data() {
        let now = 1_800_000_000;
        let ring = Keyring::new([
            Key::new(KeyId::new(1), [0x11; 32]),
            Key::new(KeyId::new(2), [0x22; 32])
                .with_not_before(std::time::UNIX_EPOCH + std::time::Duration::from_secs(now - 10)),
        ])
        .unwrap();
        let (id, tag) = ring.csrf_sign(b"form", now).expect("a primary");
        assert_eq!(id, KeyId::new(2));
        assert!(tag != [0; 32] && tag != [1; 32]);
        assert_ne!(ring.csrf_sign(b"other", now).unwrap().1, tag);
        assert!(ring.csrf_verify(id, b"form", &tag, now));
        assert!(!ring.csrf_verify(id, b"other", &tag, now));
        assert!(!ring.csrf_verify(KeyId::new(1), b"form", &tag, now));
        assert!(!ring.csrf_verify(KeyId::new(3), b"form", &tag, now));
    }
}
