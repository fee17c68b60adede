//! `compare run [--smoke] [--out DIR] [--only NAME,NAME]`: every variant's stack in turn,
//! every phase, one JSON file (DIR/comparison.json) that `compare/render.py` turns into
//! docs/COMPARISON.md and its chart.

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant, SystemTime};

use sealed_session::{Codec, Keyring, RequestCookies};
use serde_json::{Value, json};

use crate::node::AppSession;
use crate::phases::{self, Params};
use crate::stack::Stack;
use crate::variants::{VARIANTS, Variant};

/// The large session: two cookies of the library's default budget (6144 bytes in all), a
/// list of 2000 numbers (about 4 KB serialized).
const LARGE_ITEMS: usize = 2000;
const SMALL_ITEMS: usize = 5;

fn params(smoke: bool) -> Params {
    if smoke {
        Params {
            users: 4,
            warmup: Duration::from_millis(200),
            measure: Duration::from_millis(700),
            small_items: SMALL_ITEMS,
            large_items: LARGE_ITEMS,
            memory_sessions: 300,
            memory_deadline: Duration::from_secs(10),
            fault_duration: Duration::from_millis(1500),
            stale_users: 2,
            stale_pairs: 30,
            stale_time: Duration::from_secs(1),
        }
    } else {
        Params {
            users: 32,
            warmup: Duration::from_secs(2),
            measure: Duration::from_secs(10),
            small_items: SMALL_ITEMS,
            large_items: LARGE_ITEMS,
            memory_sessions: 20_000,
            memory_deadline: Duration::from_secs(30),
            fault_duration: Duration::from_secs(12),
            stale_users: 8,
            stale_pairs: 5000,
            stale_time: Duration::from_secs(8),
        }
    }
}

pub fn main(args: &[String]) -> Result<(), String> {
    let mut smoke = false;
    let mut out = PathBuf::from("target/compare");
    let mut only: Option<Vec<String>> = None;
    let mut it = args.iter();
    while let Some(a) = it.next() {
        match a.as_str() {
            "--smoke" => smoke = true,
            "--out" => out = PathBuf::from(it.next().ok_or("--out needs a directory")?),
            "--only" => {
                only = Some(
                    it.next()
                        .ok_or("--only needs names")?
                        .split(',')
                        .map(String::from)
                        .collect(),
                )
            }
            _ => return Err(format!("unknown argument {a}")),
        }
    }
    let variants: Vec<Variant> = match &only {
        Some(names) => names
            .iter()
            .map(|n| Variant::by_name(n))
            .collect::<Result<_, _>>()?,
        None => VARIANTS.to_vec(),
    };
    let p = params(smoke);
    crate::stack::stop_children_on_signal();
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| e.to_string())?;
    let keyring = Keyring::generate().map_err(|e| e.to_string())?.to_text();
    let root = std::env::temp_dir().join(format!("sealed-compare.{}", std::process::id()));
    std::fs::create_dir_all(&root).map_err(|e| e.to_string())?;
    // nginx's workers (nobody) must traverse to their temp directories, not list them.
    std::fs::set_permissions(&root, std::fs::Permissions::from_mode(0o711))
        .map_err(|e| e.to_string())?;
    let began = Instant::now();
    let load_before = loadavg();
    let mut results = Vec::new();
    let outcome = (|| -> Result<(), String> {
        for v in &variants {
            results.push(variant(&rt, *v, &root, &keyring, &p)?);
        }
        Ok(())
    })();
    if std::env::var("KEEP").as_deref() == Ok("1") {
        eprintln!("kept {}", root.display());
    } else {
        let _ = std::fs::remove_dir_all(&root);
    }
    outcome?;
    let report = json!({
        "generated_unix": SystemTime::now().duration_since(SystemTime::UNIX_EPOCH).map_or(0, |d| d.as_secs()),
        "mode": if smoke { "smoke" } else { "full" },
        "command": std::env::var("COMPARE_COMMAND").unwrap_or_else(|_| "scripts/compare.sh".into()),
        "seconds": began.elapsed().as_secs_f64().round(),
        "machine": machine(load_before),
        "versions": versions(),
        "params": {
            "users": p.users, "warmup_s": p.warmup.as_secs_f64(), "measure_s": p.measure.as_secs_f64(),
            "small_items": p.small_items, "large_items": p.large_items,
            "memory_sessions": p.memory_sessions, "fault_s": p.fault_duration.as_secs_f64(),
            "stale_users": p.stale_users, "stale_pairs": p.stale_pairs, "stale_s": p.stale_time.as_secs_f64(),
            "relogin_every": crate::load::RELOGIN_EVERY, "reads_per_write": 3,
        },
        "cookie_sizes": {
            "small": cookie_size(p.small_items)?,
            "large": cookie_size(p.large_items)?,
        },
        "variants": results,
    });
    std::fs::create_dir_all(&out).map_err(|e| e.to_string())?;
    let path = out.join("comparison.json");
    let text = serde_json::to_string_pretty(&report).map_err(|e| e.to_string())?;
    std::fs::write(&path, text + "\n").map_err(|e| e.to_string())?;
    eprintln!("wrote {}", path.display());
    if smoke {
        check_smoke(&report)?;
    }
    Ok(())
}

fn log(v: &Variant, what: &str) {
    let t = SystemTime::now()
        .duration_since(SystemTime::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    eprintln!(
        "[{:02}:{:02}:{:02}] {}: {what}",
        t / 3600 % 24,
        t / 60 % 60,
        t % 60,
        v.name
    );
}

/// Every phase for one variant: one stack for the load and fault phases, a fresh one for
/// each memory measurement.
fn variant(
    rt: &tokio::runtime::Runtime,
    v: Variant,
    root: &Path,
    keyring: &str,
    p: &Params,
) -> Result<Value, String> {
    let dir = root.join(v.name);
    log(&v, "starting redis, 3 nodes, nginx");
    let mut stack = Stack::start(v, &dir.join("load"), keyring)?;
    log(&v, "sizes accepted");
    let sizes = phases::size_probe(
        rt,
        &stack,
        &[
            p.small_items,
            p.large_items,
            2 * p.large_items,
            10 * p.large_items,
            100 * p.large_items,
        ],
    );
    log(&v, "throughput, small session");
    let small = phases::throughput(rt, &stack, p, p.small_items, 0);
    log(&v, "throughput, large session");
    let large = phases::throughput(rt, &stack, p, p.large_items, 1000);
    log(&v, "stale reads");
    let stale = crate::stale::stale(rt, &stack, p);
    log(&v, "node SIGKILLed");
    let node_kill = phases::node_kill(rt, &mut stack, p)?;
    let store_kill = if v.has_store() {
        log(&v, "store SIGKILLed");
        stack.sync_replicas().ok();
        // The hybrid keeps only sessions past one cookie in Redis: its users hold large ones.
        let items = match v.node {
            crate::variants::NodeKind::SealedHybrid => p.large_items,
            _ => p.small_items,
        };
        Some(phases::store_kill(rt, &mut stack, p, items)?)
    } else {
        None
    };
    drop(stack);
    let mut memory = serde_json::Map::new();
    for (name, items) in [("small", p.small_items), ("large", p.large_items)] {
        log(&v, &format!("memory, {name} sessions (fresh stack)"));
        let stack = Stack::start(v, &dir.join(format!("memory-{name}")), keyring)?;
        memory.insert(name.into(), phases::memory(rt, &stack, p, items)?);
    }
    log(&v, "done");
    Ok(json!({
        "name": v.name,
        "label": v.label,
        "balance": format!("{:?}", v.balance),
        "store": format!("{:?}", v.store),
        "cookie": v.cookie,
        "sizes": sizes,
        "throughput": {"small": small, "large": large},
        "stale": stale,
        "node_kill": node_kill,
        "store_kill": store_kill,
        "memory": memory,
    }))
}

/// The smoke's pass condition: every variant served its users through nginx with no failure,
/// no lost session (but under replication, whose replicas lag) and no stale read in the
/// steady phases.
fn check_smoke(report: &Value) -> Result<(), String> {
    let mut problems = Vec::new();
    for v in report["variants"].as_array().into_iter().flatten() {
        let name = v["name"].as_str().unwrap_or("?");
        // Replicas lag the primary: a read right after a sign-in may find no session there.
        // That is what the design does (the full run measures it), not a broken harness.
        let lags = v["store"].as_str() == Some("RedisWithReplicas");
        for size in ["small", "large"] {
            let t = &v["throughput"][size];
            if t["requests_ok"].as_u64().unwrap_or(0) < 10 {
                problems.push(format!("{name} {size}: fewer than 10 requests served"));
            }
            for field in ["failed", "sessions_lost", "refused_4xx"] {
                if lags && field == "sessions_lost" {
                    continue;
                }
                if t[field].as_u64() != Some(0) {
                    problems.push(format!("{name} {size}: {field} = {}", t[field]));
                }
            }
        }
        if v["stale"]["writes"].as_u64().unwrap_or(0) == 0 {
            problems.push(format!("{name}: the stale-read phase wrote nothing"));
        }
        if v["memory"]["small"]["sessions_created"]
            .as_u64()
            .unwrap_or(0)
            == 0
        {
            problems.push(format!("{name}: the memory phase created no session"));
        }
    }
    if problems.is_empty() {
        eprintln!("smoke: every variant started, served and was torn down");
        Ok(())
    } else {
        Err(format!("smoke failed:\n  {}", problems.join("\n  ")))
    }
}

/// The cookies the library's defaults make for a session of `items`: count and bytes of the
/// `name=value` pairs a request carries.
fn cookie_size(items: usize) -> Result<Value, String> {
    let codec = Codec::<AppSession>::builder(Keyring::generate().map_err(|e| e.to_string())?)
        .build()
        .map_err(|e| e.to_string())?;
    let sealed = codec
        .seal(
            &AppSession::new(1, items),
            None,
            &RequestCookies::new(),
            SystemTime::now(),
        )
        .map_err(|e| format!("a session of {items} items: {e}"))?;
    let pairs: usize = sealed
        .headers()
        .iter()
        .map(|l| l.split(';').next().unwrap_or("").len())
        .sum();
    let lines: usize = sealed.headers().iter().map(String::len).sum();
    Ok(json!({
        "items": items,
        "cookies": sealed.headers().len(),
        "cookie_header_bytes": pairs,
        "set_cookie_bytes": lines,
        "max_total_bytes": codec.max_total_bytes(),
        "max_cookie_bytes": codec.max_cookie_bytes(),
    }))
}

fn run_output(program: &Path, args: &[&str]) -> String {
    Command::new(program)
        .args(args)
        .output()
        .map(|o| {
            let text = String::from_utf8_lossy(if o.stdout.is_empty() {
                &o.stderr
            } else {
                &o.stdout
            })
            .into_owned();
            text.trim().to_owned()
        })
        .unwrap_or_else(|e| format!("unknown ({e})"))
}

/// Versions of what ran: nginx, Redis, rustc, and the crates from compare/Cargo.lock.
fn versions() -> Value {
    let lock = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/Cargo.lock"))
        .unwrap_or_default();
    let mut crates = serde_json::Map::new();
    let mut name = None;
    for line in lock.lines() {
        if let Some(n) = line.strip_prefix("name = ") {
            name = Some(n.trim_matches('"').to_owned());
        } else if let (Some(v), Some(n)) = (line.strip_prefix("version = "), name.take()) {
            let wanted = [
                "sealed-session",
                "axum",
                "tokio",
                "hyper",
                "tower-sessions",
                "tower-sessions-redis-store",
                "fred",
                "serde_json",
                "rmp-serde",
            ];
            if wanted.contains(&n.as_str()) {
                crates.insert(n, json!(v.trim_matches('"')));
            }
        }
    }
    json!({
        "nginx": run_output(&crate::stack::nginx_binary(), &["-v"]).replace("nginx version: ", ""),
        "redis": run_output(&crate::redis::redis_binary(), &["--version"]),
        "rustc": run_output(Path::new("rustc"), &["-V"]),
        "crates": crates,
    })
}

fn loadavg() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .unwrap_or_default()
        .trim()
        .to_owned()
}

fn machine(load_before: String) -> Value {
    let cpuinfo = std::fs::read_to_string("/proc/cpuinfo").unwrap_or_default();
    let model = cpuinfo
        .lines()
        .find_map(|l| l.strip_prefix("model name"))
        .map(|m| m.trim_start_matches([' ', '\t', ':']).to_owned());
    let meminfo = std::fs::read_to_string("/proc/meminfo").unwrap_or_default();
    let mem = meminfo
        .lines()
        .find(|l| l.starts_with("MemTotal"))
        .map(|l| l.split_whitespace().nth(1).unwrap_or("").to_owned());
    json!({
        "cpu": model,
        "cores": std::thread::available_parallelism().map_or(0, |n| n.get()),
        "mem_total_kb": mem,
        "kernel": std::fs::read_to_string("/proc/sys/kernel/osrelease").unwrap_or_default().trim(),
        "loadavg_before": load_before,
        "loadavg_after": loadavg(),
    })
}
