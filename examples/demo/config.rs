//! Start-up configuration: the environment (the table in `main.rs`), the command line
//! (`--port N`), and the codec of this node's release.

use std::net::{IpAddr, SocketAddr};
use std::path::PathBuf;

use sealed_session::{Codec, CodecBuilder, CookieAttributes, Keyring};

use crate::App;
use crate::session_type::{self, DemoSession, Release, SessionV0};

/// What start-up needs: where to listen, the codec, and what the handlers read.
pub struct Config {
    pub addr: SocketAddr,
    pub codec: Codecs,
    pub app: App,
    /// `SEALED_SESSION_KEYRING_FILE`: the file the keyring came from, to watch.
    pub keyring_file: Option<PathBuf>,
}

/// The codec of this release: the old session type (release `a`) or the new one.
pub enum Codecs {
    Old(Codec<SessionV0>),
    New(Codec<DemoSession>),
}

/// The codec settings every release shares (same cookie, purpose and keyring, so that the
/// releases serve one another's sessions).
struct CodecSettings {
    keyring: Keyring,
    insecure: bool,
    max_cookie_bytes: Option<usize>,
    max_total_bytes: Option<usize>,
}

impl CodecSettings {
    fn builder<T>(&self) -> CodecBuilder<T> {
        let mut builder = Codec::<T>::builder(self.keyring.clone()).purpose("sealed-session demo");
        if self.insecure {
            builder = builder
                .cookie_name("session")
                .attributes(CookieAttributes::default().secure(false));
        }
        if let Some(n) = self.max_cookie_bytes {
            builder = builder.max_cookie_bytes(n);
        }
        if let Some(n) = self.max_total_bytes {
            builder = builder.max_total_bytes(n);
        }
        builder
    }
}

/// How often the keyring file's metadata is checked (a `stat`; the file is read only when it
/// changed). A rotation schedules its switch well beyond this (`not_before`).
pub const KEYRING_POLL: std::time::Duration = std::time::Duration::from_millis(500);

fn env(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.trim().is_empty())
}

pub fn configure() -> Result<Config, String> {
    let mut args = std::env::args().skip(1);
    let mut port = env("PORT");
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--port" => port = Some(args.next().ok_or("--port needs a number")?),
            other => match other.strip_prefix("--port=") {
                Some(p) => port = Some(p.to_owned()),
                None => return Err(format!("unknown argument '{other}' (only --port N)")),
            },
        }
    }
    let port: u16 = port
        .as_deref()
        .unwrap_or("8080")
        .trim()
        .parse()
        .map_err(|_| "the port must be a number from 0 to 65535".to_owned())?;
    let bind = env("BIND").unwrap_or_else(|| "127.0.0.1".to_owned());
    let ip: IpAddr = bind
        .trim()
        .parse()
        .map_err(|_| format!("BIND '{bind}' is not an IP address"))?;
    let (release, warning) = Release::from_env(
        env("DEMO_RELEASE").as_deref(),
        env("DEMO_SCHEMA_SWITCH_AT").as_deref(),
    )?;
    if let Some(warning) = warning {
        eprintln!("demo: {warning}");
    }

    let keyring_file = env("SEALED_SESSION_KEYRING_FILE").map(PathBuf::from);
    let (keyring, key_note) = match (env("SEALED_SESSION_KEYRING"), &keyring_file) {
        (Some(_), Some(_)) => {
            return Err(
                "set SEALED_SESSION_KEYRING or SEALED_SESSION_KEYRING_FILE, not both".to_owned(),
            );
        }
        // The errors name the entry and the rule broken (or the I/O error), never the text
        // or the path (which may be a secret pasted in the wrong place).
        (None, Some(path)) => (
            sealed_session::reload::read_keyring_file(path)
                .map_err(|e| format!("SEALED_SESSION_KEYRING_FILE: {e}"))?,
            format!(
                "keyring from SEALED_SESSION_KEYRING_FILE (reloaded when it changes, polled every \
                 {} ms, and on SIGHUP)",
                KEYRING_POLL.as_millis()
            ),
        ),
        (Some(text), None) => (
            Keyring::from_text(&text).map_err(|e| format!("SEALED_SESSION_KEYRING: {e}"))?,
            "keyring from SEALED_SESSION_KEYRING".to_owned(),
        ),
        (None, None) => {
            eprintln!(
                "\n!!! WARNING: SEALED_SESSION_KEYRING is not set: using a DEVELOPMENT keyring made up\n\
                 !!! just now. Sessions die with this process and no other node can open them.\n\
                 !!! Production: `sealed-session keygen` once, then give every node that text.\n"
            );
            (
                Keyring::generate().map_err(|e| e.to_string())?,
                "DEVELOPMENT keyring (generated at start-up)".to_owned(),
            )
        }
    };

    let number = |name: &str| -> Result<Option<usize>, String> {
        env(name)
            .map(|v| {
                v.trim()
                    .parse()
                    .map_err(|_| format!("{name} must be a number of bytes"))
            })
            .transpose()
    };
    let settings = CodecSettings {
        keyring,
        insecure: env("SEALED_SESSION_INSECURE").is_some_and(|v| v != "0"),
        max_cookie_bytes: number("SEALED_SESSION_MAX_COOKIE_BYTES")?,
        max_total_bytes: number("SEALED_SESSION_MAX_TOTAL_BYTES")?,
    };
    let built = |e: sealed_session::Error| e.to_string();
    let codec = match release {
        Release::A => Codecs::Old(
            session_type::release_a(settings.builder())
                .build()
                .map_err(built)?,
        ),
        Release::B { .. } | Release::C => Codecs::New(
            session_type::release_b_or_c(settings.builder(), release)
                .build()
                .map_err(built)?,
        ),
    };
    let (cookie_name, max_cookie_bytes, max_total_bytes) = match &codec {
        Codecs::Old(c) => (
            c.cookie_name().to_owned(),
            c.max_cookie_bytes(),
            c.max_total_bytes(),
        ),
        Codecs::New(c) => (
            c.cookie_name().to_owned(),
            c.max_cookie_bytes(),
            c.max_total_bytes(),
        ),
    };
    let app = App {
        node: env("NODE_NAME").unwrap_or_else(|| "demo".to_owned()),
        release,
        cookie_name,
        max_cookie_bytes,
        max_total_bytes,
        key_note,
    };
    Ok(Config {
        addr: SocketAddr::new(ip, port),
        codec,
        app,
        keyring_file,
    })
}
