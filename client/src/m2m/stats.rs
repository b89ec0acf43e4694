//! The token source's counters: token requests (the billed unit), tokens received, background
//! refreshes, failures; exported through `metrics` with the `metrics` feature.

use std::sync::atomic::{AtomicU64, Ordering};

/// The token source's counters since it was built; see
/// [`TokenSource::stats`](super::TokenSource::stats).
///
/// With the `metrics` feature the same figures are counters labelled `client_id`:
/// `tower_cognito_client_token_requests_total`, `tower_cognito_client_tokens_total`,
/// `tower_cognito_client_token_refreshes_total` and `tower_cognito_client_token_failures_total`
/// (also labelled `reason`: the OAuth error code, `status`, `transport`, `timeout` or
/// `invalid_answer`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct TokenSourceStats {
    /// HTTP requests to the token endpoint: what Cognito bills.
    pub token_requests: u64,
    /// Tokens received and cached.
    pub tokens: u64,
    /// Refreshes started in the background ahead of expiry.
    pub refreshes: u64,
    /// Failed token requests (refusals, error statuses, transport failures, timeouts,
    /// invalid answers).
    pub failures: u64,
}

#[derive(Debug)]
pub(crate) struct Counters {
    #[cfg_attr(not(feature = "metrics"), allow(dead_code))]
    client_id: String,
    token_requests: AtomicU64,
    tokens: AtomicU64,
    refreshes: AtomicU64,
    failures: AtomicU64,
}

impl Counters {
    pub(crate) fn new(client_id: &str) -> Self {
        Self {
            client_id: client_id.to_owned(),
            token_requests: AtomicU64::new(0),
            tokens: AtomicU64::new(0),
            refreshes: AtomicU64::new(0),
            failures: AtomicU64::new(0),
        }
    }

    pub(crate) fn token_request(&self) {
        self.token_requests.fetch_add(1, Ordering::Relaxed);
        #[cfg(feature = "metrics")]
        metrics::counter!("tower_cognito_client_token_requests_total", "client_id" => self.client_id.clone())
            .increment(1);
    }

    pub(crate) fn token(&self) {
        self.tokens.fetch_add(1, Ordering::Relaxed);
        #[cfg(feature = "metrics")]
        metrics::counter!("tower_cognito_client_tokens_total", "client_id" => self.client_id.clone())
            .increment(1);
    }

    pub(crate) fn refresh(&self) {
        self.refreshes.fetch_add(1, Ordering::Relaxed);
        #[cfg(feature = "metrics")]
        metrics::counter!("tower_cognito_client_token_refreshes_total", "client_id" => self.client_id.clone())
            .increment(1);
    }

    pub(crate) fn failure(&self, reason: &str) {
        self.failures.fetch_add(1, Ordering::Relaxed);
        #[cfg(feature = "metrics")]
        metrics::counter!(
            "tower_cognito_client_token_failures_total",
            "client_id" => self.client_id.clone(),
            "reason" => reason.to_owned()
        )
        .increment(1);
        #[cfg(not(feature = "metrics"))]
        let _ = reason;
    }

    pub(crate) fn snapshot(&self) -> TokenSourceStats {
        TokenSourceStats {
            token_requests: self.token_requests.load(Ordering::Relaxed),
            tokens: self.tokens.load(Ordering::Relaxed),
            refreshes: self.refreshes.load(Ordering::Relaxed),
            failures: self.failures.load(Ordering::Relaxed),
        }
    }
}
