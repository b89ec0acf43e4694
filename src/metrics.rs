//! The request path's counters: accepted, rejected by error kind, cache hits and misses. A
//! layer's [`Status`] reads them (with its pools' and deny-list's states); with the `metrics`
//! feature, [`Status::record`](crate::snapshot::Status::record) hands it to the `metrics` facade,
//! so any of its exporters (Prometheus, StatsD, OpenTelemetry) publishes it unchanged.
//!
//! The request path pays two relaxed atomic increments (its outcome, and a cache hit or miss):
//! nothing is allocated, looked up or locked per request. Per-pool figures (fetches, key-set age,
//! unknown-`kid` refetches) come from the key store's own counters, read when the snapshot is taken.

use std::sync::atomic::{AtomicU64, Ordering};

use crate::error::{Error, ErrorKind, RequestError};
use crate::snapshot::{DenyListStatus, PoolStatus, Status};

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
    ErrorKind::InsufficientUserAuthentication,
];
const KINDS: usize = 33;

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
        ErrorKind::InsufficientUserAuthentication => 32,
    }
}

/// The request path's counters, shared by every clone of a layer (and its claims types).
#[derive(Debug)]
pub(crate) struct Counters {
    accepted: AtomicU64,
    cache_hits: AtomicU64,
    cache_misses: AtomicU64,
    rejected: [AtomicU64; KINDS],
}

// By hand: the standard library derives `Default` for arrays of at most 32 elements.
impl Default for Counters {
    fn default() -> Self {
        Self {
            accepted: AtomicU64::new(0),
            cache_hits: AtomicU64::new(0),
            cache_misses: AtomicU64::new(0),
            rejected: std::array::from_fn(|_| AtomicU64::new(0)),
        }
    }
}

impl Counters {
    /// The [`Status`] of these counters, with the pools' and the deny-list's states a layer read.
    pub(crate) fn snapshot(
        &self,
        pools: Vec<PoolStatus>,
        deny_list: Option<DenyListStatus>,
    ) -> Status {
        let load = |c: &AtomicU64| c.load(Ordering::Relaxed);
        let (accepted, rejections) = self.outcomes();
        Status {
            accepted,
            rejections,
            cache_hits: load(&self.cache_hits),
            cache_misses: load(&self.cache_misses),
            pools,
            deny_list,
        }
    }

    /// The requests accepted, and the rejections by kind name (every kind, zeros included).
    pub(crate) fn outcomes(&self) -> (u64, Vec<(&'static str, u64)>) {
        let load = |c: &AtomicU64| c.load(Ordering::Relaxed);
        let rejections = SLOTS
            .iter()
            .zip(&self.rejected)
            .map(|(kind, c)| (kind.name(), load(c)))
            .collect();
        (load(&self.accepted), rejections)
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

    /// Counts a refusal by a guard behind the layer (whose token the layer counted accepted).
    #[inline]
    pub(crate) fn rejected(&self, error: &Error) {
        if let Some(counter) = self.rejected.get(kind_index(&error.kind())) {
            counter.fetch_add(1, Ordering::Relaxed);
        }
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
