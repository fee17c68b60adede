//! base64url without padding (RFC 4648 section 5), the text encoding of every sealed value.
//! Its alphabet is cookie-octet safe, so values need no quoting or percent-encoding. Decoding is
//! strict: padding, other alphabets, whitespace and non-zero trailing bits are all rejected, so
//! each byte string has exactly one text form.

use std::sync::LazyLock;

use base64::Engine;
use base64::engine::Simd;
use base64::engine::general_purpose::NO_PAD;

/// The `base64` crate's runtime-dispatched SIMD engine (AVX2 or NEON, scalar elsewhere), strict
/// like its scalar engine: `NO_PAD` rejects padding and non-zero trailing bits.
static URL_SAFE_NO_PAD: LazyLock<Simd> = LazyLock::new(|| Simd::url_safe(NO_PAD));

use crate::error::{Error, malformed};

/// Length of the encoding of `n` bytes.
pub(crate) const fn encoded_len(n: usize) -> usize {
    (n / 3) * 4
        + match n % 3 {
            0 => 0,
            1 => 2,
            _ => 3,
        }
}

/// The most bytes whose encoding fits in `chars` characters.
pub(crate) const fn max_decoded_len(chars: usize) -> usize {
    (chars / 4) * 3
        + match chars % 4 {
            2 => 1,
            3 => 2,
            _ => 0,
        }
}

pub(crate) fn encode_to(bytes: &[u8], out: &mut String) {
    URL_SAFE_NO_PAD.encode_string(bytes, out);
}

/// Appends the decoding of `text` to `out`.
pub(crate) fn decode_to(text: &str, out: &mut Vec<u8>) -> Result<(), Error> {
    if text.len() % 4 == 1 {
        return Err(malformed("base64url text has an impossible length"));
    }
    let start = out.len();
    out.resize(start + max_decoded_len(text.len()), 0);
    match URL_SAFE_NO_PAD.decode_slice(text, &mut out[start..]) {
        Ok(n) => {
            out.truncate(start + n);
            Ok(())
        }
        Err(_) => {
            out.truncate(start);
            Err(malformed("not canonical base64url without padding"))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lengths_agree_with_the_engine() {
        for n in 0..64 {
            let bytes = vec![0xa5; n];
            let mut s = String::new();
            encode_to(&bytes, &mut s);
            assert_eq!(s.len(), encoded_len(n));
            assert_eq!(max_decoded_len(s.len()), n);
            let mut back = Vec::new();
            decode_to(&s, &mut back).unwrap();
            assert_eq!(back, bytes);
        }
    }

    #[test]
    fn rejects_padding_other_alphabets_and_trailing_bits() {
        let mut out = Vec::new();
        for bad in ["AA==", "A+", "A/", "AB", "A", "AA A", "AAB"] {
            assert!(decode_to(bad, &mut out).is_err(), "{bad}");
            assert!(out.is_empty());
        }
        assert!(decode_to("AA", &mut out).is_ok());
    }
}
