//! The command line: failures and their exit status, the hand-written option parser, and the
//! parsers of `WHEN`, key ids and durations.
//!
//! No error message here repeats a value the user typed: an argument in the wrong place may
//! be a keyring or a secret pasted by mistake, and error messages end up in terminals, logs
//! and tickets. Messages name the flag or the positional (`--at`, `ID`) and the rule instead.
//! The one exception is an unknown option's name, and only when it is shaped like one (`--`,
//! then at most 30 lowercase letters, digits and hyphens), which neither a keyring text nor a
//! 43-character secret can be.

use std::time::Duration;

/// What went wrong, and how to exit.
pub enum Failure {
    /// The command line is wrong (exit 2, with a pointer to the usage).
    Usage(String),
    /// The input is wrong, does not open, or the change is refused (exit 1).
    Input(String),
}

/// What a command returns.
pub type Outcome = Result<(), Failure>;

/// A command-line failure (exit 2).
pub fn usage(message: impl Into<String>) -> Failure {
    Failure::Usage(message.into())
}

/// An input failure (exit 1).
pub fn input(message: impl Into<String>) -> Failure {
    Failure::Input(message.into())
}

/// What a command accepts, for [`Parsed::new`].
pub struct Spec {
    /// The command as the user types it, for messages (`"keyring promote"`).
    pub command: &'static str,
    /// Positional arguments in order; a trailing `?` marks an optional one.
    pub positionals: &'static [&'static str],
    /// Options that take a value (`--flag value` or `--flag=value`).
    pub options: &'static [&'static str],
    /// Options that take no value.
    pub switches: &'static [&'static str],
}

/// A command's arguments: positionals in order, and `--flag value` / `--flag=value` options.
pub struct Parsed {
    positionals: Vec<String>,
    options: Vec<(String, String)>,
    switches: Vec<String>,
}

/// Whether `arg` is shaped like an option name, so that an error message may repeat it.
fn looks_like_flag(arg: &str) -> bool {
    arg.strip_prefix("--").is_some_and(|rest| {
        (1..=30).contains(&rest.len())
            && rest.starts_with(|c: char| c.is_ascii_lowercase())
            && rest
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
    })
}

impl Parsed {
    /// Parses `args` against what the command accepts.
    pub fn new(args: &[String], spec: &Spec) -> Result<Parsed, Failure> {
        let mut parsed = Parsed {
            positionals: Vec::new(),
            options: Vec::new(),
            switches: Vec::new(),
        };
        let mut args = args.iter();
        while let Some(arg) = args.next() {
            if !arg.starts_with("--") {
                parsed.positionals.push(arg.clone());
                continue;
            }
            let (name, inline) = match arg.split_once('=') {
                Some((name, value)) => (name, Some(value.to_owned())),
                None => (arg.as_str(), None),
            };
            if spec.switches.contains(&name) {
                if inline.is_some() {
                    return Err(usage(format!("{name} takes no value")));
                }
                if !parsed.switch(name) {
                    parsed.switches.push(name.to_owned());
                }
            } else if spec.options.contains(&name) {
                let value = match inline {
                    Some(value) => value,
                    None => args
                        .next()
                        .cloned()
                        .ok_or_else(|| usage(format!("{name} needs a value")))?,
                };
                if parsed.option(name).is_some() {
                    return Err(usage(format!("{name} given twice")));
                }
                parsed.options.push((name.to_owned(), value));
            } else {
                let accepted = accepted_options(spec);
                return Err(usage(if looks_like_flag(name) {
                    format!("unknown option '{name}' for {}{accepted}", spec.command)
                } else {
                    format!(
                        "an argument starting with '--' is not an option of {} (not shown: \
                         it does not look like an option name){accepted}",
                        spec.command
                    )
                }));
            }
        }
        let required = spec
            .positionals
            .iter()
            .filter(|p| !p.ends_with('?'))
            .count();
        if let Some(missing) = spec
            .positionals
            .get(parsed.positionals.len())
            .filter(|_| parsed.positionals.len() < required)
        {
            return Err(usage(format!("missing argument {missing}")));
        }
        if parsed.positionals.len() > spec.positionals.len() {
            let takes = if spec.positionals.is_empty() {
                "no arguments, only options".to_owned()
            } else {
                spec.positionals
                    .iter()
                    .map(|p| p.trim_end_matches('?'))
                    .collect::<Vec<_>>()
                    .join(" ")
            };
            return Err(usage(format!(
                "unexpected argument (not shown): {} takes {takes}",
                spec.command
            )));
        }
        if parsed.switch("--overwrite") && parsed.option("--out").is_none() {
            return Err(usage("--overwrite needs --out PATH"));
        }
        Ok(parsed)
    }

    /// The value of option `name`, if given.
    pub fn option(&self, name: &str) -> Option<&str> {
        self.options
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }

    /// Whether switch `name` was given.
    pub fn switch(&self, name: &str) -> bool {
        self.switches.iter().any(|s| s == name)
    }

    /// Positional argument `index`, if given.
    pub fn positional(&self, index: usize) -> Option<&str> {
        self.positionals.get(index).map(String::as_str)
    }

    /// A time option, or `default`.
    pub fn time(&self, name: &str, now: u64, default: u64) -> Result<u64, Failure> {
        self.option(name)
            .map_or(Ok(default), |text| parse_when(text, now, name))
    }

    /// The positional key id `ID`.
    pub fn key_id(&self) -> Result<sealed_session::KeyId, Failure> {
        self.positional(0)
            .unwrap_or_default()
            .parse()
            .map_err(|_| usage("ID is not a key id (8 lowercase hex digits)"))
    }

    /// A duration option (`--idle`, `--absolute`): positive seconds or `none`; `default` when
    /// absent.
    pub fn duration(
        &self,
        name: &str,
        default: Option<Duration>,
    ) -> Result<Option<Duration>, Failure> {
        match self.option(name) {
            None => Ok(default),
            Some("none") => Ok(None),
            Some(text) => parse_digits(text)
                .filter(|&s| s > 0)
                .map(|s| Some(Duration::from_secs(s)))
                .ok_or_else(|| {
                    usage(format!(
                        "{name} is not a positive number of seconds or 'none'"
                    ))
                }),
        }
    }
}

/// `" (it takes --a, --b)"`, for an unknown option's message.
fn accepted_options(spec: &Spec) -> String {
    let all: Vec<&str> = spec.options.iter().chain(spec.switches).copied().collect();
    if all.is_empty() {
        " (it takes no options)".to_owned()
    } else {
        format!(" (it takes {})", all.join(", "))
    }
}

/// The last second the keyring text and HTTP dates can express (9999-12-31T23:59:59Z).
const MAX_WHEN: u64 = 253_402_300_799;

/// `WHEN`: Unix seconds, `now`, or `+N[s|m|h|d]`.
pub fn parse_when(text: &str, now: u64, flag: &str) -> Result<u64, Failure> {
    let bad = || {
        usage(format!(
            "{flag} is not Unix seconds, 'now' or '+N[s|m|h|d]' (up to the year 9999)"
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
    if secs > MAX_WHEN {
        return Err(bad());
    }
    Ok(secs)
}

/// Decimal digits only, at most 15 of them.
pub fn parse_digits(text: &str) -> Option<u64> {
    if text.is_empty() || text.len() > 15 || !text.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    text.parse().ok()
}
