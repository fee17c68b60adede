//! The built-in revocation rules hold bounded memory: entries last only as long as the
//! sessions they refuse could still open, are pruned automatically, and a full list refuses
//! new entries rather than evict live ones (which would bring a revoked session back).
#![cfg(any(feature = "axum", feature = "actix"))]

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use sealed_session::{
    Codec, Error, Expiry, Key, KeyId, Keyring, Metadata, RequestCookies, Revocation,
    RevocationList, ValidAfter,
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

#[test]
fn a_revocation_list_forgets_each_entry_once_no_copy_of_its_session_opens() {
    let c = codec();
    let list = RevocationList::new(1000);
    let sessions: Vec<_> = (0..1000)
        .map(|i| {
            c.seal(&i, None, &RequestCookies::new(), at(0))
                .unwrap()
                .metadata()
                .clone()
        })
        .collect();
    for m in &sessions {
        list.revoke(m, at(0)).unwrap();
    }
    assert_eq!(list.len(), 1000);
    assert!(sessions.iter().all(|m| list.is_revoked(m, &0)));
    // Full: a new revocation is refused while every entry is live...
    let late = c
        .seal(&7, None, &RequestCookies::new(), at(100))
        .unwrap()
        .metadata()
        .clone();
    assert_eq!(
        list.revoke(&late, at(100)),
        Err(Error::RevocationListFull { capacity: 1000 })
    );
    assert!(
        sessions.iter().all(|m| list.is_revoked(m, &0)),
        "evicted a live entry"
    );
    // ...and accepted once they are past their deadline (idle 600 s), pruning them.
    list.revoke(&late, at(600)).unwrap();
    assert_eq!(list.len(), 1);
    // `late` (sealed at 100, deadline 700) stays past its own deadline: a copy of it re-sealed
    // for an idle refresh just before the revocation at 600 could open until 1200
    // (tests/revocation.rs).
    list.prune(at(700));
    assert_eq!(list.len(), 1);
    list.prune(at(1201));
    assert!(list.is_empty());
}

#[test]
fn valid_after_keeps_each_subject_for_the_longest_lifetime_only() {
    let rule = ValidAfter::new(|n: &u32| Some(n.to_string()), Duration::from_secs(3600), 2);
    rule.revoke_all("1", at(0)).unwrap();
    rule.revoke_all("2", at(10)).unwrap();
    assert_eq!(
        rule.revoke_all("3", at(20)),
        Err(Error::RevocationListFull { capacity: 2 })
    );
    // Revoking a subject again only moves its cutoff later: no new entry.
    rule.revoke_all("2", at(30)).unwrap();
    assert_eq!(rule.len(), 2);
    // After the longest lifetime, the old entries go to make room.
    rule.revoke_all("3", at(3601)).unwrap();
    assert_eq!(rule.len(), 2, "subject 1 pruned, 3 added");
    let c = codec();
    let before = c
        .seal(&3, None, &RequestCookies::new(), at(3600))
        .unwrap()
        .metadata()
        .clone();
    let after = c
        .seal(&3, None, &RequestCookies::new(), at(3602))
        .unwrap()
        .metadata()
        .clone();
    assert!(rule.is_revoked(&before, &3));
    assert!(!rule.is_revoked(&after, &3));
    // Anonymous sessions (no subject) are never refused.
    let anonymous = ValidAfter::new(|_: &u32| None, Duration::from_secs(1), 1);
    assert!(!anonymous.is_revoked(&before, &3));
}

#[test]
fn valid_after_refuses_the_sessions_of_the_very_second_of_the_sign_out() {
    let c = codec();
    let rule = ValidAfter::new(
        |_: &u32| Some("u".to_owned()),
        Duration::from_secs(3600),
        10,
    );
    let same_second = c
        .seal(&1, None, &RequestCookies::new(), at(50))
        .unwrap()
        .metadata()
        .clone();
    rule.revoke_all("u", at(50)).unwrap();
    assert!(rule.is_revoked(&same_second, &1));
    let next_second = c
        .seal(&1, None, &RequestCookies::new(), at(51))
        .unwrap()
        .metadata()
        .clone();
    assert!(!rule.is_revoked(&next_second, &1));
}

// A revoked session must stay revoked while any copy of it can still open. Found by the fuzz
// target `session_layer` (fuzz/src/layer.rs): another copy of the session (another tab, a
// response applied out of order, a stolen cookie) may have been re-sealed for an idle refresh
// before the revocation, with a later deadline than the copy the revocation was given.

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
