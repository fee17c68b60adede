//! Tests that kill mutants of `src/codec/` the rest of the suite let live (MUTANTS.md, "Killed
//! by a new test"). Each names the mutant it fails on.

mod common;

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use common::{at, now, ring};
use sealed_session::{
    Codec, CookieAttributes, Error, Mode, RandomSource, RequestCookies, SameSite,
};

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

/// Kills `src/codec/mod.rs` `Codec::purpose -> &str` replaced with `""` and with `"xyzzy"`
/// (line 173), `Codec::attributes` replaced with a leaked default (line 187) and `Codec::mode`
/// with `Default::default()` (line 201): the getters' doctests are not in the selection, and
/// the doctests of `attributes` and `mode` ask for the defaults, which those mutants return.
#[test]
fn the_getters_return_what_was_configured() {
    let attrs = CookieAttributes::default()
        .same_site(Some(SameSite::Strict))
        .http_only(false);
    assert_ne!(attrs, CookieAttributes::default());
    let codec: Codec<u8> = Codec::builder(ring())
        .purpose("shop")
        .mode(Mode::Signed)
        .attributes(attrs.clone())
        .build()
        .unwrap();
    assert_eq!(codec.purpose(), "shop");
    assert_eq!(codec.attributes(), &attrs);
    assert_eq!(codec.mode(), Mode::Signed);
}

/// Kills `src/codec/mod.rs` `Codec::sealing_schema_version -> u32` replaced with `0` and with
/// `1` (line 356): only its doctest asked, and doctests are not in the selection.
#[test]
fn the_sealing_schema_version_follows_the_scheduled_switch() {
    let codec: Codec<u32> = Codec::builder(ring())
        .schema_version(3)
        .open_older_schema(2, |old: u32| old)
        .seal_older_schema_until(2, at(60), |new: &u32| *new)
        .build()
        .unwrap();
    assert_eq!(codec.sealing_schema_version(now()), 2);
    assert_eq!(codec.sealing_schema_version(at(60)), 3);
}

/// A value whose serialization always fails.
struct Unserializable;

impl serde::Serialize for Unserializable {
    fn serialize<S: serde::Serializer>(&self, _: S) -> Result<S::Ok, S::Error> {
        Err(serde::ser::Error::custom("refused"))
    }
}

/// Kills `src/codec/schema.rs` `serialized_size -> Result<usize, Error>` replaced with `Ok(0)`
/// and with `Ok(1)` (line 158). The size is otherwise only the envelope's capacity, but its
/// failure is what stops a seal before it draws the session id and nonce: the mutants draw,
/// then fail with the same error when the value is serialized.
#[test]
fn a_value_that_cannot_be_serialized_fails_before_any_draw() {
    let random = Arc::new(CountedRandom::default());
    let codec: Codec<Unserializable> = Codec::builder(ring())
        .random_source(random.clone())
        .build()
        .unwrap();
    let err = codec
        .seal(&Unserializable, None, &RequestCookies::new(), now())
        .unwrap_err();
    assert!(matches!(err, Error::Serialization { .. }), "{err:?}");
    assert_eq!(random.0.load(Ordering::Relaxed), 0);
}
