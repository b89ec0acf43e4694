//! Counters and gauges of a layer: [`CognitoAuthLayer::metrics`](crate::CognitoAuthLayer::metrics) gives a [`Metrics`] snapshot;
//! with the `metrics` feature, [`Metrics::record`] hands it to the `metrics` facade, so any of its
//! exporters (Prometheus, StatsD, OpenTelemetry) publishes it unchanged.
//!
//! The request path pays two relaxed atomic increments (its outcome, and a cache hit or miss):
//! nothing is allocated, looked up or locked per request. Per-pool figures (fetches, key-set age,
//! unknown-`kid` refetches) come from the key store's own counters, read when the snapshot is taken.
//!
//! ```
//! # #[cfg(feature = "test-util")]
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! use tower_cognito::{AcceptTokenUse, CognitoAuthLayer, ErrorKind};
//! use tower_cognito::test_util::LocalIssuer;
//!
//! let issuer = LocalIssuer::new()?;
//! let config = issuer.config().token_use(AcceptTokenUse::Access).build()?;
//! let layer = CognitoAuthLayer::builder(config).static_keys(issuer.key_set()).build()?;
//! let token = issuer.access_token();
//! layer.verify(&token)?;
//! layer.verify(&token)?;
//! assert!(layer.verify("x.y.z").is_err());
//!
//! let m = layer.metrics();
//! assert_eq!((m.accepted, m.cache_hits, m.cache_misses), (2, 1, 2));
//! assert_eq!(m.rejected(ErrorKind::Malformed), 1);
//! assert_eq!(m.pools[0].pool, issuer.user_pool_id());
//! # Ok(()) }
//! # #[cfg(not(feature = "test-util"))]
//! # fn main() {}
//! ```

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use crate::error::{Error, ErrorKind, RequestError};

/// One kind of each counter slot, in the order of [`kind_index`]: the slot's `kind` label is its
/// [`ErrorKind::name`] (the field values are placeholders; every kind of a slot has its name).
const SLOTS: [ErrorKind; KINDS] = [
    ErrorKind::MissingCredentials,
    ErrorKind::InvalidRequest(RequestError::EmptyToken),
    ErrorKind::TokenTooLarge,
    ErrorKind::Malformed,
    ErrorKind::InvalidHeader,
    ErrorKind::UnsupportedAlgorithm,
    ErrorKind::MissingKeyId,
    ErrorKind::CriticalHeader,
    ErrorKind::InvalidType,
    ErrorKind::UnknownKeyId,
    ErrorKind::InvalidSignature,
    ErrorKind::InvalidClaims,
    ErrorKind::InvalidIssuer,
    ErrorKind::InvalidTokenUse,
    ErrorKind::TokenUseNotAccepted,
    ErrorKind::InvalidClient,
    ErrorKind::MissingExpiry,
    ErrorKind::Expired { exp: 0, now: 0 },
    ErrorKind::NotYetValid { nbf: 0, now: 0 },
    ErrorKind::IssuedInFuture { iat: 0, now: 0 },
    ErrorKind::CustomClaims,
    ErrorKind::KeysUnavailable,
    ErrorKind::KeysStale,
    ErrorKind::Revoked,
    ErrorKind::RevocationsStale,
    ErrorKind::Unauthorized { description: "" },
    ErrorKind::InsufficientScope,
    ErrorKind::Forbidden { description: "" },
    ErrorKind::MissingGroup,
    ErrorKind::OtherPool,
    ErrorKind::InvalidSigner,
    ErrorKind::IdentityMismatch,
];
const KINDS: usize = 32;

/// The counter slot of a kind ([`SLOTS`] holds one kind of each). Exhaustive on purpose: a new
/// kind must get a slot.
const fn kind_index(kind: &ErrorKind) -> usize {
    match kind {
        ErrorKind::MissingCredentials => 0,
        ErrorKind::InvalidRequest(_) => 1,
        ErrorKind::TokenTooLarge => 2,
        ErrorKind::Malformed => 3,
        ErrorKind::InvalidHeader => 4,
        ErrorKind::UnsupportedAlgorithm => 5,
        ErrorKind::MissingKeyId => 6,
        ErrorKind::CriticalHeader => 7,
        ErrorKind::InvalidType => 8,
        ErrorKind::UnknownKeyId => 9,
        ErrorKind::InvalidSignature => 10,
        ErrorKind::InvalidClaims => 11,
        ErrorKind::InvalidIssuer => 12,
        ErrorKind::InvalidTokenUse => 13,
        ErrorKind::TokenUseNotAccepted => 14,
        ErrorKind::InvalidClient => 15,
        ErrorKind::MissingExpiry => 16,
        ErrorKind::Expired { .. } => 17,
        ErrorKind::NotYetValid { .. } => 18,
        ErrorKind::IssuedInFuture { .. } => 19,
        ErrorKind::CustomClaims => 20,
        ErrorKind::KeysUnavailable => 21,
        ErrorKind::KeysStale => 22,
        ErrorKind::Revoked => 23,
        ErrorKind::RevocationsStale => 24,
        ErrorKind::Unauthorized { .. } => 25,
        ErrorKind::InsufficientScope => 26,
        ErrorKind::Forbidden { .. } => 27,
        ErrorKind::MissingGroup => 28,
        ErrorKind::OtherPool => 29,
        ErrorKind::InvalidSigner => 30,
        ErrorKind::IdentityMismatch => 31,
    }
}

/// The request path's counters, shared by every clone of a layer (and its claims types).
#[derive(Debug, Default)]
pub(crate) struct Counters {
    accepted: AtomicU64,
    cache_hits: AtomicU64,
    cache_misses: AtomicU64,
    rejected: [AtomicU64; KINDS],
}

impl Counters {
    /// The [`Metrics`] of these counters, with the pools' and the deny-list's gauges a layer read.
    pub(crate) fn snapshot(
        &self,
        pools: Vec<PoolMetrics>,
        deny_list: Option<DenyListMetrics>,
    ) -> Metrics {
        let load = |c: &AtomicU64| c.load(Ordering::Relaxed);
        Metrics {
            accepted: load(&self.accepted),
            rejections: SLOTS
                .iter()
                .zip(&self.rejected)
                .map(|(kind, c)| (kind.name(), load(c)))
                .collect(),
            cache_hits: load(&self.cache_hits),
            cache_misses: load(&self.cache_misses),
            pools,
            deny_list,
        }
    }

    /// Counts the outcome of one request and hands it back.
    #[inline]
    pub(crate) fn count<T>(&self, result: Result<T, Error>) -> Result<T, Error> {
        let counter = match &result {
            Ok(_) => &self.accepted,
            Err(e) => match self.rejected.get(kind_index(&e.kind())) {
                Some(counter) => counter,
                None => return result,
            },
        };
        counter.fetch_add(1, Ordering::Relaxed);
        result
    }

    #[inline]
    pub(crate) fn cache_hit(&self) {
        self.cache_hits.fetch_add(1, Ordering::Relaxed);
    }

    #[inline]
    pub(crate) fn cache_miss(&self) {
        self.cache_misses.fetch_add(1, Ordering::Relaxed);
    }
}

/// A snapshot of a layer's counters and gauges: [`CognitoAuthLayer::metrics`](crate::CognitoAuthLayer::metrics).
///
/// Counters count since the layer was built, over every clone of it (and of
/// [`extra_claims`](crate::CognitoAuthLayer::extra_claims) layers made from it).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Metrics {
    /// Requests (and [`verify`](crate::CognitoAuthLayer::verify) calls) that passed.
    pub accepted: u64,
    /// Rejections by error kind ([`ErrorKind::name`]), every kind listed, zeros included.
    pub rejections: Vec<(&'static str, u64)>,
    /// Tokens served from the verified-token cache.
    pub cache_hits: u64,
    /// Tokens looked up in the cache and verified (0 when the cache is off).
    pub cache_misses: u64,
    /// One entry per user pool.
    pub pools: Vec<PoolMetrics>,
    /// The deny-list's figures (`None`: the layer has none).
    pub deny_list: Option<DenyListMetrics>,
}

/// The figures of one user pool in [`Metrics`].
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct PoolMetrics {
    /// The user pool id (the `pool` label of the exported metrics).
    pub pool: String,
    /// Usable keys in the current key set.
    pub keys: usize,
    /// Time since the last successful JWKS fetch (`None`: none yet, or a static key set).
    pub key_set_age: Option<Duration>,
    /// JWKS fetches started.
    pub fetches: u64,
    /// Fetches that produced a usable key set.
    pub fetch_successes: u64,
    /// Fetches that failed (the previous key set was kept).
    pub fetch_failures: u64,
    /// Fetches whose key set replaced the current one.
    pub key_changes: u64,
    /// Refetches asked for by tokens naming an unknown `kid` (at most one per fetch cycle).
    pub unknown_kid_refetches: u64,
}

/// The deny-list's figures in [`Metrics`].
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct DenyListMetrics {
    /// Entries held.
    pub entries: usize,
    /// Shared through Redis.
    pub shared: bool,
    /// Time since the last confirmed sync (`None`: in-memory, or never synced).
    pub sync_lag: Option<Duration>,
    /// Full resynchronisations (one per connection).
    pub resyncs: u64,
    /// Connections lost or refused.
    pub sync_failures: u64,
    /// Entries of the shared set that the last full resync could not read and skipped
    /// ([`SyncStatus::skipped_entries`](crate::deny::SyncStatus::skipped_entries)).
    pub skipped_entries: u64,
}

impl Metrics {
    /// Rejections of `kind` (counted by [`ErrorKind::name`]: every [`RequestError`] is one
    /// `invalid_request`, and the fields of `Expired`, `Unauthorized`... do not matter).
    ///
    /// [`RequestError`]: crate::reject::RequestError
    pub fn rejected(&self, kind: ErrorKind) -> u64 {
        let name = kind.name();
        self.rejections
            .iter()
            .find(|(n, _)| *n == name)
            .map_or(0, |(_, count)| *count)
    }

    /// Tokens refused because they were on the deny-list.
    pub fn revoked(&self) -> u64 {
        self.rejected(ErrorKind::Revoked)
    }

    /// Rejections of every kind.
    pub fn rejected_total(&self) -> u64 {
        self.rejections.iter().map(|(_, count)| count).sum()
    }

    /// Hands the snapshot to the `metrics` facade (feature `metrics`): counters as absolute
    /// values, gauges set. Call it before your exporter renders (a `/metrics` handler) or on an
    /// interval. Names (all prefixed `tower_cognito_`):
    ///
    /// | name | kind | labels |
    /// |---|---|---|
    /// | `verifications_total` | counter | `outcome` = `accepted` or the error kind's name |
    /// | `cache_hits_total`, `cache_misses_total` | counter | |
    /// | `jwks_fetches_total` | counter | `pool`, `outcome` = `success` / `failure` |
    /// | `key_changes_total`, `unknown_kid_refetches_total` | counter | `pool` |
    /// | `keys`, `key_set_age_seconds` | gauge | `pool` |
    /// | `revoked_total` | counter | |
    /// | `deny_list_entries`, `deny_list_sync_lag_seconds`, `deny_list_skipped_entries` | gauge | |
    /// | `deny_list_sync_failures_total` | counter | |
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
            gauge!("tower_cognito_key_set_age_seconds", "pool" => pool)
                .set(p.key_set_age.map_or(0.0, |d| d.as_secs_f64()));
        }
        counter!("tower_cognito_revoked_total").absolute(self.revoked());
        if let Some(d) = &self.deny_list {
            gauge!("tower_cognito_deny_list_entries").set(d.entries as f64);
            gauge!("tower_cognito_deny_list_sync_lag_seconds")
                .set(d.sync_lag.map_or(0.0, |l| l.as_secs_f64()));
            counter!("tower_cognito_deny_list_sync_failures_total").absolute(d.sync_failures);
            gauge!("tower_cognito_deny_list_skipped_entries").set(d.skipped_entries as f64);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_slot_holds_its_kind_and_a_distinct_name() {
        for (slot, kind) in SLOTS.iter().enumerate() {
            assert_eq!(kind_index(kind), slot, "{kind:?}");
        }
        let mut names: Vec<_> = SLOTS.iter().map(ErrorKind::name).collect();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), KINDS);
        assert_eq!(ErrorKind::Revoked.name(), "revoked");
        assert_eq!(ErrorKind::Expired { exp: 1, now: 2 }.name(), "expired");
        assert_eq!(
            ErrorKind::InvalidRequest(crate::error::RequestError::EmptyToken).name(),
            "invalid_request"
        );
        assert_eq!(
            ErrorKind::Forbidden { description: "x" }.name(),
            "forbidden"
        );
    }

    #[test]
    fn count_passes_the_result_through() {
        let c = Counters::default();
        assert_eq!(c.count(Ok::<u8, Error>(1)), Ok(1));
        let e = Error::new(ErrorKind::Revoked);
        assert_eq!(c.count(Err::<u8, Error>(e.clone())), Err(e));
        assert_eq!(c.accepted.load(Ordering::Relaxed), 1);
        assert_eq!(c.rejected[23].load(Ordering::Relaxed), 1);
    }
}
