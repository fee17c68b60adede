//! The watch task: a poll every interval and a re-read on `SIGHUP`, on tokio (what the axum and
//! actix adapters' users run), each outcome logged through `tracing` with key ids only.
//!
//! `tracing` rather than `log`: the adapters' users run tokio and axum, whose own diagnostics
//! are `tracing` events, so these land in the subscriber the app already has (and `tracing`
//! forwards to `log` for apps that use that instead, with its `log` feature).

use std::time::{Duration, SystemTime};

use super::{KeyringFile, ReloadError, Reloaded};
use crate::KeyId;

impl KeyringFile {
    /// Spawns a tokio task that calls [`check`](Self::check) every `every` and
    /// [`reload`](Self::reload) on each `SIGHUP` (on Unix; registering for it replaces the
    /// default action, which would end the process), each on a blocking thread (`stat` and
    /// `read` block), and logs what happened through `tracing`: a replacement at `info` (the
    /// key ids before and after, the primary), a refused file at `error` (why, and the key ids
    /// in use, which stay), a file that cannot be read at `warn`, once per distinct failure.
    /// It runs until the runtime stops or the handle is aborted. Needs a tokio runtime with
    /// the `time` driver enabled (`#[tokio::main]` enables it).
    ///
    /// # Example
    ///
    /// ```
    /// use std::time::Duration;
    /// use sealed_session::{Codec, Keyring};
    /// use sealed_session::reload::{KeyringFile, read_keyring_file};
    ///
    /// # let dir = std::env::temp_dir().join(format!("sealed-session-doc-sp-{}", std::process::id()));
    /// # std::fs::create_dir_all(&dir)?;
    /// # let path = dir.join("keyring");
    /// # std::fs::write(&path, &*Keyring::generate()?.to_text())?;
    /// # let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build()?;
    /// # runtime.block_on(async {
    /// // At start-up: the keyring from the file, then a watch on it.
    /// let codec = Codec::<u32>::builder(read_keyring_file(&path)?).build()?;
    /// let watch = KeyringFile::new(&codec, &path).spawn(Duration::from_secs(2));
    /// // ... serve with `codec`; every clone follows the file ...
    /// # watch.abort();
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// # })?;
    /// # std::fs::remove_dir_all(&dir)?;
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn spawn(self, every: Duration) -> tokio::task::JoinHandle<()> {
        tokio::spawn(watch(self, every))
    }
}

async fn watch(mut file: KeyringFile, every: Duration) {
    let mut hangups = hangups();
    let mut tick = tokio::time::interval(every.max(Duration::from_millis(10)));
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    // The first tick is at once: the file counts as read at `KeyringFile::new`, so it is a
    // `stat` that finds nothing new unless the file changed since.
    let mut last_failure: Option<String> = None;
    tracing::info!(
        interval_ms = every.as_millis() as u64,
        keys = %ids(&file.in_use()),
        "sealed-session: watching the keyring file (and SIGHUP)"
    );
    loop {
        let forced = tokio::select! {
            _ = tick.tick() => false,
            () = next_hangup(&mut hangups) => true,
        };
        if forced {
            tracing::info!("sealed-session: SIGHUP: reading the keyring file");
        }
        let done = tokio::task::spawn_blocking(move || {
            let now = SystemTime::now();
            let outcome = match forced {
                true => file.reload(now),
                false => file.check(now),
            };
            (file, outcome)
        })
        .await;
        let (returned, outcome) = match done {
            Ok(done) => done,
            Err(e) => {
                // The blocking task panicked or the runtime is shutting down: nothing to
                // continue with (the keyring in use stays).
                tracing::error!(error = %e, "sealed-session: the keyring watch stopped");
                return;
            }
        };
        file = returned;
        log(&file, outcome, forced, &mut last_failure);
    }
}

fn log(
    file: &KeyringFile,
    outcome: Result<Reloaded, ReloadError>,
    forced: bool,
    last_failure: &mut Option<String>,
) {
    match outcome {
        Ok(Reloaded::NotChanged) => {}
        Ok(Reloaded::Same) => {
            *last_failure = None;
            tracing::debug!("sealed-session: keyring file rewritten with the keyring in use");
            if forced {
                tracing::info!(keys = %ids(&file.in_use()), "sealed-session: keyring unchanged");
            }
        }
        Ok(Reloaded::Replaced {
            before,
            after,
            primary,
        }) => {
            *last_failure = None;
            let added: Vec<KeyId> = after
                .iter()
                .filter(|k| !before.contains(k))
                .copied()
                .collect();
            let removed: Vec<KeyId> = before
                .iter()
                .filter(|k| !after.contains(k))
                .copied()
                .collect();
            tracing::info!(
                keys = %ids(&after),
                primary = %primary.map_or_else(|| "none".to_owned(), |k| k.to_string()),
                added = %ids(&added),
                removed = %ids(&removed),
                "sealed-session: keyring reloaded"
            );
        }
        Err(error) => {
            let message = error.to_string();
            if !forced && last_failure.as_deref() == Some(message.as_str()) {
                return;
            }
            let in_use = ids(&file.in_use());
            match &error {
                ReloadError::Rejected(why) => tracing::error!(
                    error = %why,
                    keys_in_use = %in_use,
                    "sealed-session: keyring file refused; the keyring in use stays"
                ),
                _ => tracing::warn!(
                    error = %message,
                    keys_in_use = %in_use,
                    "sealed-session: keyring file not read; the keyring in use stays"
                ),
            }
            *last_failure = Some(message);
        }
    }
}

fn ids(ids: &[KeyId]) -> String {
    let text: Vec<String> = ids.iter().map(KeyId::to_string).collect();
    format!("[{}]", text.join(","))
}

#[cfg(unix)]
type Hangups = Option<tokio::signal::unix::Signal>;
#[cfg(not(unix))]
type Hangups = ();

#[cfg(unix)]
fn hangups() -> Hangups {
    use tokio::signal::unix::{SignalKind, signal};
    match signal(SignalKind::hangup()) {
        Ok(signal) => Some(signal),
        Err(e) => {
            tracing::warn!(error = %e, "sealed-session: cannot listen for SIGHUP; polling only");
            None
        }
    }
}

#[cfg(not(unix))]
fn hangups() -> Hangups {}

/// The next `SIGHUP`; never, where there is none.
#[cfg(unix)]
async fn next_hangup(hangups: &mut Hangups) {
    if let Some(signal) = hangups {
        if signal.recv().await.is_some() {
            return;
        }
        // No more signals will come (the driver is gone): stop asking.
        *hangups = None;
    }
    std::future::pending().await
}

#[cfg(not(unix))]
async fn next_hangup(_: &mut Hangups) {
    std::future::pending().await
}
