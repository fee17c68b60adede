#!/usr/bin/env python3
"""Cluster test driver (run by scripts/cluster-test.sh, which builds, installs and starts nginx).

Owns the three demo nodes behind nginx and plays several users, each with its own cookie jar
and keep-alive connection to nginx. Every response is checked against a local model of what
that user wrote (visits, cart length, name, session id, key id, chunk cookies held). Mid-run:
one node is SIGKILLed and restarted, a new key is rolled out (nodes restarted one at a time)
with a not_before a few seconds ahead, sessions are re-sealed under it, then the old key is
retired (nodes restarted one at a time again). Standard library only; loopback only.
"""

import argparse
import collections
import http.client
import json
import os
import random
import signal
import socket
import subprocess
import sys
import time

MAX_REQUESTS = 20_000  # hard cap, whatever the phases ask for
MAX_SECONDS = 240  # hard cap on the whole run


class Failure(Exception):
    pass


# ------------------------------------------------------------------------------------------
# Cookie jar: what a browser keeps for http://127.0.0.1 (a secure context, like Chromium's).


class Jar:
    def __init__(self):
        self.cookies = {}  # name -> value, in arrival order

    def apply(self, line):
        """Applies one Set-Cookie line; returns (name, deleted)."""
        parts = [p.strip() for p in line.split(";")]
        name, sep, value = parts[0].partition("=")
        if not sep or not name:
            raise Failure(f"malformed Set-Cookie: {line[:80]!r}")
        attrs = {}
        for p in parts[1:]:
            k, _, v = p.partition("=")
            attrs[k.strip().lower()] = v.strip()
        if name.startswith("__Host-"):
            # The rules a browser enforces (RFC 6265bis): Secure, Path=/, no Domain.
            if "secure" not in attrs or attrs.get("path") != "/" or "domain" in attrs:
                raise Failure(f"__Host- cookie a browser would reject: {line[:120]!r}")
        if len(name) + len(value) > 4096:
            raise Failure(f"cookie {name} has {len(name) + len(value)} bytes: a browser drops it")
        max_age = attrs.get("max-age")
        if max_age is not None and int(max_age) <= 0:
            self.cookies.pop(name, None)
            return name, True
        self.cookies[name] = value
        return name, False

    def header(self, rng):
        """The Cookie header, chunks in a random order (they must reassemble regardless)."""
        pairs = [f"{n}={v}" for n, v in self.cookies.items()]
        rng.shuffle(pairs)
        return "; ".join(pairs)

    def session_names(self, cookie_name):
        return sorted(n for n in self.cookies if n == cookie_name or n.startswith(cookie_name + "."))


# ------------------------------------------------------------------------------------------
# The nodes: demo processes this driver starts, kills and restarts.


class Node:
    def __init__(self, name, port, args):
        self.name, self.port, self.args = name, port, args
        self.proc = None

    def start(self, keyring_text):
        env = dict(os.environ)
        env.update(
            SEALED_SESSION_KEYRING=keyring_text,
            SEALED_SESSION_MAX_COOKIE_BYTES=str(self.args.max_cookie_bytes),
            SEALED_SESSION_MAX_TOTAL_BYTES=str(self.args.max_total_bytes),
            NODE_NAME=self.name,
            BIND="127.0.0.1",
            PORT=str(self.port),
        )
        env.pop("SEALED_SESSION_INSECURE", None)
        log = open(os.path.join(self.args.dir, f"{self.name}.log"), "ab")
        self.proc = subprocess.Popen([self.args.demo], env=env, stdout=log, stderr=log, stdin=subprocess.DEVNULL)
        log.close()
        with open(os.path.join(self.args.dir, "pids", self.name), "w") as f:
            f.write(str(self.proc.pid))
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise Failure(f"node {self.name} exited at start-up (see {self.name}.log)")
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=0.5).close()
                return
            except OSError:
                time.sleep(0.03)
        raise Failure(f"node {self.name} did not listen on {self.port} in time")

    def stop(self, sig):
        if self.proc is None or self.proc.poll() is not None:
            return
        self.proc.send_signal(sig)
        try:
            self.proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(timeout=5)
            raise Failure(f"node {self.name} did not stop on {sig!r}")
        finally:
            if self.proc.poll() is not None:  # reaped: its pid may be reused, forget it
                os.remove(os.path.join(self.args.dir, "pids", self.name))

    @property
    def alive(self):
        return self.proc is not None and self.proc.poll() is None


# ------------------------------------------------------------------------------------------
# A user: cookie jar, connection to nginx, and the model of the session it wrote.


class User:
    def __init__(self, label, port, cookie_name, seed):
        self.label = label
        self.port = port
        self.cookie_name = cookie_name
        self.rng = random.Random(seed)
        self.jar = Jar()
        self.jar.cookies["theme"] = "dark"  # a cookie of the site's own, which the session ignores
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=15)
        # The model: what the server must report.
        self.visits = 0
        self.cart = 0
        self.name = None
        self.session_id = None
        self.key_id = None
        self.sign_ins = 0


class Driver:
    def __init__(self, args):
        self.args = args
        self.rng = random.Random(args.seed)
        self.cookie_name = "__Host-session"
        self.nodes = [Node(f"node{i + 1}", p, args) for i, p in enumerate(args.node_ports)]
        self.users = [User(f"user{i + 1}", args.nginx_port, self.cookie_name, args.seed * 100 + i) for i in range(args.users)]
        self.requests = 0
        self.hits = collections.Counter()
        self.phase_hits = collections.Counter()
        self.statuses = collections.Counter()
        self.ops = collections.Counter()
        self.failures = []
        self.reseals = collections.Counter()
        self.key_ids_seen = collections.Counter()
        self.max_cookie_header = 0
        self.max_session_cookie_bytes = 0
        self.max_chunks = 0
        self.max_set_cookie_line = 0
        self.chunk_deletions = 0
        self.too_large = 0
        self.old_key = self.new_key = None
        self.switch_at = None  # unix time the new key becomes primary
        self.started = time.monotonic()
        self.phase = "start"
        self.log_lines = []

    # -- bookkeeping ---------------------------------------------------------------------

    def log(self, msg):
        line = f"[{time.monotonic() - self.started:6.1f}s] {msg}"
        print(line, flush=True)

    def fail(self, user, msg):
        text = f"{self.phase} request {self.requests} {user.label if user else ''}: {msg}"
        self.failures.append(text)
        if len(self.failures) <= 20:
            print("FAILURE " + text, flush=True)

    def check_budget(self):
        if self.requests >= MAX_REQUESTS:
            raise Failure(f"request cap {MAX_REQUESTS} reached")
        if time.monotonic() - self.started > MAX_SECONDS:
            raise Failure(f"time cap {MAX_SECONDS}s reached")

    # -- keyring via the CLI --------------------------------------------------------------

    def cli(self, *argv, stdin=None):
        r = subprocess.run([self.args.cli, *argv], input=stdin, capture_output=True, text=True, timeout=30)
        if r.returncode != 0:
            raise Failure(f"sealed-session {' '.join(argv)}: exit {r.returncode}: {r.stderr.strip()}")
        if r.stderr.strip():
            self.log(f"  cli: {r.stderr.strip()}")
        return r.stdout.strip()

    def keyring_list(self, text):
        """[(id, state, not_before_unix or None)] from `keyring list`."""
        out = self.cli("keyring", "list", "--keyring-file", "-", stdin=text + "\n")
        keys = []
        for line in out.splitlines()[2:]:
            # id, state, not_before ('-' or 'DATE (UNIX)'), not_after
            cols = line.split()
            nb = int(cols[3].strip("()")) if cols[2] != "-" else None
            keys.append((cols[0], cols[1], nb))
        return keys

    # -- one request -----------------------------------------------------------------------

    def send(self, user, method, path):
        """Sends one request; returns (status, body dict, set-cookie lines). Applies cookies."""
        self.check_budget()
        cookie = user.jar.header(user.rng)
        session_bytes = sum(len(n) + 1 + len(v) for n, v in user.jar.cookies.items() if n.startswith(self.cookie_name))
        self.max_cookie_header = max(self.max_cookie_header, len("Cookie: ") + len(cookie))
        self.max_session_cookie_bytes = max(self.max_session_cookie_bytes, session_bytes)
        headers = {"Cookie": cookie} if cookie else {}
        if method == "POST":
            headers["Content-Length"] = "0"
        self.requests += 1
        try:
            user.conn.request(method, path, headers=headers)
            resp = user.conn.getresponse()
            raw = resp.read()
        except (OSError, http.client.HTTPException) as e:
            user.conn.close()
            self.fail(user, f"{method} {path}: transport error {e!r}")
            return None, None, []
        self.statuses[resp.status] += 1
        lines = resp.msg.get_all("Set-Cookie") or []
        try:
            body = json.loads(raw)
        except ValueError:
            self.fail(user, f"{method} {path}: status {resp.status}, not JSON: {raw[:120]!r}")
            return resp.status, None, lines
        for line in lines:
            self.max_set_cookie_line = max(self.max_set_cookie_line, len(line))
            if len(line) > self.args.max_cookie_bytes:
                self.fail(user, f"Set-Cookie line of {len(line)} bytes over the {self.args.max_cookie_bytes} limit")
            try:
                _, deleted = user.jar.apply(line)
                self.chunk_deletions += deleted
            except (Failure, ValueError) as e:
                self.fail(user, str(e))
        return resp.status, body, lines

    def expect_state(self, user, body, lines, sid_may_change=False, before=None):
        node = body.get("node")
        self.hits[node] += 1
        self.phase_hits[node] += 1
        if node not in {n.name for n in self.nodes}:
            self.fail(user, f"unknown node {node!r}")
        if body.get("open_error") is not None:
            self.fail(user, f"session did not open on {node}: {body['open_error']}")
        for field, want in (("visits", user.visits), ("cart_len", user.cart), ("name", user.name)):
            if body.get(field) != want:
                self.fail(user, f"{field} {body.get(field)!r} != expected {want!r} (node {node})")
        sid = body.get("session_id")
        if user.session_id is None or sid_may_change:
            if sid is not None and sid == before and sid_may_change:
                self.fail(user, "sign-in kept the old session id")
            user.session_id = sid
        elif sid != user.session_id:
            self.fail(user, f"session id changed {user.session_id} -> {sid} on {node}: an unexpected sign-out")
            user.session_id = sid
        # Every response's cookie lines are the ones the JSON describes.
        if body.get("set_cookie_bytes") != [len(line) for line in lines]:
            self.fail(user, f"set_cookie_bytes {body.get('set_cookie_bytes')} != lines sent {[len(x) for x in lines]}")
        held = user.jar.session_names(self.cookie_name)
        chunks = body.get("chunks")
        want_names = sorted([self.cookie_name] + [f"{self.cookie_name}.{i}" for i in range(1, chunks or 0)]) if chunks else []
        if held != want_names:
            self.fail(user, f"jar holds {held} but the server says {chunks} chunks")
        self.max_chunks = max(self.max_chunks, chunks or 0)
        # Keys: the old one seals before the switch, the new one after (one clock: same host).
        key = body.get("key_id")
        if key is not None:
            self.key_ids_seen[key] += 1
            now = time.time()
            if self.switch_at is None or now < self.switch_at - 1:
                if key != self.old_key:
                    self.fail(user, f"key id {key} before the switch (expected {self.old_key})")
            elif now > self.switch_at + 1 and key != self.new_key:
                self.fail(user, f"key id {key} after the switch (expected {self.new_key})")
            user.key_id = key
        if body.get("resealed") and body.get("reseal_reason"):
            self.reseals[body["reseal_reason"]] += 1

    # -- one random operation --------------------------------------------------------------

    def step(self, user=None):
        user = user or self.rng.choice(self.users)
        r = self.rng.random()
        big = user.cart >= 200
        if r < 0.30:
            op = "read"
        elif r < 0.52:
            op = "incr"
        elif r < 0.80:
            op = "add"
        elif r < (0.95 if big else 0.85):
            op = "clear"
        elif r < 0.985:
            op = "add-big" if big else "add"
        elif r < 0.995:
            op = "sign-in"
        else:
            op = "sign-out"
        self.ops[op] += 1
        if op == "read":
            status, body, lines = self.send(user, "GET", "/api/session")
            if self.ok(user, status, body, 200):
                self.expect_state(user, body, lines)
        elif op == "incr":
            status, body, lines = self.send(user, "POST", "/api/incr")
            if self.ok(user, status, body, 200):
                user.visits += 1
                self.expect_state(user, body, lines)
        elif op in ("add", "add-big"):
            n = self.rng.randint(1, 60) if op == "add" else self.rng.randint(400, 2000)
            status, body, lines = self.send(user, "POST", f"/api/cart/add?n={n}")
            if status == 413 and body is not None:
                self.too_large += 1
                # Only a big cart may be refused, and the session is unchanged: no Set-Cookie,
                # except the due re-seal of the unchanged session under the new key (right
                # after the switch); the next response checks the state either way.
                resealing = self.switch_at is not None and time.time() >= self.switch_at - 1
                if (lines and not resealing) or user.cart + n < 250 or body.get("needed", 0) <= body.get("budget", 1 << 30):
                    self.fail(user, f"unexpected 413 at cart {user.cart} + {n} ({len(lines)} Set-Cookie): {body}")
                elif lines:
                    self.reseals["re-sealed unchanged on a refused write"] += 1
            elif self.ok(user, status, body, 200):
                if op == "add-big":
                    self.fail(user, f"cart {user.cart} + {n} fit a {self.args.max_total_bytes}-byte budget")
                user.cart += n
                self.expect_state(user, body, lines)
        elif op == "clear":
            status, body, lines = self.send(user, "POST", "/api/cart/clear")
            if self.ok(user, status, body, 200):
                user.cart = 0
                self.expect_state(user, body, lines)
        elif op == "sign-in":
            user.sign_ins += 1
            name = f"{user.label}-{user.sign_ins}"
            status, body, lines = self.send(user, "POST", f"/api/sign-in?name={name}")
            if self.ok(user, status, body, 200):
                before, user.name = user.session_id, name
                self.expect_state(user, body, lines, sid_may_change=True, before=before)
        elif op == "sign-out":
            status, body, lines = self.send(user, "POST", "/api/sign-out")
            if self.ok(user, status, body, 200):
                user.visits, user.cart, user.name, user.session_id, user.key_id = 0, 0, None, None, None
                self.expect_state(user, body, lines)
                if user.jar.session_names(self.cookie_name):
                    self.fail(user, "sign-out left session cookies in the jar")

    def ok(self, user, status, body, want):
        if status is None:
            return False
        if status != want or body is None:
            self.fail(user, f"status {status} (expected {want}): {body}")
            return False
        return True

    def run_phase(self, name, at_least, until=None, at_most=3000, pause=0.0):
        self.phase = name
        self.phase_hits = collections.Counter()
        start = self.requests
        while True:
            done = self.requests - start
            if done >= at_least and (until is None or until()):
                break
            if done >= at_most:
                raise Failure(f"phase {name}: condition not met after {done} requests")
            self.step()
            if pause:
                time.sleep(pause)
        hits = ", ".join(f"{n}={self.phase_hits[n]}" for n in sorted(self.phase_hits))
        self.log(f"phase {name}: {self.requests - start} requests ({hits}); failures so far {len(self.failures)}")
        return dict(self.phase_hits)

    # -- node operations --------------------------------------------------------------------

    def rolling_restart(self, keyring_text, label):
        """Restarts the nodes one at a time with a new keyring; nginx serves from the others."""
        for node in self.nodes:
            node.stop(signal.SIGTERM)
            hits = self.run_phase(f"{label}: {node.name} down", at_least=60)
            if hits.get(node.name):
                self.fail(None, f"{node.name} answered while it was down")
            node.start(keyring_text)
            self.run_phase(
                f"{label}: {node.name} back",
                at_least=40,
                until=lambda n=node.name: self.phase_hits[n] >= 5,
                at_most=2000,
                pause=0.005,  # nginx tries a node it saw refuse again after fail_timeout (1 s)
            )

    def run(self):
        a = self.args
        with open(a.keyring) as f:
            ring1 = f.read().strip()
        keys = self.keyring_list(ring1)
        self.old_key = keys[0][0]
        self.log(f"keyring: {keys}")
        for node in self.nodes:
            node.start(ring1)
        if a.self_check_wrong_keyring:
            # Proves the checks bite: a node with a keyring of its own loses every session it
            # is sent, and this run must FAIL.
            self.nodes[2].stop(signal.SIGTERM)
            self.nodes[2].start(self.cli("keygen"))
        self.log(f"nodes {[n.port for n in self.nodes]} behind nginx on 127.0.0.1:{a.nginx_port}, {len(self.users)} users")

        # Each user starts with a session (a write), then random traffic.
        for user in self.users:
            self.phase = "warm-up"
            status, body, lines = self.send(user, "POST", "/api/incr")
            if self.ok(user, status, body, 200):
                user.visits += 1
                self.expect_state(user, body, lines)
        hits = self.run_phase("steady", at_least=600)
        if len(hits) != 3:
            self.fail(None, f"round-robin did not reach every node: {hits}")

        victim = self.nodes[1]
        victim.stop(signal.SIGKILL)
        self.log(f"SIGKILL {victim.name} (pid {victim.proc.pid})")
        hits = self.run_phase(f"{victim.name} killed", at_least=400)
        if hits.get(victim.name):
            self.fail(None, f"{victim.name} answered after SIGKILL")
        victim.start(ring1)
        self.log(f"restarted {victim.name}")
        self.run_phase(
            f"{victim.name} restarted", at_least=300, until=lambda: self.phase_hits[victim.name] >= 20, at_most=3000, pause=0.003
        )

        # Key rotation: a new key that starts sealing a few seconds from now, rolled out.
        ring2 = self.cli("keyring", "add", "--keyring-file", "-", "--not-before", f"+{a.rotate_in}s", stdin=ring1 + "\n")
        keys = self.keyring_list(ring2)
        pending = [k for k in keys if k[1] == "pending"]
        if len(pending) != 1:
            raise Failure(f"keyring add: expected one pending key, got {keys}")
        self.new_key, _, self.switch_at = pending[0]
        with open(os.path.join(a.dir, "keyring2.txt"), "w") as f:
            f.write(ring2 + "\n")
        self.log(f"new key {self.new_key} seals from {self.switch_at} ({self.switch_at - time.time():.1f}s from now); rolling it out")
        self.rolling_restart(ring2, "add key")
        margin = self.switch_at - time.time()
        self.log(f"roll-out done {margin:.1f}s before the switch")
        if margin < 1:
            raise Failure("the roll-out did not finish before not_before: raise --rotate-in")

        # Keep serving until past not_before (every node switches at the same second).
        self.run_phase("before switch", at_least=1, until=lambda: time.time() >= self.switch_at - 1.5, at_most=4000, pause=0.01)
        stale_jar = dict(self.users[0].jar.cookies)  # a copy under the old key, for the end
        stale_sid = self.users[0].session_id
        self.run_phase("switch", at_least=1, until=lambda: time.time() >= self.switch_at + 1.5, at_most=2000, pause=0.01)
        self.run_phase(
            "re-seal",
            at_least=300,
            until=lambda: all(u.key_id in (self.new_key, None) for u in self.users),
            at_most=4000,
        )
        resealed_users = sum(u.key_id == self.new_key for u in self.users)
        self.log(f"{resealed_users}/{len(self.users)} sessions re-sealed under {self.new_key}; re-seals: {dict(self.reseals)}")

        # The stale copy still opens (old key still in the keyring) before retirement ...
        # ... then retire the old key, rolled out one node at a time.
        ring3 = self.cli("keyring", "retire", self.old_key, "--keyring-file", "-", stdin=ring2 + "\n")
        self.log(f"retire {self.old_key}: {self.keyring_list(ring3)}")
        self.rolling_restart(ring3, "retire key")
        hits = self.run_phase("after retirement", at_least=500)
        if len(hits) != 3:
            self.fail(None, f"not every node served after the roll-outs: {hits}")

        # The stale copy (sealed under the retired key) no longer opens: served as no session,
        # its cookies deleted.
        ghost = User("stale-copy", a.nginx_port, self.cookie_name, 7)
        ghost.jar.cookies = dict(stale_jar)
        self.phase = "stale copy"
        status, body, lines = self.send(ghost, "GET", "/api/session")
        if not self.ok(ghost, status, body, 200):
            pass
        elif body.get("open_error") is None or body.get("session_id") is not None or ghost.jar.session_names(self.cookie_name):
            self.fail(ghost, f"a copy sealed under the retired key was accepted or not deleted: {body}")
        else:
            self.log(f"stale copy of {self.users[0].label}'s old cookies (session {stale_sid}): refused ({body['open_error']}), {len(lines)} deletions")
        ghost.conn.close()

        # Final: each user's session is exactly what it wrote.
        self.phase = "final"
        for user in self.users:
            status, body, lines = self.send(user, "GET", "/api/session")
            if self.ok(user, status, body, 200):
                self.expect_state(user, body, lines)
                if user.session_id is not None and body.get("key_id") != self.new_key:
                    self.fail(user, f"final session not under the new key: {body.get('key_id')}")
                self.log(
                    f"final {user.label}: visits {body['visits']}, cart {body['cart_len']}, name {body['name']}, "
                    f"chunks {body['chunks']}, key {body['key_id']} (model: {user.visits}, {user.cart}, {user.name})"
                )

    def report(self, error):
        elapsed = time.monotonic() - self.started
        ok = error is None and not self.failures
        print()
        print("cluster test summary")
        print(f"  requests:            {self.requests} in {elapsed:.1f}s, {len(self.users)} users, statuses {dict(sorted(self.statuses.items()))}")
        print(f"  operations:          {dict(self.ops)}")
        print(f"  per-node hits:       {dict(sorted(self.hits.items()))}")
        print(f"  failures:            {len(self.failures)}" + (f" + aborted: {error}" if error else ""))
        print(f"  re-seals seen:       {sum(self.reseals.values())} {dict(self.reseals)}")
        print(f"  key ids seen:        {dict(self.key_ids_seen)} (old {self.old_key}, new {self.new_key})")
        print(f"  largest Cookie:      {self.max_cookie_header} bytes (header line; session cookies {self.max_session_cookie_bytes} bytes, budget {self.args.max_total_bytes})")
        print(f"  largest Set-Cookie:  {self.max_set_cookie_line} bytes (limit {self.args.max_cookie_bytes}); most chunks {self.max_chunks}; chunk deletions applied {self.chunk_deletions}")
        print(f"  refused as too large: {self.too_large} (413, session unchanged)")
        print("PASS" if ok else "FAIL")
        return ok


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--dir", required=True)
    p.add_argument("--demo", required=True)
    p.add_argument("--cli", required=True)
    p.add_argument("--keyring", required=True)
    p.add_argument("--nginx-port", type=int, required=True)
    p.add_argument("--node-ports", type=int, nargs=3, required=True)
    p.add_argument("--users", type=int, default=5)
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--rotate-in", type=int, default=12)
    p.add_argument("--max-cookie-bytes", type=int, default=1500)
    p.add_argument("--max-total-bytes", type=int, default=6144)
    p.add_argument("--self-check-wrong-keyring", action="store_true", help="node3 gets another keyring: must FAIL")
    args = p.parse_args()
    # SIGTERM (from timeout or the script) unwinds like Ctrl-C: what this started is stopped.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    os.makedirs(os.path.join(args.dir, "pids"), exist_ok=True)
    d = Driver(args)
    error = None
    try:
        d.run()
    except Failure as e:
        error = str(e)
        print(f"ABORTED: {e}", flush=True)
    finally:
        for node in d.nodes:
            try:
                node.stop(signal.SIGTERM)
            except Failure:
                pass
    sys.exit(0 if d.report(error) else 1)


if __name__ == "__main__":
    main()
