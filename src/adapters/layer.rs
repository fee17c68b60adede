//! What the axum layer and the actix-web middleware share: the codec, the clock and the write
//! policy, and the one place a request's session is opened. Each framework's module only
//! translates its request and response types.

use std::sync::Arc;

use serde::de::DeserializeOwned;

use super::clock::Clock;
use super::session::cross_site::CrossSite;
use super::session::{Flashes, LayerPolicy, Revocation, Session, flash_codec};
use crate::{Codec, RequestCookies};

/// A layer's configuration, cheap to clone (two `Arc`s and two flags).
pub(crate) struct LayerConfig<T> {
    pub(crate) codec: Codec<T>,
    pub(crate) clock: Arc<dyn Clock>,
    pub(crate) policy: LayerPolicy,
    pub(crate) revocation: Option<Arc<dyn Revocation<T>>>,
    /// The codec of the flash cookie (`None` when the session's name leaves no room for it).
    pub(crate) flash: Option<Codec<Flashes>>,
    /// The cross-site check run before the session is opened (on by default).
    pub(crate) cross_site: Arc<CrossSite>,
}

impl<T> Clone for LayerConfig<T> {
    fn clone(&self) -> Self {
        LayerConfig {
            codec: self.codec.clone(),
            clock: Arc::clone(&self.clock),
            policy: self.policy,
            revocation: self.revocation.clone(),
            flash: self.flash.clone(),
            cross_site: Arc::clone(&self.cross_site),
        }
    }
}

impl<T> LayerConfig<T> {
    pub(crate) fn new(codec: Codec<T>) -> Self {
        LayerConfig {
            flash: flash_codec(&codec),
            codec,
            clock: Arc::new(std::time::SystemTime::now),
            policy: LayerPolicy::default(),
            revocation: None,
            cross_site: Arc::new(CrossSite::default()),
        }
    }

    /// Opens the request's session at the clock's time (read once per request).
    pub(crate) fn open(&self, cookies: &RequestCookies<'_>) -> Session<T>
    where
        T: DeserializeOwned + 'static,
    {
        let session =
            Session::for_layer(&self.codec, cookies, self.clock.now(), self.flash.as_ref());
        if let Some(revocation) = &self.revocation {
            session.apply_revocation(revocation.as_ref());
        }
        session
    }
}

impl<T> core::fmt::Debug for LayerConfig<T> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("LayerConfig")
            .field("codec", &self.codec)
            .field("policy", &self.policy)
            .field("revocation", &self.revocation.is_some())
            .field("cross_site", &self.cross_site)
            .finish_non_exhaustive()
    }
}
