//! Changing the session: set, update, sign-in, sign-out, and the rule that refuses writes over
//! cookies this node cannot read.

use serde::Serialize;

use super::{Session, State, Write};
use crate::{Error, RequestCookies};

impl<T> State<T> {
    /// Refuses a write over session cookies this node could not read but another node (or a
    /// later request, or another release) may: replacing them could destroy a live session.
    /// After an explicit [`Session::clear`] the write starts a new session.
    fn check_overwrite(&self) -> Result<(), Error> {
        match &self.open_error {
            Some(cause)
                if !cause.cookies_are_dead() && !matches!(self.write, Write::Cleared(_)) =>
            {
                #[cfg(feature = "metrics")]
                crate::adapters::metrics::overwrite_refused(cause);
                Err(Error::OverwriteRefused {
                    cause: Box::new(cause.clone()),
                })
            }
            _ => Ok(()),
        }
    }

    /// Seals `value` as the session now (keeping the request's id, issue time and lifetime),
    /// or changes nothing on an error.
    fn store(&mut self, value: T) -> Result<(), Error>
    where
        T: Serialize,
    {
        self.check_overwrite()?;
        let sealed = self.seal_session(&value, None)?;
        self.metadata = Some(sealed.metadata().clone());
        self.value = Some(value);
        self.write = Write::Sealed(sealed);
        Ok(())
    }
}

impl<T> Session<T> {
    /// Signs out: the response deletes every cookie of the session, and the session is `None`
    /// from now on. A later [`set`](Self::set) in the same request starts a new session (a
    /// fresh session id). For sign-in use [`sign_in`](Self::sign_in), which rotates the id in
    /// one step and changes nothing when the new value does not fit. Unlike writes, `clear`
    /// also deletes cookies this node cannot read: signing out is the user's explicit request.
    ///
    /// # Example
    ///
    /// ```
    /// # use std::time::SystemTime;
    /// # use sealed_session::{Codec, Keyring, RequestCookies, Session};
    /// # let codec = Codec::<u8>::builder(Keyring::generate()?).build()?;
    /// let request = RequestCookies::from_header("__Host-session=x; __Host-session.1=y");
    /// let session = Session::from_cookies(&codec, &request, SystemTime::now());
    /// session.clear();
    /// assert_eq!(session.get(), None);
    /// assert_eq!(session.set_cookie_headers().len(), 2);
    /// # Ok::<(), sealed_session::Error>(())
    /// ```
    pub fn clear(&self) {
        let mut state = self.touch();
        let lines = state
            .codec
            .clear(&RequestCookies::from_header(&state.held_cookies()));
        state.value = None;
        state.metadata = None;
        state.write = Write::Cleared(lines);
        state.clears += 1;
        if let Some(stored) = state.stored.as_mut() {
            stored.cleared();
        }
    }
}

impl<T: Serialize> Session<T> {
    /// Signs in: replaces the session, in one step, with a **new** one (a fresh session id,
    /// issued now) holding `value`, with its own `lifetime` (persistent "remember me" or
    /// browser-session, capped by the codec's [`Expiry`](crate::Expiry)). The id seen before
    /// authentication is never the authenticated one, so a copy of the pre-login cookie does
    /// not carry the signed-in state.
    ///
    /// Atomic: on any error nothing changes, the request's session stays exactly as it was and
    /// the response carries no deletion. Fails with [`Error::TooLarge`] when `value` does not
    /// fit, with [`Error::OverwriteRefused`] over cookies this node cannot read (see the table
    /// on [`Session`]), and with [`Error::InvalidConfig`] for a lifetime out of range.
    ///
    /// # Example
    ///
    /// ```
    /// use std::time::SystemTime;
    /// use sealed_session::{Codec, Keyring, Lifetime, RequestCookies, Session};
    ///
    /// let codec = Codec::<String>::builder(Keyring::generate()?).build()?;
    /// let now = SystemTime::now();
    /// let visitor = Session::from_cookies(&codec, &RequestCookies::new(), now);
    /// visitor.set("anonymous cart".to_owned())?;
    /// let before = visitor.metadata().unwrap().session_id();
    /// visitor.sign_in("alice".to_owned(), &Lifetime::browser_session())?;
    /// assert_ne!(visitor.metadata().unwrap().session_id(), before);
    /// assert!(!visitor.set_cookie_headers()[0].contains("Max-Age"));
    /// # Ok::<(), sealed_session::Error>(())
    /// ```
    pub fn sign_in(&self, value: T, lifetime: &crate::Lifetime) -> Result<(), Error> {
        let mut state = self.touch();
        state.check_overwrite()?;
        let sealed = state.seal_session(&value, Some(lifetime))?;
        state.metadata = Some(sealed.metadata().clone());
        state.value = Some(value);
        state.write = Write::Sealed(sealed);
        Ok(())
    }

    /// Replaces the session with `value` and seals it now, so the response sends it.
    ///
    /// Keeps the session id, absolute deadline and lifetime of the request's session (a new
    /// session gets a fresh id and the codec's lifetime). Fails, changing nothing, with
    /// [`Error::TooLarge`] when the value does not fit the codec's cookie budget, with
    /// [`Error::OverwriteRefused`] when the request carries session cookies this node cannot
    /// read but another may (see the table on [`Session`]), or with the error `seal` gives.
    ///
    /// # Example
    ///
    /// ```
    /// # use std::time::SystemTime;
    /// # use sealed_session::{Codec, Error, Keyring, RequestCookies, Session};
    /// let codec = Codec::<Vec<u8>>::builder(Keyring::generate()?).build()?;
    /// let session = Session::from_cookies(&codec, &RequestCookies::new(), SystemTime::now());
    /// session.set(vec![1, 2, 3])?;
    /// let too_big = session.set(vec![7; 100_000]);
    /// assert!(matches!(too_big, Err(Error::TooLarge { .. })));
    /// assert_eq!(session.get(), Some(vec![1, 2, 3]));
    /// # Ok::<(), sealed_session::Error>(())
    /// ```
    pub fn set(&self, value: T) -> Result<(), Error> {
        self.touch().store(value)
    }

    /// Changes the session in place (starting from `T::default()` when there is none: see
    /// [`modify`](Self::modify) to change only an existing session) and seals it, like
    /// [`set`](Self::set); returns what `change` returns. On an error nothing changes; if
    /// another clone of this handle signs out ([`clear`](Self::clear)) while `change` runs, the
    /// update fails with [`Error::SessionCleared`] rather than bring the session back.
    ///
    /// # Example
    ///
    /// ```
    /// # use std::time::SystemTime;
    /// # use sealed_session::{Codec, Keyring, RequestCookies, Session};
    /// # let codec = Codec::<u32>::builder(Keyring::generate()?).build()?;
    /// let session = Session::from_cookies(&codec, &RequestCookies::new(), SystemTime::now());
    /// let visits = session.update(|n| {
    ///     *n += 1;
    ///     *n
    /// })?;
    /// assert_eq!(visits, 1);
    /// # Ok::<(), sealed_session::Error>(())
    /// ```
    pub fn update<R>(&self, change: impl FnOnce(&mut T) -> R) -> Result<R, Error>
    where
        T: Clone + Default,
    {
        let (mut value, clears) = {
            let state = self.touch();
            state.check_overwrite()?;
            (state.value.clone().unwrap_or_default(), state.clears)
        };
        // The lock is not held while user code runs.
        let result = change(&mut value);
        let mut state = self.lock();
        if state.clears != clears {
            // Signed out meanwhile (another clone of this handle): writing would bring the
            // session back under a fresh id.
            return Err(Error::SessionCleared);
        }
        state.store(value)?;
        Ok(result)
    }

    /// Changes the session in place **only if there is one**, and seals it; returns
    /// `Ok(None)`, writing nothing, when there is none. Unlike [`update`](Self::update) it never
    /// starts a session, so reading or consuming something (a flash message, a counter) does
    /// not create a session for every anonymous visitor.
    ///
    /// # Example
    ///
    /// ```
    /// # use std::time::SystemTime;
    /// # use sealed_session::{Codec, Keyring, RequestCookies, Session};
    /// # let codec = Codec::<u32>::builder(Keyring::generate()?).build()?;
    /// let session = Session::from_cookies(&codec, &RequestCookies::new(), SystemTime::now());
    /// assert_eq!(session.modify(|n| *n += 1)?, None);
    /// assert!(session.set_cookie_headers().is_empty());
    /// session.set(1)?;
    /// assert_eq!(session.modify(|n| { *n += 1; *n })?, Some(2));
    /// # Ok::<(), sealed_session::Error>(())
    /// ```
    pub fn modify<R>(&self, change: impl FnOnce(&mut T) -> R) -> Result<Option<R>, Error>
    where
        T: Clone,
    {
        let (mut value, clears) = {
            let state = self.touch();
            match &state.value {
                Some(value) => (value.clone(), state.clears),
                None => return Ok(None),
            }
        };
        let result = change(&mut value);
        let mut state = self.lock();
        if state.clears != clears {
            return Err(Error::SessionCleared);
        }
        state.store(value)?;
        Ok(Some(result))
    }
}
