//! Cookies on the wire: reading the request's `Cookie` header(s) and writing `Set-Cookie` lines.

mod attributes;
mod http_date;
mod request;

pub use attributes::{CookieAttributes, SameSite};
pub(crate) use attributes::{LifetimeAttrs, validate_name};
pub use request::RequestCookies;
