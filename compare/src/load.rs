//! Virtual users and what they check. Each user has its own connection, loopback address
//! and cookie jar, so every session is a real per-client session; each knows what its
//! session must hold (the counter it last saw), so a response tells a lost session (`none`)
//! or a stale one (a counter older than the user's last write) from a good one.

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use crate::client::{Conn, Jar, Reply};

/// Every user signs in again (a fresh session id) after this many requests.
pub const RELOGIN_EVERY: u64 = 40;
/// Failure times kept per user (the outage windows); more are counted, not kept.
const MAX_FAIL_TIMES: usize = 10_000;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Op {
    Login,
    Read,
    Incr,
}

impl Op {
    pub const ALL: [Op; 3] = [Op::Login, Op::Read, Op::Incr];
    pub fn name(self) -> &'static str {
        match self {
            Op::Login => "login",
            Op::Read => "read",
            Op::Incr => "incr",
        }
    }
}

/// Bytes on the wire for one kind of request.
#[derive(Clone, Copy, Debug, Default)]
pub struct Wire {
    pub count: u64,
    pub request_bytes: u64,
    pub response_bytes: u64,
}

/// What a group of users saw.
#[derive(Clone, Debug, Default)]
pub struct Tally {
    /// Successful requests by [`Op`] (index as in [`Op::ALL`]).
    pub wire: [Wire; 3],
    /// Latency of each successful request, microseconds.
    pub latencies_us: Vec<u32>,
    pub failed_io: u64,
    pub failed_5xx: u64,
    pub refused_4xx: u64,
    /// Requests that found no session where the user had one.
    pub lost: u64,
    /// Reads older than the user's last write, and writes made on such a read.
    pub stale: u64,
    /// Seconds since the phase's start of each failure (at most [`MAX_FAIL_TIMES`] per user).
    pub fail_times: Vec<f64>,
    /// Seconds since the phase's start of each lost session (capped like `fail_times`).
    pub lost_times: Vec<f64>,
    /// Seconds since the phase's start of the last success.
    pub last_ok: f64,
}

impl Tally {
    pub fn merge(&mut self, other: Tally) {
        for (a, b) in self.wire.iter_mut().zip(other.wire) {
            a.count += b.count;
            a.request_bytes += b.request_bytes;
            a.response_bytes += b.response_bytes;
        }
        self.latencies_us.extend(other.latencies_us);
        self.failed_io += other.failed_io;
        self.failed_5xx += other.failed_5xx;
        self.refused_4xx += other.refused_4xx;
        self.lost += other.lost;
        self.stale += other.stale;
        self.fail_times.extend(other.fail_times);
        self.lost_times.extend(other.lost_times);
        self.last_ok = self.last_ok.max(other.last_ok);
    }

    pub fn ok(&self) -> u64 {
        self.wire.iter().map(|w| w.count).sum()
    }

    pub fn failed(&self) -> u64 {
        self.failed_io + self.failed_5xx
    }

    fn fail(&mut self, start: Instant) {
        if self.fail_times.len() < MAX_FAIL_TIMES {
            self.fail_times.push(start.elapsed().as_secs_f64());
        }
    }
}

/// One virtual user.
pub struct User {
    pub number: u64,
    pub conn: Conn,
    pub jar: Jar,
    /// The counter the session holds, as far as this user knows.
    pub expected: Option<u64>,
    /// The last write failed: it may or may not have happened, so the next value is taken.
    uncertain: bool,
    pub items: usize,
    requests: u64,
}

impl User {
    pub fn new(number: usize, target: SocketAddr, items: usize) -> User {
        User {
            number: number as u64,
            conn: Conn::new(number, target),
            jar: Jar::default(),
            expected: None,
            uncertain: false,
            items,
            requests: 0,
        }
    }

    /// The workload's next request: sign in when there is no session or every
    /// [`RELOGIN_EVERY`] requests, else three reads to one write.
    fn next_op(&self) -> Op {
        if self.expected.is_none() || self.requests.is_multiple_of(RELOGIN_EVERY) {
            Op::Login
        } else if self.requests % 4 == 3 {
            Op::Incr
        } else {
            Op::Read
        }
    }

    /// Sends `op`, checks the answer against what the user knows, and counts it in `tally`.
    pub async fn send(&mut self, op: Op, tally: &mut Tally, start: Instant) -> Option<Reply> {
        let (method, path) = match op {
            Op::Login => (
                "POST",
                format!("/login?user={}&items={}", self.number, self.items),
            ),
            Op::Read => ("GET", "/read".to_owned()),
            Op::Incr => ("POST", "/incr".to_owned()),
        };
        let t0 = Instant::now();
        let result = self.conn.request(method, &path, &mut self.jar).await;
        let elapsed = t0.elapsed();
        let reply = match result {
            Err(_) => {
                tally.failed_io += 1;
                tally.fail(start);
                self.uncertain |= op != Op::Read;
                return None;
            }
            Ok(r) => r,
        };
        if reply.status >= 500 {
            tally.failed_5xx += 1;
            tally.fail(start);
            self.uncertain |= op != Op::Read;
            return Some(reply);
        }
        if reply.status >= 400 {
            tally.refused_4xx += 1;
            return Some(reply);
        }
        let w = &mut tally.wire[op as usize];
        w.count += 1;
        w.request_bytes += reply.request_bytes as u64;
        w.response_bytes += reply.response_bytes as u64;
        tally
            .latencies_us
            .push(elapsed.as_micros().min(u32::MAX as u128) as u32);
        tally.last_ok = start.elapsed().as_secs_f64();
        let lost_before = tally.lost;
        self.check(op, &reply.body, tally);
        if tally.lost > lost_before && tally.lost_times.len() < MAX_FAIL_TIMES {
            tally.lost_times.push(start.elapsed().as_secs_f64());
        }
        Some(reply)
    }

    fn check(&mut self, op: Op, body: &str, tally: &mut Tally) {
        let mut words = body.split(' ');
        match (op, words.next()) {
            (Op::Login, Some("ok")) => {
                self.expected = Some(0);
                self.uncertain = false;
            }
            (_, Some("none")) => {
                if self.expected.is_some() && !self.uncertain {
                    tally.lost += 1;
                }
                self.expected = None;
                self.uncertain = false;
            }
            (Op::Read | Op::Incr, Some("s")) => {
                let seen: u64 = words.next().and_then(|w| w.parse().ok()).unwrap_or(0);
                if let (Some(known), false) = (self.expected, self.uncertain) {
                    let good = if op == Op::Read {
                        seen == known
                    } else {
                        seen == known + 1
                    };
                    if !good {
                        tally.stale += 1;
                    }
                }
                self.expected = Some(seen);
                self.uncertain = false;
            }
            _ => {}
        }
    }

    /// The mixed workload until `deadline`.
    pub async fn run_mix(mut self, deadline: Instant, start: Instant) -> (User, Tally) {
        let mut tally = Tally::default();
        while Instant::now() < deadline {
            let op = self.next_op();
            self.requests += 1;
            if self.send(op, &mut tally, start).await.is_none() {
                // A refused connection comes back at once: do not spin on it.
                tokio::time::sleep(Duration::from_millis(5)).await;
            }
        }
        (self, tally)
    }

    /// Signs in with an empty jar (a new visitor each time) until `created` reaches `goal`
    /// or `deadline` passes: sessions that stay on the server (or in no one's jar).
    pub async fn create_sessions(
        mut self,
        created: Arc<AtomicU64>,
        goal: u64,
        deadline: Instant,
        start: Instant,
    ) -> (User, Tally) {
        let mut tally = Tally::default();
        while Instant::now() < deadline && created.fetch_add(1, Ordering::Relaxed) < goal {
            self.jar.clear();
            self.expected = None;
            self.number += 1_000_000;
            let before = tally.wire[Op::Login as usize].count;
            self.send(Op::Login, &mut tally, start).await;
            if tally.wire[Op::Login as usize].count == before {
                created.fetch_sub(1, Ordering::Relaxed);
            }
        }
        (self, tally)
    }
}

/// Latency percentile `p` (0..=100) of `sorted`, in milliseconds.
pub fn percentile_ms(sorted: &[u32], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let i = ((sorted.len() as f64 - 1.0) * p / 100.0).round() as usize;
    f64::from(sorted[i.min(sorted.len() - 1)]) / 1000.0
}
