//! What every benchmark shares: the reference session, payloads, and the codecs under test.
#![allow(dead_code)]

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use serde::{Deserialize, Serialize};

use sealed_session::{Codec, Key, KeyId, Keyring, MAX_TOTAL_BYTES, Mode, RequestCookies};

/// The reference session of issue 3: what a typical web app keeps per user.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq)]
pub struct ReferenceSession {
    pub user_id: u64,
    pub email: String,
    pub roles: Vec<String>,
    pub csrf_token: [u8; 32],
    pub created_at: i64,
    pub cart: Vec<(u32, u16)>,
}

pub fn reference_session() -> ReferenceSession {
    ReferenceSession {
        user_id: 1_234_567,
        email: "alice@example.com".to_owned(),
        roles: vec!["admin".to_owned(), "editor".to_owned()],
        // A fixed "random-looking" token: every byte value class appears.
        csrf_token: core::array::from_fn(|i| (i as u8).wrapping_mul(151).wrapping_add(7)),
        created_at: 1_800_000_000,
        cart: (0..10)
            .map(|i| (10_000 + 37 * i, (i % 3 + 1) as u16))
            .collect(),
    }
}

/// Payload sizes measured, in bytes of plaintext.
pub const SIZES: [usize; 5] = [64, 256, 1024, 4096, 16384];

pub fn payload(len: usize) -> Vec<u8> {
    (0..len).map(|i| (i * 31 + 11) as u8).collect()
}

pub fn now() -> SystemTime {
    UNIX_EPOCH + Duration::from_secs(1_800_000_000)
}

pub fn keyring() -> Keyring {
    Keyring::new([Key::new(KeyId::new(0x0102_0304), [0x42; 32])]).unwrap()
}

/// A codec whose limits let a 16 KiB payload through (chunked); defaults otherwise.
pub fn codec<T>(mode: Mode) -> Codec<T> {
    Codec::builder(keyring())
        .mode(mode)
        .max_total_bytes(MAX_TOTAL_BYTES)
        .build()
        .unwrap()
}

/// The request a browser would send back for the given Set-Cookie lines.
pub fn cookie_header(lines: &[String]) -> String {
    let pairs: Vec<&str> = lines
        .iter()
        .filter(|l| !l.contains("Max-Age=0"))
        .map(|l| l.split(';').next().unwrap())
        .collect();
    pairs.join("; ")
}

pub fn empty_request() -> RequestCookies<'static> {
    RequestCookies::new()
}

/// The `cookie` crate's key (64 bytes: signing and encryption halves).
pub fn cookie_key() -> cookie::Key {
    cookie::Key::from(&[0x42; 64])
}

/// The kernel's vDSO `getrandom` (Linux 6.11 and later), called directly through the
/// `vdso-rng` crate: what `OsRandom`'s `getrandom(3)` costs where the C library routes it
/// through the vDSO (glibc 2.41 and later). Like the system call it keeps no generator state in
/// the process that a fork could duplicate (the kernel wipes the state on fork and reseeds it on
/// VM fork). A benchmark-only source: it shows the bound the system call sets on this machine.
pub struct VdsoRandom;

impl sealed_session::RandomSource for VdsoRandom {
    fn fill(&self, dest: &mut [u8]) -> Result<(), sealed_session::Error> {
        use std::cell::RefCell;
        use std::sync::LazyLock;
        static POOL: LazyLock<Option<vdso_rng::Pool>> =
            LazyLock::new(|| vdso_rng::Pool::new().ok());
        thread_local! {
            static STATE: RefCell<Option<vdso_rng::LocalState<'static>>> = RefCell::new(
                POOL.as_ref().and_then(|pool| vdso_rng::LocalState::new(pool).ok()),
            );
        }
        STATE.with(|state| match state.borrow_mut().as_mut() {
            Some(state) => state
                .fill(dest, 0)
                .map_err(|_| sealed_session::Error::Randomness),
            None => sealed_session::RandomSource::fill(&sealed_session::OsRandom, dest),
        })
    }
}

/// Whether the vDSO path is available here (else `VdsoRandom` falls back to the system call).
pub fn vdso_available() -> bool {
    vdso_rng::Pool::new().is_ok()
}

/// `codec` with the vDSO random source.
pub fn codec_vdso<T>(mode: Mode) -> Codec<T> {
    Codec::builder(keyring())
        .mode(mode)
        .max_total_bytes(MAX_TOTAL_BYTES)
        .random_source(std::sync::Arc::new(VdsoRandom))
        .build()
        .unwrap()
}
