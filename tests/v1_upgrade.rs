//! Format v1 values sealed by release 0.1.0 must keep opening after the upgrade to format v2:
//! a version's format bytes keep their meaning forever, and a reader of several versions opens
//! the older ones (FORMAT.md section 9).
//!
//! `tests/data/v1_fixtures.json` holds cookies and tokens that 0.1.0 sealed (its `note` says
//! how). Each must open, one second after it was sealed, to its payload, session id and times,
//! and report format version 1. The fixtures are data: never regenerate them with a newer
//! release.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use serde::Deserialize;
use serde_json::Value;

use sealed_session::{Codec, Expiry, Keyring, Metadata, Mode, RequestCookies};

const PATH: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data/v1_fixtures.json");

/// The typed fixture's session type, as 0.1.0 serialized it (postcard).
#[derive(Deserialize, Debug, PartialEq)]
struct Cart {
    user: u64,
    name: String,
    items: Vec<u32>,
}

fn fixtures() -> Vec<Value> {
    let text = std::fs::read_to_string(PATH).unwrap();
    let doc: Value = serde_json::from_str(&text).unwrap();
    doc["fixtures"].as_array().unwrap().clone()
}

fn at(v: &Value) -> SystemTime {
    UNIX_EPOCH + Duration::from_secs(v.as_u64().unwrap())
}

fn str_of<'a>(f: &'a Value, field: &str) -> &'a str {
    f[field]
        .as_str()
        .unwrap_or_else(|| panic!("{field} of {}", f["name"]))
}

/// The codec the fixture was sealed with (default cookie attributes: they are not sealed).
fn codec<T>(f: &Value) -> Codec<T> {
    let e = &f["expiry"];
    let secs = |v: &Value| v.as_u64().map(Duration::from_secs);
    let mode = match str_of(f, "mode") {
        "encrypted" => Mode::Encrypted,
        "signed" => Mode::Signed,
        other => panic!("unknown mode {other}"),
    };
    Codec::builder(Keyring::from_text(str_of(f, "keyring")).unwrap())
        .mode(mode)
        .cookie_name(str_of(f, "cookie_name"))
        .purpose(str_of(f, "purpose"))
        .max_cookie_bytes(f["max_cookie_bytes"].as_u64().unwrap() as usize)
        .max_total_bytes(f["max_total_bytes"].as_u64().unwrap() as usize)
        .expiry(
            Expiry::default()
                .absolute(secs(&e["absolute"]))
                .idle(secs(&e["idle"]))
                .clock_skew(secs(&e["skew"]).unwrap()),
        )
        .build()
        .unwrap()
}

/// One second after the fixture was sealed.
fn open_time(f: &Value) -> SystemTime {
    at(&f["sealed_at"]) + Duration::from_secs(1)
}

fn assert_metadata(f: &Value, m: &Metadata) {
    let name = str_of(f, "name");
    assert_eq!(
        m.session_id().to_string(),
        str_of(f, "session_id"),
        "{name}"
    );
    assert_eq!(m.issued_at(), at(&f["issued_at"]), "{name}");
    assert_eq!(m.sealed_at(), at(&f["sealed_at"]), "{name}");
    assert_eq!(m.format_version(), 1, "{name}");
}

#[test]
fn every_v1_fixture_opens_to_its_payload() {
    let fixtures = fixtures();
    assert!(fixtures.len() >= 9, "fixtures missing from {PATH}");
    for f in &fixtures {
        let name = str_of(f, "name");
        let codec = codec::<()>(f);
        let now = open_time(f);
        let opened = match str_of(f, "kind") {
            "cookie" => {
                let request = RequestCookies::from_header(str_of(f, "cookie_header"));
                codec
                    .open_bytes(&request, now)
                    .unwrap_or_else(|e| panic!("{name}: {e}"))
                    .unwrap_or_else(|| panic!("{name}: no session"))
            }
            "token" => codec
                .open_token_bytes(str_of(f, "token"), now)
                .unwrap_or_else(|e| panic!("{name}: {e}")),
            other => panic!("{name}: unknown kind {other}"),
        };
        let payload = hex::decode(str_of(f, "payload_hex")).unwrap();
        assert_eq!(opened.session, payload, "{name}");
        assert_metadata(f, &opened.metadata);
    }
}

#[test]
fn the_typed_v1_fixture_opens_as_its_type() {
    let f = fixtures()
        .into_iter()
        .find(|f| f.get("typed").is_some())
        .expect("a typed fixture");
    let want: Cart = serde_json::from_value(f["typed"].clone()).unwrap();
    let request = RequestCookies::from_header(str_of(&f, "cookie_header"));
    let opened = codec::<Cart>(&f)
        .open(&request, open_time(&f))
        .unwrap()
        .expect("a session");
    assert_eq!(opened.session, want);
    assert_metadata(&f, &opened.metadata);
}
