//! The key store of one issuer: the current [`KeySet`] behind an `ArcSwap`, read by the request
//! path without a lock, written by the refresher; with the refresher's counters, the time of the
//! last successful fetch (staleness is decided from it on the request path) and its liveness.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use arc_swap::ArcSwap;
use tokio::sync::{Notify, watch};

use crate::keys::KeySet;
use crate::snapshot::PoolStatus;
use crate::source::FetchError;

/// The key set of one issuer, shared by the request path and its refresher.
pub(crate) struct IssuerKeys {
    pub(crate) keys: ArcSwap<KeySet>,
    /// A refetch was asked for and not started yet (single-flight): set by the request path,
    /// cleared by the refresher when the fetch starts.
    refetch_wanted: AtomicBool,
    nudge: Notify,
    /// Counts successful swaps; `LayerBuilder::start` waits on it.
    swaps: watch::Sender<u64>,
    fetches: AtomicU64,
    failures: AtomicU64,
    changes: AtomicU64,
    /// Refetches asked for by unknown `kid`s (one per fetch cycle at most).
    unknown_kid_refetches: AtomicU64,
    last_error: Mutex<Option<FetchError>>,
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
            unknown_kid_refetches: AtomicU64::new(0),
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
        // A load first: while the keys are stale, every request passes here.
        if stale
            && !self.stale_logged.load(Ordering::Relaxed)
            && !self.stale_logged.swap(true, Ordering::Relaxed)
        {
            crate::log::warning!(
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

    // The refresher's side.

    /// A fetch starts: it serves every refetch asked for until now.
    pub(crate) fn fetch_started(&self) {
        self.refetch_wanted.store(false, Ordering::Release);
        self.fetches.fetch_add(1, Ordering::Relaxed);
    }

    /// A fetch gave `set` at `now` (seconds of the layer's clock). An identical set keeps the
    /// current one, so the token cache (keyed by the key set's identity) survives routine
    /// refreshes and refetches. A set that replaces the current one runs `swapped` right after
    /// the swap, before the success is announced (a layer of several pools rebuilds its `kid`
    /// index there, so `LayerBuilder::start` returns with every pool's keys indexed).
    pub(crate) fn fetch_succeeded(&self, set: KeySet, now: u64, swapped: impl FnOnce()) {
        if !self.keys.load().same_keys(&set) {
            self.keys.store(Arc::new(set));
            self.changes.fetch_add(1, Ordering::Relaxed);
            swapped();
        }
        // 0 means "never": a clock at the epoch still stamps a success.
        self.last_success.store(now.max(1), Ordering::Release);
        self.stale_logged.store(false, Ordering::Relaxed);
        self.swaps.send_modify(|n| *n = n.saturating_add(1));
    }

    /// A fetch failed; the previous key set stays in place.
    pub(crate) fn fetch_failed(&self, error: FetchError) {
        self.failures.fetch_add(1, Ordering::Relaxed);
        if let Ok(mut last) = self.last_error.lock() {
            *last = Some(error);
        }
    }

    /// Waits until `deadline` or a nudge; `true` for a nudge that asks for a fetch not served yet.
    pub(crate) async fn nudged_before(&self, deadline: tokio::time::Instant) -> bool {
        tokio::time::timeout_at(deadline, self.nudge.notified())
            .await
            .is_ok()
            && self.refetch_wanted.load(Ordering::Acquire)
    }

    /// The refresher task ends, however it ends: `true` when nobody asked for it (not the layer
    /// going away), which is worth an error log.
    pub(crate) fn refresher_ended(&self) -> bool {
        let was_running = self.running.swap(false, Ordering::AcqRel);
        was_running && !self.stopping.load(Ordering::Acquire)
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
            self.unknown_kid_refetches.fetch_add(1, Ordering::Relaxed);
            self.nudge.notify_one();
        }
    }

    /// This key store's part of a [`PoolStatus`] at `now` (seconds of the layer's clock), for the
    /// pool `pool`; `stale` is decided by the pool (it knows the maximum key age).
    pub(crate) fn status(&self, pool: String, now: u64, stale: bool) -> PoolStatus {
        let load = |c: &AtomicU64| c.load(Ordering::Relaxed);
        PoolStatus {
            pool,
            keys: self.keys.load().len(),
            key_set_age: self
                .last_success()
                .map(|at| Duration::from_secs(now.saturating_sub(at))),
            stale,
            refresher_running: self.refresher_alive(),
            fetches: load(&self.fetches),
            fetch_successes: *self.swaps.borrow(),
            fetch_failures: load(&self.failures),
            key_changes: load(&self.changes),
            unknown_kid_refetches: load(&self.unknown_kid_refetches),
        }
    }

    pub(crate) fn subscribe(&self) -> watch::Receiver<u64> {
        self.swaps.subscribe()
    }

    pub(crate) fn last_error(&self) -> Option<FetchError> {
        self.last_error.lock().ok().and_then(|e| e.clone())
    }
}
