//! Encrypted mode on AWS-LC (cargo feature `aws-lc`), through `aws-lc-rs`'s safe API.
//!
//! aws-lc-rs has no XAES-256-GCM, so this file builds it from two primitives, exactly as
//! c2sp.org/XAES-256-GCM specifies (the wire format is unchanged; the C2SP known-answer tests
//! and `tests/data/vectors.json` hold for both backends):
//!
//! ```text
//! L  = AES-256_K(0^128)                      ; once per key
//! K1 = L << 1, xor 0x87 into the last byte if the top bit of L was set
//! Kx = AES-256_K(00 01 'X' 00 || N[:12] ^ K1) || AES-256_K(00 02 'X' 00 || N[:12] ^ K1)
//! ciphertext || tag = AES-256-GCM(Kx, N[12:], plaintext, aad)
//! ```
//!
//! * The two derivation blocks: `aws_lc_rs::cipher::EncryptingKey` in ECB mode, built once per
//!   key. Its `encrypt` runs `AES_ecb_encrypt` with the cached `AES_KEY` (no key expansion per
//!   call, no randomness for ECB).
//! * The per-message AES-256-GCM: `aws_lc_rs::aead::LessSafeKey` over `UnboundKey::new(
//!   &AES_256_GCM, Kx)`, which allocates one `EVP_AEAD_CTX` with `OPENSSL_malloc` (not the Rust
//!   allocator) and expands the key and GHASH table into it, then frees it after the call.
//!
//! Signed mode stays on RustCrypto's `hmac` with this feature too: `aws_lc_rs::hmac` measured
//! no faster at 4 and 16 KiB and about 80 ns slower at 256 B (345 ns against 260 ns here:
//! each message copies and then cleanses a whole `HMAC_CTX` in `hmac::Context::with_key`).
//!
//! Key material and what clears it:
//!
//! * `K_enc` as bytes: copied by `UnboundCipherKey::new` into a buffer that aws-lc-rs zeroizes
//!   on drop; the caller's copy is the facade's `Zeroizing` buffer.
//! * The `AES_KEY` schedules of `K_enc` (aws-lc-rs expands an encryption and a decryption
//!   schedule, both inside the `EncryptingKey`, in Rust memory: the key's `Arc<KeyCipher>`):
//!   zeroized by aws-lc-rs's `Drop for SymmetricCipherKey` when the last keyring holding the
//!   key drops. `AES_set_encrypt_key` fills them on the stack first (`MaybeUninit`), and they
//!   are moved into the `Arc` from there: those stack copies are not wiped.
//! * `K1`: held in `Zeroizing` here.
//! * `Kx`: built in a `Zeroizing` buffer on the stack, wiped when the call returns. Its AES-GCM
//!   key schedule and GHASH table live in the per-call `EVP_AEAD_CTX`, which aws-lc-rs frees
//!   with `EVP_AEAD_CTX_free`; AWS-LC's `OPENSSL_free` cleanses every allocation before
//!   releasing it.

use aws_lc_rs::aead::{AES_256_GCM, Aad, LessSafeKey, Nonce, UnboundKey};
use aws_lc_rs::cipher::{AES_256, EncryptingKey, UnboundCipherKey};
use zeroize::Zeroizing;

use super::{AEAD_TAG_LEN, NONCE_LEN, too_long};
use crate::error::Error;

const BLOCK: usize = 16;
/// Bytes of the nonce that select the derived key; the rest is the AES-GCM nonce.
const KEY_NONCE_LEN: usize = 12;

/// XAES-256-GCM under one 256-bit key: its AES-256 key schedule and CMAC subkey `K1`
/// computed once. Not `Clone`: it lives inside the key's one `Arc<KeyCipher>`.
pub(super) struct Xaes {
    aes: EncryptingKey,
    k1: Zeroizing<[u8; BLOCK]>,
}

impl Xaes {
    pub(super) fn new(key: &[u8; 32]) -> Self {
        let aes = UnboundCipherKey::new(&AES_256, key)
            .and_then(EncryptingKey::ecb)
            .expect("a 32-byte key makes an AES-256 ECB key");
        let mut k1 = Zeroizing::new([0u8; BLOCK]);
        aes.encrypt(&mut k1[..])
            .expect("ECB encrypts one whole block");
        // K1 = L << 1 (big-endian), reduced by x^128 + x^7 + x^2 + x + 1. Only the top bit of L
        // decides the 0x87; the mask keeps it free of branches on key material.
        let carry = k1[0] >> 7;
        for i in 0..BLOCK - 1 {
            k1[i] = (k1[i] << 1) | (k1[i + 1] >> 7);
        }
        k1[BLOCK - 1] = (k1[BLOCK - 1] << 1) ^ (0x87 & carry.wrapping_neg());
        Xaes { aes, k1 }
    }

    /// The per-message AES-256-GCM key for `nonce`, and the 96-bit AES-GCM nonce.
    fn message_key(&self, nonce: &[u8; NONCE_LEN]) -> (LessSafeKey, Nonce) {
        let mut kx = Zeroizing::new([0u8; 2 * BLOCK]);
        for (counter, block) in [1u8, 2].into_iter().zip(kx.chunks_exact_mut(BLOCK)) {
            block[..4].copy_from_slice(&[0, counter, b'X', 0]);
            block[4..].copy_from_slice(&nonce[..KEY_NONCE_LEN]);
            for (b, k) in block.iter_mut().zip(self.k1.iter()) {
                *b ^= k;
            }
        }
        self.aes
            .encrypt(&mut kx[..])
            .expect("ECB encrypts two whole blocks");
        let key = UnboundKey::new(&AES_256_GCM, &kx[..]).expect("a 32-byte AES-256-GCM key");
        let gcm_nonce: [u8; NONCE_LEN - KEY_NONCE_LEN] =
            core::array::from_fn(|i| nonce[KEY_NONCE_LEN + i]);
        (
            LessSafeKey::new(key),
            Nonce::assume_unique_for_key(gcm_nonce),
        )
    }

    pub(super) fn encrypt(
        &self,
        nonce: &[u8; NONCE_LEN],
        aad: &[u8],
        buf: &mut [u8],
    ) -> Result<[u8; AEAD_TAG_LEN], Error> {
        let (key, nonce) = self.message_key(nonce);
        let tag = key
            .seal_in_place_separate_tag(nonce, Aad::from(aad), buf)
            .map_err(|_| too_long())?;
        let mut out = [0u8; AEAD_TAG_LEN];
        out.copy_from_slice(tag.as_ref());
        Ok(out)
    }

    pub(super) fn decrypt(
        &self,
        nonce: &[u8; NONCE_LEN],
        aad: &[u8],
        buf: &mut [u8],
        tag: &[u8; AEAD_TAG_LEN],
    ) -> Result<(), Error> {
        let (key, nonce) = self.message_key(nonce);
        key.open_in_place_separate_tag(nonce, Aad::from(aad), tag, buf)
            .map(|_| ())
            .map_err(|_| Error::Authentication)
    }
}
