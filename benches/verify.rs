//! Verification cost as ratios to the floor: one RSA-2048 PKCS#1 v1.5 SHA-256 verify with aws-lc-rs
//! and a pre-parsed public key, on the same signing input. One criterion group, one run.
//!
//! `cargo bench --bench verify --features test-util`, then `python3 benches/ratios.py`.

#![allow(clippy::unwrap_used, clippy::indexing_slicing)]

mod setup;

use std::convert::Infallible;
use std::hint::black_box;

use aws_lc_rs::signature::RSA_PKCS1_2048_8192_SHA256;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use criterion::{Criterion, criterion_group, criterion_main};
use tower_cognito::test_util::LocalIssuer;
use tower_cognito::{AcceptTokenUse, CognitoAuthLayer, DenyList, Verifier};

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
    let config = issuer.config().token_use(AcceptTokenUse::Any);
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

    // Hostile headers, built to cost the most before the signature within the header caps: 512
    // bytes decoded, 16 members, 32 values and escapes. Member names written with `\u` escapes (they
    // leave the fast path), each member an array of two long strings, and the verdict (`typ`) only
    // at the end, after everything was parsed. Under the default token cap, and the same header
    // with a token eight times that cap and a verifier that accepts it: the caps keep the cost.
    let adversarial = |token_len: usize| {
        let head = format!(r#"{{"alg":"RS256","kid":"{kid}""#);
        let tail = r#","typ":"JWE"}"#;
        // 1 + 3 + 5 × (1 name escape + 1 member + 1 array + 2 strings) = 29 items; 3 escapes more.
        let build = |pad: usize| {
            let text = "p".repeat(pad);
            let body: String = (0..5)
                .map(|i| format!(r#","\u006d{i:02}":["{text}","{text}"]"#))
                .collect();
            format!(r#"{head}{body}{tail}"#).replacen("pp", r"\n\n\n", 1)
        };
        let pad = (0..)
            .take_while(|&n| build(n + 1).len() <= 512)
            .last()
            .unwrap();
        let header = URL_SAFE_NO_PAD.encode(build(pad));
        let sig = URL_SAFE_NO_PAD.encode([7u8; 256]);
        let payload = "A".repeat(token_len - header.len() - sig.len() - 2);
        format!("{header}.{payload}.{sig}")
    };
    let hostile = adversarial(8 * 1024);
    let hostile_8x = adversarial(64 * 1024);
    let verifier_8x = Verifier::new(&config.clone().max_token_size(64 * 1024).build().unwrap());
    for (v, token) in [(&verifier, &hostile), (&verifier_8x, &hostile_8x)] {
        assert_eq!(
            v.verify(token, &keys, now).unwrap_err().kind(),
            tower_cognito::ErrorKind::InvalidType
        );
    }

    // Payloads of many unknown claims (after the signature): duplicate detection and the claims
    // parse must grow linearly. 1 000 and 8 000 members, signed, under a 1 MiB token cap.
    let many_members = |n: usize| {
        let mut claims = issuer.access_claims();
        for i in 0..n {
            claims.insert(format!("m{i}"), serde_json::json!(i));
        }
        issuer.sign(&claims)
    };
    let members_1k = many_members(1_000);
    let members_8k = many_members(8_000);
    let verifier_1mib = Verifier::new(&config.clone().max_token_size(1 << 20).build().unwrap());
    for token in [&members_1k, &members_8k] {
        verifier_1mib.verify(token, &keys, now).unwrap();
    }

    let inner = tower::service_fn(|_req: http::Request<()>| async {
        Ok::<_, Infallible>(http::Response::new(String::new()))
    });
    let Layers {
        cached: mut with_layer,
        uncached: mut with_uncached_layer,
    } = Layers::new(&issuer, config, inner);
    let mut without_layer = inner;
    let request = setup::bearer_requests(&access);
    assert_eq!(status(&mut with_uncached_layer, request()), 200);
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
        "oneshot_without_layer",
        &mut without_layer,
        &request,
    );

    // The request path's counting and revocation check, next to the cheapest path they sit on
    // (a cache hit): the counting is two relaxed increments (outcome, cache hit); the deny-list
    // check one swap-load and two hash lookups in a list of 1 000 other sessions.
    let config = issuer.config().token_use(AcceptTokenUse::Any);
    let hit_layer =
        CognitoAuthLayer::with_key_set(config.clone().build().unwrap(), issuer.key_set()).unwrap();
    let deny = DenyList::new();
    for i in 0..1_000 {
        deny.revoke(&format!("other-session-{i}"), now + 3600);
    }
    let deny_layer = CognitoAuthLayer::with_key_set(
        config.clone().deny_list(deny).build().unwrap(),
        issuer.key_set(),
    )
    .unwrap();
    hit_layer.verify(&access).unwrap();
    deny_layer.verify(&access).unwrap();
    g.bench_function("layer_verify_cache_hit", |b| {
        b.iter(|| hit_layer.verify(black_box(&access)).unwrap())
    });
    g.bench_function("layer_verify_cache_hit_deny_list_1k", |b| {
        b.iter(|| deny_layer.verify(black_box(&access)).unwrap())
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
