"""A second implementation of the sealed-session v1 wire format.

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

    malformed, authentication, unknown_key, not_yet_valid, expired, too_large,
    duplicate_chunk, missing_chunk, extra_chunk, mixed_generation, too_many_chunks,
    no_primary_key, invalid_keyring, invalid_config.

    `index` is set for the chunk errors that name one; `needed`/`allowed` for too_large.
    """

    def __init__(self, kind: str, detail: str = "", *, index: Optional[int] = None,
                 needed: Optional[int] = None, allowed: Optional[int] = None):
        self.kind = kind
        self.index = index
        self.needed = needed
        self.allowed = allowed
        super().__init__(f"{kind}: {detail}" if detail else kind)


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

FORMAT_ENCRYPTED = 0x11
FORMAT_SIGNED = 0x12
FORMAT_CHUNK = 0x1C
MODES = {"encrypted": FORMAT_ENCRYPTED, "signed": FORMAT_SIGNED}
MIN_ENVELOPE = {FORMAT_ENCRYPTED: 5 + 24 + 18 + 16, FORMAT_SIGNED: 5 + 18 + 32}
FRAME_HEADER = 7
MAX_CHUNKS = 16
MAX_LIFETIME = 36600 * 86400  # "100 years" of section 7: 100 x 366 days

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


@dataclass
class Config:
    cookie_name: str
    purpose: str
    mode: str = "encrypted"
    max_cookie_bytes: int = 4000
    max_total_bytes: int = 6144
    absolute: Optional[int] = None
    idle: Optional[int] = None
    skew: int = 0
    path: str = "/"
    domain: Optional[str] = None
    secure: bool = True
    http_only: bool = True
    same_site: Optional[str] = "Lax"
    expires: bool = True  # write Expires beside Max-Age

    def validate(self) -> None:
        if not _TOKEN_RE.fullmatch(self.cookie_name) or len(self.cookie_name) > 200:
            raise SealedSessionError("invalid_config", "cookie name must be 1 to 200 token characters")
        if len(self.purpose.encode()) > 255:
            raise SealedSessionError("invalid_config", "purpose longer than 255 bytes")
        if self.mode not in MODES:
            raise SealedSessionError("invalid_config", "unknown mode")
        if not 0 < self.max_cookie_bytes <= 4096 or not 64 <= self.max_total_bytes <= 65536:
            raise SealedSessionError("invalid_config", "limits out of range")
        for lim in (self.absolute, self.idle):
            if lim is not None and not 1 <= lim <= MAX_LIFETIME:
                raise SealedSessionError("invalid_config", "lifetime out of range")
        if not 0 <= self.skew <= 3600:
            raise SealedSessionError("invalid_config", "skew out of range")
        if not _PATH_RE.fullmatch(self.path) or len(self.path) > 1024:
            raise SealedSessionError("invalid_config", "bad Path")
        if self.domain is not None and not _DOMAIN_RE.fullmatch(self.domain):
            raise SealedSessionError("invalid_config", "bad Domain")
        if self.same_site not in (None, "Strict", "Lax", "None"):
            raise SealedSessionError("invalid_config", "bad SameSite")
        lower = self.cookie_name.lower()
        if lower.startswith("__host-") and (not self.secure or self.path != "/" or self.domain):
            raise SealedSessionError("invalid_config", "__Host- needs Secure, Path=/, no Domain")
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
    reseal: Optional[str]  # None, "non_primary" or "idle_refresh"


@dataclass
class Previous:
    """The session being re-sealed, as its last opening reported it."""
    session_id: bytes
    issued_at: int
    sealed_at: int


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


class Codec:
    def __init__(self, keyring: Keyring, config: Config):
        config.validate()
        self.keyring = keyring
        self.config = config
        self.format_byte = MODES[config.mode]

    # -- section 3 ------------------------------------------------------------------------------

    def aad(self, header: bytes) -> bytes:
        name = self.config.cookie_name.encode()
        purpose = self.config.purpose.encode()
        return header + bytes([len(name)]) + name + bytes([len(purpose)]) + purpose

    def envelope_len(self, data_len: int, issued_at: int, sealed_at: int) -> int:
        pt = 16 + len(varint_encode(issued_at)) + len(varint_encode(sealed_at - issued_at)) + data_len
        return 5 + pt + (24 + 16 if self.format_byte == FORMAT_ENCRYPTED else 32)

    def expires_at(self, issued_at: int, sealed_at: int) -> Optional[int]:
        """Section 7."""
        c = self.config
        cands = []
        if c.absolute is not None:
            cands.append(issued_at + c.absolute)
        if c.idle is not None:
            cands.append(sealed_at + c.idle)
        return min(min(cands), MAX_UNIX) if cands else None  # a time, so clamped (section 7)

    def check_times(self, issued_at: int, sealed_at: int, now: int, sealing: bool = False) -> Optional[int]:
        """Section 7: raises not_yet_valid / expired; returns expires_at. The skew forgives
        other nodes' clocks when opening; a sealer refuses when expires_at <= now."""
        s = self.config.skew
        if issued_at > now + s or sealed_at > now + s:
            raise SealedSessionError("not_yet_valid")
        exp = self.expires_at(issued_at, sealed_at)
        if exp is not None and now >= exp + (0 if sealing else s):
            raise SealedSessionError("expired")
        return exp

    def _prepare(self, now: int, previous: Optional[Previous]):
        """Times and key for a seal, every check that needs no randomness."""
        now = clamp_time(now)
        key = self.keyring.primary(now)
        if key is None:
            raise SealedSessionError("no_primary_key", "no key is eligible to seal at now")
        if previous:
            # Section 7: the previous times pass the opening checks (no revival of a dead session).
            self.check_times(previous.issued_at, previous.sealed_at, now)
        issued_at = previous.issued_at if previous else now
        sealed_at = max(now, issued_at)
        exp = self.check_times(issued_at, sealed_at, now, sealing=True)
        return now, key, issued_at, sealed_at, exp

    def _seal_envelope(self, key: Key, data: bytes, issued_at: int, sealed_at: int,
                       previous: Optional[Previous], rng: Rng) -> tuple[bytes, bytes]:
        session_id = previous.session_id if previous else rng(16)
        assert len(session_id) == 16
        plaintext = (session_id + varint_encode(issued_at) + varint_encode(sealed_at - issued_at)
                     + data)
        return self.seal_plaintext(key, plaintext, rng), session_id

    def seal_plaintext(self, key: Key, plaintext: bytes, rng: Rng = os_rng) -> bytes:
        """Seals any plaintext (well-formed or not) under `key`: for crafting test inputs."""
        header = bytes([self.format_byte]) + key.id.to_bytes(4, "big")
        aad = self.aad(header)
        if self.format_byte == FORMAT_ENCRYPTED:
            nonce = rng(24)
            return header + nonce + xaes_seal(key.k_enc(), nonce, plaintext, aad)
        tag = _hmac.new(key.k_mac(), aad + plaintext, hashlib.sha256).digest()
        return header + plaintext + tag

    def seal_envelope(self, data: bytes, now: int, rng: Rng = os_rng,
                      previous: Optional[Previous] = None) -> bytes:
        _now, key, issued_at, sealed_at, _exp = self._prepare(now, previous)
        return self._seal_envelope(key, data, issued_at, sealed_at, previous, rng)[0]

    def open_envelope(self, env: bytes, now: int) -> Opened:
        """Section 3.1, steps 1 to 7."""
        now = clamp_time(now)
        if not env or env[0] not in (FORMAT_ENCRYPTED, FORMAT_SIGNED) or len(env) < MIN_ENVELOPE[env[0]]:
            raise SealedSessionError("malformed", "unknown format byte or too short")
        if env[0] != self.format_byte:
            raise SealedSessionError("authentication")
        key_id = int.from_bytes(env[1:5], "big")
        key = self.keyring.opener(key_id, now)
        if key is None:
            raise SealedSessionError("unknown_key")
        header = env[:5]
        aad = self.aad(header)
        if env[0] == FORMAT_ENCRYPTED:
            try:
                plaintext = xaes_open(key.k_enc(), env[5:29], env[29:], aad)
            except InvalidTag:
                raise SealedSessionError("authentication") from None
        else:
            plaintext, tag = env[5:-32], env[-32:]
            want = _hmac.new(key.k_mac(), aad + plaintext, hashlib.sha256).digest()
            if not _hmac.compare_digest(tag, want):
                raise SealedSessionError("authentication")
        session_id = plaintext[:16]
        issued_at, pos = varint_decode(plaintext, 16)
        delta, pos = varint_decode(plaintext, pos)
        if issued_at + delta > MAX_UNIX:
            raise SealedSessionError("malformed", "time above MAX_UNIX")
        sealed_at = issued_at + delta
        exp = self.check_times(issued_at, sealed_at, now)
        reseal = None
        primary = self.keyring.primary(now)
        nb = lambda k: k.not_before if k.not_before is not None else -1
        # Section 3.1 step 7: only a key older than the primary asks for a re-seal.
        if primary is not None and primary.id != key_id and nb(key) < nb(primary):
            reseal = "non_primary"
        elif self.config.idle is not None and now - sealed_at >= -(-self.config.idle // 2):
            reseal = "idle_refresh"
        return Opened(plaintext[pos:], session_id, issued_at, sealed_at, key_id, exp, reseal)

    # -- section 5: cookies ---------------------------------------------------------------------

    def lifetime(self, exp: Optional[int], now: int) -> str:
        if exp is None:
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
                     request_cookies: Optional[list[str]] = None) -> list[str]:
        """Returns the Set-Cookie lines (section 5.4)."""
        now, key, issued_at, sealed_at, exp = self._prepare(now, previous)
        c = self.config
        lifetime = self.lifetime(exp, now)
        fixed = c.fixed_attributes()
        attr_len = len((lifetime + fixed).encode())
        env_len = self.envelope_len(len(data), issued_at, sealed_at)
        n, piece, needed, _allowed = self.layout(env_len, attr_len)  # checks size before sealing
        env, _sid = self._seal_envelope(key, data, issued_at, sealed_at, previous, rng)
        assert len(env) == env_len
        if n == 1:
            values = [b64_encode(env)]
        else:
            gen = env[-4:]
            values = [b64_encode(bytes([FORMAT_CHUNK, i, n]) + gen + env[i * piece:(i + 1) * piece])
                      for i in range(n)]
        lines = [f"{chunk_name(c.cookie_name, i)}={v}{lifetime}{fixed}" for i, v in enumerate(values)]
        assert cookie_header_bytes([(chunk_name(c.cookie_name, i), v) for i, v in enumerate(values)]) == needed
        for line in lines:
            assert len(line.encode()) <= c.max_cookie_bytes, "a line exceeds the per-cookie limit"
        # Deletions of chunks the client holds but no longer needs.
        if request_cookies:
            slots = self._slots(parse_cookie_headers(request_cookies), raise_duplicates=False)
            deletion = "; Max-Age=0" + ("; Expires=Thu, 01 Jan 1970 00:00:00 GMT" if c.expires else "")
            for i in sorted(slots):
                if i >= n:
                    lines.append(f"{chunk_name(c.cookie_name, i)}={deletion}{fixed}")
        return lines

    def _slots(self, pairs, raise_duplicates=True) -> dict[int, tuple[str, str]]:
        """Section 5.3 steps 2 and 3."""
        base = self.config.cookie_name
        slots: dict[int, tuple[str, str]] = {}
        for name, value in pairs:
            if name == base:
                i = 0
            elif name.startswith(base + ".") and re.fullmatch(r"[1-9][0-9]*", name[len(base) + 1:]):
                i = int(name[len(base) + 1:])
                if i > 15:
                    continue
            else:
                continue
            if i in slots:
                if raise_duplicates:
                    raise SealedSessionError("duplicate_chunk", index=i)
                continue
            slots[i] = (name, value)
        return slots

    def open_cookies(self, headers: list[str], now: int) -> Optional[Opened]:
        """Section 5.3. Returns None when the request carries no session."""
        pairs = parse_cookie_headers(headers)
        slots = self._slots(pairs, raise_duplicates=False)
        if not slots:
            return None
        # Step 3: the budget, over the first cookie of each slot; step 4: duplicates.
        total = cookie_header_bytes([slots[i] for i in sorted(slots)])
        if total > self.config.max_total_bytes:
            raise SealedSessionError("too_large", "cookies over the total budget",
                                     needed=total, allowed=self.config.max_total_bytes)
        self._slots(pairs)
        if 0 not in slots:
            raise SealedSessionError("missing_chunk", index=0)
        first = b64_decode(slots[0][1])
        if not first[:1] == bytes([FORMAT_CHUNK]):
            # Not a frame (an empty value included): a whole envelope, alone.
            extra = sorted(i for i in slots if i != 0)
            if extra:
                raise SealedSessionError("extra_chunk", index=extra[0])
            return self.open_envelope(first, now)
        if len(first) < FRAME_HEADER + 1:
            raise SealedSessionError("malformed", "short frame")
        if first[1] != 0:
            raise SealedSessionError("mixed_generation")
        n = first[2]
        if not 2 <= n <= MAX_CHUNKS:
            raise SealedSessionError("too_many_chunks")
        extra = sorted(i for i in slots if i >= n)
        if extra:
            raise SealedSessionError("extra_chunk", index=extra[0])
        gen = first[3:7]
        pieces = [first[7:]]
        for i in range(1, n):
            if i not in slots:
                raise SealedSessionError("missing_chunk", index=i)
            frame = b64_decode(slots[i][1])
            if len(frame) < FRAME_HEADER + 1 or frame[0] != FORMAT_CHUNK:
                raise SealedSessionError("malformed", "bad frame")
            if frame[1] != i or frame[2] != n or frame[3:7] != gen:
                raise SealedSessionError("mixed_generation")
            pieces.append(frame[7:])
        env = b"".join(pieces)
        if env[-4:] != gen:
            raise SealedSessionError("mixed_generation")
        return self.open_envelope(env, now)

    # -- section 6: tokens ----------------------------------------------------------------------

    def seal_token(self, data: bytes, now: int, rng: Rng = os_rng,
                   previous: Optional[Previous] = None) -> str:
        _now, key, issued_at, sealed_at, _exp = self._prepare(now, previous)
        needed = b64len(self.envelope_len(len(data), issued_at, sealed_at))
        if needed > self.config.max_total_bytes:
            raise SealedSessionError("too_large", "token over the total budget",
                                     needed=needed, allowed=self.config.max_total_bytes)
        env, _ = self._seal_envelope(key, data, issued_at, sealed_at, previous, rng)
        return b64_encode(env)

    def open_token(self, token: str, now: int) -> Opened:
        if len(token.encode()) > self.config.max_total_bytes:
            raise SealedSessionError("too_large", "token over the total budget",
                                     needed=len(token.encode()), allowed=self.config.max_total_bytes)
        return self.open_envelope(b64_decode(token), now)


