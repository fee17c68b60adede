//! Tests that kill mutants of the `Debug` impls the rest of the suite let live (MUTANTS.md,
//! "Killed by a new test"): `fmt` replaced with `Ok(Default::default())` writes nothing, which
//! the secrecy tests (no secret in the output) cannot tell from a correct impl. Each test pins
//! what the output shows and names the impls whose mutants it fails on.

mod common;

use common::{at, key, now};
use sealed_session::{Codec, Keyring, LiveKeyring, RequestCookies};

const KEYRING: &str = "Keyring { keys: [Key { id: KeyId(00000001), not_before: Some(1800000000), \
                       not_after: None, secret: \"<redacted>\" }] }";

fn ring() -> Keyring {
    Keyring::new([key(1, 0x11).with_not_before(at(0))]).unwrap()
}

/// `Debug` for `Codec` (src/codec/mod.rs) and for its schema versions (`Schemas`,
/// src/codec/schema.rs), `Keyring` (src/keyring/entries.rs), `Key` (src/keyring/key.rs) and
/// `KeyId` (src/keyring/key_id.rs), which it prints.
#[test]
fn a_codec_shows_its_configuration_schemas_and_keyring_without_secrets() {
    let codec: Codec<u32> = Codec::builder(ring())
        .schema_version(3)
        .open_older_schema(2, |old: u32| old)
        .seal_older_schema_until(2, at(60), |new: &u32| *new)
        .build()
        .unwrap();
    let shown = format!("{codec:?}");
    assert!(
        shown.starts_with("Codec { cookie_name: \"__Host-session\", "),
        "{shown}"
    );
    assert!(
        shown.contains(
            ", schemas: Schemas { current: 3, older: [2], sealing_older_until: Some((2, 1800000060)) }, "
        ),
        "{shown}"
    );
    assert!(
        shown.contains(&format!(", keyring: {KEYRING}, ..")),
        "{shown}"
    );
    assert_eq!(format!("{:?}", ring()), KEYRING);
}

/// `Debug` for `LiveKeyring` (src/codec/live.rs): the keyring it holds now.
#[test]
fn a_live_keyring_shows_its_current_keyring() {
    assert_eq!(format!("{:?}", LiveKeyring::from(ring())), KEYRING);
}

/// `Debug` for `SealedCookies` and `SessionId` (src/session.rs), and for `RequestCookies`
/// (src/cookie/request.rs): names and lengths, never values.
#[test]
fn sealed_and_request_cookies_show_names_and_lengths() {
    let codec: Codec<u32> = Codec::builder(ring()).build().unwrap();
    let sealed = codec.seal(&7, None, &RequestCookies::new(), now()).unwrap();
    let line = &sealed.headers()[0];
    let shown = format!("{sealed:?}");
    let expected = format!(
        "SealedCookies {{ lines: [(\"__Host-session\", {})], chunk_count: 1, deleted: 0, \
         cookie_header_bytes: {}, metadata: Metadata {{ ",
        line.len(),
        sealed.cookie_header_bytes()
    );
    assert!(shown.starts_with(&expected), "{shown}");
    let id = sealed.metadata().session_id();
    assert_eq!(format!("{id:?}"), format!("SessionId({id})"));
    assert_eq!(format!("{id}").len(), 32);
    assert_eq!(
        format!("{:?}", RequestCookies::from_header("a=1; b=2")),
        "RequestCookies { names: [\"a\", \"b\"] }"
    );
}
