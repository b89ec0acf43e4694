//! Arbitrary bytes as `Authorization` header values (one per line), through the bearer parser and
//! through the layer's request path. Never panics; the layer answers only 200, 400 or 401, and
//! 200 exactly when the single header carries one of the fixture's valid tokens; a single value
//! whose first word starts with `Bearer` and goes on (`Bearer<token>`) is 400, never another
//! scheme.

#![no_main]

use std::convert::Infallible;
use std::future::Future;
use std::pin::pin;
use std::task::{Context, Poll, Waker};

use http::header::{AUTHORIZATION, WWW_AUTHENTICATE};
use http::{HeaderMap, HeaderValue, Request, Response, StatusCode};
use libfuzzer_sys::fuzz_target;
use tower::{Layer, Service, service_fn};
use tower_cognito::fuzzing::bearer_token;
use tower_cognito::{Claims, Error};
use tower_cognito_fuzz::FIXTURE;

fuzz_target!(|data: &[u8]| {
    let f = &*FIXTURE;
    let mut headers = HeaderMap::new();
    for line in data.split(|&b| b == b'\n') {
        // Bytes `http` refuses in a header value never reach a service.
        if let Ok(value) = HeaderValue::from_bytes(line) {
            headers.append(AUTHORIZATION, value);
        }
    }

    let extracted = bearer_token(&headers, f.layer.config().max_token_size());
    let expected = match extracted {
        Ok(token) if f.valid.iter().any(|valid| valid == token) => StatusCode::OK,
        Ok(_) => StatusCode::UNAUTHORIZED,
        Err(ref e) => e.status(),
    };
    // An oracle of its own for the scheme: `Bearer` (any case) glued to more bytes is a
    // malformed bearer credential.
    let mut values = headers.get_all(AUTHORIZATION).iter();
    if let (Some(value), None) = (values.next(), values.next()) {
        let word = value
            .as_bytes()
            .split(|&b| b == b' ')
            .next()
            .unwrap_or_default();
        if word.len() > 6 && word[..6].eq_ignore_ascii_case(b"bearer") {
            assert_eq!(expected, StatusCode::BAD_REQUEST);
        }
    }

    // The layer's request path, polled once: a rejection is ready at once, and so is the inner
    // service, which answers 500 if the claims were not put into the request.
    let inner = service_fn(|req: Request<()>| {
        let status = match req.extensions().get::<Claims>() {
            Some(_) => StatusCode::OK,
            None => StatusCode::INTERNAL_SERVER_ERROR,
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
        panic!("the layer's response was not ready at once");
    };

    let status = res.status();
    assert!(
        matches!(status.as_u16(), 200 | 400 | 401),
        "unexpected status {status}"
    );
    assert_eq!(status, expected);
    if status != StatusCode::OK {
        let error = res
            .extensions()
            .get::<Error>()
            .expect("a rejection carries its error");
        // The challenge holds the realm and fixed strings only, nothing from the request.
        let realm = f.layer.config().realm();
        let expected = match error.error_code() {
            None => format!("Bearer realm=\"{realm}\""),
            Some(code) => format!(
                "Bearer realm=\"{realm}\", error=\"{code}\", error_description=\"{}\"",
                error.error_description()
            ),
        };
        let challenge = res
            .headers()
            .get(WWW_AUTHENTICATE)
            .expect("a rejection carries a challenge");
        assert_eq!(challenge.as_bytes(), expected.as_bytes());
        // RFC 6750 §3: error and error_description values are limited to these characters.
        assert!(
            error
                .error_description()
                .bytes()
                .all(|b| matches!(b, 0x20..=0x21 | 0x23..=0x5b | 0x5d..=0x7e))
        );
    }
});
