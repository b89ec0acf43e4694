//! Revocation through the real layer (in-memory deny-list): a denied `origin_jti` or `jti` gets
//! `401 invalid_token` with the fixed "revoked" description, on cache misses and hits alike; the
//! entry stops denying (and is pruned) once the token it denies would have expired.

use std::sync::Arc;

use tower::ServiceExt;
use tower_cognito::test_util::LocalIssuer;
use tower_cognito::{CognitoAuthLayer, ErrorKind, clock::FixedClock, deny::DenyList};

use crate::support::answer;

const NOW: u64 = 1_700_000_000;

fn setup(cache: usize) -> (LocalIssuer, Arc<FixedClock>, DenyList, CognitoAuthLayer) {
    let clock = Arc::new(FixedClock::new(NOW));
    let issuer = LocalIssuer::builder()
        .clock(Arc::clone(&clock))
        .build()
        .unwrap();
    let deny = DenyList::with_clock(Arc::clone(&clock));
    let config = issuer
        .config()
        .any_token_use()
        .token_cache_size(cache)
        .build()
        .unwrap();
    let layer = CognitoAuthLayer::builder(config)
        .static_keys(issuer.key_set())
        .deny_list(deny.clone())
        .build()
        .unwrap();
    (issuer, clock, deny, layer)
}

#[tokio::test]
async fn a_denied_session_gets_401_invalid_token_with_a_fixed_description() {
    let (issuer, _, deny, layer) = setup(1024);
    let token = issuer
        .token()
        .claim("origin_jti", "session-1")
        .claim("jti", "token-1")
        .build();
    assert_eq!(answer(&layer, &token).await.status, 200);

    deny.revoke("session-1", NOW + 3600);
    let svc = tower::ServiceBuilder::new()
        .layer(layer.clone())
        .service_fn(|_req: http::Request<()>| async {
            Ok::<_, std::convert::Infallible>(http::Response::new(String::new()))
        });
    let res = svc
        .oneshot(
            http::Request::get("/")
                .header("authorization", format!("Bearer {token}"))
                .body(())
                .unwrap(),
        )
        .await
        .unwrap();
    assert_eq!(res.status(), 401);
    let challenge = res.headers()["www-authenticate"].to_str().unwrap();
    assert!(
        challenge.contains(r#"error="invalid_token""#),
        "{challenge}"
    );
    assert!(
        challenge.contains(r#"error_description="the token was revoked""#),
        "{challenge}"
    );
    assert!(!challenge.contains("session-1"), "{challenge}");
    assert_eq!(
        res.extensions()
            .get::<tower_cognito::Error>()
            .unwrap()
            .kind(),
        ErrorKind::Revoked
    );

    // Another session of the same user is untouched; a denied `jti` cuts one token off.
    let other = issuer.token().claim("origin_jti", "session-2").build();
    assert_eq!(answer(&layer, &other).await.status, 200);
    let single = issuer
        .token()
        .claim("origin_jti", "session-3")
        .claim("jti", "token-3")
        .build();
    deny.revoke("token-3", NOW + 3600);
    assert_eq!(
        answer(&layer, &single).await.status_kind(),
        (401, Some(ErrorKind::Revoked))
    );
    assert_eq!(
        layer.verify(&single).unwrap_err().kind(),
        ErrorKind::Revoked
    );

    // An in-memory list is always in sync and never makes the layer unready.
    let readiness = layer.status();
    let list = readiness.deny_list.unwrap();
    assert!(list.in_sync && !list.shared && !list.stale && list.lag.is_none());
    assert!(readiness.is_ready());
    assert_eq!(
        layer.status().rejected(ErrorKind::Revoked),
        3,
        "two requests and one verify"
    );
}

/// The token is verified and cached first; the revocation must hold on the cache hit.
#[tokio::test]
async fn a_cache_hit_is_revoked_too_and_so_is_a_miss() {
    for cache in [1024, 0] {
        let (issuer, _, deny, layer) = setup(cache);
        let token = issuer.access_token();
        let first = answer(&layer, &token).await;
        let second = answer(&layer, &token).await;
        assert_eq!((first.status, second.status), (200, 200));
        if cache > 0 {
            assert!(Arc::ptr_eq(
                first.claims.as_ref().unwrap(),
                second.claims.as_ref().unwrap()
            ));
        }
        let claims = first.claims.unwrap();
        assert!(deny.revoke_session(&claims));
        assert_eq!(
            answer(&layer, &token).await.status_kind(),
            (401, Some(ErrorKind::Revoked)),
            "cache {cache}"
        );
        // The same lineage, refreshed: another token with the same `origin_jti`.
        let refreshed = issuer
            .token()
            .claim("origin_jti", claims.origin_jti.clone().unwrap())
            .build();
        assert_eq!(
            answer(&layer, &refreshed).await.kind,
            Some(ErrorKind::Revoked)
        );
    }
}

/// The entry denies while the token could be accepted (`exp` + leeway), then the token is just
/// expired, and the entry is pruned on the next write.
#[tokio::test]
async fn the_entry_expires_with_the_token_it_denies() {
    let (issuer, clock, deny, layer) = setup(1024);
    let exp = NOW + 300;
    let token = issuer
        .token()
        .claim("origin_jti", "s")
        .claim("exp", exp)
        .build();
    assert_eq!(answer(&layer, &token).await.status, 200);
    deny.revoke("s", exp);
    assert_eq!(answer(&layer, &token).await.kind, Some(ErrorKind::Revoked));
    // Within the leeway past `exp`: still accepted by the time rules, so still denied.
    clock.set(exp + 60);
    assert_eq!(answer(&layer, &token).await.kind, Some(ErrorKind::Revoked));
    clock.set(exp + 61);
    assert_eq!(
        answer(&layer, &token).await.kind,
        Some(ErrorKind::Expired { exp, now: exp + 61 })
    );
    assert_eq!(deny.len(), 1);
    // Pruned once no layer's leeway (at most 600 s) could accept the token.
    clock.set(exp + 601);
    deny.revoke("later", exp + 10_000);
    assert_eq!(deny.len(), 1);
    assert!(!deny.is_revoked("s", exp, std::time::Duration::ZERO));
}

/// Several layers (here: two claims types of one layer, and a second layer) share one list.
#[tokio::test]
async fn one_list_serves_every_layer_of_the_process() {
    let (issuer, _, deny, layer) = setup(1024);
    #[derive(Debug, serde::Deserialize)]
    struct Extra {}
    let typed = layer.clone().extra_claims::<Extra>();
    let token = issuer.token().claim("origin_jti", "shared").build();
    assert!(typed.verify(&token).is_ok());
    deny.revoke("shared", NOW + 3600);
    assert_eq!(typed.verify(&token).unwrap_err().kind(), ErrorKind::Revoked);
    assert_eq!(layer.verify(&token).unwrap_err().kind(), ErrorKind::Revoked);
}

/// "For ever" (`u64::MAX`, or any `until` too far ahead) is clamped to the maximum entry
/// lifetime: the session is denied now and as long as a token of it can live (a 10-year refresh
/// token's last access token, a day more), then the entry expires like any other.
#[tokio::test]
async fn a_revocation_for_ever_lasts_the_maximum_entry_lifetime() {
    let (issuer, clock, deny, layer) = setup(1024);
    let max = DenyList::MAX_ENTRY_LIFETIME.as_secs();
    assert_eq!(max, 3651 * 86_400);
    let token = issuer.token().claim("origin_jti", "forever").build();
    assert_eq!(answer(&layer, &token).await.status, 200);
    deny.revoke("forever", u64::MAX);
    assert_eq!(answer(&layer, &token).await.kind, Some(ErrorKind::Revoked));
    // The last token of the lineage, issued a day before the entry's end.
    clock.set(NOW + max - 1);
    let last = issuer
        .token()
        .claim("origin_jti", "forever")
        .claim("iat", NOW + max - 86_400)
        .claim("exp", NOW + max)
        .build();
    assert_eq!(answer(&layer, &last).await.kind, Some(ErrorKind::Revoked));
    // Past the entry's end and every leeway: pruned, nothing is held for ever.
    clock.set(NOW + max + 601);
    deny.prune();
    assert!(deny.is_empty(), "{deny:?}");
}
