//! Test helpers (feature `test-util`): a local Cognito-shaped issuer.
//!
//! [`LocalIssuer`] generates RSA keys, mints ID and access tokens shaped like Cognito's (any claims,
//! broken ones included, or raw bytes), gives its keys as a static [`KeySet`], and serves its JWKS
//! over loopback with [`LocalIssuer::serve`], where tests can also make it fail.
//!
//! An in-memory Cognito user pool that signs its tokens with a `LocalIssuer` (sign-up, SRP and
//! password sign-in, challenges, MFA, refresh, sign-out) is the `tower-cognito-client` crate's
//! `test_util::LocalUserPool`.
//!
//! ```
//! # #[tokio::main(flavor = "current_thread")] async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! use tower::ServiceExt;
//! use tower_cognito::{CognitoAuthLayer, TokenUse, test_util::LocalIssuer};
//!
//! let issuer = LocalIssuer::new()?;
//! let config = issuer.config().token_use(TokenUse::Access).build()?;
//! let layer = CognitoAuthLayer::builder(config).static_keys(issuer.key_set()).build()?;
//! let app = tower::ServiceBuilder::new().layer(layer).service_fn(|_req: http::Request<()>| async {
//!     Ok::<_, std::convert::Infallible>(http::Response::new(String::new()))
//! });
//! let req = http::Request::get("/")
//!     .header("authorization", format!("Bearer {}", issuer.access_token()))
//!     .body(())?;
//! assert_eq!(app.oneshot(req).await?.status(), 200);
//! # Ok(()) }
//! ```

use std::convert::Infallible;
use std::fmt;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};

use aws_lc_rs::rand::SystemRandom;
use aws_lc_rs::rsa::{KeySize, PublicKeyComponents};
use aws_lc_rs::signature::{KeyPair, RSA_PKCS1_SHA256, RsaKeyPair};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use http_body_util::Full;
use hyper::body::Bytes;
use serde_json::{Map, Value, json};
use tokio::net::TcpListener;

use crate::claims::TokenUse;
use crate::clock::{Clock, SystemClock};
use crate::config::{CognitoConfig, CognitoConfigBuilder};
use crate::keys::KeySet;
use crate::source::{FetchError, JwksSource};

mod token;

#[cfg(feature = "alb")]
pub mod alb;

pub use token::TokenBuilder;

/// Default user pool id of a [`LocalIssuer`].
pub const LOCAL_POOL_ID: &str = "us-east-1_LocalPool1";
/// Default app client id of a [`LocalIssuer`].
pub const LOCAL_CLIENT_ID: &str = "localclient1";
/// Lifetime of the tokens a [`LocalIssuer`] mints by default, in seconds.
pub const TOKEN_LIFETIME: u64 = 3600;

/// Why a [`LocalIssuer`] could not be made or served.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum LocalIssuerError {
    /// RSA key generation failed.
    #[error("RSA key generation failed")]
    KeyGeneration,
    /// The loopback listener could not be bound.
    #[error("could not listen on loopback: {0}")]
    Bind(#[from] std::io::Error),
    /// The key given to [`LocalIssuerBuilder::pkcs8_key`] is not a PKCS#8 RSA private key that
    /// can sign RS256.
    #[error("the PKCS#8 key is not a usable RSA private key")]
    InvalidKey,
}

/// What the JWKS server answers.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum JwksResponse {
    /// `200` with the issuer's current JWKS.
    Keys,
    /// `200` with this body, as is.
    Body(Vec<u8>),
    /// This status and an empty body.
    Status(u16),
    /// `302` to this location.
    Redirect(String),
}

struct SigningKey {
    kid: String,
    pair: Arc<RsaKeyPair>,
    jwk: Value,
}

struct State {
    keys: Vec<SigningKey>,
    /// Keys no longer published; they can still sign (to test withdrawal).
    withdrawn: Vec<SigningKey>,
    active: usize,
    response: JwksResponse,
}

struct Inner {
    pool_id: String,
    region: String,
    client_id: String,
    issuer: String,
    clock: Arc<dyn Clock>,
    state: Mutex<State>,
    requests: AtomicU64,
    jwks_url: Mutex<Option<String>>,
    next_kid: AtomicU64,
}

/// A local Cognito-shaped token issuer for tests; cheap to clone (shared state).
#[derive(Clone)]
pub struct LocalIssuer {
    inner: Arc<Inner>,
}

impl fmt::Debug for LocalIssuer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("LocalIssuer")
            .field("issuer", &self.inner.issuer)
            .field("client_id", &self.inner.client_id)
            .field("kids", &self.kids())
            .finish()
    }
}

/// Builder of a [`LocalIssuer`].
#[derive(Debug, Clone)]
#[must_use]
pub struct LocalIssuerBuilder {
    pool_id: String,
    client_id: String,
    kid: Option<String>,
    domain: String,
    clock: Option<Arc<dyn Clock>>,
    pkcs8: Option<Pkcs8Der>,
}

/// Private key bytes, kept out of `Debug` output.
#[derive(Clone)]
struct Pkcs8Der(Arc<[u8]>);

impl fmt::Debug for Pkcs8Der {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Pkcs8Der(..)")
    }
}

impl LocalIssuerBuilder {
    /// The user pool id (default [`LOCAL_POOL_ID`]); the region is its prefix.
    pub fn user_pool_id(mut self, pool_id: impl Into<String>) -> Self {
        self.pool_id = pool_id.into();
        self
    }
    /// The app client id (default [`LOCAL_CLIENT_ID`]).
    pub fn client_id(mut self, client_id: impl Into<String>) -> Self {
        self.client_id = client_id.into();
        self
    }
    /// The `kid` of the first key (default `local-key-1`).
    pub fn kid(mut self, kid: impl Into<String>) -> Self {
        self.kid = Some(kid.into());
        self
    }
    /// The issuer domain (default `amazonaws.com`).
    pub fn issuer_domain(mut self, domain: impl Into<String>) -> Self {
        self.domain = domain.into();
        self
    }
    /// The clock used for `iat`, `exp` and `auth_time` of minted tokens (default: system time).
    pub fn clock(mut self, clock: impl Clock) -> Self {
        self.clock = Some(Arc::new(clock));
        self
    }
    /// Signs with this RSA private key (PKCS#8 DER, 2048 to 8192 bits) instead of a freshly
    /// generated one, so that tokens and the JWKS are the same on every run: RS256 signatures are
    /// deterministic, so fixed claims and a fixed [`clock`](Self::clock) give byte-identical
    /// tokens (fuzz seeds, golden files). Keys added later by [`LocalIssuer::rotate`] are still
    /// generated.
    ///
    /// Never pass a production key: a test key is meant to be published.
    pub fn pkcs8_key(mut self, der: impl Into<Vec<u8>>) -> Self {
        self.pkcs8 = Some(Pkcs8Der(der.into().into()));
        self
    }
    /// Generates the first key (or parses the one given to [`pkcs8_key`](Self::pkcs8_key)) and
    /// builds the issuer.
    ///
    /// # Errors
    /// [`LocalIssuerError::KeyGeneration`] if RSA key generation fails,
    /// [`LocalIssuerError::InvalidKey`] if the PKCS#8 key does not parse.
    pub fn build(self) -> Result<LocalIssuer, LocalIssuerError> {
        let region = self
            .pool_id
            .rsplit_once('_')
            .map_or("us-east-1", |(r, _)| r)
            .to_owned();
        let issuer = format!(
            "https://cognito-idp.{region}.{}/{}",
            self.domain, self.pool_id
        );
        let kid = self.kid.unwrap_or_else(|| "local-key-1".to_owned());
        let key = match &self.pkcs8 {
            Some(Pkcs8Der(der)) => signing_key(
                kid,
                RsaKeyPair::from_pkcs8(der).map_err(|_| LocalIssuerError::InvalidKey)?,
            ),
            None => generate(kid)?,
        };
        Ok(LocalIssuer {
            inner: Arc::new(Inner {
                pool_id: self.pool_id,
                region,
                client_id: self.client_id,
                issuer,
                clock: self.clock.unwrap_or_else(|| Arc::new(SystemClock)),
                state: Mutex::new(State {
                    keys: vec![key],
                    withdrawn: Vec::new(),
                    active: 0,
                    response: JwksResponse::Keys,
                }),
                requests: AtomicU64::new(0),
                jwks_url: Mutex::new(None),
                next_kid: AtomicU64::new(2),
            }),
        })
    }
}

fn generate(kid: String) -> Result<SigningKey, LocalIssuerError> {
    let pair =
        RsaKeyPair::generate(KeySize::Rsa2048).map_err(|_| LocalIssuerError::KeyGeneration)?;
    Ok(signing_key(kid, pair))
}

fn signing_key(kid: String, pair: RsaKeyPair) -> SigningKey {
    let components = PublicKeyComponents::<Vec<u8>>::from(pair.public_key());
    let jwk = json!({
        "alg": "RS256",
        "e": URL_SAFE_NO_PAD.encode(&components.e),
        "kid": kid,
        "kty": "RSA",
        "n": URL_SAFE_NO_PAD.encode(&components.n),
        "use": "sig",
    });
    SigningKey {
        kid,
        pair: Arc::new(pair),
        jwk,
    }
}

impl LocalIssuer {
    /// An issuer for pool [`LOCAL_POOL_ID`] and client [`LOCAL_CLIENT_ID`], with one fresh
    /// RSA-2048 key.
    ///
    /// # Errors
    /// [`LocalIssuerError::KeyGeneration`] if RSA key generation fails.
    pub fn new() -> Result<Self, LocalIssuerError> {
        Self::builder().build()
    }

    /// A builder, to choose the pool, client, first `kid` and key, or clock.
    pub fn builder() -> LocalIssuerBuilder {
        LocalIssuerBuilder {
            pool_id: LOCAL_POOL_ID.to_owned(),
            client_id: LOCAL_CLIENT_ID.to_owned(),
            kid: None,
            domain: CognitoConfig::DEFAULT_ISSUER_DOMAIN.to_owned(),
            clock: None,
            pkcs8: None,
        }
    }

    fn state(&self) -> std::sync::MutexGuard<'_, State> {
        self.inner
            .state
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
    }

    /// The `iss` of minted tokens (the real Cognito form).
    pub fn issuer(&self) -> &str {
        &self.inner.issuer
    }
    /// The user pool id.
    pub fn user_pool_id(&self) -> &str {
        &self.inner.pool_id
    }
    /// The region.
    pub fn region(&self) -> &str {
        &self.inner.region
    }
    /// The app client id.
    pub fn client_id(&self) -> &str {
        &self.inner.client_id
    }
    /// The `kid` of the key that signs.
    pub fn kid(&self) -> String {
        let state = self.state();
        state
            .keys
            .get(state.active)
            .map(|k| k.kid.clone())
            .unwrap_or_default()
    }
    /// The `kid`s of the published keys.
    pub fn kids(&self) -> Vec<String> {
        self.state().keys.iter().map(|k| k.kid.clone()).collect()
    }
    /// The time of the issuer's clock.
    pub fn now(&self) -> u64 {
        self.inner.clock.now()
    }

    /// A configuration builder for this pool and client, with the JWKS URL of
    /// [`serve`](Self::serve) when it runs. Choose the token use, then build.
    ///
    /// It never points at the real AWS URL: before `serve`, at a loopback port where nothing
    /// listens, so a layer built from it fetches nothing (`LayerBuilder::start` fails with a
    /// refused connection; `LayerBuilder::static_keys` needs no server at all).
    pub fn config(&self) -> CognitoConfigBuilder {
        let builder = CognitoConfig::builder(self.inner.pool_id.clone())
            .client_id(self.inner.client_id.clone());
        let builder = builder.clock(Arc::clone(&self.inner.clock));
        // Never the real AWS URL: before `serve`, a loopback port where nothing listens, so a
        // test that forgot to serve fails at once (connection refused) instead of going online.
        let url = self.jwks_url().unwrap_or_else(|| {
            format!(
                "http://127.0.0.1:1/{}/.well-known/jwks.json",
                self.inner.pool_id
            )
        });
        builder.jwks_url(url)
    }

    /// The published JWKS document.
    pub fn jwks(&self) -> Value {
        json!({ "keys": self.state().keys.iter().map(|k| k.jwk.clone()).collect::<Vec<_>>() })
    }

    /// The published keys as a static [`KeySet`] (for tests with no server).
    pub fn key_set(&self) -> KeySet {
        // The issuer always publishes at least one well-formed key unless every key was withdrawn.
        KeySet::from_jwks(self.jwks().to_string().as_bytes()).unwrap_or_default()
    }

    /// Adds a new key, publishes it and signs with it from now on; returns its `kid`. The old
    /// keys stay published.
    ///
    /// # Errors
    /// [`LocalIssuerError::KeyGeneration`] if RSA key generation fails.
    pub fn rotate(&self) -> Result<String, LocalIssuerError> {
        let n = self.inner.next_kid.fetch_add(1, Ordering::Relaxed);
        let key = generate(format!("local-key-{n}"))?;
        let kid = key.kid.clone();
        let mut state = self.state();
        state.keys.push(key);
        state.active = state.keys.len() - 1;
        Ok(kid)
    }

    /// Stops publishing the key `kid` (it can still sign, with [`sign_with_kid`](Self::sign_with_kid)).
    /// Returns whether it was published.
    pub fn withdraw(&self, kid: &str) -> bool {
        let mut state = self.state();
        let Some(pos) = state.keys.iter().position(|k| k.kid == kid) else {
            return false;
        };
        let key = state.keys.remove(pos);
        if state.active >= state.keys.len() {
            state.active = state.keys.len().saturating_sub(1);
        }
        state.withdrawn.push(key);
        true
    }

    /// Claims of a valid access token: `sub`, `iss`, `client_id`, `token_use`, `scope`,
    /// `username`, `cognito:groups`, `auth_time`, `iat`, `exp` (+1 h), `jti`, `origin_jti`,
    /// `event_id`, `version`.
    pub fn access_claims(&self) -> Map<String, Value> {
        let now = self.now();
        let Value::Object(map) = json!({
            "sub": "a1b2c3d4-0000-4000-8000-000000000001",
            "cognito:groups": ["users"],
            "iss": self.inner.issuer,
            "version": 2,
            "client_id": self.inner.client_id,
            "origin_jti": random_id(),
            "event_id": random_id(),
            "token_use": "access",
            "scope": "aws.cognito.signin.user.admin",
            "auth_time": now,
            "exp": now + TOKEN_LIFETIME,
            "iat": now,
            "jti": random_id(),
            "username": "alice",
        }) else {
            return Map::new();
        };
        map
    }

    /// Claims of a valid ID token: `sub`, `aud`, `iss`, `token_use`, `cognito:username`,
    /// `cognito:groups`, `email`, `email_verified`, `auth_time`, `iat`, `exp` (+1 h), `jti`,
    /// `origin_jti`, `event_id`.
    pub fn id_claims(&self) -> Map<String, Value> {
        let now = self.now();
        let Value::Object(map) = json!({
            "sub": "a1b2c3d4-0000-4000-8000-000000000001",
            "cognito:groups": ["users"],
            "email_verified": true,
            "iss": self.inner.issuer,
            "cognito:username": "alice",
            "origin_jti": random_id(),
            "aud": self.inner.client_id,
            "event_id": random_id(),
            "token_use": "id",
            "auth_time": now,
            "exp": now + TOKEN_LIFETIME,
            "iat": now,
            "jti": random_id(),
            "email": "alice@example.com",
        }) else {
            return Map::new();
        };
        map
    }

    /// A builder of an access token of this issuer, valid until you break it (see
    /// [`TokenBuilder`]).
    pub fn token(&self) -> TokenBuilder {
        TokenBuilder::new(self, self.access_claims())
    }

    /// A builder of an ID token of this issuer, valid until you break it.
    pub fn id_token_builder(&self) -> TokenBuilder {
        TokenBuilder::new(self, self.id_claims())
    }

    /// A valid access token.
    pub fn access_token(&self) -> String {
        self.sign(&self.access_claims())
    }

    /// A valid ID token.
    pub fn id_token(&self) -> String {
        self.sign(&self.id_claims())
    }

    /// Signs these claims with the active key, header `{"kid": ..., "alg": "RS256"}`.
    pub fn sign(&self, claims: &Map<String, Value>) -> String {
        let header = json!({ "kid": self.kid(), "alg": "RS256" });
        self.sign_json(&header, &Value::Object(claims.clone()))
    }

    /// Signs with the active key, with any header and payload JSON values.
    pub fn sign_json(&self, header: &Value, payload: &Value) -> String {
        self.sign_raw(
            header.to_string().as_bytes(),
            payload.to_string().as_bytes(),
        )
    }

    /// Signs raw header and payload bytes (anything, even invalid JSON) with the active key.
    ///
    /// If signing fails (it does not in practice), the token has an empty signature segment
    /// and will not verify.
    pub fn sign_raw(&self, header: &[u8], payload: &[u8]) -> String {
        let kid = self.kid();
        self.sign_raw_with_kid(&kid, header, payload)
    }

    /// Signs raw header and payload bytes with the key `kid` (published or withdrawn), whatever
    /// `kid` the header names. An unknown `kid` gives an empty signature segment.
    pub fn sign_with_kid(&self, kid: &str, header: &[u8], payload: &[u8]) -> String {
        self.sign_raw_with_kid(kid, header, payload)
    }

    fn sign_raw_with_kid(&self, kid: &str, header: &[u8], payload: &[u8]) -> String {
        let input = format!(
            "{}.{}",
            URL_SAFE_NO_PAD.encode(header),
            URL_SAFE_NO_PAD.encode(payload)
        );
        let pair = {
            let state = self.state();
            let mut all = state.keys.iter().chain(&state.withdrawn);
            all.find(|k| k.kid == kid).map(|k| Arc::clone(&k.pair))
        };
        let signature = pair
            .and_then(|pair| {
                let mut sig = vec![0u8; pair.public_modulus_len()];
                pair.sign(
                    &RSA_PKCS1_SHA256,
                    &SystemRandom::new(),
                    input.as_bytes(),
                    &mut sig,
                )
                .ok()?;
                Some(URL_SAFE_NO_PAD.encode(sig))
            })
            .unwrap_or_default();
        format!("{input}.{signature}")
    }

    /// Sets what the JWKS server answers from now on.
    pub fn respond_with(&self, response: JwksResponse) {
        self.state().response = response;
    }

    /// How many requests the JWKS server has answered.
    pub fn jwks_requests(&self) -> u64 {
        self.inner.requests.load(Ordering::SeqCst)
    }

    /// The URL of the JWKS server, once [`serve`](Self::serve) has started it (or the URL given
    /// to [`set_jwks_url`](Self::set_jwks_url)).
    pub fn jwks_url(&self) -> Option<String> {
        self.inner
            .jwks_url
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    /// Makes [`config`](Self::config) and [`jwks_url`](Self::jwks_url) point at `url`: for a
    /// test server of your own that answers the JWKS path with
    /// [`jwks_response`](Self::jwks_response) (what [`serve`](Self::serve) does for its own
    /// server). Give a loopback URL: the configuration accepts plain `http` to loopback only.
    pub fn set_jwks_url(&self, url: impl Into<String>) {
        *self
            .inner
            .jwks_url
            .lock()
            .unwrap_or_else(PoisonError::into_inner) = Some(url.into());
    }

    /// Serves the JWKS over HTTP on `127.0.0.1` (a free port) at
    /// `/{pool}/.well-known/jwks.json`. The server stops when the returned guard is dropped: keep
    /// it for as long as the layer should fetch. Take [`config`](Self::config) after this call.
    ///
    /// # Errors
    /// [`LocalIssuerError::Bind`] if no loopback port can be bound.
    #[must_use = "the JWKS server stops when its guard is dropped"]
    pub async fn serve(&self) -> Result<JwksServer, LocalIssuerError> {
        self.serve_on(SocketAddr::from(([127, 0, 0, 1], 0))).await
    }

    /// Like [`serve`](Self::serve), on a given loopback address.
    ///
    /// # Errors
    /// [`LocalIssuerError::Bind`] if the address cannot be bound.
    #[must_use = "the JWKS server stops when its guard is dropped"]
    pub async fn serve_on(&self, addr: SocketAddr) -> Result<JwksServer, LocalIssuerError> {
        let listener = TcpListener::bind(addr).await?;
        let addr = listener.local_addr()?;
        let url = format!("http://{addr}/{}/.well-known/jwks.json", self.inner.pool_id);
        self.set_jwks_url(url.clone());
        let issuer = self.clone();
        let task = tokio::spawn(async move {
            loop {
                let Ok((stream, _)) = listener.accept().await else {
                    continue;
                };
                let issuer = issuer.clone();
                tokio::spawn(async move {
                    let service = hyper::service::service_fn(move |req| {
                        let issuer = issuer.clone();
                        async move { Ok::<_, Infallible>(issuer.jwks_response(&req).map(Full::new)) }
                    });
                    let io = hyper_util::rt::TokioIo::new(stream);
                    let _ = hyper::server::conn::http1::Builder::new()
                        .serve_connection(io, service)
                        .await;
                });
            }
        });
        Ok(JwksServer {
            addr,
            url,
            task: task.abort_handle(),
        })
    }

    /// The answer of [`serve`](Self::serve)'s server to `req`, for a test server of your own
    /// (one that also plays another API, say): for a path ending in `/.well-known/jwks.json`,
    /// the published JWKS as `application/json`, or what [`respond_with`](Self::respond_with)
    /// set; `404` for any other path. Each call counts in
    /// [`jwks_requests`](Self::jwks_requests).
    ///
    /// ```
    /// use tower_cognito::test_util::{JwksResponse, LocalIssuer};
    ///
    /// let issuer = LocalIssuer::new()?;
    /// let get = |path: &str| http::Request::get(path).body(()).unwrap();
    /// let res = issuer.jwks_response(&get("/us-east-1_LocalPool1/.well-known/jwks.json"));
    /// assert_eq!(res.status(), 200);
    /// let jwks: serde_json::Value = serde_json::from_slice(res.body())?;
    /// assert_eq!(jwks, issuer.jwks());
    /// assert_eq!(issuer.jwks_response(&get("/other")).status(), 404);
    /// issuer.respond_with(JwksResponse::Status(503));
    /// assert_eq!(issuer.jwks_response(&get("/p/.well-known/jwks.json")).status(), 503);
    /// assert_eq!(issuer.jwks_requests(), 3);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn jwks_response<B>(&self, req: &http::Request<B>) -> http::Response<Bytes> {
        self.inner.requests.fetch_add(1, Ordering::SeqCst);
        let response = self.state().response.clone();
        let mut builder = http::Response::builder();
        let body = if !req.uri().path().ends_with("/.well-known/jwks.json") {
            builder = builder.status(404);
            Vec::new()
        } else {
            match response {
                JwksResponse::Keys => {
                    builder = builder.header("content-type", "application/json");
                    self.jwks().to_string().into_bytes()
                }
                JwksResponse::Body(body) => body,
                JwksResponse::Status(status) => {
                    builder = builder.status(status);
                    Vec::new()
                }
                JwksResponse::Redirect(location) => {
                    builder = builder.status(302).header("location", location);
                    Vec::new()
                }
            }
        };
        builder
            .body(Bytes::from(body))
            .unwrap_or_else(|_| http::Response::new(Bytes::new()))
    }
}

/// The issuer is also an in-memory [`JwksSource`]: a layer built with
/// [`LayerBuilder::jwks_source`](crate::LayerBuilder::jwks_source) and the issuer fetches
/// without any server, and sees what
/// [`respond_with`](LocalIssuer::respond_with) sets (a redirect is a `302` status; nothing follows
/// it). Each fetch counts in [`jwks_requests`](LocalIssuer::jwks_requests).
///
/// ```
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
/// use tower_cognito::test_util::LocalIssuer;
/// use tower_cognito::{CognitoAuthLayer, TokenUse};
///
/// let issuer = LocalIssuer::new()?;
/// let config = issuer.config().token_use(TokenUse::Access).build()?;
/// let layer = CognitoAuthLayer::builder(config).jwks_source(issuer.clone()).start().await?;
/// assert_eq!(issuer.jwks_requests(), 1);
/// assert!(layer.verify(&issuer.access_token()).is_ok());
/// # Ok(()) }
/// ```
impl JwksSource for LocalIssuer {
    async fn fetch(&self, max_size: usize) -> Result<Vec<u8>, FetchError> {
        self.inner.requests.fetch_add(1, Ordering::SeqCst);
        let response = self.state().response.clone();
        let body = match response {
            JwksResponse::Keys => self.jwks().to_string().into_bytes(),
            JwksResponse::Body(body) => body,
            JwksResponse::Status(status) => return Err(FetchError::Status(status)),
            JwksResponse::Redirect(_) => return Err(FetchError::Status(302)),
        };
        if body.len() > max_size {
            return Err(FetchError::TooLarge(max_size));
        }
        Ok(body)
    }
}

/// A running JWKS server of a [`LocalIssuer`]; stops when dropped.
#[derive(Debug)]
#[must_use = "the JWKS server stops when this guard is dropped"]
pub struct JwksServer {
    addr: SocketAddr,
    url: String,
    task: tokio::task::AbortHandle,
}

impl JwksServer {
    /// The address it listens on.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }
    /// The JWKS URL.
    pub fn jwks_url(&self) -> &str {
        &self.url
    }
}

impl Drop for JwksServer {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// Offline mode of a server (no `COGNITO_USER_POOL_ID`, see [`crate::env`]): a new
/// [`LocalIssuer`] serving its JWKS on loopback, the configuration that accepts its tokens, and
/// tokens to print, for the user `alice` in the groups given. The examples use it; so can your own
/// development servers, never a production one: a server in offline mode accepts whatever its
/// embedded issuer signs, and the printed tokens are credentials for whoever reads the output.
///
/// ```
/// # #[cfg(feature = "reqwest")] // The layer fetches the JWKS over HTTP with reqwest.
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
/// use tower_cognito::test_util::OfflineIssuer;
/// use tower_cognito::{CognitoAuthLayer, TokenUse};
///
/// let offline = OfflineIssuer::start(Some(TokenUse::Access), &["users", "admins"]).await?;
/// let layer = CognitoAuthLayer::builder(offline.config().build()?).start().await?;
/// for line in offline.banner() {
///     println!("{line}"); // the mode, the pool, the accepted token use, both tokens
/// }
/// assert_eq!(offline.token(), offline.access_token());
/// assert!(layer.verify(offline.token())?.in_group("admins"));
/// assert!(!layer.verify(&offline.token_in_groups(&["users"]))?.in_group("admins"));
/// assert!(layer.verify(offline.id_token()).is_err(), "access tokens only");
/// # Ok(()) }
/// # #[cfg(not(feature = "reqwest"))]
/// # fn main() {}
/// ```
#[derive(Debug)]
pub struct OfflineIssuer {
    issuer: LocalIssuer,
    jwks: JwksServer,
    token_use: Option<TokenUse>,
    groups: Vec<String>,
    access_token: String,
    id_token: String,
}

impl OfflineIssuer {
    /// Starts a new issuer ([`LocalIssuer::new`]) and its JWKS server on `127.0.0.1`, and mints
    /// an access and an ID token (valid for [`TOKEN_LIFETIME`]) in `groups` (`cognito:groups`);
    /// its [`config`](Self::config) accepts `token_use` (`None`: either kind).
    /// The JWKS server stops when this is dropped: keep it as long as the server runs.
    ///
    /// # Errors
    /// [`LocalIssuerError`] when no key can be made or no loopback port bound.
    pub async fn start(
        token_use: Option<TokenUse>,
        groups: &[&str],
    ) -> Result<Self, LocalIssuerError> {
        let issuer = LocalIssuer::new()?;
        let jwks = issuer.serve().await?;
        let access_token = issuer.token().claim("cognito:groups", groups).build();
        let id_token = issuer
            .id_token_builder()
            .claim("cognito:groups", groups)
            .build();
        Ok(Self {
            issuer,
            jwks,
            token_use,
            groups: groups.iter().map(|g| (*g).to_owned()).collect(),
            access_token,
            id_token,
        })
    }

    /// The issuer, to mint more tokens.
    pub fn issuer(&self) -> &LocalIssuer {
        &self.issuer
    }

    /// The URL of the JWKS it serves.
    pub fn jwks_url(&self) -> &str {
        self.jwks.jwks_url()
    }

    /// The issuer's configuration builder ([`LocalIssuer::config`]) with the token use given
    /// to [`start`](Self::start).
    pub fn config(&self) -> CognitoConfigBuilder {
        self.issuer.config().token_use_choice(self.token_use)
    }

    /// The access token minted at start.
    pub fn access_token(&self) -> &str {
        &self.access_token
    }

    /// The ID token minted at start.
    pub fn id_token(&self) -> &str {
        &self.id_token
    }

    /// The token minted at start that [`config`](Self::config) accepts: the ID token when it
    /// accepts ID tokens only, else the access token.
    pub fn token(&self) -> &str {
        match self.token_use {
            Some(TokenUse::Id) => &self.id_token,
            _ => &self.access_token,
        }
    }

    /// A new token of the kind [`token`](Self::token) is, in other groups (none: `&[]`).
    pub fn token_in_groups(&self, groups: &[&str]) -> String {
        let builder = match self.token_use {
            Some(TokenUse::Id) => self.issuer.id_token_builder(),
            _ => self.issuer.token(),
        };
        builder.claim("cognito:groups", groups).build()
    }

    /// The lines to print at start-up: the mode, the pool, app client and JWKS URL, the accepted
    /// token use, the access and the ID token (`access token: ...`, `id token: ...`) and who
    /// they are for.
    pub fn banner(&self) -> Vec<String> {
        let groups = match self.groups.as_slice() {
            [] => String::new(),
            groups => format!(", in the groups {}", groups.join(" and ")),
        };
        vec![
            "offline mode: no COGNITO_USER_POOL_ID, tokens from an embedded issuer".to_owned(),
            format!(
                "user pool {}, app client {}, JWKS {}",
                self.issuer.user_pool_id(),
                self.issuer.client_id(),
                self.jwks_url()
            ),
            format!(
                "accepted token use: {}",
                self.token_use.map_or("any", TokenUse::as_str)
            ),
            format!("access token: {}", self.access_token),
            format!("id token: {}", self.id_token),
            format!("(both for the user alice{groups}; valid for 1 hour: restart for fresh ones)"),
        ]
    }
}

fn random_id() -> String {
    let mut bytes = [0u8; 16];
    let _ = aws_lc_rs::rand::fill(&mut bytes);
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use aws_lc_rs::encoding::AsDer;

    use super::*;
    use crate::clock::FixedClock;
    use crate::verifier::Verifier;

    #[test]
    fn pkcs8_key_gives_reproducible_tokens() {
        let pair = RsaKeyPair::generate(KeySize::Rsa2048).unwrap();
        let der = pair.as_der().unwrap();
        let build = || {
            LocalIssuer::builder()
                .pkcs8_key(der.as_ref())
                .clock(FixedClock::new(1_700_000_000))
                .build()
                .unwrap()
        };
        let (a, b) = (build(), build());
        assert_eq!(a.jwks(), b.jwks());
        let mut claims = a.access_claims();
        claims.insert("jti".into(), json!("fixed"));
        let token = a.sign(&claims);
        assert_eq!(token, b.sign(&claims));
        let config = a.config().token_use(TokenUse::Access).build().unwrap();
        Verifier::new(&config)
            .verify(&token, &b.key_set(), 1_700_000_000)
            .unwrap();

        let builder = LocalIssuer::builder().pkcs8_key(der.as_ref());
        assert!(format!("{builder:?}").contains("Pkcs8Der(..)"));
        assert!(matches!(
            LocalIssuer::builder().pkcs8_key(&b"not a key"[..]).build(),
            Err(LocalIssuerError::InvalidKey)
        ));
    }
}
