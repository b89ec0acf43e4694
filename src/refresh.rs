//! The key refresher: the only code that does I/O. One tokio task per issuer fetches the JWKS,
//! prepares a [`KeySet`] and hands it to the issuer's key store
//! ([`IssuerKeys`](crate::keystore::IssuerKeys)); the request path only loads the current set.

use std::sync::Arc;
use std::time::Duration;

use tokio::task::AbortHandle;
use tokio::time::Instant;

use crate::clock::Clock;
use crate::config::CognitoConfig;
use crate::keys::KeySet;
use crate::keystore::IssuerKeys;
use crate::kid_index::KidIndex;
use crate::source::{FetchError, JwksSource};

const BACKOFF_BASE: Duration = Duration::from_millis(500);
const BACKOFF_CAP: Duration = Duration::from_secs(30);

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

/// Timing of one refresher, the bounds of one fetch, and the clock its successes are stamped with.
#[derive(Debug, Clone)]
pub(crate) struct Schedule {
    pub(crate) interval: Duration,
    pub(crate) cooldown: Duration,
    pub(crate) fetch_timeout: Duration,
    pub(crate) max_size: usize,
    pub(crate) clock: Arc<dyn Clock>,
    /// The user pool id, for the events.
    #[cfg_attr(not(feature = "tracing"), allow(dead_code))]
    pub(crate) pool: Arc<str>,
}

impl Schedule {
    pub(crate) fn from_config(config: &CognitoConfig) -> Self {
        Self {
            interval: config.pool.refresh_interval,
            cooldown: config.pool.unknown_kid_cooldown,
            fetch_timeout: config.pool.fetch_timeout,
            max_size: config.pool.max_jwks_size,
            clock: Arc::clone(&config.layer.clock),
            pool: config.pool.user_pool_id.as_str().into(),
        }
    }
}

/// One fetch from `source`, bounded by the fetch timeout, parsed into a key set.
async fn fetch<S: JwksSource>(source: &S, schedule: &Schedule) -> Result<KeySet, FetchError> {
    match tokio::time::timeout(schedule.fetch_timeout, source.fetch(schedule.max_size)).await {
        Ok(body) => Ok(KeySet::from_jwks(&body?)?),
        Err(_) => Err(FetchError::Timeout(schedule.fetch_timeout)),
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
            crate::log::error!(
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
/// layer aborts it (the last clone of the layer dropped). `index`, in a layer of several pools,
/// is rebuilt after each swap of this pool's set (from every pool's current set).
pub(crate) async fn run<S: JwksSource>(
    keys: Arc<IssuerKeys>,
    source: S,
    schedule: Schedule,
    index: Option<Arc<KidIndex>>,
) {
    let _running = RunningGuard(Arc::clone(&keys));
    let mut failures: u32 = 0;
    loop {
        let started = Instant::now();
        keys.fetch_started();

        let wait = match fetch(&source, &schedule).await {
            Ok(set) => {
                // A new or rotated key set is worth an info line; the routine refresh is not.
                if keys.keys.load().same_keys(&set) {
                    crate::log::debug!(pool = &*schedule.pool, keys = set.len(), "JWKS unchanged");
                } else {
                    crate::log::info!(
                        pool = &*schedule.pool,
                        keys = set.len(),
                        skipped = set.skipped(),
                        "JWKS key set loaded"
                    );
                }
                keys.fetch_succeeded(set, schedule.clock.now(), || {
                    if let Some(index) = &index {
                        index.rebuild();
                    }
                });
                failures = 0;
                schedule.interval
            }
            Err(error) => {
                crate::log::warning!(
                    pool = &*schedule.pool,
                    %error,
                    "JWKS fetch failed; keeping the previous key set"
                );
                keys.fetch_failed(error);
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
