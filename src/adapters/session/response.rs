//! What the response carries: the `Set-Cookie` lines (a change, a due re-seal, deletions of
//! dead cookies) and the cache headers that keep a shared cache from storing them.

use serde::Serialize;

use super::{Session, State, Write};
use crate::{Error, RequestCookies, SealedCookies};

impl<T: Serialize> Session<T> {
    /// The sealed cookies this response will carry, if it carries a session: after a change,
    /// or when the request's session is due for a re-seal (which this performs now). `None`
    /// when nothing is sealed: no change, no session, or after [`clear`](Self::clear).
    ///
    /// # Example
    ///
    /// ```
    /// # use std::time::SystemTime;
    /// # use sealed_session::{Codec, Keyring, RequestCookies, Session};
    /// # let codec = Codec::<u32>::builder(Keyring::generate()?).build()?;
    /// let session = Session::from_cookies(&codec, &RequestCookies::new(), SystemTime::now());
    /// assert!(session.sealed().is_none());
    /// session.set(5)?;
    /// let sealed = session.sealed().unwrap();
    /// println!("{} chunk(s), key {}", sealed.chunk_count(), sealed.metadata().key_id());
    /// # Ok::<(), sealed_session::Error>(())
    /// ```
    pub fn sealed(&self) -> Option<SealedCookies> {
        let mut state = self.lock();
        flush(&mut state);
        match &state.write {
            Write::Sealed(sealed) => Some(sealed.clone()),
            Write::Nothing | Write::Cleared(_) => None,
        }
    }

    /// The `Set-Cookie` header values the response must carry (often none). Adapters call this
    /// after the handler; it performs a due re-seal or the deletion of cookies that did not open.
    ///
    /// A due re-seal that fails (which takes a changed codec configuration, such as a smaller
    /// budget) writes nothing: the request's cookies stay valid until they expire.
    ///
    /// # Example
    ///
    /// ```
    /// # use std::time::SystemTime;
    /// # use sealed_session::{Codec, Keyring, RequestCookies, Session};
    /// # let codec = Codec::<u32>::builder(Keyring::generate()?).build()?;
    /// let session = Session::from_cookies(&codec, &RequestCookies::new(), SystemTime::now());
    /// assert!(session.set_cookie_headers().is_empty());
    /// session.set(5)?;
    /// for line in session.set_cookie_headers() {
    ///     println!("Set-Cookie: {line}");
    /// }
    /// # Ok::<(), sealed_session::Error>(())
    /// ```
    pub fn set_cookie_headers(&self) -> Vec<String> {
        let mut state = self.lock();
        flush(&mut state);
        let mut lines = match &state.write {
            Write::Nothing => Vec::new(),
            Write::Sealed(sealed) => sealed.headers().to_vec(),
            Write::Cleared(lines) => lines.clone(),
        };
        if let Some(stored) = &state.stored {
            lines.extend(stored.lines.iter().cloned());
        }
        lines.extend(state.flash_lines());
        lines
    }
}

/// Whether a response's session cookies go out: the handler took the session (or eager
/// re-seals are on), and the status is not a 5xx unless the policy keeps writes on those.
pub(super) fn writes_go_out(used: bool, status: u16, policy: &LayerPolicy) -> bool {
    (used || policy.eager_reseal) && (status < 500 || policy.keep_writes_on_server_error)
}

/// Decides what an unchanged session writes: a re-seal when one is due, deletions when the
/// request's cookies did not open. Idempotent.
pub(super) fn flush<T: Serialize>(state: &mut State<T>) {
    if !matches!(state.write, Write::Nothing) {
        return;
    }
    if state.value.is_some() {
        let Some(metadata) = state.metadata.as_ref().filter(|m| m.reseal_due()) else {
            return;
        };
        if state.stored.as_ref().is_some_and(|s| s.reseal_refused) {
            return;
        }
        #[cfg(feature = "metrics")]
        let reason = metadata.reseal_reason();
        #[cfg(not(feature = "metrics"))]
        let _ = metadata;
        // Taken out while it is sealed (sealing reads the rest of the state), put back after.
        let value = state.value.take();
        let result = value.as_ref().map(|value| state.seal_session(value, None));
        state.value = value;
        if let Some(Ok(sealed)) = result {
            if let Some(stored) = state.stored.as_mut() {
                stored.ops.resealing = true;
            }
            #[cfg(feature = "metrics")]
            if let Some(reason) = reason {
                crate::adapters::metrics::resealed(reason);
            }
            state.metadata = Some(sealed.metadata().clone());
            state.write = Write::Sealed(sealed);
        }
    } else if state
        .open_error
        .as_ref()
        .is_some_and(Error::cookies_are_dead)
    {
        let held = state.held_cookies();
        state.write = Write::Cleared(state.codec.clear(&RequestCookies::from_header(&held)));
    }
}

/// What a layer adds to a response, decided once here for every framework: the `Set-Cookie`
/// values, and the cache headers that keep shared caches from storing one user's session or
/// serving it to others. The axum and actix-web layers only copy these into their response
/// types.
///
/// # Example
///
/// ```
/// use std::time::SystemTime;
/// use sealed_session::{Codec, Keyring, LayerPolicy, RequestCookies, Session};
///
/// let codec = Codec::<u32>::builder(Keyring::generate()?).build()?;
/// let session = Session::from_cookies(&codec, &RequestCookies::new(), SystemTime::now());
/// session.set(1)?;
/// let add = session.response_headers(200, Some("public, max-age=600"), None, &LayerPolicy::default());
/// assert_eq!(add.set_cookie.len(), 1);
/// assert_eq!(add.cache_control.as_deref(), Some("private, max-age=600"));
/// assert_eq!(add.vary.as_deref(), Some("Cookie"));
/// # Ok::<(), sealed_session::Error>(())
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct ResponseHeaders {
    /// `Set-Cookie` values to append (often none).
    pub set_cookie: Vec<String>,
    /// A `Cache-Control` value to put in place of the handler's, when the handler's would let a
    /// shared cache store a response that sets a cookie; `None`: leave it as it is.
    pub cache_control: Option<String>,
    /// A `Vary` value to put in place of the handler's, so caches key responses that read the
    /// session on the `Cookie` header; `None`: leave it as it is.
    pub vary: Option<String>,
}

/// How a layer writes sessions back; both frameworks' layers carry one.
///
/// # Example
///
/// ```
/// let policy = sealed_session::LayerPolicy::default();
/// assert!(!policy.eager_reseal && !policy.keep_writes_on_server_error);
/// ```
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct LayerPolicy {
    /// Re-seal due sessions (key rotation, idle refresh) and delete dead cookies on every
    /// request, even when the handler never took the session (static assets included). Off by
    /// default: only routes that use the session write it.
    pub eager_reseal: bool,
    /// Keep the session's writes on 5xx responses. Off by default: a request that failed (a
    /// panic caught by an inner layer becomes a 500 too) writes nothing back, so its
    /// half-finished changes are discarded.
    pub keep_writes_on_server_error: bool,
}

impl<T: Serialize> Session<T> {
    /// Everything a layer adds to the response with status `status`, given the handler's
    /// `Cache-Control` and `Vary` values:
    ///
    /// * nothing at all when the handler never took the session (lazy writes), unless
    ///   [`LayerPolicy::eager_reseal`];
    /// * no `Set-Cookie` on a 5xx response unless
    ///   [`LayerPolicy::keep_writes_on_server_error`];
    /// * otherwise the [`set_cookie_headers`](Self::set_cookie_headers);
    /// * with any `Set-Cookie`, a `Cache-Control` that no shared cache stores: the handler's
    ///   directives kept when they already say `private` or `no-store`, otherwise `public` and
    ///   `s-maxage` dropped and `private` added;
    /// * when the handler took the session, `Cookie` added to `Vary`.
    ///
    /// # Example
    ///
    /// ```
    /// # use std::time::SystemTime;
    /// # use sealed_session::{Codec, Keyring, LayerPolicy, RequestCookies, Session};
    /// # let codec = Codec::<u32>::builder(Keyring::generate()?).build()?;
    /// let session = Session::from_cookies(&codec, &RequestCookies::new(), SystemTime::now());
    /// session.set(1)?;
    /// let failed = session.response_headers(500, None, None, &LayerPolicy::default());
    /// assert!(failed.set_cookie.is_empty());
    /// # Ok::<(), sealed_session::Error>(())
    /// ```
    pub fn response_headers(
        &self,
        status: u16,
        cache_control: Option<&str>,
        vary: Option<&str>,
        policy: &LayerPolicy,
    ) -> ResponseHeaders {
        let used = self.lock().used;
        if !used && !policy.eager_reseal {
            return ResponseHeaders::default();
        }
        let set_cookie = match writes_go_out(used, status, policy) {
            true => self.set_cookie_headers(),
            false => Vec::new(),
        };
        #[cfg(feature = "metrics")]
        if !set_cookie.is_empty() {
            self.report_write();
        }
        let cache_control = if set_cookie.is_empty() {
            None
        } else {
            private_cache_control(cache_control)
        };
        let vary = if used { vary_on_cookie(vary) } else { None };
        ResponseHeaders {
            set_cookie,
            cache_control,
            vary,
        }
    }

    /// Reports what this response writes for the session itself (flash cookies aside).
    #[cfg(feature = "metrics")]
    fn report_write(&self) {
        let state = self.lock();
        match &state.write {
            Write::Sealed(sealed) => crate::adapters::metrics::sealed(
                sealed.cookie_header_bytes(),
                state.codec.max_total_bytes(),
            ),
            Write::Cleared(_) => crate::adapters::metrics::cleared(),
            Write::Nothing => {}
        }
    }
}

/// A `Cache-Control` that keeps shared caches from storing the response, or `None` when the
/// handler's already does.
fn private_cache_control(current: Option<&str>) -> Option<String> {
    let Some(current) = current else {
        return Some("private".to_owned());
    };
    let name = |d: &str| {
        d.split('=')
            .next()
            .unwrap_or_default()
            .trim()
            .to_ascii_lowercase()
    };
    let directives: Vec<&str> = current
        .split(',')
        .map(str::trim)
        .filter(|d| !d.is_empty())
        .collect();
    if directives
        .iter()
        .any(|d| matches!(name(d).as_str(), "private" | "no-store"))
    {
        return None;
    }
    let kept = directives
        .into_iter()
        .filter(|d| !matches!(name(d).as_str(), "public" | "s-maxage"));
    let mut out = vec!["private"];
    out.extend(kept);
    Some(out.join(", "))
}

/// A `Vary` that includes `Cookie`, or `None` when the handler's already does (or is `*`).
fn vary_on_cookie(current: Option<&str>) -> Option<String> {
    match current.map(str::trim) {
        None | Some("") => Some("Cookie".to_owned()),
        Some(v)
            if v.split(',')
                .any(|f| matches!(f.trim(), "*") || f.trim().eq_ignore_ascii_case("cookie")) =>
        {
            None
        }
        Some(v) => Some(format!("{v}, Cookie")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cache_control_becomes_private_unless_already_stricter() {
        assert_eq!(private_cache_control(None).as_deref(), Some("private"));
        assert_eq!(
            private_cache_control(Some("public, max-age=600, s-maxage=900")).as_deref(),
            Some("private, max-age=600")
        );
        assert_eq!(private_cache_control(Some("no-store")), None);
        assert_eq!(private_cache_control(Some("Private, max-age=5")), None);
        assert_eq!(
            private_cache_control(Some("no-cache")).as_deref(),
            Some("private, no-cache")
        );
    }

    #[test]
    fn vary_gains_cookie_once() {
        assert_eq!(vary_on_cookie(None).as_deref(), Some("Cookie"));
        assert_eq!(
            vary_on_cookie(Some("Accept-Encoding")).as_deref(),
            Some("Accept-Encoding, Cookie")
        );
        assert_eq!(vary_on_cookie(Some("accept, cookie")), None);
        assert_eq!(vary_on_cookie(Some("*")), None);
    }
}
