//! The integration tests of `tower-cognito-client`, as one binary: each module is one former test
//! file; `support` holds what they share.
//!
//! The modules that need the crate's `test-util` feature (the local user pool, and the examples
//! built with it) are compiled with it only: `cargo xtask test` runs them all.
// Tests may unwrap, panic and index: `clippy.toml` allows it in `#[test]` functions only, not in
// their helpers.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

#[cfg(feature = "test-util")]
mod support;

mod client;
#[cfg(feature = "test-util")]
mod devices;
mod emulator;
mod m2m;
#[cfg(feature = "test-util")]
mod m2m_example;
#[cfg(feature = "test-util")]
mod m2m_pool;
#[cfg(feature = "test-util")]
mod managed_login;
#[cfg(feature = "test-util")]
mod mfa;
#[cfg(feature = "test-util")]
mod pool;
#[cfg(feature = "test-util")]
mod revocation_example;
#[cfg(feature = "test-util")]
mod user_auth;
mod user_auth_wire;
#[cfg(feature = "test-util")]
mod user_pool_cli;
#[cfg(feature = "web")]
mod web;
#[cfg(all(feature = "web", feature = "test-util"))]
mod web_browser;
#[cfg(all(feature = "web", feature = "test-util"))]
mod web_login_example;
