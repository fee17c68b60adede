//! When a session expires and when it should be re-sealed.
//!
//! Two clocks, combinable:
//! * the absolute lifetime runs from the first seal (`issued_at`, carried unchanged across
//!   re-seals), so a session cannot be kept alive forever by activity;
//! * the idle timeout runs from the latest seal (`sealed_at`), so an unused session dies early.
//!
//! A session expires at the earlier of the two. The browser is told the same moment through
//! `Max-Age`/`Expires`, and `open` asks for a re-seal once half of the idle window has passed,
//! which slides the idle deadline forward at most once per half-window per session.
//!
//! Nodes' clocks differ, so every comparison allows `clock_skew` in the lenient direction:
//! a session is expired only once `now >= expires_at + skew`, and is "not yet valid" only when it
//! claims to be sealed after `now + skew`.

use std::time::Duration;

use crate::error::{Error, config};
use crate::time::{MAX_UNIX, from_unix};

/// The expiry policy of a codec.
///
/// The default: 24 hours absolute, 2 hours idle, 60 seconds of clock skew.
///
/// # Example
///
/// ```
/// use std::time::Duration;
/// use sealed_session::Expiry;
///
/// let policy = Expiry::default()
///     .absolute(Some(Duration::from_secs(7 * 24 * 3600)))
///     .idle(Some(Duration::from_secs(30 * 60)));
/// assert_eq!(policy.idle_timeout(), Some(Duration::from_secs(1800)));
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Expiry {
    absolute: Option<u64>,
    idle: Option<u64>,
    clock_skew: u64,
}

impl Default for Expiry {
    fn default() -> Self {
        Expiry {
            absolute: Some(24 * 3600),
            idle: Some(2 * 3600),
            clock_skew: 60,
        }
    }
}

/// The longest lifetime or skew accepted: 100 years, so deadlines never overflow.
const MAX_SECS: u64 = 100 * 366 * 24 * 3600;

impl Expiry {
    /// Sets the absolute lifetime from the first seal (`None`: no absolute limit). Whole seconds.
    ///
    /// # Example
    ///
    /// ```
    /// use std::time::Duration;
    /// let p = sealed_session::Expiry::default().absolute(Some(Duration::from_secs(3600)));
    /// assert_eq!(p.absolute_lifetime(), Some(Duration::from_secs(3600)));
    /// ```
    #[must_use]
    pub fn absolute(mut self, lifetime: Option<Duration>) -> Self {
        self.absolute = lifetime.map(|d| d.as_secs());
        self
    }

    /// Sets the idle timeout from the latest seal (`None`: no idle limit). Whole seconds.
    ///
    /// # Example
    ///
    /// ```
    /// use std::time::Duration;
    /// let p = sealed_session::Expiry::default().idle(None);
    /// assert_eq!(p.idle_timeout(), None);
    /// ```
    #[must_use]
    pub fn idle(mut self, timeout: Option<Duration>) -> Self {
        self.idle = timeout.map(|d| d.as_secs());
        self
    }

    /// Sets the clock-skew allowance between nodes. Whole seconds.
    ///
    /// # Example
    ///
    /// ```
    /// use std::time::Duration;
    /// let p = sealed_session::Expiry::default().clock_skew(Duration::from_secs(5));
    /// assert_eq!(p.skew(), Duration::from_secs(5));
    /// ```
    #[must_use]
    pub fn clock_skew(mut self, skew: Duration) -> Self {
        self.clock_skew = skew.as_secs();
        self
    }

    /// The absolute lifetime.
    ///
    /// # Example
    ///
    /// ```
    /// use std::time::Duration;
    /// assert_eq!(sealed_session::Expiry::default().absolute_lifetime(), Some(Duration::from_secs(86400)));
    /// ```
    pub fn absolute_lifetime(&self) -> Option<Duration> {
        self.absolute.map(Duration::from_secs)
    }

    /// The idle timeout.
    ///
    /// # Example
    ///
    /// ```
    /// use std::time::Duration;
    /// assert_eq!(sealed_session::Expiry::default().idle_timeout(), Some(Duration::from_secs(7200)));
    /// ```
    pub fn idle_timeout(&self) -> Option<Duration> {
        self.idle.map(Duration::from_secs)
    }

    /// The clock-skew allowance.
    ///
    /// # Example
    ///
    /// ```
    /// use std::time::Duration;
    /// assert_eq!(sealed_session::Expiry::default().skew(), Duration::from_secs(60));
    /// ```
    pub fn skew(&self) -> Duration {
        Duration::from_secs(self.clock_skew)
    }

    pub(crate) fn validate(&self) -> Result<(), Error> {
        let in_range = |s: u64| (1..=MAX_SECS).contains(&s);
        if self.absolute.is_some_and(|s| !in_range(s)) || self.idle.is_some_and(|s| !in_range(s)) {
            return Err(config("lifetimes must be between 1 second and 100 years"));
        }
        if self.clock_skew > 3600 {
            return Err(config("clock skew is at most one hour"));
        }
        Ok(())
    }

    /// When a session issued at `issued_at` and last sealed at `sealed_at` expires (`None`:
    /// never, when neither limit is set).
    pub(crate) fn expires_at(&self, issued_at: u64, sealed_at: u64) -> Option<u64> {
        let absolute = self.absolute.map(|a| issued_at.saturating_add(a));
        let idle = self.idle.map(|i| sealed_at.saturating_add(i));
        match (absolute, idle) {
            (Some(a), Some(i)) => Some(a.min(i)),
            (a, i) => a.or(i),
        }
        .map(|t| t.min(MAX_UNIX))
    }

    /// Checks an opened session's times against `now`; returns its expiry.
    pub(crate) fn check(
        &self,
        issued_at: u64,
        sealed_at: u64,
        now: u64,
    ) -> Result<Option<u64>, Error> {
        let latest_acceptable = now.saturating_add(self.clock_skew);
        if issued_at > latest_acceptable || sealed_at > latest_acceptable {
            return Err(Error::NotYetValid);
        }
        let expires_at = self.expires_at(issued_at, sealed_at);
        if let Some(at) = expires_at
            && now >= at.saturating_add(self.clock_skew)
        {
            return Err(Error::Expired { at: from_unix(at) });
        }
        Ok(expires_at)
    }

    /// Whether half the idle window has passed since the latest seal.
    pub(crate) fn idle_refresh_due(&self, sealed_at: u64, now: u64) -> bool {
        self.idle
            .is_some_and(|idle| now.saturating_sub(sealed_at) >= idle.div_ceil(2))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const T: u64 = 1_800_000_000;

    fn policy(absolute: Option<u64>, idle: Option<u64>) -> Expiry {
        Expiry::default()
            .absolute(absolute.map(Duration::from_secs))
            .idle(idle.map(Duration::from_secs))
            .clock_skew(Duration::from_secs(10))
    }

    #[test]
    fn the_earlier_deadline_wins() {
        let p = policy(Some(1000), Some(100));
        assert_eq!(p.expires_at(T, T), Some(T + 100));
        assert_eq!(p.expires_at(T, T + 950), Some(T + 1000));
        assert_eq!(
            policy(None, Some(100)).expires_at(T, T + 950),
            Some(T + 1050)
        );
        assert_eq!(
            policy(Some(1000), None).expires_at(T, T + 950),
            Some(T + 1000)
        );
        assert_eq!(policy(None, None).expires_at(T, T), None);
    }

    #[test]
    fn expiry_boundary_honours_skew() {
        let p = policy(None, Some(100));
        assert_eq!(p.check(T, T, T + 109), Ok(Some(T + 100)));
        assert_eq!(
            p.check(T, T, T + 110),
            Err(Error::Expired {
                at: from_unix(T + 100)
            })
        );
    }

    #[test]
    fn future_dates_beyond_skew_are_rejected() {
        let p = policy(None, Some(100));
        assert!(p.check(T + 10, T + 10, T).is_ok());
        assert_eq!(p.check(T + 11, T + 11, T), Err(Error::NotYetValid));
        assert_eq!(p.check(T, T + 11, T), Err(Error::NotYetValid));
    }

    #[test]
    fn idle_refresh_at_half_window() {
        let p = policy(None, Some(101));
        assert!(!p.idle_refresh_due(T, T + 50));
        assert!(p.idle_refresh_due(T, T + 51));
        assert!(!policy(Some(100), None).idle_refresh_due(T, T + 99));
    }

    #[test]
    fn validation_bounds() {
        assert!(policy(Some(0), None).validate().is_err());
        assert!(policy(Some(1), Some(1)).validate().is_ok());
        assert!(policy(Some(MAX_SECS + 1), None).validate().is_err());
        assert!(
            Expiry::default()
                .clock_skew(Duration::from_secs(3601))
                .validate()
                .is_err()
        );
    }
}
