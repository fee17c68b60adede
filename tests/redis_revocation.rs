//! `RedisRevocation` on a real `redis-server` (started here on a free loopback port, no
//! persistence, killed by pid): how fast a revocation made on one node reaches another (the
//! pub/sub path and the resync path), and what happens when Redis is killed and restarted.
//! Every wait is bounded. Needs `redis-server` on PATH (.ci/run installs it); without it these
//! tests fail and say so.
#![cfg(all(feature = "redis-revocation", any(feature = "axum", feature = "actix")))]

mod redis_server;

use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime};

use redis_server::Redis;
use sealed_session::{Propagation, RedisRevocation, SessionId};

fn node(redis_url: &str, resync: Duration) -> Arc<RedisRevocation> {
    Arc::new(
        RedisRevocation::builder(redis_url)
            .key("test:revoked")
            .capacity(10_000)
            .resync_interval(resync)
            .timeout(Duration::from_millis(300))
            .max_backoff(Duration::from_millis(200))
            .start()
            .unwrap(),
    )
}

/// Polls `cond` every 200 µs for at most `limit`; the time it took, or `None`.
async fn within(limit: Duration, mut cond: impl FnMut() -> bool) -> Option<Duration> {
    let start = Instant::now();
    while start.elapsed() < limit {
        if cond() {
            return Some(start.elapsed());
        }
        tokio::time::sleep(Duration::from_micros(200)).await;
    }
    cond().then(|| start.elapsed())
}

async fn synced(node: &RedisRevocation) {
    within(Duration::from_secs(5), || node.status().last_sync.is_some())
        .await
        .expect("no first sync within 5 s");
}

fn id(n: u32) -> SessionId {
    let mut bytes = [0xa5; 16];
    bytes[..4].copy_from_slice(&n.to_be_bytes());
    SessionId::from_bytes(bytes)
}

fn in_an_hour() -> Option<SystemTime> {
    Some(SystemTime::now() + Duration::from_secs(3600))
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    sorted[((sorted.len() - 1) as f64 * p).round() as usize]
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_revocation_on_one_node_is_enforced_by_another_within_the_bound_by_pubsub() {
    let redis = Redis::start();
    // A resync of 5 s (the default): anything under it came by pub/sub.
    let resync = Duration::from_secs(5);
    let (a, b) = (node(&redis.url(), resync), node(&redis.url(), resync));
    synced(&a).await;
    synced(&b).await;
    let mut latencies = Vec::new();
    for n in 0..200 {
        let started = Instant::now();
        assert_eq!(
            a.revoke_id(id(n), in_an_hour()).await,
            Ok(Propagation::Shared)
        );
        assert!(
            a.contains(id(n)),
            "not enforced at once on the revoking node"
        );
        within(resync, || b.contains(id(n)))
            .await
            .unwrap_or_else(|| panic!("revocation {n} not on node B within {resync:?}"));
        latencies.push(started.elapsed());
    }
    latencies.sort();
    let (p50, p99, max) = (
        percentile(&latencies, 0.5),
        percentile(&latencies, 0.99),
        latencies[latencies.len() - 1],
    );
    eprintln!(
        "pub/sub: revoke on A -> enforced on B, 200 revocations: p50 {p50:?} p99 {p99:?} max {max:?}"
    );
    // Far under the resync interval: these came by push, not by the periodic read.
    assert!(max < Duration::from_secs(1), "max {max:?}");
    assert_eq!(b.status().entries, 200);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_missed_message_is_made_good_by_the_next_resync() {
    let redis = Redis::start();
    let resync = Duration::from_millis(500);
    let b = node(&redis.url(), resync);
    synced(&b).await;
    let deadline = SystemTime::now() + Duration::from_secs(3600);
    let deadline = deadline
        .duration_since(SystemTime::UNIX_EPOCH)
        .unwrap()
        .as_secs();
    let mut worst = Duration::ZERO;
    for n in 0..5u32 {
        // Written the way a node writes, but with no PUBLISH: as if B missed the message.
        let member: String = id(n)
            .as_bytes()
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect();
        let reply = redis
            .raw(&format!("ZADD test:revoked {deadline} {member}\r\n"))
            .unwrap();
        assert_eq!(reply, ":1\r\n");
        let took = within(resync * 2, || b.contains(id(n)))
            .await
            .expect("missed revocation not caught up within two resync intervals");
        worst = worst.max(took);
    }
    eprintln!(
        "resync ({resync:?}): unpublished revocation enforced on B within {worst:?} (worst of 5)"
    );
    // The stated bound: the resync interval plus one round trip (the command timeout).
    assert!(worst <= resync + Duration::from_millis(300), "{worst:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn nodes_serve_with_the_last_copy_while_redis_is_down_and_catch_up_when_it_returns() {
    let redis = Redis::start();
    let resync = Duration::from_millis(300);
    let (a, b) = (node(&redis.url(), resync), node(&redis.url(), resync));
    synced(&a).await;
    synced(&b).await;
    assert_eq!(
        a.revoke_id(id(1), in_an_hour()).await,
        Ok(Propagation::Shared)
    );
    within(Duration::from_secs(2), || b.contains(id(1)))
        .await
        .expect("first revocation not shared");

    let port = redis.kill();
    within(Duration::from_secs(5), || {
        a.status().failures > 0 && b.status().failures > 0
    })
    .await
    .expect("the nodes did not notice Redis is gone");
    // Still serving with the last copy.
    assert!(a.contains(id(1)) && b.contains(id(1)));
    // A revocation while Redis is down: enforced on A at once, queued, not yet on B.
    assert_eq!(
        a.revoke_id(id(2), in_an_hour()).await,
        Ok(Propagation::Queued)
    );
    assert!(a.contains(id(2)));
    assert_eq!(a.status().pending, 1);
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert!(
        !b.contains(id(2)),
        "B cannot know of it while Redis is down"
    );
    let failures_while_down = b.status().failures;
    tokio::time::sleep(Duration::from_secs(1)).await;
    // Backoff bounded at 200 ms: it keeps retrying, about every 200 ms plus the attempt.
    assert!(
        b.status().failures > failures_while_down,
        "B stopped retrying"
    );

    // Redis comes back empty (no persistence): A writes its copy back, B catches up.
    let restarted = Instant::now();
    let redis = Redis::start_on(port);
    let took = within(Duration::from_secs(5), || b.contains(id(2)))
        .await
        .expect("B did not catch up within 5 s of Redis returning");
    eprintln!(
        "catch-up: revocation queued on A while Redis was down enforced on B {took:?} after redis-server restarted (max backoff 200 ms, resync {resync:?})"
    );
    assert!(restarted.elapsed() < Duration::from_secs(5));
    within(Duration::from_secs(2), || a.status().pending == 0)
        .await
        .expect("A's queue not written");
    // A node started now learns both from Redis: the write-back refilled the empty store.
    let c = node(&redis.url(), resync);
    synced(&c).await;
    within(Duration::from_secs(2), || {
        c.contains(id(1)) && c.contains(id(2))
    })
    .await
    .expect("the restarted Redis was not refilled by the nodes");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_copy_is_bounded_and_entries_leave_at_their_deadline() {
    let redis = Redis::start();
    let a = Arc::new(
        RedisRevocation::builder(redis.url())
            .key("test:bounded")
            .capacity(3)
            .resync_interval(Duration::from_millis(200))
            .start()
            .unwrap(),
    );
    synced(&a).await;
    for n in 0..3 {
        assert_eq!(
            a.revoke_id(id(n), in_an_hour()).await,
            Ok(Propagation::Shared)
        );
    }
    // Full: refused, nothing evicted.
    assert_eq!(
        a.revoke_id(id(9), in_an_hour()).await,
        Err(sealed_session::Error::RevocationListFull { capacity: 3 })
    );
    assert!((0..3).all(|n| a.contains(id(n))));
    // A session ending in about a second: its entry leaves Redis and the copy after that.
    let b = node(&redis.url(), Duration::from_millis(200));
    synced(&b).await;
    let soon = Some(SystemTime::now() + Duration::from_secs(1));
    assert_eq!(b.revoke_id(id(20), soon).await, Ok(Propagation::Shared));
    assert!(b.contains(id(20)));
    within(Duration::from_secs(4), || !b.contains(id(20)))
        .await
        .expect("an entry past its deadline stayed in the copy");
    let card = redis.raw("ZCARD test:revoked\r\n").unwrap();
    assert_eq!(card, ":0\r\n", "pruned from Redis by score");
    // Redis holding more than a node's capacity: the excess is counted, not held.
    for n in 100..110u32 {
        let member: String = id(n)
            .as_bytes()
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect();
        let until = SystemTime::now()
            .duration_since(SystemTime::UNIX_EPOCH)
            .unwrap()
            .as_secs()
            + 3600;
        redis
            .raw(&format!("ZADD test:bounded {until} {member}\r\n"))
            .unwrap();
    }
    within(Duration::from_secs(2), || a.status().dropped > 0)
        .await
        .expect("excess entries not counted");
    assert_eq!(a.status().entries, 3);
}

/// The signals an operator alerts on: age of the copy, sync failures, entries held.
#[cfg(feature = "metrics")]
#[test]
fn the_sync_reports_its_age_failures_and_entries_as_metrics() {
    use metrics_util::debugging::{DebugValue, DebuggingRecorder};
    use sealed_session::metrics as signals;

    let recorder = DebuggingRecorder::new();
    let snapshotter = recorder.snapshotter();
    // A local recorder is per thread: a current-thread runtime polls the sync task here.
    let failures = metrics::with_local_recorder(&recorder, || {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        runtime.block_on(async {
            let redis = Redis::start();
            let a = node(&redis.url(), Duration::from_millis(100));
            synced(&a).await;
            a.revoke_id(id(1), in_an_hour()).await.unwrap();
            tokio::time::sleep(Duration::from_millis(300)).await;
            redis.kill();
            within(Duration::from_secs(5), || a.status().failures >= 2)
                .await
                .expect("no sync failures counted with Redis gone");
            // Let the age grow past the last sync while failing.
            tokio::time::sleep(Duration::from_millis(600)).await;
            a.status().failures
        })
    });
    let mut seen_failures = 0;
    let (mut age, mut entries) = (None, None);
    for (key, _, _, value) in snapshotter.snapshot().into_vec() {
        match (key.key().name(), value) {
            (signals::REVOCATION_SYNC_FAILURES, DebugValue::Counter(n)) => seen_failures = n,
            (signals::REVOCATION_SYNC_AGE, DebugValue::Gauge(v)) => age = Some(v.into_inner()),
            (signals::REVOCATION_ENTRIES, DebugValue::Gauge(v)) => entries = Some(v.into_inner()),
            _ => {}
        }
    }
    assert!(
        seen_failures >= 2 && seen_failures <= failures,
        "{seen_failures} of {failures}"
    );
    let age = age.expect("no sync-age gauge");
    assert!(
        age >= 0.3,
        "the age did not grow while Redis was down: {age}"
    );
    assert_eq!(entries, Some(1.0));
}
