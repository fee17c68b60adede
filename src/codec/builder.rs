//! Configuring a [`Codec`].

use std::marker::PhantomData;
use std::sync::Arc;
use std::time::SystemTime;

use serde::Serialize;
use serde::de::DeserializeOwned;

use super::schema::Schemas;
use super::{Codec, LiveKeyring, Shared};
use crate::chunk::MAX_CHUNKS;
use crate::cookie::{CookieAttributes, LifetimeAttrs, validate_name};
use crate::envelope::{Binding, MAX_LABEL_LEN, Mode};
use crate::error::{Error, config};
use crate::expiry::Expiry;
use crate::random::{OsRandom, RandomSource};
use crate::time::to_unix;

/// Default cookie name. The `__Host-` prefix makes browsers refuse the cookie unless it is
/// `Secure`, host-only and for `Path=/`, so a sibling subdomain cannot plant or shadow it.
pub const DEFAULT_COOKIE_NAME: &str = "__Host-session";

/// Default purpose string bound into every sealed value.
pub const DEFAULT_PURPOSE: &str = "session";

/// Default limit on one `Set-Cookie` line (name, value and attributes). Browsers keep cookies up
/// to 4096 bytes; Safari has been seen to drop slightly smaller ones, hence the margin.
pub const DEFAULT_MAX_COOKIE_BYTES: usize = 4000;

/// The largest per-cookie limit accepted: RFC 6265bis's 4096 bytes.
pub const MAX_COOKIE_BYTES: usize = 4096;

/// Default limit on the bytes the session's cookies add to the request's `Cookie` header. nginx
/// (`large_client_header_buffers 4 8k`) and Apache (`LimitRequestFieldSize 8190`) reject a header
/// line over 8 KiB; 6144 leaves over 2000 bytes of it for `Cookie: ` and the site's other cookies.
///
/// The response side has a limit too: a reverse proxy holds each upstream response header in a
/// buffer (nginx's `proxy_buffer_size` is one 4 KiB page by default) and answers a larger one
/// with a 502. A response that seals a full session carries its `Set-Cookie` lines, so raise that
/// buffer (README, "Running in a cluster").
pub const DEFAULT_MAX_TOTAL_BYTES: usize = 6144;

/// The largest total budget accepted: [`MAX_CHUNKS`] full cookies.
pub const MAX_TOTAL_BYTES: usize = MAX_CHUNKS * MAX_COOKIE_BYTES;

/// Room a line must keep for at least a small chunk beyond the name and attributes.
const MIN_VALUE_ROOM: usize = 64;

/// Builds a [`Codec`]: cookie name and attributes, mode, purpose, expiry policy and size limits.
///
/// # Example
///
/// ```
/// use std::time::Duration;
/// use sealed_session::{Codec, CookieAttributes, Expiry, Keyring, Mode, SameSite};
///
/// let codec = Codec::<Vec<String>>::builder(Keyring::generate()?)
///     .cookie_name("__Host-cart")
///     .purpose("shop/cart")
///     .mode(Mode::Encrypted)
///     .attributes(CookieAttributes::default().same_site(Some(SameSite::Strict)))
///     .expiry(Expiry::default().idle(Some(Duration::from_secs(1800))))
///     .max_cookie_bytes(3000)
///     .max_total_bytes(8000)
///     .build()?;
/// assert_eq!(codec.cookie_name(), "__Host-cart");
/// # Ok::<(), sealed_session::Error>(())
/// ```
pub struct CodecBuilder<T> {
    keyring: LiveKeyring,
    cookie_name: String,
    purpose: String,
    purpose_named: bool,
    insecure_development: bool,
    mode: Mode,
    attributes: CookieAttributes,
    expiry: Expiry,
    max_cookie_bytes: usize,
    max_total_bytes: usize,
    random: Arc<dyn RandomSource>,
    schemas: Schemas<T>,
    _session: PhantomData<fn() -> T>,
}

impl<T> CodecBuilder<T> {
    pub(super) fn new(keyring: LiveKeyring) -> Self {
        CodecBuilder {
            keyring,
            cookie_name: DEFAULT_COOKIE_NAME.to_owned(),
            purpose: DEFAULT_PURPOSE.to_owned(),
            purpose_named: false,
            insecure_development: false,
            mode: Mode::default(),
            attributes: CookieAttributes::default(),
            expiry: Expiry::default(),
            max_cookie_bytes: DEFAULT_MAX_COOKIE_BYTES,
            max_total_bytes: DEFAULT_MAX_TOTAL_BYTES,
            random: Arc::new(OsRandom),
            schemas: Schemas::default(),
            _session: PhantomData,
        }
    }

    /// The cookie name (default [`DEFAULT_COOKIE_NAME`]); chunks add `.1`, `.2`, ...
    ///
    /// # Example
    ///
    /// ```
    /// # use sealed_session::{Codec, Keyring};
    /// let codec = Codec::<u8>::builder(Keyring::generate()?).cookie_name("sid").build()?;
    /// assert_eq!(codec.cookie_name(), "sid");
    /// # Ok::<(), sealed_session::Error>(())
    /// ```
    #[must_use]
    pub fn cookie_name(mut self, name: &str) -> Self {
        name.clone_into(&mut self.cookie_name);
        self
    }

    /// The purpose bound into every value (default [`DEFAULT_PURPOSE`]), so two applications
    /// sharing a keyring cannot open each other's values. At most 255 bytes.
    ///
    /// # Example
    ///
    /// ```
    /// # use sealed_session::{Codec, Keyring};
    /// let codec = Codec::<u8>::builder(Keyring::generate()?).purpose("billing").build()?;
    /// # let _ = codec;
    /// # Ok::<(), sealed_session::Error>(())
    /// ```
    #[must_use]
    pub fn purpose(mut self, purpose: &str) -> Self {
        purpose.clone_into(&mut self.purpose);
        self.purpose_named = true;
        self
    }

    /// Encrypted (default) or signed.
    ///
    /// # Example
    ///
    /// ```
    /// # use sealed_session::{Codec, Keyring, Mode};
    /// let codec = Codec::<u8>::builder(Keyring::generate()?).mode(Mode::Signed).build()?;
    /// assert_eq!(codec.mode(), Mode::Signed);
    /// # Ok::<(), sealed_session::Error>(())
    /// ```
    #[must_use]
    pub fn mode(mut self, mode: Mode) -> Self {
        self.mode = mode;
        self
    }

    /// The `Set-Cookie` attributes (default: see [`CookieAttributes`]).
    ///
    /// # Example
    ///
    /// ```
    /// # use sealed_session::{Codec, CookieAttributes, Keyring};
    /// let attrs = CookieAttributes::default().secure(false);
    /// let codec = Codec::<u8>::builder(Keyring::generate()?)
    ///     .cookie_name("dev-session")
    ///     .attributes(attrs)
    ///     .build()?;
    /// # let _ = codec;
    /// # Ok::<(), sealed_session::Error>(())
    /// ```
    #[must_use]
    pub fn attributes(mut self, attributes: CookieAttributes) -> Self {
        self.attributes = attributes;
        self
    }

    /// The expiry policy (default: see [`Expiry`]).
    ///
    /// # Example
    ///
    /// ```
    /// # use std::time::Duration;
    /// # use sealed_session::{Codec, Expiry, Keyring};
    /// let policy = Expiry::default().absolute(Some(Duration::from_secs(3600)));
    /// let codec = Codec::<u8>::builder(Keyring::generate()?).expiry(policy).build()?;
    /// assert_eq!(codec.expiry(), &policy);
    /// # Ok::<(), sealed_session::Error>(())
    /// ```
    #[must_use]
    pub fn expiry(mut self, expiry: Expiry) -> Self {
        self.expiry = expiry;
        self
    }

    /// The limit on each `Set-Cookie` line, name, value and attributes together (default
    /// [`DEFAULT_MAX_COOKIE_BYTES`], at most [`MAX_COOKIE_BYTES`]).
    ///
    /// # Example
    ///
    /// ```
    /// # use sealed_session::{Codec, Keyring};
    /// assert!(Codec::<u8>::builder(Keyring::generate()?).max_cookie_bytes(5000).build().is_err());
    /// # Ok::<(), sealed_session::Error>(())
    /// ```
    #[must_use]
    pub fn max_cookie_bytes(mut self, bytes: usize) -> Self {
        self.max_cookie_bytes = bytes;
        self
    }

    /// The limit on the bytes the session adds to the `Cookie` header, summed over chunks
    /// (default [`DEFAULT_MAX_TOTAL_BYTES`], at most [`MAX_TOTAL_BYTES`]). Tokens are limited to
    /// the same number of characters.
    ///
    /// # Example
    ///
    /// ```
    /// # use sealed_session::{Codec, Keyring};
    /// let codec = Codec::<u8>::builder(Keyring::generate()?).max_total_bytes(12_000).build()?;
    /// assert_eq!(codec.max_total_bytes(), 12_000);
    /// # Ok::<(), sealed_session::Error>(())
    /// ```
    #[must_use]
    pub fn max_total_bytes(mut self, bytes: usize) -> Self {
        self.max_total_bytes = bytes;
        self
    }

    /// Where nonces and session ids come from (default [`OsRandom`]). Replace it only to make
    /// tests and test vectors deterministic.
    ///
    /// # Example
    ///
    /// ```
    /// # use std::sync::Arc;
    /// # use sealed_session::{Codec, Keyring, OsRandom};
    /// let codec = Codec::<u8>::builder(Keyring::generate()?).random_source(Arc::new(OsRandom)).build()?;
    /// # let _ = codec;
    /// # Ok::<(), sealed_session::Error>(())
    /// ```
    #[must_use]
    pub fn random_source(mut self, random: Arc<dyn RandomSource>) -> Self {
        self.random = random;
        self
    }

    /// For plain-HTTP development only (`http://` on a host other than `localhost`, which
    /// browsers do not treat as secure): cookies without `Secure`, under the cookie name with its
    /// `__Host-`/`__Secure-` prefix removed (those prefixes require `Secure`), and a loud warning
    /// on standard error when the codec is built.
    ///
    /// Debug builds only: in a release build (`debug_assertions` off)
    /// [`build`](Self::build) refuses it with [`Error::InvalidConfig`], so it cannot ship by
    /// accident. A TLS-terminating proxy in front of the app does **not** need it: the browser
    /// talks HTTPS to the proxy, and `Secure` cookies are exactly right there.
    ///
    /// # Example
    ///
    /// ```
    /// # use sealed_session::{Codec, Keyring};
    /// let built = Codec::<u8>::builder(Keyring::generate()?)
    ///     .insecure_development_cookies()
    ///     .build();
    /// match built {
    ///     // A debug build of the crate.
    ///     Ok(codec) => {
    ///         assert_eq!(codec.cookie_name(), "session");
    ///         assert!(!codec.attributes().is_secure());
    ///     }
    ///     // A release build refuses it.
    ///     Err(e) => assert!(matches!(e, sealed_session::Error::InvalidConfig { .. })),
    /// }
    /// # Ok::<(), sealed_session::Error>(())
    /// ```
    #[must_use]
    pub fn insecure_development_cookies(mut self) -> Self {
        self.insecure_development = true;
        self
    }

    /// The schema version of `T` (default 0), written into every value this codec seals
    /// (unless [`seal_older_schema_until`](Self::seal_older_schema_until) holds an older one
    /// back). Bump it whenever `T` changes its serialized shape (a field added, removed,
    /// reordered or retyped): postcard encodes fields by position, not by name.
    ///
    /// # Example
    ///
    /// ```
    /// # use sealed_session::{Codec, Keyring};
    /// let codec = Codec::<u8>::builder(Keyring::generate()?).schema_version(2).build()?;
    /// assert_eq!(codec.schema_version(), 2);
    /// # Ok::<(), sealed_session::Error>(())
    /// ```
    #[must_use]
    pub fn schema_version(mut self, version: u32) -> Self {
        self.schemas.current = version;
        self
    }

    /// Also opens values written in an older schema `version` of the session type, as `Old`,
    /// converted into `T` by `upgrade`. Such values are reported due for a re-seal
    /// ([`ResealReason::OldSchema`](crate::ResealReason::OldSchema)) once this codec writes a
    /// newer version, so they move to `T` on their next request.
    ///
    /// # Example
    ///
    /// ```
    /// use serde::{Deserialize, Serialize};
    /// use sealed_session::{Codec, Keyring};
    ///
    /// #[derive(Serialize, Deserialize)]
    /// struct CartV1 { items: Vec<u32> }
    /// #[derive(Serialize, Deserialize)]
    /// struct CartV2 { items: Vec<u32>, coupon: Option<String> }
    ///
    /// let codec = Codec::<CartV2>::builder(Keyring::generate()?)
    ///     .schema_version(2)
    ///     .open_older_schema(1, |old: CartV1| CartV2 { items: old.items, coupon: None })
    ///     .build()?;
    /// # let _ = codec;
    /// # Ok::<(), sealed_session::Error>(())
    /// ```
    #[must_use]
    pub fn open_older_schema<Old: DeserializeOwned + 'static>(
        mut self,
        version: u32,
        upgrade: impl Fn(Old) -> T + Send + Sync + 'static,
    ) -> Self
    where
        T: 'static,
    {
        self.schemas.add_older(version, upgrade);
        self
    }

    /// Keeps sealing the older schema `version` (as `Old`, converted from `T` by `downgrade`)
    /// until `until`, then the current one: the scheduled switch of a rolling deploy. Roll out
    /// the release that reads the new version everywhere first, with `until` after the
    /// roll-out ends; at `until` every node starts writing the new version at once, the way a
    /// key's `not_before` switches keys. `version` must also be opened
    /// ([`open_older_schema`](Self::open_older_schema)).
    ///
    /// # Example
    ///
    /// ```
    /// use std::time::{Duration, SystemTime};
    /// use serde::{Deserialize, Serialize};
    /// use sealed_session::{Codec, Keyring, RequestCookies};
    ///
    /// #[derive(Serialize, Deserialize)]
    /// struct CartV1 { items: Vec<u32> }
    /// #[derive(Serialize, Deserialize)]
    /// struct CartV2 { items: Vec<u32>, coupon: Option<String> }
    ///
    /// let now = SystemTime::now();
    /// let switch = now + Duration::from_secs(3600);
    /// let codec = Codec::<CartV2>::builder(Keyring::generate()?)
    ///     .schema_version(2)
    ///     .open_older_schema(1, |old: CartV1| CartV2 { items: old.items, coupon: None })
    ///     .seal_older_schema_until(1, switch, |new: &CartV2| CartV1 { items: new.items.clone() })
    ///     .build()?;
    /// let cart = CartV2 { items: vec![7], coupon: None };
    /// let before = codec.seal(&cart, None, &RequestCookies::new(), now)?;
    /// assert_eq!(before.metadata().schema_version(), 1);
    /// let after = codec.seal(&cart, None, &RequestCookies::new(), switch)?;
    /// assert_eq!(after.metadata().schema_version(), 2);
    /// # Ok::<(), sealed_session::Error>(())
    /// ```
    #[must_use]
    pub fn seal_older_schema_until<Old: Serialize + 'static>(
        mut self,
        version: u32,
        until: SystemTime,
        downgrade: impl Fn(&T) -> Old + Send + Sync + 'static,
    ) -> Self
    where
        T: 'static,
    {
        self.schemas
            .seal_older_until(version, to_unix(until), downgrade);
        self
    }

    /// Checks the configuration and builds the codec.
    ///
    /// # Example
    ///
    /// ```
    /// # use sealed_session::{Codec, CookieAttributes, Keyring};
    /// // A __Host- cookie must be Secure: refused here, not silently dropped by the browser.
    /// let bad = Codec::<u8>::builder(Keyring::generate()?)
    ///     .attributes(CookieAttributes::default().secure(false))
    ///     .build();
    /// assert!(bad.is_err());
    /// # Ok::<(), sealed_session::Error>(())
    /// ```
    pub fn build(mut self) -> Result<Codec<T>, Error> {
        if self.insecure_development {
            if !cfg!(debug_assertions) {
                return Err(config(
                    "insecure_development_cookies is for debug builds only: a release build refuses it",
                ));
            }
            let unprefixed = strip_secure_prefix(&self.cookie_name).to_owned();
            self.cookie_name = unprefixed;
            self.attributes = self.attributes.secure(false);
            eprintln!(
                "\n!!! sealed-session: INSECURE DEVELOPMENT COOKIES: cookie {:?} without Secure.\n\
                 !!! Anyone on the network path can read and replay it. Never in production.\n",
                self.cookie_name
            );
        }
        validate_name(&self.cookie_name)?;
        if self.purpose.len() > MAX_LABEL_LEN {
            return Err(config("purpose is at most 255 bytes"));
        }
        self.attributes.validate(&self.cookie_name)?;
        self.expiry.validate()?;
        self.schemas.validate()?;
        if self.max_cookie_bytes > MAX_COOKIE_BYTES {
            return Err(config(
                "max_cookie_bytes is at most 4096 (browsers drop larger cookies)",
            ));
        }
        let fixed = self.attributes.rendered();
        let longest_line_overhead = self.cookie_name.len()
            + ".15=".len()
            + fixed.len()
            + LifetimeAttrs::longest(&self.attributes);
        if self.max_cookie_bytes < longest_line_overhead + MIN_VALUE_ROOM {
            return Err(config(
                "max_cookie_bytes leaves no room for a value beside the name and attributes",
            ));
        }
        if !(MIN_VALUE_ROOM..=MAX_TOTAL_BYTES).contains(&self.max_total_bytes) {
            return Err(config("max_total_bytes must be between 64 and 65536"));
        }
        let binding = Binding::new(&self.cookie_name, &self.purpose)?;
        Ok(Codec {
            shared: Arc::new(Shared {
                keyring: self.keyring,
                cookie_name: self.cookie_name,
                purpose: self.purpose,
                purpose_named: self.purpose_named,
                mode: self.mode,
                attributes: self.attributes,
                fixed_attributes: fixed,
                expiry: self.expiry,
                max_cookie_bytes: self.max_cookie_bytes,
                max_total_bytes: self.max_total_bytes,
                binding,
                random: self.random,
            }),
            schemas: Arc::new(self.schemas),
            _session: PhantomData,
        })
    }
}

/// The cookie name without a `__Host-` or `__Secure-` prefix (case-insensitive, as browsers
/// match them).
fn strip_secure_prefix(name: &str) -> &str {
    for prefix in ["__Host-", "__Secure-"] {
        if name.len() > prefix.len()
            && name.is_char_boundary(prefix.len())
            && name[..prefix.len()].eq_ignore_ascii_case(prefix)
        {
            return &name[prefix.len()..];
        }
    }
    name
}
