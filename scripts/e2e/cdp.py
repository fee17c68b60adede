"""A minimal Chrome DevTools Protocol client over --remote-debugging-pipe (standard library only).

Chromium reads commands from file descriptor 3 and writes replies and events to descriptor 4,
each a JSON message ended by a NUL byte: no debugging port, no WebSocket, nothing downloaded.
Used by scripts/e2e/browser.py and scripts/e2e/limits.py.
"""

import base64
import fcntl
import json
import os
import select
import shutil
import subprocess
import tempfile
import time


class CdpError(Exception):
    pass


class Browser:
    """Headless Chromium with a fresh profile; one page, attached in flat session mode."""

    def __init__(self, executable="/usr/bin/chromium", timeout=20.0, log_path=None):
        self.timeout = timeout
        self.profile = tempfile.mkdtemp(prefix="sealed-chromium-")
        to_child_r, self._to_child = os.pipe()
        self._from_child, from_child_w = os.pipe()

        def wire_fds():  # in the child: its fds 3 and 4 are the two pipe ends
            a = fcntl.fcntl(to_child_r, fcntl.F_DUPFD, 100)
            b = fcntl.fcntl(from_child_w, fcntl.F_DUPFD, 100)
            os.dup2(a, 3)
            os.dup2(b, 4)

        args = [
            executable,
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--disable-quic",
            "--disable-extensions",
            "--disable-default-apps",
            "--no-first-run",
            "--no-default-browser-check",
            "--remote-debugging-pipe",
            f"--user-data-dir={self.profile}",
            "--window-size=1000,1300",
            "about:blank",
        ]
        self._log = open(log_path or os.devnull, "ab")
        self.proc = subprocess.Popen(
            args,
            stdin=subprocess.DEVNULL,
            stdout=self._log,
            stderr=self._log,
            preexec_fn=wire_fds,
            close_fds=False,
        )
        os.close(to_child_r)
        os.close(from_child_w)
        self._buf = b""
        self._next_id = 0
        self._events = []
        self.session = None
        self.version = self.call("Browser.getVersion")
        target = self.call("Target.createTarget", url="about:blank")["targetId"]
        self.session = self.call("Target.attachToTarget", targetId=target, flatten=True)["sessionId"]
        for domain in ("Page", "Network", "Runtime"):
            self.call(f"{domain}.enable")

    # -- transport --------------------------------------------------------------------------

    def _read_message(self, deadline):
        while b"\0" not in self._buf:
            left = deadline - time.monotonic()
            if left <= 0:
                raise CdpError("timed out waiting for Chromium")
            ready, _, _ = select.select([self._from_child], [], [], left)
            if ready:
                chunk = os.read(self._from_child, 1 << 16)
                if not chunk:
                    raise CdpError("Chromium closed the debugging pipe (did it crash?)")
                self._buf += chunk
        raw, _, self._buf = self._buf.partition(b"\0")
        return json.loads(raw)

    def call(self, method, session=True, **params):
        """Sends a command (to the page session once attached) and returns its result."""
        self._next_id += 1
        msg = {"id": self._next_id, "method": method, "params": params}
        if session and self.session:
            msg["sessionId"] = self.session
        os.write(self._to_child, json.dumps(msg).encode() + b"\0")
        deadline = time.monotonic() + self.timeout
        while True:
            reply = self._read_message(deadline)
            if reply.get("id") == self._next_id:
                if "error" in reply:
                    raise CdpError(f"{method}: {reply['error']}")
                return reply.get("result", {})
            if "method" in reply:
                self._events.append(reply)

    def clear_events(self):
        self._events.clear()

    def wait_event(self, method, timeout=None):
        deadline = time.monotonic() + (timeout or self.timeout)
        while True:
            for i, ev in enumerate(self._events):
                if ev["method"] == method:
                    return self._events.pop(i).get("params", {})
            msg = self._read_message(deadline)
            if "method" in msg:
                self._events.append(msg)

    # -- page helpers ---------------------------------------------------------------------

    def goto(self, url):
        self.clear_events()
        result = self.call("Page.navigate", url=url)
        if result.get("errorText"):
            raise CdpError(f"navigate {url}: {result['errorText']}")
        self.wait_event("Page.loadEventFired")

    def reload(self):
        self.clear_events()
        self.call("Page.reload", ignoreCache=True)
        self.wait_event("Page.loadEventFired")

    def eval(self, expression):
        result = self.call("Runtime.evaluate", expression=expression, returnByValue=True, awaitPromise=True)
        if "exceptionDetails" in result:
            raise CdpError(f"evaluate {expression!r}: {result['exceptionDetails']}")
        return result["result"].get("value")

    def click_and_wait(self, selector):
        """Clicks an element that submits a form, and waits for the next page's load."""
        self.clear_events()
        found = self.eval(f"(() => {{ const e = document.querySelector({json.dumps(selector)}); if (!e) return false; e.click(); return true; }})()")
        if not found:
            raise CdpError(f"no element {selector}")
        self.wait_event("Page.loadEventFired")

    def cookies(self, url):
        return self.call("Network.getCookies", urls=[url])["cookies"]

    def last_response_status(self, url_prefix):
        """Status of the latest main-document response whose URL starts with url_prefix."""
        status = None
        for ev in self._events:
            if ev["method"] == "Network.responseReceived":
                r = ev["params"]["response"]
                if ev["params"].get("type") == "Document" and r["url"].startswith(url_prefix):
                    status = r["status"]
        return status

    def set_cookies_seen(self):
        """Since the last navigation or click: ([Set-Cookie lines], [cookies Chromium blocked,
        with its reasons]) from the raw response headers (Network.responseReceivedExtraInfo)."""
        lines, blocked = [], []
        for ev in self._events:
            if ev["method"] == "Network.responseReceivedExtraInfo":
                params = ev["params"]
                for k, v in params.get("headers", {}).items():
                    if k.lower() == "set-cookie":
                        lines.extend(v.split("\n"))
                blocked.extend(params.get("blockedCookies", []))
        return lines, blocked

    def screenshot(self, path):
        data = self.call("Page.captureScreenshot", format="png", captureBeyondViewport=True)["data"]
        with open(path, "wb") as f:
            f.write(base64.b64decode(data))

    def close(self):
        try:
            if self.proc.poll() is None:
                try:
                    self.call("Browser.close", session=False)
                except (CdpError, OSError):
                    pass
                try:
                    self.proc.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    self.proc.kill()
                    self.proc.wait(timeout=5)
        finally:
            for fd in (self._to_child, self._from_child):
                try:
                    os.close(fd)
                except OSError:
                    pass
            self._log.close()
            shutil.rmtree(self.profile, ignore_errors=True)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
