//! `sealed-session`: the operator's tool for keyrings and sealed cookies.
//!
//! ```text
//! sealed-session keygen [--not-before WHEN] [--not-after WHEN] [--force] [--out PATH [--overwrite]]
//! sealed-session keyring add [--not-before WHEN] [--not-after WHEN] [--force] [--out ...]
//! sealed-session keyring promote ID [--at WHEN] [--force] [--out ...]
//! sealed-session keyring retire ID [--at WHEN] [--force] [--out ...]
//! sealed-session keyring remove ID [--force] [--out ...]
//! sealed-session keyring list [--at WHEN] [--show-secrets] [--out ...]
//! sealed-session inspect [VALUE] [--cookie-name NAME]
//! sealed-session open [VALUE] [--cookie-name NAME] [--purpose P] [--mode encrypted|signed]
//!                     [--at WHEN] [--idle SECS|none] [--absolute SECS|none]  (caps only)
//! ```
//!
//! Keyring input comes from `--keyring-file PATH` (`-` for standard input) or the environment
//! variable `SEALED_SESSION_KEYRING`, in the keyring's one-line text form (`ssk1,...`, at most
//! `MAX_KEYRING_TEXT_LEN`, 1332 bytes), at most 4096 bytes with surrounding whitespace.
//! Commands that print key bytes write them to standard output, or with `--out PATH` to a new
//! file of mode 0600 (`output`), with notes on standard error. Values
//! (cookies, tokens) are best given on standard input, at most 70 KiB: an argument is visible
//! to every local user while the command runs.
//!
//! Arguments are parsed by hand, without a dependency: a dozen flags do not justify adding a
//! parser to the crate's dependency tree (and to its audit surface); the `cli` feature adds no
//! dependency at all. Every error is a message on standard error and a non-zero exit status
//! (1: the input is wrong, does not open, or the change is refused; 2: the command line is
//! wrong), never a panic, and never repeats a value the user typed (`args`).
#![forbid(unsafe_code)]

mod args;
mod input;
mod inspect;
mod keygen;
mod keyring;
mod open;
mod output;

use std::process::ExitCode;

use args::{Failure, Outcome, Parsed, usage};

/// `sealed-session help`.
const USAGE: &str = "\
usage: sealed-session <command> [options]

commands:
  keygen [--not-before WHEN] [--not-after WHEN] [--force] [--out PATH [--overwrite]]
      print a new one-key keyring. A --not-after that is not ahead needs --force: the key
      would open and seal nothing
  keyring add [--not-before WHEN] [--not-after WHEN] [--force] [--out PATH [--overwrite]]
      add a new key (default --not-before +1h: it starts sealing in an hour, after the new
      keyring has reached every node); prints the new keyring. A --not-before in the past
      needs --force ('now' does not: the new key seals at once, for a leaked key)
  keyring promote ID [--at WHEN] [--force] [--out PATH [--overwrite]]
      make key ID the primary from WHEN (default now); prints the new keyring. A --at in
      the past needs --force ('now' does not): it seals at once, before every node has the
      new keyring, or a key scheduled after WHEN stays the primary
  keyring retire ID [--at WHEN] [--force] [--out PATH [--overwrite]]
      stop key ID from opening anything from WHEN (default now); prints the new keyring.
      Retiring the key that is the primary then needs --force: nodes with the old keyring
      keep sealing under it while nodes with the new one refuse what it sealed
  keyring remove ID [--force] [--out PATH [--overwrite]]
      drop key ID; prints the new keyring. Removing the primary needs --force (as retire)
  keyring list [--at WHEN] [--show-secrets] [--out PATH [--overwrite]]
      key ids, states (primary, pending, previous, retired) and dates at WHEN (default
      now); key bytes only with --show-secrets
  inspect [VALUE] [--cookie-name NAME]
      what a sealed cookie or token shows without keys: version, mode, key id, chunks, sizes
  open [VALUE] [--cookie-name NAME] [--purpose P] [--mode encrypted|signed] [--at WHEN]
       [--idle SECS|none] [--absolute SECS|none]
      open a sealed cookie or token with the keyring: metadata and the payload in hex;
      --idle and --absolute are the opener's policy, which can only shorten the lifetime a
      format-2 value carries (format 1 carries none: they are its lifetime)

keyring input (keyring and open commands), at most 4096 bytes:
  --keyring-file PATH    the keyring text, '-' for standard input
  SEALED_SESSION_KEYRING the keyring text, when --keyring-file is not given

output of the commands that print key bytes:
  --out PATH     write to PATH, not standard output: a new file of mode 0600, written whole
                 (removed if the write fails); an existing PATH or a symbolic link is refused
  --overwrite    with --out: replace an existing regular file whole (a new file renamed over
                 it), of its old mode masked to 0600, never wider ('--force' never replaces
                 a file: it only allows keyring changes that break sessions)
  Standard output redirected to a file ('> keyring.txt') gets the shell's mode, 0644 under
  umask 022: readable by every local user. Use --out.

VALUE is a Cookie header ('name=value; ...', a leading 'Cookie:' is ignored) or a token, at
most 70 KiB. Leave it out (or give '-') and pass it on standard input:
  sealed-session open --keyring-file keyring.txt < cookie.txt
A session cookie or token is a live credential, and an argument is not private: every local
user sees it in the process list (ps, /proc/PID/cmdline) while the command runs, and it stays
in the shell's history.
WHEN is Unix seconds, 'now', or '+N' with an optional unit s, m, h or d (relative to now).

Errors name the flag or argument at fault, never its value (it may be a secret pasted in the
wrong place). Exit status 1: the input is wrong, does not open, or the change is refused;
2: the command line is wrong.
";

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

/// Dispatches a command line (without the program name).
fn run(args: &[String]) -> Outcome {
    let (command, rest) = args
        .split_first()
        .ok_or_else(|| usage("no command given"))?;
    match command.as_str() {
        "help" | "--help" | "-h" => output::print(USAGE),
        "keygen" => keygen::keygen(&Parsed::new(rest, &keygen::SPEC)?),
        "keyring" => {
            let (sub, rest) = rest.split_first().ok_or_else(|| {
                usage("keyring needs a subcommand: add, promote, retire, remove or list")
            })?;
            match sub.as_str() {
                "add" => keyring::add(&Parsed::new(rest, &keyring::ADD)?),
                "promote" => keyring::promote(&Parsed::new(rest, &keyring::PROMOTE)?),
                "retire" => keyring::retire(&Parsed::new(rest, &keyring::RETIRE)?),
                "remove" => keyring::remove(&Parsed::new(rest, &keyring::REMOVE)?),
                "list" => keyring::list(&Parsed::new(rest, &keyring::LIST)?),
                _ => Err(usage(
                    "unknown keyring subcommand (not shown): expected add, promote, retire, \
                     remove or list",
                )),
            }
        }
        "inspect" => inspect::inspect(&Parsed::new(rest, &inspect::SPEC)?),
        "open" => open::open(&Parsed::new(rest, &open::SPEC)?),
        _ => Err(usage(
            "unknown command (not shown): expected keygen, keyring, inspect, open or help",
        )),
    }
}
