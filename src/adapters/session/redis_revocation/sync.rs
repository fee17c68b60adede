//! The background task: connect, subscribe, write queued revocations, resync, and on any
//! failure back off (bounded) and start over, keeping the local copy as it is.

use std::sync::Arc;
use std::time::{Duration, SystemTime};

use futures_util::StreamExt;
use redis::aio::MultiplexedConnection;

use super::{Config, Shared, lock, read, unix};
use crate::SessionId;

pub(crate) const MIN_BACKOFF: Duration = Duration::from_millis(50);
/// Entries per ZADD pipeline when writing a whole copy back.
const BATCH: usize = 1000;

/// Why a sync round ended; kinds only (a Redis error's text may quote the server's words).
enum Failure {
    Redis(redis::ErrorKind),
    Timeout,
    SubscriptionClosed,
}

impl core::fmt::Display for Failure {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self {
            Failure::Redis(kind) => write!(f, "redis error: {kind:?}"),
            Failure::Timeout => f.write_str("timed out"),
            Failure::SubscriptionClosed => f.write_str("subscription closed"),
        }
    }
}

impl From<redis::RedisError> for Failure {
    fn from(e: redis::RedisError) -> Self {
        Failure::Redis(e.kind())
    }
}

async fn bounded<T>(
    limit: Duration,
    f: impl Future<Output = redis::RedisResult<T>>,
) -> Result<T, Failure> {
    match tokio::time::timeout(limit, f).await {
        Ok(result) => Ok(result?),
        Err(_) => Err(Failure::Timeout),
    }
}

pub(crate) async fn run(shared: Arc<Shared>, client: redis::Client, config: Config) {
    let mut backoff = MIN_BACKOFF;
    // After a failure Redis may have lost data (a restart with no persistence): write the
    // whole copy back once connected. On the first connection only the queue is written.
    let mut write_back = false;
    loop {
        let failure = session(&shared, &client, &config, write_back, &mut backoff).await;
        *lock(&shared.conn) = None;
        let (failures, last_sync) = {
            let mut sync = lock(&shared.sync);
            sync.failures += 1;
            (sync.failures, sync.last_sync)
        };
        report_age(last_sync, read(&shared.entries).len());
        #[cfg(feature = "metrics")]
        crate::adapters::metrics::revocation_sync_failed();
        // Warn on the first failure of a run and then every tenth, so an outage of hours
        // logs a bounded trickle rather than a line per retry.
        if !write_back || failures % 10 == 0 {
            tracing::warn!(
                failure = %failure,
                failures,
                entries = read(&shared.entries).len(),
                pending = lock(&shared.pending).len(),
                secs_since_sync = last_sync.map(age_secs),
                "revocation sync with Redis failed; serving with the last copy"
            );
        }
        write_back = true;
        tokio::time::sleep(backoff).await;
        backoff = (backoff * 2).min(config.max_backoff);
    }
}

/// One connected run; returns only when something failed.
async fn session(
    shared: &Shared,
    client: &redis::Client,
    config: &Config,
    write_back: bool,
    backoff: &mut Duration,
) -> Failure {
    match connected(shared, client, config, write_back, backoff).await {
        Ok(never) => match never {},
        Err(failure) => failure,
    }
}

async fn connected(
    shared: &Shared,
    client: &redis::Client,
    config: &Config,
    write_back: bool,
    backoff: &mut Duration,
) -> Result<core::convert::Infallible, Failure> {
    let t = config.timeout;
    let mut conn = bounded(t, client.get_multiplexed_async_connection()).await?;
    let mut pubsub = bounded(t, client.get_async_pubsub()).await?;
    // Subscribe before the first read, so nothing published in between is missed.
    bounded(t, pubsub.subscribe(&config.key)).await?;
    if write_back {
        let all: Vec<(SessionId, u64)> = read(&shared.entries)
            .iter()
            .map(|(id, until)| (*id, *until))
            .collect();
        for batch in all.chunks(BATCH) {
            bounded(t, write(&mut conn, &config.key, batch)).await?;
        }
        lock(&shared.pending).clear();
    }
    flush(shared, &mut conn, config).await?;
    resync(shared, &mut conn, config).await?;
    *lock(&shared.conn) = Some(conn.clone());
    *backoff = MIN_BACKOFF;
    if write_back {
        tracing::info!(
            entries = read(&shared.entries).len(),
            "revocation sync with Redis restored; copy written back and read"
        );
    }
    let mut messages = pubsub.into_on_message();
    let mut tick = tokio::time::interval(config.resync_interval);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    tick.tick().await; // the first tick is immediate: just resynced
    loop {
        tokio::select! {
            message = messages.next() => {
                let Some(message) = message else {
                    return Err(Failure::SubscriptionClosed);
                };
                if let Some((id, until)) = decode(message.get_payload_bytes()) {
                    merge(shared, &[(id, until)]);
                }
            }
            () = shared.wake.notified() => flush(shared, &mut conn, config).await?,
            _ = tick.tick() => {
                flush(shared, &mut conn, config).await?;
                resync(shared, &mut conn, config).await?;
            }
        }
    }
}

/// Writes the queued revocations; they leave the queue only once Redis has them.
async fn flush(
    shared: &Shared,
    conn: &mut MultiplexedConnection,
    config: &Config,
) -> Result<(), Failure> {
    let queued: Vec<(SessionId, u64)> = lock(&shared.pending)
        .iter()
        .map(|(id, until)| (*id, *until))
        .collect();
    for batch in queued.chunks(BATCH) {
        bounded(config.timeout, write(conn, &config.key, batch)).await?;
        let mut pending = lock(&shared.pending);
        for (id, _) in batch {
            pending.remove(id);
        }
    }
    Ok(())
}

/// Prunes the set by score, then reads it whole (the latest deadlines first, at most
/// `capacity`) into the copy. Merged, never replaced: a revocation leaves only at its deadline.
async fn resync(
    shared: &Shared,
    conn: &mut MultiplexedConnection,
    config: &Config,
) -> Result<(), Failure> {
    let now = unix(SystemTime::now());
    let (total, members): (usize, Vec<(Vec<u8>, String)>) = bounded(
        config.timeout,
        redis::pipe()
            .cmd("ZREMRANGEBYSCORE")
            .arg(&config.key)
            .arg("-inf")
            .arg(now)
            .ignore()
            .cmd("ZCARD")
            .arg(&config.key)
            .cmd("ZREVRANGEBYSCORE")
            .arg(&config.key)
            .arg("+inf")
            .arg(format!("({now}"))
            .arg("WITHSCORES")
            .arg("LIMIT")
            .arg(0)
            .arg(shared.capacity)
            .query_async(conn),
    )
    .await?;
    let entries: Vec<(SessionId, u64)> = members
        .iter()
        .filter_map(|(member, score)| Some((decode_id(member)?, decode_score(score)?)))
        .collect();
    let mut dropped = merge(shared, &entries) + total.saturating_sub(members.len()) as u64;
    // Prune the copy too, so memory follows the deadlines even with no new revocation.
    shared
        .entries
        .write()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
        .retain(|_, until| *until > now);
    let last_sync = Some(SystemTime::now());
    {
        let mut sync = lock(&shared.sync);
        sync.last_sync = last_sync;
        dropped = dropped.min(u64::MAX - sync.dropped);
        sync.dropped += dropped;
    }
    report_age(last_sync, read(&shared.entries).len());
    if dropped > 0 {
        tracing::warn!(
            dropped,
            capacity = shared.capacity,
            in_redis = total,
            "revocations in Redis exceed this node's capacity; the excess is not enforced here"
        );
    }
    Ok(())
}

/// Adds entries to the copy; returns how many did not fit.
fn merge(shared: &Shared, entries: &[(SessionId, u64)]) -> u64 {
    let now = SystemTime::now();
    let mut dropped = 0;
    for (id, until) in entries {
        if shared.insert(*id, *until, now).is_err() {
            dropped += 1;
        }
    }
    if dropped > 0 {
        #[cfg(feature = "metrics")]
        crate::adapters::metrics::revocations_dropped(dropped);
    }
    dropped
}

/// ZADD (the later deadline wins) and PUBLISH, in one round trip.
async fn write(
    conn: &mut MultiplexedConnection,
    key: &str,
    entries: &[(SessionId, u64)],
) -> redis::RedisResult<()> {
    let mut pipe = redis::pipe();
    for (id, until) in entries {
        let member = encode_id(id);
        let score = encode_score(*until);
        pipe.cmd("ZADD")
            .arg(key)
            .arg("GT")
            .arg(&score)
            .arg(&member)
            .ignore();
        pipe.cmd("PUBLISH")
            .arg(key)
            .arg(format!("{member}:{score}"))
            .ignore();
    }
    pipe.query_async(conn).await
}

/// The handle's write on the task's connection, if there is one; `false`: queue it.
pub(crate) async fn write_now(shared: &Shared, config: &Config, id: SessionId, until: u64) -> bool {
    let Some(mut conn) = lock(&shared.conn).clone() else {
        return false;
    };
    bounded(
        config.timeout,
        write(&mut conn, &config.key, &[(id, until)]),
    )
    .await
    .is_ok()
}

fn report_age(last_sync: Option<SystemTime>, entries: usize) {
    #[cfg(feature = "metrics")]
    crate::adapters::metrics::revocation_sync_state(last_sync.map(age_secs), entries);
    #[cfg(not(feature = "metrics"))]
    let _ = (last_sync, entries);
}

fn age_secs(t: SystemTime) -> f64 {
    SystemTime::now()
        .duration_since(t)
        .map_or(0.0, |d| d.as_secs_f64())
}

fn encode_id(id: &SessionId) -> String {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    let mut out = String::with_capacity(32);
    for b in id.as_bytes() {
        out.push(char::from(HEX[usize::from(b >> 4)]));
        out.push(char::from(HEX[usize::from(b & 15)]));
    }
    out
}

fn decode_id(hex: &[u8]) -> Option<SessionId> {
    if hex.len() != 32 {
        return None;
    }
    let mut bytes = [0u8; 16];
    for (i, pair) in hex.chunks_exact(2).enumerate() {
        let hi = char::from(pair[0]).to_digit(16)?;
        let lo = char::from(pair[1]).to_digit(16)?;
        bytes[i] = u8::try_from(hi * 16 + lo).ok()?;
    }
    Some(SessionId::from_bytes(bytes))
}

fn encode_score(until: u64) -> String {
    if until == u64::MAX {
        "+inf".to_owned()
    } else {
        until.to_string()
    }
}

fn decode_score(score: &str) -> Option<u64> {
    match score {
        "inf" | "+inf" => Some(u64::MAX),
        _ => score.parse::<u64>().ok().or_else(|| {
            // Redis may print a whole score as a float ("1.8e9" from another writer).
            let f = score.parse::<f64>().ok()?;
            (f.is_finite() && f >= 0.0).then_some(f as u64)
        }),
    }
}

/// A pub/sub payload: `<32 hex digits>:<score>`; anything else is ignored (the next resync
/// reads the set itself).
fn decode(payload: &[u8]) -> Option<(SessionId, u64)> {
    if payload.len() > 64 {
        return None;
    }
    let colon = payload.iter().position(|&b| b == b':')?;
    let score = core::str::from_utf8(&payload[colon + 1..]).ok()?;
    Some((decode_id(&payload[..colon])?, decode_score(score)?))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wire_forms_round_trip_and_junk_is_ignored() {
        let id = SessionId::from_bytes(*b"\x00\x01\xfe\xffsixteen-byte");
        let payload = format!("{}:{}", encode_id(&id), encode_score(1_800_000_000));
        assert_eq!(decode(payload.as_bytes()), Some((id, 1_800_000_000)));
        let forever = format!("{}:{}", encode_id(&id), encode_score(u64::MAX));
        assert_eq!(decode(forever.as_bytes()), Some((id, u64::MAX)));
        assert_eq!(decode_score("inf"), Some(u64::MAX));
        assert_eq!(decode_score("1.8e9"), Some(1_800_000_000));
        for junk in [&b""[..], b":", b"zz:1", b"00:1", &[b'0'; 200]] {
            assert_eq!(decode(junk), None);
        }
        assert_eq!(decode_score("-1"), None);
        assert_eq!(decode_id("é".repeat(16).as_bytes()), None);
    }
}
