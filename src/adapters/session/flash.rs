//! Flash messages: set on one request, read once on the next (across a redirect).
//!
//! They travel in a cookie of their own (`<session cookie>-flash`, sealed under the same
//! keyring with the purpose `<purpose>/flash`, a browser-session cookie that the server expires
//! after ten minutes), not inside the session: so reading them never creates a session for an
//! anonymous visitor, and they do not change the application's session type or its schema.

use std::time::Duration;

use super::{Session, State};
use crate::chunk::ChunkSet;
use crate::{Codec, Error, Expiry, RequestCookies};

/// The messages of one flash cookie.
pub(crate) type Flashes = Vec<String>;

/// How long a flash message waits for the request that shows it.
const FLASH_LIFETIME: Duration = Duration::from_secs(600);

/// The flash codec of a session codec: the same live keyring (a replacement reaches both),
/// attributes and limits, its own cookie name and purpose. `None` when the session's cookie name leaves no room for the suffix.
pub(crate) fn flash_codec<T>(session: &Codec<T>) -> Option<Codec<Flashes>> {
    Codec::builder(session.live_keyring().clone())
        .cookie_name(&format!("{}-flash", session.cookie_name()))
        .purpose(&format!("{}/flash", session.purpose()))
        .mode(session.mode())
        .attributes(session.attributes().clone())
        .max_cookie_bytes(session.max_cookie_bytes())
        .max_total_bytes(session.max_total_bytes())
        .expiry(
            Expiry::default()
                .absolute(Some(FLASH_LIFETIME))
                .idle(None)
                .persistent(false),
        )
        .build()
        .ok()
}

/// A request's flash cookie and what the response does with it.
pub(crate) struct FlashState {
    codec: Codec<Flashes>,
    /// The flash cookie's chunk names the request carried, so the response deletes exactly them.
    held: ChunkSet,
    /// What the request carried (empty when nothing, or nothing that opened).
    incoming: Flashes,
    /// Whether the handler read the incoming messages (they are then deleted).
    taken: bool,
    /// Messages for the next request, sealed as they are added.
    outgoing: Option<(Flashes, Vec<String>)>,
    /// How many of `outgoing`'s first messages are unread ones carried from the request.
    carried: usize,
}

impl FlashState {
    /// The request's flash cookie; `seen` is whether the session's scan of the header met a
    /// cookie of the flash name at all. Most requests carry none, and then the header is not
    /// scanned again.
    pub(crate) fn open(
        codec: &Codec<Flashes>,
        request: &RequestCookies<'_>,
        now: std::time::SystemTime,
        seen: bool,
    ) -> Self {
        let (held, incoming) = if seen {
            let slots = codec.collect(request, |_, _| {});
            // A flash cookie that does not open (tampered, expired) is simply no messages.
            let incoming = codec.open_collected(&slots, now).ok().flatten();
            (
                slots.held(),
                incoming.map(|o| o.session).unwrap_or_default(),
            )
        } else {
            (ChunkSet::default(), Flashes::new())
        };
        FlashState {
            codec: codec.clone(),
            held,
            incoming,
            taken: false,
            outgoing: None,
            carried: 0,
        }
    }

    fn held_cookies(&self) -> String {
        self.held.cookie_header(self.codec.cookie_name())
    }

    /// The flash cookie's `Set-Cookie` lines for the response.
    pub(crate) fn lines(&self) -> Vec<String> {
        match &self.outgoing {
            Some((_, lines)) => lines.clone(),
            None if self.taken && !self.held.is_empty() => self
                .codec
                .clear(&RequestCookies::from_header(&self.held_cookies())),
            None => Vec::new(),
        }
    }
}

impl<T> Session<T> {
    /// Adds a message for the **next** request ([`take_flashes`](Self::take_flashes) there),
    /// typically before a redirect. Sealed now, so a message too large for the cookie budget
    /// is an error here ([`Error::TooLarge`]) and the earlier messages stay. Works with or
    /// without a session: flash messages travel in a cookie of their own.
    ///
    /// Fails with [`Error::InvalidConfig`] on a handle made by
    /// [`from_cookies`](Self::from_cookies) rather than by a layer, or when the session's
    /// cookie name leaves no room for the `-flash` suffix.
    ///
    /// # Example
    ///
    /// ```
    /// use axum::{Router, response::Redirect, routing::{get, post}};
    /// use sealed_session::{Codec, Keyring, axum::{Session, SessionLayer}};
    ///
    /// async fn save(session: Session<u64>) -> Redirect {
    ///     let _ = session.flash("saved");
    ///     Redirect::to("/")
    /// }
    /// async fn page(session: Session<u64>) -> String {
    ///     session.take_flashes().join("\n")
    /// }
    /// let codec = Codec::<u64>::builder(Keyring::generate()?).build()?;
    /// let app: Router = Router::new()
    ///     .route("/", get(page))
    ///     .route("/save", post(save))
    ///     .layer(SessionLayer::new(codec));
    /// # let _ = app;
    /// # Ok::<(), sealed_session::Error>(())
    /// ```
    pub fn flash(&self, message: impl Into<String>) -> Result<(), Error> {
        let mut state = self.touch();
        let now = state.now;
        let Some(flash) = state.flash.as_mut() else {
            return Err(Error::InvalidConfig {
                reason: "flash messages need a session layer (and a cookie name short enough for '-flash')",
            });
        };
        // Messages the request carried and nobody has read yet wait for the next request too.
        let mut messages = match &flash.outgoing {
            Some((messages, _)) => messages.clone(),
            None if !flash.taken => {
                flash.carried = flash.incoming.len();
                flash.incoming.clone()
            }
            None => Vec::new(),
        };
        messages.push(message.into());
        let sealed = flash.codec.seal(
            &messages,
            None,
            &RequestCookies::from_header(&flash.held_cookies()),
            now,
        )?;
        flash.outgoing = Some((messages, sealed.into_headers()));
        Ok(())
    }

    /// The messages the previous response flashed, once: the response deletes them, and a
    /// second call in the same request returns nothing. Never creates a session.
    ///
    /// # Example
    ///
    /// ```
    /// # use std::time::SystemTime;
    /// # use sealed_session::{Codec, Keyring, RequestCookies, Session};
    /// # let codec = Codec::<u8>::builder(Keyring::generate()?).build()?;
    /// let session = Session::from_cookies(&codec, &RequestCookies::new(), SystemTime::now());
    /// assert!(session.take_flashes().is_empty());
    /// assert!(session.set_cookie_headers().is_empty());
    /// # Ok::<(), sealed_session::Error>(())
    /// ```
    pub fn take_flashes(&self) -> Vec<String> {
        let mut state = self.touch();
        let now = state.now;
        match state.flash.as_mut() {
            Some(flash) if !flash.taken => {
                flash.taken = true;
                let taken = core::mem::take(&mut flash.incoming);
                // Read now: no longer carried to the next request.
                let carried = core::mem::take(&mut flash.carried);
                if let Some((messages, _)) = flash.outgoing.take() {
                    let rest: Flashes = messages.into_iter().skip(carried).collect();
                    if !rest.is_empty() {
                        let held = flash.held_cookies();
                        let request = RequestCookies::from_header(&held);
                        if let Ok(sealed) = flash.codec.seal(&rest, None, &request, now) {
                            flash.outgoing = Some((rest, sealed.into_headers()));
                        }
                    }
                }
                taken
            }
            _ => Vec::new(),
        }
    }
}

impl<T> State<T> {
    pub(crate) fn flash_lines(&self) -> Vec<String> {
        self.flash
            .as_ref()
            .map(FlashState::lines)
            .unwrap_or_default()
    }
}
