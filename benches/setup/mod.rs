//! Setup shared by tower-cognito's criterion group `verify` (`benches/verify.rs`) and the peer
//! comparison (`benches/peers/benches/peers.rs`, a separate crate that includes this file with
//! `#[path]`): the aws-lc-rs floor and jsonwebtoken's key and rules for a token of a JWKS,
//! tower-cognito's layer with its verified-token cache on and off, the bearer request, the no-op
//! poll, the cases both groups measure alike and the criterion settings.
//!
//! Uses only crates both bench crates depend on. In a folder of its own so that cargo does not
//! take it for a bench target of the main crate.

use std::fmt::Debug;
use std::future::Future;
use std::hint::black_box;
use std::pin::pin;
use std::task::{Context, Poll, Waker};
use std::time::Duration;

use aws_lc_rs::signature::{ParsedPublicKey, RSA_PKCS1_2048_8192_SHA256, RsaPublicKeyComponents};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use criterion::measurement::WallTime;
use criterion::{BenchmarkGroup, Criterion};
use serde_json::Value;
use tower::{Service, ServiceExt};
use tower_cognito::test_util::LocalIssuer;
use tower_cognito::{CognitoAuth, CognitoAuthLayer, CognitoConfigBuilder};

/// The criterion settings of both groups: 50 samples, 1 s of warm-up, 3 s of measurement.
pub(crate) fn criterion() -> Criterion {
    Criterion::default()
        .sample_size(50)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(3))
}

/// Polls a future that is ready at once (the services under test never wait).
pub(crate) fn ready<F: Future>(f: F) -> F::Output {
    let mut f = pin!(f);
    match f.as_mut().poll(&mut Context::from_waker(Waker::noop())) {
        Poll::Ready(v) => v,
        Poll::Pending => unreachable!("the benchmarked service waited"),
    }
}

/// The floor: one RSA-2048 PKCS#1 v1.5 SHA-256 verification with aws-lc-rs and a pre-parsed
/// public key (the first of a JWKS) of a token's signature over its signing input.
pub(crate) struct Floor<'t> {
    /// The key as raw components (`n`, `e`).
    pub(crate) components: RsaPublicKeyComponents<Vec<u8>>,
    /// The same key, parsed once.
    pub(crate) parsed: ParsedPublicKey,
    /// The token up to its last `.`.
    pub(crate) signing_input: &'t str,
    /// The decoded signature.
    pub(crate) sig: Vec<u8>,
}

impl<'t> Floor<'t> {
    /// The floor of `token`, signed with the first key of `jwks`; checked to verify.
    pub(crate) fn new(jwks: &Value, token: &'t str) -> Self {
        let jwk = &jwks["keys"][0];
        let component = |name: &str| URL_SAFE_NO_PAD.decode(jwk[name].as_str().unwrap()).unwrap();
        let components = RsaPublicKeyComponents {
            n: component("n"),
            e: component("e"),
        };
        let parsed = components
            .to_parsed_public_key(&RSA_PKCS1_2048_8192_SHA256)
            .unwrap();
        let (signing_input, sig) = token.rsplit_once('.').unwrap();
        let sig = URL_SAFE_NO_PAD.decode(sig).unwrap();
        parsed.verify_sig(signing_input.as_bytes(), &sig).unwrap();
        Self {
            components,
            parsed,
            signing_input,
            sig,
        }
    }

    /// jsonwebtoken 11 (aws-lc-rs backend) on the same key: signature, `alg` RS256, `iss`, `exp`
    /// (real clock); no `aud`, no Cognito rules.
    pub(crate) fn jsonwebtoken(
        &self,
        issuer: &str,
    ) -> (jsonwebtoken::DecodingKey, jsonwebtoken::Validation) {
        let decoding = jsonwebtoken::DecodingKey::from_rsa_raw_components(
            &self.components.n,
            &self.components.e,
        );
        let mut validation = jsonwebtoken::Validation::new(jsonwebtoken::Algorithm::RS256);
        validation.set_issuer(&[issuer]);
        validation.validate_aud = false;
        (decoding, validation)
    }
}

/// `inner` behind tower-cognito's layer on the static key set of `issuer`, built from `config`.
pub(crate) struct Layers<S> {
    /// With the verified-token cache of `config` (the default: on).
    pub(crate) cached: CognitoAuth<S>,
    /// With the cache off (`token_cache_size(0)`): every request verifies in full.
    pub(crate) uncached: CognitoAuth<S>,
    /// The same, in a layer of 100 user pools (the issuer's first, 99 others after it, each with
    /// a `kid` of its own): the token's pool is picked by its `kid`.
    pub(crate) uncached_100_pools: CognitoAuth<S>,
}

impl<S: Clone> Layers<S> {
    /// Both layers over clones of `inner`, each on its own copy of the issuer's keys.
    pub(crate) fn new(issuer: &LocalIssuer, config: CognitoConfigBuilder, inner: S) -> Self {
        let behind = |config: CognitoConfigBuilder| {
            let keys = issuer.key_set();
            let layer = CognitoAuthLayer::builder(config.build().unwrap())
                .static_keys(keys)
                .build()
                .unwrap();
            tower::ServiceBuilder::new()
                .layer(layer)
                .service(inner.clone())
        };
        let many = hundred_pools(issuer, config.clone().token_cache_size(0));
        Self {
            cached: behind(config.clone()),
            uncached: behind(config.token_cache_size(0)),
            uncached_100_pools: tower::ServiceBuilder::new()
                .layer(many)
                .service(inner.clone()),
        }
    }
}

/// A layer of 100 user pools built from `config` (the issuer's pool first, 99 others after it):
/// the first on the issuer's keys, each other on the issuer's key published under a `kid` of its
/// own (as real pools have: Cognito's key ids are digests of the keys). A token's pool is picked
/// by its `kid`.
pub(crate) fn hundred_pools(
    issuer: &LocalIssuer,
    config: CognitoConfigBuilder,
) -> CognitoAuthLayer {
    let mut many = config;
    for i in 1..100 {
        many = many
            .and_pool(format!("eu-west-1_Bench{i:03}"))
            .client_id("benchclient")
            .any_token_use();
    }
    let mut pool = 0;
    CognitoAuthLayer::builder(many.build().unwrap())
        .static_key_sets(|_| {
            let mut jwks = issuer.jwks();
            if pool > 0 {
                jwks["keys"][0]["kid"] = Value::String(format!("bench-key-{pool:03}"));
            }
            pool += 1;
            tower_cognito::jwks::KeySet::from_jwks(jwks.to_string().as_bytes()).ok()
        })
        .build()
        .unwrap()
}

/// Makes requests with `Authorization: Bearer {token}` (the header value is built once).
pub(crate) fn bearer_requests(token: &str) -> impl Fn() -> http::Request<()> + use<> {
    let header = http::HeaderValue::from_str(&format!("Bearer {token}")).unwrap();
    move || {
        let mut req = http::Request::new(());
        req.headers_mut()
            .insert(http::header::AUTHORIZATION, header.clone());
        req
    }
}

/// Waits for `svc` to be ready, sends it `req` and returns the status of its response.
pub(crate) fn status<S, B>(svc: &mut S, req: http::Request<()>) -> http::StatusCode
where
    S: Service<http::Request<()>, Response = http::Response<B>>,
    S::Error: Debug,
{
    ready(svc.ready()).unwrap();
    ready(svc.call(req)).unwrap().status()
}

/// Case `floor_rsa_verify`.
pub(crate) fn bench_floor(g: &mut BenchmarkGroup<'_, WallTime>, floor: &Floor<'_>) {
    let Floor {
        parsed,
        signing_input,
        sig,
        ..
    } = floor;
    g.bench_function("floor_rsa_verify", |b| {
        b.iter(|| {
            parsed
                .verify_sig(black_box(signing_input.as_bytes()), black_box(sig))
                .unwrap()
        })
    });
}

/// Case `jsonwebtoken_decode`, on the key and rules of [`Floor::jsonwebtoken`].
pub(crate) fn bench_jsonwebtoken(
    g: &mut BenchmarkGroup<'_, WallTime>,
    token: &str,
    decoding: &jsonwebtoken::DecodingKey,
    validation: &jsonwebtoken::Validation,
) {
    g.bench_function("jsonwebtoken_decode", |b| {
        b.iter(|| jsonwebtoken::decode::<Value>(black_box(token), decoding, validation).unwrap())
    });
}

/// Case `name`: one request from `request` through `svc`, polled once.
pub(crate) fn bench_oneshot<S>(
    g: &mut BenchmarkGroup<'_, WallTime>,
    name: &str,
    svc: &mut S,
    request: &impl Fn() -> http::Request<()>,
) where
    S: Service<http::Request<()>>,
    S::Error: Debug,
{
    g.bench_function(name, |b| b.iter(|| ready(svc.call(request())).unwrap()));
}
