//! The request-path core: one [`Authenticator`] per layer, shared by its services. Extract the
//! bearer token, look it up in the verified-token cache, else verify it, then one final step that
//! both paths share ([`Authenticator::finish`]): a rule added there holds on cache hits and misses
//! alike. Layer -> service -> this -> verifier; nothing here imports back up the path (`cargo xtask
//! modules` checks that no module of the crate does).

use std::collections::HashMap;
use std::fmt;
use std::sync::Arc;

use http::{Extensions, HeaderMap};
use serde::de::DeserializeOwned;

use crate::bearer::{check_token, token_candidate};
use crate::cache::TokenCache;
use crate::claims::CognitoClaims;
use crate::clock::Clock;
use crate::config::CognitoConfig;
use crate::deny::DenyList;
use crate::error::{Error, ErrorKind};
use crate::extract::{Anonymous, Claims};
use crate::header::{HeaderKid, read_kid};
use crate::jws::Parts;
use crate::keys::KeySet;
use crate::keystore::IssuerKeys;
use crate::kid_index::{KidIndex, Owner};
use crate::metrics::Counters;
use crate::refresh::RefresherHandle;
use crate::route::WINDOW;
use crate::snapshot::{PoolStatus, Status};
use crate::verifier::{Header, Payload, Verifier};

/// One user pool of a layer: its rules, its key store and refresher.
pub(crate) struct Pool {
    verifier: Verifier,
    issuer: Arc<IssuerKeys>,
    /// The maximum key age in seconds, when set and the keys are refreshed.
    max_key_age: Option<u64>,
    _refresher: Option<RefresherHandle>,
}

impl fmt::Debug for Pool {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Pool")
            .field("verifier", &self.verifier)
            .field("issuer", &self.issuer)
            .field("refreshing", &self._refresher.is_some())
            .finish()
    }
}

impl Pool {
    /// A pool from its own configuration (one pool), its key store and its refresher (`None`
    /// for a static key set).
    pub(crate) fn new(
        config: &CognitoConfig,
        issuer: Arc<IssuerKeys>,
        refresher: Option<RefresherHandle>,
    ) -> Self {
        Self {
            verifier: Verifier::new(config),
            // A static key set is never refreshed, so it never goes stale.
            max_key_age: refresher
                .as_ref()
                .and(config.pool.max_key_age)
                .map(|age| age.as_secs()),
            issuer,
            _refresher: refresher,
        }
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

    /// This pool's [`PoolStatus`] at `now` (seconds of the layer's clock).
    pub(crate) fn status(&self, now: u64) -> PoolStatus {
        let id = self.verifier.user_pool_id().to_owned();
        self.issuer.status(id, now, self.is_stale(now))
    }
}

/// The pools of a layer: the first, and the others with what picks one for a token: the `kid`
/// index, and the issuer lookup of its fallback; with the layer's configuration (its settings
/// apply to every pool) and its deny-list.
struct Pools {
    /// The configuration the layer was built with (every pool's).
    config: CognitoConfig,
    /// Revoked sessions and tokens, checked after every verification and cache hit.
    deny_list: Option<DenyList>,
    first: Pool,
    others: Box<[Pool]>,
    /// Which pools' current key sets hold each `kid` (`None` with one pool: nothing is routed).
    index: Option<Arc<KidIndex>>,
    /// Each accepted issuer (both forms) to its pool: 0 is `first`, `i` is `others[i - 1]`.
    /// For the tokens whose `kid` no pool or several pools hold.
    routes: HashMap<Box<str>, usize>,
}

/// Which pools hold the key a token's header names, as the `kid` index says.
#[derive(Clone, Copy)]
enum ByKid {
    /// Exactly this one, and every pool has keys: it verifies the token, and nothing of the
    /// payload is read.
    One(usize),
    /// This one, while some pool has no key yet (its first fetch has not succeeded): the key may
    /// be that pool's too, so the payload's top-level `iss` decides when it names a pool.
    Unsure(usize),
    /// Several, or none (then `incomplete`: some pool has no key yet): the fallback picks the
    /// pool by the payload's top-level `iss`.
    Shared,
    Unknown {
        incomplete: bool,
    },
}

/// Where [`Authenticator::route`] sends a token: its pool, and what was read of it to choose.
struct Route<'t, 'b> {
    /// An index of [`Pools::get`].
    pool: usize,
    /// With several pools, the split token and what the routing read; `None` with one pool.
    read: Option<Read<'t, 'b>>,
}

/// What the routing of a layer of several pools read of a token, handed to the verifier so that
/// nothing is read twice.
struct Read<'t, 'b> {
    parts: Parts<'t>,
    /// The `kid`, when the header took the full path (it passed every header rule).
    kid: Option<String>,
    /// The payload, when the fallback decoded it whole.
    payload: Payload<'b>,
}

impl Pools {
    fn new(
        config: CognitoConfig,
        deny_list: Option<DenyList>,
        pools: Vec<Pool>,
        index: Option<Arc<KidIndex>>,
    ) -> Option<Self> {
        let mut pools = pools.into_iter();
        let first = pools.next()?;
        let others: Box<[Pool]> = pools.collect();
        let mut routes = HashMap::new();
        if !others.is_empty() {
            for (index, pool) in std::iter::once(&first).chain(&*others).enumerate() {
                let pool = pool.verifier.pool();
                routes.insert(pool.issuer.clone().into_boxed_str(), index);
                if let Some(updated) = &pool.updated_issuer {
                    routes.insert(updated.clone().into_boxed_str(), index);
                }
            }
        }
        Some(Self {
            config,
            deny_list,
            first,
            others,
            index: index.filter(|_| !routes.is_empty()),
            routes,
        })
    }

    /// The pool at `index` (an index from `routes`, or of a cache entry made with one).
    #[inline]
    fn get(&self, index: usize) -> Option<&Pool> {
        match index.checked_sub(1) {
            None => Some(&self.first),
            Some(i) => self.others.get(i),
        }
    }

    fn iter(&self) -> impl Iterator<Item = &Pool> {
        std::iter::once(&self.first).chain(&*self.others)
    }

    /// Which pools hold the key a token of several pools names, by the `kid` of its JOSE header:
    /// the header matched byte for byte against every known key's usual headers (one lookup), or
    /// else read through every header rule and its `kid` looked up. Also that `kid` in the second
    /// case, which the verifier then takes instead of reading the header again.
    ///
    /// The payload's `iss` is read later only for a header in the form issuers write
    /// ([`HeaderKid::usual`]), so that the costliest header the caps allow and the fallback's
    /// scan are never paid for one token: for any other header, a `kid` that no pool holds is
    /// refused here as such, one that several hold as [`ErrorKind::InvalidIssuer`], and one that a
    /// pool holds goes to that pool.
    #[inline]
    fn by_kid(
        &self,
        index: &KidIndex,
        header: &[u8],
    ) -> Result<(ByKid, Option<String>), ErrorKind> {
        let owners = index.load();
        let (owner, kid, usual) = match owners.by_header(header) {
            Some(owner) => (Some(owner), None, true),
            None => {
                let HeaderKid { kid, usual } = read_kid(header)?;
                (owners.by_kid(&kid), Some(kid), usual)
            }
        };
        let incomplete = owners.incomplete();
        let by_kid = match (owner, usual) {
            (Some(Owner::One(pool)), true) if incomplete => ByKid::Unsure(pool),
            (Some(Owner::One(pool)), _) => ByKid::One(pool),
            (Some(Owner::Shared), true) => ByKid::Shared,
            (None, true) => ByKid::Unknown { incomplete },
            (Some(Owner::Shared), false) => return Err(ErrorKind::InvalidIssuer),
            (None, false) => return Err(unknown(incomplete)),
        };
        Ok((by_kid, kid))
    }

    /// The pool of a token whose `kid` names no single pool, by the top-level `iss` of the
    /// payload's first [`WINDOW`] bytes ([`route`](Self::route)), among every pool: for a `kid`
    /// that several hold (a shared key set), that none holds (a key not fetched yet: the pool the
    /// `iss` names refuses the token as an unknown `kid` and has its refresher nudged), or that
    /// one holds while another has no key yet. An unknown `kid` whose `iss` names no pool is
    /// refused as such ([`ErrorKind::UnknownKeyId`], or [`ErrorKind::KeysUnavailable`] while
    /// some pool has no key yet), a shared one as [`ErrorKind::InvalidIssuer`]; one that a pool
    /// holds goes to that pool.
    fn fallback<'b>(
        &self,
        by_kid: ByKid,
        payload: &[u8],
        buf: &'b mut [u8],
    ) -> Result<(usize, Option<&'b [u8]>), ErrorKind> {
        match by_kid {
            ByKid::One(pool) => Ok((pool, None)),
            ByKid::Unsure(pool) => Ok(self.route(payload, buf).unwrap_or((pool, None))),
            ByKid::Shared => self.route(payload, buf),
            ByKid::Unknown { incomplete } => {
                self.route(payload, buf).map_err(|_| unknown(incomplete))
            }
        }
    }

    /// The pool a payload segment names with the `iss` of its top-level object, read before the
    /// signature only to choose the key set ([`route`](crate::route::route): at most the first
    /// [`WINDOW`] bytes decoded, one pass, one lookup): the chosen pool's verifier checks `iss`
    /// again, exactly, after the signature, so a wrong guess can only refuse a token, never
    /// accept one. Also the decoded payload, when all of it was decoded.
    #[inline]
    fn route<'b>(
        &self,
        segment: &[u8],
        buf: &'b mut [u8],
    ) -> Result<(usize, Option<&'b [u8]>), ErrorKind> {
        crate::route::route(segment, buf, |iss| self.routes.get(iss).copied())
    }
}

/// The refusal of a `kid` that no pool holds, when no pool is found to ask about it: while some
/// pool has no key yet, it may be that pool's (`503`, as one pool answers before its first
/// fetch); otherwise an unknown key.
fn unknown(incomplete: bool) -> ErrorKind {
    match incomplete {
        true => ErrorKind::KeysUnavailable,
        false => ErrorKind::UnknownKeyId,
    }
}

/// What every clone of the layer and of its services shares: the pools (rules, keys,
/// refreshers) and the verified-token cache. `E` is the application's claims type
/// ([`CognitoClaims<E>`]), which the cache holds.
pub(crate) struct Authenticator<E = ()> {
    pools: Arc<Pools>,
    cache: Option<TokenCache<E>>,
    /// Outcomes and cache hits (src/metrics.rs), shared by every claims type of one layer.
    counters: Arc<Counters>,
}

impl<E> fmt::Debug for Authenticator<E> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Authenticator")
            .field("pools", &self.pools.iter().collect::<Vec<_>>())
            .field("cache", &self.cache)
            .finish()
    }
}

/// What a layer adds to the rules of its pools: the application's own check on the verified
/// claims, and whether a request without credentials may pass. Cloned into each service (an
/// `Arc` and a flag): layers that share one [`Authenticator`] (its keys and cache) may differ here.
pub(crate) struct Policy<E> {
    pub(crate) check: Option<Check<E>>,
    pub(crate) optional: bool,
}

/// The application's own check: `Ok` lets the request through.
pub(crate) type Check<E> = Arc<dyn Fn(&CognitoClaims<E>) -> Result<(), Error> + Send + Sync>;

impl<E> Clone for Policy<E> {
    fn clone(&self) -> Self {
        Self {
            check: self.check.clone(),
            optional: self.optional,
        }
    }
}

impl<E: 'static> Policy<E> {
    /// This policy with `check` run after its own check, if any (both must pass, in order).
    /// The layer's and its builder's `check` both add checks through here.
    pub(crate) fn and_check<F>(mut self, check: F) -> Self
    where
        F: Fn(&CognitoClaims<E>) -> Result<(), Error> + Send + Sync + 'static,
    {
        self.check = Some(match self.check.take() {
            None => Arc::new(check),
            Some(first) => Arc::new(move |claims| {
                first(claims)?;
                check(claims)
            }),
        });
        self
    }
}

impl<E> Default for Policy<E> {
    fn default() -> Self {
        Self {
            check: None,
            optional: false,
        }
    }
}

impl<E> fmt::Debug for Policy<E> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Policy")
            .field("check", &self.check.is_some())
            .field("optional", &self.optional)
            .finish()
    }
}

impl<E> Authenticator<E> {
    /// The authenticator of `pools` (one at least, each `config`'s pool in order), with the cache
    /// of `config`'s layer settings, `deny_list`, and, for several pools, the `kid` index of their
    /// key stores. `None` without a pool.
    pub(crate) fn new(
        config: CognitoConfig,
        deny_list: Option<DenyList>,
        pools: Vec<Pool>,
        index: Option<Arc<KidIndex>>,
    ) -> Option<Self> {
        let cache = TokenCache::new(config.layer.token_cache_size);
        let pools = Pools::new(config, deny_list, pools, index)?;
        Some(Self {
            pools: Arc::new(pools),
            cache,
            counters: Arc::default(),
        })
    }

    /// The same pools (rules, keys and refreshers) for claims of type `F`, with a cache of its
    /// own.
    pub(crate) fn for_claims<F>(&self) -> Authenticator<F> {
        Authenticator {
            pools: Arc::clone(&self.pools),
            cache: TokenCache::new(self.config().layer.token_cache_size),
            counters: Arc::clone(&self.counters),
        }
    }

    pub(crate) fn counters(&self) -> &Counters {
        &self.counters
    }

    /// The counters, for a guard behind the layer to count its refusals in.
    pub(crate) fn shared_counters(&self) -> Arc<Counters> {
        Arc::clone(&self.counters)
    }

    /// The user pool id of the pool a token (the candidate bytes of a request) would be verified
    /// by: for the rejection event only (with several pools it reads the header again, and the
    /// payload's first bytes when the `kid` does not name one pool).
    #[cfg(feature = "tracing")]
    pub(crate) fn pool_id_of(&self, candidate: &[u8]) -> Option<&str> {
        let pool = match &self.pools.index {
            None => &self.pools.first,
            Some(index) => {
                let parts = crate::jws::split(candidate)?;
                let (by_kid, _) = self.pools.by_kid(index, parts.header).ok()?;
                let mut buf = [0u8; WINDOW];
                let (pool, _) = self.pools.fallback(by_kid, parts.payload, &mut buf).ok()?;
                self.pools.get(pool)?
            }
        };
        Some(pool.verifier.user_pool_id())
    }

    /// The configuration the layer was built with (every pool's).
    pub(crate) fn config(&self) -> &CognitoConfig {
        &self.pools.config
    }

    /// The layer's deny-list.
    pub(crate) fn deny_list(&self) -> Option<&DenyList> {
        self.pools.deny_list.as_ref()
    }

    /// The first pool.
    pub(crate) fn first(&self) -> &Pool {
        &self.pools.first
    }

    /// Every pool, the first first.
    pub(crate) fn pools(&self) -> impl Iterator<Item = &Pool> {
        self.pools.iter()
    }

    /// The layer's [`Status`] now: its counters, every pool's, and the deny-list's.
    pub(crate) fn status(&self) -> Status {
        let now = self.config().layer.clock.now();
        let pools = self.pools.iter().map(|pool| pool.status(now)).collect();
        let deny_list = self.deny_list().map(|list| list.set().status(now));
        self.counters().snapshot(pools, deny_list)
    }
}

fn empty_key_set() -> &'static KeySet {
    static EMPTY: std::sync::LazyLock<KeySet> = std::sync::LazyLock::new(KeySet::empty);
    &EMPTY
}

impl<E: DeserializeOwned + Send + Sync + 'static> Authenticator<E> {
    /// The request path: extract, then [`verified`](Self::verified), which stores the claims in
    /// the extensions. With `policy.optional`, a request without credentials passes without
    /// claims, marked [`Anonymous`] for the guards and extractors behind the layer.
    #[inline]
    pub(crate) fn authenticate(
        &self,
        headers: &HeaderMap,
        extensions: &mut Extensions,
        policy: &Policy<E>,
    ) -> Result<(), Error> {
        let layer = &self.config().layer;
        let candidate =
            match token_candidate(headers, layer.max_token_size, layer.cookie.as_deref()) {
                Ok(candidate) => candidate,
                // No credentials at all, or those of another scheme: through, without claims,
                // marked so that a guard or an extractor behind answers 401 (not the 500 of a
                // missing layer). What is neither (`Bearer` glued to its token, an empty value)
                // is a malformed request, not an anonymous one: `token_candidate` says which.
                Err(ErrorKind::MissingCredentials) if policy.optional => {
                    extensions.insert(Anonymous);
                    return Ok(());
                }
                Err(kind) => return self.counters.count(Err(Error::new(kind))),
            };
        let claims = self.counters.count(self.verified(candidate, policy))?;
        extensions.insert(Claims(claims));
        Ok(())
    }

    /// A token from anywhere (a WebSocket handshake, a queue message): the same path as a request,
    /// the size cap, the `b64token` grammar and the application's check included.
    pub(crate) fn verify_token(
        &self,
        token: &str,
        policy: &Policy<E>,
    ) -> Result<Arc<CognitoClaims<E>>, Error> {
        if token.len() > self.config().layer.max_token_size {
            return self
                .counters
                .count(Err(Error::new(ErrorKind::TokenTooLarge)));
        }
        self.counters.count(self.verified(token.as_bytes(), policy))
    }

    /// The request path, as its steps: [`cached`](Self::cached) (a hit goes straight to the
    /// final step), else the `b64token` grammar, [`route`](Self::route) (which pool),
    /// [`pool_verify`](Self::pool_verify) (that pool's rules), [`remember`](Self::remember) (the
    /// cache), then [`finish`](Self::finish), the step both paths share.
    #[inline]
    fn verified(
        &self,
        candidate: &[u8],
        policy: &Policy<E>,
    ) -> Result<Arc<CognitoClaims<E>>, Error> {
        let now = self.config().layer.clock.now();
        if let Some(hit) = self.cached(candidate, now, policy) {
            return hit;
        }
        let token = check_token(candidate)?;
        // The fallback's window, made (and zeroed) only when a token's `kid` names no single pool.
        let mut window = None;
        let route = self.route(token, &mut window)?;
        let pool = self.pools.get(route.pool).ok_or(ErrorKind::InvalidIssuer)?;
        let keys = pool.issuer.keys.load();
        let stale = pool.is_stale(now);
        let claims = self.pool_verify(pool, token, route.read.as_ref(), &keys, stale, now)?;
        if !stale {
            self.remember(token, route.pool, &keys, &claims);
        }
        self.finish(pool, &claims, now, policy)?;
        Ok(claims)
    }

    /// Step 1: the verified-token cache. A hit is byte-identical to a token that passed every
    /// check, the character scan too, with its pool's current key set: only the final step (the
    /// time rules, the deny-list, the application's check) can answer differently now. Keys past
    /// the maximum key age are no hit. `None`: verify the token.
    #[inline]
    fn cached(
        &self,
        candidate: &[u8],
        now: u64,
        policy: &Policy<E>,
    ) -> Option<Result<Arc<CognitoClaims<E>>, Error>> {
        let cache = self.cache.as_ref()?;
        let mut hit = None;
        cache.hit(candidate, |entry| {
            let Some(pool) = self.pools.get(entry.pool()) else {
                return;
            };
            if entry.verified_with(&pool.issuer.keys.load()) && !pool.is_stale(now) {
                hit = Some(
                    self.finish(pool, &entry.claims, now, policy)
                        .map(|()| Arc::clone(&entry.claims)),
                );
            }
        });
        match hit {
            Some(_) => self.counters.cache_hit(),
            None => self.counters.cache_miss(),
        }
        hit
    }

    /// Step 2: the pool of a token. One pool: nothing to choose, nothing read. Several: the
    /// header's `kid` picks it (one lookup in the `kid` index), and only a `kid` that no pool or
    /// several pools hold has the payload's first bytes read for its top-level `iss`, in
    /// `window`.
    #[inline]
    fn route<'t, 'b>(
        &self,
        token: &'t [u8],
        window: &'b mut Option<[u8; WINDOW]>,
    ) -> Result<Route<'t, 'b>, ErrorKind> {
        let Some(index) = &self.pools.index else {
            return Ok(Route {
                pool: 0,
                read: None,
            });
        };
        let parts = self.pools.first.verifier.split(token)?;
        let (by_kid, kid) = self.pools.by_kid(index, parts.header)?;
        let (pool, payload) = match by_kid {
            ByKid::One(pool) => (pool, None),
            _ => self
                .pools
                .fallback(by_kid, parts.payload, window.insert([0u8; WINDOW]))?,
        };
        Ok(Route {
            pool,
            read: Some(Read {
                parts,
                kid,
                payload: payload.map_or(Payload::Encoded, Payload::Decoded),
            }),
        })
    }

    /// Step 3: the pool's rules on the token with its current keys: the signature and every
    /// claim rule, the time rules first, then the application's type. Stale keys verify nothing:
    /// the verifier sees an empty set, so a well-formed token gets `503` and a malformed one still
    /// `401`. A `kid` the pool does not hold nudges its refresher.
    #[inline]
    fn pool_verify(
        &self,
        pool: &Pool,
        token: &[u8],
        read: Option<&Read<'_, '_>>,
        keys: &KeySet,
        stale: bool,
        now: u64,
    ) -> Result<Arc<CognitoClaims<E>>, Error> {
        let key_set: &KeySet = if stale { empty_key_set() } else { keys };
        let verified = match read {
            None => pool.verifier.verify_parts::<E>(token, key_set),
            Some(read) => {
                let header = read.kid.as_deref().map_or(Header::Unread, Header::Kid);
                pool.verifier
                    .verify_split::<E>(&read.parts, header, read.payload, key_set)
            }
        };
        let claims = match verified {
            Ok(verified) => verified,
            Err(ErrorKind::KeysUnavailable) if stale => {
                return Err(Error::new(ErrorKind::KeysStale));
            }
            Err(ErrorKind::UnknownKeyId) => {
                pool.issuer.request_refetch();
                return Err(Error::new(ErrorKind::UnknownKeyId));
            }
            Err(kind) => return Err(Error::new(kind)),
        };
        // The Cognito rules first, the application's type after them.
        pool.verifier.check_time(&claims, now)?;
        Ok(Arc::new(claims.settle()?))
    }

    /// Step 4: a token that passed every rule of pool `pool` with `keys` goes into the cache. The
    /// application's check is not the cache's: it runs on every hit, in [`finish`](Self::finish).
    #[inline]
    fn remember(
        &self,
        token: &[u8],
        pool: usize,
        keys: &Arc<KeySet>,
        claims: &Arc<CognitoClaims<E>>,
    ) {
        if let Some(cache) = &self.cache {
            cache.insert(token, pool, keys, Arc::clone(claims));
        }
    }

    /// The final step of every request, cache hit or miss: the rules that depend on the instant
    /// (`exp`, `nbf`, `iat` at `now`, with the leeway), then the application's check. A rule
    /// added here holds on both paths.
    #[inline]
    fn finish(
        &self,
        pool: &Pool,
        claims: &CognitoClaims<E>,
        now: u64,
        policy: &Policy<E>,
    ) -> Result<(), Error> {
        pool.verifier.check_time(claims, now)?;
        // Revocation (src/deny.rs): one swap-load and at most two hash lookups, no lock.
        if let Some(deny) = &self.pools.deny_list {
            deny.set().check(claims, now, pool.verifier.leeway_secs())?;
        }
        match &policy.check {
            Some(check) => check(claims),
            None => Ok(()),
        }
    }
}
