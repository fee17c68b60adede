//! The `sealed-session` operator CLI, run as a process: key generation and the keyring
//! commands (whose output parses back as a keyring), inspect and open, and clear errors with a
//! non-zero exit (never a panic) on bad input.
#![cfg(feature = "cli")]

use std::fs::File;
use std::io::Write;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

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

/// Runs the CLI with standard input from the file `stdin` (or nothing), killing it and failing
/// the test if it has not finished within 30 seconds (an unbounded read of `/dev/zero`).
fn run_bounded(args: &[&str], env: Option<&str>, stdin: Option<&str>) -> Output {
    let mut command = Command::new(BIN);
    command
        .args(args)
        .env_remove("SEALED_SESSION_KEYRING")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    command.stdin(match stdin {
        Some(path) => Stdio::from(File::open(path).expect("the stdin file opens")),
        None => Stdio::null(),
    });
    if let Some(text) = env {
        command.env("SEALED_SESSION_KEYRING", text);
    }
    let mut child = command.spawn().expect("the binary runs");
    let deadline = Instant::now() + Duration::from_secs(30);
    while child
        .try_wait()
        .expect("the binary can be waited for")
        .is_none()
    {
        if Instant::now() > deadline {
            child.kill().ok();
            child.wait().ok();
            panic!("{args:?} did not finish in 30 s: an unbounded read?");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    child.wait_with_output().expect("the binary finishes")
}

/// Runs the CLI through `sh` under umask 022, the common default that makes a shell
/// redirection world-readable.
fn run_umask_022(args: &[&str]) -> Output {
    Command::new("sh")
        .arg("-c")
        .arg("umask 022 && exec \"$0\" \"$@\"")
        .arg(BIN)
        .args(args)
        .env_remove("SEALED_SESSION_KEYRING")
        .stdin(Stdio::null())
        .output()
        .expect("sh runs")
}

/// A fresh empty directory, removed by the test when done.
fn temp_dir() -> PathBuf {
    static COUNTER: AtomicUsize = AtomicUsize::new(0);
    let path = std::env::temp_dir().join(format!(
        "sealed-session-cli-dir-{}-{}",
        std::process::id(),
        COUNTER.fetch_add(1, Ordering::Relaxed)
    ));
    std::fs::create_dir_all(&path).expect("the temp dir is writable");
    path
}

fn mode(path: &Path) -> u32 {
    std::fs::metadata(path).unwrap().permissions().mode() & 0o7777
}

fn set_mode(path: &Path, mode: u32) {
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode)).unwrap();
}

fn read(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap()
}

fn arg(path: &Path) -> &str {
    path.to_str().unwrap()
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

/// key a (no dates: previous) and key c (sealing since an hour ago: the primary).
fn rotated_text() -> String {
    let c = Key::new(KeyId::new(0xc), [0x33; 32])
        .with_not_before(SystemTime::now() - Duration::from_secs(3600));
    Keyring::new([key_a(), c]).unwrap().to_text().to_string()
}

/// The secret of a keyring text's first key (43 base64url characters).
fn first_secret(text: &str) -> String {
    text.split(',')
        .nth(1)
        .unwrap()
        .split('.')
        .nth(1)
        .unwrap()
        .to_owned()
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
    assert!(fails(&run(&["frobnicate"], None), 2).contains("unknown command"));
    assert!(fails(&run(&["keyring"], None), 2).contains("subcommand"));
    assert!(fails(&run(&["keygen", "--bogus"], None), 2).contains("unknown option '--bogus'"));
    assert!(fails(&run(&["keygen", "extra"], None), 2).contains("unexpected argument"));
    assert!(fails(&run(&["keygen", "--not-before"], None), 2).contains("needs a value"));
    assert!(
        fails(&run(&["keygen", "--not-before", "soon"], None), 2)
            .contains("--not-before is not Unix seconds")
    );
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
    assert!(missing.contains("cannot read --keyring-file"), "{missing}");

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

#[test]
fn out_writes_key_bytes_to_a_new_file_of_mode_0600() {
    let dir = temp_dir();
    let ring_path = dir.join("keyring.txt");
    // Under umask 022, where `keygen > keyring.txt` would be mode 0644.
    let output = run_umask_022(&["keygen", "--out", arg(&ring_path)]);
    assert!(ok(&output).is_empty(), "nothing on standard output");
    assert!(stderr(&output).contains("mode 0600"), "{}", stderr(&output));
    assert_eq!(mode(&ring_path), 0o600);
    let text = read(&ring_path);
    assert!(text.ends_with('\n'));
    let first = Keyring::from_text(&text).unwrap();
    assert_eq!(first.keys().count(), 1);

    // An existing file is refused and left as it was.
    let err = fails(&run(&["keygen", "--out", arg(&ring_path)], None), 1);
    assert!(
        err.contains("exists") && err.contains("--overwrite"),
        "{err}"
    );
    assert!(!err.contains(arg(&ring_path)), "no path in messages: {err}");
    assert_eq!(read(&ring_path), text);
    let p = arg(&ring_path);
    let err = fails(
        &run(&["keyring", "add", "--keyring-file", p, "--out", p], None),
        1,
    );
    assert!(
        !err.contains("added key"),
        "no notes on a change not written: {err}"
    );
    assert_eq!(read(&ring_path), text);

    // --overwrite replaces it whole (here the keyring it was read from) and narrows a
    // group- and world-readable file to 0600.
    set_mode(&ring_path, 0o644);
    let output = run_umask_022(&[
        "keyring",
        "add",
        "--keyring-file",
        p,
        "--out",
        p,
        "--overwrite",
    ]);
    assert!(ok(&output).is_empty());
    assert!(
        stderr(&output).contains("was mode 0644"),
        "{}",
        stderr(&output)
    );
    assert_eq!(mode(&ring_path), 0o600);
    let added = read(&ring_path);
    let ring = Keyring::from_text(&added).unwrap();
    assert_eq!(ring.keys().count(), 2);
    assert_eq!(ring.keys().next(), first.keys().next());

    // A narrower file is never widened.
    let listing = dir.join("listing.txt");
    std::fs::write(&listing, "old\n").unwrap();
    set_mode(&listing, 0o400);
    let args = [
        "keyring",
        "list",
        "--keyring-file",
        p,
        "--show-secrets",
        "--out",
        arg(&listing),
        "--overwrite",
    ];
    assert!(ok(&run_umask_022(&args)).is_empty());
    assert_eq!(mode(&listing), 0o400);
    assert!(read(&listing).contains(&first_secret(&added)));

    // Nothing is left next to them.
    let mut names: Vec<String> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    names.sort();
    assert_eq!(names, ["keyring.txt", "listing.txt"]);

    // A symbolic link is refused, with or without --overwrite; so is a directory.
    let link = dir.join("link.txt");
    std::os::unix::fs::symlink(&ring_path, &link).unwrap();
    for extra in [&[][..], &["--overwrite"][..]] {
        let mut args = vec!["keygen", "--out", arg(&link)];
        args.extend_from_slice(extra);
        fails(&run(&args, None), 1);
    }
    assert!(
        fails(
            &run(&["keygen", "--out", arg(&link), "--overwrite"], None),
            1
        )
        .contains("symbolic link")
    );
    assert!(
        fails(
            &run(&["keygen", "--out", arg(&dir), "--overwrite"], None),
            1
        )
        .contains("not a regular file")
    );
    assert_eq!(read(&ring_path), added);

    // --overwrite alone is a command-line error.
    assert!(fails(&run(&["keygen", "--overwrite"], None), 2).contains("--out"));
    std::fs::remove_dir_all(dir).ok();
}

#[test]
fn every_command_that_prints_key_bytes_takes_out() {
    let dir = temp_dir();
    let start = dir.join("start.txt");
    std::fs::write(&start, rotated_text()).unwrap();
    let s = arg(&start);
    let commands: [(&[&str], bool); 6] = [
        (&["keygen"], true),
        (&["keyring", "add", "--keyring-file", s], true),
        (
            &["keyring", "promote", "0000000a", "--keyring-file", s],
            true,
        ),
        (
            &["keyring", "retire", "0000000a", "--keyring-file", s],
            true,
        ),
        (
            &["keyring", "remove", "0000000a", "--keyring-file", s],
            true,
        ),
        (
            &["keyring", "list", "--show-secrets", "--keyring-file", s],
            false,
        ),
    ];
    for (i, (command, is_keyring)) in commands.into_iter().enumerate() {
        let out = dir.join(format!("out-{i}.txt"));
        let mut args = command.to_vec();
        args.extend(["--out", arg(&out)]);
        let output = run_umask_022(&args);
        assert!(ok(&output).is_empty(), "{command:?} printed to stdout");
        assert_eq!(mode(&out), 0o600, "{command:?}");
        let text = read(&out);
        if is_keyring {
            Keyring::from_text(&text).unwrap_or_else(|e| panic!("{command:?}: {e}"));
        } else {
            assert!(text.contains(&first_secret(&rotated_text())), "{text}");
        }
    }
    std::fs::remove_dir_all(dir).ok();
}

#[test]
fn key_bytes_redirected_to_a_readable_file_are_warned_about() {
    let dir = temp_dir();
    let path = dir.join("keyring.txt");
    let output = Command::new("sh")
        .arg("-c")
        .arg("umask 022 && exec \"$0\" keygen > \"$1\"")
        .arg(BIN)
        .arg(&path)
        .output()
        .unwrap();
    assert!(output.status.success());
    let err = stderr(&output);
    assert!(err.contains("others may read (mode 0644)"), "{err}");
    assert!(err.contains("--out PATH"), "{err}");
    Keyring::from_text(&read(&path)).unwrap();
    // Not for a pipe, nor for a listing without key bytes.
    assert!(!stderr(&run(&["keygen"], None)).contains("warning"));
    std::fs::remove_dir_all(dir).ok();
}

#[test]
fn errors_never_echo_key_material_given_in_the_wrong_place() {
    let ring = two_key_text();
    let secret = first_secret(&ring);
    assert_eq!(secret.len(), 43);
    let path = temp_file(&ring);
    let p = path.to_str().unwrap();
    for material in [ring.as_str(), secret.as_str()] {
        let as_flag = format!("--{material}");
        let inline = format!("--keyring={material}");
        let inline_value = format!("--not-after={material}");
        let as_cookie = format!("{material}=1; theme=dark");
        let m = material;
        let cases: Vec<Vec<&str>> = vec![
            vec![m],
            vec!["keyring", m],
            vec!["keygen", m],
            vec!["keygen", &as_flag],
            vec!["keygen", &inline],
            vec!["keygen", "--not-before", m],
            vec!["keygen", &inline_value],
            vec!["keyring", "promote", m, "--keyring-file", p],
            vec!["keyring", "retire", m, "--keyring-file", p],
            vec!["keyring", "remove", m, "--keyring-file", p],
            vec![
                "keyring",
                "promote",
                "0000000a",
                "--at",
                m,
                "--keyring-file",
                p,
            ],
            vec!["keyring", "list", "--keyring-file", m],
            vec!["keyring", "list", "--at", m, "--keyring-file", p],
            vec!["keyring", "list", "--keyring-file", p, m],
            vec!["keyring", "list", "--keyring-file", p, &as_flag],
            vec!["inspect", m],
            vec!["inspect", &as_cookie],
            vec!["inspect", "theme=dark", "--cookie-name", m],
            vec!["open", m, "--keyring-file", p],
            vec!["open", &as_cookie, "--keyring-file", p],
            vec![
                "open",
                "theme=dark",
                "--keyring-file",
                p,
                "--cookie-name",
                m,
            ],
            vec!["open", "x", "--keyring-file", p, "--mode", m],
            vec!["open", "x", "--keyring-file", p, "--idle", m],
            vec!["open", "x", "--keyring-file", p, "--absolute", m],
            vec!["open", "x", "--keyring-file", p, "--at", m],
            vec!["open", "AQAB", "--keyring-file", p, "--purpose", m],
        ];
        for args in &cases {
            let output = run(args, None);
            let err = stderr(&output);
            assert!(!output.status.success(), "{args:.60?} succeeded");
            assert!(err.starts_with("sealed-session: "), "{err}");
            assert!(
                !err.contains(&secret),
                "{args:.60?} echoed the secret: {err}"
            );
            assert!(!err.contains(material), "{args:.60?} echoed it: {err}");
            assert!(!stdout(&output).contains(&secret), "{args:.60?}");
        }
    }
    // A secret where the keyring should be.
    let err = fails(&run(&["keyring", "list"], Some(&secret)), 1);
    assert!(err.contains("SEALED_SESSION_KEYRING"));
    assert!(!err.contains(&secret), "{err}");
    std::fs::remove_file(path).ok();
}

#[test]
fn inputs_are_read_up_to_a_bound() {
    // The keyring: at most 4096 bytes, from a file, standard input or the environment.
    let err = fails(
        &run_bounded(
            &["keyring", "list", "--keyring-file", "/dev/zero"],
            None,
            None,
        ),
        1,
    );
    assert!(
        err.contains("--keyring-file holds more than 4096 bytes"),
        "{err}"
    );
    let err = fails(
        &run_bounded(
            &["keyring", "list", "--keyring-file", "-"],
            None,
            Some("/dev/zero"),
        ),
        1,
    );
    assert!(err.contains("more than 4096 bytes"), "{err}");
    let text = two_key_text();
    let long_env = format!("{text}{}", " ".repeat(4096));
    let err = fails(&run(&["keyring", "list"], Some(&long_env)), 1);
    assert!(err.contains("more than 4096 bytes"), "{err}");
    // Up to the bound, surrounding whitespace is fine.
    let padded = temp_file(&format!("{text}{}", "\n".repeat(4096 - text.len())));
    let listed = ok(&run_bounded(
        &[
            "keyring",
            "list",
            "--keyring-file",
            padded.to_str().unwrap(),
        ],
        None,
        None,
    ));
    assert!(listed.contains("0000000b"));
    let too_long = temp_file(&format!("{text}{}", "\n".repeat(4097 - text.len())));
    fails(
        &run_bounded(
            &[
                "keyring",
                "list",
                "--keyring-file",
                too_long.to_str().unwrap(),
            ],
            None,
            None,
        ),
        1,
    );

    // The value: at most 70 KiB, from standard input or the argument.
    let ring = padded.to_str().unwrap();
    for args in [&["inspect"][..], &["open", "--keyring-file", ring][..]] {
        let err = fails(&run_bounded(args, None, Some("/dev/zero")), 1);
        assert!(err.contains("more than 71680 bytes"), "{args:?}: {err}");
    }
    let err = fails(&run(&["inspect", &"A".repeat(71_681)], None), 1);
    assert!(err.contains("more than 71680 bytes"), "{err}");
    std::fs::remove_file(padded).ok();
    std::fs::remove_file(too_long).ok();
}

#[test]
fn retiring_or_removing_the_primary_needs_force() {
    let text = rotated_text();
    let (a, c) = (KeyId::new(0xa), KeyId::new(0xc));

    let err = fails(&run(&["keyring", "retire", "0000000c"], Some(&text)), 1);
    assert!(err.contains("key 0000000c is the primary at "), "{err}");
    assert!(
        err.contains("refuse the sessions sealed under it while nodes with the old keyring keep sealing under it"),
        "{err}"
    );
    assert!(
        err.contains("promote another key first, or pass --force"),
        "{err}"
    );
    // In the future too, while it is still the primary then.
    let err = fails(
        &run(
            &["keyring", "retire", "0000000c", "--at", "+1h"],
            Some(&text),
        ),
        1,
    );
    assert!(err.contains("is the primary at"), "{err}");

    let output = run(&["keyring", "retire", "0000000c", "--force"], Some(&text));
    let retired = ok(&output);
    assert!(stderr(&output).contains("warning (--force)"));
    let ring = Keyring::from_text(&retired).unwrap();
    let later = SystemTime::now() + Duration::from_secs(1);
    assert_eq!(ring.state(c, later), Some(KeyState::Retired));
    assert_eq!(ring.primary(later).map(Key::id), Some(a));
    let listing = ok(&run(&["keyring", "list", "--at", "+1s"], Some(&retired)));
    assert!(
        listing
            .lines()
            .any(|l| l.starts_with("0000000c") && l.contains(" retired ")),
        "{listing}"
    );
    // A retired key is not retired again later (which would make it open again).
    let err = fails(
        &run(
            &["keyring", "retire", "0000000c", "--at", "+1d"],
            Some(&retired),
        ),
        1,
    );
    assert!(err.contains("already retired"), "{err}");

    // The README's recipe needs no --force: the old key retires after the new one seals.
    ok(&run(
        &["keyring", "retire", "0000000a", "--at", "+25h"],
        Some(&two_key_text()),
    ));
    // Nor does retiring a key that is not the primary.
    ok(&run(&["keyring", "retire", "0000000a"], Some(&text)));

    let err = fails(&run(&["keyring", "remove", "0000000c"], Some(&text)), 1);
    assert!(err.contains("key 0000000c is the primary at "), "{err}");
    assert!(
        err.contains("unable to open the sessions sealed under it"),
        "{err}"
    );
    assert!(err.contains("or pass --force"), "{err}");
    let removed = ok(&run(
        &["keyring", "remove", "0000000c", "--force"],
        Some(&text),
    ));
    let ring = Keyring::from_text(&removed).unwrap();
    assert_eq!(ring.keys().map(Key::id).collect::<Vec<_>>(), [a]);
    ok(&run(&["keyring", "remove", "0000000a"], Some(&text)));
    // --force never lets through a keyring with no key to seal with.
    assert!(
        fails(
            &run(
                &["keyring", "retire", "0000000a", "--force"],
                Some(&two_key_text())
            ),
            1
        )
        .contains("no key that seals")
    );
}

#[test]
fn adding_a_key_dated_in_the_past_needs_force() {
    let one = Keyring::new([key_a()]).unwrap().to_text().to_string();
    let err = fails(
        &run(&["keyring", "add", "--not-before", "0"], Some(&one)),
        1,
    );
    assert!(
        err.contains("--not-before 1970-01-01T00:00:00Z is in the past"),
        "{err}"
    );
    assert!(err.contains("would seal at once"), "{err}");
    assert!(err.contains("or pass --force"), "{err}");
    assert!(!err.contains("roll the new keyring out"), "{err}");

    let output = run(
        &["keyring", "add", "--not-before", "0", "--force"],
        Some(&one),
    );
    let ring = Keyring::from_text(&ok(&output)).unwrap();
    assert_eq!(ring.keys().count(), 2);
    let new = ring.keys().nth(1).unwrap().id();
    assert_eq!(ring.primary(SystemTime::now()).map(Key::id), Some(new));
    assert!(
        stderr(&output).contains("roll it out at once"),
        "{}",
        stderr(&output)
    );

    // 'now' (a leaked key) needs none, and says what it does.
    let output = run(&["keyring", "add", "--not-before", "now"], Some(&one));
    ok(&output);
    assert!(
        stderr(&output).contains("it seals now"),
        "{}",
        stderr(&output)
    );

    // Behind a later key's not_before, it would never seal.
    let past = (now_unix() - 7200).to_string();
    let err = fails(
        &run(
            &["keyring", "add", "--not-before", &past],
            Some(&rotated_text()),
        ),
        1,
    );
    assert!(
        err.contains("not become the primary: key 0000000c"),
        "{err}"
    );
}

#[test]
fn open_reads_the_value_from_standard_input_and_names_a_retired_key_as_list_does() {
    let text = rotated_text();
    let codec = Codec::<u8>::builder(Keyring::from_text(&text).unwrap())
        .mode(Mode::Signed)
        .purpose("api")
        .build()
        .unwrap();
    let token = codec.seal_token(&7, None, SystemTime::now()).unwrap();
    let args = [
        "open",
        "--mode",
        "signed",
        "--purpose",
        "api",
        "--at",
        "+2s",
    ];
    let out = ok(&run_with(&args, Some(&text), &format!("{token}\n")));
    assert!(out.contains("key id:         0000000c (primary)"), "{out}");
    assert!(out.contains("payload hex:    07"), "{out}");
    let mut dash = args.to_vec();
    dash.push("-");
    assert!(ok(&run_with(&dash, Some(&text), &token)).contains("payload hex:    07"));

    let retired = ok(&run(
        &["keyring", "retire", "0000000c", "--force"],
        Some(&text),
    ));
    let err = fails(&run_with(&args, Some(&retired), &token), 1);
    assert!(
        err.contains("key id 0000000c, which this keyring has retired"),
        "{err}"
    );
    assert!(err.contains("key 0000000c retired at "), "{err}");
    assert!(err.contains("'keyring list' shows it as retired"), "{err}");
    let listing = ok(&run(&["keyring", "list", "--at", "+2s"], Some(&retired)));
    assert!(
        listing
            .lines()
            .any(|l| l.starts_with("0000000c") && l.contains(" retired ")),
        "{listing}"
    );

    // Without the key at all, the key is unknown, not retired.
    let removed = ok(&run(
        &["keyring", "remove", "0000000c", "--force"],
        Some(&text),
    ));
    let err = fails(&run_with(&args, Some(&removed), &token), 1);
    assert!(err.contains("which this keyring does not hold"), "{err}");
    assert!(!err.contains("retired"), "{err}");
}

#[test]
fn help_and_readme_keep_credentials_out_of_arguments_and_keys_out_of_shared_files() {
    let help = ok(&run(&["help"], None));
    assert!(help.contains("/proc/PID/cmdline"), "{help}");
    assert!(help.contains("--out PATH"));
    assert!(help.contains("< cookie.txt"));

    let readme = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/README.md"))
        .expect("README.md");
    let section = readme
        .split("\n## Operating keys\n")
        .nth(1)
        .expect("an Operating keys section")
        .split("\n## ")
        .next()
        .unwrap();
    let commands: Vec<&str> = section
        .lines()
        .map(|l| l.split(" #").next().unwrap().trim())
        .filter(|l| l.starts_with("sealed-session "))
        .collect();
    assert!(commands.len() >= 9, "{commands:?}");
    for command in commands {
        let prints_keys = ["keygen", "keyring add", "keyring promote", "keyring retire"]
            .iter()
            .chain(&["keyring remove", "--show-secrets"])
            .any(|c| command.contains(c));
        if prints_keys {
            assert!(command.contains(" --out "), "no --out: {command}");
            assert!(!command.contains('>'), "a redirection: {command}");
        }
        if command.contains(" open") || command.contains(" inspect") {
            assert!(
                command.contains(" < ") || command.contains(" <<< "),
                "{command}"
            );
            assert!(!command.contains("__Host-session="), "{command}");
        }
    }
}

#[test]
fn promoting_from_a_time_in_the_past_needs_force() {
    let start = two_key_text();
    let past = (now_unix() - 600).to_string();
    let err = fails(
        &run(
            &["keyring", "promote", "0000000b", "--at", &past],
            Some(&start),
        ),
        1,
    );
    assert!(
        err.contains("is in the past: key 0000000b would seal at once"),
        "{err}"
    );
    assert!(err.contains("or pass --force"), "{err}");

    let output = run(
        &["keyring", "promote", "0000000b", "--at", &past, "--force"],
        Some(&start),
    );
    let ring = Keyring::from_text(&ok(&output)).unwrap();
    assert_eq!(
        ring.primary(SystemTime::now()).map(Key::id),
        Some(KeyId::new(0xb))
    );
    assert!(
        stderr(&output).contains("warning (--force)"),
        "{}",
        stderr(&output)
    );

    // Behind a later key's not_before, the promoted key is not the primary now.
    let rotated = rotated_text();
    let long_ago = (now_unix() - 7200).to_string();
    let err = fails(
        &run(
            &["keyring", "promote", "0000000a", "--at", &long_ago],
            Some(&rotated),
        ),
        1,
    );
    assert!(
        err.contains("not be the primary now: key 0000000c"),
        "{err}"
    );

    // 'now' and a time ahead need none.
    ok(&run(
        &["keyring", "promote", "0000000b", "--at", "now"],
        Some(&start),
    ));
    ok(&run(
        &["keyring", "promote", "0000000b", "--at", "+1h"],
        Some(&start),
    ));
}

#[test]
fn keygen_with_a_not_after_not_ahead_needs_force() {
    for when in ["0", "now"] {
        let err = fails(&run(&["keygen", "--not-after", when], None), 1);
        assert!(err.contains("is not in the future"), "{err}");
        assert!(err.contains("would open nothing and seal nothing"), "{err}");
        assert!(err.contains("or pass --force"), "{err}");
    }
    let output = run(&["keygen", "--not-after", "0", "--force"], None);
    let ring = Keyring::from_text(&ok(&output)).unwrap();
    assert_eq!(ring.primary(SystemTime::now()), None);
    assert!(stderr(&output).contains("warning (--force)"));
    ok(&run(&["keygen", "--not-after", "+1d"], None));
}
