//! Tests that kill mutants of `src/keyring/` the rest of the suite let live (MUTANTS.md,
//! "Killed by a new test"). Each names the mutant it fails on.

use std::collections::hash_map::DefaultHasher;
use std::hash::{Hash, Hasher};

use sealed_session::KeyId;

fn hash_of(id: KeyId) -> u64 {
    let mut h = DefaultHasher::new();
    id.hash(&mut h);
    h.finish()
}

/// Kills `<impl Hash for KeyId>::hash` replaced with `()` (src/keyring/key_id.rs:66): equal
/// ids hash equal either way, but the mutant hashes every id alike, so a map of key ids is
/// one long collision chain. `DefaultHasher::new()` has fixed keys: the values are stable.
#[test]
fn key_ids_hash_by_their_value() {
    assert_eq!(hash_of(KeyId::new(7)), hash_of(KeyId::new(7)));
    assert_ne!(hash_of(KeyId::new(1)), hash_of(KeyId::new(2)));
    let mut bare = DefaultHasher::new();
    7u32.hash(&mut bare);
    assert_eq!(hash_of(KeyId::new(7)), bare.finish());
}

/// Kills `<impl Display for KeyState>::fmt` replaced with `Ok(Default::default())`
/// (src/keyring/schedule.rs:38): no test of the selection printed a state.
#[test]
fn key_states_display_as_words() {
    use sealed_session::KeyState;
    let shown: Vec<String> = [
        KeyState::Primary,
        KeyState::Pending,
        KeyState::Previous,
        KeyState::Retired,
    ]
    .iter()
    .map(ToString::to_string)
    .collect();
    assert_eq!(shown, ["primary", "pending", "previous", "retired"]);
}
