//! Compact JWS (RFC 7515 §7.1): the three segments and their signing input, and base64url as JWS
//! uses it (no padding, canonical trailing bits). No JSON here.

use crate::error::ErrorKind;

/// The three segments of a compact JWS, and the signing input they share.
pub(crate) struct Parts<'a> {
    pub(crate) header: &'a [u8],
    pub(crate) payload: &'a [u8],
    pub(crate) signature: &'a [u8],
    pub(crate) signing_input: &'a [u8],
}

/// Exactly three non-empty segments.
pub(crate) fn split(token: &[u8]) -> Option<Parts<'_>> {
    let first = find_dot(token)?;
    let last = rfind_dot(token)?;
    let header = token.get(..first)?;
    let payload = token.get(first + 1..last)?;
    let signature = token.get(last + 1..)?;
    // A fourth segment has a dot inside the middle one.
    if header.is_empty() || payload.is_empty() || signature.is_empty() || any_dot(payload) {
        return None;
    }
    let signing_input = token.get(..last)?;
    Some(Parts {
        header,
        payload,
        signature,
        signing_input,
    })
}

/// Whether `bytes` hold a dot. No early exit, so the compiler makes it SIMD compares.
#[inline(always)]
fn any_dot(bytes: &[u8]) -> bool {
    bytes.iter().fold(false, |found, &b| found | (b == b'.'))
}

/// Position of the first dot, found 16 bytes at a time.
#[inline]
fn find_dot(bytes: &[u8]) -> Option<usize> {
    let mut skipped = 0;
    for chunk in bytes.chunks_exact(16) {
        if any_dot(chunk) {
            break;
        }
        skipped += 16;
    }
    let rest = bytes.get(skipped..)?;
    rest.iter().position(|&b| b == b'.').map(|i| skipped + i)
}

/// Position of the last dot, found 16 bytes at a time from the end.
#[inline]
fn rfind_dot(bytes: &[u8]) -> Option<usize> {
    let mut kept = bytes.len();
    for chunk in bytes.rchunks_exact(16) {
        if any_dot(chunk) {
            break;
        }
        kept -= 16;
    }
    bytes.get(..kept)?.iter().rposition(|&b| b == b'.')
}

/// Canonical base64url without padding (no `=`, `+`, `/`, whitespace, or stray trailing bits).
pub(crate) fn decode(segment: &[u8]) -> Result<Vec<u8>, ErrorKind> {
    let mut out = vec![0u8; b64::decoded_len(segment.len()).ok_or(ErrorKind::Malformed)?];
    b64::decode(segment, &mut out).ok_or(ErrorKind::Malformed)?;
    Ok(out)
}

/// Decodes into `buf` when the result fits, else into `heap`.
pub(crate) fn decode_into<'b>(
    segment: &[u8],
    buf: &'b mut [u8],
    heap: &'b mut Vec<u8>,
) -> Result<&'b [u8], ErrorKind> {
    let len = b64::decoded_len(segment.len()).ok_or(ErrorKind::Malformed)?;
    if len <= buf.len() {
        b64::decode(segment, buf).ok_or(ErrorKind::Malformed)?;
        return buf.get(..len).ok_or(ErrorKind::Malformed);
    }
    *heap = decode(segment)?;
    Ok(heap)
}

/// base64url (RFC 4648 §5) as JWS uses it: no padding, canonical trailing bits.
///
/// Decoded here rather than with the `base64` crate, which spends about 6.5 instructions per
/// character on these inputs against about 4 here, on the ~1 100 characters of every token: four
/// lookup tables, each already shifted to its place in a 24-bit group, turn four characters into
/// three bytes with four loads and three ORs, and an invalid character sets bits above the group,
/// checked once at the end rather than once per character. The unit tests check it against the
/// `base64` crate.
pub(crate) mod b64 {
    /// Set by an invalid character: above the 24 bits of a group.
    const INVALID: u32 = 0xFF00_0000;

    const fn sextet(b: u8) -> u32 {
        match b {
            b'A'..=b'Z' => (b - b'A') as u32,
            b'a'..=b'z' => (b - b'a') as u32 + 26,
            b'0'..=b'9' => (b - b'0') as u32 + 52,
            b'-' => 62,
            b'_' => 63,
            _ => INVALID,
        }
    }

    const fn table(shift: u32) -> [u32; 256] {
        let mut table = [INVALID; 256];
        let mut rest: &mut [u32] = &mut table;
        let mut byte: u8 = 0;
        while let [entry, tail @ ..] = rest {
            let s = sextet(byte);
            if s != INVALID {
                *entry = s << shift;
            }
            rest = tail;
            byte = byte.wrapping_add(1);
        }
        table
    }

    static T0: [u32; 256] = table(18);
    static T1: [u32; 256] = table(12);
    static T2: [u32; 256] = table(6);
    static T3: [u32; 256] = table(0);

    #[inline(always)]
    fn lookup(table: &[u32; 256], b: u8) -> u32 {
        // Never `None`: a `u8` indexes 256 entries (and the check compiles away).
        table.get(usize::from(b)).copied().unwrap_or(INVALID)
    }

    #[inline(always)]
    fn group(a: u8, b: u8, c: u8, d: u8) -> u32 {
        lookup(&T0, a) | lookup(&T1, b) | lookup(&T2, c) | lookup(&T3, d)
    }

    /// Decoded length of `len` characters; `None` for a length no encoding has (4n + 1).
    #[inline]
    pub(crate) fn decoded_len(len: usize) -> Option<usize> {
        let whole = len / 4 * 3;
        match len % 4 {
            0 => Some(whole),
            2 => Some(whole + 1),
            3 => Some(whole + 2),
            _ => None,
        }
    }

    /// Decodes `input` into the start of `out`: the decoded length, or `None` when `input` is not
    /// canonical unpadded base64url or `out` is too short.
    pub(crate) fn decode(input: &[u8], out: &mut [u8]) -> Option<usize> {
        let len = decoded_len(input.len())?;
        let out = out.get_mut(..len)?;
        // Eight characters make six bytes; `decoded_len` makes both counts of whole blocks equal.
        let (blocks, tail) = input.as_chunks::<8>();
        let (out_blocks, out_tail) = out.as_chunks_mut::<6>();
        let mut bad = 0;
        for ([a, b, c, d, e, f, g, h], dst) in blocks.iter().zip(out_blocks) {
            let high = group(*a, *b, *c, *d);
            let low = group(*e, *f, *g, *h);
            bad |= high | low;
            // Invalid bits of `low` may spoil the bytes, but then the whole decode fails.
            let [_, _, bytes @ ..] = (u64::from(high) << 24 | u64::from(low)).to_be_bytes();
            *dst = bytes;
        }
        // Up to seven characters: their bits, then the stray ones, which must be zero.
        let mut bits: u64 = 0;
        for &c in tail {
            let s = lookup(&T3, c);
            bad |= s;
            bits = bits << 6 | u64::from(s & 0x3F);
        }
        let stray = 6 * tail.len() - 8 * out_tail.len();
        if bits & ((1 << stray) - 1) != 0 {
            return None;
        }
        let bytes = (bits >> stray).to_be_bytes();
        out_tail.copy_from_slice(bytes.get(8 - out_tail.len()..)?);
        (bad & INVALID == 0).then_some(len)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn structure() {
        assert!(split(b"a.b.c").is_some());
        for bad in [
            &b"a.b"[..],
            b"a.b.c.d",
            b"a.b.c.d.e",
            b".b.c",
            b"a..c",
            b"a.b.",
            b"abc",
            b"",
        ] {
            assert!(split(bad).is_none(), "{bad:?}");
        }
        assert_eq!(split(b"ab.cd.ef").unwrap().signing_input, b"ab.cd");
        // Dots at every offset around the 8-byte words.
        for len in 3..40 {
            for i in 0..len {
                for j in i + 1..len {
                    let mut t = vec![b'x'; len];
                    t[i] = b'.';
                    t[j] = b'.';
                    let parts = split(&t);
                    assert_eq!(
                        parts.is_some(),
                        i > 0 && j > i + 1 && j < len - 1,
                        "{len} {i} {j}"
                    );
                    if let Some(p) = parts {
                        assert_eq!((p.header.len(), p.payload.len()), (i, j - i - 1));
                        assert_eq!((p.signature.len(), p.signing_input.len()), (len - j - 1, j));
                    }
                    assert_eq!(find_dot(&t), Some(i));
                    assert_eq!(rfind_dot(&t), Some(j));
                }
            }
            assert_eq!(find_dot(&vec![b'x'; len]), None);
            assert_eq!(rfind_dot(&vec![0xae; len]), None);
        }
        assert!(decode(b"eyJ=").is_err());
        assert!(decode(b"ab+c").is_err());
        assert!(decode(b"ab c").is_err());
        // "QR" has non-zero trailing bits where "QQ" is canonical for "A".
        assert!(decode(b"QQ").is_ok());
        assert!(decode(b"QR").is_err());
    }

    /// The decoder against the `base64` crate's canonical unpadded base64url.
    #[test]
    fn b64_matches_the_base64_crate() {
        use base64::Engine;
        use base64::engine::general_purpose::URL_SAFE_NO_PAD;
        let mut cases: Vec<Vec<u8>> = Vec::new();
        // Every string of up to three characters over a mixed alphabet, and longer ones.
        let alphabet = b"AQgw_-/+=.9az \x00\xff";
        let mut strings: Vec<Vec<u8>> = vec![Vec::new()];
        for _ in 0..3 {
            strings = strings
                .iter()
                .flat_map(|s| {
                    alphabet.iter().map(move |&c| {
                        let mut s = s.clone();
                        s.push(c);
                        s
                    })
                })
                .collect();
            cases.extend(strings.iter().cloned());
        }
        let mut seed = 0x9E37_79B9_7F4A_7C15_u64;
        let mut next = move || {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            seed
        };
        for len in 0..80 {
            for _ in 0..50 {
                let bytes: Vec<u8> = (0..len).map(|_| next() as u8).collect();
                let mut text = URL_SAFE_NO_PAD.encode(&bytes).into_bytes();
                cases.push(text.clone());
                if !text.is_empty() {
                    // One character changed, anywhere.
                    let at = next() as usize % text.len();
                    text[at] = alphabet[next() as usize % alphabet.len()];
                    cases.push(text.clone());
                    text[at] = next() as u8;
                    cases.push(text);
                }
            }
        }
        for case in cases {
            let expected = URL_SAFE_NO_PAD.decode(&case).ok();
            let mut out = vec![0u8; case.len()];
            let got = b64::decode(&case, &mut out).map(|n| out[..n].to_vec());
            assert_eq!(got, expected, "{:?}", String::from_utf8_lossy(&case));
            assert_eq!(decode(&case).ok(), expected);
            if let Some(bytes) = expected {
                let mut exact = vec![0u8; bytes.len()];
                assert_eq!(b64::decode(&case, &mut exact), Some(bytes.len()));
                if !bytes.is_empty() {
                    let mut short = vec![0u8; bytes.len() - 1];
                    assert_eq!(b64::decode(&case, &mut short), None);
                }
            }
        }
    }
}
