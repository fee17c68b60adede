//! What the axum layer and the actix-web middleware share: the codec, the clock and the write
//! policy, and the one place a request's session is opened. Each framework's module only
//! translates its request and response types.

use std::sync::Arc;

use serde::de::DeserializeOwned;

use super::clock::Clock;
use super::session::cross_site::CrossSite;
use super::session::{
    Flashes, LayerPolicy, Revocation, Session, SessionStore, StoreCodecs, StoreOptions, flash_codec,
};
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
    /// The server-side store for sessions larger than the cookies, if the app gave one.
    pub(crate) store: Option<Arc<StoreCodecs<T>>>,
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
            store: self.store.clone(),
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
            store: None,
        }
    }

    /// Gives the layer a server-side store for sessions that do not fit the cookie budget.
    pub(crate) fn set_store(
        &mut self,
        store: Arc<dyn SessionStore>,
        options: StoreOptions,
    ) -> Result<(), crate::Error> {
        self.store = Some(Arc::new(StoreCodecs::new(&self.codec, store, options)?));
        Ok(())
    }

    /// Opens the request's session at the clock's time (read once per request). With a
    /// store, the reference cookie is opened here too, and the entry is loaded (then the
    /// revocation hook consulted) by [`load`](Self::load), which the adapters await before
    /// the handler.
    pub(crate) fn open(&self, cookies: &RequestCookies<'_>) -> Session<T>
    where
        T: DeserializeOwned + 'static,
    {
        let session = Session::for_layer(
            &self.codec,
            cookies,
            self.clock.now(),
            self.flash.as_ref(),
            self.store.as_ref(),
        );
        if self.store.is_none()
            && let Some(revocation) = &self.revocation
        {
            session.apply_revocation(revocation.as_ref());
        }
        session
    }

    /// With a store: loads the request's stored session, then consults the revocation hook.
    pub(crate) async fn load(&self, session: &Session<T>)
    where
        T: DeserializeOwned + 'static,
    {
        if self.store.is_some() {
            session.load_stored(self.revocation.as_deref()).await;
        }
    }
}

impl<T> core::fmt::Debug for LayerConfig<T> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("LayerConfig")
            .field("codec", &self.codec)
            .field("policy", &self.policy)
            .field("revocation", &self.revocation.is_some())
            .field("cross_site", &self.cross_site)
            .field("store", &self.store.as_ref().map(|s| s.options))
            .finish_non_exhaustive()
    }
}
