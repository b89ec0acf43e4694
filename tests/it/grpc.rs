//! gRPC with a real tonic client: the gRPC example (`examples/grpc.rs`) built and run as a child
//! process exactly as the tonic guide (src/docs/tonic.md) runs it, and the layer in front of a whole tonic server in
//! process (every service covered, health included; no key set yet).

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use http::uri::PathAndQuery;
use tokio::net::TcpListener;
use tokio::task::JoinHandle;
use tonic::service::LayerExt as _;
use tonic::transport::server::TcpIncoming;
use tonic::transport::{Channel, Endpoint, Server};
use tonic::{Code, Request, Status};
use tonic_health::pb::HealthCheckRequest;
use tonic_health::pb::health_check_response::ServingStatus;
use tonic_health::pb::health_client::HealthClient;
use tonic_prost::ProstCodec;
use tower_cognito::test_util::LocalIssuer;
use tower_cognito::{
    CognitoAuthLayer, Require, TokenUse, guard::GuardLayer, jwks::FetchError, jwks::JwksSource,
};
use tower_cognito_test_support::example::build_example;

use crate::support::child::{
    BAD_CONFIGURATIONS, OFFLINE_LINE, command, fails_cleanly, line_value, start,
};
use crate::support::whoami::{self, WhoamiReply, WhoamiRequest, WhoamiServer};

/// Limit of any single call to a local server.
const CALL_TIMEOUT: Duration = Duration::from_secs(10);

/// Builds the example (as `cargo run --example grpc --features test-util` would), once per test
/// binary.
async fn example_binary() -> PathBuf {
    static BIN: tokio::sync::OnceCell<PathBuf> = tokio::sync::OnceCell::const_new();
    BIN.get_or_init(|| async {
        build_example(
            env!("CARGO_MANIFEST_DIR"),
            "grpc",
            &["--features", "test-util"],
        )
        .await
    })
    .await
    .clone()
}

async fn channel(addr: SocketAddr) -> Channel {
    Endpoint::from_shared(format!("http://{addr}"))
        .unwrap()
        .connect_timeout(CALL_TIMEOUT)
        .timeout(CALL_TIMEOUT)
        .connect()
        .await
        .unwrap()
}

/// `request` with `authorization` in its metadata, if given.
fn with_auth<T>(message: T, authorization: Option<&str>) -> Request<T> {
    let mut request = Request::new(message);
    if let Some(value) = authorization {
        request
            .metadata_mut()
            .insert("authorization", value.parse().unwrap());
    }
    request
}

/// Calls `Whoami` with a tonic client, as generated code would.
async fn call_whoami(
    channel: &Channel,
    authorization: Option<&str>,
) -> Result<WhoamiReply, Status> {
    let mut grpc = tonic::client::Grpc::new(channel.clone());
    grpc.ready().await.unwrap();
    grpc.unary(
        with_auth(WhoamiRequest {}, authorization),
        PathAndQuery::from_static(whoami::WHOAMI),
        ProstCodec::<WhoamiRequest, WhoamiReply>::default(),
    )
    .await
    .map(tonic::Response::into_inner)
}

/// The health check of `service`, with `authorization` if given.
async fn health_check(
    channel: &Channel,
    service: &str,
    authorization: Option<&str>,
) -> Result<ServingStatus, Status> {
    let request = HealthCheckRequest {
        service: service.to_owned(),
    };
    HealthClient::new(channel.clone())
        .check(with_auth(request, authorization))
        .await
        .map(|reply| reply.into_inner().status())
}

fn metadata<'a>(status: &'a Status, key: &str) -> Option<&'a str> {
    status.metadata().get(key).map(|v| v.to_str().unwrap())
}

/// Asserts `result` is a rejection with `code`, the fixed `message` and the `challenge`.
#[track_caller]
fn assert_rejected<T: std::fmt::Debug>(
    result: Result<T, Status>,
    code: Code,
    message: &str,
    challenge: Option<&str>,
) {
    let status = result.expect_err("a rejection");
    assert_eq!(status.code(), code, "{status:?}");
    assert_eq!(status.message(), message, "{status:?}");
    assert_eq!(
        metadata(&status, "www-authenticate"),
        challenge,
        "{status:?}"
    );
}

#[tokio::test]
async fn the_example_keeps_health_open_and_whoami_behind_the_layer() {
    let mut running = start(command(&example_binary().await)).await;
    let (lines, addr) = (&running.lines, running.addr);
    assert!(addr.ip().is_loopback() && addr.port() != 0, "{addr}");
    assert_eq!(lines[0], OFFLINE_LINE);
    let access = line_value(lines, "access token: ").unwrap().to_owned();
    let id = line_value(lines, "id token: ").unwrap().to_owned();
    let bearer = format!("Bearer {access}");
    assert!(
        lines.contains(&format!(
            "call {} with the metadata: authorization: {bearer}",
            whoami::WHOAMI
        )),
        "{lines:#?}"
    );
    let channel = channel(addr).await;

    // Health probes carry no token: that service is not behind the layer.
    for service in ["", whoami::SERVICE] {
        let status = health_check(&channel, service, None).await.unwrap();
        assert_eq!(status, ServingStatus::Serving, "{service:?}");
    }

    // No token, or another scheme: UNAUTHENTICATED with the bare challenge.
    let bare = Some("Bearer realm=\"api\"");
    assert_rejected(
        call_whoami(&channel, None).await,
        Code::Unauthenticated,
        "no bearer token",
        bare,
    );
    let basic = call_whoami(&channel, Some("Basic YWxpY2U6cHc=")).await;
    assert_rejected(basic, Code::Unauthenticated, "no bearer token", bare);

    // Malformed `authorization` metadata: UNAUTHENTICATED too (an HTTP 400 would read INTERNAL).
    let malformed = [
        ("Bearer", "empty bearer token"),
        ("Bearer a b", "more than one bearer token"),
        ("Bearer a\"b", "invalid characters in the bearer token"),
    ];
    for (value, message) in malformed {
        let challenge = format!(
            "Bearer realm=\"api\", error=\"invalid_request\", error_description=\"{message}\""
        );
        let result = call_whoami(&channel, Some(value)).await;
        assert_rejected(result, Code::Unauthenticated, message, Some(&challenge));
    }

    // A token that fails: UNAUTHENTICATED, `invalid_token`.
    let result = call_whoami(&channel, Some("Bearer not.a-real.token")).await;
    let challenge = "Bearer realm=\"api\", error=\"invalid_token\", error_description=\"the token is not a compact JWS\"";
    assert_rejected(
        result,
        Code::Unauthenticated,
        "the token is not a compact JWS",
        Some(challenge),
    );

    // The printed token: the handler read the claims the layer verified.
    let reply = call_whoami(&channel, Some(&bearer)).await.unwrap();
    assert_eq!(reply.sub, "a1b2c3d4-0000-4000-8000-000000000001");
    assert_eq!(reply.username.as_deref(), Some("alice"));
    assert_eq!(reply.token_use, "access");
    assert_eq!(reply.groups, ["users", "admins"]);
    // The token in any case of the scheme, as RFC 6750 allows.
    let lower = format!("bearer {access}");
    assert_eq!(
        call_whoami(&channel, Some(&lower)).await.unwrap().sub,
        reply.sub
    );
    // Access tokens only by default, offline as in real mode: the printed ID token is refused.
    let status = call_whoami(&channel, Some(&format!("Bearer {id}")))
        .await
        .unwrap_err();
    assert_eq!(status.code(), Code::Unauthenticated, "{status:?}");
    assert_eq!(status.message(), "token use not accepted");

    running.child.kill().await.unwrap();
}

#[tokio::test]
async fn with_token_use_id_the_printed_id_token_is_the_working_one() {
    let mut cmd = command(&example_binary().await);
    cmd.env("COGNITO_TOKEN_USE", "id");
    let mut running = start(cmd).await;
    let (lines, addr) = (&running.lines, running.addr);
    assert_eq!(lines[0], OFFLINE_LINE);
    let access = line_value(lines, "access token: ").unwrap().to_owned();
    let id = line_value(lines, "id token: ").unwrap().to_owned();
    assert!(
        lines.contains(&format!(
            "call {} with the metadata: authorization: Bearer {id}",
            whoami::WHOAMI
        )),
        "{lines:#?}"
    );
    let channel = channel(addr).await;
    let reply = call_whoami(&channel, Some(&format!("Bearer {id}")))
        .await
        .unwrap();
    assert_eq!(reply.token_use, "id");
    assert_eq!(reply.username.as_deref(), Some("alice"));
    let status = call_whoami(&channel, Some(&format!("Bearer {access}")))
        .await
        .unwrap_err();
    assert_eq!(status.code(), Code::Unauthenticated, "{status:?}");

    running.child.kill().await.unwrap();
}

#[tokio::test]
async fn the_example_exits_cleanly_on_bad_configuration() {
    let bin = example_binary().await;
    for (vars, needle) in BAD_CONFIGURATIONS {
        fails_cleanly(command(&bin), "grpc", vars, needle).await;
    }
}

// --- The layer around a whole tonic server, in process ----------------------------------------

/// Serves health and `Whoami` on a free loopback port, both behind `layer`
/// (`Server::builder().layer(..)`); returns the address and the server task.
async fn serve_all_behind(layer: CognitoAuthLayer) -> (SocketAddr, JoinHandle<()>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let (_reporter, health) = tonic_health::server::health_reporter();
    let server = tokio::spawn(async move {
        Server::builder()
            .layer(layer)
            .add_service(health)
            .add_service(WhoamiServer)
            .serve_with_incoming(TcpIncoming::from(listener))
            .await
            .unwrap();
    });
    (addr, server)
}

/// `issuer`'s configuration for access tokens.
fn access_config(issuer: &LocalIssuer) -> tower_cognito::CognitoConfig {
    issuer.config().token_use(TokenUse::Access).build().unwrap()
}

#[tokio::test]
async fn a_server_wide_layer_covers_health_too() {
    let issuer = LocalIssuer::new().unwrap();
    let config = access_config(&issuer);
    let layer = CognitoAuthLayer::builder(config)
        .static_keys(issuer.key_set())
        .build()
        .unwrap();
    let (addr, server) = serve_all_behind(layer).await;
    let channel = channel(addr).await;
    let bearer = format!("Bearer {}", issuer.access_token());

    let result = health_check(&channel, "", None).await;
    assert_rejected(
        result,
        Code::Unauthenticated,
        "no bearer token",
        Some("Bearer realm=\"api\""),
    );
    let status = health_check(&channel, "", Some(&bearer)).await.unwrap();
    assert_eq!(status, ServingStatus::Serving);

    // An expired token: UNAUTHENTICATED; an ID token on an access-only layer: the same.
    let expired = format!("Bearer {}", issuer.token().expired().build());
    let result = health_check(&channel, "", Some(&expired)).await;
    assert_eq!(result.unwrap_err().code(), Code::Unauthenticated);
    let id = format!("Bearer {}", issuer.id_token());
    let status = call_whoami(&channel, Some(&id)).await.unwrap_err();
    assert_eq!(status.code(), Code::Unauthenticated);
    assert_eq!(status.message(), "token use not accepted");

    let reply = call_whoami(&channel, Some(&bearer)).await.unwrap();
    assert_eq!(reply.username.as_deref(), Some("alice"));
    server.abort();
}

// --- Scope and group guards on one tonic service -------------------------------------------

/// Serves health (open) and `Whoami` behind `auth` and a guard for the group `admins`
/// (`named_layer` twice, as the tonic guide shows) on a free loopback port.
async fn serve_guarded(auth: CognitoAuthLayer) -> (SocketAddr, JoinHandle<()>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let (_reporter, health) = tonic_health::server::health_reporter();
    let admins = auth.guard(Require::groups_any(["admins"]).unwrap());
    let server = tokio::spawn(async move {
        Server::builder()
            .add_service(health)
            .add_service(auth.named_layer(admins.named_layer(WhoamiServer)))
            .serve_with_incoming(TcpIncoming::from(listener))
            .await
            .unwrap();
    });
    (addr, server)
}

#[tokio::test]
async fn a_guard_on_one_service_answers_permission_denied() {
    let issuer = LocalIssuer::new().unwrap();
    let config = access_config(&issuer);
    let auth = CognitoAuthLayer::builder(config)
        .static_keys(issuer.key_set())
        .build()
        .unwrap();
    let (addr, server) = serve_guarded(auth.clone()).await;
    let channel = channel(addr).await;

    // Health stays open.
    assert_eq!(
        health_check(&channel, "", None).await.unwrap(),
        ServingStatus::Serving
    );
    // No token: the authentication layer answers, UNAUTHENTICATED.
    let result = call_whoami(&channel, None).await;
    assert_rejected(
        result,
        Code::Unauthenticated,
        "no bearer token",
        Some("Bearer realm=\"api\""),
    );
    // A valid token of a user outside `admins`: PERMISSION_DENIED, the challenge kept.
    let user = format!("Bearer {}", issuer.access_token());
    assert_rejected(
        call_whoami(&channel, Some(&user)).await,
        Code::PermissionDenied,
        "not in a required group",
        Some(
            r#"Bearer realm="api", error="insufficient_scope", error_description="not in a required group""#,
        ),
    );
    // A member: the handler's answer.
    let admin = issuer
        .token()
        .claim("cognito:groups", serde_json::json!(["users", "admins"]))
        .build();
    let reply = call_whoami(&channel, Some(&format!("Bearer {admin}")))
        .await
        .unwrap();
    assert_eq!(reply.groups, ["users", "admins"]);
    server.abort();

    // Scopes on the whole server, in one layer (`require`): the required scope in the challenge.
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let layer = auth.require(Require::scopes_all(["whoami/read"]).unwrap());
    let server = tokio::spawn(async move {
        Server::builder()
            .layer(layer)
            .add_service(WhoamiServer)
            .serve_with_incoming(TcpIncoming::from(listener))
            .await
            .unwrap();
    });
    let channel = self::channel(addr).await;
    assert_rejected(
        call_whoami(&channel, Some(&user)).await,
        Code::PermissionDenied,
        "insufficient scope",
        Some(
            r#"Bearer realm="api", error="insufficient_scope", error_description="insufficient scope", scope="whoami/read""#,
        ),
    );
    let reader = issuer.token().claim("scope", "openid whoami/read").build();
    assert!(
        call_whoami(&channel, Some(&format!("Bearer {reader}")))
            .await
            .is_ok()
    );
    server.abort();
}

/// Behind an optional layer, a call without a token passes the layer and meets the guard, which
/// answers it UNAUTHENTICATED, as the layer answers no credentials (it was INTERNAL, a 500).
#[tokio::test]
async fn a_guard_behind_an_optional_layer_answers_an_anonymous_call_unauthenticated() {
    let issuer = LocalIssuer::new().unwrap();
    let config = access_config(&issuer);
    let auth = CognitoAuthLayer::builder(config)
        .static_keys(issuer.key_set())
        .build()
        .unwrap()
        .optional();
    let (addr, server) = serve_guarded(auth).await;
    let channel = channel(addr).await;
    assert_rejected(
        call_whoami(&channel, None).await,
        Code::Unauthenticated,
        "no bearer token",
        Some("Bearer realm=\"api\""),
    );
    // `Bearer` glued to its token is a malformed call, not an anonymous one.
    let glued = format!("Bearer{}", issuer.access_token());
    assert_rejected(
        call_whoami(&channel, Some(&glued)).await,
        Code::Unauthenticated,
        "invalid characters in the bearer token",
        Some(
            r#"Bearer realm="api", error="invalid_request", error_description="invalid characters in the bearer token""#,
        ),
    );
    let admin = issuer
        .token()
        .claim("cognito:groups", serde_json::json!(["admins"]))
        .build();
    assert!(
        call_whoami(&channel, Some(&format!("Bearer {admin}")))
            .await
            .is_ok()
    );
    server.abort();
}

#[tokio::test]
async fn a_guard_on_a_service_without_the_layer_is_internal() {
    let issuer = LocalIssuer::new().unwrap();
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let guard = GuardLayer::new(Require::groups_any(["admins"]).unwrap());
    let server = tokio::spawn(async move {
        Server::builder()
            .add_service(guard.named_layer(WhoamiServer))
            .serve_with_incoming(TcpIncoming::from(listener))
            .await
            .unwrap();
    });
    let channel = channel(addr).await;
    let admin = issuer
        .token()
        .claim("cognito:groups", serde_json::json!(["admins"]))
        .build();
    assert_rejected(
        call_whoami(&channel, Some(&format!("Bearer {admin}"))).await,
        Code::Internal,
        "server misconfiguration",
        None,
    );
    server.abort();
}

/// A JWKS source that never answers: the layer has no key set.
struct NeverAnswers;

impl JwksSource for NeverAnswers {
    async fn fetch(&self, _max_size: usize) -> Result<Vec<u8>, FetchError> {
        std::future::pending().await
    }
}

#[tokio::test]
async fn no_key_set_yet_is_unavailable_with_retry_after() {
    let issuer = LocalIssuer::new().unwrap();
    let config = access_config(&issuer);
    let layer = CognitoAuthLayer::builder(config)
        .jwks_source(NeverAnswers)
        .build()
        .unwrap();
    let (addr, server) = serve_all_behind(layer).await;
    let channel = channel(addr).await;

    let bearer = format!("Bearer {}", issuer.access_token());
    let status = health_check(&channel, "", Some(&bearer)).await.unwrap_err();
    assert_eq!(status.code(), Code::Unavailable, "{status:?}");
    assert_eq!(status.message(), "signing keys are not available");
    assert_eq!(metadata(&status, "retry-after"), Some("5"));
    assert_eq!(metadata(&status, "www-authenticate"), None);
    // Without a token, the answer does not depend on the keys.
    let status = health_check(&channel, "", None).await.unwrap_err();
    assert_eq!(status.code(), Code::Unauthenticated);
    server.abort();
}
