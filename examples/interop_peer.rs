//! The Rust side of the cross-implementation check in `tests/interop/` (run by
//! `python3 tests/interop/run.py`): a line-oriented JSON peer over the crate's public API.
//!
//! Reads one JSON command per line on stdin and writes one JSON answer per line on stdout.
//! Every command carries the codec configuration:
//!
//! ```text
//! { "keyring": "ssk1,...", "mode": "encrypted" | "signed", "cookie_name": "...",
//!   "purpose": "...", "max_cookie_bytes": n, "max_total_bytes": n,
//!   "expiry": { "absolute": s | null, "idle": s | null, "skew": s, "persistent": bool? },
//!                                                                          (optional)
//!   "schema": n?, "older_schemas": [n, ..]?,
//!   "attributes": { "path", "domain", "secure", "http_only", "same_site", "expires" },
//!                                                                          (optional)
//!   "now": unix seconds }
//! ```
//!
//! `schema` is the codec's schema version (`CodecBuilder::schema_version`); `older_schemas`
//! are also read by the typed API (`open_older_schema`, unchanged bytes). The codec always
//! names its purpose (`.purpose(..)`, `DEFAULT_PURPOSE` when the command gives none), which
//! tokens require. The session type is `Vec<u8>`: the bytes API seals the payload as given,
//! the typed API (`typed`, `lifetime`) seals its postcard form (a varint length, then the
//! bytes).
//!
//! Operations:
//!
//! * `{"op":"seal","kind":"cookie","payload":hex, "random":hex?, "request_cookie_header":[..]?,
//!   "previous_cookie_header":[..]?, "previous_token":str?, "previous_now":t?,
//!   "lifetime":{"absolute":s|null,"idle":s|null,"persistent":bool}?}` ->
//!   `{"set_cookie":[...], "chunk_count":n, "deleted_count":n, "cookie_header_bytes":n,
//!   "meta":{...}}`. With `lifetime`, a new typed session (`Codec::seal_new`).
//! * `{"op":"seal","kind":"token", ...}` -> `{"token":"..."}` (with `lifetime`:
//!   `Codec::seal_token_new`).
//! * `{"op":"open","cookie_header":[..], "typed":bool?}` or `{"op":"open","token":"..."}` ->
//!   `{"payload":hex, "session_id":hex, "issued_at":t, "sealed_at":t, "expires_at":t|null,
//!   "key_id":"8 hex", "reseal":null|"non_primary"|"old_format"|"old_schema"|"idle_refresh",
//!   "lifetime":{"absolute","idle","persistent"}, "past_deadline":bool, "schema":n,
//!   "format_version":n}`, or `{"none":true}` when the request carries no session. `typed`
//!   opens with the typed API (`Codec::open`, `open_token`: schema versions checked, the
//!   payload is the decoded `Vec<u8>`).
//! * `{"op":"keyring","text":"..."}` -> `{"text": to_text(), "primary": id|null at now}`
//! * `{"op":"derive","master":hex,"purpose":"..."}` -> `{"text": keyring text of the key}`
//!
//! Any failure answers `{"error": Display, "kind": "...", "dead": cookies_are_dead(),
//! ...details}`. `random`, when given, is replayed as the randomness source (session id, then
//! nonce); otherwise the OS generator is used. The peer uses only the public API.

use std::io::{self, BufRead, Write};
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use sealed_session::{
    ChunkError, Codec, CookieAttributes, DEFAULT_PURPOSE, Error, Expiry, Key, Keyring, Lifetime,
    Metadata, Mode, OsRandom, RandomSource, RequestCookies, ResealReason, SameSite,
};
use serde_json::{Value, json};

/// The session type: raw bytes through the bytes API, postcard through the typed one.
type Session = Vec<u8>;

/// Replays fixed bytes; fails when they run out.
struct Replay(Mutex<Vec<u8>>);

impl RandomSource for Replay {
    fn fill(&self, dest: &mut [u8]) -> Result<(), Error> {
        let mut left = self.0.lock().map_err(|_| Error::Randomness)?;
        if left.len() < dest.len() {
            return Err(Error::Randomness);
        }
        let rest = left.split_off(dest.len());
        dest.copy_from_slice(&left);
        *left = rest;
        Ok(())
    }
}

fn time(secs: u64) -> SystemTime {
    UNIX_EPOCH + Duration::from_secs(secs)
}

fn secs(t: SystemTime) -> u64 {
    t.duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs())
}

/// A malformed command (a bug in the driver, not a finding).
fn bad(what: &str) -> Value {
    json!({ "error": format!("bad command: {what}"), "kind": "bad_command" })
}

fn error_json(e: &Error) -> Value {
    let mut v = json!({ "error": e.to_string(), "dead": e.cookies_are_dead() });
    let kind = match e {
        Error::Authentication => "authentication",
        Error::Malformed { .. } => "malformed",
        Error::UnknownKey { key_id } => {
            v["key_id"] = json!(key_id.to_string());
            "unknown_key"
        }
        Error::RetiredKey { key_id } => {
            v["key_id"] = json!(key_id.to_string());
            "retired_key"
        }
        Error::UnknownSchema { version } => {
            v["schema"] = json!(version);
            "unknown_schema"
        }
        Error::OverwriteRefused { cause } => {
            v["cause"] = error_json(cause);
            "overwrite_refused"
        }
        Error::Expired { at } => {
            v["at"] = json!(secs(*at));
            "expired"
        }
        Error::NotYetValid => "not_yet_valid",
        Error::TooLarge { needed, budget } => {
            v["needed"] = json!(needed);
            v["budget"] = json!(budget);
            "too_large"
        }
        Error::NoSealingKey => "no_primary_key",
        Error::Serialization { .. } => "serialization",
        Error::InvalidKeyring { entry, .. } => {
            v["entry"] = json!(entry);
            "invalid_keyring"
        }
        Error::InvalidConfig { .. } => "invalid_config",
        Error::Randomness => "randomness",
        Error::Chunks(c) => match c {
            ChunkError::Missing { index } => {
                v["index"] = json!(index);
                "missing_chunk"
            }
            ChunkError::Duplicate { index } => {
                v["index"] = json!(index);
                "duplicate_chunk"
            }
            ChunkError::Extra { index } => {
                v["index"] = json!(index);
                "extra_chunk"
            }
            ChunkError::MixedGeneration => "mixed_generation",
            ChunkError::TooMany { count, max } => {
                v["count"] = json!(count);
                v["max"] = json!(max);
                "too_many_chunks"
            }
            _ => "chunks_other",
        },
        _ => "other",
    };
    v["kind"] = json!(kind);
    v
}

fn meta_json(m: &Metadata) -> Value {
    let reseal = match m.reseal_reason() {
        None => Value::Null,
        Some(ResealReason::NonPrimaryKey) => json!("non_primary"),
        Some(ResealReason::IdleRefresh) => json!("idle_refresh"),
        Some(ResealReason::OldFormat) => json!("old_format"),
        Some(ResealReason::OldSchema) => json!("old_schema"),
        Some(_) => json!("other"),
    };
    json!({
        "session_id": hex::encode(m.session_id().as_bytes()),
        "issued_at": secs(m.issued_at()),
        "sealed_at": secs(m.sealed_at()),
        "expires_at": m.expires_at().map(secs),
        "key_id": m.key_id().to_string(),
        "reseal": reseal,
        "lifetime": lifetime_json(&m.lifetime()),
        "past_deadline": m.past_deadline(),
        "schema": m.schema_version(),
        "format_version": m.format_version(),
    })
}

fn lifetime_json(l: &Lifetime) -> Value {
    json!({
        "absolute": l.absolute_lifetime().map(|d| d.as_secs()),
        "idle": l.idle_timeout().map(|d| d.as_secs()),
        "persistent": l.is_persistent(),
    })
}

/// A requested lifetime (`Codec::seal_new`): `{"absolute", "idle", "persistent"}`.
fn lifetime(v: &Value) -> Result<Lifetime, Value> {
    let base = match v["persistent"].as_bool() {
        Some(true) => Lifetime::persistent(),
        Some(false) => Lifetime::browser_session(),
        None => return Err(bad("lifetime.persistent")),
    };
    Ok(base
        .absolute(opt_secs(&v["absolute"]))
        .idle(opt_secs(&v["idle"])))
}

fn opt_secs(v: &Value) -> Option<Duration> {
    v.as_u64().map(Duration::from_secs)
}

fn attributes(v: &Value) -> Result<CookieAttributes, Value> {
    let mut a = CookieAttributes::default();
    if v.is_null() {
        return Ok(a);
    }
    if let Some(p) = v.get("path").and_then(Value::as_str) {
        a = a.path(p);
    }
    if let Some(d) = v.get("domain") {
        a = a.domain(d.as_str());
    }
    if let Some(b) = v.get("secure").and_then(Value::as_bool) {
        a = a.secure(b);
    }
    if let Some(b) = v.get("http_only").and_then(Value::as_bool) {
        a = a.http_only(b);
    }
    if let Some(s) = v.get("same_site") {
        let s = match s.as_str() {
            None => None,
            Some("Strict") => Some(SameSite::Strict),
            Some("Lax") => Some(SameSite::Lax),
            Some("None") => Some(SameSite::None),
            Some(_) => return Err(bad("same_site")),
        };
        a = a.same_site(s);
    }
    if let Some(b) = v.get("expires").and_then(Value::as_bool) {
        a = a.expires(b);
    }
    Ok(a)
}

fn codec(cmd: &Value) -> Result<Codec<Session>, Value> {
    let keyring = Keyring::from_text(cmd["keyring"].as_str().ok_or_else(|| bad("keyring"))?)
        .map_err(|e| error_json(&e))?;
    let mode = match cmd["mode"].as_str() {
        Some("encrypted") => Mode::Encrypted,
        Some("signed") => Mode::Signed,
        _ => return Err(bad("mode")),
    };
    // Tokens need a purpose named explicitly: always name one.
    let mut builder = Codec::<Session>::builder(keyring)
        .mode(mode)
        .attributes(attributes(&cmd["attributes"])?)
        .purpose(cmd["purpose"].as_str().unwrap_or(DEFAULT_PURPOSE));
    if let Some(name) = cmd["cookie_name"].as_str() {
        builder = builder.cookie_name(name);
    }
    if let Some(n) = cmd["schema"].as_u64() {
        builder = builder.schema_version(u32::try_from(n).map_err(|_| bad("schema"))?);
    }
    if let Some(older) = cmd["older_schemas"].as_array() {
        for n in older {
            let n = n.as_u64().and_then(|n| u32::try_from(n).ok());
            builder = builder
                .open_older_schema(n.ok_or_else(|| bad("older_schemas"))?, |old: Session| old);
        }
    }
    if let Some(n) = cmd["max_cookie_bytes"].as_u64() {
        builder = builder.max_cookie_bytes(usize::try_from(n).map_err(|_| bad("limit"))?);
    }
    if let Some(n) = cmd["max_total_bytes"].as_u64() {
        builder = builder.max_total_bytes(usize::try_from(n).map_err(|_| bad("limit"))?);
    }
    let e = &cmd["expiry"];
    if !e.is_null() {
        let mut expiry = Expiry::default()
            .absolute(opt_secs(&e["absolute"]))
            .idle(opt_secs(&e["idle"]))
            .clock_skew(opt_secs(&e["skew"]).unwrap_or_default());
        if let Some(p) = e["persistent"].as_bool() {
            expiry = expiry.persistent(p);
        }
        builder = builder.expiry(expiry);
    }
    if let Some(r) = cmd["random"].as_str() {
        let bytes = hex::decode(r).map_err(|_| bad("random"))?;
        builder = builder.random_source(Arc::new(Replay(Mutex::new(bytes))));
    } else {
        builder = builder.random_source(Arc::new(OsRandom));
    }
    builder.build().map_err(|e| error_json(&e))
}

fn strings(v: &Value) -> Vec<&str> {
    match v {
        Value::String(s) => vec![s.as_str()],
        Value::Array(a) => a.iter().filter_map(Value::as_str).collect(),
        _ => Vec::new(),
    }
}

fn opened_json(session: &[u8], m: &Metadata) -> Value {
    let mut v = meta_json(m);
    v["payload"] = json!(hex::encode(session));
    v
}

/// The metadata of the previous session, by opening what the command carries.
fn previous(codec: &Codec<Session>, cmd: &Value) -> Result<Option<Metadata>, Value> {
    let at = time(cmd["previous_now"].as_u64().unwrap_or(0));
    if let Some(t) = cmd["previous_token"].as_str() {
        let opened = codec.open_token_bytes(t, at).map_err(|e| error_json(&e))?;
        return Ok(Some(opened.metadata));
    }
    if cmd["previous_cookie_header"].is_null() {
        return Ok(None);
    }
    let request: RequestCookies<'_> = strings(&cmd["previous_cookie_header"])
        .into_iter()
        .collect();
    match codec.open_bytes(&request, at) {
        Ok(Some(opened)) => Ok(Some(opened.metadata)),
        Ok(None) => Err(bad("previous session absent")),
        Err(e) => Err(error_json(&e)),
    }
}

fn run(cmd: &Value) -> Result<Value, Value> {
    let now = time(cmd["now"].as_u64().unwrap_or(0));
    match cmd["op"].as_str() {
        Some("seal") => {
            let codec = codec(cmd)?;
            let payload = hex::decode(cmd["payload"].as_str().unwrap_or_default())
                .map_err(|_| bad("payload"))?;
            let prev = previous(&codec, cmd)?;
            let new_lifetime = match &cmd["lifetime"] {
                Value::Null => None,
                v if prev.is_some() => {
                    return Err(bad(&format!("lifetime with a previous session: {v}")));
                }
                v => Some(lifetime(v)?),
            };
            if cmd["kind"] == "token" {
                let token = match &new_lifetime {
                    Some(l) => codec.seal_token_new(&payload, l, now),
                    None => codec.seal_token_bytes(&payload, prev.as_ref(), now),
                }
                .map_err(|e| error_json(&e))?;
                Ok(json!({ "token": token }))
            } else {
                let request: RequestCookies<'_> =
                    strings(&cmd["request_cookie_header"]).into_iter().collect();
                let sealed = match &new_lifetime {
                    Some(l) => codec.seal_new(&payload, l, &request, now),
                    None => codec.seal_bytes(&payload, prev.as_ref(), &request, now),
                }
                .map_err(|e| error_json(&e))?;
                Ok(json!({
                    "set_cookie": sealed.headers(),
                    "chunk_count": sealed.chunk_count(),
                    "deleted_count": sealed.deleted_count(),
                    "cookie_header_bytes": sealed.cookie_header_bytes(),
                    "meta": meta_json(sealed.metadata()),
                }))
            }
        }
        Some("open") => {
            let codec = codec(cmd)?;
            let typed = cmd["typed"].as_bool().unwrap_or(false);
            if let Some(t) = cmd["token"].as_str() {
                let opened = if typed {
                    codec.open_token(t, now)
                } else {
                    codec.open_token_bytes(t, now)
                }
                .map_err(|e| error_json(&e))?;
                return Ok(opened_json(&opened.session, &opened.metadata));
            }
            let request: RequestCookies<'_> = strings(&cmd["cookie_header"]).into_iter().collect();
            let opened = if typed {
                codec.open(&request, now)
            } else {
                codec.open_bytes(&request, now)
            };
            match opened.map_err(|e| error_json(&e))? {
                Some(opened) => Ok(opened_json(&opened.session, &opened.metadata)),
                None => Ok(json!({ "none": true })),
            }
        }
        Some("keyring") => {
            let ring = Keyring::from_text(cmd["text"].as_str().ok_or_else(|| bad("text"))?)
                .map_err(|e| error_json(&e))?;
            let primary = ring.primary(now).map(|k| k.id().to_string());
            Ok(json!({ "text": ring.to_text().as_str(), "primary": primary }))
        }
        Some("derive") => {
            let master = hex::decode(cmd["master"].as_str().unwrap_or_default())
                .map_err(|_| bad("master"))?;
            let key = Key::derive(&master, cmd["purpose"].as_str().unwrap_or_default())
                .map_err(|e| error_json(&e))?;
            let ring = Keyring::new([key]).map_err(|e| error_json(&e))?;
            Ok(json!({ "text": ring.to_text().as_str() }))
        }
        _ => Err(bad("op")),
    }
}

fn main() -> io::Result<()> {
    let stdin = io::stdin();
    let mut out = io::stdout().lock();
    for line in stdin.lock().lines() {
        let line = line?;
        if line.trim().is_empty() {
            continue;
        }
        let answer = match serde_json::from_str::<Value>(&line) {
            Ok(cmd) => run(&cmd).unwrap_or_else(|e| e),
            Err(_) => bad("not JSON"),
        };
        writeln!(out, "{answer}")?;
        out.flush()?;
    }
    Ok(())
}
