//! What a layer adds to its pools' rules: the application's own checks, optional
//! authentication, and the token cookie. Through the real layer (tower services with
//! `http::Request`, and an axum router for the `Option<Claims>` extractor). Clocks fixed at `NOW`.

use std::convert::Infallible;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use http::header::{AUTHORIZATION, COOKIE, WWW_AUTHENTICATE};
use tower::ServiceExt;
use tower_cognito::test_util::LocalIssuer;
use tower_cognito::{
    Claims, CognitoAuthLayer, CognitoClaims, CognitoConfig, CognitoConfigBuilder, ConfigError,
    Error, ErrorKind, TokenUse, clock::FixedClock, reject::RequestError, reject::Rfc6750,
};

use crate::support::tokens::NOW;

/// The binary's shared issuer (clock fixed at `NOW`).
fn issuer() -> LocalIssuer {
    crate::support::shared_issuer()
}

fn layer_with(
    issuer: &LocalIssuer,
    settings: impl FnOnce(CognitoConfigBuilder) -> CognitoConfigBuilder,
) -> CognitoAuthLayer {
    let config = settings(issuer.config().token_use(TokenUse::Access))
        .build()
        .unwrap();
    CognitoAuthLayer::builder(config)
        .static_keys(issuer.key_set())
        .build()
        .unwrap()
}

/// What came back: status, error kind, challenge, and the claims the inner service saw.
#[derive(Debug)]
struct Got {
    status: u16,
    kind: Option<ErrorKind>,
    challenge: Option<String>,
    claims: Option<Arc<CognitoClaims>>,
}

/// One request with these headers through `layer`, with checks (`Checked`) or without.
async fn send<C>(
    layer: &CognitoAuthLayer<(), Rfc6750, C>,
    headers: &[(http::HeaderName, &str)],
) -> Got {
    let svc = tower::ServiceBuilder::new()
        .layer(layer.clone())
        .service_fn(|req: http::Request<()>| async move {
            let claims = req.extensions().get::<Claims>().map(|c| Arc::clone(&c.0));
            let mut res = http::Response::new(String::new());
            res.extensions_mut().insert(claims);
            Ok::<_, Infallible>(res)
        });
    let mut req = http::Request::get("/").body(()).unwrap();
    for (name, value) in headers {
        req.headers_mut()
            .append(name.clone(), value.parse().unwrap());
    }
    let res = svc.oneshot(req).await.unwrap();
    Got {
        status: res.status().as_u16(),
        kind: res.extensions().get::<Error>().map(Error::kind),
        challenge: res
            .headers()
            .get(WWW_AUTHENTICATE)
            .map(|v| v.to_str().unwrap().to_owned()),
        claims: res
            .extensions()
            .get::<Option<Arc<CognitoClaims>>>()
            .cloned()
            .flatten(),
    }
}

fn bearer(token: &str) -> (http::HeaderName, String) {
    (AUTHORIZATION, format!("Bearer {token}"))
}

async fn send_bearer<C>(layer: &CognitoAuthLayer<(), Rfc6750, C>, token: &str) -> Got {
    let (name, value) = bearer(token);
    send(layer, &[(name, &value)]).await
}

#[tokio::test]
async fn a_check_allows_or_refuses_with_a_fixed_answer() {
    let issuer = issuer();
    let calls = Arc::new(AtomicUsize::new(0));
    let counted = Arc::clone(&calls);
    let layer = layer_with(&issuer, |c| c).check(move |claims| {
        counted.fetch_add(1, Ordering::SeqCst);
        match claims.custom_attribute("tenant") {
            Some("acme") => Ok(()),
            Some("blocked") => Err(Error::unauthorized("account blocked")),
            _ => Err(Error::forbidden("wrong tenant")),
        }
    });
    let acme = issuer.token().claim("custom:tenant", "acme").build();
    let first = send_bearer(&layer, &acme).await;
    assert_eq!(first.status, 200, "{first:?}");
    // A cache hit runs the check again, and skips the RSA check (the same claims `Arc`).
    let second = send_bearer(&layer, &acme).await;
    assert!(Arc::ptr_eq(
        first.claims.as_ref().unwrap(),
        second.claims.as_ref().unwrap()
    ));
    assert_eq!(calls.load(Ordering::SeqCst), 2);

    let other = issuer.token().claim("custom:tenant", "umbrella").build();
    for _ in 0..2 {
        let got = send_bearer(&layer, &other).await;
        assert_eq!(
            (got.status, got.kind),
            (
                403,
                Some(ErrorKind::Forbidden {
                    description: "wrong tenant"
                })
            )
        );
        assert_eq!(
            got.challenge.as_deref(),
            Some(
                r#"Bearer realm="api", error="insufficient_scope", error_description="wrong tenant""#
            )
        );
    }
    let blocked = issuer.token().claim("custom:tenant", "blocked").build();
    let got = send_bearer(&layer, &blocked).await;
    assert_eq!(
        (got.status, got.kind),
        (
            401,
            Some(ErrorKind::Unauthorized {
                description: "account blocked"
            })
        )
    );
    assert_eq!(
        got.challenge.as_deref(),
        Some(r#"Bearer realm="api", error="invalid_token", error_description="account blocked""#)
    );
    assert_eq!(calls.load(Ordering::SeqCst), 5);

    // `verify` outside HTTP runs it too.
    assert_eq!(
        layer.verify(&other).unwrap_err().kind(),
        ErrorKind::Forbidden {
            description: "wrong tenant"
        }
    );
}

#[tokio::test]
async fn a_check_runs_only_after_every_token_rule() {
    let issuer = issuer();
    let calls = Arc::new(AtomicUsize::new(0));
    let counted = Arc::clone(&calls);
    let layer = layer_with(&issuer, |c| c).check(move |_| {
        counted.fetch_add(1, Ordering::SeqCst);
        Ok(())
    });
    let refused = [
        (issuer.token().expired().build(), "expired"),
        (issuer.token().tampered().build(), "InvalidSignature"),
        (issuer.id_token(), "TokenUseNotAccepted"),
        (
            issuer.token().claim("client_id", "other").build(),
            "InvalidClient",
        ),
        ("not-a-token".to_owned(), "Malformed"),
    ];
    for (token, what) in refused {
        let got = send_bearer(&layer, &token).await;
        assert_eq!(got.status, 401, "{what}: {got:?}");
        let kind = format!("{:?}", got.kind.unwrap());
        assert!(
            kind.starts_with(what) || what == "expired" && kind.starts_with("Expired"),
            "{what}: {kind}"
        );
    }
    assert_eq!(calls.load(Ordering::SeqCst), 0);

    // A token cached while valid, then expired: refused by the time rules on the hit, before the
    // check runs.
    let clock = Arc::new(FixedClock::new(NOW));
    let issuer = LocalIssuer::builder()
        .clock(Arc::clone(&clock))
        .build()
        .unwrap();
    let counted = Arc::clone(&calls);
    let layer = layer_with(&issuer, |c| c).check(move |_| {
        counted.fetch_add(1, Ordering::SeqCst);
        Ok(())
    });
    let token = issuer.access_token();
    assert_eq!(send_bearer(&layer, &token).await.status, 200);
    assert_eq!(calls.load(Ordering::SeqCst), 1);
    clock.advance(2 * 3600);
    let got = send_bearer(&layer, &token).await;
    assert!(
        matches!(got.kind, Some(ErrorKind::Expired { .. })),
        "{got:?}"
    );
    assert_eq!(calls.load(Ordering::SeqCst), 1);
}

#[tokio::test]
async fn checks_compose_and_belong_to_their_layer() {
    let issuer = issuer();
    let base = layer_with(&issuer, |c| c);
    let admins = base
        .clone()
        .check(|c| match c.in_group("admins") {
            true => Ok(()),
            false => Err(Error::forbidden("admins only")),
        })
        .check(|c| match c.has_scope("orders/write") {
            true => Ok(()),
            false => Err(Error::forbidden("orders/write needed")),
        });
    let plain = issuer.access_token();
    let admin = issuer.token().claim("cognito:groups", ["admins"]).build();
    let both = issuer
        .token()
        .claim("cognito:groups", ["admins"])
        .claim("scope", "orders/write")
        .build();
    // The first check that refuses answers.
    let kinds = [
        (&plain, Some("admins only")),
        (&admin, Some("orders/write needed")),
        (&both, None),
    ];
    for (token, refused) in kinds {
        let got = send_bearer(&admins, token).await;
        match refused {
            Some(description) => {
                assert_eq!(got.kind, Some(ErrorKind::Forbidden { description }))
            }
            None => assert_eq!(got.status, 200, "{got:?}"),
        }
        // The layer it was cloned from runs no check: same keys, same cache.
        assert_eq!(send_bearer(&base, token).await.status, 200);
    }
}

#[derive(Debug, serde::Deserialize)]
struct Tenant {
    #[serde(rename = "custom:tenant")]
    tenant: String,
}

/// The claims type is chosen before the checks (`check(..).extra_claims()` does not compile: the
/// doctest of `extra_claims`), so a check reads it, runs on every request, and is never dropped.
#[tokio::test]
async fn a_check_reads_the_claims_type_chosen_before_it() {
    let issuer = issuer();
    let calls = Arc::new(AtomicUsize::new(0));
    let counted = Arc::clone(&calls);
    let layer = layer_with(&issuer, |c| c)
        .optional()
        .extra_claims::<Tenant>()
        .check(move |claims| {
            counted.fetch_add(1, Ordering::SeqCst);
            match claims.extra.tenant.as_str() {
                "acme" => Ok(()),
                _ => Err(Error::forbidden("wrong tenant")),
            }
        });
    let svc = tower::ServiceBuilder::new()
        .layer(layer.clone())
        .service_fn(|req: http::Request<()>| async move {
            let tenant = req
                .extensions()
                .get::<Claims<Tenant>>()
                .map_or("anonymous".to_owned(), |c| c.extra.tenant.clone());
            Ok::<_, Infallible>(http::Response::new(tenant))
        });
    let call = |token: Option<String>| {
        let svc = svc.clone();
        async move {
            let mut req = http::Request::get("/");
            if let Some(token) = token {
                req = req.header(AUTHORIZATION, format!("Bearer {token}"));
            }
            let res = svc.oneshot(req.body(()).unwrap()).await.unwrap();
            let kind = res.extensions().get::<Error>().map(Error::kind);
            (res.status().as_u16(), kind, res.into_body())
        }
    };
    let acme = issuer.token().claim("custom:tenant", "acme").build();
    let umbrella = issuer.token().claim("custom:tenant", "umbrella").build();
    for _ in 0..2 {
        assert_eq!(
            call(Some(acme.clone())).await,
            (200, None, "acme".to_owned())
        );
        let forbidden = Some(ErrorKind::Forbidden {
            description: "wrong tenant",
        });
        assert_eq!(
            call(Some(umbrella.clone())).await,
            (403, forbidden, String::new())
        );
    }
    assert_eq!(
        calls.load(Ordering::SeqCst),
        4,
        "misses and cache hits alike"
    );
    // `optional` was kept through `extra_claims`.
    assert_eq!(call(None).await, (200, None, "anonymous".to_owned()));
    assert_eq!(
        layer.verify(&umbrella).unwrap_err().kind(),
        ErrorKind::Forbidden {
            description: "wrong tenant"
        }
    );
}

#[tokio::test]
async fn optional_authentication_passes_only_requests_without_credentials() {
    let issuer = issuer();
    let layer = layer_with(&issuer, |c| c).optional();
    let got = send(&layer, &[]).await;
    assert_eq!((got.status, got.claims.is_none()), (200, true));
    // Another scheme is no bearer credentials: it passes too, without claims.
    let got = send(&layer, &[(AUTHORIZATION, "Basic dXNlcjpwYXNz")]).await;
    assert_eq!((got.status, got.claims.is_none()), (200, true));
    // A bad token is still 401, a malformed request still 400.
    let got = send_bearer(&layer, &issuer.token().expired().build()).await;
    assert_eq!(got.status, 401);
    assert!(matches!(got.kind, Some(ErrorKind::Expired { .. })));
    for bad in ["Bearer", "Bearer a b", "Bearer a\"b"] {
        let got = send(&layer, &[(AUTHORIZATION, bad)]).await;
        assert_eq!(got.status, 400, "{bad}");
    }
    // Neither a bearer token nor another scheme: malformed, not anonymous.
    let token = issuer.access_token();
    for glued in [
        format!("Bearer\t{token}"),
        format!("Bearer,{token}"),
        String::new(),
        format!("Bearer\u{a0}{token}").replace('\u{a0}', "\t"),
        // A JWT is all token characters, so RFC 7235 alone would read these as a scheme of
        // their own; a word that starts with `Bearer` is no other scheme (issue 16).
        format!("Bearer{token}"),
        format!("bEaReR{token}"),
        format!("Bearer{token} x"),
    ] {
        let got = send(&layer, &[(AUTHORIZATION, &glued)]).await;
        assert_eq!(
            (got.status, got.kind),
            (
                400,
                Some(ErrorKind::InvalidRequest(RequestError::InvalidCharacters))
            ),
            "{glued:?}"
        );
    }
    // Another scheme alone, or with its credentials.
    for other in ["Negotiate", "Digest realm=x", "Basic"] {
        let got = send(&layer, &[(AUTHORIZATION, other)]).await;
        assert_eq!((got.status, got.claims.is_none()), (200, true), "{other}");
    }
    // A valid token gives its claims.
    let got = send_bearer(&layer, &issuer.access_token()).await;
    assert_eq!(got.status, 200);
    assert!(got.claims.is_some());
    // Without `optional`, the same empty request is 401.
    let strict = layer_with(&issuer, |c| c);
    assert_eq!(
        send(&strict, &[]).await.kind,
        Some(ErrorKind::MissingCredentials)
    );
}

#[cfg(feature = "axum")]
#[tokio::test]
async fn optional_claims_in_an_axum_handler() {
    use axum::routing::get;
    use http_body_util::BodyExt;

    async fn hello(claims: Option<Claims>) -> String {
        match claims {
            Some(c) => format!("hello {}", c.username().unwrap_or("?")),
            None => "hello stranger".to_owned(),
        }
    }
    let issuer = issuer();
    let app = axum::Router::new()
        .route("/", get(hello))
        .layer(layer_with(&issuer, |c| c).optional());
    let body = |req: http::Request<axum::body::Body>| {
        let app = app.clone();
        async move {
            let res = app.oneshot(req).await.unwrap();
            let status = res.status().as_u16();
            let bytes = res.into_body().collect().await.unwrap().to_bytes();
            (status, String::from_utf8(bytes.to_vec()).unwrap())
        }
    };
    let anonymous = http::Request::get("/")
        .body(axum::body::Body::empty())
        .unwrap();
    assert_eq!(body(anonymous).await, (200, "hello stranger".to_owned()));
    let signed_in = http::Request::get("/")
        .header(AUTHORIZATION, format!("Bearer {}", issuer.access_token()))
        .body(axum::body::Body::empty())
        .unwrap();
    assert_eq!(body(signed_in).await, (200, "hello alice".to_owned()));
}

#[tokio::test]
async fn the_token_cookie() {
    let issuer = issuer();
    let layer = layer_with(&issuer, |c| c.token_cookie("session"));
    let token = issuer.access_token();
    let cookie = |value: &str| (COOKIE, value.to_owned());

    let ok = [
        format!("session={token}"),
        format!("theme=dark; session={token}; lang=en"),
        format!("theme=dark;session=\"{token}\""),
    ];
    let mut seen = Vec::new();
    for value in &ok {
        let (name, value) = cookie(value);
        let got = send(&layer, &[(name, &value)]).await;
        assert_eq!(got.status, 200, "{value}: {got:?}");
        seen.push(got.claims.unwrap());
    }
    // The same verified-token cache as a bearer header: one verification for all of them.
    let header = send_bearer(&layer, &token).await.claims.unwrap();
    assert!(seen.iter().all(|c| Arc::ptr_eq(c, &header)));
    // A cookie header split in two (HTTP/2 sends one per pair).
    let got = send(
        &layer,
        &[
            (COOKIE, "theme=dark"),
            (COOKIE, &format!("session={token}")),
        ],
    )
    .await;
    assert_eq!(got.status, 200);

    let (auth, auth_value) = bearer(&token);
    type Headers = Vec<(http::HeaderName, String)>;
    let refused: [(Headers, u16, ErrorKind); 7] = [
        (
            vec![
                cookie(&format!("session={token}")),
                (auth.clone(), auth_value.clone()),
            ],
            400,
            ErrorKind::InvalidRequest(RequestError::HeaderAndCookie),
        ),
        // A malformed bearer header next to the cookie: both are there.
        (
            vec![
                cookie(&format!("session={token}")),
                (auth.clone(), "Bearer".to_owned()),
            ],
            400,
            ErrorKind::InvalidRequest(RequestError::HeaderAndCookie),
        ),
        (
            vec![cookie(&format!("session={token}; session={token}"))],
            400,
            ErrorKind::InvalidRequest(RequestError::MultipleCookies),
        ),
        (
            vec![cookie("session=")],
            400,
            ErrorKind::InvalidRequest(RequestError::EmptyToken),
        ),
        (
            vec![cookie("session=a,b")],
            400,
            ErrorKind::InvalidRequest(RequestError::MultipleTokens),
        ),
        (
            vec![cookie(&format!("session={}", "a".repeat(9 * 1024)))],
            401,
            ErrorKind::TokenTooLarge,
        ),
        // Names are case-sensitive: `Session` is another cookie, so no credentials at all.
        (
            vec![cookie(&format!("Session={token}"))],
            401,
            ErrorKind::MissingCredentials,
        ),
    ];
    for (headers, status, kind) in refused {
        let headers: Vec<(http::HeaderName, &str)> = headers
            .iter()
            .map(|(n, v)| (n.clone(), v.as_str()))
            .collect();
        let got = send(&layer, &headers).await;
        assert_eq!((got.status, got.kind), (status, Some(kind)), "{headers:?}");
    }
    // Another scheme in `Authorization` is no bearer token: the cookie is the credential.
    let value = format!("session={token}");
    let got = send(
        &layer,
        &[(AUTHORIZATION, "Basic dXNlcjpwYXNz"), (COOKIE, &value)],
    )
    .await;
    assert_eq!(got.status, 200);
    // A layer without the cookie setting ignores cookies.
    let plain = layer_with(&issuer, |c| c);
    let got = send(&plain, &[(COOKIE, &value)]).await;
    assert_eq!(got.kind, Some(ErrorKind::MissingCredentials));
}

#[test]
fn the_cookie_name_is_checked() {
    let base = || {
        CognitoConfig::builder("eu-west-1_AbC123")
            .client_id("client1")
            .token_use(TokenUse::Access)
    };
    for bad in ["", "a b", "a;b", "a=b", "ä", "a\"b", "a,b"] {
        assert!(
            matches!(
                base().token_cookie(bad).build(),
                Err(ConfigError::InvalidCookieName(name)) if name == bad
            ),
            "{bad:?}"
        );
    }
    for good in ["session", "__Host-id", "a.b_c~!#$%&'*+^`|"] {
        let config = base().token_cookie(good).build().unwrap();
        assert_eq!(config.token_cookie(), Some(good));
    }
}
