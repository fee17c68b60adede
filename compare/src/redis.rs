//! The Redis side of a stack: starting the primary and its replicas, and the few commands
//! the harness sends (INFO), in RESP's inline form over a plain socket.

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use crate::stack::{NODES, Proc, wait_port, which};
use crate::variants::StoreKind;

/// One Redis command (inline form) on 127.0.0.1:`port`: the bulk or simple string reply.
pub fn redis_command(port: u16, command: &str) -> Result<String, String> {
    let addr = SocketAddr::from(([127, 0, 0, 1], port));
    let mut s = TcpStream::connect_timeout(&addr, Duration::from_millis(500))
        .map_err(|e| format!("redis {port}: {e}"))?;
    s.set_read_timeout(Some(Duration::from_secs(2)))
        .map_err(|e| e.to_string())?;
    s.write_all(format!("{command}\r\n").as_bytes())
        .map_err(|e| e.to_string())?;
    let mut buf = Vec::new();
    let mut chunk = [0u8; 16384];
    loop {
        let n = s
            .read(&mut chunk)
            .map_err(|e| format!("redis {port}: {e}"))?;
        if n == 0 {
            return Err(format!("redis {port}: connection closed"));
        }
        buf.extend_from_slice(&chunk[..n]);
        let Some(eol) = buf.windows(2).position(|w| w == b"\r\n") else {
            continue;
        };
        let head = String::from_utf8_lossy(&buf[..eol]).into_owned();
        if let Some(len) = head.strip_prefix('$') {
            let len: usize = len.parse().map_err(|_| format!("redis reply {head}"))?;
            if buf.len() >= eol + 2 + len {
                return Ok(String::from_utf8_lossy(&buf[eol + 2..eol + 2 + len]).into_owned());
            }
            if len > 1 << 20 {
                return Err("redis reply too large".into());
            }
        } else if let Some(simple) = head.strip_prefix('+') {
            return Ok(simple.to_owned());
        } else {
            return Err(format!("redis {port}: {head}"));
        }
    }
}

/// A field of `INFO` (`used_memory`, `master_repl_offset`, ...).
pub fn redis_info_field(port: u16, section: &str, field: &str) -> Result<String, String> {
    let info = redis_command(port, &format!("INFO {section}"))?;
    info.lines()
        .find_map(|l| l.strip_prefix(&format!("{field}:")))
        .map(|v| v.trim().to_owned())
        .ok_or_else(|| format!("redis {port}: no {field} in INFO {section}"))
}

pub fn redis_url(port: u16) -> String {
    format!("redis://127.0.0.1:{port}")
}

pub fn redis_binary() -> PathBuf {
    which("redis-server").unwrap_or_else(|| PathBuf::from("/usr/bin/redis-server"))
}

/// The primary (append-only file, fsync every second: a restart keeps the sessions) and,
/// for replication, one replica per node (no persistence of their own).
pub fn start_redis(
    kind: StoreKind,
    dir: &Path,
    ports: &[u16],
) -> Result<(Vec<Proc>, Vec<u16>), String> {
    let count = match kind {
        StoreKind::None => return Ok((vec![], vec![])),
        StoreKind::Redis => 1,
        StoreKind::RedisWithReplicas => 1 + NODES,
    };
    let bin = redis_binary();
    let mut procs = Vec::new();
    for (i, port) in ports.iter().take(count).enumerate() {
        let data = dir.join(format!("redis{i}"));
        std::fs::create_dir_all(&data).map_err(|e| e.to_string())?;
        let mut args: Vec<String> = [
            "--port",
            &port.to_string(),
            "--bind",
            "127.0.0.1",
            "--save",
            "",
            "--daemonize",
            "no",
            "--dir",
            &data.display().to_string(),
        ]
        .iter()
        .map(|s| (*s).to_owned())
        .collect();
        if i == 0 {
            args.extend(["--appendonly", "yes", "--appendfsync", "everysec"].map(String::from));
        } else {
            args.extend(["--appendonly", "no", "--replicaof", "127.0.0.1"].map(String::from));
            args.push(ports[0].to_string());
        }
        procs.push(Proc::spawn(
            &format!("redis{i}"),
            &bin,
            args,
            vec![],
            dir.join(format!("redis{i}.log")),
        )?);
        wait_port(*port, Duration::from_secs(10))?;
    }
    let deadline = Instant::now() + Duration::from_secs(10);
    for port in ports.iter().take(count).skip(1) {
        while redis_info_field(*port, "replication", "master_link_status").as_deref() != Ok("up") {
            if Instant::now() > deadline {
                return Err(format!("replica on {port} did not connect to the primary"));
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }
    Ok((procs, ports[..count].to_vec()))
}
