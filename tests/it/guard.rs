//! Scope and group guards through the real layer: per route on an axum `Router`, the `Authorized`
//! extractor, a whole app (`CognitoAuthLayer::require`), plain tower stacks with non-axum bodies
//! (as hyper serves them), the gRPC form, custom rejections, and a guard with no authentication
//! layer in front (`500`). Hostile `scope` and `cognito:groups` claims are signed tokens, so every
//! answer below is what a client would see. The tonic server case is in `tests/grpc.rs`.

#![cfg(feature = "axum")]

use std::convert::Infallible;
use std::sync::OnceLock;
use std::task::{Context, Poll, Waker};

use axum::Router;
use axum::body::{Body, Bytes};
use axum::routing::get;
use http::header::{AUTHORIZATION, CONTENT_TYPE, WWW_AUTHENTICATE};
use http::{Request, Response};
use http_body_util::{BodyExt, Full};
use serde_json::{Value, json};
use tower::{Layer, Service, ServiceBuilder, ServiceExt};
use tower_cognito::test_util::LocalIssuer;
use tower_cognito::{
    Claims, CognitoAuthLayer, CognitoClaims, Error, ErrorKind, Require, TokenUse,
    guard::Authorized, guard::GuardLayer, guard::Requirement, reject::ProblemJson,
};

const NOW: u64 = 1_700_000_000;
const BARE: &str = r#"Bearer realm="api""#;
const MISSING_GROUP: &str = r#"Bearer realm="api", error="insufficient_scope", error_description="not in a required group""#;

fn insufficient_scope(scope: &str) -> String {
    format!(
        r#"Bearer realm="api", error="insufficient_scope", error_description="insufficient scope", scope="{scope}""#
    )
}

/// The binary's shared issuer (clock fixed at `NOW`).
fn issuer() -> LocalIssuer {
    crate::support::shared_issuer()
}

/// A layer that accepts access and ID tokens (so that ID tokens reach the guards).
fn layer(issuer: &LocalIssuer) -> CognitoAuthLayer {
    let config = issuer.config().any_token_use().build().unwrap();
    CognitoAuthLayer::builder(config)
        .static_keys(issuer.key_set())
        .build()
        .unwrap()
}

/// An access token with this `scope` claim (`None`: without one) and these groups.
fn token(issuer: &LocalIssuer, scope: Option<&str>, groups: Value) -> String {
    let builder = issuer.token().claim("cognito:groups", groups);
    match scope {
        Some(scope) => builder.claim("scope", scope),
        None => builder.without("scope"),
    }
    .build()
}

fn get_with(uri: &str, token: Option<&str>) -> Request<Body> {
    let mut req = Request::get(uri);
    if let Some(token) = token {
        req = req.header(AUTHORIZATION, format!("Bearer {token}"));
    }
    req.body(Body::empty()).unwrap()
}

/// What a response came back as: status, challenge, error kind, body.
#[derive(Debug, PartialEq)]
struct Seen {
    status: u16,
    challenge: Option<String>,
    kind: Option<ErrorKind>,
    body: String,
}

async fn seen<B>(response: Response<B>) -> Seen
where
    B: axum::body::HttpBody,
    B::Error: std::fmt::Debug,
{
    let (parts, body) = response.into_parts();
    Seen {
        status: parts.status.as_u16(),
        challenge: parts
            .headers
            .get(WWW_AUTHENTICATE)
            .map(|v| v.to_str().unwrap().to_owned()),
        kind: parts.extensions.get::<Error>().map(Error::kind),
        body: String::from_utf8(body.collect().await.unwrap().to_bytes().to_vec()).unwrap(),
    }
}

fn ok(body: &str) -> Seen {
    Seen {
        status: 200,
        challenge: None,
        kind: None,
        body: body.to_owned(),
    }
}

fn refused(challenge: &str, kind: ErrorKind) -> Seen {
    Seen {
        status: 403,
        challenge: Some(challenge.to_owned()),
        kind: Some(kind),
        body: String::new(),
    }
}

/// The app of the per-route cases: `/admin` needs the group `admins`, `/orders` both order
/// scopes, `/reports` one of two scopes and one of two groups, `/me` only a valid token.
fn app(auth: &CognitoAuthLayer) -> Result<Router, tower_cognito::guard::GuardError> {
    let sub = |claims: Claims| async move { claims.sub.clone() };
    Ok(Router::new()
        .route(
            "/admin",
            get(sub).route_layer(auth.guard(Require::groups_any(["admins"])?)),
        )
        .route(
            "/orders",
            get(sub).route_layer(auth.guard(Require::scopes_all(["orders/read", "orders/write"])?)),
        )
        .route(
            "/reports",
            get(sub).route_layer(
                auth.guard(
                    Require::scopes_any(["reports/read", "reports/admin"])?
                        .and(Require::groups_any(["analysts", "admins"])?),
                ),
            ),
        )
        .route("/me", get(sub))
        .route_layer(auth.clone()))
}

#[tokio::test]
async fn per_route_guards_through_axum() {
    let issuer = issuer();
    let app = app(&layer(&issuer)).unwrap();
    let sub = issuer.access_claims()["sub"].as_str().unwrap().to_owned();
    let orders = insufficient_scope("orders/read orders/write");
    let reports = insufficient_scope("reports/read reports/admin");
    let both = "orders/read orders/write";
    let cases: Vec<(&str, &str, Option<String>, Seen)> = vec![
        // Members and non-members.
        ("admin: member", "/admin", Some(token(&issuer, None, json!(["users", "admins"]))), ok(&sub)),
        ("admin: not a member", "/admin", Some(issuer.access_token()), refused(MISSING_GROUP, ErrorKind::MissingGroup)),
        ("admin: no groups claim", "/admin", Some(issuer.token().without("cognito:groups").build()), refused(MISSING_GROUP, ErrorKind::MissingGroup)),
        ("admin: Admins", "/admin", Some(token(&issuer, None, json!(["Admins"]))), refused(MISSING_GROUP, ErrorKind::MissingGroup)),
        ("admin: admin", "/admin", Some(token(&issuer, None, json!(["admin"]))), refused(MISSING_GROUP, ErrorKind::MissingGroup)),
        ("admin: 'admins '", "/admin", Some(token(&issuer, None, json!(["admins "]))), refused(MISSING_GROUP, ErrorKind::MissingGroup)),
        ("admin: administrators", "/admin", Some(token(&issuer, None, json!(["administrators"]))), refused(MISSING_GROUP, ErrorKind::MissingGroup)),
        ("admin: 'users,admins'", "/admin", Some(token(&issuer, None, json!(["users,admins"]))), refused(MISSING_GROUP, ErrorKind::MissingGroup)),
        ("admin: ID token of a member", "/admin", Some(issuer.id_token_builder().claim("cognito:groups", json!(["admins"])).build()), ok(&sub)),
        // Scopes, all of two.
        ("orders: both", "/orders", Some(token(&issuer, Some(both), json!([]))), ok(&sub)),
        ("orders: both, other order, double spaces", "/orders", Some(token(&issuer, Some("  orders/write  openid orders/read "), json!([]))), ok(&sub)),
        ("orders: one of two", "/orders", Some(token(&issuer, Some("orders/read"), json!([]))), refused(&orders, ErrorKind::InsufficientScope)),
        ("orders: tab-separated", "/orders", Some(token(&issuer, Some("orders/read\torders/write"), json!([]))), refused(&orders, ErrorKind::InsufficientScope)),
        ("orders: other case", "/orders", Some(token(&issuer, Some("Orders/Read ORDERS/WRITE"), json!([]))), refused(&orders, ErrorKind::InsufficientScope)),
        ("orders: required ones are prefixes of granted ones", "/orders", Some(token(&issuer, Some("orders/read-all orders/writer"), json!([]))), refused(&orders, ErrorKind::InsufficientScope)),
        ("orders: comma-joined", "/orders", Some(token(&issuer, Some("orders/read,orders/write"), json!([]))), refused(&orders, ErrorKind::InsufficientScope)),
        ("orders: no scope claim", "/orders", Some(token(&issuer, None, json!([]))), refused(&orders, ErrorKind::InsufficientScope)),
        ("orders: ID token with a scope member", "/orders", Some(issuer.id_token_builder().claim("scope", both).build()), refused(&orders, ErrorKind::InsufficientScope)),
        // Combined: a scope of two and a group of two.
        ("reports: scope and group", "/reports", Some(token(&issuer, Some("reports/admin"), json!(["analysts"]))), ok(&sub)),
        ("reports: scope, no group", "/reports", Some(token(&issuer, Some("reports/read"), json!(["users"]))), refused(MISSING_GROUP, ErrorKind::MissingGroup)),
        ("reports: group, no scope", "/reports", Some(token(&issuer, Some("reports"), json!(["admins"]))), refused(&reports, ErrorKind::InsufficientScope)),
        // The authentication layer answers first: never a 403 without a valid token.
        ("no token", "/admin", None, Seen { status: 401, challenge: Some(BARE.into()), kind: Some(ErrorKind::MissingCredentials), body: String::new() }),
        ("expired member", "/admin", Some(issuer.token().claim("cognito:groups", json!(["admins"])).expired().build()), Seen {
            status: 401,
            challenge: Some(r#"Bearer realm="api", error="invalid_token", error_description="the token expired""#.into()),
            kind: Some(ErrorKind::Expired { exp: NOW - 61, now: NOW }),
            body: String::new(),
        }),
        ("unguarded route", "/me", Some(issuer.access_token()), ok(&sub)),
    ];
    for (name, uri, token, expected) in cases {
        let response = app
            .clone()
            .oneshot(get_with(uri, token.as_deref()))
            .await
            .unwrap();
        let got = seen(response).await;
        assert_eq!(got, expected, "{name}");
    }
}

/// Members of `admins`, for the extractor.
struct Admins;

impl Requirement for Admins {
    fn check(claims: &CognitoClaims) -> Result<(), Error> {
        if claims.in_group("admins") {
            Ok(())
        } else {
            Err(Error::missing_group())
        }
    }
}

/// Access tokens with `orders/read`, through a `Require`.
struct OrderReaders;

impl Requirement for OrderReaders {
    fn check(claims: &CognitoClaims) -> Result<(), Error> {
        static REQUIRE: OnceLock<Require> = OnceLock::new();
        REQUIRE
            .get_or_init(|| Require::scopes_all(["orders/read"]).unwrap())
            .evaluate(claims)
    }
}

#[tokio::test]
async fn the_authorized_extractor() {
    let issuer = issuer();
    let admin = |a: Authorized<Admins>| async move { format!("admin {}", a.sub) };
    let reader =
        |a: Authorized<OrderReaders>| async move { a.into_claims().scope.as_str().to_owned() };
    let routes = Router::new()
        .route("/admin", get(admin))
        .route("/orders", get(reader));
    let app = routes.clone().route_layer(layer(&issuer));
    let sub = issuer.access_claims()["sub"].as_str().unwrap().to_owned();

    let member = token(&issuer, Some("orders/read"), json!(["admins"]));
    let call = |uri: &'static str, token: Option<String>| {
        let app = app.clone();
        async move { seen(app.oneshot(get_with(uri, token.as_deref())).await.unwrap()).await }
    };
    assert_eq!(
        call("/admin", Some(member.clone())).await,
        ok(&format!("admin {sub}"))
    );
    assert_eq!(
        call("/admin", Some(issuer.access_token())).await,
        refused(MISSING_GROUP, ErrorKind::MissingGroup)
    );
    assert_eq!(call("/orders", Some(member)).await, ok("orders/read"));
    assert_eq!(
        call(
            "/orders",
            Some(token(&issuer, Some("orders/read-all"), json!([])))
        )
        .await,
        refused(
            &insufficient_scope("orders/read"),
            ErrorKind::InsufficientScope
        )
    );
    assert_eq!(call("/orders", None).await.status, 401);

    // No layer ran: 500, as for `Claims`.
    let response = routes
        .oneshot(get_with("/admin", Some(&issuer.access_token())))
        .await
        .unwrap();
    let got = seen(response).await;
    assert_eq!((got.status, got.kind, got.challenge), (500, None, None));
    assert_eq!(got.body, "server misconfiguration");
}

#[tokio::test]
async fn a_guard_without_an_authentication_layer_is_a_server_error() {
    let issuer = issuer();
    let guard = GuardLayer::new(Require::groups_any(["admins"]).unwrap());
    let app = Router::new()
        .route("/admin", get(|| async { "admin" }))
        .route_layer(guard.clone());
    let member = token(&issuer, None, json!(["admins"]));
    for token in [None, Some(member.as_str())] {
        let got = seen(
            app.clone()
                .oneshot(get_with("/admin", token))
                .await
                .unwrap(),
        )
        .await;
        assert_eq!(
            got,
            Seen {
                status: 500,
                challenge: None,
                kind: None,
                body: String::new()
            },
            "{token:?}"
        );
    }
    // Guard outside the authentication layer (the wrong order): the same, loudly.
    let wrong = Router::new()
        .route("/admin", get(|| async { "admin" }))
        .route_layer(layer(&issuer))
        .route_layer(guard.clone());
    let got = seen(
        wrong
            .oneshot(get_with("/admin", Some(&member)))
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(got.status, 500);
    // gRPC callers get INTERNAL in the gRPC form.
    let svc = guard.layer(tower::service_fn(|_: Request<()>| async {
        Ok::<_, Infallible>(Response::new(String::new()))
    }));
    let request = Request::post("/pkg.Svc/Method")
        .header(CONTENT_TYPE, "application/grpc")
        .body(())
        .unwrap();
    let response = svc.oneshot(request).await.unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(response.headers()["grpc-status"], "13");
    assert_eq!(
        response.headers()["grpc-message"],
        "server misconfiguration"
    );
    assert_eq!(response.headers()[CONTENT_TYPE], "application/grpc");
    // A GET with a gRPC `content-type` is no gRPC call: the plain 500.
    let svc = guard.layer(tower::service_fn(|_: Request<()>| async {
        Ok::<_, Infallible>(Response::new(String::new()))
    }));
    let request = Request::get("/pkg.Svc/Method")
        .header(CONTENT_TYPE, "application/grpc")
        .body(())
        .unwrap();
    let response = svc.oneshot(request).await.unwrap();
    assert_eq!(response.status(), 500);
    assert!(!response.headers().contains_key("grpc-status"));
}

#[tokio::test]
async fn a_whole_app_behind_one_requirement() {
    let issuer = issuer();
    let auth = layer(&issuer);
    let app = Router::new()
        .route("/a", get(|| async { "a" }))
        .route("/b", get(|| async { "b" }))
        .layer(auth.require(Require::scopes_any(["api/use"]).unwrap()));
    let granted = token(&issuer, Some("openid api/use"), json!([]));
    for uri in ["/a", "/b"] {
        let got = seen(
            app.clone()
                .oneshot(get_with(uri, Some(&granted)))
                .await
                .unwrap(),
        )
        .await;
        assert_eq!(got, ok(&uri[1..]));
        let got = seen(
            app.clone()
                .oneshot(get_with(uri, Some(&issuer.access_token())))
                .await
                .unwrap(),
        )
        .await;
        assert_eq!(
            got,
            refused(&insufficient_scope("api/use"), ErrorKind::InsufficientScope)
        );
        let got = seen(app.clone().oneshot(get_with(uri, None)).await.unwrap()).await;
        assert_eq!(got.status, 401);
    }
}

/// A plain tower stack over `http::Request<()>` → `Response<Full<Bytes>>` (what hyper serves):
/// authentication first, then the guard.
#[tokio::test]
async fn plain_tower_stacks_custom_rejections_and_realms() {
    let issuer = issuer();
    let config = issuer
        .config()
        .token_use(TokenUse::Access)
        .realm("orders")
        .build()
        .unwrap();
    let auth = CognitoAuthLayer::builder(config)
        .static_keys(issuer.key_set())
        .build()
        .unwrap();
    let inner = tower::service_fn(|req: Request<()>| async move {
        let sub = req.extensions().get::<Claims>().map(|c| c.sub.clone());
        Ok::<_, Infallible>(Response::new(Full::new(Bytes::from(
            sub.unwrap_or_default(),
        ))))
    });
    let require = || Require::scopes_all(["orders/read"]).unwrap();
    let granted = token(&issuer, Some("orders/read"), json!([]));
    // A gRPC call is a POST with a gRPC `content-type`.
    let request = |token: &str, grpc: bool| {
        let mut req = Request::get("/").header(AUTHORIZATION, format!("Bearer {token}"));
        if grpc {
            req = req
                .method(http::Method::POST)
                .header(CONTENT_TYPE, "application/grpc+proto");
        }
        req.body(()).unwrap()
    };
    let challenge = r#"Bearer realm="orders", error="insufficient_scope", error_description="insufficient scope", scope="orders/read""#;

    // `guard` inherits the layer's realm.
    let svc = ServiceBuilder::new()
        .layer(auth.clone())
        .layer(auth.guard(require()))
        .service(inner);
    let sub = issuer.access_claims()["sub"].as_str().unwrap().to_owned();
    assert_eq!(
        seen(svc.clone().oneshot(request(&granted, false)).await.unwrap()).await,
        ok(&sub)
    );
    let got = seen(
        svc.clone()
            .oneshot(request(&issuer.access_token(), false))
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(got, refused(challenge, ErrorKind::InsufficientScope));
    // gRPC: PERMISSION_DENIED, the challenge kept.
    let response = svc
        .clone()
        .oneshot(request(&issuer.access_token(), true))
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(response.headers()["grpc-status"], "7");
    assert_eq!(response.headers()["grpc-message"], "insufficient scope");
    assert_eq!(response.headers()[WWW_AUTHENTICATE], challenge);
    // The error is in the extensions with the required scopes.
    let error = response.extensions().get::<Error>().unwrap();
    assert_eq!(error.required_scope(), Some("orders/read"));
    // A GET with a gRPC `content-type` is no gRPC call: the HTTP form.
    let mut get = request(&issuer.access_token(), true);
    *get.method_mut() = http::Method::GET;
    let got = seen(svc.clone().oneshot(get).await.unwrap()).await;
    assert_eq!(got, refused(challenge, ErrorKind::InsufficientScope));

    // `GuardLayer::new` has the default realm; `realm` and `reject_with` change the answer.
    let problem = GuardLayer::new(require())
        .realm("orders")
        .unwrap()
        .reject_with(ProblemJson::new("orders").unwrap());
    let svc = ServiceBuilder::new()
        .layer(auth.clone())
        .layer(problem)
        .service(inner);
    let response = svc
        .oneshot(request(&issuer.access_token(), false))
        .await
        .unwrap();
    assert_eq!(response.status(), 403);
    assert_eq!(response.headers()[CONTENT_TYPE], "application/problem+json");
    assert_eq!(response.headers()[WWW_AUTHENTICATE], challenge);
    let body = response.into_body().collect().await.unwrap().to_bytes();
    assert_eq!(
        serde_json::from_slice::<Value>(&body).unwrap(),
        json!({
            "type": "about:blank",
            "title": "Forbidden",
            "status": 403,
            "detail": "insufficient scope",
            "error": "insufficient_scope",
            "scope": "orders/read",
        })
    );
    assert!(GuardLayer::new(require()).realm("a\"b").is_err());
}

#[derive(serde::Deserialize)]
struct Tenant {
    #[serde(rename = "custom:tenant")]
    tenant: String,
}

#[tokio::test]
async fn guards_read_the_claims_type_of_the_layer() {
    let issuer = issuer();
    let auth = layer(&issuer).extra_claims::<Tenant>();
    let inner = tower::service_fn(|req: Request<()>| async move {
        let tenant = req
            .extensions()
            .get::<Claims<Tenant>>()
            .unwrap()
            .extra
            .tenant
            .clone();
        Ok::<_, Infallible>(Response::new(tenant))
    });
    let token = issuer
        .token()
        .claim("custom:tenant", "acme")
        .claim("cognito:groups", json!(["admins"]))
        .build();
    let request = || {
        Request::get("/")
            .header(AUTHORIZATION, format!("Bearer {token}"))
            .body(())
            .unwrap()
    };
    let require = || Require::groups_any(["admins"]).unwrap();
    // From the layer: `Claims<Tenant>`, inferred.
    let svc = ServiceBuilder::new()
        .layer(auth.require(require()))
        .service(inner);
    assert_eq!(
        seen(svc.oneshot(request()).await.unwrap()).await,
        ok("acme")
    );
    let svc = ServiceBuilder::new()
        .layer(auth.clone())
        .layer(GuardLayer::new(require()).extra_claims::<Tenant>())
        .service(inner);
    assert_eq!(
        seen(svc.oneshot(request()).await.unwrap()).await,
        ok("acme")
    );
    // A guard for `Claims` behind a layer that puts `Claims<Tenant>`: no claims of its type, 500.
    let svc = ServiceBuilder::new()
        .layer(auth)
        .layer(GuardLayer::new(require()))
        .service(inner);
    assert_eq!(
        seen(svc.oneshot(request()).await.unwrap()).await.status,
        500
    );
}

#[tokio::test]
async fn readiness_and_errors_of_the_inner_service_pass_through() {
    let guard = GuardLayer::new(Require::groups_any(["admins"]).unwrap());
    let (mock, mut handle) = tower_test::mock::pair::<Request<()>, Response<String>>();
    let mut svc = guard.layer(mock);
    let mut cx = Context::from_waker(Waker::noop());
    handle.allow(0);
    assert!(svc.poll_ready(&mut cx).is_pending());
    handle.allow(1);
    assert!(matches!(svc.poll_ready(&mut cx), Poll::Ready(Ok(()))));
    // A refused request never reaches the inner service.
    let issuer = issuer();
    let auth = layer(&issuer);
    let with_claims = |token: &str| {
        let mut req = Request::new(());
        req.extensions_mut().insert(auth.verify(token).unwrap());
        req
    };
    let response = svc.call(with_claims(&issuer.access_token())).await.unwrap();
    assert_eq!(response.status(), 403);
    assert!(handle.poll_request().is_pending());
    // An admitted one does, and the inner error comes back as it is.
    handle.allow(1);
    assert!(matches!(svc.poll_ready(&mut cx), Poll::Ready(Ok(()))));
    let member = token(&issuer, None, json!(["admins"]));
    let future = svc.call(with_claims(&member));
    let (_, respond) = handle.next_request().await.unwrap();
    respond.send_error("inner overloaded");
    assert_eq!(future.await.unwrap_err().to_string(), "inner overloaded");
}

/// The routes of the optional-authentication cases: a guard (from the layer, so in its realm),
/// the `Authorized` and `Claims` extractors, and `Option<Claims>`, all behind one optional layer
/// whose realm is `orders`.
fn optional_app(issuer: &LocalIssuer) -> Router {
    let config = issuer
        .config()
        .token_use(TokenUse::Access)
        .realm("orders")
        .build()
        .unwrap();
    let auth = CognitoAuthLayer::builder(config)
        .static_keys(issuer.key_set())
        .build()
        .unwrap()
        .optional();
    let admins = auth.guard(Require::groups_any(["admins"]).unwrap());
    Router::new()
        .route(
            "/guarded",
            get(|| async { "guarded" })
                .post(|| async { "guarded" })
                .route_layer(admins),
        )
        .route(
            "/authorized",
            get(|a: Authorized<Admins>| async move { a.sub.clone() }),
        )
        .route("/claims", get(|c: Claims| async move { c.sub.clone() }))
        .route(
            "/maybe",
            get(|c: Option<Claims>| async move {
                c.map_or("anonymous".to_owned(), |c| c.sub.clone())
            }),
        )
        .layer(auth)
}

fn anonymous(status: u16, challenge: &str) -> Seen {
    Seen {
        status,
        challenge: Some(challenge.to_owned()),
        kind: Some(ErrorKind::MissingCredentials),
        body: String::new(),
    }
}

#[tokio::test]
async fn an_anonymous_request_behind_an_optional_layer_is_401_never_500() {
    let issuer = issuer();
    let app = optional_app(&issuer);
    let sub = issuer.access_claims()["sub"].as_str().unwrap().to_owned();
    let member = token(&issuer, None, json!(["admins"]));
    let cases: Vec<(&str, &str, Option<String>, Seen)> = vec![
        // Without credentials: the guard answers as the layer answers no credentials, in the
        // layer's realm; the extractors as `Error` answers in axum (the default realm).
        (
            "guard",
            "/guarded",
            None,
            anonymous(401, r#"Bearer realm="orders""#),
        ),
        ("Authorized", "/authorized", None, anonymous(401, BARE)),
        ("Claims", "/claims", None, anonymous(401, BARE)),
        ("Option<Claims>", "/maybe", None, ok("anonymous")),
        // Another scheme is no credentials too.
        (
            "guard, Basic",
            "/guarded",
            Some("Basic dXNlcjpwYXNz".to_owned()),
            anonymous(401, r#"Bearer realm="orders""#),
        ),
        // With a token: as without `optional`.
        (
            "guard, member",
            "/guarded",
            Some(format!("Bearer {member}")),
            ok("guarded"),
        ),
        (
            "guard, not a member",
            "/guarded",
            Some(format!("Bearer {}", issuer.access_token())),
            refused(
                r#"Bearer realm="orders", error="insufficient_scope", error_description="not in a required group""#,
                ErrorKind::MissingGroup,
            ),
        ),
        (
            "Authorized, member",
            "/authorized",
            Some(format!("Bearer {member}")),
            ok(&sub),
        ),
        (
            "Claims, token",
            "/claims",
            Some(format!("Bearer {member}")),
            ok(&sub),
        ),
    ];
    for (name, uri, authorization, expected) in cases {
        let mut request = Request::get(uri);
        if let Some(value) = &authorization {
            request = request.header(AUTHORIZATION, value);
        }
        let response = app
            .clone()
            .oneshot(request.body(Body::empty()).unwrap())
            .await
            .unwrap();
        assert_eq!(seen(response).await, expected, "{name}");
    }

    // A gRPC call without credentials: UNAUTHENTICATED from the guard, in the gRPC form.
    let call = Request::post("/guarded")
        .header(CONTENT_TYPE, "application/grpc")
        .body(Body::empty())
        .unwrap();
    let response = app.clone().oneshot(call).await.unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(response.headers()["grpc-status"], "16");
    assert_eq!(response.headers()["grpc-message"], "no bearer token");
    assert_eq!(
        response.headers()[WWW_AUTHENTICATE],
        r#"Bearer realm="orders""#
    );
    assert_eq!(
        response.extensions().get::<Error>().map(Error::kind),
        Some(ErrorKind::MissingCredentials)
    );
}

#[tokio::test]
async fn a_standalone_guard_behind_an_optional_layer_answers_401_in_its_own_realm() {
    let issuer = issuer();
    let auth = layer(&issuer).optional();
    let inner = tower::service_fn(|_: Request<()>| async {
        Ok::<_, Infallible>(Response::new(Full::new(Bytes::from_static(b"ok"))))
    });
    let guard = GuardLayer::new(Require::scopes_any(["orders/read"]).unwrap());
    let svc = ServiceBuilder::new()
        .layer(auth.clone())
        .layer(guard.clone())
        .service(inner);
    let got = seen(svc.oneshot(Request::new(())).await.unwrap()).await;
    assert_eq!(got, anonymous(401, BARE));
    // `realm` and `reject_with` choose that answer, as they choose the guard's 403.
    let svc = ServiceBuilder::new()
        .layer(auth)
        .layer(guard.reject_with(ProblemJson::new("orders").unwrap()))
        .service(inner);
    let response = svc.oneshot(Request::new(())).await.unwrap();
    assert_eq!(response.status(), 401);
    assert_eq!(response.headers()[CONTENT_TYPE], "application/problem+json");
    assert_eq!(
        response.headers()[WWW_AUTHENTICATE],
        r#"Bearer realm="orders""#
    );
    // Without any layer, the same request is still the server's misconfiguration.
    let bare = GuardLayer::new(Require::scopes_any(["orders/read"]).unwrap()).layer(inner);
    let got = seen(bare.oneshot(Request::new(())).await.unwrap()).await;
    assert_eq!((got.status, got.kind), (500, None));
}
