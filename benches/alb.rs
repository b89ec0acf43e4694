//! The ALB layer's verification of `x-amzn-oidc-data` as a ratio to its floor: one ES256 (P-256,
//! raw `r||s`) verify with aws-lc-rs and a pre-parsed public key, on the same signing input. One
//! criterion group, one run.
//!
//! `cargo bench -p tower-cognito-benches --bench alb`

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::future::Future;
use std::hint::black_box;
use std::pin::pin;
use std::task::{Context, Poll, Waker};

use aws_lc_rs::signature::{ECDSA_P256_SHA256_FIXED, ParsedPublicKey};
use base64::Engine;
use base64::engine::general_purpose::{STANDARD, URL_SAFE};
use criterion::{Criterion, criterion_group, criterion_main};
use serde_json::json;
use tower_cognito::alb::{AlbAuthLayer, AlbClaims};
use tower_cognito::test_util::alb::LocalAlb;

/// Polls `layer.verify(token)` once: with the key cached it is ready at once (no runtime).
fn verify_now(layer: &AlbAuthLayer, token: &str) -> Result<AlbClaims, tower_cognito::Error> {
    let mut future = pin!(layer.verify(token));
    match future
        .as_mut()
        .poll(&mut Context::from_waker(Waker::noop()))
    {
        Poll::Ready(result) => result,
        Poll::Pending => panic!("the key is cached: verify never waits"),
    }
}

fn bench(c: &mut Criterion) {
    let alb = LocalAlb::new().unwrap();
    let layer = AlbAuthLayer::builder(alb.config().build().unwrap())
        .static_key(alb.kid(), alb.pem())
        .build()
        .unwrap();
    let token = alb.token();
    assert_eq!(verify_now(&layer, &token).unwrap().sub, "alice");

    // The floor: the same signature check alone, the key parsed once.
    let der: String = alb
        .pem()
        .lines()
        .filter(|l| !l.starts_with("-----"))
        .collect();
    let key =
        ParsedPublicKey::new(&ECDSA_P256_SHA256_FIXED, STANDARD.decode(der).unwrap()).unwrap();
    let (input, signature) = token.rsplit_once('.').unwrap();
    let signature = URL_SAFE.decode(signature).unwrap();
    assert!(key.verify_sig(input.as_bytes(), &signature).is_ok());

    // Refused by a header rule: no signature check.
    let mut header = alb.header();
    header.insert(
        "signer".into(),
        json!("arn:aws:elasticloadbalancing:us-east-1:1:other"),
    );
    let wrong_signer = alb.sign_json(
        &serde_json::Value::Object(header),
        &serde_json::Value::Object(alb.claims_for("alice")),
    );
    assert!(verify_now(&layer, &wrong_signer).is_err());

    let mut g = c.benchmark_group("alb");
    g.bench_function("es256_verify_floor", |b| {
        b.iter(|| key.verify_sig(black_box(input.as_bytes()), black_box(&signature)))
    });
    g.bench_function("alb_verify_cache_hit", |b| {
        b.iter(|| verify_now(&layer, black_box(&token)))
    });
    g.bench_function("alb_reject_wrong_signer", |b| {
        b.iter(|| verify_now(&layer, black_box(&wrong_signer)))
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
