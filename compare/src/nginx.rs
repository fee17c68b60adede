//! The nginx configuration of a stack.

use std::fmt::Write as _;
use std::path::Path;

use crate::variants::Balance;

/// nginx: the README's block ("Running in a cluster": keep-alive to the nodes, short
/// timeouts, retries on the next node), the balancing of the variant, no access log.
pub fn nginx_conf(dir: &Path, balance: Balance, port: u16, nodes: &[u16]) -> String {
    let d = dir.display();
    let mut servers = String::new();
    for p in nodes {
        let _ = writeln!(
            servers,
            "        server 127.0.0.1:{p} max_fails=1 fail_timeout=1s;"
        );
    }
    let hash = match balance {
        Balance::RoundRobin => "",
        Balance::ClientAddress => "        hash $remote_addr consistent;\n",
    };
    format!(
        "daemon off;
master_process on;
worker_processes 1;
pid {d}/nginx.pid;
error_log {d}/nginx-error.log warn;
events {{ worker_connections 1024; }}
http {{
    access_log off;
    client_body_temp_path {d}/nginx-temp/body;
    proxy_temp_path {d}/nginx-temp/proxy;
    fastcgi_temp_path {d}/nginx-temp/fastcgi;
    uwsgi_temp_path {d}/nginx-temp/uwsgi;
    scgi_temp_path {d}/nginx-temp/scgi;
    # The load client keeps its connections: nginx must not close them every 1000 requests.
    keepalive_requests 1000000;
    upstream app {{
{hash}{servers}        keepalive 32;
    }}
    server {{
        listen 127.0.0.1:{port};
        proxy_http_version 1.1;
        proxy_set_header Connection \"\";
        proxy_connect_timeout 1s;
        proxy_send_timeout 2s;
        proxy_read_timeout 2s;
        proxy_next_upstream error timeout http_502 http_503;
        proxy_next_upstream_tries 3;
        proxy_buffer_size 16k;
        proxy_buffers 8 16k;
        proxy_busy_buffers_size 32k;
        location / {{
            proxy_pass http://app;
        }}
    }}
}}
"
    )
}
