//! hyper 1 without axum: `CognitoAuthLayer` in front of a `service_fn`, which reads the verified
//! claims from the request extensions.
//!
//! ```text
//! cargo run --example hyper --features test-util
//! ```
//!
//! The quick start's variables and offline mode (`tower_cognito::env`): offline (no
//! `COGNITO_USER_POOL_ID`) it prints an access token, an ID token and a ready `curl` command with
//! the one the layer accepts (`COGNITO_TOKEN_USE`, access by default), then
//! `listening on http://ADDR` (`BIND_ADDR`, default `127.0.0.1:3000`). Every request goes through
//! the layer: without a valid token, `401` with the RFC 6750 challenge; with one, `200` and the
//! claims as JSON.

use std::convert::Infallible;
use std::error::Error;
use std::process::ExitCode;

use http::{Request, Response, StatusCode, header};
use http_body_util::Full;
use hyper::body::{Bytes, Incoming};
use hyper::server::conn::http1;
use hyper_util::rt::TokioIo;
use hyper_util::service::TowerToHyperService;
use tower::ServiceBuilder;
use tower_cognito::env::Env;
use tower_cognito::test_util::OfflineIssuer;
use tower_cognito::{Claims, CognitoAuthLayer};

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
async fn run() -> Result<(), Box<dyn Error>> {
    let env = Env::process();
    // Every variable is read before anything starts (`config` checks COGNITO_TOKEN_USE too).
    let (addr, real) = (env.bind_addr("127.0.0.1:3000")?, env.config()?);
    let listener = tokio::net::TcpListener::bind(addr)
        .await
        .map_err(|e| format!("cannot listen on {addr}: {e}"))?;
    let addr = listener.local_addr()?;
    // Real mode with COGNITO_USER_POOL_ID; offline, an embedded issuer serves its keys on loopback.
    let (config, offline) = match real {
        Some(real) => (real.build()?, None),
        None => {
            let offline = OfflineIssuer::start(env.token_use()?, &["users", "admins"]).await?;
            (offline.config().build()?, Some(offline))
        }
    };
    let keys = format!("could not load the signing keys from {}", config.jwks_url());
    let auth = CognitoAuthLayer::builder(config)
        .start()
        .await
        .map_err(|e| format!("{keys}: {}", chain(&e)))?;
    let token = match &offline {
        Some(offline) => {
            offline.banner().iter().for_each(|line| println!("{line}"));
            offline.token()
        }
        None => {
            let c = auth.config();
            let (pool, issuer, jwks) = (c.user_pool_id(), c.issuer(), c.jwks_url());
            println!("real mode: user pool {pool}, issuer {issuer}\nJWKS {jwks}");
            let token_use = c.token_use().map_or("any", tower_cognito::TokenUse::as_str);
            println!("accepted token use: {token_use}");
            println!("(put a token of this pool in $TOKEN)");
            "$TOKEN"
        }
    };
    // A tower service: the layer, then the handler. Cloned per connection (an `Arc` inside).
    let service = ServiceBuilder::new().layer(auth).service_fn(me);
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

/// `error` and its sources on one line, `A: B: C` (a level whose text already ends with its
/// source's is not repeated).
fn chain(error: &dyn Error) -> String {
    let mut line = error.to_string();
    for cause in std::iter::successors(error.source(), |&e| e.source()).take(16) {
        let text = cause.to_string();
        if !line.ends_with(&text) {
            line = format!("{line}: {text}");
        }
    }
    line.replace(['\n', '\r'], " ")
}

#[tokio::main]
async fn main() -> ExitCode {
    let Err(e) = run().await else {
        return ExitCode::SUCCESS;
    };
    eprintln!("hyper: error: {}", chain(&*e));
    ExitCode::FAILURE
}
