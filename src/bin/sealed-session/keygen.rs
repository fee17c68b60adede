//! `keygen`: a new one-key keyring. A `--not-after` that is not ahead makes a keyring that
//! opens and seals nothing, so it needs `--force`.

use sealed_session::Key;

use crate::args::{Outcome, Parsed, Spec, input};
use crate::keyring::{emit_keyring, rebuild};
use crate::output::{now_unix, rfc3339, system_time};

/// What `keygen` accepts.
pub const SPEC: Spec = Spec {
    command: "keygen",
    positionals: &[],
    options: &["--not-before", "--not-after", "--out"],
    switches: &["--force", "--overwrite"],
};

/// Prints (or writes to `--out`) a keyring of one new random key.
pub fn keygen(parsed: &Parsed) -> Outcome {
    let now = now_unix();
    let mut key = Key::generate().map_err(|e| input(e.to_string()))?;
    if parsed.option("--not-before").is_some() {
        key = key.with_not_before(system_time(parsed.time("--not-before", now, now)?));
    }
    let mut notes = Vec::new();
    if parsed.option("--not-after").is_some() {
        let not_after = parsed.time("--not-after", now, now)?;
        if not_after <= now {
            let what = format!(
                "--not-after {} is not in the future: the new key would open nothing and seal \
                 nothing from the start, so every node given this keyring could neither open \
                 nor seal a session",
                rfc3339(not_after)
            );
            if !parsed.switch("--force") {
                return Err(input(format!("{what}; give a time ahead, or pass --force")));
            }
            notes.push(format!("warning (--force): {what}"));
        }
        key = key.with_not_after(system_time(not_after));
    }
    emit_keyring(parsed, &rebuild(vec![key])?, &notes)
}
