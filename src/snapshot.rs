//! What a layer reports about itself, in one snapshot: [`Status`], with a [`PoolStatus`] per user
//! pool and the [`DenyListStatus`]. Plain data filled by the layer, its key stores, counters and
//! deny-list; one name per figure, whether it is read for readiness, exported as a metric, or
//! logged. It imports only the error kinds.
//!
//! ```
//! # #[cfg(feature = "test-util")]
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! use tower_cognito::{CognitoAuthLayer, ErrorKind, TokenUse};
//! use tower_cognito::test_util::LocalIssuer;
//!
//! let issuer = LocalIssuer::new()?;
//! let config = issuer.config().token_use(TokenUse::Access).build()?;
//! let layer = CognitoAuthLayer::builder(config).static_keys(issuer.key_set()).build()?;
//! let token = issuer.access_token();
//! layer.verify(&token)?;
//! layer.verify(&token)?;
//! assert!(layer.verify("x.y.z").is_err());
//!
//! let status = layer.status();
//! assert!(status.is_ready());
//! assert_eq!((status.accepted, status.cache_hits, status.cache_misses), (2, 1, 2));
//! assert_eq!(status.rejected(ErrorKind::Malformed), 1);
//! assert_eq!(status.pools[0].pool, issuer.user_pool_id());
//! assert_eq!(status.pools[0].keys, 1);
//! # Ok(()) }
//! # #[cfg(not(feature = "test-util"))]
//! # fn main() {}
//! ```

use std::time::Duration;

use crate::error::ErrorKind;

/// A snapshot of a layer: [`CognitoAuthLayer::status`](crate::CognitoAuthLayer::status).
///
/// Counters count since the layer was built, over every clone of it (and of the
/// [`extra_claims`](crate::CognitoAuthLayer::extra_claims) layers made from it). Taking one costs
/// atomic loads, one clock read and a few small allocations: serve it from a readiness probe or a
/// `/metrics` handler, not per request.
///
/// Ready ([`is_ready`](Self::is_ready)) means: every pool is ready (a key set loaded, not older
/// than the [maximum key age](crate::CognitoConfigBuilder::max_key_age), its refresher task still
/// running; a static key set needs none), and the deny-list, if any, is not
/// [stale](DenyListStatus::stale).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Status {
    /// Requests (and [`verify`](crate::CognitoAuthLayer::verify) calls) that passed.
    pub accepted: u64,
    /// Rejections by error kind ([`ErrorKind::name`]), every kind listed, zeros included: read
    /// one with [`rejected`](Self::rejected).
    pub rejections: Vec<(&'static str, u64)>,
    /// Tokens served from the verified-token cache.
    pub cache_hits: u64,
    /// Tokens looked up in the cache and verified (0 when the cache is off).
    pub cache_misses: u64,
    /// One entry per user pool, the first pool first.
    pub pools: Vec<PoolStatus>,
    /// The deny-list's state (`None`: the layer has none).
    pub deny_list: Option<DenyListStatus>,
}

/// One user pool of a [`Status`]: its key set and its refresher.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct PoolStatus {
    /// The user pool id (the `pool` label of the exported metrics).
    pub pool: String,
    /// Usable keys in the current key set (0 before the first successful fetch).
    pub keys: usize,
    /// Time since the last successful JWKS fetch, by the layer's clock (`None`: none yet, or a
    /// static key set).
    pub key_set_age: Option<Duration>,
    /// The keys are older than the maximum key age: this pool's tokens get `503` until a fetch
    /// succeeds.
    pub stale: bool,
    /// The refresher task runs (always `true` for a static key set). A refresher that ended (its
    /// runtime shut down while the layer lives on in another one, or a panic) makes the layer
    /// not ready, and is logged once at error level; tokens still verify with the last keys
    /// until the maximum key age, if one is set, passes.
    pub refresher_running: bool,
    /// JWKS fetches started.
    pub fetches: u64,
    /// Fetches that produced a usable key set (a set identical to the current one is counted
    /// here but keeps the current set, and with it the verified-token cache).
    pub fetch_successes: u64,
    /// Fetches that failed (the previous key set was kept).
    pub fetch_failures: u64,
    /// Fetches whose key set differed from the current one and replaced it.
    pub key_changes: u64,
    /// Refetches asked for by tokens naming an unknown `kid` (at most one per fetch cycle: the
    /// request that finds none pending asks, the others find it pending).
    pub unknown_kid_refetches: u64,
}

/// The deny-list of a [`Status`], or of a list on its own:
/// [`DenyList::status`](crate::deny::DenyList::status).
///
/// A shared list that fails open (the default) keeps the layer ready through a Redis outage, as
/// its requests keep being served; `in_sync` and `lag` report the outage. With a
/// [maximum staleness](crate::deny::RedisDenyListBuilder::max_staleness) it fails closed: past it,
/// `stale`, tokens get `503` and the layer is not ready.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct DenyListStatus {
    /// Shared through a backend (Redis); `false` for an in-memory list.
    pub shared: bool,
    /// Entries held (expired ones included until the next prune).
    pub entries: usize,
    /// Connected and confirmed in sync within two heartbeats (always `true` when not shared).
    pub in_sync: bool,
    /// Time since the last confirmed sync (`None`: not shared, or never synced).
    pub lag: Option<Duration>,
    /// Staler than its maximum staleness: tokens get `503`, and the layer is not ready.
    pub stale: bool,
    /// Full resynchronisations (one per successful connection).
    pub resyncs: u64,
    /// Connections lost or refused.
    pub sync_failures: u64,
    /// Revocations made here and not yet written to the backend.
    pub pending: usize,
    /// Entries of the shared set that the last full resync could not read and skipped: a member
    /// that is not UTF-8, empty or longer than 256 bytes (it can match no token id), or a score
    /// that is not a number. Written by something other than this crate, they stay in Redis
    /// until removed there; they do not make the layer unready, every other entry was applied.
    /// 0 when not shared.
    pub skipped_entries: u64,
}

impl PoolStatus {
    /// Keys loaded, fresh, and kept fresh.
    pub fn is_ready(&self) -> bool {
        self.reason().is_none()
    }

    /// What this pool misses to be ready; `None` when ready.
    pub fn reason(&self) -> Option<&'static str> {
        if self.keys == 0 {
            Some("no keys")
        } else if self.stale {
            Some("keys stale")
        } else if !self.refresher_running {
            Some("key refresher stopped")
        } else {
            None
        }
    }
}

impl Status {
    /// Every pool [ready](PoolStatus::is_ready), and the deny-list, if any, not stale.
    pub fn is_ready(&self) -> bool {
        self.reason().is_none()
    }

    /// What is missing, for a probe's answer (`no keys`, `keys stale`, `key refresher stopped`,
    /// `deny-list stale`: the first pool's reason first); `None` when ready.
    pub fn reason(&self) -> Option<&'static str> {
        self.pools.iter().find_map(PoolStatus::reason).or_else(|| {
            self.deny_list
                .is_some_and(|d| d.stale)
                .then_some("deny-list stale")
        })
    }

    /// `200 OK` when [ready](Self::is_ready), else `503 Service Unavailable`: the answer of a
    /// readiness probe.
    pub fn http_status(&self) -> http::StatusCode {
        if self.is_ready() {
            http::StatusCode::OK
        } else {
            http::StatusCode::SERVICE_UNAVAILABLE
        }
    }

    /// Rejections of `kind` (counted by [`ErrorKind::name`]: every
    /// [`RequestError`](crate::reject::RequestError) is one `invalid_request`, and the fields of
    /// `Expired`, `Unauthorized`... do not matter).
    pub fn rejected(&self, kind: ErrorKind) -> u64 {
        let name = kind.name();
        self.rejections
            .iter()
            .find(|(n, _)| *n == name)
            .map_or(0, |(_, count)| *count)
    }

    /// Rejections of every kind.
    pub fn rejected_total(&self) -> u64 {
        self.rejections.iter().map(|(_, count)| count).sum()
    }

    /// Hands the snapshot to the `metrics` facade (feature `metrics`): counters as absolute
    /// values, gauges set. Call it before your exporter renders (a `/metrics` handler) or on an
    /// interval. Names (all prefixed `tower_cognito_`), each the figure of the same name here:
    ///
    /// | name | kind | labels |
    /// |---|---|---|
    /// | `verifications_total` | counter | `outcome` = `accepted` or the error kind's name |
    /// | `cache_hits_total`, `cache_misses_total` | counter | |
    /// | `jwks_fetches_total` | counter | `pool`, `outcome` = `success` / `failure` |
    /// | `key_changes_total`, `unknown_kid_refetches_total` | counter | `pool` |
    /// | `keys`, `key_set_age_seconds` | gauge | `pool` |
    /// | `ready` | gauge | `pool` (1 ready, 0 not) |
    /// | `revoked_total` | counter | |
    /// | `deny_list_entries`, `deny_list_lag_seconds`, `deny_list_skipped_entries` | gauge | |
    /// | `deny_list_resyncs_total`, `deny_list_sync_failures_total` | counter | |
    ///
    /// A key set never fetched (or static) reports an age of 0; a list never synced, or
    /// in-memory, a lag of 0.
    #[cfg(feature = "metrics")]
    pub fn record(&self) {
        use ::metrics::{counter, gauge};
        counter!("tower_cognito_verifications_total", "outcome" => "accepted")
            .absolute(self.accepted);
        for (kind, count) in &self.rejections {
            counter!("tower_cognito_verifications_total", "outcome" => *kind).absolute(*count);
        }
        counter!("tower_cognito_cache_hits_total").absolute(self.cache_hits);
        counter!("tower_cognito_cache_misses_total").absolute(self.cache_misses);
        for p in &self.pools {
            let pool = p.pool.clone();
            counter!("tower_cognito_jwks_fetches_total", "pool" => pool.clone(), "outcome" => "success")
                .absolute(p.fetch_successes);
            counter!("tower_cognito_jwks_fetches_total", "pool" => pool.clone(), "outcome" => "failure")
                .absolute(p.fetch_failures);
            counter!("tower_cognito_key_changes_total", "pool" => pool.clone())
                .absolute(p.key_changes);
            counter!("tower_cognito_unknown_kid_refetches_total", "pool" => pool.clone())
                .absolute(p.unknown_kid_refetches);
            gauge!("tower_cognito_keys", "pool" => pool.clone()).set(p.keys as f64);
            gauge!("tower_cognito_ready", "pool" => pool.clone()).set(if p.is_ready() {
                1.0
            } else {
                0.0
            });
            gauge!("tower_cognito_key_set_age_seconds", "pool" => pool)
                .set(p.key_set_age.map_or(0.0, |d| d.as_secs_f64()));
        }
        counter!("tower_cognito_revoked_total").absolute(self.rejected(ErrorKind::Revoked));
        if let Some(d) = &self.deny_list {
            gauge!("tower_cognito_deny_list_entries").set(d.entries as f64);
            gauge!("tower_cognito_deny_list_lag_seconds")
                .set(d.lag.map_or(0.0, |l| l.as_secs_f64()));
            counter!("tower_cognito_deny_list_resyncs_total").absolute(d.resyncs);
            counter!("tower_cognito_deny_list_sync_failures_total").absolute(d.sync_failures);
            gauge!("tower_cognito_deny_list_skipped_entries").set(d.skipped_entries as f64);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pool(keys: usize, stale: bool, refresher_running: bool) -> PoolStatus {
        PoolStatus {
            pool: "eu-west-1_A".to_owned(),
            keys,
            key_set_age: None,
            stale,
            refresher_running,
            fetches: 0,
            fetch_successes: 0,
            fetch_failures: 0,
            key_changes: 0,
            unknown_kid_refetches: 0,
        }
    }

    fn status(pools: Vec<PoolStatus>, deny_stale: Option<bool>) -> Status {
        Status {
            accepted: 0,
            rejections: vec![("revoked", 2), ("expired", 3)],
            cache_hits: 0,
            cache_misses: 0,
            pools,
            deny_list: deny_stale.map(|stale| DenyListStatus {
                shared: true,
                entries: 0,
                in_sync: !stale,
                lag: None,
                stale,
                resyncs: 0,
                sync_failures: 0,
                pending: 0,
                skipped_entries: 0,
            }),
        }
    }

    #[test]
    fn ready_when_every_pool_is_and_the_deny_list_is_not_stale() {
        let ready = pool(1, false, true);
        assert_eq!(status(vec![ready.clone()], None).reason(), None);
        assert_eq!(status(vec![ready.clone()], Some(false)).reason(), None);
        assert_eq!(
            status(vec![ready.clone()], Some(true)).reason(),
            Some("deny-list stale")
        );
        // Each pool's own reason, the first pool's first, before the deny-list's.
        let cases = [
            (pool(0, false, true), "no keys"),
            (pool(1, true, true), "keys stale"),
            (pool(1, false, false), "key refresher stopped"),
            (pool(0, true, false), "no keys"),
        ];
        for (bad, reason) in cases {
            let s = status(vec![ready.clone(), bad.clone()], Some(true));
            assert_eq!(s.reason(), Some(reason), "{bad:?}");
            assert!(!s.is_ready());
            assert_eq!(s.http_status(), http::StatusCode::SERVICE_UNAVAILABLE);
            assert!(!bad.is_ready());
        }
        assert_eq!(
            status(vec![ready], None).http_status(),
            http::StatusCode::OK
        );
    }

    #[test]
    fn rejections_are_read_by_kind_name() {
        let s = status(vec![pool(1, false, true)], None);
        assert_eq!(s.rejected(ErrorKind::Revoked), 2);
        assert_eq!(s.rejected(ErrorKind::Expired { exp: 9, now: 10 }), 3);
        assert_eq!(s.rejected(ErrorKind::Malformed), 0);
        assert_eq!(s.rejected_total(), 5);
    }
}
