//! A revoked session must stay revoked while any copy of it can still open.
//!
//! Found while writing the fuzz target `session_layer` (fuzz/src/layer.rs): `RevocationList`
//! keeps an entry until the `expires_at` of the metadata it was given, but another copy of
//! the same session (another tab, a response applied out of order, a stolen cookie) may have
//! been re-sealed for an idle refresh before the revocation, with a later deadline. Once the
//! list is pruned (`prune`, or automatically when it is full) that copy opens again, and its
//! next idle refreshes keep it alive up to the absolute lifetime.
#![cfg(any(feature = "axum", feature = "actix"))]

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use sealed_session::{
    Codec, Expiry, Key, KeyId, Keyring, Metadata, RequestCookies, Revocation, RevocationList,
};

fn at(secs: u64) -> SystemTime {
    UNIX_EPOCH + Duration::from_secs(1_800_000_000 + secs)
}

fn codec() -> Codec<u32> {
    Codec::builder(Keyring::new([Key::new(KeyId::new(1), [1; 32])]).unwrap())
        .expiry(
            Expiry::default()
                .absolute(Some(Duration::from_secs(3600)))
                .idle(Some(Duration::from_secs(600))),
        )
        .build()
        .unwrap()
}

fn header(lines: &[String]) -> String {
    lines
        .iter()
        .map(|l| l.split(';').next().unwrap())
        .collect::<Vec<_>>()
        .join("; ")
}

fn open(c: &Codec<u32>, cookie: &str, now: u64) -> Metadata {
    c.open(&RequestCookies::from_header(cookie), at(now))
        .unwrap()
        .expect("present")
        .metadata
}

#[test]
fn a_copy_refreshed_before_the_revocation_stays_revoked_after_a_prune() {
    let c = codec();
    let empty = RequestCookies::new();
    // Sealed at 0: deadline 600 (idle).
    let old = header(c.seal(&1, None, &empty, at(0)).unwrap().headers());
    // At 300 half the idle window is spent: one copy is refreshed, deadline 900.
    let m = open(&c, &old, 300);
    let refreshed = c
        .seal(&1, Some(&m), &RequestCookies::from_header(&old), at(300))
        .unwrap();
    assert_eq!(refreshed.metadata().expires_at(), Some(at(900)));
    let refreshed = header(refreshed.headers());

    // At 301 the session is revoked from the other, older copy (deadline 600).
    let list = RevocationList::new(1000);
    list.revoke(&open(&c, &old, 301), at(301)).unwrap();
    assert!(list.is_revoked(&open(&c, &refreshed, 302), &1));

    // After the older copy's deadline the list is pruned; the refreshed copy still opens
    // until 900 and must still be refused.
    list.prune(at(700));
    let m = open(&c, &refreshed, 701);
    assert!(
        list.is_revoked(&m, &1),
        "the revoked session {} opens again at 701 (until {:?})",
        m.session_id(),
        m.expires_at()
    );
}
