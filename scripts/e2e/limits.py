#!/usr/bin/env python3
"""Limits, measured (run by scripts/limits-test.sh, which starts nginx and the demo).

A. Chromium: a cookie whose name+value is 4096 bytes is kept, one of 4097 is dropped.
B. nginx (default large_client_header_buffers): the longest Cookie header line that passes,
   the next byte gets 400; and Chromium sending a 9 KB Cookie header gets that 400.
C. nginx (default proxy_buffer_size): the largest upstream response header it relays; one
   byte more is a 502.
D. The crate's defaults (4000 bytes per Set-Cookie line, 6144 in total) through Chromium and
   nginx: the demo's session grown to its budget is kept whole and passes nginx with
   proxy_buffer_size 16k; nginx's default proxy_buffer_size answers a write of it (its
   Set-Cookie lines) with a 502, while a page view, which writes nothing, passes.

Each part prints what it measured; the run fails if a default crosses a measured limit.
"""

import argparse
import http.server
import json
import re
import socket
import signal
import sys
import threading
import urllib.parse

from cdp import Browser, CdpError

failures = []
results = {}


def check(cond, what):
    print(("ok   " if cond else "FAIL ") + what, flush=True)
    if not cond:
        failures.append(what)
    return cond


class Backend(http.server.BaseHTTPRequestHandler):
    """/set?name=N&size=S: one cookie whose name+value is S bytes; /many?count=C&size=S;
    /big?bytes=B: a response whose header block is exactly B bytes; anything else: 200."""

    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def do_GET(self):
        url = urllib.parse.urlsplit(self.path)
        q = dict(urllib.parse.parse_qsl(url.query))
        body = b"<!doctype html><title>limits</title><p>ok"
        cookies = []
        if url.path == "/set":
            name = q["name"]
            cookies.append(f"{name}={'v' * (int(q['size']) - len(name))}; Path=/")
        elif url.path == "/many":
            for i in range(int(q["count"])):
                name = f"m{i}"
                cookies.append(f"{name}={'v' * (int(q['size']) - len(name))}; Path=/")
        elif url.path == "/big":
            head = "HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\nX-Pad: "
            pad = int(q["bytes"]) - len(head) - 4
            self.wfile.write((head + "p" * pad + "\r\n\r\n").encode() + b"ok")
            self.close_connection = True
            return
        head = "HTTP/1.1 200 OK\r\nContent-Type: text/html\r\n"
        head += "".join(f"Set-Cookie: {c}\r\n" for c in cookies)
        head += f"Content-Length: {len(body)}\r\nConnection: close\r\n\r\n"
        self.wfile.write(head.encode() + body)
        self.close_connection = True


def raw_status(port, request):
    """The status of a raw request; 0 when the response body ('ok', or the test page) was cut."""
    with socket.create_connection(("127.0.0.1", port), timeout=10) as s:
        s.sendall(request)
        data = b""
        while True:
            chunk = s.recv(65536)
            if not chunk:
                break
            data += chunk
    status = int(data.split(b" ", 2)[1])
    body = data.partition(b"\r\n\r\n")[2]
    if status == 200 and not (body.endswith(b"ok") or body.endswith(b"<p>ok")):
        return 0
    return status


def cookie_line_status(port, line_len):
    """Status for a request whose Cookie header line ('Cookie: c=vvv...') is line_len bytes."""
    line = "Cookie: c=" + "v" * (line_len - len("Cookie: c="))
    return raw_status(port, f"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n{line}\r\nConnection: close\r\n\r\n".encode())


def boundary(ok, lo, hi):
    """Largest n in [lo, hi) with ok(n), given ok(lo) and not ok(hi), ok monotone."""
    assert ok(lo) and not ok(hi), (lo, hi)
    while hi - lo > 1:
        mid = (lo + hi) // 2
        if ok(mid):
            lo = mid
        else:
            hi = mid
    return lo


def part_a(b, backend):
    print("\nA. Chromium's cookie size limit (name + value)")
    base = f"http://127.0.0.1:{backend}"
    b.call("Network.clearBrowserCookies")
    blocked_reasons = {}
    for size in (4000, 4095, 4096, 4097, 4200):
        name = f"c{size}"
        b.goto(f"{base}/set?name={name}&size={size}")
        _, blocked = b.set_cookies_seen()
        for bc in blocked:
            blocked_reasons[size] = bc.get("blockedReasons")
    kept = {c["name"]: len(c["name"]) + len(c["value"]) for c in b.cookies(base + "/")}
    for size in (4000, 4095, 4096, 4097, 4200):
        print(f"     name+value {size}: {'kept' if f'c{size}' in kept else 'dropped ' + str(blocked_reasons.get(size))}")
    largest_kept = max((s for s in kept.values()), default=0)
    check("c4096" in kept and "c4097" not in kept and "c4200" not in kept, f"4096 bytes kept, 4097 dropped (largest kept {largest_kept})")
    results["chromium_max_name_value"] = largest_kept
    results["chromium_drop_reason"] = blocked_reasons.get(4097)
    b.call("Network.clearBrowserCookies")


def part_b(b, nginx_default, backend):
    print("\nB. nginx: the Cookie header line (default large_client_header_buffers 4 8k)")
    ok = lambda n: cookie_line_status(nginx_default, n) == 200  # noqa: E731
    limit = boundary(ok, 1000, 20000)
    over = cookie_line_status(nginx_default, limit + 1)
    check(over == 400, f"a {limit}-byte Cookie line passes, {limit + 1} bytes gets {over}")
    results["nginx_max_cookie_line"] = limit
    # The same through Chromium: two 3000-byte cookies pass, three get the 400. (Set by the
    # test server directly: cookies ignore the port, and nginx could not relay the response.)
    base = f"http://127.0.0.1:{nginx_default}"
    statuses = {}
    for count in (2, 3):
        b.call("Network.clearBrowserCookies")
        b.goto(f"http://127.0.0.1:{backend}/many?count={count}&size=3000")
        b.clear_events()
        b.goto(base + "/")
        statuses[count] = b.last_response_status(base)
    check(statuses == {2: 200, 3: 400}, f"Chromium sending 2 x 3000-byte cookies: {statuses[2]}; 3 x 3000: {statuses[3]}")
    b.call("Network.clearBrowserCookies")


def part_c(nginx_default):
    print("\nC. nginx: an upstream's response header (default proxy_buffer_size)")

    def status(n):
        return raw_status(nginx_default, f"GET /big?bytes={n} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n".encode())

    limit = boundary(lambda n: status(n) == 200, 200, 20000)
    over, past = status(limit + 1), status(limit + 2)
    what = {0: "a 200 whose body nginx cuts", 502: "502"}
    check(
        over in what and past == 502,
        f"an upstream header block of {limit} bytes passes whole; {limit + 1} bytes gets {what.get(over, over)}; {limit + 2} gets {past}",
    )
    results["nginx_max_upstream_header"] = limit


def part_d(b, nginx_demo, nginx_demo_plain, max_name_value, max_cookie_line, max_upstream_header):
    print("\nD. the crate's defaults (4000 per line, 6144 in total): the demo through nginx and Chromium")
    base = f"http://127.0.0.1:{nginx_demo}"
    b.call("Network.clearBrowserCookies")
    b.goto(base + "/")
    text = b.eval("document.body.innerText")
    m = re.search(r"at most (\d+) bytes per Set-Cookie line and (\d+) bytes in total", text)
    per_line, total = (int(m.group(1)), int(m.group(2))) if m else (0, 0)
    check(
        (per_line, total) == (4000, 6144) and per_line <= max_name_value and len("Cookie: ") + total <= max_cookie_line,
        f"the demo runs the crate's defaults ({per_line} per line <= Chromium's {max_name_value}; {total} in total + 'Cookie: ' <= nginx's {max_cookie_line})",
    )
    b.click_and_wait('form[action="/cart/add?n=300"] button')
    # Fill to the budget: same-origin fetches of 10 lines until the demo refuses (413).
    added = b.eval(
        """(async () => {
            let last = null;
            for (let i = 0; i < 40; i++) {
                const r = await fetch('/api/cart/add?n=10', {method: 'POST'});
                if (r.status !== 200) return {status: r.status, body: await r.json(), last};
                last = await r.json();
            }
            return {status: 200, last};
        })()"""
    )
    check(added["status"] == 413, f"grown to the budget: refused at {added['body'] if added.get('body') else added}")
    last = added["last"]
    # The response header blocks of those writes (the page views below write nothing).
    header_blocks = [len(ev["params"].get("headersText", "")) for ev in b._events if ev["method"] == "Network.responseReceivedExtraInfo"]
    b.clear_events()
    b.reload()
    status = b.last_response_status(base)
    sent = [ev["params"]["headers"] for ev in b._events if ev["method"] == "Network.requestWillBeSentExtraInfo"]
    cookie_line = max((len("Cookie: ") + len(h.get("Cookie", h.get("cookie", ""))) for h in sent), default=0)
    state = b.eval("({cart: +document.getElementById('cart-len').textContent, chunks: +document.getElementById('chunks').textContent})")
    jar = [c for c in b.cookies(base + "/") if c["name"].startswith("__Host-session")]
    sizes = sorted(len(c["name"]) + len(c["value"]) for c in jar)
    lines_seen = last["set_cookie_bytes"]
    check(status == 200 and state["cart"] == last["cart_len"], f"full session: page {status}, cart {state['cart']} lines (last accepted {last['cart_len']}) in {state['chunks']} chunks")
    check(len(jar) == state["chunks"] and all(s <= max_name_value for s in sizes), f"Chromium kept all {len(jar)} chunks, name+value {sizes} <= {max_name_value}")
    check(max(lines_seen) <= 4000, f"Set-Cookie lines {lines_seen} <= 4000 (default per line)")
    check(0 < cookie_line <= max_cookie_line, f"Cookie header line Chromium sent: {cookie_line} bytes <= nginx's {max_cookie_line}")
    biggest = max(header_blocks, default=0)
    print(f"     largest response header block of a write Chromium received: {biggest} bytes (nginx's default proxy buffer relays {max_upstream_header})")
    # The same browser, the same cookies, through a site with nginx's default proxy_buffer_size:
    # the page view writes nothing and passes; a write (POST /api/incr re-seals the whole
    # session) does not.
    plain = f"http://127.0.0.1:{nginx_demo_plain}"
    b.goto(plain + "/")
    view_plain = b.last_response_status(plain)
    status_plain = b.eval("fetch('/api/incr', {method: 'POST'}).then(r => r.status)")
    print(f"     the same session through nginx's default proxy_buffer_size: page view {view_plain}, write {status_plain}")
    check(view_plain == 200, f"a page view of the full session passes nginx's defaults (it sends no Set-Cookie): {view_plain}")
    check(
        status_plain == 502 and biggest > max_upstream_header,
        f"nginx's defaults cannot relay a write of this session ({biggest} > {max_upstream_header}): {status_plain}",
    )
    results["default_proxy_buffer_status"] = status_plain
    results.update(default_session_cookie_line=cookie_line, default_session_chunks=sizes, default_response_header=biggest)


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--backend-port", type=int, required=True)
    p.add_argument("--nginx-default-port", type=int, required=True)
    p.add_argument("--nginx-demo-port", type=int, required=True)
    p.add_argument("--nginx-demo-plain-port", type=int, required=True)
    p.add_argument("--chromium", default="/usr/bin/chromium")
    p.add_argument("--log")
    p.add_argument("--json")
    args = p.parse_args()
    # SIGTERM (from timeout or the script) unwinds like Ctrl-C: what this started is stopped.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))

    server = http.server.ThreadingHTTPServer(("127.0.0.1", args.backend_port), Backend)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        with Browser(args.chromium, log_path=args.log) as b:
            results["chromium"] = b.version.get("product")
            part_a(b, args.backend_port)
            part_b(b, args.nginx_default_port, args.backend_port)
            part_c(args.nginx_default_port)
            part_d(
                b,
                args.nginx_demo_port,
                args.nginx_demo_plain_port,
                results["chromium_max_name_value"],
                results["nginx_max_cookie_line"],
                results["nginx_max_upstream_header"],
            )
    except (CdpError, KeyError, TypeError, AssertionError) as e:
        failures.append(f"aborted: {e!r}")
        print(f"FAIL: aborted: {e!r}")
    finally:
        server.shutdown()
    print("\n" + json.dumps(results))
    if args.json:
        with open(args.json, "w") as f:
            json.dump(results, f, indent=1)
    print("PASS" if not failures else f"FAIL ({len(failures)})")
    return 0 if not failures else 1


if __name__ == "__main__":
    sys.exit(main())
