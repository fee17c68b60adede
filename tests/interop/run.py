#!/usr/bin/env python3
"""Cross-implementation check of FORMAT.md (version 2): the Python implementation
(sealed_session_ref.py) against the test vectors and, live, against the Rust crate
(examples/interop_peer.rs).

Usage: python3 tests/interop/run.py [--no-peer] [--seed N] [-v]

Prints each failure, a summary per group, then a last line `N passed, M failed`; exits non-zero
on any failure.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import random
import subprocess
import sys
import traceback
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent
sys.path.insert(0, str(HERE))

import sealed_session_ref as ss  # noqa: E402
from sealed_session_ref import (  # noqa: E402
    USAGE_COOKIE, USAGE_TOKEN, Codec, Config, Key, Keyring, Lifetime, Previous, ReplayRng,
    SealedSessionError, b64_decode, b64_encode,
)

T0 = 1_800_000_000
DEFAULT_EXPIRY = {"absolute": 86400, "idle": 7200, "skew": 60, "persistent": True}


class Checks:
    def __init__(self, verbose: bool):
        self.passed = 0
        self.failed = 0
        self.verbose = verbose
        self.section = ""
        self.per_section: dict[str, list[int]] = {}

    def check(self, ok: bool, what: str, detail=None) -> bool:
        counts = self.per_section.setdefault(self.section, [0, 0])
        if ok:
            self.passed += 1
            counts[0] += 1
            if self.verbose:
                print(f"  ok   [{self.section}] {what}")
        else:
            self.failed += 1
            counts[1] += 1
            print(f"  FAIL [{self.section}] {what}" + (f"\n       {detail}" if detail is not None else ""))
        return ok

    def eq(self, got, want, what: str) -> bool:
        return self.check(got == want, what, f"got  {got!r}\n       want {want!r}")

    def run(self, name: str, fn, *args) -> bool:
        """Runs one group; an unexpected exception counts as one failure. Returns False when
        the Rust peer is gone (the remaining live groups are then skipped)."""
        self.section = name
        self.per_section.setdefault(name, [0, 0])
        try:
            fn(self, *args)
        except PeerGone as e:
            self.check(False, "the Rust peer is gone", str(e))
            return False
        except Exception:  # noqa: BLE001
            self.check(False, "unexpected exception", traceback.format_exc())
        return True


# --- helpers -----------------------------------------------------------------------------------

def pairs_of(lines: list[str]) -> list[str]:
    """The `name=value` pairs a browser would send back (deletions dropped)."""
    out = []
    for line in lines:
        pair = line.split(";", 1)[0]
        if pair.endswith("=") and "Max-Age=0" in line:
            continue
        out.append(pair)
    return out


def cookie_header(lines: list[str]) -> str:
    return "; ".join(pairs_of(lines))


def value_of(pair: str) -> str:
    return pair.split("=", 1)[1]


def py_kind(fn, *args, **kw):
    """Runs fn; returns ("ok", result) or (kind, error)."""
    try:
        return "ok", fn(*args, **kw)
    except SealedSessionError as e:
        return e.kind, e


class RecordingRng:
    """OS randomness that remembers what it returned, to replay it to the other side."""

    def __init__(self):
        self.drawn = b""

    def __call__(self, n: int) -> bytes:
        b = os.urandom(n)
        self.drawn += b
        return b


def config_of(c: dict) -> Config:
    e = c.get("expiry") or DEFAULT_EXPIRY
    a = c.get("attributes") or {}
    return Config(
        cookie_name=c["cookie_name"], purpose=c["purpose"], mode=c["mode"],
        max_cookie_bytes=c["max_cookie_bytes"], max_total_bytes=c["max_total_bytes"],
        absolute=e["absolute"], idle=e["idle"], skew=e["skew"], persistent=e.get("persistent", True),
        schema=c.get("schema", 0),
        path=a.get("path", "/"), domain=a.get("domain"), secure=a.get("secure", True),
        http_only=a.get("http_only", True), same_site=a.get("same_site", "Lax"),
        expires=a.get("expires", True))


def codec_of(c: dict) -> Codec:
    return Codec(Keyring.parse(c["keyring"]), config_of(c))


def lifetime_dict(lt: Lifetime) -> dict:
    return {"absolute": lt.absolute, "idle": lt.idle, "persistent": lt.persistent}


def lifetime_of(d: dict) -> Lifetime:
    return Lifetime(d.get("absolute"), d.get("idle"), d["persistent"])


def opened_dict(o: ss.Opened) -> dict:
    return {"payload": o.data.hex(), "session_id": o.session_id.hex(), "issued_at": o.issued_at,
            "sealed_at": o.sealed_at, "expires_at": o.expires_at, "key_id": f"{o.key_id:08x}",
            "reseal": o.reseal, "lifetime": lifetime_dict(o.lifetime), "past_deadline": o.past_deadline,
            "schema": o.schema, "format_version": o.format_version}


def error_dict(e: SealedSessionError) -> dict:
    d = {"kind": e.kind, "dead": e.cookies_are_dead()}
    if e.index is not None:
        d["index"] = e.index
    return d


def outcome_py(fn, *args, **kw) -> dict:
    """A Python result in the peer's answer shape, for comparison."""
    try:
        r = fn(*args, **kw)
    except SealedSessionError as e:
        return error_dict(e)
    if r is None:
        return {"none": True}
    return opened_dict(r)


def outcome_rust(ans: dict) -> dict:
    if "error" in ans:
        d = {"kind": ans["kind"], "dead": ans.get("dead")}
        if "index" in ans:
            d["index"] = ans["index"]
        return d
    return dict(ans)


# The Rust peer's session type is Vec<u8>: its typed API seals postcard (a varint length, then
# the bytes). This is the application layer, not the format (FORMAT.md section 3: "the format
# does not care").

def postcard_vec(data: bytes) -> bytes:
    return ss.varint_encode(len(data)) + data


def postcard_vec_decode(data: bytes) -> bytes:
    try:
        n, pos = ss.varint_decode(data, 0)
    except SealedSessionError:
        raise SealedSessionError("serialization", "bad length") from None
    if len(data) - pos < n:
        raise SealedSessionError("serialization", "truncated")
    return data[pos:pos + n]


def typed(opener, readable: set[int]):
    """The typed API of section 3.1 step 8 over `opener`: schema versions outside `readable` are
    unknown_schema; the data is the postcard form of the bytes."""
    def run(*args):
        o = opener(*args)
        if o is None:
            return None
        Codec.read_schema(o, readable)
        o.data = postcard_vec_decode(o.data)
        return o
    return run


# --- offline: primitives and vectors -----------------------------------------------------------

def check_xaes(c: Checks):
    """The C2SP XAES-256-GCM vectors, including the 10,000-iteration accumulated test."""
    n = b"ABCDEFGHIJKLMNOPQRSTUVWX"
    kx, nx = ss.xaes_derive(bytes([1] * 32), n)
    c.eq(kx.hex(), "c8612c9ed53fe43e8e005b828a1631a0bbcb6ab2f46514ec4f439fcfd0fa969b", "XAES Kx, MSB(L)=0")
    c.eq(nx.hex(), "4d4e4f505152535455565758", "XAES Nx")
    c.eq(ss.xaes_seal(bytes([1] * 32), n, b"XAES-256-GCM", b"").hex(),
         "ce546ef63c9cc60765923609b33a9a1974e96e52daf2fcf7075e2271", "XAES vector 1")
    kx, _ = ss.xaes_derive(bytes([3] * 32), n)
    c.eq(kx.hex(), "e9c621d4cdd9b11b00a6427ad7e559aeedd66b3857646677748f8ca796cb3fd8", "XAES Kx, MSB(L)=1")
    c.eq(ss.xaes_seal(bytes([3] * 32), n, b"XAES-256-GCM", b"c2sp.org/XAES-256-GCM").hex(),
         "986ec1832593df5443a179437fd083bf3fdb41abd740a21f71eb769d", "XAES vector 2")
    # Accumulated: a SHAKE-128 stream supplies key, nonce, plaintext<0..255>, aad<0..255>.
    stream = hashlib.shake_128(b"").digest(10_000 * (32 + 24 + 1 + 255 + 1 + 255))
    pos = 0

    def take(k):
        nonlocal pos
        out = stream[pos:pos + k]
        pos += k
        return out

    acc = hashlib.shake_128()
    ok_roundtrip = True
    for _ in range(10_000):
        key, nonce = take(32), take(24)
        pt = take(take(1)[0])
        aad = take(take(1)[0])
        ct = ss.xaes_seal(key, nonce, pt, aad)
        acc.update(ct)
        ok_roundtrip &= ss.xaes_open(key, nonce, ct, aad) == pt
    c.eq(acc.hexdigest(32), "e6b9edf2df6cec60c8cbd864e2211b597fb69a529160cd040d56c0c210081939",
         "XAES accumulated 10,000")
    c.check(ok_roundtrip, "XAES accumulated round trips")


def check_primitives(c: Checks):
    """Canonical base64url and varints (section 1)."""
    for data in (b"", b"f", b"fo", b"foo", b"foob", b"fooba", b"foobar", os.urandom(100)):
        c.eq(b64_decode(b64_encode(data)), data, f"base64url round trip of {len(data)} bytes")
    for bad in ("Zg==", "Zg=", "Z", "Zh", "Zm9=", "Zm+v", "Zm/v", "Zm9 v", "Zm9\nv", "Zm9vY"):
        c.eq(py_kind(b64_decode, bad)[0], "malformed", f"base64url rejects {bad!r}")
    for v in (0, 1, 127, 128, 300, 16383, 16384, T0, ss.MAX_UNIX, 2 ** 63, 2 ** 64 - 1):
        enc = ss.varint_encode(v)
        c.eq(ss.varint_decode(enc, 0), (v, len(enc)), f"varint round trip {v}")
    c.eq(ss.varint_encode(T0).hex(), "80a4a7da06", "varint of T0")
    for bad in ("80", "8000", "ff00", "ffffffffffffffffff02", "ffffffffffffffffffff01", "8080808080808080808000"):
        c.eq(py_kind(ss.varint_decode, bytes.fromhex(bad), 0)[0], "malformed", f"varint rejects {bad}")
    c.eq(ss.imf_fixdate(784111777), "Sun, 06 Nov 1994 08:49:37 GMT", "IMF-fixdate of RFC 9110's example")
    c.eq(ss.imf_fixdate(0), "Thu, 01 Jan 1970 00:00:00 GMT", "IMF-fixdate of 0")
    c.eq(ss.imf_fixdate(ss.MAX_UNIX), "Fri, 31 Dec 9999 23:59:59 GMT", "IMF-fixdate of MAX_UNIX")


def decode_v2_plaintext(pt: bytes) -> dict:
    """The fields of a version-2 plaintext, read independently of the codec (section 3)."""
    issued_at, pos = ss.varint_decode(pt, 16)
    delta, pos = ss.varint_decode(pt, pos)
    flags = pt[pos]
    pos += 1
    out = {"issued_at": issued_at, "sealed_at": issued_at + delta, "flags": flags}
    for bit, name in ((1, "absolute"), (2, "idle")):
        out[name] = None
        if flags & bit:
            out[name], pos = ss.varint_decode(pt, pos)
    out["schema"], pos = ss.varint_decode(pt, pos)
    out["data"] = pt[pos:]
    return out


def check_vectors(c: Checks, vectors: dict):
    """Every version-2 vector re-derived byte for byte and opened back."""
    for v in vectors["envelopes"]:
        name = v["name"]
        ring = Keyring.parse(v["keyring"])
        c.eq(ring.render(), v["keyring"], f"{name}: keyring text round trip")
        codec = codec_of(v)
        policy = codec.config.policy()
        c.eq(codec.config.persistent, v["expiry"]["persistent"], f"{name}: persistence read from the vector")
        payload = bytes.fromhex(v["payload"])
        # Section 10: a re-seal vector's previous value was sealed at issued_at with the policy's
        # lifetime.
        prev = (Previous(bytes.fromhex(v["previous"]["session_id"]), v["previous"]["issued_at"],
                         v["previous"]["issued_at"], policy) if v["previous"] else None)
        usage = USAGE_COOKIE if v["kind"] == "cookie" else USAGE_TOKEN
        rng = ReplayRng(bytes.fromhex(v["random"]))
        env = codec.seal_envelope(payload, v["now"], rng, prev, usage)
        c.eq(env.hex(), v["envelope"], f"{name}: envelope")
        c.check(rng.exhausted(), f"{name}: envelope draws exactly the vector's random bytes")
        c.eq(env[0], {"encrypted": 0x21, "signed": 0x22}[v["mode"]], f"{name}: version-2 format byte")
        rng = ReplayRng(bytes.fromhex(v["random"]))
        if v["kind"] == "cookie":
            lines = codec.seal_cookies(payload, v["now"], rng, prev)
            c.eq(lines, v["set_cookie"], f"{name}: Set-Cookie lines")
            c.eq(any("Max-Age=" in line for line in lines),
                 policy.persistent and policy.has_deadline(), f"{name}: Max-Age only when persistent with a deadline")
            opened = codec.open_cookies([cookie_header(v["set_cookie"])], v["now"])
        else:
            c.eq(codec.seal_token(payload, v["now"], rng, prev), v["token"], f"{name}: token")
            opened = codec.open_token(v["token"], v["now"])
        c.check(rng.exhausted(), f"{name}: seal draws exactly the vector's random bytes")
        c.eq(opened.data, payload, f"{name}: opens to the payload")
        c.eq(codec.open_envelope(env, v["now"], usage).data, payload, f"{name}: envelope opens to the payload")
        other = USAGE_TOKEN if usage == USAGE_COOKIE else USAGE_COOKIE
        c.eq(py_kind(codec.open_envelope, env, v["now"], other)[0], "authentication",
             f"{name}: does not open with the other usage")
        want_sid = bytes.fromhex(v["previous"]["session_id"]) if prev else bytes.fromhex(v["random"])[:16]
        c.eq(opened.session_id, want_sid, f"{name}: session id")
        c.eq(opened.issued_at, prev.issued_at if prev else v["now"], f"{name}: issued_at")
        c.eq(opened.sealed_at, v["now"], f"{name}: sealed_at")
        c.eq((opened.schema, opened.format_version, opened.lifetime, opened.reseal, opened.past_deadline),
             (v["schema"], 2, policy, None, False), f"{name}: schema, format, lifetime, no re-seal due")
        if v["mode"] == "signed":  # the plaintext is visible: read its fields independently
            f = decode_v2_plaintext(env[5:-32])
            c.eq((f["flags"], f["absolute"], f["idle"], f["schema"], f["data"]),
                 (policy.flags(), policy.absolute, policy.idle, v["schema"], payload),
                 f"{name}: plaintext flags, lifetime and schema")
    for d in vectors["derived_keys"]:
        k = ss.derive_key(bytes.fromhex(d["master"]), d["purpose"])
        c.eq((f"{k.id:08x}", k.secret.hex()), (d["id"], d["secret"]), f"derived key for {d['purpose']!r}")


V1_NONCE = bytes(range(100, 124))


def v1_inputs(v: dict) -> tuple[list[str], str]:
    """A version-1 vector as a Cookie header and as a token (section 9: version 1 binds no
    usage, so the same value opens both ways)."""
    env = bytes.fromhex(v["envelope"])
    token = v.get("token") or b64_encode(env)
    hdr = [cookie_header(v["set_cookie"])] if v["kind"] == "cookie" else [f"{v['cookie_name']}={token}"]
    return hdr, token


def v1_reseals(codec: Codec, v: dict, opened: ss.Opened) -> tuple[list[str], str]:
    """The version-2 re-seal of an opened version-1 vector, at the vector's now, as cookies and
    as a token, with V1_NONCE (encrypted mode) as the random bytes."""
    prev = Previous.of(opened)
    payload = bytes.fromhex(v["payload"])
    lines = codec.seal_cookies(payload, v["now"], ReplayRng(V1_NONCE), prev)
    token = codec.seal_token(payload, v["now"], ReplayRng(V1_NONCE), prev)
    return lines, token


def check_vectors_v1(c: Checks, vectors: dict):
    """Every frozen version-1 vector opens as a cookie and as a token, and re-seals as version 2."""
    for v in vectors["envelopes"]:
        name = "v1 " + v["name"]
        codec = codec_of(v)
        policy = codec.config.policy()
        env = bytes.fromhex(v["envelope"])
        payload = bytes.fromhex(v["payload"])
        c.eq(env[0], {"encrypted": 0x11, "signed": 0x12}[v["mode"]], f"{name}: version-1 format byte")
        hdr, token = v1_inputs(v)
        sid = bytes.fromhex(v["previous"]["session_id"]) if v["previous"] else bytes.fromhex(v["random"])[:16]
        issued = v["previous"]["issued_at"] if v["previous"] else v["now"]
        results = {"cookie": py_kind(codec.open_cookies, hdr, v["now"]),
                   "token": py_kind(codec.open_token, token, v["now"])}
        for how, (kind, o) in results.items():
            if not c.eq(kind, "ok", f"{name}: opens as a {how}"):
                continue
            c.eq((o.data, o.session_id, o.issued_at, o.sealed_at), (payload, sid, issued, v["now"]),
                 f"{name}: as a {how}: payload, session id and times")
            c.eq((o.format_version, o.schema, o.lifetime, o.reseal, o.past_deadline),
                 (1, 0, policy, "old_format", False),
                 f"{name}: as a {how}: format 1, schema 0, the policy's lifetime, old_format re-seal")
        if results["cookie"][0] != "ok":
            continue
        lines, tok = v1_reseals(codec, v, results["cookie"][1])
        for how, o in (("cookie", codec.open_cookies([cookie_header(lines)], v["now"])),
                       ("token", codec.open_token(tok, v["now"]))):
            c.eq((o.format_version, o.session_id, o.issued_at, o.sealed_at, o.lifetime, o.schema, o.reseal, o.data),
                 (2, sid, issued, v["now"], policy, 0, None, payload), f"{name}: re-sealed as a version-2 {how}")
        env2 = envelope_of_lines(lines, len(pairs_of(lines)) > 1)
        c.eq((env2[0], b64_decode(tok)[0]), ({"encrypted": 0x21, "signed": 0x22}[v["mode"]],) * 2,
             f"{name}: the re-seal writes a version-2 format byte")
        c.eq(py_kind(codec.open_cookies, [f"{v['cookie_name']}={tok}"], v["now"])[0], "authentication",
             f"{name}: its version-2 token no longer opens as a cookie")


def check_python_only(c: Checks):
    """Rules of the document that need no peer: keyring grammar, primary, chunk rules."""
    good = Keyring([Key(1, bytes(32)), Key(2, bytes([1] * 32), T0, T0 + 100)]).render()
    c.eq(good, "ssk1,00000001.AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA,"
               "00000002.AQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQE.nb1800000000.na1800000100",
         "keyring render")
    c.eq(Keyring.parse(" \t" + good + "\r\n").render(), good, "keyring parse trims whitespace")
    for bad in ["", "ssk1", "ssk2,00000001.AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
                good.replace("00000001", "0000000A"), good.replace(".nb1800000000", ".nb01800000000"),
                good.replace(".nb1800000000.na1800000100", ".na1800000100.nb1800000000"),
                good.replace(".na1800000100", ".na1800000000"), good + ",",
                good.replace("AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAB"),
                good.replace(",", " ,", 1), good.replace("00000002", "00000001"),
                "ssk1,00000001.AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA.nb253402300800"]:
        c.check(py_kind(Keyring.parse, bad)[0] in ("invalid_keyring", "invalid_config"),
                f"keyring parse rejects {bad[:40]!r}...")
    keys = [Key(1, bytes(32)), Key(2, bytes(32), T0 + 10), Key(3, bytes(32), T0 - 10, T0 + 5)]
    for order in (keys, keys[::-1]):
        ring = Keyring(order)
        c.eq([ring.primary(t).id for t in (T0 - 20, T0, T0 + 5, T0 + 10)], [1, 3, 1, 2],
             "primary by not_before, independent of order")
    # Lifetime capping (section 7): the shorter limit; one set by only one side applies.
    cap = Lifetime(100, None, False)
    c.eq(Lifetime(50, 10, True).capped(cap), Lifetime(50, 10, True), "capping keeps shorter limits and persistence")
    c.eq(Lifetime(None, None, True).capped(cap), Lifetime(100, None, True), "capping fills an unset limit")
    c.eq(Lifetime(500, None, True).capped(Lifetime(None, None)), Lifetime(500, None, True), "no cap, no change")
    # Chunk rules (section 5.3) that the live groups also compare with Rust.
    cfg = {"keyring": Keyring([Key(5, bytes(32))]).render(), "mode": "signed", "cookie_name": "s", "purpose": "p",
           "max_cookie_bytes": 300, "max_total_bytes": 16000}
    codec = codec_of(cfg)
    pairs = pairs_of(codec.seal_cookies(bytes(600), T0))
    c.check(len(pairs) >= 3, "a chunked seal")
    c.eq(codec.open_cookies(["; ".join(pairs[1:])], T0), None, "chunks without their head: no session")
    c.eq(py_kind(codec.open_cookies, ["; ".join(pairs + pairs[:1])], T0)[1].index, 0, "two heads: duplicate 0")
    c.eq(codec.open_cookies(["; ".join(pairs + ["s.15=AAAA"])], T0).data, bytes(600), "leftover beyond the count ignored")


# --- live: against the Rust peer ---------------------------------------------------------------

class PeerGone(Exception):
    pass


class Peer:
    """`cargo run --example interop_peer`, started once, spoken to in JSON lines."""

    def __init__(self):
        self.proc = subprocess.Popen(
            ["cargo", "run", "--quiet", "--example", "interop_peer"], cwd=ROOT,
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, bufsize=1)
        self.calls = 0

    def ask(self, **cmd) -> dict:
        try:
            self.proc.stdin.write(json.dumps(cmd) + "\n")
            self.proc.stdin.flush()
            line = self.proc.stdout.readline()
        except BrokenPipeError:
            line = ""
        if not line:
            raise PeerGone(f"the peer exited with status {self.proc.poll()} (did the example build?)")
        self.calls += 1
        ans = json.loads(line)
        if ans.get("kind") == "bad_command":
            raise RuntimeError(f"peer refused the command: {ans['error']}")
        return ans

    def close(self):
        try:
            self.proc.stdin.close()
        except BrokenPipeError:
            pass
        try:
            self.proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.proc.kill()


def random_keyring(rnd: random.Random, now: int) -> tuple[str, list[Key]]:
    """1 to 4 random keys (OS randomness for secrets and ids), some scheduled or expiring,
    always with one key eligible at `now`."""
    n = rnd.randint(1, 4)
    keys = [Key(int.from_bytes(os.urandom(4), "big"), os.urandom(32))]
    nbs = {None}
    for _ in range(n - 1):
        nb = rnd.choice([None, now - rnd.randint(1, 10 ** 6), now + rnd.randint(1, 10 ** 6)])
        if nb in nbs:
            continue
        nbs.add(nb)
        na = rnd.choice([None, (nb or now) + rnd.randint(1, 10 ** 7)])
        keys.append(Key(int.from_bytes(os.urandom(4), "big"), os.urandom(32), nb, na))
    if len({k.id for k in keys}) != len(keys):
        keys = keys[:1]
    rnd.shuffle(keys)
    return Keyring(keys).render(), keys


def live_keyrings(c: Checks, peer: Peer, rnd: random.Random):
    for i in range(20):
        text, _ = random_keyring(rnd, T0)
        ring = Keyring.parse(text)
        for t in (T0 - 2 * 10 ** 6, T0, T0 + 2 * 10 ** 6):
            ans = peer.ask(op="keyring", text=text, now=t)
            p = ring.primary(t)
            c.eq((ans.get("text"), ans.get("primary")), (text, f"{p.id:08x}" if p else None),
                 f"keyring {i}: text and primary at now{t - T0:+d}")
    for purpose in ("", "sessions-2026-11", "ünïcode"):
        master = os.urandom(rnd.choice([32, 48, 64]))
        ans = peer.ask(op="derive", master=master.hex(), purpose=purpose)
        c.eq(ans.get("text"), Keyring([ss.derive_key(master, purpose)]).render(),
             f"derived key for {purpose!r}")


EXPIRIES = [{"absolute": 86400, "idle": 7200, "skew": 60, "persistent": True},
            {"absolute": None, "idle": None, "skew": 0, "persistent": True},
            {"absolute": 3600, "idle": None, "skew": 5, "persistent": False},
            {"absolute": None, "idle": 1801, "skew": 0, "persistent": False},
            {"absolute": 86400, "idle": 7200, "skew": 60, "persistent": False}]


def base_cfg(rnd: random.Random, mode: str, **over) -> dict:
    text, _ = random_keyring(rnd, T0)
    cfg = {"keyring": text, "mode": mode, "cookie_name": rnd.choice(["__Host-session", "sid", "__Secure-s"]),
           "purpose": rnd.choice(["session", "shop/cart", ""]), "max_cookie_bytes": 4000,
           "max_total_bytes": 6144, "expiry": rnd.choice(EXPIRIES),
           "schema": rnd.choice([0, 0, 1, 7, 300, 2 ** 32 - 1])}
    cfg.update(over)
    return cfg


SIZES = [0, 1, 17, 100, 700, 2000, 2900, 4500, 9000]


def envelope_of_lines(lines: list[str], chunked: bool) -> bytes:
    return b"".join(b64_decode(value_of(p))[7 if chunked else 0:] for p in pairs_of(lines))


def live_rust_seals(c: Checks, peer: Peer, rnd: random.Random):
    """Rust seals with OS randomness; Python opens, and re-derives the exact lines from the
    session id and nonce it finds."""
    for mode in ("encrypted", "signed"):
        for size in SIZES:
            for limit in (4000, 1000, 600):
                cfg = base_cfg(rnd, mode, max_cookie_bytes=limit, max_total_bytes=16000)
                payload = os.urandom(size)
                what = f"rust seals {mode} {size} B, limit {limit}, {cfg['expiry']}, schema {cfg['schema']}"
                ans = peer.ask(op="seal", kind="cookie", now=T0, payload=payload.hex(), **cfg)
                codec = codec_of(cfg)
                py = py_kind(codec.seal_cookies, payload, T0, ReplayRng(bytes(40)))
                if "error" in ans:
                    c.eq(py[0], ans["kind"], f"{what}: both refuse")
                    continue
                opened = codec.open_cookies([cookie_header(ans["set_cookie"])], T0)
                c.eq(opened.data, payload, f"{what} ({ans['chunk_count']} chunks): Python opens it")
                c.eq(opened_dict(opened) | {"payload": None}, ans["meta"] | {"payload": None},
                     f"{what}: metadata")
                env = envelope_of_lines(ans["set_cookie"], ans["chunk_count"] > 1)
                rnd_bytes = opened.session_id + (env[5:29] if mode == "encrypted" else b"")
                again = codec.seal_cookies(payload, T0, ReplayRng(rnd_bytes))
                c.eq(again, ans["set_cookie"], f"{what}: Python re-derives the exact lines")
        for size in (0, 40, 3000, 4500, 7000):
            cfg = base_cfg(rnd, mode)
            payload = os.urandom(size)
            ans = peer.ask(op="seal", kind="token", now=T0, payload=payload.hex(), **cfg)
            codec = codec_of(cfg)
            what = f"rust seals {mode} token of {size} B"
            if "error" in ans:
                c.eq(py_kind(codec.seal_token, payload, T0, ReplayRng(bytes(40)))[0], ans["kind"],
                     f"{what}: both refuse")
                continue
            opened = codec.open_token(ans["token"], T0)
            c.eq(opened.data, payload, f"{what}: Python opens it")
            env = b64_decode(ans["token"])
            rnd_bytes = opened.session_id + (env[5:29] if mode == "encrypted" else b"")
            c.eq(codec.seal_token(payload, T0, ReplayRng(rnd_bytes)), ans["token"],
                 f"{what}: Python re-derives the token")


def live_python_seals(c: Checks, peer: Peer, rnd: random.Random):
    """Python seals with OS randomness; Rust opens, and seals the same with the same bytes."""
    for mode in ("encrypted", "signed"):
        for size in SIZES:
            for limit in (4000, 1000, 450):
                attrs = rnd.choice([{}, {"expires": False}, {"same_site": "Strict", "http_only": False},
                                    {"same_site": None}])
                cfg = base_cfg(rnd, mode, max_cookie_bytes=limit, max_total_bytes=16000,
                               attributes=attrs, cookie_name=rnd.choice(["__Host-session", "s"]))
                codec = codec_of(cfg)
                payload = os.urandom(size)
                what = f"python seals {mode} {size} B, limit {limit}, {cfg['expiry']}"
                rec = RecordingRng()
                kind, lines = py_kind(codec.seal_cookies, payload, T0, rec)
                ans = peer.ask(op="seal", kind="cookie", now=T0, payload=payload.hex(),
                               random=rec.drawn.hex() or "00" * 40, **cfg)
                if kind != "ok":
                    c.eq(ans.get("kind"), kind, f"{what}: both refuse")
                    continue
                c.eq(ans.get("set_cookie"), lines, f"{what}: Rust seals the same lines from the same bytes")
                back = peer.ask(op="open", now=T0 + 1, cookie_header=[cookie_header(lines)], **cfg)
                c.eq(back.get("payload"), payload.hex(), f"{what} ({len(pairs_of(lines))} cookies): Rust opens it")
                c.eq(outcome_rust(back), outcome_py(codec.open_cookies, [cookie_header(lines)], T0 + 1),
                     f"{what}: same metadata")
        for size in (0, 40, 3000, 4500):
            cfg = base_cfg(rnd, mode)
            codec = codec_of(cfg)
            payload = os.urandom(size)
            rec = RecordingRng()
            kind, token = py_kind(codec.seal_token, payload, T0, rec)
            what = f"python seals {mode} token of {size} B"
            ans = peer.ask(op="seal", kind="token", now=T0, payload=payload.hex(),
                           random=rec.drawn.hex() or "00" * 40, **cfg)
            if kind != "ok":
                c.eq(ans.get("kind"), kind, f"{what}: both refuse")
                continue
            c.eq(ans.get("token"), token, f"{what}: Rust seals the same token")
            back = peer.ask(op="open", now=T0, token=token, **cfg)
            c.eq(outcome_rust(back), outcome_py(codec.open_token, token, T0), f"{what}: Rust opens it, same metadata")


def seal_py(codec: Codec, kind: str, payload: bytes, now: int, rng=ss.os_rng, previous=None, lifetime=None):
    if kind == "cookie":
        return codec.seal_cookies(payload, now, rng, previous, lifetime=lifetime)
    return codec.seal_token(payload, now, rng, previous, lifetime=lifetime)


def request_of(kind: str, sealed) -> dict:
    """The peer's open arguments for what seal_py returned."""
    return {"cookie_header": [cookie_header(sealed)]} if kind == "cookie" else {"token": sealed}


def previous_of(kind: str, sealed) -> dict:
    return {"previous_cookie_header": [cookie_header(sealed)]} if kind == "cookie" else {"previous_token": sealed}


def open_py(codec: Codec, kind: str, sealed, now: int):
    if kind == "cookie":
        return codec.open_cookies([cookie_header(sealed)], now)
    return codec.open_token(sealed, now)


def sealed_of(ans: dict):
    return ans["set_cookie"] if "set_cookie" in ans else ans["token"]


def live_reseal_and_time(c: Checks, peer: Peer, rnd: random.Random):
    """Re-seals across implementations, expiry and re-seal reasons at chosen times."""
    for mode in ("encrypted", "signed"):
        for kind in ("cookie", "token"):
            cfg = base_cfg(rnd, mode, expiry=DEFAULT_EXPIRY)
            codec = codec_of(cfg)
            payload = os.urandom(50)
            what = f"{mode} {kind}"
            # Python seals at T0, Rust re-seals at T0+3000 with the opened metadata.
            first = seal_py(codec, kind, payload, T0)
            sid = open_py(codec, kind, first, T0).session_id
            ans = peer.ask(op="seal", kind=kind, now=T0 + 3000, previous_now=T0 + 3000,
                           payload=payload.hex(), **previous_of(kind, first), **cfg)
            opened = open_py(codec, kind, sealed_of(ans), T0 + 3000)
            c.eq((opened.session_id, opened.issued_at, opened.sealed_at), (sid, T0, T0 + 3000),
                 f"{what}: Rust re-seal of a Python session keeps id and issued_at")
            # Python re-seals that at T0+6000; Rust opens.
            again = seal_py(codec, kind, payload, T0 + 6000, previous=Previous.of(opened))
            req = request_of(kind, again)
            back = peer.ask(op="open", now=T0 + 6000, **req, **cfg)
            c.eq((back.get("session_id"), back.get("issued_at"), back.get("sealed_at")),
                 (sid.hex(), T0, T0 + 6000), f"{what}: Python re-seal of a Rust session opens in Rust")
            # The same value opened at various times: expiry and reseal reasons agree.
            for dt in (-6000 - 61, -6000 - 60, -61, -60, 0, 3599, 3600, 7199, 7200, 7200 + 59, 7200 + 60,
                       86400 - 6000 - 1, 86400 - 6000, 86400 - 6000 + 59, 86400 - 6000 + 60, 10 ** 6):
                t = T0 + 6000 + dt
                c.eq(outcome_rust(peer.ask(op="open", now=t, **req, **cfg)), outcome_py(open_py, codec, kind, again, t),
                     f"{what}: opened at sealed_at{dt:+d}")
            # Re-seals around the absolute deadline (a sealer gives no skew allowance).
            abs_cfg = dict(cfg, expiry={"absolute": 86400, "idle": None, "skew": 60})
            abs_codec = codec_of(abs_cfg)
            tok = abs_codec.seal_token(payload, T0)
            for dt in (-1, 0, 1, 59, 60, 61):
                t = T0 + 86400 + dt
                py_prev = py_kind(abs_codec.open_token, tok, t)
                ans = peer.ask(op="seal", kind=kind, now=t, previous_now=t, previous_token=tok,
                               payload=payload.hex(), random="00" * 24, **abs_cfg)
                if py_prev[0] != "ok":
                    c.eq(ans.get("kind"), py_prev[0], f"{what}: re-seal at the absolute deadline{dt:+d}: the previous does not open")
                    continue
                py = py_kind(seal_py, abs_codec, kind, payload, t, ReplayRng(bytes(24)), Previous.of(py_prev[1]))
                c.eq(ans.get("kind", "ok"), py[0], f"{what}: re-seal at the absolute deadline{dt:+d}")
                c.eq(outcome_rust(peer.ask(op="open", now=t, token=tok, **abs_cfg)),
                     outcome_py(abs_codec.open_token, tok, t), f"{what}: open at the absolute deadline{dt:+d}")
    # No revival: a re-seal checks the previous times as opening does, at the re-seal's now
    # (the previous value opened earlier, while it was alive).
    for mode in ("encrypted", "signed"):
        cfg = base_cfg(rnd, mode, expiry={"absolute": None, "idle": 7200, "skew": 60})
        codec = codec_of(cfg)
        tok = codec.seal_token(b"idle", T0)
        prev = Previous.of(codec.open_token(tok, T0))
        for dt in (-1, 0, 59, 60, 61):
            t = T0 + 7200 + dt
            ans = peer.ask(op="seal", kind="token", now=t, previous_now=T0, previous_token=tok,
                           payload="00", random="00" * 24, **cfg)
            py = py_kind(codec.seal_token, b"\0", t, ReplayRng(bytes(24)), prev)
            c.eq(ans.get("token", ans.get("kind")), py[1] if py[0] == "ok" else py[0],
                 f"{mode}: re-seal at the idle deadline{dt:+d} of a session opened earlier")
    # Key rotation: a key scheduled later becomes primary; older values ask for a re-seal.
    old, new = Key(7, os.urandom(32)), Key(8, os.urandom(32), T0 + 100)
    for mode in ("encrypted", "signed"):
        cfg = base_cfg(rnd, mode, keyring=Keyring([old, new]).render())
        codec = codec_of(cfg)
        lines = codec.seal_cookies(b"rotate", T0)
        for t in (T0 + 99, T0 + 100):
            c.eq(outcome_rust(peer.ask(op="open", now=t, cookie_header=[cookie_header(lines)], **cfg)),
                 outcome_py(codec.open_cookies, [cookie_header(lines)], t), f"{mode}: rotation, open at {t - T0:+d}")
        ans = peer.ask(op="seal", kind="cookie", now=T0 + 100, payload="00", **cfg)
        c.eq(ans["meta"]["key_id"], "00000008", f"{mode}: Rust seals with the scheduled key from not_before")
    # Not yet valid: sealed at T0+1000, opened at T0.
    for mode in ("encrypted", "signed"):
        cfg = base_cfg(rnd, mode, expiry=DEFAULT_EXPIRY)
        codec = codec_of(cfg)
        lines = codec.seal_cookies(b"future", T0 + 1000)
        for t in (T0, T0 + 939, T0 + 940):
            c.eq(outcome_rust(peer.ask(op="open", now=t, cookie_header=[cookie_header(lines)], **cfg)),
                 outcome_py(codec.open_cookies, [cookie_header(lines)], t), f"{mode}: sealed in the future, open at {t - T0:+d}")


def live_deletions(c: Checks, peer: Peer, rnd: random.Random):
    for attrs in ({}, {"expires": False}):
        cfg = base_cfg(rnd, "encrypted", cookie_name="__Host-session", attributes=attrs)
        codec = codec_of(cfg)
        request = ("__Host-session.1=a; other=1; __Host-session.7=b; __Host-session.16=c; __Host-session.01=d; "
                   "__Host-session.7=again")
        rec = RecordingRng()
        lines = codec.seal_cookies(b"small", T0, rec, request_cookies=[request, "__Host-session.3=x"])
        ans = peer.ask(op="seal", kind="cookie", now=T0, payload=b"small".hex(), random=rec.drawn.hex(),
                       request_cookie_header=[request, "__Host-session.3=x"], **cfg)
        c.eq(ans.get("set_cookie"), lines, f"deletion lines of stale chunks {attrs}")
        c.eq(ans.get("deleted_count"), 3, "three stale chunks deleted")
    # A chunked seal deletes the slots at or past its count, whatever the request held there
    # (five cookies in a slot, a head of another seal).
    cfg = base_cfg(rnd, "signed", cookie_name="s", max_cookie_bytes=400, max_total_bytes=16000)
    codec = codec_of(cfg)
    request = "; ".join([f"s.{i}=x" for i in range(1, 16)] + ["s.9=y"] * 5 + ["s=AAAA", "s=BBBB"])
    lines = codec.seal_cookies(bytes(700), T0, ReplayRng(bytes(16)), request_cookies=[request])
    ans = peer.ask(op="seal", kind="cookie", now=T0, payload=bytes(700).hex(), random="00" * 16,
                   request_cookie_header=[request], **cfg)
    c.eq(ans.get("set_cookie"), lines, "a chunked seal over a crowded jar: same lines and deletions")
    c.eq(ans.get("deleted_count"), 16 - ans.get("chunk_count", 0), "slots past the count deleted once each")


def tamper_value(value: str, bit: int) -> str:
    raw = bytearray(b64_decode(value))
    raw[bit // 8] ^= 1 << (bit % 8)
    return b64_encode(bytes(raw))


def live_negative(c: Checks, peer: Peer, rnd: random.Random):
    for mode in ("encrypted", "signed"):
        # Bit flips in a one-cookie value (past the header) fail authentication in both.
        cfg = base_cfg(rnd, mode)
        codec = codec_of(cfg)
        lines = codec.seal_cookies(os.urandom(60), T0)
        name, value = pairs_of(lines)[0].split("=", 1)
        nbits = len(b64_decode(value)) * 8
        for bit in sorted(rnd.sample(range(40, nbits), 12)):
            hdr = f"{name}={tamper_value(value, bit)}"
            ans = peer.ask(op="open", now=T0, cookie_header=[hdr], **cfg)
            c.eq((ans.get("kind"), outcome_py(codec.open_cookies, [hdr], T0).get("kind")),
                 ("authentication", "authentication"), f"{mode}: bit {bit} flipped")
        for bit in range(40):  # format byte and key id: malformed, authentication or unknown key
            hdr = f"{name}={tamper_value(value, bit)}"
            c.eq(outcome_rust(peer.ask(op="open", now=T0, cookie_header=[hdr], **cfg)),
                 outcome_py(codec.open_cookies, [hdr], T0), f"{mode}: header bit {bit} flipped")
        tok = codec.seal_token(b"t", T0)
        for bad in (tamper_value(tok, len(b64_decode(tok)) * 8 - 1), tok[:-1], tok + "A", tok[:80],
                    tok + "=", "", "!" + tok[1:]):
            c.eq(outcome_rust(peer.ask(op="open", now=T0, token=bad, **cfg)), outcome_py(codec.open_token, bad, T0),
                 f"{mode}: broken token {bad[:12]}...{len(bad)}")
        # Another binding: cookie name, purpose, mode, keyring.
        primary = Keyring.parse(cfg["keyring"]).primary(T0).id
        for other in (dict(cfg, purpose=cfg["purpose"] + "x"), dict(cfg, mode={"encrypted": "signed", "signed": "encrypted"}[mode]),
                      dict(cfg, keyring=Keyring([Key(primary, os.urandom(32))]).render()),
                      dict(cfg, keyring=Keyring([Key(primary ^ 1, os.urandom(32))]).render())):
            c.eq(outcome_rust(peer.ask(op="open", now=T0, token=tok, **other)),
                 outcome_py(codec_of(other).open_token, tok, T0), f"{mode}: token under another binding")
        moved = dict(cfg, cookie_name="elsewhere")
        hdr = f"elsewhere={value}"
        c.eq((outcome_rust(peer.ask(op="open", now=T0, cookie_header=[hdr], **moved)).get("kind"),
              outcome_py(codec_of(moved).open_cookies, [hdr], T0).get("kind")),
             ("authentication", "authentication"), f"{mode}: value moved to another cookie name")

        # Chunked: missing, duplicate, leftover, mixed, reordered, tampered.
        cfg = base_cfg(rnd, mode, max_cookie_bytes=700, max_total_bytes=16000, cookie_name="s")
        codec = codec_of(cfg)
        pairs = pairs_of(codec.seal_cookies(os.urandom(2500), T0))
        other = pairs_of(codec.seal_cookies(os.urandom(2500), T0))
        n = len(pairs)
        c.check(n >= 4, f"{mode}: {n} chunks")
        cases = {}
        for i in range(n):
            cases[f"chunk {i} missing"] = pairs[:i] + pairs[i + 1:]
            cases[f"chunk {i} duplicated"] = pairs + [pairs[i]]
            cases[f"chunk {i} from another seal"] = pairs[:i] + [other[i]] + pairs[i + 1:]
            nm, val = pairs[i].split("=", 1)
            cases[f"chunk {i} bit flipped in the piece"] = (
                pairs[:i] + [f"{nm}={tamper_value(val, 8 * 7 + rnd.randrange(8 * (len(b64_decode(val)) - 7)))}"] + pairs[i + 1:])
            cases[f"chunk {i} header byte {i % 7} flipped"] = (
                pairs[:i] + [f"{nm}={tamper_value(val, 8 * (i % 7))}"] + pairs[i + 1:])
        cases["reversed order"] = pairs[::-1]
        cases["shuffled over two headers"] = rnd.sample(pairs, n)
        cases["leftover chunk 15"] = pairs + ["s.15=AAAA"]
        cases["leftover chunk n"] = pairs + [f"s.{n}={value_of(pairs[1])}"]
        cases["first two chunks swapped by name"] = [f"s={value_of(pairs[1])}", f"s.1={value_of(pairs[0])}"] + pairs[2:]
        cases["only chunk 0"] = pairs[:1]
        cases["truncated last chunk"] = pairs[:-1] + [pairs[-1][:-4]]
        frame0 = b64_decode(value_of(pairs[0]))
        for count in (0, 1, 17, 255):
            cases[f"frame 0 claims {count} chunks"] = [f"s={b64_encode(frame0[:2] + bytes([count]) + frame0[3:])}"] + pairs[1:]
        cases[f"frame 0 claims {n - 1} chunks"] = [f"s={b64_encode(frame0[:2] + bytes([n - 1]) + frame0[3:])}"] + pairs[1:]
        cases[f"frame 0 claims {n + 1} chunks"] = [f"s={b64_encode(frame0[:2] + bytes([n + 1]) + frame0[3:])}"] + pairs[1:]
        cases["frame 0 of 7 bytes"] = [f"s={b64_encode(frame0[:7])}"] + pairs[1:]
        cases["a whole value plus chunk 1"] = [f"s={value_of(pairs_of(codec.seal_cookies(b'x', T0))[0])}", pairs[1]]
        cases["quoted values"] = [f'{p.split("=", 1)[0]}="{value_of(p)}"' for p in pairs]
        cases["spaces and tabs"] = [f" \t{p.split('=', 1)[0]} = {value_of(p)}\t" for p in pairs]
        for what, ps in cases.items():
            headers = ["; ".join(ps)] if what != "shuffled over two headers" else ["; ".join(ps[:2]), "; ".join(ps[2:])]
            c.eq(outcome_rust(peer.ask(op="open", now=T0, cookie_header=headers, **cfg)),
                 outcome_py(codec.open_cookies, headers, T0), f"{mode}: {what}")
        # Over the total budget on the way in.
        small = dict(cfg, max_total_bytes=2000)
        hdr = ["; ".join(pairs)]
        c.eq(outcome_rust(peer.ask(op="open", now=T0, cookie_header=hdr, **small)),
             outcome_py(codec_of(small).open_cookies, hdr, T0), f"{mode}: cookies over the budget")


def live_budgets(c: Checks, peer: Peer, rnd: random.Random):
    """Sizes around every limit: the same verdict and the same numbers on both sides."""
    for mode in ("encrypted", "signed"):
        for limit, total in ((4000, 6144), (1000, 3000), (300, 6144), (200, 6144), (4096, 65536), (4000, 2000)):
            cfg = base_cfg(rnd, mode, max_cookie_bytes=limit, max_total_bytes=total)
            codec = codec_of(cfg)
            # The largest payload that seals (verdicts are monotonic in the size), found by bisection.
            lo, hi = 0, 70000
            while lo + 1 < hi:
                mid = (lo + hi) // 2
                ok = py_kind(codec.seal_cookies, b"\0" * mid, T0, ReplayRng(bytes(40)))[0] == "ok"
                lo, hi = (mid, hi) if ok else (lo, mid)
            for size in sorted({lo - 1, lo, lo + 1, rnd.randrange(0, lo)}):
                data = os.urandom(size)
                py = py_kind(codec.seal_cookies, data, T0, ReplayRng(bytes(40)))
                ans = peer.ask(op="seal", kind="cookie", now=T0, payload=data.hex(), random="00" * 40, **cfg)
                if py[0] == "ok":
                    c.eq(ans.get("set_cookie"), py[1], f"{mode} limit {limit}/{total}: {size} B seals the same")
                else:
                    c.eq((ans.get("kind"), ans.get("needed"), ans.get("budget")),
                         (py[0], py[1].needed, py[1].allowed), f"{mode} limit {limit}/{total}: {size} B too large")
            # Tokens at their own edge.
            for size in range(total * 3 // 4 - 80, total * 3 // 4 + 4):
                data = bytes(size)
                py = py_kind(codec.seal_token, data, T0, ReplayRng(bytes(40)))
                ans = peer.ask(op="seal", kind="token", now=T0, payload=data.hex(), random="00" * 40, **cfg)
                if py[0] == "ok":
                    c.eq(ans.get("token"), py[1], f"{mode} token budget {total}: {size} B")
                else:
                    c.eq((ans.get("kind"), ans.get("needed"), ans.get("budget")),
                         (py[0], py[1].needed, py[1].allowed), f"{mode} token budget {total}: {size} B too large")


def live_python_probes(c: Checks, peer: Peer, rnd: random.Random):
    """Corner cases where the text of FORMAT.md needed care: both sides must agree."""
    key = Key(0x0102_0304, bytes(range(32)))
    text = Keyring([key]).render()
    full = Keyring([Key(i + 1, os.urandom(32), ss.MAX_UNIX - 100 + i, ss.MAX_UNIX - 50 + i) for i in range(16)]).render()
    c.eq(len(full), ss.KEYRING_TEXT_MAX, "a full keyring text is 1332 bytes")
    for probe in [text.upper(), text.replace("ssk1", "SSK1"), text + ".nb5", text + ".NB5",
                  text + ".nb5.na5", text + ".na5", text + ".na0", text + ".nb0", " " + text + "\t\r\n",
                  "\ufeff" + text, text + ",", text.replace(",", ", "), full, full + "\n", " " + full,
                  full + "," + text[5:], text + "," + text[5:], text.replace("0102", "0A02")]:
        want = py_kind(Keyring.parse, probe)
        ans = peer.ask(op="keyring", text=probe, now=T0)
        c.eq(ans.get("kind", "ok"), want[0], f"keyring text probe {probe[:24]!r}..{probe[-12:]!r}")
        if want[0] == "ok":
            c.eq(ans.get("text"), want[1].render(), "same rendering")
    base = {"keyring": text, "mode": "encrypted", "cookie_name": "s", "purpose": "p",
            "max_cookie_bytes": 4000, "max_total_bytes": 6144}
    # Times near MAX_UNIX: expiry dates beyond year 9999 and clamping of `now`.
    for now in (ss.MAX_UNIX - 10, ss.MAX_UNIX, ss.MAX_UNIX + 10, 0):
        for exp in ({"absolute": 86400, "idle": None, "skew": 0}, {"absolute": None, "idle": None, "skew": 0},
                    {"absolute": None, "idle": 600, "skew": 60}, {"absolute": None, "idle": 600, "skew": 60, "persistent": False}):
            cfg = dict(base, expiry=exp)
            codec = codec_of(cfg)
            rec = RecordingRng()
            py = py_kind(codec.seal_cookies, b"late", now, rec)
            ans = peer.ask(op="seal", kind="cookie", now=now, payload=b"late".hex(), random=rec.drawn.hex() or "00" * 40, **cfg)
            c.eq(ans.get("set_cookie", ans.get("kind")), py[1] if py[0] == "ok" else py[0],
                 f"seal at {now} with {exp}")
            if py[0] == "ok":
                hdr = [cookie_header(py[1])]
                c.eq(outcome_rust(peer.ask(op="open", now=now, cookie_header=hdr, **cfg)),
                     outcome_py(codec.open_cookies, hdr, now), f"open at {now} with {exp}")
    # Cookie-header parsing corners.
    codec = codec_of(base)
    value = value_of(pairs_of(codec.seal_cookies(b"x", T0))[0])
    for hdr in [f"s={value}", f's="{value}"', f"s ={value}", f"s= {value} ", f";;s={value};;",
                f"s={value}; s={value}", f"s={value}; s.1=", "s=", "s", f"S={value}", f"s.0={value}",
                f"s.1={value}", f"s.01={value}; s={value}", f"s.16={value}; s={value}", f"s={value}=",
                f's="{value}', f'"s"={value}', f"s.1={value}; s.2={value}", "s.3=*"]:
        c.eq(outcome_rust(peer.ask(op="open", now=T0, cookie_header=[hdr], **base)),
             outcome_py(codec.open_cookies, [hdr], T0), f"Cookie header {hdr[:10]!r}..{hdr[-8:]!r}")
    # Which error comes first among several chunk faults.
    cfg = dict(base, max_cookie_bytes=500, max_total_bytes=16000)
    codec = codec_of(cfg)
    pairs = pairs_of(codec.seal_cookies(os.urandom(1500), T0))
    v = [value_of(p) for p in pairs]
    n = len(pairs)
    combos = {
        "duplicates of 2 then 1 in header order": [pairs[0], pairs[2], pairs[1], pairs[2], pairs[1]] + pairs[3:],
        "chunk 1 malformed and chunk 2 missing": [pairs[0], "s.1=AAAA"] + pairs[3:],
        "chunk 1 mixed and chunk 2 missing": [pairs[0], f"s.1={v[2]}"] + pairs[3:],
        "chunk 0 missing and a duplicate": pairs[1:] + [pairs[1]],
        "chunk 0 missing and a leftover": pairs[1:] + ["s.15=AAAA"],
        "leftover chunk and missing chunk": pairs[:1] + pairs[2:] + ["s.15=AAAA"],
        "bad base64 in chunk 2 and missing chunk 3": pairs[:2] + ["s.2=*"] + pairs[4:],
        "frame 0 with index 1": [f"s={v[1]}"] + pairs[1:],
        "last chunk emptied": pairs[:-1] + [f"s.{n - 1}="],
        "two heads and a missing chunk": [pairs[0], pairs[0]] + pairs[2:],
        "two heads, one not a frame": [pairs[0], f"s={value}"] + pairs[1:],
        "a duplicate of chunk 2 and a missing chunk 1": [pairs[0]] + pairs[2:] + [pairs[2]],
    }
    for what, ps in combos.items():
        hdr = ["; ".join(ps)]
        c.eq(outcome_rust(peer.ask(op="open", now=T0, cookie_header=hdr, **cfg)),
             outcome_py(codec.open_cookies, hdr, T0), what)
    # Budget counting for quoted values.
    pairs = pairs_of(codec_of(base).seal_cookies(os.urandom(200), T0))
    size = len(pairs[0])
    for total in (size, size + 1, size + 2):
        cfg = dict(base, max_total_bytes=total)
        hdr = [f's="{value_of(pairs[0])}"']
        c.eq(outcome_rust(peer.ask(op="open", now=T0, cookie_header=hdr, **cfg)),
             outcome_py(codec_of(cfg).open_cookies, hdr, T0), f"quoted value against a budget of {total - size:+d}")


def live_config(c: Checks, peer: Peer, rnd: random.Random):
    """Which configurations are accepted (FORMAT.md's bounds on names, purposes, limits, lifetimes,
    persistence, schema versions and attributes): the same verdict on both sides."""
    ring = Keyring([Key(1, bytes(32))]).render()
    base = {"keyring": ring, "mode": "encrypted", "cookie_name": "s", "purpose": "p",
            "max_cookie_bytes": 4000, "max_total_bytes": 6144}
    cases = [{"cookie_name": n} for n in ["", "a", "a.b", "s.1", "a b", "a=b", "a;b", "a,b", 'a"b', "a/b", "a:b",
                                          "a@b", "a{b", "a\tb", "\u00e9", "a!#$%&'*+-^_`|~", "x" * 200, "x" * 201,
                                          "__host-x", "__HOST-x", "__secure-x"]]
    cases += [{"purpose": p} for p in ["", "x" * 255, "x" * 256, "\u00e9" * 127, "\u00e9" * 128, "a\x00b"]]
    cases += [{"expiry": {"absolute": a, "idle": i, "skew": s, "persistent": p}} for a, i, s, p in [
        (ss.MAX_LIFETIME, None, 0, True), (ss.MAX_LIFETIME + 1, None, 0, True), (None, ss.MAX_LIFETIME, 0, True),
        (None, ss.MAX_LIFETIME + 1, 0, True), (0, None, 0, True), (None, 0, 0, True), (1, 1, 3600, True),
        (None, None, 3601, True), (100, 200, 0, True), (None, None, 0, False), (None, None, 60, True),
        (1, None, 0, False), (None, 1, 0, False), (ss.MAX_LIFETIME, ss.MAX_LIFETIME, 3600, False)]]
    cases += [{"schema": s} for s in (0, 1, 2 ** 32 - 1)]
    cases += [{"max_cookie_bytes": a, "max_total_bytes": b} for a, b in [
        (4096, 65536), (4097, 65536), (4000, 65537), (4000, 64), (4000, 63), (4000, 0), (400, 200)]]
    for attrs in [{"path": "/a b"}, {"path": "a"}, {"path": "/a;b"}, {"path": "/" + "x" * 1023}, {"path": "/" + "x" * 1024},
                  {"domain": ""}, {"domain": "a;b"}, {"domain": "example.com"}, {"secure": False},
                  {"same_site": "None", "secure": False}, {"same_site": "None"}]:
        for name in ("s", "__Host-s", "__Secure-s"):
            cases.append({"attributes": attrs, "cookie_name": name})
    for over in cases:
        cfg = dict(base, **over)
        ans = peer.ask(op="open", now=T0, cookie_header=["x=1"], **cfg)
        py = py_kind(config_of(cfg).validate)[0]
        c.eq(ans.get("kind", "ok"), {"ok": "ok"}.get(py, py), f"configuration {json.dumps(over)[:70]}")


def craft_token(codec: Codec, key: Key, pt: bytes, usage: int = USAGE_TOKEN, version: int = 2) -> str:
    return b64_encode(codec.seal_plaintext(key, pt, usage, version=version))


def live_crafted(c: Checks, peer: Peer, rnd: random.Random):
    """Authentic envelopes with plaintexts no sealer writes: step 5 of opening (section 3.1),
    version 2 (flags, lifetimes, schema) and version 1."""
    key = Key(0x0A0B0C0D, os.urandom(32))
    sid = os.urandom(16)
    v = ss.varint_encode
    times = {
        "well-formed": sid + v(T0) + v(5),
        "non-minimal issued_at": sid + bytes.fromhex("80a4a7da8600") + v(0),
        "non-minimal delta": sid + v(T0) + bytes.fromhex("8000"),
        "issued_at = MAX_UNIX": sid + v(ss.MAX_UNIX) + v(0),
        "issued_at + delta = MAX_UNIX + 1": sid + v(ss.MAX_UNIX) + v(1),
        "issued_at = MAX_UNIX + 1": sid + v(ss.MAX_UNIX + 1) + v(0),
        "issued_at = 2^64 - 1": sid + v(2 ** 64 - 1) + v(0),
        "delta = 2^64 - 1": sid + v(0) + v(2 ** 64 - 1),
        "10th varint byte 0x02": sid + bytes.fromhex("ffffffffffffffffff02") + v(0),
        "11-byte varint": sid + bytes.fromhex("8080808080808080808001") + v(0),
        "issued in the future": sid + v(T0 + 1000) + v(0),
        "sealed in the future": sid + v(T0) + v(1000),
        "issued long ago": sid + v(0) + v(T0),
    }
    L = ss.MAX_LIFETIME
    tail = {  # what follows the two time varints in version 2
        "flags 0x07, 1 day, 1 hour, schema 0": bytes([7]) + v(86400) + v(3600) + v(0) + b"data",
        "flags 0x00 (browser-session, no limits), schema 0": bytes([0]) + v(0),
        "flags 0x04, schema 0": bytes([4]) + v(0),
        "flags 0x01, absolute 1": bytes([1]) + v(1) + v(0),
        "flags 0x02, idle max": bytes([2]) + v(L) + v(0),
        "flags 0x03, both max": bytes([3]) + v(L) + v(L) + v(0),
        "absolute 0": bytes([1]) + v(0) + v(0),
        "idle 0": bytes([2]) + v(0) + v(0),
        "absolute max + 1": bytes([1]) + v(L + 1) + v(0),
        "idle max + 1": bytes([2]) + v(L + 1) + v(0),
        "absolute non-minimal": bytes([1]) + bytes.fromhex("8100") + v(0),
        "reserved flag 0x08": bytes([8]) + v(0),
        "reserved flag 0x80": bytes([0x84]) + v(0),
        "flags 0xff": bytes([0xFF]) + v(1) + v(1) + v(0),
        "absolute announced, missing": bytes([1]),
        "idle announced, schema missing": bytes([2]) + v(60),
        "schema missing": bytes([4]),
        "no flags byte": b"",
        "schema 2^32 - 1": bytes([4]) + v(2 ** 32 - 1) + b"x",
        "schema 2^32": bytes([4]) + v(2 ** 32) + b"x",
        "schema 2^64 - 1": bytes([4]) + v(2 ** 64 - 1),
        "schema non-minimal": bytes([4]) + bytes.fromhex("8000"),
        "schema 9, data": bytes([4]) + v(9) + os.urandom(30),
    }
    for mode in ("encrypted", "signed"):
        cfg = {"keyring": Keyring([key]).render(), "mode": mode, "cookie_name": "s", "purpose": "p",
               "max_cookie_bytes": 4000, "max_total_bytes": 6144, "schema": 3,
               "expiry": {"absolute": None, "idle": None, "skew": 60}}
        codec = codec_of(cfg)
        for what, pt in times.items():
            for tname, t in (("flags 0x04 schema 0", bytes([4]) + v(0) + b"data"),):
                token = craft_token(codec, key, pt + t)
                c.eq(outcome_rust(peer.ask(op="open", now=T0, token=token, **cfg)), outcome_py(codec.open_token, token, T0),
                     f"{mode}: crafted v2 plaintext, {what}, {tname}")
            token = craft_token(codec, key, pt + b"data", version=1)
            c.eq(outcome_rust(peer.ask(op="open", now=T0, token=token, **cfg)), outcome_py(codec.open_token, token, T0),
                 f"{mode}: crafted v1 plaintext, {what}")
        for what, t in tail.items():
            token = craft_token(codec, key, sid + v(T0) + v(0) + t)
            for opener_cfg in (cfg, dict(cfg, expiry={"absolute": 600, "idle": 60, "skew": 0, "persistent": False})):
                c.eq(outcome_rust(peer.ask(op="open", now=T0, token=token, **opener_cfg)),
                     outcome_py(codec_of(opener_cfg).open_token, token, T0),
                     f"{mode}: crafted v2 plaintext, {what}, opener {opener_cfg['expiry']}")
        # Envelope-level oddities of a token.
        frame = bytes([ss.FORMAT_CHUNK, 0, 2]) + os.urandom(60)
        smallest = {2: sid + v(0) + v(0) + bytes([0]) + v(0), 1: sid + v(0) + v(0)}
        for what, token in {"a chunk frame as a token": b64_encode(frame),
                            "format byte 0x13": b64_encode(b"\x13" + os.urandom(80)),
                            "format byte 0x23": b64_encode(b"\x23" + os.urandom(80)),
                            "format byte 0x20": b64_encode(b"\x20" + os.urandom(80)),
                            "smallest v2": craft_token(codec, key, smallest[2]),
                            "smallest v2 less a byte": b64_encode(b64_decode(craft_token(codec, key, smallest[2]))[:-1]),
                            "smallest v1": craft_token(codec, key, smallest[1], version=1),
                            "smallest v1 less a byte": b64_encode(b64_decode(craft_token(codec, key, smallest[1], version=1))[:-1]),
                            "v1 plaintext under a v2 format byte": craft_token(codec, key, smallest[1] + b"abcd"),
                            "usage byte 0x03": craft_token(codec, key, smallest[2], usage=3),
                            "usage byte 0x00": craft_token(codec, key, smallest[2], usage=0),
                            "garbage of the budget's length": "A" * 6144,
                            "garbage one over the budget": "A" * 6145}.items():
            c.eq(outcome_rust(peer.ask(op="open", now=T0, token=token, **cfg)), outcome_py(codec.open_token, token, T0),
                 f"{mode}: token, {what}")
            hdr = [f"s={token}"]
            c.eq(outcome_rust(peer.ask(op="open", now=T0, cookie_header=hdr, **cfg)), outcome_py(codec.open_cookies, hdr, T0),
                 f"{mode}: cookie, {what}")


def live_v1(c: Checks, peer: Peer, rnd: random.Random, vectors_v1: dict):
    """The frozen version-1 vectors: Rust and Python open them alike as cookies and as tokens, and
    re-seal them as version 2 to the same bytes."""
    for v in vectors_v1["envelopes"]:
        name = "v1 " + v["name"]
        cfg = {k: v[k] for k in ("keyring", "mode", "cookie_name", "purpose", "max_cookie_bytes", "max_total_bytes", "expiry")}
        codec = codec_of(cfg)
        hdr, token = v1_inputs(v)
        for t in (v["now"], v["now"] + 1000, v["now"] + 86400 + 60):
            c.eq(outcome_rust(peer.ask(op="open", now=t, cookie_header=hdr, **cfg)), outcome_py(codec.open_cookies, hdr, t),
                 f"{name}: opened as a cookie at now{t - v['now']:+d}")
            c.eq(outcome_rust(peer.ask(op="open", now=t, token=token, **cfg)), outcome_py(codec.open_token, token, t),
                 f"{name}: opened as a token at now{t - v['now']:+d}")
        opened = codec.open_cookies(hdr, v["now"])
        lines, tok = v1_reseals(codec, v, opened)
        rnd_hex = V1_NONCE.hex() if v["mode"] == "encrypted" else ""
        ans = peer.ask(op="seal", kind="cookie", now=v["now"], previous_now=v["now"], previous_cookie_header=hdr,
                       payload=v["payload"], random=rnd_hex, **cfg)
        c.eq(ans.get("set_cookie"), lines, f"{name}: re-sealed as version-2 cookies, the same bytes")
        ans = peer.ask(op="seal", kind="token", now=v["now"], previous_now=v["now"], previous_token=token,
                       payload=v["payload"], random=rnd_hex, **cfg)
        c.eq(ans.get("token"), tok, f"{name}: re-sealed as a version-2 token, the same bytes")
        # Under a shorter policy and a newer schema: the policy's lifetime, the codec's schema.
        other = dict(cfg, expiry={"absolute": 3600, "idle": 600, "skew": 0, "persistent": False}, schema=4)
        ocodec = codec_of(other)
        for t in (v["now"], v["now"] + 599, v["now"] + 600):
            c.eq(outcome_rust(peer.ask(op="open", now=t, token=token, **other)), outcome_py(ocodec.open_token, token, t),
                 f"{name}: opened under a shorter browser-session policy at now{t - v['now']:+d}")
        ans = peer.ask(op="seal", kind="cookie", now=v["now"] + 10, previous_now=v["now"] + 10, previous_token=token,
                       payload=v["payload"], random=rnd_hex, **other)
        o = py_kind(ocodec.open_token, token, v["now"] + 10)
        if o[0] != "ok":
            c.eq(outcome_rust(ans), error_dict(o[1]), f"{name}: not re-sealed under that policy: the previous does not open")
            continue
        py = ocodec.seal_cookies(bytes.fromhex(v["payload"]), v["now"] + 10, ReplayRng(V1_NONCE), Previous.of(o[1]))
        c.eq(ans.get("set_cookie"), py, f"{name}: re-sealed under that policy: the same lines (no Max-Age)")
        c.eq(outcome_rust(peer.ask(op="open", now=v["now"] + 10, cookie_header=[cookie_header(py)], **cfg)),
             outcome_py(codec.open_cookies, [cookie_header(py)], v["now"] + 10),
             f"{name}: that re-seal carries its lifetime back to the first policy")


def live_usage(c: Checks, peer: Peer, rnd: random.Random):
    """Section 3 and 6: a cookie value never opens as a token, nor a token as a cookie."""
    for mode in ("encrypted", "signed"):
        for limit in (4000, 500):
            cfg = base_cfg(rnd, mode, cookie_name="u", max_cookie_bytes=limit, max_total_bytes=16000)
            codec = codec_of(cfg)
            payload = os.urandom(40 if limit == 4000 else 900)
            chunked = limit == 500
            for who in ("python", "rust"):
                if who == "python":
                    lines = codec.seal_cookies(payload, T0)
                    token = codec.seal_token(payload, T0)
                else:
                    lines = peer.ask(op="seal", kind="cookie", now=T0, payload=payload.hex(), **cfg)["set_cookie"]
                    token = peer.ask(op="seal", kind="token", now=T0, payload=payload.hex(), **cfg)["token"]
                env = envelope_of_lines(lines, chunked)
                as_token = b64_encode(env)
                as_cookie = [f"u={token}"]
                what = f"{mode}, {who} seals{' (chunked)' if chunked else ''}"
                for label, ans, py in (
                        ("cookie value as a token", peer.ask(op="open", now=T0, token=as_token, **cfg),
                         outcome_py(codec.open_token, as_token, T0)),
                        ("token as a cookie", peer.ask(op="open", now=T0, cookie_header=as_cookie, **cfg),
                         outcome_py(codec.open_cookies, as_cookie, T0))):
                    c.eq((outcome_rust(ans), py), ({"kind": "authentication", "dead": True},) * 2, f"{what}: {label}")
                # ...while each opens where it belongs.
                c.eq(outcome_rust(peer.ask(op="open", now=T0, token=token, **cfg)).get("payload"), payload.hex(),
                     f"{what}: the token opens as a token")
                c.eq(outcome_rust(peer.ask(op="open", now=T0, cookie_header=[cookie_header(lines)], **cfg)).get("payload"),
                     payload.hex(), f"{what}: the cookies open as cookies")
                # A token chunked into cookie frames by hand is still a token.
                if chunked:
                    tenv = b64_decode(token)
                    half = len(tenv) // 2 + 1
                    frames = [bytes([ss.FORMAT_CHUNK, i, 2]) + tenv[-4:] + part for i, part in enumerate((tenv[:half], tenv[half:]))]
                    hdr = [f"u={b64_encode(frames[0])}; u.1={b64_encode(frames[1])}"]
                    c.eq(outcome_rust(peer.ask(op="open", now=T0, cookie_header=hdr, **cfg)),
                         outcome_py(codec.open_cookies, hdr, T0), f"{what}: a token framed as chunks")


def live_lifetimes(c: Checks, peer: Peer, rnd: random.Random):
    """Section 7: persistence, lifetimes asked for at the first seal, capping by the opener's
    policy, the deadline edges and the strict re-seal."""
    ring = Keyring([Key(0x11, os.urandom(32))]).render()
    base = {"keyring": ring, "cookie_name": "lt", "purpose": "p", "max_cookie_bytes": 4000, "max_total_bytes": 6144}
    payload = b"lifetime"
    policies = {
        "day/2h persistent": {"absolute": 86400, "idle": 7200, "skew": 60, "persistent": True},
        "day/2h browser": {"absolute": 86400, "idle": 7200, "skew": 60, "persistent": False},
        "none persistent": {"absolute": None, "idle": None, "skew": 0, "persistent": True},
        "30m idle browser": {"absolute": None, "idle": 1800, "skew": 30, "persistent": False},
        "month": {"absolute": 30 * 86400, "idle": 30 * 86400, "skew": 120, "persistent": True},
    }
    requests = [None, {"absolute": None, "idle": None, "persistent": True}, {"absolute": None, "idle": None, "persistent": False},
                {"absolute": 30 * 86400, "idle": None, "persistent": True}, {"absolute": None, "idle": 600, "persistent": False},
                {"absolute": 900, "idle": 300, "persistent": True}, {"absolute": 0, "idle": None, "persistent": True},
                {"absolute": None, "idle": ss.MAX_LIFETIME + 1, "persistent": False},
                {"absolute": ss.MAX_LIFETIME, "idle": ss.MAX_LIFETIME, "persistent": False}]
    for mode in ("encrypted", "signed"):
        for pname, policy in policies.items():
            cfg = dict(base, mode=mode, expiry=policy)
            codec = codec_of(cfg)
            for req in requests:
                for kind in ("cookie", "token"):
                    what = f"{mode} {kind}, policy {pname}, asks {req}"
                    data = payload if req is None else postcard_vec(payload)
                    rng = ReplayRng(bytes(range(40)))
                    py = py_kind(seal_py, codec, kind, data, T0, rng, None, None if req is None else lifetime_of(req))
                    ans = peer.ask(op="seal", kind=kind, now=T0, payload=payload.hex(), random=bytes(range(40)).hex(),
                                   lifetime=req, **cfg)
                    if py[0] != "ok":
                        c.eq(outcome_rust(ans), error_dict(py[1]), f"{what}: both refuse")
                        continue
                    c.eq(sealed_of(ans) if "error" not in ans else ans, py[1], f"{what}: the same bytes")
                    o = open_py(codec, kind, py[1], T0)
                    if kind == "cookie":
                        c.eq(any("Max-Age" in line for line in py[1]), o.lifetime.persistent and o.expires_at is not None,
                             f"{what}: Max-Age exactly when persistent with a deadline")
                        c.eq(ans.get("meta", {}).get("lifetime"), lifetime_dict(o.lifetime), f"{what}: Rust reports the lifetime written")
                    # Opened by every policy: capped, never extended; persistence the value's.
                    for oname, opolicy in policies.items():
                        ocfg = dict(cfg, expiry=opolicy)
                        for dt in (0, 299, 300, 1799, 1800, 7200 + 60):
                            c.eq(outcome_rust(peer.ask(op="open", now=T0 + dt, **request_of(kind, py[1]), **ocfg)),
                                 outcome_py(open_py, codec_of(ocfg), kind, py[1], T0 + dt),
                                 f"{what}: opened by policy {oname} at {dt:+d}")
    # The deadline edges: expires_at - 1 opens, expires_at and expires_at + S - 1 are past the
    # deadline (open, read-only), expires_at + S is expired; a re-seal is refused from expires_at.
    for mode in ("encrypted", "signed"):
        for pname, policy, req in (("absolute", {"absolute": 1000, "idle": None, "skew": 45}, None),
                                   ("idle", {"absolute": None, "idle": 1000, "skew": 45}, None),
                                   ("idle, no skew", {"absolute": None, "idle": 1000, "skew": 0}, None),
                                   ("carried idle below the policy", {"absolute": 86400, "idle": 7200, "skew": 20},
                                    {"absolute": None, "idle": 500, "persistent": False}),
                                   ("carried absolute, re-sealed once", {"absolute": 86400, "idle": 7200, "skew": 20},
                                    {"absolute": 1200, "idle": None, "persistent": True})):
            cfg = dict(base, mode=mode, expiry=policy)
            codec = codec_of(cfg)
            for kind in ("cookie", "token"):
                data = payload if req is None else postcard_vec(payload)
                sealed = seal_py(codec, kind, data, T0, lifetime=None if req is None else lifetime_of(req))
                if pname.endswith("re-sealed once"):
                    sealed = seal_py(codec, kind, data, T0 + 400, previous=Previous.of(open_py(codec, kind, sealed, T0 + 400)))
                exp = open_py(codec, kind, sealed, T0 + 400).expires_at
                s = policy["skew"]
                what = f"{mode} {kind}, {pname} deadline"
                for label, t in (("expires_at-1", exp - 1), ("expires_at", exp), ("expires_at+S-1", exp + s - 1),
                                 ("expires_at+S", exp + s)):
                    got = outcome_rust(peer.ask(op="open", now=t, **request_of(kind, sealed), **cfg))
                    want = outcome_py(open_py, codec, kind, sealed, t)
                    c.eq(got, want, f"{what}: open at {label}")
                    # Re-seal at t of the value as opened at expires_at - 1 (alive then) and as
                    # opened at t.
                    for prev_at in (exp - 1, t):
                        pr = py_kind(open_py, codec, kind, sealed, prev_at)
                        ans = peer.ask(op="seal", kind=kind, now=t, previous_now=prev_at, **previous_of(kind, sealed),
                                       payload=data.hex(), random="00" * 24, **cfg)
                        if pr[0] != "ok":
                            c.eq(outcome_rust(ans), error_dict(pr[1]), f"{what}: re-seal at {label}, previous does not open")
                            continue
                        py = py_kind(seal_py, codec, kind, data, t, ReplayRng(bytes(24)), Previous.of(pr[1]))
                        c.eq(sealed_of(ans) if "error" not in ans else outcome_rust(ans),
                             py[1] if py[0] == "ok" else error_dict(py[1]),
                             f"{what}: re-seal at {label} of the value opened at {prev_at - exp:+d}")
                want_kinds = ([("ok", False), ("ok", True), ("ok", True), ("expired", None)] if s else
                              [("ok", False), ("expired", None), ("ok", False), ("expired", None)])
                got_kinds = []
                for t in (exp - 1, exp, exp + s - 1, exp + s):
                    r = py_kind(open_py, codec, kind, sealed, t)
                    got_kinds.append((r[0], r[1].past_deadline if r[0] == "ok" else None))
                c.eq(got_kinds, want_kinds, f"{what}: open, past the deadline, past the deadline, expired")
    # A re-seal on a clock behind the sealer's (now < issued_at, inside the skew): sealed_at is
    # issued_at and Max-Age counts from now.
    for mode in ("encrypted", "signed"):
        cfg = dict(base, mode=mode, expiry={"absolute": 3600, "idle": 600, "skew": 60, "persistent": True})
        codec = codec_of(cfg)
        first = codec.seal_cookies(payload, T0)
        for t in (T0 - 60, T0 - 30, T0 - 1):
            prev = py_kind(codec.open_cookies, [cookie_header(first)], t)
            ans = peer.ask(op="seal", kind="cookie", now=t, previous_now=t, previous_cookie_header=[cookie_header(first)],
                           payload=payload.hex(), random="00" * 24, **cfg)
            py = py_kind(codec.seal_cookies, payload, t, ReplayRng(bytes(24)), Previous.of(prev[1])) if prev[0] == "ok" else prev
            c.eq(ans.get("set_cookie", outcome_rust(ans)), py[1] if py[0] == "ok" else error_dict(py[1]),
                 f"{mode}: re-seal at issued_at{t - T0:+d}")
    # Which failure a seal reports when several apply (no sealing key, a refused lifetime, a
    # dead previous value, too large).
    for mode in ("encrypted", "signed"):
        late = Key(0x12, os.urandom(32), T0 + 1000)
        cfg = dict(base, mode=mode, keyring=Keyring([late]).render(), max_cookie_bytes=200, max_total_bytes=300,
                   expiry={"absolute": None, "idle": None, "skew": 0, "persistent": True})
        codec = codec_of(cfg)
        for what, req, size in (("no key, browser lifetime without deadline", {"absolute": None, "idle": None, "persistent": False}, 10),
                                ("no key, lifetime 0", {"absolute": 0, "idle": None, "persistent": True}, 10),
                                ("no key, too large", None, 5000),
                                ("no key, bad lifetime, too large", {"absolute": 0, "idle": None, "persistent": True}, 5000)):
            for kind in ("cookie", "token"):
                data = bytes(size) if req is None else postcard_vec(bytes(size))
                py = py_kind(seal_py, codec, kind, data, T0, ReplayRng(bytes(40)), None, None if req is None else lifetime_of(req))
                ans = peer.ask(op="seal", kind=kind, now=T0, payload=bytes(size).hex(), random="00" * 40, lifetime=req, **cfg)
                c.eq(outcome_rust(ans), error_dict(py[1]) if py[0] != "ok" else sealed_of(ans), f"{mode} {kind}: {what}")
        ok_cfg = dict(cfg, keyring=Keyring([Key(0x12, late.secret)]).render(), expiry={"absolute": 100, "idle": None, "skew": 0})
        okc = codec_of(ok_cfg)
        tok = okc.seal_token(b"x", T0)
        prev = Previous.of(okc.open_token(tok, T0))
        for what, ring, size in (("dead previous, too large", ok_cfg["keyring"], 5000),
                                 ("dead previous, no key", cfg["keyring"], 10)):
            for kind in ("cookie", "token"):
                rc = dict(ok_cfg, keyring=ring)
                py = py_kind(seal_py, codec_of(rc), kind, bytes(size), T0 + 100, ReplayRng(bytes(40)), prev)
                ans = peer.ask(op="seal", kind=kind, now=T0 + 100, previous_now=T0, previous_token=tok,
                               payload=bytes(size).hex(), random="00" * 40, **rc)
                c.eq(outcome_rust(ans), error_dict(py[1]) if py[0] != "ok" else sealed_of(ans), f"{mode} {kind}: {what}")
    # Re-seal under a shorter policy: the lifetime in force is written, and travels back.
    for mode in ("encrypted", "signed"):
        long_cfg = dict(base, mode=mode, expiry=policies["month"])
        short_cfg = dict(base, mode=mode, expiry={"absolute": 7200, "idle": 900, "skew": 0, "persistent": True})
        lc, sc = codec_of(long_cfg), codec_of(short_cfg)
        for kind in ("cookie", "token"):
            first = seal_py(lc, kind, payload, T0)
            ans = peer.ask(op="seal", kind=kind, now=T0 + 60, previous_now=T0 + 60, **previous_of(kind, first),
                           payload=payload.hex(), random="00" * 24, **short_cfg)
            py = seal_py(sc, kind, payload, T0 + 60, ReplayRng(bytes(24)), Previous.of(open_py(sc, kind, first, T0 + 60)))
            c.eq(sealed_of(ans), py, f"{mode} {kind}: re-seal under a shorter policy, the same bytes")
            back = open_py(lc, kind, py, T0 + 60)
            c.eq(lifetime_dict(back.lifetime), {"absolute": 7200, "idle": 900, "persistent": True},
                 f"{mode} {kind}: the shorter lifetime travels back to the longer policy")
            c.eq(outcome_rust(peer.ask(op="open", now=T0 + 60 + 900, **request_of(kind, py), **long_cfg)),
                 outcome_py(open_py, lc, kind, py, T0 + 60 + 900), f"{mode} {kind}: and expires there on its own deadline")


def live_schema(c: Checks, peer: Peer, rnd: random.Random):
    """Schema versions: the bytes API writes the codec's; older ones ask for a re-seal; the typed
    API reads only the versions it knows (section 3.1 steps 7 and 8)."""
    ring = Keyring([Key(0x22, os.urandom(32))]).render()
    for mode in ("encrypted", "signed"):
        base = {"keyring": ring, "mode": mode, "cookie_name": "sc", "purpose": "p", "max_cookie_bytes": 4000,
                "max_total_bytes": 6144, "expiry": {"absolute": 86400, "idle": 7200, "skew": 60, "persistent": True}}
        payload = b"schema"
        sealed = {}
        for s in (0, 1, 2, 3, 2 ** 32 - 1):
            cfg = dict(base, schema=s)
            for kind in ("cookie", "token"):
                ans = peer.ask(op="seal", kind=kind, now=T0, payload=postcard_vec(payload).hex(), **cfg)
                o = open_py(codec_of(cfg), kind, sealed_of(ans), T0)
                c.eq(o.schema, s, f"{mode} {kind}: Rust's bytes API writes the codec's schema {s}")
                if kind == "cookie":
                    c.eq(ans["meta"]["schema"], s, f"{mode}: Rust reports schema {s}")
                sealed[(s, kind)] = seal_py(codec_of(cfg), kind, postcard_vec(payload), T0)
        for opener_schema, older in ((2, [1]), (2, []), (0, []), (3, [0, 1, 2])):
            ocfg = dict(base, schema=opener_schema, older_schemas=older)
            oc = codec_of(ocfg)
            for (s, kind), value in sealed.items():
                what = f"{mode} {kind}: schema {s} opened by schema {opener_schema} reading {older}"
                for t in (T0, T0 + 3600, T0 + 86400 + 60):
                    c.eq(outcome_rust(peer.ask(op="open", now=t, **request_of(kind, value), **ocfg)),
                         outcome_py(open_py, oc, kind, value, t), f"{what}, bytes API at {t - T0:+d}")
                    opener = (lambda v, t_, oc_=oc, k=kind: open_py(oc_, k, v, t_))
                    c.eq(outcome_rust(peer.ask(op="open", now=t, typed=True, **request_of(kind, value), **ocfg)),
                         outcome_py(typed(opener, {opener_schema, *older}), value, t), f"{what}, typed API at {t - T0:+d}")
            # An old-schema value re-sealed: the codec's schema is written.
            value = sealed[(1, "token")]
            ans = peer.ask(op="seal", kind="token", now=T0 + 10, previous_now=T0 + 10, previous_token=value,
                           payload=postcard_vec(payload).hex(), random="00" * 24, **ocfg)
            py = oc.seal_token(postcard_vec(payload), T0 + 10, ReplayRng(bytes(24)), Previous.of(oc.open_token(value, T0 + 10)))
            c.eq(ans.get("token"), py, f"{mode}: an old-schema value re-sealed by schema {opener_schema}: the same token")
            c.eq(oc.open_token(py, T0 + 10).schema, opener_schema, f"{mode}: the re-seal writes schema {opener_schema}")
        # Bytes the typed API cannot read as its session type: authentic, left alone.
        cfg = dict(base, schema=2)
        codec = codec_of(cfg)
        for what, data in (("a length past the end", b"\x05ab"), ("a truncated length", b"\xff"), ("nothing", b"")):
            tok = codec.seal_token(data, T0)
            c.eq(outcome_rust(peer.ask(op="open", now=T0, token=tok, typed=True, **cfg)),
                 outcome_py(typed(codec.open_token, {2}), tok, T0), f"{mode}: typed API over {what}")
        # A version-1 value under a codec at schema 2: old format first, unknown to the typed API.
        key = Key(0x22, Keyring.parse(ring).keys[0].secret)
        cfg = dict(base, schema=2)
        codec = codec_of(cfg)
        v1 = b64_encode(codec.seal_plaintext(key, os.urandom(16) + ss.varint_encode(T0) + ss.varint_encode(0) + postcard_vec(payload),
                                             USAGE_TOKEN, version=1))
        for older in ([], [0]):
            ocfg = dict(cfg, older_schemas=older)
            c.eq(outcome_rust(peer.ask(op="open", now=T0, token=v1, **ocfg)), outcome_py(codec.open_token, v1, T0),
                 f"{mode}: a v1 value under schema 2, bytes API")
            c.eq(outcome_rust(peer.ask(op="open", now=T0, token=v1, typed=True, **ocfg)),
                 outcome_py(typed(codec.open_token, {2, *older}), v1, T0), f"{mode}: a v1 value under schema 2 reading {older}, typed API")


def live_chunk_rules(c: Checks, peer: Peer, rnd: random.Random):
    """Section 5.3: leftovers ignored, planted cookies beside the real ones ignored, what is
    refused, and the budget over every cookie."""
    for mode in ("encrypted", "signed"):
        cfg = base_cfg(rnd, mode, cookie_name="c", max_cookie_bytes=600, max_total_bytes=16000, expiry=DEFAULT_EXPIRY)
        codec = codec_of(cfg)
        payload = os.urandom(1800)
        real = pairs_of(codec.seal_cookies(payload, T0))
        n = len(real)
        bigger = pairs_of(codec.seal_cookies(os.urandom(4000), T0))     # more chunks: another generation
        same_n = pairs_of(codec.seal_cookies(os.urandom(1800), T0))     # same count, another generation
        whole = pairs_of(codec.seal_cookies(b"small", T0))              # one cookie
        c.check(len(bigger) > n >= 3 and len(same_n) == n and len(whole) == 1, f"{mode}: {n} chunks, {len(bigger)} for the bigger seal")
        frame = b64_decode(value_of(real[1]))
        wrong_index = f"c.1={b64_encode(frame[:1] + bytes([2]) + frame[2:])}"
        wrong_count = f"c.1={b64_encode(frame[:2] + bytes([n + 1]) + frame[2 + 1:])}"
        short = f"c.1={b64_encode(frame[:7])}"
        cases = {
            "leftovers of a bigger seal past the count": real + bigger[n:],
            "leftovers past the count, before the head": bigger[n:] + real,
            "leftovers up to chunk 15": real + [f"c.{i}=AAAA" for i in range(n, 16)],
            "five leftovers in one slot past the count": real + [f"c.{n}=AAAA"] * 5,
            "a whole value with chunks of another seal": whole + bigger[1:],
            "a whole value with five cookies in slot 1": whole + ["c.1=AAAA"] * 5,
            "chunks 1.. of a bigger seal without their head": bigger[1:],
            "chunks only, no head": real[1:],
            "a planted chunk 1 of another generation after the real one": real + [same_n[1]],
            "a planted chunk 1 of another generation before the real one": [same_n[1]] + real,
            "a planted chunk 1 of a bigger seal before the real one": [bigger[1]] + real,
            "planted chunks in every slot, before": same_n[1:] + real,
            "planted chunks in every slot, after": real + same_n[1:],
            "a planted chunk with the wrong index before the real one": [wrong_index] + real,
            "a planted chunk with the wrong count after the real one": real + [wrong_count],
            "a short frame before the real chunk": [short] + real,
            "garbage before the real chunk 1": ["c.1=*"] + real,
            "an empty value before the real chunk 1": ["c.1="] + real,
            "a whole envelope in slot 1 before the real chunk": [f"c.1={value_of(whole[0])}"] + real,
            "three planted beside the real chunk 1 (four)": ["c.1=AAAA", same_n[1], short] + real,
            "four planted beside the real chunk 1 (five)": ["c.1=AAAA", same_n[1], short, "c.1=*"] + real,
            "the real chunk 1 after four planted ones": ["c.1=AAAA", same_n[1], short, wrong_index] + real,
            "only a planted chunk 1 of another generation": [real[0], same_n[1]] + real[2:],
            "only garbage in slot 1": [real[0], "c.1=AAAA"] + real[2:],
            "garbage then another generation in slot 1": [real[0], "c.1=AAAA", same_n[1]] + real[2:],
            "another generation then garbage in slot 1": [real[0], same_n[1], "c.1=AAAA"] + real[2:],
            "two heads: the same value twice": real + real[:1],
            "two heads: another seal's head first": same_n[:1] + real,
            "two heads: a whole value and a frame": whole + real,
            "two heads: the same whole value twice": whole + whole,
            "two matching chunk 1": real + real[1:2],
            "two matching chunk 2 and a planted chunk 1": real + [same_n[1], real[2]],
            "two matching last chunks": real + real[-1:],
            "a duplicate of a leftover past the count": real + bigger[n:n + 1] * 2,
            "head of another seal with our chunks": same_n[:1] + real[1:],
            "our head with another seal's chunks": real[:1] + same_n[1:],
        }
        for what, ps in cases.items():
            hdr = ["; ".join(ps)]
            c.eq(outcome_rust(peer.ask(op="open", now=T0, cookie_header=hdr, **cfg)), outcome_py(codec.open_cookies, hdr, T0),
                 f"{mode}: {what}")
            hdr2 = ["; ".join(ps[::2]), "; ".join(ps[1::2])]
            c.eq(outcome_rust(peer.ask(op="open", now=T0, cookie_header=hdr2, **cfg)), outcome_py(codec.open_cookies, hdr2, T0),
                 f"{mode}: {what}, over two headers")
        # The budget counts every cookie of the slots, ignored ones included.
        for what, ps in (("leftovers past the count", real + bigger[n:]), ("planted beside chunk 1", real + [same_n[1]]),
                         ("a whole value with chunks", whole + bigger[1:]), ("chunks without a head", bigger[1:]),
                         ("five in one slot", real + [f"c.{n}=AAAA"] * 5)):
            pairs = [tuple(p.split("=", 1)) for p in ps]
            size = ss.cookie_header_bytes(pairs)
            for total in (size - 1, size):
                if total < 64:
                    continue
                tcfg = dict(cfg, max_total_bytes=total)
                hdr = ["; ".join(ps) + "; unrelated=" + "x" * 500]
                c.eq(outcome_rust(peer.ask(op="open", now=T0, cookie_header=hdr, **tcfg)),
                     outcome_py(codec_of(tcfg).open_cookies, hdr, T0), f"{mode}: budget {total - size:+d} with {what}")
        # The next seal deletes the leftovers the request carried.
        request = ["; ".join(real + bigger[n:] + [same_n[1]])]
        rec = RecordingRng()
        lines = codec.seal_cookies(payload, T0, rec, Previous.of(codec.open_cookies(request, T0)), request)
        ans = peer.ask(op="seal", kind="cookie", now=T0, previous_now=T0, previous_cookie_header=request,
                       request_cookie_header=request, payload=payload.hex(), random=rec.drawn.hex() or "00", **cfg)
        c.eq(ans.get("set_cookie"), lines, f"{mode}: the re-seal deletes the leftovers past its count")
        c.eq(ans.get("deleted_count"), len(bigger) - n, f"{mode}: {len(bigger) - n} leftovers deleted")


def live_keys(c: Checks, peer: Peer, rnd: random.Random):
    """Section 3.1 step 3: a key held but past its not_after is retired; a key not held is
    unknown. Only the retired key's cookies are dead."""
    k = Key(0x33, os.urandom(32))
    other = Key(0x44, os.urandom(32), T0 - 5)
    for mode in ("encrypted", "signed"):
        base = {"mode": mode, "cookie_name": "k", "purpose": "p", "max_cookie_bytes": 4000, "max_total_bytes": 6144,
                "expiry": {"absolute": None, "idle": None, "skew": 60}}
        codec = codec_of(dict(base, keyring=Keyring([k]).render()))
        lines = codec.seal_cookies(b"keys", T0)
        token = codec.seal_token(b"keys", T0)
        rings = {
            "held, no not_after": [k],
            "held, not_after later": [Key(k.id, k.secret, None, T0 + 100), other],
            "held, not_after now + 1": [Key(k.id, k.secret, None, T0 + 1)],
            "held, not_after now": [Key(k.id, k.secret, None, T0), other],
            "held, not_after long past": [Key(k.id, k.secret, None, T0 - 10 ** 6), other],
            "held, scheduled later (newer than the primary)": [Key(k.id, k.secret, T0 + 500), other],
            "held, older than the primary": [k, other],
            "held with another secret": [Key(k.id, os.urandom(32))],
            "held with another secret, retired": [Key(k.id, os.urandom(32), None, T0 - 1), other],
            "not held": [other],
            "not held, ring of 16": [Key(0x100 + i, os.urandom(32), T0 - 100 + i if i else None) for i in range(16)],
        }
        for what, keys in rings.items():
            cfg = dict(base, keyring=Keyring(keys).render())
            oc = codec_of(cfg)
            for t in (T0, T0 + 1):
                c.eq(outcome_rust(peer.ask(op="open", now=t, cookie_header=[cookie_header(lines)], **cfg)),
                     outcome_py(oc.open_cookies, [cookie_header(lines)], t), f"{mode}: cookie, key {what}, at {t - T0:+d}")
                c.eq(outcome_rust(peer.ask(op="open", now=t, token=token, **cfg)),
                     outcome_py(oc.open_token, token, t), f"{mode}: token, key {what}, at {t - T0:+d}")
        c.eq(outcome_py(codec_of(dict(base, keyring=Keyring([Key(k.id, k.secret, None, T0), other]).render())).open_token, token, T0),
             {"kind": "retired_key", "dead": True}, f"{mode}: retired key is dead")
        c.eq(outcome_py(codec_of(dict(base, keyring=Keyring([other]).render())).open_token, token, T0),
             {"kind": "unknown_key", "dead": False}, f"{mode}: unknown key is left alone")


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--no-peer", action="store_true", help="skip the live checks against Rust")
    ap.add_argument("--seed", type=int, default=20270115, help="seed for the random choices")
    ap.add_argument("-v", "--verbose", action="store_true")
    args = ap.parse_args()
    c = Checks(args.verbose)
    rnd = random.Random(args.seed)
    vectors = json.loads((ROOT / "tests" / "data" / "vectors.json").read_text())
    vectors_v1 = json.loads((ROOT / "tests" / "data" / "vectors_v1.json").read_text())
    c.run("xaes", check_xaes)
    c.run("primitives", check_primitives)
    c.run("vectors", check_vectors, vectors)
    c.run("vectors v1", check_vectors_v1, vectors_v1)
    c.run("python", check_python_only)
    live = ["keyrings", "rust seals", "python seals", "reseal and time", "deletions", "negative", "budgets", "probes",
            "config", "crafted", "v1", "usage", "lifetimes", "schema", "chunk rules", "keys"]
    calls = 0
    if not args.no_peer:
        try:
            peer = Peer()
        except OSError as e:
            c.section = "peer"
            c.check(False, "cannot start the Rust peer", e)
            print(f"{c.passed} passed, {c.failed} failed")
            return 1
        try:
            for name, fn, extra in [("keyrings", live_keyrings, ()), ("rust seals", live_rust_seals, ()),
                                    ("python seals", live_python_seals, ()), ("reseal and time", live_reseal_and_time, ()),
                                    ("deletions", live_deletions, ()), ("negative", live_negative, ()),
                                    ("budgets", live_budgets, ()), ("probes", live_python_probes, ()),
                                    ("config", live_config, ()), ("crafted", live_crafted, ()),
                                    ("v1", live_v1, (vectors_v1,)), ("usage", live_usage, ()),
                                    ("lifetimes", live_lifetimes, ()), ("schema", live_schema, ()),
                                    ("chunk rules", live_chunk_rules, ()), ("keys", live_keys, ())]:
                if not c.run(name, fn, peer, rnd, *extra):
                    break
        finally:
            calls = peer.calls
            peer.close()
    print("summary:")
    for name, (ok, bad) in c.per_section.items():
        print(f"  {name:16} {ok:6} passed {bad:4} failed{'  (live)' if name in live else ''}")
    live_ok = sum(v[0] for k, v in c.per_section.items() if k in live)
    live_bad = sum(v[1] for k, v in c.per_section.items() if k in live)
    print(f"vectors: {len(vectors['envelopes'])} v2 envelopes and {len(vectors['derived_keys'])} derived keys, "
          f"{len(vectors_v1['envelopes'])} v1 envelopes")
    if not args.no_peer:
        print(f"live: {live_ok + live_bad} comparisons with Rust over {calls} peer calls, {live_bad} disagreements")
    print(f"{c.passed} passed, {c.failed} failed")
    return 1 if c.failed else 0


if __name__ == "__main__":
    sys.exit(main())
