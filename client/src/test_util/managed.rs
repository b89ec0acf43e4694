//! The pool's managed-login side, what Cognito serves on a user pool domain: the app client's
//! OAuth settings, the routes, `/logout`, and the OpenID discovery document.
//!
//! | route | where |
//! |---|---|
//! | `GET /oauth2/authorize`, `GET /login`, `POST /login` (the sign-in page) | `authorize` |
//! | `POST /oauth2/token`, `POST /oauth2/revoke`, `GET /oauth2/userInfo` | `oauth` |
//! | `GET /logout`, `GET /{pool}/.well-known/openid-configuration` | here |

use std::net::IpAddr;

use hyper::body::Incoming;
use serde_json::json;

use super::login::AuthorizationRequest;
use super::reply::{self, Response, query};
use super::{LocalPoolError, LocalUserPool, LocalUserPoolBuilder, Shared, UserPoolServer};
use super::{authorize, login, oauth, page};

/// The scopes an app client allows by default (Cognito's `AllowedOAuthScopes` with every
/// standard scope on).
const DEFAULT_OAUTH_SCOPES: [&str; 5] = [
    "openid",
    "email",
    "phone",
    "profile",
    "aws.cognito.signin.user.admin",
];

/// The managed-login settings of the app client.
#[derive(Debug, Clone)]
pub(crate) struct ManagedLoginSettings {
    /// Cognito's `CallbackURLs`: the only `redirect_uri`s, compared byte for byte.
    pub(crate) callback_urls: Vec<String>,
    /// Cognito's `LogoutURLs`: the only `logout_uri`s of `/logout`.
    pub(crate) logout_urls: Vec<String>,
    /// Whether `/oauth2/authorize` refuses a request without PKCE.
    pub(crate) require_pkce: bool,
    /// Cognito's `AllowedOAuthScopes`, without the resource-server scopes (those are
    /// `custom_scopes`).
    pub(crate) oauth_scopes: Vec<String>,
}

impl Default for ManagedLoginSettings {
    fn default() -> Self {
        Self {
            callback_urls: Vec::new(),
            logout_urls: Vec::new(),
            require_pkce: true,
            oauth_scopes: DEFAULT_OAUTH_SCOPES.map(str::to_owned).to_vec(),
        }
    }
}

impl ManagedLoginSettings {
    pub(crate) fn validate(&self) -> Result<(), LocalPoolError> {
        if !self
            .callback_urls
            .iter()
            .chain(&self.logout_urls)
            .all(|url| acceptable_url(url))
        {
            return Err(LocalPoolError::InvalidSetting(
                "callback and sign-out URLs must be absolute, without a fragment, https (http only \
                 to localhost or a loopback address)",
            ));
        }
        if self
            .oauth_scopes
            .iter()
            .any(|s| s.is_empty() || s.chars().any(|c| c.is_whitespace() || c.is_control()))
        {
            return Err(LocalPoolError::InvalidSetting(
                "an OAuth scope must be one non-empty word",
            ));
        }
        Ok(())
    }
}

/// A URL Cognito accepts as a callback or sign-out URL: absolute, no fragment, `https`, or
/// `http` to `localhost` (the pool also takes a loopback address, where local tests listen).
fn acceptable_url(url: &str) -> bool {
    let Ok(parsed) = url::Url::parse(url) else {
        return false;
    };
    if parsed.fragment().is_some() || parsed.cannot_be_a_base() {
        return false;
    }
    match (parsed.scheme(), parsed.host()) {
        ("https", Some(_)) => true,
        ("http", Some(url::Host::Domain(domain))) => domain == "localhost",
        ("http", Some(url::Host::Ipv4(ip))) => IpAddr::V4(ip).is_loopback(),
        ("http", Some(url::Host::Ipv6(ip))) => IpAddr::V6(ip).is_loopback(),
        _ => false,
    }
}

impl LocalUserPoolBuilder {
    /// The app client's callback URLs (Cognito's `CallbackURLs`; default none, so
    /// `/oauth2/authorize` refuses every request): the only `redirect_uri`s the managed-login
    /// side accepts, compared byte for byte (no normalisation: a trailing slash, another case
    /// or port is another URL). Each must be absolute, without a fragment, `https`, or `http`
    /// to `localhost` or a loopback address; [`build`](Self::build) refuses any other.
    pub fn callback_urls<I, S>(mut self, urls: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.managed.callback_urls = urls.into_iter().map(Into::into).collect();
        self
    }

    /// The app client's sign-out URLs (Cognito's `LogoutURLs`; default none): the only
    /// `logout_uri`s `/logout` redirects to, compared byte for byte. Same rules as
    /// [`callback_urls`](Self::callback_urls).
    pub fn logout_urls<I, S>(mut self, urls: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.managed.logout_urls = urls.into_iter().map(Into::into).collect();
        self
    }

    /// Whether `/oauth2/authorize` requires PKCE (default **on**, stricter than Cognito, which
    /// accepts a request without `code_challenge`): without it, a request with no
    /// `code_challenge` is refused with `error=invalid_request`. Either way only `S256` is
    /// accepted, as in Cognito, and a code issued without a challenge refuses a
    /// `code_verifier` at the token endpoint (RFC 9700, section 2.1.1).
    pub fn require_pkce(mut self, required: bool) -> Self {
        self.managed.require_pkce = required;
        self
    }

    /// The OAuth scopes the app client allows besides its
    /// [resource-server scopes](Self::custom_scopes) (Cognito's `AllowedOAuthScopes`; default
    /// `openid`, `email`, `phone`, `profile` and `aws.cognito.signin.user.admin`).
    pub fn oauth_scopes<I, S>(mut self, scopes: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.managed.oauth_scopes = scopes.into_iter().map(Into::into).collect();
        self
    }
}

impl LocalUserPool {
    /// The requests `/oauth2/authorize` (or `GET /login`) accepted, oldest first (the last
    /// 1000): what an app sent, e.g. its `acr_values` and `max_age`.
    pub fn authorization_requests(&self) -> Vec<AuthorizationRequest> {
        self.shared.login().requests.iter().cloned().collect()
    }
}

impl UserPoolServer {
    /// The managed-login base URL (what Cognito calls the user pool domain): `http://ADDR`,
    /// serving `/oauth2/authorize`, `/oauth2/token`, `/oauth2/revoke`, `/oauth2/userInfo`,
    /// `/login` and `/logout`.
    pub fn domain(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// The URL of the OpenID discovery document on this server:
    /// `http://ADDR/{pool}/.well-known/openid-configuration` (the issuer's path, as Cognito has
    /// it).
    pub fn discovery_url(&self, pool: &LocalUserPool) -> String {
        format!(
            "http://{}/{}/.well-known/openid-configuration",
            self.addr,
            pool.user_pool_id()
        )
    }
}

fn discovery_path(shared: &Shared) -> String {
    format!(
        "/{}/.well-known/openid-configuration",
        shared.settings.pool_id
    )
}

/// Whether the path is one of the managed-login side's.
pub(crate) fn serves(shared: &Shared, path: &str) -> bool {
    path.starts_with("/oauth2/")
        || path == "/login"
        || path == "/logout"
        || path == discovery_path(shared)
}

/// One request to a path [`serves`] accepted.
pub(crate) async fn answer(shared: &Shared, req: http::Request<Incoming>) -> Response {
    match req.uri().path() {
        "/oauth2/authorize" | "/login" => authorize::answer(shared, req).await,
        "/logout" => logout(shared, &req),
        path if path.starts_with("/oauth2/") => oauth::answer(shared, req).await,
        _ => discovery(shared, &req),
    }
}

/// `{iss}/.well-known/openid-configuration`, with this server's endpoints (the issuer stays
/// the tokens' `iss`).
fn discovery<B>(shared: &Shared, req: &http::Request<B>) -> Response {
    if req.method() != http::Method::GET {
        return reply::json(405, &json!({ "error": "invalid_request" }));
    }
    let Some(base) = base_url(req.headers()) else {
        return reply::json(400, &json!({ "error": "invalid_request" }));
    };
    let document = json!({
        "authorization_endpoint": format!("{base}/oauth2/authorize"),
        "end_session_endpoint": format!("{base}/logout"),
        "id_token_signing_alg_values_supported": ["RS256"],
        "issuer": shared.issuer.issuer(),
        "jwks_uri": format!("{base}/{}/.well-known/jwks.json", shared.settings.pool_id),
        "response_types_supported": ["code"],
        "revocation_endpoint": format!("{base}/oauth2/revoke"),
        "scopes_supported": ["openid", "email", "phone", "profile"],
        "subject_types_supported": ["public"],
        "token_endpoint": format!("{base}/oauth2/token"),
        "token_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post"],
        "userinfo_endpoint": format!("{base}/oauth2/userInfo"),
    });
    reply::json(200, &document)
}

/// `http://` and the request's `Host`, when it is a valid authority (the pool serves plain
/// HTTP on loopback).
fn base_url(headers: &http::HeaderMap) -> Option<String> {
    let host = headers.get(http::header::HOST)?.to_str().ok()?;
    let authority: http::uri::Authority = host.parse().ok()?;
    Some(format!("http://{authority}"))
}

/// `GET /logout`: ends the browser's managed-login session, then redirects to a sign-out URL
/// (`client_id` + `logout_uri`) or to the sign-in page (`client_id` + `redirect_uri` +
/// `response_type=code`, with `state`, `scope`, `code_challenge`, `code_challenge_method` and
/// `nonce` passed on); anything else is a 400 page and ends nothing. It revokes no token, as
/// Cognito's.
fn logout<B>(shared: &Shared, req: &http::Request<B>) -> Response {
    if req.method() != http::Method::GET {
        return page::error(405, "The sign-out endpoint takes GET requests only.");
    }
    let (params, duplicates) = query(req.uri());
    let settings = &shared.settings;
    if !duplicates.is_empty() || params.get("client_id") != Some(&settings.client_id) {
        return page::error(400, "Invalid request: unknown or missing client_id.");
    }
    let location = if let Some(logout_uri) = params.get("logout_uri") {
        if !settings.managed.logout_urls.contains(logout_uri) {
            return page::error(
                400,
                "Invalid request: logout_uri is not a sign-out URL of the client.",
            );
        }
        logout_uri.clone()
    } else {
        match (params.get("redirect_uri"), params.get("response_type")) {
            (Some(redirect_uri), Some(response_type))
                if settings.managed.callback_urls.contains(redirect_uri)
                    && response_type == "code" =>
            {
                let mut again = url::form_urlencoded::Serializer::new(String::new());
                // Cognito documents `state` and `scope`; the PKCE parameters and `nonce`
                // go along too, so a pool that requires PKCE can sign in again.
                for name in [
                    "client_id",
                    "redirect_uri",
                    "response_type",
                    "state",
                    "scope",
                    "code_challenge",
                    "code_challenge_method",
                    "nonce",
                ] {
                    if let Some(value) = params.get(name) {
                        again.append_pair(name, value);
                    }
                }
                format!("/login?{}", again.finish())
            }
            _ => {
                return page::error(
                    400,
                    "Invalid request: a sign-out needs logout_uri, or redirect_uri and \
                     response_type=code.",
                );
            }
        }
    };
    if let Some(id) = reply::cookie(req.headers(), login::SESSION_COOKIE) {
        shared.login().browsers.remove(&id);
    }
    reply::redirect(&location, &[login::expired_cookie(login::SESSION_COOKIE)])
}
