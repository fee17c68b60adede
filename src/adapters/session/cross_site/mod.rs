//! Cross-site request protection, on by default in both layers, and the session-bound CSRF
//! token.
//!
//! # The check ([`CrossSite`])
//!
//! Before the session is opened and before the handler runs, the layer decides from the
//! request's method, path and three headers whether another site may have forged the request,
//! with the rule of Go 1.25's `net/http.CrossOriginProtection` (the table is on [`CrossSite`]).
//!
//! # The token ([`Session::csrf_token`](super::Session::csrf_token))
//!
//! Browsers without `Sec-Fetch-Site` and `Origin` on form posts (before 2020) pass the check.
//! Forms that must hold even there carry a token bound to the session id, which a handler
//! checks with [`Session::verify_csrf`](super::Session::verify_csrf). It is stateless: an HMAC-SHA256 of the session id
//! under a subkey of the keyring's primary key, prefixed with that key's id, so it verifies
//! across key rotations for as long as the key stays in the keyring (FORMAT.md, "CSRF tokens").

mod csrf;
#[cfg(test)]
mod tests;
use crate::error::{Error, config};

/// The methods that pass whatever their headers: they must not change state.
const SAFE_METHODS: [&str; 3] = ["GET", "HEAD", "OPTIONS"];

/// The media type of a refusal's body.
pub(crate) const REFUSAL_CONTENT_TYPE: &str = "text/plain; charset=utf-8";

/// Cross-site request protection for a session layer: on by default.
///
/// Both layers ([`axum::SessionLayer`](crate::axum::SessionLayer) and
/// [`actix::SessionMiddleware`](crate::actix::SessionMiddleware)) apply it to every request
/// before opening the session; their `cross_site` method replaces the default.
///
/// * [`trust_origin`](Self::trust_origin): another origin of yours that posts here (exact
///   `scheme://host[:port]`);
/// * [`exempt`](Self::exempt): a path that takes cross-site posts by design (webhooks, a
///   payment provider's callback), exact or a prefix ending in `/`;
/// * [`disabled`](Self::disabled): no check at all, said explicitly.
///
/// The rule, for a request to the host the application sees:
///
/// | method | `Sec-Fetch-Site` | `Origin` | result |
/// |---|---|---|---|
/// | `GET`, `HEAD`, `OPTIONS` | any | any | allowed (safe methods must not change state) |
/// | other | `same-origin` or `none` | any | allowed (`none`: the user typed the URL, a bookmark) |
/// | other | `same-site`, `cross-site`, anything else | trusted | allowed |
/// | other | `same-site`, `cross-site`, anything else | other or none | **refused** |
/// | other | absent | its `host[:port]` is the request's host | allowed |
/// | other | absent | trusted | allowed |
/// | other | absent | any other value (`null` included) | **refused** |
/// | other | absent | absent | allowed: not a browser, or a very old one (see the CSRF token) |
///
/// A refusal answers `403 Forbidden` with a short plain-text body; the handler never runs and
/// the response carries no `Set-Cookie`, so the victim's session is untouched. An exempt path
/// ([`CrossSite::exempt`]) is allowed whatever its headers.
///
/// `same-site` is refused too: another port or another subdomain of the same site is another
/// origin, and may be less trusted than the application (a user-content host, a staging app).
/// Trust it explicitly ([`CrossSite::trust_origin`]) if it is yours.
///
/// Behind a reverse proxy, forward the `Host` the browser sent (nginx:
/// `proxy_set_header Host $host;`) or trust the public origin: browsers without
/// `Sec-Fetch-Site` are checked by comparing `Origin` with the host the application sees.
///
/// # Example
///
/// ```
/// use sealed_session::{CrossSite, CrossSiteRequest};
///
/// let cross_site = CrossSite::default()
///     .trust_origin("https://app.example")?
///     .exempt("/webhooks/")?;
/// let forged = CrossSiteRequest {
///     method: "POST",
///     path: "/sign-in",
///     sec_fetch_site: Some(b"cross-site"),
///     origin: Some(b"https://evil.example"),
///     host: Some(b"shop.example"),
/// };
/// assert!(cross_site.check(&forged).is_err());
/// assert!(cross_site.check(&CrossSiteRequest { path: "/webhooks/stripe", ..forged }).is_ok());
/// # Ok::<(), sealed_session::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CrossSite {
    enabled: bool,
    /// Lowercase `scheme://host[:port]`.
    trusted: Vec<String>,
    /// Paths starting with `/`: exact, or a prefix when ending in `/`.
    exempt: Vec<String>,
}

/// On, with no trusted origin and no exemption.
///
/// # Example
///
/// ```
/// assert!(sealed_session::CrossSite::default().is_enabled());
/// ```
impl Default for CrossSite {
    fn default() -> Self {
        CrossSite {
            enabled: true,
            trusted: Vec::new(),
            exempt: Vec::new(),
        }
    }
}

impl CrossSite {
    /// The default protection: on, no trusted origin, no exemption.
    ///
    /// # Example
    ///
    /// ```
    /// use sealed_session::CrossSite;
    /// assert_eq!(CrossSite::new(), CrossSite::default());
    /// ```
    pub fn new() -> Self {
        Self::default()
    }

    /// No cross-site check at all: every request reaches its handler. For an application that
    /// protects itself otherwise (its own middleware, an API that takes no cookies from browsers).
    ///
    /// # Example
    ///
    /// ```
    /// use sealed_session::{CrossSite, CrossSiteRequest};
    /// let off = CrossSite::disabled();
    /// assert!(!off.is_enabled());
    /// let forged = CrossSiteRequest { method: "POST", sec_fetch_site: Some(b"cross-site"), ..Default::default() };
    /// assert!(off.check(&forged).is_ok());
    /// ```
    pub fn disabled() -> Self {
        CrossSite {
            enabled: false,
            ..Self::default()
        }
    }

    /// Whether requests are checked ([`disabled`](Self::disabled) turns it off).
    ///
    /// # Example
    ///
    /// ```
    /// assert!(sealed_session::CrossSite::new().is_enabled());
    /// ```
    pub fn is_enabled(&self) -> bool {
        self.enabled
    }

    /// Allows unsafe requests whose `Origin` is exactly `origin`, whatever their
    /// `Sec-Fetch-Site`: another origin of yours (a front end on its own host) that posts here.
    ///
    /// `origin` is `scheme://host[:port]` as browsers send it: no path (not even `/`), query,
    /// fragment or user info; the port only when it is not the scheme's default (browsers omit
    /// `:443` on `https`). Scheme and host are compared case-insensitively. Anything else, such
    /// as `null` or `https://app.example/`, is an [`Error::InvalidConfig`]: an origin that could
    /// never match is a mistake, not a silent no-op.
    ///
    /// # Example
    ///
    /// ```
    /// use sealed_session::{CrossSite, CrossSiteRequest};
    ///
    /// let cross_site = CrossSite::default().trust_origin("https://app.example:8443")?;
    /// let from_app = CrossSiteRequest {
    ///     method: "POST",
    ///     sec_fetch_site: Some(b"same-site"),
    ///     origin: Some(b"https://app.example:8443"),
    ///     ..Default::default()
    /// };
    /// assert!(cross_site.check(&from_app).is_ok());
    ///
    /// assert!(CrossSite::default().trust_origin("https://app.example/").is_err());
    /// assert!(CrossSite::default().trust_origin("app.example").is_err());
    /// # Ok::<(), sealed_session::Error>(())
    /// ```
    pub fn trust_origin(mut self, origin: &str) -> Result<Self, Error> {
        validate_origin(origin)?;
        let origin = origin.to_ascii_lowercase();
        if !self.trusted.contains(&origin) {
            self.trusted.push(origin);
        }
        Ok(self)
    }

    /// Exempts a path from the check: requests to it reach the handler whatever their headers
    /// (a webhook, a payment provider's callback: routes that authenticate their callers
    /// otherwise and should not take the session).
    ///
    /// `path` starts with `/`. It matches the request's path exactly, or, when it ends in `/`,
    /// every path under it (`/webhooks/` matches `/webhooks/stripe`, not `/webhooks`). The
    /// request's path is compared as sent, before percent-decoding, and without its query; a
    /// request path with a `.` or `..` segment, a backslash or a percent-encoded `.`, `/` or `\`
    /// is never exempt, so no spelling of another route slips under an exemption. The path is
    /// the one the layer sees: with axum, a layer applied to a router that is then nested sees
    /// the path inside the nest.
    ///
    /// A path that does not start with `/`, or holds a query, a fragment, whitespace or a dot
    /// segment, is an [`Error::InvalidConfig`].
    ///
    /// # Example
    ///
    /// ```
    /// use sealed_session::{CrossSite, CrossSiteRequest};
    ///
    /// let cross_site = CrossSite::default().exempt("/webhooks/")?.exempt("/payment/callback")?;
    /// let posted = |path| CrossSiteRequest {
    ///     method: "POST",
    ///     path,
    ///     sec_fetch_site: Some(b"cross-site"),
    ///     ..Default::default()
    /// };
    /// assert!(cross_site.check(&posted("/webhooks/stripe")).is_ok());
    /// assert!(cross_site.check(&posted("/payment/callback")).is_ok());
    /// assert!(cross_site.check(&posted("/payment/callback/x")).is_err());
    /// assert!(cross_site.check(&posted("/webhooks/../sign-in")).is_err());
    /// assert!(CrossSite::default().exempt("webhooks/").is_err());
    /// # Ok::<(), sealed_session::Error>(())
    /// ```
    pub fn exempt(mut self, path: &str) -> Result<Self, Error> {
        validate_exempt_path(path)?;
        if !self.exempt.iter().any(|p| p == path) {
            self.exempt.push(path.to_owned());
        }
        Ok(self)
    }

    /// The trusted origins, lowercase, in the order added.
    ///
    /// # Example
    ///
    /// ```
    /// let cs = sealed_session::CrossSite::default().trust_origin("https://App.Example")?;
    /// assert_eq!(cs.trusted_origins().collect::<Vec<_>>(), ["https://app.example"]);
    /// # Ok::<(), sealed_session::Error>(())
    /// ```
    pub fn trusted_origins(&self) -> impl Iterator<Item = &str> {
        self.trusted.iter().map(String::as_str)
    }

    /// The exempt paths, in the order added.
    ///
    /// # Example
    ///
    /// ```
    /// let cs = sealed_session::CrossSite::default().exempt("/webhooks/")?;
    /// assert_eq!(cs.exemptions().collect::<Vec<_>>(), ["/webhooks/"]);
    /// # Ok::<(), sealed_session::Error>(())
    /// ```
    pub fn exemptions(&self) -> impl Iterator<Item = &str> {
        self.exempt.iter().map(String::as_str)
    }

    /// Whether [`check`](Self::check) looks at the headers of a request with this method:
    /// not for the safe methods, nor when the check is off. The layers ask first, so a `GET`
    /// costs no header look-up.
    ///
    /// # Example
    ///
    /// ```
    /// use sealed_session::CrossSite;
    ///
    /// assert!(!CrossSite::default().inspects("GET"));
    /// assert!(CrossSite::default().inspects("POST"));
    /// assert!(!CrossSite::disabled().inspects("POST"));
    /// ```
    pub fn inspects(&self, method: &str) -> bool {
        self.enabled && !SAFE_METHODS.contains(&method)
    }

    /// Decides whether `request` may reach its handler (the rule is on [`CrossSite`]). The
    /// layers call this; it is public for other stacks and
    /// for tests. Never panics, whatever the header bytes.
    ///
    /// # Example
    ///
    /// ```
    /// use sealed_session::{CrossSite, CrossSiteRefusal, CrossSiteRequest};
    ///
    /// let old_browser = CrossSiteRequest {
    ///     method: "POST",
    ///     path: "/cart/add",
    ///     sec_fetch_site: None,
    ///     origin: Some(b"http://evil.example"),
    ///     host: Some(b"shop.example"),
    /// };
    /// assert_eq!(CrossSite::default().check(&old_browser), Err(CrossSiteRefusal::OriginMismatch));
    /// let same = CrossSiteRequest { origin: Some(b"https://shop.example"), ..old_browser };
    /// assert_eq!(CrossSite::default().check(&same), Ok(()));
    /// ```
    pub fn check(&self, request: &CrossSiteRequest<'_>) -> Result<(), CrossSiteRefusal> {
        if !self.inspects(request.method) {
            return Ok(());
        }
        let refusal = match request.sec_fetch_site {
            Some(b"same-origin" | b"none") => return Ok(()),
            Some(_) => CrossSiteRefusal::CrossOrigin,
            None => match request.origin {
                // Neither header: not a browser, or one too old for both (the CSRF token).
                None => return Ok(()),
                Some(origin) => {
                    let same_host = origin_authority(origin)
                        .zip(request.host)
                        .is_some_and(|(authority, host)| authority.eq_ignore_ascii_case(host));
                    if same_host {
                        return Ok(());
                    }
                    CrossSiteRefusal::OriginMismatch
                }
            },
        };
        if self.is_exempt(request) {
            return Ok(());
        }
        #[cfg(feature = "metrics")]
        crate::adapters::metrics::cross_site_refused(refusal);
        Err(refusal)
    }

    /// Whether a request the rule would refuse is let through: a trusted `Origin` or an exempt
    /// path.
    fn is_exempt(&self, request: &CrossSiteRequest<'_>) -> bool {
        let trusted = request.origin.is_some_and(|origin| {
            self.trusted
                .iter()
                .any(|t| t.as_bytes().eq_ignore_ascii_case(origin))
        });
        trusted
            || (!self.exempt.is_empty()
                && plain_path(request.path)
                && self.exempt.iter().any(|p| {
                    request.path == p || (p.ends_with('/') && request.path.starts_with(p.as_str()))
                }))
    }
}

/// What the cross-site check reads from a request. Header values are raw bytes (the first
/// value of each header); `None` when the header is absent.
///
/// # Example
///
/// ```
/// use sealed_session::{CrossSite, CrossSiteRequest};
///
/// let form_post = CrossSiteRequest {
///     method: "POST",
///     path: "/sign-in",
///     sec_fetch_site: Some(b"same-origin"),
///     origin: Some(b"https://shop.example"),
///     host: Some(b"shop.example"),
/// };
/// assert!(CrossSite::default().check(&form_post).is_ok());
/// ```
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct CrossSiteRequest<'a> {
    /// The request method (`POST`), case-sensitive as HTTP methods are.
    pub method: &'a str,
    /// The request's path, without the query, as sent (not percent-decoded).
    pub path: &'a str,
    /// The `Sec-Fetch-Site` header.
    pub sec_fetch_site: Option<&'a [u8]>,
    /// The `Origin` header.
    pub origin: Option<&'a [u8]>,
    /// The host the request was sent to (`host[:port]`): the URI's authority when the request
    /// carries one (HTTP/2, absolute-form), else the `Host` header.
    pub host: Option<&'a [u8]>,
}

/// Why the cross-site check refused a request; its [`message`](Self::message) is the body of
/// the `403 Forbidden` the layers answer with. The enum is `#[non_exhaustive]`.
///
/// # Example
///
/// ```
/// use sealed_session::{CrossSite, CrossSiteRefusal, CrossSiteRequest};
///
/// let forged = CrossSiteRequest { method: "POST", sec_fetch_site: Some(b"cross-site"), ..Default::default() };
/// let refusal = CrossSite::default().check(&forged).unwrap_err();
/// assert_eq!(refusal, CrossSiteRefusal::CrossOrigin);
/// assert!(refusal.to_string().contains("cross-origin"));
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum CrossSiteRefusal {
    /// `Sec-Fetch-Site` named another origin (`same-site`, `cross-site`, or a value it does
    /// not define), from an origin that is not trusted.
    CrossOrigin,
    /// No `Sec-Fetch-Site` (an older browser), and an `Origin` that is neither the request's
    /// host nor trusted (`null` included).
    OriginMismatch,
}

impl CrossSiteRefusal {
    /// The HTTP status of a refusal: 403.
    ///
    /// # Example
    ///
    /// ```
    /// assert_eq!(sealed_session::CrossSiteRefusal::STATUS, 403);
    /// ```
    pub const STATUS: u16 = 403;

    /// A one-line, plain-text explanation, the body of the 403 (it names no header value).
    ///
    /// # Example
    ///
    /// ```
    /// use sealed_session::CrossSiteRefusal;
    /// assert!(CrossSiteRefusal::OriginMismatch.message().starts_with("Forbidden"));
    /// ```
    pub fn message(&self) -> &'static str {
        match self {
            CrossSiteRefusal::CrossOrigin => {
                "Forbidden: cross-origin request refused (Sec-Fetch-Site)\n"
            }
            CrossSiteRefusal::OriginMismatch => {
                "Forbidden: cross-origin request refused (Origin does not match Host)\n"
            }
        }
    }
}

/// The [`message`](CrossSiteRefusal::message), without its line end.
///
/// # Example
///
/// ```
/// let text = sealed_session::CrossSiteRefusal::CrossOrigin.to_string();
/// assert!(!text.ends_with('\n'));
/// ```
impl core::fmt::Display for CrossSiteRefusal {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str(self.message().trim_end())
    }
}

/// A refusal is an error a handler-side check can return.
///
/// # Example
///
/// ```
/// let e: Box<dyn std::error::Error> = Box::new(sealed_session::CrossSiteRefusal::CrossOrigin);
/// assert!(e.to_string().starts_with("Forbidden"));
/// ```
impl std::error::Error for CrossSiteRefusal {}

/// The host a request was sent to: the URI's authority (HTTP/2, absolute-form requests), else
/// the `Host` header. The adapters call this with what their request types hold.
pub(crate) fn request_host<'a>(
    authority: Option<&'a str>,
    host_header: Option<&'a [u8]>,
) -> Option<&'a [u8]> {
    authority
        .filter(|a| !a.is_empty())
        .map(str::as_bytes)
        .or(host_header)
}

/// The `host[:port]` of an `Origin` value `scheme://host[:port]`; `None` for anything else
/// (`null`, a path, user info).
fn origin_authority(origin: &[u8]) -> Option<&[u8]> {
    let at = origin.windows(3).position(|w| w == b"://")?;
    let (scheme, rest) = (&origin[..at], &origin[at + 3..]);
    let authority_ok = !rest.is_empty()
        && rest
            .iter()
            .all(|&b| b.is_ascii_graphic() && !b"/?#@\\".contains(&b));
    (valid_scheme(scheme) && authority_ok).then_some(rest)
}

fn valid_scheme(scheme: &[u8]) -> bool {
    scheme.first().is_some_and(u8::is_ascii_alphabetic)
        && scheme
            .iter()
            .all(|&b| b.is_ascii_alphanumeric() || b"+-.".contains(&b))
}

/// `scheme://host[:port]`, nothing more.
fn validate_origin(origin: &str) -> Result<(), Error> {
    const SHAPE: &str =
        "a trusted origin is scheme://host[:port], with no path (not even /), query or fragment";
    let authority = origin_authority(origin.as_bytes()).ok_or(config(SHAPE))?;
    let (host, port) = match authority.iter().rposition(|&b| b == b':') {
        // An IPv6 literal's colons are inside brackets.
        Some(i) if !authority[i..].contains(&b']') => (&authority[..i], Some(&authority[i + 1..])),
        _ => (authority, None),
    };
    if host.is_empty() {
        return Err(config(SHAPE));
    }
    if (host.first() == Some(&b'[')) != (host.last() == Some(&b']')) {
        return Err(config(
            "a trusted origin's IPv6 host is written in brackets",
        ));
    }
    if let Some(port) = port {
        let valid = !port.is_empty()
            && port.len() <= 5
            && port.iter().all(u8::is_ascii_digit)
            && core::str::from_utf8(port)
                .ok()
                .and_then(|p| p.parse::<u16>().ok())
                .is_some();
        if !valid {
            return Err(config("a trusted origin's port is a number up to 65535"));
        }
    }
    Ok(())
}

fn validate_exempt_path(path: &str) -> Result<(), Error> {
    let valid = path.starts_with('/')
        && path
            .bytes()
            .all(|b| b.is_ascii_graphic() && b != b'?' && b != b'#')
        && plain_path(path);
    if valid {
        Ok(())
    } else {
        Err(config(
            "an exempt path starts with / and has no query, fragment, whitespace, dot segment or encoded dot or slash",
        ))
    }
}

/// A path without `.` or `..` segments, backslashes, or percent-encoded `.`, `/` or `\`: one
/// that no router or proxy could resolve to another path.
fn plain_path(path: &str) -> bool {
    let bytes = path.as_bytes();
    let encoded = bytes.windows(3).any(|w| {
        w[0] == b'%'
            && [b"2e", b"2f", b"5c"]
                .iter()
                .any(|e| w[1..].eq_ignore_ascii_case(*e))
    });
    !encoded && !path.contains('\\') && path.split('/').all(|seg| seg != "." && seg != "..")
}
