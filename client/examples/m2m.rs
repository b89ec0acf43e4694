//! Machine-to-machine calls with one token request per token lifetime, offline or against
//! Cognito.
//!
//! ```text
//! cargo run -p tower-cognito-client --example m2m --features test-util
//! COGNITO_DOMAIN=https://example.auth.us-east-1.amazoncognito.com COGNITO_CLIENT_ID=... \
//!   COGNITO_CLIENT_SECRET=... COGNITO_SCOPES="orders/read" TARGET_URL=https://api.example.com/orders \
//!   REQUESTS=100 cargo run -p tower-cognito-client --example m2m --features test-util
//! ```
//!
//! Makes `REQUESTS` (default 10) sequential `GET`s to `TARGET_URL`, each with the token from one
//! `m2m::TokenSource` (the `client_credentials` grant, cached), and prints exactly one JSON
//! object on stdout: `{"requests": N, "token_requests": K, "statuses": {"200": n, ...}}`
//! (`"error"` counts calls that got no answer or no token). Errors go to stderr.
//!
//! Without `COGNITO_DOMAIN` it runs offline: an embedded `LocalUserPool` (with a client secret
//! and the resource-server scopes `orders/read` and `orders/write`) issues the tokens, and an
//! embedded target behind `CognitoAuthLayer` requires `orders/read`.

use std::collections::BTreeMap;
use std::process::ExitCode;

use axum::Router;
use axum::routing::get;
use tower_cognito::{CognitoAuthLayer, Require, TokenUse};
use tower_cognito_client::m2m::{Scopes, TokenSource};
use tower_cognito_client::test_util::{LocalUserPool, UserPoolServer};

/// The embedded pool, its server and the target's URL, kept alive while the calls run.
struct Offline {
    _pool: LocalUserPool,
    _server: UserPoolServer,
    _target: tokio::task::JoinHandle<()>,
}

struct Settings {
    domain: String,
    client_id: String,
    secret: String,
    scopes: Scopes,
    target: String,
    requests: u64,
}

fn env(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.is_empty())
}

fn required(name: &str) -> Result<String, String> {
    env(name).ok_or_else(|| format!("{name} is required with COGNITO_DOMAIN"))
}

async fn offline(
    scopes: Scopes,
    requests: u64,
) -> Result<(Settings, Offline), Box<dyn std::error::Error>> {
    let pool = LocalUserPool::builder()
        .client_secret("local-m2m-client-secret")
        .custom_scopes(["orders/read", "orders/write"])
        .build()?;
    let server = pool.serve().await?;
    let config = pool.config().token_use(TokenUse::Access).build()?;
    let auth = CognitoAuthLayer::builder(config)
        .static_keys(pool.issuer().key_set())
        .build()?;
    let readers = auth.guard(Require::scopes_all(["orders/read"])?);
    let app = Router::new()
        .route("/orders", get(|| async { "orders\n" }).route_layer(readers))
        .route_layer(auth);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let target = format!("http://{}/orders", listener.local_addr()?);
    let task = tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    let settings = Settings {
        domain: format!("http://{}", server.addr()),
        client_id: pool.client_id().to_owned(),
        secret: pool.client_secret().unwrap_or_default().to_owned(),
        scopes: if scopes.is_empty() {
            "orders/read".parse()?
        } else {
            scopes
        },
        target,
        requests,
    };
    Ok((
        settings,
        Offline {
            _pool: pool,
            _server: server,
            _target: task,
        },
    ))
}

async fn run() -> Result<(), Box<dyn std::error::Error>> {
    let scopes: Scopes = env("COGNITO_SCOPES").unwrap_or_default().parse()?;
    let requests = match env("REQUESTS") {
        Some(n) => n
            .parse::<u64>()
            .map_err(|_| "REQUESTS must be a whole number")?,
        None => 10,
    };
    let (settings, _offline) = match env("COGNITO_DOMAIN") {
        Some(domain) => (
            Settings {
                domain,
                client_id: required("COGNITO_CLIENT_ID")?,
                secret: required("COGNITO_CLIENT_SECRET")?,
                scopes,
                target: required("TARGET_URL")?,
                requests,
            },
            None,
        ),
        None => {
            let (settings, offline) = offline(scopes, requests).await?;
            (settings, Some(offline))
        }
    };
    let source = TokenSource::builder(settings.domain, settings.client_id, settings.secret)
        .scopes(settings.scopes)
        .build()?;
    let http = reqwest::Client::builder().build()?;
    let mut statuses: BTreeMap<String, u64> = BTreeMap::new();
    for _ in 0..settings.requests {
        let status = match source.authorize(http.get(&settings.target)).await {
            Ok(request) => match request.send().await {
                Ok(answer) => answer.status().as_u16().to_string(),
                Err(e) => {
                    eprintln!("request failed: {e}");
                    "error".to_owned()
                }
            },
            Err(e) => {
                eprintln!("no token: {e}");
                "error".to_owned()
            }
        };
        *statuses.entry(status).or_default() += 1;
    }
    let out = serde_json::json!({
        "requests": settings.requests,
        "token_requests": source.stats().token_requests,
        "statuses": statuses,
    });
    println!("{out}");
    Ok(())
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> ExitCode {
    match run().await {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}
