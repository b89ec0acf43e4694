//! hyper 1 without axum: `CognitoAuthLayer` in front of a `service_fn`, which reads the verified
//! claims from the request extensions.
//!
//! ```text
//! cargo run --example hyper --features test-util
//! ```
//!
//! The quick start's variables and offline mode (`examples/common/mod.rs`): offline (no
//! `COGNITO_USER_POOL_ID`) it prints an access token, an ID token and a ready `curl` command with
//! the one the layer accepts (`COGNITO_TOKEN_USE`, access by default), then
//! `listening on http://ADDR` (`BIND_ADDR`, default `127.0.0.1:3000`). Every request goes through
//! the layer: without a valid token, `401` with the RFC 6750 challenge; with one, `200` and the
//! claims as JSON.

#[path = "common/mod.rs"]
mod common;

use std::convert::Infallible;
use std::process::ExitCode;

use http::{Request, Response, StatusCode, header};
use http_body_util::Full;
use hyper::body::{Bytes, Incoming};
use hyper::server::conn::http1;
use hyper_util::rt::TokioIo;
use hyper_util::service::TowerToHyperService;
use tower::ServiceBuilder;
use tower_cognito::Claims;

use common::Settings;

/// Address used when `BIND_ADDR` is not set.
const DEFAULT_BIND_ADDR: &str = "127.0.0.1:3000";

/// The handler, behind the layer: the verified claims, as JSON.
async fn me(request: Request<Incoming>) -> Result<Response<Full<Bytes>>, Infallible> {
    // The layer put the verified claims into the request's extensions.
    let Some(claims) = request.extensions().get::<Claims>() else {
        // No layer ran: a server misconfiguration, not a client error.
        let mut response = Response::new(Full::new(Bytes::from_static(b"server misconfiguration")));
        *response.status_mut() = StatusCode::INTERNAL_SERVER_ERROR;
        return Ok(response);
    };
    let body = serde_json::json!({
        "sub": claims.sub,
        "username": claims.username(),
        "token_use": claims.token_use.as_str(),
        "path": request.uri().path(),
    });
    let mut response = Response::new(Full::new(Bytes::from(body.to_string())));
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        header::HeaderValue::from_static("application/json"),
    );
    Ok(response)
}

/// Binds, builds the layer, prints the banner and serves until Ctrl-C.
async fn run(settings: Settings) -> Result<(), String> {
    let (listener, addr) = common::bind(&settings).await?;
    // `auth` owns the offline issuer: its JWKS server runs until `run` returns.
    let auth = common::auth(&settings).await?;
    // A tower service: the layer, then the handler. Cloned per connection (an `Arc` inside).
    let service = ServiceBuilder::new()
        .layer(auth.layer.clone())
        .service_fn(me);

    for line in &auth.banner {
        println!("{line}");
    }
    let token = auth.try_token();
    println!("try it:");
    println!("curl -H \"Authorization: Bearer {token}\" http://{addr}/me");
    println!("listening on http://{addr}");

    let shutdown = tokio::signal::ctrl_c();
    tokio::pin!(shutdown);
    loop {
        let (stream, _) = tokio::select! {
            accepted = listener.accept() => accepted.map_err(|e| format!("accept: {e}"))?,
            _ = &mut shutdown => return Ok(()),
        };
        let service = TowerToHyperService::new(service.clone());
        tokio::spawn(async move {
            // A client that hangs up mid-request is not the server's error.
            let _ = http1::Builder::new()
                .serve_connection(TokioIo::new(stream), service)
                .await;
        });
    }
}

#[tokio::main]
async fn main() -> ExitCode {
    let result = match common::settings_from_env(common::env, DEFAULT_BIND_ADDR) {
        Ok(settings) => run(settings).await,
        Err(e) => Err(e),
    };
    common::exit("hyper", result)
}
