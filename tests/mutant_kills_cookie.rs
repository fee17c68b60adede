//! Tests that kill mutants of `src/cookie/` the rest of the suite let live (MUTANTS.md, "Killed
//! by a new test"). Each names the mutant it fails on.

use sealed_session::CookieAttributes;

/// Kills `CookieAttributes::is_secure -> bool` replaced with `true`
/// (src/cookie/attributes.rs:161): only its doctest asked.
#[test]
fn attributes_without_secure_are_not_secure() {
    assert!(CookieAttributes::default().is_secure());
    assert!(!CookieAttributes::default().secure(false).is_secure());
}
