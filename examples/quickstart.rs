//! Seal a session into cookies, open it, grow it past one cookie, rotate the key, and watch the
//! re-seal. Run with `cargo run --example quickstart`.

use std::error::Error;
use std::time::{Duration, SystemTime};

use serde::{Deserialize, Serialize};

use sealed_session::{Codec, Key, Keyring, RequestCookies, SealedCookies};

#[derive(Serialize, Deserialize, Debug, Clone, PartialEq)]
struct Session {
    user_id: u64,
    name: String,
    roles: Vec<String>,
    cart: Vec<(u32, u16)>,
}

/// What the browser sends back: the `name=value` part of every line that is not a deletion.
fn cookie_header(sealed: &SealedCookies) -> String {
    sealed
        .headers()
        .iter()
        .filter(|line| !line.contains("Max-Age=0"))
        .map(|line| line.split(';').next().unwrap_or_default())
        .collect::<Vec<_>>()
        .join("; ")
}

fn show(title: &str, sealed: &SealedCookies) {
    println!("\n== {title}");
    for line in sealed.headers() {
        let shown = if line.len() > 110 {
            format!("{}...{}", &line[..60], &line[line.len() - 40..])
        } else {
            line.clone()
        };
        println!("Set-Cookie: {shown}\n    ({} bytes)", line.len());
    }
    println!(
        "chunks: {}, deletions: {}, Cookie header bytes: {}, key: {}",
        sealed.chunk_count(),
        sealed.deleted_count(),
        sealed.cookie_header_bytes(),
        sealed.metadata().key_id()
    );
}

fn main() -> Result<(), Box<dyn Error>> {
    let t0 = SystemTime::now();
    let old_key = Key::generate()?;
    let codec = Codec::<Session>::builder(Keyring::new([old_key.clone()])?).build()?;
    println!("keyring: one key, id {}", old_key.id());

    // 1. A new session: seal it into Set-Cookie lines.
    let mut session = Session {
        user_id: 42,
        name: "alice".into(),
        roles: vec!["admin".into(), "editor".into()],
        cart: vec![(1001, 2), (1002, 1)],
    };
    let sealed = codec.seal(&session, None, &RequestCookies::new(), t0)?;
    show("a new session", &sealed);

    // 2. The next request carries the cookie back; any node with the keyring opens it.
    let header = cookie_header(&sealed);
    let opened = codec
        .open(
            &RequestCookies::from_header(&header),
            t0 + Duration::from_secs(5),
        )?
        .ok_or("no session in the request")?;
    assert_eq!(opened.session, session);
    println!(
        "\nopened: {:?}\n  session id {}, expires in {:?}, re-seal due: {}",
        opened.session,
        opened.metadata.session_id(),
        opened
            .metadata
            .expires_at()
            .and_then(|at| at.duration_since(t0).ok()),
        opened.metadata.reseal_due()
    );

    // 3. The cart grows past one cookie: the session is chunked.
    session.cart = (0..1200).map(|i| (5000 + i, (i % 9) as u16 + 1)).collect();
    let request = RequestCookies::from_header(&header);
    let big = codec.seal(
        &session,
        Some(&opened.metadata),
        &request,
        t0 + Duration::from_secs(6),
    )?;
    show("the cart grew to 1200 lines", &big);
    let big_header = cookie_header(&big);

    // 4. Key rotation: every node gets a new key that starts sealing in a minute.
    let new_key = Key::generate()?.with_not_before(t0 + Duration::from_secs(60));
    let rotated = Codec::<Session>::builder(Keyring::new([old_key, new_key.clone()])?).build()?;
    println!("\n== rotation: key {} scheduled for t0+60s", new_key.id());
    let before = rotated
        .open(
            &RequestCookies::from_header(&big_header),
            t0 + Duration::from_secs(30),
        )?
        .ok_or("no session")?;
    println!(
        "at t0+30s: sealed by {}, re-seal due: {:?}",
        before.metadata.key_id(),
        before.metadata.reseal_reason()
    );
    let after_time = t0 + Duration::from_secs(61);
    let after = rotated
        .open(&RequestCookies::from_header(&big_header), after_time)?
        .ok_or("no session")?;
    println!(
        "at t0+61s: sealed by {}, re-seal due: {:?}",
        after.metadata.key_id(),
        after.metadata.reseal_reason()
    );

    // 5. The app re-seals (and the cart shrinks): the new key seals, stale chunks are deleted.
    let mut session = after.session;
    session.cart.truncate(3);
    let request = RequestCookies::from_header(&big_header);
    let resealed = rotated.seal(&session, Some(&after.metadata), &request, after_time)?;
    show(
        "re-sealed under the new key, cart shrunk to 3 lines",
        &resealed,
    );
    assert_eq!(resealed.metadata().key_id(), new_key.id());
    assert_eq!(
        resealed.metadata().session_id(),
        opened.metadata.session_id()
    );
    println!(
        "\nsame session id, same issued-at; the old key can be retired after the longest session lifetime."
    );
    Ok(())
}
