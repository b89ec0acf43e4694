//! The layers inside a Lambda function (`lambda_http`), driven with API Gateway REST (v1), HTTP
//! API (v2) and ALB events (the fixtures in `tests/fixtures/lambda/`), no AWS: the bearer layer
//! unchanged, and `lambda::GatewayClaimsLayer` for claims an API Gateway authorizer verified.

use axum::{Json, Router, routing::get};
use http::StatusCode;
use serde_json::{Value, json};
use tower::ServiceExt;
use tower_cognito::clock::FixedClock;
use tower_cognito::guard::GuardLayer;
use tower_cognito::lambda::{GatewayClaimsLayer, gateway_claims};
use tower_cognito::{Claims, CognitoConfig, Error, ErrorKind, Require, TokenUse};

use crate::support::{access_layer, shared_issuer};

const REST: &str = include_str!("../fixtures/lambda/rest.json");
const HTTP: &str = include_str!("../fixtures/lambda/http.json");
const ALB: &str = include_str!("../fixtures/lambda/alb.json");
const EVENTS: [(&str, &str); 3] = [("rest", REST), ("http", HTTP), ("alb", ALB)];

/// 2026-12-06T06:30:00Z: within the fixtures' claims' lifetime (06:00 to 07:00).
const GATEWAY_NOW: u64 = 1_796_538_600;
const POOL_ISSUER: &str = "https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_AbC123";

/// The routes, also under `/prod`: `lambda_http` prefixes a REST API's path with its stage
/// (unless `AWS_LAMBDA_HTTP_IGNORE_STAGE_IN_PATH` is set), the HTTP API's `$default` stage not.
fn app() -> Router {
    let routes = routes();
    Router::new().merge(routes.clone()).nest("/prod", routes)
}

fn routes() -> Router {
    Router::new()
        .route(
            "/me",
            get(|claims: Claims| async move {
                Json(json!({
                    "sub": claims.sub, "username": claims.username(), "groups": claims.groups,
                    "scope": claims.scope.as_str(), "exp": claims.exp, "iat": claims.iat,
                    "auth_time": claims.auth_time,
                }))
            }),
        )
        .route(
            "/admin",
            get(|| async { "admin" })
                .route_layer(GuardLayer::new(Require::groups_any(["admins"]).unwrap())),
        )
        .route(
            "/ops",
            get(|| async { "ops" })
                .route_layer(GuardLayer::new(Require::groups_any(["ops"]).unwrap())),
        )
}

/// `event` with `path` and, when given, an `Authorization` header.
fn event(event: &str, path: &str, authorization: Option<&str>) -> lambda_http::Request {
    let mut event: Value = serde_json::from_str(event).unwrap();
    for key in ["path", "rawPath"] {
        if event.get(key).is_some() {
            event[key] = json!(path);
        }
    }
    // The HTTP API's path, and the REST API's (`lambda_http` takes the URI from there).
    if event["requestContext"]["http"].is_object() {
        event["requestContext"]["http"]["path"] = json!(path);
    }
    if event["requestContext"].get("path").is_some() {
        event["requestContext"]["path"] = json!(path);
    }
    if let Some(value) = authorization {
        event["headers"]["authorization"] = json!(value);
        if event.get("multiValueHeaders").is_some() {
            event["multiValueHeaders"]["authorization"] = json!([value]);
        }
    }
    lambda_http::request::from_str(&event.to_string()).unwrap()
}

struct Answer {
    status: StatusCode,
    challenge: Option<String>,
    kind: Option<ErrorKind>,
    body: Value,
}

async fn call<S>(service: S, req: lambda_http::Request) -> Answer
where
    S: tower::Service<
            lambda_http::Request,
            Response = http::Response<axum::body::Body>,
            Error = std::convert::Infallible,
        >,
{
    let res = service.oneshot(req).await.unwrap();
    let status = res.status();
    let challenge = res
        .headers()
        .get(http::header::WWW_AUTHENTICATE)
        .map(|v| v.to_str().unwrap().to_owned());
    let kind = res.extensions().get::<Error>().map(Error::kind);
    let bytes = axum::body::to_bytes(res.into_body(), 1 << 20)
        .await
        .unwrap();
    let body = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
    Answer {
        status,
        challenge,
        kind,
        body,
    }
}

#[tokio::test]
async fn bearer_layer_in_every_event_kind() {
    let issuer = shared_issuer();
    let service = app().layer(access_layer(&issuer));
    let token = issuer.access_token();
    for (name, fixture) in EVENTS {
        let ok = call(
            service.clone(),
            event(fixture, "/me", Some(&format!("Bearer {token}"))),
        )
        .await;
        assert_eq!(ok.status, 200, "{name}");
        assert_eq!(ok.body["sub"], issuer.access_claims()["sub"], "{name}");

        let none = call(service.clone(), event(fixture, "/me", None)).await;
        assert_eq!(none.status, 401, "{name}");
        assert_eq!(
            none.challenge.as_deref(),
            Some(r#"Bearer realm="api""#),
            "{name}"
        );
        assert_eq!(none.kind, Some(ErrorKind::MissingCredentials), "{name}");

        let forged = format!("Bearer {}x", &token[..token.len() - 1]);
        let bad = call(service.clone(), event(fixture, "/me", Some(&forged))).await;
        assert_eq!(bad.status, 401, "{name}");
        let challenge = bad.challenge.unwrap();
        assert!(
            challenge.contains(r#"error="invalid_token""#),
            "{name}: {challenge}"
        );
    }
}

fn gateway_config() -> CognitoConfig {
    CognitoConfig::builder("eu-west-1_AbC123")
        .client_id("client1")
        .token_use(TokenUse::Access)
        .clock(FixedClock::new(GATEWAY_NOW))
        .build()
        .unwrap()
}

fn gateway_app() -> axum::Router {
    app().layer(GatewayClaimsLayer::new(&gateway_config()))
}

/// `fixture` with the authorizer's claim `name` set to `value` (removed for `None`).
fn with_claim(fixture: &str, name: &str, value: Option<&str>) -> String {
    let mut event: Value = serde_json::from_str(fixture).unwrap();
    let claims = match event["requestContext"]["authorizer"]["jwt"].is_object() {
        true => &mut event["requestContext"]["authorizer"]["jwt"]["claims"],
        false => &mut event["requestContext"]["authorizer"]["claims"],
    };
    let claims = claims.as_object_mut().unwrap();
    match value {
        Some(value) => claims.insert(name.to_owned(), json!(value)),
        None => claims.remove(name),
    };
    event.to_string()
}

#[tokio::test]
async fn gateway_claims_of_rest_and_http_apis_are_normalised() {
    for (name, fixture) in [("rest", REST), ("http", HTTP)] {
        let ok = call(gateway_app(), event(fixture, "/me", None)).await;
        assert_eq!(ok.status, 200, "{name}");
        assert_eq!(
            ok.body,
            json!({
                "sub": "aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee", "username": "alice",
                "groups": ["admins", "users"], "scope": "aws.cognito.signin.user.admin orders/read",
                "exp": 1_796_540_400u64, "iat": 1_796_536_800u64, "auth_time": 1_765_000_000u64,
            }),
            "{name}"
        );
        // The guards read the claims the layer put in, as behind the bearer layer.
        assert_eq!(
            call(gateway_app(), event(fixture, "/admin", None))
                .await
                .status,
            200
        );
        let ops = call(gateway_app(), event(fixture, "/ops", None)).await;
        assert_eq!(ops.status, 403, "{name}");
        assert_eq!(ops.kind, Some(ErrorKind::MissingGroup), "{name}");
    }
}

#[tokio::test]
async fn gateway_claims_missing_context_is_401_without_error() {
    // An ALB event carries no authorizer; a REST event without `claims` neither.
    let mut rest: Value = serde_json::from_str(REST).unwrap();
    rest["requestContext"]["authorizer"] = json!({"principalId": "alice"});
    let mut http: Value = serde_json::from_str(HTTP).unwrap();
    http["requestContext"]["authorizer"] = json!({"lambda": {"sub": "alice"}});
    for (name, fixture) in [
        ("alb", ALB.to_owned()),
        ("rest", rest.to_string()),
        ("http", http.to_string()),
    ] {
        let answer = call(gateway_app(), event(&fixture, "/me", None)).await;
        assert_eq!(answer.status, 401, "{name}");
        assert_eq!(
            answer.challenge.as_deref(),
            Some(r#"Bearer realm="api""#),
            "{name}"
        );
        assert_eq!(answer.kind, Some(ErrorKind::MissingCredentials), "{name}");
    }
}

#[tokio::test]
async fn gateway_claims_apply_the_cognito_rules_the_gateway_does_not() {
    let other_pool = "https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_Other1";
    let cases = [
        ("iss", Some(other_pool), ErrorKind::InvalidIssuer),
        ("iss", None, ErrorKind::InvalidIssuer),
        ("token_use", Some("id"), ErrorKind::TokenUseNotAccepted),
        ("token_use", Some("refresh"), ErrorKind::InvalidTokenUse),
        ("token_use", None, ErrorKind::InvalidTokenUse),
        ("client_id", Some("client2"), ErrorKind::InvalidClient),
        ("client_id", None, ErrorKind::InvalidClient),
        ("exp", None, ErrorKind::MissingExpiry),
        (
            "exp",
            Some("1796538000"),
            ErrorKind::Expired {
                exp: 1_796_538_000,
                now: GATEWAY_NOW,
            },
        ),
        (
            "nbf",
            Some("1796539000"),
            ErrorKind::NotYetValid {
                nbf: 1_796_539_000,
                now: GATEWAY_NOW,
            },
        ),
        (
            "cognito:groups",
            Some("[admins users"),
            ErrorKind::InvalidClaims,
        ),
        (
            "cognito:groups",
            Some("admins,,users"),
            ErrorKind::InvalidClaims,
        ),
        ("scope", Some("[a b"), ErrorKind::InvalidClaims),
        ("exp", Some("tomorrow"), ErrorKind::InvalidClaims),
        ("email_verified", Some("yes"), ErrorKind::InvalidClaims),
        ("sub", None, ErrorKind::InvalidClaims),
    ];
    for (name, fixture) in [("rest", REST), ("http", HTTP)] {
        for (claim, value, kind) in cases {
            let fixture = with_claim(fixture, claim, value);
            let answer = call(gateway_app(), event(&fixture, "/me", None)).await;
            let case = format!("{name}: {claim} = {value:?}");
            assert_eq!(
                (answer.status, answer.kind),
                (StatusCode::UNAUTHORIZED, Some(kind)),
                "{case}"
            );
            let challenge = answer.challenge.unwrap();
            assert!(
                challenge.contains(r#"error="invalid_token""#),
                "{case}: {challenge}"
            );
        }
    }
}

#[test]
fn gateway_claims_name_the_malformed_claim() {
    let config = gateway_config();
    let fixture = with_claim(HTTP, "cognito:groups", Some("[admins users"));
    let req = event(&fixture, "/me", None);
    let error = gateway_claims(req.extensions(), &config).unwrap_err();
    assert_eq!(
        (error.kind(), error.claim()),
        (ErrorKind::InvalidClaims, Some("cognito:groups"))
    );
    assert!(error.to_string().contains("cognito:groups"), "{error}");
    assert!(
        !error.to_string().contains("admins"),
        "no value in the message: {error}"
    );

    let req = event(ALB, "/me", None);
    let error = gateway_claims(req.extensions(), &config).unwrap_err();
    assert_eq!(
        (error.kind(), error.claim()),
        (ErrorKind::MissingCredentials, None)
    );

    let claims = gateway_claims(event(REST, "/me", None).extensions(), &config).unwrap();
    assert_eq!(claims.groups, ["admins", "users"]);
    assert_eq!(
        (claims.iss.as_str(), claims.user_pool_id()),
        (POOL_ISSUER, Some("eu-west-1_AbC123"))
    );
}

#[tokio::test]
async fn gateway_claims_of_id_tokens_need_the_app_client_in_aud() {
    let config = CognitoConfig::builder("eu-west-1_AbC123")
        .client_id("client1")
        .token_use(TokenUse::Id)
        .clock(FixedClock::new(GATEWAY_NOW))
        .build()
        .unwrap();
    let id = with_claim(
        &with_claim(HTTP, "token_use", Some("id")),
        "client_id",
        None,
    );
    let service = app().layer(GatewayClaimsLayer::new(&config));
    let with_aud = with_claim(&id, "aud", Some("client1"));
    assert_eq!(
        call(service.clone(), event(&with_aud, "/me", None))
            .await
            .status,
        200
    );
    // An access token's client_id never stands in for the ID token's aud.
    let no_aud = with_claim(&id, "client_id", Some("client1"));
    let answer = call(service.clone(), event(&no_aud, "/me", None)).await;
    assert_eq!(answer.kind, Some(ErrorKind::InvalidClient));
    let other = with_claim(&id, "aud", Some("client2"));
    assert_eq!(
        call(service, event(&other, "/me", None)).await.kind,
        Some(ErrorKind::InvalidClient)
    );
}

#[tokio::test]
async fn gateway_claims_as_json_values_and_of_several_pools() {
    // A REST context whose claims carry JSON types (a number, an array, a boolean) is read too.
    let mut rest: Value = serde_json::from_str(REST).unwrap();
    let claims = &mut rest["requestContext"]["authorizer"]["claims"];
    claims["exp"] = json!(1_796_540_400u64);
    claims["cognito:groups"] = json!(["admins"]);
    claims["email_verified"] = json!(true);
    let answer = call(gateway_app(), event(&rest.to_string(), "/me", None)).await;
    assert_eq!(
        (answer.status, answer.body["groups"].clone()),
        (StatusCode::OK, json!(["admins"]))
    );
    for bad in [
        json!(-1),
        json!(1.5),
        json!("[x"),
        json!([1]),
        json!({"a": 1}),
    ] {
        let mut rest = rest.clone();
        rest["requestContext"]["authorizer"]["claims"]["cognito:groups"] = bad.clone();
        let answer = call(gateway_app(), event(&rest.to_string(), "/me", None)).await;
        assert_eq!(answer.kind, Some(ErrorKind::InvalidClaims), "{bad}");
    }

    // Two pools: each token is held to its own pool's rules.
    let config = CognitoConfig::builder("eu-west-1_Other1")
        .client_id("other-client")
        .token_use(TokenUse::Id)
        .and_pool("eu-west-1_AbC123")
        .client_id("client1")
        .token_use(TokenUse::Access)
        .clock(FixedClock::new(GATEWAY_NOW))
        .build()
        .unwrap();
    let service = app().layer(GatewayClaimsLayer::new(&config));
    assert_eq!(
        call(service.clone(), event(HTTP, "/me", None)).await.status,
        200
    );
    let other = "https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_Other1";
    // The first pool's access token under the other pool's issuer: held to that pool's rules
    // (ID tokens only), refused.
    let crossed = with_claim(HTTP, "iss", Some(other));
    let answer = call(service, event(&crossed, "/me", None)).await;
    assert_eq!(answer.kind, Some(ErrorKind::TokenUseNotAccepted));
}

/// `acr` and `amr` arrive like the other claims (`amr` flattened like the groups), so the
/// step-up requirements read them behind a gateway as behind the bearer layer.
#[test]
fn gateway_claims_carry_acr_and_amr_for_step_up() {
    let config = gateway_config();
    for (name, fixture) in [("rest", REST), ("http", HTTP)] {
        let fixture = with_claim(fixture, "amr", Some("[pwd mfa]"));
        let fixture = with_claim(&fixture, "acr", Some("urn:example:mfa"));
        let claims = gateway_claims(event(&fixture, "/me", None).extensions(), &config).unwrap();
        assert_eq!(claims.amr, ["pwd", "mfa"], "{name}");
        assert_eq!(claims.acr.as_deref(), Some("urn:example:mfa"), "{name}");
        assert!(Require::amr_all(["mfa"]).unwrap().evaluate(&claims).is_ok());
        let refused = Require::amr_all(["hwk"])
            .unwrap()
            .evaluate(&claims)
            .unwrap_err();
        assert_eq!(refused.kind(), ErrorKind::InsufficientUserAuthentication);

        let bad = with_claim(&fixture, "amr", Some("[pwd mfa"));
        let error = gateway_claims(event(&bad, "/me", None).extensions(), &config).unwrap_err();
        assert_eq!(error.claim(), Some("amr"), "{name}");
    }
}
