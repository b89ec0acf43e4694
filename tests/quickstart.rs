//! The quick start (`examples/quickstart.rs`) and the benchmark server built on it
//! (`examples/bench_server.rs`): their functions in process, and the compiled examples as child
//! processes, exactly as the README runs them.

#![cfg(all(feature = "test-util", feature = "axum", feature = "reqwest"))]
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

// The bench server includes the quick start as its module `quickstart`, and the quick start the
// examples' shared set-up as `quickstart::common`: one copy of each.
#[path = "../examples/bench_server.rs"]
#[allow(dead_code, unreachable_pub)]
mod bench_server;

use std::collections::HashMap;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use reqwest::StatusCode;
use serde_json::Value;
use tokio::net::TcpListener;
use tokio::process::Command;
use tokio::task::JoinHandle;
use tower_cognito::AcceptTokenUse;
use tower_cognito::test_util::{JwksResponse, LocalIssuer};

use bench_server::quickstart::{
    self,
    common::{self, Auth, Offline, Settings},
};

#[path = "common/child.rs"]
mod child;
#[path = "common/example.rs"]
mod common_example;
use child::{OFFLINE_LINE, START_TIMEOUT, fails_cleanly, line_value, start as start_example};
use common_example::build_example;

/// Limit of any single HTTP exchange with a local server.
const HTTP_TIMEOUT: Duration = Duration::from_secs(10);

/// The bench server's own variables.
const BENCH_VARS: [&str; 3] = [
    "BENCH_TOKENS_FILE",
    "BENCH_UNKNOWN_KID_FILE",
    "BENCH_TOKEN_COUNT",
];

/// Variables of a fake environment.
type Vars<'a> = &'a [(&'a str, &'a str)];

/// A fake environment.
fn env(pairs: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> + use<> {
    let map: HashMap<String, String> = pairs
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect();
    move |name| map.get(name).cloned()
}

fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .no_proxy()
        .timeout(HTTP_TIMEOUT)
        .build()
        .unwrap()
}

/// A server started in process on a free loopback port.
struct Started {
    addr: SocketAddr,
    /// The banner, `listening on` last.
    lines: Vec<String>,
    /// The embedded issuer in offline mode (it must outlive the test).
    offline: Option<Offline>,
    server: JoinHandle<()>,
}

/// The settings of the quick start (its default `BIND_ADDR`) read from `vars`.
fn settings_from_env(vars: impl Fn(&str) -> Option<String>) -> Result<Settings, String> {
    common::settings_from_env(vars, quickstart::DEFAULT_BIND_ADDR)
}

/// Builds the examples' layer for `settings`, and serves `app(auth)` on `settings.bind_addr`
/// (port 0: a free one).
async fn start_with(settings: &Settings, app: impl FnOnce(&Auth) -> axum::Router) -> Started {
    let listener = TcpListener::bind(settings.bind_addr).await.unwrap();
    let addr = listener.local_addr().unwrap();
    let auth = common::auth(settings).await.unwrap();
    let router = app(&auth);
    let lines = quickstart::banner(&auth, addr);
    let offline = auth.offline;
    let server = tokio::spawn(async move {
        axum::serve(listener, router).await.unwrap();
    });
    Started {
        addr,
        lines,
        offline,
        server,
    }
}

/// The quick start's app for `settings`, served in process.
async fn start(settings: &Settings) -> Started {
    start_with(settings, |auth| {
        quickstart::app(auth.layer.clone()).unwrap()
    })
    .await
}

fn challenge(resp: &reqwest::Response) -> String {
    resp.headers()
        .get("www-authenticate")
        .expect("a WWW-Authenticate header")
        .to_str()
        .unwrap()
        .to_owned()
}

#[tokio::test]
async fn offline_mode_serves_and_verifies_its_printed_tokens() {
    let settings = settings_from_env(env(&[("BIND_ADDR", "127.0.0.1:0")])).unwrap();
    assert!(settings.cognito.is_none(), "no COGNITO_* variable: offline");
    assert_eq!(
        settings.token_use,
        AcceptTokenUse::Access,
        "default: access"
    );
    let Started {
        addr,
        lines,
        offline,
        server,
    } = start(&settings).await;
    assert!(offline.is_some());

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
    let not_admin = offline.as_ref().unwrap().issuer.access_token();
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

    server.abort();
}

#[tokio::test]
async fn offline_mode_honours_cognito_token_use() {
    for (token_use, access_ok) in [("id", false), ("any", true)] {
        let settings = settings_from_env(env(&[
            ("BIND_ADDR", "127.0.0.1:0"),
            ("COGNITO_TOKEN_USE", token_use),
        ]))
        .unwrap();
        assert!(
            settings.cognito.is_none(),
            "COGNITO_TOKEN_USE alone: offline"
        );
        let Started {
            addr,
            lines,
            server,
            ..
        } = start(&settings).await;
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
        server.abort();
    }
}

// --- The bench server (examples/bench_server.rs) -----------------------------------------------

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
    let files = bench_server::token_files_from_env(env(&[])).unwrap();
    assert!(!files.any());
    assert_eq!(files.count, bench_server::DEFAULT_TOKEN_COUNT);

    let files = bench_server::token_files_from_env(env(&[
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
        let err = bench_server::token_files_from_env(env(&[(var, value)])).unwrap_err();
        assert!(err.contains(var) && !err.contains('\n'), "{err}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn debug_stats_and_token_files_in_offline_mode() {
    let settings = settings_from_env(env(&[("BIND_ADDR", "127.0.0.1:0")])).unwrap();
    let dir = TempDir::new("bench-server-tokens");
    let files = bench_server::TokenFiles {
        valid: Some(dir.0.join("valid.txt")),
        unknown_kid: Some(dir.0.join("unknown.txt")),
        count: 5,
    };
    let Started {
        addr,
        offline,
        server,
        ..
    } = start_with(&settings, |auth| bench_server::app(auth).unwrap()).await;
    let offline = offline.expect("offline mode");
    let lines = bench_server::write_token_files(&offline.issuer, &files).unwrap();
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
    let protected = get("/me", Some(&offline.access_token)).await.unwrap();
    assert_eq!(protected.status(), StatusCode::OK);
    let protected: Value = protected.json().await.unwrap();
    assert_eq!(unprotected, protected);
    assert_eq!(unprotected["username"], "alice", "{unprotected}");

    let before = stats().await;
    assert_eq!(before["jwks_fetches"], 1, "{before}");
    assert_eq!(before["refresh"]["fetches"], 1, "{before}");
    assert_eq!(before["refresh"]["failures"], 0, "{before}");

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
    // Their refetch at the end of the cooldown is tested with paused time in tests/it/refresher.rs.
    let after = stats().await;
    assert_eq!(
        after["jwks_fetches"],
        offline.issuer.jwks_requests(),
        "the counter is the embedded issuer's: {after}"
    );

    server.abort();
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
    let settings = settings_from_env(env(&[
        ("BIND_ADDR", "127.0.0.1:0"),
        ("COGNITO_USER_POOL_ID", issuer.user_pool_id()),
        ("COGNITO_CLIENT_ID", &clients),
        ("COGNITO_JWKS_URL", jwks.jwks_url()),
        ("COGNITO_TOKEN_USE", "access"),
    ]))
    .unwrap();
    let config = settings.cognito.as_ref().expect("real mode");
    assert_eq!(config.issuer(), issuer.issuer());
    assert_eq!(config.jwks_url(), jwks.jwks_url());
    assert_eq!(config.token_use(), AcceptTokenUse::Access);

    let Started {
        addr,
        lines,
        server,
        ..
    } = start(&settings).await;
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

    server.abort();
}

#[test]
fn settings_defaults_and_choices() {
    let s = settings_from_env(env(&[])).unwrap();
    assert_eq!(s.bind_addr, "127.0.0.1:3000".parse().unwrap());
    assert!(s.cognito.is_none());

    // Blank values count as unset.
    let s = settings_from_env(env(&[("BIND_ADDR", " "), ("COGNITO_REGION", "")])).unwrap();
    assert_eq!(s.bind_addr, "127.0.0.1:3000".parse().unwrap());
    assert!(s.cognito.is_none());

    // COGNITO_TOKEN_USE is honoured offline too (it names no pool).
    let s = settings_from_env(env(&[("COGNITO_TOKEN_USE", " id ")])).unwrap();
    assert!(s.cognito.is_none());
    assert_eq!(s.token_use, AcceptTokenUse::Id);

    let real = [
        ("COGNITO_USER_POOL_ID", "us-east-1_AbC123xyz"),
        ("COGNITO_CLIENT_ID", "c1"),
    ];
    let config = settings_from_env(env(&real)).unwrap().cognito.unwrap();
    assert_eq!(
        config.token_use(),
        AcceptTokenUse::Access,
        "default: access"
    );
    assert_eq!(
        config.jwks_url(),
        "https://cognito-idp.us-east-1.amazonaws.com/us-east-1_AbC123xyz/.well-known/jwks.json"
    );
    assert_eq!(config.client_ids().unwrap().collect::<Vec<_>>(), ["c1"]);

    for (raw, expected) in [("id", AcceptTokenUse::Id), ("any", AcceptTokenUse::Any)] {
        let mut vars = real.to_vec();
        vars.push(("COGNITO_TOKEN_USE", raw));
        let config = settings_from_env(env(&vars)).unwrap().cognito.unwrap();
        assert_eq!(config.token_use(), expected);
    }

    let mut vars = real.to_vec();
    vars.push(("COGNITO_REGION", "eu-central-1"));
    vars.push(("COGNITO_CLIENT_ID", "a, b,,c"));
    let config = settings_from_env(env(&vars)).unwrap().cognito.unwrap();
    assert_eq!(config.region(), "eu-central-1");
    assert_eq!(
        config.issuer(),
        "https://cognito-idp.eu-central-1.amazonaws.com/us-east-1_AbC123xyz"
    );
    assert_eq!(
        config.client_ids().unwrap().collect::<Vec<_>>(),
        ["a", "b", "c"]
    );
}

#[test]
fn configuration_errors_are_one_line_messages() {
    let pool = ("COGNITO_USER_POOL_ID", "us-east-1_AbC123xyz");
    let client = ("COGNITO_CLIENT_ID", "c1");
    let cases: &[(Vars<'_>, &[&str])] = &[
        (
            &[pool, client, ("COGNITO_TOKEN_USE", "bogus")],
            &["COGNITO_TOKEN_USE", "bogus", "access, id or any"],
        ),
        (
            &[("COGNITO_USER_POOL_ID", "bad id"), client],
            &["COGNITO_USER_POOL_ID", "bad id"],
        ),
        (&[pool], &["COGNITO_CLIENT_ID is required"]),
        (
            &[pool, ("COGNITO_CLIENT_ID", " , ")],
            &["COGNITO_CLIENT_ID is required"],
        ),
        (
            &[pool, ("COGNITO_CLIENT_ID", "bad client")],
            &["COGNITO_CLIENT_ID", "bad client"],
        ),
        (
            &[
                pool,
                client,
                ("COGNITO_JWKS_URL", "http://example.com/jwks"),
            ],
            &["COGNITO_JWKS_URL", "loopback"],
        ),
        (
            &[pool, client, ("COGNITO_REGION", "US_EAST")],
            &["COGNITO_REGION"],
        ),
        (&[("BIND_ADDR", "nonsense")], &["BIND_ADDR", "nonsense"]),
        (&[("BIND_ADDR", "localhost:3000")], &["BIND_ADDR"]),
        // Half a real configuration never falls back to offline mode.
        (
            &[client],
            &["COGNITO_CLIENT_ID is set", "COGNITO_USER_POOL_ID"],
        ),
        (
            &[("COGNITO_JWKS_URL", "https://example.com/jwks")],
            &["COGNITO_JWKS_URL is set"],
        ),
    ];
    for (vars, needles) in cases {
        let err = settings_from_env(env(vars)).expect_err(&format!("{vars:?}"));
        assert!(!err.contains('\n'), "one line: {err:?}");
        for needle in *needles {
            assert!(err.contains(needle), "{vars:?}: {err:?} lacks {needle:?}");
        }
    }
}

#[tokio::test]
async fn unreachable_keys_fail_the_start_with_a_message() {
    let issuer = LocalIssuer::new().unwrap();
    let _jwks = issuer.serve().await.unwrap();
    issuer.respond_with(JwksResponse::Status(500));
    let config = issuer
        .config()
        .token_use(AcceptTokenUse::Access)
        .startup_timeout(Duration::from_millis(300))
        .build()
        .unwrap();
    let settings = Settings {
        bind_addr: "127.0.0.1:0".parse().unwrap(),
        token_use: AcceptTokenUse::Access,
        cognito: Some(config),
    };
    let err = common::auth(&settings).await.err().unwrap();
    assert!(
        err.starts_with("could not load the signing keys from http://127.0.0.1:"),
        "{err}"
    );
    assert!(!err.contains('\n'), "{err:?}");
}

#[tokio::test]
async fn an_address_in_use_fails_the_start_with_a_message() {
    let taken = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = taken.local_addr().unwrap();
    let settings = Settings {
        bind_addr: addr,
        token_use: AcceptTokenUse::Access,
        cognito: None,
    };
    let run = tokio::time::timeout(START_TIMEOUT, quickstart::run(settings));
    let err = run.await.expect("run returns at once").unwrap_err();
    assert!(
        err.starts_with(&format!("cannot listen on {addr}")),
        "{err}"
    );
}

// --- The compiled example, as a child process -------------------------------------------------

/// Builds the example `name` with cargo (as `cargo run --example quickstart --features test-util`
/// would) and returns the path of its executable. Each one built once per test binary.
async fn example_binary(name: &'static str) -> PathBuf {
    static QUICKSTART: tokio::sync::OnceCell<PathBuf> = tokio::sync::OnceCell::const_new();
    static BENCH_SERVER: tokio::sync::OnceCell<PathBuf> = tokio::sync::OnceCell::const_new();
    let cell = match name {
        "quickstart" => &QUICKSTART,
        "bench_server" => &BENCH_SERVER,
        other => panic!("no example {other}"),
    };
    cell.get_or_init(|| async { build_example(name, &["--features", "test-util"]).await })
        .await
        .clone()
}

/// The example's command with a clean environment for the variables it reads.
async fn example_named(name: &'static str) -> Command {
    let mut cmd = child::command(&example_binary(name).await);
    for var in BENCH_VARS {
        cmd.env_remove(var);
    }
    cmd
}

/// The quick start's command.
async fn example() -> Command {
    example_named("quickstart").await
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

/// Runs `cmd` with each of `cases`' variables: it must exit 1 with one line on stderr,
/// `{prefix}: error: ` and the case's needle, no panic and no `listening on`.
async fn assert_exits_cleanly(name: &'static str, cases: &[(Vars<'_>, &str)]) {
    for (vars, needle) in cases {
        fails_cleanly(example_named(name).await, name, vars, needle).await;
    }
}

#[tokio::test]
async fn the_example_binary_exits_cleanly_on_bad_configuration() {
    // The configurations every example refuses (a superset of the quick start's former list).
    assert_exits_cleanly("quickstart", child::BAD_CONFIGURATIONS).await;
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
    assert_exits_cleanly("bench_server", cases).await;
}

#[tokio::test]
async fn the_bench_server_writes_token_files_and_serves_stats() {
    let dir = TempDir::new("bench-server-binary");
    let valid = dir.0.join("valid.txt");
    let unknown = dir.0.join("unknown.txt");
    let mut cmd = example_named("bench_server").await;
    cmd.env("BENCH_TOKEN_COUNT", "3")
        .env("BENCH_TOKENS_FILE", &valid)
        .env("BENCH_UNKNOWN_KID_FILE", &unknown);
    let mut running = start_example(cmd).await;
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
    assert_eq!(stats["refresh"]["swaps"], 1, "{stats}");

    running.child.kill().await.unwrap();
}
