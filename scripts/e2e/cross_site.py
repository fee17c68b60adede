#!/usr/bin/env python3
"""Cross-site request forgery against the demo, in headless Chromium (run by
scripts/cross-site-test.sh, which starts the demo).

The victim signs in on the demo's page (a same-origin form post, which must succeed). Then two
attacker pages, served here on other loopback origins, try to replace the victim's session:

* cross-site: http://127.0.0.2:PORT (another host: Chromium sends `Sec-Fetch-Site: cross-site`,
  and, the session cookie being SameSite=Lax, no cookie);
* same-site: http://127.0.0.1:OTHER-PORT (same host, another port: another origin but the same
  site, so SameSite=Lax does not hold the cookie back; `Sec-Fetch-Site: same-site`).

Each serves an auto-submitting form that posts `name=mallory` to the demo's `/sign-in` (login
CSRF: the victim would act as the attacker), and a page whose script posts to
`/api/sign-in?name=mallory` with fetch (no-cors, credentials included). The demo must refuse
every one with 403 before its handler runs: afterwards the victim is still signed in under
their own name with the same session id (`GET /api/session`), and Chromium's cookie jar holds
the very cookie it held before. A same-origin form post from the demo's page (add to cart)
still succeeds at the end.
"""

import argparse
import http.server
import json
import signal
import sys
import threading
import time

from cdp import Browser, CdpError

failures = []


def check(cond, what):
    print(("ok   " if cond else "FAIL ") + what, flush=True)
    if not cond:
        failures.append(what)
    return cond


def attacker_pages(demo):
    form = f"""<!doctype html><title>win a prize</title>
<form method=post action="{demo}sign-in"><input type=hidden name=name value=mallory></form>
<script>addEventListener('load', () => setTimeout(() => document.forms[0].submit(), 50));</script>"""
    fetch = f"""<!doctype html><title>loading</title>
<script>
fetch({json.dumps(demo + "api/sign-in?name=mallory")}, {{method: 'POST', mode: 'no-cors', credentials: 'include'}})
  .then(() => 'sent', e => 'error ' + e).then(r => {{ document.title = 'done: ' + r; }});
</script>"""
    return {"/form": form, "/fetch": fetch}


def serve(host, pages):
    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self):
            body = pages.get(self.path)
            if body is None:
                self.send_error(404)
                return
            data = body.encode()
            self.send_response(200)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer((host, 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


def hops(b, url_prefix, method="POST"):
    """The requests since the last navigation to URLs starting with url_prefix and with the
    given method: [{url, type, status, sec_fetch_site, cookie_sent}], from the Network events.
    A redirect keeps its request id; the first hop of an id is the one sent with `method`."""
    b.eval("1")  # reads the events Chromium sent before this reply
    first, extra, status, redirected = {}, {}, {}, {}
    for ev in b._events:
        p = ev.get("params", {})
        rid = p.get("requestId")
        if ev["method"] == "Network.requestWillBeSent":
            if rid not in first:
                first[rid] = {"url": p["request"]["url"], "method": p["request"]["method"], "type": p.get("type")}
            elif "redirectResponse" in p and rid not in redirected:
                redirected[rid] = p["redirectResponse"]["status"]
        elif ev["method"] == "Network.requestWillBeSentExtraInfo":
            extra.setdefault(rid, p.get("headers", {}))
        elif ev["method"] == "Network.responseReceived":
            status.setdefault(rid, p["response"]["status"])
    out = []
    for rid, r in first.items():
        if r["method"] != method or not r["url"].startswith(url_prefix):
            continue
        headers = {k.lower(): v for k, v in extra.get(rid, {}).items()}
        out.append({
            "url": r["url"],
            "type": r["type"],
            "status": redirected.get(rid, status.get(rid)),
            "sec_fetch_site": headers.get("sec-fetch-site"),
            "cookie_sent": "cookie" in headers,
        })
    return out


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--url", required=True, help="the demo, http://127.0.0.1:PORT/")
    p.add_argument("--attacker-host", default="127.0.0.2", help="a loopback address other than the demo's")
    p.add_argument("--chromium", default="/usr/bin/chromium")
    p.add_argument("--cookie-name", default="__Host-session")
    p.add_argument("--log")
    args = p.parse_args()
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    demo = args.url if args.url.endswith("/") else args.url + "/"
    demo_host = demo.split("://", 1)[1].split(":", 1)[0]
    pages = attacker_pages(demo)
    servers = [serve(args.attacker_host, pages), serve(demo_host, pages)]
    attackers = [
        ("cross-site", f"http://{args.attacker_host}:{servers[0].server_address[1]}"),
        ("same-site", f"http://{demo_host}:{servers[1].server_address[1]}"),
    ]

    def session_cookies(b):
        return sorted(
            (c["name"], c["value"])
            for c in b.cookies(demo)
            if c["name"] == args.cookie_name or c["name"].startswith(args.cookie_name + ".")
        )

    def api_session(b):
        b.goto(demo)
        return b.eval("fetch('/api/session').then(r => r.json())")

    try:
        with Browser(args.chromium, log_path=args.log) as b:
            print(f"browser: {b.version.get('product')}; demo {demo}; attackers {[o for _, o in attackers]}", flush=True)

            # The victim signs in on the demo's own page: a same-origin form post.
            b.goto(demo)
            b.eval("document.querySelector('form[action=\"/sign-in\"] input[name=name]').value = 'victim'")
            b.click_and_wait('form[action="/sign-in"] button')
            sent = hops(b, demo + "sign-in")
            check(
                len(sent) == 1 and sent[0]["sec_fetch_site"] == "same-origin" and sent[0]["status"] == 303,
                f"the page's sign-in form: a same-origin post, answered 303 ({sent})",
            )
            victim = api_session(b)
            check(victim.get("name") == "victim" and victim.get("session_id"), f"signed in as victim ({victim.get('name')}, {victim.get('session_id')})")

            for kind, origin in attackers:
                # 1. An auto-submitting form, a top-level navigation.
                jar = session_cookies(b)
                b.goto(origin + "/form")
                b.wait_event("Page.loadEventFired")
                landing = b.eval("location.href + ' | ' + document.body.innerText.trim().slice(0, 120)")
                sent = hops(b, demo + "sign-in")
                check(len(sent) == 1, f"{kind}: the attacker's form posted to the demo once ({sent})")
                if sent:
                    s = sent[0]
                    check(s["sec_fetch_site"] == kind, f"{kind}: Chromium sent Sec-Fetch-Site: {s['sec_fetch_site']} (cookie sent: {s['cookie_sent']})")
                    check(s["status"] == 403, f"{kind}: the forged sign-in was answered {s['status']} (want 403): {landing}")
                lines, blocked = b.set_cookies_seen()
                check(not lines, f"{kind}: no Set-Cookie reached Chromium ({len(lines)} lines, {len(blocked)} blocked)")
                check(session_cookies(b) == jar, f"{kind}: Chromium's jar holds the victim's cookie unchanged")
                now = api_session(b)
                check(
                    now.get("name") == "victim" and now.get("session_id") == victim["session_id"],
                    f"{kind} form: still victim with the same session id ({now.get('name')}, {now.get('session_id')})",
                )

                # 2. A script's fetch (no-cors, credentials included).
                jar = session_cookies(b)
                b.goto(origin + "/fetch")
                deadline = time.monotonic() + 10
                while not (b.eval("document.title") or "").startswith("done") and time.monotonic() < deadline:
                    time.sleep(0.05)
                sent = hops(b, demo + "api/sign-in")
                check(len(sent) == 1, f"{kind}: the attacker's script posted to the demo once ({sent})")
                if sent:
                    s = sent[0]
                    check(s["status"] == 403, f"{kind}: the forged fetch was answered {s['status']} (want 403; Sec-Fetch-Site: {s['sec_fetch_site']}, cookie sent: {s['cookie_sent']})")
                check(session_cookies(b) == jar, f"{kind}: after the fetch, the jar is unchanged")
                now = api_session(b)
                check(
                    now.get("name") == "victim" and now.get("session_id") == victim["session_id"],
                    f"{kind} fetch: still victim with the same session id ({now.get('name')}, {now.get('session_id')})",
                )

            # The demo's own forms still work.
            b.goto(demo)
            before = api_session(b)
            b.click_and_wait('form[action="/cart/add?n=1"] button')
            sent = hops(b, demo + "cart/add")
            after = api_session(b)
            check(
                sent and sent[0]["sec_fetch_site"] == "same-origin" and sent[0]["status"] == 303
                and after.get("cart_len") == (before.get("cart_len") or 0) + 1
                and after.get("session_id") == victim["session_id"],
                f"a same-origin form post (add to cart) succeeds: {sent}, cart {before.get('cart_len')} -> {after.get('cart_len')}",
            )
    finally:
        for s in servers:
            s.shutdown()
            s.server_close()

    print("PASS" if not failures else f"FAIL ({len(failures)} checks)")
    return 0 if not failures else 1


if __name__ == "__main__":
    try:
        sys.exit(main())
    except CdpError as e:
        print(f"FAIL: {e}")
        sys.exit(1)
