//! Tests that kill mutants of `src/keyring/` the rest of the suite let live (MUTANTS.md,
//! "Killed by a new test"). Each names the mutant it fails on.

use std::collections::hash_map::DefaultHasher;
use std::hash::{Hash, Hasher};

use sealed_session::KeyId;

fn hash_of(id: KeyId) -> u64 {
    let mut h = DefaultHasher::new();
    id.hash(&mut h);
    h.finish()
}

/// Kills `<impl Hash for KeyId>::hash` replaced with `()` (src/keyring/key_id.rs:66): equal
/// ids hash equal either way, but the mutant hashes every id alike, so a map of key ids is
/// one long collision chain. `DefaultHasher::new()` has fixed keys: the values are stable.
#[test]
fn key_ids_hash_by_their_value() {
    assert_eq!(hash_of(KeyId::new(7)), hash_of(KeyId::new(7)));
    assert_ne!(hash_of(KeyId::new(1)), hash_of(KeyId::new(2)));
    let mut bare = DefaultHasher::new();
    7u32.hash(&mut bare);
    assert_eq!(hash_of(KeyId::new(7)), bare.finish());
}

/// Kills `<impl Display for KeyState>::fmt` replaced with `Ok(Default::default())`
/// (src/keyring/schedule.rs:38): no test of the selection printed a state.
#[test]
fn key_states_display_as_words() {
    use sealed_session::KeyState;
    let shown: Vec<String> = [
        KeyState::Primary,
        KeyState::Pending,
        KeyState::Previous,
        KeyState::Retired,
    ]
    .iter()
    .map(ToString::to_string)
    .collect();
    assert_eq!(shown, ["primary", "pending", "previous", "retired"]);
}

/// Kills the five mutants of `MAX_KEYRING_TEXT_LEN = HEADER.len() + MAX_KEYS * (1 + 8 + 1 +
/// SECRET_CHARS + 2 * 15)` (src/keyring/text.rs:51) that make it larger: the longest keyring
/// (16 keys, both dates of 12 digits) is 1,332 characters, and one character more is refused
/// before parsing (trailing newlines and blanks are trimmed first, so the extra one is an `x`).
/// Only a doctest pinned the number.
#[test]
fn the_longest_keyring_text_is_1332_characters_and_no_more_is_read() {
    use sealed_session::{Error, Key, Keyring, MAX_KEYRING_TEXT_LEN, MAX_KEYS};
    use std::time::{Duration, UNIX_EPOCH};
    assert_eq!(MAX_KEYRING_TEXT_LEN, 1332);
    let keys = (0..MAX_KEYS as u32).map(|i| {
        Key::new(KeyId::new(i), [7; 32])
            .with_not_before(UNIX_EPOCH + Duration::from_secs(100_000_000_000 + u64::from(i)))
            .with_not_after(UNIX_EPOCH + Duration::from_secs(200_000_000_000))
    });
    let text = Keyring::new(keys).unwrap().to_text();
    assert_eq!(text.len(), 1332);
    assert!(Keyring::from_text(&text).is_ok());
    let longer = format!("{}x", &*text);
    assert_eq!(
        Keyring::from_text(&longer).unwrap_err(),
        Error::InvalidKeyring {
            entry: 0,
            reason: "text is longer than 16 keys can be"
        }
    );
}

/// Kills `||` to `&&` at column 37 of `parse_unix`'s first check (src/keyring/text.rs:68):
/// `s.len() > 12 && !digits` lets a short date with a sign through to `u64::from_str`, which
/// takes a leading `+`. Dates are canonical decimal only.
#[test]
fn a_date_with_a_plus_sign_is_refused() {
    use sealed_session::{Error, Key, Keyring};
    use std::time::{Duration, UNIX_EPOCH};
    let key = Key::new(KeyId::new(1), [7; 32])
        .with_not_before(UNIX_EPOCH + Duration::from_secs(1_800_000_000));
    let text = Keyring::new([key]).unwrap().to_text();
    assert!(text.contains(".nb1800000000"), "{}", &*text);
    assert!(Keyring::from_text(&text).is_ok());
    let signed = text.replace(".nb1800000000", ".nb+1800000000");
    assert!(matches!(
        Keyring::from_text(&signed).unwrap_err(),
        Error::InvalidKeyring {
            reason: "a date is not canonical decimal Unix seconds",
            ..
        }
    ));
}

/// Kills `>` to `>=` in `s.len() > 1 && s.starts_with('0')` (src/keyring/text.rs:71): `0` is
/// the canonical decimal of the epoch, not a leading zero; `00` is refused.
#[test]
fn a_date_of_zero_is_canonical() {
    use sealed_session::{Error, Key, Keyring};
    use std::time::UNIX_EPOCH;
    let key = Key::new(KeyId::new(1), [7; 32]).with_not_before(UNIX_EPOCH);
    let text = Keyring::new([key.clone()]).unwrap().to_text();
    assert!(text.ends_with(".nb0"), "{}", &*text);
    let back = Keyring::from_text(&text).unwrap();
    assert_eq!(back.keys().next().unwrap().not_before(), Some(UNIX_EPOCH));
    let padded = format!("{}0", &*text);
    assert!(matches!(
        Keyring::from_text(&padded).unwrap_err(),
        Error::InvalidKeyring {
            reason: "a date is not canonical decimal Unix seconds",
            ..
        }
    ));
}

/// Kills `||` to `&&` at columns 61 and 73 of the trim in `parse` (src/keyring/text.rs:79):
/// every one of newline, carriage return, space and tab around the text is forgiven.
#[test]
fn blanks_of_each_kind_around_a_keyring_text_are_trimmed() {
    use sealed_session::{Key, Keyring};
    let ring = Keyring::new([Key::new(KeyId::new(1), [7; 32])]).unwrap();
    let text = ring.to_text();
    for blank in ["\n", "\r", " ", "\t"] {
        let padded = format!("{blank}{}{blank}", &*text);
        assert_eq!(Keyring::from_text(&padded).unwrap(), ring, "{blank:?}");
    }
}

/// Kills deleting the match arm `"nb" | "na"` (src/keyring/text.rs:127) and the guard
/// `key.not_after.is_none()` replaced with `true` (line 126): a date given twice, or `nb`
/// after `na`, is refused as such (the mutants call it an unknown field, or keep the last
/// `na`).
#[test]
fn each_date_appears_once_and_nb_before_na() {
    use sealed_session::{Error, Key, Keyring};
    let text = Keyring::new([Key::new(KeyId::new(1), [7; 32])])
        .unwrap()
        .to_text();
    assert!(Keyring::from_text(&format!("{}.nb5.na9", &*text)).is_ok());
    for dates in [".na5.na9", ".nb5.nb9", ".na9.nb5", ".nb5.na9.na10"] {
        let err = Keyring::from_text(&format!("{}{dates}", &*text)).unwrap_err();
        assert!(
            matches!(
                err,
                Error::InvalidKeyring {
                    reason: "dates must appear once each, nb before na",
                    ..
                }
            ),
            "{dates}: {err:?}"
        );
    }
}
