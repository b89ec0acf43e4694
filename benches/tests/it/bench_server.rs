//! The benchmark server (`src/server.rs`, binary `bench_server`): its functions in process, and
//! the binary as a child process, as `cargo xtask load` runs it.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use reqwest::StatusCode;
use serde_json::Value;
use tokio::net::TcpListener;
use tokio::process::Command;
use tokio::task::JoinHandle;
use tower_cognito::env::Env;
use tower_cognito::test_util::OfflineIssuer;
use tower_cognito::{CognitoAuthLayer, TokenUse};
use tower_cognito_benches::server;

use crate::support::{OFFLINE_LINE, command, fails_cleanly, start};

/// Limit of any single HTTP exchange with a local server.
const HTTP_TIMEOUT: Duration = Duration::from_secs(10);

/// Variables of a fake environment.
type Vars<'a> = &'a [(&'a str, &'a str)];

/// A fake environment.
fn env(pairs: &[(&str, &str)]) -> Env {
    Env::from_pairs(pairs.iter().copied())
}

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

/// The bench server's app in offline mode, served in process on a free loopback port.
async fn start_offline() -> (SocketAddr, OfflineIssuer, JoinHandle<()>) {
    let offline = OfflineIssuer::start(Some(TokenUse::Access), &["users", "admins"])
        .await
        .unwrap();
    let layer = CognitoAuthLayer::builder(offline.config().build().unwrap())
        .start()
        .await
        .unwrap();
    let router = server::app(&layer, Some(&offline)).unwrap();
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let server = tokio::spawn(async move {
        axum::serve(listener, router).await.unwrap();
    });
    (addr, offline, server)
}

/// The binary's command, with a clean environment.
fn bench_server() -> Command {
    command(std::path::Path::new(env!("CARGO_BIN_EXE_bench_server")))
}

/// A fresh directory under the system temporary directory, removed on drop.
struct TempDir(PathBuf);

impl TempDir {
    fn new(tag: &str) -> Self {
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_nanos();
        let dir = std::env::temp_dir().join(format!(
            "tower-cognito-{tag}-{}-{nanos}",
            std::process::id()
        ));
        std::fs::create_dir_all(&dir).unwrap();
        Self(dir)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

#[test]
fn token_files_default_off_and_validated() {
    let files = server::token_files_from_env(&env(&[])).unwrap();
    assert!(!files.any());
    assert_eq!(files.count, server::DEFAULT_TOKEN_COUNT);

    let files = server::token_files_from_env(&env(&[
        ("BENCH_TOKENS_FILE", "/tmp/t"),
        ("BENCH_UNKNOWN_KID_FILE", " "),
        ("BENCH_TOKEN_COUNT", "12"),
    ]))
    .unwrap();
    assert!(files.any());
    assert_eq!(files.valid, Some(PathBuf::from("/tmp/t")));
    assert_eq!(files.unknown_kid, None, "blank counts as unset");
    assert_eq!(files.count, 12);

    for (var, value) in [
        ("BENCH_TOKEN_COUNT", "0"),
        ("BENCH_TOKEN_COUNT", "1000001"),
        ("BENCH_TOKEN_COUNT", "ten"),
    ] {
        let err = server::token_files_from_env(&env(&[(var, value)])).unwrap_err();
        assert!(err.contains(var) && !err.contains('\n'), "{err}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn debug_stats_and_token_files_in_offline_mode() {
    let dir = TempDir::new("bench-server-tokens");
    let files = server::TokenFiles {
        valid: Some(dir.0.join("valid.txt")),
        unknown_kid: Some(dir.0.join("unknown.txt")),
        count: 5,
    };
    let (addr, offline, server) = start_offline().await;
    let lines = server::write_token_files(offline.issuer(), &files).unwrap();
    assert_eq!(lines.len(), 2, "{lines:?}");
    assert!(lines[0].starts_with("wrote 5 distinct access tokens to "));
    assert!(lines[1].starts_with("wrote 5 unknown-kid tokens to "));
    let read = |name: &str| -> Vec<String> {
        std::fs::read_to_string(dir.0.join(name))
            .unwrap()
            .lines()
            .map(str::to_owned)
            .collect()
    };
    let (valid, unknown) = (read("valid.txt"), read("unknown.txt"));
    assert_eq!(valid.len(), 5);
    assert_eq!(unknown.len(), 5);
    let distinct = |tokens: &[String]| {
        tokens
            .iter()
            .collect::<std::collections::HashSet<_>>()
            .len()
    };
    assert_eq!(distinct(&valid), 5);
    assert_eq!(distinct(&unknown), 5);

    let http = client();
    let base = format!("http://{addr}");
    // One GET, with a bearer token when given.
    let get = |path: &str, token: Option<&str>| {
        let req = http.get(format!("{base}{path}"));
        match token {
            Some(token) => req.bearer_auth(token),
            None => req,
        }
        .send()
    };
    let stats = || async {
        let resp = get("/debug/stats", None).await.unwrap();
        assert_eq!(resp.status(), StatusCode::OK);
        resp.json::<Value>().await.unwrap()
    };
    // Behind the layer, without the claims handler.
    let resp = get("/debug/authed", None).await.unwrap();
    assert_eq!(resp.status(), StatusCode::UNAUTHORIZED);
    let resp = get("/debug/authed", Some(&valid[0])).await.unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    assert_eq!(resp.text().await.unwrap(), "ok");
    // The `/me` handler without the layer: no token needed, and the body `/me` gives for the
    // printed access token.
    let unprotected = get("/debug/me-no-layer", None).await.unwrap();
    assert_eq!(unprotected.status(), StatusCode::OK);
    let unprotected: Value = unprotected.json().await.unwrap();
    let protected = get("/me", Some(offline.access_token())).await.unwrap();
    assert_eq!(protected.status(), StatusCode::OK);
    let protected: Value = protected.json().await.unwrap();
    assert_eq!(unprotected, protected);
    assert_eq!(unprotected["username"], "alice", "{unprotected}");

    let before = stats().await;
    assert_eq!(before["jwks_fetches"], 1, "{before}");
    assert_eq!(before["refresh"]["fetches"], 1, "{before}");
    assert_eq!(before["refresh"]["fetch_failures"], 0, "{before}");

    for token in &valid {
        let resp = get("/me", Some(token)).await.unwrap();
        assert_eq!(resp.status(), StatusCode::OK);
    }
    for token in &unknown {
        let resp = get("/me", Some(token)).await.unwrap();
        assert_eq!(resp.status(), StatusCode::UNAUTHORIZED);
        assert!(
            challenge(&resp).contains("unknown signing key"),
            "{}",
            challenge(&resp)
        );
    }
    // Their refetch at the end of the cooldown is tested with paused time in
    // conformance/tests/it/refresher.rs.
    let after = stats().await;
    assert_eq!(
        after["jwks_fetches"],
        offline.issuer().jwks_requests(),
        "the counter is the embedded issuer's: {after}"
    );

    server.abort();
}

#[tokio::test]
async fn the_bench_server_exits_cleanly_on_bad_configuration() {
    let cases: &[(Vars<'_>, &str)] = &[
        (&[("BENCH_TOKEN_COUNT", "0")], "BENCH_TOKEN_COUNT"),
        (&[("BIND_ADDR", "nonsense")], "BIND_ADDR"),
        // Token files need the embedded issuer.
        (
            &[
                ("COGNITO_USER_POOL_ID", "us-east-1_AbC123xyz"),
                ("COGNITO_CLIENT_ID", "c1"),
                ("BENCH_TOKENS_FILE", "/nonexistent/tokens.txt"),
            ],
            "need offline mode",
        ),
    ];
    for (vars, needle) in cases {
        fails_cleanly(bench_server(), "bench_server", vars, needle).await;
    }
}

#[tokio::test]
async fn the_bench_server_writes_token_files_and_serves_stats() {
    let dir = TempDir::new("bench-server-binary");
    let valid = dir.0.join("valid.txt");
    let unknown = dir.0.join("unknown.txt");
    let mut cmd = bench_server();
    cmd.env("BENCH_TOKEN_COUNT", "3")
        .env("BENCH_TOKENS_FILE", &valid)
        .env("BENCH_UNKNOWN_KID_FILE", &unknown);
    let mut running = start(cmd).await;
    let (lines, addr) = (&running.lines, running.addr);
    // The quick start's banner, then the extra lines, then `listening on` last.
    assert_eq!(lines.first().unwrap(), OFFLINE_LINE);
    let n = lines.len();
    assert_eq!(
        lines[n - 4],
        format!("wrote 3 distinct access tokens to {}", valid.display())
    );
    assert_eq!(
        lines[n - 3],
        format!("wrote 3 unknown-kid tokens to {}", unknown.display())
    );
    assert_eq!(
        lines[n - 2],
        format!("debug stats: http://{addr}/debug/stats")
    );
    // The quick start's banner (its `curl` commands and the `/admin` note) comes before.
    assert!(
        lines[..n - 4].iter().any(|l| l.starts_with("curl -H ")),
        "{lines:#?}"
    );

    let http = client();
    let token = std::fs::read_to_string(&valid).unwrap();
    let token = token.lines().next().unwrap();
    let resp = http
        .get(format!("http://{addr}/me"))
        .bearer_auth(token)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    let stats: Value = http
        .get(format!("http://{addr}/debug/stats"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(stats["jwks_fetches"], 1, "{stats}");
    assert_eq!(stats["refresh"]["fetch_successes"], 1, "{stats}");

    running.child.kill().await.unwrap();
}
