//! Verification cost as ratios to the floor: one RSA-2048 PKCS#1 v1.5 SHA-256 verify with aws-lc-rs
//! and a pre-parsed public key, on the same signing input. One criterion group, one run.
//!
//! `cargo bench --bench verify --features test-util`, then `python3 benches/ratios.py`.

#![allow(clippy::unwrap_used, clippy::indexing_slicing)]

#[path = "setup/cases.rs"]
mod cases;
mod setup;

use std::convert::Infallible;
use std::hint::black_box;

use aws_lc_rs::signature::RSA_PKCS1_2048_8192_SHA256;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use criterion::{Criterion, criterion_group, criterion_main};
use tower::Layer;
use tower_cognito::test_util::LocalIssuer;
use tower_cognito::{CognitoAuthLayer, Require, Verifier, deny::DenyList, guard::GuardLayer};

use setup::{Floor, Layers, bench_floor, bench_jsonwebtoken, bench_oneshot, status};

/// An application claims type, filled from the same parse as the Cognito claims.
#[derive(serde::Deserialize)]
struct Tenant {
    #[serde(rename = "custom:tenant")]
    #[allow(dead_code)]
    tenant: String,
}

fn bench(c: &mut Criterion) {
    let issuer = LocalIssuer::new().unwrap();
    let config = issuer.config().any_token_use();
    let keys = issuer.key_set();
    let verifier = Verifier::new(&config.clone().build().unwrap());
    let now = issuer.now();
    let access = issuer.access_token();
    let id = issuer.id_token();

    // An access token with a custom attribute, verified with `E = ()` and with an application
    // claims type that reads it: the cost of `extra_claims::<E>()`.
    let with_tenant = issuer.token().claim("custom:tenant", "acme").build();

    let floor = Floor::new(&issuer.jwks(), &access);
    let (decoding, validation) = floor.jsonwebtoken(issuer.issuer());

    let kid = issuer.kid();
    let unknown_kid = issuer.sign_with_kid(
        &kid,
        br#"{"kid":"no-such-key","alg":"RS256"}"#,
        serde_json::Value::Object(issuer.access_claims())
            .to_string()
            .as_bytes(),
    );
    let wrong_alg = {
        let (_, rest) = access.split_once('.').unwrap();
        format!(
            "{}.{rest}",
            URL_SAFE_NO_PAD.encode(format!(r#"{{"kid":"{kid}","alg":"HS256"}}"#))
        )
    };

    // The hostile header under the default token cap, and the same header with a token eight
    // times that cap and a verifier that accepts it: the caps keep the cost.
    let hostile = cases::adversarial_header(&kid, 8 * 1024);
    let hostile_8x = cases::adversarial_header(&kid, 64 * 1024);
    let verifier_8x = Verifier::new(&config.clone().max_token_size(64 * 1024).build().unwrap());
    for (v, token) in [(&verifier, &hostile), (&verifier_8x, &hostile_8x)] {
        assert_eq!(
            v.verify(token, &keys, now).unwrap_err().kind(),
            tower_cognito::ErrorKind::InvalidType
        );
    }

    // Several pools: a hostile payload with a `kid` no pool holds, which a layer of 100 pools
    // reads for its top-level `iss` (the first 2 KiB only) and refuses before the signature,
    // under the default token cap and under eight times that cap. Every shape is refused so; the
    // row is the costliest.
    let pools_default = setup::hundred_pools(&issuer, config.clone().token_cache_size(0));
    let pools_8x = setup::hundred_pools(
        &issuer,
        config.clone().token_cache_size(0).max_token_size(64 * 1024),
    );
    let unknown = cases::cognito_header(cases::UNKNOWN_KID);
    for shape in cases::PAYLOAD_SHAPES {
        for (layer, cap) in [(&pools_default, 8 * 1024), (&pools_8x, 64 * 1024)] {
            let token = cases::adversarial_payload(&issuer, &unknown, shape, cap);
            assert_eq!(
                layer.verify(&token).unwrap_err().kind(),
                tower_cognito::ErrorKind::UnknownKeyId,
                "{shape}"
            );
        }
    }
    let worst =
        |header: &str, cap| cases::adversarial_payload(&issuer, header, cases::WORST_PAYLOAD, cap);
    let hostile_payload = worst(&unknown, 8 * 1024);
    let hostile_payload_8x = worst(&unknown, 64 * 1024);
    // The same tokens in four segments: the layer's scans of the token, before any routing.
    let malformed = cases::four_segments(&hostile_payload);
    let malformed_8x = cases::four_segments(&hostile_payload_8x);
    for (layer, token) in [(&pools_default, &malformed), (&pools_8x, &malformed_8x)] {
        assert_eq!(
            layer.verify(token).unwrap_err().kind(),
            tower_cognito::ErrorKind::Malformed
        );
    }
    // A known `kid` (no scan), the payload decoded whole and refused before the signature; and
    // the costliest valid header with an unknown `kid`, over the costliest payload.
    let known_kid = cases::bad_last_payload_char(&worst(&cases::cognito_header(&kid), 8 * 1024));
    let costly_header = worst(&cases::costly_header(cases::UNKNOWN_KID, "JWT"), 8 * 1024);
    for (token, kind) in [
        (&known_kid, tower_cognito::ErrorKind::Malformed),
        (&costly_header, tower_cognito::ErrorKind::UnknownKeyId),
    ] {
        assert_eq!(pools_default.verify(token).unwrap_err().kind(), kind);
    }

    // Payloads of many unknown claims (after the signature): duplicate detection and the claims
    // parse must grow linearly. 1 000 and 8 000 members, signed, under a 1 MiB token cap.
    let members_1k = cases::many_claims(&issuer, 1_000);
    let members_8k = cases::many_claims(&issuer, 8_000);
    let verifier_1mib = Verifier::new(&config.clone().max_token_size(1 << 20).build().unwrap());
    for token in [&members_1k, &members_8k] {
        verifier_1mib.verify(token, &keys, now).unwrap();
    }

    // The scope and group guard alone, over a request that already carries the claims (as behind
    // the layer): its cost is the case minus `oneshot_without_guard`, the same request through the
    // bare inner service. The refusal names a required scope, the most it writes.
    let claims = CognitoAuthLayer::builder(config.clone().build().unwrap())
        .static_keys(issuer.key_set())
        .build()
        .unwrap()
        .verify(&access)
        .unwrap();
    let claims_request = move || {
        let mut req = http::Request::new(());
        req.extensions_mut().insert(claims.clone());
        req
    };

    let inner = tower::service_fn(|_req: http::Request<()>| async {
        Ok::<_, Infallible>(http::Response::new(String::new()))
    });
    let Layers {
        cached: mut with_layer,
        uncached: mut with_uncached_layer,
        uncached_100_pools: mut with_100_pools,
    } = Layers::new(&issuer, config, inner);
    let mut without_layer = inner;
    let mut guard_pass = GuardLayer::new(
        Require::scopes_all(["aws.cognito.signin.user.admin"])
            .unwrap()
            .and(Require::groups_any(["admins", "users"]).unwrap()),
    )
    .layer(inner);
    let mut guard_reject =
        GuardLayer::new(Require::scopes_all(["orders/read", "orders/write"]).unwrap()).layer(inner);
    let mut without_guard = inner;
    // The step-up guard (RFC 9470) as a layer makes it (`auth.guard`: the layer's clock, read
    // once, and counters): a recent sign-in at a high enough level with MFA, admitted; the same
    // rules on a sign-in two hours old at level 1, refused with both `acr_values` and `max_age`.
    let step_up_auth = CognitoAuthLayer::builder(issuer.config().any_token_use().build().unwrap())
        .static_keys(issuer.key_set())
        .build()
        .unwrap();
    let step_up_claims = |auth_time: u64, acr: &str| {
        let token = issuer
            .token()
            .claim("auth_time", auth_time)
            .claim("acr", acr)
            .claim("amr", serde_json::json!(["pwd", "otp", "mfa"]))
            .build();
        let claims = step_up_auth.verify(&token).unwrap();
        move || {
            let mut req = http::Request::new(());
            req.extensions_mut().insert(claims.clone());
            req
        }
    };
    let step_up_ok_request = step_up_claims(now, "urn:cognito:loa:3");
    let step_up_old_request = step_up_claims(now - 7200, "urn:cognito:loa:1");
    let step_up = || {
        Require::max_age(std::time::Duration::from_secs(3600))
            .and(
                Require::acr_at_least(
                    [
                        "urn:cognito:loa:1",
                        "urn:cognito:loa:2",
                        "urn:cognito:loa:3",
                    ],
                    "urn:cognito:loa:2",
                )
                .unwrap(),
            )
            .and(Require::amr_all(["mfa"]).unwrap())
    };
    let mut step_up_pass = step_up_auth.guard(step_up()).layer(inner);
    let mut step_up_reject = step_up_auth.guard(step_up()).layer(inner);
    assert_eq!(status(&mut step_up_pass, step_up_ok_request()), 200);
    assert_eq!(status(&mut step_up_reject, step_up_old_request()), 401);
    assert_eq!(status(&mut guard_pass, claims_request()), 200);
    assert_eq!(status(&mut guard_reject, claims_request()), 403);
    let request = setup::bearer_requests(&access);
    assert_eq!(status(&mut with_uncached_layer, request()), 200);
    assert_eq!(status(&mut with_100_pools, request()), 200);
    assert_eq!(status(&mut with_layer, request()), 200);
    assert_eq!(status(&mut without_layer, request()), 200);

    let mut g = c.benchmark_group("verify");
    bench_floor(&mut g, &floor);
    let Floor {
        components,
        signing_input,
        sig,
        ..
    } = &floor;
    g.bench_function("rsa_verify_rebuilt_key", |b| {
        b.iter(|| {
            components
                .verify(
                    &RSA_PKCS1_2048_8192_SHA256,
                    black_box(signing_input.as_bytes()),
                    black_box(sig),
                )
                .unwrap()
        })
    });
    bench_jsonwebtoken(&mut g, &access, &decoding, &validation);
    g.bench_function("verify_access", |b| {
        b.iter(|| verifier.verify(black_box(&access), &keys, now).unwrap())
    });
    g.bench_function("verify_id", |b| {
        b.iter(|| verifier.verify(black_box(&id), &keys, now).unwrap())
    });
    g.bench_function("verify_tenant_token", |b| {
        b.iter(|| {
            verifier
                .verify(black_box(&with_tenant), &keys, now)
                .unwrap()
        })
    });
    g.bench_function("verify_tenant_token_extra_claims", |b| {
        b.iter(|| {
            verifier
                .verify_as::<Tenant>(black_box(&with_tenant), &keys, now)
                .unwrap()
        })
    });
    g.bench_function("reject_malformed", |b| {
        b.iter(|| {
            verifier
                .verify(black_box("not-a-token"), &keys, now)
                .unwrap_err()
        })
    });
    g.bench_function("reject_unknown_kid", |b| {
        b.iter(|| {
            verifier
                .verify(black_box(&unknown_kid), &keys, now)
                .unwrap_err()
        })
    });
    g.bench_function("reject_wrong_alg", |b| {
        b.iter(|| {
            verifier
                .verify(black_box(&wrong_alg), &keys, now)
                .unwrap_err()
        })
    });
    g.bench_function("reject_adversarial_header", |b| {
        b.iter(|| {
            verifier
                .verify(black_box(&hostile), &keys, now)
                .unwrap_err()
        })
    });
    g.bench_function("reject_adversarial_header_8x_cap", |b| {
        b.iter(|| {
            verifier_8x
                .verify(black_box(&hostile_8x), &keys, now)
                .unwrap_err()
        })
    });
    g.bench_function("reject_adversarial_payload_100_pools", |b| {
        b.iter(|| {
            pools_default
                .verify(black_box(&hostile_payload))
                .unwrap_err()
        })
    });
    g.bench_function("reject_adversarial_payload_100_pools_8x_cap", |b| {
        b.iter(|| pools_8x.verify(black_box(&hostile_payload_8x)).unwrap_err())
    });
    g.bench_function("reject_malformed_100_pools", |b| {
        b.iter(|| pools_default.verify(black_box(&malformed)).unwrap_err())
    });
    g.bench_function("reject_malformed_100_pools_8x_cap", |b| {
        b.iter(|| pools_8x.verify(black_box(&malformed_8x)).unwrap_err())
    });
    g.bench_function("reject_known_kid_payload_100_pools", |b| {
        b.iter(|| pools_default.verify(black_box(&known_kid)).unwrap_err())
    });
    g.bench_function("reject_costly_header_and_payload_100_pools", |b| {
        b.iter(|| pools_default.verify(black_box(&costly_header)).unwrap_err())
    });
    g.bench_function("verify_payload_1k_members", |b| {
        b.iter(|| {
            verifier_1mib
                .verify(black_box(&members_1k), &keys, now)
                .unwrap()
        })
    });
    g.bench_function("verify_payload_8k_members", |b| {
        b.iter(|| {
            verifier_1mib
                .verify(black_box(&members_8k), &keys, now)
                .unwrap()
        })
    });
    bench_oneshot(&mut g, "oneshot_with_layer", &mut with_layer, &request);
    bench_oneshot(
        &mut g,
        "oneshot_with_layer_uncached",
        &mut with_uncached_layer,
        &request,
    );
    bench_oneshot(
        &mut g,
        "oneshot_with_layer_uncached_100_pools",
        &mut with_100_pools,
        &request,
    );
    bench_oneshot(
        &mut g,
        "oneshot_without_layer",
        &mut without_layer,
        &request,
    );
    bench_oneshot(&mut g, "guard_pass", &mut guard_pass, &claims_request);
    bench_oneshot(&mut g, "guard_reject", &mut guard_reject, &claims_request);
    bench_oneshot(
        &mut g,
        "guard_step_up_pass",
        &mut step_up_pass,
        &step_up_ok_request,
    );
    bench_oneshot(
        &mut g,
        "guard_step_up_reject",
        &mut step_up_reject,
        &step_up_old_request,
    );
    bench_oneshot(
        &mut g,
        "oneshot_without_guard",
        &mut without_guard,
        &claims_request,
    );

    // The request path's counting and revocation check, next to the cheapest path they sit on
    // (a cache hit): the counting is two relaxed increments (outcome, cache hit); the deny-list
    // check one swap-load and two hash lookups in a list of 1 000 other sessions.
    let config = issuer.config().any_token_use();
    let hit_layer = CognitoAuthLayer::builder(config.clone().build().unwrap())
        .static_keys(issuer.key_set())
        .build()
        .unwrap();
    let deny = DenyList::new();
    for i in 0..1_000 {
        deny.revoke(&format!("other-session-{i}"), now + 3600);
    }
    let deny_layer = CognitoAuthLayer::builder(config.clone().build().unwrap())
        .static_keys(issuer.key_set())
        .deny_list(deny)
        .build()
        .unwrap();
    // A list past 4096 entries, written one revocation at a time: its recent entries and the
    // rest are two maps, and a lookup that finds nothing probes both.
    let large = DenyList::new();
    for i in 0..100_000 {
        large.revoke(&format!("other-session-{i}"), now + 3600);
    }
    let large_layer = CognitoAuthLayer::builder(config.clone().build().unwrap())
        .static_keys(issuer.key_set())
        .deny_list(large)
        .build()
        .unwrap();
    hit_layer.verify(&access).unwrap();
    deny_layer.verify(&access).unwrap();
    large_layer.verify(&access).unwrap();
    g.bench_function("layer_verify_cache_hit", |b| {
        b.iter(|| hit_layer.verify(black_box(&access)).unwrap())
    });
    g.bench_function("layer_verify_cache_hit_deny_list_1k", |b| {
        b.iter(|| deny_layer.verify(black_box(&access)).unwrap())
    });
    g.bench_function("layer_verify_cache_hit_deny_list_100k", |b| {
        b.iter(|| large_layer.verify(black_box(&access)).unwrap())
    });
    let counters = [
        std::sync::atomic::AtomicU64::new(0),
        std::sync::atomic::AtomicU64::new(0),
    ];
    g.bench_function("count_two_relaxed_increments", |b| {
        b.iter(|| {
            for c in black_box(&counters) {
                c.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            }
        })
    });
    g.finish();
}

criterion_group! {
    name = benches;
    config = setup::criterion();
    targets = bench
}
criterion_main!(benches);
