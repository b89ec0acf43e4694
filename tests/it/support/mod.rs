//! Helpers shared by the integration tests that drive the layer and its refresher, (in `tokens`)
//! the token builders of the two bad-input tables, and (in `child` and `whoami`) what the modules
//! that run the examples need. What other test binaries of the workspace need as well (building an
//! example, running it as a child process, [`until`]) is in `tower_cognito_test_support`.
#![allow(dead_code)]

use std::convert::Infallible;
use std::sync::Arc;
use std::time::Duration;

use tower::ServiceExt;
use tower_cognito::test_util::{JwksServer, LocalIssuer};
use tower_cognito::{
    Claims, CognitoAuthLayer, CognitoClaims, CognitoConfigBuilder, ErrorKind, TokenUse,
};

pub(crate) mod child;
pub(crate) mod tokens;
pub(crate) mod whoami;

pub(crate) use tower_cognito_test_support::wait::until;

/// Serves `issuer`'s JWKS and builds a layer for access tokens on it with
/// `LayerBuilder::start`, so the first fetch is done when this returns. `settings` adds to the
/// configuration (intervals, cooldown, maximum key age). The layer fetches from the server only
/// while the returned guard lives.
pub(crate) async fn serve_layer(
    issuer: &LocalIssuer,
    settings: impl FnOnce(CognitoConfigBuilder) -> CognitoConfigBuilder,
) -> (JwksServer, CognitoAuthLayer) {
    let server = issuer.serve().await.unwrap();
    let config = settings(issuer.config().token_use(TokenUse::Access))
        .build()
        .unwrap();
    let layer = CognitoAuthLayer::builder(config).start().await.unwrap();
    (server, layer)
}

/// One issuer whose clock is fixed at [`tokens::NOW`], with one RSA key for the whole test binary
/// (key generation is the slow part); clones share it. Only for tests that do not change its
/// keys or its JWKS answers.
pub(crate) fn shared_issuer() -> LocalIssuer {
    static ISSUER: std::sync::OnceLock<LocalIssuer> = std::sync::OnceLock::new();
    ISSUER
        .get_or_init(|| {
            LocalIssuer::builder()
                .clock(tower_cognito::clock::FixedClock::new(tokens::NOW))
                .build()
                .unwrap()
        })
        .clone()
}

/// `issuer`'s configuration for access tokens.
pub(crate) fn access_config(issuer: &LocalIssuer) -> tower_cognito::CognitoConfig {
    issuer.config().token_use(TokenUse::Access).build().unwrap()
}

/// A layer for access tokens over `issuer`'s current keys, never refreshed.
pub(crate) fn access_layer(issuer: &LocalIssuer) -> CognitoAuthLayer {
    CognitoAuthLayer::builder(access_config(issuer))
        .static_keys(issuer.key_set())
        .build()
        .unwrap()
}

/// What one request came back as.
#[derive(Debug)]
pub(crate) struct Answer {
    pub(crate) status: u16,
    pub(crate) kind: Option<ErrorKind>,
    /// Whether the answer carries `Retry-After`.
    pub(crate) retry_after: bool,
    /// The claims the inner service saw (the same `Arc` on a cache hit).
    pub(crate) claims: Option<Arc<CognitoClaims>>,
}

impl Answer {
    /// Status and error kind, to compare in one assertion.
    pub(crate) fn status_kind(self) -> (u16, Option<ErrorKind>) {
        (self.status, self.kind)
    }
}

/// One request with `token` through `layer` over a `service_fn` that hands back the claims it
/// got.
pub(crate) async fn answer(layer: &CognitoAuthLayer, token: &str) -> Answer {
    let svc = tower::ServiceBuilder::new()
        .layer(layer.clone())
        .service_fn(|req: http::Request<()>| async move {
            let claims = req.extensions().get::<Claims>().map(|c| Arc::clone(&c.0));
            let mut res = http::Response::new(String::new());
            res.extensions_mut().insert(claims);
            Ok::<_, Infallible>(res)
        });
    let req = http::Request::get("/")
        .header("authorization", format!("Bearer {token}"))
        .body(())
        .unwrap();
    let res = svc.oneshot(req).await.unwrap();
    Answer {
        status: res.status().as_u16(),
        kind: res
            .extensions()
            .get::<tower_cognito::Error>()
            .map(|e| e.kind()),
        retry_after: res.headers().contains_key("retry-after"),
        claims: res
            .extensions()
            .get::<Option<Arc<CognitoClaims>>>()
            .cloned()
            .flatten(),
    }
}

/// Yields until the refresher has started and finished exactly `fetches` fetches.
pub(crate) async fn until_fetched(layer: &CognitoAuthLayer, fetches: u64) {
    let done = || {
        let s = layer.status().pools.remove(0);
        s.fetches == fetches && s.fetch_successes + s.fetch_failures == fetches
    };
    until(
        &format!("{fetches} fetches ({:?})", layer.status().pools[0]),
        done,
    )
    .await;
}

/// Advances paused time by `by`, then waits for the refresher to finish `fetches` fetches in all.
pub(crate) async fn advance_until_fetched(layer: &CognitoAuthLayer, by: Duration, fetches: u64) {
    tokio::time::advance(by).await;
    until_fetched(layer, fetches).await;
}
