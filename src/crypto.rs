//! The two sealing primitives, keyed once per keyring key.
//!
//! * Encrypted mode: XAES-256-GCM (C2SP), AES-256-GCM with a 192-bit random nonce from which a
//!   per-message key is derived. FORMAT.md states its nonce-collision bound.
//! * Signed mode: HMAC-SHA256 with the full 32-byte tag, verified in constant time.
//!
//! The two modes never share key material: each is keyed with its own HKDF-Expand output of the
//! keyring key (FORMAT.md, "Subkeys").

use hkdf::Hkdf;
use hmac::{Hmac, KeyInit, Mac};
use sha2::Sha256;
use xaes_256_gcm::Xaes256Gcm;
use xaes_256_gcm::aead::AeadInOut;
use zeroize::Zeroizing;

use crate::error::Error;
use crate::keyring::KEY_LEN;

pub(crate) const NONCE_LEN: usize = 24;
pub(crate) const AEAD_TAG_LEN: usize = 16;
pub(crate) const MAC_TAG_LEN: usize = 32;

const XAES_INFO: &[u8] = b"sealed-session/v1/xaes-256-gcm";
const HMAC_INFO: &[u8] = b"sealed-session/v1/hmac-sha256";

/// Both ciphers of one key, with their key schedules computed once. Both zeroize their state on
/// drop (`xaes-256-gcm` and `hmac` are built with their `zeroize` features).
#[derive(Clone)]
pub(crate) struct KeyCipher {
    xaes: Xaes256Gcm,
    hmac: Hmac<Sha256>,
}

impl KeyCipher {
    pub(crate) fn new(secret: &[u8; KEY_LEN]) -> Self {
        let hkdf = Hkdf::<Sha256>::from_prk(secret).expect("32 bytes is SHA-256's output size");
        let mut subkey = Zeroizing::new([0u8; 32]);
        hkdf.expand(XAES_INFO, &mut subkey[..])
            .expect("32 bytes is within HKDF's limit");
        let xaes = Xaes256Gcm::new((&*subkey).into());
        hkdf.expand(HMAC_INFO, &mut subkey[..])
            .expect("32 bytes is within HKDF's limit");
        let hmac = <Hmac<Sha256> as KeyInit>::new_from_slice(&subkey[..])
            .expect("HMAC takes keys of any length");
        KeyCipher { xaes, hmac }
    }

    /// Encrypts `buf` in place and returns the tag.
    pub(crate) fn encrypt(
        &self,
        nonce: &[u8; NONCE_LEN],
        aad: &[u8],
        buf: &mut [u8],
    ) -> Result<[u8; AEAD_TAG_LEN], Error> {
        let tag = self
            .xaes
            .encrypt_inout_detached(nonce.into(), aad, buf.into())
            // Only reachable past AES-GCM's 64 GiB message limit, far above any budget.
            .map_err(|_| Error::InvalidConfig { reason: "message exceeds AES-GCM limits" })?;
        Ok(tag.into())
    }

    /// Decrypts `buf` in place after verifying `tag` (in constant time, inside `aes-gcm`).
    /// On failure the caller discards `buf`.
    pub(crate) fn decrypt(
        &self,
        nonce: &[u8; NONCE_LEN],
        aad: &[u8],
        buf: &mut [u8],
        tag: &[u8; AEAD_TAG_LEN],
    ) -> Result<(), Error> {
        self.xaes
            .decrypt_inout_detached(nonce.into(), aad, buf.into(), tag.into())
            .map_err(|_| Error::Authentication)
    }

    /// HMAC-SHA256 over `aad || data`.
    pub(crate) fn sign(&self, aad: &[u8], data: &[u8]) -> [u8; MAC_TAG_LEN] {
        let mut mac = self.hmac.clone();
        mac.update(aad);
        mac.update(data);
        mac.finalize().into_bytes().into()
    }

    /// Verifies an HMAC-SHA256 tag over `aad || data` in constant time (`Mac::verify_slice`,
    /// which compares with `subtle`).
    pub(crate) fn verify(&self, aad: &[u8], data: &[u8], tag: &[u8]) -> Result<(), Error> {
        let mut mac = self.hmac.clone();
        mac.update(aad);
        mac.update(data);
        mac.verify_slice(tag).map_err(|_| Error::Authentication)
    }
}
