//! Tests that kill mutants of `src/session.rs` the rest of the suite let live (MUTANTS.md,
//! "Killed by a new test"). Each names the mutant it fails on.

use std::collections::hash_map::DefaultHasher;
use std::hash::{Hash, Hasher};

use sealed_session::SessionId;

/// Kills `<impl PartialEq for SessionId>::eq` replaced with `true` (line 56), and the `Hash`
/// impl replaced with `()` (line 62): ids differing in any one byte are different ids.
#[test]
fn session_ids_equal_and_hash_by_all_their_bytes() {
    let hash = |id: &SessionId| {
        let mut h = DefaultHasher::new();
        id.hash(&mut h);
        h.finish()
    };
    let a = SessionId::from_bytes([1; 16]);
    assert_eq!(a, SessionId::from_bytes([1; 16]));
    for i in 0..16 {
        let mut bytes = [1; 16];
        bytes[i] = 2;
        let b = SessionId::from_bytes(bytes);
        assert_ne!(a, b, "byte {i}");
        assert_ne!(hash(&a), hash(&b), "byte {i}");
    }
    assert_eq!(hash(&a), hash(&SessionId::from_bytes([1; 16])));
}

/// Kills `Metadata::reseal_due -> bool` replaced with `true` (line 362): a value just sealed
/// is not due for a re-seal (only the doctest asked).
#[test]
fn a_fresh_seal_is_not_due_for_a_reseal() {
    use sealed_session::{Codec, Key, KeyId, Keyring, RequestCookies};
    let now = std::time::UNIX_EPOCH + std::time::Duration::from_secs(1_800_000_000);
    let keyring = Keyring::new([Key::new(KeyId::new(1), [0x11; 32])]).unwrap();
    let codec: Codec<u32> = Codec::builder(keyring).build().unwrap();
    let sealed = codec.seal(&7, None, &RequestCookies::new(), now).unwrap();
    assert!(!sealed.metadata().reseal_due());
    assert_eq!(sealed.metadata().reseal_reason(), None);
}

/// Kills `<impl IntoIterator for SealedCookies>::into_iter` replaced with `Default::default()`
/// (line 539): the iterator yields the `Set-Cookie` lines.
#[test]
fn sealed_cookies_iterate_over_their_lines() {
    use sealed_session::{Codec, Key, KeyId, Keyring, RequestCookies};
    let now = std::time::UNIX_EPOCH + std::time::Duration::from_secs(1_800_000_000);
    let keyring = Keyring::new([Key::new(KeyId::new(1), [0x11; 32])]).unwrap();
    let codec: Codec<Vec<u8>> = Codec::builder(keyring).build().unwrap();
    let sealed = codec
        .seal(&vec![7; 3_500], None, &RequestCookies::new(), now)
        .unwrap();
    let lines = sealed.headers().to_vec();
    assert_eq!(lines.len(), 2);
    assert_eq!(sealed.into_iter().collect::<Vec<_>>(), lines);
}
