//! Sessions larger than the cookie budget, kept in a server-side store: the same cases through
//! both frameworks. The codec's budget is set between the cookie of a small counter and that
//! of a large one (`/grow` adds 1,000,000: a longer varint), so a grown session spills.

use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;

use sealed_session::testing::CookieJar;
use sealed_session::{Clock, ManualClock, MemoryStore, StoreKey};

use super::{
    FaultyStore, Frontend, REFERENCE, SESSION, StoredBrowser, alice_everywhere, memory,
    small_budget_codec, t0,
};

pub fn a_session_that_fits_stays_in_cookies_and_never_touches_the_store<F: Frontend>() {
    let clock = ManualClock::new(t0());
    let store = memory(&clock);
    let mut b = StoredBrowser::<F>::with(store.clone(), clock);
    assert_eq!(b.send("POST", "/incr").body, "1");
    assert_eq!(b.send("POST", "/incr").body, "2");
    assert_eq!(b.send("GET", "/read").body, "2");
    assert!(store.is_empty());
    assert!(b.holds(SESSION) && !b.holds(REFERENCE));
}

pub fn a_session_too_large_for_cookies_spills_and_reads_back<F: Frontend>() {
    let clock = ManualClock::new(t0());
    let store = memory(&clock);
    let mut b = StoredBrowser::<F>::with(store.clone(), clock.clone());
    b.send("POST", "/incr");
    let grown = b.send("POST", "/grow");
    assert_eq!((grown.status, grown.body.as_str()), (200, "1000001"));
    // The reference replaces the session's cookie, which is deleted.
    assert!(
        b.holds(REFERENCE) && !b.holds(SESSION),
        "{:?}",
        grown.set_cookies()
    );
    assert_eq!(store.len(), 1);
    assert_eq!(b.send("GET", "/read").body, "1000001");
    // A read writes nothing: no new entry, no Set-Cookie.
    let read = b.send("GET", "/read");
    assert!(read.set_cookies().is_empty(), "{:?}", read.set_cookies());
    assert_eq!(store.len(), 1);
    // Each change is a new entry; the one it replaced goes after the grace period.
    assert_eq!(b.send("POST", "/incr").body, "1000002");
    assert_eq!(store.len(), 2);
    clock.advance(Duration::from_secs(61));
    assert_eq!(b.send("GET", "/read").body, "1000002");
    assert_eq!(b.send("POST", "/incr").body, "1000003");
    // The first entry has expired and is gone on its next save's purge or load; the second
    // still has its grace; the third is live.
    assert!(store.len() <= 3);
}

pub fn every_node_reads_a_stored_session<F: Frontend>() {
    let clock = ManualClock::new(t0());
    let store = memory(&clock);
    let node1 = F::storing(small_budget_codec(), clock.clone(), store.clone(), None);
    let node2 = F::storing(small_budget_codec(), clock.clone(), store.clone(), None);
    let mut jar = CookieJar::new();
    let now = clock.now();
    let grown = node1.send("POST", "/grow", &jar.header(now));
    jar.apply(grown.set_cookies(), now);
    let read = node2.send("GET", "/read", &jar.header(now));
    assert_eq!(read.body, "1000000");
    let changed = node2.send("POST", "/incr", &jar.header(now));
    jar.apply(changed.set_cookies(), now);
    assert_eq!(node1.send("GET", "/read", &jar.header(now)).body, "1000001");
}

pub fn a_missing_entry_is_a_clean_no_session<F: Frontend>() {
    let clock = ManualClock::new(t0());
    let mut b = StoredBrowser::<F>::with(memory(&clock), clock.clone());
    b.send("POST", "/grow");
    assert!(b.holds(REFERENCE));
    // Another app on an empty store: the entry is not there (lost, flushed, expired).
    let empty = F::storing(small_budget_codec(), clock.clone(), memory(&clock), None);
    let now = clock.now();
    let read = empty.send("GET", "/read", &b.jar.header(now));
    assert_eq!((read.status, read.body.as_str()), (200, "none"));
    // The reference is not deleted (a late request must not delete a newer reference the
    // browser may hold by then); the next write replaces it.
    assert!(read.set_cookies().is_empty(), "{:?}", read.set_cookies());
    let fresh = empty.send("POST", "/incr", &b.jar.header(now));
    assert_eq!((fresh.status, fresh.body.as_str()), (200, "1"));
    b.jar.apply(fresh.set_cookies(), now);
    assert!(
        b.holds(SESSION) && !b.holds(REFERENCE),
        "{:?}",
        fresh.set_cookies()
    );
}

pub fn an_expired_session_ends_cleanly_and_its_entry_with_it<F: Frontend>() {
    let clock = ManualClock::new(t0());
    let store = memory(&clock);
    let mut b = StoredBrowser::<F>::with(store.clone(), clock.clone());
    b.send("POST", "/grow");
    let header = b.jar.header(clock.now());
    // Past the idle timeout and the skew allowance: the session ends as any session does.
    clock.advance(Duration::from_secs(3600 + 61));
    let read = b.app.send("GET", "/read", &header);
    assert_eq!((read.status, read.body.as_str()), (200, "none"));
    // The entry's time to live ran out with it: a new save purges it from the full map.
    let small = Arc::new(MemoryStore::new(1).clock(clock.clone()));
    let mut c = StoredBrowser::<F>::with(small.clone(), clock.clone());
    c.send("POST", "/grow");
    clock.advance(Duration::from_secs(3600 + 61));
    let mut d = StoredBrowser::<F>::with(small.clone(), clock);
    let again = d.send("POST", "/grow");
    assert_eq!(
        again.status, 200,
        "the expired entry made room: {}",
        again.body
    );
    assert_eq!(small.len(), 1);
}

pub fn an_unreachable_store_loses_nothing<F: Frontend>() {
    let clock = ManualClock::new(t0());
    let store = Arc::new(FaultyStore::default());
    let mut b = StoredBrowser::<F>::with(store.clone(), clock);
    b.send("POST", "/grow");
    let before = b.jar.header(b.clock.now());
    // Saves fail: the change is answered 503 with Retry-After, and no cookie changes.
    store.fail_saves.store(true, Ordering::SeqCst);
    let refused = b.send("POST", "/incr");
    assert_eq!(refused.status, 503, "{}", refused.body);
    assert_eq!(refused.header("retry-after"), Some("1"));
    assert!(refused.set_cookies().is_empty());
    assert_eq!(b.jar.header(b.clock.now()), before);
    store.fail_saves.store(false, Ordering::SeqCst);
    // Loads fail: served as no session, the cookies left alone, writes refused.
    store.fail_loads.store(true, Ordering::SeqCst);
    let read = b.send("GET", "/read");
    assert_eq!((read.status, read.body.as_str()), (200, "none"));
    assert!(read.set_cookies().is_empty(), "{:?}", read.set_cookies());
    let write = b.send("POST", "/grow");
    assert_eq!(
        (write.status, write.body.as_str()),
        (503, "overwrite_refused")
    );
    assert!(write.set_cookies().is_empty());
    // The store comes back: the session is there, unchanged.
    store.fail_loads.store(false, Ordering::SeqCst);
    assert_eq!(b.send("GET", "/read").body, "1000000");
}

pub fn shrinking_back_into_cookies_leaves_the_store<F: Frontend>() {
    let clock = ManualClock::new(t0());
    // Room for one live entry: a save succeeds only once the replaced one has expired.
    let store = Arc::new(MemoryStore::new(1).clock(clock.clone()));
    let mut b = StoredBrowser::<F>::with(store.clone(), clock.clone());
    b.send("POST", "/incr");
    b.send("POST", "/grow");
    let shrunk = b.send("POST", "/shrink");
    assert_eq!(shrunk.body, "1");
    assert!(
        b.holds(SESSION) && !b.holds(REFERENCE),
        "{:?}",
        shrunk.set_cookies()
    );
    assert_eq!(b.send("GET", "/read").body, "1");
    // The entry stays for the grace period only: within it, the store is still full.
    assert_eq!(b.send("POST", "/grow").status, 503);
    clock.advance(Duration::from_secs(61));
    assert_eq!(b.send("POST", "/grow").body, "1000001");
    assert_eq!(store.len(), 1);
}

pub fn sign_out_removes_the_entry_at_once<F: Frontend>() {
    let clock = ManualClock::new(t0());
    let store = memory(&clock);
    let mut b = StoredBrowser::<F>::with(store.clone(), clock);
    b.send("POST", "/grow");
    assert_eq!(store.len(), 1);
    let bye = b.send("POST", "/sign-out");
    assert_eq!(bye.status, 200);
    assert!(store.is_empty());
    assert!(!b.holds(REFERENCE) && !b.holds(SESSION));
    assert_eq!(b.send("GET", "/read").body, "none");
}

pub fn a_swapped_or_altered_entry_opens_as_no_session<F: Frontend>() {
    let clock = ManualClock::new(t0());
    let store = Arc::new(FaultyStore::default());
    let mut alice = StoredBrowser::<F>::with(store.clone(), clock.clone());
    let mut bob = StoredBrowser::<F>::with(store.clone(), clock.clone());
    let keys = |store: &FaultyStore| -> Vec<StoreKey> {
        store.entries.lock().unwrap().keys().copied().collect()
    };
    alice.send("POST", "/grow");
    let alices = keys(&store);
    bob.send("POST", "/grow");
    bob.send("POST", "/grow");
    // Whoever can write to the store gives Alice's key one of Bob's entries: refused, as
    // forged (it opens under the keyring, but is not the entry Alice's reference names).
    {
        let mut entries = store.entries.lock().unwrap();
        let bobs = entries
            .iter()
            .find(|(key, _)| !alices.contains(key))
            .map(|(_, entry)| entry.clone())
            .unwrap();
        for key in &alices {
            entries.insert(*key, bobs.clone());
        }
    }
    let read = alice.send("GET", "/read");
    assert_eq!((read.status, read.body.as_str()), (200, "none"));
    assert!(
        !alice.holds(REFERENCE),
        "a forged entry's reference is deleted"
    );
    // An altered byte: refused the same way.
    let mut carol = StoredBrowser::<F>::with(store.clone(), clock);
    carol.send("POST", "/grow");
    for entry in store.entries.lock().unwrap().values_mut() {
        let last = entry.pop().unwrap();
        entry.push(if last == 'A' { 'B' } else { 'A' });
    }
    assert_eq!(carol.send("GET", "/read").body, "none");
}

pub fn a_revoked_stored_session_is_no_session<F: Frontend>() {
    let clock = ManualClock::new(t0());
    let store = memory(&clock);
    let rule = alice_everywhere();
    let app = F::storing(
        small_budget_codec(),
        clock.clone(),
        store.clone(),
        Some(rule.clone()),
    );
    let mut jar = CookieJar::new();
    let grown = app.send("POST", "/grow", &jar.header(clock.now()));
    jar.apply(grown.set_cookies(), clock.now());
    assert_eq!(
        app.send("GET", "/read", &jar.header(clock.now())).body,
        "1000000"
    );
    clock.advance(Duration::from_secs(5));
    rule.revoke_all("alice", clock.now()).unwrap();
    let read = app.send("GET", "/read", &jar.header(clock.now()));
    assert_eq!(read.body, "none");
    jar.apply(read.set_cookies(), clock.now());
    assert!(
        jar.get(REFERENCE, clock.now()).is_none(),
        "{:?}",
        read.set_cookies()
    );
    assert_eq!(
        store.len(),
        1,
        "the revoked session's entry expires after the grace period"
    );
    clock.advance(Duration::from_secs(11));
    assert!(store.is_empty());
}

pub fn a_layer_with_a_store_still_revokes_sessions_in_cookies<F: Frontend>() {
    let clock = ManualClock::new(t0());
    let rule = alice_everywhere();
    let app = F::storing(
        small_budget_codec(),
        clock.clone(),
        memory(&clock),
        Some(rule.clone()),
    );
    let mut jar = CookieJar::new();
    let small = app.send("POST", "/incr", &jar.header(clock.now()));
    jar.apply(small.set_cookies(), clock.now());
    assert!(jar.get(SESSION, clock.now()).is_some() && jar.get(REFERENCE, clock.now()).is_none());
    clock.advance(Duration::from_secs(5));
    rule.revoke_all("alice", clock.now()).unwrap();
    assert_eq!(
        app.send("GET", "/read", &jar.header(clock.now())).body,
        "none"
    );
}

pub fn sign_out_removes_the_entry_even_when_it_did_not_load<F: Frontend>() {
    let clock = ManualClock::new(t0());
    let store = Arc::new(FaultyStore::default());
    let mut b = StoredBrowser::<F>::with(store.clone(), clock);
    b.send("POST", "/grow");
    store.fail_loads.store(true, Ordering::SeqCst);
    assert_eq!(b.send("POST", "/sign-out").status, 200);
    assert!(
        store.entries.lock().unwrap().is_empty(),
        "removed by the reference's key"
    );
    assert!(!b.holds(REFERENCE));
}

pub fn a_sign_out_the_store_cannot_carry_out_is_a_503_and_changes_nothing<F: Frontend>() {
    let clock = ManualClock::new(t0());
    let store = Arc::new(FaultyStore::default());
    let mut b = StoredBrowser::<F>::with(store.clone(), clock);
    b.send("POST", "/grow");
    let before = b.jar.header(b.clock.now());
    store.fail_removes.store(true, Ordering::SeqCst);
    let refused = b.send("POST", "/sign-out");
    assert_eq!(refused.status, 503);
    assert!(refused.set_cookies().is_empty());
    assert_eq!(b.jar.header(b.clock.now()), before);
    store.fail_removes.store(false, Ordering::SeqCst);
    assert_eq!(b.send("POST", "/sign-out").status, 200);
    assert!(store.entries.lock().unwrap().is_empty());
}

pub fn a_due_reseal_the_store_refuses_still_serves_the_read<F: Frontend>() {
    let clock = ManualClock::new(t0());
    let store = Arc::new(FaultyStore::default());
    let mut b = StoredBrowser::<F>::with(store.clone(), clock.clone());
    b.send("POST", "/grow");
    // Past half the idle hour: the read is due for a re-seal, whose entry cannot be saved.
    clock.advance(Duration::from_secs(1900));
    store.fail_saves.store(true, Ordering::SeqCst);
    let read = b.send("GET", "/read");
    assert_eq!((read.status, read.body.as_str()), (200, "1000000"));
    assert!(read.set_cookies().is_empty(), "{:?}", read.set_cookies());
    // Once saves work again, the next read re-seals (a new entry, a new reference).
    store.fail_saves.store(false, Ordering::SeqCst);
    let read = b.send("GET", "/read");
    assert_eq!(read.body, "1000000");
    assert!(
        read.set_cookies().iter().any(|l| l.starts_with(REFERENCE)),
        "{:?}",
        read.set_cookies()
    );
}

pub fn two_sessions_at_once_are_refused_and_nothing_is_deleted<F: Frontend>() {
    let clock = ManualClock::new(t0());
    let store = memory(&clock);
    let mut alice = StoredBrowser::<F>::with(store.clone(), clock.clone());
    let mut mallory = StoredBrowser::<F>::with(store.clone(), clock.clone());
    alice.send("POST", "/incr");
    mallory.send("POST", "/grow");
    // Mallory plants her reference beside Alice's cookie (a cookie without __Host-, set from
    // a sibling domain): neither session is served, nothing is deleted, writes are refused.
    let now = clock.now();
    let planted = format!(
        "{}; {REFERENCE}={}",
        alice.jar.header(now),
        mallory.jar.get(REFERENCE, now).unwrap()
    );
    let read = alice.app.send("GET", "/read", &planted);
    assert_eq!((read.status, read.body.as_str()), (200, "none"));
    assert!(read.set_cookies().is_empty(), "{:?}", read.set_cookies());
    let write = alice.app.send("POST", "/grow", &planted);
    assert_eq!(
        (write.status, write.body.as_str()),
        (503, "overwrite_refused")
    );
    assert_eq!(store.len(), 1, "Mallory's entry is untouched");
}

pub fn a_server_error_saves_nothing<F: Frontend>() {
    let clock = ManualClock::new(t0());
    let store = memory(&clock);
    let mut b = StoredBrowser::<F>::with(store.clone(), clock);
    b.send("POST", "/grow");
    let failed = b.send("POST", "/incr-then-500");
    assert_eq!(failed.status, 500);
    assert!(failed.set_cookies().is_empty());
    assert_eq!(store.len(), 1, "no entry saved for a discarded write");
    assert_eq!(b.send("GET", "/read").body, "1000000");
}

pub fn concurrent_changes_of_a_stored_session_each_leave_a_whole_session<F: Frontend>() {
    let clock = ManualClock::new(t0());
    let store = memory(&clock);
    let mut b = StoredBrowser::<F>::with(store.clone(), clock.clone());
    b.send("POST", "/grow");
    let now = clock.now();
    let header = b.jar.header(now);
    // Two requests sent with the same cookies; their responses arrive in either order.
    let first = b.app.send("POST", "/incr", &header);
    let second = b.app.send("POST", "/grow", &header);
    let late = b.app.send("GET", "/read", &header);
    assert_eq!(
        late.body, "1000000",
        "a request in flight still reads the previous version"
    );
    for (a, z, want) in [(&first, &second, "2000000"), (&second, &first, "1000001")] {
        let mut jar = b.jar.clone();
        jar.apply(a.set_cookies(), now);
        jar.apply(z.set_cookies(), now);
        assert_eq!(b.app.send("GET", "/read", &jar.header(now)).body, want);
    }
}
