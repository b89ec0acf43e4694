//! [`CognitoAuthLayer`]: the tower layer, every method of it, and its [`LayerBuilder`]
//! (`layer/builder.rs`).

use std::fmt;
use std::marker::PhantomData;
use std::sync::Arc;

use serde::de::DeserializeOwned;
use tower_layer::{Layer, Stack};

use crate::auth::{Authenticator, Policy};
use crate::clock::Clock as _;
use crate::config::CognitoConfig;
use crate::extract::Claims;
use crate::guard::{GuardLayer, Require};
use crate::keys::KeySet;
use crate::ready::ReadinessService;
use crate::rejection::Rfc6750;
use crate::service::CognitoAuth;
use crate::snapshot::{PoolStatus, Status};
use crate::verifier::Verifier;

mod builder;

pub use self::builder::LayerBuilder;

/// A tower layer that verifies the Cognito bearer token of every request.
///
/// On success the verified [`Claims`] go into the request extensions and the inner service is
/// called; otherwise the layer answers itself (`400`, `401` or `503`, with an RFC 6750
/// `WWW-Authenticate` challenge) and attaches the [`Error`](crate::Error) to the response extensions.
///
/// Made with [`CognitoAuthLayer::builder`]. The pool's key set is fetched by a background task
/// that the layer owns (unless it was given fixed keys): every
/// [`refresh_interval`](crate::CognitoConfigBuilder::refresh_interval), at once (single-flight, at
/// most once per cooldown) when a token names an unknown `kid`, and with backoff after a failure,
/// always keeping the last good set. The task ends when the last clone of the layer and of its
/// services is dropped. The request path never awaits, never locks and never fetches.
///
/// `E` is the application's own claims type, filled from the same parse of the verified payload
/// into [`CognitoClaims<E>`](crate::CognitoClaims) (see [`extra_claims`](Self::extra_claims));
/// `()` by default. `R` answers rejected requests ([`reject_with`](Self::reject_with)). `C`
/// records whether checks of yours were added: [`Unchecked`] until [`check`](Self::check), then
/// [`Checked`], on the [`LayerBuilder`] and the layer alike. A check reads the claims type it was
/// written for, so only an `Unchecked` layer (or builder) can still change it:
/// `layer.check(f).extra_claims::<T>()` does not compile, and no check can vanish.
///
/// Everything is set on the builder; the built layer keeps [`extra_claims`](Self::extra_claims),
/// [`check`](Self::check), [`optional`](Self::optional) and [`reject_with`](Self::reject_with)
/// for per-route variants of one layer: a clone changed by them shares the keys, the refreshers,
/// the deny-list and the counters (and, for the same claims type, the verified-token cache).
///
/// ```
/// use tower_cognito::{CognitoAuthLayer, CognitoConfig, TokenUse};
///
/// # #[cfg(all(feature = "axum", feature = "reqwest"))] // Default features.
/// # async fn run() -> Result<(), Box<dyn std::error::Error>> {
/// let config = CognitoConfig::builder("us-east-1_AbC123xyz")
///     .client_id("4r1ktl3f2lrrvc1e5e0hdh1gjo")
///     .token_use(TokenUse::Access)
///     .build()?;
/// // Waits (at most `startup_timeout`) for the first key set.
/// let auth = CognitoAuthLayer::builder(config).start().await?;
/// let app: axum::Router = axum::Router::new()
///     .route("/me", axum::routing::get(|claims: tower_cognito::Claims| async move { claims.sub.clone() }))
///     .layer(auth);
/// # let _ = app; Ok(()) }
/// ```
#[must_use = "a layer does nothing until it wraps a service"]
pub struct CognitoAuthLayer<E = (), R = Rfc6750, C = Unchecked> {
    auth: Arc<Authenticator<E>>,
    policy: Policy<E>,
    reject: R,
    checks: PhantomData<fn() -> C>,
}

/// The [`CognitoAuthLayer`] (and [`LayerBuilder`]) state without checks of yours (where the
/// builder starts): its claims type may still change
/// ([`extra_claims`](CognitoAuthLayer::extra_claims)).
#[derive(Debug, Clone, Copy)]
#[non_exhaustive]
pub struct Unchecked;

/// The [`CognitoAuthLayer`] (and [`LayerBuilder`]) state with at least one
/// [`check`](CognitoAuthLayer::check): its claims type is the one the checks read, for good.
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
    /// Starts a layer for `config`: the one way to make one. On the [`LayerBuilder`], the claims
    /// type, checks, rejection, deny-list and key sources (HTTPS by default), then
    /// [`start`](LayerBuilder::start) (waits for keys) or [`build`](LayerBuilder::build).
    ///
    /// ```
    /// # #[cfg(feature = "test-util")]
    /// # fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// use tower_cognito::{CognitoAuthLayer, TokenUse};
    /// use tower_cognito::test_util::LocalIssuer;
    ///
    /// let issuer = LocalIssuer::new()?;
    /// let config = issuer.config().token_use(TokenUse::Access).build()?;
    /// // Fixed keys: ready at once, nothing fetched.
    /// let layer = CognitoAuthLayer::builder(config).static_keys(issuer.key_set()).build()?;
    /// assert!(layer.verify(&issuer.access_token()).is_ok());
    /// # Ok(()) }
    /// # #[cfg(not(feature = "test-util"))]
    /// # fn main() {}
    /// ```
    pub fn builder(config: CognitoConfig) -> LayerBuilder {
        LayerBuilder::new(config)
    }
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
    /// (`401`, [`ErrorKind::CustomClaims`](crate::ErrorKind::CustomClaims)). On a built layer,
    /// the new layer gets a verified-token cache of its own for `F`; the key sets, refreshers,
    /// deny-list and counters are shared (set it on the builder,
    /// [`LayerBuilder::extra_claims`], when the layer only serves `F`).
    ///
    /// Choose the claims type before any [`check`](Self::check): a check reads the claims type
    /// it was written for, so `extra_claims` is only there on an [`Unchecked`] layer, and a
    /// check added before it cannot be dropped by it (this does not compile):
    ///
    /// ```compile_fail,E0599
    /// use tower_cognito::{CognitoAuthLayer, CognitoConfig, TokenUse, jwks::KeySet};
    ///
    /// # fn layer(keys: KeySet) -> Result<(), Box<dyn std::error::Error>> {
    /// let config = CognitoConfig::builder("us-east-1_AbC123xyz")
    ///     .client_id("4r1ktl3f2lrrvc1e5e0hdh1gjo")
    ///     .token_use(TokenUse::Access)
    ///     .build()?;
    /// let layer = CognitoAuthLayer::builder(config)
    ///     .static_keys(keys)
    ///     .build()?
    ///     .check(|_claims| Ok(()))
    ///     .extra_claims::<serde_json::Value>(); // no `extra_claims` on a `Checked` layer
    /// # Ok(()) }
    /// ```
    ///
    /// while the other order does, and the check reads `CognitoClaims<F>`:
    ///
    /// ```
    /// use tower_cognito::{CognitoAuthLayer, CognitoConfig, Error, TokenUse, jwks::KeySet};
    ///
    /// # fn layer(keys: KeySet) -> Result<(), Box<dyn std::error::Error>> {
    /// # let config = CognitoConfig::builder("us-east-1_AbC123xyz")
    /// #     .client_id("4r1ktl3f2lrrvc1e5e0hdh1gjo")
    /// #     .token_use(TokenUse::Access)
    /// #     .build()?;
    /// let layer = CognitoAuthLayer::builder(config)
    ///     .static_keys(keys)
    ///     .build()?
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
    /// use tower_cognito::{Claims, CognitoAuthLayer, TokenUse};
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
    /// let config = issuer.config().token_use(TokenUse::Access).build()?;
    /// // On the builder (a layer made for `Tenant`), or on a built layer (a variant of it).
    /// let layer = CognitoAuthLayer::builder(config)
    ///     .extra_claims::<Tenant>()
    ///     .static_keys(issuer.key_set())
    ///     .build()?;
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
    /// On a built layer, the check belongs to this layer value: clones made before it, which
    /// share the keys and the cache, do not run it (one check per route is one
    /// `clone().check(..)`); [`LayerBuilder::check`] adds it to the layer it builds. The layer is
    /// [`Checked`] from then on, so its claims type is fixed: call
    /// [`extra_claims`](Self::extra_claims) first (after a check it does not compile).
    ///
    /// ```
    /// # #[cfg(feature = "test-util")]
    /// # fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// use std::time::{SystemTime, UNIX_EPOCH};
    /// use tower_cognito::{CognitoAuthLayer, Error, ErrorKind, TokenUse};
    /// use tower_cognito::test_util::LocalIssuer;
    ///
    /// let issuer = LocalIssuer::new()?;
    /// let config = issuer.config().token_use(TokenUse::Access).build()?;
    /// let layer = CognitoAuthLayer::builder(config)
    ///     .static_keys(issuer.key_set())
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
    ///     })
    ///     .build()?;
    /// let acme = issuer.token().claim("custom:tenant", "acme").build();
    /// assert!(layer.verify(&acme).is_ok());
    /// let other = issuer.token().claim("custom:tenant", "umbrella").build();
    /// assert_eq!(layer.verify(&other).unwrap_err().kind(), ErrorKind::Forbidden { description: "wrong tenant" });
    /// # Ok(()) }
    /// # #[cfg(not(feature = "test-util"))]
    /// # fn main() {}
    /// ```
    pub fn check<F>(self, check: F) -> CognitoAuthLayer<E, R, Checked>
    where
        F: Fn(&crate::CognitoClaims<E>) -> Result<(), crate::Error> + Send + Sync + 'static,
        E: 'static,
    {
        CognitoAuthLayer {
            auth: self.auth,
            policy: self.policy.and_check(check),
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
    /// [`GuardLayer`]) and the axum extractors [`Claims`] and `Authorized`
    /// answer it `401` with the bare challenge
    /// (`WWW-Authenticate: Bearer realm="..."`; gRPC: `grpc-status` 16), at debug level, never
    /// the `500` (and error log) of a route without a layer.
    pub fn optional(mut self) -> Self {
        self.policy.optional = true;
        self
    }

    /// Answers rejected requests with `reject` instead of the RFC 6750 default ([`Rfc6750`]): a
    /// [`Reject`](crate::reject::Reject) implementation or a closure `Fn(&Error, &http::request::Parts) -> Response<B>`.
    /// The [`Error`](crate::Error) is put into the response's extensions whatever it answers.
    pub fn reject_with<R2>(self, reject: R2) -> CognitoAuthLayer<E, R2, C> {
        CognitoAuthLayer {
            auth: self.auth,
            policy: self.policy,
            reject,
            checks: PhantomData,
        }
    }

    /// The configuration the layer was built with: every pool's ([`CognitoConfig::pools`]), and
    /// the layer's settings.
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
    /// use tower_cognito::{CognitoAuthLayer, ErrorKind, TokenUse};
    /// use tower_cognito::test_util::LocalIssuer;
    ///
    /// let issuer = LocalIssuer::new()?;
    /// let config = issuer.config().token_use(TokenUse::Access).build()?;
    /// let layer = CognitoAuthLayer::builder(config).static_keys(issuer.key_set()).build()?;
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

    /// Each user pool of the layer, the first first: its current key set (empty until its first
    /// fetch succeeds) and its [`PoolStatus`] (the same as in [`status`](Self::status)).
    ///
    /// ```
    /// # #[cfg(feature = "test-util")]
    /// # fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// use tower_cognito::{CognitoAuthLayer, TokenUse};
    /// use tower_cognito::test_util::LocalIssuer;
    ///
    /// let issuer = LocalIssuer::new()?;
    /// let config = issuer.config().token_use(TokenUse::Access).build()?;
    /// let layer = CognitoAuthLayer::builder(config).static_keys(issuer.key_set()).build()?;
    /// let pools = layer.pools();
    /// assert_eq!(pools[0].id(), issuer.user_pool_id());
    /// assert_eq!(pools[0].key_set.len(), 1);
    /// assert!(pools[0].status.is_ready());
    /// # Ok(()) }
    /// # #[cfg(not(feature = "test-util"))]
    /// # fn main() {}
    /// ```
    pub fn pools(&self) -> Vec<Pool> {
        // Each pool's own figures only: no counters or deny-list read for a view of the pools.
        let now = self.auth.config().layer.clock.now();
        self.auth
            .pools()
            .map(|pool| Pool {
                key_set: pool.issuer().keys.load_full(),
                status: pool.status(now),
            })
            .collect()
    }

    /// A snapshot of the layer ([`Status`]): whether it is ready and why not, verifications by
    /// outcome, cache hits and misses, per pool the key set's size and age and the JWKS fetches
    /// by outcome, and the deny-list's size and sync state. Cheap (atomic loads, one clock read,
    /// a few small allocations): serve it from a readiness probe, or export it with
    /// [`Status::record`] (feature `metrics`).
    pub fn status(&self) -> Status {
        self.auth.status()
    }

    /// A [`ReadinessService`] for a health route (`GET /ready`): `200` when
    /// [`status`](Self::status) says ready, else `503` with the reason.
    pub fn readiness_service(&self) -> ReadinessService<E> {
        ReadinessService::new(Arc::clone(&self.auth))
    }

    /// A guard for `require` behind this layer: it reads this layer's
    /// [`Claims<E>`](crate::Claims) and answers with this layer's rejection ([`Rfc6750`] in this
    /// layer's realm unless [`reject_with`](CognitoAuthLayer::reject_with) chose another), its
    /// `403`s and, behind an [`optional`](CognitoAuthLayer::optional) layer, the `401` of a
    /// request without credentials. Stack it where the requirement applies, inside the layer: on
    /// one axum route
    /// (`get(handler).route_layer(auth.guard(..))`), on one tonic service
    /// (`auth.named_layer(guard.named_layer(service))`). See [`GuardLayer`].
    pub fn guard(&self, require: Require) -> GuardLayer<E, R>
    where
        R: Clone,
    {
        let layer = &self.auth.config().layer;
        let front = crate::guard::Front::new(
            Arc::clone(&layer.clock),
            layer.leeway,
            self.auth.shared_counters(),
        );
        GuardLayer::with_rejection(require, front, self.reject.clone())
    }

    /// This layer and a [`guard`](Self::guard) for `require` in one layer, authentication first:
    /// every request it covers must carry a valid token that meets `require`. For a whole app
    /// (`Router::layer`, `Server::builder().layer(..)`) or one tonic service (`named_layer`).
    ///
    /// ```
    /// # #[cfg(all(feature = "test-util", feature = "axum"))]
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// use axum::{Router, body::Body, routing::get};
    /// use http::{Request, header};
    /// use tower::ServiceExt;
    /// use tower_cognito::{CognitoAuthLayer, Require, TokenUse};
    /// # let issuer = tower_cognito::test_util::LocalIssuer::new()?;
    /// # let config = issuer.config().token_use(TokenUse::Access).build()?;
    ///
    /// let auth = CognitoAuthLayer::builder(config).static_keys(issuer.key_set()).build()?;
    /// let app = Router::new()
    ///     .route("/", get(|| async { "staff only" }))
    ///     .layer(auth.require(Require::groups_any(["staff"])?));
    ///
    /// let staff = issuer.token().claim("cognito:groups", serde_json::json!(["staff"])).build();
    /// let request = |token: &str| {
    ///     Request::get("/").header(header::AUTHORIZATION, format!("Bearer {token}")).body(Body::empty())
    /// };
    /// assert_eq!(app.clone().oneshot(request(&staff)?).await?.status(), 200);
    /// assert_eq!(app.clone().oneshot(request(&issuer.access_token())?).await?.status(), 403);
    /// assert_eq!(app.oneshot(Request::get("/").body(Body::empty())?).await?.status(), 401);
    /// # Ok(()) }
    /// # #[cfg(not(all(feature = "test-util", feature = "axum")))] fn main() {}
    /// ```
    pub fn require(&self, require: Require) -> Stack<GuardLayer<E, R>, Self>
    where
        R: Clone,
    {
        Stack::new(self.guard(require), self.clone())
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

/// One user pool of a layer: [`CognitoAuthLayer::pools`].
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct Pool {
    /// The pool's current key set (empty until its first fetch succeeds).
    pub key_set: Arc<KeySet>,
    /// The pool's keys, refresher and counters.
    pub status: PoolStatus,
}

impl Pool {
    /// The user pool id.
    pub fn id(&self) -> &str {
        &self.status.pool
    }
}
