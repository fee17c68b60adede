#![no_main]
//! Format v2's lifetimes, deadlines, schema versions and usage byte: a seal on one node, an
//! open and a re-seal on another with its own policy and release, and an open back on the
//! first, against the model of FORMAT.md section 7 (`src/lifetimes.rs`, `src/model.rs`).

use libfuzzer_sys::fuzz_target;
use sealed_session_fuzz::lifetimes::LifetimesInput;

fuzz_target!(|input: LifetimesInput| sealed_session_fuzz::lifetimes::lifetimes(&input));
