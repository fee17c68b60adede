#!/usr/bin/env python3
"""Browser test driver (run by scripts/browser-test.sh, which starts the demo).

Headless Chromium, driven over CDP, clicks the demo page's buttons: the cart grows until the
session needs at least 3 cookies, a reload shows the whole cart (so Chromium sent every chunk
back), then the cart is cleared: one chunk is left and Chromium's cookie jar no longer holds
the stale chunk cookies. Screenshots of both states go to the given paths.
"""

import argparse
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
            deletions: [...document.querySelectorAll('td')].filter(t => t.textContent === 'deletion').length,
            scriptCookies: document.cookie,
        }))()"""
    )


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--url", required=True)
    p.add_argument("--cookie-name", default="__Host-session")
    p.add_argument("--chromium", default="/usr/bin/chromium")
    p.add_argument("--screenshot", required=True)
    p.add_argument("--screenshot-grown", required=True)
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

    with Browser(args.chromium, log_path=args.log) as b:
        print(f"browser: {b.version.get('product')}", flush=True)
        b.goto(args.url)
        s = page_state(b)
        check(s["visits"] == 1 and s["chunks"] == 1, f"first visit: one chunk ({s})")

        # Grow: click "Add 300 items" until the session needs 3 or more cookies.
        added = 0
        for _ in range(6):
            b.click_and_wait('form[action="/cart/add?n=300"] button')
            added += 300
            s = page_state(b)
            if s["chunks"] >= 3 or s["notes"]:
                break
        check(not s["notes"], f"grew without a refusal or error note ({s['notes']})")
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

        # Reload: the page shows the whole cart only if every chunk came back.
        before = s["visits"]
        b.reload()
        s = page_state(b)
        check(
            s["cart"] == added and s["visits"] == before + 1 and not s["notes"],
            f"after reload: cart {s['cart']} (want {added}), visits {s['visits']} (want {before + 1}), notes {s['notes']}",
        )
        check(s["chunks"] == len(want), f"after reload: still {s['chunks']} chunks")
        b.screenshot(args.screenshot_grown)

        # Shrink: clear the cart; the stale chunk cookies must leave Chromium's jar.
        b.click_and_wait('form[action="/cart/clear"] button')
        s = page_state(b)
        check(s["cart"] == 0 and s["chunks"] == 1, f"after clear: cart {s['cart']}, {s['chunks']} chunk")
        jar = session_cookies(b)
        check([c["name"] for c in jar] == [name], f"Chromium's jar after clear: {[c['name'] for c in jar]} (stale chunks gone)")
        lines, blocked = b.set_cookies_seen()
        deleted = sorted(x.split("=", 1)[0] for x in lines if "Max-Age=0" in x)
        check(deleted == want[1:], f"the clear's response deleted {deleted} (Max-Age=0), Chromium blocked {len(blocked)}")
        b.reload()
        s = page_state(b)
        check(s["cart"] == 0 and s["chunks"] == 1 and not s["notes"], f"after another reload: cart {s['cart']}, {s['chunks']} chunk, notes {s['notes']}")
        b.screenshot(args.screenshot)

    print(f"screenshots: {args.screenshot_grown}, {args.screenshot}")
    print("PASS" if not failures else f"FAIL ({len(failures)} checks)")
    return 0 if not failures else 1


if __name__ == "__main__":
    try:
        sys.exit(main())
    except CdpError as e:
        print(f"FAIL: {e}")
        sys.exit(1)
