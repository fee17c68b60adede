//! Tests that kill mutants of `src/base64url.rs` the rest of the suite let live (MUTANTS.md,
//! "Killed by a new test").

use sealed_session::{Error, Inspection};

/// Kills `%` to `+` in `text.len() % 4 == 1` (line 44): text of a length no base64 can have
/// is refused as such before the engine sees it; the mutant hands it on, and the engine's
/// refusal reads "not canonical".
#[test]
fn a_length_of_one_more_than_a_multiple_of_four_is_impossible() {
    for len in [1, 5, 9, 65] {
        assert_eq!(
            Inspection::of_token(&"A".repeat(len)).unwrap_err(),
            Error::Malformed {
                reason: "base64url text has an impossible length"
            },
            "{len}"
        );
    }
}
