#![no_main]
//! Arbitrary tokens opened by the fixed codecs (both modes, raw and typed): never a panic.

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let token = String::from_utf8_lossy(data);
    sealed_session_fuzz::open_token(&token);
});
