//! Maximum key age: keys that could not be refreshed stop being trusted, with paused time.
#![cfg(feature = "test-util")]
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use std::time::Duration;

use tower_cognito::test_util::{JwksResponse, LocalIssuer};
use tower_cognito::{CognitoAuthLayer, ErrorKind};

mod common;
use common::{answer, serve_layer};

const INTERVAL: Duration = Duration::from_secs(60);
const MAX_AGE: Duration = Duration::from_secs(300);

/// Advances paused time by `step`, then waits for the refresher to finish the fetch it starts.
async fn step(layer: &CognitoAuthLayer, step: Duration) {
    let before = layer.refresh_stats();
    tokio::time::advance(step).await;
    // Each advance wakes the refresher once (the timers it sets next are relative to the new now).
    let settled = || {
        let s = layer.refresh_stats();
        s.fetches > before.fetches && s.fetches == s.swaps + s.failures
    };
    common::until("a fetch starts and completes", settled).await;
}

#[tokio::test(flavor = "current_thread", start_paused = true)]
async fn keys_past_the_maximum_age_stop_verifying_and_recover() {
    let issuer = LocalIssuer::new().unwrap();
    let (_server, layer) = serve_layer(&issuer, |c| {
        c.refresh_interval(INTERVAL).max_key_age(MAX_AGE)
    })
    .await;
    let token = issuer.access_token();
    assert_eq!(answer(&layer, &token).await.status, 200);

    // The JWKS endpoint fails from now on; until the maximum age the old keys are trusted.
    issuer.respond_with(JwksResponse::Status(500));
    for _ in 0..4 {
        step(&layer, INTERVAL).await;
        assert_eq!(
            answer(&layer, &token).await.status,
            200,
            "{:?}",
            layer.refresh_stats()
        );
    }
    let stats = layer.refresh_stats();
    assert!(stats.failures >= 4, "{stats:?}");
    assert_eq!(stats.swaps, 1);

    // Past the maximum age (300 s after the last success): 503 with Retry-After.
    step(&layer, INTERVAL + Duration::from_secs(1)).await;
    let got = answer(&layer, &token).await;
    assert_eq!(
        (got.status, got.kind, got.retry_after),
        (503, Some(ErrorKind::KeysStale), true)
    );
    // A malformed token is still refused as such.
    assert_eq!(answer(&layer, "a.b.c").await.status, 401);

    // The endpoint recovers: the next fetch clears the stale mark.
    issuer.respond_with(JwksResponse::Keys);
    let swaps = layer.refresh_stats().swaps;
    for _ in 0..10 {
        if layer.refresh_stats().swaps > swaps {
            break;
        }
        step(&layer, Duration::from_secs(30)).await;
    }
    assert_eq!(layer.refresh_stats().swaps, swaps + 1);
    assert_eq!(answer(&layer, &token).await.status, 200);
}

#[tokio::test(flavor = "current_thread", start_paused = true)]
async fn without_a_maximum_age_old_keys_are_trusted_through_a_long_outage() {
    let issuer = LocalIssuer::new().unwrap();
    let (_server, layer) = serve_layer(&issuer, |c| c.refresh_interval(INTERVAL)).await;
    assert_eq!(layer.config().max_key_age(), None);
    issuer.respond_with(JwksResponse::Status(503));
    for _ in 0..30 {
        step(&layer, INTERVAL * 10).await;
    }
    assert!(layer.refresh_stats().failures >= 30);
    // 5 hours of outage later the token (valid for an hour of *token* time: the issuer's clock is
    // the system clock, which paused tokio time does not move) still verifies.
    assert_eq!(answer(&layer, &issuer.access_token()).await.status, 200);
}
