//! The machine-to-machine token source's per-call cost over a bare client, one criterion group,
//! one run: the same `GET` to a loopback axum server (a 200, no verification) sent bare by
//! reqwest, with `TokenSource::authorize`, and through a tower `service_fn` client bare and under
//! `AuthorizationLayer`; the token is cached (the cost is the cache read and the header). Two
//! more rows put the layer over a client that answers at once (no network), to show its own cost
//! in nanoseconds.
//!
//! `cargo bench -p tower-cognito-benches --bench m2m`

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::convert::Infallible;
use std::hint::black_box;

use axum::Router;
use axum::routing::get;
use criterion::{Criterion, criterion_group, criterion_main};
use tower::{Service, ServiceBuilder, ServiceExt as _};
use tower_cognito_client::m2m::{AuthorizationLayer, TokenSource};
use tower_cognito_client::test_util::LocalUserPool;

fn bench(c: &mut Criterion) {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let pool = LocalUserPool::builder()
        .client_secret("bench-secret")
        .custom_scopes(["orders/read"])
        .build()
        .unwrap();
    let (_server, domain, url) = rt.block_on(async {
        let server = pool.serve().await.unwrap();
        let domain = format!("http://{}", server.addr());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}/orders", listener.local_addr().unwrap());
        let app = Router::new().route("/orders", get(|| async { "orders" }));
        tokio::spawn(async move { axum::serve(listener, app).await });
        (server, domain, url)
    });
    let source = TokenSource::builder(domain, pool.client_id(), "bench-secret")
        .build()
        .unwrap();
    rt.block_on(source.token()).unwrap();
    let http = reqwest::Client::builder().no_proxy().build().unwrap();
    let client = {
        let http = http.clone();
        tower::service_fn(move |request: http::Request<String>| {
            let http = http.clone();
            async move { http.execute(reqwest::Request::try_from(request)?).await }
        })
    };
    let mut authorized = ServiceBuilder::new()
        .layer(AuthorizationLayer::new(source.clone()))
        .service(client.clone());
    let mut bare = client;
    let request = || http::Request::get(&url).body(String::new()).unwrap();

    let mut g = c.benchmark_group("m2m");
    g.bench_function("reqwest_bare", |b| {
        b.iter(|| rt.block_on(async { http.get(&url).send().await.unwrap().status() }))
    });
    g.bench_function("reqwest_authorize", |b| {
        b.iter(|| {
            rt.block_on(async {
                let request = source.authorize(http.get(&url)).await.unwrap();
                request.send().await.unwrap().status()
            })
        })
    });
    g.bench_function("tower_client_bare", |b| {
        b.iter(|| {
            rt.block_on(async {
                bare.ready()
                    .await
                    .unwrap()
                    .call(request())
                    .await
                    .unwrap()
                    .status()
            })
        })
    });
    g.bench_function("tower_client_layer", |b| {
        b.iter(|| {
            rt.block_on(async {
                authorized
                    .ready()
                    .await
                    .unwrap()
                    .call(request())
                    .await
                    .unwrap()
                    .status()
            })
        })
    });
    let instant = tower::service_fn(|request: http::Request<()>| async move {
        Ok::<_, Infallible>(request.headers().len())
    });
    let mut instant_layer = ServiceBuilder::new()
        .layer(AuthorizationLayer::new(source.clone()))
        .service(instant);
    let mut instant_bare = instant;
    g.bench_function("no_network_bare", |b| {
        b.iter(|| {
            rt.block_on(async {
                let r = http::Request::get("/").body(()).unwrap();
                instant_bare
                    .ready()
                    .await
                    .unwrap()
                    .call(black_box(r))
                    .await
                    .unwrap()
            })
        })
    });
    g.bench_function("no_network_layer", |b| {
        b.iter(|| {
            rt.block_on(async {
                let r = http::Request::get("/").body(()).unwrap();
                instant_layer
                    .ready()
                    .await
                    .unwrap()
                    .call(black_box(r))
                    .await
                    .unwrap()
            })
        })
    });
    g.finish();
    assert_eq!(source.stats().token_requests, 1, "one token for every call");
}

criterion_group!(benches, bench);
criterion_main!(benches);
