//! The hyper example (`examples/hyper.rs`), built and run as a child process exactly as the
//! hyper guide (src/docs/hyper.md) runs it, and called over loopback.

use std::path::PathBuf;
use std::time::Duration;

use reqwest::StatusCode;
use serde_json::Value;
use tower_cognito::test_util::LOCAL_CLIENT_ID;
use tower_cognito_test_support::example::build_example;

use crate::support::child::{
    BAD_CONFIGURATIONS, OFFLINE_LINE, command, fails_cleanly, line_value, start,
};

/// Limit of any single HTTP exchange with the example.
const HTTP_TIMEOUT: Duration = Duration::from_secs(10);

/// Builds the example (as `cargo run --example hyper --features test-util` would), once per
/// test binary.
async fn example_binary() -> PathBuf {
    static BIN: tokio::sync::OnceCell<PathBuf> = tokio::sync::OnceCell::const_new();
    BIN.get_or_init(|| async {
        build_example(
            env!("CARGO_MANIFEST_DIR"),
            "hyper",
            &["--features", "test-util"],
        )
        .await
    })
    .await
    .clone()
}

fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .no_proxy()
        .timeout(HTTP_TIMEOUT)
        .build()
        .unwrap()
}

fn challenge(resp: &reqwest::Response) -> &str {
    resp.headers()["www-authenticate"].to_str().unwrap()
}

#[tokio::test]
async fn the_example_prints_a_token_that_its_layer_accepts() {
    let mut running = start(command(&example_binary().await)).await;
    let (lines, addr) = (&running.lines, running.addr);
    assert!(addr.ip().is_loopback() && addr.port() != 0, "{addr}");
    assert_eq!(lines[0], OFFLINE_LINE);
    assert!(
        lines.contains(&"accepted token use: access".to_owned()),
        "{lines:#?}"
    );
    let access = line_value(lines, "access token: ").unwrap().to_owned();
    let id = line_value(lines, "id token: ").unwrap().to_owned();
    let curl = format!("curl -H \"Authorization: Bearer {access}\" http://{addr}/me");
    assert!(lines.contains(&curl), "{lines:#?}");

    let http = client();
    let url = format!("http://{addr}/me");

    // No token: 401 with the bare RFC 6750 challenge, and an empty body.
    let resp = http.get(&url).send().await.unwrap();
    assert_eq!(resp.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(challenge(&resp), "Bearer realm=\"api\"");
    assert_eq!(resp.text().await.unwrap(), "");

    // A token that is not a JWS: 401 invalid_token.
    let resp = http
        .get(&url)
        .bearer_auth("not.a-real.token")
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(
        challenge(&resp),
        "Bearer realm=\"api\", error=\"invalid_token\", error_description=\"the token is not a compact JWS\""
    );

    // Two tokens: 400 invalid_request.
    let resp = http
        .get(&url)
        .header("authorization", format!("Bearer {access} {access}"))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::BAD_REQUEST);
    assert!(
        challenge(&resp).starts_with("Bearer realm=\"api\", error=\"invalid_request\""),
        "{}",
        challenge(&resp)
    );

    // The printed token: 200, the body made from the claims the handler read.
    let resp = http.get(&url).bearer_auth(&access).send().await.unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    assert_eq!(resp.headers()["content-type"], "application/json");
    let me: Value = resp.json().await.unwrap();
    assert_eq!(me["sub"], "a1b2c3d4-0000-4000-8000-000000000001");
    assert_eq!(me["username"], "alice");
    assert_eq!(me["token_use"], "access");
    assert_eq!(me["path"], "/me");

    // Access tokens only by default, offline as in real mode: the printed ID token is refused.
    let resp = http.get(&url).bearer_auth(&id).send().await.unwrap();
    assert_eq!(resp.status(), StatusCode::UNAUTHORIZED);
    assert!(
        challenge(&resp).contains("token use not accepted"),
        "{}",
        challenge(&resp)
    );
    assert!(lines.iter().any(|l| l.contains(LOCAL_CLIENT_ID)));

    running.child.kill().await.unwrap();
}

#[tokio::test]
async fn with_token_use_id_the_printed_id_token_is_the_working_one() {
    let mut cmd = command(&example_binary().await);
    cmd.env("COGNITO_TOKEN_USE", "id");
    let mut running = start(cmd).await;
    let (lines, addr) = (&running.lines, running.addr);
    assert_eq!(lines[0], OFFLINE_LINE);
    assert!(
        lines.contains(&"accepted token use: id".to_owned()),
        "{lines:#?}"
    );
    let access = line_value(lines, "access token: ").unwrap().to_owned();
    let id = line_value(lines, "id token: ").unwrap().to_owned();
    let curl = format!("curl -H \"Authorization: Bearer {id}\" http://{addr}/me");
    assert!(lines.contains(&curl), "{lines:#?}");

    let http = client();
    let url = format!("http://{addr}/me");
    let resp = http.get(&url).bearer_auth(&id).send().await.unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    let me: Value = resp.json().await.unwrap();
    assert_eq!(me["token_use"], "id");
    assert_eq!(me["username"], "alice");
    let resp = http.get(&url).bearer_auth(&access).send().await.unwrap();
    assert_eq!(resp.status(), StatusCode::UNAUTHORIZED);

    running.child.kill().await.unwrap();
}

#[tokio::test]
async fn the_example_exits_cleanly_on_bad_configuration() {
    let bin = example_binary().await;
    for (vars, needle) in BAD_CONFIGURATIONS {
        fails_cleanly(command(&bin), "hyper", vars, needle).await;
    }
}
