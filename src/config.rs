//! Configuration: one user pool, validated once when built.

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use url::Url;

use crate::claims::TokenUse;
use crate::clock::{Clock, SystemClock};
use crate::error::ConfigError;
use crate::ids::{UserPoolId, is_valid_client_id, is_valid_region};
use crate::syntax::{is_qdtext, is_tchar};
use crate::urls::{fetch_url, without_userinfo};

/// Longest refresh interval accepted.
const MAX_REFRESH_INTERVAL: Duration = Duration::from_secs(7 * 24 * 3600);
/// Longest maximum key age accepted.
const MAX_KEY_AGE: Duration = Duration::from_secs(30 * 24 * 3600);

/// Which app clients may present tokens.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum ClientPolicy {
    Any,
    OneOf(Box<[Box<str>]>),
}

impl ClientPolicy {
    #[inline]
    pub(crate) fn allows(&self, client_id: &str) -> bool {
        match self {
            Self::Any => true,
            Self::OneOf(ids) => ids.iter().any(|id| &**id == client_id),
        }
    }
}

/// A validated configuration for one Cognito user pool.
///
/// Built with [`CognitoConfig::builder`]; every check happens in [`CognitoConfigBuilder::build`],
/// none on the request path.
///
/// ```
/// use tower_cognito::{CognitoConfig, TokenUse};
///
/// let config = CognitoConfig::builder("eu-west-1_AbCdEf123")
///     .client_id("4r1ktl3f2lrrvc1e5e0hdh1gjo")
///     .token_use(TokenUse::Access)
///     .build()?;
/// assert_eq!(config.issuer(), "https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_AbCdEf123");
/// assert_eq!(
///     config.jwks_url(),
///     "https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_AbCdEf123/.well-known/jwks.json"
/// );
/// # Ok::<(), tower_cognito::ConfigError>(())
/// ```
#[derive(Clone)]
pub struct CognitoConfig {
    /// Which tokens are the pool's, and where and how often its keys are fetched.
    pub(crate) pool: PoolSettings,
    /// The other pools of a layer that serves several (see
    /// [`and_pool`](CognitoConfigBuilder::and_pool)); empty for one pool.
    pub(crate) others: Vec<PoolSettings>,
    /// How the layer reads and answers requests, whatever the pool.
    pub(crate) layer: LayerSettings,
}

/// The settings of one user pool: which tokens are its and where its keys come from. A layer
/// serving several pools holds one of these per pool.
#[derive(Clone)]
pub(crate) struct PoolSettings {
    pub(crate) user_pool_id: String,
    pub(crate) region: String,
    pub(crate) issuer: String,
    pub(crate) updated_issuer: Option<String>,
    pub(crate) jwks_url: Url,
    pub(crate) clients: ClientPolicy,
    /// The one kind of token accepted; `None`: either kind.
    pub(crate) token_use: Option<TokenUse>,
    pub(crate) refresh_interval: Duration,
    pub(crate) unknown_kid_cooldown: Duration,
    pub(crate) fetch_timeout: Duration,
    pub(crate) max_jwks_size: usize,
    pub(crate) max_key_age: Option<Duration>,
}

/// The settings of the layer itself: the token's size cap, the time rules' leeway and clock, the
/// cache, the realm of its answers, and how long `LayerBuilder::start` waits for keys. Plain
/// data: the live parts of a layer (key stores, refreshers, the deny-list) are the layer's.
#[derive(Clone)]
pub(crate) struct LayerSettings {
    pub(crate) leeway: u64,
    pub(crate) startup_timeout: Duration,
    pub(crate) max_token_size: usize,
    pub(crate) token_cache_size: usize,
    pub(crate) realm: String,
    pub(crate) clock: Arc<dyn Clock>,
    /// The name of a cookie that may carry the token instead of the `Authorization` header.
    pub(crate) cookie: Option<Box<str>>,
}

impl fmt::Debug for CognitoConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CognitoConfig")
            .field("user_pool_id", &self.pool.user_pool_id)
            .field("region", &self.pool.region)
            .field("issuer", &self.pool.issuer)
            .field("updated_issuer", &self.pool.updated_issuer)
            .field("jwks_url", &self.pool.jwks_url.as_str())
            .field("clients", &self.pool.clients)
            .field("token_use", &self.pool.token_use)
            .field("leeway", &self.layer.leeway)
            .field("refresh_interval", &self.pool.refresh_interval)
            .field("unknown_kid_cooldown", &self.pool.unknown_kid_cooldown)
            .field("fetch_timeout", &self.pool.fetch_timeout)
            .field("startup_timeout", &self.layer.startup_timeout)
            .field("max_jwks_size", &self.pool.max_jwks_size)
            .field("max_token_size", &self.layer.max_token_size)
            .field("max_key_age", &self.pool.max_key_age)
            .field("token_cache_size", &self.layer.token_cache_size)
            .field("realm", &self.layer.realm)
            .field("clock", &self.layer.clock)
            .field("token_cookie", &self.layer.cookie)
            .field(
                "other_pools",
                &self
                    .others
                    .iter()
                    .map(|p| p.user_pool_id.as_str())
                    .collect::<Vec<_>>(),
            )
            .finish()
    }
}

impl CognitoConfig {
    // The defaults, named where the builder documents them.

    /// Default leeway applied to `exp`, `nbf` and `iat`.
    pub const DEFAULT_LEEWAY: Duration = Duration::from_secs(60);
    /// Default interval between two scheduled JWKS refreshes.
    pub const DEFAULT_REFRESH_INTERVAL: Duration = Duration::from_secs(15 * 60);
    /// Default minimum time between two refetches caused by unknown `kid`s.
    pub const DEFAULT_UNKNOWN_KID_COOLDOWN: Duration = Duration::from_secs(10);
    /// Default time limit of one JWKS fetch (connect, headers and body).
    pub const DEFAULT_FETCH_TIMEOUT: Duration = Duration::from_secs(5);
    /// Default time [`LayerBuilder::start`](crate::LayerBuilder::start) waits for the first key
    /// sets.
    pub const DEFAULT_STARTUP_TIMEOUT: Duration = Duration::from_secs(10);
    /// Default cap on the size of a JWKS body.
    pub const DEFAULT_MAX_JWKS_SIZE: usize = 64 * 1024;
    /// Default cap on the size of a token, checked before anything is decoded.
    pub const DEFAULT_MAX_TOKEN_SIZE: usize = 8 * 1024;
    /// Default number of entries of the verified-token cache.
    pub const DEFAULT_TOKEN_CACHE_SIZE: usize = 1024;
    /// Default realm of the `WWW-Authenticate` challenge.
    pub const DEFAULT_REALM: &str = "api";
    /// Default domain of Cognito issuers (China regions use `amazonaws.com.cn`).
    pub const DEFAULT_ISSUER_DOMAIN: &str = "amazonaws.com";

    /// Starts a configuration for the user pool `user_pool_id` (e.g. `us-east-1_AbC123xyz`).
    pub fn builder(user_pool_id: impl Into<String>) -> CognitoConfigBuilder {
        CognitoConfigBuilder {
            earlier: Vec::new(),
            pool: PoolBuilder::new(user_pool_id.into()),
            leeway: CognitoConfig::DEFAULT_LEEWAY,
            startup_timeout: CognitoConfig::DEFAULT_STARTUP_TIMEOUT,
            max_token_size: CognitoConfig::DEFAULT_MAX_TOKEN_SIZE,
            token_cache_size: CognitoConfig::DEFAULT_TOKEN_CACHE_SIZE,
            realm: CognitoConfig::DEFAULT_REALM.to_owned(),
            clock: Arc::new(SystemClock),
            cookie: None,
        }
    }

    /// Each pool's own configuration, the first one first: one item unless the layer serves
    /// several pools ([`and_pool`](CognitoConfigBuilder::and_pool)). The settings of the layer
    /// itself (leeway, clock, token cap, cache, realm, cookie) are the same in all.
    pub fn pools(&self) -> impl Iterator<Item = CognitoConfig> + '_ {
        std::iter::once(&self.pool)
            .chain(&self.others)
            .map(|pool| CognitoConfig {
                pool: pool.clone(),
                others: Vec::new(),
                layer: self.layer.clone(),
            })
    }
    /// How many user pools the layer serves (1 unless [`and_pool`](CognitoConfigBuilder::and_pool)
    /// was used).
    pub fn pool_count(&self) -> usize {
        1 + self.others.len()
    }
    /// The user pool id (of the first pool; see [`pools`](Self::pools)).
    pub fn user_pool_id(&self) -> &str {
        &self.pool.user_pool_id
    }
    /// The region (derived from the pool id unless given).
    pub fn region(&self) -> &str {
        &self.pool.region
    }
    /// The issuer tokens must carry, original form: `https://cognito-idp.{region}.{domain}/{pool}`.
    pub fn issuer(&self) -> &str {
        &self.pool.issuer
    }
    /// The updated issuer form (`https://issuer-cognito-idp...`), when accepted.
    pub fn updated_issuer(&self) -> Option<&str> {
        self.pool.updated_issuer.as_deref()
    }
    /// The URL the key set is fetched from.
    pub fn jwks_url(&self) -> &str {
        self.pool.jwks_url.as_str()
    }
    /// The one kind of token accepted; `None` when either kind is
    /// ([`any_token_use`](CognitoConfigBuilder::any_token_use)).
    pub fn token_use(&self) -> Option<TokenUse> {
        self.pool.token_use
    }
    /// The allowed app client ids; `None` when any client is allowed.
    pub fn client_ids(&self) -> Option<impl Iterator<Item = &str>> {
        match &self.pool.clients {
            ClientPolicy::Any => None,
            ClientPolicy::OneOf(ids) => Some(ids.iter().map(|s| &**s)),
        }
    }
    /// Leeway on time claims.
    pub fn leeway(&self) -> Duration {
        Duration::from_secs(self.layer.leeway)
    }
    /// Interval between scheduled refreshes.
    pub fn refresh_interval(&self) -> Duration {
        self.pool.refresh_interval
    }
    /// Minimum time between refetches caused by unknown `kid`s.
    pub fn unknown_kid_cooldown(&self) -> Duration {
        self.pool.unknown_kid_cooldown
    }
    /// Time limit of one fetch.
    pub fn fetch_timeout(&self) -> Duration {
        self.pool.fetch_timeout
    }
    /// How long [`LayerBuilder::start`](crate::LayerBuilder::start) waits for the first key sets.
    pub fn startup_timeout(&self) -> Duration {
        self.layer.startup_timeout
    }
    /// Cap on the JWKS body size, in bytes.
    pub fn max_jwks_size(&self) -> usize {
        self.pool.max_jwks_size
    }
    /// Cap on the token size, in bytes.
    pub fn max_token_size(&self) -> usize {
        self.layer.max_token_size
    }
    /// How long keys that could not be refreshed stay trusted; `None` (the default): forever.
    pub fn max_key_age(&self) -> Option<Duration> {
        self.pool.max_key_age
    }
    /// Entries of the verified-token cache (0: no cache).
    pub fn token_cache_size(&self) -> usize {
        self.layer.token_cache_size
    }
    /// The `WWW-Authenticate` realm.
    pub fn realm(&self) -> &str {
        &self.layer.realm
    }
    /// The cookie that may carry the token, when the layer reads one.
    pub fn token_cookie(&self) -> Option<&str> {
        self.layer.cookie.as_deref()
    }

    /// Whether `iss` is one of the first pool's accepted issuers.
    #[cfg(test)]
    fn issuer_matches(&self, iss: &str) -> bool {
        self.pool.issuer_matches(iss)
    }
}

impl PoolSettings {
    /// Whether `iss` is one of this pool's accepted issuers.
    #[inline]
    pub(crate) fn issuer_matches(&self, iss: &str) -> bool {
        iss == self.issuer || self.updated_issuer.as_deref() == Some(iss)
    }
}

/// Builder of a [`CognitoConfig`]; see [`CognitoConfig::builder`].
///
/// The pool settings (app clients, token use, region, issuer, JWKS URL and schedule, maximum key
/// age) apply to the pool named last: the one of [`CognitoConfig::builder`], or of the latest
/// [`and_pool`](Self::and_pool). The layer settings (leeway, token cap, cache, realm, cookie,
/// clock, startup wait) apply to the whole layer wherever they are called.
#[derive(Debug, Clone)]
#[must_use]
pub struct CognitoConfigBuilder {
    /// The pools named before the last one, in order.
    earlier: Vec<PoolBuilder>,
    /// The pool named last: the one the pool methods change.
    pool: PoolBuilder,
    leeway: Duration,
    startup_timeout: Duration,
    max_token_size: usize,
    token_cache_size: usize,
    realm: String,
    clock: Arc<dyn Clock>,
    cookie: Option<String>,
}

/// The settings of one pool, as given.
#[derive(Debug, Clone)]
struct PoolBuilder {
    user_pool_id: String,
    region: Option<String>,
    issuer_domain: String,
    accept_updated_issuer: bool,
    jwks_url: Option<String>,
    client_ids: Vec<String>,
    any_client: bool,
    /// The choice: one kind (`Some(Some(_))`) or any (`Some(None)`); `None`: not made yet.
    token_use: Option<Option<TokenUse>>,
    refresh_interval: Duration,
    unknown_kid_cooldown: Duration,
    fetch_timeout: Duration,
    max_jwks_size: usize,
    max_key_age: Option<Duration>,
}

impl PoolBuilder {
    /// The next pool: its own identity, this pool's schedule and safety settings.
    fn next(&self, user_pool_id: String) -> Self {
        Self {
            issuer_domain: self.issuer_domain.clone(),
            accept_updated_issuer: self.accept_updated_issuer,
            refresh_interval: self.refresh_interval,
            unknown_kid_cooldown: self.unknown_kid_cooldown,
            fetch_timeout: self.fetch_timeout,
            max_jwks_size: self.max_jwks_size,
            max_key_age: self.max_key_age,
            ..Self::new(user_pool_id)
        }
    }

    fn new(user_pool_id: String) -> Self {
        Self {
            user_pool_id,
            region: None,
            issuer_domain: CognitoConfig::DEFAULT_ISSUER_DOMAIN.to_owned(),
            accept_updated_issuer: false,
            jwks_url: None,
            client_ids: Vec::new(),
            any_client: false,
            token_use: None,
            refresh_interval: CognitoConfig::DEFAULT_REFRESH_INTERVAL,
            unknown_kid_cooldown: CognitoConfig::DEFAULT_UNKNOWN_KID_COOLDOWN,
            fetch_timeout: CognitoConfig::DEFAULT_FETCH_TIMEOUT,
            max_jwks_size: CognitoConfig::DEFAULT_MAX_JWKS_SIZE,
            max_key_age: None,
        }
    }
}

impl CognitoConfigBuilder {
    /// The pool the pool settings apply to: the one named last.
    fn last(&mut self) -> &mut PoolBuilder {
        &mut self.pool
    }

    /// Also accepts the tokens of another user pool, in the same layer (several tenants, regions,
    /// or a migration between pools). The pool settings called after this (app clients, token
    /// use, region, JWKS URL, schedule...) are this pool's. It names its own app clients
    /// (or `allow_any_client`), token use, region and JWKS URL; it starts with the schedule and
    /// safety settings of the pool named before it (refresh interval, unknown-`kid` cooldown,
    /// fetch timeout, JWKS size cap, maximum key age, issuer domain, updated issuer form), so
    /// those given before the first `and_pool` hold for every pool.
    ///
    /// The layer picks the pool of a token by its issuer (`iss`, read before the signature only
    /// to choose the key set, and checked again after it), with one hash lookup; each pool has
    /// its own key set and refresher, so one pool's JWKS outage answers `503` for its tokens only.
    ///
    /// Every pool's tokens pass the layer. A guard reads names only: an unbound
    /// `Require::groups_any(["admins"])` admits the `admins` of **every** configured pool, another
    /// tenant's included. Bind a tenant's guards to its pool with
    /// [`Require::in_pool`](crate::Require::in_pool) (a token of another pool gets `403`):
    ///
    /// ```
    /// use tower_cognito::{CognitoConfig, Require, TokenUse};
    ///
    /// let config = CognitoConfig::builder("eu-west-1_AbCdEf123")
    ///     .client_id("4r1ktl3f2lrrvc1e5e0hdh1gjo")
    ///     .token_use(TokenUse::Access)
    ///     .and_pool("us-east-1_XyZ987654")
    ///     .client_id("7abc1ktl3f2lrrvc1e5e0hdh1g")
    ///     .token_use(TokenUse::Id)
    ///     .build()?;
    /// let pools: Vec<_> = config.pools().map(|p| p.user_pool_id().to_owned()).collect();
    /// assert_eq!(pools, ["eu-west-1_AbCdEf123", "us-east-1_XyZ987654"]);
    /// // The EU tenant's admin routes: `auth.guard(eu_admins)` on them.
    /// let eu_admins = Require::groups_any(["admins"])?.in_pool("eu-west-1_AbCdEf123")?;
    /// # let _ = eu_admins;
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn and_pool(mut self, user_pool_id: impl Into<String>) -> Self {
        let next = self.pool.next(user_pool_id.into());
        self.earlier.push(std::mem::replace(&mut self.pool, next));
        self
    }

    /// Also reads the token from the cookie `name` (browser sessions), when the request has no
    /// `Authorization: Bearer` header. A request with both is `400 invalid_request`, and so is
    /// the cookie sent twice (two cookies of that name for different paths or domains: give the
    /// cookie one path and a `__Host-` name). The cookie's value goes through the same grammar,
    /// size cap and verified-token cache as a bearer token (a value wrapped in double quotes is
    /// unwrapped). Off by default.
    ///
    /// A browser sends cookies on cross-site requests by itself, a bearer header it does not:
    /// protect the routes that read the cookie against cross-site request forgery (a
    /// `SameSite=Strict` or `Lax` cookie, a CSRF token).
    pub fn token_cookie(mut self, name: impl Into<String>) -> Self {
        self.cookie = Some(name.into());
        self
    }

    /// Allows tokens of this app client (call once per client). Required unless
    /// [`allow_any_client`](Self::allow_any_client) is chosen.
    pub fn client_id(mut self, client_id: impl Into<String>) -> Self {
        self.last().client_ids.push(client_id.into());
        self
    }
    /// Allows tokens of each of these app clients.
    pub fn client_ids<I, S>(mut self, client_ids: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.last()
            .client_ids
            .extend(client_ids.into_iter().map(Into::into));
        self
    }
    /// Accepts tokens of any app client of the pool. Deliberate opt-out of the client check.
    pub fn allow_any_client(mut self) -> Self {
        self.last().any_client = true;
        self
    }
    /// Accepts only tokens of this kind: [`TokenUse::Access`] (the usual choice for APIs) or
    /// [`TokenUse::Id`]. Required: this or [`any_token_use`](Self::any_token_use), there is no
    /// default (the last call decides).
    pub fn token_use(mut self, token_use: TokenUse) -> Self {
        self.last().token_use = Some(Some(token_use));
        self
    }
    /// Accepts access and ID tokens alike. A deliberate choice instead of
    /// [`token_use`](Self::token_use): a route that reads the user's attributes from an ID token
    /// and an API that reads scopes from an access token should each accept its own kind.
    pub fn any_token_use(mut self) -> Self {
        self.last().token_use = Some(None);
        self
    }
    /// [`token_use`](Self::token_use) for `Some`, [`any_token_use`](Self::any_token_use) for
    /// `None`: for a choice held as data (`COGNITO_TOKEN_USE`).
    pub(crate) fn token_use_choice(self, token_use: Option<TokenUse>) -> Self {
        match token_use {
            Some(one) => self.token_use(one),
            None => self.any_token_use(),
        }
    }
    /// The region, when it is not the pool id's prefix.
    pub fn region(mut self, region: impl Into<String>) -> Self {
        self.last().region = Some(region.into());
        self
    }
    /// The issuer's domain (default `amazonaws.com`; `amazonaws.com.cn` in China regions).
    pub fn issuer_domain(mut self, domain: impl Into<String>) -> Self {
        self.last().issuer_domain = domain.into();
        self
    }
    /// Also accepts the updated issuer form `https://issuer-cognito-idp.{region}.{domain}/{pool}`
    /// (multi-region user pools). Off by default.
    pub fn accept_updated_issuer(mut self, accept: bool) -> Self {
        self.last().accept_updated_issuer = accept;
        self
    }
    /// Fetches the key set from this URL instead of `{issuer}/.well-known/jwks.json`.
    ///
    /// Must be `https`, or plain `http` to a loopback host (`127.0.0.0/8`, `::1`, `localhost`).
    pub fn jwks_url(mut self, url: impl Into<String>) -> Self {
        self.last().jwks_url = Some(url.into());
        self
    }
    /// Leeway on `exp`, `nbf` and `iat` (default 60 s, at most 10 min; whole seconds).
    pub fn leeway(mut self, leeway: Duration) -> Self {
        self.leeway = leeway;
        self
    }
    /// Interval between scheduled refreshes (default 15 min, from 1 s to 7 days).
    pub fn refresh_interval(mut self, interval: Duration) -> Self {
        self.last().refresh_interval = interval;
        self
    }
    /// Minimum time between two refetches caused by unknown `kid`s (default 10 s, from 100 ms to
    /// 1 h).
    pub fn unknown_kid_cooldown(mut self, cooldown: Duration) -> Self {
        self.last().unknown_kid_cooldown = cooldown;
        self
    }
    /// Time limit of one fetch (default 5 s, from 1 ms to 5 min).
    pub fn fetch_timeout(mut self, timeout: Duration) -> Self {
        self.last().fetch_timeout = timeout;
        self
    }
    /// How long [`LayerBuilder::start`](crate::LayerBuilder::start) waits for every pool's first
    /// key set (default 10 s, from 1 ms to 10 min; not to wait at all, use
    /// [`LayerBuilder::build`](crate::LayerBuilder::build)).
    pub fn startup_timeout(mut self, timeout: Duration) -> Self {
        self.startup_timeout = timeout;
        self
    }
    /// Cap on the JWKS body (default 64 KiB, from 1 KiB to 16 MiB).
    pub fn max_jwks_size(mut self, bytes: usize) -> Self {
        self.last().max_jwks_size = bytes;
        self
    }
    /// Cap on the token size (default 8 KiB, from 256 bytes to 1 MiB).
    pub fn max_token_size(mut self, bytes: usize) -> Self {
        self.max_token_size = bytes;
        self
    }
    /// Maximum staleness: once the last successful JWKS fetch is older than `age`, the keys stop
    /// being trusted and requests are answered `503` with `Retry-After` until a fetch succeeds.
    ///
    /// Off by default: Cognito rotates keys rarely, and an outage of the JWKS endpoint should not
    /// become an outage of your API. Turn it on to bound how long a key withdrawn from the JWKS can
    /// still verify while the endpoint is unreachable. Must be longer than the refresh interval,
    /// and at most 30 days; counted in whole seconds of the configured [`Clock`].
    ///
    /// The age is decided on the request path from the time of the last successful fetch, not by
    /// the refresher, so it holds even if the refresher task is gone (its runtime shut down, say).
    pub fn max_key_age(mut self, age: Duration) -> Self {
        self.last().max_key_age = Some(age);
        self
    }
    /// Entries of the verified-token cache (default 1024, rounded up to a power of two; 0 turns the
    /// cache off; at most 1 048 576).
    ///
    /// A token seen again is accepted without a second RSA verification when it is byte-identical
    /// to one that passed every rule, with the key set still the current one; the time rules
    /// (`exp`, `nbf`, `iat`) are applied again on every hit, at that instant. Tokens over 4 KiB
    /// are never cached. Memory is about
    /// the size of a token and its claims per entry (2 KiB for typical Cognito tokens).
    pub fn token_cache_size(mut self, entries: usize) -> Self {
        self.token_cache_size = entries;
        self
    }
    /// The realm of the `WWW-Authenticate` challenge (default `api`).
    pub fn realm(mut self, realm: impl Into<String>) -> Self {
        self.realm = realm.into();
        self
    }
    /// The clock time claims are checked against (default: the system clock).
    pub fn clock(mut self, clock: impl Clock) -> Self {
        self.clock = Arc::new(clock);
        self
    }

    /// Validates everything and builds the configuration.
    ///
    /// # Errors
    /// A [`ConfigError`] naming the first setting that is refused: each pool's settings in the
    /// order the pools were named, then the layer's.
    pub fn build(self) -> Result<CognitoConfig, ConfigError> {
        let mut pools = Vec::with_capacity(self.earlier.len() + 1);
        for pool in self.earlier.into_iter().chain([self.pool]) {
            let pool = pool.build()?;
            if pools
                .iter()
                .any(|known: &PoolSettings| known.issuer == pool.issuer)
            {
                return Err(ConfigError::DuplicatePool(pool.user_pool_id));
            }
            pools.push(pool);
        }
        // Every duration is bounded, so no instant the refresher computes can overflow and no
        // setting can make its task panic (`Duration::MAX` is refused here, by name).
        check_range(
            "leeway",
            self.leeway,
            Duration::ZERO,
            Duration::from_secs(600),
            "from 0 to 600 s",
        )?;
        check_range(
            "startup_timeout",
            self.startup_timeout,
            Duration::from_millis(1),
            Duration::from_secs(600),
            "from 1 ms to 10 min (no wait at all: `LayerBuilder::build`)",
        )?;
        if !(256..=1024 * 1024).contains(&self.max_token_size) {
            return Err(ConfigError::OutOfRange {
                name: "max_token_size",
                reason: "from 256 bytes to 1 MiB",
            });
        }
        if self.token_cache_size > 1 << 20 {
            return Err(ConfigError::OutOfRange {
                name: "token_cache_size",
                reason: "at most 1 048 576 entries",
            });
        }
        if self.realm.is_empty() || !self.realm.bytes().all(is_qdtext) {
            return Err(ConfigError::InvalidRealm(self.realm));
        }
        let cookie = match self.cookie {
            Some(name) if !is_cookie_name(&name) => {
                return Err(ConfigError::InvalidCookieName(name));
            }
            name => name.map(String::into_boxed_str),
        };
        let mut pools = pools.into_iter();
        let Some(first) = pools.next() else {
            // Not reachable: the builder always has its first pool.
            return Err(ConfigError::MissingClientId);
        };
        Ok(CognitoConfig {
            pool: first,
            others: pools.collect(),
            layer: LayerSettings {
                leeway: self.leeway.as_secs(),
                startup_timeout: self.startup_timeout,
                max_token_size: self.max_token_size,
                token_cache_size: self.token_cache_size,
                realm: self.realm,
                clock: self.clock,
                cookie,
            },
        })
    }
}

/// `Ok` when `value` is within `min..=max`; the error names the setting otherwise.
fn check_range(
    name: &'static str,
    value: Duration,
    min: Duration,
    max: Duration,
    reason: &'static str,
) -> Result<(), ConfigError> {
    if (min..=max).contains(&value) {
        Ok(())
    } else {
        Err(ConfigError::OutOfRange { name, reason })
    }
}

impl PoolBuilder {
    /// One pool's settings, validated.
    fn build(self) -> Result<PoolSettings, ConfigError> {
        let id = UserPoolId::parse(&self.user_pool_id)?;
        let pool = self.user_pool_id;
        let region = self.region.unwrap_or_else(|| id.region().to_owned());
        if !is_valid_region(&region) {
            return Err(ConfigError::InvalidRegion(region));
        }
        let domain = self.issuer_domain;
        if domain.is_empty()
            || domain.starts_with('.')
            || domain.ends_with('.')
            || !domain
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'.')
        {
            return Err(ConfigError::InvalidIssuerDomain(domain));
        }
        let issuer = format!("https://cognito-idp.{region}.{domain}/{pool}");
        let updated_issuer = self
            .accept_updated_issuer
            .then(|| format!("https://issuer-cognito-idp.{region}.{domain}/{pool}"));
        let jwks_url = match self.jwks_url {
            Some(url) => parse_jwks_url(&url)?,
            None => parse_jwks_url(&format!("{issuer}/.well-known/jwks.json"))?,
        };

        let clients = if self.any_client {
            ClientPolicy::Any
        } else if self.client_ids.is_empty() {
            return Err(ConfigError::MissingClientId);
        } else {
            let mut ids: Vec<Box<str>> = Vec::with_capacity(self.client_ids.len());
            for id in self.client_ids {
                if !is_valid_client_id(&id) {
                    return Err(ConfigError::InvalidClientId(id));
                }
                if !ids.iter().any(|known| &**known == id.as_str()) {
                    ids.push(id.into_boxed_str());
                }
            }
            ClientPolicy::OneOf(ids.into_boxed_slice())
        };
        let token_use = self.token_use.ok_or(ConfigError::MissingTokenUse)?;

        check_range(
            "refresh_interval",
            self.refresh_interval,
            Duration::from_secs(1),
            MAX_REFRESH_INTERVAL,
            "from 1 s to 7 days",
        )?;
        check_range(
            "unknown_kid_cooldown",
            self.unknown_kid_cooldown,
            Duration::from_millis(100),
            Duration::from_secs(3600),
            "from 100 ms to 1 h",
        )?;
        check_range(
            "fetch_timeout",
            self.fetch_timeout,
            Duration::from_millis(1),
            Duration::from_secs(300),
            "from 1 ms to 5 min",
        )?;
        if !(1024..=16 * 1024 * 1024).contains(&self.max_jwks_size) {
            return Err(ConfigError::OutOfRange {
                name: "max_jwks_size",
                reason: "from 1 KiB to 16 MiB",
            });
        }
        if self
            .max_key_age
            .is_some_and(|age| age <= self.refresh_interval || age > MAX_KEY_AGE)
        {
            return Err(ConfigError::OutOfRange {
                name: "max_key_age",
                reason: "longer than refresh_interval, at most 30 days",
            });
        }
        Ok(PoolSettings {
            user_pool_id: pool,
            region,
            issuer,
            updated_issuer,
            jwks_url,
            clients,
            token_use,
            refresh_interval: self.refresh_interval,
            unknown_kid_cooldown: self.unknown_kid_cooldown,
            fetch_timeout: self.fetch_timeout,
            max_jwks_size: self.max_jwks_size,
            max_key_age: self.max_key_age,
        })
    }
}

/// An RFC 6265 cookie name: an RFC 9110 `token`.
fn is_cookie_name(name: &str) -> bool {
    !name.is_empty() && name.bytes().all(is_tchar)
}

/// The JWKS URL under the crate's fetch-URL rule ([`fetch_url`]).
fn parse_jwks_url(raw: &str) -> Result<Url, ConfigError> {
    fetch_url(raw).map_err(|reason| ConfigError::InvalidJwksUrl {
        url: without_userinfo(raw),
        reason,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn base() -> CognitoConfigBuilder {
        CognitoConfig::builder("us-east-1_AbC123")
            .client_id("client1")
            .token_use(TokenUse::Access)
    }

    #[test]
    fn derives_issuer_region_and_jwks_url() {
        let c = base().build().unwrap();
        assert_eq!(c.region(), "us-east-1");
        assert_eq!(
            c.issuer(),
            "https://cognito-idp.us-east-1.amazonaws.com/us-east-1_AbC123"
        );
        assert_eq!(
            c.jwks_url(),
            "https://cognito-idp.us-east-1.amazonaws.com/us-east-1_AbC123/.well-known/jwks.json"
        );
        assert!(c.updated_issuer().is_none());
        assert!(c.issuer_matches("https://cognito-idp.us-east-1.amazonaws.com/us-east-1_AbC123"));
        assert!(!c.issuer_matches("https://cognito-idp.us-east-1.amazonaws.com/us-east-1_AbC123/"));
    }

    #[test]
    fn updated_issuer_and_other_partitions() {
        let c = CognitoConfig::builder("cn-north-1_X1")
            .allow_any_client()
            .any_token_use()
            .issuer_domain("amazonaws.com.cn")
            .accept_updated_issuer(true)
            .build()
            .unwrap();
        assert_eq!(
            c.issuer(),
            "https://cognito-idp.cn-north-1.amazonaws.com.cn/cn-north-1_X1"
        );
        assert_eq!(
            c.updated_issuer(),
            Some("https://issuer-cognito-idp.cn-north-1.amazonaws.com.cn/cn-north-1_X1")
        );
        assert!(c.issuer_matches(
            "https://issuer-cognito-idp.cn-north-1.amazonaws.com.cn/cn-north-1_X1"
        ));
        assert!(c.client_ids().is_none());
    }

    #[test]
    fn required_choices() {
        let e = CognitoConfig::builder("us-east-1_A")
            .token_use(TokenUse::Id)
            .build()
            .unwrap_err();
        assert_eq!(e, ConfigError::MissingClientId);
        let e = CognitoConfig::builder("us-east-1_A")
            .client_id("c")
            .build()
            .unwrap_err();
        assert_eq!(e, ConfigError::MissingTokenUse);
        assert!(matches!(
            base().client_id("bad id").build(),
            Err(ConfigError::InvalidClientId(_))
        ));
    }

    #[test]
    fn jwks_url_rules() {
        for ok in [
            "https://example.com/jwks.json",
            "http://127.0.0.1:9/x",
            "http://localhost:1/x",
            "http://[::1]:2/x",
            "http://127.5.6.7/x",
        ] {
            assert!(base().jwks_url(ok).build().is_ok(), "{ok}");
        }
        for bad in [
            "http://example.com/jwks",
            "ftp://127.0.0.1/x",
            "not a url",
            "https://user:pw@example.com/x",
            "http://10.0.0.1/x",
            "http://localhost.evil.com/x",
        ] {
            assert!(
                matches!(
                    base().jwks_url(bad).build(),
                    Err(ConfigError::InvalidJwksUrl { .. })
                ),
                "{bad}"
            );
        }
    }

    #[test]
    fn a_refused_url_keeps_no_credentials() {
        let err = base()
            .jwks_url("https://user:s3cret@example.com/x")
            .build()
            .unwrap_err();
        let text = format!("{err} {err:?}");
        assert!(
            !text.contains("s3cret") && !text.contains("user:"),
            "{text}"
        );
        assert!(text.contains("example.com"), "{text}");
    }

    #[test]
    fn ranges_and_realm() {
        assert!(base().leeway(Duration::from_secs(601)).build().is_err());
        assert!(base().fetch_timeout(Duration::ZERO).build().is_err());
        assert!(base().max_token_size(10).build().is_err());
        assert!(base().max_jwks_size(10).build().is_err());
        assert!(
            base()
                .max_key_age(CognitoConfig::DEFAULT_REFRESH_INTERVAL)
                .build()
                .is_err()
        );
        assert!(
            base()
                .max_key_age(CognitoConfig::DEFAULT_REFRESH_INTERVAL * 4)
                .build()
                .is_ok()
        );
        assert!(
            base()
                .refresh_interval(Duration::from_millis(10))
                .build()
                .is_err()
        );
        assert!(matches!(
            base().realm("a\"b").build(),
            Err(ConfigError::InvalidRealm(_))
        ));
        assert!(matches!(
            base().region("US_EAST").build(),
            Err(ConfigError::InvalidRegion(_))
        ));
        assert!(matches!(
            base().issuer_domain("evil.com/x").build(),
            Err(ConfigError::InvalidIssuerDomain(_))
        ));
    }
}
