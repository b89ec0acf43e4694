//! [`CognitoAuthLayer`]: the tower layer, its key set and its refresher.

use std::fmt;
use std::marker::PhantomData;
use std::sync::Arc;
use std::time::Duration;

use serde::de::DeserializeOwned;
use tower_layer::Layer;

use crate::auth::{Authenticator, Policy, Pool};
use crate::clock::Clock as _;
use crate::config::CognitoConfig;
use crate::error::StartError;
use crate::extract::Claims;
use crate::keys::KeySet;
use crate::keystore::{IssuerKeys, RefreshStats};
use crate::kid_index::KidIndex;
use crate::metrics::{DenyListMetrics, Metrics, PoolMetrics};
use crate::refresh::{self, RefresherHandle, Schedule};
use crate::rejection::Rfc6750;
use crate::service::CognitoAuth;
use crate::source::JwksSource;
use crate::status::Readiness;
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
/// `()` by default. `R` answers rejected requests ([`reject_with`](Self::reject_with)). `C`
/// records whether checks of yours were added: [`Unchecked`] from the constructors, [`Checked`]
/// after [`check`](Self::check). A check reads the claims type it was written for, so only an
/// `Unchecked` layer can still change it: `layer.check(f).extra_claims::<T>()` does not compile,
/// and no check can vanish.
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
pub struct CognitoAuthLayer<E = (), R = Rfc6750, C = Unchecked> {
    pub(crate) auth: Arc<Authenticator<E>>,
    policy: Policy<E>,
    reject: R,
    checks: PhantomData<fn() -> C>,
}

/// The [`CognitoAuthLayer`] state of a layer without checks of yours (what the constructors
/// return): its claims type may still change ([`extra_claims`](CognitoAuthLayer::extra_claims)).
#[derive(Debug, Clone, Copy)]
#[non_exhaustive]
pub struct Unchecked;

/// The [`CognitoAuthLayer`] state of a layer with at least one [`check`](CognitoAuthLayer::check):
/// its claims type is the one the checks read, for good.
#[derive(Debug, Clone, Copy)]
#[non_exhaustive]
pub struct Checked;

impl<E, R: Clone, C> Clone for CognitoAuthLayer<E, R, C> {
    fn clone(&self) -> Self {
        Self {
            auth: Arc::clone(&self.auth),
            policy: self.policy.clone(),
            reject: self.reject.clone(),
            checks: PhantomData,
        }
    }
}

impl<E, R, C> fmt::Debug for CognitoAuthLayer<E, R, C> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CognitoAuthLayer")
            .field("auth", &self.auth)
            .field("policy", &self.policy)
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
        let sources = config
            .pools()
            .map(|pool| crate::ReqwestJwks::new(&pool))
            .collect::<Result<Vec<_>, _>>()?;
        let mut sources = sources.into_iter();
        Self::new_with_sources(config, |_| sources.next()).await
    }

    /// Like [`new`](Self::new), with the key set fetched from `source` (your own HTTP client, a
    /// file, a secret store, an in-memory source in tests).
    ///
    /// # Errors
    /// As [`new`](Self::new); [`StartError::SourcePerPool`] for a configuration of several pools
    /// (give each its source with [`new_with_sources`](Self::new_with_sources)).
    pub async fn new_with_source(
        config: CognitoConfig,
        source: impl JwksSource,
    ) -> Result<Self, StartError> {
        let mut source = Some(source);
        Self::new_with_sources(config, |_| source.take()).await
    }

    /// Like [`new`](Self::new), with each pool's key set fetched from the source `sources` gives
    /// for that pool's own configuration ([`CognitoConfig::pools`]). Waits for every pool's first
    /// key set.
    ///
    /// # Errors
    /// As [`new`](Self::new); [`StartError::SourcePerPool`] when `sources` gives `None` for a
    /// pool.
    pub async fn new_with_sources<S: JwksSource>(
        config: CognitoConfig,
        sources: impl FnMut(&CognitoConfig) -> Option<S>,
    ) -> Result<Self, StartError> {
        let timeout = config.layer.startup_timeout;
        let layer = Self::lazy_with_sources(config, sources)?;
        let wait = async {
            for pool in layer.auth.pools() {
                let mut swaps = pool.issuer().subscribe();
                if swaps.wait_for(|&n| n > 0).await.is_err() {
                    return Err(pool);
                }
            }
            Ok(())
        };
        let failed = match tokio::time::timeout(timeout, wait).await {
            Ok(Ok(())) => return Ok(layer),
            Ok(Err(pool)) => Some(pool),
            Err(_) => None,
        };
        // The first pool still without keys (the one the wait was on, or gave up on).
        let pool = failed
            .or_else(|| {
                layer
                    .auth
                    .pools()
                    .find(|p| p.issuer().keys.load().is_empty())
            })
            .unwrap_or(layer.auth.first());
        Err(StartError::NoKeys {
            timeout,
            user_pool_id: pool.verifier().config().user_pool_id().to_owned(),
            last_error: pool.issuer().last_error(),
        })
    }

    /// Builds the layer without waiting: requests are answered `503` (with `Retry-After`) until
    /// the first key set arrives. Must be called within a tokio runtime.
    ///
    /// # Errors
    /// [`StartError::NoRuntime`] outside a tokio runtime; [`StartError::HttpClient`] when the
    /// HTTP client cannot be built.
    #[cfg(feature = "reqwest")]
    pub fn lazy(config: CognitoConfig) -> Result<Self, StartError> {
        let sources = config
            .pools()
            .map(|pool| crate::ReqwestJwks::new(&pool))
            .collect::<Result<Vec<_>, _>>()?;
        let mut sources = sources.into_iter();
        Self::lazy_with_sources(config, |_| sources.next())
    }

    /// Like [`lazy`](Self::lazy), with the key set fetched from `source`.
    ///
    /// # Errors
    /// [`StartError::NoRuntime`] outside a tokio runtime; [`StartError::SourcePerPool`] for a
    /// configuration of several pools.
    pub fn lazy_with_source(
        config: CognitoConfig,
        source: impl JwksSource,
    ) -> Result<Self, StartError> {
        let mut source = Some(source);
        Self::lazy_with_sources(config, |_| source.take())
    }

    /// Like [`lazy`](Self::lazy), with each pool's key set fetched from the source `sources`
    /// gives for that pool's own configuration.
    ///
    /// # Errors
    /// [`StartError::NoRuntime`] outside a tokio runtime; [`StartError::SourcePerPool`] when
    /// `sources` gives `None` for a pool.
    pub fn lazy_with_sources<S: JwksSource>(
        config: CognitoConfig,
        mut sources: impl FnMut(&CognitoConfig) -> Option<S>,
    ) -> Result<Self, StartError> {
        let runtime = tokio::runtime::Handle::try_current().map_err(|_| StartError::NoRuntime)?;
        let pools = config.pool_count();
        let mut built = Vec::with_capacity(pools);
        for pool in config.pools() {
            let source = sources(&pool).ok_or(StartError::SourcePerPool { pools })?;
            built.push((pool, source));
        }
        let issuers: Vec<Arc<IssuerKeys>> = built
            .iter()
            .map(|_| Arc::new(IssuerKeys::new(KeySet::empty(), true)))
            .collect();
        // With several pools, each refresher rebuilds the `kid` index after its swaps.
        let index = kid_index(&issuers);
        let pools = built
            .into_iter()
            .zip(issuers)
            .map(|((pool, source), issuer)| {
                let task = runtime.spawn(refresh::run(
                    Arc::clone(&issuer),
                    source,
                    Schedule::from_config(&pool),
                    index.clone(),
                ));
                let refresher = RefresherHandle::new(task.abort_handle(), Arc::clone(&issuer));
                Pool::new(&pool, issuer, Some(refresher))
            });
        Self::from_pools(&config, pools.collect(), index)
    }

    /// Builds the layer over a fixed key set: nothing is fetched, ever (pinned keys, or tests).
    ///
    /// # Errors
    /// [`StartError::EmptyKeySet`] when `keys` has no key; [`StartError::SourcePerPool`] for a
    /// configuration of several pools ([`with_key_sets`](Self::with_key_sets)).
    pub fn with_key_set(config: CognitoConfig, keys: KeySet) -> Result<Self, StartError> {
        let mut keys = Some(keys);
        Self::with_key_sets(config, |_| keys.take())
    }

    /// Builds the layer over a fixed key set per pool, the one `keys` gives for each pool's own
    /// configuration.
    ///
    /// # Errors
    /// [`StartError::EmptyKeySet`] when a set has no key; [`StartError::SourcePerPool`] when
    /// `keys` gives `None` for a pool.
    pub fn with_key_sets(
        config: CognitoConfig,
        mut keys: impl FnMut(&CognitoConfig) -> Option<KeySet>,
    ) -> Result<Self, StartError> {
        let count = config.pool_count();
        let mut pools = Vec::with_capacity(count);
        let mut issuers = Vec::with_capacity(count);
        for pool in config.pools() {
            let set = keys(&pool).ok_or(StartError::SourcePerPool { pools: count })?;
            if set.is_empty() {
                return Err(StartError::EmptyKeySet);
            }
            let issuer = Arc::new(IssuerKeys::new(set, false));
            issuers.push(Arc::clone(&issuer));
            pools.push(Pool::new(&pool, issuer, None));
        }
        // Static sets are never swapped: indexed once, here.
        let index = kid_index(&issuers);
        Self::from_pools(&config, pools, index)
    }

    fn from_pools(
        config: &CognitoConfig,
        pools: Vec<Pool>,
        index: Option<Arc<KidIndex>>,
    ) -> Result<Self, StartError> {
        let auth =
            Authenticator::new(pools, index).ok_or(StartError::SourcePerPool { pools: 0 })?;
        Ok(Self {
            auth: Arc::new(auth),
            policy: Policy::default(),
            reject: Rfc6750::checked(&config.layer.realm),
            checks: PhantomData,
        })
    }
}

/// The `kid` index of several pools' key stores (`None` for one pool: nothing to choose).
fn kid_index(issuers: &[Arc<IssuerKeys>]) -> Option<Arc<KidIndex>> {
    (issuers.len() > 1).then(|| Arc::new(KidIndex::new(issuers.iter().cloned().collect())))
}

impl<E, R> CognitoAuthLayer<E, R, Unchecked> {
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
    /// Choose the claims type before any [`check`](Self::check): a check reads the claims type
    /// it was written for, so `extra_claims` is only there on an [`Unchecked`] layer, and a
    /// check added before it cannot be dropped by it (this does not compile):
    ///
    /// ```compile_fail,E0599
    /// use tower_cognito::{AcceptTokenUse, CognitoAuthLayer, CognitoConfig, KeySet};
    ///
    /// # fn layer(keys: KeySet) -> Result<(), Box<dyn std::error::Error>> {
    /// let config = CognitoConfig::builder("us-east-1_AbC123xyz")
    ///     .client_id("4r1ktl3f2lrrvc1e5e0hdh1gjo")
    ///     .token_use(AcceptTokenUse::Access)
    ///     .build()?;
    /// let layer = CognitoAuthLayer::with_key_set(config, keys)?
    ///     .check(|_claims| Ok(()))
    ///     .extra_claims::<serde_json::Value>(); // no `extra_claims` on a `Checked` layer
    /// # Ok(()) }
    /// ```
    ///
    /// while the other order does, and the check reads `CognitoClaims<F>`:
    ///
    /// ```
    /// use tower_cognito::{AcceptTokenUse, CognitoAuthLayer, CognitoConfig, Error, KeySet};
    ///
    /// # fn layer(keys: KeySet) -> Result<(), Box<dyn std::error::Error>> {
    /// # let config = CognitoConfig::builder("us-east-1_AbC123xyz")
    /// #     .client_id("4r1ktl3f2lrrvc1e5e0hdh1gjo")
    /// #     .token_use(AcceptTokenUse::Access)
    /// #     .build()?;
    /// let layer = CognitoAuthLayer::with_key_set(config, keys)?
    ///     .extra_claims::<serde_json::Value>()
    ///     .check(|claims| match claims.extra.get("custom:tenant") {
    ///         Some(tenant) if tenant == "acme" => Ok(()),
    ///         _ => Err(Error::forbidden("wrong tenant")),
    ///     });
    /// # let _ = layer; Ok(()) }
    /// ```
    ///
    /// [`optional`](CognitoAuthLayer::optional) and [`reject_with`](CognitoAuthLayer::reject_with)
    /// are kept.
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
    pub fn extra_claims<F>(self) -> CognitoAuthLayer<F, R, Unchecked>
    where
        F: DeserializeOwned + Send + Sync + 'static,
    {
        // An `Unchecked` layer has no check to carry over (only `check` adds one, and it makes
        // the layer `Checked`).
        CognitoAuthLayer {
            auth: Arc::new(self.auth.for_claims::<F>()),
            policy: Policy {
                check: None,
                optional: self.policy.optional,
            },
            reject: self.reject,
            checks: PhantomData,
        }
    }
}

impl<E, R, C> CognitoAuthLayer<E, R, C> {
    /// Adds the application's own check on the verified claims (tenant match, `auth_time`
    /// freshness, a custom attribute): it runs after the signature and every Cognito rule
    /// passed, on verified-token cache hits too, and answers `Ok(())` to let the request through,
    /// or an [`Error::unauthorized`](crate::Error::unauthorized) (`401 invalid_token`) or
    /// [`Error::forbidden`](crate::Error::forbidden) (`403 insufficient_scope`) with a fixed
    /// description. A second call adds a second check (both must pass, in order).
    ///
    /// The check belongs to this layer value: clones made before it, which share the keys and
    /// the cache, do not run it (one check per route is one `clone().check(..)`). The layer is
    /// [`Checked`] from then on, so its claims type is fixed: call
    /// [`extra_claims`](Self::extra_claims) first (after a check it does not compile).
    ///
    /// ```
    /// # #[cfg(feature = "test-util")]
    /// # fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// use std::time::{SystemTime, UNIX_EPOCH};
    /// use tower_cognito::{AcceptTokenUse, CognitoAuthLayer, Error, ErrorKind};
    /// use tower_cognito::test_util::LocalIssuer;
    ///
    /// let issuer = LocalIssuer::new()?;
    /// let config = issuer.config().token_use(AcceptTokenUse::Access).build()?;
    /// let layer = CognitoAuthLayer::with_key_set(config, issuer.key_set())?
    ///     .check(|claims| match claims.custom_attribute("tenant") {
    ///         Some("acme") => Ok(()),
    ///         _ => Err(Error::forbidden("wrong tenant")),
    ///     })
    ///     .check(|claims| {
    ///         let now = SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs());
    ///         // A sign-in older than 12 hours must sign in again.
    ///         match claims.auth_time {
    ///             Some(at) if now.saturating_sub(at) <= 12 * 3600 => Ok(()),
    ///             _ => Err(Error::unauthorized("sign in again")),
    ///         }
    ///     });
    /// let acme = issuer.token().claim("custom:tenant", "acme").build();
    /// assert!(layer.verify(&acme).is_ok());
    /// let other = issuer.token().claim("custom:tenant", "umbrella").build();
    /// assert_eq!(layer.verify(&other).unwrap_err().kind(), ErrorKind::Forbidden { description: "wrong tenant" });
    /// # Ok(()) }
    /// # #[cfg(not(feature = "test-util"))]
    /// # fn main() {}
    /// ```
    pub fn check<F>(mut self, check: F) -> CognitoAuthLayer<E, R, Checked>
    where
        F: Fn(&crate::CognitoClaims<E>) -> Result<(), crate::Error> + Send + Sync + 'static,
        E: 'static,
    {
        self.policy.check = Some(match self.policy.check.take() {
            None => Arc::new(check),
            Some(first) => Arc::new(move |claims| {
                first(claims)?;
                check(claims)
            }),
        });
        CognitoAuthLayer {
            auth: self.auth,
            policy: self.policy,
            reject: self.reject,
            checks: PhantomData,
        }
    }

    /// Optional authentication: a request without credentials (no `Authorization` header, or
    /// one of another scheme such as `Basic`, and no token cookie) passes through without claims
    /// (handlers take `Option<Claims>`), while a request with a bad token still gets `401` and a
    /// malformed one `400` (`Bearer` glued to its token, `Bearer<token>`, included: it is no
    /// other scheme). Like [`check`](Self::check), it belongs to this layer value.
    ///
    /// Such a request is marked anonymous: a guard behind the layer ([`guard`](Self::guard),
    /// [`GuardLayer`](crate::GuardLayer)) and the axum extractors [`Claims`] and `Authorized`
    /// answer it `401` with the bare challenge
    /// (`WWW-Authenticate: Bearer realm="..."`; gRPC: `grpc-status` 16), at debug level, never
    /// the `500` (and error log) of a route without a layer.
    pub fn optional(mut self) -> Self {
        self.policy.optional = true;
        self
    }

    /// Answers rejected requests with `reject` instead of the RFC 6750 default ([`Rfc6750`]): a
    /// [`Reject`](crate::Reject) implementation or a closure `Fn(&Error, &http::request::Parts) -> Response<B>`.
    /// The [`Error`](crate::Error) is put into the response's extensions whatever it answers.
    pub fn reject_with<R2>(self, reject: R2) -> CognitoAuthLayer<E, R2, C> {
        CognitoAuthLayer {
            auth: self.auth,
            policy: self.policy,
            reject,
            checks: PhantomData,
        }
    }

    /// The rejection this layer answers with.
    pub(crate) fn rejection(&self) -> &R {
        &self.reject
    }

    /// The configuration (of the first pool, with the layer's settings; every pool's is in
    /// [`CognitoConfig::pools`] of the configuration the layer was built with).
    pub fn config(&self) -> &CognitoConfig {
        self.auth.config()
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
        self.auth.verify_token(token, &self.policy).map(Claims)
    }

    /// The verifier the layer runs for its first pool (pure: no clock, key set nor cache of its
    /// own; for those, use [`verify`](Self::verify)).
    pub fn verifier(&self) -> &Verifier {
        self.auth.first().verifier()
    }

    /// The first pool's current key set (empty until its first fetch succeeds); every pool's is
    /// [`key_sets`](Self::key_sets).
    pub fn key_set(&self) -> Arc<KeySet> {
        self.auth.first().issuer().keys.load_full()
    }

    /// Each pool's user pool id and current key set, the first pool first.
    pub fn key_sets(&self) -> Vec<(String, Arc<KeySet>)> {
        self.auth
            .pools()
            .map(|pool| {
                let id = pool.verifier().config().user_pool_id().to_owned();
                (id, pool.issuer().keys.load_full())
            })
            .collect()
    }

    /// Counters of the first pool's key refresher; every pool's is
    /// [`pool_refresh_stats`](Self::pool_refresh_stats).
    pub fn refresh_stats(&self) -> RefreshStats {
        self.auth.first().issuer().stats()
    }

    /// Each pool's user pool id and refresher counters, the first pool first.
    pub fn pool_refresh_stats(&self) -> Vec<(String, RefreshStats)> {
        self.auth
            .pools()
            .map(|pool| {
                let id = pool.verifier().config().user_pool_id().to_owned();
                (id, pool.issuer().stats())
            })
            .collect()
    }

    /// Whether the layer can verify tokens now: see [`Readiness`] (with several pools, the worst
    /// of each: the fewest keys, the oldest refresh, stale or stopped if any is). Cheap (a few
    /// atomic loads and one clock read): serve it from a readiness probe.
    pub fn readiness(&self) -> Readiness {
        self.auth.readiness()
    }
}

impl<E, R, C> CognitoAuthLayer<E, R, C> {
    /// A snapshot of the layer's counters and gauges: verifications by outcome, cache hits and
    /// misses, per pool the JWKS fetches by outcome, the key-set age and the unknown-`kid`
    /// refetches, and the deny-list's size and sync lag. Cheap (atomic loads and one clock read);
    /// see [`Metrics::record`] to export it.
    pub fn metrics(&self) -> Metrics {
        let auth = &self.auth;
        let config = auth.config();
        let now = config.layer.clock.now();
        let pools = auth
            .pools()
            .map(|pool| {
                let issuer = pool.issuer();
                let stats = issuer.stats();
                PoolMetrics {
                    pool: pool.verifier().config().pool.user_pool_id.clone(),
                    keys: issuer.keys.load().len(),
                    key_set_age: issuer
                        .last_success()
                        .map(|at| Duration::from_secs(now.saturating_sub(at))),
                    fetches: stats.fetches,
                    fetch_successes: stats.swaps,
                    fetch_failures: stats.failures,
                    key_changes: stats.changes,
                    unknown_kid_refetches: stats.unknown_kid_refetches,
                }
            })
            .collect();
        let deny_list = config.layer.deny_list.as_ref().map(|list| {
            let status = list.sync_status();
            DenyListMetrics {
                entries: list.set().len(),
                shared: status.shared,
                sync_lag: list.set().lag(now).map(Duration::from_secs),
                resyncs: status.resyncs,
                sync_failures: status.failures,
                skipped_entries: status.skipped_entries,
            }
        });
        auth.counters().snapshot(pools, deny_list)
    }
}
impl<S, E, R: Clone, C> Layer<S> for CognitoAuthLayer<E, R, C> {
    type Service = CognitoAuth<S, E, R>;

    fn layer(&self, inner: S) -> Self::Service {
        CognitoAuth::new(
            inner,
            Arc::clone(&self.auth),
            self.policy.clone(),
            self.reject.clone(),
        )
    }
}
