//! The layer end to end: through an axum `Router`, through plain `tower::service_fn` services with
//! non-axum body types, with an application claims type, and around a mock inner service to show
//! that `poll_ready` and the inner error type pass through untouched.
//!
//! Every token is minted by a `LocalIssuer` whose clock is fixed at `NOW`, and the layer's
//! configuration uses the same clock: no assertion depends on the system time.

#![cfg(feature = "axum")]

use std::convert::Infallible;
use std::task::{Context, Poll, Waker};

use axum::Router;
use axum::body::{Body, Bytes};
use axum::routing::get;
use http::header::{AUTHORIZATION, RETRY_AFTER, WWW_AUTHENTICATE};
use http::{HeaderValue, Request, Response, StatusCode};
use http_body_util::{BodyExt, Full};
use serde::Deserialize;
use serde_json::{Value, json};
use tower::{Layer, Service, ServiceBuilder, ServiceExt};
use tower_cognito::test_util::LocalIssuer;
use tower_cognito::{Claims, CognitoAuthLayer, Error, ErrorKind, TokenUse, reject::RequestError};

const NOW: u64 = 1_700_000_000;
const SUB: &str = "a1b2c3d4-0000-4000-8000-000000000001";
const BARE: &str = r#"Bearer realm="api""#;

/// The binary's shared issuer (clock fixed at `NOW`).
fn issuer() -> LocalIssuer {
    crate::support::shared_issuer()
}

use crate::support::access_layer;

fn challenge(code: &str, description: &str) -> String {
    format!(r#"Bearer realm="api", error="{code}", error_description="{description}""#)
}

/// A request to `uri` with these raw `Authorization` header values (each one a header line).
fn request(uri: &str, authorization: &[&[u8]]) -> Request<Body> {
    let mut req = Request::get(uri).body(Body::empty()).unwrap();
    for value in authorization {
        req.headers_mut()
            .append(AUTHORIZATION, HeaderValue::from_bytes(value).unwrap());
    }
    req
}

fn bearer(token: &str) -> Vec<u8> {
    format!("Bearer {token}").into_bytes()
}

/// `GET /` with `token` as its bearer token and an empty `()` body, for plain tower services.
fn bearer_request(token: &str) -> Request<()> {
    Request::get("/")
        .header(AUTHORIZATION, bearer(token))
        .body(())
        .unwrap()
}

/// What a response came back as.
#[derive(Debug)]
struct Answer {
    status: StatusCode,
    challenge: Option<String>,
    retry_after: Option<String>,
    kind: Option<ErrorKind>,
    body: String,
}

async fn send(app: &Router, req: Request<Body>) -> Answer {
    let res = app.clone().oneshot(req).await.unwrap();
    let header = |name: http::header::HeaderName| {
        let mut values = res.headers().get_all(&name).iter();
        let first = values.next().map(|v| v.to_str().unwrap().to_owned());
        assert!(values.next().is_none(), "two {name} headers");
        first
    };
    let challenge = header(WWW_AUTHENTICATE);
    let retry_after = header(RETRY_AFTER);
    let status = res.status();
    let kind = res.extensions().get::<Error>().map(|e| e.kind());
    let bytes = axum::body::to_bytes(res.into_body(), 1024 * 1024)
        .await
        .unwrap();
    Answer {
        status,
        challenge,
        retry_after,
        kind,
        body: String::from_utf8(bytes.to_vec()).unwrap(),
    }
}

async fn me(claims: Claims) -> String {
    format!("{} {}", claims.sub, claims.username().unwrap_or("-"))
}

async fn maybe(claims: Option<Claims>) -> String {
    claims.map_or_else(|| "anonymous".to_owned(), |c| c.sub.clone())
}

/// `/me` and `/maybe` behind the layer; `/open` (optional claims) and `/misconfigured`
/// (required claims) without it.
fn app(layer: CognitoAuthLayer) -> Router {
    let protected = Router::new()
        .route("/me", get(me))
        .route("/maybe", get(maybe))
        .layer(layer);
    let open = Router::new()
        .route("/open", get(maybe))
        .route("/misconfigured", get(me));
    protected.merge(open)
}

struct Row {
    name: &'static str,
    uri: &'static str,
    authorization: Vec<Vec<u8>>,
    status: StatusCode,
    challenge: Option<String>,
    kind: Option<ErrorKind>,
    body: Option<String>,
}

fn row(name: &'static str, authorization: Vec<Vec<u8>>, status: StatusCode) -> Row {
    Row {
        name,
        uri: "/me",
        authorization,
        status,
        challenge: None,
        kind: None,
        body: None,
    }
}

impl Row {
    fn rejected(mut self, challenge: impl Into<String>, kind: ErrorKind) -> Self {
        self.challenge = Some(challenge.into());
        self.kind = Some(kind);
        self.body = Some(String::new());
        self
    }
    fn body(mut self, body: impl Into<String>) -> Self {
        self.body = Some(body.into());
        self
    }
    fn uri(mut self, uri: &'static str) -> Self {
        self.uri = uri;
        self
    }
}

#[tokio::test]
async fn axum_response_table() {
    let issuer = issuer();
    let app = app(access_layer(&issuer));
    let token = issuer.access_token();
    let me_body = format!("{SUB} alice");

    let mut expired = issuer.access_claims();
    expired.insert("exp".into(), json!(NOW - 61));
    let expired = issuer.sign(&expired);
    let (h, p, s) = {
        let v: Vec<&str> = token.split('.').collect();
        (v[0].to_owned(), v[1].to_owned(), v[2].to_owned())
    };
    let tampered = {
        let mut sig: Vec<u8> = s.bytes().collect();
        sig[10] = if sig[10] == b'A' { b'B' } else { b'A' };
        format!("{h}.{p}.{}", String::from_utf8(sig).unwrap())
    };
    let id_token = issuer.id_token();
    let mb = "a".repeat(1024 * 1024);

    use ErrorKind as K;
    use RequestError as R;
    let ok = StatusCode::OK;
    let unauthorized = StatusCode::UNAUTHORIZED;
    let bad_request = StatusCode::BAD_REQUEST;
    let invalid_request = |d| challenge("invalid_request", d);
    let invalid_token = |d| challenge("invalid_token", d);

    let rows = vec![
        // Accepted: the claims reach the handler.
        row("valid token", vec![bearer(&token)], ok).body(&me_body),
        row(
            "lower-case scheme",
            vec![format!("bearer {token}").into_bytes()],
            ok,
        )
        .body(&me_body),
        row(
            "upper-case scheme",
            vec![format!("BEARER {token}").into_bytes()],
            ok,
        )
        .body(&me_body),
        row(
            "two spaces after the scheme",
            vec![format!("Bearer  {token}").into_bytes()],
            ok,
        )
        .body(&me_body),
        row(
            "trailing spaces",
            vec![format!("Bearer {token}   ").into_bytes()],
            ok,
        )
        .body(&me_body),
        row("optional claims behind the layer", vec![bearer(&token)], ok)
            .uri("/maybe")
            .body(SUB),
        // No credentials: 401 with a bare challenge.
        row("no Authorization header", vec![], unauthorized).rejected(BARE, K::MissingCredentials),
        row(
            "Basic scheme",
            vec![b"Basic dXNlcjpwYXNz".to_vec()],
            unauthorized,
        )
        .rejected(BARE, K::MissingCredentials),
        row(
            "Basic scheme carrying a JWT",
            vec![format!("Basic {token}").into_bytes()],
            unauthorized,
        )
        .rejected(BARE, K::MissingCredentials),
        // Changed in issue 16: the next three were 401 without an `error` ("another scheme").
        // None is a scheme: each is a malformed request, 400 in every mode.
        row("empty header value", vec![b"".to_vec()], bad_request).rejected(
            invalid_request("invalid characters in the bearer token"),
            K::InvalidRequest(R::InvalidCharacters),
        ),
        row(
            "tab instead of a space after the scheme",
            vec![format!("Bearer\t{token}").into_bytes()],
            bad_request,
        )
        .rejected(
            invalid_request("invalid characters in the bearer token"),
            K::InvalidRequest(R::InvalidCharacters),
        ),
        row(
            "scheme glued to the token",
            vec![format!("Bearer{token}").into_bytes()],
            bad_request,
        )
        .rejected(
            invalid_request("invalid characters in the bearer token"),
            K::InvalidRequest(R::InvalidCharacters),
        ),
        row(
            "optional claims behind the layer, no header",
            vec![],
            unauthorized,
        )
        .uri("/maybe")
        .rejected(BARE, K::MissingCredentials),
        // Malformed requests: 400 invalid_request.
        row("Bearer alone", vec![b"Bearer".to_vec()], bad_request).rejected(
            invalid_request("empty bearer token"),
            K::InvalidRequest(R::EmptyToken),
        ),
        row(
            "Bearer and spaces",
            vec![b"Bearer    ".to_vec()],
            bad_request,
        )
        .rejected(
            invalid_request("empty bearer token"),
            K::InvalidRequest(R::EmptyToken),
        ),
        row(
            "two Authorization headers",
            vec![bearer(&token), bearer(&token)],
            bad_request,
        )
        .rejected(
            invalid_request("more than one Authorization header"),
            K::InvalidRequest(R::MultipleHeaders),
        ),
        row(
            "Bearer and Basic headers",
            vec![bearer(&token), b"Basic dXNlcjpwYXNz".to_vec()],
            bad_request,
        )
        .rejected(
            invalid_request("more than one Authorization header"),
            K::InvalidRequest(R::MultipleHeaders),
        ),
        row(
            "two tokens, space-separated",
            vec![format!("Bearer {token} {token}").into_bytes()],
            bad_request,
        )
        .rejected(
            invalid_request("more than one bearer token"),
            K::InvalidRequest(R::MultipleTokens),
        ),
        row(
            "two tokens, comma-joined",
            vec![format!("Bearer {token},{token}").into_bytes()],
            bad_request,
        )
        .rejected(
            invalid_request("more than one bearer token"),
            K::InvalidRequest(R::MultipleTokens),
        ),
        row(
            "tab inside the token",
            vec![format!("Bearer {h}.{p}\t{s}").into_bytes()],
            bad_request,
        )
        .rejected(
            invalid_request("more than one bearer token"),
            K::InvalidRequest(R::MultipleTokens),
        ),
        row(
            "quote inside the token",
            vec![format!("Bearer {h}\".{p}.{s}").into_bytes()],
            bad_request,
        )
        .rejected(
            invalid_request("invalid characters in the bearer token"),
            K::InvalidRequest(R::InvalidCharacters),
        ),
        row(
            "padding in the middle of the token",
            vec![format!("Bearer {h}=.{p}.{s}").into_bytes()],
            bad_request,
        )
        .rejected(
            invalid_request("invalid characters in the bearer token"),
            K::InvalidRequest(R::InvalidCharacters),
        ),
        row(
            "non-ASCII bytes",
            vec![[b"Bearer ".as_slice(), token.as_bytes(), "é".as_bytes()].concat()],
            bad_request,
        )
        .rejected(
            invalid_request("invalid characters in the bearer token"),
            K::InvalidRequest(R::InvalidCharacters),
        ),
        row(
            "backslash inside the token (DEL and other controls cannot be in a HeaderValue)",
            vec![format!("Bearer {h}.{p}\\.{s}").into_bytes()],
            bad_request,
        )
        .rejected(
            invalid_request("invalid characters in the bearer token"),
            K::InvalidRequest(R::InvalidCharacters),
        ),
        // Token failures: 401 invalid_token.
        row("garbage token", vec![b"Bearer abc".to_vec()], unauthorized).rejected(
            invalid_token("the token is not a compact JWS"),
            K::Malformed,
        ),
        row("1 MiB token", vec![bearer(&mb)], unauthorized)
            .rejected(invalid_token("the token is too large"), K::TokenTooLarge),
        row("tampered signature", vec![bearer(&tampered)], unauthorized)
            .rejected(invalid_token("invalid signature"), K::InvalidSignature),
        row("expired token", vec![bearer(&expired)], unauthorized).rejected(
            invalid_token("the token expired"),
            K::Expired {
                exp: NOW - 61,
                now: NOW,
            },
        ),
        row(
            "ID token on an access layer",
            vec![bearer(&id_token)],
            unauthorized,
        )
        .rejected(
            invalid_token("token use not accepted"),
            K::TokenUseNotAccepted,
        ),
        row(
            "invalid token, optional claims behind the layer",
            vec![bearer(&tampered)],
            unauthorized,
        )
        .uri("/maybe")
        .rejected(invalid_token("invalid signature"), K::InvalidSignature),
        // Routes without the layer.
        row("optional claims, no layer, no header", vec![], ok)
            .uri("/open")
            .body("anonymous"),
        row(
            "optional claims, no layer, a valid token is not looked at",
            vec![bearer(&token)],
            ok,
        )
        .uri("/open")
        .body("anonymous"),
        row(
            "required claims, no layer: server misconfiguration",
            vec![bearer(&token)],
            StatusCode::INTERNAL_SERVER_ERROR,
        )
        .uri("/misconfigured"),
    ];

    let mut failures = Vec::new();
    for r in &rows {
        let authorization: Vec<&[u8]> = r.authorization.iter().map(Vec::as_slice).collect();
        let got = send(&app, request(r.uri, &authorization)).await;
        let mut problems = Vec::new();
        if got.status != r.status {
            problems.push(format!("status {} != {}", got.status, r.status));
        }
        if got.challenge != r.challenge {
            problems.push(format!(
                "WWW-Authenticate {:?} != {:?}",
                got.challenge, r.challenge
            ));
        }
        if got.retry_after.is_some() {
            problems.push("unexpected Retry-After".to_owned());
        }
        if got.kind != r.kind {
            problems.push(format!("error kind {:?} != {:?}", got.kind, r.kind));
        }
        if let Some(body) = r.body.as_ref().filter(|&body| &got.body != body) {
            problems.push(format!("body {:?} != {body:?}", got.body));
        }
        if !problems.is_empty() {
            failures.push(format!("{}: {}", r.name, problems.join("; ")));
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} rows failed:\n{}",
        failures.len(),
        rows.len(),
        failures.join("\n")
    );
}

#[tokio::test]
async fn custom_realm_in_every_challenge() {
    let issuer = issuer();
    let config = issuer
        .config()
        .token_use(TokenUse::Access)
        .realm("orders api")
        .build()
        .unwrap();
    let app = app(CognitoAuthLayer::builder(config)
        .static_keys(issuer.key_set())
        .build()
        .unwrap());

    let got = send(&app, request("/me", &[])).await;
    assert_eq!(
        got.challenge.as_deref(),
        Some(r#"Bearer realm="orders api""#)
    );
    let got = send(&app, request("/me", &[b"Bearer"])).await;
    assert_eq!(
        got.challenge.as_deref(),
        Some(
            r#"Bearer realm="orders api", error="invalid_request", error_description="empty bearer token""#
        )
    );
    let got = send(&app, request("/me", &[b"Bearer a.b.c"])).await;
    assert_eq!(
        got.challenge.as_deref(),
        Some(
            r#"Bearer realm="orders api", error="invalid_token", error_description="the token is not a compact JWS""#
        )
    );
}

#[tokio::test]
async fn no_key_set_yet_is_503_with_retry_after() {
    // A loopback port that refuses connections: bind, read the port, close.
    let dead = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = dead.local_addr().unwrap().port();
    drop(dead);

    let issuer = issuer();
    let config = issuer
        .config()
        .token_use(TokenUse::Access)
        .jwks_url(format!("http://127.0.0.1:{port}/jwks.json"))
        .build()
        .unwrap();
    let layer = CognitoAuthLayer::builder(config).build().unwrap();
    assert!(layer.pools()[0].key_set.is_empty());
    let app = app(layer.clone());

    let got = send(&app, request("/me", &[&bearer(&issuer.access_token())])).await;
    assert_eq!(got.status, StatusCode::SERVICE_UNAVAILABLE, "{got:?}");
    assert_eq!(got.challenge, None);
    assert_eq!(got.retry_after.as_deref(), Some("5"));
    assert_eq!(got.kind, Some(ErrorKind::KeysUnavailable));
    assert_eq!(got.body, "");

    // Without keys, what can be judged without keys still is: no credentials, a malformed
    // request, a token that is not a JWS.
    let got = send(&app, request("/me", &[])).await;
    assert_eq!(
        (got.status, got.challenge.as_deref(), got.kind),
        (
            StatusCode::UNAUTHORIZED,
            Some(BARE),
            Some(ErrorKind::MissingCredentials)
        )
    );
    let got = send(&app, request("/me", &[b"Bearer"])).await;
    assert_eq!(got.status, StatusCode::BAD_REQUEST);
    let got = send(&app, request("/me", &[b"Bearer a.b"])).await;
    assert_eq!(
        (got.status, got.kind),
        (StatusCode::UNAUTHORIZED, Some(ErrorKind::Malformed))
    );
    assert!(layer.pools()[0].key_set.is_empty());
}

#[tokio::test]
async fn challenges_never_echo_token_content() {
    let issuer = issuer();
    let app = app(access_layer(&issuer));
    let secret_kid = issuer.sign_json(
        &json!({ "kid": "SECRETKIDzz9", "alg": "RS256" }),
        &Value::Object(issuer.access_claims()),
    );
    let mut claims = issuer.access_claims();
    claims.insert("iss".into(), json!("https://SECRETISS.example/pool"));
    let secret_iss = issuer.sign(&claims);
    let mut claims = issuer.access_claims();
    claims.insert("client_id".into(), json!("SECRETCLIENT"));
    let secret_client = issuer.sign(&claims);

    for (token, kind) in [
        (secret_kid, ErrorKind::UnknownKeyId),
        (secret_iss, ErrorKind::InvalidIssuer),
        (secret_client, ErrorKind::InvalidClient),
    ] {
        let got = send(&app, request("/me", &[&bearer(&token)])).await;
        assert_eq!(got.status, StatusCode::UNAUTHORIZED);
        assert_eq!(got.kind, Some(kind));
        let header = got.challenge.unwrap();
        assert!(header.starts_with(r#"Bearer realm="api", error="invalid_token""#));
        assert!(!header.contains("SECRET"), "{header}");
        assert!(!header.contains(&token[..20]), "{header}");
        assert!(
            header.bytes().all(|b| (0x20..=0x7e).contains(&b)),
            "{header}"
        );
        assert!(got.body.is_empty());
    }
}

#[tokio::test]
async fn plain_tower_service_with_string_bodies() {
    let issuer = issuer();
    let svc = ServiceBuilder::new()
        .layer(access_layer(&issuer))
        .service_fn(|req: Request<()>| async move {
            let who = req
                .extensions()
                .get::<Claims>()
                .map(|c| format!("{} {}", c.sub, c.username().unwrap_or("-")))
                .unwrap_or_else(|| "no claims".to_owned());
            Ok::<_, Infallible>(Response::new(who))
        });

    let req = bearer_request(&issuer.access_token());
    let res = svc.clone().oneshot(req).await.unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    assert!(res.extensions().get::<Error>().is_none());
    assert_eq!(res.into_body(), format!("{SUB} alice"));

    let mut claims = issuer.access_claims();
    claims.insert("exp".into(), json!(NOW - 3600));
    let req = bearer_request(&issuer.sign(&claims));
    let res = svc.clone().oneshot(req).await.unwrap();
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(
        res.headers()[WWW_AUTHENTICATE],
        challenge("invalid_token", "the token expired")
    );
    assert_eq!(
        res.extensions().get::<Error>().map(Error::kind),
        Some(&ErrorKind::Expired {
            exp: NOW - 3600,
            now: NOW
        })
        .copied()
    );
    assert_eq!(
        res.into_body(),
        "",
        "a rejection has the default (empty) body"
    );

    let res = svc
        .oneshot(Request::get("/").body(()).unwrap())
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(res.headers()[WWW_AUTHENTICATE], BARE);
    assert_eq!(res.into_body(), "");
}

#[tokio::test]
async fn plain_tower_service_with_full_bodies() {
    let issuer = issuer();
    let config = issuer.config().token_use(TokenUse::Id).build().unwrap();
    let layer = CognitoAuthLayer::builder(config)
        .static_keys(issuer.key_set())
        .build()
        .unwrap();
    let svc =
        ServiceBuilder::new()
            .layer(layer)
            .service_fn(|req: Request<Full<Bytes>>| async move {
                let claims = req.extensions().get::<Claims>().cloned();
                let body = claims.and_then(|c| c.email.clone()).unwrap_or_default();
                Ok::<_, Infallible>(Response::new(Full::new(Bytes::from(body))))
            });

    let req = Request::post("/")
        .header(AUTHORIZATION, bearer(&issuer.id_token()))
        .body(Full::new(Bytes::from_static(b"payload")))
        .unwrap();
    let res = svc.clone().oneshot(req).await.unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    let body = res.into_body().collect().await.unwrap().to_bytes();
    assert_eq!(&body[..], b"alice@example.com");

    let req = Request::post("/")
        .header(AUTHORIZATION, bearer(&issuer.access_token()))
        .body(Full::new(Bytes::new()))
        .unwrap();
    let res = svc.oneshot(req).await.unwrap();
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(
        res.headers()[WWW_AUTHENTICATE],
        challenge("invalid_token", "token use not accepted")
    );
    assert_eq!(
        res.extensions().get::<Error>().map(Error::kind),
        Some(&ErrorKind::TokenUseNotAccepted).copied()
    );
    let body = res.into_body().collect().await.unwrap().to_bytes();
    assert!(body.is_empty());
}

#[derive(Debug, Deserialize)]
struct MyClaims {
    #[serde(rename = "custom:tenant")]
    tenant: String,
}

async fn tenant(mine: Claims<MyClaims>, cognito: Option<Claims>) -> String {
    // One parse, one insert: `Claims<MyClaims>` carries the Cognito claims too, and is the only
    // claims type in the extensions.
    assert!(cognito.is_none());
    format!(
        "{} {} {}",
        mine.extra.tenant,
        mine.sub,
        mine.custom_attribute("tenant").unwrap_or("-")
    )
}

#[tokio::test]
async fn custom_claims_type() {
    let issuer = issuer();
    let app = Router::new()
        .route("/tenant", get(tenant))
        .route("/me", get(me))
        .layer(access_layer(&issuer).extra_claims::<MyClaims>());

    let mut claims = issuer.access_claims();
    claims.insert("custom:tenant".into(), json!("acme"));
    let with_tenant = issuer.sign(&claims);
    let got = send(&app, request("/tenant", &[&bearer(&with_tenant)])).await;
    assert_eq!(got.status, StatusCode::OK, "{got:?}");
    assert_eq!(got.body, format!("acme {SUB} acme"));
    // A handler asking for `Claims` (`E = ()`) behind a layer of `Claims<MyClaims>` finds none:
    // a misconfiguration, answered 500 like a route without the layer.
    let got = send(&app, request("/me", &[&bearer(&with_tenant)])).await;
    assert_eq!(got.status, StatusCode::INTERNAL_SERVER_ERROR);

    // A valid token lacking the field, or with the wrong type, fails the application type.
    claims.insert("custom:tenant".into(), json!(5));
    for token in [issuer.access_token(), issuer.sign(&claims)] {
        let got = send(&app, request("/tenant", &[&bearer(&token)])).await;
        assert_eq!(got.status, StatusCode::UNAUTHORIZED);
        assert_eq!(got.kind, Some(ErrorKind::CustomClaims));
        assert_eq!(
            got.challenge.as_deref(),
            Some(challenge("invalid_token", "invalid application claims").as_str())
        );
    }
    // The Cognito rules still come first.
    let mut expired = issuer.access_claims();
    expired.insert("custom:tenant".into(), json!("acme"));
    expired.insert("exp".into(), json!(NOW - 120));
    let got = send(&app, request("/tenant", &[&bearer(&issuer.sign(&expired))])).await;
    assert_eq!(
        got.kind,
        Some(ErrorKind::Expired {
            exp: NOW - 120,
            now: NOW
        })
    );
}

#[tokio::test]
async fn poll_ready_is_passed_through() {
    let issuer = issuer();
    let (mock, mut handle) = tower_test::mock::pair::<Request<()>, Response<String>>();
    handle.allow(0);
    let mut svc = access_layer(&issuer).layer(mock);
    let mut cx = Context::from_waker(Waker::noop());

    // The inner service is not ready, so neither is the layered one.
    assert!(svc.poll_ready(&mut cx).is_pending());
    assert!(svc.poll_ready(&mut cx).is_pending());

    handle.allow(1);
    assert!(matches!(svc.poll_ready(&mut cx), Poll::Ready(Ok(()))));

    // A verified request reaches the inner service with the claims.
    let req = bearer_request(&issuer.access_token());
    let future = svc.call(req);
    let (inner_req, respond) = handle.next_request().await.unwrap();
    let claims = inner_req.extensions().get::<Claims>().unwrap();
    assert_eq!(claims.sub, SUB);
    respond.send_response(Response::new("from inner".to_owned()));
    let res = future.await.unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(res.into_body(), "from inner");

    // The one allowed request is used up: not ready again.
    assert!(svc.poll_ready(&mut cx).is_pending());

    // A rejection never reaches the inner service.
    handle.allow(1);
    assert!(matches!(svc.poll_ready(&mut cx), Poll::Ready(Ok(()))));
    let res = svc.call(Request::get("/").body(()).unwrap()).await.unwrap();
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
    assert!(handle.poll_request().is_pending());

    // An error of the inner service's poll_ready comes out as is.
    handle.send_error("inner overloaded");
    match svc.poll_ready(&mut cx) {
        Poll::Ready(Err(e)) => assert_eq!(e.to_string(), "inner overloaded"),
        other => panic!("expected the inner error, got {other:?}"),
    }
}

#[derive(Debug, PartialEq, Eq)]
struct AppError(&'static str);

/// Compiles only if the layered service keeps the inner error type.
fn assert_error_type<S>(_: &S)
where
    S: Service<Request<()>, Response = Response<String>, Error = AppError>,
{
}

#[tokio::test]
async fn inner_error_type_is_unchanged() {
    let issuer = issuer();
    let svc = ServiceBuilder::new()
        .layer(access_layer(&issuer))
        .service_fn(|_req: Request<()>| async { Err::<Response<String>, _>(AppError("db down")) });
    assert_error_type(&svc);

    // A verified request reaches the inner service and its error propagates.
    let req = bearer_request(&issuer.access_token());
    assert_eq!(
        svc.clone().oneshot(req).await.unwrap_err(),
        AppError("db down")
    );

    // A rejection is a response, not an error.
    let res = svc
        .oneshot(Request::get("/").body(()).unwrap())
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(
        res.extensions().get::<Error>().map(Error::kind),
        Some(&ErrorKind::MissingCredentials).copied()
    );
}

/// A custom rejection, chosen from the request: JSON for `/api/`, the RFC 6750 default elsewhere;
/// the error is in the extensions of both; accepted requests never reach it.
#[tokio::test]
async fn a_closure_chooses_the_rejection_from_the_request() {
    let issuer = issuer();
    let rfc = tower_cognito::reject::Rfc6750::new("api").unwrap();
    let layer = access_layer(&issuer).reject_with(
        move |error: &tower_cognito::Error, parts: &http::request::Parts| {
            if parts.uri.path().starts_with("/api/") {
                let mut response = Response::new(format!(
                    r#"{{"status":{},"error":"{}"}}"#,
                    error.status().as_u16(),
                    error.error_description()
                ));
                *response.status_mut() = error.status();
                response
            } else {
                rfc.response(error)
            }
        },
    );
    let svc = ServiceBuilder::new()
        .layer(layer)
        .service_fn(|_req: Request<()>| async {
            Ok::<_, Infallible>(Response::new("ok".to_owned()))
        });
    let call = |uri: &str, auth: Option<String>| {
        let mut req = Request::get(uri);
        if let Some(auth) = auth {
            req = req.header(AUTHORIZATION, auth);
        }
        svc.clone().oneshot(req.body(()).unwrap())
    };

    let json = call("/api/me", Some("Bearer a.b.c".into())).await.unwrap();
    assert_eq!(json.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(
        json.body(),
        r#"{"status":401,"error":"the token is not a compact JWS"}"#
    );
    assert!(json.headers().get(WWW_AUTHENTICATE).is_none());
    assert_eq!(
        json.extensions()
            .get::<tower_cognito::Error>()
            .map(|e| e.kind()),
        Some(ErrorKind::Malformed)
    );

    let plain = call("/me", None).await.unwrap();
    assert_eq!(plain.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(plain.headers()[WWW_AUTHENTICATE], "Bearer realm=\"api\"");
    assert_eq!(plain.body(), "");
    assert!(plain.extensions().get::<tower_cognito::Error>().is_some());

    let ok = call("/api/me", Some(format!("Bearer {}", issuer.access_token())))
        .await
        .unwrap();
    assert_eq!((ok.status(), ok.body().as_str()), (StatusCode::OK, "ok"));
}

/// `Error` is an axum response: a handler that verifies a token itself returns it as is.
#[tokio::test]
async fn an_error_is_an_axum_response() {
    let issuer = issuer();
    let layer = access_layer(&issuer);
    let app: Router = Router::new().route(
        "/ws",
        get(
            move |axum::extract::Query(q): axum::extract::Query<
                std::collections::HashMap<String, String>,
            >| {
                let layer = layer.clone();
                async move {
                    let token = q.get("token").cloned().unwrap_or_default();
                    layer.verify(&token).map(|claims| claims.sub.clone())
                }
            },
        ),
    );
    let got = send(&app, request("/ws?token=a.b.c", &[])).await;
    assert_eq!(got.status, StatusCode::UNAUTHORIZED);
    assert_eq!(
        got.challenge.as_deref(),
        Some(challenge("invalid_token", "the token is not a compact JWS").as_str())
    );
    let token = issuer.access_token();
    let got = send(&app, request(&format!("/ws?token={token}"), &[])).await;
    assert_eq!(got.status, StatusCode::OK);
}
