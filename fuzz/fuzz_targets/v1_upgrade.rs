#![no_main]
//! Format v1 values from release 0.1.0 (tests/data/v1_fixtures.json) under a v2 opener with an
//! arbitrary policy and time, changed or not: authentic or refused, opened with the policy's
//! lifetime in both usages, re-sealed as v2 bound to its usage (`src/v1.rs`).

use libfuzzer_sys::fuzz_target;
use sealed_session_fuzz::v1::V1Input;

fuzz_target!(|input: V1Input| sealed_session_fuzz::v1::v1_upgrade(&input));
