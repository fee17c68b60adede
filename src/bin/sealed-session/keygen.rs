//! `keygen`: a new one-key keyring.

use sealed_session::Key;

use crate::args::{Outcome, Parsed, Spec, input};
use crate::keyring::{emit_keyring, rebuild};
use crate::output::{now_unix, system_time};

/// What `keygen` accepts.
pub const SPEC: Spec = Spec {
    command: "keygen",
    positionals: &[],
    options: &["--not-before", "--not-after", "--out"],
    switches: &["--overwrite"],
};

/// Prints (or writes to `--out`) a keyring of one new random key.
pub fn keygen(parsed: &Parsed) -> Outcome {
    let now = now_unix();
    let mut key = Key::generate().map_err(|e| input(e.to_string()))?;
    if parsed.option("--not-before").is_some() {
        key = key.with_not_before(system_time(parsed.time("--not-before", now, now)?));
    }
    if parsed.option("--not-after").is_some() {
        key = key.with_not_after(system_time(parsed.time("--not-after", now, now)?));
    }
    emit_keyring(parsed, &rebuild(vec![key])?, &[])
}
