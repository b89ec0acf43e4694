//! `tower-cognito`'s black-box tests that need proptest or a real HTTP server (wiremock), as one
//! binary: each module is one former test file of the root crate's `tests/it`; `support` holds
//! the helpers they share (a copy of the few they use from the root's `tests/it/support`).
// Tests may unwrap, panic and index: `clippy.toml` allows it in `#[test]` functions only, not in
// their helpers.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod support;

mod faults;
mod properties;
mod refresher;
