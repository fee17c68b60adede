//! The CLI's keyring commands, run in-process (their source files are compiled into this
//! test crate, `main.rs`), from a keyring file to an `--out` file.

use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, UNIX_EPOCH};

use sealed_session::Keyring;

use crate::needles::{key, ring};
use crate::scanner::check;
use crate::{args, keygen, keyring};

fn temp_path(what: &str) -> PathBuf {
    static N: AtomicUsize = AtomicUsize::new(0);
    std::env::temp_dir().join(format!(
        "sealed-session-freed-{}-{}-{what}",
        std::process::id(),
        N.fetch_add(1, Ordering::Relaxed)
    ))
}

/// Runs a keyring command on a keyring file of `ring` (or none), writing to an `--out` file;
/// the scan then learns the keys in that file when it holds a keyring (`learn_out`).
fn cli(
    ring: Option<&Keyring>,
    run: fn(&args::Parsed) -> args::Outcome,
    spec: &args::Spec,
    extra: &[&str],
    learn_out: bool,
) {
    let input = temp_path("in");
    if let Some(ring) = ring {
        std::fs::write(&input, ring.to_text().as_bytes()).unwrap();
    }
    let out = temp_path("out");
    let mut argv: Vec<String> = extra.iter().map(|s| (*s).to_owned()).collect();
    argv.extend(["--keyring-file".into(), input.display().to_string()]);
    argv.extend(["--out".into(), out.display().to_string()]);
    if ring.is_none() {
        argv.drain(argv.len() - 4..argv.len() - 2);
    }
    check(|learn| {
        let parsed = args::Parsed::new(&argv, spec).ok().unwrap();
        assert!(run(&parsed).is_ok(), "the command succeeds");
        if learn_out {
            learn.file(out.clone());
        }
    });
    let _ = std::fs::remove_file(&input);
    let _ = std::fs::remove_file(&out);
}

/// 16 keys with both dates of 12 digits: the longest keyring text (1332 bytes), where the
/// newline the CLI appends used to reallocate the text. No key seals before the year 5138.
fn longest_ring() -> Keyring {
    let secs = |s| UNIX_EPOCH + Duration::from_secs(s);
    let keys = (0..16).map(|i| {
        key(i)
            .with_not_before(secs(100_000_000_000 + u64::from(i)))
            .with_not_after(secs(253_402_300_000 + u64::from(i)))
    });
    let ring = Keyring::new(keys).unwrap();
    assert_eq!(ring.to_text().len(), sealed_session::MAX_KEYRING_TEXT_LEN);
    ring
}

#[test]
fn cli_keygen() {
    cli(
        None,
        keygen::keygen,
        &keygen::SPEC,
        &["--not-after", "+1d"],
        true,
    );
}

#[test]
fn cli_add() {
    cli(Some(&ring(5)), keyring::add, &keyring::ADD, &[], true);
    cli(
        Some(&ring(15)),
        keyring::add,
        &keyring::ADD,
        &["--not-after", "+2d"],
        true,
    );
}

#[test]
fn cli_promote_retire_remove() {
    let id = key(3).id().to_string();
    cli(
        Some(&ring(5)),
        keyring::promote,
        &keyring::PROMOTE,
        &[&id],
        true,
    );
    cli(
        Some(&ring(5)),
        keyring::retire,
        &keyring::RETIRE,
        &[&id, "--at", "+1d"],
        true,
    );
    cli(
        Some(&ring(5)),
        keyring::remove,
        &keyring::REMOVE,
        &[&id],
        true,
    );
}

/// The new keyring is the longest text there is, 1332 bytes, before the newline.
#[test]
fn cli_prints_the_longest_keyring() {
    let id = key(4).id().to_string();
    let at = ["--at", "200000000000"];
    cli(
        Some(&longest_ring()),
        keyring::promote,
        &keyring::PROMOTE,
        &[&id, at[0], at[1]],
        true,
    );
}

#[test]
fn cli_list_with_secrets() {
    cli(
        Some(&longest_ring()),
        keyring::list,
        &keyring::LIST,
        &["--show-secrets"],
        false,
    );
    cli(
        Some(&ring(3)),
        keyring::list,
        &keyring::LIST,
        &["--show-secrets"],
        false,
    );
}
