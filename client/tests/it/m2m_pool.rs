//! `m2m::TokenSource` against the local user pool's `/oauth2/token` (feature `test-util`):
//! tokens the layer accepts and guards by scope, the pool's strict grant (client
//! authentication, scopes limited to the client's), the layer and the reqwest helper on outgoing
//! calls, and the cost targets: 1 000 000 calls over one token lifetime cost one token request,
//! 100 concurrent first calls cost one.
//!
//! Run: `cargo test -p tower-cognito-client --all-features --test it m2m_pool::`.

use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::routing::get;
use tower::{ServiceBuilder, ServiceExt as _};
use tower_cognito::{CognitoAuthLayer, Require, TokenUse};
use tower_cognito_client::m2m::{
    AuthorizationLayer, ManualClock, Scopes, TokenErrorKind, TokenSource,
};
use tower_cognito_client::test_util::{LocalUserPool, UserPoolServer};

const SECRET: &str = "local-m2m-secret+1";
const SCOPES: [&str; 2] = ["orders/read", "orders/write"];

async fn pool() -> (LocalUserPool, UserPoolServer) {
    let pool = LocalUserPool::builder()
        .client_secret(SECRET)
        .custom_scopes(SCOPES)
        .build()
        .unwrap();
    let server = pool.serve().await.unwrap();
    (pool, server)
}

fn domain(server: &UserPoolServer) -> String {
    format!("http://{}", server.addr())
}

/// An app behind the layer (access tokens, `orders/read` required), on loopback.
async fn target(pool: &LocalUserPool) -> (String, tokio::task::JoinHandle<()>) {
    let config = pool.config().token_use(TokenUse::Access).build().unwrap();
    let auth = CognitoAuthLayer::builder(config)
        .static_keys(pool.issuer().key_set())
        .build()
        .unwrap();
    let readers = auth.guard(Require::scopes_all(["orders/read"]).unwrap());
    let app = Router::new()
        .route("/orders", get(|| async { "orders" }).route_layer(readers))
        .route_layer(auth);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/orders", listener.local_addr().unwrap());
    let task = tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    (url, task)
}

#[tokio::test]
async fn pool_tokens_carry_the_client_and_its_scopes_and_the_layer_accepts_them() {
    let (pool, server) = pool().await;
    let source = TokenSource::builder(domain(&server), pool.client_id(), SECRET)
        .build()
        .unwrap();
    let token = source.token().await.unwrap();
    let config = pool.config().token_use(TokenUse::Access).build().unwrap();
    let auth = CognitoAuthLayer::builder(config)
        .static_keys(pool.issuer().key_set())
        .build()
        .unwrap();
    let claims = auth.verify(token.expose()).unwrap();
    // No scope asked: every custom scope of the client.
    assert_eq!(
        Some(claims.scope.as_str()),
        Some("orders/read orders/write")
    );
    assert_eq!(claims.client_id.as_deref(), Some(pool.client_id()));
    assert_eq!(claims.sub, pool.client_id());
    assert_eq!(claims.username, None);
    let read_only = source
        .token_for(&"orders/read".parse().unwrap())
        .await
        .unwrap();
    let claims = auth.verify(read_only.expose()).unwrap();
    assert_eq!(Some(claims.scope.as_str()), Some("orders/read"));
    assert_eq!(pool.token_requests(), 2);
}

#[tokio::test]
async fn the_pool_refuses_a_wrong_secret_an_unknown_scope_and_a_public_client() {
    let (pool, server) = pool().await;
    let wrong = TokenSource::builder(domain(&server), pool.client_id(), "not-the-secret")
        .build()
        .unwrap();
    let error = wrong.token().await.unwrap_err();
    assert_eq!(error.oauth_error(), Some("invalid_client"), "{error}");
    assert!(error.is_configuration());
    let scope = TokenSource::builder(domain(&server), pool.client_id(), SECRET)
        .scopes("orders/delete".parse().unwrap())
        .build()
        .unwrap();
    let error = scope.token().await.unwrap_err();
    assert_eq!(error.oauth_error(), Some("invalid_scope"), "{error}");
    let other = TokenSource::builder(domain(&server), "someoneelse", SECRET)
        .build()
        .unwrap();
    assert_eq!(
        other.token().await.unwrap_err().oauth_error(),
        Some("invalid_client")
    );

    let public = LocalUserPool::builder()
        .custom_scopes(SCOPES)
        .build()
        .unwrap();
    let public_server = public.serve().await.unwrap();
    let source = TokenSource::builder(domain(&public_server), public.client_id(), SECRET)
        .build()
        .unwrap();
    let error = source.token().await.unwrap_err();
    assert_eq!(error.oauth_error(), Some("unauthorized_client"), "{error}");
}

#[tokio::test]
async fn a_rotated_secret_falls_back_to_the_second() {
    let (pool, server) = pool().await;
    let source = TokenSource::builder(domain(&server), pool.client_id(), "the-retired-secret")
        .second_secret(SECRET)
        .build()
        .unwrap();
    source.token().await.unwrap();
    assert_eq!(pool.token_requests(), 2);
    source
        .token_for(&"orders/read".parse().unwrap())
        .await
        .unwrap();
    assert_eq!(pool.token_requests(), 3);
}

#[tokio::test]
async fn the_layer_and_the_reqwest_helper_authorize_outgoing_calls() {
    let (pool, server) = pool().await;
    let (url, _target) = target(&pool).await;
    let source = TokenSource::builder(domain(&server), pool.client_id(), SECRET)
        .scopes("orders/read".parse().unwrap())
        .build()
        .unwrap();
    let http = reqwest::Client::builder().no_proxy().build().unwrap();

    // Without a token: 401.
    assert_eq!(http.get(&url).send().await.unwrap().status(), 401);
    // The one-call helper.
    let answer = source
        .authorize(http.get(&url))
        .await
        .unwrap()
        .send()
        .await
        .unwrap();
    assert_eq!(answer.status(), 200);

    // The tower layer over a client service (here reqwest through `tower::service_fn`).
    let client = ServiceBuilder::new()
        .layer(AuthorizationLayer::new(source.clone()))
        .service_fn(move |request: http::Request<String>| {
            let http = http.clone();
            async move {
                let request = reqwest::Request::try_from(request)?;
                let answer = http.execute(request).await?;
                Ok::<_, reqwest::Error>(answer.status())
            }
        });
    for _ in 0..3 {
        let request = http::Request::get(&url).body(String::new()).unwrap();
        assert_eq!(client.clone().oneshot(request).await.unwrap(), 200);
    }
    // A token without the guard's scope: the target answers 403.
    let write_only = ServiceBuilder::new()
        .layer(AuthorizationLayer::new(source.clone()).scopes("orders/write".parse().unwrap()))
        .service_fn(|request: http::Request<String>| async move {
            let http = reqwest::Client::builder().no_proxy().build()?;
            let answer = http.execute(reqwest::Request::try_from(request)?).await?;
            Ok::<_, reqwest::Error>(answer.status())
        });
    let request = http::Request::get(&url).body(String::new()).unwrap();
    assert_eq!(write_only.oneshot(request).await.unwrap(), 403);
    // One request per scope set, whatever the number of calls.
    assert_eq!(source.stats().token_requests, 2);
    assert_eq!(pool.token_requests(), 2);

    // No token to be had: the call fails with the token error, nothing is sent.
    let refused = TokenSource::builder(domain(&server), pool.client_id(), "wrong")
        .build()
        .unwrap();
    let client = ServiceBuilder::new()
        .layer(AuthorizationLayer::new(refused))
        .service_fn(|_: http::Request<String>| async move {
            Err::<u16, _>(std::io::Error::other("must not be called"))
        });
    let error = client
        .oneshot(http::Request::get(&url).body(String::new()).unwrap())
        .await
        .unwrap_err();
    let error = error
        .downcast_ref::<tower_cognito_client::m2m::TokenError>()
        .unwrap();
    assert_eq!(error.oauth_error(), Some("invalid_client"));
}

/// Cost target: 1 000 000 calls over one token lifetime cost one token request. The calls are
/// spread over the part of the lifetime before the refresh margin; the margin's one refresh is
/// counted after.
#[tokio::test]
async fn a_million_calls_over_one_token_lifetime_cost_one_token_request() {
    let (pool, server) = pool().await;
    let clock = Arc::new(ManualClock::new());
    let source = TokenSource::builder(domain(&server), pool.client_id(), SECRET)
        .clock(Arc::clone(&clock))
        .build()
        .unwrap();
    const CALLS: u32 = 1_000_000;
    let first = source.token().await.unwrap();
    // 3600 s, less 10 s of skew and 60 s of margin.
    let before_margin = Duration::from_secs(3600 - 10 - 60);
    let step = before_margin / CALLS;
    for _ in 1..CALLS {
        clock.advance(step);
        let token = source.token().await.unwrap();
        assert_eq!(token.expose(), first.expose());
    }
    assert_eq!(pool.token_requests(), 1);
    assert_eq!(source.stats().token_requests, 1);
    // The margin starts one refresh in the background, once.
    clock.advance(Duration::from_secs(1));
    for _ in 0..1000 {
        source.token().await.unwrap();
    }
    assert_eq!(source.stats().refreshes, 1);
    tower_cognito_test_support::wait::until("the background refresh's token", || {
        source.stats().tokens == 2
    })
    .await;
    assert_eq!((source.stats().tokens, pool.token_requests()), (2, 2));
}

/// Cost target: 100 concurrent first calls cost one token request.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_hundred_concurrent_first_calls_cost_one_token_request() {
    let (pool, server) = pool().await;
    let source = TokenSource::builder(domain(&server), pool.client_id(), SECRET)
        .build()
        .unwrap();
    let scopes: Scopes = "orders/read".parse().unwrap();
    let callers: Vec<_> = (0..100)
        .map(|_| {
            let (source, scopes) = (source.clone(), scopes.clone());
            tokio::spawn(async move { source.token_for(&scopes).await })
        })
        .collect();
    let mut tokens = Vec::new();
    for caller in callers {
        tokens.push(caller.await.unwrap().unwrap().expose().to_owned());
    }
    tokens.dedup();
    assert_eq!(tokens.len(), 1);
    assert_eq!(pool.token_requests(), 1);
    assert_eq!(source.stats().token_requests, 1);
    let _ = TokenErrorKind::BackingOff;
}
