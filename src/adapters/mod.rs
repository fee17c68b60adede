//! Web-stack adapters, each behind its cargo feature: `http` (the `http` crate's header map),
//! `axum` and `actix` (an extractor plus a layer or middleware that writes the session back).
//! The core knows nothing of them; they only translate headers and call [`Codec`](crate::Codec).

#[cfg(feature = "actix")]
pub mod actix;
#[cfg(feature = "axum")]
pub mod axum;
#[cfg(any(feature = "axum", feature = "actix"))]
pub mod clock;
#[cfg(feature = "http")]
pub mod http;
#[cfg(any(feature = "axum", feature = "actix"))]
pub(crate) mod layer;
#[cfg(all(feature = "metrics", any(feature = "axum", feature = "actix")))]
pub mod metrics;
#[cfg(any(feature = "axum", feature = "actix"))]
pub mod session;

/// Adds one raw `Cookie` header value to `cookies`.
///
/// Header values are bytes. A valid UTF-8 value is added whole; otherwise (another site's cookie
/// with Latin-1 bytes, say) each `;`-separated piece that is valid UTF-8 is added on its own, so
/// one odd cookie does not hide the session's cookies beside it.
#[cfg(any(feature = "http", feature = "actix"))]
pub(crate) fn add_cookie_header<'a>(cookies: &mut crate::RequestCookies<'a>, value: &'a [u8]) {
    match core::str::from_utf8(value) {
        Ok(text) => {
            cookies.add_header(text);
        }
        Err(_) => {
            for piece in value.split(|&b| b == b';') {
                if let Ok(text) = core::str::from_utf8(piece) {
                    cookies.add_header(text);
                }
            }
        }
    }
}
