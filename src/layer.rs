//! [`CognitoAuthLayer`]: the tower layer, its key set and its refresher.

use std::any::{Any, TypeId};
use std::fmt;
use std::marker::PhantomData;
use std::sync::Arc;
use std::time::Duration;

use http::{Extensions, HeaderMap};
use serde::de::DeserializeOwned;
use tokio::task::AbortHandle;
use tower_layer::Layer;

use crate::bearer::{bearer_candidate, check_token};
use crate::cache::TokenCache;
use crate::claims::CognitoClaims;
use crate::config::{Clock, CognitoConfig};
use crate::error::{ConfigError, Error, ErrorKind, StartError};
use crate::extract::Claims;
use crate::keys::KeySet;
use crate::refresh::{self, Fetcher, IssuerKeys, RefreshStats, Schedule};
use crate::rejection::Rejector;
use crate::service::CognitoAuth;
use crate::verifier::Verifier;

/// A tower layer that verifies the Cognito bearer token of every request.
///
/// On success the verified [`Claims`] go into the request extensions and the inner service is
/// called; otherwise the layer answers itself (`400`, `401` or `503`, with an RFC 6750
/// `WWW-Authenticate` challenge) and attaches the [`Error`] to the response extensions.
///
/// The pool's key set is fetched by a background task that the layer owns: every
/// [`refresh_interval`](crate::CognitoConfigBuilder::refresh_interval), at once (single-flight, at
/// most once per cooldown) when a token names an unknown `kid`, and with backoff after a failure,
/// always keeping the last good set. The task ends when the last clone of the layer and of its
/// services is dropped. The request path never awaits, never locks and never fetches.
///
/// `T` is an application claims type deserialized from the same verified payload (see
/// [`with_claims`](Self::with_claims)); by default only [`CognitoClaims`] are produced.
///
/// ```
/// use tower_cognito::{AcceptTokenUse, CognitoAuthLayer, CognitoConfig};
///
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
pub struct CognitoAuthLayer<T = CognitoClaims> {
    shared: Arc<Shared>,
    _claims: PhantomData<fn() -> T>,
}

impl<T> Clone for CognitoAuthLayer<T> {
    fn clone(&self) -> Self {
        Self {
            shared: Arc::clone(&self.shared),
            _claims: PhantomData,
        }
    }
}

impl<T> fmt::Debug for CognitoAuthLayer<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CognitoAuthLayer")
            .field("shared", &self.shared)
            .field("claims", &std::any::type_name::<T>())
            .finish()
    }
}

/// What every clone of the layer and of its services shares.
pub(crate) struct Shared {
    verifier: Verifier,
    issuer: Arc<IssuerKeys>,
    rejector: Rejector,
    cache: Option<TokenCache>,
    /// The maximum key age in seconds, when set and the keys are refreshed.
    max_key_age: Option<u64>,
    _refresher: Option<AbortOnDrop>,
}

impl fmt::Debug for Shared {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Shared")
            .field("verifier", &self.verifier)
            .field("issuer", &self.issuer)
            .field("cache", &self.cache)
            .field("refreshing", &self._refresher.is_some())
            .finish()
    }
}

/// Stops the refresher when the last clone of the layer goes (a deliberate end: not logged).
#[derive(Debug)]
struct AbortOnDrop(AbortHandle, Arc<IssuerKeys>);

impl Drop for AbortOnDrop {
    fn drop(&mut self) {
        self.1.stop();
        self.0.abort();
    }
}

impl CognitoAuthLayer {
    /// Builds the layer and waits, at most the configured
    /// [`startup_timeout`](crate::CognitoConfigBuilder::startup_timeout), for the first key set.
    ///
    /// # Errors
    /// [`StartError::NoKeys`] when no usable key set arrived in time (the refresher is stopped),
    /// [`StartError::Config`] when the HTTP client cannot be built.
    pub async fn new(config: CognitoConfig) -> Result<Self, StartError> {
        let timeout = config.startup_timeout;
        let layer = Self::lazy(config)?;
        let mut swaps = layer.shared.issuer.subscribe();
        let loaded = tokio::time::timeout(timeout, swaps.wait_for(|&n| n > 0)).await;
        match loaded {
            Ok(Ok(_)) => Ok(layer),
            _ => Err(StartError::NoKeys {
                timeout_ms: timeout.as_millis(),
                last_error: layer
                    .shared
                    .issuer
                    .last_error()
                    .unwrap_or_else(|| "no fetch completed".to_owned()),
            }),
        }
    }

    /// Builds the layer without waiting: requests are answered `503` (with `Retry-After`) until
    /// the first key set arrives. Must be called within a tokio runtime.
    ///
    /// # Errors
    /// [`ConfigError::NoRuntime`] outside a tokio runtime; [`ConfigError::HttpClient`] when the
    /// HTTP client cannot be built.
    pub fn lazy(config: CognitoConfig) -> Result<Self, ConfigError> {
        let runtime = tokio::runtime::Handle::try_current().map_err(|_| ConfigError::NoRuntime)?;
        let fetcher = Fetcher::new(&config)?;
        let issuer = Arc::new(IssuerKeys::new(KeySet::empty(), true));
        let task = runtime.spawn(refresh::run(
            Arc::clone(&issuer),
            fetcher,
            Schedule::from_config(&config),
        ));
        let refresher = AbortOnDrop(task.abort_handle(), Arc::clone(&issuer));
        Ok(Self::from_parts(&config, issuer, Some(refresher)))
    }

    /// Builds the layer over a fixed key set: nothing is fetched, ever (pinned keys, or tests).
    ///
    /// # Errors
    /// [`ConfigError::EmptyKeySet`] when `keys` has no key.
    pub fn with_key_set(config: CognitoConfig, keys: KeySet) -> Result<Self, ConfigError> {
        if keys.is_empty() {
            return Err(ConfigError::EmptyKeySet);
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
        refresher: Option<AbortOnDrop>,
    ) -> Self {
        let shared = Shared {
            verifier: Verifier::new(config),
            issuer,
            rejector: Rejector::new(&config.realm),
            cache: TokenCache::new(config.token_cache_size),
            // A static key set is never refreshed, so it never goes stale.
            max_key_age: refresher
                .as_ref()
                .and(config.max_key_age)
                .map(|age| age.as_secs()),
            _refresher: refresher,
        };
        Self {
            shared: Arc::new(shared),
            _claims: PhantomData,
        }
    }
}

impl<T> CognitoAuthLayer<T> {
    /// Also deserializes the application's own claims type `U` from the verified payload, and
    /// puts `Claims<U>` into the request extensions next to `Claims<CognitoClaims>`. A token whose
    /// payload does not deserialize into `U` is rejected (`401`, [`ErrorKind::CustomClaims`]).
    ///
    /// This costs a second JSON parse of the payload per request; `CognitoClaims` already carries
    /// every claim (unknown ones in [`other`](CognitoClaims::other)).
    pub fn with_claims<U>(self) -> CognitoAuthLayer<U>
    where
        U: DeserializeOwned + Send + Sync + 'static,
    {
        CognitoAuthLayer {
            shared: self.shared,
            _claims: PhantomData,
        }
    }

    /// The configuration.
    pub fn config(&self) -> &CognitoConfig {
        self.shared.verifier.config()
    }

    /// The verifier the layer runs.
    pub fn verifier(&self) -> &Verifier {
        &self.shared.verifier
    }

    /// The current key set (empty until the first fetch succeeds).
    pub fn key_set(&self) -> Arc<KeySet> {
        self.shared.issuer.keys.load_full()
    }

    /// Counters of the key refresher.
    pub fn refresh_stats(&self) -> RefreshStats {
        self.shared.issuer.stats()
    }

    /// Whether the layer can verify tokens now: see [`Readiness`]. Cheap (a few atomic loads and
    /// one clock read): serve it from a readiness probe.
    pub fn readiness(&self) -> Readiness {
        let shared = &self.shared;
        let now = shared.verifier.config().clock.now();
        let issuer = &shared.issuer;
        let keys = issuer.keys.load().len();
        Readiness {
            keys,
            last_refresh_age: issuer
                .last_success()
                .map(|at| Duration::from_secs(now.saturating_sub(at))),
            stale: shared.is_stale(now),
            refresher_running: issuer.refresher_alive(),
        }
    }
}

/// What [`CognitoAuthLayer::readiness`] reports.
///
/// Ready means: a key set is loaded, it is not older than the
/// [maximum key age](crate::CognitoConfigBuilder::max_key_age), and its refresher task still runs
/// (a static key set needs none). A refresher that ended (its runtime shut down while the layer
/// lives on in another one, or a panic) makes the layer not ready, and is logged once at error
/// level; tokens still verify with the last keys until the maximum key age, if one is set, passes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct Readiness {
    /// Usable keys in the current set (0 before the first successful fetch).
    pub keys: usize,
    /// Time since the last successful fetch, by the layer's clock (`None`: no fetch succeeded
    /// yet, or a static key set).
    pub last_refresh_age: Option<Duration>,
    /// The keys are older than the maximum key age: tokens get `503` until a fetch succeeds.
    pub stale: bool,
    /// The refresher task is running (always `true` for a static key set).
    pub refresher_running: bool,
}

impl Readiness {
    /// Keys loaded, fresh, and kept fresh.
    pub fn is_ready(&self) -> bool {
        self.keys > 0 && !self.stale && self.refresher_running
    }
}

impl<S, T> Layer<S> for CognitoAuthLayer<T> {
    type Service = CognitoAuth<S, T>;

    fn layer(&self, inner: S) -> Self::Service {
        CognitoAuth::new(inner, Arc::clone(&self.shared))
    }
}

#[inline]
fn is_cognito_claims<T: 'static>() -> bool {
    TypeId::of::<T>() == TypeId::of::<CognitoClaims>()
}

/// Puts `Claims<CognitoClaims>` (and `Claims<T>` for an application claims type) into the
/// extensions. `false` when `custom` is not a `T` (a cached entry made by a layer of another `T`).
#[inline]
fn insert_claims<T: Send + Sync + 'static>(
    extensions: &mut Extensions,
    claims: &Arc<CognitoClaims>,
    custom: Option<&Arc<dyn Any + Send + Sync>>,
) -> bool {
    if !is_cognito_claims::<T>() {
        match custom.map(|c| Arc::clone(c).downcast::<T>()) {
            Some(Ok(custom)) => {
                extensions.insert(Claims(custom));
            }
            _ => return false,
        }
    }
    extensions.insert(Claims(Arc::clone(claims)));
    true
}

fn empty_key_set() -> &'static KeySet {
    static EMPTY: std::sync::LazyLock<KeySet> = std::sync::LazyLock::new(KeySet::empty);
    &EMPTY
}

impl Shared {
    /// Whether the keys are past the maximum key age at `now`. One atomic load when a maximum is
    /// set; nothing otherwise.
    #[inline]
    fn is_stale(&self, now: u64) -> bool {
        self.max_key_age
            .is_some_and(|age| self.issuer.is_stale(age, now))
    }

    /// The request path: extract, look up the cache, else verify, then the one final step both
    /// share ([`finish`](Self::finish)), and store the claims.
    #[inline]
    pub(crate) fn authenticate<T>(
        &self,
        headers: &HeaderMap,
        extensions: &mut Extensions,
    ) -> Result<(), Error>
    where
        T: DeserializeOwned + Send + Sync + 'static,
    {
        let config = self.verifier.config();
        let candidate = bearer_candidate(headers, config.max_token_size)?;
        let keys = self.issuer.keys.load();
        let now = config.clock.now();
        // Stale keys (past the maximum key age) verify nothing: the verifier sees an empty set,
        // so a well-formed token gets 503 and a malformed one still 401. The cache is skipped.
        let stale = self.is_stale(now);
        let cache = self.cache.as_ref().filter(|_| !stale);
        // A hit is byte-identical to a token that passed every check, the character scan too,
        // with the same key set: only the time rules can answer differently now.
        let mut hit = None;
        if let Some(cache) = cache {
            cache.hit(candidate, &keys, |entry| {
                hit = Some(self.finish(&entry.claims, now).map(|()| {
                    insert_claims::<T>(extensions, &entry.claims, entry.custom.as_ref())
                }));
            });
        }
        match hit {
            Some(Ok(true)) => return Ok(()),
            Some(Err(kind)) => return Err(Error::new(kind)),
            // A miss, or an entry made by a layer of another claims type: verify.
            Some(Ok(false)) | None => {}
        }
        let token = check_token(candidate)?;

        let key_set: &KeySet = if stale { empty_key_set() } else { &keys };
        let (claims, payload) = match self.verifier.verify_parts(token, key_set) {
            Ok(verified) => verified,
            Err(ErrorKind::KeysUnavailable) if stale => {
                return Err(Error::new(ErrorKind::KeysStale));
            }
            Err(ErrorKind::UnknownKeyId) => {
                self.issuer.request_refetch();
                return Err(Error::new(ErrorKind::UnknownKeyId));
            }
            Err(kind) => return Err(Error::new(kind)),
        };
        self.finish(&claims, now)?;
        let claims = Arc::new(claims);
        let custom: Option<Arc<dyn Any + Send + Sync>> = if is_cognito_claims::<T>() {
            None
        } else {
            let custom: T = serde_json::from_slice(&payload)
                .map_err(|_| Error::new(ErrorKind::CustomClaims))?;
            Some(Arc::new(custom))
        };
        insert_claims::<T>(extensions, &claims, custom.as_ref());
        // Only a token that passed every rule gets here.
        if let Some(cache) = cache {
            cache.insert(token, &keys, claims, custom);
        }
        Ok(())
    }

    /// The final step of every request, cache hit or miss: the rules that depend on the instant
    /// (`exp`, `nbf`, `iat` at `now`, with the leeway). A rule added here holds on both paths.
    #[inline]
    fn finish(&self, claims: &CognitoClaims, now: u64) -> Result<(), ErrorKind> {
        self.verifier.check_time(claims, now)
    }

    pub(crate) fn rejector(&self) -> &Rejector {
        &self.rejector
    }
}
