//! The versioned binary envelope (FORMAT.md, "Envelope").
//!
//! ```text
//! encrypted: format | key id (4) | nonce (24) | XAES-256-GCM(plaintext) | tag (16)
//! signed:    format | key id (4) | plaintext                            | tag (32)
//! v2 plaintext: session id (16) | varint issued_at | varint (sealed_at - issued_at)
//!               | flags | [varint absolute] | [varint idle] | varint schema | data
//! v1 plaintext: session id (16) | varint issued_at | varint (sealed_at - issued_at) | data
//! v2 AAD:    format | key id | usage | len(name) | name | len(purpose) | purpose
//! v1 AAD:    format | key id |         len(name) | name | len(purpose) | purpose
//! ```
//!
//! The first five bytes (format byte and key id) are readable without a key so that opening
//! finds the key directly, and they are authenticated as part of the AAD, with the cookie name
//! and purpose, so a value cannot be moved to another key, cookie, application or mode. Version
//! 2 adds the usage (cookie or token) to the AAD, so a cookie never opens as a token, and carries
//! the session's own lifetime and schema version inside the plaintext, so every opener enforces
//! the deadlines fixed at the first seal and knows which type the data was written as.
//! Version 1 values keep opening (FORMAT.md §9) and are re-sealed as version 2.

use crate::crypto::{AEAD_TAG_LEN, KeyCipher, MAC_TAG_LEN, NONCE_LEN};
use crate::error::{Error, malformed};
use crate::expiry::{Lifetime, MAX_LIFETIME_SECS};
use crate::keyring::KeyId;
use crate::time::MAX_UNIX;

/// Format byte of a version-1 encrypted envelope (opened, never sealed).
pub(crate) const V1_ENCRYPTED: u8 = 0x11;
/// Format byte of a version-1 signed envelope (opened, never sealed).
pub(crate) const V1_SIGNED: u8 = 0x12;
/// Format byte of a version-2 encrypted envelope.
pub(crate) const V2_ENCRYPTED: u8 = 0x21;
/// Format byte of a version-2 signed envelope.
pub(crate) const V2_SIGNED: u8 = 0x22;
/// The format version this crate seals.
pub(crate) const CURRENT_VERSION: u8 = 2;

pub(crate) const HEADER_LEN: usize = 5;
pub(crate) const SESSION_ID_LEN: usize = 16;
/// Longest cookie name and purpose, so each length fits the one-byte prefix in the AAD.
pub(crate) const MAX_LABEL_LEN: usize = 255;
const MAX_AAD_LEN: usize = HEADER_LEN + 1 + 2 * (1 + MAX_LABEL_LEN);

/// Lifetime flags of the v2 plaintext.
const FLAG_ABSOLUTE: u8 = 0x01;
const FLAG_IDLE: u8 = 0x02;
const FLAG_PERSISTENT: u8 = 0x04;
const KNOWN_FLAGS: u8 = FLAG_ABSOLUTE | FLAG_IDLE | FLAG_PERSISTENT;

/// How a session is protected.
///
/// # Example
///
/// ```
/// use sealed_session::Mode;
/// assert_eq!(Mode::default(), Mode::Encrypted);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
#[non_exhaustive]
pub enum Mode {
    /// XAES-256-GCM: the session is confidential and tamper-proof. The default.
    #[default]
    Encrypted,
    /// HMAC-SHA256: the session is readable by the client (base64url of the plaintext) but
    /// cannot be forged or altered. Use only when the session holds nothing secret.
    Signed,
}

impl Mode {
    const fn format_byte(self) -> u8 {
        match self {
            Mode::Encrypted => V2_ENCRYPTED,
            Mode::Signed => V2_SIGNED,
        }
    }

    /// Bytes an envelope adds around its plaintext.
    pub(crate) const fn overhead(self) -> usize {
        match self {
            Mode::Encrypted => HEADER_LEN + NONCE_LEN + AEAD_TAG_LEN,
            Mode::Signed => HEADER_LEN + MAC_TAG_LEN,
        }
    }

    const fn tag_len(self) -> usize {
        match self {
            Mode::Encrypted => AEAD_TAG_LEN,
            Mode::Signed => MAC_TAG_LEN,
        }
    }
}

/// Where a sealed value travels. Version 2 binds it in the AAD: a cookie value never opens as
/// a token, nor a token as a cookie.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Usage {
    Cookie,
    Token,
}

impl Usage {
    const fn byte(self) -> u8 {
        match self {
            Usage::Cookie => 0x01,
            Usage::Token => 0x02,
        }
    }
}

/// The metadata every sealed session carries inside its authenticated plaintext.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Inner {
    pub(crate) session_id: [u8; SESSION_ID_LEN],
    pub(crate) issued_at: u64,
    pub(crate) sealed_at: u64,
    /// The lifetime fixed at the first seal; `None` in a version-1 value, which carries none.
    pub(crate) lifetime: Option<Lifetime>,
    /// The schema version of the data (0 in a version-1 value).
    pub(crate) schema: u32,
}

/// The codec-wide part of the AAD: `len(name) | name | len(purpose) | purpose`, built once.
#[derive(Debug, Clone)]
pub(crate) struct Binding {
    tail: Vec<u8>,
}

impl Binding {
    pub(crate) fn new(cookie_name: &str, purpose: &str) -> Result<Self, Error> {
        let (name, purpose) = (cookie_name.as_bytes(), purpose.as_bytes());
        let (Ok(name_len), Ok(purpose_len)) =
            (u8::try_from(name.len()), u8::try_from(purpose.len()))
        else {
            return Err(Error::InvalidConfig {
                reason: "cookie name and purpose are at most 255 bytes each",
            });
        };
        let mut tail = Vec::with_capacity(2 + name.len() + purpose.len());
        tail.push(name_len);
        tail.extend_from_slice(name);
        tail.push(purpose_len);
        tail.extend_from_slice(purpose);
        Ok(Binding { tail })
    }

    /// Calls `f` with the full AAD for `header`, assembled on the stack. A version-1 header
    /// binds no usage.
    fn with_aad<R>(&self, header: &[u8], usage: Usage, f: impl FnOnce(&[u8]) -> R) -> R {
        let mut aad = [0u8; MAX_AAD_LEN];
        aad[..HEADER_LEN].copy_from_slice(&header[..HEADER_LEN]);
        let mut len = HEADER_LEN;
        if matches!(header[0], V2_ENCRYPTED | V2_SIGNED) {
            aad[len] = usage.byte();
            len += 1;
        }
        aad[len..len + self.tail.len()].copy_from_slice(&self.tail);
        len += self.tail.len();
        f(&aad[..len])
    }
}

/// Starts a version-2 envelope: header, nonce (encrypted mode) and the plaintext's metadata.
/// The caller appends the session data, then calls [`finish`].
pub(crate) fn begin(
    mode: Mode,
    key_id: KeyId,
    nonce: &[u8; NONCE_LEN],
    inner: &Inner,
    data_len: usize,
) -> Vec<u8> {
    // Room for the tag too (`overhead` counts it), so `finish` never reallocates.
    let mut buf = Vec::with_capacity(mode.overhead() + SESSION_ID_LEN + 5 * 10 + 1 + data_len);
    buf.push(mode.format_byte());
    buf.extend_from_slice(&key_id.to_bytes());
    if mode == Mode::Encrypted {
        buf.extend_from_slice(nonce);
    }
    buf.extend_from_slice(&inner.session_id);
    put_varint(&mut buf, inner.issued_at);
    put_varint(&mut buf, inner.sealed_at.saturating_sub(inner.issued_at));
    let lifetime = inner.lifetime.unwrap_or_default();
    let (absolute, idle) = (lifetime.absolute_secs(), lifetime.idle_secs());
    let flag = |set: bool, bit: u8| if set { bit } else { 0 };
    let flags = flag(absolute.is_some(), FLAG_ABSOLUTE)
        | flag(idle.is_some(), FLAG_IDLE)
        | flag(lifetime.is_persistent(), FLAG_PERSISTENT);
    buf.push(flags);
    for secs in [absolute, idle].into_iter().flatten() {
        put_varint(&mut buf, secs);
    }
    put_varint(&mut buf, u64::from(inner.schema));
    buf
}

/// Length the envelope will have once [`finish`] appends the tag.
pub(crate) fn finished_len(mode: Mode, begun: &[u8]) -> usize {
    begun.len() + mode.tag_len()
}

/// Encrypts or signs the plaintext in place and appends the tag.
pub(crate) fn finish(
    mode: Mode,
    mut buf: Vec<u8>,
    cipher: &KeyCipher,
    binding: &Binding,
    usage: Usage,
) -> Result<Vec<u8>, Error> {
    let (header, rest) = buf.split_at_mut(HEADER_LEN);
    match mode {
        Mode::Encrypted => {
            let (nonce, plaintext) = rest.split_at_mut(NONCE_LEN);
            let nonce: &[u8; NONCE_LEN] = (&*nonce).try_into().map_err(|_| malformed("nonce"))?;
            let tag =
                binding.with_aad(header, usage, |aad| cipher.encrypt(nonce, aad, plaintext))?;
            buf.extend_from_slice(&tag);
        }
        Mode::Signed => {
            let tag = binding.with_aad(header, usage, |aad| cipher.sign(aad, rest));
            buf.extend_from_slice(&tag);
        }
    }
    Ok(buf)
}

/// What can be read from an envelope without a key.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Header {
    pub(crate) version: u8,
    pub(crate) mode: Mode,
    pub(crate) key_id: KeyId,
}

/// Reads the public header and checks the length is possible for the version and mode.
pub(crate) fn read_header(envelope: &[u8]) -> Result<Header, Error> {
    let (version, mode) = match envelope.first() {
        Some(&V1_ENCRYPTED) => (1, Mode::Encrypted),
        Some(&V1_SIGNED) => (1, Mode::Signed),
        Some(&V2_ENCRYPTED) => (2, Mode::Encrypted),
        Some(&V2_SIGNED) => (2, Mode::Signed),
        Some(_) => return Err(malformed("unknown format byte")),
        None => return Err(malformed("empty value")),
    };
    // The smallest plaintext: a session id and two one-byte varints, plus (version 2) the
    // flags byte and a one-byte schema varint.
    let min_plaintext = SESSION_ID_LEN + if version == 1 { 2 } else { 4 };
    if envelope.len() < mode.overhead() + min_plaintext {
        return Err(malformed("shorter than the smallest envelope"));
    }
    let key_id = u32::from_be_bytes([envelope[1], envelope[2], envelope[3], envelope[4]]);
    Ok(Header {
        version,
        mode,
        key_id: KeyId::new(key_id),
    })
}

/// Authenticates (and in encrypted mode decrypts in place) an envelope whose header was read
/// with [`read_header`]; returns the metadata and the range of the session data in `envelope`.
pub(crate) fn open(
    header: Header,
    envelope: &mut [u8],
    cipher: &KeyCipher,
    binding: &Binding,
    usage: Usage,
) -> Result<(Inner, core::ops::Range<usize>), Error> {
    let (head, rest) = envelope.split_at_mut(HEADER_LEN);
    let plaintext_start = match header.mode {
        Mode::Encrypted => {
            let (nonce, rest) = rest.split_at_mut(NONCE_LEN);
            let (ciphertext, tag) = rest.split_at_mut(rest.len() - AEAD_TAG_LEN);
            let nonce: &[u8; NONCE_LEN] = (&*nonce).try_into().map_err(|_| malformed("nonce"))?;
            let tag: &[u8; AEAD_TAG_LEN] = (&*tag).try_into().map_err(|_| malformed("tag"))?;
            binding.with_aad(head, usage, |aad| {
                cipher.decrypt(nonce, aad, ciphertext, tag)
            })?;
            HEADER_LEN + NONCE_LEN
        }
        Mode::Signed => {
            let (data, tag) = rest.split_at(rest.len() - MAC_TAG_LEN);
            binding.with_aad(head, usage, |aad| cipher.verify(aad, data, tag))?;
            HEADER_LEN
        }
    };
    let plaintext_end = envelope.len() - header.mode.tag_len();
    let (inner, consumed) = read_inner(header.version, &envelope[plaintext_start..plaintext_end])?;
    Ok((inner, plaintext_start + consumed..plaintext_end))
}

fn read_inner(version: u8, plaintext: &[u8]) -> Result<(Inner, usize), Error> {
    let (session_id, rest) = plaintext
        .split_first_chunk::<SESSION_ID_LEN>()
        .ok_or(malformed("plaintext shorter than a session id"))?;
    let mut reader = Reader { bytes: rest, at: 0 };
    let issued_at = reader.varint()?;
    let delta = reader.varint()?;
    let sealed_at = issued_at
        .checked_add(delta)
        .filter(|&t| t <= MAX_UNIX)
        .ok_or(malformed("timestamp out of range"))?;
    if issued_at > MAX_UNIX {
        return Err(malformed("timestamp out of range"));
    }
    let (lifetime, schema) = if version == 1 {
        (None, 0)
    } else {
        let flags = reader.byte()?;
        if flags & !KNOWN_FLAGS != 0 {
            return Err(malformed("unknown lifetime flags"));
        }
        let mut lifetime_secs = |flag: u8| -> Result<Option<u64>, Error> {
            if flags & flag == 0 {
                return Ok(None);
            }
            let secs = reader.varint()?;
            if !(1..=MAX_LIFETIME_SECS).contains(&secs) {
                return Err(malformed("lifetime out of range"));
            }
            Ok(Some(secs))
        };
        let absolute = lifetime_secs(FLAG_ABSOLUTE)?;
        let idle = lifetime_secs(FLAG_IDLE)?;
        let schema = u32::try_from(reader.varint()?)
            .map_err(|_| malformed("schema version out of range"))?;
        let lifetime = Lifetime::from_parts(absolute, idle, flags & FLAG_PERSISTENT != 0);
        (Some(lifetime), schema)
    };
    let inner = Inner {
        session_id: *session_id,
        issued_at,
        sealed_at,
        lifetime,
        schema,
    };
    Ok((inner, SESSION_ID_LEN + reader.at))
}

/// A cursor over the plaintext's metadata.
struct Reader<'a> {
    bytes: &'a [u8],
    at: usize,
}

impl Reader<'_> {
    fn byte(&mut self) -> Result<u8, Error> {
        let b = *self
            .bytes
            .get(self.at)
            .ok_or(malformed("truncated metadata"))?;
        self.at += 1;
        Ok(b)
    }

    fn varint(&mut self) -> Result<u64, Error> {
        let (v, n) = get_varint(&self.bytes[self.at.min(self.bytes.len())..])?;
        self.at += n;
        Ok(v)
    }
}

/// Unsigned LEB128, as postcard writes integers.
fn put_varint(buf: &mut Vec<u8>, mut v: u64) {
    while v >= 0x80 {
        buf.push((v as u8) | 0x80);
        v >>= 7;
    }
    buf.push(v as u8);
}

/// Reads a canonical unsigned LEB128 (no superfluous trailing zero group, at most 10 bytes,
/// no bits beyond 64).
fn get_varint(bytes: &[u8]) -> Result<(u64, usize), Error> {
    let mut v: u64 = 0;
    for (i, &b) in bytes.iter().enumerate().take(10) {
        let low = u64::from(b & 0x7f);
        if i == 9 && b > 0x01 {
            return Err(malformed("varint overflows 64 bits"));
        }
        v |= low << (7 * i);
        if b & 0x80 == 0 {
            if b == 0 && i > 0 {
                return Err(malformed("varint is not minimal"));
            }
            return Ok((v, i + 1));
        }
    }
    Err(malformed("truncated varint"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn varints_round_trip_at_every_width() {
        let mut values = vec![0u64, 1, 127, 128, 16383, 16384, u64::MAX];
        values.extend((0..64).map(|s| 1u64 << s));
        for v in values {
            let mut buf = Vec::new();
            put_varint(&mut buf, v);
            assert_eq!(get_varint(&buf).unwrap(), (v, buf.len()), "{v}");
        }
    }

    #[test]
    fn varints_reject_non_minimal_overflowing_and_truncated_forms() {
        assert!(get_varint(&[0x80, 0x00]).is_err());
        assert!(get_varint(&[0x80]).is_err());
        assert!(get_varint(&[]).is_err());
        assert!(get_varint(&[0xff; 9].iter().chain(&[0x02]).copied().collect::<Vec<_>>()).is_err());
        assert!(get_varint(&[0xff; 11]).is_err());
    }

    #[test]
    fn header_rejects_unknown_bytes_and_short_input() {
        assert!(read_header(&[]).is_err());
        assert!(read_header(&[0x13; 100]).is_err());
        assert!(read_header(&[0x23; 100]).is_err());
        let min_v1 = Mode::Signed.overhead() + SESSION_ID_LEN + 2;
        assert!(read_header(&vec![V1_SIGNED; min_v1 - 1]).is_err());
        assert!(read_header(&vec![V1_SIGNED; min_v1]).is_ok());
        let min_v2 = min_v1 + 2;
        assert!(read_header(&vec![V2_SIGNED; min_v2 - 1]).is_err());
        assert_eq!(read_header(&vec![V2_SIGNED; min_v2]).unwrap().version, 2);
    }

    fn plaintext(tail: &[u8]) -> Vec<u8> {
        let mut p = vec![7; SESSION_ID_LEN];
        p.extend_from_slice(&[0x01, 0x00]);
        p.extend_from_slice(tail);
        p
    }

    #[test]
    fn v2_metadata_parses_and_rejects_what_a_sealer_never_writes() {
        let (inner, used) = read_inner(2, &plaintext(&[0x07, 0x0a, 0x05, 0x03, 0xaa])).unwrap();
        let lifetime = inner.lifetime.unwrap();
        assert_eq!(lifetime.absolute_secs(), Some(10));
        assert_eq!(lifetime.idle_secs(), Some(5));
        assert!(lifetime.is_persistent());
        assert_eq!((inner.schema, used), (3, SESSION_ID_LEN + 6));
        let (inner, _) = read_inner(2, &plaintext(&[0x00, 0x00])).unwrap();
        assert_eq!(
            inner.lifetime,
            Some(Lifetime::from_parts(None, None, false))
        );
        for bad in [
            &[0x08, 0x00][..],                     // unknown flag
            &[0x01, 0x00, 0x00],                   // zero lifetime
            &[0x01],                               // truncated
            &[0x00, 0x80, 0x80, 0x80, 0x80, 0x10], // schema beyond u32
        ] {
            assert!(read_inner(2, &plaintext(bad)).is_err(), "{bad:?}");
        }
        let (v1, _) = read_inner(1, &plaintext(&[])).unwrap();
        assert_eq!((v1.lifetime, v1.schema), (None, 0));
    }
}

/// Tests that kill mutants the suite above let live (MUTANTS.md).
#[cfg(test)]
mod mutant_kills {
    use super::*;

    fn v2_plaintext(issued_at: u64, delta: u64) -> Vec<u8> {
        let mut p = vec![7; SESSION_ID_LEN];
        put_varint(&mut p, issued_at);
        put_varint(&mut p, delta);
        p.extend_from_slice(&[0x00, 0x00]); // no lifetime flags, schema 0
        p
    }

    #[test]
    fn timestamps_up_to_the_last_second_of_9999_open_and_no_further() {
        for (issued_at, delta) in [(MAX_UNIX, 0), (MAX_UNIX - 1, 1), (0, MAX_UNIX)] {
            let (inner, _) = read_inner(2, &v2_plaintext(issued_at, delta)).unwrap();
            assert_eq!(
                (inner.issued_at, inner.sealed_at),
                (issued_at, issued_at + delta)
            );
        }
        for (issued_at, delta) in [
            (MAX_UNIX, 1),
            (MAX_UNIX + 1, 0),
            (u64::MAX, 0),
            (1, u64::MAX),
        ] {
            assert!(read_inner(2, &v2_plaintext(issued_at, delta)).is_err());
        }
    }

    /// The smallest envelopes as FORMAT.md counts them (header 5, nonce 24, GCM tag 16 or
    /// HMAC tag 32, session id 16, two varints, and in version 2 the flags and schema bytes),
    /// written out rather than derived from `Mode::overhead`, which they check.
    #[test]
    fn smallest_envelopes_have_the_documented_lengths() {
        for (format, min) in [
            (V1_ENCRYPTED, 63),
            (V1_SIGNED, 55),
            (V2_ENCRYPTED, 65),
            (V2_SIGNED, 57),
        ] {
            assert!(read_header(&vec![format; min - 1]).is_err(), "{format:#x}");
            assert!(read_header(&vec![format; min]).is_ok(), "{format:#x}");
        }
    }
}
