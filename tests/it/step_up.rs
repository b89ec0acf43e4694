//! Step-up authentication (RFC 9470) through the real layer: `Require::max_age` on `auth_time`
//! against the layer's injected clock (cache hits included), `acr` levels by a configured order,
//! required `amr` methods, their combination with scope, group and pool requirements, the exact
//! `WWW-Authenticate` bytes, the gRPC and problem+json forms, the layer's counters, and guards
//! with no layer (or no layer bound) in front. Every token is signed: each answer is what a
//! client would see.

#![cfg(feature = "axum")]

use std::convert::Infallible;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::body::Body;
use axum::routing::get;
use http::header::{AUTHORIZATION, CONTENT_TYPE, WWW_AUTHENTICATE};
use http::{Request, Response};
use http_body_util::BodyExt;
use serde_json::{Value, json};
use tower::{Layer, ServiceExt};
use tower_cognito::clock::FixedClock;
use tower_cognito::test_util::LocalIssuer;
use tower_cognito::{
    Claims, CognitoAuthLayer, Error, ErrorKind, Require, TokenUse, guard::GuardLayer,
    reject::ProblemJson,
};

use crate::support::tokens::NOW;

const LOA: [&str; 3] = [
    "urn:cognito:loa:1",
    "urn:cognito:loa:2",
    "urn:cognito:loa:3",
];
const STEP_UP: &str = r#"Bearer realm="api", error="insufficient_user_authentication", error_description="a more recent or stronger sign-in is required""#;
const INVALID_CLAIMS: &str =
    r#"Bearer realm="api", error="invalid_token", error_description="invalid claims""#;

fn issuer() -> LocalIssuer {
    crate::support::shared_issuer()
}

/// A layer for access tokens whose clock is `clock` and whose leeway is `leeway` seconds.
fn layer(issuer: &LocalIssuer, clock: &Arc<FixedClock>, leeway: u64) -> CognitoAuthLayer {
    let config = issuer
        .config()
        .token_use(TokenUse::Access)
        .leeway(Duration::from_secs(leeway))
        .clock(Arc::clone(clock))
        .build()
        .unwrap();
    CognitoAuthLayer::builder(config)
        .static_keys(issuer.key_set())
        .build()
        .unwrap()
}

/// `/pay` behind `require` (through `auth.guard`), `/me` behind the layer only.
fn app(auth: &CognitoAuthLayer, require: Require) -> Router {
    let sub = |claims: Claims| async move { claims.sub.clone() };
    Router::new()
        .route("/pay", get(sub).route_layer(auth.guard(require)))
        .route("/me", get(sub))
        .route_layer(auth.clone())
}

/// An access token with these claims set (`Value::Null`: left out).
fn token(issuer: &LocalIssuer, claims: &[(&str, Value)]) -> String {
    let mut builder = issuer.token();
    for (name, value) in claims {
        builder = match value {
            Value::Null => builder.without(name),
            value => builder.claim(name, value.clone()),
        };
    }
    builder.build()
}

fn get_with(uri: &str, token: &str) -> Request<Body> {
    Request::get(uri)
        .header(AUTHORIZATION, format!("Bearer {token}"))
        .body(Body::empty())
        .unwrap()
}

/// Status, challenge and error kind of `app`'s answer to `uri` with `token`.
async fn call(app: &Router, uri: &str, token: &str) -> (u16, Option<String>, Option<ErrorKind>) {
    let response = app.clone().oneshot(get_with(uri, token)).await.unwrap();
    let challenge = response
        .headers()
        .get(WWW_AUTHENTICATE)
        .map(|v| v.to_str().unwrap().to_owned());
    let kind = response.extensions().get::<Error>().map(Error::kind);
    (response.status().as_u16(), challenge, kind)
}

fn step_up(params: &str) -> (u16, Option<String>, Option<ErrorKind>) {
    (
        401,
        Some(format!("{STEP_UP}{params}")),
        Some(ErrorKind::InsufficientUserAuthentication),
    )
}

const OK: (u16, Option<String>, Option<ErrorKind>) = (200, None, None);

#[tokio::test]
async fn max_age_counts_from_auth_time_with_the_layers_clock_and_leeway() {
    let issuer = issuer();
    let clock = Arc::new(FixedClock::new(NOW));
    let strict = app(
        &layer(&issuer, &clock, 0),
        Require::max_age(Duration::from_secs(300)),
    );
    let signed_in = |at: u64| token(&issuer, &[("auth_time", json!(at))]);
    // Exactly at the maximum age: accepted; one second past: the step-up challenge, `max_age`.
    assert_eq!(call(&strict, "/pay", &signed_in(NOW - 300)).await, OK);
    let old = signed_in(NOW - 301);
    assert_eq!(
        call(&strict, "/pay", &old).await,
        step_up(r#", max_age="300""#)
    );
    // The token itself is valid: the routes without the guard take it.
    assert_eq!(call(&strict, "/me", &old).await, OK);

    // The layer's clock, not the system's: a sign-in "now" passes at the layer's now, then ages
    // with its clock, on the cached token too (the same bytes, verified once).
    let fresh = signed_in(NOW);
    assert_eq!(call(&strict, "/pay", &fresh).await, OK);
    clock.advance(300);
    assert_eq!(call(&strict, "/pay", &fresh).await, OK);
    clock.advance(1);
    assert_eq!(
        call(&strict, "/pay", &fresh).await,
        step_up(r#", max_age="300""#)
    );

    // The leeway is added to the age, as to `exp`.
    let lenient_clock = Arc::new(FixedClock::new(NOW));
    let lenient = app(
        &layer(&issuer, &lenient_clock, 60),
        Require::max_age(Duration::from_secs(300)),
    );
    assert_eq!(call(&lenient, "/pay", &signed_in(NOW - 360)).await, OK);
    assert_eq!(
        call(&lenient, "/pay", &signed_in(NOW - 361)).await,
        step_up(r#", max_age="300""#)
    );
}

#[tokio::test]
async fn a_missing_or_future_auth_time_is_refused() {
    let issuer = issuer();
    let clock = Arc::new(FixedClock::new(NOW));
    let app = app(
        &layer(&issuer, &clock, 60),
        Require::max_age(Duration::from_secs(300)),
    );
    // No `auth_time` when an age is required: refused (fail closed), as too old.
    let none = token(&issuer, &[("auth_time", Value::Null)]);
    assert_eq!(
        call(&app, "/pay", &none).await,
        step_up(r#", max_age="300""#)
    );
    assert_eq!(call(&app, "/me", &none).await, OK);
    // A sign-in later than now + leeway: the token is invalid, not a sign-in to repeat.
    let at = |t: u64| token(&issuer, &[("auth_time", json!(t))]);
    assert_eq!(call(&app, "/pay", &at(NOW + 60)).await, OK);
    assert_eq!(
        call(&app, "/pay", &at(NOW + 61)).await,
        (
            401,
            Some(INVALID_CLAIMS.to_owned()),
            Some(ErrorKind::InvalidClaims)
        )
    );
    // `auth_time` as anything but a number is refused by the layer, guard or not.
    for bad in [json!("1700000000"), json!(-1), json!(1.5), json!([NOW])] {
        let bad = token(&issuer, &[("auth_time", bad)]);
        assert_eq!(call(&app, "/me", &bad).await.0, 401);
        assert_eq!(
            call(&app, "/me", &bad).await.2,
            Some(ErrorKind::InvalidClaims)
        );
    }
}

#[tokio::test]
async fn acr_levels_follow_the_configured_order() {
    let issuer = issuer();
    let clock = Arc::new(FixedClock::new(NOW));
    let app = app(
        &layer(&issuer, &clock, 60),
        Require::acr_at_least(LOA, "urn:cognito:loa:2").unwrap(),
    );
    let acr = |value: Value| token(&issuer, &[("acr", value)]);
    let wanted = r#", acr_values="urn:cognito:loa:2 urn:cognito:loa:3""#;
    // At the level and above: accepted; one level too low, an unknown value (exact strings:
    // case and spacing count), or none: the challenge, with the acceptable levels.
    assert_eq!(
        call(&app, "/pay", &acr(json!("urn:cognito:loa:2"))).await,
        OK
    );
    assert_eq!(
        call(&app, "/pay", &acr(json!("urn:cognito:loa:3"))).await,
        OK
    );
    for weak in [
        json!("urn:cognito:loa:1"),
        json!("URN:COGNITO:LOA:3"),
        json!("urn:cognito:loa:3 "),
        json!("urn:cognito:loa:4"),
        json!(""),
        Value::Null,
    ] {
        assert_eq!(
            call(&app, "/pay", &acr(weak.clone())).await,
            step_up(wanted),
            "{weak}"
        );
    }
    // `acr` of another type: an invalid token, for every route.
    for bad in [json!(["urn:cognito:loa:3"]), json!(3), json!({"level": 3})] {
        let bad = acr(bad);
        for uri in ["/pay", "/me"] {
            assert_eq!(
                call(&app, uri, &bad).await,
                (
                    401,
                    Some(INVALID_CLAIMS.to_owned()),
                    Some(ErrorKind::InvalidClaims)
                )
            );
        }
    }
    // A client-credentials token carries no `acr`: refused with the challenge.
    let m2m = token(
        &issuer,
        &[
            ("username", Value::Null),
            ("cognito:groups", Value::Null),
            ("auth_time", Value::Null),
        ],
    );
    assert_eq!(call(&app, "/pay", &m2m).await, step_up(wanted));
}

#[tokio::test]
async fn amr_methods_are_all_required() {
    let issuer = issuer();
    let clock = Arc::new(FixedClock::new(NOW));
    let auth = layer(&issuer, &clock, 60);
    let mfa = app(&auth, Require::amr_all(["mfa"]).unwrap());
    let amr = |value: Value| token(&issuer, &[("amr", value)]);
    assert_eq!(call(&mfa, "/pay", &amr(json!(["pwd", "mfa"]))).await, OK);
    for missing in [json!(["pwd"]), json!(["MFA"]), json!([]), Value::Null] {
        assert_eq!(
            call(&mfa, "/pay", &amr(missing.clone())).await,
            step_up(""),
            "{missing}"
        );
    }
    // `amr` as a string, or an array with anything but strings: an invalid token.
    for bad in [json!("mfa"), json!(["mfa", 1]), json!({"mfa": true})] {
        assert_eq!(
            call(&mfa, "/me", &amr(bad)).await,
            (
                401,
                Some(INVALID_CLAIMS.to_owned()),
                Some(ErrorKind::InvalidClaims)
            )
        );
    }
    // With a level configured too, a missing method names the level that brings it.
    let both = app(
        &auth,
        Require::amr_all(["mfa"])
            .unwrap()
            .and(Require::acr_any(["urn:cognito:loa:3"]).unwrap()),
    );
    let signed = |acr: &str, amr: Value| token(&issuer, &[("acr", json!(acr)), ("amr", amr)]);
    let level = r#", acr_values="urn:cognito:loa:3""#;
    assert_eq!(
        call(
            &both,
            "/pay",
            &signed("urn:cognito:loa:3", json!(["pwd", "mfa"]))
        )
        .await,
        OK
    );
    assert_eq!(
        call(&both, "/pay", &signed("urn:cognito:loa:3", json!(["pwd"]))).await,
        step_up(level)
    );
    assert_eq!(
        call(
            &both,
            "/pay",
            &signed("urn:cognito:loa:1", json!(["pwd", "mfa"]))
        )
        .await,
        step_up(level)
    );
}

#[tokio::test]
async fn combined_requirements_name_every_parameter_and_check_scopes_first() {
    let issuer = issuer();
    let clock = Arc::new(FixedClock::new(NOW));
    let auth = layer(&issuer, &clock, 0);
    let require = Require::groups_any(["staff"])
        .unwrap()
        .and(Require::max_age(Duration::from_secs(600)))
        .and(Require::acr_any(["urn:cognito:loa:3"]).unwrap())
        .and(Require::max_age(Duration::from_secs(300)))
        .in_pool(issuer.user_pool_id())
        .unwrap();
    let guarded = app(&auth, require);
    let staff = |auth_time: u64, acr: &str| {
        token(
            &issuer,
            &[
                ("cognito:groups", json!(["staff"])),
                ("auth_time", json!(auth_time)),
                ("acr", json!(acr)),
            ],
        )
    };
    assert_eq!(
        call(&guarded, "/pay", &staff(NOW - 300, "urn:cognito:loa:3")).await,
        OK
    );
    // The strictest age; both parameters when both fail, so the client signs in once.
    assert_eq!(
        call(&guarded, "/pay", &staff(NOW - 301, "urn:cognito:loa:3")).await,
        step_up(r#", max_age="300""#)
    );
    assert_eq!(
        call(&guarded, "/pay", &staff(NOW, "urn:cognito:loa:1")).await,
        step_up(r#", acr_values="urn:cognito:loa:3""#)
    );
    assert_eq!(
        call(&guarded, "/pay", &staff(NOW - 301, "urn:cognito:loa:1")).await,
        step_up(r#", acr_values="urn:cognito:loa:3", max_age="300""#)
    );
    // A missing group is a 403 whatever the sign-in: a new sign-in grants no group.
    let outsider = token(
        &issuer,
        &[("auth_time", json!(NOW - 3000)), ("acr", json!("x"))],
    );
    let (status, challenge, kind) = call(&guarded, "/pay", &outsider).await;
    assert_eq!((status, kind), (403, Some(ErrorKind::MissingGroup)));
    assert!(challenge.unwrap().contains(r#"error="insufficient_scope""#));
    // Another pool's guard refuses with 403 before any step-up rule.
    let elsewhere = app(
        &auth,
        Require::max_age(Duration::from_secs(300))
            .in_pool("eu-west-1_Elsewhere1")
            .unwrap(),
    );
    let (status, _, kind) = call(&elsewhere, "/pay", &staff(NOW, "urn:cognito:loa:3")).await;
    assert_eq!((status, kind), (403, Some(ErrorKind::OtherPool)));
}

#[tokio::test]
async fn grpc_and_problem_json_forms() {
    let issuer = issuer();
    let clock = Arc::new(FixedClock::new(NOW));
    let auth = layer(&issuer, &clock, 0);
    let require = Require::max_age(Duration::from_secs(60))
        .and(Require::acr_at_least(LOA, "urn:cognito:loa:3").unwrap());
    let old = token(&issuer, &[("auth_time", json!(NOW - 61))]);
    let expected = format!(r#"{STEP_UP}, acr_values="urn:cognito:loa:3", max_age="60""#);

    let app = app(&auth, require.clone());
    let call = Request::post("/pay")
        .header(AUTHORIZATION, format!("Bearer {old}"))
        .header(CONTENT_TYPE, "application/grpc")
        .body(Body::empty())
        .unwrap();
    // `/pay` is GET-only in the router; the gRPC form comes from the guard on a POST route.
    let grpc = Router::new()
        .route(
            "/pay",
            axum::routing::post(|| async { "paid" }).route_layer(auth.guard(require.clone())),
        )
        .route_layer(auth.clone());
    let response = grpc.oneshot(call).await.unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(response.headers()["grpc-status"], "16");
    assert_eq!(
        response.headers()["grpc-message"],
        "a more recent or stronger sign-in is required"
    );
    assert_eq!(response.headers()[CONTENT_TYPE], "application/grpc");
    assert_eq!(response.headers()[WWW_AUTHENTICATE], expected.as_str());
    // The HTTP form of the same refusal, byte for byte.
    let response = app.oneshot(get_with("/pay", &old)).await.unwrap();
    assert_eq!(response.status(), 401);
    assert_eq!(
        response.headers()[WWW_AUTHENTICATE].as_bytes(),
        expected.as_bytes()
    );

    let problem = CognitoAuthLayer::builder(
        issuer
            .config()
            .token_use(TokenUse::Access)
            .leeway(Duration::ZERO)
            .clock(Arc::clone(&clock))
            .build()
            .unwrap(),
    )
    .static_keys(issuer.key_set())
    .reject_with(ProblemJson::new("api").unwrap())
    .build()
    .unwrap();
    let svc = problem
        .guard(require)
        .layer(tower::service_fn(|_: Request<Body>| async {
            Ok::<_, Infallible>(Response::new(Body::empty()))
        }));
    let response = problem
        .layer(svc)
        .oneshot(get_with("/pay", &old))
        .await
        .unwrap();
    assert_eq!(response.status(), 401);
    assert_eq!(response.headers()[WWW_AUTHENTICATE], expected.as_str());
    assert_eq!(response.headers()[CONTENT_TYPE], "application/problem+json");
    let body = response.into_body().collect().await.unwrap().to_bytes();
    assert_eq!(
        body,
        r#"{"type":"about:blank","title":"Unauthorized","status":401,"detail":"a more recent or stronger sign-in is required","error":"insufficient_user_authentication","acr_values":"urn:cognito:loa:3","max_age":60}"#
    );
}

#[tokio::test]
async fn refusals_are_counted_and_carry_what_the_next_sign_in_needs() {
    let issuer = issuer();
    let clock = Arc::new(FixedClock::new(NOW));
    let auth = layer(&issuer, &clock, 0);
    let app = app(
        &auth,
        Require::max_age(Duration::from_secs(300))
            .and(Require::acr_at_least(LOA, "urn:cognito:loa:2").unwrap()),
    );
    let old = token(
        &issuer,
        &[
            ("auth_time", json!(NOW - 301)),
            ("acr", json!("urn:cognito:loa:2")),
        ],
    );
    let response = app.clone().oneshot(get_with("/pay", &old)).await.unwrap();
    let error = response.extensions().get::<Error>().unwrap();
    // What the web sign-in passes on its next `/login`: only what failed.
    assert_eq!((error.max_age(), error.acr_values()), (Some(300), None));
    let weak = token(&issuer, &[("acr", json!("urn:cognito:loa:1"))]);
    let response = app.clone().oneshot(get_with("/pay", &weak)).await.unwrap();
    let error = response.extensions().get::<Error>().unwrap();
    assert_eq!(
        (error.max_age(), error.acr_values()),
        (None, Some("urn:cognito:loa:2 urn:cognito:loa:3"))
    );
    assert_eq!(call(&app, "/pay", &weak).await.0, 401);
    let status = auth.status();
    assert_eq!(
        status.rejected(ErrorKind::InsufficientUserAuthentication),
        3
    );
    // The layer counted the three valid tokens it let through to the guard.
    assert_eq!(status.accepted, 3);
}

#[tokio::test]
async fn a_guard_without_a_layer_bound() {
    let issuer = issuer();
    let clock = Arc::new(FixedClock::new(NOW));
    let auth = layer(&issuer, &clock, 0);
    let guard = GuardLayer::new(Require::max_age(Duration::from_secs(300)));
    // No layer in front: a server misconfiguration, 500.
    let alone = Router::new().route("/pay", get(|| async { "paid" }).route_layer(guard.clone()));
    let fresh = token(&issuer, &[("auth_time", json!(NOW))]);
    let response = alone.oneshot(get_with("/pay", &fresh)).await.unwrap();
    assert_eq!(response.status(), 500);
    assert!(response.extensions().get::<Error>().is_none());
    // Behind a layer but not made by it: the system clock (years after `NOW`), so the same
    // fresh sign-in is too old; and its refusal is in no layer's counters.
    let unbound = Router::new()
        .route("/pay", get(|| async { "paid" }).route_layer(guard))
        .route_layer(auth.clone());
    assert_eq!(
        call(&unbound, "/pay", &fresh).await,
        step_up(r#", max_age="300""#)
    );
    assert_eq!(
        auth.status()
            .rejected(ErrorKind::InsufficientUserAuthentication),
        0
    );
}

/// Signed in at most five minutes before `NOW`, checked at `NOW` with no leeway.
struct RecentAtNow;

impl tower_cognito::guard::Requirement for RecentAtNow {
    fn check(claims: &tower_cognito::CognitoClaims) -> Result<(), Error> {
        Require::max_age(Duration::from_secs(300)).evaluate_at(claims, NOW, Duration::ZERO)
    }
}

#[tokio::test]
async fn a_whole_app_and_the_authorized_extractor() {
    let issuer = issuer();
    let clock = Arc::new(FixedClock::new(NOW));
    let auth = layer(&issuer, &clock, 0);
    // `auth.require(..)`: the layer and its guard in one, for every route.
    let whole = Router::new()
        .route("/pay", get(|| async { "paid" }))
        .layer(auth.require(Require::max_age(Duration::from_secs(300))));
    let at = |t: u64| token(&issuer, &[("auth_time", json!(t))]);
    assert_eq!(call(&whole, "/pay", &at(NOW - 300)).await, OK);
    assert_eq!(
        call(&whole, "/pay", &at(NOW - 301)).await,
        step_up(r#", max_age="300""#)
    );
    // The extractor answers with the error's own response: the same challenge.
    let extractor = Router::new()
        .route(
            "/pay",
            get(|_: tower_cognito::guard::Authorized<RecentAtNow>| async { "paid" }),
        )
        .route_layer(auth.clone());
    assert_eq!(call(&extractor, "/pay", &at(NOW - 300)).await, OK);
    assert_eq!(
        call(&extractor, "/pay", &at(NOW - 301)).await,
        step_up(r#", max_age="300""#)
    );
    assert_eq!(
        auth.status()
            .rejected(ErrorKind::InsufficientUserAuthentication),
        1,
        "the extractor's refusal is not the guard's: only `auth.require` counted"
    );
}
