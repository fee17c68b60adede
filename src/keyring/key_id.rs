//! Key ids: public, 32 bits, compared in constant time.

use core::fmt;
use std::str::FromStr;

use subtle::ConstantTimeEq;

use super::text;
use crate::error::{Error, config};

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
pub struct KeyId(pub(super) u32);

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
