//! The ready-made rejections through the real layer, for every answer the layer gives: `Rfc6750`
//! (HTTP, and the gRPC form for `content-type: application/grpc*`) and `ProblemJson` (RFC 9457
//! bodies, and the same gRPC form). `403` is not produced by the authentication layer itself (the
//! guards' `403` is in `guard.rs`), so its forms are checked on `Reject` directly.

use std::convert::Infallible;

use bytes::Bytes;
use http::header::{AUTHORIZATION, CONTENT_TYPE, RETRY_AFTER, WWW_AUTHENTICATE};
use http::{HeaderMap, Method, Request, Response, StatusCode};
use http_body_util::{BodyExt, Full};
use serde_json::{Value, json};
use tower::{Layer, ServiceExt};
use tower_cognito::test_util::LocalIssuer;
use tower_cognito::{
    CognitoAuthLayer, Error, ErrorKind, jwks::FetchError, jwks::JwksSource, reject::ProblemJson,
    reject::Reject, reject::Rfc6750,
};

/// A JWKS source that never answers: the layer has no key set.
struct NeverAnswers;

impl JwksSource for NeverAnswers {
    async fn fetch(&self, _max_size: usize) -> Result<Vec<u8>, FetchError> {
        std::future::pending().await
    }
}

/// One rejection the layer gives, with its expected answer.
struct Case {
    name: &'static str,
    /// The `Authorization` header lines.
    authorization: Vec<String>,
    /// Whether the layer has no key set.
    no_keys: bool,
    status: u16,
    /// The RFC 6750 error code, if the challenge has one.
    code: Option<&'static str>,
    grpc_status: &'static str,
    description: &'static str,
}

fn cases(issuer: &LocalIssuer) -> Vec<Case> {
    let bearer = |token: String| vec![format!("Bearer {token}")];
    let case = |name, authorization, status, code, grpc_status, description| Case {
        name,
        authorization,
        no_keys: false,
        status,
        code,
        grpc_status,
        description,
    };
    let bad = Some("invalid_request");
    let token = Some("invalid_token");
    vec![
        case("no header", vec![], 401, None, "16", "no bearer token"),
        case(
            "basic",
            vec!["Basic YTpi".into()],
            401,
            None,
            "16",
            "no bearer token",
        ),
        case(
            "empty",
            vec!["Bearer".into()],
            400,
            bad,
            "16",
            "empty bearer token",
        ),
        case(
            "two tokens",
            vec!["Bearer a b".into()],
            400,
            bad,
            "16",
            "more than one bearer token",
        ),
        case(
            "characters",
            vec!["Bearer a\"b".into()],
            400,
            bad,
            "16",
            "invalid characters in the bearer token",
        ),
        case(
            "two headers",
            vec!["Bearer a".into(), "Bearer b".into()],
            400,
            bad,
            "16",
            "more than one Authorization header",
        ),
        case(
            "malformed",
            bearer("x.y".into()),
            401,
            token,
            "16",
            "the token is not a compact JWS",
        ),
        case(
            "tampered",
            bearer(issuer.token().tampered().build()),
            401,
            token,
            "16",
            "invalid signature",
        ),
        case(
            "expired",
            bearer(issuer.token().expired().build()),
            401,
            token,
            "16",
            "the token expired",
        ),
        case(
            "id token",
            bearer(issuer.id_token()),
            401,
            token,
            "16",
            "token use not accepted",
        ),
        Case {
            no_keys: true,
            ..case(
                "no keys",
                bearer(issuer.access_token()),
                503,
                None,
                "14",
                "signing keys are not available",
            )
        },
    ]
}

/// A `POST` (as every gRPC call is) with `case`'s headers, and a gRPC `content-type` if `grpc`.
fn request(case: &Case, grpc: bool) -> Request<Full<Bytes>> {
    let mut request = Request::post("/pkg.Service/Method");
    for value in &case.authorization {
        request = request.header(AUTHORIZATION, value);
    }
    if grpc {
        request = request.header(CONTENT_TYPE, "application/grpc");
    }
    request.body(Full::default()).unwrap()
}

/// Sends `request` through `layer` around a handler that answers `200 ok`.
async fn send<R>(
    layer: &CognitoAuthLayer<(), R>,
    request: Request<Full<Bytes>>,
) -> (Response<()>, Bytes)
where
    R: Reject<Full<Bytes>> + Clone,
{
    let handler = tower::service_fn(|_: Request<Full<Bytes>>| async {
        Ok::<_, Infallible>(Response::new(Full::new(Bytes::from_static(b"ok"))))
    });
    let response = layer.layer(handler).oneshot(request).await.unwrap();
    let (parts, body) = response.into_parts();
    let body = body.collect().await.unwrap().to_bytes();
    (Response::from_parts(parts, ()), body)
}

fn error_of(response: &Response<()>) -> Error {
    response
        .extensions()
        .get::<Error>()
        .expect("the error in the extensions")
        .clone()
}

fn problem(status: u16, title: &str, description: &str, code: Option<&str>) -> Value {
    let mut body = json!({
        "type": "about:blank",
        "title": title,
        "status": status,
        "detail": description,
    });
    if let Some(code) = code {
        body["error"] = json!(code);
    }
    body
}

/// The HTTP challenge headers of `case` (`WWW-Authenticate`, `Retry-After`).
fn assert_challenge(headers: &HeaderMap, case: &Case) {
    let name = case.name;
    let www = headers.get(WWW_AUTHENTICATE).map(|v| v.to_str().unwrap());
    match (case.status, case.code) {
        (503, _) => {
            assert_eq!(www, None, "{name}");
            assert_eq!(headers[RETRY_AFTER], "5", "{name}");
        }
        (_, None) => assert_eq!(www, Some(r#"Bearer realm="api""#), "{name}"),
        (_, Some(code)) => assert_eq!(
            www.unwrap(),
            format!(
                r#"Bearer realm="api", error="{code}", error_description="{}""#,
                case.description
            ),
            "{name}"
        ),
    }
}

fn assert_grpc_form(response: &Response<()>, body: &Bytes, case: &Case) {
    let name = case.name;
    assert_eq!(response.status(), StatusCode::OK, "{name}");
    let headers = response.headers();
    assert_eq!(headers[CONTENT_TYPE], "application/grpc", "{name}");
    assert_eq!(headers["grpc-status"], case.grpc_status, "{name}");
    assert_eq!(headers["grpc-message"], case.description, "{name}");
    assert_challenge(headers, case);
    assert!(body.is_empty(), "{name}: trailers-only, no body");
    assert_eq!(
        error_of(response).error_description(),
        case.description,
        "{name}"
    );
}

#[tokio::test]
async fn every_rejection_in_every_form() {
    let issuer = LocalIssuer::new().unwrap();
    let config = crate::support::access_config(&issuer);
    let ready = CognitoAuthLayer::builder(config.clone())
        .static_keys(issuer.key_set())
        .build()
        .unwrap();
    let no_keys = CognitoAuthLayer::builder(config)
        .jwks_source(NeverAnswers)
        .build()
        .unwrap();
    let problem_json = || ProblemJson::new("api").unwrap();

    for case in cases(&issuer) {
        let name = case.name;
        let layer = if case.no_keys { &no_keys } else { &ready };
        let status = StatusCode::from_u16(case.status).unwrap();

        // RFC 6750, HTTP: today's answer, byte for byte. A GET with a gRPC `content-type` is no
        // gRPC call (they are all POST): the same HTTP answer.
        let mut get = request(&case, true);
        *get.method_mut() = Method::GET;
        for request in [request(&case, false), get] {
            let method = request.method().clone();
            let (response, body) = send(layer, request).await;
            assert_eq!(response.status(), status, "{name} {method}");
            assert_challenge(response.headers(), &case);
            assert!(!response.headers().contains_key(CONTENT_TYPE), "{name}");
            assert!(!response.headers().contains_key("grpc-status"), "{name}");
            assert!(body.is_empty(), "{name}");
            assert_eq!(error_of(&response).status(), status, "{name}");
        }

        // RFC 6750, gRPC.
        let (response, body) = send(layer, request(&case, true)).await;
        assert_grpc_form(&response, &body, &case);

        // Problem JSON, HTTP (and a GET with a gRPC `content-type`: the same).
        let problems = layer.clone().reject_with(problem_json());
        let mut get = request(&case, true);
        *get.method_mut() = Method::GET;
        let (response, body) = send(&problems, get).await;
        assert_eq!(response.status(), status, "{name} GET");
        assert_eq!(
            response.headers()[CONTENT_TYPE],
            "application/problem+json",
            "{name} GET"
        );
        assert!(!response.headers().contains_key("grpc-status"), "{name}");
        let (response, body2) = send(&problems, request(&case, false)).await;
        assert_eq!(body, body2, "{name}");
        assert_eq!(response.status(), status, "{name}");
        assert_eq!(
            response.headers()[CONTENT_TYPE],
            "application/problem+json",
            "{name}"
        );
        assert_challenge(response.headers(), &case);
        let title = status.canonical_reason().unwrap();
        assert_eq!(
            serde_json::from_slice::<Value>(&body).unwrap(),
            problem(case.status, title, case.description, case.code),
            "{name}"
        );
        // Nothing of the request is echoed (tokens long enough not to match by chance).
        for value in case.authorization.iter().filter(|v| v.len() > 16) {
            let token = value
                .trim_start_matches("Bearer ")
                .trim_start_matches("Basic ");
            assert!(!String::from_utf8_lossy(&body).contains(token), "{name}");
        }
        assert_eq!(
            error_of(&response).error_description(),
            case.description,
            "{name}"
        );

        // Problem JSON, gRPC: the same gRPC form.
        let (response, body) = send(&problems, request(&case, true)).await;
        assert_grpc_form(&response, &body, &case);
    }

    // A valid token passes through every form.
    let token = format!("Bearer {}", issuer.access_token());
    for grpc in [false, true] {
        let mut request = request(&cases(&issuer)[0], grpc);
        request
            .headers_mut()
            .insert(AUTHORIZATION, token.parse().unwrap());
        let (response, body) = send(&ready, request).await;
        assert_eq!((response.status(), &body[..]), (StatusCode::OK, &b"ok"[..]));
    }
}

#[test]
fn forbidden_is_permission_denied_and_403() {
    let (http, ()) = Request::new(()).into_parts();
    let (grpc, ()) = Request::post("/pkg.Service/Method")
        .header(CONTENT_TYPE, "application/grpc+proto")
        .body(())
        .unwrap()
        .into_parts();
    let expected =
        r#"Bearer realm="api", error="insufficient_scope", error_description="insufficient scope""#;
    for error in [
        Error::from(ErrorKind::InsufficientScope),
        Error::forbidden("insufficient scope"),
    ] {
        let rfc = Rfc6750::new("api").unwrap();
        let response: Response<Full<Bytes>> = rfc.reject(&error, &http);
        assert_eq!(response.status(), StatusCode::FORBIDDEN);
        assert_eq!(response.headers()[WWW_AUTHENTICATE], expected);

        for response in [
            Reject::<Full<Bytes>>::reject(&rfc, &error, &grpc),
            Reject::<Full<Bytes>>::reject(&ProblemJson::new("api").unwrap(), &error, &grpc),
        ] {
            assert_eq!(response.status(), StatusCode::OK);
            assert_eq!(response.headers()["grpc-status"], "7");
            assert_eq!(response.headers()["grpc-message"], "insufficient scope");
            assert_eq!(response.headers()[WWW_AUTHENTICATE], expected);
        }

        let response: Response<Bytes> = ProblemJson::new("api").unwrap().reject(&error, &http);
        assert_eq!(response.status(), StatusCode::FORBIDDEN);
        assert_eq!(
            serde_json::from_slice::<Value>(response.body()).unwrap(),
            problem(
                403,
                "Forbidden",
                "insufficient scope",
                Some("insufficient_scope")
            )
        );
    }
}
