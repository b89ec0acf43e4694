//! Random ids (session ids, `state`, `nonce`, PKCE verifiers) and the PKCE S256 challenge.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;

/// 32 bytes from the OS CSPRNG, base64url without padding: 43 characters.
pub(crate) fn random_id() -> Option<String> {
    let mut bytes = [0u8; 32];
    aws_lc_rs::rand::fill(&mut bytes).ok()?;
    Some(URL_SAFE_NO_PAD.encode(bytes))
}

/// Whether `id` has the form [`random_id`] makes: exactly 43 base64url characters (a session id
/// read from a cookie is checked before any store lookup).
pub(crate) fn is_random_id(id: &str) -> bool {
    id.len() == 43
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
        // The last character of 32 bytes encodes 4 bits: one of 16.
        && id.bytes().last().is_some_and(|b| b"AEIMQUYcgkosw048".contains(&b))
}

/// The PKCE S256 challenge of `verifier`: base64url(SHA-256(verifier)) (RFC 7636).
pub(crate) fn s256(verifier: &str) -> String {
    let digest = aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, verifier.as_bytes());
    URL_SAFE_NO_PAD.encode(digest.as_ref())
}

/// Constant-time equality of two strings.
pub(crate) fn same(a: &str, b: &str) -> bool {
    aws_lc_rs::constant_time::verify_slices_are_equal(a.as_bytes(), b.as_bytes()).is_ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_have_one_form() {
        let id = random_id().unwrap();
        assert!(is_random_id(&id), "{id}");
        assert_ne!(random_id(), random_id());
        for bad in [
            "",
            &id[..42],
            &format!("{id}A"),
            &format!("{}=", &id[..42]),
            &format!("{}+", &id[..42]),
            "../../../../../../../../../../../../../etc/p",
            // 43 characters whose last one cannot end 32 bytes.
            &format!("{}B", &id[..42]),
        ] {
            assert!(!is_random_id(bad), "{bad:?}");
        }
    }

    #[test]
    fn s256_is_base64url_of_sha256() {
        // Computed independently: Python's base64.urlsafe_b64encode(hashlib.sha256(v).digest()).
        assert_eq!(
            s256("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gXFG2jXvM"),
            "K6JMQ9Sy3eFYYJdCy5uF_M3r1oUzA3Dw9-l1ZGL24U8"
        );
    }
}
