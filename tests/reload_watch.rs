//! Issue 11 item 1, the `reload` feature's watch task in a real process: a tokio runtime,
//! real files swapped by rename and by the Kubernetes `..data` symlink swap, a refused file
//! (logged with key ids only, the keyring kept), and `SIGHUP` sent to this process re-reading
//! a file the poll would not look at for an hour. One test in its own binary: the signal goes
//! to the whole process.
#![cfg(all(feature = "reload", unix))]

mod common;

use std::io::Write;
use std::os::unix::fs::symlink;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use common::{at, b64_encode, key};
use sealed_session::reload::{KeyringFile, read_keyring_file};
use sealed_session::{Codec, Key, Keyring};

/// The log lines the watch task wrote (a `tracing` subscriber writing here).
#[derive(Clone, Default)]
struct Logs(Arc<Mutex<Vec<u8>>>);

impl Logs {
    fn text(&self) -> String {
        String::from_utf8_lossy(&self.0.lock().unwrap()).into_owned()
    }
}

impl Write for Logs {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

fn text(keys: impl IntoIterator<Item = Key>) -> String {
    format!("{}\n", &*Keyring::new(keys).unwrap().to_text())
}

fn ids(codec: &Codec<u32>) -> Vec<u32> {
    codec.keyring().keys().map(|k| k.id().get()).collect()
}

/// Waits (at most 10 s) until `done`, polling every 10 ms.
async fn until(what: &str, done: impl Fn() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(10);
    while !done() {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

fn write_rename(path: &Path, text: &str) {
    let tmp = path.with_extension("tmp");
    std::fs::write(&tmp, text).unwrap();
    std::fs::rename(&tmp, path).unwrap();
}

/// kubelet's update of a Secret volume (see the unit test of the same name in src/reload).
fn publish(dir: &Path, version: &str, keyring_text: &str) {
    std::fs::create_dir(dir.join(version)).unwrap();
    std::fs::write(dir.join(version).join("keyring"), keyring_text).unwrap();
    symlink(version, dir.join("..data_tmp")).unwrap();
    std::fs::rename(dir.join("..data_tmp"), dir.join("..data")).unwrap();
}

#[test]
fn the_watch_follows_renames_symlink_swaps_and_sighup_and_refuses_a_bad_file() {
    let logs = Logs::default();
    let writer = logs.clone();
    tracing_subscriber::fmt()
        .with_writer(move || writer.clone())
        .with_ansi(false)
        .init();
    let dir: PathBuf =
        std::env::temp_dir().join(format!("sealed-session-watch-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async {
        // 1. A plain file replaced by rename, polled every 20 ms.
        let plain = dir.join("keyring.txt");
        std::fs::write(&plain, text([key(1, 0x11)])).unwrap();
        let codec: Codec<u32> = Codec::builder(read_keyring_file(&plain).unwrap())
            .build()
            .unwrap();
        let clone = codec.clone();
        let watch = KeyringFile::new(&codec, &plain).spawn(Duration::from_millis(20));
        until("the watch to start", || {
            logs.text().contains("watching the keyring file")
        })
        .await;
        write_rename(
            &plain,
            &text([key(1, 0x11), key(2, 0x22).with_not_before(at(100))]),
        );
        until("the rename to be picked up", || ids(&clone) == [1, 2]).await;
        // Logged once the blocking read is back in the task, a moment after the swap.
        until("the reload to be logged", || {
            logs.text().contains("keyring reloaded")
        })
        .await;
        assert!(logs.text().contains("added=[00000002]"), "{}", logs.text());

        // 2. A file that drops the key that seals now: refused, logged once, keyring kept.
        let (leaky, secret) = common::distinct_key(0x77);
        write_rename(&plain, &text([leaky]));
        until("the refusal to be logged", || {
            logs.text().contains("refused")
        })
        .await;
        tokio::time::sleep(Duration::from_millis(200)).await; // ten more polls
        let log = logs.text();
        assert_eq!(log.matches("keyring file refused").count(), 1, "{log}");
        assert!(log.contains("00000001"), "{log}");
        assert!(!log.contains(&b64_encode(&secret)), "{log}");
        assert_eq!(ids(&codec), [1, 2]);
        watch.abort();

        // 3. A Kubernetes Secret volume: `keyring -> ..data/keyring`, `..data` swapped.
        let volume = dir.join("volume");
        std::fs::create_dir(&volume).unwrap();
        publish(
            &volume,
            "..v1",
            &text([key(1, 0x11), key(2, 0x22).with_not_before(at(100))]),
        );
        symlink("..data/keyring", volume.join("keyring")).unwrap();
        let mounted = volume.join("keyring");
        let watch = KeyringFile::new(&codec, &mounted).spawn(Duration::from_millis(20));
        publish(
            &volume,
            "..v2",
            &text([
                key(1, 0x11),
                key(2, 0x22).with_not_before(at(100)),
                key(3, 0x33).with_not_before(at(200)),
            ]),
        );
        std::fs::remove_dir_all(volume.join("..v1")).unwrap();
        until("the ..data swap to be picked up", || {
            ids(&codec) == [1, 2, 3]
        })
        .await;
        watch.abort();

        // 4. SIGHUP: a poll once an hour would not see this rewrite; the signal does.
        let started = logs.text().matches("watching the keyring file").count();
        let watch = KeyringFile::new(&codec, &mounted).spawn(Duration::from_secs(3600));
        until("the third watch to start", || {
            logs.text().matches("watching the keyring file").count() > started
        })
        .await;
        tokio::time::sleep(Duration::from_millis(100)).await; // past the first (immediate) tick
        publish(
            &volume,
            "..v3",
            &text([key(1, 0x11), key(2, 0x22).with_not_before(at(100))]),
        );
        std::fs::remove_dir_all(volume.join("..v2")).unwrap();
        tokio::time::sleep(Duration::from_millis(200)).await;
        assert_eq!(
            ids(&codec),
            [1, 2, 3],
            "nothing may reload before the signal"
        );
        let status = std::process::Command::new("kill")
            .args(["-HUP", &std::process::id().to_string()])
            .status()
            .unwrap();
        assert!(status.success());
        until("SIGHUP to reload", || ids(&codec) == [1, 2]).await;
        assert!(logs.text().contains("SIGHUP"), "{}", logs.text());
        watch.abort();
    });
    let _ = std::fs::remove_dir_all(&dir);
}
