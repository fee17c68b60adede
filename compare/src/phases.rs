//! The measured phases, each bounded in time, each returning its figures as JSON.

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::AtomicU64;
use std::time::{Duration, Instant};

use serde_json::{Value, json};
use tokio::runtime::Runtime;

use crate::load::{Op, Tally, User, percentile_ms};
use crate::stack::Stack;

/// The run's sizes and durations (full run or `--smoke`).
#[derive(Clone, Debug)]
pub struct Params {
    pub users: usize,
    pub warmup: Duration,
    pub measure: Duration,
    pub small_items: usize,
    pub large_items: usize,
    pub memory_sessions: u64,
    pub memory_deadline: Duration,
    pub fault_duration: Duration,
    pub stale_users: usize,
    pub stale_pairs: usize,
    pub stale_time: Duration,
}

/// Runs `users` on the mixed workload for `duration`.
pub fn run_mix(rt: &Runtime, users: Vec<User>, duration: Duration) -> (Vec<User>, Tally, Instant) {
    let start = Instant::now();
    let deadline = start + duration;
    rt.block_on(async {
        let tasks: Vec<_> = users
            .into_iter()
            .map(|u| tokio::spawn(u.run_mix(deadline, start)))
            .collect();
        let mut back = Vec::new();
        let mut tally = Tally::default();
        for t in tasks {
            let (u, t) = t.await.expect("a user task panicked");
            back.push(u);
            tally.merge(t);
        }
        (back, tally, start)
    })
}

pub fn users(n: usize, first: usize, target: SocketAddr, items: usize) -> Vec<User> {
    (0..n)
        .map(|i| User::new(first + i, target, items))
        .collect()
}

/// Requests per second, latency percentiles and bytes per request from `tally`.
pub fn summary(tally: &mut Tally, seconds: f64) -> Value {
    tally.latencies_us.sort_unstable();
    let ok = tally.ok();
    let (req, resp): (u64, u64) = tally.wire.iter().fold((0, 0), |(a, b), w| {
        (a + w.request_bytes, b + w.response_bytes)
    });
    let per_op: serde_json::Map<String, Value> = Op::ALL
        .iter()
        .map(|op| {
            let w = tally.wire[*op as usize];
            let n = w.count.max(1) as f64;
            (
                op.name().to_owned(),
                json!({
                    "count": w.count,
                    "request_bytes": (w.request_bytes as f64 / n).round(),
                    "response_bytes": (w.response_bytes as f64 / n).round(),
                }),
            )
        })
        .collect();
    json!({
        "seconds": seconds,
        "requests_ok": ok,
        "requests_per_s": (ok as f64 / seconds).round(),
        "p50_ms": percentile_ms(&tally.latencies_us, 50.0),
        "p99_ms": percentile_ms(&tally.latencies_us, 99.0),
        "max_ms": percentile_ms(&tally.latencies_us, 100.0),
        "failed": tally.failed(),
        "failed_io": tally.failed_io,
        "failed_5xx": tally.failed_5xx,
        "refused_4xx": tally.refused_4xx,
        "sessions_lost": tally.lost,
        "stale": tally.stale,
        "request_bytes": (req as f64 / ok.max(1) as f64).round(),
        "response_bytes": (resp as f64 / ok.max(1) as f64).round(),
        "by_op": per_op,
    })
}

/// Throughput and latency at fixed concurrency through nginx, after a warm-up.
pub fn throughput(
    rt: &Runtime,
    stack: &Stack,
    p: &Params,
    items: usize,
    first_user: usize,
) -> Value {
    let u = users(p.users, first_user, stack.nginx_addr(), items);
    let (u, _, _) = run_mix(rt, u, p.warmup);
    let counts0 = stack.node_counts();
    let net0 = stack.redis_net_bytes();
    let (_, mut tally, start) = run_mix(rt, u, p.measure);
    let seconds = start.elapsed().as_secs_f64();
    let counts1 = stack.node_counts();
    let net1 = stack.redis_net_bytes();
    let per_node: Vec<u64> = counts1.iter().zip(&counts0).map(|(a, b)| a - b).collect();
    let mut v = summary(&mut tally, seconds);
    v["users"] = json!(p.users);
    v["items"] = json!(items);
    v["requests_per_node"] = json!(per_node);
    v["store_bytes_per_request"] = json!(((net1 - net0) as f64 / tally.ok().max(1) as f64).round());
    v
}

/// Memory per 100,000 sessions: a fresh stack, warmed up, then `memory_sessions` sign-ins of
/// new visitors; the growth of the nodes' RSS plus every Redis's used_memory, scaled.
pub fn memory(rt: &Runtime, stack: &Stack, p: &Params, items: usize) -> Result<Value, String> {
    let warm = users(p.users, 0, stack.nginx_addr(), items);
    let (warm, _, _) = run_mix(rt, warm, Duration::from_millis(500).min(p.warmup * 2));
    drop(warm);
    stack.sync_replicas()?;
    std::thread::sleep(Duration::from_millis(300));
    let before = stack.memory()?;
    let created = Arc::new(AtomicU64::new(0));
    let start = Instant::now();
    let deadline = start + p.memory_deadline;
    let u = users(p.users, 0, stack.nginx_addr(), items);
    let goal = p.memory_sessions;
    let tally = rt.block_on(async {
        let tasks: Vec<_> = u
            .into_iter()
            .map(|u| tokio::spawn(u.create_sessions(created.clone(), goal, deadline, start)))
            .collect();
        let mut tally = Tally::default();
        for t in tasks {
            tally.merge(t.await.expect("a user task panicked").1);
        }
        tally
    });
    stack.sync_replicas()?;
    std::thread::sleep(Duration::from_millis(300));
    let after = stack.memory()?;
    let made = tally.wire[Op::Login as usize].count;
    let scale = 100_000.0 / made.max(1) as f64;
    let delta = |a: &[u64], b: &[u64]| -> i64 {
        a.iter().sum::<u64>() as i64 - b.iter().sum::<u64>() as i64
    };
    let nodes = delta(&after.nodes_rss, &before.nodes_rss);
    let store = delta(&after.redis_used, &before.redis_used);
    Ok(json!({
        "items": items,
        "sessions_created": made,
        "seconds": start.elapsed().as_secs_f64(),
        "failed": tally.failed(),
        "nodes_rss_before": before.nodes_rss,
        "nodes_rss_after": after.nodes_rss,
        "redis_used_before": before.redis_used,
        "redis_used_after": after.redis_used,
        "nodes_growth_bytes": nodes,
        "store_growth_bytes": store,
        "per_100k_nodes_mb": (nodes as f64 * scale / 1e6 * 10.0).round() / 10.0,
        "per_100k_store_mb": (store as f64 * scale / 1e6 * 10.0).round() / 10.0,
        "per_100k_total_mb": ((nodes + store) as f64 * scale / 1e6 * 10.0).round() / 10.0,
        "total_before": before.total(),
    }))
}

/// What happens at the times of `events` (seconds into the phase) during a mixed run.
pub type Event<'a> = (
    f64,
    &'static str,
    Box<dyn FnOnce(&mut Stack) -> Result<(), String> + Send + 'a>,
);

/// A mixed run of `duration` with `events` done on the stack meanwhile (from another thread),
/// every user with a session of `items`.
pub fn fault(
    rt: &Runtime,
    stack: &mut Stack,
    p: &Params,
    first_user: usize,
    items: usize,
    events: Vec<Event<'_>>,
) -> Result<Value, String> {
    let u = users(p.users, first_user, stack.nginx_addr(), items);
    // Every user signed in before the fault.
    let (u, _, _) = run_mix(rt, u, Duration::from_millis(300));
    let start = Instant::now();
    let ((_, mut tally, _), done) = std::thread::scope(|s| {
        let handle = s.spawn(|| {
            let mut times = Vec::new();
            for (at, what, action) in events {
                let wait = Duration::from_secs_f64(at).saturating_sub(start.elapsed());
                std::thread::sleep(wait);
                times.push((what.to_owned(), start.elapsed().as_secs_f64()));
                action(stack)?;
            }
            Ok(times)
        });
        let r = run_mix(rt, u, p.fault_duration);
        let done: Result<Vec<(String, f64)>, String> = handle
            .join()
            .unwrap_or_else(|_| Err("event thread panicked".into()));
        (r, done)
    });
    let times = done?;
    tally.fail_times.sort_by(f64::total_cmp);
    tally.lost_times.sort_by(f64::total_cmp);
    let first = tally.fail_times.first().copied();
    let last = tally.fail_times.last().copied();
    let (first_lost, last_lost) = (
        tally.lost_times.first().copied(),
        tally.lost_times.last().copied(),
    );
    let seconds = p.fault_duration.as_secs_f64();
    let mut v = summary(&mut tally, seconds);
    v["events"] = json!(
        times
            .iter()
            .map(|(w, t)| json!({"what": w, "at_s": t}))
            .collect::<Vec<_>>()
    );
    v["first_failure_s"] = json!(first);
    v["last_failure_s"] = json!(last);
    v["failure_window_s"] = json!(first.zip(last).map(|(a, b)| b - a));
    v["first_lost_s"] = json!(first_lost);
    v["last_lost_s"] = json!(last_lost);
    v["items"] = json!(items);
    Ok(v)
}

/// SIGKILL node 2 a quarter into the run, start it again at half; the second half shows
/// the recovery.
pub fn node_kill(rt: &Runtime, stack: &mut Stack, p: &Params) -> Result<Value, String> {
    let d = p.fault_duration.as_secs_f64();
    fault(
        rt,
        stack,
        p,
        2000,
        p.small_items,
        vec![
            (
                d / 4.0,
                "SIGKILL node 2",
                Box::new(|s: &mut Stack| {
                    s.nodes[2].sigkill();
                    Ok(())
                }),
            ),
            (
                d / 2.0,
                "node 2 started again",
                Box::new(|s: &mut Stack| s.restart_node(2)),
            ),
        ],
    )
}

/// SIGKILL the Redis primary a quarter into the run, start it again at half (it reloads
/// its append-only file); the second half shows the recovery (replicas resynchronise). The
/// users hold sessions of `items` (the hybrid's store holds only large sessions).
pub fn store_kill(
    rt: &Runtime,
    stack: &mut Stack,
    p: &Params,
    items: usize,
) -> Result<Value, String> {
    let d = p.fault_duration.as_secs_f64();
    fault(
        rt,
        stack,
        p,
        3000,
        items,
        vec![
            (
                d / 4.0,
                "SIGKILL redis primary",
                Box::new(|s: &mut Stack| {
                    s.redis[0].sigkill();
                    Ok(())
                }),
            ),
            (
                d / 2.0,
                "redis primary started again",
                Box::new(|s: &mut Stack| s.restart_store()),
            ),
        ],
    )
}

/// Which session sizes a sign-in through nginx accepts (and a read then finds).
pub fn size_probe(rt: &Runtime, stack: &Stack, sizes: &[usize]) -> Value {
    let target = stack.nginx_addr();
    let rows: Vec<Value> = rt.block_on(async {
        let mut rows = Vec::new();
        for (k, items) in sizes.iter().enumerate() {
            let mut u = User::new(5000 + k, target, *items);
            let mut t = Tally::default();
            let start = Instant::now();
            let login = u.send(Op::Login, &mut t, start).await;
            let read = u.send(Op::Read, &mut t, start).await;
            rows.push(json!({
                "items": items,
                "login_status": login.as_ref().map(|r| r.status),
                "login_response_bytes": login.as_ref().map(|r| r.response_bytes),
                "read_found_it": read.as_ref().is_some_and(|r| r.body == format!("s 0 {items}")),
                "read_request_bytes": read.as_ref().map(|r| r.request_bytes),
            }));
        }
        rows
    });
    json!(rows)
}
