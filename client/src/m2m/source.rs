//! [`TokenSource`]: one cached access token per scope set, refreshed ahead of expiry, one
//! request for any number of concurrent callers, backoff on failure.

use std::collections::HashMap;
use std::fmt;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use arc_swap::{ArcSwap, ArcSwapOption};
use http::HeaderValue;
use http::header::AUTHORIZATION;
use reqwest::Url;
use tokio::sync::{Mutex, OwnedMutexGuard};

use super::answer;
use super::clock::Clock;
use super::error::{TokenError, TokenErrorKind};
use super::fetch;
use super::scopes::Scopes;
use super::stats::{Counters, TokenSourceStats};
use super::token::{AccessToken, Granted};
use crate::secret::Secret;

mod builder;

pub use self::builder::TokenSourceBuilder;

/// Access tokens for one app client from the token endpoint's `client_credentials` grant,
/// cached so that each token costs one request: Cognito bills machine-to-machine token
/// requests, so a caller that fetched a token per call would pay per call.
///
/// - One token per scope set ([`Scopes`]: sorted, without duplicates); two sources never share
///   one.
/// - A cached token is handed out without any lock or await (two atomic loads). From the
///   refresh margin before its end, the next call starts one refresh in the background and
///   keeps getting the cached token meanwhile.
/// - On an empty or expired entry, concurrent callers wait for one request and all get its
///   token, or its error.
/// - A failure backs off (with jitter; long for a configuration error, logged once), during
///   which callers get [`TokenErrorKind::BackingOff`] without a request. A token is never
///   handed out once expired: lifetimes run on a monotonic clock from the moment the request
///   was sent, less a skew.
/// - With a [`second_secret`](TokenSourceBuilder::second_secret), an `invalid_client` answer
///   to one secret makes it try the other.
///
/// Cheap to clone (the cache is shared).
///
/// ```no_run
/// use tower_cognito_client::m2m::{Scopes, TokenSource};
///
/// # async fn run() -> Result<(), Box<dyn std::error::Error>> {
/// let tokens = TokenSource::builder(
///     "https://example.auth.us-east-1.amazoncognito.com",
///     "4r1ktl3f2lrrvc1e5e0hdh1gjo",
///     std::env::var("COGNITO_CLIENT_SECRET")?,
/// )
/// .scopes("orders/read".parse::<Scopes>()?)
/// .build()?;
/// let http = reqwest::Client::new();
/// let answer = tokens
///     .authorize(http.get("https://orders.example.com/v1/orders"))
///     .await?
///     .send()
///     .await?;
/// # let _ = answer; Ok(()) }
/// ```
#[derive(Clone)]
pub struct TokenSource {
    pub(crate) inner: Arc<Inner>,
}

pub(crate) struct Inner {
    pub(crate) client_id: String,
    /// `Basic ...` of each client secret.
    pub(crate) authorizations: Vec<Secret>,
    /// The secret tried first: the last one that worked.
    pub(crate) preferred: AtomicUsize,
    pub(crate) endpoint: Url,
    pub(crate) http: reqwest::Client,
    pub(crate) timeout: Duration,
    pub(crate) scopes: Scopes,
    pub(crate) timing: Timing,
    pub(crate) clock: Arc<dyn Clock>,
    pub(crate) entries: ArcSwap<HashMap<Scopes, Arc<Entry>>>,
    pub(crate) counters: Counters,
}

/// The time settings.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Timing {
    pub(crate) skew: Duration,
    pub(crate) margin: Option<Duration>,
    pub(crate) backoff_first: Duration,
    pub(crate) backoff_max: Duration,
    pub(crate) configuration_backoff: Duration,
}

impl Default for Timing {
    fn default() -> Self {
        Self {
            skew: Duration::from_secs(10),
            margin: None,
            backoff_first: Duration::from_secs(1),
            backoff_max: Duration::from_secs(60),
            configuration_backoff: Duration::from_secs(300),
        }
    }
}

/// One scope set's token, and the lock that makes its requests one at a time.
pub(crate) struct Entry {
    scopes: Scopes,
    token: ArcSwapOption<Granted>,
    fetch: Arc<Mutex<Backoff>>,
}

/// What the last failures left: when the next request may be, and why.
#[derive(Default)]
struct Backoff {
    failures: u32,
    not_before: Duration,
    last: Option<TokenError>,
}

impl fmt::Debug for TokenSource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TokenSource")
            .field("token_endpoint", &self.inner.endpoint.as_str())
            .field("client_id", &self.inner.client_id)
            .field("secrets", &self.inner.authorizations)
            .field("scopes", &self.inner.scopes)
            .field("timing", &self.inner.timing)
            .finish_non_exhaustive()
    }
}

impl TokenSource {
    /// Default time limit of one token request: 10 s.
    pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(10);

    /// A builder for the app client `client_id` with its `client_secret`, on the user pool's
    /// managed-login `domain` (`https://<prefix>.auth.<region>.amazoncognito.com`, a custom
    /// domain, or `http://127.0.0.1:PORT` for a local pool). Tokens come from
    /// `<domain>/oauth2/token`.
    pub fn builder(
        domain: impl Into<String>,
        client_id: impl Into<String>,
        client_secret: impl Into<Secret>,
    ) -> TokenSourceBuilder {
        TokenSourceBuilder::new(domain.into(), client_id.into(), client_secret.into())
    }

    /// The app client id.
    pub fn client_id(&self) -> &str {
        &self.inner.client_id
    }

    /// The token endpoint, `<domain>/oauth2/token`.
    pub fn token_endpoint(&self) -> &str {
        self.inner.endpoint.as_str()
    }

    /// The scopes [`token`](Self::token) asks for.
    pub fn scopes(&self) -> &Scopes {
        &self.inner.scopes
    }

    /// The counters since the source was built.
    pub fn stats(&self) -> TokenSourceStats {
        self.inner.counters.snapshot()
    }

    /// A valid token for the source's scopes: the cached one, or a new one.
    ///
    /// # Errors
    /// A [`TokenError`] when there is no valid token and the request failed, or the source is
    /// backing off after a failure.
    pub async fn token(&self) -> Result<AccessToken, TokenError> {
        let scopes = &self.inner.scopes;
        self.token_for(scopes).await
    }

    /// A valid token for `scopes`: the cached one, or a new one.
    ///
    /// # Errors
    /// As [`token`](Self::token).
    pub async fn token_for(&self, scopes: &Scopes) -> Result<AccessToken, TokenError> {
        if let Some(token) = self.cached(scopes) {
            return Ok(token);
        }
        let entry = self.entry(scopes);
        let guard = Arc::clone(&entry.fetch).lock_owned().await;
        let now = self.inner.clock.now();
        if let Some(token) = entry.token.load_full().filter(|t| now < t.expires_at) {
            return Ok(AccessToken(token));
        }
        if let Some(error) = guard.waiting(now) {
            return Err(error);
        }
        self.inner.fetch(&entry, guard).await
    }

    /// The cached token for `scopes` if it is still valid, without waiting; starts the
    /// background refresh when the token is within its refresh margin.
    pub fn cached(&self, scopes: &Scopes) -> Option<AccessToken> {
        let entries = self.inner.entries.load();
        let entry = entries.get(scopes)?;
        let token = entry.token.load_full()?;
        let now = self.inner.clock.now();
        if now >= token.expires_at {
            return None;
        }
        if now >= token.refresh_at {
            self.refresh_ahead(entry, now);
        }
        Some(AccessToken(token))
    }

    /// `request` with `Authorization: Bearer <token>` for the source's scopes: the one-call
    /// helper for reqwest.
    ///
    /// # Errors
    /// As [`token`](Self::token).
    pub async fn authorize(
        &self,
        request: reqwest::RequestBuilder,
    ) -> Result<reqwest::RequestBuilder, TokenError> {
        let token = self.token().await?;
        Ok(request.header(AUTHORIZATION, token.header_value().clone()))
    }

    /// The entry of `scopes`, made on first use.
    fn entry(&self, scopes: &Scopes) -> Arc<Entry> {
        if let Some(entry) = self.inner.entries.load().get(scopes) {
            return Arc::clone(entry);
        }
        self.inner.entries.rcu(|entries| {
            let mut entries = HashMap::clone(entries);
            entries.entry(scopes.clone()).or_insert_with(|| {
                Arc::new(Entry {
                    scopes: scopes.clone(),
                    token: ArcSwapOption::empty(),
                    fetch: Arc::new(Mutex::new(Backoff::default())),
                })
            });
            entries
        });
        let entries = self.inner.entries.load();
        match entries.get(scopes) {
            Some(entry) => Arc::clone(entry),
            // Entries are never removed: the one just stored is there.
            None => Arc::new(Entry {
                scopes: scopes.clone(),
                token: ArcSwapOption::empty(),
                fetch: Arc::new(Mutex::new(Backoff::default())),
            }),
        }
    }

    /// Starts one background refresh of `entry`, unless one is running, the source is backing
    /// off, or there is no tokio runtime here (then the token is fetched when it expires).
    fn refresh_ahead(&self, entry: &Arc<Entry>, now: Duration) {
        let Ok(runtime) = tokio::runtime::Handle::try_current() else {
            return;
        };
        let Ok(guard) = Arc::clone(&entry.fetch).try_lock_owned() else {
            return;
        };
        if guard.waiting(now).is_some() {
            return;
        }
        // Another refresh may have finished between the caller's read and the lock.
        if entry
            .token
            .load()
            .as_ref()
            .is_some_and(|t| now < t.refresh_at)
        {
            return;
        }
        let inner = Arc::clone(&self.inner);
        let entry = Arc::clone(entry);
        inner.counters.refresh();
        runtime.spawn(async move {
            let _ = inner.fetch(&entry, guard).await;
        });
    }
}

impl Backoff {
    /// The error to give while the backoff runs.
    fn waiting(&self, now: Duration) -> Option<TokenError> {
        match &self.last {
            Some(last) if now < self.not_before => {
                Some(TokenError::backing_off(last, self.not_before - now))
            }
            _ => None,
        }
    }
}

impl Inner {
    /// Requests a token for `entry` (holding its lock) and caches it, or records the failure.
    async fn fetch(
        &self,
        entry: &Entry,
        mut backoff: OwnedMutexGuard<Backoff>,
    ) -> Result<AccessToken, TokenError> {
        let sent = self.clock.now();
        match self.request(&entry.scopes).await {
            Ok(granted) => {
                let token = self.granted(granted, &entry.scopes, sent)?;
                entry.token.store(Some(Arc::clone(&token)));
                *backoff = Backoff::default();
                self.counters.token();
                Ok(AccessToken(token))
            }
            Err(error) => {
                self.failed(&mut backoff, &error);
                Err(error)
            }
        }
    }

    /// One request, with the other secret after an `invalid_client`.
    async fn request(&self, scopes: &Scopes) -> Result<answer::Granted, TokenError> {
        let count = self.authorizations.len();
        let first = self.preferred.load(Ordering::Relaxed);
        let mut last = TokenError::new(TokenErrorKind::Refused, "no client secret");
        for attempt in 0..count {
            let index = (first + attempt) % count;
            let Some(authorization) = self.authorizations.get(index) else {
                break;
            };
            self.counters.token_request();
            match fetch::request(
                &self.http,
                &self.endpoint,
                authorization,
                scopes,
                self.timeout,
            )
            .await
            {
                Ok(granted) => {
                    self.preferred.store(index, Ordering::Relaxed);
                    return Ok(granted);
                }
                Err(error) if error.is_invalid_client() && attempt + 1 < count => {
                    crate::log::warning!(
                        client_id = %self.client_id,
                        "the token endpoint refused a client secret; trying the other"
                    );
                    self.counters.failure("invalid_client");
                    last = error;
                }
                Err(error) => return Err(error),
            }
        }
        Err(last)
    }

    /// The cached form of a token answer received for a request sent at `sent`.
    fn granted(
        &self,
        granted: answer::Granted,
        scopes: &Scopes,
        sent: Duration,
    ) -> Result<Arc<Granted>, TokenError> {
        let mut header = HeaderValue::from_str(&format!("Bearer {}", granted.access_token))
            .map_err(|_| {
                TokenError::new(
                    TokenErrorKind::InvalidAnswer,
                    "the access token does not fit in a header",
                )
            })?;
        header.set_sensitive(true);
        let lifetime = Duration::from_secs(granted.expires_in);
        let skew = self.timing.skew.min(lifetime / 2);
        let expires_at = sent.saturating_add(lifetime - skew);
        let margin = self
            .timing
            .margin
            .unwrap_or_else(|| Duration::from_secs(60).min(lifetime / 10));
        Ok(Arc::new(Granted {
            value: Secret::new(granted.access_token),
            header,
            scopes: scopes.clone(),
            lifetime,
            refresh_at: expires_at.saturating_sub(margin).max(sent),
            expires_at,
        }))
    }

    /// Records a failure: counts it, logs it (a configuration error once at `error`), and
    /// sets the next request's earliest time.
    fn failed(&self, backoff: &mut Backoff, error: &TokenError) {
        let reason = match error.kind() {
            TokenErrorKind::Refused => error.oauth_error().unwrap_or("refused"),
            TokenErrorKind::Status => "status",
            TokenErrorKind::Transport => "transport",
            TokenErrorKind::Timeout => "timeout",
            _ => "invalid_answer",
        };
        self.counters.failure(reason);
        let repeated = backoff.last.as_ref().is_some_and(|last| {
            last.kind() == error.kind() && last.oauth_error() == error.oauth_error()
        });
        let wait = if error.is_configuration() {
            if !repeated {
                crate::log::error!(
                    client_id = %self.client_id,
                    error = %error,
                    "the token endpoint refused the client configuration; retrying slowly"
                );
            }
            self.timing.configuration_backoff
        } else {
            if !repeated {
                crate::log::warning!(client_id = %self.client_id, error = %error, "token request failed");
            }
            let doubled = self
                .timing
                .backoff_first
                .saturating_mul(1 << backoff.failures.min(16));
            jitter(doubled.min(self.timing.backoff_max))
        };
        backoff.failures = backoff.failures.saturating_add(1);
        backoff.not_before = self.clock.now().saturating_add(wait);
        backoff.last = Some(error.clone());
    }
}

/// Between half and all of `wait`, at random (all of it if the system has no randomness).
fn jitter(wait: Duration) -> Duration {
    let mut bytes = [0u8; 4];
    if aws_lc_rs::rand::fill(&mut bytes).is_err() {
        return wait;
    }
    let fraction = f64::from(u32::from_le_bytes(bytes)) / f64::from(u32::MAX);
    wait.mul_f64(0.5 + fraction / 2.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn jitter_stays_within_half_and_all() {
        let wait = Duration::from_secs(8);
        for _ in 0..100 {
            let j = jitter(wait);
            assert!(j >= wait / 2 && j <= wait, "{j:?}");
        }
    }
}
