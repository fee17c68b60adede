//! When a session expires and when it should be re-sealed.
//!
//! Two clocks, combinable:
//! * the absolute lifetime runs from the first seal (`issued_at`, carried unchanged across
//!   re-seals), so a session cannot be kept alive forever by activity;
//! * the idle timeout runs from the latest seal (`sealed_at`), so an unused session dies early.
//!
//! A session expires at the earlier of the two. Both lifetimes are fixed at the first seal and
//! travel inside the sealed value ([`Lifetime`], format v2), so every opener enforces them; an
//! opener may shorten them with its own [`Expiry`] but never extend them. The browser is told the
//! same moment through `Max-Age`/`Expires` (unless the session is a browser-session one), and
//! `open` asks for a re-seal once half of the idle window has passed, which slides the idle
//! deadline forward at most once per half-window per session.
//!
//! Nodes' clocks differ, so opening allows `clock_skew` in the lenient direction: a session is
//! expired for `open` only once `now >= expires_at + skew`, and is "not yet valid" only when it
//! claims to be sealed after `now + skew`. A *re-seal* allows no skew: it needs
//! `now < expires_at` on the sealing node's clock. So a session that has not been sealed for the
//! idle timeout is never sealed again, and no chain of re-seals made inside the skew window can
//! stretch it; such a session still opens (read-only) until `expires_at + skew`, which
//! [`Metadata::past_deadline`](crate::Metadata::past_deadline) reports.

use std::time::Duration;

use crate::error::{Error, config};
use crate::time::{MAX_UNIX, from_unix};

/// The longest lifetime accepted: 100 years of 366 days, so deadlines never overflow.
pub(crate) const MAX_LIFETIME_SECS: u64 = 100 * 366 * 24 * 3600;
/// The largest clock-skew allowance.
const MAX_SKEW_SECS: u64 = 3600;

/// One session's lifetime: its absolute lifetime, its idle timeout, and whether its cookie
/// outlives the browser session.
///
/// Fixed when a session is first sealed and carried, authenticated, inside the sealed value:
/// every node enforces it, whatever its own [`Expiry`] says, except that a node's policy may
/// shorten it (never extend it). A *persistent* session's cookies carry `Max-Age` (and
/// `Expires`), so they survive a browser restart until the deadline ("remember me"); a
/// *browser-session* one's carry neither, so the browser drops them when it closes, and the
/// server still refuses them after their deadline.
///
/// A limit left unset (`None`) means "the codec's": the [`Expiry`] of the codec that seals it
/// caps it.
///
/// # Example
///
/// ```
/// use std::time::Duration;
/// use sealed_session::Lifetime;
///
/// let remember_me = Lifetime::persistent().absolute(Some(Duration::from_secs(30 * 86400)));
/// let this_visit = Lifetime::browser_session().idle(Some(Duration::from_secs(1800)));
/// assert!(remember_me.is_persistent());
/// assert!(!this_visit.is_persistent());
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Lifetime {
    absolute: Option<u64>,
    idle: Option<u64>,
    persistent: bool,
}

impl Default for Lifetime {
    fn default() -> Self {
        Lifetime::persistent()
    }
}

impl Lifetime {
    /// A session whose cookies carry `Max-Age`/`Expires` and outlive the browser session, with
    /// the codec's limits until [`absolute`](Self::absolute) or [`idle`](Self::idle) shorten
    /// them.
    ///
    /// # Example
    ///
    /// ```
    /// assert!(sealed_session::Lifetime::persistent().is_persistent());
    /// ```
    pub const fn persistent() -> Self {
        Lifetime {
            absolute: None,
            idle: None,
            persistent: true,
        }
    }

    /// A session whose cookies carry no `Max-Age`: the browser drops them when it closes. The
    /// server still enforces the deadlines (the codec's, or shorter ones set here).
    ///
    /// # Example
    ///
    /// ```
    /// assert!(!sealed_session::Lifetime::browser_session().is_persistent());
    /// ```
    pub const fn browser_session() -> Self {
        Lifetime {
            absolute: None,
            idle: None,
            persistent: false,
        }
    }

    /// Sets the absolute lifetime from the first seal (`None`: the codec's). Whole seconds.
    ///
    /// # Example
    ///
    /// ```
    /// use std::time::Duration;
    /// let l = sealed_session::Lifetime::persistent().absolute(Some(Duration::from_secs(60)));
    /// assert_eq!(l.absolute_lifetime(), Some(Duration::from_secs(60)));
    /// ```
    #[must_use]
    pub fn absolute(mut self, lifetime: Option<Duration>) -> Self {
        self.absolute = lifetime.map(|d| d.as_secs());
        self
    }

    /// Sets the idle timeout from the latest seal (`None`: the codec's). Whole seconds.
    ///
    /// # Example
    ///
    /// ```
    /// use std::time::Duration;
    /// let l = sealed_session::Lifetime::persistent().idle(Some(Duration::from_secs(60)));
    /// assert_eq!(l.idle_timeout(), Some(Duration::from_secs(60)));
    /// ```
    #[must_use]
    pub fn idle(mut self, timeout: Option<Duration>) -> Self {
        self.idle = timeout.map(|d| d.as_secs());
        self
    }

    /// The absolute lifetime, if this lifetime sets one.
    ///
    /// # Example
    ///
    /// ```
    /// assert_eq!(sealed_session::Lifetime::persistent().absolute_lifetime(), None);
    /// ```
    pub fn absolute_lifetime(&self) -> Option<Duration> {
        self.absolute.map(Duration::from_secs)
    }

    /// The idle timeout, if this lifetime sets one.
    ///
    /// # Example
    ///
    /// ```
    /// assert_eq!(sealed_session::Lifetime::persistent().idle_timeout(), None);
    /// ```
    pub fn idle_timeout(&self) -> Option<Duration> {
        self.idle.map(Duration::from_secs)
    }

    /// Whether the cookies carry `Max-Age` and outlive the browser session.
    ///
    /// # Example
    ///
    /// ```
    /// assert!(sealed_session::Lifetime::default().is_persistent());
    /// ```
    pub fn is_persistent(&self) -> bool {
        self.persistent
    }

    pub(crate) const fn from_parts(
        absolute: Option<u64>,
        idle: Option<u64>,
        persistent: bool,
    ) -> Self {
        Lifetime {
            absolute,
            idle,
            persistent,
        }
    }

    pub(crate) fn absolute_secs(&self) -> Option<u64> {
        self.absolute
    }

    pub(crate) fn idle_secs(&self) -> Option<u64> {
        self.idle
    }

    fn validate(&self) -> Result<(), Error> {
        let in_range = |s: u64| (1..=MAX_LIFETIME_SECS).contains(&s);
        if self.absolute.is_some_and(|s| !in_range(s)) || self.idle.is_some_and(|s| !in_range(s)) {
            return Err(config("lifetimes must be between 1 second and 100 years"));
        }
        Ok(())
    }

    /// Each limit is the shorter of this one's and `cap`'s; a limit only one of them sets
    /// applies. Persistence stays this lifetime's.
    fn capped(self, cap: &Lifetime) -> Lifetime {
        let shorter = |a: Option<u64>, b: Option<u64>| match (a, b) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        };
        Lifetime {
            absolute: shorter(self.absolute, cap.absolute),
            idle: shorter(self.idle, cap.idle),
            persistent: self.persistent,
        }
    }
}

/// The expiry policy of a codec: the [`Lifetime`] new sessions get, which also caps the
/// lifetime any value carries when this codec opens or re-seals it, and the clock-skew
/// allowance between nodes.
///
/// The default: 24 hours absolute, 2 hours idle, persistent cookies, 60 seconds of clock skew.
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
    lifetime: Lifetime,
    clock_skew: u64,
}

impl Default for Expiry {
    fn default() -> Self {
        Expiry {
            lifetime: Lifetime::from_parts(Some(24 * 3600), Some(2 * 3600), true),
            clock_skew: 60,
        }
    }
}

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
        self.lifetime = self.lifetime.absolute(lifetime);
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
        self.lifetime = self.lifetime.idle(timeout);
        self
    }

    /// Whether new sessions' cookies carry `Max-Age`/`Expires` (the default) or last for the
    /// browser session. Either way the server enforces the deadlines; so a browser-session
    /// policy needs at least one of them ([`CodecBuilder::build`](crate::CodecBuilder::build)
    /// refuses one with neither).
    ///
    /// # Example
    ///
    /// ```
    /// let p = sealed_session::Expiry::default().persistent(false);
    /// assert!(!p.lifetime().is_persistent());
    /// ```
    #[must_use]
    pub fn persistent(mut self, persistent: bool) -> Self {
        self.lifetime.persistent = persistent;
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
        self.lifetime.absolute_lifetime()
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
        self.lifetime.idle_timeout()
    }

    /// The lifetime new sessions get (and the cap on any value's).
    ///
    /// # Example
    ///
    /// ```
    /// assert!(sealed_session::Expiry::default().lifetime().is_persistent());
    /// ```
    pub fn lifetime(&self) -> Lifetime {
        self.lifetime
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
        self.lifetime.validate()?;
        if self.clock_skew > MAX_SKEW_SECS {
            return Err(config("clock skew is at most one hour"));
        }
        check_server_deadline(&self.lifetime)
    }

    /// The lifetime a new session gets when the app asks for `requested`: capped by this
    /// policy, and refused when invalid or when a browser-session cookie would have no
    /// server-side deadline.
    pub(crate) fn new_session(&self, requested: &Lifetime) -> Result<Lifetime, Error> {
        requested.validate()?;
        let lifetime = requested.capped(&self.lifetime);
        check_server_deadline(&lifetime)?;
        Ok(lifetime)
    }

    /// The lifetime that applies to a value: the one it carries, capped by this policy; or,
    /// for a version-1 value that carries none, this policy's.
    pub(crate) fn effective(&self, carried: Option<Lifetime>) -> Lifetime {
        carried.map_or(self.lifetime, |l| l.capped(&self.lifetime))
    }

    /// Checks an opened session's times against `now` (with the skew allowance); returns its
    /// deadline.
    pub(crate) fn check_open(
        &self,
        lifetime: &Lifetime,
        issued_at: u64,
        sealed_at: u64,
        now: u64,
    ) -> Result<Option<u64>, Error> {
        let latest_acceptable = now.saturating_add(self.clock_skew);
        if issued_at > latest_acceptable || sealed_at > latest_acceptable {
            return Err(Error::NotYetValid);
        }
        let expires_at = expires_at(lifetime, issued_at, sealed_at);
        if let Some(at) = expires_at
            && now >= at.saturating_add(self.clock_skew)
        {
            return Err(Error::Expired { at: from_unix(at) });
        }
        Ok(expires_at)
    }

    /// Checks that a session may be sealed again at `now`: it opens, and its deadline has not
    /// passed on this clock (no skew allowance, so a re-seal never rescues a session).
    pub(crate) fn check_reseal(
        &self,
        lifetime: &Lifetime,
        issued_at: u64,
        sealed_at: u64,
        now: u64,
    ) -> Result<(), Error> {
        match self.check_open(lifetime, issued_at, sealed_at, now)? {
            Some(at) if now >= at => Err(Error::Expired { at: from_unix(at) }),
            _ => Ok(()),
        }
    }

    /// Whether half the idle window has passed since the latest seal.
    pub(crate) fn idle_refresh_due(&self, lifetime: &Lifetime, sealed_at: u64, now: u64) -> bool {
        lifetime
            .idle
            .is_some_and(|idle| now.saturating_sub(sealed_at) >= idle.div_ceil(2))
    }
}

/// When a session issued at `issued_at` and last sealed at `sealed_at` expires (`None`: never,
/// when neither limit is set).
pub(crate) fn expires_at(lifetime: &Lifetime, issued_at: u64, sealed_at: u64) -> Option<u64> {
    let absolute = lifetime.absolute.map(|a| issued_at.saturating_add(a));
    let idle = lifetime.idle.map(|i| sealed_at.saturating_add(i));
    match (absolute, idle) {
        (Some(a), Some(i)) => Some(a.min(i)),
        (a, i) => a.or(i),
    }
    .map(|t| t.min(MAX_UNIX))
}

fn check_server_deadline(lifetime: &Lifetime) -> Result<(), Error> {
    if !lifetime.persistent && lifetime.absolute.is_none() && lifetime.idle.is_none() {
        return Err(config(
            "a browser-session cookie needs an absolute or idle limit: the server must expire it",
        ));
    }
    Ok(())
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

    fn own(p: &Expiry) -> Lifetime {
        p.lifetime()
    }

    #[test]
    fn the_earlier_deadline_wins() {
        let l = |a, i| own(&policy(a, i));
        assert_eq!(expires_at(&l(Some(1000), Some(100)), T, T), Some(T + 100));
        assert_eq!(
            expires_at(&l(Some(1000), Some(100)), T, T + 950),
            Some(T + 1000)
        );
        assert_eq!(expires_at(&l(None, Some(100)), T, T + 950), Some(T + 1050));
        assert_eq!(expires_at(&l(Some(1000), None), T, T + 950), Some(T + 1000));
        assert_eq!(expires_at(&l(None, None), T, T), None);
    }

    #[test]
    fn opening_honours_skew_and_resealing_does_not() {
        let p = policy(None, Some(100));
        let l = own(&p);
        assert_eq!(p.check_open(&l, T, T, T + 109), Ok(Some(T + 100)));
        assert_eq!(
            p.check_open(&l, T, T, T + 110),
            Err(Error::Expired {
                at: from_unix(T + 100)
            })
        );
        assert_eq!(p.check_reseal(&l, T, T, T + 99), Ok(()));
        assert!(p.check_reseal(&l, T, T, T + 100).is_err());
    }

    #[test]
    fn future_dates_beyond_skew_are_rejected() {
        let p = policy(None, Some(100));
        let l = own(&p);
        assert!(p.check_open(&l, T + 10, T + 10, T).is_ok());
        assert_eq!(p.check_open(&l, T + 11, T + 11, T), Err(Error::NotYetValid));
        assert_eq!(p.check_open(&l, T, T + 11, T), Err(Error::NotYetValid));
    }

    #[test]
    fn idle_refresh_at_half_window() {
        let p = policy(None, Some(101));
        assert!(!p.idle_refresh_due(&own(&p), T, T + 50));
        assert!(p.idle_refresh_due(&own(&p), T, T + 51));
        let q = policy(Some(100), None);
        assert!(!q.idle_refresh_due(&own(&q), T, T + 99));
    }

    #[test]
    fn a_carried_lifetime_is_capped_never_extended() {
        let p = policy(Some(1000), Some(100));
        let long = Lifetime::persistent()
            .absolute(Some(Duration::from_secs(5000)))
            .idle(Some(Duration::from_secs(50)));
        let e = p.effective(Some(long));
        assert_eq!((e.absolute, e.idle), (Some(1000), Some(50)));
        let unlimited = policy(None, None);
        let e = unlimited.effective(Some(long));
        assert_eq!((e.absolute, e.idle), (Some(5000), Some(50)));
        assert_eq!(p.effective(None), own(&p));
    }

    #[test]
    fn validation_bounds() {
        assert!(policy(Some(0), None).validate().is_err());
        assert!(policy(Some(1), Some(1)).validate().is_ok());
        assert!(
            policy(Some(MAX_LIFETIME_SECS + 1), None)
                .validate()
                .is_err()
        );
        assert!(
            Expiry::default()
                .clock_skew(Duration::from_secs(3601))
                .validate()
                .is_err()
        );
        assert!(policy(None, None).persistent(false).validate().is_err());
        assert!(policy(None, Some(5)).persistent(false).validate().is_ok());
        let none = policy(None, None);
        assert!(none.new_session(&Lifetime::browser_session()).is_err());
        assert!(
            none.new_session(&Lifetime::browser_session().idle(Some(Duration::from_secs(9))))
                .is_ok()
        );
    }
}
