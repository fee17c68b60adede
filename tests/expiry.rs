//! Issue item 5: absolute and idle expiry, clock skew, future-dated values, the browser's
//! Max-Age/Expires, and the idle-refresh re-seal hint.

mod common;

use std::time::{Duration, SystemTime};

use common::{T0, at, attribute, before, cookie_header, now, ring};
use sealed_session::{
    Codec, Error, Expiry, Lifetime, Metadata, RequestCookies, ResealReason, SealedCookies,
};

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

fn secs(s: u64) -> Option<Duration> {
    Some(Duration::from_secs(s))
}

fn seal_new(c: &Codec<u32>, lifetime: &Lifetime, t: SystemTime) -> SealedCookies {
    c.seal_new(&7, lifetime, &RequestCookies::new(), t).unwrap()
}

/// Whether the first line carries neither `Max-Age` nor `Expires` (a browser-session cookie).
fn is_browser_session_cookie(sealed: &SealedCookies) -> bool {
    let line = &sealed.headers()[0];
    attribute(line, "Max-Age").is_none() && attribute(line, "Expires").is_none()
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
    let late = open(&c, &first, at(100 + SKEW - 1)).unwrap();
    assert_eq!(late.expires_at(), Some(at(100)));
    assert!(
        late.past_deadline(),
        "opened through the skew allowance only"
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

    // Neither: never expires, so there is no Max-Age to give (the browser keeps it for the
    // browser session).
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
    // The previous metadata says the session expired at T0+100; an hour later a re-seal is
    // refused (were it accepted, the session would get a fresh idle window).
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

#[test]
fn idle_deadline_edges_open_with_the_skew_and_reseal_without_it() {
    let c = codec(policy(None, Some(100)));
    let s = seal(&c, None, now()).unwrap();
    assert!(!s.metadata().past_deadline());
    // One second before the deadline: open, not past it, and due for an idle refresh.
    let before_deadline = open(&c, &s, at(99)).unwrap();
    assert!(!before_deadline.past_deadline());
    assert_eq!(
        before_deadline.reseal_reason(),
        Some(ResealReason::IdleRefresh)
    );
    // From the deadline to the end of the skew allowance: it opens, past its deadline, with no
    // re-seal reason (even though the idle refresh would be due), and cannot be re-sealed.
    for t in [100, 100 + SKEW / 2, 100 + SKEW - 1] {
        let m = open(&c, &s, at(t)).unwrap();
        assert!(m.past_deadline(), "T0+{t}");
        assert_eq!(m.reseal_reason(), None, "T0+{t}");
        assert_eq!(m.expires_at(), Some(at(100)));
        assert_eq!(
            seal(&c, Some(&m), at(t)).unwrap_err(),
            expired(100),
            "T0+{t}"
        );
    }
    // At the end of the skew allowance it no longer opens.
    assert_eq!(open(&c, &s, at(100 + SKEW)).unwrap_err(), expired(100));

    // A re-seal one second before the deadline goes through: a fresh idle window from then.
    let resealed = seal(&c, Some(&before_deadline), at(99)).unwrap();
    assert_eq!(resealed.metadata().expires_at(), Some(at(199)));
    assert!(!resealed.metadata().past_deadline());
    assert_eq!(max_age(&resealed), 100);
    // At the deadline the same metadata no longer re-seals: no skew for re-seals.
    assert_eq!(
        seal(&c, Some(&before_deadline), at(100)).unwrap_err(),
        expired(100)
    );
}

#[test]
fn absolute_deadline_edges_open_with_the_skew_and_reseal_without_it() {
    let c = codec(policy(Some(1000), None));
    let s = seal(&c, None, now()).unwrap();
    let before_deadline = open(&c, &s, at(999)).unwrap();
    assert!(!before_deadline.past_deadline());
    for t in [1000, 1000 + SKEW - 1] {
        let m = open(&c, &s, at(t)).unwrap();
        assert!(m.past_deadline(), "T0+{t}");
        assert_eq!(m.reseal_reason(), None, "T0+{t}");
        assert_eq!(
            seal(&c, Some(&m), at(t)).unwrap_err(),
            expired(1000),
            "T0+{t}"
        );
    }
    assert_eq!(open(&c, &s, at(1000 + SKEW)).unwrap_err(), expired(1000));
    // The last re-seal, one second before the deadline, is good for that one second.
    let last = seal(&c, Some(&before_deadline), at(999)).unwrap();
    assert_eq!(last.metadata().expires_at(), Some(at(1000)));
    assert_eq!(max_age(&last), 1);
    assert_eq!(
        seal(&c, Some(&before_deadline), at(1000)).unwrap_err(),
        expired(1000)
    );
    // The re-sealed value keeps the absolute deadline: same edges.
    assert!(
        open(&c, &last, at(1000 + SKEW - 1))
            .unwrap()
            .past_deadline()
    );
    assert_eq!(open(&c, &last, at(1000 + SKEW)).unwrap_err(), expired(1000));
}

#[test]
fn no_chain_of_reseals_inside_the_skew_window_outlives_the_idle_deadline() {
    // Nodes whose clocks differ by up to the skew all open a value until its deadline plus the
    // skew. If a re-seal were allowed in that window too, each node could re-seal the value
    // just before it stopped opening, `SKEW - 1` seconds past its deadline, and the chain would
    // keep an idle session alive forever. A re-seal needs `now < expires_at`, so the chain
    // breaks at its first link.
    let c = codec(policy(None, Some(100)));
    let first = seal(&c, None, now()).unwrap();
    let mut sealed = first.clone();
    let mut deadline = 100;
    let mut links = 0;
    for _ in 0..5 {
        let t = deadline + SKEW - 1;
        let m = open(&c, &sealed, at(t)).unwrap();
        assert!(m.past_deadline());
        match seal(&c, Some(&m), at(t)) {
            Ok(next) => {
                links += 1;
                sealed = next;
                deadline = t + 100;
            }
            Err(e) => {
                assert_eq!(e, expired(deadline));
                break;
            }
        }
    }
    assert_eq!(links, 0, "a re-seal inside the skew window went through");
    // Every second from the deadline on is refused, and the value dies at deadline + skew.
    let m = open(&c, &first, at(100)).unwrap();
    for t in 100..100 + SKEW {
        assert_eq!(seal(&c, Some(&m), at(t)).unwrap_err(), expired(100));
    }
    assert_eq!(open(&c, &first, at(100 + SKEW)).unwrap_err(), expired(100));
}

#[test]
fn a_fifteen_minute_value_opens_for_fifteen_minutes_in_a_twenty_day_codec() {
    let day = 24 * 3600;
    let c = codec(policy(Some(20 * day), Some(20 * day)));
    let quarter = Lifetime::persistent().absolute(secs(900));
    let s = seal_new(&c, &quarter, now());
    assert_eq!(s.metadata().expires_at(), Some(at(900)));
    assert_eq!(max_age(&s), 900);
    assert_eq!(s.metadata().lifetime().absolute_lifetime(), secs(900));
    assert_eq!(s.metadata().lifetime().idle_timeout(), secs(20 * day));
    let m = open(&c, &s, at(899)).unwrap();
    assert!(!m.past_deadline());
    assert_eq!(m.lifetime().absolute_lifetime(), secs(900));
    assert!(open(&c, &s, at(900 + SKEW - 1)).unwrap().past_deadline());
    assert_eq!(open(&c, &s, at(900 + SKEW)).unwrap_err(), expired(900));
    // A re-seal keeps the value's own lifetime, not the codec's twenty days.
    let resealed = seal(&c, Some(&m), at(600)).unwrap();
    assert_eq!(resealed.metadata().expires_at(), Some(at(900)));
    assert_eq!(max_age(&resealed), 300);
    assert_eq!(
        open(&c, &resealed, at(900 + SKEW)).unwrap_err(),
        expired(900)
    );
    // Another codec of the same keyring whose policy allows even longer enforces it too.
    let unlimited = codec(policy(None, None));
    assert_eq!(
        open(&unlimited, &s, at(900 + SKEW)).unwrap_err(),
        expired(900)
    );

    // A fifteen-minute idle timeout: slides with re-seals, fifteen minutes at a time.
    let idle = seal_new(&c, &Lifetime::persistent().idle(secs(900)), now());
    assert_eq!(idle.metadata().expires_at(), Some(at(900)));
    let m = open(&c, &idle, at(600)).unwrap();
    assert_eq!(m.reseal_reason(), Some(ResealReason::IdleRefresh));
    let slid = seal(&c, Some(&m), at(600)).unwrap();
    assert_eq!(slid.metadata().expires_at(), Some(at(1500)));
    assert_eq!(max_age(&slid), 900);
    assert_eq!(open(&c, &idle, at(900 + SKEW)).unwrap_err(), expired(900));

    // The same for a token (a password-reset link).
    let tokens = Codec::<u32>::builder(ring())
        .purpose("password-reset")
        .expiry(policy(Some(20 * day), Some(20 * day)))
        .build()
        .unwrap();
    let t = tokens.seal_token_new(&7, &quarter, now()).unwrap();
    let m = tokens.open_token(&t, at(900 + SKEW - 1)).unwrap().metadata;
    assert!(m.past_deadline());
    assert_eq!(
        tokens.open_token(&t, at(900 + SKEW)).unwrap_err(),
        expired(900)
    );
    // Re-sealing the token keeps its lifetime too.
    let m = tokens.open_token(&t, at(600)).unwrap().metadata;
    let again = tokens.seal_token(&7, Some(&m), at(600)).unwrap();
    assert_eq!(
        tokens.open_token(&again, at(900 + SKEW)).unwrap_err(),
        expired(900)
    );
}

#[test]
fn a_browser_session_value_has_no_max_age_but_expires_on_the_server() {
    let c = codec(policy(Some(1000), Some(100)));
    let s = seal_new(&c, &Lifetime::browser_session(), now());
    assert!(is_browser_session_cookie(&s), "{}", s.headers()[0]);
    assert!(!s.metadata().lifetime().is_persistent());
    // The server-side deadlines are the codec's.
    assert_eq!(s.metadata().expires_at(), Some(at(100)));
    assert_eq!(open(&c, &s, at(100 + SKEW)).unwrap_err(), expired(100));
    // A re-seal keeps it a browser-session cookie.
    let m = open(&c, &s, at(50)).unwrap();
    assert!(!m.lifetime().is_persistent());
    let again = seal(&c, Some(&m), at(50)).unwrap();
    assert!(is_browser_session_cookie(&again));
    assert_eq!(again.metadata().expires_at(), Some(at(150)));
    assert_eq!(open(&c, &again, at(150 + SKEW)).unwrap_err(), expired(150));

    // A browser-session lifetime of its own, shorter than the codec's.
    let visit = Lifetime::browser_session().idle(secs(30));
    let s = seal_new(&c, &visit, now());
    assert!(is_browser_session_cookie(&s));
    assert_eq!(s.metadata().expires_at(), Some(at(30)));
    assert_eq!(open(&c, &s, at(30 + SKEW)).unwrap_err(), expired(30));

    // A codec whose new sessions are browser-session ones.
    let browser = codec(policy(Some(1000), Some(100)).persistent(false));
    let s = seal(&browser, None, now()).unwrap();
    assert!(is_browser_session_cookie(&s));
    assert!(!s.metadata().lifetime().is_persistent());
    assert_eq!(s.metadata().expires_at(), Some(at(100)));
    // ...unless the app asks for a persistent one.
    let remembered = seal_new(&browser, &Lifetime::persistent(), now());
    assert_eq!(max_age(&remembered), 100);

    // A browser-session cookie needs a server-side deadline.
    let no_limits = policy(None, None);
    assert!(matches!(
        Codec::<u32>::builder(ring())
            .expiry(no_limits.persistent(false))
            .build(),
        Err(Error::InvalidConfig { .. })
    ));
    let unlimited = codec(no_limits);
    assert!(matches!(
        unlimited.seal_new(
            &7,
            &Lifetime::browser_session(),
            &RequestCookies::new(),
            now()
        ),
        Err(Error::InvalidConfig { .. })
    ));
    let bounded = seal_new(
        &unlimited,
        &Lifetime::browser_session().absolute(secs(60)),
        now(),
    );
    assert!(is_browser_session_cookie(&bounded));
    assert_eq!(
        open(&unlimited, &bounded, at(60 + SKEW)).unwrap_err(),
        expired(60)
    );
    // Lifetimes out of range are refused.
    for bad in [
        Lifetime::persistent().absolute(Some(Duration::ZERO)),
        Lifetime::persistent().idle(Some(Duration::ZERO)),
        Lifetime::persistent().idle(secs(101 * 366 * 24 * 3600)),
    ] {
        assert!(matches!(
            c.seal_new(&7, &bad, &RequestCookies::new(), now()),
            Err(Error::InvalidConfig { .. })
        ));
    }
}

#[test]
fn a_long_lived_value_opened_by_a_codec_with_a_shorter_policy_is_capped() {
    let long = codec(policy(Some(10_000), Some(1_000)));
    let short = codec(policy(Some(300), Some(100)));
    let s = seal(&long, None, now()).unwrap();
    assert_eq!(s.metadata().expires_at(), Some(at(1_000)));
    // The short codec applies the shorter of each limit.
    let m = open(&short, &s, at(50)).unwrap();
    assert_eq!(m.expires_at(), Some(at(100)));
    assert_eq!(m.lifetime().absolute_lifetime(), secs(300));
    assert_eq!(m.lifetime().idle_timeout(), secs(100));
    assert_eq!(open(&short, &s, at(100 + SKEW)).unwrap_err(), expired(100));
    // The long codec still opens it under the value's own lifetime.
    assert_eq!(
        open(&long, &s, at(100 + SKEW)).unwrap().expires_at(),
        Some(at(1_000))
    );
    // A value of a long lifetime of its own is capped the same way.
    let own = seal_new(&long, &Lifetime::persistent().absolute(secs(5_000)), now());
    assert_eq!(
        open(&short, &own, at(50)).unwrap().expires_at(),
        Some(at(100))
    );
    // The short codec's re-seal writes the capped lifetime: no node extends it afterwards.
    let capped = seal(&short, Some(&m), at(50)).unwrap();
    assert_eq!(capped.metadata().expires_at(), Some(at(150)));
    assert_eq!(max_age(&capped), 100);
    let back = open(&long, &capped, at(60)).unwrap();
    assert_eq!(back.lifetime().idle_timeout(), secs(100));
    assert_eq!(back.expires_at(), Some(at(150)));
    assert_eq!(
        open(&long, &capped, at(150 + SKEW)).unwrap_err(),
        expired(150)
    );
    // And a short-lived value is never extended by a longer policy.
    let brief = seal(&short, None, now()).unwrap();
    assert_eq!(
        open(&long, &brief, at(50)).unwrap().expires_at(),
        Some(at(100))
    );
    assert_eq!(
        open(&long, &brief, at(100 + SKEW)).unwrap_err(),
        expired(100)
    );
    let resealed_by_long =
        seal(&long, Some(&open(&long, &brief, at(50)).unwrap()), at(50)).unwrap();
    assert_eq!(resealed_by_long.metadata().expires_at(), Some(at(150)));
    assert_eq!(max_age(&resealed_by_long), 100);
}

#[test]
fn reseals_keep_the_value_lifetime_and_persistence_whatever_the_sealing_codec() {
    let persistent_codec = codec(policy(Some(10_000), Some(1_000)));
    let browser_codec = codec(policy(Some(10_000), Some(1_000)).persistent(false));
    let visit = Lifetime::browser_session()
        .absolute(secs(5_000))
        .idle(secs(200));
    let s = seal_new(&persistent_codec, &visit, now());
    assert!(is_browser_session_cookie(&s));
    let want = s.metadata().lifetime();
    assert_eq!(want.absolute_lifetime(), secs(5_000));
    assert_eq!(want.idle_timeout(), secs(200));
    // Re-sealed by either codec, several times: same lifetime, still a browser-session cookie,
    // the absolute deadline from the first seal.
    let mut sealed = s;
    for (i, c) in [&persistent_codec, &browser_codec, &persistent_codec]
        .into_iter()
        .enumerate()
    {
        let t = 150 * (i as u64 + 1);
        let m = open(c, &sealed, at(t)).unwrap();
        assert_eq!(m.lifetime(), want, "T0+{t}");
        sealed = seal(c, Some(&m), at(t)).unwrap();
        assert_eq!(sealed.metadata().lifetime(), want, "T0+{t}");
        assert!(is_browser_session_cookie(&sealed), "T0+{t}");
        assert_eq!(sealed.metadata().issued_at(), now());
        assert_eq!(sealed.metadata().expires_at(), Some(at(t + 200)));
    }
    // A persistent value re-sealed by the browser-session codec stays persistent.
    let remembered = seal_new(
        &browser_codec,
        &Lifetime::persistent().idle(secs(300)),
        now(),
    );
    assert_eq!(max_age(&remembered), 300);
    let m = open(&browser_codec, &remembered, at(100)).unwrap();
    let again = seal(&browser_codec, Some(&m), at(100)).unwrap();
    assert!(again.metadata().lifetime().is_persistent());
    assert_eq!(max_age(&again), 300);
    assert_eq!(again.metadata().lifetime().idle_timeout(), secs(300));
    // A new session (no previous metadata) gets the codec's lifetime instead.
    let fresh = seal(&browser_codec, None, at(100)).unwrap();
    assert_eq!(
        fresh.metadata().lifetime(),
        browser_codec.expiry().lifetime()
    );
    assert!(is_browser_session_cookie(&fresh));
}
