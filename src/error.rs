//! The crate's one error type.
//!
//! Every failure of `open` that depends on a secret (a wrong tag, a value sealed under another
//! name, purpose, mode or key) is the single variant [`Error::Authentication`], so a client learns
//! nothing from the error beyond "no". The other variants describe facts that are visible without
//! any key (the value is not valid base64, a chunk is missing, the key id is not in the keyring)
//! or that are only reached after authentication succeeded (expired): telling operators which one
//! happened is useful and leaks nothing.

use core::fmt;
use std::time::SystemTime;

use crate::keyring::KeyId;

/// What went wrong while sealing or opening a session.
///
/// No variant carries key material, plaintext or the sealed value itself, so errors are safe to
/// log. The enum is `#[non_exhaustive]`: match the variants you act on and keep a fallback arm.
///
/// # Example
///
/// ```
/// use sealed_session::Error;
///
/// let err = Error::TooLarge { needed: 9000, budget: 6144 };
/// assert_eq!(
///     err.to_string(),
///     "sealed session needs 9000 bytes but the budget is 6144"
/// );
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Error {
    /// The value failed authentication: it was forged or altered, or sealed under another cookie
    /// name, purpose, mode or key. Deliberately one variant with no detail (no oracle).
    Authentication,
    /// The value is not a well-formed sealed session (bad base64, too short, unknown format
    /// byte, bad chunk frame). The reason is a fixed description of the structural fault.
    Malformed {
        /// Which structural rule the input broke.
        reason: &'static str,
    },
    /// The value names a key id that this keyring does not hold. Another node's keyring may
    /// (a key roll-out in progress): the adapters leave such cookies alone.
    UnknownKey {
        /// The key id the value carried (key ids are public).
        key_id: KeyId,
    },
    /// The value names a key this keyring holds but has retired (past its `not_after`): it
    /// never opens again, on any node that holds the same keyring.
    RetiredKey {
        /// The key id the value carried (key ids are public).
        key_id: KeyId,
    },
    /// The session is past its absolute lifetime or its idle timeout.
    Expired {
        /// When it expired.
        at: SystemTime,
    },
    /// The session claims to have been issued or sealed later than `now` plus the allowed clock
    /// skew.
    NotYetValid,
    /// The request's chunk cookies do not form one complete sealed value.
    Chunks(ChunkError),
    /// Sealing would need more bytes than the configured budget allows, or an incoming value is
    /// larger than the budget. Nothing was sent or decoded.
    TooLarge {
        /// Bytes needed (for cookies: the `name=value` pairs the browser sends back, with their
        /// `"; "` separators; for tokens: the token length).
        needed: usize,
        /// Bytes allowed: the total budget, or what [`MAX_CHUNKS`](crate::MAX_CHUNKS) cookies
        /// within the per-cookie limit can carry when that is smaller.
        budget: usize,
    },
    /// No key in the keyring may seal at this time (every key's `not_before` is still in the
    /// future, or every key is past its `not_after`).
    NoSealingKey,
    /// Authentication succeeded but the payload did not deserialize as the session type of its
    /// schema version (the type changed without a new schema version), or the session could
    /// not be serialized.
    Serialization {
        /// A fixed description; the payload itself is never included.
        reason: &'static str,
    },
    /// Authentication succeeded but the value was written in a schema version of the session
    /// type that this codec does not read (a newer release wrote it, or an older version no
    /// longer registered): see [`CodecBuilder::open_older_schema`](crate::CodecBuilder::open_older_schema).
    UnknownSchema {
        /// The schema version the value carries.
        version: u32,
    },
    /// A write (set, update, sign-in) was refused because the request carries session cookies
    /// that this node cannot read but another node or a later request may (`cause`): replacing
    /// them could destroy a live session. Answer 503 with `Retry-After`, so the load balancer
    /// or the client tries again (another node, or once the cause has passed).
    OverwriteRefused {
        /// Why the request's session did not open here.
        cause: Box<Error>,
    },
    /// The session was signed out (`Session::clear` of the web adapters, from another
    /// clone of the handle) while an update of it ran: nothing was written, so the sign-out
    /// stands and the session does not come back under a fresh id.
    SessionCleared,
    /// A revocation list (`RevocationList`, `ValidAfter` of the web adapters) holds as many
    /// live revocations as its capacity: nothing is evicted early, since that would bring a
    /// revoked session back. Raise the capacity or shorten session lifetimes.
    RevocationListFull {
        /// The list's capacity.
        capacity: usize,
    },
    /// A stored session's entry (the server-side store of the web adapters) is missing: it
    /// expired, was removed at sign-out, or the store lost it. The request is served as one
    /// without a session; the next write replaces the reference cookie.
    StoreEntryMissing,
    /// The server-side store did not answer (unreachable, timed out, full). A request whose
    /// entry could not be loaded is served without a session and its cookies are left alone;
    /// a change whose entry could not be saved is answered 503 and not written.
    StoreUnavailable {
        /// The store's description of the failure (never an entry or a secret).
        reason: String,
    },
    /// A keyring's text form could not be parsed.
    InvalidKeyring {
        /// The 1-based position of the offending entry (0 for the header).
        entry: usize,
        /// Which rule the entry broke. The entry text is never echoed: it may hold a secret.
        reason: &'static str,
    },
    /// A codec or keyring configuration is invalid (bad cookie name, prefix rules broken,
    /// limits out of range, duplicate key ids, ambiguous primary key).
    InvalidConfig {
        /// Which rule the configuration broke.
        reason: &'static str,
    },
    /// The operating system's random number generator failed.
    Randomness,
    /// A keyring replacement ([`Codec::replace_keyring`](crate::Codec::replace_keyring)) was
    /// refused, and the old keyring kept: the new keyring drops, or retires already, a key that
    /// seals now (here, or on a node whose clock is within the clock-skew allowance). Values
    /// sealed under it would stop opening. Roll the new key out first, and retire the old one
    /// only after the switch (the README's rotation recipe).
    SealingKeyDropped {
        /// The key that seals (key ids are public).
        key_id: KeyId,
    },
    /// A keyring replacement was refused, and the old keyring kept: a key id both keyrings hold
    /// has another secret in the new one, so every value under it would fail authentication
    /// (and be deleted as tampered). A new key needs a new id.
    KeySecretChanged {
        /// The key id whose secret differs (key ids are public; the secrets are not shown).
        key_id: KeyId,
    },
}

/// Why a request's chunk cookies could not be joined.
///
/// # Example
///
/// ```
/// use sealed_session::{ChunkError, Error};
///
/// let err = Error::Chunks(ChunkError::Missing { index: 2 });
/// assert_eq!(err.to_string(), "session cookie chunk 2 is missing");
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum ChunkError {
    /// A chunk the first chunk announces is not in the request.
    Missing {
        /// The missing chunk's index.
        index: usize,
    },
    /// The request carries two head cookies, or two cookies of one chunk name that both match
    /// the head (or more than four of one chunk name): ambiguous, never guessed at.
    Duplicate {
        /// The duplicated chunk's index.
        index: usize,
    },
    /// The request carries a chunk beyond the count the first chunk announces. Not produced
    /// by format-2 openers, which ignore such leftovers (FORMAT.md §5.3); kept for matches
    /// written against earlier releases.
    Extra {
        /// The surplus chunk's index.
        index: usize,
    },
    /// The chunks come from different seals (their generation or count disagree), or a chunk
    /// sits under another chunk's name.
    MixedGeneration,
    /// More chunks than the hard cap.
    TooMany {
        /// How many were announced or found.
        count: usize,
        /// The cap.
        max: usize,
    },
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::Authentication => f.write_str("sealed session failed authentication"),
            Error::Malformed { reason } => write!(f, "malformed sealed session: {reason}"),
            Error::UnknownKey { key_id } => write!(
                f,
                "sealed under key id {key_id}, which this keyring does not hold"
            ),
            Error::RetiredKey { key_id } => write!(
                f,
                "sealed under key id {key_id}, which this keyring has retired"
            ),
            Error::UnknownSchema { version } => write!(
                f,
                "session written in schema version {version}, which this codec does not read"
            ),
            Error::RevocationListFull { capacity } => write!(
                f,
                "the revocation list holds its capacity of {capacity} live revocations"
            ),
            Error::SessionCleared => {
                f.write_str("the session was signed out while this update ran; nothing written")
            }
            Error::StoreEntryMissing => {
                f.write_str("the session's store entry is missing (expired, signed out or lost)")
            }
            Error::StoreUnavailable { reason } => {
                write!(f, "the session store did not answer: {reason}")
            }
            Error::OverwriteRefused { cause } => write!(
                f,
                "refusing to overwrite a session this node cannot read ({cause})"
            ),
            Error::Expired { at } => match at.duration_since(SystemTime::UNIX_EPOCH) {
                Ok(d) => write!(f, "session expired at unix time {}", d.as_secs()),
                Err(_) => f.write_str("session expired"),
            },
            Error::NotYetValid => f.write_str("session is dated in the future beyond clock skew"),
            Error::Chunks(chunk) => fmt::Display::fmt(chunk, f),
            Error::TooLarge { needed, budget } => write!(
                f,
                "sealed session needs {needed} bytes but the budget is {budget}"
            ),
            Error::NoSealingKey => f.write_str("no key in the keyring may seal at this time"),
            Error::Serialization { reason } => write!(f, "session (de)serialization: {reason}"),
            Error::InvalidKeyring { entry, reason } => {
                write!(f, "invalid keyring text (entry {entry}): {reason}")
            }
            Error::InvalidConfig { reason } => write!(f, "invalid configuration: {reason}"),
            Error::Randomness => f.write_str("the operating system random generator failed"),
            Error::SealingKeyDropped { key_id } => write!(
                f,
                "keyring not replaced: the new keyring drops or retires key id {key_id}, which \
                 seals now (or within the clock-skew allowance)"
            ),
            Error::KeySecretChanged { key_id } => write!(
                f,
                "keyring not replaced: the new keyring gives key id {key_id} another secret, so \
                 values under it would fail authentication"
            ),
        }
    }
}

impl fmt::Display for ChunkError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ChunkError::Missing { index } => write!(f, "session cookie chunk {index} is missing"),
            ChunkError::Duplicate { index } => {
                write!(f, "session cookie chunk {index} appears more than once")
            }
            ChunkError::Extra { index } => {
                write!(
                    f,
                    "session cookie chunk {index} is beyond the announced count"
                )
            }
            ChunkError::MixedGeneration => {
                f.write_str("session cookie chunks come from different seals")
            }
            ChunkError::TooMany { count, max } => {
                write!(f, "{count} session cookie chunks exceed the cap of {max}")
            }
        }
    }
}

impl Error {
    /// A short, stable `snake_case` name of the failure (`"authentication"`, `"unknown_key"`,
    /// `"chunks_missing"`...), for log fields and metric labels: it holds nothing about the
    /// value, only which kind of error this is.
    ///
    /// # Example
    ///
    /// ```
    /// use sealed_session::{ChunkError, Error};
    ///
    /// assert_eq!(Error::Authentication.kind(), "authentication");
    /// assert_eq!(Error::Chunks(ChunkError::MixedGeneration).kind(), "chunks_mixed_generation");
    /// ```
    pub fn kind(&self) -> &'static str {
        match self {
            Error::Authentication => "authentication",
            Error::Malformed { .. } => "malformed",
            Error::UnknownKey { .. } => "unknown_key",
            Error::RetiredKey { .. } => "retired_key",
            Error::Expired { .. } => "expired",
            Error::NotYetValid => "not_yet_valid",
            Error::Chunks(ChunkError::Missing { .. }) => "chunks_missing",
            Error::Chunks(ChunkError::Duplicate { .. }) => "chunks_duplicate",
            Error::Chunks(ChunkError::Extra { .. }) => "chunks_extra",
            Error::Chunks(ChunkError::MixedGeneration) => "chunks_mixed_generation",
            Error::Chunks(ChunkError::TooMany { .. }) => "chunks_too_many",
            Error::TooLarge { .. } => "too_large",
            Error::NoSealingKey => "no_sealing_key",
            Error::SealingKeyDropped { .. } => "sealing_key_dropped",
            Error::KeySecretChanged { .. } => "key_secret_changed",
            Error::Serialization { .. } => "serialization",
            Error::UnknownSchema { .. } => "unknown_schema",
            Error::OverwriteRefused { .. } => "overwrite_refused",
            Error::SessionCleared => "session_cleared",
            Error::RevocationListFull { .. } => "revocation_list_full",
            Error::StoreEntryMissing => "store_entry_missing",
            Error::StoreUnavailable { .. } => "store_unavailable",
            Error::InvalidKeyring { .. } => "invalid_keyring",
            Error::InvalidConfig { .. } => "invalid_config",
            Error::Randomness => "randomness",
        }
    }

    /// Whether the cookies whose opening failed with this error can be deleted without losing
    /// anything: every node would agree they never open (tampered, malformed, expired, under a
    /// retired key, broken chunks, or a store entry that is gone). For the other failures
    /// another node, a later request or another release may still open them, or the deletion
    /// could not reach their cause (planted duplicates): unknown key id, not yet valid,
    /// ambiguous duplicates, a store that did not answer, too large for this
    /// node's budget, an unknown schema version, a payload that authenticates but does not
    /// deserialize. The adapters delete on `true` and, on `false`, leave the cookies alone and
    /// refuse writes over them ([`Error::OverwriteRefused`]).
    ///
    /// # Example
    ///
    /// ```
    /// use sealed_session::{ChunkError, Error, KeyId};
    /// assert!(Error::Authentication.cookies_are_dead());
    /// assert!(!Error::UnknownKey { key_id: KeyId::new(7) }.cookies_are_dead());
    /// assert!(!Error::Chunks(ChunkError::Duplicate { index: 0 }).cookies_are_dead());
    /// ```
    pub fn cookies_are_dead(&self) -> bool {
        match self {
            Error::Authentication
            | Error::Malformed { .. }
            | Error::Expired { .. }
            | Error::RetiredKey { .. }
            | Error::StoreEntryMissing => true,
            Error::Chunks(chunk) => !matches!(chunk, ChunkError::Duplicate { .. }),
            Error::UnknownKey { .. }
            | Error::NotYetValid
            | Error::TooLarge { .. }
            | Error::UnknownSchema { .. }
            | Error::Serialization { .. }
            | Error::OverwriteRefused { .. }
            | Error::StoreUnavailable { .. } => false,
            Error::SessionCleared | Error::RevocationListFull { .. } => false,
            // Not open failures: nothing to judge, so nothing is deleted.
            Error::NoSealingKey
            | Error::InvalidKeyring { .. }
            | Error::InvalidConfig { .. }
            | Error::Randomness
            | Error::SealingKeyDropped { .. }
            | Error::KeySecretChanged { .. } => false,
        }
    }
}

impl std::error::Error for Error {}

impl From<ChunkError> for Error {
    fn from(e: ChunkError) -> Self {
        Error::Chunks(e)
    }
}

pub(crate) const fn malformed(reason: &'static str) -> Error {
    Error::Malformed { reason }
}

pub(crate) const fn config(reason: &'static str) -> Error {
    Error::InvalidConfig { reason }
}
