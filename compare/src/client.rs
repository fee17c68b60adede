//! A minimal HTTP/1.1 client with one cookie jar per virtual user, counting the exact bytes
//! it writes and reads on its socket (request line, headers, body; chunk framing included).
//! Each user's connection has its own loopback source address (127.0.0.2 and up), so nginx's
//! `hash $remote_addr` sees distinct clients.

use std::net::{Ipv4Addr, SocketAddr};
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpSocket, TcpStream};

/// A request that took longer than this failed.
pub const REQUEST_TIMEOUT: Duration = Duration::from_secs(5);
/// No response header (a session's Set-Cookie lines included) is larger than this.
const MAX_HEAD: usize = 64 * 1024;
const MAX_BODY: usize = 1 << 20;

/// The cookies a user holds: name and value, in the order they were set.
#[derive(Default, Clone, Debug)]
pub struct Jar(Vec<(String, String)>);

impl Jar {
    /// The `Cookie` header value, or `None` when empty.
    fn header(&self) -> Option<String> {
        if self.0.is_empty() {
            return None;
        }
        Some(
            self.0
                .iter()
                .map(|(n, v)| format!("{n}={v}"))
                .collect::<Vec<_>>()
                .join("; "),
        )
    }

    /// Applies one `Set-Cookie` value: sets, replaces, or (Max-Age=0) deletes.
    fn apply(&mut self, line: &str) {
        let mut parts = line.split(';');
        let Some((name, value)) = parts.next().and_then(|p| p.trim().split_once('=')) else {
            return;
        };
        let delete = parts.any(|a| {
            a.trim().split_once('=').is_some_and(|(k, v)| {
                k.eq_ignore_ascii_case("max-age") && v.trim().starts_with(['0', '-'])
            })
        });
        self.0.retain(|(n, _)| n != name);
        if !delete {
            self.0.push((name.to_owned(), value.to_owned()));
        }
    }

    pub fn clear(&mut self) {
        self.0.clear();
    }
}

/// One response, with what crossed the wire for it.
#[derive(Debug)]
pub struct Reply {
    pub status: u16,
    pub body: String,
    pub request_bytes: usize,
    pub response_bytes: usize,
}

/// One user's connection (reopened after an error or a `Connection: close`).
pub struct Conn {
    source: Ipv4Addr,
    target: SocketAddr,
    stream: Option<TcpStream>,
    buf: Vec<u8>,
}

impl Conn {
    /// User number `user` (0-based) talking to `target`.
    pub fn new(user: usize, target: SocketAddr) -> Conn {
        // 127.0.0.2 .. 127.1.255.255: distinct addresses for up to 130,000 users.
        let n = 2 + user as u32;
        let source = Ipv4Addr::new(127, (n >> 16) as u8, (n >> 8) as u8, n as u8);
        Conn {
            source,
            target,
            stream: None,
            buf: Vec::with_capacity(16 * 1024),
        }
    }

    pub fn retarget(&mut self, target: SocketAddr) {
        if target != self.target {
            self.target = target;
            self.stream = None;
        }
    }

    async fn connect(&mut self) -> std::io::Result<&mut TcpStream> {
        if self.stream.is_none() {
            let socket = TcpSocket::new_v4()?;
            socket.bind(SocketAddr::from((self.source, 0)))?;
            let stream = socket.connect(self.target).await?;
            stream.set_nodelay(true)?;
            self.stream = Some(stream);
        }
        Ok(self.stream.as_mut().expect("connected above"))
    }

    /// Sends `method path` with the jar's cookies, applies the response's Set-Cookie lines.
    /// An I/O error or a timeout drops the connection and is returned.
    pub async fn request(
        &mut self,
        method: &str,
        path: &str,
        jar: &mut Jar,
    ) -> Result<Reply, String> {
        match tokio::time::timeout(REQUEST_TIMEOUT, self.exchange(method, path, jar)).await {
            Ok(Ok(reply)) => Ok(reply),
            Ok(Err(e)) => {
                self.stream = None;
                Err(e)
            }
            Err(_) => {
                self.stream = None;
                Err("timeout".into())
            }
        }
    }

    async fn exchange(&mut self, method: &str, path: &str, jar: &mut Jar) -> Result<Reply, String> {
        let mut head = format!("{method} {path} HTTP/1.1\r\nHost: 127.0.0.1\r\n");
        if let Some(cookie) = jar.header() {
            head.push_str("Cookie: ");
            head.push_str(&cookie);
            head.push_str("\r\n");
        }
        if method == "POST" {
            head.push_str("Content-Length: 0\r\n");
        }
        head.push_str("\r\n");
        let request_bytes = head.len();
        let mut buf = std::mem::take(&mut self.buf);
        if self.stream.is_none() {
            buf.clear(); // bytes of a connection now gone
        }
        let stream = self.connect().await.map_err(|e| format!("connect: {e}"))?;
        stream
            .write_all(head.as_bytes())
            .await
            .map_err(|e| format!("write: {e}"))?;
        let result = read_response(stream, &mut buf, jar).await;
        self.buf = buf;
        let (status, body, response_bytes, close) = result?;
        if close {
            self.stream = None;
        }
        Ok(Reply {
            status,
            body,
            request_bytes,
            response_bytes,
        })
    }
}

/// Reads one response from `stream` (`buf` holds bytes read past the previous one): status,
/// body, bytes it took, and whether the server closes the connection.
async fn read_response(
    stream: &mut TcpStream,
    buf: &mut Vec<u8>,
    jar: &mut Jar,
) -> Result<(u16, String, usize, bool), String> {
    let head_end = loop {
        if let Some(i) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            break i + 4;
        }
        if buf.len() > MAX_HEAD {
            return Err("response header too large".into());
        }
        fill(stream, buf).await?;
    };
    let head = String::from_utf8_lossy(&buf[..head_end]).into_owned();
    let mut lines = head.split("\r\n");
    let status: u16 = lines
        .next()
        .and_then(|l| l.split(' ').nth(1))
        .and_then(|s| s.parse().ok())
        .ok_or("bad status line")?;
    let (mut length, mut chunked, mut close) = (None, false, false);
    for line in lines {
        let Some((name, value)) = line.split_once(':') else {
            continue;
        };
        let value = value.trim();
        if name.eq_ignore_ascii_case("set-cookie") {
            jar.apply(value);
        } else if name.eq_ignore_ascii_case("content-length") {
            length = value.parse::<usize>().ok();
        } else if name.eq_ignore_ascii_case("transfer-encoding") {
            chunked = value.eq_ignore_ascii_case("chunked");
        } else if name.eq_ignore_ascii_case("connection") {
            close = value.eq_ignore_ascii_case("close");
        }
    }
    let mut body = Vec::new();
    let mut at = head_end;
    if chunked {
        loop {
            let line_end = loop {
                if let Some(i) = buf[at..].windows(2).position(|w| w == b"\r\n") {
                    break at + i;
                }
                fill(stream, buf).await?;
            };
            let size_text = String::from_utf8_lossy(&buf[at..line_end]).into_owned();
            let size = usize::from_str_radix(size_text.split(';').next().unwrap_or("").trim(), 16)
                .map_err(|_| "bad chunk size")?;
            if size > MAX_BODY || body.len() + size > MAX_BODY {
                return Err("body too large".into());
            }
            at = line_end + 2;
            while buf.len() < at + size + 2 {
                fill(stream, buf).await?;
            }
            body.extend_from_slice(&buf[at..at + size]);
            at += size + 2;
            if size == 0 {
                break;
            }
        }
    } else {
        let len = length.unwrap_or(0);
        if len > MAX_BODY {
            return Err("body too large".into());
        }
        while buf.len() < at + len {
            fill(stream, buf).await?;
        }
        body.extend_from_slice(&buf[at..at + len]);
        at += len;
    }
    buf.drain(..at);
    Ok((
        status,
        String::from_utf8_lossy(&body).into_owned(),
        at,
        close,
    ))
}

async fn fill(stream: &mut TcpStream, buf: &mut Vec<u8>) -> Result<(), String> {
    let mut chunk = [0u8; 16 * 1024];
    let n = stream
        .read(&mut chunk)
        .await
        .map_err(|e| format!("read: {e}"))?;
    if n == 0 {
        return Err("connection closed".into());
    }
    buf.extend_from_slice(&chunk[..n]);
    Ok(())
}
