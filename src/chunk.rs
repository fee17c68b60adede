//! Splitting a sealed value across several cookies and joining it back (FORMAT.md, "Chunks").
//!
//! A value that fits one cookie is sent as is, under the codec's cookie name. A larger one is cut
//! into `n` (2 to [`MAX_CHUNKS`]) pieces, sent as cookies `name`, `name.1`, ... `name.{n-1}`,
//! each value being the base64url of a 7-byte frame header and the piece:
//!
//! ```text
//! 0x1c | index (1) | count (1) | generation (4) | piece
//! ```
//!
//! The generation is the last four bytes of the envelope (its tag), so chunks of two different
//! seals are told apart before any cryptography runs, and the reported error says so. The joined
//! envelope is then authenticated as a whole, so a chunk forged to match still fails.

use crate::base64url;
use crate::cookie::RequestCookies;
use crate::error::{ChunkError, Error, malformed};

/// The hard cap on chunks per session. It bounds the work `open` does whatever the request holds.
pub const MAX_CHUNKS: usize = 16;

const FRAME_MARKER: u8 = 0x1c;
const FRAME_HEADER_LEN: usize = 7;
const GENERATION_LEN: usize = 4;

/// Chunk names for indices at least 10 are the longest (`name.15`).
const LONGEST_SUFFIX: usize = 3;

/// The name of chunk `index`.
#[cfg(test)]
pub(crate) fn chunk_name(base: &str, index: usize) -> String {
    let mut name = String::new();
    push_chunk_name(&mut name, base, index);
    name
}

fn chunk_index(base: &str, name: &str) -> Option<usize> {
    if name == base {
        return Some(0);
    }
    let digits = name.strip_prefix(base)?.strip_prefix('.')?;
    // Canonical decimal 1..MAX_CHUNKS only; anything else is some other cookie.
    // `usize::from_str` alone would accept a leading `+`.
    let canonical = matches!(digits.len(), 1 | 2)
        && digits.bytes().all(|b| b.is_ascii_digit())
        && !digits.starts_with('0');
    if !canonical {
        return None;
    }
    let index: usize = digits.parse().ok()?;
    (index < MAX_CHUNKS).then_some(index)
}

/// Which of a session's chunk names a request carried (indices 0 to [`MAX_CHUNKS`] - 1), without
/// their values: all a later write needs to delete the chunks the browser no longer needs.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct ChunkSet(u16);

const _: () = assert!(MAX_CHUNKS <= u16::BITS as usize);

impl ChunkSet {
    pub(crate) fn is_empty(self) -> bool {
        self.0 == 0
    }

    /// The names as a `Cookie` header with empty values (`s=; s.1=`), the form the codec's
    /// `seal` and `clear` read the request's chunks from.
    pub(crate) fn cookie_header(self, base: &str) -> String {
        let mut out = String::new();
        for i in (0..MAX_CHUNKS).filter(|&i| self.0 & (1 << i) != 0) {
            if !out.is_empty() {
                out.push_str("; ");
            }
            push_chunk_name(&mut out, base, i);
            out.push('=');
        }
        out
    }
}

/// Most cookies kept per chunk name. Several cookies of one name reach the server when a
/// sibling subdomain plants one with a narrower path (cookie tossing); a few are enough to find
/// the one that belongs to the head chunk, and the cap bounds the work.
const MAX_CANDIDATES: usize = 4;

/// The request's cookies that carry chunk names, by index: up to [`MAX_CANDIDATES`] per name.
#[derive(Debug, Clone, Default)]
pub(crate) struct Slots<'a> {
    values: [[Option<&'a str>; MAX_CANDIDATES]; MAX_CHUNKS],
    counts: [usize; MAX_CHUNKS],
    header_bytes: usize,
}

impl<'a> Slots<'a> {
    /// Collects the chunk-named cookies: one scan, no allocation.
    pub(crate) fn collect(cookies: &RequestCookies<'a>, base: &str) -> Self {
        Self::collect_with(cookies, base, |_, _| {})
    }

    /// Like [`collect`](Self::collect), handing every other cookie to `other` in the same scan
    /// (the adapters find the flash cookie this way instead of scanning the header again).
    pub(crate) fn collect_with(
        cookies: &RequestCookies<'a>,
        base: &str,
        mut other: impl FnMut(&'a str, &'a str),
    ) -> Self {
        let mut slots = Slots::default();
        let mut cookies_seen = 0usize;
        for (name, value) in cookies.iter() {
            let Some(i) = chunk_index(base, name) else {
                other(name, value);
                continue;
            };
            if let Some(free) = slots.values[i].get_mut(slots.counts[i]) {
                *free = Some(value);
            }
            slots.counts[i] += 1;
            // Every cookie of the session's names counts toward the budget, ignored or not.
            slots.header_bytes = slots
                .header_bytes
                .saturating_add(name.len() + 1 + value.len());
            cookies_seen += 1;
        }
        slots.header_bytes = slots
            .header_bytes
            .saturating_add(2 * cookies_seen.saturating_sub(1));
        slots
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.counts.iter().all(|&c| c == 0)
    }

    /// Whether the head (the cookie named exactly `base`) is present. Without it the other
    /// chunk cookies are leftovers: they open nothing, and the next write deletes them.
    pub(crate) fn has_head(&self) -> bool {
        self.counts[0] > 0
    }

    /// Indices of the chunk names the request carries.
    pub(crate) fn present(&self) -> impl Iterator<Item = usize> + Clone + '_ {
        (0..MAX_CHUNKS).filter(|&i| self.counts[i] > 0)
    }

    /// The chunk names the request carries, without their values.
    pub(crate) fn held(&self) -> ChunkSet {
        ChunkSet(self.present().fold(0, |bits, i| bits | 1 << i))
    }

    /// Bytes these cookies take in the request's `Cookie` header (`name=value` and separators),
    /// every cookie of the session's names counted, duplicates included.
    pub(crate) fn header_bytes(&self) -> usize {
        self.header_bytes
    }

    /// Decodes the head and joins the chunks it announces into the envelope, appended to `out`
    /// (FORMAT.md 5.3). Cookies of chunk names at or beyond the announced count, or of another
    /// generation beside the one that matches, are ignored: concurrent responses leave such
    /// leftovers in a browser's jar, and opening must not fail over them.
    /// Returns how many chunks were joined (1 for a whole value).
    pub(crate) fn join(&self, out: &mut Vec<u8>) -> Result<usize, Error> {
        match self.counts[0] {
            0 => return Err(ChunkError::Missing { index: 0 }.into()),
            1 => {}
            // Two heads: which one the app wrote cannot be told without trying keys; one may be
            // planted. Ambiguous, so an error, never a guess.
            _ => return Err(ChunkError::Duplicate { index: 0 }.into()),
        }
        let Some(first) = self.values[0][0] else {
            return Err(ChunkError::Missing { index: 0 }.into());
        };
        base64url::decode_to(first, out)?;
        if out.first() != Some(&FRAME_MARKER) {
            // A whole envelope in one cookie; chunk cookies beside it are leftovers.
            return Ok(1);
        }
        let header = FrameHeader::read(out)?;
        if header.index != 0 {
            return Err(ChunkError::MixedGeneration.into());
        }
        let count = header.count;
        if !(2..=MAX_CHUNKS).contains(&count) {
            return Err(ChunkError::TooMany {
                count,
                max: MAX_CHUNKS,
            }
            .into());
        }
        out.drain(..FRAME_HEADER_LEN);
        for index in 1..count {
            self.append_piece(index, &header, out)?;
        }
        if out.len() < GENERATION_LEN || out[out.len() - GENERATION_LEN..] != header.generation {
            return Err(ChunkError::MixedGeneration.into());
        }
        Ok(count)
    }

    /// Appends the piece of the one cookie named for chunk `index` whose frame matches the head
    /// (index, count, generation); other cookies of that name are ignored.
    fn append_piece(
        &self,
        index: usize,
        head: &FrameHeader,
        out: &mut Vec<u8>,
    ) -> Result<(), Error> {
        if self.counts[index] == 0 {
            return Err(ChunkError::Missing { index }.into());
        }
        if self.counts[index] > MAX_CANDIDATES {
            return Err(ChunkError::Duplicate { index }.into());
        }
        let mut found = false;
        let mut mismatch: Option<Error> = None;
        for value in self.values[index].iter().flatten() {
            let start = out.len();
            let matches = match base64url::decode_to(value, out)
                .and_then(|()| FrameHeader::read(&out[start..]))
            {
                Ok(h) => {
                    h.index == index && h.count == head.count && h.generation == head.generation
                }
                Err(e) => {
                    mismatch.get_or_insert(e);
                    false
                }
            };
            if !matches {
                mismatch.get_or_insert(ChunkError::MixedGeneration.into());
                out.truncate(start);
                continue;
            }
            if found {
                // Two cookies claim the same piece of the same seal: ambiguous.
                return Err(ChunkError::Duplicate { index }.into());
            }
            found = true;
            out.copy_within(start + FRAME_HEADER_LEN.., start);
            out.truncate(out.len() - FRAME_HEADER_LEN);
        }
        match (found, mismatch) {
            (true, _) => Ok(()),
            (false, Some(e)) => Err(e),
            (false, None) => Err(ChunkError::Missing { index }.into()),
        }
    }
}

struct FrameHeader {
    index: usize,
    count: usize,
    generation: [u8; GENERATION_LEN],
}

impl FrameHeader {
    fn read(frame: &[u8]) -> Result<Self, Error> {
        match frame {
            [FRAME_MARKER, index, count, g0, g1, g2, g3, _, ..] => Ok(FrameHeader {
                index: usize::from(*index),
                count: usize::from(*count),
                generation: [*g0, *g1, *g2, *g3],
            }),
            [FRAME_MARKER, ..] => Err(malformed("chunk frame without a piece")),
            _ => Err(malformed("chunk is not a chunk frame")),
        }
    }
}

/// Decimal digits of `i`.
fn digits(i: usize) -> usize {
    i.checked_ilog10().map_or(1, |d| d as usize + 1)
}

/// How a sealed value of a given size is laid out in cookies.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Layout {
    /// 1 for an unchunked value.
    pub(crate) count: usize,
    /// Bytes of the envelope in each chunk (all but the last; ignored when `count` is 1).
    pub(crate) piece: usize,
    /// Bytes the cookies take in the request's `Cookie` header.
    pub(crate) header_bytes: usize,
}

/// Why no layout fits: the Cookie header bytes the value needs, and the most that
/// [`MAX_CHUNKS`] cookies within the per-cookie limit can carry.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Overflow {
    pub(crate) needed: usize,
    pub(crate) capacity: usize,
}

/// Plans the layout of an `envelope_len`-byte envelope under `base`, where every `Set-Cookie`
/// line also carries `attrs_len` bytes of attributes and must stay within `per_cookie`
/// (FORMAT.md section 5.1).
pub(crate) fn plan(
    envelope_len: usize,
    base: &str,
    attrs_len: usize,
    per_cookie: usize,
) -> Result<Layout, Overflow> {
    let whole = base64url::encoded_len(envelope_len);
    if base.len() + 1 + whole + attrs_len <= per_cookie {
        return Ok(Layout {
            count: 1,
            piece: envelope_len,
            header_bytes: base.len() + 1 + whole,
        });
    }
    let value_room = per_cookie.saturating_sub(base.len() + LONGEST_SUFFIX + 1 + attrs_len);
    let piece_max = base64url::max_decoded_len(value_room).saturating_sub(FRAME_HEADER_LEN);
    if piece_max == 0 {
        return Err(Overflow {
            needed: base.len() + 1 + whole,
            capacity: 0,
        });
    }
    let estimate = envelope_len.div_ceil(piece_max).max(2);
    // Spread the bytes evenly so no chunk is much larger than the others; even pieces may need
    // one chunk fewer than the estimate (9 bytes in pieces of 3).
    let piece = envelope_len.div_ceil(estimate);
    let count = envelope_len.div_ceil(piece);
    let header_bytes = header_bytes(base, envelope_len, piece);
    if count > MAX_CHUNKS {
        return Err(Overflow {
            needed: header_bytes,
            capacity: self::header_bytes(base, MAX_CHUNKS * piece_max, piece_max),
        });
    }
    Ok(Layout {
        count,
        piece,
        header_bytes,
    })
}

/// Cookie header bytes of `len` envelope bytes cut into chunks of `piece` bytes.
fn header_bytes(base: &str, len: usize, piece: usize) -> usize {
    let count = len.div_ceil(piece);
    let pairs: usize = (0..count)
        .map(|i| {
            let this = piece.min(len - piece * i);
            let suffix = if i == 0 { 0 } else { 1 + digits(i) };
            base.len() + suffix + 1 + base64url::encoded_len(FRAME_HEADER_LEN + this)
        })
        .sum();
    pairs + 2 * count.saturating_sub(1)
}

/// Calls `emit(index, bytes)` with the bytes each cookie's value encodes, in chunk order: the
/// envelope itself when unchunked, else each chunk's frame.
pub(crate) fn for_each_value(envelope: &[u8], layout: Layout, mut emit: impl FnMut(usize, &[u8])) {
    if layout.count == 1 {
        emit(0, envelope);
        return;
    }
    let generation = &envelope[envelope.len() - GENERATION_LEN..];
    let mut frame = Vec::with_capacity(FRAME_HEADER_LEN + layout.piece);
    for (index, piece) in envelope.chunks(layout.piece).enumerate() {
        frame.clear();
        // Both fit a byte: count <= MAX_CHUNKS = 16.
        frame.extend_from_slice(&[FRAME_MARKER, index as u8, layout.count as u8]);
        frame.extend_from_slice(generation);
        frame.extend_from_slice(piece);
        emit(index, &frame);
    }
}

/// Length of the value of chunk `index` (`piece` bytes per chunk, the last one shorter).
pub(crate) fn value_len(envelope_len: usize, layout: Layout, index: usize) -> usize {
    if layout.count == 1 {
        return base64url::encoded_len(envelope_len);
    }
    let this = layout.piece.min(envelope_len - layout.piece * index);
    base64url::encoded_len(FRAME_HEADER_LEN + this)
}

/// Bytes `name.index` adds to `base`.
pub(crate) fn suffix_len(index: usize) -> usize {
    if index == 0 { 0 } else { 1 + digits(index) }
}

/// Appends the name of chunk `index` to `out`.
pub(crate) fn push_chunk_name(out: &mut String, base: &str, index: usize) {
    out.push_str(base);
    if index > 0 {
        out.push('.');
        if index >= 10 {
            out.push(char::from(b'0' + (index / 10) as u8));
        }
        out.push(char::from(b'0' + (index % 10) as u8));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn held_chunk_names_come_back_as_a_header_without_values() {
        let request = RequestCookies::from_header("s.2=b; x=1; s=a; s.x=9; s.15=c; s.2=d");
        let mut others = Vec::new();
        let slots = Slots::collect_with(&request, "s", |n, v| others.push((n, v)));
        assert_eq!(others, [("x", "1"), ("s.x", "9")]);
        let header = slots.held().cookie_header("s");
        assert_eq!(header, "s=; s.2=; s.15=");
        let again = Slots::collect(&RequestCookies::from_header(&header), "s");
        assert_eq!(again.held(), slots.held());
        assert!(ChunkSet::default().is_empty());
        assert_eq!(ChunkSet::default().cookie_header("s"), "");
    }

    #[test]
    fn chunk_names_are_canonical_and_bounded() {
        assert_eq!(chunk_index("s", "s"), Some(0));
        assert_eq!(chunk_index("s", "s.1"), Some(1));
        assert_eq!(chunk_index("s", "s.15"), Some(15));
        for other in [
            "s.0", "s.01", "s.16", "s.999", "s.", "s.x", "sx.1", "s1", "t",
        ] {
            assert_eq!(chunk_index("s", other), None, "{other}");
        }
    }

    #[test]
    fn plan_fits_every_line_and_spreads_evenly() {
        for len in [10, 100, 1000, 3000, 5000, 11_000] {
            let layout = plan(len, "session", 60, 1000).unwrap();
            let mut values = Vec::new();
            for_each_value(&vec![0xab; len], layout, |i, bytes| {
                let mut v = String::new();
                base64url::encode_to(bytes, &mut v);
                assert_eq!(v.len(), value_len(len, layout, i));
                values.push(v);
            });
            assert_eq!(values.len(), layout.count);
            let mut header = 0;
            for (i, v) in values.iter().enumerate() {
                let line = chunk_name("session", i).len() + 1 + v.len() + 60;
                assert!(line <= 1000, "len {len} chunk {i}: {line}");
                header += chunk_name("session", i).len() + 1 + v.len();
            }
            header += 2 * (values.len() - 1);
            assert_eq!(header, layout.header_bytes, "len {len}");
        }
        assert!(plan(12_000, "session", 60, 1000).is_err());
    }

    #[test]
    fn single_cookie_boundary_is_exact() {
        // 3 bytes encode to 4 characters: "s=" + 4 + attrs 4 = 10.
        assert_eq!(plan(3, "s", 4, 10).unwrap().count, 1);
        // One byte less leaves no room for even a one-byte chunk frame.
        assert!(plan(3, "s", 4, 9).is_err());
    }
}

/// Tests that kill mutants the suite above let live (MUTANTS.md).
#[cfg(test)]
mod mutant_kills {
    use super::*;

    /// Kills `ChunkSet::is_empty -> true` (line 63): only the adapters' flash cookie asks
    /// (`src/adapters/session/flash.rs`), whose tests are not in the core's selection.
    #[test]
    fn a_held_chunk_set_is_not_empty() {
        let held = Slots::collect(&RequestCookies::from_header("s.3=x"), "s").held();
        assert!(!held.is_empty());
        assert!(!ChunkSet(1).is_empty());
    }

    /// Kills the three mutants of `base.len() + 1 + whole` in the `piece_max == 0` branch of
    /// `plan` (line 314): the codec's builder keeps every configuration out of that branch
    /// (64 bytes of value room at least), so only `plan` itself can be asked.
    #[test]
    fn an_overflow_without_room_for_a_frame_reports_the_whole_value() {
        // 3 bytes encode to 4 characters: "s=" + 4 = 6 needed; 9 - ("s.15=" + 4) leaves none.
        assert_eq!(
            plan(3, "s", 4, 9),
            Err(Overflow {
                needed: 6,
                capacity: 0
            })
        );
        // "sess=" + 4 = 9; the mutants give 7 (`-`), 8 (`*` at 32) and 20 (`*` at 36).
        assert_eq!(
            plan(3, "sess", 4, 12),
            Err(Overflow {
                needed: 9,
                capacity: 0
            })
        );
    }
}
