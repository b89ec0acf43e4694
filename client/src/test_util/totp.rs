//! RFC 6238 TOTP (HMAC-SHA1, 30 s steps, 6 digits) and the RFC 4648 base32 of its secrets, as
//! authenticator apps read the `SecretCode` of `AssociateSoftwareToken`.

use aws_lc_rs::hmac;

/// Length of a TOTP step, in seconds.
pub(super) const STEP: u64 = 30;
/// Digits of a code.
const DIGITS: u32 = 6;
/// Longest base32 secret accepted by [`totp_code`].
const MAX_SECRET_LEN: usize = 1024;

const ALPHABET: &[u8; 32] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";

/// Base32 (RFC 4648, upper case, no padding).
pub(super) fn base32_encode(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len().div_ceil(5) * 8);
    let (mut buffer, mut bits) = (0u32, 0u32);
    for &byte in bytes {
        buffer = (buffer << 8) | u32::from(byte);
        bits += 8;
        while bits >= 5 {
            bits -= 5;
            out.push(symbol(buffer >> bits));
        }
        buffer &= (1 << bits) - 1;
    }
    if bits > 0 {
        out.push(symbol(buffer << (5 - bits)));
    }
    out
}

fn symbol(index: u32) -> char {
    // `index` is masked to 5 bits, so the lookup cannot miss.
    ALPHABET
        .get((index & 31) as usize)
        .map_or('A', |&b| char::from(b))
}

/// Decodes base32 (either case, padding and spaces ignored); `None` on any other character.
pub(super) fn base32_decode(text: &str) -> Option<Vec<u8>> {
    let mut out = Vec::with_capacity(text.len() * 5 / 8);
    let (mut buffer, mut bits) = (0u32, 0u32);
    for c in text.bytes() {
        if c == b'=' || c == b' ' {
            continue;
        }
        let upper = c.to_ascii_uppercase();
        let value = ALPHABET.iter().position(|&a| a == upper)?;
        buffer = (buffer << 5) | u32::try_from(value).ok()?;
        bits += 5;
        if bits >= 8 {
            bits -= 8;
            out.push(u8::try_from((buffer >> bits) & 0xff).ok()?);
        }
        buffer &= (1 << bits) - 1;
    }
    Some(out)
}

/// The code of `secret` for the step `counter` (RFC 4226 HOTP with HMAC-SHA1).
pub(super) fn hotp(secret: &[u8], counter: u64) -> String {
    let key = hmac::Key::new(hmac::HMAC_SHA1_FOR_LEGACY_USE_ONLY, secret);
    let tag = hmac::sign(&key, &counter.to_be_bytes());
    let digest = tag.as_ref();
    // Dynamic truncation: the low nibble of the last byte picks 4 bytes (a SHA-1 tag has 20
    // bytes, so offset + 4 <= 19 + 1).
    let offset = digest.last().map_or(0, |b| usize::from(b & 0x0f));
    let mut word = [0u8; 4];
    for (dst, src) in word.iter_mut().zip(digest.iter().skip(offset)) {
        *dst = *src;
    }
    let value = u32::from_be_bytes(word) & 0x7fff_ffff;
    format!(
        "{:0width$}",
        value % 10u32.pow(DIGITS),
        width = DIGITS as usize
    )
}

/// The current TOTP code (RFC 6238: HMAC-SHA1, 30-second steps, 6 digits) of a base32 secret
/// such as the `SecretCode` of `AssociateSoftwareToken`, at `unix_time` (seconds): what an
/// authenticator app shows. `None` if the secret is not base32 or is empty.
///
/// ```
/// use tower_cognito_client::test_util::totp_code;
///
/// // RFC 6238, appendix B: the SHA-1 secret "12345678901234567890" at T = 59 s.
/// let secret = "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ";
/// assert_eq!(totp_code(secret, 59).as_deref(), Some("287082"));
/// ```
pub fn totp_code(secret_base32: &str, unix_time: u64) -> Option<String> {
    if secret_base32.len() > MAX_SECRET_LEN {
        return None;
    }
    let secret = base32_decode(secret_base32).filter(|s| !s.is_empty())?;
    Some(hotp(&secret, unix_time / STEP))
}

/// The step in `now - 1 ..= now + 1` (30 s of clock skew either way) whose code is `code`.
/// Compares in constant time.
pub(super) fn matching_step(secret: &[u8], code: &str, now: u64) -> Option<u64> {
    let current = now / STEP;
    let mut found = None;
    for step in [
        current.saturating_sub(1),
        current,
        current.saturating_add(1),
    ] {
        let expected = hotp(secret, step);
        if aws_lc_rs::constant_time::verify_slices_are_equal(expected.as_bytes(), code.as_bytes())
            .is_ok()
        {
            found = Some(step);
        }
    }
    found
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc_6238_sha1_vectors() {
        let secret = b"12345678901234567890";
        // Appendix B (8 digits there; the last 6 of each here).
        for (time, code) in [
            (59, "287082"),
            (1_111_111_109, "081804"),
            (1_111_111_111, "050471"),
            (1_234_567_890, "005924"),
            (2_000_000_000, "279037"),
            (20_000_000_000, "353130"),
        ] {
            assert_eq!(hotp(secret, time / STEP), code, "T = {time}");
        }
    }

    #[test]
    fn base32_round_trip() {
        assert_eq!(
            base32_encode(b"12345678901234567890"),
            "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ"
        );
        assert_eq!(base32_encode(b"f"), "MY");
        assert_eq!(base32_encode(b"foobar"), "MZXW6YTBOI");
        for len in 0..40u8 {
            let bytes: Vec<u8> = (0..len).map(|i| i.wrapping_mul(37)).collect();
            assert_eq!(base32_decode(&base32_encode(&bytes)).unwrap(), bytes);
        }
        assert_eq!(base32_decode("mzxw6ytboi======").unwrap(), b"foobar");
        assert!(base32_decode("not base32!").is_none());
        assert!(totp_code("", 0).is_none());
    }

    #[test]
    fn skew_of_one_step_either_way() {
        let secret = b"12345678901234567890";
        let now = 1_000_000;
        let code = hotp(secret, now / STEP);
        assert_eq!(matching_step(secret, &code, now), Some(now / STEP));
        assert_eq!(matching_step(secret, &code, now + STEP), Some(now / STEP));
        assert_eq!(matching_step(secret, &code, now - STEP), Some(now / STEP));
        assert_eq!(matching_step(secret, &code, now + 2 * STEP), None);
        assert_eq!(matching_step(secret, "12345", now), None);
    }
}
