//! `keyring add | promote | retire | remove | list`.
//!
//! Each command reads a keyring, refuses a change that leaves no key to seal with (always),
//! refuses a change that breaks sessions unless `--force` is given (retiring or removing the
//! key that is the primary then, a `--not-before` in the past), and prints the new keyring on
//! standard output or writes it to `--out`, with notes on standard error.

use std::fmt::Write as _;
use std::time::SystemTime;

use zeroize::Zeroizing;

use sealed_session::{Key, KeyId, KeyState, Keyring};

use crate::args::{Failure, Outcome, Parsed, Spec, input};
use crate::input::load_keyring;
use crate::output::{SizedOnce, describe_time, emit, now_unix, rfc3339, system_time, unix};

/// What `keyring add` accepts.
pub const ADD: Spec = Spec {
    command: "keyring add",
    positionals: &[],
    options: &["--keyring-file", "--not-before", "--not-after", "--out"],
    switches: &["--force", "--overwrite"],
};

/// What `keyring promote` accepts.
pub const PROMOTE: Spec = Spec {
    command: "keyring promote",
    positionals: &["ID"],
    options: &["--keyring-file", "--at", "--out"],
    switches: &["--force", "--overwrite"],
};

/// What `keyring retire` accepts.
pub const RETIRE: Spec = Spec {
    command: "keyring retire",
    positionals: &["ID"],
    options: &["--keyring-file", "--at", "--out"],
    switches: &["--force", "--overwrite"],
};

/// What `keyring remove` accepts.
pub const REMOVE: Spec = Spec {
    command: "keyring remove",
    positionals: &["ID"],
    options: &["--keyring-file", "--out"],
    switches: &["--force", "--overwrite"],
};

/// What `keyring list` accepts.
pub const LIST: Spec = Spec {
    command: "keyring list",
    positionals: &[],
    options: &["--keyring-file", "--at", "--out"],
    switches: &["--show-secrets", "--overwrite"],
};

/// The keyring text and a newline, to standard output or `--out`; then the `notes` on what
/// the change does, on standard error (after the output: none for a keyring not written).
pub fn emit_keyring(parsed: &Parsed, ring: &Keyring, notes: &[String]) -> Outcome {
    let text = ring.to_text();
    // A new buffer sized for the line: pushing the newline onto `text` would reallocate it
    // when it is at its longest, and leave the keyring in the freed block.
    let mut line = Zeroizing::new(String::with_capacity(text.len() + 1));
    line.push_str(&text);
    line.push('\n');
    emit(parsed, &line, "the new keyring", true)?;
    for note in notes {
        eprintln!("{note}");
    }
    Ok(())
}

/// A keyring of `keys`, or why not.
pub fn rebuild(keys: Vec<Key>) -> Result<Keyring, Failure> {
    Keyring::new(keys).map_err(|e| input(format!("the new keyring would be invalid: {e}")))
}

fn find_key(ring: &Keyring, id: KeyId) -> Result<Key, Failure> {
    ring.keys()
        .find(|k| k.id() == id)
        .cloned()
        .ok_or_else(|| input(format!("no key {id} in the keyring")))
}

fn primary_at(ring: &Keyring, secs: u64) -> Option<KeyId> {
    ring.primary(system_time(secs)).map(Key::id)
}

/// The ring's keys, with key `id` replaced by `change(key)`.
fn with_key_changed(ring: &Keyring, id: KeyId, change: impl Fn(Key) -> Key) -> Vec<Key> {
    ring.keys()
        .map(|k| {
            if k.id() == id {
                change(k.clone())
            } else {
                k.clone()
            }
        })
        .collect()
}

/// A key state as `keyring list` and `open` print it.
pub fn state_name(state: Option<KeyState>) -> &'static str {
    match state {
        Some(KeyState::Primary) => "primary",
        Some(KeyState::Pending) => "pending",
        Some(KeyState::Previous) => "previous",
        Some(KeyState::Retired) => "retired",
        _ => "unknown",
    }
}

/// `keyring add`: a new random key, sealing from `--not-before` (default in an hour).
pub fn add(parsed: &Parsed) -> Outcome {
    let mut notes = Vec::new();
    let ring = load_keyring(parsed)?;
    let now = now_unix();
    let not_before = parsed.time("--not-before", now, now + 3600)?;
    let mut key = Key::generate()
        .map_err(|e| input(e.to_string()))?
        .with_not_before(system_time(not_before));
    if parsed.option("--not-after").is_some() {
        key = key.with_not_after(system_time(parsed.time("--not-after", now, now)?));
    }
    let id = key.id();
    let mut keys: Vec<Key> = Vec::with_capacity(ring.keys().count() + 1);
    keys.extend(ring.keys().cloned());
    keys.push(key);
    let ring = rebuild(keys)?;
    let primary = primary_at(&ring, now);
    if not_before < now && !parsed.switch("--force") {
        let effect = match primary {
            Some(p) if p == id => "seal at once on every node that gets this keyring, before \
                 the nodes still on the old keyring can open what it seals (they leave those \
                 sessions alone and refuse to write over them until they get it)"
                .to_owned(),
            Some(p) => format!(
                "not become the primary: key {p} has a later not_before and stays the primary"
            ),
            None => "leave no key that seals now".to_owned(),
        };
        return Err(input(format!(
            "--not-before {} is in the past: key {id} would {effect}; give a time ahead (+1h, \
             the default, for a rotation) or 'now' (a leaked key that must stop sealing at \
             once), or pass --force",
            rfc3339(not_before)
        )));
    }
    if not_before > now {
        notes.push(format!(
            "added key {id}: it opens values now and seals from {}; roll the new keyring out \
             to every node before then",
            rfc3339(not_before)
        ));
    } else if primary == Some(id) {
        notes.push(format!(
            "added key {id}: it seals now on every node that gets this keyring, and nodes still \
             on the old keyring cannot open what it seals until they get it (they leave those \
             sessions alone and refuse to write over them): roll it out at once"
        ));
    } else {
        notes.push(format!(
            "added key {id}: it opens values now but does not seal: key {} is the primary",
            primary.map_or_else(|| "none".to_owned(), |p| p.to_string())
        ));
    }
    emit_keyring(parsed, &ring, &notes)
}

/// `keyring promote`: key ID seals from `--at` (default now).
pub fn promote(parsed: &Parsed) -> Outcome {
    let mut notes = Vec::new();
    let ring = load_keyring(parsed)?;
    let id = parsed.key_id()?;
    let now = now_unix();
    let at = parsed.time("--at", now, now)?;
    let key = find_key(&ring, id)?;
    if key.not_after().is_some_and(|na| unix(na) <= at) {
        return Err(input(format!(
            "key {id} stops opening values at or before then; it cannot be promoted"
        )));
    }
    let ring = rebuild(with_key_changed(&ring, id, |k| {
        k.with_not_before(system_time(at))
    }))?;
    if primary_at(&ring, at) != Some(id) {
        return Err(input(format!(
            "key {id} would still not be the primary at {}: another key's not_before is later",
            rfc3339(at)
        )));
    }
    if at < now {
        let primary_now = primary_at(&ring, now);
        if !parsed.switch("--force") {
            let effect = match primary_now {
                Some(p) if p == id => "seal at once on every node that gets this keyring, \
                     before the nodes still on the old keyring can open what it seals (they \
                     leave those sessions alone and refuse to write over them until they get it)"
                    .to_owned(),
                Some(p) => format!(
                    "not be the primary now: key {p} has a later not_before and seals instead"
                ),
                None => "leave no key that seals now".to_owned(),
            };
            return Err(input(format!(
                "--at {} is in the past: key {id} would {effect}; give a time ahead (a \
                 scheduled switch, after the keyring has reached every node) or 'now', or pass \
                 --force",
                rfc3339(at)
            )));
        }
        notes.push(format!(
            "warning (--force): --at {} is in the past; key {}",
            rfc3339(at),
            match primary_now {
                Some(p) if p == id => "seals now on every node that gets this keyring: roll it \
                     out at once"
                    .to_owned(),
                Some(p) => format!("{p} is the primary now, not {id}"),
                None => "none seals now".to_owned(),
            }
        ));
    }
    if let Some(later) = ring
        .keys()
        .filter_map(|k| k.not_before().map(unix))
        .filter(|&nb| nb > at)
        .min()
    {
        notes.push(format!(
            "note: a key scheduled for {} takes over from {id} then",
            rfc3339(later)
        ));
    }
    notes.push(format!("key {id} seals from {}", rfc3339(at)));
    emit_keyring(parsed, &ring, &notes)
}

/// `keyring retire`: key ID opens nothing from `--at` (default now).
pub fn retire(parsed: &Parsed) -> Outcome {
    let mut notes = Vec::new();
    let ring = load_keyring(parsed)?;
    let id = parsed.key_id()?;
    let now = now_unix();
    let at = parsed.time("--at", now, now)?;
    // A retirement takes effect at `at`, or at once if that is past.
    let effective = at.max(now);
    let key = find_key(&ring, id)?;
    if let Some(na) = key.not_after().map(unix).filter(|&na| na <= now) {
        return Err(input(format!(
            "key {id} is already retired (it opens nothing since {}); remove it instead",
            rfc3339(na)
        )));
    }
    if key.not_before().is_some_and(|nb| unix(nb) >= at) {
        return Err(input(format!(
            "key {id} would retire before it starts sealing; remove it instead"
        )));
    }
    let was_primary = primary_at(&ring, effective) == Some(id);
    let new = rebuild(with_key_changed(&ring, id, |k| {
        k.with_not_after(system_time(at))
    }))?;
    if primary_at(&new, effective).is_none() {
        return Err(input(format!(
            "retiring key {id} would leave no key that seals at {}; add and promote another first",
            rfc3339(effective)
        )));
    }
    if was_primary {
        if !parsed.switch("--force") {
            return Err(input(format!(
                "key {id} is the primary at {}: retiring it makes every node that gets this \
                 keyring refuse the sessions sealed under it while nodes with the old keyring \
                 keep sealing under it; promote another key first, or pass --force",
                rfc3339(effective)
            )));
        }
        notes.push(format!(
            "warning (--force): key {id} is the primary at {}; nodes with the old keyring keep \
             sealing under it, and nodes with this one refuse what they seal",
            rfc3339(effective)
        ));
    }
    if let Some(na) = key.not_after().map(unix).filter(|&na| na < at) {
        notes.push(format!(
            "note: this moves key {id}'s retirement later, from {} to {}",
            rfc3339(na),
            rfc3339(at)
        ));
    }
    notes.push(format!(
        "key {id} opens nothing from {}; sessions it sealed that were not re-sealed by then end",
        rfc3339(at)
    ));
    emit_keyring(parsed, &new, &notes)
}

/// `keyring remove`: drop key ID.
pub fn remove(parsed: &Parsed) -> Outcome {
    let mut notes = Vec::new();
    let ring = load_keyring(parsed)?;
    let id = parsed.key_id()?;
    let now = now_unix();
    find_key(&ring, id)?;
    let keys: Vec<Key> = ring.keys().filter(|k| k.id() != id).cloned().collect();
    if keys.is_empty() {
        return Err(input(format!(
            "key {id} is the only key; a keyring needs one"
        )));
    }
    let new = rebuild(keys)?;
    if primary_at(&new, now).is_none() {
        return Err(input(format!(
            "removing key {id} would leave no key that seals now; promote another first"
        )));
    }
    let state = ring.state(id, system_time(now));
    if state == Some(KeyState::Primary) {
        if !parsed.switch("--force") {
            return Err(input(format!(
                "key {id} is the primary at {}: removing it makes every node that gets this \
                 keyring unable to open the sessions sealed under it while nodes with the old \
                 keyring keep sealing under it; promote another key first, or pass --force",
                rfc3339(now)
            )));
        }
        notes.push(format!(
            "warning (--force): key {id} is the primary now; nodes with the old keyring keep \
             sealing under it, and nodes with this one cannot open what they seal"
        ));
    }
    if state == Some(KeyState::Retired) {
        notes.push(format!(
            "removed key {id}: it was retired already, so nothing it sealed opened anyway"
        ));
    } else {
        notes.push(format!(
            "removed key {id} ({}): values it sealed no longer open",
            state_name(state)
        ));
    }
    emit_keyring(parsed, &new, &notes)
}

/// `keyring list`: ids, states at `--at` and dates; the secrets with `--show-secrets`.
pub fn list(parsed: &Parsed) -> Outcome {
    let ring = load_keyring(parsed)?;
    let now = now_unix();
    let at = parsed.time("--at", now, now)?;
    let show = parsed.switch("--show-secrets");
    // The listing may hold key bytes: a wiped buffer sized once for the longest listing, which
    // refuses to grow (growing would leave the key bytes in the freed block).
    let mut out = SizedOnce::with_capacity(LIST_HEADER_MAX + ring.keys().count() * LIST_LINE_MAX);
    let fits = |r: core::fmt::Result| r.map_err(|_| input("the key listing outgrew its buffer"));
    fits(write!(
        out,
        "keyring at {}\n{:<10} {:<9} {:<34} ",
        describe_time(at),
        "id",
        "state",
        "not_before",
    ))?;
    fits(if show {
        writeln!(out, "{:<34} key", "not_after")
    } else {
        out.write_str("not_after\n")
    })?;
    // The text form renders keys in order: entry i+1 is key i.
    let text = if show { Some(ring.to_text()) } else { None };
    let mut entries = text.as_ref().map(|t| t.split(',').skip(1));
    let date = |t: Option<SystemTime>| t.map_or_else(|| "-".to_owned(), |t| describe_time(unix(t)));
    for key in ring.keys() {
        fits(write!(
            out,
            "{:<10} {:<9} {:<34} {:<34}",
            key.id().to_string(),
            state_name(ring.state(key.id(), system_time(at))),
            date(key.not_before()),
            date(key.not_after()),
        ))?;
        if let Some(entry) = entries.as_mut().and_then(Iterator::next) {
            let secret = entry.split('.').nth(1).unwrap_or_default();
            fits(write!(out, " {secret}"))?;
        }
        out.trim_end_spaces();
        fits(out.write_str("\n"))?;
    }
    emit(parsed, out.as_str(), "the key listing", show)
}

/// Bytes of the listing's two header lines, at most (about 120).
const LIST_HEADER_MAX: usize = 256;
/// Bytes of one key's line, at most: id, state, two dates of up to 35 characters each, the
/// 43-character secret, separators (137 in all).
const LIST_LINE_MAX: usize = 160;
