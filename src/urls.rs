//! URL rules shared by the configuration and the key sources: what counts as a loopback host,
//! and a URL made fit for an error message. A leaf: it imports nothing of the crate.

use url::Url;

/// `raw` with any `user:password@` removed, for error messages: a refused URL's credentials
/// must not end up in logs.
pub(crate) fn without_userinfo(raw: &str) -> String {
    match Url::parse(raw) {
        Ok(mut url) if !url.username().is_empty() || url.password().is_some() => {
            let _ = url.set_username("");
            let _ = url.set_password(None);
            url.to_string()
        }
        // `user:password@host` without a scheme parses as the scheme `user` and an opaque
        // path, which is then where the credentials are: such URLs go through the `@` rule.
        Ok(url) if !url.cannot_be_a_base() => raw.to_owned(),
        // Not a URL at all: keep what precedes an `@`-suffixed authority out too.
        _ => match raw.rsplit_once('@') {
            Some((_, host)) => format!("<credentials removed>@{host}"),
            None => raw.to_owned(),
        },
    }
}

/// Whether `host` is `localhost` or a loopback address (where plain http is allowed).
pub(crate) fn is_loopback<S: AsRef<str>>(host: &url::Host<S>) -> bool {
    match host {
        url::Host::Domain(d) => d.as_ref().eq_ignore_ascii_case("localhost"),
        url::Host::Ipv4(ip) => ip.is_loopback(),
        url::Host::Ipv6(ip) => ip.is_loopback(),
    }
}
