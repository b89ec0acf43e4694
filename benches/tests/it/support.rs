//! Runs a binary of this package as a child process with a clean environment, and reads its
//! banner up to `listening on http://ADDR` (`tower_cognito_test_support::child`): what this
//! package's binaries read and print.

use std::path::Path;

use tokio::process::Command;
pub(crate) use tower_cognito_test_support::child::{fails_cleanly, start};

/// Every variable the bench server reads (`tower_cognito::env`'s, and its own).
const VARS: [&str; 9] = [
    "BIND_ADDR",
    "COGNITO_USER_POOL_ID",
    "COGNITO_CLIENT_ID",
    "COGNITO_REGION",
    "COGNITO_TOKEN_USE",
    "COGNITO_JWKS_URL",
    "BENCH_TOKENS_FILE",
    "BENCH_UNKNOWN_KID_FILE",
    "BENCH_TOKEN_COUNT",
];

/// The first line of the offline banner (`tower_cognito::test_util::OfflineIssuer::banner`).
pub(crate) const OFFLINE_LINE: &str =
    "offline mode: no COGNITO_USER_POOL_ID, tokens from an embedded issuer";

/// The binary's command with none of the variables it reads set.
pub(crate) fn command(bin: &Path) -> Command {
    tower_cognito_test_support::child::command(bin, &VARS)
}
