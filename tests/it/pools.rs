//! Several user pools in one layer: each token verified by its own pool (picked by `iss`), with
//! that pool's app clients, token use and key set; one pool's JWKS outage answers 503 for its
//! tokens only. Paused tokio time for the refreshers; every clock fixed at `NOW`.

use std::sync::{Arc, OnceLock};
use std::time::Duration;

use serde_json::json;
use tower::ServiceExt as _;
use tower_cognito::test_util::{JwksResponse, LocalIssuer};
use tower_cognito::{
    CognitoAuthLayer, CognitoConfig, ConfigError, Error, ErrorKind, Require, StartError, TokenUse,
    clock::FixedClock, guard::GuardError, jwks::FetchError, jwks::JwksSource,
};

use crate::support::tokens::{NOW, POOL_B};
use crate::support::{answer, until};

const POOL_A: &str = "eu-west-1_PoolA1";
const CLIENT_A: &str = "clientofpoola";
const CLIENT_B: &str = "clientofpoolb";

/// Two issuers (pools A and B), one RSA key each, generated once for the file.
fn issuers() -> (LocalIssuer, LocalIssuer) {
    static ISSUERS: OnceLock<(LocalIssuer, LocalIssuer)> = OnceLock::new();
    let (a, b) = ISSUERS.get_or_init(|| {
        let issuer = |pool: &str, client: &str| {
            LocalIssuer::builder()
                .user_pool_id(pool)
                .client_id(client)
                .clock(FixedClock::new(NOW))
                .build()
                .unwrap()
        };
        (issuer(POOL_A, "clientofpoola"), issuer(POOL_B, CLIENT_B))
    });
    (a.clone(), b.clone())
}

/// Pools A and B with keys of their own `kid`s, as real Cognito pools have (the key ids of
/// [`issuers`] are one and the same).
fn distinct_issuers() -> (LocalIssuer, LocalIssuer) {
    static ISSUERS: OnceLock<(LocalIssuer, LocalIssuer)> = OnceLock::new();
    let (a, b) = ISSUERS.get_or_init(|| {
        (
            issuer_with(POOL_A, CLIENT_A, "pool-a-key-1"),
            issuer_with(POOL_B, CLIENT_B, "pool-b-key-1"),
        )
    });
    (a.clone(), b.clone())
}

/// A fresh issuer of `pool` and `client` whose first key is `kid`.
fn issuer_with(pool: &str, client: &str, kid: &str) -> LocalIssuer {
    LocalIssuer::builder()
        .user_pool_id(pool)
        .client_id(client)
        .kid(kid)
        .clock(FixedClock::new(NOW))
        .build()
        .unwrap()
}

/// Pool A accepts access tokens of its client; pool B, ID tokens of its own.
fn two_pools(a: &LocalIssuer, b: &LocalIssuer) -> CognitoConfig {
    a.config()
        .token_use(TokenUse::Access)
        .and_pool(b.user_pool_id())
        .client_id(b.client_id())
        .token_use(TokenUse::Id)
        .jwks_url(
            b.config()
                .token_use(TokenUse::Id)
                .build()
                .unwrap()
                .jwks_url(),
        )
        .build()
        .unwrap()
}

/// The layer over both issuers' current keys, never refreshed.
fn static_layer(a: &LocalIssuer, b: &LocalIssuer) -> CognitoAuthLayer {
    CognitoAuthLayer::builder(two_pools(a, b))
        .static_key_sets(|pool| {
            Some(if pool.user_pool_id() == a.user_pool_id() {
                a.key_set()
            } else {
                b.key_set()
            })
        })
        .build()
        .unwrap()
}

#[tokio::test]
async fn each_token_is_verified_by_its_own_pool() {
    let (a, b) = issuers();
    let layer = static_layer(&a, &b);

    let got = answer(&layer, &a.access_token()).await;
    assert_eq!(got.status, 200, "{got:?}");
    let claims = got.claims.unwrap();
    assert_eq!(claims.iss, a.issuer());
    assert_eq!(claims.user_pool_id(), Some(POOL_A));

    let got = answer(&layer, &b.id_token()).await;
    assert_eq!(got.status, 200, "{got:?}");
    let claims = got.claims.unwrap();
    assert_eq!(claims.user_pool_id(), Some(POOL_B));
    assert_eq!(claims.app_client_id(), Some(CLIENT_B));

    // Each pool's own rules: B takes ID tokens only, A access tokens only.
    let rules = [
        (b.access_token(), ErrorKind::TokenUseNotAccepted),
        (a.id_token(), ErrorKind::TokenUseNotAccepted),
    ];
    for (token, kind) in rules {
        assert_eq!(
            answer(&layer, &token).await.status_kind(),
            (401, Some(kind))
        );
    }
    // A's app client is not B's, and the other way round.
    let mut claims = a.access_claims();
    claims.insert("client_id".into(), json!(CLIENT_B));
    assert_eq!(
        answer(&layer, &a.sign(&claims)).await.status_kind(),
        (401, Some(ErrorKind::InvalidClient))
    );

    // The same routes through `verify` outside HTTP.
    assert_eq!(
        layer.verify(&b.id_token()).unwrap().user_pool_id(),
        Some(POOL_B)
    );
}

#[tokio::test]
async fn a_key_of_one_pool_never_verifies_a_token_claiming_another() {
    let (a, b) = issuers();
    let layer = static_layer(&a, &b);
    // Signed by B (same `kid` as A's key), claiming A's issuer: routed to A, whose key refuses it.
    let mut claims = a.access_claims();
    claims.insert("iss".into(), json!(a.issuer()));
    let forged = b.sign(&claims);
    assert_eq!(
        answer(&layer, &forged).await.status_kind(),
        (401, Some(ErrorKind::InvalidSignature))
    );
    // An issuer that is no configured pool, a missing one, one with an escape: never routed.
    let mut unknown = a.access_claims();
    unknown.insert(
        "iss".into(),
        json!("https://cognito-idp.ap-south-1.amazonaws.com/ap-south-1_Unknown9"),
    );
    let mut no_iss = a.access_claims();
    no_iss.remove("iss");
    let escaped = a
        .token()
        .raw_payload(
            serde_json::to_string(&a.access_claims())
                .unwrap()
                .replace("https://", "https:\\/\\/"),
        )
        .build();
    for token in [a.sign(&unknown), a.sign(&no_iss), escaped] {
        assert_eq!(
            answer(&layer, &token).await.status_kind(),
            (401, Some(ErrorKind::InvalidIssuer))
        );
    }
    // A token naming B's issuer in a nested claim before its own `iss` (the claims are written
    // in name order): routed by its top-level `iss` to A, whose key verifies it. Only the
    // issuer's own trigger could write such a claim.
    let mut nested = a.access_claims();
    nested.insert("aaa_meta".into(), json!({ "iss": b.issuer() }));
    let got = answer(&layer, &a.sign(&nested)).await;
    assert_eq!(got.status, 200, "{got:?}");
    assert_eq!(got.claims.unwrap().user_pool_id(), Some(POOL_A));

    // Keys of their own `kid`s: the `kid` picks the pool, whose key and issuer both must match.
    let (a, b) = distinct_issuers();
    let layer = static_layer(&a, &b);
    // A's key, claiming B (B's issuer, client and token use): A's, by its `kid`; A's issuer
    // check refuses it after the signature.
    let mut as_b = b.id_claims();
    as_b.insert("iss".into(), json!(b.issuer()));
    assert_eq!(
        answer(&layer, &a.sign(&as_b)).await.status_kind(),
        (401, Some(ErrorKind::InvalidIssuer))
    );
    // B's key under A's `kid`, claiming A: A's key refuses the signature.
    let forged = a.token().signed_by(&b).build();
    assert_eq!(
        answer(&layer, &forged).await.status_kind(),
        (401, Some(ErrorKind::InvalidSignature))
    );
    // B's key under A's `kid`, claiming B: the same.
    let forged = b.id_token_builder().header("kid", a.kid()).build();
    assert_eq!(
        answer(&layer, &forged).await.status_kind(),
        (401, Some(ErrorKind::InvalidSignature))
    );
}

/// `claims` as JSON text with the members in the given order (a `Map` writes them sorted).
fn ordered(members: &[(&str, serde_json::Value)]) -> String {
    let members: Vec<String> = members
        .iter()
        .map(|(name, value)| format!("{}:{value}", json!(name)))
        .collect();
    format!("{{{}}}", members.join(","))
}

/// `issuer`'s claims of `token_use` with `before` written ahead of them, `iss` last.
fn iss_after(
    issuer: &LocalIssuer,
    claims: serde_json::Map<String, serde_json::Value>,
    before: &[(&str, serde_json::Value)],
) -> String {
    let mut members: Vec<(&str, serde_json::Value)> = before.to_vec();
    let rest: Vec<(String, serde_json::Value)> = claims
        .into_iter()
        .filter(|(name, _)| name != "iss")
        .collect();
    members.extend(rest.iter().map(|(n, v)| (n.as_str(), v.clone())));
    members.push(("iss", json!(issuer.issuer())));
    ordered(&members)
}

#[tokio::test]
async fn only_the_top_level_iss_picks_the_pool() {
    let (a, b) = issuers();
    let layer = static_layer(&a, &b);
    // Another configured pool's issuer before the top-level `iss`: nested in an object, in an
    // array of objects, deep, inside a string, as a value. Each token is routed by its own
    // top-level `iss` and accepted by its own pool.
    let (a_iss, b_iss) = (a.issuer(), b.issuer());
    let shapes = |other: &str| {
        vec![
            ("meta", json!({ "iss": other })),
            ("list", json!([{ "iss": other }, { "x": { "iss": other } }])),
            ("deep", json!([[[[{ "a": [{ "iss": other }] }]]]])),
            ("text", json!(format!(r#"{{"iss":"{other}"}}"#))),
            ("quoted", json!(format!(r#""iss":"{other}""#))),
            ("value", json!("iss")),
        ]
    };
    for (name, value) in shapes(b_iss) {
        let payload = iss_after(&a, a.access_claims(), &[(name, value)]);
        let got = answer(&layer, &a.token().raw_payload(payload).build()).await;
        assert_eq!(got.status, 200, "{name}: {got:?}");
        assert_eq!(got.claims.unwrap().user_pool_id(), Some(POOL_A), "{name}");
    }
    for (name, value) in shapes(a_iss) {
        let payload = iss_after(&b, b.id_claims(), &[(name, value)]);
        let got = answer(&layer, &b.token().raw_payload(payload).build()).await;
        assert_eq!(got.status, 200, "{name}: {got:?}");
        assert_eq!(got.claims.unwrap().user_pool_id(), Some(POOL_B), "{name}");
    }
    // All of them in one token, and B's issuer at the top level of a token signed by A: A's
    // token is accepted, the other refused by B's key.
    let all = shapes(b_iss);
    let payload = iss_after(&a, a.access_claims(), &all);
    assert_eq!(
        answer(&layer, &a.token().raw_payload(payload).build())
            .await
            .status,
        200
    );
    let payload = iss_after(&b, a.access_claims(), &shapes(a_iss));
    assert_eq!(
        answer(&layer, &a.token().raw_payload(payload).build())
            .await
            .status_kind(),
        (401, Some(ErrorKind::InvalidSignature))
    );
    // The top-level `iss` written with escapes (name or value), or only nested: not routed.
    let claims = serde_json::to_string(&a.access_claims()).unwrap();
    let escaped_name = claims.replace(r#""iss":"#, r#""\u0069ss":"#);
    let mut only_nested = a.access_claims();
    only_nested.remove("iss");
    only_nested.insert("meta".into(), json!({ "iss": a_iss }));
    for payload in [escaped_name, serde_json::to_string(&only_nested).unwrap()] {
        assert_eq!(
            answer(&layer, &a.token().raw_payload(payload).build())
                .await
                .status_kind(),
            (401, Some(ErrorKind::InvalidIssuer))
        );
    }
    // Two top-level `iss` members: routed by the first, refused by the strict parse.
    let twice = iss_after(&a, a.access_claims(), &[("iss", json!(a_iss))]);
    assert_eq!(
        answer(&layer, &a.token().raw_payload(twice).build())
            .await
            .status_kind(),
        (401, Some(ErrorKind::InvalidClaims))
    );
}

/// Claims in Cognito's order: `sub`, `cognito:groups` (here `groups`), `iss`,
/// then the others; and where `iss` starts in that text.
fn cognito_order(
    mut claims: serde_json::Map<String, serde_json::Value>,
    groups: Vec<String>,
) -> (usize, String) {
    let mut members = vec![("sub", claims.remove("sub").unwrap())];
    members.push(("cognito:groups", json!(groups)));
    members.push(("iss", claims.remove("iss").unwrap()));
    claims.remove("cognito:groups");
    let rest: Vec<(String, serde_json::Value)> = claims.into_iter().collect();
    members.extend(rest.iter().map(|(n, v)| (n.as_str(), v.clone())));
    let payload = ordered(&members);
    (payload.find(r#""iss":"#).unwrap(), payload)
}

/// `n` group names of about 25 bytes (`iss` past the first 2 KiB with 100 of them).
fn long_groups(n: usize) -> Vec<String> {
    (0..n)
        .map(|i| format!("tenant-{i:04}-readers-team"))
        .collect()
}

/// `n` short group names (two quotes each before `iss`).
fn short_groups(n: usize) -> Vec<String> {
    (0..n).map(|i| format!("g{i}")).collect()
}

/// A real token's pool is its `kid`'s: a user in 100 groups (Cognito's maximum) is accepted by a
/// layer of several pools wherever Cognito writes `iss`, as by a layer of one. The bounds of the
/// `iss` scan (the payload's first KiB, 128 quotes, brackets and escapes) hold only for the
/// fallback, a `kid` that several pools share (here, two issuers with one `kid`): there a user in
/// 40 groups is refused.
#[tokio::test]
async fn the_top_level_iss_is_looked_for_within_bounds() {
    let (a, b) = distinct_issuers();
    let layer = static_layer(&a, &b);
    let one_pool =
        CognitoAuthLayer::builder(a.config().token_use(TokenUse::Access).build().unwrap())
            .static_keys(a.key_set())
            .build()
            .unwrap();
    let token = |issuer: &LocalIssuer, claims, groups| {
        let (at, payload) = cognito_order(claims, groups);
        (at, issuer.token().raw_payload(payload).build())
    };
    // 100 long group names put `iss` past the first 2 KiB, 100 short ones past 128 quotes and
    // brackets, 40 long ones past the first KiB: each accepted, by its own pool.
    let (at, long) = token(&a, a.access_claims(), long_groups(100));
    assert!(at > 2_048, "{at}");
    let (at, short) = token(&a, a.access_claims(), short_groups(100));
    assert!(at < 2_048, "{at}");
    let (at, some) = token(&a, a.access_claims(), long_groups(40));
    assert!((1_024..1_900).contains(&at), "{at}");
    for token in [&long, &short, &some] {
        let got = answer(&layer, token).await;
        assert_eq!(got.status, 200, "{got:?}");
        assert_eq!(got.claims.unwrap().user_pool_id(), Some(POOL_A));
        assert_eq!(answer(&one_pool, token).await.status, 200);
    }
    // Pool B's ID token of a user in 100 groups, with pool A's issuer nested before its own.
    let mut claims = b.id_claims();
    claims.insert("aaa".into(), json!({ "iss": a.issuer() }));
    let (at, b_long) = token(&b, claims, long_groups(100));
    assert!(at > 2_048, "{at}");
    let got = answer(&layer, &b_long).await;
    assert_eq!(got.status, 200, "{got:?}");
    assert_eq!(got.claims.unwrap().user_pool_id(), Some(POOL_B));

    // The fallback: pools that share a `kid` are told apart by the top-level `iss` of the
    // payload's first KiB, over at most 128 quotes, brackets and escapes. 25 long groups and 50
    // short ones: routed; 40 long ones or 60 short ones: not (401), though a layer of one
    // accepts them.
    let (a, b) = issuers();
    assert_eq!(a.kid(), b.kid());
    let shared = static_layer(&a, &b);
    let one_pool =
        CognitoAuthLayer::builder(a.config().token_use(TokenUse::Access).build().unwrap())
            .static_keys(a.key_set())
            .build()
            .unwrap();
    let (at, some) = token(&a, a.access_claims(), long_groups(25));
    assert!((600..900).contains(&at), "{at}");
    let (at, short) = token(&a, a.access_claims(), short_groups(50));
    assert!(at < 900, "{at}");
    for token in [some, short] {
        assert_eq!(answer(&shared, &token).await.status, 200);
    }
    let (at, long) = token(&a, a.access_claims(), long_groups(40));
    assert!(at > 1_024, "{at}");
    let (at, short) = token(&a, a.access_claims(), short_groups(60));
    assert!(at < 1_024, "{at}");
    for token in [long, short] {
        assert_eq!(
            answer(&shared, &token).await.status_kind(),
            (401, Some(ErrorKind::InvalidIssuer))
        );
        assert_eq!(answer(&one_pool, &token).await.status, 200);
    }
}

#[tokio::test]
async fn hostile_payloads_are_refused_before_the_signature() {
    let (a, b) = issuers();
    let layer = static_layer(&a, &b);
    let real = format!(r#""iss":"{}""#, a.issuer());
    // Payloads of about 6 KB (an 8 KiB token) of `"iss":"",` at the top level or nested, the
    // real `iss` nested many times, deep arrays and objects, escapes, empty strings, numbers,
    // whitespace, and the real top-level `iss` only past the first 2 KiB.
    let fill = |head: &str, unit: &str, tail: &str| {
        let mut json = head.to_owned();
        while json.len() + unit.len() + tail.len() <= 5_800 {
            json.push_str(unit);
        }
        json + tail
    };
    let shapes = [
        fill("{", r#""iss":"","#, &format!("{real}}}")),
        fill(r#"{"a":{"#, r#""iss":"","#, &format!(r#""z":0}},{real}}}"#)),
        fill(r#"{"a":["#, &format!("{{{real}}},"), "0]}"),
        fill(r#"{"a":"#, "[", &format!(",{real}}}")),
        fill("{", r#""a":{"#, &format!("{real}}}")),
        fill(r#"{"a":""#, r#"""#, &format!(r#"",{real}}}"#)),
        fill(r#"{"a":["#, r#""","#, &format!(r#""""],{real}}}"#)),
        fill(r#"{"a":["#, "1,", &format!("1],{real}}}")),
        fill(r#"{"a":"#, " ", &format!("1,{real}}}")),
        fill(r#"{"a":""#, "x", &format!(r#"",{real}}}"#)),
        fill("{", r#""a":0,"#, &format!("{real}}}")),
    ];
    for (i, payload) in shapes.into_iter().enumerate() {
        let token = a.token().raw_payload(payload).build();
        assert!(
            (7_000..8_192).contains(&token.len()),
            "{i}: {}",
            token.len()
        );
        assert_eq!(
            answer(&layer, &token).await.status_kind(),
            (401, Some(ErrorKind::InvalidIssuer)),
            "{i}"
        );
    }
}

#[tokio::test]
async fn the_cache_keeps_each_token_with_its_pool() {
    let (a, b) = issuers();
    let layer = static_layer(&a, &b);
    let (ta, tb) = (a.access_token(), b.id_token());
    let first_a = answer(&layer, &ta).await.claims.unwrap();
    let first_b = answer(&layer, &tb).await.claims.unwrap();
    for _ in 0..3 {
        let again_a = answer(&layer, &ta).await.claims.unwrap();
        let again_b = answer(&layer, &tb).await.claims.unwrap();
        assert!(Arc::ptr_eq(&first_a, &again_a));
        assert!(Arc::ptr_eq(&first_b, &again_b));
    }
}

#[tokio::test(start_paused = true)]
async fn one_pools_outage_is_its_own() {
    // Issuers of their own: the file's are shared with the other tests.
    let issuer = |pool: &str, client: &str| {
        LocalIssuer::builder()
            .user_pool_id(pool)
            .client_id(client)
            .clock(FixedClock::new(NOW))
            .build()
            .unwrap()
    };
    let (a, b) = (issuer(POOL_A, "clientofpoola"), issuer(POOL_B, CLIENT_B));
    b.respond_with(JwksResponse::Status(500));
    let config = two_pools(&a, &b);
    // `start` waits for every pool and names the one without keys.
    let waited = CognitoAuthLayer::builder(config.clone())
        .jwks_sources(|pool| Some(source_of(pool, &a, &b)))
        .start()
        .await;
    match waited {
        Err(StartError::NoKeys { user_pool_id, .. }) => assert_eq!(user_pool_id, POOL_B),
        other => panic!("expected NoKeys for pool B, got {other:?}"),
    }

    let layer = CognitoAuthLayer::builder(config)
        .jwks_sources(|pool| Some(source_of(pool, &a, &b)))
        .build()
        .unwrap();
    // Bounded: A's first fetch is immediate.
    for _ in 0..100 {
        if !layer.pools()[0].key_set.is_empty() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    assert_eq!(answer(&layer, &a.access_token()).await.status, 200);
    let got = answer(&layer, &b.id_token()).await;
    assert_eq!(
        (got.status, got.kind, got.retry_after),
        (503, Some(ErrorKind::KeysUnavailable), true)
    );
    assert!(!layer.status().is_ready());
    assert_eq!(layer.status().pools[1].keys, 0);

    // B's endpoint comes back: its refresher retries with backoff (bounded wait, paused time).
    b.respond_with(JwksResponse::Keys);
    for _ in 0..600 {
        if !layer.pools()[1].key_set.is_empty() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    assert_eq!(answer(&layer, &b.id_token()).await.status, 200);
    assert_eq!(answer(&layer, &a.access_token()).await.status, 200);
    assert!(layer.status().is_ready());
    let pools = layer.pools();
    assert_eq!(pools.len(), 2);
    assert_eq!(pools[1].id(), POOL_B);
    assert!(pools[1].status.fetch_failures >= 1, "{pools:?}");
}

/// The in-memory source of the pool `pool` names.
fn source_of(pool: &CognitoConfig, a: &LocalIssuer, b: &LocalIssuer) -> LocalIssuer {
    if pool.user_pool_id() == a.user_pool_id() {
        a.clone()
    } else {
        b.clone()
    }
}

#[tokio::test]
async fn a_configuration_of_several_pools_needs_a_source_per_pool() {
    let (a, b) = issuers();
    let config = two_pools(&a, &b);
    assert!(matches!(
        CognitoAuthLayer::builder(config.clone())
            .static_keys(a.key_set())
            .build(),
        Err(StartError::SourcePerPool { pools: 2 })
    ));
    assert!(matches!(
        CognitoAuthLayer::builder(config.clone())
            .jwks_source(a.clone())
            .build(),
        Err(StartError::SourcePerPool { pools: 2 })
    ));
    assert!(matches!(
        CognitoAuthLayer::builder(config)
            .jwks_source(a.clone())
            .start()
            .await,
        Err(StartError::SourcePerPool { pools: 2 })
    ));
}

#[test]
fn pool_settings_are_per_pool() {
    let base = || {
        CognitoConfig::builder(POOL_A)
            .client_id("clientofpoola")
            .token_use(TokenUse::Access)
            .leeway(Duration::from_secs(5))
            .max_key_age(Duration::from_secs(7200))
    };
    let config = base()
        .and_pool(POOL_B)
        .client_ids(["one", "two"])
        .any_token_use()
        .refresh_interval(Duration::from_secs(60))
        .realm("orders")
        .build()
        .unwrap();
    assert_eq!(config.pool_count(), 2);
    let pools: Vec<CognitoConfig> = config.pools().collect();
    assert_eq!(pools[0].user_pool_id(), POOL_A);
    assert_eq!(pools[0].token_use(), Some(TokenUse::Access));
    assert_eq!(
        pools[0].refresh_interval(),
        CognitoConfig::DEFAULT_REFRESH_INTERVAL
    );
    assert_eq!(pools[1].user_pool_id(), POOL_B);
    assert_eq!(pools[1].token_use(), None);
    assert_eq!(pools[1].refresh_interval(), Duration::from_secs(60));
    assert_eq!(
        pools[1].client_ids().unwrap().collect::<Vec<_>>(),
        ["one", "two"]
    );
    // The schedule and safety settings given before `and_pool` carry over to the next pool.
    assert_eq!(pools[1].max_key_age(), Some(Duration::from_secs(7200)));
    // The layer's settings are every pool's, wherever they were called.
    for pool in &pools {
        assert_eq!(pool.leeway(), Duration::from_secs(5));
        assert_eq!(pool.realm(), "orders");
        assert_eq!(pool.pool_count(), 1);
    }
    // A pool starts from the defaults: its token use and clients are its own to give.
    assert!(matches!(
        base().and_pool(POOL_B).client_id("x").build(),
        Err(ConfigError::MissingTokenUse)
    ));
    assert!(matches!(
        base().and_pool(POOL_B).token_use(TokenUse::Id).build(),
        Err(ConfigError::MissingClientId)
    ));
    assert!(matches!(
        base()
            .and_pool(POOL_A)
            .allow_any_client()
            .token_use(TokenUse::Id)
            .build(),
        Err(ConfigError::DuplicatePool(pool)) if pool == POOL_A
    ));
    assert!(matches!(
        base().and_pool("not a pool").build(),
        Err(ConfigError::InvalidUserPoolId(_))
    ));
}

/// Both pools for access tokens, each with its own app client and keys.
fn two_access_pools(a: &LocalIssuer, b: &LocalIssuer) -> CognitoAuthLayer {
    let config = a
        .config()
        .token_use(TokenUse::Access)
        .and_pool(b.user_pool_id())
        .client_id(b.client_id())
        .token_use(TokenUse::Access)
        .build()
        .unwrap();
    CognitoAuthLayer::builder(config)
        .static_key_sets(|pool| {
            Some(if pool.user_pool_id() == a.user_pool_id() {
                a.key_set()
            } else {
                b.key_set()
            })
        })
        .build()
        .unwrap()
}

/// Status, error kind and challenge of one request with `token` through the layer and a guard
/// for `require` (with a gRPC `content-type` when `grpc`: then the `grpc-status` for the status).
async fn guarded(
    auth: &CognitoAuthLayer,
    require: Require,
    token: &str,
    grpc: bool,
) -> (String, Option<ErrorKind>, Option<String>) {
    let svc = tower::ServiceBuilder::new()
        .layer(auth.require(require))
        .service_fn(|_: http::Request<()>| async {
            Ok::<_, std::convert::Infallible>(http::Response::new(String::new()))
        });
    let mut request = http::Request::post("/").header("authorization", format!("Bearer {token}"));
    if grpc {
        request = request.header("content-type", "application/grpc");
    }
    let response = svc.oneshot(request.body(()).unwrap()).await.unwrap();
    let status = match response.headers().get("grpc-status") {
        Some(grpc) => format!("grpc {}", grpc.to_str().unwrap()),
        None => response.status().as_str().to_owned(),
    };
    let kind = response.extensions().get::<Error>().map(Error::kind);
    let challenge = response
        .headers()
        .get("www-authenticate")
        .map(|v| v.to_str().unwrap().to_owned());
    (status, kind, challenge)
}

#[tokio::test]
async fn a_guard_bound_to_a_pool_refuses_the_same_group_of_another_pool() {
    let (a, b) = issuers();
    let auth = two_access_pools(&a, &b);
    let admin = |issuer: &LocalIssuer| {
        issuer
            .token()
            .claim("cognito:groups", json!(["admins"]))
            .build()
    };
    let (admin_a, admin_b) = (admin(&a), admin(&b));
    let user_a = a.token().claim("cognito:groups", json!(["users"])).build();
    let admins = || Require::groups_any(["admins"]).unwrap();
    let admins_of = |pool: &str| admins().in_pool(pool).unwrap();
    let other_pool = Some(
        r#"Bearer realm="api", error="insufficient_scope", error_description="the token is of another user pool""#
            .to_owned(),
    );
    let ok = ("200".to_owned(), None, None);
    let refused = (
        "403".to_owned(),
        Some(ErrorKind::OtherPool),
        other_pool.clone(),
    );

    // Each pool's admins on their own pool's route, never on the other's.
    assert_eq!(guarded(&auth, admins_of(POOL_A), &admin_a, false).await, ok);
    assert_eq!(guarded(&auth, admins_of(POOL_B), &admin_b, false).await, ok);
    assert_eq!(
        guarded(&auth, admins_of(POOL_B), &admin_a, false).await,
        refused
    );
    assert_eq!(
        guarded(&auth, admins_of(POOL_A), &admin_b, false).await,
        refused
    );
    // The pool is checked first: another pool's non-member is told the pool, not the group.
    let user_b = b.token().claim("cognito:groups", json!(["users"])).build();
    assert_eq!(
        guarded(&auth, admins_of(POOL_A), &user_b, false).await,
        refused
    );
    // The right pool, not in the group.
    let (status, kind, _) = guarded(&auth, admins_of(POOL_A), &user_a, false).await;
    assert_eq!(
        (status.as_str(), kind),
        ("403", Some(ErrorKind::MissingGroup))
    );
    // gRPC: PERMISSION_DENIED, with the same challenge.
    assert_eq!(
        guarded(&auth, admins_of(POOL_B), &admin_a, true).await,
        (
            "grpc 7".to_owned(),
            Some(ErrorKind::OtherPool),
            other_pool.clone()
        )
    );
    // A pool alone: any user of it.
    assert_eq!(
        guarded(&auth, Require::pool(POOL_A).unwrap(), &user_a, false).await,
        ok
    );
    assert_eq!(
        guarded(&auth, Require::pool(POOL_A).unwrap(), &admin_b, false).await,
        refused
    );

    // Unbound, as documented: the admins of every configured pool.
    assert_eq!(guarded(&auth, admins(), &admin_a, false).await, ok);
    assert_eq!(guarded(&auth, admins(), &admin_b, false).await, ok);
}

#[test]
fn a_pool_guard_takes_a_user_pool_id() {
    for bad in [
        "",
        "eu-west-1",
        "_x",
        "eu west-1_x",
        "eu-west-1_x!",
        "https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_X",
    ] {
        assert_eq!(
            Require::pool(bad).unwrap_err(),
            GuardError::InvalidUserPoolId(bad.to_owned()),
            "{bad:?}"
        );
        assert!(Require::scopes_any(["a"]).unwrap().in_pool(bad).is_err());
    }
    assert!(Require::pool(POOL_A).is_ok());
}

/// Waits (yielding, paused time still) until pool `pool` of `layer` holds a key `kid`.
async fn until_indexed(layer: &CognitoAuthLayer, pool: usize, kid: &str) {
    until(&format!("pool {pool} holds {kid}"), || {
        layer.pools()[pool].key_set.contains(kid)
    })
    .await;
}

/// Unknown-`kid` refetches asked of each pool's refresher.
fn nudges(layer: &CognitoAuthLayer) -> Vec<u64> {
    layer
        .status()
        .pools
        .iter()
        .map(|pool| pool.unknown_kid_refetches)
        .collect()
}

/// A key rotation in pool B: its new `kid` is no pool's yet, so the top-level `iss` picks the
/// pool whose refresher the first token nudges, B's and only B's; once B's refetch swapped the
/// set in, the token is accepted. A token with the new `kid` whose `iss` the scan does not reach
/// (a user in 100 groups) nudges nothing and is refused until then, and accepted after.
#[tokio::test(start_paused = true)]
async fn a_new_key_of_one_pool_nudges_that_pools_refresher_only() {
    let a = issuer_with(POOL_A, CLIENT_A, "pool-a-key-1");
    let b = issuer_with(POOL_B, CLIENT_B, "pool-b-key-1");
    let layer = CognitoAuthLayer::builder(two_pools(&a, &b))
        .jwks_sources(|pool| Some(source_of(pool, &a, &b)))
        .build()
        .unwrap();
    until_indexed(&layer, 0, "pool-a-key-1").await;
    until_indexed(&layer, 1, "pool-b-key-1").await;
    assert_eq!(answer(&layer, &b.id_token()).await.status, 200);

    let new_kid = b.rotate().unwrap();
    let fresh = b.id_token();
    let (at, payload) = cognito_order(b.id_claims(), long_groups(100));
    assert!(at > 2_048, "{at}");
    let late = b.token().raw_payload(payload).build();
    // Unknown to every pool, its `iss` out of the scan's reach, or its header not in the form
    // issuers write (here with a `typ`: the payload is not read after a header the full path
    // had to parse): 401, nobody nudged.
    let typed = b.id_token_builder().header("typ", "JWT").build();
    for token in [&late, &typed] {
        assert_eq!(
            answer(&layer, token).await.status_kind(),
            (401, Some(ErrorKind::UnknownKeyId))
        );
    }
    assert_eq!(nudges(&layer), [0, 0]);
    // Its `iss` names B: 401, B's refresher nudged, A's not.
    assert_eq!(
        answer(&layer, &fresh).await.status_kind(),
        (401, Some(ErrorKind::UnknownKeyId))
    );
    assert_eq!(nudges(&layer), [0, 1]);
    // The refetch, at the end of B's cooldown: both tokens now go to B by their `kid`.
    tokio::time::advance(CognitoConfig::DEFAULT_UNKNOWN_KID_COOLDOWN).await;
    until_indexed(&layer, 1, &new_kid).await;
    for token in [&fresh, &late, &typed] {
        let got = answer(&layer, token).await;
        assert_eq!(got.status, 200, "{got:?}");
        assert_eq!(got.claims.unwrap().user_pool_id(), Some(POOL_B));
    }
    assert_eq!(answer(&layer, &a.access_token()).await.status, 200);
    assert_eq!(nudges(&layer), [0, 1]);
}

/// Two pools given one key set (a configuration can do it; real Cognito pools never share a
/// key): their shared `kid` names no single pool, so the top-level `iss` does (for a header in
/// the form issuers write), and each pool's own rules then apply. A token of that key claiming a
/// pool the layer does not have, or none, is refused.
#[tokio::test]
async fn pools_that_share_a_key_set_are_told_apart_by_iss() {
    let (a, b) = distinct_issuers();
    let config = a
        .config()
        .token_use(TokenUse::Access)
        .and_pool(b.user_pool_id())
        .client_id(b.client_id())
        .token_use(TokenUse::Id)
        .build()
        .unwrap();
    let layer = CognitoAuthLayer::builder(config)
        .static_key_sets(|_| Some(a.key_set()))
        .build()
        .unwrap();
    // A's key signs for both pools.
    let got = answer(&layer, &a.access_token()).await;
    assert_eq!(got.claims.unwrap().user_pool_id(), Some(POOL_A));
    let mut as_b = b.id_claims();
    as_b.insert("iss".into(), json!(b.issuer()));
    let got = answer(&layer, &a.sign(&as_b)).await;
    assert_eq!(got.status, 200, "{got:?}");
    assert_eq!(got.claims.unwrap().user_pool_id(), Some(POOL_B));
    // Each pool's rules: an access token claiming B (which takes ID tokens only).
    let mut access_as_b = a.access_claims();
    access_as_b.insert("iss".into(), json!(b.issuer()));
    access_as_b.insert("client_id".into(), json!(CLIENT_B));
    assert_eq!(
        answer(&layer, &a.sign(&access_as_b)).await.status_kind(),
        (401, Some(ErrorKind::TokenUseNotAccepted))
    );
    // A header the full path had to parse (here with a `typ`): the payload is not read, so the
    // shared `kid` names no pool.
    let typed = a.token().header("typ", "JWT").build();
    assert_eq!(
        answer(&layer, &typed).await.status_kind(),
        (401, Some(ErrorKind::InvalidIssuer))
    );
    // No configured issuer, none at all, or one nested only: no pool.
    let mut unknown = a.access_claims();
    unknown.insert(
        "iss".into(),
        json!("https://cognito-idp.ap-south-1.amazonaws.com/ap-south-1_Unknown9"),
    );
    let mut nested = a.access_claims();
    let iss = nested.remove("iss").unwrap();
    nested.insert("meta".into(), json!({ "iss": iss }));
    for claims in [unknown, nested] {
        assert_eq!(
            answer(&layer, &a.sign(&claims)).await.status_kind(),
            (401, Some(ErrorKind::InvalidIssuer))
        );
    }
}

/// The JWKS of an issuer's signing key published under a name of the test's choosing: renaming
/// it is a rotation (a new `kid`, the old one withdrawn), with no key to generate.
#[derive(Clone)]
struct Renamed {
    issuer: LocalIssuer,
    kid: Arc<std::sync::Mutex<String>>,
}

impl Renamed {
    fn new(issuer: &LocalIssuer, kid: &str) -> Self {
        Self {
            issuer: issuer.clone(),
            kid: Arc::new(std::sync::Mutex::new(kid.to_owned())),
        }
    }

    fn rename(&self, kid: &str) {
        *self.kid.lock().unwrap() = kid.to_owned();
    }

    /// A token of `payload` whose header names `kid`, signed by the key.
    fn token(&self, kid: &str, payload: &str) -> String {
        self.issuer
            .token()
            .header("kid", kid)
            .raw_payload(payload)
            .build()
    }
}

impl JwksSource for Renamed {
    async fn fetch(&self, _max_size: usize) -> Result<Vec<u8>, FetchError> {
        let mut jwks = self.issuer.jwks();
        jwks["keys"][0]["kid"] = json!(*self.kid.lock().unwrap());
        Ok(jwks.to_string().into_bytes())
    }
}

/// Each token accepted by the layer, by the pool named with it.
async fn each_by_its_pool(layer: &CognitoAuthLayer, tokens: [(String, &str); 2]) {
    for (token, pool) in tokens {
        let got = answer(layer, &token).await;
        assert_eq!(got.status, 200, "{pool}: {got:?}");
        assert_eq!(got.claims.unwrap().user_pool_id(), Some(pool));
    }
}

/// The `kid` index follows every swap of every pool, whichever swaps first or both at once: after
/// each, a token of each current key is accepted by its own pool even when its `iss` is out of the
/// scan's reach (a user in 100 groups, so the index alone routes it), and a withdrawn key is
/// refused. Swaps driven by renaming each pool's key in memory and nudging its refresher; paused
/// time, no sleep.
#[tokio::test(start_paused = true)]
async fn the_kid_index_follows_every_swap_of_every_pool() {
    let (a, b) = distinct_issuers();
    let (ra, rb) = (Renamed::new(&a, "a-0"), Renamed::new(&b, "b-0"));
    let sources = [ra.clone(), rb.clone()];
    let layer = CognitoAuthLayer::builder(two_pools(&a, &b))
        .jwks_sources(|pool| Some(sources[usize::from(pool.user_pool_id() == POOL_B)].clone()))
        .build()
        .unwrap();
    until_indexed(&layer, 0, "a-0").await;
    until_indexed(&layer, 1, "b-0").await;
    let (_, a_late) = cognito_order(a.access_claims(), long_groups(100));
    let (_, b_late) = cognito_order(b.id_claims(), long_groups(100));
    let a_plain = serde_json::to_string(&a.access_claims()).unwrap();
    let b_plain = serde_json::to_string(&b.id_claims()).unwrap();
    let accepted = |kids: [&str; 2]| {
        [
            (ra.token(kids[0], &a_late), POOL_A),
            (rb.token(kids[1], &b_late), POOL_B),
        ]
    };
    each_by_its_pool(&layer, accepted(["a-0", "b-0"])).await;

    // (A alone, B alone, both at once) twice over.
    let (mut ka, mut kb) = ("a-0".to_owned(), "b-0".to_owned());
    for round in 1..=6 {
        let (swap_a, swap_b) = match round % 3 {
            1 => (true, false),
            2 => (false, true),
            _ => (true, true),
        };
        let old = (ka.clone(), kb.clone());
        if swap_a {
            ka = format!("a-{round}");
            ra.rename(&ka);
            // The first token with the new `kid` names A in its `iss`: A's refresher is nudged.
            assert_eq!(
                answer(&layer, &ra.token(&ka, &a_plain)).await.status_kind(),
                (401, Some(ErrorKind::UnknownKeyId))
            );
        }
        if swap_b {
            kb = format!("b-{round}");
            rb.rename(&kb);
            assert_eq!(
                answer(&layer, &rb.token(&kb, &b_plain)).await.status_kind(),
                (401, Some(ErrorKind::UnknownKeyId))
            );
        }
        tokio::time::advance(CognitoConfig::DEFAULT_UNKNOWN_KID_COOLDOWN).await;
        until_indexed(&layer, 0, &ka).await;
        until_indexed(&layer, 1, &kb).await;
        each_by_its_pool(&layer, accepted([&ka, &kb])).await;
        if swap_a {
            assert_eq!(
                answer(&layer, &ra.token(&old.0, &a_plain))
                    .await
                    .status_kind(),
                (401, Some(ErrorKind::UnknownKeyId))
            );
        }
        if swap_b {
            assert_eq!(
                answer(&layer, &rb.token(&old.1, &b_plain))
                    .await
                    .status_kind(),
                (401, Some(ErrorKind::UnknownKeyId))
            );
        }
    }
}
