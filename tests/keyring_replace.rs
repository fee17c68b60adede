//! Issue 11 item 1: a running codec's keyring replaced atomically (`Codec::replace_keyring`,
//! `LiveKeyring`), seen by every clone and every codec sharing it; replacements that would
//! drop a key that seals (now, or within the clock skew), change a key's secret, or leave no
//! sealing key are refused with the keyring kept; seals and opens racing replacements never
//! fail.

mod common;

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, SystemTime};

use common::{at, cookie_header, key, now};
use sealed_session::{Codec, Error, Key, KeyId, Keyring, LiveKeyring, RequestCookies};

const SKEW: Duration = Duration::from_secs(60);

fn ring(keys: impl IntoIterator<Item = Key>) -> Keyring {
    Keyring::new(keys).expect("valid keyring")
}

fn codec(keyring: impl Into<LiveKeyring>) -> Codec<String> {
    Codec::builder(keyring)
        .build()
        .expect("default configuration")
}

fn ids(codec: &Codec<String>) -> Vec<u32> {
    codec.keyring().keys().map(|k| k.id().get()).collect()
}

fn sealing_key(codec: &Codec<String>, t: SystemTime) -> KeyId {
    codec
        .seal(&"x".to_owned(), None, &RequestCookies::new(), t)
        .expect("seal")
        .metadata()
        .key_id()
}

#[test]
fn every_clone_and_every_sharing_codec_sees_the_replacement() {
    let live = LiveKeyring::new(ring([key(1, 0x11)]));
    let a = codec(live.clone());
    let a_clone = a.clone();
    let tokens: Codec<String> = Codec::builder(a.live_keyring().clone())
        .purpose("api")
        .build()
        .unwrap();
    // Key 2 seals at once (a straggler's late update, or an operator's choice): every codec
    // seals with it from the next call on.
    let next = ring([
        key(1, 0x11).with_not_before(at(0) - Duration::from_secs(1000)),
        key(2, 0x22).with_not_before(at(0)),
    ]);
    a_clone
        .replace_keyring(next.clone(), at(0) + SKEW + Duration::from_secs(1))
        .unwrap();
    for c in [&a, &a_clone] {
        assert_eq!(ids(c), [1, 2]);
        assert_eq!(sealing_key(c, at(100)), KeyId::new(2));
    }
    assert_eq!(*tokens.keyring(), next);
    assert_eq!(*live.load(), next);
    let token = tokens.seal_token(&"t".to_owned(), None, at(100)).unwrap();
    assert_eq!(
        tokens
            .open_token(&token, at(100))
            .unwrap()
            .metadata
            .key_id(),
        KeyId::new(2)
    );
}

#[test]
fn a_value_sealed_before_the_replacement_opens_after_it() {
    let c = codec(ring([key(1, 0x11)]));
    let sealed = c
        .seal(&"kept".to_owned(), None, &RequestCookies::new(), now())
        .unwrap();
    let header = cookie_header(&sealed);
    c.replace_keyring(
        ring([key(1, 0x11), key(2, 0x22).with_not_before(at(100))]),
        now(),
    )
    .unwrap();
    // After the switch: opens under key 1, asks for a re-seal, which goes under key 2.
    let opened = c
        .open(&RequestCookies::from_header(&header), at(200))
        .unwrap()
        .unwrap();
    assert_eq!(opened.session, "kept");
    assert!(opened.metadata.reseal_due());
    let again = c
        .seal(
            &opened.session,
            Some(&opened.metadata),
            &RequestCookies::new(),
            at(200),
        )
        .unwrap();
    assert_eq!(again.metadata().key_id(), KeyId::new(2));
}

#[test]
fn dropping_the_sealing_key_is_refused_and_the_keyring_stays() {
    let c = codec(ring([key(1, 0x11)]));
    let before = c.keyring();
    let refused = c.replace_keyring(ring([key(2, 0x22)]), now());
    assert_eq!(
        refused,
        Err(Error::SealingKeyDropped {
            key_id: KeyId::new(1)
        })
    );
    assert_eq!(c.keyring(), before);
    assert_eq!(sealing_key(&c, now()), KeyId::new(1));
}

#[test]
fn retiring_the_sealing_key_now_is_refused_later_accepted() {
    let c = codec(ring([key(1, 0x11)]));
    // Retired by now: refused.
    let retired_now = ring([
        key(1, 0x11).with_not_after(now()),
        key(2, 0x22).with_not_before(before_now(5000)),
    ]);
    assert_eq!(
        c.replace_keyring(retired_now, now()),
        Err(Error::SealingKeyDropped {
            key_id: KeyId::new(1)
        })
    );
    // Retirement scheduled ahead: the key still opens now, so the change is accepted.
    let scheduled = ring([
        key(1, 0x11).with_not_after(at(3600)),
        key(2, 0x22).with_not_before(at(600)),
    ]);
    c.replace_keyring(scheduled, now()).unwrap();
    assert_eq!(sealing_key(&c, now()), KeyId::new(1));
    assert_eq!(sealing_key(&c, at(600)), KeyId::new(2));
}

fn before_now(secs: u64) -> SystemTime {
    now() - Duration::from_secs(secs)
}

#[test]
fn a_scheduled_switch_keeps_both_keys_within_the_skew() {
    // Key 2 seals from T0+1000; the codec's skew is 60 s (the default).
    let both = || ring([key(1, 0x11), key(2, 0x22).with_not_before(at(1000))]);
    let only_1 = || ring([key(1, 0x11)]);
    let only_2 = || ring([key(2, 0x22).with_not_before(at(1000))]);

    // Cancelling the switch well ahead of it: accepted (nobody sealed under key 2).
    let c = codec(both());
    c.replace_keyring(only_1(), at(1000 - 61)).unwrap();
    // Within the skew before the switch, a node whose clock runs ahead may seal with key 2.
    let c = codec(both());
    assert_eq!(
        c.replace_keyring(only_1(), at(1000 - 30)),
        Err(Error::SealingKeyDropped {
            key_id: KeyId::new(2)
        })
    );
    // Retiring key 1 before the switch, or within the skew after it (a node whose clock runs
    // behind still seals with key 1): refused.
    for t in [at(0), at(999), at(1000), at(1030)] {
        let c = codec(both());
        assert_eq!(
            c.replace_keyring(only_2(), t),
            Err(Error::SealingKeyDropped {
                key_id: KeyId::new(1)
            }),
            "at T0+{:?}",
            t.duration_since(now()).unwrap()
        );
        assert_eq!(ids(&c), [1, 2]);
    }
    // Past the switch and the skew: accepted, removed or retired.
    let c = codec(both());
    c.replace_keyring(only_2(), at(1061)).unwrap();
    assert_eq!(ids(&c), [2]);
    let c = codec(both());
    let retired = ring([
        key(1, 0x11).with_not_after(at(1061)),
        key(2, 0x22).with_not_before(at(1000)),
    ]);
    c.replace_keyring(retired, at(1061)).unwrap();
}

#[test]
fn the_skew_is_the_codecs() {
    let c: Codec<String> =
        Codec::builder(ring([key(1, 0x11), key(2, 0x22).with_not_before(at(1000))]))
            .expiry(sealed_session::Expiry::default().clock_skew(Duration::from_secs(5)))
            .build()
            .unwrap();
    c.replace_keyring(ring([key(2, 0x22).with_not_before(at(1000))]), at(1006))
        .unwrap();
}

#[test]
fn a_straggler_catches_up_past_not_before() {
    // This node missed the roll-out of key 2; its file arrives past key 2's not_before.
    let c = codec(ring([key(1, 0x11)]));
    c.replace_keyring(
        ring([key(1, 0x11), key(2, 0x22).with_not_before(at(100))]),
        at(500),
    )
    .unwrap();
    assert_eq!(sealing_key(&c, at(500)), KeyId::new(2));
}

#[test]
fn a_changed_secret_under_a_held_id_is_refused() {
    // The primary's secret ...
    let c = codec(ring([key(1, 0x11)]));
    assert_eq!(
        c.replace_keyring(ring([key(1, 0x99)]), now()),
        Err(Error::KeySecretChanged {
            key_id: KeyId::new(1)
        })
    );
    // ... and a previous key's, which no longer seals but still opens.
    let c = codec(ring([
        key(1, 0x11),
        key(2, 0x22).with_not_before(before_now(5000)),
    ]));
    assert_eq!(
        c.replace_keyring(
            ring([key(1, 0x98), key(2, 0x22).with_not_before(before_now(5000))]),
            now()
        ),
        Err(Error::KeySecretChanged {
            key_id: KeyId::new(1)
        })
    );
    assert_eq!(
        *c.keyring(),
        ring([key(1, 0x11), key(2, 0x22).with_not_before(before_now(5000))])
    );
}

#[test]
fn a_keyring_that_seals_nothing_now_is_refused() {
    let c = codec(ring([key(1, 0x11)]));
    // Key 1 moved to a not_before ahead: it opens, but nothing seals.
    assert_eq!(
        c.replace_keyring(ring([key(1, 0x11).with_not_before(at(100))]), now()),
        Err(Error::NoSealingKey)
    );
}

#[test]
fn the_same_keyring_again_is_accepted() {
    let c = codec(ring([key(1, 0x11)]));
    c.replace_keyring(ring([key(1, 0x11)]), now()).unwrap();
    assert_eq!(ids(&c), [1]);
}

#[test]
fn refusals_name_key_ids_never_secrets() {
    let (k, secret) = common::distinct_key(0xabcdef01);
    let c = codec(ring([k]));
    let (other, other_secret) = common::distinct_key(7);
    for e in [
        c.replace_keyring(ring([other]), now()).unwrap_err(),
        c.replace_keyring(ring([Key::new(KeyId::new(0xabcdef01), [5; 32])]), now())
            .unwrap_err(),
    ] {
        let shown = format!("{e} {e:?}");
        assert!(shown.contains("abcdef01"), "{shown}");
        for s in [&secret, &other_secret, &[5u8; 32]] {
            assert!(!shown.contains(&common::b64_encode(s)), "{shown}");
            assert!(!shown.contains(&hex::encode(s)), "{shown}");
        }
        assert!(!e.cookies_are_dead());
    }
}

/// Threads seal and open without pause while another replaces the keyring back and forth
/// (adding and dropping a pending key): every seal and every open succeeds.
#[test]
fn seals_and_opens_racing_replacements_never_fail() {
    let c = codec(ring([key(1, 0x11)]));
    let stop = Arc::new(AtomicBool::new(false));
    let workers: Vec<_> = (0..3)
        .map(|i| {
            let c = c.clone();
            let stop = Arc::clone(&stop);
            std::thread::spawn(move || {
                let mut n = 0u32;
                while !stop.load(Ordering::Relaxed) && n < 200_000 {
                    let value = format!("w{i}-{n}");
                    let sealed = c
                        .seal(&value, None, &RequestCookies::new(), now())
                        .expect("seal");
                    let header = cookie_header(&sealed);
                    let opened = c
                        .open(&RequestCookies::from_header(&header), now())
                        .expect("open")
                        .expect("a session");
                    assert_eq!(opened.session, value);
                    n += 1;
                }
                n
            })
        })
        .collect();
    let with_2 = ring([key(1, 0x11), key(2, 0x22).with_not_before(at(100_000))]);
    let without = ring([key(1, 0x11)]);
    for round in 0..2000 {
        let next = if round % 2 == 0 {
            with_2.clone()
        } else {
            without.clone()
        };
        c.replace_keyring(next, now()).expect("a safe replacement");
    }
    stop.store(true, Ordering::Relaxed);
    let done: u32 = workers
        .into_iter()
        .map(|w| w.join().expect("no panic"))
        .sum();
    assert!(done > 0);
}
