//! The processes of one variant's stack (nginx, three nodes, Redis when the variant has a
//! store), each started here, known by its pid, stopped here (SIGTERM, then SIGKILL after
//! 3 s); everything on 127.0.0.1.

use std::fs::File;
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use crate::nginx::nginx_conf;
use crate::redis::{redis_info_field, redis_url, start_redis};
use crate::variants::{StoreKind, Variant};

/// The pids of the children running now, for [`stop_children_on_signal`].
static LIVE: Mutex<Vec<u32>> = Mutex::new(Vec::new());

fn live(pid: u32, running: bool) {
    let mut pids = LIVE.lock().unwrap_or_else(|e| e.into_inner());
    pids.retain(|p| *p != pid);
    if running {
        pids.push(pid);
    }
}

/// On SIGINT or SIGTERM, SIGTERM every child still running (by its pid) and exit 130, so an
/// interrupted run leaves no nginx, node or Redis behind.
pub fn stop_children_on_signal() {
    std::thread::spawn(|| {
        let Ok(rt) = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
        else {
            return;
        };
        rt.block_on(async {
            let Ok(mut term) =
                tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
            else {
                return;
            };
            tokio::select! {
                _ = tokio::signal::ctrl_c() => {}
                _ = term.recv() => {}
            }
        });
        let pids = LIVE.lock().unwrap_or_else(|e| e.into_inner()).clone();
        for pid in pids {
            let _ = Command::new("kill")
                .args(["-TERM", &pid.to_string()])
                .status();
        }
        eprintln!(
            "compare: interrupted; stopped {} processes",
            LIVE.lock().map_or(0, |p| p.len())
        );
        std::process::exit(130);
    });
}

/// One child process, restartable with the same command line.
pub struct Proc {
    pub name: String,
    program: PathBuf,
    args: Vec<String>,
    env: Vec<(String, String)>,
    log: PathBuf,
    child: Option<Child>,
}

impl Proc {
    pub fn spawn(
        name: &str,
        program: &Path,
        args: Vec<String>,
        env: Vec<(String, String)>,
        log: PathBuf,
    ) -> Result<Proc, String> {
        let mut p = Proc {
            name: name.to_owned(),
            program: program.to_owned(),
            args,
            env,
            log,
            child: None,
        };
        p.start()?;
        Ok(p)
    }

    fn start(&mut self) -> Result<(), String> {
        let log = File::options()
            .create(true)
            .append(true)
            .open(&self.log)
            .map_err(|e| format!("{}: {e}", self.log.display()))?;
        let err = log.try_clone().map_err(|e| e.to_string())?;
        let child = Command::new(&self.program)
            .args(&self.args)
            .envs(self.env.iter().cloned())
            .stdin(Stdio::null())
            .stdout(log)
            .stderr(err)
            .spawn()
            .map_err(|e| format!("{}: {}: {e}", self.name, self.program.display()))?;
        live(child.id(), true);
        self.child = Some(child);
        Ok(())
    }

    pub fn pid(&self) -> Option<u32> {
        self.child.as_ref().map(Child::id)
    }

    /// SIGKILL, and reap it.
    pub fn sigkill(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
            live(child.id(), false);
        }
    }

    /// The same command line again.
    pub fn restart(&mut self) -> Result<(), String> {
        self.sigkill();
        self.start()
    }

    /// SIGTERM, then SIGKILL if it is still there after 3 s.
    pub fn stop(&mut self) {
        let Some(mut child) = self.child.take() else {
            return;
        };
        live(child.id(), false);
        let _ = Command::new("kill")
            .args(["-TERM", &child.id().to_string()])
            .status();
        let deadline = Instant::now() + Duration::from_secs(3);
        while Instant::now() < deadline {
            if let Ok(Some(_)) = child.try_wait() {
                return;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        let _ = child.kill();
        let _ = child.wait();
    }

    /// Resident memory (VmRSS), bytes; 0 when not running.
    pub fn rss_bytes(&self) -> u64 {
        let Some(pid) = self.pid() else { return 0 };
        let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
        status
            .lines()
            .find_map(|l| l.strip_prefix("VmRSS:"))
            .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<u64>().ok())
            .map_or(0, |kb| kb * 1024)
    }
}

impl Drop for Proc {
    fn drop(&mut self) {
        self.stop();
    }
}

/// `n` free loopback ports (bound and released at once: good enough on a quiet loopback).
pub fn free_ports(n: usize) -> Result<Vec<u16>, String> {
    let sockets: Vec<TcpListener> = (0..n)
        .map(|_| TcpListener::bind("127.0.0.1:0"))
        .collect::<Result<_, _>>()
        .map_err(|e| e.to_string())?;
    sockets
        .iter()
        .map(|s| s.local_addr().map(|a| a.port()).map_err(|e| e.to_string()))
        .collect()
}

/// Waits (at most `within`) until 127.0.0.1:`port` accepts connections.
pub fn wait_port(port: u16, within: Duration) -> Result<(), String> {
    let deadline = Instant::now() + within;
    let addr = SocketAddr::from(([127, 0, 0, 1], port));
    while Instant::now() < deadline {
        if TcpStream::connect_timeout(&addr, Duration::from_millis(200)).is_ok() {
            return Ok(());
        }
        std::thread::sleep(Duration::from_millis(25));
    }
    Err(format!(
        "127.0.0.1:{port} did not accept connections in {within:?}"
    ))
}

/// What the stack holds in memory at one moment.
#[derive(Clone, Debug, Default)]
pub struct Memory {
    pub nodes_rss: Vec<u64>,
    pub redis_used: Vec<u64>,
}

impl Memory {
    pub fn total(&self) -> u64 {
        self.nodes_rss.iter().sum::<u64>() + self.redis_used.iter().sum::<u64>()
    }
}

/// One variant's running stack. Fields drop in order: nginx, the nodes, then Redis.
pub struct Stack {
    /// Held for its drop (first: no request reaches a stopping node).
    _nginx: Proc,
    pub nodes: Vec<Proc>,
    /// The primary first, then one replica per node (replication).
    pub redis: Vec<Proc>,
    pub nginx_port: u16,
    pub node_ports: Vec<u16>,
    pub redis_ports: Vec<u16>,
}

pub const NODES: usize = 3;

impl Stack {
    /// Starts Redis (if any), the three nodes and nginx, in `dir` (logs, nginx files, AOF).
    pub fn start(variant: Variant, dir: &Path, keyring: &str) -> Result<Stack, String> {
        std::fs::create_dir_all(dir.join("nginx-temp")).map_err(|e| e.to_string())?;
        let exe = std::env::current_exe().map_err(|e| e.to_string())?;
        let ports = free_ports(1 + NODES + 1 + NODES)?;
        let nginx_port = ports[0];
        let node_ports = ports[1..=NODES].to_vec();
        let redis_all = &ports[1 + NODES..];
        let (redis, redis_ports) = start_redis(variant.store, dir, redis_all)?;
        let mut nodes = Vec::new();
        for (i, port) in node_ports.iter().enumerate() {
            let mut args = vec![
                "node".to_owned(),
                "--variant".to_owned(),
                variant.name.to_owned(),
                "--port".to_owned(),
                port.to_string(),
            ];
            match variant.store {
                StoreKind::None => {}
                StoreKind::Redis => {
                    args.extend(["--redis-write".into(), redis_url(redis_ports[0])]);
                }
                StoreKind::RedisWithReplicas => {
                    args.extend(["--redis-write".into(), redis_url(redis_ports[0])]);
                    args.extend(["--redis-read".into(), redis_url(redis_ports[1 + i])]);
                }
            }
            let env = vec![("SEALED_SESSION_KEYRING".to_owned(), keyring.to_owned())];
            let log = dir.join(format!("node{i}.log"));
            nodes.push(Proc::spawn(&format!("node{i}"), &exe, args, env, log)?);
        }
        for port in &node_ports {
            wait_port(*port, Duration::from_secs(10))?;
        }
        let conf = nginx_conf(dir, variant.balance, nginx_port, &node_ports);
        let conf_path = dir.join("nginx.conf");
        std::fs::write(&conf_path, conf).map_err(|e| e.to_string())?;
        let nginx_bin = nginx_binary();
        let conf_arg = conf_path.display().to_string();
        let prefix = dir.display().to_string();
        let test = Command::new(&nginx_bin)
            .args(["-t", "-q", "-p", &prefix, "-c", &conf_arg])
            .status()
            .map_err(|e| format!("nginx: {e}"))?;
        if !test.success() {
            return Err("nginx -t refused the generated configuration".into());
        }
        let nginx = Proc::spawn(
            "nginx",
            &nginx_bin,
            vec!["-p".into(), prefix, "-c".into(), conf_arg],
            vec![],
            dir.join("nginx-stdout.log"),
        )?;
        wait_port(nginx_port, Duration::from_secs(10))?;
        Ok(Stack {
            _nginx: nginx,
            nodes,
            redis,
            nginx_port,
            node_ports,
            redis_ports,
        })
    }

    pub fn nginx_addr(&self) -> SocketAddr {
        SocketAddr::from(([127, 0, 0, 1], self.nginx_port))
    }

    pub fn node_addr(&self, i: usize) -> SocketAddr {
        SocketAddr::from(([127, 0, 0, 1], self.node_ports[i % NODES]))
    }

    /// Starts node `i` again (after a SIGKILL) and waits until it listens.
    pub fn restart_node(&mut self, i: usize) -> Result<(), String> {
        self.nodes[i].restart()?;
        wait_port(self.node_ports[i], Duration::from_secs(10))
    }

    /// Starts the Redis primary again (it reloads its append-only file) and waits for it.
    pub fn restart_store(&mut self) -> Result<(), String> {
        self.redis[0].restart()?;
        wait_port(self.redis_ports[0], Duration::from_secs(10))
    }

    /// Waits (at most 5 s) until every replica has what the primary has.
    pub fn sync_replicas(&self) -> Result<(), String> {
        if self.redis.len() < 2 {
            return Ok(());
        }
        let deadline = Instant::now() + Duration::from_secs(5);
        loop {
            let primary: u64 =
                redis_info_field(self.redis_ports[0], "replication", "master_repl_offset")?
                    .parse()
                    .unwrap_or(0);
            let mut behind = false;
            for port in &self.redis_ports[1..] {
                let offset: u64 = redis_info_field(*port, "replication", "slave_repl_offset")
                    .ok()
                    .and_then(|v| v.parse().ok())
                    .unwrap_or(0);
                behind |= offset < primary;
            }
            if !behind {
                return Ok(());
            }
            if Instant::now() > deadline {
                return Err("replicas did not catch up in 5 s".into());
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    pub fn memory(&self) -> Result<Memory, String> {
        let mut m = Memory {
            nodes_rss: self.nodes.iter().map(Proc::rss_bytes).collect(),
            redis_used: Vec::new(),
        };
        for port in &self.redis_ports {
            m.redis_used.push(
                redis_info_field(*port, "memory", "used_memory")?
                    .parse()
                    .map_err(|_| "used_memory".to_owned())?,
            );
        }
        Ok(m)
    }

    /// Bytes every Redis received and sent so far (INFO stats), replication included.
    pub fn redis_net_bytes(&self) -> u64 {
        let mut total = 0;
        for port in &self.redis_ports {
            for field in ["total_net_input_bytes", "total_net_output_bytes"] {
                total += redis_info_field(*port, "stats", field)
                    .ok()
                    .and_then(|v| v.parse::<u64>().ok())
                    .unwrap_or(0);
            }
        }
        total
    }

    /// Requests each node served so far (its `/_count`).
    pub fn node_counts(&self) -> Vec<u64> {
        (0..NODES)
            .map(|i| http_get_small(self.node_addr(i), "/_count").unwrap_or(0))
            .collect()
    }
}

pub fn nginx_binary() -> PathBuf {
    which("nginx").unwrap_or_else(|| PathBuf::from("/usr/sbin/nginx"))
}

pub fn which(name: &str) -> Option<PathBuf> {
    std::env::var_os("PATH").and_then(|paths| {
        std::env::split_paths(&paths)
            .map(|p| p.join(name))
            .find(|p| p.is_file())
    })
}

/// A plain GET on `addr` returning its body as a number (the nodes' `/_count`).
fn http_get_small(addr: SocketAddr, path: &str) -> Result<u64, String> {
    let mut s =
        TcpStream::connect_timeout(&addr, Duration::from_millis(500)).map_err(|e| e.to_string())?;
    s.set_read_timeout(Some(Duration::from_secs(2)))
        .map_err(|e| e.to_string())?;
    write!(
        s,
        "GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n"
    )
    .map_err(|e| e.to_string())?;
    let mut out = String::new();
    s.take(1 << 16)
        .read_to_string(&mut out)
        .map_err(|e| e.to_string())?;
    out.split("\r\n\r\n")
        .nth(1)
        .and_then(|b| b.trim().parse().ok())
        .ok_or_else(|| "bad /_count reply".to_owned())
}
