//! The machine-to-machine example (`examples/m2m.rs`) as a child process, offline: its JSON
//! line on stdout, 50 calls for one token request, all answered 200 by a target behind the
//! layer; then a scope the target's guard does not accept (403 each, still one token request).
//!
//! Run: `cargo test -p tower-cognito-client --features test-util --test it m2m_example::`.

use serde_json::{Value, json};
use tower_cognito_test_support::child;
use tower_cognito_test_support::example::build_example;

use crate::support::features;

async fn run(envs: &[(&str, &str)]) -> Value {
    let features = features();
    let exe = build_example(
        env!("CARGO_MANIFEST_DIR"),
        "m2m",
        &["--no-default-features", "--features", &features],
    )
    .await;
    let mut command = child::command(
        &exe,
        &[
            "COGNITO_DOMAIN",
            "COGNITO_CLIENT_ID",
            "COGNITO_CLIENT_SECRET",
            "COGNITO_SCOPES",
            "TARGET_URL",
            "REQUESTS",
        ],
    );
    command.envs(envs.iter().copied());
    let out = child::output(command).await;
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(
        out.status.success(),
        "exit {:?}\n{stdout}\n{}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(
        stdout.lines().count(),
        1,
        "one JSON object on stdout:\n{stdout}"
    );
    serde_json::from_str(&stdout).unwrap()
}

#[tokio::test]
async fn fifty_calls_cost_one_token_request() {
    let out = run(&[("REQUESTS", "50")]).await;
    assert_eq!(
        out,
        json!({"requests": 50, "token_requests": 1, "statuses": {"200": 50}})
    );
}

#[tokio::test]
async fn a_scope_the_target_does_not_accept_is_403() {
    let out = run(&[("REQUESTS", "3"), ("COGNITO_SCOPES", "orders/write")]).await;
    assert_eq!(
        out,
        json!({"requests": 3, "token_requests": 1, "statuses": {"403": 3}})
    );
}
