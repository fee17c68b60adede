//! The file side of a reload: what a check notices (write-rename, the Kubernetes `..data`
//! symlink swap, an in-place rewrite), what it reads (bounded), and that every failure keeps
//! the keyring in use and is not re-read until the file changes.

use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

use super::*;
use crate::{Key, KeyId};

fn t0() -> SystemTime {
    SystemTime::UNIX_EPOCH + Duration::from_secs(1_800_000_000)
}

fn at(secs: u64) -> SystemTime {
    t0() + Duration::from_secs(secs)
}

fn key(id: u32, fill: u8) -> Key {
    Key::new(KeyId::new(id), [fill; 32])
}

fn ring(keys: impl IntoIterator<Item = Key>) -> Keyring {
    Keyring::new(keys).unwrap()
}

/// A fresh directory under the system's temp dir, removed on drop.
struct Dir(PathBuf);

impl Dir {
    fn new(name: &str) -> Dir {
        let dir = std::env::temp_dir().join(format!(
            "sealed-session-reload-{name}-{}",
            std::process::id()
        ));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        Dir(dir)
    }

    fn join(&self, name: &str) -> PathBuf {
        self.0.join(name)
    }
}

impl Drop for Dir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// Writes a new file and renames it over `path`, as Vault Agent and the CLI's `--overwrite` do.
fn write_rename(path: &Path, text: impl AsRef<[u8]>) {
    let tmp = path.with_extension("tmp");
    std::fs::write(&tmp, text).unwrap();
    std::fs::rename(&tmp, path).unwrap();
}

fn codec_on(path: &Path) -> Codec<u32> {
    Codec::builder(read_keyring_file(path).unwrap())
        .build()
        .unwrap()
}

fn ids(codec: &Codec<u32>) -> Vec<u32> {
    codec.keyring().keys().map(|k| k.id().get()).collect()
}

fn text(keys: impl IntoIterator<Item = Key>) -> String {
    format!("{}\n", &*ring(keys).to_text())
}

#[test]
fn write_rename_is_noticed_and_an_unchanged_file_is_not_read() {
    let dir = Dir::new("rename");
    let path = dir.join("keyring");
    std::fs::write(&path, text([key(1, 1)])).unwrap();
    let codec = codec_on(&path);
    let mut file = KeyringFile::new(&codec, &path);
    assert_eq!(file.check(t0()).unwrap(), Reloaded::NotChanged);

    write_rename(&path, text([key(1, 1), key(2, 2).with_not_before(at(100))]));
    match file.check(t0()).unwrap() {
        Reloaded::Replaced {
            before,
            after,
            primary,
        } => {
            assert_eq!(before, [KeyId::new(1)]);
            assert_eq!(after, [KeyId::new(1), KeyId::new(2)]);
            assert_eq!(primary, Some(KeyId::new(1)));
        }
        other => panic!("expected a replacement, got {other:?}"),
    }
    assert_eq!(ids(&codec), [1, 2]);
    assert_eq!(file.check(t0()).unwrap(), Reloaded::NotChanged);

    // The same keyring written again (a new inode, the same text): read, nothing to do.
    write_rename(&path, text([key(1, 1), key(2, 2).with_not_before(at(100))]));
    assert_eq!(file.check(t0()).unwrap(), Reloaded::Same);
}

/// What kubelet does for a Secret volume: the file is `keyring -> ..data/keyring`, `..data`
/// a symlink to a timestamped directory; an update writes a new directory, points a new
/// symlink at it and renames that over `..data`, then removes the old directory.
#[cfg(unix)]
#[test]
fn the_kubernetes_data_symlink_swap_is_noticed() {
    use std::os::unix::fs::symlink;
    let dir = Dir::new("k8s");
    let publish = |version: &str, keyring_text: &str| {
        std::fs::create_dir(dir.join(version)).unwrap();
        std::fs::write(dir.join(version).join("keyring"), keyring_text).unwrap();
        symlink(version, dir.join("..data_tmp")).unwrap();
        std::fs::rename(dir.join("..data_tmp"), dir.join("..data")).unwrap();
    };
    publish("..2026_12_02_01", &text([key(1, 1)]));
    symlink("..data/keyring", dir.join("keyring")).unwrap();
    let path = dir.join("keyring");
    let codec = codec_on(&path);
    let mut file = KeyringFile::new(&codec, &path);
    assert_eq!(file.check(t0()).unwrap(), Reloaded::NotChanged);

    publish(
        "..2026_12_02_02",
        &text([key(1, 1), key(2, 2).with_not_before(at(100))]),
    );
    std::fs::remove_dir_all(dir.join("..2026_12_02_01")).unwrap();
    assert!(file.check(t0()).unwrap().replaced());
    assert_eq!(ids(&codec), [1, 2]);
    assert_eq!(file.check(t0()).unwrap(), Reloaded::NotChanged);

    // A second swap: nothing in the check depends on the first one's directory.
    publish(
        "..2026_12_02_03",
        &text([key(2, 2).with_not_before(at(100))]),
    );
    std::fs::remove_dir_all(dir.join("..2026_12_02_02")).unwrap();
    assert!(file.check(at(1000)).unwrap().replaced());
    assert_eq!(ids(&codec), [2]);
}

#[test]
fn an_in_place_rewrite_is_noticed() {
    let dir = Dir::new("inplace");
    let path = dir.join("keyring");
    std::fs::write(&path, text([key(1, 1)])).unwrap();
    let codec = codec_on(&path);
    let mut file = KeyringFile::new(&codec, &path);
    // Another size, the same inode.
    std::fs::write(&path, text([key(1, 1), key(3, 3).with_not_before(at(50))])).unwrap();
    assert!(file.check(t0()).unwrap().replaced());
    assert_eq!(ids(&codec), [1, 3]);
}

#[test]
fn a_refused_file_keeps_the_keyring_and_is_not_reread_until_it_changes() {
    let dir = Dir::new("refused");
    let path = dir.join("keyring");
    std::fs::write(&path, text([key(1, 1)])).unwrap();
    let codec = codec_on(&path);
    let mut file = KeyringFile::new(&codec, &path);

    // Drops the sealing key.
    write_rename(&path, text([key(2, 2)]));
    match file.check(t0()) {
        Err(ReloadError::Rejected(Error::SealingKeyDropped { key_id })) => {
            assert_eq!(key_id, KeyId::new(1))
        }
        other => panic!("expected a refusal, got {other:?}"),
    }
    assert_eq!(ids(&codec), [1]);
    assert_eq!(file.check(t0()).unwrap(), Reloaded::NotChanged);
    // reload (SIGHUP) reads it again, and refuses it again.
    assert!(matches!(file.reload(t0()), Err(ReloadError::Rejected(_))));

    // Does not parse: refused without echoing the text.
    write_rename(&path, "ssk1,00000001.not-a-secret-but-who-knows");
    let err = file.check(t0()).unwrap_err();
    assert!(
        matches!(err, ReloadError::Rejected(Error::InvalidKeyring { .. })),
        "{err:?}"
    );
    assert!(!format!("{err} {err:?}").contains("who-knows"));
    assert_eq!(ids(&codec), [1]);

    // Not UTF-8.
    write_rename(&path, [0xff, 0xfe, 0x00]);
    assert!(matches!(file.check(t0()), Err(ReloadError::Rejected(_))));

    // Gone (mid-swap, or a wrong path): a read error, the keyring stays.
    std::fs::remove_file(&path).unwrap();
    assert!(matches!(file.check(t0()), Err(ReloadError::Read(_))));
    assert_eq!(ids(&codec), [1]);

    // A good file again: taken.
    write_rename(&path, text([key(1, 1), key(2, 2).with_not_before(at(100))]));
    assert!(file.check(t0()).unwrap().replaced());
}

#[test]
fn a_changed_secret_is_refused() {
    let dir = Dir::new("secret");
    let path = dir.join("keyring");
    std::fs::write(&path, text([key(1, 1)])).unwrap();
    let codec = codec_on(&path);
    let mut file = KeyringFile::new(&codec, &path);
    write_rename(&path, text([key(1, 9)]));
    assert!(matches!(
        file.check(t0()),
        Err(ReloadError::Rejected(Error::KeySecretChanged { .. }))
    ));
}

#[test]
fn reads_are_bounded() {
    let dir = Dir::new("bounded");
    let path = dir.join("keyring");
    std::fs::write(&path, text([key(1, 1)])).unwrap();
    let codec = codec_on(&path);
    let mut file = KeyringFile::new(&codec, &path);
    // The longest keyring (16 keys with both dates) with whitespace around fits ...
    let longest: Vec<Key> = (1..=16u32)
        .map(|i| {
            key(i, i as u8)
                .with_not_before(at(u64::from(i)))
                .with_not_after(SystemTime::UNIX_EPOCH + Duration::from_secs(253_402_300_000))
        })
        .collect();
    let longest = format!("\n  {}  \n", &*ring(longest).to_text());
    assert!(longest.len() < MAX_KEYRING_FILE_BYTES);
    std::fs::write(dir.join("longest"), &longest).unwrap();
    assert_eq!(
        read_keyring_file(&dir.join("longest"))
            .unwrap()
            .keys()
            .count(),
        16
    );
    // ... one byte past the bound does not.
    write_rename(&path, " ".repeat(MAX_KEYRING_FILE_BYTES + 1));
    assert!(matches!(
        file.check(t0()),
        Err(ReloadError::TooLarge { limit: 4096 })
    ));
    // An endless file stops at the bound.
    #[cfg(target_os = "linux")]
    assert!(matches!(
        read_keyring_file(Path::new("/dev/zero")),
        Err(ReloadError::TooLarge { .. })
    ));
    assert_eq!(ids(&codec), [1]);
}
