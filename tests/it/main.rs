//! The integration tests, as one binary (one link of tokio and axum instead of one per file): each
//! module is one former test file; `support` holds what they share. The property, refresher and
//! fault tests (proptest, wiremock) are in `conformance/tests/it`. The quick-start
//! tests are their own binary (`tests/quickstart.rs`); the user-pool client's tests, the emulator's
//! included, are in `client/tests/it`.
#![cfg(all(feature = "test-util", feature = "reqwest"))]
// Tests may unwrap, panic and index: `clippy.toml` allows it in `#[test]` functions only, not in
// their helpers.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod support;

mod bad_inputs;
mod cache;
mod guard;
mod layer;
mod observability;
mod policy;
mod pools;
mod rejection;
mod revocation;
#[cfg(feature = "redis")]
mod revocation_redis;
mod staleness;
mod storm;
mod verifier;
