//! The cookies of the web sign-in: the session cookie and the sign-in transaction cookie, each
//! holding a random id only.

use http::HeaderMap;
use http::header::COOKIE;

/// `name=value` for a cookie set by this crate: `Secure` (and the `__Host-` prefix the caller
/// put in `name`) unless `secure` is off (plain http on loopback), `HttpOnly`, `SameSite=Lax`,
/// `Path=/`, no `Domain`; `max_age` in seconds (`0` expires it).
pub(crate) fn set_cookie(name: &str, value: &str, max_age: u64, secure: bool) -> String {
    let secure = if secure { "; Secure" } else { "" };
    format!("{name}={value}; Path=/; Max-Age={max_age}; HttpOnly; SameSite=Lax{secure}")
}

/// The value of the cookie `name` in the request's `Cookie` headers: the first one, when there
/// is exactly one of that name (two is an attack or a bug; neither is trusted).
pub(crate) fn read_cookie<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    let mut found = None;
    for header in headers.get_all(COOKIE) {
        let Ok(header) = header.to_str() else {
            continue;
        };
        for pair in header.split(';') {
            if let Some((n, v)) = pair.trim().split_once('=')
                && n == name
            {
                if found.is_some() {
                    return None;
                }
                found = Some(v);
            }
        }
    }
    found
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_cookie_of_a_name_is_read() {
        let mut headers = HeaderMap::new();
        headers.append(COOKIE, "a=1; __Host-s=abc; b=2".parse().unwrap());
        assert_eq!(read_cookie(&headers, "__Host-s"), Some("abc"));
        assert_eq!(read_cookie(&headers, "s"), None);
        headers.append(COOKIE, "__Host-s=other".parse().unwrap());
        assert_eq!(read_cookie(&headers, "__Host-s"), None);
        assert_eq!(
            set_cookie("__Host-s", "v", 0, true),
            "__Host-s=v; Path=/; Max-Age=0; HttpOnly; SameSite=Lax; Secure"
        );
    }
}
