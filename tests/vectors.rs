//! Re-derives every test vector of `tests/data/vectors.json` (FORMAT.md section 10): sealing the
//! vector's inputs with its random bytes must give exactly its envelope, lines and token, and
//! opening them must give back its payload.
//!
//! `SEALED_SESSION_WRITE_VECTORS=1 cargo test --test vectors` rewrites the outputs in place
//! (only after a deliberate format change: the outputs are the format's contract).

mod common;

use std::sync::Arc;

use common::Replay;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use serde_json::{Value, json};

use sealed_session::{Codec, Expiry, Key, Keyring, Metadata, Mode, RandomSource, RequestCookies};

const PATH: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data/vectors.json");

fn at(secs: u64) -> SystemTime {
    UNIX_EPOCH + Duration::from_secs(secs)
}

fn secs(v: &Value) -> Option<Duration> {
    v.as_u64().map(Duration::from_secs)
}

fn codec(v: &Value, random: Arc<dyn RandomSource>) -> Codec<()> {
    let e = &v["expiry"];
    let expiry = Expiry::default()
        .absolute(secs(&e["absolute"]))
        .idle(secs(&e["idle"]))
        .persistent(e["persistent"].as_bool().unwrap())
        .clock_skew(secs(&e["skew"]).unwrap());
    let mode = match v["mode"].as_str().unwrap() {
        "encrypted" => Mode::Encrypted,
        "signed" => Mode::Signed,
        other => panic!("unknown mode {other}"),
    };
    Codec::builder(Keyring::from_text(v["keyring"].as_str().unwrap()).unwrap())
        .cookie_name(v["cookie_name"].as_str().unwrap())
        .purpose(v["purpose"].as_str().unwrap())
        .mode(mode)
        .expiry(expiry)
        .max_cookie_bytes(v["max_cookie_bytes"].as_u64().unwrap() as usize)
        .max_total_bytes(v["max_total_bytes"].as_u64().unwrap() as usize)
        .random_source(random)
        .schema_version(v["schema"].as_u64().unwrap() as u32)
        .build()
        .unwrap()
}

/// The metadata of a session with the vector's `previous` id and issue time, made the only way
/// the API allows: by sealing it at that time with that id.
fn previous(v: &Value) -> Option<Metadata> {
    let p = v["previous"].as_object()?;
    let mut random = hex::decode(p["session_id"].as_str().unwrap()).unwrap();
    random.extend([0u8; 24]);
    let issued = p["issued_at"].as_u64().unwrap();
    let sealed = codec(v, Replay::new(random))
        .seal_bytes(b"", None, &RequestCookies::new(), at(issued))
        .unwrap();
    Some(sealed.metadata().clone())
}

/// The envelope carried by cookie values: one whole value, or chunk frames whose 7-byte headers
/// are dropped.
fn envelope_of(values: &[&str]) -> Vec<u8> {
    use base64::Engine;
    let decode = |s: &str| {
        base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(s)
            .unwrap()
    };
    if values.len() == 1 {
        return decode(values[0]);
    }
    values
        .iter()
        .flat_map(|s| decode(s)[7..].to_vec())
        .collect()
}

fn value_of(line: &str) -> &str {
    line.split(';').next().unwrap().split_once('=').unwrap().1
}

/// Seals the vector's inputs and returns its outputs as JSON (and checks they open).
fn derive(v: &Value) -> (Value, Value) {
    let random = Replay::new(hex::decode(v["random"].as_str().unwrap()).unwrap());
    let codec = codec(v, random.clone());
    let previous = previous(v);
    let now = at(v["now"].as_u64().unwrap());
    let payload = hex::decode(v["payload"].as_str().unwrap()).unwrap();
    let result = match v["kind"].as_str().unwrap() {
        "cookie" => {
            let sealed = codec
                .seal_bytes(&payload, previous.as_ref(), &RequestCookies::new(), now)
                .unwrap();
            let lines = sealed.headers().to_vec();
            let values: Vec<&str> = lines.iter().map(|l| value_of(l)).collect();
            let envelope = envelope_of(&values);
            let header: Vec<&str> = lines.iter().map(|l| l.split(';').next().unwrap()).collect();
            let opened = codec
                .open_bytes(&RequestCookies::from_header(&header.join("; ")), now)
                .unwrap()
                .unwrap();
            assert_eq!(opened.session, payload);
            (json!(hex::encode(envelope)), json!(lines))
        }
        "token" => {
            let token = codec
                .seal_token_bytes(&payload, previous.as_ref(), now)
                .unwrap();
            let envelope = envelope_of(&[&token]);
            assert_eq!(
                codec.open_token_bytes(&token, now).unwrap().session,
                payload
            );
            (json!(hex::encode(envelope)), json!(token))
        }
        other => panic!("unknown kind {other}"),
    };
    assert_eq!(random.remaining(), 0, "{}: unused random bytes", v["name"]);
    result
}

fn derive_key(v: &Value) -> (String, String) {
    let master = hex::decode(v["master"].as_str().unwrap()).unwrap();
    let key = Key::derive(&master, v["purpose"].as_str().unwrap()).unwrap();
    let text = Keyring::new([key.clone()]).unwrap().to_text();
    let (_, secret) = text.split_once('.').unwrap();
    use base64::Engine;
    let secret = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(secret)
        .unwrap();
    (key.id().to_string(), hex::encode(secret))
}

#[test]
fn every_vector_rederives_exactly() {
    let mut doc: Value = serde_json::from_str(&std::fs::read_to_string(PATH).unwrap()).unwrap();
    let write = std::env::var_os("SEALED_SESSION_WRITE_VECTORS").is_some();
    let mut checked = 0;
    for v in doc["envelopes"].as_array_mut().unwrap() {
        let (envelope, output) = derive(v);
        let field = if v["kind"] == "cookie" {
            "set_cookie"
        } else {
            "token"
        };
        if write {
            v["envelope"] = envelope;
            v[field] = output;
        } else {
            assert_eq!(v["envelope"], envelope, "{}", v["name"]);
            assert_eq!(v[field], output, "{}", v["name"]);
        }
        checked += 1;
    }
    for v in doc["derived_keys"].as_array_mut().unwrap() {
        let (id, secret) = derive_key(v);
        if write {
            v["id"] = json!(id);
            v["secret"] = json!(secret);
        } else {
            assert_eq!(v["id"], json!(id));
            assert_eq!(v["secret"], json!(secret));
        }
        checked += 1;
    }
    if write {
        let text = serde_json::to_string_pretty(&doc).unwrap() + "\n";
        std::fs::write(PATH, text).unwrap();
    }
    assert!(checked >= 13, "only {checked} vectors");
    println!("{checked} vectors re-derived");
}

#[test]
fn vectors_cover_both_modes_chunks_and_tokens() {
    let doc: Value = serde_json::from_str(&std::fs::read_to_string(PATH).unwrap()).unwrap();
    let envs = doc["envelopes"].as_array().unwrap();
    let has = |f: &dyn Fn(&Value) -> bool| envs.iter().any(f);
    assert!(has(&|v| v["mode"] == "encrypted" && v["kind"] == "token"));
    assert!(has(&|v| v["mode"] == "signed" && v["kind"] == "token"));
    let chunked = |mode: &'static str| {
        move |v: &Value| {
            v["mode"] == mode && v["set_cookie"].as_array().is_some_and(|l| l.len() > 1)
        }
    };
    assert!(has(&chunked("encrypted")));
    assert!(has(&chunked("signed")));
    assert!(has(&|v| !v["previous"].is_null()));
}

const V1_PATH: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data/vectors_v1.json");

/// The format-1 vectors of release 0.1.0 (`vectors_v1.json`, frozen): this release no longer
/// seals format 1 but must open every one of them, report it for a re-seal, and re-seal it as
/// format 2 with the same session id and issue time (FORMAT.md §9).
#[test]
fn every_format_1_vector_still_opens_and_reseals_as_format_2() {
    use sealed_session::ResealReason;
    let doc: Value = serde_json::from_str(&std::fs::read_to_string(V1_PATH).unwrap()).unwrap();
    let mut opened_count = 0;
    for v in doc["envelopes"].as_array().unwrap() {
        let mut v = v.clone();
        v["expiry"]["persistent"] = json!(true);
        v["schema"] = json!(0);
        let codec = codec(&v, Arc::new(sealed_session::OsRandom));
        let now = at(v["now"].as_u64().unwrap());
        let payload = hex::decode(v["payload"].as_str().unwrap()).unwrap();
        let name = v["name"].as_str().unwrap();
        let (opened, header) = if v["kind"] == "cookie" {
            let lines = v["set_cookie"].as_array().unwrap();
            let pairs: Vec<&str> = lines
                .iter()
                .map(|l| l.as_str().unwrap().split(';').next().unwrap())
                .collect();
            let header = pairs.join("; ");
            let opened = codec
                .open_bytes(&RequestCookies::from_header(&header), now)
                .unwrap()
                .unwrap();
            (opened, Some(header))
        } else {
            let token = v["token"].as_str().unwrap();
            (codec.open_token_bytes(token, now).unwrap(), None)
        };
        assert_eq!(opened.session, payload, "{name}");
        assert_eq!(opened.metadata.format_version(), 1, "{name}");
        assert_eq!(
            opened.metadata.reseal_reason(),
            Some(ResealReason::OldFormat),
            "{name}"
        );
        if let Some(header) = header {
            let request = RequestCookies::from_header(&header);
            let resealed = codec
                .seal_bytes(&payload, Some(&opened.metadata), &request, now)
                .unwrap();
            let m = resealed.metadata();
            assert_eq!(m.format_version(), 2, "{name}");
            assert_eq!(m.session_id(), opened.metadata.session_id(), "{name}");
            assert_eq!(m.issued_at(), opened.metadata.issued_at(), "{name}");
        }
        opened_count += 1;
    }
    assert_eq!(opened_count, 11);
}

/// Format 2 binds the usage: a vector's cookie value is not a token of the same codec.
#[test]
fn no_cookie_vector_opens_as_a_token() {
    let doc: Value = serde_json::from_str(&std::fs::read_to_string(PATH).unwrap()).unwrap();
    let mut checked = 0;
    for v in doc["envelopes"].as_array().unwrap() {
        let lines = match v["set_cookie"].as_array() {
            Some(lines) if lines.len() == 1 => lines,
            _ => continue,
        };
        let codec = codec(v, Arc::new(sealed_session::OsRandom));
        let value = value_of(lines[0].as_str().unwrap());
        let now = at(v["now"].as_u64().unwrap());
        assert_eq!(
            codec.open_token_bytes(value, now).unwrap_err(),
            sealed_session::Error::Authentication,
            "{}",
            v["name"]
        );
        checked += 1;
    }
    assert!(checked >= 6, "{checked}");
}
