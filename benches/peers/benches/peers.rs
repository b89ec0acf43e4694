//! Peer comparison, one criterion group and one run, on the same RSA-2048 key and the same ~1 KB
//! Cognito access token (see `src/lib.rs`):
//!
//! - `floor_rsa_verify`: aws-lc-rs `ParsedPublicKey::verify_sig` on the signing input (the floor,
//!   as in `benches/verify.rs` of tower-cognito);
//! - `tower_cognito_verify`: `Verifier::verify`;
//! - `jsonwebtoken_decode`: jsonwebtoken 11 `decode` (aws-lc-rs backend), `iss` + `exp` + `alg`;
//! - `service_fn_alone`, `tower_cognito_layer`, `jwt_authorizer_layer`: one request through
//!   `service_fn`, alone and behind each layer; a layer's cost is its arm minus `service_fn_alone`.
//!   tower-cognito's verified-token cache is OFF in `tower_cognito_layer` (`token_cache_size(0)`):
//!   every request is fully verified, as in the other peers, which have no such cache;
//! - `tower_cognito_layer_cached`: the same with the default cache: the one token is a cache hit
//!   on every request after the first (what a client resending its token costs; no peer does it).
//!
//! Every future is polled once with a no-op waker: the layers finish without waiting (checked
//! below), so no runtime is involved.
//!
//! Also writes the fixture for the node peer (`target/peers/fixture.json`). Run from the repo root
//! with `cargo xtask peers`, or here with `cargo bench`.

#[path = "../../setup/mod.rs"]
mod setup;

use std::convert::Infallible;
use std::hint::black_box;

use axum::body::Body;
use axum::response::Response;
use criterion::{Criterion, criterion_group, criterion_main};
use jwt_authorizer::{AuthorizerBuilder, IntoLayer};
use serde_json::{Value, json};
use tower_cognito::Verifier;
use tower_cognito_peers::{Fixture, NOW, export_path};

use setup::{Floor, Layers, bench_floor, bench_jsonwebtoken, bench_oneshot, ready, status};

fn bench(c: &mut Criterion) {
    let fx = Fixture::new().unwrap();
    let path = export_path();
    fx.write_export(&path).unwrap();
    let token = fx.token.as_str();
    eprintln!(
        "peers: token of {} bytes; fixture written to {}",
        token.len(),
        path.display()
    );

    let floor = Floor::new(&fx.jwks, token);

    // tower-cognito: every rule (signature, kid, alg, iss, token_use, client_id, exp, nbf, iat).
    let keys = fx.issuer.key_set();
    let verifier = Verifier::new(&fx.config().token_cache_size(0).build().unwrap());
    verifier.verify(token, &keys, NOW).unwrap();

    // jsonwebtoken 11, aws-lc-rs backend: signature, alg, iss, exp (real clock); no Cognito rules.
    let (decoding, validation) = floor.jsonwebtoken(fx.issuer.issuer());
    jsonwebtoken::decode::<Value>(token, &decoding, &validation).unwrap();

    // The layers, over the same inner service (axum 0.7's `Response`, which jwt-authorizer needs).
    let inner = tower::service_fn(|_req: http::Request<()>| async {
        Ok::<_, Infallible>(Response::new(Body::empty()))
    });
    // tower-cognito's layer with its verified-token cache off (every request verified) and on.
    let Layers {
        cached: mut with_cached,
        uncached: mut with_cognito,
    } = Layers::new(&fx.issuer, fx.config(), inner);
    // jwt-authorizer from the same JWKS (static: no refresh, no fetch), with the rules it can
    // express: alg from the JWK, `exp` (real clock, 60 s leeway), `iss`, and a claims check for
    // Cognito's `client_id` and `token_use`.
    let client_id = fx.issuer.client_id().to_owned();
    let authorizer = ready(
        AuthorizerBuilder::<Value>::from_jwks_text(&fx.jwks.to_string())
            .validation(jwt_authorizer::Validation::new().iss(&[fx.issuer.issuer()]))
            .check(move |claims: &Value| {
                claims["client_id"] == client_id.as_str() && claims["token_use"] == "access"
            })
            .build(),
    )
    .unwrap();
    let mut with_jwt_authorizer = tower::ServiceBuilder::new()
        .layer(authorizer.into_layer())
        .service(inner);
    let mut without_layer = inner;

    let request = setup::bearer_requests(token);
    assert_eq!(status(&mut without_layer, request()), 200);
    assert_eq!(status(&mut with_cognito, request()), 200);
    assert_eq!(status(&mut with_cached, request()), 200);
    assert_eq!(status(&mut with_jwt_authorizer, request()), 200);
    // Both layers refuse a well-signed token of another client, and an ID token: the claims
    // checks are live.
    let mut other = fx.issuer.access_claims();
    other.insert("exp".into(), json!(tower_cognito_peers::EXP));
    other.insert("client_id".into(), json!("another-client"));
    let mut id = fx.issuer.id_claims();
    id.insert("exp".into(), json!(tower_cognito_peers::EXP));
    for bad in [fx.issuer.sign(&other), fx.issuer.sign(&id)] {
        let bad = setup::bearer_requests(&bad);
        assert_ne!(status(&mut with_cached, bad()), 200);
        assert_ne!(status(&mut with_cognito, bad()), 200);
        assert_ne!(status(&mut with_jwt_authorizer, bad()), 200);
    }

    let mut g = c.benchmark_group("peers");
    bench_floor(&mut g, &floor);
    g.bench_function("tower_cognito_verify", |b| {
        b.iter(|| verifier.verify(black_box(token), &keys, NOW).unwrap())
    });
    bench_jsonwebtoken(&mut g, token, &decoding, &validation);
    bench_oneshot(&mut g, "service_fn_alone", &mut without_layer, &request);
    bench_oneshot(&mut g, "tower_cognito_layer", &mut with_cognito, &request);
    bench_oneshot(
        &mut g,
        "tower_cognito_layer_cached",
        &mut with_cached,
        &request,
    );
    bench_oneshot(
        &mut g,
        "jwt_authorizer_layer",
        &mut with_jwt_authorizer,
        &request,
    );
    g.finish();
}

criterion_group! {
    name = benches;
    config = setup::criterion();
    targets = bench
}
criterion_main!(benches);
