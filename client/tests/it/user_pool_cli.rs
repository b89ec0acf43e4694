//! The command-line example (`examples/user_pool.rs`) as a child process, against a local user
//! pool on loopback: every subcommand's stdout JSON, stderr and exit code (0 success, 1 Cognito
//! error with the exact `error: <Type>: <message>` line, 2 usage error), and the `local-pool`
//! subcommand serving the whole tutorial offline.
//!
//! It builds the example with cargo once (minutes when cold) and spawns it.
//!
//! Run: `cargo test -p tower-cognito-client --features test-util --test it user_pool_cli::`.

use std::path::PathBuf;
use std::process::Stdio;
use std::time::Duration;

use serde_json::Value;
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::Command;
use tower_cognito_client::test_util::{LocalUserPool, UserPoolServer, UserStatus};
use tower_cognito_test_support::child;
use tower_cognito_test_support::example::build_example;

use crate::support::features;

mod mfa;
mod user_auth;

/// Limit of one run of the example.
const RUN_TIMEOUT: Duration = Duration::from_secs(60);
const PASSWORD: &str = "Corr3ct-horse-battery";
const NEW_PASSWORD: &str = "N3w-Corr3ct-horse!";
const WRONG_PASSWORD: &str = "Wr0ng-horse-battery";
const VARS: [&str; 6] = [
    "COGNITO_USER_POOL_ID",
    "COGNITO_CLIENT_ID",
    "COGNITO_CLIENT_SECRET",
    "COGNITO_REGION",
    "COGNITO_ENDPOINT",
    "COGNITO_JWKS_URL",
];

/// Builds the example (as `cargo run --example user_pool --features client,test-util` would,
/// with this test binary's features) and returns its executable. Built once per test binary.
async fn example_binary() -> PathBuf {
    static BIN: tokio::sync::OnceCell<PathBuf> = tokio::sync::OnceCell::const_new();
    BIN.get_or_init(|| async {
        // The features of this test binary, so that the library built for it is reused.
        build_example(
            env!("CARGO_MANIFEST_DIR"),
            "user_pool",
            &["--no-default-features", "--features", &features()],
        )
        .await
    })
    .await
    .clone()
}

/// The example's command, with none of its environment variables inherited.
async fn example() -> Command {
    child::command(&example_binary().await, &VARS)
}

/// What one run gave.
#[derive(Debug)]
struct Run {
    code: i32,
    stdout: String,
    stderr: String,
}

impl Run {
    /// Exit 0, nothing on stderr, one JSON object on stdout.
    fn json(&self) -> Value {
        assert_eq!(self.code, 0, "{self:#?}");
        assert!(self.stderr.is_empty(), "{self:#?}");
        assert_eq!(self.stdout.lines().count(), 1, "one line: {self:#?}");
        let value: Value = serde_json::from_str(&self.stdout).unwrap();
        assert!(value.is_object(), "{self:#?}");
        value
    }

    /// Exit 1, nothing on stdout, exactly `line` on stderr.
    fn cognito_error(&self, line: &str) {
        assert_eq!(self.code, 1, "{self:#?}");
        assert!(self.stdout.is_empty(), "{self:#?}");
        assert_eq!(self.stderr, format!("{line}\n"), "{self:#?}");
    }

    /// Exit 1 with an `error: <type>: ...` line.
    fn error_type(&self) -> String {
        assert_eq!(self.code, 1, "{self:#?}");
        assert!(self.stdout.is_empty(), "{self:#?}");
        assert_eq!(self.stderr.lines().count(), 1, "{self:#?}");
        let rest = self.stderr.strip_prefix("error: ").expect("error: prefix");
        rest.split(':').next().unwrap().to_owned()
    }

    /// Exit 2 with a message on stderr.
    fn usage_error(&self, contains: &str) {
        assert_eq!(self.code, 2, "{self:#?}");
        assert!(self.stdout.is_empty(), "{self:#?}");
        assert!(self.stderr.contains(contains), "{self:#?}");
    }
}

async fn run_with(env: &[(&str, &str)], args: &[&str]) -> Run {
    let mut cmd = example().await;
    cmd.envs(env.iter().copied()).args(args);
    let out = child::output(cmd).await;
    Run {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8(out.stdout).unwrap(),
        stderr: String::from_utf8(out.stderr).unwrap(),
    }
}

/// A served pool and the environment that points the example at it.
struct Pool {
    pool: LocalUserPool,
    server: UserPoolServer,
    env: Vec<(&'static str, String)>,
}

impl Pool {
    async fn new(secret: Option<&str>) -> Self {
        let mut builder = LocalUserPool::builder();
        if let Some(secret) = secret {
            builder = builder.client_secret(secret);
        }
        Self::from_builder(builder).await
    }

    async fn from_builder(builder: tower_cognito_client::test_util::LocalUserPoolBuilder) -> Self {
        let pool = builder.build().unwrap();
        let server = pool.serve().await.unwrap();
        let env = vec![
            ("COGNITO_USER_POOL_ID", pool.user_pool_id().to_owned()),
            ("COGNITO_CLIENT_ID", pool.client_id().to_owned()),
            ("COGNITO_ENDPOINT", server.endpoint().to_owned()),
        ];
        Self { pool, server, env }
    }

    async fn run(&self, args: &[&str]) -> Run {
        let env: Vec<(&str, &str)> = self.env.iter().map(|(k, v)| (*k, v.as_str())).collect();
        run_with(&env, args).await
    }

    fn code(&self, username: &str) -> String {
        self.pool.last_code(username).expect("a code was sent")
    }
}

fn check_tokens(tokens: &Value) {
    for name in ["access_token", "id_token"] {
        assert_eq!(
            tokens[name].as_str().unwrap().split('.').count(),
            3,
            "{tokens}"
        );
    }
    assert!(tokens["refresh_token"].is_string(), "{tokens}");
    assert_eq!(tokens["expires_in"], 3600);
}

#[tokio::test]
async fn every_subcommand_against_the_local_pool() {
    let p = Pool::new(None).await;

    // sign-up, confirm (a wrong code first), resend-code.
    let out = p
        .run(&[
            "sign-up",
            "--username",
            "alice",
            "--password",
            PASSWORD,
            "--attr",
            "email=alice@example.com",
            "--attr",
            "name=Alice",
        ])
        .await
        .json();
    assert_eq!(out["user_confirmed"], false);
    let sub = out["user_sub"].as_str().unwrap().to_owned();
    let delivery = p.run(&["resend-code", "--username", "alice"]).await.json();
    assert_eq!(delivery["delivery_medium"], "EMAIL");
    assert_eq!(delivery["attribute_name"], "email");
    let code = p.code("alice");
    let wrong = if code == "000000" { "111111" } else { "000000" };
    p.run(&["confirm", "--username", "alice", "--code", wrong])
        .await
        .cognito_error(
            "error: CodeMismatchException: Invalid verification code provided, please try again.",
        );
    let out = p
        .run(&["confirm", "--username", "alice", "--code", &code])
        .await
        .json();
    assert_eq!(out, serde_json::json!({}));
    assert_eq!(p.pool.user_status("alice"), Some(UserStatus::Confirmed));

    // login: SRP and USER_PASSWORD_AUTH; a wrong password.
    let tokens = p
        .run(&[
            "login",
            "--username",
            "alice",
            "--password",
            PASSWORD,
            "--srp",
        ])
        .await
        .json();
    check_tokens(&tokens);
    check_tokens(
        &p.run(&["login", "--username", "alice", "--password", PASSWORD])
            .await
            .json(),
    );
    for srp in [true, false] {
        let mut args = vec!["login", "--username", "alice", "--password", WRONG_PASSWORD];
        if srp {
            args.push("--srp");
        }
        p.run(&args)
            .await
            .cognito_error("error: NotAuthorizedException: Incorrect username or password.");
    }
    let access = tokens["access_token"].as_str().unwrap();
    let id = tokens["id_token"].as_str().unwrap();
    let refresh = tokens["refresh_token"].as_str().unwrap();

    // verify: the JWKS comes from the endpoint (the pool serves it), or --jwks-url.
    let claims = p
        .run(&["verify", "--token", access, "--token-use", "access"])
        .await
        .json();
    assert_eq!(claims["username"], "alice");
    assert_eq!(claims["sub"], sub.as_str());
    assert_eq!(claims["token_use"], "access");
    let claims = p
        .run(&[
            "--jwks-url",
            p.server.jwks_url(),
            "verify",
            "--token",
            id,
            "--token-use",
            "id",
        ])
        .await
        .json();
    assert_eq!(claims["cognito:username"], "alice");
    assert_eq!(claims["email"], "alice@example.com");
    assert_eq!(
        p.run(&["verify", "--token", id]).await.json()["token_use"],
        "id"
    );
    assert_eq!(
        p.run(&["verify", "--token", id, "--token-use", "access"])
            .await
            .error_type(),
        "TokenUseNotAccepted"
    );
    assert_eq!(
        p.run(&["verify", "--token", "not.a.token"])
            .await
            .error_type(),
        "Malformed"
    );

    // me, update, delete-attrs.
    let me = p.run(&["me", "--access-token", access]).await.json();
    assert_eq!(me["username"], "alice");
    assert_eq!(me["attributes"]["sub"], sub.as_str());
    assert_eq!(me["attributes"]["email"], "alice@example.com");
    assert_eq!(me["attributes"]["name"], "Alice");
    let out = p
        .run(&[
            "update",
            "--access-token",
            access,
            "--attr",
            "name=Alice Liddell",
            "--attr",
            "email=alice@example.org",
        ])
        .await
        .json();
    assert_eq!(out["code_deliveries"][0]["attribute_name"], "email");
    p.run(&["delete-attrs", "--access-token", access, "--name", "name"])
        .await
        .json();
    let me = p.run(&["me", "--access-token", access]).await.json();
    assert_eq!(me["attributes"]["email"], "alice@example.org");
    assert!(me["attributes"].get("name").is_none(), "{me}");

    // refresh, change-password, forgot-password, confirm-forgot-password.
    let refreshed = p.run(&["refresh", "--refresh-token", refresh]).await.json();
    check_tokens(&refreshed);
    assert_eq!(refreshed["refresh_token"], refresh);
    p.run(&[
        "change-password",
        "--access-token",
        access,
        "--old",
        WRONG_PASSWORD,
        "--new",
        NEW_PASSWORD,
    ])
    .await
    .cognito_error("error: NotAuthorizedException: Incorrect username or password.");
    p.run(&[
        "change-password",
        "--access-token",
        access,
        "--old",
        PASSWORD,
        "--new",
        NEW_PASSWORD,
    ])
    .await
    .json();
    p.run(&[
        "login",
        "--username",
        "alice",
        "--password",
        NEW_PASSWORD,
        "--srp",
    ])
    .await
    .json();
    let delivery = p
        .run(&["forgot-password", "--username", "alice"])
        .await
        .json();
    assert_eq!(delivery["attribute_name"], "email");
    let code = p.code("alice");
    p.run(&[
        "confirm-forgot-password",
        "--username",
        "alice",
        "--code",
        &code,
        "--password",
        PASSWORD,
    ])
    .await
    .json();
    p.run(&["forgot-password", "--username", "nobody"])
        .await
        .cognito_error("error: UserNotFoundException: Username/client id combination not found.");

    // sign-out: the refresh token and the access token are refused after it.
    p.run(&["sign-out", "--access-token", access]).await.json();
    p.run(&["refresh", "--refresh-token", refresh])
        .await
        .cognito_error("error: NotAuthorizedException: Refresh Token has been revoked");
    p.run(&["me", "--access-token", access])
        .await
        .cognito_error("error: NotAuthorizedException: Access Token has been revoked");

    // revoke, then delete-user.
    let tokens = p
        .run(&[
            "login",
            "--username",
            "alice",
            "--password",
            PASSWORD,
            "--srp",
        ])
        .await
        .json();
    let (access, refresh) = (
        tokens["access_token"].as_str().unwrap(),
        tokens["refresh_token"].as_str().unwrap(),
    );
    p.run(&["revoke", "--refresh-token", refresh]).await.json();
    p.run(&["refresh", "--refresh-token", refresh])
        .await
        .cognito_error("error: NotAuthorizedException: Refresh Token has been revoked");
    let tokens = p
        .run(&["login", "--username", "alice", "--password", PASSWORD])
        .await
        .json();
    let access2 = tokens["access_token"].as_str().unwrap();
    assert_ne!(access2, access);
    p.run(&["delete-user", "--access-token", access2])
        .await
        .json();
    assert_eq!(p.pool.user_count(), 0);
    p.run(&["me", "--access-token", access2])
        .await
        .cognito_error("error: UserNotFoundException: User does not exist.");
}

#[tokio::test]
async fn respond_answers_challenges() {
    let p = Pool::new(None).await;
    p.pool
        .create_user_with_temporary_password("bob", "Temp0rary-pass!", &[])
        .await
        .unwrap();
    let challenge = p
        .run(&[
            "login",
            "--username",
            "bob",
            "--password",
            "Temp0rary-pass!",
            "--srp",
        ])
        .await
        .json();
    assert_eq!(challenge["challenge"], "NEW_PASSWORD_REQUIRED");
    assert_eq!(challenge["parameters"]["USERNAME"], "bob");
    let session = challenge["session"].as_str().unwrap();
    // Without --new-password: a usage error, nothing sent.
    p.run(&[
        "respond",
        "--challenge",
        "NEW_PASSWORD_REQUIRED",
        "--session",
        session,
        "--username",
        "bob",
    ])
    .await
    .usage_error("--new-password");
    let tokens = p
        .run(&[
            "respond",
            "--challenge",
            "NEW_PASSWORD_REQUIRED",
            "--session",
            session,
            "--username",
            "bob",
            "--new-password",
            NEW_PASSWORD,
        ])
        .await
        .json();
    check_tokens(&tokens);

    p.pool
        .create_user("carol", PASSWORD, &[("phone_number", "+15555550199")])
        .await
        .unwrap();
    assert!(p.pool.enable_sms_mfa("carol"));
    let challenge = p
        .run(&["login", "--username", "carol", "--password", PASSWORD])
        .await
        .json();
    assert_eq!(challenge["challenge"], "SMS_MFA");
    assert_eq!(
        challenge["parameters"]["CODE_DELIVERY_DESTINATION"],
        "+*******0199"
    );
    let session = challenge["session"].as_str().unwrap();
    let code = p.code("carol");
    let wrong = if code == "000000" { "111111" } else { "000000" };
    let respond = |code: &str| {
        let (session, code) = (session.to_owned(), code.to_owned());
        let p = &p;
        async move {
            p.run(&[
                "respond",
                "--challenge",
                "SMS_MFA",
                "--session",
                &session,
                "--username",
                "carol",
                "--code",
                &code,
            ])
            .await
        }
    };
    respond(wrong)
        .await
        .cognito_error("error: CodeMismatchException: Invalid code received for user");
    check_tokens(&respond(&code).await.json());
}

#[tokio::test]
async fn client_secret_from_the_environment() {
    let p = Pool::new(Some("cli-app-secret-0123456789")).await;
    p.pool.create_user("dan", PASSWORD, &[]).await.unwrap();
    let login = [
        "login",
        "--username",
        "dan",
        "--password",
        PASSWORD,
        "--srp",
    ];
    assert!(
        p.run(&login)
            .await
            .stderr
            .starts_with("error: NotAuthorizedException: Client ")
    );
    let mut env: Vec<(&str, &str)> = p.env.iter().map(|(k, v)| (*k, v.as_str())).collect();
    env.push(("COGNITO_CLIENT_SECRET", "cli-app-secret-0123456789"));
    let tokens = run_with(&env, &login).await.json();
    let refresh = tokens["refresh_token"].as_str().unwrap();
    // GetTokensFromRefreshToken sends the raw secret: no user name needed.
    let refreshed = run_with(&env, &["refresh", "--refresh-token", refresh])
        .await
        .json();
    check_tokens(&refreshed);
    assert_eq!(refreshed["refresh_token_rotated"], false);
    // REFRESH_TOKEN_AUTH needs the Cognito user name for SECRET_HASH.
    run_with(
        &env,
        &[
            "refresh",
            "--refresh-token",
            refresh,
            "--refresh-token-auth",
        ],
    )
    .await
    .usage_error("user name");
    check_tokens(
        &run_with(
            &env,
            &[
                "refresh",
                "--refresh-token",
                refresh,
                "--refresh-token-auth",
                "--username",
                "dan",
            ],
        )
        .await
        .json(),
    );
    check_tokens(
        &run_with(
            &env,
            &["refresh", "--refresh-token", refresh, "--username", "dan"],
        )
        .await
        .json(),
    );
    // The option wins over nothing, and the secret never shows in the help.
    let help = run_with(&env, &["--help"]).await;
    assert_eq!(help.code, 0);
    assert!(!help.stdout.contains("cli-app-secret"), "{}", help.stdout);
}

#[tokio::test]
async fn usage_errors_exit_2() {
    run_with(&[], &[]).await.usage_error("Usage");
    run_with(&[], &["no-such-command"])
        .await
        .usage_error("unrecognized subcommand");
    run_with(&[], &["login", "--username", "a"])
        .await
        .usage_error("--password");
    run_with(&[], &["login", "--username", "a", "--password", "b"])
        .await
        .usage_error("COGNITO_USER_POOL_ID");
    let env = [
        ("COGNITO_USER_POOL_ID", "us-east-1_LocalPool1"),
        ("COGNITO_CLIENT_ID", "localclient1"),
    ];
    run_with(
        &env,
        &[
            "sign-up",
            "--username",
            "a",
            "--password",
            "b",
            "--attr",
            "novalue",
        ],
    )
    .await
    .usage_error("NAME=VALUE");
    run_with(&env, &["verify", "--token", "t", "--token-use", "refresh"])
        .await
        .usage_error("refresh");
    run_with(&env, &["update", "--access-token", "t"])
        .await
        .usage_error("--attr");
    run_with(
        &[
            ("COGNITO_USER_POOL_ID", "not a pool"),
            ("COGNITO_CLIENT_ID", "c"),
        ],
        &["login", "--username", "a", "--password", "b"],
    )
    .await
    .usage_error("invalid user pool id");
    run_with(
        &env,
        &[
            "--endpoint",
            "http://example.com/",
            "login",
            "--username",
            "a",
            "--password",
            "b",
        ],
    )
    .await
    .usage_error("invalid endpoint");
    run_with(
        &env,
        &[
            "respond",
            "--challenge",
            "MFA_SETUP",
            "--session",
            "s",
            "--username",
            "a",
        ],
    )
    .await
    .usage_error("MFA_SETUP");
    run_with(&[], &["local-pool", "--bind", "0.0.0.0:0"])
        .await
        .usage_error("loopback");
}

/// The `local-pool` subcommand as a background job would run it: stdin closed (the example's
/// command has no stdin), its banner read.
struct LocalPool {
    child: tokio::process::Child,
    stdout: tokio::io::Lines<BufReader<tokio::process::ChildStdout>>,
    stderr: tokio::io::Lines<BufReader<tokio::process::ChildStderr>>,
    banner: Vec<String>,
}

impl LocalPool {
    async fn start() -> Self {
        let mut child = example()
            .await
            .args(["local-pool"])
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let mut stdout = BufReader::new(child.stdout.take().unwrap()).lines();
        let stderr = BufReader::new(child.stderr.take().unwrap()).lines();
        let banner = tokio::time::timeout(RUN_TIMEOUT, async {
            let mut lines = Vec::new();
            while lines.len() < 4 {
                match stdout.next_line().await.unwrap() {
                    Some(line) => lines.push(line),
                    None => break,
                }
            }
            lines
        })
        .await
        .expect("the banner in time");
        Self {
            child,
            stdout,
            stderr,
            banner,
        }
    }

    /// Sends `signal` (`TERM`, `INT`) with `kill`, then checks that the pool stops cleanly: exit
    /// 0 and `{"stopped":true}` last.
    async fn stop_with(mut self, signal: &str) {
        let pid = self.child.id().unwrap().to_string();
        let kill = Command::new("kill")
            .args([&format!("-{signal}"), &pid])
            .status()
            .await
            .unwrap();
        assert!(kill.success(), "kill -{signal} {pid}");
        let status = tokio::time::timeout(RUN_TIMEOUT, self.child.wait())
            .await
            .expect("it stops in time")
            .unwrap();
        assert!(status.success(), "{status}");
        let last = self.stdout.next_line().await.unwrap().unwrap();
        assert_eq!(last, r#"{"stopped":true}"#);
    }
}

#[tokio::test]
async fn local_pool_serves_the_tutorial_offline() {
    let LocalPool {
        child,
        stdout,
        mut stderr,
        banner,
    } = LocalPool::start().await;
    assert_eq!(banner.len(), 4, "{banner:?}");
    let addr = banner[0].strip_prefix("listening on http://").unwrap();
    let addr: std::net::SocketAddr = addr.parse().unwrap();
    assert!(addr.ip().is_loopback());
    assert_eq!(banner[1], "user_pool_id: us-east-1_LocalPool1");
    assert_eq!(banner[2], "client_id: localclient1");
    assert_eq!(
        banner[3],
        format!("jwks_url: http://{addr}/us-east-1_LocalPool1/.well-known/jwks.json")
    );

    let endpoint = format!("http://{addr}/");
    let env = [
        ("COGNITO_USER_POOL_ID", "us-east-1_LocalPool1"),
        ("COGNITO_CLIENT_ID", "localclient1"),
        ("COGNITO_ENDPOINT", endpoint.as_str()),
    ];
    run_with(
        &env,
        &[
            "sign-up",
            "--username",
            "erin",
            "--password",
            PASSWORD,
            "--attr",
            "email=erin@example.com",
        ],
    )
    .await
    .json();
    let line = tokio::time::timeout(RUN_TIMEOUT, stderr.next_line())
        .await
        .expect("the code in time")
        .unwrap()
        .unwrap();
    let code = line.strip_prefix("code: erin sign-up ").unwrap();
    assert_eq!(code.len(), 6, "{line}");
    run_with(&env, &["confirm", "--username", "erin", "--code", code])
        .await
        .json();
    let tokens = run_with(
        &env,
        &[
            "login",
            "--username",
            "erin",
            "--password",
            PASSWORD,
            "--srp",
        ],
    )
    .await
    .json();
    let claims = run_with(
        &env,
        &[
            "verify",
            "--token",
            tokens["access_token"].as_str().unwrap(),
            "--token-use",
            "access",
        ],
    )
    .await
    .json();
    assert_eq!(claims["username"], "erin");

    // Its stdin was closed from the start and it served the whole tutorial: as a background
    // job, it runs until a signal. SIGTERM stops it, cleanly.
    LocalPool {
        child,
        stdout,
        stderr,
        banner,
    }
    .stop_with("TERM")
    .await;
}

/// Started in the background (stdin closed), the local pool keeps answering until Ctrl-C
/// (SIGINT), then stops cleanly.
#[tokio::test]
async fn local_pool_runs_until_a_signal() {
    let pool = LocalPool::start().await;
    let addr = pool.banner[0].strip_prefix("listening on http://").unwrap();
    let endpoint = format!("http://{addr}/");
    let env = [
        ("COGNITO_USER_POOL_ID", "us-east-1_LocalPool1"),
        ("COGNITO_CLIENT_ID", "localclient1"),
        ("COGNITO_ENDPOINT", endpoint.as_str()),
    ];
    // Twice, the second call after the first finished: it did not stop on its closed stdin.
    for name in ["frank", "grace"] {
        let out = run_with(
            &env,
            &["sign-up", "--username", name, "--password", PASSWORD],
        )
        .await
        .json();
        assert_eq!(out["user_confirmed"], false);
    }
    pool.stop_with("INT").await;
}

/// A transport failure shows its whole cause, down to the socket's error, on one line.
#[tokio::test]
async fn an_unreachable_endpoint_shows_the_cause() {
    // A loopback port where nothing listens (bound, then released).
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let endpoint = format!("http://{}/", closed.local_addr().unwrap());
    drop(closed);
    let env = [
        ("COGNITO_USER_POOL_ID", "us-east-1_LocalPool1"),
        ("COGNITO_CLIENT_ID", "localclient1"),
        ("COGNITO_ENDPOINT", endpoint.as_str()),
    ];
    let run = run_with(&env, &["login", "--username", "a", "--password", "b"]).await;
    assert_eq!(run.error_type(), "Transport");
    let line = run.stderr.trim_end();
    assert!(
        line.starts_with("error: Transport: InitiateAuth: the request failed: "),
        "{line}"
    );
    assert!(line.to_ascii_lowercase().contains("connect"), "{line}");
}

/// `refresh` on an app client with rotation: the new refresh token on stdout, the old one
/// refused as reused (exit 1), `--refresh-token-auth` refused (exit 1).
#[tokio::test]
async fn refresh_prints_the_rotated_refresh_token() {
    let p = Pool::from_builder(LocalUserPool::builder().refresh_token_rotation(true)).await;
    p.pool
        .create_user("rita", PASSWORD, &[("email", "rita@example.com")])
        .await
        .unwrap();
    let tokens = p
        .run(&[
            "login",
            "--username",
            "rita",
            "--password",
            PASSWORD,
            "--srp",
        ])
        .await
        .json();
    let old = tokens["refresh_token"].as_str().unwrap();
    let refreshed = p.run(&["refresh", "--refresh-token", old]).await.json();
    check_tokens(&refreshed);
    assert_eq!(refreshed["refresh_token_rotated"], true);
    let new = refreshed["refresh_token"].as_str().unwrap();
    assert_ne!(new, old);
    assert_eq!(
        p.run(&["refresh", "--refresh-token", old])
            .await
            .error_type(),
        "RefreshTokenReuseException"
    );
    p.run(&["refresh", "--refresh-token", new, "--refresh-token-auth"])
        .await
        .cognito_error(
            "error: InvalidParameterException: REFRESH_TOKEN_AUTH flow not enabled for this client",
        );
    let again = p.run(&["refresh", "--refresh-token", new]).await.json();
    assert_eq!(again["refresh_token_rotated"], true);
}

mod devices;
