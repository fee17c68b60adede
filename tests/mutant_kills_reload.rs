//! Tests that kill mutants of `src/reload/` the rest of the suite let live (MUTANTS.md, "Killed
//! by a new test"): parts of the public API only their doctests checked.
#![cfg(feature = "reload")]

use std::error::Error as _;
use std::io;

use sealed_session::Error;
use sealed_session::reload::{ReloadError, Reloaded};

/// Kills `Reloaded::replaced -> bool` replaced with `true` (src/reload/mod.rs:103).
#[test]
fn only_a_replacement_is_replaced() {
    assert!(!Reloaded::NotChanged.replaced());
    assert!(!Reloaded::Same.replaced());
    let replaced = Reloaded::Replaced {
        before: vec![],
        after: vec![],
        primary: None,
    };
    assert!(replaced.replaced());
}

/// Kills `<impl Display for ReloadError>::fmt` replaced with `Ok(Default::default())`
/// (src/reload/mod.rs:137) and `<impl Error for ReloadError>::source` replaced with `None`
/// (line 151).
#[test]
fn reload_errors_say_what_failed_and_chain_their_cause() {
    let read = ReloadError::Read(io::Error::new(io::ErrorKind::NotFound, "gone"));
    assert_eq!(read.to_string(), "cannot read the keyring file: gone");
    assert_eq!(read.source().unwrap().to_string(), "gone");
    let refused = ReloadError::Rejected(Error::NoSealingKey);
    assert!(refused.to_string().starts_with("keyring file refused: "));
    assert_eq!(
        refused.source().unwrap().to_string(),
        Error::NoSealingKey.to_string()
    );
    let large = ReloadError::TooLarge { limit: 9 };
    assert!(
        large
            .to_string()
            .starts_with("the keyring file holds more than 9 bytes")
    );
    assert!(large.source().is_none());
}

/// Kills `>` to `>=` in `bytes.len() > MAX_KEYRING_FILE_BYTES` (src/reload/mod.rs:375): a file
/// of exactly the limit is read (and here refused as a keyring, being none), one byte more is
/// too large without being parsed.
#[test]
fn a_file_of_exactly_the_limit_is_read_and_one_byte_more_is_not() {
    use sealed_session::reload::{MAX_KEYRING_FILE_BYTES, read_keyring_file};
    let path = std::env::temp_dir().join(format!("sealed-session-kill-{}", std::process::id()));
    std::fs::write(&path, vec![b'x'; MAX_KEYRING_FILE_BYTES]).unwrap();
    let at_limit = read_keyring_file(&path).unwrap_err();
    std::fs::write(&path, vec![b'x'; MAX_KEYRING_FILE_BYTES + 1]).unwrap();
    let past = read_keyring_file(&path).unwrap_err();
    std::fs::remove_file(&path).unwrap();
    assert!(matches!(at_limit, ReloadError::Rejected(_)), "{at_limit:?}");
    assert!(
        matches!(past, ReloadError::TooLarge { limit } if limit == MAX_KEYRING_FILE_BYTES),
        "{past:?}"
    );
}
