#![no_main]
//! The round-trip oracle: arbitrary payload and configuration, seal then open gives back
//! exactly the payload (cookies and tokens), or sealing fails with `TooLarge`.

use libfuzzer_sys::fuzz_target;
use sealed_session_fuzz::RoundtripInput;

fuzz_target!(|input: RoundtripInput| sealed_session_fuzz::roundtrip(&input));
