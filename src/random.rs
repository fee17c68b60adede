//! Where nonces, session ids and fresh keys come from.
//!
//! The default, [`OsRandom`], asks the operating system for every draw (`getrandom(2)` on
//! Linux). It keeps no state in user space, so a `fork()` cannot duplicate a generator state
//! into two processes: the child's next draw is as fresh as the parent's. SECURITY.md discusses
//! VM snapshots. Other sources exist for deterministic tests and test vectors.

use crate::error::Error;

/// A source of cryptographically secure random bytes.
///
/// Implement it only to make tests and test vectors deterministic; production code should use
/// the default [`OsRandom`]. A source that repeats itself repeats nonces, which in encrypted mode
/// breaks confidentiality and authenticity of the values sealed with the repeated nonce.
///
/// # Example
///
/// ```
/// use sealed_session::{Error, RandomSource};
///
/// /// Counts upward: deterministic, for a test only.
/// struct Counter(std::sync::atomic::AtomicU8);
///
/// impl RandomSource for Counter {
///     fn fill(&self, dest: &mut [u8]) -> Result<(), Error> {
///         for b in dest {
///             *b = self.0.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
///         }
///         Ok(())
///     }
/// }
///
/// let mut buf = [0u8; 3];
/// Counter(0.into()).fill(&mut buf)?;
/// assert_eq!(buf, [0, 1, 2]);
/// # Ok::<(), Error>(())
/// ```
pub trait RandomSource: Send + Sync {
    /// Fills `dest` entirely with random bytes, or fails.
    fn fill(&self, dest: &mut [u8]) -> Result<(), Error>;
}

/// The operating system's generator (`getrandom`), the default source.
///
/// # Example
///
/// ```
/// use sealed_session::{OsRandom, RandomSource};
///
/// let mut nonce = [0u8; 24];
/// OsRandom.fill(&mut nonce)?;
/// # Ok::<(), sealed_session::Error>(())
/// ```
#[derive(Debug, Clone, Copy, Default)]
pub struct OsRandom;

impl RandomSource for OsRandom {
    fn fill(&self, dest: &mut [u8]) -> Result<(), Error> {
        getrandom::fill(dest).map_err(|_| Error::Randomness)
    }
}
