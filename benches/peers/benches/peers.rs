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
//! with `bash scripts/peers.sh`, or here with `cargo bench`.

use std::convert::Infallible;
use std::future::Future;
use std::hint::black_box;
use std::pin::pin;
use std::task::{Context, Poll, Waker};

use aws_lc_rs::signature::{RSA_PKCS1_2048_8192_SHA256, RsaPublicKeyComponents};
use axum::body::Body;
use axum::response::Response;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use criterion::{Criterion, criterion_group, criterion_main};
use jwt_authorizer::{AuthorizerBuilder, IntoLayer};
use serde_json::{Value, json};
use tower::{Service, ServiceExt};
use tower_cognito::{CognitoAuthLayer, Verifier};
use tower_cognito_peers::{Fixture, NOW, export_path};

/// Polls a future that is ready at once (the services under test never wait).
fn ready<F: Future>(f: F) -> F::Output {
    let mut f = pin!(f);
    match f.as_mut().poll(&mut Context::from_waker(Waker::noop())) {
        Poll::Ready(v) => v,
        Poll::Pending => panic!("the benchmarked service waited"),
    }
}

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

    // The floor.
    let jwk = &fx.jwks["keys"][0];
    let n = URL_SAFE_NO_PAD.decode(jwk["n"].as_str().unwrap()).unwrap();
    let e = URL_SAFE_NO_PAD.decode(jwk["e"].as_str().unwrap()).unwrap();
    let parsed = RsaPublicKeyComponents {
        n: n.as_slice(),
        e: e.as_slice(),
    }
    .to_parsed_public_key(&RSA_PKCS1_2048_8192_SHA256)
    .unwrap();
    let (signing_input, sig) = token.rsplit_once('.').unwrap();
    let sig = URL_SAFE_NO_PAD.decode(sig).unwrap();
    parsed.verify_sig(signing_input.as_bytes(), &sig).unwrap();

    // tower-cognito: every rule (signature, kid, alg, iss, token_use, client_id, exp, nbf, iat).
    let config = fx.config().token_cache_size(0).build().unwrap();
    let keys = fx.issuer.key_set();
    let verifier = Verifier::new(&config);
    verifier.verify(token, &keys, NOW).unwrap();

    // jsonwebtoken 11, aws-lc-rs backend: signature, alg, iss, exp (real clock); no Cognito rules.
    let decoding = jsonwebtoken::DecodingKey::from_rsa_raw_components(&n, &e);
    let mut validation = jsonwebtoken::Validation::new(jsonwebtoken::Algorithm::RS256);
    validation.set_issuer(&[fx.issuer.issuer()]);
    validation.validate_aud = false;
    jsonwebtoken::decode::<Value>(token, &decoding, &validation).unwrap();

    // The layers, over the same inner service (axum 0.7's `Response`, which jwt-authorizer needs).
    let inner = tower::service_fn(|_req: http::Request<()>| async {
        Ok::<_, Infallible>(Response::new(Body::empty()))
    });
    let cognito_layer = CognitoAuthLayer::with_key_set(config, fx.issuer.key_set()).unwrap();
    let cached_layer =
        CognitoAuthLayer::with_key_set(fx.config().build().unwrap(), fx.issuer.key_set()).unwrap();
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
    let mut with_cognito = tower::ServiceBuilder::new()
        .layer(cognito_layer)
        .service(inner);
    let mut with_cached = tower::ServiceBuilder::new()
        .layer(cached_layer)
        .service(inner);
    let mut with_jwt_authorizer = tower::ServiceBuilder::new()
        .layer(authorizer.into_layer())
        .service(inner);
    let mut without_layer = inner;

    let request_with = |token: &str| {
        let mut req = http::Request::new(());
        req.headers_mut().insert(
            http::header::AUTHORIZATION,
            http::HeaderValue::from_str(&format!("Bearer {token}")).unwrap(),
        );
        req
    };
    let header = request_with(token).headers()[http::header::AUTHORIZATION].clone();
    let request = || {
        let mut req = http::Request::new(());
        req.headers_mut()
            .insert(http::header::AUTHORIZATION, header.clone());
        req
    };
    ready(with_cognito.ready()).unwrap();
    ready(with_cached.ready()).unwrap();
    ready(with_jwt_authorizer.ready()).unwrap();
    ready(without_layer.ready()).unwrap();
    assert_eq!(ready(with_cognito.call(request())).unwrap().status(), 200);
    assert_eq!(ready(with_cached.call(request())).unwrap().status(), 200);
    assert_eq!(
        ready(with_jwt_authorizer.call(request())).unwrap().status(),
        200
    );
    // Both layers refuse a well-signed token of another client, and an ID token: the claims
    // checks are live.
    let mut other = fx.issuer.access_claims();
    other.insert("exp".into(), json!(tower_cognito_peers::EXP));
    other.insert("client_id".into(), json!("another-client"));
    let mut id = fx.issuer.id_claims();
    id.insert("exp".into(), json!(tower_cognito_peers::EXP));
    for bad in [fx.issuer.sign(&other), fx.issuer.sign(&id)] {
        assert_ne!(
            ready(with_cached.call(request_with(&bad)))
                .unwrap()
                .status(),
            200
        );
        assert_ne!(
            ready(with_cognito.call(request_with(&bad)))
                .unwrap()
                .status(),
            200
        );
        assert_ne!(
            ready(with_jwt_authorizer.call(request_with(&bad)))
                .unwrap()
                .status(),
            200
        );
    }

    let mut g = c.benchmark_group("peers");
    g.bench_function("floor_rsa_verify", |b| {
        b.iter(|| {
            parsed
                .verify_sig(black_box(signing_input.as_bytes()), black_box(&sig))
                .unwrap()
        })
    });
    g.bench_function("tower_cognito_verify", |b| {
        b.iter(|| verifier.verify(black_box(token), &keys, NOW).unwrap())
    });
    g.bench_function("jsonwebtoken_decode", |b| {
        b.iter(|| jsonwebtoken::decode::<Value>(black_box(token), &decoding, &validation).unwrap())
    });
    g.bench_function("service_fn_alone", |b| {
        b.iter(|| ready(without_layer.call(request())).unwrap())
    });
    g.bench_function("tower_cognito_layer", |b| {
        b.iter(|| ready(with_cognito.call(request())).unwrap())
    });
    g.bench_function("tower_cognito_layer_cached", |b| {
        b.iter(|| ready(with_cached.call(request())).unwrap())
    });
    g.bench_function("jwt_authorizer_layer", |b| {
        b.iter(|| ready(with_jwt_authorizer.call(request())).unwrap())
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
