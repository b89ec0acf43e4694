//! Several user pools in one layer: each token verified by its own pool (picked by `iss`), with
//! that pool's app clients, token use and key set; one pool's JWKS outage answers 503 for its
//! tokens only. Paused tokio time for the refreshers; every clock fixed at `NOW`.

use std::sync::{Arc, OnceLock};
use std::time::Duration;

use serde_json::json;
use tower::ServiceExt as _;
use tower_cognito::test_util::{JwksResponse, LocalIssuer};
use tower_cognito::{
    AcceptTokenUse, CognitoAuthLayer, CognitoConfig, ConfigError, Error, ErrorKind, FixedClock,
    GuardError, Require, StartError,
};

use crate::support::answer;
use crate::support::tokens::{NOW, POOL_B};

const POOL_A: &str = "eu-west-1_PoolA1";
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

/// Pool A accepts access tokens of its client; pool B, ID tokens of its own.
fn two_pools(a: &LocalIssuer, b: &LocalIssuer) -> CognitoConfig {
    a.config()
        .token_use(AcceptTokenUse::Access)
        .and_pool(b.user_pool_id())
        .client_id(b.client_id())
        .token_use(AcceptTokenUse::Id)
        .jwks_url(
            b.config()
                .token_use(AcceptTokenUse::Id)
                .build()
                .unwrap()
                .jwks_url(),
        )
        .build()
        .unwrap()
}

/// The layer over both issuers' current keys, never refreshed.
fn static_layer(a: &LocalIssuer, b: &LocalIssuer) -> CognitoAuthLayer {
    CognitoAuthLayer::with_key_sets(two_pools(a, b), |pool| {
        Some(if pool.user_pool_id() == a.user_pool_id() {
            a.key_set()
        } else {
            b.key_set()
        })
    })
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

#[tokio::test]
async fn the_top_level_iss_is_looked_for_within_bounds() {
    let (a, b) = issuers();
    let layer = static_layer(&a, &b);
    let one_pool = CognitoAuthLayer::with_key_set(
        a.config()
            .token_use(AcceptTokenUse::Access)
            .build()
            .unwrap(),
        a.key_set(),
    )
    .unwrap();
    // Cognito writes `sub`, `cognito:groups`, `iss`, then the other claims.
    let with_groups = |names: Vec<String>| {
        let mut claims = a.access_claims();
        let mut members = vec![("sub", claims.remove("sub").unwrap())];
        members.push(("cognito:groups", json!(names)));
        members.push(("iss", claims.remove("iss").unwrap()));
        claims.remove("cognito:groups");
        let rest: Vec<(String, serde_json::Value)> = claims.into_iter().collect();
        members.extend(rest.iter().map(|(n, v)| (n.as_str(), v.clone())));
        let payload = ordered(&members);
        (
            payload.find(r#""iss":"#).unwrap(),
            a.token().raw_payload(payload).build(),
        )
    };
    let long = |n: usize| (0..n).map(|i| format!("tenant-{i:04}-readers")).collect();
    let short = |n: usize| (0..n).map(|i| format!("g{i}")).collect();
    // 40 long group names (`iss` about 1 KB into the payload), 85 short ones (180 quotes and
    // brackets before it): routed.
    let (at, token) = with_groups(long(40));
    assert!((800..1_900).contains(&at), "{at}");
    assert_eq!(answer(&layer, &token).await.status, 200);
    let (at, token) = with_groups(short(85));
    assert!(at < 1_024, "{at}");
    assert_eq!(answer(&layer, &token).await.status, 200);
    // 100 long ones put it past the first 2 KiB, 100 short ones past 192 quotes and brackets:
    // not routed by a layer of several pools (a layer of one reads nothing of the payload before
    // the signature and accepts both).
    let (at, token) = with_groups(long(100));
    assert!(at > 2_048, "{at}");
    let (at, short_token) = with_groups(short(100));
    assert!(at < 2_048, "{at}");
    for token in [token, short_token] {
        assert_eq!(
            answer(&layer, &token).await.status_kind(),
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
    // `new` waits for every pool and names the one without keys.
    let waited =
        CognitoAuthLayer::new_with_sources(config.clone(), |pool| Some(source_of(pool, &a, &b)))
            .await;
    match waited {
        Err(StartError::NoKeys { user_pool_id, .. }) => assert_eq!(user_pool_id, POOL_B),
        other => panic!("expected NoKeys for pool B, got {other:?}"),
    }

    let layer =
        CognitoAuthLayer::lazy_with_sources(config, |pool| Some(source_of(pool, &a, &b))).unwrap();
    // Bounded: A's first fetch is immediate.
    for _ in 0..100 {
        if !layer.key_sets()[0].1.is_empty() {
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
    assert!(!layer.readiness().is_ready());
    assert_eq!(layer.readiness().keys, 0);

    // B's endpoint comes back: its refresher retries with backoff (bounded wait, paused time).
    b.respond_with(JwksResponse::Keys);
    for _ in 0..600 {
        if !layer.key_sets()[1].1.is_empty() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    assert_eq!(answer(&layer, &b.id_token()).await.status, 200);
    assert_eq!(answer(&layer, &a.access_token()).await.status, 200);
    assert!(layer.readiness().is_ready());
    let stats = layer.pool_refresh_stats();
    assert_eq!(stats.len(), 2);
    assert_eq!(stats[1].0, POOL_B);
    assert!(stats[1].1.failures >= 1, "{stats:?}");
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
        CognitoAuthLayer::with_key_set(config.clone(), a.key_set()),
        Err(StartError::SourcePerPool { pools: 2 })
    ));
    assert!(matches!(
        CognitoAuthLayer::lazy_with_source(config.clone(), a.clone()),
        Err(StartError::SourcePerPool { pools: 2 })
    ));
    assert!(matches!(
        CognitoAuthLayer::new_with_source(config, a.clone()).await,
        Err(StartError::SourcePerPool { pools: 2 })
    ));
}

#[test]
fn pool_settings_are_per_pool() {
    let base = || {
        CognitoConfig::builder(POOL_A)
            .client_id("clientofpoola")
            .token_use(AcceptTokenUse::Access)
            .leeway(Duration::from_secs(5))
            .max_key_age(Duration::from_secs(7200))
    };
    let config = base()
        .and_pool(POOL_B)
        .client_ids(["one", "two"])
        .token_use(AcceptTokenUse::Any)
        .refresh_interval(Duration::from_secs(60))
        .realm("orders")
        .build()
        .unwrap();
    assert_eq!(config.pool_count(), 2);
    let pools: Vec<CognitoConfig> = config.pools().collect();
    assert_eq!(pools[0].user_pool_id(), POOL_A);
    assert_eq!(pools[0].token_use(), AcceptTokenUse::Access);
    assert_eq!(
        pools[0].refresh_interval(),
        CognitoConfig::DEFAULT_REFRESH_INTERVAL
    );
    assert_eq!(pools[1].user_pool_id(), POOL_B);
    assert_eq!(pools[1].token_use(), AcceptTokenUse::Any);
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
        base()
            .and_pool(POOL_B)
            .token_use(AcceptTokenUse::Id)
            .build(),
        Err(ConfigError::MissingClientId)
    ));
    assert!(matches!(
        base()
            .and_pool(POOL_A)
            .allow_any_client()
            .token_use(AcceptTokenUse::Id)
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
        .token_use(AcceptTokenUse::Access)
        .and_pool(b.user_pool_id())
        .client_id(b.client_id())
        .token_use(AcceptTokenUse::Access)
        .build()
        .unwrap();
    CognitoAuthLayer::with_key_sets(config, |pool| {
        Some(if pool.user_pool_id() == a.user_pool_id() {
            a.key_set()
        } else {
            b.key_set()
        })
    })
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
