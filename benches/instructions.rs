//! Instruction counts of the verification cases of `benches/verify.rs`, under callgrind through
//! gungraun: deterministic, so unaffected by other load on the machine, unlike the timings.
//!
//! `cargo xtask instructions` installs valgrind and the `gungraun-runner` of the same version as
//! the `gungraun` dev-dependency, runs this bench and prints each case as a ratio to the floor;
//! `cargo bench --bench instructions --features test-util` prints gungraun's own report.
//!
//! Each case is one call, counted alone: its fixture is built (and every path warmed up once) in
//! gungraun's setup, outside the count, and leaked so that dropping it is not counted either.

#![allow(clippy::unwrap_used, clippy::indexing_slicing)]
// `#[library_benchmark]` generates a public module per benchmark.
#![allow(missing_docs)]

// The criterion helpers of `setup` are not used here.
#[path = "setup/alb.rs"]
mod alb_setup;
#[path = "setup/cases.rs"]
mod cases;
#[allow(dead_code)]
mod setup;

use std::convert::Infallible;
use std::hint::black_box;

use gungraun::{library_benchmark, library_benchmark_group, main};
use tower::Service;
use tower_cognito::test_util::LocalIssuer;
use tower_cognito::{CognitoAuth, CognitoAuthLayer, ErrorKind, Verifier, jwks::KeySet};

use alb_setup::{AlbFixture, verify_now};
use setup::{Floor, Layers, ready, status};

/// A local issuer with a fixed RSA-2048 key (test-only, the fuzz targets' too): generating one
/// under valgrind costs seconds, in the setup of every case.
fn issuer() -> LocalIssuer {
    use base64::Engine;
    let b64: String = include_str!("setup/test_only_rsa_2048.pk8.b64")
        .split_whitespace()
        .collect();
    let der = base64::engine::general_purpose::STANDARD
        .decode(b64)
        .unwrap();
    LocalIssuer::builder().pkcs8_key(der).build().unwrap()
}

/// The inner service of the layer cases: answers at once with an empty body.
type Inner = tower::util::ServiceFn<
    fn(http::Request<()>) -> std::future::Ready<Result<http::Response<String>, Infallible>>,
>;

fn empty(
    _req: http::Request<()>,
) -> std::future::Ready<Result<http::Response<String>, Infallible>> {
    std::future::ready(Ok(http::Response::new(String::new())))
}

/// Everything the cases need, built as in `benches/verify.rs`.
struct Fixture {
    floor: Floor<'static>,
    verifier: Verifier,
    verifier_8x: Verifier,
    verifier_1mib: Verifier,
    keys: KeySet,
    now: u64,
    access: String,
    id: String,
    hostile: String,
    hostile_8x: String,
    claims_1k: String,
    claims_8k: String,
    tenant: String,
    request: Box<dyn Fn() -> http::Request<()>>,
    with_layer: CognitoAuth<Inner>,
    with_uncached_layer: CognitoAuth<Inner>,
    with_100_pools: CognitoAuth<Inner>,
    without_layer: Inner,
}

/// The fixture, checked and warmed up, leaked (`'static`, never dropped).
fn fixture() -> &'static mut Fixture {
    let issuer = issuer();
    let config = issuer.config().any_token_use();
    let keys = issuer.key_set();
    let now = issuer.now();
    let access: &'static str = Box::leak(issuer.access_token().into_boxed_str());
    let kid = issuer.kid();
    let verifier = Verifier::new(&config.clone().build().unwrap());
    let verifier_8x = Verifier::new(&config.clone().max_token_size(64 * 1024).build().unwrap());
    let verifier_1mib = Verifier::new(&config.clone().max_token_size(1 << 20).build().unwrap());
    let inner: Inner = tower::service_fn(empty as fn(_) -> _);
    let layers = Layers::new(&issuer, config, inner);
    let request = setup::bearer_requests(access);
    let mut f = Fixture {
        floor: Floor::new(&issuer.jwks(), access),
        verifier,
        verifier_8x,
        verifier_1mib,
        keys,
        now,
        access: access.to_owned(),
        id: issuer.id_token(),
        hostile: cases::adversarial_header(&kid, 8 * 1024),
        hostile_8x: cases::adversarial_header(&kid, 64 * 1024),
        claims_1k: cases::many_claims(&issuer, 1_000),
        claims_8k: cases::many_claims(&issuer, 8_000),
        tenant: issuer.token().claim("custom:tenant", "acme").build(),
        request: Box::new(request),
        with_layer: layers.cached,
        with_uncached_layer: layers.uncached,
        with_100_pools: layers.uncached_100_pools,
        without_layer: inner,
    };
    // Every case once, as it is counted: checks the outcome and warms up lazy state (and the
    // cache entry of the cache-hit case).
    let (v, k, now) = (&f.verifier, &f.keys, f.now);
    v.verify(&f.access, k, now).unwrap();
    v.verify(&f.id, k, now).unwrap();
    for (v, token) in [(v, &f.hostile), (&f.verifier_8x, &f.hostile_8x)] {
        let err = v.verify(token, k, now).unwrap_err();
        assert_eq!(err.kind(), tower_cognito::ErrorKind::InvalidType);
    }
    v.verify(&f.tenant, k, now).unwrap();
    v.verify_as::<Tenant>(&f.tenant, k, now).unwrap();
    for token in [&f.claims_1k, &f.claims_8k] {
        f.verifier_1mib.verify(token, k, now).unwrap();
    }
    for _ in 0..2 {
        assert_eq!(status(&mut f.with_layer, (f.request)()), 200);
        assert_eq!(status(&mut f.with_uncached_layer, (f.request)()), 200);
        assert_eq!(status(&mut f.with_100_pools, (f.request)()), 200);
        assert_eq!(status(&mut f.without_layer, (f.request)()), 200);
    }
    Box::leak(Box::new(f))
}

// The floor: one RSA-2048 PKCS#1 v1.5 SHA-256 verification, pre-parsed key.
#[library_benchmark]
#[bench::case(setup = fixture)]
fn floor_rsa_verify(f: &'static mut Fixture) {
    let Floor {
        parsed,
        signing_input,
        sig,
        ..
    } = &f.floor;
    parsed
        .verify_sig(black_box(signing_input.as_bytes()), black_box(sig))
        .unwrap();
}

/// `Verifier::verify` of a valid token, every rule; the claims are dropped inside the count.
fn verify_ok(f: &Fixture, v: &Verifier, token: &str) {
    drop(black_box(
        v.verify(black_box(token), &f.keys, f.now).unwrap(),
    ));
}

/// `Verifier::verify` of a token it refuses.
fn verify_err(v: &Verifier, f: &Fixture, token: &str) {
    black_box(v.verify(black_box(token), &f.keys, f.now).unwrap_err());
}

#[library_benchmark]
#[bench::case(setup = fixture)]
fn verify_access(f: &'static mut Fixture) {
    verify_ok(f, &f.verifier, &f.access);
}

#[library_benchmark]
#[bench::case(setup = fixture)]
fn verify_id(f: &'static mut Fixture) {
    verify_ok(f, &f.verifier, &f.id);
}

#[library_benchmark]
#[bench::case(setup = fixture)]
fn reject_adversarial_header(f: &'static mut Fixture) {
    verify_err(&f.verifier, f, &f.hostile);
}

#[library_benchmark]
#[bench::case(setup = fixture)]
fn reject_adversarial_header_8x_cap(f: &'static mut Fixture) {
    verify_err(&f.verifier_8x, f, &f.hostile_8x);
}

#[library_benchmark]
#[bench::case(setup = fixture)]
fn verify_payload_1k_claims(f: &'static mut Fixture) {
    verify_ok(f, &f.verifier_1mib, &f.claims_1k);
}

#[library_benchmark]
#[bench::case(setup = fixture)]
fn verify_payload_8k_claims(f: &'static mut Fixture) {
    verify_ok(f, &f.verifier_1mib, &f.claims_8k);
}

/// An application claims type, filled from the same parse as the Cognito claims.
#[derive(serde::Deserialize)]
struct Tenant {
    #[serde(rename = "custom:tenant")]
    #[allow(dead_code)]
    tenant: String,
}

// A token with a custom attribute, with the default claims (`E = ()`)...
#[library_benchmark]
#[bench::case(setup = fixture)]
fn verify_tenant_token(f: &'static mut Fixture) {
    verify_ok(f, &f.verifier, &f.tenant);
}

// ... and with an application claims type that reads it (`extra_claims::<Tenant>()`).
#[library_benchmark]
#[bench::case(setup = fixture)]
fn verify_tenant_token_extra_claims(f: &'static mut Fixture) {
    drop(black_box(
        f.verifier
            .verify_as::<Tenant>(black_box(&f.tenant), &f.keys, f.now)
            .unwrap(),
    ));
}

/// One request through `svc`, polled once; the response is dropped inside the count.
fn oneshot<S>(svc: &mut S, request: &dyn Fn() -> http::Request<()>)
where
    S: Service<http::Request<()>>,
    S::Error: std::fmt::Debug,
{
    drop(black_box(ready(svc.call(request())).unwrap()));
}

// The request alone, without the layer: subtracted from the layer cases.
#[library_benchmark]
#[bench::case(setup = fixture)]
fn oneshot_without_layer(f: &'static mut Fixture) {
    oneshot(&mut f.without_layer, &f.request);
}

// Through the layer, verified-token cache off: every request verified in full.
#[library_benchmark]
#[bench::case(setup = fixture)]
fn oneshot_with_layer_uncached(f: &'static mut Fixture) {
    oneshot(&mut f.with_uncached_layer, &f.request);
}

// The same, in a layer of 100 user pools: the token's pool picked by its `kid`.
#[library_benchmark]
#[bench::case(setup = fixture)]
fn oneshot_with_layer_uncached_100_pools(f: &'static mut Fixture) {
    oneshot(&mut f.with_100_pools, &f.request);
}

/// A layer (of 100 user pools, or one) with the token cache off under a token cap, and a token
/// of that size that it refuses before the signature.
struct PayloadFixture {
    layer: CognitoAuthLayer,
    token: String,
}

impl PayloadFixture {
    /// Checked (refused as `kind`) and warmed up, leaked.
    fn leak(layer: CognitoAuthLayer, token: String, kind: ErrorKind) -> &'static Self {
        for _ in 0..2 {
            let err = layer.verify(&token).unwrap_err();
            assert_eq!(err.kind(), kind);
        }
        Box::leak(Box::new(Self { layer, token }))
    }
}

/// Payload shape `shape` (`cases::PAYLOAD_SHAPES`) under a `cap`-byte token cap, with a `kid` no
/// pool holds: the layer of 100 pools reads the payload's top-level `iss` (the fallback), finds
/// none and refuses the token as an unknown `kid`.
fn payload_fixture(shape: &str, cap: usize) -> &'static PayloadFixture {
    assert!(cases::PAYLOAD_SHAPES.contains(&shape), "{shape}");
    let (issuer, layer) = hundred_pools(cap);
    let header = cases::cognito_header(cases::UNKNOWN_KID);
    let token = cases::adversarial_payload(&issuer, &header, shape, cap);
    PayloadFixture::leak(layer, token, ErrorKind::UnknownKeyId)
}

/// The same, with the costliest shape cut into four segments: refused by the split, before any
/// routing.
fn malformed_fixture(cap: usize) -> &'static PayloadFixture {
    let (issuer, layer) = hundred_pools(cap);
    let header = cases::cognito_header(cases::UNKNOWN_KID);
    let token = cases::four_segments(&cases::adversarial_payload(
        &issuer,
        &header,
        cases::WORST_PAYLOAD,
        cap,
    ));
    PayloadFixture::leak(layer, token, ErrorKind::Malformed)
}

/// The costliest shape under the issuer's own header (a known `kid`: no scan), its payload's last
/// character made invalid, so that it is decoded whole and refused before the signature; through
/// a layer of 100 pools, or of the issuer's pool alone.
fn known_kid_fixture(cap: usize, pools: usize) -> &'static PayloadFixture {
    let (issuer, layer) = match pools {
        1 => {
            let issuer = issuer();
            let config = hundred_pools_config(&issuer, cap).build().unwrap();
            let layer = CognitoAuthLayer::builder(config)
                .static_keys(issuer.key_set())
                .build()
                .unwrap();
            (issuer, layer)
        }
        _ => hundred_pools(cap),
    };
    let header = cases::cognito_header(&issuer.kid());
    let token = cases::bad_last_payload_char(&cases::adversarial_payload(
        &issuer,
        &header,
        cases::WORST_PAYLOAD,
        cap,
    ));
    PayloadFixture::leak(layer, token, ErrorKind::Malformed)
}

/// The costliest header that passes every header rule (every header cap reached), naming a `kid`
/// no pool holds, over the costliest payload: the full header path, then the fallback's scan.
fn costly_header_fixture(cap: usize) -> &'static PayloadFixture {
    let (issuer, layer) = hundred_pools(cap);
    let header = cases::costly_header(cases::UNKNOWN_KID, "JWT");
    let token = cases::adversarial_payload(&issuer, &header, cases::WORST_PAYLOAD, cap);
    PayloadFixture::leak(layer, token, ErrorKind::UnknownKeyId)
}

/// The layer settings of the several-pools cases: any token use, token cache off, a `cap`-byte
/// token cap.
fn hundred_pools_config(issuer: &LocalIssuer, cap: usize) -> tower_cognito::CognitoConfigBuilder {
    issuer
        .config()
        .any_token_use()
        .token_cache_size(0)
        .max_token_size(cap)
}

/// An issuer and a layer of 100 pools of it, token cache off, under a `cap`-byte token cap.
fn hundred_pools(cap: usize) -> (LocalIssuer, CognitoAuthLayer) {
    let issuer = issuer();
    let layer = setup::hundred_pools(&issuer, hundred_pools_config(&issuer, cap));
    (issuer, layer)
}

/// `CognitoAuthLayer::verify` of a token it refuses.
fn layer_err(f: &PayloadFixture) {
    black_box(f.layer.verify(black_box(&f.token)).unwrap_err());
}

// Several pools, a `kid` no pool holds: the most expensive payload shape below, default cap and
// 8x the cap.
#[library_benchmark]
#[bench::case(args = (cases::WORST_PAYLOAD, 8 * 1024), setup = payload_fixture)]
fn reject_adversarial_payload_100_pools(f: &'static PayloadFixture) {
    layer_err(f);
}

#[library_benchmark]
#[bench::case(args = (cases::WORST_PAYLOAD, 64 * 1024), setup = payload_fixture)]
fn reject_adversarial_payload_100_pools_8x_cap(f: &'static PayloadFixture) {
    layer_err(f);
}

// The same tokens cut into four segments: the bearer check and the split, no routing.
#[library_benchmark]
#[bench::case(args = (8 * 1024), setup = malformed_fixture)]
fn reject_malformed_100_pools(f: &'static PayloadFixture) {
    layer_err(f);
}

#[library_benchmark]
#[bench::case(args = (64 * 1024), setup = malformed_fixture)]
fn reject_malformed_100_pools_8x_cap(f: &'static PayloadFixture) {
    layer_err(f);
}

// A known `kid`: no scan, the payload decoded whole, refused before the signature; 100 pools and
// one.
#[library_benchmark]
#[bench::case(args = (8 * 1024, 100), setup = known_kid_fixture)]
fn reject_known_kid_payload_100_pools(f: &'static PayloadFixture) {
    layer_err(f);
}

#[library_benchmark]
#[bench::case(args = (8 * 1024, 1), setup = known_kid_fixture)]
fn reject_known_kid_payload_one_pool(f: &'static PayloadFixture) {
    layer_err(f);
}

// The costliest valid header with a `kid` no pool holds, over the costliest payload.
#[library_benchmark]
#[bench::case(args = (8 * 1024), setup = costly_header_fixture)]
fn reject_costly_header_and_payload_100_pools(f: &'static PayloadFixture) {
    layer_err(f);
}

// Each hostile payload shape, default cap, a `kid` no pool holds.
#[library_benchmark]
#[bench::iss_repeated(args = ("iss_repeated", 8 * 1024), setup = payload_fixture)]
#[bench::iss_repeated_nested(args = ("iss_repeated_nested", 8 * 1024), setup = payload_fixture)]
#[bench::issuer_repeated_nested(args = ("issuer_repeated_nested", 8 * 1024), setup = payload_fixture)]
#[bench::deep_arrays(args = ("deep_arrays", 8 * 1024), setup = payload_fixture)]
#[bench::spaced_arrays(args = ("spaced_arrays", 8 * 1024), setup = payload_fixture)]
#[bench::deep_objects(args = ("deep_objects", 8 * 1024), setup = payload_fixture)]
#[bench::escapes(args = ("escapes", 8 * 1024), setup = payload_fixture)]
#[bench::empty_strings(args = ("empty_strings", 8 * 1024), setup = payload_fixture)]
#[bench::numbers(args = ("numbers", 8 * 1024), setup = payload_fixture)]
#[bench::whitespace(args = ("whitespace", 8 * 1024), setup = payload_fixture)]
#[bench::long_string_then_iss(args = ("long_string_then_iss", 8 * 1024), setup = payload_fixture)]
#[bench::members_then_iss(args = ("members_then_iss", 8 * 1024), setup = payload_fixture)]
#[bench::groups_then_iss(args = ("groups_then_iss", 8 * 1024), setup = payload_fixture)]
fn reject_payload_shape(f: &'static PayloadFixture) {
    layer_err(f);
}

// Through the layer, the same token again: a verified-token cache hit.
#[library_benchmark]
#[bench::case(setup = fixture)]
fn oneshot_with_layer(f: &'static mut Fixture) {
    oneshot(&mut f.with_layer, &f.request);
}

/// The ALB cases' fixture (`setup/alb.rs`, as in `benches/alb.rs`), leaked.
fn alb_fixture() -> &'static AlbFixture {
    Box::leak(Box::new(AlbFixture::new()))
}

#[library_benchmark]
#[bench::case(setup = alb_fixture)]
fn es256_floor(f: &'static AlbFixture) {
    black_box(
        f.key
            .verify_sig(black_box(f.input.as_bytes()), black_box(&f.signature)),
    )
    .unwrap();
}

#[library_benchmark]
#[bench::case(setup = alb_fixture)]
fn alb_verify_cache_hit(f: &'static AlbFixture) {
    black_box(verify_now(&f.layer, black_box(&f.token))).unwrap();
}

#[library_benchmark]
#[bench::case(setup = alb_fixture)]
fn alb_reject_wrong_signer(f: &'static AlbFixture) {
    black_box(verify_now(&f.layer, black_box(&f.wrong_signer))).unwrap_err();
}

library_benchmark_group!(
    name = alb;
    benchmarks = es256_floor, alb_verify_cache_hit, alb_reject_wrong_signer
);

library_benchmark_group!(
    name = verify;
    benchmarks =
        floor_rsa_verify,
        verify_access,
        verify_id,
        oneshot_without_layer,
        oneshot_with_layer_uncached,
        oneshot_with_layer_uncached_100_pools,
        oneshot_with_layer,
        reject_adversarial_header,
        reject_adversarial_header_8x_cap,
        verify_payload_1k_claims,
        verify_payload_8k_claims,
        verify_tenant_token,
        verify_tenant_token_extra_claims,
        reject_adversarial_payload_100_pools,
        reject_adversarial_payload_100_pools_8x_cap,
        reject_malformed_100_pools,
        reject_malformed_100_pools_8x_cap,
        reject_known_kid_payload_100_pools,
        reject_known_kid_payload_one_pool,
        reject_costly_header_and_payload_100_pools,
        reject_payload_shape
);

main!(library_benchmark_groups = verify, alb);
