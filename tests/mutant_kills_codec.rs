//! Tests that kill mutants of `src/codec/` the rest of the suite let live (MUTANTS.md, "Killed
//! by a new test"). Each names the mutant it fails on.

mod common;

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use common::{at, now, ring};
use sealed_session::{Codec, Error, Mode, RandomSource, RequestCookies};

/// Counts the draws; each fills with a fixed pattern.
#[derive(Default)]
struct CountedRandom(AtomicUsize);

impl RandomSource for CountedRandom {
    fn fill(&self, dest: &mut [u8]) -> Result<(), Error> {
        self.0.fetch_add(1, Ordering::Relaxed);
        dest.fill(0x5a);
        Ok(())
    }
}

/// Kills `src/codec/sealing.rs` `Codec::begin`: `>` to `>=` in `if id_len + nonce_len > 0`
/// (line 84). A signed re-seal of an existing session needs no session id and no nonce, so it
/// draws nothing; the mutant draws an empty slice once more.
#[test]
fn a_signed_reseal_draws_no_randomness() {
    let random = Arc::new(CountedRandom::default());
    let codec: Codec<u32> = Codec::builder(ring())
        .mode(Mode::Signed)
        .random_source(random.clone())
        .build()
        .unwrap();
    let first = codec.seal(&1, None, &RequestCookies::new(), now()).unwrap();
    assert_eq!(random.0.load(Ordering::Relaxed), 1, "the new session's id");
    codec
        .seal(&2, Some(first.metadata()), &RequestCookies::new(), at(10))
        .unwrap();
    assert_eq!(random.0.load(Ordering::Relaxed), 1, "nothing to draw");
}
