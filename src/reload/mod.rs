//! Reloading a codec's keyring from a file that is replaced while the process runs (feature
//! `reload`): the crate's only file I/O, outside the no-I/O core.
//!
//! Secrets are delivered as files replaced in place: a Kubernetes Secret volume (kubelet writes
//! a new hidden directory and swaps the `..data` symlink to it, so the file's path resolves to
//! a new inode), Vault Agent and most tools (a new file renamed over the old), systemd
//! credentials, or an editor writing in place. [`KeyringFile`] notices each of them by
//! polling: every check looks at the metadata of the file the path resolves to now (following
//! every symlink: device, inode, size, modification and change times) and reads the file only
//! when that differs from the last file read. Peers that watch with inotify have each had to
//! learn that a watch on the file dies with the first `..data` swap (kubelet removes the old
//! directory; the watch sees `IN_DELETE_SELF` and then nothing) and moved to watching the
//! directory; a poll of the resolved path has no such state to lose, works the same on every
//! file system (overlay, NFS, tmpfs) and platform, and needs no dependency. Its cost is one
//! `stat` per interval; its latency, the interval (kubelet itself takes up to a minute or more
//! to project a changed Secret, and a rotation schedules its switch minutes ahead).
//! [`KeyringFile::reload`] re-reads at once whatever the metadata says, as on `SIGHUP`.
//!
//! A file that cannot be read, holds more than [`MAX_KEYRING_FILE_BYTES`], does not parse, or
//! holds a keyring that [`LiveKeyring::replace`](crate::LiveKeyring::replace) refuses (it would
//! drop the key that seals, or change a key's secret) is refused: the keyring in use stays. With
//! the `watch` task ([`KeyringFile::spawn`], on tokio) every outcome is logged through
//! `tracing`, with key ids only.

mod watch;

use std::fmt;
use std::fs::{File, Metadata};
use std::io::{self, Read};
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

use zeroize::Zeroizing;

use crate::{Codec, Error, KeyId, Keyring, LiveKeyring};

/// Most bytes of a keyring file read: the longest keyring text (16 keys with both dates, 1332
/// characters) with ample room for surrounding whitespace, the bound the CLI's
/// `--keyring-file` reads too. A longer file is refused without reading further.
pub const MAX_KEYRING_FILE_BYTES: usize = 4096;

/// Reads and parses a keyring file, reading at most [`MAX_KEYRING_FILE_BYTES`]: for start-up,
/// before the codec exists. The bytes read are wiped when dropped.
///
/// # Example
///
/// ```
/// use sealed_session::Keyring;
/// use sealed_session::reload::read_keyring_file;
///
/// let dir = std::env::temp_dir().join(format!("sealed-session-doc-{}", std::process::id()));
/// std::fs::create_dir_all(&dir)?;
/// let path = dir.join("keyring");
/// let ring = Keyring::generate()?;
/// std::fs::write(&path, format!("{}\n", &*ring.to_text()))?;
/// assert_eq!(read_keyring_file(&path)?, ring);
/// # std::fs::remove_dir_all(&dir)?;
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn read_keyring_file(path: &Path) -> Result<Keyring, ReloadError> {
    read(path)
        .map(|(keyring, _)| keyring)
        .map_err(|failed| failed.error)
}

/// What one check of the keyring file did.
///
/// # Example
///
/// ```
/// use sealed_session::reload::Reloaded;
/// let outcome = Reloaded::NotChanged;
/// assert!(!outcome.replaced());
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Reloaded {
    /// The path resolves to the same file, with the same metadata, as at the last read.
    NotChanged,
    /// The file changed but holds the keyring in use (compared in constant time): nothing to do.
    Same,
    /// The keyring was replaced.
    Replaced {
        /// The ids of the keys before.
        before: Vec<KeyId>,
        /// The ids of the keys now.
        after: Vec<KeyId>,
        /// The key that seals now under the new keyring.
        primary: Option<KeyId>,
    },
}

impl Reloaded {
    /// Whether the keyring was replaced.
    ///
    /// # Example
    ///
    /// ```
    /// use sealed_session::reload::Reloaded;
    /// assert!(!Reloaded::Same.replaced());
    /// ```
    pub fn replaced(&self) -> bool {
        matches!(self, Reloaded::Replaced { .. })
    }
}

/// Why a keyring file was not loaded. The keyring in use stays. No variant holds any of the
/// file's text or its path.
///
/// # Example
///
/// ```
/// use sealed_session::{Error, KeyId};
/// use sealed_session::reload::ReloadError;
///
/// let refused = ReloadError::Rejected(Error::SealingKeyDropped { key_id: KeyId::new(1) });
/// assert!(refused.to_string().contains("00000001"));
/// ```
#[derive(Debug)]
#[non_exhaustive]
pub enum ReloadError {
    /// The file could not be opened or read.
    Read(io::Error),
    /// The file holds more than `limit` bytes (nothing beyond was read).
    TooLarge {
        /// [`MAX_KEYRING_FILE_BYTES`].
        limit: usize,
    },
    /// The file's keyring does not parse ([`Error::InvalidKeyring`]), or replacing the keyring
    /// in use with it was refused ([`Error::SealingKeyDropped`], [`Error::KeySecretChanged`],
    /// [`Error::NoSealingKey`]).
    Rejected(Error),
}

impl fmt::Display for ReloadError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ReloadError::Read(e) => write!(f, "cannot read the keyring file: {e}"),
            ReloadError::TooLarge { limit } => write!(
                f,
                "the keyring file holds more than {limit} bytes, the most a keyring file may \
                 (is it the right file?)"
            ),
            ReloadError::Rejected(e) => write!(f, "keyring file refused: {e}"),
        }
    }
}

impl std::error::Error for ReloadError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            ReloadError::Read(e) => Some(e),
            ReloadError::Rejected(e) => Some(e),
            ReloadError::TooLarge { .. } => None,
        }
    }
}

/// A keyring file and the live keyring it feeds: [`check`](Self::check) reloads when the file
/// changed, [`reload`](Self::reload) at once, [`spawn`](Self::spawn) runs both for good (a poll
/// and `SIGHUP`) on tokio.
///
/// # Example
///
/// ```
/// use std::time::{Duration, SystemTime};
/// use sealed_session::{Codec, Key, KeyId, Keyring};
/// use sealed_session::reload::{KeyringFile, Reloaded, read_keyring_file};
///
/// let dir = std::env::temp_dir().join(format!("sealed-session-doc-kf-{}", std::process::id()));
/// std::fs::create_dir_all(&dir)?;
/// let path = dir.join("keyring");
/// let now = SystemTime::UNIX_EPOCH + Duration::from_secs(1_800_000_000);
/// let old = Key::new(KeyId::new(1), [1; 32]);
/// std::fs::write(&path, &*Keyring::new([old.clone()])?.to_text())?;
///
/// let codec = Codec::<u32>::builder(read_keyring_file(&path)?).build()?;
/// let mut file = KeyringFile::new(&codec, &path);
/// assert_eq!(file.check(now)?, Reloaded::NotChanged);
///
/// // The operator adds key 2, sealing from an hour on, written whole and renamed over.
/// let new = Key::new(KeyId::new(2), [2; 32]).with_not_before(now + Duration::from_secs(3600));
/// std::fs::write(dir.join("next"), &*Keyring::new([old, new])?.to_text())?;
/// std::fs::rename(dir.join("next"), &path)?;
/// assert!(file.check(now)?.replaced());
/// assert_eq!(codec.keyring().keys().count(), 2);
/// # std::fs::remove_dir_all(&dir)?;
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug)]
pub struct KeyringFile {
    path: PathBuf,
    live: LiveKeyring,
    skew: Duration,
    /// The metadata of the file last read (whatever came of it), so a file that was refused is
    /// not read, refused and logged again on every poll.
    seen: Option<Fingerprint>,
}

impl KeyringFile {
    /// The keyring file at `path` (symlinks followed on every check) feeding `codec`'s live
    /// keyring, checked against `codec`'s clock-skew allowance. The file's metadata now counts
    /// as read: build the codec from [`read_keyring_file`] of the same path just before.
    ///
    /// # Example
    ///
    /// ```
    /// use sealed_session::{Codec, Keyring};
    /// use sealed_session::reload::KeyringFile;
    /// let codec = Codec::<u32>::builder(Keyring::generate()?).build()?;
    /// let file = KeyringFile::new(&codec, "/run/secrets/sealed-session/keyring");
    /// assert_eq!(file.path().file_name().unwrap(), "keyring");
    /// # Ok::<(), sealed_session::Error>(())
    /// ```
    pub fn new<T>(codec: &Codec<T>, path: impl AsRef<Path>) -> Self {
        let path = path.as_ref().to_path_buf();
        let seen = std::fs::metadata(&path).ok().map(|m| Fingerprint::of(&m));
        KeyringFile {
            path,
            live: codec.live_keyring().clone(),
            skew: codec.expiry().skew(),
            seen,
        }
    }

    /// The path watched.
    ///
    /// # Example
    ///
    /// ```
    /// # use sealed_session::{Codec, Keyring};
    /// # use sealed_session::reload::KeyringFile;
    /// # let codec = Codec::<u32>::builder(Keyring::generate()?).build()?;
    /// let file = KeyringFile::new(&codec, "keyring.txt");
    /// assert_eq!(file.path(), std::path::Path::new("keyring.txt"));
    /// # Ok::<(), sealed_session::Error>(())
    /// ```
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Reloads if the file the path resolves to differs (device, inode, size, modification or
    /// change time) from the one last read; otherwise [`Reloaded::NotChanged`] after one
    /// `stat`. `now` decides which key seals (the replacement rules of
    /// [`LiveKeyring::replace`]).
    ///
    /// # Example
    ///
    /// ```
    /// # use std::time::SystemTime;
    /// # use sealed_session::{Codec, Keyring};
    /// # use sealed_session::reload::{KeyringFile, ReloadError};
    /// # let codec = Codec::<u32>::builder(Keyring::generate()?).build()?;
    /// let mut file = KeyringFile::new(&codec, "/nonexistent/keyring");
    /// assert!(matches!(file.check(SystemTime::now()), Err(ReloadError::Read(_))));
    /// # Ok::<(), sealed_session::Error>(())
    /// ```
    pub fn check(&mut self, now: SystemTime) -> Result<Reloaded, ReloadError> {
        let current = std::fs::metadata(&self.path).map_err(ReloadError::Read)?;
        if self.seen == Some(Fingerprint::of(&current)) {
            return Ok(Reloaded::NotChanged);
        }
        self.reload(now)
    }

    /// Reads the file and replaces the keyring if it holds another one that may replace it, at
    /// once, whatever its metadata (`SIGHUP`; a file system whose times are too coarse to show
    /// an in-place rewrite).
    ///
    /// # Example
    ///
    /// ```
    /// # use std::time::SystemTime;
    /// # use sealed_session::{Codec, Keyring};
    /// # use sealed_session::reload::{KeyringFile, Reloaded};
    /// let ring = Keyring::generate()?;
    /// let path = std::env::temp_dir().join(format!("sealed-session-doc-rl-{}", std::process::id()));
    /// std::fs::write(&path, &*ring.to_text())?;
    /// let codec = Codec::<u32>::builder(ring).build()?;
    /// let mut file = KeyringFile::new(&codec, &path);
    /// assert_eq!(file.reload(SystemTime::now())?, Reloaded::Same);
    /// # std::fs::remove_file(&path)?;
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn reload(&mut self, now: SystemTime) -> Result<Reloaded, ReloadError> {
        let (keyring, seen) = match read(&self.path) {
            Ok(read) => read,
            Err(Failed { error, seen }) => {
                self.seen = seen;
                return Err(error);
            }
        };
        self.seen = Some(seen);
        let before = self.live.load();
        if *before == keyring {
            return Ok(Reloaded::Same);
        }
        let after = key_ids(&keyring);
        let primary = keyring.primary(now).map(|k| k.id());
        self.live
            .replace(keyring, now, self.skew)
            .map_err(ReloadError::Rejected)?;
        Ok(Reloaded::Replaced {
            before: key_ids(&before),
            after,
            primary,
        })
    }

    /// The ids of the keys in use, for messages.
    fn in_use(&self) -> Vec<KeyId> {
        key_ids(&self.live.load())
    }
}

fn key_ids(keyring: &Keyring) -> Vec<KeyId> {
    keyring.keys().map(|k| k.id()).collect()
}

/// What identifies one version of the file the path resolves to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Fingerprint {
    device: u64,
    inode: u64,
    len: u64,
    modified: Option<SystemTime>,
    changed: (i64, i64),
}

impl Fingerprint {
    #[cfg(unix)]
    fn of(m: &Metadata) -> Self {
        use std::os::unix::fs::MetadataExt;
        Fingerprint {
            device: m.dev(),
            inode: m.ino(),
            len: m.len(),
            modified: m.modified().ok(),
            changed: (m.ctime(), m.ctime_nsec()),
        }
    }

    #[cfg(not(unix))]
    fn of(m: &Metadata) -> Self {
        Fingerprint {
            device: 0,
            inode: 0,
            len: m.len(),
            modified: m.modified().ok(),
            changed: (0, 0),
        }
    }
}

/// A failed read, with the metadata of the file it read when it got that far.
struct Failed {
    error: ReloadError,
    seen: Option<Fingerprint>,
}

/// Opens the file once and takes its metadata from the open file, so the metadata recorded is
/// that of the bytes read, even if the path is swapped meanwhile.
fn read(path: &Path) -> Result<(Keyring, Fingerprint), Failed> {
    let failed = |error, seen| Failed { error, seen };
    let file = File::open(path).map_err(|e| failed(ReloadError::Read(e), None))?;
    let seen = file
        .metadata()
        .map(|m| Fingerprint::of(&m))
        .map_err(|e| failed(ReloadError::Read(e), None))?;
    // Room for one byte more than allowed, so the buffer never grows (no stray copies).
    let mut bytes = Zeroizing::new(Vec::with_capacity(MAX_KEYRING_FILE_BYTES + 1));
    file.take(MAX_KEYRING_FILE_BYTES as u64 + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| failed(ReloadError::Read(e), Some(seen)))?;
    if bytes.len() > MAX_KEYRING_FILE_BYTES {
        let limit = MAX_KEYRING_FILE_BYTES;
        return Err(failed(ReloadError::TooLarge { limit }, Some(seen)));
    }
    let text = std::str::from_utf8(&bytes).map_err(|_| {
        let reason = "the keyring file is not UTF-8 text";
        failed(
            ReloadError::Rejected(Error::InvalidKeyring { entry: 0, reason }),
            Some(seen),
        )
    })?;
    let keyring =
        Keyring::from_text(text).map_err(|e| failed(ReloadError::Rejected(e), Some(seen)))?;
    Ok((keyring, seen))
}

#[cfg(test)]
mod tests;
