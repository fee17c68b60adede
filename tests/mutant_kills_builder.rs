//! Tests that kill mutants of `src/codec/builder.rs` the rest of the suite let live
//! (MUTANTS.md, "Killed by a new test"). Each names the mutant it fails on.

mod common;

use common::ring;
use sealed_session::{Codec, Error};

/// Kills `CodecBuilder::build`: `<` to `<=` in `max_cookie_bytes < longest_line_overhead +
/// MIN_VALUE_ROOM` (line 428). The default configuration's longest line without its value is
/// `__Host-session` (14) + `.15=` (4) + `; Path=/; Secure; HttpOnly; SameSite=Lax` (40) +
/// `; Max-Age=` and 10 digits (20) + `; Expires=` and an HTTP date (39) = 117 bytes, and a
/// line must keep 64 bytes of room beside it: 181 is the smallest limit accepted.
#[test]
fn the_smallest_per_cookie_limit_is_the_longest_overhead_plus_64() {
    let build = |per: usize| Codec::<()>::builder(ring()).max_cookie_bytes(per).build();
    assert!(build(181).is_ok());
    assert!(matches!(build(180), Err(Error::InvalidConfig { .. })));
}

/// Kills `strip_secure_prefix`: `>` to `>=` in `name.len() > prefix.len()` (line 462). A
/// development cookie named exactly `__Host-` or `__Secure-` has nothing after the prefix, so
/// nothing is stripped and the prefix's own rule refuses it without `Secure`; the mutant strips
/// it to the empty name, which the name rule refuses instead.
#[test]
fn a_development_cookie_named_just_the_prefix_is_not_stripped() {
    for name in ["__Host-", "__Secure-"] {
        let err = Codec::<()>::builder(ring())
            .cookie_name(name)
            .insecure_development_cookies()
            .build()
            .unwrap_err();
        match err {
            Error::InvalidConfig { reason } => {
                assert!(reason.contains("cookie needs Secure"), "{name}: {reason}")
            }
            other => panic!("{name}: {other:?}"),
        }
    }
}
