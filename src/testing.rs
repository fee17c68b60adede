//! Test helpers for applications: a browser-like cookie jar, so handler tests apply responses
//! and send the next request the way a browser would, without writing their own.

use std::time::{Duration, SystemTime};

/// A browser's cookie jar for one site (one host, `Path=/`): what a test applies `Set-Cookie`
/// lines to and renders the next request's `Cookie` header from.
///
/// Browser semantics, as far as sessions need them: a line replaces the cookie of the same
/// name (keeping its place: browsers send older cookies first); `Max-Age=0` (or a `Max-Age` /
/// `Expires` already past) deletes; a cookie with `Max-Age` or `Expires` is persistent and
/// expires at that time; one without is a browser-session cookie, dropped by
/// [`close_browser`](Self::close_browser).
///
/// # Example
///
/// ```
/// use std::time::{Duration, SystemTime};
/// use sealed_session::{Codec, Keyring, RequestCookies, testing::CookieJar};
///
/// let codec = Codec::<u32>::builder(Keyring::generate()?).build()?;
/// let now = SystemTime::now();
/// let mut jar = CookieJar::new();
/// jar.apply(codec.seal(&7, None, &RequestCookies::new(), now)?.headers(), now);
/// let header = jar.header(now);
/// assert_eq!(codec.open(&RequestCookies::from_header(&header), now)?.unwrap().session, 7);
///
/// jar.apply(codec.clear(&RequestCookies::from_header(&header)), now);
/// assert!(jar.is_empty(now));
/// # Ok::<(), sealed_session::Error>(())
/// ```
#[derive(Debug, Clone, Default)]
pub struct CookieJar {
    /// In creation order: name, value, expiry (`None`: browser-session cookie).
    cookies: Vec<(String, String, Option<SystemTime>)>,
}

impl CookieJar {
    /// An empty jar.
    ///
    /// # Example
    ///
    /// ```
    /// let jar = sealed_session::testing::CookieJar::new();
    /// assert!(jar.is_empty(std::time::SystemTime::now()));
    /// ```
    pub fn new() -> Self {
        CookieJar::default()
    }

    /// Applies a response's `Set-Cookie` lines, in order, received at `now`. Lines without a
    /// `name=` are ignored, as browsers ignore them.
    ///
    /// # Example
    ///
    /// ```
    /// use std::time::SystemTime;
    /// let now = SystemTime::now();
    /// let mut jar = sealed_session::testing::CookieJar::new();
    /// jar.apply(["a=1; Max-Age=60; Path=/", "b=2; Path=/"], now);
    /// jar.apply(["a=; Max-Age=0; Path=/"], now);
    /// assert_eq!(jar.header(now), "b=2");
    /// ```
    pub fn apply<I, S>(&mut self, set_cookie_lines: I, now: SystemTime)
    where
        I: IntoIterator<Item = S>,
        S: AsRef<str>,
    {
        for line in set_cookie_lines {
            self.apply_one(line.as_ref(), now);
        }
    }

    fn apply_one(&mut self, line: &str, now: SystemTime) {
        let mut parts = line.split(';');
        let Some((name, value)) = parts.next().and_then(|p| p.split_once('=')) else {
            return;
        };
        let (name, value) = (name.trim(), value.trim());
        if name.is_empty() {
            return;
        }
        let mut expires = None;
        let mut max_age = None;
        for attribute in parts {
            let (key, arg) = attribute.split_once('=').unwrap_or((attribute, ""));
            let key = key.trim();
            if key.eq_ignore_ascii_case("max-age") {
                max_age = arg.trim().parse::<i64>().ok();
            } else if key.eq_ignore_ascii_case("expires") {
                expires = parse_http_date(arg.trim());
            }
        }
        // Max-Age wins over Expires (RFC 6265 5.3 step 3).
        let expiry = match (max_age, expires) {
            (Some(secs), _) if secs <= 0 => Some(SystemTime::UNIX_EPOCH),
            (Some(secs), _) => Some(now + Duration::from_secs(secs.unsigned_abs())),
            (None, expires) => expires,
        };
        let position = self.cookies.iter().position(|(n, _, _)| n == name);
        if expiry.is_some_and(|at| at <= now) {
            if let Some(i) = position {
                self.cookies.remove(i);
            }
            return;
        }
        match position {
            Some(i) => {
                self.cookies[i].1 = value.to_owned();
                self.cookies[i].2 = expiry;
            }
            None => self
                .cookies
                .push((name.to_owned(), value.to_owned(), expiry)),
        }
    }

    /// The `Cookie` header the browser would send at `now` (empty when it holds nothing
    /// unexpired).
    ///
    /// # Example
    ///
    /// ```
    /// use std::time::{Duration, SystemTime};
    /// let now = SystemTime::now();
    /// let mut jar = sealed_session::testing::CookieJar::new();
    /// jar.apply(["a=1; Max-Age=60"], now);
    /// assert_eq!(jar.header(now), "a=1");
    /// assert_eq!(jar.header(now + Duration::from_secs(61)), "");
    /// ```
    pub fn header(&self, now: SystemTime) -> String {
        self.live(now)
            .map(|(n, v, _)| format!("{n}={v}"))
            .collect::<Vec<_>>()
            .join("; ")
    }

    /// The value of cookie `name` at `now`.
    ///
    /// # Example
    ///
    /// ```
    /// let now = std::time::SystemTime::now();
    /// let mut jar = sealed_session::testing::CookieJar::new();
    /// jar.apply(["theme=dark"], now);
    /// assert_eq!(jar.get("theme", now), Some("dark"));
    /// ```
    pub fn get(&self, name: &str, now: SystemTime) -> Option<&str> {
        self.live(now)
            .find(|(n, _, _)| n == name)
            .map(|(_, v, _)| v.as_str())
    }

    /// Stores a cookie as another site or an attacker could (no attributes: a browser-session
    /// cookie).
    ///
    /// # Example
    ///
    /// ```
    /// let now = std::time::SystemTime::now();
    /// let mut jar = sealed_session::testing::CookieJar::new();
    /// jar.insert("__Host-session", "forged");
    /// assert_eq!(jar.header(now), "__Host-session=forged");
    /// ```
    pub fn insert(&mut self, name: &str, value: &str) {
        self.apply_one(&format!("{name}={value}"), SystemTime::UNIX_EPOCH);
    }

    /// Whether the jar holds no unexpired cookie at `now`.
    ///
    /// # Example
    ///
    /// ```
    /// assert!(sealed_session::testing::CookieJar::new().is_empty(std::time::SystemTime::now()));
    /// ```
    pub fn is_empty(&self, now: SystemTime) -> bool {
        self.live(now).next().is_none()
    }

    /// Quits the browser: browser-session cookies (no `Max-Age`/`Expires`) are gone.
    ///
    /// # Example
    ///
    /// ```
    /// let now = std::time::SystemTime::now();
    /// let mut jar = sealed_session::testing::CookieJar::new();
    /// jar.apply(["kept=1; Max-Age=600", "visit=1"], now);
    /// jar.close_browser();
    /// assert_eq!(jar.header(now), "kept=1");
    /// ```
    pub fn close_browser(&mut self) {
        self.cookies.retain(|(_, _, expiry)| expiry.is_some());
    }

    fn live(&self, now: SystemTime) -> impl Iterator<Item = &(String, String, Option<SystemTime>)> {
        self.cookies
            .iter()
            .filter(move |(_, _, expiry)| expiry.is_none_or(|at| at > now))
    }
}

/// An IMF-fixdate (`Sun, 06 Nov 1994 08:49:37 GMT`), the form this crate writes; other forms
/// give `None` (the cookie is then treated as having no `Expires`).
fn parse_http_date(text: &str) -> Option<SystemTime> {
    let rest = text.split_once(", ")?.1;
    let mut fields = rest.split(' ');
    let day: u64 = fields.next()?.parse().ok()?;
    let month = match fields.next()? {
        "Jan" => 1,
        "Feb" => 2,
        "Mar" => 3,
        "Apr" => 4,
        "May" => 5,
        "Jun" => 6,
        "Jul" => 7,
        "Aug" => 8,
        "Sep" => 9,
        "Oct" => 10,
        "Nov" => 11,
        "Dec" => 12,
        _ => return None,
    };
    let year: i64 = fields.next()?.parse().ok()?;
    let mut hms = fields.next()?.split(':').map(|f| f.parse::<u64>().ok());
    let (h, m, s) = (hms.next()??, hms.next()??, hms.next()??);
    if fields.next()? != "GMT" {
        return None;
    }
    // Days from 1970-01-01 (proleptic Gregorian; Howard Hinnant's days_from_civil).
    let (y, mo) = if month <= 2 {
        (year - 1, month + 9)
    } else {
        (year, month - 3)
    };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let doy = (153 * mo as i64 + 2) / 5 + day as i64 - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    let days = era * 146_097 + doe - 719_468;
    let secs = u64::try_from(days).ok()? * 86_400 + h * 3600 + m * 60 + s;
    Some(SystemTime::UNIX_EPOCH + Duration::from_secs(secs))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn http_dates_parse_as_the_crate_writes_them() {
        let t = parse_http_date("Sun, 06 Nov 1994 08:49:37 GMT").unwrap();
        assert_eq!(
            t.duration_since(SystemTime::UNIX_EPOCH).unwrap().as_secs(),
            784_111_777
        );
        assert_eq!(
            parse_http_date("Thu, 01 Jan 1970 00:00:00 GMT"),
            Some(SystemTime::UNIX_EPOCH)
        );
        assert_eq!(parse_http_date("yesterday"), None);
    }

    #[test]
    fn expires_in_the_past_deletes_and_max_age_wins() {
        let now = SystemTime::UNIX_EPOCH + Duration::from_secs(1_800_000_000);
        let mut jar = CookieJar::new();
        jar.apply(
            [
                "a=1",
                "b=2; Max-Age=60; Expires=Thu, 01 Jan 1970 00:00:00 GMT",
            ],
            now,
        );
        assert_eq!(jar.header(now), "a=1; b=2");
        jar.apply(["a=; Expires=Thu, 01 Jan 1970 00:00:00 GMT"], now);
        assert_eq!(jar.header(now), "b=2");
        jar.apply(["b=3"], now);
        jar.close_browser();
        assert!(jar.is_empty(now), "b became a browser-session cookie");
    }
}
