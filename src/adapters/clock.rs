//! Where the layers read the time: the system clock, a closure, or a clock a test moves.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// The time source of a session layer, read once per request. Any
/// `Fn() -> SystemTime + Send + Sync` is one (`SystemTime::now` is the default); tests move a
/// [`ManualClock`].
///
/// # Example
///
/// ```
/// use std::time::SystemTime;
/// use sealed_session::Clock;
///
/// fn read(clock: &dyn Clock) -> SystemTime { clock.now() }
/// let fixed = || SystemTime::UNIX_EPOCH;
/// assert_eq!(read(&fixed), SystemTime::UNIX_EPOCH);
/// ```
pub trait Clock: Send + Sync + 'static {
    /// The current time.
    fn now(&self) -> SystemTime;
}

impl<F: Fn() -> SystemTime + Send + Sync + 'static> Clock for F {
    fn now(&self) -> SystemTime {
        self()
    }
}

/// A clock that stands still until a test moves it; clones share one time, so a test keeps a
/// clone and moves the clock of a layer it has handed to a router.
///
/// # Example
///
/// ```
/// use std::time::{Duration, SystemTime};
/// use sealed_session::{Clock, ManualClock};
///
/// let start = SystemTime::UNIX_EPOCH + Duration::from_secs(1_800_000_000);
/// let clock = ManualClock::new(start);
/// let layer_copy = clock.clone();
/// clock.advance(Duration::from_secs(3600));
/// assert_eq!(layer_copy.now(), start + Duration::from_secs(3600));
/// ```
#[derive(Debug, Clone)]
pub struct ManualClock {
    unix_nanos: Arc<AtomicU64>,
}

impl ManualClock {
    /// A clock showing `start` (times before 1970 show 1970; nanoseconds are kept).
    ///
    /// # Example
    ///
    /// ```
    /// use sealed_session::{Clock, ManualClock};
    /// let clock = ManualClock::new(std::time::SystemTime::UNIX_EPOCH);
    /// assert_eq!(clock.now(), std::time::SystemTime::UNIX_EPOCH);
    /// ```
    pub fn new(start: SystemTime) -> Self {
        ManualClock {
            unix_nanos: Arc::new(AtomicU64::new(nanos(start))),
        }
    }

    /// Moves the clock forward by `by`.
    ///
    /// # Example
    ///
    /// ```
    /// use std::time::{Duration, SystemTime};
    /// use sealed_session::{Clock, ManualClock};
    /// let clock = ManualClock::new(SystemTime::UNIX_EPOCH);
    /// clock.advance(Duration::from_secs(5));
    /// assert_eq!(clock.now(), SystemTime::UNIX_EPOCH + Duration::from_secs(5));
    /// ```
    pub fn advance(&self, by: Duration) {
        let by = u64::try_from(by.as_nanos()).unwrap_or(u64::MAX);
        let _ = self
            .unix_nanos
            .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |t| {
                Some(t.saturating_add(by))
            });
    }

    /// Sets the clock to `to` (forward or back).
    ///
    /// # Example
    ///
    /// ```
    /// use std::time::{Duration, SystemTime};
    /// use sealed_session::{Clock, ManualClock};
    /// let clock = ManualClock::new(SystemTime::now());
    /// clock.set(SystemTime::UNIX_EPOCH);
    /// assert_eq!(clock.now(), SystemTime::UNIX_EPOCH);
    /// ```
    pub fn set(&self, to: SystemTime) {
        self.unix_nanos.store(nanos(to), Ordering::SeqCst);
    }
}

impl Clock for ManualClock {
    fn now(&self) -> SystemTime {
        UNIX_EPOCH + Duration::from_nanos(self.unix_nanos.load(Ordering::SeqCst))
    }
}

/// Nanoseconds since 1970, saturating (a u64 of nanoseconds reaches the year 2554).
fn nanos(t: SystemTime) -> u64 {
    t.duration_since(UNIX_EPOCH)
        .map_or(0, |d| u64::try_from(d.as_nanos()).unwrap_or(u64::MAX))
}
