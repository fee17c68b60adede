//! Issue item 5: absolute and idle expiry, clock skew, future-dated values, the browser's
//! Max-Age/Expires, and the idle-refresh re-seal hint.

mod common;

use std::time::{Duration, SystemTime};

use common::{T0, at, attribute, before, cookie_header, now, ring};
use sealed_session::{Codec, Error, Expiry, Metadata, RequestCookies, ResealReason, SealedCookies};

const SKEW: u64 = 10;

fn policy(absolute: Option<u64>, idle: Option<u64>) -> Expiry {
    Expiry::default()
        .absolute(absolute.map(Duration::from_secs))
        .idle(idle.map(Duration::from_secs))
        .clock_skew(Duration::from_secs(SKEW))
}

fn codec(expiry: Expiry) -> Codec<u32> {
    Codec::builder(ring()).expiry(expiry).build().unwrap()
}

fn seal(
    c: &Codec<u32>,
    previous: Option<&Metadata>,
    t: SystemTime,
) -> Result<SealedCookies, Error> {
    c.seal(&7, previous, &RequestCookies::new(), t)
}

fn open(c: &Codec<u32>, sealed: &SealedCookies, t: SystemTime) -> Result<Metadata, Error> {
    let header = cookie_header(sealed);
    c.open(&RequestCookies::from_header(&header), t)
        .map(|o| o.expect("session present").metadata)
}

/// The metadata of a session re-sealed every 90 s (inside its 100 s idle window) from T0 up to
/// `until`, the way an active user keeps it alive.
fn kept_alive(c: &Codec<u32>, until: u64) -> Metadata {
    let mut meta = seal(c, None, now()).unwrap().metadata().clone();
    let mut t = 0;
    while t < until {
        t = (t + 90).min(until);
        meta = seal(c, Some(&meta), at(t)).unwrap().metadata().clone();
    }
    meta
}

fn expired(offset: u64) -> Error {
    Error::Expired { at: at(offset) }
}

fn max_age(sealed: &SealedCookies) -> u64 {
    attribute(&sealed.headers()[0], "Max-Age")
        .unwrap()
        .parse()
        .unwrap()
}

#[test]
fn default_policy_is_a_day_absolute_two_hours_idle_one_minute_skew() {
    let p = Expiry::default();
    assert_eq!(p.absolute_lifetime(), Some(Duration::from_secs(24 * 3600)));
    assert_eq!(p.idle_timeout(), Some(Duration::from_secs(2 * 3600)));
    assert_eq!(p.skew(), Duration::from_secs(60));
}

#[test]
fn idle_timeout_runs_from_the_last_seal() {
    let c = codec(policy(None, Some(100)));
    let first = seal(&c, None, now()).unwrap();
    assert_eq!(first.metadata().expires_at(), Some(at(100)));
    assert_eq!(
        open(&c, &first, at(100 + SKEW - 1)).unwrap().expires_at(),
        Some(at(100))
    );
    assert_eq!(open(&c, &first, at(100 + SKEW)).unwrap_err(), expired(100));

    // Re-sealed at T0+60: the idle deadline moves to T0+160.
    let meta = open(&c, &first, at(60)).unwrap();
    let second = seal(&c, Some(&meta), at(60)).unwrap();
    assert_eq!(second.metadata().sealed_at(), at(60));
    assert_eq!(second.metadata().expires_at(), Some(at(160)));
    assert!(open(&c, &second, at(160 + SKEW - 1)).is_ok());
    assert_eq!(open(&c, &second, at(160 + SKEW)).unwrap_err(), expired(160));
    // The old cookie still dies at its own deadline.
    assert_eq!(open(&c, &first, at(160)).unwrap_err(), expired(100));
}

#[test]
fn absolute_lifetime_is_carried_across_reseals() {
    let c = codec(policy(Some(1000), Some(100)));
    let mut sealed = seal(&c, None, now()).unwrap();
    let id = sealed.metadata().session_id();
    // Active every 90 s: the idle timeout never hits, the absolute lifetime does.
    let mut t = 0;
    while t + 90 < 1000 {
        t += 90;
        let meta = open(&c, &sealed, at(t)).unwrap();
        assert_eq!(meta.issued_at(), now());
        sealed = seal(&c, Some(&meta), at(t)).unwrap();
        assert_eq!(sealed.metadata().session_id(), id);
        assert_eq!(
            sealed.metadata().issued_at(),
            now(),
            "issued_at never moves"
        );
        assert_eq!(
            sealed.metadata().expires_at(),
            Some(at((t + 100).min(1000)))
        );
    }
    assert_eq!(t, 990);
    assert!(open(&c, &sealed, at(1000 + SKEW - 1)).is_ok());
    assert_eq!(
        open(&c, &sealed, at(1000 + SKEW)).unwrap_err(),
        expired(1000)
    );
}

#[test]
fn combined_limits_expire_at_the_earlier_deadline() {
    let c = codec(policy(Some(1000), Some(100)));
    let first = seal(&c, None, now()).unwrap();
    assert_eq!(
        first.metadata().expires_at(),
        Some(at(100)),
        "idle is earlier at first"
    );
    let meta = kept_alive(&c, 900);
    let late = seal(&c, Some(&meta), at(950)).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(
        late.metadata().expires_at(),
        Some(at(1000)),
        "absolute is earlier near the end"
    );

    // Each limit alone.
    let abs = codec(policy(Some(1000), None));
    let s = seal(&abs, None, now()).unwrap();
    assert_eq!(s.metadata().expires_at(), Some(at(1000)));
    assert!(open(&abs, &s, at(999)).is_ok());
    assert_eq!(open(&abs, &s, at(1000 + SKEW)).unwrap_err(), expired(1000));

    // Neither: never expires, and the cookie is a browser-session cookie.
    let none = codec(policy(None, None));
    let s = seal(&none, None, now()).unwrap();
    assert_eq!(s.metadata().expires_at(), None);
    assert!(open(&none, &s, at(50 * 365 * 24 * 3600)).is_ok());
    assert!(attribute(&s.headers()[0], "Max-Age").is_none());
}

#[test]
fn future_dated_values_are_accepted_within_skew_and_rejected_beyond() {
    let c = codec(policy(Some(1000), Some(100)));
    // A node whose clock is exactly SKEW ahead.
    let ahead = seal(&c, None, at(SKEW)).unwrap();
    let meta = open(&c, &ahead, now()).unwrap();
    assert_eq!(meta.issued_at(), at(SKEW));
    // One second more is too far ahead.
    let too_far = seal(&c, None, at(SKEW + 1)).unwrap();
    assert_eq!(open(&c, &too_far, now()).unwrap_err(), Error::NotYetValid);
    assert!(open(&c, &too_far, at(1)).is_ok());

    // A re-seal dated ahead (sealed_at in the future, issued_at in the past) is caught too.
    let issued = seal(&c, None, before(50)).unwrap();
    let resealed = seal(&c, Some(issued.metadata()), at(SKEW + 1)).unwrap();
    assert_eq!(resealed.metadata().issued_at(), before(50));
    assert_eq!(open(&c, &resealed, now()).unwrap_err(), Error::NotYetValid);

    // With no skew allowance, one second ahead is already rejected.
    let strict = codec(policy(Some(1000), Some(100)).clock_skew(Duration::ZERO));
    let ahead = seal(&strict, None, at(1)).unwrap();
    assert_eq!(
        open(&strict, &ahead, now()).unwrap_err(),
        Error::NotYetValid
    );
    assert!(open(&strict, &ahead, at(1)).is_ok());
    let s = seal(&strict, None, now()).unwrap();
    assert!(open(&strict, &s, at(99)).is_ok());
    assert_eq!(open(&strict, &s, at(100)).unwrap_err(), expired(100));
}

#[test]
fn max_age_is_the_smaller_of_absolute_remaining_and_idle() {
    let c = codec(policy(Some(1000), Some(100)));
    let first = seal(&c, None, now()).unwrap();
    assert_eq!(max_age(&first), 100);
    for t in [500, 900, 901, 950, 999] {
        let s = seal(&c, Some(&kept_alive(&c, t - 1)), at(t)).unwrap();
        let expected = (1000 - t).min(100);
        assert_eq!(max_age(&s), expected, "re-sealed at T0+{t}");
        assert_eq!(s.metadata().expires_at(), Some(at(t + expected)));
        let expires = attribute(&s.headers()[0], "Expires").unwrap();
        assert_eq!(expires, http_date(T0 + t + expected));
    }
}

/// IMF-fixdate, computed independently of the crate (days-from-civil inverse by search).
fn http_date(unix: u64) -> String {
    const DAYS: [&str; 7] = ["Thu", "Fri", "Sat", "Sun", "Mon", "Tue", "Wed"];
    const MONTHS: [&str; 12] = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];
    let mut days = unix / 86_400;
    let weekday = DAYS[(days % 7) as usize];
    let mut year = 1970;
    loop {
        let leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
        let len = if leap { 366 } else { 365 };
        if days < len {
            break;
        }
        days -= len;
        year += 1;
    }
    let leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
    let month_len = [
        31,
        if leap { 29 } else { 28 },
        31,
        30,
        31,
        30,
        31,
        31,
        30,
        31,
        30,
        31,
    ];
    let mut month = 0;
    while days >= month_len[month] {
        days -= month_len[month];
        month += 1;
    }
    let s = unix % 86_400;
    format!(
        "{weekday}, {:02} {} {year} {:02}:{:02}:{:02} GMT",
        days + 1,
        MONTHS[month],
        s / 3600,
        s / 60 % 60,
        s % 60
    )
}

#[test]
fn independent_http_date_agrees_on_a_known_date() {
    assert_eq!(http_date(784_111_777), "Sun, 06 Nov 1994 08:49:37 GMT");
    assert_eq!(http_date(T0), "Fri, 15 Jan 2027 08:00:00 GMT");
}

#[test]
fn idle_refresh_is_due_once_half_the_idle_window_passed() {
    let c = codec(policy(Some(10_000), Some(100)));
    let s = seal(&c, None, now()).unwrap();
    assert_eq!(s.metadata().reseal_reason(), None);
    assert_eq!(open(&c, &s, at(49)).unwrap().reseal_reason(), None);
    let meta = open(&c, &s, at(50)).unwrap();
    assert_eq!(meta.reseal_reason(), Some(ResealReason::IdleRefresh));
    assert!(meta.reseal_due());
    // Re-sealing clears it until half the new window has passed.
    let again = seal(&c, Some(&meta), at(50)).unwrap();
    assert_eq!(open(&c, &again, at(99)).unwrap().reseal_reason(), None);
    assert_eq!(
        open(&c, &again, at(100)).unwrap().reseal_reason(),
        Some(ResealReason::IdleRefresh)
    );

    // An odd window rounds the half up.
    let odd = codec(policy(None, Some(101)));
    let s = seal(&odd, None, now()).unwrap();
    assert_eq!(open(&odd, &s, at(50)).unwrap().reseal_reason(), None);
    assert_eq!(
        open(&odd, &s, at(51)).unwrap().reseal_reason(),
        Some(ResealReason::IdleRefresh)
    );

    // Without an idle timeout there is never an idle refresh.
    let abs = codec(policy(Some(1000), None));
    let s = seal(&abs, None, now()).unwrap();
    assert_eq!(open(&abs, &s, at(999)).unwrap().reseal_reason(), None);
}

#[test]
fn sealing_with_previous_metadata_past_its_absolute_lifetime_is_refused() {
    let c = codec(policy(Some(1000), Some(100)));
    let meta = kept_alive(&c, 990);
    assert_eq!(
        seal(&c, Some(&meta), at(1000 + SKEW)).unwrap_err(),
        expired(1000)
    );
    assert_eq!(seal(&c, Some(&meta), at(5000)).unwrap_err(), expired(1000));
    // One second before the deadline it still seals, for that last second.
    let last = seal(&c, Some(&meta), at(999)).unwrap();
    assert_eq!(max_age(&last), 1);
}

#[test]
fn sealing_at_the_absolute_deadline_is_refused_not_turned_into_a_deletion() {
    let c = codec(policy(Some(1000), Some(100)));
    let meta = kept_alive(&c, 990);
    for t in [1000, 1000 + SKEW - 1] {
        match seal(&c, Some(&meta), at(t)) {
            Err(e) => assert_eq!(e, expired(1000), "T0+{t}"),
            Ok(s) => panic!("T0+{t}: sealed a cookie with Max-Age={}", max_age(&s)),
        }
    }
}

#[test]
fn sealing_with_previous_metadata_past_its_idle_deadline_is_refused() {
    let c = codec(policy(Some(10_000), Some(100)));
    let first = seal(&c, None, now()).unwrap();
    // The previous metadata says the session expired at T0+100; an hour later it is still
    // accepted and the session gets a fresh idle window.
    let result = seal(&c, Some(first.metadata()), at(3600));
    assert_eq!(result.map(|s| s.metadata().expires_at()), Err(expired(100)));
}

#[test]
fn invalid_policies_are_refused_at_build() {
    let build = |p: Expiry| Codec::<u32>::builder(ring()).expiry(p).build();
    assert!(matches!(
        build(policy(Some(0), None)),
        Err(Error::InvalidConfig { .. })
    ));
    assert!(matches!(
        build(policy(None, Some(0))),
        Err(Error::InvalidConfig { .. })
    ));
    assert!(build(policy(Some(1), Some(1))).is_ok());
    let skew = |s| Expiry::default().clock_skew(Duration::from_secs(s));
    assert!(build(skew(3600)).is_ok());
    assert!(matches!(
        build(skew(3601)),
        Err(Error::InvalidConfig { .. })
    ));
}
