//! The key refresher: the only code that does I/O. One tokio task per issuer fetches the JWKS,
//! prepares a [`KeySet`] and swaps it in; the request path only loads the current set.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use arc_swap::ArcSwap;
use reqwest::Url;
use tokio::sync::{Notify, watch};
use tokio::time::Instant;

use crate::config::{Clock, CognitoConfig, is_loopback};
use crate::error::ConfigError;
use crate::keys::{JwksError, KeySet};

const BACKOFF_BASE: Duration = Duration::from_millis(500);
const BACKOFF_CAP: Duration = Duration::from_secs(30);
const MAX_REDIRECTS: usize = 3;

/// The key set of one issuer, shared by the request path and its refresher.
pub(crate) struct IssuerKeys {
    pub(crate) keys: ArcSwap<KeySet>,
    /// A refetch was asked for and not started yet (single-flight): set by the request path,
    /// cleared by the refresher when the fetch starts.
    refetch_wanted: AtomicBool,
    nudge: Notify,
    /// Counts successful swaps; `CognitoAuthLayer::new` waits on it.
    swaps: watch::Sender<u64>,
    fetches: AtomicU64,
    failures: AtomicU64,
    changes: AtomicU64,
    last_error: Mutex<Option<String>>,
    /// When the last fetch succeeded, in seconds of the layer's clock; 0 before the first one.
    /// The request path decides staleness from it (one atomic load), so the maximum key age
    /// holds even when the refresher is gone.
    last_success: AtomicU64,
    /// Whether the refresher task still runs. Cleared by the task itself as it ends, however it
    /// ends: returned, panicked, aborted, or dropped with its runtime.
    running: AtomicBool,
    /// The layer is going away and stopped the task on purpose: its end is not an error.
    stopping: AtomicBool,
    /// The staleness warning was logged for the current episode (reset by a successful fetch).
    stale_logged: AtomicBool,
    /// Whether a refresher runs; a static key set is never refetched.
    refreshing: bool,
}

impl std::fmt::Debug for IssuerKeys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("IssuerKeys")
            .field("keys", &self.keys.load())
            .field("fetches", &self.fetches)
            .field("failures", &self.failures)
            .finish_non_exhaustive()
    }
}

impl IssuerKeys {
    pub(crate) fn new(initial: KeySet, refreshing: bool) -> Self {
        Self {
            keys: ArcSwap::from_pointee(initial),
            refetch_wanted: AtomicBool::new(false),
            nudge: Notify::new(),
            swaps: watch::Sender::new(0),
            fetches: AtomicU64::new(0),
            failures: AtomicU64::new(0),
            changes: AtomicU64::new(0),
            last_error: Mutex::new(None),
            last_success: AtomicU64::new(0),
            running: AtomicBool::new(refreshing),
            stopping: AtomicBool::new(false),
            stale_logged: AtomicBool::new(false),
            refreshing,
        }
    }

    /// Whether the keys are past `max_age` seconds since the last successful fetch, at `now`
    /// (seconds of the layer's clock): one atomic load. Never before the first fetch succeeded
    /// (the empty key set answers 503 already), and never for a static key set.
    #[inline]
    pub(crate) fn is_stale(&self, max_age: u64, now: u64) -> bool {
        let last = self.last_success.load(Ordering::Acquire);
        let stale = last != 0 && now.saturating_sub(last) > max_age;
        if stale && !self.stale_logged.swap(true, Ordering::Relaxed) {
            tracing::warn!(
                "JWKS not refreshed within the maximum key age; keys are no longer trusted"
            );
        }
        stale
    }

    /// Seconds of the layer's clock of the last successful fetch; `None` before the first one.
    pub(crate) fn last_success(&self) -> Option<u64> {
        Some(self.last_success.load(Ordering::Acquire)).filter(|&t| t != 0)
    }

    /// Whether the key set is refreshed by a task that is still running (always `true` for a
    /// static key set, which needs none).
    pub(crate) fn refresher_alive(&self) -> bool {
        !self.refreshing || self.running.load(Ordering::Acquire)
    }

    /// Marks the coming end of the task as deliberate (the layer is dropped).
    pub(crate) fn stop(&self) {
        self.stopping.store(true, Ordering::Release);
    }

    /// Called on the request path for an unknown `kid`. In the common case (a refetch already
    /// asked for) it is one atomic load; the first call per fetch cycle also wakes the refresher.
    /// Never blocks, never awaits, never reads a clock: the refresher applies the cooldown.
    #[inline]
    pub(crate) fn request_refetch(&self) {
        if !self.refreshing || self.refetch_wanted.load(Ordering::Relaxed) {
            return;
        }
        if !self.refetch_wanted.swap(true, Ordering::AcqRel) {
            self.nudge.notify_one();
        }
    }

    pub(crate) fn stats(&self) -> RefreshStats {
        RefreshStats {
            fetches: self.fetches.load(Ordering::Relaxed),
            failures: self.failures.load(Ordering::Relaxed),
            swaps: *self.swaps.borrow(),
            changes: self.changes.load(Ordering::Relaxed),
        }
    }

    pub(crate) fn subscribe(&self) -> watch::Receiver<u64> {
        self.swaps.subscribe()
    }

    pub(crate) fn last_error(&self) -> Option<String> {
        self.last_error.lock().ok().and_then(|e| e.clone())
    }
}

/// Counters of a layer's key refresher.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub struct RefreshStats {
    /// JWKS fetches started.
    pub fetches: u64,
    /// Fetches that failed (the previous key set was kept).
    pub failures: u64,
    /// Fetches that produced a usable key set (a set identical to the current one is counted
    /// here but keeps the current set, and with it the verified-token cache).
    pub swaps: u64,
    /// Fetches whose key set differed from the current one and replaced it.
    pub changes: u64,
}

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
        let keys = &self.0;
        let was_running = keys.running.swap(false, Ordering::AcqRel);
        if was_running && !keys.stopping.load(Ordering::Acquire) {
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
        keys.refetch_wanted.store(false, Ordering::Release);
        let started = Instant::now();
        keys.fetches.fetch_add(1, Ordering::Relaxed);

        let wait = match fetcher.fetch().await {
            Ok(set) => {
                tracing::debug!(keys = set.len(), skipped = set.skipped(), "JWKS loaded");
                // An identical set keeps the current one, so the token cache (keyed by the key
                // set's identity) survives routine refreshes and refetches.
                if !keys.keys.load().same_keys(&set) {
                    keys.keys.store(Arc::new(set));
                    keys.changes.fetch_add(1, Ordering::Relaxed);
                }
                // 0 means "never": a clock at the epoch still stamps a success.
                let now = schedule.clock.now().max(1);
                keys.last_success.store(now, Ordering::Release);
                keys.stale_logged.store(false, Ordering::Relaxed);
                keys.swaps.send_modify(|n| *n = n.saturating_add(1));
                failures = 0;
                schedule.interval
            }
            Err(error) => {
                // The previous key set stays in place.
                keys.failures.fetch_add(1, Ordering::Relaxed);
                tracing::warn!(%error, "JWKS fetch failed; keeping the previous key set");
                if let Ok(mut last) = keys.last_error.lock() {
                    *last = Some(error.to_string());
                }
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
            if tokio::time::timeout_at(next, keys.nudge.notified())
                .await
                .is_ok()
                && keys.refetch_wanted.load(Ordering::Acquire)
            {
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
