//! A/B alternation: one request through a layer of one user pool (A) and through a layer of 100
//! pools (B), the token cache off so that every request verifies in full, in alternating rounds
//! of the same size. Timings of cases run seconds apart drift by 2 to 4% on a shared machine; in
//! alternating rounds both sides see the same drift, so the ratio of the sums is the steadier
//! figure. Prints the ratio B/A of the sums, and the range of the per-round ratios.
//!
//! `cargo bench --bench pools_ab --features test-util` (bounded: 40 rounds of 1 000 requests).

#![allow(clippy::unwrap_used, clippy::indexing_slicing)]

// Only part of the shared setup is used here.
#[allow(dead_code)]
mod setup;

use std::convert::Infallible;
use std::hint::black_box;
use std::time::{Duration, Instant};

use tower::Service;
use tower_cognito::test_util::LocalIssuer;

use setup::{Layers, ready, status};

const ROUNDS: usize = 40;
const PER_ROUND: usize = 1_000;

fn main() {
    let issuer = LocalIssuer::new().unwrap();
    let config = issuer.config().any_token_use();
    let inner = tower::service_fn(|_req: http::Request<()>| async {
        Ok::<_, Infallible>(http::Response::new(String::new()))
    });
    let Layers {
        uncached: mut one,
        uncached_100_pools: mut hundred,
        ..
    } = Layers::new(&issuer, config, inner);
    let request = setup::bearer_requests(&issuer.access_token());
    assert_eq!(status(&mut one, request()), 200);
    assert_eq!(status(&mut hundred, request()), 200);

    let time = |svc: &mut dyn FnMut()| {
        let start = Instant::now();
        for _ in 0..PER_ROUND {
            svc();
        }
        start.elapsed()
    };
    let mut call_one = || {
        black_box(ready(one.call(request())).unwrap());
    };
    let mut call_hundred = || {
        black_box(ready(hundred.call(request())).unwrap());
    };
    // Warm-up: two rounds each, not counted.
    for _ in 0..2 {
        time(&mut call_one);
        time(&mut call_hundred);
    }
    let (mut a, mut b) = (Duration::ZERO, Duration::ZERO);
    let mut ratios = Vec::with_capacity(ROUNDS);
    for round in 0..ROUNDS {
        // Alternate which side goes first, so neither always follows the other.
        let (ta, tb) = if round % 2 == 0 {
            let ta = time(&mut call_one);
            (ta, time(&mut call_hundred))
        } else {
            let tb = time(&mut call_hundred);
            (time(&mut call_one), tb)
        };
        a += ta;
        b += tb;
        ratios.push(tb.as_secs_f64() / ta.as_secs_f64());
    }
    ratios.sort_by(f64::total_cmp);
    let per = |d: Duration| d.as_secs_f64() * 1e6 / (ROUNDS * PER_ROUND) as f64;
    println!(
        "1 pool: {:.2} µs per request; 100 pools: {:.2} µs; 100 pools / 1 pool: {:.4}x \
         (per-round ratios {:.3} to {:.3}, median {:.3}; {ROUNDS} rounds of {PER_ROUND})",
        per(a),
        per(b),
        b.as_secs_f64() / a.as_secs_f64(),
        ratios[0],
        ratios[ROUNDS - 1],
        ratios[ROUNDS / 2],
    );
}
