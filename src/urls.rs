//! URL rules shared by the configuration and the key sources: where keys may be fetched from,
//! what counts as a loopback host, and a URL made fit for an error message. A leaf: it imports
//! nothing of the crate.

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

/// A URL keys may be fetched from: absolute, without credentials, https, or plain http to a
/// loopback host only (tests and local servers). The refusal says why, for the caller's error.
pub(crate) fn fetch_url(raw: &str) -> Result<Url, &'static str> {
    let url = Url::parse(raw).map_err(|_| "not a valid absolute URL")?;
    if !url.username().is_empty() || url.password().is_some() {
        return Err("credentials in the URL are not allowed");
    }
    match url.scheme() {
        "https" if url.host().is_some() => Ok(url),
        "http" if url.host().as_ref().is_some_and(is_loopback) => Ok(url),
        "http" => Err("plain http is allowed only to a loopback host"),
        _ => Err("the scheme must be https"),
    }
}
