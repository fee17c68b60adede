#![no_main]
//! Arbitrary keyring text: never a panic; what parses renders back to an equal keyring, and
//! seals and opens at each of its keys' activation times.

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(text) = std::str::from_utf8(data) {
        sealed_session_fuzz::keyring_text(text);
    }
});
