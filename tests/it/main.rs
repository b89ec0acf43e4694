//! The integration tests, as one binary (one link of tokio and axum instead of one per file): each
//! module is one former test file; `support` holds what they share. The property, refresher and
//! fault tests (proptest, wiremock) are in `conformance/tests/it`, the user-pool client's (the
//! emulator's included) in `client/tests/it`. The modules `quickstart`, `hyper_example` and `grpc`
//! build the examples with cargo (as `cargo run --example` would) and run them as child processes.
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

#[cfg(feature = "alb")]
mod alb;
#[cfg(all(feature = "alb", feature = "axum"))]
mod alb_example;
mod bad_inputs;
mod builder;
mod cache;
mod grpc;
mod guard;
mod hyper_example;
#[cfg(all(feature = "lambda", feature = "axum"))]
mod lambda;
#[cfg(all(feature = "lambda", feature = "axum"))]
mod lambda_example;
mod layer;
mod observability;
mod policy;
mod pools;
#[cfg(feature = "axum")]
mod quickstart;
mod rejection;
mod revocation;
#[cfg(feature = "redis")]
mod revocation_redis;
mod staleness;
mod step_up;
mod storm;
mod verifier;
