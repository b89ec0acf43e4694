//! What a layer reports about its state: [`Readiness`] and its [`DenyListReadiness`]. Plain data
//! filled by the layer and the deny-list; it imports nothing of the crate.

use std::time::Duration;

/// What [`CognitoAuthLayer::readiness`](crate::CognitoAuthLayer::readiness) reports.
///
/// Ready means: a key set is loaded, it is not older than the
/// [maximum key age](crate::CognitoConfigBuilder::max_key_age), and its refresher task still runs
/// (a static key set needs none). A refresher that ended (its runtime shut down while the layer
/// lives on in another one, or a panic) makes the layer not ready, and is logged once at error
/// level; tokens still verify with the last keys until the maximum key age, if one is set, passes.
///
/// With a shared [`DenyList`](crate::deny::DenyList), ready also means: not staler than its
/// [maximum staleness](crate::deny::RedisDenyListBuilder::max_staleness) when one is set (the list
/// fails closed). A list that fails open (the default) keeps the layer ready through a Redis
/// outage, as its requests keep being served; [`deny_list`](Self::deny_list) reports the outage.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct Readiness {
    /// Usable keys in the current set (0 before the first successful fetch).
    pub keys: usize,
    /// Time since the last successful fetch, by the layer's clock (`None`: no fetch succeeded
    /// yet, or a static key set).
    pub last_refresh_age: Option<Duration>,
    /// The keys are older than the maximum key age: tokens get `503` until a fetch succeeds.
    pub stale: bool,
    /// The refresher task is running (always `true` for a static key set).
    pub refresher_running: bool,
    /// The deny-list's sync state (`None`: the layer has no deny-list).
    pub deny_list: Option<DenyListReadiness>,
}

impl Readiness {
    /// Keys loaded, fresh, and kept fresh; and the deny-list, if any, not stale.
    pub fn is_ready(&self) -> bool {
        self.keys > 0
            && !self.stale
            && self.refresher_running
            && !self.deny_list.is_some_and(|d| d.stale)
    }

    /// `200 OK` when [ready](Self::is_ready), else `503 Service Unavailable`: the answer of a
    /// readiness probe.
    pub fn status(&self) -> http::StatusCode {
        if self.is_ready() {
            http::StatusCode::OK
        } else {
            http::StatusCode::SERVICE_UNAVAILABLE
        }
    }
}

/// The deny-list part of [`Readiness`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct DenyListReadiness {
    /// Shared through a backend (Redis); `false` for an in-memory list.
    pub shared: bool,
    /// Confirmed in sync within two heartbeats (always `true` for an in-memory list).
    pub in_sync: bool,
    /// Time since the last confirmed sync (`None`: in-memory, or not synced yet).
    pub lag: Option<Duration>,
    /// Staler than its maximum staleness: tokens get `503`, and the layer is not ready.
    pub stale: bool,
    /// Entries of the shared set that the last full resync could not read and skipped (a
    /// member that is not UTF-8, empty or over 256 bytes, a score that is not a number); they do
    /// not make the layer unready, every other entry was applied. 0 for an in-memory list.
    pub skipped_entries: u64,
}
