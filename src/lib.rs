//! Sessions in sealed cookies, readable by every node of a cluster.
//!
//! `sealed-session` keeps a web application's session state in the client's cookies, sealed
//! with authenticated encryption (XAES-256-GCM, the default) or signed (HMAC-SHA256), so any
//! node holding the keyring can serve any request: no sticky routing, no replication, no
//! session server.
//!
//! * [`Codec`] seals a `T: Serialize` into `Set-Cookie` lines (chunked across cookies when
//!   large, within a per-cookie limit and a total budget) and opens the request's `Cookie`
//!   header back into a `T` with its [`Metadata`]. Tokens ([`Codec::seal_token`]) carry the same
//!   sealed value in a header or URL.
//! * [`Keyring`] holds the keys; the primary is chosen by time, so rotation is scheduled once
//!   and happens on every node together ([`Key::with_not_before`]).
//! * Every value binds the format version, mode, key id, usage (cookie or token), cookie name
//!   and purpose, and carries a random 128-bit session id, its issue and seal times, its
//!   lifetime (fixed at the first seal) and the schema version of its data.
//!
//! The core does no I/O: time is an argument and randomness comes from the OS (or an injected
//! [`RandomSource`] for tests). FORMAT.md specifies the wire format; SECURITY.md the threat model.
//!
//! Adapters for web stacks sit behind cargo features and add nothing to the core otherwise:
//! `http` (the `http` crate's `HeaderMap`: module `http`), `axum` (module `axum`: a layer and a
//! `Session<T>` extractor) and `actix` (module `actix`: middleware and the same extractor). The
//! `cli` feature builds the `sealed-session` operator tool (keys, inspect, open).
//!
//! The default feature `aws-lc` runs XAES-256-GCM on AWS-LC (through `aws-lc-rs`), two to three
//! times faster than the pure-Rust RustCrypto crates; with `default-features = false` the crate
//! is pure Rust. Both produce the same bytes (the test vectors and C2SP known-answer tests run
//! against either).
//!
//! # Example
//!
//! ```
//! use std::time::{Duration, SystemTime};
//! use serde::{Deserialize, Serialize};
//! use sealed_session::{Codec, Key, Keyring, RequestCookies};
//!
//! #[derive(Serialize, Deserialize, Debug, PartialEq)]
//! struct Session { user: String, visits: u32 }
//!
//! let now = SystemTime::UNIX_EPOCH + Duration::from_secs(1_800_000_000);
//! let codec = Codec::<Session>::builder(Keyring::generate()?).build()?;
//!
//! let sealed = codec.seal(&Session { user: "alice".into(), visits: 1 }, None, &RequestCookies::new(), now)?;
//! let cookie_header: Vec<&str> = sealed.headers().iter().map(|l| l.split(';').next().unwrap()).collect();
//! let cookie_header = cookie_header.join("; ");
//!
//! let opened = codec.open(&RequestCookies::from_header(&cookie_header), now)?.expect("a session");
//! assert_eq!(opened.session.visits, 1);
//! # Ok::<(), sealed_session::Error>(())
//! ```
#![forbid(unsafe_code)]
#![deny(missing_docs)]
#![warn(clippy::all)]

/// The README's examples, compiled and run as doctests.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
struct ReadmeDoctests;

#[cfg(any(feature = "http", feature = "axum", feature = "actix"))]
mod adapters;
mod base64url;
mod chunk;
mod codec;
mod cookie;
mod crypto;
mod envelope;
mod error;
mod expiry;
mod inspect;
mod keyring;
mod random;
#[cfg(feature = "reload")]
pub mod reload;
mod session;
pub mod testing;
mod time;

pub use chunk::MAX_CHUNKS;
pub use codec::{
    Codec, CodecBuilder, DEFAULT_COOKIE_NAME, DEFAULT_MAX_COOKIE_BYTES, DEFAULT_MAX_TOTAL_BYTES,
    DEFAULT_PURPOSE, LiveKeyring, MAX_COOKIE_BYTES, MAX_TOTAL_BYTES,
};
pub use cookie::{CookieAttributes, RequestCookies, SameSite};
pub use envelope::Mode;
pub use error::{ChunkError, Error};
pub use expiry::{Expiry, Lifetime};
pub use inspect::Inspection;
pub use keyring::{
    KEY_LEN, Key, KeyId, KeyState, Keyring, MAX_KEYRING_TEXT_LEN, MAX_KEYS, MIN_MASTER_LEN,
};
pub use random::{OsRandom, RandomSource};
pub use session::{Metadata, Opened, ResealReason, SealedCookies, SessionId};

#[cfg(all(feature = "redis-revocation", any(feature = "axum", feature = "actix")))]
pub use adapters::session::{
    Propagation, RedisRevocation, RedisRevocationBuilder, StartError, SyncStatus,
};
#[cfg(all(
    feature = "redis-revocation",
    not(any(feature = "axum", feature = "actix"))
))]
compile_error!(
    "feature `redis-revocation` needs `axum` or `actix`: the layers are what consult a revocation hook"
);
#[cfg(all(feature = "redis-store", any(feature = "axum", feature = "actix")))]
pub use adapters::session::RedisStore;
#[cfg(all(feature = "redis-store", not(any(feature = "axum", feature = "actix"))))]
compile_error!(
    "feature `redis-store` needs `axum` or `actix`: the layers are what use a session store"
);
#[cfg(feature = "actix")]
pub use adapters::actix;
#[cfg(feature = "axum")]
pub use adapters::axum;
#[cfg(any(feature = "axum", feature = "actix"))]
pub use adapters::clock::{Clock, ManualClock};
#[cfg(feature = "http")]
pub use adapters::http;
#[cfg(all(feature = "metrics", any(feature = "axum", feature = "actix")))]
pub use adapters::metrics;
#[cfg(any(feature = "axum", feature = "actix"))]
pub use adapters::session::cross_site::{CrossSite, CrossSiteRefusal, CrossSiteRequest};
#[cfg(any(feature = "axum", feature = "actix"))]
pub use adapters::session::{
    LayerPolicy, MAX_STORED_ENTRY_BYTES, MemoryStore, ResponseHeaders, Revocation, RevocationList,
    Session, SessionStore, StoreError, StoreFuture, StoreKey, StoreOptions, ValidAfter,
};
