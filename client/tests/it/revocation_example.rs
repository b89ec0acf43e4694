//! The revocation example (`examples/revocation.rs`) as a child process: `GlobalSignOut` through
//! the API's `POST /logout`, then `401` with the "revoked" description on the next request; with
//! `REDIS_URL` once more with the list shared through Redis (ignored by plain `cargo test`, run by
//! `cargo xtask test`, failing without `REDIS_URL`).
//!
//! It builds the example with cargo, like `user_pool_cli`.
//!
//! Run: `cargo test -p tower-cognito-client --features test-util --test it revocation_example::`.

use tower_cognito_test_support::child;
use tower_cognito_test_support::example::build_example;

use crate::support::features;

async fn run(redis_url: Option<&str>) -> String {
    let features = features();
    let exe = build_example(
        env!("CARGO_MANIFEST_DIR"),
        "revocation",
        &["--no-default-features", "--features", &features],
    )
    .await;
    let mut command = child::command(&exe, &["REDIS_URL"]);
    if let Some(url) = redis_url {
        command.env("REDIS_URL", url);
    }
    let out = child::output(command).await;
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(
        out.status.success(),
        "exit {:?}\n{stdout}\n{}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    stdout
}

fn check(stdout: &str) {
    for line in [
        "GET /ready: 200",
        "GET /me before sign-out: 200",
        "POST /logout (GlobalSignOut + deny): 204",
        "GET /me after sign-out: 401",
        r#"error="invalid_token", error_description="the token was revoked""#,
        "revocations denied: 1",
    ] {
        assert!(stdout.contains(line), "missing {line:?} in:\n{stdout}");
    }
}

#[tokio::test]
async fn global_sign_out_then_401_on_the_next_request() {
    let stdout = run(None).await;
    assert!(stdout.contains("deny-list: in memory"), "{stdout}");
    check(&stdout);
}

#[tokio::test]
#[ignore = "needs REDIS_URL: run cargo xtask test"]
async fn the_same_with_the_list_shared_through_redis() {
    let url = match std::env::var("REDIS_URL") {
        Ok(url) if !url.trim().is_empty() => url,
        _ => panic!(
            "needs REDIS_URL: run cargo xtask test (it starts redis-server and sets it; \
             `cargo xtask services start redis` prints it for a shell)"
        ),
    };
    let stdout = run(Some(&url)).await;
    assert!(
        stdout.contains("deny-list: shared through Redis"),
        "{stdout}"
    );
    check(&stdout);
}
