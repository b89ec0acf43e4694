//! Extraction of the bearer token from the `Authorization` header (RFC 6750 §2.1).

use http::HeaderMap;
use http::header::AUTHORIZATION;

use crate::error::{ErrorKind, RequestError};

/// The token of the request's single `Authorization: Bearer` header.
///
/// The scheme is case-insensitive and followed by one or more spaces; the token must match the
/// `b64token` grammar (`[A-Za-z0-9\-._~+/]+=*`). Tokens longer than `max_len` are refused before
/// they are scanned.
pub(crate) fn bearer_token(headers: &HeaderMap, max_len: usize) -> Result<&str, ErrorKind> {
    let mut values = headers.get_all(AUTHORIZATION).iter();
    let value = values.next().ok_or(ErrorKind::MissingCredentials)?;
    if values.next().is_some() {
        return Err(ErrorKind::InvalidRequest(RequestError::MultipleHeaders));
    }
    let bytes = value.as_bytes();
    let (scheme, rest) = match bytes.iter().position(|&b| b == b' ') {
        Some(i) => bytes.split_at(i),
        None => (bytes, &[][..]),
    };
    if !scheme.eq_ignore_ascii_case(b"bearer") {
        // Another scheme (Basic, Digest...) means no bearer credentials at all.
        return Err(ErrorKind::MissingCredentials);
    }
    let token = rest.trim_ascii();
    if token.is_empty() {
        return Err(ErrorKind::InvalidRequest(RequestError::EmptyToken));
    }
    if token.len() > max_len {
        return Err(ErrorKind::TokenTooLarge);
    }
    let mut padding = false;
    for &b in token {
        match b {
            b'=' => padding = true,
            _ if padding => return Err(bad_char(b)),
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' | b'+' | b'/' => {}
            _ => return Err(bad_char(b)),
        }
    }
    // Only ASCII passed the loop above.
    std::str::from_utf8(token)
        .map_err(|_| ErrorKind::InvalidRequest(RequestError::InvalidCharacters))
}

fn bad_char(b: u8) -> ErrorKind {
    if matches!(b, b' ' | b'\t' | b',') {
        ErrorKind::InvalidRequest(RequestError::MultipleTokens)
    } else {
        ErrorKind::InvalidRequest(RequestError::InvalidCharacters)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use http::HeaderValue;

    fn extract(values: &[&[u8]]) -> Result<String, ErrorKind> {
        let mut h = HeaderMap::new();
        for v in values {
            h.append(AUTHORIZATION, HeaderValue::from_bytes(v).unwrap());
        }
        bearer_token(&h, 64).map(str::to_owned)
    }

    #[test]
    fn cases() {
        use RequestError::*;
        let ok = |s: &str| Ok::<String, ErrorKind>(s.to_owned());
        let req = ErrorKind::InvalidRequest;
        assert_eq!(extract(&[]), Err(ErrorKind::MissingCredentials));
        assert_eq!(
            extract(&[b"Basic dXNlcjpwYXNz"]),
            Err(ErrorKind::MissingCredentials)
        );
        assert_eq!(extract(&[b"Bearertok"]), Err(ErrorKind::MissingCredentials));
        assert_eq!(extract(&[b"Bearer"]), Err(req(EmptyToken)));
        assert_eq!(extract(&[b"Bearer    "]), Err(req(EmptyToken)));
        assert_eq!(extract(&[b"Bearer a.b.c"]), ok("a.b.c"));
        assert_eq!(extract(&[b"bearer a.b.c"]), ok("a.b.c"));
        assert_eq!(extract(&[b"BEARER a.b.c"]), ok("a.b.c"));
        assert_eq!(extract(&[b"Bearer  a.b.c"]), ok("a.b.c"));
        assert_eq!(extract(&[b"Bearer a.b.c  "]), ok("a.b.c"));
        assert_eq!(extract(&[b"Bearer a+/~-_.b=="]), ok("a+/~-_.b=="));
        assert_eq!(extract(&[b"Bearer a.b.c d.e.f"]), Err(req(MultipleTokens)));
        assert_eq!(extract(&[b"Bearer a.b.c,d.e.f"]), Err(req(MultipleTokens)));
        assert_eq!(
            extract(&[b"Bearer a.b.c", b"Bearer a.b.c"]),
            Err(req(MultipleHeaders))
        );
        assert_eq!(extract(&[b"Bearer a=.b.c"]), Err(req(InvalidCharacters)));
        // `HeaderValue` refuses control bytes other than tab, so only tab can reach the layer.
        assert_eq!(extract(&[b"Bearer a.b\tc"]), Err(req(MultipleTokens)));
        assert_eq!(
            extract(&[b"Bearer a.b.c\x7e\x80"]),
            Err(req(InvalidCharacters))
        );
        assert_eq!(
            extract(&[b"Bearer a.b.\xc3\xa9"]),
            Err(req(InvalidCharacters))
        );
        assert_eq!(extract(&[b"Bearer a.b\"c"]), Err(req(InvalidCharacters)));
        assert_eq!(
            extract(&[format!("Bearer {}", "a".repeat(65)).as_bytes()]),
            Err(ErrorKind::TokenTooLarge)
        );
    }
}
