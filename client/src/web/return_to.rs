//! The post-login return path: a local path or `/`.

/// Longest return path kept.
const MAX_RETURN_TO: usize = 2048;

/// `raw` when it is a local path (one `/` then something other than `/` or `\`, after one
/// percent-decoding; no scheme, backslash, control character or whitespace; at most 2 KiB),
/// otherwise `/`. An open redirect through the sign-in is never possible.
pub(crate) fn local_path(raw: &str) -> String {
    if is_local_path(raw) {
        raw.to_owned()
    } else {
        "/".to_owned()
    }
}

fn is_local_path(raw: &str) -> bool {
    if raw.is_empty() || raw.len() > MAX_RETURN_TO || !raw.is_ascii() {
        return false;
    }
    let decoded: String =
        url::form_urlencoded::parse(format!("p={}", raw.replace('+', "%2B")).as_bytes())
            .next()
            .map(|(_, v)| v.into_owned())
            .unwrap_or_default();
    [raw, decoded.as_str()].iter().all(|p| {
        let mut bytes = p.bytes();
        bytes.next() == Some(b'/')
            && !matches!(bytes.next(), Some(b'/' | b'\\'))
            && !p
                .bytes()
                .any(|b| b == b'\\' || b.is_ascii_control() || b == b' ')
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_local_paths_are_kept() {
        for ok in [
            "/",
            "/orders",
            "/orders?page=2#top",
            "/a/b%2Dc",
            "/x/..%2Fy",
        ] {
            assert_eq!(local_path(ok), ok, "{ok}");
        }
        let long = format!("/{}", "a".repeat(3 * 1024));
        for bad in [
            "https://evil.example",
            "//evil.example",
            "/\\evil.example",
            "/%2F%2Fevil.example",
            "%2F%2Fevil.example",
            "javascript:alert(1)",
            "http:/evil",
            " /x",
            "/x%0d%0aSet-Cookie:a=b",
            "/%5Cevil.example",
            "/x y",
            // Whitespace after the decoding too.
            "/a/b%20c",
            "",
            "orders",
            "/caf\u{e9}",
            long.as_str(),
        ] {
            assert_eq!(local_path(bad), "/", "{bad:?}");
        }
    }
}
