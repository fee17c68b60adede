//! Issue item 2: the keyring (primary by time, pending and retired keys, rotation, text form,
//! secrecy of `Debug`, derivation, equality, rejected configurations).

mod common;

use common::{at, b64_encode, cookie_header, distinct_key, key, now, ring};
use sealed_session::{
    Codec, Error, Key, KeyId, KeyState, Keyring, MAX_KEYS, Metadata, RequestCookies, ResealReason,
};

fn codec(ring: Keyring) -> Codec<String> {
    Codec::builder(ring).build().expect("default configuration")
}

fn seal_header(codec: &Codec<String>, value: &str, t: std::time::SystemTime) -> (String, Metadata) {
    let sealed = codec
        .seal(&value.to_owned(), None, &RequestCookies::new(), t)
        .expect("seal");
    (cookie_header(&sealed), sealed.metadata().clone())
}

fn open(
    codec: &Codec<String>,
    header: &str,
    t: std::time::SystemTime,
) -> Result<(String, Metadata), Error> {
    codec
        .open(&RequestCookies::from_header(header), t)
        .map(|o| o.expect("the request carries the session"))
        .map(|o| (o.session, o.metadata))
}

/// Three keys: 1 active since forever, 2 from T0+100, 3 from T0+200.
fn scheduled_keys() -> [Key; 3] {
    [
        key(1, 0x11),
        key(2, 0x22).with_not_before(at(100)),
        key(3, 0x33).with_not_before(at(200)),
    ]
}

#[test]
fn primary_is_chosen_by_not_before_whatever_the_order() {
    let orders: [[usize; 3]; 6] = [
        [0, 1, 2],
        [0, 2, 1],
        [1, 0, 2],
        [1, 2, 0],
        [2, 0, 1],
        [2, 1, 0],
    ];
    for order in orders {
        let keys = scheduled_keys();
        let ring = Keyring::new(order.map(|i| keys[i].clone())).unwrap();
        let expect = [(0, 1), (99, 1), (100, 2), (199, 2), (200, 3), (10_000, 3)];
        for (offset, id) in expect {
            let primary = ring.primary(at(offset)).map(Key::id);
            assert_eq!(
                primary,
                Some(KeyId::new(id)),
                "order {order:?}, T0+{offset}"
            );
        }
        // What seal uses agrees with `primary`.
        let c = codec(ring);
        for (offset, id) in [(50, 1), (150, 2), (250, 3)] {
            let (_, meta) = seal_header(&c, "x", at(offset));
            assert_eq!(
                meta.key_id(),
                KeyId::new(id),
                "order {order:?}, T0+{offset}"
            );
        }
    }
}

#[test]
fn key_states_follow_the_clock() {
    let ring = Keyring::new([
        key(1, 0x11).with_not_after(at(300)),
        key(2, 0x22).with_not_before(at(100)),
    ])
    .unwrap();
    let state = |id, t| ring.state(KeyId::new(id), t);
    assert_eq!(state(1, now()), Some(KeyState::Primary));
    assert_eq!(state(2, now()), Some(KeyState::Pending));
    assert_eq!(state(1, at(100)), Some(KeyState::Previous));
    assert_eq!(state(2, at(100)), Some(KeyState::Primary));
    assert_eq!(state(1, at(300)), Some(KeyState::Retired));
    assert_eq!(state(9, now()), None);
}

#[test]
fn pending_key_opens_but_does_not_seal() {
    let ring = Keyring::new(scheduled_keys()).unwrap();
    // A node whose clock runs 30 s fast already seals with key 2 ...
    let fast = codec(ring.clone());
    let (header, meta) = seal_header(&fast, "from the fast node", at(100));
    assert_eq!(meta.key_id(), KeyId::new(2));
    // ... and a node at T0+70, for which key 2 is still pending, opens the value ...
    let slow = codec(ring);
    assert_eq!(
        slow.keyring().state(KeyId::new(2), at(70)),
        Some(KeyState::Pending)
    );
    let (session, _) = open(&slow, &header, at(70)).expect("a pending key opens");
    assert_eq!(session, "from the fast node");
    // ... while sealing there still uses key 1.
    let (_, meta) = seal_header(&slow, "y", at(70));
    assert_eq!(meta.key_id(), KeyId::new(1));
}

#[test]
fn only_pending_keys_give_no_sealing_key() {
    let ring = Keyring::new([key(1, 0x11).with_not_before(at(100))]).unwrap();
    assert!(ring.primary(now()).is_none());
    let c = codec(ring);
    let err = c.seal(&"x".to_owned(), None, &RequestCookies::new(), now());
    assert_eq!(err.unwrap_err(), Error::NoSealingKey);
    assert!(
        c.seal(&"x".to_owned(), None, &RequestCookies::new(), at(100))
            .is_ok()
    );
}

#[test]
fn not_after_retires_a_key_for_opening_and_sealing() {
    let ring = Keyring::new([
        key(1, 0x11).with_not_after(at(60)),
        key(2, 0x22).with_not_before(at(30)),
    ])
    .unwrap();
    let c = codec(ring);
    let (header, meta) = seal_header(&c, "old", now());
    assert_eq!(meta.key_id(), KeyId::new(1));
    assert!(
        open(&c, &header, at(59)).is_ok(),
        "one second before not_after"
    );
    // The keyring still holds key 1, retired: not an unknown key.
    assert_eq!(
        open(&c, &header, at(60)).unwrap_err(),
        Error::RetiredKey {
            key_id: KeyId::new(1)
        }
    );
    // A keyring that no longer holds it at all: unknown.
    let dropped = codec(Keyring::new([key(2, 0x22).with_not_before(at(30))]).unwrap());
    assert_eq!(
        open(&dropped, &header, at(60)).unwrap_err(),
        Error::UnknownKey {
            key_id: KeyId::new(1)
        }
    );
    // A keyring whose only key is retired cannot seal either.
    let retired = codec(Keyring::new([key(1, 0x11).with_not_after(at(60))]).unwrap());
    let err = retired.seal(&"x".to_owned(), None, &RequestCookies::new(), at(60));
    assert_eq!(err.unwrap_err(), Error::NoSealingKey);
}

#[test]
fn unknown_key_id_is_its_own_error() {
    let (header, _) = seal_header(&codec(ring()), "x", now());
    let other = codec(Keyring::new([key(7, 0x11)]).unwrap());
    assert_eq!(
        open(&other, &header, now()).unwrap_err(),
        Error::UnknownKey {
            key_id: KeyId::new(1)
        }
    );
}

#[test]
fn lookup_is_by_key_id_never_by_trial_decryption() {
    // The right secret under another id must not open the value: the id alone picks the key.
    let (header, _) = seal_header(&codec(ring()), "x", now());
    let same_secret_other_id = codec(Keyring::new([key(2, 0x11)]).unwrap());
    assert_eq!(
        open(&same_secret_other_id, &header, now()).unwrap_err(),
        Error::UnknownKey {
            key_id: KeyId::new(1)
        }
    );
    // The right id with another secret is an authentication failure.
    let other_secret = codec(Keyring::new([key(1, 0x12)]).unwrap());
    assert_eq!(
        open(&other_secret, &header, now()).unwrap_err(),
        Error::Authentication
    );
}

#[test]
fn rotation_reseals_under_the_new_primary_keeping_id_and_issue_time() {
    let before = codec(ring());
    let (header, sealed_meta) = seal_header(&before, "alice", now());
    assert_eq!(sealed_meta.key_id(), KeyId::new(1));

    // Every node gets key 2, primary from T0+100.
    let after = codec(Keyring::new([key(1, 0x11), key(2, 0x22).with_not_before(at(100))]).unwrap());
    let (_, meta) = open(&after, &header, at(50)).unwrap();
    assert_eq!(
        meta.reseal_reason(),
        None,
        "key 1 is still primary at T0+50"
    );

    let (session, meta) = open(&after, &header, at(120)).unwrap();
    assert_eq!(session, "alice");
    assert_eq!(meta.key_id(), KeyId::new(1));
    assert_eq!(meta.reseal_reason(), Some(ResealReason::NonPrimaryKey));
    assert!(meta.reseal_due());

    let resealed = after
        .seal(
            &session,
            Some(&meta),
            &RequestCookies::from_header(&header),
            at(120),
        )
        .unwrap();
    assert_eq!(resealed.metadata().key_id(), KeyId::new(2));
    assert_eq!(resealed.metadata().session_id(), sealed_meta.session_id());
    assert_eq!(resealed.metadata().issued_at(), now());
    assert_eq!(resealed.metadata().sealed_at(), at(120));

    let (session, meta) = open(&after, &cookie_header(&resealed), at(121)).unwrap();
    assert_eq!(session, "alice");
    assert_eq!(meta.key_id(), KeyId::new(2));
    assert_eq!(meta.reseal_reason(), None);
    assert_eq!(meta.session_id(), sealed_meta.session_id());

    // Once key 1 is removed, the re-sealed cookie still opens and the old one does not.
    let final_ring = codec(Keyring::new([key(2, 0x22).with_not_before(at(100))]).unwrap());
    assert!(open(&final_ring, &cookie_header(&resealed), at(130)).is_ok());
    assert_eq!(
        open(&final_ring, &header, at(130)).unwrap_err(),
        Error::UnknownKey {
            key_id: KeyId::new(1)
        }
    );
}

#[test]
fn text_form_round_trips_and_fits_an_environment_variable() {
    let ring = Keyring::new([
        key(0x0a1b_2c3d, 0x11).with_not_after(at(1_000)),
        key(0xffff_ffff, 0x22)
            .with_not_before(at(100))
            .with_not_after(at(2_000)),
        key(0, 0x33).with_not_before(at(200)),
    ])
    .unwrap();
    let text = ring.to_text();
    assert!(text.starts_with("ssk1,0a1b2c3d."));
    assert!(!text.contains('\n') && !text.contains(' '));
    assert!(
        text.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"_.,-".contains(&b)),
        "shell-safe characters only"
    );
    let back = Keyring::from_text(&text).unwrap();
    assert_eq!(back, ring);
    assert_eq!(*back.to_text(), *text);
    let parsed: Keyring = text.parse().unwrap();
    assert_eq!(parsed, ring);
    // Dates survive exactly.
    let k = back.keys().nth(1).unwrap();
    assert_eq!(k.not_before(), Some(at(100)));
    assert_eq!(k.not_after(), Some(at(2_000)));
    // A trailing newline (as from a file or `echo`) is forgiven.
    assert_eq!(Keyring::from_text(&format!("{}\n", &*text)).unwrap(), ring);

    // A full keyring of generated keys round-trips too, and the line stays modest in size.
    let mut keys = Vec::new();
    for i in 0..MAX_KEYS {
        keys.push(Key::generate().unwrap().with_not_before(at(i as u64)));
    }
    let full = Keyring::new(keys).unwrap();
    let text = full.to_text();
    assert!(text.len() < 2048, "{} bytes", text.len());
    assert_eq!(Keyring::from_text(&text).unwrap(), full);
}

#[test]
fn text_form_rejects_malformed_entries_without_echoing_them() {
    let secret = b64_encode(&[0x5c; 32]);
    let cases = [
        (String::new(), 0),
        (format!("ssk2,00000001.{secret}"), 0),
        (format!("ssk1,0000001.{secret}"), 1),
        (format!("ssk1,00000001.{secret}.zz5"), 1),
        (
            format!("ssk1,00000001.{secret},00000002.{}", &secret[1..]),
            2,
        ),
    ];
    for (text, entry) in cases {
        match Keyring::from_text(&text) {
            Err(e @ Error::InvalidKeyring { entry: got, .. }) => {
                assert_eq!(got, entry, "{text}");
                assert!(!e.to_string().contains(&secret[1..20]));
                assert!(!format!("{e:?}").contains(&secret[1..20]));
            }
            other => panic!("{text}: {other:?}"),
        }
    }
    // Entries that parse but make a bad keyring (duplicate ids) are refused too.
    let dup = format!("ssk1,00000001.{secret},00000001.{secret}.nb5");
    assert!(Keyring::from_text(&dup).is_err());
}

#[test]
fn debug_never_shows_the_secret() {
    let (k, secret) = distinct_key(0x42);
    let hex_lower = hex::encode(secret);
    let hex_upper = hex::encode_upper(secret);
    let b64 = b64_encode(&secret);
    let ring = Keyring::new([k.clone()]).unwrap();
    let codec = codec(ring.clone());
    let texts = [
        format!("{k:?}"),
        format!("{k:#?}"),
        format!("{ring:?}"),
        format!("{ring:#?}"),
        format!("{codec:?}"),
    ];
    let byte_list = format!("{:?}", &secret[..]);
    let byte_list_inner = byte_list.trim_matches(|c| c == '[' || c == ']');
    for text in &texts {
        assert!(text.contains("00000042"), "the id is shown: {text}");
        for needle in [
            &hex_lower[..16],
            &hex_upper[..16],
            &b64[..16],
            &byte_list_inner[..20],
        ] {
            assert!(!text.contains(needle), "{needle} in {text}");
        }
        // No four consecutive secret bytes in hex anywhere.
        for w in secret.windows(4) {
            assert!(!text.contains(&hex::encode(w)), "{text}");
        }
    }
}

#[test]
fn derive_is_deterministic_and_purpose_separated() {
    let master = [0x6du8; 32];
    let a = Key::derive(&master, "sessions-2027-01").unwrap();
    let b = Key::derive(&master, "sessions-2027-01").unwrap();
    assert_eq!(a, b);
    assert_eq!(a.id(), b.id());
    let c = Key::derive(&master, "sessions-2027-02").unwrap();
    assert_ne!(a, c);
    assert_ne!(a.id(), c.id());
    let mut other_master = master;
    other_master[31] ^= 1;
    assert_ne!(a, Key::derive(&other_master, "sessions-2027-01").unwrap());
    assert!(matches!(
        Key::derive(&master[..31], "p"),
        Err(Error::InvalidConfig { .. })
    ));
    assert!(Key::derive(&[1u8; 64], "p").is_ok());

    // Two nodes that derive from the same master open each other's values.
    let node_a = codec(Keyring::new([a]).unwrap());
    let node_b = codec(Keyring::new([b]).unwrap());
    let (header, _) = seal_header(&node_a, "shared", now());
    assert_eq!(open(&node_b, &header, now()).unwrap().0, "shared");
    // A node deriving for another purpose does not.
    let node_c = codec(Keyring::new([c]).unwrap());
    assert!(open(&node_c, &header, now()).is_err());
}

#[test]
fn generated_keys_and_keyrings_are_fresh() {
    let a = Key::generate().unwrap();
    let b = Key::generate().unwrap();
    assert_ne!(a, b);
    let ring_a = Keyring::generate().unwrap();
    let ring_b = Keyring::generate().unwrap();
    assert_ne!(ring_a, ring_b);
    let (header, _) = seal_header(&codec(ring_a.clone()), "x", now());
    assert!(open(&codec(ring_a), &header, now()).is_ok());
    assert!(open(&codec(ring_b), &header, now()).is_err());
    let fails = Key::generate_with(&common::FailingRandom);
    assert_eq!(fails.unwrap_err(), Error::Randomness);
}

#[test]
fn key_equality_compares_secret_id_and_dates() {
    let base = Key::new(KeyId::new(1), [7; 32]);
    assert_eq!(base, Key::new(KeyId::new(1), [7; 32]));
    let mut last_differs = [7u8; 32];
    last_differs[31] = 8;
    let mut first_differs = [7u8; 32];
    first_differs[0] = 6;
    assert_ne!(base, Key::new(KeyId::new(1), last_differs));
    assert_ne!(base, Key::new(KeyId::new(1), first_differs));
    assert_ne!(base, Key::new(KeyId::new(2), [7; 32]));
    assert_ne!(base, base.clone().with_not_before(now()));
    assert_ne!(base, base.clone().with_not_after(now()));
    assert_eq!(KeyId::new(5), "00000005".parse().unwrap());
    assert_ne!(KeyId::new(5), KeyId::new(6));
}

#[test]
fn bad_keyrings_are_rejected() {
    let config_err = |r: Result<Keyring, Error>| matches!(r, Err(Error::InvalidConfig { .. }));
    assert!(config_err(Keyring::new([])));
    assert!(
        config_err(Keyring::new([key(1, 1), key(1, 2).with_not_before(at(10))])),
        "duplicate id"
    );
    assert!(
        config_err(Keyring::new([key(1, 1), key(2, 2)])),
        "two keys active since forever"
    );
    assert!(
        config_err(Keyring::new([
            key(1, 1).with_not_before(at(10)),
            key(2, 2).with_not_before(at(10)),
        ])),
        "two keys with one not_before"
    );
    assert!(config_err(Keyring::new([key(1, 1)
        .with_not_before(at(10))
        .with_not_after(at(10))])));
    let too_many = (0..=MAX_KEYS as u32).map(|i| key(i, i as u8).with_not_before(at(u64::from(i))));
    assert!(config_err(Keyring::new(too_many)));
    let max = (0..MAX_KEYS as u32).map(|i| key(i, i as u8).with_not_before(at(u64::from(i))));
    assert!(Keyring::new(max).is_ok());
    assert!("0000000A".parse::<KeyId>().is_err());
    assert!("1234567".parse::<KeyId>().is_err());
}

mod text_parser_never_panics {
    use proptest::prelude::*;
    use sealed_session::{Error, Keyring};

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(256))]

        #[test]
        fn arbitrary_text_parses_or_gives_a_keyring_error(text in "\\PC{0,200}") {
            match Keyring::from_text(&text) {
                Ok(ring) => prop_assert_eq!(Keyring::from_text(&ring.to_text()).unwrap(), ring),
                Err(e) => prop_assert!(
                    matches!(e, Error::InvalidKeyring { .. } | Error::InvalidConfig { .. }),
                    "{:?}", e
                ),
            }
        }

        #[test]
        fn edited_valid_text_parses_to_a_re_renderable_keyring_or_errors(
            cut in 0usize..120,
            insert in "[0-9a-z.,_-]{0,6}",
        ) {
            let valid = "ssk1,00000001.AQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQE.nb5,\
                         00000002.AgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgI";
            let cut = cut.min(valid.len());
            let edited = format!("{}{insert}{}", &valid[..cut], &valid[cut..]);
            if let Ok(ring) = Keyring::from_text(&edited) {
                // Whatever parses renders back to text that parses to the same keyring.
                prop_assert_eq!(Keyring::from_text(&ring.to_text()).unwrap(), ring);
            }
        }
    }
}

/// A node whose clock runs behind sees a value already sealed under the next key (scheduled
/// here, not yet primary): it opens, and no re-seal is asked for, which would move the session
/// back to the older key (FORMAT.md 3.1 step 7).
#[test]
fn a_value_under_a_newer_scheduled_key_asks_for_no_reseal() {
    let old = key(1, 1);
    let new = key(2, 2).with_not_before(at(100));
    let ahead = Codec::<u32>::builder(Keyring::new([old.clone(), new.clone()]).unwrap())
        .build()
        .unwrap();
    // The fast node, at T0+100, seals under the new key.
    let sealed = ahead
        .seal(&5, None, &RequestCookies::new(), at(100))
        .unwrap();
    assert_eq!(sealed.metadata().key_id(), KeyId::new(2));
    let header = cookie_header(&sealed);
    // The slow node, still at T0+95, opens it without asking to re-seal under key 1.
    let opened = ahead
        .open(&RequestCookies::from_header(&header), at(95))
        .unwrap()
        .unwrap();
    assert_eq!(opened.session, 5);
    assert_eq!(opened.metadata.reseal_reason(), None);
    // Whereas a value under the old key, once the new one is primary, asks for one.
    let under_old = ahead
        .seal(&5, None, &RequestCookies::new(), at(95))
        .unwrap();
    let opened = ahead
        .open(
            &RequestCookies::from_header(&cookie_header(&under_old)),
            at(100),
        )
        .unwrap()
        .unwrap();
    assert_eq!(
        opened.metadata.reseal_reason(),
        Some(sealed_session::ResealReason::NonPrimaryKey)
    );
}
