//! Output: standard output, the `--out` file for text that holds key bytes, and times.
//!
//! `--out PATH` creates PATH with mode 0600 (`O_CREAT | O_EXCL`: an existing PATH, or a
//! symbolic link there, is refused) and writes the text whole; if the write fails, the file is
//! removed. With `--overwrite`, an existing regular file is replaced whole: the text goes to a
//! new file in the same directory, which is synced and renamed over PATH, so PATH holds either
//! the old text or the new one. The new file's mode is the old one's masked to 0600 (never
//! wider: a group- or world-readable file is narrowed, with a note). A symbolic link or
//! anything but a regular file at PATH is refused.
//!
//! `--force` never replaces a file: the keyring commands use it for changes that break
//! sessions, and a habit of typing it to replace a file must not also let those through.

use std::fmt;
use std::fs::{self, File, OpenOptions};
use std::io::{self, Write};
use std::os::fd::AsFd;
use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use zeroize::Zeroizing;

use crate::args::{Failure, Outcome, Parsed, input};

/// Text that may hold key bytes, in a wiped buffer sized once: a write past its capacity fails
/// instead of moving the text to a bigger block, which would leave a copy in the freed one.
pub struct SizedOnce(Zeroizing<String>);

impl SizedOnce {
    /// An empty buffer of `capacity` bytes.
    pub fn with_capacity(capacity: usize) -> Self {
        SizedOnce(Zeroizing::new(String::with_capacity(capacity)))
    }

    /// The text.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Drops the spaces at the end.
    pub fn trim_end_spaces(&mut self) {
        let len = self.0.trim_end_matches(' ').len();
        self.0.truncate(len);
    }
}

impl fmt::Write for SizedOnce {
    fn write_str(&mut self, s: &str) -> fmt::Result {
        if self.0.len() + s.len() > self.0.capacity() {
            return Err(fmt::Error);
        }
        self.0.push_str(s);
        Ok(())
    }
}

/// Writes `text` to standard output.
pub fn print(text: &str) -> Outcome {
    let mut out = io::stdout().lock();
    out.write_all(text.as_bytes())
        .and_then(|()| out.flush())
        .map_err(|e| input(format!("cannot write to standard output: {e}")))
}

/// Writes `text`, which holds key bytes when `secret`, to the `--out` file or standard output.
/// `what` names it in the note on standard error ("the new keyring").
pub fn emit(parsed: &Parsed, text: &str, what: &str, secret: bool) -> Outcome {
    match parsed.option("--out") {
        Some(path) => {
            let mode = write_out(Path::new(path), text, parsed.switch("--overwrite"))?;
            eprintln!("wrote {what} to the --out file (mode {mode:04o})");
            Ok(())
        }
        None => {
            if secret && let Some(mode) = stdout_file_mode().filter(|m| m & 0o077 != 0) {
                eprintln!(
                    "warning: standard output is a file others may read (mode {mode:04o}) and \
                     now holds key bytes: chmod 600 it, or write with --out PATH (mode 0600)"
                );
            }
            print(text)
        }
    }
}

/// The permission bits of standard output when it is a regular file.
fn stdout_file_mode() -> Option<u32> {
    let fd = io::stdout().as_fd().try_clone_to_owned().ok()?;
    let meta = File::from(fd).metadata().ok()?;
    meta.is_file().then(|| meta.permissions().mode() & 0o7777)
}

/// Writes `text` to `path` as the module documentation says; returns the file's mode.
fn write_out(path: &Path, text: &str, overwrite: bool) -> Result<u32, Failure> {
    let existing = match fs::symlink_metadata(path) {
        Ok(meta) => Some(meta),
        Err(e) if e.kind() == io::ErrorKind::NotFound => None,
        Err(e) => return Err(input(format!("cannot write the --out file: {e}"))),
    };
    let Some(meta) = existing else {
        return write_new(path, text);
    };
    if meta.file_type().is_symlink() {
        return Err(input(
            "--out names a symbolic link: give the path of the file itself",
        ));
    }
    if !meta.is_file() {
        return Err(input("--out names something that is not a regular file"));
    }
    if !overwrite {
        return Err(input(
            "the --out file exists: pass --overwrite to replace it (or choose a new path)",
        ));
    }
    let old = meta.permissions().mode() & 0o7777;
    let mode = old & 0o600;
    replace(path, text, mode)?;
    if mode != old & 0o777 {
        eprintln!(
            "note: the --out file was mode {old:04o}; its replacement is mode {mode:04o} (it \
             holds key bytes; grant access again on purpose if a service needs it)"
        );
    }
    Ok(mode)
}

/// Creates `path` (mode 0600, or less under the umask) and writes `text` whole; removes it if
/// the write fails. Returns the mode it got.
fn write_new(path: &Path, text: &str) -> Result<u32, Failure> {
    let mut file = OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)
        .map_err(|e| input(format!("cannot create the --out file: {e}")))?;
    let written = file
        .write_all(text.as_bytes())
        .and_then(|()| file.sync_all())
        .and_then(|()| file.metadata());
    match written {
        Ok(meta) => Ok(meta.permissions().mode() & 0o7777),
        Err(e) => {
            drop(file);
            let _ = fs::remove_file(path);
            Err(input(format!(
                "cannot write the --out file (removed it): {e}"
            )))
        }
    }
}

/// Replaces `path` by a new file of mode `mode` holding `text`, through a rename.
fn replace(path: &Path, text: &str, mode: u32) -> Result<(), Failure> {
    let dir = match path.parent() {
        Some(dir) if !dir.as_os_str().is_empty() => dir.to_path_buf(),
        _ => PathBuf::from("."),
    };
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.subsec_nanos());
    let temp = dir.join(format!(
        ".sealed-session-out.{}.{nanos}.tmp",
        std::process::id()
    ));
    let mut file = OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(&temp)
        .map_err(|e| {
            input(format!(
                "cannot create a file next to the --out file to replace it: {e}"
            ))
        })?;
    let result = file
        .write_all(text.as_bytes())
        .and_then(|()| file.set_permissions(fs::Permissions::from_mode(mode)))
        .and_then(|()| file.sync_all())
        .and_then(|()| fs::rename(&temp, path));
    drop(file);
    if let Err(e) = result {
        let _ = fs::remove_file(&temp);
        return Err(input(format!(
            "cannot replace the --out file (left as it was): {e}"
        )));
    }
    // The rename is durable once the directory is synced; best effort.
    if let Ok(dir) = File::open(&dir) {
        let _ = dir.sync_all();
    }
    Ok(())
}

/// Now, in Unix seconds.
pub fn now_unix() -> u64 {
    unix(SystemTime::now())
}

/// `t` in Unix seconds (0 before the epoch).
pub fn unix(t: SystemTime) -> u64 {
    t.duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs())
}

/// Unix seconds as a `SystemTime`.
pub fn system_time(secs: u64) -> SystemTime {
    UNIX_EPOCH + Duration::from_secs(secs)
}

/// `2027-01-15T08:00:00Z` for Unix seconds (UTC, proleptic Gregorian).
pub fn rfc3339(secs: u64) -> String {
    let days = secs / 86_400;
    let rem = secs % 86_400;
    // Howard Hinnant's civil_from_days, for days since 1970-01-01 (non-negative here).
    let z = days + 719_468;
    let era = z / 146_097;
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + u64::from(month <= 2);
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}Z",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60
    )
}

/// `2027-01-15T08:00:00Z (1799913600)`.
pub fn describe_time(secs: u64) -> String {
    format!("{} ({secs})", rfc3339(secs))
}
