//! The keyring's entries: each key with its ciphers, built once.
//!
//! An entry holds the key (whose secret is boxed, `key.rs`) and an `Arc` of its ciphers, so the
//! entries vector holds pointers and public dates only: reallocating it, cloning the ring or
//! moving it copies no key material. The ciphers are built once per key (on the stack, then
//! moved into their `Arc`: SECURITY.md on stack copies) and shared by the clones of a ring;
//! the last one dropped wipes them.

use core::fmt;
use std::str::FromStr;
use std::sync::Arc;

use zeroize::Zeroizing;

use super::{Key, MAX_KEYS, text};
use crate::crypto::KeyCipher;
use crate::error::{Error, config};

#[derive(Clone)]
pub(super) struct Entry {
    pub(super) key: Key,
    pub(super) cipher: Arc<KeyCipher>,
}

/// The keys one node holds: the primary seals, every key opens.
///
/// Build it from keys ([`Keyring::new`]), generate one ([`Keyring::generate`]), or parse the
/// one-line text form ([`Keyring::from_text`]) that fits an environment variable. Each key's
/// cipher state is prepared once, here, not per message.
///
/// # Example
///
/// ```
/// use std::time::{Duration, SystemTime};
/// use sealed_session::{Key, KeyId, Keyring};
///
/// let now = SystemTime::UNIX_EPOCH + Duration::from_secs(1_800_000_000);
/// let old = Key::new(KeyId::new(1), [1; 32]);
/// let new = Key::new(KeyId::new(2), [2; 32]).with_not_before(now + Duration::from_secs(60));
/// let ring = Keyring::new([old, new])?;
/// assert_eq!(ring.primary(now).map(|k| k.id()), Some(KeyId::new(1)));
/// assert_eq!(ring.primary(now + Duration::from_secs(60)).map(|k| k.id()), Some(KeyId::new(2)));
/// # Ok::<(), sealed_session::Error>(())
/// ```
#[derive(Clone)]
pub struct Keyring {
    pub(super) entries: Vec<Entry>,
}

impl Keyring {
    /// A keyring from keys. Fails on no keys, more than [`MAX_KEYS`], duplicate ids, two keys
    /// with the same `not_before` (ambiguous primary), or `not_before` not before `not_after`.
    ///
    /// # Example
    ///
    /// ```
    /// use sealed_session::{Key, KeyId, Keyring};
    ///
    /// let dup = Keyring::new([Key::new(KeyId::new(1), [1; 32]), Key::new(KeyId::new(1), [2; 32])]);
    /// assert!(dup.is_err());
    /// ```
    pub fn new(keys: impl IntoIterator<Item = Key>) -> Result<Self, Error> {
        let keys = keys.into_iter();
        // Sized once for the keys announced (an iterator that announces fewer makes it grow,
        // which moves only pointers and dates).
        let mut entries: Vec<Entry> = Vec::with_capacity(keys.size_hint().0.clamp(1, MAX_KEYS));
        for key in keys {
            if entries.len() == MAX_KEYS {
                return Err(config("a keyring holds at most 16 keys"));
            }
            if let (Some(nb), Some(na)) = (key.not_before, key.not_after)
                && nb >= na
            {
                return Err(config(
                    "a key's not_before must be earlier than its not_after",
                ));
            }
            for e in &entries {
                if e.key.id == key.id {
                    return Err(config("two keys share one key id"));
                }
                if e.key.not_before == key.not_before {
                    return Err(config(
                        "two keys share one not_before, so the primary would be ambiguous",
                    ));
                }
            }
            let cipher = KeyCipher::new(key.secret.bytes());
            entries.push(Entry { key, cipher });
        }
        if entries.is_empty() {
            return Err(config("a keyring needs at least one key"));
        }
        Ok(Keyring { entries })
    }

    /// A keyring of one freshly generated key.
    ///
    /// # Example
    ///
    /// ```
    /// let ring = sealed_session::Keyring::generate()?;
    /// assert_eq!(ring.keys().count(), 1);
    /// # Ok::<(), sealed_session::Error>(())
    /// ```
    pub fn generate() -> Result<Self, Error> {
        Keyring::new([Key::generate()?])
    }

    /// The keys, in the order given.
    ///
    /// # Example
    ///
    /// ```
    /// let ring = sealed_session::Keyring::generate()?;
    /// for key in ring.keys() {
    ///     println!("{}", key.id());
    /// }
    /// # Ok::<(), sealed_session::Error>(())
    /// ```
    pub fn keys(&self) -> impl Iterator<Item = &Key> {
        self.entries.iter().map(|e| &e.key)
    }

    /// Parses the one-line text form (see FORMAT.md, "Keyring text form"). Errors name the entry
    /// and the rule it broke, never the text itself.
    ///
    /// # Example
    ///
    /// ```
    /// use sealed_session::Keyring;
    ///
    /// let ring = Keyring::generate()?;
    /// let text = ring.to_text();
    /// let back = Keyring::from_text(&text)?;
    /// assert_eq!(ring, back);
    /// # Ok::<(), sealed_session::Error>(())
    /// ```
    pub fn from_text(s: &str) -> Result<Self, Error> {
        Keyring::new(text::parse(s)?)
    }

    /// Renders the one-line text form, secrets included. The string is zeroized on drop; treat
    /// it like the keys themselves.
    ///
    /// # Example
    ///
    /// ```
    /// use sealed_session::{Key, KeyId, Keyring};
    /// let ring = Keyring::new([Key::new(KeyId::new(1), [0; 32])])?;
    /// assert_eq!(&*ring.to_text(), "ssk1,00000001.AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA");
    /// # Ok::<(), sealed_session::Error>(())
    /// ```
    pub fn to_text(&self) -> Zeroizing<String> {
        text::render(self.keys())
    }
}

/// Its keys wipe their secrets; its ciphers wipe their key schedules and HMAC states when the
/// last ring sharing them drops (`crypto` says how each backend does).
impl zeroize::ZeroizeOnDrop for Keyring {}

impl PartialEq for Keyring {
    fn eq(&self, other: &Self) -> bool {
        self.entries.len() == other.entries.len()
            && self
                .keys()
                .zip(other.keys())
                .fold(true, |acc, (a, b)| acc & (a == b))
    }
}

impl Eq for Keyring {}

impl fmt::Debug for Keyring {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Keyring")
            .field("keys", &self.keys().collect::<Vec<_>>())
            .finish()
    }
}

impl FromStr for Keyring {
    type Err = Error;

    fn from_str(s: &str) -> Result<Self, Error> {
        Keyring::from_text(s)
    }
}
