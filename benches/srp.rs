//! The client-side cost of one `USER_SRP_AUTH` login: `SRP_A` (a fresh random a, A = g^a mod N)
//! and the `PASSWORD_VERIFIER` answer, on the inputs of the realistic pycognito vector
//! (`client/tests/data/srp/srp_vectors_pycognito.json`, case 2). `bash client/scripts/srp-bench.sh`
//! runs it next to pycognito and amazon-cognito-identity-js on the same inputs and prints the
//! ratios.
//!
//! `cargo bench -p tower-cognito-benches --bench srp`

#![allow(clippy::unwrap_used, clippy::indexing_slicing)]

use std::hint::black_box;
use std::time::Duration;

use criterion::{Criterion, criterion_group, criterion_main};
use serde_json::Value;
use tower_cognito_client::srp::{PasswordVerifierChallenge, SrpClient};

fn bench(c: &mut Criterion) {
    let vectors: Value = serde_json::from_str(include_str!(
        "../client/tests/data/srp/srp_vectors_pycognito.json"
    ))
    .unwrap();
    let case = &vectors["cases"][2];
    let field = |name: &str| case[name].as_str().unwrap().to_owned();
    let (pool, password, timestamp) =
        (field("user_pool_id"), field("password"), field("timestamp"));
    let (salt, b, block) = (
        field("salt_hex"),
        field("srp_b_hex"),
        field("secret_block_b64"),
    );
    let (user_id, username) = (field("user_id_for_srp"), field("username"));
    let challenge = PasswordVerifierChallenge::new(&salt, &b, &block, &user_id, &username);

    let mut g = c.benchmark_group("srp");
    g.bench_function("login", |bench| {
        bench.iter(|| {
            let srp = SrpClient::new(black_box(&pool)).unwrap();
            let srp_a = srp.srp_a_hex();
            let claim = srp.password_claim(&challenge, black_box(&password), &timestamp);
            (srp_a, claim.unwrap())
        })
    });
    let srp = SrpClient::new(&pool).unwrap();
    g.bench_function("password_claim", |bench| {
        bench.iter(|| {
            srp.password_claim(&challenge, black_box(&password), &timestamp)
                .unwrap()
        })
    });
    g.finish();
}

criterion_group! {
    name = benches;
    config = Criterion::default()
        .sample_size(20)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(5));
    targets = bench
}
criterion_main!(benches);
