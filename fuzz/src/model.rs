//! An independent model of FORMAT.md section 7 (lifetimes and deadlines), written from the
//! specification rather than from `src/expiry.rs`, so the v2 oracles compare the library against
//! the text and not against itself.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use sealed_session::{Expiry, Lifetime, Metadata};

/// The latest time the format represents (9999-12-31T23:59:59Z, FORMAT.md section 1).
pub const MAX_UNIX: u64 = 253_402_300_799;
/// The longest lifetime limit: 100 years of 366 days (FORMAT.md section 7).
pub const MAX_LIFETIME_SECS: u64 = 3_162_240_000;
/// The largest clock skew a policy may allow.
pub const MAX_SKEW_SECS: u64 = 3600;

/// A lifetime as plain numbers: (absolute, idle, persistent).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Model {
    /// Absolute lifetime in seconds.
    pub absolute: Option<u64>,
    /// Idle timeout in seconds.
    pub idle: Option<u64>,
    /// Whether the cookies carry `Max-Age`.
    pub persistent: bool,
}

impl Model {
    /// The model of a library [`Lifetime`].
    pub fn of(lifetime: &Lifetime) -> Self {
        Model {
            absolute: lifetime.absolute_lifetime().map(|d| d.as_secs()),
            idle: lifetime.idle_timeout().map(|d| d.as_secs()),
            persistent: lifetime.is_persistent(),
        }
    }

    /// The library [`Lifetime`] of this model.
    pub fn lifetime(&self) -> Lifetime {
        let base = if self.persistent {
            Lifetime::persistent()
        } else {
            Lifetime::browser_session()
        };
        base.absolute(self.absolute.map(Duration::from_secs))
            .idle(self.idle.map(Duration::from_secs))
    }

    /// Both limits within 1 second to 100 years.
    pub fn limits_valid(&self) -> bool {
        let ok = |s: Option<u64>| s.is_none_or(|s| (1..=MAX_LIFETIME_SECS).contains(&s));
        ok(self.absolute) && ok(self.idle)
    }

    /// Each limit capped by the policy's (a limit only one of them sets applies); persistence
    /// stays this lifetime's.
    pub fn capped(&self, policy: &Model) -> Model {
        let shorter = |a: Option<u64>, b: Option<u64>| match (a, b) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        };
        Model {
            absolute: shorter(self.absolute, policy.absolute),
            idle: shorter(self.idle, policy.idle),
            persistent: self.persistent,
        }
    }

    /// Browser-session with neither limit: the server could never expire it.
    pub fn unbounded_browser_session(&self) -> bool {
        !self.persistent && self.absolute.is_none() && self.idle.is_none()
    }

    /// `min(issued_at + L_abs, sealed_at + L_idle, MAX_UNIX)` over the limits set; `None`: never.
    pub fn expires_at(&self, issued_at: u64, sealed_at: u64) -> Option<u64> {
        let abs = self.absolute.map(|a| issued_at.saturating_add(a));
        let idle = self.idle.map(|i| sealed_at.saturating_add(i));
        let at = match (abs, idle) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        };
        at.map(|t| t.min(MAX_UNIX))
    }

    /// The absolute deadline alone (`issued_at + L_abs`), clamped.
    pub fn absolute_deadline(&self, issued_at: u64) -> Option<u64> {
        self.absolute
            .map(|a| issued_at.saturating_add(a).min(MAX_UNIX))
    }

    /// Whether no limit of `self` is longer than `other`'s (an unset limit being infinite).
    pub fn within(&self, other: &Model) -> bool {
        let le = |a: Option<u64>, b: Option<u64>| match (a, b) {
            (_, None) => true,
            (None, Some(_)) => false,
            (Some(a), Some(b)) => a <= b,
        };
        le(self.absolute, other.absolute) && le(self.idle, other.idle)
    }
}

/// A policy as the fuzzer draws it: raw limits (possibly out of range) and a skew.
#[derive(Debug, Clone, Copy)]
pub struct Policy {
    /// The lifetime part.
    pub lifetime: Model,
    /// Clock skew allowance, seconds.
    pub skew: u64,
}

impl Policy {
    /// The library [`Expiry`].
    pub fn expiry(&self) -> Expiry {
        Expiry::default()
            .absolute(self.lifetime.absolute.map(Duration::from_secs))
            .idle(self.lifetime.idle.map(Duration::from_secs))
            .persistent(self.lifetime.persistent)
            .clock_skew(Duration::from_secs(self.skew))
    }

    /// Whether a codec accepts this policy.
    pub fn valid(&self) -> bool {
        self.lifetime.limits_valid()
            && self.skew <= MAX_SKEW_SECS
            && !self.lifetime.unbounded_browser_session()
    }
}

/// What opening a value at `now` must give, from the value's times and the lifetime in force.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// `issued_at` or `sealed_at` beyond `now + skew`.
    NotYetValid,
    /// `now >= expires_at + skew`.
    Expired(u64),
    /// Opens; `past_deadline` when `expires_at <= now`.
    Opens {
        /// `expires_at` over the lifetime in force.
        expires_at: Option<u64>,
        /// Read-only: opened only through the skew allowance.
        past_deadline: bool,
    },
}

/// FORMAT.md 7, "Opening".
pub fn open_outcome(in_force: &Model, issued: u64, sealed: u64, now: u64, skew: u64) -> Outcome {
    let latest = now.saturating_add(skew);
    if issued > latest || sealed > latest {
        return Outcome::NotYetValid;
    }
    let expires_at = in_force.expires_at(issued, sealed);
    match expires_at {
        Some(at) if now >= at.saturating_add(skew) => Outcome::Expired(at),
        _ => Outcome::Opens {
            expires_at,
            past_deadline: expires_at.is_some_and(|at| at <= now),
        },
    }
}

/// Unix seconds of a time (the fuzz times are all after the epoch).
pub fn unix(t: SystemTime) -> u64 {
    t.duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs())
}

/// The time at Unix second `secs`.
pub fn at(secs: u64) -> SystemTime {
    UNIX_EPOCH + Duration::from_secs(secs)
}

/// A metadata's `(issued_at, sealed_at, expires_at)` in Unix seconds.
pub fn times(m: &Metadata) -> (u64, u64, Option<u64>) {
    (
        unix(m.issued_at()),
        unix(m.sealed_at()),
        m.expires_at().map(unix),
    )
}

/// The `Max-Age` of a `Set-Cookie` line, if it has one.
pub fn max_age(line: &str) -> Option<u64> {
    line.split(';')
        .skip(1)
        .filter_map(|a| a.trim().split_once('='))
        .find(|(k, _)| k.eq_ignore_ascii_case("max-age"))
        .and_then(|(_, v)| v.parse().ok())
}

/// The `Cookie` header a browser sends back for `Set-Cookie` lines (deletions dropped).
pub fn cookie_header(lines: &[String]) -> String {
    lines
        .iter()
        .filter(|l| max_age(l) != Some(0))
        .map(|l| l.split(';').next().unwrap_or(""))
        .collect::<Vec<_>>()
        .join("; ")
}
