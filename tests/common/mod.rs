//! Helpers shared by the integration tests that drive the layer and its refresher, and (in
//! `tokens`) the token builders of the two bad-input tables.
#![allow(dead_code, clippy::unwrap_used, clippy::panic)]

use std::convert::Infallible;
use std::time::Duration;

use tower::ServiceExt;
use tower_cognito::{CognitoAuthLayer, ErrorKind};

#[cfg(feature = "test-util")]
pub(crate) mod tokens;

/// One request with `token` through `layer` over a `service_fn`: status, error kind, and whether
/// the answer carries `Retry-After`.
pub(crate) async fn answer(
    layer: &CognitoAuthLayer,
    token: &str,
) -> (u16, Option<ErrorKind>, bool) {
    let svc = tower::ServiceBuilder::new()
        .layer(layer.clone())
        .service_fn(|_req: http::Request<()>| async {
            Ok::<_, Infallible>(http::Response::new(String::new()))
        });
    let req = http::Request::get("/")
        .header("authorization", format!("Bearer {token}"))
        .body(())
        .unwrap();
    let res = svc.oneshot(req).await.unwrap();
    let kind = res
        .extensions()
        .get::<tower_cognito::Error>()
        .map(|e| e.kind().clone());
    (
        res.status().as_u16(),
        kind,
        res.headers().contains_key("retry-after"),
    )
}

/// Yields until `cond` holds (bounded). A yielding task keeps the runtime busy, so paused time does
/// not auto-advance while a real socket is in flight.
pub(crate) async fn until(what: &str, cond: impl Fn() -> bool) {
    for _ in 0..20_000_000 {
        if cond() {
            return;
        }
        tokio::task::yield_now().await;
    }
    panic!("not reached: {what}");
}

/// Yields until the refresher has started and finished exactly `fetches` fetches.
pub(crate) async fn until_fetched(layer: &CognitoAuthLayer, fetches: u64) {
    let done = || {
        let s = layer.refresh_stats();
        s.fetches == fetches && s.swaps + s.failures == fetches
    };
    until(
        &format!("{fetches} fetches ({:?})", layer.refresh_stats()),
        done,
    )
    .await;
}

/// Advances paused time by `by`, then waits for the refresher to finish `fetches` fetches in all.
pub(crate) async fn advance_until_fetched(layer: &CognitoAuthLayer, by: Duration, fetches: u64) {
    tokio::time::advance(by).await;
    until_fetched(layer, fetches).await;
}
