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
            .map_err(|_| Error::InvalidConfig {
                reason: "message exceeds AES-GCM limits",
            })?;
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

/// Known-answer tests of the XAES-256-GCM implementation against the C2SP specification
/// (c2sp.org/XAES-256-GCM): its two vectors and its accumulated randomized test.
#[cfg(test)]
mod c2sp_xaes {
    use shake::{ExtendableOutput, Shake128, Update, XofReader};
    use xaes_256_gcm::Xaes256Gcm;
    use xaes_256_gcm::aead::{AeadInOut, KeyInit};

    fn seal(key: &[u8; 32], nonce: &[u8; 24], plaintext: &[u8], aad: &[u8]) -> Vec<u8> {
        let cipher = Xaes256Gcm::new(key.into());
        let mut buf = plaintext.to_vec();
        let tag = cipher
            .encrypt_inout_detached(nonce.into(), aad, buf.as_mut_slice().into())
            .unwrap();
        buf.extend_from_slice(&tag);
        buf
    }

    #[test]
    fn spec_vector_msb_zero() {
        let ct = seal(&[1; 32], b"ABCDEFGHIJKLMNOPQRSTUVWX", b"XAES-256-GCM", b"");
        assert_eq!(
            hex::encode(ct),
            "ce546ef63c9cc60765923609b33a9a1974e96e52daf2fcf7075e2271"
        );
    }

    #[test]
    fn spec_vector_msb_one() {
        let ct = seal(
            &[3; 32],
            b"ABCDEFGHIJKLMNOPQRSTUVWX",
            b"XAES-256-GCM",
            b"c2sp.org/XAES-256-GCM",
        );
        assert_eq!(
            hex::encode(ct),
            "986ec1832593df5443a179437fd083bf3fdb41abd740a21f71eb769d"
        );
    }

    /// 10 000 iterations of (key, nonce, plaintext<0..255>, aad<0..255>) read from one SHAKE-128
    /// stream; the ciphertexts are hashed with another SHAKE-128 and decrypted back.
    #[test]
    fn accumulated_10_000() {
        let mut rng = Shake128::default().finalize_xof();
        let mut hash = Shake128::default();
        let (mut key, mut nonce, mut len) = ([0u8; 32], [0u8; 24], [0u8; 1]);
        for _ in 0..10_000 {
            rng.read(&mut key);
            rng.read(&mut nonce);
            rng.read(&mut len);
            let mut plaintext = vec![0u8; usize::from(len[0])];
            rng.read(&mut plaintext);
            rng.read(&mut len);
            let mut aad = vec![0u8; usize::from(len[0])];
            rng.read(&mut aad);
            let ct = seal(&key, &nonce, &plaintext, &aad);
            hash.update(&ct);

            let cipher = Xaes256Gcm::new((&key).into());
            let (body, tag) = ct.split_at(ct.len() - 16);
            let tag: &[u8; 16] = tag.try_into().unwrap();
            let mut back = body.to_vec();
            cipher
                .decrypt_inout_detached(
                    (&nonce).into(),
                    &aad,
                    back.as_mut_slice().into(),
                    tag.into(),
                )
                .unwrap();
            assert_eq!(back, plaintext);
        }
        let mut digest = [0u8; 32];
        hash.finalize_xof().read(&mut digest);
        assert_eq!(
            hex::encode(digest),
            "e6b9edf2df6cec60c8cbd864e2211b597fb69a529160cd040d56c0c210081939"
        );
    }
}
