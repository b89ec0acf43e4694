//! JWKS faults not covered by the wiremock tests: connection refused after a good load (and the
//! recovery), and a JWKS that flips between two key sets. Paused time; fetches counted.

use std::time::Duration;

use serde_json::json;
use tower_cognito::ErrorKind;
use tower_cognito::test_util::{JwksResponse, LocalIssuer};

use crate::support::{advance_until_fetched, answer, serve_layer};

const INTERVAL: Duration = Duration::from_secs(60);

#[tokio::test(flavor = "current_thread", start_paused = true)]
async fn connection_refused_keeps_the_keys_and_the_layer_recovers() {
    let issuer = LocalIssuer::new().unwrap();
    let (server, layer) = serve_layer(&issuer, |c| c.refresh_interval(INTERVAL)).await;
    let addr = server.addr();
    let token = issuer.access_token();

    // The JWKS server goes away: connections are refused.
    drop(server);
    advance_until_fetched(&layer, INTERVAL, 2).await;
    let stats = layer.status().pools.remove(0);
    assert_eq!(
        (stats.fetches, stats.fetch_successes, stats.fetch_failures),
        (2, 1, 1)
    );
    assert_eq!(
        answer(&layer, &token).await.status_kind(),
        (200, None),
        "known keys still verify"
    );
    // Backoff: the next attempt comes within a second (first backoff is 0.25 s to 0.5 s).
    advance_until_fetched(&layer, Duration::from_millis(500), 3).await;
    assert_eq!(layer.status().pools[0].fetch_failures, 2);
    assert_eq!(
        issuer.jwks_requests(),
        1,
        "refused connections never reached a server"
    );

    // It comes back on the same address, with a rotated key: the layer recovers and takes it.
    let _server = issuer.serve_on(addr).await.unwrap();
    let new_kid = issuer.rotate().unwrap();
    advance_until_fetched(&layer, Duration::from_secs(1), 4).await;
    let stats = layer.status().pools.remove(0);
    assert_eq!(
        (stats.fetches, stats.fetch_successes, stats.fetch_failures),
        (4, 2, 2)
    );
    assert!(layer.pools()[0].key_set.contains(&new_kid));
    assert_eq!(
        answer(&layer, &issuer.access_token()).await.status_kind(),
        (200, None)
    );
    assert_eq!(issuer.jwks_requests(), 2);
}

#[tokio::test(flavor = "current_thread", start_paused = true)]
async fn a_jwks_flipping_between_two_sets_is_followed_exactly() {
    let issuer = LocalIssuer::new().unwrap();
    let first = issuer.kid();
    let second = issuer.rotate().unwrap();
    let jwks = issuer.jwks();
    let set = |kid: &str| {
        let key = jwks["keys"]
            .as_array()
            .unwrap()
            .iter()
            .find(|k| k["kid"] == kid)
            .unwrap()
            .clone();
        JwksResponse::Body(json!({ "keys": [key] }).to_string().into_bytes())
    };
    let signed_by = |kid: &str| {
        let claims = serde_json::Value::Object(issuer.access_claims()).to_string();
        let header = json!({ "kid": kid, "alg": "RS256" }).to_string();
        issuer.sign_with_kid(kid, header.as_bytes(), claims.as_bytes())
    };
    let (token_a, token_b) = (signed_by(&first), signed_by(&second));

    issuer.respond_with(set(&first));
    // Cooldown = interval: unknown-kid refetches coincide with the scheduled ones, so every
    // step below is exactly one fetch.
    let (_server, layer) = serve_layer(&issuer, |c| {
        c.refresh_interval(INTERVAL).unknown_kid_cooldown(INTERVAL)
    })
    .await;

    for round in 0..6u64 {
        let (current, current_token, other_token) = if round % 2 == 0 {
            (&first, &token_a, &token_b)
        } else {
            (&second, &token_b, &token_a)
        };
        assert_eq!(
            layer.pools()[0].key_set.kids().collect::<Vec<_>>(),
            vec![current.as_str()],
            "round {round}"
        );
        assert_eq!(
            answer(&layer, current_token).await.status_kind(),
            (200, None),
            "round {round}"
        );
        assert_eq!(
            answer(&layer, other_token).await.status_kind(),
            (401, Some(ErrorKind::UnknownKeyId)),
            "round {round}"
        );
        // Flip the published set; the next refresh follows it.
        issuer.respond_with(set(if round % 2 == 0 { &second } else { &first }));
        advance_until_fetched(&layer, INTERVAL, round + 2).await;
    }
    let stats = layer.status().pools.remove(0);
    assert_eq!(
        (stats.fetches, stats.fetch_successes, stats.fetch_failures),
        (7, 7, 0)
    );
    assert_eq!(issuer.jwks_requests(), 7);
}
