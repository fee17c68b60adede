#!/usr/bin/env python3
"""Cross-implementation check of FORMAT.md: the Python implementation (sealed_session_ref.py)
against the test vectors and, live, against the Rust crate (examples/interop_peer.rs).

Usage: python3 tests/interop/run.py [--no-peer] [--seed N] [-v]

Prints each failure, then a last line `N passed, M failed`; exits non-zero on any failure.
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
    Codec, Config, Key, Keyring, Previous, ReplayRng, SealedSessionError, b64_decode, b64_encode,
)

T0 = 1_800_000_000


class Checks:
    def __init__(self, verbose: bool):
        self.passed = 0
        self.failed = 0
        self.verbose = verbose
        self.section = ""

    def check(self, ok: bool, what: str, detail=None) -> bool:
        if ok:
            self.passed += 1
            if self.verbose:
                print(f"  ok   [{self.section}] {what}")
        else:
            self.failed += 1
            print(f"  FAIL [{self.section}] {what}" + (f"\n       {detail}" if detail is not None else ""))
        return ok

    def eq(self, got, want, what: str) -> bool:
        return self.check(got == want, what, f"got  {got!r}\n       want {want!r}")

    def run(self, name: str, fn, *args) -> bool:
        """Runs one group; an unexpected exception counts as one failure. Returns False when
        the Rust peer is gone (the remaining live groups are then skipped)."""
        self.section = name
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


def py_kind(fn, *args):
    """Runs fn; returns ("ok", result) or (kind, error)."""
    try:
        return "ok", fn(*args)
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
    e = c.get("expiry") or {"absolute": 86400, "idle": 7200, "skew": 60}
    a = c.get("attributes") or {}
    return Config(
        cookie_name=c["cookie_name"], purpose=c["purpose"], mode=c["mode"],
        max_cookie_bytes=c["max_cookie_bytes"], max_total_bytes=c["max_total_bytes"],
        absolute=e["absolute"], idle=e["idle"], skew=e["skew"],
        path=a.get("path", "/"), domain=a.get("domain"), secure=a.get("secure", True),
        http_only=a.get("http_only", True), same_site=a.get("same_site", "Lax"),
        expires=a.get("expires", True))


def codec_of(c: dict) -> Codec:
    return Codec(Keyring.parse(c["keyring"]), config_of(c))


def opened_dict(o: ss.Opened) -> dict:
    return {"payload": o.data.hex(), "session_id": o.session_id.hex(), "issued_at": o.issued_at,
            "sealed_at": o.sealed_at, "expires_at": o.expires_at, "key_id": f"{o.key_id:08x}",
            "reseal": o.reseal}


def outcome_py(fn, *args) -> dict:
    """A Python result in the peer's answer shape, for comparison."""
    try:
        r = fn(*args)
    except SealedSessionError as e:
        d = {"kind": e.kind}
        if e.index is not None:
            d["index"] = e.index
        return d
    if r is None:
        return {"none": True}
    return opened_dict(r)


def outcome_rust(ans: dict) -> dict:
    if "error" in ans:
        d = {"kind": ans["kind"]}
        if "index" in ans:
            d["index"] = ans["index"]
        return d
    return {k: v for k, v in ans.items()}


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


def check_vectors(c: Checks, vectors: dict):
    for v in vectors["envelopes"]:
        name = v["name"]
        ring = Keyring.parse(v["keyring"])
        c.eq(ring.render(), v["keyring"], f"{name}: keyring text round trip")
        codec = codec_of(v)
        payload = bytes.fromhex(v["payload"])
        prev = (Previous(bytes.fromhex(v["previous"]["session_id"]), v["previous"]["issued_at"],
                         v["previous"]["issued_at"]) if v["previous"] else None)
        rng = ReplayRng(bytes.fromhex(v["random"]))
        env = codec.seal_envelope(payload, v["now"], rng, prev)
        c.eq(env.hex(), v["envelope"], f"{name}: envelope")
        c.check(rng.exhausted(), f"{name}: envelope draws exactly the vector's random bytes")
        rng = ReplayRng(bytes.fromhex(v["random"]))
        if v["kind"] == "cookie":
            lines = codec.seal_cookies(payload, v["now"], rng, prev)
            c.eq(lines, v["set_cookie"], f"{name}: Set-Cookie lines")
            opened = codec.open_cookies([cookie_header(v["set_cookie"])], v["now"])
        else:
            c.eq(codec.seal_token(payload, v["now"], rng, prev), v["token"], f"{name}: token")
            opened = codec.open_token(v["token"], v["now"])
        c.check(rng.exhausted(), f"{name}: seal draws exactly the vector's random bytes")
        c.eq(opened.data, payload, f"{name}: opens to the payload")
        c.eq(codec.open_envelope(bytes.fromhex(v["envelope"]), v["now"]).data, payload,
             f"{name}: envelope opens to the payload")
        want_sid = bytes.fromhex(v["previous"]["session_id"]) if prev else bytes.fromhex(v["random"])[:16]
        c.eq(opened.session_id, want_sid, f"{name}: session id")
        c.eq(opened.issued_at, prev.issued_at if prev else v["now"], f"{name}: issued_at")
        c.eq(opened.sealed_at, v["now"], f"{name}: sealed_at")
    for d in vectors["derived_keys"]:
        k = ss.derive_key(bytes.fromhex(d["master"]), d["purpose"])
        c.eq((f"{k.id:08x}", k.secret.hex()), (d["id"], d["secret"]), f"derived key for {d['purpose']!r}")


def check_python_only(c: Checks):
    """Rules of the document that need no peer: keyring grammar, chunk errors, layout."""
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
    # Primary by time, whatever the order.
    keys = [Key(1, bytes(32)), Key(2, bytes(32), T0 + 10), Key(3, bytes(32), T0 - 10, T0 + 5)]
    for order in (keys, keys[::-1]):
        ring = Keyring(order)
        c.eq([ring.primary(t).id for t in (T0 - 20, T0, T0 + 5, T0 + 10)], [1, 3, 1, 2],
             "primary by not_before, independent of order")


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


def base_cfg(rnd: random.Random, mode: str, **over) -> dict:
    text, _ = random_keyring(rnd, T0)
    cfg = {"keyring": text, "mode": mode, "cookie_name": rnd.choice(["__Host-session", "sid", "__Secure-s"]),
           "purpose": rnd.choice(["session", "shop/cart", ""]), "max_cookie_bytes": 4000,
           "max_total_bytes": 6144,
           "expiry": rnd.choice([{"absolute": 86400, "idle": 7200, "skew": 60},
                                 {"absolute": None, "idle": None, "skew": 0},
                                 {"absolute": 3600, "idle": None, "skew": 5},
                                 {"absolute": None, "idle": 1801, "skew": 0}])}
    cfg.update(over)
    return cfg


SIZES = [0, 1, 17, 100, 700, 2000, 2900, 4500, 9000]


def live_rust_seals(c: Checks, peer: Peer, rnd: random.Random):
    """Rust seals with OS randomness; Python opens, and re-derives the exact lines from the
    session id and nonce it finds."""
    for mode in ("encrypted", "signed"):
        for size in SIZES:
            for limit in (4000, 1000, 600):
                cfg = base_cfg(rnd, mode, max_cookie_bytes=limit, max_total_bytes=16000)
                payload = os.urandom(size)
                what = f"rust seals {mode} {size} B, limit {limit}"
                ans = peer.ask(op="seal", kind="cookie", now=T0, payload=payload.hex(), **cfg)
                codec = codec_of(cfg)
                py = py_kind(codec.seal_cookies, payload, T0, ReplayRng(bytes(40)))
                if "error" in ans:
                    c.eq(py[0], ans["kind"], f"{what}: both refuse")
                    continue
                opened = codec.open_cookies([cookie_header(ans["set_cookie"])], T0)
                c.eq(opened.data, payload, f"{what} ({ans['chunk_count']} chunks): Python opens it")
                c.eq(opened_dict(opened) | {"payload": None}, ans["meta"] | {"payload": None, "reseal": None},
                     f"{what}: metadata")
                env = b"".join(b64_decode(p.split("=", 1)[1])[7 if ans["chunk_count"] > 1 else 0:]
                               for p in pairs_of(ans["set_cookie"]))
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
                what = f"python seals {mode} {size} B, limit {limit}"
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
            c.eq(back.get("payload"), payload.hex(), f"{what}: Rust opens it")


def live_reseal_and_time(c: Checks, peer: Peer, rnd: random.Random):
    """Re-seals across implementations, expiry and re-seal reasons at chosen times."""
    for mode in ("encrypted", "signed"):
        for kind in ("cookie", "token"):
            cfg = base_cfg(rnd, mode, expiry={"absolute": 86400, "idle": 7200, "skew": 60})
            codec = codec_of(cfg)
            payload = os.urandom(50)
            what = f"{mode} {kind}"
            # Python seals at T0, Rust re-seals at T0+3000 with the opened metadata.
            if kind == "cookie":
                first = codec.seal_cookies(payload, T0)
                prev = {"previous_cookie_header": [cookie_header(first)]}
            else:
                first = codec.seal_token(payload, T0)
                prev = {"previous_token": first}
            sid = (codec.open_cookies([cookie_header(first)], T0) if kind == "cookie"
                   else codec.open_token(first, T0)).session_id
            ans = peer.ask(op="seal", kind=kind, now=T0 + 3000, previous_now=T0 + 3000,
                           payload=payload.hex(), **prev, **cfg)
            opened = (codec.open_cookies([cookie_header(ans["set_cookie"])], T0 + 3000) if kind == "cookie"
                      else codec.open_token(ans["token"], T0 + 3000))
            c.eq((opened.session_id, opened.issued_at, opened.sealed_at), (sid, T0, T0 + 3000),
                 f"{what}: Rust re-seal of a Python session keeps id and issued_at")
            # Python re-seals that at T0+6000; Rust opens.
            prev = Previous(opened.session_id, opened.issued_at, opened.sealed_at)
            if kind == "cookie":
                again = codec.seal_cookies(payload, T0 + 6000, previous=prev)
                req = {"cookie_header": [cookie_header(again)]}
            else:
                req = {"token": codec.seal_token(payload, T0 + 6000, previous=prev)}
            back = peer.ask(op="open", now=T0 + 6000, **req, **cfg)
            c.eq((back.get("session_id"), back.get("issued_at"), back.get("sealed_at")),
                 (sid.hex(), T0, T0 + 6000), f"{what}: Python re-seal of a Rust session opens in Rust")
            # The same value opened at various times: expiry and reseal reasons agree.
            opener = codec.open_cookies if kind == "cookie" else codec.open_token
            arg = [req["cookie_header"]] if kind == "cookie" else [req["token"]]
            for dt in (-6000 - 61, -6000 - 60, -61, -60, 0, 3599, 3600, 7199, 7200 + 59, 7200 + 60,
                       86400 - 6000 + 59, 86400 - 6000 + 60, 10 ** 6):
                t = T0 + 6000 + dt
                c.eq(outcome_rust(peer.ask(op="open", now=t, **req, **cfg)), outcome_py(opener, *arg, t),
                     f"{what}: opened at sealed_at{dt:+d}")
            # Re-seals around the absolute deadline (a sealer gives no skew allowance).
            abs_cfg = dict(cfg, expiry={"absolute": 86400, "idle": None, "skew": 60})
            abs_codec = codec_of(abs_cfg)
            tok = abs_codec.seal_token(payload, T0)
            prev = Previous(abs_codec.open_token(tok, T0).session_id, T0, T0)
            for dt in (-1, 0, 1, 59, 60, 61):
                t = T0 + 86400 + dt
                ans = peer.ask(op="seal", kind=kind, now=t, previous_now=T0, previous_token=tok,
                               payload=payload.hex(), **abs_cfg)
                py = py_kind(abs_codec.seal_cookies if kind == "cookie" else abs_codec.seal_token, payload, t,
                             ReplayRng(bytes(24)), prev)
                c.eq(ans.get("kind", "ok"), py[0], f"{what}: re-seal at the absolute deadline{dt:+d}")
                c.eq(outcome_rust(peer.ask(op="open", now=t, token=tok, **abs_cfg)).get("kind", "ok"),
                     outcome_py(abs_codec.open_token, tok, t).get("kind", "ok"),
                     f"{what}: open at the absolute deadline{dt:+d}")
    # No revival: a re-seal checks the previous times as opening does, at the re-seal's now.
    for mode in ("encrypted", "signed"):
        cfg = base_cfg(rnd, mode, expiry={"absolute": None, "idle": 7200, "skew": 60})
        codec = codec_of(cfg)
        tok = codec.seal_token(b"idle", T0)
        prev = Previous(codec.open_token(tok, T0).session_id, T0, T0)
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
        retired = dict(cfg, keyring=Keyring([Key(7, old.secret, None, T0 + 50), new]).render())
        c.eq(outcome_rust(peer.ask(op="open", now=T0 + 50, cookie_header=[cookie_header(lines)], **retired)),
             outcome_py(codec_of(retired).open_cookies, [cookie_header(lines)], T0 + 50),
             f"{mode}: key past not_after")
    # Not yet valid: sealed at T0+1000, opened at T0.
    for mode in ("encrypted", "signed"):
        cfg = base_cfg(rnd, mode, expiry={"absolute": 86400, "idle": 7200, "skew": 60})
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
        for other in (dict(cfg, purpose=cfg["purpose"] + "x"), dict(cfg, mode={"encrypted": "signed", "signed": "encrypted"}[mode]),
                      dict(cfg, keyring=Keyring([Key(Keyring.parse(cfg["keyring"]).primary(T0).id, os.urandom(32))]).render()),
                      dict(cfg, keyring=Keyring([Key(1, os.urandom(32))]).render() if Keyring.parse(cfg["keyring"]).primary(T0).id != 1 else cfg["keyring"])):
            c.eq(outcome_rust(peer.ask(op="open", now=T0, token=tok, **other)),
                 outcome_py(codec_of(other).open_token, tok, T0), f"{mode}: token under another binding")
        moved = dict(cfg, cookie_name="elsewhere")
        hdr = f"elsewhere={value}"
        c.eq((outcome_rust(peer.ask(op="open", now=T0, cookie_header=[hdr], **moved)).get("kind"),
              outcome_py(codec_of(moved).open_cookies, [hdr], T0).get("kind")),
             ("authentication", "authentication"), f"{mode}: value moved to another cookie name")

        # Chunked: missing, duplicate, extra, mixed, reordered, tampered.
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
        cases["extra chunk 15"] = pairs + ["s.15=AAAA"]
        cases["extra chunk beyond n"] = pairs + [f"s.{n}={pairs[1].split('=', 1)[1]}"]
        cases["first two chunks swapped by name"] = [f"s={pairs[1].split('=', 1)[1]}", f"s.1={pairs[0].split('=', 1)[1]}"] + pairs[2:]
        cases["only chunk 0"] = pairs[:1]
        cases["truncated last chunk"] = pairs[:-1] + [pairs[-1][:-4]]
        frame0 = b64_decode(pairs[0].split("=", 1)[1])
        for count in (0, 1, 17, 255):
            cases[f"frame 0 claims {count} chunks"] = [f"s={b64_encode(frame0[:2] + bytes([count]) + frame0[3:])}"] + pairs[1:]
        cases["frame 0 of 7 bytes"] = [f"s={b64_encode(frame0[:7])}"] + pairs[1:]
        cases["a whole envelope plus chunk 1"] = [f"s={b64_encode(b64_decode(codec.seal_token(b'x', T0)))}", pairs[1]]
        cases["quoted values"] = [f'{p.split("=", 1)[0]}="{p.split("=", 1)[1]}"' for p in pairs]
        cases["spaces and tabs"] = [f" \t{p.split('=', 1)[0]} = {p.split('=', 1)[1]}\t" for p in pairs]
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
        for limit, total in ((4000, 6144), (1000, 3000), (300, 6144), (200, 6144), (4096, 65536)):
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
                    {"absolute": None, "idle": 600, "skew": 60}):
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
    value = pairs_of(codec.seal_cookies(b"x", T0))[0].split("=", 1)[1]
    for hdr in [f"s={value}", f's="{value}"', f"s ={value}", f"s= {value} ", f";;s={value};;",
                f"s={value}; s={value}", f"s={value}; s.1=", "s=", "s", f"S={value}", f"s.0={value}",
                f"s.1={value}", f"s.01={value}; s={value}", f"s.16={value}; s={value}", f"s={value}=",
                f's="{value}', f'"s"={value}']:
        c.eq(outcome_rust(peer.ask(op="open", now=T0, cookie_header=[hdr], **base)),
             outcome_py(codec.open_cookies, [hdr], T0), f"Cookie header {hdr[:10]!r}..{hdr[-8:]!r}")
    # Which error comes first among several chunk faults.
    cfg = dict(base, max_cookie_bytes=500, max_total_bytes=16000)
    codec = codec_of(cfg)
    pairs = pairs_of(codec.seal_cookies(os.urandom(1500), T0))
    v = [p.split("=", 1)[1] for p in pairs]
    n = len(pairs)
    combos = {
        "duplicates of 2 then 1 in header order": [pairs[0], pairs[2], pairs[1], pairs[2], pairs[1]] + pairs[3:],
        "chunk 1 malformed and chunk 2 missing": [pairs[0], "s.1=AAAA"] + pairs[3:],
        "chunk 1 mixed and chunk 2 missing": [pairs[0], f"s.1={v[2]}"] + pairs[3:],
        "chunk 0 missing and a duplicate": pairs[1:] + [pairs[1]],
        "chunk 0 missing and an extra chunk": pairs[1:] + ["s.15=AAAA"],
        "missing chunk 0 and over budget": pairs[1:] * 1,
        "extra chunk and missing chunk": pairs[:1] + pairs[2:] + ["s.15=AAAA"],
        "bad base64 in chunk 2 and missing chunk 3": pairs[:2] + ["s.2=*"] + pairs[4:],
        "frame 0 with index 1": [f"s={v[1]}"] + pairs[1:],
        "last chunk emptied": pairs[:-1] + [f"s.{n - 1}="],
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
        hdr = [f's="{pairs[0].split("=", 1)[1]}"']
        c.eq(outcome_rust(peer.ask(op="open", now=T0, cookie_header=hdr, **cfg)),
             outcome_py(codec_of(cfg).open_cookies, hdr, T0), f"quoted value against a budget of {total - size:+d}")


def live_config(c: Checks, peer: Peer, rnd: random.Random):
    """Which configurations are accepted (FORMAT.md's bounds on names, purposes, limits, lifetimes
    and attributes): the same verdict on both sides."""
    ring = Keyring([Key(1, bytes(32))]).render()
    base = {"keyring": ring, "mode": "encrypted", "cookie_name": "s", "purpose": "p",
            "max_cookie_bytes": 4000, "max_total_bytes": 6144}
    cases = [{"cookie_name": n} for n in ["", "a", "a.b", "s.1", "a b", "a=b", "a;b", "a,b", 'a"b', "a/b", "a:b",
                                          "a@b", "a{b", "a\tb", "\u00e9", "a!#$%&'*+-^_`|~", "x" * 200, "x" * 201,
                                          "__host-x", "__HOST-x", "__secure-x"]]
    cases += [{"purpose": p} for p in ["", "x" * 255, "x" * 256, "\u00e9" * 127, "\u00e9" * 128, "a\x00b"]]
    cases += [{"expiry": {"absolute": a, "idle": i, "skew": s}} for a, i, s in [
        (ss.MAX_LIFETIME, None, 0), (ss.MAX_LIFETIME + 1, None, 0), (None, ss.MAX_LIFETIME, 0),
        (None, ss.MAX_LIFETIME + 1, 0), (0, None, 0), (None, 0, 0), (1, 1, 3600), (None, None, 3601), (100, 200, 0)]]
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


def live_crafted(c: Checks, peer: Peer, rnd: random.Random):
    """Authentic envelopes with plaintexts no sealer writes: step 5 of opening (section 3.1)."""
    key = Key(0x0A0B0C0D, os.urandom(32))
    sid = os.urandom(16)
    v = ss.varint_encode
    cases = {
        "well-formed": sid + v(T0) + v(5) + b"data",
        "no data": sid + v(T0) + v(0),
        "non-minimal issued_at": sid + bytes.fromhex("80a4a7da8600") + v(0),
        "non-minimal delta": sid + v(T0) + bytes.fromhex("8000"),
        "issued_at = MAX_UNIX": sid + v(ss.MAX_UNIX) + v(0),
        "issued_at + delta = MAX_UNIX + 1": sid + v(ss.MAX_UNIX) + v(1),
        "issued_at = MAX_UNIX + 1": sid + v(ss.MAX_UNIX + 1) + v(0),
        "issued_at = 2^64 - 1": sid + v(2 ** 64 - 1) + v(0),
        "delta = 2^64 - 1": sid + v(0) + v(2 ** 64 - 1),
        "10th varint byte 0x02": sid + bytes.fromhex("ffffffffffffffffff02") + v(0),
        "11-byte varint": sid + bytes.fromhex("8080808080808080808001") + v(0),
        "delta truncated": sid + bytes.fromhex("8001") + bytes.fromhex("80"),
        "delta missing": sid + bytes.fromhex("808001"),
        "17 bytes": sid + b"\x00",
        "issued in the future": sid + v(T0 + 1000) + v(0),
        "sealed in the future": sid + v(T0) + v(1000),
        "issued long ago": sid + v(0) + v(T0),
    }
    for mode in ("encrypted", "signed"):
        cfg = {"keyring": Keyring([key]).render(), "mode": mode, "cookie_name": "s", "purpose": "p",
               "max_cookie_bytes": 4000, "max_total_bytes": 6144,
               "expiry": {"absolute": None, "idle": None, "skew": 60}}
        codec = codec_of(cfg)
        for what, pt in cases.items():
            token = b64_encode(codec.seal_plaintext(key, pt))
            c.eq(outcome_rust(peer.ask(op="open", now=T0, token=token, **cfg)), outcome_py(codec.open_token, token, T0),
                 f"{mode}: crafted plaintext, {what}")
        # Envelope-level oddities of a token.
        frame = bytes([ss.FORMAT_CHUNK, 0, 2]) + os.urandom(60)
        for what, token in {"a chunk frame as a token": b64_encode(frame),
                            "format byte 0x13": b64_encode(b"\x13" + os.urandom(80)),
                            "62 bytes encrypted / 54 signed": b64_encode(codec.seal_plaintext(key, cases["no data"]))[:-2],
                            "garbage of the budget's length": "A" * 6144,
                            "garbage one over the budget": "A" * 6145}.items():
            c.eq(outcome_rust(peer.ask(op="open", now=T0, token=token, **cfg)), outcome_py(codec.open_token, token, T0),
                 f"{mode}: token, {what}")


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--no-peer", action="store_true", help="skip the live checks against Rust")
    ap.add_argument("--seed", type=int, default=20270115, help="seed for the random choices")
    ap.add_argument("-v", "--verbose", action="store_true")
    args = ap.parse_args()
    c = Checks(args.verbose)
    rnd = random.Random(args.seed)
    vectors = json.loads((ROOT / "tests" / "data" / "vectors.json").read_text())
    c.run("xaes", check_xaes)
    c.run("primitives", check_primitives)
    c.run("vectors", check_vectors, vectors)
    c.run("python", check_python_only)
    if not args.no_peer:
        try:
            peer = Peer()
        except OSError as e:
            c.section = "peer"
            c.check(False, "cannot start the Rust peer", e)
            print(f"{c.passed} passed, {c.failed} failed")
            return 1
        try:
            for name, fn in [("keyrings", live_keyrings), ("rust seals", live_rust_seals),
                             ("python seals", live_python_seals), ("reseal and time", live_reseal_and_time),
                             ("deletions", live_deletions), ("negative", live_negative),
                             ("budgets", live_budgets), ("probes", live_python_probes),
                             ("config", live_config), ("crafted", live_crafted)]:
                if not c.run(name, fn, peer, rnd):
                    break
        finally:
            peer.close()
    print(f"{c.passed} passed, {c.failed} failed")
    return 1 if c.failed else 0


if __name__ == "__main__":
    sys.exit(main())
