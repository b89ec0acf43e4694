//! The ALB layer's verification of `x-amzn-oidc-data` as a ratio to its floor: one ES256 (P-256,
//! raw `r||s`) verify with aws-lc-rs and a pre-parsed public key, on the same signing input. One
//! criterion group, one run.
//!
//! `cargo bench -p tower-cognito-benches --bench alb`

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

#[path = "setup/alb.rs"]
mod alb_setup;

use std::hint::black_box;

use criterion::{Criterion, criterion_group, criterion_main};

use alb_setup::{AlbFixture, verify_now};

fn bench(c: &mut Criterion) {
    let f = AlbFixture::new();
    let mut g = c.benchmark_group("alb");
    g.bench_function("es256_verify_floor", |b| {
        b.iter(|| {
            f.key
                .verify_sig(black_box(f.input.as_bytes()), black_box(&f.signature))
        })
    });
    g.bench_function("alb_verify_cache_hit", |b| {
        b.iter(|| verify_now(&f.layer, black_box(&f.token)))
    });
    g.bench_function("alb_reject_wrong_signer", |b| {
        b.iter(|| verify_now(&f.layer, black_box(&f.wrong_signer)))
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
