//! Parsing a request's `Cookie` header(s) without allocating per cookie.

/// The `Cookie` header values of one request, read lazily.
///
/// Holds borrowed header values and splits them into `name=value` pairs only while iterating, so
/// a huge or hostile header costs one linear scan and no allocation per cookie. Parsing follows
/// what browsers send (RFC 6265 section 4.2) and forgives what servers commonly see: several
/// headers (HTTP/2 may split cookies across them), spaces or tabs around names and values, empty
/// pieces, pairs without `=` (skipped) and values wrapped in double quotes (unwrapped).
///
/// # Example
///
/// ```
/// use sealed_session::RequestCookies;
///
/// let mut cookies = RequestCookies::from_header("theme=dark;  session=abc ;flag");
/// cookies.add_header("lang=\"en\"");
/// let pairs: Vec<_> = cookies.iter().collect();
/// assert_eq!(pairs, [("theme", "dark"), ("session", "abc"), ("lang", "en")]);
/// assert_eq!(cookies.get("session"), Some("abc"));
/// ```
#[derive(Clone, Default)]
pub struct RequestCookies<'a> {
    /// The first header lives inline, so the common one-header request allocates nothing.
    first: Option<&'a str>,
    more: Vec<&'a str>,
}

impl<'a> RequestCookies<'a> {
    /// No cookies at all (a request without a `Cookie` header).
    ///
    /// # Example
    ///
    /// ```
    /// assert_eq!(sealed_session::RequestCookies::new().iter().count(), 0);
    /// ```
    pub fn new() -> Self {
        RequestCookies::default()
    }

    /// The cookies of one `Cookie` header value.
    ///
    /// # Example
    ///
    /// ```
    /// let cookies = sealed_session::RequestCookies::from_header("a=1; b=2");
    /// assert_eq!(cookies.get("b"), Some("2"));
    /// ```
    pub fn from_header(header: &'a str) -> Self {
        RequestCookies {
            first: Some(header),
            more: Vec::new(),
        }
    }

    /// Adds another `Cookie` header value of the same request.
    ///
    /// # Example
    ///
    /// ```
    /// let mut cookies = sealed_session::RequestCookies::from_header("a=1");
    /// cookies.add_header("b=2");
    /// assert_eq!(cookies.iter().count(), 2);
    /// ```
    pub fn add_header(&mut self, header: &'a str) -> &mut Self {
        if self.first.is_none() {
            self.first = Some(header);
        } else {
            self.more.push(header);
        }
        self
    }

    /// Every `(name, value)` pair, in header order, duplicates included.
    ///
    /// # Example
    ///
    /// ```
    /// let cookies = sealed_session::RequestCookies::from_header("a=1; a=2");
    /// assert_eq!(cookies.iter().filter(|(n, _)| *n == "a").count(), 2);
    /// ```
    pub fn iter(&self) -> impl Iterator<Item = (&'a str, &'a str)> + '_ {
        self.first
            .iter()
            .chain(&self.more)
            .flat_map(|h| pieces(h))
            .filter_map(parse_pair)
    }

    /// The value of the first cookie called `name`.
    ///
    /// # Example
    ///
    /// ```
    /// let cookies = sealed_session::RequestCookies::from_header("a=1; a=2");
    /// assert_eq!(cookies.get("a"), Some("1"));
    /// ```
    pub fn get(&self, name: &str) -> Option<&'a str> {
        self.iter().find(|(n, _)| *n == name).map(|(_, v)| v)
    }
}

/// Cookie names only: the values may be live session credentials, so they stay out of logs.
impl core::fmt::Debug for RequestCookies<'_> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("RequestCookies")
            .field(
                "names",
                &self.iter().map(|(name, _)| name).collect::<Vec<_>>(),
            )
            .finish()
    }
}

impl<'a> From<&'a str> for RequestCookies<'a> {
    fn from(header: &'a str) -> Self {
        RequestCookies::from_header(header)
    }
}

impl<'a> FromIterator<&'a str> for RequestCookies<'a> {
    fn from_iter<I: IntoIterator<Item = &'a str>>(headers: I) -> Self {
        let mut cookies = RequestCookies::new();
        for header in headers {
            cookies.add_header(header);
        }
        cookies
    }
}

/// `header` split at every `;`, like `str::split(';')`, but found with `memchr`'s vectorized
/// search: a sealed session is kilobytes of base64 without a `;`, and this scan is most of
/// what reading a large `Cookie` header costs (BENCHMARKS.md, "The axum layer per request").
fn pieces(header: &str) -> impl Iterator<Item = &str> {
    let mut rest = Some(header);
    core::iter::from_fn(move || {
        let current = rest?;
        match memchr::memchr(b';', current.as_bytes()) {
            Some(at) => {
                // `;` is ASCII, so both sides are on character boundaries.
                let (piece, tail) = current.split_at(at);
                rest = tail.get(1..);
                Some(piece)
            }
            None => rest.take(),
        }
    })
}

fn is_ows(c: char) -> bool {
    c == ' ' || c == '\t'
}

fn parse_pair(piece: &str) -> Option<(&str, &str)> {
    let (name, value) = piece.split_once('=')?;
    let name = name.trim_matches(is_ows);
    if name.is_empty() {
        return None;
    }
    let value = value.trim_matches(is_ows);
    let value = value
        .strip_prefix('"')
        .and_then(|v| v.strip_suffix('"'))
        .unwrap_or(value);
    Some((name, value))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn odd_whitespace_empty_pieces_and_bare_words() {
        let c = RequestCookies::from_header(" ;;\ta = 1 ;b=;=x; c=\"q\"; d=\"; e==2; word ;");
        let pairs: Vec<_> = c.iter().collect();
        assert_eq!(
            pairs,
            [("a", "1"), ("b", ""), ("c", "q"), ("d", "\""), ("e", "=2")]
        );
    }

    #[test]
    fn pieces_split_like_str_split() {
        for header in [
            "",
            ";",
            "a",
            "a;",
            ";a",
            "a;;b",
            "a=1; b=2;c",
            ";;;",
            "é=ü;ß",
        ] {
            let ours: Vec<_> = pieces(header).collect();
            let std: Vec<_> = header.split(';').collect();
            assert_eq!(ours, std, "{header:?}");
        }
    }

    #[test]
    fn several_headers_keep_their_order() {
        let c: RequestCookies = ["x=1; y=2", "", "z=3"].into_iter().collect();
        let names: Vec<_> = c.iter().map(|(n, _)| n).collect();
        assert_eq!(names, ["x", "y", "z"]);
    }
}
