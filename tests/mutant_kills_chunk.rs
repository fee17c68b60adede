//! Tests that kill mutants of `src/chunk.rs` the rest of the suite let live (MUTANTS.md,
//! "Killed by a new test"). Each names the mutant it fails on.

mod common;

use common::{b64_decode, b64_encode, now, pairs, ring, value_of};
use sealed_session::{ChunkError, Codec, Error, Inspection, RequestCookies};

/// The cookie header of hand-made chunk frames under the name `s`.
fn header(frames: &[Vec<u8>]) -> String {
    frames
        .iter()
        .enumerate()
        .map(|(i, f)| match i {
            0 => format!("s={}", b64_encode(f)),
            _ => format!("s.{i}={}", b64_encode(f)),
        })
        .collect::<Vec<_>>()
        .join("; ")
}

fn inspect(frames: &[Vec<u8>]) -> Result<Option<Inspection>, Error> {
    Inspection::of_cookies(&RequestCookies::from_header(&header(frames)), "s")
}

/// A frame: marker, index, count 2, generation, piece.
fn frame(index: u8, generation: [u8; 4], piece: &[u8]) -> Vec<u8> {
    let mut f = vec![0x1c, index, 2];
    f.extend_from_slice(&generation);
    f.extend_from_slice(piece);
    f
}

/// Kills `Slots::join`: `||` to `&&` in `out.len() < GENERATION_LEN || out[..] != generation`
/// (line 193). Every frame is relabelled with the same foreign generation, so the frames agree
/// with each other but not with the envelope's tag: the mutant joins them and the (intact)
/// envelope opens.
#[test]
fn frames_that_agree_on_a_generation_the_envelope_does_not_end_with_are_mixed() {
    let codec: Codec<()> = Codec::builder(ring()).build().unwrap();
    let data: Vec<u8> = (0..3_500).map(|i| (i * 131 + 7) as u8).collect();
    let sealed = codec
        .seal_bytes(&data, None, &RequestCookies::new(), now())
        .unwrap();
    assert_eq!(sealed.chunk_count(), 2);
    let relabelled: Vec<String> = pairs(&sealed)
        .iter()
        .map(|pair| {
            let mut frame = b64_decode(value_of(pair));
            for b in &mut frame[3..7] {
                *b ^= 0xff;
            }
            let name = pair.split('=').next().unwrap();
            format!("{name}={}", b64_encode(&frame))
        })
        .collect();
    let request = relabelled.join("; ");
    assert_eq!(
        codec
            .open_bytes(&RequestCookies::from_header(&request), now())
            .unwrap_err(),
        Error::Chunks(ChunkError::MixedGeneration)
    );
}

/// Kills `<` to `==` at line 193: two one-byte pieces join to 2 bytes, shorter than a
/// generation; the mutant indexes `out[2 - 4..]` and panics.
#[test]
fn a_join_shorter_than_a_generation_is_mixed_not_a_panic() {
    let g = [1, 2, 3, 4];
    assert_eq!(
        inspect(&[frame(0, g, &[1]), frame(1, g, &[2])]).unwrap_err(),
        Error::Chunks(ChunkError::MixedGeneration)
    );
}

/// Kills `<` to `<=` at line 193: two two-byte pieces join to exactly the 4 generation bytes,
/// which match; the join succeeds and only the envelope's header check refuses the 4 bytes.
/// The mutant reports mixed generations instead.
#[test]
fn a_join_of_exactly_the_generation_passes_the_chunk_check() {
    let g = [0x02, 0x01, 0x00, 0x00];
    let err = inspect(&[frame(0, g, &g[..2]), frame(1, g, &g[2..])]).unwrap_err();
    assert!(matches!(err, Error::Malformed { .. }), "{err:?}");
}

/// Kills `FrameHeader::read`: deleting the arm `[FRAME_MARKER, ..]` (line 263). A head that is
/// a frame header with no piece is reported as such, not as "not a chunk frame".
#[test]
fn a_frame_without_a_piece_is_named_so() {
    assert_eq!(
        inspect(&[vec![0x1c, 0, 2, 1, 2, 3, 4]]).unwrap_err(),
        Error::Malformed {
            reason: "chunk frame without a piece"
        }
    );
}
