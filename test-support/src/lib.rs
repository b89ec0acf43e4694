//! What the integration-test binaries of the `tower-cognito` workspace share to drive programs as
//! child processes: [`example::build_example`] builds an example with cargo, [`child::start`]
//! runs a binary up to its `listening on http://ADDR` line (killed when dropped),
//! [`child::fails_cleanly`] checks a refused configuration, [`wait::until`] waits for a
//! condition without letting tokio's paused time run, and [`webdriver`] drives headless Chromium.
//!
//! Internal (`publish = false`), a dev-dependency only. Its functions panic with what went wrong:
//! that is how a test fails.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    reason = "test support: a panic with its cause is the test's failure report"
)]

pub mod child;
pub mod example;
pub mod wait;
pub mod webdriver;
