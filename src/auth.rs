//! The request-path core: one [`Authenticator`] per layer, shared by its services. Extract the
//! bearer token, look it up in the verified-token cache, else verify it, then one final step that
//! both paths share ([`Authenticator::finish`]): a rule added there holds on cache hits and misses
//! alike. Layer -> service -> this -> verifier; nothing here imports back up the path.

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use http::{Extensions, HeaderMap};
use serde::de::DeserializeOwned;

use crate::bearer::{bearer_candidate, check_token};
use crate::cache::TokenCache;
use crate::claims::CognitoClaims;
use crate::clock::Clock;
use crate::config::CognitoConfig;
use crate::error::{Error, ErrorKind};
use crate::extract::Claims;
use crate::keys::KeySet;
use crate::keystore::IssuerKeys;
use crate::metrics::Counters;
use crate::refresh::RefresherHandle;
use crate::verifier::Verifier;

/// What every clone of the layer and of its services shares: the rules, the keys, the cache.
/// `E` is the application's claims type ([`CognitoClaims<E>`]), which the cache holds.
pub(crate) struct Authenticator<E = ()> {
    verifier: Verifier,
    issuer: Arc<IssuerKeys>,
    cache: Option<TokenCache<E>>,
    /// The maximum key age in seconds, when set and the keys are refreshed.
    max_key_age: Option<u64>,
    /// Shared by the authenticators of every claims type made from one layer.
    _refresher: Option<Arc<RefresherHandle>>,
    /// Outcomes and cache hits (src/metrics.rs), shared like the refresher.
    counters: Arc<Counters>,
}

impl<E> fmt::Debug for Authenticator<E> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Authenticator")
            .field("verifier", &self.verifier)
            .field("issuer", &self.issuer)
            .field("cache", &self.cache)
            .field("refreshing", &self._refresher.is_some())
            .finish()
    }
}

impl Authenticator {
    pub(crate) fn new(
        config: &CognitoConfig,
        issuer: Arc<IssuerKeys>,
        refresher: Option<RefresherHandle>,
    ) -> Self {
        Self {
            verifier: Verifier::new(config),
            issuer,
            cache: TokenCache::new(config.layer.token_cache_size),
            // A static key set is never refreshed, so it never goes stale.
            max_key_age: refresher
                .as_ref()
                .and(config.pool.max_key_age)
                .map(|age| age.as_secs()),
            _refresher: refresher.map(Arc::new),
            counters: Arc::default(),
        }
    }
}

impl<E> Authenticator<E> {
    /// The same rules, keys and refresher for claims of type `F`, with a cache of its own.
    pub(crate) fn for_claims<F>(&self) -> Authenticator<F> {
        Authenticator {
            verifier: self.verifier.clone(),
            issuer: Arc::clone(&self.issuer),
            cache: TokenCache::new(self.verifier.config().layer.token_cache_size),
            max_key_age: self.max_key_age,
            _refresher: self._refresher.clone(),
            counters: Arc::clone(&self.counters),
        }
    }

    pub(crate) fn counters(&self) -> &Counters {
        &self.counters
    }

    /// Whether the keys are past the maximum key age at `now`. One atomic load when a maximum is
    /// set; nothing otherwise.
    #[inline]
    fn is_stale(&self, now: u64) -> bool {
        self.max_key_age
            .is_some_and(|age| self.issuer.is_stale(age, now))
    }

    pub(crate) fn verifier(&self) -> &Verifier {
        &self.verifier
    }

    pub(crate) fn issuer(&self) -> &IssuerKeys {
        &self.issuer
    }

    /// What [`Readiness`] reports now.
    pub(crate) fn readiness(&self) -> Readiness {
        let now = self.verifier.config().layer.clock.now();
        let issuer = &self.issuer;
        Readiness {
            keys: issuer.keys.load().len(),
            last_refresh_age: issuer
                .last_success()
                .map(|at| Duration::from_secs(now.saturating_sub(at))),
            stale: self.is_stale(now),
            refresher_running: issuer.refresher_alive(),
            deny_list: self
                .verifier
                .config()
                .layer
                .deny_list
                .as_ref()
                .map(|list| list.set().readiness(now)),
        }
    }
}

/// What [`CognitoAuthLayer::readiness`](crate::CognitoAuthLayer::readiness) reports.
///
/// Ready means: a key set is loaded, it is not older than the
/// [maximum key age](crate::CognitoConfigBuilder::max_key_age), and its refresher task still runs
/// (a static key set needs none). A refresher that ended (its runtime shut down while the layer
/// lives on in another one, or a panic) makes the layer not ready, and is logged once at error
/// level; tokens still verify with the last keys until the maximum key age, if one is set, passes.
///
/// With a shared [`DenyList`](crate::DenyList), ready also means: not staler than its
/// [maximum staleness](crate::RedisDenyListBuilder::max_staleness) when one is set (the list
/// fails closed). A list that fails open (the default) keeps the layer ready through a Redis
/// outage, as its requests keep being served; [`deny_list`](Self::deny_list) reports the outage.
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
    /// The deny-list's sync state (`None`: the layer has no deny-list).
    pub deny_list: Option<DenyListReadiness>,
}

impl Readiness {
    /// Keys loaded, fresh, and kept fresh; and the deny-list, if any, not stale.
    pub fn is_ready(&self) -> bool {
        self.keys > 0
            && !self.stale
            && self.refresher_running
            && !self.deny_list.is_some_and(|d| d.stale)
    }

    /// `200 OK` when [ready](Self::is_ready), else `503 Service Unavailable`: the answer of a
    /// readiness probe.
    pub fn status(&self) -> http::StatusCode {
        if self.is_ready() {
            http::StatusCode::OK
        } else {
            http::StatusCode::SERVICE_UNAVAILABLE
        }
    }
}

/// The deny-list part of [`Readiness`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct DenyListReadiness {
    /// Shared through a backend (Redis); `false` for an in-memory list.
    pub shared: bool,
    /// Confirmed in sync within two heartbeats (always `true` for an in-memory list).
    pub in_sync: bool,
    /// Time since the last confirmed sync (`None`: in-memory, or not synced yet).
    pub lag: Option<Duration>,
    /// Staler than its maximum staleness: tokens get `503`, and the layer is not ready.
    pub stale: bool,
}

fn empty_key_set() -> &'static KeySet {
    static EMPTY: std::sync::LazyLock<KeySet> = std::sync::LazyLock::new(KeySet::empty);
    &EMPTY
}

impl<E: DeserializeOwned + Send + Sync + 'static> Authenticator<E> {
    /// The request path: extract, then [`verified`](Self::verified), which stores the claims in
    /// the extensions.
    #[inline]
    pub(crate) fn authenticate(
        &self,
        headers: &HeaderMap,
        extensions: &mut Extensions,
    ) -> Result<(), Error> {
        let max = self.verifier.config().layer.max_token_size;
        let verified = bearer_candidate(headers, max)
            .map_err(Error::new)
            .and_then(|candidate| self.verified(candidate));
        let claims = self.counters.count(verified)?;
        extensions.insert(Claims(claims));
        Ok(())
    }

    /// A token from anywhere (a WebSocket handshake, a queue message): the same path as a request,
    /// the size cap and the `b64token` grammar included.
    pub(crate) fn verify_token(&self, token: &str) -> Result<Arc<CognitoClaims<E>>, Error> {
        if token.len() > self.verifier.config().layer.max_token_size {
            return self
                .counters
                .count(Err(Error::new(ErrorKind::TokenTooLarge)));
        }
        self.counters.count(self.verified(token.as_bytes()))
    }

    /// Looks the token up in the cache, else verifies it (and caches it), then the final step both
    /// share. A token whose `kid` is unknown nudges the refresher.
    #[inline]
    fn verified(&self, candidate: &[u8]) -> Result<Arc<CognitoClaims<E>>, Error> {
        let config = self.verifier.config();
        let keys = self.issuer.keys.load();
        let now = config.layer.clock.now();
        // Stale keys (past the maximum key age) verify nothing: the verifier sees an empty set,
        // so a well-formed token gets 503 and a malformed one still 401. The cache is skipped.
        let stale = self.is_stale(now);
        let cache = self.cache.as_ref().filter(|_| !stale);
        // A hit is byte-identical to a token that passed every check, the character scan too,
        // with the same key set: only the time rules can answer differently now.
        let mut hit = None;
        if let Some(cache) = cache {
            cache.hit(candidate, &keys, |entry| {
                hit = Some(
                    self.finish(&entry.claims, now)
                        .map(|()| Arc::clone(&entry.claims)),
                );
            });
        }
        if let Some(hit) = hit {
            self.counters.cache_hit();
            return hit.map_err(Error::new);
        }
        if cache.is_some() {
            self.counters.cache_miss();
        }
        let token = check_token(candidate)?;

        let key_set: &KeySet = if stale { empty_key_set() } else { &keys };
        let claims = match self.verifier.verify_parts::<E>(token, key_set) {
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
        let claims = Arc::new(claims.settle()?);
        // Only a token that passed every rule gets here.
        if let Some(cache) = cache {
            cache.insert(token, &keys, Arc::clone(&claims));
        }
        Ok(claims)
    }

    /// The final step of every request, cache hit or miss: the rules that depend on the instant
    /// (`exp`, `nbf`, `iat` at `now`, with the leeway), then revocation (the deny-list, read
    /// at `now`). A rule added here holds on both paths.
    #[inline]
    fn finish<X>(&self, claims: &CognitoClaims<X>, now: u64) -> Result<(), ErrorKind> {
        self.verifier.check_time(claims, now)?;
        // Revocation (src/deny.rs): one swap-load and at most two hash lookups, no lock.
        if let Some(deny) = &self.verifier.config().layer.deny_list {
            deny.set()
                .check(claims, now, self.verifier.config().layer.leeway)?;
        }
        Ok(())
    }
}
