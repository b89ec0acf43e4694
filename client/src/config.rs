//! [`UserPoolClientBuilder`]: the client's settings, validated once by `build()`.

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use reqwest::Url;

use super::UserPoolClient;
use super::secret::Secret;
use super::transport::Inner;
use tower_cognito::UserPoolId;

/// Default time limit of one call (connect, request and the whole answer).
pub(crate) const DEFAULT_CLIENT_TIMEOUT: Duration = Duration::from_secs(10);
/// Shortest timeout accepted.
pub(crate) const MIN_TIMEOUT: Duration = Duration::from_millis(1);
/// Longest timeout accepted.
pub(crate) const MAX_TIMEOUT: Duration = Duration::from_secs(300);
/// Longest client secret accepted (Cognito's are 51 characters).
pub(crate) const MAX_CLIENT_SECRET_LEN: usize = 1024;

/// Why [`UserPoolClientBuilder::build`] refused its settings.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ClientConfigError {
    /// The user pool id does not match `[\w-]+_[0-9a-zA-Z]+` (ASCII, at most 55 characters).
    #[error("invalid user pool id {0:?}: expected REGION_ID, e.g. us-east-1_AbC123xyz")]
    InvalidUserPoolId(String),
    /// The region is empty or has characters other than ASCII lower-case letters, digits and `-`.
    #[error("invalid region {0:?}")]
    InvalidRegion(String),
    /// The app client id is empty or has characters outside ASCII letters, digits, `_-+`.
    #[error("invalid app client id {0:?}")]
    InvalidClientId(String),
    /// The client secret is empty or longer than 1024 bytes.
    #[error("invalid client secret: it must be 1 to 1024 bytes")]
    InvalidClientSecret,
    /// The endpoint is not a valid URL, is not https, is plain http to a non-loopback host, or
    /// carries credentials, a query or a fragment.
    #[error("invalid endpoint {url:?}: {reason}")]
    InvalidEndpoint {
        /// The URL as given, without any credentials it carried, its query or fragment
        /// replaced by `<redacted>`.
        url: String,
        /// Why it was refused.
        reason: &'static str,
    },
    /// The timeout is out of its allowed range.
    #[error("timeout is out of range: from 1 ms to 5 min")]
    TimeoutOutOfRange,
    /// A setting of the token source is out of its range (the message says which).
    #[error("invalid setting: {0}")]
    InvalidSetting(&'static str),
    /// The default HTTP client could not be built.
    #[error("the HTTP client could not be built")]
    HttpClient(#[source] std::sync::Arc<dyn std::error::Error + Send + Sync>),
}

/// Builds a [`UserPoolClient`]; see [`UserPoolClient::builder`].
pub struct UserPoolClientBuilder {
    user_pool_id: String,
    client_id: String,
    client_secret: Option<Secret>,
    region: Option<String>,
    endpoint: Option<String>,
    timeout: Duration,
    http: Option<reqwest::Client>,
}

impl fmt::Debug for UserPoolClientBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("UserPoolClientBuilder")
            .field("user_pool_id", &self.user_pool_id)
            .field("client_id", &self.client_id)
            .field("client_secret", &self.client_secret)
            .field("region", &self.region)
            .field("endpoint", &self.endpoint.as_deref().map(redacted_endpoint))
            .field("timeout", &self.timeout)
            .field("http_client", &self.http.is_some())
            .finish()
    }
}

impl UserPoolClientBuilder {
    pub(crate) fn new(user_pool_id: String, client_id: String) -> Self {
        Self {
            user_pool_id,
            client_id,
            client_secret: None,
            region: None,
            endpoint: None,
            timeout: DEFAULT_CLIENT_TIMEOUT,
            http: None,
        }
    }

    /// The app client's secret, for app clients that have one: `SECRET_HASH` (or the raw
    /// secret, for `RevokeToken` and `GetTokensFromRefreshToken`) is then sent wherever the
    /// API wants it.
    pub fn client_secret(mut self, secret: impl Into<Secret>) -> Self {
        self.client_secret = Some(secret.into());
        self
    }

    /// The region of the default endpoint (default: the part of the pool id before its last
    /// `_`).
    pub fn region(mut self, region: impl Into<String>) -> Self {
        self.region = Some(region.into());
        self
    }

    /// Another endpoint: an emulator, a VPC endpoint, another partition. Requests are `POST`ed
    /// to this URL as given. https only, except plain http to a loopback host (`127.0.0.0/8`,
    /// `::1`, `localhost`).
    ///
    /// Default: `https://cognito-idp.{region}.amazonaws.com/` (`amazonaws.com.cn` for `cn-`
    /// regions).
    pub fn endpoint(mut self, url: impl Into<String>) -> Self {
        self.endpoint = Some(url.into());
        self
    }

    /// Time limit of one call, from sending the request to the end of the answer (default
    /// [`UserPoolClient::DEFAULT_TIMEOUT`], from 1 ms to 5 min). `sign_in_srp` makes two calls, each
    /// with this limit.
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// The application's own HTTP client (its connection pool, proxy and TLS settings).
    ///
    /// By default the client builds one with rustls that follows no redirect. A client given
    /// here is used as it is: configure it not to follow redirects.
    pub fn http_client(mut self, client: reqwest::Client) -> Self {
        self.http = Some(client);
        self
    }

    /// Validates everything and builds the client.
    ///
    /// # Errors
    /// A [`ClientConfigError`] naming the first setting that is refused.
    pub fn build(self) -> Result<UserPoolClient, ClientConfigError> {
        let pool = UserPoolId::parse(&self.user_pool_id)
            .map_err(|_| ClientConfigError::InvalidUserPoolId(self.user_pool_id))?;
        let region = self.region.unwrap_or_else(|| pool.region().to_owned());
        if !is_valid_region(&region) {
            return Err(ClientConfigError::InvalidRegion(region));
        }
        if !is_valid_client_id(&self.client_id) {
            return Err(ClientConfigError::InvalidClientId(self.client_id));
        }
        if self
            .client_secret
            .as_ref()
            .is_some_and(|s| s.is_empty() || s.expose().len() > MAX_CLIENT_SECRET_LEN)
        {
            return Err(ClientConfigError::InvalidClientSecret);
        }
        let endpoint = match self.endpoint {
            Some(url) => parse_endpoint(&url)?,
            None => {
                let domain = if region.starts_with("cn-") {
                    "amazonaws.com.cn"
                } else {
                    "amazonaws.com"
                };
                parse_endpoint(&format!("https://cognito-idp.{region}.{domain}/"))?
            }
        };
        if !(MIN_TIMEOUT..=MAX_TIMEOUT).contains(&self.timeout) {
            return Err(ClientConfigError::TimeoutOutOfRange);
        }
        let http = match self.http {
            Some(client) => client,
            None => default_http_client(&endpoint)?,
        };
        Ok(UserPoolClient {
            inner: Arc::new(Inner {
                user_pool_id: pool,
                region,
                client_id: self.client_id,
                client_secret: self.client_secret,
                endpoint,
                timeout: self.timeout,
                http,
            }),
        })
    }
}

/// https only, except plain http to a loopback host; no credentials, query or fragment.
pub(crate) fn parse_endpoint(raw: &str) -> Result<Url, ClientConfigError> {
    let refuse = |reason| ClientConfigError::InvalidEndpoint {
        url: redacted_endpoint(raw),
        reason,
    };
    let url = Url::parse(raw).map_err(|_| refuse("not a valid absolute URL"))?;
    if !url.username().is_empty() || url.password().is_some() {
        return Err(refuse("credentials in the URL are not allowed"));
    }
    if url.query().is_some() || url.fragment().is_some() {
        return Err(refuse("a query or fragment is not allowed"));
    }
    match url.scheme() {
        "https" if url.host().is_some() => Ok(url),
        "http" if url.host().as_ref().is_some_and(is_loopback) => Ok(url),
        "http" => Err(refuse("plain http is allowed only to a loopback host")),
        _ => Err(refuse("the scheme must be https")),
    }
}

/// `raw` as it may be shown (the builder's `Debug`, a refused endpoint's error): without
/// `user:password@`, and with any query or fragment replaced by `<redacted>`, since a query may
/// carry a key or token (`?X-Amz-Security-Token=...`). An endpoint `build` accepts has neither,
/// so it shows unchanged.
fn redacted_endpoint(raw: &str) -> String {
    let mut shown = without_userinfo(raw);
    // Of a parsed URL's text, the first `?` or `#` starts the query or fragment (the path,
    // host and scheme cannot hold one unescaped); of an unparsable string, cutting there keeps
    // less, never more.
    if let Some(at) = shown.find(['?', '#']) {
        shown.truncate(at + 1);
        shown.push_str("<redacted>");
    }
    shown
}

/// `raw` with any `user:password@` removed: a refused URL's credentials must not end up in
/// errors or logs.
fn without_userinfo(raw: &str) -> String {
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

fn is_loopback<S: AsRef<str>>(host: &url::Host<S>) -> bool {
    match host {
        url::Host::Domain(d) => d.as_ref().eq_ignore_ascii_case("localhost"),
        url::Host::Ipv4(ip) => ip.is_loopback(),
        url::Host::Ipv6(ip) => ip.is_loopback(),
    }
}

/// An app client id: 1 to 128 ASCII letters, digits, `_`, `-` or `+` (the rule of
/// `tower_cognito::CognitoConfigBuilder`, checked against it in the tests).
pub(crate) fn is_valid_client_id(id: &str) -> bool {
    !id.is_empty()
        && id.len() <= 128
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-' | b'+'))
}

/// A region: ASCII lower-case letters, digits and `-`, not empty (the rule of
/// `tower_cognito::CognitoConfigBuilder`, checked against it in the tests).
fn is_valid_region(region: &str) -> bool {
    !region.is_empty()
        && region
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
}

pub(crate) fn default_http_client(endpoint: &Url) -> Result<reqwest::Client, ClientConfigError> {
    let mut builder = reqwest::Client::builder()
        // Cognito never redirects; a redirect would carry passwords elsewhere.
        .redirect(reqwest::redirect::Policy::none())
        .user_agent(concat!("tower-cognito/", env!("CARGO_PKG_VERSION")));
    if endpoint.host().as_ref().is_some_and(is_loopback) {
        builder = builder.no_proxy();
    }
    builder
        .build()
        .map_err(|e| ClientConfigError::HttpClient(std::sync::Arc::new(e)))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn build(f: impl FnOnce(UserPoolClientBuilder) -> UserPoolClientBuilder) -> UserPoolClient {
        f(UserPoolClient::builder("us-east-1_AbC123", "client1"))
            .build()
            .unwrap()
    }

    #[test]
    fn defaults_come_from_the_pool_id() {
        let c = build(|b| b);
        assert_eq!(c.region(), "us-east-1");
        assert_eq!(c.user_pool_id(), "us-east-1_AbC123");
        assert_eq!(c.client_id(), "client1");
        assert_eq!(c.endpoint(), "https://cognito-idp.us-east-1.amazonaws.com/");
        assert_eq!(c.inner.user_pool_id.name(), "AbC123");
        assert_eq!(c.inner.timeout, DEFAULT_CLIENT_TIMEOUT);

        let c = UserPoolClient::builder("eusc-de-east-1_X9", "c")
            .build()
            .unwrap();
        assert_eq!(c.region(), "eusc-de-east-1");
        assert_eq!(c.inner.user_pool_id.name(), "X9");
        let c = UserPoolClient::builder("cn-north-1_X9", "c")
            .build()
            .unwrap();
        assert_eq!(
            c.endpoint(),
            "https://cognito-idp.cn-north-1.amazonaws.com.cn/"
        );
        let c = build(|b| b.region("eu-west-1"));
        assert_eq!(c.endpoint(), "https://cognito-idp.eu-west-1.amazonaws.com/");
        let c = build(|b| b.endpoint("http://127.0.0.1:9229/"));
        assert_eq!(c.endpoint(), "http://127.0.0.1:9229/");
        let c = build(|b| b.endpoint("https://vpce.example.com/cognito"));
        assert_eq!(c.endpoint(), "https://vpce.example.com/cognito");
    }

    #[test]
    fn bad_settings_are_refused() {
        let b = || UserPoolClient::builder("us-east-1_AbC123", "client1");
        for pool in [
            "",
            "nounderscore",
            "us-east-1_",
            "_abc",
            "us east_1",
            "us-east-1_a-b",
        ] {
            assert!(
                matches!(
                    UserPoolClient::builder(pool, "c").build(),
                    Err(ClientConfigError::InvalidUserPoolId(_))
                ),
                "{pool}"
            );
        }
        let long = format!("us-east-1_{}", "a".repeat(50));
        assert!(matches!(
            UserPoolClient::builder(long, "c").build(),
            Err(ClientConfigError::InvalidUserPoolId(_))
        ));
        assert!(matches!(
            UserPoolClient::builder("US_abc", "c").build(),
            Err(ClientConfigError::InvalidRegion(_))
        ));
        assert!(matches!(
            b().region("").build(),
            Err(ClientConfigError::InvalidRegion(_))
        ));
        for id in ["", "a b", "a/b"] {
            assert!(matches!(
                UserPoolClient::builder("us-east-1_AbC123", id).build(),
                Err(ClientConfigError::InvalidClientId(_))
            ));
        }
        assert!(matches!(
            b().client_secret("").build(),
            Err(ClientConfigError::InvalidClientSecret)
        ));
        assert!(matches!(
            b().client_secret("s".repeat(2000)).build(),
            Err(ClientConfigError::InvalidClientSecret)
        ));
        for url in [
            "http://example.com/",
            "ftp://127.0.0.1/",
            "not a url",
            "https://user:pw@example.com/",
            "https://example.com/?a=b",
            "https://example.com/#x",
            "http://10.0.0.1/",
        ] {
            assert!(
                matches!(
                    b().endpoint(url).build(),
                    Err(ClientConfigError::InvalidEndpoint { .. })
                ),
                "{url}"
            );
        }
        for ok in [
            "http://localhost:1/",
            "http://[::1]:8080/",
            "http://127.0.0.2/",
        ] {
            assert!(b().endpoint(ok).build().is_ok(), "{ok}");
        }
        for timeout in [Duration::ZERO, Duration::from_secs(301), Duration::MAX] {
            assert!(matches!(
                b().timeout(timeout).build(),
                Err(ClientConfigError::TimeoutOutOfRange)
            ));
        }
        assert!(b().timeout(Duration::from_millis(1)).build().is_ok());
        assert!(b().http_client(reqwest::Client::new()).build().is_ok());
    }

    #[test]
    fn the_endpoint_shows_without_credentials_or_query() {
        let secrets = ["hunter2", "t0ken-value", "fr4g"];
        for (endpoint, shown) in [
            (
                "https://admin:hunter2@vpce.example.com/cognito",
                "https://vpce.example.com/cognito",
            ),
            (
                "https://:hunter2@vpce.example.com/",
                "https://vpce.example.com/",
            ),
            (
                "https://hunter2@vpce.example.com/",
                "https://vpce.example.com/",
            ),
            (
                "https://vpce.example.com/?X-Amz-Security-Token=t0ken-value#fr4g",
                "https://vpce.example.com/?<redacted>",
            ),
            (
                "https://vpce.example.com/#fr4g?t0ken-value",
                "https://vpce.example.com/#<redacted>",
            ),
            (
                "http://admin:hunter2@127.0.0.1:9/?key=t0ken-value",
                "http://127.0.0.1:9/?<redacted>",
            ),
            // No scheme: `admin` reads as one, the rest as an opaque path.
            (
                "admin:hunter2@vpce.example.com",
                "<credentials removed>@vpce.example.com",
            ),
            // Not a URL.
            (
                "https://admin:hunter2@vpce example.com/?t0ken-value",
                "<credentials removed>@vpce example.com/?<redacted>",
            ),
            ("https://vpce.example.com/", "https://vpce.example.com/"),
        ] {
            let builder = UserPoolClient::builder("us-east-1_AbC123", "client1").endpoint(endpoint);
            let debug = format!("{builder:?}");
            assert!(
                debug.contains(&format!("endpoint: Some({shown:?})")),
                "{endpoint}: {debug}"
            );
            match builder.build() {
                Ok(client) => assert_eq!(client.endpoint(), endpoint),
                Err(error) => {
                    let ClientConfigError::InvalidEndpoint { url, .. } = &error else {
                        panic!("{error:?}")
                    };
                    assert_eq!(url, shown);
                    let text = format!("{error} {error:?}");
                    for secret in secrets {
                        assert!(!text.contains(secret), "{text}");
                    }
                }
            }
            for secret in secrets {
                assert!(!debug.contains(secret), "{debug}");
            }
        }
    }

    #[test]
    fn debug_redacts_the_secret() {
        let b =
            UserPoolClient::builder("us-east-1_AbC123", "client1").client_secret("s3cr3t-v4lue");
        let debug = format!("{b:?}");
        assert!(!debug.contains("s3cr3t-v4lue"), "{debug}");
        let c = b.build().unwrap();
        let debug = format!("{c:?}");
        assert!(!debug.contains("s3cr3t-v4lue"), "{debug}");
        assert!(debug.contains("[redacted]"), "{debug}");
    }

    /// The client's pool id, client id and region rules are the layer configuration's: the same
    /// values pass and fail both builders.
    #[test]
    fn the_id_rules_are_the_layer_configuration_s() {
        use tower_cognito::CognitoConfig;

        let layer = |pool: &str, client: &str, region: Option<&str>| {
            let b = CognitoConfig::builder(pool)
                .client_id(client)
                .any_token_use();
            match region {
                Some(r) => b.region(r),
                None => b,
            }
            .build()
            .is_ok()
        };
        let client = |pool: &str, id: &str, region: Option<&str>| {
            let b = UserPoolClient::builder(pool, id);
            match region {
                Some(r) => b.region(r),
                None => b,
            }
            .build()
            .is_ok()
        };
        let long_client = "a".repeat(128);
        let too_long_client = "a".repeat(129);
        let long_pool = format!("us-east-1_{}", "a".repeat(45));
        let too_long_pool = format!("us-east-1_{}", "a".repeat(46));
        let pools = [
            "us-east-1_AbC123",
            "x_y_Z9",
            "US_EAST_1_a",
            "nounderscore",
            "us-east-1_",
            "é_1",
            &long_pool,
            &too_long_pool,
        ];
        let clients = [
            "client1",
            "a_b-c+d",
            "",
            "a b",
            "é",
            &long_client,
            &too_long_client,
        ];
        let regions = [
            None,
            Some("eu-west-1"),
            Some(""),
            Some("EU-WEST-1"),
            Some("eu_west"),
        ];
        for pool in pools {
            for id in clients {
                for region in regions {
                    assert_eq!(
                        client(pool, id, region),
                        layer(pool, id, region),
                        "{pool:?} {id:?} {region:?}"
                    );
                }
            }
        }
    }
}
