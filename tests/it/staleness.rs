//! Maximum key age: keys that could not be refreshed stop being trusted, with paused time and the
//! layer's clock moved with it; the age holds even when the refresher is gone. And the lifetime of
//! the refresher: no setting `build()` accepts stops it, and its end shows in readiness.

use std::sync::Arc;
use std::time::Duration;

use tower_cognito::test_util::{JwksResponse, LocalIssuer};
use tower_cognito::{
    CognitoAuthLayer, CognitoConfig, ConfigError, ErrorKind, TokenUse, clock::FixedClock,
};

use crate::support::{answer, serve_layer};

const INTERVAL: Duration = Duration::from_secs(60);
const MAX_AGE: Duration = Duration::from_secs(300);
const START: u64 = 1_700_000_000;

/// An issuer, and so its layers, on a clock the test moves with paused time.
fn issuer_on(clock: &Arc<FixedClock>) -> LocalIssuer {
    LocalIssuer::builder()
        .clock(Arc::clone(clock))
        .build()
        .unwrap()
}

/// Advances paused time and the layer's clock by `step`, then waits for the refresher to finish
/// the fetch it starts.
async fn step(layer: &CognitoAuthLayer, clock: &FixedClock, step: Duration) {
    let before = layer.status().pools.remove(0);
    clock.advance(step.as_secs());
    tokio::time::advance(step).await;
    // Each advance wakes the refresher once (the timers it sets next are relative to the new now).
    let settled = || {
        let s = layer.status().pools.remove(0);
        s.fetches > before.fetches && s.fetches == s.fetch_successes + s.fetch_failures
    };
    crate::support::until("a fetch starts and completes", settled).await;
}

#[tokio::test(flavor = "current_thread", start_paused = true)]
async fn keys_past_the_maximum_age_stop_verifying_and_recover() {
    let clock = Arc::new(FixedClock::new(START));
    let issuer = issuer_on(&clock);
    let (_server, layer) = serve_layer(&issuer, |c| {
        c.refresh_interval(INTERVAL).max_key_age(MAX_AGE)
    })
    .await;
    let token = issuer.access_token();
    assert_eq!(answer(&layer, &token).await.status, 200);

    // The JWKS endpoint fails from now on; until the maximum age the old keys are trusted.
    issuer.respond_with(JwksResponse::Status(500));
    for _ in 0..4 {
        step(&layer, &clock, INTERVAL).await;
        assert_eq!(
            answer(&layer, &token).await.status,
            200,
            "{:?}",
            layer.status().pools[0]
        );
    }
    let stats = layer.status().pools.remove(0);
    assert!(stats.fetch_failures >= 4, "{stats:?}");
    assert_eq!(stats.fetch_successes, 1);

    // Past the maximum age (300 s after the last success): 503 with Retry-After.
    step(&layer, &clock, INTERVAL + Duration::from_secs(1)).await;
    let got = answer(&layer, &token).await;
    assert_eq!(
        (got.status, got.kind, got.retry_after),
        (503, Some(ErrorKind::KeysStale), true)
    );
    // A malformed token is still refused as such.
    assert_eq!(answer(&layer, "a.b.c").await.status, 401);
    let readiness = layer.status();
    assert!(
        readiness.pools[0].stale && !readiness.is_ready(),
        "{readiness:?}"
    );

    // The endpoint recovers: the next fetch clears the stale mark.
    issuer.respond_with(JwksResponse::Keys);
    let swaps = layer.status().pools[0].fetch_successes;
    for _ in 0..10 {
        if layer.status().pools[0].fetch_successes > swaps {
            break;
        }
        step(&layer, &clock, Duration::from_secs(30)).await;
    }
    assert_eq!(layer.status().pools[0].fetch_successes, swaps + 1);
    assert_eq!(answer(&layer, &token).await.status, 200);
    assert!(layer.status().is_ready());
}

#[tokio::test(flavor = "current_thread", start_paused = true)]
async fn without_a_maximum_age_old_keys_are_trusted_through_a_long_outage() {
    let issuer = LocalIssuer::new().unwrap();
    let (_server, layer) = serve_layer(&issuer, |c| c.refresh_interval(INTERVAL)).await;
    assert_eq!(layer.config().max_key_age(), None);
    issuer.respond_with(JwksResponse::Status(503));
    // The layer's clock (the issuer's: the system clock) does not move; paused time does.
    let clock = FixedClock::new(0);
    for _ in 0..30 {
        step(&layer, &clock, INTERVAL * 10).await;
    }
    assert!(layer.status().pools[0].fetch_failures >= 30);
    // 5 hours of outage later the token (valid for an hour of *token* time: the issuer's clock is
    // the system clock, which paused tokio time does not move) still verifies.
    assert_eq!(answer(&layer, &issuer.access_token()).await.status, 200);
}

/// A layer whose refresher's runtime was shut down keeps serving from another runtime: it shows
/// as not ready, and the maximum key age still takes effect, decided on the request path.
#[test]
fn with_its_refresher_gone_the_maximum_age_still_holds() {
    let clock = Arc::new(FixedClock::new(START));
    let issuer = issuer_on(&clock);
    let first = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let (server, layer) = first.block_on(serve_layer(&issuer, |c| {
        c.refresh_interval(INTERVAL).max_key_age(MAX_AGE)
    }));
    let token = issuer.access_token();
    let ready = layer.status();
    assert!(
        ready.is_ready() && ready.pools[0].refresher_running,
        "{ready:?}"
    );
    assert_eq!(first.block_on(answer(&layer, &token)).status, 200);
    // The runtime that built the layer (and ran its refresher and the JWKS server) goes away.
    drop(server);
    drop(first);

    let second = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let readiness = layer.status();
    assert!(!readiness.pools[0].refresher_running, "{readiness:?}");
    assert!(
        !readiness.is_ready() && !readiness.pools[0].stale,
        "{readiness:?}"
    );
    assert_eq!(readiness.pools[0].keys, 1);
    // Within the maximum age the last keys still verify...
    clock.advance(MAX_AGE.as_secs());
    assert_eq!(second.block_on(answer(&layer, &token)).status, 200);
    // ...past it, nothing refreshes them, and they stop verifying.
    clock.advance(1);
    let got = second.block_on(answer(&layer, &token));
    assert_eq!(
        (got.status, got.kind, got.retry_after),
        (503, Some(ErrorKind::KeysStale), true)
    );
    assert!(layer.status().pools[0].stale);
    assert_eq!(second.block_on(answer(&layer, "a.b.c")).status, 401);
}

/// Every duration setting refuses `Duration::MAX` (and anything past its bound) by name, and takes
/// its bound itself.
#[test]
fn extreme_durations_are_refused_by_name() {
    type Set =
        fn(tower_cognito::CognitoConfigBuilder, Duration) -> tower_cognito::CognitoConfigBuilder;
    let settings: [(&str, Set, Duration); 6] = [
        ("leeway", |c, d| c.leeway(d), Duration::from_secs(600)),
        (
            "refresh_interval",
            |c, d| c.refresh_interval(d),
            Duration::from_secs(7 * 86_400),
        ),
        (
            "unknown_kid_cooldown",
            |c, d| c.unknown_kid_cooldown(d),
            Duration::from_secs(3600),
        ),
        (
            "fetch_timeout",
            |c, d| c.fetch_timeout(d),
            Duration::from_secs(300),
        ),
        (
            "startup_timeout",
            |c, d| c.startup_timeout(d),
            Duration::from_secs(600),
        ),
        (
            "max_key_age",
            |c, d| c.max_key_age(d),
            Duration::from_secs(30 * 86_400),
        ),
    ];
    let base = || {
        CognitoConfig::builder("us-east-1_AbC123")
            .client_id("client1")
            .token_use(TokenUse::Access)
    };
    for (name, set, bound) in settings {
        for too_much in [Duration::MAX, bound + Duration::from_millis(1)] {
            match set(base(), too_much).build() {
                Err(ConfigError::OutOfRange { name: got, reason }) => {
                    assert_eq!(got, name);
                    assert!(!reason.is_empty());
                }
                other => panic!("{name} = {too_much:?}: {other:?}"),
            }
        }
        assert!(set(base(), bound).build().is_ok(), "{name} = {bound:?}");
    }
    assert!(base().unknown_kid_cooldown(Duration::ZERO).build().is_err());
    assert!(base().fetch_timeout(Duration::ZERO).build().is_err());
    // No wait at all would make `start` always fail: that is `build`.
    assert!(base().startup_timeout(Duration::ZERO).build().is_err());
}

/// With every duration at its bound, the refresher keeps refreshing on schedule and on an unknown
/// `kid`: no instant it computes overflows.
#[tokio::test(flavor = "current_thread", start_paused = true)]
async fn durations_at_their_bounds_keep_the_refresher_going() {
    let day = Duration::from_secs(86_400);
    let clock = Arc::new(FixedClock::new(START));
    let issuer = issuer_on(&clock);
    let (_server, layer) = serve_layer(&issuer, |c| {
        c.refresh_interval(day * 7)
            .unknown_kid_cooldown(Duration::from_secs(3600))
            .fetch_timeout(Duration::from_secs(300))
            .startup_timeout(Duration::from_secs(600))
            .max_key_age(day * 30)
            .leeway(Duration::from_secs(600))
    })
    .await;
    crate::support::until_fetched(&layer, 1).await;
    // A week later: the scheduled refresh.
    step(&layer, &clock, day * 7).await;
    crate::support::until_fetched(&layer, 2).await;
    let unknown_kid = issuer.sign_json(
        &serde_json::json!({ "kid": "rotated-9", "alg": "RS256" }),
        &serde_json::Value::Object(issuer.access_claims()),
    );
    // An unknown `kid` right after it waits for the cooldown (an hour), then refetches.
    assert_eq!(
        answer(&layer, &unknown_kid).await.kind,
        Some(ErrorKind::UnknownKeyId)
    );
    step(&layer, &clock, Duration::from_secs(3600)).await;
    crate::support::until_fetched(&layer, 3).await;
    assert!(layer.status().is_ready());
    assert_eq!(answer(&layer, &issuer.access_token()).await.status, 200);
}
