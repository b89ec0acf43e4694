//! [`TokenSourceBuilder`]: the token source's settings, validated once by `build()`.

use std::collections::HashMap;
use std::fmt;
use std::sync::Arc;
use std::sync::atomic::AtomicUsize;
use std::time::Duration;

use arc_swap::ArcSwap;

use super::super::clock::{Clock, MonotonicClock};
use super::super::scopes::Scopes;
use super::super::stats::Counters;
use super::{Inner, Timing, TokenSource};
use crate::config::{
    ClientConfigError, MAX_CLIENT_SECRET_LEN, MAX_TIMEOUT, MIN_TIMEOUT, default_http_client,
    is_valid_client_id, parse_endpoint,
};
use crate::secret::Secret;
use crate::token_endpoint::basic_authorization;

/// Builds a [`TokenSource`]; see [`TokenSource::builder`].
pub struct TokenSourceBuilder {
    domain: String,
    client_id: String,
    secrets: Vec<Secret>,
    scopes: Scopes,
    timeout: Duration,
    timing: Timing,
    clock: Option<Arc<dyn Clock>>,
    http: Option<reqwest::Client>,
}

impl fmt::Debug for TokenSourceBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TokenSourceBuilder")
            .field("domain", &self.domain)
            .field("client_id", &self.client_id)
            .field("secrets", &self.secrets)
            .field("scopes", &self.scopes)
            .field("timeout", &self.timeout)
            .field("timing", &self.timing)
            .field("clock", &self.clock)
            .finish_non_exhaustive()
    }
}

impl TokenSourceBuilder {
    pub(crate) fn new(domain: String, client_id: String, secret: Secret) -> Self {
        Self {
            domain,
            client_id,
            secrets: vec![secret],
            scopes: Scopes::default(),
            timeout: TokenSource::DEFAULT_TIMEOUT,
            timing: Timing::default(),
            clock: None,
            http: None,
        }
    }

    /// A second client secret, tried when the token endpoint refuses the first with
    /// `invalid_client` (an app client may have two during a rotation, see Cognito's
    /// `AddUserPoolClientSecret`). The one that worked is tried first afterwards.
    pub fn second_secret(mut self, secret: impl Into<Secret>) -> Self {
        self.secrets.truncate(1);
        self.secrets.push(secret.into());
        self
    }

    /// The scopes [`TokenSource::token`] asks for (default: none, which asks for every custom
    /// scope the app client is allowed).
    pub fn scopes(mut self, scopes: Scopes) -> Self {
        self.scopes = scopes;
        self
    }

    /// The time limit of one token request, answer included (default 10 s; 1 ms to 5 min).
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// How much earlier than `expires_in` says a token stops being handed out (default 10 s,
    /// as golang.org/x/oauth2; at most 5 min; never more than half a token's lifetime).
    pub fn expiry_skew(mut self, skew: Duration) -> Self {
        self.timing.skew = skew;
        self
    }

    /// How long before that a call starts a refresh in the background (default: the smaller
    /// of 60 s and a tenth of the token's lifetime; at most 1 h).
    pub fn refresh_margin(mut self, margin: Duration) -> Self {
        self.timing.margin = Some(margin);
        self
    }

    /// The wait after a failed request: `first`, doubled after each further failure up to
    /// `max`, each with jitter (between half and all of it). Default 1 s to 60 s.
    pub fn backoff(mut self, first: Duration, max: Duration) -> Self {
        self.timing.backoff_first = first;
        self.timing.backoff_max = max;
        self
    }

    /// The wait after a configuration error ([`TokenError::is_configuration`]: the client or
    /// a scope refused), which retrying will not fix. Default 5 min.
    ///
    /// [`TokenError::is_configuration`]: crate::m2m::TokenError::is_configuration
    pub fn configuration_backoff(mut self, wait: Duration) -> Self {
        self.timing.configuration_backoff = wait;
        self
    }

    /// The clock lifetimes are counted on (default [`MonotonicClock`]); tests pass a
    /// [`ManualClock`](crate::m2m::ManualClock).
    pub fn clock(mut self, clock: impl Clock) -> Self {
        self.clock = Some(Arc::new(clock));
        self
    }

    /// The HTTP client (default: rustls, no redirects, no proxy for loopback).
    pub fn http_client(mut self, client: reqwest::Client) -> Self {
        self.http = Some(client);
        self
    }

    /// Validates everything and builds the source.
    ///
    /// # Errors
    /// A [`ClientConfigError`] naming the first setting refused: the domain (https, or plain
    /// http to loopback; no credentials, query or fragment), the client id, a secret (1 to
    /// 1024 bytes), the timeout, or a time setting out of its range.
    pub fn build(self) -> Result<TokenSource, ClientConfigError> {
        let domain = parse_endpoint(&self.domain)?;
        let mut endpoint = domain;
        let path = format!("{}/oauth2/token", endpoint.path().trim_end_matches('/'));
        endpoint.set_path(&path);
        if !is_valid_client_id(&self.client_id) {
            return Err(ClientConfigError::InvalidClientId(self.client_id));
        }
        if self
            .secrets
            .iter()
            .any(|s| s.is_empty() || s.expose().len() > MAX_CLIENT_SECRET_LEN)
        {
            return Err(ClientConfigError::InvalidClientSecret);
        }
        if !(MIN_TIMEOUT..=MAX_TIMEOUT).contains(&self.timeout) {
            return Err(ClientConfigError::TimeoutOutOfRange);
        }
        self.timing.check()?;
        let http = match self.http {
            Some(client) => client,
            None => default_http_client(&endpoint)?,
        };
        let authorizations = self
            .secrets
            .iter()
            .map(|secret| basic_authorization(&self.client_id, secret))
            .collect();
        Ok(TokenSource {
            inner: Arc::new(Inner {
                counters: Counters::new(&self.client_id),
                client_id: self.client_id,
                authorizations,
                preferred: AtomicUsize::new(0),
                endpoint,
                http,
                timeout: self.timeout,
                scopes: self.scopes,
                timing: self.timing,
                clock: self
                    .clock
                    .unwrap_or_else(|| Arc::new(MonotonicClock::default())),
                entries: ArcSwap::from_pointee(HashMap::new()),
            }),
        })
    }
}

impl Timing {
    fn check(&self) -> Result<(), ClientConfigError> {
        let refuse = ClientConfigError::InvalidSetting;
        if self.skew > Duration::from_secs(300) {
            return Err(refuse("the expiry skew is longer than 5 min"));
        }
        if self.margin.is_some_and(|m| m > Duration::from_secs(3600)) {
            return Err(refuse("the refresh margin is longer than 1 h"));
        }
        if self.backoff_first < Duration::from_millis(1) || self.backoff_first > self.backoff_max {
            return Err(refuse(
                "the backoff must start at 1 ms or more and not above its maximum",
            ));
        }
        if self.backoff_max > Duration::from_secs(3600)
            || self.configuration_backoff > Duration::from_secs(86_400)
        {
            return Err(refuse(
                "a backoff is too long (1 h, or 1 day for configuration)",
            ));
        }
        Ok(())
    }
}
