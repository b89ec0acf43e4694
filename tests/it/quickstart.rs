//! The quick start (`examples/quickstart.rs`), built with cargo and run as a child process
//! exactly as the README runs it: offline and real mode, the printed tokens and `curl` commands,
//! every route, the token use, and clean failures (one line on stderr with the whole cause).
//! The variables themselves are `tower_cognito::env`'s, tested there.

use std::path::PathBuf;
use std::time::Duration;

use reqwest::StatusCode;
use serde_json::Value;
use tokio::net::TcpListener;
use tokio::process::Command;
use tower_cognito::TokenUse;
use tower_cognito::env::Env;
use tower_cognito::test_util::{JwksResponse, LocalIssuer};
use tower_cognito_test_support::child::output;
use tower_cognito_test_support::example::build_example;

use crate::support::child::{
    self, OFFLINE_LINE, fails_cleanly, line_value, start as start_example,
};

/// Limit of any single HTTP exchange with a local server.
const HTTP_TIMEOUT: Duration = Duration::from_secs(10);

/// Variables of a fake environment.
type Vars<'a> = &'a [(&'a str, &'a str)];

fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .no_proxy()
        .timeout(HTTP_TIMEOUT)
        .build()
        .unwrap()
}

fn challenge(resp: &reqwest::Response) -> String {
    resp.headers()
        .get("www-authenticate")
        .expect("a WWW-Authenticate header")
        .to_str()
        .unwrap()
        .to_owned()
}

/// Builds the quick start (as `cargo run --example quickstart --features test-util` would), once
/// per test binary.
async fn example_binary() -> PathBuf {
    static BIN: tokio::sync::OnceCell<PathBuf> = tokio::sync::OnceCell::const_new();
    BIN.get_or_init(|| async {
        build_example(
            env!("CARGO_MANIFEST_DIR"),
            "quickstart",
            &["--features", "test-util"],
        )
        .await
    })
    .await
    .clone()
}

/// The quick start's command with a clean environment for the variables it reads.
async fn example() -> Command {
    child::command(&example_binary().await)
}

/// Runs the quick start with `vars` to its end: exit 1 and the one line on stderr.
async fn failure(vars: &[(&str, &str)]) -> String {
    let mut cmd = example().await;
    cmd.env("BIND_ADDR", "127.0.0.1:0")
        .envs(vars.iter().copied());
    let out = output(cmd).await;
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert_eq!(out.status.code(), Some(1), "{vars:?}: {stderr}");
    assert_eq!(stderr.lines().count(), 1, "one line: {stderr}");
    assert!(!String::from_utf8_lossy(&out.stdout).contains("listening on"));
    stderr
}

#[tokio::test]
async fn offline_mode_serves_and_verifies_its_printed_tokens() {
    // No COGNITO_* variable: offline, access tokens by default.
    let mut running = start_example(example().await).await;
    let (lines, addr) = (running.lines.clone(), running.addr);
    assert_eq!(lines.first().unwrap(), OFFLINE_LINE);
    assert!(
        lines.contains(&"accepted token use: access".to_owned()),
        "default: access: {lines:#?}"
    );

    assert_eq!(
        lines.last().map(String::as_str),
        Some(format!("listening on http://{addr}").as_str())
    );
    let access = line_value(&lines, "access token: ").expect("an access token line");
    let id = line_value(&lines, "id token: ").expect("an id token line");
    let curl = format!("curl -H \"Authorization: Bearer {access}\" http://{addr}/me");
    assert!(lines.contains(&curl), "a ready curl command: {lines:#?}");
    assert!(lines.iter().all(|l| !l.contains('\n')));

    let http = client();
    let base = format!("http://{addr}");

    let resp = http.get(format!("{base}/health")).send().await.unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    assert_eq!(resp.text().await.unwrap(), "ok");
    // Readiness, without a token: the keys are loaded and fresh.
    let resp = http.get(format!("{base}/ready")).send().await.unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    assert_eq!(resp.text().await.unwrap(), "ready\n");

    let resp = http
        .get(format!("{base}/me"))
        .bearer_auth(access)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    let me: Value = resp.json().await.unwrap();
    assert_eq!(me["sub"], "a1b2c3d4-0000-4000-8000-000000000001");
    assert_eq!(me["token_use"], "access");
    assert_eq!(me["username"], "alice");
    assert_eq!(me["client_id"], tower_cognito::test_util::LOCAL_CLIENT_ID);
    // The printed user is an admin, and the banner says so.
    assert_eq!(me["groups"], serde_json::json!(["users", "admins"]));
    assert!(
        lines
            .iter()
            .any(|l| l.contains("in the groups users and admins")),
        "{lines:#?}"
    );
    assert_eq!(
        me["scopes"],
        serde_json::json!(["aws.cognito.signin.user.admin"])
    );
    assert!(me["exp"].as_u64().unwrap() > 0);

    // Access tokens only, as in real mode: the printed ID token is refused.
    let resp = http
        .get(format!("{base}/me"))
        .bearer_auth(id)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::UNAUTHORIZED);
    assert!(
        challenge(&resp).contains("token use not accepted"),
        "{}",
        challenge(&resp)
    );

    let resp = http.get(format!("{base}/me")).send().await.unwrap();
    assert_eq!(resp.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(challenge(&resp), "Bearer realm=\"api\"");

    let resp = http
        .get(format!("{base}/me"))
        .bearer_auth("not.a-real.token")
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::UNAUTHORIZED);
    assert!(
        challenge(&resp).starts_with("Bearer realm=\"api\", error=\"invalid_token\""),
        "{}",
        challenge(&resp)
    );

    // `GET /admin`: the group `admins` only, behind the same layer.
    let admin_curl = format!("curl -H \"Authorization: Bearer {access}\" http://{addr}/admin");
    assert!(lines.contains(&admin_curl), "{lines:#?}");
    let resp = http
        .get(format!("{base}/admin"))
        .bearer_auth(access)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    assert_eq!(resp.text().await.unwrap(), "hello admin alice");
    // The printed token without `admins` (a member of `users` only): 403 on `/admin`.
    let not_admin = line_value(&lines, "not an admin (403 on /admin): ")
        .expect("a token without admins")
        .to_owned();
    let resp = http
        .get(format!("{base}/admin"))
        .bearer_auth(&not_admin)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::FORBIDDEN);
    assert_eq!(
        challenge(&resp),
        r#"Bearer realm="api", error="insufficient_scope", error_description="not in a required group""#
    );
    // The same token is fine on `/me`; without a token `/admin` is 401 (the layer answers).
    let resp = http
        .get(format!("{base}/me"))
        .bearer_auth(&not_admin)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    let me: Value = resp.json().await.unwrap();
    assert_eq!(me["groups"], serde_json::json!(["users"]));
    assert_eq!(me["token_use"], "access");
    let resp = http.get(format!("{base}/admin")).send().await.unwrap();
    assert_eq!(resp.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(challenge(&resp), "Bearer realm=\"api\"");

    // Only `/me` and `/admin` are behind the layer: an unknown path is a plain 404, not a 401.
    let resp = http.get(format!("{base}/nope")).send().await.unwrap();
    assert_eq!(resp.status(), StatusCode::NOT_FOUND);
    // The debug routes are the bench server's only.
    for path in ["/debug/stats", "/debug/authed", "/debug/me-no-layer"] {
        let resp = http.get(format!("{base}{path}")).send().await.unwrap();
        assert_eq!(resp.status(), StatusCode::NOT_FOUND, "{path}");
    }

    running.child.kill().await.unwrap();
}

#[tokio::test]
async fn offline_mode_honours_cognito_token_use() {
    for (token_use, access_ok) in [("id", false), ("any", true)] {
        // COGNITO_TOKEN_USE alone: offline.
        let mut cmd = example().await;
        cmd.env("COGNITO_TOKEN_USE", token_use);
        let mut running = start_example(cmd).await;
        let (lines, addr) = (running.lines.clone(), running.addr);
        assert_eq!(lines.first().unwrap(), OFFLINE_LINE);
        assert!(
            lines.contains(&format!("accepted token use: {token_use}")),
            "{lines:#?}"
        );
        let access = line_value(&lines, "access token: ").unwrap();
        let id = line_value(&lines, "id token: ").unwrap();
        // The curl command carries a token that works.
        let curl_token = if token_use == "id" { id } else { access };
        let curl = format!("curl -H \"Authorization: Bearer {curl_token}\" http://{addr}/me");
        assert!(lines.contains(&curl), "{lines:#?}");

        let http = client();
        let me = format!("http://{addr}/me");
        let resp = http.get(&me).bearer_auth(access).send().await.unwrap();
        assert_eq!(resp.status().is_success(), access_ok, "{token_use}");
        let resp = http.get(&me).bearer_auth(id).send().await.unwrap();
        assert_eq!(resp.status(), StatusCode::OK, "{token_use}");
        let me: Value = resp.json().await.unwrap();
        assert_eq!(me["token_use"], "id");
        assert_eq!(me["username"], "alice");
        assert_eq!(me["client_id"], tower_cognito::test_util::LOCAL_CLIENT_ID);
        assert_eq!(me["email"], "alice@example.com");
        assert_eq!(me["scopes"], serde_json::json!([]));
        // The printed token without `admins` is of the accepted kind.
        let not_admin = line_value(&lines, "not an admin (403 on /admin): ").unwrap();
        let resp = http
            .get(format!("http://{addr}/me"))
            .bearer_auth(not_admin)
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status(), StatusCode::OK, "{token_use}");
        running.child.kill().await.unwrap();
    }
}

#[tokio::test]
async fn real_mode_verifies_the_configured_pool() {
    let issuer = LocalIssuer::builder()
        .user_pool_id("eu-west-1_Quick42")
        .client_id("quickclient")
        .build()
        .unwrap();
    let jwks = issuer.serve().await.unwrap();
    let clients = format!("other, {}", issuer.client_id());
    let vars = [
        ("COGNITO_USER_POOL_ID", issuer.user_pool_id()),
        ("COGNITO_CLIENT_ID", &clients),
        ("COGNITO_JWKS_URL", jwks.jwks_url()),
        ("COGNITO_TOKEN_USE", "access"),
    ];
    // What the example reads from them.
    let config = Env::from_pairs(vars)
        .config()
        .unwrap()
        .expect("real mode")
        .build()
        .unwrap();
    assert_eq!(config.issuer(), issuer.issuer());
    assert_eq!(config.jwks_url(), jwks.jwks_url());
    assert_eq!(config.token_use(), Some(TokenUse::Access));

    let mut cmd = example().await;
    cmd.envs(vars);
    let mut running = start_example(cmd).await;
    let (lines, addr) = (running.lines.clone(), running.addr);
    let mode = lines.first().unwrap();
    assert!(
        mode.starts_with("real mode: user pool eu-west-1_Quick42"),
        "{mode}"
    );
    assert!(mode.contains(issuer.issuer()), "{mode}");
    assert_eq!(lines[1], format!("JWKS {}", jwks.jwks_url()));
    assert!(
        lines.contains(&"accepted token use: access".to_owned()),
        "{lines:#?}"
    );
    assert!(line_value(&lines, "access token: ").is_none());
    assert_eq!(
        lines.last().unwrap(),
        &format!("listening on http://{addr}")
    );

    let http = client();
    let me = format!("http://{addr}/me");
    let get = |token: String| http.get(&me).bearer_auth(token).send();

    let resp = get(issuer.access_token()).await.unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    let body: Value = resp.json().await.unwrap();
    assert_eq!(body["client_id"], "quickclient");
    assert_eq!(body["token_use"], "access");

    // Every client of the comma-separated list is allowed, and only those.
    let mut claims = issuer.access_claims();
    claims.insert("client_id".into(), "other".into());
    let resp = get(issuer.sign(&claims)).await.unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    claims.insert("client_id".into(), "stranger".into());
    let resp = get(issuer.sign(&claims)).await.unwrap();
    assert_eq!(resp.status(), StatusCode::UNAUTHORIZED);
    assert!(challenge(&resp).contains("error=\"invalid_token\""));

    // COGNITO_TOKEN_USE=access: the ID token is refused.
    let resp = get(issuer.id_token()).await.unwrap();
    assert_eq!(resp.status(), StatusCode::UNAUTHORIZED);
    let challenge = challenge(&resp);
    assert!(challenge.contains("error=\"invalid_token\""), "{challenge}");
    assert!(challenge.contains("token use not accepted"), "{challenge}");

    // A token of another issuer (another key, same pool id) is refused.
    let impostor = LocalIssuer::builder()
        .user_pool_id("eu-west-1_Quick42")
        .client_id("quickclient")
        .kid("impostor")
        .build()
        .unwrap();
    let resp = get(impostor.access_token()).await.unwrap();
    assert_eq!(resp.status(), StatusCode::UNAUTHORIZED);

    let resp = http
        .get(format!("http://{addr}/health"))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::OK);

    running.child.kill().await.unwrap();
}

#[tokio::test]
async fn unreachable_keys_fail_the_start_with_a_message() {
    // A JWKS that answers 500: after the start-up wait (10 s), the error and its cause.
    let issuer = LocalIssuer::new().unwrap();
    let jwks = issuer.serve().await.unwrap();
    issuer.respond_with(JwksResponse::Status(500));
    let err = failure(&[
        ("COGNITO_USER_POOL_ID", issuer.user_pool_id()),
        ("COGNITO_CLIENT_ID", issuer.client_id()),
        ("COGNITO_JWKS_URL", jwks.jwks_url()),
    ])
    .await;
    assert!(
        err.starts_with(
            "quickstart: error: could not load the signing keys from http://127.0.0.1:"
        ),
        "{err}"
    );
    assert!(err.contains("no usable key set for the user pool"), "{err}");
    assert!(
        err.trim_end().ends_with("HTTP status 500"),
        "the cause: {err}"
    );
}

/// The whole cause of a refused JWKS connection, down to the socket's error.
#[tokio::test]
async fn a_refused_jwks_connection_shows_its_cause() {
    // A loopback port where nothing listens (bound, then released).
    let closed = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = closed.local_addr().unwrap().port();
    drop(closed);
    let url = format!("http://127.0.0.1:{port}/jwks.json");
    let err = failure(&[
        ("COGNITO_USER_POOL_ID", "us-east-1_AbC123xyz"),
        ("COGNITO_CLIENT_ID", "c1"),
        ("COGNITO_JWKS_URL", &url),
    ])
    .await;
    assert!(
        err.starts_with(&format!(
            "quickstart: error: could not load the signing keys from {url}: no usable key set"
        )),
        "{err}"
    );
    // Every level of the chain: the fetch, then the transport's own causes.
    assert!(err.contains(": request failed: "), "{err}");
    let cause = err.to_ascii_lowercase();
    assert!(
        cause.contains("connection refused") || cause.contains("connect"),
        "the socket's error: {err}"
    );
    // A level is not repeated by the next.
    assert_eq!(err.matches("error sending request").count(), 1, "{err}");
}

#[tokio::test]
async fn an_address_in_use_fails_the_start_with_a_message() {
    let taken = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = taken.local_addr().unwrap().to_string();
    let mut cmd = example().await;
    cmd.env("BIND_ADDR", &addr);
    let out = output(cmd).await;
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(
        err.starts_with(&format!("quickstart: error: cannot listen on {addr}")),
        "{err}"
    );
}

#[tokio::test]
async fn the_example_binary_prints_a_working_token() {
    let mut running = start_example(example().await).await;
    let (lines, addr) = (&running.lines, running.addr);
    assert!(addr.ip().is_loopback() && addr.port() != 0, "{addr}");
    assert_eq!(lines.first().unwrap(), OFFLINE_LINE);
    let access = line_value(lines, "access token: ").unwrap().to_owned();
    let id = line_value(lines, "id token: ").unwrap().to_owned();
    assert!(lines.contains(&format!(
        "curl -H \"Authorization: Bearer {access}\" http://{addr}/me"
    )));

    // What the printed curl command does.
    let http = client();
    let resp = http
        .get(format!("http://{addr}/me"))
        .bearer_auth(&access)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    let me: Value = resp.json().await.unwrap();
    assert_eq!(me["username"], "alice");
    assert_eq!(me["token_use"], "access");

    // Access tokens only by default.
    let resp = http
        .get(format!("http://{addr}/me"))
        .bearer_auth(&id)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::UNAUTHORIZED);

    let resp = http.get(format!("http://{addr}/me")).send().await.unwrap();
    assert_eq!(resp.status(), StatusCode::UNAUTHORIZED);

    running.child.kill().await.unwrap();
}

#[tokio::test]
async fn the_example_binary_with_token_use_id_prints_a_working_id_token() {
    let mut cmd = example().await;
    cmd.env("COGNITO_TOKEN_USE", "id");
    let mut running = start_example(cmd).await;
    let (lines, addr) = (&running.lines, running.addr);
    assert_eq!(lines.first().unwrap(), OFFLINE_LINE);
    let id = line_value(lines, "id token: ").unwrap().to_owned();
    assert!(lines.contains(&format!(
        "curl -H \"Authorization: Bearer {id}\" http://{addr}/me"
    )));
    let resp = client()
        .get(format!("http://{addr}/me"))
        .bearer_auth(&id)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    let me: Value = resp.json().await.unwrap();
    assert_eq!(me["token_use"], "id");
    assert_eq!(me["email"], "alice@example.com");

    running.child.kill().await.unwrap();
}

/// Runs the quick start with each of `cases`' variables: it must exit 1 with one line on
/// stderr, `quickstart: error: ` and the case's needle, no panic and no `listening on`.
async fn assert_exits_cleanly(cases: &[(Vars<'_>, &str)]) {
    for (vars, needle) in cases {
        fails_cleanly(example().await, "quickstart", vars, needle).await;
    }
}

#[tokio::test]
async fn the_example_binary_exits_cleanly_on_bad_configuration() {
    // The configurations every example refuses (a superset of the quick start's former list).
    assert_exits_cleanly(child::BAD_CONFIGURATIONS).await;
}
