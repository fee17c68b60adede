//! Helpers shared by the integration tests: a fixed clock, fixed keys, and turning `Set-Cookie`
//! lines into the `Cookie` header a browser would send back.
#![allow(dead_code)]

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use sealed_session::{Error, Key, KeyId, Keyring, RandomSource, SealedCookies};

/// The fixed "now" of every test that is not about time: 2027-01-15T08:00:00Z.
pub const T0: u64 = 1_800_000_000;

/// `T0` as a `SystemTime`.
pub fn now() -> SystemTime {
    UNIX_EPOCH + Duration::from_secs(T0)
}

/// `T0 + secs`.
pub fn at(secs: u64) -> SystemTime {
    now() + Duration::from_secs(secs)
}

/// `T0 - secs`.
pub fn before(secs: u64) -> SystemTime {
    now() - Duration::from_secs(secs)
}

/// A key with id `id` whose 32 secret bytes are all `fill`.
pub fn key(id: u32, fill: u8) -> Key {
    Key::new(KeyId::new(id), [fill; 32])
}

/// A key with id `id` and a secret that has no repeated byte (easy to search for in output).
pub fn distinct_key(id: u32) -> (Key, [u8; 32]) {
    let mut secret = [0u8; 32];
    for (i, b) in secret.iter_mut().enumerate() {
        *b = 0xa0u8.wrapping_add((i as u8).wrapping_mul(7));
    }
    (Key::new(KeyId::new(id), secret), secret)
}

/// A one-key keyring (id 1, secret all 0x11).
pub fn ring() -> Keyring {
    Keyring::new([key(1, 0x11)]).expect("one key is a valid keyring")
}

/// The `name=value` pairs of the cookies a seal sets (deletion lines excluded).
pub fn pairs(sealed: &SealedCookies) -> Vec<String> {
    sealed.headers()[..sealed.chunk_count()]
        .iter()
        .map(|line| pair_of(line).to_owned())
        .collect()
}

/// The `name=value` part of a `Set-Cookie` line (everything before the first `;`).
pub fn pair_of(line: &str) -> &str {
    line.split(';')
        .next()
        .expect("split yields at least one piece")
}

/// The `Cookie` header a browser would send after receiving `sealed`.
pub fn cookie_header(sealed: &SealedCookies) -> String {
    pairs(sealed).join("; ")
}

/// The value of a `name=value` pair.
pub fn value_of(pair: &str) -> &str {
    pair.split_once('=').expect("a pair has '='").1
}

/// The attributes of a `Set-Cookie` line: the `; `-separated pieces after `name=value`.
pub fn attributes(line: &str) -> Vec<&str> {
    line.split("; ").skip(1).collect()
}

/// The value of attribute `name` in a `Set-Cookie` line.
pub fn attribute<'a>(line: &'a str, name: &str) -> Option<&'a str> {
    attributes(line).into_iter().find_map(|a| {
        let (n, v) = a.split_once('=').unwrap_or((a, ""));
        (n == name).then_some(v)
    })
}

/// A deterministic `RandomSource`: a counter run through a simple mixer. Test use only.
pub struct CountingRandom(AtomicU64);

impl CountingRandom {
    pub fn new(seed: u64) -> Self {
        CountingRandom(AtomicU64::new(seed))
    }
}

impl RandomSource for CountingRandom {
    fn fill(&self, dest: &mut [u8]) -> Result<(), Error> {
        for b in dest {
            let x = self.0.fetch_add(1, Ordering::Relaxed);
            let x = x.wrapping_mul(0x9e37_79b9_7f4a_7c15);
            *b = (x >> 56) as u8;
        }
        Ok(())
    }
}

/// A `RandomSource` that always fails.
pub struct FailingRandom;

impl RandomSource for FailingRandom {
    fn fill(&self, _dest: &mut [u8]) -> Result<(), Error> {
        Err(Error::Randomness)
    }
}

const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

/// base64url without padding, written here so the tests do not share the crate's encoder.
pub fn b64_encode(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let n = chunk
            .iter()
            .enumerate()
            .fold(0u32, |acc, (i, &b)| acc | (u32::from(b) << (16 - 8 * i)));
        for i in 0..=chunk.len() {
            out.push(char::from(ALPHABET[((n >> (18 - 6 * i)) & 63) as usize]));
        }
    }
    out
}

/// Decodes base64url without padding (panics on input the tests never produce).
pub fn b64_decode(text: &str) -> Vec<u8> {
    let sextets: Vec<u32> = text
        .bytes()
        .map(|c| ALPHABET.iter().position(|&a| a == c).expect("base64url") as u32)
        .collect();
    let mut out = Vec::with_capacity(sextets.len() * 3 / 4);
    for group in sextets.chunks(4) {
        let n = group
            .iter()
            .enumerate()
            .fold(0u32, |acc, (i, &s)| acc | (s << (18 - 6 * i)));
        for i in 0..group.len() - 1 {
            out.push((n >> (16 - 8 * i)) as u8);
        }
    }
    out
}

/// Length of the base64url (no padding) encoding of `n` bytes.
pub fn b64_len(n: usize) -> usize {
    n / 3 * 4
        + match n % 3 {
            0 => 0,
            1 => 2,
            _ => 3,
        }
}

/// A random source that returns given bytes in order and fails once they run out, so a test
/// vector that lists too few or too many random bytes is caught.
pub struct Replay(std::sync::Mutex<Vec<u8>>);

impl Replay {
    pub fn new(bytes: Vec<u8>) -> std::sync::Arc<Self> {
        std::sync::Arc::new(Replay(std::sync::Mutex::new(bytes)))
    }

    pub fn remaining(&self) -> usize {
        self.0.lock().unwrap().len()
    }
}

impl RandomSource for Replay {
    fn fill(&self, dest: &mut [u8]) -> Result<(), Error> {
        let mut left = self.0.lock().unwrap();
        if left.len() < dest.len() {
            return Err(Error::Randomness);
        }
        dest.copy_from_slice(&left[..dest.len()]);
        left.drain(..dest.len());
        Ok(())
    }
}
