//! [`WebSignInBuilder`]: the web sign-in's settings, validated once by `build()`.

use std::collections::HashMap;
use std::fmt;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde::de::DeserializeOwned;

use tower_cognito::clock::{Clock, SystemClock};
use tower_cognito::deny::DenyList;
use tower_cognito::{CognitoAuthLayer, CognitoConfig, TokenUse, Verifier};

use super::super::endpoint::Endpoints;
use super::super::store::{MemoryStore, SessionStore};
use super::super::verify::LayerCheck;
use super::{Inner, WebSignIn};
use crate::config::{
    ClientConfigError, MAX_CLIENT_SECRET_LEN, MAX_TIMEOUT, MIN_TIMEOUT, default_http_client,
    is_valid_client_id, parse_endpoint,
};
use crate::secret::Secret;
use crate::token_endpoint::basic_authorization;

/// Builds a [`WebSignIn`]; see [`WebSignIn::builder`].
pub struct WebSignInBuilder {
    domain: String,
    client_id: String,
    redirect_uri: String,
    client_secret: Option<Secret>,
    logout_uri: Option<String>,
    scopes: String,
    identity_provider: Option<String>,
    lang: Option<String>,
    store: Option<Arc<dyn SessionStore>>,
    deny: Option<DenyList>,
    session_lifetime: Duration,
    refresh_margin: Duration,
    timeout: Duration,
    http: Option<reqwest::Client>,
    clock: Option<Arc<dyn Clock>>,
}

impl fmt::Debug for WebSignInBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("WebSignInBuilder")
            .field("domain", &self.domain)
            .field("client_id", &self.client_id)
            .field("client_secret", &self.client_secret)
            .field("redirect_uri", &self.redirect_uri)
            .field("logout_uri", &self.logout_uri)
            .field("scopes", &self.scopes)
            .field("store", &self.store)
            .finish_non_exhaustive()
    }
}

impl WebSignInBuilder {
    pub(crate) fn new(domain: String, client_id: String, redirect_uri: String) -> Self {
        Self {
            domain,
            client_id,
            redirect_uri,
            client_secret: None,
            logout_uri: None,
            scopes: "openid".to_owned(),
            identity_provider: None,
            lang: None,
            store: None,
            deny: None,
            session_lifetime: Duration::from_secs(30 * 86_400),
            refresh_margin: Duration::from_secs(60),
            timeout: Duration::from_secs(10),
            http: None,
            clock: None,
        }
    }

    /// The app client's secret: sent as `client_secret_basic` to `/oauth2/token` and
    /// `/oauth2/revoke`.
    pub fn client_secret(mut self, secret: impl Into<Secret>) -> Self {
        self.client_secret = Some(secret.into());
        self
    }

    /// Where Cognito's `/logout` sends the browser after signing out of managed login: one of
    /// the app client's allowed sign-out URLs (default: the redirect URI's origin, `/`).
    pub fn logout_uri(mut self, uri: impl Into<String>) -> Self {
        self.logout_uri = Some(uri.into());
        self
    }

    /// The scopes asked for, space-separated (default `openid`; `openid` is required, for the
    /// ID token; `email`, `phone`, `profile` and resource-server scopes as the client allows).
    pub fn scopes(mut self, scopes: impl Into<String>) -> Self {
        self.scopes = scopes.into();
        self
    }

    /// Sends the browser straight to this identity provider (`identity_provider`: `Google`,
    /// a SAML or OIDC provider's name) instead of managed login's choice.
    pub fn identity_provider(mut self, name: impl Into<String>) -> Self {
        self.identity_provider = Some(name.into());
        self
    }

    /// Managed login's language (`lang`, e.g. `fr`).
    pub fn lang(mut self, lang: impl Into<String>) -> Self {
        self.lang = Some(lang.into());
        self
    }

    /// Where sessions live (default [`MemoryStore`]: one process; `RedisStore` with the
    /// `redis` feature for a fleet).
    pub fn store(mut self, store: impl SessionStore) -> Self {
        self.store = Some(Arc::new(store));
        self
    }

    /// A deny-list: a logout denies the session's lineage (`origin_jti`), so every layer
    /// sharing the list refuses its tokens at once.
    pub fn deny_list(mut self, deny: DenyList) -> Self {
        self.deny = Some(deny);
        self
    }

    /// How long a session lasts at most (its cookie's `Max-Age` and its time in the store;
    /// default 30 days, Cognito's default refresh-token validity).
    pub fn session_lifetime(mut self, lifetime: Duration) -> Self {
        self.session_lifetime = lifetime;
        self
    }

    /// How long before the access token's expiry a request refreshes it (default 60 s).
    pub fn refresh_margin(mut self, margin: Duration) -> Self {
        self.refresh_margin = margin;
        self
    }

    /// The time limit of one call to the token or revocation endpoint (default 10 s).
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// The HTTP client (default: rustls, no redirects, no proxy for loopback).
    pub fn http_client(mut self, client: reqwest::Client) -> Self {
        self.http = Some(client);
        self
    }

    /// The clock the ID token's times are checked with (default the system clock).
    pub fn clock(mut self, clock: impl Clock) -> Self {
        self.clock = Some(Arc::new(clock));
        self
    }

    /// Validates everything and builds the sign-in around `layer`, the application's own
    /// [`CognitoAuthLayer`]: the access tokens of sessions are verified with it (at sign-in,
    /// after each refresh, and on every request, where the session layer hands the token to
    /// it), and the ID token with a verifier of the same (first) pool and keys, for this
    /// client.
    ///
    /// # Errors
    /// A [`ClientConfigError`] naming the first setting refused: the domain, redirect or logout
    /// URI (https, or plain http to loopback; no credentials, query or fragment), the client id
    /// or secret, scopes without `openid` or with a character outside RFC 6749's, the timeout,
    /// a lifetime of zero, or a layer whose issuer is not a Cognito issuer.
    pub fn build<E, R, C>(
        self,
        layer: &CognitoAuthLayer<E, R, C>,
    ) -> Result<WebSignIn, ClientConfigError>
    where
        E: DeserializeOwned + Send + Sync + 'static,
        R: Clone + Send + Sync + 'static,
        C: Send + Sync + 'static,
    {
        let refuse = ClientConfigError::InvalidSetting;
        let domain = parse_endpoint(&self.domain)?;
        let endpoint = |path: &str| {
            let mut url = domain.clone();
            url.set_path(&format!("{}{path}", domain.path().trim_end_matches('/')));
            url
        };
        let redirect = parse_endpoint(&self.redirect_uri)?;
        let logout_uri = match &self.logout_uri {
            Some(uri) => parse_endpoint(uri)?.to_string(),
            None => format!("{}/", redirect.origin().ascii_serialization()),
        };
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
        let scopes: Vec<&str> = self.scopes.split_ascii_whitespace().collect();
        if !scopes.contains(&"openid") {
            return Err(refuse("the scopes must include openid"));
        }
        if scopes.iter().any(|s| {
            !s.bytes()
                .all(|b| matches!(b, 0x21 | 0x23..=0x5b | 0x5d..=0x7e))
        }) {
            return Err(refuse("a scope holds a character RFC 6749 does not allow"));
        }
        if !(MIN_TIMEOUT..=MAX_TIMEOUT).contains(&self.timeout) {
            return Err(ClientConfigError::TimeoutOutOfRange);
        }
        if self.session_lifetime.is_zero() {
            return Err(refuse("the session lifetime must not be zero"));
        }
        let id_verifier = Verifier::new(&id_token_config(layer.config(), &self.client_id)?);
        let http = match self.http {
            Some(client) => client,
            None => default_http_client(&domain)?,
        };
        let secure = redirect.scheme() == "https";
        let prefix = if secure { "__Host-" } else { "" };
        Ok(WebSignIn {
            inner: Arc::new(Inner {
                endpoints: Endpoints {
                    http,
                    authorize: endpoint("/oauth2/authorize"),
                    token: endpoint("/oauth2/token"),
                    revoke: endpoint("/oauth2/revoke"),
                    logout: endpoint("/logout"),
                    authorization: self
                        .client_secret
                        .as_ref()
                        .map(|s| basic_authorization(&self.client_id, s)),
                    client_id: self.client_id,
                    timeout: self.timeout,
                },
                origin: redirect.origin().ascii_serialization(),
                redirect_uri: redirect.to_string(),
                logout_uri,
                scopes: scopes.join(" "),
                identity_provider: self.identity_provider,
                lang: self.lang,
                store: self.store.unwrap_or_else(|| Arc::new(MemoryStore::new())),
                id_verifier,
                access: Arc::new(LayerCheck(layer.clone())),
                deny: self.deny,
                secure,
                session_cookie: format!("{prefix}tower-cognito-session"),
                login_cookie: format!("{prefix}tower-cognito-login"),
                session_lifetime: self.session_lifetime,
                refresh_margin: self.refresh_margin,
                refreshing: Mutex::new(HashMap::new()),
                clock: self.clock.unwrap_or_else(|| Arc::new(SystemClock)),
            }),
        })
    }
}

/// The configuration of ID tokens for `client_id` of the layer's (first) pool: its issuer,
/// region and leeway.
fn id_token_config(
    layer: &CognitoConfig,
    client_id: &str,
) -> Result<CognitoConfig, ClientConfigError> {
    let refuse = ClientConfigError::InvalidSetting;
    let prefix = format!("https://cognito-idp.{}.", layer.region());
    let suffix = format!("/{}", layer.user_pool_id());
    let domain = layer
        .issuer()
        .strip_prefix(&prefix)
        .and_then(|rest| rest.strip_suffix(&suffix))
        .ok_or(refuse("the layer's issuer is not a Cognito issuer"))?;
    CognitoConfig::builder(layer.user_pool_id())
        .region(layer.region())
        .issuer_domain(domain)
        .client_id(client_id)
        .token_use(TokenUse::Id)
        .leeway(layer.leeway())
        .build()
        .map_err(|_| refuse("the ID token configuration is not valid"))
}
