#!/usr/bin/env python3
"""Browser test driver (run by scripts/browser-test.sh, which starts the demo).

Headless Chromium, driven over CDP, clicks the demo page's buttons: the cart grows until the
session needs at least 3 cookies, a reload shows the whole cart (so Chromium sent every chunk
back) and sends no Set-Cookie (a reload counts no visit), then the cart is cleared: one chunk
is left and Chromium's cookie jar no longer holds the stale chunk cookies. Then it signs in
(a flash message says so), keeps a copy of the signed-in cookies (another device), signs out
everywhere, and puts the copy back: the demo must refuse it. Along the way: every form carries
a CSRF token and a stale one gets 403, the security headers are on the page, and the budget
bars take the widths their inline styles give (the CSP allows them).

Screenshots, one per stage, go to DIR/browser-test-STAGE.png: 1-fresh, 2-grown, 3-signed-in,
4-signed-out-everywhere.
"""

import argparse
import json
import os
import signal
import sys

from cdp import Browser, CdpError

failures = []


def check(cond, what):
    print(("ok   " if cond else "FAIL ") + what, flush=True)
    if not cond:
        failures.append(what)
    return cond


def page_state(b):
    return b.eval(
        """(() => ({
            visits: +document.getElementById('visits').textContent,
            cart: +document.getElementById('cart-len').textContent,
            chunks: +document.getElementById('chunks').textContent,
            keyId: document.getElementById('key-id').textContent,
            notes: [...document.querySelectorAll('.note')].map(n => n.textContent),
            flashes: [...document.querySelectorAll('.flash')].map(n => n.textContent),
            name: (document.getElementById('name') || {}).textContent || null,
            deletions: [...document.querySelectorAll('td')].filter(t => t.textContent === 'deletion').length,
            tokens: [...document.forms].map(f => (f.elements.csrf_token || {}).value || ''),
            bars: [...document.querySelectorAll('#budget .bar > span')].map(s => ({
                percent: parseFloat(s.style.width),
                ratio: s.getBoundingClientRect().width / s.parentElement.getBoundingClientRect().width,
            })),
            scriptCookies: document.cookie,
        }))()"""
    )


SECURITY_HEADERS = {
    "content-security-policy": "frame-ancestors 'none'",
    "x-content-type-options": "nosniff",
    "referrer-policy": "same-origin",
    "x-frame-options": "DENY",
}


def document_headers(b, url):
    """The headers of the latest main-document response for url, lowercased names."""
    headers = {}
    for ev in b._events:
        if ev["method"] == "Network.responseReceived" and ev["params"].get("type") == "Document":
            r = ev["params"]["response"]
            if r["url"] == url:
                headers = {k.lower(): v for k, v in r.get("headers", {}).items()}
    return headers


def bars_ok(s):
    """The budget bars render at their inline widths (a CSP that refused inline styles would
    leave each bar full width), to within a pixel or so."""
    return bool(s["bars"]) and all(abs(bar["ratio"] * 100 - bar["percent"]) <= 2 for bar in s["bars"])


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--url", required=True)
    p.add_argument("--cookie-name", default="__Host-session")
    p.add_argument("--chromium", default="/usr/bin/chromium")
    p.add_argument("--screenshot-dir", required=True, help="where browser-test-STAGE.png go")
    p.add_argument("--log")
    args = p.parse_args()
    # SIGTERM (from timeout or the script) unwinds like Ctrl-C: what this started is stopped.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    name = args.cookie_name

    def session_cookies(b):
        return sorted(
            (c for c in b.cookies(args.url) if c["name"] == name or c["name"].startswith(name + ".")),
            key=lambda c: c["name"],
        )

    shots = []

    def screenshot(b, stage):
        path = os.path.join(args.screenshot_dir, f"browser-test-{stage}.png")
        b.screenshot(path)
        shots.append(path)

    def session_lines(lines):
        return [x for x in lines if x.split("=", 1)[0] == name or x.split("=", 1)[0].startswith(name + ".")]

    with Browser(args.chromium, log_path=args.log) as b:
        print(f"browser: {b.version.get('product')}", flush=True)
        b.goto(args.url)
        s = page_state(b)
        check(s["visits"] == 1 and s["chunks"] == 1, f"first visit: one chunk ({s})")
        got = document_headers(b, args.url)
        check(
            all(want in got.get(h, "") for h, want in SECURITY_HEADERS.items()),
            f"security headers on the page: {[(h, got.get(h)) for h in SECURITY_HEADERS]}",
        )
        check(s["tokens"] and all(len(t) > 20 for t in s["tokens"]), f"every form carries a CSRF token ({len(s['tokens'])} forms)")
        check(bars_ok(s), f"budget bars at their inline widths: {s['bars']}")
        screenshot(b, "1-fresh")

        # Grow: click "Add 300 items" until the session needs 3 or more cookies.
        added = 0
        for _ in range(6):
            b.click_and_wait('form[action="/cart/add?n=300"] button')
            added += 300
            s = page_state(b)
            if s["chunks"] >= 3 or s["notes"]:
                break
        check(not s["notes"], f"grew without a refusal or error note ({s['notes']})")
        check(s["flashes"] == ["added 300 items to the cart"], f"the add's flash message: {s['flashes']}")
        check(bars_ok(s) and len(s["bars"]) == s["chunks"] + 1, f"a budget bar per chunk and one in total: {s['bars']}")
        screenshot(b, "2-grown")
        lines, blocked = b.set_cookies_seen()
        check(lines and not blocked, f"Chromium blocked none of the {len(lines)} Set-Cookie lines of the last click ({blocked})")
        check(s["cart"] == added and s["chunks"] >= 3, f"cart {s['cart']} of {added} lines in {s['chunks']} chunks (>= 3)")
        jar = session_cookies(b)
        names = [c["name"] for c in jar]
        want = [name] + [f"{name}.{i}" for i in range(1, s["chunks"])]
        check(names == sorted(want), f"Chromium's jar holds {names}")
        check(all(c["secure"] and c["httpOnly"] and c["path"] == "/" for c in jar), "chunks kept as Secure, HttpOnly, Path=/")
        check(all(len(c["name"]) + len(c["value"]) <= 4096 for c in jar), f"chunk sizes {[len(c['name']) + len(c['value']) for c in jar]} (name+value)")
        check(name not in (s["scriptCookies"] or ""), "HttpOnly: page scripts do not see the session")

        # Reload: the page shows the whole cart only if every chunk came back. A reload counts
        # no visit (the session was written moments ago), so it sends no Set-Cookie at all.
        before = s["visits"]
        b.reload()
        s = page_state(b)
        check(
            s["cart"] == added and s["visits"] == before and not s["notes"] and not s["flashes"],
            f"after reload: cart {s['cart']} (want {added}), visits {s['visits']} (want {before}), notes {s['notes']}, flashes {s['flashes']}",
        )
        check(s["chunks"] == len(want), f"after reload: still {s['chunks']} chunks")
        lines, _ = b.set_cookies_seen()
        check(not lines, f"the reload sent no Set-Cookie ({lines})")

        # Shrink: clear the cart; the stale chunk cookies must leave Chromium's jar.
        b.click_and_wait('form[action="/cart/clear"] button')
        s = page_state(b)
        check(s["cart"] == 0 and s["chunks"] == 1, f"after clear: cart {s['cart']}, {s['chunks']} chunk")
        jar = session_cookies(b)
        check([c["name"] for c in jar] == [name], f"Chromium's jar after clear: {[c['name'] for c in jar]} (stale chunks gone)")
        lines, blocked = b.set_cookies_seen()
        deleted = sorted(x.split("=", 1)[0] for x in session_lines(lines) if "Max-Age=0" in x)
        check(deleted == want[1:], f"the clear's response deleted {deleted} (Max-Age=0), Chromium blocked {len(blocked)}")
        b.reload()
        s = page_state(b)
        check(s["cart"] == 0 and s["chunks"] == 1 and not s["notes"], f"after another reload: cart {s['cart']}, {s['chunks']} chunk, notes {s['notes']}")

        # Sign in: a fresh session id, and a flash message on the page the redirect shows.
        b.eval("document.querySelector('form[action=\"/sign-in\"] input[name=name]').value = 'alice'")
        b.click_and_wait('form[action="/sign-in"] button')
        s = page_state(b)
        check(s["name"] == "alice" and any(f.startswith("signed in as alice") for f in s["flashes"]), f"signed in, with a flash message: {s['name']}, {s['flashes']}")
        screenshot(b, "3-signed-in")

        # Sign out everywhere; then the signed-in cookies, kept as another device would, come
        # back and must be refused; a form token of the signed-in page gets 403.
        device = session_cookies(b)
        stale_token = s["tokens"][0]
        b.click_and_wait('form[action="/sign-out-everywhere"] button')
        s = page_state(b)
        check(s["name"] is None and any(f.startswith("signed out everywhere") for f in s["flashes"]), f"signed out everywhere: name {s['name']}, {s['flashes']}")
        status = b.eval(
            "fetch('/cart/clear', {method: 'POST', body: new URLSearchParams({csrf_token: %s})}).then(r => r.status)"
            % json.dumps(stale_token)
        )
        check(status == 403, f"a form post with the signed-in page's token: {status} (want 403)")
        for c in session_cookies(b):
            b.call("Network.deleteCookies", name=c["name"], url=args.url)
        for c in device:
            b.call("Network.setCookie", name=c["name"], value=c["value"], url=args.url, path="/",
                   secure=c["secure"], httpOnly=c["httpOnly"], sameSite=c.get("sameSite", "Lax"))
        b.reload()
        s = page_state(b)
        lines, blocked = b.set_cookies_seen()
        check(
            s["name"] is None and any("signed out everywhere" in n for n in s["notes"]) and s["visits"] == 1,
            f"the other device's copy is refused: name {s['name']}, visits {s['visits']}, notes {s['notes']}",
        )
        check(session_lines(lines) and not blocked, f"its cookies replaced ({len(session_lines(lines))} session lines, {len(blocked)} blocked)")
        screenshot(b, "4-signed-out-everywhere")

    print("screenshots: " + ", ".join(shots))
    print("PASS" if not failures else f"FAIL ({len(failures)} checks)")
    return 0 if not failures else 1


if __name__ == "__main__":
    try:
        sys.exit(main())
    except CdpError as e:
        print(f"FAIL: {e}")
        sys.exit(1)
