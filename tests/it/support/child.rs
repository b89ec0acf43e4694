//! Runs a built example as a child process with a clean environment, and reads its banner up to
//! `listening on http://ADDR` (`tower_cognito_test_support::child`): what the modules that drive
//! the examples (`quickstart`, `hyper_example`, `grpc`) share about them.

use std::path::Path;

use tokio::process::Command;
pub(crate) use tower_cognito_test_support::child::{fails_cleanly, line_value, start};

/// Every variable the examples read (`tower_cognito::env`).
const VARS: [&str; 6] = [
    "BIND_ADDR",
    "COGNITO_USER_POOL_ID",
    "COGNITO_CLIENT_ID",
    "COGNITO_REGION",
    "COGNITO_TOKEN_USE",
    "COGNITO_JWKS_URL",
];

/// The example's command with none of the variables it reads set.
pub(crate) fn command(bin: &Path) -> Command {
    tower_cognito_test_support::child::command(bin, &VARS)
}

/// The first line of every example's offline banner (`test_util::OfflineIssuer::banner`).
pub(crate) const OFFLINE_LINE: &str =
    "offline mode: no COGNITO_USER_POOL_ID, tokens from an embedded issuer";

/// The configurations every example refuses, each with a word its message must contain.
pub(crate) const BAD_CONFIGURATIONS: &[(&[(&str, &str)], &str)] = &[
    (
        &[
            ("COGNITO_USER_POOL_ID", "bad id"),
            ("COGNITO_CLIENT_ID", "c1"),
        ],
        "COGNITO_USER_POOL_ID",
    ),
    (
        &[("COGNITO_USER_POOL_ID", "us-east-1_AbC123xyz")],
        "COGNITO_CLIENT_ID is required",
    ),
    (
        &[
            ("COGNITO_USER_POOL_ID", "us-east-1_AbC123xyz"),
            ("COGNITO_CLIENT_ID", "c1"),
            ("COGNITO_TOKEN_USE", "bogus"),
        ],
        "COGNITO_TOKEN_USE",
    ),
    // Read in offline mode too, so checked there as well.
    (
        &[("COGNITO_TOKEN_USE", "bogus")],
        "invalid COGNITO_TOKEN_USE",
    ),
    // Half a real configuration never falls back to offline mode.
    (
        &[("COGNITO_CLIENT_ID", "c1")],
        "COGNITO_USER_POOL_ID is not",
    ),
    (&[("BIND_ADDR", "nonsense")], "BIND_ADDR"),
];
