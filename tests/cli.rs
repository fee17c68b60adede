//! The `sealed-session` operator CLI, run as a process: key generation and the keyring
//! commands (whose output parses back as a keyring), inspect and open, and clear errors with a
//! non-zero exit (never a panic) on bad input.
#![cfg(feature = "cli")]

use std::io::Write;
use std::path::PathBuf;
use std::process::{Command, Output, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use sealed_session::{Codec, Key, KeyId, KeyState, Keyring, Mode, RequestCookies, SealedCookies};

const BIN: &str = env!("CARGO_BIN_EXE_sealed-session");

/// Runs the CLI with `args`, the environment variable cleared (or set to `env`), and `stdin`.
fn run_with(args: &[&str], env: Option<&str>, stdin: &str) -> Output {
    let mut command = Command::new(BIN);
    command
        .args(args)
        .env_remove("SEALED_SESSION_KEYRING")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    if let Some(text) = env {
        command.env("SEALED_SESSION_KEYRING", text);
    }
    let mut child = command.spawn().expect("the binary runs");
    child
        .stdin
        .take()
        .expect("stdin is piped")
        .write_all(stdin.as_bytes())
        .expect("stdin accepts the input");
    child.wait_with_output().expect("the binary finishes")
}

fn run(args: &[&str], env: Option<&str>) -> Output {
    run_with(args, env, "")
}

fn stdout(output: &Output) -> String {
    String::from_utf8(output.stdout.clone()).expect("stdout is UTF-8")
}

fn stderr(output: &Output) -> String {
    String::from_utf8(output.stderr.clone()).expect("stderr is UTF-8")
}

/// Asserts success and returns stdout.
fn ok(output: &Output) -> String {
    assert!(
        output.status.success(),
        "exit {:?}, stderr: {}",
        output.status.code(),
        stderr(output)
    );
    stdout(output)
}

/// Asserts a clean failure (exit `code`, a message, no panic) and returns stderr.
fn fails(output: &Output, code: i32) -> String {
    let err = stderr(output);
    assert_eq!(output.status.code(), Some(code), "stderr: {err}");
    assert!(err.starts_with("sealed-session: "), "stderr: {err}");
    assert!(!err.contains("panicked"), "stderr: {err}");
    err
}

fn temp_file(contents: &str) -> PathBuf {
    static COUNTER: AtomicUsize = AtomicUsize::new(0);
    let path = std::env::temp_dir().join(format!(
        "sealed-session-cli-{}-{}.txt",
        std::process::id(),
        COUNTER.fetch_add(1, Ordering::Relaxed)
    ));
    std::fs::write(&path, contents).expect("the temp dir is writable");
    path
}

fn now_unix() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs()
}

fn key_a() -> Key {
    Key::new(KeyId::new(0xa), [0x11; 32])
}

/// key a (no dates) and key b (starts sealing in an hour).
fn two_key_text() -> String {
    let b = Key::new(KeyId::new(0xb), [0x22; 32])
        .with_not_before(SystemTime::now() + Duration::from_secs(3600));
    Keyring::new([key_a(), b]).unwrap().to_text().to_string()
}

fn header_of(sealed: &SealedCookies) -> String {
    sealed.headers()[..sealed.chunk_count()]
        .iter()
        .map(|l| l.split(';').next().unwrap())
        .collect::<Vec<_>>()
        .join("; ")
}

#[test]
fn help_and_usage_errors() {
    assert!(ok(&run(&["help"], None)).contains("keyring promote ID"));
    fails(&run(&[], None), 2);
    assert!(fails(&run(&["frobnicate"], None), 2).contains("unknown command 'frobnicate'"));
    assert!(fails(&run(&["keyring"], None), 2).contains("subcommand"));
    assert!(fails(&run(&["keygen", "--bogus"], None), 2).contains("unknown option '--bogus'"));
    assert!(fails(&run(&["keygen", "extra"], None), 2).contains("unexpected argument"));
    assert!(fails(&run(&["keygen", "--not-before"], None), 2).contains("needs a value"));
    assert!(fails(&run(&["keygen", "--not-before", "soon"], None), 2).contains("'soon'"));
    assert!(fails(&run(&["keyring", "promote"], Some(&two_key_text())), 2).contains("missing"));
    assert!(fails(&run(&["keyring", "list"], None), 2).contains("SEALED_SESSION_KEYRING"));
}

#[test]
fn keygen_prints_a_one_key_keyring() {
    let text = ok(&run(&["keygen"], None));
    assert!(text.ends_with('\n'));
    let ring = Keyring::from_text(&text).unwrap();
    assert_eq!(ring.keys().count(), 1);
    assert!(ring.primary(SystemTime::now()).is_some());

    let dated = ok(&run(
        &[
            "keygen",
            "--not-before",
            "1800000000",
            "--not-after=1900000000",
        ],
        None,
    ));
    let key = Keyring::from_text(&dated)
        .unwrap()
        .keys()
        .next()
        .unwrap()
        .clone();
    assert_eq!(
        key.not_before(),
        Some(UNIX_EPOCH + Duration::from_secs(1_800_000_000))
    );
    assert_eq!(
        key.not_after(),
        Some(UNIX_EPOCH + Duration::from_secs(1_900_000_000))
    );
    assert_ne!(ok(&run(&["keygen"], None)), text, "keys are random");
}

#[test]
fn keyring_add_schedules_a_new_key_an_hour_ahead_by_default() {
    let one = Keyring::new([key_a()]).unwrap().to_text().to_string();
    let output = run(&["keyring", "add"], Some(&one));
    let ring = Keyring::from_text(&ok(&output)).unwrap();
    assert!(stderr(&output).contains("roll the new keyring out"));
    let keys: Vec<Key> = ring.keys().cloned().collect();
    assert_eq!(keys.len(), 2);
    assert_eq!(keys[0], key_a());
    let nb = keys[1]
        .not_before()
        .unwrap()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs();
    let expected = now_unix() + 3600;
    assert!(nb.abs_diff(expected) <= 5, "{nb} vs {expected}");
    let now = SystemTime::now();
    assert_eq!(ring.state(keys[1].id(), now), Some(KeyState::Pending));
    assert_eq!(ring.primary(now).map(Key::id), Some(KeyId::new(0xa)));

    // From a file, with an explicit relative time; the result composes with the next command.
    let path = temp_file(&one);
    let text = ok(&run(
        &[
            "keyring",
            "add",
            "--keyring-file",
            path.to_str().unwrap(),
            "--not-before",
            "+2d",
        ],
        None,
    ));
    let later = Keyring::from_text(&text).unwrap();
    let nb = later.keys().nth(1).unwrap().not_before().unwrap();
    let secs = nb.duration_since(UNIX_EPOCH).unwrap().as_secs();
    assert!(secs.abs_diff(now_unix() + 2 * 86_400) <= 5);
    let listed = ok(&run(&["keyring", "list"], Some(&text)));
    assert!(listed.contains("pending"));
    std::fs::remove_file(path).ok();
}

#[test]
fn promote_retire_and_remove_walk_the_rotation_recipe() {
    let start = two_key_text();
    let now = || SystemTime::now();

    let promoted = ok(&run(&["keyring", "promote", "0000000b"], Some(&start)));
    let ring = Keyring::from_text(&promoted).unwrap();
    assert_eq!(ring.primary(now()).map(Key::id), Some(KeyId::new(0xb)));
    assert_eq!(ring.state(KeyId::new(0xa), now()), Some(KeyState::Previous));

    // Retiring the old key: it opens nothing from then on.
    let retired = ok(&run(&["keyring", "retire", "0000000a"], Some(&promoted)));
    let ring = Keyring::from_text(&retired).unwrap();
    assert_eq!(
        ring.state(KeyId::new(0xa), now() + Duration::from_secs(1)),
        Some(KeyState::Retired)
    );
    assert_eq!(ring.primary(now()).map(Key::id), Some(KeyId::new(0xb)));

    let removed = ok(&run(&["keyring", "remove", "0000000a"], Some(&retired)));
    let ring = Keyring::from_text(&removed).unwrap();
    assert_eq!(
        ring.keys().map(Key::id).collect::<Vec<_>>(),
        [KeyId::new(0xb)]
    );

    // What would leave no sealing key, or name no key, is refused with a reason.
    assert!(
        fails(&run(&["keyring", "retire", "0000000a"], Some(&start)), 1)
            .contains("no key that seals")
    );
    assert!(
        fails(&run(&["keyring", "remove", "0000000b"], Some(&removed)), 1).contains("only key")
    );
    assert!(
        fails(&run(&["keyring", "promote", "0000000c"], Some(&start)), 1)
            .contains("no key 0000000c")
    );
    assert!(fails(&run(&["keyring", "promote", "B"], Some(&start)), 2).contains("not a key id"));
    assert!(
        fails(&run(&["keyring", "retire", "0000000b"], Some(&start)), 1)
            .contains("remove it instead")
    );
}

#[test]
fn list_shows_ids_states_and_dates_but_key_bytes_only_when_asked() {
    let text = two_key_text();
    let secret_a = text
        .split(',')
        .nth(1)
        .unwrap()
        .split('.')
        .nth(1)
        .unwrap()
        .to_owned();
    let listing = ok(&run(&["keyring", "list"], Some(&text)));
    assert!(listing.contains("0000000a"));
    assert!(listing.contains("primary"));
    assert!(listing.contains("0000000b"));
    assert!(listing.contains("pending"));
    assert!(listing.contains("T"), "RFC 3339 dates: {listing}");
    assert!(!listing.contains(&secret_a));

    let later = ok(&run(&["keyring", "list", "--at", "+2h"], Some(&text)));
    assert!(
        later
            .lines()
            .any(|l| l.starts_with("0000000b") && l.contains("primary"))
    );

    let secrets = ok(&run(&["keyring", "list", "--show-secrets"], Some(&text)));
    assert!(secrets.contains(&secret_a));
}

#[test]
fn a_bad_keyring_is_reported_without_echoing_it() {
    let secretish = "ssk1,0000000a.SECRETSECRETSECRETSECRETSECRETSECRETSECRETSE";
    let err = fails(&run(&["keyring", "list"], Some(secretish)), 1);
    assert!(err.contains("SEALED_SESSION_KEYRING"));
    assert!(!err.contains("SECRETSECRET"), "{err}");

    let missing = fails(
        &run(
            &["keyring", "list", "--keyring-file", "/nonexistent/ring.txt"],
            None,
        ),
        1,
    );
    assert!(missing.contains("cannot read keyring file"));

    let path = temp_file("not a keyring at all\n");
    let err = fails(
        &run(
            &["keyring", "list", "--keyring-file", path.to_str().unwrap()],
            None,
        ),
        1,
    );
    assert!(err.contains("ssk1"));
    std::fs::remove_file(path).ok();

    // The keyring from standard input.
    let text = two_key_text();
    let listing = ok(&run_with(
        &["keyring", "list", "--keyring-file", "-"],
        None,
        &text,
    ));
    assert!(listing.contains("0000000b"));
}

#[test]
fn inspect_shows_the_envelope_without_keys() {
    let codec = Codec::<Vec<u8>>::builder(Keyring::new([key_a()]).unwrap())
        .build()
        .unwrap();
    let sealed = codec
        .seal(
            &vec![5; 3500],
            None,
            &RequestCookies::new(),
            SystemTime::now(),
        )
        .unwrap();
    let header = format!("theme=dark; {}", header_of(&sealed));
    let out = ok(&run(&["inspect", &header], None));
    assert!(out.contains("format version: 2"), "{out}");
    assert!(out.contains("mode:           encrypted"));
    assert!(out.contains("key id:         0000000a"));
    assert!(out.contains("chunks:         2"));
    assert!(out.contains(&format!("cookie bytes:   {}", sealed.cookie_header_bytes())));

    // A "Cookie:" prefix and standard input are fine.
    let out = ok(&run_with(
        &["inspect"],
        None,
        &format!("Cookie: {header}\n"),
    ));
    assert!(out.contains("chunks:         2"));

    let signed = Codec::<u8>::builder(Keyring::new([key_a()]).unwrap())
        .mode(Mode::Signed)
        .purpose("api")
        .build()
        .unwrap();
    let token = signed.seal_token(&1, None, SystemTime::now()).unwrap();
    let out = ok(&run(&["inspect", &token], None));
    assert!(out.contains("format version: 2"), "{out}");
    assert!(out.contains("mode:           signed"));
    assert!(out.contains("chunks:         1"));

    assert!(fails(&run(&["inspect", "theme=dark"], None), 1).contains("cookies present: theme"));
    assert!(fails(&run(&["inspect", "!!!"], None), 1).contains("not a sealed session"));
    assert!(fails(&run(&["inspect", "   "], None), 1).contains("no value"));
}

#[test]
fn open_shows_metadata_and_payload_with_the_keyring() {
    let ring_text = two_key_text();
    let ring = Keyring::from_text(&ring_text).unwrap();
    let codec = Codec::<Vec<u8>>::builder(ring.clone())
        .cookie_name("app")
        .purpose("shop")
        .build()
        .unwrap();
    let sealed = codec
        .seal(
            &vec![0xab, 0xcd],
            None,
            &RequestCookies::new(),
            SystemTime::now(),
        )
        .unwrap();
    let header = header_of(&sealed);
    let id = sealed.metadata().session_id().to_string();

    let args = ["open", &header, "--cookie-name", "app", "--purpose", "shop"];
    let out = ok(&run(&args, Some(&ring_text)));
    assert!(out.contains(&format!("session id:     {id}")), "{out}");
    assert!(out.contains("key id:         0000000a (primary)"));
    assert!(out.contains("re-seal due:    no"));
    assert!(out.contains("format version: 2"), "{out}");
    assert!(out.contains("schema version: 0"), "{out}");
    assert!(
        out.contains("lifetime:       absolute 86400s, idle 7200s, persistent"),
        "{out}"
    );
    // postcard: a length byte, then the bytes.
    assert!(out.contains("payload bytes:  3"));
    assert!(out.contains("payload hex:    02abcd"));

    // After the scheduled key takes over, open says a re-seal is due.
    let later = [
        "open",
        &header,
        "--cookie-name",
        "app",
        "--purpose",
        "shop",
        "--at",
        "+61m",
    ];
    let out = ok(&run(&later, Some(&ring_text)));
    assert!(out.contains("re-seal due:    yes: sealed under a key that is no longer primary"));
    assert!(out.contains("(previous)"));

    // A wrong purpose fails authentication, with a hint; no payload is printed.
    let wrong = run(&["open", &header, "--cookie-name", "app"], Some(&ring_text));
    let err = fails(&wrong, 1);
    assert!(err.contains("failed authentication"));
    assert!(stdout(&wrong).is_empty());

    // Past the idle timeout (2 hours, carried in the value since format 2): expired, and an
    // opener's policy cannot extend it, only shorten it.
    let open_at = |at: &'static str, extra: &[&'static str]| {
        let mut args = vec![
            "open",
            &header,
            "--cookie-name",
            "app",
            "--purpose",
            "shop",
            "--at",
            at,
        ];
        args.extend_from_slice(extra);
        run(&args, Some(&ring_text))
    };
    assert!(fails(&open_at("+3h", &[]), 1).contains("expired"));
    let lenient = open_at("+3h", &["--idle", "none"]);
    assert!(fails(&lenient, 1).contains("expired"), "no extension");
    assert!(stdout(&lenient).is_empty());
    assert!(ok(&open_at("+1h", &[])).contains("payload hex:    02abcd"));
    assert!(fails(&open_at("+1h", &["--idle", "1800"]), 1).contains("expired"));

    // A token in signed mode, of a codec that names its purpose.
    let signed = Codec::<u8>::builder(ring)
        .mode(Mode::Signed)
        .purpose("api")
        .build()
        .unwrap();
    let token = signed.seal_token(&9, None, SystemTime::now()).unwrap();
    let out = ok(&run(
        &["open", &token, "--mode", "signed", "--purpose", "api"],
        Some(&ring_text),
    ));
    assert!(out.contains("payload hex:    09"));
    assert!(
        fails(
            &run(&["open", &token, "--purpose", "api"], Some(&ring_text)),
            1
        )
        .contains("authentication")
    );
    assert!(
        fails(
            &run(&["open", &token, "--mode", "signed"], Some(&ring_text)),
            1
        )
        .contains("authentication"),
        "another purpose"
    );
    assert!(
        fails(
            &run(&["open", &token, "--mode", "loud"], Some(&ring_text)),
            2
        )
        .contains("--mode")
    );

    // An unknown key, and no keyring at all.
    let other = Keyring::generate().unwrap().to_text().to_string();
    let unknown = fails(
        &run(
            &["open", &token, "--mode", "signed", "--purpose", "api"],
            Some(&other),
        ),
        1,
    );
    assert!(
        unknown.contains("sealed under key id 0000000a, which this keyring does not hold"),
        "{unknown}"
    );
    fails(&run(&["open", &token], None), 2);
    let both_stdin = run(&["open", "-", "--keyring-file", "-"], None);
    assert!(fails(&both_stdin, 2).contains("both"));
}

#[test]
fn hostile_input_never_panics() {
    let ring = two_key_text();
    let long = "A".repeat(100_000);
    let many = "x=1; ".repeat(20_000);
    let chunky = (0..40)
        .map(|i| format!("__Host-session.{i}=HAAB"))
        .collect::<Vec<_>>()
        .join("; ");
    let values = [
        "",
        "=",
        ";",
        "__Host-session=",
        "__Host-session=\u{7f}",
        "Cookie:",
        "é=é",
        &long,
        &many,
        &chunky,
        "__Host-session=AQAAAAo",
        "AQAAAAoAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
    ];
    for value in values {
        for command in ["inspect", "open"] {
            let output = run(&[command, value], Some(&ring));
            let code = output.status.code();
            assert!(
                matches!(code, Some(0..=2)),
                "{command} {value:.40?}: exit {code:?}"
            );
            assert!(
                !stderr(&output).contains("panicked"),
                "{command} {value:.40?}"
            );
        }
    }
    for when in [
        "-1",
        "+",
        "+5x",
        "99999999999999999999",
        "+99999999999999d",
        "1e9",
        "now+1",
    ] {
        let output = run(&["keyring", "list", "--at", when], Some(&ring));
        fails(&output, 2);
    }
}
