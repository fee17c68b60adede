//! The test keys, and what the scanner looks for: for every key secret, the bytes that secret
//! and the state derived from it would leave in memory, computed here independently of the
//! library from FORMAT.md ("Subkeys") and the algorithms' specifications.
//!
//! Per secret `S`:
//!
//! * `S` itself, and its base64url text (what a keyring text holds);
//! * the HKDF-Expand subkeys `K_enc`, `K_mac`, `K_csrf`;
//! * the AES-256 key schedule of `K_enc` (all 15 round keys, in byte order as AES-NI, VAES and
//!   AWS-LC's hardware code store them, and word-swapped as portable code stores them) and
//!   XAES-256-GCM's CMAC subkey `K1`;
//! * the SHA-256 states after the HMAC inner and outer pad blocks (what `Hmac<Sha256>` keeps)
//!   of `K_mac`, `K_csrf` and of `S` (the PRK of the HKDF that derives the subkeys).
//!
//! Each is searched for as 16-byte windows (every 16 bytes, and the last 16), so a freed block
//! holding half a key is caught too. A random 16-byte string matching by chance has
//! probability about 2^-128 per position.

use std::collections::HashMap;

use aes::cipher::{BlockCipherEncrypt, KeyInit};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use hkdf::Hkdf;
use sha2::{Digest, Sha256};
use zeroize::Zeroizing;

use sealed_session::{Key, KeyId, Keyring};

/// How many deterministic test keys there are ([`key`]); every case may use any of them.
pub const TEST_KEYS: u32 = 24;

const WINDOW: usize = 16;

/// Test key `i` (< [`TEST_KEYS`]): id `0x5e5e_0000 + i`, secret SHA-256 of a label and `i`.
pub fn key(i: u32) -> Key {
    Key::new(KeyId::new(0x5e5e_0000 + i), secret(i))
}

fn secret(i: u32) -> [u8; 32] {
    assert!(i < TEST_KEYS, "test key {i} does not exist");
    Sha256::new()
        .chain_update(b"sealed-session freed-memory test key")
        .chain_update(i.to_be_bytes())
        .finalize()
        .into()
}

/// Test keys `0..n`, with distinct `not_before`s so that any subset makes a keyring.
pub fn keys(n: u32) -> Vec<Key> {
    let mut keys = Vec::with_capacity(n as usize);
    for i in 0..n {
        keys.push(key(i).with_not_before(
            std::time::UNIX_EPOCH + std::time::Duration::from_secs(1_700_000_000 + u64::from(i)),
        ));
    }
    keys
}

/// A keyring of test keys `0..n`.
pub fn ring(n: u32) -> Keyring {
    Keyring::new(keys(n)).expect("distinct ids and not_befores")
}

/// Every needle, indexed by its first 8 bytes.
pub struct Needles {
    by_prefix: HashMap<[u8; 8], Vec<(usize, [u8; WINDOW])>>,
    names: Vec<String>,
}

impl Needles {
    /// The needles of every test key and of every key in `texts` (keyring texts).
    pub fn new(texts: &[Zeroizing<String>]) -> Self {
        let mut needles = Needles {
            by_prefix: HashMap::new(),
            names: Vec::new(),
        };
        for i in 0..TEST_KEYS {
            needles.add_secret(&format!("test key {i}"), &secret(i));
        }
        for text in texts {
            assert!(
                Keyring::from_text(text).is_ok(),
                "a learned text is a keyring"
            );
            for entry in text.trim().split(',').skip(1) {
                let mut fields = entry.split('.');
                let id = fields.next().expect("an entry has an id");
                let b64 = fields.next().expect("an entry has a secret");
                let bytes = Zeroizing::new(URL_SAFE_NO_PAD.decode(b64).expect("base64url"));
                needles.add_secret(&format!("learned key {id}"), &bytes);
            }
        }
        needles
    }

    fn add(&mut self, name: String, bytes: &[u8]) {
        assert!(bytes.len() >= WINDOW);
        let index = self.names.len();
        self.names.push(name);
        let mut starts: Vec<usize> = (0..=bytes.len() - WINDOW).step_by(WINDOW).collect();
        if !bytes.len().is_multiple_of(WINDOW) {
            starts.push(bytes.len() - WINDOW);
        }
        for start in starts {
            let window: [u8; WINDOW] = bytes[start..start + WINDOW].try_into().unwrap();
            let prefix: [u8; 8] = window[..8].try_into().unwrap();
            self.by_prefix
                .entry(prefix)
                .or_default()
                .push((index, window));
        }
    }

    fn add_secret(&mut self, who: &str, s: &[u8]) {
        self.add(format!("{who}: secret"), s);
        self.add(
            format!("{who}: secret, base64url"),
            URL_SAFE_NO_PAD.encode(s).as_bytes(),
        );
        self.add(
            format!("{who}: HKDF PRK HMAC pad states"),
            &hmac_pad_states(s),
        );
        let hkdf = Hkdf::<Sha256>::from_prk(s).expect("a 32-byte PRK");
        // The info strings of FORMAT.md, "Subkeys".
        for (name, info) in [
            ("K_enc", &b"sealed-session/v1/xaes-256-gcm"[..]),
            ("K_mac", b"sealed-session/v1/hmac-sha256"),
            ("K_csrf", b"sealed-session/v2/csrf"),
        ] {
            let mut k = [0u8; 32];
            hkdf.expand(info, &mut k).expect("32 bytes");
            self.add(format!("{who}: {name}"), &k);
            if name == "K_enc" {
                let schedule = aes256_schedule(&k);
                self.add(format!("{who}: K_enc AES-256 round keys"), &schedule);
                let swapped: Vec<u8> = schedule
                    .chunks(4)
                    .flat_map(|w| [w[3], w[2], w[1], w[0]])
                    .collect();
                self.add(
                    format!("{who}: K_enc AES-256 round keys (word-swapped)"),
                    &swapped,
                );
                self.add(format!("{who}: XAES K1"), &xaes_k1(&k));
            } else {
                self.add(
                    format!("{who}: {name} HMAC pad states"),
                    &hmac_pad_states(&k),
                );
            }
        }
    }

    /// Each needle window found in `block`: its name and offset.
    pub fn find(&self, block: &[u8]) -> Vec<(String, usize)> {
        let mut found = Vec::new();
        for offset in 0..block.len().saturating_sub(WINDOW - 1) {
            let prefix: [u8; 8] = block[offset..offset + 8].try_into().unwrap();
            if let Some(candidates) = self.by_prefix.get(&prefix) {
                for (index, window) in candidates {
                    if block[offset..offset + WINDOW] == window[..] {
                        found.push((self.names[*index].clone(), offset));
                    }
                }
            }
        }
        found
    }
}

/// The SHA-256 states `Hmac<Sha256>` keeps for `key` (at most 64 bytes): after the inner pad
/// block, then after the outer one, each as eight native-endian words.
pub fn hmac_pad_states(key: &[u8]) -> Vec<u8> {
    const IV: [u32; 8] = [
        0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab,
        0x5be0cd19,
    ];
    let mut out = Vec::with_capacity(64);
    for pad in [0x36u8, 0x5c] {
        let mut block = [pad; 64];
        for (b, k) in block.iter_mut().zip(key) {
            *b ^= k;
        }
        let mut state = IV;
        sha2::block_api::compress256(&mut state, &[block]);
        out.extend(state.iter().flat_map(|w| w.to_ne_bytes()));
    }
    out
}

/// XAES-256-GCM's `K1`: `L = AES-256_K(0^128)` doubled in GF(2^128) (c2sp.org/XAES-256-GCM).
fn xaes_k1(key: &[u8; 32]) -> [u8; 16] {
    let aes = aes::Aes256::new(key.into());
    let mut l = [0u8; 16].into();
    aes.encrypt_block(&mut l);
    let l: [u8; 16] = l.into();
    let mut k1 = [0u8; 16];
    for i in 0..16 {
        k1[i] = (l[i] << 1) | l.get(i + 1).map_or(0, |n| n >> 7);
    }
    k1[15] ^= 0x87 * (l[0] >> 7);
    k1
}

/// The AES S-box, computed (FIPS-197 5.1.1): multiplicative inverse, then the affine map.
fn sbox() -> [u8; 256] {
    let mut sbox = [0u8; 256];
    let (mut p, mut q) = (1u8, 1u8);
    loop {
        // p *= 3 and q /= 3 in GF(2^8), so q is always p's inverse.
        p = p ^ (p << 1) ^ if p & 0x80 != 0 { 0x1b } else { 0 };
        q ^= q << 1;
        q ^= q << 2;
        q ^= q << 4;
        if q & 0x80 != 0 {
            q ^= 0x09;
        }
        let x = q ^ q.rotate_left(1) ^ q.rotate_left(2) ^ q.rotate_left(3) ^ q.rotate_left(4);
        sbox[usize::from(p)] = x ^ 0x63;
        if p == 1 {
            break;
        }
    }
    sbox[0] = 0x63;
    sbox
}

/// The 15 round keys (240 bytes) of AES-256 under `key` (FIPS-197 5.2).
pub fn aes256_schedule(key: &[u8; 32]) -> Vec<u8> {
    let sbox = sbox();
    let mut w: Vec<[u8; 4]> = key.chunks(4).map(|c| c.try_into().unwrap()).collect();
    let mut rcon = 1u8;
    for i in 8..60 {
        let mut t = w[i - 1];
        if i % 8 == 0 {
            t = [
                sbox[usize::from(t[1])] ^ rcon,
                sbox[usize::from(t[2])],
                sbox[usize::from(t[3])],
                sbox[usize::from(t[0])],
            ];
            rcon = (rcon << 1) ^ if rcon & 0x80 != 0 { 0x1b } else { 0 };
        } else if i % 8 == 4 {
            t = t.map(|b| sbox[usize::from(b)]);
        }
        let prev = w[i - 8];
        w.push(core::array::from_fn(|j| prev[j] ^ t[j]));
    }
    w.concat()
}
