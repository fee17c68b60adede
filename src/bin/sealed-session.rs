//! `sealed-session`: the operator's tool for keyrings and sealed cookies.
//!
//! ```text
//! sealed-session keygen [--not-before WHEN] [--not-after WHEN]
//! sealed-session keyring add [--not-before WHEN] [--not-after WHEN]
//! sealed-session keyring promote ID [--at WHEN]
//! sealed-session keyring retire ID [--at WHEN]
//! sealed-session keyring remove ID
//! sealed-session keyring list [--at WHEN] [--show-secrets]
//! sealed-session inspect [VALUE] [--cookie-name NAME]
//! sealed-session open [VALUE] [--cookie-name NAME] [--purpose P] [--mode encrypted|signed]
//!                     [--at WHEN] [--idle SECS|none] [--absolute SECS|none]  (caps only)
//! ```
//!
//! Keyring input comes from `--keyring-file PATH` (`-` for standard input) or the environment
//! variable `SEALED_SESSION_KEYRING`, in the keyring's one-line text form (`ssk1,...`). Commands
//! that change a keyring print the new text on standard output (and notes on standard error), so
//! they compose: `sealed-session keyring add --keyring-file ring.txt > ring.new`.
//!
//! Arguments are parsed by hand, without a dependency: a dozen flags do not justify adding a
//! parser to the crate's dependency tree (and to its audit surface); the `cli` feature adds no
//! dependency at all. Every error is a message on standard error and a non-zero exit status
//! (1: the input is wrong or does not open; 2: the command line is wrong), never a panic.
#![forbid(unsafe_code)]

use std::fmt::Write as _;
use std::io::{self, Read, Write};
use std::process::ExitCode;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use zeroize::Zeroizing;

use sealed_session::{
    Codec, Error, Expiry, Inspection, Key, KeyId, KeyState, Keyring, MAX_TOTAL_BYTES, Metadata,
    Mode, RequestCookies,
};

const KEYRING_ENV: &str = "SEALED_SESSION_KEYRING";

const USAGE: &str = "\
usage: sealed-session <command> [options]

commands:
  keygen [--not-before WHEN] [--not-after WHEN]
      print a new one-key keyring
  keyring add [--not-before WHEN] [--not-after WHEN]
      add a new key (default --not-before +1h: it starts sealing in an hour, after the new
      keyring has reached every node); prints the new keyring
  keyring promote ID [--at WHEN]
      make key ID the primary from WHEN (default now); prints the new keyring
  keyring retire ID [--at WHEN]
      stop key ID from opening anything from WHEN (default now); prints the new keyring
  keyring remove ID
      drop key ID; prints the new keyring
  keyring list [--at WHEN] [--show-secrets]
      key ids, states and dates (key bytes only with --show-secrets)
  inspect [VALUE] [--cookie-name NAME]
      what a sealed cookie or token shows without keys: version, mode, key id, chunks, sizes
  open [VALUE] [--cookie-name NAME] [--purpose P] [--mode encrypted|signed] [--at WHEN]
       [--idle SECS|none] [--absolute SECS|none]
      open a sealed cookie or token with the keyring: metadata and the payload in hex;
      --idle and --absolute are the opener's policy, which can only shorten the lifetime a
      format-2 value carries (format 1 carries none: they are its lifetime)

keyring input (keyring and open commands):
  --keyring-file PATH    the keyring text, '-' for standard input
  SEALED_SESSION_KEYRING the keyring text, when --keyring-file is not given

VALUE is a Cookie header ('name=value; ...', a leading 'Cookie:' is ignored) or a token;
without VALUE, or with '-', it is read from standard input.
WHEN is Unix seconds, 'now', or '+N' with an optional unit s, m, h or d (relative to now).
";

/// What went wrong, and how to exit.
enum Failure {
    /// The command line is wrong (exit 2, with a pointer to the usage).
    Usage(String),
    /// The input is wrong, or does not open (exit 1).
    Input(String),
}

type Outcome = Result<(), Failure>;

fn usage(message: impl Into<String>) -> Failure {
    Failure::Usage(message.into())
}

fn input(message: impl Into<String>) -> Failure {
    Failure::Input(message.into())
}

fn main() -> ExitCode {
    let args: Vec<String> = match std::env::args_os()
        .skip(1)
        .map(|a| a.into_string())
        .collect::<Result<_, _>>()
    {
        Ok(args) => args,
        Err(_) => {
            eprintln!("sealed-session: arguments must be valid UTF-8");
            return ExitCode::from(2);
        }
    };
    match run(&args) {
        Ok(()) => ExitCode::SUCCESS,
        Err(Failure::Usage(message)) => {
            eprintln!("sealed-session: {message}\n(run 'sealed-session help' for usage)");
            ExitCode::from(2)
        }
        Err(Failure::Input(message)) => {
            eprintln!("sealed-session: {message}");
            ExitCode::from(1)
        }
    }
}

fn run(args: &[String]) -> Outcome {
    let (command, rest) = args
        .split_first()
        .ok_or_else(|| usage("no command given"))?;
    match command.as_str() {
        "help" | "--help" | "-h" => print(USAGE),
        "keygen" => keygen(&Parsed::new(
            rest,
            &[],
            &["--not-before", "--not-after"],
            &[],
        )?),
        "keyring" => {
            let (sub, rest) = rest.split_first().ok_or_else(|| {
                usage("keyring needs a subcommand: add, promote, retire, remove or list")
            })?;
            match sub.as_str() {
                "add" => keyring_add(&Parsed::new(
                    rest,
                    &[],
                    &["--keyring-file", "--not-before", "--not-after"],
                    &[],
                )?),
                "promote" => keyring_promote(&Parsed::new(
                    rest,
                    &["ID"],
                    &["--keyring-file", "--at"],
                    &[],
                )?),
                "retire" => keyring_retire(&Parsed::new(
                    rest,
                    &["ID"],
                    &["--keyring-file", "--at"],
                    &[],
                )?),
                "remove" => keyring_remove(&Parsed::new(rest, &["ID"], &["--keyring-file"], &[])?),
                "list" => keyring_list(&Parsed::new(
                    rest,
                    &[],
                    &["--keyring-file", "--at"],
                    &["--show-secrets"],
                )?),
                other => Err(usage(format!("unknown keyring subcommand '{other}'"))),
            }
        }
        "inspect" => inspect(&Parsed::new(rest, &["VALUE?"], &["--cookie-name"], &[])?),
        "open" => open(&Parsed::new(
            rest,
            &["VALUE?"],
            &[
                "--keyring-file",
                "--cookie-name",
                "--purpose",
                "--mode",
                "--at",
                "--idle",
                "--absolute",
            ],
            &[],
        )?),
        other => Err(usage(format!("unknown command '{other}'"))),
    }
}

/// A command's arguments: positionals in order, and `--flag value` / `--flag=value` options.
struct Parsed {
    positionals: Vec<String>,
    options: Vec<(String, String)>,
    switches: Vec<String>,
}

impl Parsed {
    /// Parses `args` against what the command accepts. A positional named with a trailing `?`
    /// is optional.
    fn new(
        args: &[String],
        positionals: &[&str],
        options: &[&str],
        switches: &[&str],
    ) -> Result<Parsed, Failure> {
        let mut parsed = Parsed {
            positionals: Vec::new(),
            options: Vec::new(),
            switches: Vec::new(),
        };
        let mut args = args.iter();
        while let Some(arg) = args.next() {
            if arg.starts_with("--") {
                let (name, inline) = match arg.split_once('=') {
                    Some((name, value)) => (name, Some(value.to_owned())),
                    None => (arg.as_str(), None),
                };
                if switches.contains(&name) {
                    if inline.is_some() {
                        return Err(usage(format!("{name} takes no value")));
                    }
                    parsed.switches.push(name.to_owned());
                } else if options.contains(&name) {
                    let value = match inline {
                        Some(value) => value,
                        None => args
                            .next()
                            .cloned()
                            .ok_or_else(|| usage(format!("{name} needs a value")))?,
                    };
                    if parsed.options.iter().any(|(n, _)| n == name) {
                        return Err(usage(format!("{name} given twice")));
                    }
                    parsed.options.push((name.to_owned(), value));
                } else {
                    return Err(usage(format!("unknown option '{name}' for this command")));
                }
            } else {
                parsed.positionals.push(arg.clone());
            }
        }
        let required = positionals.iter().filter(|p| !p.ends_with('?')).count();
        if parsed.positionals.len() < required {
            return Err(usage(format!(
                "missing argument {}",
                positionals[parsed.positionals.len()]
            )));
        }
        if parsed.positionals.len() > positionals.len() {
            return Err(usage(format!(
                "unexpected argument '{}'",
                parsed.positionals[positionals.len()]
            )));
        }
        Ok(parsed)
    }

    fn option(&self, name: &str) -> Option<&str> {
        self.options
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }

    fn switch(&self, name: &str) -> bool {
        self.switches.iter().any(|s| s == name)
    }

    fn positional(&self, index: usize) -> Option<&str> {
        self.positionals.get(index).map(String::as_str)
    }

    /// A time option, or `default`.
    fn time(&self, name: &str, now: u64, default: u64) -> Result<u64, Failure> {
        self.option(name)
            .map_or(Ok(default), |text| parse_when(text, now, name))
    }
}

fn print(text: &str) -> Outcome {
    let mut out = io::stdout().lock();
    out.write_all(text.as_bytes())
        .and_then(|()| out.flush())
        .map_err(|e| input(format!("cannot write to standard output: {e}")))
}

fn now_unix() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

fn unix(t: SystemTime) -> u64 {
    t.duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs())
}

fn system_time(secs: u64) -> SystemTime {
    UNIX_EPOCH + Duration::from_secs(secs)
}

/// `WHEN`: Unix seconds, `now`, or `+N[s|m|h|d]`.
fn parse_when(text: &str, now: u64, flag: &str) -> Result<u64, Failure> {
    let bad = || {
        usage(format!(
            "{flag} '{text}' is not Unix seconds, 'now' or '+N[s|m|h|d]'"
        ))
    };
    if text == "now" {
        return Ok(now);
    }
    let secs = if let Some(relative) = text.strip_prefix('+') {
        let (digits, unit) = match relative.char_indices().last() {
            Some((i, c)) if c.is_ascii_alphabetic() => (&relative[..i], c),
            _ => (relative, 's'),
        };
        let multiplier = match unit {
            's' => 1,
            'm' => 60,
            'h' => 3600,
            'd' => 86_400,
            _ => return Err(bad()),
        };
        let n = parse_digits(digits).ok_or_else(bad)?;
        n.checked_mul(multiplier)
            .and_then(|d| now.checked_add(d))
            .ok_or_else(bad)?
    } else {
        parse_digits(text).ok_or_else(bad)?
    };
    // The keyring text and HTTP dates stop at the year 9999.
    if secs > 253_402_300_799 {
        return Err(bad());
    }
    Ok(secs)
}

fn parse_digits(text: &str) -> Option<u64> {
    if text.is_empty() || text.len() > 15 || !text.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    text.parse().ok()
}

/// `2027-01-15T08:00:00Z` for Unix seconds (UTC, proleptic Gregorian).
fn rfc3339(secs: u64) -> String {
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

fn describe_time(secs: u64) -> String {
    format!("{} ({secs})", rfc3339(secs))
}

fn read_stdin(what: &str) -> Result<String, Failure> {
    let mut text = String::new();
    io::stdin()
        .take(1 << 20)
        .read_to_string(&mut text)
        .map_err(|e| input(format!("cannot read {what} from standard input: {e}")))?;
    Ok(text)
}

/// The keyring from `--keyring-file` or the environment.
fn load_keyring(parsed: &Parsed) -> Result<Keyring, Failure> {
    let (text, source) = match parsed.option("--keyring-file") {
        Some("-") => (read_stdin("the keyring")?, "standard input".to_owned()),
        Some(path) => {
            let text = std::fs::read(path)
                .map_err(|e| input(format!("cannot read keyring file {path}: {e}")))?;
            let text = String::from_utf8(text)
                .map_err(|_| input(format!("keyring file {path} is not UTF-8 text")))?;
            (text, format!("keyring file {path}"))
        }
        None => match std::env::var(KEYRING_ENV) {
            Ok(text) => (text, KEYRING_ENV.to_owned()),
            Err(std::env::VarError::NotPresent) => {
                return Err(usage(format!(
                    "no keyring: give --keyring-file PATH or set {KEYRING_ENV}"
                )));
            }
            Err(std::env::VarError::NotUnicode(_)) => {
                return Err(input(format!("{KEYRING_ENV} is not UTF-8 text")));
            }
        },
    };
    // The error names the entry and the rule, never the text.
    Keyring::from_text(&text).map_err(|e| input(format!("{source}: {e}")))
}

fn print_keyring(ring: &Keyring) -> Outcome {
    let mut text = ring.to_text();
    text.push('\n');
    print(&text)
}

fn parse_id(text: &str) -> Result<KeyId, Failure> {
    text.parse::<KeyId>()
        .map_err(|_| usage(format!("'{text}' is not a key id (8 lowercase hex digits)")))
}

fn find_key(ring: &Keyring, id: KeyId) -> Result<Key, Failure> {
    ring.keys()
        .find(|k| k.id() == id)
        .cloned()
        .ok_or_else(|| input(format!("no key {id} in the keyring")))
}

fn rebuild(keys: Vec<Key>) -> Result<Keyring, Failure> {
    Keyring::new(keys).map_err(|e| input(format!("the new keyring would be invalid: {e}")))
}

fn keygen(parsed: &Parsed) -> Outcome {
    let now = now_unix();
    let mut key = Key::generate().map_err(|e| input(e.to_string()))?;
    if parsed.option("--not-before").is_some() {
        key = key.with_not_before(system_time(parsed.time("--not-before", now, now)?));
    }
    if parsed.option("--not-after").is_some() {
        key = key.with_not_after(system_time(parsed.time("--not-after", now, now)?));
    }
    let ring = rebuild(vec![key])?;
    print_keyring(&ring)
}

fn keyring_add(parsed: &Parsed) -> Outcome {
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
    let mut keys: Vec<Key> = ring.keys().cloned().collect();
    keys.push(key);
    let ring = rebuild(keys)?;
    eprintln!(
        "added key {id}: it opens values now and seals from {}; roll the new keyring out to every node before then",
        rfc3339(not_before)
    );
    print_keyring(&ring)
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

fn keyring_promote(parsed: &Parsed) -> Outcome {
    let ring = load_keyring(parsed)?;
    let id = parse_id(parsed.positional(0).unwrap_or_default())?;
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
    if ring.primary(system_time(at)).map(Key::id) != Some(id) {
        return Err(input(format!(
            "key {id} would still not be the primary at {}: another key's not_before is later",
            rfc3339(at)
        )));
    }
    if let Some(later) = ring
        .keys()
        .filter_map(|k| k.not_before().map(unix))
        .filter(|&nb| nb > at)
        .min()
    {
        eprintln!(
            "note: a key scheduled for {} takes over from {id} then",
            rfc3339(later)
        );
    }
    eprintln!("key {id} seals from {}", rfc3339(at));
    print_keyring(&ring)
}

fn keyring_retire(parsed: &Parsed) -> Outcome {
    let ring = load_keyring(parsed)?;
    let id = parse_id(parsed.positional(0).unwrap_or_default())?;
    let now = now_unix();
    let at = parsed.time("--at", now, now)?;
    let key = find_key(&ring, id)?;
    if key.not_before().is_some_and(|nb| unix(nb) >= at) {
        return Err(input(format!(
            "key {id} would retire before it starts sealing; remove it instead"
        )));
    }
    let ring = rebuild(with_key_changed(&ring, id, |k| {
        k.with_not_after(system_time(at))
    }))?;
    if ring.primary(system_time(at)).is_none() {
        return Err(input(format!(
            "retiring key {id} would leave no key that seals at {}; add and promote another first",
            rfc3339(at)
        )));
    }
    eprintln!(
        "key {id} opens nothing from {}; sessions it sealed that were not re-sealed by then end",
        rfc3339(at)
    );
    print_keyring(&ring)
}

fn keyring_remove(parsed: &Parsed) -> Outcome {
    let ring = load_keyring(parsed)?;
    let id = parse_id(parsed.positional(0).unwrap_or_default())?;
    find_key(&ring, id)?;
    let keys: Vec<Key> = ring.keys().filter(|k| k.id() != id).cloned().collect();
    if keys.is_empty() {
        return Err(input(format!(
            "key {id} is the only key; a keyring needs one"
        )));
    }
    let ring = rebuild(keys)?;
    if ring.primary(SystemTime::now()).is_none() {
        return Err(input(format!(
            "removing key {id} would leave no key that seals now; promote another first"
        )));
    }
    eprintln!("removed key {id}: values it sealed no longer open");
    print_keyring(&ring)
}

fn state_name(state: Option<KeyState>) -> &'static str {
    match state {
        Some(KeyState::Primary) => "primary",
        Some(KeyState::Pending) => "pending",
        Some(KeyState::Previous) => "previous",
        Some(KeyState::Retired) => "retired",
        _ => "unknown",
    }
}

fn keyring_list(parsed: &Parsed) -> Outcome {
    let ring = load_keyring(parsed)?;
    let now = now_unix();
    let at = parsed.time("--at", now, now)?;
    let show = parsed.switch("--show-secrets");
    // The listing may hold key bytes: wiped when dropped.
    let mut out = Zeroizing::new(format!(
        "keyring at {}\n{:<10} {:<9} {:<34} {}\n",
        describe_time(at),
        "id",
        "state",
        "not_before",
        if show {
            format!("{:<34} key", "not_after")
        } else {
            "not_after".to_owned()
        }
    ));
    // The text form renders keys in order: entry i+1 is key i.
    let text = if show { Some(ring.to_text()) } else { None };
    let entries: Vec<&str> = text
        .as_ref()
        .map(|t| t.split(',').skip(1).collect())
        .unwrap_or_default();
    for (i, key) in ring.keys().enumerate() {
        let date =
            |t: Option<SystemTime>| t.map_or_else(|| "-".to_owned(), |t| describe_time(unix(t)));
        let _ = write!(
            out,
            "{:<10} {:<9} {:<34} {:<34}",
            key.id().to_string(),
            state_name(ring.state(key.id(), system_time(at))),
            date(key.not_before()),
            date(key.not_after()),
        );
        if let Some(entry) = entries.get(i) {
            let secret = entry.split('.').nth(1).unwrap_or_default();
            let _ = write!(out, " {secret}");
        }
        let trimmed = out.trim_end_matches(' ').len();
        out.truncate(trimmed);
        out.push('\n');
    }
    print(&out)
}

/// The value argument: a Cookie header or a token, from the argument or standard input.
fn read_value(parsed: &Parsed) -> Result<String, Failure> {
    let text = match parsed.positional(0) {
        None | Some("-") => read_stdin("the value")?,
        Some(text) => text.to_owned(),
    };
    let text = text.trim();
    let text = match text.get(..7) {
        Some(prefix) if prefix.eq_ignore_ascii_case("cookie:") => text[7..].trim(),
        _ => text,
    };
    if text.is_empty() {
        return Err(input("no value given (a Cookie header or a token)"));
    }
    Ok(text.to_owned())
}

fn cookie_name(parsed: &Parsed) -> &str {
    parsed
        .option("--cookie-name")
        .unwrap_or(sealed_session::DEFAULT_COOKIE_NAME)
}

fn is_cookie_header(value: &str) -> bool {
    // Tokens are base64url: they never hold '='.
    value.contains('=')
}

fn cookie_names(header: &str) -> String {
    let names: Vec<&str> = RequestCookies::from_header(header)
        .iter()
        .map(|(n, _)| n)
        .collect();
    if names.is_empty() {
        "none".to_owned()
    } else {
        names.join(", ")
    }
}

fn mode_name(mode: Mode) -> &'static str {
    match mode {
        Mode::Encrypted => "encrypted (XAES-256-GCM)",
        Mode::Signed => "signed (HMAC-SHA256)",
        _ => "other",
    }
}

fn inspect(parsed: &Parsed) -> Outcome {
    let value = read_value(parsed)?;
    let name = cookie_name(parsed);
    let facts = if is_cookie_header(&value) {
        Inspection::of_cookies(&RequestCookies::from_header(&value), name)
            .map_err(|e| input(format!("not a sealed session: {e}")))?
            .ok_or_else(|| {
                input(format!(
                    "no cookie named {name} (cookies present: {}); use --cookie-name",
                    cookie_names(&value)
                ))
            })?
    } else {
        Inspection::of_token(&value).map_err(|e| input(format!("not a sealed session: {e}")))?
    };
    print(&format!(
        "format version: {}\nmode:           {}\nkey id:         {}\nchunks:         {}\nenvelope bytes: {}\ncookie bytes:   {}\n(nothing here is authenticated: use 'open' with the keyring to check it)\n",
        facts.format_version(),
        mode_name(facts.mode()),
        facts.key_id(),
        facts.chunk_count(),
        facts.envelope_len(),
        facts.cookie_bytes(),
    ))
}

fn parse_duration_option(
    parsed: &Parsed,
    name: &str,
    default: Option<Duration>,
) -> Result<Option<Duration>, Failure> {
    match parsed.option(name) {
        None => Ok(default),
        Some("none") => Ok(None),
        Some(text) => parse_digits(text)
            .filter(|&s| s > 0)
            .map(|s| Some(Duration::from_secs(s)))
            .ok_or_else(|| {
                usage(format!(
                    "{name} '{text}' is not a positive number of seconds or 'none'"
                ))
            }),
    }
}

fn open(parsed: &Parsed) -> Outcome {
    if parsed.option("--keyring-file") == Some("-")
        && matches!(parsed.positional(0), None | Some("-"))
    {
        return Err(usage(
            "the keyring and the value cannot both come from standard input",
        ));
    }
    let ring = load_keyring(parsed)?;
    let value = read_value(parsed)?;
    let name = cookie_name(parsed);
    let mode = match parsed.option("--mode") {
        None | Some("encrypted") => Mode::Encrypted,
        Some("signed") => Mode::Signed,
        Some(other) => {
            return Err(usage(format!(
                "--mode '{other}' is not 'encrypted' or 'signed'"
            )));
        }
    };
    let defaults = Expiry::default();
    let expiry = Expiry::default()
        .idle(parse_duration_option(
            parsed,
            "--idle",
            defaults.idle_timeout(),
        )?)
        .absolute(parse_duration_option(
            parsed,
            "--absolute",
            defaults.absolute_lifetime(),
        )?);
    let now = now_unix();
    let at = system_time(parsed.time("--at", now, now)?);
    let codec = Codec::<()>::builder(ring)
        .cookie_name(name)
        .purpose(
            parsed
                .option("--purpose")
                .unwrap_or(sealed_session::DEFAULT_PURPOSE),
        )
        .mode(mode)
        .expiry(expiry)
        .max_total_bytes(MAX_TOTAL_BYTES)
        .build()
        .map_err(|e| usage(e.to_string()))?;
    let opened = if is_cookie_header(&value) {
        codec
            .open_bytes(&RequestCookies::from_header(&value), at)
            .map_err(open_failure)?
            .ok_or_else(|| {
                input(format!(
                    "no cookie named {name} (cookies present: {}); use --cookie-name",
                    cookie_names(&value)
                ))
            })?
    } else {
        codec.open_token_bytes(&value, at).map_err(open_failure)?
    };
    let meta = &opened.metadata;
    let mut out = describe_metadata(meta, codec.keyring(), at);
    let _ = writeln!(out, "payload bytes:  {}", opened.session.len());
    let _ = writeln!(out, "payload hex:    {}", hex(&opened.session));
    print(&out)
}

fn open_failure(error: Error) -> Failure {
    let hint = match error {
        Error::Authentication => {
            " (a different keyring, cookie name, purpose or mode, a tampered value, or a cookie \
             value given without its 'name=': format-2 cookies do not open as tokens)"
        }
        Error::UnknownKey { .. } => " (use the keyring of the node that sealed it)",
        Error::RetiredKey { .. } => " (past its not_after: it never opens again)",
        _ => "",
    };
    input(format!("cannot open: {error}{hint}"))
}

fn describe_metadata(meta: &Metadata, ring: &Keyring, at: SystemTime) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "session id:     {}", meta.session_id());
    let _ = writeln!(
        out,
        "issued at:      {}",
        describe_time(unix(meta.issued_at()))
    );
    let _ = writeln!(
        out,
        "sealed at:      {}",
        describe_time(unix(meta.sealed_at()))
    );
    let _ = writeln!(
        out,
        "expires at:     {}",
        meta.expires_at()
            .map_or_else(|| "never".to_owned(), |t| describe_time(unix(t)))
    );
    let _ = writeln!(
        out,
        "key id:         {} ({})",
        meta.key_id(),
        state_name(ring.state(meta.key_id(), at))
    );
    let lifetime = meta.lifetime();
    let limit =
        |d: Option<Duration>| d.map_or_else(|| "none".to_owned(), |d| format!("{}s", d.as_secs()));
    let _ = writeln!(
        out,
        "lifetime:       absolute {}, idle {}, {}",
        limit(lifetime.absolute_lifetime()),
        limit(lifetime.idle_timeout()),
        if lifetime.is_persistent() {
            "persistent"
        } else {
            "browser session"
        }
    );
    if meta.past_deadline() {
        let _ = writeln!(
            out,
            "past deadline:  yes (opens only within the clock-skew allowance; cannot be re-sealed)"
        );
    }
    let _ = writeln!(out, "mode:           {}", mode_name(meta.mode()));
    let _ = writeln!(out, "format version: {}", meta.format_version());
    let _ = writeln!(out, "schema version: {}", meta.schema_version());
    let _ = writeln!(
        out,
        "re-seal due:    {}",
        meta.reseal_reason()
            .map_or_else(|| "no".to_owned(), |r| format!("yes: {r}"))
    );
    out
}

fn hex(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        let _ = write!(out, "{b:02x}");
    }
    out
}
