//! The [`http`](::http) crate's types (1.x), for any stack built on them (hyper, axum, tower,
//! reqwest, ...): read a request's cookies from a [`HeaderMap`], append `Set-Cookie` lines to
//! one. Enabled by the `http` feature.
//!
//! # Example
//!
//! ```
//! use std::time::SystemTime;
//! use http::HeaderMap;
//! use http::header::{COOKIE, SET_COOKIE};
//! use sealed_session::{Codec, Keyring, http::{append_set_cookies, request_cookies}};
//!
//! let codec = Codec::<u32>::builder(Keyring::generate()?).build()?;
//! let now = SystemTime::now();
//!
//! let mut response = HeaderMap::new();
//! let sealed = codec.seal(&7, None, &request_cookies(&HeaderMap::new()), now)?;
//! append_set_cookies(&mut response, sealed.headers()).expect("Set-Cookie lines are valid");
//!
//! // The browser's next request.
//! let mut request = HeaderMap::new();
//! let pair = response[SET_COOKIE].to_str().unwrap().split(';').next().unwrap();
//! request.insert(COOKIE, pair.parse().unwrap());
//! let opened = codec.open(&request_cookies(&request), now)?.unwrap();
//! assert_eq!(opened.session, 7);
//! # Ok::<(), sealed_session::Error>(())
//! ```

use ::http::header::{COOKIE, HeaderMap, HeaderValue, InvalidHeaderValue, SET_COOKIE};

use crate::RequestCookies;

/// The cookies of every `Cookie` header in `headers` (HTTP/2 clients may send several), in
/// order. Never fails: a header value that is not UTF-8 contributes its pieces that are.
///
/// # Example
///
/// ```
/// use http::HeaderMap;
/// use http::header::COOKIE;
///
/// let mut headers = HeaderMap::new();
/// headers.append(COOKIE, "a=1; __Host-session=abc".parse().unwrap());
/// headers.append(COOKIE, "b=2".parse().unwrap());
/// let cookies = sealed_session::http::request_cookies(&headers);
/// assert_eq!(cookies.get("__Host-session"), Some("abc"));
/// assert_eq!(cookies.iter().count(), 3);
/// ```
pub fn request_cookies(headers: &HeaderMap) -> RequestCookies<'_> {
    let mut cookies = RequestCookies::new();
    for value in headers.get_all(COOKIE) {
        super::add_cookie_header(&mut cookies, value.as_bytes());
    }
    cookies
}

/// Appends each line as its own `Set-Cookie` header (never folded into one: browsers do not
/// unfold `Set-Cookie`). Lines from [`Codec::seal`](crate::Codec::seal) or
/// [`Codec::clear`](crate::Codec::clear) are always valid header values; for other input,
/// every line is checked first and nothing is appended if one is invalid.
///
/// # Example
///
/// ```
/// use http::HeaderMap;
/// use sealed_session::{Codec, Keyring, RequestCookies};
///
/// let codec = Codec::<u32>::builder(Keyring::generate()?).build()?;
/// let mut headers = HeaderMap::new();
/// let request = RequestCookies::from_header("__Host-session=x; __Host-session.1=y");
/// sealed_session::http::append_set_cookies(&mut headers, codec.clear(&request)).unwrap();
/// assert_eq!(headers.get_all("set-cookie").iter().count(), 2);
///
/// assert!(sealed_session::http::append_set_cookies(&mut headers, ["bad\nline"]).is_err());
/// assert_eq!(headers.get_all("set-cookie").iter().count(), 2);
/// # Ok::<(), sealed_session::Error>(())
/// ```
pub fn append_set_cookies<I>(headers: &mut HeaderMap, lines: I) -> Result<(), InvalidHeaderValue>
where
    I: IntoIterator,
    I::Item: AsRef<str>,
{
    let values = lines
        .into_iter()
        .map(|line| HeaderValue::from_str(line.as_ref()))
        .collect::<Result<Vec<_>, _>>()?;
    for value in values {
        headers.append(SET_COOKIE, value);
    }
    Ok(())
}

/// The same as [`request_cookies`].
///
/// # Example
///
/// ```
/// use http::HeaderMap;
/// use sealed_session::RequestCookies;
///
/// let mut headers = HeaderMap::new();
/// headers.insert(http::header::COOKIE, "a=1".parse().unwrap());
/// assert_eq!(RequestCookies::from(&headers).get("a"), Some("1"));
/// ```
impl<'a> From<&'a HeaderMap> for RequestCookies<'a> {
    fn from(headers: &'a HeaderMap) -> Self {
        request_cookies(headers)
    }
}

/// Copies what a session layer adds to a response ([`ResponseHeaders`](crate::ResponseHeaders))
/// into `headers`: appends the `Set-Cookie` lines, replaces `Cache-Control` and `Vary` where the
/// layer asks to. Values that are not valid header values (never produced by the crate) are
/// skipped.
#[cfg(feature = "axum")]
pub(crate) fn apply_response_headers(headers: &mut HeaderMap, add: crate::ResponseHeaders) {
    use ::http::header::{CACHE_CONTROL, VARY};
    let _ = append_set_cookies(headers, add.set_cookie);
    for (name, value) in [(CACHE_CONTROL, add.cache_control), (VARY, add.vary)] {
        if let Some(value) = value.and_then(|v| HeaderValue::from_str(&v).ok()) {
            headers.insert(name, value);
        }
    }
}
