//! The key fetches of an ALB layer, the only I/O of the `alb` module: one fetch per `kid` for
//! every concurrent request that misses it (single-flight), a budget of fetches overall (a flood of
//! random `kid`s costs at most one fetch per cooldown), the fetch timeout, the body cap, and what a
//! fetch leaves in the cache: the key, or for a `404` the `kid` as unknown for a while.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use tokio::sync::OnceCell;
use tokio::time::Instant;

use crate::clock::Clock;
use crate::error::ErrorKind;
use crate::source::FetchError;

use super::cache::{KeyCache, Lookup};
use super::config::AlbConfig;
use super::key::AlbKey;
use super::source::DynSource;

/// Largest key answer read: a PEM P-256 key is 178 bytes.
pub(crate) const MAX_KEY_SIZE: usize = 4096;

/// The outcome of one fetch, shared by the requests that waited for it.
type Outcome = Result<Arc<AlbKey>, ErrorKind>;

/// The fetch budget: `burst` fetches, refilled one per `cooldown`.
#[derive(Debug)]
struct Budget {
    tokens: u32,
    refilled: Instant,
}

/// Fetches the keys of one ALB layer into its cache.
pub(crate) struct KeyFetcher {
    source: Box<dyn DynSource>,
    cache: Arc<KeyCache>,
    clock: Arc<dyn Clock>,
    timeout: Duration,
    cooldown: Duration,
    burst: u32,
    unknown_ttl: u64,
    budget: Mutex<Budget>,
    /// The fetch under way for each `kid` (entries leave when their fetch ends).
    inflight: Mutex<HashMap<Box<str>, Arc<OnceCell<Outcome>>>>,
    /// What the fetches did, for the layer's status.
    counts: FetchCounts,
}

/// The fetches started and how they ended.
#[derive(Debug, Default)]
struct FetchCounts {
    started: AtomicU64,
    loaded: AtomicU64,
    not_found: AtomicU64,
    failed: AtomicU64,
    /// Not started: the budget was spent.
    refused: AtomicU64,
}

impl std::fmt::Debug for KeyFetcher {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("KeyFetcher")
            .field("timeout", &self.timeout)
            .field("cooldown", &self.cooldown)
            .field("burst", &self.burst)
            .finish_non_exhaustive()
    }
}

impl KeyFetcher {
    pub(crate) fn new(
        source: Box<dyn DynSource>,
        cache: Arc<KeyCache>,
        config: &AlbConfig,
    ) -> Self {
        Self {
            source,
            cache,
            clock: Arc::clone(&config.clock),
            timeout: config.fetch_timeout,
            cooldown: config.fetch_cooldown,
            burst: config.fetch_burst,
            unknown_ttl: config.unknown_kid_ttl,
            budget: Mutex::new(Budget {
                tokens: config.fetch_burst,
                refilled: Instant::now(),
            }),
            inflight: Mutex::new(HashMap::new()),
            counts: FetchCounts::default(),
        }
    }

    /// Fetches started, ended with a key, with `404` (an unknown `kid`), failed, and not
    /// started for want of budget.
    pub(crate) fn counts(&self) -> [u64; 5] {
        let c = &self.counts;
        [&c.started, &c.loaded, &c.not_found, &c.failed, &c.refused]
            .map(|n| n.load(Ordering::Relaxed))
    }

    /// The key of `kid`, which the cache did not have: from a fetch that is under way for it, or
    /// from a new one. [`ErrorKind::UnknownKeyId`] when its key URL answered `404` (now or less
    /// than the unknown-`kid` lifetime ago), [`ErrorKind::KeysUnavailable`] when the fetch failed
    /// or the fetch budget is spent.
    pub(crate) async fn key(&self, kid: &str) -> Outcome {
        let cell = {
            let mut inflight = self.inflight.lock().unwrap_or_else(PoisonError::into_inner);
            // Again under the lock: a fetch stores its outcome in the cache before it leaves the
            // map, so a request that missed the cache just before is served here, not refetched.
            match self.cache.get(kid, self.clock.now()) {
                Lookup::Key(key) => return Ok(key),
                Lookup::Unknown => return Err(ErrorKind::UnknownKeyId),
                Lookup::Absent => {}
            }
            Arc::clone(inflight.entry(kid.into()).or_default())
        };
        cell.get_or_init(|| self.fetch(kid, &cell)).await.clone()
    }

    /// One fetch of `kid`, run by one of the requests waiting on `cell`.
    // The errors are only logged, and only with `tracing`.
    #[cfg_attr(not(feature = "tracing"), allow(unused_variables))]
    async fn fetch(&self, kid: &str, cell: &Arc<OnceCell<Outcome>>) -> Outcome {
        // Leaves the map however this ends (done, or dropped with its request: then another
        // waiter runs the fetch, or the next request starts one).
        let _leave = Leave {
            inflight: &self.inflight,
            kid,
            cell,
        };
        if !self.take_budget() {
            self.counts.refused.fetch_add(1, Ordering::Relaxed);
            crate::log::debug!("ALB key fetch budget spent; refusing an uncached kid");
            return Err(ErrorKind::KeysUnavailable);
        }
        self.counts.started.fetch_add(1, Ordering::Relaxed);
        let fetched =
            tokio::time::timeout(self.timeout, self.source.fetch_boxed(kid, MAX_KEY_SIZE))
                .await
                .unwrap_or(Err(FetchError::Timeout(self.timeout)));
        match fetched {
            Ok(pem) => match AlbKey::from_pem(&pem) {
                Ok(key) => {
                    let key = Arc::new(key);
                    self.cache.insert_key(kid, Arc::clone(&key));
                    self.counts.loaded.fetch_add(1, Ordering::Relaxed);
                    crate::log::info!("ALB signing key loaded");
                    Ok(key)
                }
                Err(error) => {
                    self.counts.failed.fetch_add(1, Ordering::Relaxed);
                    crate::log::warning!(%error, "ALB key answer refused");
                    Err(ErrorKind::KeysUnavailable)
                }
            },
            Err(FetchError::Status(404)) => {
                self.counts.not_found.fetch_add(1, Ordering::Relaxed);
                let now = self.clock.now();
                self.cache
                    .insert_unknown(kid, now.saturating_add(self.unknown_ttl), now);
                Err(ErrorKind::UnknownKeyId)
            }
            Err(error) => {
                self.counts.failed.fetch_add(1, Ordering::Relaxed);
                crate::log::warning!(%error, "ALB key fetch failed");
                Err(ErrorKind::KeysUnavailable)
            }
        }
    }

    /// Takes one fetch from the budget, refilled one per cooldown up to the burst.
    fn take_budget(&self) -> bool {
        let mut budget = self.budget.lock().unwrap_or_else(PoisonError::into_inner);
        let now = Instant::now();
        let elapsed = now.saturating_duration_since(budget.refilled);
        let cooldown = self.cooldown.as_nanos().max(1);
        let refills = u32::try_from(elapsed.as_nanos() / cooldown).unwrap_or(u32::MAX);
        if refills > 0 {
            budget.tokens = budget.tokens.saturating_add(refills).min(self.burst);
            budget.refilled = if budget.tokens == self.burst {
                now
            } else {
                // Fewer refills than the burst (at most 64): no overflow, but never a panic.
                budget
                    .refilled
                    .checked_add(self.cooldown.saturating_mul(refills))
                    .unwrap_or(now)
            };
        }
        match budget.tokens.checked_sub(1) {
            Some(left) => {
                budget.tokens = left;
                true
            }
            None => false,
        }
    }
}

/// Removes a `kid`'s entry from the in-flight map when its fetch ends, if it is still this one.
struct Leave<'a> {
    inflight: &'a Mutex<HashMap<Box<str>, Arc<OnceCell<Outcome>>>>,
    kid: &'a str,
    cell: &'a Arc<OnceCell<Outcome>>,
}

impl Drop for Leave<'_> {
    fn drop(&mut self) {
        let mut inflight = self.inflight.lock().unwrap_or_else(PoisonError::into_inner);
        if inflight
            .get(self.kid)
            .is_some_and(|c| Arc::ptr_eq(c, self.cell))
        {
            inflight.remove(self.kid);
        }
    }
}
