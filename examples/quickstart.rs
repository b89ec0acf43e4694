//! Quick start: an axum API whose `GET /me` needs a Cognito token and whose `GET /admin` also
//! needs the group `admins`: `cargo run --example quickstart --features test-util`.
//!
//! Offline (no `COGNITO_USER_POOL_ID`) an embedded issuer plays the user pool and the server
//! prints tokens and `curl` commands; with `COGNITO_USER_POOL_ID` and `COGNITO_CLIENT_ID` it
//! verifies your pool's tokens. The variables (`BIND_ADDR`, `COGNITO_*`) are `tower_cognito::env`'s.

use std::error::Error;
use std::process::ExitCode;

use axum::{Json, Router, routing::get};
use serde_json::{Value, json};
use tower_cognito::test_util::OfflineIssuer;
use tower_cognito::{Claims, CognitoAuthLayer, Require, env::Env};

async fn me(claims: Claims) -> Json<Value> {
    let scopes: Vec<&str> = claims.scope.iter().collect();
    Json(json!({
        "sub": claims.sub, "iss": claims.iss, "token_use": claims.token_use.as_str(),
        "username": claims.username(), "client_id": claims.app_client_id(),
        "groups": claims.groups, "scopes": scopes, "exp": claims.exp, "email": claims.email,
    }))
}

async fn admin(claims: Claims) -> String {
    format!("hello admin {}", claims.username().unwrap_or(&claims.sub))
}

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
            let user = offline.token_in_groups(&["users"]);
            println!("not an admin (403 on /admin): {user}");
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
    println!("try it:");
    for path in ["me", "admin"] {
        println!("curl -H \"Authorization: Bearer {token}\" http://{addr}/{path}");
    }
    println!("(GET /admin needs the Cognito group admins: 403 insufficient_scope otherwise)");
    println!("listening on http://{addr}");

    // `/health` and `/ready` are open; `/me` and `/admin` are behind the layer (`route_layer`:
    // matched routes only), and `/admin` behind a guard too.
    let admins = auth.guard(Require::groups_any(["admins"])?);
    let app = Router::new()
        .route("/me", get(me))
        .route("/admin", get(admin).route_layer(admins))
        .route_layer(auth.clone())
        .route("/health", get(|| async { "ok" }))
        .route_service("/ready", auth.readiness_service());
    let shutdown = async { drop(tokio::signal::ctrl_c().await) };
    axum::serve(listener, app)
        .with_graceful_shutdown(shutdown)
        .await?;
    Ok(())
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
    eprintln!("quickstart: error: {}", chain(&*e));
    ExitCode::FAILURE
}
