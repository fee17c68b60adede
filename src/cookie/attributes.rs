//! `Set-Cookie` attributes, their validation (including the `__Host-` and `__Secure-` name
//! prefixes) and rendering.

use crate::error::{Error, config};

use super::http_date;

/// The `SameSite` attribute.
///
/// # Example
///
/// ```
/// use sealed_session::{CookieAttributes, SameSite};
/// let attrs = CookieAttributes::default().same_site(Some(SameSite::Strict));
/// # let _ = attrs;
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SameSite {
    /// Sent only with same-site requests.
    Strict,
    /// Sent with same-site requests and top-level navigations (the browsers' default).
    Lax,
    /// Sent with cross-site requests too; browsers require `Secure` with it.
    None,
}

/// The attributes of every `Set-Cookie` line a codec writes (`Max-Age` and `Expires` come from
/// the expiry policy).
///
/// The default is the strictest that works for a whole site: `Path=/`, no `Domain`, `Secure`,
/// `HttpOnly`, `SameSite=Lax`, and an `Expires` date written beside `Max-Age` for old clients.
///
/// # Example
///
/// ```
/// use sealed_session::{CookieAttributes, SameSite};
///
/// let attrs = CookieAttributes::default()
///     .path("/app")
///     .same_site(Some(SameSite::Strict));
/// assert_eq!(attrs.rendered(), "; Path=/app; Secure; HttpOnly; SameSite=Strict");
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CookieAttributes {
    path: String,
    domain: Option<String>,
    secure: bool,
    http_only: bool,
    same_site: Option<SameSite>,
    expires: bool,
}

impl Default for CookieAttributes {
    fn default() -> Self {
        CookieAttributes {
            path: "/".to_owned(),
            domain: None,
            secure: true,
            http_only: true,
            same_site: Some(SameSite::Lax),
            expires: true,
        }
    }
}

impl CookieAttributes {
    /// Sets `Path` (it must start with `/`).
    ///
    /// # Example
    ///
    /// ```
    /// let attrs = sealed_session::CookieAttributes::default().path("/api");
    /// assert!(attrs.rendered().starts_with("; Path=/api"));
    /// ```
    #[must_use]
    pub fn path(mut self, path: impl Into<String>) -> Self {
        self.path = path.into();
        self
    }

    /// Sets or clears `Domain`.
    ///
    /// # Example
    ///
    /// ```
    /// let attrs = sealed_session::CookieAttributes::default().domain(Some("example.com"));
    /// assert!(attrs.rendered().contains("; Domain=example.com"));
    /// ```
    #[must_use]
    pub fn domain(mut self, domain: Option<&str>) -> Self {
        self.domain = domain.map(str::to_owned);
        self
    }

    /// Sets `Secure` (on by default; turn off only for plain-HTTP development hosts other than
    /// localhost, which browsers already treat as secure).
    ///
    /// # Example
    ///
    /// ```
    /// let attrs = sealed_session::CookieAttributes::default().secure(false);
    /// assert!(!attrs.rendered().contains("Secure"));
    /// ```
    #[must_use]
    pub fn secure(mut self, secure: bool) -> Self {
        self.secure = secure;
        self
    }

    /// Sets `HttpOnly` (on by default, which keeps the session away from page scripts).
    ///
    /// # Example
    ///
    /// ```
    /// let attrs = sealed_session::CookieAttributes::default().http_only(false);
    /// assert!(!attrs.rendered().contains("HttpOnly"));
    /// ```
    #[must_use]
    pub fn http_only(mut self, http_only: bool) -> Self {
        self.http_only = http_only;
        self
    }

    /// Sets or omits `SameSite`.
    ///
    /// # Example
    ///
    /// ```
    /// let attrs = sealed_session::CookieAttributes::default().same_site(None);
    /// assert!(!attrs.rendered().contains("SameSite"));
    /// ```
    #[must_use]
    pub fn same_site(mut self, same_site: Option<SameSite>) -> Self {
        self.same_site = same_site;
        self
    }

    /// Whether to write an `Expires` date beside `Max-Age` (on by default). Browsers since
    /// IE 11 obey `Max-Age`; `Expires` costs 38 bytes per cookie and serves older clients.
    ///
    /// # Example
    ///
    /// ```
    /// let attrs = sealed_session::CookieAttributes::default().expires(false);
    /// # let _ = attrs;
    /// ```
    #[must_use]
    pub fn expires(mut self, expires: bool) -> Self {
        self.expires = expires;
        self
    }

    /// Whether the cookies carry `Secure`.
    ///
    /// # Example
    ///
    /// ```
    /// assert!(sealed_session::CookieAttributes::default().is_secure());
    /// ```
    pub fn is_secure(&self) -> bool {
        self.secure
    }

    /// The fixed attributes as they follow `name=value` on every line (without `Max-Age` and
    /// `Expires`, which depend on the session).
    ///
    /// # Example
    ///
    /// ```
    /// let attrs = sealed_session::CookieAttributes::default();
    /// assert_eq!(attrs.rendered(), "; Path=/; Secure; HttpOnly; SameSite=Lax");
    /// ```
    pub fn rendered(&self) -> String {
        let mut out = format!("; Path={}", self.path);
        if let Some(domain) = &self.domain {
            out.push_str("; Domain=");
            out.push_str(domain);
        }
        if self.secure {
            out.push_str("; Secure");
        }
        if self.http_only {
            out.push_str("; HttpOnly");
        }
        match self.same_site {
            Some(SameSite::Strict) => out.push_str("; SameSite=Strict"),
            Some(SameSite::Lax) => out.push_str("; SameSite=Lax"),
            Some(SameSite::None) => out.push_str("; SameSite=None"),
            None => {}
        }
        out
    }

    /// Checks the attributes against each other and against the cookie name's prefix.
    pub(crate) fn validate(&self, cookie_name: &str) -> Result<(), Error> {
        let path_ok = self.path.starts_with('/')
            && self.path.len() <= 1024
            && self
                .path
                .bytes()
                .all(|b| (0x20..0x7f).contains(&b) && b != b';');
        if !path_ok {
            return Err(config(
                "Path must start with '/', hold printable ASCII other than ';', and be at most 1024 bytes",
            ));
        }
        if let Some(domain) = &self.domain {
            let d = domain.strip_prefix('.').unwrap_or(domain);
            let ok = !d.is_empty()
                && d.len() <= 253
                && d.bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'.');
            if !ok {
                return Err(config(
                    "Domain must be a host name (letters, digits, '-', '.')",
                ));
            }
        }
        if self.same_site == Some(SameSite::None) && !self.secure {
            return Err(config(
                "SameSite=None requires Secure (browsers drop it otherwise)",
            ));
        }
        // Browsers match the prefixes case-insensitively (RFC 6265bis 4.1.3), so this does too.
        let starts = |p: &str| {
            cookie_name
                .get(..p.len())
                .is_some_and(|head| head.eq_ignore_ascii_case(p))
        };
        let host_rules = !self.secure || self.path != "/" || self.domain.is_some();
        if starts("__Host-Http-") && (host_rules || !self.http_only) {
            return Err(config(
                "a __Host-Http- cookie needs Secure, HttpOnly, Path=/ and no Domain",
            ));
        }
        if starts("__Host-") && host_rules {
            return Err(config(
                "a __Host- cookie needs Secure, Path=/ and no Domain",
            ));
        }
        if starts("__Http-") && (!self.secure || !self.http_only) {
            return Err(config("a __Http- cookie needs Secure and HttpOnly"));
        }
        if starts("__Secure-") && !self.secure {
            return Err(config("a __Secure- cookie needs Secure"));
        }
        Ok(())
    }
}

/// Checks a cookie name is an RFC 6265 token of at most 200 bytes (so chunk suffixes still fit
/// the AAD's one-byte length).
pub(crate) fn validate_name(name: &str) -> Result<(), Error> {
    const SEPARATORS: &[u8] = b"()<>@,;:\\\"/[]?={} \t";
    let ok = !name.is_empty()
        && name.len() <= 200
        && name
            .bytes()
            .all(|b| (0x21..0x7f).contains(&b) && !SEPARATORS.contains(&b));
    if !ok {
        return Err(config(
            "cookie name must be 1 to 200 visible ASCII characters without separators",
        ));
    }
    // `cart.1` is chunk 1 of a codec named `cart`: each codec would delete the other's cookies.
    if let Some((_, digits)) = name.rsplit_once('.')
        && !digits.is_empty()
        && digits.bytes().all(|b| b.is_ascii_digit())
    {
        return Err(config(
            "cookie name must not end in '.' and digits: chunk cookies are named that way",
        ));
    }
    Ok(())
}

/// The lifetime attributes of one seal: `; Max-Age=N; Expires=...`, or nothing for a cookie that
/// lives as long as the browser session. Written straight into each line, never allocated.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct LifetimeAttrs {
    max_age: Option<u64>,
    /// When `Expires` is written: its Unix time.
    expires: Option<u64>,
}

impl LifetimeAttrs {
    /// Attributes for a cookie that expires `max_age` seconds after `now` (both Unix seconds).
    pub(crate) fn new(attrs: &CookieAttributes, now: u64, max_age: Option<u64>) -> Self {
        let expires = max_age
            .filter(|_| attrs.expires)
            .map(|age| now.saturating_add(age).min(crate::time::MAX_UNIX));
        LifetimeAttrs { max_age, expires }
    }

    /// Attributes that make the browser delete the cookie at once.
    pub(crate) fn deletion(attrs: &CookieAttributes) -> Self {
        LifetimeAttrs {
            max_age: Some(0),
            expires: attrs.expires.then_some(0),
        }
    }

    /// The longest lifetime attributes can be: a ten-digit `Max-Age` (lifetimes are capped at
    /// 100 years) and an `Expires` date of fixed width.
    pub(crate) fn longest(attrs: &CookieAttributes) -> usize {
        MAX_AGE.len()
            + 10
            + if attrs.expires {
                EXPIRES.len() + http_date::LEN
            } else {
                0
            }
    }

    pub(crate) fn len(&self) -> usize {
        let digits = |n: u64| n.checked_ilog10().map_or(1, |d| d as usize + 1);
        self.max_age.map_or(0, |age| MAX_AGE.len() + digits(age))
            + self.expires.map_or(0, |_| EXPIRES.len() + http_date::LEN)
    }

    pub(crate) fn write_to(&self, out: &mut String) {
        if let Some(age) = self.max_age {
            out.push_str(MAX_AGE);
            let mut digits = [0u8; 20];
            let mut n = age;
            let mut i = digits.len();
            loop {
                i -= 1;
                digits[i] = b'0' + (n % 10) as u8;
                n /= 10;
                if n == 0 {
                    break;
                }
            }
            digits[i..].iter().for_each(|&d| out.push(char::from(d)));
        }
        if let Some(t) = self.expires {
            out.push_str(EXPIRES);
            http_date::write_to(out, t);
        }
    }
}

const MAX_AGE: &str = "; Max-Age=";
const EXPIRES: &str = "; Expires=";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prefixes_are_checked_case_insensitively() {
        let plain = CookieAttributes::default().secure(false);
        assert!(plain.validate("__Host-s").is_err());
        assert!(plain.validate("__host-s").is_err());
        assert!(plain.validate("__SECURE-s").is_err());
        assert!(plain.validate("s").is_ok());
        let ok = CookieAttributes::default();
        assert!(ok.validate("__Host-s").is_ok());
        assert!(ok.clone().path("/a").validate("__Host-s").is_err());
        assert!(
            ok.clone()
                .domain(Some("example.com"))
                .validate("__Host-s")
                .is_err()
        );
        assert!(
            ok.clone()
                .domain(Some("example.com"))
                .validate("__Secure-s")
                .is_ok()
        );
    }

    #[test]
    fn rejects_bad_paths_domains_and_same_site_none_without_secure() {
        let a = CookieAttributes::default();
        assert!(a.clone().path("nope").validate("s").is_err());
        assert!(a.clone().path("/a;b").validate("s").is_err());
        assert!(
            a.clone()
                .domain(Some("ex ample.com"))
                .validate("s")
                .is_err()
        );
        assert!(a.clone().domain(Some(".example.com")).validate("s").is_ok());
        let none = a.same_site(Some(SameSite::None));
        assert!(none.clone().validate("s").is_ok());
        assert!(none.secure(false).validate("s").is_err());
    }

    #[test]
    fn names_are_tokens() {
        for bad in ["", "a b", "a;b", "a=b", "é", &"x".repeat(201)] {
            assert!(validate_name(bad).is_err(), "{bad}");
        }
        assert!(validate_name("__Host-session_2.x").is_ok());
    }

    fn render(l: LifetimeAttrs) -> String {
        let mut s = String::new();
        l.write_to(&mut s);
        assert_eq!(s.len(), l.len());
        s
    }

    #[test]
    fn lifetime_and_deletion_attributes() {
        let a = CookieAttributes::default();
        assert_eq!(
            render(LifetimeAttrs::new(&a, 0, Some(60))),
            "; Max-Age=60; Expires=Thu, 01 Jan 1970 00:01:00 GMT"
        );
        assert_eq!(render(LifetimeAttrs::new(&a, 0, None)), "");
        assert_eq!(render(LifetimeAttrs::new(&a, 0, Some(0))).len(), 50);
        assert_eq!(
            render(LifetimeAttrs::new(&a, 7, Some(9_999_999_999))),
            "; Max-Age=9999999999; Expires=Sat, 20 Nov 2286 17:46:46 GMT"
        );
        assert_eq!(
            render(LifetimeAttrs::deletion(&a.clone().expires(false))),
            "; Max-Age=0"
        );
        assert_eq!(
            render(LifetimeAttrs::deletion(&a)),
            "; Max-Age=0; Expires=Thu, 01 Jan 1970 00:00:00 GMT"
        );
    }
}
