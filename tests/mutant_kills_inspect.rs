//! Tests that kill mutants of `src/inspect.rs` the rest of the suite let live (MUTANTS.md,
//! "Killed by a new test"): the size bound of inspection, at and past it.

use sealed_session::{
    Codec, Error, Inspection, Key, KeyId, Keyring, MAX_TOTAL_BYTES, Mode, RequestCookies,
};

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
    assert!(too_large(
        inspect(MAX_TOTAL_BYTES + 98),
        MAX_TOTAL_BYTES + 100
    ));
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

/// Kills `Inspection::format_version -> u8` replaced with `0` and `1` (line 131),
/// `Inspection::mode` replaced with `Default::default()` (line 147) and
/// `Inspection::chunk_count -> usize` replaced with `0` and `1` (line 179): only their
/// doctests asked, and those ask for the encrypted mode, the default. Also
/// `Inspection::envelope_len -> usize` replaced with `0` and `1` (line 195).
#[test]
fn an_inspection_reports_the_version_mode_key_and_chunks() {
    let now = std::time::UNIX_EPOCH + std::time::Duration::from_secs(1_800_000_000);
    let keyring = Keyring::new([Key::new(KeyId::new(0x2a), [0x11; 32])]).unwrap();
    let codec: Codec<Vec<u8>> = Codec::builder(keyring)
        .mode(Mode::Signed)
        .purpose("inspect")
        .build()
        .unwrap();
    let sealed = codec
        .seal(&vec![7; 3_500], None, &RequestCookies::new(), now)
        .unwrap();
    assert_eq!(sealed.chunk_count(), 2);
    let pairs: Vec<&str> = sealed.headers()[..2]
        .iter()
        .map(|l| l.split(';').next().unwrap())
        .collect();
    let header = pairs.join("; ");
    let facts = Inspection::of_cookies(&RequestCookies::from_header(&header), codec.cookie_name())
        .unwrap()
        .unwrap();
    assert_eq!(facts.format_version(), 2);
    assert_eq!(facts.mode(), Mode::Signed);
    assert_eq!(facts.key_id(), KeyId::new(0x2a));
    assert_eq!(facts.chunk_count(), 2);
    assert_eq!(facts.cookie_bytes(), sealed.cookie_header_bytes());
    let token = codec.seal_token(&vec![7; 100], None, now).unwrap();
    let facts = Inspection::of_token(&token).unwrap();
    // base64url without padding: 6 bits a character.
    assert_eq!(facts.envelope_len(), token.len() * 6 / 8);
    assert!(facts.envelope_len() > 100);
}
