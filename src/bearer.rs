//! Extraction of the bearer token from the `Authorization` header (RFC 6750 §2.1).

use http::HeaderMap;
use http::header::{AUTHORIZATION, COOKIE};

use crate::error::{ErrorKind, RequestError};

/// The token of the request's single `Authorization: Bearer` header.
///
/// Exactly RFC 6750's `credentials = "Bearer" 1*SP b64token`: the scheme case-insensitive, then
/// one or more spaces (a tab is not one), then a token matching `[A-Za-z0-9\-._~+/]+=*` (at
/// least one character before any `=`). Tokens longer than `max_len` are refused before
/// they are scanned. The same as [`bearer_candidate`] then [`check_token`].
#[cfg(any(test, fuzzing))]
pub(crate) fn bearer_token(headers: &HeaderMap, max_len: usize) -> Result<&str, ErrorKind> {
    let token = bearer_candidate(headers, max_len).and_then(check_token)?;
    // Only ASCII passes `check_token`.
    std::str::from_utf8(token)
        .map_err(|_| ErrorKind::InvalidRequest(RequestError::InvalidCharacters))
}

/// The bytes after `Bearer` and its spaces in the request's single `Authorization` header, with
/// trailing whitespace (the field's optional whitespace, RFC 9110 §5.5) removed, not empty and at
/// most `max_len` long; their characters are not checked yet ([`check_token`] does). Only spaces
/// separate the scheme from the token: a tab after them is the token's first byte, and fails
/// the grammar. No header, or another scheme, is [`ErrorKind::MissingCredentials`]; a value that
/// is neither a bearer credential nor another scheme is `400` (see [`not_bearer`]).
///
/// The layer looks these bytes up in the verified-token cache first: a hit is byte-identical to a
/// token that passed [`check_token`] and every verification rule, so the character scan (about
/// half of the layer's own cost on a hit) runs only on a miss, where the RSA check dwarfs it.
pub(crate) fn bearer_candidate(headers: &HeaderMap, max_len: usize) -> Result<&[u8], ErrorKind> {
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
        return Err(not_bearer(scheme));
    }
    let start = rest.iter().position(|&b| b != b' ').unwrap_or(rest.len());
    let end = rest
        .iter()
        .rposition(|&b| !matches!(b, b' ' | b'\t'))
        .map_or(start, |last| last + 1);
    let token = rest.get(start..end.max(start)).unwrap_or_default();
    if token.is_empty() {
        return Err(ErrorKind::InvalidRequest(RequestError::EmptyToken));
    }
    if token.len() > max_len {
        return Err(ErrorKind::TokenTooLarge);
    }
    Ok(token)
}

/// What an `Authorization` value whose first word (up to the first space) is not `Bearer` means:
/// no bearer credentials when that word is another RFC 7235 `auth-scheme` (a `token`: `Basic`,
/// `Digest`, `Negotiate`), so a layer answers `401` without an `error` and an optional one lets the
/// request through; a malformed request (`400 invalid_request`) otherwise, in both modes alike.
///
/// Malformed: an empty value, a word with a byte outside `tchar` (`Bearer` then a tab, a comma or
/// a non-ASCII space before the token), and `Bearer` glued to token characters (`Bearer<token>`,
/// any case). RFC 7235 alone would read `Bearereyj...` as a scheme of its own, but a JWT is all
/// `tchar`s: a word that starts with `Bearer` is a bearer credential written wrong, never another
/// scheme, or an optional layer would take `Bearer<token>` for an anonymous request. This is the
/// one place the crate decides it.
fn not_bearer(scheme: &[u8]) -> ErrorKind {
    const BEARER: &[u8] = b"bearer";
    let glued = scheme
        .get(..BEARER.len())
        .is_some_and(|start| start.eq_ignore_ascii_case(BEARER));
    if !scheme.is_empty() && !glued && scheme.iter().all(|&b| crate::syntax::is_tchar(b)) {
        ErrorKind::MissingCredentials
    } else {
        ErrorKind::InvalidRequest(RequestError::InvalidCharacters)
    }
}

/// The token candidate of a request: the `Authorization: Bearer` one, or with `cookie` set (a
/// layer that also reads a token cookie), the value of that cookie when there is no bearer header.
/// Both at once is `400` ([`RequestError::HeaderAndCookie`]): which one the client meant is not
/// the server's guess. The candidate goes through the same cache lookup and the same grammar
/// ([`check_token`]) whatever its source.
#[inline]
pub(crate) fn token_candidate<'h>(
    headers: &'h HeaderMap,
    max_len: usize,
    cookie: Option<&str>,
) -> Result<&'h [u8], ErrorKind> {
    let bearer = bearer_candidate(headers, max_len);
    let Some(name) = cookie else {
        return bearer;
    };
    match (bearer, cookie_candidate(headers, name, max_len)?) {
        (bearer, None) => bearer,
        (Err(ErrorKind::MissingCredentials), Some(token)) => Ok(token),
        // A bearer header, well-formed or not, next to the cookie.
        (_, Some(_)) => Err(ErrorKind::InvalidRequest(RequestError::HeaderAndCookie)),
    }
}

/// The value of the cookie `name` in the request's `Cookie` headers (RFC 6265 §4.2.1: pairs
/// separated by `;` and optional spaces; a value may be wrapped in double quotes), `None` when
/// absent. Twice is `400`; an empty value is `400` like an empty bearer token; longer than
/// `max_len` is [`ErrorKind::TokenTooLarge`].
fn cookie_candidate<'h>(
    headers: &'h HeaderMap,
    name: &str,
    max_len: usize,
) -> Result<Option<&'h [u8]>, ErrorKind> {
    let mut found = None;
    for header in headers.get_all(COOKIE) {
        for pair in header.as_bytes().split(|&b| b == b';') {
            let pair = trim_spaces(pair);
            let Some(eq) = pair.iter().position(|&b| b == b'=') else {
                continue;
            };
            let (key, value) = pair.split_at(eq);
            if key != name.as_bytes() {
                continue;
            }
            if found.is_some() {
                return Err(ErrorKind::InvalidRequest(RequestError::MultipleCookies));
            }
            let value = value.get(1..).unwrap_or_default();
            let value = match value {
                [b'"', inner @ .., b'"'] => inner,
                _ => value,
            };
            if value.is_empty() {
                return Err(ErrorKind::InvalidRequest(RequestError::EmptyToken));
            }
            if value.len() > max_len {
                return Err(ErrorKind::TokenTooLarge);
            }
            found = Some(value);
        }
    }
    Ok(found)
}

fn trim_spaces(bytes: &[u8]) -> &[u8] {
    let start = bytes.iter().position(|&b| b != b' ' && b != b'\t');
    let end = bytes.iter().rposition(|&b| b != b' ' && b != b'\t');
    match (start, end) {
        (Some(start), Some(end)) => bytes.get(start..=end).unwrap_or_default(),
        _ => &[],
    }
}

/// The candidate, checked to be a `b64token` (RFC 6750 §2.1, so ASCII), or the `400` naming its
/// first bad character.
pub(crate) fn check_token(token: &[u8]) -> Result<&[u8], ErrorKind> {
    // Fast path: trailing `=` padding, then only `b64token` characters (a branch-free check per
    // byte that the compiler vectorizes). Only a token that fails it is scanned again, byte by
    // byte, to name the precise error.
    let body = match token.iter().rposition(|&b| b != b'=') {
        Some(last) => token.get(..=last).unwrap_or(token),
        // Only `=`: the grammar wants at least one token character before the padding.
        None => return Err(ErrorKind::InvalidRequest(RequestError::InvalidCharacters)),
    };
    if !all_token_chars(body) {
        return Err(first_error(token));
    }
    // ASCII only: the bytes go on as bytes (no second pass to make them a `str`).
    Ok(token)
}

/// `[A-Za-z0-9\-._~+/]`, without branches: two ranges and three bytes.
#[inline(always)]
fn is_token_char(b: u8) -> bool {
    // `-`, `.`, `/` and the digits are adjacent (0x2D..=0x39).
    let dash_to_nine = b.wrapping_sub(b'-') < 13;
    let letter = (b | 0x20).wrapping_sub(b'a') < 26;
    dash_to_nine | letter | (b == b'+') | (b == b'_') | (b == b'~')
}

/// Whether every byte is a `b64token` character (no `=`). No early exit: the compiler turns the
/// loop into SIMD compares and one reduction (a token is at most `max_token_size` bytes).
#[inline]
fn all_token_chars(bytes: &[u8]) -> bool {
    bytes.iter().fold(true, |ok, &b| ok & is_token_char(b))
}

/// The error of a token that failed the fast check: the first offending byte, in order.
#[cold]
fn first_error(token: &[u8]) -> ErrorKind {
    let mut padding = false;
    for (i, &b) in token.iter().enumerate() {
        match b {
            // A tab after the spaces that follow the scheme is no separator (RFC 6750 wants
            // `1*SP`): a bad first character, not a second token.
            _ if i == 0 && !is_token_char(b) => {
                return ErrorKind::InvalidRequest(RequestError::InvalidCharacters);
            }
            b'=' => padding = true,
            _ if padding => return bad_char(b),
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' | b'+' | b'/' => {}
            _ => return bad_char(b),
        }
    }
    // Not reached for a token that failed the fast check.
    ErrorKind::InvalidRequest(RequestError::InvalidCharacters)
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
    fn fast_check_matches_the_grammar() {
        for b in 0..=u8::MAX {
            let grammar = matches!(b, b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' | b'+' | b'/');
            assert_eq!(is_token_char(b), grammar, "{b:#x}");
        }
        let long = "a".repeat(100);
        for i in 0..long.len() {
            let mut bytes = long.clone().into_bytes();
            bytes[i] = b'*';
            assert!(!all_token_chars(&bytes), "{i}");
        }
        assert!(all_token_chars(long.as_bytes()));
    }

    #[test]
    fn candidate_is_bounded_and_trimmed_and_check_names_the_error() {
        let mut h = HeaderMap::new();
        h.append(AUTHORIZATION, HeaderValue::from_static("Bearer  a.b*c  "));
        // The candidate is trimmed and bounded, not scanned; the check names the bad character.
        assert_eq!(bearer_candidate(&h, 64), Ok(&b"a.b*c"[..]));
        assert_eq!(
            check_token(b"a.b*c"),
            Err(ErrorKind::InvalidRequest(RequestError::InvalidCharacters))
        );
        assert_eq!(check_token(b"a.b.c=="), Ok(&b"a.b.c=="[..]));
        assert_eq!(bearer_candidate(&h, 4), Err(ErrorKind::TokenTooLarge));
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
        // A word that starts with `Bearer` is no other scheme, whatever follows it.
        for glued in [
            &b"Bearertok"[..],
            b"bearera.b.c",
            b"BEARER-x",
            b"Bearer.a.b",
            b"Bearer!",
            b"Bearer\ta.b.c",
            b"Bearer,a.b.c",
            b"Bearer\xc2\xa0a.b.c",
            b"Bearera.b.c d",
        ] {
            assert_eq!(
                extract(&[glued]),
                Err(req(InvalidCharacters)),
                "{:?}",
                String::from_utf8_lossy(glued)
            );
        }
        // Another scheme, alone or with its credentials, is no bearer credential; a value that
        // is no scheme at all is malformed.
        for other in [
            &b"Basic"[..],
            b"Negotiate abc",
            b"Digest realm=x",
            b"Bear a.b.c",
            b"x",
        ] {
            assert_eq!(extract(&[other]), Err(ErrorKind::MissingCredentials));
        }
        for malformed in [
            &b""[..],
            b" Bearer a.b.c",
            b"Basic\tx",
            b"B\"asic x",
            b"\xc3\xa9",
        ] {
            assert_eq!(extract(&[malformed]), Err(req(InvalidCharacters)));
        }
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
        // RFC 6750: `1*SP`, then a `b64token` with at least one character before `=`.
        assert_eq!(extract(&[b"Bearer ==="]), Err(req(InvalidCharacters)));
        assert_eq!(extract(&[b"Bearer ="]), Err(req(InvalidCharacters)));
        assert_eq!(extract(&[b"Bearer a="]), ok("a="));
        assert_eq!(extract(&[b"Bearer \ta.b.c"]), Err(req(InvalidCharacters)));
        assert_eq!(extract(&[b"Bearer  \t a.b.c"]), Err(req(InvalidCharacters)));
        assert_eq!(extract(&[b"Bearer a.b.c\t"]), ok("a.b.c"));
        assert_eq!(extract(&[b"Bearer a.b.c \t "]), ok("a.b.c"));
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
