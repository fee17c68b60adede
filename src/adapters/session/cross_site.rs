//! Cross-site request protection, on by default in both layers, and the session-bound CSRF
//! token.
//!
//! # The check ([`CrossSite`])
//!
//! Before the session is opened and before the handler runs, the layer decides from the
//! request's method, path and three headers whether another site may have forged the request,
//! with the rule of Go 1.25's `net/http.CrossOriginProtection` (the table is on [`CrossSite`]).
//!
//! # The token ([`Session::csrf_token`])
//!
//! Browsers without `Sec-Fetch-Site` and `Origin` on form posts (before 2020) pass the check.
//! Forms that must hold even there carry a token bound to the session id, which a handler
//! checks with [`Session::verify_csrf`]. It is stateless: an HMAC-SHA256 of the session id
//! under a subkey of the keyring's primary key, prefixed with that key's id, so it verifies
//! across key rotations for as long as the key stays in the keyring (FORMAT.md, "CSRF tokens").

use super::Session;
use crate::error::{Error, config};
use crate::keyring::KeyId;
use crate::time::to_unix;

/// The methods that pass whatever their headers: they must not change state.
const SAFE_METHODS: [&str; 3] = ["GET", "HEAD", "OPTIONS"];

/// Bytes in a CSRF token before encoding: the key id, then the HMAC-SHA256 tag.
const TOKEN_BYTES: usize = 4 + 32;

/// Characters in a CSRF token (base64url of [`TOKEN_BYTES`], no padding).
const TOKEN_CHARS: usize = crate::base64url::encoded_len(TOKEN_BYTES);

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
        if !self.enabled || SAFE_METHODS.contains(&request.method) {
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
            Ok(())
        } else {
            Err(refusal)
        }
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

/// What a CSRF tag covers: a label, the cookie name, and the session id.
fn csrf_message(cookie_name: &str, session_id: &[u8; 16]) -> Vec<u8> {
    let name = cookie_name.as_bytes();
    let mut message = Vec::with_capacity(8 + name.len() + 16);
    message.extend_from_slice(b"csrf");
    message.extend_from_slice(&u32::try_from(name.len()).unwrap_or(u32::MAX).to_be_bytes());
    message.extend_from_slice(name);
    message.extend_from_slice(session_id);
    message
}

/// A token's text: base64url of the key id and the tag (FORMAT.md 2.5).
fn encode_token(key_id: KeyId, tag: &[u8; 32]) -> String {
    let mut bytes = [0u8; TOKEN_BYTES];
    bytes[..4].copy_from_slice(&key_id.to_bytes());
    bytes[4..].copy_from_slice(tag);
    let mut token = String::with_capacity(TOKEN_CHARS);
    crate::base64url::encode_to(&bytes, &mut token);
    token
}

/// The session-bound CSRF token.
impl<T> Session<T> {
    /// A token for this session's forms: put it in a hidden field (`<input type=hidden
    /// name=csrf_token value=...>`) or send it in an `X-CSRF-Token` header from scripts, and
    /// check it in the handler with [`verify_csrf`](Self::verify_csrf). Checking it is the
    /// handler's call: the layer's cross-site check ([`CrossSite`]) already refuses forged
    /// posts from every browser that sends `Sec-Fetch-Site` or `Origin`; the token covers the
    /// rest.
    ///
    /// `None` without a session (there is no id to bind to): a page whose form needs a token
    /// creates the session first (a [`set`](Self::set) when rendering it). Stateless: the
    /// base64url of the primary key's id and an HMAC-SHA256 of the session id under that key's
    /// CSRF subkey (never its sealing keys), so it is the same on every node and every request
    /// of the session, and it changes when the session id does ([`sign_in`](Self::sign_in),
    /// [`clear`](Self::clear)). It stays valid across a key rotation for as long as its key is
    /// in the keyring and not past `not_after`. Treat it like the session: do not log it or put
    /// it in URLs. No `Debug` output of the crate shows it.
    ///
    /// # Example
    ///
    /// ```
    /// use std::time::SystemTime;
    /// use sealed_session::{Codec, Keyring, RequestCookies, Session};
    ///
    /// let codec = Codec::<String>::builder(Keyring::generate()?).build()?;
    /// let session = Session::from_cookies(&codec, &RequestCookies::new(), SystemTime::now());
    /// assert_eq!(session.csrf_token(), None);
    /// session.set("alice".to_owned())?;
    /// let token = session.csrf_token().expect("a session");
    /// let form = format!("<input type=hidden name=csrf_token value={token}>");
    /// assert!(session.verify_csrf(&token));
    /// # let _ = form;
    /// # Ok::<(), sealed_session::Error>(())
    /// ```
    pub fn csrf_token(&self) -> Option<String> {
        let state = self.touch();
        let session_id = state.metadata.as_ref()?.session_id();
        let message = csrf_message(state.codec.cookie_name(), session_id.as_bytes());
        let (key_id, tag) = state
            .codec
            .keyring()
            .csrf_sign(&message, to_unix(state.now))?;
        Some(encode_token(key_id, &tag))
    }

    /// Whether `token` is this session's CSRF token ([`csrf_token`](Self::csrf_token)),
    /// compared in constant time. `false` without a session, for another session's token, for a
    /// token whose key the keyring no longer holds (or holds past its `not_after`), and for any
    /// malformed input. Call it in the handler of every form post that changes state; answer
    /// `false` with `403 Forbidden`.
    ///
    /// # Example
    ///
    /// ```
    /// use std::time::SystemTime;
    /// use sealed_session::{Codec, Keyring, RequestCookies, Session};
    ///
    /// let codec = Codec::<u32>::builder(Keyring::generate()?).build()?;
    /// let now = SystemTime::now();
    /// let alice = Session::from_cookies(&codec, &RequestCookies::new(), now);
    /// alice.set(1)?;
    /// let mallory = Session::from_cookies(&codec, &RequestCookies::new(), now);
    /// mallory.set(2)?;
    /// let token = mallory.csrf_token().unwrap();
    /// assert!(mallory.verify_csrf(&token));
    /// assert!(!alice.verify_csrf(&token));
    /// assert!(!alice.verify_csrf("not a token"));
    /// # Ok::<(), sealed_session::Error>(())
    /// ```
    pub fn verify_csrf(&self, token: &str) -> bool {
        if token.len() != TOKEN_CHARS {
            return false;
        }
        let state = self.touch();
        let Some(metadata) = state.metadata.as_ref() else {
            return false;
        };
        let mut bytes = Vec::with_capacity(TOKEN_BYTES + 2);
        if crate::base64url::decode_to(token, &mut bytes).is_err() || bytes.len() != TOKEN_BYTES {
            return false;
        }
        let key_id = KeyId::new(u32::from_be_bytes([bytes[0], bytes[1], bytes[2], bytes[3]]));
        let message = csrf_message(state.codec.cookie_name(), metadata.session_id().as_bytes());
        state
            .codec
            .keyring()
            .csrf_verify(key_id, &message, &bytes[4..], to_unix(state.now))
    }
}

#[cfg(test)]
mod tests {
    use std::time::{Duration, SystemTime, UNIX_EPOCH};

    use super::*;
    use crate::{Codec, Key, Keyring, RequestCookies};

    fn req<'a>(
        method: &'a str,
        sec_fetch_site: Option<&'a str>,
        origin: Option<&'a str>,
    ) -> CrossSiteRequest<'a> {
        CrossSiteRequest {
            method,
            path: "/sign-in",
            sec_fetch_site: sec_fetch_site.map(str::as_bytes),
            origin: origin.map(str::as_bytes),
            host: Some(b"app.example:8080"),
        }
    }

    use CrossSiteRefusal::{CrossOrigin, OriginMismatch};

    /// The module documentation's table, row by row: (method, Sec-Fetch-Site, Origin), `-`
    /// for an absent header; the request's host is `app.example:8080`.
    #[test]
    fn decision_table() {
        let allowed = [
            // Safe methods pass whatever the headers.
            ("GET", "cross-site", "https://evil.example"),
            ("HEAD", "cross-site", "https://evil.example"),
            ("OPTIONS", "same-site", "null"),
            // Sec-Fetch-Site decides when present.
            ("POST", "same-origin", "-"),
            ("POST", "same-origin", "https://evil.example"),
            ("POST", "none", "-"),
            // Without it, Origin against the host.
            ("POST", "-", "http://app.example:8080"),
            ("POST", "-", "https://APP.example:8080"),
            // Neither header: not a browser.
            ("POST", "-", "-"),
            ("PATCH", "-", "-"),
        ];
        let refused_by_fetch_metadata = [
            // Methods are case-sensitive: `get` is not GET.
            ("get", "cross-site", "-"),
            ("TRACE", "cross-site", "-"),
            ("DELETE", "same-site", "http://app.example:8080"),
            ("PUT", "cross-site", "http://app.example:8080"),
            ("POST", "cross-site", "-"),
            ("POST", "Same-Origin", "-"),
            ("POST", "", "-"),
            ("POST", "bogus", "-"),
        ];
        let refused_by_origin = [
            ("POST", "-", "http://app.example"),
            ("POST", "-", "http://app.example:8081"),
            ("POST", "-", "http://evil.example"),
            ("POST", "-", "null"),
            ("POST", "-", ""),
            ("POST", "-", "http://app.example:8080/"),
            ("POST", "-", "http://u@app.example:8080"),
            ("POST", "-", "app.example:8080"),
            ("POST", "-", "://app.example:8080"),
        ];
        let cs = CrossSite::default();
        let header = |v: &'static str| (v != "-").then_some(v);
        let check = |(method, site, origin)| cs.check(&req(method, header(site), header(origin)));
        for row in allowed {
            assert_eq!(check(row), Ok(()), "{row:?}");
        }
        for row in refused_by_fetch_metadata {
            assert_eq!(check(row), Err(CrossOrigin), "{row:?}");
        }
        for row in refused_by_origin {
            assert_eq!(check(row), Err(OriginMismatch), "{row:?}");
        }
    }

    #[test]
    fn no_host_never_matches_an_origin() {
        let request = CrossSiteRequest {
            host: None,
            ..req("POST", None, Some("http://app.example:8080"))
        };
        assert_eq!(CrossSite::default().check(&request), Err(OriginMismatch));
    }

    #[test]
    fn header_bytes_that_are_not_utf8_are_refused_not_a_panic() {
        let cs = CrossSite::default()
            .trust_origin("https://a.example")
            .unwrap();
        let request = CrossSiteRequest {
            method: "POST",
            path: "/\u{e9}",
            sec_fetch_site: None,
            origin: Some(b"http://\xff\xfe"),
            host: Some(b"\xff\xfe"),
        };
        assert_eq!(cs.check(&request), Err(OriginMismatch));
        let request = CrossSiteRequest {
            sec_fetch_site: Some(b"\xffsame-origin"),
            ..request
        };
        assert_eq!(cs.check(&request), Err(CrossOrigin));
    }

    #[test]
    fn trusted_origins_pass_either_refusal() {
        let cs = CrossSite::default()
            .trust_origin("https://Partner.example")
            .unwrap()
            .trust_origin("http://[::1]:3000")
            .unwrap();
        for site in [Some("cross-site"), Some("same-site"), None] {
            assert_eq!(
                cs.check(&req("POST", site, Some("https://partner.example"))),
                Ok(())
            );
            assert_eq!(
                cs.check(&req("POST", site, Some("http://[::1]:3000"))),
                Ok(())
            );
            let other = cs.check(&req("POST", site, Some("https://partner.example.evil")));
            assert!(other.is_err(), "{site:?}");
            // Exact: another port or scheme is another origin.
            assert!(
                cs.check(&req("POST", site, Some("https://partner.example:444")))
                    .is_err()
            );
            assert!(
                cs.check(&req("POST", site, Some("http://partner.example")))
                    .is_err()
            );
        }
        // Trust needs an Origin.
        assert_eq!(
            cs.check(&req("POST", Some("cross-site"), None)),
            Err(CrossOrigin)
        );
    }

    #[test]
    fn invalid_trusted_origins_are_configuration_errors() {
        for bad in [
            "",
            "null",
            "app.example",
            "https://",
            "https:///",
            "https://app.example/",
            "https://app.example/path",
            "https://app.example?q",
            "https://app.example#f",
            "https://user@app.example",
            "https://app.example:",
            "https://app.example:99999",
            "https://app.example:8x",
            "https://:443",
            "1https://app.example",
            "https://app example",
            "https://[::1",
            "https://::1]",
            "*",
        ] {
            assert!(
                matches!(
                    CrossSite::default().trust_origin(bad),
                    Err(Error::InvalidConfig { .. })
                ),
                "{bad:?}"
            );
        }
        for good in [
            "https://app.example",
            "http://127.0.0.1:8080",
            "http://[::1]",
            "http://[::1]:65535",
            "chrome-extension://abcdef",
        ] {
            assert!(CrossSite::default().trust_origin(good).is_ok(), "{good:?}");
        }
    }

    #[test]
    fn exemptions_match_exactly_or_under_a_prefix() {
        let cs = CrossSite::default()
            .exempt("/webhooks/")
            .unwrap()
            .exempt("/callback")
            .unwrap();
        let at = |path| CrossSiteRequest {
            path,
            ..req("POST", Some("cross-site"), Some("https://evil.example"))
        };
        for ok in [
            "/webhooks/",
            "/webhooks/stripe",
            "/webhooks/a/b",
            "/callback",
        ] {
            assert_eq!(cs.check(&at(ok)), Ok(()), "{ok}");
        }
        for refused in [
            "/webhooks",
            "/webhooksx/",
            "/callback/",
            "/callbackx",
            "/Callback",
            "/webhooks/../sign-in",
            "/webhooks/./x",
            "/webhooks/..",
            "/webhooks/%2e%2e/sign-in",
            "/webhooks/%2E./sign-in",
            "/webhooks/x%2Fy",
            "/webhooks/x%5cy",
            "/webhooks/x\\..\\y",
            "",
        ] {
            assert_eq!(cs.check(&at(refused)), Err(CrossOrigin), "{refused}");
        }
        // An exemption also covers the Origin-mismatch refusal.
        let old = CrossSiteRequest {
            path: "/callback",
            ..req("POST", None, Some("https://evil.example"))
        };
        assert_eq!(cs.check(&old), Ok(()));
    }

    #[test]
    fn invalid_exempt_paths_are_configuration_errors() {
        for bad in [
            "",
            "webhooks/",
            "/a b",
            "/a?b",
            "/a#b",
            "/a/../b",
            "/a/./",
            "/..",
            "/a%2e%2e",
            "/a%2fb",
            "/a\\b",
            "/\u{e9}",
        ] {
            assert!(
                matches!(
                    CrossSite::default().exempt(bad),
                    Err(Error::InvalidConfig { .. })
                ),
                "{bad:?}"
            );
        }
        assert!(CrossSite::default().exempt("/").is_ok());
        assert!(CrossSite::default().exempt("/caf%C3%A9").is_ok());
    }

    #[test]
    fn disabled_allows_everything_and_duplicates_are_kept_once() {
        let off = CrossSite::disabled();
        assert_eq!(
            off.check(&req("POST", Some("cross-site"), Some("null"))),
            Ok(())
        );
        let cs = CrossSite::default()
            .trust_origin("https://a.example")
            .unwrap()
            .trust_origin("HTTPS://A.EXAMPLE")
            .unwrap()
            .exempt("/x")
            .unwrap()
            .exempt("/x")
            .unwrap();
        assert_eq!(cs.trusted_origins().count(), 1);
        assert_eq!(cs.exemptions().count(), 1);
    }

    #[test]
    fn request_host_prefers_the_uri_authority() {
        assert_eq!(request_host(Some("a:1"), Some(b"b")), Some(&b"a:1"[..]));
        assert_eq!(request_host(None, Some(b"b")), Some(&b"b"[..]));
        assert_eq!(request_host(Some(""), Some(b"b")), Some(&b"b"[..]));
        assert_eq!(request_host(None, None), None);
    }

    fn t0() -> SystemTime {
        UNIX_EPOCH + Duration::from_secs(1_800_000_000)
    }

    fn session_of(codec: &Codec<u32>, cookie: &str, now: SystemTime) -> Session<u32> {
        Session::from_cookies(codec, &RequestCookies::from_header(cookie), now)
    }

    fn cookie_of(session: &Session<u32>) -> String {
        session
            .set_cookie_headers()
            .iter()
            .map(|l| l.split(';').next().unwrap().to_owned())
            .collect::<Vec<_>>()
            .join("; ")
    }

    #[test]
    fn csrf_token_is_stable_for_a_session_and_bound_to_its_id() {
        let keyring = Keyring::new([Key::new(KeyId::new(1), [1; 32])]).unwrap();
        let codec = Codec::<u32>::builder(keyring).build().unwrap();
        let first = session_of(&codec, "", t0());
        assert_eq!(first.csrf_token(), None);
        assert!(!first.verify_csrf(&"A".repeat(TOKEN_CHARS)));
        first.set(1).unwrap();
        let token = first.csrf_token().unwrap();
        assert_eq!(token.len(), TOKEN_CHARS);
        // The next request of the same session: the same token, and it verifies.
        let next = session_of(&codec, &cookie_of(&first), t0() + Duration::from_secs(5));
        assert_eq!(next.csrf_token().as_deref(), Some(token.as_str()));
        assert!(next.verify_csrf(&token));
        // Any change to the token fails.
        let mut bytes = Vec::new();
        crate::base64url::decode_to(&token, &mut bytes).unwrap();
        for i in 0..bytes.len() {
            let mut bad = bytes.clone();
            bad[i] ^= 1;
            let mut text = String::new();
            crate::base64url::encode_to(&bad, &mut text);
            assert!(!next.verify_csrf(&text), "byte {i}");
        }
        for junk in [
            "",
            "x",
            &token[1..],
            &format!("{token}A"),
            &"\u{e9}".repeat(24),
        ] {
            assert!(!next.verify_csrf(junk), "{junk:?}");
        }
        // Sign-in is a new session id: the pre-login token no longer verifies.
        next.sign_in(2, &crate::Lifetime::browser_session())
            .unwrap();
        assert!(!next.verify_csrf(&token));
        assert_ne!(next.csrf_token().unwrap(), token);
        next.clear();
        assert_eq!(next.csrf_token(), None);
        assert!(!next.verify_csrf(&token));
    }

    #[test]
    fn csrf_token_is_bound_to_the_cookie_name_and_never_in_debug() {
        let keyring = Keyring::new([Key::new(KeyId::new(1), [1; 32])]).unwrap();
        let a = Codec::<u32>::builder(keyring.clone()).build().unwrap();
        let b = Codec::<u32>::builder(keyring)
            .cookie_name("__Host-other")
            .build()
            .unwrap();
        let s = session_of(&a, "", t0());
        s.set(1).unwrap();
        let token = s.csrf_token().unwrap();
        let meta = s.metadata().unwrap();
        let message = csrf_message(b.cookie_name(), meta.session_id().as_bytes());
        let mut bytes = Vec::new();
        crate::base64url::decode_to(&token, &mut bytes).unwrap();
        assert!(
            !b.keyring()
                .csrf_verify(KeyId::new(1), &message, &bytes[4..], to_unix(t0()))
        );
        assert!(!format!("{s:?}").contains(&token));
        assert!(!format!("{a:?}").contains(&token));
    }

    #[test]
    fn csrf_token_outlives_a_rotation_while_its_key_is_held() {
        let rotation = t0() + Duration::from_secs(3600);
        let old = Key::new(KeyId::new(1), [1; 32]);
        let new = Key::new(KeyId::new(2), [2; 32]).with_not_before(rotation);
        let codec = Codec::<u32>::builder(Keyring::new([old.clone(), new.clone()]).unwrap())
            .build()
            .unwrap();
        let s = session_of(&codec, "", t0());
        s.set(1).unwrap();
        let before = s.csrf_token().unwrap();
        // After the rotation the session is re-sealed under key 2; the old token still holds.
        let later = rotation + Duration::from_secs(60);
        let after_rotation = session_of(&codec, &cookie_of(&s), later);
        assert!(after_rotation.verify_csrf(&before));
        let after = after_rotation.csrf_token().unwrap();
        assert_ne!(after, before, "signed by the new primary");
        assert!(after_rotation.verify_csrf(&after));
        // Once key 1 is retired (past not_after), its tokens are refused.
        let retired =
            Codec::<u32>::builder(Keyring::new([old.with_not_after(later), new]).unwrap())
                .build()
                .unwrap();
        let s2 = session_of(&retired, &cookie_of(&after_rotation), later);
        assert_eq!(
            s2.metadata().map(|m| m.session_id()),
            s.metadata().map(|m| m.session_id())
        );
        assert!(!s2.verify_csrf(&before));
        assert!(s2.verify_csrf(&after));
    }

    /// FORMAT.md 2.5, computed independently (Python's `hmac` and `hashlib`: HKDF-Expand of
    /// one block, then HMAC-SHA256 of the message).
    #[test]
    fn csrf_token_known_answer() {
        let keyring = Keyring::new([Key::new(KeyId::new(1), [1; 32])]).unwrap();
        let message = csrf_message("__Host-session", &[0x11; 16]);
        let (id, tag) = keyring.csrf_sign(&message, to_unix(t0())).unwrap();
        assert_eq!(
            encode_token(id, &tag),
            "AAAAAfPTqGf4xijcSc607vFSx4yKotedK4VfXwQSFqK3FuDE"
        );
    }

    #[test]
    fn csrf_subkey_is_not_the_signing_key() {
        // A signed-mode codec's MAC key and the CSRF key differ: a CSRF tag is not a valid
        // signature of the same bytes.
        let keyring = Keyring::new([Key::new(KeyId::new(1), [1; 32])]).unwrap();
        let (_, cipher) = keyring.primary_entry(to_unix(t0())).unwrap();
        let tag = cipher.csrf_tag(b"data");
        assert!(cipher.verify(&[], b"data", &tag).is_err());
        assert!(cipher.csrf_verify(b"data", &tag));
    }
}
