//! The key refresher: the only code that does I/O. One tokio task per issuer fetches the JWKS,
//! prepares a [`KeySet`] and hands it to the issuer's key store
//! ([`IssuerKeys`](crate::keystore::IssuerKeys)); the request path only loads the current set.

use std::sync::Arc;
use std::time::Duration;

use reqwest::Url;
use tokio::task::AbortHandle;
use tokio::time::Instant;

use crate::clock::Clock;
use crate::config::{CognitoConfig, is_loopback};
use crate::error::ConfigError;
use crate::keys::{JwksError, KeySet};
use crate::keystore::IssuerKeys;

const BACKOFF_BASE: Duration = Duration::from_millis(500);
const BACKOFF_CAP: Duration = Duration::from_secs(30);
const MAX_REDIRECTS: usize = 3;

/// Why one fetch gave no key set.
#[derive(Debug, thiserror::Error)]
pub(crate) enum FetchError {
    #[error("request failed: {0}")]
    Http(#[source] reqwest::Error),
    #[error("HTTP status {0}")]
    Status(u16),
    #[error("timed out after {0:?}")]
    Timeout(Duration),
    #[error("body larger than {0} bytes")]
    TooLarge(usize),
    #[error(transparent)]
    Jwks(#[from] JwksError),
}

/// Stops the refresher when the last clone of the layer goes (a deliberate end: not logged).
#[derive(Debug)]
pub(crate) struct RefresherHandle {
    task: AbortHandle,
    keys: Arc<IssuerKeys>,
}

impl RefresherHandle {
    pub(crate) fn new(task: AbortHandle, keys: Arc<IssuerKeys>) -> Self {
        Self { task, keys }
    }
}

impl Drop for RefresherHandle {
    fn drop(&mut self) {
        self.keys.stop();
        self.task.abort();
    }
}

/// Fetches and prepares the JWKS of one issuer.
#[derive(Debug, Clone)]
pub(crate) struct Fetcher {
    client: reqwest::Client,
    url: Url,
    max_size: usize,
    timeout: Duration,
}

impl Fetcher {
    pub(crate) fn new(config: &CognitoConfig) -> Result<Self, ConfigError> {
        let url = config.jwks_url.clone();
        let origin = url.origin();
        let policy = reqwest::redirect::Policy::custom(move |attempt| {
            if attempt.previous().len() > MAX_REDIRECTS {
                attempt.error("too many redirects")
            } else if attempt.url().origin() == origin {
                attempt.follow()
            } else {
                // Another host (or scheme, or port): not followed; the 3xx is a failed fetch.
                attempt.stop()
            }
        });
        let mut builder = reqwest::Client::builder()
            .redirect(policy)
            .user_agent(concat!("tower-cognito/", env!("CARGO_PKG_VERSION")))
            // One request every few minutes: a pooled connection would only hold a socket open.
            .pool_max_idle_per_host(0);
        if url.host().as_ref().is_some_and(is_loopback) {
            builder = builder.no_proxy();
        }
        let client = builder
            .build()
            .map_err(|e| ConfigError::HttpClient(e.to_string()))?;
        Ok(Self {
            client,
            url,
            max_size: config.max_jwks_size,
            timeout: config.fetch_timeout,
        })
    }

    pub(crate) async fn fetch(&self) -> Result<KeySet, FetchError> {
        match tokio::time::timeout(self.timeout, self.fetch_body()).await {
            Ok(body) => Ok(KeySet::from_jwks(&body?)?),
            Err(_) => Err(FetchError::Timeout(self.timeout)),
        }
    }

    async fn fetch_body(&self) -> Result<Vec<u8>, FetchError> {
        let mut response = self
            .client
            .get(self.url.clone())
            .header(http::header::ACCEPT, "application/json")
            .send()
            .await
            .map_err(FetchError::Http)?;
        if !response.status().is_success() {
            return Err(FetchError::Status(response.status().as_u16()));
        }
        if response
            .content_length()
            .is_some_and(|len| len > self.max_size as u64)
        {
            return Err(FetchError::TooLarge(self.max_size));
        }
        let mut body = Vec::new();
        while let Some(chunk) = response.chunk().await.map_err(FetchError::Http)? {
            if body.len() + chunk.len() > self.max_size {
                return Err(FetchError::TooLarge(self.max_size));
            }
            body.extend_from_slice(&chunk);
        }
        Ok(body)
    }
}

/// Timing of one refresher, and the clock its successes are stamped with.
#[derive(Debug, Clone)]
pub(crate) struct Schedule {
    pub(crate) interval: Duration,
    pub(crate) cooldown: Duration,
    pub(crate) clock: Arc<dyn Clock>,
}

impl Schedule {
    pub(crate) fn from_config(config: &CognitoConfig) -> Self {
        Self {
            interval: config.refresh_interval,
            cooldown: config.unknown_kid_cooldown,
            clock: Arc::clone(&config.clock),
        }
    }
}

/// Lives inside the refresher task: when the task ends, however it ends (the loop never returns,
/// so: a panic, an abort, or its runtime shut down with the layer still in use elsewhere), the
/// drop marks the refresher dead for readiness and logs an error once, unless the layer itself
/// stopped it.
struct RunningGuard(Arc<IssuerKeys>);

impl Drop for RunningGuard {
    fn drop(&mut self) {
        if self.0.refresher_ended() {
            tracing::error!(
                "the JWKS refresher task ended (panic, abort or runtime shutdown); the key set is \
                 no longer refreshed and readiness reports it"
            );
        }
    }
}

/// `at + d`, or (should it overflow, which the bounds of `build()` rule out) the latest instant
/// reachable from `at`: never a panic.
fn later(at: Instant, d: Duration) -> Instant {
    at.checked_add(d)
        .or_else(|| at.checked_add(MAX_WAIT))
        .unwrap_or(at)
}

/// Longest single wait of the refresher (the longest refresh interval `build()` accepts).
const MAX_WAIT: Duration = Duration::from_secs(7 * 24 * 3600);

/// The refresher task: fetch, swap, wait (interval, backoff or nudge), repeat. It ends when the
/// layer aborts it (the last clone of the layer dropped).
pub(crate) async fn run(keys: Arc<IssuerKeys>, fetcher: Fetcher, schedule: Schedule) {
    let _running = RunningGuard(Arc::clone(&keys));
    let mut failures: u32 = 0;
    loop {
        let started = Instant::now();
        keys.fetch_started();

        let wait = match fetcher.fetch().await {
            Ok(set) => {
                tracing::debug!(keys = set.len(), skipped = set.skipped(), "JWKS loaded");
                keys.fetch_succeeded(set, schedule.clock.now());
                failures = 0;
                schedule.interval
            }
            Err(error) => {
                tracing::warn!(%error, "JWKS fetch failed; keeping the previous key set");
                keys.fetch_failed(error.to_string());
                failures = failures.saturating_add(1);
                backoff(failures).min(schedule.interval)
            }
        };

        // Wait for the next scheduled fetch. An unknown-`kid` nudge brings it forward to the end
        // of the cooldown (counted from the start of the last fetch), so a flood of forged `kid`s
        // costs at most one fetch per cooldown and a real rotation is picked up as soon as allowed.
        // Staleness needs no timer here: the request path decides it from `last_success`.
        let mut next = later(Instant::now(), wait);
        let cooldown_end = later(started, schedule.cooldown);
        loop {
            // A wake-up whose request the fetch above already served is ignored.
            if keys.nudged_before(next).await {
                next = next.min(cooldown_end);
            }
            if Instant::now() >= next {
                break;
            }
        }
    }
}

/// Exponential backoff with "equal jitter": half the delay fixed, half random.
fn backoff(failures: u32) -> Duration {
    let exp = BACKOFF_BASE.saturating_mul(1u32 << failures.saturating_sub(1).min(16));
    let delay = exp.min(BACKOFF_CAP);
    let half = delay / 2;
    half + half.mul_f64(random_unit())
}

fn random_unit() -> f64 {
    let mut bytes = [0u8; 8];
    if aws_lc_rs::rand::fill(&mut bytes).is_err() {
        return 0.5;
    }
    (u64::from_le_bytes(bytes) >> 11) as f64 / (1u64 << 53) as f64
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_grows_and_is_capped() {
        for failures in 1..40 {
            let d = backoff(failures);
            let full = BACKOFF_BASE
                .saturating_mul(1 << (failures - 1).min(16))
                .min(BACKOFF_CAP);
            assert!(d >= full / 2 && d <= full, "{failures}: {d:?}");
        }
        assert!(backoff(1) <= Duration::from_millis(500));
        assert!(backoff(30) >= Duration::from_secs(15));
    }
}
