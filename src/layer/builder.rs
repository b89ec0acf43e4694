//! [`LayerBuilder`]: the one way to make a [`CognitoAuthLayer`]. The claims type, the checks, the
//! rejection and the deny-list of the layer, where each pool's keys come from, then
//! [`build`](LayerBuilder::build) (nothing awaited) or [`start`](LayerBuilder::start) (waits for
//! every pool's first key set).

use std::fmt;
use std::future::Future;
use std::marker::PhantomData;
use std::pin::Pin;
use std::sync::Arc;

use serde::de::DeserializeOwned;

use super::{Checked, CognitoAuthLayer, Unchecked};
use crate::auth::{Authenticator, Policy, Pool};
use crate::claims::CognitoClaims;
use crate::config::CognitoConfig;
use crate::deny::DenyList;
use crate::error::Error;
use crate::keys::KeySet;
use crate::keystore::IssuerKeys;
use crate::kid_index::KidIndex;
use crate::refresh::{self, RefresherHandle, Schedule};
use crate::rejection::Rfc6750;
use crate::source::JwksSource;
use crate::source::StartError;

/// Builder of a [`CognitoAuthLayer`]: [`CognitoAuthLayer::builder`].
///
/// From a [`CognitoConfig`] (plain data: the pools and the layer's settings), it sets what the
/// layer adds to it:
///
/// - the application's claims type, [`extra_claims`](Self::extra_claims) (first: before any
///   check), its checks ([`check`](Self::check)), [`optional`](Self::optional) authentication and
///   the rejection ([`reject_with`](Self::reject_with));
/// - the [`deny_list`](Self::deny_list) of revoked sessions;
/// - where each pool's key set comes from: by default its JWKS URL over HTTPS
///   ([`ReqwestJwks`](crate::jwks::ReqwestJwks), feature `reqwest`); or a [`JwksSource`] of yours
///   ([`jwks_source`](Self::jwks_source), [`jwks_sources`](Self::jwks_sources) for several
///   pools); or a fixed key set, never fetched ([`static_keys`](Self::static_keys),
///   [`static_key_sets`](Self::static_key_sets)). The last of these calls decides.
///
/// Then [`start`](Self::start) waits, at most the configured
/// [`startup_timeout`](crate::CognitoConfigBuilder::startup_timeout), for every pool's first key
/// set; [`build`](Self::build) waits for nothing: fixed key sets are ready at once, fetched ones
/// are fetched in the background and requests are answered `503` (with `Retry-After`) until they
/// arrive.
///
/// `E`, `R` and `C` are those of the layer it builds: the claims type, the rejection, and whether
/// checks were added ([`Unchecked`], [`Checked`]). A check reads the claims type it was written
/// for, so `extra_claims` is only there before the first `check`:
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
///     .check(|_claims| Ok(()))
///     .extra_claims::<serde_json::Value>() // no `extra_claims` after a check
///     .build()?;
/// # Ok(()) }
/// ```
///
/// ```
/// use tower_cognito::{CognitoAuthLayer, CognitoConfig, Error, TokenUse, deny::DenyList};
///
/// # #[cfg(all(feature = "axum", feature = "reqwest"))] // Default features.
/// # async fn run() -> Result<(), Box<dyn std::error::Error>> {
/// #[derive(serde::Deserialize)]
/// struct Tenant {
///     #[serde(rename = "custom:tenant")]
///     tenant: String,
/// }
///
/// let config = CognitoConfig::builder("us-east-1_AbC123xyz")
///     .client_id("4r1ktl3f2lrrvc1e5e0hdh1gjo")
///     .token_use(TokenUse::Access)
///     .build()?;
/// let deny = DenyList::new();
/// let auth = CognitoAuthLayer::builder(config)
///     .extra_claims::<Tenant>()
///     .check(|claims| match claims.extra.tenant.as_str() {
///         "acme" => Ok(()),
///         _ => Err(Error::forbidden("wrong tenant")),
///     })
///     .deny_list(deny.clone())
///     // Waits (at most `startup_timeout`) for the first key set.
///     .start()
///     .await?;
/// let app: axum::Router = axum::Router::new()
///     .route("/me", axum::routing::get(|| async { "me" }))
///     .layer(auth);
/// # let _ = app; Ok(()) }
/// ```
#[must_use = "a builder does nothing until `build` or `start`"]
pub struct LayerBuilder<E = (), R = Rfc6750, C = Unchecked> {
    config: CognitoConfig,
    keys: Keys,
    deny_list: Option<DenyList>,
    policy: Policy<E>,
    reject: R,
    checks: PhantomData<fn() -> C>,
}

/// Where each pool's key set comes from, one entry per pool of the configuration, in order
/// (`None`: nothing was given for that pool).
enum Keys {
    /// Each pool's JWKS URL over HTTPS ([`ReqwestJwks`](crate::jwks::ReqwestJwks)), made when built.
    Https,
    /// Fetched by a refresher from a source of the application's.
    Fetched(Vec<Option<Refresher>>),
    /// A fixed key set, never fetched.
    Static(Vec<Option<KeySet>>),
}

/// One pool's refresher loop over its source, made once its key store, schedule and the layer's
/// `kid` index exist: the source's type erased, so that it is no parameter of the builder.
type Refresher = Box<
    dyn FnOnce(
            Arc<IssuerKeys>,
            Schedule,
            Option<Arc<KidIndex>>,
        ) -> Pin<Box<dyn Future<Output = ()> + Send>>
        + Send,
>;

fn refresher<S: JwksSource>(source: S) -> Refresher {
    Box::new(move |keys, schedule, index| Box::pin(refresh::run(keys, source, schedule, index)))
}

impl<E, R, C> fmt::Debug for LayerBuilder<E, R, C> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let keys = match &self.keys {
            Keys::Https => "https",
            Keys::Fetched(_) => "jwks source",
            Keys::Static(_) => "static",
        };
        f.debug_struct("LayerBuilder")
            .field("config", &self.config)
            .field("keys", &keys)
            .field("deny_list", &self.deny_list)
            .field("policy", &self.policy)
            .field("extra_claims", &std::any::type_name::<E>())
            .field("reject", &std::any::type_name::<R>())
            .finish()
    }
}

impl LayerBuilder {
    /// A builder of a layer for `config`, with the defaults: claims `()`, no check, no
    /// deny-list, [`Rfc6750`] answers in the configured realm, keys over HTTPS.
    pub(super) fn new(config: CognitoConfig) -> Self {
        Self {
            reject: Rfc6750::checked(&config.layer.realm),
            config,
            keys: Keys::Https,
            deny_list: None,
            policy: Policy::default(),
            checks: PhantomData,
        }
    }
}

impl<E, R> LayerBuilder<E, R, Unchecked> {
    /// Fills the application's own claims type `F` from the same parse of each verified payload:
    /// handlers then read [`Claims<F>`](crate::Claims), which derefs to
    /// [`CognitoClaims<F>`] (the Cognito claims, typed, plus
    /// [`extra`](CognitoClaims::extra): `F`). As [`CognitoAuthLayer::extra_claims`] does on a
    /// built layer, except that the layer is made for `F` (its verified-token cache holds `F`).
    ///
    /// Choose it before any [`check`](Self::check): it is not there after one (the check reads
    /// the claims type it was written for), so a check is never dropped.
    pub fn extra_claims<F>(self) -> LayerBuilder<F, R, Unchecked>
    where
        F: DeserializeOwned + Send + Sync + 'static,
    {
        // An `Unchecked` builder has no check to carry over (only `check` adds one, and it
        // makes the builder `Checked`).
        LayerBuilder {
            config: self.config,
            keys: self.keys,
            deny_list: self.deny_list,
            policy: Policy {
                check: None,
                optional: self.policy.optional,
            },
            reject: self.reject,
            checks: PhantomData,
        }
    }
}

impl<E, R, C> LayerBuilder<E, R, C> {
    /// Adds the application's own check on the verified claims, as
    /// [`CognitoAuthLayer::check`] does on a built layer (the same rules: it runs after every
    /// Cognito rule, on cache hits too; a second call adds a second check). The claims type is
    /// fixed from then on.
    pub fn check<F>(self, check: F) -> LayerBuilder<E, R, Checked>
    where
        F: Fn(&CognitoClaims<E>) -> Result<(), Error> + Send + Sync + 'static,
        E: 'static,
    {
        LayerBuilder {
            config: self.config,
            keys: self.keys,
            deny_list: self.deny_list,
            policy: self.policy.and_check(check),
            reject: self.reject,
            checks: PhantomData,
        }
    }

    /// Optional authentication: a request without credentials passes without claims. See
    /// [`CognitoAuthLayer::optional`].
    pub fn optional(mut self) -> Self {
        self.policy.optional = true;
        self
    }

    /// Answers rejected requests with `reject` instead of [`Rfc6750`]. See
    /// [`CognitoAuthLayer::reject_with`].
    pub fn reject_with<R2>(self, reject: R2) -> LayerBuilder<E, R2, C> {
        LayerBuilder {
            config: self.config,
            keys: self.keys,
            deny_list: self.deny_list,
            policy: self.policy,
            reject,
            checks: PhantomData,
        }
    }

    /// Refuses tokens whose `origin_jti` or `jti` is on `list` (`401 invalid_token`,
    /// [`ErrorKind::Revoked`](crate::ErrorKind::Revoked)), checked after every verification and
    /// on every cache hit, for the tokens of every pool of the layer. Give every layer of the
    /// process (and, shared through Redis, of every replica) the same list. See [`DenyList`].
    pub fn deny_list(mut self, list: DenyList) -> Self {
        self.deny_list = Some(list);
        self
    }

    /// Fetches the key set from `source` (your own HTTP client, a file, a secret store, an
    /// in-memory source in tests) instead of over HTTPS. For a configuration of one pool; with
    /// several, building fails with [`StartError::SourcePerPool`]: give each pool its source with
    /// [`jwks_sources`](Self::jwks_sources).
    pub fn jwks_source(self, source: impl JwksSource) -> Self {
        let mut source = Some(source);
        self.jwks_sources(|_| source.take())
    }

    /// Fetches each pool's key set from the source `sources` gives for that pool's own
    /// configuration ([`CognitoConfig::pools`]), called once per pool, the first pool first.
    /// Building fails with [`StartError::SourcePerPool`] when it gives `None` for a pool.
    pub fn jwks_sources<S: JwksSource>(
        mut self,
        sources: impl FnMut(&CognitoConfig) -> Option<S>,
    ) -> Self {
        let mut sources = sources;
        let refreshers = self
            .config
            .pools()
            .map(|pool| sources(&pool).map(refresher));
        self.keys = Keys::Fetched(refreshers.collect());
        self
    }

    /// Verifies with the fixed key set `keys`: nothing is fetched, ever (pinned keys, or tests).
    /// For a configuration of one pool; with several, building fails with
    /// [`StartError::SourcePerPool`] ([`static_key_sets`](Self::static_key_sets)). Building
    /// fails with [`StartError::EmptyKeySet`] when `keys` has no key.
    pub fn static_keys(self, keys: KeySet) -> Self {
        let mut keys = Some(keys);
        self.static_key_sets(|_| keys.take())
    }

    /// Verifies each pool's tokens with the fixed key set `keys` gives for that pool's own
    /// configuration, called once per pool, the first pool first. Building fails with
    /// [`StartError::SourcePerPool`] when it gives `None` for a pool, with
    /// [`StartError::EmptyKeySet`] when a set has no key.
    pub fn static_key_sets(
        mut self,
        mut keys: impl FnMut(&CognitoConfig) -> Option<KeySet>,
    ) -> Self {
        self.keys = Keys::Static(self.config.pools().map(|pool| keys(&pool)).collect());
        self
    }

    /// Builds the layer without waiting for keys. Fixed key sets verify at once; fetched ones
    /// are fetched by a background task per pool, and until a pool's first key set arrives its
    /// requests are answered `503` (with `Retry-After`; see
    /// [`status`](CognitoAuthLayer::status)).
    ///
    /// # Errors
    /// [`StartError::SourcePerPool`] when a pool has no source or key set,
    /// [`StartError::EmptyKeySet`] when a fixed set has no key; for fetched keys,
    /// [`StartError::NoRuntime`] outside a tokio runtime, [`StartError::HttpClient`] when the
    /// HTTP client cannot be built, and [`StartError::NoKeySource`] without the `reqwest`
    /// feature and no source given.
    pub fn build(self) -> Result<CognitoAuthLayer<E, R, C>, StartError> {
        let Self {
            config,
            keys,
            deny_list,
            policy,
            reject,
            checks: _,
        } = self;
        let (pools, index) = match keys {
            Keys::Static(sets) => static_pools(&config, sets)?,
            Keys::Fetched(refreshers) => fetched_pools(&config, refreshers)?,
            Keys::Https => fetched_pools(&config, https(&config)?)?,
        };
        let auth = Authenticator::new(config, deny_list, pools, index)
            .ok_or(StartError::SourcePerPool { pools: 0 })?;
        Ok(CognitoAuthLayer {
            auth: Arc::new(auth),
            policy,
            reject,
            checks: PhantomData,
        })
    }

    /// Builds the layer and waits, at most the configured
    /// [`startup_timeout`](crate::CognitoConfigBuilder::startup_timeout), for every pool's first
    /// key set (fixed key sets are there at once).
    ///
    /// # Errors
    /// As [`build`](Self::build); [`StartError::NoKeys`] when a pool had no usable key set in
    /// time (the layer and its refreshers are dropped), naming the first such pool, with its
    /// last fetch error as the source.
    pub async fn start(self) -> Result<CognitoAuthLayer<E, R, C>, StartError> {
        let timeout = self.config.layer.startup_timeout;
        let fetched = !matches!(self.keys, Keys::Static(_));
        let layer = self.build()?;
        if !fetched {
            return Ok(layer);
        }
        let auth = &layer.auth;
        let wait = async {
            for pool in auth.pools() {
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
            .or_else(|| auth.pools().find(|p| p.issuer().keys.load().is_empty()))
            .unwrap_or(auth.first());
        Err(StartError::NoKeys {
            timeout,
            user_pool_id: pool.verifier().user_pool_id().to_owned(),
            last_error: pool.issuer().last_error(),
        })
    }
}

/// Each pool's HTTPS source: its JWKS URL with a client of its own.
#[cfg(feature = "reqwest")]
fn https(config: &CognitoConfig) -> Result<Vec<Option<Refresher>>, StartError> {
    config
        .pools()
        .map(|pool| Ok(Some(refresher(crate::source::ReqwestJwks::new(&pool)?))))
        .collect()
}

/// Without the `reqwest` feature there is no HTTPS source: the application gives its own.
#[cfg(not(feature = "reqwest"))]
fn https(_: &CognitoConfig) -> Result<Vec<Option<Refresher>>, StartError> {
    Err(StartError::NoKeySource)
}

/// The pools of fixed key sets, and their `kid` index.
fn static_pools(
    config: &CognitoConfig,
    sets: Vec<Option<KeySet>>,
) -> Result<(Vec<Pool>, Option<Arc<KidIndex>>), StartError> {
    let count = config.pool_count();
    let mut pools = Vec::with_capacity(count);
    let mut issuers = Vec::with_capacity(count);
    for (pool, set) in config.pools().zip(sets) {
        let set = set.ok_or(StartError::SourcePerPool { pools: count })?;
        if set.is_empty() {
            return Err(StartError::EmptyKeySet);
        }
        let issuer = Arc::new(IssuerKeys::new(set, false));
        issuers.push(Arc::clone(&issuer));
        pools.push(Pool::new(&pool, issuer, None));
    }
    // Static sets are never swapped: indexed once, here.
    Ok((pools, kid_index(&issuers)))
}

/// The pools of fetched key sets, each with its refresher task started (empty until its first
/// fetch), and their `kid` index.
fn fetched_pools(
    config: &CognitoConfig,
    refreshers: Vec<Option<Refresher>>,
) -> Result<(Vec<Pool>, Option<Arc<KidIndex>>), StartError> {
    let runtime = tokio::runtime::Handle::try_current().map_err(|_| StartError::NoRuntime)?;
    let count = config.pool_count();
    let refreshers = refreshers
        .into_iter()
        .map(|r| r.ok_or(StartError::SourcePerPool { pools: count }))
        .collect::<Result<Vec<_>, _>>()?;
    let issuers: Vec<Arc<IssuerKeys>> = refreshers
        .iter()
        .map(|_| Arc::new(IssuerKeys::new(KeySet::empty(), true)))
        .collect();
    // With several pools, each refresher rebuilds the `kid` index after its swaps.
    let index = kid_index(&issuers);
    let pools = config
        .pools()
        .zip(refreshers)
        .zip(issuers)
        .map(|((pool, run), issuer)| {
            let task = runtime.spawn(run(
                Arc::clone(&issuer),
                Schedule::from_config(&pool),
                index.clone(),
            ));
            let refresher = RefresherHandle::new(task.abort_handle(), Arc::clone(&issuer));
            Pool::new(&pool, issuer, Some(refresher))
        })
        .collect();
    Ok((pools, index))
}

/// The `kid` index of several pools' key stores (`None` for one pool: nothing to choose).
fn kid_index(issuers: &[Arc<IssuerKeys>]) -> Option<Arc<KidIndex>> {
    (issuers.len() > 1).then(|| Arc::new(KidIndex::new(issuers.iter().cloned().collect())))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::claims::TokenUse;

    fn config() -> CognitoConfig {
        CognitoConfig::builder("us-east-1_AbC123")
            .client_id("client1")
            .token_use(TokenUse::Access)
            .build()
            .unwrap()
    }

    /// Without `reqwest` there is no default source: building without one says so (inside a
    /// runtime too), instead of a layer that would never get keys.
    #[cfg(not(feature = "reqwest"))]
    #[tokio::test]
    async fn without_reqwest_a_source_must_be_given() {
        let built = CognitoAuthLayer::builder(config()).build();
        assert!(matches!(built, Err(StartError::NoKeySource)), "{built:?}");
        let started = CognitoAuthLayer::builder(config()).start().await;
        assert!(
            matches!(started, Err(StartError::NoKeySource)),
            "{started:?}"
        );
    }

    /// The builder's `Debug` names the key source and the claims type, never a key.
    #[test]
    fn debug_names_the_key_source() {
        let builder = CognitoAuthLayer::builder(config());
        assert!(format!("{builder:?}").contains(r#"keys: "https""#));
        let builder = builder
            .extra_claims::<serde_json::Value>()
            .static_keys(KeySet::empty());
        let text = format!("{builder:?}");
        assert!(text.contains(r#"keys: "static""#), "{text}");
        assert!(text.contains("serde_json::value::Value"), "{text}");
    }
}
