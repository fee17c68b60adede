//! Keys, key ids and the keyring a node holds.
//!
//! Which key seals is a pure function of the keyring and `now`: the *primary* is the key with
//! the latest `not_before` that has passed (a key without `not_before` counts as active since the
//! beginning of time) and whose `not_after` has not. Because it depends only on the set of keys
//! and the clock, never on the order the keys are listed in, every node holding the same keyring
//! switches to a new key at the same moment, and a switch can be scheduled in advance. Two keys
//! with the same `not_before` would make the choice ambiguous, so a keyring refuses them.
//!
//! Every key in the ring opens values (including keys whose `not_before` is still ahead: a node
//! with a faster clock may already seal with them); a key past its `not_after` opens nothing.

mod text;

use core::fmt;
use std::str::FromStr;
use std::time::SystemTime;

use hkdf::Hkdf;
use sha2::Sha256;
use subtle::ConstantTimeEq;
use zeroize::Zeroizing;

use crate::crypto::KeyCipher;
use crate::error::{Error, config};
use crate::random::{OsRandom, RandomSource};
use crate::time::{from_unix, to_unix};

/// Length in bytes of every key secret.
pub const KEY_LEN: usize = 32;

/// The most keys one keyring holds. Opening scans the ids, so this also bounds that work.
pub const MAX_KEYS: usize = 16;

/// Minimum length of a master secret passed to [`Key::derive`].
pub const MIN_MASTER_LEN: usize = 32;

/// A key's public 32-bit identifier, carried in the clear (but authenticated) in every sealed
/// value so that opening finds its key directly.
///
/// Renders as 8 lowercase hex digits.
///
/// # Example
///
/// ```
/// use sealed_session::KeyId;
///
/// let id: KeyId = "0a1b2c3d".parse()?;
/// assert_eq!(id, KeyId::new(0x0a1b_2c3d));
/// assert_eq!(id.to_string(), "0a1b2c3d");
/// # Ok::<(), sealed_session::Error>(())
/// ```
#[derive(Clone, Copy, Eq)]
pub struct KeyId(u32);

impl KeyId {
    /// A key id from its numeric value.
    ///
    /// # Example
    ///
    /// ```
    /// assert_eq!(sealed_session::KeyId::new(7).to_string(), "00000007");
    /// ```
    pub const fn new(id: u32) -> Self {
        KeyId(id)
    }

    /// The numeric value.
    ///
    /// # Example
    ///
    /// ```
    /// assert_eq!(sealed_session::KeyId::new(7).get(), 7);
    /// ```
    pub const fn get(self) -> u32 {
        self.0
    }

    pub(crate) const fn to_bytes(self) -> [u8; 4] {
        self.0.to_be_bytes()
    }
}

/// Constant-time, so scanning a keyring for an id takes the same time per key whatever the id.
impl PartialEq for KeyId {
    fn eq(&self, other: &Self) -> bool {
        self.0.ct_eq(&other.0).into()
    }
}

impl core::hash::Hash for KeyId {
    fn hash<H: core::hash::Hasher>(&self, state: &mut H) {
        self.0.hash(state);
    }
}

impl fmt::Display for KeyId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:08x}", self.0)
    }
}

impl fmt::Debug for KeyId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "KeyId({self})")
    }
}

impl FromStr for KeyId {
    type Err = Error;

    fn from_str(s: &str) -> Result<Self, Error> {
        text::parse_key_id(s)
            .map(KeyId)
            .ok_or(config("a key id is exactly 8 hex digits"))
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
    id: KeyId,
    secret: Zeroizing<[u8; KEY_LEN]>,
    not_before: Option<u64>,
    not_after: Option<u64>,
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
        Key {
            id,
            secret: Zeroizing::new(secret),
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
        let mut secret = [0u8; KEY_LEN];
        secret.copy_from_slice(&okm[..KEY_LEN]);
        let id = u32::from_be_bytes([okm[32], okm[33], okm[34], okm[35]]);
        let key = Key::new(KeyId(id), secret);
        zeroize::Zeroize::zeroize(&mut secret);
        key
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

    fn opens_at(&self, now: u64) -> bool {
        self.not_after.is_none_or(|na| now < na)
    }

    fn seals_at(&self, now: u64) -> bool {
        self.opens_at(now) && self.not_before.is_none_or(|nb| nb <= now)
    }

    fn state_at(&self, now: u64, primary: Option<KeyId>) -> KeyState {
        if !self.opens_at(now) {
            KeyState::Retired
        } else if primary == Some(self.id) {
            KeyState::Primary
        } else if self.not_before.is_some_and(|nb| nb > now) {
            KeyState::Pending
        } else {
            KeyState::Previous
        }
    }
}

/// The secret lives in `Zeroizing`, which wipes it on drop.
impl zeroize::ZeroizeOnDrop for Key {}

/// Constant-time over the secret.
impl PartialEq for Key {
    fn eq(&self, other: &Self) -> bool {
        let same_secret: bool = self.secret.ct_eq(&*other.secret).into();
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

/// Where a key stands at a given moment, as [`Keyring::state`] reports it.
///
/// # Example
///
/// ```
/// use std::time::SystemTime;
/// use sealed_session::{Key, KeyId, KeyState, Keyring};
///
/// let ring = Keyring::new([Key::new(KeyId::new(1), [1; 32])])?;
/// assert_eq!(ring.state(KeyId::new(1), SystemTime::now()), Some(KeyState::Primary));
/// # Ok::<(), sealed_session::Error>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum KeyState {
    /// Seals new values now (and opens).
    Primary,
    /// Scheduled: its `not_before` is ahead. Opens already, seals from then on.
    Pending,
    /// Active but superseded by a later primary: opens, and values under it are re-sealed.
    Previous,
    /// Past its `not_after`: neither seals nor opens.
    Retired,
}

impl fmt::Display for KeyState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            KeyState::Primary => "primary",
            KeyState::Pending => "pending",
            KeyState::Previous => "previous",
            KeyState::Retired => "retired",
        })
    }
}

#[derive(Clone)]
struct Entry {
    key: Key,
    cipher: KeyCipher,
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
    entries: Vec<Entry>,
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
        let mut entries: Vec<Entry> = Vec::new();
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
            let cipher = KeyCipher::new(&key.secret);
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

    /// The key that seals at `now`, if any (see the module documentation for the rule).
    ///
    /// # Example
    ///
    /// ```
    /// use std::time::SystemTime;
    /// let ring = sealed_session::Keyring::generate()?;
    /// assert!(ring.primary(SystemTime::now()).is_some());
    /// # Ok::<(), sealed_session::Error>(())
    /// ```
    pub fn primary(&self, now: SystemTime) -> Option<&Key> {
        self.primary_entry(to_unix(now)).map(|(key, _)| key)
    }

    /// The state of key `id` at `now`, or `None` if the ring does not hold it.
    ///
    /// # Example
    ///
    /// ```
    /// use std::time::SystemTime;
    /// use sealed_session::{KeyId, Keyring};
    /// let ring = Keyring::generate()?;
    /// assert_eq!(ring.state(KeyId::new(0xffff_ffff) , SystemTime::now()).is_some(),
    ///            ring.keys().any(|k| k.id() == KeyId::new(0xffff_ffff)));
    /// # Ok::<(), sealed_session::Error>(())
    /// ```
    pub fn state(&self, id: KeyId, now: SystemTime) -> Option<KeyState> {
        let now = to_unix(now);
        let primary = self.primary_entry(now).map(|(key, _)| key.id);
        self.entries
            .iter()
            .find(|e| e.key.id == id)
            .map(|e| e.key.state_at(now, primary))
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

    pub(crate) fn primary_entry(&self, now: u64) -> Option<(&Key, &KeyCipher)> {
        self.entries
            .iter()
            .filter(|e| e.key.seals_at(now))
            .max_by_key(|e| e.key.not_before)
            .map(|e| (&e.key, &e.cipher))
    }

    /// Whether a value sealed under `id` should move to the primary: `id` is an older key than
    /// the primary (an earlier `not_before`). A key newer than this node's primary (scheduled,
    /// but already sealing on a node whose clock runs ahead) is not superseded: re-sealing under
    /// the older primary would move the session backwards.
    pub(crate) fn superseded(&self, id: KeyId, now: u64) -> bool {
        let Some((primary, _)) = self.primary_entry(now) else {
            return false;
        };
        self.entries
            .iter()
            .find(|e| e.key.id == id)
            .is_some_and(|e| e.key.id != primary.id && e.key.not_before < primary.not_before)
    }

    /// The primary key's id and its CSRF tag over `data` at `now` (`None` without a primary).
    /// The tag is keyed with the key's CSRF subkey, never with its sealing subkeys.
    pub(crate) fn csrf_sign(&self, data: &[u8], now: u64) -> Option<(KeyId, [u8; 32])> {
        self.primary_entry(now)
            .map(|(key, cipher)| (key.id, cipher.csrf_tag(data)))
    }

    /// Whether `tag` is key `id`'s CSRF tag over `data`, for a key the ring holds and that is
    /// not past `not_after` at `now` (the keys that open values): a token outlives a rotation
    /// for as long as its key stays in the ring. Compared in constant time.
    pub(crate) fn csrf_verify(&self, id: KeyId, data: &[u8], tag: &[u8], now: u64) -> bool {
        self.opener(id, now)
            .is_some_and(|cipher| cipher.csrf_verify(data, tag))
    }

    /// Whether the keyring holds a key with this id, whatever its state.
    pub(crate) fn holds(&self, id: KeyId) -> bool {
        self.entries.iter().any(|e| e.key.id == id)
    }

    /// The cipher for `id` if the ring holds it and it is not past `not_after`. Ids are public;
    /// the scan compares them in constant time anyway and is bounded by [`MAX_KEYS`].
    pub(crate) fn opener(&self, id: KeyId, now: u64) -> Option<&KeyCipher> {
        self.entries
            .iter()
            .find(|e| e.key.id == id && e.key.opens_at(now))
            .map(|e| &e.cipher)
    }
}

/// Its keys wipe their secrets; its ciphers wipe their key schedules (`xaes-256-gcm` and `sha2`
/// are built with their `zeroize` features).
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
