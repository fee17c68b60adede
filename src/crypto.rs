//! The two sealing primitives, keyed once per keyring key.
//!
//! * Encrypted mode: XAES-256-GCM (C2SP), AES-256-GCM with a 192-bit random nonce from which a
//!   per-message key is derived. FORMAT.md states its nonce-collision bound.
//! * Signed mode: HMAC-SHA256 with the full 32-byte tag, verified in constant time.
//!
//! The two modes never share key material: each is keyed with its own HKDF-Expand output of the
//! keyring key (FORMAT.md, "Subkeys"). A third output keys the session-bound CSRF tokens of the
//! web adapters (`Session::csrf_token`), so a token never reveals anything about the other two.
//!
//! This file is the facade: it derives the subkeys (HKDF-SHA256, RustCrypto, once per key) and
//! hands them to the backends, chosen at build time; the wire format is the same with either:
//!
//! * XAES-256-GCM: `awslc` (cargo feature `aws-lc`, on by default: AWS-LC through `aws-lc-rs`'s
//!   safe API, XAES-256-GCM assembled there from AES-256 ECB for the two derivation blocks and
//!   AES-256-GCM) or `rustcrypto` (`default-features = false`: pure Rust, RustCrypto's
//!   `xaes-256-gcm`).
//! * HMAC-SHA256: RustCrypto's `hmac` in both builds (`awslc` says why).
//!
//! The tests below run the C2SP known-answer tests against the XAES-256-GCM in use and, with
//! `aws-lc`, compare it with the RustCrypto one on random inputs.

use std::sync::Arc;

use hkdf::Hkdf;
use sha2::Sha256;
use zeroize::Zeroizing;

use crate::error::Error;
use crate::keyring::KEY_LEN;

#[cfg(feature = "aws-lc")]
mod awslc;
mod rustcrypto;

#[cfg(feature = "aws-lc")]
use awslc::Xaes;
use rustcrypto::Mac;
#[cfg(not(feature = "aws-lc"))]
use rustcrypto::Xaes;

pub(crate) const NONCE_LEN: usize = 24;
pub(crate) const AEAD_TAG_LEN: usize = 16;
pub(crate) const MAC_TAG_LEN: usize = 32;

const XAES_INFO: &[u8] = b"sealed-session/v1/xaes-256-gcm";
const HMAC_INFO: &[u8] = b"sealed-session/v1/hmac-sha256";
const CSRF_INFO: &[u8] = b"sealed-session/v2/csrf";

/// The error of a message past AES-GCM's limit (2^36 - 32 bytes), far above any budget.
fn too_long() -> Error {
    Error::InvalidConfig {
        reason: "message exceeds AES-GCM limits",
    }
}

/// Both ciphers of one key, with their key schedules computed once. Each backend zeroizes the
/// key material it holds on drop (its module documents how).
///
/// Not `Clone`: it lives in one `Arc` from the moment it is built, so cloning or moving a
/// keyring copies a pointer, never key schedules or HMAC states (SECURITY.md, "Secrets in
/// memory").
pub(crate) struct KeyCipher {
    xaes: Xaes,
    mac: Mac,
    /// HMAC-SHA256 under `K_csrf`, the key's CSRF subkey.
    csrf: Mac,
}

impl KeyCipher {
    /// Derives the three subkeys (each in a `Zeroizing` buffer, overwritten by the next and
    /// wiped at the end) and keys the ciphers with them. The ciphers are built on the stack and
    /// moved into the `Arc`: that move leaves a copy in this stack frame, which nothing wipes
    /// (SECURITY.md).
    pub(crate) fn new(secret: &[u8; KEY_LEN]) -> Arc<Self> {
        let hkdf = Hkdf::<Sha256>::from_prk(secret).expect("32 bytes is SHA-256's output size");
        let mut subkey = Zeroizing::new([0u8; 32]);
        hkdf.expand(XAES_INFO, &mut subkey[..])
            .expect("32 bytes is within HKDF's limit");
        let xaes = Xaes::new(&subkey);
        hkdf.expand(HMAC_INFO, &mut subkey[..])
            .expect("32 bytes is within HKDF's limit");
        let mac = Mac::new(&subkey[..]);
        hkdf.expand(CSRF_INFO, &mut subkey[..])
            .expect("32 bytes is within HKDF's limit");
        let csrf = Mac::new(&subkey[..]);
        Arc::new(KeyCipher { xaes, mac, csrf })
    }

    /// Encrypts `buf` in place and returns the tag.
    pub(crate) fn encrypt(
        &self,
        nonce: &[u8; NONCE_LEN],
        aad: &[u8],
        buf: &mut [u8],
    ) -> Result<[u8; AEAD_TAG_LEN], Error> {
        self.xaes.encrypt(nonce, aad, buf)
    }

    /// Decrypts `buf` in place after verifying `tag` (in constant time, inside the backend).
    /// On failure the caller discards `buf`.
    pub(crate) fn decrypt(
        &self,
        nonce: &[u8; NONCE_LEN],
        aad: &[u8],
        buf: &mut [u8],
        tag: &[u8; AEAD_TAG_LEN],
    ) -> Result<(), Error> {
        self.xaes.decrypt(nonce, aad, buf, tag)
    }

    /// HMAC-SHA256 over `aad || data`.
    pub(crate) fn sign(&self, aad: &[u8], data: &[u8]) -> [u8; MAC_TAG_LEN] {
        self.mac.sign(aad, data)
    }

    /// Verifies an HMAC-SHA256 tag over `aad || data` in constant time.
    pub(crate) fn verify(&self, aad: &[u8], data: &[u8], tag: &[u8]) -> Result<(), Error> {
        self.mac.verify(aad, data, tag)
    }

    /// HMAC-SHA256 over `data` under the CSRF subkey (never the sealing keys).
    pub(crate) fn csrf_tag(&self, data: &[u8]) -> [u8; MAC_TAG_LEN] {
        self.csrf.sign(&[], data)
    }

    /// Verifies a CSRF tag over `data` in constant time.
    pub(crate) fn csrf_verify(&self, data: &[u8], tag: &[u8]) -> bool {
        self.csrf.verify(&[], data, tag).is_ok()
    }
}

/// Known-answer tests of the XAES-256-GCM implementation in use (either backend) against the
/// C2SP specification (c2sp.org/XAES-256-GCM): its two vectors and its accumulated randomized
/// test; and of HMAC-SHA256 against RFC 4231.
#[cfg(test)]
mod c2sp_xaes {
    use shake::{ExtendableOutput, Shake128, Update, XofReader};

    use super::{Mac, Xaes};

    fn seal(key: &[u8; 32], nonce: &[u8; 24], plaintext: &[u8], aad: &[u8]) -> Vec<u8> {
        let mut buf = plaintext.to_vec();
        let tag = Xaes::new(key).encrypt(nonce, aad, &mut buf).unwrap();
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

            let (body, tag) = ct.split_at(ct.len() - 16);
            let tag: &[u8; 16] = tag.try_into().unwrap();
            let mut back = body.to_vec();
            Xaes::new(&key)
                .decrypt(&nonce, &aad, &mut back, tag)
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

    #[test]
    fn decrypt_rejects_any_changed_byte() {
        let xaes = Xaes::new(&[7; 32]);
        let nonce = [9u8; 24];
        let mut buf = b"sealed session".to_vec();
        let tag = xaes.encrypt(&nonce, b"aad", &mut buf).unwrap();
        let mut ok = buf.clone();
        xaes.decrypt(&nonce, b"aad", &mut ok, &tag).unwrap();
        assert_eq!(ok, b"sealed session");
        for i in 0..buf.len() {
            let mut bad = buf.clone();
            bad[i] ^= 1;
            assert!(xaes.decrypt(&nonce, b"aad", &mut bad, &tag).is_err());
        }
        for i in 0..24 {
            let mut bad_nonce = nonce;
            bad_nonce[i] ^= 0x80;
            assert!(
                xaes.decrypt(&bad_nonce, b"aad", &mut buf.clone(), &tag)
                    .is_err()
            );
        }
        let mut bad_tag = tag;
        bad_tag[15] ^= 1;
        assert!(
            xaes.decrypt(&nonce, b"aad", &mut buf.clone(), &bad_tag)
                .is_err()
        );
        assert!(
            xaes.decrypt(&nonce, b"aaD", &mut buf.clone(), &tag)
                .is_err()
        );
    }

    /// RFC 4231 test case 2, split between `aad` and `data` at every point.
    #[test]
    fn hmac_rfc4231_case_2() {
        let mac = Mac::new(b"Jefe");
        let msg = b"what do ya want for nothing?";
        let want = "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843";
        for split in 0..=msg.len() {
            let (aad, data) = msg.split_at(split);
            let tag = mac.sign(aad, data);
            assert_eq!(hex::encode(tag), want);
            mac.verify(aad, data, &tag).unwrap();
            let mut bad = tag;
            bad[31] ^= 1;
            assert!(mac.verify(aad, data, &bad).is_err());
            assert!(mac.verify(aad, data, &tag[..31]).is_err());
        }
    }
}

/// With `aws-lc`, the AWS-LC XAES-256-GCM must agree byte for byte with the RustCrypto one.
#[cfg(all(test, feature = "aws-lc"))]
mod backends_agree {
    use shake::{ExtendableOutput, Shake128, Update, XofReader};

    use super::{awslc, rustcrypto};

    #[test]
    fn xaes_matches_rustcrypto() {
        let mut seed = Shake128::default();
        seed.update(b"sealed-session backends");
        let mut rng = seed.finalize_xof();
        let (mut key, mut nonce, mut len) = ([0u8; 32], [0u8; 24], [0u8; 2]);
        // Lengths past 16 KiB cover the multi-block and bulk paths of both implementations.
        for i in 0..600 {
            rng.read(&mut key);
            rng.read(&mut nonce);
            rng.read(&mut len);
            let n = usize::from(u16::from_le_bytes(len)) % if i % 10 == 0 { 20_000 } else { 600 };
            let mut plaintext = vec![0u8; n];
            rng.read(&mut plaintext);
            let aad = &plaintext[..n.min(usize::from(len[0]))];

            let (ours, theirs) = (awslc::Xaes::new(&key), rustcrypto::Xaes::new(&key));
            let (mut a, mut b) = (plaintext.clone(), plaintext.clone());
            let tag_a = ours.encrypt(&nonce, aad, &mut a).unwrap();
            let tag_b = theirs.encrypt(&nonce, aad, &mut b).unwrap();
            assert_eq!((&a, tag_a), (&b, tag_b), "length {n}");
            theirs.decrypt(&nonce, aad, &mut a, &tag_a).unwrap();
            ours.decrypt(&nonce, aad, &mut b, &tag_b).unwrap();
            assert_eq!((&a, &b), (&plaintext, &plaintext));
        }
    }
}
