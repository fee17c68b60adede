#![no_main]
//! Random request/response sequences through the axum session layer with a model browser jar,
//! a manual clock and random handler actions, against a model of the session the browser
//! holds (`src/layer.rs`).

use libfuzzer_sys::fuzz_target;
use sealed_session_fuzz::layer::LayerInput;

fuzz_target!(|input: LayerInput| sealed_session_fuzz::layer::session_layer(&input));
