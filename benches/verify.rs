//! Verification cost as ratios to the floor: one RSA-2048 PKCS#1 v1.5 SHA-256 verify with aws-lc-rs
//! and a pre-parsed public key, on the same signing input. One criterion group, one run.
//!
//! `cargo bench --bench verify --features test-util`, then `python3 benches/ratios.py`.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    missing_docs
)]

use std::convert::Infallible;
use std::future::Future;
use std::hint::black_box;
use std::pin::pin;
use std::task::{Context, Poll, Waker};

use aws_lc_rs::signature::{RSA_PKCS1_2048_8192_SHA256, RsaPublicKeyComponents};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use criterion::{Criterion, criterion_group, criterion_main};
use tower::{Service, ServiceExt};
use tower_cognito::test_util::LocalIssuer;
use tower_cognito::{AcceptTokenUse, CognitoAuthLayer, Verifier};

/// Polls a future that is ready at once (the service under test never waits).
fn ready<F: Future>(f: F) -> F::Output {
    let mut f = pin!(f);
    match f.as_mut().poll(&mut Context::from_waker(Waker::noop())) {
        Poll::Ready(v) => v,
        Poll::Pending => unreachable!("the benchmarked service never waits"),
    }
}

fn bench(c: &mut Criterion) {
    let issuer = LocalIssuer::new().unwrap();
    let config = issuer
        .config()
        .token_use(AcceptTokenUse::Any)
        .build()
        .unwrap();
    let keys = issuer.key_set();
    let verifier = Verifier::new(&config);
    let now = issuer.now();
    let access = issuer.access_token();
    let id = issuer.id_token();

    let jwk = &issuer.jwks()["keys"][0];
    let n = URL_SAFE_NO_PAD.decode(jwk["n"].as_str().unwrap()).unwrap();
    let e = URL_SAFE_NO_PAD.decode(jwk["e"].as_str().unwrap()).unwrap();
    let components = RsaPublicKeyComponents {
        n: n.clone(),
        e: e.clone(),
    };
    let parsed = components
        .to_parsed_public_key(&RSA_PKCS1_2048_8192_SHA256)
        .unwrap();
    let (signing_input, sig) = access.rsplit_once('.').unwrap();
    let sig = URL_SAFE_NO_PAD.decode(sig).unwrap();

    let decoding = jsonwebtoken::DecodingKey::from_rsa_raw_components(&n, &e);
    let mut validation = jsonwebtoken::Validation::new(jsonwebtoken::Algorithm::RS256);
    validation.set_issuer(&[issuer.issuer()]);
    validation.validate_aud = false;

    let unknown_kid = issuer.sign_with_kid(
        &issuer.kid(),
        br#"{"kid":"no-such-key","alg":"RS256"}"#,
        serde_json::Value::Object(issuer.access_claims())
            .to_string()
            .as_bytes(),
    );
    let wrong_alg = {
        let (_, rest) = access.split_once('.').unwrap();
        format!(
            "{}.{rest}",
            URL_SAFE_NO_PAD.encode(format!(r#"{{"kid":"{}","alg":"HS256"}}"#, issuer.kid()))
        )
    };

    // The same layer with the verified-token cache off: every request verifies in full.
    let uncached_config = issuer
        .config()
        .token_use(AcceptTokenUse::Any)
        .token_cache_size(0)
        .build()
        .unwrap();
    let uncached_layer = CognitoAuthLayer::with_key_set(uncached_config, issuer.key_set()).unwrap();
    let layer = CognitoAuthLayer::with_key_set(config, issuer.key_set()).unwrap();
    let inner = tower::service_fn(|_req: http::Request<()>| async {
        Ok::<_, Infallible>(http::Response::new(String::new()))
    });
    let mut with_layer = tower::ServiceBuilder::new().layer(layer).service(inner);
    let mut with_uncached_layer = tower::ServiceBuilder::new()
        .layer(uncached_layer)
        .service(inner);
    let mut without_layer = inner;
    let header = http::HeaderValue::from_str(&format!("Bearer {access}")).unwrap();
    let request = || {
        let mut req = http::Request::new(());
        req.headers_mut()
            .insert(http::header::AUTHORIZATION, header.clone());
        req
    };
    ready(with_layer.ready()).unwrap();
    ready(with_uncached_layer.ready()).unwrap();
    assert_eq!(
        ready(with_uncached_layer.call(request())).unwrap().status(),
        200
    );
    ready(without_layer.ready()).unwrap();
    assert_eq!(ready(with_layer.call(request())).unwrap().status(), 200);

    let mut g = c.benchmark_group("verify");
    g.bench_function("floor_rsa_verify", |b| {
        b.iter(|| {
            parsed
                .verify_sig(black_box(signing_input.as_bytes()), black_box(&sig))
                .unwrap()
        })
    });
    g.bench_function("rsa_verify_rebuilt_key", |b| {
        b.iter(|| {
            components
                .verify(
                    &RSA_PKCS1_2048_8192_SHA256,
                    black_box(signing_input.as_bytes()),
                    black_box(&sig),
                )
                .unwrap()
        })
    });
    g.bench_function("jsonwebtoken_decode", |b| {
        b.iter(|| {
            jsonwebtoken::decode::<serde_json::Value>(black_box(&access), &decoding, &validation)
                .unwrap()
        })
    });
    g.bench_function("verify_access", |b| {
        b.iter(|| verifier.verify(black_box(&access), &keys, now).unwrap())
    });
    g.bench_function("verify_id", |b| {
        b.iter(|| verifier.verify(black_box(&id), &keys, now).unwrap())
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
    g.bench_function("oneshot_with_layer", |b| {
        b.iter(|| ready(with_layer.call(request())).unwrap())
    });
    g.bench_function("oneshot_with_layer_uncached", |b| {
        b.iter(|| ready(with_uncached_layer.call(request())).unwrap())
    });
    g.bench_function("oneshot_without_layer", |b| {
        b.iter(|| ready(without_layer.call(request())).unwrap())
    });
    g.finish();
}

criterion_group! {
    name = benches;
    config = Criterion::default()
        .sample_size(50)
        .warm_up_time(std::time::Duration::from_secs(1))
        .measurement_time(std::time::Duration::from_secs(3));
    targets = bench
}
criterion_main!(benches);
