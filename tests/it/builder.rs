//! The one way to make a layer, `CognitoAuthLayer::builder`: what each setting of the
//! `LayerBuilder` does to the built layer, `build` against `start`, and the errors of a key
//! source that does not fit the configuration. The layer's own behaviour is tested elsewhere.

use std::convert::Infallible;
use std::time::Duration;

use http::header::{AUTHORIZATION, WWW_AUTHENTICATE};
use http::{Request, Response, StatusCode};
use tower::ServiceExt;
use tower_cognito::test_util::LocalIssuer;
use tower_cognito::{
    Claims, CognitoAuthLayer, CognitoConfig, Error, ErrorKind, StartError, TokenUse,
    clock::FixedClock, deny::DenyList, jwks::FetchError, jwks::JwksSource, jwks::KeySet,
    reject::Rfc6750,
};

use crate::support::access_config;
use crate::support::tokens::NOW;

fn issuer() -> LocalIssuer {
    crate::support::shared_issuer()
}

/// A JWKS source that never answers.
struct NeverAnswers;

impl JwksSource for NeverAnswers {
    async fn fetch(&self, _max_size: usize) -> Result<Vec<u8>, FetchError> {
        std::future::pending().await
    }
}

/// Two pools: `a`'s for access tokens, then `b`'s for any token.
fn two_pools(a: &LocalIssuer, b: &LocalIssuer) -> CognitoConfig {
    a.config()
        .token_use(TokenUse::Access)
        .and_pool(b.user_pool_id())
        .client_id(b.client_id())
        .any_token_use()
        .build()
        .unwrap()
}

/// A second pool's issuer, on the shared issuer's clock.
fn other_issuer() -> LocalIssuer {
    LocalIssuer::builder()
        .user_pool_id("us-east-1_Builder2")
        .client_id("builderclient2")
        .clock(FixedClock::new(NOW))
        .build()
        .unwrap()
}

#[derive(Debug, serde::Deserialize)]
struct Tenant {
    #[serde(rename = "custom:tenant")]
    tenant: String,
}

/// Everything set on the builder holds on the built layer: the claims type (read by the check),
/// the check, optional authentication, the rejection and the deny-list.
#[tokio::test]
async fn what_the_builder_sets_holds_on_the_built_layer() {
    let issuer = issuer();
    let deny = DenyList::new();
    let layer = CognitoAuthLayer::builder(access_config(&issuer))
        .extra_claims::<Tenant>()
        .check(|claims| match claims.extra.tenant.as_str() {
            "acme" => Ok(()),
            _ => Err(Error::forbidden("wrong tenant")),
        })
        .optional()
        .reject_with(Rfc6750::new("builder").unwrap())
        .deny_list(deny.clone())
        .static_keys(issuer.key_set())
        .build()
        .unwrap();
    let svc = tower::ServiceBuilder::new()
        .layer(layer.clone())
        .service_fn(|req: Request<()>| async move {
            let tenant = req
                .extensions()
                .get::<Claims<Tenant>>()
                .map_or("anonymous".to_owned(), |c| c.extra.tenant.clone());
            Ok::<_, Infallible>(Response::new(tenant))
        });
    let send = |token: Option<&str>| {
        let mut req = Request::get("/");
        if let Some(token) = token {
            req = req.header(AUTHORIZATION, format!("Bearer {token}"));
        }
        svc.clone().oneshot(req.body(()).unwrap())
    };

    let acme = issuer.token().claim("custom:tenant", "acme").build();
    let res = send(Some(&acme)).await.unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(res.body(), "acme");
    assert_eq!(layer.verify(&acme).unwrap().extra.tenant, "acme");

    // The check, in the rejection's realm.
    let umbrella = issuer.token().claim("custom:tenant", "umbrella").build();
    let res = send(Some(&umbrella)).await.unwrap();
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
    let challenge = res.headers()[WWW_AUTHENTICATE].to_str().unwrap();
    assert!(
        challenge.starts_with(r#"Bearer realm="builder", error="insufficient_scope""#),
        "{challenge}"
    );

    // Optional: no credentials, no claims.
    let res = send(None).await.unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(res.body(), "anonymous");

    // The claims type: a payload `Tenant` refuses.
    let no_tenant = issuer.access_token();
    assert_eq!(
        layer.verify(&no_tenant).unwrap_err().kind(),
        ErrorKind::CustomClaims
    );

    // The deny-list.
    let claims = layer.verify(&acme).unwrap();
    assert!(deny.revoke_session(&claims));
    assert_eq!(layer.verify(&acme).unwrap_err().kind(), ErrorKind::Revoked);
    let res = send(Some(&acme)).await.unwrap();
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
}

/// The settings may come in any order; the claims type only before the first check (the other
/// order does not compile: the `compile_fail` doctest of `LayerBuilder`).
#[test]
fn the_key_source_and_the_policy_come_in_any_order() {
    let issuer = issuer();
    let layer = CognitoAuthLayer::builder(access_config(&issuer))
        .static_keys(issuer.key_set())
        .deny_list(DenyList::new())
        .extra_claims::<serde_json::Value>()
        .optional()
        .check(|claims| match claims.extra.get("custom:tenant") {
            Some(tenant) if tenant == "acme" => Ok(()),
            _ => Err(Error::forbidden("wrong tenant")),
        })
        .check(|_| Err(Error::unauthorized("second check")))
        .build()
        .unwrap();
    let acme = issuer.token().claim("custom:tenant", "acme").build();
    // Both checks run, in order.
    assert_eq!(
        layer.verify(&acme).unwrap_err().kind(),
        ErrorKind::Unauthorized {
            description: "second check"
        }
    );
    assert_eq!(
        layer.verify(&issuer.access_token()).unwrap_err().kind(),
        ErrorKind::Forbidden {
            description: "wrong tenant"
        }
    );
}

/// `build` with fixed keys needs no runtime and verifies at once; fetched keys need a runtime.
#[test]
fn fixed_keys_need_no_runtime_fetched_keys_do() {
    let issuer = issuer();
    let layer = CognitoAuthLayer::builder(access_config(&issuer))
        .static_keys(issuer.key_set())
        .build()
        .unwrap();
    assert!(layer.verify(&issuer.access_token()).is_ok());
    assert!(layer.status().is_ready());

    let fetched = CognitoAuthLayer::builder(access_config(&issuer))
        .jwks_source(NeverAnswers)
        .build();
    assert!(matches!(fetched, Err(StartError::NoRuntime)), "{fetched:?}");
    // The default source (HTTPS) as well.
    let https = CognitoAuthLayer::builder(access_config(&issuer)).build();
    assert!(matches!(https, Err(StartError::NoRuntime)), "{https:?}");
}

/// `start` with fixed keys returns at once: there is nothing to wait for, so not even the
/// startup timeout passes (paused time would jump to it if `start` waited).
#[tokio::test(start_paused = true)]
async fn start_with_fixed_keys_does_not_wait() {
    let issuer = issuer();
    let config = issuer
        .config()
        .token_use(TokenUse::Access)
        .startup_timeout(Duration::from_secs(30))
        .build()
        .unwrap();
    let before = tokio::time::Instant::now();
    let layer = CognitoAuthLayer::builder(config)
        .static_keys(issuer.key_set())
        .start()
        .await
        .unwrap();
    assert_eq!(before.elapsed(), Duration::ZERO);
    assert!(layer.verify(&issuer.access_token()).is_ok());
}

/// `build` with a source waits for nothing: `503` (`KeysUnavailable`) until keys arrive, and
/// `start` gives up after the startup timeout, naming the pool.
#[tokio::test(start_paused = true)]
async fn build_waits_for_nothing_start_for_the_startup_timeout() {
    let issuer = issuer();
    let config = issuer
        .config()
        .token_use(TokenUse::Access)
        .startup_timeout(Duration::from_secs(3))
        .build()
        .unwrap();
    let lazy = CognitoAuthLayer::builder(config.clone())
        .jwks_source(NeverAnswers)
        .build()
        .unwrap();
    assert_eq!(
        lazy.verify(&issuer.access_token()).unwrap_err().kind(),
        ErrorKind::KeysUnavailable
    );
    assert!(!lazy.status().is_ready());

    let before = tokio::time::Instant::now();
    let started = CognitoAuthLayer::builder(config)
        .jwks_source(NeverAnswers)
        .start()
        .await;
    match started {
        Err(StartError::NoKeys {
            timeout,
            user_pool_id,
            last_error,
        }) => {
            assert_eq!(timeout, Duration::from_secs(3));
            assert_eq!(user_pool_id, issuer.user_pool_id());
            assert!(last_error.is_none(), "{last_error:?}");
        }
        other => panic!("expected NoKeys, got {other:?}"),
    }
    assert_eq!(before.elapsed(), Duration::from_secs(3));
}

/// The key source called last decides.
#[test]
fn the_last_key_source_decides() {
    let issuer = issuer();
    let layer = CognitoAuthLayer::builder(access_config(&issuer))
        .jwks_source(NeverAnswers)
        .static_keys(issuer.key_set())
        .build()
        .unwrap();
    assert!(layer.verify(&issuer.access_token()).is_ok());
}

/// A source or key set per pool: `None` for a pool, or one for several pools, is
/// `SourcePerPool`; an empty fixed set is `EmptyKeySet`.
#[tokio::test]
async fn each_pool_needs_its_own_keys() {
    let (a, b) = (issuer(), other_issuer());
    let config = two_pools(&a, &b);
    let only_a =
        |pool: &CognitoConfig| (pool.user_pool_id() == a.user_pool_id()).then(|| a.clone());
    let per_pool = |r: Result<CognitoAuthLayer, StartError>| match r {
        Err(StartError::SourcePerPool { pools }) => pools,
        other => panic!("expected SourcePerPool, got {other:?}"),
    };
    let missing = CognitoAuthLayer::builder(config.clone()).jwks_sources(only_a);
    assert_eq!(per_pool(missing.build()), 2);
    let missing = CognitoAuthLayer::builder(config.clone()).jwks_sources(only_a);
    assert_eq!(per_pool(missing.start().await), 2);
    let missing_set = CognitoAuthLayer::builder(config.clone())
        .static_key_sets(|pool| (pool.user_pool_id() == a.user_pool_id()).then(|| a.key_set()));
    assert_eq!(per_pool(missing_set.build()), 2);

    let empty = CognitoAuthLayer::builder(access_config(&a))
        .static_keys(KeySet::empty())
        .build();
    assert!(matches!(empty, Err(StartError::EmptyKeySet)), "{empty:?}");
    let one_empty = CognitoAuthLayer::builder(config.clone())
        .static_key_sets(|pool| {
            Some(if pool.user_pool_id() == a.user_pool_id() {
                a.key_set()
            } else {
                KeySet::empty()
            })
        })
        .build();
    assert!(
        matches!(one_empty, Err(StartError::EmptyKeySet)),
        "{one_empty:?}"
    );

    // Each pool's own: both pools' tokens verify.
    let layer = CognitoAuthLayer::builder(config)
        .static_key_sets(|pool| {
            Some(if pool.user_pool_id() == a.user_pool_id() {
                a.key_set()
            } else {
                b.key_set()
            })
        })
        .build()
        .unwrap();
    assert!(layer.verify(&a.access_token()).is_ok());
    assert!(layer.verify(&b.id_token()).is_ok());
}

/// The layer's configuration is the one it was built with, every pool's; its verifier holds the
/// first pool's rules, the leeway and the size cap.
#[test]
fn the_layer_keeps_its_configuration_and_verifiers_their_rules() {
    let (a, b) = (issuer(), other_issuer());
    let config = two_pools(&a, &b);
    let layer = CognitoAuthLayer::builder(config)
        .static_key_sets(|pool| {
            Some(if pool.user_pool_id() == a.user_pool_id() {
                a.key_set()
            } else {
                b.key_set()
            })
        })
        .build()
        .unwrap();
    let config = layer.config();
    assert_eq!(config.pool_count(), 2);
    assert_eq!(config.user_pool_id(), a.user_pool_id());
    let verifier = layer.verifier();
    assert_eq!(verifier.user_pool_id(), a.user_pool_id());
    assert_eq!(verifier.issuer(), a.issuer());
    assert_eq!(verifier.leeway(), CognitoConfig::DEFAULT_LEEWAY);
    assert_eq!(
        verifier.max_token_size(),
        CognitoConfig::DEFAULT_MAX_TOKEN_SIZE
    );
}
