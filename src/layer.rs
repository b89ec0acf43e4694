//! [`CognitoAuthLayer`]: the tower layer, its key set and its refresher.

use std::fmt;
use std::sync::Arc;

use serde::de::DeserializeOwned;
use tower_layer::Layer;

use crate::auth::{Authenticator, Readiness};
use crate::config::CognitoConfig;
use crate::error::StartError;
use crate::extract::Claims;
use crate::keys::KeySet;
use crate::keystore::{IssuerKeys, RefreshStats};
use crate::refresh::{self, RefresherHandle, Schedule};
use crate::rejection::Rfc6750;
use crate::service::CognitoAuth;
use crate::source::JwksSource;
use crate::verifier::Verifier;

/// A tower layer that verifies the Cognito bearer token of every request.
///
/// On success the verified [`Claims`] go into the request extensions and the inner service is
/// called; otherwise the layer answers itself (`400`, `401` or `503`, with an RFC 6750
/// `WWW-Authenticate` challenge) and attaches the [`Error`](crate::Error) to the response extensions.
///
/// The pool's key set is fetched by a background task that the layer owns: every
/// [`refresh_interval`](crate::CognitoConfigBuilder::refresh_interval), at once (single-flight, at
/// most once per cooldown) when a token names an unknown `kid`, and with backoff after a failure,
/// always keeping the last good set. The task ends when the last clone of the layer and of its
/// services is dropped. The request path never awaits, never locks and never fetches.
///
/// `E` is the application's own claims type, filled from the same parse of the verified payload
/// into [`CognitoClaims<E>`](crate::CognitoClaims) (see [`extra_claims`](Self::extra_claims));
/// `()` by default.
///
/// ```
/// use tower_cognito::{AcceptTokenUse, CognitoAuthLayer, CognitoConfig};
///
/// # #[cfg(all(feature = "axum", feature = "reqwest"))] // Default features.
/// # async fn run() -> Result<(), Box<dyn std::error::Error>> {
/// let config = CognitoConfig::builder("us-east-1_AbC123xyz")
///     .client_id("4r1ktl3f2lrrvc1e5e0hdh1gjo")
///     .token_use(AcceptTokenUse::Access)
///     .build()?;
/// // Waits (at most `startup_timeout`) for the first key set.
/// let auth = CognitoAuthLayer::new(config).await?;
/// let app: axum::Router = axum::Router::new()
///     .route("/me", axum::routing::get(|claims: tower_cognito::Claims| async move { claims.sub.clone() }))
///     .layer(auth);
/// # let _ = app; Ok(()) }
/// ```
#[must_use = "a layer does nothing until it wraps a service"]
pub struct CognitoAuthLayer<E = (), R = Rfc6750> {
    pub(crate) auth: Arc<Authenticator<E>>,
    reject: R,
}

impl<E, R: Clone> Clone for CognitoAuthLayer<E, R> {
    fn clone(&self) -> Self {
        Self {
            auth: Arc::clone(&self.auth),
            reject: self.reject.clone(),
        }
    }
}

impl<E, R> fmt::Debug for CognitoAuthLayer<E, R> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CognitoAuthLayer")
            .field("auth", &self.auth)
            .field("extra_claims", &std::any::type_name::<E>())
            .finish()
    }
}

impl CognitoAuthLayer {
    /// Builds the layer, fetching the pool's JWKS over HTTPS ([`ReqwestJwks`](crate::ReqwestJwks)),
    /// and waits, at most the configured
    /// [`startup_timeout`](crate::CognitoConfigBuilder::startup_timeout), for the first key set.
    ///
    /// # Errors
    /// [`StartError::NoKeys`] when no usable key set arrived in time (the refresher is stopped),
    /// with the last fetch error as its source; [`StartError::HttpClient`] when the HTTP client
    /// cannot be built, [`StartError::NoRuntime`] outside a tokio runtime.
    #[cfg(feature = "reqwest")]
    pub async fn new(config: CognitoConfig) -> Result<Self, StartError> {
        let source = crate::ReqwestJwks::new(&config)?;
        Self::new_with_source(config, source).await
    }

    /// Like [`new`](Self::new), with the key set fetched from `source` (your own HTTP client, a
    /// file, a secret store, an in-memory source in tests).
    ///
    /// # Errors
    /// As [`new`](Self::new).
    pub async fn new_with_source(
        config: CognitoConfig,
        source: impl JwksSource,
    ) -> Result<Self, StartError> {
        let timeout = config.layer.startup_timeout;
        let layer = Self::lazy_with_source(config, source)?;
        let mut swaps = layer.auth.issuer().subscribe();
        let loaded = tokio::time::timeout(timeout, swaps.wait_for(|&n| n > 0)).await;
        match loaded {
            Ok(Ok(_)) => Ok(layer),
            _ => Err(StartError::NoKeys {
                timeout,
                last_error: layer.auth.issuer().last_error(),
            }),
        }
    }

    /// Builds the layer without waiting: requests are answered `503` (with `Retry-After`) until
    /// the first key set arrives. Must be called within a tokio runtime.
    ///
    /// # Errors
    /// [`StartError::NoRuntime`] outside a tokio runtime; [`StartError::HttpClient`] when the
    /// HTTP client cannot be built.
    #[cfg(feature = "reqwest")]
    pub fn lazy(config: CognitoConfig) -> Result<Self, StartError> {
        let source = crate::ReqwestJwks::new(&config)?;
        Self::lazy_with_source(config, source)
    }

    /// Like [`lazy`](Self::lazy), with the key set fetched from `source`.
    ///
    /// # Errors
    /// [`StartError::NoRuntime`] outside a tokio runtime.
    pub fn lazy_with_source(
        config: CognitoConfig,
        source: impl JwksSource,
    ) -> Result<Self, StartError> {
        let runtime = tokio::runtime::Handle::try_current().map_err(|_| StartError::NoRuntime)?;
        let issuer = Arc::new(IssuerKeys::new(KeySet::empty(), true));
        let task = runtime.spawn(refresh::run(
            Arc::clone(&issuer),
            source,
            Schedule::from_config(&config),
        ));
        let refresher = RefresherHandle::new(task.abort_handle(), Arc::clone(&issuer));
        Ok(Self::from_parts(&config, issuer, Some(refresher)))
    }

    /// Builds the layer over a fixed key set: nothing is fetched, ever (pinned keys, or tests).
    ///
    /// # Errors
    /// [`StartError::EmptyKeySet`] when `keys` has no key.
    pub fn with_key_set(config: CognitoConfig, keys: KeySet) -> Result<Self, StartError> {
        if keys.is_empty() {
            return Err(StartError::EmptyKeySet);
        }
        Ok(Self::from_parts(
            &config,
            Arc::new(IssuerKeys::new(keys, false)),
            None,
        ))
    }

    fn from_parts(
        config: &CognitoConfig,
        issuer: Arc<IssuerKeys>,
        refresher: Option<RefresherHandle>,
    ) -> Self {
        Self {
            auth: Arc::new(Authenticator::new(config, issuer, refresher)),
            reject: Rfc6750::checked(&config.layer.realm),
        }
    }
}

impl<E, R> CognitoAuthLayer<E, R> {
    /// Fills the application's own claims type `F` from the same parse of each verified payload:
    /// handlers then read [`Claims<F>`](crate::Claims), which derefs to
    /// [`CognitoClaims<F>`](crate::CognitoClaims) (the Cognito claims, typed, plus
    /// [`extra`](crate::CognitoClaims::extra): `F`).
    ///
    /// `F` sees every member [`CognitoClaims`](crate::CognitoClaims) does not type itself (so not
    /// `sub`, `email`, `cognito:groups`... which are there already), `custom:*` attributes
    /// included. A token whose payload `F` refuses is rejected once every Cognito rule passed
    /// (`401`, [`ErrorKind::CustomClaims`](crate::ErrorKind::CustomClaims)). The layer gets a
    /// verified-token cache of its own for `F`; the key set and its refresher are shared.
    ///
    /// ```
    /// # #[cfg(all(feature = "test-util", feature = "axum"))]
    /// # fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// use tower_cognito::{AcceptTokenUse, Claims, CognitoAuthLayer};
    /// use tower_cognito::test_util::LocalIssuer;
    ///
    /// #[derive(serde::Deserialize)]
    /// struct Tenant {
    ///     #[serde(rename = "custom:tenant")]
    ///     tenant: String,
    /// }
    ///
    /// async fn handler(claims: Claims<Tenant>) -> String {
    ///     format!("{} of {}", claims.sub, claims.extra.tenant)
    /// }
    ///
    /// let issuer = LocalIssuer::new()?;
    /// let config = issuer.config().token_use(AcceptTokenUse::Access).build()?;
    /// let layer = CognitoAuthLayer::with_key_set(config, issuer.key_set())?.extra_claims::<Tenant>();
    /// let app: axum::Router = axum::Router::new()
    ///     .route("/", axum::routing::get(handler))
    ///     .layer(layer.clone());
    /// let token = issuer.token().claim("custom:tenant", "acme").build();
    /// assert_eq!(layer.verify(&token)?.extra.tenant, "acme");
    /// # let _ = app; Ok(()) }
    /// # #[cfg(not(all(feature = "test-util", feature = "axum")))]
    /// # fn main() {}
    /// ```
    pub fn extra_claims<F>(self) -> CognitoAuthLayer<F, R>
    where
        F: DeserializeOwned + Send + Sync + 'static,
    {
        CognitoAuthLayer {
            auth: Arc::new(self.auth.for_claims::<F>()),
            reject: self.reject,
        }
    }

    /// Answers rejected requests with `reject` instead of the RFC 6750 default ([`Rfc6750`]): a
    /// [`Reject`](crate::Reject) implementation or a closure `Fn(&Error, &http::request::Parts) -> Response<B>`.
    /// The [`Error`](crate::Error) is put into the response's extensions whatever it answers.
    pub fn reject_with<R2>(self, reject: R2) -> CognitoAuthLayer<E, R2> {
        CognitoAuthLayer {
            auth: self.auth,
            reject,
        }
    }

    /// The configuration.
    pub fn config(&self) -> &CognitoConfig {
        self.auth.verifier().config()
    }

    /// Verifies a token outside HTTP (a WebSocket handshake, a queue consumer) exactly as the layer
    /// verifies a request's: with its clock, its live key set and its verified-token cache, the
    /// size cap and the `b64token` grammar, and an unknown `kid` nudges the key refetch, so a key
    /// rotation is picked up here too. Nothing is awaited.
    ///
    /// ```
    /// # #[cfg(feature = "test-util")]
    /// # fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// use tower_cognito::{AcceptTokenUse, CognitoAuthLayer, ErrorKind};
    /// use tower_cognito::test_util::LocalIssuer;
    ///
    /// let issuer = LocalIssuer::new()?;
    /// let config = issuer.config().token_use(AcceptTokenUse::Access).build()?;
    /// let layer = CognitoAuthLayer::with_key_set(config, issuer.key_set())?;
    /// let claims = layer.verify(&issuer.access_token())?;
    /// assert_eq!(claims.client_id.as_deref(), Some(issuer.client_id()));
    /// assert_eq!(layer.verify("not-a-token").unwrap_err().kind(), ErrorKind::Malformed);
    /// # Ok(()) }
    /// # #[cfg(not(feature = "test-util"))]
    /// # fn main() {}
    /// ```
    ///
    /// # Errors
    /// The [`Error`](crate::Error) a request with this token would have been rejected with.
    pub fn verify(&self, token: &str) -> Result<Claims<E>, crate::Error>
    where
        E: DeserializeOwned + Send + Sync + 'static,
    {
        self.auth.verify_token(token).map(Claims)
    }

    /// The verifier the layer runs (pure: no clock, key set nor cache of its own; for those, use
    /// [`verify`](Self::verify)).
    pub fn verifier(&self) -> &Verifier {
        self.auth.verifier()
    }

    /// The current key set (empty until the first fetch succeeds).
    pub fn key_set(&self) -> Arc<KeySet> {
        self.auth.issuer().keys.load_full()
    }

    /// Counters of the key refresher.
    pub fn refresh_stats(&self) -> RefreshStats {
        self.auth.issuer().stats()
    }

    /// Whether the layer can verify tokens now: see [`Readiness`]. Cheap (a few atomic loads and
    /// one clock read): serve it from a readiness probe.
    pub fn readiness(&self) -> Readiness {
        self.auth.readiness()
    }
}

impl<S, E, R: Clone> Layer<S> for CognitoAuthLayer<E, R> {
    type Service = CognitoAuth<S, E, R>;

    fn layer(&self, inner: S) -> Self::Service {
        CognitoAuth::new(inner, Arc::clone(&self.auth), self.reject.clone())
    }
}
