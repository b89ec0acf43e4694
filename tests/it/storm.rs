//! Storm: 1 000 concurrent requests with random unknown `kid`s, interleaved with 1 000 requests
//! with the known `kid`, on a multi-threaded runtime. At most one JWKS fetch per cooldown; every
//! known-`kid` request passes.

use std::time::Duration;

use serde_json::json;
use tokio::task::JoinSet;
use tower_cognito::test_util::LocalIssuer;
use tower_cognito::{CognitoAuthLayer, ErrorKind};

use crate::support::{serve_layer, until_fetched};

const UNKNOWN: usize = 1_000;
const KNOWN: usize = 1_000;

/// Status and error kind of one request; takes its arguments by value, to be spawned.
async fn send(layer: CognitoAuthLayer, token: String) -> (u16, Option<ErrorKind>) {
    crate::support::answer(&layer, &token).await.status_kind()
}

/// `UNKNOWN` tokens, each naming a random unknown `kid` (otherwise valid and correctly signed).
fn forged_tokens(issuer: &LocalIssuer) -> Vec<String> {
    let payload = serde_json::Value::Object(issuer.access_claims()).to_string();
    let mut random = vec![0u8; 8 * UNKNOWN];
    aws_lc_rs::rand::fill(&mut random).unwrap();
    random
        .chunks_exact(8)
        .map(|r| {
            let kid = format!("forged-{:016x}", u64::from_le_bytes(r.try_into().unwrap()));
            let header = json!({ "kid": kid, "alg": "RS256" }).to_string();
            issuer.sign_raw(header.as_bytes(), payload.as_bytes())
        })
        .collect()
}

/// Sends the storm (forged and known tokens interleaved, all at once) and checks every answer.
async fn storm(layer: &CognitoAuthLayer, forged: &[String], good: &str) {
    let mut tasks = JoinSet::new();
    for i in 0..UNKNOWN.max(KNOWN) {
        if let Some(token) = forged.get(i) {
            tasks.spawn(send(layer.clone(), token.clone()));
        }
        if i < KNOWN {
            tasks.spawn(send(layer.clone(), good.to_owned()));
        }
    }
    let (mut ok, mut unknown) = (0, 0);
    while let Some(result) = tasks.join_next().await {
        match result.unwrap() {
            (200, None) => ok += 1,
            (401, Some(ErrorKind::UnknownKeyId)) => unknown += 1,
            other => panic!("unexpected answer {other:?}"),
        }
    }
    assert_eq!((ok, unknown), (KNOWN, UNKNOWN));
}

const COOLDOWN: Duration = Duration::from_secs(10);
const MS: Duration = Duration::from_millis(1);

/// Exact counts, with paused time: one fetch per cooldown, however many unknown kids.
#[tokio::test(flavor = "current_thread", start_paused = true)]
async fn unknown_kid_storms_cost_one_fetch_per_cooldown() {
    let issuer = LocalIssuer::new().unwrap();
    let (_server, layer) = serve_layer(&issuer, |c| c.unknown_kid_cooldown(COOLDOWN)).await;
    let good = issuer.access_token();
    let forged = forged_tokens(&issuer);
    tokio::time::advance(COOLDOWN + MS).await;

    // Storm 1, after the cooldown of the initial fetch: exactly one refetch.
    storm(&layer, &forged, &good).await;
    until_fetched(&layer, 2).await;
    assert_eq!(issuer.jwks_requests(), 2);

    // Storm 2, inside the cooldown of that refetch: nothing until the cooldown ends, then one.
    tokio::time::advance(COOLDOWN - MS).await;
    storm(&layer, &forged, &good).await;
    until_fetched(&layer, 2).await;
    assert_eq!(issuer.jwks_requests(), 2, "no fetch inside the cooldown");
    tokio::time::advance(2 * MS).await;
    until_fetched(&layer, 3).await;
    assert_eq!(
        issuer.jwks_requests(),
        3,
        "2 000 unknown kids over two cooldowns: 2 refetches"
    );
    assert_eq!(send(layer.clone(), good).await, (200, None));
}

/// True parallelism (two worker threads): the single-flight flag holds under contention, and
/// known tokens keep passing while the storm runs.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn parallel_storm_inside_a_cooldown_fetches_nothing_and_known_kids_pass() {
    let issuer = LocalIssuer::new().unwrap();
    // A cooldown far longer than the storm: the storm asks for one refetch, due when it ends.
    let (_server, layer) = serve_layer(&issuer, |c| {
        c.unknown_kid_cooldown(Duration::from_secs(600))
    })
    .await;
    let good = issuer.access_token();
    let forged = forged_tokens(&issuer);
    storm(&layer, &forged, &good).await;
    storm(&layer, &forged, &good).await;
    assert_eq!(layer.status().pools[0].fetches, 1);
    assert_eq!(
        issuer.jwks_requests(),
        1,
        "2 000 unknown kids inside one cooldown: no fetch yet"
    );
}
