//! Stale reads: a write on one node read at once on another (and on the same one), straight
//! to the nodes, while other users load the stack through nginx.

use std::net::SocketAddr;
use std::time::Instant;

use serde_json::{Value, json};
use tokio::runtime::Runtime;

use crate::load::{Op, Tally, User};
use crate::phases::{Params, summary, users};
use crate::stack::{NODES, Stack};

fn counter(body: &str) -> Option<u64> {
    let mut w = body.split(' ');
    (w.next() == Some("s"))
        .then(|| w.next().and_then(|n| n.parse().ok()))
        .flatten()
}

#[derive(Default, Clone, Copy)]
struct StaleCounts {
    writes: u64,
    writes_without_session: u64,
    other_fresh: u64,
    other_stale: u64,
    other_missing: u64,
    same_fresh: u64,
    same_stale: u64,
    same_missing: u64,
    failed: u64,
}

/// Write on node i, read at once on node i+1 (and then on node i), straight to the nodes.
async fn stale_user(
    mut u: User,
    nodes: [SocketAddr; NODES],
    pairs: usize,
    deadline: Instant,
) -> StaleCounts {
    let mut c = StaleCounts::default();
    let mut t = Tally::default();
    let start = Instant::now();
    let mut signed_in_on = None;
    for k in 0..pairs {
        if Instant::now() > deadline {
            break;
        }
        let i = (u.number as usize + k) % NODES;
        if signed_in_on.is_none() {
            u.conn.retarget(nodes[i]);
            u.jar.clear();
            u.send(Op::Login, &mut t, start).await;
            signed_in_on = Some(i);
        }
        u.conn.retarget(nodes[i]);
        let reply = u.send(Op::Incr, &mut t, start).await;
        let written = match reply.as_ref().map(|r| r.body.as_str()) {
            Some("none") => {
                // Node i holds no copy of the session (sticky): sign in there again.
                c.writes_without_session += 1;
                signed_in_on = None;
                continue;
            }
            Some(body) => match counter(body) {
                Some(n) => n,
                None => {
                    c.failed += 1;
                    continue;
                }
            },
            None => {
                c.failed += 1;
                continue;
            }
        };
        c.writes += 1;
        for (node, fresh, stale, missing) in [
            (
                (i + 1) % NODES,
                &mut c.other_fresh,
                &mut c.other_stale,
                &mut c.other_missing,
            ),
            (i, &mut c.same_fresh, &mut c.same_stale, &mut c.same_missing),
        ] {
            u.conn.retarget(nodes[node]);
            // The user's knowledge is not what is tested here: read the raw answer.
            match u
                .send(Op::Read, &mut Tally::default(), start)
                .await
                .map(|r| r.body)
            {
                Some(b) if b == "none" => *missing += 1,
                Some(b) => match counter(&b) {
                    Some(n) if n >= written => *fresh += 1,
                    Some(_) => *stale += 1,
                    None => c.failed += 1,
                },
                None => c.failed += 1,
            }
        }
        // A later write builds on what the user last saw: keep it the written value.
        u.expected = Some(written);
    }
    c
}

/// Stale reads: up to `stale_pairs` writes in `stale_time`, each read at once on another
/// node and on the same node, while `users` users run the mixed load through nginx.
pub fn stale(rt: &Runtime, stack: &Stack, p: &Params) -> Value {
    let nodes = [stack.node_addr(0), stack.node_addr(1), stack.node_addr(2)];
    let per_user = p.stale_pairs.div_ceil(p.stale_users);
    let start = Instant::now();
    let deadline = start + p.stale_time;
    let background = users(p.users, 6000, stack.nginx_addr(), p.small_items);
    let (all, mut load) = rt.block_on(async {
        let mix: Vec<_> = background
            .into_iter()
            .map(|u| tokio::spawn(u.run_mix(deadline, start)))
            .collect();
        let tasks: Vec<_> = (0..p.stale_users)
            .map(|i| {
                tokio::spawn(stale_user(
                    User::new(4000 + i, nodes[0], p.small_items),
                    nodes,
                    per_user,
                    deadline,
                ))
            })
            .collect();
        let mut sum = StaleCounts::default();
        for t in tasks {
            let c = t.await.expect("a user task panicked");
            sum.writes += c.writes;
            sum.writes_without_session += c.writes_without_session;
            sum.other_fresh += c.other_fresh;
            sum.other_stale += c.other_stale;
            sum.other_missing += c.other_missing;
            sum.same_fresh += c.same_fresh;
            sum.same_stale += c.same_stale;
            sum.same_missing += c.same_missing;
            sum.failed += c.failed;
        }
        let mut load = Tally::default();
        for t in mix {
            load.merge(t.await.expect("a user task panicked").1);
        }
        (sum, load)
    });
    let background = summary(&mut load, p.stale_time.as_secs_f64());
    json!({
        "users": p.stale_users,
        "writes": all.writes,
        "writes_without_session": all.writes_without_session,
        "other_node": {"fresh": all.other_fresh, "stale": all.other_stale, "missing": all.other_missing},
        "same_node": {"fresh": all.same_fresh, "stale": all.same_stale, "missing": all.same_missing},
        "failed": all.failed,
        "seconds": start.elapsed().as_secs_f64(),
        "background_requests_per_s": background["requests_per_s"],
        "background_stale": background["stale"],
    })
}
