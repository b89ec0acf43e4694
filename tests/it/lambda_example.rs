//! The Lambda example (`examples/lambda.rs`), built and run as a child process against a local
//! Lambda runtime API (the three calls `lambda_runtime` makes: the next invocation, its response,
//! its error), with API Gateway events: offline bearer mode with the token it prints, gateway mode
//! with an authorizer's claims, and the configurations it refuses.

use std::convert::Infallible;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::Stdio;
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use serde_json::{Value, json};
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::sync::{Mutex, mpsc};
use tower_cognito_test_support::example::build_example;

use crate::support::child::{command, fails_cleanly, line_value};

const TIMEOUT: Duration = Duration::from_secs(60);
const HTTP: &str = include_str!("../fixtures/lambda/http.json");

async fn example_binary() -> PathBuf {
    static BIN: tokio::sync::OnceCell<PathBuf> = tokio::sync::OnceCell::const_new();
    BIN.get_or_init(|| async {
        // The ALB example's features too: one build of the library for both.
        let features = ["--features", "alb,lambda,test-util"];
        build_example(env!("CARGO_MANIFEST_DIR"), "lambda", &features).await
    })
    .await
    .clone()
}

/// A local Lambda runtime API: hands out the events sent to `events`, one per
/// `invocation/next`, and reports each `response` or `error` body on `results`.
struct RuntimeApi {
    addr: SocketAddr,
    events: mpsc::Sender<String>,
    results: mpsc::Receiver<(String, Value)>,
}

impl RuntimeApi {
    async fn start() -> Self {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let (events, next) = mpsc::channel::<String>(4);
        let (report, results) = mpsc::channel(4);
        let next = Arc::new(Mutex::new(next));
        tokio::spawn(async move {
            let mut id = 0u64;
            loop {
                let Ok((stream, _)) = listener.accept().await else {
                    return;
                };
                let (next, report) = (Arc::clone(&next), report.clone());
                id += 1;
                let service = hyper::service::service_fn(move |req: http::Request<Incoming>| {
                    let (next, report) = (Arc::clone(&next), report.clone());
                    async move { Ok::<_, Infallible>(answer(req, &next, &report, id).await) }
                });
                let io = hyper_util::rt::TokioIo::new(stream);
                tokio::spawn(
                    hyper::server::conn::http1::Builder::new().serve_connection(io, service),
                );
            }
        });
        Self {
            addr,
            events,
            results,
        }
    }

    /// Invokes the function with `event`; its answer (`response` or `error`) and body.
    async fn invoke(&mut self, event: Value) -> (String, Value) {
        self.events.send(event.to_string()).await.unwrap();
        tokio::time::timeout(TIMEOUT, self.results.recv())
            .await
            .expect("the function answers")
            .unwrap()
    }
}

async fn answer(
    req: http::Request<Incoming>,
    next: &Mutex<mpsc::Receiver<String>>,
    report: &mpsc::Sender<(String, Value)>,
    connection: u64,
) -> http::Response<Full<Bytes>> {
    let path = req.uri().path().to_owned();
    if path.ends_with("/invocation/next") {
        let Some(event) = next.lock().await.recv().await else {
            return http::Response::builder()
                .status(500)
                .body(Full::default())
                .unwrap();
        };
        return http::Response::builder()
            .header("lambda-runtime-aws-request-id", format!("req-{connection}"))
            .header("lambda-runtime-deadline-ms", "32503680000000")
            .header(
                "lambda-runtime-invoked-function-arn",
                "arn:aws:lambda:eu-west-1:123456789012:function:example",
            )
            .body(Full::new(Bytes::from(event)))
            .unwrap();
    }
    let body = req.into_body().collect().await.unwrap().to_bytes();
    let kind = path.rsplit('/').next().unwrap_or_default().to_owned();
    let _ = report
        .send((kind, serde_json::from_slice(&body).unwrap_or(Value::Null)))
        .await;
    http::Response::builder()
        .status(202)
        .body(Full::default())
        .unwrap()
}

/// The example's command, for the runtime API at `addr`.
async fn lambda_command(addr: SocketAddr) -> tokio::process::Command {
    let mut cmd = command(&example_binary().await);
    for var in ["LAMBDA_AUTH", "COGNITO_JWKS", "LAMBDA_STARTUP_TIMEOUT_MS"] {
        cmd.env_remove(var);
    }
    cmd.envs([
        ("AWS_LAMBDA_RUNTIME_API", addr.to_string()),
        ("AWS_LAMBDA_FUNCTION_NAME", "example".to_owned()),
        ("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "128".to_owned()),
        ("AWS_LAMBDA_FUNCTION_VERSION", "1".to_owned()),
    ]);
    cmd.stdout(Stdio::piped()).stderr(Stdio::null());
    cmd
}

/// Spawns `cmd` and reads its stdout up to a line starting with `until` (bounded).
async fn spawn_until(
    mut cmd: tokio::process::Command,
    until: &str,
) -> (tokio::process::Child, Vec<String>) {
    let mut child = cmd.spawn().unwrap();
    let mut stdout = BufReader::new(child.stdout.take().unwrap()).lines();
    let lines = tokio::time::timeout(TIMEOUT, async {
        let mut lines = Vec::new();
        while lines.len() < 50 {
            let Some(line) = stdout.next_line().await.unwrap() else {
                break;
            };
            let done = line.starts_with(until);
            lines.push(line);
            if done {
                break;
            }
        }
        lines
    })
    .await
    .expect("the example prints its banner");
    // Keep reading (and dropping) the rest, so the child never blocks on a full pipe.
    tokio::spawn(async move { while let Ok(Some(_)) = stdout.next_line().await {} });
    (child, lines)
}

/// The HTTP API fixture with `headers` and, when given, the authorizer's claims.
fn http_event(headers: Value, claims: Option<Value>) -> Value {
    let mut event: Value = serde_json::from_str(HTTP).unwrap();
    event["headers"] = headers;
    match claims {
        Some(claims) => event["requestContext"]["authorizer"]["jwt"]["claims"] = claims,
        None => {
            event["requestContext"]
                .as_object_mut()
                .unwrap()
                .remove("authorizer");
        }
    }
    event
}

fn status_and_body(result: &(String, Value)) -> (u64, Value) {
    assert_eq!(result.0, "response", "{result:?}");
    let body = result.1["body"].as_str().unwrap_or_default();
    (
        result.1["statusCode"].as_u64().unwrap(),
        serde_json::from_str(body).unwrap_or(Value::Null),
    )
}

#[tokio::test]
async fn lambda_example_offline_verifies_the_token_it_prints() {
    let mut api = RuntimeApi::start().await;
    let prefix = "put this in the event's headers: \"authorization\": \"Bearer ";
    let (_child, lines) = spawn_until(lambda_command(api.addr).await, prefix).await;
    let token = line_value(&lines, prefix)
        .and_then(|rest| rest.strip_suffix('"'))
        .unwrap_or_else(|| panic!("{lines:#?}"))
        .to_owned();

    let ok = api
        .invoke(http_event(
            json!({"authorization": format!("Bearer {token}")}),
            None,
        ))
        .await;
    let (status, body) = status_and_body(&ok);
    assert_eq!(status, 200, "{ok:?}");
    assert_eq!(body["token_use"], "access");
    assert!(
        body["groups"]
            .as_array()
            .unwrap()
            .contains(&json!("admins"))
    );

    let none = api.invoke(http_event(json!({}), None)).await;
    assert_eq!(status_and_body(&none).0, 401, "{none:?}");
    let challenge = &none.1["headers"]["www-authenticate"];
    assert_eq!(challenge, &json!("Bearer realm=\"api\""), "{none:?}");

    let forged = format!("Bearer {}x", &token[..token.len() - 1]);
    let bad = api
        .invoke(http_event(json!({"authorization": forged}), None))
        .await;
    assert_eq!(status_and_body(&bad).0, 401, "{bad:?}");
}

#[tokio::test]
async fn lambda_example_behind_a_gateway_reads_the_authorizer_claims() {
    let mut api = RuntimeApi::start().await;
    let mut cmd = lambda_command(api.addr).await;
    cmd.envs([
        ("LAMBDA_AUTH", "gateway"),
        ("COGNITO_USER_POOL_ID", "eu-west-1_AbC123"),
        ("COGNITO_CLIENT_ID", "client1"),
    ]);
    let (_child, lines) = spawn_until(cmd, "claims from the API Gateway authorizer").await;
    assert!(
        lines.last().unwrap().ends_with("eu-west-1_AbC123"),
        "{lines:#?}"
    );

    let mut claims: Value = serde_json::from_str::<Value>(HTTP).unwrap()["requestContext"]
        ["authorizer"]["jwt"]["claims"]
        .clone();
    claims["exp"] = json!("253402300799");
    let ok = api
        .invoke(http_event(json!({}), Some(claims.clone())))
        .await;
    let (status, body) = status_and_body(&ok);
    assert_eq!(
        (status, body["groups"].clone()),
        (200, json!(["admins", "users"])),
        "{ok:?}"
    );

    let mut user = claims.clone();
    user["cognito:groups"] = json!("[users]");
    let mut event = http_event(json!({}), Some(user));
    event["rawPath"] = json!("/admin");
    event["requestContext"]["http"]["path"] = json!("/admin");
    let forbidden = api.invoke(event).await;
    assert_eq!(status_and_body(&forbidden).0, 403, "{forbidden:?}");

    let mut id_token = claims;
    id_token["token_use"] = json!("id");
    let refused = api.invoke(http_event(json!({}), Some(id_token))).await;
    assert_eq!(status_and_body(&refused).0, 401, "{refused:?}");
    let missing = api.invoke(http_event(json!({}), None)).await;
    assert_eq!(status_and_body(&missing).0, 401, "{missing:?}");
}

#[tokio::test]
async fn lambda_example_refuses_bad_configurations() {
    let api = RuntimeApi::start().await;
    let cases: &[(&[(&str, &str)], &str)] = &[
        (&[("LAMBDA_AUTH", "iam")], "LAMBDA_AUTH must be"),
        (
            &[("LAMBDA_STARTUP_TIMEOUT_MS", "soon")],
            "LAMBDA_STARTUP_TIMEOUT_MS",
        ),
        (
            &[
                ("COGNITO_USER_POOL_ID", "eu-west-1_AbC123"),
                ("COGNITO_CLIENT_ID", "c1"),
                ("COGNITO_JWKS", "{}"),
            ],
            "JWKS",
        ),
    ];
    for (vars, needle) in cases {
        let mut cmd = lambda_command(api.addr).await;
        cmd.stdout(Stdio::piped()).stderr(Stdio::piped());
        fails_cleanly(cmd, "lambda", vars, needle).await;
    }
}
