//! Helpers shared by the modules that drive the layer and its refresher (copied from the root
//! crate's `tests/it/support`, which this binary cannot reach; its `until` is
//! `tower_cognito_test_support::wait::until`).

use std::convert::Infallible;
use std::time::Duration;

use tower::ServiceExt;
use tower_cognito::test_util::{JwksServer, LocalIssuer};
use tower_cognito::{CognitoAuthLayer, CognitoConfigBuilder, ErrorKind, TokenUse};
use tower_cognito_test_support::wait::until;

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

/// Status and error kind of one request with `token` through `layer`, to compare in one
/// assertion.
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct Answer {
    pub(crate) status: u16,
    pub(crate) kind: Option<ErrorKind>,
}

impl Answer {
    /// Status and error kind, to compare in one assertion.
    pub(crate) fn status_kind(self) -> (u16, Option<ErrorKind>) {
        (self.status, self.kind)
    }
}

/// One request with `token` through `layer` over a `service_fn` that answers `200`.
pub(crate) async fn answer(layer: &CognitoAuthLayer, token: &str) -> Answer {
    let svc = tower::ServiceBuilder::new()
        .layer(layer.clone())
        .service_fn(|_req: http::Request<()>| async move {
            Ok::<_, Infallible>(http::Response::new(String::new()))
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
