//! The verified-token cache: hits only for byte-identical tokens that passed every rule, with the
//! current key set, not expired; bounded; emptied by a key-set swap; never holds a rejected token.

use std::convert::Infallible;
use std::sync::Arc;
use std::time::Duration;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde_json::{Value, json};
use tower::ServiceExt;
use tower_cognito::test_util::{JwksResponse, LocalIssuer};
use tower_cognito::{Claims, CognitoAuthLayer, ErrorKind, clock::FixedClock, reject::RequestError};

use crate::support::{advance_until_fetched, answer, serve_layer};

const NOW: u64 = 1_700_000_000;

fn fixed_issuer() -> (LocalIssuer, Arc<FixedClock>) {
    let clock = Arc::new(FixedClock::new(NOW));
    (
        LocalIssuer::builder()
            .clock(Arc::clone(&clock))
            .build()
            .unwrap(),
        clock,
    )
}

fn static_layer(issuer: &LocalIssuer, cache: usize) -> CognitoAuthLayer {
    let config = issuer
        .config()
        .any_token_use()
        .token_cache_size(cache)
        .build()
        .unwrap();
    CognitoAuthLayer::builder(config)
        .static_keys(issuer.key_set())
        .build()
        .unwrap()
}

#[tokio::test]
async fn a_repeated_token_is_a_hit_and_another_token_is_not() {
    let (issuer, _) = fixed_issuer();
    let layer = static_layer(&issuer, 1024);
    let token = issuer.access_token();
    let first = answer(&layer, &token).await;
    let second = answer(&layer, &token).await;
    assert_eq!((first.status, second.status), (200, 200));
    assert!(
        Arc::ptr_eq(&first.claims.unwrap(), &second.claims.unwrap()),
        "the second request is served from the cache"
    );

    let other = issuer.id_token();
    let third = answer(&layer, &other).await;
    assert_eq!(third.status, 200);
    assert_eq!(third.claims.unwrap().token_use, tower_cognito::TokenUse::Id);
}

#[tokio::test]
async fn with_the_cache_off_every_request_is_verified() {
    let (issuer, _) = fixed_issuer();
    let layer = static_layer(&issuer, 0);
    let token = issuer.access_token();
    let a = answer(&layer, &token).await.claims;
    let b = answer(&layer, &token).await.claims;
    assert!(!Arc::ptr_eq(&a.unwrap(), &b.unwrap()));
}

#[tokio::test]
async fn expiry_is_checked_again_on_every_hit() {
    let (issuer, clock) = fixed_issuer();
    let layer = static_layer(&issuer, 1024);
    let mut claims = issuer.access_claims();
    claims.insert("exp".into(), json!(NOW + 100));
    let token = issuer.sign(&claims);
    assert_eq!(answer(&layer, &token).await.status, 200);
    // Leeway is 60 s: still accepted at exp + 60, refused at exp + 61, from the cache's side too.
    clock.set(NOW + 160);
    assert_eq!(answer(&layer, &token).await.status, 200);
    clock.set(NOW + 161);
    assert_eq!(
        answer(&layer, &token).await.status_kind(),
        (
            401,
            Some(ErrorKind::Expired {
                exp: NOW + 100,
                now: NOW + 161
            })
        )
    );
}

/// Whatever the clock does after a token was cached (steps back, jumps ahead), a hit answers
/// exactly what `Verifier::verify` answers at that instant: `exp`, `nbf` and `iat` with the leeway.
#[tokio::test]
async fn a_hit_applies_every_time_rule_at_the_current_instant() {
    let (issuer, clock) = fixed_issuer();
    let layer = static_layer(&issuer, 1024);
    let mut with_nbf = issuer.access_claims();
    with_nbf.insert("nbf".into(), json!(NOW));
    with_nbf.insert("exp".into(), json!(NOW + 300));
    // A Cognito access token has `iat`, no `nbf`.
    for token in [issuer.access_token(), issuer.sign(&with_nbf)] {
        clock.set(NOW);
        assert_eq!(answer(&layer, &token).await.status, 200);
        let cached = answer(&layer, &token).await.claims.unwrap();
        for now in (NOW - 200..NOW + 4_000).step_by(7) {
            clock.set(now);
            let verified = layer
                .verifier()
                .verify(&token, &layer.pools()[0].key_set, now);
            let got = answer(&layer, &token).await;
            assert_eq!(got.kind, verified.as_ref().err().map(|e| e.kind()), "{now}");
            if let Some(claims) = got.claims {
                // Served from the cache, not verified again.
                assert!(Arc::ptr_eq(&claims, &cached), "{now}");
            }
        }
    }
    // The clock stepping back past `iat` + leeway: refused, as a miss would be.
    clock.set(NOW);
    let token = issuer.access_token();
    assert_eq!(answer(&layer, &token).await.status, 200);
    clock.set(NOW - 61);
    let got = answer(&layer, &token).await;
    assert_eq!(
        got.kind,
        Some(ErrorKind::IssuedInFuture {
            iat: NOW,
            now: NOW - 61
        })
    );
}

#[tokio::test]
async fn same_signature_different_bytes_is_not_a_hit() {
    let (issuer, _) = fixed_issuer();
    let layer = static_layer(&issuer, 1024);
    let token = issuer.access_token();
    assert_eq!(answer(&layer, &token).await.status, 200);
    // Same signature segment (same slot), payload changed: must be verified, and fail.
    let (_, rest) = token.split_once('.').unwrap();
    let (payload, signature) = rest.split_once('.').unwrap();
    let mut claims: Value =
        serde_json::from_slice(&URL_SAFE_NO_PAD.decode(payload).unwrap()).unwrap();
    claims["cognito:groups"] = json!(["users", "admin"]);
    let header = token.split('.').next().unwrap();
    let forged = format!(
        "{header}.{}.{signature}",
        URL_SAFE_NO_PAD.encode(claims.to_string())
    );
    assert_eq!(
        answer(&layer, &forged).await.status_kind(),
        (401, Some(ErrorKind::InvalidSignature))
    );
    // A token that is a prefix or an extension of the cached one is not a hit either.
    assert_eq!(answer(&layer, &format!("{token}A")).await.status, 401);
}

/// Hits skip the `b64token` character scan (the bytes equal a token that passed it): cached or
/// not, a variant of a cached token that breaks the grammar keeps its own answer.
#[tokio::test]
async fn a_cached_token_never_hides_a_grammar_error() {
    let (issuer, _) = fixed_issuer();
    let layer = static_layer(&issuer, 1024);
    let token = issuer.access_token();
    let first = answer(&layer, &token).await.claims.unwrap();
    let bad_char = {
        let mut bytes = token.clone().into_bytes();
        let mid = bytes.len() / 2;
        bytes[mid] = b'*';
        String::from_utf8(bytes).unwrap()
    };
    let cases: [(String, u16, Option<ErrorKind>); 5] = [
        (
            format!("{token} x"),
            400,
            Some(ErrorKind::InvalidRequest(RequestError::MultipleTokens)),
        ),
        (
            format!("{token},{token}"),
            400,
            Some(ErrorKind::InvalidRequest(RequestError::MultipleTokens)),
        ),
        (
            bad_char,
            400,
            Some(ErrorKind::InvalidRequest(RequestError::InvalidCharacters)),
        ),
        (format!("{token}=="), 401, Some(ErrorKind::Malformed)),
        (format!("  {token}  "), 200, None),
    ];
    for round in 0..2 {
        for (value, status, kind) in &cases {
            let got = answer(&layer, value).await;
            assert_eq!(
                (got.status, &got.kind),
                (*status, kind),
                "round {round}: {value}"
            );
            if *status == 200 {
                // Surrounding spaces are not part of the token: the same bytes, a hit.
                assert!(Arc::ptr_eq(&got.claims.unwrap(), &first));
            }
        }
    }
}

#[tokio::test]
async fn rejected_tokens_are_never_cached() {
    let (issuer, _) = fixed_issuer();
    let layer = static_layer(&issuer, 1024);
    // Signed correctly, but by a client the layer does not allow: rejected both times, by rule.
    let mut claims = issuer.access_claims();
    claims.insert("client_id".into(), json!("stranger"));
    let token = issuer.sign(&claims);
    for _ in 0..3 {
        assert_eq!(
            answer(&layer, &token).await.kind,
            Some(ErrorKind::InvalidClient)
        );
    }
}

#[tokio::test]
async fn tokens_over_4_kib_are_not_cached() {
    let (issuer, _) = fixed_issuer();
    let layer = static_layer(&issuer, 1024);
    let mut claims = issuer.access_claims();
    claims.insert("padding".into(), json!("x".repeat(4096)));
    let token = issuer.sign(&claims);
    assert!(token.len() > 4096 && token.len() <= 8192);
    let a = answer(&layer, &token).await;
    let b = answer(&layer, &token).await;
    assert_eq!((a.status, b.status), (200, 200));
    assert!(!Arc::ptr_eq(&a.claims.unwrap(), &b.claims.unwrap()));
}

#[tokio::test]
async fn the_cache_is_bounded_and_keeps_answering_right() {
    let (issuer, _) = fixed_issuer();
    let layer = static_layer(&issuer, 16);
    let tokens: Vec<String> = (0..200).map(|_| issuer.access_token()).collect();
    for round in 0..2 {
        for token in &tokens {
            let got = answer(&layer, token).await;
            assert_eq!(got.status, 200, "round {round}");
            assert_eq!(
                got.claims.unwrap().sub,
                "a1b2c3d4-0000-4000-8000-000000000001"
            );
        }
    }
}

#[tokio::test(flavor = "current_thread", start_paused = true)]
async fn a_key_set_swap_empties_the_cache() {
    let issuer = LocalIssuer::new().unwrap();
    let (_server, layer) =
        serve_layer(&issuer, |c| c.refresh_interval(Duration::from_secs(60))).await;
    let old_kid = issuer.kid();
    let token = issuer.access_token();
    let a = answer(&layer, &token).await.claims;
    let b = answer(&layer, &token).await.claims;
    assert!(Arc::ptr_eq(&a.unwrap(), &b.unwrap()), "cached");

    // The key is withdrawn: after the next refresh the cached token is refused.
    issuer.rotate().unwrap();
    issuer.withdraw(&old_kid);
    issuer.respond_with(JwksResponse::Keys);
    advance_until_fetched(&layer, Duration::from_secs(60), 2).await;
    assert_eq!(layer.status().pools[0].fetch_successes, 2);
    assert_eq!(
        answer(&layer, &token).await.status_kind(),
        (401, Some(ErrorKind::UnknownKeyId))
    );

    // A token of the new key is cached in the new generation.
    let fresh = issuer.access_token();
    let c = answer(&layer, &fresh).await.claims;
    let d = answer(&layer, &fresh).await.claims;
    assert!(Arc::ptr_eq(&c.unwrap(), &d.unwrap()));
}

#[derive(Debug, serde::Deserialize)]
struct Tenant {
    #[serde(rename = "custom:tenant")]
    tenant: String,
}

#[tokio::test]
async fn application_claims_are_cached_too() {
    let (issuer, _) = fixed_issuer();
    let layer = static_layer(&issuer, 1024).extra_claims::<Tenant>();
    let mut claims = issuer.access_claims();
    claims.insert("custom:tenant".into(), json!("t-42"));
    let token = issuer.sign(&claims);
    let svc =
        tower::ServiceBuilder::new()
            .layer(layer)
            .service_fn(|req: http::Request<()>| async move {
                let tenant = req
                    .extensions()
                    .get::<Claims<Tenant>>()
                    .map(|t| Arc::clone(&t.0));
                let mut res = http::Response::new(String::new());
                res.extensions_mut().insert(tenant);
                Ok::<_, Infallible>(res)
            });
    let mut seen = Vec::new();
    for _ in 0..2 {
        let req = http::Request::get("/")
            .header("authorization", format!("Bearer {token}"))
            .body(())
            .unwrap();
        let res = svc.clone().oneshot(req).await.unwrap();
        assert_eq!(res.status(), 200);
        seen.push(
            res.extensions()
                .get::<Option<Arc<tower_cognito::CognitoClaims<Tenant>>>>()
                .cloned()
                .flatten()
                .unwrap(),
        );
    }
    assert_eq!(seen[0].extra.tenant, "t-42");
    assert!(Arc::ptr_eq(&seen[0], &seen[1]));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_hits_and_misses_answer_right() {
    let (issuer, _) = fixed_issuer();
    let layer = static_layer(&issuer, 64);
    let good: Vec<String> = (0..50).map(|_| issuer.access_token()).collect();
    let mut bad_claims = issuer.access_claims();
    bad_claims.insert(
        "iss".into(),
        json!("https://cognito-idp.us-east-1.amazonaws.com/us-east-1_Other"),
    );
    let bad = issuer.sign(&bad_claims);
    let mut tasks = tokio::task::JoinSet::new();
    for i in 0..1_000 {
        let layer = layer.clone();
        let token = if i % 10 == 0 {
            bad.clone()
        } else {
            good[i % good.len()].clone()
        };
        tasks.spawn(async move { (i % 10 == 0, answer(&layer, &token).await.status) });
    }
    while let Some(r) = tasks.join_next().await {
        let (is_bad, status) = r.unwrap();
        assert_eq!(status, if is_bad { 401 } else { 200 });
    }
}

#[tokio::test(flavor = "current_thread", start_paused = true)]
async fn a_refresh_with_identical_keys_keeps_the_set_and_the_cache() {
    let issuer = LocalIssuer::new().unwrap();
    let (_server, layer) =
        serve_layer(&issuer, |c| c.refresh_interval(Duration::from_secs(60))).await;
    let set_before = layer.pools()[0].key_set.clone();
    let token = issuer.access_token();
    let a = answer(&layer, &token).await.claims;

    // Three periodic refreshes and an unknown-kid refetch, all serving the same keys.
    for round in 0..4u64 {
        if round == 3 {
            let forged = issuer.sign_raw(br#"{"kid":"nope","alg":"RS256"}"#, b"{}");
            assert_eq!(
                answer(&layer, &forged).await.kind,
                Some(ErrorKind::UnknownKeyId)
            );
        }
        advance_until_fetched(&layer, Duration::from_secs(60), round + 2).await;
    }
    let stats = layer.status().pools.remove(0);
    assert_eq!(
        (
            stats.fetches,
            stats.fetch_successes,
            stats.key_changes,
            stats.fetch_failures
        ),
        (5, 5, 1, 0),
        "{stats:?}"
    );
    assert!(
        Arc::ptr_eq(&set_before, &layer.pools()[0].key_set),
        "the identical set was not replaced"
    );
    let b = answer(&layer, &token).await.claims;
    assert!(
        Arc::ptr_eq(&a.unwrap(), &b.unwrap()),
        "the cache survived the refreshes"
    );

    // A real change (rotation) replaces the set.
    issuer.rotate().unwrap();
    advance_until_fetched(&layer, Duration::from_secs(60), 6).await;
    assert_eq!(layer.status().pools[0].key_changes, 2);
    assert!(!Arc::ptr_eq(&set_before, &layer.pools()[0].key_set));
}

/// `CognitoAuthLayer::verify` is the request path without HTTP: the same cache (the same claims
/// `Arc` as a request's), the layer's clock, the grammar, and an unknown `kid` nudges the refetch.
#[tokio::test(flavor = "current_thread", start_paused = true)]
async fn layer_verify_is_the_request_path_without_http() {
    let (issuer, clock) = fixed_issuer();
    let (_server, layer) =
        serve_layer(&issuer, |c| c.refresh_interval(Duration::from_secs(600))).await;
    let token = issuer.access_token();
    let first = layer.verify(&token).unwrap();
    let again = layer.verify(&token).unwrap();
    assert!(Arc::ptr_eq(&first.0, &again.0), "a cache hit");
    let request = answer(&layer, &token).await.claims.unwrap();
    assert!(Arc::ptr_eq(&first.0, &request), "the request path's cache");

    // The layer's clock: past `exp` + leeway, refused, from the cache too.
    clock.advance(3600 + 61);
    assert!(matches!(
        layer.verify(&token).unwrap_err().kind(),
        ErrorKind::Expired { .. }
    ));
    clock.set(NOW);
    // The grammar and the size cap, as for a header.
    assert_eq!(
        layer.verify("a.b=.c").unwrap_err().kind(),
        ErrorKind::InvalidRequest(tower_cognito::reject::RequestError::InvalidCharacters)
    );
    assert_eq!(
        layer.verify(&"a".repeat(9 * 1024)).unwrap_err().kind(),
        ErrorKind::TokenTooLarge
    );

    // A rotated key: unknown at first, then the nudged refetch (after the cooldown) picks it up.
    let fetches = layer.status().pools[0].fetches;
    let kid = issuer.rotate().unwrap();
    let rotated = issuer.access_token();
    assert_eq!(
        layer.verify(&rotated).unwrap_err().kind(),
        ErrorKind::UnknownKeyId
    );
    advance_until_fetched(&layer, Duration::from_secs(10), fetches + 1).await;
    assert!(layer.pools()[0].key_set.contains(&kid));
    assert_eq!(layer.verify(&rotated).unwrap().sub, first.sub);
}
