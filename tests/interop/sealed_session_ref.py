"""A second implementation of the sealed-session wire format, version 2 (sealing and opening)
and version 1 (opening, re-sealed as version 2).

Written from FORMAT.md alone (section numbers below refer to it), as a check that the document
is complete: a compatible sealer and opener in another language. It is a test tool, not a
library: it favours plain code over speed and has no API stability.

Dependencies: Python 3.11 and the `cryptography` package.
"""

from __future__ import annotations

import hmac as _hmac
import hashlib
import os
import re
import time
from dataclasses import dataclass, field
from typing import Callable, Optional

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF, HKDFExpand

# --- section 1: conventions -------------------------------------------------------------------

MAX_UNIX = 253402300799  # 9999-12-31T23:59:59Z


class SealedSessionError(Exception):
    """One error of the format. `kind` is a stable short name:

    malformed, authentication, unknown_key, retired_key, not_yet_valid, expired, too_large,
    duplicate_chunk, missing_chunk, mixed_generation, too_many_chunks, unknown_schema,
    no_primary_key, invalid_keyring, invalid_config.

    (Version 1's extra_chunk is gone: a version-2 opener ignores leftover chunks, 5.3.)

    `index` is set for the chunk errors that name one; `needed`/`allowed` for too_large.
    """

    def __init__(self, kind: str, detail: str = "", *, index: Optional[int] = None,
                 needed: Optional[int] = None, allowed: Optional[int] = None):
        self.kind = kind
        self.index = index
        self.needed = needed
        self.allowed = allowed
        super().__init__(f"{kind}: {detail}" if detail else kind)

    def cookies_are_dead(self) -> bool:
        """Section 5.3, last paragraph: the errors every node agrees on, so an application
        deletes the cookies; the others are left alone (and a write over them refused)."""
        return self.kind in DEAD_KINDS


DEAD_KINDS = {"malformed", "mixed_generation", "too_many_chunks", "missing_chunk",
              "authentication", "retired_key", "expired"}
LEFT_ALONE_KINDS = {"duplicate_chunk", "too_large", "unknown_key", "not_yet_valid", "unknown_schema"}


def clamp_time(t: int) -> int:
    """Section 1: times outside 0..=MAX_UNIX are clamped to that range."""
    return max(0, min(MAX_UNIX, t))


_B64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
_B64_INDEX = {c: i for i, c in enumerate(_B64)}


def b64_encode(data: bytes) -> str:
    """base64url without padding (section 1)."""
    out = []
    for i in range(0, len(data), 3):
        chunk = data[i:i + 3]
        v = int.from_bytes(chunk + b"\0" * (3 - len(chunk)), "big")
        chars = [_B64[(v >> s) & 63] for s in (18, 12, 6, 0)]
        out.append("".join(chars[: len(chunk) + 1]))
    return "".join(out)


def b64_decode(text: str) -> bytes:
    """Strict base64url decoding: rejects '=', foreign characters, whitespace, a length of
    1 mod 4 and non-zero unused bits, so each byte string has exactly one text form."""
    if len(text) % 4 == 1:
        raise SealedSessionError("malformed", "base64url length is 1 mod 4")
    vals = []
    for c in text:
        v = _B64_INDEX.get(c)
        if v is None:
            raise SealedSessionError("malformed", "character outside base64url")
        vals.append(v)
    out = bytearray()
    for i in range(0, len(vals), 4):
        group = vals[i:i + 4]
        acc = 0
        for v in group:
            acc = (acc << 6) | v
        bits = 6 * len(group)
        nbytes = bits // 8
        unused = bits - 8 * nbytes
        if acc & ((1 << unused) - 1):
            raise SealedSessionError("malformed", "non-zero unused bits in base64url")
        out += (acc >> unused).to_bytes(nbytes, "big")
    return bytes(out)


def b64len(n: int) -> int:
    return 4 * (n // 3) + (0, 2, 3)[n % 3]


def maxdec(c: int) -> int:
    return 3 * (c // 4) + (0, 0, 1, 2)[c % 4]


def varint_encode(x: int) -> bytes:
    if x < 0 or x >= 1 << 64:
        raise ValueError("varint out of range")
    out = bytearray()
    while True:
        b = x & 0x7F
        x >>= 7
        if x:
            out.append(b | 0x80)
        else:
            out.append(b)
            return bytes(out)


def varint_decode(buf: bytes, pos: int) -> tuple[int, int]:
    """Decode a canonical LEB128 varint at `pos`; returns (value, new position)."""
    value = 0
    for i in range(10):
        if pos + i >= len(buf):
            raise SealedSessionError("malformed", "truncated varint")
        b = buf[pos + i]
        if i == 9 and b > 0x01:
            raise SealedSessionError("malformed", "varint overflows 64 bits")
        value |= (b & 0x7F) << (7 * i)
        if not b & 0x80:
            if i > 0 and b == 0:
                raise SealedSessionError("malformed", "non-minimal varint")
            return value, pos + i + 1
    raise SealedSessionError("malformed", "varint longer than 10 bytes")


# --- section 2: keys ---------------------------------------------------------------------------

@dataclass
class Key:
    id: int
    secret: bytes
    not_before: Optional[int] = None
    not_after: Optional[int] = None

    def __repr__(self) -> str:  # never print the secret
        return f"Key(id={self.id:08x}, nb={self.not_before}, na={self.not_after})"

    def eligible(self, now: int) -> bool:
        """Section 2.1: may seal at `now`."""
        return ((self.not_before is None or self.not_before <= now)
                and (self.not_after is None or now < self.not_after))

    def opens(self, now: int) -> bool:
        return self.not_after is None or now < self.not_after

    def k_enc(self) -> bytes:
        """Section 2.3."""
        return HKDFExpand(hashes.SHA256(), 32, b"sealed-session/v1/xaes-256-gcm").derive(self.secret)

    def k_mac(self) -> bytes:
        return HKDFExpand(hashes.SHA256(), 32, b"sealed-session/v1/hmac-sha256").derive(self.secret)


def key_from_bytes36(okm: bytes, not_before=None, not_after=None) -> Key:
    return Key(int.from_bytes(okm[32:36], "big"), bytes(okm[:32]), not_before, not_after)


def derive_key(master: bytes, purpose: str, not_before=None, not_after=None) -> Key:
    """Section 2.2: a key from a master secret (at least 32 bytes) and a purpose string."""
    if len(master) < 32:
        raise SealedSessionError("invalid_keyring", "master secret shorter than 32 bytes")
    prk = _hmac.new(b"sealed-session/v1/master", master, hashlib.sha256).digest()  # HKDF-Extract
    okm = HKDFExpand(hashes.SHA256(), 36,
                     b"sealed-session/v1/key\x00" + purpose.encode()).derive(prk)
    # Cross-check with the one-shot HKDF of `cryptography` (Extract then Expand).
    assert okm == HKDF(hashes.SHA256(), 36, b"sealed-session/v1/master",
                       b"sealed-session/v1/key\x00" + purpose.encode()).derive(master)
    return key_from_bytes36(okm, not_before, not_after)


def generate_key(not_before=None, not_after=None) -> Key:
    return key_from_bytes36(os.urandom(36), not_before, not_after)


KEYRING_TEXT_MAX = 1332
_WS = " \t\r\n"
_ID_RE = re.compile(r"[0-9a-f]{8}")
_SECRET_RE = re.compile(r"[A-Za-z0-9_-]{43}")
_UNIX_RE = re.compile(r"0|[1-9][0-9]{0,11}")


class Keyring:
    """Section 2: 1 to 16 keys, in the order given."""

    def __init__(self, keys: list[Key]):
        if not 1 <= len(keys) <= 16:
            raise SealedSessionError("invalid_keyring", "a keyring holds 1 to 16 keys")
        ids = set()
        nbs = set()
        for k in keys:
            if not 0 <= k.id < 1 << 32 or len(k.secret) != 32:
                raise SealedSessionError("invalid_keyring", "bad key")
            for t in (k.not_before, k.not_after):
                if t is not None and not 0 <= t <= MAX_UNIX:
                    raise SealedSessionError("invalid_keyring", "time out of range")
            # The text grammar holds, but the set of keys is not a valid keyring (the Rust API
            # reports these as configuration errors, the text grammar's as keyring errors).
            if k.id in ids:
                raise SealedSessionError("invalid_config", "duplicate key id")
            if k.not_before in nbs:
                raise SealedSessionError("invalid_config", "duplicate not_before")
            if k.not_before is not None and k.not_after is not None and k.not_before >= k.not_after:
                raise SealedSessionError("invalid_config", "not_before >= not_after")
            ids.add(k.id)
            nbs.add(k.not_before)
        self.keys = list(keys)

    def primary(self, now: int) -> Optional[Key]:
        """Section 2.1: the eligible key with the greatest not_before (absent is smallest)."""
        best = None
        for k in self.keys:
            if not k.eligible(now):
                continue
            if best is None or (k.not_before if k.not_before is not None else -1) > (
                    best.not_before if best.not_before is not None else -1):
                best = k
        return best

    def opener(self, key_id: int, now: int) -> Optional[Key]:
        for k in self.keys:
            if k.id == key_id and k.opens(now):
                return k
        return None

    # Section 2.4
    @classmethod
    def parse(cls, text: str) -> "Keyring":
        if isinstance(text, bytes):
            text = text.decode("ascii")
        text = text.strip(_WS)
        if len(text.encode("utf-8")) > KEYRING_TEXT_MAX:  # measured once trimmed
            raise SealedSessionError("invalid_keyring", "keyring text too long")
        parts = text.split(",")
        if parts[0] != "ssk1" or not 2 <= len(parts) <= 17:
            raise SealedSessionError("invalid_keyring", "bad keyring text")
        keys = []
        for entry in parts[1:]:
            fields = entry.split(".")
            if len(fields) < 2 or len(fields) > 4:
                raise SealedSessionError("invalid_keyring", "bad entry")
            kid, secret = fields[0], fields[1]
            if not _ID_RE.fullmatch(kid) or not _SECRET_RE.fullmatch(secret):
                raise SealedSessionError("invalid_keyring", "bad id or secret")
            try:
                secret_bytes = b64_decode(secret)
            except SealedSessionError:
                raise SealedSessionError("invalid_keyring", "bad secret") from None
            nb = na = None
            rest = fields[2:]
            if rest and rest[0].startswith("nb"):
                nb = cls._unix(rest.pop(0)[2:])
            if rest and rest[0].startswith("na"):
                na = cls._unix(rest.pop(0)[2:])
            if rest:
                raise SealedSessionError("invalid_keyring", "bad entry option")
            keys.append(Key(int(kid, 16), secret_bytes, nb, na))
        return cls(keys)

    @staticmethod
    def _unix(s: str) -> int:
        if not _UNIX_RE.fullmatch(s):
            raise SealedSessionError("invalid_keyring", "bad time")
        v = int(s)
        if v > MAX_UNIX:
            raise SealedSessionError("invalid_keyring", "time above MAX_UNIX")
        return v

    def render(self) -> str:
        out = ["ssk1"]
        for k in self.keys:
            e = f"{k.id:08x}.{b64_encode(k.secret)}"
            if k.not_before is not None:
                e += f".nb{k.not_before}"
            if k.not_after is not None:
                e += f".na{k.not_after}"
            out.append(e)
        return ",".join(out)


# --- XAES-256-GCM (c2sp.org/XAES-256-GCM) ------------------------------------------------------

def _aes_block(key: bytes, block: bytes) -> bytes:
    enc = Cipher(algorithms.AES(key), modes.ECB()).encryptor()
    return enc.update(block) + enc.finalize()


def xaes_derive(key: bytes, nonce: bytes) -> tuple[bytes, bytes]:
    """Returns (Kx, Nx) for a 32-byte key and a 24-byte nonce."""
    if len(key) != 32 or len(nonce) != 24:
        raise ValueError("XAES-256-GCM needs a 32-byte key and a 24-byte nonce")
    L = int.from_bytes(_aes_block(key, bytes(16)), "big")
    k1 = (L << 1) & ((1 << 128) - 1)
    if L >> 127:
        k1 ^= 0x87
    k1b = k1.to_bytes(16, "big")
    m1 = b"\x00\x01X\x00" + nonce[:12]
    m2 = b"\x00\x02X\x00" + nonce[:12]
    kx = (_aes_block(key, bytes(a ^ b for a, b in zip(m1, k1b)))
          + _aes_block(key, bytes(a ^ b for a, b in zip(m2, k1b))))
    return kx, nonce[12:]


def xaes_seal(key: bytes, nonce: bytes, plaintext: bytes, aad: bytes) -> bytes:
    kx, nx = xaes_derive(key, nonce)
    return AESGCM(kx).encrypt(nx, plaintext, aad)


def xaes_open(key: bytes, nonce: bytes, ciphertext: bytes, aad: bytes) -> bytes:
    kx, nx = xaes_derive(key, nonce)
    return AESGCM(kx).decrypt(nx, ciphertext, aad)  # raises InvalidTag


# --- sections 3, 5, 6, 7: the codec ------------------------------------------------------------

FORMAT_CHUNK = 0x1C
# Section 3's table: format byte -> (version, mode). Version 2 is sealed; version 1 only opened.
FORMAT_BYTES = {0x21: (2, "encrypted"), 0x22: (2, "signed"), 0x11: (1, "encrypted"), 0x12: (1, "signed")}
FORMAT_OF = {(v, m): b for b, (v, m) in FORMAT_BYTES.items()}
MODES = ("encrypted", "signed")
# Smallest envelopes (section 3): header 5 + nonce 24 + tag 16, or header 5 + tag 32, around the
# smallest plaintext (v2: id 16, two one-byte varints, flags, one-byte schema = 20; v1: 18).
MIN_ENVELOPE = {0x21: 5 + 24 + 20 + 16, 0x22: 5 + 20 + 32, 0x11: 5 + 24 + 18 + 16, 0x12: 5 + 18 + 32}
USAGE_COOKIE = 0x01
USAGE_TOKEN = 0x02
FLAG_ABSOLUTE = 0x01
FLAG_IDLE = 0x02
FLAG_PERSISTENT = 0x04
MAX_SCHEMA = 2 ** 32 - 1
FRAME_HEADER = 7
MAX_CHUNKS = 16
MAX_LIFETIME = 36600 * 86400  # "100 years" of section 7: 100 x 366 days
MAX_SKEW = 3600

Rng = Callable[[int], bytes]
_TOKEN_RE = re.compile(r"[!#$%&'*+.^_`|~0-9A-Za-z-]+")  # RFC 9110 token
_PATH_RE = re.compile(r"/[\x20-\x3a\x3c-\x7e]*")      # printable ASCII but ';'
_DOMAIN_RE = re.compile(r"[A-Za-z0-9.-]+")


def os_rng(n: int) -> bytes:
    return os.urandom(n)


class ReplayRng:
    """Returns the given bytes in order (section 8's draw order), for test vectors."""

    def __init__(self, data: bytes):
        self.data = data
        self.pos = 0

    def __call__(self, n: int) -> bytes:
        if self.pos + n > len(self.data):
            raise AssertionError("the vector's random bytes are exhausted")
        out = self.data[self.pos:self.pos + n]
        self.pos += n
        return out

    def exhausted(self) -> bool:
        return self.pos == len(self.data)


def _cap(a: Optional[int], b: Optional[int]) -> Optional[int]:
    """Section 7: the shorter of two limits; a limit only one of them sets applies."""
    if a is None:
        return b
    if b is None:
        return a
    return min(a, b)


@dataclass(frozen=True)
class Lifetime:
    """Section 7: an optional absolute lifetime, an optional idle timeout, and persistence."""
    absolute: Optional[int] = None
    idle: Optional[int] = None
    persistent: bool = True

    def validate(self) -> None:
        for lim in (self.absolute, self.idle):
            if lim is not None and not 1 <= lim <= MAX_LIFETIME:
                raise SealedSessionError("invalid_config", "lifetime out of range")

    def capped(self, cap: "Lifetime") -> "Lifetime":
        """Each limit capped by `cap`'s; persistence stays this one's."""
        return Lifetime(_cap(self.absolute, cap.absolute), _cap(self.idle, cap.idle), self.persistent)

    def has_deadline(self) -> bool:
        return self.absolute is not None or self.idle is not None

    def flags(self) -> int:
        return ((FLAG_ABSOLUTE if self.absolute is not None else 0)
                | (FLAG_IDLE if self.idle is not None else 0)
                | (FLAG_PERSISTENT if self.persistent else 0))


@dataclass
class Config:
    cookie_name: str
    purpose: str
    mode: str = "encrypted"
    max_cookie_bytes: int = 4000
    max_total_bytes: int = 6144
    # The expiry policy (section 7): the lifetime new sessions get, the cap on any value's, and
    # the clock skew.
    absolute: Optional[int] = None
    idle: Optional[int] = None
    persistent: bool = True
    skew: int = 0
    # The schema version the codec writes (section 3).
    schema: int = 0
    path: str = "/"
    domain: Optional[str] = None
    secure: bool = True
    http_only: bool = True
    same_site: Optional[str] = "Lax"
    expires: bool = True  # write Expires beside Max-Age

    def policy(self) -> Lifetime:
        return Lifetime(self.absolute, self.idle, self.persistent)

    def validate(self) -> None:
        if not _TOKEN_RE.fullmatch(self.cookie_name) or len(self.cookie_name) > 200:
            raise SealedSessionError("invalid_config", "cookie name must be 1 to 200 token characters")
        base, dot, digits = self.cookie_name.rpartition(".")
        if dot and digits and digits.isascii() and digits.isdigit():
            # Section 3: a name ending in "." and digits is a chunk name (5.1).
            raise SealedSessionError("invalid_config", "cookie name ends in '.' and digits")
        if len(self.purpose.encode()) > 255:
            raise SealedSessionError("invalid_config", "purpose longer than 255 bytes")
        if self.mode not in MODES:
            raise SealedSessionError("invalid_config", "unknown mode")
        if not 0 < self.max_cookie_bytes <= 4096 or not 64 <= self.max_total_bytes <= 65536:
            raise SealedSessionError("invalid_config", "limits out of range")
        self.policy().validate()
        if not self.persistent and not self.policy().has_deadline():
            # Section 7: a browser-session lifetime with neither limit is refused.
            raise SealedSessionError("invalid_config", "a browser-session policy needs a deadline")
        if not 0 <= self.skew <= MAX_SKEW:
            raise SealedSessionError("invalid_config", "skew out of range")
        if not 0 <= self.schema <= MAX_SCHEMA:
            raise SealedSessionError("invalid_config", "schema version out of range")
        if not _PATH_RE.fullmatch(self.path) or len(self.path) > 1024:
            raise SealedSessionError("invalid_config", "bad Path")
        if self.domain is not None and not _DOMAIN_RE.fullmatch(self.domain):
            raise SealedSessionError("invalid_config", "bad Domain")
        if self.same_site not in (None, "Strict", "Lax", "None"):
            raise SealedSessionError("invalid_config", "bad SameSite")
        lower = self.cookie_name.lower()
        if lower.startswith("__host-") and (not self.secure or self.path != "/" or self.domain):
            raise SealedSessionError("invalid_config", "__Host- needs Secure, Path=/, no Domain")
        if lower.startswith("__host-http-") and not self.http_only:
            raise SealedSessionError("invalid_config", "__Host-Http- needs HttpOnly")
        if lower.startswith("__http-") and (not self.secure or not self.http_only):
            raise SealedSessionError("invalid_config", "__Http- needs Secure and HttpOnly")
        if lower.startswith("__secure-") and not self.secure:
            raise SealedSessionError("invalid_config", "__Secure- needs Secure")
        if self.same_site == "None" and not self.secure:
            raise SealedSessionError("invalid_config", "SameSite=None needs Secure")

    def fixed_attributes(self) -> str:
        s = f"; Path={self.path}"
        if self.domain:
            s += f"; Domain={self.domain}"
        if self.secure:
            s += "; Secure"
        if self.http_only:
            s += "; HttpOnly"
        if self.same_site:
            s += f"; SameSite={self.same_site}"
        return s


_DAYS = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"]
_MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]


def imf_fixdate(t: int) -> str:
    """RFC 9110 IMF-fixdate, e.g. `Sun, 06 Nov 1994 08:49:37 GMT`."""
    g = time.gmtime(t)
    return (f"{_DAYS[g.tm_wday]}, {g.tm_mday:02d} {_MONTHS[g.tm_mon - 1]} {g.tm_year:04d} "
            f"{g.tm_hour:02d}:{g.tm_min:02d}:{g.tm_sec:02d} GMT")


@dataclass
class Opened:
    data: bytes
    session_id: bytes
    issued_at: int
    sealed_at: int
    key_id: int
    expires_at: Optional[int]
    # None, "non_primary", "old_format", "old_schema" or "idle_refresh" (section 3.1 step 7)
    reseal: Optional[str]
    lifetime: Lifetime = field(default_factory=Lifetime)  # the lifetime in force (section 7)
    past_deadline: bool = False
    schema: int = 0
    format_version: int = 2


@dataclass
class Previous:
    """The session being re-sealed, as its last opening reported it. `lifetime` is the
    lifetime that opening found in force (None: the value carried none, a version-1 value)."""
    session_id: bytes
    issued_at: int
    sealed_at: int
    lifetime: Optional[Lifetime] = None

    @classmethod
    def of(cls, o: Opened) -> "Previous":
        return cls(o.session_id, o.issued_at, o.sealed_at, o.lifetime)


def parse_cookie_headers(headers: list[str]) -> list[tuple[str, str]]:
    """Section 5.3 step 1."""
    out = []
    for h in headers:
        for piece in h.split(";"):
            piece = piece.strip(" \t")
            if "=" not in piece:
                continue
            name, value = piece.split("=", 1)
            name = name.strip(" \t")
            value = value.strip(" \t")
            if not name:
                continue
            if len(value) >= 2 and value[0] == '"' and value[-1] == '"':
                value = value[1:-1]
            out.append((name, value))
    return out


def chunk_name(name: str, i: int) -> str:
    return name if i == 0 else f"{name}.{i}"


def cookie_header_bytes(pairs: list[tuple[str, str]]) -> int:
    """Section 5.2."""
    if not pairs:
        return 0
    return sum(len(n.encode()) + 1 + len(v.encode()) for n, v in pairs) + 2 * (len(pairs) - 1)


def build_plaintext(session_id: bytes, issued_at: int, sealed_at: int, lifetime: Optional[Lifetime],
                    schema: int, data: bytes) -> bytes:
    """Section 3: the version-2 plaintext, or the version-1 one when `lifetime` is None (then
    `schema` must be 0: version 1 carries none)."""
    pt = session_id + varint_encode(issued_at) + varint_encode(sealed_at - issued_at)
    if lifetime is None:
        assert schema == 0
        return pt + data
    pt += bytes([lifetime.flags()])
    if lifetime.absolute is not None:
        pt += varint_encode(lifetime.absolute)
    if lifetime.idle is not None:
        pt += varint_encode(lifetime.idle)
    return pt + varint_encode(schema) + data


class Codec:
    def __init__(self, keyring: Keyring, config: Config):
        config.validate()
        self.keyring = keyring
        self.config = config

    # -- section 3 ------------------------------------------------------------------------------

    def aad(self, header: bytes, usage: Optional[int]) -> bytes:
        """`usage` is None for version 1, which binds none."""
        name = self.config.cookie_name.encode()
        purpose = self.config.purpose.encode()
        u = b"" if usage is None else bytes([usage])
        return header + u + bytes([len(name)]) + name + bytes([len(purpose)]) + purpose

    def envelope_len(self, plaintext_len: int) -> int:
        return 5 + plaintext_len + (24 + 16 if self.config.mode == "encrypted" else 32)

    def seal_plaintext(self, key: Key, plaintext: bytes, usage: int, rng: Rng = os_rng,
                       version: int = 2) -> bytes:
        """Seals any plaintext (well-formed or not) under `key`, in this codec's mode: for the
        codec and for crafting test inputs (version 1 only for tests: it is never sealed)."""
        header = bytes([FORMAT_OF[(version, self.config.mode)]]) + key.id.to_bytes(4, "big")
        aad = self.aad(header, usage if version == 2 else None)
        if self.config.mode == "encrypted":
            nonce = rng(24)
            return header + nonce + xaes_seal(key.k_enc(), nonce, plaintext, aad)
        tag = _hmac.new(key.k_mac(), aad + plaintext, hashlib.sha256).digest()
        return header + plaintext + tag

    # -- section 7 ------------------------------------------------------------------------------

    def in_force(self, carried: Optional[Lifetime]) -> Lifetime:
        """The lifetime in force: the value's capped by this codec's policy, or (version 1,
        None) the policy's."""
        policy = self.config.policy()
        return policy if carried is None else carried.capped(policy)

    @staticmethod
    def expires_at(lifetime: Lifetime, issued_at: int, sealed_at: int) -> Optional[int]:
        cands = []
        if lifetime.absolute is not None:
            cands.append(issued_at + lifetime.absolute)
        if lifetime.idle is not None:
            cands.append(sealed_at + lifetime.idle)
        return min(min(cands), MAX_UNIX) if cands else None  # a time, so clamped (section 7)

    def check_open_times(self, issued_at: int, sealed_at: int, lifetime: Lifetime,
                         now: int) -> tuple[Optional[int], bool]:
        """Opening (section 7): raises not_yet_valid / expired; returns (expires_at, past its
        deadline)."""
        s = self.config.skew
        if issued_at > now + s or sealed_at > now + s:
            raise SealedSessionError("not_yet_valid")
        exp = self.expires_at(lifetime, issued_at, sealed_at)
        if exp is not None and now >= exp + s:
            raise SealedSessionError("expired")
        return exp, exp is not None and now >= exp

    def _prepare(self, now: int, previous: Optional[Previous], lifetime: Optional[Lifetime]):
        """Times, key and lifetime of a seal: every check that needs no randomness."""
        now = clamp_time(now)
        key = self.keyring.primary(now)
        if key is None:
            raise SealedSessionError("no_primary_key", "no key is eligible to seal at now")
        if previous is not None:
            if lifetime is not None:
                raise ValueError("a re-seal keeps the session's lifetime")
            # Section 7: a re-seal checks the previous value as opening does, then refuses at
            # or after its deadline with no allowance.
            lt = self.in_force(previous.lifetime)
            old_exp, _ = self.check_open_times(previous.issued_at, previous.sealed_at, lt, now)
            if old_exp is not None and now >= old_exp:
                raise SealedSessionError("expired", "past the deadline: read-only")
            issued_at = previous.issued_at
        else:
            if lifetime is None:
                lt = self.config.policy()
            else:
                lifetime.validate()
                lt = lifetime.capped(self.config.policy())
            if not lt.persistent and not lt.has_deadline():
                raise SealedSessionError("invalid_config", "a browser-session lifetime needs a deadline")
            issued_at = now
        sealed_at = max(now, issued_at)
        exp = self.expires_at(lt, issued_at, sealed_at)
        if exp is not None and exp <= now:
            raise SealedSessionError("expired", "the new deadline is already due")
        return now, key, issued_at, sealed_at, lt, exp

    def _plaintext(self, data: bytes, issued_at: int, sealed_at: int, lt: Lifetime,
                   previous: Optional[Previous], rng: Rng) -> bytes:
        session_id = previous.session_id if previous else rng(16)
        assert len(session_id) == 16
        return build_plaintext(session_id, issued_at, sealed_at, lt, self.config.schema, data)

    def seal_envelope(self, data: bytes, now: int, rng: Rng = os_rng,
                      previous: Optional[Previous] = None, usage: int = USAGE_COOKIE,
                      lifetime: Optional[Lifetime] = None) -> bytes:
        _now, key, issued_at, sealed_at, lt, _exp = self._prepare(now, previous, lifetime)
        pt = self._plaintext(data, issued_at, sealed_at, lt, previous, rng)
        return self.seal_plaintext(key, pt, usage, rng)

    def open_envelope(self, env: bytes, now: int, usage: int) -> Opened:
        """Section 3.1, steps 1 to 7. `usage` is where the bytes came from."""
        now = clamp_time(now)
        # 1. format byte and length
        if not env or env[0] not in FORMAT_BYTES or len(env) < MIN_ENVELOPE[env[0]]:
            raise SealedSessionError("malformed", "unknown format byte or too short")
        version, mode = FORMAT_BYTES[env[0]]
        # 2. mode
        if mode != self.config.mode:
            raise SealedSessionError("authentication")
        # 3. key
        key_id = int.from_bytes(env[1:5], "big")
        held = [k for k in self.keyring.keys if k.id == key_id]
        if not held:
            raise SealedSessionError("unknown_key")
        key = held[0]
        if not key.opens(now):
            raise SealedSessionError("retired_key")
        # 4. tag
        aad = self.aad(env[:5], usage if version == 2 else None)
        if mode == "encrypted":
            try:
                plaintext = xaes_open(key.k_enc(), env[5:29], env[29:], aad)
            except InvalidTag:
                raise SealedSessionError("authentication") from None
        else:
            plaintext, tag = env[5:-32], env[-32:]
            want = _hmac.new(key.k_mac(), aad + plaintext, hashlib.sha256).digest()
            if not _hmac.compare_digest(tag, want):
                raise SealedSessionError("authentication")
        # 5. plaintext
        session_id = plaintext[:16]
        issued_at, pos = varint_decode(plaintext, 16)
        delta, pos = varint_decode(plaintext, pos)
        if issued_at > MAX_UNIX or issued_at + delta > MAX_UNIX:
            raise SealedSessionError("malformed", "time above MAX_UNIX")
        sealed_at = issued_at + delta
        carried: Optional[Lifetime] = None
        schema = 0
        if version == 2:
            if pos >= len(plaintext):
                raise SealedSessionError("malformed", "no flags byte")
            flags = plaintext[pos]
            pos += 1
            if flags & ~(FLAG_ABSOLUTE | FLAG_IDLE | FLAG_PERSISTENT):
                raise SealedSessionError("malformed", "reserved flag bit set")
            limits = []
            for bit in (FLAG_ABSOLUTE, FLAG_IDLE):
                if flags & bit:
                    v, pos = varint_decode(plaintext, pos)
                    if not 1 <= v <= MAX_LIFETIME:
                        raise SealedSessionError("malformed", "lifetime out of range")
                    limits.append(v)
                else:
                    limits.append(None)
            schema, pos = varint_decode(plaintext, pos)
            if schema > MAX_SCHEMA:
                raise SealedSessionError("malformed", "schema above 2^32 - 1")
            carried = Lifetime(limits[0], limits[1], bool(flags & FLAG_PERSISTENT))
        # 6. lifetime in force and times
        lt = self.in_force(carried)
        exp, past = self.check_open_times(issued_at, sealed_at, lt, now)
        # 7. re-seal due (never past the deadline)
        reseal = None
        if not past:
            primary = self.keyring.primary(now)
            nb = lambda k: k.not_before if k.not_before is not None else -1  # noqa: E731
            if primary is not None and nb(key) < nb(primary):
                reseal = "non_primary"
            elif version == 1:
                reseal = "old_format"
            elif schema < self.config.schema:
                reseal = "old_schema"
            elif lt.idle is not None and now - sealed_at >= -(-lt.idle // 2):
                reseal = "idle_refresh"
        return Opened(plaintext[pos:], session_id, issued_at, sealed_at, key_id, exp, reseal,
                      lt, past, schema, version)

    @staticmethod
    def read_schema(opened: Opened, readable: set[int]) -> Opened:
        """Section 3.1 step 8, the application layer: `readable` are the schema versions the
        application reads."""
        if opened.schema not in readable:
            raise SealedSessionError("unknown_schema")
        return opened

    # -- section 5: cookies ---------------------------------------------------------------------

    def lifetime_attributes(self, lt: Lifetime, exp: Optional[int], now: int) -> str:
        """Section 5.4: only a persistent session with a deadline carries Max-Age."""
        if exp is None or not lt.persistent:
            return ""
        max_age = exp - now  # > 0: sealing refused expires_at <= now
        s = f"; Max-Age={max_age}"
        if self.config.expires:
            s += f"; Expires={imf_fixdate(clamp_time(now + max_age))}"
        return s

    def layout(self, env_len: int, attr_len: int) -> tuple[int, int, int, int]:
        """Sections 5.1 and 5.2: returns (n, piece, needed, allowed); n == 1 means one
        unchunked cookie. `needed` is the Cookie header bytes of the layout (computed past the
        16-chunk cap when it is exceeded) and `allowed` the budget it must fit."""
        c = self.config
        name_len = len(c.cookie_name.encode())
        limit = c.max_cookie_bytes
        if name_len + 1 + b64len(env_len) + attr_len <= limit:
            needed = name_len + 1 + b64len(env_len)
            if needed > c.max_total_bytes:
                raise SealedSessionError("too_large", "over the budget", needed=needed,
                                         allowed=c.max_total_bytes)
            return 1, env_len, needed, c.max_total_bytes
        room = limit - (name_len + 4 + attr_len)
        piece_max = maxdec(room) - FRAME_HEADER if room >= 0 else 0
        if piece_max <= 0:
            raise SealedSessionError("too_large", "no room for a chunk")
        n0 = max(2, -(-env_len // piece_max))
        piece = -(-env_len // n0)
        n = -(-env_len // piece)

        def header_bytes(pieces: list[int]) -> int:
            return sum(len(chunk_name(c.cookie_name, i).encode()) + 1 + b64len(FRAME_HEADER + p)
                       for i, p in enumerate(pieces)) + 2 * (len(pieces) - 1)

        needed = header_bytes([min(piece, env_len - i * piece) for i in range(n)])
        capacity = header_bytes([piece_max] * MAX_CHUNKS)
        allowed = min(c.max_total_bytes, capacity)
        if n0 > MAX_CHUNKS or needed > c.max_total_bytes:
            raise SealedSessionError("too_large", "over the budget", needed=needed, allowed=allowed)
        return n, piece, needed, allowed

    def seal_cookies(self, data: bytes, now: int, rng: Rng = os_rng,
                     previous: Optional[Previous] = None,
                     request_cookies: Optional[list[str]] = None,
                     lifetime: Optional[Lifetime] = None) -> list[str]:
        """Returns the Set-Cookie lines (section 5.4). `lifetime` is what the application asks
        for a new session (None: the policy's)."""
        now, key, issued_at, sealed_at, lt, exp = self._prepare(now, previous, lifetime)
        c = self.config
        attrs = self.lifetime_attributes(lt, exp, now)
        fixed = c.fixed_attributes()
        attr_len = len((attrs + fixed).encode())
        session_id = previous.session_id if previous else None
        # The plaintext's length does not depend on the session id's value: size first.
        pt_len = len(build_plaintext(bytes(16), issued_at, sealed_at, lt, c.schema, data))
        env_len = self.envelope_len(pt_len)
        n, piece, needed, _allowed = self.layout(env_len, attr_len)  # checks size before sealing
        pt = build_plaintext(session_id if session_id else rng(16), issued_at, sealed_at, lt, c.schema, data)
        env = self.seal_plaintext(key, pt, USAGE_COOKIE, rng)
        assert len(env) == env_len
        if n == 1:
            values = [b64_encode(env)]
        else:
            gen = env[-4:]
            values = [b64_encode(bytes([FORMAT_CHUNK, i, n]) + gen + env[i * piece:(i + 1) * piece])
                      for i in range(n)]
        lines = [f"{chunk_name(c.cookie_name, i)}={v}{attrs}{fixed}" for i, v in enumerate(values)]
        assert cookie_header_bytes([(chunk_name(c.cookie_name, i), v) for i, v in enumerate(values)]) == needed
        for line in lines:
            assert len(line.encode()) <= c.max_cookie_bytes, "a line exceeds the per-cookie limit"
        # Deletions of the slots i >= n the request carries a cookie in (section 5.4).
        if request_cookies:
            slots = self._slots(parse_cookie_headers(request_cookies))
            deletion = "; Max-Age=0" + ("; Expires=Thu, 01 Jan 1970 00:00:00 GMT" if c.expires else "")
            for i in sorted(slots):
                if i >= n:
                    lines.append(f"{chunk_name(c.cookie_name, i)}={deletion}{fixed}")
        return lines

    def slot_of(self, name: str) -> Optional[int]:
        """Section 5.3 step 2: the slot of a cookie name, or None."""
        base = self.config.cookie_name
        if name == base:
            return 0
        if name.startswith(base + ".") and re.fullmatch(r"[1-9][0-9]*", name[len(base) + 1:]):
            i = int(name[len(base) + 1:])
            if i <= 15:
                return i
        return None

    def _slots(self, pairs) -> dict[int, list[tuple[str, str]]]:
        """Section 5.3 step 2: each slot's cookies in header order (empty slots absent)."""
        slots: dict[int, list[tuple[str, str]]] = {}
        for name, value in pairs:
            i = self.slot_of(name)
            if i is not None:
                slots.setdefault(i, []).append((name, value))
        return slots

    def open_cookies(self, headers: list[str], now: int) -> Optional[Opened]:
        """Section 5.3. Returns None when the request carries no session."""
        pairs = parse_cookie_headers(headers)
        slots = self._slots(pairs)
        if not slots:  # step 2
            return None
        # Step 3: every cookie of every slot counts toward the budget.
        total = cookie_header_bytes([p for i in sorted(slots) for p in slots[i]])
        if total > self.config.max_total_bytes:
            raise SealedSessionError("too_large", "cookies over the total budget",
                                     needed=total, allowed=self.config.max_total_bytes)
        if 0 not in slots:  # step 4: leftovers without their head
            return None
        if len(slots[0]) > 1:  # step 5
            raise SealedSessionError("duplicate_chunk", "two heads", index=0)
        first = b64_decode(slots[0][0][1])  # step 6
        if first[:1] != bytes([FORMAT_CHUNK]):
            # Not a frame (an empty value included): a whole envelope; other slots ignored.
            return self.open_envelope(first, now, USAGE_COOKIE)
        # Step 7
        if len(first) < FRAME_HEADER + 1:
            raise SealedSessionError("malformed", "short frame")
        if first[1] != 0:
            raise SealedSessionError("mixed_generation", "head frame with a non-zero index")
        n = first[2]
        if not 2 <= n <= MAX_CHUNKS:
            raise SealedSessionError("too_many_chunks")
        gen = first[3:7]
        pieces = [first[7:]]
        # Step 8
        for i in range(1, n):
            cookies = slots.get(i, [])
            if not cookies:
                raise SealedSessionError("missing_chunk", index=i)
            if len(cookies) > 4:
                raise SealedSessionError("duplicate_chunk", "more than four cookies", index=i)
            match = None
            first_error = None
            for j, (_name, value) in enumerate(cookies):
                try:
                    frame = b64_decode(value)
                except SealedSessionError:
                    frame = None
                is_frame = frame is not None and len(frame) >= FRAME_HEADER + 1 and frame[0] == FORMAT_CHUNK
                if is_frame and frame[1] == i and frame[2] == n and frame[3:7] == gen:
                    if match is not None:
                        raise SealedSessionError("duplicate_chunk", "two matching cookies", index=i)
                    match = frame
                elif j == 0:
                    first_error = "malformed" if not is_frame else "mixed_generation"
            if match is None:
                raise SealedSessionError(first_error, f"no cookie of slot {i} matches the head")
            pieces.append(match[FRAME_HEADER:])
        # Step 9
        env = b"".join(pieces)
        if env[-4:] != gen:
            raise SealedSessionError("mixed_generation", "generation is not the envelope's tag")
        return self.open_envelope(env, now, USAGE_COOKIE)

    # -- section 6: tokens ----------------------------------------------------------------------

    def seal_token(self, data: bytes, now: int, rng: Rng = os_rng,
                   previous: Optional[Previous] = None, lifetime: Optional[Lifetime] = None) -> str:
        _now, key, issued_at, sealed_at, lt, _exp = self._prepare(now, previous, lifetime)
        pt_len = len(build_plaintext(bytes(16), issued_at, sealed_at, lt, self.config.schema, data))
        needed = b64len(self.envelope_len(pt_len))
        if needed > self.config.max_total_bytes:
            raise SealedSessionError("too_large", "token over the total budget",
                                     needed=needed, allowed=self.config.max_total_bytes)
        pt = self._plaintext(data, issued_at, sealed_at, lt, previous, rng)
        return b64_encode(self.seal_plaintext(key, pt, USAGE_TOKEN, rng))

    def open_token(self, token: str, now: int) -> Opened:
        if len(token.encode()) > self.config.max_total_bytes:
            raise SealedSessionError("too_large", "token over the total budget",
                                     needed=len(token.encode()), allowed=self.config.max_total_bytes)
        return self.open_envelope(b64_decode(token), now, USAGE_TOKEN)
