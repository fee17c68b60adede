//! The pure-Rust backend: RustCrypto's `xaes-256-gcm` (encrypted mode, unless the `aws-lc`
//! feature replaces it) and `hmac` (signed mode, in every build).
//!
//! Key material: `Xaes256Gcm` keeps the AES-256 key schedule of `K_enc` and `Hmac<Sha256>` the
//! inner and outer SHA-256 states of `K_mac`; both crates are built with their `zeroize`
//! features, so both are wiped on drop. The per-message AES-256-GCM key and schedule live inside
//! `xaes-256-gcm` for one call and are zeroized by it.

use hmac::{Hmac, KeyInit, Mac as _};
use sha2::Sha256;
#[cfg(any(not(feature = "aws-lc"), test))]
use xaes_256_gcm::aead::AeadInOut;

use super::MAC_TAG_LEN;
#[cfg(any(not(feature = "aws-lc"), test))]
use super::{AEAD_TAG_LEN, NONCE_LEN, too_long};
use crate::error::Error;

/// XAES-256-GCM under one 256-bit key, its key schedule computed once. With `aws-lc`, only the
/// tests build it, to compare the two backends.
#[cfg(any(not(feature = "aws-lc"), test))]
pub(super) struct Xaes(xaes_256_gcm::Xaes256Gcm);

#[cfg(any(not(feature = "aws-lc"), test))]
impl Xaes {
    pub(super) fn new(key: &[u8; 32]) -> Self {
        Xaes(xaes_256_gcm::Xaes256Gcm::new(key.into()))
    }

    pub(super) fn encrypt(
        &self,
        nonce: &[u8; NONCE_LEN],
        aad: &[u8],
        buf: &mut [u8],
    ) -> Result<[u8; AEAD_TAG_LEN], Error> {
        let tag = self
            .0
            .encrypt_inout_detached(nonce.into(), aad, buf.into())
            .map_err(|_| too_long())?;
        Ok(tag.into())
    }

    pub(super) fn decrypt(
        &self,
        nonce: &[u8; NONCE_LEN],
        aad: &[u8],
        buf: &mut [u8],
        tag: &[u8; AEAD_TAG_LEN],
    ) -> Result<(), Error> {
        self.0
            .decrypt_inout_detached(nonce.into(), aad, buf.into(), tag.into())
            .map_err(|_| Error::Authentication)
    }
}

/// HMAC-SHA256 under one key, its inner and outer states computed once. Each message clones
/// the two states onto the stack (`Hmac` is consumed by `finalize`); the clone is wiped when
/// it drops (sha2's `zeroize` feature wipes `Sha256VarCore` on drop).
pub(super) struct Mac(Hmac<Sha256>);

impl Mac {
    pub(super) fn new(key: &[u8]) -> Self {
        Mac(<Hmac<Sha256> as KeyInit>::new_from_slice(key).expect("HMAC takes keys of any length"))
    }

    pub(super) fn sign(&self, aad: &[u8], data: &[u8]) -> [u8; MAC_TAG_LEN] {
        let mut mac = self.0.clone();
        mac.update(aad);
        mac.update(data);
        mac.finalize().into_bytes().into()
    }

    /// Compares in constant time (`Mac::verify_slice`, with `subtle`).
    pub(super) fn verify(&self, aad: &[u8], data: &[u8], tag: &[u8]) -> Result<(), Error> {
        let mut mac = self.0.clone();
        mac.update(aad);
        mac.update(data);
        mac.verify_slice(tag).map_err(|_| Error::Authentication)
    }
}
