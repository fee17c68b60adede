#![no_main]
//! Arbitrary (chunk index, value) records made into `__Host-session`, `__Host-session.N`
//! cookies and opened, so the fuzzer works on the chunk joiner: never a panic.

use libfuzzer_sys::fuzz_target;
use sealed_session::RequestCookies;

fuzz_target!(|data: &[u8]| {
    let header = sealed_session_fuzz::chunk_header(data);
    sealed_session_fuzz::open_request(&RequestCookies::from_header(&header));
});
