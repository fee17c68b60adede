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
