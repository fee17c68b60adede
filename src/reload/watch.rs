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

/// Tests that kill mutants the rest of the suite lets live (MUTANTS.md): what `log` writes, read
/// back from a captured subscriber. tests/reload_watch.rs waits for a few of these lines but
/// does not read their fields.
#[cfg(test)]
mod mutant_kills {
    use std::io;
    use std::path::Path;
    use std::sync::{Arc, Mutex};

    use super::*;
    use crate::{Codec, Error, Key, Keyring};

    #[derive(Clone, Default)]
    struct Capture(Arc<Mutex<Vec<u8>>>);

    impl io::Write for Capture {
        fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
            self.0.lock().unwrap().extend_from_slice(buf);
            Ok(buf.len())
        }
        fn flush(&mut self) -> io::Result<()> {
            Ok(())
        }
    }

    /// The lines `run` logs, one per event.
    fn logged(run: impl FnOnce()) -> Vec<String> {
        let capture = Capture::default();
        let writer = capture.clone();
        let subscriber = tracing_subscriber::fmt()
            .with_writer(move || writer.clone())
            .with_ansi(false)
            .with_max_level(tracing::Level::DEBUG)
            .finish();
        tracing::subscriber::with_default(subscriber, run);
        let text = String::from_utf8(capture.0.lock().unwrap().clone()).unwrap();
        text.lines().map(str::to_owned).collect()
    }

    /// A watch of a file that does not exist, over a codec whose keyring holds key 1.
    fn file() -> KeyringFile {
        let keyring = Keyring::new([Key::new(KeyId::new(1), [0x11; 32])]).unwrap();
        let codec = Codec::<u32>::builder(keyring).build().unwrap();
        KeyringFile::new(&codec, Path::new("/nonexistent/sealed-session/keyring"))
    }

    fn refused() -> ReloadError {
        ReloadError::Rejected(Error::NoSealingKey)
    }

    /// Kills `delete !` at lines 117 and 122 (added and removed computed from the wrong side)
    /// and `ids -> String` replaced with `String::new()` and with `"xyzzy".into()` (line 157).
    #[test]
    fn a_replacement_logs_the_keys_added_and_removed() {
        let (one, two, three) = (KeyId::new(1), KeyId::new(2), KeyId::new(3));
        let replaced = Reloaded::Replaced {
            before: vec![one, two],
            after: vec![two, three],
            primary: Some(three),
        };
        let lines = logged(|| log(&file(), Ok(replaced), false, &mut None));
        assert_eq!(lines.len(), 1, "{lines:?}");
        assert!(
            lines[0].contains(
                "keys=[00000002,00000003] primary=00000003 added=[00000003] removed=[00000001]"
            ),
            "{lines:?}"
        );
    }

    /// Kills `delete !` at line 135 and `&&` to `||` at line 135 (a failure logged again, or a
    /// forced one not), `==` to `!=` at line 135, and `KeyringFile::in_use -> Vec<KeyId>`
    /// replaced with `vec![]` and `vec![Default::default()]` (src/reload/mod.rs:312): the keys
    /// in use are in the line.
    #[test]
    fn a_failure_is_logged_once_until_it_changes_or_is_forced() {
        let file = file();
        let mut last = None;
        let lines = logged(|| {
            log(&file, Err(refused()), false, &mut last);
            log(&file, Err(refused()), false, &mut last);
            log(
                &file,
                Err(ReloadError::TooLarge { limit: 9 }),
                false,
                &mut last,
            );
            log(
                &file,
                Err(ReloadError::TooLarge { limit: 9 }),
                true,
                &mut last,
            );
        });
        assert_eq!(lines.len(), 3, "{lines:?}");
        assert!(lines[0].contains("keys_in_use=[00000001]"), "{lines:?}");
        assert!(lines[1].contains("more than 9 bytes"), "{lines:?}");
        assert!(lines[2].contains("more than 9 bytes"), "{lines:?}");
    }

    /// Kills deleting the match arm `ReloadError::Rejected(why)` (line 140): a refused file is
    /// an error with the refusal, an unreadable one a warning.
    #[test]
    fn a_refused_file_is_an_error_and_an_unreadable_one_a_warning() {
        let lines = logged(|| {
            log(&file(), Err(refused()), false, &mut None);
            let gone = io::Error::new(io::ErrorKind::NotFound, "gone");
            log(&file(), Err(ReloadError::Read(gone)), false, &mut None);
        });
        assert_eq!(lines.len(), 2, "{lines:?}");
        assert!(lines[0].contains("ERROR"), "{lines:?}");
        assert!(
            lines[0].contains("keyring file refused; the keyring in use stays"),
            "{lines:?}"
        );
        assert!(lines[1].contains("WARN"), "{lines:?}");
        assert!(lines[1].contains("keyring file not read"), "{lines:?}");
    }
}
