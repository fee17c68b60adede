//! Tests that kill mutants of `src/inspect.rs` the rest of the suite let live (MUTANTS.md,
//! "Killed by a new test"): the size bound of inspection, at and past it.

use sealed_session::{Error, Inspection, MAX_TOTAL_BYTES, RequestCookies};

fn too_large<T: std::fmt::Debug>(result: Result<T, Error>, needed: usize) -> bool {
    matches!(result, Err(Error::TooLarge { needed: n, budget: MAX_TOTAL_BYTES }) if n == needed)
}

/// Kills `>` to `==` and to `>=` in `text_len > MAX_TOTAL_BYTES` in `Inspection::of_cookies`
/// (line 67): a header of exactly the budget is decoded (and refused as no envelope), one far
/// past it is too large.
#[test]
fn cookies_up_to_the_budget_are_inspected_and_beyond_are_too_large() {
    let inspect = |value_len: usize| {
        let header = format!("s={}", "A".repeat(value_len));
        Inspection::of_cookies(&RequestCookies::from_header(&header), "s").map(|_| ())
    };
    let at = inspect(MAX_TOTAL_BYTES - 2);
    assert!(matches!(at, Err(Error::Malformed { .. })), "{at:?}");
    assert!(too_large(inspect(MAX_TOTAL_BYTES - 1), MAX_TOTAL_BYTES + 1));
    assert!(too_large(inspect(MAX_TOTAL_BYTES + 98), MAX_TOTAL_BYTES + 100));
}

/// Kills `>` to `==` and to `<` in `token.len() > MAX_TOTAL_BYTES` in `Inspection::of_token`
/// (line 99): a short token and one of exactly the budget are decoded, one far past it is too
/// large.
#[test]
fn tokens_up_to_the_budget_are_inspected_and_beyond_are_too_large() {
    for len in [4, MAX_TOTAL_BYTES] {
        let r = Inspection::of_token(&"A".repeat(len));
        assert!(matches!(r, Err(Error::Malformed { .. })), "{len}: {r:?}");
    }
    let far = MAX_TOTAL_BYTES + 100;
    assert!(too_large(Inspection::of_token(&"A".repeat(far)), far));
}
