//! The security headers every response carries (a `map_response` middleware, outermost, so
//! the session layer's own refusals get them too).

use axum::http::{HeaderValue, header};
use axum::response::Response;

/// The page has no script and no external resource; its styles are inline (the `<style>`
/// element and the budget bars' `style="width:..%"`), so `style-src 'unsafe-inline'` is all it
/// adds to `default-src 'self'` (which also lets the page's own `fetch` reach `/api`). The rest
/// only restricts: no framing, forms post only here, no `<base>`.
pub const CONTENT_SECURITY_POLICY: &str = "default-src 'self'; style-src 'unsafe-inline'; \
     frame-ancestors 'none'; form-action 'self'; base-uri 'none'";

/// Adds the headers a handler did not set itself.
pub async fn headers(mut response: Response) -> Response {
    let headers = response.headers_mut();
    for (name, value) in [
        (header::CONTENT_SECURITY_POLICY, CONTENT_SECURITY_POLICY),
        (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
        (header::REFERRER_POLICY, "same-origin"),
        // For browsers that predate CSP's frame-ancestors.
        (header::X_FRAME_OPTIONS, "DENY"),
    ] {
        if !headers.contains_key(&name) {
            headers.insert(name, HeaderValue::from_static(value));
        }
    }
    response
}
