//! Unix-second conversions. The wire format and the keyring text carry whole seconds; the public
//! API speaks `SystemTime`. Times are clamped to `0..=MAX_UNIX` so that arithmetic on them never
//! overflows and every value renders as an HTTP date.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// 9999-12-31T23:59:59Z, the last second an HTTP date (four-digit year) can express.
pub(crate) const MAX_UNIX: u64 = 253_402_300_799;

/// Whole seconds since the Unix epoch, clamped to `0..=MAX_UNIX`.
pub(crate) fn to_unix(t: SystemTime) -> u64 {
    t.duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
        .min(MAX_UNIX)
}

pub(crate) fn from_unix(secs: u64) -> SystemTime {
    UNIX_EPOCH + Duration::from_secs(secs.min(MAX_UNIX))
}
