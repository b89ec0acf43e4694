//! The ALB example (`examples/alb.rs`), built and run as a child process: offline mode with its
//! embedded load balancer, real mode against a local key endpoint, and the configurations it
//! refuses.

use std::path::PathBuf;
use std::time::Duration;

use reqwest::StatusCode;
use serde_json::Value;
use tower_cognito::test_util::LOCAL_CLIENT_ID;
use tower_cognito::test_util::alb::{LOCAL_ALB_ARN, LocalAlb};

use tower_cognito_test_support::example::build_example;

use crate::support::child::{command, fails_cleanly, line_value, start};

const HTTP_TIMEOUT: Duration = Duration::from_secs(10);

/// Every variable the example reads beyond `child::command`'s.
const ALB_VARS: [&str; 5] = [
    "ALB_SIGNER_ARNS",
    "ALB_CLIENT_IDS",
    "ALB_ISSUER",
    "ALB_REGION",
    "ALB_KEYS_URL",
];

async fn example_binary() -> PathBuf {
    static BIN: tokio::sync::OnceCell<PathBuf> = tokio::sync::OnceCell::const_new();
    BIN.get_or_init(|| async {
        // The Lambda example's features too: one build of the library for both.
        let features = ["--features", "alb,lambda,test-util"];
        build_example(env!("CARGO_MANIFEST_DIR"), "alb", &features).await
    })
    .await
    .clone()
}

async fn alb_command() -> tokio::process::Command {
    let mut cmd = command(&example_binary().await);
    for var in ALB_VARS {
        cmd.env_remove(var);
    }
    cmd
}

fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .no_proxy()
        .timeout(HTTP_TIMEOUT)
        .build()
        .unwrap()
}

async fn me(addr: std::net::SocketAddr, headers: &[(&str, &str)]) -> (StatusCode, String) {
    let mut req = client().get(format!("http://{addr}/me"));
    for (name, value) in headers {
        req = req.header(*name, *value);
    }
    let resp = req.send().await.unwrap();
    (resp.status(), resp.text().await.unwrap())
}

#[tokio::test]
async fn alb_example_offline_prints_a_token_its_layer_accepts() {
    let running = start(alb_command().await).await;
    let (lines, addr) = (&running.lines, running.addr);
    assert_eq!(
        lines[0],
        "offline mode: no ALB_SIGNER_ARNS, tokens from an embedded load balancer"
    );
    let token = line_value(lines, "x-amzn-oidc-data: ").unwrap().to_owned();
    let curl = format!("curl -H \"x-amzn-oidc-data: {token}\" http://{addr}/me");
    assert!(lines.contains(&curl), "{lines:#?}");

    let (status, body) = me(addr, &[("x-amzn-oidc-data", &token)]).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let claims: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(claims["sub"], "alice");
    assert_eq!(claims["signer"], LOCAL_ALB_ARN);
    assert_eq!(claims["client"], LOCAL_CLIENT_ID);

    // Missing, tampered, or next to another identity: 401.
    assert_eq!(me(addr, &[]).await.0, StatusCode::UNAUTHORIZED);
    let tampered = token.replacen("eyJ", "eyK", 1);
    assert_eq!(
        me(addr, &[("x-amzn-oidc-data", &tampered)]).await.0,
        StatusCode::UNAUTHORIZED
    );
    let other = [
        ("x-amzn-oidc-data", token.as_str()),
        ("x-amzn-oidc-identity", "bob"),
    ];
    assert_eq!(me(addr, &other).await.0, StatusCode::UNAUTHORIZED);
    // A token of another load balancer (another key) is refused.
    let stranger = LocalAlb::new().unwrap().token();
    assert_eq!(
        me(addr, &[("x-amzn-oidc-data", &stranger)]).await.0,
        StatusCode::UNAUTHORIZED
    );
}

#[tokio::test]
async fn alb_example_real_mode_fetches_the_key_from_alb_keys_url() {
    let alb = LocalAlb::new().unwrap();
    let server = alb.serve().await.unwrap();
    let mut cmd = alb_command().await;
    cmd.envs([
        ("ALB_SIGNER_ARNS", format!(" {LOCAL_ALB_ARN} ,")),
        ("ALB_CLIENT_IDS", format!("otherclient,{LOCAL_CLIENT_ID}")),
        ("ALB_ISSUER", alb.issuer()),
        ("ALB_REGION", "us-east-1".to_owned()),
        ("ALB_KEYS_URL", server.url().to_owned()),
    ]);
    let running = start(cmd).await;
    assert!(
        running.lines.iter().any(|l| l.starts_with("real mode")),
        "{:#?}",
        running.lines
    );
    let (status, body) = me(running.addr, &[("x-amzn-oidc-data", &alb.token())]).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(alb.key_requests(), 1);
    let stranger = LocalAlb::new().unwrap().token();
    assert_eq!(
        me(running.addr, &[("x-amzn-oidc-data", &stranger)]).await.0,
        StatusCode::UNAUTHORIZED
    );
}

#[tokio::test]
async fn alb_example_refuses_bad_configurations() {
    let arn = LOCAL_ALB_ARN;
    let cases: &[(&[(&str, &str)], &str)] = &[
        (&[("ALB_CLIENT_IDS", "c1")], "ALB_SIGNER_ARNS is not"),
        (&[("ALB_SIGNER_ARNS", arn)], "ALB_CLIENT_IDS is required"),
        (
            &[("ALB_SIGNER_ARNS", arn), ("ALB_CLIENT_IDS", "c1")],
            "ALB_ISSUER is required",
        ),
        (
            &[
                ("ALB_SIGNER_ARNS", "arn:aws:ec2:us-east-1:1:x"),
                ("ALB_CLIENT_IDS", "c1"),
                ("ALB_ISSUER", "https://issuer"),
            ],
            "invalid load balancer ARN",
        ),
        (
            &[
                ("ALB_SIGNER_ARNS", arn),
                ("ALB_CLIENT_IDS", "c1"),
                ("ALB_ISSUER", "https://issuer"),
                ("ALB_REGION", "eu-west-1"),
            ],
            "ALB_REGION",
        ),
        (
            &[
                ("ALB_SIGNER_ARNS", arn),
                ("ALB_CLIENT_IDS", "c1"),
                ("ALB_ISSUER", "https://issuer"),
                ("ALB_KEYS_URL", "http://example.com"),
            ],
            "plain http",
        ),
        (&[("BIND_ADDR", "nonsense")], "BIND_ADDR"),
    ];
    for (vars, needle) in cases {
        fails_cleanly(alb_command().await, "alb", vars, needle).await;
    }
}
