#![no_main]
//! Arbitrary `Cookie` header values (one per line) opened by the fixed codecs: never a panic.

use libfuzzer_sys::fuzz_target;
use sealed_session::RequestCookies;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let request: RequestCookies<'_> = text.split('\n').collect();
    sealed_session_fuzz::open_request(&request);
});
