#!/usr/bin/env python3
"""Cluster test driver (run by scripts/cluster-test.sh, which builds, installs and starts nginx).

Owns the three demo nodes behind nginx and plays several users, each with its own cookie jar
and keep-alive connection to nginx. Every response is checked against a local model of what
that user wrote (visits, cart length, name, session id, key id, chunk cookies held).

The run is a list of phases (PHASES; --phases picks some), each a method `phase_<name>` of
Driver that drives traffic and faults and calls self.fail() for what is wrong; the summary
reports each phase's requests, 5xx, longest request, lost sessions and unexpected sign-outs.
A new phase: write `def phase_my_fault(self)` (helpers: run_phase for sequential traffic,
traffic for every user at once while a fault runs, concurrent_round, rolling_restart, the Node
methods), add "my-fault" to PHASES, and it runs and is reported like the others.

  steady           sequential random traffic over the 3 nodes
  deploy           a rolling deploy that changes the session type (the demo's releases): the
                   nodes, started as release a (schema 0), restarted 2 s apart into release b
                   (reads 0 and 1, seals 0 until one DEMO_SCHEMA_SWITCH_AT a few seconds after
                   the roll-out), a and b serving one cluster meanwhile; past the switch every
                   session re-sealed to schema 1, contents intact; then restarted 2 s apart into
                   release c; every user keeps sending throughout
  concurrent       2 to 4 requests of one user at once, with the same cookies; the responses'
                   cookies applied in a random order; the next request must open one of them
  kill             one node SIGKILLed, traffic, restarted
  rolling-restart  the 3 nodes restarted 2 s apart (SIGTERM, start) under concurrent traffic
  hang             one node SIGSTOPped for 10 s, then SIGCONT, under concurrent traffic
  rotation         a whole rotation with no restart, by rewriting the keyring file every node
                   watches (SEALED_SESSION_KEYRING_FILE; the CLI's --out --overwrite, a new
                   file renamed over it): a new key with a not_before a few seconds ahead,
                   sessions re-sealed under it past the switch, a retirement of the old key
                   too early (every node refuses it, keeps its keyring), the old key's
                   retirement scheduled past the switch plus the clock skew (accepted), and a
                   copy of an old cookie refused once it has passed
  straggler        another key rolled out with a not_before a few seconds ahead, two nodes
                   restarted with the new keyring and one with the old one (a straggler, which
                   cannot open what the new key seals); past not_before every user keeps
                   sending for several seconds: the straggler must replace no session (503,
                   which nginx resends to another node), then it gets the right keyring
  final            (always) each user's session is what it wrote

The nodes start as release a when deploy is among the phases (deploy leaves them at c), as
release c (the default) otherwise; restarts keep a node's release. nginx's access log (its
format: scripts/e2e/common.sh) says which nodes each request went to and what they answered:
deploy and straggler count from it the 503s that nginx resent.

Standard library only; loopback only.
"""

import argparse
import collections
import http.client
import json
import math
import os
import random
import re
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.request

MAX_REQUESTS = 40_000  # hard cap, whatever the phases ask for
MAX_SECONDS = 200  # hard cap on the whole run
PHASES = ("steady", "deploy", "concurrent", "kill", "rolling-restart", "hang", "rotation", "straggler")
FAULT_STATUSES = (502, 503, 504)  # what users may get while a node is down, hung or stale
THINK_SECONDS = 0.01  # a user's pause between requests when every user runs at once
# In a fault phase, nginx may answer 502/504 for the requests a node had when it died or hung
# (a POST nginx will not resend), and pass on a 503 that two nodes in a row answered (a POST a
# straggler refused, resent once through @refused to the straggler again); more than this
# share of the phase's requests is a failure (with a default fail_timeout, a rolling restart
# gets 502 "no live upstreams" for ~40%).
FAULT_5XX_SHARE = 0.01


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

# Node.start's keyring for "the shared keyring file": every node reads it at start-up and
# reloads it when it changes (the demo's SEALED_SESSION_KEYRING_FILE).
LIVE_FILE = object()
# The demo's clock-skew allowance (Expiry::default()): a keyring file may retire a key only
# once it no longer seals on a node whose clock runs this far behind.
DEMO_SKEW = 60


def live_file(args):
    return os.path.join(args.dir, "keyring-live.txt")


class Node:
    def __init__(self, name, port, args):
        self.name, self.port, self.args = name, port, args
        self.proc = None
        self.paused = False
        self.extra_env = {}  # of the last start, kept by the next ones that give none
        self.binary = None

    @property
    def release(self):
        """The demo release (DEMO_RELEASE) this node was last started as."""
        return self.extra_env.get("DEMO_RELEASE", "c")

    def start(self, keyring_text, extra_env=None, binary=None):
        """Starts the demo (binary: another build, as for a rolling deploy) and waits until it
        listens; extra_env is added to its environment. A start that gives no extra_env or
        binary keeps those of the last one (a restart keeps the node's release). keyring_text
        LIVE_FILE: the node reads and watches the shared keyring file
        (SEALED_SESSION_KEYRING_FILE) instead of SEALED_SESSION_KEYRING."""
        if extra_env is not None:
            self.extra_env = dict(extra_env)
        if binary is not None:
            self.binary = binary
        env = dict(os.environ)
        for name in ("SEALED_SESSION_KEYRING", "SEALED_SESSION_KEYRING_FILE"):
            env.pop(name, None)
        if keyring_text is LIVE_FILE:
            env["SEALED_SESSION_KEYRING_FILE"] = live_file(self.args)
        else:
            env["SEALED_SESSION_KEYRING"] = keyring_text
        env.update(
            SEALED_SESSION_MAX_COOKIE_BYTES=str(self.args.max_cookie_bytes),
            SEALED_SESSION_MAX_TOTAL_BYTES=str(self.args.max_total_bytes),
            NODE_NAME=self.name,
            BIND="127.0.0.1",
            PORT=str(self.port),
        )
        for name in ("SEALED_SESSION_INSECURE", "DEMO_RELEASE", "DEMO_SCHEMA_SWITCH_AT"):
            env.pop(name, None)  # only what this driver gives
        env.update(self.extra_env)
        log = open(os.path.join(self.args.dir, f"{self.name}.log"), "ab")
        self.proc = subprocess.Popen([self.binary or self.args.demo], env=env, stdout=log, stderr=log, stdin=subprocess.DEVNULL)
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

    def pause(self):
        """SIGSTOP: the node hangs; the kernel still accepts connections for it (backlog)."""
        self.proc.send_signal(signal.SIGSTOP)
        self.paused = True

    def resume(self):
        self.proc.send_signal(signal.SIGCONT)
        self.paused = False

    def stop(self, sig):
        if self.proc is None or self.proc.poll() is not None:
            return
        self.proc.send_signal(sig)
        if self.paused:  # a stopped process acts on SIGTERM only once continued
            self.resume()
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
        self.schema = None  # schema version of the session the server reported last
        self.last_writer = None  # its last_writer, as the server reported it
        self.sealed_by = None  # release of the node whose response last sealed it
        # After concurrent responses the jar may hold leftover chunks (numbered past the head's
        # count), which open ignores and the next write deletes (README, "Cluster life").
        self.leftovers_allowed = False


class Driver:
    def __init__(self, args):
        self.args = args
        self.rng = random.Random(args.seed)
        self.cookie_name = "__Host-session"
        self.nodes = [Node(f"node{i + 1}", p, args) for i, p in enumerate(args.node_ports)]
        self.users = [User(f"user{i + 1}", args.nginx_port, self.cookie_name, args.seed * 100 + i) for i in range(args.users)]
        # Bookkeeping is shared by the threads of the concurrent phases: under this lock.
        self.lock = threading.RLock()
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
        self.too_large_ops = collections.Counter()
        self.leftovers_carried = 0  # reads with leftover chunks in the jar (after concurrent responses)
        # What the summary reports for the run and for each phase.
        self.sign_outs = 0  # a session that no longer opened, or came back under another id
        self.lost = 0  # a session that opened with other contents than the user wrote
        self.lost_users = set()
        self.five_xx = collections.Counter()
        self.tolerated_5xx = collections.Counter()  # 502/503/504 from nginx during a fault phase
        self.slow = 0  # requests over 1 s
        self.longest = (0.0, "-")
        self.tolerate_5xx = False  # set by traffic(): a fault phase may see nginx's 502/504
        self.sections = []  # one dict per phase run, for the summary
        self.section = None
        self.ring = None  # the keyring text the nodes run with
        self.on_file = True  # the nodes read it from the shared keyring file (LIVE_FILE)
        self.old_key = self.new_key = None
        self.switch_at = None  # unix time the new key becomes primary
        self.stale_nodes = set()  # nodes whose keyring lacks new_key (straggler): may seal old_key
        self.schema_switch_at = None  # DEMO_SCHEMA_SWITCH_AT of the b nodes (deploy)
        self.schemas_seen = collections.Counter()
        self.releases_seen = collections.Counter()
        self.schema_stats = collections.Counter()  # what the release, schema and straggler checks saw
        self.resealed_to_1 = {}  # user -> how its session first came to schema 1 (deploy)
        self.access_log = os.path.join(args.dir, "nginx-access.log")
        self.started = time.monotonic()
        self.phase = "start"
        self.log_lines = []

    # -- bookkeeping ---------------------------------------------------------------------

    def log(self, msg):
        line = f"[{time.monotonic() - self.started:6.1f}s] {msg}"
        print(line, flush=True)

    def fail(self, user, msg):
        with self.lock:
            text = f"{self.phase} request {self.requests} {user.label if user else ''}: {msg}"
            self.failures.append(text)
            if len(self.failures) <= 20:
                print("FAILURE " + text, flush=True)

    def signed_out(self, user, msg):
        """An unexpected sign-out: the user's session did not open, or opened as another."""
        with self.lock:
            self.sign_outs += 1
            self.lost_users.add(user.label)
        self.fail(user, msg + ": an unexpected sign-out")

    def lost_write(self, user, msg):
        """A lost session: it opened, with contents other than what the user wrote."""
        with self.lock:
            self.lost += 1
            self.lost_users.add(user.label)
        self.fail(user, msg + ": a lost session")

    def check_budget(self):
        if self.requests >= MAX_REQUESTS:
            raise Failure(f"request cap {MAX_REQUESTS} reached")
        if time.monotonic() - self.started > MAX_SECONDS:
            raise Failure(f"time cap {MAX_SECONDS}s reached")

    def note(self, text):
        """A line for the current phase in the summary."""
        self.section["notes"].append(text)
        self.log(f"  {text}")

    def counts(self):
        return dict(
            requests=self.requests,
            failures=len(self.failures),
            sign_outs=self.sign_outs,
            lost=self.lost,
            five_xx=sum(self.five_xx.values()),
            client_503=self.statuses[503],
            slow=self.slow,
        )

    def run_section(self, name, body):
        """Runs one phase (a method) and records what it cost, for the summary."""
        self.section = dict(name=name, notes=[], longest=(0.0, "-"), started=time.monotonic(), before=self.counts())
        self.phase = name
        self.log(f"== {name}")
        try:
            body()
        finally:
            sec = self.section
            sec["seconds"] = time.monotonic() - sec["started"]
            sec["delta"] = {k: v - sec["before"][k] for k, v in self.counts().items()}
            self.sections.append(sec)
            d = sec["delta"]
            if d["five_xx"] > FAULT_5XX_SHARE * d["requests"] and sec.get("fault"):
                self.fail(None, f"{name}: {d['five_xx']} of {d['requests']} requests got a 5xx (at most {FAULT_5XX_SHARE:.0%})")
                d["failures"] += 1
            self.log(
                f"== {name}: {d['requests']} requests in {sec['seconds']:.1f}s, 5xx {d['five_xx']}, longest "
                f"{sec['longest'][0]:.2f}s, lost {d['lost']}, sign-outs {d['sign_outs']}, failures {d['failures']}"
            )

    # -- keyring via the CLI --------------------------------------------------------------

    def cli(self, *argv, stdin=None):
        r = subprocess.run([self.args.cli, *argv], input=stdin, capture_output=True, text=True, timeout=30)
        if r.returncode != 0:
            raise Failure(f"sealed-session {' '.join(argv)}: exit {r.returncode}: {r.stderr.strip()}")
        if r.stderr.strip():
            self.log(f"  cli: {r.stderr.strip()}")
        return r.stdout.strip()

    def primary_key(self, text):
        primary = [k[0] for k in self.keyring_list(text) if k[1] == "primary"]
        if len(primary) != 1:
            raise Failure(f"keyring list: expected one primary key, got {self.keyring_list(text)}")
        return primary[0]

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

    def send(self, user, method, path, conn=None, cookie=None, apply=True):
        """Sends one request; returns (status, body dict or None, set-cookie lines).

        Applies the cookies to the user's jar, unless apply is False (concurrent requests,
        whose responses the caller applies in an order of its own). conn and cookie default
        to the user's connection and jar."""
        self.check_budget()
        conn = conn or user.conn
        if cookie is None:
            cookie = user.jar.header(user.rng)
        session_bytes = sum(len(p) for p in cookie.split("; ") if p.startswith(self.cookie_name))
        headers = {"Cookie": cookie} if cookie else {}
        if method == "POST":
            headers["Content-Length"] = "0"
        with self.lock:
            self.max_cookie_header = max(self.max_cookie_header, len("Cookie: ") + len(cookie))
            self.max_session_cookie_bytes = max(self.max_session_cookie_bytes, session_bytes)
            self.requests += 1
        start = time.monotonic()
        try:
            conn.request(method, path, headers=headers)
            resp = conn.getresponse()
            raw = resp.read()
        except (OSError, http.client.HTTPException) as e:
            conn.close()
            self.fail(user, f"{method} {path}: transport error {e!r} after {time.monotonic() - start:.2f}s")
            return None, None, []
        took = time.monotonic() - start
        lines = resp.msg.get_all("Set-Cookie") or []
        if resp.status == 503 and not resp.getheader("Retry-After"):
            self.fail(user, f"{method} {path}: 503 without Retry-After")
        try:
            body = json.loads(raw)
        except ValueError:
            body = None
        node = body.get("node") if isinstance(body, dict) else None
        with self.lock:
            self.statuses[resp.status] += 1
            if resp.status >= 500:
                self.five_xx[resp.status] += 1
            where = f"{self.phase}: {user.label} {method} {path} -> {resp.status}" + (f" from {node}" if node else "")
            if took > 1.0:
                self.slow += 1
            if took > self.args.max_stall:
                self.fail(user, f"{method} {path} took {took:.1f}s (at most {self.args.max_stall}s: nginx's timeouts)")
            if took > self.longest[0]:
                self.longest = (took, where)
            if self.section is not None and took > self.section["longest"][0]:
                self.section["longest"] = (took, where)
        if not isinstance(body, dict):
            if resp.status < 500:  # an error page of nginx's own is for ok() to judge
                self.fail(user, f"{method} {path}: status {resp.status}, not JSON: {raw[:120]!r}")
            return resp.status, None, lines
        if apply:
            self.apply_cookies(user, lines)
        return resp.status, body, lines

    def apply_cookies(self, user, lines):
        """Applies one response's Set-Cookie lines to the user's jar, as a browser does."""
        for line in lines:
            with self.lock:
                self.max_set_cookie_line = max(self.max_set_cookie_line, len(line))
            if len(line) > self.args.max_cookie_bytes:
                self.fail(user, f"Set-Cookie line of {len(line)} bytes over the {self.args.max_cookie_bytes} limit")
            try:
                _, deleted = user.jar.apply(line)
                with self.lock:
                    self.chunk_deletions += deleted
            except (Failure, ValueError) as e:
                self.fail(user, str(e))

    def expect_state(self, user, body, lines, sid_may_change=False, before=None, wrote=None, signing_out=False):
        """Checks a 200 response against the user's model, then makes the model follow it.
        wrote: True for a change (incr, add, clear, sign-in), False for a read, None when
        unknown (concurrent responses). signing_out: the user asked to sign out, which
        deletes the session's cookies even on a node that cannot read them (a straggler), so
        an open_error there is the user's intent, not an unexpected sign-out."""
        with self.lock:
            self._expect_schema(user, body, lines, wrote)  # reads the model before _expect_state
            self._expect_state(user, body, lines, sid_may_change, before, signing_out)

    def _expect_state(self, user, body, lines, sid_may_change, before, signing_out=False):
        node = body.get("node")
        self.hits[node] += 1
        self.phase_hits[node] += 1
        if node not in {n.name for n in self.nodes}:
            self.fail(user, f"unknown node {node!r}")
        sid = body.get("session_id")
        if body.get("open_error") is not None and signing_out and sid is None:
            self.schema_stats["sign-out over a session this node could not read"] += 1
        elif body.get("open_error") is not None:
            self.signed_out(user, f"session did not open on {node}: {body['open_error']}")
        elif user.session_id is not None and not sid_may_change and sid != user.session_id:
            self.signed_out(user, f"session id changed {user.session_id} -> {sid} on {node}")
        else:
            wrong = [
                f"{field} {body.get(field)!r} != expected {want!r}"
                for field, want in (("visits", user.visits), ("cart_len", user.cart), ("name", user.name))
                if body.get(field) != want
            ]
            if wrong:
                self.lost_write(user, f"{', '.join(wrong)} (node {node})")
        # After a failure, the model follows the server, so that one fault counts once.
        user.visits, user.cart, user.name = body.get("visits"), body.get("cart_len"), body.get("name")
        if user.session_id is None or sid_may_change:
            if sid is not None and sid == before and sid_may_change:
                self.fail(user, "sign-in kept the old session id")
        user.session_id = sid
        # Every response's cookie lines are the ones the JSON describes.
        if body.get("set_cookie_bytes") != [len(line) for line in lines]:
            self.fail(user, f"set_cookie_bytes {body.get('set_cookie_bytes')} != lines sent {[len(x) for x in lines]}")
        held = user.jar.session_names(self.cookie_name)
        chunks = body.get("chunks")
        want_names = sorted([self.cookie_name] + [f"{self.cookie_name}.{i}" for i in range(1, chunks or 0)]) if chunks else []
        sealed = any("max-age=0" not in line.lower() for line in lines)
        if held != want_names:
            extra = [n for n in held if n not in want_names]
            leftovers = (
                user.leftovers_allowed
                and not sealed  # a write must delete them
                and all(n in held for n in want_names)
                and all(n.rpartition(".")[2].isdigit() and int(n.rpartition(".")[2]) >= (chunks or 0) for n in extra)
            )
            if leftovers:
                self.leftovers_carried += 1
            else:
                self.fail(user, f"jar holds {held} but the server says {chunks} chunks (node {node})")
        if sealed or held == want_names:
            user.leftovers_allowed = False
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
                if node in self.stale_nodes and key == self.old_key:
                    # A straggler's keyring lacks the new key: it still seals under the old
                    # one (a new visitor's session, or one not yet re-sealed), which every
                    # other node opens and re-seals.
                    self.schema_stats["straggler: served under the old key"] += 1
                else:
                    self.fail(user, f"key id {key} after the switch (expected {self.new_key})")
        user.key_id = key
        if body.get("resealed") and body.get("reseal_reason"):
            self.reseals[body["reseal_reason"]] += 1

    def _expect_schema(self, user, body, lines, wrote):
        """The demo's releases (DEMO_RELEASE) and the schema versions they read and seal:
        a seals and opens 0; b seals 0 until DEMO_SCHEMA_SWITCH_AT, then 1; c seals 1; b and c
        re-seal a schema-0 session on its next request. last_writer is stored in schema 1
        only, where a change records the node that made it and a re-seal keeps it. Runs
        before _expect_state: user.* is still the model before this response."""
        node, release, schema = body.get("node"), body.get("release"), body.get("schema")
        writer, sid = body.get("last_writer"), body.get("session_id")
        self.releases_seen[release] += 1
        self.schemas_seen[schema] += 1
        want_release = next((n.release for n in self.nodes if n.name == node), None)
        if release not in ("a", "b", "c"):
            self.fail(user, f"release {release!r} from {node}")
        elif release != want_release:
            # A response the old process sent just before it stopped may be read after the
            # restart: counted (deploy lists them), not a failure.
            self.schema_stats[f"{node} answered as {release} while started as {want_release}"] += 1
        if (sid is not None and schema not in (0, 1)) or (sid is None and schema is not None):
            self.fail(user, f"schema {schema!r} for session {sid} from {node} (release {release})")
        if schema == 0 and writer is not None:
            self.fail(user, f"schema 0 with last_writer {writer!r} (it has no room for one) from {node}")
        if release == "a" and schema not in (0, None):
            self.fail(user, f"release a reported schema {schema} (it opens 0 only)")
        sealed = any("max-age=0" not in line.lower() for line in lines)
        opened = body.get("open_error") is None and sid is not None and sid == user.session_id
        if opened and user.sealed_by is not None and release != user.sealed_by:
            self.schema_stats[f"{release} opened what {user.sealed_by} sealed"] += 1
        now = time.time()
        switch = self.schema_switch_at
        if release == "b" and switch is None:
            self.fail(user, "a release-b node, but no DEMO_SCHEMA_SWITCH_AT known to the driver")
        elif sid is not None and release in ("b", "c"):
            after = release == "c" or now > switch + 1
            before = release == "b" and now < switch - 1
            if sealed and before and schema != 0:
                self.fail(user, f"release b sealed schema {schema} before its switch (from {node})")
            elif sealed and after and schema != 1:
                self.fail(user, f"release {release} sealed schema {schema} after the switch (from {node})")
            elif not sealed and after and schema == 0:
                # Due for a re-seal, and none sent: only when the schema-1 value (with
                # last_writer) would not fit the cookie budget that the schema-0 one fits.
                if (body.get("cart_len") or 0) < 300:
                    self.fail(user, f"schema-0 session not re-sealed by release {release} after the switch (from {node}, cart {body.get('cart_len')})")
                else:
                    self.schema_stats["kept at schema 0: over the budget at schema 1"] += 1
        if schema == 1 and wrote is True and writer != node:
            self.fail(user, f"a change by {node} left last_writer {writer!r}")
        if schema == 1 and wrote is False and opened and user.schema == 1 and writer != user.last_writer:
            self.fail(user, f"a read changed last_writer {user.last_writer!r} -> {writer!r} (from {node})")
        if opened and user.schema == 0 and schema == 1 and user.label not in self.resealed_to_1:
            # The first schema-1 response of a session written at schema 0: the contents
            # (checked above against the model) and the session id are the ones written.
            how = "re-sealed" if writer is None else "changed"
            at = "" if switch is None else f" at switch{now - switch:+.1f}s"
            self.resealed_to_1[user.label] = f"{how}, {node}{at}"
        user.schema = schema
        user.last_writer = writer
        if sealed:
            user.sealed_by = release
        elif sid is None:
            user.sealed_by = None

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
        with self.lock:
            self.ops[op] += 1
        if op == "read":
            status, body, lines = self.send(user, "GET", "/api/session")
            if self.ok(user, status, body, 200, lines):
                self.expect_state(user, body, lines, wrote=False)
        elif op == "incr":
            status, body, lines = self.send(user, "POST", "/api/incr")
            if status == 413 and body is not None:
                self.refused_too_large(user, op, body, lines)
            elif self.ok(user, status, body, 200, lines):
                user.visits += 1
                self.expect_state(user, body, lines, wrote=True)
        elif op in ("add", "add-big"):
            n = self.rng.randint(1, 60) if op == "add" else self.rng.randint(400, 2000)
            status, body, lines = self.send(user, "POST", f"/api/cart/add?n={n}")
            if status == 413 and body is not None:
                self.refused_too_large(user, op, body, lines, n)
            elif self.ok(user, status, body, 200, lines):
                if op == "add-big":
                    self.fail(user, f"cart {user.cart} + {n} fit a {self.args.max_total_bytes}-byte budget")
                user.cart += n
                self.expect_state(user, body, lines, wrote=True)
        elif op == "clear":
            status, body, lines = self.send(user, "POST", "/api/cart/clear")
            if self.ok(user, status, body, 200, lines):
                user.cart = 0
                self.expect_state(user, body, lines, wrote=True)
        elif op == "sign-in":
            user.sign_ins += 1
            name = f"{user.label}-{user.sign_ins}"
            status, body, lines = self.send(user, "POST", f"/api/sign-in?name={name}")
            if status == 413 and body is not None:
                self.refused_too_large(user, op, body, lines)
            elif self.ok(user, status, body, 200, lines):
                before, user.name = user.session_id, name
                self.expect_state(user, body, lines, sid_may_change=True, before=before, wrote=True)
        elif op == "sign-out":
            status, body, lines = self.send(user, "POST", "/api/sign-out")
            if self.ok(user, status, body, 200, lines):
                user.visits, user.cart, user.name, user.session_id, user.key_id = 0, 0, None, None, None
                self.expect_state(user, body, lines, signing_out=True)
                if user.jar.session_names(self.cookie_name):
                    self.fail(user, "sign-out left session cookies in the jar")

    def refused_too_large(self, user, op, body, lines, n=0):
        """A 413: the change would not fit the cookie budget, and the session is unchanged: no
        Set-Cookie, except the due re-seal of the unchanged session (under a new key, at a new
        schema), which reseal_reason then names; the next response checks the state. Only a
        big cart may be refused: one added to, or one the budget barely holds, which a change
        grows by a few bytes (a last_writer stored for the first time past the schema switch,
        a name or a visit count one digit longer)."""
        with self.lock:
            self.too_large += 1
            self.too_large_ops[op] += 1
        resealing = body.get("reseal_reason") is not None
        full = user.cart + n >= 250 if op.startswith("add") else user.cart >= 300
        if (lines and not resealing) or not full or body.get("needed", 0) <= body.get("budget", 1 << 30):
            self.fail(user, f"unexpected 413 for {op} at cart {user.cart} + {n} ({len(lines)} Set-Cookie): {body}")
        elif lines:
            with self.lock:
                self.reseals["re-sealed unchanged on a refused write"] += 1

    def ok(self, user, status, body, want, lines=()):
        """Whether the response is the one wanted. In a fault phase (traffic()), 502/503/504
        are counted, not failures: nginx's 502/504 for a request that reached a node that died
        or hung after it had it, which nginx does not resend; a node's 503 (with Retry-After)
        for a session it cannot read, which nginx resent and got again. Its cookies must then
        be unchanged (no Set-Cookie): the user's session is the one before this request, which
        the user's next response checks."""
        if status is None:
            return False
        if status == want and body is not None:
            return True
        if status in FAULT_STATUSES and self.tolerate_5xx:
            with self.lock:
                self.tolerated_5xx[status] += 1
            if lines:
                self.fail(user, f"status {status} with {len(lines)} Set-Cookie lines")
            return False
        self.fail(user, f"status {status} (expected {want}): {body}")
        return False

    def run_phase(self, name, at_least, until=None, at_most=3000, pause=0.0):
        """Sequential traffic (one request at a time, random users) under the label name."""
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

    def traffic(self, fault, until=lambda: True, settle_max=10.0):
        """Every user sends requests at once, each in a thread of its own with its own
        connection to nginx (as real users do: one user's stalled request holds no one
        else's), while fault() runs in this thread; then until() (or settle_max seconds).
        nginx's 502/503/504 are counted here, not failures (see ok())."""
        stop = threading.Event()
        errors = []

        def user_loop(user):
            try:
                while not stop.is_set():
                    self.step(user)
                    time.sleep(THINK_SECONDS)
            except Failure as e:
                errors.append(str(e))
                stop.set()
            except Exception as e:  # a bug of this driver: stop everything, report it
                errors.append(f"{user.label}: {e!r}")
                stop.set()

        threads = [threading.Thread(target=user_loop, args=(u,), name=u.label, daemon=True) for u in self.users]
        self.section["fault"] = True
        self.tolerate_5xx = True
        for t in threads:
            t.start()
        try:
            fault()
            deadline = time.monotonic() + settle_max
            while not stop.is_set() and not until():
                if time.monotonic() > deadline:
                    self.fail(None, f"{self.phase}: not settled {settle_max:.0f}s after the fault")
                    break
                time.sleep(0.05)
        finally:
            stop.set()
            for t in threads:
                t.join(timeout=30)  # a request ends within nginx's timeouts (at most ~6 s)
            self.tolerate_5xx = False
        if errors:
            raise Failure(errors[0])

    # -- nginx's access log (format e2e, scripts/e2e/common.sh) ------------------------------

    def log_offset(self):
        try:
            return os.path.getsize(self.access_log)
        except OSError:
            return 0

    def upstream_tries(self, start, end=None):
        """The requests nginx logged between two offsets of its access log, each as
        (method, uri, status to the client, [(node, its status), ...]): every node tried, in
        order, across proxy_next_upstream and the error_page redirect to @refused."""
        ports = {str(n.port): n.name for n in self.nodes}
        try:
            with open(self.access_log, "rb") as f:
                f.seek(start)
                data = f.read(-1 if end is None else max(0, end - start))
        except OSError:
            return []
        out = []
        for line in data.decode(errors="replace").splitlines():
            m = re.match(r'^\S+ (\S+) (\S+) (\d+) "([^"]*)" "([^"]*)"$', line)
            if not m:
                continue
            addrs, statuses = re.split(r", | : ", m.group(4)), re.split(r", | : ", m.group(5))
            out.append((m.group(1), m.group(2), int(m.group(3)), [(ports.get(a.rpartition(":")[2], a), st) for a, st in zip(addrs, statuses)]))
        return out

    def tries_summary(self, tries):
        """One line: how many requests nginx sent to more than one node, the 5xx the nodes
        answered it (or it noted for them: 502 for a refused connection), and the 5xx that
        reached the users."""
        retried = sum(1 for _, _, _, nt in tries if len(nt) > 1)
        failed = collections.Counter((n, st) for _, _, _, nt in tries for n, st in nt if st[:1] == "5")
        client = collections.Counter(status for _, _, status, _ in tries if status >= 500)
        listed = ", ".join(f"{n} {st} x{c}" for (n, st), c in sorted(failed.items())) or "none"
        return (
            f"nginx log: {len(tries)} requests, {retried} sent to more than one node; 5xx from (or for) a node: {listed}; "
            f"5xx to users: {dict(client) or 0}"
        )

    # -- node operations --------------------------------------------------------------------

    def source(self):
        """What a restarted node gets its keyring from: the shared file, or the text."""
        return LIVE_FILE if self.on_file else self.ring

    def log_count(self, node, text):
        """How often `text` is in the node's log (standard output and error, every start)."""
        try:
            with open(os.path.join(self.args.dir, f"{node.name}.log"), "rb") as f:
                return f.read().decode("utf-8", "replace").count(text)
        except OSError:
            return 0

    def rewrite_keyring(self, label, argv, stdin=None, expect="keyring reloaded"):
        """Rewrites the shared keyring file with the CLI (`--out FILE --overwrite`: a new file
        renamed over it) and keeps the users sending until every node's log shows `expect`
        once more; notes how long each node took. Returns the file's new text."""
        before = {n.name: self.log_count(n, expect) for n in self.nodes}
        pids = {n.name: n.proc.pid for n in self.nodes}
        took = {}
        written = time.monotonic()
        self.cli(*argv, "--out", live_file(self.args), "--overwrite", stdin=stdin)

        def all_seen():
            for n in self.nodes:
                if n.name not in took and self.log_count(n, expect) > before[n.name]:
                    took[n.name] = time.monotonic() - written
            return len(took) == len(self.nodes)

        self.run_phase(label, at_least=30, until=all_seen, at_most=3000, pause=0.005)
        if not all_seen():
            self.fail(None, f"{label}: not every node logged {expect!r}: {took}")
        restarted = [n.name for n in self.nodes if n.proc.pid != pids[n.name] or not n.alive]
        if restarted:
            self.fail(None, f"{label}: nodes restarted or died: {restarted}")
        self.note(f"{label}: '{expect}' on " + ", ".join(f"{n} after {t:.2f}s" for n, t in sorted(took.items())) + ", no restart")
        with open(live_file(self.args)) as f:
            return f.read().strip()

    # -- the phases (PHASES, in this order unless --phases says otherwise) -------------------

    def start_cluster(self):
        a = self.args
        with open(a.keyring) as f:
            self.ring = f.read().strip()
        keys = self.keyring_list(self.ring)
        self.old_key = keys[0][0]
        self.log(f"keyring: {keys}")
        # The shared keyring file every node watches (as a mounted Secret would be).
        fd = os.open(live_file(a), os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as f:
            f.write(self.ring + "\n")
        # Release a (the old session type) when deploy is to change it; restarts keep it.
        release = "a" if "deploy" in a.phases else "c"
        for node in self.nodes:
            node.start(self.source(), extra_env={"DEMO_RELEASE": release})
        if a.self_check_wrong_keyring:
            # Proves the checks bite: a node with a keyring of its own loses every session it
            # is sent, and this run must FAIL.
            self.nodes[2].stop(signal.SIGTERM)
            self.nodes[2].start(self.cli("keygen"))
        self.log(f"nodes {[n.port for n in self.nodes]} (release {release}) behind nginx on 127.0.0.1:{a.nginx_port}, {len(self.users)} users")
        # Each user starts with a session (a write).
        for user in self.users:
            self.phase = "warm-up"
            status, body, lines = self.send(user, "POST", "/api/incr")
            if self.ok(user, status, body, 200, lines):
                user.visits += 1
                self.expect_state(user, body, lines, wrote=True)

    def phase_steady(self):
        hits = self.run_phase("steady", at_least=600)
        if len(hits) != 3:
            self.fail(None, f"round-robin did not reach every node: {hits}")

    def phase_deploy(self):
        """A rolling deploy that changes the session type, old and new code serving one cluster
        (README, "Changing the session type across a rolling deploy"), while every user keeps
        sending: the nodes, at release a (schema 0), restarted --restart-gap (2 s) apart into
        release b with one DEMO_SCHEMA_SWITCH_AT --schema-switch-lead seconds after the last
        restart (until then a and b serve together, both sealing schema 0: a must open what b
        wrote and the other way round); past the switch every session re-sealed to schema 1
        (on its next request, contents and id intact) and its last_writer set by its next
        change; then restarted 2 s apart into release c. No session may be lost, no user
        signed out, and no node may answer 503 (a session it cannot read), not even one that
        nginx resent and no user saw: its access log tells."""
        a = self.args
        gap = a.restart_gap
        if any(n.release != "a" for n in self.nodes):
            raise Failure(f"deploy starts from release a; the nodes run {[n.release for n in self.nodes]}")
        # One switch time for every b node, a few seconds after the roll-out will have ended
        # (it starts in 1 s, then one restart every gap seconds, each well under 0.5 s).
        switch = math.ceil(time.time() + 1.0 + gap * (len(self.nodes) - 1) + 0.5 + a.schema_switch_lead)
        self.schema_switch_at = switch
        b_env = {"DEMO_RELEASE": "b", "DEMO_SCHEMA_SWITCH_AT": str(switch)}
        log_start = self.log_offset()
        stats_before = collections.Counter(self.schema_stats)
        too_large_before = collections.Counter(self.too_large_ops)
        releases_before = collections.Counter(self.releases_seen)
        started = time.monotonic()
        timeline = []  # "when: sessions at schema 0/1" (/none: users without a session)
        back = {}  # node -> its hits when it was back as release c
        took = {}

        def census(label):
            with self.lock:
                c = collections.Counter(u.schema for u in self.users)
            timeline.append(f"{label} {c[0]}/{c[1]}" + (f"/{c[None]}" if c[None] else ""))

        def roll(release, env):
            time.sleep(1.0)
            first = time.monotonic()
            for i, node in enumerate(self.nodes):
                time.sleep(max(0.0, first + gap * i - time.monotonic()))
                self.phase = f"deploy: {node.name} restarting into {release}"
                t = time.monotonic()
                node.stop(signal.SIGTERM)
                node.start(self.source(), extra_env=env)
                if release == "c":
                    back[node.name] = self.hits[node.name]
                took.setdefault(release, []).append(f"{node.name} at +{t - first:.1f}s, down {time.monotonic() - t:.2f}s")
                census(f"+{time.monotonic() - started:.1f}s {node.name}->{release}:")
                self.phase = f"deploy: releases {''.join(n.release for n in self.nodes)}"

        def deploy():
            census("+0.0s aaa:")
            roll("b", b_env)
            margin = switch - time.time()
            self.log(f"  roll-out to b done {margin:.1f}s before the switch ({switch})")
            if margin < 1:
                raise Failure("deploy: the roll-out to b did not end before DEMO_SCHEMA_SWITCH_AT: raise --schema-switch-lead")
            self.phase = "deploy: b, before the switch"
            while time.time() < switch:
                time.sleep(0.02)
            census(f"+{time.monotonic() - started:.1f}s switch:")
            self.phase = "deploy: b, past the switch"
            deadline = time.monotonic() + a.reseal_within
            next_census = time.monotonic() + 0.5
            while not all(u.schema == 1 and u.last_writer is not None for u in self.users):
                if time.monotonic() > deadline:
                    with self.lock:
                        left = {u.label: (u.schema, u.last_writer, u.cart) for u in self.users}
                    self.fail(None, f"deploy: {a.reseal_within:.0f}s past the switch, not every session is at schema 1 with a last_writer: {left}")
                    break
                if time.monotonic() >= next_census:
                    census(f"+{time.monotonic() - started:.1f}s:")
                    next_census += 0.5
                time.sleep(0.01)
            took["resealed"] = time.time() - switch
            census(f"+{time.monotonic() - started:.1f}s all re-sealed:")
            roll("c", {"DEMO_RELEASE": "c"})

        self.traffic(deploy, until=lambda: all(self.hits[n] - h >= 5 for n, h in back.items()))
        census(f"+{time.monotonic() - started:.1f}s end:")
        seen = collections.Counter(self.schema_stats) - stats_before
        releases = collections.Counter(self.releases_seen) - releases_before
        tries = self.upstream_tries(log_start)
        self.note("restarts into b: " + "; ".join(took.get("b", [])) + f"; switch at {switch}")
        self.note("restarts into c: " + "; ".join(took.get("c", [])))
        self.note("sessions at schema 0/1 over time: " + ", ".join(timeline))
        self.note(
            f"mixed a/b: a opened {seen['a opened what b sealed']} sessions b had sealed, b opened {seen['b opened what a sealed']} that a had; "
            f"responses by release {dict(sorted(releases.items()))}"
        )
        self.note(
            f"past the switch every session at schema 1 with a last_writer {took.get('resealed', float('nan')):.2f}s after it; "
            "each one's first schema-1 response (id and contents as written): "
            + ", ".join(f"{u.label} {self.resealed_to_1.get(u.label, 'none (a new session at 1)')}" for u in self.users)
        )
        refused = collections.Counter(self.too_large_ops) - too_large_before
        kept = seen["kept at schema 0: over the budget at schema 1"]
        if kept or refused.get("incr") or refused.get("sign-in"):
            self.note(
                f"at a full cart: {kept} reads left at schema 0 (schema 1 over the budget), changes refused 413 "
                f"(last_writer stored: a larger value) {dict(refused)}"
            )
        self.note(self.tries_summary(tries))
        if not seen["a opened what b sealed"]:
            self.fail(None, "deploy: no a node was sent a session that a b node had sealed (the mixed window tested nothing)")
        # Every release reads every session written during the deploy (a and b schema 0 until
        # the switch, after which only b and c run): a node's 503, even one nginx resent and
        # no user saw, is a session a node could not read.
        refusals = [(m, uri, nt) for m, uri, _, nt in tries if any(st == "503" for _, st in nt)]
        if refusals:
            self.fail(None, f"deploy: nodes answered 503 to {len(refusals)} requests (a session they could not read), e.g. {refusals[:3]}")
        for label, count in seen.items():
            if " while started as " in label:
                self.note(f"{label}: {count}")

    def phase_concurrent(self):
        """A user's requests at once with the same cookies (two tabs, a double click, a page's
        parallel fetches): each response seals its own outcome, and the browser applies their
        Set-Cookie lines in whatever order the responses arrive. The next request must open one
        of those outcomes: not a sign-out, not a mix. Carts cross chunk boundaries both ways
        (a 1500-byte chunk holds about 50 items), so a shrinking response deletes chunks that a
        growing one wrote, and the other way round."""
        stats = collections.Counter()
        for _ in range(self.args.concurrent_rounds):
            for user in self.users:
                self.concurrent_round(user, stats)
        self.note(
            f"{stats['rounds']} rounds of 2-4 requests at once ({stats['requests']} requests); "
            f"{stats['mixed_chunks']} rounds whose responses wrote different chunk counts; follow-up opened one of the "
            f"outcomes {stats['opened']}/{stats['rounds']} (the last-applied response's {stats['last_writer']}), "
            f"signed out {stats['signed_out']}, other contents {stats['other']}; {stats['leftovers']} jars with leftover chunks"
        )
        if stats["reasons"]:
            self.note(f"why the follow-ups did not open: {dict(stats['reasons'])}")

    def concurrent_round(self, user, stats):
        self.phase = "concurrent: set-up"
        # Start from a cart of 1 to 3 chunks, then race a growing add, a clear and 0-2 others.
        target = self.rng.randint(30, 110)
        if user.cart > target:
            self.post(user, "/api/cart/clear", lambda u: setattr(u, "cart", 0))
        if user.cart < target:
            n = target - user.cart
            self.post(user, f"/api/cart/add?n={n}", lambda u: setattr(u, "cart", u.cart + n))
        if user.session_id is None:
            return  # the set-up failed (reported): no session to race on
        v, c, name, sid = user.visits, user.cart, user.name, user.session_id
        if c > 150:
            return  # the set-up failed (reported)
        grow = self.rng.randint(50, 200 - c)  # at most 200 items: within the budget
        small = self.rng.randint(1, 20)
        ops = [("add", f"/api/cart/add?n={grow}", (v, c + grow, name)), ("clear", "/api/cart/clear", (v, 0, name))]
        others = [
            ("incr", "/api/incr", (v + 1, c, name)),
            ("read", "/api/session", (v, c, name)),
            ("add", f"/api/cart/add?n={small}", (v, c + small, name)),
            ("clear", "/api/cart/clear", (v, 0, name)),
        ]
        ops += self.rng.sample(others, self.rng.randint(0, 2))
        self.rng.shuffle(ops)
        self.phase = "concurrent"
        cookie = user.jar.header(user.rng)
        held_before = user.jar.session_names(self.cookie_name)
        barrier = threading.Barrier(len(ops))
        results = [(None, None, [])] * len(ops)  # (status, body, lines) of each request
        errors = []

        def one(i, path):
            conn = http.client.HTTPConnection("127.0.0.1", user.port, timeout=15)
            try:
                barrier.wait(timeout=10)
                method = "GET" if path == "/api/session" else "POST"
                results[i] = self.send(user, method, path, conn=conn, cookie=cookie, apply=False)
            except Failure as e:
                errors.append(str(e))
            except threading.BrokenBarrierError:
                errors.append("barrier broken")
            finally:
                conn.close()

        threads = [threading.Thread(target=one, args=(i, op[1]), daemon=True) for i, op in enumerate(ops)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=30)
        if errors:
            raise Failure(errors[0])
        stats["rounds"] += 1
        stats["requests"] += len(ops)
        # Each response: the outcome of its own request over the cookies sent.
        writers = []  # (outcome, chunks, lines) of the responses that set the session's cookies
        for (kind, path, want), (status, body, lines) in zip(ops, results):
            if not self.ok(user, status, body, 200, lines):
                continue
            with self.lock:
                self.hits[body.get("node")] += 1
            got = (body.get("visits"), body.get("cart_len"), body.get("name"))
            if body.get("open_error") is not None or body.get("session_id") != sid:
                self.signed_out(user, f"concurrent {kind} {path}: opened {body.get('session_id')} not {sid} ({body.get('open_error')})")
            elif got != want:
                self.lost_write(user, f"concurrent {kind} {path}: {got} != {want}")
            if body.get("set_cookie_bytes") != [len(x) for x in lines]:
                self.fail(user, f"set_cookie_bytes {body.get('set_cookie_bytes')} != lines sent {[len(x) for x in lines]}")
            if any("max-age=0" not in x.lower() for x in lines):
                writers.append((got, body.get("chunks"), lines))
        if len({w[1] for w in writers}) > 1:
            stats["mixed_chunks"] += 1
        # The browser applies whole responses in the order they arrive: any order.
        order = list(range(len(results)))
        self.rng.shuffle(order)
        applied = []
        for i in order:
            status, body, lines = results[i]
            if status == 200 and body is not None:
                self.apply_cookies(user, lines)
                applied.append(f"{ops[i][0]}:{body.get('chunks')}")
        last = next((w for i in reversed(order) for w in writers if w[2] is results[i][2]), None)
        outcomes = [w[0] for w in writers] or [(v, c, name)]
        jar = user.jar.session_names(self.cookie_name)
        if last is not None and len(jar) > (last[1] or 0):
            stats["leftovers"] += 1  # chunks of another response beside the last one's
        user.leftovers_allowed = True
        # The next request must open one of them.
        self.phase = "concurrent: next request"
        status, body, lines = self.send(user, "GET", "/api/session")
        if not self.ok(user, status, body, 200, lines):
            return
        got = (body.get("visits"), body.get("cart_len"), body.get("name"))
        context = f"cookies sent {held_before}, responses applied (op:chunks) {applied}, jar then {jar}"
        if body.get("open_error") is not None or body.get("session_id") != sid:
            stats["signed_out"] += 1
            stats["reasons"] = stats["reasons"] or collections.Counter()
            stats["reasons"][str(body.get("open_error"))[:70]] += 1
            self.signed_out(user, f"after concurrent requests: {body.get('open_error')} ({context})")
            # The model follows the server (a new visitor now), so the fault counts once.
            with self.lock:
                self.hits[body.get("node")] += 1
            user.visits, user.cart, user.name = got
            user.session_id, user.key_id = body.get("session_id"), body.get("key_id")
            return
        if got not in outcomes:
            stats["other"] += 1
            self.lost_write(user, f"after concurrent requests: {got} is none of {outcomes} ({context})")
        else:
            stats["opened"] += 1
            stats["last_writer"] += last is None or got == last[0]
        user.visits, user.cart, user.name = got
        self.expect_state(user, body, lines)

    def post(self, user, path, update):
        """One POST that must succeed; update(user) is its effect on the model."""
        status, body, lines = self.send(user, "POST", path)
        if self.ok(user, status, body, 200, lines):
            update(user)
            self.expect_state(user, body, lines, wrote=True)

    def phase_kill(self):
        victim = self.nodes[1]
        victim.stop(signal.SIGKILL)
        self.log(f"SIGKILL {victim.name} (pid {victim.proc.pid})")
        hits = self.run_phase(f"{victim.name} killed", at_least=400)
        if hits.get(victim.name):
            self.fail(None, f"{victim.name} answered after SIGKILL")
        victim.start(self.source())
        self.log(f"restarted {victim.name}")
        self.run_phase(
            f"{victim.name} restarted", at_least=300, until=lambda: self.phase_hits[victim.name] >= 20, at_most=3000, pause=0.003
        )

    def phase_rolling_restart(self):
        """A deploy: the 3 nodes restarted one after the other, --restart-gap (2 s) apart
        (SIGTERM, wait for the exit, start, wait until it listens), while every user keeps
        sending. With fail_timeout under the gap nginx always has a node it may send to;
        no session may be lost."""
        gap = self.args.restart_gap
        back = {}  # node -> its hits when it was back

        def restarts():
            time.sleep(1.0)
            first = time.monotonic()
            for i, node in enumerate(self.nodes):
                time.sleep(max(0.0, first + gap * i - time.monotonic()))
                self.phase = f"rolling restart: {node.name} restarting"
                t = time.monotonic()
                node.stop(signal.SIGTERM)
                node.start(self.source())
                back[node.name] = self.hits[node.name]
                self.note(f"{node.name} restarted at +{t - first:.1f}s, down {time.monotonic() - t:.2f}s")
            self.phase = "rolling restart: all back"

        self.traffic(restarts, until=lambda: all(self.hits[n] - h >= 5 for n, h in back.items()))
        self.note("served after its restart: " + ", ".join(f"{n} {self.hits[n] - h}" for n, h in back.items()))

    def phase_hang(self):
        """A hung node: SIGSTOP for --hang-seconds (10 s), then SIGCONT, while every user keeps
        sending. The kernel still accepts connections for the stopped node, so nginx's
        requests to it wait proxy_read_timeout (2 s): a GET is then resent to another node, a
        POST comes back 504 (nginx does not resend a request a node may have acted on), with
        the user's cookies unchanged. max_fails leaves the node out for fail_timeout after
        each timeout. It must serve again after SIGCONT."""
        node = self.nodes[2]
        resumed = {}

        def hang():
            time.sleep(1.0)
            self.phase = f"hang: {node.name} stopped"
            node.pause()
            self.log(f"  SIGSTOP {node.name} for {self.args.hang_seconds:.0f}s")
            time.sleep(self.args.hang_seconds)
            node.resume()
            resumed["hits"] = self.hits[node.name]
            self.phase = f"hang: {node.name} continued"
            self.log(f"  SIGCONT {node.name}")

        before = self.slow
        self.traffic(hang, until=lambda: self.hits[node.name] - resumed["hits"] >= 5)
        self.note(f"{self.slow - before} requests over 1 s; {node.name} served {self.hits[node.name] - resumed['hits']} after SIGCONT")

    def opens_by_key(self):
        """Every node's `sealed_session_opened_by_key_total`, summed by key id: the signal an
        operator watches for rotation progress (README "Observability"). Empty if a node
        serves no /metrics (built without the `metrics` feature)."""
        totals = {}
        for node in self.nodes:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{node.port}/metrics", timeout=2) as r:
                    text = r.read().decode()
            except (OSError, ValueError):
                return {}
            for m in re.finditer(r'^sealed_session_opened_by_key_total\{key_id="([0-9a-f]+)"\} (\d+)', text, re.M):
                totals[m.group(1)] = totals.get(m.group(1), 0) + int(m.group(2))
        return totals

    def rotation_progress(self, label, before):
        """Notes the sessions opened per key id since `before` (the nodes' own counters), and
        returns the new totals."""
        now = self.opens_by_key()
        if not now:
            self.note(f"{label}: no /metrics on the nodes")
            return now
        window = {k: max(0, v - before.get(k, 0)) for k, v in now.items()}
        total = sum(window.values()) or 1
        shares = ", ".join(f"{k}: {n} ({100 * n / total:.0f}%)" for k, n in sorted(window.items()) if n)
        self.note(f"{label}, sessions opened by sealing key (/metrics): {shares or 'none'}")
        return now

    def phase_rotation(self):
        """A whole key rotation without a restart: every node watches the shared keyring file,
        which the CLI rewrites (add, then retire), and reloads it on its own."""
        a = self.args
        if not self.on_file:
            raise Failure("rotation: the nodes do not run on the keyring file (run it before straggler)")
        ring1 = self.ring
        self.old_key = self.primary_key(ring1)  # the one sessions are under (another phase may have rotated)
        live = live_file(a)
        # 1. A new key that starts sealing a few seconds from now, written to the file.
        ring2 = self.rewrite_keyring(
            "add key: file rewritten",
            ("keyring", "add", "--keyring-file", live, "--not-before", f"+{a.rotate_in}s"),
        )
        keys = self.keyring_list(ring2)
        pending = [k for k in keys if k[1] == "pending"]
        if len(pending) != 1:
            raise Failure(f"keyring add: expected one pending key, got {keys}")
        self.new_key, _, self.switch_at = pending[0]
        self.ring = ring2
        margin = self.switch_at - time.time()
        self.log(f"new key {self.new_key} seals from {self.switch_at}; every node reloaded {margin:.1f}s before the switch")
        if margin < 1:
            raise Failure("the reload did not reach every node before not_before: raise --rotate-in")

        # 2. The scheduled switch: every node seals with the new key from not_before on.
        opened = self.opens_by_key()
        self.run_phase("before switch", at_least=1, until=lambda: time.time() >= self.switch_at - 1.5, at_most=4000, pause=0.01)
        opened = self.rotation_progress("before the switch", opened)
        holder = next((u for u in self.users if u.session_id is not None), self.users[0])
        stale_jar = dict(holder.jar.cookies)  # a copy under the old key, for the end
        stale_sid = holder.session_id
        self.run_phase("switch", at_least=1, until=lambda: time.time() >= self.switch_at + 1.5, at_most=2000, pause=0.01)
        self.run_phase(
            "re-seal",
            at_least=300,
            until=lambda: all(u.key_id in (self.new_key, None) for u in self.users),
            at_most=4000,
        )
        opened = self.rotation_progress("switch and re-seal", opened)
        resealed_users = sum(u.key_id == self.new_key for u in self.users)
        self.log(f"{resealed_users}/{len(self.users)} sessions re-sealed under {self.new_key}; re-seals: {dict(self.reseals)}")

        # 3. Retiring the old key now, within the clock skew of the switch (a node whose clock
        # runs behind may still seal with it): every node refuses the file and keeps its keyring.
        self.rewrite_keyring(
            "retire too early: refused",
            ("keyring", "retire", self.old_key, "--at", "now", "--keyring-file", "-"),
            stdin=ring2 + "\n",
            expect="keyring file refused",
        )
        # 4. The old key's retirement scheduled past the switch plus the skew: accepted.
        retire_at = self.switch_at + DEMO_SKEW + 1
        ring3 = self.rewrite_keyring(
            "retire scheduled: file rewritten",
            ("keyring", "retire", self.old_key, "--at", str(retire_at), "--keyring-file", "-"),
            stdin=ring2 + "\n",
        )
        self.ring = ring3
        self.log(f"retire {self.old_key} at {retire_at} ({retire_at - time.time():.1f}s from now): {self.keyring_list(ring3)}")
        self.run_phase("until retirement", at_least=1, until=lambda: time.time() >= retire_at + 1, at_most=40000, pause=0.02)
        hits = self.run_phase("after retirement", at_least=500)
        self.rotation_progress("until and after the retirement", opened)
        if len(hits) != 3:
            self.fail(None, f"not every node served after the reloads: {hits}")

        # The stale copy (sealed under the retired key) no longer opens: served as no session,
        # its cookies deleted.
        ghost = User("stale-copy", a.nginx_port, self.cookie_name, 7)
        ghost.jar.cookies = dict(stale_jar)
        self.phase = "stale copy"
        status, body, lines = self.send(ghost, "GET", "/api/session")
        if not self.ok(ghost, status, body, 200, lines):
            pass
        elif body.get("open_error") is None or body.get("session_id") is not None or ghost.jar.session_names(self.cookie_name):
            self.fail(ghost, f"a copy sealed under the retired key was accepted or not deleted: {body}")
        else:
            self.note(f"stale copy of {holder.label}'s old cookies (session {stale_sid}): refused ({body['open_error']}), {len(lines)} deletions")
        ghost.conn.close()

    def phase_straggler(self):
        """A key rotation with a straggler: a new key rolled out with a not_before
        --straggler-in (8) seconds ahead, node1 and node2 restarted (2 s apart) with the new
        keyring, node3 with the old one, as a node redeployed from a stale config would be.
        Past not_before every user keeps sending for --straggler-seconds (6): the others
        re-seal every session under the new key, which the straggler cannot open; it must leave
        them alone (503 + Retry-After, which nginx resends to another node: a GET at once, a
        POST through @refused), never serve such a user as a new visitor (the issue, before the
        fix: in a 6-second window one such node replaced 1,293 sessions of 40 users). Then it
        is restarted with the right keyring."""
        a = self.args
        gap = a.restart_gap
        ring_old = self.ring
        before_key = self.primary_key(ring_old)
        ring_new = self.cli("keyring", "add", "--keyring-file", "-", "--not-before", f"+{a.straggler_in}s", stdin=ring_old + "\n")
        pending = [k for k in self.keyring_list(ring_new) if k[1] == "pending"]
        if len(pending) != 1:
            raise Failure(f"keyring add: expected one pending key, got {self.keyring_list(ring_new)}")
        with open(os.path.join(a.dir, "keyring-straggler.txt"), "w") as f:
            f.write(ring_new + "\n")
        straggler = self.nodes[-1]
        with self.lock:
            self.old_key = before_key
            self.new_key, _, self.switch_at = pending[0]
            self.stale_nodes = {straggler.name}  # on the old keyring: may seal the old key
        self.log(f"new key {self.new_key} seals from {self.switch_at} ({self.switch_at - time.time():.1f}s from now); {straggler.name} keeps the old keyring")
        took = []
        window = {}
        back = {}
        log_start = self.log_offset()

        def snapshot():
            with self.lock:
                return dict(
                    at=time.monotonic(),
                    log=self.log_offset(),
                    hits=self.hits[straggler.name],
                    sign_outs=self.sign_outs,
                    lost=self.lost,
                    client_503=self.statuses[503],
                    requests=self.requests,
                    sessions=sum(u.session_id is not None for u in self.users),
                )

        def rollout():
            time.sleep(1.0)
            first = time.monotonic()
            for i, node in enumerate(self.nodes):
                time.sleep(max(0.0, first + gap * i - time.monotonic()))
                stale = node is straggler
                self.phase = f"straggler: {node.name} restarting with the {'old' if stale else 'new'} keyring"
                t = time.monotonic()
                node.stop(signal.SIGTERM)
                node.start(ring_old if stale else ring_new)
                took.append(f"{node.name} ({'old' if stale else 'new'} keyring) at +{t - first:.1f}s")
            margin = self.switch_at - time.time()
            self.log(f"  roll-out done {margin:.1f}s before not_before")
            if margin < 1:
                raise Failure("straggler: the roll-out did not end before not_before: raise --straggler-in")
            self.phase = "straggler: before not_before"
            while time.time() < self.switch_at:
                time.sleep(0.02)
            self.phase = f"straggler: past not_before, {straggler.name} on the old keyring"
            window["start"] = snapshot()
            time.sleep(a.straggler_seconds)
            window["end"] = snapshot()
            self.phase = f"straggler: {straggler.name} restarting with the new keyring"
            straggler.stop(signal.SIGTERM)
            straggler.start(ring_new)
            with self.lock:
                self.stale_nodes = set()
                back["hits"] = self.hits[straggler.name]
            self.phase = "straggler: every node on the new keyring"

        self.traffic(
            rollout,
            until=lambda: self.hits[straggler.name] - back["hits"] >= 5 and all(u.key_id in (self.new_key, None) for u in self.users),
        )
        self.ring = ring_new
        self.on_file = False  # restarted with SEALED_SESSION_KEYRING texts
        s, e = window["start"], window["end"]
        tries = self.upstream_tries(s["log"], e["log"])
        mine = collections.Counter(st for _, _, _, node_tries in tries for node, st in node_tries if node == straggler.name)
        resent = sum(
            1 for _, _, status, node_tries in tries if any(n == straggler.name and st == "503" for n, st in node_tries) and status != 503
        )
        replaced = (e["sign_outs"] - s["sign_outs"]) + (e["lost"] - s["lost"])
        self.note("restarts: " + "; ".join(took))
        self.note(
            f"{e['at'] - s['at']:.1f}s past not_before with {straggler.name} on the old keyring ({e['requests'] - s['requests']} requests, "
            f"{s['sessions']} users with a session): nginx sent it {sum(mine.values())} requests, it answered "
            f"{dict(sorted(mine.items()))}; {resent} of its 503s resent by nginx and served by another node, "
            f"{e['client_503'] - s['client_503']} 503s reached users; it served {e['hits'] - s['hits']} responses users got"
        )
        self.note(
            f"sessions replaced: {replaced} (sign-outs {e['sign_outs'] - s['sign_outs']}, lost {e['lost'] - s['lost']}); "
            "the issue, before the fix: 1,293 sessions of 40 users in 6 s"
        )
        self.note(f"{self.schema_stats['straggler: served under the old key']} responses of the straggler under the old key so far (new visitors, sessions not yet re-sealed)")
        self.note(self.tries_summary(self.upstream_tries(log_start)))
        if not mine.get("503"):
            self.fail(None, f"straggler: {straggler.name} refused nothing past not_before (it was sent {dict(mine)}): the window tested nothing")

    def phase_final(self):
        """Each user's session is exactly what it wrote (and under the new key after a rotation)."""
        self.phase = "final"
        for user in self.users:
            status, body, lines = self.send(user, "GET", "/api/session")
            if self.ok(user, status, body, 200, lines):
                self.expect_state(user, body, lines, wrote=False)
                if self.new_key is not None and user.session_id is not None and body.get("key_id") != self.new_key:
                    self.fail(user, f"final session not under the new key: {body.get('key_id')}")
                self.log(
                    f"final {user.label}: visits {body['visits']}, cart {body['cart_len']}, name {body['name']}, "
                    f"chunks {body['chunks']}, key {body['key_id']} (model: {user.visits}, {user.cart}, {user.name})"
                )

    def run(self):
        self.start_cluster()
        for name in self.args.phases:
            self.run_section(name, getattr(self, "phase_" + name.replace("-", "_")))
        self.run_section("final", self.phase_final)

    def report(self, error):
        elapsed = time.monotonic() - self.started
        ok = error is None and not self.failures
        print()
        print("cluster test summary")
        print("  phase              requests    5xx  longest  lost  sign-outs  failures  seconds")
        for sec in self.sections:
            d = sec["delta"]
            print(
                f"  {sec['name']:<17} {d['requests']:>9} {d['five_xx']:>6} {sec['longest'][0]:>7.2f}s {d['lost']:>5} "
                f"{d['sign_outs']:>10} {d['failures']:>9} {sec['seconds']:>8.1f}"
            )
            for line in sec["notes"]:
                print(f"      {line}")
        print(f"  requests:            {self.requests} in {elapsed:.1f}s, {len(self.users)} users, statuses {dict(sorted(self.statuses.items()))}")
        print(f"  operations:          {dict(self.ops)}")
        print(f"  per-node hits:       {dict(sorted(self.hits.items()))}")
        print(f"  lost sessions:       {self.lost} (opened with other contents than written)")
        print(f"  unexpected sign-outs: {self.sign_outs} (did not open, or opened as another session); users hit: {sorted(self.lost_users) or 'none'}")
        print(
            f"  5xx:                 {sum(self.five_xx.values())} {dict(self.five_xx)}; of which during a fault phase, cookies unchanged "
            f"(502/504: a node dead or hung after it had the request; 503: refused by a node that cannot read the session, "
            f"and again by the one nginx resent it to): {sum(self.tolerated_5xx.values())}"
        )
        print(f"  longest request:     {self.longest[0]:.2f}s ({self.longest[1]}); {self.slow} requests over 1 s")
        print(f"  failures:            {len(self.failures)}" + (f" + aborted: {error}" if error else ""))
        print(f"  re-seals seen:       {sum(self.reseals.values())} {dict(self.reseals)}")
        print(f"  key ids seen:        {dict(self.key_ids_seen)} (old {self.old_key}, new {self.new_key})")
        print(f"  releases, schemas:   responses by release {dict(sorted(self.releases_seen.items()))}; by schema {dict(self.schemas_seen)}")
        print(f"  largest Cookie:      {self.max_cookie_header} bytes (header line; session cookies {self.max_session_cookie_bytes} bytes, budget {self.args.max_total_bytes})")
        print(f"  largest Set-Cookie:  {self.max_set_cookie_line} bytes (limit {self.args.max_cookie_bytes}); most chunks {self.max_chunks}; chunk deletions applied {self.chunk_deletions}")
        print(f"  refused as too large: {self.too_large} (413, session unchanged) {dict(self.too_large_ops)}")
        print(f"  leftover chunks:     {self.leftovers_carried} reads carried chunks past the head's count (ignored; the next write deletes them)")
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
    p.add_argument("--phases", nargs="+", choices=PHASES, default=list(PHASES), metavar="PHASE", help=f"in order; from {', '.join(PHASES)}")
    p.add_argument("--concurrent-rounds", type=int, default=4, help="rounds per user in the concurrent phase")
    p.add_argument("--restart-gap", type=float, default=2.0, help="seconds between node restarts in rolling-restart")
    p.add_argument("--hang-seconds", type=float, default=10.0, help="how long the hang phase keeps a node stopped")
    p.add_argument("--schema-switch-lead", type=float, default=3.0, help="deploy: seconds from the last restart into b to DEMO_SCHEMA_SWITCH_AT")
    p.add_argument("--reseal-within", type=float, default=10.0, help="deploy: seconds past the switch for every session to reach schema 1")
    p.add_argument("--straggler-in", type=int, default=8, help="straggler: the new key's not_before, seconds ahead (the roll-out takes ~5)")
    p.add_argument("--straggler-seconds", type=float, default=6.0, help="straggler: how long past not_before the straggler keeps the old keyring")
    p.add_argument("--max-stall", type=float, default=4.0, help="longest a request may take (nginx: read timeout 2 s, connect 1 s)")
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
