//! One key: id, secret and activation window.
//!
//! The secret lives on the heap, in a block of its own that is wiped before it is freed
//! ([`Secret`]): a `Key` holds only a pointer to it, so moving a key (into a `Vec`, out of an
//! iterator, into a keyring; a vector of keys that reallocates) copies the pointer, never the
//! key bytes, and no freed block ever holds them (`tests/freed_memory`).

use core::fmt;
use std::time::SystemTime;

use hkdf::Hkdf;
use sha2::Sha256;
use subtle::ConstantTimeEq;
use zeroize::{Zeroize, Zeroizing};

use super::{KEY_LEN, KeyId, MIN_MASTER_LEN};
use crate::error::{Error, config};
use crate::random::{OsRandom, RandomSource};
use crate::time::{from_unix, to_unix};

/// A key secret in its own heap block, zeroized before the block is freed. Created zeroed and
/// filled in place, and cloned heap to heap, so no constructor here puts the secret on the
/// stack (what a caller passes by value to [`Key::new`] is the caller's copy).
pub(super) struct Secret(Box<[u8; KEY_LEN]>);

impl Secret {
    /// An all-zero secret, to be filled in place.
    pub(super) fn zeroed() -> Self {
        Secret(Box::new([0; KEY_LEN]))
    }

    pub(super) fn from_bytes(bytes: &[u8; KEY_LEN]) -> Self {
        let mut secret = Secret::zeroed();
        secret.0.copy_from_slice(bytes);
        secret
    }

    pub(super) fn bytes(&self) -> &[u8; KEY_LEN] {
        &self.0
    }

    pub(super) fn bytes_mut(&mut self) -> &mut [u8; KEY_LEN] {
        &mut self.0
    }
}

impl Clone for Secret {
    fn clone(&self) -> Self {
        Secret::from_bytes(&self.0)
    }
}

impl Drop for Secret {
    fn drop(&mut self) {
        self.0.zeroize();
    }
}

/// One 256-bit key with its id and optional activation window.
///
/// `Debug` prints the id and dates, never the secret; equality is constant-time; the secret is
/// zeroized when the key is dropped.
///
/// # Example
///
/// ```
/// use std::time::{Duration, SystemTime};
/// use sealed_session::{Key, KeyId};
///
/// let key = Key::new(KeyId::new(1), [7; 32])
///     .with_not_before(SystemTime::UNIX_EPOCH + Duration::from_secs(1_800_000_000));
/// assert!(!format!("{key:?}").contains("07"));
/// ```
#[derive(Clone)]
pub struct Key {
    pub(super) id: KeyId,
    pub(super) secret: Secret,
    pub(super) not_before: Option<u64>,
    pub(super) not_after: Option<u64>,
}

impl Key {
    /// A key from raw secret bytes. The secret must come from a CSPRNG or a KDF.
    ///
    /// # Example
    ///
    /// ```
    /// use sealed_session::{Key, KeyId};
    ///
    /// let key = Key::new(KeyId::new(42), [1; 32]);
    /// assert_eq!(key.id(), KeyId::new(42));
    /// ```
    pub fn new(id: KeyId, secret: [u8; KEY_LEN]) -> Self {
        let mut secret = secret;
        let key = Key::with_secret(id, Secret::from_bytes(&secret));
        // This function's copy; the caller's are the caller's to wipe.
        secret.zeroize();
        key
    }

    pub(super) fn with_secret(id: KeyId, secret: Secret) -> Self {
        Key {
            id,
            secret,
            not_before: None,
            not_after: None,
        }
    }

    /// A fresh key: random secret and random id, from the operating system's generator.
    ///
    /// # Example
    ///
    /// ```
    /// let a = sealed_session::Key::generate()?;
    /// let b = sealed_session::Key::generate()?;
    /// assert_ne!(a, b);
    /// # Ok::<(), sealed_session::Error>(())
    /// ```
    pub fn generate() -> Result<Self, Error> {
        Self::generate_with(&OsRandom)
    }

    /// A fresh key drawn from the given randomness source.
    ///
    /// # Example
    ///
    /// ```
    /// use sealed_session::{Key, OsRandom};
    ///
    /// let key = Key::generate_with(&OsRandom)?;
    /// # let _ = key;
    /// # Ok::<(), sealed_session::Error>(())
    /// ```
    pub fn generate_with(random: &dyn RandomSource) -> Result<Self, Error> {
        let mut bytes = Zeroizing::new([0u8; KEY_LEN + 4]);
        random.fill(&mut bytes[..])?;
        Ok(Self::from_okm(&bytes))
    }

    /// Derives a key (secret and id) from a master secret with HKDF-SHA256, so every node that
    /// holds the master secret computes the same key for the same `purpose` (see FORMAT.md,
    /// "Keys from a master secret"). The master secret must be at least 32 bytes of high entropy.
    ///
    /// # Example
    ///
    /// ```
    /// use sealed_session::Key;
    ///
    /// let master = [9u8; 32];
    /// let k1 = Key::derive(&master, "sessions-2026-11")?;
    /// let k2 = Key::derive(&master, "sessions-2026-11")?;
    /// assert_eq!(k1, k2);
    /// assert_ne!(k1, Key::derive(&master, "sessions-2026-12")?);
    /// # Ok::<(), sealed_session::Error>(())
    /// ```
    pub fn derive(master: &[u8], purpose: &str) -> Result<Self, Error> {
        if master.len() < MIN_MASTER_LEN {
            return Err(config("a master secret must be at least 32 bytes"));
        }
        let hkdf = Hkdf::<Sha256>::new(Some(b"sealed-session/v1/master"), master);
        let mut okm = Zeroizing::new([0u8; KEY_LEN + 4]);
        hkdf.expand_multi_info(
            &[b"sealed-session/v1/key\x00", purpose.as_bytes()],
            &mut okm[..],
        )
        .map_err(|_| config("HKDF output length"))?;
        Ok(Self::from_okm(&okm))
    }

    /// First 32 bytes: secret; last 4: id.
    fn from_okm(okm: &[u8; KEY_LEN + 4]) -> Self {
        let mut secret = Secret::zeroed();
        secret.bytes_mut().copy_from_slice(&okm[..KEY_LEN]);
        let id = u32::from_be_bytes([okm[32], okm[33], okm[34], okm[35]]);
        Key::with_secret(KeyId(id), secret)
    }

    /// The same key, sealing only from `t` on (it opens values at any time).
    ///
    /// # Example
    ///
    /// ```
    /// use std::time::{Duration, SystemTime};
    /// let t = SystemTime::UNIX_EPOCH + Duration::from_secs(1_800_000_000);
    /// let key = sealed_session::Key::new(sealed_session::KeyId::new(1), [0; 32]).with_not_before(t);
    /// assert_eq!(key.not_before(), Some(t));
    /// ```
    #[must_use]
    pub fn with_not_before(mut self, t: SystemTime) -> Self {
        self.not_before = Some(to_unix(t));
        self
    }

    /// The same key, neither sealing nor opening from `t` on.
    ///
    /// # Example
    ///
    /// ```
    /// use std::time::{Duration, SystemTime};
    /// let t = SystemTime::UNIX_EPOCH + Duration::from_secs(1_900_000_000);
    /// let key = sealed_session::Key::new(sealed_session::KeyId::new(1), [0; 32]).with_not_after(t);
    /// assert_eq!(key.not_after(), Some(t));
    /// ```
    #[must_use]
    pub fn with_not_after(mut self, t: SystemTime) -> Self {
        self.not_after = Some(to_unix(t));
        self
    }

    /// The key's id.
    ///
    /// # Example
    ///
    /// ```
    /// let key = sealed_session::Key::new(sealed_session::KeyId::new(5), [0; 32]);
    /// assert_eq!(key.id().get(), 5);
    /// ```
    pub fn id(&self) -> KeyId {
        self.id
    }

    /// When the key starts sealing, if scheduled (whole seconds).
    ///
    /// # Example
    ///
    /// ```
    /// let key = sealed_session::Key::new(sealed_session::KeyId::new(5), [0; 32]);
    /// assert_eq!(key.not_before(), None);
    /// ```
    pub fn not_before(&self) -> Option<SystemTime> {
        self.not_before.map(from_unix)
    }

    /// When the key stops sealing and opening, if set (whole seconds).
    ///
    /// # Example
    ///
    /// ```
    /// let key = sealed_session::Key::new(sealed_session::KeyId::new(5), [0; 32]);
    /// assert_eq!(key.not_after(), None);
    /// ```
    pub fn not_after(&self) -> Option<SystemTime> {
        self.not_after.map(from_unix)
    }
}

/// The secret lives in its own heap block, wiped before it is freed.
impl zeroize::ZeroizeOnDrop for Key {}

/// Constant-time over the secret.
impl PartialEq for Key {
    fn eq(&self, other: &Self) -> bool {
        let same_secret: bool = self.secret.bytes().ct_eq(other.secret.bytes()).into();
        same_secret
            & (self.id == other.id)
            & (self.not_before == other.not_before)
            & (self.not_after == other.not_after)
    }
}

impl Eq for Key {}

impl fmt::Debug for Key {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Key")
            .field("id", &self.id)
            .field("not_before", &self.not_before)
            .field("not_after", &self.not_after)
            .field("secret", &"<redacted>")
            .finish()
    }
}
