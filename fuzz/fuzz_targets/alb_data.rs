//! Arbitrary bytes as `x-amzn-oidc-data` header values (one per line), through the ALB layer's
//! request path (feature `alb`), with a fixed key and no key source, so nothing is fetched and
//! every answer is ready at once. Never panics; the layer answers only 200, 400 or 401; 200 only
//! for one header whose signed part (`header.payload`) is the fixture's valid token's (the ALB's
//! padding is part of what is signed); a rejection's challenge holds fixed strings only.

#![no_main]

use std::convert::Infallible;
use std::future::Future;
use std::pin::pin;
use std::sync::LazyLock;
use std::task::{Context, Poll, Waker};

use http::header::WWW_AUTHENTICATE;
use http::{HeaderMap, HeaderValue, Request, Response, StatusCode};
use libfuzzer_sys::fuzz_target;
use serde_json::Value;
use tower::{Layer, Service, service_fn};
use tower_cognito::Error;
use tower_cognito::alb::{self, AlbAuthLayer};
use tower_cognito::clock::FixedClock;
use tower_cognito::test_util::alb::LocalAlb;
use tower_cognito_fuzz::NOW;

/// The `kid` of the fixed key: the seeds in `corpus/alb_data/` name it.
const ALB_KID: &str = "0b5c1f6e-2d3a-4c8b-9e7f-1a2b3c4d5e6f";

struct AlbFixture {
    layer: AlbAuthLayer,
    /// The signed part of the one valid token.
    valid_input: String,
}

static FIXTURE: LazyLock<AlbFixture> = LazyLock::new(|| {
    let alb = LocalAlb::with_clock(FixedClock::new(NOW)).expect("a P-256 key");
    let layer = AlbAuthLayer::builder(alb.config().build().expect("fixture config builds"))
        .static_key(ALB_KID, alb.pem())
        .build()
        .expect("fixture layer builds");
    let mut header = alb.header();
    header.insert("kid".into(), Value::from(ALB_KID));
    let token = alb.sign_json(&Value::Object(header), &Value::Object(alb.claims_for("alice")));
    let valid_input = token
        .rsplit_once('.')
        .map(|(input, _)| input.to_owned())
        .expect("three segments");
    AlbFixture { layer, valid_input }
});

fuzz_target!(|data: &[u8]| {
    let f = &*FIXTURE;
    let mut headers = HeaderMap::new();
    for line in data.split(|&b| b == b'\n') {
        // Bytes `http` refuses in a header value never reach a service.
        if let Ok(value) = HeaderValue::from_bytes(line) {
            headers.append("x-amzn-oidc-data", value);
        }
    }

    let inner = service_fn(|req: Request<()>| {
        let status = match req.extensions().get::<alb::Claims>() {
            Some(claims) if claims.sub == "alice" => StatusCode::OK,
            _ => StatusCode::INTERNAL_SERVER_ERROR,
        };
        let mut res = Response::new(());
        *res.status_mut() = status;
        std::future::ready(Ok::<_, Infallible>(res))
    });
    let mut service = f.layer.layer(inner);
    let mut req = Request::new(());
    *req.headers_mut() = headers.clone();
    let mut cx = Context::from_waker(Waker::noop());
    assert!(matches!(service.poll_ready(&mut cx), Poll::Ready(Ok(()))));
    let future = pin!(service.call(req));
    let Poll::Ready(Ok(res)) = future.poll(&mut cx) else {
        panic!("a layer with fixed keys and no source answers at once");
    };

    let status = res.status();
    assert!(
        matches!(status.as_u16(), 200 | 400 | 401),
        "unexpected status {status}"
    );
    if status == StatusCode::OK {
        let mut values = headers.get_all("x-amzn-oidc-data").iter();
        let (Some(value), None) = (values.next(), values.next()) else {
            panic!("200 without exactly one header");
        };
        let signed = value.as_bytes().rsplitn(2, |&b| b == b'.').nth(1);
        assert_eq!(signed, Some(f.valid_input.as_bytes()), "200 for another token");
    } else {
        let error = res
            .extensions()
            .get::<Error>()
            .expect("a rejection carries its error");
        let challenge = res
            .headers()
            .get(WWW_AUTHENTICATE)
            .expect("a rejection carries a challenge");
        let realm = f.layer.config().realm();
        let expected = match error.error_code() {
            None => format!("Bearer realm=\"{realm}\""),
            Some(code) => format!(
                "Bearer realm=\"{realm}\", error=\"{code}\", error_description=\"{}\"",
                error.error_description()
            ),
        };
        assert_eq!(challenge.as_bytes(), expected.as_bytes());
    }
});
